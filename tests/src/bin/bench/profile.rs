//! `clef-bench profile`: the local memory and history at the sizes the profile issue names —
//! index size per 1,000 pages, recall of facts planted in the readability pages among 10,000
//! remembered pages, query latency, the profile's size, and the window's start-up time with a
//! profile of 10,000 history entries and 1,000 remembered pages.
//!
//! Pages beyond the 129 of the readability set are copies of them under other addresses: real
//! text, so the index and its ranking see real word distributions and near-duplicates.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clef_agent::page::PageDocument;
use clef_browser::assistant::read_page;
use clef_profile::{Store, Transition};

use crate::reading::readability_pages;

const HISTORY_PAGES: usize = 10_000;
const STARTUP_REMEMBERED: usize = 1_000;

/// A page's title and passages, as the reader gives them to memory.
type Reading = (String, Vec<String>);

/// A made-up fact planted in a page, and the question that should find it.
struct Planted {
    fact: String,
    question: String,
    answer: String,
}

/// Names nobody else uses, so a question has one right page; the question words differ from
/// the fact's where the language allows (founded / set up, leaves / departs).
fn planted(index: usize) -> Planted {
    const FIRST: [&str; 8] = ["Kor", "Vel", "Tam", "Bri", "Osk", "Lun", "Mar", "Ys"];
    const SECOND: [&str; 8] = [
        "avik", "ethorn", "imbra", "oruna", "elsk", "adrin", "ivo", "enmoor",
    ];
    let name = format!("{}{}", FIRST[index % 8], SECOND[(index / 8) % 8]);
    let number = 1_000 + (index * 7_919) % 8_000;
    let (fact, question, answer) = match index % 6 {
        0 => (
            format!(
                "Amateur astronomers founded the {name} observatory in {}.",
                1_800 + number % 200
            ),
            format!("What year was the {name} observatory set up?"),
            format!("{}", 1_800 + number % 200),
        ),
        1 => (
            format!(
                "The ferry to {name} island leaves the north pier every day at {:02}:{:02}.",
                5 + number % 12,
                number % 60
            ),
            format!("When does the {name} ferry depart?"),
            format!("{:02}:{:02}", 5 + number % 12, number % 60),
        ),
        2 => (
            format!("Surveyors measured the {name} bridge at {number} metres from end to end."),
            format!("How long is the {name} bridge?"),
            format!("{number}"),
        ),
        3 => (
            format!(
                "The {name} choir has {} singers, most of them retired teachers.",
                20 + number % 80
            ),
            format!("How many people sing in the {name} choir?"),
            format!("{}", 20 + number % 80),
        ),
        4 => (
            format!(
                "La bibliothèque de {name} conserve {number} manuscrits anciens dans ses caves."
            ),
            format!("Combien de manuscrits la bibliothèque de {name} possède-t-elle ?"),
            format!("{number}"),
        ),
        _ => (
            format!(
                "Le marché couvert de {name} ouvre ses portes le samedi à {} heures.",
                6 + number % 5
            ),
            format!("À quelle heure ouvre le marché de {name} ?"),
            format!("{} heures", 6 + number % 5),
        ),
    };
    Planted {
        fact,
        question,
        answer,
    }
}

/// The page's HTML with `fact` as a paragraph after the middle one of the page's paragraphs.
fn plant(html: &str, fact: &str) -> String {
    let ends: Vec<usize> = html.match_indices("</p>").map(|(at, _)| at + 4).collect();
    let Some(&at) = ends.get(ends.len() / 2) else {
        return html.to_owned();
    };
    format!("{}<p>{fact}</p>{}", &html[..at], &html[at..])
}

fn passages_of(url: &str, html: &str) -> Option<Reading> {
    let document = PageDocument {
        url: url.to_owned(),
        title: String::new(),
        content_type: "text/html".to_owned(),
        html: html.to_owned(),
        pdf: None,
    };
    let (_, passages) = read_page(&document).ok()?;
    Some((
        passages.title.clone(),
        passages
            .items
            .into_iter()
            .map(|passage| passage.text)
            .collect(),
    ))
}

fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |meta| meta.len())
}

fn folder_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|entry| {
                    let path = entry.path();
                    if path.is_dir() {
                        folder_size(&path)
                    } else {
                        file_size(&path)
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

fn checkpoint(path: &Path) -> anyhow::Result<()> {
    // The size on disk once the write-ahead log is folded in.
    Store::open(path)?.store.checkpoint()?;
    Ok(())
}

fn percentile(values: &mut [Duration], fraction: f64) -> Duration {
    values.sort();
    let index = ((values.len() as f64 - 1.0) * fraction).round() as usize;
    values.get(index).copied().unwrap_or_default()
}

pub fn run() -> anyhow::Result<()> {
    let dirs = readability_pages()?;
    let work = std::env::temp_dir().join(format!("clef-bench-profile-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work)?;

    // The readability pages as the reader passes them to memory; the first 60 readable ones
    // get a planted fact.
    let started = Instant::now();
    let mut pages = Vec::new();
    let mut plants = Vec::new();
    for dir in &dirs {
        let html = std::fs::read_to_string(dir.join("source.html"))?;
        let url = format!(
            "https://{}.example/article",
            dir.file_name().unwrap_or_default().to_string_lossy()
        );
        let Some(clean) = passages_of(&url, &html) else {
            continue;
        };
        let planted_page = if plants.len() < 60 {
            let fact = planted(plants.len());
            let planted_html = plant(&html, &fact.fact);
            passages_of(&url, &planted_html).map(|read| (read, fact))
        } else {
            None
        };
        match planted_page {
            Some((read, fact)) if read.1.iter().any(|passage| passage.contains(&fact.answer)) => {
                plants.push((pages.len(), fact));
                pages.push((url, read, clean));
            }
            _ => pages.push((url.clone(), clean.clone(), clean)),
        }
    }
    let reading = started.elapsed();
    println!(
        "{} readability pages read by the reader in {:.2} s ({:.1} ms a page); facts planted \
         in {} (the reader kept each planted paragraph)",
        pages.len(),
        reading.as_secs_f64(),
        reading.as_secs_f64() * 1000.0 / pages.len().max(1) as f64,
        plants.len()
    );

    // 10,000 visits, each page remembered: the planted copies once, the clean text under
    // other addresses for the rest.
    let database = work.join("places.sqlite");
    let store = Store::open(&database)?.store;
    let base = file_size(&database);
    let mut indexing = Vec::new();
    let mut size_at_1000 = 0;
    let mut passages = 0usize;
    for index in 0..HISTORY_PAGES {
        let slot = index % pages.len();
        let (url, planted_read, clean) = &pages[slot];
        let (url, (title, texts)) = if index < pages.len() {
            (url.clone(), planted_read)
        } else {
            (format!("{url}?copy={index}"), clean)
        };
        let at = 1_700_000_000 + i64::try_from(index)? * 60;
        store.record_visit(&url, title, Transition::Link, at)?;
        let begun = Instant::now();
        store.remember(&url, title, texts, at)?;
        indexing.push(begun.elapsed());
        passages += texts.len();
        if index + 1 == 1_000 {
            checkpoint(&database)?;
            size_at_1000 = file_size(&database) + file_size(&work.join("places.sqlite-wal"));
        }
    }
    drop(store);
    checkpoint(&database)?;
    let total = file_size(&database) + file_size(&work.join("places.sqlite-wal"));
    let store = Store::open(&database)?.store;
    println!(
        "memory index: {} pages, {} passages; {:.1} MB per 1,000 pages (first 1,000: {:.1} MB), \
         {:.1} MB for 10,000 with their history; remembering a page {:.2} ms median, {:.2} ms p95",
        HISTORY_PAGES,
        passages,
        (total - base) as f64 / 1e6 / (HISTORY_PAGES as f64 / 1_000.0),
        (size_at_1000 - base) as f64 / 1e6,
        total as f64 / 1e6,
        percentile(&mut indexing.clone(), 0.5).as_secs_f64() * 1000.0,
        percentile(&mut indexing, 0.95).as_secs_f64() * 1000.0,
    );

    // Recall: does the question find the planted page among 10,000 (first, or in the pages
    // the assistant reads), and the passage holding the answer?
    let mut latencies = Vec::new();
    let (mut first, mut among_read, mut passage_found) = (0, 0, 0);
    for (slot, fact) in &plants {
        let url = &pages[*slot].0;
        let begun = Instant::now();
        let sources = clef_browser::places::memory_sources(&store, &fact.question)?;
        latencies.push(begun.elapsed());
        if sources.first().is_some_and(|source| &source.url == url) {
            first += 1;
        }
        if let Some(source) = sources.iter().find(|source| &source.url == url) {
            among_read += 1;
            if source
                .items
                .iter()
                .any(|passage| passage.text.contains(&fact.answer))
            {
                passage_found += 1;
            }
        }
    }
    let count = plants.len().max(1) as f64;
    println!(
        "recall over {} planted questions (EN and FR) among 10,000 pages: page first {:.0}%, \
         page among those read {:.0}%, answering passage given to the model {:.0}%",
        plants.len(),
        first as f64 * 100.0 / count,
        among_read as f64 * 100.0 / count,
        passage_found as f64 * 100.0 / count,
    );
    println!(
        "memory search latency over 10,000 pages: {:.1} ms median, {:.1} ms p95",
        percentile(&mut latencies.clone(), 0.5).as_secs_f64() * 1000.0,
        percentile(&mut latencies, 0.95).as_secs_f64() * 1000.0,
    );
    let mut history_latency = Vec::new();
    for word in ["article", "news", "copy=99", "zzzz"] {
        let begun = Instant::now();
        let _ = store.history(word, 500)?;
        history_latency.push(begun.elapsed());
    }
    println!(
        "history page search over 10,000 entries: {:.1} ms median",
        percentile(&mut history_latency, 0.5).as_secs_f64() * 1000.0
    );
    drop(store);

    startup(&work, &pages)?;
    kill_loss(&work)?;
    let _ = std::fs::remove_dir_all(&work);
    Ok(())
}

/// What a SIGKILL loses: a page sets a cookie to a counter every 100 ms (and tells the server
/// each value); the window is killed; a restarted window sends the server the cookie it kept.
fn kill_loss(work: &Path) -> anyhow::Result<()> {
    use clef_tests::server::{Route, TestServer};
    if !["Xvfb", "xdotool"].iter().all(|tool| which(tool)) {
        println!("SIGKILL loss: skipped (Xvfb and xdotool needed)");
        return Ok(());
    }
    let counting = "<!doctype html><title>counting</title><script>let n = 0;\
        setInterval(() => { n += 1; document.cookie = 'n=' + n + '; max-age=3600; path=/';\
        fetch('/tick?n=' + n); }, 100);</script>";
    let server = TestServer::start([
        ("/count", Route::html(counting)),
        ("/tick", Route::html("ok")),
        (
            "/kept",
            Route::html("<!doctype html><title>Started</title>"),
        ),
    ])?;
    let mut lost = Vec::new();
    for trial in 0..5_u64 {
        let home = work.join(format!("kill-{trial}"));
        let (mut xvfb, display) = xvfb()?;
        let mut clef = clef_in(&home, &display, &server.url("/count"))?;
        // Killed at a different moment of the cookie copy's cycle each time.
        std::thread::sleep(Duration::from_millis(4_000 + trial * 370));
        clef.kill()?;
        clef.wait()?;
        let targets: Vec<String> = server.received().into_iter().map(|r| r.target).collect();
        let last_set = ticks(&targets, "/tick?n=").max().unwrap_or(0);
        let before = server.received().len();
        let mut again = clef_in(&home, &display, &server.url("/kept"))?;
        let deadline = Instant::now() + Duration::from_secs(30);
        let kept = loop {
            let received = server.received();
            if let Some(request) = received[before..]
                .iter()
                .find(|request| request.target.starts_with("/kept"))
            {
                let cookie = request.header("cookie").unwrap_or_default().to_owned();
                break cookie
                    .split("; ")
                    .find_map(|pair| pair.strip_prefix("n="))
                    .and_then(|n| n.parse::<u64>().ok())
                    .unwrap_or(0);
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "the restarted window sent nothing"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        clef_tests::stop_gracefully(&mut again);
        clef_tests::stop_gracefully(&mut xvfb);
        lost.push(Duration::from_millis(last_set.saturating_sub(kept) * 100));
    }
    let worst = lost.iter().max().copied().unwrap_or_default();
    println!(
        "SIGKILL loss (cookie changes, 5 kills): {:.1} s median, {:.1} s worst \
         (cookie copy every {} s; local storage and IndexedDB are committed by Servo as written)",
        percentile(&mut lost, 0.5).as_secs_f64(),
        worst.as_secs_f64(),
        2
    );
    Ok(())
}

fn ticks<'a>(targets: &'a [String], prefix: &'a str) -> impl Iterator<Item = u64> + 'a {
    targets
        .iter()
        .filter_map(move |target| target.strip_prefix(prefix)?.parse().ok())
}

fn xvfb() -> anyhow::Result<(std::process::Child, String)> {
    let display = ":83";
    let child = std::process::Command::new("Xvfb")
        .args([
            display,
            "-screen",
            "0",
            "1280x800x24",
            "-nolisten",
            "tcp",
            "-noreset",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()?;
    let socket = PathBuf::from("/tmp/.X11-unix/X83");
    while std::os::unix::net::UnixStream::connect(&socket).is_err() {
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok((child, display.to_owned()))
}

fn clef_in(home: &Path, display: &str, address: &str) -> anyhow::Result<std::process::Child> {
    Ok(std::process::Command::new(clef_tests::clef_bin())
        .arg(address)
        .env("DISPLAY", display)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()?)
}

/// A profile with 10,000 history entries and 1,000 remembered pages; the window's start-up
/// time to a local page's title, against an empty profile (median of 3 each, under Xvfb).
fn startup(work: &Path, pages: &[(String, Reading, Reading)]) -> anyhow::Result<()> {
    let home = work.join("home");
    let profile = home.join("data/clef/profile");
    let opened = clef_profile::Profile::open(&profile)?;
    let store = opened.store()?.store;
    for index in 0..HISTORY_PAGES {
        let (url, _, (title, texts)) = &pages[index % pages.len()];
        let url = format!("{url}?visit={index}");
        store.record_visit(
            &url,
            title,
            Transition::Link,
            1_700_000_000 + i64::try_from(index)?,
        )?;
        if index < STARTUP_REMEMBERED {
            store.remember(&url, title, texts, 1_700_000_000)?;
        }
    }
    drop(store);
    drop(opened);
    checkpoint(&profile.join("places.sqlite"))?;
    println!(
        "profile with {HISTORY_PAGES} history entries and {STARTUP_REMEMBERED} remembered pages: \
         {:.1} MB",
        folder_size(&profile) as f64 / 1e6
    );
    if !["Xvfb", "xdotool"].iter().all(|tool| which(tool)) {
        println!("start-up: skipped (Xvfb and xdotool needed)");
        return Ok(());
    }
    let page = work.join("start.html");
    std::fs::write(&page, "<!doctype html><title>Started</title><p>Started.")?;
    let empty = work.join("empty-home");
    for (label, home) in [
        ("empty profile", &empty),
        ("10,000 visits, 1,000 remembered", &home),
    ] {
        let mut times = Vec::new();
        for _ in 0..3 {
            times.push(window_start(home, &page)?);
        }
        println!(
            "window start-up to the first page's title, {label}: {:.2} s median of 3",
            percentile(&mut times, 0.5).as_secs_f64()
        );
    }
    Ok(())
}

fn which(program: &str) -> bool {
    std::process::Command::new("which")
        .arg(program)
        .stdout(std::process::Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

fn window_start(home: &Path, page: &Path) -> anyhow::Result<Duration> {
    let (mut xvfb, display) = xvfb()?;
    let begun = Instant::now();
    let mut clef = clef_in(home, &display, &page.to_string_lossy())?;
    let deadline = begun + Duration::from_secs(60);
    let mut elapsed = None;
    while Instant::now() < deadline {
        let found = std::process::Command::new("xdotool")
            .args(["search", "--name", "^Started"])
            .env("DISPLAY", &display)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()?;
        if found.success() {
            elapsed = Some(begun.elapsed());
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    clef_tests::stop_gracefully(&mut clef);
    clef_tests::stop_gracefully(&mut xvfb);
    elapsed.ok_or_else(|| anyhow::anyhow!("the window never showed the page"))
}
