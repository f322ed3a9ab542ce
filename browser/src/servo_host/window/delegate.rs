//! What the window's webviews tell the embedder, queued for the event loop to handle.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use servo::{
    ConsoleLogLevel, CreateNewWebViewRequest, EmbedderControl, InputEventId, InputEventResult,
    LoadStatus, NavigationRequest, WebResourceLoad, WebView, WebViewDelegate, WebViewId,
};
use url::Url;

use super::super::guard::TabGuard;

/// Something that happened in a webview; handled outside Servo's callback to avoid re-entrancy.
pub(super) enum Notice {
    /// Title, URL, load status or history changed: refresh the chrome.
    Changed,
    /// The webview's navigation produced a document (a load status or a committed URL).
    Document(WebViewId),
    FrameReady(WebViewId),
    Console(WebViewId, String),
    OpenInNewTab(CreateNewWebViewRequest),
    Dialog(WebViewId, Box<EmbedderControl>),
}

/// Servo calls these only from inside `spin_event_loop`, and the UI drains the queue right
/// after each spin, so queueing needs no extra wake-up.
#[derive(Default)]
pub(super) struct WindowDelegate {
    pub(super) notices: RefCell<Vec<Notice>>,
    /// Input events Servo has finished with (the agent waits for its own).
    pub(super) handled_inputs: RefCell<HashSet<InputEventId>>,
    /// The checks on the requests of each tab a task or an MCP client drives.
    guards: RefCell<HashMap<WebViewId, Rc<TabGuard>>>,
    /// Driven tabs that asked for a new document none has arrived for yet.
    pub(super) navigation_pending: RefCell<HashSet<WebViewId>>,
}

impl WindowDelegate {
    fn push(&self, notice: Notice) {
        self.notices.borrow_mut().push(notice);
    }

    /// The tab's guard, while it checks anything.
    fn driven(&self, webview: &WebView) -> Option<Rc<TabGuard>> {
        self.guards
            .borrow()
            .get(&webview.id())
            .filter(|guard| guard.active())
            .cloned()
    }

    /// Whether a task or a client drives `webview` (its requests are checked).
    pub(super) fn is_driven(&self, webview: WebViewId) -> bool {
        self.guards
            .borrow()
            .get(&webview)
            .is_some_and(|guard| guard.active())
    }

    /// The guard of `webview`, a new one (checking nothing yet) if it had none.
    pub(super) fn guard(&self, webview: WebViewId) -> Rc<TabGuard> {
        self.guards.borrow_mut().entry(webview).or_default().clone()
    }

    /// The task or client let go of `webview`: its guard checks nothing more, except saved data
    /// still in the page shown (no guard is made for a tab that had none).
    pub(super) fn release(&self, webview: WebViewId) {
        if let Some(guard) = self.guards.borrow().get(&webview).cloned() {
            guard.set(None);
        }
    }

    /// The tab is gone: its guard with it.
    pub(super) fn forget(&self, webview: WebViewId) {
        self.guards.borrow_mut().remove(&webview);
        self.navigation_pending.borrow_mut().remove(&webview);
    }
}

impl WebViewDelegate for WindowDelegate {
    fn notify_url_changed(&self, webview: WebView, url: Url) {
        if let Some(guard) = self.driven(&webview) {
            guard.landed(&url);
        }
        self.push(Notice::Document(webview.id()));
        self.push(Notice::Changed);
    }

    fn notify_page_title_changed(&self, _: WebView, _: Option<String>) {
        self.push(Notice::Changed);
    }

    fn notify_load_status_changed(&self, webview: WebView, status: LoadStatus) {
        tracing::debug!(id = ?webview.id(), ?status, url = ?webview.url().map(String::from), "load status");
        if let Some(guard) = self.driven(&webview) {
            if status == LoadStatus::Started {
                guard.document_started();
            }
            self.navigation_pending.borrow_mut().remove(&webview.id());
        }
        self.push(Notice::Document(webview.id()));
        self.push(Notice::Changed);
    }

    fn notify_history_changed(&self, _: WebView, _: Vec<Url>, _: usize) {
        self.push(Notice::Changed);
    }

    fn notify_input_event_handled(&self, _: WebView, id: InputEventId, _: InputEventResult) {
        self.handled_inputs.borrow_mut().insert(id);
    }

    fn notify_new_frame_ready(&self, webview: WebView) {
        tracing::trace!(id = ?webview.id(), "frame ready");
        self.push(Notice::FrameReady(webview.id()));
    }

    fn notify_crashed(&self, webview: WebView, reason: String, _: Option<String>) {
        tracing::error!(webview = ?webview.id(), %reason, "page crashed");
        self.push(Notice::Changed);
    }

    fn show_console_message(&self, webview: WebView, _: ConsoleLogLevel, message: String) {
        self.push(Notice::Console(webview.id(), message));
    }

    fn request_create_new(&self, parent: WebView, request: CreateNewWebViewRequest) {
        // A driven tab opens no windows: the new one would be outside the task's checks.
        if self
            .driven(&parent)
            .is_some_and(|guard| guard.new_window_refused())
        {
            return;
        }
        self.push(Notice::OpenInNewTab(request));
    }

    fn request_navigation(&self, webview: WebView, request: NavigationRequest) {
        if let Some(guard) = self.driven(&webview) {
            guard.navigation(request);
        }
    }

    fn load_web_resource(&self, webview: WebView, load: WebResourceLoad) {
        if let Some(guard) = self.driven(&webview) {
            let document = load.request.is_for_main_frame;
            let sent = guard.resource(load);
            if document {
                let mut pending = self.navigation_pending.borrow_mut();
                if sent {
                    pending.insert(webview.id());
                } else {
                    pending.remove(&webview.id());
                }
            }
        }
    }

    fn show_embedder_control(&self, webview: WebView, control: EmbedderControl) {
        self.push(Notice::Dialog(webview.id(), Box::new(control)));
    }
}
