//! What a GGUF file says about its model — name, architecture, quantization, parameter count —
//! read from its metadata and tensor table without loading it (for listing the models on this
//! machine). Only `std`; every length is checked against what is left of the input.

use std::io::Read;

use super::header::{HEADER_LEN, parse_header};

/// The model a GGUF file holds, as its metadata describes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub name: Option<String>,
    pub architecture: Option<String>,
    /// llama.cpp's file type (`general.file_type`), e.g. 15 for Q4_K_M.
    pub file_type: Option<u32>,
    /// Elements in all tensors.
    pub parameters: u64,
    /// Context length the model was trained for (`<arch>.context_length`).
    pub context_length: Option<u64>,
    /// The model's shape, for its KV cache per token: `<arch>.block_count`,
    /// `.embedding_length`, `.attention.head_count`, `.attention.head_count_kv`.
    pub layers: Option<u64>,
    pub embedding: Option<u64>,
    pub heads: Option<u64>,
    pub kv_heads: Option<u64>,
}

/// The architecture-prefixed keys read into a [`Summary`].
const SHAPE_KEYS: [&str; 5] = [
    "context_length",
    "block_count",
    "embedding_length",
    "attention.head_count",
    "attention.head_count_kv",
];

/// Longest string accepted (a chat template is a few kB; tokens are short).
const MAX_STRING: u64 = 1 << 20;
/// Most elements in one metadata array (a vocabulary has ~10^5).
const MAX_ARRAY: u64 = 1 << 24;

struct Reader<R> {
    inner: R,
}

impl<R: Read> Reader<R> {
    fn bytes<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let mut buffer = [0u8; N];
        self.inner
            .read_exact(&mut buffer)
            .map_err(|_| "the metadata ends early".to_owned())?;
        Ok(buffer)
    }

    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.bytes()?))
    }

    fn u64(&mut self) -> Result<u64, String> {
        Ok(u64::from_le_bytes(self.bytes()?))
    }

    fn skip(&mut self, count: u64) -> Result<(), String> {
        let copied = std::io::copy(&mut (&mut self.inner).take(count), &mut std::io::sink())
            .map_err(|error| error.to_string())?;
        if copied == count {
            Ok(())
        } else {
            Err("the metadata ends early".to_owned())
        }
    }

    fn string(&mut self) -> Result<String, String> {
        let length = self.u64()?;
        if length > MAX_STRING {
            return Err(format!("a {length}-byte string in the metadata"));
        }
        let mut buffer = Vec::new();
        (&mut self.inner)
            .take(length)
            .read_to_end(&mut buffer)
            .map_err(|error| error.to_string())?;
        if buffer.len() as u64 != length {
            return Err("the metadata ends early".to_owned());
        }
        Ok(String::from_utf8_lossy(&buffer).into_owned())
    }

    /// A value of `kind`, kept when it is a string or an integer.
    fn value(&mut self, kind: u32) -> Result<Value, String> {
        Ok(match kind {
            0 | 1 | 7 => Value::Int(u64::from(self.bytes::<1>()?[0])),
            2 | 3 => Value::Int(u64::from(u16::from_le_bytes(self.bytes()?))),
            4 | 5 => Value::Int(u64::from(self.u32()?)),
            6 => {
                self.skip(4)?;
                Value::Other
            }
            8 => Value::Text(self.string()?),
            9 => {
                let inner = self.u32()?;
                let count = self.u64()?;
                if count > MAX_ARRAY {
                    return Err(format!("an array of {count} values in the metadata"));
                }
                match fixed_width(inner) {
                    Some(width) => self.skip(count * width)?,
                    None => {
                        for _ in 0..count {
                            self.value(inner)?;
                        }
                    }
                }
                Value::Other
            }
            10 | 11 => Value::Int(self.u64()?),
            12 => {
                self.skip(8)?;
                Value::Other
            }
            other => return Err(format!("unknown metadata type {other}")),
        })
    }
}

enum Value {
    Int(u64),
    Text(String),
    Other,
}

/// Bytes of one value of a fixed-width type; `None` for strings and arrays.
fn fixed_width(kind: u32) -> Option<u64> {
    match kind {
        0 | 1 | 7 => Some(1),
        2 | 3 => Some(2),
        4..=6 => Some(4),
        10..=12 => Some(8),
        _ => None,
    }
}

/// Read the summary from a GGUF stream (a file, or bytes).
pub fn read_summary(input: impl Read) -> Result<Summary, String> {
    let mut reader = Reader { inner: input };
    let header = parse_header(&reader.bytes::<HEADER_LEN>()?)?;
    let mut summary = Summary::default();
    let mut shape = Vec::new();
    for _ in 0..header.metadata {
        let key = reader.string()?;
        let kind = reader.u32()?;
        let value = reader.value(kind)?;
        match (key.as_str(), value) {
            ("general.name", Value::Text(text)) => summary.name = Some(text),
            ("general.architecture", Value::Text(text)) => summary.architecture = Some(text),
            ("general.file_type", Value::Int(number)) => {
                summary.file_type = u32::try_from(number).ok();
            }
            (key, Value::Int(number))
                if SHAPE_KEYS
                    .iter()
                    .any(|suffix| key.ends_with(&format!(".{suffix}"))) =>
            {
                shape.push((key.to_owned(), number));
            }
            _ => {}
        }
    }
    if let Some(architecture) = &summary.architecture {
        let value = |suffix: &str| {
            let wanted = format!("{architecture}.{suffix}");
            shape
                .iter()
                .find(|(key, _)| *key == wanted)
                .map(|(_, value)| *value)
        };
        summary.context_length = value("context_length");
        summary.layers = value("block_count");
        summary.embedding = value("embedding_length");
        summary.heads = value("attention.head_count");
        summary.kv_heads = value("attention.head_count_kv");
    }
    for _ in 0..header.tensors {
        reader.string()?;
        let dimensions = reader.u32()?;
        if dimensions > 8 {
            return Err(format!("a tensor with {dimensions} dimensions"));
        }
        let mut elements: u64 = 1;
        for _ in 0..dimensions {
            elements = elements.saturating_mul(reader.u64()?);
        }
        reader.skip(4 + 8)?;
        summary.parameters = summary.parameters.saturating_add(elements);
    }
    Ok(summary)
}

/// llama.cpp's name for a file type (`general.file_type`).
pub fn file_type_name(file_type: u32) -> &'static str {
    match file_type {
        0 => "F32",
        1 => "F16",
        2 => "Q4_0",
        3 => "Q4_1",
        7 => "Q8_0",
        8 => "Q5_0",
        9 => "Q5_1",
        10 => "Q2_K",
        11 => "Q3_K_S",
        12 => "Q3_K_M",
        13 => "Q3_K_L",
        14 => "Q4_K_S",
        15 => "Q4_K_M",
        16 => "Q5_K_S",
        17 => "Q5_K_M",
        18 => "Q6_K",
        19 => "IQ2_XXS",
        20 => "IQ2_XS",
        21 => "Q2_K_S",
        22 => "IQ3_XS",
        23 => "IQ3_XXS",
        24 => "IQ1_S",
        25 => "IQ4_NL",
        26 => "IQ3_S",
        27 => "IQ3_M",
        28 => "IQ2_S",
        29 => "IQ2_M",
        30 => "IQ4_XS",
        31 => "IQ1_M",
        32 => "BF16",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn string(out: &mut Vec<u8>, text: &str) {
        out.extend((text.len() as u64).to_le_bytes());
        out.extend(text.as_bytes());
    }

    fn sample() -> Vec<u8> {
        let mut bytes = b"GGUF".to_vec();
        bytes.extend(3u32.to_le_bytes());
        bytes.extend(2u64.to_le_bytes()); // tensors
        bytes.extend(7u64.to_le_bytes()); // metadata keys
        string(&mut bytes, "general.architecture");
        bytes.extend(8u32.to_le_bytes());
        string(&mut bytes, "llama");
        string(&mut bytes, "general.name");
        bytes.extend(8u32.to_le_bytes());
        string(&mut bytes, "Tiny Model");
        string(&mut bytes, "general.file_type");
        bytes.extend(4u32.to_le_bytes());
        bytes.extend(15u32.to_le_bytes());
        string(&mut bytes, "tokenizer.ggml.tokens");
        bytes.extend(9u32.to_le_bytes());
        bytes.extend(8u32.to_le_bytes());
        bytes.extend(2u64.to_le_bytes());
        string(&mut bytes, "<s>");
        string(&mut bytes, "hello");
        string(&mut bytes, "llama.context_length");
        bytes.extend(4u32.to_le_bytes());
        bytes.extend(8192u32.to_le_bytes());
        string(&mut bytes, "llama.block_count");
        bytes.extend(4u32.to_le_bytes());
        bytes.extend(28u32.to_le_bytes());
        // Another architecture's key is not this model's shape.
        string(&mut bytes, "bert.attention.head_count");
        bytes.extend(4u32.to_le_bytes());
        bytes.extend(99u32.to_le_bytes());
        for (name, dims) in [("a", [4u64, 8]), ("b", [16, 2])] {
            string(&mut bytes, name);
            bytes.extend(2u32.to_le_bytes());
            for dim in dims {
                bytes.extend(dim.to_le_bytes());
            }
            bytes.extend(0u32.to_le_bytes());
            bytes.extend(0u64.to_le_bytes());
        }
        bytes
    }

    #[test]
    fn the_summary_comes_from_metadata_and_tensors() {
        let summary = read_summary(sample().as_slice()).unwrap();
        assert_eq!(summary.name.as_deref(), Some("Tiny Model"));
        assert_eq!(summary.architecture.as_deref(), Some("llama"));
        assert_eq!(summary.file_type.map(file_type_name), Some("Q4_K_M"));
        assert_eq!(summary.context_length, Some(8192));
        assert_eq!(summary.layers, Some(28));
        assert_eq!(summary.heads, None);
        assert_eq!(summary.parameters, 4 * 8 + 16 * 2);
    }

    #[test]
    fn truncated_or_absurd_files_are_errors() {
        let bytes = sample();
        for cut in [10, 30, 60, bytes.len() - 3] {
            assert!(read_summary(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut huge = bytes.clone();
        // The first key's length, made absurd.
        huge[24..32].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(read_summary(huge.as_slice()).is_err());
    }
}
