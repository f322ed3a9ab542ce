//! Saved values for forms: the profile from the config file, secrets from the OS keyring — the
//! kernel's per-user keyring (keyutils): no daemon, works headless and across processes, but is
//! kept in memory, so secrets do not survive a restart. (The `keyring` crate's keyutils store
//! also links each key into the persistent keyring, which this kind of machine denies.)

use clef_agent::act::Vault;
use clef_agent::forms::FieldKind;
use linux_keyutils::{KeyRing, KeyRingIdentifier};

use crate::config::Profile;

/// The keyring service Clef's secrets are filed under.
const SERVICE: &str = "clef";

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("the OS keyring is unavailable: {0}")]
    Unavailable(String),
    #[error("keyring error: {0}")]
    Keyring(String),
    #[error("{0:?} is not a value Clef keeps in the keyring")]
    NotSecret(FieldKind),
}

/// Which kinds are kept in the keyring, per site.
pub fn kept_in_keyring(kind: FieldKind) -> bool {
    kind.is_secret() || kind == FieldKind::Username
}

fn user(origin: &str, kind: FieldKind) -> String {
    format!(
        "{origin} {}",
        kind.placeholder()
            .unwrap_or("other")
            .trim_matches(['{', '}'])
    )
}

pub struct KeyringVault {
    profile: Profile,
    ring: KeyRing,
}

fn description(origin: &str, kind: FieldKind) -> String {
    format!("{SERVICE}:{}", user(origin, kind))
}

impl KeyringVault {
    pub fn open(profile: Profile) -> Result<Self, VaultError> {
        let ring = KeyRing::from_special_id(KeyRingIdentifier::User, true)
            .map_err(|error| VaultError::Unavailable(format!("{error:?}")))?;
        Ok(KeyringVault { profile, ring })
    }

    pub fn save(&self, origin: &str, kind: FieldKind, value: &str) -> Result<(), VaultError> {
        if !kept_in_keyring(kind) {
            return Err(VaultError::NotSecret(kind));
        }
        self.ring
            .add_key(&description(origin, kind), value.as_bytes())
            .map(|_| ())
            .map_err(|error| VaultError::Keyring(format!("{error:?}")))
    }

    pub fn forget(&self, origin: &str, kind: FieldKind) -> Result<(), VaultError> {
        match self.ring.search(&description(origin, kind)) {
            Ok(key) => key
                .invalidate()
                .map_err(|error| VaultError::Keyring(format!("{error:?}"))),
            Err(_) => Ok(()),
        }
    }

    fn secret(&self, origin: &str, kind: FieldKind) -> Option<String> {
        let key = self.ring.search(&description(origin, kind)).ok()?;
        String::from_utf8(key.read_to_vec().ok()?).ok()
    }
}

impl Vault for KeyringVault {
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
