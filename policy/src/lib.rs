//! Enterprise policy: `policies.json`, in the spirit of Firefox's. An administrator decides
//! whether the assistant runs, which of its features, on which sites and how far, with which
//! models, and where the audit goes. Everything the file sets is enforced: the UI shows it as
//! managed and the command line cannot override it.
//!
//! The file lives at `/etc/clef/policies.json` (`CLEF_POLICIES` names another, for tests); the
//! browser reads it (and an edition's built-in policy). This crate owns what the file says and
//! what it allows; it knows neither Servo nor llama.cpp, so its parser can be fuzzed alone.
//! Unknown keys and bad values are reported, never ignored silently; a file that cannot be read
//! as policy turns everything it could have restricted off (fail closed) and says why.

use std::path::{Path, PathBuf};

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
    /// Whether other programs may drive Clef over MCP.
    mcp: Option<bool>,
    /// Whether MCP clients may run their own scripts in pages (`browser_evaluate`).
    mcp_evaluate: Option<bool>,
    /// Whether the agent may call tools of MCP servers the user set up.
    mcp_tools: Option<bool>,
    /// Whether the user's own user scripts run.
    user_scripts: Option<bool>,
    /// The organisation's own user scripts.
    user_scripts_path: Option<PathBuf>,
    /// Whether visits are kept in the profile's history.
    history: Option<bool>,
    /// Whether the reader text of visited pages is kept in the local memory index.
    memory: Option<bool>,
    /// Whether Clef offers to save logins and fills them.
    password_manager: Option<bool>,
    /// Sites the password manager never saves for (a domain covers its subdomains).
    password_excluded: Vec<String>,
    /// Whether files may be downloaded.
    downloads: Option<bool>,
    /// File extensions and media types never downloaded.
    downloads_blocked: Vec<String>,
    max_steps: Option<usize>,
    users_may_approve: Option<bool>,
    audit_path: Option<PathBuf>,
    audit_retention_days: Option<u64>,
    /// The file could not be read as policy: everything restrictable is off.
    closed: bool,
}

mod parse;

impl Policies {
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

    /// Whether copies of opened pages may be kept (the browser decides where).
    /// Whether the MCP server may run (on unless the policy turns it off).
    pub fn check_mcp(&self) -> Result<(), PolicyError> {
        if self.closed || self.mcp == Some(false) {
            return Err(PolicyError::Disabled(
                "the MCP server".to_owned(),
                self.source_text(),
            ));
        }
        Ok(())
    }

    /// Whether the agent may call tools of the MCP servers the user set up (on unless the
    /// policy turns it off).
    pub fn mcp_tools_allowed(&self) -> bool {
        !self.closed && self.mcp_tools != Some(false)
    }

    /// Whether MCP clients may evaluate scripts: `Some(false)` forbidden, `Some(true)` allowed
    /// by the policy, `None` the user's choice.
    pub fn mcp_evaluate(&self) -> Option<bool> {
        if self.closed {
            return Some(false);
        }
        self.mcp_evaluate
    }

    /// Whether the user's own user scripts may run (the organisation's always do).
    pub fn user_scripts_allowed(&self) -> bool {
        !self.closed && self.user_scripts != Some(false)
    }

    /// The folder of user scripts the organisation ships, if any.
    pub fn managed_user_scripts(&self) -> Option<&Path> {
        self.user_scripts_path.as_deref()
    }

    /// The model the organisation deploys, if it sets one (users cannot choose another).
    pub fn managed_model(&self) -> Option<&Path> {
        self.model_path.as_deref()
    }

    /// Whether visits may be kept in the history: `Some(false)` the organisation forbids it,
    /// `Some(true)` it requires it, `None` the user's choice.
    /// Whether the password manager may save a login for `host` (and fill saved ones).
    pub fn passwords_allowed(&self, host: &str) -> Result<(), PolicyError> {
        let source = self.source_text();
        if self.closed || self.password_manager == Some(false) {
            return Err(PolicyError::Disabled(
                "the password manager".to_owned(),
                source,
            ));
        }
        let host = host.to_ascii_lowercase();
        let excluded = self.password_excluded.iter().any(|site| {
            let site = site.trim_start_matches("*.").to_ascii_lowercase();
            host == site || host.ends_with(&format!(".{site}"))
        });
        if excluded {
            return Err(PolicyError::Disabled(
                format!("saving passwords for {host}"),
                source,
            ));
        }
        Ok(())
    }

    /// Whether a file named `name`, of media type `media_type`, may be downloaded.
    pub fn download_allowed(&self, name: &str, media_type: &str) -> Result<(), PolicyError> {
        let source = self.source_text();
        if self.closed || self.downloads == Some(false) {
            return Err(PolicyError::Disabled(
                "downloading files".to_owned(),
                source,
            ));
        }
        let extension = name
            .rsplit_once('.')
            .map(|(_, extension)| extension.to_ascii_lowercase());
        let media_type = media_type.to_ascii_lowercase();
        let blocked = self.downloads_blocked.iter().find(|blocked| {
            extension.as_deref() == Some(blocked.as_str())
                || media_type == **blocked
                || blocked
                    .strip_suffix("/*")
                    .is_some_and(|family| media_type.starts_with(&format!("{family}/")))
        });
        match blocked {
            Some(kind) => Err(PolicyError::Disabled(
                format!("downloading {kind} files"),
                source,
            )),
            None => Ok(()),
        }
    }

    pub fn history(&self) -> Option<bool> {
        if self.closed {
            return Some(false);
        }
        self.history
    }

    /// Whether what was read may be kept in the local memory index (`History.Memory`); never
    /// without history.
    pub fn memory(&self) -> Option<bool> {
        if self.closed || self.history == Some(false) {
            return Some(false);
        }
        self.memory
    }

    pub fn page_cache_enabled(&self) -> bool {
        !self.closed && self.page_cache != Some(false)
    }

    /// Refuse a model file not on the allow-list; `hash_of` gives a file's sha256 (read only
    /// when there is an allow-list).
    pub fn check_model(
        &self,
        path: &Path,
        hash_of: impl FnOnce(&Path) -> Result<String, String>,
    ) -> Result<(), PolicyError> {
        let Some(allowed) = &self.allowed_models else {
            return Ok(());
        };
        let hash =
            hash_of(path).map_err(|error| PolicyError::ModelUnreadable(path.to_owned(), error))?;
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
impl Policies {
    /// The site rule for `url`, for acting or for reading only.
    fn site_rule(&self, url: &str, acting: bool) -> clef_agent::act::SiteRule {
        use clef_agent::act::SiteRule;
        match self.check_site(url, acting) {
            Ok(Access::Ask) => SiteRule::Ask,
            Ok(_) => SiteRule::Full,
            Err(error) => SiteRule::Refused(error.to_string()),
        }
    }
}

impl clef_agent::act::SiteRules for Policies {
    fn rule(&self, url: &str) -> clef_agent::act::SiteRule {
        self.site_rule(url, true)
    }
}

/// The domain rules as they bear on reading: only a site the assistant may not read is refused
/// (a tab an MCP client drives may show a read-only site; acting there is checked per action).
#[derive(Debug, Clone)]
pub struct ReadingRules(pub Policies);

impl clef_agent::act::SiteRules for ReadingRules {
    fn rule(&self, url: &str) -> clef_agent::act::SiteRule {
        self.0.site_rule(url, false)
    }
}

#[cfg(test)]
mod tests;
