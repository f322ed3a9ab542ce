//! The window's part in the profile: visits noted as documents arrive and titles as they
//! change, pages handed to memory, cookies copied, the open tabs saved as they change and
//! reopened at start, bookmarks starred.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clef_profile::{BookmarkKind, NewBookmark, Session, SessionTab, SessionWindow, Transition};
use servo::{LoadStatus, WebViewId};

use super::{SuggestionState, Ui};
use crate::servo_host::NET_ERROR_TITLE;

/// The saved session is rewritten at most this often while tabs change.
const SESSION_SAVE_INTERVAL: Duration = Duration::from_secs(1);
/// Address-bar suggestions shown at most (they replace the tab strip while the user types).
const SUGGESTIONS: usize = 4;

/// Where the session is saved, and what is waiting to be.
pub(super) struct SessionState {
    path: Option<PathBuf>,
    dirty: bool,
    saved: Instant,
    /// The tabs of a run that crashed, offered for restoring until the user decides.
    pub(super) crashed: Option<Session>,
    /// Addresses of the tabs closed this session, the last one last (Ctrl+Shift+T).
    pub(super) closed: Vec<String>,
}

impl SessionState {
    pub(super) fn new(path: Option<PathBuf>) -> Self {
        Self {
            path,
            dirty: true,
            saved: Instant::now(),
            crashed: None,
            closed: Vec::new(),
        }
    }
}

impl Ui {
    pub(super) fn session_changed(&mut self) {
        self.session.dirty = true;
    }

    /// A tab's document changed: note the visit once the page has loaded.
    pub(super) fn note_document(&mut self, id: WebViewId) {
        let Some(tab) = self.tabs.iter_mut().find(|tab| tab.webview.id() == id) else {
            return;
        };
        let Some(url) = tab.webview.url() else { return };
        if let Some(cookies) = &mut self.cookies {
            cookies.saw(&url);
        }
        if tab.webview.load_status() != LoadStatus::Complete
            || tab
                .recorded
                .as_ref()
                .is_some_and(|(recorded, _)| *recorded == url)
        {
            return;
        }
        let title = tab.webview.page_title().unwrap_or_default();
        let transition = tab.transition.take().unwrap_or(Transition::Link);
        tab.recorded = Some((url.clone(), title.clone()));
        self.session.dirty = true;
        if let Some(passage) = tab.highlight.take() {
            super::assistant::highlight(&tab.webview, &passage, &self.pane, &self.later);
        }
        // Error pages, saved copies and Clef's own pages are not visits.
        if title == NET_ERROR_TITLE || tab.saved_copy.is_some() || tab.library.is_some() {
            return;
        }
        if let Some(places) = &self.places {
            places.visited(url.as_str(), &title, transition);
        }
    }

    /// Titles often arrive after the load: keep the history's up to date.
    pub(super) fn note_titles(&mut self) {
        let Some(places) = &self.places else { return };
        for tab in &mut self.tabs {
            let Some((url, title)) = &mut tab.recorded else {
                continue;
            };
            let current = tab.webview.page_title().unwrap_or_default();
            if current != *title && tab.webview.url().as_ref() == Some(url) {
                places.retitled(url.as_str(), &current);
                *title = current;
                self.session.dirty = true;
            }
        }
    }

    /// Timers: the cookie copy, the saved session, loading documents' media types.
    pub(in crate::servo_host::window) fn tick(&mut self) {
        self.recheck_document_types();
        if let Some(cookies) = &mut self.cookies
            && cookies.due()
        {
            cookies.flush(&self.servo);
        }
        if self.session.dirty && self.session.saved.elapsed() >= SESSION_SAVE_INTERVAL {
            self.save_session(false);
        }
    }

    pub(super) fn save_session(&mut self, clean_exit: bool) {
        let Some(path) = &self.session.path else {
            return;
        };
        let tabs = self
            .tabs
            .iter()
            .filter(|tab| tab.library.is_none())
            .map(|tab| SessionTab {
                url: tab
                    .saved_copy
                    .as_ref()
                    .map(|saved| saved.url.clone())
                    .or_else(|| tab.webview.url().map(String::from))
                    .unwrap_or_default(),
                title: tab.webview.page_title().unwrap_or_default(),
            })
            .collect();
        let session = Session {
            windows: vec![SessionWindow {
                tabs,
                active: self.active,
            }],
            clean_exit,
            saved_at: clef_profile::now(),
        };
        if let Err(error) = session.save(path) {
            tracing::warn!(%error, "session not saved");
        }
        self.session.dirty = false;
        self.session.saved = Instant::now();
    }

    /// Reopen a saved session's tabs (web pages and files; Clef's own pages are not kept).
    pub(super) fn restore(&mut self, session: &Session) {
        let Some(window) = session.windows.first() else {
            return;
        };
        let before = self.tabs.len();
        let mut active = None;
        for (index, tab) in window.tabs.iter().enumerate() {
            let Ok(url) = url::Url::parse(&tab.url) else {
                continue;
            };
            if !clef_profile::keeps_scheme(url.scheme()) {
                continue;
            }
            let mut restored = self.new_tab(Some(url), None);
            restored.transition = Some(Transition::Restored);
            self.tabs.push(restored);
            if index == window.active {
                active = Some(self.tabs.len() - 1);
            }
        }
        if self.tabs.len() > before {
            self.session_changed();
            self.switch_to(active.unwrap_or(before));
        }
    }

    /// Ctrl+Shift+T: the tabs a crash closed while they are offered, else the last tab closed.
    pub(super) fn reopen_tab(&mut self) {
        if self.session.crashed.is_some() {
            self.restore_crashed();
            return;
        }
        if let Some(url) = self.session.closed.pop() {
            self.open_tab(Some(&url), Transition::Restored);
        }
    }

    /// The user chose to reopen the tabs of the run that crashed.
    pub(super) fn restore_crashed(&mut self) {
        let Some(session) = self.session.crashed.take() else {
            return;
        };
        // The start page the crash left open gives way to the restored tabs.
        let only_start_page = self.tabs.len() == 1 && self.tabs[0].recorded.is_none();
        self.restore(&session);
        if only_start_page && self.tabs.len() > 1 {
            self.tabs.remove(0);
            self.active = self.active.saturating_sub(1);
            self.switch_to(self.active);
        }
        self.refresh_chrome();
    }

    /// Address-bar suggestions for what the user types, from history and bookmarks.
    pub(super) fn suggest(&self, text: &str) {
        let suggestions: Vec<SuggestionState> = self
            .places
            .as_ref()
            .and_then(|places| places.store().suggest(text, SUGGESTIONS).ok())
            .unwrap_or_default()
            .into_iter()
            .map(|suggestion| SuggestionState {
                url: suggestion.url,
                title: suggestion.title,
                bookmarked: suggestion.bookmarked,
            })
            .collect();
        let json = serde_json::to_string(&suggestions).unwrap_or_else(|_| "[]".to_owned());
        self.chrome.evaluate_javascript(
            format!("window.clefSuggest && window.clefSuggest({json})"),
            |_| {},
        );
    }

    /// The active page's bookmark, if it has one.
    pub(super) fn active_bookmark(&self) -> Option<clef_profile::Bookmark> {
        let places = self.places.as_ref()?;
        let url = self.active_webview()?.url()?;
        places.store().bookmark_for(url.as_str()).ok().flatten()
    }

    /// The star: bookmark the active page, or remove its bookmark.
    pub(super) fn toggle_bookmark(&mut self) {
        let Some(places) = &self.places else {
            return;
        };
        let Some(webview) = self.active_webview() else {
            return;
        };
        let Some(url) = webview
            .url()
            .filter(|url| clef_profile::keeps_scheme(url.scheme()))
        else {
            return;
        };
        let result = match places.store().bookmark_for(url.as_str()) {
            Ok(Some(bookmark)) => places.store().remove_bookmark(bookmark.id).map(drop),
            Ok(None) => places
                .store()
                .add_bookmark(&NewBookmark {
                    parent: None,
                    kind: BookmarkKind::Link,
                    title: webview.page_title().unwrap_or_else(|| url.to_string()),
                    url: Some(url.to_string()),
                    added: clef_profile::now(),
                })
                .map(drop),
            Err(error) => Err(error),
        };
        if let Err(error) = result {
            tracing::warn!(%error, "bookmark not changed");
        }
        self.refresh_chrome();
    }
}
