//! The examples of `docs/formats/ledger.md`, recomputed.
//!
//! Every fenced block that follows a `<!-- example: NAME -->` line of the document is an
//! example. Each is checked two ways: the block must be exactly what this code computes for it
//! (byte for byte, so a changed digit in the document or a changed encoding in the code fails,
//! and the failure shows what the block should read), and what the document shows must pass the
//! crate's own verifiers, as a second implementation reading the document would use it. Key
//! strings and key IDs are also derived here from the seed with the primitives directly, not
//! through the crate, so the examples are tied to the document's rules rather than to the code
//! that produced them. Signatures are Ed25519, which is deterministic: fixed seeds give fixed
//! notes.
//!
//! The worked example of the stored tree hashes in `docs/operations/ledger.md` is checked too.
//!
//! Only the ledger's parts without a database are used: `entry`, `merkle`, `note` and
//! `bundle`'s offline verifier.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failure with its location

use std::collections::{BTreeMap, BTreeSet};

use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use phiguard_core::{Evidence, Source, hex};
use phiguard_ledger::merkle::{self, Frontier, Hash, StoredHashes};
use phiguard_ledger::note::{self, Checkpoint, CosignerKey, SigningKey, VerifierKey};
use phiguard_ledger::{bundle, entry};
use serde_json::{Value, json};

const SPEC: &str = include_str!("../../../docs/formats/ledger.md");

/// The log's key: the `PeterNeumann` seed published with `golang.org/x/mod/sumdb/note`, under
/// the name `example.com/ledger`.
const LOG_NAME: &str = "example.com/ledger";
const LOG_SEED: &str = "810a1402d5146c8d84f2443330f54080ebf98ee17d9c74f6252fc5d5c7283173";
/// The witness's key: the secret key of RFC 8032 §7.1 test 1, under the name a phiguard
/// witness gives itself (`<installation>/witness`).
const WITNESS_NAME: &str = "auditor.example/witness";
const WITNESS_SEED: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
/// When the witness cosigned: 2026-11-28T10:05:00Z.
const COSIGNED_AT: u64 = 1_795_860_300;

/// The inputs of the tree example: transparency-dev/merkle's `testonly` leaves.
const TREE_INPUTS: [&str; 8] = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
];

/// Every example the document holds, each checked by a test below.
const EXAMPLES: [&str; 17] = [
    "entry-0",
    "entry-0-leaf",
    "entry-1-input",
    "entry-1",
    "entry-1-leaf",
    "tree",
    "log-key",
    "checkpoint-8",
    "checkpoint-0",
    "inclusion-5-8",
    "consistency-6-8",
    "witness-key",
    "cosigned-message",
    "cosigned-checkpoint-8",
    "bundle-manifest",
    "bundle-entries",
    "bundle-checkpoint",
];

/// The document's examples by name: the text of the fenced block after each marker, with its
/// final newline.
fn examples() -> BTreeMap<String, String> {
    let mut found = BTreeMap::new();
    let mut lines = SPEC.lines();
    while let Some(line) = lines.next() {
        let Some(name) = line
            .trim()
            .strip_prefix("<!-- example: ")
            .and_then(|rest| rest.strip_suffix(" -->"))
        else {
            continue;
        };
        let fence = lines.next().unwrap_or_default();
        assert!(
            fence.starts_with("```"),
            "docs/formats/ledger.md: the marker of example {name} must be followed by a fenced block"
        );
        let mut text = String::new();
        for line in lines.by_ref() {
            if line.starts_with("```") {
                break;
            }
            text.push_str(line);
            text.push('\n');
        }
        assert!(
            found.insert(name.to_owned(), text).is_none(),
            "docs/formats/ledger.md: two examples are named {name}"
        );
    }
    found
}

/// The documented block of example `name`, after checking that it reads `computed`.
fn documented(name: &str, computed: &str) -> String {
    let block = examples()
        .remove(name)
        .unwrap_or_else(|| panic!("docs/formats/ledger.md has no example {name}"));
    assert!(
        block == computed,
        "docs/formats/ledger.md, example {name}, does not show what this code computes; the \
         block should read:\n```\n{computed}```\nbut reads:\n```\n{block}```"
    );
    block
}

/// A block that holds JSON: its value must be `computed`, whatever the layout.
fn documented_json(name: &str, computed: &Value) -> Value {
    let block = examples()
        .remove(name)
        .unwrap_or_else(|| panic!("docs/formats/ledger.md has no example {name}"));
    let value: Value = serde_json::from_str(&block)
        .unwrap_or_else(|e| panic!("docs/formats/ledger.md, example {name}, is not JSON: {e}"));
    assert!(
        value == *computed,
        "docs/formats/ledger.md, example {name}, does not show what this code computes; it \
         should read:\n```json\n{}\n```",
        serde_json::to_string_pretty(computed).unwrap()
    );
    value
}

fn h(hash: &Hash) -> String {
    hex::encode(hash)
}

fn hash_of(text: &Value) -> Hash {
    hex::decode32(text.as_str().expect("a hash is a string")).expect("a hash is 64 hex digits")
}

fn hashes_of(list: &Value) -> Vec<Hash> {
    list.as_array()
        .expect("a proof is a list")
        .iter()
        .map(hash_of)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Entries

fn entry_0_evidence() -> Evidence {
    Evidence {
        kind: "ops.backup_restore".into(),
        time: "2026-11-28T10:00:00Z".parse().unwrap(),
        source: Source {
            host: Some("db-01".into()),
            agent: "phiguard/0.1.0".into(),
            actor: Some("alice".into()),
        },
        body: json!({"result": "ok", "restored_files": 1200, "duration_s": 93.5}),
    }
}

fn entry_0() -> String {
    entry::encode(&entry_0_evidence()).unwrap()
}

/// The second example entry, from the document's input block.
fn entry_1() -> String {
    let input = examples()
        .remove("entry-1-input")
        .expect("docs/formats/ledger.md has the example entry-1-input");
    let evidence: Evidence = serde_json::from_str(&input).expect("entry-1-input is evidence");
    entry::encode(&evidence).unwrap()
}

#[test]
fn the_example_entries_are_canonical_and_hash_as_documented() {
    let zero = entry_0();
    documented("entry-0", &format!("{zero}\n"));
    documented(
        "entry-0-leaf",
        &format!("{}\n", h(&merkle::leaf_hash(zero.as_bytes()))),
    );
    assert!(
        SPEC.contains(&format!("these {} bytes", zero.len())),
        "the document gives entry 0's length as {} bytes",
        zero.len()
    );

    // The input is written out of order, with an offset, an escaped character and numbers in
    // several spellings; the entry is the one canonical form of it. The input itself is held
    // to a fixed text, so that a change of it is a change of the document seen here.
    let input = examples().remove("entry-1-input").unwrap();
    let parsed: Value = serde_json::from_str(&input).unwrap();
    assert_eq!(parsed["time"], "2026-11-28T11:00:00.250+01:00");
    assert_eq!(parsed["kind"], "ops.restore_test");
    let one = entry_1();
    documented("entry-1", &format!("{one}\n"));
    documented(
        "entry-1-leaf",
        &format!("{}\n", h(&merkle::leaf_hash(one.as_bytes()))),
    );
    // The body as given to `phiguard ledger append` encodes the same way: parse_body refuses
    // only what serde_json would read twice.
    let body = entry::parse_body(&serde_json::to_string(&parsed["body"]).unwrap()).unwrap();
    assert_eq!(body, parsed["body"]);
    // An entry is one line: bundles rely on it.
    assert!(!zero.contains('\n') && !one.contains('\n'));
}

#[test]
fn every_kind_the_document_lists_is_a_valid_kind() {
    // The kinds table: the first cell of each row of the section names one or more kinds.
    let section = SPEC
        .split_once("\n### Kinds\n")
        .expect("the document has a section ### Kinds")
        .1;
    let section = section
        .split_once("\n#")
        .map_or(section, |(kinds, _)| kinds);
    let mut kinds = BTreeSet::new();
    for line in section.lines().filter(|l| l.starts_with("| `")) {
        let cell = line.split('|').nth(1).unwrap_or_default();
        for kind in cell.split('`').skip(1).step_by(2) {
            if kind.contains('.') {
                kinds.insert(kind.to_owned());
            }
        }
    }
    // Every kind phiguard appends (`Installation::record`, `check_run::record` and the
    // register's store, across the crates), as of this version of the document.
    let written = [
        "assess.result",
        "assess.sign_off",
        "cloud.check",
        "crypto.seal",
        "crypto.unseal",
        "fim.baseline",
        "fim.check",
        "fim.watch",
        "host.check",
        "host.patch",
        "keys.break_glass_enrolled",
        "keys.created",
        "keys.retired",
        "keys.rewrapped",
        "keys.rotated",
        "keys.wrapping_added",
        "keys.wrapping_removed",
        "register.change",
        "register.check",
    ];
    let written: BTreeSet<String> = written.iter().map(|k| (*k).to_owned()).collect();
    assert_eq!(
        kinds, written,
        "the kinds table of docs/formats/ledger.md lists every kind phiguard writes, and no other"
    );
    for kind in &kinds {
        entry::validate_kind(kind).unwrap_or_else(|e| panic!("{kind}: {e}"));
    }
}

// ---------------------------------------------------------------------------------------------
// The tree

/// MTH of RFC 6962 §2.1, recursively, as a second implementation of the tree.
fn mth(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => digest(&SHA256, b"").as_ref().try_into().unwrap(),
        1 => leaves[0],
        n => {
            let k = 1 << (usize::BITS - 1 - (n - 1).leading_zeros());
            let mut data = vec![0x01];
            data.extend_from_slice(&mth(&leaves[..k]));
            data.extend_from_slice(&mth(&leaves[k..]));
            digest(&SHA256, &data).as_ref().try_into().unwrap()
        }
    }
}

fn tree_leaves() -> Vec<Hash> {
    TREE_INPUTS
        .iter()
        .map(|input| {
            let mut data = vec![0x00];
            data.extend(hex::decode(input).unwrap());
            let leaf: Hash = digest(&SHA256, &data).as_ref().try_into().unwrap();
            assert_eq!(leaf, merkle::leaf_hash(&hex::decode(input).unwrap()));
            leaf
        })
        .collect()
}

/// The hashes a log of the example tree stores, as a prover reads them.
fn tree_stored() -> StoredHashes {
    let mut frontier = Frontier::empty();
    tree_leaves()
        .into_iter()
        .flat_map(|leaf| frontier.append(leaf))
        .collect()
}

fn tree_root(size: usize) -> Hash {
    let root = mth(&tree_leaves()[..size]);
    assert_eq!(root, merkle::root_of_leaves(&tree_leaves()[..size]));
    assert_eq!(
        root,
        merkle::root_from_stored(size as u64, &tree_stored()).unwrap()
    );
    root
}

#[test]
fn the_example_tree_has_the_documented_leaves_and_roots() {
    let mut text = format!("{:<4}  {:<32}  leaf hash\n", "leaf", "input (hex)");
    for (i, (input, leaf)) in TREE_INPUTS.iter().zip(tree_leaves()).enumerate() {
        let input = if input.is_empty() { "(empty)" } else { input };
        text.push_str(&format!("{i:<4}  {input:<32}  {}\n", h(&leaf)));
    }
    text.push_str("\nsize  root\n");
    for size in 0..=8 {
        text.push_str(&format!("{size:<4}  {}\n", h(&tree_root(size))));
    }
    documented("tree", &text);
}

#[test]
fn the_example_proofs_are_the_trees_and_verify() {
    let stored = tree_stored();
    let leaves = tree_leaves();

    let proof = merkle::inclusion_proof(5, 8, &stored).unwrap();
    let shown = documented_json(
        "inclusion-5-8",
        &json!({
            "seq": 5,
            "size": 8,
            "leaf_hash": h(&leaves[5]),
            "root": h(&tree_root(8)),
            "proof": proof.iter().map(h).collect::<Vec<_>>(),
        }),
    );
    let (leaf, root, path) = (
        hash_of(&shown["leaf_hash"]),
        hash_of(&shown["root"]),
        hashes_of(&shown["proof"]),
    );
    merkle::verify_inclusion(5, 8, &leaf, &path, &root).unwrap();
    // What the document says a verifier MUST reject.
    assert!(merkle::verify_inclusion(8, 8, &leaf, &path, &root).is_err());
    assert!(merkle::verify_inclusion(5, 8, &leaf, &path[..2], &root).is_err());
    let mut longer = path.clone();
    longer.push(root);
    assert!(merkle::verify_inclusion(5, 8, &leaf, &longer, &root).is_err());
    assert!(merkle::verify_inclusion(4, 8, &leaf, &path, &root).is_err());

    let proof = merkle::consistency_proof(6, 8, &stored).unwrap();
    let shown = documented_json(
        "consistency-6-8",
        &json!({
            "old_size": 6,
            "new_size": 8,
            "old_root": h(&tree_root(6)),
            "new_root": h(&tree_root(8)),
            "proof": proof.iter().map(h).collect::<Vec<_>>(),
        }),
    );
    let (old_root, new_root, path) = (
        hash_of(&shown["old_root"]),
        hash_of(&shown["new_root"]),
        hashes_of(&shown["proof"]),
    );
    merkle::verify_consistency(6, 8, &old_root, &new_root, &path).unwrap();
    assert!(merkle::verify_consistency(6, 8, &old_root, &new_root, &path[1..]).is_err());
    assert!(merkle::verify_consistency(8, 6, &new_root, &old_root, &path).is_err());
    assert!(merkle::verify_consistency(1, 2, &tree_root(1), &tree_root(2), &[]).is_err());
    merkle::verify_consistency(0, 8, &tree_root(0), &new_root, &[]).unwrap();
    merkle::verify_consistency(8, 8, &new_root, &new_root, &[]).unwrap();
    assert!(merkle::verify_consistency(8, 8, &old_root, &new_root, &[]).is_err());
}

// ---------------------------------------------------------------------------------------------
// Keys, checkpoints and cosignatures

/// A key as the document derives it from its seed, with the primitives directly.
struct DerivedKey {
    public: [u8; 32],
    /// The key ID for `signature_type`.
    id: [u8; 4],
    private: String,
    public_string: String,
}

fn derive(name: &str, seed: &str, signature_type: u8) -> DerivedKey {
    let seed = hex::decode(seed).unwrap();
    let pair = Ed25519KeyPair::from_seed_unchecked(&seed).unwrap();
    let public: [u8; 32] = pair.public_key().as_ref().try_into().unwrap();
    let key_id = |kind: u8| -> [u8; 4] {
        let mut data = name.as_bytes().to_vec();
        data.push(b'\n');
        data.push(kind);
        data.extend_from_slice(&public);
        digest(&SHA256, &data).as_ref()[..4].try_into().unwrap()
    };
    let with_type = |kind: u8, key: &[u8]| {
        let mut data = vec![kind];
        data.extend_from_slice(key);
        STANDARD.encode(data)
    };
    // A private key is always stored as an Ed25519 (0x01) key; a cosigner key names type 0x04.
    let private = format!(
        "PRIVATE+KEY+{name}+{}+{}",
        hex::encode(&key_id(0x01)),
        with_type(0x01, &seed)
    );
    let id = key_id(signature_type);
    DerivedKey {
        public,
        id,
        private,
        public_string: format!(
            "{name}+{}+{}",
            hex::encode(&id),
            with_type(signature_type, &public)
        ),
    }
}

fn log_key() -> SigningKey {
    let derived = derive(LOG_NAME, LOG_SEED, 0x01);
    let key = SigningKey::from_private_key(&derived.private).unwrap();
    assert_eq!(key.verifier().to_string(), derived.public_string);
    key
}

fn witness_key() -> SigningKey {
    let derived = derive(WITNESS_NAME, WITNESS_SEED, 0x04);
    let key = SigningKey::from_private_key(&derived.private).unwrap();
    assert_eq!(key.cosigner().to_string(), derived.public_string);
    key
}

/// The verifier key string the document shows, read back from its key block.
fn shown_field(block: &str, label: &str) -> String {
    block
        .lines()
        .find_map(|line| line.strip_prefix(label))
        .unwrap_or_else(|| panic!("the key block has a line {label:?}"))
        .trim()
        .to_owned()
}

/// The key block of the document: `labels` name the key ID and the public key string.
fn key_block(name: &str, seed: &str, signature_type: u8, labels: [&str; 2]) -> String {
    let derived = derive(name, seed, signature_type);
    let [id_label, public_label] = labels;
    format!(
        "name          {name}\n\
         seed          {seed}\n\
         public key    {}\n\
         {id_label:<14}{}\n\
         private key   {}\n\
         {public_label:<14}{}\n",
        hex::encode(&derived.public),
        hex::encode(&derived.id),
        derived.private,
        derived.public_string
    )
}

fn checkpoint(size: u64, root: Hash) -> Checkpoint {
    Checkpoint {
        origin: LOG_NAME.into(),
        size,
        root,
        extensions: Vec::new(),
    }
}

#[test]
fn the_example_log_key_signs_the_documented_checkpoints() {
    let block = documented(
        "log-key",
        &key_block(LOG_NAME, LOG_SEED, 0x01, ["key ID", "verifier key"]),
    );
    let key = log_key();
    let verifier = VerifierKey::parse(&shown_field(&block, "verifier key")).unwrap();
    assert_eq!(verifier, key.verifier());
    assert_eq!(
        *SigningKey::from_private_key(&shown_field(&block, "private key"))
            .unwrap()
            .private_key(),
        shown_field(&block, "private key")
    );

    for (name, size) in [("checkpoint-8", 8u64), ("checkpoint-0", 0)] {
        let root = tree_root(size as usize);
        let note = documented(name, &key.sign_checkpoint(&checkpoint(size, root)).unwrap());
        let opened = note::open_checkpoint(&note, &verifier).unwrap();
        assert_eq!((opened.origin.as_str(), opened.size), (LOG_NAME, size));
        assert_eq!(opened.root, root);
        // The signature, checked with the primitive over the text up to the blank line.
        let (text, line) = note.rsplit_once("\n\n").unwrap();
        let signed = format!("{text}\n");
        let raw = STANDARD
            .decode(line.trim_end().rsplit_once(' ').unwrap().1)
            .unwrap();
        assert_eq!(raw[..4], derive(LOG_NAME, LOG_SEED, 0x01).id);
        UnparsedPublicKey::new(&ED25519, verifier_public())
            .verify(signed.as_bytes(), &raw[4..])
            .unwrap();
        // The same public key under another name has another key ID, and does not open it.
        let other = VerifierKey::parse(
            "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        )
        .unwrap();
        assert!(other.open(&note).is_err());
    }
}

fn verifier_public() -> [u8; 32] {
    derive(LOG_NAME, LOG_SEED, 0x01).public
}

#[test]
fn the_example_witness_cosigns_the_documented_checkpoint() {
    let block = documented(
        "witness-key",
        &key_block(
            WITNESS_NAME,
            WITNESS_SEED,
            0x04,
            ["cosigner ID", "cosigner key"],
        ),
    );
    let witness = witness_key();
    let cosigner = CosignerKey::parse(&shown_field(&block, "cosigner key")).unwrap();
    assert_eq!(cosigner, witness.cosigner());

    let note = log_key()
        .sign_checkpoint(&checkpoint(8, tree_root(8)))
        .unwrap();
    let text = note.split_once("\n\n").unwrap().0.to_owned() + "\n";
    let message = documented(
        "cosigned-message",
        &format!("cosignature/v1\ntime {COSIGNED_AT}\n{text}"),
    );
    let cosigned = documented(
        "cosigned-checkpoint-8",
        &witness.cosign(&note, COSIGNED_AT).unwrap(),
    );
    assert_eq!(cosigner.verify(&cosigned).unwrap(), COSIGNED_AT);
    // The log's signature still opens it: a cosignature is a line of a key it does not know.
    note::open_checkpoint(&cosigned, &log_key().verifier()).unwrap();
    // The cosignature line, checked with the primitive over the documented message.
    let line = cosigned.lines().last().unwrap();
    let raw = STANDARD.decode(line.rsplit_once(' ').unwrap().1).unwrap();
    let derived = derive(WITNESS_NAME, WITNESS_SEED, 0x04);
    assert_eq!(raw.len(), 4 + 8 + 64);
    assert_eq!(raw[..4], derived.id);
    assert_eq!(raw[4..12], COSIGNED_AT.to_be_bytes());
    UnparsedPublicKey::new(&ED25519, derived.public)
        .verify(message.as_bytes(), &raw[12..])
        .unwrap();
    // A cosignature at another time does not verify.
    let mut forged = raw.clone();
    forged[11] ^= 1;
    let forged = cosigned.replace(
        line,
        &format!("— {WITNESS_NAME} {}", STANDARD.encode(forged)),
    );
    assert!(cosigner.verify(&forged).is_err());
}

// ---------------------------------------------------------------------------------------------
// The bundle

#[test]
fn the_example_bundle_verifies_offline() {
    let entries = [entry_0(), entry_1()];
    let leaves: Vec<Hash> = entries
        .iter()
        .map(|e| merkle::leaf_hash(e.as_bytes()))
        .collect();
    let root = mth(&leaves);
    let jsonl: String = entries.iter().map(|e| format!("{e}\n")).collect();
    let note = log_key().sign_checkpoint(&checkpoint(2, root)).unwrap();
    let manifest = bundle::Manifest {
        format: bundle::FORMAT.into(),
        version: bundle::FORMAT_VERSION,
        entries: 2,
        checkpoints: 1,
        latest_checkpoint: Some(2),
    };
    let manifest = serde_json::to_string_pretty(&manifest).unwrap() + "\n";

    let dir = tempfile::tempdir().unwrap();
    let bundle_dir = dir.path().join("evidence");
    std::fs::create_dir_all(bundle_dir.join("checkpoints")).unwrap();
    for (name, path, computed) in [
        ("bundle-manifest", "manifest.json", &manifest),
        ("bundle-entries", "entries.jsonl", &jsonl),
        ("bundle-checkpoint", "checkpoints/2.note", &note),
    ] {
        std::fs::write(bundle_dir.join(path), documented(name, computed)).unwrap();
    }
    let report = bundle::verify_bundle(&bundle_dir, &log_key().verifier(), &[], &mut |_| {})
        .unwrap()
        .unwrap();
    assert_eq!(report.entries, 2);
    assert_eq!(report.checkpoints, 1);
    assert_eq!(report.unsigned_entries, 0);
    assert_eq!(report.root, root);
}

#[test]
fn every_example_in_the_document_is_checked_here() {
    let found: BTreeSet<String> = examples().into_keys().collect();
    let checked: BTreeSet<String> = EXAMPLES.iter().map(|s| (*s).to_owned()).collect();
    assert_eq!(
        found, checked,
        "every `<!-- example: NAME -->` block of docs/formats/ledger.md is checked by a test here"
    );
}

/// The worked example of the stored tree hashes in `docs/operations/ledger.md`: which hashes
/// the append of each entry of the example tree stores, at which index.
#[test]
fn the_stored_hashes_table_of_the_operations_document_is_what_appends_store() {
    let operations = include_str!("../../../docs/operations/ledger.md");
    let mut frontier = Frontier::empty();
    let mut table = String::new();
    for (seq, leaf) in (0u64..).zip(tree_leaves()) {
        let stored = frontier.append(leaf);
        let cells: Vec<String> = stored
            .iter()
            .enumerate()
            .map(|(k, (index, hash))| {
                assert_eq!(*index, merkle::stored_hash_count(seq) + k as u64);
                let what = if k == 0 {
                    format!("leaf {seq}")
                } else {
                    format!("[{},{})", seq + 1 - (1 << k), seq + 1)
                };
                format!("{index}: {what} `{}`", &h(hash)[..8])
            })
            .collect();
        table.push_str(&format!(
            "| {seq} | {} | {} | {} |\n",
            seq.trailing_ones(),
            32 * stored.len(),
            cells.join("; ")
        ));
    }
    assert!(
        operations.contains(&table),
        "docs/operations/ledger.md does not show the stored hashes as appends store them; the \
         table's rows should read:\n{table}"
    );
    assert_eq!(merkle::stored_hash_count(8), 15);
}
