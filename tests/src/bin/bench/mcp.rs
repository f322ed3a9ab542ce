//! `clef-bench mcp`: the same MCP tool calls, made by the official Python SDK, through `clef mcp`
//! and through Playwright MCP (`@playwright/mcp` driving Debian's Chromium), same pages, same
//! run: latency of navigate, snapshot and click, and snapshot size on the readability pages.

use std::path::{Path, PathBuf};
use std::process::Command;

use clef_agent::snapshot::estimate_tokens;
use clef_tests::server::{Route, TestServer};
use serde_json::{Value, json};

const ROUNDS: usize = 10;

const LOGIN: &str = r#"<!doctype html><title>Members login</title><h1>Members login</h1>
<form method="post" action="/login"><label>Username <input name="user"></label>
<label>Password <input type="password" name="pass"></label><button>Log in</button></form>"#;

/// The snapshot's outline: the YAML block both servers return.
fn outline(text: &str) -> &str {
    text.split("```yaml")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .unwrap_or("")
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

fn run_client(python: &Path, steps: &Value, server: &[String]) -> anyhow::Result<Vec<Value>> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("mcp/client.py");
    let output = Command::new(python)
        .arg(script)
        .args(["--mode", "legacy", "--steps", &steps.to_string(), "--stdio"])
        .args(server)
        .output()?;
    anyhow::ensure!(
        output.status.success(),
        "the MCP client failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(serde_json::from_slice(&output.stdout)?)
}

pub fn run() -> anyhow::Result<()> {
    let python = clef_tests::mcp_python()?.ok_or_else(|| {
        anyhow::anyhow!("the MCP SDK is missing: run scripts/fetch-mcp-clients.sh")
    })?;
    let (modules, _) = clef_tests::mcp_node()?.ok_or_else(|| {
        anyhow::anyhow!("the npm clients are missing: run scripts/fetch-mcp-clients.sh")
    })?;
    let pages = crate::reading::readability_pages()?;
    let mut routes: Vec<(String, Route)> = vec![("/login".to_owned(), Route::html(LOGIN))];
    for dir in &pages {
        let name = dir
            .file_name()
            .and_then(|name| name.to_str())
            .unwrap_or("page");
        let html = std::fs::read_to_string(dir.join("source.html"))?;
        routes.push((format!("/r/{name}"), Route::html(html)));
    }
    let server = TestServer::start(
        routes
            .iter()
            .map(|(path, route)| (path.as_str(), route.clone())),
    )?;
    let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .map(PathBuf::from)
        .find(|path| path.exists())
        .ok_or_else(|| anyhow::anyhow!("Debian's chromium is missing"))?;
    let output = std::env::temp_dir().join(format!("clef-bench-playwright-{}", std::process::id()));
    let mut servers: Vec<(&str, Vec<String>)> = vec![
        (
            "clef mcp",
            vec![
                clef_tests::clef_bin().display().to_string(),
                "mcp".to_owned(),
            ],
        ),
        (
            "playwright-mcp",
            vec![
                modules.join(".bin/playwright-mcp").display().to_string(),
                "--headless".to_owned(),
                "--isolated".to_owned(),
                "--no-sandbox".to_owned(),
                // Its snapshots and console logs go to files: a temporary folder, not the checkout.
                "--output-dir".to_owned(),
                output.display().to_string(),
                "--executable-path".to_owned(),
                chromium.display().to_string(),
            ],
        ),
    ];
    // With a display (`xvfb-run`, or a desktop): the same calls on tabs of a visible window.
    if std::env::var_os("DISPLAY").is_some() {
        servers.push((
            "clef mcp --window",
            vec![
                clef_tests::clef_bin().display().to_string(),
                "mcp".to_owned(),
                "--window".to_owned(),
            ],
        ));
    } else {
        println!("no DISPLAY: `clef mcp --window` is left out (run under xvfb-run to add it)");
    }
    let mut latency_steps = Vec::new();
    for _ in 0..ROUNDS {
        latency_steps
            .push(json!({"tool": "browser_navigate", "args": {"url": server.url("/login")}}));
        latency_steps.push(json!({"tool": "browser_snapshot"}));
        latency_steps.push(
            json!({"tool": "browser_click", "args": {"element": "Username field"},
            "refs": {"target": "textbox \"Username\""}}),
        );
    }
    let mut page_steps = Vec::new();
    for (path, _) in routes.iter().skip(1) {
        page_steps.push(json!({"tool": "browser_navigate", "args": {"url": server.url(path)}}));
        // A page's alert blocks Playwright MCP until it is answered (Clef's headless pages
        // dismiss dialogs and report them).
        page_steps.push(json!({"tool": "browser_snapshot",
            "recover": {"tool": "browser_handle_dialog", "args": {"accept": true}}}));
    }
    println!(
        "{ROUNDS} rounds of navigate/snapshot/click on a login page; {} readability pages; \
         the official Python SDK over stdio, one server process each\n",
        pages.len()
    );
    println!(
        "{:<16} {:>12} {:>12} {:>12} {:>16} {:>16} {:>8}",
        "server", "navigate s", "snapshot s", "click s", "snapshot tokens", "median/page", "failed"
    );
    let mut per_page: Vec<Vec<Option<f64>>> = Vec::new();
    for (name, command) in &servers {
        let report = run_client(&python, &Value::Array(latency_steps.clone()), command)?;
        let mut per_tool: [Vec<f64>; 3] = Default::default();
        let mut failed = 0;
        let mut errors: Vec<String> = Vec::new();
        let mut note = |entry: &Value| {
            let text = entry["text"].as_str().unwrap_or("").replace('\n', " ");
            if errors.len() < 3 {
                errors.push(text.chars().take(200).collect());
            }
        };
        for (index, entry) in report.iter().enumerate() {
            if entry["error"] == true {
                failed += 1;
                note(entry);
                continue;
            }
            // The first round includes the browser's start: left out of the medians.
            if index >= 3 {
                per_tool[index % 3].push(entry["seconds"].as_f64().unwrap_or(f64::NAN));
            }
        }
        let report = run_client(&python, &Value::Array(page_steps.clone()), command)?;
        let mut note = |entry: &Value| {
            let text = entry["text"].as_str().unwrap_or("").replace('\n', " ");
            if errors.len() < 6 {
                errors.push(text.chars().take(200).collect());
            }
        };
        let mut tokens: Vec<f64> = Vec::new();
        let mut pages_seen: Vec<Option<f64>> = Vec::new();
        let mut cut = 0;
        for pair in report.chunks(2) {
            let (navigated, entry) = (&pair[0], pair.get(1).unwrap_or(&pair[0]));
            if navigated["error"] == true || entry["error"] == true {
                failed += 1;
                note(if navigated["error"] == true {
                    navigated
                } else {
                    entry
                });
                pages_seen.push(None);
                continue;
            }
            let shown = outline(entry["text"].as_str().unwrap_or(""));
            cut += usize::from(shown.contains("[cut to fit"));
            let count = estimate_tokens(shown) as f64;
            tokens.push(count);
            pages_seen.push(Some(count));
        }
        per_page.push(pages_seen);
        let total: f64 = tokens.iter().sum();
        println!(
            "{name:<16} {:>12.3} {:>12.3} {:>12.3} {:>16.0} {:>16.0} {:>8}",
            median(&mut per_tool[0]),
            median(&mut per_tool[1]),
            median(&mut per_tool[2]),
            total,
            median(&mut tokens),
            failed
        );
        if cut > 0 {
            println!("    {cut} snapshots cut to the 20,000-token budget");
        }
        for error in errors {
            println!("    failed: {error}");
        }
    }
    // Sizes compared on the pages both servers snapshotted.
    if let [clef, other, ..] = per_page.as_slice() {
        let both: Vec<(f64, f64)> = clef
            .iter()
            .zip(other)
            .filter_map(|(a, b)| Some(((*a)?, (*b)?)))
            .collect();
        let (clef_total, other_total): (f64, f64) = both
            .iter()
            .fold((0.0, 0.0), |(x, y), (a, b)| (x + a, y + b));
        let mut ratios: Vec<f64> = both.iter().map(|(a, b)| a / b.max(1.0)).collect();
        println!(
            "\non the {} pages both snapshot: clef {clef_total:.0} tokens, playwright-mcp \
             {other_total:.0} ({:.2}×); median per-page ratio {:.2}",
            both.len(),
            clef_total / other_total.max(1.0),
            median(&mut ratios)
        );
    }
    println!("(tokens: characters of the snapshot's YAML outline / 4, the same count for both)");
    let _ = std::fs::remove_dir_all(&output);
    Ok(())
}
