//! The GGUF header check and the metadata reader (`clef model list`) on any bytes (a truncated
//! download, a renamed file, a corrupted store).
#![no_main]

use libfuzzer_sys::fuzz_target;

// The header and metadata modules are std-only; compiled alone so the fuzz build needs no
// llama.cpp.
#[path = "../../engine-gpu/src/gguf/header.rs"]
#[allow(dead_code)]
mod header;
#[path = "../../engine-gpu/src/gguf/metadata.rs"]
#[allow(dead_code)]
mod metadata;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(header) = header::parse_header(bytes) {
        assert!((1..=3).contains(&header.version) && header.tensors > 0);
    }
    // Never panics, never allocates what the input merely claims.
    let _ = metadata::read_summary(bytes);
});
