//! The pane's assistant: reading tabs for it, handing jobs to the assistant thread, streaming
//! its events into the pane, and showing cited passages in the page.

use std::cell::RefCell;
use std::rc::Rc;

use clef_agent::page::{PageDocument, VISIBLE_HTML_JS};
use clef_agent::passages::Passages;
use servo::{JSValue, WebViewId};
use url::Url;

use super::{Focus, Ui};
use crate::assistant::{AssistantEvent, AssistantJob, read_page, reader_page_html};
use crate::servo_host::window::bridge;

const HIGHLIGHT_JS: &str = include_str!("../../../../../resources/agent/highlight.js");

/// What the tabs are being read for.
#[derive(Debug, Clone)]
pub(super) enum Purpose {
    Summarize,
    Ask(String),
    Reader,
}

/// One tab's visible document, or why it could not be read; `None` until the page answers.
type Slots = Rc<RefCell<Vec<Option<Result<PageDocument, String>>>>>;

/// Tabs whose documents are on their way back from the page scripts.
pub(super) struct PendingRead {
    purpose: Purpose,
    webviews: Vec<WebViewId>,
    results: Slots,
}

/// The passages the last summary or answer cites, with the tab each came from.
#[derive(Default)]
pub(super) struct Cited {
    sources: Vec<(WebViewId, Passages)>,
}

fn document_from(
    value: Result<JSValue, servo::JavaScriptEvaluationError>,
) -> Result<PageDocument, String> {
    match value {
        Ok(JSValue::String(text)) => serde_json::from_str(&text).map_err(|error| error.to_string()),
        Ok(other) => Err(format!("unexpected page script result {other:?}")),
        Err(error) => Err(format!("the page could not be read ({error:?})")),
    }
}

impl Ui {
    pub(super) fn pane_event(&self, event: &AssistantEvent) {
        let json = serde_json::to_string(event).unwrap_or_else(|_| "null".to_owned());
        self.pane.evaluate_javascript(
            format!("window.clefAssistant && window.clefAssistant.event({json})"),
            |_| {},
        );
    }

    fn pane_error(&self, message: impl Into<String>) {
        self.pane_event(&AssistantEvent::Error {
            message: message.into(),
        });
    }

    /// Ask the page scripts of `webviews` for their visible documents.
    pub(super) fn read_tabs(&mut self, purpose: Purpose, all_tabs: bool) {
        if self.reading.is_some() {
            self.pane_error("Still reading the page for the previous request.");
            return;
        }
        let webviews: Vec<_> = if all_tabs {
            self.tabs.iter().map(|tab| tab.webview.clone()).collect()
        } else {
            self.active_webview().cloned().into_iter().collect()
        };
        if webviews.is_empty() {
            self.pane_error("There is no page open.");
            return;
        }
        let results: Slots = Rc::new(RefCell::new(vec![None; webviews.len()]));
        for (index, webview) in webviews.iter().enumerate() {
            let sink = results.clone();
            webview.evaluate_javascript(VISIBLE_HTML_JS, move |value| {
                sink.borrow_mut()[index] = Some(document_from(value));
            });
        }
        self.reading = Some(PendingRead {
            purpose,
            webviews: webviews.iter().map(|webview| webview.id()).collect(),
            results,
        });
    }

    /// Called from `pump`: finish a read whose pages have all answered, and stream the
    /// assistant thread's events into the pane.
    pub(super) fn pump_assistant(&mut self) {
        let complete = self
            .reading
            .as_ref()
            .is_some_and(|read| read.results.borrow().iter().all(Option::is_some));
        if complete && let Some(read) = self.reading.take() {
            self.dispatch(read);
        }
        for event in self.assistant.events() {
            self.pane_event(&event);
        }
    }

    fn dispatch(&mut self, read: PendingRead) {
        let results: Vec<_> = read.results.borrow_mut().drain(..).flatten().collect();
        let mut sources = Vec::new();
        let mut articles = Vec::new();
        let mut problems = Vec::new();
        for (webview, result) in read.webviews.iter().zip(results) {
            let read_result = result.and_then(|document| {
                read_page(&document)
                    .map(|(article, passages)| (article, passages, document.url.clone()))
                    .map_err(|error| format!("{}: {error}", document.url))
            });
            match read_result {
                Ok((article, passages, url)) => {
                    for text in &passages.left_out {
                        self.pane_event(&AssistantEvent::Notice {
                            message: format!(
                                "Left out a passage of {url} that addresses AI assistants: “{}”",
                                text.chars().take(120).collect::<String>()
                            ),
                        });
                    }
                    articles.push((article, url));
                    sources.push((*webview, passages));
                }
                Err(problem) => problems.push(problem),
            }
        }
        if sources.is_empty() {
            self.pane_error(format!("Nothing to read: {}", problems.join("; ")));
            return;
        }
        for problem in &problems {
            self.pane_event(&AssistantEvent::Notice {
                message: format!("Skipped a tab: {problem}"),
            });
        }
        match read.purpose {
            Purpose::Reader => {
                if let Some((article, url)) = articles.first() {
                    let html = reader_page_html(article, url);
                    if let Ok(reader) = Url::parse(&bridge::data_url(&html)) {
                        let tab = self.new_tab(Some(reader), None);
                        self.add_tab(tab);
                    }
                }
            }
            Purpose::Summarize => {
                let passages = sources[0].1.clone();
                self.cited = Cited { sources };
                self.assistant.submit(AssistantJob::Summarize { passages });
            }
            Purpose::Ask(question) => {
                let passages: Vec<Passages> = sources
                    .iter()
                    .map(|(_, passages)| passages.clone())
                    .collect();
                self.cited = Cited { sources };
                self.assistant.submit(AssistantJob::Ask {
                    sources: passages,
                    question,
                });
            }
        }
    }

    /// Show the passage a point cites: switch to its tab, scroll to it and highlight it.
    pub(super) fn show_citation(&mut self, source: usize, passage: usize) {
        let Some((webview_id, passages)) = self.cited.sources.get(source) else {
            return;
        };
        let Some(text) = passages.get(passage).map(|passage| passage.text.clone()) else {
            return;
        };
        let webview_id = *webview_id;
        let Some(index) = self
            .tabs
            .iter()
            .position(|tab| tab.webview.id() == webview_id)
        else {
            self.pane_error("The tab this passage came from is closed.");
            return;
        };
        self.switch_to(index);
        self.set_focus(Focus::Pane);
        let literal = serde_json::to_string(&text).unwrap_or_else(|_| "\"\"".to_owned());
        let script = HIGHLIGHT_JS.replace("__CLEF_PASSAGE__", &literal);
        let pane = self.pane.clone();
        self.tabs[index]
            .webview
            .evaluate_javascript(script, move |found| {
                if !matches!(found, Ok(JSValue::Boolean(true))) {
                    let message = "The passage is no longer on the page (it may have changed).";
                    let event = AssistantEvent::Notice {
                        message: message.to_owned(),
                    };
                    let json = serde_json::to_string(&event).unwrap_or_else(|_| "null".to_owned());
                    pane.evaluate_javascript(
                        format!("window.clefAssistant && window.clefAssistant.event({json})"),
                        |_| {},
                    );
                }
            });
        self.refresh_chrome();
    }
}
