//! The agent's page traits on a headless page.

use std::str::FromStr;
use std::time::Duration;

use clef_agent::act::ActPage;
use clef_agent::page::{PageAccess, PageError};

use crate::Page;
use crate::keys::NamedKey;

pub struct HeadlessAccess<'a> {
    page: &'a Page,
    dialogs_seen: usize,
}

impl<'a> HeadlessAccess<'a> {
    pub fn new(page: &'a Page) -> Self {
        HeadlessAccess {
            page,
            dialogs_seen: page.dialogs_since(usize::MAX).1,
        }
    }
}

fn page_error(error: crate::BrowserError) -> PageError {
    PageError(error.to_string())
}

impl PageAccess for HeadlessAccess<'_> {
    fn evaluate(&mut self, script: &str) -> Result<serde_json::Value, PageError> {
        self.page.evaluate(script).map_err(page_error)
    }

    fn url(&self) -> Option<String> {
        self.page.url()
    }
}

impl ActPage for HeadlessAccess<'_> {
    fn click_at(&mut self, x: f64, y: f64) -> Result<(), PageError> {
        self.page.click(x as f32, y as f32).map_err(page_error)
    }

    fn type_text(&mut self, text: &str) -> Result<(), PageError> {
        self.page.type_text(text).map_err(page_error)
    }

    fn press_key(&mut self, key: &str) -> Result<(), PageError> {
        let key = NamedKey::from_str(key).map_err(PageError)?;
        self.page.press_key(key).map_err(page_error)
    }

    fn scroll_by(&mut self, dy: f64) -> Result<(), PageError> {
        self.page.scroll(200.0, 200.0, 0.0, dy).map_err(page_error)
    }

    fn goto(&mut self, url: &str) -> Result<(), PageError> {
        self.page.goto(url).map(|_| ()).map_err(page_error)
    }

    fn back(&mut self) -> Result<(), PageError> {
        self.page.back().map(|_| ()).map_err(page_error)
    }

    fn settle(&mut self) {
        // A click may start a navigation a moment later; give it time, then let it finish.
        self.page.settle(Duration::from_millis(100));
        let _ = self.page.wait_for_load(Duration::from_secs(15));
    }

    fn wait(&mut self, duration: Duration) {
        self.page.settle(duration);
    }

    fn guard(&mut self, egress: Option<clef_agent::act::Egress>) -> Result<(), PageError> {
        self.page.guard(egress);
        Ok(())
    }

    fn protect(&mut self, value: &str, origin: &str, what: &str) -> Result<(), PageError> {
        if self.page.protect(value, origin, what) {
            Ok(())
        } else {
            Err(PageError("the page is not guarded by a task".to_owned()))
        }
    }

    fn take_blocked(&mut self) -> Vec<String> {
        self.page.take_blocked()
    }

    fn redact(&self, text: &str) -> String {
        self.page.redact(text)
    }

    fn take_dialogs(&mut self) -> Vec<String> {
        let (new, count) = self.page.dialogs_since(self.dialogs_seen);
        self.dialogs_seen = count;
        new
    }
}
