//! Clef's profile on disk: one folder per profile (`$XDG_DATA_HOME/clef/profile` unless the user
//! names another) holding what a browser people keep must remember — Servo's own site data
//! (`engine/`: cookies, local storage, IndexedDB), the history of visits, the local memory of
//! what was read (an FTS5 index of reader passages), bookmarks, and the open tabs for session
//! restore; and the saved passwords and other secrets (`secrets`: the desktop's Secret Service
//! or an encrypted file).
//!
//! It owns the files, their formats and the lock that keeps two processes from writing one
//! profile. It knows neither Servo nor llama.cpp nor the agent: the browser hands it plain data
//! (addresses, titles, passages) and shows what it returns.

mod bookmarks;
mod error;
mod history;
mod lock;
mod memory;
mod netscape;
pub mod secrets;
mod session;
mod store;

use std::path::{Path, PathBuf};

pub use bookmarks::{Bookmark, BookmarkKind, NewBookmark};
pub use error::ProfileError;
pub use history::Suggestion;
pub use history::{Transition, Visit};
pub use memory::MemoryHit;
pub use netscape::{Imported, Item as BookmarkItem, export_netscape, parse_netscape};
pub use session::{Session, SessionTab, SessionWindow};
pub use store::{Opened, Store};

/// The version of the profile's layout this Clef writes. A profile written by a newer Clef is
/// refused rather than half-understood.
pub const PROFILE_VERSION: u32 = 1;
const VERSION_FILE: &str = "profile-version";

/// An open profile: the folder, held by this process until dropped.
#[derive(Debug)]
pub struct Profile {
    dir: PathBuf,
    _lock: lock::ProfileLock,
}

impl Profile {
    /// The default profile folder, under the XDG data dir.
    pub fn default_dir(data_dir: &Path) -> PathBuf {
        data_dir.join("clef").join("profile")
    }

    /// Open (creating if needed) the profile in `dir` and lock it for this process.
    pub fn open(dir: &Path) -> Result<Self, ProfileError> {
        std::fs::create_dir_all(dir).map_err(|source| ProfileError::io(dir, source))?;
        let lock = lock::ProfileLock::take(dir)?;
        let version_path = dir.join(VERSION_FILE);
        match std::fs::read_to_string(&version_path) {
            Ok(text) => {
                let found = text.trim().parse::<u32>().unwrap_or(u32::MAX);
                if found > PROFILE_VERSION {
                    return Err(ProfileError::Newer {
                        dir: dir.to_owned(),
                        found: text.trim().to_owned(),
                        supported: PROFILE_VERSION,
                    });
                }
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                std::fs::write(&version_path, format!("{PROFILE_VERSION}\n"))
                    .map_err(|source| ProfileError::io(&version_path, source))?;
            }
            Err(source) => return Err(ProfileError::io(&version_path, source)),
        }
        Ok(Self {
            dir: dir.to_owned(),
            _lock: lock,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Servo's profile folder (its `config_dir`): cookie jar, local storage, IndexedDB.
    pub fn engine_dir(&self) -> PathBuf {
        self.dir.join("engine")
    }

    /// The history, memory and bookmarks database.
    pub fn database_path(&self) -> PathBuf {
        Self::database_in(&self.dir)
    }

    /// The database of the profile in `dir`. SQLite locks it itself, so commands may read and
    /// change it while a window holds the profile.
    pub fn database_in(dir: &Path) -> PathBuf {
        dir.join("places.sqlite")
    }

    pub fn session_path(&self) -> PathBuf {
        self.dir.join("session.json")
    }

    /// Open the database; a corrupt one is kept aside and replaced by an empty one.
    pub fn store(&self) -> Result<Opened, ProfileError> {
        Store::open(&self.database_path())
    }
}

/// Whether the profile keeps addresses of this scheme (history, bookmarks, memory, session):
/// web pages and local files, not Clef's own pages (`data:`, `about:`).
pub fn keeps_scheme(scheme: &str) -> bool {
    matches!(scheme, "http" | "https" | "file")
}

/// Seconds since the Unix epoch, now.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_process_cannot_open_a_locked_profile_and_a_newer_one_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let first = Profile::open(dir.path()).unwrap();
        let second = Profile::open(dir.path()).unwrap_err();
        assert!(matches!(second, ProfileError::InUse { .. }), "{second}");
        assert!(second.to_string().contains("already"), "{second}");
        drop(first);
        Profile::open(dir.path()).unwrap();

        std::fs::write(dir.path().join(VERSION_FILE), "7\n").unwrap();
        let newer = Profile::open(dir.path()).unwrap_err();
        assert!(matches!(newer, ProfileError::Newer { .. }), "{newer}");
    }
}
