#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failure with its location
//! The latest cloud inventory against real databases, with a real ledger: it is read back only
//! as the newest `cloud.check` entry recorded it. Every way someone with the database could
//! change it (edit a resource, delete the inventory, roll it back to an older one, add one
//! the ledger never saw) is refused. Every test runs on SQLite and on PostgreSQL.

use phiguard_cloud::resources::{self, CloudResource, Encryption};
use phiguard_cloud::store::{self, CHECK_EVIDENCE_KIND, InventoryError, StoredInventory};
use phiguard_core::{Evidence, EvidenceRef, Source};
use phiguard_ledger::Ledger;
use phiguard_store::{DatabaseUrl, Store, StoreOptions};
use phiguard_testkit::PostgresDatabase;

struct TestDb {
    store: Store,
    ledger: Ledger,
    _sqlite_dir: Option<tempfile::TempDir>,
    _postgres: Option<PostgresDatabase>,
}

impl TestDb {
    async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        let url = DatabaseUrl::sqlite(dir.path().join("phiguard.db"));
        let store = Store::open(&url, &StoreOptions::default()).await.unwrap();
        TestDb {
            ledger: Ledger::open(store.clone()),
            store,
            _sqlite_dir: Some(dir),
            _postgres: None,
        }
    }

    async fn postgres() -> Option<TestDb> {
        let db = phiguard_testkit::fresh_postgres_database().await?;
        let url = DatabaseUrl::parse(db.url()).unwrap();
        let store = Store::open(&url, &StoreOptions::default()).await.unwrap();
        Some(TestDb {
            ledger: Ledger::open(store.clone()),
            store,
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

    /// Records a check of `account` that saw `resources`, then stores them, as
    /// `phiguard cloud check aws` does.
    async fn check(&self, account: &str, resources: &[CloudResource]) -> EvidenceRef {
        let evidence = self.record(account, resources).await;
        store::save(&self.store, "aws", account, evidence, resources)
            .await
            .unwrap();
        evidence
    }

    /// Only the ledger entry of a check.
    async fn record(&self, account: &str, resources: &[CloudResource]) -> EvidenceRef {
        self.append(
            CHECK_EVIDENCE_KIND,
            serde_json::json!({
                "provider": "aws",
                "account": account,
                "findings": [],
                "inventory": store::ledger_fields(resources),
            }),
        )
        .await
    }

    async fn append(&self, kind: &str, body: serde_json::Value) -> EvidenceRef {
        self.ledger
            .append(&Evidence {
                kind: kind.into(),
                time: "2026-12-01T10:00:00Z".parse().unwrap(),
                source: Source {
                    host: None,
                    agent: "phiguard/test".into(),
                    actor: Some("alice".into()),
                },
                body,
            })
            .await
            .unwrap()
    }

    async fn latest(
        &self,
        account: Option<&str>,
    ) -> Result<Option<StoredInventory>, InventoryError> {
        store::latest(&self.store, &self.ledger, "aws", account).await
    }
}

phiguard_testkit::on_both_databases!(
    nothing_checked_is_no_inventory,
    the_newest_check_replaces_the_inventory_and_reads_back_whole,
    each_account_keeps_its_own_inventory,
    an_edited_resource_is_refused,
    a_resource_deleted_is_refused,
    a_deleted_inventory_is_refused,
    a_rolled_back_inventory_is_refused,
    an_inventory_the_ledger_never_recorded_is_refused,
    entries_that_only_quote_an_account_are_ignored,
);

fn resource(arn: &str, kind: &str, encryption: Encryption, phi: bool) -> CloudResource {
    CloudResource {
        arn: arn.into(),
        kind: kind.into(),
        region: arn
            .split(':')
            .nth(3)
            .filter(|r| !r.is_empty())
            .map(str::to_owned),
        name: arn.rsplit([':', '/']).next().unwrap().into(),
        tags: if phi {
            [("phi".to_owned(), "true".to_owned())].into()
        } else {
            Default::default()
        },
        encryption,
        holds_phi: phi,
    }
}

fn inventory(volumes: usize) -> Vec<CloudResource> {
    let mut resources = vec![
        resource(
            "arn:aws:s3:::patient-exports",
            "s3.bucket",
            Encryption::Encrypted {
                key: Some("arn:aws:kms:us-east-1:111122223333:key/k1".into()),
            },
            true,
        ),
        resource(
            "arn:aws:iam::111122223333:user/dana",
            "iam.user",
            Encryption::NotApplicable,
            false,
        ),
    ];
    resources.extend((0..volumes).map(|n| {
        resource(
            &format!("arn:aws:ec2:us-east-1:111122223333:volume/vol-{n:04}"),
            "ec2.volume",
            if n % 2 == 0 {
                Encryption::Unencrypted
            } else {
                Encryption::Unknown
            },
            n % 3 == 0,
        )
    }));
    resources.sort();
    resources
}

fn tampered(result: Result<Option<StoredInventory>, InventoryError>) -> String {
    match result {
        Err(InventoryError::Tampered { reason }) => reason,
        other => panic!("not refused as tampered: {other:?}"),
    }
}

async fn nothing_checked_is_no_inventory(db: TestDb) {
    assert_eq!(db.latest(None).await.unwrap(), None);
    // A check recorded before inventories were kept records none, and asks for none.
    db.append(
        CHECK_EVIDENCE_KIND,
        serde_json::json!({"provider": "aws", "account": "111122223333", "findings": []}),
    )
    .await;
    assert_eq!(db.latest(None).await.unwrap(), None);
}

async fn the_newest_check_replaces_the_inventory_and_reads_back_whole(db: TestDb) {
    db.check("111122223333", &inventory(3)).await;
    // More than one insert's worth of rows on either database.
    let newer = inventory(1500);
    let evidence = db.check("111122223333", &newer).await;
    let stored = db.latest(None).await.unwrap().unwrap();
    assert_eq!(stored.account, "111122223333");
    assert_eq!(stored.evidence, evidence);
    assert_eq!(stored.digest, resources::digest(&newer));
    assert_eq!(stored.resources, newer);
    assert_eq!(
        stored.taken_at,
        "2026-12-01T10:00:00Z".parse::<jiff::Timestamp>().unwrap()
    );
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM cloud_resources")
        .fetch_one(db.store.pool())
        .await
        .unwrap();
    assert_eq!(rows, 1502, "the older inventory's rows are gone");
}

async fn each_account_keeps_its_own_inventory(db: TestDb) {
    let first = db.check("111122223333", &inventory(2)).await;
    let second = db.check("444455556666", &inventory(4)).await;
    let one = db.latest(Some("111122223333")).await.unwrap().unwrap();
    assert_eq!((one.evidence, one.resources.len()), (first, 4));
    let other = db.latest(Some("444455556666")).await.unwrap().unwrap();
    assert_eq!((other.evidence, other.resources.len()), (second, 6));
    // Without an account: the one checked last.
    assert_eq!(db.latest(None).await.unwrap().unwrap().evidence, second);
    assert_eq!(db.latest(Some("999999999999")).await.unwrap(), None);
}

async fn an_edited_resource_is_refused(db: TestDb) {
    db.check("111122223333", &inventory(4)).await;
    // Someone makes an unencrypted volume look encrypted.
    db.exec(
        "UPDATE cloud_resources SET encryption = 'encrypted' \
         WHERE arn = 'arn:aws:ec2:us-east-1:111122223333:volume/vol-0000'",
    )
    .await;
    let reason = tampered(db.latest(None).await);
    assert!(
        reason.contains("the 6 resources stored for aws account 111122223333")
            && reason.contains("are not the 6 that ledger entry 0 recorded"),
        "{reason}"
    );
    // Or untags one that holds ePHI, and fixes the stored digest to match.
    db.check("111122223333", &inventory(4)).await;
    db.exec("UPDATE cloud_resources SET holds_phi = 0").await;
    let forged: Vec<CloudResource> = inventory(4)
        .into_iter()
        .map(|r| CloudResource {
            holds_phi: false,
            ..r
        })
        .collect();
    db.exec(&format!(
        "UPDATE cloud_inventories SET digest = '{}'",
        resources::digest(&forged)
    ))
    .await;
    let reason = tampered(db.latest(None).await);
    assert!(reason.contains("ledger entry 1 recorded"), "{reason}");
}

async fn a_resource_deleted_is_refused(db: TestDb) {
    db.check("111122223333", &inventory(4)).await;
    db.exec("DELETE FROM cloud_resources WHERE kind = 's3.bucket'")
        .await;
    let reason = tampered(db.latest(None).await);
    assert!(reason.contains("the 5 resources stored"), "{reason}");
    assert!(reason.contains("are not the 6"), "{reason}");
}

async fn a_deleted_inventory_is_refused(db: TestDb) {
    db.check("111122223333", &inventory(2)).await;
    db.exec("DELETE FROM cloud_resources").await;
    db.exec("DELETE FROM cloud_inventories").await;
    let reason = tampered(db.latest(None).await);
    assert!(
        reason.contains(
            "ledger entry 0 records a check of aws account 111122223333 that saw 4 resources, \
             but the database holds no inventory of it"
        ),
        "{reason}"
    );
    let error = db.latest(None).await.unwrap_err().to_string();
    assert!(error.contains("phiguard cloud check aws"), "{error}");
}

async fn a_rolled_back_inventory_is_refused(db: TestDb) {
    // The account was checked, then checked again after a volume was encrypted; someone puts
    // the first inventory back (as a restore of an old database would).
    let older = inventory(2);
    let first = db.check("111122223333", &older).await;
    db.check("111122223333", &inventory(3)).await;
    store::save(&db.store, "aws", "111122223333", first, &older)
        .await
        .unwrap();
    let reason = tampered(db.latest(None).await);
    assert!(
        reason.contains(
            "ledger entry 1 records a newer check of aws account 111122223333, but the \
             database holds the inventory of entry 0"
        ),
        "{reason}"
    );
}

async fn an_inventory_the_ledger_never_recorded_is_refused(db: TestDb) {
    let resources = inventory(2);
    let evidence = EvidenceRef {
        seq: 7,
        leaf_hash: [0; 32],
    };
    store::save(&db.store, "aws", "111122223333", evidence, &resources)
        .await
        .unwrap();
    let reason = tampered(db.latest(None).await);
    assert!(reason.contains("was added outside phiguard"), "{reason}");
    // Also when the ledger has checks, but none at the entry it claims.
    db.check("444455556666", &inventory(1)).await;
    let reason = tampered(db.latest(Some("111122223333")).await);
    assert!(reason.contains("was added outside phiguard"), "{reason}");
}

/// Entries of other kinds that quote a check, however many, record no inventory.
async fn entries_that_only_quote_an_account_are_ignored(db: TestDb) {
    let resources = inventory(2);
    let evidence = db.check("111122223333", &resources).await;
    let forged = inventory(5);
    for _ in 0..150 {
        db.append(
            "note.quote",
            serde_json::json!({
                "account": "111122223333",
                "quoted": {"kind": CHECK_EVIDENCE_KIND, "inventory": store::ledger_fields(&forged)},
            }),
        )
        .await;
    }
    let stored = db.latest(Some("111122223333")).await.unwrap().unwrap();
    assert_eq!((stored.evidence, stored.resources), (evidence, resources));
}
