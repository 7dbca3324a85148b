//! When each pending update was first seen on a host, kept in the store so its age survives
//! between runs: the clock the patch checks judge an update's wait by.

use std::collections::BTreeMap;

use jiff::Timestamp;
use phiguard_store::{Store, StoreError, query_error, timestamp};
use sqlx::Row;

/// The first sightings of pending updates, as the store keeps them (its `pending_updates`
/// table).
pub trait FirstSeen {
    /// Records that exactly `pending` (package, candidate version) are pending on `host` as
    /// of `now`, and returns when each was first seen. Updates seen before keep their first
    /// time; new ones get `now`; the rows of updates no longer pending are dropped, so an
    /// update that comes back later starts a new clock. One transaction: a failed run leaves
    /// the earlier record as it was.
    fn observe_pending_updates(
        &self,
        host: &str,
        now: Timestamp,
        pending: &[(String, String)],
    ) -> impl Future<Output = Result<BTreeMap<(String, String), Timestamp>, StoreError>> + Send;
}

impl FirstSeen for Store {
    async fn observe_pending_updates(
        &self,
        host: &str,
        now: Timestamp,
        pending: &[(String, String)],
    ) -> Result<BTreeMap<(String, String), Timestamp>, StoreError> {
        let doing = "recording pending updates";
        let mut tx = self.pool().begin().await.map_err(query_error(doing))?;
        let rows =
            sqlx::query("SELECT package, version, first_seen FROM pending_updates WHERE host = $1")
                .bind(host)
                .fetch_all(&mut *tx)
                .await
                .map_err(query_error(doing))?;
        let mut known = BTreeMap::new();
        for row in &rows {
            let package: String = row.try_get("package").map_err(query_error(doing))?;
            let version: String = row.try_get("version").map_err(query_error(doing))?;
            let first_seen: String = row.try_get("first_seen").map_err(query_error(doing))?;
            known.insert((package, version), timestamp::decode(&first_seen)?);
        }
        let mut seen = BTreeMap::new();
        for key in pending {
            if let Some(first) = known.remove(key) {
                seen.insert(key.clone(), first);
                continue;
            }
            sqlx::query(
                "INSERT INTO pending_updates (host, package, version, first_seen) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(host)
            .bind(key.0.as_str())
            .bind(key.1.as_str())
            .bind(timestamp::encode(now))
            .execute(&mut *tx)
            .await
            .map_err(query_error(doing))?;
            seen.insert(key.clone(), now);
        }
        // What is left in `known` is no longer pending.
        for (package, version) in known.keys() {
            sqlx::query(
                "DELETE FROM pending_updates WHERE host = $1 AND package = $2 AND version = $3",
            )
            .bind(host)
            .bind(package.as_str())
            .bind(version.as_str())
            .execute(&mut *tx)
            .await
            .map_err(query_error(doing))?;
        }
        tx.commit().await.map_err(query_error(doing))?;
        Ok(seen)
    }
}
