//! Creating files and directories private from the first byte, and refusing homes that
//! other users could tamper with.

use std::fmt;
use std::fs::{self, DirBuilder, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::HomeError;
use crate::pending_file::{Readers, write_atomically};

/// What a checked path is to phiguard: it decides who may own, write and read it, and how a
/// refusal explains itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guarded {
    /// The home directory.
    Home,
    /// `keys/` inside the home.
    KeysDir,
    /// Anything inside `keys/`: whoever can replace it can swap the keys.
    KeyFile,
    /// A key file that is itself secret (a root key, the ledger signing key): only its owner
    /// may read it.
    SecretKeyFile,
    /// `phiguard.toml`.
    Config,
    /// The SQLite database and its `-wal` and `-shm` files.
    Database,
}

impl Guarded {
    /// The name a refusal gives the path.
    fn what(self) -> &'static str {
        match self {
            Guarded::Home => "phiguard's home",
            Guarded::KeysDir => "phiguard's keys directory",
            Guarded::KeyFile => "a key file",
            Guarded::SecretKeyFile => "a secret key file",
            Guarded::Config => "phiguard's configuration",
            Guarded::Database => "phiguard's database",
        }
    }

    /// Why the rule matters: what someone else could do otherwise.
    fn why(self) -> &'static str {
        match self {
            Guarded::Home => "It holds keys and evidence, so only its owner may write to it",
            Guarded::KeysDir | Guarded::KeyFile => {
                "Whoever can change the keys can put in their own: data sealed afterwards would \
                 open for them, and evidence signed with their key would verify"
            }
            Guarded::SecretKeyFile => {
                "Whoever can read it can open what it protects or forge what it signs; if others \
                 may have copied it, treat the key as compromised"
            }
            Guarded::Config => {
                "It says where the evidence goes and which checks apply, and may name a database \
                 password, so others may neither change nor read it"
            }
            Guarded::Database => {
                "It holds the evidence and the register, which may name people and systems, so \
                 others may neither change nor read it"
            }
        }
    }

    /// Permission bits that must be clear: nobody but the owner writes anywhere; nobody but
    /// the owner reads a secret; the database and configuration are not for every user's eyes.
    fn forbidden(self) -> u32 {
        match self {
            Guarded::Home | Guarded::KeysDir | Guarded::KeyFile => 0o022,
            Guarded::SecretKeyFile => 0o077,
            Guarded::Config | Guarded::Database => 0o026,
        }
    }

    fn is_dir(self) -> bool {
        matches!(self, Guarded::Home | Guarded::KeysDir)
    }
}

/// Why a path is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnsafeHomeReason {
    /// Users other than its owner could change or replace it. `offending` holds the
    /// permission bits that must go.
    WritableByOthers { mode: u32, offending: u32 },
    /// Users other than its owner could read it.
    ReadableByOthers { mode: u32, offending: u32 },
    /// Another account owns it and could change its permissions or contents at any time.
    OwnedByAnotherUser { owner: u32, current: u32 },
}

impl fmt::Display for UnsafeHomeReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `bit` is the group's bit; the same bit for every user is three places lower.
        let who = |mode: u32, bit: u32| match (mode & bit != 0, mode & (bit >> 3) != 0) {
            (true, true) => Some("its group and by every user"),
            (true, false) => Some("its group"),
            (false, true) => Some("every user"),
            (false, false) => None,
        };
        match *self {
            UnsafeHomeReason::WritableByOthers { mode, offending } => match who(offending, 0o020) {
                Some(who) => write!(f, "it is writable by {who} (mode {mode:04o})"),
                None => write!(
                    f,
                    "users other than its owner may change it (mode {mode:04o})"
                ),
            },
            UnsafeHomeReason::ReadableByOthers { mode, offending } => match who(offending, 0o040) {
                Some(who) => write!(f, "it is readable by {who} (mode {mode:04o})"),
                None => write!(
                    f,
                    "users other than its owner have access to it (mode {mode:04o})"
                ),
            },
            UnsafeHomeReason::OwnedByAnotherUser { owner, current } => write!(
                f,
                "it is owned by user id {owner}, but phiguard runs as user id {current}"
            ),
        }
    }
}

/// A path phiguard refuses to trust: which one, what it is, what is wrong, and the command
/// that fixes it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "refusing to use {}, {}: {reason}. {}; {}",
    path.display(),
    guarded.what(),
    guarded.why(),
    self.fix()
)]
pub struct UnsafePath {
    pub path: PathBuf,
    pub guarded: Guarded,
    pub reason: UnsafeHomeReason,
}

impl UnsafePath {
    /// What to run.
    pub fn fix(&self) -> String {
        let path = shell_quoted(&self.path);
        match self.reason {
            UnsafeHomeReason::WritableByOthers { .. }
            | UnsafeHomeReason::ReadableByOthers { .. } => {
                let mode = if self.guarded.is_dir() { 700 } else { 600 };
                format!("run `chmod {mode} {path}` and try again")
            }
            UnsafeHomeReason::OwnedByAnotherUser { owner, current } => match self.guarded {
                Guarded::Home => format!(
                    "run phiguard as user id {owner}, give it a home of its own with --home, \
                     or, if this home is yours, run `chown -R {current} {path}` as root"
                ),
                _ => format!(
                    "user id {owner} may have replaced it, so compare it with your backup and \
                     restore it if it differs, then run `chown {current} {path}` as root"
                ),
            },
        }
    }
}

/// `path` as one shell word: as it is when that is safe, else in single quotes.
pub(crate) fn shell_quoted(path: &Path) -> String {
    let text = path.display().to_string();
    let plain = !text.is_empty()
        && text.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-' | '+' | ':' | '@' | ',')
        });
    if plain {
        text
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

/// Checks what `metadata` says of `path` against the rules for `guarded`: owned by the user
/// phiguard runs as, and none of the forbidden permission bits set. Callers that opened the
/// file pass the opened file's metadata, so the check describes the very file they read.
pub fn check_metadata(
    path: &Path,
    metadata: &fs::Metadata,
    guarded: Guarded,
) -> Result<(), UnsafePath> {
    let current = rustix::process::geteuid().as_raw();
    let mode = metadata.mode() & 0o7777;
    let forbidden = mode & guarded.forbidden();
    let reason = if metadata.uid() != current {
        UnsafeHomeReason::OwnedByAnotherUser {
            owner: metadata.uid(),
            current,
        }
    } else if forbidden & 0o022 != 0 {
        UnsafeHomeReason::WritableByOthers {
            mode,
            offending: forbidden,
        }
    } else if forbidden != 0 {
        UnsafeHomeReason::ReadableByOthers {
            mode,
            offending: forbidden,
        }
    } else {
        return Ok(());
    };
    Err(UnsafePath {
        path: path.to_path_buf(),
        guarded,
        reason,
    })
}

/// As [`check_metadata`], reading the metadata of `path` (following symbolic links, so a link
/// is judged by what it points to). A path that does not exist passes: there is nothing in it
/// to trust.
pub fn check_path(path: &Path, guarded: Guarded) -> Result<(), HomeError> {
    match fs::metadata(path) {
        Ok(metadata) => Ok(check_metadata(path, &metadata, guarded)?),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(HomeError::Io {
            action: "inspect",
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Refuses a home that is not a directory or that someone else could tamper with: the home,
/// `keys/` and everything in it, and the configuration.
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
    check_metadata(dir, &meta, Guarded::Home)?;
    check_path(&dir.join(crate::CONFIG_FILE), Guarded::Config)?;
    let keys = dir.join(crate::KEYS_DIR);
    check_path(&keys, Guarded::KeysDir)?;
    let entries = match fs::read_dir(&keys) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(source) => {
            return Err(HomeError::Io {
                action: "list",
                path: keys,
                source,
            });
        }
    };
    for entry in entries {
        let entry = entry.map_err(|source| HomeError::Io {
            action: "list",
            path: keys.clone(),
            source,
        })?;
        check_path(&entry.path(), Guarded::KeyFile)?;
    }
    Ok(())
}

/// Refuses an SQLite database, or its `-wal` or `-shm` file, that others could read or
/// change.
pub fn check_database_files(path: &Path) -> Result<(), HomeError> {
    check_path(path, Guarded::Database)?;
    for suffix in ["-wal", "-shm"] {
        let mut companion = path.as_os_str().to_os_string();
        companion.push(suffix);
        check_path(Path::new(&companion), Guarded::Database)?;
    }
    Ok(())
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

/// Replaces a private (0600) file atomically ([`write_atomically`]). A crash leaves the old
/// file or the new one, never a mix, which matters for a file such as the keyring that nothing
/// may damage.
pub fn replace_private_file(path: &Path, contents: &[u8]) -> io::Result<()> {
    write_atomically(path, contents, Readers::Owner)
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
