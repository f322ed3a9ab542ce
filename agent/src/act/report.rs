//! What a run reports: each step as it is done, and how the task ended.

use serde::{Deserialize, Serialize};

use crate::model::ModelError;
use crate::page::PageError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Done,
    Failed,
    StepLimit,
    Stopped,
    /// The task needs an answer only the user can give.
    NeedsUser,
}

#[derive(Debug, Clone, Serialize)]
pub struct StepRecord {
    pub number: usize,
    pub url: String,
    pub description: String,
    pub outcome: String,
    pub refused: bool,
    /// The model's reason for the step.
    pub reason: String,
    /// Seconds for observing, deciding and acting together.
    pub seconds: f64,
    pub model_seconds: f64,
    /// The model's prompt, and how much of it was decoded (the rest came from the cache).
    pub prompt_tokens: usize,
    pub prompt_tokens_evaluated: usize,
    pub generated_tokens: usize,
    /// On the first step: the task's parts as the model split it, for the user to see.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Outcome {
    pub status: Status,
    pub steps: Vec<StepRecord>,
    pub summary: String,
    /// The answer to an information task.
    pub answer: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ActError {
    // The reason is in the message and not a `source`: error chains would print it twice.
    #[error("the page failed: {0}")]
    Page(PageError),
    #[error(transparent)]
    Model(#[from] ModelError),
}

impl From<PageError> for ActError {
    fn from(error: PageError) -> Self {
        Self::Page(error)
    }
}

pub(super) fn finish(status: Status, steps: Vec<StepRecord>, summary: String) -> Outcome {
    Outcome {
        status,
        steps,
        summary,
        answer: None,
    }
}
