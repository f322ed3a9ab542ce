//! The open tabs, saved as they change, so they come back after a restart or a crash.
//!
//! `session.json` is replaced atomically (written beside, then renamed) so a crash mid-write
//! leaves the previous one. `clean_exit` is false while Clef runs: finding it false at start
//! means the last run ended in a crash.

use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::ProfileError;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub windows: Vec<SessionWindow>,
    /// Set when Clef closed normally.
    #[serde(default)]
    pub clean_exit: bool,
    /// Seconds since the epoch.
    #[serde(default)]
    pub saved_at: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SessionWindow {
    pub tabs: Vec<SessionTab>,
    #[serde(default)]
    pub active: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SessionTab {
    pub url: String,
    #[serde(default)]
    pub title: String,
}

impl Session {
    /// The session saved in `path`; `None` when there is none or it cannot be read (said in
    /// the log: a session is a convenience, never a reason not to start).
    pub fn load(path: &Path) -> Option<Self> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return None,
            Err(error) => {
                tracing::warn!(%error, path = %path.display(), "cannot read the saved session");
                return None;
            }
        };
        match serde_json::from_str(&text) {
            Ok(session) => Some(session),
            Err(error) => {
                tracing::warn!(%error, path = %path.display(), "saved session unreadable");
                None
            }
        }
    }

    /// Replace the session saved in `path` with this one.
    pub fn save(&self, path: &Path) -> Result<(), ProfileError> {
        let json = serde_json::to_vec_pretty(self)
            .map_err(|error| ProfileError::Invalid(error.to_string()))?;
        let partial = path.with_extension("json.partial");
        let written = std::fs::File::create(&partial).and_then(|mut file| {
            file.write_all(&json)?;
            file.sync_data()
        });
        written.map_err(|source| ProfileError::io(&partial, source))?;
        std::fs::rename(&partial, path).map_err(|source| ProfileError::io(path, source))
    }

    /// Tabs worth restoring: web pages and files, not Clef's own pages.
    pub fn restorable(&self) -> bool {
        self.windows
            .iter()
            .flat_map(|window| &window.tabs)
            .any(|tab| crate::history::is_history(&tab.url))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saves_atomically_and_reads_back_what_it_can() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("session.json");
        assert_eq!(Session::load(&path), None);
        let session = Session {
            windows: vec![SessionWindow {
                tabs: vec![
                    SessionTab {
                        url: "https://a.example/".to_owned(),
                        title: "A".to_owned(),
                    },
                    SessionTab {
                        url: "data:text/html,x".to_owned(),
                        title: String::new(),
                    },
                ],
                active: 1,
            }],
            clean_exit: false,
            saved_at: 7,
        };
        session.save(&path).unwrap();
        assert_eq!(Session::load(&path), Some(session.clone()));
        assert!(session.restorable());
        assert!(!dir.path().join("session.json.partial").exists());
        std::fs::write(&path, "{ not json").unwrap();
        assert_eq!(Session::load(&path), None);
    }
}
