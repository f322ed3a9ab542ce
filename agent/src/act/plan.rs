//! Before the first step of a run the model decides, it splits the task into its parts, in the
//! order they must be done; each step's prompt lists them and the reply first says which part
//! its action does. Measured with a 1.5B model: asked only for the next action, it took the
//! element matching the task's last words ("… and click submit") before the ones the task needs
//! first. The split reads the task alone, not the page: the user's words, so no page can write
//! into it, and a short question.

use std::ops::ControlFlow;
use std::time::Instant;

use crate::model::{LanguageModel, ModelError, ModelRequest, Segment};

/// At most this many parts (a longer task is re-read from its own words).
pub const MAX_PARTS: usize = 6;
/// Characters of one part.
const MAX_LINE: usize = 100;

/// The system prompt of the split (a scripted model in tests tells the question by it).
pub const SYSTEM: &str = "You split a task a user gives to a web browser's agent into its \
    parts, in the order they must be done, one per line starting with \"- \". Keep every value \
    the task gives (names, numbers, quoted text) exactly as written. A part is something to do; \
    words that say where or for whom (in which row, for which user) stay with the action they \
    belong to, so a task that is one action is one part. Write the parts in the task's \
    language. Examples:\n\
    Task: Search for \"red shoes\" and open the second result.\n\
    - Search for \"red shoes\"\n\
    - Open the second result\n\
    Task: In the row for Paris, click Delete.\n\
    - Click Delete in the row for Paris\n\
    Task: Connectez-vous avec l'identifiant marie, puis ouvrez la page Factures.\n\
    - Se connecter avec l'identifiant marie\n\
    - Ouvrir la page Factures";

/// The grammar of the split: one to `MAX_PARTS` lines, each "- " and a few words.
pub fn grammar() -> String {
    let optional = " line?".repeat(MAX_PARTS - 1);
    format!(
        "root ::= line{optional}\nline ::= \"- \" [^\\n\\x00-\\x1F -] [^\\n\\x00-\\x1F]{{0,{}}} \"\\n\"\n",
        MAX_LINE - 1
    )
}

/// The question: the task alone.
pub fn request(task: &str) -> ModelRequest {
    ModelRequest {
        system: SYSTEM.to_owned(),
        user: vec![Segment::trusted(format!("Task: {task}"))],
        grammar: Some(grammar()),
        max_tokens: 120,
    }
}

/// The parts, from the model's reply: dashes taken off, blank and repeated lines dropped.
pub fn parts_of(reply: &str) -> Vec<String> {
    let mut parts: Vec<String> = Vec::new();
    for line in reply.lines() {
        let part = line.trim_start_matches(|c: char| c == '-' || c.is_whitespace());
        let part = part.trim_end();
        if part.is_empty() || parts.iter().any(|seen| seen == part) {
            continue;
        }
        parts.push(part.chars().take(MAX_LINE).collect());
        if parts.len() == MAX_PARTS {
            break;
        }
    }
    parts
}

/// What the split cost, for the first step's figures.
#[derive(Debug, Clone, Default)]
pub struct Cost {
    pub seconds: f64,
    pub prompt_tokens: usize,
    pub prompt_tokens_evaluated: usize,
    pub generated_tokens: usize,
}

impl Cost {
    pub fn add(&mut self, other: &Cost) {
        self.seconds += other.seconds;
        self.prompt_tokens += other.prompt_tokens;
        self.prompt_tokens_evaluated += other.prompt_tokens_evaluated;
        self.generated_tokens += other.generated_tokens;
    }
}

/// Ask the model for the task's parts.
pub fn make(model: &mut dyn LanguageModel, task: &str) -> Result<(Vec<String>, Cost), ModelError> {
    let started = Instant::now();
    let reply = model.generate(&request(task), &mut |_| ControlFlow::Continue(()))?;
    let parts = parts_of(&reply.text);
    tracing::info!(parts = %parts.join(" | "), "the task's parts");
    Ok((
        parts,
        Cost {
            seconds: started.elapsed().as_secs_f64(),
            prompt_tokens: reply.prompt_tokens,
            prompt_tokens_evaluated: reply.prompt_tokens_evaluated,
            generated_tokens: reply.generated_tokens,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_becomes_the_task_s_parts() {
        let reply = "- Expand the section\n- - Click \"Submit\"\n- Click \"Submit\"\n-  \n";
        assert_eq!(
            parts_of(reply),
            vec!["Expand the section", "Click \"Submit\""]
        );
        let long = (0..10).map(|n| format!("- {n}\n")).collect::<String>();
        assert_eq!(parts_of(&long).len(), MAX_PARTS);
    }

    #[test]
    fn the_grammar_asks_for_lines_that_start_with_a_dash() {
        let grammar = grammar();
        assert!(grammar.starts_with("root ::= line line? "), "{grammar}");
        assert!(grammar.contains(r#"line ::= "- ""#), "{grammar}");
        assert_eq!(grammar.matches("line?").count(), MAX_PARTS - 1);
    }
}
