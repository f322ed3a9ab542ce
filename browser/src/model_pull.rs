//! `clef model pull URL`: a GGUF the user asked for, fetched into Clef's models folder — like a
//! page load, it goes only where the user pointed. A partial download is kept as `NAME.part`
//! and resumed with a range request; the file is checked against a sha256 (given, or the one
//! Hugging Face and other stores send as the file's ETag) and as a GGUF before it takes its
//! name. No proxy from the environment: Clef's page loads use none either.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use url::Url;

/// Redirects followed at most (Hugging Face sends one, to its CDN).
const MAX_REDIRECTS: usize = 10;

#[derive(Debug, thiserror::Error)]
pub enum PullError {
    #[error("{0} is not an http(s) address of a file")]
    Address(String),
    #[error("cannot fetch {url}: {message}")]
    Network { url: String, message: String },
    #[error("{url} answered HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("too many redirects from {0}")]
    Redirects(String),
    #[error(
        "the download's sha256 is {found}, not {expected}: it was deleted (a damaged or different \
         file)"
    )]
    WrongHash { expected: String, found: String },
    #[error("the download is not a GGUF model ({0}); it was deleted")]
    NotGguf(String),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> PullError + '_ {
    move |source| PullError::Io {
        path: path.to_owned(),
        source,
    }
}

/// How far a download has come, for a progress bar.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub done: u64,
    /// From the server, when it says.
    pub total: Option<u64>,
    /// Bytes a previous, interrupted run had already fetched.
    pub resumed_from: u64,
    pub elapsed: Duration,
}

/// A finished download.
#[derive(Debug)]
pub struct Pulled {
    pub path: PathBuf,
    pub sha256: String,
    /// Whether the hash was checked against one given or sent by the server.
    pub verified: bool,
    pub resumed_from: u64,
}

/// Fetch `address` into `folder`; `expected` is a sha256 the file must have.
pub fn pull(
    address: &str,
    folder: &Path,
    expected: Option<&str>,
    progress: &mut dyn FnMut(Progress),
) -> Result<Pulled, PullError> {
    let url = Url::parse(address)
        .ok()
        .filter(|url| matches!(url.scheme(), "http" | "https"))
        .ok_or_else(|| PullError::Address(address.to_owned()))?;
    let name = file_name(&url).ok_or_else(|| PullError::Address(address.to_owned()))?;
    std::fs::create_dir_all(folder).map_err(io(folder))?;
    let partial = folder.join(format!("{name}.part"));
    let already = std::fs::metadata(&partial).map_or(0, |meta| meta.len());

    let agent = http_agent(0);
    let (response, announced_hash) = fetch(&agent, &url, already)?;
    let expected = expected
        .map(|hash| hash.trim().to_ascii_lowercase())
        .or(announced_hash);
    let status = response.status().as_u16();
    // 206: the server continues where the part ends; 200: it sends everything again.
    let resumed_from = if status == 206 { already } else { 0 };
    let total = match status {
        206 => header(&response, "content-range")
            .and_then(|range| range.rsplit('/').next()?.parse::<u64>().ok()),
        _ => header(&response, "content-length").and_then(|length| length.parse().ok()),
    };
    let mut hasher = Sha256::new();
    let mut file = if resumed_from > 0 {
        // The part's bytes count towards the hash.
        let mut existing = File::open(&partial).map_err(io(&partial))?;
        std::io::copy(&mut existing, &mut hasher).map_err(io(&partial))?;
        OpenOptions::new()
            .append(true)
            .open(&partial)
            .map_err(io(&partial))?
    } else {
        File::create(&partial).map_err(io(&partial))?
    };
    let started = Instant::now();
    let mut done = resumed_from;
    let mut body = response.into_body().into_reader();
    let mut buffer = vec![0u8; 1 << 16];
    let mut reported = Instant::now();
    loop {
        let read = body.read(&mut buffer).map_err(|error| PullError::Network {
            url: url.to_string(),
            message: format!(
                "the connection broke after {done} bytes ({error}); run the same command again \
                 to resume"
            ),
        })?;
        if read == 0 {
            break;
        }
        file.write_all(&buffer[..read]).map_err(io(&partial))?;
        hasher.update(&buffer[..read]);
        done += read as u64;
        if reported.elapsed() >= Duration::from_millis(200) {
            reported = Instant::now();
            progress(Progress {
                done,
                total,
                resumed_from,
                elapsed: started.elapsed(),
            });
        }
    }
    file.sync_all().map_err(io(&partial))?;
    drop(file);
    progress(Progress {
        done,
        total,
        resumed_from,
        elapsed: started.elapsed(),
    });
    if let Some(total) = total
        && done < total
    {
        return Err(PullError::Network {
            url: url.to_string(),
            message: format!(
                "the server sent {done} of {total} bytes; run the same command again to resume"
            ),
        });
    }
    let found = hex::encode(hasher.finalize());
    if let Some(expected) = &expected
        && *expected != found
    {
        let _ = std::fs::remove_file(&partial);
        return Err(PullError::WrongHash {
            expected: expected.clone(),
            found,
        });
    }
    if let Err(error) = clef_engine::gguf::check_header(&partial) {
        let _ = std::fs::remove_file(&partial);
        return Err(PullError::NotGguf(error.to_string()));
    }
    let path = free_name(folder, &name, &found);
    std::fs::rename(&partial, &path).map_err(io(&path))?;
    Ok(Pulled {
        path,
        sha256: found,
        verified: expected.is_some(),
        resumed_from,
    })
}

/// An HTTP client as Clef's own downloads use it: no proxy from the environment (page loads
/// use none either), the system's certificate roots, Servo's rustls provider, redirects
/// followed up to `redirects` times (0: by the caller).
pub(crate) fn http_agent(redirects: u32) -> ureq::Agent {
    ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .max_redirects(redirects)
            .http_status_as_error(false)
            .proxy(None)
            .timeout_connect(Some(Duration::from_secs(30)))
            .tls_config(
                ureq::tls::TlsConfig::builder()
                    .root_certs(ureq::tls::RootCerts::PlatformVerifier)
                    .unversioned_rustls_crypto_provider(std::sync::Arc::new(
                        rustls::crypto::aws_lc_rs::default_provider(),
                    ))
                    .build(),
            )
            .build(),
    )
}

/// GET `url` (from byte `from` when resuming), following redirects by hand so that a sha256
/// the first hop announces (Hugging Face's `X-Linked-ETag`) is not lost on the CDN's answer.
fn fetch(
    agent: &ureq::Agent,
    url: &Url,
    from: u64,
) -> Result<(ureq::http::Response<ureq::Body>, Option<String>), PullError> {
    let mut current = url.clone();
    let mut announced = None;
    for _ in 0..MAX_REDIRECTS {
        let mut request = agent.get(current.as_str());
        if from > 0 {
            request = request.header("Range", format!("bytes={from}-"));
        }
        let response = request.call().map_err(|error| PullError::Network {
            url: current.to_string(),
            message: error.to_string(),
        })?;
        for name in ["x-linked-etag", "etag"] {
            if announced.is_none() {
                announced = header(&response, name).and_then(sha256_in_etag);
            }
        }
        let status = response.status().as_u16();
        if (300..400).contains(&status) {
            let location = header(&response, "location").ok_or_else(|| PullError::Status {
                url: current.to_string(),
                status,
            })?;
            current = current
                .join(&location)
                .map_err(|_| PullError::Address(location))?;
            continue;
        }
        // The part was already whole: start again rather than guess.
        if status == 416 {
            return fetch(agent, url, 0);
        }
        if status != 200 && status != 206 {
            return Err(PullError::Status {
                url: current.to_string(),
                status,
            });
        }
        return Ok((response, announced));
    }
    Err(PullError::Redirects(url.to_string()))
}

fn header(response: &ureq::http::Response<ureq::Body>, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

/// A sha256 in an ETag (`"<64 hex>"`, maybe weak), as Hugging Face sends for LFS files.
fn sha256_in_etag(etag: String) -> Option<String> {
    let value = etag
        .trim()
        .trim_start_matches("W/")
        .trim_matches('"')
        .to_ascii_lowercase();
    (value.len() == 64 && value.bytes().all(|byte| byte.is_ascii_hexdigit())).then_some(value)
}

/// The file's name from the address's last segment: no path separators, no leading dot.
fn file_name(url: &Url) -> Option<String> {
    let last = url.path_segments()?.next_back()?;
    let decoded = percent_encoding::percent_decode_str(last)
        .decode_utf8()
        .ok()?;
    let clean: String = decoded
        .chars()
        .filter(|character| !matches!(character, '/' | '\\' | '\0') && !character.is_control())
        .collect();
    let clean = clean.trim_start_matches('.').to_owned();
    (!clean.is_empty()).then_some(clean)
}

/// `name`, or `name (1).gguf`, … — never over another file (the same file already there is
/// reused: its name is returned and the new copy replaces it).
fn free_name(folder: &Path, name: &str, sha256: &str) -> PathBuf {
    let (stem, extension) = match name.rsplit_once('.') {
        Some((stem, extension)) => (stem.to_owned(), format!(".{extension}")),
        None => (name.to_owned(), String::new()),
    };
    for number in 0.. {
        let candidate = if number == 0 {
            folder.join(name)
        } else {
            folder.join(format!("{stem} ({number}){extension}"))
        };
        let same =
            || clef_engine::gguf::sha256_file(&candidate).is_ok_and(|existing| existing == sha256);
        if !candidate.exists() || same() {
            return candidate;
        }
    }
    folder.join(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_hashes_come_from_what_servers_send() {
        let url = |text: &str| Url::parse(text).unwrap();
        assert_eq!(
            file_name(&url(
                "https://hf.co/a/b/resolve/main/Qwen2.5%201.5B.Q4_K_M.gguf?download=1"
            ))
            .as_deref(),
            Some("Qwen2.5 1.5B.Q4_K_M.gguf")
        );
        assert_eq!(
            file_name(&url("https://x.example/..%2F..%2Fetc")).as_deref(),
            Some("etc")
        );
        assert_eq!(file_name(&url("https://x.example/")), None);
        let hash = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046";
        assert_eq!(sha256_in_etag(format!("\"{hash}\"")).as_deref(), Some(hash));
        assert_eq!(
            sha256_in_etag(format!("W/\"{}\"", hash.to_uppercase())).as_deref(),
            Some(hash)
        );
        assert_eq!(sha256_in_etag("\"abc-123\"".to_owned()), None);
    }
}
