//! Reader quality on the shared readability set (130 real pages with Firefox Reader View's
//! output): the mean token F1 must stay at or above 0.90.

use std::path::PathBuf;

use clef_agent::reader::quality::{page_dirs, score_page};

fn shared_set() -> Option<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/readability");
    if root.is_dir() {
        return Some(root);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "shared readability set missing at {}",
        root.display()
    );
    eprintln!(
        "skipping: shared readability set not found at {}",
        root.display()
    );
    None
}

#[test]
fn mean_f1_over_the_readability_set_is_at_least_0_90() {
    let Some(root) = shared_set() else { return };
    let dirs = page_dirs(&root).expect("list pages");
    assert!(dirs.len() >= 100, "only {} pages found", dirs.len());
    let scores: Vec<_> = dirs
        .iter()
        .map(|dir| score_page(dir).expect("score page"))
        .collect();
    let mean = scores.iter().map(|score| score.overlap.f1).sum::<f64>() / scores.len() as f64;
    let titles = scores.iter().filter(|score| score.title).count();
    eprintln!(
        "reader: mean F1 {mean:.3} over {} pages, titles {titles}",
        scores.len()
    );
    assert!(mean >= 0.90, "mean F1 {mean:.3}");
    // Titles are the metadata users see first; most must agree.
    assert!(
        titles * 10 >= scores.len() * 9,
        "titles agree on {titles} pages"
    );
}
