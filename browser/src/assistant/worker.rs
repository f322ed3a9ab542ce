//! The thread that runs the assistant for the window: it owns the model, takes jobs from the
//! pane and streams events back, so the window stays responsive while the model writes.

use std::ops::ControlFlow;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::Instant;

use clef_agent::act::{
    self, Approver, AuditLog, Guidance, Policy, RunOptions, StepRecord, ToolApproval, Toolbox,
};
use clef_agent::cited::Point;
use clef_agent::passages::Passages;
use clef_agent::{question, summary};
use clef_engine::EngineOptions;
use serde::Serialize;

use super::model::{LocalModel, ModelStatus};
use super::remote_page::{PageRequest, RemotePage};
use super::vault::SecretsVault;
use crate::config::Profile;

pub enum AssistantJob {
    Summarize {
        passages: Passages,
    },
    Ask {
        sources: Vec<Passages>,
        question: String,
    },
    /// Carry out a task on the tab the window has pinned for the agent.
    Act {
        task: String,
        /// The sites the task may visit (the tab's, when it began), and what needs a yes.
        policy: Policy,
        max_steps: usize,
        /// Where the audit goes (`None`: the default).
        audit: Option<std::path::PathBuf>,
    },
    /// Load another model (the settings page's choice); the one loaded stays if it fails.
    UseModel {
        options: EngineOptions,
    },
}

/// What the pane is told, serialized as the argument of `clefAssistant.event`.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum AssistantEvent {
    Status {
        model: ModelStatus,
    },
    Unavailable {
        message: String,
    },
    Begin {
        kind: String,
        title: String,
    },
    Token {
        text: String,
    },
    Point {
        point: Point,
    },
    Done {
        first_token_seconds: Option<f64>,
        seconds: f64,
        stopped: bool,
        not_found: bool,
    },
    Error {
        message: String,
    },
    /// A task ended, however it ended (the window lets go of its tab); not shown in the pane.
    TaskEnded,
    /// The organization manages the assistant: the pane marks it, and turns off (and labels)
    /// the controls of the features the policy turns off (`off`: the controls' ids).
    Managed {
        source: String,
        off: Vec<&'static str>,
    },
    /// Something the user should know that is not an error (a passage left out, a tab skipped).
    Notice {
        message: String,
    },
    /// One step of a task, done or refused.
    Step {
        step: StepRecord,
    },
    /// A risky step waits for the user's yes or no.
    Approve {
        step: String,
        reason: String,
        /// A tool call: the user may also say "always" for the tool.
        #[serde(default)]
        can_always: bool,
    },
    /// The task is paused (the user may act on the page by hand) or running again.
    Paused {
        paused: bool,
    },
    /// What an MCP client driving the window did (`clef mcp --window`).
    Client {
        line: String,
    },
    /// The user paused the MCP clients (and may use the page by hand), or let them go on.
    ClientPaused {
        paused: bool,
    },
}

/// The model the assistant may use, or why there is none; and what the pane should say first
/// (e.g. that settings are managed by the organization).
pub struct ModelChoice {
    pub options: Option<EngineOptions>,
    pub unavailable: Option<String>,
    pub notes: Vec<String>,
}

pub struct AssistantWorker {
    jobs: Sender<AssistantJob>,
    events: Receiver<AssistantEvent>,
    page_requests: Receiver<PageRequest>,
    approvals: Sender<ToolApproval>,
    controls: Arc<Controls>,
}

/// What the UI thread tells a running job.
#[derive(Default)]
struct Controls {
    stop: AtomicBool,
    pause: AtomicBool,
}

impl AssistantWorker {
    /// Start the thread; it loads the model and calls `wake` whenever it has events or page
    /// requests for the UI thread.
    pub fn start(
        model: ModelChoice,
        profile: Profile,
        secrets: SecretsPlace,
        wake: impl Fn() + Send + Sync + 'static,
    ) -> Self {
        let (jobs, job_receiver) = mpsc::channel();
        let (event_sender, events) = mpsc::channel();
        let (page_sender, page_requests) = mpsc::channel();
        let (approvals, approval_receiver) = mpsc::channel();
        let controls = Arc::new(Controls::default());
        let shared = controls.clone();
        let wake: Arc<dyn Fn() + Send + Sync> = Arc::new(wake);
        let spawned = std::thread::Builder::new()
            .name("clef-assistant".to_owned())
            .spawn(move || {
                let waker = wake.clone();
                let send = move |event: AssistantEvent| {
                    let _ = event_sender.send(event);
                    waker();
                };
                let page = RemotePage::new(page_sender, wake);
                let context = JobContext {
                    controls: &shared,
                    send: &send,
                    approvals: approval_receiver,
                    profile,
                    secrets,
                };
                serve(model, job_receiver, page, context);
            });
        if let Err(error) = spawned {
            tracing::error!(%error, "cannot start the assistant thread");
        }
        AssistantWorker {
            jobs,
            events,
            page_requests,
            approvals,
            controls,
        }
    }

    pub fn submit(&self, job: AssistantJob) {
        self.controls.stop.store(false, Ordering::SeqCst);
        self.controls.pause.store(false, Ordering::SeqCst);
        let _ = self.jobs.send(job);
    }

    /// Stop the generation or task under way.
    pub fn stop(&self) {
        self.controls.stop.store(true, Ordering::SeqCst);
    }

    /// Pause a task after its current step (the user takes over), or let it go on.
    pub fn pause(&self, paused: bool) {
        self.controls.pause.store(paused, Ordering::SeqCst);
    }

    /// The user's answer to the step the pane shows; `always` only for a tool call.
    pub fn approve(&self, allow: bool, always: bool) {
        let answer = match (allow, always) {
            (false, _) => ToolApproval::No,
            (true, false) => ToolApproval::Once,
            (true, true) => ToolApproval::Always,
        };
        let _ = self.approvals.send(answer);
    }

    /// Page operations the running task waits for.
    pub fn page_requests(&self) -> Vec<PageRequest> {
        self.page_requests.try_iter().collect()
    }

    pub fn events(&self) -> Vec<AssistantEvent> {
        self.events.try_iter().collect()
    }
}

struct JobContext<'a> {
    controls: &'a Controls,
    send: &'a dyn Fn(AssistantEvent),
    approvals: Receiver<ToolApproval>,
    profile: Profile,
    secrets: SecretsPlace,
}

/// Where the window's profile keeps its secrets (a private window reads the default profile's).
#[derive(Debug, Clone)]
pub struct SecretsPlace {
    pub profile_dir: std::path::PathBuf,
    pub store: clef_profile::secrets::StoreChoice,
}

impl Default for SecretsPlace {
    /// The default profile's.
    fn default() -> Self {
        Self {
            profile_dir: dirs::data_dir()
                .map(|data| clef_profile::Profile::default_dir(&data))
                .unwrap_or_default(),
            store: clef_profile::secrets::StoreChoice::Auto,
        }
    }
}

/// Risky steps are asked in the pane; the task waits for the answer (or a stop).
struct PaneApprover<'a> {
    context: &'a JobContext<'a>,
}

impl PaneApprover<'_> {
    /// Show the question in the pane and wait for the answer (a stop is a no).
    fn ask(&mut self, step: &str, reason: &str, can_always: bool) -> ToolApproval {
        while self.context.approvals.try_recv().is_ok() {}
        tracing::info!(step, reason, "the task asks the user's approval");
        (self.context.send)(AssistantEvent::Approve {
            step: step.to_owned(),
            reason: reason.to_owned(),
            can_always,
        });
        loop {
            if self.context.controls.stop.load(Ordering::SeqCst) {
                return ToolApproval::No;
            }
            if let Ok(answer) = self
                .context
                .approvals
                .recv_timeout(std::time::Duration::from_millis(200))
            {
                return answer;
            }
        }
    }
}

impl Approver for PaneApprover<'_> {
    fn approve(&mut self, step: &str, reason: &str) -> bool {
        self.ask(step, reason, false) != ToolApproval::No
    }

    fn approve_tool(&mut self, step: &str, tool: &str) -> ToolApproval {
        self.ask(step, &act::tools::approval_reason(tool), true)
    }
}

fn act_job(
    model: &mut LocalModel,
    page: &mut RemotePage,
    context: &JobContext<'_>,
    task: &str,
    policy: Policy,
    max_steps: usize,
    audit: Option<std::path::PathBuf>,
) {
    let send = context.send;
    send(AssistantEvent::Begin {
        kind: "task".to_owned(),
        title: task.to_owned(),
    });
    let vault = SecretsVault::open(
        context.profile.clone(),
        &context.secrets.profile_dir,
        context.secrets.store,
    );
    let audit_path = audit.or_else(super::default_audit_path);
    // The user's MCP servers, started for this task and ended with it.
    let config = crate::config::Config::load_default().unwrap_or_else(|error| {
        send(AssistantEvent::Notice {
            message: format!("no tools: {error}"),
        });
        crate::config::Config::default()
    });
    let (tools, problems) = super::connect_tools(
        &config.mcp_servers,
        &crate::policies::load(),
        crate::config::Config::default_path(),
    );
    for message in problems {
        send(AssistantEvent::Notice { message });
    }
    let options = RunOptions {
        max_steps,
        policy,
        guidance: Guidance::for_parameters(model.parameters()),
        page_budget: 600,
        plan: true,
        tools: tools.map(|tools| std::sync::Arc::new(tools) as std::sync::Arc<dyn Toolbox>),
    };
    let started = Instant::now();
    let controls = context.controls;
    let result = act::run(
        task,
        page,
        model,
        &vault,
        &mut PaneApprover { context },
        &AuditLog::new(audit_path.as_deref()),
        &options,
        &mut |step| {
            tracing::info!(
                number = step.number,
                step = %step.description,
                outcome = %step.outcome,
                seconds = step.seconds,
                "task step"
            );
            send(AssistantEvent::Step { step: step.clone() });
            // Paused: the user may act on the page by hand; the next step looks afresh.
            if controls.pause.load(Ordering::SeqCst) {
                send(AssistantEvent::Paused { paused: true });
                while controls.pause.load(Ordering::SeqCst) && !controls.stop.load(Ordering::SeqCst)
                {
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
                send(AssistantEvent::Paused { paused: false });
            }
            if controls.stop.load(Ordering::SeqCst) {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        },
    );
    match result {
        Ok(outcome) => {
            let message = match (&outcome.answer, outcome.status) {
                (Some(answer), _) => format!("Answer: {answer}"),
                (None, act::Status::Done) => format!("Done: {}", outcome.summary),
                (None, act::Status::NeedsUser) => format!("Needs you: {}", outcome.summary),
                (None, act::Status::Failed) => format!("Failed: {}", outcome.summary),
                (None, act::Status::StepLimit) => format!("Out of steps: {}", outcome.summary),
                (None, act::Status::Stopped) => format!("Stopped: {}", outcome.summary),
            };
            tracing::info!(%message, "task over");
            send(AssistantEvent::Notice { message });
            send(AssistantEvent::Done {
                first_token_seconds: None,
                seconds: started.elapsed().as_secs_f64(),
                stopped: outcome.status == act::Status::Stopped,
                not_found: false,
            });
        }
        Err(error) => send(AssistantEvent::Error {
            message: error.to_string(),
        }),
    }
}

fn serve(
    choice: ModelChoice,
    jobs: Receiver<AssistantJob>,
    mut page: RemotePage,
    context: JobContext<'_>,
) {
    let send = context.send;
    for note in choice.notes {
        send(AssistantEvent::Notice { message: note });
    }
    let mut model = match choice.options {
        Some(options) => load(options, send),
        None => {
            let message = choice.unavailable.unwrap_or_else(|| {
                "No model configured: choose one in Settings (☰), start Clef with --model FILE.gguf, or set [model] path in ~/.config/clef/config.toml.".to_owned()
            });
            send(AssistantEvent::Unavailable { message });
            None
        }
    };
    while let Ok(job) = jobs.recv() {
        if let AssistantJob::UseModel { options } = job {
            if let Some(loaded) = load(options, send) {
                model = Some(loaded);
            }
            continue;
        }
        let Some(model) = model.as_mut() else {
            send(AssistantEvent::Error {
                message: "No model is loaded: choose one in Settings (☰).".to_owned(),
            });
            continue;
        };
        let acting = matches!(job, AssistantJob::Act { .. });
        // A bug in one request must not take the assistant down: it is reported in the pane,
        // and the next request is served as usual.
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            run_job(job, model, &mut page, &context);
        }));
        if let Err(panic) = outcome {
            let what = panic
                .downcast_ref::<&str>()
                .map(|text| (*text).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown".to_owned());
            tracing::error!(%what, "the assistant hit a bug");
            send(AssistantEvent::Error {
                message: format!(
                    "The assistant hit a bug ({what}) and dropped this request; it is ready for the next one."
                ),
            });
        }
        if acting {
            // The window lets go of the task's tab however the task ended.
            send(AssistantEvent::TaskEnded);
        }
        send(AssistantEvent::Status {
            model: model.status(),
        });
    }
}

/// Start a model, warm it up and say so in the pane; `None` (and the reason in the pane) when it
/// cannot load.
fn load(options: EngineOptions, send: &dyn Fn(AssistantEvent)) -> Option<LocalModel> {
    let mut model = match LocalModel::start(options) {
        Ok(model) => model,
        Err(error) => {
            send(AssistantEvent::Unavailable {
                message: format!("The model could not be loaded: {error}"),
            });
            return None;
        }
    };
    if let Err(error) = model.prefill(&summary::warm_up_for(&model)) {
        tracing::info!(%error, "warm-up failed");
    }
    send(AssistantEvent::Status {
        model: model.status(),
    });
    Some(model)
}

fn run_job(
    job: AssistantJob,
    model: &mut LocalModel,
    page: &mut RemotePage,
    context: &JobContext<'_>,
) {
    let send = context.send;
    let stop = &context.controls.stop;
    match job {
        AssistantJob::Summarize { passages } => {
            send(AssistantEvent::Begin {
                kind: "summary".to_owned(),
                title: passages.title.clone(),
            });
            let started = Instant::now();
            let mut first_token = None;
            let result = summary::summarize(model, &passages, &mut |event| {
                if stop.load(Ordering::SeqCst) {
                    return ControlFlow::Break(());
                }
                match event {
                    summary::Event::Token(text) => {
                        first_token.get_or_insert_with(|| started.elapsed().as_secs_f64());
                        send(AssistantEvent::Token {
                            text: text.to_owned(),
                        });
                    }
                    summary::Event::Point(point) => send(AssistantEvent::Point {
                        point: point.clone(),
                    }),
                    summary::Event::Reading { part, parts } => send(AssistantEvent::Notice {
                        message: format!("A long page: reading part {part} of {parts}…"),
                    }),
                    summary::Event::Note(_) => {}
                }
                ControlFlow::Continue(())
            });
            match result {
                Ok(done) => send(AssistantEvent::Done {
                    first_token_seconds: first_token,
                    seconds: started.elapsed().as_secs_f64(),
                    stopped: done.stopped,
                    not_found: false,
                }),
                Err(error) => send(AssistantEvent::Error {
                    message: error.to_string(),
                }),
            }
        }
        AssistantJob::Act {
            task,
            policy,
            max_steps,
            audit,
        } => act_job(model, page, context, &task, policy, max_steps, audit),
        // Handled by `serve` before a job runs.
        AssistantJob::UseModel { .. } => {}
        AssistantJob::Ask { sources, question } => {
            send(AssistantEvent::Begin {
                kind: "answer".to_owned(),
                title: question.clone(),
            });
            let started = Instant::now();
            let mut first_token = None;
            let result = question::ask(model, &sources, &question, &mut |event| {
                if stop.load(Ordering::SeqCst) {
                    return ControlFlow::Break(());
                }
                match event {
                    question::Event::Token(text) => {
                        first_token.get_or_insert_with(|| started.elapsed().as_secs_f64());
                        send(AssistantEvent::Token {
                            text: text.to_owned(),
                        });
                    }
                    question::Event::Point(point) => send(AssistantEvent::Point {
                        point: point.clone(),
                    }),
                }
                ControlFlow::Continue(())
            });
            match result {
                Ok(answer) => send(AssistantEvent::Done {
                    first_token_seconds: first_token,
                    seconds: started.elapsed().as_secs_f64(),
                    stopped: answer.stopped,
                    not_found: answer.not_found,
                }),
                Err(error) => send(AssistantEvent::Error {
                    message: error.to_string(),
                }),
            }
        }
    }
}
