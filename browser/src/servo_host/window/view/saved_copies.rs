//! The page cache in the window: each web page a tab finishes loading is kept; a page the
//! network cannot reach is replaced by its saved copy, marked as such in the toolbar.

use std::cell::RefCell;
use std::rc::Rc;

use servo::{LoadStatus, WebViewId};
use url::Url;

use super::{Tab, Ui};
use crate::page_cache::{COPY_SCRIPT, SavedPage};
use crate::servo_host::{NET_ERROR_PREFIX, NET_ERROR_TITLE, js};

/// What a tab's document answered the copy script.
pub(super) enum CopyAnswer {
    /// The page's copy.
    Page(String),
    /// Servo's network error page: the address could not be reached.
    Unreachable,
    /// No answer to act on (the script failed, or the page gave nothing).
    Nothing,
}

pub(super) type Copies = Rc<RefCell<Vec<(WebViewId, Url, CopyAnswer)>>>;

impl Tab {
    /// Whether the tab shows `saved`'s copy, or the error page it replaced.
    fn shows_saved_copy(&self, url: &Url) -> bool {
        self.saved_copy.as_ref().is_some_and(|saved| {
            saved.url == url.as_str()
                || Url::from_file_path(&saved.file).is_ok_and(|file| file == *url)
        })
    }
}

impl Ui {
    /// A tab's document changed: once a web page has loaded, ask it for a copy (or learn that
    /// it is the network error page).
    pub(super) fn check_for_copy(&mut self, id: WebViewId) {
        let remembering = self
            .places
            .as_ref()
            .is_some_and(|places| places.keeps_memory());
        if self.page_cache.is_none() && !remembering {
            return;
        }
        let Some(tab) = self.tabs.iter_mut().find(|tab| tab.webview.id() == id) else {
            return;
        };
        let Some(url) = tab.webview.url() else { return };
        if tab.webview.load_status() != LoadStatus::Complete || tab.shows_saved_copy(&url) {
            return;
        }
        tab.saved_copy = None;
        if !matches!(url.scheme(), "http" | "https") || tab.copied.as_ref() == Some(&url) {
            return;
        }
        if tab.library.is_some() {
            return;
        }
        tab.copied = Some(url.clone());
        let copies = self.copies.clone();
        let script = format!(
            "(document.title === {NET_ERROR_TITLE:?} && document.body \
             && document.body.innerText.trim().startsWith({NET_ERROR_PREFIX:?})) \
             ? {{ unreachable: true }} : {COPY_SCRIPT}"
        );
        tab.webview.evaluate_javascript(script, move |result| {
            let answer = match result.map(js::to_json) {
                Ok(value) if value["unreachable"] == true => CopyAnswer::Unreachable,
                Ok(serde_json::Value::String(html)) if !html.is_empty() => CopyAnswer::Page(html),
                _ => CopyAnswer::Nothing,
            };
            copies.borrow_mut().push((id, url, answer));
        });
    }

    /// Called from `pump`: keep the copies pages sent; open saved copies for failed pages.
    pub(super) fn take_copies(&mut self) {
        let answers = std::mem::take(&mut *self.copies.borrow_mut());
        let mut changed = false;
        for (id, url, answer) in answers {
            let Some(tab) = self.tabs.iter_mut().find(|tab| tab.webview.id() == id) else {
                continue;
            };
            match answer {
                CopyAnswer::Nothing => tab.copied = None,
                CopyAnswer::Page(html) => {
                    let title = tab.webview.page_title().unwrap_or_default();
                    if let Some(cache) = &self.page_cache
                        && let Err(error) = cache.save(&url, &title, &html)
                    {
                        tracing::warn!(%error, %url, "could not keep a copy of the page");
                    }
                    // Memory reads the same copy, on its own thread.
                    if let Some(places) = &self.places {
                        places.remember(clef_agent::page::PageDocument {
                            url: url.to_string(),
                            title,
                            content_type: "text/html".to_owned(),
                            html,
                            pdf: None,
                        });
                    }
                }
                CopyAnswer::Unreachable => {
                    // The error page stays until the copy has loaded, for a moment.
                    tab.copied = None;
                    let Some(saved) = self.page_cache.as_ref().and_then(|cache| cache.find(&url))
                    else {
                        continue;
                    };
                    let Ok(file) = Url::from_file_path(&saved.file) else {
                        continue;
                    };
                    tracing::info!(%url, saved = %saved.saved_at_utc(), "offline: showing the saved copy");
                    tab.webview.load(file);
                    tab.navigating = true;
                    tab.saved_copy = Some(saved);
                    changed = true;
                }
            }
        }
        if changed {
            self.refresh_chrome();
        }
    }

    /// The saved copy the tab of `webview` shows, if it shows one.
    pub(super) fn saved_copy_in(&self, webview: WebViewId) -> Option<&SavedPage> {
        self.tabs
            .iter()
            .find(|tab| tab.webview.id() == webview)
            .and_then(|tab| tab.saved_copy.as_ref())
    }
}
