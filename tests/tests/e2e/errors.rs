//! Bad input: each a clear error value, never a panic or a hang.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use clef_browser::BrowserError;
use clef_tests::server::{Route, TestServer};

use crate::check;
use crate::fixtures;
use crate::harness::Ctx;

pub fn bad_address(ctx: &Ctx) -> anyhow::Result<()> {
    let page = ctx.browser.new_page()?;
    for input in ["what is the weather", "gopher://example.org/", "http://"] {
        let error = page.goto(input).err();
        check!(
            matches!(error, Some(BrowserError::BadAddress { .. })),
            "{input}: {error:?}"
        );
    }
    Ok(())
}

pub fn missing_file(ctx: &Ctx) -> anyhow::Result<()> {
    let error = ctx.browser.open("/definitely/not/here.html").err();
    check!(
        matches!(error, Some(BrowserError::MissingFile(_))),
        "{error:?}"
    );
    let error = ctx.browser.open("file:///definitely/not/here.html").err();
    check!(
        matches!(error, Some(BrowserError::MissingFile(_))),
        "{error:?}"
    );
    Ok(())
}

pub fn unreachable_host(ctx: &Ctx) -> anyhow::Result<()> {
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let error = ctx.browser.open(&format!("http://127.0.0.1:{port}/")).err();
    check!(
        matches!(error, Some(BrowserError::Network { .. })),
        "{error:?}"
    );
    let message = error.map(|error| error.to_string()).unwrap_or_default();
    check!(
        message.contains(&port.to_string()),
        "message does not name the address: {message}"
    );
    Ok(())
}

/// A real TLS server on 127.0.0.1 with a self-signed certificate: Servo must refuse it.
pub fn tls_failure(ctx: &Ctx) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("clef-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let (cert, key) = clef_tests::self_signed_certificate(&dir, "127.0.0.1")?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let mut server = Command::new("openssl")
        .args([
            "s_server",
            "-quiet",
            "-www",
            "-accept",
            &port.to_string(),
            "-cert",
        ])
        .arg(&cert)
        .arg("-key")
        .arg(&key)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let error = ctx
        .browser
        .open(&format!("https://127.0.0.1:{port}/"))
        .err();
    let _ = server.kill();
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(&dir);
    check!(matches!(error, Some(BrowserError::Tls { .. })), "{error:?}");
    Ok(())
}

pub fn http_404_and_500(ctx: &Ctx) -> anyhow::Result<()> {
    let server = TestServer::start([(
        "/boom",
        Route::status(500, "<title>Oops</title>server broke"),
    )])?;
    let page = ctx.browser.new_page()?;
    let error = page.goto(&server.url("/missing")).err();
    check!(
        matches!(error, Some(BrowserError::HttpStatus { status: 404, .. })),
        "{error:?}"
    );
    let error = page.goto(&server.url("/boom")).err();
    check!(
        matches!(error, Some(BrowserError::HttpStatus { status: 500, .. })),
        "{error:?}"
    );
    // The server's error page is still shown, as a user would see it.
    check!(
        page.visible_text()?.contains("server broke"),
        "error body not shown"
    );
    Ok(())
}

pub fn page_never_finishes(ctx: &Ctx) -> anyhow::Result<()> {
    let server = TestServer::start([
        ("/hang", Route::Hang(Duration::from_secs(60))),
        ("/ok", Route::html(fixtures::SECOND)),
    ])?;
    let page = ctx.browser.new_page()?;
    page.set_load_timeout(Duration::from_secs(2));
    let started = Instant::now();
    let error = page.goto(&server.url("/hang")).err();
    let waited = started.elapsed();
    check!(
        matches!(error, Some(BrowserError::LoadTimeout { .. })),
        "{error:?}"
    );
    check!(waited < Duration::from_secs(10), "timeout took {waited:?}");
    // The page is still usable afterwards.
    let loaded = page.goto(&server.url("/ok"))?;
    check!(loaded.title == "Second", "after a timeout: {loaded:?}");
    Ok(())
}

pub fn javascript_exception(ctx: &Ctx) -> anyhow::Result<()> {
    let server = TestServer::start([("/", Route::html(fixtures::ARTICLE))])?;
    let page = ctx.browser.open(&server.url("/"))?;
    match page.evaluate("throw new Error('boom')") {
        Err(BrowserError::Script { message, .. }) => check!(message.contains("boom"), "{message}"),
        other => anyhow::bail!("expected a script error, got {other:?}"),
    }
    let error = page.evaluate("this is not javascript (").err();
    check!(
        matches!(error, Some(BrowserError::Script { .. })),
        "{error:?}"
    );
    // The page survives.
    check!(
        page.evaluate("1 + 1")? == serde_json::json!(2),
        "page broken after errors"
    );
    Ok(())
}

pub fn malformed_html_still_loads(ctx: &Ctx) -> anyhow::Result<()> {
    let server = TestServer::start([("/", Route::html(fixtures::MALFORMED))])?;
    let page = ctx.browser.open(&server.url("/"))?;
    check!(
        page.title().as_deref() == Some("Broken"),
        "title {:?}",
        page.title()
    );
    let text = page.visible_text()?;
    check!(
        text.contains("two") && text.contains("cell"),
        "text: {text}"
    );
    Ok(())
}
