//! Local inference for Clef: GGUF models run by llama.cpp in an isolated worker process.
//!
//! The library half ([`Engine`]) lives in the browser: it starts `clef-engine-worker`, streams
//! tokens back over a tokio channel, cancels, and restarts the worker when it dies. The worker
//! (`src/bin/worker`) owns llama.cpp: loading, chat templates, grammar-constrained sampling and
//! prefix KV-cache reuse, inside an empty network namespace. Nothing here knows about Servo or
//! pages; page text arrives as untrusted prompt segments.

pub mod chat;
pub mod client;
pub mod error;
pub mod gguf;
pub mod gpu;
pub mod protocol;
pub mod schema;

pub use client::{Engine, EngineOptions, Generation};
pub use error::EngineError;
pub use protocol::{
    GenerateParams, Message, ModelInfo, Overflow, Part, Role, Stats, StopReason, Token, TokenEvent,
};
