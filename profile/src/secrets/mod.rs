//! Saved logins and other secrets (card numbers, one-time codes…), each tied to the site it was
//! saved for. They live outside the profile's database, in one of two stores:
//! - the desktop's **Secret Service** (GNOME Keyring, KWallet…) when one answers on the session
//!   bus: the desktop encrypts them and unlocks them with the user's session;
//! - otherwise an **encrypted file** in the profile (`secrets.enc`), its key sealed by a
//!   passphrase the user chooses on first use and kept in the kernel's keyring for the rest of
//!   the login session, so that the passphrase is asked once per boot, not per process.
//!
//! The store a profile first saved into is written down (`secrets-store`), so a session without
//! the desktop (SSH, a console) says where the secrets are instead of starting an empty store.

mod csv_io;
mod file;
mod service;
mod session_key;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use csv_io::{CsvImport, export_csv, parse_csv};

/// The kind of a login's password; other kinds are the agent's field kinds (`card_number`, …).
pub const PASSWORD: &str = "password";
const STORE_FILE: &str = "secrets-store";

/// One saved value, for one site.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Secret {
    /// The origin it was saved for (`https://example.com`); it is filled only there.
    pub origin: String,
    /// `password` for a login, else what the value is (`card_number`, `card_cvc`, …).
    pub kind: String,
    /// A login's user name (empty for other kinds and for password-only logins).
    pub username: String,
    pub value: String,
    /// Seconds since the Unix epoch.
    pub created: i64,
}

impl std::fmt::Debug for Secret {
    /// Never prints the value: debug output ends up in logs.
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Secret")
            .field("origin", &self.origin)
            .field("kind", &self.kind)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl Secret {
    pub fn login(origin: &str, username: &str, password: &str) -> Self {
        Self {
            origin: origin.to_owned(),
            kind: PASSWORD.to_owned(),
            username: username.to_owned(),
            value: password.to_owned(),
            created: crate::now(),
        }
    }

    /// Whether `other` is the same entry (it replaces this one when saved).
    fn same_entry(&self, other: &Secret) -> bool {
        self.origin == other.origin && self.kind == other.kind && self.username == other.username
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    #[error(
        "the passwords file {0} is locked: unlock it with `clef secret unlock` or in Settings → \
         Passwords"
    )]
    Locked(PathBuf),
    #[error(
        "no passwords file yet: choose its passphrase with `clef secret unlock` or in Settings → \
         Passwords"
    )]
    NoPassphrase,
    #[error("wrong passphrase for {0}")]
    WrongPassphrase(PathBuf),
    #[error("the passphrase must have at least {0} characters")]
    ShortPassphrase(usize),
    #[error("the passwords file {path} cannot be read: {reason}")]
    Corrupt { path: PathBuf, reason: String },
    #[error(
        "this profile's secrets are in the desktop's Secret Service, which does not answer here \
         ({0}); start Clef in the desktop session, or unlock its keyring"
    )]
    ServiceGone(String),
    #[error("the desktop's keyring is locked: unlock it (log in to the desktop) and try again")]
    ServiceLocked,
    #[error("Secret Service: {0}")]
    Service(String),
    /// The error is shown, not chained: `anyhow` would print it twice.
    #[error("{path}: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{0}")]
    Crypto(String),
}

impl SecretsError {
    fn io(path: &Path, error: std::io::Error) -> Self {
        Self::Io {
            path: path.to_owned(),
            error,
        }
    }
}

/// Which store to use; `Auto` prefers the desktop's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StoreChoice {
    #[default]
    Auto,
    SecretService,
    File,
}

/// Where a profile's secrets are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StoreKind {
    SecretService,
    File,
}

enum Backend {
    Service(service::ServiceStore),
    File(file::FileStore),
}

/// A profile's secrets, in the store it uses.
pub struct Secrets {
    backend: Backend,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(&self.describe())
    }
}

impl Secrets {
    /// The secrets of the profile in `profile_dir`. With `Auto`, the store the profile already
    /// uses; for a new profile, the Secret Service if one answers, else the encrypted file.
    pub fn open(profile_dir: &Path, choice: StoreChoice) -> Result<Self, SecretsError> {
        let recorded = std::fs::read_to_string(profile_dir.join(STORE_FILE))
            .ok()
            .and_then(|text| match text.trim() {
                "secret-service" => Some(StoreKind::SecretService),
                "file" => Some(StoreKind::File),
                _ => None,
            });
        let file_path = profile_dir.join(file::FILE_NAME);
        let kind = match (choice, recorded) {
            (StoreChoice::SecretService, _) => StoreKind::SecretService,
            (StoreChoice::File, _) => StoreKind::File,
            (StoreChoice::Auto, Some(kind)) => kind,
            (StoreChoice::Auto, None) if file_path.exists() => StoreKind::File,
            (StoreChoice::Auto, None) => match service::ServiceStore::connect(profile_dir) {
                Ok(store) => {
                    return Ok(Self {
                        backend: Backend::Service(store),
                    });
                }
                Err(error) => {
                    tracing::info!(%error, "no Secret Service: secrets go to the encrypted file");
                    StoreKind::File
                }
            },
        };
        let backend = match kind {
            StoreKind::SecretService => match service::ServiceStore::connect(profile_dir) {
                Ok(store) => Backend::Service(store),
                Err(SecretsError::Service(reason)) if recorded.is_some() => {
                    return Err(SecretsError::ServiceGone(reason));
                }
                Err(error) => return Err(error),
            },
            StoreKind::File => Backend::File(file::FileStore::open(file_path)),
        };
        Ok(Self { backend })
    }

    pub fn kind(&self) -> StoreKind {
        match self.backend {
            Backend::Service(_) => StoreKind::SecretService,
            Backend::File(_) => StoreKind::File,
        }
    }

    /// Where the secrets are, in words for `clef secret list` and the settings page.
    pub fn describe(&self) -> String {
        match &self.backend {
            Backend::Service(_) => {
                "the desktop's Secret Service (org.freedesktop.secrets, e.g. GNOME Keyring)"
                    .to_owned()
            }
            Backend::File(store) => format!(
                "the encrypted file {} ({})",
                store.path().display(),
                if store.unlocked() {
                    "unlocked for this session"
                } else if store.exists() {
                    "locked"
                } else {
                    "not created yet"
                }
            ),
        }
    }

    /// Whether reading and saving work now without a passphrase.
    pub fn unlocked(&self) -> bool {
        match &self.backend {
            Backend::Service(_) => true,
            Backend::File(store) => store.unlocked(),
        }
    }

    /// The file store needs a passphrase: to create it, or to unlock it after a reboot.
    pub fn needs_passphrase(&self) -> Option<PassphraseNeed> {
        match &self.backend {
            Backend::Service(_) => None,
            Backend::File(store) if store.unlocked() => None,
            Backend::File(store) if store.exists() => Some(PassphraseNeed::Unlock),
            Backend::File(_) => Some(PassphraseNeed::Create),
        }
    }

    /// Unlock the file store (creating it with this passphrase if there is none); its key is
    /// then kept in the kernel keyring until the user's session ends.
    pub fn unlock(&mut self, passphrase: &str) -> Result<(), SecretsError> {
        match &mut self.backend {
            Backend::Service(_) => Ok(()),
            Backend::File(store) => store.unlock(passphrase),
        }
    }

    /// Lock the file store for the whole session (the window, `clef run`, `clef mcp`): its
    /// key is forgotten until the passphrase is given again. Whether there was one to lock: the
    /// desktop's Secret Service locks its own keyring.
    pub fn lock(&mut self) -> bool {
        match &mut self.backend {
            Backend::Service(_) => false,
            Backend::File(store) => {
                let was = store.unlocked();
                store.lock();
                was
            }
        }
    }

    /// Every secret saved for this profile, by origin then user name.
    pub fn list(&self) -> Result<Vec<Secret>, SecretsError> {
        let mut secrets = match &self.backend {
            Backend::Service(store) => store.list(None)?,
            Backend::File(store) => store.list()?,
        };
        secrets.sort_by(|a, b| {
            (&a.origin, &a.kind, &a.username).cmp(&(&b.origin, &b.kind, &b.username))
        });
        Ok(secrets)
    }

    /// The secrets saved for `origin`.
    pub fn for_origin(&self, origin: &str) -> Result<Vec<Secret>, SecretsError> {
        let all = match &self.backend {
            Backend::Service(store) => store.list(Some(origin))?,
            Backend::File(store) => store.list()?,
        };
        Ok(all
            .into_iter()
            .filter(|secret| secret.origin == origin)
            .collect())
    }

    /// The logins saved for `origin`.
    pub fn logins(&self, origin: &str) -> Result<Vec<Secret>, SecretsError> {
        Ok(self
            .for_origin(origin)?
            .into_iter()
            .filter(|secret| secret.kind == PASSWORD)
            .collect())
    }

    /// Save `secret`, replacing the one with the same origin, kind and user name.
    pub fn save(&self, secret: Secret) -> Result<(), SecretsError> {
        match &self.backend {
            Backend::Service(store) => store.save(&secret)?,
            Backend::File(store) => store.update(|all| {
                all.retain(|old| !old.same_entry(&secret));
                all.push(secret);
            })?,
        }
        self.record_kind()
    }

    /// Save many at once (an import); returns how many were new or changed.
    pub fn save_all(&self, secrets: Vec<Secret>) -> Result<usize, SecretsError> {
        let count = secrets.len();
        match &self.backend {
            Backend::Service(store) => {
                for secret in &secrets {
                    store.save(secret)?;
                }
            }
            Backend::File(store) => store.update(|all| {
                for secret in secrets {
                    all.retain(|old| !old.same_entry(&secret));
                    all.push(secret);
                }
            })?,
        }
        self.record_kind()?;
        Ok(count)
    }

    /// Forget the entry of `origin`, `kind` and `username`; whether there was one.
    pub fn remove(&self, origin: &str, kind: &str, username: &str) -> Result<bool, SecretsError> {
        let probe = Secret {
            origin: origin.to_owned(),
            kind: kind.to_owned(),
            username: username.to_owned(),
            value: String::new(),
            created: 0,
        };
        match &self.backend {
            Backend::Service(store) => store.remove(&probe),
            Backend::File(store) => {
                let mut found = false;
                store.update(|all| {
                    let before = all.len();
                    all.retain(|old| !old.same_entry(&probe));
                    found = all.len() != before;
                })?;
                Ok(found)
            }
        }
    }

    fn record_kind(&self) -> Result<(), SecretsError> {
        let (dir, name) = match &self.backend {
            Backend::Service(store) => (store.profile_dir().to_owned(), "secret-service"),
            Backend::File(store) => match store.path().parent() {
                Some(dir) => (dir.to_owned(), "file"),
                None => return Ok(()),
            },
        };
        let path = dir.join(STORE_FILE);
        if std::fs::read_to_string(&path).is_ok_and(|text| text.trim() == name) {
            return Ok(());
        }
        std::fs::create_dir_all(&dir).map_err(|error| SecretsError::io(&dir, error))?;
        std::fs::write(&path, format!("{name}\n")).map_err(|source| SecretsError::io(&path, source))
    }
}

/// What the file store asks the user for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PassphraseNeed {
    /// No file yet: choose a passphrase.
    Create,
    /// The file exists and its key is not in this session's keyring.
    Unlock,
}

/// The origin (`scheme://host[:port]`) that secrets for `url` are saved under; `None` for
/// addresses without one (data:, file:, about:).
pub fn origin_of(url: &str) -> Option<String> {
    let url = url::Url::parse(url).ok()?;
    match url.origin() {
        origin @ url::Origin::Tuple(..) => Some(origin.ascii_serialization()),
        url::Origin::Opaque(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_store_keeps_secrets_sealed_and_asks_for_the_passphrase() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut secrets = Secrets::open(dir.path(), StoreChoice::File).expect("open");
        assert_eq!(secrets.needs_passphrase(), Some(PassphraseNeed::Create));
        assert!(matches!(
            secrets.save(Secret::login("https://a.example", "ann", "pw")),
            Err(SecretsError::NoPassphrase)
        ));
        assert!(matches!(
            secrets.unlock("short"),
            Err(SecretsError::ShortPassphrase(_))
        ));
        secrets.unlock("correct horse battery").expect("create");
        secrets
            .save(Secret::login("https://a.example", "ann", "first-Secret-9"))
            .expect("save");
        secrets
            .save(Secret::login("https://a.example", "ann", "second-Secret-9"))
            .expect("replace");
        secrets
            .save(Secret::login("https://b.example", "bob", "third-Secret-9"))
            .expect("save");
        let logins = secrets.logins("https://a.example").expect("logins");
        assert_eq!(logins.len(), 1);
        assert_eq!(logins[0].value, "second-Secret-9");
        let raw = std::fs::read_to_string(dir.path().join(file::FILE_NAME)).expect("read");
        for clear in ["Secret-9", "ann", "a.example"] {
            assert!(!raw.contains(clear), "{clear} in clear");
        }
        assert!(
            secrets
                .remove("https://b.example", PASSWORD, "bob")
                .expect("remove")
        );
        assert_eq!(secrets.list().expect("list").len(), 1);

        // A process that does not have the key (after a reboot) must ask for it.
        let mut fresh = Secrets {
            backend: Backend::File(file::FileStore::open_locked(
                dir.path().join(file::FILE_NAME),
            )),
        };
        assert!(matches!(fresh.list(), Err(SecretsError::Locked(_))));
        assert!(matches!(
            fresh.unlock("wrong passphrase"),
            Err(SecretsError::WrongPassphrase(_))
        ));
        fresh.unlock("correct horse battery").expect("unlock");
        assert_eq!(fresh.list().expect("list")[0].username, "ann");
        // Locked, it is locked for every process of the session, this one included, and one
        // that opened the store before.
        let running = Secrets::open(dir.path(), StoreChoice::File).expect("reopen");
        let keyring = running.unlocked();
        assert!(secrets.lock());
        if keyring {
            assert_eq!(running.needs_passphrase(), Some(PassphraseNeed::Unlock));
        } else {
            println!("skipped: no kernel keyring here, each process keeps its own key");
            assert!(
                std::env::var_os("CI").is_none(),
                "CI needs the kernel keyring"
            );
        }
        let other = Secrets::open(dir.path(), StoreChoice::File).expect("reopen");
        assert_eq!(other.needs_passphrase(), Some(PassphraseNeed::Unlock));
        assert!(matches!(secrets.list(), Err(SecretsError::Locked(_))));
        assert!(!secrets.lock());
        // The profile remembers which store it uses.
        let reopened = Secrets::open(dir.path(), StoreChoice::Auto).expect("reopen");
        assert_eq!(reopened.kind(), StoreKind::File);
    }

    #[test]
    fn origins_are_scheme_host_and_port() {
        assert_eq!(
            origin_of("https://Example.com:443/a?b").as_deref(),
            Some("https://example.com")
        );
        assert_eq!(
            origin_of("http://127.0.0.1:8080/x").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(origin_of("data:text/html,x"), None);
    }
}
