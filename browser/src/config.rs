//! The user's settings: `$XDG_CONFIG_HOME/clef/config.toml`.

use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub model: ModelConfig,
    /// What forms ask about the user; secrets (passwords, card) live in the OS keyring instead.
    #[serde(default)]
    pub profile: Profile,
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

#[cfg(test)]
mod tests {
    use super::*;

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
