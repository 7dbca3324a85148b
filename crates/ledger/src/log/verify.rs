//! Verification of the ledger in the database: the replay of [`crate::verify`], fed page by
//! page from the stored entries and their stored hashes.

use crate::merkle::{self, Hash};
use crate::note::VerifierKey;
use crate::verify::{Replay, open_checkpoints};
use crate::witness::Anchor;
use crate::{Ledger, LedgerError, Tamper, VerifyReport};

use super::PackedPage;

/// Entries read per database round trip while verifying. Measured (bench/ledger, verify of
/// 1M entries): 2,048 verifies about a third faster than 16,384. A page's aggregated text
/// and hashes (about 600 KB here) are allocated and freed for every page, by SQLite and
/// again by the driver; at 5 MB each such buffer is a fresh memory mapping whose every page
/// faults in, which cost more than the extra round trips of smaller pages.
const PAGE: u64 = 2_048;

/// Pages read ahead of the replay.
const READ_AHEAD: usize = 3;

/// A page of entries with their leaf hashes computed, ready for the sequential replay.
#[derive(Debug)]
struct HashedPage {
    first: u64,
    leaves: Vec<Hash>,
    /// Every entry's stored hashes, concatenated in sequence order.
    stored: Vec<u8>,
}

impl HashedPage {
    /// `None` unless the packed page splits into exactly `to - from` entries and exactly the
    /// stored hashes their positions call for. Rows are unique by seq, so that many rows in the
    /// range means none is missing; a row missing while a tampered entry holds a newline would
    /// also split evenly, but then the leaves do not match and the page is read row by row.
    fn new(page: PackedPage, from: u64, to: u64) -> Option<HashedPage> {
        let expected_len: usize = (from..to)
            .map(|seq| 32 * (1 + seq.trailing_ones() as usize))
            .sum();
        if page.hashes.len() != expected_len {
            return None;
        }
        let leaves: Vec<Hash> = page
            .entries
            .split('\n')
            .map(|e| merkle::leaf_hash(e.as_bytes()))
            .collect();
        (leaves.len() as u64 == to - from).then_some(HashedPage {
            first: from,
            leaves,
            stored: page.hashes,
        })
    }

    fn replay(self, replay: &mut Replay) -> Result<(), Tamper> {
        let mut offset = 0;
        for (seq, leaf) in (self.first..).zip(self.leaves) {
            // Entry `seq` stores its leaf hash and one hash per subtree it completes.
            let len = 32 * (1 + seq.trailing_ones() as usize);
            replay.push_leaf(seq, leaf, Some(&self.stored[offset..offset + len]))?;
            offset += len;
        }
        Ok(())
    }
}

impl Ledger {
    /// Recomputes every hash from the stored entries, checks it against the hashes stored
    /// beside them and against every checkpoint, whose signatures must verify with `key`.
    ///
    /// The outer error means verification could not run (the database failed); the inner
    /// one is the verdict: the first entry or checkpoint found to be wrong.
    /// `progress(done, total)` is called after each page of entries.
    ///
    /// The tree is also held against the witness file (when this ledger has one) and against
    /// `anchors`, checkpoints kept elsewhere: each must be a prefix of the tree.
    pub async fn verify(
        &self,
        key: &VerifierKey,
        anchors: &[Anchor],
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<Result<VerifyReport, Tamper>, LedgerError> {
        let mut anchors = anchors.to_vec();
        match self.witnessed(key)? {
            None => {}
            Some(Ok(anchor)) => anchors.push(anchor),
            Some(Err(reason)) => {
                return Ok(Err(Tamper::AnchorUnusable {
                    held_in: format!("the witness file {}", self.witness_path()),
                    reason,
                }));
            }
        }
        let checkpoints = self.raw_checkpoints().await?;
        let roots = match open_checkpoints(checkpoints.iter().map(|(s, n)| (*s, n.as_str())), key) {
            Ok(roots) => roots,
            Err(tamper) => return Ok(Err(tamper)),
        };
        let mut replay = match Replay::new(roots, &anchors) {
            Ok(replay) => replay,
            Err(tamper) => return Ok(Err(tamper)),
        };
        let total = self.size().await?;
        // Pages are read and their leaves hashed by tasks running ahead of the sequential
        // replay, on their own connections, so reading, hashing and replaying overlap.
        let read_ahead = |from: u64| {
            let ledger = self.clone();
            let to = (from + PAGE).min(total);
            tokio::spawn(async move {
                let page = ledger.packed_page(from, to).await?;
                Ok::<_, LedgerError>(HashedPage::new(page, from, to))
            })
        };
        let mut pending = std::collections::VecDeque::new();
        let mut next_from = 0;
        let mut from = 0;
        while from < total {
            while pending.len() < READ_AHEAD && next_from < total {
                pending.push_back(read_ahead(next_from));
                next_from = (next_from + PAGE).min(total);
            }
            let Some(reading) = pending.pop_front() else {
                break;
            };
            let page = reading.await.map_err(|_| LedgerError::WriterStopped)??;
            let to = (from + PAGE).min(total);
            // The fast path may only ever say "intact": anything else is decided by reading
            // the page again row by row, in order, from the state before the page.
            let before = replay.clone();
            let fast = page.is_some_and(|page| page.replay(&mut replay).is_ok());
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
