//! Loading, reading and driving pages through the headless API.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use clef_browser::keys::NamedKey;
use clef_tests::server::{Route, TestServer};
use serde_json::json;

use crate::check;
use crate::fixtures;
use crate::harness::Ctx;

fn server() -> anyhow::Result<TestServer> {
    Ok(TestServer::start([
        ("/article", Route::html(fixtures::ARTICLE)),
        ("/click", Route::html(fixtures::CLICK)),
        ("/form", Route::html(fixtures::FORM)),
        ("/button-form", Route::html(BUTTON_FORM)),
        ("/submitted", Route::html(fixtures::SUBMITTED)),
        ("/links", Route::html(fixtures::LINKS)),
        ("/second", Route::html(fixtures::SECOND)),
        ("/tall", Route::html(fixtures::TALL)),
        ("/colours", Route::html(fixtures::COLOURS)),
        ("/dialog", Route::html(fixtures::DIALOG)),
    ])?)
}

/// Poll a script until it returns `expected` (the page reacts asynchronously to input).
fn wait_for(
    page: &clef_browser::Page,
    script: &str,
    expected: &serde_json::Value,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let value = page.evaluate(script)?;
        if &value == expected {
            return Ok(());
        }
        if Instant::now() > deadline {
            anyhow::bail!("{script} is {value}, expected {expected}");
        }
        page.settle(Duration::from_millis(20));
    }
}

pub fn load_reads_title_and_text(ctx: &Ctx) -> anyhow::Result<()> {
    let server = server()?;
    let page = ctx.browser.open(&server.url("/article"))?;
    check!(
        page.title().as_deref() == Some("Fixture Article"),
        "title {:?}",
        page.title()
    );
    check!(
        page.url() == Some(server.url("/article")),
        "url {:?}",
        page.url()
    );
    let text = page.visible_text()?;
    check!(text.contains("Hello from Clef"), "text: {text}");
    check!(text.contains("quick brown fox"), "text: {text}");
    check!(!text.contains("hidden words"), "hidden text leaked: {text}");
    Ok(())
}

pub fn mouse_click_changes_the_dom(ctx: &Ctx) -> anyhow::Result<()> {
    let server = server()?;
    let page = ctx.browser.open(&server.url("/click"))?;
    // A click outside the button changes nothing.
    page.click(20.0, 20.0)?;
    wait_for(
        &page,
        "document.getElementById('out').textContent",
        &json!("not yet"),
    )?;
    page.click(180.0, 105.0)?;
    wait_for(
        &page,
        "document.getElementById('out').textContent",
        &json!("clicked 1"),
    )?;
    page.click(180.0, 105.0)?;
    wait_for(
        &page,
        "document.getElementById('out').textContent",
        &json!("clicked 2"),
    )?;
    // Real mouse input: each click was a mousedown at the pointer's position (a script's
    // `element.click()` fires no mousedown and has no coordinates).
    let downs = page.evaluate("window.downs")?;
    check!(
        downs == json!([[180, 105], [180, 105]]),
        "mousedowns {downs}"
    );
    Ok(())
}

pub fn typing_fills_an_input(ctx: &Ctx) -> anyhow::Result<()> {
    let server = server()?;
    let page = ctx.browser.open(&server.url("/form"))?;
    page.click(100.0, 35.0)?;
    wait_for(&page, "document.activeElement.id", &json!("name"))?;
    page.type_text("Alicx")?;
    page.press_key(NamedKey::Backspace)?;
    page.type_text("e Ä")?;
    wait_for(
        &page,
        "document.getElementById('name').value",
        &json!("Alice Ä"),
    )?;
    Ok(())
}

pub fn enter_key_submits_a_form(ctx: &Ctx) -> anyhow::Result<()> {
    let server = server()?;
    let page = ctx.browser.open(&server.url("/form"))?;
    page.click(100.0, 35.0)?;
    page.type_text("bob")?;
    let loaded = page.expect_navigation(|page| page.press_key(NamedKey::Enter))?;
    check!(
        loaded.url.ends_with("/submitted?name=bob"),
        "after Enter: {loaded:?}"
    );
    check!(
        page.visible_text()?.contains("thanks"),
        "submitted page not shown"
    );
    Ok(())
}

/// Two fields and a `<button>`: Servo 0.7 alone ignores Enter here.
const BUTTON_FORM: &str = "<!doctype html><title>Sign in</title>\
    <form action=/submitted><input name=name style=\"position:absolute;left:0;top:20px;width:200px;height:30px\">\
    <input name=pass type=password><button name=via value=button>Sign in</button></form>";

pub fn enter_sends_a_form_whose_button_is_a_button(ctx: &Ctx) -> anyhow::Result<()> {
    let server = server()?;
    let page = ctx.browser.open(&server.url("/button-form"))?;
    page.click(100.0, 35.0)?;
    page.type_text("ann")?;
    let loaded = page.expect_navigation(|page| page.press_key(NamedKey::Enter))?;
    // Sent through the button, as the standard's implicit submission does: its name and value
    // go with the form.
    check!(
        loaded.url.ends_with("/submitted?name=ann&pass=&via=button"),
        "after Enter: {loaded:?}"
    );
    Ok(())
}

pub fn link_then_back_and_forward(ctx: &Ctx) -> anyhow::Result<()> {
    let server = server()?;
    let page = ctx.browser.open(&server.url("/links"))?;
    let loaded = page.expect_navigation(|page| page.click(80.0, 50.0))?;
    check!(
        loaded.url == server.url("/second"),
        "after click: {loaded:?}"
    );
    check!(
        page.visible_text()?.contains("second page"),
        "second page text missing"
    );
    let back = page.back()?;
    check!(back.url == server.url("/links"), "after back: {back:?}");
    check!(
        page.title().as_deref() == Some("Links"),
        "title after back: {:?}",
        page.title()
    );
    let forward = page.forward()?;
    check!(
        forward.url == server.url("/second"),
        "after forward: {forward:?}"
    );
    Ok(())
}

pub fn wheel_scrolls_the_page(ctx: &Ctx) -> anyhow::Result<()> {
    let server = server()?;
    let page = ctx.browser.open(&server.url("/tall"))?;
    check!(
        page.evaluate("window.scrollY")? == json!(0),
        "starts scrolled"
    );
    page.scroll(200.0, 200.0, 0.0, 400.0)?;
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut y = 0.0;
    while y <= 0.0 && Instant::now() < deadline {
        page.settle(Duration::from_millis(20));
        y = page.evaluate("window.scrollY")?.as_f64().unwrap_or(0.0);
    }
    check!(y > 100.0, "scrollY after a 400 px wheel: {y}");
    Ok(())
}

pub fn screenshot_shows_the_page_colours(ctx: &Ctx) -> anyhow::Result<()> {
    let server = server()?;
    let page = ctx.browser.open(&server.url("/colours"))?;
    let image = page.screenshot()?;
    check!(
        image.dimensions() == (800, 600),
        "size {:?}",
        image.dimensions()
    );
    let pixel = |x, y| image.get_pixel(x, y).0;
    check!(
        pixel(50, 400) == [255, 0, 0, 255],
        "left half: {:?}",
        pixel(50, 400)
    );
    check!(
        pixel(700, 400) == [0, 0, 255, 255],
        "right half: {:?}",
        pixel(700, 400)
    );
    check!(
        pixel(150, 150) == [0, 255, 0, 255],
        "green square: {:?}",
        pixel(150, 150)
    );
    // The PNG written to disk decodes to the same picture.
    let path = std::env::temp_dir().join(format!("clef-e2e-{}.png", std::process::id()));
    image.save(&path)?;
    let decoded = image::open(&path)
        .context("reading the PNG back")?
        .to_rgba8();
    let _ = std::fs::remove_file(&path);
    check!(decoded == image, "PNG round trip changed the pixels");
    Ok(())
}

pub fn several_pages_at_once(ctx: &Ctx) -> anyhow::Result<()> {
    let server = server()?;
    let first = ctx.browser.open(&server.url("/article"))?;
    let second = ctx.browser.open(&server.url("/second"))?;
    first.evaluate("window.mark = 'first'")?;
    second.evaluate("window.mark = 'second'")?;
    check!(
        first.evaluate("window.mark")? == json!("first"),
        "pages share state"
    );
    check!(
        second.evaluate("window.mark")? == json!("second"),
        "pages share state"
    );
    check!(
        first.title().as_deref() == Some("Fixture Article"),
        "first: {:?}",
        first.title()
    );
    check!(
        second.title().as_deref() == Some("Second"),
        "second: {:?}",
        second.title()
    );
    check!(
        first.screenshot()?.dimensions() == second.screenshot()?.dimensions(),
        "sizes differ"
    );
    Ok(())
}

pub fn eval_returns_typed_json(ctx: &Ctx) -> anyhow::Result<()> {
    let server = server()?;
    let page = ctx.browser.open(&server.url("/article"))?;
    let value = page.evaluate("({n: 1.5, s: 'x', b: true, a: [1, null], o: {k: 'v'}})")?;
    check!(
        value == json!({"a": [1, null], "b": true, "n": 1.5, "o": {"k": "v"}, "s": "x"}),
        "got {value}"
    );
    check!(
        page.evaluate("document.querySelectorAll('p').length")? == json!(2),
        "p count"
    );
    Ok(())
}

pub fn dialogs_do_not_block_headless(ctx: &Ctx) -> anyhow::Result<()> {
    let server = server()?;
    let page = ctx.browser.open(&server.url("/dialog"))?;
    check!(
        page.dialogs() == ["hello", "sure?"],
        "dialogs: {:?}",
        page.dialogs()
    );
    check!(
        page.evaluate("window.answer")? == json!(false),
        "confirm was not refused"
    );
    check!(
        page.visible_text()?.contains("after dialogs"),
        "page did not continue"
    );
    Ok(())
}
