//! `clef-bench reading`: reader quality, snapshot size against the raw HTML, and summary
//! latency with the test model on 2 CPU cores.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::time::Instant;

use clef_agent::act::Task;
use clef_agent::act::observe::outline;
use clef_agent::page::visible_document;
use clef_agent::reader::quality::{page_dirs, score_page};
use clef_agent::snapshot::Snapshotter;
use clef_agent::summary;
use clef_browser::assistant::{HeadlessAccess, LocalModel, read_page};
use clef_browser::{Headless, HeadlessOptions};
use clef_engine::EngineOptions;

fn readability_dir() -> PathBuf {
    std::env::var_os("CLEF_READABILITY_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/readability"),
        PathBuf::from,
    )
}

/// The readability set's page folders; an error where the set is missing.
pub fn readability_pages() -> anyhow::Result<Vec<PathBuf>> {
    let dirs = page_dirs(&readability_dir())?;
    anyhow::ensure!(
        !dirs.is_empty(),
        "readability set missing at {}",
        readability_dir().display()
    );
    Ok(dirs)
}

pub fn run() -> anyhow::Result<()> {
    let dirs = readability_pages()?;
    reader_quality(&dirs)?;
    let model_path = clef_tests::test_model()?
        .ok_or_else(|| anyhow::anyhow!("test model missing: run scripts/setup.sh"))?;
    let mut model = LocalModel::start(EngineOptions::new(&model_path))?;
    let browser = Headless::new(HeadlessOptions::default());
    snapshot_size(&browser, &mut model, &dirs)?;
    summary_latency(&browser, &mut model, &dirs)?;
    Ok(())
}

fn reader_quality(dirs: &[PathBuf]) -> anyhow::Result<()> {
    let started = Instant::now();
    let scores: Vec<_> = dirs
        .iter()
        .map(|dir| score_page(dir))
        .collect::<Result<_, _>>()?;
    let mean = |pick: &dyn Fn(usize) -> bool,
                f: &dyn Fn(&clef_agent::reader::quality::PageScore) -> f64| {
        let chosen: Vec<_> = scores
            .iter()
            .enumerate()
            .filter(|(i, _)| pick(*i))
            .map(|(_, s)| f(s))
            .collect();
        chosen.iter().sum::<f64>() / chosen.len().max(1) as f64
    };
    println!(
        "reader over {} pages ({:.2} s)",
        scores.len(),
        started.elapsed().as_secs_f64()
    );
    for (label, pick) in [
        ("all", &(|_| true) as &dyn Fn(usize) -> bool),
        ("even (dev)", &|i| i % 2 == 0),
        ("odd (held out)", &|i| i % 2 == 1),
    ] {
        println!(
            "  {label:<15} F1 {:.3}  precision {:.3}  recall {:.3}  title {:.0}%  byline {:.0}%  lang {:.0}%",
            mean(pick, &|s| s.overlap.f1),
            mean(pick, &|s| s.overlap.precision),
            mean(pick, &|s| s.overlap.recall),
            100.0 * mean(pick, &|s| f64::from(u8::from(s.title))),
            100.0 * mean(pick, &|s| f64::from(u8::from(s.byline))),
            100.0 * mean(pick, &|s| f64::from(u8::from(s.lang))),
        );
    }
    Ok(())
}

fn offline_dir() -> std::io::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("clef-bench-reading-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// Load `dir`'s page, offline.
pub(super) fn open_offline(browser: &Headless, dir: &Path) -> anyhow::Result<clef_browser::Page> {
    let html = std::fs::read_to_string(dir.join("source.html"))?;
    let source = offline_dir()?.join("source.html");
    std::fs::write(&source, offline_copy(&html))?;
    let page = browser.new_page()?;
    page.goto(&file_url(&source))?;
    Ok(page)
}

fn file_url(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// The page with its outside subresources (scripts, styles, images, frames) switched off: this
/// machine has no network, and each would wait for a connection timeout. The text and markup
/// the snapshot and the token count see are unchanged.
pub fn offline_copy(html: &str) -> String {
    let mut out = html.to_owned();
    for attribute in ["src", "srcset"] {
        for quote in ['"', '\''] {
            for scheme in ["http", "//"] {
                let from = format!(" {attribute}={quote}{scheme}");
                let to = format!(" data-offline-{attribute}={quote}{scheme}");
                out = out.replace(&from, &to);
            }
        }
    }
    // Stylesheets and preloads: `<link ... href=...>`.
    let mut rebuilt = String::with_capacity(out.len());
    let mut rest = out.as_str();
    while let Some(start) = rest.find("<link") {
        let end = rest[start..]
            .find('>')
            .map_or(rest.len(), |end| start + end);
        rebuilt.push_str(&rest[..start]);
        rebuilt.push_str(&rest[start..end].replace(" href=", " data-offline-href="));
        rest = &rest[end..];
    }
    rebuilt.push_str(rest);
    rebuilt
}

/// Snapshot tokens against the raw HTML's, both counted by the test model's tokenizer.
fn snapshot_size(
    browser: &Headless,
    model: &mut LocalModel,
    dirs: &[PathBuf],
) -> anyhow::Result<()> {
    use clef_agent::model::LanguageModel as _;
    let mut html_total = 0usize;
    let mut snapshot_total = 0usize;
    let mut ratios = Vec::new();
    let mut failures = 0;
    let started = Instant::now();
    for dir in dirs {
        let html = std::fs::read_to_string(dir.join("source.html"))?;
        let source = offline_dir()?.join("source.html");
        std::fs::write(&source, offline_copy(&html))?;
        let page = browser.new_page()?;
        if page.goto(&file_url(&source)).is_err() {
            failures += 1;
            continue;
        }
        let Ok(snapshot) = Snapshotter::new().take(&mut HeadlessAccess::new(&page)) else {
            failures += 1;
            continue;
        };
        let text = outline(&snapshot, &Task::new(""), usize::MAX / 2);
        let counted = Instant::now();
        let html_tokens = model.count_tokens(&html);
        let snapshot_tokens = model.count_tokens(&text);
        if std::env::var_os("CLEF_BENCH_VERBOSE").is_some() {
            eprintln!(
                "{}: {html_tokens} -> {snapshot_tokens} tokens, counting {:.2} s",
                dir.display(),
                counted.elapsed().as_secs_f64()
            );
        }
        html_total += html_tokens;
        snapshot_total += snapshot_tokens;
        ratios.push(snapshot_tokens as f64 / html_tokens.max(1) as f64);
    }
    println!(
        "\nsnapshot (whole page, no budget) vs raw HTML, test model tokenizer, {} pages ({} failed to load), {:.1} s",
        ratios.len(),
        failures,
        started.elapsed().as_secs_f64()
    );
    println!(
        "  total {snapshot_total} vs {html_total} tokens = {:.1}%; per-page median {:.1}%, worst {:.1}%",
        100.0 * snapshot_total as f64 / html_total.max(1) as f64,
        100.0 * super::median_of(&mut ratios.clone()),
        100.0 * ratios.iter().copied().fold(0.0, f64::max),
    );
    Ok(())
}

fn unrelated_request() -> clef_agent::model::ModelRequest {
    clef_agent::model::ModelRequest {
        system: "You are a helpful assistant.".to_owned(),
        user: vec![clef_agent::model::Segment::trusted("Hello!")],
        grammar: None,
        max_tokens: 1,
    }
}

struct Timing {
    first_token: f64,
    total: f64,
    points: usize,
}

fn summarize_once(
    model: &mut LocalModel,
    passages: &clef_agent::passages::Passages,
) -> anyhow::Result<Timing> {
    let started = Instant::now();
    let mut first = None;
    let result = summary::summarize(model, passages, &mut |event| {
        if let summary::Event::Token(_) = event {
            first.get_or_insert_with(|| started.elapsed().as_secs_f64());
        }
        ControlFlow::Continue(())
    })?;
    Ok(Timing {
        first_token: first.unwrap_or(f64::NAN),
        total: started.elapsed().as_secs_f64(),
        points: result.points.len(),
    })
}

/// Time to the first summary token and to the whole summary, on real articles of the set.
fn summary_latency(
    browser: &Headless,
    model: &mut LocalModel,
    dirs: &[PathBuf],
) -> anyhow::Result<()> {
    let typical = [
        "nytimes-1",
        "bbc-1",
        "wikipedia",
        "medium-1",
        "cnet",
        "ars-1",
        "wapo-1",
        "guardian-1",
        "lemonde-1",
        "theverge",
    ];
    let mut warm_first = Vec::new();
    let mut cold_first = Vec::new();
    let mut totals = Vec::new();
    let mut words = Vec::new();
    println!(
        "\nsummary, test model, 2 CPU cores (warm: the summary prompt's start read at model load, as the window does)"
    );
    println!(
        "  {:<14} {:>7} {:>10} {:>10} {:>9} {:>7}",
        "page", "words", "cold 1st s", "warm 1st s", "total s", "points"
    );
    for name in typical {
        let Some(dir) = dirs.iter().find(|dir| dir.ends_with(name)) else {
            continue;
        };
        let page = open_offline(browser, dir)?;
        let document = visible_document(&mut HeadlessAccess::new(&page))?;
        let Ok((article, passages)) = read_page(&document) else {
            continue;
        };
        // Cold: the cache holds an unrelated prompt, so everything is read afresh.
        model.prefill(&unrelated_request())?;
        let cold = summarize_once(model, &passages)?;
        model.prefill(&summary::warm_up_for(&*model))?;
        let warm = summarize_once(model, &passages)?;
        println!(
            "  {name:<14} {:>7} {:>10.3} {:>10.3} {:>9.2} {:>7}",
            article.word_count(),
            cold.first_token,
            warm.first_token,
            warm.total,
            warm.points
        );
        cold_first.push(cold.first_token);
        warm_first.push(warm.first_token);
        totals.push(warm.total);
        words.push(article.word_count() as f64);
    }
    println!(
        "  median over {} articles (median {} words): first token warm {:.3} s, cold {:.3} s; whole summary {:.2} s",
        warm_first.len(),
        super::median_of(&mut words) as usize,
        super::median_of(&mut warm_first),
        super::median_of(&mut cold_first),
        super::median_of(&mut totals)
    );
    // Stop latency: from the caller's stop to the call returning.
    let dir = dirs
        .iter()
        .find(|dir| dir.ends_with("nytimes-1"))
        .unwrap_or(&dirs[0]);
    let page = open_offline(browser, dir)?;
    let (_, passages) = read_page(&visible_document(&mut HeadlessAccess::new(&page))?)?;
    let mut latencies = Vec::new();
    for _ in 0..5 {
        let mut stopped_at = None;
        let mut tokens = 0;
        summary::summarize(model, &passages, &mut |event| {
            if let summary::Event::Token(_) = event {
                tokens += 1;
                if tokens == 3 {
                    stopped_at = Some(Instant::now());
                    return ControlFlow::Break(());
                }
            }
            ControlFlow::Continue(())
        })?;
        if let Some(at) = stopped_at {
            latencies.push(at.elapsed().as_secs_f64() * 1000.0);
        }
    }
    println!(
        "  stop: median {:.1} ms from the stop to the call returning (5 runs)",
        super::median_of(&mut latencies)
    );
    Ok(())
}
