//! Reader view on any HTML.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|html: &str| {
    let _ = clef_agent::reader::extract(html);
});
