//! The first sightings of pending updates against real databases: an update keeps its first
//! time while it stays pending, and starts a new clock when it comes back. Every test runs on
//! SQLite and on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failure with its location

use jiff::Timestamp;
use phiguard_host::patches::FirstSeen;
use phiguard_store::{DatabaseUrl, Store, StoreOptions};
use phiguard_testkit::PostgresDatabase;

/// A database of one test's own, removed when the test ends.
struct TestDb {
    url: DatabaseUrl,
    _sqlite_dir: Option<tempfile::TempDir>,
    _postgres: Option<PostgresDatabase>,
}

impl TestDb {
    async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        TestDb {
            url: DatabaseUrl::sqlite(dir.path().join("phiguard.db")),
            _sqlite_dir: Some(dir),
            _postgres: None,
        }
    }

    async fn postgres() -> Option<TestDb> {
        let db = phiguard_testkit::fresh_postgres_database().await?;
        Some(TestDb {
            url: DatabaseUrl::parse(db.url()).unwrap(),
            _sqlite_dir: None,
            _postgres: Some(db),
        })
    }

    async fn open(&self) -> Store {
        Store::open(&self.url, &StoreOptions::default())
            .await
            .unwrap()
    }
}

phiguard_testkit::on_both_databases!(pending_updates_keep_their_first_sighting_until_they_are_gone);

fn time(text: &str) -> Timestamp {
    text.parse().unwrap()
}

async fn pending_updates_keep_their_first_sighting_until_they_are_gone(db: TestDb) {
    let store = db.open().await;
    let update = |package: &str, version: &str| (package.to_owned(), version.to_owned());
    let monday = time("2026-11-23T08:00:00Z");
    let friday = time("2026-11-27T08:00:00Z");
    let sunday = time("2026-11-29T08:00:00Z");

    let seen = store
        .observe_pending_updates("db-01", monday, &[update("openssl", "3.0.16-1")])
        .await
        .unwrap();
    assert_eq!(seen[&update("openssl", "3.0.16-1")], monday);

    // Still pending on Friday: Monday stays its first sighting. A new one starts its clock.
    let seen = store
        .observe_pending_updates(
            "db-01",
            friday,
            &[update("openssl", "3.0.16-1"), update("curl", "8.5.0-2")],
        )
        .await
        .unwrap();
    assert_eq!(seen[&update("openssl", "3.0.16-1")], monday);
    assert_eq!(seen[&update("curl", "8.5.0-2")], friday);
    // Another host's history is its own.
    let other = store
        .observe_pending_updates("web-01", friday, &[update("openssl", "3.0.16-1")])
        .await
        .unwrap();
    assert_eq!(other[&update("openssl", "3.0.16-1")], friday);

    // openssl installed; if the same version shows up again later, its clock restarts.
    store
        .observe_pending_updates("db-01", friday, &[update("curl", "8.5.0-2")])
        .await
        .unwrap();
    let seen = store
        .observe_pending_updates(
            "db-01",
            sunday,
            &[update("openssl", "3.0.16-1"), update("curl", "8.5.0-2")],
        )
        .await
        .unwrap();
    assert_eq!(seen[&update("openssl", "3.0.16-1")], sunday);
    assert_eq!(seen[&update("curl", "8.5.0-2")], friday);
    assert_eq!(seen.len(), 2);
}
