//! Form-field accuracy and submit-button precision/recall over the shared forms set, for the
//! whole set and its even (development) and odd (held-out) halves.
//! `cargo run --release -p clef-agent --example forms_eval [-- --mistakes]`

use std::path::PathBuf;

use clef_agent::forms::dataset::{FileScore, index, score_file};

fn report(label: &str, scores: &[&FileScore]) {
    let sum = |f: &dyn Fn(&FileScore) -> usize| scores.iter().map(|s| f(s)).sum::<usize>();
    let fields = sum(&|s| s.fields);
    let correct = sum(&|s| s.correct);
    let expected = sum(&|s| s.expected_failures);
    let expected_correct = sum(&|s| s.expected_failures_correct);
    let predicted = sum(&|s| s.submits_predicted);
    let labelled = sum(&|s| s.submits_labelled);
    let submit_correct = sum(&|s| s.submits_correct);
    println!(
        "{label:<10} fields {fields:>4}  accuracy {:.1}%  without expected failures {:.1}% ({} fields)  submit precision {:.1}% recall {:.1}%",
        100.0 * correct as f64 / fields.max(1) as f64,
        100.0 * (correct - expected_correct) as f64 / (fields - expected).max(1) as f64,
        fields - expected,
        100.0 * submit_correct as f64 / predicted.max(1) as f64,
        100.0 * submit_correct as f64 / labelled.max(1) as f64,
    );
}

fn main() -> std::io::Result<()> {
    let root = std::env::var_os("CLEF_FORMS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/forms")
        });
    let show = std::env::args().any(|arg| arg == "--mistakes");
    let mut entries = index(&root)?;
    entries.sort_by(|a, b| a.html.cmp(&b.html));
    let mut scores = Vec::new();
    for entry in &entries {
        let score = score_file(&root.join(&entry.html), &entry.expected_failures)?;
        if show {
            for mistake in &score.mistakes {
                println!("{mistake}");
            }
        }
        scores.push(score);
    }
    report("all", &scores.iter().collect::<Vec<_>>());
    report("even(dev)", &scores.iter().step_by(2).collect::<Vec<_>>());
    report(
        "odd(held)",
        &scores.iter().skip(1).step_by(2).collect::<Vec<_>>(),
    );
    Ok(())
}
