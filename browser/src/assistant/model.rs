//! [`LanguageModel`] on the local engine: the worker process, driven from a private tokio runtime.

use std::ops::ControlFlow;
use std::time::Instant;

use clef_agent::model::{LanguageModel, ModelError, ModelReply, ModelRequest};
use clef_engine::{
    Engine, EngineError, EngineOptions, GenerateParams, Message, Part, Role, StopReason, TokenEvent,
};
use serde::Serialize;

/// What the pane shows about the model.
#[derive(Debug, Clone, Serialize, Default)]
pub struct ModelStatus {
    pub name: String,
    /// "CPU" or "GPU (n layers)".
    pub device: String,
    /// Decode speed of the last generation.
    pub tokens_per_second: Option<f64>,
    /// Said when the model's chat template failed and ChatML replaced it.
    pub template_note: Option<String>,
}

pub struct LocalModel {
    runtime: tokio::runtime::Runtime,
    engine: Engine,
    context: usize,
    /// Tokens the chat template adds around an empty user message.
    message_overhead: usize,
    last_tokens_per_second: Option<f64>,
    reuse_prefix: bool,
}

fn model_error(error: EngineError) -> ModelError {
    match error {
        EngineError::PromptTooLong(message) => ModelError::Failed(message),
        EngineError::NoModel => ModelError::NotLoaded("no model is loaded".to_owned()),
        other => ModelError::Failed(other.to_string()),
    }
}

fn messages(request: &ModelRequest) -> Vec<Message> {
    let user = Message {
        role: Role::User,
        parts: request
            .user
            .iter()
            .map(|segment| Part {
                text: segment.text.clone(),
                trusted: segment.trusted,
            })
            .collect(),
    };
    vec![Message::trusted(Role::System, request.system.clone()), user]
}

impl LocalModel {
    /// Start the engine worker and load the model (blocking).
    pub fn start(options: EngineOptions) -> Result<Self, EngineError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()?;
        let context = options.context as usize;
        let engine = runtime.block_on(Engine::start(options, |_| {}))?;
        let mut model = LocalModel {
            runtime,
            engine,
            context,
            message_overhead: 0,
            last_tokens_per_second: None,
            reuse_prefix: true,
        };
        model.message_overhead = model.tokens_of(vec![Message::trusted(Role::User, "")])?;
        Ok(model)
    }

    fn tokens_of(&self, messages: Vec<Message>) -> Result<usize, EngineError> {
        self.runtime
            .block_on(self.engine.tokenize(messages))
            .map(|tokens| tokens.len())
    }

    pub fn status(&self) -> ModelStatus {
        let info = self.engine.info();
        ModelStatus {
            name: info.name.clone(),
            device: if info.gpu_layers > 0 {
                format!("GPU ({}/{} layers)", info.gpu_layers, info.layers)
            } else {
                "CPU".to_owned()
            },
            tokens_per_second: self.last_tokens_per_second,
            template_note: info.template_fallback.as_ref().map(|error| {
                format!("its chat template failed ({error}); using ChatML, answers may be worse")
            }),
        }
    }

    /// The model's parameter count, as its file says.
    pub fn parameters(&self) -> u64 {
        self.engine.info().parameters
    }

    /// Keep what the cache holds when a prompt starts the same way (on by default; off only
    /// to measure what reuse buys).
    pub fn set_reuse_prefix(&mut self, reuse: bool) {
        self.reuse_prefix = reuse;
    }

    /// Read `request`'s prompt into the cache now, so that generating it later starts at once.
    pub fn prefill(&mut self, request: &ModelRequest) -> Result<(), ModelError> {
        self.runtime
            .block_on(self.engine.prefill(messages(request)))
            .map(|_| ())
            .map_err(model_error)
    }
}

impl LanguageModel for LocalModel {
    fn generate(
        &mut self,
        request: &ModelRequest,
        on_token: &mut dyn FnMut(&str) -> ControlFlow<()>,
    ) -> Result<ModelReply, ModelError> {
        let params = GenerateParams {
            max_tokens: request.max_tokens,
            grammar: request.grammar.clone(),
            reuse_prefix: self.reuse_prefix,
            ..GenerateParams::default()
        };
        let engine = &self.engine;
        let started = Instant::now();
        let (reply, speed) = self.runtime.block_on(async {
            let mut generation = engine
                .generate(messages(request), params)
                .await
                .map_err(model_error)?;
            let mut text = String::new();
            let mut cancelled = false;
            while let Some(event) = generation.next().await {
                match event.map_err(model_error)? {
                    TokenEvent::Token(piece) => {
                        text.push_str(&piece);
                        if !cancelled && on_token(&piece).is_break() {
                            cancelled = true;
                            engine.cancel(generation.id).await.map_err(model_error)?;
                        }
                    }
                    TokenEvent::Done { stats, .. } => {
                        let speed = (stats.decode_seconds > 0.0)
                            .then(|| stats.generated_tokens as f64 / stats.decode_seconds);
                        let reply = ModelReply {
                            text,
                            prompt_tokens: stats.prompt_tokens,
                            prompt_tokens_evaluated: stats.prompt_tokens_evaluated,
                            generated_tokens: stats.generated_tokens,
                            stopped: cancelled || stats.stop == StopReason::Cancelled,
                        };
                        return Ok((reply, speed));
                    }
                    TokenEvent::Tokens(_) => {}
                }
            }
            Err(ModelError::Failed(
                "the model stopped without finishing".to_owned(),
            ))
        })?;
        tracing::debug!(seconds = started.elapsed().as_secs_f64(), "generation");
        if speed.is_some() {
            self.last_tokens_per_second = speed;
        }
        Ok(reply)
    }

    fn context_tokens(&self) -> usize {
        self.context
    }

    fn parameter_count(&self) -> Option<u64> {
        Some(self.parameters())
    }

    fn count_tokens(&mut self, text: &str) -> usize {
        match self.tokens_of(vec![Message::trusted(Role::User, text)]) {
            Ok(count) => count.saturating_sub(self.message_overhead),
            Err(_) => clef_agent::snapshot::estimate_tokens(text),
        }
    }
}

/// Engine options for the model at `path`, with the user's settings, as the organisation and the
/// edition allow (for switching models from the settings page).
pub fn options_for(
    path: &std::path::Path,
    policies: &crate::policies::Policies,
) -> Result<clef_engine::EngineOptions, String> {
    let config = crate::config::Config::load_default().map_err(|error| error.to_string())?;
    let path = policies
        .choose_model(Some(path.to_owned()))
        .map_err(|error| error.to_string())?
        .ok_or_else(|| "no model chosen".to_owned())?;
    crate::policies::check_model(policies, &path).map_err(|error| error.to_string())?;
    let size = std::fs::metadata(&path)
        .map_err(|error| format!("{}: {error}", path.display()))?
        .len();
    if let Some(why) = crate::model_advice::too_large(size) {
        return Err(why);
    }
    let mut options = clef_engine::EngineOptions::new(path.clone());
    // A hash in the settings belongs to the model it was written for.
    options.sha256 = match crate::edition::MODEL_SHA256 {
        Some(pinned) => Some(pinned.to_owned()),
        None => config
            .model
            .sha256
            .filter(|_| config.model.path.as_deref() == Some(path.as_path())),
    };
    options.context = config.model.context.unwrap_or(4096);
    options.threads = config.model.threads;
    options.decode_threads = config.model.decode_threads;
    options.gpu_layers = config.model.gpu_layers;
    Ok(options)
}
