//! The profile's database (`places.sqlite`): history, memory and bookmarks in one SQLite file,
//! so clearing history clears what was remembered from it in one transaction.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode};

use crate::ProfileError;

const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS pages (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL DEFAULT '',
    -- Address and title lower-cased (Unicode, not only ASCII as LIKE does) for searching.
    folded TEXT NOT NULL DEFAULT '',
    visit_count INTEGER NOT NULL DEFAULT 0,
    last_visit INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS pages_last_visit ON pages(last_visit);
CREATE TABLE IF NOT EXISTS visits (
    id INTEGER PRIMARY KEY,
    page INTEGER NOT NULL REFERENCES pages(id) ON DELETE CASCADE,
    at INTEGER NOT NULL,
    transition TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS visits_at ON visits(at);
CREATE INDEX IF NOT EXISTS visits_page ON visits(page);
CREATE TABLE IF NOT EXISTS remembered (
    page INTEGER PRIMARY KEY REFERENCES pages(id) ON DELETE CASCADE,
    read_at INTEGER NOT NULL,
    passages INTEGER NOT NULL
);
CREATE VIRTUAL TABLE IF NOT EXISTS memory USING fts5(
    text,
    tokenize = 'unicode61 remove_diacritics 2'
);
-- Each word's passage count, for leaving the commonest out of searches.
CREATE VIRTUAL TABLE IF NOT EXISTS memory_terms USING fts5vocab(memory, 'row');
CREATE TABLE IF NOT EXISTS bookmarks (
    id INTEGER PRIMARY KEY,
    parent INTEGER REFERENCES bookmarks(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    url TEXT,
    added INTEGER NOT NULL,
    position INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS bookmarks_url ON bookmarks(url);
CREATE INDEX IF NOT EXISTS bookmarks_parent ON bookmarks(parent);
";

/// The open database.
#[derive(Debug)]
pub struct Store {
    pub(crate) connection: Connection,
    pub(crate) path: PathBuf,
}

/// A store, and what the user should be told about how it was opened.
#[derive(Debug)]
pub struct Opened {
    pub store: Store,
    /// Set when the database could not be used as it was (kept aside, or locked).
    pub notice: Option<String>,
}

impl Store {
    /// Open `path`. A file that is not a usable database is renamed aside
    /// (`places.sqlite.corrupt-TIME`) and an empty one started; one that another program holds
    /// locked leaves this session with a history kept in memory only. Both are said in `notice`.
    pub fn open(path: &Path) -> Result<Opened, ProfileError> {
        match Self::open_file(path) {
            Ok(store) => Ok(Opened {
                store,
                notice: None,
            }),
            Err(error) if is_locked(&error) => {
                tracing::warn!(%error, "profile database locked");
                Ok(Opened {
                    store: Self::in_memory()?,
                    notice: Some(format!(
                        "The history database {} is locked by another program: this session's \
                         history, memory and bookmarks are kept in memory only.",
                        path.display()
                    )),
                })
            }
            Err(error) if is_corrupt(&error) => {
                let aside = set_aside(path)?;
                tracing::warn!(%error, aside = %aside.display(), "profile database unreadable");
                let store = Self::open_file(path).map_err(|source| ProfileError::Database {
                    path: path.to_owned(),
                    source,
                })?;
                Ok(Opened {
                    store,
                    notice: Some(format!(
                        "The history database was damaged and could not be read; it was kept as \
                         {} and a new one started.",
                        aside.display()
                    )),
                })
            }
            Err(source) => Err(ProfileError::Database {
                path: path.to_owned(),
                source,
            }),
        }
    }

    /// A store that lives in memory only (private windows, a locked database, tests).
    pub fn in_memory() -> Result<Self, ProfileError> {
        let path = PathBuf::from(":memory:");
        let connection = Connection::open_in_memory().map_err(|source| ProfileError::Database {
            path: path.clone(),
            source,
        })?;
        prepare(&connection).map_err(|source| ProfileError::Database {
            path: path.clone(),
            source,
        })?;
        Ok(Self { connection, path })
    }

    fn open_file(path: &Path) -> rusqlite::Result<Self> {
        let connection = Connection::open(path)?;
        connection.busy_timeout(Duration::from_secs(2))?;
        // WAL: readers (the memory indexer's connection, `clef history`) never block the window.
        connection.pragma_update(None, "journal_mode", "WAL")?;
        connection.pragma_update(None, "synchronous", "NORMAL")?;
        prepare(&connection)?;
        Ok(Self {
            connection,
            path: path.to_owned(),
        })
    }

    /// Fold the write-ahead log into the database file (its size is then the profile's).
    pub fn checkpoint(&self) -> Result<(), ProfileError> {
        self.connection
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .map_err(|source| self.error(source))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn error(&self, source: rusqlite::Error) -> ProfileError {
        ProfileError::Database {
            path: self.path.clone(),
            source,
        }
    }
}

fn prepare(connection: &Connection) -> rusqlite::Result<()> {
    connection.pragma_update(None, "foreign_keys", "ON")?;
    let version: i64 = connection.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if version > SCHEMA_VERSION {
        // Written by a newer Clef: the profile's version file normally stops us before this.
        return Err(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_MISMATCH),
            Some(format!(
                "schema version {version} is newer than {SCHEMA_VERSION}"
            )),
        ));
    }
    connection.execute_batch(SCHEMA)?;
    connection.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    Ok(())
}

fn is_locked(error: &rusqlite::Error) -> bool {
    matches!(
        error.sqlite_error_code(),
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
    )
}

fn is_corrupt(error: &rusqlite::Error) -> bool {
    matches!(
        error.sqlite_error_code(),
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt)
    )
}

/// Rename the database and its journal files aside; returns the new name of the database.
fn set_aside(path: &Path) -> Result<PathBuf, ProfileError> {
    let mut aside = path.as_os_str().to_owned();
    aside.push(format!(".corrupt-{}", crate::now()));
    let aside = PathBuf::from(aside);
    std::fs::rename(path, &aside).map_err(|source| ProfileError::io(path, source))?;
    for suffix in ["-wal", "-shm"] {
        let mut journal = path.as_os_str().to_owned();
        journal.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(journal));
    }
    Ok(aside)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_damaged_database_is_kept_aside_and_a_new_one_started() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("places.sqlite");
        std::fs::write(
            &path,
            b"this is not a database, it is a text file".repeat(200),
        )
        .unwrap();
        let opened = Store::open(&path).unwrap();
        let notice = opened.notice.unwrap();
        assert!(notice.contains("damaged"), "{notice}");
        let kept: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .filter(|name| name.starts_with("places.sqlite.corrupt-"))
            .collect();
        assert_eq!(kept.len(), 1, "{kept:?}");
        // The new one works and the copy is the old content.
        opened
            .store
            .record_visit(
                "https://example.org/",
                "Example",
                crate::Transition::Typed,
                1,
            )
            .unwrap();
        let copy = std::fs::read(dir.path().join(&kept[0])).unwrap();
        assert!(copy.starts_with(b"this is not a database"));
    }

    #[test]
    fn a_database_locked_by_another_program_leaves_history_in_memory() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("places.sqlite");
        drop(Store::open(&path).unwrap());
        let holder = Connection::open(&path).unwrap();
        holder
            .execute_batch("PRAGMA locking_mode=EXCLUSIVE; BEGIN EXCLUSIVE;")
            .unwrap();
        let opened = Store::open(&path).unwrap();
        assert!(opened.notice.unwrap().contains("locked"));
        assert_eq!(opened.store.path(), Path::new(":memory:"));
    }
}
