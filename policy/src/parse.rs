//! Reading `policies.json`: every key checked, every problem reported in a sentence, bad
//! values restricting rather than granting.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::{Access, Feature, Policies};

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
                "Mcp" => out.read_mcp(value),
                "UserScripts" => out.read_user_scripts(value),
                "History" => out.read_history(value),
                "PasswordManager" => out.read_password_manager(value),
                "Downloads" => out.read_downloads(value),
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

    fn read_mcp(&mut self, value: &Value) {
        let Some(object) = self.object(value, "Mcp") else {
            self.mcp = Some(false);
            return;
        };
        for (key, inner) in object {
            let slot = match key.as_str() {
                "Enabled" => &mut self.mcp,
                "Evaluate" => &mut self.mcp_evaluate,
                "Tools" => &mut self.mcp_tools,
                other => {
                    self.problems
                        .push(format!("unknown key \"Mcp.{other}\" ignored"));
                    continue;
                }
            };
            *slot = Some(inner.as_bool().unwrap_or(false));
            if !inner.is_boolean() {
                self.problems.push(format!(
                    "\"Mcp.{key}\" must be true or false, not {}",
                    describe(inner)
                ));
            }
        }
    }

    fn read_history(&mut self, value: &Value) {
        let Some(object) = self.object(value, "History") else {
            self.history = Some(false);
            self.memory = Some(false);
            return;
        };
        for (key, inner) in object {
            let slot = match key.as_str() {
                "Enabled" => &mut self.history,
                "Memory" => &mut self.memory,
                other => {
                    self.problems
                        .push(format!("unknown key \"History.{other}\" ignored"));
                    continue;
                }
            };
            *slot = Some(inner.as_bool().unwrap_or(false));
            if !inner.is_boolean() {
                self.problems.push(format!(
                    "\"History.{key}\" must be true or false, not {}",
                    describe(inner)
                ));
            }
        }
    }

    /// `{"Enabled": bool, "ExcludedSites": ["bank.example", …]}`.
    fn read_password_manager(&mut self, value: &Value) {
        let Some(object) = self.object(value, "PasswordManager") else {
            self.password_manager = Some(false);
            return;
        };
        for (key, inner) in object {
            match key.as_str() {
                "Enabled" => {
                    self.password_manager = Some(inner.as_bool().unwrap_or(false));
                    if !inner.is_boolean() {
                        self.problems.push(format!(
                            "\"PasswordManager.Enabled\" must be true or false, not {}",
                            describe(inner)
                        ));
                    }
                }
                "ExcludedSites" => {
                    self.password_excluded = self.strings(inner, "PasswordManager.ExcludedSites");
                }
                other => self
                    .problems
                    .push(format!("unknown key \"PasswordManager.{other}\" ignored")),
            }
        }
    }

    /// `{"Enabled": bool, "BlockedTypes": ["exe", "application/x-msdownload", …]}`: file
    /// extensions or media types (`type/*` allowed).
    fn read_downloads(&mut self, value: &Value) {
        let Some(object) = self.object(value, "Downloads") else {
            self.downloads = Some(false);
            return;
        };
        for (key, inner) in object {
            match key.as_str() {
                "Enabled" => {
                    self.downloads = Some(inner.as_bool().unwrap_or(false));
                    if !inner.is_boolean() {
                        self.problems.push(format!(
                            "\"Downloads.Enabled\" must be true or false, not {}",
                            describe(inner)
                        ));
                    }
                }
                "BlockedTypes" => {
                    self.downloads_blocked = self
                        .strings(inner, "Downloads.BlockedTypes")
                        .into_iter()
                        .map(|kind| kind.trim_start_matches('.').to_ascii_lowercase())
                        .collect();
                }
                other => self
                    .problems
                    .push(format!("unknown key \"Downloads.{other}\" ignored")),
            }
        }
    }

    fn strings(&mut self, value: &Value, name: &str) -> Vec<String> {
        let Some(list) = value.as_array() else {
            self.problems.push(format!(
                "\"{name}\" must be a list of strings, not {}",
                describe(value)
            ));
            return Vec::new();
        };
        list.iter()
            .filter_map(|item| {
                let text = item.as_str().map(str::to_owned);
                if text.is_none() {
                    self.problems.push(format!(
                        "an entry of \"{name}\" is not a string: {}",
                        describe(item)
                    ));
                }
                text
            })
            .collect()
    }

    fn read_user_scripts(&mut self, value: &Value) {
        let Some(object) = self.object(value, "UserScripts") else {
            self.user_scripts = Some(false);
            return;
        };
        for (key, inner) in object {
            match key.as_str() {
                "Enabled" => {
                    self.user_scripts = Some(inner.as_bool().unwrap_or(false));
                    if !inner.is_boolean() {
                        self.problems.push(format!(
                            "\"UserScripts.Enabled\" must be true or false, not {}",
                            describe(inner)
                        ));
                    }
                }
                "Path" => match inner.as_str().map(PathBuf::from) {
                    Some(path) if path.is_absolute() => self.user_scripts_path = Some(path),
                    _ => self.problems.push(format!(
                        "\"UserScripts.Path\" must be an absolute path, not {}",
                        describe(inner)
                    )),
                },
                other => self
                    .problems
                    .push(format!("unknown key \"UserScripts.{other}\" ignored")),
            }
        }
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

    pub(crate) fn source_text(&self) -> String {
        self.source
            .as_ref()
            .map(|path| path.display().to_string())
            .unwrap_or_default()
    }
}
