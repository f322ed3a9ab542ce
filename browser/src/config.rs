//! The user's settings: `$XDG_CONFIG_HOME/clef/config.toml`.

use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub model: ModelConfig,
    /// What forms ask about the user; secrets (passwords, card) live in the secret store instead.
    #[serde(default)]
    pub profile: Profile,
    /// What the browser keeps of what the user does.
    #[serde(default)]
    pub privacy: Privacy,
    /// The password manager.
    #[serde(default)]
    pub passwords: Passwords,
    /// `[[mcp_servers]]`: MCP servers whose tools the agent may call.
    #[serde(default)]
    pub mcp_servers: Vec<clef_extensions::mcp::client::ServerConfig>,
}

/// `[passwords]`: whether Clef offers to save logins, and where secrets are kept.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Passwords {
    /// Offer to save a login after the user signs in by hand.
    pub offer_to_save: bool,
    /// `auto` (the desktop's Secret Service if one answers, else the encrypted file),
    /// `secret-service` or `file`.
    pub store: clef_profile::secrets::StoreChoice,
    /// Sites never offered (`bank.example` also covers its subdomains).
    pub never_save: Vec<String>,
}

impl Default for Passwords {
    fn default() -> Self {
        Self {
            offer_to_save: true,
            store: clef_profile::secrets::StoreChoice::Auto,
            never_save: Vec::new(),
        }
    }
}

/// `[privacy]`: history, the local memory of what was read, and session restore.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Privacy {
    /// Keep a history of visited pages.
    pub history: bool,
    /// Keep the reader text of visited pages in a local index ("search my history").
    pub memory: bool,
    /// Sites whose pages are never kept in memory (`bank.example` also covers its subdomains).
    pub memory_exclude: Vec<String>,
    /// Reopen the tabs of the last session at start.
    pub restore_session: bool,
}

impl Default for Privacy {
    fn default() -> Self {
        Self {
            history: true,
            memory: true,
            memory_exclude: Vec::new(),
            restore_session: true,
        }
    }
}

#[derive(Debug, Default, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub street_address: Option<String>,
    pub city: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
}

#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    /// The GGUF file the assistant uses.
    pub path: Option<PathBuf>,
    /// Refuse the model unless its sha256 matches.
    pub sha256: Option<String>,
    /// Context window in tokens.
    pub context: Option<u32>,
    pub threads: Option<i32>,
    pub decode_threads: Option<i32>,
    pub gpu_layers: Option<u32>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not valid: {message}")]
    Invalid { path: PathBuf, message: String },
}

impl Config {
    pub fn default_path() -> Option<PathBuf> {
        dirs::config_dir().map(|dir| dir.join("clef").join("config.toml"))
    }

    /// The user's config file (`default_path`), or defaults where there is none.
    pub fn load_default() -> Result<Self, ConfigError> {
        match Self::default_path() {
            Some(path) => Self::load(&path),
            None => Ok(Self::default()),
        }
    }

    /// Read the config file; a missing file means defaults, a broken one is an error.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Self::default());
            }
            Err(source) => {
                return Err(ConfigError::Read {
                    path: path.to_owned(),
                    source,
                });
            }
        };
        toml::from_str(&text).map_err(|error| ConfigError::Invalid {
            path: path.to_owned(),
            message: error.to_string(),
        })
    }
}

/// Set `keys` in the `[table]` of the config file at `path`, editing it in place: the user's
/// other settings, comments and order stay as they were.
pub fn set_values(
    path: &Path,
    table: &str,
    keys: &[(&str, toml_edit::Item)],
) -> Result<(), ConfigError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(source) => {
            return Err(ConfigError::Read {
                path: path.to_owned(),
                source,
            });
        }
    };
    let invalid = |message: String| ConfigError::Invalid {
        path: path.to_owned(),
        message,
    };
    let mut document: toml_edit::DocumentMut = text
        .parse()
        .map_err(|error: toml_edit::TomlError| invalid(error.to_string()))?;
    let section = document
        .entry(table)
        .or_insert(toml_edit::Item::Table(toml_edit::Table::new()))
        .as_table_mut()
        .ok_or_else(|| invalid(format!("[{table}] is not a table")))?;
    for (key, value) in keys {
        section[key] = value.clone();
    }
    let written = path
        .parent()
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|()| std::fs::write(path, document.to_string()));
    written.map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    // What was written must still be a config this Clef reads.
    Config::load(path).map(drop)
}

/// Add `tool` to the `always_allow` list of the `[[mcp_servers]]` entry named `server` in the
/// config file at `path`, in place (the user said "always" for it).
pub fn allow_tool_always(path: &Path, server: &str, tool: &str) -> Result<(), ConfigError> {
    let invalid = |message: String| ConfigError::Invalid {
        path: path.to_owned(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    let mut document: toml_edit::DocumentMut = text
        .parse()
        .map_err(|error: toml_edit::TomlError| invalid(error.to_string()))?;
    let entry = document
        .get_mut("mcp_servers")
        .and_then(toml_edit::Item::as_array_of_tables_mut)
        .and_then(|servers| {
            servers
                .iter_mut()
                .find(|entry| entry.get("name").and_then(toml_edit::Item::as_str) == Some(server))
        })
        .ok_or_else(|| invalid(format!("no [[mcp_servers]] named \"{server}\"")))?;
    let list = entry
        .entry("always_allow")
        .or_insert(toml_edit::value(toml_edit::Array::new()))
        .as_array_mut()
        .ok_or_else(|| invalid(format!("always_allow of \"{server}\" is not a list")))?;
    if !list.iter().any(|known| known.as_str() == Some(tool)) {
        list.push(tool);
    }
    std::fs::write(path, document.to_string()).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    Config::load(path).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_always_is_added_to_its_server_in_place() {
        let dir = std::env::temp_dir().join(format!("clef-config-mcp-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("config.toml");
        std::fs::write(
            &path,
            "# my servers\n[[mcp_servers]]\nname = \"notes\"\ncommand = [\"notes-mcp\"]\n\n\
             [[mcp_servers]]\nname = \"orders\" # the shop\nurl = \"http://127.0.0.1:8931/mcp\"\n",
        )
        .unwrap();
        allow_tool_always(&path, "orders", "lookup_order").unwrap();
        allow_tool_always(&path, "orders", "lookup_order").unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains("# the shop") && text.starts_with("# my servers"),
            "{text}"
        );
        let servers = Config::load(&path).unwrap().mcp_servers;
        assert!(servers[0].always_allow.is_empty());
        assert_eq!(servers[1].always_allow, ["lookup_order"]);
        assert!(allow_tool_always(&path, "nobody", "x").is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn reads_model_settings_and_rejects_unknown_keys() {
        let dir = std::env::temp_dir().join(format!("clef-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("config.toml");
        std::fs::write(
            &path,
            "[model]\npath = \"/models/a.gguf\"\ncontext = 2048\n",
        )
        .unwrap();
        let config = Config::load(&path).unwrap();
        assert_eq!(
            config.model.path.as_deref(),
            Some(Path::new("/models/a.gguf"))
        );
        assert_eq!(config.model.context, Some(2048));
        assert_eq!(config.privacy, Privacy::default());
        std::fs::write(
            &path,
            "[privacy]\nmemory = false\nmemory_exclude = [\"bank.example\"]\n",
        )
        .unwrap();
        let privacy = Config::load(&path).unwrap().privacy;
        assert!(privacy.history && !privacy.memory);
        assert_eq!(privacy.memory_exclude, ["bank.example"]);
        std::fs::write(&path, "# mine\n[model]\ncontext = 4096\n").unwrap();
        set_values(&path, "privacy", &[("history", toml_edit::value(false))]).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with("# mine\n[model]\ncontext = 4096\n"),
            "{text}"
        );
        assert!(!Config::load(&path).unwrap().privacy.history);
        std::fs::write(&path, "[model]\npaht = \"typo\"\n").unwrap();
        assert!(matches!(
            Config::load(&path),
            Err(ConfigError::Invalid { .. })
        ));
        assert_eq!(
            Config::load(&dir.join("absent.toml")).unwrap(),
            Config::default()
        );
    }
}
