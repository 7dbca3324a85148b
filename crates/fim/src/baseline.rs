//! Baselines in the store: every `fim init` and `fim update` adds one, with who, when and
//! why; `fim check` compares against the newest.

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
}

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

/// The newest baseline with its entries, if there is one. Its root hash is recomputed, so a
/// baseline altered in the database is refused rather than trusted.
pub async fn latest(
    store: &Store,
) -> Result<Option<(BaselineInfo, BTreeMap<Vec<u8>, Record>)>, BaselineError> {
    let Some(row) = sqlx::query(
        "SELECT id, created_at, actor, reason, algorithm, rules, entries, root_hash, paths \
         FROM fim_baselines ORDER BY id DESC LIMIT 1",
    )
    .fetch_optional(store.pool())
    .await
    .map_err(db("reading the newest baseline"))?
    else {
        return Ok(None);
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
    if entries.len() as u64 != info.entries || root_hash(&entries) != info.root_hash {
        return Err(damaged(
            "its entries no longer match the root hash recorded when it was taken; it was altered in the database (compare with the fim.baseline entry in the ledger)".into(),
        ));
    }
    Ok(Some((info, entries)))
}
