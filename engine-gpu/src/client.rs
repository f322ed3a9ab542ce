//! The browser's side of the engine: starts the worker, streams, cancels, restarts.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::{Mutex, mpsc, oneshot};

use crate::protocol::{
    ErrorKind, Event, GenerateParams, Message, ModelInfo, Request, Stats, Token, TokenEvent,
};
use crate::{EngineError, gguf};

/// How to run a model.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    pub model: PathBuf,
    /// Refuse the model unless its sha256 is this (hex).
    pub sha256: Option<String>,
    /// Context window in tokens.
    pub context: u32,
    /// CPU threads for prompt processing; the default is the number of cores.
    pub threads: Option<i32>,
    /// CPU threads for generating tokens; the default is 1. Decoding a small model is
    /// latency-bound: a second, passively waiting thread cut decode speed by almost half here.
    pub decode_threads: Option<i32>,
    /// Layers to offload; the default lets llama.cpp fit what free GPU memory allows.
    pub gpu_layers: Option<u32>,
    /// The worker executable; the default is `clef-engine-worker` beside the current one.
    pub worker: Option<PathBuf>,
}

impl EngineOptions {
    pub fn new(model: impl Into<PathBuf>) -> Self {
        Self {
            model: model.into(),
            sha256: None,
            context: 4096,
            threads: None,
            decode_threads: None,
            gpu_layers: None,
            worker: None,
        }
    }
}

type Route = mpsc::UnboundedSender<Result<TokenEvent, EngineError>>;

struct Worker {
    child: Child,
    stdin: ChildStdin,
    routes: Arc<std::sync::Mutex<HashMap<u64, Route>>>,
    /// Filled by the reader when the worker's output ends.
    exited: Arc<std::sync::Mutex<Option<String>>>,
}

/// A model running in its own worker process.
pub struct Engine {
    options: EngineOptions,
    info: ModelInfo,
    worker: Mutex<Option<Worker>>,
    next_id: AtomicU64,
    restarts: AtomicU64,
}

/// One streaming generation. Dropping it does not cancel; call [`Generation::cancel`].
pub struct Generation {
    pub id: u64,
    events: mpsc::UnboundedReceiver<Result<TokenEvent, EngineError>>,
}

impl Generation {
    /// The next streamed event; `None` after `Done` or an error.
    pub async fn next(&mut self) -> Option<Result<TokenEvent, EngineError>> {
        self.events.recv().await
    }

    /// Wait for the whole answer.
    pub async fn finish(mut self) -> Result<(String, Stats), EngineError> {
        while let Some(event) = self.next().await {
            match event? {
                TokenEvent::Done { text, stats } => return Ok((text, stats)),
                TokenEvent::Token(_) | TokenEvent::Tokens(_) => {}
            }
        }
        Err(EngineError::WorkerDied("the stream ended early".to_owned()))
    }
}

impl Engine {
    /// Check the file, start the worker and load the model. `progress` sees load fractions.
    pub async fn start(
        options: EngineOptions,
        progress: impl Fn(f32) + Send + 'static,
    ) -> Result<Self, EngineError> {
        gguf::check_header(&options.model)?;
        if let Some(pin) = &options.sha256 {
            gguf::verify_pin(&options.model, pin)?;
        }
        // No adapter listing here: it would load the Vulkan driver into the browser process,
        // beside Servo's GL, on every start (`clef model info` lists adapters).
        let (worker, info) = spawn(&options, Box::new(progress)).await?;
        tracing::info!(
            model = %info.name,
            gpu_layers = info.gpu_layers,
            layers = info.layers,
            devices = ?info.devices,
            isolation = %info.network_isolation,
            "model loaded; layers on the GPU as chosen from free memory"
        );
        Ok(Self {
            options,
            info,
            worker: Mutex::new(Some(worker)),
            next_id: AtomicU64::new(1),
            restarts: AtomicU64::new(0),
        })
    }

    pub fn info(&self) -> &ModelInfo {
        &self.info
    }

    /// How often the worker died and was started again.
    pub fn restarts(&self) -> u64 {
        self.restarts.load(Ordering::SeqCst)
    }

    /// The worker's process id (tests use it to kill the worker or inspect its namespace).
    pub async fn worker_pid(&self) -> Option<u32> {
        self.worker
            .lock()
            .await
            .as_ref()
            .and_then(|worker| worker.child.id())
    }

    pub async fn generate(
        &self,
        messages: Vec<Message>,
        params: GenerateParams,
    ) -> Result<Generation, EngineError> {
        let id = self.next_id.fetch_add(1, Ordering::SeqCst);
        let events = self
            .send(
                id,
                Request::Generate {
                    id,
                    messages,
                    params,
                },
            )
            .await?;
        Ok(Generation { id, events })
    }

    /// Put `messages` (e.g. the system prompt) into the KV cache ahead of time.
    pub async fn prefill(&self, messages: Vec<Message>) -> Result<Stats, EngineError> {
        let id = self.next_id.fetch_add(1, Ordering::SeqCst);
        let events = self.send(id, Request::Prefill { id, messages }).await?;
        Generation { id, events }
            .finish()
            .await
            .map(|(_, stats)| stats)
    }

    /// The prompt tokens `messages` render to (with the generation prompt appended).
    pub async fn tokenize(&self, messages: Vec<Message>) -> Result<Vec<Token>, EngineError> {
        let id = self.next_id.fetch_add(1, Ordering::SeqCst);
        let mut events = self.send(id, Request::Tokenize { id, messages }).await?;
        match events.recv().await {
            Some(Ok(TokenEvent::Tokens(tokens))) => Ok(tokens),
            Some(Err(error)) => Err(error),
            _ => Err(EngineError::WorkerDied("no tokens came back".to_owned())),
        }
    }

    /// Stop a generation; its stream ends with `Done` and `stats.stop == StopReason::Cancelled`.
    pub async fn cancel(&self, id: u64) -> Result<(), EngineError> {
        let mut guard = self.worker.lock().await;
        match guard.as_mut() {
            Some(worker) => write_request(&mut worker.stdin, &Request::Cancel { id }).await,
            None => Ok(()),
        }
    }

    async fn send(
        &self,
        id: u64,
        request: Request,
    ) -> Result<mpsc::UnboundedReceiver<Result<TokenEvent, EngineError>>, EngineError> {
        let mut guard = self.worker.lock().await;
        let dead = guard
            .as_ref()
            .is_none_or(|worker| worker.exited.lock().map(|e| e.is_some()).unwrap_or(true));
        if dead {
            // A previous request killed the worker (abort, OOM): start a fresh one.
            if let Some(mut old) = guard.take() {
                let _ = old.child.kill().await;
            }
            tracing::warn!("restarting the model worker");
            let (worker, _) = spawn(&self.options, Box::new(|_| {})).await?;
            self.restarts.fetch_add(1, Ordering::SeqCst);
            *guard = Some(worker);
        }
        let worker = guard.as_mut().ok_or(EngineError::NoModel)?;
        let (sender, receiver) = mpsc::unbounded_channel();
        if let Ok(mut routes) = worker.routes.lock() {
            routes.insert(id, sender);
        }
        write_request(&mut worker.stdin, &request).await?;
        Ok(receiver)
    }
}

fn worker_path(options: &EngineOptions) -> PathBuf {
    if let Some(path) = &options.worker {
        return path.clone();
    }
    if let Some(path) = std::env::var_os("CLEF_ENGINE_WORKER") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().unwrap_or_default();
    let dir = exe.parent().unwrap_or(Path::new("."));
    // Test binaries live one level down, in `deps/`.
    [
        dir.join("clef-engine-worker"),
        dir.join("../clef-engine-worker"),
    ]
    .into_iter()
    .find(|path| path.exists())
    .unwrap_or_else(|| dir.join("clef-engine-worker"))
}

async fn write_request(stdin: &mut ChildStdin, request: &Request) -> Result<(), EngineError> {
    let mut line =
        serde_json::to_vec(request).map_err(|e| EngineError::Generation(e.to_string()))?;
    line.push(b'\n');
    stdin
        .write_all(&line)
        .await
        .map_err(|e| EngineError::WorkerDied(format!("cannot write to it: {e}")))?;
    stdin
        .flush()
        .await
        .map_err(|e| EngineError::WorkerDied(format!("cannot write to it: {e}")))
}

fn error_for(kind: ErrorKind, message: String, path: &Path) -> EngineError {
    match kind {
        ErrorKind::Load => EngineError::LoadFailed {
            path: path.to_owned(),
            reason: message,
        },
        ErrorKind::PromptTooLong => EngineError::PromptTooLong(message),
        ErrorKind::Grammar => EngineError::Grammar(message),
        ErrorKind::Template => EngineError::Template(message),
        ErrorKind::Generation => EngineError::Generation(message),
        ErrorKind::NoModel => EngineError::NoModel,
    }
}

async fn spawn(
    options: &EngineOptions,
    progress: Box<dyn Fn(f32) + Send>,
) -> Result<(Worker, ModelInfo), EngineError> {
    let path = worker_path(options);
    let threads = options.threads.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| i32::try_from(n.get()).unwrap_or(1))
            .unwrap_or(1)
    });
    let mut child = Command::new(&path)
        // Spinning OpenMP workers starve the page engine and collapse decode speed when the
        // machine is busy, so waiting is passive unless the user chose otherwise.
        .env(
            "OMP_WAIT_POLICY",
            std::env::var("OMP_WAIT_POLICY").unwrap_or_else(|_| "passive".to_owned()),
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| EngineError::WorkerStart {
            path: path.clone(),
            reason: e.to_string(),
        })?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| EngineError::WorkerDied("no stdout".to_owned()))?;
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| EngineError::WorkerDied("no stdin".to_owned()))?;
    let routes: Arc<std::sync::Mutex<HashMap<u64, Route>>> = Arc::default();
    let exited: Arc<std::sync::Mutex<Option<String>>> = Arc::default();
    let (loaded_sender, loaded) = oneshot::channel();
    tokio::spawn(read_events(
        stdout,
        routes.clone(),
        exited.clone(),
        loaded_sender,
        progress,
        options.model.clone(),
    ));

    let model = options.model.to_string_lossy().into_owned();
    write_request(
        &mut stdin,
        &Request::Load {
            path: model,
            context: options.context,
            threads,
            decode_threads: options.decode_threads.unwrap_or(1),
            gpu_layers: options.gpu_layers,
        },
    )
    .await?;
    let info = match tokio::time::timeout(Duration::from_secs(600), loaded).await {
        Ok(Ok(result)) => result?,
        Ok(Err(_)) => {
            let status = child
                .wait()
                .await
                .map(|s| s.to_string())
                .unwrap_or_default();
            return Err(EngineError::LoadFailed {
                path: options.model.clone(),
                reason: format!("the worker exited while loading ({status})"),
            });
        }
        Err(_) => {
            return Err(EngineError::LoadFailed {
                path: options.model.clone(),
                reason: "loading took over 10 minutes".to_owned(),
            });
        }
    };
    Ok((
        Worker {
            child,
            stdin,
            routes,
            exited,
        },
        info,
    ))
}

async fn read_events(
    stdout: tokio::process::ChildStdout,
    routes: Arc<std::sync::Mutex<HashMap<u64, Route>>>,
    exited: Arc<std::sync::Mutex<Option<String>>>,
    loaded: oneshot::Sender<Result<ModelInfo, EngineError>>,
    progress: Box<dyn Fn(f32) + Send>,
    model: PathBuf,
) {
    let mut loaded = Some(loaded);
    let mut lines = BufReader::new(stdout).lines();
    let route = |id: u64, event: Result<TokenEvent, EngineError>, last: bool| {
        let Ok(mut routes) = routes.lock() else {
            return;
        };
        if let Some(sender) = routes.get(&id) {
            let _ = sender.send(event);
        }
        if last {
            routes.remove(&id);
        }
    };
    while let Ok(Some(line)) = lines.next_line().await {
        let Ok(event) = serde_json::from_str::<Event>(&line) else {
            tracing::warn!(%line, "unreadable worker output");
            continue;
        };
        match event {
            Event::Progress { fraction } => progress(fraction),
            Event::Loaded { info } => {
                if let Some(sender) = loaded.take() {
                    let _ = sender.send(Ok(info));
                }
            }
            Event::Token { id, text } => route(id, Ok(TokenEvent::Token(text)), false),
            Event::Done { id, text, stats } => {
                route(id, Ok(TokenEvent::Done { text, stats }), true)
            }
            Event::Tokens { id, tokens } => route(id, Ok(TokenEvent::Tokens(tokens)), true),
            Event::Error {
                id: Some(id),
                kind,
                message,
            } => route(id, Err(error_for(kind, message, &model)), true),
            Event::Error {
                id: None,
                kind,
                message,
            } => {
                if let Some(sender) = loaded.take() {
                    let _ = sender.send(Err(error_for(kind, message, &model)));
                }
            }
        }
    }
    // The worker is gone: every caller still waiting gets an error, not a hang.
    if let Ok(mut exited) = exited.lock() {
        *exited = Some("its output ended".to_owned());
    }
    let pending: Vec<Route> = routes
        .lock()
        .map(|mut r| r.drain().map(|(_, s)| s).collect())
        .unwrap_or_default();
    for sender in pending {
        let _ = sender.send(Err(EngineError::WorkerDied(
            "it crashed or was killed".to_owned(),
        )));
    }
}
