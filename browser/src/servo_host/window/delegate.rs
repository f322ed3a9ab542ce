//! What the window's webviews tell the embedder, queued for the event loop to handle.

use std::cell::RefCell;

use servo::{
    ConsoleLogLevel, CreateNewWebViewRequest, EmbedderControl, LoadStatus, WebView,
    WebViewDelegate, WebViewId,
};
use url::Url;
use winit::event_loop::EventLoopProxy;

/// Something that happened in a webview; handled outside Servo's callback to avoid re-entrancy.
pub(super) enum Notice {
    /// Title, URL, load status or history changed: refresh the chrome.
    Changed,
    FrameReady,
    Console(WebViewId, String),
    OpenInNewTab(CreateNewWebViewRequest),
    Dialog(WebViewId, EmbedderControl),
}

pub(super) struct WindowDelegate {
    pub(super) notices: RefCell<Vec<Notice>>,
    proxy: EventLoopProxy<super::Wake>,
}

impl WindowDelegate {
    pub(super) fn new(proxy: EventLoopProxy<super::Wake>) -> Self {
        Self { notices: RefCell::default(), proxy }
    }

    fn push(&self, notice: Notice) {
        self.notices.borrow_mut().push(notice);
        // The loop may be idle; wake it so the notice is handled now.
        let _ = self.proxy.send_event(super::Wake);
    }
}

impl WebViewDelegate for WindowDelegate {
    fn notify_url_changed(&self, _: WebView, _: Url) {
        self.push(Notice::Changed);
    }

    fn notify_page_title_changed(&self, _: WebView, _: Option<String>) {
        self.push(Notice::Changed);
    }

    fn notify_load_status_changed(&self, _: WebView, _: LoadStatus) {
        self.push(Notice::Changed);
    }

    fn notify_history_changed(&self, _: WebView, _: Vec<Url>, _: usize) {
        self.push(Notice::Changed);
    }

    fn notify_new_frame_ready(&self, _: WebView) {
        self.push(Notice::FrameReady);
    }

    fn notify_crashed(&self, webview: WebView, reason: String, _: Option<String>) {
        tracing::error!(webview = ?webview.id(), %reason, "page crashed");
        self.push(Notice::Changed);
    }

    fn show_console_message(&self, webview: WebView, _: ConsoleLogLevel, message: String) {
        self.push(Notice::Console(webview.id(), message));
    }

    fn request_create_new(&self, _: WebView, request: CreateNewWebViewRequest) {
        self.push(Notice::OpenInNewTab(request));
    }

    fn show_embedder_control(&self, webview: WebView, control: EmbedderControl) {
        self.push(Notice::Dialog(webview.id(), control));
    }
}
