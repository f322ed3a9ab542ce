//! A loaded model and its context: prompts to tokens, prefix reuse, sampling, streaming.

use std::ffi::CString;
use std::num::NonZeroU32;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use clef_engine::chat::{CHATML, ChatTemplate};
use clef_engine::protocol::{
    ErrorKind, Event, GenerateParams, Message, ModelInfo, Overflow, Stats, StopReason, Token,
};
use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::sampling::LlamaSampler;
use llama_cpp_2::token::LlamaToken;
use llama_cpp_2::{LlamaBackendDeviceType, list_llama_ggml_backend_devices};

use crate::Emitter;

/// Prefill chunk: llama.cpp's own batch size, for full prefill speed; a cancel is seen between chunks.
const PREFILL_CHUNK: usize = 512;

pub struct Session {
    pub info: ModelInfo,
    model: &'static LlamaModel,
    context: LlamaContext<'static>,
    template: ChatTemplate,
    /// The tokens whose keys and values are in the KV cache, in order.
    cached: Vec<LlamaToken>,
}

struct Failure {
    kind: ErrorKind,
    message: String,
}

impl Failure {
    fn event(self, id: u64) -> Event {
        Event::Error {
            id: Some(id),
            kind: self.kind,
            message: self.message,
        }
    }
}

fn failure(kind: ErrorKind, message: impl Into<String>) -> Failure {
    Failure {
        kind,
        message: message.into(),
    }
}

impl Session {
    pub fn load(
        path: &str,
        context_size: u32,
        (threads, decode_threads): (i32, i32),
        gpu_layers: Option<u32>,
        isolation: &str,
    ) -> Result<Self, String> {
        // One backend and one model per worker: the browser starts a new worker to switch.
        let backend: &'static LlamaBackend =
            Box::leak(Box::new(LlamaBackend::init().map_err(|e| e.to_string())?));
        llama_cpp_2::send_logs_to_tracing(llama_cpp_2::LogOptions::default());

        let devices = list_llama_ggml_backend_devices();
        let has_gpu = devices.iter().any(|device| {
            matches!(
                device.device_type,
                LlamaBackendDeviceType::Gpu | LlamaBackendDeviceType::IntegratedGpu
            )
        });
        let mut context_params = LlamaContextParams::default()
            .with_n_ctx(NonZeroU32::new(context_size))
            .with_n_batch(512)
            .with_n_threads(decode_threads)
            .with_n_threads_batch(threads);
        let mut model_params = load_params(gpu_layers.unwrap_or(if has_gpu { 999 } else { 0 }));
        if gpu_layers.is_none() && has_gpu {
            // Let llama.cpp fit layers (and context) into the GPUs' free memory.
            let c_path = CString::new(path).map_err(|e| e.to_string())?;
            let mut margins = vec![512 << 20; llama_cpp_2::max_devices()];
            let fitted = model_params.as_mut().fit_params(
                &c_path,
                &mut context_params,
                &mut margins,
                2048,
                llama_cpp_sys_2::GGML_LOG_LEVEL_WARN,
            );
            if let Err(error) = fitted {
                tracing::warn!(%error, "the model does not fit the GPU; running on the CPU");
                model_params = load_params(0);
            }
        }
        let model = LlamaModel::load_from_file(backend, path, &model_params)
            .map_err(|e| format!("llama.cpp rejected the file: {e}"))?;
        let model: &'static LlamaModel = Box::leak(Box::new(model));
        let offloaded = u32::try_from(model_params.n_gpu_layers().max(0))
            .unwrap_or(0)
            .min(model.n_layer() + 1);
        let context = model
            .new_context(backend, context_params)
            .map_err(|e| format!("cannot create a context of {context_size} tokens: {e}"))?;

        let template_source = model
            .chat_template(None)
            .ok()
            .and_then(|t| t.to_string().ok());
        if template_source.is_none() {
            tracing::warn!(path, "the model has no chat template; using ChatML");
        }
        let vocab = model.vocab();
        let piece =
            |token| String::from_utf8_lossy(&vocab.token_to_piece(token, true, None)).into_owned();
        let (bos, eos) = (piece(vocab.bos()), piece(vocab.eos()));
        let mut template = ChatTemplate::new(
            template_source.clone().unwrap_or_else(|| CHATML.to_owned()),
            bos.clone(),
            eos.clone(),
        );
        // A template that cannot render a plain exchange would fail every request: ChatML
        // replaces it, and the pane and `clef model info` say so.
        let template_fallback = match template.check() {
            Ok(()) => None,
            Err(error) if template_source.is_some() => {
                let source = template_source.clone().unwrap_or_default();
                let folded =
                    ChatTemplate::new(source, bos.clone(), eos.clone()).with_system_folded();
                if folded.check().is_ok() {
                    // It only refuses a system message: the instructions open the first turn.
                    tracing::info!(
                        path,
                        "the chat template takes no system message; folding it"
                    );
                    template = folded;
                    None
                } else {
                    tracing::warn!(path, %error, "the model's chat template fails; using ChatML");
                    template = ChatTemplate::new(CHATML.to_owned(), bos, eos);
                    Some(error.to_string())
                }
            }
            Err(_) => None,
        };
        let meta = |key: &str| model.meta_val_str(key).unwrap_or_default();
        let architecture = meta("general.architecture");
        let info = ModelInfo {
            path: path.to_owned(),
            name: Some(meta("general.name"))
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| file_stem(path)),
            context_length: meta(&format!("{architecture}.context_length"))
                .parse()
                .unwrap_or(model.n_ctx_train()),
            architecture,
            parameters: model.n_params(),
            quantization: quantization_name(meta("general.file_type").parse().ok()),
            file_size: std::fs::metadata(path).map(|m| m.len()).unwrap_or(0),
            layers: model.n_layer(),
            chat_template: template_source,
            template_fallback,
            gpu_layers: offloaded,
            devices: devices
                .iter()
                .map(|d| {
                    format!(
                        "{} ({}, {} MiB free)",
                        d.name,
                        d.description,
                        d.memory_free >> 20
                    )
                })
                .collect(),
            network_isolation: isolation.to_owned(),
        };
        tracing::info!(?info.devices, gpu_layers = offloaded, "model loaded");
        Ok(Self {
            info,
            model,
            context,
            template,
            cached: Vec::new(),
        })
    }

    fn tokens(
        &self,
        messages: &[Message],
        add_generation_prompt: bool,
    ) -> Result<Vec<LlamaToken>, Failure> {
        let parts = self
            .template
            .render(messages, add_generation_prompt)
            .map_err(|e| failure(ErrorKind::Template, e.to_string()))?;
        let vocab = self.model.vocab();
        let mut tokens = Vec::new();
        let bos_text =
            String::from_utf8_lossy(&vocab.token_to_piece(vocab.bos(), true, None)).into_owned();
        let starts_with_bos = parts
            .first()
            .is_some_and(|p| p.trusted && !bos_text.is_empty() && p.text.starts_with(&bos_text));
        if vocab.should_add_bos() && !starts_with_bos {
            tokens.push(vocab.bos());
        }
        for part in parts {
            // Untrusted text: special-token parsing off, so "<|im_start|>" stays plain text.
            tokens.extend(vocab.tokenize(part.text.as_bytes(), false, part.trusted));
        }
        Ok(tokens)
    }

    /// Decode `tokens` after what the cache already holds; chunk boundaries at `split`
    /// and every `PREFILL_CHUNK` tokens. Logits only for the last token.
    fn decode_prompt(
        &mut self,
        tokens: &[LlamaToken],
        split: Option<usize>,
        cancelled: impl Fn() -> bool,
    ) -> Result<bool, Failure> {
        let start = self.cached.len();
        let mut position = start;
        let mut batch = LlamaBatch::new(PREFILL_CHUNK, 1);
        while position < tokens.len() {
            if cancelled() {
                return Ok(false);
            }
            let mut end = (position + PREFILL_CHUNK).min(tokens.len());
            if let Some(split) = split.filter(|&s| s > position && s < end) {
                end = split;
            }
            batch.clear();
            for (offset, token) in tokens[position..end].iter().enumerate() {
                let index = position + offset;
                let last = index + 1 == tokens.len();
                batch
                    .add(*token, index as i32, &[0], last)
                    .map_err(|e| failure(ErrorKind::Generation, e.to_string()))?;
            }
            self.context
                .decode(&mut batch)
                .map_err(|e| failure(ErrorKind::Generation, format!("decode failed: {e}")))?;
            self.cached.extend_from_slice(&tokens[position..end]);
            position = end;
        }
        Ok(true)
    }

    /// Keep the longest cached prefix shared with `tokens`, dropping the rest from the cache.
    fn reuse_prefix(&mut self, tokens: &[LlamaToken], reuse: bool) -> Result<usize, Failure> {
        let mut keep = if reuse {
            common_prefix(&self.cached, tokens)
        } else {
            0
        };
        // The last prompt token must be decoded again to produce fresh logits.
        if keep == tokens.len() {
            keep = keep.saturating_sub(1);
        }
        let position =
            u32::try_from(keep).map_err(|e| failure(ErrorKind::Generation, e.to_string()))?;
        self.context
            .clear_kv_cache_seq(Some(0), Some(position), None)
            .map_err(|e| failure(ErrorKind::Generation, e.to_string()))?;
        self.cached.truncate(keep);
        Ok(keep)
    }

    fn fit_context(
        &self,
        mut tokens: Vec<LlamaToken>,
        params: &GenerateParams,
    ) -> Result<(Vec<LlamaToken>, usize), Failure> {
        let context = self.context.n_ctx() as usize;
        let reserve = (params.max_tokens as usize).min(context / 2).max(1);
        let limit = context - reserve;
        if tokens.len() <= limit {
            return Ok((tokens, 0));
        }
        match params.overflow {
            Overflow::Error => Err(failure(
                ErrorKind::PromptTooLong,
                format!(
                    "prompt has {} tokens but the context holds {context} (with {reserve} kept for the answer)",
                    tokens.len()
                ),
            )),
            Overflow::TruncateMiddle => {
                // Keep the start (system prompt, instructions) and the end (the question).
                let head = limit / 4;
                let tail = limit - head;
                let dropped = tokens.len() - limit;
                tokens.drain(head..tokens.len() - tail);
                Ok((tokens, dropped))
            }
        }
    }

    fn sampler(&self, params: &GenerateParams) -> Result<LlamaSampler, Failure> {
        let grammar = match (&params.grammar, &params.json_schema) {
            (Some(grammar), _) => Some(grammar.clone()),
            (None, Some(schema)) => Some(compact_json_grammar(
                &llama_cpp_2::json_schema_to_grammar(&schema.to_string())
                    .map_err(|e| failure(ErrorKind::Grammar, e.to_string()))?,
            )),
            (None, None) => None,
        };
        let mut chain = Vec::new();
        if let Some(grammar) = grammar {
            // The grammar goes first: every later sampler only sees tokens it allows.
            chain.push(
                LlamaSampler::grammar(self.model, &grammar, "root")
                    .map_err(|e| failure(ErrorKind::Grammar, format!("{e}")))?,
            );
        }
        if params.temperature <= 0.0 {
            chain.push(LlamaSampler::greedy());
        } else {
            chain.push(LlamaSampler::top_p(params.top_p, 1));
            chain.push(LlamaSampler::temp(params.temperature));
            chain.push(LlamaSampler::dist(params.seed));
        }
        Ok(LlamaSampler::chain_simple(chain))
    }

    pub fn tokenize(&self, id: u64, messages: &[Message], emitter: &Emitter) {
        match self.tokens(messages, true) {
            Ok(tokens) => {
                let vocab = self.model.vocab();
                let tokens = tokens
                    .into_iter()
                    .map(|token| Token {
                        id: token.0,
                        piece: String::from_utf8_lossy(&vocab.token_to_piece(token, true, None))
                            .into_owned(),
                        control: vocab.is_control(token),
                    })
                    .collect();
                emitter.emit(&Event::Tokens { id, tokens });
            }
            Err(failure) => emitter.emit(&failure.event(id)),
        }
    }

    pub fn prefill(&mut self, id: u64, messages: &[Message], emitter: &Emitter) {
        let started = Instant::now();
        let result = self.tokens(messages, false).and_then(|tokens| {
            let (tokens, _) = self.fit_context(tokens, &GenerateParams::default())?;
            let kept = self.reuse_prefix(&tokens, true)?;
            self.decode_prompt(&tokens, None, || false)?;
            Ok(Stats {
                prompt_tokens: tokens.len(),
                prompt_tokens_evaluated: tokens.len() - kept,
                ..Stats::default()
            })
        });
        match result {
            Ok(mut stats) => {
                stats.prefill_seconds = started.elapsed().as_secs_f64();
                emitter.emit(&Event::Done {
                    id,
                    text: String::new(),
                    stats,
                });
            }
            Err(failure) => emitter.emit(&failure.event(id)),
        }
    }

    pub fn generate(
        &mut self,
        id: u64,
        messages: &[Message],
        params: &GenerateParams,
        cancel: &AtomicU64,
        emitter: &Emitter,
    ) {
        match self.run(id, messages, params, cancel, emitter) {
            Ok((text, stats)) => emitter.emit(&Event::Done { id, text, stats }),
            Err(failure) => emitter.emit(&failure.event(id)),
        }
    }

    fn run(
        &mut self,
        id: u64,
        messages: &[Message],
        params: &GenerateParams,
        cancel: &AtomicU64,
        emitter: &Emitter,
    ) -> Result<(String, Stats), Failure> {
        let cancelled = || cancel.load(Ordering::SeqCst) == id;
        let mut stats = Stats::default();
        let tokens = self.tokens(messages, true)?;
        let (tokens, truncated) = self.fit_context(tokens, params)?;
        stats.truncated_tokens = truncated;
        stats.prompt_tokens = tokens.len();
        let mut sampler = self.sampler(params)?;

        let prefill_started = Instant::now();
        let kept = self.reuse_prefix(&tokens, params.reuse_prefix)?;
        stats.prompt_tokens_evaluated = tokens.len() - kept;
        let finished = self.decode_prompt(&tokens, params.prefill_split, cancelled)?;
        stats.prefill_seconds = prefill_started.elapsed().as_secs_f64();
        if !finished {
            stats.stop = StopReason::Cancelled;
            return Ok((String::new(), stats));
        }

        let decode_started = Instant::now();
        let vocab = self.model.vocab();
        let limit = (self.context.n_ctx() as usize).saturating_sub(1);
        let mut text = String::new();
        let mut pending = Vec::new();
        let mut batch = LlamaBatch::new(1, 1);
        stats.stop = StopReason::MaxTokens;
        for _ in 0..params.max_tokens {
            if cancelled() {
                stats.stop = StopReason::Cancelled;
                break;
            }
            let token = sampler.sample(&self.context, -1);
            if vocab.is_eog(token) {
                stats.stop = StopReason::End;
                break;
            }
            stats.generated_tokens += 1;
            pending.extend(vocab.token_to_piece(token, false, None));
            // Emit only whole UTF-8 characters; a multi-byte one may span tokens.
            let valid = match std::str::from_utf8(&pending) {
                Ok(all) => all.len(),
                Err(error) if error.error_len().is_none() => error.valid_up_to(),
                Err(_) => pending.len(),
            };
            if valid > 0 {
                let piece = String::from_utf8_lossy(&pending[..valid]).into_owned();
                pending.drain(..valid);
                text.push_str(&piece);
                emitter.emit(&Event::Token { id, text: piece });
            }
            if self.cached.len() >= limit {
                stats.stop = StopReason::ContextFull;
                break;
            }
            batch.clear();
            batch
                .add(token, self.cached.len() as i32, &[0], true)
                .map_err(|e| failure(ErrorKind::Generation, e.to_string()))?;
            self.context
                .decode(&mut batch)
                .map_err(|e| failure(ErrorKind::Generation, format!("decode failed: {e}")))?;
            self.cached.push(token);
        }
        stats.decode_seconds = decode_started.elapsed().as_secs_f64();
        let constrained = params.grammar.is_some() || params.json_schema.is_some();
        if constrained && matches!(stats.stop, StopReason::MaxTokens | StopReason::ContextFull) {
            // The grammar only allows the end token once its output is complete: stopping
            // earlier would hand back text that does not parse.
            return Err(failure(
                ErrorKind::Generation,
                format!(
                    "constrained output was cut at {} tokens before it was complete; raise max_tokens",
                    stats.generated_tokens
                ),
            ));
        }
        Ok((text, stats))
    }
}

fn load_params(gpu_layers: u32) -> Pin<Box<LlamaModelParams>> {
    let progress = Emitter(std::io::stdout());
    Box::pin(
        LlamaModelParams::default()
            .with_n_gpu_layers(gpu_layers)
            .with_progress_callback(move |fraction| {
                progress.emit(&Event::Progress { fraction });
                true
            }),
    )
}

/// llama.cpp's schema grammars allow newlines and indentation between tokens; small models
/// then pretty-print and spend their token budget on whitespace. Allow at most one space.
fn compact_json_grammar(grammar: &str) -> String {
    grammar
        .lines()
        .map(|line| {
            if line.starts_with("space ::=") {
                "space ::= \" \"?"
            } else {
                line
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn common_prefix(a: &[LlamaToken], b: &[LlamaToken]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

fn file_stem(path: &str) -> String {
    std::path::Path::new(path)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// llama.cpp's `llama_ftype` numbers, as users know them.
fn quantization_name(file_type: Option<u32>) -> String {
    let name = match file_type {
        Some(0) => "F32",
        Some(1) => "F16",
        Some(2) => "Q4_0",
        Some(3) => "Q4_1",
        Some(7) => "Q8_0",
        Some(8) => "Q5_0",
        Some(9) => "Q5_1",
        Some(10) => "Q2_K",
        Some(11) => "Q3_K_S",
        Some(12) => "Q3_K_M",
        Some(13) => "Q3_K_L",
        Some(14) => "Q4_K_S",
        Some(15) => "Q4_K_M",
        Some(16) => "Q5_K_S",
        Some(17) => "Q5_K_M",
        Some(18) => "Q6_K",
        Some(30) => "IQ4_XS",
        Some(32) => "BF16",
        Some(other) => return format!("type {other}"),
        None => "unknown",
    };
    name.to_owned()
}
