//! The audit log as a page the window opens in a tab.

use std::path::Path;

use super::escape_html;

/// One field of an audit record as text: strings as they are, other values as JSON, none empty.
pub fn audit_field(record: &serde_json::Value, name: &str) -> String {
    match record.get(name) {
        // Lines written before the log said who acted were all the agent's own.
        None if name == "actor" => "agent".to_owned(),
        Some(serde_json::Value::String(text)) => text.clone(),
        Some(serde_json::Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// An audit record's time as a UTC date; records keep seconds since the epoch.
pub fn audit_time(record: &serde_json::Value) -> Option<String> {
    record
        .get("time")
        .and_then(serde_json::Value::as_f64)
        .filter(|seconds| *seconds >= 0.0)
        .map(|seconds| crate::utc::seconds(seconds as u64))
}

/// An HTML table of the records in `path` (newest first); a missing file is an empty log.
pub fn audit_page_html(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut rows = String::new();
    let mut count = 0;
    for line in text.lines().rev() {
        let Ok(record) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        count += 1;
        let cell = |name: &str| escape_html(&audit_field(&record, name));
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            audit_time(&record).unwrap_or_default(),
            cell("actor"),
            cell("url"),
            cell("action"),
            cell("element"),
            cell("reason"),
            cell("outcome"),
            cell("approved_by")
        ));
    }
    format!(
        "<!doctype html><meta charset=utf-8><title>Clef audit log</title>\
         <style>body{{font:14px sans-serif;margin:1.5em}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:4px 6px;vertical-align:top}}th{{background:#eee}}</style>\
         <h1>Audit log</h1><p>{count} actions, newest first, from <code>{}</code>. Export: <code>clef audit export --format csv</code>.</p>\
         <table><tr><th>time (UTC)</th><th>who</th><th>page</th><th>action</th><th>element</th><th>reason</th><th>outcome</th><th>approved by</th></tr>{rows}</table>",
        escape_html(&path.display().to_string())
    )
}
