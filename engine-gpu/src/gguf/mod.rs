//! Checks on a model file before llama.cpp sees it: present, GGUF, and the pinned hash.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::EngineError;

mod header;
mod metadata;

pub use header::{HEADER_LEN, Header, MAGIC, parse_header};
pub use metadata::{Summary, file_type_name, read_summary};

/// Read and sanity-check the GGUF header.
pub fn check_header(path: &Path) -> Result<Header, EngineError> {
    let not_gguf = |reason: String| EngineError::NotGguf {
        path: path.to_owned(),
        reason,
    };
    let mut file = File::open(path).map_err(|_| EngineError::MissingModel(path.to_owned()))?;
    if !file.metadata()?.is_file() {
        return Err(not_gguf("not a regular file".to_owned()));
    }
    let mut header = [0u8; HEADER_LEN];
    file.read_exact(&mut header)
        .map_err(|_| not_gguf("shorter than a GGUF header".to_owned()))?;
    parse_header(&header).map_err(not_gguf)
}

/// Lower-case hex sha256 of a file.
pub fn sha256_file(path: &Path) -> Result<String, EngineError> {
    let mut file = File::open(path).map_err(|_| EngineError::MissingModel(path.to_owned()))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// Refuse a model whose hash differs from the pin.
pub fn verify_pin(path: &Path, expected: &str) -> Result<(), EngineError> {
    let actual = sha256_file(path)?;
    if actual.eq_ignore_ascii_case(expected.trim()) {
        Ok(())
    } else {
        Err(EngineError::HashMismatch {
            path: path.to_owned(),
            expected: expected.trim().to_lowercase(),
            actual,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_file(name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let path = std::env::temp_dir().join(format!("clef-gguf-{}-{name}", std::process::id()));
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn header(version: u32, tensors: u64, metadata: u64) -> Vec<u8> {
        let mut bytes = MAGIC.to_vec();
        bytes.extend(version.to_le_bytes());
        bytes.extend(tensors.to_le_bytes());
        bytes.extend(metadata.to_le_bytes());
        bytes
    }

    #[test]
    fn accepts_a_plausible_header() {
        let path = temp_file("ok", &header(3, 10, 5));
        assert_eq!(
            check_header(&path).unwrap(),
            Header {
                version: 3,
                tensors: 10,
                metadata: 5
            }
        );
    }

    #[test]
    fn rejects_missing_short_foreign_and_corrupt_files() {
        assert!(matches!(
            check_header(Path::new("/no/model.gguf")),
            Err(EngineError::MissingModel(_))
        ));
        let short = temp_file("short", b"GGU");
        assert!(matches!(
            check_header(&short),
            Err(EngineError::NotGguf { .. })
        ));
        let html = temp_file(
            "html",
            b"<!doctype html><html><body>not a model at all</body></html>",
        );
        assert!(matches!(
            check_header(&html),
            Err(EngineError::NotGguf { .. })
        ));
        let version = temp_file("version", &header(9, 10, 5));
        assert!(matches!(
            check_header(&version),
            Err(EngineError::NotGguf { .. })
        ));
        let counts = temp_file("counts", &header(3, u64::MAX, 5));
        assert!(matches!(
            check_header(&counts),
            Err(EngineError::NotGguf { .. })
        ));
    }

    #[test]
    fn pin_must_match() {
        let path = temp_file("pin", b"abc");
        let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert!(verify_pin(&path, abc).is_ok());
        assert!(verify_pin(&path, &abc.to_uppercase()).is_ok());
        let wrong = verify_pin(&path, &"0".repeat(64));
        assert!(matches!(wrong, Err(EngineError::HashMismatch { .. })));
    }
}
