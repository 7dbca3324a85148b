//! Baselines in the store: every `fim init` and `fim update` adds one, with who, when and
//! why, and records it in the ledger as a [`BASELINE_EVIDENCE_KIND`] entry; `fim check`
//! compares against the newest, once it matches that entry.

use std::collections::BTreeMap;

use aws_lc_rs::digest;
use jiff::Timestamp;
use phiguard_core::hex;
use phiguard_store::{Backend, Store, insert_chunks};
use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::record::Record;

/// Why a baseline could not be stored or read.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("the database failed while {doing}: {source}")]
    Database {
        doing: &'static str,
        #[source]
        source: sqlx::Error,
    },

    #[error("the stored baseline {id} is damaged: {reason}")]
    Damaged { id: i64, reason: String },

    #[error(
        "the file integrity baseline {id} cannot be trusted: {reason}. Someone with access to \
         the database may have changed it to hide changes to the monitored files. Treat this \
         as a security incident (45 CFR 164.308(a)(6)): the files may have been changed too. \
         `phiguard ledger verify` checks the ledger itself and `phiguard ledger tail` shows its \
         fim.baseline entries; restore the database from a backup taken before the change, \
         then run `phiguard fim check` again"
    )]
    Tampered { id: i64, reason: String },
}

/// The ledger entry kind that records each baseline taken, with its root hash: what a stored
/// baseline is checked against when it is read.
pub const BASELINE_EVIDENCE_KIND: &str = "fim.baseline";

fn db(doing: &'static str) -> impl FnOnce(sqlx::Error) -> BaselineError {
    move |source| BaselineError::Database { doing, source }
}

/// A baseline's facts, without its entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BaselineInfo {
    pub id: i64,
    pub created_at: Timestamp,
    pub actor: String,
    pub reason: String,
    pub algorithm: String,
    /// The rules it was taken with, as people read them.
    pub rules: String,
    pub entries: u64,
    /// SHA-256 over every path and record, in path order: one value that names the whole
    /// baseline, for the ledger.
    pub root_hash: String,
    /// The paths given on the command line when the baseline was taken; `None` when it
    /// followed the configured rules.
    pub paths: Option<BaselinePaths>,
}

/// The paths a baseline was taken of, so a later check without paths compares the same ones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaselinePaths {
    pub paths: Vec<String>,
    pub one_filesystem: bool,
}

/// SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> Vec<u8> {
    digest::digest(&digest::SHA256, bytes).as_ref().to_vec()
}

/// The digest that names a set of entries: SHA-256 over `len(path) ‖ path ‖ len(record) ‖
/// record JSON` for every entry in path order.
pub fn root_hash(entries: &BTreeMap<Vec<u8>, Record>) -> String {
    let mut context = digest::Context::new(&digest::SHA256);
    for (path, record) in entries {
        let json = serde_json::to_vec(record).unwrap_or_default();
        context.update(&(path.len() as u64).to_be_bytes());
        context.update(path);
        context.update(&(json.len() as u64).to_be_bytes());
        context.update(&json);
    }
    hex::encode(context.finish().as_ref())
}

/// Stores a new baseline and returns its facts. All of it is stored, in one transaction, or
/// nothing.
pub async fn save(
    store: &Store,
    actor: &str,
    reason: &str,
    algorithm: &str,
    rules: &str,
    paths: Option<&BaselinePaths>,
    entries: &BTreeMap<Vec<u8>, Record>,
) -> Result<BaselineInfo, BaselineError> {
    let created_at = Timestamp::now();
    let root_hash = root_hash(entries);
    let mut tx = store
        .pool()
        .begin()
        .await
        .map_err(db("starting to store the baseline"))?;
    let row = sqlx::query(
        "INSERT INTO fim_baselines \
         (created_at, actor, reason, algorithm, rules, entries, root_hash, paths) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(created_at.to_string())
    .bind(actor)
    .bind(reason)
    .bind(algorithm)
    .bind(rules)
    .bind(entries.len() as i64)
    .bind(&root_hash)
    .bind(paths.and_then(|p| serde_json::to_string(p).ok()))
    .fetch_one(&mut *tx)
    .await
    .map_err(db("storing the baseline"))?;
    let id: i64 = row.try_get("id").map_err(db("storing the baseline"))?;
    let rows: Vec<(&Vec<u8>, String)> = entries
        .iter()
        .map(|(path, record)| (path, serde_json::to_string(record).unwrap_or_default()))
        .collect();
    let backend = store.backend();
    for chunk in insert_chunks(backend, &rows, |(path, json)| path.len() + json.len() + 8) {
        let sql = format!(
            "INSERT INTO fim_entries (baseline_id, path, record) VALUES {}",
            backend.row_placeholders(chunk.len(), 3)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (path, json) in chunk {
            query = query.bind(id).bind(path.as_slice()).bind(json.as_str());
        }
        query
            .execute(&mut *tx)
            .await
            .map_err(db("storing the baseline's entries"))?;
    }
    tx.commit().await.map_err(db("committing the baseline"))?;
    Ok(BaselineInfo {
        id,
        created_at,
        actor: actor.to_owned(),
        reason: reason.to_owned(),
        algorithm: algorithm.to_owned(),
        rules: rules.to_owned(),
        entries: entries.len() as u64,
        root_hash,
        paths: paths.cloned(),
    })
}

/// The newest baseline with its entries, if there is one.
///
/// It must be the baseline the ledger recorded last, as recorded: its entries are hashed again
/// and compared, with its other facts, to its [`BASELINE_EVIDENCE_KIND`] entry. A baseline
/// altered, replaced, added or deleted in the database is refused with
/// [`BaselineError::Tampered`] rather than trusted, since comparing files with it would hide
/// exactly the changes it was forged to hide.
pub async fn latest(
    store: &Store,
) -> Result<Option<(BaselineInfo, BTreeMap<Vec<u8>, Record>)>, BaselineError> {
    let newest_recorded = recorded(store, None).await?;
    let Some(row) = sqlx::query(
        "SELECT id, created_at, actor, reason, algorithm, rules, entries, root_hash, paths \
         FROM fim_baselines ORDER BY id DESC LIMIT 1",
    )
    .fetch_optional(store.pool())
    .await
    .map_err(db("reading the newest baseline"))?
    else {
        return match newest_recorded {
            None => Ok(None),
            Some(recorded) => Err(BaselineError::Tampered {
                id: recorded.baseline,
                reason: format!(
                    "ledger entry {} records it as taken, but the database holds no baseline: it \
                     was deleted",
                    recorded.seq
                ),
            }),
        };
    };
    let reading = "reading the newest baseline";
    let id: i64 = row.try_get("id").map_err(db(reading))?;
    let damaged = |reason: String| BaselineError::Damaged { id, reason };
    let created_at: String = row.try_get("created_at").map_err(db(reading))?;
    let info = BaselineInfo {
        id,
        created_at: created_at
            .parse()
            .map_err(|e| damaged(format!("created_at: {e}")))?,
        actor: row.try_get("actor").map_err(db(reading))?,
        reason: row.try_get("reason").map_err(db(reading))?,
        algorithm: row.try_get("algorithm").map_err(db(reading))?,
        rules: row.try_get("rules").map_err(db(reading))?,
        entries: row
            .try_get::<i64, _>("entries")
            .map_err(db(reading))?
            .max(0) as u64,
        root_hash: row.try_get("root_hash").map_err(db(reading))?,
        paths: match row
            .try_get::<Option<String>, _>("paths")
            .map_err(db(reading))?
        {
            None => None,
            Some(json) => Some(
                serde_json::from_str(&json)
                    .map_err(|e| damaged(format!("its paths do not parse: {e}")))?,
            ),
        },
    };
    let tampered = |reason: String| BaselineError::Tampered { id, reason };
    let recorded = match newest_recorded {
        Some(newest) if newest.baseline == id => newest,
        Some(newest) if newest.baseline > id => {
            return Err(tampered(format!(
                "ledger entry {} records a newer baseline, {}, which the database no longer \
                 holds: it was deleted, which puts file integrity back to this older baseline",
                newest.seq, newest.baseline
            )));
        }
        // Two baselines taken at once may be recorded in either order.
        _ => recorded(store, Some(id)).await?.ok_or_else(|| {
            tampered(format!(
                "no {BASELINE_EVIDENCE_KIND} entry in the ledger records it, so it was added to \
                 the database outside phiguard, or the command that took it stopped before \
                 recording it"
            ))
        })?,
    };
    let placeholder = match store.backend() {
        Backend::Sqlite => "?",
        Backend::Postgres => "$1",
    };
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT path, record FROM fim_entries WHERE baseline_id = {placeholder}"
    )))
    .bind(id)
    .fetch_all(store.pool())
    .await
    .map_err(db("reading the baseline's entries"))?;
    let mut entries = BTreeMap::new();
    for row in rows {
        let path: Vec<u8> = row.try_get("path").map_err(db(reading))?;
        let json: String = row.try_get("record").map_err(db(reading))?;
        let record: Record = serde_json::from_str(&json)
            .map_err(|e| damaged(format!("an entry does not parse: {e}")))?;
        entries.insert(path, record);
    }
    let actual = Recorded::of(&info, &entries);
    if (actual.entries, &actual.root_hash) != (info.entries, &info.root_hash) {
        return Err(tampered(
            "its entries no longer match the root hash stored with it".into(),
        ));
    }
    if let Some(difference) = recorded.difference(&actual) {
        return Err(tampered(difference));
    }
    Ok(Some((info, entries)))
}

/// What a [`BASELINE_EVIDENCE_KIND`] entry says about the baseline it records (the body has
/// more, which is not compared).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
struct Recorded {
    #[serde(skip)]
    seq: i64,
    baseline: i64,
    entries: u64,
    root_hash: String,
    algorithm: String,
    rules: String,
    actor: String,
    reason: String,
}

impl Recorded {
    /// What the ledger should say about `info`, with its root hash computed over `entries`.
    fn of(info: &BaselineInfo, entries: &BTreeMap<Vec<u8>, Record>) -> Recorded {
        Recorded {
            seq: 0,
            baseline: info.id,
            entries: entries.len() as u64,
            root_hash: root_hash(entries),
            algorithm: info.algorithm.clone(),
            rules: info.rules.clone(),
            actor: info.actor.clone(),
            reason: info.reason.clone(),
        }
    }

    /// How `actual`, and the stored facts it was made from, differ from this record, if they
    /// do, in a sentence.
    fn difference(&self, actual: &Recorded) -> Option<String> {
        let seq = self.seq;
        if (actual.entries, &actual.root_hash) != (self.entries, &self.root_hash) {
            return Some(format!(
                "its entries ({}, root hash {}) are not the ones ledger entry {seq} recorded \
                 when it was taken ({}, root hash {})",
                actual.entries, actual.root_hash, self.entries, self.root_hash
            ));
        }
        [
            ("algorithm", &actual.algorithm, &self.algorithm),
            ("rules", &actual.rules, &self.rules),
            ("actor", &actual.actor, &self.actor),
            ("reason", &actual.reason, &self.reason),
        ]
        .into_iter()
        .find(|(_, stored, recorded)| stored != recorded)
        .map(|(field, stored, recorded)| {
            format!(
                "its stored `{field}` value {stored:?} is not the {recorded:?} that ledger \
                 entry {seq} recorded"
            )
        })
    }
}

/// The newest [`BASELINE_EVIDENCE_KIND`] entry in the ledger, recording baseline `id` when
/// given. The ledger is read backwards from its end, so the cost is the entries appended
/// since (usually few): the text filter only finds candidates, and each is decoded and
/// checked. Candidates are fetched one at first, since a query that asks for more matches
/// than there are reads the whole ledger looking for them, then in growing pages, so that
/// many entries that only quote a baseline's entry cannot make the search slow.
async fn recorded(store: &Store, id: Option<i64>) -> Result<Option<Recorded>, BaselineError> {
    const MAX_PAGE: i64 = 1024;
    #[derive(Deserialize)]
    struct Entry {
        kind: String,
        body: serde_json::Value,
    }
    // Canonical entries have sorted keys: the body, with `baseline` among its keys, comes
    // before the kind.
    let pattern = match id {
        Some(id) => format!("%\"baseline\":{id},%\"kind\":\"{BASELINE_EVIDENCE_KIND}\"%"),
        None => format!("%\"kind\":\"{BASELINE_EVIDENCE_KIND}\"%"),
    };
    let doing = "looking for the baseline's entry in the ledger";
    let mut before = i64::MAX;
    let mut page = 1;
    loop {
        let rows = sqlx::query(
            "SELECT seq, entry FROM ledger_entries WHERE seq < $1 AND entry LIKE $2 \
             ORDER BY seq DESC LIMIT $3",
        )
        .bind(before)
        .bind(pattern.as_str())
        .bind(page)
        .fetch_all(store.pool())
        .await
        .map_err(db(doing))?;
        for row in &rows {
            let seq: i64 = row.try_get("seq").map_err(db(doing))?;
            let text: String = row.try_get("entry").map_err(db(doing))?;
            before = seq;
            let Ok(entry) = serde_json::from_str::<Entry>(&text) else {
                continue;
            };
            if entry.kind != BASELINE_EVIDENCE_KIND {
                continue;
            }
            let Ok(recorded) = serde_json::from_value::<Recorded>(entry.body) else {
                continue;
            };
            if id.is_none_or(|id| recorded.baseline == id) {
                return Ok(Some(Recorded { seq, ..recorded }));
            }
        }
        if (rows.len() as i64) < page {
            return Ok(None);
        }
        page = (page * 2).min(MAX_PAGE);
    }
}
