#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The `file` root key provider, on real files.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use phiguard_crypto::root::FileRoot;
use phiguard_crypto::{KeyBytes, RootKey, RootKeyError};
use proptest::prelude::*;

const LABEL: &[u8] = b"kek 1 of 0123456789abcdef";
const SECRET: &[u8] = b"a 32-byte key-encryption key....";

/// Writes `bytes` as a key file with `mode` in a fresh directory.
fn key_file(bytes: &[u8], mode: u32) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("root.key");
    std::fs::write(&path, bytes).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    (dir, path)
}

fn key_bytes(fill: u8) -> [u8; 32] {
    let mut bytes = [fill; 32];
    bytes[0] = 0x5a;
    bytes
}

fn load_err(path: &Path) -> String {
    match FileRoot::load(path) {
        Ok(root) => panic!("{path:?} was accepted: {root:?}"),
        Err(e @ (RootKeyError::KeyFile { .. } | RootKeyError::Unsafe(_))) => e.to_string(),
        Err(other) => panic!("expected a key file refusal, got {other:?}"),
    }
}

/// Neither the raw bytes (as text) nor their hex may appear in a message.
fn assert_no_key_material(text: &str, key: &[u8; 32]) {
    let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
    assert!(!text.contains(&hex), "key hex in {text:?}");
    assert!(
        !text.contains(&hex[..16]),
        "part of the key hex in {text:?}"
    );
    assert!(
        !text.contains(&format!("{:?}", &key[..8])),
        "key bytes in {text:?}"
    );
}

#[test]
fn a_loaded_key_file_unwraps_what_it_wrapped_and_what_the_same_key_wrapped() {
    let bytes = key_bytes(0x11);
    let (_dir, path) = key_file(&bytes, 0o600);
    let loaded = FileRoot::load(&path).unwrap();
    let wrapped = loaded.wrap(LABEL, SECRET).unwrap();
    assert_eq!(loaded.unwrap(LABEL, &wrapped).unwrap().as_slice(), SECRET);

    // The same bytes given to `new` (as when the key file was first made) open it too.
    let fresh = FileRoot::new(KeyBytes::from_array(bytes));
    assert_eq!(fresh.unwrap(LABEL, &wrapped).unwrap().as_slice(), SECRET);
    let from_fresh = fresh.wrap(LABEL, SECRET).unwrap();
    assert_eq!(
        loaded.unwrap(LABEL, &from_fresh).unwrap().as_slice(),
        SECRET
    );
}

#[test]
fn read_only_for_the_owner_is_accepted_too() {
    let (_dir, path) = key_file(&key_bytes(0x12), 0o400);
    FileRoot::load(&path).unwrap();
}

#[test]
fn wrapped_is_nonce_then_ciphertext_then_tag_with_a_fresh_nonce_each_time() {
    let root = FileRoot::new(KeyBytes::generate().unwrap());
    let a = root.wrap(LABEL, SECRET).unwrap();
    let b = root.wrap(LABEL, SECRET).unwrap();
    assert_eq!(a.len(), 12 + SECRET.len() + 16);
    assert_ne!(a[..12], b[..12], "nonce reused");
    assert_ne!(a, b);
    assert!(
        !a.windows(8).any(|w| SECRET.windows(8).any(|s| s == w)),
        "plaintext visible in the wrapped bytes"
    );
}

#[test]
fn a_wrapped_secret_is_bound_to_its_label() {
    let root = FileRoot::new(KeyBytes::generate().unwrap());
    let wrapped = root.wrap(b"kek 1 of key-a", SECRET).unwrap();
    for other in [
        &b"kek 2 of key-a"[..],
        b"kek 1 of key-b",
        b"",
        b"kek 1 of key-a ",
    ] {
        assert!(
            matches!(
                root.unwrap(other, &wrapped),
                Err(RootKeyError::WrongRootKey)
            ),
            "unwrapped under label {:?}",
            String::from_utf8_lossy(other)
        );
    }
    assert_eq!(
        root.unwrap(b"kek 1 of key-a", &wrapped).unwrap().as_slice(),
        SECRET
    );
}

#[test]
fn every_altered_bit_position_and_every_truncation_is_refused() {
    let root = FileRoot::new(KeyBytes::generate().unwrap());
    let wrapped = root.wrap(LABEL, SECRET).unwrap();
    for i in 0..wrapped.len() {
        for bit in [0x01u8, 0x80] {
            let mut altered = wrapped.clone();
            altered[i] ^= bit;
            assert!(
                matches!(
                    root.unwrap(LABEL, &altered),
                    Err(RootKeyError::WrongRootKey)
                ),
                "byte {i} bit {bit:#x} altered and still accepted"
            );
        }
    }
    for len in 0..wrapped.len() {
        assert!(
            matches!(
                root.unwrap(LABEL, &wrapped[..len]),
                Err(RootKeyError::WrongRootKey)
            ),
            "truncated to {len} bytes and still accepted"
        );
    }
    let mut extended = wrapped.clone();
    extended.push(0);
    assert!(matches!(
        root.unwrap(LABEL, &extended),
        Err(RootKeyError::WrongRootKey)
    ));
}

#[test]
fn another_key_does_not_unwrap() {
    let (_dir_a, a) = key_file(&key_bytes(0x21), 0o600);
    let (_dir_b, b) = key_file(&key_bytes(0x22), 0o600);
    let wrapped = FileRoot::load(&a).unwrap().wrap(LABEL, SECRET).unwrap();
    let err = FileRoot::load(&b)
        .unwrap()
        .unwrap(LABEL, &wrapped)
        .unwrap_err();
    assert!(matches!(err, RootKeyError::WrongRootKey), "{err:?}");
}

#[test]
fn a_key_file_others_can_read_or_write_is_refused_with_the_chmod_to_run() {
    let bytes = key_bytes(0x31);
    for mode in [0o644, 0o640, 0o604, 0o620, 0o602, 0o660, 0o666, 0o610] {
        let (_dir, path) = key_file(&bytes, mode);
        let message = load_err(&path);
        assert!(
            message.contains(&format!("chmod 600 {}", path.display())),
            "mode {mode:o}: {message}"
        );
        assert!(message.contains(&format!("{mode:04o}")), "{message}");
        assert_no_key_material(&message, &bytes);
    }
}

#[test]
fn a_key_file_of_the_wrong_length_is_refused() {
    let bytes = key_bytes(0x41);
    for len in [0, 1, 31, 33, 64] {
        let content: Vec<u8> = bytes.iter().copied().cycle().take(len).collect();
        let (_dir, path) = key_file(&content, 0o600);
        let message = load_err(&path);
        assert!(message.contains(&format!("holds {len} bytes")), "{message}");
        assert!(message.contains("exactly 32"), "{message}");
        assert_no_key_material(&message, &bytes);
    }
}

#[test]
fn a_missing_key_file_says_what_is_lost_and_how_to_recover() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys").join("root.key");
    let message = load_err(&path);
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(message.contains("missing"), "{message}");
    assert!(
        message.contains("nothing sealed under this keyring can be opened"),
        "{message}"
    );
    assert!(message.contains("restore it from its backup"), "{message}");
}

#[test]
fn a_directory_is_not_a_key_file() {
    let dir = tempfile::tempdir().unwrap();
    let message = load_err(dir.path());
    assert!(message.contains("not a regular file"), "{message}");
}

#[test]
fn debug_output_shows_no_key_material() {
    let bytes = key_bytes(0x51);
    let (_dir, path) = key_file(&bytes, 0o600);
    let shown = format!("{:?}", FileRoot::load(&path).unwrap());
    assert_no_key_material(&shown, &bytes);
    assert!(shown.contains("redacted"), "{shown}");
}

proptest! {
    #[test]
    fn any_secret_under_any_label_round_trips(
        secret in proptest::collection::vec(any::<u8>(), 0..200),
        label in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        let root = FileRoot::new(KeyBytes::from_array(key_bytes(0x61)));
        let wrapped = root.wrap(&label, &secret).unwrap();
        prop_assert_eq!(wrapped.len(), 12 + secret.len() + 16);
        let unwrapped = root.unwrap(&label, &wrapped).unwrap();
        prop_assert_eq!(unwrapped.as_slice(), secret.as_slice());
    }
}

#[test]
fn a_key_file_owned_by_another_user_is_refused_with_the_chown_to_run() {
    if !rustix::process::geteuid().is_root() {
        phiguard_testkit::missing(
            "root, to hand a key file to another user",
            "run the tests as root (CI does)",
        );
        return;
    }
    let bytes = key_bytes(0x41);
    let (_dir, path) = key_file(&bytes, 0o600);
    std::os::unix::fs::chown(&path, Some(65534), Some(65534)).unwrap();
    let message = load_err(&path);
    assert!(message.contains("owned by user id 65534"), "{message}");
    assert!(
        message.contains(&format!("chown 0 {}", path.display())),
        "{message}"
    );
    assert_no_key_material(&message, &bytes);
}
