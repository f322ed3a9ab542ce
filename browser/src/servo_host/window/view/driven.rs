//! Tabs driven from other threads: the pane's task, and MCP clients (`clef mcp --window`). Each
//! page operation is done with Servo here and answered once Servo has finished it; each driven
//! tab has its own checks in the engine. The user watches the clients' calls in the pane and
//! may pause them, use the page by hand, and let them go on.

use std::collections::HashMap;
use std::io::Cursor;
use std::str::FromStr;
use std::sync::mpsc::{Sender, TryRecvError};

use base64::Engine as _;
use servo::{EmbedderControl, WebView, WebViewId};
use url::Url;

use super::Ui;
use crate::assistant::{AssistantEvent, PageOp, PageRequest, TabKey};
use crate::keys::NamedKey;
use crate::mcp_host::window_tabs::WindowEnd;
use crate::servo_host::{events, js};

/// Where the answer to one page operation goes.
type Reply = Sender<Result<serde_json::Value, String>>;

/// Page operations waiting on Servo, and which tabs are driven.
#[derive(Default)]
pub(super) struct AgentTab {
    /// The tab the pane's task acts on (the active one when it began).
    pub(super) webview: Option<WebViewId>,
    inputs: Vec<(Vec<servo::InputEventId>, Reply)>,
    loads: Vec<PendingLoad>,
    /// MCP clients driving this window, when it was started for them.
    clients: Option<Clients>,
}

struct PendingLoad {
    webview: WebViewId,
    /// A navigation must first produce a document; a plain wait needs none.
    needs_document: bool,
    reply: Reply,
}

struct Clients {
    end: WindowEnd,
    tabs: HashMap<TabKey, WebViewId>,
    next: TabKey,
    /// The user has taken over: the clients' operations are refused until they resume.
    paused: bool,
    /// The server has ended (its stdio client went away): the window closes.
    gone: bool,
    /// Dialogs the clients' pages opened, answered with the safe default, until read.
    dialogs: HashMap<WebViewId, Vec<String>>,
    /// The pane has listed a call already.
    shown: bool,
}

impl Clients {
    fn drives(&self, webview: WebViewId) -> bool {
        self.tabs.values().any(|id| *id == webview)
    }
}

impl AgentTab {
    /// Serve the MCP clients of `end` too.
    pub(super) fn with_clients(end: WindowEnd) -> Self {
        AgentTab {
            clients: Some(Clients {
                end,
                tabs: HashMap::new(),
                next: 1,
                paused: false,
                gone: false,
                dialogs: HashMap::new(),
                shown: false,
            }),
            ..AgentTab::default()
        }
    }

    pub(super) fn set_wake(&self, wake: std::sync::Arc<dyn Fn() + Send + Sync>) {
        if let Some(clients) = &self.clients {
            clients.end.set_wake(wake);
        }
    }
}

impl Ui {
    /// The window was opened for MCP clients and their server has ended.
    pub(super) fn clients_gone(&self) -> bool {
        self.agent
            .clients
            .as_ref()
            .is_some_and(|clients| clients.gone)
    }

    /// The task ended: its tab is the user's again (saved data the task typed into the page
    /// shown stays protected until the page is left).
    pub(super) fn release_agent_tab(&mut self) {
        if let Some(webview) = self.agent.webview.take() {
            self.delegate.release(webview);
        }
    }

    /// Whether an MCP client drives `webview`.
    pub(super) fn is_client_tab(&self, webview: WebViewId) -> bool {
        self.agent
            .clients
            .as_ref()
            .is_some_and(|clients| clients.drives(webview))
    }

    fn webview_of(&self, id: WebViewId) -> Option<WebView> {
        self.tabs
            .iter()
            .find(|tab| tab.webview.id() == id)
            .map(|tab| tab.webview.clone())
    }

    /// A document arrived in `webview`: navigations waiting for one may now finish.
    pub(super) fn agent_document(&mut self, webview: WebViewId) {
        for load in &mut self.agent.loads {
            if load.webview == webview {
                load.needs_document = false;
            }
        }
    }

    /// A page control of a client's tab is not the user's question: a dialog takes the safe
    /// default (alert acknowledged, confirm and prompt refused), as in a headless tab, and the
    /// client is told; other controls (a `<select>`'s list) are cancelled. Others go back.
    pub(super) fn client_control(
        &mut self,
        from: WebViewId,
        control: EmbedderControl,
    ) -> Option<EmbedderControl> {
        let Some(clients) = self.agent.clients.as_mut() else {
            return Some(control);
        };
        // Paused, the page is the user's: they answer its questions.
        if clients.paused || !clients.drives(from) {
            return Some(control);
        }
        if let EmbedderControl::SimpleDialog(dialog) = control {
            let message = events::answer_safely(dialog);
            clients
                .dialogs
                .entry(from)
                .or_default()
                .push(message.clone());
            self.show_client_line(format!("a page's dialog, dismissed: {message}"));
        }
        None
    }

    /// Pause the MCP clients (the user takes over) or let them go on.
    pub(super) fn pause_clients(&mut self, paused: bool) {
        if let Some(clients) = &mut self.agent.clients {
            clients.paused = paused;
            self.pane_backlog
                .push(AssistantEvent::ClientPaused { paused });
        }
    }

    /// Do what the task and the clients ask of their tabs, and answer what has finished.
    pub(super) fn serve_agent(&mut self) {
        for request in self.assistant.page_requests() {
            match self.agent.webview.and_then(|id| self.webview_of(id)) {
                Some(webview) => self.serve(&webview, request.op, request.reply),
                None => {
                    let _ = request
                        .reply
                        .send(Err("the task's tab was closed".to_owned()));
                }
            }
        }
        let mut requests: Vec<PageRequest> = Vec::new();
        if let Some(clients) = &mut self.agent.clients {
            loop {
                match clients.end.requests.try_recv() {
                    Ok(request) => requests.push(request),
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => {
                        clients.gone = true;
                        break;
                    }
                }
            }
        }
        for request in requests {
            self.serve_client(request);
        }
        self.answer_finished();
    }

    fn serve_client(&mut self, request: PageRequest) {
        let Some(clients) = &mut self.agent.clients else {
            return;
        };
        let paused = clients.paused;
        match (request.tab, request.op) {
            (_, PageOp::Note(line)) => {
                self.show_client_line(line);
                let _ = request.reply.send(Ok(serde_json::Value::Null));
            }
            (None, PageOp::OpenTab) if paused => {
                let _ = request.reply.send(Err(PAUSED.to_owned()));
            }
            (None, PageOp::OpenTab) => {
                let key = clients.next;
                clients.next += 1;
                let tab = self.new_tab(None, None);
                let id = tab.webview.id();
                if let Some(clients) = &mut self.agent.clients {
                    clients.tabs.insert(key, id);
                }
                self.add_tab(tab);
                let _ = request.reply.send(Ok(serde_json::json!(key)));
            }
            // Paused, the tab the user works in stays open.
            (Some(_), PageOp::CloseTab) if paused => {
                let _ = request.reply.send(Err(PAUSED.to_owned()));
            }
            (Some(key), op) => {
                let id = clients.tabs.get(&key).copied();
                if matches!(op, PageOp::ReleaseTab | PageOp::CloseTab) {
                    clients.tabs.remove(&key);
                }
                let Some(webview) = id.and_then(|id| self.webview_of(id)) else {
                    // The user closed it. Its guard was kept for this key: what the client is
                    // answered is still redacted, until the client lets go of the tab.
                    let guard = id.map(|id| self.delegate.guard(id));
                    if let (Some(id), PageOp::ReleaseTab | PageOp::CloseTab) = (id, &op) {
                        self.delegate.forget(id);
                    }
                    let _ = request.reply.send(match (op, guard) {
                        (PageOp::Redact(text), Some(guard)) => {
                            Ok(serde_json::Value::String(guard.redact(&text)))
                        }
                        (PageOp::HoldsSavedData, _) => Ok(serde_json::Value::Bool(false)),
                        (PageOp::Info, _) => Ok(serde_json::json!({"url": null, "title": null})),
                        (PageOp::ReleaseTab | PageOp::CloseTab, _) => Ok(serde_json::Value::Null),
                        _ => {
                            Err("the user closed this tab: open another (browser_tabs new)"
                                .to_owned())
                        }
                    });
                    return;
                };
                match op {
                    PageOp::ReleaseTab => {
                        self.delegate.release(webview.id());
                        let _ = request.reply.send(Ok(serde_json::Value::Null));
                    }
                    PageOp::CloseTab => {
                        self.delegate.release(webview.id());
                        if let Some(index) = self
                            .tabs
                            .iter()
                            .position(|tab| tab.webview.id() == webview.id())
                            && self.tabs.len() > 1
                        {
                            self.remove_tab(index);
                        }
                        let _ = request.reply.send(Ok(serde_json::Value::Null));
                    }
                    // What keeps the user's data safe, and what the host reads to redact, are
                    // served paused or not; acting is not.
                    PageOp::Info
                    | PageOp::Redact(_)
                    | PageOp::HoldsSavedData
                    | PageOp::Guard(_)
                    | PageOp::ResumeGuard(_)
                    | PageOp::Protect { .. }
                    | PageOp::TakeBlocked => self.serve(&webview, op, request.reply),
                    PageOp::TakeDialogs => {
                        let dialogs = self
                            .agent
                            .clients
                            .as_mut()
                            .and_then(|clients| clients.dialogs.remove(&webview.id()))
                            .unwrap_or_default();
                        let _ = request.reply.send(Ok(serde_json::json!(dialogs)));
                    }
                    _ if paused => {
                        let _ = request.reply.send(Err(PAUSED.to_owned()));
                    }
                    PageOp::ShowTab => {
                        if let Some(index) = self
                            .tabs
                            .iter()
                            .position(|tab| tab.webview.id() == webview.id())
                        {
                            self.switch_to(index);
                        }
                        let _ = request.reply.send(Ok(serde_json::Value::Null));
                    }
                    op => self.serve(&webview, op, request.reply),
                }
            }
            (None, _) => {
                let _ = request
                    .reply
                    .send(Err("no tab given for a page operation".to_owned()));
            }
        }
    }

    /// A client's call, listed in the pane (opened for the first one, so the user sees who
    /// drives the window; closed by the user afterwards, it stays closed).
    fn show_client_line(&mut self, line: String) {
        let first = self
            .agent
            .clients
            .as_mut()
            .is_some_and(|clients| !std::mem::replace(&mut clients.shown, true));
        if first && !self.pane_open {
            self.pane_open = true;
            self.resize_views();
        }
        // Shown once the pane's page has loaded (the first calls may come before).
        self.pane_backlog.push(AssistantEvent::Client { line });
    }

    /// One page operation on `webview`, answered now or once Servo has finished it.
    fn serve(&mut self, webview: &WebView, op: PageOp, reply: Reply) {
        let scale = webview.device_pixels_per_css_pixel().get();
        let point = |x: f64, y: f64| servo::DevicePoint::new(x as f32 * scale, y as f32 * scale);
        let send_inputs = |events: Vec<servo::InputEvent>| -> Vec<servo::InputEventId> {
            events
                .into_iter()
                .map(|event| webview.notify_input_event(event))
                .collect()
        };
        let guard = self.delegate.guard(webview.id());
        let answer = |value: serde_json::Value| {
            let _ = reply.send(Ok(value));
        };
        match op {
            PageOp::Evaluate(script) => {
                webview.evaluate_javascript(script, move |result| {
                    let _ = reply.send(
                        result
                            .map(js::to_json)
                            .map_err(|error| js::to_error(error).to_string()),
                    );
                });
            }
            PageOp::Click { x, y } => {
                let ids = send_inputs(events::click(point(x, y)).to_vec());
                self.agent.inputs.push((ids, reply));
            }
            PageOp::Hover { x, y } => {
                let ids = send_inputs(vec![events::mouse_move(point(x, y))]);
                self.agent.inputs.push((ids, reply));
            }
            PageOp::Type(text) => {
                let ids = send_inputs(events::typing(&text));
                self.agent.inputs.push((ids, reply));
            }
            PageOp::Press(key) => match NamedKey::from_str(&key) {
                Ok(key) => {
                    let ids = send_inputs(events::key_press(events::servo_key(key)).to_vec());
                    self.agent.inputs.push((ids, reply));
                }
                Err(error) => {
                    let _ = reply.send(Err(error));
                }
            },
            PageOp::Scroll(dy) => {
                let center = point(200.0, 200.0);
                let ids = send_inputs(vec![
                    events::mouse_move(center),
                    events::wheel(center, 0.0, dy),
                ]);
                self.agent.inputs.push((ids, reply));
            }
            PageOp::Goto(url) => match Url::parse(&url) {
                Ok(url) => {
                    webview.load(url);
                    self.agent.loads.push(PendingLoad {
                        webview: webview.id(),
                        needs_document: true,
                        reply,
                    });
                }
                Err(error) => {
                    let _ = reply.send(Err(error.to_string()));
                }
            },
            PageOp::Back => {
                webview.go_back(1);
                self.agent.loads.push(PendingLoad {
                    webview: webview.id(),
                    needs_document: true,
                    reply,
                });
            }
            PageOp::WaitForLoad => {
                self.agent.loads.push(PendingLoad {
                    webview: webview.id(),
                    needs_document: false,
                    reply,
                });
            }
            PageOp::Guard(egress) => {
                guard.set(egress);
                answer(serde_json::Value::Null);
            }
            PageOp::ResumeGuard(checks) => {
                guard.resume(checks.0);
                answer(serde_json::Value::Null);
            }
            PageOp::Protect {
                value,
                origin,
                what,
            } => {
                let _ = reply.send(if guard.protect(&value.0, &origin, &what) {
                    Ok(serde_json::Value::Null)
                } else {
                    Err("the tab is not guarded by a task".to_owned())
                });
            }
            PageOp::TakeBlocked => answer(serde_json::json!(guard.take_blocked())),
            PageOp::Redact(text) => answer(serde_json::Value::String(guard.redact(&text))),
            PageOp::HoldsSavedData => answer(serde_json::Value::Bool(guard.holds_saved_data())),
            PageOp::Info => answer(serde_json::json!({
                "url": webview.url().map(String::from),
                "title": webview.page_title(),
            })),
            PageOp::Screenshot => {
                webview.take_screenshot(None, move |image| {
                    let encoded = image
                        .map_err(|error| format!("no screenshot: {error:?}"))
                        .and_then(|image| {
                            let mut png = Cursor::new(Vec::new());
                            image
                                .write_to(&mut png, image::ImageFormat::Png)
                                .map_err(|error| error.to_string())?;
                            Ok(base64::engine::general_purpose::STANDARD.encode(png.into_inner()))
                        });
                    let _ = reply.send(encoded.map(serde_json::Value::String));
                });
            }
            PageOp::OpenTab
            | PageOp::TakeDialogs
            | PageOp::ShowTab
            | PageOp::CloseTab
            | PageOp::ReleaseTab
            | PageOp::Note(_) => {
                let _ = reply.send(Err("not an operation of the task's tab".to_owned()));
            }
        }
    }

    /// Answer the inputs Servo has handled and the loads that have finished.
    fn answer_finished(&mut self) {
        let handled = &self.delegate.handled_inputs;
        self.agent.inputs.retain(|(ids, reply)| {
            let done = ids.iter().all(|id| handled.borrow().contains(id));
            if done {
                for id in ids {
                    handled.borrow_mut().remove(id);
                }
                let _ = reply.send(Ok(serde_json::Value::Null));
            }
            !done
        });
        let tabs = &self.tabs;
        let pending = self.delegate.navigation_pending.borrow();
        self.agent.loads.retain(|load| {
            let tab = tabs.iter().find(|tab| tab.webview.id() == load.webview);
            let complete = !pending.contains(&load.webview)
                && tab.is_none_or(|tab| tab.webview.load_status() == servo::LoadStatus::Complete);
            // A closed tab's load will never finish: answered at once.
            let done = tab.is_none() || (complete && !load.needs_document);
            if done {
                let _ = load.reply.send(if tab.is_some() {
                    Ok(serde_json::Value::Null)
                } else {
                    Err("the tab was closed".to_owned())
                });
            }
            !done
        });
    }
}

const PAUSED: &str = "The user has paused MCP clients in the window to use the page by hand; \
    try again once they resume.";
