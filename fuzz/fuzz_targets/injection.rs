//! The injection screen on any text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = clef_agent::injection::addresses_assistant(text);
});
