#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The `pkcs11` root key provider, against a real SoftHSM2 token.
//!
//! Each test that loads SoftHSM2 runs in its own child process with its own token (see
//! `phiguard_testkit::softhsm_in_own_process`): SoftHSM2 reads its configuration once per
//! process, from an environment variable a test cannot set for itself.

use std::path::Path;
use std::sync::Arc;

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::object::{Attribute, AttributeInfo, AttributeType, KeyType, ObjectClass};
use cryptoki::session::{Session, UserType};
use cryptoki::types::AuthPin;
use phiguard_crypto::root::Pkcs11Root;
use phiguard_crypto::{RootConfig, RootKey, RootKeyError, RootSecret};
use phiguard_testkit::{SoftHsm, softhsm_in_own_process};

const KEY_LABEL: &str = "phiguard-root";
const LABEL: &[u8] = b"kek 1 of 0123456789abcdef";
const SECRET: &[u8] = b"a 32-byte key-encryption key....";

fn create(hsm: &SoftHsm, key_label: &str) -> Pkcs11Root {
    let (config, root) =
        Pkcs11Root::create(hsm.module(), hsm.token_label(), key_label, hsm.user_pin()).unwrap();
    assert_eq!(
        config,
        RootConfig::Pkcs11 {
            module: hsm.module().to_str().unwrap().to_owned(),
            token: hsm.token_label().to_owned(),
            key_label: key_label.to_owned(),
        }
    );
    root
}

fn open(hsm: &SoftHsm, key_label: &str) -> Result<Pkcs11Root, RootKeyError> {
    Pkcs11Root::open(hsm.module(), hsm.token_label(), key_label, hsm.user_pin())
}

/// An error's message and `Debug` never show either PIN.
fn assert_no_pin(err: &RootKeyError) {
    for shown in [err.to_string(), format!("{err:?}")] {
        assert!(!shown.contains(SoftHsm::USER_PIN), "{shown}");
        assert!(!shown.contains(SoftHsm::SO_PIN), "{shown}");
        assert!(!shown.contains("pin-8Kq3"), "{shown}");
    }
}

/// A session of the test's own on the token, logged in as its user, to inspect the key.
fn inspect(hsm: &SoftHsm) -> Session {
    let pkcs11 = Pkcs11::new(hsm.module()).unwrap();
    match pkcs11.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        Ok(()) | Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
        Err(e) => panic!("{e}"),
    }
    let slot = pkcs11
        .get_slots_with_initialized_token()
        .unwrap()
        .into_iter()
        .find(|slot| pkcs11.get_token_info(*slot).unwrap().label() == hsm.token_label())
        .unwrap();
    let session = pkcs11.open_ro_session(slot).unwrap();
    match session.login(UserType::User, Some(&AuthPin::from(hsm.user_pin()))) {
        Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => {}
        Err(e) => panic!("{e}"),
    }
    session
}

#[test]
fn pkcs11_root_is_a_send_and_sync_root_key() {
    fn assert_root_key<T: RootKey + Send + Sync + 'static>() {}
    assert_root_key::<Pkcs11Root>();
}

#[test]
fn wrap_and_unwrap_round_trip_on_the_token() {
    let Some(hsm) = softhsm_in_own_process() else {
        return;
    };
    let root = create(&hsm, KEY_LABEL);
    let a = root.wrap(LABEL, SECRET).unwrap();
    let b = root.wrap(LABEL, SECRET).unwrap();
    assert_eq!(a.len(), 12 + SECRET.len() + 16, "iv ‖ ciphertext ‖ tag");
    assert_ne!(a[..12], b[..12], "IV reused");
    assert_eq!(root.unwrap(LABEL, &a).unwrap().as_slice(), SECRET);
    assert_eq!(root.unwrap(LABEL, &b).unwrap().as_slice(), SECRET);
    assert_eq!(
        root.unwrap(b"", &root.wrap(b"", b"").unwrap())
            .unwrap()
            .len(),
        0
    );
}

#[test]
fn a_new_root_opened_on_the_token_unwraps_what_the_first_wrapped() {
    let Some(hsm) = softhsm_in_own_process() else {
        return;
    };
    let created = create(&hsm, KEY_LABEL);
    let wrapped = created.wrap(LABEL, SECRET).unwrap();

    // While the first is open (the process is logged in already) ...
    let second = open(&hsm, KEY_LABEL).unwrap();
    assert_eq!(second.unwrap(LABEL, &wrapped).unwrap().as_slice(), SECRET);
    drop(second);
    drop(created);

    // ... and after every session closed, which logs the process out: a fresh login.
    let reopened = open(&hsm, KEY_LABEL).unwrap();
    assert_eq!(reopened.unwrap(LABEL, &wrapped).unwrap().as_slice(), SECRET);
    let back = reopened.wrap(LABEL, SECRET).unwrap();
    assert_eq!(reopened.unwrap(LABEL, &back).unwrap().as_slice(), SECRET);
}

#[test]
fn the_key_on_the_token_is_sensitive_and_not_extractable() {
    let Some(hsm) = softhsm_in_own_process() else {
        return;
    };
    let _root = create(&hsm, KEY_LABEL);
    let session = inspect(&hsm);
    let keys = session
        .find_objects(&[Attribute::Label(KEY_LABEL.as_bytes().to_vec())])
        .unwrap();
    assert_eq!(keys.len(), 1, "exactly one object carries the label");
    let key = keys[0];

    let attributes = session
        .get_attributes(
            key,
            &[
                AttributeType::Class,
                AttributeType::KeyType,
                AttributeType::ValueLen,
                AttributeType::Token,
                AttributeType::Private,
                AttributeType::Sensitive,
                AttributeType::AlwaysSensitive,
                AttributeType::Extractable,
                AttributeType::NeverExtractable,
                AttributeType::Encrypt,
                AttributeType::Decrypt,
                AttributeType::Wrap,
                AttributeType::Unwrap,
            ],
        )
        .unwrap();
    let expected = [
        Attribute::Class(ObjectClass::SECRET_KEY),
        Attribute::KeyType(KeyType::AES),
        Attribute::ValueLen(32u64.into()),
        Attribute::Token(true),
        Attribute::Private(true),
        Attribute::Sensitive(true),
        Attribute::AlwaysSensitive(true),
        Attribute::Extractable(false),
        Attribute::NeverExtractable(true),
        Attribute::Encrypt(true),
        Attribute::Decrypt(true),
        Attribute::Wrap(false),
        Attribute::Unwrap(false),
    ];
    for attribute in &expected {
        assert!(
            attributes.contains(attribute),
            "{attribute:?} missing from {attributes:?}"
        );
    }

    // C_GetAttributeValue refuses the key's value: CKR_ATTRIBUTE_SENSITIVE.
    assert!(matches!(
        session
            .get_attribute_info(key, &[AttributeType::Value])
            .unwrap()[..],
        [AttributeInfo::Sensitive]
    ));
    let value = session
        .get_attributes(key, &[AttributeType::Value])
        .unwrap();
    assert!(value.is_empty(), "the token gave out the key: {value:?}");
}

#[test]
fn a_wrapped_secret_is_bound_to_its_label_and_its_bytes() {
    let Some(hsm) = softhsm_in_own_process() else {
        return;
    };
    let root = create(&hsm, KEY_LABEL);
    let wrapped = root.wrap(LABEL, SECRET).unwrap();
    let err = root
        .unwrap(b"kek 2 of 0123456789abcdef", &wrapped)
        .unwrap_err();
    assert!(matches!(err, RootKeyError::WrongRootKey), "{err:?}");
    for i in [0, 11, 12, 20, wrapped.len() - 16, wrapped.len() - 1] {
        let mut altered = wrapped.clone();
        altered[i] ^= 0x01;
        let err = root.unwrap(LABEL, &altered).unwrap_err();
        assert!(
            matches!(err, RootKeyError::WrongRootKey),
            "byte {i}: {err:?}"
        );
    }
    for len in [0, 12, 27, wrapped.len() - 1] {
        let err = root.unwrap(LABEL, &wrapped[..len]).unwrap_err();
        assert!(
            matches!(err, RootKeyError::WrongRootKey),
            "{len} bytes: {err:?}"
        );
    }
    // A failed decryption leaves the session usable.
    assert_eq!(root.unwrap(LABEL, &wrapped).unwrap().as_slice(), SECRET);
}

#[test]
fn another_key_on_the_token_does_not_unwrap() {
    let Some(hsm) = softhsm_in_own_process() else {
        return;
    };
    let first = create(&hsm, KEY_LABEL);
    let second = create(&hsm, "phiguard-root-2");
    let wrapped = first.wrap(LABEL, SECRET).unwrap();
    let err = second.unwrap(LABEL, &wrapped).unwrap_err();
    assert!(matches!(err, RootKeyError::WrongRootKey), "{err:?}");
}

#[test]
fn a_wrong_pin_is_pin_incorrect_and_never_shown() {
    let Some(hsm) = softhsm_in_own_process() else {
        return;
    };
    drop(create(&hsm, KEY_LABEL));
    for wrong in ["0000", "phiguard-test-user-pin-8Kq4", "x"] {
        let err = Pkcs11Root::open(hsm.module(), hsm.token_label(), KEY_LABEL, wrong).unwrap_err();
        assert!(
            matches!(&err, RootKeyError::PinIncorrect { token } if token == hsm.token_label()),
            "{wrong:?}: {err:?}"
        );
        assert!(!err.to_string().contains(wrong), "{err}");
        assert_no_pin(&err);
    }
    let err = Pkcs11Root::create(
        hsm.module(),
        hsm.token_label(),
        "another",
        "phiguard-test-user-pin-8Kq4",
    )
    .unwrap_err();
    assert!(matches!(err, RootKeyError::PinIncorrect { .. }), "{err:?}");
    // The right PIN still works afterwards.
    let root = open(&hsm, KEY_LABEL).unwrap();
    let shown = format!("{root:?}");
    assert!(!shown.contains(SoftHsm::USER_PIN), "{shown}");
    assert!(
        shown.contains(KEY_LABEL) && shown.contains(hsm.token_label()),
        "{shown}"
    );
}

#[test]
fn a_module_that_is_not_there_is_module_unavailable_naming_the_path() {
    // Needs no SoftHSM2: the module is never found.
    let dir = tempfile::tempdir().unwrap();
    for module in [
        dir.path().join("libmissing-pkcs11.so"),
        // A file that exists but is no shared library.
        {
            let path = dir.path().join("not-a-library.so");
            std::fs::write(&path, b"not an ELF file").unwrap();
            path
        },
    ] {
        for err in [
            Pkcs11Root::open(&module, "token", KEY_LABEL, SoftHsm::USER_PIN).unwrap_err(),
            Pkcs11Root::create(&module, "token", KEY_LABEL, SoftHsm::USER_PIN).unwrap_err(),
        ] {
            let RootKeyError::ModuleUnavailable { module: shown, .. } = &err else {
                panic!("{err:?}");
            };
            assert_eq!(Path::new(shown), module);
            assert!(
                err.to_string().contains(&module.display().to_string()),
                "{err}"
            );
            assert_no_pin(&err);
        }
    }
}

#[test]
fn an_unknown_token_is_token_not_found_listing_the_tokens_present() {
    let Some(hsm) = softhsm_in_own_process() else {
        return;
    };
    let err =
        Pkcs11Root::open(hsm.module(), "no-such-token", KEY_LABEL, hsm.user_pin()).unwrap_err();
    let RootKeyError::TokenNotFound { token, found } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(token, "no-such-token");
    assert!(found.contains(hsm.token_label()), "{found}");
    assert!(err.to_string().contains(hsm.token_label()), "{err}");
    assert_no_pin(&err);
    let err =
        Pkcs11Root::create(hsm.module(), "no-such-token", KEY_LABEL, hsm.user_pin()).unwrap_err();
    assert!(matches!(err, RootKeyError::TokenNotFound { .. }), "{err:?}");
}

#[test]
fn a_key_label_not_on_the_token_is_key_not_on_token() {
    let Some(hsm) = softhsm_in_own_process() else {
        return;
    };
    let err = open(&hsm, KEY_LABEL).unwrap_err();
    assert!(
        matches!(&err, RootKeyError::KeyNotOnToken { token, key_label }
            if token == hsm.token_label() && key_label == KEY_LABEL),
        "{err:?}"
    );
    assert_no_pin(&err);
    drop(create(&hsm, KEY_LABEL));
    let err = open(&hsm, "phiguard-root-typo").unwrap_err();
    assert!(matches!(err, RootKeyError::KeyNotOnToken { .. }), "{err:?}");
}

#[test]
fn creating_a_second_key_with_the_same_label_is_refused_and_the_first_survives() {
    let Some(hsm) = softhsm_in_own_process() else {
        return;
    };
    let first = create(&hsm, KEY_LABEL);
    let wrapped = first.wrap(LABEL, SECRET).unwrap();
    drop(first);
    let err =
        Pkcs11Root::create(hsm.module(), hsm.token_label(), KEY_LABEL, hsm.user_pin()).unwrap_err();
    assert!(
        matches!(&err, RootKeyError::KeyExistsOnToken { key_label, .. } if key_label == KEY_LABEL),
        "{err:?}"
    );
    assert_no_pin(&err);
    let reopened = open(&hsm, KEY_LABEL).unwrap();
    assert_eq!(reopened.unwrap(LABEL, &wrapped).unwrap().as_slice(), SECRET);
}

#[test]
fn one_root_serves_many_threads() {
    let Some(hsm) = softhsm_in_own_process() else {
        return;
    };
    let root = Arc::new(create(&hsm, KEY_LABEL));
    let threads: Vec<_> = (0..8u8)
        .map(|i| {
            let root = Arc::clone(&root);
            std::thread::spawn(move || {
                for j in 0..20u8 {
                    let secret = [i, j, 0xa5];
                    let label = [b'k', i, j];
                    let wrapped = root.wrap(&label, &secret).unwrap();
                    assert_eq!(root.unwrap(&label, &wrapped).unwrap().as_slice(), secret);
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
}

#[test]
fn the_config_asks_for_the_pin() {
    let config = RootConfig::Pkcs11 {
        module: "/usr/lib/softhsm/libsofthsm2.so".to_owned(),
        token: "t".to_owned(),
        key_label: "k".to_owned(),
    };
    assert_eq!(config.needs(), Some(RootSecret::Pin));
    assert_eq!(config.provider(), "pkcs11");
}
