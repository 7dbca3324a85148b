//! The `file` root key provider: 32 random bytes in a file only its owner can read.
//!
//! The simplest root: no passphrase to type and no hardware, at the price that anyone who
//! can read the file can open everything sealed under the keyring. That is why a file that
//! group or others could read or write is refused rather than silently used.

use std::io::{ErrorKind, Read};
use std::path::Path;

use zeroize::Zeroizing;

use super::{RootKey, RootKeyError, soft_unwrap, soft_wrap};
use crate::secret::{KEY_LEN, KeyBytes};

/// A root key held in a key file. `Debug` shows nothing of the key ([`KeyBytes`] is redacted).
#[derive(Debug)]
pub struct FileRoot {
    key: KeyBytes,
}

impl FileRoot {
    /// A root over a key the caller already has, e.g. one just generated and about to be
    /// written to the key file (the caller writes the file, with mode 0600, itself).
    pub fn new(key: KeyBytes) -> FileRoot {
        FileRoot { key }
    }

    /// Reads the root key from `path`.
    ///
    /// Refuses a file that is missing, that group or others may read or write (the key would
    /// no longer be the owner's alone), or that is not exactly 32 bytes (a truncated or
    /// wrong file would otherwise only show up later as "wrong root key").
    pub fn load(path: &Path) -> Result<FileRoot, RootKeyError> {
        let shown = path.display().to_string();
        let refuse = |reason: String| RootKeyError::KeyFile {
            path: shown.clone(),
            reason,
        };
        let mut file = std::fs::File::open(path).map_err(|e| match e.kind() {
            ErrorKind::NotFound => refuse(
                "it is missing; without it nothing sealed under this keyring can be opened, so \
                 restore it from its backup"
                    .to_owned(),
            ),
            _ => refuse(format!("it cannot be opened: {e}")),
        })?;
        // The checks use the opened file's own metadata, so they describe the very file read
        // below even if the path is swapped in between.
        let metadata = file
            .metadata()
            .map_err(|e| refuse(format!("its metadata cannot be read: {e}")))?;
        if !metadata.is_file() {
            return Err(refuse("it is not a regular file".to_owned()));
        }
        phiguard_home::check_metadata(path, &metadata, phiguard_home::Guarded::SecretKeyFile)?;
        if metadata.len() != KEY_LEN as u64 {
            return Err(refuse(format!(
                "it holds {} bytes, but a root key file holds exactly {KEY_LEN}; it is damaged \
                 or not a root key file, so restore it from its backup",
                metadata.len()
            )));
        }
        // One byte more than a key, so a file that grew after the size check is caught too.
        let mut buffer = Zeroizing::new([0u8; KEY_LEN + 1]);
        let mut filled = 0;
        loop {
            match file.read(&mut buffer[filled..]) {
                Ok(0) => break,
                Ok(n) => {
                    filled += n;
                    if filled == buffer.len() {
                        break;
                    }
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(refuse(format!("it cannot be read: {e}"))),
            }
        }
        let key = KeyBytes::from_slice(&buffer[..filled]).ok_or_else(|| {
            refuse(format!(
                "it changed while being read (read {filled} bytes, expected {KEY_LEN})"
            ))
        })?;
        Ok(FileRoot { key })
    }
}

impl RootKey for FileRoot {
    fn wrap(&self, label: &[u8], secret: &[u8]) -> Result<Vec<u8>, RootKeyError> {
        soft_wrap(&self.key, label, secret)
    }

    fn unwrap(&self, label: &[u8], wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>, RootKeyError> {
        soft_unwrap(&self.key, label, wrapped)
    }
}
