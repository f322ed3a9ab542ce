//! The build-time edition file: `key = "value"` lines (see `resources/edition/clef.toml`).
//! Shared by `build.rs`, which embeds the edition, and the library's tests.

/// What an edition fixes at build time.
#[derive(Debug, Default, PartialEq)]
pub struct EditionFile {
    pub name: String,
    pub start_page: String,
    pub policies: String,
    pub model_sha256: String,
    pub icon: String,
}

/// Parse an edition file; errors name the line.
pub fn parse_edition(text: &str) -> Result<EditionFile, String> {
    let mut edition = EditionFile::default();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(format!("line {}: expected key = \"value\"", number + 1));
        };
        let value = value.trim();
        let Some(value) = value
            .strip_prefix('"')
            .and_then(|value| value.strip_suffix('"'))
        else {
            return Err(format!(
                "line {}: the value must be in double quotes",
                number + 1
            ));
        };
        let slot = match key.trim() {
            "name" => &mut edition.name,
            "start_page" => &mut edition.start_page,
            "policies" => &mut edition.policies,
            "model_sha256" => &mut edition.model_sha256,
            "icon" => &mut edition.icon,
            other => return Err(format!("line {}: unknown key {other:?}", number + 1)),
        };
        *slot = value.to_owned();
    }
    if edition.name.trim().is_empty() {
        return Err("the edition needs a name".to_owned());
    }
    let hash = &edition.model_sha256;
    let valid_hash = hash.len() == 64 && hash.chars().all(|c| c.is_ascii_hexdigit());
    if !hash.is_empty() && !valid_hash {
        return Err("model_sha256 must be 64 hex digits".to_owned());
    }
    Ok(edition)
}
