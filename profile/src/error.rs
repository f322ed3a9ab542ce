use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error(
        "the profile {dir} is already open in another Clef (process {pid}); close it, or start \
         this one with --profile DIR or --private"
    )]
    InUse { dir: PathBuf, pid: String },
    #[error(
        "the profile {dir} was written by a newer Clef (profile version {found}; this Clef reads \
         up to {supported}); start with --profile DIR to use another"
    )]
    Newer {
        dir: PathBuf,
        found: String,
        supported: u32,
    },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the profile database {path}: {source}")]
    Database {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("{0}")]
    Invalid(String),
}

impl ProfileError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_owned(),
            source,
        }
    }
}
