#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The `passphrase` root key provider, with real Argon2id (at small cost, to stay fast).

use phiguard_crypto::root::{Argon2Params, PassphraseRoot};
use phiguard_crypto::{RootConfig, RootKey, RootKeyError};

/// Small enough that a derivation takes milliseconds; production passes `RECOMMENDED`.
const FAST: Argon2Params = Argon2Params {
    memory_kib: 64,
    iterations: 1,
    parallelism: 1,
};
const PASSPHRASE: &str = "correct horse battery staple";
const LABEL: &[u8] = b"kek 1 of 0123456789abcdef";
const SECRET: &[u8] = b"a 32-byte key-encryption key....";

fn stored(config: &RootConfig) -> (Vec<u8>, Argon2Params) {
    match config {
        RootConfig::Passphrase { salt, params } => (salt.clone(), *params),
        other => panic!("not a passphrase config: {other:?}"),
    }
}

fn open_err(passphrase: &str, salt: &[u8], params: Argon2Params) -> RootKeyError {
    match PassphraseRoot::open(passphrase, salt, params) {
        Ok(root) => panic!(
            "opened with {params:?} and a {}-byte salt: {root:?}",
            salt.len()
        ),
        Err(e) => e,
    }
}

#[test]
fn the_same_passphrase_reopens_the_root_from_the_stored_config() {
    let (config, created) = PassphraseRoot::create(PASSPHRASE, FAST).unwrap();
    let wrapped = created.wrap(LABEL, SECRET).unwrap();

    // Through the keyring's serialised form, as a later run reads it.
    let json = serde_json::to_string(&config).unwrap();
    let config: RootConfig = serde_json::from_str(&json).unwrap();
    let (salt, params) = stored(&config);
    assert_eq!(salt.len(), 16);
    assert_eq!(params, FAST);
    assert_eq!(
        config.needs(),
        Some(phiguard_crypto::RootSecret::Passphrase)
    );

    let reopened = PassphraseRoot::open(PASSPHRASE, &salt, params).unwrap();
    assert_eq!(reopened.unwrap(LABEL, &wrapped).unwrap().as_slice(), SECRET);
    let back = reopened.wrap(LABEL, SECRET).unwrap();
    assert_eq!(created.unwrap(LABEL, &back).unwrap().as_slice(), SECRET);
}

#[test]
fn each_keyring_gets_its_own_salt() {
    let (a, _) = PassphraseRoot::create(PASSPHRASE, FAST).unwrap();
    let (b, _) = PassphraseRoot::create(PASSPHRASE, FAST).unwrap();
    assert_ne!(stored(&a).0, stored(&b).0);
}

#[test]
fn a_wrong_passphrase_is_reported_as_such_and_never_echoed() {
    let (config, root) = PassphraseRoot::create(PASSPHRASE, FAST).unwrap();
    let wrapped = root.wrap(LABEL, SECRET).unwrap();
    let (salt, params) = stored(&config);
    for wrong in [
        "correct horse battery stapler",
        "Correct horse battery staple",
        "correct horse battery staple ",
    ] {
        let other = PassphraseRoot::open(wrong, &salt, params).unwrap();
        let err = other.unwrap(LABEL, &wrapped).unwrap_err();
        assert!(matches!(err, RootKeyError::WrongPassphrase), "{err:?}");
        for shown in [err.to_string(), format!("{err:?}"), format!("{other:?}")] {
            assert!(!shown.contains(wrong), "{shown}");
            assert!(!shown.contains("horse"), "{shown}");
        }
    }
    assert!(matches!(
        open_err("", &salt, params),
        RootKeyError::WrongPassphrase
    ));
}

#[test]
fn the_same_passphrase_with_another_salt_or_cost_is_another_key() {
    let (config, root) = PassphraseRoot::create(PASSPHRASE, FAST).unwrap();
    let wrapped = root.wrap(LABEL, SECRET).unwrap();
    let (mut salt, params) = stored(&config);
    let more_passes = Argon2Params {
        iterations: 2,
        ..params
    };
    let other_cost = PassphraseRoot::open(PASSPHRASE, &salt, more_passes).unwrap();
    assert!(matches!(
        other_cost.unwrap(LABEL, &wrapped),
        Err(RootKeyError::WrongPassphrase)
    ));
    salt[0] ^= 1;
    let other_salt = PassphraseRoot::open(PASSPHRASE, &salt, params).unwrap();
    assert!(matches!(
        other_salt.unwrap(LABEL, &wrapped),
        Err(RootKeyError::WrongPassphrase)
    ));
}

#[test]
fn label_binding_and_tampering_fail_as_a_wrong_passphrase() {
    let (_, root) = PassphraseRoot::create(PASSPHRASE, FAST).unwrap();
    let wrapped = root.wrap(LABEL, SECRET).unwrap();
    assert!(matches!(
        root.unwrap(b"kek 2 of 0123456789abcdef", &wrapped),
        Err(RootKeyError::WrongPassphrase)
    ));
    for i in [0, 11, 12, wrapped.len() - 17, wrapped.len() - 1] {
        let mut altered = wrapped.clone();
        altered[i] ^= 0x40;
        assert!(
            matches!(
                root.unwrap(LABEL, &altered),
                Err(RootKeyError::WrongPassphrase)
            ),
            "byte {i}"
        );
    }
    assert!(matches!(
        root.unwrap(LABEL, &wrapped[..27]),
        Err(RootKeyError::WrongPassphrase)
    ));
}

#[test]
fn short_and_empty_passphrases_are_refused_with_the_length_required() {
    for weak in ["", "x", "elevenchars", "ééééééééééé"] {
        let err = PassphraseRoot::create(weak, FAST).unwrap_err();
        let RootKeyError::WeakPassphrase(message) = &err else {
            panic!("{weak:?} gave {err:?}");
        };
        assert!(message.contains("at least 12"), "{message}");
        if !weak.is_empty() {
            assert!(!message.contains(weak), "{message}");
        }
    }
    assert!(
        PassphraseRoot::create("", FAST)
            .unwrap_err()
            .to_string()
            .contains("empty")
    );
    // Characters are counted, not bytes: twelve accented letters are enough.
    PassphraseRoot::create("twelve chars", FAST).unwrap();
    PassphraseRoot::create("éééééééééééé", FAST).unwrap();
}

#[test]
fn absurd_stored_parameters_are_refused_as_a_damaged_keyring() {
    let (config, _) = PassphraseRoot::create(PASSPHRASE, FAST).unwrap();
    let (salt, params) = stored(&config);
    let damaged = [
        Argon2Params {
            memory_kib: 4 * 1024 * 1024 + 1,
            ..params
        },
        Argon2Params {
            memory_kib: u32::MAX,
            ..params
        },
        Argon2Params {
            iterations: 65,
            ..params
        },
        Argon2Params {
            iterations: u32::MAX,
            ..params
        },
        Argon2Params {
            memory_kib: 1024,
            parallelism: 17,
            ..params
        },
        // Below what Argon2 itself allows.
        Argon2Params {
            iterations: 0,
            ..params
        },
        Argon2Params {
            parallelism: 0,
            ..params
        },
        Argon2Params {
            memory_kib: 0,
            ..params
        },
    ];
    for bad in damaged {
        let err = open_err(PASSPHRASE, &salt, bad);
        assert!(
            matches!(err, RootKeyError::DamagedKeyring(_)),
            "{bad:?}: {err:?}"
        );
        assert!(err.to_string().contains("damaged"), "{err}");
    }
    for len in [0, 8, 15] {
        let err = open_err(PASSPHRASE, &salt[..len], params);
        assert!(
            matches!(&err, RootKeyError::DamagedKeyring(m) if m.contains("salt")),
            "{len}: {err:?}"
        );
    }
    // The limits themselves are still accepted (at a memory cost that keeps this fast).
    let at_limits = Argon2Params {
        memory_kib: 16 * 8,
        iterations: 64,
        parallelism: 16,
    };
    PassphraseRoot::open(PASSPHRASE, &salt, at_limits).unwrap();
}

#[test]
fn create_refuses_invalid_parameters_without_blaming_the_keyring() {
    for bad in [
        Argon2Params {
            memory_kib: 0,
            ..FAST
        },
        Argon2Params {
            iterations: 100,
            ..FAST
        },
    ] {
        let err = PassphraseRoot::create(PASSPHRASE, bad).unwrap_err();
        assert!(
            matches!(err, RootKeyError::InvalidArgon2Params(_)),
            "{bad:?}: {err:?}"
        );
    }
}

#[test]
fn recommended_parameters_are_rfc_9106s_second_option() {
    assert_eq!(
        Argon2Params::RECOMMENDED,
        Argon2Params {
            memory_kib: 65536,
            iterations: 3,
            parallelism: 4,
        }
    );
}

#[test]
fn debug_output_shows_neither_key_nor_passphrase() {
    let (config, root) = PassphraseRoot::create(PASSPHRASE, FAST).unwrap();
    for shown in [format!("{root:?}"), format!("{config:?}")] {
        assert!(!shown.contains("horse"), "{shown}");
    }
    assert!(format!("{root:?}").contains("redacted"));
}
