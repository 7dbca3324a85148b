//! The register in the database: reading it whole, applying changes together with their
//! ledger entries, and reading one record's history back from the ledger.

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use phiguard_core::{Evidence, EvidenceRef, Source};
use phiguard_ledger::merkle;
use phiguard_store::{Backend, Store, WriteLock};
use serde::Serialize;
use sqlx::{Any, Row, Transaction};

use crate::change::{Action, Change, Planned, plan};
use crate::error::db;
use crate::{AnyRecord, Kind, RegisterError, Snapshot, Tampered};

/// The ledger entry kind of every register change.
pub const CHANGE_EVIDENCE_KIND: &str = "register.change";

/// The register of one installation.
#[derive(Debug, Clone)]
pub struct Register {
    store: Store,
}

/// A change that was made, with the ledger entry that records it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Applied {
    #[serde(flatten)]
    pub change: Planned,
    pub evidence: EvidenceRef,
}

/// One change in a record's history, as the ledger recorded it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryEntry {
    pub evidence: EvidenceRef,
    pub time: Timestamp,
    pub actor: Option<String>,
    pub action: Action,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// The body of a `register.change` ledger entry.
#[derive(Debug, Serialize, serde::Deserialize)]
struct ChangeBody {
    action: Action,
    kind: Kind,
    id: String,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
}

impl Register {
    pub fn new(store: Store) -> Register {
        Register { store }
    }

    /// Every record, each with the ledger entry that recorded its current state.
    ///
    /// Every record is checked against that entry (its leaf hash, and the state the entry
    /// recorded) and against the register's change index, so a record edited, added or removed
    /// in the database behind phiguard's back is never trusted: the read is refused with
    /// [`RegisterError::Tampered`], which lists every such record. The checks that judge the
    /// tampering itself read the register with [`Register::audit`] instead.
    pub async fn snapshot(&self) -> Result<Snapshot, RegisterError> {
        trusted(self.audit().await?)
    }

    /// The register as the ledger recorded it, with every record that differs from its ledger
    /// entry listed in [`Snapshot::tampered`] rather than refused: what `register.integrity`
    /// reports, and what the other checks judge beside it.
    ///
    /// A tampered record appears in its last state recorded in the ledger, citing that entry,
    /// or not at all when the ledger recorded its deletion or never recorded it here: no
    /// judgement rests on a state phiguard did not record.
    pub async fn audit(&self) -> Result<Snapshot, RegisterError> {
        let doing = "reading the register";
        let mut tx = self.store.pool().begin().await.map_err(db(doing))?;
        if self.store.backend() == Backend::Postgres {
            // One view of the records, the change index and the ledger, whatever commits
            // meanwhile; SQLite's read transactions are snapshots already.
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                .execute(&mut *tx)
                .await
                .map_err(db(doing))?;
        }
        let snapshot = read_bound(&mut tx).await?;
        tx.rollback().await.map_err(db(doing))?;
        Ok(snapshot)
    }

    /// Checks `changes` against the current register without writing anything: what
    /// [`Register::apply`] would do.
    pub async fn preview(&self, changes: &[Change]) -> Result<Vec<Planned>, RegisterError> {
        let current = self.snapshot().await?;
        Ok(plan(&current, changes)?.0)
    }

    /// Makes `changes`, all or none, each recorded in the ledger as made by `source`'s actor
    /// at `now`. The records and their ledger entries are written in one transaction that
    /// holds the ledger's write lock, so the register and its history never disagree, and
    /// changes from other processes are applied one set after another.
    pub async fn apply(
        &self,
        changes: &[Change],
        source: &Source,
        now: Timestamp,
    ) -> Result<Vec<Applied>, RegisterError> {
        let mut tx = self.store.begin_locked(WriteLock::Ledger).await?;
        // A change planned on a tampered register would record the forged state as its
        // `before` and bind the record afresh, laundering the edit.
        let current = trusted(read_bound(&mut tx).await?)?;
        let (planned, _) = plan(&current, changes)?;
        if planned.is_empty() {
            return Ok(Vec::new());
        }
        let evidence: Vec<Evidence> = planned
            .iter()
            .map(|change| Evidence {
                kind: CHANGE_EVIDENCE_KIND.to_owned(),
                time: now,
                source: source.clone(),
                body: serde_json::json!({
                    "action": change.action,
                    "kind": change.kind,
                    "id": change.id,
                    "before": change.before,
                    "after": change.after,
                }),
            })
            .collect();
        let refs = phiguard_ledger::append_in_transaction(&self.store, &mut tx, &evidence).await?;
        let doing = "writing register records";
        for (change, evidence) in planned.iter().zip(&refs) {
            let seq = i64::try_from(evidence.seq).unwrap_or(i64::MAX);
            sqlx::query("DELETE FROM register_records WHERE kind = $1 AND id = $2")
                .bind(change.kind.name())
                .bind(change.id.as_str())
                .execute(&mut *tx)
                .await
                .map_err(db(doing))?;
            if let Some(after) = &change.after {
                sqlx::query(
                    "INSERT INTO register_records (kind, id, body, ledger_seq, leaf_hash) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(change.kind.name())
                .bind(change.id.as_str())
                .bind(after.to_string())
                .bind(seq)
                .bind(evidence.leaf_hash.as_slice())
                .execute(&mut *tx)
                .await
                .map_err(db(doing))?;
            }
            sqlx::query("INSERT INTO register_changes (seq, kind, id) VALUES ($1, $2, $3)")
                .bind(seq)
                .bind(change.kind.name())
                .bind(change.id.as_str())
                .execute(&mut *tx)
                .await
                .map_err(db(doing))?;
        }
        tx.commit()
            .await
            .map_err(|source| RegisterError::CommitUncertain { source })?;
        Ok(planned
            .into_iter()
            .zip(refs)
            .map(|(change, evidence)| Applied { change, evidence })
            .collect())
    }

    /// Every recorded change to one record, oldest first, read from the ledger. The record
    /// need not exist any more.
    pub async fn history(&self, kind: Kind, id: &str) -> Result<Vec<HistoryEntry>, RegisterError> {
        let doing = "reading a record's history";
        let rows = sqlx::query(
            "SELECT c.seq, e.entry FROM register_changes c \
             LEFT JOIN ledger_entries e ON e.seq = c.seq \
             WHERE c.kind = $1 AND c.id = $2 ORDER BY c.seq",
        )
        .bind(kind.name())
        .bind(id)
        .fetch_all(self.store.pool())
        .await
        .map_err(db(doing))?;
        let mut history = Vec::with_capacity(rows.len());
        for row in &rows {
            let seq: i64 = row.try_get("seq").map_err(db(doing))?;
            let entry: Option<String> = row.try_get("entry").map_err(db(doing))?;
            let entry = entry.ok_or_else(|| RegisterError::Corrupt {
                what: format!("the change index names ledger entry {seq}, which does not exist"),
            })?;
            let (evidence, body) =
                parse_change(&entry).map_err(|reason| RegisterError::Corrupt {
                    what: format!("ledger entry {seq} is not a register change ({reason})"),
                })?;
            history.push(HistoryEntry {
                evidence: EvidenceRef {
                    seq: u64::try_from(seq).unwrap_or(u64::MAX),
                    leaf_hash: merkle::leaf_hash(entry.as_bytes()),
                },
                time: evidence.time,
                actor: evidence.source.actor,
                action: body.action,
                before: body.before,
                after: body.after,
            });
        }
        Ok(history)
    }
}

/// A snapshot known to match the ledger, or the error naming every record that does not.
fn trusted(snapshot: Snapshot) -> Result<Snapshot, RegisterError> {
    if snapshot.tampered.is_empty() {
        Ok(snapshot)
    } else {
        Err(RegisterError::Tampered {
            records: snapshot.tampered,
        })
    }
}

/// The register inside `tx`, every record checked against the ledger entry it names and the
/// change index: records that match are read as stored; the others are listed in
/// [`Snapshot::tampered`] and read as the ledger last recorded them, if it did.
async fn read_bound(tx: &mut Transaction<'_, Any>) -> Result<Snapshot, RegisterError> {
    let doing = "reading the register";
    let rows = sqlx::query(
        "SELECT r.kind, r.id, r.body, r.ledger_seq, r.leaf_hash, e.entry \
         FROM register_records r LEFT JOIN ledger_entries e ON e.seq = r.ledger_seq",
    )
    .fetch_all(&mut **tx)
    .await
    .map_err(db(doing))?;
    let latest = latest_changes(tx).await?;
    let mut stored_ids = BTreeSet::new();
    let mut snapshot = Snapshot::default();
    for row in &rows {
        let kind_text: String = row.try_get("kind").map_err(db(doing))?;
        let id: String = row.try_get("id").map_err(db(doing))?;
        let body: String = row.try_get("body").map_err(db(doing))?;
        let seq: i64 = row.try_get("ledger_seq").map_err(db(doing))?;
        let leaf: Vec<u8> = row.try_get("leaf_hash").map_err(db(doing))?;
        let entry: Option<String> = row.try_get("entry").map_err(db(doing))?;
        let kind: Kind = kind_text.parse().map_err(|_| RegisterError::Corrupt {
            what: format!("a record of unknown kind {kind_text:?}"),
        })?;
        let evidence = EvidenceRef {
            seq: u64::try_from(seq).unwrap_or(u64::MAX),
            leaf_hash: <[u8; 32]>::try_from(leaf.as_slice()).unwrap_or([0; 32]),
        };
        let last_change = latest.get(&(kind, id.clone())).copied();
        stored_ids.insert((kind, id.clone()));
        let stored = match bound(kind, &id, &body, &evidence, entry.as_deref(), last_change) {
            Ok(stored) => stored,
            Err(detail) => {
                snapshot.tampered.push(Tampered { kind, id, detail });
                continue;
            }
        };
        let record = AnyRecord::from_json(kind, stored).map_err(|e| RegisterError::Corrupt {
            what: format!("{kind} {id:?} does not have the fields of a {kind} ({e})"),
        })?;
        snapshot.insert(record, Some(evidence));
    }
    // The records the change index knows but the table does not.
    for (key, &seq) in &latest {
        if stored_ids.contains(key) {
            continue;
        }
        let deleted = entry_at(tx, seq)
            .await?
            .and_then(|entry| recorded_change(&entry).ok())
            .is_some_and(|change| change.action == Action::Delete);
        if !deleted {
            snapshot.tampered.push(Tampered {
                kind: key.0,
                id: key.1.clone(),
                detail: format!(
                    "the record is gone, but its last recorded change (ledger entry {seq}) is not a deletion"
                ),
            });
        }
    }
    let tampered: Vec<(Kind, String)> = snapshot
        .tampered
        .iter()
        .map(|t| (t.kind, t.id.clone()))
        .collect();
    for key in tampered {
        let Some(&seq) = latest.get(&key) else {
            continue;
        };
        if let Some((record, evidence)) = recorded_state(tx, key.0, &key.1, seq).await? {
            snapshot.insert(record, Some(evidence));
        }
    }
    Ok(snapshot)
}

/// The sequence number of every record's last recorded change, from the change index.
async fn latest_changes(
    tx: &mut Transaction<'_, Any>,
) -> Result<BTreeMap<(Kind, String), i64>, RegisterError> {
    let doing = "reading the register's change index";
    let rows =
        sqlx::query("SELECT kind, id, MAX(seq) AS seq FROM register_changes GROUP BY kind, id")
            .fetch_all(&mut **tx)
            .await
            .map_err(db(doing))?;
    let mut latest = BTreeMap::new();
    for row in &rows {
        let kind_text: String = row.try_get("kind").map_err(db(doing))?;
        let id: String = row.try_get("id").map_err(db(doing))?;
        let seq: i64 = row.try_get("seq").map_err(db(doing))?;
        // The index is written with the records, in the same kinds; an index row of a kind
        // this version does not know names no record it could read.
        if let Ok(kind) = kind_text.parse::<Kind>() {
            latest.insert((kind, id), seq);
        }
    }
    Ok(latest)
}

async fn entry_at(
    tx: &mut Transaction<'_, Any>,
    seq: i64,
) -> Result<Option<String>, RegisterError> {
    sqlx::query_scalar("SELECT entry FROM ledger_entries WHERE seq = $1")
        .bind(seq)
        .fetch_optional(&mut **tx)
        .await
        .map_err(db("reading a ledger entry"))
}

/// A record's state recorded by its last change, ledger entry `seq`, with that entry; `None`
/// when the change is a deletion, or not a readable change to this record.
async fn recorded_state(
    tx: &mut Transaction<'_, Any>,
    kind: Kind,
    id: &str,
    seq: i64,
) -> Result<Option<(AnyRecord, EvidenceRef)>, RegisterError> {
    let Some(entry) = entry_at(tx, seq).await? else {
        return Ok(None);
    };
    let Ok(body) = recorded_change(&entry) else {
        return Ok(None);
    };
    if body.kind != kind || body.id != id {
        return Ok(None);
    }
    let Some(record) = body
        .after
        .and_then(|after| AnyRecord::from_json(kind, after).ok())
    else {
        return Ok(None);
    };
    let evidence = EvidenceRef {
        seq: u64::try_from(seq).unwrap_or(u64::MAX),
        leaf_hash: merkle::leaf_hash(entry.as_bytes()),
    };
    Ok(Some((record, evidence)))
}

/// What a `register.change` entry says a record became: all that reading the register
/// checks a stored record against. Read straight from the entry's text, the record before
/// skipped, since the register is read whole and often.
#[derive(Debug, serde::Deserialize)]
struct RecordedChange {
    action: Action,
    kind: Kind,
    id: String,
    after: Option<serde_json::Value>,
}

fn recorded_change(entry: &str) -> Result<RecordedChange, String> {
    #[derive(serde::Deserialize)]
    struct Entry {
        kind: String,
        body: RecordedChange,
    }
    match serde_json::from_str::<Entry>(entry) {
        Ok(entry) if entry.kind == CHANGE_EVIDENCE_KIND => Ok(entry.body),
        Ok(entry) => Err(format!("its kind is {:?}", entry.kind)),
        // Say why as a full reading would: "its kind is …" rather than a missing field.
        Err(error) => Err(parse_change(entry)
            .err()
            .unwrap_or_else(|| error.to_string())),
    }
}

fn parse_change(entry: &str) -> Result<(Evidence, ChangeBody), String> {
    let evidence: Evidence = serde_json::from_str(entry).map_err(|e| e.to_string())?;
    if evidence.kind != CHANGE_EVIDENCE_KIND {
        return Err(format!("its kind is {:?}", evidence.kind));
    }
    let body: ChangeBody =
        serde_json::from_value(evidence.body.clone()).map_err(|e| e.to_string())?;
    Ok((evidence, body))
}

/// The stored record as JSON when it is bound to its ledger entry: the entry exists, hashes to
/// the leaf hash stored with the record, records a change to this record whose new state is
/// the one stored, and is the record's last recorded change. Otherwise why not.
fn bound(
    kind: Kind,
    id: &str,
    body: &str,
    evidence: &EvidenceRef,
    entry: Option<&str>,
    last_change: Option<i64>,
) -> Result<serde_json::Value, String> {
    let seq = evidence.seq;
    let Some(entry) = entry else {
        return Err(format!("it names ledger entry {seq}, which does not exist"));
    };
    if merkle::leaf_hash(entry.as_bytes()) != evidence.leaf_hash {
        return Err(format!(
            "ledger entry {seq} is not the entry recorded with it (the leaf hashes differ)"
        ));
    }
    let change = recorded_change(entry)
        .map_err(|reason| format!("ledger entry {seq} is not a register change ({reason})"))?;
    if change.kind != kind || change.id != id {
        return Err(format!(
            "ledger entry {seq} records a change to {} {:?}, not to this record",
            change.kind, change.id
        ));
    }
    let stored: serde_json::Value = serde_json::from_str(body).map_err(|e| {
        format!("the stored record is not JSON ({e}): it was changed outside phiguard")
    })?;
    if change.after.as_ref() != Some(&stored) {
        return Err(format!(
            "the stored record differs from the state ledger entry {seq} recorded: it was changed outside phiguard"
        ));
    }
    match last_change {
        Some(last) if u64::try_from(last).ok() == Some(seq) => Ok(stored),
        Some(last) => Err(format!(
            "the stored state was recorded in ledger entry {seq}, but the record's last recorded change is entry {last}"
        )),
        None => Err(format!(
            "ledger entry {seq} recorded it, but the register's change index has no change to it: the index was edited outside phiguard"
        )),
    }
}
