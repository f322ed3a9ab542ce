//! What a step changed on the page, in a line for the model: a navigation, a dialog, text
//! that appeared or went away, elements that came, went or changed their look — leaving out
//! what ticks on its own (a clock, a countdown).

use std::collections::HashSet;

use crate::snapshot::{Node, Snapshot};

use super::observe::ref_of;

/// What one step changed on the page, in a line for the model: a navigation, text that
/// appeared or went away, elements that came or went, or no visible effect.
pub fn changes(before: &Snapshot, after: &Snapshot, dialogs: &[String]) -> String {
    changes_besides(before, after, dialogs, &HashSet::new())
}

/// A text line with its digits blanked: how a clock or a countdown looks from tick to tick.
fn line_shape(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_ascii_digit() { '0' } else { c })
        .collect()
}

/// The shapes of the text lines that changed between two looks at a page with nothing done
/// in between: what ticks on its own (a clock, a countdown), not a step's doing.
pub fn ticking(before: &Snapshot, again: &Snapshot) -> HashSet<String> {
    let lines =
        |snapshot: &Snapshot| -> HashSet<String> { text_lines(snapshot).into_iter().collect() };
    let (old, new) = (lines(before), lines(again));
    old.symmetric_difference(&new)
        .map(|text| line_shape(text))
        .collect()
}

fn text_lines(snapshot: &Snapshot) -> Vec<String> {
    snapshot
        .nodes
        .iter()
        .filter(|node| node.kind == "text" || node.kind == "heading")
        .map(|node| {
            node.text
                .clone()
                .or_else(|| node.name.clone())
                .unwrap_or_default()
        })
        .collect()
}

/// `changes`, leaving out lines shaped like those that tick on their own.
/// What a step that changed nothing the model can see is said to have done.
pub const NO_EFFECT: &str = "no visible effect";

pub fn changes_besides(
    before: &Snapshot,
    after: &Snapshot,
    dialogs: &[String],
    ticking: &HashSet<String>,
) -> String {
    let mut parts = Vec::new();
    if before.url != after.url {
        parts.push(format!("the page changed to {}", after.url));
    } else if before.title != after.title {
        parts.push(format!("the title is now \"{}\"", after.title));
    }
    for dialog in dialogs {
        parts.push(format!("a dialog said \"{dialog}\""));
    }
    let (old_text, new_text) = (text_lines(before), text_lines(after));
    let old_set: HashSet<&String> = old_text.iter().collect();
    let new_set: HashSet<&String> = new_text.iter().collect();
    let ticks = |text: &String| ticking.contains(&line_shape(text));
    if before.url == after.url {
        let appeared: Vec<&String> = new_text
            .iter()
            .filter(|text| !old_set.contains(text) && !ticks(text))
            .collect();
        let gone = old_text
            .iter()
            .filter(|text| !new_set.contains(text) && !ticks(text))
            .count();
        if !appeared.is_empty() {
            let shown: Vec<String> = appeared
                .iter()
                .take(3)
                .map(|text| {
                    let short: String = text.chars().take(80).collect();
                    format!("\"{short}\"")
                })
                .collect();
            parts.push(format!("new text: {}", shown.join(", ")));
        }
        if gone > 0 {
            parts.push(format!("{gone} text lines went away"));
        }
        let ids = |snapshot: &Snapshot| -> HashSet<u64> {
            snapshot.nodes.iter().filter_map(|node| node.id).collect()
        };
        let (old_ids, new_ids) = (ids(before), ids(after));
        let added = new_ids.difference(&old_ids).count();
        let removed = old_ids.difference(&new_ids).count();
        if added > 0 {
            parts.push(format!("{added} new elements"));
        }
        if removed > 0 {
            parts.push(format!("{removed} elements went away"));
        }
        let changed_values = before
            .nodes
            .iter()
            .filter(|old| old.id.is_some())
            .filter(|old| {
                after.nodes.iter().any(|new| {
                    new.id == old.id && (new.value != old.value || new.checked != old.checked)
                })
            })
            .count();
        if changed_values > 0 && parts.is_empty() {
            parts.push(format!("{changed_values} fields changed"));
        }
        // A section opened or closed, a tab or toggle chosen: said by the element's state.
        let flipped: Vec<String> = before
            .nodes
            .iter()
            .filter_map(|old| {
                let id = old.id?;
                let new = after.nodes.iter().find(|new| new.id == Some(id))?;
                let (was, now) = (old.states(), new.states());
                let gained: Vec<&str> = now.iter().filter(|w| !was.contains(w)).copied().collect();
                let lost: Vec<&str> = was.iter().filter(|w| !now.contains(w)).copied().collect();
                match (gained.is_empty(), lost.is_empty()) {
                    (true, true) => None,
                    (false, _) => Some(format!("{} now {}", ref_of(id), gained.join(", "))),
                    (true, false) => Some(format!("{} no longer {}", ref_of(id), lost.join(", "))),
                }
            })
            .take(3)
            .collect();
        if !flipped.is_empty() {
            parts.push(flipped.join(", "));
        }
        // An icon turned on or off (a star, a checkmark drawn by class or picture).
        let looks = |node: &Node| format!("{:?} {:?}", node.icon, node.class_hint);
        let restyled: Vec<String> = before
            .nodes
            .iter()
            .filter_map(|old| {
                let id = old.id?;
                let new = after.nodes.iter().find(|new| new.id == Some(id))?;
                let shown = |node: &Node| {
                    node.icon
                        .clone()
                        .or_else(|| node.class_hint.clone())
                        .unwrap_or_default()
                };
                (looks(old) != looks(new))
                    .then(|| format!("{} now looks \"{}\"", ref_of(id), shown(new)))
            })
            .take(3)
            .collect();
        if !restyled.is_empty() {
            parts.push(restyled.join(", "));
        }
    }
    if parts.is_empty() {
        NO_EFFECT.to_owned()
    } else {
        parts.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::fixtures::{node, snapshot};

    #[test]
    fn changes_say_what_appeared_or_that_nothing_did() {
        let before = snapshot(vec![node("button", Some(1), "Next")]);
        assert_eq!(changes(&before, &before, &[]), "no visible effect");
        let after = snapshot(vec![
            node("button", Some(1), "Next"),
            node("text", None, "Wrong password"),
        ]);
        let said = changes(&before, &after, &[]);
        assert!(said.contains("\"Wrong password\""), "{said}");
        let mut moved = after.clone();
        moved.url = "http://127.0.0.1/welcome".into();
        let said = changes(&before, &moved, &["Saved".to_owned()]);
        assert!(
            said.contains("changed to http://127.0.0.1/welcome"),
            "{said}"
        );
        assert!(said.contains("a dialog said \"Saved\""), "{said}");
        // A countdown that ticked while the model thought is no effect of the step; a count
        // the step changed is.
        let clock = |text: &str| snapshot(vec![node("text", None, text)]);
        let ticks = ticking(
            &clock("Time left: 576 / 600sec"),
            &clock("Time left: 570 / 600sec"),
        );
        assert_eq!(
            changes_besides(
                &clock("Time left: 576 / 600sec"),
                &clock("Time left: 567 / 600sec"),
                &[],
                &ticks
            ),
            "no visible effect"
        );
        let said = changes_besides(&clock("In cart: 1"), &clock("In cart: 2"), &[], &ticks);
        assert!(said.contains("new text: \"In cart: 2\""), "{said}");
        // A star turned on: the same element, another picture.
        let mut star = node("clickable", Some(7), "");
        star.icon = Some("star".into());
        let mut lit = star.clone();
        lit.icon = Some("star clicked".into());
        let said = changes(&snapshot(vec![star]), &snapshot(vec![lit]), &[]);
        assert_eq!(said, "e7 now looks \"star clicked\"");
        // A section opened.
        let mut section = node("tab", Some(3), "Section 2");
        section.expanded = Some(false);
        let mut open = section.clone();
        open.expanded = Some(true);
        open.selected = true;
        let said = changes(
            &snapshot(vec![section.clone()]),
            &snapshot(vec![open.clone()]),
            &[],
        );
        assert_eq!(said, "e3 now expanded, selected");
        let said = changes(&snapshot(vec![open]), &snapshot(vec![section]), &[]);
        assert_eq!(said, "e3 now collapsed");
    }
}
