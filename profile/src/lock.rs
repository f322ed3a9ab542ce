//! One process per profile: an advisory lock on `lock` (released by the kernel when the process
//! dies, so a crash never leaves the profile locked), holding the owner's pid for the message.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::Path;

use crate::ProfileError;

#[derive(Debug)]
pub(crate) struct ProfileLock {
    _file: File,
}

impl ProfileLock {
    pub(crate) fn take(dir: &Path) -> Result<Self, ProfileError> {
        let path = dir.join("lock");
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|source| ProfileError::io(&path, source))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut pid = String::new();
                let _ = file.read_to_string(&mut pid);
                return Err(ProfileError::InUse {
                    dir: dir.to_owned(),
                    pid: pid.trim().to_owned(),
                });
            }
            Err(TryLockError::Error(source)) => return Err(ProfileError::io(&path, source)),
        }
        let written = file
            .set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| write!(file, "{}", std::process::id()));
        if let Err(error) = written {
            tracing::warn!(%error, "cannot note the pid in the profile lock");
        }
        Ok(Self { _file: file })
    }
}
