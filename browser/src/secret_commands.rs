//! `clef secret …`: the profile's saved logins and other secrets from the command line. Values
//! come in on standard input, never as arguments (which other users can read in `ps`).

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use anyhow::Context as _;
use clef_agent::act::origin_of;
use clef_agent::forms::FieldKind;
use clef_browser::assistant::{SecretsVault, kept_in_keyring};
use clef_browser::config::Config;
use clef_profile::secrets::{PassphraseNeed, Secrets, export_csv, parse_csv};

use crate::places_commands::{ProfileArg, profile_dir};

#[derive(clap::Subcommand)]
pub enum SecretCommand {
    /// What is saved (sites, kinds, user names; never the values) and where it is kept.
    List {
        #[command(flatten)]
        profile: ProfileArg,
    },
    /// Save a secret for a site, read from standard input (never from the command line).
    Set {
        /// The site, e.g. https://example.org
        #[arg(long)]
        site: String,
        /// username, password, new-password, card-number, card-cvc or card-expiry
        #[arg(long)]
        kind: String,
        #[command(flatten)]
        profile: ProfileArg,
    },
    /// Forget a saved secret.
    Delete {
        #[arg(long)]
        site: String,
        #[arg(long)]
        kind: String,
        #[command(flatten)]
        profile: ProfileArg,
    },
    /// Unlock the encrypted passwords file for this session (or create it): the passphrase is
    /// read from the terminal, or from standard input.
    Unlock {
        #[command(flatten)]
        profile: ProfileArg,
    },
    /// Lock the encrypted passwords file again: every Clef process of the session (the window,
    /// `clef run`, `clef mcp`) needs the passphrase before it reads a password.
    Lock {
        #[command(flatten)]
        profile: ProfileArg,
    },
    /// Import logins from a CSV file exported by Firefox, Chrome or Clef.
    Import {
        file: PathBuf,
        #[command(flatten)]
        profile: ProfileArg,
    },
    /// Export the logins as CSV (Firefox's columns). The file holds the passwords in clear.
    Export {
        file: PathBuf,
        #[command(flatten)]
        profile: ProfileArg,
    },
}

fn kind_of(name: &str) -> anyhow::Result<FieldKind> {
    let kind: FieldKind = serde_json::from_value(serde_json::Value::String(name.to_owned()))
        .with_context(|| format!("unknown kind {name:?}"))?;
    anyhow::ensure!(
        kept_in_keyring(kind),
        "{name} is not kept as a secret (set it in the [profile] of config.toml)"
    );
    Ok(kind)
}

fn vault(profile: &ProfileArg) -> anyhow::Result<SecretsVault> {
    let config = Config::load_default()?;
    let dir = profile_dir(profile.profile.as_deref())?;
    Ok(SecretsVault::open(
        config.profile,
        &dir,
        config.passwords.store,
    ))
}

fn store(vault: &SecretsVault) -> anyhow::Result<&Secrets> {
    vault.secrets().map_err(|error| anyhow::anyhow!("{error}"))
}

/// One line of standard input, without its line ending.
fn read_line(prompt: &str) -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        eprintln!("{prompt}");
    }
    let mut value = String::new();
    std::io::stdin().lock().read_line(&mut value)?;
    Ok(value.trim_end_matches(['\n', '\r']).to_owned())
}

fn read_passphrase(prompt: &str) -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        Ok(rpassword::prompt_password(prompt)?)
    } else {
        read_line(prompt)
    }
}

pub fn secret(command: SecretCommand) -> anyhow::Result<()> {
    match command {
        SecretCommand::List { profile } => {
            let vault = vault(&profile)?;
            let store = store(&vault)?;
            println!("Secrets are kept in {}.", store.describe());
            if let Some(PassphraseNeed::Unlock) = store.needs_passphrase() {
                println!("Run `clef secret unlock` to list them.");
                return Ok(());
            }
            let secrets = store.list()?;
            if secrets.is_empty() {
                println!("Nothing is saved.");
            }
            for secret in secrets {
                let who = if secret.username.is_empty() {
                    String::new()
                } else {
                    format!(" {}", secret.username)
                };
                println!("{}\t{}{who}", secret.origin, secret.kind);
            }
        }
        SecretCommand::Set {
            site,
            kind,
            profile,
        } => {
            let origin = origin_of(&site).with_context(|| format!("{site} is not a site"))?;
            let kind = kind_of(&kind)?;
            let vault = vault(&profile)?;
            let value = read_line("type the value, then Enter:")?;
            anyhow::ensure!(!value.is_empty(), "no value given on standard input");
            vault.save(&origin, kind, &value)?;
            eprintln!("saved for {origin} in {}", store(&vault)?.describe());
        }
        SecretCommand::Delete {
            site,
            kind,
            profile,
        } => {
            let origin = origin_of(&site).with_context(|| format!("{site} is not a site"))?;
            vault(&profile)?.forget(&origin, kind_of(&kind)?)?;
        }
        SecretCommand::Unlock { profile } => {
            let mut vault = vault(&profile)?;
            let store = vault
                .secrets_mut()
                .map_err(|error| anyhow::anyhow!("{error}"))?;
            match store.needs_passphrase() {
                None => println!("Nothing to unlock: {}.", store.describe()),
                Some(PassphraseNeed::Create) => {
                    let first = read_passphrase("Choose a passphrase for Clef's passwords file: ")?;
                    if std::io::stdin().is_terminal() {
                        let again = read_passphrase("The same passphrase again: ")?;
                        anyhow::ensure!(first == again, "the two passphrases differ");
                    }
                    store.unlock(&first)?;
                    println!("Created {}.", store.describe());
                }
                Some(PassphraseNeed::Unlock) => {
                    let passphrase = read_passphrase("Passphrase of Clef's passwords file: ")?;
                    store.unlock(&passphrase)?;
                    println!("Unlocked: {}.", store.describe());
                }
            }
        }
        SecretCommand::Lock { profile } => {
            let mut vault = vault(&profile)?;
            let store = vault
                .secrets_mut()
                .map_err(|error| anyhow::anyhow!("{error}"))?;
            if store.lock() {
                println!("Locked: {}.", store.describe());
            } else {
                println!("Nothing to lock: {}.", store.describe());
            }
        }
        SecretCommand::Import { file, profile } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let import =
                parse_csv(&text).map_err(|error| anyhow::anyhow!("{}: {error}", file.display()))?;
            let vault = vault(&profile)?;
            let count = store(&vault)?.save_all(import.logins)?;
            println!("{count} logins imported from {}.", file.display());
            for (line, why) in &import.broken {
                eprintln!("line {line} skipped: {why}");
            }
            if !import.broken.is_empty() {
                eprintln!("{} rows could not be read.", import.broken.len());
            }
        }
        SecretCommand::Export { file, profile } => {
            let vault = vault(&profile)?;
            let text =
                export_csv(&store(&vault)?.list()?).map_err(|error| anyhow::anyhow!(error))?;
            write_private(&file, &text)?;
            eprintln!(
                "exported to {} — it holds your passwords in clear: delete it once imported",
                file.display()
            );
        }
    }
    Ok(())
}

/// Write a file only its owner can read; an existing file is not replaced.
fn write_private(path: &std::path::Path, text: &str) -> anyhow::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(text.as_bytes())?;
    Ok(())
}
