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
pub fn write_private_file_new(path: &Path, contents: &[u8]) -> io::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

/// Replaces a private (0600) file atomically: the new contents go to a temporary file beside
/// it, reach the disk, and only then take its name. A crash leaves the old file or the new
/// one, never a mix, which matters for a file such as the keyring that nothing may damage.
pub fn replace_private_file(path: &Path, contents: &[u8]) -> io::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::other("the path names no file"))?;
    let mut temporary = name.to_os_string();
    temporary.push(format!(".{}.tmp", std::process::id()));
    let temporary = dir.join(temporary);
    let _ = fs::remove_file(&temporary);
    let written =
        write_private_file_new(&temporary, contents).and_then(|()| fs::rename(&temporary, path));
    if written.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    written?;
    fs::File::open(dir)?.sync_all()
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn replace_private_file_swaps_contents_and_stays_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keyring.json");
        write_private_file_new(&path, b"old").unwrap();
        assert!(
            write_private_file_new(&path, b"again").is_err(),
            "never overwrites"
        );
        replace_private_file(&path, b"new").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new");
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let leftovers: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary file left behind");
    }
}
