//! Verification: recompute the whole tree from the entries and hold it against every stored
//! hash and every signed checkpoint. The same replay checks the database and an exported
//! bundle.

use std::collections::BTreeMap;

use phiguard_core::hex;
use serde::Serialize;

use crate::merkle::{self, Frontier, Hash};
use crate::note::{self, VerifierKey};
use crate::witness::Anchor;

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
    /// The checkpoints kept outside the database that the tree was held against (the
    /// witness file, cosigned checkpoints): each is a prefix of it.
    pub anchors: Vec<Anchor>,
}

/// The first problem verification found. Each names the entry or checkpoint to look at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Tamper {
    #[error("entry {seq} is missing: the next entry stored after it is {next}")]
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

    #[error("the checkpoint at size {size} is signed for the log {origin:?}, not for {expected:?}")]
    CheckpointOrigin {
        size: u64,
        origin: String,
        expected: String,
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

    #[error(
        "{held_in} holds a checkpoint of {size} entries signed by this installation, but the \
         ledger holds {entries}: the database was deleted, emptied or rolled back to an older copy"
    )]
    BehindAnchor {
        size: u64,
        entries: u64,
        held_in: String,
    },

    #[error(
        "the entries do not match the checkpoint of {size} entries kept in {held_in}: the \
         database was replaced, or rolled back and rewritten"
    )]
    AnchorRoot { size: u64, held_in: String },

    #[error("{held_in} cannot vouch for the ledger: {reason}")]
    AnchorUnusable { held_in: String, reason: String },

    #[error(
        "the database {database} does not exist, but {held_in} holds a checkpoint of {size} \
         entries signed by this installation: the ledger was deleted"
    )]
    DatabaseMissing {
        database: String,
        size: u64,
        held_in: String,
    },
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
        if checkpoint.origin != key.name() {
            return Err(Tamper::CheckpointOrigin {
                size: stored_size,
                origin: checkpoint.origin,
                expected: key.name().to_owned(),
            });
        }
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
#[derive(Debug, Clone)]
pub(crate) struct Replay {
    frontier: Frontier,
    signed_roots: BTreeMap<u64, Hash>,
    /// Checkpoints kept outside the log, by size.
    anchors: BTreeMap<u64, Vec<Anchor>>,
}

impl Replay {
    pub(crate) fn new(
        signed_roots: BTreeMap<u64, Hash>,
        anchors: &[Anchor],
    ) -> Result<Replay, Tamper> {
        let mut by_size: BTreeMap<u64, Vec<Anchor>> = BTreeMap::new();
        for anchor in anchors {
            by_size.entry(anchor.size).or_default().push(anchor.clone());
        }
        let replay = Replay {
            frontier: Frontier::empty(),
            signed_roots,
            anchors: by_size,
        };
        replay.check_signed_root()?;
        Ok(replay)
    }

    /// Entries replayed so far; only the database's paged replay asks.
    #[cfg(feature = "log")]
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
        self.push_leaf(seq, merkle::leaf_hash(entry), stored_hashes)
    }

    /// [`Replay::push`] with the entry's leaf hash already computed, so that hashing can run
    /// in parallel ahead of this strictly sequential step.
    pub(crate) fn push_leaf(
        &mut self,
        seq: u64,
        leaf: Hash,
        stored_hashes: Option<&[u8]>,
    ) -> Result<(), Tamper> {
        let expected = self.frontier.size();
        if seq != expected {
            return Err(Tamper::EntryMissing {
                seq: expected,
                next: seq,
            });
        }
        if stored_hashes.is_some_and(|stored| stored.get(..32) != Some(&leaf[..])) {
            return Err(Tamper::EntryAltered { seq });
        }
        match stored_hashes {
            Some(stored) => {
                let mut chunks = stored.chunks_exact(32);
                let mut matches = stored.len() % 32 == 0;
                self.frontier.append_each(leaf, |hash| {
                    matches &= chunks.next() == Some(&hash[..]);
                });
                if !matches || chunks.next().is_some() {
                    return Err(Tamper::HashesAltered { seq });
                }
            }
            None => self.frontier.append_each(leaf, |_| {}),
        }
        self.check_signed_root()
    }

    fn check_signed_root(&self) -> Result<(), Tamper> {
        let size = self.frontier.size();
        let signed = self.signed_roots.get(&size);
        let anchored = self
            .anchors
            .get(&size)
            .map(Vec::as_slice)
            .unwrap_or_default();
        if signed.is_none() && anchored.is_empty() {
            return Ok(());
        }
        let root = self.frontier.root();
        if let Some(anchor) = anchored.iter().find(|a| a.root != root) {
            return Err(Tamper::AnchorRoot {
                size,
                held_in: anchor.source.clone(),
            });
        }
        match signed {
            Some(signed) if *signed != root => Err(Tamper::CheckpointRoot { size }),
            _ => Ok(()),
        }
    }

    pub(crate) fn finish(self) -> Result<VerifyReport, Tamper> {
        let entries = self.frontier.size();
        // What is kept outside the log speaks first: it is what an emptied or rolled-back
        // database cannot take with it.
        if let Some(anchor) = self
            .anchors
            .range(entries + 1..)
            .flat_map(|(_, a)| a)
            .next()
        {
            return Err(Tamper::BehindAnchor {
                size: anchor.size,
                entries,
                held_in: anchor.source.clone(),
            });
        }
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
            anchors: self.anchors.into_values().flatten().collect(),
        })
    }
}
