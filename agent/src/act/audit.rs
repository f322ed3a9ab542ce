//! The local audit log: one JSON line per action (time, page, action, element, reason, outcome,
//! who approved). Actions carry placeholders, never the secrets typed for them.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::page::PageError;

use super::page::ActPage;
use super::report::{ActError, StepRecord};

#[derive(Debug, Clone, Serialize)]
pub struct AuditRecord {
    /// Seconds since the Unix epoch.
    pub time: f64,
    pub url: String,
    pub action: String,
    pub element: Option<String>,
    pub reason: String,
    pub outcome: String,
    /// "policy", "user" or "" when no approval was needed.
    pub approved_by: String,
}

#[derive(Debug)]
pub struct AuditLog {
    path: Option<PathBuf>,
    /// Who acts, written on every line: "agent" (Clef's own), or the MCP client that did.
    actor: String,
}

/// One line as written: the record and who acted.
#[derive(Serialize)]
struct Line<'a> {
    #[serde(flatten)]
    record: &'a AuditRecord,
    actor: &'a str,
}

impl AuditLog {
    /// Append to `path`; `None` keeps no log (tests of pure loop logic).
    pub fn new(path: Option<&Path>) -> Self {
        AuditLog {
            path: path.map(Path::to_path_buf),
            actor: "agent".to_owned(),
        }
    }

    /// The same log, its lines saying `actor` acted (an MCP client, or the agent for one).
    pub fn acting_for(&self, actor: &str) -> Self {
        AuditLog {
            path: self.path.clone(),
            actor: actor.to_owned(),
        }
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Drop records older than `days` (the administrator's retention).
    pub fn prune(&self, days: u64) -> std::io::Result<usize> {
        let Some(path) = &self.path else {
            return Ok(0);
        };
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(error) => return Err(error),
        };
        let oldest = now() - days as f64 * 86_400.0;
        let mut kept = String::new();
        let mut dropped = 0;
        for line in text.lines() {
            let time = serde_json::from_str::<serde_json::Value>(line)
                .ok()
                .and_then(|record| record.get("time").and_then(serde_json::Value::as_f64));
            if time.is_some_and(|time| time < oldest) {
                dropped += 1;
            } else {
                kept.push_str(line);
                kept.push('\n');
            }
        }
        if dropped > 0 {
            std::fs::write(path, kept)?;
        }
        Ok(dropped)
    }

    pub fn record(&self, record: &AuditRecord) -> std::io::Result<()> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        let line = serde_json::to_string(&Line {
            record,
            actor: &self.actor,
        })
        .map_err(std::io::Error::other)?;
        writeln!(file, "{line}")
    }
}

pub fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs_f64())
        .unwrap_or(0.0)
}

/// What the engine blocked after a step was recorded: its own audit line.
pub fn audit_blocked(
    audit: &AuditLog,
    page: &dyn ActPage,
    url: &str,
    blocked: &[String],
) -> Result<(), ActError> {
    write_audit(
        audit,
        page,
        AuditRecord {
            time: now(),
            url: url.to_owned(),
            action: "(the page's own request)".to_owned(),
            element: None,
            reason: String::new(),
            outcome: format!("blocked by the browser: {}", blocked.join("; ")),
            approved_by: "policy".to_owned(),
        },
    )
}

/// One line of the audit log for a step.
pub fn audit_step(
    audit: &AuditLog,
    page: &dyn ActPage,
    record: &StepRecord,
    element: Option<String>,
    reason: &str,
    approved_by: &str,
) -> Result<(), ActError> {
    write_audit(
        audit,
        page,
        AuditRecord {
            time: now(),
            url: record.url.clone(),
            action: record.description.clone(),
            element,
            reason: reason.to_owned(),
            outcome: record.outcome.clone(),
            approved_by: approved_by.to_owned(),
        },
    )
}

/// A log that cannot be written stops the task (fail closed). Saved values a site put in an
/// address or a message are replaced by what they are.
fn write_audit(
    audit: &AuditLog,
    page: &dyn ActPage,
    mut record: AuditRecord,
) -> Result<(), ActError> {
    record.url = page.redact(&record.url);
    record.outcome = page.redact(&record.outcome);
    record.action = page.redact(&record.action);
    audit.record(&record).map_err(|error| {
        ActError::Page(PageError(format!(
            "the audit log cannot be written, so the task stops: {error}"
        )))
    })
}
