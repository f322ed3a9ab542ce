//! Find in page in the real window: Ctrl+F, the count, next and previous, case, Esc.

use std::process::Command;

use clef_tests::clef_bin;
use clef_tests::server::{Route, TestServer};

use crate::harness::Ctx;
use crate::window::{
    clef_window, focus_window, start_xvfb, tools_present, wait_for_title, xdotool,
};

/// The page reports in its title how many of Clef's marks it holds and whether it scrolled; the
/// third match is far down, so stepping to it must scroll.
const PAGE: &str = r#"<!doctype html><title>page</title>
<body style="font:18px sans-serif">
<p>Night trains are back. The night train leaves at eight.</p>
<p style="display:none">night (hidden: never counted)</p>
<div style="height:3000px"></div>
<p id=far>NIGHT owls take the last one.</p>
<script>
const report = () => {
  const marks = document.querySelectorAll("mark").length;
  const current = document.querySelector("mark[data-clef-current]");
  document.title = "marks " + marks + " scrolled " + (window.scrollY > 1000) +
    " current " + (current ? current.textContent : "none");
};
new MutationObserver(report).observe(document.body, { childList: true, subtree: true, attributes: true });
window.addEventListener("scroll", report);
report();
</script>"#;

pub fn finds_counts_and_steps_through_matches(_: &Ctx) -> anyhow::Result<()> {
    if !tools_present(&["Xvfb", "xdotool"])? {
        return Ok(());
    }
    let server = TestServer::start([("/", Route::html(PAGE))])?;
    let (_xvfb, display) = start_xvfb()?;
    let mut command = Command::new(clef_bin());
    command.arg(server.url("/"));
    let _clef = clef_window(command, &display)?;
    focus_window(&display, "marks 0")?;
    xdotool(&display, &["key", "ctrl+f"])?;
    xdotool(&display, &["type", "--delay", "30", "night"])?;
    // Case-insensitive by default: three visible matches, the first current, nothing scrolled.
    wait_for_title(&display, "^marks 3 scrolled false current Night")?;
    // Enter steps forward, Shift+Enter back; the third is far down, so the page scrolls to it.
    xdotool(&display, &["key", "Return", "Return"])?;
    wait_for_title(&display, "^marks 3 scrolled true current NIGHT")?;
    xdotool(&display, &["key", "shift+Return"])?;
    wait_for_title(&display, "^marks 3 scrolled false current night")?;
    // Match case (Alt+C): "NIGHT" alone.
    xdotool(&display, &["key", "ctrl+a"])?;
    xdotool(&display, &["type", "--delay", "30", "NIGHT"])?;
    wait_for_title(&display, "^marks 3 ")?;
    xdotool(&display, &["key", "alt+c"])?;
    wait_for_title(&display, "^marks 1 scrolled true current NIGHT")?;
    // Esc closes the bar and takes every mark out of the page.
    xdotool(&display, &["key", "Escape"])?;
    wait_for_title(&display, "^marks 0 ")?;
    Ok(())
}
