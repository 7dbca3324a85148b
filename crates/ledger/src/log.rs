//! The ledger in the database: durable, group-committed appends; reads; roots and proofs;
//! signed checkpoints.
//!
//! Appends from every task of a process go through one writer task, which takes whatever has
//! queued while the previous transaction was committing and writes it as one transaction
//! (group commit): many entries, one durable commit. An append returns only after that
//! commit. Writers in other processes or on other servers are sequenced by the store's ledger
//! write lock, so sequence numbers never collide and the tree never forks.

mod export;
mod verify;

use std::sync::Arc;

use jiff::Timestamp;
use phiguard_core::{Evidence, EvidenceRef, hex};
use phiguard_store::{Backend, Store, WriteLock};
use serde::Serialize;
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, Row, Transaction};
use tokio::sync::{mpsc, oneshot};

use crate::merkle::{self, Frontier, Hash, StoredHashes};
use crate::note::{Checkpoint, SigningKey, VerifierKey};
use crate::witness::{Anchor, CheckpointFile};
use crate::{ConsistencyProof, InclusionProof, LedgerError, entry};

/// How long the writer keeps its connection without appends to write.
const IDLE_RELEASE: std::time::Duration = std::time::Duration::from_millis(20);

/// The longest the writer waits for the requests it expects before committing a batch.
const GATHER_WAIT: std::time::Duration = std::time::Duration::from_millis(1);

/// Most entries written in one transaction; a larger queue is written in several.
const MAX_BATCH_ENTRIES: usize = 8192;
/// The ledger of one installation. Cheap to clone; clones share the writer.
#[derive(Debug, Clone)]
pub struct Ledger {
    store: Store,
    appender: mpsc::Sender<AppendRequest>,
    /// Where the newest checkpoint is also kept, outside the database (see [`crate::witness`]).
    witness: Option<Arc<CheckpointFile>>,
}

#[derive(Debug)]
struct AppendRequest {
    entries: Vec<String>,
    reply: oneshot::Sender<Result<Vec<EvidenceRef>, Arc<LedgerError>>>,
}

/// A page of entries read as one aggregated row; see [`Ledger::packed_page`].
#[derive(Debug)]
pub(crate) struct PackedPage {
    /// The entry texts joined by `\n`.
    pub entries: String,
    /// Every entry's stored hashes, concatenated.
    pub hashes: Vec<u8>,
}

/// A queued append; see [`Ledger::submit`].
#[derive(Debug)]
pub struct PendingAppend {
    answer: oneshot::Receiver<Result<Vec<EvidenceRef>, Arc<LedgerError>>>,
}

impl PendingAppend {
    /// Waits until the entries are durably committed and returns their references.
    pub async fn durable(self) -> Result<Vec<EvidenceRef>, LedgerError> {
        match self.answer.await {
            Ok(Ok(refs)) => Ok(refs),
            Ok(Err(shared)) => Err(LedgerError::AppendFailed(shared)),
            Err(_) => Err(LedgerError::WriterStopped),
        }
    }
}

/// One stored entry with its position and leaf hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredEntry {
    pub seq: u64,
    #[serde(with = "hex")]
    pub leaf_hash: Hash,
    /// The canonical JSON text exactly as hashed.
    pub entry: String,
}

/// A signed checkpoint as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignedCheckpoint {
    pub size: u64,
    #[serde(with = "hex")]
    pub root: Hash,
    pub origin: String,
    /// The whole signed note (C2SP signed-note text).
    pub note: String,
    pub created_at: String,
}

impl Ledger {
    /// Opens the ledger kept in `store` and starts its writer. Must be called inside a Tokio
    /// runtime; the writer stops when the last clone is dropped.
    pub fn open(store: Store) -> Ledger {
        let (sender, receiver) = mpsc::channel(1024);
        tokio::spawn(run_appender(store.clone(), receiver));
        Ledger {
            store,
            appender: sender,
            witness: None,
        }
    }

    /// Keeps every new checkpoint in `witness` as well, refuses to sign a tree that does not
    /// extend the checkpoint kept there, and verifies the tree against it.
    pub fn with_witness(mut self, witness: CheckpointFile) -> Ledger {
        self.witness = Some(Arc::new(witness));
        self
    }

    /// The checkpoint kept in the witness file, opened with `key`: `Ok(None)` without a
    /// witness file, the inner error when the file holds no checkpoint signed by `key`.
    pub fn witnessed(
        &self,
        key: &VerifierKey,
    ) -> Result<Option<Result<Anchor, String>>, LedgerError> {
        let Some(witness) = &self.witness else {
            return Ok(None);
        };
        let Some(note) = witness.read()? else {
            return Ok(None);
        };
        let source = format!("the witness file {}", witness.path().display());
        Ok(Some(Anchor::open(&note, source, key, &[])))
    }

    /// Appends one piece of evidence; returns once it is durably committed.
    pub async fn append(&self, evidence: &Evidence) -> Result<EvidenceRef, LedgerError> {
        let mut refs = self.append_many(std::slice::from_ref(evidence)).await?;
        refs.pop().ok_or(LedgerError::WriterStopped)
    }

    /// Appends several pieces of evidence, all in one transaction: all are stored, with
    /// consecutive sequence numbers, or none.
    pub async fn append_many(
        &self,
        evidence: &[Evidence],
    ) -> Result<Vec<EvidenceRef>, LedgerError> {
        self.submit(evidence).await?.durable().await
    }

    /// Appends entries already in canonical form (see [`entry::encode`]).
    pub async fn append_encoded(
        &self,
        entries: Vec<String>,
    ) -> Result<Vec<EvidenceRef>, LedgerError> {
        self.submit_encoded(entries).await?.durable().await
    }

    /// Queues evidence for appending and returns as soon as it is queued, without waiting for
    /// the commit. Submissions are numbered in the order they are queued, so a caller that
    /// submits a stream one item after another keeps its order in the ledger while many
    /// items share one commit. Nothing is acknowledged until [`PendingAppend::durable`].
    pub async fn submit(&self, evidence: &[Evidence]) -> Result<PendingAppend, LedgerError> {
        let entries = evidence
            .iter()
            .map(entry::encode)
            .collect::<Result<Vec<_>, _>>()?;
        self.submit_encoded(entries).await
    }

    async fn submit_encoded(&self, entries: Vec<String>) -> Result<PendingAppend, LedgerError> {
        let (reply, answer) = oneshot::channel();
        if entries.is_empty() {
            let _ = reply.send(Ok(Vec::new()));
        } else {
            self.appender
                .send(AppendRequest { entries, reply })
                .await
                .map_err(|_| LedgerError::WriterStopped)?;
        }
        Ok(PendingAppend { answer })
    }

    /// The number of entries.
    pub async fn size(&self) -> Result<u64, LedgerError> {
        let size: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(seq) + 1, 0) FROM ledger_entries")
            .fetch_one(self.store.pool())
            .await
            .map_err(db("reading the ledger size"))?;
        Ok(to_u64(size))
    }

    /// Entry `seq`, or `None` past the end.
    pub async fn get(&self, seq: u64) -> Result<Option<StoredEntry>, LedgerError> {
        let row = sqlx::query("SELECT seq, entry, hashes FROM ledger_entries WHERE seq = $1")
            .bind(to_i64(seq)?)
            .fetch_optional(self.store.pool())
            .await
            .map_err(db("reading a ledger entry"))?;
        row.map(|row| stored_entry(&row)).transpose()
    }

    /// The newest entry of `kind` that `accept` takes, searched backwards from the end of the
    /// ledger, with its reference. `contains` narrows the candidates to entries whose
    /// canonical text holds it (canonical JSON sorts keys, so a body field such as
    /// `"account":"123"` is written exactly so, before the kind); every candidate is still
    /// decoded and given to `accept`, which decides. The cost is the entries appended since the
    /// one sought: candidates are fetched one at first (a query asking for more matches than
    /// there are reads the whole ledger), then in growing pages, so many entries that merely
    /// quote the text cannot make the search slow.
    pub async fn newest_of_kind<T>(
        &self,
        kind: &str,
        contains: Option<&str>,
        mut accept: impl FnMut(EvidenceRef, Evidence) -> Option<T>,
    ) -> Result<Option<T>, LedgerError> {
        const MAX_PAGE: i64 = 1024;
        let escape = |text: &str| {
            text.replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        };
        let marker = format!("\"kind\":\"{kind}\"");
        let pattern = match contains {
            Some(text) => format!("%{}%{}%", escape(text), escape(&marker)),
            None => format!("%{}%", escape(&marker)),
        };
        let doing = "searching the ledger";
        let mut before = i64::MAX;
        let mut page = 1;
        loop {
            let rows = sqlx::query(
                "SELECT seq, entry, hashes FROM ledger_entries \
                 WHERE seq < $1 AND entry LIKE $2 ESCAPE '\\' ORDER BY seq DESC LIMIT $3",
            )
            .bind(before)
            .bind(pattern.as_str())
            .bind(page)
            .fetch_all(self.store.pool())
            .await
            .map_err(db(doing))?;
            for row in &rows {
                let stored = stored_entry(row)?;
                before = to_i64(stored.seq)?;
                let Ok(evidence) = entry::decode(&stored.entry) else {
                    continue;
                };
                if evidence.kind != kind {
                    continue;
                }
                let reference = EvidenceRef {
                    seq: stored.seq,
                    leaf_hash: stored.leaf_hash,
                };
                if let Some(found) = accept(reference, evidence) {
                    return Ok(Some(found));
                }
            }
            if (rows.len() as i64) < page {
                return Ok(None);
            }
            page = (page * 2).min(MAX_PAGE);
        }
    }

    /// The last `count` entries, oldest first.
    pub async fn tail(&self, count: u64) -> Result<Vec<StoredEntry>, LedgerError> {
        let rows =
            sqlx::query("SELECT seq, entry, hashes FROM ledger_entries ORDER BY seq DESC LIMIT $1")
                .bind(to_i64(count)?)
                .fetch_all(self.store.pool())
                .await
                .map_err(db("reading the last ledger entries"))?;
        let mut entries = rows
            .iter()
            .map(stored_entry)
            .collect::<Result<Vec<_>, _>>()?;
        entries.reverse();
        Ok(entries)
    }

    /// The tree root after the first `size` entries.
    pub async fn root(&self, size: u64) -> Result<Hash, LedgerError> {
        let stored = self.read_tree(size, &merkle::root_indices(size)).await?;
        Ok(merkle::root_from_stored(size, &stored)?)
    }

    /// Proves entry `seq` is in the tree of `size` entries.
    pub async fn inclusion_proof(
        &self,
        seq: u64,
        size: u64,
    ) -> Result<InclusionProof, LedgerError> {
        let mut indices = merkle::inclusion_indices(seq, size)?;
        indices.extend(merkle::root_indices(size));
        let leaf_index = merkle::stored_hash_index(0, seq);
        indices.push(leaf_index);
        let stored = self.read_tree(size, &indices).await?;
        Ok(InclusionProof {
            seq,
            size,
            leaf_hash: lookup(&stored, leaf_index)?,
            root: merkle::root_from_stored(size, &stored)?,
            proof: merkle::inclusion_proof(seq, size, &stored)?,
        })
    }

    /// Proves the tree of `old_size` entries is a prefix of the tree of `new_size` entries.
    pub async fn consistency_proof(
        &self,
        old_size: u64,
        new_size: u64,
    ) -> Result<ConsistencyProof, LedgerError> {
        let mut indices = merkle::consistency_indices(old_size, new_size)?;
        indices.extend(merkle::root_indices(old_size));
        indices.extend(merkle::root_indices(new_size));
        let stored = self.read_tree(new_size, &indices).await?;
        Ok(ConsistencyProof {
            old_size,
            new_size,
            old_root: merkle::root_from_stored(old_size, &stored)?,
            new_root: merkle::root_from_stored(new_size, &stored)?,
            proof: merkle::consistency_proof(old_size, new_size, &stored)?,
        })
    }

    /// Signs and stores a checkpoint of the whole log. If the latest checkpoint already covers
    /// every entry, returns it instead of signing the same tree again. Refuses to sign a tree
    /// that is not an extension of the latest checkpoint: that would mean the stored log was
    /// altered, and a log must never sign two inconsistent views.
    pub async fn checkpoint(&self, signer: &SigningKey) -> Result<SignedCheckpoint, LedgerError> {
        let size = self.size().await?;
        let root = self.root(size).await?;
        // The checkpoint kept outside the database: a database rolled back or replaced must
        // not get a fresh signature that would hide it.
        let witnessed = match self.witnessed(&signer.verifier())? {
            None => None,
            Some(Ok(anchor)) => Some(anchor),
            Some(Err(reason)) => {
                return Err(LedgerError::Inconsistent {
                    detail: format!(
                        "the witness file {} holds no checkpoint signed by this installation's \
                         key ({reason}); if the key was replaced on purpose, move the file aside",
                        self.witness_path()
                    ),
                });
            }
        };
        if let Some(anchor) = &witnessed {
            self.ensure_extends(anchor, size, &root).await?;
        }
        if let Some(previous) = self.latest_checkpoint().await? {
            // Build only on a checkpoint this key really signed: a replaced newest checkpoint
            // must not become the base that a forged history is signed on top of.
            crate::note::open_checkpoint(&previous.note, &signer.verifier()).map_err(|e| {
                LedgerError::Inconsistent {
                    detail: format!(
                        "the newest stored checkpoint (size {}) is not signed by this \
                         installation's key: {e}",
                        previous.size
                    ),
                }
            })?;
            if previous.size > size {
                return Err(LedgerError::Inconsistent {
                    detail: format!(
                        "the latest checkpoint covers {} entries but the log holds only {size}: \
                         entries were removed",
                        previous.size
                    ),
                });
            }
            let proof = self.consistency_proof(previous.size, size).await?;
            merkle::verify_consistency(previous.size, size, &previous.root, &root, &proof.proof)
                .map_err(|e| LedgerError::Inconsistent {
                    detail: format!(
                        "the log is not an extension of the checkpoint at size {}: {e}",
                        previous.size
                    ),
                })?;
            if previous.size == size {
                self.keep_witnessed(&previous, witnessed.as_ref())?;
                return Ok(previous);
            }
        }
        let checkpoint = Checkpoint {
            origin: signer.name().to_owned(),
            size,
            root,
            extensions: Vec::new(),
        };
        let note = signer.sign_checkpoint(&checkpoint)?;
        let created_at = Timestamp::now().to_string();
        sqlx::query(
            "INSERT INTO ledger_checkpoints (size, note, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (size) DO NOTHING",
        )
        .bind(to_i64(size)?)
        .bind(note.as_str())
        .bind(created_at.as_str())
        .execute(self.store.pool())
        .await
        .map_err(db("storing a checkpoint"))?;
        let signed = SignedCheckpoint {
            size,
            root,
            origin: checkpoint.origin,
            note,
            created_at,
        };
        self.keep_witnessed(&signed, witnessed.as_ref())?;
        Ok(signed)
    }

    pub(crate) fn witness_path(&self) -> String {
        self.witness
            .as_ref()
            .map_or_else(String::new, |w| w.path().display().to_string())
    }

    /// Refuses a tree of `size` entries with `root` that does not extend `anchor`.
    async fn ensure_extends(
        &self,
        anchor: &Anchor,
        size: u64,
        root: &Hash,
    ) -> Result<(), LedgerError> {
        let rolled_back = || LedgerError::Inconsistent {
            detail: format!(
                "{} holds a signed checkpoint of {} entries, and the database's {size} entries \
                 do not extend it: the database was deleted, emptied, rolled back to an older \
                 copy or replaced. Restore the newest backup of the database; signing now \
                 would hide what happened",
                anchor.source, anchor.size
            ),
        };
        if anchor.size > size {
            return Err(rolled_back());
        }
        let proof = self.consistency_proof(anchor.size, size).await?;
        merkle::verify_consistency(anchor.size, size, &anchor.root, root, &proof.proof)
            .map_err(|_| rolled_back())
    }

    /// Keeps `checkpoint` in the witness file unless the file already holds it.
    fn keep_witnessed(
        &self,
        checkpoint: &SignedCheckpoint,
        witnessed: Option<&Anchor>,
    ) -> Result<(), LedgerError> {
        match &self.witness {
            Some(witness) if witnessed.is_none_or(|w| w.size < checkpoint.size) => {
                witness.write(&checkpoint.note)
            }
            _ => Ok(()),
        }
    }

    /// The checkpoint with the largest size, if any.
    pub async fn latest_checkpoint(&self) -> Result<Option<SignedCheckpoint>, LedgerError> {
        let row = sqlx::query(
            "SELECT size, note, created_at FROM ledger_checkpoints ORDER BY size DESC LIMIT 1",
        )
        .fetch_optional(self.store.pool())
        .await
        .map_err(db("reading the latest checkpoint"))?;
        row.map(|row| stored_checkpoint(&row)).transpose()
    }

    /// The checkpoint at exactly `size` entries, if one was made.
    pub async fn checkpoint_at(&self, size: u64) -> Result<Option<SignedCheckpoint>, LedgerError> {
        let row =
            sqlx::query("SELECT size, note, created_at FROM ledger_checkpoints WHERE size = $1")
                .bind(to_i64(size)?)
                .fetch_optional(self.store.pool())
                .await
                .map_err(db("reading a checkpoint"))?;
        row.map(|row| stored_checkpoint(&row)).transpose()
    }

    /// Every checkpoint, smallest first, as stored (signatures are not checked here).
    pub async fn checkpoints(&self) -> Result<Vec<SignedCheckpoint>, LedgerError> {
        let rows =
            sqlx::query("SELECT size, note, created_at FROM ledger_checkpoints ORDER BY size")
                .fetch_all(self.store.pool())
                .await
                .map_err(db("reading the checkpoints"))?;
        rows.iter().map(stored_checkpoint).collect()
    }

    /// Every checkpoint's size and note exactly as stored, unparsed: verification and export
    /// must see a damaged one rather than fail to read it.
    pub(crate) async fn raw_checkpoints(&self) -> Result<Vec<(u64, String)>, LedgerError> {
        let rows = sqlx::query("SELECT size, note FROM ledger_checkpoints ORDER BY size")
            .fetch_all(self.store.pool())
            .await
            .map_err(db("reading the checkpoints"))?;
        rows.iter()
            .map(|row| {
                let size: i64 = row.try_get("size").map_err(db("reading the checkpoints"))?;
                let note: String = row.try_get("note").map_err(db("reading the checkpoints"))?;
                Ok((to_u64(size), note))
            })
            .collect()
    }

    /// Reads entries `[from, to)` as one row: the entry texts joined by newlines and the
    /// stored hashes concatenated, both in sequence order. Reading row by row costs a few microseconds per entry
    /// in the driver, which would dominate verification; one aggregated row per page does
    /// not. Callers fall back to [`Ledger::entry_page`] when the page is not complete, to
    /// name exactly what is wrong.
    pub(crate) async fn packed_page(&self, from: u64, to: u64) -> Result<PackedPage, LedgerError> {
        let sql = match self.store.backend() {
            // No ORDER BY inside the aggregates: SQLite walks the rowid range in order anyway,
            // and an aggregate ORDER BY runs a sort that triples the cost. SQL does not promise
            // that order, so a page that fails to verify is always read again row by row, in
            // order, before any verdict. group_concat keeps blob bytes as they are (NULs
            // included); the CAST hands them back as a blob.
            Backend::Sqlite => {
                "SELECT group_concat(entry, char(10)) AS entries, \
                 CAST(group_concat(hashes, '') AS BLOB) AS hashes \
                 FROM ledger_entries WHERE seq >= $1 AND seq < $2"
            }
            // PostgreSQL may aggregate in parallel workers, which scrambles the order, so it
            // is asked for seq order explicitly (a cheap sort of one page).
            Backend::Postgres => {
                "SELECT string_agg(entry, E'\\n' ORDER BY seq) AS entries, \
                 string_agg(hashes, ''::bytea ORDER BY seq) AS hashes \
                 FROM ledger_entries WHERE seq >= $1 AND seq < $2"
            }
        };
        let doing = "reading ledger entries";
        let row = sqlx::query(sql)
            .bind(to_i64(from)?)
            .bind(to_i64(to)?)
            .fetch_one(self.store.pool())
            .await
            .map_err(db(doing))?;
        Ok(PackedPage {
            entries: row
                .try_get::<Option<String>, _>("entries")
                .map_err(db(doing))?
                .unwrap_or_default(),
            hashes: row
                .try_get::<Option<Vec<u8>>, _>("hashes")
                .map_err(db(doing))?
                .unwrap_or_default(),
        })
    }

    /// Reads entries `[from, to)` with the hashes stored beside them, in order, for
    /// verification and export.
    pub(crate) async fn entry_page(
        &self,
        from: u64,
        to: u64,
    ) -> Result<Vec<(u64, String, Vec<u8>)>, LedgerError> {
        let rows = sqlx::query(
            "SELECT seq, entry, hashes FROM ledger_entries WHERE seq >= $1 AND seq < $2 ORDER BY seq",
        )
        .bind(to_i64(from)?)
        .bind(to_i64(to)?)
        .fetch_all(self.store.pool())
        .await
        .map_err(db("reading ledger entries"))?;
        rows.iter()
            .map(|row| {
                let seq: i64 = row.try_get("seq").map_err(db("reading ledger entries"))?;
                let entry: String = row.try_get("entry").map_err(db("reading ledger entries"))?;
                let hashes: Vec<u8> = row
                    .try_get("hashes")
                    .map_err(db("reading ledger entries"))?;
                Ok((to_u64(seq), entry, hashes))
            })
            .collect()
    }

    /// Reads the stored hashes a root or proof for a tree of `size` entries needs, in one
    /// query. Only when some are missing does it read the log size, to tell "beyond the end"
    /// from damage: proofs are served often, and the size check would double their cost.
    async fn read_tree(&self, size: u64, indices: &[u64]) -> Result<StoredHashes, LedgerError> {
        match self.read_hashes(indices).await {
            Ok(stored) => Ok(stored),
            Err(error) => {
                self.require_size(size).await?;
                Err(error)
            }
        }
    }

    async fn require_size(&self, size: u64) -> Result<(), LedgerError> {
        let current = self.size().await?;
        if size > current {
            return Err(LedgerError::BeyondEnd {
                asked: size,
                size: current,
            });
        }
        Ok(())
    }

    /// Reads the stored tree hashes at `indices` (one query).
    async fn read_hashes(&self, indices: &[u64]) -> Result<StoredHashes, LedgerError> {
        let mut wanted: Vec<(u64, u64, usize)> = indices
            .iter()
            .map(|&index| {
                let (seq, level) = locate_stored_hash(index);
                (index, seq, level)
            })
            .collect();
        wanted.sort_unstable();
        wanted.dedup();
        let mut seqs: Vec<u64> = wanted.iter().map(|w| w.1).collect();
        seqs.sort_unstable();
        seqs.dedup();
        let mut stored = StoredHashes::new();
        if seqs.is_empty() {
            return Ok(stored);
        }
        let sql = format!(
            "SELECT seq, hashes FROM ledger_entries WHERE seq IN ({})",
            self.store.backend().placeholders(1, seqs.len())
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for seq in &seqs {
            query = query.bind(to_i64(*seq)?);
        }
        let rows = query
            .fetch_all(self.store.pool())
            .await
            .map_err(db("reading tree hashes"))?;
        let mut by_seq = std::collections::HashMap::with_capacity(rows.len());
        for row in &rows {
            let seq: i64 = row.try_get("seq").map_err(db("reading tree hashes"))?;
            let hashes: Vec<u8> = row.try_get("hashes").map_err(db("reading tree hashes"))?;
            by_seq.insert(to_u64(seq), hashes);
        }
        for (index, seq, level) in wanted {
            let hash = by_seq
                .get(&seq)
                .and_then(|hashes| hashes.get(level * 32..level * 32 + 32))
                .and_then(|bytes| <Hash>::try_from(bytes).ok())
                .ok_or(LedgerError::Corrupt {
                    detail: format!(
                        "the tree hashes stored with entry {seq} are missing or cut short"
                    ),
                })?;
            stored.insert(index, hash);
        }
        Ok(stored)
    }
}

/// Where a stored hash lives: the entry whose append produced it, and its position among
/// that entry's hashes (0 = the leaf hash, k = the subtree of 2^k leaves it completed).
pub(crate) fn locate_stored_hash(index: u64) -> (u64, usize) {
    // stored_hash_index(0, n) grows with n: find the last leaf whose hashes start at or
    // before `index`.
    let (mut low, mut high) = (0u64, index + 1);
    while low + 1 < high {
        let mid = low + (high - low) / 2;
        if merkle::stored_hash_index(0, mid) <= index {
            low = mid;
        } else {
            high = mid;
        }
    }
    let level = index - merkle::stored_hash_index(0, low);
    (low, usize::try_from(level).unwrap_or(usize::MAX))
}

fn lookup(stored: &StoredHashes, index: u64) -> Result<Hash, LedgerError> {
    stored.get(&index).copied().ok_or(LedgerError::Corrupt {
        detail: format!("tree hash {index} is missing"),
    })
}

fn stored_entry(row: &sqlx::any::AnyRow) -> Result<StoredEntry, LedgerError> {
    let seq: i64 = row.try_get("seq").map_err(db("reading a ledger entry"))?;
    let entry: String = row.try_get("entry").map_err(db("reading a ledger entry"))?;
    let hashes: Vec<u8> = row
        .try_get("hashes")
        .map_err(db("reading a ledger entry"))?;
    let leaf_hash = hashes
        .get(..32)
        .and_then(|bytes| <Hash>::try_from(bytes).ok())
        .ok_or(LedgerError::Corrupt {
            detail: format!("entry {seq} has no leaf hash stored"),
        })?;
    Ok(StoredEntry {
        seq: to_u64(seq),
        leaf_hash,
        entry,
    })
}

fn stored_checkpoint(row: &sqlx::any::AnyRow) -> Result<SignedCheckpoint, LedgerError> {
    let size: i64 = row.try_get("size").map_err(db("reading a checkpoint"))?;
    let note: String = row.try_get("note").map_err(db("reading a checkpoint"))?;
    let created_at: String = row
        .try_get("created_at")
        .map_err(db("reading a checkpoint"))?;
    let text = crate::note::note_text(&note)?;
    let checkpoint = Checkpoint::parse_text(text)?;
    if checkpoint.size != to_u64(size) {
        return Err(LedgerError::Corrupt {
            detail: format!(
                "the checkpoint stored under size {size} is signed for size {}",
                checkpoint.size
            ),
        });
    }
    Ok(SignedCheckpoint {
        size: checkpoint.size,
        root: checkpoint.root,
        origin: checkpoint.origin,
        note,
        created_at,
    })
}

/// The writer task: batches queued requests and commits each batch once.
async fn run_appender(store: Store, mut requests: mpsc::Receiver<AppendRequest>) {
    // The frontier after the last commit; reloaded whenever another writer moved the log.
    let mut frontier: Option<Frontier> = None;
    // The writer keeps one connection while appends keep coming, rather than taking one from
    // the pool per commit. It gives it back after IDLE_RELEASE without work, so closing the
    // store never waits on an idle writer, and after a failure, so a broken connection is
    // replaced.
    let mut connection: Option<PoolConnection<Any>> = None;
    let mut expected_requests = 1;
    loop {
        let next = match connection {
            Some(_) => match tokio::time::timeout(IDLE_RELEASE, requests.recv()).await {
                Ok(next) => next,
                Err(_idle) => {
                    connection = None;
                    requests.recv().await
                }
            },
            None => requests.recv().await,
        };
        let Some(first) = next else { break };
        let mut count = first.entries.len();
        let mut batch = vec![first];
        // Writers answered by the previous commit come back at nearly the same moment; a
        // commit taken as soon as the first of them arrives would split them into a small
        // batch and a large one, doubling the commits. So the writer waits for as many
        // requests as the previous batch held, but never longer than GATHER_WAIT, and a lone
        // writer (a previous batch of one) never waits at all.
        let deadline = tokio::time::Instant::now() + GATHER_WAIT;
        while count < MAX_BATCH_ENTRIES {
            let request = match requests.try_recv() {
                Ok(request) => request,
                Err(_) if batch.len() >= expected_requests => break,
                Err(_) => match tokio::time::timeout_at(deadline, requests.recv()).await {
                    Ok(Some(request)) => request,
                    _ => break,
                },
            };
            count += request.entries.len();
            batch.push(request);
        }
        expected_requests = batch.len();
        let entries: Vec<&str> = batch
            .iter()
            .flat_map(|request| request.entries.iter().map(String::as_str))
            .collect();
        let written = match connection.as_mut() {
            Some(conn) => write_batch(&store, conn, &entries, &mut frontier).await,
            None => match store.pool().acquire().await {
                Ok(conn) => {
                    let conn = connection.insert(conn);
                    write_batch(&store, conn, &entries, &mut frontier).await
                }
                Err(source) => Err(LedgerError::Database {
                    doing: "taking a connection for the ledger writer",
                    source,
                }),
            },
        };
        if written.is_err() {
            connection = None;
        }
        match written {
            Ok(refs) => {
                let mut refs = refs.into_iter();
                for request in batch {
                    let mine: Vec<EvidenceRef> =
                        refs.by_ref().take(request.entries.len()).collect();
                    let _ = request.reply.send(Ok(mine));
                }
            }
            Err(error) => {
                tracing::error!(%error, entries = entries.len(), "ledger append failed; nothing of it was stored");
                let shared = Arc::new(error);
                for request in batch {
                    let _ = request.reply.send(Err(Arc::clone(&shared)));
                }
            }
        }
    }
}

/// Writes one batch in one locked transaction and returns each entry's reference.
///
/// With the frontier of its last commit in hand, the writer does not read the log size first:
/// if another process appended meanwhile, the first INSERT collides with that process's rows
/// on the primary key, the transaction rolls back, and the batch is written again from the
/// database's state. That saves a round trip on every commit of the common, single-writer
/// case.
async fn write_batch(
    store: &Store,
    conn: &mut AnyConnection,
    entries: &[&str],
    cached: &mut Option<Frontier>,
) -> Result<Vec<EvidenceRef>, LedgerError> {
    if let Some(frontier) = cached.take() {
        match write_once(store, conn, entries, Some(frontier)).await {
            Ok((refs, frontier)) => {
                *cached = Some(frontier);
                return Ok(refs);
            }
            Err(Attempt::Stale) => {}
            Err(Attempt::Failed(error)) => return Err(error),
        }
    }
    match write_once(store, conn, entries, None).await {
        Ok((refs, frontier)) => {
            *cached = Some(frontier);
            Ok(refs)
        }
        Err(Attempt::Failed(error)) => Err(error),
        Err(Attempt::Stale) => Err(LedgerError::Corrupt {
            detail: "an entry exists past the end of the log as the database reports it".into(),
        }),
    }
}

/// Why one write attempt did not commit.
enum Attempt {
    /// The cached frontier was behind the database: another writer appended.
    Stale,
    Failed(LedgerError),
}

impl From<LedgerError> for Attempt {
    fn from(error: LedgerError) -> Attempt {
        Attempt::Failed(error)
    }
}

/// Appends `evidence` inside the caller's transaction, so that records kept elsewhere in the
/// database (the register's) change in the same commit as the ledger entries that describe
/// them: both are stored, or neither.
///
/// The transaction must have been begun with [`Store::begin_locked`] and
/// [`WriteLock::Ledger`], which sequences it with every other ledger writer. The group-commit
/// writer of this and other processes notices the new entries on its next commit.
pub async fn append_in_transaction(
    store: &Store,
    tx: &mut Transaction<'_, Any>,
    evidence: &[Evidence],
) -> Result<Vec<EvidenceRef>, LedgerError> {
    let entries = evidence
        .iter()
        .map(entry::encode)
        .collect::<Result<Vec<_>, _>>()?;
    let entries: Vec<&str> = entries.iter().map(String::as_str).collect();
    let frontier = load_current_frontier(tx).await?;
    match insert_entries(store, tx, &entries, frontier, false).await {
        Ok((refs, _)) => Ok(refs),
        Err(Attempt::Failed(error)) => Err(error),
        Err(Attempt::Stale) => Err(LedgerError::Corrupt {
            detail: "an entry exists past the end of the log as the database reports it".into(),
        }),
    }
}

async fn load_current_frontier(tx: &mut Transaction<'_, Any>) -> Result<Frontier, LedgerError> {
    let size: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(seq) + 1, 0) FROM ledger_entries")
        .fetch_one(&mut **tx)
        .await
        .map_err(db("reading the ledger size"))?;
    load_frontier(tx, to_u64(size)).await
}

async fn write_once(
    store: &Store,
    conn: &mut AnyConnection,
    entries: &[&str],
    known: Option<Frontier>,
) -> Result<(Vec<EvidenceRef>, Frontier), Attempt> {
    let mut tx = store
        .begin_locked_on(conn, WriteLock::Ledger)
        .await
        .map_err(LedgerError::from)?;
    let trusting_cache = known.is_some();
    let frontier = match known {
        Some(frontier) => frontier,
        None => load_current_frontier(&mut tx).await?,
    };
    let written = insert_entries(store, &mut tx, entries, frontier, trusting_cache).await?;
    tx.commit()
        .await
        .map_err(|source| LedgerError::CommitUncertain { source })?;
    Ok(written)
}

/// Inserts `entries` after `frontier`, returning their references and the new frontier.
/// With `trusting_cache`, a collision with an existing entry means the frontier was stale.
async fn insert_entries(
    store: &Store,
    tx: &mut Transaction<'_, Any>,
    entries: &[&str],
    mut frontier: Frontier,
    trusting_cache: bool,
) -> Result<(Vec<EvidenceRef>, Frontier), Attempt> {
    let size = frontier.size();
    let mut refs = Vec::with_capacity(entries.len());
    let mut rows: Vec<(i64, &str, Vec<u8>)> = Vec::with_capacity(entries.len());
    for (offset, text) in entries.iter().enumerate() {
        let seq = size + offset as u64;
        let leaf = merkle::leaf_hash(text.as_bytes());
        let mut hashes = Vec::with_capacity(32 * (1 + seq.trailing_ones() as usize));
        frontier.append_each(leaf, |hash| hashes.extend_from_slice(hash));
        rows.push((to_i64(seq)?, text, hashes));
        refs.push(EvidenceRef {
            seq,
            leaf_hash: leaf,
        });
    }
    let row_bytes = |row: &(i64, &str, Vec<u8>)| 8 + row.1.len() + row.2.len();
    for chunk in phiguard_store::insert_chunks(store.backend(), &rows, row_bytes) {
        let sql = format!(
            "INSERT INTO ledger_entries (seq, entry, hashes) VALUES {}",
            store.backend().row_placeholders(chunk.len(), 3)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (seq, text, hashes) in chunk {
            query = query.bind(*seq).bind(*text).bind(hashes.as_slice());
        }
        match query.execute(&mut **tx).await {
            Ok(_) => {}
            Err(sqlx::Error::Database(e)) if trusting_cache && e.is_unique_violation() => {
                return Err(Attempt::Stale);
            }
            Err(source) => {
                return Err(Attempt::Failed(LedgerError::Database {
                    doing: "writing ledger entries",
                    source,
                }));
            }
        }
    }
    Ok((refs, frontier))
}

async fn load_frontier(tx: &mut Transaction<'_, Any>, size: u64) -> Result<Frontier, LedgerError> {
    let indices = Frontier::indices(size);
    let mut hashes = Vec::with_capacity(indices.len());
    for index in indices {
        let (seq, level) = locate_stored_hash(index);
        let stored: Option<Vec<u8>> =
            sqlx::query_scalar("SELECT hashes FROM ledger_entries WHERE seq = $1")
                .bind(to_i64(seq)?)
                .fetch_optional(&mut **tx)
                .await
                .map_err(db("reading the tree's right edge"))?;
        let hash = stored
            .as_deref()
            .and_then(|bytes| bytes.get(level * 32..level * 32 + 32))
            .and_then(|bytes| <Hash>::try_from(bytes).ok())
            .ok_or(LedgerError::Corrupt {
                detail: format!(
                    "the tree hashes of entry {seq} are missing; run `phiguard ledger verify`"
                ),
            })?;
        hashes.push(hash);
    }
    Ok(Frontier::from_hashes(size, hashes)?)
}

fn db(doing: &'static str) -> impl FnOnce(sqlx::Error) -> LedgerError {
    move |source| LedgerError::Database { doing, source }
}

/// Sequence numbers and sizes are `u64` in the API and `BIGINT` in the database.
fn to_i64(value: u64) -> Result<i64, LedgerError> {
    i64::try_from(value).map_err(|_| LedgerError::BeyondEnd {
        asked: value,
        size: i64::MAX as u64,
    })
}

fn to_u64(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stored_hash_is_located_at_the_entry_that_produced_it() {
        let mut frontier = Frontier::empty();
        for seq in 0..300u64 {
            for (position, (index, _)) in frontier.append([seq as u8; 32]).into_iter().enumerate() {
                assert_eq!(locate_stored_hash(index), (seq, position), "index {index}");
            }
        }
    }
}
