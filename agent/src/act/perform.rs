//! Doing one action with real input events, and letting the page settle before the next look.

use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::page::PageError;
use crate::snapshot::{Snapshot, Snapshotter};

use super::action::Action;
use super::page::ActPage;
use super::secrets::{Vault, fill};

const ACT_JS: &str = include_str!("../../../resources/agent/act.js");
const QUIET_JS: &str = include_str!("../../../resources/agent/quiet.js");

/// The DOM counts as settled after this long without a change.
const QUIET: Duration = Duration::from_millis(150);
/// Settling never waits longer than this (pages that animate forever).
const SETTLE_BOUND: Duration = Duration::from_millis(2500);
/// Short timers are waited for this long at most (a page polling every 100 ms never has none).
const TIMERS_BOUND: Duration = Duration::from_millis(600);

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

#[derive(Debug, Deserialize)]
struct Quiet {
    #[serde(default)]
    ready: String,
    #[serde(default)]
    since_change_ms: f64,
    #[serde(default)]
    pending_timers: u32,
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

/// Wait until a navigation the last action started has loaded, the document is complete, its
/// short timers have run and the DOM has been quiet for a moment — within a bound.
pub fn settle(page: &mut dyn ActPage) {
    page.settle();
    let started = Instant::now();
    while started.elapsed() < SETTLE_BOUND {
        let quiet: Option<Quiet> = crate::page::evaluate_json(page, QUIET_JS).ok();
        match quiet {
            Some(quiet)
                if quiet.ready == "complete"
                    && (quiet.pending_timers == 0 || started.elapsed() > TIMERS_BOUND)
                    && quiet.since_change_ms >= QUIET.as_millis() as f64 =>
            {
                return;
            }
            // A page the script cannot run in (an error page, a navigation in flight).
            None if started.elapsed() > QUIET => return,
            _ => page.wait(Duration::from_millis(50)),
        }
    }
    tracing::debug!("the page did not settle within the bound");
}

/// The same element in a fresh snapshot, when the page re-rendered it: one node with the same
/// role and name, or nothing (never a click on another thing).
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

/// Finds an element by id for an operation ("locate", "clear", …), re-resolving stale ones.
type Locator<'a> = dyn FnMut(u64, &str, &mut dyn ActPage) -> Result<Located, String> + 'a;

/// The element located and not covered. A popup the last step opened (a date picker, a list
/// of suggestions) may cover it: as a person would, press Escape to close it and look again.
fn uncovered(target: &mut Locator<'_>, id: u64, page: &mut dyn ActPage) -> Result<Located, String> {
    let located = target(id, "locate", page)?;
    if located.covered_by.is_none() {
        return Ok(located);
    }
    page.press_key("Escape")
        .map_err(|error| error.to_string())?;
    settle(page);
    let located = target(id, "locate", page)?;
    match &located.covered_by {
        Some(cover) => Err(format!("the element is covered by \"{cover}\"")),
        None => Ok(located),
    }
}

/// Where the element `id` is in the viewport (CSS pixels), once scrolled into view; an error
/// when it is gone or covered.
pub fn locate_element(page: &mut dyn ActPage, id: u64) -> Result<(f64, f64), String> {
    let located = locate(page, id, "locate").map_err(|error| error.to_string())?;
    if !located.found {
        return Err("the element went away".to_owned());
    }
    if let Some(cover) = located.covered_by {
        return Err(format!("the element is covered by \"{cover}\""));
    }
    Ok((located.x, located.y))
}

/// Do `action` with real input events; returns what happened, for the log and the model.
pub fn perform(
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
            let at = uncovered(&mut target, *element, page)?;
            page.click_at(at.x, at.y).map_err(failed)?;
            "clicked".to_owned()
        }
        Action::Type { element, text } => {
            let filled = fill(text, origin, vault)?;
            // The engine learns where each saved value may go before the first key is sent.
            for (kind, value) in &filled.values {
                page.protect(value, origin, &super::secrets::what(*kind))
                    .map_err(|error| format!("saved data not typed: {error}"))?;
            }
            uncovered(&mut target, *element, page)?;
            let at = target(*element, "clear", page)?;
            page.click_at(at.x, at.y).map_err(failed)?;
            page.type_text(&filled.text).map_err(failed)?;
            format!("typed \"{text}\"")
        }
        Action::Select { element, option } => {
            let op = format!(
                "select:{}",
                serde_json::to_string(option).unwrap_or_default()
            );
            let at = target(*element, &op, page)?;
            if let Some(error) = at.error {
                return Err(error);
            }
            format!("chose \"{option}\"")
        }
        Action::Check { element, checked } => {
            let at = uncovered(&mut target, *element, page)?;
            if at.checked != Some(*checked) {
                page.click_at(at.x, at.y).map_err(failed)?;
            }
            if *checked { "ticked" } else { "unticked" }.to_owned()
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
        Action::Wait => {
            page.wait(Duration::from_secs(1));
            "waited".to_owned()
        }
        // Not on the page: the loop calls the tool (`tools::call`).
        Action::Tool { .. }
        | Action::Answer { .. }
        | Action::AskUser { .. }
        | Action::Done { .. }
        | Action::Fail { .. } => String::new(),
    };
    settle(page);
    Ok(note)
}
