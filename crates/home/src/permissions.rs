//! Creating files and directories private from the first byte, and refusing homes that
//! other users could tamper with.

use std::fmt;
use std::fs::{self, DirBuilder, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::Path;

use crate::HomeError;

/// Why a home is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnsafeHomeReason {
    /// Any user on the machine could replace its files.
    WorldWritable { mode: u32 },
    /// Another account owns it and could replace its files.
    OwnedByAnotherUser { owner: u32, current: u32 },
}

impl fmt::Display for UnsafeHomeReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UnsafeHomeReason::WorldWritable { mode } => {
                write!(f, "it is writable by every user (mode {mode:o})")
            }
            UnsafeHomeReason::OwnedByAnotherUser { owner, current } => write!(
                f,
                "it is owned by user id {owner}, but phiguard runs as user id {current}"
            ),
        }
    }
}

/// Refuses a home that is not a directory, is world-writable, or belongs to someone else.
pub(crate) fn check_home(dir: &Path) -> Result<(), HomeError> {
    let meta = fs::metadata(dir).map_err(|source| HomeError::Io {
        action: "open",
        path: dir.to_path_buf(),
        source,
    })?;
    if !meta.is_dir() {
        return Err(HomeError::NotADirectory {
            path: dir.to_path_buf(),
        });
    }
    let current = rustix::process::geteuid().as_raw();
    let reason = if meta.uid() != current {
        Some(UnsafeHomeReason::OwnedByAnotherUser {
            owner: meta.uid(),
            current,
        })
    } else if meta.mode() & 0o002 != 0 {
        Some(UnsafeHomeReason::WorldWritable {
            mode: meta.mode() & 0o7777,
        })
    } else {
        None
    };
    match reason {
        None => Ok(()),
        Some(reason) => {
            let fix = match reason {
                UnsafeHomeReason::WorldWritable { .. } => {
                    format!("run `chmod 700 {}` and try again", dir.display())
                }
                UnsafeHomeReason::OwnedByAnotherUser { .. } => format!(
                    "run phiguard as the owner of {}, or give it a home of its own with --home",
                    dir.display()
                ),
            };
            Err(HomeError::Unsafe {
                path: dir.to_path_buf(),
                reason,
                fix,
            })
        }
    }
}

/// `mkdir -p` where every directory created is 0700 regardless of the umask.
pub(crate) fn create_private_dir_all(dir: &Path) -> io::Result<()> {
    DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    // `mode` is filtered by the umask; a umask never widens it, but set it exactly anyway
    // so the result does not depend on the caller's environment.
    fs::set_permissions(dir, std::os::unix::fs::PermissionsExt::from_mode(0o700))
}

/// Writes a new file with mode 0600; fails if it exists, so nothing is ever overwritten.
pub(crate) fn write_private_file_new(path: &Path, contents: &[u8]) -> io::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

/// Creates an empty 0600 file unless one exists already.
pub(crate) fn create_private_file_if_missing(path: &Path) -> io::Result<()> {
    match OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}
