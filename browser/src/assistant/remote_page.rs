//! The window's tab as the agent's page: the agent (the pane's, on the assistant thread, or an
//! MCP client's, on the server's thread) asks the UI thread, which owns Servo, to do each page
//! operation, then waits for the answer. The window stays responsive, and the user can watch,
//! pause and take over.

use std::sync::Arc;
use std::sync::mpsc::{self, Sender};
use std::time::Duration;

use clef_agent::act::{ActPage, Egress, Policy};
use clef_agent::page::{PageAccess, PageError};

/// Which of the window's tabs an MCP client means (the window maps it to a webview).
pub type TabKey = u64;

/// One thing to do on the page, in CSS pixels where there are coordinates.
#[derive(Debug, Clone)]
pub enum PageOp {
    Evaluate(String),
    Click {
        x: f64,
        y: f64,
    },
    Type(String),
    Press(String),
    Scroll(f64),
    Goto(String),
    Back,
    /// Answer once the current navigation (if any) has finished loading.
    WaitForLoad,
    /// Check the tab's requests against this from now on (`None`: the task let go of it).
    Guard(Option<Egress>),
    /// Keep a typed saved value from other origins than `origin`.
    Protect {
        value: Redacted,
        origin: String,
        what: String,
    },
    /// What the guard blocked since the last call, as a JSON list of reasons.
    TakeBlocked,
    Hover {
        x: f64,
        y: f64,
    },
    /// The viewport as a PNG, in base64.
    Screenshot,
    /// `{"url": …, "title": …}` as the window knows them.
    Info,
    /// The text with the saved values typed into the tab replaced by what they are.
    Redact(String),
    /// Whether saved data typed by the agent sits in the document shown.
    HoldsSavedData,
    /// Guard the tab under this policy, keeping saved values already bound.
    ResumeGuard(Checks),
    /// A new tab for an MCP client, brought to the front; answers its key.
    OpenTab,
    /// Bring the tab to the front.
    ShowTab,
    CloseTab,
    /// The client let go of the tab: it is the user's again.
    ReleaseTab,
    /// One line for the pane: what a client did.
    Note(String),
    /// The messages of the dialogs the tab's pages opened since the last call (a client's tab
    /// answers them with the safe default), as a JSON list.
    TakeDialogs,
}

/// A tab's policy on its way to the UI thread.
#[derive(Clone)]
pub struct Checks(pub Policy);

impl std::fmt::Debug for Checks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Checks")
    }
}

/// A saved value on its way to the UI thread; debug output never shows it.
#[derive(Clone)]
pub struct Redacted(pub String);

impl std::fmt::Debug for Redacted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Redacted")
    }
}

pub struct PageRequest {
    /// The MCP client's tab; `None`: the tab the pane's task drives.
    pub tab: Option<TabKey>,
    pub op: PageOp,
    pub reply: Sender<Result<serde_json::Value, String>>,
}

/// How long one page operation may take before the agent reports it as failed.
const OPERATION_TIMEOUT: Duration = Duration::from_secs(30);

/// Wakes the window's event loop: a request is waiting.
pub type Wake = Arc<dyn Fn() + Send + Sync>;

#[derive(Clone)]
pub struct RemotePage {
    requests: Sender<PageRequest>,
    wake: Wake,
    tab: Option<TabKey>,
}

impl RemotePage {
    /// The tab the pane's task drives.
    pub fn new(requests: Sender<PageRequest>, wake: Wake) -> Self {
        RemotePage {
            requests,
            wake,
            tab: None,
        }
    }

    /// An MCP client's tab `tab`.
    pub fn for_tab(requests: Sender<PageRequest>, wake: Wake, tab: TabKey) -> Self {
        RemotePage {
            requests,
            wake,
            tab: Some(tab),
        }
    }

    pub fn call(&self, op: PageOp) -> Result<serde_json::Value, PageError> {
        let (reply, answer) = mpsc::channel();
        self.requests
            .send(PageRequest {
                tab: self.tab,
                op,
                reply,
            })
            .map_err(|_| PageError("the window is gone".to_owned()))?;
        (self.wake)();
        match answer.recv_timeout(OPERATION_TIMEOUT) {
            Ok(result) => result.map_err(PageError),
            Err(_) => Err(PageError("the page did not answer in 30 s".to_owned())),
        }
    }

    /// Send without waiting for the answer (the window may be closing).
    pub fn tell(&self, op: PageOp) {
        let (reply, _) = mpsc::channel();
        let _ = self.requests.send(PageRequest {
            tab: self.tab,
            op,
            reply,
        });
        (self.wake)();
    }
}

impl PageAccess for RemotePage {
    fn evaluate(&mut self, script: &str) -> Result<serde_json::Value, PageError> {
        self.call(PageOp::Evaluate(script.to_owned()))
    }

    fn url(&self) -> Option<String> {
        self.call(PageOp::Evaluate("location.href".to_owned()))
            .ok()
            .and_then(|value| value.as_str().map(str::to_owned))
    }
}

impl ActPage for RemotePage {
    fn click_at(&mut self, x: f64, y: f64) -> Result<(), PageError> {
        self.call(PageOp::Click { x, y }).map(|_| ())
    }

    fn type_text(&mut self, text: &str) -> Result<(), PageError> {
        self.call(PageOp::Type(text.to_owned())).map(|_| ())
    }

    fn press_key(&mut self, key: &str) -> Result<(), PageError> {
        self.call(PageOp::Press(key.to_owned())).map(|_| ())
    }

    fn scroll_by(&mut self, dy: f64) -> Result<(), PageError> {
        self.call(PageOp::Scroll(dy)).map(|_| ())
    }

    fn goto(&mut self, url: &str) -> Result<(), PageError> {
        self.call(PageOp::Goto(url.to_owned())).map(|_| ())
    }

    fn back(&mut self) -> Result<(), PageError> {
        self.call(PageOp::Back).map(|_| ())
    }

    fn settle(&mut self) {
        std::thread::sleep(Duration::from_millis(100));
        let _ = self.call(PageOp::WaitForLoad);
    }

    fn wait(&mut self, duration: Duration) {
        // The UI thread keeps Servo running meanwhile.
        std::thread::sleep(duration);
    }

    fn guard(&mut self, egress: Option<Egress>) -> Result<(), PageError> {
        self.call(PageOp::Guard(egress)).map(|_| ())
    }

    fn protect(&mut self, value: &str, origin: &str, what: &str) -> Result<(), PageError> {
        self.call(PageOp::Protect {
            value: Redacted(value.to_owned()),
            origin: origin.to_owned(),
            what: what.to_owned(),
        })
        .map(|_| ())
    }

    fn take_blocked(&mut self) -> Vec<String> {
        match self.call(PageOp::TakeBlocked) {
            Ok(value) => serde_json::from_value(value).unwrap_or_default(),
            // Unknown is not "nothing blocked": the step is reported as failed.
            Err(error) => vec![format!("the tab's guard did not answer: {error}")],
        }
    }

    fn redact(&self, text: &str) -> String {
        match self.call(PageOp::Redact(text.to_owned())) {
            Ok(serde_json::Value::String(redacted)) => redacted,
            // Unknown is not "nothing to hide": the text is not shown.
            _ => "(not shown: the window did not answer)".to_owned(),
        }
    }

    fn take_dialogs(&mut self) -> Vec<String> {
        // The window shows the task's dialogs in the pane, where the user answers them; an MCP
        // client's tab takes the safe default, as headless, and the client is told.
        if self.tab.is_none() {
            return Vec::new();
        }
        match self.call(PageOp::TakeDialogs) {
            Ok(value) => serde_json::from_value(value).unwrap_or_default(),
            Err(_) => Vec::new(),
        }
    }
}
