//! What a headless page hears back from Servo.

use std::cell::{Cell, RefCell};
use std::collections::HashSet;

use servo::{
    ConsoleLogLevel, CreateNewWebViewRequest, EmbedderControl, InputEventId, InputEventResult,
    LoadStatus, NavigationRequest, WebResourceLoad, WebView, WebViewDelegate,
};

use super::guard::TabGuard;

#[derive(Default)]
pub(crate) struct PageDelegate {
    /// Whether the last load status was Complete (tells an error page's HeadParsed apart).
    load_complete: Cell<bool>,
    /// Bumped on every navigation start, so waits can tell an old `Complete` from a new one.
    pub(crate) loads_started: Cell<u64>,
    pub(crate) handled_inputs: RefCell<HashSet<InputEventId>>,
    pub(crate) crash: RefCell<Option<String>>,
    pub(crate) dialogs: RefCell<Vec<String>>,
    /// The agent's checks while a task drives this page.
    pub(crate) guard: TabGuard,
    /// A request for a new document has gone out and no document has arrived yet (a slow
    /// server after a form submission): the page is about to change.
    pub(crate) navigation_pending: Cell<bool>,
}

impl WebViewDelegate for PageDelegate {
    fn notify_url_changed(&self, _webview: WebView, url: url::Url) {
        tracing::debug!(%url, "url changed");
        self.guard.landed(&url);
    }

    fn notify_load_status_changed(&self, webview: WebView, status: LoadStatus) {
        tracing::debug!(?status, url = ?webview.url(), "load status");
        // A new document announces itself with Started, except Servo's synthesized error
        // pages, which go straight to HeadParsed: count whichever comes first.
        let new_document = match status {
            LoadStatus::Started => true,
            LoadStatus::HeadParsed => self.load_complete.get(),
            LoadStatus::Complete => false,
        };
        if new_document {
            self.loads_started.set(self.loads_started.get() + 1);
            self.guard.document_started();
        }
        // A document arrived (Servo's Complete alone may belong to an inert document).
        if status != LoadStatus::Complete {
            self.navigation_pending.set(false);
        }
        self.load_complete.set(status == LoadStatus::Complete);
    }

    fn request_navigation(&self, _webview: WebView, request: NavigationRequest) {
        self.guard.navigation(request);
    }

    fn load_web_resource(&self, _webview: WebView, load: WebResourceLoad) {
        if load.request.is_for_main_frame {
            self.navigation_pending.set(true);
        }
        if !self.guard.resource(load) {
            self.navigation_pending.set(false);
        }
    }

    fn request_create_new(&self, _parent: WebView, _request: CreateNewWebViewRequest) {
        // Headless pages never open windows; a driven one reports the attempt to the agent.
        let _ = self.guard.new_window_refused();
    }

    fn notify_new_frame_ready(&self, webview: WebView) {
        webview.paint();
    }

    fn notify_input_event_handled(&self, _: WebView, id: InputEventId, _: InputEventResult) {
        self.handled_inputs.borrow_mut().insert(id);
    }

    fn notify_crashed(&self, _webview: WebView, reason: String, _backtrace: Option<String>) {
        tracing::error!(%reason, "page crashed");
        *self.crash.borrow_mut() = Some(reason);
    }

    fn show_embedder_control(&self, _webview: WebView, control: EmbedderControl) {
        // Headless: nobody can answer a dialog, so record it and take the safe default
        // (alert dismissed, confirm and prompt refused). Dropping other controls cancels them.
        if let EmbedderControl::SimpleDialog(dialog) = control {
            let message = super::events::answer_safely(dialog);
            tracing::info!(%message, "dialog dismissed (headless)");
            self.dialogs.borrow_mut().push(message);
        }
    }

    fn show_console_message(&self, _webview: WebView, level: ConsoleLogLevel, message: String) {
        tracing::debug!(?level, %message, "page console");
    }
}
