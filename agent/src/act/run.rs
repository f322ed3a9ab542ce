//! The loop: observe (snapshot), narrow (candidates), choose (the model picks a number from a
//! grammar), check (safety), act (real input events), record (audit) — until done, failed, the
//! step limit or the user's stop.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::ops::ControlFlow;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::model::{LanguageModel, ModelError, ModelRequest, Segment};
use crate::page::{PageAccess, PageError};
use crate::snapshot::{Snapshot, Snapshotter, render};

use super::action::Action;
use super::audit::{AuditLog, AuditRecord, now};
use super::candidates::{Candidate, Done, candidates};
use super::safety::{Confirm, Policy, Verdict, origin_of};
use super::secrets::{Vault, fill, placeholder_kind};
use super::task::Task;

const SYSTEM: &str = include_str!("../../../resources/prompts/act-system.txt");
const ACT_JS: &str = include_str!("../../../resources/agent/act.js");

/// Options the model chooses among at most.
pub const CHOICES: usize = 5;
/// Candidates scored within this of the best are offered to the model.
const TIE_MARGIN: f64 = 0.5;

/// A page the agent can act on, with real input events.
pub trait ActPage: PageAccess {
    fn click_at(&mut self, x: f64, y: f64) -> Result<(), PageError>;
    fn type_text(&mut self, text: &str) -> Result<(), PageError>;
    fn press_key(&mut self, key: &str) -> Result<(), PageError>;
    fn scroll_by(&mut self, dy: f64) -> Result<(), PageError>;
    fn goto(&mut self, url: &str) -> Result<(), PageError>;
    fn back(&mut self) -> Result<(), PageError>;
    /// Let the page react; wait for a navigation an action started.
    fn settle(&mut self);
    /// Messages of dialogs the page opened since the last call.
    fn take_dialogs(&mut self) -> Vec<String>;
}

/// Asks the user about a risky step; headless, the policy answers.
pub trait Approver {
    fn approve(&mut self, step: &str, reason: &str) -> bool;
}

/// Headless approval: `Confirm::Allow` says yes, anything else no.
pub struct PolicyApprover(pub Confirm);

impl Approver for PolicyApprover {
    fn approve(&mut self, _step: &str, _reason: &str) -> bool {
        self.0 == Confirm::Allow
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chooser {
    /// The model picks among the narrowed candidates.
    Model,
    /// The best-ranked candidate, no model (the ablation the benchmark reports).
    Ranking,
    /// The model picks among the five best-ranked steps, ties or not (an ablation).
    ModelTopFive,
    /// The model picks among every element action, unnarrowed (the other ablation).
    ModelUnnarrowed,
}

pub struct RunOptions {
    pub max_steps: usize,
    pub policy: Policy,
    pub chooser: Chooser,
    /// Snapshot tokens shown to the model with the options.
    pub page_budget: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Done,
    Failed,
    StepLimit,
    Stopped,
}

#[derive(Debug, Clone, Serialize)]
pub struct StepRecord {
    pub number: usize,
    pub url: String,
    pub description: String,
    pub outcome: String,
    pub refused: bool,
    /// Seconds for snapshot, choice and action together.
    pub seconds: f64,
    pub model_seconds: f64,
}

#[derive(Debug, Clone)]
pub struct Outcome {
    pub status: Status,
    pub steps: Vec<StepRecord>,
    pub summary: String,
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

#[derive(Debug, Deserialize)]
struct Located {
    found: bool,
    #[serde(default)]
    x: f64,
    #[serde(default)]
    y: f64,
    #[serde(default)]
    checked: Option<bool>,
    #[serde(default)]
    covered_by: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

fn act_script(id: u64, op: &str) -> String {
    let op = serde_json::to_string(op).unwrap_or_else(|_| "\"locate\"".to_owned());
    ACT_JS
        .replace("__CLEF_ID__", &id.to_string())
        .replace("__CLEF_OP__", &op)
}

fn locate(page: &mut dyn ActPage, id: u64, op: &str) -> Result<Located, PageError> {
    crate::page::evaluate_json(page, &act_script(id, op))
}

/// The same element in a fresh snapshot, when the page re-rendered it: one node with the same
/// role and name, or nothing (the step is then planned again; never a click on another thing).
fn re_resolve(
    page: &mut dyn ActPage,
    snapshotter: &mut Snapshotter,
    old: &Snapshot,
    id: u64,
) -> Result<Option<u64>, PageError> {
    let Some(node) = old.nodes.iter().find(|node| node.id == Some(id)) else {
        return Ok(None);
    };
    let fresh = snapshotter.take(page)?;
    let matches: Vec<u64> = fresh
        .nodes
        .iter()
        .filter(|other| other.kind == node.kind && other.label() == node.label())
        .filter_map(|other| other.id)
        .collect();
    Ok((matches.len() == 1).then(|| matches[0]))
}

/// Error messages the page shows (alerts, invalid fields), joined; empty when none.
fn page_errors(page: &mut dyn ActPage) -> String {
    const SCRIPT: &str = "Array.from(document.querySelectorAll('[role=alert], [aria-live=assertive], .error, .errors, .invalid-feedback, .field-error, [aria-invalid=true] + *')).filter((e) => e.offsetParent !== null).map((e) => e.textContent.replace(/\\s+/g, ' ').trim()).filter(Boolean).join(' | ')";
    page.evaluate(SCRIPT)
        .ok()
        .and_then(|value| value.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The title of an HTTP error page ("404 Not Found", "Page not found"), if this is one.
fn error_page(page: &mut dyn ActPage) -> Option<String> {
    const SCRIPT: &str =
        "document.title + ' ' + ((document.querySelector('h1') || {}).textContent || '')";
    let text = page.evaluate(SCRIPT).ok()?.as_str()?.trim().to_owned();
    let lower = text.to_lowercase();
    let error = [
        "404",
        "not found",
        "410 gone",
        "500 internal",
        "server error",
        "page unavailable",
    ]
    .iter()
    .any(|marker| lower.contains(marker));
    error.then_some(text)
}

/// The page's state for spotting a step that changed nothing: its address and what it says.
fn state_hash(snapshot: &Snapshot) -> u64 {
    let mut hasher = DefaultHasher::new();
    snapshot.url.hash(&mut hasher);
    snapshot.nodes.hash(&mut hasher);
    hasher.finish()
}

/// Ask the model which option comes next. The prompt's start (system, task) stays the same
/// from step to step, so the engine reuses its cache.
fn choose(
    model: &mut dyn LanguageModel,
    task: &Task,
    snapshot: &Snapshot,
    options: &[Candidate],
    page_budget: usize,
) -> Result<usize, ModelError> {
    if options.len() <= 1 {
        return Ok(0);
    }
    let mut user = vec![
        Segment::trusted(format!("Task: {}\n", task.text)),
        Segment::trusted("<page>\n"),
        Segment::untrusted(render(snapshot, page_budget)),
        Segment::trusted("</page>\nPossible next steps:\n"),
    ];
    for (index, option) in options.iter().enumerate() {
        user.push(Segment::trusted(format!("{}. ", index + 1)));
        user.push(Segment::untrusted(format!("{}\n", option.description)));
    }
    user.push(Segment::trusted(
        "Which step comes next? Reply with its number.",
    ));
    let numbers: Vec<String> = (1..=options.len()).map(|n| format!("\"{n}\"")).collect();
    let request = ModelRequest {
        system: SYSTEM.to_owned(),
        user,
        grammar: Some(format!("root ::= {}\n", numbers.join(" | "))),
        max_tokens: 2,
    };
    let reply = model.generate(&request, &mut |_| ControlFlow::Continue(()))?;
    Ok(reply
        .text
        .trim()
        .parse::<usize>()
        .unwrap_or(1)
        .clamp(1, options.len())
        - 1)
}

/// Carry out `task` on `page`.
#[allow(clippy::too_many_arguments)]
pub fn run(
    task_text: &str,
    page: &mut dyn ActPage,
    model: &mut dyn LanguageModel,
    vault: &dyn Vault,
    approver: &mut dyn Approver,
    audit: &AuditLog,
    options: &RunOptions,
    on_step: &mut dyn FnMut(&StepRecord) -> ControlFlow<()>,
) -> Result<Outcome, ActError> {
    let task = Task::new(task_text);
    let mut snapshotter = Snapshotter::new();
    let mut done = Done::default();
    let mut steps: Vec<StepRecord> = Vec::new();
    let mut seen: Vec<(u64, Action)> = Vec::new();
    let mut refusals = 0;
    // Labels of personal data typed into the current page's form, for the submit check.
    let mut typed_personal: Vec<String> = Vec::new();
    let mut typed_on: String = String::new();

    for number in 1..=options.max_steps {
        let started = Instant::now();
        let snapshot = snapshotter.take(page)?;
        if typed_on != snapshot.url {
            typed_personal.clear();
            typed_on = snapshot.url.clone();
        }
        let origin = origin_of(&snapshot.url).unwrap_or_default();
        let has_saved = |kind| vault.value(&origin, kind).is_some();
        let mut ranked = candidates(&snapshot, &task, &done, &has_saved);
        let state = state_hash(&snapshot);
        // The same action on the same state again: it did not help; offer something else.
        ranked.retain(|candidate| {
            !seen.contains(&(state, candidate.action.clone())) || candidate.action.ends_task()
        });
        tracing::debug!(
            step = number,
            candidates = ?ranked.iter().take(8).map(|c| format!("{:.1} {}", c.score, c.description)).collect::<Vec<_>>(),
            "candidates"
        );
        let model_started = Instant::now();
        let chosen = match options.chooser {
            Chooser::Ranking => ranked.first().cloned(),
            Chooser::Model => {
                // The model breaks ties: only steps scored close to the best are offered, so a
                // clear best step is taken without asking, and "done" is offered only when the
                // ranking itself thinks the task may be complete.
                let best = ranked.first().map_or(0.0, |candidate| candidate.score);
                let offered: Vec<Candidate> = ranked
                    .iter()
                    .filter(|candidate| candidate.score >= best - TIE_MARGIN)
                    .take(CHOICES)
                    .cloned()
                    .collect();
                let index = choose(model, &task, &snapshot, &offered, options.page_budget)?;
                offered.get(index).cloned()
            }
            Chooser::ModelTopFive => {
                let offered: Vec<Candidate> = ranked.iter().take(CHOICES).cloned().collect();
                let index = choose(model, &task, &snapshot, &offered, options.page_budget)?;
                offered.get(index).cloned()
            }
            Chooser::ModelUnnarrowed => {
                let mut all: Vec<Candidate> = ranked.clone();
                all.sort_by_key(|candidate| candidate.action.element().unwrap_or(u64::MAX));
                all.truncate(30);
                let index = choose(model, &task, &snapshot, &all, options.page_budget)?;
                all.get(index).cloned()
            }
        };
        let model_seconds = model_started.elapsed().as_secs_f64();
        let Some(chosen) = chosen else {
            return Ok(finish(
                Status::Failed,
                steps,
                "nothing left to try on this page".to_owned(),
            ));
        };
        seen.push((state, chosen.action.clone()));
        let target = chosen
            .action
            .element()
            .and_then(|id| snapshot.nodes.iter().find(|node| node.id == Some(id)));
        let element_name = target.map(|node| format!("{} \"{}\"", node.kind, node.label()));
        let clicking = matches!(chosen.action, Action::Click { .. });
        let verdict = options
            .policy
            .check(&chosen.action, &snapshot, &typed_personal);
        let (allowed, approved_by, reason) = match &verdict {
            Verdict::Allow => (
                true,
                String::new(),
                format!("best match for the task (score {:.1})", chosen.score),
            ),
            Verdict::Refuse(reason) => (false, "policy".to_owned(), reason.clone()),
            Verdict::Confirm(reason) => {
                let yes = approver.approve(&chosen.description, reason);
                (
                    yes,
                    if yes {
                        "user".to_owned()
                    } else {
                        "policy".to_owned()
                    },
                    reason.clone(),
                )
            }
        };
        let submitting = clicking && target.is_some_and(|node| node.submits);
        let errors_before = if submitting && allowed {
            page_errors(page)
        } else {
            String::new()
        };
        let outcome = if !allowed {
            refusals += 1;
            done.blocked = true;
            done.refused.push(chosen.action.clone());
            format!("refused: {reason}")
        } else {
            match perform(
                page,
                &mut snapshotter,
                &snapshot,
                &chosen.action,
                vault,
                &origin,
            ) {
                Ok(note) => {
                    done.actions
                        .push((snapshot.url.clone(), chosen.action.clone()));
                    done.on_task |= chosen.on_task;
                    done.blocked = false;
                    done.touched.push(chosen.description.clone());
                    if let Action::Type { text, .. } = &chosen.action
                        && text.contains("{{")
                    {
                        let kind = placeholder_kind(text.trim());
                        typed_personal.push(
                            kind.map(|kind| format!("{kind:?}"))
                                .unwrap_or_else(|| "saved data".to_owned()),
                        );
                    }
                    note
                }
                // Not retried on this same page state (`seen`); a changed page may allow it.
                Err(problem) => format!("failed: {problem}"),
            }
        };
        let record = StepRecord {
            number,
            url: snapshot.url.clone(),
            description: chosen.description.clone(),
            outcome: outcome.clone(),
            refused: !allowed,
            seconds: started.elapsed().as_secs_f64(),
            model_seconds,
        };
        if let Err(error) = audit.record(&AuditRecord {
            time: now(),
            url: snapshot.url.clone(),
            action: chosen.description.clone(),
            element: element_name,
            reason,
            outcome,
            approved_by,
        }) {
            tracing::warn!(%error, "audit log not written");
        }
        // A form that rejected what was typed says so; the task cannot go on by retrying.
        let mut rejected = if submitting && allowed && !record.outcome.starts_with("failed") {
            let errors = page_errors(page);
            (!errors.is_empty() && errors != errors_before)
                .then(|| format!("the page rejected the form: {errors}"))
        } else {
            None
        };
        // A link that led to an error page is dead.
        let followed_link = clicking && target.is_some_and(|node| node.href.is_some());
        if followed_link && allowed && rejected.is_none() {
            rejected =
                error_page(page).map(|title| format!("the link led to an error page: {title}"));
        }
        let stop = on_step(&record).is_break();
        steps.push(record);
        if stop {
            return Ok(finish(
                Status::Stopped,
                steps,
                "stopped by the user".to_owned(),
            ));
        }
        if let Some(reason) = rejected {
            return Ok(finish(Status::Failed, steps, reason));
        }
        if allowed && chosen.action.ends_task() {
            let (status, summary) = match &chosen.action {
                Action::Fail { reason } => (Status::Failed, reason.clone()),
                Action::Done { summary } | Action::Answer { text: summary } => {
                    (Status::Done, summary.clone())
                }
                _ => (Status::Done, String::new()),
            };
            return Ok(Outcome {
                status,
                steps,
                summary,
            });
        }
        if refusals >= 4 {
            return Ok(finish(
                Status::Failed,
                steps,
                "too many steps were refused".to_owned(),
            ));
        }
    }
    Ok(Outcome {
        status: Status::StepLimit,
        steps,
        summary: format!(
            "stopped after {} steps without finishing",
            options.max_steps
        ),
    })
}

fn finish(status: Status, steps: Vec<StepRecord>, summary: String) -> Outcome {
    Outcome {
        status,
        steps,
        summary,
    }
}

/// Do `action` with real input events; returns what happened, for the log.
fn perform(
    page: &mut dyn ActPage,
    snapshotter: &mut Snapshotter,
    snapshot: &Snapshot,
    action: &Action,
    vault: &dyn Vault,
    origin: &str,
) -> Result<String, String> {
    let failed = |error: PageError| error.to_string();
    let mut target = |id: u64, op: &str, page: &mut dyn ActPage| -> Result<Located, String> {
        let located = locate(page, id, op).map_err(failed)?;
        if located.found {
            return Ok(located);
        }
        // Re-rendered: find the same element again, or give the step up.
        match re_resolve(page, snapshotter, snapshot, id).map_err(failed)? {
            Some(fresh) => {
                let located = locate(page, fresh, op).map_err(failed)?;
                if located.found {
                    Ok(located)
                } else {
                    Err("the element went away".to_owned())
                }
            }
            None => Err("the element went away and has no unique replacement".to_owned()),
        }
    };
    let note = match action {
        Action::Click { element } => {
            let at = target(*element, "locate", page)?;
            if let Some(cover) = &at.covered_by {
                return Err(format!("covered by \"{cover}\""));
            }
            page.click_at(at.x, at.y).map_err(failed)?;
            "clicked".to_owned()
        }
        Action::Type { element, text } => {
            let value = fill(text, origin, vault)?;
            let at = target(*element, "locate", page)?;
            if let Some(cover) = &at.covered_by {
                return Err(format!("covered by \"{cover}\""));
            }
            let at = target(*element, "clear", page)?;
            page.click_at(at.x, at.y).map_err(failed)?;
            page.type_text(&value).map_err(failed)?;
            format!(
                "typed {}",
                if text.contains("{{") {
                    text.clone()
                } else {
                    format!("\"{text}\"")
                }
            )
        }
        Action::Select { element, option } => {
            let at = target(
                *element,
                &format!(
                    "select:{}",
                    serde_json::to_string(option).unwrap_or_default()
                ),
                page,
            )?;
            if let Some(error) = at.error {
                return Err(error);
            }
            format!("chose \"{option}\"")
        }
        Action::Check { element, checked } => {
            let at = target(*element, "locate", page)?;
            if let Some(cover) = &at.covered_by {
                return Err(format!("covered by \"{cover}\""));
            }
            if at.checked != Some(*checked) {
                page.click_at(at.x, at.y).map_err(failed)?;
            }
            if *checked {
                "ticked".to_owned()
            } else {
                "unticked".to_owned()
            }
        }
        Action::Press { key } => {
            page.press_key(key).map_err(failed)?;
            format!("pressed {key}")
        }
        Action::Scroll { down } => {
            page.scroll_by(if *down { 400.0 } else { -400.0 })
                .map_err(failed)?;
            "scrolled".to_owned()
        }
        Action::Navigate { url } => {
            page.goto(url).map_err(failed)?;
            format!("opened {url}")
        }
        Action::Back => {
            page.back().map_err(failed)?;
            "went back".to_owned()
        }
        Action::WaitFor { text } => {
            page.settle();
            format!("waited for \"{text}\"")
        }
        Action::Answer { .. }
        | Action::AskUser { .. }
        | Action::Done { .. }
        | Action::Fail { .. } => String::new(),
    };
    page.settle();
    let dialogs = page.take_dialogs();
    Ok(if dialogs.is_empty() {
        note
    } else {
        format!("{note}; the page said: {}", dialogs.join(" / "))
    })
}
