//! `clef-bench sovereign`: what keeping a copy of every page opened costs (time, disk), and how
//! fast a saved copy opens once its site cannot be reached.

use std::time::{Duration, Instant};

use clef_browser::page_cache::{COPY_SCRIPT, PageCache};
use clef_browser::{Headless, HeadlessOptions};
use clef_tests::server::{Route, TestServer};
use url::Url;

use crate::reading::{offline_copy, readability_pages};
use crate::{median, median_of};

pub fn run() -> anyhow::Result<()> {
    let dirs = readability_pages()?;
    let mut routes = Vec::new();
    let mut source_bytes = 0;
    for (index, dir) in dirs.iter().enumerate() {
        let html = offline_copy(&std::fs::read_to_string(dir.join("source.html"))?);
        source_bytes += html.len();
        routes.push((format!("/page/{index}"), Route::html(html)));
    }
    let server = TestServer::start(routes)?;
    let urls: Vec<String> = (0..dirs.len())
        .map(|index| server.url(&format!("/page/{index}")))
        .collect();
    let cache_dir = std::env::temp_dir().join(format!("clef-bench-cache-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&cache_dir);
    let cache = PageCache::new(&cache_dir);
    let browser = Headless::new(HeadlessOptions::default());

    let (mut loads, mut copies, mut kept_bytes) = (Vec::new(), Vec::new(), 0);
    for url in &urls {
        let page = browser.new_page()?;
        let started = Instant::now();
        let loaded = page.goto(url)?;
        loads.push(started.elapsed());
        // What `Page::goto_keeping_copies` adds to a load: the copy script and the write.
        let started = Instant::now();
        let html = page.evaluate(COPY_SCRIPT)?;
        let html = html.as_str().unwrap_or_default();
        cache.save(&Url::parse(url)?, &loaded.title, html)?;
        copies.push(started.elapsed());
        kept_bytes += html.len();
    }
    let mut copy_ms: Vec<f64> = copies.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
    let median_copy = median_of(&mut copy_ms);
    let p90 = copy_ms[copy_ms.len() * 9 / 10];
    let worst = copy_ms.last().copied().unwrap_or(f64::NAN);
    println!("keeping copies of {} real article pages", urls.len());
    println!(
        "  page load, median           {:>8.1} ms",
        median(&loads) * 1000.0
    );
    println!(
        "  copy and write, median      {median_copy:>8.1} ms (90th percentile {p90:.1} ms, worst {worst:.1} ms)"
    );
    println!(
        "  disk: {:.1} MiB kept for {:.1} MiB served ({:.0}%)",
        kept_bytes as f64 / 1_048_576.0,
        source_bytes as f64 / 1_048_576.0,
        100.0 * kept_bytes as f64 / source_bytes as f64
    );

    // The site goes away: each address opens its saved copy instead.
    drop(server);
    let mut reopened: Vec<Duration> = Vec::new();
    for url in &urls {
        let page = browser.new_page()?;
        let started = Instant::now();
        let opened = page.goto_keeping_copies(url, &cache)?;
        reopened.push(started.elapsed());
        anyhow::ensure!(opened.saved_copy.is_some(), "{url} did not open its copy");
    }
    println!(
        "  site unreachable → saved copy shown, median {:.1} ms (all {} opened)",
        median(&reopened) * 1000.0,
        reopened.len()
    );
    let _ = std::fs::remove_dir_all(&cache_dir);
    Ok(())
}
