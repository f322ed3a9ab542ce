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

/// `Ok` when the page bears the task out; otherwise why not, for the model.
pub fn check_done(task: &Task, snapshot: &Snapshot, steps: &[Performed]) -> Result<(), String> {
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
        let partial = check_done(&task, &page("6011"), &[typed("6011")]);
        assert!(partial.is_err(), "{partial:?}");
    }

    #[test]
    fn a_filled_form_must_be_sent() {
        let task = Task::new("enter card \"6011 1111 1111 1117\" and submit");
        let steps = vec![typed("6011 1111 1111 1117")];
        let unsent = check_done(&task, &page("6011 1111 1111 1117"), &steps);
        assert!(unsent.unwrap_err().contains("not sent"));
        let mut sent = steps.clone();
        sent.push(Performed {
            url: "http://127.0.0.1/form".into(),
            action: Action::Click { element: 2 },
        });
        assert_eq!(
            check_done(&task, &page("6011 1111 1111 1117"), &sent),
            Ok(())
        );
        let stop = Task::new("enter card \"6011 1111 1111 1117\" but stop before paying");
        assert_eq!(
            check_done(&stop, &page("6011 1111 1111 1117"), &steps),
            Ok(())
        );
    }
}
