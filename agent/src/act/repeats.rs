//! What counts as a step already done: the page's state (the same step on the same state twice
//! is a loop), a field that already holds a text, a toggle the last step switched.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use crate::snapshot::{Node, Snapshot};

use super::action::Action;
use super::verify::Performed;

/// The page's state for spotting a step that changed nothing: its address and what it says.
pub fn state_hash(snapshot: &Snapshot) -> u64 {
    let mut hasher = DefaultHasher::new();
    snapshot.url.hash(&mut hasher);
    snapshot.nodes.hash(&mut hasher);
    hasher.finish()
}

/// Whether clicking `element` switched its state (a section opened, a toggle pressed, a box
/// ticked): clicking it again at once would undo the step, so it is not offered right away.
pub fn toggled_by(before: &Snapshot, after: &Snapshot, element: u64) -> bool {
    let find = |snapshot: &Snapshot| {
        snapshot
            .nodes
            .iter()
            .find(|node| node.id == Some(element))
            .map(|node| (node.states(), node.checked))
    };
    matches!((find(before), find(after)), (Some(was), Some(now)) if was != now)
}

/// Whether a field holds `text`: its value, or for a secret the agent typed it and it is still
/// filled.
pub fn field_holds(node: &Node, performed: &[Performed], element: u64, text: &str) -> bool {
    node.value.as_deref() == Some(text) || hidden_field_holds(node, performed, element, text)
}

/// Whether a secret field, whose value every snapshot shows as a placeholder (`mask`, called by
/// `Snapshotter::take`), is still filled and was last typed `text` by the agent.
fn hidden_field_holds(node: &Node, performed: &[Performed], element: u64, text: &str) -> bool {
    let masked = node
        .value
        .as_deref()
        .is_some_and(|shown| shown.starts_with("{{") && shown.ends_with("}}"));
    let last_typed = performed.iter().rev().find_map(|step| match &step.action {
        Action::Type {
            element: typed,
            text,
        } if *typed == element => Some(text.as_str()),
        _ => None,
    });
    masked && last_typed == Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::fixtures::{node, snapshot};

    fn typed(element: u64, text: &str) -> Performed {
        Performed {
            url: "http://127.0.0.1/".into(),
            action: Action::Type {
                element,
                text: text.into(),
            },
        }
    }

    #[test]
    fn a_password_field_holds_what_was_last_typed_into_it() {
        let mut field = node("textbox", Some(1), "Password");
        field.input_type = Some("password".into());
        // The snapshot as the model sees it: the secret masked as a placeholder.
        field.value = Some("{{password}}".into());
        let performed = [typed(1, "rUT3X")];
        assert!(hidden_field_holds(&field, &performed, 1, "rUT3X"));
        assert!(field_holds(&field, &performed, 1, "rUT3X"));
        // Another text, another field, or a field the page emptied: typing may change it.
        assert!(!hidden_field_holds(&field, &performed, 1, "other"));
        assert!(!hidden_field_holds(
            &field,
            &[typed(2, "rUT3X")],
            1,
            "rUT3X"
        ));
        field.value = Some(String::new());
        assert!(!hidden_field_holds(&field, &performed, 1, "rUT3X"));
        // A plain field holds what its value says.
        let mut name = node("textbox", Some(3), "Name");
        name.value = Some("Ann".into());
        assert!(field_holds(&name, &[], 3, "Ann"));
        assert!(!field_holds(&name, &[typed(3, "Bob")], 3, "Bob"));
    }

    #[test]
    fn a_click_that_opened_a_section_toggled_it() {
        let mut section = node("tab", Some(1), "Section 2");
        section.expanded = Some(false);
        let before = snapshot(vec![section.clone(), node("button", Some(2), "Go")]);
        section.expanded = Some(true);
        let after = snapshot(vec![section, node("button", Some(2), "Go")]);
        assert!(toggled_by(&before, &after, 1));
        assert!(!toggled_by(&before, &after, 2));
        assert!(!toggled_by(&before, &before, 1));
        assert!(!toggled_by(&before, &after, 9));
    }
}
