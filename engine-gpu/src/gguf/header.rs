//! The fixed GGUF header, read from bytes. Only `std`: the fuzz target compiles this file alone
//! (`fuzz/fuzz_targets/gguf_header.rs`), without llama.cpp.

pub const MAGIC: &[u8; 4] = b"GGUF";
/// Magic, version, tensor count and metadata count.
pub const HEADER_LEN: usize = 24;

/// The fixed GGUF header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub version: u32,
    pub tensors: u64,
    pub metadata: u64,
}

/// Parse and sanity-check a header from the file's first bytes; `Err` says what is wrong.
pub fn parse_header(bytes: &[u8]) -> Result<Header, String> {
    let Some(header) = bytes.get(..HEADER_LEN) else {
        return Err("shorter than a GGUF header".to_owned());
    };
    if &header[..4] != MAGIC {
        return Err("the file does not start with the GGUF magic".to_owned());
    }
    let word = |range: std::ops::Range<usize>| {
        let mut bytes = [0u8; 8];
        bytes[..range.len()].copy_from_slice(&header[range]);
        u64::from_le_bytes(bytes)
    };
    let version = word(4..8) as u32;
    let tensors = word(8..16);
    let metadata = word(16..24);
    if !(1..=3).contains(&version) {
        return Err(format!("unsupported GGUF version {version}"));
    }
    // Counts beyond these are corruption, not models.
    if tensors == 0 || tensors > 1_000_000 || metadata > 1_000_000 {
        return Err(format!(
            "implausible header ({tensors} tensors, {metadata} keys)"
        ));
    }
    Ok(Header {
        version,
        tensors,
        metadata,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_checked_field_by_field() {
        let mut bytes = b"GGUF".to_vec();
        bytes.extend(3u32.to_le_bytes());
        bytes.extend(201u64.to_le_bytes());
        bytes.extend(24u64.to_le_bytes());
        assert_eq!(
            parse_header(&bytes),
            Ok(Header {
                version: 3,
                tensors: 201,
                metadata: 24
            })
        );
        assert!(parse_header(&bytes[..10]).is_err());
        bytes[4] = 9;
        assert!(parse_header(&bytes).unwrap_err().contains("version 9"));
        assert!(parse_header(b"GGML and more bytes than a header needs").is_err());
    }
}
