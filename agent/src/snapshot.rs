//! Page snapshot: what a user sees, as compact text with stable element ids.
//!
//! The page side (`resources/agent/snapshot.js`) walks the rendered DOM, open shadow roots and
//! same-origin frames and leaves out what a user cannot see; this side turns the nodes into
//! lines and trims them to a token budget by priority (interactive elements and headings, then
//! what is in the viewport, then the rest), saying what was cut.

use serde::Deserialize;

use crate::page::{PageAccess, PageError, evaluate_json};

const SNAPSHOT_JS: &str = include_str!("../../resources/agent/snapshot.js");

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
    #[serde(default)]
    pub autocomplete: Option<String>,
    #[serde(default)]
    pub checked: Option<bool>,
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

/// What the page says through a node, as [`render_node`] writes it: geometry, form plumbing
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
    }
}

impl Node {
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
        Ok(Snapshot {
            url: raw.url,
            title: raw.title,
            viewport: raw.viewport,
            scroll: raw.scroll,
            nodes: raw.nodes,
        })
    }
}

/// Priority of a line when the budget is short: lower is kept first.
fn priority(node: &Node) -> u8 {
    match (
        node.is_interactive() || node.kind == "heading",
        node.visible,
    ) {
        (true, true) => 0,
        (true, false) => 1,
        (false, true) => 2,
        (false, false) => 3,
    }
}

fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "'"))
}

/// One node as a line of the snapshot.
pub fn render_node(node: &Node) -> String {
    let mut line = String::new();
    if let Some(id) = node.id {
        line.push_str(&format!("[{id}] "));
    }
    match node.kind.as_str() {
        "heading" => {
            let level = usize::from(node.level.unwrap_or(2).clamp(1, 6));
            return format!("{} {}", "#".repeat(level), node.label());
        }
        "text" => return node.text.clone().unwrap_or_default(),
        "img" => return format!("image {}", quoted(node.label())),
        kind => line.push_str(kind),
    }
    if !node.label().is_empty() {
        line.push(' ');
        line.push_str(&quoted(node.label()));
    }
    if let Some(input_type) = &node.input_type
        && !matches!(
            input_type.as_str(),
            "text" | "checkbox" | "radio" | "textarea"
        )
    {
        line.push_str(&format!(" type={input_type}"));
    }
    if let Some(placeholder) = &node.placeholder {
        line.push_str(&format!(" placeholder={}", quoted(placeholder)));
    }
    if let Some(value) = node.value.as_deref().filter(|value| !value.is_empty()) {
        line.push_str(&format!(" value={}", quoted(value)));
    }
    match node.checked {
        Some(true) => line.push_str(" checked"),
        Some(false) => line.push_str(" unchecked"),
        None => {}
    }
    if node.required {
        line.push_str(" required");
    }
    if node.disabled {
        line.push_str(" disabled");
    }
    if !node.options.is_empty() {
        let options: Vec<String> = node.options.iter().map(|option| quoted(option)).collect();
        line.push_str(&format!(" options: {}", options.join(", ")));
    }
    // Link targets stay in `Node::href` for the safety checks; the model chooses by name, and
    // URLs would cost more tokens than the rest of the line.
    line
}

/// Rough token count for budgeting (about four characters per token for English text).
pub fn estimate_tokens(text: &str) -> usize {
    text.chars().count().div_ceil(4)
}

/// The snapshot as text, trimmed to about `budget` tokens.
pub fn render(snapshot: &Snapshot, budget: usize) -> String {
    // Lines in document order; table cells of one row share a line.
    let mut lines: Vec<(String, u8)> = Vec::new();
    let mut row: Vec<String> = Vec::new();
    let mut row_priority = 3;
    for node in &snapshot.nodes {
        match node.kind.as_str() {
            "table" => continue,
            "row-end" => {
                if !row.is_empty() {
                    lines.push((format!("| {} |", row.join(" | ")), row_priority));
                    row.clear();
                    row_priority = 3;
                }
                continue;
            }
            _ => {}
        }
        let line = render_node(node);
        if line.is_empty() {
            continue;
        }
        if node.cell && !node.is_interactive() {
            row.push(line);
            row_priority = row_priority.min(priority(node));
            continue;
        }
        lines.push((line, priority(node)));
    }
    if !row.is_empty() {
        lines.push((format!("| {} |", row.join(" | ")), row_priority));
    }

    let header = format!("page: {}\nurl: {}\n", snapshot.title, snapshot.url);
    let mut used = estimate_tokens(&header);
    let mut keep = vec![false; lines.len()];
    for level in 0..=3 {
        for (index, (line, line_priority)) in lines.iter().enumerate() {
            if *line_priority != level {
                continue;
            }
            let cost = estimate_tokens(line) + 1;
            if used + cost <= budget {
                keep[index] = true;
                used += cost;
            }
        }
    }
    let mut out = header;
    let mut cut_interactive = 0;
    let mut cut_text = 0;
    for ((line, line_priority), kept) in lines.iter().zip(&keep) {
        if *kept {
            out.push_str(line);
            out.push('\n');
        } else if *line_priority <= 1 {
            cut_interactive += 1;
        } else {
            cut_text += 1;
        }
    }
    if cut_interactive + cut_text > 0 {
        out.push_str(&format!(
            "[cut to fit {budget} tokens: {cut_text} text lines and {cut_interactive} elements or headings left out]\n"
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(kind: &str, id: Option<u64>, name: &str, visible: bool) -> Node {
        Node {
            kind: kind.to_string(),
            role: Some(kind.to_string()),
            id,
            name: Some(name.to_string()),
            text: Some(name.to_string()),
            level: None,
            href: None,
            input_type: None,
            value: None,
            placeholder: None,
            autocomplete: None,
            checked: None,
            required: false,
            disabled: false,
            options: Vec::new(),
            cell: false,
            field_name: None,
            field_id: None,
            form_action: None,
            in_dialog: false,
            submits: false,
            bounds: None,
            visible,
        }
    }

    fn snapshot(nodes: Vec<Node>) -> Snapshot {
        Snapshot {
            url: "http://127.0.0.1/".into(),
            title: "T".into(),
            viewport: [800.0, 600.0],
            scroll: [0.0, 0.0],
            nodes,
        }
    }

    #[test]
    fn renders_controls_with_state() {
        let mut input = node("textbox", Some(3), "Email", true);
        input.input_type = Some("email".into());
        input.required = true;
        input.value = Some("a@b.c".into());
        assert_eq!(
            render_node(&input),
            "[3] textbox \"Email\" type=email value=\"a@b.c\" required"
        );
        let mut select = node("combobox", Some(4), "Country", true);
        select.options = vec!["France".into(), "Japan".into()];
        select.value = Some("France".into());
        assert_eq!(
            render_node(&select),
            "[4] combobox \"Country\" value=\"France\" options: \"France\", \"Japan\""
        );
        let mut check = node("checkbox", Some(5), "Remember me", true);
        check.checked = Some(false);
        check.disabled = true;
        assert_eq!(
            render_node(&check),
            "[5] checkbox \"Remember me\" unchecked disabled"
        );
    }

    #[test]
    fn budget_keeps_controls_and_headings_first_and_says_what_was_cut() {
        let mut nodes = vec![node("heading", None, "Title", true)];
        for i in 0..50 {
            nodes.push(node(
                "text",
                None,
                &format!("filler paragraph number {i} with words"),
                false,
            ));
        }
        nodes.push(node("button", Some(9), "Buy", false));
        let text = render(&snapshot(nodes), 40);
        assert!(text.contains("# Title"), "{text}");
        assert!(text.contains("[9] button \"Buy\""), "{text}");
        assert!(text.contains("text lines and 0 elements"), "{text}");
        assert!(estimate_tokens(&text) <= 40 + 30, "{text}");
    }

    #[test]
    fn table_cells_share_a_row() {
        let mut a = node("text", None, "Lyon", true);
        a.cell = true;
        let mut b = node("text", None, "42 €", true);
        b.cell = true;
        let end = node("row-end", None, "", true);
        let text = render(&snapshot(vec![a, b, end]), 100);
        assert!(text.contains("| Lyon | 42 € |"), "{text}");
    }
}
