//! The rules every action passes before it runs. They hold whatever the model chose: page text
//! may have told it anything.

use url::Url;

use crate::snapshot::Snapshot;

use super::action::Action;

/// What happens to a risky action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Confirm {
    /// Ask the user (the window's pane); headless this means refuse.
    Ask,
    /// Refuse every risky action.
    Refuse,
    /// The user approved risky actions for this run in advance.
    Allow,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Allow,
    /// Risky: needs the user's yes.
    Confirm(String),
    Refuse(String),
}

#[derive(Debug, Clone)]
pub struct Policy {
    /// Origins the task may visit (`scheme://host:port`).
    pub origins: Vec<String>,
    /// Origins the user approved for submitting passwords and personal data.
    pub approved: Vec<String>,
    pub confirm: Confirm,
    /// Every action needs the user's yes (an administrator's "ask" for the site).
    pub confirm_every_action: bool,
    /// Saved data (profile, secrets) may be typed into forms.
    pub saved_data_allowed: bool,
}

impl Policy {
    /// The task's sites, nothing approved in advance, risky steps handled by `confirm`.
    pub fn new(origins: Vec<String>, approved: Vec<String>, confirm: Confirm) -> Self {
        Policy {
            origins,
            approved,
            confirm,
            confirm_every_action: false,
            saved_data_allowed: true,
        }
    }
}

pub fn origin_of(url: &str) -> Option<String> {
    let url = Url::parse(url).ok()?;
    match url.scheme() {
        "http" | "https" => Some(url.origin().ascii_serialization()),
        "file" => Some("file://".to_owned()),
        "data" | "about" => None,
        other => Some(format!("{other}:")),
    }
}

/// Steps that cannot be undone: paying, buying, sending a message, deleting.
const RISKY: &[&str] = &[
    "pay",
    "buy",
    "purchase",
    "place order",
    "checkout",
    "delete",
    "remove",
    "send",
    "transfer",
    "donate",
    "close account",
];

fn risky_name(name: &str) -> Option<&'static str> {
    let lower = format!(" {} ", name.to_lowercase());
    RISKY
        .iter()
        .copied()
        .find(|word| lower.contains(&format!(" {word} ")) || lower.contains(&format!(" {word}")))
}

impl Policy {
    pub fn allows_origin(&self, url: &str) -> bool {
        match origin_of(url) {
            Some(origin) => self.origins.contains(&origin),
            // data:, about:blank carry nothing anywhere.
            None => true,
        }
    }

    fn approved_origin(&self, url: &str) -> bool {
        origin_of(url).is_some_and(|origin| self.approved.contains(&origin))
    }

    /// Judge `action` on the page `snapshot` shows.
    pub fn check(
        &self,
        action: &Action,
        snapshot: &Snapshot,
        typed_into_form: &[String],
    ) -> Verdict {
        let node = action
            .element()
            .and_then(|id| snapshot.nodes.iter().find(|node| node.id == Some(id)));
        match action {
            Action::Navigate { url } => {
                let absolute = Url::parse(&snapshot.url)
                    .ok()
                    .and_then(|base| base.join(url).ok())
                    .map(|url| url.to_string())
                    .unwrap_or_else(|| url.clone());
                if !self.allows_origin(&absolute) {
                    return self.outside(&absolute);
                }
                Verdict::Allow
            }
            Action::Click { .. } => {
                let Some(node) = node else {
                    return Verdict::Allow;
                };
                if let Some(href) = node
                    .href
                    .as_deref()
                    .filter(|href| !href.starts_with("javascript:"))
                    && !self.allows_origin(href)
                {
                    return self.outside(href);
                }
                if node.submits
                    && let Some(action) = node.form_action.as_deref()
                    && !self.allows_origin(action)
                {
                    return Verdict::Refuse(format!(
                        "the form sends its data to {action}, outside the task's sites"
                    ));
                }
                // Submitting a password or personal data to an origin not yet approved.
                if node.submits
                    && !typed_into_form.is_empty()
                    && !self.approved_origin(&snapshot.url)
                {
                    return self.risky(format!(
                        "submits {} to {} (not yet approved)",
                        typed_into_form.join(", "),
                        origin_of(&snapshot.url).unwrap_or_default()
                    ));
                }
                if let Some(word) = risky_name(node.label()) {
                    return self.risky(format!(
                        "\"{}\" looks like a step that cannot be undone ({word})",
                        node.label()
                    ));
                }
                Verdict::Allow
            }
            Action::Type { text, .. } => {
                let Some(node) = node else {
                    return Verdict::Allow;
                };
                if let Some(action) = node.form_action.as_deref()
                    && !self.allows_origin(action)
                    && (text.contains("{{") || !text.is_empty())
                {
                    return Verdict::Refuse(format!(
                        "the field's form sends to {action}, outside the task's sites"
                    ));
                }
                if !self.allows_origin(&snapshot.url) {
                    return Verdict::Refuse("this page is outside the task's sites".to_owned());
                }
                Verdict::Allow
            }
            _ => Verdict::Allow,
        }
    }

    fn outside(&self, url: &str) -> Verdict {
        let origin = origin_of(url).unwrap_or_else(|| url.to_owned());
        match self.confirm {
            Confirm::Allow => Verdict::Confirm(format!("leaves the task's sites for {origin}")),
            _ => Verdict::Refuse(format!("{origin} is outside the task's sites")),
        }
    }

    fn risky(&self, reason: String) -> Verdict {
        match self.confirm {
            Confirm::Refuse => Verdict::Refuse(format!("risky step refused by policy: {reason}")),
            _ => Verdict::Confirm(reason),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::Node;

    fn snapshot(nodes: Vec<Node>) -> Snapshot {
        Snapshot {
            url: "http://127.0.0.1:8000/form".into(),
            title: "Form".into(),
            viewport: [800.0, 600.0],
            scroll: [0.0, 0.0],
            nodes,
        }
    }

    fn policy(confirm: Confirm) -> Policy {
        Policy::new(vec!["http://127.0.0.1:8000".into()], Vec::new(), confirm)
    }

    #[test]
    fn leaving_the_sites_is_refused_and_risky_steps_need_a_yes() {
        let link = Node {
            kind: "link".into(),
            id: Some(1),
            name: Some("Win a prize".into()),
            href: Some("http://evil.example/steal?email=a@b.c".into()),
            ..Node::default()
        };
        let pay = Node {
            kind: "button".into(),
            id: Some(2),
            name: Some("Pay now".into()),
            ..Node::default()
        };
        let page = snapshot(vec![link, pay]);
        assert!(matches!(
            policy(Confirm::Ask).check(&Action::Click { element: 1 }, &page, &[]),
            Verdict::Refuse(_)
        ));
        assert!(matches!(
            policy(Confirm::Ask).check(
                &Action::Navigate {
                    url: "https://evil.example/".into()
                },
                &page,
                &[]
            ),
            Verdict::Refuse(_)
        ));
        assert!(matches!(
            policy(Confirm::Ask).check(&Action::Click { element: 2 }, &page, &[]),
            Verdict::Confirm(_)
        ));
        assert!(matches!(
            policy(Confirm::Refuse).check(&Action::Click { element: 2 }, &page, &[]),
            Verdict::Refuse(_)
        ));
        assert_eq!(
            policy(Confirm::Ask).check(
                &Action::Navigate {
                    url: "/next".into()
                },
                &page,
                &[]
            ),
            Verdict::Allow
        );
    }
}
