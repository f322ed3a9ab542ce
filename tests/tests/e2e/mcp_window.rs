//! `clef mcp --window`: the official Python SDK drives tabs of the visible window over loopback
//! HTTP while the user watches; the pane lists the calls, and its Pause refuses the client's
//! actions until the user resumes.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use clef_tests::clef_bin;
use serde_json::{Value, json};

use crate::check;
use crate::harness::Ctx;
use crate::mcp::{client, data_home, free_port, login_site, model_path, posted_user, python};
use crate::window::{
    clef_window, colour_box, log_tail, start_xvfb, tools_present, wait_for_screen, wait_for_title,
    xdotool,
};

/// The background of the pane's button that pauses the clients (`pane.html`).
const CLIENT_PAUSE: [u8; 3] = [0xc2, 0x18, 0x5b];

/// Click the pane's Pause / Resume button of the clients.
fn click_client_pause(display: &str) -> anyhow::Result<()> {
    let shot = std::env::temp_dir().join(format!("clef-mcp-window-{}.png", std::process::id()));
    let screen = wait_for_screen(
        display,
        &shot,
        Duration::from_secs(20),
        "the pane shows no Pause for the clients",
        |image| colour_box(image, CLIENT_PAUSE, crate::window::PANE_WIDTH).is_some(),
    )
    .map_err(|error| anyhow::anyhow!("{error}; the window's log:\n{}", log_tail(display)))?;
    let Some((left, top, right, bottom)) =
        colour_box(&screen, CLIENT_PAUSE, crate::window::PANE_WIDTH)
    else {
        anyhow::bail!("the pane's Pause went away (screen: {})", shot.display());
    };
    let (x, y) = (
        ((left + right) / 2).to_string(),
        ((top + bottom) / 2).to_string(),
    );
    xdotool(display, &["mousemove", &x, &y, "click", "1"])?;
    // The pane's command reaches the window on its next spin.
    std::thread::sleep(Duration::from_millis(700));
    Ok(())
}

fn failed(step: &Value) -> bool {
    step["error"].as_bool().unwrap_or(true)
}

pub fn clients_drive_a_visible_tab_and_pause(_: &Ctx) -> anyhow::Result<()> {
    if !tools_present(&["Xvfb", "xdotool"])? {
        return Ok(());
    }
    let (Some(python), Some(model)) = (python()?, model_path()?) else {
        return Ok(());
    };
    // Without a display: a clear error, not a hang.
    let headless = Command::new(clef_bin())
        .args(["mcp", "--window"])
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .stdin(Stdio::null())
        .output()?;
    let said = String::from_utf8_lossy(&headless.stderr);
    check!(
        !headless.status.success() && said.contains("no display"),
        "clef mcp --window without a display: {said}"
    );
    let site = login_site()?;
    let data = data_home("window");
    let secret = crate::mcp::save_password(&site, &data)?;
    let _locked = crate::acting::LockOnDrop(data.join("clef/profile"));
    let port = free_port()?;
    let (_xvfb, display) = start_xvfb()?;
    let mut command = Command::new(clef_bin());
    command
        .args(["mcp", "--window", "--http", &format!("127.0.0.1:{port}")])
        .args(["--allow-origin", &crate::acting::origin(&site)])
        .arg("--model")
        .arg(&model)
        .env("XDG_DATA_HOME", &data)
        .env("XDG_CONFIG_HOME", data.join("config"))
        .env_remove("DBUS_SESSION_BUS_ADDRESS");
    let clef = clef_window(command, &display)?;
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        check!(
            Instant::now() < deadline,
            "clef mcp --window did not listen; the window's log:\n{}",
            log_tail(&display)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let token = std::fs::read_to_string(data.join("clef/mcp-token"))?;
    let transport = [
        "--http".to_owned(),
        format!("http://127.0.0.1:{port}/mcp"),
        "--token".to_owned(),
        token.trim().to_owned(),
    ];

    // The client signs in with the saved password, by its placeholder, in a tab of the window.
    let login = site.url("/login");
    let steps = json!([
        {"tool": "browser_navigate", "args": {"url": login}},
        {"tool": "browser_type", "args": {"element": "Username field", "text": "kanesha"},
         "refs": {"target": "textbox \"Username\""}},
        {"tool": "browser_type", "args": {"element": "Password field", "text": "{{password}}"},
         "refs": {"ref": "textbox \"Password\""}},
        {"tool": "browser_click", "args": {"element": "Log in button"},
         "refs": {"target": "button \"Log in\""}},
        {"tool": "browser_take_screenshot", "args": {}},
    ]);
    let report = client(&python, "auto", &steps, &transport, &data)?;
    for (number, step) in report.iter().enumerate() {
        check!(
            !failed(step),
            "step {number} failed: {step}\nthe window's log:\n{}",
            log_tail(&display)
        );
        check!(
            !step.to_string().contains(&secret),
            "the saved password reached the client: {step}"
        );
    }
    check!(
        report
            .last()
            .is_some_and(|step| step["images"] == json!(["image/png"])),
        "no screenshot: {report:?}"
    );
    check!(
        posted_user(&site, "kanesha")
            && site
                .received()
                .iter()
                .any(|request| String::from_utf8_lossy(&request.body).contains(&secret)),
        "the site did not receive the login: {:?}",
        site.received()
    );
    // The user sees it happen: the window shows the client's tab.
    wait_for_title(&display, "Welcome")?;

    // The user pauses the clients: an action is refused, and says why.
    click_client_pause(&display)?;
    let steps = json!([{"tool": "browser_navigate", "args": {"url": site.url("/get-login")}}]);
    let report = client(&python, "auto", &steps, &transport, &data)?;
    check!(
        report.first().is_some_and(
            |step| failed(step) && step["text"].as_str().unwrap_or_default().contains("paused")
        ),
        "a paused client still acted: {report:?}"
    );
    check!(
        !site
            .received()
            .iter()
            .any(|request| request.target.starts_with("/get-login")),
        "the page was requested while the clients were paused"
    );

    // Resumed: the client drives again.
    click_client_pause(&display)?;
    let report = client(&python, "auto", &steps, &transport, &data)?;
    check!(
        report.first().is_some_and(|step| !failed(step)),
        "the resumed client could not act: {report:?}\n{}",
        log_tail(&display)
    );
    wait_for_title(&display, "Old login")?;
    // A page's dialog in a client's tab is not the user's to answer: the safe default, and
    // the client is told what it said.
    let steps = json!([
        {"tool": "browser_navigate", "args": {"url": site.url("/greet")}},
        {"tool": "browser_click", "args": {"element": "Greet button"},
         "refs": {"target": "button \"Greet\""}},
        {"tool": "browser_snapshot"},
    ]);
    let report = client(&python, "auto", &steps, &transport, &data)?;
    check!(
        report.iter().all(|step| !failed(step))
            && report[1]["text"]
                .as_str()
                .is_some_and(|text| text.contains("Stay tuned")),
        "the client's dialog: {report:?}\n{}",
        log_tail(&display)
    );
    let audit = std::fs::read_to_string(data.join("clef/audit.jsonl")).unwrap_or_default();
    check!(
        audit.contains("clef-e2e-client") && audit.contains("get-login"),
        "the audit lacks the client's calls:\n{audit}"
    );
    drop(clef);

    // Over stdio the client started the window: it closes when the client goes away.
    let mut command = Command::new(clef_bin());
    command
        .args(["mcp", "--window", "--model"])
        .arg(&model)
        .env("XDG_DATA_HOME", data.join("stdio"))
        .env("XDG_CONFIG_HOME", data.join("config"))
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .stdin(Stdio::piped());
    let mut stdio = clef_window(command, &display)?;
    wait_for_title(&display, "New tab")?;
    drop(stdio.0.stdin.take());
    let deadline = Instant::now() + Duration::from_secs(20);
    let exited = loop {
        if let Some(status) = stdio.0.try_wait()? {
            break Some(status);
        }
        if Instant::now() > deadline {
            break None;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    check!(
        exited.is_some(),
        "the window stayed open after its stdio client went away; its log:\n{}",
        log_tail(&display)
    );
    let _ = std::fs::remove_dir_all(&data);
    Ok(())
}
