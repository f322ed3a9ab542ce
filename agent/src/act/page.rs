//! The page as the agent acts on it: real input events, the engine's guard, and what the page
//! says of itself after a step (error messages, an HTTP error page).

use std::time::Duration;

use crate::page::{PageAccess, PageError};

use super::egress::Egress;

/// A page the agent can act on, with real input events.
pub trait ActPage: PageAccess {
    fn click_at(&mut self, x: f64, y: f64) -> Result<(), PageError>;
    fn type_text(&mut self, text: &str) -> Result<(), PageError>;
    fn press_key(&mut self, key: &str) -> Result<(), PageError>;
    fn scroll_by(&mut self, dy: f64) -> Result<(), PageError>;
    fn goto(&mut self, url: &str) -> Result<(), PageError>;
    fn back(&mut self) -> Result<(), PageError>;
    /// Let the page react; wait for a navigation an action started.
    fn settle(&mut self);
    /// Let the page run for `duration` (timers, animations, a slow response).
    fn wait(&mut self, duration: Duration);
    /// Messages of dialogs the page opened since the last call.
    fn take_dialogs(&mut self) -> Vec<String>;
    /// From now on the engine checks each navigation and request of this page (`None`: the
    /// agent let go of it). A page that cannot be guarded is an error: the task does not start.
    fn guard(&mut self, egress: Option<Egress>) -> Result<(), PageError>;
    /// `value` (saved data, named `what`) is about to be typed for `origin`: the engine keeps
    /// it there. An error means it could not, and the value is not typed.
    fn protect(&mut self, value: &str, origin: &str, what: &str) -> Result<(), PageError>;
    /// What the engine blocked since the last call, a reason each.
    fn take_blocked(&mut self) -> Vec<String>;
    /// `text` with the saved values typed into this page replaced by what they are (a site may
    /// put one in its address); pages the engine does not guard change nothing.
    fn redact(&self, text: &str) -> String {
        text.to_owned()
    }
}

/// Error messages the page shows (alerts, invalid fields), joined; empty when none.
pub fn page_errors(page: &mut dyn ActPage) -> String {
    const SCRIPT: &str = "Array.from(document.querySelectorAll('[role=alert], [aria-live=assertive], .error, .errors, .invalid-feedback, .field-error, [aria-invalid=true] + *')).filter((e) => e.offsetParent !== null).map((e) => e.textContent.replace(/\\s+/g, ' ').trim()).filter(Boolean).join(' | ')";
    page.evaluate(SCRIPT)
        .ok()
        .and_then(|value| value.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The title of an HTTP error page ("404 Not Found", "Page not found"), if this is one.
pub fn error_page(page: &mut dyn ActPage) -> Option<String> {
    const SCRIPT: &str =
        "document.title + ' ' + ((document.querySelector('h1') || {}).textContent || '')";
    let text = page.evaluate(SCRIPT).ok()?.as_str()?.trim().to_owned();
    let lower = text.to_lowercase();
    let error = [
        "404",
        "not found",
        "410 gone",
        "500 internal",
        "server error",
        "page unavailable",
    ]
    .iter()
    .any(|marker| lower.contains(marker));
    error.then_some(text)
}
