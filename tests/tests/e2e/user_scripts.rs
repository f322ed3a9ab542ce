//! User scripts through the real browser: a script runs on the pages it matches (at document
//! start or end), not elsewhere; the user switches theirs off; the organisation's policy can turn
//! the user's off and ship its own.

use std::path::Path;
use std::process::Command;

use clef_tests::clef_bin;
use clef_tests::server::{Route, TestServer};
use serde_json::Value;

use crate::check;
use crate::harness::Ctx;

const MARK: &str = "// ==UserScript==
// @name   Mark
// @match  http://127.0.0.1/*
// @exclude-match http://127.0.0.1/skip*
// ==/UserScript==
document.body.dataset.mark = 'ran at ' + document.readyState;
";

const EARLY: &str = "// ==UserScript==
// @name   Early
// @match  *://*/*
// @run-at document-start
// ==/UserScript==
window.clefEarly = document.readyState;
";

const ELSEWHERE: &str = "// ==UserScript==
// @name   Elsewhere
// @match  https://*.example.org/*
// ==/UserScript==
window.clefElsewhere = true;
";

const THROWS: &str = "// ==UserScript==
// @name   Throws
// @match  *://*/*
// ==/UserScript==
throw new Error('a bug in a user script');
";

const MANAGED: &str = "// ==UserScript==
// @name   Company banner
// @match  *://*/*
// ==/UserScript==
document.body.dataset.company = 'yes';
";

const PROBE: &str = "({mark: document.body.dataset.mark || null, early: window.clefEarly || null, \
    elsewhere: window.clefElsewhere || null, company: document.body.dataset.company || null, \
    page: document.title})";

/// What the probe reads on `url` with this data and config home.
fn probe(home: &Path, url: &str, policy: Option<&Path>) -> anyhow::Result<Value> {
    let mut command = Command::new(clef_bin());
    command
        .args(["headless", url, "--eval", PROBE])
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"));
    if let Some(policy) = policy {
        command.env("CLEF_POLICIES", policy);
    }
    let output = command.output()?;
    anyhow::ensure!(
        output.status.success(),
        "clef headless failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(serde_json::from_slice(&output.stdout)?)
}

fn scripts(home: &Path, args: &[&str], policy: Option<&Path>) -> anyhow::Result<String> {
    let mut command = Command::new(clef_bin());
    command
        .arg("scripts")
        .args(args)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"));
    if let Some(policy) = policy {
        command.env("CLEF_POLICIES", policy);
    }
    let output = command.output()?;
    anyhow::ensure!(
        output.status.success(),
        "clef scripts {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

pub fn run_where_they_match_and_as_managed(_: &Ctx) -> anyhow::Result<()> {
    let server = TestServer::start([
        (
            "/page",
            Route::html("<!doctype html><title>Page</title><p>Hello</p>"),
        ),
        (
            "/skip",
            Route::html("<!doctype html><title>Skip</title><p>Not here</p>"),
        ),
    ])?;
    let home = std::env::temp_dir().join(format!("clef-userscripts-e2e-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    let folder = home.join("data/clef/userscripts");
    std::fs::create_dir_all(&folder)?;
    for (name, source) in [
        ("mark", MARK),
        ("early", EARLY),
        ("elsewhere", ELSEWHERE),
        ("throws", THROWS),
    ] {
        std::fs::write(folder.join(format!("{name}.user.js")), source)?;
    }
    std::fs::write(folder.join("broken.user.js"), "no header here")?;
    let result = (|| {
        let seen = probe(&home, &server.url("/page"), None)?;
        check!(seen["page"] == "Page", "the page did not load: {seen}");
        check!(
            seen["mark"] == "ran at interactive" || seen["mark"] == "ran at complete",
            "a document-end script did not run once the document was parsed: {seen}"
        );
        check!(
            seen["early"] == "loading",
            "a document-start script: {seen}"
        );
        check!(
            seen["elsewhere"].is_null(),
            "a script ran on a page it does not match: {seen}"
        );
        let skipped = probe(&home, &server.url("/skip"), None)?;
        check!(
            skipped["mark"].is_null(),
            "@exclude-match was ignored: {skipped}"
        );
        check!(
            skipped["early"] == "loading",
            "the other scripts still run: {skipped}"
        );

        let listed = scripts(&home, &["list"], None)?;
        check!(
            listed.contains("on  Mark")
                && listed.contains("not used:")
                && listed.contains("broken"),
            "clef scripts list: {listed}"
        );
        scripts(&home, &["disable", "Mark"], None)?;
        let off = probe(&home, &server.url("/page"), None)?;
        check!(
            off["mark"].is_null() && off["early"] == "loading",
            "switched off: {off}"
        );
        check!(
            scripts(&home, &["list"], None)?.contains("off Mark"),
            "the list does not show it off"
        );
        scripts(&home, &["enable", "Mark"], None)?;
        let on = probe(&home, &server.url("/page"), None)?;
        check!(!on["mark"].is_null(), "switched on again: {on}");

        // The organisation turns the user's scripts off and ships its own.
        let managed = home.join("managed");
        std::fs::create_dir_all(&managed)?;
        std::fs::write(managed.join("banner.user.js"), MANAGED)?;
        let policy = home.join("policies.json");
        std::fs::write(
            &policy,
            format!(
                r#"{{"policies": {{"UserScripts": {{"Enabled": false, "Path": "{}"}}}}}}"#,
                managed.display()
            ),
        )?;
        let governed = probe(&home, &server.url("/page"), Some(&policy))?;
        check!(
            governed["mark"].is_null()
                && governed["early"].is_null()
                && governed["company"] == "yes",
            "under the policy: {governed}"
        );
        let refused = Command::new(clef_bin())
            .args(["scripts", "disable", "Company banner"])
            .env("XDG_DATA_HOME", home.join("data"))
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("CLEF_POLICIES", &policy)
            .output()?;
        check!(
            !refused.status.success()
                && String::from_utf8_lossy(&refused.stderr).contains("organisation"),
            "the user switched the organisation's script off"
        );
        Ok(())
    })();
    let _ = std::fs::remove_dir_all(&home);
    result
}
