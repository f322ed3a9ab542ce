//! The local audit log: one JSON line per action (time, page, action, element, reason, outcome,
//! who approved). Actions carry placeholders, never the secrets typed for them.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

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
