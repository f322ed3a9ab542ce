//! The browser behind Clef's MCP server: headless tabs driven by an MCP client's tool calls
//! (`clef_extensions::mcp` speaks the protocol), under the same rules as the agent pane — the
//! organisation's policy, the engine's checks on every tab, saved data typed from
//! placeholders and never shown, every action audited with the client's name.

mod acting;
mod assistant;
mod tabs;
pub mod window_tabs;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clef_agent::act::{AuditLog, Policy, origin_of};
use clef_agent::snapshot::{Snapshot, Snapshotter};
use clef_engine::EngineOptions;
use clef_extensions::mcp::tools::{TabAction, TabsArgs, WaitForArgs};
use clef_extensions::mcp::{Call, Caller, Content, Reply, ToolHost};
use clef_policy::{Feature, Policies};

use crate::assistant::{LocalModel, SecretsVault};

pub use tabs::{DrivenTab, HeadlessTabs, TabSource};

/// How the server was started.
pub struct McpOptions {
    pub policies: Policies,
    pub vault: SecretsVault,
    /// The assistant's model, or why there is none (said when a model tool is called).
    pub model: Result<EngineOptions, String>,
    pub audit: AuditLog,
    /// The person who started the server said yes to risky steps (`--confirm allow`).
    pub allow_risky: bool,
    /// Sites approved for submitting passwords and personal data (`--allow-origin`).
    pub approved: Vec<String>,
    /// `browser_evaluate` is offered (`--allow-evaluate`, unless the policy forbids it).
    pub allow_evaluate: bool,
    /// Where screenshots named by the client are written.
    pub output_dir: PathBuf,
    /// The profile whose memory `clef_history_search` reads (`--allow-history`); `None`: not
    /// offered.
    pub history: Option<PathBuf>,
}

/// One tab and what the client was last shown of it.
struct Tab {
    page: Box<dyn DrivenTab>,
    snapshotter: Snapshotter,
    last: Option<Snapshot>,
    /// The tab's checks: the sites the client opened, read under the site rules (the engine
    /// refuses only what the assistant may not read; acting is checked at each action).
    policy: Policy,
    /// Labels of saved personal data typed into the page shown (for the submit check).
    typed_personal: Vec<String>,
    /// Origins where the client ran its own script: a script may still be listening there, so
    /// no saved data is typed on them again.
    scripted: Vec<String>,
    typed_on: String,
}

pub struct McpHost {
    /// The tabs of the session being served, and which is current.
    tabs: Vec<Tab>,
    current: usize,
    session: u64,
    /// Other client sessions' tabs, while another is served.
    parked: std::collections::HashMap<u64, (Vec<Tab>, usize)>,
    browser: Box<dyn TabSource>,
    model: Option<LocalModel>,
    options: McpOptions,
}

/// Longest a `browser_wait_for` waits.
const WAIT_LIMIT: Duration = Duration::from_secs(30);
/// Tokens of page outline a snapshot returns at most (Playwright returns everything; this
/// keeps a 5,000-element page answerable, and says what was cut).
const SNAPSHOT_BUDGET: usize = 20_000;

impl McpHost {
    pub fn new(browser: Box<dyn TabSource>, options: McpOptions) -> McpHost {
        McpHost {
            tabs: Vec::new(),
            current: 0,
            session: 0,
            parked: std::collections::HashMap::new(),
            browser,
            model: None,
            options,
        }
    }

    /// Serve `session` from now on: each client session has tabs of its own.
    fn switch_to(&mut self, session: u64) {
        if session == self.session {
            return;
        }
        let (tabs, current) = self.parked.remove(&session).unwrap_or_default();
        let previous = (
            std::mem::replace(&mut self.tabs, tabs),
            std::mem::replace(&mut self.current, current),
        );
        if !previous.0.is_empty() {
            self.parked.insert(self.session, previous);
        }
        self.session = session;
    }

    fn tab(&mut self) -> Result<&mut Tab, String> {
        self.tabs
            .get_mut(self.current)
            .ok_or_else(|| "No open tab: open a page with browser_navigate.".to_owned())
    }

    fn open_tab(&mut self) -> Result<(), String> {
        let page = self.browser.open()?;
        // Guarded from the start, whatever it is first shown.
        let policy = tab_policy(
            &self.options.policies,
            &self.options.approved,
            self.options.allow_risky,
        );
        page.guard(Some(clef_agent::act::Egress::new(policy.clone())));
        self.tabs.push(Tab {
            page,
            snapshotter: Snapshotter::new(),
            last: None,
            policy,
            typed_personal: Vec::new(),
            typed_on: String::new(),
            scripted: Vec::new(),
        });
        self.current = self.tabs.len() - 1;
        self.tabs[self.current].page.show();
        Ok(())
    }

    /// Open `address` in the current tab (a new one if none), under the site rules; the
    /// client's own navigation adds the site to those the tab may use.
    fn navigate(&mut self, address: &str) -> Result<String, String> {
        let url =
            crate::address::parse_address_in_cwd(address).map_err(|error| error.to_string())?;
        // Files on this machine are not the client's to read.
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!(
                "{url}: an MCP client opens web pages (http and https) only"
            ));
        }
        self.options
            .policies
            .check_site(url.as_str(), false)
            .map_err(|error| error.to_string())?;
        if self.tabs.is_empty() {
            self.open_tab()?;
        }
        let tab = self.tab()?;
        if let Some(origin) = origin_of(url.as_str()) {
            tab.allow(&origin);
        }
        let landed = tab.page.goto(url.as_str())?;
        tab.last = None;
        let blocked = tab.page.take_blocked();
        let mut note = format!("Navigated to {landed}");
        if !blocked.is_empty() {
            note.push_str(&format!("; blocked by the browser: {}", blocked.join("; ")));
        }
        Ok(note)
    }

    /// The page as the client sees it: address, title and the outline with refs.
    fn page_state(&mut self) -> Result<String, String> {
        let policies = self.options.policies.clone();
        let tab = self.tab()?;
        let url = tab.page.url().unwrap_or_default();
        policies
            .check_site(&url, false)
            .map_err(|error| error.to_string())?;
        let snapshot = tab
            .snapshotter
            .take(&mut *tab.page.access())
            .map_err(|error| format!("cannot read the page: {error}"))?;
        let outline = clef_agent::act::observe::outline(
            &snapshot,
            &clef_agent::act::Task::new(""),
            SNAPSHOT_BUDGET,
        );
        let text = format!(
            "### Page state\n- Page URL: {}\n- Page Title: {}\n- Page Snapshot:\n```yaml\n{}```\n",
            snapshot.url, snapshot.title, outline
        );
        tab.last = Some(snapshot);
        Ok(text)
    }

    fn tabs(&mut self, args: TabsArgs) -> Result<String, String> {
        match args.action {
            TabAction::List => {}
            TabAction::New => {
                self.open_tab()?;
                if let Some(url) = &args.url {
                    self.navigate(url)?;
                }
            }
            TabAction::Select => {
                let index = args.index.ok_or("give the index of the tab to select")?;
                if index >= self.tabs.len() {
                    return Err(format!("no tab {index}: there are {}", self.tabs.len()));
                }
                self.current = index;
                self.tabs[index].page.show();
            }
            TabAction::Close => {
                let index = args.index.unwrap_or(self.current);
                if index >= self.tabs.len() {
                    return Err(format!("no tab {index}: there are {}", self.tabs.len()));
                }
                self.tabs.remove(index).page.close();
                if index < self.current {
                    self.current -= 1;
                }
                if self.current >= self.tabs.len() {
                    self.current = self.tabs.len().saturating_sub(1);
                }
            }
        }
        let mut text = String::from("### Open tabs\n");
        if self.tabs.is_empty() {
            text.push_str("(none)\n");
        }
        let policies = self.options.policies.clone();
        for (index, tab) in self.tabs.iter().enumerate() {
            let url = tab.page.url().unwrap_or_else(|| "about:blank".to_owned());
            if policies.check_site(&url, false).is_err() {
                text.push_str(&format!(
                    "- {index}: (a site the policy keeps from the assistant)\n"
                ));
                continue;
            }
            let current = if index == self.current {
                " (current)"
            } else {
                ""
            };
            text.push_str(&format!(
                "- {index}:{current} [{}]({})\n",
                tab.page.title().unwrap_or_default(),
                url
            ));
        }
        Ok(text)
    }

    fn wait_for(&mut self, args: WaitForArgs, caller: &Caller) -> Result<String, String> {
        let policies = self.options.policies.clone();
        let tab = self.tab()?;
        policies
            .check_site(&tab.page.url().unwrap_or_default(), false)
            .map_err(|error| error.to_string())?;
        let started = Instant::now();
        if let Some(seconds) = args.time {
            let until = Duration::from_secs_f64(seconds.clamp(0.0, WAIT_LIMIT.as_secs_f64()));
            while started.elapsed() < until && !caller.cancelled() {
                tab.page.settle(Duration::from_millis(100));
            }
        }
        // The text as a snapshot would show it: card numbers and IBANs masked.
        let shows = |page: &dyn DrivenTab, text: &str| {
            page.visible_text()
                .map(|shown| {
                    clef_agent::act::mask::mask_text(&shown)
                        .unwrap_or(shown)
                        .contains(text)
                })
                .unwrap_or(false)
        };
        let started = Instant::now();
        loop {
            let appeared = args
                .text
                .as_deref()
                .is_none_or(|text| shows(&*tab.page, text));
            let gone = args
                .text_gone
                .as_deref()
                .is_none_or(|text| !shows(&*tab.page, text));
            if appeared && gone {
                break;
            }
            if started.elapsed() > WAIT_LIMIT || caller.cancelled() {
                return Err(format!(
                    "waited {} s: the page still does not show what was asked",
                    started.elapsed().as_secs()
                ));
            }
            tab.page.settle(Duration::from_millis(100));
        }
        // The client's own words are not echoed back (a reply must not confirm a guess).
        Ok(match (&args.text, &args.text_gone, args.time) {
            (Some(_), _, _) => "The page shows the text".to_owned(),
            (None, Some(_), _) => "The text is gone from the page".to_owned(),
            (None, None, Some(seconds)) => format!("Waited {seconds} s"),
            (None, None, None) => "Nothing to wait for".to_owned(),
        })
    }

    fn back(&mut self) -> Result<String, String> {
        let tab = self.tab()?;
        let landed = tab.page.back()?;
        tab.last = None;
        Ok(format!("Went back to {landed}"))
    }

    fn close(&mut self) -> String {
        for tab in self.tabs.drain(..) {
            tab.page.close();
        }
        self.current = 0;
        "Closed every tab; browser_navigate opens a new one.".to_owned()
    }

    /// A reply with the page state after `note`, or the error.
    fn with_state(&mut self, result: Result<String, String>) -> Reply {
        match result {
            Ok(note) => match self.page_state() {
                Ok(state) => Reply::text(format!("{note}\n\n{state}")),
                Err(error) => Reply::text(format!("{note}\n\n(the page cannot be shown: {error})")),
            },
            Err(error) => Reply::error(error),
        }
    }
}

impl Tab {
    /// The client opened `origin` itself: the tab may use it, checked inside the engine.
    fn allow(&mut self, origin: &str) {
        if !self.policy.origins.iter().any(|known| known == origin) {
            self.policy.origins.push(origin.to_owned());
        }
        self.page.resume_guard(self.policy.clone());
    }
}

/// The checks of a client's tab before it opens any site.
fn tab_policy(policies: &Policies, approved: &[String], allow_risky: bool) -> Policy {
    use clef_agent::act::Confirm;
    // No person answers a client's risky step: refused, unless the person who started the
    // server said yes to them (and the organisation lets users approve).
    let confirm = if allow_risky && policies.users_may_approve() {
        Confirm::Allow
    } else {
        Confirm::Refuse
    };
    let mut policy = Policy::new(Vec::new(), approved.to_vec(), confirm);
    policy.saved_data_allowed = policies.check_feature(Feature::FormFilling).is_ok();
    policy.site_rules = std::sync::Arc::new(clef_policy::ReadingRules(policies.clone()));
    policy
}

fn result_text(result: Result<String, String>) -> Reply {
    match result {
        Ok(text) => Reply::text(text),
        Err(error) => Reply::error(error),
    }
}

impl ToolHost for McpHost {
    fn offers(&self, tool: &str) -> bool {
        match tool {
            "browser_evaluate" => self.options.allow_evaluate,
            "clef_history_search" => self.options.history.is_some(),
            "clef_summarize" => self
                .options
                .policies
                .check_feature(Feature::Summary)
                .is_ok(),
            "clef_ask" => self
                .options
                .policies
                .check_feature(Feature::Questions)
                .is_ok(),
            "clef_run_task" => self
                .options
                .policies
                .check_feature(Feature::AgentActions)
                .is_ok(),
            _ => true,
        }
    }

    fn session_ended(&mut self, session: u64) {
        if session == self.session {
            self.tabs.clear();
            self.current = 0;
        } else {
            self.parked.remove(&session);
        }
    }

    fn call(&mut self, call: Call, caller: &Caller) -> Reply {
        self.switch_to(caller.session());
        // Actions that do not go through the agent's checked steps are audited here; those
        // that do (click, type, select, fill, named keys) are audited as each step is done.
        let audited = match &call {
            Call::Navigate(args) => Some(format!("go to {}", args.url)),
            Call::NavigateBack => Some("go back".to_owned()),
            Call::Hover(args) => Some(format!("hover {}", args.target)),
            Call::Evaluate(args) => Some(format!(
                "run the client's script {}",
                args.function.chars().take(200).collect::<String>()
            )),
            Call::Tabs(args) if args.action != TabAction::List => {
                Some(format!("tabs: {:?} {:?}", args.action, args.index))
            }
            Call::Close => Some("close every tab".to_owned()),
            Call::Read(args) | Call::Summarize(args) => {
                args.url.as_ref().map(|url| format!("go to {url}"))
            }
            Call::Ask(args) => args.url.as_ref().map(|url| format!("go to {url}")),
            Call::RunTask(args) => args.start_url.as_ref().map(|url| format!("go to {url}")),
            Call::HistorySearch(args) => Some(format!(
                "search the user's history for {}",
                args.query.chars().take(200).collect::<String>()
            )),
            _ => None,
        };
        let label = audited.clone().unwrap_or_else(|| label(&call).to_owned());
        let mut reply = self.dispatch(call, caller);
        // Defence in depth: a saved value typed into a tab never reaches the client, even where
        // the site put it in an address (a GET form) that a reply shows.
        for content in &mut reply.content {
            if let Content::Text(text) = content {
                for tab in self.tabs.iter() {
                    *text = tab.page.redact(text);
                }
            }
        }
        if let Some(action) = audited
            && let Err(error) = self.audit_call(caller, action, &reply)
        {
            return Reply::error(error);
        }
        let outcome = reply
            .content
            .iter()
            .find_map(|content| match content {
                Content::Text(text) => text.lines().next(),
                Content::Png(_) => None,
            })
            .unwrap_or_default();
        let line = format!(
            "{}: {label} → {}{outcome}",
            caller.client(),
            if reply.is_error { "failed: " } else { "" }
        );
        let line = match self.tabs.get(self.current) {
            Some(tab) => tab.page.redact(&line),
            None => line,
        };
        self.browser.note(&line);
        reply
    }
}

/// What a call without an audit line of its own did, as the person watching is told.
fn label(call: &Call) -> &'static str {
    match call {
        Call::Snapshot => "read the page (snapshot)",
        Call::Click(_) => "click",
        Call::Type(_) => "type",
        Call::FillForm(_) => "fill the form",
        Call::SelectOption(_) => "select an option",
        Call::PressKey(_) => "press a key",
        Call::WaitFor(_) => "wait",
        Call::Tabs(_) => "list the tabs",
        Call::Screenshot(_) => "take a screenshot",
        Call::Read(_) => "read the article",
        Call::Summarize(_) => "summarize",
        Call::Ask(_) => "ask the local model",
        Call::RunTask(_) => "run a task with the local agent",
        _ => "call a tool",
    }
}

impl McpHost {
    /// One audit line for a call that acted outside the agent's steps.
    fn audit_call(&mut self, caller: &Caller, action: String, reply: &Reply) -> Result<(), String> {
        let url = self
            .tabs
            .get(self.current)
            .and_then(|tab| tab.page.url())
            .unwrap_or_default();
        let outcome = reply
            .content
            .iter()
            .find_map(|content| match content {
                Content::Text(text) => text.lines().next().map(str::to_owned),
                Content::Png(_) => None,
            })
            .unwrap_or_default();
        let redact = |text: String| match self.tabs.get(self.current) {
            Some(tab) => tab.page.redact(&text),
            None => text,
        };
        let record = clef_agent::act::AuditRecord {
            time: clef_agent::act::audit::now(),
            url: redact(url),
            action: redact(action),
            element: None,
            reason: String::new(),
            outcome: redact(if reply.is_error {
                format!("failed: {outcome}")
            } else {
                outcome
            }),
            approved_by: String::new(),
        };
        self.options
            .audit
            .acting_for(&format!("MCP client \"{}\"", caller.client()))
            .record(&record)
            .map_err(|error| format!("the audit log cannot be written: {error}"))
    }

    fn dispatch(&mut self, call: Call, caller: &Caller) -> Reply {
        match call {
            Call::Navigate(args) => {
                let result = self.navigate(&args.url);
                self.with_state(result)
            }
            Call::NavigateBack => {
                let result = self.back();
                self.with_state(result)
            }
            Call::Snapshot => result_text(self.page_state()),
            Call::Click(args) => self.click(&args, caller),
            Call::Type(args) => self.type_text(&args, caller),
            Call::FillForm(args) => self.fill_form(&args, caller),
            Call::SelectOption(args) => self.select(&args, caller),
            Call::PressKey(args) => self.press(&args.key, caller),
            Call::Hover(args) => self.hover(&args.target),
            Call::WaitFor(args) => {
                let result = self.wait_for(args, caller);
                self.with_state(result)
            }
            Call::Tabs(args) => result_text(self.tabs(args)),
            Call::Screenshot(args) => self.screenshot(&args),
            Call::Evaluate(args) => self.evaluate(&args),
            Call::Close => Reply::text(self.close()),
            Call::Read(args) => self.read(args.url.as_deref()),
            Call::Summarize(args) => self.summarize(args.url.as_deref()),
            Call::Ask(args) => self.ask(&args.question, args.url.as_deref()),
            Call::RunTask(args) => self.run_task(&args, caller),
            Call::HistorySearch(args) => result_text(self.history_search(&args.query)),
        }
    }
}

/// A PNG of `image` for the client.
fn png(image: &image::RgbaImage) -> Result<Vec<u8>, String> {
    let mut bytes = std::io::Cursor::new(Vec::new());
    image
        .write_to(&mut bytes, image::ImageFormat::Png)
        .map_err(|error| format!("cannot encode the screenshot: {error}"))?;
    Ok(bytes.into_inner())
}

fn image_reply(note: String, bytes: Vec<u8>) -> Reply {
    Reply {
        content: vec![Content::Text(note), Content::Png(bytes)],
        is_error: false,
    }
}
