//! Before the first step of a run the model decides, it writes the task's steps in order, from
//! the first page; each later step's prompt shows that plan beside the task. Measured with a
//! 1.5B model: asked only for the next action, it takes the element that matches the task's
//! last words ("… and click submit") before the ones the task needs first.

use std::ops::ControlFlow;
use std::time::Instant;

use crate::model::{LanguageModel, ModelError, ModelRequest, Segment};

use super::decide::{Observation, SYSTEM, push_page};

/// At most this many lines of plan (a longer task is re-read from its own words).
pub const MAX_LINES: usize = 6;
/// Characters of one line of plan.
const MAX_LINE: usize = 100;

/// The grammar of a plan: one to `MAX_LINES` lines, each "- " and a few words.
pub fn grammar() -> String {
    let optional = " line?".repeat(MAX_LINES - 1);
    format!(
        "root ::= line{optional}\nline ::= \"- \" [^\\n\\x00-\\x1F] [^\\n\\x00-\\x1F]{{0,{}}} \"\\n\"\n",
        MAX_LINE - 1
    )
}

/// The question: the same instructions and task as every step (so the engine reuses them), the
/// first page, then the plan asked for.
pub fn request(task: &str, observation: &Observation) -> ModelRequest {
    let mut user = vec![
        Segment::trusted(format!("Task: {task}\n")),
        Segment::trusted("Steps so far: none\n"),
    ];
    push_page(&mut user, observation);
    user.push(Segment::trusted(
        "Before the first action, write the plan: the actions this task needs on this page, in \
         order, one short line each starting with \"- \" (which element to click, what to type \
         into which field, what to choose). Only what the task asks for; a task of one action \
         has a plan of one line.\n",
    ));
    ModelRequest {
        system: SYSTEM.to_owned(),
        user,
        grammar: Some(grammar()),
        max_tokens: 120,
    }
}

/// The plan's lines, from the model's reply: "- " taken off, blank and repeated lines dropped.
pub fn lines_of(reply: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for line in reply.lines() {
        let line = line.trim().trim_start_matches('-').trim();
        if line.is_empty() || lines.iter().any(|seen| seen == line) {
            continue;
        }
        lines.push(line.chars().take(MAX_LINE).collect());
        if lines.len() == MAX_LINES {
            break;
        }
    }
    lines
}

/// What making the plan cost, for the first step's figures.
#[derive(Debug, Clone, Default)]
pub struct Cost {
    pub seconds: f64,
    pub prompt_tokens: usize,
    pub prompt_tokens_evaluated: usize,
    pub generated_tokens: usize,
}

/// Ask the model for the plan.
pub fn make(
    model: &mut dyn LanguageModel,
    task: &str,
    observation: &Observation,
) -> Result<(Vec<String>, Cost), ModelError> {
    let started = Instant::now();
    let reply = model.generate(&request(task, observation), &mut |_| {
        ControlFlow::Continue(())
    })?;
    let plan = lines_of(&reply.text);
    tracing::info!(plan = %plan.join(" | "), "the model's plan");
    Ok((
        plan,
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
    fn a_reply_becomes_the_plan_s_lines() {
        let reply =
            "- Click \"Section #40\" to expand it\n- Click \"Submit\"\n- Click \"Submit\"\n-  \n";
        assert_eq!(
            lines_of(reply),
            vec!["Click \"Section #40\" to expand it", "Click \"Submit\""]
        );
        let long = "- step\n".repeat(3) + &(0..10).map(|n| format!("- {n}\n")).collect::<String>();
        assert_eq!(lines_of(&long).len(), MAX_LINES);
    }

    #[test]
    fn the_grammar_asks_for_lines_that_start_with_a_dash() {
        let grammar = grammar();
        assert!(grammar.starts_with("root ::= line line? "), "{grammar}");
        assert!(grammar.contains(r#"line ::= "- ""#), "{grammar}");
        assert_eq!(grammar.matches("line?").count(), MAX_LINES - 1);
    }
}
