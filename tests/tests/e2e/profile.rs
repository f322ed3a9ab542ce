//! The profile through the real window and CLI: cookies and local storage survive a kill and a
//! restart, the session comes back, a private window writes nothing, and history, memory and
//! bookmarks hold what the user did.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use clef_tests::clef_bin;
use clef_tests::server::{Route, TestServer};

use crate::check;
use crate::harness::Ctx;
use crate::window::{
    clef_window, focus_window, start_xvfb, tools_present, wait_for_title, xdotool,
};

/// Stores a cookie from script, a value in local storage and one in IndexedDB (where there is
/// one: private windows have none), then says so in its title.
const STORE_PAGE: &str = "<!doctype html><title>storing</title><script>\
    document.cookie = 'jsc=fromjs; max-age=3600; path=/';\
    localStorage.setItem('k', 'v');\
    if (!window.indexedDB) { document.title = 'stored'; } else {\
      const open = indexedDB.open('clef', 1);\
      open.onupgradeneeded = () => open.result.createObjectStore('kv');\
      open.onsuccess = () => {\
        const tx = open.result.transaction('kv', 'readwrite');\
        tx.objectStore('kv').put('kept', 'k');\
        tx.oncomplete = () => { document.title = 'stored'; };\
      };\
    }</script><p>Stored.</p>";

/// What the server received and what local storage holds, in the title.
fn show_page(cookie_header: Option<&str>) -> Vec<u8> {
    let cookies = cookie_header.unwrap_or_default();
    format!(
        "<!doctype html><title>showing</title><script>\
         const seen = 'seen session={} js={} ls=' + localStorage.getItem('k');\
         const open = indexedDB.open('clef', 1);\
         open.onupgradeneeded = () => open.result.createObjectStore('kv');\
         open.onsuccess = () => {{\
           const get = open.result.transaction('kv').objectStore('kv').get('k');\
           get.onsuccess = () => {{ document.title = seen + ' idb=' + get.result; }};\
         }};</script>",
        cookies.contains("session=abc"),
        cookies.contains("jsc=fromjs"),
    )
    .into_bytes()
}

/// A home of its own: data (the profile), config and cache.
struct Home(PathBuf);

impl Home {
    fn new(name: &str) -> anyhow::Result<Self> {
        let dir = std::env::temp_dir().join(format!("clef-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        Ok(Self(dir))
    }

    fn profile(&self) -> PathBuf {
        self.0.join("data/clef/profile")
    }

    fn clef(&self) -> Command {
        let mut command = Command::new(clef_bin());
        command
            .env("XDG_DATA_HOME", self.0.join("data"))
            .env("XDG_CONFIG_HOME", self.0.join("config"))
            .env("XDG_CACHE_HOME", self.0.join("cache"));
        command
    }

    /// Every file under the home, with its size.
    fn files(&self) -> Vec<(PathBuf, u64)> {
        fn walk(dir: &Path, out: &mut Vec<(PathBuf, u64)>) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, out);
                } else {
                    out.push((path, entry.metadata().map_or(0, |meta| meta.len())));
                }
            }
        }
        let mut files = Vec::new();
        walk(&self.0, &mut files);
        files.sort();
        files
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn clean_exit(home: &Home) -> anyhow::Result<bool> {
    let text = std::fs::read_to_string(home.profile().join("session.json"))?;
    let session: serde_json::Value = serde_json::from_str(&text)?;
    Ok(session["clean_exit"] == true)
}

pub fn cookies_storage_and_tabs_survive_a_kill(_: &Ctx) -> anyhow::Result<()> {
    if !tools_present(&["Xvfb", "xdotool"])? {
        return Ok(());
    }
    let home = Home::new("profile-kill")?;
    let server = TestServer::start([
        (
            "/store",
            Route::html(STORE_PAGE)
                .with_headers(&[("Set-Cookie", "session=abc; Max-Age=3600; Path=/; HttpOnly")]),
        ),
        (
            "/show",
            Route::dynamic(|request| {
                (
                    200,
                    "text/html; charset=utf-8",
                    show_page(request.header("cookie")),
                )
            }),
        ),
    ])?;
    let (_xvfb, display) = start_xvfb()?;

    // A page stores a cookie (from the server, HttpOnly, and from script) and local storage;
    // the browser is killed a little after the cookie copy's interval.
    let mut command = home.clef();
    command.arg(server.url("/store"));
    let mut first = clef_window(command, &display)?;
    wait_for_title(&display, "stored")?;
    std::thread::sleep(Duration::from_millis(3_500));
    first.0.kill()?;
    first.0.wait()?;
    check!(
        !clean_exit(&home)?,
        "a killed run was saved as a clean exit"
    );

    // Restarted: both cookies reach the server, local storage and IndexedDB are there, and the
    // tab the kill closed is offered (Ctrl+Shift+T takes the offer).
    let mut command = home.clef();
    command.arg(server.url("/show"));
    let second = clef_window(command, &display)?;
    wait_for_title(&display, "seen session=true js=true ls=v idb=kept")?;
    focus_window(&display, "seen session")?;
    xdotool(&display, &["key", "ctrl+shift+t"])?;
    wait_for_title(&display, "stored")?;
    // A clean exit (SIGTERM, as a desktop session ends) saves the session as such, and Servo
    // writes its own cookie jar.
    drop(second);
    check!(clean_exit(&home)?, "SIGTERM did not end the run cleanly");
    check!(
        home.profile().join("engine/cookie_jar.json").exists(),
        "Servo wrote no cookie jar at a clean exit"
    );

    // After a clean exit the tabs come back by themselves, the active one in front.
    let third = clef_window(home.clef(), &display)?;
    wait_for_title(&display, "stored")?;
    drop(third);
    let history = home.clef().args(["history", "list"]).output()?;
    let history = String::from_utf8_lossy(&history.stdout);
    check!(
        history.contains(&server.url("/show")) && history.contains(&server.url("/store")),
        "history lacks the visits: {history}"
    );
    Ok(())
}

pub fn private_window_writes_nothing(_: &Ctx) -> anyhow::Result<()> {
    if !tools_present(&["Xvfb"])? {
        return Ok(());
    }
    let server = TestServer::start([(
        "/store",
        Route::html(STORE_PAGE).with_headers(&[("Set-Cookie", "session=abc; Max-Age=3600")]),
    )])?;
    let (_xvfb, display) = start_xvfb()?;
    // The same page in a normal window leaves a profile behind: the comparison can fail.
    let normal = Home::new("profile-normal")?;
    let mut command = normal.clef();
    command.arg(server.url("/store"));
    let window = clef_window(command, &display)?;
    wait_for_title(&display, "^stored")?;
    std::thread::sleep(Duration::from_millis(2_500));
    drop(window);
    check!(
        normal.files().len() > 3,
        "a normal window kept nothing: {:?}",
        normal.files()
    );

    let private = Home::new("profile-private")?;
    let before = private.files();
    let mut command = private.clef();
    // Run from inside the home, so a file written under the working directory counts too.
    command
        .current_dir(&private.0)
        .args(["--private", &server.url("/store")]);
    let window = clef_window(command, &display)?;
    wait_for_title(&display, "^stored.*Clef .private.$")?;
    std::thread::sleep(Duration::from_millis(2_500));
    drop(window);
    let after = private.files();
    check!(before == after, "a private window wrote {after:?}");
    Ok(())
}

const NIGHT_TRAINS: &str = "<!doctype html><html lang=en><title>The return of night trains</title>\
    <body><article><h1>The return of night trains</h1>\
    <p>Sleeper services are back across Europe after a decade of decline, and operators report \
    that demand has doubled since the first routes reopened.</p>\
    <p>The night train from Paris to Vienna now leaves at 19:58 from the Gare de l'Est and \
    arrives the next morning shortly before ten.</p>\
    <p>Tickets for a couchette start at forty-nine euros when booked two months ahead, and the \
    dining car serves Austrian breakfast.</p></article></body></html>";

const BOULANGERIE: &str = "<!doctype html><html lang=fr><title>Le pain au levain</title>\
    <body><article><h1>Le pain au levain</h1>\
    <p>La boulangerie Dupont cuit son pain au levain dans un four à bois depuis 1952, chaque \
    matin avant l'aube.</p>\
    <p>La fermentation lente, de seize heures, donne au pain une croûte épaisse et une mie \
    alvéolée que les clients reconnaissent.</p>\
    <p>Le levain est nourri deux fois par jour avec une farine de seigle moulue sur place.</p>\
    </article></body></html>";

const FIREFOX_EXPORT: &str = r#"<!DOCTYPE NETSCAPE-Bookmark-file-1>
<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=UTF-8">
<TITLE>Bookmarks</TITLE>
<H1>Bookmarks Menu</H1>
<DL><p>
    <DT><H3 ADD_DATE="1700000000" PERSONAL_TOOLBAR_FOLDER="true">Bookmarks Toolbar</H3>
    <DL><p>
        <DT><A HREF="https://www.mozilla.org/fr/" ADD_DATE="1700000100">Mozilla &amp; amis</A>
        <DT><A HREF="javascript:alert(1)">Bookmarklet</A>
    </DL><p>
    <DT><A HREF="https://example.org/docs" ADD_DATE="1700000200">Docs</A>
</DL>
"#;

pub fn history_memory_and_bookmarks(_: &Ctx) -> anyhow::Result<()> {
    if !tools_present(&["Xvfb", "xdotool"])? {
        return Ok(());
    }
    let home = Home::new("profile-history")?;
    let server = TestServer::start([
        ("/trains", Route::html(NIGHT_TRAINS)),
        ("/pain", Route::html(BOULANGERIE)),
    ])?;
    let (trains, pain) = (server.url("/trains"), server.url("/pain"));
    let (_xvfb, display) = start_xvfb()?;
    let mut command = home.clef();
    command.arg(&trains);
    let window = clef_window(command, &display)?;
    focus_window(&display, "The return of night trains")?;
    xdotool(&display, &["key", "ctrl+l"])?;
    xdotool(&display, &["type", "--delay", "10", &pain])?;
    xdotool(&display, &["key", "Return"])?;
    wait_for_title(&display, "Le pain au levain")?;
    // The star bookmarks the page; Ctrl+H opens the history page.
    xdotool(&display, &["key", "ctrl+d"])?;
    xdotool(&display, &["key", "ctrl+h"])?;
    wait_for_title(&display, "^History.*Clef$")?;

    // A second Clef on the same profile says so and stops; the first goes on.
    let second = home.clef().arg(&trains).env("DISPLAY", &display).output()?;
    let said = String::from_utf8_lossy(&second.stderr);
    check!(
        !second.status.success() && said.contains("already open in another Clef"),
        "a second Clef on the profile: {said}"
    );
    // Memory is written by its own thread after the load: give it a moment.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let found = loop {
        let output = home
            .clef()
            .args([
                "history",
                "search",
                "--list",
                "when does the night train to Vienna leave",
            ])
            .output()?;
        let found = String::from_utf8_lossy(&output.stdout).into_owned();
        if found.contains("19:58") || std::time::Instant::now() > deadline {
            break found;
        }
        std::thread::sleep(Duration::from_millis(300));
    };
    drop(window);
    check!(
        found.starts_with("1. The return of night trains") && found.contains(&trains),
        "memory search: {found}"
    );
    let french = home
        .clef()
        .args(["history", "search", "--list", "boulangerie four à bois"])
        .output()?;
    let french = String::from_utf8_lossy(&french.stdout);
    check!(
        french.starts_with("1. Le pain au levain") && french.contains("1952"),
        "memory search in French: {french}"
    );

    let history = home.clef().args(["history", "list"]).output()?;
    let history = String::from_utf8_lossy(&history.stdout);
    check!(
        history.contains(&trains) && history.contains("Le pain au levain"),
        "history list: {history}"
    );
    let bookmarks = home.clef().args(["bookmarks", "list"]).output()?;
    let bookmarks = String::from_utf8_lossy(&bookmarks.stdout);
    check!(
        bookmarks.contains(&pain) && !bookmarks.contains(&trains),
        "Ctrl+D did not bookmark the page: {bookmarks}"
    );

    // With the test model, the answer cites the page it comes from.
    if let Some(model) = clef_tests::test_model()? {
        let output = home
            .clef()
            .args(["history", "search", "--model"])
            .arg(&model)
            .arg("when does the night train to Vienna leave?")
            .output()?;
        let answer = String::from_utf8_lossy(&output.stdout);
        check!(
            output.status.success() && answer.contains("Sources:") && answer.contains(&trains),
            "memory answer: {answer} {}",
            String::from_utf8_lossy(&output.stderr)
        );
    } else {
        println!("    skipped (part): test model missing (run scripts/setup.sh)");
    }

    // Bookmarks round-trip through a Firefox export.
    let export = home.0.join("firefox.html");
    std::fs::write(&export, FIREFOX_EXPORT)?;
    let imported = home
        .clef()
        .args(["bookmarks", "import"])
        .arg(&export)
        .output()?;
    let imported = String::from_utf8_lossy(&imported.stdout);
    check!(
        imported.contains("2 bookmarks imported") && imported.contains("1 left out"),
        "import: {imported}"
    );
    let out = home.0.join("clef-bookmarks.html");
    let exported = home
        .clef()
        .args(["bookmarks", "export"])
        .arg(&out)
        .output()?;
    check!(exported.status.success(), "export failed");
    let written = std::fs::read_to_string(&out)?;
    check!(
        written.starts_with("<!DOCTYPE NETSCAPE-Bookmark-file-1>")
            && written.contains("<H3 ADD_DATE=\"1700000000\">Bookmarks Toolbar</H3>")
            && written.contains("HREF=\"https://www.mozilla.org/fr/\" ADD_DATE=\"1700000100\">Mozilla &amp; amis</A>")
            && written.contains(&pain),
        "export: {written}"
    );

    // Clearing history clears memory and the pages' saved copies with it.
    let pages = home.0.join("cache/clef/pages");
    let copies = |dir: &Path| {
        std::fs::read_dir(dir).map_or(0, |entries| {
            entries
                .flatten()
                .filter(|entry| entry.path().extension().is_some_and(|ext| ext == "html"))
                .count()
        })
    };
    check!(copies(&pages) > 0, "the window kept no saved copy to clear");
    let cleared = home.clef().args(["history", "clear", "all"]).output()?;
    check!(cleared.status.success(), "clear failed");
    check!(
        copies(&pages) == 0,
        "saved copies outlived the history: {}",
        copies(&pages)
    );
    let after = home
        .clef()
        .args(["history", "search", "--list", "night train Vienna"])
        .output()?;
    let after = String::from_utf8_lossy(&after.stdout);
    check!(after.contains("Nothing"), "memory after clearing: {after}");

    // A damaged database is kept aside and a new one started.
    let database = home.profile().join("places.sqlite");
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(home.profile().join(format!("places.sqlite{suffix}")));
    }
    std::fs::write(&database, b"not a database at all".repeat(300))?;
    let listed = home.clef().args(["history", "list"]).output()?;
    let note = String::from_utf8_lossy(&listed.stderr);
    check!(
        listed.status.success() && note.contains("damaged"),
        "damaged database: {note}"
    );
    let kept = std::fs::read_dir(home.profile())?.flatten().any(|entry| {
        entry
            .file_name()
            .to_string_lossy()
            .starts_with("places.sqlite.corrupt-")
    });
    check!(kept, "the damaged database was not kept aside");
    Ok(())
}

/// The settings page: the model line in the pane opens it, its picker lists the models found on
/// this machine, and saving writes the choice to the config file.
pub fn settings_pick_a_model(_: &Ctx) -> anyhow::Result<()> {
    if !tools_present(&["Xvfb", "xdotool"])? {
        return Ok(());
    }
    let Some(model) = clef_tests::test_model()? else {
        println!("    skipped: test model missing (run scripts/setup.sh)");
        return Ok(());
    };
    let home = Home::new("profile-settings")?;
    let models = home.0.join("models");
    std::fs::create_dir_all(&models)?;
    std::os::unix::fs::symlink(&model, models.join("only.gguf"))?;
    let page = home.0.join("page.html");
    std::fs::write(&page, "<!doctype html><title>Plain page</title><p>Plain.")?;
    let (_xvfb, display) = start_xvfb()?;
    let mut command = home.clef();
    command.env("CLEF_MODELS", &models).arg(&page);
    let _window = clef_window(command, &display)?;
    focus_window(&display, "Plain page")?;
    crate::window::open_pane(&display)?;
    // The pane's model line ("No model configured: choose one in Settings …").
    xdotool(&display, &["mousemove", "1000", "164", "click", "1"])?;
    wait_for_title(&display, "^Settings.*Clef$")?;
    std::thread::sleep(Duration::from_millis(800));
    // The picker opens in the pane; its first model is the only one found.
    xdotool(&display, &["mousemove", "200", "552", "click", "1"])?;
    std::thread::sleep(Duration::from_millis(1_200));
    xdotool(&display, &["mousemove", "1080", "210", "click", "1"])?;
    std::thread::sleep(Duration::from_millis(500));
    xdotool(&display, &["mousemove", "84", "246", "click", "1"])?;
    let config = home.0.join("config/clef/config.toml");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let written = loop {
        let text = std::fs::read_to_string(&config).unwrap_or_default();
        if text.contains("only.gguf") || std::time::Instant::now() > deadline {
            break text;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    check!(
        written.contains("[model]")
            && written.contains("only.gguf")
            && written.contains("[privacy]"),
        "the settings file after choosing a model: {written:?}"
    );
    Ok(())
}
