//! `clef-engine-worker`: runs llama.cpp for the browser, one JSON request per stdin line and
//! one JSON event per stdout line. Started by `clef_engine::Engine`, never by users.

mod sandbox;
mod session;

use std::io::{BufRead, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, mpsc};

use clef_engine::protocol::{ErrorKind, Event, Request};

/// Serialized writes of events to stdout.
pub struct Emitter(std::io::Stdout);

impl Emitter {
    pub fn emit(&self, event: &Event) {
        let Ok(line) = serde_json::to_string(event) else {
            return;
        };
        let mut out = self.0.lock();
        // A closed stdout means the browser is gone; the read loop ends us soon after.
        let _ = writeln!(out, "{line}").and_then(|()| out.flush());
    }
}

fn main() {
    // Before anything starts a thread (OpenMP, tracing): unshare needs a single thread.
    let isolation = sandbox::isolate_network();
    tracing_subscriber_init();

    let cancelled = Arc::new(AtomicU64::new(0));
    let (sender, requests) = mpsc::channel();
    let reader_cancelled = cancelled.clone();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            match serde_json::from_str::<Request>(&line) {
                // Cancels act at once, even while a generation runs.
                Ok(Request::Cancel { id }) => reader_cancelled.store(id, Ordering::SeqCst),
                Ok(request) => {
                    if sender.send(request).is_err() {
                        break;
                    }
                }
                Err(error) => tracing::warn!(%error, "unreadable request"),
            }
        }
    });

    let emitter = Emitter(std::io::stdout());
    let mut session: Option<session::Session> = None;
    for request in requests {
        match request {
            Request::Load {
                path,
                context,
                threads,
                decode_threads,
                gpu_layers,
            } => {
                let threads = (threads, decode_threads);
                let loaded =
                    session::Session::load(&path, context, threads, gpu_layers, &isolation);
                match loaded {
                    Ok(new_session) => {
                        emitter.emit(&Event::Loaded {
                            info: new_session.info.clone(),
                        });
                        session = Some(new_session);
                    }
                    Err(message) => emitter.emit(&Event::Error {
                        id: None,
                        kind: ErrorKind::Load,
                        message,
                    }),
                }
            }
            Request::Generate {
                id,
                messages,
                params,
            } => match session.as_mut() {
                Some(session) => session.generate(id, &messages, &params, &cancelled, &emitter),
                None => emitter.emit(&no_model(id)),
            },
            Request::Prefill { id, messages } => match session.as_mut() {
                Some(session) => session.prefill(id, &messages, &emitter),
                None => emitter.emit(&no_model(id)),
            },
            Request::Tokenize { id, messages } => match session.as_ref() {
                Some(session) => session.tokenize(id, &messages, &emitter),
                None => emitter.emit(&no_model(id)),
            },
            Request::Cancel { .. } => {}
        }
    }
}

fn no_model(id: u64) -> Event {
    Event::Error {
        id: Some(id),
        kind: ErrorKind::NoModel,
        message: "no model is loaded".to_owned(),
    }
}

fn tracing_subscriber_init() {
    // llama.cpp's own messages are for its developers (a failure reaches the user as the
    // worker's error event): shown only when asked for with CLEF_LOG.
    let filter = std::env::var("CLEF_LOG").unwrap_or_else(|_| "warn,llama-cpp-2=off".to_owned());
    let subscriber = tracing_subscriber_fmt(filter);
    let _ = tracing::subscriber::set_global_default(subscriber);
}

fn tracing_subscriber_fmt(filter: String) -> impl tracing::Subscriber + Send + Sync {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .finish()
}
