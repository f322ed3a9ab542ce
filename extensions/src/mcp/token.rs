//! The bearer token HTTP clients must send: one per profile, made on first use, kept in a file
//! only the user can read.

use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};

/// The profile's token and whether it was just made (then it is shown once).
#[derive(Debug)]
pub struct Token {
    pub value: String,
    pub path: PathBuf,
    pub created: bool,
}

/// Read the token in `dir`, or make one there.
pub fn load_or_create(dir: &Path) -> std::io::Result<Token> {
    let path = dir.join("mcp-token");
    match std::fs::read_to_string(&path) {
        Ok(text) if valid(text.trim()) => {
            return Ok(Token {
                value: text.trim().to_owned(),
                path,
                created: false,
            });
        }
        Ok(_) => {
            tracing::warn!(path = %path.display(), "the MCP token file is damaged; making a new token")
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => return Err(error),
    }
    std::fs::create_dir_all(dir)?;
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|error| std::io::Error::other(error.to_string()))?;
    let value = hex::encode(bytes);
    let temporary = dir.join("mcp-token.new");
    // A file left from an earlier attempt may have other permissions: start afresh, so the
    // mode below applies.
    match std::fs::remove_file(&temporary) {
        Ok(()) => {}
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => return Err(error),
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&temporary)?;
    writeln!(file, "{value}")?;
    file.sync_all()?;
    std::fs::rename(&temporary, &path)?;
    Ok(Token {
        value,
        path,
        created: true,
    })
}

fn valid(token: &str) -> bool {
    token.len() == 64 && token.bytes().all(|byte| byte.is_ascii_hexdigit())
}

/// Whether an `Authorization` header carries `token`, compared in constant time.
pub fn authorizes(header: Option<&[u8]>, token: &str) -> bool {
    let Some(given) = header.and_then(|header| header.strip_prefix(b"Bearer ")) else {
        return false;
    };
    let expected = token.as_bytes();
    if given.len() != expected.len() {
        return false;
    }
    given
        .iter()
        .zip(expected)
        .fold(0u8, |difference, (a, b)| difference | (a ^ b))
        == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_made_once_and_kept() {
        let dir = std::env::temp_dir().join(format!("clef-token-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let first = load_or_create(&dir).unwrap();
        assert!(first.created && valid(&first.value));
        let mode = std::fs::metadata(&first.path).unwrap().permissions();
        assert_eq!(
            std::os::unix::fs::PermissionsExt::mode(&mode) & 0o777,
            0o600
        );
        let again = load_or_create(&dir).unwrap();
        assert!(!again.created);
        assert_eq!(again.value, first.value);
        std::fs::write(&first.path, "garbage").unwrap();
        let remade = load_or_create(&dir).unwrap();
        assert!(remade.created && remade.value != first.value);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn only_the_exact_bearer_token_authorizes() {
        let token = "ab".repeat(32);
        let header = format!("Bearer {token}");
        assert!(authorizes(Some(header.as_bytes()), &token));
        assert!(!authorizes(None, &token));
        assert!(!authorizes(Some(token.as_bytes()), &token));
        assert!(!authorizes(Some(b"Bearer abab"), &token));
        let wrong = format!("Bearer {}", "cd".repeat(32));
        assert!(!authorizes(Some(wrong.as_bytes()), &token));
    }
}
