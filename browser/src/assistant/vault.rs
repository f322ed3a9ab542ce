//! Saved values for forms: the form profile from the config file (names, email, address), and
//! the secrets saved per site — logins, cards — in the profile's secret store
//! (`clef_profile::secrets`: the desktop's Secret Service, or an encrypted file).
//!
//! Earlier Clefs kept secrets in the kernel's per-user keyring, which forgets them at reboot;
//! whatever is still there is moved into the store the first time it is open and unlocked.

use std::path::Path;

use clef_agent::act::Vault;
use clef_agent::forms::FieldKind;
use clef_profile::secrets::{PASSWORD, Secret, Secrets, SecretsError, StoreChoice};
use linux_keyutils::{KeyRing, KeyRingIdentifier};

use crate::config::Profile;

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error(transparent)]
    Store(#[from] SecretsError),
    #[error("{0}")]
    Unavailable(String),
    #[error("{0:?} is not a value Clef keeps as a secret (set it in the [profile] of config.toml)")]
    NotSecret(FieldKind),
}

/// Which kinds are kept in the secret store, per site.
pub fn kept_in_keyring(kind: FieldKind) -> bool {
    kind.is_secret() || kind == FieldKind::Username
}

/// The store's name for a kind (`card_number`); logins are `password` with their user name.
fn kind_name(kind: FieldKind) -> String {
    kind.placeholder()
        .unwrap_or("{{other}}")
        .trim_matches(['{', '}'])
        .to_owned()
}

pub struct SecretsVault {
    profile: Profile,
    secrets: Result<Secrets, SecretsError>,
}

impl SecretsVault {
    /// The saved data of the profile in `profile_dir`. A store that cannot be opened (a locked
    /// keyring) is not an error here: tasks that need no saved secret still run, and one that
    /// does is told why its placeholder has no value.
    pub fn open(profile: Profile, profile_dir: &Path, choice: StoreChoice) -> Self {
        let secrets = Secrets::open(profile_dir, choice);
        if let Ok(secrets) = &secrets {
            migrate_kernel_keyring(secrets);
        }
        Self { profile, secrets }
    }

    pub fn secrets(&self) -> Result<&Secrets, &SecretsError> {
        self.secrets.as_ref()
    }

    pub fn secrets_mut(&mut self) -> Result<&mut Secrets, &SecretsError> {
        self.secrets.as_mut().map_err(|error| &*error)
    }

    fn store(&self) -> Result<&Secrets, VaultError> {
        self.secrets
            .as_ref()
            .map_err(|error| VaultError::Unavailable(error.to_string()))
    }

    /// Save one value. A username or password updates the site's only login (or makes one).
    pub fn save(&self, origin: &str, kind: FieldKind, value: &str) -> Result<(), VaultError> {
        if !kept_in_keyring(kind) {
            return Err(VaultError::NotSecret(kind));
        }
        let store = self.store()?;
        let logins = store.logins(origin)?;
        match kind {
            FieldKind::Username => {
                let mut login = logins
                    .into_iter()
                    .next()
                    .unwrap_or_else(|| Secret::login(origin, value, ""));
                store.remove(origin, PASSWORD, &login.username)?;
                login.username = value.to_owned();
                store.save(login)?;
            }
            FieldKind::Password => {
                let mut login = logins
                    .into_iter()
                    .next()
                    .unwrap_or_else(|| Secret::login(origin, "", value));
                login.value = value.to_owned();
                store.save(login)?;
            }
            other => store.save(Secret {
                origin: origin.to_owned(),
                kind: kind_name(other),
                username: String::new(),
                value: value.to_owned(),
                created: clef_profile::now(),
            })?,
        }
        Ok(())
    }

    pub fn forget(&self, origin: &str, kind: FieldKind) -> Result<(), VaultError> {
        let store = self.store()?;
        match kind {
            FieldKind::Username | FieldKind::Password => {
                for login in store.logins(origin)? {
                    store.remove(origin, PASSWORD, &login.username)?;
                }
            }
            other => {
                store.remove(origin, &kind_name(other), "")?;
            }
        }
        Ok(())
    }

    fn secret(&self, origin: &str, kind: FieldKind) -> Option<String> {
        let store = self.secrets.as_ref().ok()?;
        let saved = store
            .for_origin(origin)
            .map_err(|error| tracing::warn!(%error, "secrets not read"))
            .ok()?;
        // A site with several logins: the newest is the one a task means unless it names one.
        let newest_login = || {
            saved
                .iter()
                .filter(|secret| secret.kind == PASSWORD)
                .max_by_key(|secret| secret.created)
        };
        match kind {
            FieldKind::Username => newest_login()
                .map(|login| login.username.clone())
                .filter(|name| !name.is_empty()),
            FieldKind::Password => newest_login()
                .map(|login| login.value.clone())
                .filter(|value| !value.is_empty()),
            other => {
                let name = kind_name(other);
                saved
                    .iter()
                    .find(|secret| secret.kind == name)
                    .map(|secret| secret.value.clone())
            }
        }
    }
}

impl Vault for SecretsVault {
    fn value(&self, origin: &str, kind: FieldKind) -> Option<String> {
        if kept_in_keyring(kind) {
            return self.secret(origin, kind);
        }
        let profile = &self.profile;
        match kind {
            FieldKind::GivenName => profile.given_name.clone(),
            FieldKind::FamilyName => profile.family_name.clone(),
            FieldKind::FullName => match (&profile.given_name, &profile.family_name) {
                (Some(given), Some(family)) => Some(format!("{given} {family}")),
                (Some(one), None) | (None, Some(one)) => Some(one.clone()),
                (None, None) => None,
            },
            FieldKind::Email => profile.email.clone(),
            FieldKind::Phone => profile.phone.clone(),
            FieldKind::StreetAddress => profile.street_address.clone(),
            FieldKind::City => profile.city.clone(),
            FieldKind::PostalCode => profile.postal_code.clone(),
            FieldKind::Country => profile.country.clone(),
            _ => None,
        }
    }
}

/// Move the secrets earlier Clefs left in the kernel keyring (`clef:ORIGIN KIND`) into the
/// store, then drop them there. Only into an unlocked store: nothing is dropped unsaved.
fn migrate_kernel_keyring(secrets: &Secrets) {
    if !secrets.unlocked() {
        return;
    }
    let Ok(ring) = KeyRing::from_special_id(KeyRingIdentifier::User, false) else {
        return;
    };
    // linux-keyutils 0.2 hands the kernel `max` as the buffer's size in bytes although it
    // allocates `max` key ids: four times what it reads. 65,536 reads 16,384 links, far
    // beyond the kernel's 200-key quota for a user (root's is larger: this still holds up to
    // 65,536 keys before the crate's length passes its buffer).
    let Ok(links) = ring.get_links(1 << 16) else {
        return;
    };
    for key in links.iter().filter_map(|node| node.as_key()) {
        let Ok(metadata) = key.metadata() else {
            continue;
        };
        let Some(rest) = metadata.get_description().strip_prefix("clef:") else {
            continue;
        };
        // The file store's own key is kept there too, under `clef:secrets-key:`.
        let Some((origin, kind)) = rest.rsplit_once(' ') else {
            continue;
        };
        let Ok(value) = key.read_to_vec().map(String::from_utf8) else {
            continue;
        };
        let Ok(value) = value else { continue };
        let secret = match kind {
            "username" => Secret::login(origin, &value, ""),
            "password" => Secret::login(origin, "", &value),
            other => Secret {
                origin: origin.to_owned(),
                kind: other.to_owned(),
                username: String::new(),
                value,
                created: clef_profile::now(),
            },
        };
        let merged = merge_login(secrets, secret);
        match merged.and_then(|secret| secrets.save(secret)) {
            Ok(()) => {
                let _ = key.invalidate();
                tracing::info!(origin, kind, "secret moved from the kernel keyring");
            }
            Err(error) => tracing::warn!(%error, "secret left in the kernel keyring"),
        }
    }
}

/// A migrated user name or password joins the site's existing login rather than making two.
fn merge_login(secrets: &Secrets, secret: Secret) -> Result<Secret, SecretsError> {
    if secret.kind != PASSWORD {
        return Ok(secret);
    }
    let Some(mut login) = secrets.logins(&secret.origin)?.into_iter().next() else {
        return Ok(secret);
    };
    secrets.remove(&login.origin, PASSWORD, &login.username)?;
    if secret.value.is_empty() {
        login.username = secret.username;
    } else {
        login.value = secret.value;
    }
    Ok(login)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What an earlier Clef left in the kernel keyring moves into the store, once, and joins
    /// the site's login rather than making a second one.
    #[test]
    fn kernel_keyring_secrets_move_into_the_store() {
        let Ok(ring) = KeyRing::from_special_id(KeyRingIdentifier::User, true) else {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI needs the kernel keyring for this test"
            );
            println!("skipped: no kernel keyring here");
            return;
        };
        let dir = std::env::temp_dir().join(format!("clef-migrate-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut secrets = Secrets::open(&dir, StoreChoice::File).expect("open");
        secrets.unlock("a passphrase for the test").expect("create");
        let origin = format!("https://migrate-{}.example", std::process::id());
        ring.add_key(&format!("clef:{origin} username"), b"olga")
            .expect("add username");
        ring.add_key(&format!("clef:{origin} password"), b"old-Kernel-pw")
            .expect("add password");
        ring.add_key(&format!("clef:{origin} card_cvc"), b"123")
            .expect("add cvc");

        let mut vault = SecretsVault::open(Profile::default(), &dir, StoreChoice::File);
        assert_eq!(
            vault.value(&origin, FieldKind::Username).as_deref(),
            Some("olga")
        );
        assert_eq!(
            vault.value(&origin, FieldKind::Password).as_deref(),
            Some("old-Kernel-pw")
        );
        assert_eq!(
            vault.value(&origin, FieldKind::CardCvc).as_deref(),
            Some("123")
        );
        let store = vault.secrets().expect("store");
        assert_eq!(store.logins(&origin).expect("logins").len(), 1);
        assert!(ring.search(&format!("clef:{origin} password")).is_err());
        vault.secrets_mut().expect("store").lock();
        let _ = std::fs::remove_dir_all(&dir);
    }
}
