//! The messages between the browser and the model worker: one JSON object per line.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    User,
    Assistant,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::System => "system",
            Self::User => "user",
            Self::Assistant => "assistant",
        }
    }
}

/// A piece of a message. Untrusted parts (page content) are tokenized with special-token
/// parsing off, so text like `<|im_start|>` in a page stays text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Part {
    pub text: String,
    pub trusted: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub role: Role,
    pub parts: Vec<Part>,
}

impl Message {
    /// A message written by the user or by Clef itself.
    pub fn trusted(role: Role, text: impl Into<String>) -> Self {
        Self {
            role,
            parts: vec![Part {
                text: text.into(),
                trusted: true,
            }],
        }
    }

    /// Append page-derived text that must never be read as control tokens.
    pub fn with_untrusted(mut self, text: impl Into<String>) -> Self {
        self.parts.push(Part {
            text: text.into(),
            trusted: false,
        });
        self
    }
}

/// What happens when a prompt does not fit the context.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Overflow {
    /// Refuse with [`crate::EngineError::PromptTooLong`].
    #[default]
    Error,
    /// Drop tokens from the middle of the prompt, keeping its start (system prompt) and end.
    TruncateMiddle,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GenerateParams {
    pub max_tokens: u32,
    /// 0 means greedy (deterministic).
    pub temperature: f32,
    pub top_p: f32,
    pub seed: u32,
    /// A GBNF grammar the output must follow (root rule `root`).
    pub grammar: Option<String>,
    /// A JSON Schema the output must validate against (turned into a grammar).
    pub json_schema: Option<serde_json::Value>,
    pub overflow: Overflow,
    /// Keep what the KV cache already holds when the prompt shares a prefix with it.
    pub reuse_prefix: bool,
    /// Force a prefill chunk boundary here: lets tests reproduce a reuse run's batch shapes.
    pub prefill_split: Option<usize>,
}

impl Default for GenerateParams {
    fn default() -> Self {
        Self {
            max_tokens: 256,
            temperature: 0.0,
            top_p: 1.0,
            seed: 0,
            grammar: None,
            json_schema: None,
            overflow: Overflow::Error,
            reuse_prefix: true,
            prefill_split: None,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Request {
    Load {
        path: String,
        context: u32,
        threads: i32,
        decode_threads: i32,
        gpu_layers: Option<u32>,
    },
    Generate {
        id: u64,
        messages: Vec<Message>,
        params: GenerateParams,
    },
    /// Put a prompt into the KV cache without generating (e.g. the system prompt, early).
    Prefill {
        id: u64,
        messages: Vec<Message>,
    },
    /// The prompt's token ids and pieces, as generation would see them.
    Tokenize {
        id: u64,
        messages: Vec<Message>,
    },
    Cancel {
        id: u64,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelInfo {
    pub path: String,
    pub name: String,
    pub architecture: String,
    pub parameters: u64,
    pub context_length: u32,
    pub quantization: String,
    pub file_size: u64,
    pub layers: u32,
    pub chat_template: Option<String>,
    /// Why the model's own chat template is not used (it failed to render a plain
    /// conversation), when ChatML replaced it.
    #[serde(default)]
    pub template_fallback: Option<String>,
    /// Layers offloaded to a GPU (0 on CPU).
    pub gpu_layers: u32,
    pub devices: Vec<String>,
    /// Whether the worker runs in its own empty network namespace, and if not why.
    pub network_isolation: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    pub prompt_tokens: usize,
    /// Prompt tokens actually decoded (the rest came from the KV cache).
    pub prompt_tokens_evaluated: usize,
    pub generated_tokens: usize,
    pub prefill_seconds: f64,
    pub decode_seconds: f64,
    pub stop: StopReason,
    /// Tokens dropped by `Overflow::TruncateMiddle`.
    pub truncated_tokens: usize,
}

/// Why generation ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// The model emitted an end-of-generation token (with a grammar: the output is complete).
    #[default]
    End,
    MaxTokens,
    Cancelled,
    ContextFull,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    Progress {
        fraction: f32,
    },
    Loaded {
        info: ModelInfo,
    },
    Token {
        id: u64,
        text: String,
    },
    Done {
        id: u64,
        text: String,
        stats: Stats,
    },
    Tokens {
        id: u64,
        tokens: Vec<Token>,
    },
    Error {
        id: Option<u64>,
        kind: ErrorKind,
        message: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    Load,
    PromptTooLong,
    Grammar,
    Template,
    Generation,
    NoModel,
}

/// One prompt token: its id, its text, and whether it is a control (special) token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Token {
    pub id: i32,
    pub piece: String,
    pub control: bool,
}

/// What a caller receives while a generation streams.
#[derive(Debug, Clone, PartialEq)]
pub enum TokenEvent {
    Token(String),
    Done { text: String, stats: Stats },
    Tokens(Vec<Token>),
}
