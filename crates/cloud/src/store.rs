//! The latest inventory of each account, kept in the database and bound to the ledger.
//!
//! A check of an account records its findings in a [`CHECK_EVIDENCE_KIND`] ledger entry whose
//! body also holds the digest of the resources seen ([`resources::digest`]); the resources
//! themselves go to `cloud_resources`, replacing the account's previous inventory. Reading it
//! back ([`latest`]) trusts the rows only when they hash to the digest of the newest such
//! entry: an inventory edited, deleted, rolled back to an older one or added outside phiguard
//! is refused with [`InventoryError::Tampered`], since a risk analysis counting assets from it
//! would carry the forgery into every decision made from it.

use jiff::Timestamp;
use phiguard_core::{Evidence, EvidenceRef};
use phiguard_ledger::{Ledger, LedgerError};
use phiguard_store::{Backend, Store, insert_chunks};
use serde::Deserialize;
use sqlx::Row;

use crate::resources::{self, CloudResource, Encryption};

/// The ledger entry kind that records a cloud account's check, with its inventory's digest.
pub const CHECK_EVIDENCE_KIND: &str = "cloud.check";

/// An account's latest inventory as read back and checked against the ledger.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredInventory {
    pub provider: String,
    pub account: String,
    /// When the check that saw it was recorded (the time of its ledger entry).
    pub taken_at: Timestamp,
    /// The ledger entry that recorded the check.
    pub evidence: EvidenceRef,
    pub digest: String,
    pub resources: Vec<CloudResource>,
}

/// Why the latest inventory could not be stored or trusted.
#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    #[error("the database failed while {doing}: {source}")]
    Database {
        doing: &'static str,
        #[source]
        source: sqlx::Error,
    },

    #[error("the ledger could not be read: {0}")]
    Ledger(#[from] LedgerError),

    #[error("the stored inventory of account {account} is damaged: {reason}")]
    Damaged { account: String, reason: String },

    #[error(
        "the stored cloud inventory cannot be trusted: {reason}. Someone with access to the \
         database may have changed it, to hide resources or make them look encrypted; treat \
         this as a security incident (45 CFR 164.308(a)(6)). `phiguard ledger verify` checks \
         the ledger itself and `phiguard ledger tail` shows its cloud.check entries; run \
         `phiguard cloud check aws` again to take a new inventory"
    )]
    Tampered { reason: String },
}

fn db(doing: &'static str) -> impl FnOnce(sqlx::Error) -> InventoryError {
    move |source| InventoryError::Database { doing, source }
}

/// What the ledger entry of a check records of its inventory: put under `inventory` in the
/// entry's body.
pub fn ledger_fields(resources: &[CloudResource]) -> serde_json::Value {
    serde_json::json!({
        "digest": resources::digest(resources),
        "resources": resources.len(),
    })
}

/// Replaces the account's inventory with `resources`, as seen by the check recorded in
/// `evidence`: all of it or none.
pub async fn save(
    store: &Store,
    provider: &str,
    account: &str,
    evidence: EvidenceRef,
    resources: &[CloudResource],
) -> Result<(), InventoryError> {
    let doing = "storing the cloud inventory";
    let seq = i64::try_from(evidence.seq).map_err(|_| InventoryError::Damaged {
        account: account.to_owned(),
        reason: format!(
            "ledger entry {} is beyond the database's range",
            evidence.seq
        ),
    })?;
    let mut tx = store.pool().begin().await.map_err(db(doing))?;
    sqlx::query(
        "DELETE FROM cloud_resources WHERE inventory_id IN \
         (SELECT id FROM cloud_inventories WHERE provider = $1 AND account = $2)",
    )
    .bind(provider)
    .bind(account)
    .execute(&mut *tx)
    .await
    .map_err(db(doing))?;
    sqlx::query("DELETE FROM cloud_inventories WHERE provider = $1 AND account = $2")
        .bind(provider)
        .bind(account)
        .execute(&mut *tx)
        .await
        .map_err(db(doing))?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO cloud_inventories (provider, account, ledger_seq, digest) \
         VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(provider)
    .bind(account)
    .bind(seq)
    .bind(resources::digest(resources))
    .fetch_one(&mut *tx)
    .await
    .map_err(db(doing))?;
    let rows: Vec<(i64, &CloudResource, String)> = resources
        .iter()
        .enumerate()
        .map(|(position, resource)| {
            let tags = serde_json::to_string(&resource.tags).unwrap_or_default();
            (position as i64, resource, tags)
        })
        .collect();
    let backend = store.backend();
    let bytes = |(_, r, tags): &(i64, &CloudResource, String)| {
        r.arn.len() + r.kind.len() + r.name.len() + tags.len() + 64
    };
    for chunk in insert_chunks(backend, &rows, bytes) {
        let sql = format!(
            "INSERT INTO cloud_resources (inventory_id, position, arn, kind, region, name, tags, \
             encryption, encryption_key, holds_phi) VALUES {}",
            backend.row_placeholders(chunk.len(), 10)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (position, resource, tags) in chunk {
            let (state, key) = encryption_columns(&resource.encryption);
            query = query
                .bind(id)
                .bind(*position)
                .bind(resource.arn.as_str())
                .bind(resource.kind.as_str())
                .bind(resource.region.as_deref())
                .bind(resource.name.as_str())
                .bind(tags.as_str())
                .bind(state)
                .bind(key)
                .bind(i64::from(resource.holds_phi));
        }
        query.execute(&mut *tx).await.map_err(db(doing))?;
    }
    tx.commit().await.map_err(db(doing))?;
    Ok(())
}

/// The newest inventory of `provider` (of `account`, or of whichever account was checked
/// last), checked against the ledger; `None` when no account was ever checked.
pub async fn latest(
    store: &Store,
    ledger: &Ledger,
    provider: &str,
    account: Option<&str>,
) -> Result<Option<StoredInventory>, InventoryError> {
    let recorded = recorded(ledger, provider, account).await?;
    let doing = "reading the cloud inventory";
    let row = match account {
        Some(account) => {
            sqlx::query(
                "SELECT id, account, ledger_seq, digest FROM cloud_inventories \
                 WHERE provider = $1 AND account = $2 ORDER BY ledger_seq DESC LIMIT 1",
            )
            .bind(provider)
            .bind(account)
            .fetch_optional(store.pool())
            .await
        }
        None => {
            sqlx::query(
                "SELECT id, account, ledger_seq, digest FROM cloud_inventories \
                 WHERE provider = $1 ORDER BY ledger_seq DESC LIMIT 1",
            )
            .bind(provider)
            .fetch_optional(store.pool())
            .await
        }
    }
    .map_err(db(doing))?;
    let tampered = |reason: String| InventoryError::Tampered { reason };
    let Some(row) = row else {
        return match recorded {
            None => Ok(None),
            Some(recorded) => Err(tampered(format!(
                "ledger entry {} records a check of {provider} account {} that saw {} \
                 resources, but the database holds no inventory of it: it was deleted (or the \
                 command that took it stopped before storing it)",
                recorded.evidence.seq, recorded.account, recorded.fields.resources
            ))),
        };
    };
    let id: i64 = row.try_get("id").map_err(db(doing))?;
    let stored_account: String = row.try_get("account").map_err(db(doing))?;
    let seq: i64 = row.try_get("ledger_seq").map_err(db(doing))?;
    let stored_digest: String = row.try_get("digest").map_err(db(doing))?;
    let Some(recorded) = recorded else {
        return Err(tampered(format!(
            "the database holds an inventory of {provider} account {stored_account} said to be \
             recorded by ledger entry {seq}, but no {CHECK_EVIDENCE_KIND} entry in the ledger \
             records an inventory: it was added outside phiguard"
        )));
    };
    if seq != recorded.evidence.seq as i64 {
        return Err(tampered(if seq < recorded.evidence.seq as i64 {
            format!(
                "ledger entry {} records a newer check of {provider} account {}, but the \
                 database holds the inventory of entry {seq}: the newer one was deleted, which \
                 puts the account back as it was before",
                recorded.evidence.seq, recorded.account
            )
        } else {
            format!(
                "the database's inventory of {provider} account {stored_account} claims ledger \
                 entry {seq}, which records no inventory of it (the newest that does is entry \
                 {}): it was added outside phiguard",
                recorded.evidence.seq
            )
        }));
    }
    if stored_account != recorded.account {
        return Err(tampered(format!(
            "the inventory stored with ledger entry {seq} is said to be of account \
             {stored_account}, but the entry records account {}",
            recorded.account
        )));
    }
    let resources = read_resources(store, id, &stored_account).await?;
    let digest = resources::digest(&resources);
    if digest != recorded.fields.digest || resources.len() as u64 != recorded.fields.resources {
        return Err(tampered(format!(
            "the {} resources stored for {provider} account {stored_account} (digest {digest}) \
             are not the {} that ledger entry {seq} recorded (digest {})",
            resources.len(),
            recorded.fields.resources,
            recorded.fields.digest
        )));
    }
    if stored_digest != digest {
        return Err(tampered(format!(
            "the digest stored with the inventory of {provider} account {stored_account} \
             ({stored_digest}) is not that of its resources ({digest})"
        )));
    }
    Ok(Some(StoredInventory {
        provider: provider.to_owned(),
        account: stored_account,
        taken_at: recorded.time,
        evidence: recorded.evidence,
        digest,
        resources,
    }))
}

/// What a check's ledger entry says about the inventory it saw.
#[derive(Debug, Clone, Deserialize)]
struct Fields {
    digest: String,
    resources: u64,
}

struct Recorded {
    evidence: EvidenceRef,
    time: Timestamp,
    account: String,
    fields: Fields,
}

/// The newest check of `provider` (and `account`) in the ledger that recorded an inventory.
async fn recorded(
    ledger: &Ledger,
    provider: &str,
    account: Option<&str>,
) -> Result<Option<Recorded>, LedgerError> {
    #[derive(Deserialize)]
    struct Body {
        provider: String,
        account: String,
        inventory: Fields,
    }
    let contains = account.map(|account| {
        format!(
            "\"account\":{}",
            serde_json::Value::String(account.to_owned())
        )
    });
    ledger
        .newest_of_kind(
            CHECK_EVIDENCE_KIND,
            contains.as_deref(),
            |evidence: EvidenceRef, entry: Evidence| {
                let body: Body = serde_json::from_value(entry.body).ok()?;
                let wanted = body.provider == provider
                    && account.is_none_or(|account| account == body.account);
                wanted.then_some(Recorded {
                    evidence,
                    time: entry.time,
                    account: body.account,
                    fields: body.inventory,
                })
            },
        )
        .await
}

async fn read_resources(
    store: &Store,
    id: i64,
    account: &str,
) -> Result<Vec<CloudResource>, InventoryError> {
    let doing = "reading the cloud inventory's resources";
    let placeholder = match store.backend() {
        Backend::Sqlite => "?",
        Backend::Postgres => "$1",
    };
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT arn, kind, region, name, tags, encryption, encryption_key, holds_phi \
         FROM cloud_resources WHERE inventory_id = {placeholder} ORDER BY position"
    )))
    .bind(id)
    .fetch_all(store.pool())
    .await
    .map_err(db(doing))?;
    let damaged = |reason: String| InventoryError::Damaged {
        account: account.to_owned(),
        reason,
    };
    rows.iter()
        .map(|row| {
            let arn: String = row.try_get("arn").map_err(db(doing))?;
            let tags: String = row.try_get("tags").map_err(db(doing))?;
            let state: String = row.try_get("encryption").map_err(db(doing))?;
            let key: Option<String> = row.try_get("encryption_key").map_err(db(doing))?;
            Ok(CloudResource {
                kind: row.try_get("kind").map_err(db(doing))?,
                region: row.try_get("region").map_err(db(doing))?,
                name: row.try_get("name").map_err(db(doing))?,
                tags: serde_json::from_str(&tags)
                    .map_err(|e| damaged(format!("the tags of {arn} do not parse: {e}")))?,
                encryption: encryption_of(&state, key).ok_or_else(|| {
                    damaged(format!("{arn} has an unknown encryption state {state:?}"))
                })?,
                holds_phi: row.try_get::<i64, _>("holds_phi").map_err(db(doing))? != 0,
                arn,
            })
        })
        .collect()
}

fn encryption_columns(encryption: &Encryption) -> (&'static str, Option<&str>) {
    match encryption {
        Encryption::Encrypted { key } => ("encrypted", key.as_deref()),
        Encryption::Unencrypted => ("unencrypted", None),
        Encryption::Unknown => ("unknown", None),
        Encryption::NotApplicable => ("not_applicable", None),
    }
}

fn encryption_of(state: &str, key: Option<String>) -> Option<Encryption> {
    Some(match state {
        "encrypted" => Encryption::Encrypted { key },
        "unencrypted" => Encryption::Unencrypted,
        "unknown" => Encryption::Unknown,
        "not_applicable" => Encryption::NotApplicable,
        _ => return None,
    })
}
