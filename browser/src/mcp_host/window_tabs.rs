//! `clef mcp --window`: the client's tabs are tabs of the visible window. The server runs on a
//! thread of its own and asks the UI thread, which owns Servo, for each operation, as the
//! pane's agent does ([`RemotePage`]); the user watches each call listed in the pane, and may
//! pause the client, use the page by hand, and let it go on.

use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use base64::Engine as _;
use clef_agent::act::{ActPage, Egress, Policy};

use super::tabs::{DrivenTab, TabSource};
use crate::assistant::{Checks, PageOp, PageRequest, RemotePage, TabKey};

/// The waker the window installs once its event loop runs.
type WakeSlot = Arc<OnceLock<Arc<dyn Fn() + Send + Sync>>>;

/// The window's end: the clients' requests, and where to put its waker.
pub struct WindowEnd {
    pub requests: Receiver<PageRequest>,
    wake: WakeSlot,
}

impl std::fmt::Debug for WindowEnd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WindowEnd")
    }
}

impl WindowEnd {
    /// From now on each request wakes the window's event loop with `wake`.
    pub fn set_wake(&self, wake: Arc<dyn Fn() + Send + Sync>) {
        let _ = self.wake.set(wake);
    }
}

/// The server's end: opens tabs in the window.
pub struct WindowTabs {
    requests: Sender<PageRequest>,
    wake: WakeSlot,
}

/// A connected pair: the server keeps [`WindowTabs`], the window [`WindowEnd`].
pub fn link() -> (WindowTabs, WindowEnd) {
    let (requests, received) = mpsc::channel();
    let wake = WakeSlot::default();
    (
        WindowTabs {
            requests,
            wake: wake.clone(),
        },
        WindowEnd {
            requests: received,
            wake,
        },
    )
}

impl WindowTabs {
    /// Wakes the window's event loop (once it runs): after the server has ended, so that the
    /// window sees it gone.
    pub fn waker(&self) -> Arc<dyn Fn() + Send + Sync> {
        let slot = self.wake.clone();
        Arc::new(move || {
            if let Some(wake) = slot.get() {
                wake();
            }
        })
    }

    fn remote(&self, tab: Option<TabKey>) -> RemotePage {
        let wake = self.waker();
        match tab {
            Some(tab) => RemotePage::for_tab(self.requests.clone(), wake, tab),
            None => RemotePage::new(self.requests.clone(), wake),
        }
    }
}

impl TabSource for WindowTabs {
    fn open(&mut self) -> Result<Box<dyn DrivenTab>, String> {
        let key = self
            .remote(None)
            .call(PageOp::OpenTab)
            .map_err(|error| error.0)?
            .as_u64()
            .ok_or("the window opened no tab")?;
        let tab = WindowTab {
            page: self.remote(Some(key)),
            closed: std::cell::Cell::new(false),
        };
        // A load sent before the new tab's blank page exists would be lost.
        tab.call(PageOp::WaitForLoad)?;
        Ok(Box::new(tab))
    }

    fn note(&mut self, line: &str) {
        self.remote(None).tell(PageOp::Note(line.to_owned()));
    }
}

/// One of the window's tabs, driven by the client.
struct WindowTab {
    page: RemotePage,
    closed: std::cell::Cell<bool>,
}

impl WindowTab {
    fn call(&self, op: PageOp) -> Result<serde_json::Value, String> {
        self.page.call(op).map_err(|error| error.0)
    }

    fn landed(&self) -> Result<String, String> {
        self.url().ok_or_else(|| "the tab shows no page".to_owned())
    }
}

impl DrivenTab for WindowTab {
    fn access(&self) -> Box<dyn ActPage + '_> {
        Box::new(self.page.clone())
    }

    fn goto(&self, url: &str) -> Result<String, String> {
        self.call(PageOp::Goto(url.to_owned()))?;
        self.landed()
    }

    fn back(&self) -> Result<String, String> {
        self.call(PageOp::Back)?;
        self.landed()
    }

    fn url(&self) -> Option<String> {
        let info = self.call(PageOp::Info).ok()?;
        info["url"].as_str().map(str::to_owned)
    }

    fn title(&self) -> Option<String> {
        let info = self.call(PageOp::Info).ok()?;
        info["title"].as_str().map(str::to_owned)
    }

    fn visible_text(&self) -> Result<String, String> {
        let text = self.evaluate("document.body ? document.body.innerText : ''")?;
        Ok(text.as_str().unwrap_or_default().to_owned())
    }

    fn evaluate(&self, script: &str) -> Result<serde_json::Value, String> {
        self.call(PageOp::Evaluate(script.to_owned()))
    }

    fn settle(&self, duration: Duration) {
        // The UI thread keeps Servo running meanwhile.
        std::thread::sleep(duration);
        let _ = self.call(PageOp::WaitForLoad);
    }

    fn hover(&self, x: f64, y: f64) -> Result<(), String> {
        self.call(PageOp::Hover { x, y }).map(|_| ())
    }

    fn screenshot(&self) -> Result<image::RgbaImage, String> {
        let encoded = self.call(PageOp::Screenshot)?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(encoded.as_str().unwrap_or_default())
            .map_err(|error| format!("the window's screenshot: {error}"))?;
        image::load_from_memory_with_format(&bytes, image::ImageFormat::Png)
            .map(|image| image.to_rgba8())
            .map_err(|error| format!("the window's screenshot: {error}"))
    }

    fn guard(&self, egress: Option<Egress>) {
        if let Err(error) = self.call(PageOp::Guard(egress)) {
            tracing::warn!(%error, "the window did not guard the client's tab");
        }
    }

    fn resume_guard(&self, policy: Policy) {
        if let Err(error) = self.call(PageOp::ResumeGuard(Checks(policy))) {
            tracing::warn!(%error, "the window did not guard the client's tab");
        }
    }

    fn redact(&self, text: &str) -> String {
        self.page.redact(text)
    }

    fn holds_saved_data(&self) -> bool {
        // Unknown counts as yes: nothing is read back.
        self.call(PageOp::HoldsSavedData)
            .map(|held| held.as_bool().unwrap_or(true))
            .unwrap_or(true)
    }

    fn take_blocked(&self) -> Vec<String> {
        self.page.clone().take_blocked()
    }

    fn show(&self) {
        if let Err(error) = self.call(PageOp::ShowTab) {
            tracing::warn!(%error, "the window did not show the client's tab");
        }
    }

    fn close(self: Box<Self>) {
        self.closed.set(true);
        self.page.tell(PageOp::CloseTab);
    }
}

impl Drop for WindowTab {
    /// A tab the client let go of without closing it stays open: the user's again.
    fn drop(&mut self) {
        if !self.closed.get() {
            self.page.tell(PageOp::ReleaseTab);
        }
    }
}
