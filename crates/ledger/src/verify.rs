//! Verification: recompute the whole tree from the entries and hold it against every stored
//! hash and every signed checkpoint. The same replay checks the database and an exported
//! bundle.

use std::collections::BTreeMap;

use phiguard_core::hex;
use serde::Serialize;

use crate::merkle::{self, Frontier, Hash};
use crate::note::{self, VerifierKey};
use crate::{Ledger, LedgerError};

/// Entries read per database round trip while verifying.
const PAGE: u64 = 16_384;

/// What a successful verification covered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    pub entries: u64,
    #[serde(with = "hex")]
    pub root: Hash,
    pub checkpoints: usize,
    /// The size of the newest signed checkpoint, if any.
    pub latest_checkpoint: Option<u64>,
    /// Entries after the newest checkpoint: intact as far as the stored hashes go, but not
    /// yet covered by a signature (`phiguard ledger checkpoint` covers them).
    pub unsigned_entries: u64,
}

/// The first problem verification found. Each names the entry or checkpoint to look at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum Tamper {
    #[error("entry {seq} is missing: the entries jump from {} to {next}", seq.wrapping_sub(1))]
    EntryMissing { seq: u64, next: u64 },

    #[error(
        "entry {seq} was altered: its content no longer matches the leaf hash recorded when it was appended"
    )]
    EntryAltered { seq: u64 },

    #[error("the tree hashes stored with entry {seq} were altered")]
    HashesAltered { seq: u64 },

    #[error("the checkpoint at size {size} does not carry a valid signature by {key}: {reason}")]
    CheckpointSignature {
        size: u64,
        key: String,
        reason: String,
    },

    #[error("the checkpoint stored for size {stored} is signed for size {signed}")]
    CheckpointMislabelled { stored: u64, signed: u64 },

    #[error(
        "the checkpoint at size {size} does not match the entries: an entry before {size} was altered, removed or reordered together with its stored hashes"
    )]
    CheckpointRoot { size: u64 },

    #[error(
        "the checkpoint at size {size} covers more entries than the log holds ({entries}): entries at the end were removed"
    )]
    CheckpointBeyondEnd { size: u64, entries: u64 },
}

/// Opens every checkpoint with `key`, returning the signed roots by size.
pub(crate) fn open_checkpoints<'a>(
    notes: impl IntoIterator<Item = (u64, &'a str)>,
    key: &VerifierKey,
) -> Result<BTreeMap<u64, Hash>, Tamper> {
    let mut roots = BTreeMap::new();
    for (stored_size, note) in notes {
        let checkpoint =
            note::open_checkpoint(note, key).map_err(|e| Tamper::CheckpointSignature {
                size: stored_size,
                key: key.to_string(),
                reason: e.to_string(),
            })?;
        if checkpoint.size != stored_size {
            return Err(Tamper::CheckpointMislabelled {
                stored: stored_size,
                signed: checkpoint.size,
            });
        }
        roots.insert(checkpoint.size, checkpoint.root);
    }
    Ok(roots)
}

/// Rebuilds the tree entry by entry and checks it against stored hashes and signed roots.
#[derive(Debug)]
pub(crate) struct Replay {
    frontier: Frontier,
    signed_roots: BTreeMap<u64, Hash>,
}

impl Replay {
    pub(crate) fn new(signed_roots: BTreeMap<u64, Hash>) -> Result<Replay, Tamper> {
        let replay = Replay {
            frontier: Frontier::empty(),
            signed_roots,
        };
        replay.check_signed_root()?;
        Ok(replay)
    }

    pub(crate) fn size(&self) -> u64 {
        self.frontier.size()
    }

    /// Adds entry `seq`. `stored_hashes`, when verifying the database, are the hashes stored
    /// beside the entry, which must equal the recomputed ones.
    pub(crate) fn push(
        &mut self,
        seq: u64,
        entry: &[u8],
        stored_hashes: Option<&[u8]>,
    ) -> Result<(), Tamper> {
        let expected = self.frontier.size();
        if seq != expected {
            return Err(Tamper::EntryMissing {
                seq: expected,
                next: seq,
            });
        }
        let leaf = merkle::leaf_hash(entry);
        let produced = self.frontier.append(leaf);
        if let Some(stored) = stored_hashes {
            if stored.get(..32) != Some(&leaf[..]) {
                return Err(Tamper::EntryAltered { seq });
            }
            let matches = stored.len() == produced.len() * 32
                && produced
                    .iter()
                    .zip(stored.chunks_exact(32))
                    .all(|((_, hash), stored)| hash[..] == *stored);
            if !matches {
                return Err(Tamper::HashesAltered { seq });
            }
        }
        self.check_signed_root()
    }

    fn check_signed_root(&self) -> Result<(), Tamper> {
        let size = self.frontier.size();
        match self.signed_roots.get(&size) {
            Some(root) if *root != self.frontier.root() => Err(Tamper::CheckpointRoot { size }),
            _ => Ok(()),
        }
    }

    pub(crate) fn finish(self) -> Result<VerifyReport, Tamper> {
        let entries = self.frontier.size();
        if let Some((&size, _)) = self.signed_roots.range(entries + 1..).next() {
            return Err(Tamper::CheckpointBeyondEnd { size, entries });
        }
        let latest_checkpoint = self.signed_roots.keys().next_back().copied();
        Ok(VerifyReport {
            entries,
            root: self.frontier.root(),
            checkpoints: self.signed_roots.len(),
            latest_checkpoint,
            unsigned_entries: entries - latest_checkpoint.unwrap_or(0),
        })
    }
}

impl Ledger {
    /// Recomputes every hash from the stored entries, checks it against the hashes stored
    /// beside them and against every checkpoint, whose signatures must verify with `key`.
    ///
    /// The outer error means verification could not run (the database failed); the inner
    /// one is the verdict: the first entry or checkpoint found to be wrong.
    /// `progress(done, total)` is called after each page of entries.
    pub async fn verify(
        &self,
        key: &VerifierKey,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<Result<VerifyReport, Tamper>, LedgerError> {
        let checkpoints = self.raw_checkpoints().await?;
        let roots = match open_checkpoints(checkpoints.iter().map(|(s, n)| (*s, n.as_str())), key) {
            Ok(roots) => roots,
            Err(tamper) => return Ok(Err(tamper)),
        };
        let mut replay = match Replay::new(roots) {
            Ok(replay) => replay,
            Err(tamper) => return Ok(Err(tamper)),
        };
        let total = self.size().await?;
        let mut from = 0;
        while from < total {
            let to = (from + PAGE).min(total);
            for (seq, entry, hashes) in self.entry_page(from, to).await? {
                if let Err(tamper) = replay.push(seq, entry.as_bytes(), Some(&hashes)) {
                    return Ok(Err(tamper));
                }
            }
            // A page with a gap at its end leaves the replay short of `to`; the next entry
            // read will report the gap.
            from = to;
            progress(replay.size(), total);
        }
        if replay.size() < total {
            return Ok(Err(Tamper::EntryMissing {
                seq: replay.size(),
                next: total,
            }));
        }
        Ok(replay.finish())
    }
}
