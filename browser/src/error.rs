//! What can go wrong when loading or driving a page, each with a message a user can act on.

use std::time::Duration;

/// A browser-level failure. Every variant renders as one clear line.
#[derive(Debug, thiserror::Error)]
pub enum BrowserError {
    #[error("not a URL, host name or file path: {input:?} ({reason})")]
    BadAddress { input: String, reason: String },
    #[error("no such file: {0}")]
    MissingFile(String),
    #[error("could not load {url}: {reason}")]
    Network { url: String, reason: String },
    #[error("secure connection to {url} failed: {reason}")]
    Tls { url: String, reason: String },
    #[error("{url} answered HTTP {status}")]
    HttpStatus { url: String, status: u16 },
    #[error("{url} did not finish loading within {timeout:?}")]
    LoadTimeout { url: String, timeout: Duration },
    #[error("JavaScript error: {message}{location}")]
    Script { message: String, location: String },
    #[error("JavaScript could not run: {0}")]
    ScriptUnavailable(String),
    #[error("timed out after {timeout:?} waiting for {what}")]
    Timeout { what: String, timeout: Duration },
    #[error("the page crashed: {0}")]
    Crashed(String),
    #[error("rendering failed: {0}")]
    Rendering(String),
    #[error("cannot go {0}: no history in that direction")]
    NoHistory(&'static str),
}

impl BrowserError {
    /// The process exit code the CLI uses for this error, so scripts can tell failures apart.
    pub fn exit_code(&self) -> i32 {
        match self {
            Self::BadAddress { .. } | Self::MissingFile(_) => 2,
            Self::Network { .. } | Self::Tls { .. } | Self::HttpStatus { .. } => 3,
            Self::LoadTimeout { .. } | Self::Timeout { .. } => 4,
            Self::Script { .. } | Self::ScriptUnavailable(_) => 5,
            Self::Crashed(_) | Self::Rendering(_) | Self::NoHistory(_) => 1,
        }
    }
}
