//! The register against real databases: changes written with their ledger entries, history,
//! refusals that leave everything as it was, and edits made behind phiguard's back. Every test
//! runs on SQLite and on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failure with its location

use jiff::Timestamp;
use jiff::civil::date;
use phiguard_core::Source;
use phiguard_ledger::Ledger;
use phiguard_ledger::note::SigningKey;
use phiguard_register::records::{
    AssuranceKind, AssuranceReport, Baa, BaaStatus, PhiUse, Responsibility, ResponsibilityRecord,
    Vendor,
};
use phiguard_register::{Action, Applied, Change, Kind, Register, RegisterError};
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

    fn register(&self) -> Register {
        Register::new(self.store.clone())
    }

    async fn ledger_size(&self) -> u64 {
        Ledger::open(self.store.clone()).size().await.unwrap()
    }

    /// Verifies the whole ledger against a checkpoint signed now.
    async fn ledger_verifies(&self) {
        let ledger = Ledger::open(self.store.clone());
        let key = SigningKey::generate("test").unwrap();
        ledger.checkpoint(&key).await.unwrap();
        let report = ledger
            .verify(&key.verifier(), &[], &mut |_, _| {})
            .await
            .unwrap();
        assert!(report.is_ok(), "{report:?}");
    }
}

phiguard_testkit::on_both_databases!(
    every_change_is_in_the_ledger_with_its_actor_and_before_and_after,
    a_change_that_changes_nothing_records_nothing,
    refused_changes_leave_the_register_and_the_ledger_as_they_were,
    a_record_still_named_by_another_cannot_be_removed,
    register_changes_and_ledger_appends_from_many_tasks_keep_one_verified_tree,
    an_edit_behind_phiguards_back_is_found,
    a_removal_behind_phiguards_back_is_found,
    an_older_state_put_back_is_found,
    a_register_edited_behind_phiguards_back_is_refused_naming_every_record,
    a_record_copied_from_another_register_is_refused,
    reads_during_changes_never_mistake_them_for_tampering,
    a_closed_database_is_an_error_not_a_panic,
    assurance_reports_and_what_vendors_do_with_phi_are_stored_with_their_history,
    records_that_contradict_themselves_are_refused_and_nothing_is_written,
);

fn alice() -> Source {
    Source {
        host: None,
        agent: "phiguard/test".into(),
        actor: Some("alice".into()),
    }
}

/// Makes `changes` as alice, now.
async fn as_alice(register: &Register, changes: &[Change]) -> Result<Vec<Applied>, RegisterError> {
    register.apply(changes, &alice(), now()).await
}

fn now() -> Timestamp {
    "2026-11-28T12:00:00Z".parse().unwrap()
}

fn vendor(id: &str, touches_phi: bool) -> Vendor {
    Vendor {
        id: id.into(),
        name: format!("{id} Inc."),
        services: vec!["hosting".into()],
        touches_phi,
        phi_uses: Vec::new(),
        phi_encrypted_only: false,
        systems: Vec::new(),
        contact: None,
        notes: None,
    }
}

fn baa(id: &str, vendor: &str) -> Baa {
    Baa {
        id: id.into(),
        vendor: vendor.into(),
        status: BaaStatus::Signed,
        signed: Some(date(2026, 1, 15)),
        effective: Some(date(2026, 2, 1)),
        expires: Some(date(2028, 1, 31)),
        breach_notice_days: Some(30),
        return_or_destroy: true,
        subcontractor_flow_down: true,
        security_incident_reporting: true,
        document: None,
    }
}

fn report(id: &str, vendor: &str) -> AssuranceReport {
    AssuranceReport {
        id: id.into(),
        vendor: vendor.into(),
        kind: AssuranceKind::Soc2Type2,
        period_start: date(2025, 10, 1),
        period_end: date(2026, 9, 30),
        issuer: "Example & Partners LLP".into(),
        scope: Some("object storage".into()),
        document: None,
    }
}

/// A matrix row the vendor carries.
fn carried(citation: &str, responsibility: Responsibility, vendor: &str) -> ResponsibilityRecord {
    let mut row = ResponsibilityRecord::new(citation.parse().unwrap(), responsibility);
    row.vendor = Some(vendor.into());
    row
}

async fn every_change_is_in_the_ledger_with_its_actor_and_before_and_after(db: TestDb) {
    let register = db.register();
    let created = as_alice(&register, &[Change::Create(vendor("acme", true).into())])
        .await
        .unwrap();
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].change.action, Action::Create);

    let mut changed = vendor("acme", true);
    changed.name = "Acme Cloud".into();
    let bob = Source {
        actor: Some("bob".into()),
        ..alice()
    };
    register
        .apply(&[Change::Update(changed.clone().into())], &bob, now())
        .await
        .unwrap();
    let snapshot = register.snapshot().await.unwrap();
    assert_eq!(snapshot.vendors["acme"].record, changed);
    assert!(snapshot.tampered.is_empty(), "{:?}", snapshot.tampered);
    as_alice(
        &register,
        &[Change::Delete {
            kind: Kind::Vendor,
            id: "acme".into(),
        }],
    )
    .await
    .unwrap();
    assert!(register.snapshot().await.unwrap().vendors.is_empty());

    let history = register.history(Kind::Vendor, "acme").await.unwrap();
    let actions: Vec<Action> = history.iter().map(|h| h.action).collect();
    assert_eq!(actions, [Action::Create, Action::Update, Action::Delete]);
    let actors: Vec<&str> = history
        .iter()
        .map(|h| h.actor.as_deref().unwrap())
        .collect();
    assert_eq!(actors, ["alice", "bob", "alice"]);
    assert_eq!(history[0].before, None);
    assert_eq!(history[1].before.as_ref().unwrap()["name"], "acme Inc.");
    assert_eq!(history[1].after.as_ref().unwrap()["name"], "Acme Cloud");
    assert_eq!(history[2].after, None);
    assert_eq!(history[0].evidence, created[0].evidence);
    assert!(
        history
            .windows(2)
            .all(|w| w[0].evidence.seq < w[1].evidence.seq)
    );
    // The entries are ordinary ledger entries: the whole log still verifies.
    let ledger = Ledger::open(db.store.clone());
    let stored = ledger.get(history[1].evidence.seq).await.unwrap().unwrap();
    assert_eq!(stored.leaf_hash, history[1].evidence.leaf_hash);
    assert!(stored.entry.contains("\"kind\":\"register.change\""));
    db.ledger_verifies().await;
}

async fn a_change_that_changes_nothing_records_nothing(db: TestDb) {
    let register = db.register();
    as_alice(&register, &[Change::Put(vendor("acme", true).into())])
        .await
        .unwrap();
    let size = db.ledger_size().await;
    let again = as_alice(&register, &[Change::Put(vendor("acme", true).into())])
        .await
        .unwrap();
    assert!(again.is_empty());
    let same = as_alice(&register, &[Change::Update(vendor("acme", true).into())])
        .await
        .unwrap();
    assert!(same.is_empty());
    assert_eq!(db.ledger_size().await, size);
}

async fn refused_changes_leave_the_register_and_the_ledger_as_they_were(db: TestDb) {
    let register = db.register();
    as_alice(&register, &[Change::Create(vendor("acme", true).into())])
        .await
        .unwrap();
    let before = register.snapshot().await.unwrap();
    let size = db.ledger_size().await;

    let taken = as_alice(&register, &[Change::Create(vendor("acme", false).into())])
        .await
        .unwrap_err();
    assert!(
        matches!(
            taken,
            RegisterError::Exists {
                kind: Kind::Vendor,
                ..
            }
        ),
        "{taken}"
    );

    let missing = as_alice(&register, &[Change::Update(vendor("globex", true).into())])
        .await
        .unwrap_err();
    assert!(
        missing
            .to_string()
            .contains("there is no vendor \"globex\""),
        "{missing}"
    );

    // One valid and one invalid change: neither is made.
    let mut nameless = vendor("initech", true);
    nameless.name = " ".into();
    let invalid = as_alice(
        &register,
        &[
            Change::Create(vendor("globex", true).into()),
            Change::Create(nameless.into()),
        ],
    )
    .await
    .unwrap_err();
    let text = invalid.to_string();
    assert!(
        text.contains("vendor \"initech\": `name` is empty"),
        "{text}"
    );

    let dangling = as_alice(&register, &[Change::Create(baa("b1", "nobody").into())])
        .await
        .unwrap_err();
    assert!(
        dangling
            .to_string()
            .contains("it names vendor \"nobody\", which does not exist"),
        "{dangling}"
    );

    assert_eq!(register.snapshot().await.unwrap(), before);
    assert_eq!(db.ledger_size().await, size);
}

async fn a_record_still_named_by_another_cannot_be_removed(db: TestDb) {
    let register = db.register();
    as_alice(
        &register,
        &[
            Change::Create(vendor("acme", true).into()),
            Change::Create(baa("b1", "acme").into()),
        ],
    )
    .await
    .unwrap();
    let refused = as_alice(
        &register,
        &[Change::Delete {
            kind: Kind::Vendor,
            id: "acme".into(),
        }],
    )
    .await
    .unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("baa \"b1\": it names vendor \"acme\", which this change removes"),
        "{refused}"
    );
    // Removing both in one change set is fine, in either order.
    as_alice(
        &register,
        &[
            Change::Delete {
                kind: Kind::Vendor,
                id: "acme".into(),
            },
            Change::Delete {
                kind: Kind::Baa,
                id: "b1".into(),
            },
        ],
    )
    .await
    .unwrap();
    let snapshot = register.snapshot().await.unwrap();
    assert!(snapshot.vendors.is_empty() && snapshot.baas.is_empty());
}

async fn register_changes_and_ledger_appends_from_many_tasks_keep_one_verified_tree(db: TestDb) {
    let ledger = Ledger::open(db.store.clone());
    let mut tasks = Vec::new();
    for n in 0..8 {
        let register = db.register();
        let ledger = ledger.clone();
        tasks.push(tokio::spawn(async move {
            for round in 0..5 {
                let id = format!("v{n}-{round}");
                as_alice(&register, &[Change::Create(vendor(&id, n % 2 == 0).into())])
                    .await
                    .unwrap();
                let evidence = phiguard_core::Evidence {
                    kind: "test.note".into(),
                    time: now(),
                    source: alice(),
                    body: serde_json::json!({ "task": n, "round": round }),
                };
                ledger.append(&evidence).await.unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(db.ledger_size().await, 80);
    let snapshot = db.register().snapshot().await.unwrap();
    assert_eq!(snapshot.vendors.len(), 40);
    assert!(snapshot.tampered.is_empty());
    db.ledger_verifies().await;
}

async fn an_edit_behind_phiguards_back_is_found(db: TestDb) {
    let register = db.register();
    as_alice(&register, &[Change::Create(vendor("acme", true).into())])
        .await
        .unwrap();
    // Someone with database access quietly says the vendor never touches PHI.
    db.exec(
        "UPDATE register_records SET body = REPLACE(body, '\"touches_phi\":true', '\"touches_phi\":false') \
         WHERE kind = 'vendor' AND id = 'acme'",
    )
    .await;
    assert!(register.snapshot().await.is_err());
    let snapshot = register.audit().await.unwrap();
    // Judged as recorded, not as edited.
    assert!(snapshot.vendors["acme"].record.touches_phi);
    assert_eq!(snapshot.tampered.len(), 1, "{:?}", snapshot.tampered);
    assert_eq!(snapshot.tampered[0].kind, Kind::Vendor);
    assert!(
        snapshot.tampered[0]
            .detail
            .contains("changed outside phiguard")
    );
}

async fn a_removal_behind_phiguards_back_is_found(db: TestDb) {
    let register = db.register();
    as_alice(
        &register,
        &[
            Change::Create(vendor("acme", true).into()),
            Change::Create(vendor("globex", true).into()),
        ],
    )
    .await
    .unwrap();
    as_alice(
        &register,
        &[Change::Delete {
            kind: Kind::Vendor,
            id: "globex".into(),
        }],
    )
    .await
    .unwrap();
    assert!(register.snapshot().await.unwrap().tampered.is_empty());
    db.exec("DELETE FROM register_records WHERE id = 'acme'")
        .await;
    let tampered = register.audit().await.unwrap().tampered;
    assert_eq!(tampered.len(), 1, "{tampered:?}");
    assert_eq!(tampered[0].id, "acme");
    assert!(tampered[0].detail.contains("is not a deletion"));
}

async fn an_older_state_put_back_is_found(db: TestDb) {
    let register = db.register();
    let first = as_alice(&register, &[Change::Create(vendor("acme", true).into())])
        .await
        .unwrap();
    let mut changed = vendor("acme", false);
    changed.notes = Some("no PHI since the migration".into());
    as_alice(&register, &[Change::Update(changed.into())])
        .await
        .unwrap();
    // Put back the first state, consistent with its own ledger entry: the row alone looks
    // genuine; only the change index shows that a later change was recorded.
    sqlx::query(
        "UPDATE register_records SET body = $1, ledger_seq = $2, leaf_hash = $3 WHERE id = 'acme'",
    )
    .bind(serde_json::to_string(first[0].change.after.as_ref().unwrap()).unwrap())
    .bind(first[0].evidence.seq as i64)
    .bind(first[0].evidence.leaf_hash.as_slice())
    .execute(db.store.pool())
    .await
    .unwrap();
    let audit = register.audit().await.unwrap();
    assert_eq!(
        audit.vendors["acme"].record.notes.as_deref(),
        Some("no PHI since the migration")
    );
    let tampered = audit.tampered;
    assert_eq!(tampered.len(), 1, "{tampered:?}");
    assert!(
        tampered[0].detail.contains("last recorded change is entry"),
        "{tampered:?}"
    );
}

/// A draft BAA turned "signed" and a vendor deleted, both in the database: every read and
/// every change is refused, naming both records and saying what to do; only an audit reads
/// the register, as the ledger recorded it.
async fn a_register_edited_behind_phiguards_back_is_refused_naming_every_record(db: TestDb) {
    let register = db.register();
    let draft = Baa {
        status: BaaStatus::Draft,
        signed: None,
        ..baa("b1", "acme")
    };
    as_alice(
        &register,
        &[
            Change::Create(vendor("acme", true).into()),
            Change::Create(vendor("globex", false).into()),
            Change::Create(draft.clone().into()),
        ],
    )
    .await
    .unwrap();
    db.exec(
        "UPDATE register_records SET body = REPLACE(body, '\"status\":\"draft\"',          '\"status\":\"signed\",\"signed\":\"2026-01-15\"') WHERE kind = 'baa'",
    )
    .await;
    db.exec("DELETE FROM register_records WHERE kind = 'vendor' AND id = 'globex'")
        .await;
    let size = db.ledger_size().await;

    let refused = register.snapshot().await.unwrap_err();
    let RegisterError::Tampered { records } = &refused else {
        panic!("not a tampering error: {refused}");
    };
    let mut named: Vec<(Kind, &str)> = records.iter().map(|t| (t.kind, t.id.as_str())).collect();
    named.sort();
    assert_eq!(named, [(Kind::Vendor, "globex"), (Kind::Baa, "b1")]);
    let text = refused.to_string();
    for expected in [
        "baa \"b1\": the stored record differs from the state ledger entry 2 recorded",
        "vendor \"globex\": the record is gone",
        "security incident",
        "`phiguard register history KIND ID`",
        "restore the database from a backup",
        "`phiguard register check`",
    ] {
        assert!(text.contains(expected), "{expected:?} in {text}");
    }

    // Nothing is changed on top of a tampered register, not even an unrelated record: the
    // change would record the forged state as its `before`.
    let change = as_alice(&register, &[Change::Create(vendor("initech", true).into())])
        .await
        .unwrap_err();
    assert!(matches!(change, RegisterError::Tampered { .. }), "{change}");
    let preview = register
        .preview(&[Change::Create(vendor("initech", true).into())])
        .await
        .unwrap_err();
    assert!(
        matches!(preview, RegisterError::Tampered { .. }),
        "{preview}"
    );
    assert_eq!(db.ledger_size().await, size);

    // The audit judges what the ledger recorded: the BAA is still a draft, and the vendor is
    // there, each citing the entry that recorded that state.
    let audit = register.audit().await.unwrap();
    assert_eq!(audit.tampered.len(), 2, "{:?}", audit.tampered);
    assert_eq!(audit.baas["b1"].record, draft);
    assert_eq!(audit.vendors["globex"].record, vendor("globex", false));
    let history = register.history(Kind::Vendor, "globex").await.unwrap();
    assert_eq!(audit.vendors["globex"].evidence, Some(history[0].evidence));
}

/// A signed BAA copied, row and all, from another installation's database: its ledger
/// reference names an entry of the other ledger.
async fn a_record_copied_from_another_register_is_refused(db: TestDb) {
    let other = TestDb::sqlite().await;
    as_alice(
        &other.register(),
        &[
            Change::Create(vendor("acme", true).into()),
            Change::Create(baa("b1", "acme").into()),
        ],
    )
    .await
    .unwrap();
    let (body, seq, leaf): (String, i64, Vec<u8>) = sqlx::query_as(
        "SELECT body, ledger_seq, leaf_hash FROM register_records WHERE kind = 'baa'",
    )
    .fetch_one(other.store.pool())
    .await
    .unwrap();

    let register = db.register();
    as_alice(
        &register,
        &[
            Change::Create(vendor("acme", true).into()),
            Change::Create(vendor("globex", true).into()),
        ],
    )
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO register_records (kind, id, body, ledger_seq, leaf_hash)          VALUES ('baa', 'b1', $1, $2, $3)",
    )
    .bind(body)
    .bind(seq)
    .bind(leaf)
    .execute(db.store.pool())
    .await
    .unwrap();

    let refused = register.snapshot().await.unwrap_err();
    let RegisterError::Tampered { records } = &refused else {
        panic!("not a tampering error: {refused}");
    };
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!((records[0].kind, records[0].id.as_str()), (Kind::Baa, "b1"));
    assert!(
        records[0].detail.contains("the leaf hashes differ"),
        "{records:?}"
    );
    // The ledger never recorded it here, so an audit does not judge it at all.
    let audit = register.audit().await.unwrap();
    assert!(audit.baas.is_empty());
    assert_eq!(audit.tampered.len(), 1);
}

/// Reads that run while other tasks change the register see one consistent state: a record
/// and its change index never disagree half-way through another writer's commit.
async fn reads_during_changes_never_mistake_them_for_tampering(db: TestDb) {
    let writers: Vec<_> = (0..4)
        .map(|n| {
            let register = db.register();
            tokio::spawn(async move {
                for round in 0..10 {
                    let mut record = vendor(&format!("v{n}"), true);
                    record.notes = Some(format!("round {round}"));
                    as_alice(&register, &[Change::Put(record.into())])
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    let register = db.register();
    let mut reads = 0;
    while !writers.iter().all(|w| w.is_finished()) {
        if let Err(error) = register.snapshot().await {
            panic!("read {reads} during changes: {error}");
        }
        reads += 1;
    }
    for writer in writers {
        writer.await.unwrap();
    }
    assert_eq!(register.snapshot().await.unwrap().vendors.len(), 4);
}

async fn a_closed_database_is_an_error_not_a_panic(db: TestDb) {
    let register = db.register();
    db.store.clone().close().await;
    let error = as_alice(&register, &[Change::Create(vendor("acme", true).into())])
        .await
        .unwrap_err();
    assert!(!error.to_string().is_empty());
    assert!(register.snapshot().await.is_err());
}

async fn assurance_reports_and_what_vendors_do_with_phi_are_stored_with_their_history(db: TestDb) {
    let register = db.register();
    let cloud = Vendor {
        phi_uses: vec![PhiUse::Maintains, PhiUse::Transmits],
        phi_encrypted_only: true,
        ..vendor("acme", true)
    };
    let changes = [
        Change::Create(cloud.clone().into()),
        Change::Create(baa("b1", "acme").into()),
        Change::Create(report("acme-soc2-2026", "acme").into()),
        Change::Create(carried("164.310(a)(1)", Responsibility::Provider, "acme").into()),
    ];
    as_alice(&register, &changes).await.unwrap();
    let snapshot = register.snapshot().await.unwrap();
    assert!(snapshot.tampered.is_empty(), "{:?}", snapshot.tampered);
    assert_eq!(snapshot.vendors["acme"].record, cloud);
    assert!(snapshot.baas["b1"].record.security_incident_reporting);
    assert_eq!(
        snapshot.assurance_reports["acme-soc2-2026"].record,
        report("acme-soc2-2026", "acme")
    );
    assert_eq!(
        snapshot.matrix["164.310(a)(1)"].record.vendor.as_deref(),
        Some("acme")
    );

    let renewed = AssuranceReport {
        period_start: date(2026, 10, 1),
        period_end: date(2027, 9, 30),
        ..report("acme-soc2-2026", "acme")
    };
    as_alice(&register, &[Change::Update(renewed.into())])
        .await
        .unwrap();
    let history = register
        .history(Kind::Assurance, "acme-soc2-2026")
        .await
        .unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].after.as_ref().unwrap()["kind"], "soc2-type2");
    assert_eq!(
        history[1].before.as_ref().unwrap()["period_end"],
        "2026-09-30"
    );
    assert_eq!(
        history[1].after.as_ref().unwrap()["period_end"],
        "2027-09-30"
    );
    let vendor = register.history(Kind::Vendor, "acme").await.unwrap();
    let after = vendor[0].after.as_ref().unwrap();
    assert_eq!(
        after["phi_uses"],
        serde_json::json!(["maintains", "transmits"])
    );
    assert_eq!(after["phi_encrypted_only"], true);

    // The vendor is named by its report and a matrix row: it cannot go before them.
    let refused = as_alice(
        &register,
        &[Change::Delete {
            kind: Kind::Vendor,
            id: "acme".into(),
        }],
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(
        refused.contains(
            "assurance \"acme-soc2-2026\": it names vendor \"acme\", which this change removes"
        ),
        "{refused}"
    );
    assert!(
        refused.contains("responsibility \"164.310(a)(1)\": it names vendor \"acme\""),
        "{refused}"
    );
    db.ledger_verifies().await;
}

async fn records_that_contradict_themselves_are_refused_and_nothing_is_written(db: TestDb) {
    let register = db.register();
    as_alice(&register, &[Change::Create(vendor("acme", true).into())])
        .await
        .unwrap();
    let before = register.snapshot().await.unwrap();
    let size = db.ledger_size().await;

    // A provider that keeps PHI only encrypted, without the key, is still a business associate.
    let keyless = Vendor {
        phi_uses: vec![PhiUse::Maintains],
        phi_encrypted_only: true,
        ..vendor("vault", false)
    };
    let refused = as_alice(&register, &[Change::Create(keyless.into())])
        .await
        .unwrap_err()
        .to_string();
    assert!(
        refused.contains("vendor \"vault\": it is recorded as not touching PHI, yet it maintains PHI, only encrypted and without the key"),
        "{refused}"
    );
    assert!(
        refused.contains("is a business associate and needs a BAA"),
        "{refused}"
    );
    assert!(refused.contains("--touches-phi true"), "{refused}");

    let backwards = AssuranceReport {
        period_start: date(2026, 9, 30),
        period_end: date(2025, 10, 1),
        issuer: " ".into(),
        ..report("r1", "acme")
    };
    let customer = carried("164.308(a)(1)(ii)(A)", Responsibility::Customer, "acme");
    let refused = as_alice(
        &register,
        &[
            Change::Create(backwards.into()),
            Change::Create(customer.into()),
        ],
    )
    .await
    .unwrap_err()
    .to_string();
    for expected in [
        "assurance \"r1\": `issuer` is empty",
        "assurance \"r1\": `period_end` (2025-10-01) is before `period_start` (2026-09-30)",
        "only a provider or shared control is carried by a vendor",
    ] {
        assert!(refused.contains(expected), "{expected:?} in {refused}");
    }

    assert_eq!(register.snapshot().await.unwrap(), before);
    assert_eq!(db.ledger_size().await, size);
}
