//! The MCP protocol side: rmcp's `ServerHandler`, listing the catalog and handing each call to
//! the browser's thread, with progress and cancellation carried both ways.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use base64::Engine as _;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    ListToolsResult, PaginatedRequestParams, ProgressNotificationParam, ServerCapabilities,
    ServerConfig, Tool, ToolAnnotations,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, ServiceExt as _};

use super::{Caller, Content, Job, Reply, ServeError, ToolSpec, Work, tools};

#[derive(Clone)]
pub(super) struct Handler {
    tools: Arc<Vec<Tool>>,
    offered: Arc<Vec<&'static str>>,
    jobs: std::sync::mpsc::Sender<Work>,
    session: u64,
    /// Tells the browser when the last copy of this session's handler goes (rmcp drops it when
    /// the session ends).
    _ending: Option<Arc<SessionEnd>>,
    /// The stdio client closed its end: every call still running stops at its next step (rmcp
    /// lets running calls finish before it ends the session).
    client_gone: Arc<AtomicBool>,
}

static NEXT_SESSION: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

struct SessionEnd {
    session: u64,
    jobs: std::sync::mpsc::Sender<Work>,
}

impl Drop for SessionEnd {
    fn drop(&mut self) {
        let _ = self.jobs.send(Work::SessionEnded(self.session));
    }
}

/// Standard input that says when the client closed it.
struct WatchedStdin {
    inner: tokio::io::Stdin,
    closed: Arc<AtomicBool>,
}

impl tokio::io::AsyncRead for WatchedStdin {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        context: &mut std::task::Context<'_>,
        buffer: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let before = buffer.filled().len();
        let polled = std::pin::Pin::new(&mut self.inner).poll_read(context, buffer);
        let ended = match &polled {
            std::task::Poll::Ready(Ok(())) => buffer.filled().len() == before,
            std::task::Poll::Ready(Err(_)) => true,
            std::task::Poll::Pending => false,
        };
        if ended {
            self.closed.store(true, Ordering::Relaxed);
        }
        polled
    }
}

fn listed(spec: &ToolSpec) -> Tool {
    Tool::new(spec.name, spec.description, Arc::new(spec.schema.clone()))
        .with_title(spec.title)
        .with_annotations(
            ToolAnnotations::with_title(spec.title)
                .read_only(spec.read_only)
                .destructive(spec.destructive)
                .open_world(true),
        )
}

impl Handler {
    /// A handler for a session of its own (HTTP sessions of the 2025 protocol).
    pub(super) fn for_new_session(&self) -> Handler {
        let session = NEXT_SESSION.fetch_add(1, Ordering::Relaxed);
        Handler {
            session,
            _ending: Some(Arc::new(SessionEnd {
                session,
                jobs: self.jobs.clone(),
            })),
            ..self.clone()
        }
    }

    pub(super) fn new(specs: Vec<ToolSpec>, jobs: std::sync::mpsc::Sender<Work>) -> Handler {
        Handler {
            tools: Arc::new(specs.iter().map(listed).collect()),
            offered: Arc::new(specs.iter().map(|spec| spec.name).collect()),
            jobs,
            session: 0,
            _ending: None,
            client_gone: Arc::new(AtomicBool::new(false)),
        }
    }
}

fn block(content: Content) -> ContentBlock {
    match content {
        Content::Text(text) => ContentBlock::text(text),
        Content::Png(bytes) => ContentBlock::image(
            base64::engine::general_purpose::STANDARD.encode(bytes),
            "image/png",
        ),
    }
}

fn result(reply: Reply) -> CallToolResponse {
    let blocks = reply.content.into_iter().map(block).collect();
    if reply.is_error {
        CallToolResult::error(blocks).into()
    } else {
        CallToolResult::success(blocks).into()
    }
}

impl ServerHandler for Handler {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("clef", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "Clef, a browser whose assistant runs on this machine. Use browser_snapshot to \
                 see the page and its [ref=eN] handles, then act with those refs. Saved data \
                 (passwords, cards, profile) is typed as {{placeholders}} and never returned. \
                 clef_run_task hands a whole task to Clef's local agent.",
            )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(self.tools.as_ref().clone()))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.tools.iter().find(|tool| tool.name == name).cloned()
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        if !self.offered.contains(&request.name.as_ref()) {
            return Err(ErrorData::invalid_params(
                format!("tool not found: {}", request.name),
                None,
            ));
        }
        let call = match tools::parse_call(&request.name, request.arguments) {
            Ok(call) => call,
            Err(error @ tools::CallError::UnknownTool(_)) => {
                return Err(ErrorData::invalid_params(error.to_string(), None));
            }
            // As Playwright MCP does: the client's model reads what was wrong and tries again.
            Err(error) => return Ok(result(Reply::error(error.to_string()))),
        };
        let client = context
            .client_info()
            .map(|info| info.name)
            .filter(|name| !name.trim().is_empty())
            .unwrap_or_else(|| "an unnamed MCP client".to_owned());
        // The 2026 protocol has no sessions: its calls share the default one.
        let session = match context.protocol_version() {
            Some(version) if !version.has_initialize() => 0,
            _ => self.session,
        };
        let progress_token = context.meta.get_progress_token();
        let (progress_tx, mut progress) = tokio::sync::mpsc::unbounded_channel();
        let cancelled = Arc::new(AtomicBool::new(false));
        let (reply_tx, mut reply) = tokio::sync::oneshot::channel();
        let job = Job {
            call,
            caller: Caller {
                client,
                progress: progress_token.is_some().then_some(progress_tx),
                cancelled: cancelled.clone(),
                client_gone: self.client_gone.clone(),
                session,
            },
            reply: reply_tx,
        };
        if self.jobs.send(Work::Call(job)).is_err() {
            return Err(ErrorData::internal_error("the browser has stopped", None));
        }
        let mut sent = 0.0;
        loop {
            tokio::select! {
                answer = &mut reply => {
                    return match answer {
                        Ok(answer) => Ok(result(answer)),
                        Err(_) => Err(ErrorData::internal_error("the browser dropped the call", None)),
                    };
                }
                Some(message) = progress.recv() => {
                    if let Some(token) = &progress_token {
                        sent += 1.0;
                        let note = ProgressNotificationParam::new(token.clone(), sent)
                            .with_message(message);
                        // Progress that cannot be delivered: the client is gone.
                        if let Err(error) = context.peer.notify_progress(note).await {
                            tracing::debug!(%error, "progress not delivered; stopping the call");
                            cancelled.store(true, Ordering::Relaxed);
                        }
                    }
                }
                () = context.ct.cancelled() => {
                    // The browser stops the call at its next step; nobody waits for the answer.
                    cancelled.store(true, Ordering::Relaxed);
                    return Err(ErrorData::internal_error("cancelled", None));
                }
            }
        }
    }
}

pub(super) async fn serve_stdio(handler: Handler) -> Result<(), ServeError> {
    let stdin = WatchedStdin {
        inner: tokio::io::stdin(),
        closed: handler.client_gone.clone(),
    };
    let running = handler
        .serve((stdin, tokio::io::stdout()))
        .await
        .map_err(|error| ServeError::Session(error.to_string()))?;
    running
        .waiting()
        .await
        .map_err(|error| ServeError::Session(error.to_string()))?;
    Ok(())
}
