//! Fields and buttons of an HTML document, grouped by form, as the classifier sees them.

use crate::dom::{Document, Kind, NodeId, ROOT, collapse_whitespace};

use super::Field;

#[derive(Debug, Clone)]
pub struct Button {
    pub node: NodeId,
    pub text: String,
    pub input_type: String,
}

/// One `<form>` (or the fields outside any form), with the text that says what it is for.
#[derive(Debug, Clone, Default)]
pub struct FormGroup {
    pub fields: Vec<(NodeId, Field)>,
    pub buttons: Vec<Button>,
    pub text: String,
}

impl FormGroup {
    /// The button that most likely submits this form.
    pub fn submit_button(&self) -> Option<&Button> {
        self.buttons
            .iter()
            .map(|button| {
                (
                    button,
                    super::submit_score(&button.text, &button.input_type, !self.fields.is_empty()),
                )
            })
            .filter(|(_, score)| *score > 0.0)
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(button, _)| button)
    }
}

#[derive(Debug, Clone, Default)]
pub struct FormDocument {
    pub title: String,
    pub groups: Vec<FormGroup>,
}

const SKIPPED_TYPES: &[&str] = &[
    "hidden", "submit", "button", "image", "reset", "checkbox", "radio", "file", "range", "color",
];

fn text_of_ids(doc: &Document, ids: &str) -> String {
    let mut out = Vec::new();
    for id in ids.split_whitespace() {
        if let Some(node) = doc
            .descendants(ROOT)
            .into_iter()
            .find(|&node| doc.is_element(node) && doc.attr(node, "id") == Some(id))
        {
            out.push(doc.inner_text(node));
        }
    }
    out.join(" ")
}

fn label_text(doc: &Document, node: NodeId, labels_by_for: &[(String, NodeId)]) -> String {
    let mut parts = Vec::new();
    if let Some(id) = doc.attr(node, "id") {
        for (target, label) in labels_by_for {
            if target == id {
                parts.push(doc.inner_text(*label));
            }
        }
    }
    if let Some(wrapping) = doc
        .ancestors(node)
        .find(|&ancestor| doc.tag(ancestor) == "label")
    {
        parts.push(doc.inner_text(wrapping));
    }
    if let Some(label) = doc.attr(node, "aria-label") {
        parts.push(label.to_string());
    }
    if let Some(ids) = doc.attr(node, "aria-labelledby") {
        parts.push(text_of_ids(doc, ids));
    }
    collapse_whitespace(&parts.join(" "))
}

/// The closest text before `node`: its previous siblings, then its parent's, up three levels.
fn nearby_text(doc: &Document, node: NodeId) -> String {
    let mut current = node;
    for _ in 0..3 {
        let Some(parent) = doc.parent(current) else {
            break;
        };
        let siblings = doc.children(parent);
        let index = siblings
            .iter()
            .position(|&child| child == current)
            .unwrap_or(0);
        for &sibling in siblings[..index].iter().rev() {
            let data = doc.node(sibling);
            if data.kind == Kind::Element
                && matches!(
                    data.tag.as_str(),
                    "input" | "select" | "textarea" | "button"
                )
            {
                return String::new();
            }
            let text = doc.inner_text(sibling);
            if !text.is_empty() {
                return text
                    .chars()
                    .rev()
                    .take(80)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect();
            }
        }
        current = parent;
    }
    String::new()
}

fn field_of(doc: &Document, node: NodeId, labels_by_for: &[(String, NodeId)]) -> Field {
    let attr = |name: &str| doc.attr(node, name).unwrap_or("").to_string();
    let tag = doc.tag(node).to_string();
    let input_type = match tag.as_str() {
        "input" => attr("type").to_lowercase(),
        other => other.to_string(),
    };
    let options = if tag == "select" {
        doc.find_all(node, &["option"])
            .into_iter()
            .map(|option| doc.inner_text(option))
            .collect()
    } else {
        Vec::new()
    };
    Field {
        tag,
        input_type: if input_type.is_empty() {
            "text".to_string()
        } else {
            input_type
        },
        name: attr("name"),
        id: attr("id"),
        autocomplete: attr("autocomplete"),
        placeholder: attr("placeholder"),
        label: label_text(doc, node, labels_by_for),
        title: attr("title"),
        class: attr("class"),
        nearby: nearby_text(doc, node),
        max_length: doc
            .attr(node, "maxlength")
            .and_then(|value| value.trim().parse().ok()),
        options,
    }
}

fn button_text(doc: &Document, node: NodeId) -> String {
    let text = doc.inner_text(node);
    let pick = [
        text,
        doc.attr(node, "value").unwrap_or("").to_string(),
        doc.attr(node, "aria-label").unwrap_or("").to_string(),
        doc.attr(node, "title").unwrap_or("").to_string(),
        doc.attr(node, "alt").unwrap_or("").to_string(),
        doc.attr(node, "id").unwrap_or("").to_string(),
        doc.attr(node, "name").unwrap_or("").to_string(),
    ];
    pick.into_iter()
        .find(|text| !text.trim().is_empty())
        .unwrap_or_default()
}

/// The fields and buttons of `doc`, grouped by the form that holds them.
pub fn extract(doc: &Document) -> FormDocument {
    let labels_by_for: Vec<(String, NodeId)> = doc
        .find_all(ROOT, &["label"])
        .into_iter()
        .filter_map(|label| {
            doc.attr(label, "for")
                .map(|target| (target.to_string(), label))
        })
        .collect();
    let title = doc
        .first(ROOT, "title")
        .map(|title| doc.inner_text(title))
        .unwrap_or_default();
    let mut groups: Vec<(Option<NodeId>, FormGroup)> = Vec::new();
    let group_of = |form: Option<NodeId>, groups: &mut Vec<(Option<NodeId>, FormGroup)>| -> usize {
        match groups.iter().position(|(key, _)| *key == form) {
            Some(index) => index,
            None => {
                let text = match form {
                    Some(form) => doc.inner_text(form).chars().take(600).collect(),
                    None => String::new(),
                };
                groups.push((
                    form,
                    FormGroup {
                        text,
                        ..FormGroup::default()
                    },
                ));
                groups.len() - 1
            }
        }
    };
    for node in doc.descendants(ROOT) {
        if !doc.is_element(node) {
            continue;
        }
        let tag = doc.tag(node);
        let input_type = doc.attr(node, "type").unwrap_or("").to_lowercase();
        let form = doc
            .ancestors(node)
            .find(|&ancestor| doc.tag(ancestor) == "form");
        let is_button = tag == "button"
            || (tag == "input" && matches!(input_type.as_str(), "submit" | "button" | "image"))
            || doc.attr(node, "role") == Some("button");
        if is_button {
            let index = group_of(form, &mut groups);
            let input_type = if tag == "button" && input_type.is_empty() && form.is_some() {
                "submit".to_string()
            } else {
                input_type
            };
            groups[index].1.buttons.push(Button {
                node,
                text: button_text(doc, node),
                input_type,
            });
            continue;
        }
        let is_field = matches!(tag, "select" | "textarea")
            || (tag == "input" && !SKIPPED_TYPES.contains(&input_type.as_str()));
        if is_field {
            let index = group_of(form, &mut groups);
            groups[index]
                .1
                .fields
                .push((node, field_of(doc, node, &labels_by_for)));
        }
    }
    // Formless fields take the page's text as their context.
    let body_text: String = doc
        .body()
        .map(|body| doc.inner_text(body).chars().take(600).collect())
        .unwrap_or_default();
    FormDocument {
        title: title.clone(),
        groups: groups
            .into_iter()
            .map(|(form, mut group)| {
                if form.is_none() {
                    group.text = body_text.clone();
                }
                group.text = format!("{title} {}", group.text);
                group
            })
            .collect(),
    }
}
