//! Shared pieces of Clef's end-to-end tests and benchmarks: a fixture server on 127.0.0.1
//! and the paths of the built binaries.

pub mod server;

use std::path::PathBuf;

/// The directory holding the workspace's built binaries (`clef`, `clef-engine-worker`).
///
/// Test and bench executables live in `<target>/<profile>/deps` or `<target>/<profile>`.
pub fn bin_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_default();
    let dir = exe.parent().map(PathBuf::from).unwrap_or_default();
    if dir.ends_with("deps") { dir.parent().map(PathBuf::from).unwrap_or(dir) } else { dir }
}

/// The `clef` binary, or `CLEF_BIN` when set.
pub fn clef_bin() -> PathBuf {
    std::env::var_os("CLEF_BIN").map_or_else(|| bin_dir().join("clef"), PathBuf::from)
}
