//! The model's reply read back as an action on the page, and an action written as the model
//! writes it (JSON on one line).

use serde::Deserialize;

use crate::snapshot::{Node, Snapshot};

use super::action::Action;
use super::grammar::KEYS;
use super::observe::{checkable, id_of, ref_of, takes_text};

/// An action as the model writes it.
pub fn to_json(action: &Action) -> String {
    let value = match action {
        Action::Click { element } => {
            serde_json::json!({"action": "click", "ref": ref_of(*element)})
        }
        Action::Type { element, text } => {
            serde_json::json!({"action": "type", "ref": ref_of(*element), "text": text})
        }
        Action::Select { element, option } => {
            serde_json::json!({"action": "select", "ref": ref_of(*element), "option": option})
        }
        Action::Check { element, checked } => {
            serde_json::json!({"action": "check", "ref": ref_of(*element), "checked": checked})
        }
        Action::Press { key } => serde_json::json!({"action": "press", "key": key}),
        Action::Scroll { down } => {
            serde_json::json!({"action": "scroll", "direction": if *down { "down" } else { "up" }})
        }
        Action::Navigate { url } => serde_json::json!({"action": "navigate", "url": url}),
        Action::Back => serde_json::json!({"action": "back"}),
        Action::Wait => serde_json::json!({"action": "wait"}),
        Action::Answer { text } => serde_json::json!({"action": "answer", "text": text}),
        Action::AskUser { question } => {
            serde_json::json!({"action": "ask_user", "question": question})
        }
        Action::Tool { tool, args } => {
            serde_json::json!({"action": "tool", "tool": tool, "args": args})
        }
        Action::Done { .. } => serde_json::json!({"action": "done"}),
        Action::Fail { reason } => serde_json::json!({"action": "fail", "reason": reason}),
    };
    // One line with a space after each separator, as the grammar writes it.
    let compact = value.to_string();
    spaced(&compact)
}

/// The part of the task a reply says its action does (`{"part": 2, …}`), if it says one.
pub fn part_of(reply: &str) -> Option<usize> {
    let start = reply.find('{')?;
    let end = reply.rfind('}')?;
    let value: serde_json::Value = serde_json::from_str(reply.get(start..=end)?).ok()?;
    usize::try_from(value.get("part")?.as_u64()?).ok()
}

/// `{"a":1,"b":"x"}` → `{"a": 1, "b": "x"}`, leaving string contents alone.
fn spaced(compact: &str) -> String {
    let mut out = String::with_capacity(compact.len() + 16);
    let mut in_string = false;
    let mut escaped = false;
    for c in compact.chars() {
        out.push(c);
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            ':' | ',' => out.push(' '),
            _ => {}
        }
    }
    out
}

#[derive(Debug, Deserialize)]
struct Reply {
    action: String,
    #[serde(default, rename = "ref")]
    reference: Option<String>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    option: Option<String>,
    #[serde(default)]
    checked: Option<bool>,
    #[serde(default)]
    key: Option<String>,
    #[serde(default)]
    direction: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    question: Option<String>,
    #[serde(default)]
    tool: Option<String>,
    #[serde(default)]
    args: Option<serde_json::Value>,
    #[serde(default)]
    reason: Option<String>,
}

/// The model's reply as an action on `snapshot`, and its reason; `Err` says what is wrong
/// with it (a model without a grammar may write anything).
pub fn parse(reply: &str, snapshot: &Snapshot) -> Result<(Action, String), String> {
    let start = reply.find('{').ok_or("the reply holds no JSON object")?;
    let end = reply.rfind('}').ok_or("the reply holds no JSON object")?;
    let json = reply
        .get(start..=end)
        .ok_or("the reply holds no JSON object")?;
    let reply: Reply =
        serde_json::from_str(json).map_err(|error| format!("unreadable action: {error}"))?;
    let reason = reply.reason.clone().unwrap_or_default();
    let element = || -> Result<(u64, &Node), String> {
        let reference = reply
            .reference
            .as_deref()
            .ok_or("the action names no ref")?;
        let id = id_of(reference).ok_or_else(|| format!("{reference} is not a ref"))?;
        let node = snapshot
            .nodes
            .iter()
            .find(|node| node.id == Some(id))
            .ok_or_else(|| format!("there is no element {reference} on the page"))?;
        Ok((id, node))
    };
    let text = |value: &Option<String>, what: &str| -> Result<String, String> {
        value
            .clone()
            .ok_or_else(|| format!("the action lacks its {what}"))
    };
    let action = match reply.action.as_str() {
        "click" => Action::Click {
            element: element()?.0,
        },
        "type" => {
            let (id, node) = element()?;
            if !takes_text(node) {
                return Err(format!("{} does not take text", ref_of(id)));
            }
            Action::Type {
                element: id,
                text: text(&reply.text, "text")?,
            }
        }
        "select" => {
            let (id, node) = element()?;
            let option = text(&reply.option, "option")?;
            if !node.options.contains(&option) {
                return Err(format!("{} has no option \"{option}\"", ref_of(id)));
            }
            Action::Select {
                element: id,
                option,
            }
        }
        "check" => {
            let (id, node) = element()?;
            if !checkable(node) {
                return Err(format!("{} cannot be ticked", ref_of(id)));
            }
            Action::Check {
                element: id,
                checked: reply.checked.unwrap_or(true),
            }
        }
        "press" => {
            let key = text(&reply.key, "key")?;
            let known = KEYS
                .iter()
                .find(|name| name.eq_ignore_ascii_case(&key))
                .ok_or_else(|| format!("unknown key {key}"))?;
            Action::Press {
                key: (*known).to_owned(),
            }
        }
        "scroll" => Action::Scroll {
            down: reply.direction.as_deref() != Some("up"),
        },
        "navigate" => Action::Navigate {
            url: text(&reply.url, "url")?,
        },
        "back" => Action::Back,
        "wait" => Action::Wait,
        "answer" => Action::Answer {
            text: text(&reply.text, "text")?,
        },
        "ask_user" => Action::AskUser {
            question: text(&reply.question, "question")?,
        },
        "tool" => Action::Tool {
            tool: text(&reply.tool, "tool")?,
            args: match reply.args.clone() {
                Some(args @ serde_json::Value::Object(_)) => args,
                None => serde_json::json!({}),
                Some(_) => return Err("a tool's args must be a JSON object".to_owned()),
            },
        },
        "done" => Action::Done {
            summary: if reason.is_empty() {
                "the task is complete".to_owned()
            } else {
                reason.clone()
            },
        },
        "fail" => Action::Fail {
            reason: reply
                .reason
                .clone()
                .filter(|reason| !reason.is_empty())
                .unwrap_or_else(|| "the model gave up".to_owned()),
        },
        other => return Err(format!("unknown action {other}")),
    };
    Ok((action, reason))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::act::grammar::narrow_grammar;
    use crate::snapshot::fixtures::form;

    #[test]
    fn a_tool_call_reads_back_as_written() {
        let call = Action::Tool {
            tool: "orders.lookup_order".into(),
            args: serde_json::json!({"order_id": "A-1, B"}),
        };
        let written = to_json(&call);
        // Key order depends on serde_json's features in the build; the spacing does not.
        assert!(
            written.contains(r#""action": "tool""#)
                && written.contains(r#""args": {"order_id": "A-1, B"}"#),
            "{written}"
        );
        assert_eq!(parse(&written, &form()).unwrap().0, call);
        assert!(parse(r#"{"action": "tool", "tool": "x", "args": 3}"#, &form()).is_err());
    }

    #[test]
    fn replies_become_actions_only_for_what_the_page_has() {
        let snapshot = form();
        let (action, reason) = parse(
            r#"{"action": "type", "ref": "e3", "text": "+34 612 345 678", "reason": "phone"}"#,
            &snapshot,
        )
        .unwrap();
        assert_eq!(
            action,
            Action::Type {
                element: 3,
                text: "+34 612 345 678".into()
            }
        );
        assert_eq!(reason, "phone");
        assert!(parse(r#"{"action": "click", "ref": "e99"}"#, &snapshot).is_err());
        assert!(parse(r#"{"action": "type", "ref": "e5", "text": "x"}"#, &snapshot).is_err());
        assert!(
            parse(
                r#"{"action": "select", "ref": "e7", "option": "Japan"}"#,
                &snapshot
            )
            .is_err()
        );
        assert!(parse("I think I should click", &snapshot).is_err());
        let (action, _) = parse(r#"{"action": "press", "key": "enter"}"#, &snapshot).unwrap();
        assert_eq!(
            action,
            Action::Press {
                key: "Enter".into()
            }
        );
    }

    #[test]
    fn a_reply_may_say_which_part_of_the_task_it_does() {
        assert_eq!(
            part_of(r#"{"part": 2, "action": "click", "ref": "e3", "reason": "x"}"#),
            Some(2)
        );
        assert_eq!(part_of(r#"{"action": "done", "reason": "x"}"#), None);
        assert_eq!(part_of(r#"{"part": -1, "action": "done"}"#), None);
        assert_eq!(part_of("not json"), None);
    }

    #[test]
    fn actions_round_trip_through_their_json() {
        let snapshot = form();
        for action in [
            Action::Click { element: 5 },
            Action::Type {
                element: 3,
                text: "say \"hi\", then: go".into(),
            },
            Action::Select {
                element: 7,
                option: "Côte d'Ivoire".into(),
            },
            Action::Check {
                element: 8,
                checked: false,
            },
            Action::Scroll { down: false },
            Action::Back,
            Action::Answer {
                text: "42 €".into(),
            },
        ] {
            let json = to_json(&action);
            assert!(json.starts_with("{\"action\": "), "{json}");
            assert_eq!(parse(&json, &snapshot).unwrap().0, action, "{json}");
        }
        assert_eq!(
            narrow_grammar(&[to_json(&Action::Click { element: 5 })]),
            "root ::= \"{\\\"action\\\": \\\"click\\\", \\\"ref\\\": \\\"e5\\\"}\"\n"
        );
    }
}
