//! What the agent can do in one step.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    Click {
        element: u64,
    },
    /// `text` may hold placeholders such as `{{password}}`: the browser types the real value.
    Type {
        element: u64,
        text: String,
    },
    Select {
        element: u64,
        option: String,
    },
    Check {
        element: u64,
        checked: bool,
    },
    Press {
        key: String,
    },
    Scroll {
        down: bool,
    },
    Navigate {
        url: String,
    },
    Back,
    /// Let the page work (a slow response, an animation) and look again.
    Wait,
    Answer {
        text: String,
    },
    AskUser {
        question: String,
    },
    /// Call a tool of an MCP server the user set up (`server.tool`).
    Tool {
        tool: String,
        args: serde_json::Value,
    },
    Done {
        summary: String,
    },
    Fail {
        reason: String,
    },
}

impl Action {
    pub fn element(&self) -> Option<u64> {
        match self {
            Action::Click { element }
            | Action::Type { element, .. }
            | Action::Select { element, .. }
            | Action::Check { element, .. } => Some(*element),
            _ => None,
        }
    }

    /// Whether the loop ends after this action.
    pub fn ends_task(&self) -> bool {
        matches!(
            self,
            Action::Done { .. } | Action::Fail { .. } | Action::Answer { .. }
        )
    }

    /// A short description for the model, the log and the audit (placeholders, never secrets).
    pub fn describe(&self, name: &str) -> String {
        let at = |element: &u64| format!("{} {name}", super::observe::ref_of(*element));
        match self {
            Action::Click { element } => format!("click {}", at(element)),
            Action::Type { element, text } => format!("type \"{text}\" into {}", at(element)),
            Action::Select { element, option } => {
                format!("choose \"{option}\" in {}", at(element))
            }
            Action::Check {
                element,
                checked: true,
            } => format!("tick {}", at(element)),
            Action::Check {
                element,
                checked: false,
            } => format!("untick {}", at(element)),
            Action::Press { key } => format!("press {key}"),
            Action::Scroll { down: true } => "scroll down".to_owned(),
            Action::Scroll { down: false } => "scroll up".to_owned(),
            Action::Navigate { url } => format!("go to {url}"),
            Action::Back => "go back".to_owned(),
            Action::Wait => "wait".to_owned(),
            Action::Answer { text } => format!("answer: {text}"),
            Action::AskUser { question } => format!("ask the user: {question}"),
            Action::Tool { tool, args } => format!("use the tool {tool} {args}"),
            Action::Done { summary } => format!("done: {summary}"),
            Action::Fail { reason } => format!("give up: {reason}"),
        }
    }
}
