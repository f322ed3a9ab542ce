//! Secrets in the desktop's Secret Service (the freedesktop.org API that GNOME Keyring and
//! KWallet serve), one item per secret in the default collection, found by its attributes.
//!
//! The `secret-service` crate is used directly rather than through `keyring`: the passwords page
//! lists every login of a profile, which needs the attribute search `keyring`'s entries lack.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use secret_service::EncryptionType;
use secret_service::blocking::{Collection, SecretService};

use super::{Secret, SecretsError};

const APPLICATION: &str = "clef";

pub(super) struct ServiceStore {
    profile_dir: PathBuf,
    /// The profile's attribute: two profiles of one user keep separate secrets.
    profile_key: String,
}

fn service_error(error: secret_service::Error) -> SecretsError {
    match error {
        secret_service::Error::Locked => SecretsError::ServiceLocked,
        other => SecretsError::Service(other.to_string()),
    }
}

impl ServiceStore {
    /// Connect and check that the default collection answers (a bus without the service, or
    /// no session bus at all, is an error).
    pub(super) fn connect(profile_dir: &Path) -> Result<Self, SecretsError> {
        if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
            return Err(SecretsError::Service("no D-Bus session bus".to_owned()));
        }
        let absolute =
            std::fs::canonicalize(profile_dir).unwrap_or_else(|_| profile_dir.to_owned());
        let store = Self {
            profile_dir: profile_dir.to_owned(),
            profile_key: absolute.display().to_string(),
        };
        let service = store.service()?;
        store.collection(&service)?;
        Ok(store)
    }

    pub(super) fn profile_dir(&self) -> &Path {
        &self.profile_dir
    }

    fn service(&self) -> Result<SecretService<'static>, SecretsError> {
        SecretService::connect(EncryptionType::Dh).map_err(service_error)
    }

    fn collection<'a>(
        &self,
        service: &'a SecretService<'a>,
    ) -> Result<Collection<'a>, SecretsError> {
        let collection = service.get_default_collection().map_err(service_error)?;
        // Unlocking may raise the desktop's prompt; a locked keyring with no one to answer it
        // is reported rather than waited on.
        if collection.is_locked().map_err(service_error)? {
            return Err(SecretsError::ServiceLocked);
        }
        Ok(collection)
    }

    fn attributes<'a>(&'a self, secret: &'a Secret) -> HashMap<&'a str, &'a str> {
        HashMap::from([
            ("application", APPLICATION),
            ("clef-profile", self.profile_key.as_str()),
            ("origin", secret.origin.as_str()),
            ("kind", secret.kind.as_str()),
            ("username", secret.username.as_str()),
        ])
    }

    /// Every secret of this profile, or only those of `origin`: the search runs in the
    /// service, so one site's lookup does not decrypt the others.
    pub(super) fn list(&self, origin: Option<&str>) -> Result<Vec<Secret>, SecretsError> {
        let service = self.service()?;
        let collection = self.collection(&service)?;
        let mut query = HashMap::from([
            ("application", APPLICATION),
            ("clef-profile", self.profile_key.as_str()),
        ]);
        if let Some(origin) = origin {
            query.insert("origin", origin);
        }
        let items = collection.search_items(query).map_err(service_error)?;
        let mut secrets = Vec::new();
        for item in items {
            let attributes = item.get_attributes().map_err(service_error)?;
            let value = item.get_secret().map_err(service_error)?;
            let Ok(value) = String::from_utf8(value) else {
                tracing::warn!("a Secret Service item of Clef's is not text: skipped");
                continue;
            };
            let field = |name: &str| attributes.get(name).cloned().unwrap_or_default();
            secrets.push(Secret {
                origin: field("origin"),
                kind: field("kind"),
                username: field("username"),
                value,
                created: item.get_created().map_or(0, |seconds| seconds as i64),
            });
        }
        Ok(secrets)
    }

    pub(super) fn save(&self, secret: &Secret) -> Result<(), SecretsError> {
        let service = self.service()?;
        let collection = self.collection(&service)?;
        let label = if secret.username.is_empty() {
            format!(
                "Clef: {} for {}",
                secret.kind.replace('_', " "),
                secret.origin
            )
        } else {
            format!("Clef: {} on {}", secret.username, secret.origin)
        };
        collection
            .create_item(
                &label,
                self.attributes(secret),
                secret.value.as_bytes(),
                true,
                "text/plain",
            )
            .map_err(service_error)?;
        Ok(())
    }

    pub(super) fn remove(&self, secret: &Secret) -> Result<bool, SecretsError> {
        let service = self.service()?;
        let collection = self.collection(&service)?;
        let items = collection
            .search_items(self.attributes(secret))
            .map_err(service_error)?;
        let found = !items.is_empty();
        for item in items {
            item.delete().map_err(service_error)?;
        }
        Ok(found)
    }
}
