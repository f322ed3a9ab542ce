//! `clef audit show|export`: the agent's local audit log, read back.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context as _;
use clef_browser::assistant::{audit_field, audit_time};
use clef_browser::policies;

#[derive(clap::Subcommand)]
pub enum AuditCommand {
    /// Print the audit log as a table.
    Show {
        /// The log (default: the policy's, else `$XDG_DATA_HOME/clef/audit.jsonl`).
        #[arg(long)]
        path: Option<PathBuf>,
    },
    /// Write the audit log as JSON lines or CSV to standard output.
    Export {
        #[arg(long, default_value = "jsonl", value_parser = ["jsonl", "csv"])]
        format: String,
        #[arg(long)]
        path: Option<PathBuf>,
    },
}

const FIELDS: [&str; 8] = [
    "time",
    "url",
    "action",
    "element",
    "reason",
    "outcome",
    "approved_by",
    "actor",
];

fn log_path(given: Option<&PathBuf>) -> anyhow::Result<PathBuf> {
    let policies = policies::load();
    if let Some(path) = policies.audit_path() {
        return Ok(path.to_path_buf());
    }
    given
        .cloned()
        .or_else(clef_browser::assistant::default_audit_path)
        .context("no audit log location: pass --path")
}

fn records(path: &PathBuf) -> anyhow::Result<Vec<serde_json::Value>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(error) => return Err(error).with_context(|| format!("cannot read {}", path.display())),
    };
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .enumerate()
        .map(|(number, line)| {
            serde_json::from_str(line)
                .with_context(|| format!("{} line {} is not a record", path.display(), number + 1))
        })
        .collect()
}

fn csv_cell(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

pub fn audit(command: &AuditCommand) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match command {
        AuditCommand::Show { path } => {
            let path = log_path(path.as_ref())?;
            let records = records(&path)?;
            writeln!(out, "{} ({} records)", path.display(), records.len())?;
            for record in &records {
                writeln!(
                    out,
                    "{}  {}  {}  {}  → {}{}",
                    audit_time(record).unwrap_or_else(|| "(no time)".to_owned()),
                    audit_field(record, "actor"),
                    audit_field(record, "url"),
                    audit_field(record, "action"),
                    audit_field(record, "outcome"),
                    match audit_field(record, "approved_by").as_str() {
                        "" => String::new(),
                        who => format!("  (approved by {who})"),
                    }
                )?;
            }
        }
        AuditCommand::Export { format, path } => {
            let path = log_path(path.as_ref())?;
            let records = records(&path)?;
            if format == "csv" {
                writeln!(out, "{}", FIELDS.join(","))?;
                for record in &records {
                    let cells: Vec<String> = FIELDS
                        .iter()
                        .map(|name| csv_cell(&audit_field(record, name)))
                        .collect();
                    writeln!(out, "{}", cells.join(","))?;
                }
            } else {
                for record in &records {
                    writeln!(out, "{}", serde_json::to_string(record)?)?;
                }
            }
        }
    }
    Ok(())
}
