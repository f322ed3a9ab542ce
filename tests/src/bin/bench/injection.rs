//! `clef-bench injection`: precision and recall of the injection screen on a labelled set —
//! benign paragraphs from the readability articles, injected passages from
//! `tests/data/injection/injected.txt` and variants of them (see that folder's README).

use std::path::PathBuf;

use clef_agent::dom::{Document, ROOT};
use clef_agent::injection::screen_blocks;

use crate::reading::readability_pages;

/// One injected item: its elements (more than one when split), language and variant.
struct Injected {
    elements: Vec<String>,
    french: bool,
    variant: &'static str,
    /// Position of the passage it comes from in the file (halves: even and odd).
    line: usize,
}

fn injected_set() -> anyhow::Result<Vec<Injected>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/injection/injected.txt");
    let text = std::fs::read_to_string(&path)?;
    let mut french = false;
    let mut items = Vec::new();
    let mut line = 0;
    for raw in text.lines() {
        match raw.trim() {
            "" => continue,
            "[en]" => french = false,
            "[fr]" => french = true,
            comment if comment.starts_with("//") => continue,
            passage => {
                let elements: Vec<String> = passage.split('¦').map(str::to_owned).collect();
                let split = elements.len() > 1;
                items.push(Injected {
                    elements: elements.clone(),
                    french,
                    variant: if split { "split" } else { "plain" },
                    line,
                });
                if line % 2 == 0 {
                    items.push(Injected {
                        elements: elements.iter().map(|e| zero_width(e)).collect(),
                        french,
                        variant: "zero-width",
                        line,
                    });
                }
                if line % 3 == 0 && !split {
                    items.push(Injected {
                        elements: thirds(passage),
                        french,
                        variant: "split",
                        line,
                    });
                }
                line += 1;
            }
        }
    }
    Ok(items)
}

/// A zero-width space after every third letter inside words.
fn zero_width(text: &str) -> String {
    let mut out = String::new();
    let mut run = 0;
    for ch in text.chars() {
        out.push(ch);
        if ch.is_alphabetic() {
            run += 1;
            if run % 3 == 0 {
                out.push('\u{200b}');
            }
        } else {
            run = 0;
        }
    }
    out
}

/// The passage cut in three at word boundaries, as if spread over three elements.
fn thirds(text: &str) -> Vec<String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let size = words.len().div_ceil(3).max(1);
    words.chunks(size).map(|chunk| chunk.join(" ")).collect()
}

/// Each article's paragraphs (and list items) of 40 characters or more, in order.
fn benign_articles() -> anyhow::Result<Vec<Vec<String>>> {
    let mut articles = Vec::new();
    for dir in readability_pages()? {
        let Ok(html) = std::fs::read_to_string(dir.join("expected.html")) else {
            continue;
        };
        let doc = Document::parse(&html);
        let paragraphs: Vec<String> = doc
            .find_all(ROOT, &["p", "li", "blockquote"])
            .into_iter()
            .map(|node| {
                doc.text_content(node)
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .filter(|text| text.chars().count() >= 40)
            .collect();
        if !paragraphs.is_empty() {
            articles.push(paragraphs);
        }
    }
    Ok(articles)
}

#[derive(Default, Clone, Copy)]
struct Tally {
    caught: usize,
    total: usize,
}

impl Tally {
    fn add(&mut self, caught: bool) {
        self.total += 1;
        self.caught += usize::from(caught);
    }

    fn rate(self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.caught as f64 / self.total as f64
        }
    }
}

pub fn run() -> anyhow::Result<()> {
    let articles = benign_articles()?;
    let injected = injected_set()?;
    // Benign: every paragraph, screened with its article's neighbours as the browser does.
    let (mut benign, mut benign_halves) = (Tally::default(), [Tally::default(); 2]);
    let mut false_alarms = Vec::new();
    for (index, paragraphs) in articles.iter().enumerate() {
        let blocks: Vec<&str> = paragraphs.iter().map(String::as_str).collect();
        for (text, flagged) in paragraphs.iter().zip(screen_blocks(&blocks)) {
            benign.add(flagged);
            benign_halves[index % 2].add(flagged);
            if flagged && index % 2 == 0 {
                false_alarms.push(text.clone());
            }
        }
    }
    let mut recall = Tally::default();
    let mut halves = [Tally::default(); 2];
    let mut by_language = [Tally::default(); 2];
    let mut by_variant: Vec<(&str, Tally)> = Vec::new();
    let mut misses = Vec::new();
    for item in &injected {
        let blocks: Vec<&str> = item.elements.iter().map(String::as_str).collect();
        let caught = screen_blocks(&blocks).into_iter().any(|flag| flag);
        recall.add(caught);
        halves[item.line % 2].add(caught);
        by_language[usize::from(item.french)].add(caught);
        match by_variant
            .iter_mut()
            .find(|(name, _)| *name == item.variant)
        {
            Some((_, tally)) => tally.add(caught),
            None => {
                let mut tally = Tally::default();
                tally.add(caught);
                by_variant.push((item.variant, tally));
            }
        }
        if !caught && item.line % 2 == 0 {
            misses.push(format!("[{}] {}", item.variant, item.elements.join(" | ")));
        }
    }
    let precision = |caught: usize, alarms: usize| {
        if caught + alarms == 0 {
            0.0
        } else {
            caught as f64 / (caught + alarms) as f64
        }
    };
    println!(
        "labelled set: {} benign paragraphs from {} articles, {} injected items ({} passages)",
        benign.total,
        articles.len(),
        injected.len(),
        injected
            .iter()
            .map(|item| item.line)
            .max()
            .map_or(0, |l| l + 1)
    );
    println!(
        "{:<28} {:>10} {:>10} {:>14}",
        "", "recall", "precision", "false alarms"
    );
    println!(
        "{:<28} {:>10.3} {:>10.3} {:>9} / {}",
        "all",
        recall.rate(),
        precision(recall.caught, benign.caught),
        benign.caught,
        benign.total
    );
    for (half, name) in ["even half (developed on)", "odd half (held out)"]
        .iter()
        .enumerate()
    {
        println!(
            "{:<28} {:>10.3} {:>10.3} {:>9} / {}",
            name,
            halves[half].rate(),
            precision(halves[half].caught, benign_halves[half].caught),
            benign_halves[half].caught,
            benign_halves[half].total
        );
    }
    for (language, name) in ["English", "French"].iter().enumerate() {
        println!(
            "{:<28} {:>10.3}",
            format!("{name} ({})", by_language[language].total),
            by_language[language].rate()
        );
    }
    for (variant, tally) in &by_variant {
        println!(
            "{:<28} {:>10.3}",
            format!("{variant} ({})", tally.total),
            tally.rate()
        );
    }
    if std::env::var_os("CLEF_BENCH_VERBOSE").is_some() {
        println!("\nmissed (even half):");
        for miss in &misses {
            println!("  {miss}");
        }
        println!("\nfalse alarms (even half):");
        for alarm in &false_alarms {
            println!("  {}", alarm.chars().take(160).collect::<String>());
        }
    }
    Ok(())
}
