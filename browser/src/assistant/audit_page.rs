//! The audit log as a page the window opens in a tab.

use std::path::Path;

use super::escape_html;

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
        let cell = |name: &str| match record.get(name) {
            Some(serde_json::Value::String(text)) => escape_html(text),
            Some(serde_json::Value::Null) | None => String::new(),
            Some(other) => escape_html(&other.to_string()),
        };
        let time = match record.get("time").and_then(serde_json::Value::as_f64) {
            Some(seconds) if seconds >= 0.0 => crate::utc::seconds(seconds as u64),
            _ => String::new(),
        };
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            time,
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
         <table><tr><th>time (UTC)</th><th>page</th><th>action</th><th>element</th><th>reason</th><th>outcome</th><th>approved by</th></tr>{rows}</table>",
        escape_html(&path.display().to_string())
    )
}
