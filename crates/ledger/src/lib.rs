//! phiguard's tamper-evident evidence ledger.
//!
//! Every piece of evidence phiguard records is appended here as a canonical JSON entry and
//! becomes a leaf of an RFC 6962 Merkle tree. Signed checkpoints (C2SP tlog-checkpoint notes,
//! Ed25519) commit to the tree at a size; inclusion and consistency proofs show that an entry
//! is in a signed tree and that a later tree extends an earlier one. `verify` recomputes every
//! hash from the stored entries; an exported bundle verifies offline with only the verifier
//! key. The format is specified in `docs/formats/ledger.md`.
//!
//! - [`merkle`]: the tree's hashing, stored-hash layout and proofs (pure, no I/O).
//! - [`note`]: signed notes, keys and checkpoints.
//! - [`entry`]: the canonical entry encoding.
//! - [`Ledger`]: the log in the database: appends (group-committed), reads, proofs,
//!   checkpoints, verification and export. Behind the `log` feature (on by default), the
//!   only part that needs a database: without it the crate is the pure format (entries,
//!   tree, notes, bundles and their verification), for tools and fuzzers that never open one.
//! - [`bundle`]: the offline export format and its verifier.

pub mod bundle;
pub mod entry;
#[cfg(feature = "log")]
mod log;
pub mod merkle;
pub mod note;
mod proof;
mod verify;
pub mod witness;

use std::path::PathBuf;
use std::sync::Arc;

#[cfg(feature = "log")]
pub use log::{Ledger, PendingAppend, SignedCheckpoint, StoredEntry, append_in_transaction};
pub use proof::{ConsistencyProof, InclusionProof};
pub use verify::{Tamper, VerifyReport};
pub use witness::{Anchor, CheckpointFile};

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("the entry cannot be recorded: {reason}")]
    BadEntry { reason: String },

    #[cfg(feature = "log")]
    #[error("a ledger database operation failed while {doing}")]
    Database {
        doing: &'static str,
        #[source]
        source: sqlx::Error,
    },

    #[cfg(feature = "log")]
    #[error(transparent)]
    Store(#[from] phiguard_store::StoreError),

    #[error("the ledger append failed")]
    AppendFailed(#[source] Arc<LedgerError>),

    #[cfg(feature = "log")]
    #[error(
        "the database did not confirm the commit of ledger entries, so they may or may not be stored; check with `phiguard ledger tail` before appending them again"
    )]
    CommitUncertain {
        #[source]
        source: sqlx::Error,
    },

    #[error("the ledger writer has stopped; nothing more can be appended in this process")]
    WriterStopped,

    #[error("the ledger holds {size} entries; {asked} is beyond its end")]
    BeyondEnd { asked: u64, size: u64 },

    #[error(
        "the stored ledger is damaged: {detail}. Run `phiguard ledger verify` to find the first damaged entry"
    )]
    Corrupt { detail: String },

    #[error("refusing to sign a checkpoint: {detail}. Run `phiguard ledger verify`")]
    Inconsistent { detail: String },

    #[error(transparent)]
    Merkle(#[from] merkle::MerkleError),

    #[error(transparent)]
    Note(#[from] note::NoteError),

    #[error("could not {action} {path}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("{path} is not a ledger bundle: {reason}")]
    BadBundle { path: PathBuf, reason: String },

    #[error(
        "{path} is larger than {limit} bytes, the most phiguard reads as {what}: it is not \
         what it should be (or not the file meant)"
    )]
    TooLarge {
        path: PathBuf,
        what: String,
        limit: u64,
    },

    #[error("{path} cannot be used: {reason}")]
    BadFile { path: PathBuf, reason: String },
}
