//! Reader quality over the shared readability set: token F1 against Firefox Reader View's output
//! and metadata agreement, for the whole set and for its even (development) and odd (held-out)
//! halves. `cargo run --release -p clef-agent --example reader_eval [-- --pages]`

use std::path::PathBuf;

use clef_agent::reader::quality::{PageScore, page_dirs, score_page};

fn summary(label: &str, scores: &[&PageScore]) {
    let n = scores.len().max(1) as f64;
    let mean = |f: &dyn Fn(&PageScore) -> f64| scores.iter().map(|s| f(s)).sum::<f64>() / n;
    println!(
        "{label:<10} pages {:>3}  F1 {:.3}  precision {:.3}  recall {:.3}  title {:.0}%  byline {:.0}%  lang {:.0}%",
        scores.len(),
        mean(&|s| s.overlap.f1),
        mean(&|s| s.overlap.precision),
        mean(&|s| s.overlap.recall),
        100.0 * mean(&|s| f64::from(u8::from(s.title))),
        100.0 * mean(&|s| f64::from(u8::from(s.byline))),
        100.0 * mean(&|s| f64::from(u8::from(s.lang))),
    );
}

fn main() -> std::io::Result<()> {
    let root = std::env::var_os("CLEF_READABILITY_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/readability")
        });
    let show_pages = std::env::args().any(|arg| arg == "--pages");
    let started = std::time::Instant::now();
    let mut scores = Vec::new();
    for dir in page_dirs(&root)? {
        let score = score_page(&dir)?;
        if show_pages {
            println!(
                "{:<45} F1 {:.3} P {:.3} R {:.3}{}",
                score.name,
                score.overlap.f1,
                score.overlap.precision,
                score.overlap.recall,
                score
                    .error
                    .as_deref()
                    .map(|e| format!("  ({e})"))
                    .unwrap_or_default()
            );
        }
        scores.push(score);
    }
    let all: Vec<&PageScore> = scores.iter().collect();
    let even: Vec<&PageScore> = scores.iter().step_by(2).collect();
    let odd: Vec<&PageScore> = scores.iter().skip(1).step_by(2).collect();
    summary("all", &all);
    summary("even(dev)", &even);
    summary("odd(held)", &odd);
    println!(
        "time {:.2} s for {} pages",
        started.elapsed().as_secs_f64(),
        scores.len()
    );
    Ok(())
}
