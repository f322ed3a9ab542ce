//! The loop: observe (an outline of the page with refs, what the last step changed), decide
//! (the model writes one action as JSON under a grammar built from the page; the form rules
//! only suggest), check (safety, and "done" against the page), act (real input events), record
//! (audit) — until done, failed, the step limit or the user's stop.

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::Instant;

use crate::model::LanguageModel;
use crate::snapshot::{Snapshot, Snapshotter};

use super::action::Action;
use super::approval::Approver;
use super::audit::{AuditLog, audit_blocked, audit_step};
use super::candidates::{Done, candidates};
use super::changes::{NO_EFFECT, changes_besides, ticking};
use super::decide::{Guidance, History, Observation, decide_step};
use super::egress::Egress;
use super::observe::{self, display_name, outline};
use super::page::{ActPage, error_page, page_errors};
use super::perform::{perform, settle};
use super::plan;
use super::repeats::{field_holds, state_hash, toggled_by};
use super::reply;
use super::report::{ActError, Outcome, Status, StepRecord, finish};
use super::safety::{Policy, Verdict, origin_of};
use super::secrets::{PLACEHOLDER_KINDS, Vault, placeholder_kind};
use super::task::Task;
use super::tools::{self, Toolbox};
use super::verify::{NotDone, Performed, check_done, untyped_values};

/// Suggestions from the form rules shown to the model at most.
pub const SUGGESTIONS: usize = 5;
/// With narrow guidance, suggestions scored within this of the best are offered.
const TIE_MARGIN: f64 = 0.5;

pub struct RunOptions {
    pub max_steps: usize,
    pub policy: Policy,
    pub guidance: Guidance,
    /// Tokens of page outline shown to the model each step.
    pub page_budget: usize,
    /// Whether a model that reads the whole page (open guidance) first splits the task into
    /// its parts.
    pub plan: bool,
    /// Tools of MCP servers the user set up, offered to a model with open guidance.
    pub tools: Option<Arc<dyn Toolbox>>,
}

/// A step whose effect is seen only in the next snapshot.
struct Pending {
    number: usize,
    snapshot: Snapshot,
    /// Text lines that changed on their own while the model decided (a clock, a countdown).
    ticking: std::collections::HashSet<String>,
    description: String,
    outcome: String,
    performed: bool,
    /// The task's part the model said the step does.
    part: Option<usize>,
    /// A performed click or key press, for the check of what it changed.
    repeatable: Option<Action>,
}

/// Same action on the same page state this many times: the agent is going round in circles.
const LOOP_LIMIT: usize = 3;
/// Replies that are not actions (a model without a grammar) before the task fails.
const INVALID_LIMIT: usize = 3;
/// "Done" claims the page does not bear out before the task fails.
const DONE_CLAIMS: usize = 3;

/// Carry out `task_text` on `page`. For the task's length the engine checks every request of
/// the page against the policy (see [`Egress`]); the page is let go when the task ends.
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
    if task_text.trim().is_empty() {
        return Ok(finish(
            Status::Failed,
            Vec::new(),
            "the task is empty: say what to do".to_owned(),
        ));
    }
    page.guard(Some(Egress::new(options.policy.clone())))?;
    let outcome = run_guarded(
        task_text, page, model, vault, approver, audit, options, on_step,
    );
    let released = page.guard(None);
    let outcome = outcome?;
    released?;
    Ok(outcome)
}

#[allow(clippy::too_many_arguments)]
fn run_guarded(
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
    let mut hints_done = Done::default();
    let mut history = History::default();
    let mut steps: Vec<StepRecord> = Vec::new();
    let mut performed: Vec<Performed> = Vec::new();
    let mut tried: HashMap<(u64, String), usize> = HashMap::new();
    let (mut refusals, mut invalid, mut done_claims) = (0, 0, 0);
    let mut note: Option<String> = None;
    let mut pending: Option<Pending> = None;
    let mut last_action: Option<String> = None;
    let mut done_refused_last = false;
    // The model was asked once about text it typed and did not send.
    let mut unsent_asked = false;
    let mut blocked: Option<Action> = None;
    // Fields the model tried to type again what they already held: closed to typing while they
    // still hold it (a small model otherwise goes back to them step after step).
    let mut held: Vec<(u64, String)> = Vec::new();
    // The element the last step clicked, when the click switched it (a section opened) or
    // changed nothing the model can see, and a key whose press changed nothing: not offered at
    // once (a small model clicks the section it just opened again, or presses Enter again on a
    // form that did not send, undoing or repeating the step).
    let mut not_again: Option<Action> = None;
    let mut in_a_row = 0usize;
    // The last step was a tool's answer.
    let mut tool_answered = false;
    // Labels of personal data typed into the current page's form, for the submit check.
    let mut typed_personal: Vec<String> = Vec::new();
    let mut typed_on = String::new();
    settle(page);
    // What the page tried on its own before the first step (a script sending the tab away).
    let early = page.take_blocked();
    if !early.is_empty() {
        audit_blocked(audit, page, &page.url().unwrap_or_default(), &early)?;
        note = Some(format!(
            "the browser blocked what the page tried: {}",
            early.join("; ")
        ));
    }

    for number in 1..=options.max_steps {
        let started = Instant::now();
        let snapshot = snapshotter.take(page)?;
        if let Some(last) = pending.take() {
            let effect = last.performed.then(|| {
                let dialogs = page.take_dialogs();
                changes_besides(&last.snapshot, &snapshot, &dialogs, &last.ticking)
            });
            let mut outcome = match &effect {
                Some(effect) => format!("{}; {effect}", last.outcome),
                None => last.outcome.clone(),
            };
            // A request the page made after the step had settled (a timer, a late redirect).
            let late = page.take_blocked();
            if !late.is_empty() {
                outcome = format!(
                    "{outcome}; then blocked by the browser: {}",
                    late.join("; ")
                );
                if let Some(step) = steps.last_mut() {
                    step.outcome = outcome.clone();
                    step.refused = true;
                }
                audit_blocked(audit, page, &snapshot.url, &late)?;
            }
            history.push(last.number, last.part, &last.description, &outcome);
            let no_effect = effect.as_deref() == Some(NO_EFFECT);
            not_again = last.repeatable.filter(|action| match action {
                Action::Click { element } => {
                    no_effect || (last.performed && toggled_by(&last.snapshot, &snapshot, *element))
                }
                _ => no_effect,
            });
        }
        if typed_on != snapshot.url {
            typed_personal.clear();
            typed_on = snapshot.url.clone();
        }
        let origin = origin_of(&snapshot.url).unwrap_or_default();
        let state = state_hash(&snapshot);
        held.retain(|(element, text)| {
            snapshot
                .nodes
                .iter()
                .find(|node| node.id == Some(*element))
                .is_some_and(|node| field_holds(node, &performed, *element, text))
        });
        let has_saved = |kind| vault.value(&origin, kind).is_some();
        let hints = candidates(&snapshot, &task, &hints_done, &has_saved);
        // A tiny model is offered only the steps the rules rank close to the best (a clear
        // best is taken without asking); a real model sees the best few as suggestions.
        let untried: Vec<&super::candidates::Candidate> = hints
            .iter()
            .filter(|hint| !tried.contains_key(&(state, reply::to_json(&hint.action))))
            .collect();
        let best = untried.first().map_or(0.0, |hint| hint.score);
        let suggestions: Vec<&super::candidates::Candidate> = untried
            .into_iter()
            .filter(|hint| options.guidance == Guidance::Open || hint.score >= best - TIE_MARGIN)
            // The rules read only the page: after a tool's answer their "done" or "nothing
            // matches" is no advice.
            .filter(|_| !tool_answered)
            .take(SUGGESTIONS)
            .collect();
        let saved: Vec<&'static str> = PLACEHOLDER_KINDS
            .iter()
            .filter(|kind| options.policy.saved_data_allowed && has_saved(**kind))
            .filter_map(|kind| kind.placeholder())
            .collect();
        let observation = Observation {
            snapshot: &snapshot,
            outline: outline(&snapshot, &task, options.page_budget),
            saved,
            suggestions: suggestions
                .iter()
                .map(|hint| reply::to_json(&hint.action))
                .collect(),
            untyped: untyped_values(&task, &snapshot, &performed),
            note: note.take().or_else(|| tools::answered_note(tool_answered)),
            allow_done: !done_refused_last,
            blocked: blocked
                .take()
                .into_iter()
                .chain(not_again.clone())
                // After a tool's answer the page has not changed: nothing to wait for.
                .chain(tool_answered.then_some(Action::Wait))
                .chain(held.iter().map(|(element, text)| Action::Type {
                    element: *element,
                    text: text.clone(),
                }))
                .collect(),
            tools: options
                .tools
                .as_deref()
                .map_or(&[], |toolbox| toolbox.tools()),
            first_tool: None,
        };
        // The rules found nothing to suggest, or a tool has just answered (the rules know
        // nothing of tools; the model must read the answer): even a small model gets the whole
        // page.
        let mut guidance = if observation.suggestions.is_empty() || tool_answered {
            Guidance::Open
        } else {
            options.guidance
        };
        let mut plan_cost = if number == 1 && options.plan && options.guidance == Guidance::Open {
            let (parts, cost) = plan::make(model, &task.text)?;
            history.set_parts(parts);
            cost
        } else {
            plan::Cost::default()
        };
        let mut observation = observation;
        // Which tool the task needs first. Asked again after each answer, the 1.5B model named
        // the tool that had just answered (1/7 tasks right, 3/7 asked once): asked once. Asked
        // whatever the guidance: the page's rules know nothing of tools, so a step that calls
        // one is the model's alone.
        if number == 1 && !observation.tools.is_empty() {
            let (first, cost) = tools::route(model, &task.text, observation.tools)?;
            observation.first_tool =
                first.and_then(|name| observation.tools.iter().find(|tool| tool.name == name));
            if observation.first_tool.is_some() {
                guidance = Guidance::Open;
            }
            plan_cost.add(&cost);
        }
        let decision = match decide_step(model, &task, &history, &observation, guidance, &snapshot)?
        {
            Ok(mut decision) => {
                decision.model_seconds += plan_cost.seconds;
                decision.prompt_tokens += plan_cost.prompt_tokens;
                decision.prompt_tokens_evaluated += plan_cost.prompt_tokens_evaluated;
                decision.generated_tokens += plan_cost.generated_tokens;
                decision
            }
            Err(problem) => {
                invalid += 1;
                let record = StepRecord {
                    number,
                    url: snapshot.url.clone(),
                    description: "(no action)".to_owned(),
                    outcome: format!("the reply was not an action: {problem}"),
                    refused: false,
                    reason: String::new(),
                    seconds: started.elapsed().as_secs_f64(),
                    model_seconds: started.elapsed().as_secs_f64(),
                    prompt_tokens: 0,
                    prompt_tokens_evaluated: 0,
                    generated_tokens: 0,
                    parts: history.parts_for_step(number),
                };
                note = Some(format!(
                    "your last reply was not an action ({problem}); reply with one JSON action"
                ));
                let stop = on_step(&record).is_break();
                steps.push(record);
                if stop {
                    return Ok(finish(Status::Stopped, steps, "stopped by the user".into()));
                }
                if invalid >= INVALID_LIMIT {
                    return Ok(finish(
                        Status::Failed,
                        steps,
                        format!("the model's replies were not actions ({problem})"),
                    ));
                }
                continue;
            }
        };
        tool_answered = false;
        let action = decision.action.clone();
        let target = action
            .element()
            .and_then(|id| snapshot.nodes.iter().find(|node| node.id == Some(id)));
        let element_name = target.map(|node| format!("{} \"{}\"", node.kind, display_name(node)));
        let description = action.describe(element_name.as_deref().unwrap_or(""));
        let mut record = StepRecord {
            number,
            url: snapshot.url.clone(),
            description: description.clone(),
            outcome: String::new(),
            refused: false,
            reason: decision.reason.clone(),
            seconds: 0.0,
            model_seconds: decision.model_seconds,
            prompt_tokens: decision.prompt_tokens,
            prompt_tokens_evaluated: decision.prompt_tokens_evaluated,
            generated_tokens: decision.generated_tokens,
            parts: history.parts_for_step(number),
        };

        // Checks that need no page: loops and claims of success. A page may change on its own
        // (a clock, a countdown), so the same action several times in a row counts as a loop
        // too, whatever the page state.
        let json = reply::to_json(&action);
        in_a_row = if last_action.as_deref() == Some(json.as_str()) {
            in_a_row + 1
        } else {
            1
        };
        last_action = Some(json.clone());
        let repeats = tried.entry((state, json)).or_insert(0);
        *repeats += 1;
        let repeated = (*repeats).max(in_a_row.saturating_sub(1));
        let mut skipped: Option<String> = None;
        if !action.ends_task() && repeated >= LOOP_LIMIT {
            record.outcome = "the same step on the same page again".to_owned();
            record.seconds = started.elapsed().as_secs_f64();
            let _ = on_step(&record);
            steps.push(record);
            return Ok(finish(
                Status::Failed,
                steps,
                format!("stuck: \"{description}\" changed nothing on this page {LOOP_LIMIT} times"),
            ));
        }
        if !action.ends_task()
            && repeated == 2
            && !matches!(action, Action::Wait | Action::Scroll { .. })
        {
            skipped = Some(match action {
                Action::Tool { .. } => {
                    "not called again: the tool already answered this very call (steps so far)"
                        .to_owned()
                }
                _ => "not done again: it was already done on this same page and changed nothing"
                    .to_owned(),
            });
        }
        // Typing what a field already holds changes nothing.
        if let (Action::Type { text, element }, Some(node)) = (&action, target)
            && !text.contains("{{")
            && field_holds(node, &performed, *element, text)
        {
            if !held.iter().any(|(field, _)| field == element) {
                held.push((*element, text.clone()));
            }
            skipped = Some(format!(
                "not done: {} already holds \"{text}\"",
                observe::ref_of(node.id.unwrap_or_default())
            ));
        }
        done_refused_last = false;
        let verified = if let Some(why) = options.policy.origin_refusal(&snapshot.url) {
            Err(format!("not done: this page is off limits ({why})"))
        } else if performed.is_empty() && refusals > 0 {
            Err("not done: nothing was done, every step so far was refused".to_owned())
        } else {
            check_done(&task, &snapshot, &performed, unsent_asked).map_err(|not_done| {
                if matches!(not_done, NotDone::Unsent(_)) && matches!(action, Action::Done { .. }) {
                    unsent_asked = true;
                }
                not_done.why().to_owned()
            })
        };
        if matches!(action, Action::Done { .. })
            && let Err(why) = verified
        {
            done_claims += 1;
            done_refused_last = true;
            if done_claims >= DONE_CLAIMS {
                record.outcome = why.clone();
                record.seconds = started.elapsed().as_secs_f64();
                let _ = on_step(&record);
                steps.push(record);
                return Ok(finish(Status::Failed, steps, why));
            }
            skipped = Some(why);
        }
        if let Some(why) = skipped {
            if !matches!(action, Action::Done { .. }) {
                blocked = Some(action.clone());
            }
            record.outcome = why.clone();
            record.seconds = started.elapsed().as_secs_f64();
            note = Some(why.clone());
            audit_step(
                audit,
                page,
                &record,
                element_name.clone(),
                &decision.reason,
                "",
            )?;
            pending = Some(Pending {
                number,
                snapshot,
                ticking: Default::default(),
                description,
                outcome: why,
                performed: false,
                part: decision.part,
                repeatable: None,
            });
            let stop = on_step(&record).is_break();
            steps.push(record);
            if stop {
                return Ok(finish(Status::Stopped, steps, "stopped by the user".into()));
            }
            continue;
        }

        let clicking = matches!(action, Action::Click { .. });
        let mut verdict = match &action {
            Action::Tool { tool, args } => tools::verdict(options.tools.as_deref(), tool, args),
            _ => options.policy.check(&action, &snapshot, &typed_personal),
        };
        // Saved data goes only where the task asked for it.
        if !matches!(verdict, Verdict::Refuse(_))
            && let (Action::Type { text, .. }, Some(node)) = (&action, target)
            && let Some(kind) = placeholder_kind(text.trim())
            && !kind.is_secret()
            && !super::candidates::task_wants_saved(&task, node, kind)
        {
            verdict = Verdict::Refuse(format!(
                "the task does not ask for your {} here",
                super::secrets::what(kind)
            ));
        }
        let (allowed, approved_by, why) = match &verdict {
            Verdict::Allow => (true, String::new(), decision.reason.clone()),
            Verdict::Refuse(reason) => (false, "policy".to_owned(), reason.clone()),
            Verdict::Confirm(reason) => match &action {
                Action::Tool { tool, .. } => {
                    let approval = approver.approve_tool(&description, tool);
                    tools::approved(options.tools.as_deref(), tool, approval, reason)
                }
                _ => {
                    let yes = approver.approve(&description, reason);
                    let by = if yes { "user" } else { "policy" };
                    (yes, by.to_owned(), reason.clone())
                }
            },
        };
        let submitting = clicking && target.is_some_and(|node| node.submits);
        let errors_before = if submitting && allowed {
            page_errors(page)
        } else {
            String::new()
        };
        let mut acted = false;
        // A second look just before acting: what changed since the step began did so on its
        // own, and is not reported as the step's effect.
        let ticks = if allowed && action.element().is_some() {
            snapshotter
                .take(page)
                .map(|again| ticking(&snapshot, &again))
                .unwrap_or_default()
        } else {
            Default::default()
        };
        let outcome = if !allowed {
            refusals += 1;
            hints_done.blocked = true;
            hints_done.refused.push(action.clone());
            format!("refused: {why}")
        } else {
            let done = match &action {
                Action::Tool { tool, args } => tools::call(options.tools.as_deref(), tool, args),
                _ => perform(page, &mut snapshotter, &snapshot, &action, vault, &origin),
            };
            match done {
                Ok(outcome) => {
                    acted = true;
                    hints_done
                        .actions
                        .push((snapshot.url.clone(), action.clone()));
                    hints_done.on_task |= hints
                        .iter()
                        .find(|hint| hint.action == action)
                        .map_or(action.element().is_some(), |hint| hint.on_task);
                    hints_done.blocked = false;
                    hints_done.touched.push(description.clone());
                    performed.push(Performed {
                        url: snapshot.url.clone(),
                        action: action.clone(),
                    });
                    tool_answered = matches!(action, Action::Tool { .. });
                    if let Action::Type { text, .. } = &action
                        && text.contains("{{")
                    {
                        let kind = placeholder_kind(text.trim());
                        typed_personal.push(
                            kind.map(|kind| format!("{kind:?}"))
                                .unwrap_or_else(|| "saved data".to_owned()),
                        );
                    }
                    outcome
                }
                // Told to the model; not retried on this same page state.
                Err(problem) => format!("failed: {problem}"),
            }
        };
        // What the engine stopped (a redirect off the task's sites, saved data headed
        // elsewhere) is the step's outcome: the model hears it, the audit keeps it.
        let blocked = page.take_blocked();
        let outcome = if blocked.is_empty() {
            outcome
        } else {
            refusals += 1;
            format!("{outcome}; blocked by the browser: {}", blocked.join("; "))
        };
        record.outcome = outcome.clone();
        record.refused = !allowed || !blocked.is_empty();
        record.seconds = started.elapsed().as_secs_f64();
        audit_step(audit, page, &record, element_name, &why, &approved_by)?;
        // A form that rejected what was typed says so; the task cannot go on by retrying.
        let mut rejected = if submitting && acted {
            let errors = page_errors(page);
            (!errors.is_empty() && errors != errors_before)
                .then(|| format!("the page rejected the form: {errors}"))
        } else {
            None
        };
        // A link that led to an error page is dead.
        let followed_link = clicking && target.is_some_and(|node| node.href.is_some());
        if followed_link && acted && rejected.is_none() {
            rejected =
                error_page(page).map(|title| format!("the link led to an error page: {title}"));
        }
        let stop = on_step(&record).is_break();
        steps.push(record);
        if stop {
            return Ok(finish(Status::Stopped, steps, "stopped by the user".into()));
        }
        if let Some(reason) = rejected {
            return Ok(finish(Status::Failed, steps, reason));
        }
        if allowed {
            match &action {
                Action::Done { summary } => {
                    return Ok(finish(Status::Done, steps, summary.clone()));
                }
                Action::Answer { text } => {
                    let mut outcome = finish(Status::Done, steps, format!("answered: {text}"));
                    outcome.answer = Some(text.clone());
                    return Ok(outcome);
                }
                Action::Fail { reason } => {
                    return Ok(finish(Status::Failed, steps, reason.clone()));
                }
                Action::AskUser { question } => {
                    return Ok(finish(Status::NeedsUser, steps, question.clone()));
                }
                _ => {}
            }
        }
        if refusals >= 4 {
            return Ok(finish(
                Status::Failed,
                steps,
                "too many steps were refused".to_owned(),
            ));
        }
        pending = Some(Pending {
            number,
            snapshot,
            ticking: ticks,
            description,
            outcome,
            // A tool's answer is the step's outcome; the page it left alone shows no effect.
            performed: acted && !matches!(action, Action::Tool { .. }),
            part: decision.part,
            repeatable: match &action {
                Action::Click { .. } | Action::Press { .. } => Some(action.clone()),
                _ => None,
            },
        });
    }
    Ok(finish(
        Status::StepLimit,
        steps,
        format!(
            "stopped after {} steps without finishing",
            options.max_steps
        ),
    ))
}
