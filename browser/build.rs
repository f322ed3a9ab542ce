//! Embeds the edition (product name, start page, built-in policies, model pin, icon) named by
//! `CLEF_EDITION` (a file like `resources/edition/clef.toml`, which is the default).

use std::path::{Path, PathBuf};

#[path = "src/edition_file.rs"]
mod edition_file;

fn main() {
    println!("cargo:rerun-if-env-changed=CLEF_EDITION");
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let path = std::env::var_os("CLEF_EDITION")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest.join("../resources/edition/clef.toml"));
    println!("cargo:rerun-if-changed={}", path.display());
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read the edition file {}: {error}", path.display()));
    let edition = edition_file::parse_edition(&text)
        .unwrap_or_else(|error| panic!("edition file {}: {error}", path.display()));
    let dir = path.parent().unwrap_or(Path::new("."));
    let read_beside = |name: &str| -> Option<Vec<u8>> {
        if name.is_empty() {
            return None;
        }
        let file = dir.join(name);
        println!("cargo:rerun-if-changed={}", file.display());
        Some(std::fs::read(&file).unwrap_or_else(|error| {
            panic!(
                "edition file {}: cannot read {}: {error}",
                path.display(),
                file.display()
            )
        }))
    };
    let policies =
        read_beside(&edition.policies).map(|bytes| String::from_utf8_lossy(&bytes).into_owned());
    let icon = read_beside(&edition.icon);
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default());
    let icon_path = out.join("edition-icon.png");
    std::fs::write(&icon_path, icon.as_deref().unwrap_or_default())
        .unwrap_or_else(|error| panic!("{error}"));
    let optional = |value: &str| {
        if value.is_empty() {
            "None".to_owned()
        } else {
            format!("Some({value:?})")
        }
    };
    let generated = format!(
        "pub const NAME: &str = {:?};\npub const START_PAGE: Option<&str> = {};\npub const POLICIES: Option<&str> = {};\npub const MODEL_SHA256: Option<&str> = {};\npub const ICON_PNG: &[u8] = include_bytes!({:?});\npub const SOURCE: &str = {:?};\n",
        edition.name,
        optional(&edition.start_page),
        match &policies {
            Some(text) => format!("Some({text:?})"),
            None => "None".to_owned(),
        },
        optional(&edition.model_sha256),
        icon_path.display().to_string(),
        path.display().to_string(),
    );
    std::fs::write(out.join("edition.rs"), generated).unwrap_or_else(|error| panic!("{error}"));
}
