//! Tabs: opening, switching, closing and navigating them, and what each remembers about the
//! document it shows (how it was reached, whether the history has it).

use std::rc::Rc;

use clef_profile::Transition;
use servo::{LoadStatus, OffscreenRenderingContext, WebView, WebViewBuilder};
use url::Url;
use winit::event_loop::ActiveEventLoop;

use super::library::LibraryView;
use super::{Focus, START_PAGE, Ui};
use crate::servo_host::window::bridge;

pub(super) struct Tab {
    pub(super) webview: WebView,
    /// Each tab renders into its own surface: only the active one is painted and shown.
    pub(super) context: Rc<OffscreenRenderingContext>,
    /// What the user typed when it could not be opened; shown instead of the error page's URL.
    pub(super) failed_input: Option<String>,
    /// A navigation Clef started that has produced no document yet. Servo keeps the old page's
    /// status meanwhile and drops further loads, so this is what says the tab is busy.
    pub(super) navigating: bool,
    /// The web page whose copy was last asked for, so that each load is copied once.
    pub(super) copied: Option<Url>,
    /// The saved copy shown because the page could not be reached.
    pub(super) saved_copy: Option<crate::page_cache::SavedPage>,
    /// How the next document was reached (for the history); a link unless Clef knows better.
    pub(super) transition: Option<Transition>,
    /// The document the history last noted for this tab, and its title then.
    pub(super) recorded: Option<(Url, String)>,
    /// Clef's own page (history, bookmarks, settings) when the tab shows one: the only tab
    /// pages whose commands the window accepts, and only while they show that page.
    pub(super) library: Option<(LibraryView, Url)>,
    /// A passage to highlight once the document has loaded (a citation from memory).
    pub(super) highlight: Option<String>,
    /// The document whose media type was last asked (downloads).
    pub(super) type_checked: Option<Url>,
    /// When the media type was last asked while the document was still loading.
    pub(super) type_asked: Option<std::time::Instant>,
    /// The last document found not to be a page and downloaded.
    pub(super) downloaded: Option<Url>,
    /// The user name of the login saved for this document's site, for the key.
    pub(super) saved_login: Option<String>,
}

impl Tab {
    pub(super) fn loading(&self) -> bool {
        self.navigating || self.webview.load_status() != LoadStatus::Complete
    }

    pub(super) fn new(webview: WebView, context: Rc<OffscreenRenderingContext>) -> Self {
        Self {
            webview,
            context,
            failed_input: None,
            navigating: false,
            copied: None,
            saved_copy: None,
            transition: None,
            recorded: None,
            library: None,
            highlight: None,
            type_checked: None,
            type_asked: None,
            downloaded: None,
            saved_login: None,
        }
    }

    /// Whether the tab shows Clef's own library page (and not a page that replaced it).
    pub(super) fn shows_library(&self) -> Option<LibraryView> {
        let (view, url) = self.library.as_ref()?;
        (self.webview.url().as_ref() == Some(url)).then_some(*view)
    }
}

impl Ui {
    /// A new tab at `address` (the start page when `None`), made the active one.
    pub(super) fn open_tab(&mut self, address: Option<&str>, transition: Transition) {
        let (url, failed_input) = match address {
            Some(input) => self.resolve(input),
            None => (Url::parse(&bridge::data_url(START_PAGE)).ok(), None),
        };
        let mut tab = self.new_tab(url, failed_input);
        tab.transition = Some(transition);
        self.add_tab(tab);
    }

    /// A tab on a surface of its own, loading `url`.
    pub(super) fn new_tab(&self, url: Option<Url>, failed_input: Option<String>) -> Tab {
        let context = self.tab_context();
        let mut builder = WebViewBuilder::new(&self.servo, context.clone())
            .hidpi_scale_factor(self.scale())
            .delegate(self.delegate.clone())
            .user_content_manager(self.agent_content.clone());
        // The first URL goes in the builder: a load sent right after creation would be lost.
        if let Some(url) = url {
            builder = builder.url(url);
        }
        let mut tab = Tab::new(builder.build(), context);
        tab.failed_input = failed_input;
        tab
    }

    pub(super) fn tab_context(&self) -> Rc<OffscreenRenderingContext> {
        Rc::new(
            self.window_context
                .offscreen_context(self.layout().content.size()),
        )
    }

    pub(super) fn add_tab(&mut self, tab: Tab) {
        self.tabs.push(tab);
        self.session_changed();
        self.switch_to(self.tabs.len() - 1);
    }

    /// The URL for address-bar input: the page itself, or a local page saying why not.
    fn resolve(&self, input: &str) -> (Option<Url>, Option<String>) {
        match crate::address::parse_address_in_cwd(input) {
            Ok(url) => (Some(url), None),
            Err(error) => {
                tracing::info!(%error, "address not opened");
                (
                    Url::parse(&bridge::error_page(input, &error.to_string())).ok(),
                    Some(input.to_owned()),
                )
            }
        }
    }

    pub(super) fn switch_to(&mut self, index: usize) {
        if index >= self.tabs.len() {
            return;
        }
        self.active = index;
        // The surface may have been sized for another window size while inactive.
        if let Some(webview) = self.active_webview() {
            webview.resize(self.layout().content.size());
        }
        self.session_changed();
        self.window.request_redraw();
        self.set_focus(Focus::Content);
        self.refresh_chrome();
    }

    /// Close a tab; closing the last one closes the window, as users expect (and the session
    /// keeps that tab, to be reopened at the next start).
    pub(super) fn close_tab(&mut self, index: usize, event_loop: &ActiveEventLoop) {
        if index >= self.tabs.len() {
            return;
        }
        if self.tabs.len() == 1 {
            event_loop.exit();
            return;
        }
        self.remove_tab(index);
    }

    /// Close a tab that is not the last one.
    pub(super) fn remove_tab(&mut self, index: usize) {
        if index >= self.tabs.len() || self.tabs.len() == 1 {
            return;
        }
        let closed = self.tabs.remove(index);
        // An MCP client's tab keeps its guard until the client lets go of it (its replies are
        // still redacted by it).
        if !self.is_client_tab(closed.webview.id()) {
            self.delegate.forget(closed.webview.id());
        }
        if closed.library.is_none()
            && let Some(url) = closed.webview.url().filter(|url| url.scheme() != "data")
        {
            self.session.closed.push(url.to_string());
        }
        self.session_changed();
        let next = if index < self.active {
            self.active - 1
        } else {
            self.active.min(self.tabs.len() - 1)
        };
        self.switch_to(next);
    }

    pub(super) fn navigate(&mut self, input: &str, transition: Transition) {
        let (url, failed_input) = self.resolve(input);
        let Some(url) = url else { return };
        let Some(tab) = self.tabs.get_mut(self.active) else {
            return;
        };
        tab.saved_copy = None;
        tab.library = None;
        if !tab.navigating && tab.webview.load_status() == LoadStatus::Complete {
            tab.webview.load(url);
            tab.failed_input = failed_input;
            tab.navigating = true;
            tab.transition = Some(transition);
        } else {
            // Servo ignores loads while a navigation is pending; one that never answers would
            // wedge the tab, so a new address replaces the tab's webview instead.
            self.replace_active_tab(url, failed_input);
            if let Some(tab) = self.tabs.get_mut(self.active) {
                tab.transition = Some(transition);
            }
        }
        self.set_focus(Focus::Content);
        self.refresh_chrome();
    }

    /// A fresh webview for the active tab, loading `url` (its history is lost).
    pub(super) fn replace_active_tab(&mut self, url: Url, failed_input: Option<String>) {
        let tab = self.new_tab(Some(url), failed_input);
        if let Some(slot) = self.tabs.get_mut(self.active) {
            let replaced = std::mem::replace(slot, tab);
            if !self.is_client_tab(replaced.webview.id()) {
                self.delegate.forget(replaced.webview.id());
            }
        }
        self.switch_to(self.active);
    }
}
