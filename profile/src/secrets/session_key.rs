//! The file store's key, kept in the kernel's per-user keyring once unlocked: every Clef process
//! of the user's session (the window, `clef run`, `clef mcp`) reads it there, and it is gone
//! after a reboot, when the passphrase is asked again. Where the kernel keyring is unavailable
//! (some containers) the key stays in the process that unlocked it.

use std::path::Path;

use linux_keyutils::{KeyRing, KeyRingIdentifier};

pub(super) const KEY_LEN: usize = 32;

fn description(file: &Path) -> String {
    let absolute = std::fs::canonicalize(file).unwrap_or_else(|_| file.to_owned());
    let digest = aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        absolute.as_os_str().as_encoded_bytes(),
    );
    format!("clef:secrets-key:{}", hex::encode(&digest.as_ref()[..12]))
}

fn ring() -> Option<KeyRing> {
    KeyRing::from_special_id(KeyRingIdentifier::User, true).ok()
}

pub(super) fn load(file: &Path) -> Option<[u8; KEY_LEN]> {
    let key = ring()?.search(&description(file)).ok()?;
    key.read_to_vec().ok()?.try_into().ok()
}

/// Whether the kernel keyring took the key.
pub(super) fn keep(file: &Path, key: &[u8; KEY_LEN]) -> bool {
    match ring() {
        Some(ring) => match ring.add_key(&description(file), key) {
            Ok(_) => true,
            Err(error) => {
                tracing::warn!(
                    ?error,
                    "the kernel keyring refused the key: asked again next time"
                );
                false
            }
        },
        None => {
            tracing::warn!("no kernel keyring: the passphrase is asked in each process");
            false
        }
    }
}

pub(super) fn forget(file: &Path) {
    if let Some(key) = ring().and_then(|ring| ring.search(&description(file)).ok()) {
        let _ = key.invalidate();
    }
}
