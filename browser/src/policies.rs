//! Enterprise policy: `policies.json`, in the spirit of Firefox's. An administrator decides
//! whether the assistant runs, which of its features, on which sites and how far, with which
//! models, and where the audit goes. Everything the file sets is enforced: the UI shows it as
//! managed and the command line cannot override it.
//!
//! The file lives at `/etc/clef/policies.json` (`CLEF_POLICIES` names another, for tests).
//! Unknown keys and bad values are reported, never ignored silently; a file that cannot be read
//! as policy turns everything it could have restricted off (fail closed) and says why.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

pub const SYSTEM_PATH: &str = "/etc/clef/policies.json";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feature {
    Summary,
    Questions,
    AgentActions,
    FormFilling,
}

impl Feature {
    pub const ALL: [Feature; 4] = [
        Feature::Summary,
        Feature::Questions,
        Feature::AgentActions,
        Feature::FormFilling,
    ];

    fn key(self) -> &'static str {
        match self {
            Feature::Summary => "Summary",
            Feature::Questions => "Questions",
            Feature::AgentActions => "AgentActions",
            Feature::FormFilling => "FormFilling",
        }
    }
}

/// What the assistant may do on a site.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    NoAccess,
    /// Summaries and questions only.
    ReadOnly,
    /// Every action needs the user's yes.
    Ask,
    Full,
}

impl Access {
    fn parse(text: &str) -> Option<Access> {
        Some(match text {
            "no-access" => Access::NoAccess,
            "read-only" => Access::ReadOnly,
            "ask" => Access::Ask,
            "full" => Access::Full,
            _ => return None,
        })
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PolicyError {
    #[error("{0} is turned off by your organization's policy ({1})")]
    Disabled(String, String),
    #[error(
        "the assistant may not {what} on {host}: the policy for it is {access} ({source_path})"
    )]
    Domain {
        what: String,
        host: String,
        access: String,
        source_path: String,
    },
    #[error("this model is not on your organization's allow-list (sha256 {0})")]
    ModelNotAllowed(String),
    #[error("{0} is managed by your organization's policy and cannot be changed here")]
    Locked(String),
    #[error("cannot read the model file {0}: {1}")]
    ModelUnreadable(PathBuf, String),
    #[error(
        "the model your organization's policy names is missing: {0} ({1}); ask your administrator"
    )]
    ModelMissing(PathBuf, String),
}

/// The policy in force, with what was wrong with the file.
#[derive(Debug, Clone, Default)]
pub struct Policies {
    /// Where it came from; `None` when there is no policy file (nothing is managed).
    pub source: Option<PathBuf>,
    /// Problems found in the file, each a sentence for the user.
    pub problems: Vec<String>,
    assistant: Option<bool>,
    features: Vec<(Feature, bool)>,
    /// Domain patterns (`example.org`, `*.example.org`, `*`) and their access.
    domains: Vec<(String, Access)>,
    allowed_models: Option<Vec<String>>,
    /// The model the organization deploys; users cannot pick another.
    model_path: Option<PathBuf>,
    /// Whether copies of the pages users open are kept for reading offline.
    page_cache: Option<bool>,
    max_steps: Option<usize>,
    users_may_approve: Option<bool>,
    audit_path: Option<PathBuf>,
    audit_retention_days: Option<u64>,
    /// The file could not be read as policy: everything restrictable is off.
    closed: bool,
}

/// A value as the file wrote it, cut to 60 characters for a message (by characters: a byte
/// cut could fall inside one).
fn describe(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 60 {
        format!("{}…", text.chars().take(60).collect::<String>())
    } else {
        text
    }
}

impl Policies {
    /// The policy from `CLEF_POLICIES` or the system path; without either file, the policy
    /// built into this edition, if any.
    pub fn load() -> Policies {
        let path = std::env::var_os("CLEF_POLICIES")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(SYSTEM_PATH));
        if !path.exists()
            && let Some(built_in) = crate::edition::POLICIES
        {
            let source = PathBuf::from(format!("built into the {} edition", crate::edition::NAME));
            return Policies::parse(&source, built_in);
        }
        Policies::load_from(&path)
    }

    pub fn load_from(path: &Path) -> Policies {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Policies::default();
            }
            Err(error) => {
                return Policies::closed(path, format!("cannot read {}: {error}", path.display()));
            }
        };
        Policies::parse(path, &text)
    }

    fn closed(path: &Path, problem: String) -> Policies {
        Policies {
            source: Some(path.to_owned()),
            problems: vec![format!(
                "{problem}; the assistant stays off until the policy file is fixed"
            )],
            closed: true,
            ..Policies::default()
        }
    }

    pub fn parse(path: &Path, text: &str) -> Policies {
        let root: Value = match serde_json::from_str(text) {
            Ok(root) => root,
            Err(error) => {
                return Policies::closed(
                    path,
                    format!("{} is not valid JSON: {error}", path.display()),
                );
            }
        };
        let Some(policies) = root.get("policies").and_then(Value::as_object) else {
            return Policies::closed(
                path,
                format!("{} has no \"policies\" object", path.display()),
            );
        };
        let mut out = Policies {
            source: Some(path.to_owned()),
            ..Policies::default()
        };
        for key in root
            .as_object()
            .map(|map| map.keys().cloned().collect::<Vec<_>>())
            .unwrap_or_default()
        {
            if key != "policies" {
                out.problems
                    .push(format!("unknown top-level key \"{key}\" ignored"));
            }
        }
        for (key, value) in policies {
            match key.as_str() {
                "Assistant" => out.assistant = out.boolean_in(value, "Assistant", "Enabled"),
                "Features" => out.read_features(value),
                "DomainAccess" => out.read_domains(value),
                "Models" => out.read_models(value),
                "Agent" => out.read_agent(value),
                "Audit" => out.read_audit(value),
                "PageCache" => out.page_cache = out.boolean_in(value, "PageCache", "Enabled"),
                other => out
                    .problems
                    .push(format!("unknown policy \"{other}\" ignored")),
            }
        }
        out
    }

    fn object<'a>(&mut self, value: &'a Value, name: &str) -> Option<&'a Map<String, Value>> {
        let object = value.as_object();
        if object.is_none() {
            self.problems.push(format!(
                "\"{name}\" must be an object, not {}",
                describe(value)
            ));
        }
        object
    }

    fn boolean_in(&mut self, value: &Value, name: &str, field: &str) -> Option<bool> {
        // Not even an object (`"Assistant": false`): restrict, as for any bad value.
        let Some(object) = self.object(value, name) else {
            return Some(false);
        };
        let mut result = None;
        for (key, inner) in object {
            if key == field {
                match inner.as_bool() {
                    Some(flag) => result = Some(flag),
                    None => self.problems.push(format!(
                        "\"{name}.{field}\" must be true or false, not {}",
                        describe(inner)
                    )),
                }
            } else {
                self.problems
                    .push(format!("unknown key \"{name}.{key}\" ignored"));
            }
        }
        // A bad value restricts: what it might have turned off stays off.
        if result.is_none() && object.contains_key(field) {
            return Some(false);
        }
        result
    }

    fn read_features(&mut self, value: &Value) {
        let Some(object) = self.object(value, "Features") else {
            return;
        };
        for (key, inner) in object {
            let feature = Feature::ALL
                .into_iter()
                .find(|feature| feature.key() == key);
            let Some(feature) = feature else {
                self.problems
                    .push(format!("unknown feature \"Features.{key}\" ignored"));
                continue;
            };
            match inner.as_bool() {
                Some(flag) => self.features.push((feature, flag)),
                None => {
                    self.problems.push(format!(
                        "\"Features.{key}\" must be true or false, not {}; it stays off",
                        describe(inner)
                    ));
                    self.features.push((feature, false));
                }
            }
        }
    }

    fn read_domains(&mut self, value: &Value) {
        let Some(object) = self.object(value, "DomainAccess") else {
            return;
        };
        for (pattern, inner) in object {
            let access = inner.as_str().and_then(Access::parse);
            match access {
                Some(access) => self.domains.push((pattern.to_lowercase(), access)),
                None => {
                    self.problems.push(format!(
                        "\"DomainAccess.{pattern}\" must be no-access, read-only, ask or full, not {}; treated as no-access",
                        describe(inner)
                    ));
                    self.domains
                        .push((pattern.to_lowercase(), Access::NoAccess));
                }
            }
        }
    }

    fn read_models(&mut self, value: &Value) {
        let Some(object) = self.object(value, "Models") else {
            return;
        };
        for (key, inner) in object {
            if key == "Path" {
                match inner.as_str().map(PathBuf::from) {
                    Some(path) if path.is_absolute() => self.model_path = Some(path),
                    _ => {
                        self.problems.push(format!(
                            "\"Models.Path\" must be an absolute path, not {}; no model is allowed",
                            describe(inner)
                        ));
                        self.allowed_models = Some(Vec::new());
                    }
                }
                continue;
            }
            if key != "AllowedSha256" {
                self.problems
                    .push(format!("unknown key \"Models.{key}\" ignored"));
                continue;
            }
            let list: Option<Vec<String>> = inner.as_array().map(|items| {
                items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_lowercase)
                    .collect()
            });
            let valid = list.as_ref().is_some_and(|list| {
                list.len() == inner.as_array().map_or(0, Vec::len)
                    && list
                        .iter()
                        .all(|hash| hash.len() == 64 && hash.chars().all(|c| c.is_ascii_hexdigit()))
            });
            if !valid {
                self.problems.push(format!("\"Models.AllowedSha256\" must list 64-digit hex sha256 values, not {}; no model is allowed", describe(inner)));
                self.allowed_models = Some(Vec::new());
            } else {
                self.allowed_models = list;
            }
        }
    }

    fn read_agent(&mut self, value: &Value) {
        let Some(object) = self.object(value, "Agent") else {
            return;
        };
        for (key, inner) in object {
            match key.as_str() {
                "MaxSteps" => match inner.as_u64().filter(|steps| (1..=1000).contains(steps)) {
                    Some(steps) => self.max_steps = Some(steps as usize),
                    None => {
                        self.problems.push(format!("\"Agent.MaxSteps\" must be a whole number from 1 to 1000, not {}; 1 is used", describe(inner)));
                        self.max_steps = Some(1);
                    }
                },
                "UsersMayApproveRiskyActions" => match inner.as_bool() {
                    Some(flag) => self.users_may_approve = Some(flag),
                    None => {
                        self.problems.push(format!("\"Agent.UsersMayApproveRiskyActions\" must be true or false, not {}; risky actions are refused", describe(inner)));
                        self.users_may_approve = Some(false);
                    }
                },
                other => self
                    .problems
                    .push(format!("unknown key \"Agent.{other}\" ignored")),
            }
        }
    }

    fn read_audit(&mut self, value: &Value) {
        let Some(object) = self.object(value, "Audit") else {
            return;
        };
        for (key, inner) in object {
            match key.as_str() {
                "Path" => match inner.as_str().map(PathBuf::from).filter(|path| path.is_absolute()) {
                    Some(path) => self.audit_path = Some(path),
                    None => self.problems.push(format!("\"Audit.Path\" must be an absolute path, not {}; the default is used", describe(inner))),
                },
                "RetentionDays" => match inner.as_u64().filter(|days| *days >= 1) {
                    Some(days) => self.audit_retention_days = Some(days),
                    None => self.problems.push(format!("\"Audit.RetentionDays\" must be a whole number of days, not {}; records are kept", describe(inner))),
                },
                other => self.problems.push(format!("unknown key \"Audit.{other}\" ignored")),
            }
        }
    }

    fn source_text(&self) -> String {
        self.source
            .as_ref()
            .map(|path| path.display().to_string())
            .unwrap_or_default()
    }

    /// Whether anything is managed (the UI says so).
    pub fn managed(&self) -> bool {
        self.source.is_some()
    }

    /// The features this policy turns off (all of them when the assistant is off).
    pub fn turned_off(&self) -> Vec<Feature> {
        Feature::ALL
            .into_iter()
            .filter(|feature| self.check_feature(*feature).is_err())
            .collect()
    }

    pub fn check_assistant(&self) -> Result<(), PolicyError> {
        if self.closed || self.assistant == Some(false) {
            return Err(PolicyError::Disabled(
                "the assistant".to_owned(),
                self.source_text(),
            ));
        }
        Ok(())
    }

    pub fn check_feature(&self, feature: Feature) -> Result<(), PolicyError> {
        self.check_assistant()?;
        let off = self.features.iter().any(|(set, on)| *set == feature && !on);
        if off {
            let name = match feature {
                Feature::Summary => "summarizing pages",
                Feature::Questions => "questions about pages",
                Feature::AgentActions => "acting on pages",
                Feature::FormFilling => "filling forms with saved data",
            };
            return Err(PolicyError::Disabled(name.to_owned(), self.source_text()));
        }
        Ok(())
    }

    /// The access for `host`: the most specific rule wins (the exact host, then the longest
    /// `*.suffix`, then `*`); no rule means full access.
    pub fn access(&self, host: &str) -> Access {
        if self.closed {
            return Access::NoAccess;
        }
        let host = host.to_lowercase();
        let mut best: Option<(usize, Access)> = None;
        for (pattern, access) in &self.domains {
            let specificity = if *pattern == host {
                Some(usize::MAX)
            } else if let Some(suffix) = pattern.strip_prefix("*.") {
                (host.ends_with(&format!(".{suffix}")) || host == suffix)
                    .then_some(suffix.len() + 1)
            } else if pattern == "*" {
                Some(0)
            } else {
                None
            };
            if let Some(specificity) = specificity
                && best.is_none_or(|(current, _)| specificity > current)
            {
                best = Some((specificity, *access));
            }
        }
        best.map_or(Access::Full, |(_, access)| access)
    }

    /// May the assistant read (`acting` false) or act on `url`?
    pub fn check_site(&self, url: &str, acting: bool) -> Result<Access, PolicyError> {
        let host = url::Url::parse(url)
            .ok()
            .and_then(|url| url.host_str().map(str::to_owned))
            .unwrap_or_default();
        let access = self.access(&host);
        let denied = match access {
            Access::NoAccess => true,
            Access::ReadOnly => acting,
            Access::Ask | Access::Full => false,
        };
        if denied {
            return Err(PolicyError::Domain {
                what: if acting {
                    "act".to_owned()
                } else {
                    "read pages".to_owned()
                },
                host,
                access: format!("{access:?}"),
                source_path: self.source_text(),
            });
        }
        Ok(access)
    }

    /// The model to use: the one the policy names, if it names one (then the user's own
    /// choice, if different, is refused), else the user's.
    pub fn choose_model(
        &self,
        users_choice: Option<PathBuf>,
    ) -> Result<Option<PathBuf>, PolicyError> {
        let Some(managed) = &self.model_path else {
            return Ok(users_choice);
        };
        if users_choice
            .as_ref()
            .is_some_and(|choice| choice != managed)
        {
            return Err(PolicyError::Locked("the assistant's model".to_owned()));
        }
        if !managed.is_file() {
            return Err(PolicyError::ModelMissing(
                managed.clone(),
                self.source_text(),
            ));
        }
        Ok(Some(managed.clone()))
    }

    /// Where copies of opened pages are kept, unless the policy says none are (or is broken).
    pub fn page_cache(&self) -> Option<crate::page_cache::PageCache> {
        if self.closed || self.page_cache == Some(false) {
            return None;
        }
        crate::page_cache::PageCache::user_default()
    }

    /// Refuse a model file not on the allow-list.
    pub fn check_model(&self, path: &Path) -> Result<(), PolicyError> {
        let Some(allowed) = &self.allowed_models else {
            return Ok(());
        };
        let hash = clef_engine::gguf::sha256_file(path)
            .map_err(|error| PolicyError::ModelUnreadable(path.to_owned(), error.to_string()))?;
        if allowed.contains(&hash) {
            Ok(())
        } else {
            Err(PolicyError::ModelNotAllowed(hash))
        }
    }

    /// The step limit: the policy's, which a command line may not raise.
    pub fn max_steps(&self, requested: usize) -> Result<usize, PolicyError> {
        match self.max_steps {
            Some(limit) if requested > limit => {
                Err(PolicyError::Locked(format!("the step limit ({limit})")))
            }
            Some(limit) => Ok(requested.min(limit)),
            None => Ok(requested),
        }
    }

    /// The step limit when the user asks for none: `default`, or the policy's if lower.
    pub fn default_max_steps(&self, default: usize) -> usize {
        self.max_steps.map_or(default, |limit| limit.min(default))
    }

    /// Whether the user may approve risky actions.
    pub fn users_may_approve(&self) -> bool {
        !self.closed && self.users_may_approve != Some(false)
    }

    /// The agent's safety policy for a task starting at `start_url`, under this policy.
    /// `user_allows_risky` is the user's own "yes to risky steps" (headless `--confirm allow`).
    pub fn agent_policy(
        &self,
        start_url: &str,
        origins: Vec<String>,
        approved: Vec<String>,
        user_allows_risky: bool,
    ) -> Result<clef_agent::act::Policy, PolicyError> {
        use clef_agent::act::Confirm;
        self.check_feature(Feature::AgentActions)?;
        let access = self.check_site(start_url, true)?;
        if user_allows_risky && !self.users_may_approve() {
            return Err(PolicyError::Locked("approving risky actions".to_owned()));
        }
        let confirm = if !self.users_may_approve() {
            Confirm::Refuse
        } else if user_allows_risky {
            Confirm::Allow
        } else {
            Confirm::Ask
        };
        // Every site the task may use, not only where it starts.
        for origin in &origins {
            self.check_site(origin, true)?;
        }
        let mut policy = clef_agent::act::Policy::new(origins, approved, confirm);
        policy.confirm_every_action = access == Access::Ask;
        policy.saved_data_allowed = self.check_feature(Feature::FormFilling).is_ok();
        policy.site_rules = std::sync::Arc::new(self.clone());
        Ok(policy)
    }

    pub fn audit_path(&self) -> Option<&Path> {
        self.audit_path.as_deref()
    }

    pub fn audit_retention_days(&self) -> Option<u64> {
        self.audit_retention_days
    }
}

/// The domain rules, asked by the agent (and the engine's checks) for every page, redirect hop
/// and site a task touches.
impl clef_agent::act::SiteRules for Policies {
    fn rule(&self, url: &str) -> clef_agent::act::SiteRule {
        use clef_agent::act::SiteRule;
        match self.check_site(url, true) {
            Ok(Access::Ask) => SiteRule::Ask,
            Ok(_) => SiteRule::Full,
            Err(error) => SiteRule::Refused(error.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Policies {
        Policies::parse(Path::new("/etc/clef/policies.json"), text)
    }

    #[test]
    fn the_documented_example_is_valid() {
        let doc = include_str!("../../docs/policies.md");
        let example = doc
            .split("```json")
            .nth(1)
            .and_then(|rest| rest.split("```").next())
            .expect("docs/policies.md has a JSON example");
        let policies = parse(example);
        assert!(policies.problems.is_empty(), "{:?}", policies.problems);
        assert_eq!(policies.turned_off(), vec![Feature::FormFilling]);
        assert_eq!(policies.access("intranet.example.org"), Access::Full);
        assert_eq!(policies.access("www.example.org"), Access::ReadOnly);
        assert_eq!(policies.access("elsewhere.test"), Access::Ask);
        // It names a model, which this machine does not have.
        assert!(matches!(
            policies.choose_model(None),
            Err(PolicyError::ModelMissing(..))
        ));
    }

    #[test]
    fn a_named_model_binds_the_choice() {
        let model =
            std::env::temp_dir().join(format!("clef-policy-model-{}.gguf", std::process::id()));
        std::fs::write(&model, b"GGUF").unwrap();
        let text = format!(
            r#"{{"policies": {{"Models": {{"Path": {:?}}}}}}}"#,
            model.display().to_string()
        );
        let policies = parse(&text);
        assert!(policies.problems.is_empty(), "{:?}", policies.problems);
        assert_eq!(policies.choose_model(None), Ok(Some(model.clone())));
        assert_eq!(
            policies.choose_model(Some(model.clone())),
            Ok(Some(model.clone()))
        );
        assert!(matches!(
            policies.choose_model(Some(PathBuf::from("/other.gguf"))),
            Err(PolicyError::Locked(_))
        ));
        std::fs::remove_file(&model).unwrap();
        assert!(matches!(
            policies.choose_model(None),
            Err(PolicyError::ModelMissing(..))
        ));
        // A relative path is a bad value: reported, and no model is allowed.
        let bad = parse(r#"{"policies": {"Models": {"Path": "models/x.gguf"}}}"#);
        assert_eq!(bad.problems.len(), 1);
        assert!(bad.check_model(Path::new("/any.gguf")).is_err());
        // Without a named model the user's choice stands.
        assert_eq!(
            parse(r#"{"policies": {}}"#).choose_model(Some(PathBuf::from("/mine.gguf"))),
            Ok(Some(PathBuf::from("/mine.gguf")))
        );
    }

    #[test]
    fn long_bad_values_are_cut_by_characters() {
        // A byte cut at 60 would fall inside "é" here.
        let value = format!("\"{}é long value\"", "a".repeat(58));
        let policies = parse(&format!(
            r#"{{"policies": {{"Agent": {{"MaxSteps": {value}}}}}}}"#
        ));
        assert_eq!(policies.problems.len(), 1);
        assert!(policies.problems[0].contains("…"));
    }

    #[test]
    fn the_step_limit_binds_requests_and_lowers_the_default() {
        let policies = parse(r#"{"policies": {"Agent": {"MaxSteps": 15}}}"#);
        assert_eq!(policies.default_max_steps(20), 15);
        assert_eq!(policies.max_steps(10), Ok(10));
        assert!(matches!(
            policies.max_steps(30),
            Err(PolicyError::Locked(_))
        ));
        assert_eq!(parse(r#"{"policies": {}}"#).default_max_steps(20), 20);
    }

    #[test]
    fn copies_of_pages_can_be_turned_off() {
        assert!(parse(r#"{"policies": {}}"#).page_cache().is_some());
        let off = parse(r#"{"policies": {"PageCache": {"Enabled": false}}}"#);
        assert!(off.problems.is_empty());
        assert!(off.page_cache().is_none());
        assert!(parse("not json").page_cache().is_none());
        let bad = parse(r#"{"policies": {"PageCache": {"Enabled": "no"}}}"#);
        assert_eq!(bad.problems.len(), 1);
        assert!(bad.page_cache().is_none());
    }

    #[test]
    fn turned_off_lists_the_features_refused() {
        let policies =
            parse(r#"{"policies": {"Features": {"Summary": false, "FormFilling": false}}}"#);
        assert_eq!(
            policies.turned_off(),
            vec![Feature::Summary, Feature::FormFilling]
        );
        let off = parse(r#"{"policies": {"Assistant": {"Enabled": false}}}"#);
        assert_eq!(off.turned_off(), Feature::ALL.to_vec());
        // The wrong shape restricts too, and is reported.
        let misshapen = parse(r#"{"policies": {"Assistant": false}}"#);
        assert_eq!(misshapen.turned_off(), Feature::ALL.to_vec());
        assert_eq!(misshapen.problems.len(), 1);
        assert!(parse(r#"{"policies": {}}"#).turned_off().is_empty());
    }

    #[test]
    fn no_file_means_nothing_is_managed() {
        let policies = Policies::load_from(Path::new("/no/such/policies.json"));
        assert!(!policies.managed());
        assert_eq!(policies.check_feature(Feature::AgentActions), Ok(()));
        assert_eq!(policies.access("example.org"), Access::Full);
    }

    #[test]
    fn a_malformed_file_fails_closed_and_says_why() {
        let policies = parse("{ \"policies\": { ");
        assert!(policies.check_assistant().is_err());
        assert_eq!(policies.access("example.org"), Access::NoAccess);
        assert!(!policies.users_may_approve());
        assert!(
            policies.problems[0].contains("not valid JSON"),
            "{:?}",
            policies.problems
        );
    }

    #[test]
    fn unknown_keys_and_bad_values_are_reported_and_restrict() {
        let policies = parse(
            r#"{"policies": {"Features": {"Summary": "yes", "Telepathy": true},
                "DomainAccess": {"bank.example": "sometimes"}, "Agent": {"MaxSteps": -3},
                "Colour": "blue"}}"#,
        );
        let problems = policies.problems.join("\n");
        for expected in [
            "Features.Summary",
            "Features.Telepathy",
            "DomainAccess.bank.example",
            "Agent.MaxSteps",
            "\"Colour\"",
        ] {
            assert!(problems.contains(expected), "{problems}");
        }
        assert!(policies.check_feature(Feature::Summary).is_err());
        assert_eq!(policies.access("bank.example"), Access::NoAccess);
        assert_eq!(policies.max_steps(1), Ok(1));
    }

    #[test]
    fn the_most_specific_domain_rule_wins() {
        let policies = parse(
            r#"{"policies": {"DomainAccess": {"*": "ask", "*.example.org": "read-only",
                "*.shop.example.org": "full", "admin.shop.example.org": "no-access"}}}"#,
        );
        assert_eq!(policies.access("news.org"), Access::Ask);
        assert_eq!(policies.access("www.example.org"), Access::ReadOnly);
        assert_eq!(policies.access("cart.shop.example.org"), Access::Full);
        assert_eq!(policies.access("admin.shop.example.org"), Access::NoAccess);
        assert!(
            policies
                .check_site("https://www.example.org/a", true)
                .is_err()
        );
        assert!(
            policies
                .check_site("https://www.example.org/a", false)
                .is_ok()
        );
    }

    #[test]
    fn limits_cannot_be_raised_from_the_command_line() {
        let policies = parse(
            r#"{"policies": {"Agent": {"MaxSteps": 5, "UsersMayApproveRiskyActions": false}}}"#,
        );
        assert_eq!(policies.max_steps(3), Ok(3));
        assert!(policies.max_steps(20).is_err());
        assert!(!policies.users_may_approve());
    }

    #[test]
    fn site_rules_bind_every_site_a_task_touches() {
        use clef_agent::act::SiteRule;
        let policies = parse(
            r#"{"policies": {"DomainAccess": {"bank.example": "no-access", "shop.example": "ask"}}}"#,
        );
        let origins = |extra: &str| vec!["http://start.example".to_owned(), extra.to_owned()];
        // An extra allowed site the organisation forbids refuses the task before it starts.
        assert!(
            policies
                .agent_policy(
                    "http://start.example/",
                    origins("http://bank.example"),
                    Vec::new(),
                    false
                )
                .is_err()
        );
        let policy = policies
            .agent_policy(
                "http://start.example/",
                origins("http://shop.example"),
                Vec::new(),
                false,
            )
            .unwrap();
        // A redirect hop or page on a forbidden site, asked later by the engine's checks.
        assert!(matches!(
            policy.site_rules.rule("http://bank.example/login"),
            SiteRule::Refused(_)
        ));
        assert_eq!(
            policy.site_rules.rule("http://shop.example/cart"),
            SiteRule::Ask
        );
        assert_eq!(
            policy.site_rules.rule("http://start.example/"),
            SiteRule::Full
        );
    }
}
