//! The thread that runs the assistant for the window: it owns the model, takes jobs from the
//! pane and streams events back, so the window stays responsive while the model writes.

use std::ops::ControlFlow;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::Instant;

use clef_agent::cited::Point;
use clef_agent::passages::Passages;
use clef_agent::{question, summary};
use clef_engine::EngineOptions;
use serde::Serialize;

use super::model::{LocalModel, ModelStatus};

pub enum AssistantJob {
    Summarize {
        passages: Passages,
    },
    Ask {
        sources: Vec<Passages>,
        question: String,
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
    /// Something the user should know that is not an error (a passage left out, a tab skipped).
    Notice {
        message: String,
    },
}

pub struct AssistantWorker {
    jobs: Sender<AssistantJob>,
    events: Receiver<AssistantEvent>,
    stop: Arc<AtomicBool>,
}

impl AssistantWorker {
    /// Start the thread; it loads the model and calls `wake` whenever it has events.
    pub fn start(options: Option<EngineOptions>, wake: impl Fn() + Send + 'static) -> Self {
        let (jobs, job_receiver) = mpsc::channel();
        let (event_sender, events) = mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let spawned = std::thread::Builder::new()
            .name("clef-assistant".to_owned())
            .spawn(move || {
                let send = |event: AssistantEvent| {
                    let _ = event_sender.send(event);
                    wake();
                };
                serve(options, job_receiver, &flag, &send);
            });
        if let Err(error) = spawned {
            tracing::error!(%error, "cannot start the assistant thread");
        }
        AssistantWorker { jobs, events, stop }
    }

    pub fn submit(&self, job: AssistantJob) {
        self.stop.store(false, Ordering::SeqCst);
        let _ = self.jobs.send(job);
    }

    /// Stop the generation under way.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
    }

    pub fn events(&self) -> Vec<AssistantEvent> {
        self.events.try_iter().collect()
    }
}

fn serve(
    options: Option<EngineOptions>,
    jobs: Receiver<AssistantJob>,
    stop: &AtomicBool,
    send: &dyn Fn(AssistantEvent),
) {
    let Some(options) = options else {
        send(AssistantEvent::Unavailable {
            message: "No model configured: start Clef with --model FILE.gguf, or set [model] path in ~/.config/clef/config.toml.".to_owned(),
        });
        return;
    };
    let mut model = match LocalModel::start(options) {
        Ok(model) => model,
        Err(error) => {
            send(AssistantEvent::Unavailable {
                message: format!("The model could not be loaded: {error}"),
            });
            return;
        }
    };
    if let Err(error) = model.prefill(&summary::warm_up_request()) {
        tracing::info!(%error, "warm-up failed");
    }
    send(AssistantEvent::Status {
        model: model.status(),
    });
    while let Ok(job) = jobs.recv() {
        match job {
            AssistantJob::Summarize { passages } => {
                send(AssistantEvent::Begin {
                    kind: "summary".to_owned(),
                    title: passages.title.clone(),
                });
                let started = Instant::now();
                let mut first_token = None;
                let result = summary::summarize(&mut model, &passages, &mut |event| {
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
            AssistantJob::Ask { sources, question } => {
                send(AssistantEvent::Begin {
                    kind: "answer".to_owned(),
                    title: question.clone(),
                });
                let started = Instant::now();
                let mut first_token = None;
                let result = question::ask(&mut model, &sources, &question, &mut |event| {
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
        send(AssistantEvent::Status {
            model: model.status(),
        });
    }
}
