//! Saved passwords and downloads through the real CLI and window: the encrypted file survives a
//! restart and what a reboot does to the kernel keyring, holds nothing in clear; a real Secret
//! Service (GNOME Keyring on a private D-Bus) keeps them when one runs; a login typed by hand is
//! offered, saved and filled on the next visit; files are downloaded with progress and cancel.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use clef_tests::clef_bin;
use clef_tests::server::{Route, TestServer};

use crate::check;
use crate::harness::Ctx;
use crate::window::{
    clef_window, focus_window, log_tail, start_xvfb, tools_present, wait_for_title, xdotool,
};

const PASSPHRASE: &str = "lisbon harbour at dawn";

/// A home of its own, with no desktop keyring unless the test starts one.
struct Home(PathBuf);

impl Home {
    fn new(name: &str) -> anyhow::Result<Self> {
        let dir = std::env::temp_dir().join(format!("clef-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        Ok(Self(dir))
    }

    fn clef(&self) -> Command {
        let mut command = Command::new(clef_bin());
        self.env(&mut command);
        command
    }

    /// `clef ARGS` in this home.
    fn cmd(&self, args: &[&str]) -> Command {
        let mut command = self.clef();
        command.args(args);
        command
    }

    fn env(&self, command: &mut Command) {
        command
            .env("HOME", &self.0)
            .env("XDG_DATA_HOME", self.0.join("data"))
            .env("XDG_CONFIG_HOME", self.0.join("config"))
            .env("XDG_CACHE_HOME", self.0.join("cache"))
            .env_remove("DBUS_SESSION_BUS_ADDRESS");
    }

    /// Whether any file under the home holds `text`.
    fn holds(&self, text: &str) -> Vec<PathBuf> {
        fn walk(dir: &Path, text: &[u8], out: &mut Vec<PathBuf>) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, text, out);
                } else if std::fs::read(&path)
                    .is_ok_and(|bytes| bytes.windows(text.len()).any(|window| window == text))
                {
                    out.push(path);
                }
            }
        }
        let mut found = Vec::new();
        walk(&self.0, text.as_bytes(), &mut found);
        found
    }
}

/// The home's passwords file is locked before it goes: its key leaves the kernel keyring,
/// which would otherwise keep one key per test run until the machine reboots (the keyring's
/// quota for a user other than root is 200 keys).
impl Drop for Home {
    fn drop(&mut self) {
        let _ = self.cmd(&["secret", "lock"]).output();
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Run `command` with `input` on standard input; (success, stdout, stderr).
fn run_with(mut command: Command, input: &str) -> anyhow::Result<(bool, String, String)> {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(input.as_bytes())?;
    }
    let output = child.wait_with_output()?;
    Ok((
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    ))
}

fn unshare_available() -> bool {
    Command::new("unshare")
        .args(["--user", "--map-root-user", "true"])
        .status()
        .is_ok_and(|status| status.success())
}

pub fn secrets_file_survives_a_reboot_and_holds_no_clear_text(_: &Ctx) -> anyhow::Result<()> {
    let home = Home::new("secrets-file")?;
    let secret = format!("Pw-file-{}-x", std::process::id());
    let (ok, _, said) = run_with(
        home.cmd(&[
            "secret",
            "set",
            "--site",
            "https://shop.example",
            "--kind",
            "password",
        ]),
        &format!("{secret}\n"),
    )?;
    check!(
        !ok && said.contains("clef secret unlock"),
        "saving before a passphrase exists: {said}"
    );
    let (ok, out, said) = run_with(home.cmd(&["secret", "unlock"]), &format!("{PASSPHRASE}\n"))?;
    check!(ok && out.contains("Created"), "unlock: {out} {said}");
    for (kind, value) in [("username", "élodie"), ("password", secret.as_str())] {
        let (ok, _, said) = run_with(
            home.cmd(&[
                "secret",
                "set",
                "--site",
                "https://shop.example",
                "--kind",
                kind,
            ]),
            &format!("{value}\n"),
        )?;
        check!(ok, "secret set {kind}: {said}");
    }
    // A Firefox export with a broken row: counted, reported, the rest imported.
    let csv = home.0.join("firefox.csv");
    std::fs::write(
        &csv,
        format!(
            "\"url\",\"username\",\"password\",\"httpRealm\",\"formActionOrigin\",\"guid\",\"timeCreated\",\"timeLastUsed\",\"timePasswordChanged\"\n\
             \"https://mail.example\",\"ann\",\"Imported-{0}\",,\"https://mail.example\",\"{{1}}\",\"1700000000000\",\"1\",\"1\"\n\
             \"nowhere\",\"x\",\"y\",,,,,,\n",
            std::process::id()
        ),
    )?;
    let imported = home.clef().args(["secret", "import"]).arg(&csv).output()?;
    let (out, said) = (
        String::from_utf8_lossy(&imported.stdout),
        String::from_utf8_lossy(&imported.stderr),
    );
    check!(
        imported.status.success() && out.contains("1 logins imported") && said.contains("line 3"),
        "import: {out} {said}"
    );
    std::fs::remove_file(&csv)?;
    let listed = home.clef().args(["secret", "list"]).output()?;
    let listed = String::from_utf8_lossy(&listed.stdout).into_owned();
    check!(
        listed.contains("encrypted file")
            && listed.contains("https://shop.example\tpassword élodie")
            && listed.contains("https://mail.example\tpassword ann")
            && !listed.contains(&secret),
        "list: {listed}"
    );
    // Nothing in clear anywhere in the home: not the password, the user name nor the site.
    for clear in [secret.as_str(), "élodie", "mail.example", "Imported-"] {
        let found = home.holds(clear);
        check!(found.is_empty(), "{clear:?} in clear in {found:?}");
    }

    // Locked by the user: every process asks again, until unlocked.
    let (ok, out, said) = run_with(home.cmd(&["secret", "lock"]), "")?;
    check!(ok && out.contains("Locked"), "lock: {out} {said}");
    let listed = home.clef().args(["secret", "list"]).output()?;
    let listed = String::from_utf8_lossy(&listed.stdout).into_owned();
    check!(
        listed.contains("locked") && !listed.contains("shop.example"),
        "after `clef secret lock` the file must ask for its passphrase: {listed}"
    );
    let (ok, out, said) = run_with(home.cmd(&["secret", "unlock"]), &format!("{PASSPHRASE}\n"))?;
    check!(
        ok && out.contains("Unlocked"),
        "unlock after lock: {out} {said}"
    );

    // A reboot empties the kernel keyring: a new user namespace starts with an empty one.
    if !unshare_available() {
        println!("    skipped: the reboot half (no unprivileged user namespaces here)");
        check!(
            std::env::var_os("CI").is_none(),
            "CI must run the reboot half"
        );
        return Ok(());
    }
    let mut locked = Command::new("unshare");
    locked
        .args(["--user", "--map-root-user"])
        .arg(clef_bin())
        .args(["secret", "list"]);
    home.env(&mut locked);
    let locked = String::from_utf8_lossy(&locked.output()?.stdout).into_owned();
    check!(
        locked.contains("locked") && !locked.contains("shop.example"),
        "after a reboot the file must ask for its passphrase: {locked}"
    );
    let export = home.0.join("export.csv");
    let script = format!(
        "printf '%s\\n' 'wrong passphrase' | {clef} secret unlock && exit 3; \
         printf '%s\\n' '{PASSPHRASE}' | {clef} secret unlock && {clef} secret export {export}",
        clef = clef_bin().display(),
        export = export.display()
    );
    let mut rebooted = Command::new("unshare");
    rebooted.args(["--user", "--map-root-user", "sh", "-c", &script]);
    home.env(&mut rebooted);
    let output = rebooted.output()?;
    check!(
        output.status.success(),
        "unlock after a reboot: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let exported = std::fs::read_to_string(&export)?;
    check!(
        exported.contains(&format!("\"https://shop.example\",\"élodie\",\"{secret}\"")),
        "export after a reboot: {exported}"
    );
    Ok(())
}

/// GNOME Keyring on a D-Bus of its own: (the bus address, the processes to stop).
struct Keyring {
    address: String,
    bus: std::process::Child,
}

impl Drop for Keyring {
    fn drop(&mut self) {
        let _ = Command::new("pkill")
            .args(["-f", &format!("gnome-keyring-daemon.*{}", self.bus.id())])
            .status();
        let _ = self.bus.kill();
        let _ = self.bus.wait();
    }
}

fn start_keyring(home: &Home) -> anyhow::Result<Keyring> {
    let mut bus = Command::new("dbus-daemon")
        .args(["--session", "--nofork", "--print-address"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let mut address = String::new();
    if let Some(stdout) = bus.stdout.take() {
        use std::io::BufRead;
        std::io::BufReader::new(stdout).read_line(&mut address)?;
    }
    let address = address.trim().to_owned();
    let mut daemon = Command::new("gnome-keyring-daemon");
    daemon
        .args(["--unlock", "--components=secrets"])
        .env("DBUS_SESSION_BUS_ADDRESS", &address)
        .env("HOME", &home.0)
        .env("XDG_DATA_HOME", home.0.join("data"))
        .env("XDG_RUNTIME_DIR", home.0.join("run"));
    std::fs::create_dir_all(home.0.join("run"))?;
    let (ok, _, said) = run_with(daemon, "keyring password")?;
    check!(ok, "gnome-keyring-daemon: {said}");
    Ok(Keyring { address, bus })
}

pub fn secrets_in_the_desktop_keyring(_: &Ctx) -> anyhow::Result<()> {
    if !tools_present(&["dbus-daemon", "gnome-keyring-daemon"])? {
        return Ok(());
    }
    let home = Home::new("secrets-service")?;
    let keyring = start_keyring(&home)?;
    let secret = format!("Pw-service-{}-x", std::process::id());
    let with_bus = |args: &[&str]| {
        let mut command = home.clef();
        command
            .args(args)
            .env("DBUS_SESSION_BUS_ADDRESS", &keyring.address);
        command
    };
    let (ok, _, said) = run_with(
        with_bus(&[
            "secret",
            "set",
            "--site",
            "https://bank.example",
            "--kind",
            "password",
        ]),
        &format!("{secret}\n"),
    )?;
    check!(ok && said.contains("Secret Service"), "set: {said}");
    let listed = with_bus(&["secret", "list"]).output()?;
    let listed = String::from_utf8_lossy(&listed.stdout).into_owned();
    check!(
        listed.contains("Secret Service") && listed.contains("https://bank.example\tpassword"),
        "list: {listed}"
    );
    // Clef's profile holds none of it (the keyring's own file is the desktop's business).
    let profile = home.0.join("data/clef");
    let found: Vec<_> = home
        .holds(&secret)
        .into_iter()
        .filter(|path| path.starts_with(&profile))
        .collect();
    check!(found.is_empty(), "the secret is in the profile: {found:?}");
    // Without the desktop's keyring, the profile says where its secrets are instead of starting
    // an empty store.
    let away = home.clef().args(["secret", "list"]).output()?;
    let said = String::from_utf8_lossy(&away.stderr);
    check!(
        !away.status.success() && said.contains("Secret Service"),
        "away from the desktop: {said}"
    );
    Ok(())
}

/// A `<button>`, as most sign-in forms have (Enter sends it through Clef's implicit-submission
/// script: Servo 0.7 alone looks only for `<input type=submit>`).
const LOGIN_PAGE: &str = "<!doctype html><title>Members login</title>\
    <form method=post action=/welcome><label>User <input name=user autocomplete=username></label>\
    <label>Password <input name=pass type=password></label><button>Sign in</button></form>";

fn welcome(request: &clef_tests::server::Request) -> clef_tests::server::Response {
    let user = String::from_utf8_lossy(&request.body)
        .split('&')
        .find_map(|pair| pair.strip_prefix("user=").map(str::to_owned))
        .unwrap_or_default();
    (
        200,
        "text/html; charset=utf-8",
        format!("<!doctype html><title>Welcome</title><p>Welcome, {user}.</p>").into_bytes(),
    )
}

pub fn window_saves_a_login_and_fills_it_next_time(_: &Ctx) -> anyhow::Result<()> {
    if !tools_present(&["Xvfb", "xdotool"])? {
        return Ok(());
    }
    let home = Home::new("window-login")?;
    let (ok, _, said) = run_with(home.cmd(&["secret", "unlock"]), &format!("{PASSPHRASE}\n"))?;
    check!(ok, "unlock: {said}");
    let server = TestServer::start([
        ("/login", Route::html(LOGIN_PAGE)),
        ("/welcome", Route::dynamic(welcome)),
        ("/change", Route::html(CHANGE_PAGE)),
        (
            "/changed",
            Route::html("<!doctype html><title>Changed</title><p>Done."),
        ),
    ])?;
    let secret = format!("Typed-{}-pw", std::process::id());
    let (_xvfb, display) = start_xvfb()?;
    {
        let mut command = home.clef();
        command.arg(server.url("/login"));
        let _window = clef_window(command, &display)?;
        focus_window(&display, "^Members login.*Clef$")?;
        // Signing in by hand: click into the user field, type, Tab, password, Enter.
        xdotool(&display, &["key", "Tab"])?;
        xdotool(&display, &["type", "--delay", "20", "marie"])?;
        xdotool(&display, &["key", "Tab"])?;
        xdotool(&display, &["type", "--delay", "20", &secret])?;
        xdotool(&display, &["key", "Return"])?;
        wait_for_title(&display, "^Welcome.*Clef$")?;
        // The offer has the keyboard: Enter saves.
        std::thread::sleep(Duration::from_millis(800));
        xdotool(&display, &["key", "Return"])?;
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let listed = home.clef().args(["secret", "list"]).output()?;
            let listed = String::from_utf8_lossy(&listed.stdout).into_owned();
            if listed.contains("password marie") {
                break;
            }
            check!(
                Instant::now() < deadline,
                "the login was not saved: {listed}"
            );
            std::thread::sleep(Duration::from_millis(300));
        }
    }
    check!(
        server.received_text(&format!("pass={secret}")),
        "the form was not sent by hand"
    );
    let found = home.holds(&secret);
    check!(found.is_empty(), "the password is in clear in {found:?}");

    // A second, older account on the same site: filling then asks which, newest first.
    let csv = home.0.join("older.csv");
    std::fs::write(
        &csv,
        format!(
            "url,username,password,timeCreated\n{},zoe,zoe-pw,1000\n",
            server.url("/login")
        ),
    )?;
    let imported = home.clef().args(["secret", "import"]).arg(&csv).output()?;
    check!(imported.status.success(), "import of a second login");

    // The next visit, in a new process: Ctrl+Shift+L asks which login (the newest has the
    // keyboard), Enter fills it, Enter sends it.
    let before = server.received().len();
    let mut command = home.clef();
    command.arg(server.url("/login"));
    let _window = clef_window(command, &display)?;
    focus_window(&display, "^Members login.*Clef$")?;
    std::thread::sleep(Duration::from_millis(500));
    xdotool(&display, &["key", "ctrl+shift+l"])?;
    std::thread::sleep(Duration::from_millis(800));
    xdotool(&display, &["key", "Return"])?;
    std::thread::sleep(Duration::from_millis(800));
    xdotool(&display, &["key", "Return"])?;
    wait_for_title(&display, "^Welcome.*Clef$")?;
    let sent: Vec<String> = server.received()[before..]
        .iter()
        .filter(|request| request.method == "POST")
        .map(|request| String::from_utf8_lossy(&request.body).into_owned())
        .collect();
    check!(
        sent.iter()
            .any(|body| body.contains("user=marie") && body.contains(&format!("pass={secret}"))),
        "the saved login was not filled: {sent:?}"
    );

    // A password change names no user: the login whose current password the form held is the
    // one offered for update.
    xdotool(&display, &["key", "ctrl+l"])?;
    xdotool(&display, &["type", "--delay", "10", &server.url("/change")])?;
    xdotool(&display, &["key", "Return"])?;
    wait_for_title(&display, "^Change password.*Clef$")?;
    let changed = format!("Changed-{}-pw", std::process::id());
    for value in [secret.as_str(), &changed, &changed] {
        xdotool(&display, &["key", "Tab"])?;
        xdotool(&display, &["type", "--delay", "10", value])?;
    }
    xdotool(&display, &["key", "Return"])?;
    wait_for_title(&display, "^Changed.*Clef$")?;
    std::thread::sleep(Duration::from_millis(800));
    xdotool(&display, &["key", "Return"])?;
    let export = home.0.join("after-change.csv");
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let _ = std::fs::remove_file(&export);
        let _ = home
            .clef()
            .args(["secret", "export"])
            .arg(&export)
            .output()?;
        let exported = std::fs::read_to_string(&export).unwrap_or_default();
        if exported.contains(&format!("\"marie\",\"{changed}\"")) {
            check!(
                !exported.contains(&secret) && exported.matches("marie").count() == 1,
                "the change made a second login or kept the old password: {exported}"
            );
            break;
        }
        check!(
            Instant::now() < deadline,
            "the change was not saved: {exported}"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    Ok(())
}

/// A password change: current, new and again, no user name.
const CHANGE_PAGE: &str = "<!doctype html><title>Change password</title>\
    <form method=post action=/changed><input name=current type=password>\
    <input name=new type=password autocomplete=new-password>\
    <input name=again type=password autocomplete=new-password><button>Change</button></form>";

const DOWNLOADS_PAGE: &str = "<!doctype html><title>Files</title>\
    <p><a id=pdf href=/report.pdf>Report</a> <a id=big href=/big.zip>Big</a>\
    <a id=named href=/export download=\"clients list.csv\">Export</a>";

/// Wait until `path` exists; its size.
fn wait_for_file(path: &Path, seconds: u64) -> anyhow::Result<u64> {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    loop {
        if let Ok(meta) = std::fs::metadata(path) {
            return Ok(meta.len());
        }
        check!(
            Instant::now() < deadline,
            "{} never appeared",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

pub fn window_downloads_with_progress_and_cancel(_: &Ctx) -> anyhow::Result<()> {
    if !tools_present(&["Xvfb", "xdotool"])? {
        return Ok(());
    }
    let home = Home::new("window-downloads")?;
    let downloads = home.0.join("Downloads");
    // An earlier file of the same name: the new one is `report (1).pdf`, the old one kept.
    std::fs::create_dir_all(&downloads)?;
    std::fs::write(downloads.join("report.pdf"), "older")?;
    let server = TestServer::start([
        (
            "/files",
            Route::html(DOWNLOADS_PAGE).with_headers(&[("Set-Cookie", "session=abc; Path=/")]),
        ),
        (
            "/report.pdf",
            Route::Page {
                status: 200,
                content_type: "application/pdf",
                body: crate::cli::pdf_with("Quarterly figures"),
            },
        ),
        (
            "/big.zip",
            Route::Trickle {
                content_type: "application/zip",
                total: 50_000_000,
                chunk: 256 * 1024,
                interval: Duration::from_millis(40),
            },
        ),
        ("/export", Route::html("id,name\n1,Ann\n")),
    ])?;
    let (_xvfb, display) = start_xvfb()?;
    let mut command = home.clef();
    // What the window asked each document and what it answered, for a failure to show.
    command.arg(server.url("/files")).env(
        "CLEF_LOG",
        "error,clef_browser=info,clef_browser::servo_host::window::view::downloads=debug",
    );
    let _window = clef_window(command, &display)?;
    focus_window(&display, "^Files.*Clef$")?;

    // A link with a `download` attribute: saved under the name it gives, not shown. Tab three
    // times to it (Report, Big, Export) and press Enter.
    for _ in 0..3 {
        xdotool(&display, &["key", "Tab"])?;
    }
    xdotool(&display, &["key", "Return"])?;
    let size = wait_for_file(&downloads.join("clients list.csv"), 20)?;
    check!(size > 0, "the download link's file is empty");

    // A PDF: saved with its real name beside the older one, with the page's cookie sent.
    let go = |path: &str| -> anyhow::Result<()> {
        xdotool(&display, &["key", "ctrl+l"])?;
        xdotool(&display, &["type", "--delay", "10", &server.url(path)])?;
        xdotool(&display, &["key", "Return"])?;
        Ok(())
    };
    go("/report.pdf")?;
    let size = wait_for_file(&downloads.join("report (1).pdf"), 30)?;
    check!(size > 100, "report (1).pdf has {size} bytes");
    check!(
        std::fs::read_to_string(downloads.join("report.pdf"))? == "older",
        "the older file was replaced"
    );
    let fetched_with_cookie = server.received().iter().any(|request| {
        request.target == "/report.pdf"
            && request
                .header("cookie")
                .is_some_and(|cookie| cookie.contains("session=abc"))
    });
    check!(
        fetched_with_cookie,
        "the download did not carry the page's cookie"
    );

    // 50 MB trickling in: progress shows in the Downloads page, then cancel leaves nothing.
    go("/big.zip")?;
    let deadline = Instant::now() + Duration::from_secs(30);
    let part = downloads.join(".big.zip.part");
    let mut seen = 0;
    while seen < 2_000_000 {
        seen = std::fs::metadata(&part).map_or(0, |meta| meta.len());
        if Instant::now() >= deadline {
            let asked = server
                .received()
                .iter()
                .filter(|request| request.target == "/big.zip")
                .count();
            anyhow::bail!(
                "the download made no progress ({seen} bytes; the server was asked for /big.zip \
                 {asked} times); the browser's log ends:\n{}",
                log_tail(&display)
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    xdotool(&display, &["key", "ctrl+shift+y"])?;
    wait_for_title(&display, "^Downloads.*Clef$")?;
    // The Downloads page gives the running download's Cancel button the keyboard.
    std::thread::sleep(Duration::from_millis(600));
    xdotool(&display, &["key", "Return"])?;
    let deadline = Instant::now() + Duration::from_secs(10);
    while part.exists() {
        check!(Instant::now() < deadline, "the download was not cancelled");
        std::thread::sleep(Duration::from_millis(200));
    }
    check!(
        !downloads.join("big.zip").exists(),
        "a cancelled download left a file under its final name"
    );
    Ok(())
}

/// Wait for download `id` to finish; its last view.
fn finished(
    downloads: &clef_browser::downloads::Downloads,
    id: u64,
) -> anyhow::Result<clef_browser::downloads::DownloadView> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let view = downloads
            .list()
            .into_iter()
            .find(|view| view.id == id)
            .ok_or_else(|| anyhow::anyhow!("no download {id}"))?;
        if view.state != clef_browser::downloads::DownloadState::Running {
            return Ok(view);
        }
        check!(Instant::now() < deadline, "download {id} never ended");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Downloads that go wrong: a server that sends less than it announced, a folder that cannot
/// be written, a type the organisation blocks. Each ends failed, with why, and leaves no file
/// under its final name and no partial file.
pub fn downloads_that_go_wrong_leave_nothing(_: &Ctx) -> anyhow::Result<()> {
    use clef_browser::downloads::{DownloadRequest, DownloadState, Downloads};
    use clef_browser::policies::Policies;
    let home = Home::new("download-errors")?;
    let server = TestServer::start([
        (
            "/short.zip",
            Route::raw(|_| {
                b"HTTP/1.1 200 OK\r\nContent-Type: application/zip\r\nContent-Length: 100000\r\nConnection: close\r\n\r\nonly this".to_vec()
            }),
        ),
        (
            "/named",
            Route::html("a,b\n").with_headers(&[(
                "Content-Disposition",
                "attachment; filename=\"../../escape.csv\"; filename*=UTF-8''r%C3%A9sum%C3%A9.csv",
            )]),
        ),
        ("/setup.exe", Route::html("MZ")),
    ])?;
    let request = |path: &str| -> anyhow::Result<DownloadRequest> {
        Ok(DownloadRequest {
            url: url::Url::parse(&server.url(path))?,
            cookies: None,
            referrer: None,
            suggested_name: None,
        })
    };
    let wake: std::sync::Arc<dyn Fn() + Send + Sync> = std::sync::Arc::new(|| {});
    let folder = home.0.join("Downloads");
    let mut downloads = Downloads::new(folder.clone());

    let id = downloads.start(request("/short.zip")?, Policies::default(), wake.clone());
    let short = finished(&downloads, id)?;
    check!(
        short.state == DownloadState::Failed && short.status.contains("announced"),
        "a short body: {short:?}"
    );
    let left: Vec<_> = std::fs::read_dir(&folder)?
        .flatten()
        .map(|entry| entry.file_name())
        .collect();
    check!(left.is_empty(), "a failed download left {left:?}");

    // The header's UTF-8 name wins, and it stays inside the folder.
    let id = downloads.start(request("/named")?, Policies::default(), wake.clone());
    let named = finished(&downloads, id)?;
    check!(
        named.state == DownloadState::Done && folder.join("résumé.csv").exists(),
        "Content-Disposition's name: {named:?}"
    );

    let policies = Policies::parse(
        Path::new("/etc/clef/policies.json"),
        r#"{"policies": {"Downloads": {"BlockedTypes": ["exe"]}}}"#,
    );
    let id = downloads.start(request("/setup.exe")?, policies, wake.clone());
    let blocked = finished(&downloads, id)?;
    check!(
        blocked.state == DownloadState::Failed && blocked.status.contains("policy"),
        "a blocked type: {blocked:?}"
    );
    check!(
        !folder.join("setup.exe").exists(),
        "a blocked file was written"
    );

    // A folder that cannot be made (a file stands where it should be), even for root.
    std::fs::write(home.0.join("not-a-folder"), "")?;
    let mut nowhere = Downloads::new(home.0.join("not-a-folder/Downloads"));
    let id = nowhere.start(request("/named")?, Policies::default(), wake);
    let failed = finished(&nowhere, id)?;
    check!(
        failed.state == DownloadState::Failed && failed.status.contains("not-a-folder"),
        "an unwritable folder: {failed:?}"
    );
    Ok(())
}

/// A date input at the top left of the page, whose title says what it holds after a change.
const DATE_PAGE: &str = "<!doctype html><title>Booking</title>\
    <input type=date id=when min=2026-01-01 max=2026-12-31 \
    style=\"position:absolute;left:0;top:0;width:300px;height:40px\">\
    <script>when.onclick = () => { document.title = 'Booking: asked'; }; \
    when.onchange = () => { document.title = 'picked ' + when.value; };</script>";

/// Servo draws date inputs as bare text fields: a click opens Clef's picker in the pane, and
/// what is chosen there reaches the page as a change of the input.
pub fn window_date_input_has_a_picker(_: &Ctx) -> anyhow::Result<()> {
    if !tools_present(&["Xvfb", "xdotool"])? {
        return Ok(());
    }
    let home = Home::new("window-date")?;
    let server = TestServer::start([("/book", Route::html(DATE_PAGE))])?;
    let (_xvfb, display) = start_xvfb()?;
    let mut command = home.clef();
    command.arg(server.url("/book"));
    let _window = clef_window(command, &display)?;
    focus_window(&display, "^Booking.*Clef$")?;
    // The content area starts below the chrome's 84 pixels. A click before the page's first
    // layout reaches no input: clicked again until the page saw it.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        xdotool(&display, &["mousemove", "100", "104", "click", "1"])?;
        std::thread::sleep(Duration::from_millis(800));
        if xdotool(&display, &["search", "--name", "^Booking: asked"])? {
            break;
        }
        check!(
            Instant::now() < deadline,
            "the date input never received the click"
        );
    }
    // Outside the page's range first: refused in the picker, nothing reaches the page.
    xdotool(&display, &["type", "--delay", "20", "2027-05-01"])?;
    xdotool(&display, &["key", "Return"])?;
    std::thread::sleep(Duration::from_millis(500));
    xdotool(&display, &["key", "ctrl+a"])?;
    xdotool(&display, &["type", "--delay", "20", "2026-03-12"])?;
    xdotool(&display, &["key", "Return"])?;
    wait_for_title(&display, "^picked 2026-03-12.*Clef$")?;
    Ok(())
}
