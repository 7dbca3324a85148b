//! Checkpoints kept outside the database, so that a ledger deleted, emptied or rolled back to
//! an older copy is caught.
//!
//! A tree that verifies proves only that its entries agree with its own hashes and signed
//! checkpoints; a database replaced as a whole by an older copy, or emptied, is still a valid
//! tree. What catches that is a signed checkpoint kept somewhere the database's attacker
//! cannot reach, held against the database later:
//!
//! - the **witness file** in the home (`ledger.witness`), rewritten atomically with every new
//!   checkpoint: it catches whoever can change the database but not the home (a database
//!   administrator, a PostgreSQL account, a restore of the wrong backup);
//! - a checkpoint **cosigned by an independent witness** (<https://c2sp.org/tlog-cosignature>),
//!   which remembers the newest checkpoint it cosigned for each log and refuses to cosign one
//!   that does not extend it: kept by another installation or an auditor, it also catches a
//!   rollback of the whole home.
//!
//! Either becomes an [`Anchor`] that verification holds the tree against.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use phiguard_home::{Readers, write_atomically};
use serde::Serialize;

use crate::LedgerError;
use crate::merkle::Hash;
use crate::note::{self, CosignerKey, VerifierKey};

/// A checkpoint note is a few hundred bytes; with a hundred cosignatures, a few kilobytes.
pub const MAX_NOTE_BYTES: u64 = 64 * 1024;

/// A signed checkpoint the tree must agree with: at `size` entries its root is `root`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Anchor {
    pub size: u64,
    #[serde(with = "phiguard_core::hex")]
    pub root: Hash,
    /// Where it is kept, for the verdict: "the witness file /var/lib/phiguard/ledger.witness".
    pub source: String,
    /// The witnesses whose cosignatures on it verified, by name.
    pub cosigned_by: Vec<String>,
}

impl Anchor {
    /// Opens a checkpoint note kept at `source` with the log's key and, for each of
    /// `cosigners`, checks its cosignature: every one must be present and verify.
    pub fn open(
        note_text: &str,
        source: String,
        key: &VerifierKey,
        cosigners: &[CosignerKey],
    ) -> Result<Anchor, String> {
        let checkpoint = note::open_checkpoint(note_text, key).map_err(|e| e.to_string())?;
        if checkpoint.origin != key.name() {
            return Err(format!(
                "it is a checkpoint of the log {:?}, not of {:?}",
                checkpoint.origin,
                key.name()
            ));
        }
        let cosigned_by = cosigners
            .iter()
            .map(|cosigner| {
                cosigner
                    .verify(note_text)
                    .map(|_| cosigner.name().to_owned())
                    .map_err(|e| format!("witness {}: {e}", cosigner.name()))
            })
            .collect::<Result<_, _>>()?;
        Ok(Anchor {
            size: checkpoint.size,
            root: checkpoint.root,
            source,
            cosigned_by,
        })
    }
}

/// One signed checkpoint note kept in a file: the home's witness file, or a witness's record
/// of the newest checkpoint it cosigned for a log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointFile {
    path: PathBuf,
}

impl CheckpointFile {
    pub fn new(path: impl Into<PathBuf>) -> CheckpointFile {
        CheckpointFile { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The note kept, or `None` when there is no file yet.
    pub fn read(&self) -> Result<Option<String>, LedgerError> {
        match File::open(&self.path) {
            Ok(file) => read_text(file, &self.path, MAX_NOTE_BYTES, "a checkpoint").map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(LedgerError::Io {
                action: "read",
                path: self.path.clone(),
                source,
            }),
        }
    }

    /// Replaces the note kept, atomically: a reader sees the old note or the new one, and
    /// after a crash the file holds one of them whole ([`write_atomically`], private to the
    /// home's owner).
    pub fn write(&self, note: &str) -> Result<(), LedgerError> {
        write_atomically(&self.path, note.as_bytes(), Readers::Owner).map_err(|source| {
            LedgerError::Io {
                action: "write",
                path: self.path.clone(),
                source,
            }
        })
    }
}

/// Why a witness refuses to cosign a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CosignRefusal {
    #[error("the checkpoint is not signed by the log's key: {0}")]
    NotSigned(String),
    #[error(
        "the checkpoint is of {size} entries, but this witness already cosigned {cosigned} \
         entries of the log: the log was rolled back, and a witness never cosigns that"
    )]
    RolledBack { size: u64, cosigned: u64 },
    #[error(
        "the checkpoint has the size this witness cosigned ({size} entries) but another root: \
         the log shows two different histories"
    )]
    Forked { size: u64 },
    #[error(
        "this witness cosigned {cosigned} entries of the log before; give the consistency proof \
         from {cosigned} to {size} (`phiguard ledger consistency {cosigned} {size} --json` on \
         the log's installation)"
    )]
    ProofNeeded { size: u64, cosigned: u64 },
    #[error(
        "the consistency proof does not show that the log extends what this witness cosigned: {0}"
    )]
    BadProof(String),
}

/// What a witness does with a checkpoint of a log it watches: cosign it only when it is signed
/// by the log and extends `last`, the newest checkpoint the witness cosigned for that log
/// (none on first sight). Returns the cosigned note, which the witness then keeps as `last`.
pub fn cosign(
    note_text: &str,
    log_key: &VerifierKey,
    last: Option<&str>,
    proof: Option<&crate::ConsistencyProof>,
    witness: &note::SigningKey,
    time: u64,
) -> Result<String, CosignRefusal> {
    let new = note::open_checkpoint(note_text, log_key)
        .map_err(|e| CosignRefusal::NotSigned(e.to_string()))?;
    if let Some(last) = last {
        let old = note::open_checkpoint(last, log_key)
            .map_err(|e| CosignRefusal::NotSigned(format!("(the one cosigned before) {e}")))?;
        if new.size < old.size {
            return Err(CosignRefusal::RolledBack {
                size: new.size,
                cosigned: old.size,
            });
        }
        if new.size == old.size {
            if new.root != old.root {
                return Err(CosignRefusal::Forked { size: new.size });
            }
        } else {
            let proof = proof.ok_or(CosignRefusal::ProofNeeded {
                size: new.size,
                cosigned: old.size,
            })?;
            if proof.old_size != old.size || proof.new_size != new.size {
                return Err(CosignRefusal::BadProof(format!(
                    "it is a proof from {} to {}, not from {} to {}",
                    proof.old_size, proof.new_size, old.size, new.size
                )));
            }
            crate::merkle::verify_consistency(
                old.size,
                new.size,
                &old.root,
                &new.root,
                &proof.proof,
            )
            .map_err(|e| CosignRefusal::BadProof(e.to_string()))?;
        }
    }
    witness
        .cosign(note_text, time)
        .map_err(|e| CosignRefusal::NotSigned(e.to_string()))
}

/// Reads a whole text file of at most `limit` bytes; a larger one (or `/dev/zero`) is an
/// error naming the limit, found after reading `limit + 1` bytes, never more.
pub(crate) fn read_text(
    file: File,
    path: &Path,
    limit: u64,
    what: &str,
) -> Result<String, LedgerError> {
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| LedgerError::Io {
            action: "read",
            path: path.to_path_buf(),
            source,
        })?;
    if bytes.len() as u64 > limit {
        return Err(LedgerError::TooLarge {
            path: path.to_path_buf(),
            what: what.to_owned(),
            limit,
        });
    }
    String::from_utf8(bytes).map_err(|_| LedgerError::BadFile {
        path: path.to_path_buf(),
        reason: format!("{what} must be UTF-8 text"),
    })
}

/// Reads a text file of at most `limit` bytes by path; a larger one is an error naming the
/// limit, found without reading more than `limit + 1` bytes.
pub fn read_text_file(path: &Path, limit: u64, what: &str) -> Result<String, LedgerError> {
    let file = File::open(path).map_err(|source| LedgerError::Io {
        action: "open",
        path: path.to_path_buf(),
        source,
    })?;
    read_text(file, path, limit, what)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::fs;

    #[test]
    fn a_checkpoint_file_is_replaced_whole_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let file = CheckpointFile::new(dir.path().join("ledger.witness"));
        assert_eq!(file.read().unwrap(), None);
        file.write("first\n").unwrap();
        file.write("second\n").unwrap();
        assert_eq!(file.read().unwrap().as_deref(), Some("second\n"));
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(file.path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        // No temporary file is left behind.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn an_oversized_checkpoint_file_is_refused_without_reading_it_all() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.witness");
        let huge = File::create(&path).unwrap();
        huge.set_len(10 << 30).unwrap(); // sparse: 10 GiB of zeros, no disk used
        let err = CheckpointFile::new(&path).read().unwrap_err().to_string();
        assert!(err.contains("65536 bytes"), "{err}");
        let err = CheckpointFile::new("/dev/zero")
            .read()
            .unwrap_err()
            .to_string();
        assert!(err.contains("65536 bytes"), "{err}");
    }
}
