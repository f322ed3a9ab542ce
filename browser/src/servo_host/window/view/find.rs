//! Find in page (Ctrl+F): the chrome's find bar asks, a script marks the matches in the active
//! page (`resources/ui/find.js`) and answers how many there are and which is current.

use serde::Serialize;

use super::{Focus, Ui};
use crate::servo_host::js;

const FIND_JS: &str = include_str!("../../../../../resources/ui/find.js");

/// What the find script is asked to do.
#[derive(Debug, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub(in crate::servo_host::window) enum FindRequest {
    Search {
        query: String,
        #[serde(rename = "matchCase")]
        match_case: bool,
    },
    Step {
        forward: bool,
    },
    Clear,
}

impl Ui {
    pub(super) fn open_find_bar(&mut self) {
        self.set_focus(Focus::Chrome);
        self.chrome
            .evaluate_javascript("window.clefFind && window.clefFind()", |_| {});
    }

    /// Run `request` in the active page; the chrome shows the count it answers.
    pub(super) fn find(&self, request: FindRequest) {
        let Some(webview) = self.active_webview() else {
            return;
        };
        let Ok(request) = serde_json::to_string(&request) else {
            return;
        };
        let script = FIND_JS.replace("__CLEF_FIND__", &request);
        let chrome = self.chrome.clone();
        let later = self.later.clone();
        webview.evaluate_javascript(script, move |result| {
            let found = match result.map(js::to_json) {
                Ok(value) if value.get("count").is_some() => value,
                Ok(_) | Err(_) => serde_json::json!({ "count": 0, "index": -1 }),
            };
            later.borrow_mut().push((
                chrome,
                format!("window.clefFound && window.clefFound({found})"),
            ));
        });
    }
}
