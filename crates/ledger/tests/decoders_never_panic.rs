//! Every decoder of outside input in the ledger answers arbitrary bytes with a value or an
//! error, never a panic: keys and notes come from users and auditors, checkpoints and entries
//! from databases and bundles that may have been tampered with.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failure with its location

use phiguard_ledger::note::{self, Checkpoint, CosignerKey, SigningKey, VerifierKey};
use phiguard_ledger::{Anchor, bundle, entry};
use proptest::prelude::*;

fn signed_checkpoint() -> (String, VerifierKey) {
    let key = SigningKey::generate("clinic.example/ledger").unwrap();
    let note = key
        .sign_checkpoint(&Checkpoint {
            origin: "clinic.example/ledger".into(),
            size: 3,
            root: [9; 32],
            extensions: vec![],
        })
        .unwrap();
    (note, key.verifier())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_text_as_keys_notes_checkpoints_and_entries(text in "\\PC{0,200}") {
        let _ = VerifierKey::parse(&text);
        let _ = SigningKey::from_private_key(&text);
        let _ = Checkpoint::parse_text(&text);
        let _ = note::note_text(&text);
        let _ = entry::decode(&text);
        let _ = entry::validate_kind(&text);
        let _ = entry::parse_body(&text);
        let _ = CosignerKey::parse(&text);
        let (_, key) = signed_checkpoint();
        let _ = key.open(&text);
        let _ = note::open_checkpoint(&text, &key);
        let _ = Anchor::open(&text, "test".into(), &key, &[]);
        let witness = SigningKey::generate("auditor.example/witness").unwrap();
        let _ = witness.cosigner().verify(&text);
    }

    /// Mutations of a real cosigned checkpoint: the cosignature either still verifies (the
    /// mutation did not touch what it signs) or is rejected, never a panic.
    #[test]
    fn mutated_cosigned_checkpoints(position in 0usize..500, replacement in "\\PC{0,3}") {
        let (note, _) = signed_checkpoint();
        let witness = SigningKey::generate("auditor.example/witness").unwrap();
        let cosigned = witness.cosign(&note, 1_800_000_000).unwrap();
        let mut chars: Vec<char> = cosigned.chars().collect();
        let at = position % chars.len();
        chars.splice(at..=at, replacement.chars());
        let mutated: String = chars.into_iter().collect();
        if let Ok(time) = witness.cosigner().verify(&mutated) {
            prop_assert_eq!(time, 1_800_000_000);
            prop_assert_eq!(note::note_text(&mutated).unwrap(), note::note_text(&note).unwrap());
        }
    }

    /// Mutations of a real signed checkpoint: the shapes most likely to reach deep into the
    /// parser. Whatever the mutation, the note either still opens to the same checkpoint
    /// (a change that does not touch the signed text) or is rejected.
    #[test]
    fn mutated_signed_checkpoints(position in 0usize..400, replacement in "\\PC{0,3}") {
        let (note, key) = signed_checkpoint();
        let mut chars: Vec<char> = note.chars().collect();
        let at = position % chars.len();
        chars.splice(at..=at, replacement.chars());
        let mutated: String = chars.into_iter().collect();
        if let Ok(checkpoint) = note::open_checkpoint(&mutated, &key) {
            prop_assert_eq!(checkpoint, note::open_checkpoint(&note, &key).unwrap());
        }
    }
}

/// Arbitrary bytes in every file of a bundle give a verdict or an error, never a panic, and
/// never a "valid" bundle.
#[test]
fn arbitrary_bundle_files_never_verify_and_never_panic() {
    let (note, key) = signed_checkpoint();
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(300));
    runner
        .run(
            &(
                proptest::collection::vec(any::<u8>(), 0..300),
                proptest::collection::vec(any::<u8>(), 0..300),
            ),
            |(manifest, entries)| {
                let dir = tempfile::tempdir().unwrap();
                std::fs::create_dir(dir.path().join("checkpoints")).unwrap();
                std::fs::write(dir.path().join("checkpoints/3.note"), &note).unwrap();
                std::fs::write(dir.path().join("manifest.json"), &manifest).unwrap();
                std::fs::write(dir.path().join("entries.jsonl"), &entries).unwrap();
                let outcome = bundle::verify_bundle(dir.path(), &key, &[], &mut |_| {});
                prop_assert!(!matches!(outcome, Ok(Ok(_))));
                Ok(())
            },
        )
        .unwrap();
}
