//! A ledger cannot vanish or go back in time unnoticed: the checkpoint kept in the witness
//! file outside the database, and checkpoints cosigned by independent witnesses, against a
//! database that is emptied, truncated, rolled back or replaced. Every test that touches a
//! database runs on SQLite and on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failure with its location

use phiguard_core::{Evidence, Source};
use phiguard_ledger::note::{CosignerKey, SigningKey};
use phiguard_ledger::witness::{self, CosignRefusal};
use phiguard_ledger::{Anchor, CheckpointFile, Ledger, LedgerError, Tamper, bundle};
use phiguard_store::{DatabaseUrl, Store, StoreOptions};
use phiguard_testkit::PostgresDatabase;

struct TestDb {
    store: Store,
    home: tempfile::TempDir,
    _postgres: Option<PostgresDatabase>,
}

impl TestDb {
    async fn sqlite() -> TestDb {
        let home = tempfile::tempdir().unwrap();
        let url = DatabaseUrl::sqlite(home.path().join("phiguard.db"));
        TestDb {
            store: Store::open(&url, &StoreOptions::default()).await.unwrap(),
            home,
            _postgres: None,
        }
    }

    async fn postgres() -> Option<TestDb> {
        let db = phiguard_testkit::fresh_postgres_database().await?;
        let url = DatabaseUrl::parse(db.url()).unwrap();
        Some(TestDb {
            store: Store::open(&url, &StoreOptions::default()).await.unwrap(),
            home: tempfile::tempdir().unwrap(),
            _postgres: Some(db),
        })
    }

    fn witness(&self) -> CheckpointFile {
        CheckpointFile::new(self.home.path().join("ledger.witness"))
    }

    fn ledger(&self) -> Ledger {
        Ledger::open(self.store.clone()).with_witness(self.witness())
    }

    async fn exec(&self, sql: &str) {
        sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
            .execute(self.store.pool())
            .await
            .unwrap();
    }
}

phiguard_testkit::on_both_databases!(
    every_checkpoint_is_kept_in_the_witness_file,
    an_emptied_ledger_fails_against_its_witness,
    a_truncated_ledger_fails_against_its_witness,
    a_ledger_rewritten_below_the_witness_fails_and_is_not_signed_again,
    a_witness_file_signed_by_another_key_is_reported,
    a_cosigned_checkpoint_catches_a_rollback_of_the_whole_home,
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

async fn append(ledger: &Ledger, from: u64, count: u64) {
    let batch: Vec<Evidence> = (from..from + count).map(evidence).collect();
    ledger.append_many(&batch).await.unwrap();
}

async fn verdict(ledger: &Ledger, key: &SigningKey, anchors: &[Anchor]) -> Result<u64, Tamper> {
    ledger
        .verify(&key.verifier(), anchors, &mut |_, _| {})
        .await
        .unwrap()
        .map(|report| report.entries)
}

async fn every_checkpoint_is_kept_in_the_witness_file(db: TestDb) {
    let key = signer();
    let ledger = db.ledger();
    append(&ledger, 0, 5).await;
    let first = ledger.checkpoint(&key).await.unwrap();
    assert_eq!(db.witness().read().unwrap().unwrap(), first.note);
    append(&ledger, 5, 3).await;
    let second = ledger.checkpoint(&key).await.unwrap();
    assert_eq!(db.witness().read().unwrap().unwrap(), second.note);
    let report = ledger
        .verify(&key.verifier(), &[], &mut |_, _| {})
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.anchors.len(), 1);
    assert_eq!(report.anchors[0].size, 8);
}

async fn an_emptied_ledger_fails_against_its_witness(db: TestDb) {
    let key = signer();
    let ledger = db.ledger();
    append(&ledger, 0, 6).await;
    ledger.checkpoint(&key).await.unwrap();
    // Every entry and checkpoint deleted: without the witness this verifies as an empty log.
    db.exec("DELETE FROM ledger_entries").await;
    db.exec("DELETE FROM ledger_checkpoints").await;
    assert_eq!(
        verdict(&Ledger::open(db.store.clone()), &key, &[]).await,
        Ok(0),
        "the attack this closes: alone, an emptied database is a valid empty log"
    );
    match verdict(&ledger, &key, &[]).await {
        Err(Tamper::BehindAnchor {
            size: 6,
            entries: 0,
            held_in,
        }) => {
            assert!(held_in.contains("ledger.witness"), "{held_in}")
        }
        other => panic!("expected the witness to catch it, got {other:?}"),
    }
}

async fn a_truncated_ledger_fails_against_its_witness(db: TestDb) {
    let key = signer();
    let ledger = db.ledger();
    append(&ledger, 0, 9).await;
    ledger.checkpoint(&key).await.unwrap();
    // The entries after 4 and the checkpoint removed: a shorter, valid-looking log.
    db.exec("DELETE FROM ledger_entries WHERE seq >= 4").await;
    db.exec("DELETE FROM ledger_checkpoints").await;
    assert!(matches!(
        verdict(&ledger, &key, &[]).await,
        Err(Tamper::BehindAnchor {
            size: 9,
            entries: 4,
            ..
        })
    ));
    // Nor can a new checkpoint be signed over the shorter log.
    let err = ledger.checkpoint(&key).await.unwrap_err();
    assert!(
        matches!(&err, LedgerError::Inconsistent { detail } if detail.contains("rolled back")),
        "{err}"
    );
}

async fn a_ledger_rewritten_below_the_witness_fails_and_is_not_signed_again(db: TestDb) {
    let key = signer();
    let ledger = db.ledger();
    append(&ledger, 0, 4).await;
    ledger.checkpoint(&key).await.unwrap();
    // A different history of the same length and more, with its own valid hashes, as a
    // database restored from another installation's copy would be.
    db.exec("DELETE FROM ledger_entries").await;
    db.exec("DELETE FROM ledger_checkpoints").await;
    append(&Ledger::open(db.store.clone()), 100, 6).await;
    assert!(matches!(
        verdict(&ledger, &key, &[]).await,
        Err(Tamper::AnchorRoot { size: 4, .. })
    ));
    let err = ledger.checkpoint(&key).await.unwrap_err();
    assert!(matches!(err, LedgerError::Inconsistent { .. }), "{err}");
    // The witness still holds the genuine checkpoint.
    assert!(db.witness().read().unwrap().unwrap().contains("\n4\n"));
}

async fn a_witness_file_signed_by_another_key_is_reported(db: TestDb) {
    let key = signer();
    let ledger = db.ledger();
    append(&ledger, 0, 2).await;
    ledger.checkpoint(&key).await.unwrap();
    let other = signer();
    assert!(matches!(
        verdict(&ledger, &other, &[]).await,
        Err(Tamper::AnchorUnusable { .. })
    ));
    assert!(matches!(
        ledger.checkpoint(&other).await,
        Err(LedgerError::Inconsistent { .. })
    ));
}

async fn a_cosigned_checkpoint_catches_a_rollback_of_the_whole_home(db: TestDb) {
    let key = signer();
    let witness_key = SigningKey::generate("auditor.example/witness").unwrap();
    let ledger = db.ledger();
    append(&ledger, 0, 3).await;
    let first = ledger.checkpoint(&key).await.unwrap();
    let cosigned = witness::cosign(
        &first.note,
        &key.verifier(),
        None,
        None,
        &witness_key,
        1_800_000_000,
    )
    .unwrap();
    append(&ledger, 3, 4).await;
    let second = ledger.checkpoint(&key).await.unwrap();
    let proof = ledger.consistency_proof(3, 7).await.unwrap();
    let cosigned = witness::cosign(
        &second.note,
        &key.verifier(),
        Some(&cosigned),
        Some(&proof),
        &witness_key,
        1_800_000_100,
    )
    .unwrap();
    let anchor = Anchor::open(
        &cosigned,
        "the auditor's copy".into(),
        &key.verifier(),
        &[witness_key.cosigner()],
    )
    .unwrap();
    assert_eq!(anchor.cosigned_by, ["auditor.example/witness"]);
    assert_eq!(
        verdict(&ledger, &key, std::slice::from_ref(&anchor)).await,
        Ok(7)
    );

    // The whole home rolled back: database to 3 entries, witness file to the first checkpoint.
    db.exec("DELETE FROM ledger_entries WHERE seq >= 3").await;
    db.exec("DELETE FROM ledger_checkpoints WHERE size > 3")
        .await;
    db.witness().write(&first.note).unwrap();
    assert_eq!(
        verdict(&ledger, &key, &[]).await,
        Ok(3),
        "the home alone cannot tell"
    );
    assert!(matches!(
        verdict(&ledger, &key, &[anchor]).await,
        Err(Tamper::BehindAnchor {
            size: 7,
            entries: 3,
            ..
        })
    ));
}

#[test]
fn a_witness_cosigns_only_checkpoints_that_extend_what_it_cosigned() {
    let key = signer();
    let witness_key = SigningKey::generate("auditor.example/witness").unwrap();
    let cosigner = witness_key.cosigner();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let db = TestDb::sqlite().await;
        let ledger = db.ledger();
        append(&ledger, 0, 5).await;
        let five = ledger.checkpoint(&key).await.unwrap();
        append(&ledger, 5, 5).await;
        let ten = ledger.checkpoint(&key).await.unwrap();
        let proof = ledger.consistency_proof(5, 10).await.unwrap();
        let cosign = |note: &str, last: Option<&str>, proof| {
            witness::cosign(
                note,
                &key.verifier(),
                last,
                proof,
                &witness_key,
                1_800_000_000,
            )
        };

        // First sight: cosigned, and the cosignature verifies with its time.
        let at_ten = cosign(&ten.note, None, None).unwrap();
        assert_eq!(cosigner.verify(&at_ten).unwrap(), 1_800_000_000);
        // The log's own signature still opens the cosigned note.
        assert!(key.verifier().open(&at_ten).is_ok());
        // Going back is refused.
        assert!(matches!(
            cosign(&five.note, Some(&at_ten), None),
            Err(CosignRefusal::RolledBack {
                size: 5,
                cosigned: 10
            })
        ));
        // Going forward needs the proof, and the proof must be the right one.
        let at_five = cosign(&five.note, None, None).unwrap();
        assert!(matches!(
            cosign(&ten.note, Some(&at_five), None),
            Err(CosignRefusal::ProofNeeded { .. })
        ));
        assert!(cosign(&ten.note, Some(&at_five), Some(&proof)).is_ok());
        let mut forged = proof.clone();
        forged.proof[0][0] ^= 1;
        assert!(matches!(
            cosign(&ten.note, Some(&at_five), Some(&forged)),
            Err(CosignRefusal::BadProof(_))
        ));
        // A checkpoint the log did not sign is refused.
        let stranger = signer();
        let other_db = TestDb::sqlite().await;
        let other = Ledger::open(other_db.store.clone());
        append(&other, 50, 10).await;
        let foreign = other.checkpoint(&stranger).await.unwrap();
        assert!(matches!(
            cosign(&foreign.note, None, None),
            Err(CosignRefusal::NotSigned(_))
        ));
        // A different history at the same size, signed by the log's key, is a fork.
        let forked = key
            .sign(phiguard_ledger::note::note_text(&foreign.note).unwrap())
            .unwrap();
        assert!(matches!(
            cosign(&forked, Some(&at_ten), None),
            Err(CosignRefusal::Forked { size: 10 })
        ));
    });
}

#[test]
fn a_cosignature_is_bound_to_its_witness_key_and_checkpoint() {
    let key = signer();
    let witness_key = SigningKey::generate("auditor.example/witness").unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let note = runtime.block_on(async {
        let db = TestDb::sqlite().await;
        let ledger = db.ledger();
        append(&ledger, 0, 2).await;
        ledger.checkpoint(&key).await.unwrap().note
    });
    let cosigned = witness_key.cosign(&note, 1_800_000_000).unwrap();
    // The key string round-trips, with the cosignature type 0x04 in its key data.
    let text = witness_key.cosigner().to_string();
    let parsed = CosignerKey::parse(&text).unwrap();
    assert_eq!(parsed, witness_key.cosigner());
    assert!(CosignerKey::parse(&key.verifier().to_string()).is_err());
    // Its line is key ID (4) + timestamp (8) + Ed25519 signature (64).
    let line = cosigned.lines().last().unwrap();
    use base64::Engine;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(line.rsplit(' ').next().unwrap())
        .unwrap();
    assert_eq!(raw.len(), 4 + 8 + 64);
    assert_eq!(&raw[4..12], &1_800_000_000u64.to_be_bytes());
    // Another witness's key finds no cosignature; a changed time or root breaks it.
    let stranger = SigningKey::generate("auditor.example/witness").unwrap();
    assert!(stranger.cosigner().verify(&cosigned).is_err());
    let mut tampered = raw.clone();
    tampered[11] ^= 1;
    let tampered_line = format!(
        "— auditor.example/witness {}\n",
        base64::engine::general_purpose::STANDARD.encode(tampered)
    );
    let retimed = cosigned.replace(&format!("{line}\n"), &tampered_line);
    assert!(witness_key.cosigner().verify(&retimed).is_err());
    let other_root = cosigned.replacen("\n2\n", "\n3\n", 1);
    assert!(witness_key.cosigner().verify(&other_root).is_err());
}

#[test]
fn a_bundle_of_endless_or_huge_files_fails_with_the_limit_named() {
    let key = signer();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bundle");
    runtime.block_on(async {
        let db = TestDb::sqlite().await;
        let ledger = db.ledger();
        append(&ledger, 0, 3).await;
        let checkpoint = ledger.checkpoint(&key).await.unwrap();
        ledger
            .export(&out, checkpoint.size, &mut |_, _| {})
            .await
            .unwrap();
    });
    let verify = |dir: &std::path::Path| {
        bundle::verify_bundle(dir, &key.verifier(), &[], &mut |_| {})
            .unwrap_err()
            .to_string()
    };
    let copy = |name: &str| {
        let to = dir.path().join(name);
        std::fs::create_dir(&to).unwrap();
        std::fs::create_dir(to.join("checkpoints")).unwrap();
        for file in ["manifest.json", "entries.jsonl"] {
            std::fs::copy(out.join(file), to.join(file)).unwrap();
        }
        for item in std::fs::read_dir(out.join("checkpoints")).unwrap() {
            let item = item.unwrap();
            std::fs::copy(item.path(), to.join("checkpoints").join(item.file_name())).unwrap();
        }
        to
    };
    let endless = |path: std::path::PathBuf| {
        std::fs::remove_file(&path).ok();
        std::os::unix::fs::symlink("/dev/zero", &path).unwrap();
    };
    let sparse = |path: std::path::PathBuf| {
        std::fs::remove_file(&path).ok();
        std::fs::File::create(&path)
            .unwrap()
            .set_len(10 << 30)
            .unwrap();
    };
    for (name, file, make) in [
        (
            "zero-entries",
            "entries.jsonl",
            &endless as &dyn Fn(std::path::PathBuf),
        ),
        ("huge-entries", "entries.jsonl", &sparse),
        ("zero-manifest", "manifest.json", &endless),
        ("huge-manifest", "manifest.json", &sparse),
        ("zero-checkpoint", "checkpoints/3.note", &endless),
        ("huge-checkpoint", "checkpoints/3.note", &sparse),
    ] {
        let bundle = copy(name);
        make(bundle.join(file));
        let message = verify(&bundle);
        assert!(
            message.contains("larger than") && message.contains("bytes"),
            "{name}: {message}"
        );
    }
}
