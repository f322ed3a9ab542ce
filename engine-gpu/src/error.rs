//! Engine failures, each with a message a user can act on.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("model file not found: {0}")]
    MissingModel(PathBuf),
    #[error("{path} is not a GGUF model: {reason}")]
    NotGguf { path: PathBuf, reason: String },
    #[error("model {path} has sha256 {actual}, but {expected} was pinned; refusing to load it")]
    HashMismatch {
        path: PathBuf,
        expected: String,
        actual: String,
    },
    #[error("llama.cpp could not load {path}: {reason}")]
    LoadFailed { path: PathBuf, reason: String },
    #[error("{0}")]
    PromptTooLong(String),
    #[error("invalid grammar or schema: {0}")]
    Grammar(String),
    #[error("chat template failed: {0}")]
    Template(String),
    #[error("generation failed: {0}")]
    Generation(String),
    #[error("the model worker stopped unexpectedly ({0}); it will be restarted")]
    WorkerDied(String),
    #[error("cannot start the model worker {path}: {reason}")]
    WorkerStart { path: PathBuf, reason: String },
    #[error("no model is loaded")]
    NoModel,
    // The reason is in the message and not a `source`: error chains would print it twice.
    #[error("I/O error: {0}")]
    Io(std::io::Error),
}

impl From<std::io::Error> for EngineError {
    fn from(error: std::io::Error) -> Self {
        Self::Io(error)
    }
}
