//! The organization's `policies.json`, through the CLI: features turned off, per-site access,
//! the model allow-list, locked settings, and a broken file failing closed.

use std::process::{Command, Output};

use clef_tests::clef_bin;
use clef_tests::server::{Route, TestServer};

use crate::check;
use crate::fixtures;
use crate::harness::Ctx;

fn clef_with_policy(policy: &str, args: &[&str]) -> anyhow::Result<Output> {
    let path = std::env::temp_dir().join(format!(
        "clef-policies-{}-{}.json",
        std::process::id(),
        policy.len()
    ));
    std::fs::write(&path, policy)?;
    let output = Command::new(clef_bin())
        .env("CLEF_POLICIES", &path)
        .args(args)
        .output()?;
    let _ = std::fs::remove_file(&path);
    Ok(output)
}

fn fails_with(output: &Output, expected: &str) -> anyhow::Result<()> {
    let stderr = String::from_utf8_lossy(&output.stderr);
    check!(!output.status.success(), "succeeded; stderr: {stderr}");
    check!(
        stderr.contains(expected),
        "expected {expected:?} in: {stderr}"
    );
    check!(!stderr.contains("panicked"), "panicked: {stderr}");
    Ok(())
}

pub fn features_sites_and_locked_settings(_: &Ctx) -> anyhow::Result<()> {
    let server = TestServer::start([
        ("/", Route::html(fixtures::DANUBE)),
        ("/login", Route::html(fixtures::LOGIN)),
    ])?;
    let page = server.url("/");
    let login = server.url("/login");
    let off = r#"{"policies": {"Features": {"Summary": false}}}"#;
    fails_with(
        &clef_with_policy(off, &["summarize", &page, "--model", "/no/model.gguf"])?,
        "summarizing pages is turned off",
    )?;

    let read_only = r#"{"policies": {"DomainAccess": {"*": "full", "127.0.0.1": "read-only"}}}"#;
    fails_with(
        &clef_with_policy(
            read_only,
            &[
                "run",
                "--start",
                &login,
                "--task",
                "log in",
                "--model",
                "/no/model.gguf",
            ],
        )?,
        "may not act on 127.0.0.1",
    )?;
    // Reading stays allowed on a read-only site (it then fails on the missing model, not the policy).
    fails_with(
        &clef_with_policy(
            read_only,
            &["summarize", &page, "--model", "/no/model.gguf"],
        )?,
        "model file not found",
    )?;

    let no_access =
        r#"{"policies": {"DomainAccess": {"*.0.0.1": "full", "127.0.0.1": "no-access"}}}"#;
    fails_with(
        &clef_with_policy(
            no_access,
            &["summarize", &page, "--model", "/no/model.gguf"],
        )?,
        "may not read pages on 127.0.0.1",
    )?;

    let locked =
        r#"{"policies": {"Agent": {"MaxSteps": 5, "UsersMayApproveRiskyActions": false}}}"#;
    fails_with(
        &clef_with_policy(
            locked,
            &[
                "run",
                "--start",
                &login,
                "--task",
                "log in",
                "--confirm",
                "allow",
                "--model",
                "/no/model.gguf",
            ],
        )?,
        "approving risky actions is managed by your organization's policy",
    )?;
    fails_with(
        &clef_with_policy(
            locked,
            &[
                "run",
                "--start",
                &login,
                "--task",
                "log in",
                "--max-steps",
                "50",
                "--model",
                "/no/model.gguf",
            ],
        )?,
        "the step limit (5) is managed",
    )?;
    Ok(())
}

pub fn a_broken_file_fails_closed_and_the_allow_list_holds(_: &Ctx) -> anyhow::Result<()> {
    let server = TestServer::start([("/", Route::html(fixtures::DANUBE))])?;
    let page = server.url("/");
    let broken = r#"{"policies": {"Features": {"Summary": tru"#;
    let output = clef_with_policy(broken, &["summarize", &page, "--model", "/no/model.gguf"])?;
    fails_with(&output, "the assistant is turned off")?;
    check!(
        String::from_utf8_lossy(&output.stderr).contains("not valid JSON"),
        "no reason given"
    );
    let unknown = r#"{"policies": {"Telepathy": true, "Features": {"Summary": false}}}"#;
    let output = clef_with_policy(unknown, &["summarize", &page, "--model", "/no/model.gguf"])?;
    check!(
        String::from_utf8_lossy(&output.stderr).contains("unknown policy \"Telepathy\""),
        "unknown key not reported"
    );
    // Reading an article needs no model and no assistant feature.
    let output = clef_with_policy(broken, &["read", &page])?;
    check!(
        output.status.success(),
        "clef read failed under a broken policy"
    );

    let Some(model) = clef_tests::test_model()? else {
        println!("    skipped the allow-list half: test model missing");
        return Ok(());
    };
    let other = format!(
        r#"{{"policies": {{"Models": {{"AllowedSha256": ["{}"]}}}}}}"#,
        "0".repeat(64)
    );
    fails_with(
        &clef_with_policy(
            &other,
            &["summarize", &page, "--model", &model.to_string_lossy()],
        )?,
        "not on your organization's allow-list",
    )?;
    // Whatever runs the model: `clef model info` is refused it too.
    fails_with(
        &clef_with_policy(&other, &["model", "info", &model.to_string_lossy()])?,
        "not on your organization's allow-list",
    )?;
    // A model the policy names: used without --model, another one refused, a missing one said.
    let missing = r#"{"policies": {"Models": {"Path": "/no/such/org-model.gguf"}}}"#;
    fails_with(
        &clef_with_policy(missing, &["summarize", &page])?,
        "the model your organization's policy names is missing: /no/such/org-model.gguf",
    )?;
    let named = format!(
        r#"{{"policies": {{"Models": {{"Path": {:?}}}}}}}"#,
        model.to_string_lossy()
    );
    fails_with(
        &clef_with_policy(&named, &["summarize", &page, "--model", "/my/own.gguf"])?,
        "the assistant's model is managed by your organization's policy",
    )?;
    let output = clef_with_policy(&named, &["summarize", &page])?;
    check!(
        output.status.success(),
        "the organization's model was not used: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    // The test model's own hash on the list: the policy lets it load.
    let pinned = r#"{"policies": {"Models": {"AllowedSha256": ["b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"]}}}"#;
    let output = clef_with_policy(
        pinned,
        &["summarize", &page, "--model", &model.to_string_lossy()],
    )?;
    check!(
        output.status.success(),
        "the allowed model was refused: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(())
}

pub fn audit_log_is_shown_and_exported(_: &Ctx) -> anyhow::Result<()> {
    let path = std::env::temp_dir().join(format!("clef-audit-export-{}.jsonl", std::process::id()));
    std::fs::write(
        &path,
        concat!(
            r#"{"time":1795600000.5,"url":"http://127.0.0.1:1/login","action":"type \"{{password}}\" into [2] textbox \"Password\"","element":"textbox \"Password\"","reason":"best match","outcome":"typed {{password}}","approved_by":""}"#,
            "\n",
            r#"{"time":1795600001.0,"url":"http://127.0.0.1:1/login","action":"click [3] button \"Log in\"","element":"button \"Log in, now\"","reason":"submits Password","outcome":"clicked","approved_by":"user"}"#,
            "\n"
        ),
    )?;
    let run = |args: &[&str]| Command::new(clef_bin()).args(args).output();
    let path_text = path.to_string_lossy().into_owned();
    let csv = run(&["audit", "export", "--format", "csv", "--path", &path_text])?;
    let csv_text = String::from_utf8_lossy(&csv.stdout);
    check!(
        csv.status.success(),
        "{}",
        String::from_utf8_lossy(&csv.stderr)
    );
    let lines: Vec<&str> = csv_text.lines().collect();
    check!(
        lines.first() == Some(&"time,url,action,element,reason,outcome,approved_by,actor"),
        "{csv_text}"
    );
    check!(lines.len() == 3, "{csv_text}");
    check!(
        lines[2].contains("\"button \"\"Log in, now\"\"\"") && lines[2].ends_with(",user,agent"),
        "{}",
        lines[2]
    );
    let jsonl = run(&["audit", "export", "--path", &path_text])?;
    let records: Vec<serde_json::Value> = String::from_utf8_lossy(&jsonl.stdout)
        .lines()
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;
    check!(
        records.len() == 2 && records[1]["approved_by"] == "user",
        "{records:?}"
    );
    let show = run(&["audit", "show", "--path", &path_text])?;
    let shown = String::from_utf8_lossy(&show.stdout);
    check!(
        shown.contains("(2 records)")
            && shown.contains("approved by user")
            && shown.contains("2026-11-25 09:46:40 UTC"),
        "{shown}"
    );
    let _ = std::fs::remove_file(&path);
    Ok(())
}

/// With the network cut entirely (a fresh network namespace with no interfaces, not even
/// loopback up), Clef opens local files and every assistant feature works on them.
pub fn offline_every_assistant_feature_works_on_local_files(_: &Ctx) -> anyhow::Result<()> {
    let Some(model) = clef_tests::test_model()? else {
        println!("    skipped: test model missing (run scripts/setup.sh)");
        return Ok(());
    };
    if !Command::new("unshare")
        .args(["-n", "true"])
        .status()
        .is_ok_and(|status| status.success())
    {
        check!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI: cannot create a network namespace (unshare -n)"
        );
        println!(
            "    skipped: this machine cannot create a network namespace (unshare -n needs root or user namespaces)"
        );
        return Ok(());
    }
    let dir = std::env::temp_dir().join(format!("clef-offline-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    // A web page read once while online is kept in the user's page cache.
    let cache_home = dir.join("cache");
    // The article names its author only in JSON-LD, which the copy keeps as data.
    let with_author = fixtures::DANUBE.replace(
        "</head>",
        r#"<script type="application/ld+json">{"@type": "NewsArticle", "author": {"@type": "Person", "name": "Ada Riverbank"}}</script></head>"#,
    );
    let server = TestServer::start([
        ("/danube", Route::html(with_author)),
        ("/subscribe", Route::html(fixtures::DIALOG_SUBSCRIBE)),
    ])?;
    let web_page = server.url("/danube");
    let web_form = server.url("/subscribe");
    // Where the policy turns copies off, none is kept.
    let no_copies = dir.join("no-copies.json");
    std::fs::write(
        &no_copies,
        r#"{"policies": {"PageCache": {"Enabled": false}}}"#,
    )?;
    let output = Command::new(clef_bin())
        .env("XDG_CACHE_HOME", &cache_home)
        .env("CLEF_POLICIES", &no_copies)
        .args(["read", &web_page])
        .output()?;
    check!(
        output.status.success() && !cache_home.join("clef/pages").exists(),
        "a copy was kept against the policy: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    // A page without an article is kept too, though reader view finds nothing to show.
    for (page, readable) in [(&web_page, true), (&web_form, false)] {
        let output = Command::new(clef_bin())
            .env("XDG_CACHE_HOME", &cache_home)
            .args(["read", page])
            .output()?;
        let stderr = String::from_utf8_lossy(&output.stderr);
        check!(
            output.status.success() == readable,
            "read {page} online: {stderr}"
        );
        check!(
            !readable || String::from_utf8_lossy(&output.stdout).contains("Ada Riverbank"),
            "no byline online: {}",
            String::from_utf8_lossy(&output.stdout)
        );
        check!(
            stderr.matches("no article found").count() <= 1,
            "the reason is said twice: {stderr}"
        );
    }
    let article = dir.join("danube.html");
    std::fs::write(&article, fixtures::DANUBE)?;
    let form = dir.join("subscribe.html");
    std::fs::write(&form, fixtures::DIALOG_SUBSCRIBE)?;
    let model = model.to_string_lossy().into_owned();
    let offline = |args: &[&str]| -> anyhow::Result<Output> {
        Ok(Command::new("unshare")
            .arg("-n")
            .arg(clef_bin())
            .args(args)
            .env("XDG_CACHE_HOME", &cache_home)
            .output()?)
    };
    // Offline, the web page is read, summarized and asked about from its saved copy.
    for args in [
        vec!["read", &web_page],
        vec!["summarize", &web_page, "--model", &model],
        vec![
            "ask",
            &web_page,
            "Which capital cities are on the Danube?",
            "--model",
            &model,
        ],
    ] {
        let output = offline(&args)?;
        let (stdout, stderr) = (
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
        );
        check!(
            output.status.success()
                && (stdout.contains("Vienna") || stdout.contains("Sources:"))
                && (args[0] != "read" || stdout.contains("Ada Riverbank"))
                && stderr.contains("reading the copy saved"),
            "{} offline from the saved copy: {stdout}\n{stderr}",
            args[0]
        );
    }
    // A task on a saved copy: the form is filled and sent, locally, in the copy.
    let audit_for_copy = dir.join("audit-copy.jsonl");
    let output = offline(&[
        "run",
        "--start",
        &web_form,
        "--task",
        "subscribe with email bob@example.com",
        "--audit",
        &audit_for_copy.to_string_lossy(),
        "--model",
        &model,
    ])?;
    let (stdout, stderr) = (
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    check!(
        output.status.success()
            && stdout.contains("done:")
            && stderr.contains("working on the copy saved"),
        "run offline on the saved copy ({:?}): {stdout}\n{stderr}",
        output.status.code()
    );
    // The copy is the site's page: the site's policy still governs it.
    let policy = dir.join("no-access.json");
    std::fs::write(
        &policy,
        r#"{"policies": {"DomainAccess": {"127.0.0.1": "no-access"}}}"#,
    )?;
    let output = Command::new("unshare")
        .arg("-n")
        .arg(clef_bin())
        .args(["ask", &web_page, "Which capital cities?", "--model", &model])
        .env("XDG_CACHE_HOME", &cache_home)
        .env("CLEF_POLICIES", &policy)
        .output()?;
    fails_with(&output, "127.0.0.1")?;
    // A page never opened has no copy: a clear network error.
    let output = offline(&["read", &server.url("/never-opened")])?;
    fails_with(&output, "could not load")?;
    let article_path = article.to_string_lossy().into_owned();
    let output = offline(&["read", &article_path])?;
    check!(
        output.status.success() && String::from_utf8_lossy(&output.stdout).contains("Vienna"),
        "read offline: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let output = offline(&["summarize", &article_path, "--model", &model])?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    check!(
        output.status.success() && stdout.contains("Sources:"),
        "summarize offline: {stdout} {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let output = offline(&[
        "ask",
        &article_path,
        "Which capital cities are on the Danube?",
        "--model",
        &model,
    ])?;
    check!(
        output.status.success() && String::from_utf8_lossy(&output.stdout).contains("Sources:"),
        "ask offline: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let audit = dir.join("audit.jsonl");
    let output = offline(&[
        "run",
        "--start",
        &form.to_string_lossy(),
        "--task",
        "subscribe with email bob@example.com",
        "--audit",
        &audit.to_string_lossy(),
        "--model",
        &model,
    ])?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    check!(
        output.status.success() && stdout.contains("done:"),
        "run offline ({:?}): {stdout} {}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
