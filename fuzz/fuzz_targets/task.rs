//! The task reader on any text: quotes, apostrophes, case changes that change byte lengths.
#![no_main]

use clef_agent::act::Task;
use clef_agent::forms::FieldKind;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let task = Task::new(text);
    let words: Vec<String> = text
        .split_whitespace()
        .take(4)
        .map(str::to_lowercase)
        .collect();
    for kind in [FieldKind::Username, FieldKind::Email, FieldKind::Other] {
        let _ = task.value_for(&words, kind);
    }
    let _ = task.overlap(&words);
});
