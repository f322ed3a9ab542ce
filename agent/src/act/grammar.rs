//! GBNF grammars built from the page now shown: the model can only name refs that exist,
//! options a list really has and keys the browser can press.

use std::collections::BTreeMap;

use crate::snapshot::{Node, Snapshot};

use super::action::Action;
use super::observe::{checkable, has_options, ref_of, takes_text};
use super::tools::{self, ToolSpec};

/// Keys the model may press (the browser's named keys).
pub const KEYS: &[&str] = &[
    "Enter",
    "Tab",
    "Escape",
    "Backspace",
    "Delete",
    "Space",
    "ArrowDown",
    "ArrowUp",
    "ArrowLeft",
    "ArrowRight",
    "PageDown",
    "PageUp",
    "Home",
    "End",
];

/// Longest text the model may type or say in one action.
const MAX_TEXT: usize = 200;
const MAX_REASON: usize = 80;

/// A GBNF string literal holding `text` exactly.
pub(super) fn literal(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A GBNF literal for a JSON string holding `text`.
pub(super) fn json_literal(text: &str) -> String {
    literal(&serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_owned()))
}

pub(super) fn alternatives(items: impl IntoIterator<Item = String>) -> Option<String> {
    let items: Vec<String> = items.into_iter().collect();
    (!items.is_empty()).then(|| items.join(" | "))
}

fn refs(snapshot: &Snapshot, wanted: impl Fn(&Node) -> bool) -> Option<String> {
    alternatives(
        snapshot
            .nodes
            .iter()
            .filter(|node| !node.disabled && wanted(node))
            .filter_map(|node| node.id)
            .map(|id| json_literal(&ref_of(id))),
    )
}

/// Whether `node` is not among the `blocked` elements.
fn open_to(node: &Node, blocked: &[u64]) -> bool {
    !node.id.is_some_and(|id| blocked.contains(&id))
}

/// Every action the page allows now, and the `tools`' calls; with a task of several `parts`,
/// the reply first says which part its action does (`{"part": 2, "action": …}`).
pub fn open_grammar(
    snapshot: &Snapshot,
    allow_done: bool,
    blocked: &[Action],
    parts: usize,
    tools: &[ToolSpec],
) -> String {
    let mut rules: BTreeMap<&str, String> = BTreeMap::new();
    let mut bodies: Vec<&str> = Vec::new();
    // Steps refused as changing nothing cannot be chosen: their elements leave that kind.
    let blocked_for = |kind: &str| -> Vec<u64> {
        blocked
            .iter()
            .filter_map(|action| match (kind, action) {
                ("click", Action::Click { element })
                | ("type", Action::Type { element, .. })
                | ("check", Action::Check { element, .. })
                | ("select", Action::Select { element, .. }) => Some(*element),
                _ => None,
            })
            .collect()
    };
    let (no_click, no_type, no_check, no_select) = (
        blocked_for("click"),
        blocked_for("type"),
        blocked_for("check"),
        blocked_for("select"),
    );
    let field = |name: &str| literal(&format!("\"{name}\": "));
    let action = |name: &str| literal(&format!("\"action\": \"{name}\""));
    if let Some(any) = refs(snapshot, |node| open_to(node, &no_click)) {
        rules.insert("anyref", any);
        rules.insert(
            "click",
            format!("{} \", \" {} anyref", action("click"), field("ref")),
        );
        bodies.push("click");
    }
    if let Some(fields) = refs(snapshot, |node| takes_text(node) && open_to(node, &no_type)) {
        rules.insert("textref", fields);
        rules.insert(
            "type",
            format!(
                "{} \", \" {} textref \", \" {} text",
                action("type"),
                field("ref"),
                field("text")
            ),
        );
        bodies.push("type");
    }
    let selects: Vec<String> = snapshot
        .nodes
        .iter()
        .filter(|node| has_options(node) && !node.disabled && open_to(node, &no_select))
        .filter_map(|node| {
            let id = node.id?;
            let options = alternatives(node.options.iter().map(|option| json_literal(option)))?;
            Some(format!(
                "{} {} \", \" {} ({options})",
                field("ref"),
                json_literal(&ref_of(id)),
                field("option")
            ))
        })
        .collect();
    if let Some(selects) = alternatives(selects.into_iter().map(|one| format!("({one})"))) {
        rules.insert("select", format!("{} \", \" ({selects})", action("select")));
        bodies.push("select");
    }
    if let Some(boxes) = refs(snapshot, |node| checkable(node) && open_to(node, &no_check)) {
        rules.insert("checkref", boxes);
        rules.insert(
            "check",
            format!(
                "{} \", \" {} checkref \", \" {} (\"true\" | \"false\")",
                action("check"),
                field("ref"),
                field("checked")
            ),
        );
        bodies.push("check");
    }
    // A key whose press has just changed nothing is not offered again at once.
    let no_press: Vec<&str> = blocked
        .iter()
        .filter_map(|action| match action {
            Action::Press { key } => Some(key.as_str()),
            _ => None,
        })
        .collect();
    if let Some(keys) = alternatives(
        KEYS.iter()
            .filter(|key| !no_press.contains(*key))
            .map(|key| json_literal(key)),
    ) {
        rules.insert(
            "press",
            format!("{} \", \" {} ({keys})", action("press"), field("key")),
        );
        bodies.push("press");
    }
    rules.insert(
        "scroll",
        format!(
            "{} \", \" {} ({} | {})",
            action("scroll"),
            field("direction"),
            json_literal("down"),
            json_literal("up")
        ),
    );
    rules.insert(
        "navigate",
        format!("{} \", \" {} text", action("navigate"), field("url")),
    );
    rules.insert("back", action("back"));
    rules.insert("wait", action("wait"));
    rules.insert(
        "answer",
        format!("{} \", \" {} text", action("answer"), field("text")),
    );
    rules.insert(
        "askuser",
        format!("{} \", \" {} text", action("ask_user"), field("question")),
    );
    rules.insert("done", action("done"));
    // A failure's reason is the reply's reason.
    rules.insert("fail", action("fail"));
    bodies.extend([
        "scroll", "navigate", "back", "wait", "answer", "askuser", "fail",
    ]);
    // Waiting is for a page still changing; not offered when the loop says nothing is.
    if blocked.contains(&Action::Wait) {
        bodies.retain(|body| *body != "wait");
        rules.remove("wait");
    }
    let blocked_tools: Vec<&str> = blocked
        .iter()
        .filter_map(|action| match action {
            Action::Tool { tool, .. } => Some(tool.as_str()),
            _ => None,
        })
        .collect();
    let tool_rules = tools::grammar_rules(tools, &blocked_tools, &field);
    if tool_rules.is_some() {
        bodies.push("tool");
    }
    // Right after a "done" the page did not bear out, the model must act first.
    if allow_done {
        bodies.push("done");
    } else {
        rules.remove("done");
    }
    assemble(rules, &bodies, parts, tool_rules)
}

/// A call of `tool` and nothing else: the first step of a task the model said needs it.
pub fn tool_only_grammar(tool: &ToolSpec, parts: usize) -> String {
    let field = |name: &str| literal(&format!("\"{name}\": "));
    let tool_rules = tools::grammar_rules(std::slice::from_ref(tool), &[], &field);
    assemble(BTreeMap::new(), &["tool"], parts, tool_rules)
}

/// The root over `bodies`, the reply's part number and reason, and the shared rules.
fn assemble(
    mut rules: BTreeMap<&str, String>,
    bodies: &[&str],
    parts: usize,
    tool_rules: Option<String>,
) -> String {
    let field = |name: &str| literal(&format!("\"{name}\": "));
    // The action comes first and a short reason after it: measured with a 1.5B model, a reason
    // written first talked the model into "done" before it had done anything.
    let part = if parts > 1 {
        rules.insert(
            "part",
            format!(
                "{} ({}) \", \"",
                field("part"),
                alternatives((1..=parts).map(|n| literal(&n.to_string()))).unwrap_or_default()
            ),
        );
        "part "
    } else {
        ""
    };
    let mut grammar = format!(
        "root ::= \"{{\" {part}({}) \", \" {} reason \"}}\"\n",
        bodies.join(" | "),
        field("reason")
    );
    for (name, rule) in &rules {
        grammar.push_str(&format!("{name} ::= {rule}\n"));
    }
    grammar.push_str(&format!(
        "text ::= \"\\\"\" char{{0,{MAX_TEXT}}} \"\\\"\"\n"
    ));
    grammar.push_str(&format!(
        "reason ::= \"\\\"\" char{{0,{MAX_REASON}}} \"\\\"\"\n"
    ));
    grammar.push_str("char ::= [^\"\\\\\\x7F\\x00-\\x1F] | \"\\\\\" [\"\\\\/nt]\n");
    grammar.push_str(&tool_rules.unwrap_or_default());
    grammar
}

/// Only the suggested actions (each a complete JSON object).
pub fn narrow_grammar(suggestions: &[String]) -> String {
    let options = alternatives(suggestions.iter().map(|one| literal(one)))
        .unwrap_or_else(|| literal("{\"action\": \"fail\", \"reason\": \"no step fits\"}"));
    format!("root ::= {options}\n")
}

/// One of these refs, bare (`e12`), and nothing else.
pub fn bare_ref_grammar(ids: impl IntoIterator<Item = u64>) -> String {
    let refs = alternatives(ids.into_iter().map(|id| literal(&ref_of(id))))
        .unwrap_or_else(|| literal("e0"));
    format!("root ::= {refs}\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::fixtures::form;

    #[test]
    fn the_grammar_names_only_existing_refs_and_options() {
        let grammar = open_grammar(&form(), true, &[], 0, &[]);
        assert!(
            grammar.contains(r#"anyref ::= "\"e3\"" | "\"e5\"" | "\"e7\"" | "\"e8\"""#),
            "{grammar}"
        );
        assert!(grammar.contains(r#"textref ::= "\"e3\"""#), "{grammar}");
        assert!(grammar.contains(r#""\"Côte d'Ivoire\"""#), "{grammar}");
        assert!(grammar.contains(r#"checkref ::= "\"e8\"""#), "{grammar}");
        assert!(!grammar.contains("e99"));
        let blocked = open_grammar(
            &form(),
            false,
            &[Action::Type {
                element: 3,
                text: "x".into(),
            }],
            0,
            &[],
        );
        assert!(!blocked.contains("textref"), "{blocked}");
        assert!(!blocked.contains("| done"), "{blocked}");
        // A key that has just changed nothing leaves the keys; the others stay.
        let enter = open_grammar(
            &form(),
            true,
            &[Action::Press {
                key: "Enter".into(),
            }],
            0,
            &[],
        );
        let press = enter
            .lines()
            .find(|line| line.starts_with("press ::="))
            .unwrap_or_default();
        assert!(!press.contains("Enter"), "{press}");
        assert!(press.contains("Tab"), "{press}");
        // Several at once: each leaves its own kind of action only.
        let both = open_grammar(
            &form(),
            true,
            &[
                Action::Click { element: 5 },
                Action::Type {
                    element: 3,
                    text: "x".into(),
                },
            ],
            0,
            &[],
        );
        assert!(
            both.contains(r#"anyref ::= "\"e3\"" | "\"e7\"" | "\"e8\"""#),
            "{both}"
        );
        assert!(!both.contains("textref"), "{both}");
        assert!(!both.contains("part"), "{both}");
        let parted = open_grammar(&form(), true, &[], 3, &[]);
        assert!(parted.starts_with(r#"root ::= "{" part ("#), "{parted}");
        assert!(
            parted.contains(r#"part ::= "\"part\": " ("1" | "2" | "3") ", ""#),
            "{parted}"
        );
    }
}
