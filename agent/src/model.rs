//! The model interface the agent works through; the browser implements it on the local engine,
//! tests may implement it with a script.

use std::ops::ControlFlow;

/// A piece of a prompt. Page text is never trusted: the engine tokenizes it without parsing
/// special tokens, and prompts fence it apart from the user's words.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub text: String,
    pub trusted: bool,
}

impl Segment {
    pub fn trusted(text: impl Into<String>) -> Self {
        Segment {
            text: text.into(),
            trusted: true,
        }
    }

    pub fn untrusted(text: impl Into<String>) -> Self {
        Segment {
            text: text.into(),
            trusted: false,
        }
    }
}

/// Models from this size read a whole page and decide what matters in it (condense it, find
/// the answer); smaller ones are handed the passages chosen for them.
pub const WHOLE_PAGE_FROM_PARAMETERS: u64 = 1_000_000_000;

/// Whether a model of this size (unknown: the user's own model, assumed able) reads whole pages.
pub fn reads_whole_pages(parameters: Option<u64>) -> bool {
    parameters.is_none_or(|count| count >= WHOLE_PAGE_FROM_PARAMETERS)
}

/// One request: a system prompt (a stable prefix, so the engine can reuse its cache) and a user
/// turn built from segments, with an optional GBNF grammar the output must follow.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelRequest {
    pub system: String,
    pub user: Vec<Segment>,
    pub grammar: Option<String>,
    pub max_tokens: u32,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ModelReply {
    pub text: String,
    pub prompt_tokens: usize,
    /// Prompt tokens decoded for this reply (the rest came from the engine's cache).
    pub prompt_tokens_evaluated: usize,
    pub generated_tokens: usize,
    /// The caller stopped the generation through its token callback.
    pub stopped: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("no model is loaded: {0}")]
    NotLoaded(String),
    #[error("the page does not fit the model's context ({tokens} tokens, context {context})")]
    TooLong { tokens: usize, context: usize },
    #[error("the model failed: {0}")]
    Failed(String),
}

/// A local language model.
pub trait LanguageModel {
    /// Generate a reply; `on_token` sees each piece as it arrives and may stop the generation.
    fn generate(
        &mut self,
        request: &ModelRequest,
        on_token: &mut dyn FnMut(&str) -> ControlFlow<()>,
    ) -> Result<ModelReply, ModelError>;

    /// Tokens in the model's context window.
    fn context_tokens(&self) -> usize;

    /// Count the tokens of `text` (an estimate is fine where the model cannot say).
    fn count_tokens(&mut self, text: &str) -> usize {
        crate::snapshot::estimate_tokens(text)
    }

    /// The model's size in parameters, where known: what a small model can be asked to do
    /// differs from what a larger one can.
    fn parameter_count(&self) -> Option<u64> {
        None
    }
}

/// Tokens of `request`'s system prompt and user turn (the chat template's own few aside).
pub fn prompt_tokens(model: &mut dyn LanguageModel, request: &ModelRequest) -> usize {
    let user: String = request
        .user
        .iter()
        .map(|segment| segment.text.as_str())
        .collect();
    model.count_tokens(&request.system) + model.count_tokens(&user)
}

/// Let the reply take what the context leaves after the prompt, up to the grammar's worst case:
/// the engine refuses a request whose prompt and longest reply would not fit.
pub fn fit_reply(model: &mut dyn LanguageModel, request: &mut ModelRequest) {
    let used = prompt_tokens(model, request) + 32;
    let left = u32::try_from(model.context_tokens().saturating_sub(used)).unwrap_or(u32::MAX);
    request.max_tokens = request.max_tokens.min(left.max(1));
}
