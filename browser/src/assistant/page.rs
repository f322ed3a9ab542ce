//! The agent's page trait on a headless page.

use clef_agent::page::{PageAccess, PageError};

use crate::Page;

pub struct HeadlessAccess<'a>(pub &'a Page);

impl PageAccess for HeadlessAccess<'_> {
    fn evaluate(&mut self, script: &str) -> Result<serde_json::Value, PageError> {
        self.0
            .evaluate(script)
            .map_err(|error| PageError(error.to_string()))
    }

    fn url(&self) -> Option<String> {
        self.0.url()
    }
}
