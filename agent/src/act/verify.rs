//! "Done" is a claim about the page, checked before it is believed: every value the task gave
//! must be where the agent put it (or on the page), and a form the agent filled must have been
//! sent, unless the task said to stop before that.

use crate::snapshot::Snapshot;

use super::action::Action;
use super::task::Task;

/// What a successful step did, for the check.
#[derive(Debug, Clone)]
pub struct Performed {
    pub url: String,
    pub action: Action,
}

fn normalized(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Why a "done" was not believed.
#[derive(Debug, Clone, PartialEq)]
pub enum NotDone {
    /// The page contradicts it: a value missing, a filled form not sent.
    Refused(String),
    /// Text was typed and nothing sent or confirmed since, on a page with no form to send:
    /// asked once, since some tasks only ask for the typing; a second "done" is believed.
    Unsent(String),
}

impl NotDone {
    pub fn why(&self) -> &str {
        match self {
            NotDone::Refused(why) | NotDone::Unsent(why) => why,
        }
    }
}

/// `Ok` when the page bears the task out; otherwise why not, for the model. `unsent_asked`:
/// the model was already asked about text it typed and not sent, and said done again.
pub fn check_done(
    task: &Task,
    snapshot: &Snapshot,
    steps: &[Performed],
    unsent_asked: bool,
) -> Result<(), NotDone> {
    check_page(task, snapshot, steps).map_err(NotDone::Refused)?;
    if unsent_asked || !task.stop_before.is_empty() {
        return Ok(());
    }
    // Text typed on this page and then nothing pressed, and nothing clicked but text fields: a
    // message composed and not sent, a search typed and not run.
    let Some(at) = steps
        .iter()
        .rposition(|step| matches!(step.action, Action::Type { .. }))
    else {
        return Ok(());
    };
    let Action::Type { element, .. } = &steps[at].action else {
        return Ok(());
    };
    let is_field = |id: u64| {
        snapshot
            .nodes
            .iter()
            .any(|node| node.id == Some(id) && super::observe::takes_text(node))
    };
    let sent_since = steps[at + 1..].iter().any(|step| match step.action {
        Action::Click { element } => !is_field(element),
        Action::Press { .. } | Action::Navigate { .. } | Action::Back => true,
        _ => false,
    });
    if steps[at].url != snapshot.url || sent_since {
        return Ok(());
    }
    let can_send = snapshot
        .nodes
        .iter()
        .any(|node| node.id.is_some() && node.id != Some(*element) && !node.disabled);
    if !can_send {
        return Ok(());
    }
    Err(NotDone::Unsent(format!(
        "not done yet? the text typed into {} has not been sent or confirmed: if the task \
         asks to send, submit, reply or search, click the control that does it (or press \
         Enter); if typing was all it asked, say done again",
        super::observe::ref_of(*element)
    )))
}

/// The task's quoted values that no step has typed yet, while the page has an empty field to
/// type them into: shown to the model each step (a small model clicks "send" before typing
/// the text the task gives). A quoted value the page shows as an element's name, text or
/// option names that element and is not text to type.
pub fn untyped_values(task: &Task, snapshot: &Snapshot, steps: &[Performed]) -> Vec<String> {
    let empty_field = snapshot.nodes.iter().any(|node| {
        node.id.is_some()
            && !node.disabled
            && super::observe::takes_text(node)
            && node
                .value
                .as_deref()
                .is_none_or(|value| value.trim().is_empty())
    });
    if !empty_field {
        return Vec::new();
    }
    let typed: Vec<String> = steps
        .iter()
        .filter_map(|step| match &step.action {
            Action::Type { text, .. } => Some(normalized(text)),
            // What the task gives may be meant for a tool, not a field.
            Action::Tool { args, .. } => Some(normalized(&args.to_string())),
            _ => None,
        })
        .collect();
    let on_page = |value: &str| {
        snapshot.nodes.iter().any(|node| {
            [node.name.as_deref(), node.text.as_deref()]
                .into_iter()
                .flatten()
                .chain(node.options.iter().map(String::as_str))
                .any(|shown| normalized(shown) == value)
        })
    };
    task.quoted
        .iter()
        .filter(|value| {
            let value = normalized(value);
            !value.is_empty() && !typed.iter().any(|done| done.contains(&value)) && !on_page(&value)
        })
        .cloned()
        .collect()
}

/// The checks a page can fail outright.
fn check_page(task: &Task, snapshot: &Snapshot, steps: &[Performed]) -> Result<(), String> {
    let acted = steps.iter().any(|step| {
        !matches!(
            step.action,
            Action::Scroll { .. } | Action::Wait | Action::Back
        )
    });
    // What the page holds now: field values and text.
    let mut shown = String::new();
    for node in &snapshot.nodes {
        for part in [&node.value, &node.text, &node.name].into_iter().flatten() {
            shown.push_str(part);
            shown.push('\n');
        }
    }
    let shown = normalized(&shown);
    let typed: Vec<String> = steps
        .iter()
        .filter_map(|step| match &step.action {
            Action::Type { text, .. } => Some(normalized(text)),
            Action::Select { option, .. } => Some(normalized(option)),
            Action::Tool { args, .. } => Some(normalized(&args.to_string())),
            _ => None,
        })
        .collect();
    let missing: Vec<&String> = task
        .values
        .iter()
        .filter(|value| {
            let value = normalized(value);
            !shown.contains(&value) && !typed.iter().any(|typed| typed.contains(&value))
        })
        .collect();
    if !missing.is_empty() {
        let list: Vec<String> = missing.iter().map(|value| format!("\"{value}\"")).collect();
        return Err(format!(
            "not done: the task gives {} and the page does not show it yet",
            list.join(", ")
        ));
    }
    if !acted && !task.values.is_empty() {
        return Err("not done: nothing has been done on the page yet".to_owned());
    }
    // A form filled on this very page and not sent since.
    let last_fill = steps.iter().rposition(|step| {
        step.url == snapshot.url
            && matches!(
                step.action,
                Action::Type { .. } | Action::Select { .. } | Action::Check { .. }
            )
    });
    let sent_after = |at: usize| {
        steps[at + 1..].iter().any(|step| {
            matches!(
                step.action,
                Action::Click { .. } | Action::Press { .. } | Action::Navigate { .. }
            )
        })
    };
    let has_submit = snapshot
        .nodes
        .iter()
        .any(|node| node.submits && !node.disabled);
    if let Some(at) = last_fill
        && !sent_after(at)
        && has_submit
        && task.stop_before.is_empty()
    {
        return Err(
            "not done: the form is filled but not sent (press its submit button or Enter)"
                .to_owned(),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::Node;

    fn page(value: &str) -> Snapshot {
        Snapshot {
            url: "http://127.0.0.1/form".into(),
            title: "Form".into(),
            viewport: [800.0, 600.0],
            scroll: [0.0, 0.0],
            nodes: vec![
                Node {
                    kind: "textbox".into(),
                    id: Some(1),
                    name: Some("Card".into()),
                    value: Some(value.into()),
                    ..Node::default()
                },
                Node {
                    kind: "button".into(),
                    id: Some(2),
                    name: Some("Pay".into()),
                    submits: true,
                    ..Node::default()
                },
            ],
        }
    }

    fn typed(text: &str) -> Performed {
        Performed {
            url: "http://127.0.0.1/form".into(),
            action: Action::Type {
                element: 1,
                text: text.into(),
            },
        }
    }

    #[test]
    fn a_value_typed_in_part_is_not_done() {
        let task = Task::new("enter card 6011 1111 1111 1117 and submit");
        let partial = check_done(&task, &page("6011"), &[typed("6011")], false);
        assert!(partial.is_err(), "{partial:?}");
    }

    #[test]
    fn a_filled_form_must_be_sent() {
        let task = Task::new("enter card \"6011 1111 1111 1117\" and submit");
        let steps = vec![typed("6011 1111 1111 1117")];
        let unsent = check_done(&task, &page("6011 1111 1111 1117"), &steps, true);
        assert!(unsent.unwrap_err().why().contains("not sent"));
        let mut sent = steps.clone();
        sent.push(Performed {
            url: "http://127.0.0.1/form".into(),
            action: Action::Click { element: 2 },
        });
        assert_eq!(
            check_done(&task, &page("6011 1111 1111 1117"), &sent, false),
            Ok(())
        );
        let stop = Task::new("enter card \"6011 1111 1111 1117\" but stop before paying");
        assert_eq!(
            check_done(&stop, &page("6011 1111 1111 1117"), &steps, false),
            Ok(())
        );
    }

    #[test]
    fn quoted_text_not_yet_typed_is_listed_while_a_field_is_empty() {
        let task = Task::new("reply to Ann with \"See you soon\" and click \"Pay\"");
        // "Pay" names a button: not text to type.
        assert_eq!(untyped_values(&task, &page(""), &[]), vec!["See you soon"]);
        assert!(untyped_values(&task, &page(""), &[typed("see you  soon")]).is_empty());
        // No empty field left: nothing to remind.
        assert!(untyped_values(&task, &page("hello"), &[]).is_empty());
    }

    #[test]
    fn text_typed_and_not_sent_is_asked_about_once() {
        // A reply box outside any form, with a send icon beside it.
        let mut snapshot = page("thanks");
        snapshot.nodes[1].submits = false;
        snapshot.nodes[1].name = None;
        let task = Task::new("reply with \"thanks\"");
        let steps = vec![typed("thanks")];
        let asked = check_done(&task, &snapshot, &steps, false);
        assert!(matches!(asked, Err(NotDone::Unsent(_))), "{asked:?}");
        assert_eq!(check_done(&task, &snapshot, &steps, true), Ok(()));
        // Clicking into the field it typed in sends nothing.
        let mut clicked_field = steps.clone();
        clicked_field.push(Performed {
            url: "http://127.0.0.1/form".into(),
            action: Action::Click { element: 1 },
        });
        assert!(check_done(&task, &snapshot, &clicked_field, false).is_err());
        let mut sent = steps.clone();
        sent.push(Performed {
            url: "http://127.0.0.1/form".into(),
            action: Action::Click { element: 2 },
        });
        assert_eq!(check_done(&task, &snapshot, &sent, false), Ok(()));
    }
}
