//! The pane's assistant: reading tabs for it, handing jobs to the assistant thread, streaming
//! its events into the pane, and showing cited passages in the page.

use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;

use crate::page_cache::task_site;
use clef_agent::page::{PageDocument, visible_html_js};
use clef_agent::passages::Passages;
use servo::{JSValue, WebView, WebViewId};
use url::Url;

use super::{Focus, Ui};
use crate::assistant::{
    AssistantEvent, AssistantJob, audit_page_html, read_page, reader_page_html,
};
use crate::policies::{Feature, Policies};
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

/// The passages the last summary or answer cites, with the tab each came from (`None`: a page
/// read before, from memory).
#[derive(Default)]
pub(super) struct Cited {
    sources: Vec<(Option<WebViewId>, Passages)>,
}

/// Scroll to and highlight `passage` in `webview`; the pane says so when it is no longer there.
pub(super) fn highlight(webview: &WebView, passage: &str, pane: &WebView, later: &super::Later) {
    let literal = serde_json::to_string(passage).unwrap_or_else(|_| "\"\"".to_owned());
    let script = HIGHLIGHT_JS.replace("__CLEF_PASSAGE__", &literal);
    let pane = pane.clone();
    let later = later.clone();
    webview.evaluate_javascript(script, move |found| {
        if !matches!(found, Ok(JSValue::Boolean(true))) {
            let message = "The passage is no longer on the page (it may have changed).";
            let event = AssistantEvent::Notice {
                message: message.to_owned(),
            };
            later.borrow_mut().push((pane, pane_script(&event)));
        }
    });
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

/// The script that hands `event` to the pane page.
fn pane_script(event: &AssistantEvent) -> String {
    let json = serde_json::to_string(event).unwrap_or_else(|_| "null".to_owned());
    format!("window.clefAssistant && window.clefAssistant.event({json})")
}

/// What the pane shows of the organization's policy: that it is managed, and which controls
/// it turns off (by their ids in `pane.html`).
pub(super) fn managed_event(policies: &Policies) -> Option<AssistantEvent> {
    let source = policies.source.as_ref()?.display().to_string();
    let off_features = policies.turned_off();
    let is_off = |feature| off_features.contains(&feature);
    let mut off = Vec::new();
    if is_off(Feature::Summary) {
        off.push("summarize");
    }
    if is_off(Feature::Questions) {
        off.push("alltabs");
        off.push("history");
    }
    if is_off(Feature::AgentActions) {
        off.push("act");
    }
    // The question field also takes tasks: it goes only when both are off.
    if is_off(Feature::Questions) && is_off(Feature::AgentActions) {
        off.push("question");
    }
    Some(AssistantEvent::Managed { source, off })
}

impl Ui {
    pub(super) fn pane_event(&self, event: &AssistantEvent) {
        self.pane.evaluate_javascript(pane_script(event), |_| {});
    }

    fn pane_error(&self, message: impl Into<String>) {
        self.pane_event(&AssistantEvent::Error {
            message: message.into(),
        });
    }

    /// Ask the page scripts of `webviews` for their visible documents.
    pub(super) fn read_tabs(&mut self, purpose: Purpose, all_tabs: bool) {
        let feature = match purpose {
            Purpose::Summarize => Some(Feature::Summary),
            Purpose::Ask(_) => Some(Feature::Questions),
            Purpose::Reader => None,
        };
        if let Some(feature) = feature
            && let Err(error) = self.policies.check_feature(feature)
        {
            self.pane_error(error.to_string());
            return;
        }
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
            webview.evaluate_javascript(visible_html_js(), move |value| {
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
        self.serve_agent();
        // Events that arrive before the pane's page has loaded would be lost: keep them.
        for event in self.assistant.events() {
            if matches!(event, AssistantEvent::TaskEnded) {
                self.release_agent_tab();
            } else {
                self.pane_backlog.extend([event]);
            }
        }
        if self.pane.load_status() == servo::LoadStatus::Complete {
            for event in std::mem::take(&mut self.pane_backlog) {
                self.pane_event(&event);
            }
        }
    }

    fn dispatch(&mut self, read: PendingRead) {
        let results: Vec<_> = read.results.borrow_mut().drain(..).flatten().collect();
        let mut sources = Vec::new();
        let mut articles = Vec::new();
        let mut problems = Vec::new();
        for (webview, result) in read.webviews.iter().zip(results) {
            let saved_url = self.saved_copy_in(*webview).map(|saved| saved.url.clone());
            let read_result = result.and_then(|mut document| {
                // A saved copy is the site's page, wherever it lies: the site's policy applies.
                if let Some(url) = saved_url {
                    document.url = url;
                }
                if !matches!(read.purpose, Purpose::Reader) {
                    self.policies
                        .check_site(&document.url, false)
                        .map_err(|error| error.to_string())?;
                }
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
                    sources.push((Some(*webview), passages));
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
        let Some(webview_id) = *webview_id else {
            // A page read before: open it, and highlight the passage once it has loaded.
            let url = passages.url.clone();
            self.open_tab(Some(&url), clef_profile::Transition::Link);
            if let Some(tab) = self.tabs.last_mut() {
                tab.highlight = Some(text);
            }
            return;
        };
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
        highlight(&self.tabs[index].webview, &text, &self.pane, &self.later);
        self.refresh_chrome();
    }

    /// "Search my history": a question answered from the pages memory kept, each point citing
    /// the page (and when it was read).
    pub(super) fn ask_memory(&mut self, question: String) {
        if let Err(error) = self.policies.check_feature(Feature::Questions) {
            self.pane_error(error.to_string());
            return;
        }
        let Some(places) = &self.places else {
            self.pane_error("This is a private window: it keeps no history to search.");
            return;
        };
        if !places.keeps_memory() {
            self.pane_error(
                "Memory of pages read is off (in Settings, or by your organisation's policy).",
            );
            return;
        }
        let sources = match crate::places::memory_sources(places.store(), &question) {
            Ok(sources) => sources,
            Err(error) => {
                self.pane_error(format!("Your history could not be searched: {error}"));
                return;
            }
        };
        if sources.is_empty() {
            self.pane_event(&AssistantEvent::Notice {
                message: format!("Nothing in the pages you read matches “{question}”."),
            });
            return;
        }
        self.cited = Cited {
            sources: sources
                .iter()
                .map(|source| (None, source.clone()))
                .collect(),
        };
        self.assistant
            .submit(AssistantJob::Ask { sources, question });
    }
}

impl Ui {
    pub(super) fn start_task(&mut self, task: String) {
        let Some(webview) = self.active_webview().cloned() else {
            self.pane_error("There is no page open.");
            return;
        };
        if self.is_client_tab(webview.id()) {
            self.pane_error("An MCP client drives this tab: give the task in another tab.");
            return;
        }
        let page_url = webview.url().map(String::from).unwrap_or_default();
        let Some((site_url, origins)) = task_site(&page_url, self.saved_copy_in(webview.id()))
        else {
            self.pane_error("This page has no site to act on (open an http(s) page first).");
            return;
        };
        let policy = match self
            .policies
            .agent_policy(&site_url, origins, Vec::new(), false)
        {
            Ok(policy) => policy,
            Err(error) => {
                self.pane_error(error.to_string());
                return;
            }
        };
        let max_steps = self.policies.default_max_steps(20);
        self.agent.webview = Some(webview.id());
        self.assistant.submit(AssistantJob::Act {
            task,
            policy,
            max_steps,
            audit: self.policies.audit_path().map(Path::to_path_buf),
        });
    }

    /// The audit log (the policy's place, else the default) as a page in a new tab.
    pub(super) fn open_audit(&mut self) {
        let path = self
            .policies
            .audit_path()
            .map(Path::to_path_buf)
            .or_else(crate::assistant::default_audit_path);
        let Some(path) = path else {
            self.pane_error("No place for the audit log on this system.");
            return;
        };
        if let Ok(url) = Url::parse(&bridge::data_url(&audit_page_html(&path))) {
            let tab = self.new_tab(Some(url), None);
            self.add_tab(tab);
        }
    }
}
