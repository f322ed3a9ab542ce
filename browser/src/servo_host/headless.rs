//! Headless browsing on Servo's software renderer: the API tests, the CLI and the agent use.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use dpi::PhysicalSize;
use servo::{
    DevicePoint, InputEvent, LoadStatus, RenderingContext, SoftwareRenderingContext, WebView,
    WebViewBuilder,
};
use url::Url;

use super::delegate::PageDelegate;
use super::runtime::Runtime;
use super::{CERT_ERROR_TITLE, NET_ERROR_PREFIX, NET_ERROR_TITLE, events, js};
use crate::BrowserError;
use crate::keys::NamedKey;
use crate::page_cache::{COPY_SCRIPT, PageCache, SavedPage};

/// How headless pages are created.
#[derive(Debug, Clone)]
pub struct HeadlessOptions {
    /// Viewport size in CSS pixels (the device scale is 1).
    pub viewport: (u32, u32),
    /// How long a navigation may take before it counts as never finishing.
    pub load_timeout: Duration,
    /// How long one script, input event or screenshot may take.
    pub step_timeout: Duration,
}

impl Default for HeadlessOptions {
    fn default() -> Self {
        Self {
            viewport: (1024, 768),
            load_timeout: Duration::from_secs(30),
            step_timeout: Duration::from_secs(10),
        }
    }
}

/// What a completed navigation reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loaded {
    pub url: String,
    pub title: String,
}

/// What [`Page::goto_keeping_copies`] opened: the page itself, or its saved copy when the
/// network could not reach it.
#[derive(Debug, Clone)]
pub struct Opened {
    pub loaded: Loaded,
    /// The copy shown instead, and why the page itself could not be loaded.
    pub saved_copy: Option<(SavedPage, String)>,
}

/// The headless browser: one Servo instance; create any number of pages from it.
///
/// Servo is single-threaded: a `Headless` and its pages stay on the thread that made them.
pub struct Headless {
    runtime: Rc<Runtime>,
    options: HeadlessOptions,
}

impl Headless {
    pub fn new(options: HeadlessOptions) -> Self {
        Self {
            runtime: Rc::new(Runtime::new()),
            options,
        }
    }

    /// A blank page with its own offscreen surface.
    pub fn new_page(&self) -> Result<Page, BrowserError> {
        let (width, height) = self.options.viewport;
        let context = SoftwareRenderingContext::new(PhysicalSize::new(width, height))
            .map_err(|error| BrowserError::Rendering(format!("{error:?}")))?;
        let context: Rc<dyn RenderingContext> = Rc::new(context);
        context
            .make_current()
            .map_err(|error| BrowserError::Rendering(format!("{error:?}")))?;
        let delegate = Rc::new(PageDelegate::default());
        let webview = blank_webview(
            &self.runtime,
            &context,
            &delegate,
            self.options.step_timeout,
        )?;
        Ok(Page {
            webview: RefCell::new(webview),
            delegate,
            context,
            runtime: self.runtime.clone(),
            options: RefCell::new(self.options.clone()),
        })
    }

    /// A new page navigated to `address` (URL, host name or file path).
    pub fn open(&self, address: &str) -> Result<Page, BrowserError> {
        let page = self.new_page()?;
        page.goto(address)?;
        Ok(page)
    }
}

/// A webview showing about:blank, ready for loads.
fn blank_webview(
    runtime: &Runtime,
    context: &Rc<dyn RenderingContext>,
    delegate: &Rc<PageDelegate>,
    timeout: Duration,
) -> Result<WebView, BrowserError> {
    let webview = WebViewBuilder::new(&runtime.servo, context.clone())
        .delegate(delegate.clone())
        .user_content_manager(runtime.agent_content.clone())
        .build();
    // A load sent before the initial about:blank exists is dropped by the constellation.
    runtime.spin_until("a new page", timeout, || {
        webview.load_status() == LoadStatus::Complete
    })?;
    Ok(webview)
}

/// One headless tab.
pub struct Page {
    // Field order matters: the webview must drop before the runtime that owns Servo.
    webview: RefCell<WebView>,
    delegate: Rc<PageDelegate>,
    context: Rc<dyn RenderingContext>,
    runtime: Rc<Runtime>,
    options: RefCell<HeadlessOptions>,
}

impl Page {
    /// Navigate and wait for load complete. An error page, an HTTP error status or a timeout
    /// comes back as an error; the page stays usable (showing what Servo rendered).
    pub fn goto(&self, address: &str) -> Result<Loaded, BrowserError> {
        self.navigate(crate::address::parse_address_in_cwd(address)?)
    }

    /// Like [`goto`](Self::goto), and keep a copy of each web page in `cache`; where the network
    /// cannot reach a page (the machine is offline), open its saved copy instead.
    pub fn goto_keeping_copies(
        &self,
        address: &str,
        cache: &PageCache,
    ) -> Result<Opened, BrowserError> {
        let url = crate::address::parse_address_in_cwd(address)?;
        match self.navigate(url.clone()) {
            Ok(loaded) => {
                self.keep_copy(&url, &loaded, cache);
                Ok(Opened {
                    loaded,
                    saved_copy: None,
                })
            }
            Err(BrowserError::Network {
                url: address,
                reason,
            }) => {
                let Some(saved) = cache.find(&url) else {
                    return Err(BrowserError::Network {
                        url: address,
                        reason,
                    });
                };
                let copy = Url::from_file_path(&saved.file)
                    .map_err(|()| BrowserError::MissingFile(saved.file.display().to_string()))?;
                let loaded = self.navigate(copy)?;
                Ok(Opened {
                    loaded,
                    saved_copy: Some((saved, reason)),
                })
            }
            Err(error) => Err(error),
        }
    }

    /// A failed copy costs the user nothing now, so it is logged rather than returned.
    fn keep_copy(&self, url: &Url, loaded: &Loaded, cache: &PageCache) {
        if !matches!(url.scheme(), "http" | "https") {
            return;
        }
        // Kept under the address asked for, which is what the user will ask for again.
        let saved = self
            .evaluate(COPY_SCRIPT)
            .map_err(|error| error.to_string())
            .and_then(|html| {
                // An empty copy would later stand in for the page: keep none rather than that.
                let html = html
                    .as_str()
                    .filter(|html| !html.is_empty())
                    .ok_or_else(|| "the page gave no HTML".to_owned())?;
                cache
                    .save(url, &loaded.title, html)
                    .map_err(|error| error.to_string())
            });
        if let Err(error) = saved {
            tracing::warn!(%error, url = %loaded.url, "could not keep a copy of the page");
        }
    }

    fn navigate(&self, url: Url) -> Result<Loaded, BrowserError> {
        if url.scheme() == "file" {
            let exists = url.to_file_path().is_ok_and(|path| path.exists());
            if !exists {
                return Err(BrowserError::MissingFile(url.path().to_owned()));
            }
        }
        let started = self.delegate.loads_started.get();
        self.webview().load(url.clone());
        self.wait_for_new_load(started, url.as_str())?;
        self.check_loaded(&url)
    }

    /// Wait until a load that began after `started` completes.
    fn wait_for_new_load(&self, started: u64, url: &str) -> Result<(), BrowserError> {
        let timeout = self.options.borrow().load_timeout;
        let result = self.runtime.spin_until("page load", timeout, || {
            self.delegate.crash.borrow().is_some()
                || (self.delegate.loads_started.get() > started
                    && self.webview().load_status() == LoadStatus::Complete)
        });
        if let Some(reason) = self.delegate.crash.borrow_mut().take() {
            return Err(BrowserError::Crashed(reason));
        }
        if result.is_err() || !self.document_complete(timeout) {
            self.abandon_navigation()?;
            return Err(BrowserError::LoadTimeout {
                url: url.to_owned(),
                timeout,
            });
        }
        Ok(())
    }

    /// Whether the document now shown reaches `readyState == "complete"` within `timeout`.
    /// Servo's `Complete` may belong to another document than the one now shown (see
    /// docs/architecture.md), so the document itself is asked.
    fn document_complete(&self, timeout: Duration) -> bool {
        let started = std::time::Instant::now();
        let deadline = started + timeout;
        loop {
            match self.evaluate_with_timeout("document.readyState", Duration::from_secs(2)) {
                Ok(state) if state.as_str() == Some("complete") => return true,
                // No script can run in this document: nothing to wait for.
                Err(BrowserError::Script { .. }) => return true,
                Err(BrowserError::ScriptUnavailable(_))
                    if started.elapsed() > Duration::from_secs(1) =>
                {
                    return true;
                }
                _ => {}
            }
            if std::time::Instant::now() >= deadline {
                return false;
            }
            self.runtime.spin_for(Duration::from_millis(20));
        }
    }

    /// Run `action` (a click on a link, Enter in a form) and wait for the navigation it
    /// starts to complete.
    pub fn expect_navigation(
        &self,
        action: impl FnOnce(&Self) -> Result<(), BrowserError>,
    ) -> Result<Loaded, BrowserError> {
        let started = self.delegate.loads_started.get();
        action(self)?;
        let url = self.url().unwrap_or_default();
        self.wait_for_new_load(started, &url)?;
        Ok(self.loaded())
    }

    /// Wait for the current navigation (e.g. one a click started) to complete: a new document
    /// asked for and not yet arrived (a slow server) counts as in progress.
    pub fn wait_for_load(&self, timeout: Duration) -> Result<Loaded, BrowserError> {
        self.runtime.spin_until("page load", timeout, || {
            !self.delegate.navigation_pending.get()
                && self.webview().load_status() == LoadStatus::Complete
        })?;
        if !self.document_complete(timeout) {
            return Err(BrowserError::Timeout {
                what: "page load".to_owned(),
                timeout,
            });
        }
        Ok(self.loaded())
    }

    /// How long navigations of this page may take before they count as never finishing.
    pub fn set_load_timeout(&self, timeout: Duration) {
        self.options.borrow_mut().load_timeout = timeout;
    }

    /// Stop loading (the user's Stop button): a page that has arrived stops fetching more.
    pub fn stop(&self) {
        let _ = self.evaluate_with_timeout("window.stop()", Duration::from_secs(2));
    }

    /// Servo ignores new loads while a navigation is pending, so a navigation that never
    /// answers would wedge the page: replace the webview with a fresh one (history is lost).
    fn abandon_navigation(&self) -> Result<(), BrowserError> {
        self.stop();
        let timeout = self.options.borrow().step_timeout;
        let fresh = blank_webview(&self.runtime, &self.context, &self.delegate, timeout)?;
        self.delegate.navigation_pending.set(false);
        let stuck = self.webview.replace(fresh);
        drop(stuck);
        Ok(())
    }

    fn webview(&self) -> WebView {
        self.webview.borrow().clone()
    }

    fn loaded(&self) -> Loaded {
        Loaded {
            url: self.url().unwrap_or_default(),
            title: self.title().unwrap_or_default(),
        }
    }

    /// Turn Servo's error pages and HTTP error statuses into errors.
    fn check_loaded(&self, requested: &Url) -> Result<Loaded, BrowserError> {
        let loaded = self.loaded();
        let probe = self.evaluate(
            "[document.title, document.body ? document.body.innerText.slice(0, 2000) : '']",
        )?;
        let title = probe[0].as_str().unwrap_or_default();
        let text = probe[1].as_str().unwrap_or_default().trim();
        let url = requested.to_string();
        if title == NET_ERROR_TITLE
            && let Some(reason) = text.strip_prefix(NET_ERROR_PREFIX)
        {
            let reason = reason.trim().to_owned();
            if reason.contains("Certificate") || reason.contains("Ssl") || reason.contains("TLS") {
                return Err(BrowserError::Tls { url, reason });
            }
            return Err(BrowserError::Network { url, reason });
        }
        if title == CERT_ERROR_TITLE {
            let reason = text
                .lines()
                .next()
                .unwrap_or("certificate rejected")
                .to_owned();
            return Err(BrowserError::Tls { url, reason });
        }
        if matches!(requested.scheme(), "http" | "https")
            && let Some(status) = self.http_status()
            && status >= 400
        {
            return Err(BrowserError::HttpStatus {
                url: loaded.url,
                status,
            });
        }
        Ok(loaded)
    }

    /// The document's HTTP status. Servo does not expose the navigation response's status,
    /// so ask the same URL again with a same-origin HEAD request.
    fn http_status(&self) -> Option<u16> {
        let script = "(() => { try { const r = new XMLHttpRequest(); \
            r.open('HEAD', location.href, false); r.send(); return r.status; } \
            catch (e) { return 0; } })()";
        let status = self.evaluate(script).ok()?.as_u64()?;
        u16::try_from(status).ok().filter(|status| *status > 0)
    }

    /// Evaluate JavaScript in the page and return its value as JSON.
    pub fn evaluate(&self, script: &str) -> Result<serde_json::Value, BrowserError> {
        self.evaluate_with_timeout(script, self.options.borrow().step_timeout)
    }

    fn evaluate_with_timeout(
        &self,
        script: &str,
        timeout: Duration,
    ) -> Result<serde_json::Value, BrowserError> {
        let result = Rc::new(RefCell::new(None));
        let sink = result.clone();
        self.webview()
            .evaluate_javascript(script, move |value| *sink.borrow_mut() = Some(value));
        self.runtime
            .spin_until("a script", timeout, || result.borrow().is_some())?;
        match result.borrow_mut().take() {
            Some(Ok(value)) => Ok(js::to_json(value)),
            Some(Err(error)) => Err(js::to_error(error)),
            None => Err(BrowserError::ScriptUnavailable("no result".to_owned())),
        }
    }

    /// The page's visible text (`innerText` of the body).
    pub fn visible_text(&self) -> Result<String, BrowserError> {
        let text = self.evaluate("document.body ? document.body.innerText : ''")?;
        Ok(text.as_str().unwrap_or_default().to_owned())
    }

    fn device_point(&self, x: f32, y: f32) -> DevicePoint {
        let scale = self.webview().device_pixels_per_css_pixel().get();
        DevicePoint::new(x * scale, y * scale)
    }

    /// Send real input events and wait until Servo has handled each.
    fn send(&self, events: impl IntoIterator<Item = InputEvent>) -> Result<(), BrowserError> {
        let ids: Vec<_> = events
            .into_iter()
            .map(|event| self.webview().notify_input_event(event))
            .collect();
        self.runtime
            .spin_until("input events", self.options.borrow().step_timeout, || {
                let handled = self.delegate.handled_inputs.borrow();
                ids.iter().all(|id| handled.contains(id))
            })?;
        let mut handled = self.delegate.handled_inputs.borrow_mut();
        for id in &ids {
            handled.remove(id);
        }
        Ok(())
    }

    /// Click with the primary mouse button at a point in CSS pixels of the viewport.
    pub fn click(&self, x: f32, y: f32) -> Result<(), BrowserError> {
        self.send(events::click(self.device_point(x, y)))
    }

    /// Type text into whatever has focus, as key presses.
    pub fn type_text(&self, text: &str) -> Result<(), BrowserError> {
        self.send(events::typing(text))
    }

    pub fn press_key(&self, key: NamedKey) -> Result<(), BrowserError> {
        self.send(events::key_press(events::servo_key(key)))
    }

    /// Move the mouse to a point in CSS pixels (hover effects, menus that open on hover).
    pub fn hover(&self, x: f32, y: f32) -> Result<(), BrowserError> {
        self.send([events::mouse_move(self.device_point(x, y))])
    }

    /// Scroll with the mouse wheel at a point; positive `dy` scrolls down.
    pub fn scroll(&self, x: f32, y: f32, dx: f64, dy: f64) -> Result<(), BrowserError> {
        let point = self.device_point(x, y);
        self.send([events::mouse_move(point), events::wheel(point, dx, dy)])
    }

    /// Let timers, animations and layout run for a while.
    pub fn settle(&self, duration: Duration) {
        self.runtime.spin_for(duration);
    }

    /// Screenshot of the viewport, once images, fonts and styles have loaded.
    pub fn screenshot(&self) -> Result<image::RgbaImage, BrowserError> {
        let result = Rc::new(RefCell::new(None));
        let sink = result.clone();
        self.webview()
            .take_screenshot(None, move |image| *sink.borrow_mut() = Some(image));
        self.runtime
            .spin_until("a screenshot", self.options.borrow().step_timeout, || {
                result.borrow().is_some()
            })?;
        match result.borrow_mut().take() {
            Some(Ok(image)) => Ok(image),
            Some(Err(error)) => Err(BrowserError::Rendering(format!("{error:?}"))),
            None => Err(BrowserError::Rendering("no screenshot".to_owned())),
        }
    }

    pub fn url(&self) -> Option<String> {
        self.webview().url().map(String::from)
    }

    pub fn title(&self) -> Option<String> {
        self.webview().page_title()
    }

    /// Messages of dialogs (alert/confirm/prompt) the page opened; headless dismisses them.
    /// While `egress` is set, every navigation and request of this page is checked against it
    /// before it leaves (the agent drives the page); `None` lets the page go.
    pub fn guard(&self, egress: Option<clef_agent::act::Egress>) {
        self.delegate.guard.set(egress);
    }

    /// `value` is typed for `origin`: the guard keeps it from other origins. False when the
    /// page has no guard (no task drives it), so nothing could be bound.
    pub fn protect(&self, value: &str, origin: &str, what: &str) -> bool {
        self.delegate.guard.protect(value, origin, what)
    }

    /// Guard the page under `policy` from now on, keeping the saved values already bound to
    /// their origins (a client driving the page over MCP, between and after tasks).
    pub fn resume_guard(&self, policy: clef_agent::act::Policy) {
        self.delegate.guard.resume(policy);
    }

    /// `text` with every saved value typed into this page replaced by what it is.
    pub fn redact(&self, text: &str) -> String {
        self.delegate.guard.redact(text)
    }

    /// Whether saved data the agent typed sits in the document shown.
    pub fn holds_saved_data(&self) -> bool {
        self.delegate.guard.holds_saved_data()
    }

    /// Whether the engine checks this page's navigations and requests.
    pub fn guarded(&self) -> bool {
        self.delegate.guard.active()
    }

    /// What the guard blocked since the last call, a reason each.
    pub fn take_blocked(&self) -> Vec<String> {
        self.delegate.guard.take_blocked()
    }

    pub fn dialogs(&self) -> Vec<String> {
        self.delegate.dialogs.borrow().clone()
    }

    /// The dialogs' messages after the first `seen`, and how many there are in all.
    pub fn dialogs_since(&self, seen: usize) -> (Vec<String>, usize) {
        let dialogs = self.delegate.dialogs.borrow();
        (
            dialogs
                .get(seen..)
                .map(<[String]>::to_vec)
                .unwrap_or_default(),
            dialogs.len(),
        )
    }

    pub fn back(&self) -> Result<Loaded, BrowserError> {
        if !self.webview().can_go_back() {
            return Err(BrowserError::NoHistory("back"));
        }
        let started = self.delegate.loads_started.get();
        self.webview().go_back(1);
        self.wait_for_traversal(started)
    }

    pub fn forward(&self) -> Result<Loaded, BrowserError> {
        if !self.webview().can_go_forward() {
            return Err(BrowserError::NoHistory("forward"));
        }
        let started = self.delegate.loads_started.get();
        self.webview().go_forward(1);
        self.wait_for_traversal(started)
    }

    pub fn reload(&self) -> Result<Loaded, BrowserError> {
        // `reload` marks the load as started itself (without notifying), so wait for Complete.
        self.webview().reload();
        self.wait_for_load(self.options.borrow().load_timeout)
    }

    /// History traversal may restore a page without a new load; wait until the URL and the
    /// title the embedder sees are those of the document now showing.
    fn wait_for_traversal(&self, started: u64) -> Result<Loaded, BrowserError> {
        let before = self.url();
        let timeout = self.options.borrow().load_timeout;
        self.runtime.spin_until("history traversal", timeout, || {
            self.url() != before
                || (self.delegate.loads_started.get() > started
                    && self.webview().load_status() == LoadStatus::Complete)
        })?;
        self.wait_for_load(timeout)?;
        let document_title = self.evaluate("document.title")?;
        let document_title = document_title.as_str().unwrap_or_default().to_owned();
        self.runtime.spin_until("the page title", timeout, || {
            self.title().unwrap_or_default() == document_title
        })?;
        Ok(self.loaded())
    }
}
