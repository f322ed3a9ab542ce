//! The rules every action passes before it runs. They hold whatever the model chose: page text
//! may have told it anything.

use url::Url;

use crate::forms::FieldKind;
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

/// What an organisation's rules say about one site, for acting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SiteRule {
    Full,
    /// Every action on the site needs the user's yes.
    Ask,
    /// No acting there; the reason names the rule.
    Refused(String),
}

/// The organisation's per-site rules (the browser's `DomainAccess` policy).
pub trait SiteRules: Send + Sync {
    fn rule(&self, url: &str) -> SiteRule;
}

/// No rules: every site has full access.
pub struct NoSiteRules;

impl SiteRules for NoSiteRules {
    fn rule(&self, _url: &str) -> SiteRule {
        SiteRule::Full
    }
}

#[derive(Clone)]
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
    /// Checked for every site the task touches: pages, redirects, extra allowed sites.
    pub site_rules: std::sync::Arc<dyn SiteRules>,
}

impl std::fmt::Debug for Policy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Policy")
            .field("origins", &self.origins)
            .field("approved", &self.approved)
            .field("confirm", &self.confirm)
            .field("confirm_every_action", &self.confirm_every_action)
            .field("saved_data_allowed", &self.saved_data_allowed)
            .finish_non_exhaustive()
    }
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
            site_rules: std::sync::Arc::new(NoSiteRules),
        }
    }
}

pub fn origin_of(url: &str) -> Option<String> {
    let url = Url::parse(url).ok()?;
    match url.scheme() {
        // A blob: address belongs to the page that made it.
        "http" | "https" | "blob" if url.origin().is_tuple() => {
            Some(url.origin().ascii_serialization())
        }
        "blob" => None,
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

/// Why saved data may not go into this field: each placeholder goes only into a field of its
/// own kind (a password into a password field, never into a search box or a "new password").
fn placeholder_misfit(text: &str, element: u64, snapshot: &Snapshot) -> Option<String> {
    let field = super::candidates::field_kinds(snapshot)
        .into_iter()
        .find(|(id, _)| *id == element)
        .map(|(_, kind)| kind);
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let end = rest[start..].find("}}")? + start + 2;
        let placeholder = &rest[start..end];
        rest = &rest[end..];
        let Some(kind) = super::secrets::placeholder_kind(placeholder) else {
            return Some(format!("{placeholder} is not saved data Clef knows"));
        };
        if !field.is_some_and(|field| kinds_fit(kind, field)) {
            return Some(format!(
                "{placeholder} goes only into a field that asks for it; this one looks like {}",
                field.map_or("no form field".to_owned(), |field| format!("{field:?}"))
            ));
        }
    }
    None
}

/// Whether saved data of `kind` may be typed into a field classified as `field`.
fn kinds_fit(kind: FieldKind, field: FieldKind) -> bool {
    use FieldKind::*;
    kind == field
        || matches!(
            (kind, field),
            (Username, Email) | (Email, Username) | (FullName, CardName) | (CardName, FullName)
        )
}

fn risky_name(name: &str) -> Option<&'static str> {
    let lower = format!(" {} ", name.to_lowercase());
    RISKY
        .iter()
        .copied()
        .find(|word| lower.contains(&format!(" {word} ")) || lower.contains(&format!(" {word}")))
}

impl Policy {
    /// Whether the task may go to `url`: its origin is one of the task's sites and the
    /// organisation's rules let the agent act there. `data:` and `about:` URLs are judged where
    /// they are loaded (the engine refuses them as documents of a driven tab).
    pub fn allows_origin(&self, url: &str) -> bool {
        self.origin_refusal(url).is_none()
    }

    /// Why the task may not go to `url`, if it may not.
    pub fn origin_refusal(&self, url: &str) -> Option<String> {
        let origin = origin_of(url)?;
        if !self.origins.contains(&origin) {
            return Some(format!("{origin} is outside the task's sites"));
        }
        match self.site_rules.rule(url) {
            SiteRule::Refused(why) => Some(why),
            SiteRule::Full | SiteRule::Ask => None,
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
        let verdict = self.check_action(action, snapshot, typed_into_form);
        if verdict != Verdict::Allow
            || action.ends_task()
            || matches!(action, Action::AskUser { .. })
        {
            return verdict;
        }
        // An administrator's "ask": the user says yes to each step, whoever proposed it.
        if self.confirm_every_action || self.site_rules.rule(&snapshot.url) == SiteRule::Ask {
            let origin = origin_of(&snapshot.url).unwrap_or_else(|| snapshot.url.clone());
            let reason = format!("your organisation asks you to confirm every step on {origin}");
            return match self.confirm {
                Confirm::Refuse => Verdict::Refuse(format!("not confirmed: {reason}")),
                _ => Verdict::Confirm(reason),
            };
        }
        verdict
    }

    fn check_action(
        &self,
        action: &Action,
        snapshot: &Snapshot,
        typed_into_form: &[String],
    ) -> Verdict {
        let node = action
            .element()
            .and_then(|id| snapshot.nodes.iter().find(|node| node.id == Some(id)));
        // Nothing is done on a page the task may not be on (a redirect may have led there).
        if action.element().is_some()
            && let Some(why) = self.origin_refusal(&snapshot.url)
        {
            return Verdict::Refuse(format!("this page is off limits: {why}"));
        }
        match action {
            Action::Navigate { url } => {
                let absolute = Url::parse(&snapshot.url)
                    .ok()
                    .and_then(|base| base.join(url).ok())
                    .map(|url| url.to_string())
                    .unwrap_or_else(|| url.clone());
                if !matches!(
                    Url::parse(&absolute).as_ref().map(Url::scheme),
                    Ok("http" | "https" | "file")
                ) {
                    return Verdict::Refuse(format!(
                        "{} addresses are not opened by the agent",
                        absolute.split(':').next().unwrap_or_default()
                    ));
                }
                if !self.allows_origin(&absolute) {
                    return self.outside(&absolute);
                }
                Verdict::Allow
            }
            Action::Click { .. } => {
                let Some(node) = node else {
                    return Verdict::Allow;
                };
                // A `javascript:` link runs script: where it leads, the engine checks.
                if let Some(href) = node
                    .href
                    .as_deref()
                    .filter(|href| !href.starts_with("javascript:"))
                {
                    if href.starts_with("data:") || href.starts_with("blob:") {
                        return Verdict::Refuse(
                            "the link opens a document with no site of its own".to_owned(),
                        );
                    }
                    if !self.allows_origin(href) {
                        return self.outside(href);
                    }
                }
                if node.submits
                    && let Some(action) = node.form_action.as_deref()
                    && let Some(why) = self.origin_refusal(action)
                {
                    return Verdict::Refuse(format!("the form sends its data to {action}: {why}"));
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
            // Enter in a field submits its form, as the form's button would.
            Action::Press { key }
                if key.eq_ignore_ascii_case("enter")
                    && !typed_into_form.is_empty()
                    && !self.approved_origin(&snapshot.url) =>
            {
                self.risky(format!(
                    "submits {} to {} (not yet approved)",
                    typed_into_form.join(", "),
                    origin_of(&snapshot.url).unwrap_or_default()
                ))
            }
            Action::Type { text, element } => {
                if text.contains("{{") {
                    if !self.saved_data_allowed {
                        return Verdict::Refuse(
                            "your organisation turned off filling forms with saved data".to_owned(),
                        );
                    }
                    if let Some(why) = placeholder_misfit(text, *element, snapshot) {
                        return Verdict::Refuse(why);
                    }
                }
                let Some(node) = node else {
                    return Verdict::Allow;
                };
                if let Some(action) = node.form_action.as_deref()
                    && let Some(why) = self.origin_refusal(action)
                    && !text.is_empty()
                {
                    return Verdict::Refuse(format!("the field's form sends to {action}: {why}"));
                }
                Verdict::Allow
            }
            _ => Verdict::Allow,
        }
    }

    fn outside(&self, url: &str) -> Verdict {
        let origin = origin_of(url).unwrap_or_else(|| url.to_owned());
        // An organisation's rule is never the user's to wave through.
        if let SiteRule::Refused(why) = self.site_rules.rule(url) {
            return Verdict::Refuse(why);
        }
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
