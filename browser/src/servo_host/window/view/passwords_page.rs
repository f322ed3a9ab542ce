//! The library's Passwords page: the store and its state, the passphrase to create or unlock
//! the encrypted file, the logins (shown after confirmation), edit, delete, CSV import and export.

use clef_profile::secrets::{PASSWORD, PassphraseNeed, Secret, export_csv, parse_csv};
use serde::Deserialize;
use serde_json::json;

use super::Ui;

/// Commands of the passwords page.
#[derive(Deserialize)]
#[serde(tag = "cmd", rename_all = "snake_case")]
pub(in crate::servo_host::window) enum PasswordCommand {
    UnlockPasswords {
        passphrase: String,
    },
    RevealPassword {
        origin: String,
        username: String,
    },
    HidePasswords,
    EditPassword {
        origin: String,
        username: String,
        password: String,
    },
    DeletePassword {
        origin: String,
        username: String,
    },
    ImportPasswords {
        path: String,
    },
    ExportPasswords {
        path: String,
    },
}

impl std::fmt::Debug for PasswordCommand {
    /// Names the command only: passphrases and passwords stay out of logs.
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self {
            Self::UnlockPasswords { .. } => "unlock_passwords",
            Self::RevealPassword { .. } => "reveal_password",
            Self::HidePasswords => "hide_passwords",
            Self::EditPassword { .. } => "edit_password",
            Self::DeletePassword { .. } => "delete_password",
            Self::ImportPasswords { .. } => "import_passwords",
            Self::ExportPasswords { .. } => "export_passwords",
        };
        formatter.write_str(name)
    }
}

impl PasswordCommand {
    pub(super) fn from_console(message: &str) -> Option<Self> {
        serde_json::from_str(message.strip_prefix(super::super::bridge::COMMAND_PREFIX)?).ok()
    }
}

impl Ui {
    /// What the passwords page shows.
    pub(super) fn passwords_state(&mut self) -> serde_json::Value {
        let disabled = self
            .policies
            .passwords_allowed("")
            .err()
            .map(|error| error.to_string());
        let revealed = self.passwords.revealed.clone();
        let store = match self.passwords.store() {
            Ok(store) => store,
            Err(error) => return json!({ "error": error, "disabled": disabled }),
        };
        let needs = store.needs_passphrase();
        let mut state = json!({
            "store": store.describe(),
            "needs": needs,
            "disabled": disabled,
        });
        if needs == Some(PassphraseNeed::Unlock) {
            return state;
        }
        match store.list() {
            Ok(secrets) => {
                let logins: Vec<_> = secrets
                    .into_iter()
                    .filter(|secret| secret.kind == PASSWORD)
                    .map(|login| {
                        let shown = revealed.as_ref().is_some_and(|(origin, username)| {
                            *origin == login.origin && *username == login.username
                        });
                        json!({
                            "origin": login.origin,
                            "username": login.username,
                            "revealed": shown.then_some(login.value),
                        })
                    })
                    .collect();
                state["logins"] = json!(logins);
            }
            Err(error) => state["error"] = json!(error.to_string()),
        }
        state
    }

    /// A command of the passwords page; returns what to tell the user.
    pub(super) fn password_command(&mut self, command: PasswordCommand) -> Option<String> {
        if !matches!(command, PasswordCommand::RevealPassword { .. }) {
            self.passwords.revealed = None;
        }
        let manager = &mut self.passwords;
        let store = match manager.store() {
            Ok(store) => store,
            Err(error) => return Some(error),
        };
        let said = match command {
            PasswordCommand::UnlockPasswords { passphrase } => match store.unlock(&passphrase) {
                Ok(()) => {
                    let waiting = manager.waiting.take();
                    manager.changed();
                    match waiting {
                        Some(offer) => {
                            self.save_login(offer);
                            "Unlocked, and the login saved.".to_owned()
                        }
                        None => "Unlocked for this session.".to_owned(),
                    }
                }
                Err(error) => error.to_string(),
            },
            PasswordCommand::RevealPassword { origin, username } => {
                manager.revealed = Some((origin, username));
                return None;
            }
            PasswordCommand::HidePasswords => return None,
            PasswordCommand::EditPassword {
                origin,
                username,
                password,
            } => {
                let result = store.save(Secret::login(&origin, &username, &password));
                manager.changed();
                match result {
                    Ok(()) => format!("Password changed for {origin}."),
                    Err(error) => error.to_string(),
                }
            }
            PasswordCommand::DeletePassword { origin, username } => {
                let result = store.remove(&origin, PASSWORD, &username);
                manager.changed();
                match result {
                    Ok(_) => format!("Login deleted for {origin}."),
                    Err(error) => error.to_string(),
                }
            }
            PasswordCommand::ImportPasswords { path } => {
                let path = std::path::PathBuf::from(path.trim());
                let text = match std::fs::read_to_string(&path) {
                    Ok(text) => text,
                    Err(error) => return Some(format!("{}: {error}", path.display())),
                };
                let import = match parse_csv(&text) {
                    Ok(import) => import,
                    Err(error) => return Some(error),
                };
                let broken = import.broken.len();
                let result = store.save_all(import.logins);
                manager.changed();
                match result {
                    Ok(count) if broken == 0 => format!("{count} logins imported."),
                    Ok(count) => {
                        let lines: Vec<String> = import
                            .broken
                            .iter()
                            .take(5)
                            .map(|(line, why)| format!("line {line}: {why}"))
                            .collect();
                        format!(
                            "{count} logins imported; {broken} rows could not be read ({}).",
                            lines.join("; ")
                        )
                    }
                    Err(error) => error.to_string(),
                }
            }
            PasswordCommand::ExportPasswords { path } => {
                let path = std::path::PathBuf::from(path.trim());
                match store
                    .list()
                    .map_err(|error| error.to_string())
                    .and_then(|secrets| export_csv(&secrets))
                    .and_then(|text| write_private(&path, &text))
                {
                    Ok(()) => format!(
                        "Exported to {} — the file holds your passwords in clear.",
                        path.display()
                    ),
                    Err(error) => error,
                }
            }
        };
        self.refresh_login_keys();
        Some(said)
    }
}

/// A new file only its owner can read (an existing one is not replaced).
fn write_private(path: &std::path::Path, text: &str) -> Result<(), String> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    if path.as_os_str().is_empty() {
        return Err("give the file's path first".to_owned());
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|error| format!("{}: {error}", path.display()))?;
    file.write_all(text.as_bytes())
        .map_err(|error| format!("{}: {error}", path.display()))
}
