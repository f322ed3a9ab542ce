//! Clef's MCP server driven by real clients: the official Python SDK over stdio and over
//! Streamable HTTP (both protocol revisions), against pages served on 127.0.0.1; what the page
//! shows, what the server received, what the client was told and what the audit kept.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use clef_agent::forms::FieldKind;
use clef_browser::assistant::SecretsVault;
use clef_profile::secrets::StoreChoice;
use clef_tests::server::{Request, Route, TestServer};
use clef_tests::{clef_bin, mcp_python, stop_gracefully};
use serde_json::{Value, json};

use crate::acting::{origin, profile, secret};
use crate::check;
use crate::harness::Ctx;

const LOGIN_FORM: &str = r#"<!doctype html><title>Members login</title>
<h1>Members login</h1>
<form method="post" action="/login">
<label>Username <input name="user"></label>
<label>Password <input type="password" name="pass"></label>
<button>Log in</button></form>"#;

/// A sign-in whose form sends the password in the address (GET), as some sites still do.
const GET_LOGIN: &str = r#"<!doctype html><title>Old login</title>
<form action="/welcome"><label>Password <input type="password" name="pass"></label>
<button>Go</button></form>"#;

/// A button whose page opens an alert.
const GREET: &str = r#"<!doctype html><title>Greeting</title>
<button onclick="alert('Stay tuned'); this.textContent = 'Greeted'">Greet</button>"#;

pub(crate) fn login_site() -> anyhow::Result<TestServer> {
    Ok(TestServer::start([
        ("/get-login", Route::html(GET_LOGIN)),
        ("/greet", Route::html(GREET)),
        (
            "/welcome",
            Route::html("<!doctype html><title>Welcome back</title><p>Welcome back</p>"),
        ),
        (
            "/login",
            Route::dynamic(|request: &Request| {
                if request.method == "POST" {
                    let body = String::from_utf8_lossy(&request.body);
                    let user = body
                        .split('&')
                        .find_map(|pair| pair.strip_prefix("user="))
                        .unwrap_or("nobody")
                        .to_owned();
                    let page =
                        format!("<!doctype html><title>Welcome</title><p>Welcome {user}</p>");
                    (200, "text/html", page.into_bytes())
                } else {
                    (200, "text/html", LOGIN_FORM.as_bytes().to_vec())
                }
            }),
        ),
    ])?)
}

/// A data folder of its own (token, audit) for one server.
pub(crate) fn data_home(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("clef-mcp-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Run the Python SDK client with `steps`; its report, one entry per step.
pub(crate) fn client(
    python: &Path,
    mode: &str,
    steps: &Value,
    transport: &[String],
    data: &Path,
) -> anyhow::Result<Vec<Value>> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("mcp/client.py");
    let output = Command::new(python)
        .arg(script)
        .args(["--mode", mode, "--steps", &steps.to_string()])
        .args(transport)
        .env("XDG_DATA_HOME", data)
        .stderr(Stdio::piped())
        .output()?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    anyhow::ensure!(
        output.status.success(),
        "the MCP client failed: {}\n{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(serde_json::from_str(&stdout)?)
}

pub fn model_path() -> anyhow::Result<Option<PathBuf>> {
    let model = clef_tests::test_model()?;
    if model.is_none() {
        println!("    skipped: test model missing (run scripts/setup.sh)");
    }
    Ok(model)
}

pub(crate) fn python() -> anyhow::Result<Option<PathBuf>> {
    let python = mcp_python()?;
    if python.is_none() {
        println!("    skipped: the MCP SDK is missing (run scripts/setup.sh)");
    }
    Ok(python)
}

/// The steps every transport runs: list, open, type a name and the saved password from its
/// placeholder, log in, read, hand a task to the local agent, and two bad calls.
fn login_steps(server: &TestServer) -> Value {
    let login = server.url("/login");
    json!([
        {"list_tools": true},
        {"tool": "browser_navigate", "args": {"url": login}},
        {"tool": "browser_type", "args": {"element": "Username field", "text": "kanesha"},
         "refs": {"target": "textbox \"Username\""}},
        {"tool": "browser_type", "args": {"element": "Password field", "text": "{{password}}"},
         "refs": {"ref": "textbox \"Password\""}},
        {"tool": "browser_click", "args": {"element": "Log in button"},
         "refs": {"target": "button \"Log in\""}},
        {"tool": "browser_snapshot"},
        {"tool": "browser_take_screenshot", "args": {}},
        {"tool": "browser_click", "args": {"element": "gone", "target": "e9999"}},
        {"tool": "browser_teleport", "args": {}},
        {"tool": "browser_navigate", "args": {"url": 42}},
        {"tool": "clef_run_task",
         "args": {"task": "log in as alice with my saved password", "startUrl": login}},
        {"tool": "browser_navigate", "args": {"url": server.url("/get-login")}},
        {"tool": "browser_type", "args": {"text": "{{password}}"},
         "refs": {"target": "textbox \"Password\""}},
        {"tool": "browser_click", "args": {}, "refs": {"target": "button \"Go\""}},
        {"tool": "browser_tabs", "args": {"action": "list"}},
        // The local agent on the same GET form: its steps, progress and audit lines too.
        {"tool": "clef_run_task",
         "args": {"task": "sign in with my saved password", "startUrl": server.url("/get-login")}},
    ])
}

/// What every transport must show for [`login_steps`].
fn check_login_report(
    report: &[Value],
    server: &TestServer,
    secret: &str,
    audit: &Path,
) -> anyhow::Result<()> {
    let text = |index: usize| {
        report[index]["text"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let failed = |index: usize| report[index]["error"].as_bool().unwrap_or(true);
    check!(report.len() == 16, "a report per step: {report:?}");
    let tools: Vec<&str> = report[0]["tools"]
        .as_array()
        .map(|tools| {
            tools
                .iter()
                .filter_map(|tool| tool["name"].as_str())
                .collect()
        })
        .unwrap_or_default();
    for name in [
        "browser_navigate",
        "browser_navigate_back",
        "browser_snapshot",
        "browser_click",
        "browser_type",
        "browser_fill_form",
        "browser_select_option",
        "browser_press_key",
        "browser_hover",
        "browser_wait_for",
        "browser_tabs",
        "browser_take_screenshot",
        "browser_close",
        "clef_read",
        "clef_summarize",
        "clef_ask",
        "clef_run_task",
    ] {
        check!(tools.contains(&name), "{name} is not listed: {tools:?}");
    }
    check!(
        !tools.contains(&"browser_evaluate"),
        "browser_evaluate is offered without --allow-evaluate"
    );
    let snapshot_tool = report[0]["tools"]
        .as_array()
        .and_then(|tools| tools.iter().find(|tool| tool["name"] == "browser_snapshot"));
    check!(
        snapshot_tool.is_some_and(|tool| tool["readOnly"] == true),
        "browser_snapshot is not marked read-only"
    );
    check!(
        !failed(1) && text(1).contains("textbox \"Username\" [ref=e"),
        "navigate: {}",
        text(1)
    );
    check!(
        !failed(2) && text(2).contains("kanesha"),
        "type: {}",
        text(2)
    );
    check!(!failed(3), "typing the saved password: {}", text(3));
    check!(
        !failed(4) && text(4).contains("Welcome kanesha"),
        "log in: {}",
        text(4)
    );
    let posted = server
        .received()
        .into_iter()
        .filter(|request| request.method == "POST")
        .map(|request| String::from_utf8_lossy(&request.body).into_owned())
        .collect::<Vec<_>>();
    check!(
        posted
            .iter()
            .any(|body| body.contains("user=kanesha") && body.contains(&format!("pass={secret}"))),
        "the site did not receive the login: {posted:?}"
    );
    check!(
        !failed(5) && text(5).contains("Welcome kanesha"),
        "snapshot: {}",
        text(5)
    );
    check!(
        !failed(6) && report[6]["images"] == json!(["image/png"]),
        "screenshot: {}",
        report[6]
    );
    check!(
        failed(7) && text(7).contains("not found"),
        "a ref that does not exist: {}",
        report[7]
    );
    check!(
        report[8]["protocol"] == true && text(8).contains("-32602"),
        "an unknown tool is a protocol error: {}",
        report[8]
    );
    check!(failed(9), "bad arguments are an error: {}", report[9]);
    let progress = report[10]["progress"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    check!(
        !progress.is_empty() && text(10).contains("1. "),
        "the task reports its steps as progress: {}",
        report[10]
    );
    check!(
        posted_user(server, "alice"),
        "the local agent's task did not log in: {}",
        text(10)
    );
    // The site put the password in its address: the site has it, the client is shown a
    // placeholder in its place.
    check!(
        server
            .targets()
            .iter()
            .any(|target| target.contains(&format!("pass={secret}"))),
        "the GET form was not sent: {:?}",
        server.targets()
    );
    check!(
        !failed(13) && text(13).contains("pass=[saved password]"),
        "the address after a GET form: {}",
        text(13)
    );
    check!(text(14).contains("[saved password]"), "tabs: {}", text(14));
    // The client never receives the secret, whatever it called.
    let everything = serde_json::to_string(report)?;
    check!(
        !everything.contains(secret),
        "the secret reached the client"
    );
    let log = std::fs::read_to_string(audit)?;
    check!(
        !log.contains(secret),
        "the secret reached the audit log: {:?}",
        log.lines()
            .filter(|line| line.contains(secret))
            .map(|line| line.replace(secret, "<SECRET>"))
            .collect::<Vec<_>>()
    );
    check!(
        log.contains(r#""actor":"MCP client \"clef-e2e-client\"""#)
            && log.contains(r#""actor":"agent for MCP client \"clef-e2e-client\"""#),
        "the audit does not say which client acted: {log}"
    );
    check!(
        log.contains(r#""action":"go to http"#),
        "the client's navigation is not audited: {log}"
    );
    Ok(())
}

pub(crate) fn posted_user(server: &TestServer, user: &str) -> bool {
    server.received().iter().any(|request| {
        request.method == "POST"
            && String::from_utf8_lossy(&request.body).contains(&format!("user={user}"))
    })
}

/// A password saved for `server`'s site in the profile of the data home `data` (its encrypted
/// file unlocked for the session, as `clef mcp` running there will find it).
pub(crate) fn save_password(server: &TestServer, data: &Path) -> anyhow::Result<String> {
    let secret = secret();
    let mut vault = SecretsVault::open(profile(), &data.join("clef/profile"), StoreChoice::File);
    let secrets = vault
        .secrets_mut()
        .map_err(|error| anyhow::anyhow!("{error}"))?;
    if secrets.needs_passphrase().is_some() {
        secrets.unlock(crate::acting::TEST_PASSPHRASE)?;
    }
    vault.save(&origin(server), FieldKind::Password, &secret)?;
    Ok(secret)
}

/// The official Python SDK over stdio: the client starts `clef mcp` itself.
pub fn python_sdk_over_stdio(_: &Ctx) -> anyhow::Result<()> {
    let (Some(python), Some(model)) = (python()?, model_path()?) else {
        return Ok(());
    };
    for mode in ["legacy", "2026-07-28"] {
        let server = login_site()?;
        let data = data_home(&format!("stdio-{mode}"));
        let secret = save_password(&server, &data)?;
        let mut transport = vec!["--stdio".to_owned(), clef_bin().display().to_string()];
        transport.extend(["mcp", "--allow-origin"].map(str::to_owned));
        transport.push(origin(&server));
        transport.push("--model".to_owned());
        transport.push(model.display().to_string());
        let report = client(&python, mode, &login_steps(&server), &transport, &data)?;
        let checked = check_login_report(&report, &server, &secret, &data.join("clef/audit.jsonl"));
        crate::acting::lock_store(&data.join("clef/profile"));
        checked.map_err(|error| anyhow::anyhow!("{mode}: {error}"))?;
        let _ = std::fs::remove_dir_all(&data);
    }
    Ok(())
}

/// A free port on loopback (the kernel's choice, released for the server to take).
pub(crate) fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

fn start_http(port: u16, data: &Path, model: &Path, extra: &[&str]) -> anyhow::Result<Child> {
    let child = Command::new(clef_bin())
        .args(["mcp", "--http", &format!("127.0.0.1:{port}"), "--model"])
        .arg(model)
        .args(extra)
        .env("XDG_DATA_HOME", data)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        anyhow::ensure!(Instant::now() < deadline, "clef mcp --http did not listen");
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(child)
}

/// The status line of a raw POST to the server (no SDK: what a stranger would send).
fn raw_post(port: u16, headers: &str) -> anyhow::Result<String> {
    let body = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#;
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n\
         Accept: application/json, text/event-stream\r\n{headers}Content-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    Ok(answer.lines().next().unwrap_or_default().to_owned())
}

/// Two clients at once, each in a session of its own: each sees only its own tabs.
fn two_clients_at_once(python: &Path, port: u16, token: &str, data: &Path) -> anyhow::Result<()> {
    let sites = [login_site()?, login_site()?];
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("mcp/client.py");
    let mut children = Vec::new();
    for site in &sites {
        let steps = json!([
            {"tool": "browser_navigate", "args": {"url": site.url("/login")}},
            {"tool": "browser_wait_for", "args": {"time": 1}},
            {"tool": "browser_snapshot"},
            {"tool": "browser_tabs", "args": {"action": "list"}},
        ]);
        children.push(
            Command::new(python)
                .arg(&script)
                .args(["--mode", "legacy", "--steps", &steps.to_string()])
                .args([
                    "--http",
                    &format!("http://127.0.0.1:{port}/mcp"),
                    "--token",
                    token,
                ])
                .env("XDG_DATA_HOME", data)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()?,
        );
    }
    for (child, site) in children.into_iter().zip(&sites) {
        let output = child.wait_with_output()?;
        check!(
            output.status.success(),
            "a client failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let report: Vec<Value> = serde_json::from_slice(&output.stdout)?;
        let own = site.url("/login");
        let snapshot = report[2]["text"].as_str().unwrap_or_default();
        let tabs = report[3]["text"].as_str().unwrap_or_default();
        check!(
            snapshot.contains(&own) && tabs.matches("](").count() == 1,
            "a client saw another's tabs: {snapshot}\n{tabs}"
        );
    }
    Ok(())
}

/// The official Python SDK over Streamable HTTP, with the profile's bearer token; requests
/// without it, from a web page's origin, or with a foreign Host are refused; only loopback
/// addresses are served.
pub fn python_sdk_over_http(_: &Ctx) -> anyhow::Result<()> {
    let (Some(python), Some(model)) = (python()?, model_path()?) else {
        return Ok(());
    };
    let data = data_home("http");
    let port = free_port()?;
    // Over HTTP the person starting the server says yes to risky steps (submitting the
    // saved password to a site not approved beforehand); over stdio the site is approved.
    let mut child = start_http(port, &data, &model, &["--confirm", "allow"])?;
    let result = (|| {
        let token = std::fs::read_to_string(data.join("clef/mcp-token"))?
            .trim()
            .to_owned();
        check!(token.len() == 64, "the token file holds {token:?}");
        let bearer = format!("Authorization: Bearer {token}\r\n");
        let unauthorized = raw_post(port, "")?;
        check!(unauthorized.contains(" 401"), "no token: {unauthorized}");
        let wrong = raw_post(
            port,
            &format!("Authorization: Bearer {}\r\n", "0".repeat(64)),
        )?;
        check!(wrong.contains(" 401"), "a wrong token: {wrong}");
        let rebinding = raw_post(
            port,
            &format!("{bearer}Origin: http://attacker.example\r\n"),
        )?;
        check!(
            rebinding.contains(" 403"),
            "a web page's origin: {rebinding}"
        );
        let allowed = raw_post(port, &bearer)?;
        check!(
            !allowed.contains(" 401") && !allowed.contains(" 403"),
            "with the token: {allowed}"
        );
        for mode in ["legacy", "2026-07-28"] {
            let server = login_site()?;
            let secret = save_password(&server, &data)?;
            let transport = vec![
                "--http".to_owned(),
                format!("http://127.0.0.1:{port}/mcp"),
                "--token".to_owned(),
                token.clone(),
            ];
            let report = client(&python, mode, &login_steps(&server), &transport, &data)?;
            check_login_report(&report, &server, &secret, &data.join("clef/audit.jsonl"))
                .map_err(|error| anyhow::anyhow!("{mode}: {error}"))?;
        }
        two_clients_at_once(&python, port, &token, &data)?;
        Ok(())
    })();
    stop_gracefully(&mut child);
    let public = Command::new(clef_bin())
        .args(["mcp", "--http", "0.0.0.0:9224"])
        .env("XDG_DATA_HOME", &data)
        .output()?;
    crate::acting::lock_store(&data.join("clef/profile"));
    let _ = std::fs::remove_dir_all(&data);
    result?;
    let message = String::from_utf8_lossy(&public.stderr);
    check!(
        !public.status.success() && message.contains("not a loopback address"),
        "a public address was served: {message}"
    );
    Ok(())
}

/// The organisation's policy holds for MCP clients: the server can be turned off, a read-only
/// site can be read but not acted on, a feature turned off is not offered, and scripts run
/// only where the policy allows them.
pub fn policy_governs_the_server(_: &Ctx) -> anyhow::Result<()> {
    let Some(python) = python()? else {
        return Ok(());
    };
    let data = data_home("policy");
    std::fs::create_dir_all(&data)?;
    let policy_file = data.join("policies.json");
    std::fs::write(&policy_file, r#"{"policies": {"Mcp": {"Enabled": false}}}"#)?;
    let off = Command::new(clef_bin())
        .arg("mcp")
        .env("CLEF_POLICIES", &policy_file)
        .env("XDG_DATA_HOME", &data)
        .stdin(Stdio::null())
        .output()?;
    let message = String::from_utf8_lossy(&off.stderr);
    check!(
        !off.status.success() && message.contains("MCP server"),
        "the MCP server ran though the policy turns it off: {message}"
    );
    std::fs::write(
        &policy_file,
        r#"{"policies": {"Mcp": {"Evaluate": true}, "Features": {"Summary": false},
            "DomainAccess": {"127.0.0.1": "read-only"}}}"#,
    )?;
    let server = login_site()?;
    let steps = json!([
        {"list_tools": true},
        {"tool": "browser_navigate", "args": {"url": server.url("/login")}},
        {"tool": "browser_click", "args": {"element": "Log in button"},
         "refs": {"target": "button \"Log in\""}},
        {"tool": "browser_evaluate", "args": {"function": "() => document.title"}},
        {"tool": "clef_summarize", "args": {}},
        // The same server under another name, which the policy leaves at full access.
        {"tool": "browser_navigate",
         "args": {"url": server.url("/login").replace("127.0.0.1", "localhost")}},
        {"tool": "browser_evaluate", "args": {"function": "() => document.title"}},
        // Back to the read-only site in the same tab, now guarded: reading it still works.
        {"tool": "browser_navigate", "args": {"url": server.url("/login")}},
    ]);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("mcp/client.py");
    let output = Command::new(&python)
        .arg(script)
        .args(["--mode", "legacy", "--steps", &steps.to_string(), "--stdio"])
        .arg(clef_bin())
        .arg("mcp")
        .env("CLEF_POLICIES", &policy_file)
        .env("XDG_DATA_HOME", &data)
        .output()?;
    let _ = std::fs::remove_dir_all(&data);
    check!(
        output.status.success(),
        "the client failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Vec<Value> = serde_json::from_slice(&output.stdout)?;
    check!(report.len() == 8, "a report per step: {report:?}");
    let tools: Vec<&str> = report[0]["tools"]
        .as_array()
        .map(|tools| {
            tools
                .iter()
                .filter_map(|tool| tool["name"].as_str())
                .collect()
        })
        .unwrap_or_default();
    check!(
        tools.contains(&"browser_evaluate") && !tools.contains(&"clef_summarize"),
        "the tools offered ignore the policy: {tools:?}"
    );
    check!(
        report[1]["error"] == false,
        "reading a read-only site: {}",
        report[1]
    );
    check!(
        report[2]["error"] == true
            && report[2]["text"]
                .as_str()
                .is_some_and(|text| text.contains("act")),
        "a click on a read-only site: {}",
        report[2]
    );
    check!(
        server.received().iter().all(|r| r.method != "POST"),
        "the site received a form on a read-only site"
    );
    check!(
        report[3]["error"] == true,
        "a client's script on a read-only site: {}",
        report[3]
    );
    check!(
        report[6]["error"] == false
            && report[6]["text"]
                .as_str()
                .is_some_and(|text| text.contains("Members login")),
        "a client's script where the policy allows it: {}",
        report[6]
    );
    check!(
        report[7]["error"] == false
            && report[7]["text"]
                .as_str()
                .is_some_and(|text| text.contains("Members login")),
        "reading a read-only site in a guarded tab: {}",
        report[7]
    );
    check!(
        report[4]["protocol"] == true,
        "a tool the policy withholds is not callable: {}",
        report[4]
    );
    Ok(())
}

/// The MCP Inspector's CLI (npm) starts `clef mcp` itself, lists the tools and calls one.
pub fn inspector_cli_lists_and_calls(_: &Ctx) -> anyhow::Result<()> {
    let Some((modules, path)) = clef_tests::mcp_node()? else {
        println!("    skipped: the MCP clients from npm are missing (run scripts/setup.sh)");
        return Ok(());
    };
    let server = login_site()?;
    let data = data_home("inspector");
    let inspector = |extra: &[&str]| -> anyhow::Result<Value> {
        let output = Command::new(modules.join(".bin/mcp-inspector"))
            .arg("--cli")
            .arg(clef_bin())
            .arg("mcp")
            .args(extra)
            .env("PATH", &path)
            .env("XDG_DATA_HOME", &data)
            .output()?;
        anyhow::ensure!(
            output.status.success(),
            "the Inspector failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        Ok(serde_json::from_slice(&output.stdout)?)
    };
    let listed = inspector(&["--method", "tools/list"])?;
    let login = server.url("/login");
    let url_arg = format!("url={login}");
    let called = inspector(&[
        "--method",
        "tools/call",
        "--tool-name",
        "browser_navigate",
        "--tool-arg",
        &url_arg,
    ])?;
    let _ = std::fs::remove_dir_all(&data);
    let count = listed["tools"].as_array().map_or(0, Vec::len);
    check!(count >= 17, "the Inspector lists {count} tools: {listed}");
    let text = called["content"][0]["text"].as_str().unwrap_or_default();
    check!(
        called["isError"] == false && text.contains("textbox \"Username\" [ref=e"),
        "browser_navigate through the Inspector: {called}"
    );
    check!(server.hits("/login") >= 1, "the page was not loaded");
    Ok(())
}

/// Splice one client connection to `upstream`, adding the bearer token to its request (the
/// conformance suite cannot send one) and closing after the answer, which streams as is.
fn forward_with_token(client: TcpStream, upstream: u16, token: &str) -> anyhow::Result<()> {
    let mut reader = std::io::BufReader::new(client.try_clone()?);
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if std::io::BufRead::read_line(&mut reader, &mut line)? == 0 {
            return Ok(());
        }
        if line == "\r\n" {
            break;
        }
        let lower = line.to_ascii_lowercase();
        if !lower.starts_with("connection:") && !lower.starts_with("authorization:") {
            head.push_str(&line);
        }
    }
    let length = head
        .lines()
        .find_map(|line| {
            line.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .and_then(|value| value.trim().parse::<usize>().ok())
        })
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let mut server = TcpStream::connect(("127.0.0.1", upstream))?;
    write!(
        server,
        "{head}Authorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    )?;
    server.write_all(&body)?;
    let mut client = client;
    std::io::copy(&mut server, &mut client)?;
    Ok(())
}

/// The MCP conformance suite (npm) against `clef mcp --http`: the server scenarios that apply
/// to a server offering tools (initialisation, ping, listing tools, DNS-rebinding protection)
/// pass. Scenarios for features Clef does not offer (resources, prompts, completion, logging,
/// the suite's own test tools) are not run.
pub fn conformance_suite_server_scenarios(_: &Ctx) -> anyhow::Result<()> {
    let (Some((modules, path)), Some(model)) = (clef_tests::mcp_node()?, model_path()?) else {
        println!("    skipped: the MCP clients from npm are missing (run scripts/setup.sh)");
        return Ok(());
    };
    let data = data_home("conformance");
    let port = free_port()?;
    let mut child = start_http(port, &data, &model, &[])?;
    let result = (|| {
        let token = std::fs::read_to_string(data.join("clef/mcp-token"))?
            .trim()
            .to_owned();
        let proxy = std::net::TcpListener::bind("127.0.0.1:0")?;
        let proxy_port = proxy.local_addr()?.port();
        std::thread::spawn(move || {
            for client in proxy.incoming().flatten() {
                let token = token.clone();
                std::thread::spawn(move || {
                    if let Err(error) = forward_with_token(client, port, &token) {
                        eprintln!("    proxy: {error}");
                    }
                });
            }
        });
        let mut failures = Vec::new();
        for scenario in [
            "server-initialize",
            "ping",
            "tools-list",
            "server-sse-multiple-streams",
            "dns-rebinding-protection",
        ] {
            let output = Command::new("node")
                .arg(modules.join("@modelcontextprotocol/conformance/dist/index.js"))
                .args([
                    "server",
                    "--url",
                    &format!("http://localhost:{proxy_port}/mcp"),
                ])
                .args(["--scenario", scenario])
                .env("PATH", &path)
                .output()?;
            let stdout = String::from_utf8_lossy(&output.stdout);
            let summary = stdout
                .lines()
                .find(|line| line.starts_with("Passed:"))
                .unwrap_or("(no summary)");
            println!("    conformance {scenario}: {summary}");
            if !output.status.success() {
                failures.push(format!(
                    "{scenario}:\n{stdout}{}",
                    String::from_utf8_lossy(&output.stderr)
                ));
            }
        }
        check!(
            failures.is_empty(),
            "conformance failures:\n{}",
            failures.join("\n")
        );
        Ok(())
    })();
    stop_gracefully(&mut child);
    let _ = std::fs::remove_dir_all(&data);
    result
}

/// A client that goes away mid-task stops the task at its next step, and the server exits;
/// malformed lines and unknown methods on stdio are answered or dropped without ending the
/// session. Raw JSON-RPC lines here: no SDK sends malformed input or vanishes on purpose.
pub fn client_leaving_mid_task_stops_it(_: &Ctx) -> anyhow::Result<()> {
    use std::io::BufRead as _;
    let Some(model) = model_path()? else {
        return Ok(());
    };
    // Ten pages, each with one "Next" button to the next: a task that takes many steps.
    let server = TestServer::start([(
        "/step/*",
        Route::dynamic(|request: &Request| {
            let number: u32 = request
                .target
                .trim_start_matches("/step/")
                .split(['?', '/'])
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            let page = format!(
                "<!doctype html><title>Step {number}</title><h1>Step {number}</h1>\
                 <form action=\"/step/{}\"><button>Next</button></form>",
                number + 1
            );
            (200, "text/html", page.into_bytes())
        }),
    )])?;
    let data = data_home("leaving");
    let mut child = Command::new(clef_bin())
        .args(["mcp", "--model"])
        .arg(&model)
        .env("XDG_DATA_HOME", &data)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| anyhow::anyhow!("no stdin"))?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| anyhow::anyhow!("no stdout"))?;
    let (lines_tx, lines) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            let _ = lines_tx.send(line);
        }
    });
    let next = |what: &str| -> anyhow::Result<Value> {
        let line = lines
            .recv_timeout(Duration::from_secs(60))
            .map_err(|_| anyhow::anyhow!("no answer while waiting for {what}"))?;
        Ok(serde_json::from_str(&line)?)
    };
    writeln!(stdin, "{{this is not json")?;
    writeln!(
        stdin,
        r#"{{"jsonrpc":"2.0","id":1,"method":"initialize","params":{{"protocolVersion":"2025-11-25","capabilities":{{}},"clientInfo":{{"name":"leaving-client","version":"1"}}}}}}"#
    )?;
    let initialized = next("initialize")?;
    check!(
        initialized["result"]["serverInfo"]["name"] == "clef",
        "after a malformed line, initialize: {initialized}"
    );
    writeln!(
        stdin,
        r#"{{"jsonrpc":"2.0","method":"notifications/initialized"}}"#
    )?;
    writeln!(
        stdin,
        r#"{{"jsonrpc":"2.0","id":2,"method":"no/such/method"}}"#
    )?;
    let unknown = next("an unknown method")?;
    check!(
        unknown["error"]["code"] == -32601,
        "an unknown method: {unknown}"
    );
    let call = json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {
        "name": "clef_run_task",
        "arguments": {"task": "Press Next on every page until the end", "startUrl": server.url("/step/1")},
        "_meta": {"progressToken": "task"}}});
    writeln!(stdin, "{call}")?;
    let progress = next("the first step")?;
    check!(
        progress["method"] == "notifications/progress",
        "the first message is not progress: {progress}"
    );
    let left_at = Instant::now();
    drop(stdin);
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if Instant::now() > deadline {
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    if status.is_none() {
        let _ = child.kill();
    }
    let audit = std::fs::read_to_string(data.join("clef/audit.jsonl")).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&data);
    check!(
        status.is_some(),
        "clef mcp kept running after its client left"
    );
    let steps = audit.lines().count();
    check!(
        steps < 10 && server.hits("/step/10") == 0,
        "the task went on after the client left ({steps} steps audited, {:?} to exit)",
        left_at.elapsed()
    );
    check!(
        audit
            .lines()
            .all(|line| serde_json::from_str::<Value>(line).is_ok()),
        "an audit line is cut: {audit}"
    );
    Ok(())
}

/// `clef_history_search` exists only with `--allow-history`, answers from the profile's memory,
/// and the policy's `History.Memory: false` refuses the flag.
pub fn history_search_only_when_allowed(_: &Ctx) -> anyhow::Result<()> {
    let Some(python) = python()? else {
        return Ok(());
    };
    let data = data_home("history");
    let profile = clef_profile::Profile::default_dir(&data);
    {
        let opened = clef_profile::Profile::open(&profile)?;
        let store = opened.store()?.store;
        let url = "https://rail.example/night-trains";
        store.record_visit(
            url,
            "The return of night trains",
            clef_profile::Transition::Typed,
            1_764_000_000,
        )?;
        store.remember(
            url,
            "The return of night trains",
            &["The night train to Vienna now leaves at 19:58 from the Gare de l'Est.".to_owned()],
            1_764_000_000,
        )?;
    }
    let steps = json!([
        {"list_tools": true},
        {"tool": "clef_history_search", "args": {"query": "night train to Vienna"}},
    ]);
    let clef = clef_bin().to_string_lossy().into_owned();
    let allowed = client(
        &python,
        "legacy",
        &steps,
        &[
            "--stdio".to_owned(),
            clef.clone(),
            "mcp".to_owned(),
            "--allow-history".to_owned(),
        ],
        &data,
    )?;
    let tools = allowed[0]["tools"].to_string();
    check!(
        tools.contains("clef_history_search"),
        "tools with --allow-history: {tools}"
    );
    let found = allowed[1]["text"].as_str().unwrap_or_default();
    check!(
        allowed[1]["error"] == false
            && found.contains("https://rail.example/night-trains")
            && found.contains("19:58"),
        "history search: {}",
        allowed[1]
    );
    let plain = client(
        &python,
        "legacy",
        &json!([{"list_tools": true}]),
        &["--stdio".to_owned(), clef.clone(), "mcp".to_owned()],
        &data,
    )?;
    let tools = plain[0]["tools"].to_string();
    check!(
        !tools.contains("clef_history_search"),
        "tools without the flag: {tools}"
    );
    let policy = data.join("policies.json");
    std::fs::write(&policy, r#"{"policies": {"History": {"Memory": false}}}"#)?;
    let refused = Command::new(clef_bin())
        .args(["mcp", "--allow-history"])
        .env("CLEF_POLICIES", &policy)
        .env("XDG_DATA_HOME", &data)
        .stdin(Stdio::null())
        .output()?;
    let _ = std::fs::remove_dir_all(&data);
    check!(
        !refused.status.success()
            && String::from_utf8_lossy(&refused.stderr).contains("History.Memory"),
        "--allow-history against the policy: {}",
        String::from_utf8_lossy(&refused.stderr)
    );
    Ok(())
}
