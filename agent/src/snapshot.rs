//! Page snapshot: what a user sees, as compact text with stable element ids.
//!
//! The page side (`resources/agent/snapshot.js`) walks the rendered DOM, open shadow roots and
//! same-origin frames and leaves out what a user cannot see; `act::observe` turns the nodes
//! into the outline the model reads.

use serde::Deserialize;

use crate::page::{PageAccess, PageError, evaluate_json};

static SNAPSHOT_JS: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    crate::page::with_unseen(include_str!("../../resources/agent/snapshot.js"))
});

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct Node {
    pub kind: String,
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default)]
    pub id: Option<u64>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub level: Option<u8>,
    #[serde(default)]
    pub href: Option<String>,
    #[serde(default, rename = "type")]
    pub input_type: Option<String>,
    #[serde(default)]
    pub value: Option<String>,
    #[serde(default)]
    pub placeholder: Option<String>,
    /// Text just before an unlabelled field, which a person would read as its label.
    #[serde(default)]
    pub nearby: Option<String>,
    /// Class names of an element with no name at all (icons styled by class).
    #[serde(default)]
    pub class_hint: Option<String>,
    /// The `id` attribute of a clickable element with no name.
    #[serde(default)]
    pub id_hint: Option<String>,
    /// The file name of the picture an element with no name shows (an icon).
    #[serde(default)]
    pub icon: Option<String>,
    /// For an element with no name: the text of the nearest enclosing element that has some
    /// (which row of a list an icon belongs to).
    #[serde(default)]
    pub context: Option<String>,
    #[serde(default)]
    pub autocomplete: Option<String>,
    #[serde(default)]
    pub checked: Option<bool>,
    /// An element that opens and closes something (`aria-expanded`, a `<details>` summary).
    #[serde(default)]
    pub expanded: Option<bool>,
    /// The chosen tab or option (`aria-selected`), a pressed toggle, the current page or step.
    #[serde(default)]
    pub selected: bool,
    #[serde(default)]
    pub pressed: bool,
    #[serde(default)]
    pub current: bool,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub disabled: bool,
    #[serde(default)]
    pub options: Vec<String>,
    #[serde(default)]
    pub cell: bool,
    /// The control's `name` and `id` attributes, for the form classifier.
    #[serde(default)]
    pub field_name: Option<String>,
    #[serde(default)]
    pub field_id: Option<String>,
    /// Where the control's form sends its data.
    #[serde(default)]
    pub form_action: Option<String>,
    /// Inside a dialog or modal overlay.
    #[serde(default)]
    pub in_dialog: bool,
    /// A button that submits its form.
    #[serde(default)]
    pub submits: bool,
    /// x, y, width, height in CSS pixels, relative to the top-level viewport.
    #[serde(default, rename = "box")]
    pub bounds: Option<[f64; 4]>,
    #[serde(default)]
    pub visible: bool,
}

/// What the page says through a node, as the agent's outline shows it: geometry, form plumbing
/// and link targets left out, so that the same page state hashes the same.
impl std::hash::Hash for Node {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        (&self.kind, self.id, self.level, &self.name, &self.text).hash(state);
        (
            &self.input_type,
            &self.placeholder,
            &self.value,
            self.checked,
        )
            .hash(state);
        (self.required, self.disabled, &self.options, self.cell).hash(state);
        (self.expanded, self.selected, self.pressed, self.current).hash(state);
        // An icon that changes (a star turned on) is a change the user sees.
        (&self.icon, &self.class_hint).hash(state);
    }
}

impl Node {
    /// The states a screen reader announces, as the outline and the step's changes say them.
    pub fn states(&self) -> Vec<&'static str> {
        let mut words = Vec::new();
        match self.expanded {
            Some(true) => words.push("expanded"),
            Some(false) => words.push("collapsed"),
            None => {}
        }
        for (on, word) in [
            (self.selected, "selected"),
            (self.pressed, "pressed"),
            (self.current, "current"),
        ] {
            if on {
                words.push(word);
            }
        }
        words
    }

    pub fn is_interactive(&self) -> bool {
        self.id.is_some()
    }

    pub fn label(&self) -> &str {
        self.name.as_deref().unwrap_or("")
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawSnapshot {
    url: String,
    title: String,
    viewport: [f64; 2],
    scroll: [f64; 2],
    next_id: u64,
    nodes: Vec<Node>,
}

/// One snapshot of a page.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub url: String,
    pub title: String,
    pub viewport: [f64; 2],
    pub scroll: [f64; 2],
    pub nodes: Vec<Node>,
}

/// Takes snapshots of one tab and keeps element ids unique across the documents it shows.
#[derive(Debug, Default)]
pub struct Snapshotter {
    next_id: u64,
}

impl Snapshotter {
    pub fn new() -> Self {
        Snapshotter { next_id: 1 }
    }

    pub fn take(&mut self, page: &mut dyn PageAccess) -> Result<Snapshot, PageError> {
        let script = SNAPSHOT_JS.replace("__CLEF_FIRST_ID__", &self.next_id.max(1).to_string());
        let raw: RawSnapshot = evaluate_json(page, &script)?;
        self.next_id = self.next_id.max(raw.next_id);
        let mut snapshot = Snapshot {
            url: raw.url,
            title: raw.title,
            viewport: raw.viewport,
            scroll: raw.scroll,
            nodes: raw.nodes,
        };
        // Secrets never leave this function: everything downstream reads placeholders.
        crate::act::mask::mask(&mut snapshot);
        crate::act::observe::tell_apart(&mut snapshot);
        Ok(snapshot)
    }
}

/// Rough token count for budgeting (about four characters per token for English text).
pub fn estimate_tokens(text: &str) -> usize {
    text.chars().count().div_ceil(4)
}

/// Nodes and snapshots for tests elsewhere in the crate.
#[cfg(test)]
pub(crate) mod fixtures {
    use super::{Node, Snapshot};

    /// A visible node; a text node's words are its text too.
    pub fn node(kind: &str, id: Option<u64>, name: &str) -> Node {
        Node {
            kind: kind.into(),
            id,
            name: Some(name.into()),
            text: (kind == "text").then(|| name.to_owned()),
            visible: true,
            ..Node::default()
        }
    }

    /// A form: a text field e3, a button e5, a list e7 (France, Côte d'Ivoire), a box e8.
    pub fn form() -> Snapshot {
        let mut select = node("combobox", Some(7), "Country");
        select.options = vec!["France".into(), "Côte d'Ivoire".into()];
        let mut page = snapshot(vec![
            node("textbox", Some(3), "Name"),
            node("button", Some(5), "Send"),
            select,
            node("checkbox", Some(8), "News"),
        ]);
        page.title = "Form".into();
        page
    }

    pub fn snapshot(nodes: Vec<Node>) -> Snapshot {
        Snapshot {
            url: "http://127.0.0.1/".into(),
            title: "T".into(),
            viewport: [800.0, 600.0],
            scroll: [0.0, 0.0],
            nodes,
        }
    }
}
