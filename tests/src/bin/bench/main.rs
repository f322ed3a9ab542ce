//! `clef-bench`: page-load figures for Clef beside Debian's headless Chromium, same pages, same
//! run; `clef-bench reading`: reader, snapshot and summary figures; `clef-bench acting`: form
//! fields and agent tasks; `clef-bench miniwob`: the MiniWoB++ development tasks through
//! `clef run`; `clef-bench injection`: the injection screen's precision and recall; `clef-bench
//! mcp`: MCP tool calls through `clef mcp` beside Playwright MCP; `clef-bench passwords`: the
//! password store and downloads; `clef-bench summaries [MODEL]`: both summary styles with a
//! real model; `clef-bench tools [--model PATH]`: the agent calling a real MCP server's tools.
//! Prints tables;
//! `docs/benchmarks.md` records them with these commands.

mod acting;
mod injection;
mod mcp;
mod miniwob;
mod passwords;
mod profile;
mod reading;
mod sovereign;
mod summaries;
mod tools;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use clef_browser::{Headless, HeadlessOptions};
use clef_tests::server::{Route, TestServer};

const RUNS: usize = 5;

fn main() -> anyhow::Result<()> {
    match std::env::args().nth(1).as_deref() {
        Some("reading") => return reading::run(),
        Some("acting") => return acting::run(),
        Some("sovereign") => return sovereign::run(),
        Some("miniwob") => return miniwob::run(),
        Some("injection") => return injection::run(),
        Some("mcp") => return mcp::run(),
        Some("tools") => return tools::run(),
        Some("profile") => return profile::run(),
        Some("passwords") => return passwords::run(),
        Some("summaries") => return summaries::run(),
        Some("questions") => return summaries::run_questions(),
        Some("browser") | None => {}
        Some(other) => {
            anyhow::bail!(
                "unknown benchmark {other:?}: use `browser`, `reading`, `acting`, `sovereign`, `miniwob`, `injection`, `mcp`, `profile`, `passwords`, `summaries` or `questions`"
            )
        }
    }
    let pages = fixture_pages()?;
    let routes: Vec<(&'static str, Route)> = pages
        .iter()
        .map(|(path, html)| (*path, Route::html(html.clone())))
        .collect();
    let server = TestServer::start(routes)?;
    let urls: Vec<String> = pages.iter().map(|(path, _)| server.url(path)).collect();
    println!(
        "{} fixture pages served on 127.0.0.1, {RUNS} runs each where repeated\n",
        urls.len()
    );

    // Whole processes, cold: start, load, print, exit.
    let clef = clef_tests::clef_bin();
    let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists());
    println!(
        "{:<34} {:>12} {:>14}",
        "whole process, one page", "median s", "peak RSS MiB"
    );
    let clef_runs = measure(RUNS, || clef_command(&clef, &urls[0]))?;
    report("clef headless --text", &clef_runs);
    if let Some(chromium) = &chromium {
        let profile =
            std::env::temp_dir().join(format!("clef-bench-chromium-{}", std::process::id()));
        let chromium_runs = measure(RUNS, || chromium_command(chromium, &profile, &urls[0]))?;
        report("chromium --headless --dump-dom", &chromium_runs);
        let _ = std::fs::remove_dir_all(&profile);

        println!(
            "\n{:<40} {:>10} {:>10}",
            "page, one process each (s)", "clef", "chromium"
        );
        let mut clef_all = Vec::new();
        let mut chromium_all = Vec::new();
        for (url, (path, _)) in urls.iter().zip(&pages) {
            let clef_run = measure(1, || clef_command(&clef, url))?;
            let chromium_run = measure(1, || chromium_command(chromium, &profile, url))?;
            println!(
                "{path:<40} {:>10.3} {:>10.3}",
                clef_run[0].wall.as_secs_f64(),
                chromium_run[0].wall.as_secs_f64()
            );
            clef_all.extend(clef_run);
            chromium_all.extend(chromium_run);
        }
        let _ = std::fs::remove_dir_all(&profile);
        println!(
            "\n{:<34} {:>12} {:>14}",
            "all pages", "median s", "peak RSS MiB"
        );
        report("clef headless --text", &clef_all);
        report("chromium --headless --dump-dom", &chromium_all);
    } else {
        println!("chromium not installed: run scripts/setup.sh for the comparison");
    }

    window_idle_cpu(&clef, &urls[0])?;

    // In-process (after the process runs: a fork of a process holding Servo would count
    // Servo's pages in the child's peak RSS): start to first load, then each page.
    let started = Instant::now();
    let browser = Headless::new(HeadlessOptions::default());
    let page = browser.new_page()?;
    page.goto(&urls[0])?;
    let first_load = started.elapsed();
    println!(
        "\nclef in-process: start to first load complete {:.3} s",
        first_load.as_secs_f64()
    );
    println!("{:<40} {:>10}", "page (in-process load)", "seconds");
    let mut loads = Vec::new();
    for (url, (path, _)) in urls.iter().zip(&pages) {
        let began = Instant::now();
        let outcome = page.goto(url);
        let took = began.elapsed();
        let note = outcome
            .err()
            .map(|error| format!("  ({error})"))
            .unwrap_or_default();
        println!("{path:<40} {:>10.3}{note}", took.as_secs_f64());
        loads.push(took);
    }
    println!(
        "clef in-process: page load median {:.3} s, mean {:.3} s over {} pages",
        median(&loads),
        mean(&loads),
        loads.len()
    );
    println!(
        "clef in-process: peak RSS {} MiB",
        self_peak_rss_kib() / 1024
    );
    Ok(())
}

fn clef_command(clef: &Path, url: &str) -> Command {
    let mut command = Command::new(clef);
    command.args(["headless", url, "--text"]);
    command
}

/// Headless Chromium as this machine runs it: no sandbox (root), no GPU, and none of the
/// background connections that a closed network refuses.
fn chromium_command(chromium: &Path, profile: &Path, url: &str) -> Command {
    let mut command = Command::new(chromium);
    command.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]);
    command
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(["--dump-dom", url]);
    command
}

/// CPU time the window uses while showing a page and doing nothing (under Xvfb, if installed).
fn window_idle_cpu(clef: &Path, url: &str) -> anyhow::Result<()> {
    let Some(number) = (150..190).find(|n| !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists())
    else {
        return Ok(());
    };
    let display = format!(":{number}");
    let Ok(mut xvfb) = Command::new("Xvfb")
        .args([
            display.as_str(),
            "-screen",
            "0",
            "1280x800x24",
            "-nolisten",
            "tcp",
        ])
        .stderr(Stdio::null())
        .spawn()
    else {
        println!("\nwindow idle CPU: Xvfb not installed");
        return Ok(());
    };
    std::thread::sleep(Duration::from_secs(1));
    let mut window = Command::new(clef)
        .arg(url)
        .env("DISPLAY", &display)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    std::thread::sleep(Duration::from_secs(4));
    let cpu_ticks = |pid: u32| -> u64 {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        // utime and stime: fields 14 and 15, counted after the command name's closing parenthesis.
        let fields: Vec<&str> = stat
            .rsplit(')')
            .next()
            .unwrap_or_default()
            .split_whitespace()
            .collect();
        fields
            .get(11)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
            + fields
                .get(12)
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
    };
    let before = cpu_ticks(window.id());
    std::thread::sleep(Duration::from_secs(5));
    let after = cpu_ticks(window.id());
    let _ = window.kill();
    let _ = window.wait();
    clef_tests::stop_gracefully(&mut xvfb);
    // Kernel clock ticks are 10 ms here (USER_HZ = 100).
    println!(
        "\nwindow idle CPU over 5 s, page loaded: {} ms",
        (after - before) * 10
    );
    Ok(())
}

/// The demo page and up to ten real article pages from the shared reader set.
fn fixture_pages() -> anyhow::Result<Vec<(&'static str, String)>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut pages = vec![(
        "/demo",
        std::fs::read_to_string(root.join("../resources/demo/index.html"))?,
    )];
    let shared = root.join("../../shared/data/readability");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&shared)
        .map(|entries| entries.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    dirs.sort();
    for dir in dirs.iter().step_by(13).take(10) {
        if let Ok(html) = std::fs::read_to_string(dir.join("source.html")) {
            // Leaked once per bench run: routes are keyed by static paths.
            let name = dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            pages.push((Box::leak(format!("/{name}").into_boxed_str()), html));
        }
    }
    Ok(pages)
}

struct Run {
    wall: Duration,
    peak_rss_kib: i64,
}

/// Run a command `runs` times; wall time and peak RSS (largest process, via wait4) of each.
fn measure(runs: usize, make: impl Fn() -> Command) -> anyhow::Result<Vec<Run>> {
    let mut results = Vec::new();
    for _ in 0..runs {
        let began = Instant::now();
        let child = make().stdout(Stdio::null()).stderr(Stdio::null()).spawn()?;
        let pid = i32::try_from(child.id())?;
        let mut status = 0;
        // SAFETY: an all-zero rusage is valid; wait4 fills it for our own child.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        anyhow::ensure!(waited == pid, "wait4 failed");
        results.push(Run {
            wall: began.elapsed(),
            peak_rss_kib: usage.ru_maxrss,
        });
    }
    Ok(results)
}

fn report(name: &str, runs: &[Run]) {
    let walls: Vec<Duration> = runs.iter().map(|r| r.wall).collect();
    let rss = runs.iter().map(|r| r.peak_rss_kib).max().unwrap_or(0) / 1024;
    println!("{name:<34} {:>12.3} {rss:>14}", median(&walls));
}

/// The middle value (sorting `values` in place); NaN when there are none.
fn median_of(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

fn median(values: &[Duration]) -> f64 {
    let mut seconds: Vec<f64> = values.iter().map(Duration::as_secs_f64).collect();
    if seconds.is_empty() {
        return 0.0;
    }
    median_of(&mut seconds)
}

fn mean(values: &[Duration]) -> f64 {
    values.iter().map(Duration::as_secs_f64).sum::<f64>() / values.len().max(1) as f64
}

fn self_peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}
