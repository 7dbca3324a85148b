//! The ledger against real databases: appends, proofs, checkpoints, and tampering that
//! `verify` must catch. Every test runs on SQLite and on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failure with its location

use std::collections::BTreeSet;

use phiguard_core::{Evidence, Source};
use phiguard_ledger::merkle::{self, Hash};
use phiguard_ledger::note::{Checkpoint, SigningKey};
use phiguard_ledger::{Ledger, LedgerError, Tamper, bundle, entry};
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
}

phiguard_testkit::on_both_databases!(
    appends_are_numbered_in_order_and_read_back_exactly,
    concurrent_appends_get_distinct_consecutive_numbers,
    proofs_from_the_database_verify,
    checkpoints_are_signed_and_not_repeated,
    an_untouched_ledger_verifies,
    one_changed_byte_in_an_entry_is_found,
    a_deleted_entry_is_found,
    two_swapped_entries_are_found,
    a_truncated_log_is_found_by_its_checkpoint,
    a_rewritten_history_with_recomputed_hashes_is_found_by_its_checkpoint,
    a_checkpoint_signed_by_another_key_is_found,
    a_checkpoint_for_another_log_is_found,
    a_forged_checkpoint_with_the_right_key_but_wrong_root_is_found,
    verifying_with_the_wrong_key_fails,
    a_failed_append_is_reported_and_stores_nothing,
    an_exported_bundle_verifies_offline_and_tampering_is_found,
    closing_the_store_does_not_wait_on_an_idle_ledger_writer,
);

fn evidence(n: u64) -> Evidence {
    Evidence {
        kind: "test.event".into(),
        time: "2026-11-28T10:00:00Z".parse().unwrap(),
        source: Source {
            host: Some("db-01".into()),
            agent: "phiguard/test".into(),
            actor: None,
        },
        body: serde_json::json!({ "n": n }),
    }
}

fn signer() -> SigningKey {
    SigningKey::generate("clinic.example/phiguard").unwrap()
}

async fn filled(db: &TestDb, count: u64) -> Ledger {
    let ledger = Ledger::open(db.store.clone());
    let batch: Vec<Evidence> = (0..count).map(evidence).collect();
    ledger.append_many(&batch).await.unwrap();
    ledger
}

async fn verdict(ledger: &Ledger, key: &SigningKey) -> Result<(), Tamper> {
    ledger
        .verify(&key.verifier(), &[], &mut |_, _| {})
        .await
        .unwrap()
        .map(|_| ())
}

/// Stores, in place of any checkpoint at `size`, one signed by `key` for `origin` and `root`:
/// what someone with write access to the database could plant.
async fn plant_checkpoint(db: &TestDb, key: &SigningKey, origin: &str, size: u64, root: Hash) {
    let note = key
        .sign_checkpoint(&Checkpoint {
            origin: origin.into(),
            size,
            root,
            extensions: vec![],
        })
        .unwrap();
    db.exec(&format!(
        "DELETE FROM ledger_checkpoints WHERE size = {size}"
    ))
    .await;
    sqlx::query("INSERT INTO ledger_checkpoints (size, note, created_at) VALUES ($1, $2, 'x')")
        .bind(size as i64)
        .bind(note)
        .execute(db.store.pool())
        .await
        .unwrap();
}

async fn appends_are_numbered_in_order_and_read_back_exactly(db: TestDb) {
    let ledger = Ledger::open(db.store.clone());
    for n in 0..5 {
        let reference = ledger.append(&evidence(n)).await.unwrap();
        assert_eq!(reference.seq, n);
        let stored = ledger.get(n).await.unwrap().unwrap();
        assert_eq!(stored.entry, entry::encode(&evidence(n)).unwrap());
        assert_eq!(stored.leaf_hash, merkle::leaf_hash(stored.entry.as_bytes()));
        assert_eq!(reference.leaf_hash, stored.leaf_hash);
    }
    assert_eq!(ledger.size().await.unwrap(), 5);
    assert!(ledger.get(5).await.unwrap().is_none());
    let tail: Vec<u64> = ledger
        .tail(3)
        .await
        .unwrap()
        .iter()
        .map(|e| e.seq)
        .collect();
    assert_eq!(tail, vec![2, 3, 4]);
    // The stored root equals the RFC 6962 root of the entries as stored.
    let leaves: Vec<Hash> = (0..5)
        .map(|n| merkle::leaf_hash(entry::encode(&evidence(n)).unwrap().as_bytes()))
        .collect();
    assert_eq!(
        ledger.root(5).await.unwrap(),
        merkle::root_of_leaves(&leaves)
    );
}

async fn concurrent_appends_get_distinct_consecutive_numbers(db: TestDb) {
    let ledger = Ledger::open(db.store.clone());
    // Two writers, as two processes would be: each with its own appender task.
    let other = Ledger::open(db.store.clone());
    let mut tasks = Vec::new();
    for task in 0..32u64 {
        let ledger = if task % 2 == 0 {
            ledger.clone()
        } else {
            other.clone()
        };
        tasks.push(tokio::spawn(async move {
            let mut seqs = Vec::new();
            for i in 0..20 {
                seqs.push(ledger.append(&evidence(task * 1000 + i)).await.unwrap().seq);
            }
            seqs
        }));
    }
    let mut all = BTreeSet::new();
    for task in tasks {
        for seq in task.await.unwrap() {
            assert!(all.insert(seq), "sequence number {seq} given twice");
        }
    }
    assert_eq!(all, (0..640).collect::<BTreeSet<u64>>());
    verdict(&ledger, &signer()).await.unwrap();
}

async fn proofs_from_the_database_verify(db: TestDb) {
    let ledger = filled(&db, 37).await;
    for size in [1u64, 2, 3, 8, 13, 16, 37] {
        let root = ledger.root(size).await.unwrap();
        for seq in (0..size).step_by(5).chain([size - 1]) {
            let proof = ledger.inclusion_proof(seq, size).await.unwrap();
            assert_eq!(proof.root, root);
            merkle::verify_inclusion(seq, size, &proof.leaf_hash, &proof.proof, &root).unwrap();
            // The same proof does not prove a different entry.
            let other = merkle::leaf_hash(b"not the entry");
            assert!(merkle::verify_inclusion(seq, size, &other, &proof.proof, &root).is_err());
        }
        for old in [1u64, 3, 8, size] {
            if old > size {
                continue;
            }
            let proof = ledger.consistency_proof(old, size).await.unwrap();
            merkle::verify_consistency(old, size, &proof.old_root, &root, &proof.proof).unwrap();
        }
    }
    let err = ledger.inclusion_proof(3, 38).await.unwrap_err();
    assert!(
        matches!(
            err,
            LedgerError::BeyondEnd {
                asked: 38,
                size: 37
            }
        ),
        "{err}"
    );
}

async fn checkpoints_are_signed_and_not_repeated(db: TestDb) {
    let key = signer();
    let ledger = filled(&db, 10).await;
    let first = ledger.checkpoint(&key).await.unwrap();
    let opened = phiguard_ledger::note::open_checkpoint(&first.note, &key.verifier()).unwrap();
    assert_eq!(
        (opened.size, opened.root),
        (10, ledger.root(10).await.unwrap())
    );
    assert_eq!(opened.origin, key.name());
    // Nothing new: the same checkpoint comes back.
    assert_eq!(ledger.checkpoint(&key).await.unwrap(), first);
    ledger.append(&evidence(99)).await.unwrap();
    let second = ledger.checkpoint(&key).await.unwrap();
    assert_eq!(second.size, 11);
    assert_eq!(ledger.latest_checkpoint().await.unwrap().unwrap(), second);
    assert_eq!(ledger.checkpoints().await.unwrap().len(), 2);
}

async fn an_untouched_ledger_verifies(db: TestDb) {
    let key = signer();
    let ledger = filled(&db, 300).await;
    ledger.checkpoint(&key).await.unwrap();
    ledger.append(&evidence(1000)).await.unwrap();
    let report = ledger
        .verify(&key.verifier(), &[], &mut |_, _| {})
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.entries, 301);
    assert_eq!(report.latest_checkpoint, Some(300));
    assert_eq!(report.unsigned_entries, 1);
}

async fn one_changed_byte_in_an_entry_is_found(db: TestDb) {
    let key = signer();
    let ledger = filled(&db, 20).await;
    ledger.checkpoint(&key).await.unwrap();
    // {"n":7} becomes {"n":8}: one byte.
    db.exec("UPDATE ledger_entries SET entry = REPLACE(entry, '\"n\":7', '\"n\":8') WHERE seq = 7")
        .await;
    assert_eq!(
        verdict(&ledger, &key).await,
        Err(Tamper::EntryAltered { seq: 7 })
    );
}

async fn a_deleted_entry_is_found(db: TestDb) {
    let key = signer();
    let ledger = filled(&db, 20).await;
    db.exec("DELETE FROM ledger_entries WHERE seq = 5").await;
    assert_eq!(
        verdict(&ledger, &key).await,
        Err(Tamper::EntryMissing { seq: 5, next: 6 })
    );
}

async fn two_swapped_entries_are_found(db: TestDb) {
    let key = signer();
    let ledger = filled(&db, 20).await;
    // Move entry 3's row to 4 and 4's to 3, hashes and all.
    db.exec("UPDATE ledger_entries SET seq = -1 WHERE seq = 3")
        .await;
    db.exec("UPDATE ledger_entries SET seq = 3 WHERE seq = 4")
        .await;
    db.exec("UPDATE ledger_entries SET seq = 4 WHERE seq = -1")
        .await;
    let verdict = verdict(&ledger, &key).await;
    assert!(
        matches!(
            verdict,
            Err(Tamper::EntryAltered { seq: 3 } | Tamper::HashesAltered { seq: 3 })
        ),
        "{verdict:?}"
    );
}

async fn a_truncated_log_is_found_by_its_checkpoint(db: TestDb) {
    let key = signer();
    let ledger = filled(&db, 20).await;
    ledger.checkpoint(&key).await.unwrap();
    db.exec("DELETE FROM ledger_entries WHERE seq >= 17").await;
    assert_eq!(
        verdict(&ledger, &key).await,
        Err(Tamper::CheckpointBeyondEnd {
            size: 20,
            entries: 17
        })
    );
    // Nor will the ledger sign the shortened log.
    let err = ledger.checkpoint(&key).await.unwrap_err();
    assert!(matches!(err, LedgerError::Inconsistent { .. }), "{err}");
}

/// An attacker who rewrites entry 4 and recomputes every stored hash after it leaves a
/// self-consistent tree; only the signed checkpoint can tell.
async fn a_rewritten_history_with_recomputed_hashes_is_found_by_its_checkpoint(db: TestDb) {
    let key = signer();
    let ledger = filled(&db, 12).await;
    ledger.checkpoint(&key).await.unwrap();
    let mut forged: Vec<String> = Vec::new();
    for stored in ledger.tail(12).await.unwrap() {
        forged.push(if stored.seq == 4 {
            entry::encode(&evidence(4444)).unwrap()
        } else {
            stored.entry
        });
    }
    let mut frontier = merkle::Frontier::empty();
    for (seq, text) in forged.iter().enumerate() {
        let hashes: Vec<u8> = frontier
            .append(merkle::leaf_hash(text.as_bytes()))
            .iter()
            .flat_map(|(_, h)| h.to_vec())
            .collect();
        sqlx::query("UPDATE ledger_entries SET entry = $1, hashes = $2 WHERE seq = $3")
            .bind(text.as_str())
            .bind(hashes)
            .bind(seq as i64)
            .execute(db.store.pool())
            .await
            .unwrap();
    }
    assert_eq!(
        verdict(&ledger, &key).await,
        Err(Tamper::CheckpointRoot { size: 12 })
    );
}

async fn a_checkpoint_signed_by_another_key_is_found(db: TestDb) {
    let key = signer();
    let ledger = filled(&db, 8).await;
    ledger.checkpoint(&key).await.unwrap();
    let impostor = SigningKey::generate(key.name()).unwrap();
    let root = ledger.root(8).await.unwrap();
    plant_checkpoint(&db, &impostor, key.name(), 8, root).await;
    let verdict = verdict(&ledger, &key).await;
    assert!(
        matches!(verdict, Err(Tamper::CheckpointSignature { size: 8, .. })),
        "{verdict:?}"
    );
    // Nor is a new checkpoint signed on top of the impostor's.
    ledger.append(&evidence(100)).await.unwrap();
    let err = ledger.checkpoint(&key).await.unwrap_err();
    assert!(matches!(err, LedgerError::Inconsistent { .. }), "{err}");
}

async fn a_checkpoint_for_another_log_is_found(db: TestDb) {
    let key = signer();
    let ledger = filled(&db, 4).await;
    let root = ledger.root(4).await.unwrap();
    plant_checkpoint(&db, &key, "another.example/log", 4, root).await;
    let verdict = verdict(&ledger, &key).await;
    assert!(
        matches!(verdict, Err(Tamper::CheckpointOrigin { size: 4, .. })),
        "{verdict:?}"
    );
}

async fn a_forged_checkpoint_with_the_right_key_but_wrong_root_is_found(db: TestDb) {
    let key = signer();
    let ledger = filled(&db, 8).await;
    ledger.checkpoint(&key).await.unwrap();
    plant_checkpoint(&db, &key, key.name(), 8, [7; 32]).await;
    assert_eq!(
        verdict(&ledger, &key).await,
        Err(Tamper::CheckpointRoot { size: 8 })
    );
}

async fn verifying_with_the_wrong_key_fails(db: TestDb) {
    let ledger = filled(&db, 3).await;
    ledger.checkpoint(&signer()).await.unwrap();
    let verdict = verdict(&ledger, &signer()).await;
    assert!(
        matches!(verdict, Err(Tamper::CheckpointSignature { size: 3, .. })),
        "{verdict:?}"
    );
}

async fn a_failed_append_is_reported_and_stores_nothing(db: TestDb) {
    let ledger = filled(&db, 3).await;
    // With entry texts made unique, the batch's repeated entry makes the database refuse it;
    // the whole batch must fail, the entries before the repeat included.
    db.exec("CREATE UNIQUE INDEX one_per_entry_text ON ledger_entries (entry)")
        .await;
    let batch = vec![evidence(10), evidence(11), evidence(10)];
    let err = ledger.append_many(&batch).await.unwrap_err();
    assert!(matches!(err, LedgerError::AppendFailed(_)), "{err}");
    assert_eq!(ledger.size().await.unwrap(), 3);
    // The writer recovers: the next append continues the sequence.
    assert_eq!(ledger.append(&evidence(12)).await.unwrap().seq, 3);
    verdict(&ledger, &signer()).await.unwrap();
}

async fn an_exported_bundle_verifies_offline_and_tampering_is_found(db: TestDb) {
    let key = signer();
    let ledger = filled(&db, 50).await;
    ledger.checkpoint(&key).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bundle");
    let manifest = ledger.export(&out, 50, &mut |_, _| {}).await.unwrap();
    assert_eq!((manifest.entries, manifest.checkpoints), (50, 1));
    let report = bundle::verify_bundle(&out, &key.verifier(), &[], &mut |_| {})
        .unwrap()
        .unwrap();
    assert_eq!((report.entries, report.unsigned_entries), (50, 0));
    // Export never overwrites.
    assert!(ledger.export(&out, 50, &mut |_, _| {}).await.is_err());

    let entries = out.join("entries.jsonl");
    let original = std::fs::read_to_string(&entries).unwrap();

    // One changed byte.
    std::fs::write(&entries, original.replacen("\"n\":9}", "\"n\":8}", 1)).unwrap();
    let verdict = bundle::verify_bundle(&out, &key.verifier(), &[], &mut |_| {}).unwrap();
    assert_eq!(verdict, Err(Tamper::CheckpointRoot { size: 50 }));

    // A stray file for a size that has a checkpoint already.
    std::fs::write(out.join("checkpoints/050.note"), "x").unwrap();
    let err = bundle::verify_bundle(&out, &key.verifier(), &[], &mut |_| {}).unwrap_err();
    assert!(err.to_string().contains("plain decimal"), "{err}");
    std::fs::remove_file(out.join("checkpoints/050.note")).unwrap();

    // The last entry removed.
    let lines: Vec<&str> = original.lines().collect();
    std::fs::write(&entries, format!("{}\n", lines[..49].join("\n"))).unwrap();
    let verdict = bundle::verify_bundle(&out, &key.verifier(), &[], &mut |_| {}).unwrap();
    assert_eq!(
        verdict,
        Err(Tamper::CheckpointBeyondEnd {
            size: 50,
            entries: 49
        })
    );

    // Cut in the middle of a line.
    std::fs::write(&entries, &original[..original.len() - 5]).unwrap();
    let err = bundle::verify_bundle(&out, &key.verifier(), &[], &mut |_| {}).unwrap_err();
    assert!(err.to_string().contains("cut short"), "{err}");

    // An extra entry appended after the last checkpoint: not signed, so not accepted.
    std::fs::write(&entries, format!("{original}{}\n", lines[0])).unwrap();
    let err = bundle::verify_bundle(&out, &key.verifier(), &[], &mut |_| {}).unwrap_err();
    assert!(err.to_string().contains("not covered"), "{err}");

    // The checkpoints removed: nothing left to trust.
    std::fs::write(&entries, &original).unwrap();
    let note = std::fs::read_to_string(out.join("checkpoints/50.note")).unwrap();
    std::fs::remove_file(out.join("checkpoints/50.note")).unwrap();
    let err = bundle::verify_bundle(&out, &key.verifier(), &[], &mut |_| {}).unwrap_err();
    assert!(err.to_string().contains("no signed checkpoint"), "{err}");
    std::fs::write(out.join("checkpoints/50.note"), note).unwrap();

    // The wrong key.
    let verdict = bundle::verify_bundle(&out, &signer().verifier(), &[], &mut |_| {}).unwrap();
    assert!(
        matches!(verdict, Err(Tamper::CheckpointSignature { .. })),
        "{verdict:?}"
    );
}

async fn closing_the_store_does_not_wait_on_an_idle_ledger_writer(db: TestDb) {
    let ledger = filled(&db, 3).await;
    // The ledger (and its writer) is still alive while the store closes.
    let closed =
        tokio::time::timeout(std::time::Duration::from_secs(10), db.store.clone().close()).await;
    assert!(
        closed.is_ok(),
        "closing the store hung on the ledger writer"
    );
    drop(ledger);
}

#[tokio::test]
async fn an_entry_with_a_bad_kind_is_refused_before_anything_is_written() {
    let db = TestDb::sqlite().await;
    let ledger = Ledger::open(db.store.clone());
    let mut bad = evidence(1);
    bad.kind = "Not A Kind".into();
    let err = ledger.append_many(&[evidence(0), bad]).await.unwrap_err();
    assert!(err.to_string().contains("dotted lowercase"), "{err}");
    assert_eq!(ledger.size().await.unwrap(), 0);
}

#[tokio::test]
async fn appending_to_a_closed_database_is_an_error_not_a_panic() {
    let db = TestDb::sqlite().await;
    let ledger = Ledger::open(db.store.clone());
    db.store.pool().close().await;
    let err = ledger.append(&evidence(0)).await.unwrap_err();
    assert!(matches!(err, LedgerError::AppendFailed(_)), "{err}");
}

/// Verification reads in pages of 16,384 entries; a ledger of several pages must verify, and
/// damage deep in a later page must still be named exactly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verification_across_many_pages() {
    let db = TestDb::sqlite().await;
    let key = signer();
    let ledger = filled(&db, 40_000).await;
    ledger.checkpoint(&key).await.unwrap();
    let mut pages_seen = Vec::new();
    let report = ledger
        .verify(&key.verifier(), &[], &mut |done, _| pages_seen.push(done))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.entries, 40_000);
    // Progress after every page: equal pages, the last one short.
    let page = pages_seen[0];
    assert!(pages_seen.len() > 2, "{pages_seen:?}");
    for (i, done) in pages_seen.iter().enumerate() {
        assert_eq!(*done, ((i as u64 + 1) * page).min(40_000), "{pages_seen:?}");
    }
    db.exec("UPDATE ledger_entries SET entry = REPLACE(entry, '\"n\":33000', '\"n\":33001') WHERE seq = 33000")
        .await;
    assert_eq!(
        verdict(&ledger, &key).await,
        Err(Tamper::EntryAltered { seq: 33000 })
    );
    db.exec("DELETE FROM ledger_entries WHERE seq = 20000")
        .await;
    assert_eq!(
        verdict(&ledger, &key).await,
        Err(Tamper::EntryMissing {
            seq: 20000,
            next: 20001
        })
    );
}
