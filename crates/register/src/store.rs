//! The register in the database: reading it whole, applying changes together with their
//! ledger entries, and reading one record's history back from the ledger.

use jiff::Timestamp;
use phiguard_core::{Evidence, EvidenceRef, Source};
use phiguard_ledger::merkle;
use phiguard_store::{Store, WriteLock};
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

    /// Every record, with the ledger entry of its current state, and every record found to
    /// differ from its ledger history in [`Snapshot::tampered`].
    pub async fn snapshot(&self) -> Result<Snapshot, RegisterError> {
        let doing = "reading the register";
        let rows = sqlx::query(
            "SELECT r.kind, r.id, r.body, r.ledger_seq, r.leaf_hash, e.entry \
             FROM register_records r LEFT JOIN ledger_entries e ON e.seq = r.ledger_seq",
        )
        .fetch_all(self.store.pool())
        .await
        .map_err(db(doing))?;
        let mut snapshot = Snapshot::default();
        let mut stored_seqs = std::collections::BTreeMap::new();
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
            let value: serde_json::Value =
                serde_json::from_str(&body).map_err(|e| RegisterError::Corrupt {
                    what: format!("{kind} {id:?} is not JSON ({e})"),
                })?;
            let record =
                AnyRecord::from_json(kind, value.clone()).map_err(|e| RegisterError::Corrupt {
                    what: format!("{kind} {id:?} does not have the fields of a {kind} ({e})"),
                })?;
            let leaf_hash = <[u8; 32]>::try_from(leaf.as_slice()).unwrap_or([0; 32]);
            let evidence = EvidenceRef {
                seq: u64::try_from(seq).unwrap_or(u64::MAX),
                leaf_hash,
            };
            if let Some(detail) = mismatch(kind, &id, &value, &evidence, entry.as_deref()) {
                snapshot.tampered.push(Tampered {
                    kind,
                    id: id.clone(),
                    detail,
                });
            }
            stored_seqs.insert((kind, id), seq);
            snapshot.insert(record, Some(evidence));
        }
        self.find_vanished(&stored_seqs, &mut snapshot.tampered)
            .await?;
        Ok(snapshot)
    }

    /// Adds to `tampered` the records whose last recorded change is not the state stored:
    /// removed without a recorded deletion, or set back to an older recorded state.
    async fn find_vanished(
        &self,
        stored: &std::collections::BTreeMap<(Kind, String), i64>,
        tampered: &mut Vec<Tampered>,
    ) -> Result<(), RegisterError> {
        let doing = "reading the register's change index";
        let latest =
            sqlx::query("SELECT kind, id, MAX(seq) AS seq FROM register_changes GROUP BY kind, id")
                .fetch_all(self.store.pool())
                .await
                .map_err(db(doing))?;
        for row in &latest {
            let kind_text: String = row.try_get("kind").map_err(db(doing))?;
            let id: String = row.try_get("id").map_err(db(doing))?;
            let seq: i64 = row.try_get("seq").map_err(db(doing))?;
            let Ok(kind) = kind_text.parse::<Kind>() else {
                continue;
            };
            match stored.get(&(kind, id.clone())) {
                Some(&stored_seq) if stored_seq == seq => {}
                Some(&stored_seq) => tampered.push(Tampered {
                    kind,
                    id,
                    detail: format!(
                        "the stored state was recorded in ledger entry {stored_seq}, but the record's last recorded change is entry {seq}"
                    ),
                }),
                None => {
                    let entry: Option<String> =
                        sqlx::query_scalar("SELECT entry FROM ledger_entries WHERE seq = $1")
                            .bind(seq)
                            .fetch_optional(self.store.pool())
                            .await
                            .map_err(db(doing))?;
                    let deleted = entry
                        .as_deref()
                        .and_then(|text| parse_change(text).ok())
                        .is_some_and(|(_, body)| body.action == Action::Delete);
                    if !deleted {
                        tampered.push(Tampered {
                            kind,
                            id,
                            detail: format!(
                                "the record is gone, but its last recorded change (ledger entry {seq}) is not a deletion"
                            ),
                        });
                    }
                }
            }
        }
        Ok(())
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
        let current = read_records(&mut tx).await?;
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

/// The records as they are inside `tx`.
async fn read_records(tx: &mut Transaction<'_, Any>) -> Result<Snapshot, RegisterError> {
    let doing = "reading the register";
    let rows = sqlx::query("SELECT kind, id, body FROM register_records")
        .fetch_all(&mut **tx)
        .await
        .map_err(db(doing))?;
    let mut snapshot = Snapshot::default();
    for row in &rows {
        let kind_text: String = row.try_get("kind").map_err(db(doing))?;
        let id: String = row.try_get("id").map_err(db(doing))?;
        let body: String = row.try_get("body").map_err(db(doing))?;
        let kind: Kind = kind_text.parse().map_err(|_| RegisterError::Corrupt {
            what: format!("a record of unknown kind {kind_text:?}"),
        })?;
        let record = serde_json::from_str(&body)
            .map_err(|e| e.to_string())
            .and_then(|value| AnyRecord::from_json(kind, value).map_err(|e| e.to_string()))
            .map_err(|reason| RegisterError::Corrupt {
                what: format!("{kind} {id:?} cannot be read ({reason})"),
            })?;
        snapshot.insert(record, None);
    }
    Ok(snapshot)
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

/// Why a stored record does not match the ledger entry it names, if it does not.
fn mismatch(
    kind: Kind,
    id: &str,
    stored: &serde_json::Value,
    evidence: &EvidenceRef,
    entry: Option<&str>,
) -> Option<String> {
    let seq = evidence.seq;
    let Some(entry) = entry else {
        return Some(format!("it names ledger entry {seq}, which does not exist"));
    };
    if merkle::leaf_hash(entry.as_bytes()) != evidence.leaf_hash {
        return Some(format!(
            "ledger entry {seq} is not the entry recorded with it (the leaf hashes differ)"
        ));
    }
    let body = match parse_change(entry) {
        Ok((_, body)) => body,
        Err(reason) => {
            return Some(format!(
                "ledger entry {seq} is not a register change ({reason})"
            ));
        }
    };
    if body.kind != kind || body.id != id {
        return Some(format!(
            "ledger entry {seq} records a change to {} {:?}, not to this record",
            body.kind, body.id
        ));
    }
    if body.after.as_ref() != Some(stored) {
        return Some(format!(
            "the stored record differs from the state ledger entry {seq} recorded: it was changed outside phiguard"
        ));
    }
    None
}
