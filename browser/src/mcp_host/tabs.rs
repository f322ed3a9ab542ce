//! The tabs an MCP client drives: headless pages of `clef mcp`, or tabs of the visible window
//! with `clef mcp --window`. The host speaks to both through [`DrivenTab`]; the engine's checks
//! (the guard) live with the tab either way.

use std::time::Duration;

use clef_agent::act::{ActPage, Egress, Policy};

use crate::assistant::HeadlessAccess;
use crate::{Headless, Page};

/// One tab as the host uses it.
pub trait DrivenTab {
    /// The page as the agent reads and acts on it (snapshots, input events).
    fn access(&self) -> Box<dyn ActPage + '_>;
    /// Open `url` and wait for it; where it landed.
    fn goto(&self, url: &str) -> Result<String, String>;
    /// Back one page in the tab's history; where it landed.
    fn back(&self) -> Result<String, String>;
    fn url(&self) -> Option<String>;
    fn title(&self) -> Option<String>;
    /// The page's visible text (`innerText` of the body).
    fn visible_text(&self) -> Result<String, String>;
    fn evaluate(&self, script: &str) -> Result<serde_json::Value, String>;
    /// Let timers, animations and layout run for a while.
    fn settle(&self, duration: Duration);
    fn hover(&self, x: f64, y: f64) -> Result<(), String>;
    fn screenshot(&self) -> Result<image::RgbaImage, String>;
    /// Check the tab's requests against `egress` from now on (`None`: no checks).
    fn guard(&self, egress: Option<Egress>);
    /// Guard under `policy`, keeping saved values already bound to their origins.
    fn resume_guard(&self, policy: Policy);
    /// `text` with every saved value typed into this tab replaced by what it is.
    fn redact(&self, text: &str) -> String;
    /// Whether saved data typed by the agent sits in the document shown.
    fn holds_saved_data(&self) -> bool;
    /// What the guard blocked since the last call, a reason each.
    fn take_blocked(&self) -> Vec<String>;
    /// The client made this its current tab (a window brings it to the front).
    fn show(&self) {}
    /// The client closed the tab (dropped without this, a window's tab stays, the user's).
    fn close(self: Box<Self>) {}
}

/// Where the host's tabs come from, and what the person watching is told.
pub trait TabSource {
    fn open(&mut self) -> Result<Box<dyn DrivenTab>, String>;
    /// One line for the person watching: which client did what (a window's pane lists it).
    fn note(&mut self, _line: &str) {}
}

/// `clef mcp`: pages of a headless Servo on this thread.
pub struct HeadlessTabs(pub Headless);

impl TabSource for HeadlessTabs {
    fn open(&mut self) -> Result<Box<dyn DrivenTab>, String> {
        let page = self.0.new_page().map_err(|error| error.to_string())?;
        Ok(Box::new(page))
    }
}

impl DrivenTab for Page {
    fn access(&self) -> Box<dyn ActPage + '_> {
        Box::new(HeadlessAccess::new(self))
    }

    fn goto(&self, url: &str) -> Result<String, String> {
        Page::goto(self, url)
            .map(|loaded| loaded.url)
            .map_err(|error| error.to_string())
    }

    fn back(&self) -> Result<String, String> {
        Page::back(self)
            .map(|loaded| loaded.url)
            .map_err(|error| error.to_string())
    }

    fn url(&self) -> Option<String> {
        Page::url(self)
    }

    fn title(&self) -> Option<String> {
        Page::title(self)
    }

    fn visible_text(&self) -> Result<String, String> {
        Page::visible_text(self).map_err(|error| error.to_string())
    }

    fn evaluate(&self, script: &str) -> Result<serde_json::Value, String> {
        Page::evaluate(self, script).map_err(|error| error.to_string())
    }

    fn settle(&self, duration: Duration) {
        Page::settle(self, duration);
    }

    fn hover(&self, x: f64, y: f64) -> Result<(), String> {
        Page::hover(self, x as f32, y as f32).map_err(|error| error.to_string())
    }

    fn screenshot(&self) -> Result<image::RgbaImage, String> {
        Page::screenshot(self).map_err(|error| error.to_string())
    }

    fn guard(&self, egress: Option<Egress>) {
        Page::guard(self, egress);
    }

    fn resume_guard(&self, policy: Policy) {
        Page::resume_guard(self, policy);
    }

    fn redact(&self, text: &str) -> String {
        Page::redact(self, text)
    }

    fn holds_saved_data(&self) -> bool {
        Page::holds_saved_data(self)
    }

    fn take_blocked(&self) -> Vec<String> {
        Page::take_blocked(self)
    }
}
