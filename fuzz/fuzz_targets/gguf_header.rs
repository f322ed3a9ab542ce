//! The GGUF header check on any bytes (a truncated download, a renamed file).
#![no_main]

use libfuzzer_sys::fuzz_target;

// The header module is std-only; compiled alone so the fuzz build needs no llama.cpp.
#[path = "../../engine-gpu/src/gguf/header.rs"]
#[allow(dead_code)]
mod header;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(header) = header::parse_header(bytes) {
        assert!((1..=3).contains(&header.version) && header.tensors > 0);
    }
});
