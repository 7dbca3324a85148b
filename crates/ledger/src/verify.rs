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
}

/// Splits a packed page into `(seq, entry bytes, stored hashes)`, or `None` unless it holds
/// exactly the entries `from..to`, each with as many hashes as its position calls for.
/// One entry of a page: its sequence number, its bytes, and the hashes stored beside it.
type PageEntry<'a> = (u64, &'a [u8], Vec<u8>);

fn unpack(page: &crate::log::PackedPage, from: u64, to: u64) -> Option<Vec<PageEntry<'_>>> {
    if page.count != to - from || page.first != Some(from) || page.last != Some(to - 1) {
        return None;
    }
    let hashes = decode_hex(&page.hashes_hex)?;
    let mut entries = page.entries.split('\n');
    let mut offset = 0;
    let mut out = Vec::with_capacity((to - from) as usize);
    for seq in from..to {
        // Entry `seq` stores its leaf hash and one hash per subtree it completes.
        let len = 32 * (1 + seq.trailing_ones() as usize);
        let stored = hashes.get(offset..offset + len)?.to_vec();
        offset += len;
        out.push((seq, entries.next()?.as_bytes(), stored));
    }
    (entries.next().is_none() && offset == hashes.len()).then_some(out)
}

/// Hex in either case (SQLite's `hex()` writes upper case, PostgreSQL lower case).
fn decode_hex(text: &str) -> Option<Vec<u8>> {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    bytes
        .chunks_exact(2)
        .map(|pair| Some(nibble(pair[0])? << 4 | nibble(pair[1])?))
        .collect()
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
        // Read the next page while this one is hashed: the database driver works on its own
        // thread, so reading and hashing overlap.
        let fetch = |from: u64| {
            let ledger = self.clone();
            let to = (from + PAGE).min(total);
            tokio::spawn(async move { ledger.packed_page(from, to).await })
        };
        let mut from = 0;
        let mut next = (from < total).then(|| fetch(from));
        while let Some(reading) = next.take() {
            let page = reading.await.map_err(|_| LedgerError::WriterStopped)??;
            let to = (from + PAGE).min(total);
            next = (to < total).then(|| fetch(to));
            // The fast path may only ever say "intact": anything else is decided by reading
            // the page again row by row, in order, from the state before the page.
            let before = replay.clone();
            let fast = unpack(&page, from, to).is_some_and(|entries| {
                entries
                    .into_iter()
                    .try_for_each(|(seq, entry, hashes)| replay.push(seq, entry, Some(&hashes)))
                    .is_ok()
            });
            let verdict =
                if fast {
                    Ok(())
                } else {
                    replay = before;
                    self.entry_page(from, to).await?.into_iter().try_for_each(
                        |(seq, entry, hashes)| replay.push(seq, entry.as_bytes(), Some(&hashes)),
                    )
                };
            if let Err(tamper) = verdict {
                return Ok(Err(tamper));
            }
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
