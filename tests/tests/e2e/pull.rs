//! `clef model pull` against a loopback server: a cut connection resumed with a range request,
//! the sha256 a Hugging Face-style redirect announces, a wrong hash, a file that is no model,
//! and the organisation's pin.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use sha2::Digest;

use clef_tests::clef_bin;
use clef_tests::server::{Request, Route, TestServer};

use crate::check;
use crate::harness::Ctx;

/// A 200 with the whole file's length but only the first `cut` bytes (the connection then
/// closes), or a 206 for a range request.
fn serve(bytes: &[u8], request: &Request, cut: Option<usize>, etag: Option<&str>) -> Vec<u8> {
    let etag = etag
        .map(|hash| format!("ETag: \"{hash}\"\r\n"))
        .unwrap_or_default();
    let from = request
        .header("range")
        .and_then(|range| range.strip_prefix("bytes="))
        .and_then(|range| range.trim_end_matches('-').parse::<usize>().ok());
    let (head, body) = match from {
        Some(from) if from < bytes.len() => (
            format!(
                "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes {from}-{}/{}\r\n\
                 Content-Length: {}\r\n{etag}Connection: close\r\n\r\n",
                bytes.len() - 1,
                bytes.len(),
                bytes.len() - from
            ),
            &bytes[from..],
        ),
        _ => (
            format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n{etag}Connection: close\r\n\r\n",
                bytes.len()
            ),
            &bytes[..cut.unwrap_or(bytes.len()).min(bytes.len())],
        ),
    };
    let mut out = head.into_bytes();
    out.extend_from_slice(body);
    out
}

struct Home(PathBuf);

impl Home {
    fn clef(&self, args: &[&str]) -> anyhow::Result<Output> {
        Ok(Command::new(clef_bin())
            .args(args)
            .env("XDG_DATA_HOME", self.0.join("data"))
            .env("XDG_CONFIG_HOME", self.0.join("config"))
            .env_remove("CLEF_MODELS")
            .env("CLEF_POLICIES", self.0.join("no-policies.json"))
            .output()?)
    }

    fn models(&self) -> PathBuf {
        self.0.join("data/clef/models")
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn said(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn names(folder: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(folder)
        .map(|entries| {
            entries
                .flatten()
                .map(|entry| entry.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

pub fn resumes_checks_and_refuses(_: &Ctx) -> anyhow::Result<()> {
    let Some(model) = clef_tests::test_model()? else {
        println!("    skipped: test model missing (run scripts/setup.sh)");
        return Ok(());
    };
    let bytes: Arc<Vec<u8>> = Arc::new(std::fs::read(&model)?);
    let sha256 = hex::encode(sha2::Sha256::digest(bytes.as_slice()));
    let cut = bytes.len() * 2 / 5;
    let (cut_bytes, cdn_bytes, wrong_bytes) = (bytes.clone(), bytes.clone(), bytes.clone());
    let (announced, wrong) = (sha256.clone(), "0".repeat(64));
    let server = TestServer::start([
        (
            "/cut/model.gguf",
            Route::raw(move |request| serve(&cut_bytes, request, Some(cut), None)),
        ),
        (
            // As Hugging Face's resolve links: a redirect that names the file's sha256.
            "/resolve/main/hub.gguf",
            Route::raw(move |_| {
                format!(
                    "HTTP/1.1 302 Found\r\nLocation: /cdn/hub.gguf\r\nX-Linked-Etag: \
                     \"{announced}\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                )
                .into_bytes()
            }),
        ),
        (
            "/cdn/hub.gguf",
            Route::raw(move |request| serve(&cdn_bytes, request, None, None)),
        ),
        (
            "/wrong/other.gguf",
            Route::raw(move |request| serve(&wrong_bytes, request, None, Some(&wrong))),
        ),
        (
            "/notes/notes.gguf",
            Route::html("<p>not a model</p>".repeat(100)),
        ),
    ])?;
    let home = Home(std::env::temp_dir().join(format!("clef-pull-{}", std::process::id())));
    let _ = std::fs::remove_dir_all(&home.0);

    // The connection breaks at 40%: the part is kept, the message says how to go on.
    let url = server.url("/cut/model.gguf");
    let first = home.clef(&["model", "pull", &url, "--sha256", &sha256])?;
    check!(
        !first.status.success() && said(&first).contains("run the same command again to resume"),
        "a cut download: {}",
        said(&first)
    );
    let part = home.models().join("model.gguf.part");
    check!(
        std::fs::metadata(&part).map_or(0, |meta| meta.len()) == cut as u64,
        "the part holds {:?} bytes, not {cut}",
        std::fs::metadata(&part).map(|meta| meta.len())
    );
    // Again: a range request for the rest, the whole file checked.
    let second = home.clef(&["model", "pull", &url, "--sha256", &sha256])?;
    let text = said(&second);
    check!(
        second.status.success() && text.contains("resumed from") && text.contains(", checked"),
        "resuming: {text}"
    );
    let ranged = server
        .received()
        .iter()
        .any(|request| request.header("range") == Some(&format!("bytes={cut}-")));
    check!(ranged, "no range request reached the server");
    let pulled = std::fs::read(home.models().join("model.gguf"))?;
    check!(
        hex::encode(sha2::Sha256::digest(&pulled)) == sha256,
        "the resumed file differs from the served one"
    );

    // A Hugging Face-style redirect announces the hash; --use makes it the default.
    let hub = home.clef(&[
        "model",
        "pull",
        &server.url("/resolve/main/hub.gguf"),
        "--use",
    ])?;
    let text = said(&hub);
    check!(
        hub.status.success() && text.contains(", checked") && text.contains("default model"),
        "pull with an announced hash: {text}"
    );
    let config = std::fs::read_to_string(home.0.join("config/clef/config.toml"))?;
    check!(config.contains("hub.gguf"), "config after --use: {config}");

    // A file whose hash is not the announced one, and a file that is no model: both deleted.
    let wrong = home.clef(&["model", "pull", &server.url("/wrong/other.gguf")])?;
    check!(
        !wrong.status.success() && said(&wrong).contains("not 0000"),
        "a wrong hash: {}",
        said(&wrong)
    );
    let notes = home.clef(&["model", "pull", &server.url("/notes/notes.gguf")])?;
    check!(
        !notes.status.success() && said(&notes).contains("not a GGUF"),
        "not a model: {}",
        said(&notes)
    );
    let left = names(&home.models());
    check!(
        left == ["hub.gguf", "model.gguf"],
        "models folder after the failures: {left:?}"
    );

    // The organisation pins the model: nothing is fetched.
    std::fs::write(
        home.0.join("no-policies.json"),
        format!(
            r#"{{"policies": {{"Models": {{"Path": "{}"}}}}}}"#,
            model.display()
        ),
    )?;
    let before = server.received().len();
    let pinned = home.clef(&["model", "pull", &url])?;
    check!(
        !pinned.status.success() && said(&pinned).contains("organisation sets the model"),
        "a pinned model: {}",
        said(&pinned)
    );
    check!(
        server.received().len() == before,
        "a refused pull reached the server"
    );
    Ok(())
}

/// `clef model info` says what suits this machine and how to run the model before loading it;
/// a model larger than the machine's memory is refused before loading, not killed by the kernel.
pub fn advice_and_a_model_too_large(_: &Ctx) -> anyhow::Result<()> {
    let Some(model) = clef_tests::test_model()? else {
        println!("    skipped: test model missing (run scripts/setup.sh)");
        return Ok(());
    };
    let home = Home(std::env::temp_dir().join(format!("clef-advice-{}", std::process::id())));
    let _ = std::fs::remove_dir_all(&home.0);
    std::fs::create_dir_all(&home.0)?;
    let info = home.clef(&["model", "info", &model.to_string_lossy()])?;
    let text = said(&info);
    check!(
        info.status.success()
            && text.contains("this machine:")
            && text.contains("suggested here: a ")
            && text.contains("this model here: context ")
            && text.find("suggested here").unwrap_or(usize::MAX) < text.find("name:").unwrap_or(0),
        "model info: {text}"
    );
    // A GGUF header on a sparse file of 4 TB: it reads like a model far beyond this machine.
    let huge = home.0.join("huge.gguf");
    let header: Vec<u8> = std::fs::read(&model)?.into_iter().take(1 << 20).collect();
    std::fs::write(&huge, &header)?;
    std::fs::OpenOptions::new()
        .write(true)
        .open(&huge)?
        .set_len(4 << 40)?;
    let refused = home.clef(&["model", "info", &huge.to_string_lossy()])?;
    let text = said(&refused);
    check!(
        !refused.status.success() && text.contains("cannot load here"),
        "a model too large: {text}"
    );
    Ok(())
}
