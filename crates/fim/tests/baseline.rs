#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failure with its location
//! Baselines against real databases: a baseline is read only when it is the one the ledger
//! recorded last, as recorded. The `fim.baseline` entries are written here as `fim update`
//! writes them; the real commands are tested end to end in the binary's tests. Every test
//! runs on SQLite and on PostgreSQL.

use std::collections::BTreeMap;

use phiguard_fim::baseline::{self, BASELINE_EVIDENCE_KIND};
use phiguard_fim::{BaselineError, BaselineInfo, FileType, Record};
use phiguard_store::{DatabaseUrl, Store, StoreOptions};
use phiguard_testkit::PostgresDatabase;

struct TestDb {
    store: Store,
    _sqlite_dir: Option<tempfile::TempDir>,
    _postgres: Option<PostgresDatabase>,
}

impl TestDb {
    async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        let url = DatabaseUrl::sqlite(dir.path().join("phiguard.db"));
        TestDb {
            store: Store::open(&url, &StoreOptions::default()).await.unwrap(),
            _sqlite_dir: Some(dir),
            _postgres: None,
        }
    }

    async fn postgres() -> Option<TestDb> {
        let db = phiguard_testkit::fresh_postgres_database().await?;
        let url = DatabaseUrl::parse(db.url()).unwrap();
        Some(TestDb {
            store: Store::open(&url, &StoreOptions::default()).await.unwrap(),
            _sqlite_dir: None,
            _postgres: Some(db),
        })
    }

    async fn exec(&self, sql: &str) {
        sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
            .execute(self.store.pool())
            .await
            .unwrap();
    }

    /// Appends a ledger entry whose text is `entry` (the tree hashes are not looked at here).
    async fn append(&self, entry: &str) {
        sqlx::query(
            "INSERT INTO ledger_entries (seq, entry, hashes) \
             SELECT COALESCE(MAX(seq) + 1, 0), $1, $2 FROM ledger_entries",
        )
        .bind(entry)
        .bind(vec![0u8; 32])
        .execute(self.store.pool())
        .await
        .unwrap();
    }

    /// Stores a baseline of `files` files without recording it.
    async fn save(&self, files: u64) -> BaselineInfo {
        baseline::save(
            &self.store,
            "alice",
            "routine",
            "sha256",
            "/srv",
            None,
            &entries(files),
        )
        .await
        .unwrap()
    }

    /// Records `info` in the ledger, as `fim init` and `fim update` do.
    async fn record(&self, info: &BaselineInfo) {
        self.append(&entry(BASELINE_EVIDENCE_KIND, &body(info)))
            .await;
    }

    async fn latest(&self) -> Result<Option<BaselineInfo>, BaselineError> {
        baseline::latest(&self.store)
            .await
            .map(|found| found.map(|(info, _)| info))
    }
}

phiguard_testkit::on_both_databases!(
    the_newest_recorded_baseline_is_read,
    baselines_recorded_in_either_order_are_both_read,
    a_baseline_nobody_recorded_is_refused,
    a_newer_baseline_deleted_is_refused,
    a_baseline_whose_facts_differ_from_the_ledger_is_refused,
    entries_that_only_look_like_a_baseline_record_are_ignored,
);

fn entries(files: u64) -> BTreeMap<Vec<u8>, Record> {
    (0..files)
        .map(|n| {
            let record = Record {
                file_type: FileType::File,
                mode: 0o644,
                uid: 0,
                gid: 0,
                size: n,
                inode: n + 100,
                links: 1,
                mtime: 0,
                ctime: 0,
                target: None,
                device: None,
                hash: Some(format!("sha256:{n:064x}")),
                acl: None,
                xattrs: BTreeMap::new(),
                selinux: None,
                caps: None,
                flags: None,
                problem: None,
            };
            (format!("/srv/{n}").into_bytes(), record)
        })
        .collect()
}

/// The body of the `fim.baseline` entry for `info`, keys sorted as in the ledger.
fn body(info: &BaselineInfo) -> String {
    format!(
        r#"{{"accepted":null,"actor":"{}","algorithm":"{}","baseline":{},"entries":{},"reason":"{}","root_hash":"{}","rules":"{}"}}"#,
        info.actor, info.algorithm, info.id, info.entries, info.reason, info.root_hash, info.rules
    )
}

/// A canonical ledger entry of `kind` with `body`.
fn entry(kind: &str, body: &str) -> String {
    format!(
        r#"{{"body":{body},"kind":"{kind}","source":{{"actor":"alice","agent":"phiguard/test","host":null}},"time":"2026-11-28T12:00:00Z"}}"#
    )
}

fn tampered(result: Result<Option<BaselineInfo>, BaselineError>) -> (i64, String) {
    match result {
        Err(BaselineError::Tampered { id, reason }) => (id, reason),
        other => panic!("not refused as tampered: {other:?}"),
    }
}

async fn the_newest_recorded_baseline_is_read(db: TestDb) {
    assert_eq!(db.latest().await.unwrap(), None);
    let first = db.save(3).await;
    db.record(&first).await;
    let second = db.save(5).await;
    db.record(&second).await;
    // Many other entries since: the search pages back through them.
    for n in 0..300 {
        db.append(&entry(
            "fim.check",
            &format!(r#"{{"baseline":{},"n":{n}}}"#, second.id),
        ))
        .await;
    }
    assert_eq!(db.latest().await.unwrap(), Some(second));
}

async fn baselines_recorded_in_either_order_are_both_read(db: TestDb) {
    let first = db.save(3).await;
    let second = db.save(4).await;
    db.record(&second).await;
    db.record(&first).await;
    assert_eq!(db.latest().await.unwrap(), Some(second));
}

async fn a_baseline_nobody_recorded_is_refused(db: TestDb) {
    let recorded = db.save(3).await;
    db.record(&recorded).await;
    let added = db.save(3).await;
    let (id, reason) = tampered(db.latest().await);
    assert_eq!(id, added.id);
    assert!(reason.contains("no fim.baseline entry"), "{reason}");
}

async fn a_newer_baseline_deleted_is_refused(db: TestDb) {
    let first = db.save(3).await;
    db.record(&first).await;
    let second = db.save(3).await;
    db.record(&second).await;
    db.exec(&format!(
        "DELETE FROM fim_entries WHERE baseline_id = {}",
        second.id
    ))
    .await;
    db.exec(&format!(
        "DELETE FROM fim_baselines WHERE id = {}",
        second.id
    ))
    .await;
    let (id, reason) = tampered(db.latest().await);
    assert_eq!(id, first.id);
    assert!(
        reason.contains(&format!("records a newer baseline, {}", second.id)),
        "{reason}"
    );
}

async fn a_baseline_whose_facts_differ_from_the_ledger_is_refused(db: TestDb) {
    let info = db.save(3).await;
    db.record(&info).await;
    db.exec("UPDATE fim_baselines SET rules = '/elsewhere'")
        .await;
    let (id, reason) = tampered(db.latest().await);
    assert_eq!(id, info.id);
    assert!(
        reason.contains(
            "its stored `rules` value \"/elsewhere\" is not the \"/srv\" that ledger entry 0 recorded"
        ),
        "{reason}"
    );
}

/// Bodies that quote a `fim.baseline` entry, in entries of another kind, record no baseline,
/// however many come after the real one.
async fn entries_that_only_look_like_a_baseline_record_are_ignored(db: TestDb) {
    let info = db.save(3).await;
    db.record(&info).await;
    let forged = BaselineInfo {
        root_hash: "0".repeat(64),
        ..info.clone()
    };
    let quote = entry(
        "note.quote",
        &format!(
            r#"{{"quoted":{{"body":{},"kind":"fim.baseline"}}}}"#,
            body(&forged)
        ),
    );
    for _ in 0..150 {
        db.append(&quote).await;
    }
    assert_eq!(db.latest().await.unwrap(), Some(info));
}
