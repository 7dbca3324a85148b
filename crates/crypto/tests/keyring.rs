#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The keyring through the public API, on real files: creating and opening it with `file`,
//! `passphrase` and `pkcs11` root keys, rotation and retirement of key-encryption keys, a
//! keyring restored from an older backup, every kind of hand edit and damage to
//! `keyring.json`, break-glass enrolment, the pseudonymisation key, and what `summary()`
//! shows (and must never show).

use std::fs;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use phiguard_core::hex;
use phiguard_crypto::format::Stanza;
use phiguard_crypto::keyring::root_config;
use phiguard_crypto::root::{Argon2Params, FileRoot, PassphraseRoot, Pkcs11Root};
use phiguard_crypto::{
    BreakGlassSecret, Context, KeyBytes, Keyring, KeyringError, RootConfig, RootKey, RootKeyError,
    UnsealError, read_header, seal, unseal,
};
use phiguard_testkit::softhsm_in_own_process;
use serde_json::Value;

/// Fails with the actual value when `$result` is not an error matching `$pattern`.
macro_rules! assert_err {
    ($result:expr, $pattern:pat $(if $guard:expr)? $(,)?) => {
        match $result {
            Err(error) => assert!(
                matches!(error, $pattern $(if $guard)?),
                "expected {}, got {error:?}",
                stringify!($pattern $(if $guard)?)
            ),
            Ok(_) => panic!("expected {}, got Ok", stringify!($pattern $(if $guard)?)),
        }
    };
    ($result:expr, $pattern:pat $(if $guard:expr)?, $($context:tt)+) => {
        match $result {
            Err(error) => assert!(
                matches!(error, $pattern $(if $guard)?),
                "{}: expected {}, got {error:?}",
                format!($($context)+),
                stringify!($pattern $(if $guard)?)
            ),
            Ok(_) => panic!(
                "{}: expected {}, got Ok",
                format!($($context)+),
                stringify!($pattern $(if $guard)?)
            ),
        }
    };
}

/// Argon2id parameters small enough to keep the tests fast.
const SMALL: Argon2Params = Argon2Params {
    memory_kib: 64,
    iterations: 1,
    parallelism: 1,
};

const PASSPHRASE: &str = "correct horse battery staple";

/// A directory holding a `file` root key (0600) and the path where its keyring goes.
struct Setup {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    keyring: PathBuf,
    root_key: PathBuf,
}

fn setup() -> Setup {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let root_key = dir.join("root.key");
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&root_key)
        .unwrap();
    std::io::Write::write_all(&mut file, KeyBytes::generate().unwrap().expose()).unwrap();
    drop(file);
    Setup {
        keyring: dir.join("keyring.json"),
        dir,
        root_key,
        _tmp: tmp,
    }
}

impl Setup {
    /// The root key, read from its file as `phiguard` does.
    fn root(&self) -> Box<dyn RootKey> {
        Box::new(FileRoot::load(&self.root_key).unwrap())
    }

    fn config(&self) -> RootConfig {
        RootConfig::File {
            path: "root.key".to_owned(),
        }
    }

    fn create(&self) -> Keyring {
        Keyring::create(&self.keyring, self.config(), self.root()).unwrap()
    }

    fn open(&self) -> Keyring {
        Keyring::open(&self.keyring, self.root()).unwrap()
    }

    fn open_at(&self, path: &Path) -> Result<Keyring, KeyringError> {
        Keyring::open(path, self.root())
    }

    fn bytes(&self) -> Vec<u8> {
        fs::read(&self.keyring).unwrap()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes()).unwrap()
    }
}

fn seal_with(keyring: &Keyring, plaintext: &[u8]) -> Vec<u8> {
    seal(keyring.recipients(), &Context::new(), plaintext).unwrap()
}

fn open_with(keyring: &Keyring, sealed: &[u8]) -> Result<Vec<u8>, UnsealError> {
    unseal(keyring, sealed).map(|(_, plaintext)| plaintext)
}

/// The KEK versions (of any keyring) a sealed object is wrapped for, from its header alone.
fn kek_versions(sealed: &[u8]) -> Vec<u32> {
    read_header(sealed)
        .unwrap()
        .stanzas
        .iter()
        .filter_map(|stanza| match stanza {
            Stanza::Kek { version, .. } => Some(*version),
            _ => None,
        })
        .collect()
}

/// The break-glass key ids a sealed object is wrapped for.
fn break_glass_ids(sealed: &[u8]) -> Vec<[u8; 16]> {
    read_header(sealed)
        .unwrap()
        .stanzas
        .iter()
        .filter_map(|stanza| match stanza {
            Stanza::BreakGlass { key_id, .. } => Some(*key_id),
            _ => None,
        })
        .collect()
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

// ---------------------------------------------------------------------------------------------
// Creating and opening
// ---------------------------------------------------------------------------------------------

#[test]
fn create_writes_a_private_file_that_opens_again() {
    let s = setup();
    let keyring = s.create();
    assert!(s.keyring.is_file());
    assert_eq!(
        mode(&s.keyring),
        0o600,
        "the keyring must be the owner's alone"
    );
    assert_eq!(keyring.path(), s.keyring);
    assert_eq!(keyring.current_version(), 1);
    assert_eq!(root_config(&s.keyring).unwrap(), s.config());

    let json = s.json();
    assert_eq!(json["format"], 1);
    assert_eq!(json["min_decrypt_version"], 1);
    assert_eq!(json["keks"].as_array().unwrap().len(), 1);
    assert_eq!(json["keks"][0]["version"], 1);
    assert_eq!(json["break_glass"], Value::Array(Vec::new()));
    assert_eq!(json["id"], hex::encode(&keyring.id()));

    let sealed = seal_with(&keyring, b"lab result");
    assert_eq!(kek_versions(&sealed), [1]);
    drop(keyring);
    let reopened = s.open();
    assert_eq!(reopened.id(), json_id(&s.json()));
    assert_eq!(reopened.current_version(), 1);
    assert_eq!(open_with(&reopened, &sealed).unwrap(), b"lab result");
}

fn json_id(json: &Value) -> [u8; 16] {
    hex::decode(json["id"].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap()
}

#[test]
fn create_refuses_an_existing_keyring_and_leaves_it_alone() {
    let s = setup();
    let first = s.create();
    let before = s.bytes();
    assert_err!(
        Keyring::create(&s.keyring, s.config(), s.root()),
        KeyringError::Exists { ref path } if *path == s.keyring
    );
    assert_eq!(s.bytes(), before, "the existing keyring was changed");
    let sealed = seal_with(&first, b"still opens");
    assert_eq!(open_with(&s.open(), &sealed).unwrap(), b"still opens");

    // Any file at all counts, not only a keyring.
    let other = s.dir.join("not-a-keyring.json");
    fs::write(&other, b"something else").unwrap();
    assert_err!(
        Keyring::create(&other, s.config(), s.root()),
        KeyringError::Exists { ref path } if *path == other
    );
    assert_eq!(fs::read(&other).unwrap(), b"something else");
    let message = Keyring::create(&s.keyring, s.config(), s.root())
        .unwrap_err()
        .to_string();
    assert!(message.contains("refusing to replace it"), "{message}");
}

#[test]
fn create_refuses_a_dangling_symlink_as_an_existing_keyring() {
    // A keyring.json that is a symlink to a target that is not there (a backup volume not
    // mounted, say) is still an existing entry: create must say so, as `Exists`, and must
    // neither follow the link nor report a bare I/O error.
    let s = setup();
    let target = s.dir.join("elsewhere/keyring.json");
    std::os::unix::fs::symlink(&target, &s.keyring).unwrap();
    assert_err!(
        Keyring::create(&s.keyring, s.config(), s.root()),
        KeyringError::Exists { ref path } if *path == s.keyring
    );
    assert!(!target.exists());
    assert!(fs::symlink_metadata(&s.keyring).unwrap().is_symlink());
}

#[test]
fn another_root_key_never_opens_the_keyring() {
    let s = setup();
    drop(s.create());
    let before = s.bytes();
    let other = FileRoot::new(KeyBytes::generate().unwrap());
    let err = Keyring::open(&s.keyring, Box::new(other)).unwrap_err();
    assert!(
        matches!(err, KeyringError::Root(RootKeyError::WrongRootKey)),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("written with another root key"),
        "{err}"
    );
    assert_eq!(s.bytes(), before, "a failed open changed the keyring");
    // The right key still opens it.
    assert_eq!(s.open().current_version(), 1);
}

#[test]
fn a_passphrase_keyring_opens_only_with_its_passphrase() {
    let s = setup();
    let (config, root) = PassphraseRoot::create(PASSPHRASE, SMALL).unwrap();
    let keyring = Keyring::create(&s.keyring, config, Box::new(root)).unwrap();
    assert_eq!(mode(&s.keyring), 0o600);
    let sealed = seal_with(&keyring, b"progress note");
    let pseudonym = keyring
        .pseudonymizer()
        .unwrap()
        .pseudonym("mrn", "MRN-0042")
        .unwrap();
    drop(keyring);

    let RootConfig::Passphrase { salt, params } = root_config(&s.keyring).unwrap() else {
        panic!("the keyring does not record a passphrase root");
    };
    assert_eq!(params, SMALL);
    assert_eq!(salt.len(), PassphraseRoot::SALT_LEN);

    let wrong = PassphraseRoot::open("incorrect horse battery staple", &salt, params).unwrap();
    let err = Keyring::open(&s.keyring, Box::new(wrong)).unwrap_err();
    assert!(
        matches!(err, KeyringError::Root(RootKeyError::WrongPassphrase)),
        "{err:?}"
    );
    assert!(!err.to_string().contains("incorrect horse"), "{err}");

    let right = PassphraseRoot::open(PASSPHRASE, &salt, params).unwrap();
    let keyring = Keyring::open(&s.keyring, Box::new(right)).unwrap();
    assert_eq!(open_with(&keyring, &sealed).unwrap(), b"progress note");
    assert_eq!(
        keyring
            .pseudonymizer()
            .unwrap()
            .pseudonym("mrn", "MRN-0042")
            .unwrap(),
        pseudonym
    );
    assert_eq!(keyring.summary().provider, "passphrase");
}

#[test]
fn a_missing_keyring_says_to_run_keys_init() {
    let s = setup();
    let err = Keyring::open(&s.keyring, s.root()).unwrap_err();
    assert!(
        matches!(&err, KeyringError::Missing { path } if *path == s.keyring),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(message.contains("run `phiguard keys init`"), "{message}");
    assert!(
        message.contains(&s.keyring.display().to_string()),
        "{message}"
    );
    assert_err!(
        root_config(&s.keyring),
        KeyringError::Missing { ref path } if *path == s.keyring
    );
}

// ---------------------------------------------------------------------------------------------
// Rotation, retirement, and a keyring older than the data
// ---------------------------------------------------------------------------------------------

#[test]
fn rotation_adds_versions_and_new_seals_use_the_newest() {
    let s = setup();
    let mut keyring = s.create();
    let v1 = seal_with(&keyring, b"sealed under v1");
    assert_eq!(kek_versions(&v1), [1]);

    assert_eq!(keyring.rotate().unwrap(), 2);
    assert_eq!(keyring.current_version(), 2);
    let v2 = seal_with(&keyring, b"sealed under v2");
    assert_eq!(kek_versions(&v2), [2]);

    assert_eq!(keyring.rotate().unwrap(), 3);
    let v3 = seal_with(&keyring, b"sealed under v3");
    assert_eq!(kek_versions(&v3), [3]);

    let versions: Vec<u64> = s.json()["keks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["version"].as_u64().unwrap())
        .collect();
    assert_eq!(versions, [1, 2, 3], "every version is kept, in order");

    // Everything still opens, in this keyring and in the one read back from the file.
    for opened in [&keyring, &s.open()] {
        assert_eq!(opened.current_version(), 3);
        assert_eq!(open_with(opened, &v1).unwrap(), b"sealed under v1");
        assert_eq!(open_with(opened, &v2).unwrap(), b"sealed under v2");
        assert_eq!(open_with(opened, &v3).unwrap(), b"sealed under v3");
    }
    // And the reopened keyring seals with the newest too.
    assert_eq!(kek_versions(&seal_with(&s.open(), b"x")), [3]);
}

#[test]
fn a_minimum_version_retires_older_data_and_keeps_the_rest() {
    let s = setup();
    let mut keyring = s.create();
    let v1 = seal_with(&keyring, b"old");
    keyring.rotate().unwrap();
    let v2 = seal_with(&keyring, b"new");

    keyring.set_min_decrypt_version(2).unwrap();
    assert_eq!(s.json()["min_decrypt_version"], 2);
    for opened in [&keyring, &s.open()] {
        assert_err!(
            open_with(opened, &v1),
            UnsealError::RetiredKek {
                version: 1,
                minimum: 2
            }
        );
        assert_eq!(open_with(opened, &v2).unwrap(), b"new");
    }
    let message = open_with(&keyring, &v1).unwrap_err().to_string();
    assert!(message.contains("version 1, which is retired"), "{message}");

    // Lowering the minimum again (the error message offers it) brings version 1 back.
    keyring.set_min_decrypt_version(1).unwrap();
    assert_eq!(open_with(&s.open(), &v1).unwrap(), b"old");
}

#[test]
fn a_minimum_outside_one_to_current_is_invalid_and_changes_nothing() {
    let s = setup();
    let mut keyring = s.create();
    keyring.rotate().unwrap();
    let before = s.bytes();
    for version in [0, 3, 4, u32::MAX] {
        let err = keyring.set_min_decrypt_version(version).unwrap_err();
        assert!(
            matches!(err, KeyringError::Invalid(_)),
            "{version}: {err:?}"
        );
        let message = err.to_string();
        assert!(
            message.contains("between 1 and the current version 2")
                && message.contains(&format!("not {version}")),
            "{message}"
        );
    }
    assert_eq!(s.bytes(), before, "a refused minimum was written");
    assert_eq!(keyring.summary().min_decrypt_version, 1);
    // The bounds themselves are allowed.
    keyring.set_min_decrypt_version(2).unwrap();
    keyring.set_min_decrypt_version(1).unwrap();
}

#[test]
fn a_keyring_restored_from_an_older_backup_names_the_missing_version() {
    let s = setup();
    let mut keyring = s.create();
    let v1 = seal_with(&keyring, b"before the backup");
    let backup = s.dir.join("keyring.json.bak");
    fs::copy(&s.keyring, &backup).unwrap();

    keyring.rotate().unwrap();
    let v2 = seal_with(&keyring, b"after the backup");
    assert_eq!(kek_versions(&v2), [2]);
    drop(keyring);

    // The backup opens with the same root key; it just does not know version 2.
    let old = s.open_at(&backup).unwrap();
    assert_eq!(old.current_version(), 1);
    assert_err!(
        open_with(&old, &v2),
        UnsealError::UnknownKekVersion {
            version: 2,
            newest: 1
        }
    );
    let message = open_with(&old, &v2).unwrap_err().to_string();
    assert!(
        message.contains("the keyring is older than the data"),
        "{message}"
    );
    assert_eq!(open_with(&old, &v1).unwrap(), b"before the backup");
    // The current keyring opens both.
    assert_eq!(open_with(&s.open(), &v2).unwrap(), b"after the backup");
}

#[test]
fn another_keyring_has_no_key_for_the_data() {
    let s = setup();
    let other = setup();
    let sealed = seal_with(&s.create(), b"not yours");
    let theirs = other.create();
    assert_err!(
        open_with(&theirs, &sealed),
        UnsealError::NoMatchingKey { .. }
    );
}

// ---------------------------------------------------------------------------------------------
// Hand edits and damage
// ---------------------------------------------------------------------------------------------

/// Writes `json` over the keyring as phiguard lays it out (pretty, with a final newline).
fn write_json(path: &Path, json: &Value) {
    let mut bytes = serde_json::to_vec_pretty(json).unwrap();
    bytes.push(b'\n');
    fs::write(path, bytes).unwrap();
}

#[test]
fn every_hand_edit_of_the_keyring_is_altered() {
    let s = setup();
    let mut keyring = s.create();
    keyring.rotate().unwrap();
    drop(keyring);
    let original = s.json();

    // The way the edits are written changes nothing by itself: the untouched JSON, laid out
    // again, still opens. So each refusal below is the edit's doing.
    write_json(&s.keyring, &original);
    assert_eq!(s.open().current_version(), 2);

    let intruder = BreakGlassSecret::generate().unwrap().public().unwrap();
    type Edit = Box<dyn Fn(&mut Value)>;
    let edits: Vec<(&str, Edit)> = vec![
        (
            "raise min_decrypt_version",
            Box::new(|j| j["min_decrypt_version"] = 2.into()),
        ),
        (
            "lower min_decrypt_version to 0",
            Box::new(|j| j["min_decrypt_version"] = 0.into()),
        ),
        (
            "add a break-glass record",
            Box::new(move |j| {
                j["break_glass"]
                    .as_array_mut()
                    .unwrap()
                    .push(serde_json::json!({
                        "id": hex::encode(&intruder.id),
                        "public": hex::encode(&intruder.public),
                        "created": "2025-01-01T00:00:00Z",
                        "note": "attacker",
                    }));
            }),
        ),
        (
            "remove KEK version 2",
            Box::new(|j| {
                j["keks"].as_array_mut().unwrap().pop();
            }),
        ),
        (
            "remove KEK version 1",
            Box::new(|j| {
                j["keks"].as_array_mut().unwrap().remove(0);
            }),
        ),
        (
            "swap the KEK order",
            Box::new(|j| j["keks"].as_array_mut().unwrap().swap(0, 1)),
        ),
        (
            "change the keyring's created date",
            Box::new(|j| j["created"] = "2020-01-01T00:00:00Z".into()),
        ),
        (
            "change a KEK's created date",
            Box::new(|j| j["keks"][0]["created"] = "2020-01-01T00:00:00Z".into()),
        ),
        (
            "point the root at another key file",
            Box::new(|j| j["root"]["path"] = "other.key".into()),
        ),
        (
            "replace the integrity tag",
            Box::new(|j| j["integrity"] = hex::encode(&[0u8; 32]).into()),
        ),
    ];
    for (what, edit) in &edits {
        let mut json = original.clone();
        edit(&mut json);
        assert_ne!(json, original, "{what}: the edit changed nothing");
        write_json(&s.keyring, &json);
        let err = s.open_at(&s.keyring).unwrap_err();
        assert!(
            matches!(&err, KeyringError::Altered { path } if *path == s.keyring),
            "{what}: {err:?}"
        );
        assert!(
            err.to_string().contains("changed outside phiguard"),
            "{what}: {err}"
        );
    }
    write_json(&s.keyring, &original);
    assert_eq!(s.open().current_version(), 2);
}

#[test]
fn a_truncated_or_foreign_file_is_damaged() {
    let s = setup();
    drop(s.create());
    let original = s.bytes();
    let mut with_unknown_field = s.json();
    with_unknown_field["extra"] = "field".into();
    let mut future_format = s.json();
    future_format["format"] = 2.into();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("truncated", original[..original.len() / 2].to_vec()),
        (
            "cut one byte short",
            original[..original.len() - 2].to_vec(),
        ),
        ("empty", Vec::new()),
        ("not JSON", b"this is not a keyring\n".to_vec()),
        ("a JSON array", b"[1, 2, 3]\n".to_vec()),
        (
            "an unknown field",
            serde_json::to_vec(&with_unknown_field).unwrap(),
        ),
        (
            "a future format",
            serde_json::to_vec(&future_format).unwrap(),
        ),
    ];
    for (what, bytes) in cases {
        fs::write(&s.keyring, &bytes).unwrap();
        let err = s.open_at(&s.keyring).unwrap_err();
        assert!(
            matches!(&err, KeyringError::Damaged { path, .. } if *path == s.keyring),
            "{what}: {err:?}"
        );
        assert!(err.to_string().contains("is damaged"), "{what}: {err}");
        assert_err!(
            root_config(&s.keyring),
            KeyringError::Damaged { .. },
            "{what}"
        );
    }
    fs::write(&s.keyring, &original).unwrap();
    assert_eq!(s.open().current_version(), 1);
}

// ---------------------------------------------------------------------------------------------
// Break-glass keys
// ---------------------------------------------------------------------------------------------

#[test]
fn a_break_glass_key_opens_what_is_sealed_after_it_was_enrolled() {
    let s = setup();
    let mut keyring = s.create();
    let before = seal_with(&keyring, b"sealed before enrolment");
    assert!(break_glass_ids(&before).is_empty());

    let secret = BreakGlassSecret::generate().unwrap();
    keyring
        .enroll_break_glass(secret.public().unwrap(), "safe 2")
        .unwrap();
    let after = seal_with(&keyring, b"sealed after enrolment");
    assert_eq!(break_glass_ids(&after), [secret.id()]);
    assert_eq!(kek_versions(&after), [1]);

    let (opened, plaintext) = unseal(&secret, &after).unwrap();
    assert_eq!(plaintext, b"sealed after enrolment");
    assert!(
        opened.opened_with.contains(&hex::encode(&secret.id())),
        "{}",
        opened.opened_with
    );
    assert_err!(
        unseal(&secret, &before),
        UnsealError::NotARecipient { ref key } if *key == hex::encode(&secret.id())
    );
    // The keyring itself opens both.
    assert_eq!(
        open_with(&keyring, &before).unwrap(),
        b"sealed before enrolment"
    );
    assert_eq!(
        open_with(&keyring, &after).unwrap(),
        b"sealed after enrolment"
    );

    // The enrolment is in the file: a reopened keyring seals for the key too.
    let reopened = s.open();
    let later = seal_with(&reopened, b"after reopening");
    assert_eq!(break_glass_ids(&later), [secret.id()]);
    assert_eq!(unseal(&secret, &later).unwrap().1, b"after reopening");
    let summary = reopened.summary();
    assert_eq!(summary.break_glass.len(), 1);
    assert_eq!(summary.break_glass[0].id, hex::encode(&secret.id()));
    assert_eq!(summary.break_glass[0].note, "safe 2");

    // A break-glass key that was never enrolled is not a recipient.
    let stranger = BreakGlassSecret::generate().unwrap();
    assert_err!(unseal(&stranger, &later), UnsealError::NotARecipient { .. });
}

#[test]
fn enrolling_the_same_break_glass_key_twice_is_invalid() {
    let s = setup();
    let mut keyring = s.create();
    let secret = BreakGlassSecret::generate().unwrap();
    keyring
        .enroll_break_glass(secret.public().unwrap(), "first")
        .unwrap();
    let before = s.bytes();
    let err = keyring
        .enroll_break_glass(secret.public().unwrap(), "again")
        .unwrap_err();
    assert!(matches!(err, KeyringError::Invalid(_)), "{err:?}");
    assert!(
        err.to_string().contains(&format!(
            "break-glass key {} is already enrolled",
            hex::encode(&secret.id())
        )),
        "{err}"
    );
    assert_eq!(s.bytes(), before, "the refused enrolment was written");
    // Also after reopening, where the list comes from the file.
    let mut reopened = s.open();
    assert_err!(
        reopened.enroll_break_glass(secret.public().unwrap(), "again"),
        KeyringError::Invalid(_)
    );
    assert_eq!(reopened.summary().break_glass.len(), 1);
}

#[test]
fn at_most_fifteen_break_glass_keys_fit_beside_the_kek() {
    let s = setup();
    let mut keyring = s.create();
    let secrets: Vec<BreakGlassSecret> = (0..15)
        .map(|_| BreakGlassSecret::generate().unwrap())
        .collect();
    for (i, secret) in secrets.iter().enumerate() {
        keyring
            .enroll_break_glass(secret.public().unwrap(), &format!("key {i}"))
            .unwrap();
    }
    let one_more = BreakGlassSecret::generate().unwrap();
    assert_err!(
        keyring.enroll_break_glass(one_more.public().unwrap(), "one too many"),
        KeyringError::Invalid(ref message) if message.contains("too many break-glass keys")
    );
    // With all fifteen, sealing still works and each of them opens the data.
    let sealed = seal_with(&keyring, b"sixteen recipients");
    assert_eq!(break_glass_ids(&sealed).len(), 15);
    assert_eq!(
        unseal(&secrets[14], &sealed).unwrap().1,
        b"sixteen recipients"
    );
    assert_eq!(
        open_with(&s.open(), &sealed).unwrap(),
        b"sixteen recipients"
    );
}

// ---------------------------------------------------------------------------------------------
// Pseudonyms and the summary
// ---------------------------------------------------------------------------------------------

#[test]
fn pseudonyms_survive_rotation_and_reopening_and_differ_between_keyrings() {
    let s = setup();
    let mut keyring = s.create();
    let pseudonym = |keyring: &Keyring| {
        keyring
            .pseudonymizer()
            .unwrap()
            .pseudonym("mrn", "MRN-0042")
            .unwrap()
    };
    let first = pseudonym(&keyring);
    assert!(
        first.starts_with("hmac:") && first.len() == 5 + 64,
        "{first}"
    );
    assert!(!first.contains("0042"), "{first}");

    keyring.rotate().unwrap();
    assert_eq!(pseudonym(&keyring), first, "rotation changed the pseudonym");
    keyring.set_min_decrypt_version(2).unwrap();
    keyring.rotate().unwrap();
    assert_eq!(pseudonym(&keyring), first);
    drop(keyring);
    assert_eq!(
        pseudonym(&s.open()),
        first,
        "reopening changed the pseudonym"
    );

    let other = setup();
    assert_ne!(
        pseudonym(&other.create()),
        first,
        "two keyrings gave the same pseudonym"
    );
}

#[test]
fn the_summary_shows_each_version_state_and_no_wrapped_key() {
    let s = setup();
    let mut keyring = s.create();
    let states = |keyring: &Keyring| -> Vec<(u32, &'static str)> {
        keyring
            .summary()
            .keks
            .iter()
            .map(|k| (k.version, k.state))
            .collect()
    };
    assert_eq!(states(&keyring), [(1, "current")]);
    keyring.rotate().unwrap();
    keyring.rotate().unwrap();
    assert_eq!(
        states(&keyring),
        [(1, "active"), (2, "active"), (3, "current")]
    );
    keyring.set_min_decrypt_version(2).unwrap();
    assert_eq!(
        states(&keyring),
        [(1, "retired"), (2, "active"), (3, "current")]
    );
    keyring.set_min_decrypt_version(3).unwrap();
    assert_eq!(
        states(&keyring),
        [(1, "retired"), (2, "retired"), (3, "current")]
    );
    keyring.set_min_decrypt_version(2).unwrap();
    let secret = BreakGlassSecret::generate().unwrap();
    keyring
        .enroll_break_glass(secret.public().unwrap(), "vault B")
        .unwrap();

    let summary = keyring.summary();
    assert_eq!(summary.id, hex::encode(&keyring.id()));
    assert_eq!(summary.provider, "file");
    assert_eq!(summary.current_version, 3);
    assert_eq!(summary.min_decrypt_version, 2);
    assert_eq!(summary.break_glass.len(), 1);
    assert_eq!(summary.break_glass[0].note, "vault B");
    // The file and the keyring agree: a reopened keyring summarises the same.
    assert_eq!(s.open().summary(), summary);
    let file = s.json();
    assert_eq!(
        summary.created.to_string(),
        file["created"].as_str().unwrap()
    );

    // No wrapped secret (nor the integrity tag) of keyring.json is in the summary.
    let shown = serde_json::to_string(&summary).unwrap();
    let mut secrets: Vec<&str> = file["keks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["wrapped"].as_str().unwrap())
        .collect();
    for field in ["pseudonym_key", "integrity_key", "integrity"] {
        secrets.push(file[field].as_str().unwrap());
    }
    assert_eq!(secrets.len(), 6);
    for secret in secrets {
        assert!(secret.len() >= 64, "{secret}");
        // Any 16-byte stretch of it would already be a leak.
        for window in secret.as_bytes().chunks(32) {
            let window = std::str::from_utf8(window).unwrap();
            if window.len() == 32 {
                assert!(
                    !shown.contains(window),
                    "the summary shows wrapped key bytes {window}: {shown}"
                );
            }
        }
    }
    for key in ["wrapped", "pseudonym_key", "integrity_key", "integrity"] {
        assert!(
            !shown.contains(key),
            "the summary has a {key} field: {shown}"
        );
    }
    let debug = format!("{keyring:?}");
    assert!(
        !debug.contains(file["pseudonym_key"].as_str().unwrap()),
        "{debug}"
    );
}

// ---------------------------------------------------------------------------------------------
// A PKCS#11 root (SoftHSM2, in a child process of its own)
// ---------------------------------------------------------------------------------------------

#[test]
fn a_pkcs11_rooted_keyring_seals_and_reopens_through_the_token() {
    let Some(hsm) = softhsm_in_own_process() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("keyring.json");
    const KEY_LABEL: &str = "phiguard root keyring-test";

    let (config, root) =
        Pkcs11Root::create(hsm.module(), hsm.token_label(), KEY_LABEL, hsm.user_pin()).unwrap();
    let mut keyring = Keyring::create(&path, config, Box::new(root)).unwrap();
    assert_eq!(mode(&path), 0o600);
    let v1 = seal_with(&keyring, b"sealed on the token, v1");
    keyring.rotate().unwrap();
    let v2 = seal_with(&keyring, b"sealed on the token, v2");
    assert_eq!(kek_versions(&v2), [2]);
    let pseudonym = keyring
        .pseudonymizer()
        .unwrap()
        .pseudonym("mrn", "MRN-7")
        .unwrap();
    let summary = keyring.summary();
    assert_eq!(summary.provider, "pkcs11");
    // Dropping the keyring closes its session, which logs this process out of the token,
    // so the PIN is checked again below.
    drop(keyring);

    // Reopen as `phiguard` does: from what the keyring records.
    let RootConfig::Pkcs11 {
        module,
        token,
        key_label,
    } = root_config(&path).unwrap()
    else {
        panic!("the keyring does not record a PKCS#11 root");
    };
    assert_eq!(Path::new(&module), hsm.module());
    assert_eq!(token, hsm.token_label());
    assert_eq!(key_label, KEY_LABEL);
    let file = fs::read_to_string(&path).unwrap();
    assert!(!file.contains(hsm.user_pin()), "the PIN is in the keyring");

    let wrong = "wrong-pin-31337";
    let err = Pkcs11Root::open(Path::new(&module), &token, &key_label, wrong).unwrap_err();
    assert!(
        matches!(&err, RootKeyError::PinIncorrect { token } if token == hsm.token_label()),
        "{err:?}"
    );
    let err = KeyringError::from(err);
    assert!(
        matches!(err, KeyringError::Root(RootKeyError::PinIncorrect { .. })),
        "{err:?}"
    );
    assert!(err.to_string().contains("refused the PIN"), "{err}");
    assert!(!err.to_string().contains(wrong), "{err}");

    let root = Pkcs11Root::open(Path::new(&module), &token, &key_label, hsm.user_pin()).unwrap();
    let keyring = Keyring::open(&path, Box::new(root)).unwrap();
    assert_eq!(keyring.summary(), summary);
    assert_eq!(
        open_with(&keyring, &v1).unwrap(),
        b"sealed on the token, v1"
    );
    assert_eq!(
        open_with(&keyring, &v2).unwrap(),
        b"sealed on the token, v2"
    );
    assert_eq!(
        keyring
            .pseudonymizer()
            .unwrap()
            .pseudonym("mrn", "MRN-7")
            .unwrap(),
        pseudonym
    );
    let v2_again = seal_with(&keyring, b"after reopening");
    assert_eq!(kek_versions(&v2_again), [2]);
    assert_eq!(open_with(&keyring, &v2_again).unwrap(), b"after reopening");

    // Another key on the same token is the wrong root key.
    let (_, other) = Pkcs11Root::create(
        hsm.module(),
        hsm.token_label(),
        "another root",
        hsm.user_pin(),
    )
    .unwrap();
    assert_err!(
        Keyring::open(&path, Box::new(other)),
        KeyringError::Root(RootKeyError::WrongRootKey)
    );
}

#[test]
fn retiring_refuses_the_current_version_and_never_brings_one_back() {
    let s = setup();
    let mut keyring = s.create();
    let v1 = seal_with(&keyring, b"old");
    // With one version, it is the only one that opens anything.
    let err = keyring.retire_through(1).unwrap_err().to_string();
    assert!(err.contains("it is the current version"), "{err}");
    assert!(err.contains("phiguard keys rotate"), "{err}");
    keyring.rotate().unwrap();
    let before = s.bytes();
    for version in [0, 2, 3, u32::MAX] {
        assert!(keyring.retire_through(version).is_err(), "{version}");
    }
    assert_eq!(s.bytes(), before, "a refused retirement was written");
    assert!(keyring.retire_through(1).unwrap());
    assert!(
        !keyring.retire_through(1).unwrap(),
        "retiring again changed something"
    );
    keyring.rotate().unwrap();
    assert!(keyring.retire_through(2).unwrap());
    // Retiring an older version again does not lower the minimum.
    assert!(!keyring.retire_through(1).unwrap());
    assert_eq!(keyring.summary().min_decrypt_version, 3);
    assert_err!(
        open_with(&s.open(), &v1),
        UnsealError::RetiredKek {
            version: 1,
            minimum: 3
        }
    );
}
