//! The encrypted passwords file: the secrets as JSON sealed with AES-256-GCM under a random
//! data key, which is itself sealed under a key derived from the user's passphrase
//! (PBKDF2-HMAC-SHA256, 600,000 rounds, OWASP's figure for it). Nothing in the file is in clear
//! but the format's version and the derivation's parameters.

use std::io::Write;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use serde::{Deserialize, Serialize};

use super::session_key::{self, KEY_LEN};
use super::{Secret, SecretsError};

pub(super) const FILE_NAME: &str = "secrets.enc";
const VERSION: u32 = 1;
const ITERATIONS: u32 = 600_000;
const SALT_LEN: usize = 16;
pub(super) const MIN_PASSPHRASE: usize = 8;
const KEY_AAD: &[u8] = b"clef secrets key v1";
const DATA_AAD: &[u8] = b"clef secrets data v1";

#[derive(Serialize, Deserialize)]
struct Sealed {
    nonce: String,
    sealed: String,
}

#[derive(Serialize, Deserialize)]
struct Envelope {
    version: u32,
    kdf: String,
    iterations: u32,
    salt: String,
    key: Sealed,
    data: Sealed,
}

pub(super) struct FileStore {
    path: PathBuf,
    key: Option<[u8; KEY_LEN]>,
    /// Ignores the kernel keyring: a test's stand-in for a process after a reboot.
    locked_for_test: bool,
}

fn crypto(what: &str) -> SecretsError {
    SecretsError::Crypto(format!("{what} failed"))
}

fn random<const N: usize>() -> Result<[u8; N], SecretsError> {
    let mut bytes = [0u8; N];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|_| crypto("the random generator"))?;
    Ok(bytes)
}

fn aead(key: &[u8]) -> Result<LessSafeKey, SecretsError> {
    Ok(LessSafeKey::new(
        UnboundKey::new(&AES_256_GCM, key).map_err(|_| crypto("the key"))?,
    ))
}

fn seal(key: &[u8], aad: &[u8], plain: &[u8]) -> Result<Sealed, SecretsError> {
    let nonce = random::<NONCE_LEN>()?;
    let mut buffer = plain.to_vec();
    aead(key)?
        .seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(aad),
            &mut buffer,
        )
        .map_err(|_| crypto("sealing"))?;
    Ok(Sealed {
        nonce: hex::encode(nonce),
        sealed: hex::encode(buffer),
    })
}

/// `None` when the key is wrong or the text was changed.
fn open(key: &[u8], aad: &[u8], sealed: &Sealed) -> Option<Vec<u8>> {
    let nonce = Nonce::try_assume_unique_for_key(&hex::decode(&sealed.nonce).ok()?).ok()?;
    let mut buffer = hex::decode(&sealed.sealed).ok()?;
    let plain = aead(key)
        .ok()?
        .open_in_place(nonce, Aad::from(aad), &mut buffer)
        .ok()?;
    Some(plain.to_vec())
}

fn derive(passphrase: &str, salt: &[u8], iterations: u32) -> [u8; KEY_LEN] {
    let mut out = [0u8; KEY_LEN];
    let rounds = NonZeroU32::new(iterations).unwrap_or(NonZeroU32::MIN);
    aws_lc_rs::pbkdf2::derive(
        aws_lc_rs::pbkdf2::PBKDF2_HMAC_SHA256,
        rounds,
        salt,
        passphrase.as_bytes(),
        &mut out,
    );
    out
}

impl FileStore {
    pub(super) fn open(path: PathBuf) -> Self {
        Self {
            path,
            key: None,
            locked_for_test: false,
        }
    }

    /// A store that has not seen the session's key (as after a reboot).
    #[cfg(test)]
    pub(super) fn open_locked(path: PathBuf) -> Self {
        Self {
            path,
            key: None,
            locked_for_test: true,
        }
    }

    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    pub(super) fn exists(&self) -> bool {
        self.path.exists()
    }

    pub(super) fn unlocked(&self) -> bool {
        self.current_key().is_some() && self.exists()
    }

    /// The key: the one in the kernel keyring, read at each use (a long-running `clef mcp`
    /// sees an unlock made with `clef secret unlock` or in the window, and a `clef secret lock`
    /// as soon as it is made); this process's own only where the keyring would not keep it.
    fn current_key(&self) -> Option<[u8; KEY_LEN]> {
        self.key.or_else(|| {
            if self.locked_for_test {
                return None;
            }
            session_key::load(&self.path)
        })
    }

    /// Put `key` where the session's processes find it; kept here too only when the kernel
    /// keyring refused it (or for a test's stand-in process, which ignores the keyring).
    fn keep(&mut self, key: [u8; KEY_LEN]) {
        let kept = session_key::keep(&self.path, &key);
        self.key = (!kept || self.locked_for_test).then_some(key);
    }

    fn read_envelope(&self) -> Result<Envelope, SecretsError> {
        let text = std::fs::read_to_string(&self.path)
            .map_err(|source| SecretsError::io(&self.path, source))?;
        let envelope: Envelope =
            serde_json::from_str(&text).map_err(|error| SecretsError::Corrupt {
                path: self.path.clone(),
                reason: error.to_string(),
            })?;
        if envelope.version > VERSION {
            return Err(SecretsError::Corrupt {
                path: self.path.clone(),
                reason: format!("written by a newer Clef (version {})", envelope.version),
            });
        }
        Ok(envelope)
    }

    pub(super) fn unlock(&mut self, passphrase: &str) -> Result<(), SecretsError> {
        if !self.exists() {
            return self.create(passphrase);
        }
        let envelope = self.read_envelope()?;
        let salt = hex::decode(&envelope.salt).map_err(|error| SecretsError::Corrupt {
            path: self.path.clone(),
            reason: error.to_string(),
        })?;
        let wrapping = derive(passphrase, &salt, envelope.iterations);
        let key: [u8; KEY_LEN] = open(&wrapping, KEY_AAD, &envelope.key)
            .and_then(|key| key.try_into().ok())
            .ok_or_else(|| SecretsError::WrongPassphrase(self.path.clone()))?;
        self.keep(key);
        Ok(())
    }

    /// Forget the key, here and in the kernel keyring: every process of the session asks for
    /// the passphrase again.
    pub(super) fn lock(&mut self) {
        self.key = None;
        session_key::forget(&self.path);
    }

    fn create(&mut self, passphrase: &str) -> Result<(), SecretsError> {
        if passphrase.chars().count() < MIN_PASSPHRASE {
            return Err(SecretsError::ShortPassphrase(MIN_PASSPHRASE));
        }
        let key = random::<KEY_LEN>()?;
        let salt = random::<SALT_LEN>()?;
        let wrapping = derive(passphrase, &salt, ITERATIONS);
        let envelope = Envelope {
            version: VERSION,
            kdf: "pbkdf2-hmac-sha256".to_owned(),
            iterations: ITERATIONS,
            salt: hex::encode(salt),
            key: seal(&wrapping, KEY_AAD, &key)?,
            data: seal(&key, DATA_AAD, b"[]")?,
        };
        self.write(&envelope)?;
        self.keep(key);
        Ok(())
    }

    fn key(&self) -> Result<[u8; KEY_LEN], SecretsError> {
        match self.current_key() {
            Some(key) => Ok(key),
            None if self.exists() => Err(SecretsError::Locked(self.path.clone())),
            None => Err(SecretsError::NoPassphrase),
        }
    }

    fn read_all(&self, key: &[u8]) -> Result<(Envelope, Vec<Secret>), SecretsError> {
        let envelope = self.read_envelope()?;
        let Some(plain) = open(key, DATA_AAD, &envelope.data) else {
            // The file was replaced (its passphrase chosen again elsewhere): the kept key is
            // stale, so the store is locked again rather than unreadable.
            session_key::forget(&self.path);
            return Err(SecretsError::Locked(self.path.clone()));
        };
        let secrets = serde_json::from_slice(&plain).map_err(|error| SecretsError::Corrupt {
            path: self.path.clone(),
            reason: error.to_string(),
        })?;
        Ok((envelope, secrets))
    }

    pub(super) fn list(&self) -> Result<Vec<Secret>, SecretsError> {
        if !self.exists() {
            return Ok(Vec::new());
        }
        let key = self.key()?;
        Ok(self.read_all(&key)?.1)
    }

    /// Read, change and write the secrets, holding the file's lock so that two processes (the
    /// window and `clef secret`) do not lose each other's changes.
    pub(super) fn update(&self, change: impl FnOnce(&mut Vec<Secret>)) -> Result<(), SecretsError> {
        let key = self.key()?;
        let lock_path = self.path.with_extension("lock");
        let lock = std::fs::File::create(&lock_path)
            .map_err(|source| SecretsError::io(&lock_path, source))?;
        lock.lock()
            .map_err(|source| SecretsError::io(&lock_path, source))?;
        let (mut envelope, mut secrets) = self.read_all(&key)?;
        change(&mut secrets);
        let plain = serde_json::to_vec(&secrets).map_err(|error| SecretsError::Corrupt {
            path: self.path.clone(),
            reason: error.to_string(),
        })?;
        envelope.data = seal(&key, DATA_AAD, &plain)?;
        self.write(&envelope)
    }

    /// Write atomically, readable by the user alone.
    fn write(&self, envelope: &Envelope) -> Result<(), SecretsError> {
        use std::os::unix::fs::OpenOptionsExt;
        let text = serde_json::to_vec_pretty(envelope).map_err(|error| SecretsError::Corrupt {
            path: self.path.clone(),
            reason: error.to_string(),
        })?;
        let temporary = self.path.with_extension("enc.tmp");
        let io = |source| SecretsError::io(&temporary, source);
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&temporary)
            .map_err(io)?;
        file.write_all(&text).map_err(io)?;
        file.sync_all().map_err(io)?;
        std::fs::rename(&temporary, &self.path)
            .map_err(|source| SecretsError::io(&self.path, source))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_data_opens_only_with_its_key_and_aad() {
        let key = [7u8; KEY_LEN];
        let sealed = seal(&key, DATA_AAD, b"hunter2").expect("seal");
        assert_eq!(
            open(&key, DATA_AAD, &sealed).as_deref(),
            Some(&b"hunter2"[..])
        );
        assert!(open(&[8u8; KEY_LEN], DATA_AAD, &sealed).is_none());
        assert!(open(&key, KEY_AAD, &sealed).is_none());
        assert!(!sealed.sealed.contains(&hex::encode("hunter2")));
    }
}
