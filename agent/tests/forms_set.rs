//! Form-field classification on the shared forms set (287 real forms, hand labels stripped
//! before classification). The target is 95%; this guards the measured level against
//! regressions (see docs/benchmarks.md for the figures).

use std::path::PathBuf;

use clef_agent::forms::dataset::{index, score_file};

#[test]
fn field_accuracy_on_the_forms_set_stays_at_its_measured_level() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/forms");
    if !root.is_dir() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "forms set missing at {}",
            root.display()
        );
        eprintln!("skipping: forms set not found at {}", root.display());
        return;
    }
    let entries = index(&root).expect("index.json");
    assert!(entries.len() >= 280, "{} forms", entries.len());
    let (mut fields, mut correct) = (0, 0);
    for entry in &entries {
        let score = score_file(&root.join(&entry.html), &entry.expected_failures).expect("score");
        fields += score.fields;
        correct += score.correct;
    }
    let accuracy = correct as f64 / fields as f64;
    eprintln!(
        "forms: {correct}/{fields} fields right ({:.1}%)",
        100.0 * accuracy
    );
    assert!(fields > 1200, "{fields} labelled fields found");
    assert!(accuracy >= 0.89, "accuracy {accuracy:.3}");
}
