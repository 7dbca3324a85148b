//! The storage suite: every test here runs against SQLite and against PostgreSQL.
//!
//! PostgreSQL tests use the server named by `PHIGUARD_TEST_POSTGRES`, each in a database of
//! its own, and skip with a note when it is unset (fail under `PHIGUARD_TEST_REQUIRE_ALL=1`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failure with its location

use std::collections::BTreeMap;
use std::time::Duration;

use jiff::Timestamp;
use phiguard_core::{EvidenceRef, Finding, Severity, Status};
use phiguard_store::{
    Backend, CheckRun, DatabaseUrl, SCHEMA_VERSION, Store, StoreError, StoreOptions,
};
use phiguard_testkit::PostgresDatabase;
use sqlx::Row;

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

    async fn open(&self) -> Result<Store, StoreError> {
        Store::open(&self.url, &StoreOptions::default()).await
    }
}

phiguard_testkit::on_both_databases!(
    a_fresh_database_is_migrated_and_empty,
    reopening_keeps_data_and_applies_nothing_twice,
    concurrent_first_opens_migrate_exactly_once,
    a_database_newer_than_the_binary_is_refused,
    check_runs_round_trip_with_their_findings,
    the_latest_run_is_the_newest,
    foreign_keys_are_enforced,
    a_rejected_run_stores_nothing,
    a_corrupt_row_is_reported_not_panicked_on,
    both_databases_have_the_same_tables_and_columns,
);

fn time(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn sample_run() -> CheckRun {
    CheckRun {
        started_at: time("2026-11-28T09:00:00.123456Z"),
        finished_at: time("2026-11-28T09:00:02Z"),
        host: Some("db-01".into()),
        root: "/".into(),
    }
}

fn sample_findings() -> Vec<Finding> {
    vec![
        Finding {
            check: "host.ssh.root_login".parse().unwrap(),
            status: Status::Fail,
            severity: Severity::High,
            subject: "/etc/ssh/sshd_config".into(),
            message: "PermitRootLogin is yes".into(),
            evidence: vec![EvidenceRef {
                seq: 41,
                leaf_hash: [0xab; 32],
            }],
            remediation: Some("Set PermitRootLogin no and reload sshd.".into()),
        },
        Finding {
            check: "host.firewall.default_deny".parse().unwrap(),
            status: Status::NotApplicable,
            severity: Severity::Medium,
            subject: "nftables".into(),
            message: "no ruleset: checked an image".into(),
            evidence: vec![],
            remediation: None,
        },
    ]
}

async fn a_fresh_database_is_migrated_and_empty(db: TestDb) {
    let store = db.open().await.unwrap();
    assert_eq!(store.schema_version().await.unwrap(), SCHEMA_VERSION);
    let counts = store.counts().await.unwrap();
    assert_eq!((counts.check_runs, counts.findings), (0, 0));
    assert!(store.latest_check_run().await.unwrap().is_none());
}

async fn reopening_keeps_data_and_applies_nothing_twice(db: TestDb) {
    let store = db.open().await.unwrap();
    let id = store
        .record_check_run(&sample_run(), &sample_findings())
        .await
        .unwrap();
    store.close().await;
    let store = db.open().await.unwrap();
    assert_eq!(store.latest_check_run().await.unwrap().unwrap().id, id);
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM phiguard_schema")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(rows, SCHEMA_VERSION);
}

async fn concurrent_first_opens_migrate_exactly_once(db: TestDb) {
    // Separate tasks on a multi-threaded runtime, so the opens really race.
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let url = db.url.clone();
            tokio::spawn(async move { Store::open(&url, &StoreOptions::default()).await })
        })
        .collect();
    let mut stores = Vec::new();
    for handle in handles {
        stores.push(handle.await.unwrap().unwrap());
    }
    let versions: Vec<i64> = sqlx::query_scalar("SELECT version FROM phiguard_schema ORDER BY 1")
        .fetch_all(stores[0].pool())
        .await
        .unwrap();
    assert_eq!(versions, (1..=SCHEMA_VERSION).collect::<Vec<_>>());
}

async fn a_database_newer_than_the_binary_is_refused(db: TestDb) {
    let store = db.open().await.unwrap();
    let future = SCHEMA_VERSION + 7;
    sqlx::query("INSERT INTO phiguard_schema (version, name, applied_at) VALUES ($1, 'from the future', 'x')")
        .bind(future)
        .execute(store.pool())
        .await
        .unwrap();
    store.close().await;
    let err = db.open().await.unwrap_err();
    let message = err.to_string();
    assert!(
        matches!(err, StoreError::DatabaseNewer { found, supported, .. } if found == future && supported == SCHEMA_VERSION),
        "{message}"
    );
    assert!(
        message.contains(&format!("schema version {future}")),
        "{message}"
    );
    assert!(message.contains("Upgrade phiguard"), "{message}");
}

async fn check_runs_round_trip_with_their_findings(db: TestDb) {
    let store = db.open().await.unwrap();
    let id = store
        .record_check_run(&sample_run(), &sample_findings())
        .await
        .unwrap();
    let stored = store.latest_check_run().await.unwrap().unwrap();
    assert_eq!(stored.id, id);
    assert_eq!(stored.run, sample_run());
    assert_eq!(stored.findings, sample_findings());
    let counts = store.counts().await.unwrap();
    assert_eq!((counts.check_runs, counts.findings), (1, 2));
}

async fn the_latest_run_is_the_newest(db: TestDb) {
    let store = db.open().await.unwrap();
    store
        .record_check_run(&sample_run(), &sample_findings())
        .await
        .unwrap();
    let second = CheckRun {
        host: Some("db-02".into()),
        ..sample_run()
    };
    let id = store.record_check_run(&second, &[]).await.unwrap();
    let latest = store.latest_check_run().await.unwrap().unwrap();
    assert_eq!((latest.id, latest.run.host.as_deref()), (id, Some("db-02")));
    assert!(latest.findings.is_empty());
}

async fn foreign_keys_are_enforced(db: TestDb) {
    let store = db.open().await.unwrap();
    let result = sqlx::query(
        "INSERT INTO findings (run_id, check_id, status, severity, subject, message, evidence) \
         VALUES (999, 'host.x', 'pass', 'low', 's', 'm', '[]')",
    )
    .execute(store.pool())
    .await;
    assert!(result.is_err(), "a finding without its run was accepted");
}

async fn a_rejected_run_stores_nothing(db: TestDb) {
    let store = db.open().await.unwrap();
    // With subjects made unique, the second finding's insert fails; the run and the first
    // finding, already inserted in the same transaction, must not be left behind.
    sqlx::query("CREATE UNIQUE INDEX one_finding_per_subject ON findings (subject)")
        .execute(store.pool())
        .await
        .unwrap();
    let mut findings = sample_findings();
    findings[1].subject = findings[0].subject.clone();
    let err = store
        .record_check_run(&sample_run(), &findings)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("recording a check run"), "{err}");
    let counts = store.counts().await.unwrap();
    assert_eq!((counts.check_runs, counts.findings), (0, 0));
}

async fn a_corrupt_row_is_reported_not_panicked_on(db: TestDb) {
    let store = db.open().await.unwrap();
    store
        .record_check_run(&sample_run(), &sample_findings())
        .await
        .unwrap();
    sqlx::query("UPDATE findings SET evidence = '[{\"seq\": 1, \"leaf_hash\": \"zz\"}]'")
        .execute(store.pool())
        .await
        .unwrap();
    let err = store.latest_check_run().await.unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("invalid evidence"), "{err}");
}

/// Both dialects' migrations must describe one schema: same tables, same columns.
async fn both_databases_have_the_same_tables_and_columns(db: TestDb) {
    let store = db.open().await.unwrap();
    let columns = columns(&store).await;
    let expected: BTreeMap<&str, Vec<&str>> = BTreeMap::from([
        (
            "check_runs",
            vec!["finished_at", "host", "id", "root", "started_at"],
        ),
        (
            "findings",
            vec![
                "check_id",
                "evidence",
                "id",
                "message",
                "remediation",
                "run_id",
                "severity",
                "status",
                "subject",
            ],
        ),
        (
            "fim_baselines",
            vec![
                "actor",
                "algorithm",
                "created_at",
                "entries",
                "id",
                "paths",
                "reason",
                "root_hash",
                "rules",
            ],
        ),
        ("fim_entries", vec!["baseline_id", "path", "record"]),
        (
            "cloud_inventories",
            vec!["account", "digest", "id", "ledger_seq", "provider"],
        ),
        (
            "cloud_resources",
            vec![
                "arn",
                "encryption",
                "encryption_key",
                "holds_phi",
                "inventory_id",
                "kind",
                "name",
                "position",
                "region",
                "tags",
            ],
        ),
        ("installation", vec!["key", "value"]),
        ("ledger_checkpoints", vec!["created_at", "note", "size"]),
        ("ledger_entries", vec!["entry", "hashes", "seq"]),
        (
            "pending_updates",
            vec!["first_seen", "host", "package", "version"],
        ),
        ("phiguard_schema", vec!["applied_at", "name", "version"]),
        ("register_changes", vec!["id", "kind", "seq"]),
        (
            "register_records",
            vec!["body", "id", "kind", "leaf_hash", "ledger_seq"],
        ),
    ]);
    let actual: BTreeMap<&str, Vec<&str>> = columns
        .iter()
        .map(|(t, c)| (t.as_str(), c.iter().map(String::as_str).collect()))
        .collect();
    assert_eq!(actual, expected);
}

async fn columns(store: &Store) -> BTreeMap<String, Vec<String>> {
    let sql = match store.backend() {
        Backend::Sqlite => {
            "SELECT m.name AS t, p.name AS c FROM sqlite_master m, pragma_table_info(m.name) p \
             WHERE m.type = 'table' ORDER BY 1, 2"
        }
        Backend::Postgres => {
            "SELECT table_name::text AS t, column_name::text AS c FROM information_schema.columns \
             WHERE table_schema = 'public' ORDER BY 1, 2"
        }
    };
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for row in sqlx::query(sql).fetch_all(store.pool()).await.unwrap() {
        map.entry(row.get("t")).or_default().push(row.get("c"));
    }
    map
}

// Failures that need no running server.

#[tokio::test]
async fn an_unreachable_postgres_server_is_a_clear_error_without_the_password() {
    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    let url = DatabaseUrl::parse("postgres://alice:s3cret-pw@127.0.0.1:1/phiguard").unwrap();
    let options = StoreOptions {
        connect_timeout: Duration::from_secs(2),
        ..StoreOptions::default()
    };
    let err = Store::open(&url, &options).await.unwrap_err();
    let mut message = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        message.push_str(&format!(" / {cause}"));
        source = cause.source();
    }
    assert!(
        matches!(
            err,
            StoreError::Connect {
                backend: Backend::Postgres,
                ..
            }
        ),
        "{message}"
    );
    assert!(
        message.contains("postgres://alice:***@127.0.0.1:1/phiguard"),
        "{message}"
    );
    assert!(message.contains("server is running"), "{message}");
    assert!(
        !message.contains("s3cret-pw"),
        "the password leaked: {message}"
    );
}

#[tokio::test]
async fn a_file_that_is_not_a_database_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("phiguard.db");
    let garbage = vec![0x5a_u8; 8192];
    std::fs::write(&path, &garbage).unwrap();
    let err = Store::open(&DatabaseUrl::sqlite(&path), &StoreOptions::default())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Connect {
                backend: Backend::Sqlite,
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "{err}"
    );
    // The file is left exactly as it was.
    assert_eq!(std::fs::read(&path).unwrap(), garbage);
}

#[tokio::test]
async fn a_missing_directory_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let url = DatabaseUrl::sqlite(dir.path().join("no/such/dir/phiguard.db"));
    let err = Store::open(&url, &StoreOptions::default())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("directory exists"), "{err}");
}

#[tokio::test]
async fn sqlite_runs_in_wal_mode_with_foreign_keys_and_full_sync() {
    let db = TestDb::sqlite().await;
    let options = StoreOptions {
        busy_timeout: Duration::from_millis(1234),
        ..StoreOptions::default()
    };
    let store = Store::open(&db.url, &options).await.unwrap();
    let mut conn = store.pool().acquire().await.unwrap();
    let mut pragma = async |name: &str| -> String {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA {name}")))
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        row.try_get::<String, _>(0)
            .or_else(|_| row.try_get::<i64, _>(0).map(|v| v.to_string()))
            .unwrap()
    };
    assert_eq!(pragma("journal_mode").await, "wal");
    assert_eq!(pragma("foreign_keys").await, "1");
    assert_eq!(pragma("synchronous").await, "2", "2 is FULL");
    assert_eq!(pragma("busy_timeout").await, "1234");
}
