//! Clef as an MCP server: other agents drive the browser through tools named and shaped as
//! Playwright MCP's, and may hand a whole task to the local agent.
//!
//! The protocol runs on a tokio runtime of its own; every tool call is handed to the thread
//! that called [`serve`], which owns the browser (Servo is driven from one thread) and answers
//! calls one at a time through [`ToolHost`].

pub mod client;
mod http;
mod server;
pub mod token;
pub mod tools;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

pub use tools::{Call, CallError, ToolSpec, catalog};

/// What answers the tools: the browser, on the thread that called [`serve`].
pub trait ToolHost {
    /// Whether `tool` (a catalog name) is offered; the organisation's policy may withhold some.
    fn offers(&self, tool: &str) -> bool;
    /// Carry out one call. A failure is a reply marked as an error, for the client's model.
    fn call(&mut self, call: Call, caller: &Caller) -> Reply;
    /// The client of `session` went away: what was kept for it (its tabs) can go.
    fn session_ended(&mut self, session: u64);
}

/// One piece of a tool's answer.
#[derive(Debug, Clone)]
pub enum Content {
    Text(String),
    Png(Vec<u8>),
}

#[derive(Debug, Clone)]
pub struct Reply {
    pub content: Vec<Content>,
    pub is_error: bool,
}

impl Reply {
    pub fn text(text: impl Into<String>) -> Reply {
        Reply {
            content: vec![Content::Text(text.into())],
            is_error: false,
        }
    }

    pub fn error(text: impl Into<String>) -> Reply {
        Reply {
            content: vec![Content::Text(text.into())],
            is_error: true,
        }
    }
}

/// Who called, and the call's channel back while it runs.
#[derive(Debug)]
pub struct Caller {
    client: String,
    progress: Option<tokio::sync::mpsc::UnboundedSender<String>>,
    cancelled: Arc<AtomicBool>,
    /// Set when the (stdio) client closed its end, for every call.
    client_gone: Arc<AtomicBool>,
    session: u64,
}

impl Caller {
    /// The client's name as it introduced itself ("an unnamed MCP client" if it did not).
    pub fn client(&self) -> &str {
        &self.client
    }

    /// Which client session the call belongs to: each HTTP session of the 2025 protocol has its
    /// own; stdio, and the 2026 protocol (which has no sessions), share session 0.
    pub fn session(&self) -> u64 {
        self.session
    }

    /// Tell the client how the call is going (when it asked for progress).
    pub fn progress(&self, message: &str) {
        if let Some(progress) = &self.progress {
            let _ = progress.send(message.to_owned());
        }
    }

    /// The client cancelled the call or went away: stop at the next step.
    pub fn cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed) || self.client_gone.load(Ordering::Relaxed)
    }
}

/// A call on its way to the browser's thread.
struct Job {
    call: Call,
    caller: Caller,
    reply: tokio::sync::oneshot::Sender<Reply>,
}

/// What the protocol side hands the browser's thread.
enum Work {
    Call(Job),
    SessionEnded(u64),
}

/// Where clients reach the server.
#[derive(Debug, Clone)]
pub enum Transport {
    /// Standard input and output (the client started `clef mcp`).
    Stdio,
    /// Streamable HTTP on a loopback address; every request must carry the bearer token.
    Http { address: SocketAddr, token: String },
}

/// The default Streamable HTTP address: loopback, a port no common tool uses.
pub const DEFAULT_HTTP_ADDRESS: &str = "127.0.0.1:9224";

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("{0} is not a loopback address: the MCP server only listens on this machine")]
    NotLoopback(SocketAddr),
    #[error("cannot listen on {address}: {source}")]
    Bind {
        address: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot start the MCP server: {0}")]
    Runtime(std::io::Error),
    #[error("the MCP session failed: {0}")]
    Session(String),
}

/// Serve `host`'s tools over `transport` until the client goes away (stdio) or the process is
/// stopped (HTTP). Calls are answered on this thread, one at a time.
pub fn serve(host: &mut dyn ToolHost, transport: Transport) -> Result<(), ServeError> {
    if let Transport::Http { address, .. } = &transport
        && !address.ip().is_loopback()
    {
        return Err(ServeError::NotLoopback(*address));
    }
    let tools: Vec<ToolSpec> = catalog()
        .into_iter()
        .filter(|tool| host.offers(tool.name))
        .collect();
    let (jobs, incoming) = std::sync::mpsc::channel::<Work>();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("clef-mcp")
        .build()
        .map_err(ServeError::Runtime)?;
    let handler = server::Handler::new(tools, jobs);
    // The protocol side ends by dropping every sender; the loop below then returns.
    let (ended_tx, ended) = std::sync::mpsc::channel::<Result<(), ServeError>>();
    let protocol = std::thread::Builder::new()
        .name("clef-mcp-protocol".to_owned())
        .spawn(move || {
            let result = runtime.block_on(async move {
                match transport {
                    Transport::Stdio => server::serve_stdio(handler).await,
                    Transport::Http { address, token } => {
                        http::serve(handler, address, token).await
                    }
                }
            });
            let _ = ended_tx.send(result);
            // Calls still running are abandoned with the runtime.
            runtime.shutdown_background();
        })
        .map_err(ServeError::Runtime)?;
    while let Ok(work) = incoming.recv() {
        match work {
            Work::Call(job) => {
                let reply = if job.caller.cancelled() {
                    Reply::error("cancelled before it started")
                } else {
                    host.call(job.call, &job.caller)
                };
                let _ = job.reply.send(reply);
            }
            Work::SessionEnded(session) => host.session_ended(session),
        }
    }
    let _ = protocol.join();
    ended.recv().unwrap_or(Ok(()))
}
