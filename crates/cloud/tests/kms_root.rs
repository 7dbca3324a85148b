//! The `aws-kms` root key against a real AWS API emulator (moto on loopback): wrapping and
//! unwrapping through KMS Encrypt and Decrypt with the label as encryption context; a keyring
//! wrapped under a file root and a KMS key at once, opened through either when the other is
//! lost, rotated in step, refusing a wrapping KMS cannot make; a keyring written before
//! wrappings existed; and the check that watches the KMS keys wrapping phiguard's keys.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use jiff::Timestamp;
use phiguard_cloud::aws::{AwsKmsRoot, ScanOptions, Service};
use phiguard_cloud::checks::{Settings, registry};
use phiguard_core::{CheckContext, Finding, Severity, Status};
use phiguard_crypto::keyring::OpenRootError;
use phiguard_crypto::root::FileRoot;
use phiguard_crypto::{
    Context, KeyBytes, Keyring, KeyringError, RootConfig, RootKey, RootKeyError, seal, unseal,
};
use phiguard_testkit::{Moto, Relay, Relayed};

fn options(endpoint: String) -> ScanOptions {
    common::options_at(endpoint, &[common::REGION], &[Service::Kms])
}

async fn kms(options: &ScanOptions) -> aws_sdk_kms::Client {
    aws_sdk_kms::Client::new(&common::config(options).await)
}

/// A new symmetric key; its id and ARN.
async fn new_key(kms: &aws_sdk_kms::Client) -> (String, String) {
    let key = kms.create_key().send().await.unwrap();
    let meta = key.key_metadata().unwrap();
    (meta.key_id().to_owned(), meta.arn().unwrap().to_owned())
}

/// A directory with a file root key (0600) and where its keyring goes.
struct Home {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
}

impl Home {
    fn new() -> Home {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        let home = Home { _tmp: tmp, dir };
        home.write_root_key(KeyBytes::generate().unwrap().expose());
        home
    }

    fn write_root_key(&self, key: &[u8]) {
        fs::write(self.root_key(), key).unwrap();
        fs::set_permissions(self.root_key(), fs::Permissions::from_mode(0o600)).unwrap();
    }

    fn root_key(&self) -> PathBuf {
        self.dir.join("root.key")
    }

    fn keyring(&self) -> PathBuf {
        self.dir.join("keyring.json")
    }

    fn create(&self) -> Keyring {
        Keyring::create(
            &self.keyring(),
            RootConfig::File {
                path: "root.key".into(),
            },
            Box::new(FileRoot::load(&self.root_key()).unwrap()),
        )
        .unwrap()
    }

    /// Opens the keyring the way phiguard does: the file root from its key file, a KMS root
    /// through `kms_endpoint`.
    fn open(&self, kms_endpoint: &str) -> Result<Keyring, KeyringError> {
        Keyring::open_any(&self.keyring(), &mut self.opener(kms_endpoint))
    }

    fn opener(
        &self,
        kms_endpoint: &str,
    ) -> impl FnMut(&RootConfig) -> Result<Box<dyn RootKey>, OpenRootError> + '_ {
        let options = options(kms_endpoint.to_owned());
        move |config: &RootConfig| -> Result<Box<dyn RootKey>, OpenRootError> {
            match config {
                RootConfig::File { path } => Ok(Box::new(FileRoot::load(&self.dir.join(path))?)),
                RootConfig::AwsKms { .. } => {
                    Ok(Box::new(AwsKmsRoot::open(config, &options).unwrap()))
                }
                other => Err(format!("no {} root in this test", other.provider()).into()),
            }
        }
    }

    fn bytes(&self) -> Vec<u8> {
        fs::read(self.keyring()).unwrap()
    }
}

/// A KMS root over `arn` through `endpoint`, its ARN resolved by KMS.
fn kms_root(arn: &str, endpoint: &str) -> (RootConfig, AwsKmsRoot) {
    AwsKmsRoot::connect(arn, None, &options(endpoint.to_owned()))
        .resolve()
        .unwrap()
}

fn opened_with(keyring: &Keyring) -> &'static str {
    keyring.opened_with().unwrap().provider()
}

fn seal_with(keyring: &Keyring, plaintext: &[u8]) -> Vec<u8> {
    seal(keyring.recipients(), &Context::new(), plaintext).unwrap()
}

fn unseal_with(keyring: &Keyring, sealed: &[u8]) -> Vec<u8> {
    unseal(keyring, sealed).unwrap().1
}

/// An endpoint nothing listens on.
fn nowhere() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

/// What KMS answers Encrypt and Decrypt under a disabled key.
fn disabled_answer() -> Vec<u8> {
    let body = r#"{"__type":"DisabledException","message":"the key is disabled."}"#;
    format!(
        "HTTP/1.1 400 Bad Request\r\nContent-Type: application/x-amz-json-1.1\r\n\
         x-amzn-ErrorType: DisabledException\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// A KMS in front of `moto` where the key is disabled: Encrypt and Decrypt are refused with
/// `DisabledException`, everything else passes through.
///
/// moto 5.2.6 records a disabled key's state but keeps encrypting and decrypting under it;
/// AWS refuses both with `DisabledException` (and with `KMSInvalidStateException` once the key
/// is pending deletion). The relay answers as AWS does.
fn disabled_kms(moto: &Moto) -> Relay {
    Relay::start(&moto.endpoint(), |_, head| {
        if head.contains("TrentService.Encrypt") || head.contains("TrentService.Decrypt") {
            Relayed::Answer(disabled_answer())
        } else {
            Relayed::Forward(head.to_owned())
        }
    })
}

// Called from a current-thread runtime on purpose: the root's calls are synchronous and must
// not block the runtime they are called from.
#[tokio::test]
async fn a_secret_wrapped_under_kms_unwraps_under_its_label_only() {
    let Some(moto) = Moto::start() else { return };
    let kms = kms(&options(moto.endpoint())).await;
    let (id, arn) = new_key(&kms).await;

    // A key id resolves to the key's ARN, which is what the keyring records.
    let (config, root) = kms_root(&id, &moto.endpoint());
    assert_eq!(
        config,
        RootConfig::AwsKms {
            key_arn: arn.clone(),
            region: "us-east-1".into()
        }
    );
    let secret = [7u8; 32];
    let wrapped = root.wrap(b"phiguard keyring 00 kek 1", &secret).unwrap();
    assert_ne!(wrapped.as_slice(), secret.as_slice());
    assert_eq!(
        root.unwrap(b"phiguard keyring 00 kek 1", &wrapped)
            .unwrap()
            .as_slice(),
        secret.as_slice()
    );
    // Another label is another encryption context: KMS refuses it.
    assert!(
        matches!(
            root.unwrap(b"phiguard keyring 00 kek 2", &wrapped),
            Err(RootKeyError::WrongRootKey)
        ),
        "a secret was unwrapped under another label"
    );
    // Another key does not open it either, even one the caller may use.
    let (_, other) = new_key(&kms).await;
    let (_, other) = kms_root(&other, &moto.endpoint());
    assert!(
        other
            .unwrap(b"phiguard keyring 00 kek 1", &wrapped)
            .is_err()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_keyring_wrapped_under_a_file_and_kms_opens_through_either() {
    let Some(moto) = Moto::start() else { return };
    let kms = kms(&options(moto.endpoint())).await;
    let (key_id, arn) = new_key(&kms).await;
    let home = Home::new();
    let mut keyring = home.create();
    let sealed = seal_with(&keyring, b"ePHI");
    let pseudonym = keyring
        .pseudonymizer()
        .unwrap()
        .pseudonym("mrn", "1")
        .unwrap();
    let (config, root) = kms_root(&arn, &moto.endpoint());
    keyring.add_wrapping(config, Box::new(root)).unwrap();
    let summary = keyring.summary();
    assert_eq!(summary.roots.len(), 2);
    assert_eq!(summary.roots[1].provider, "aws-kms");
    assert_eq!(summary.roots[1].key, arn);
    assert!(!summary.roots[1].primary);

    // Both roots there: the primary opens it.
    let keyring = home.open(&moto.endpoint()).unwrap();
    assert_eq!(opened_with(&keyring), "file");

    // The KMS key disabled: the file root opens it, and the KMS root is reported unusable.
    kms.disable_key().key_id(&key_id).send().await.unwrap();
    let disabled = disabled_kms(&moto);
    let mut keyring = home.open(&disabled.endpoint()).unwrap();
    assert_eq!(opened_with(&keyring), "file");
    assert_eq!(unseal_with(&keyring, &sealed), b"ePHI");
    let reached = keyring.reach_roots(&mut home.opener(&disabled.endpoint()));
    assert_eq!(reached[0].1, None);
    let reason = reached[1]
        .1
        .clone()
        .expect("a disabled KMS key was reached");
    assert!(reason.contains("disabled"), "{reason}");
    kms.enable_key().key_id(&key_id).send().await.unwrap();

    // The file root key lost: KMS alone opens it, with the same keys.
    fs::remove_file(home.root_key()).unwrap();
    let keyring = home.open(&moto.endpoint()).unwrap();
    assert_eq!(opened_with(&keyring), "aws-kms");
    assert_eq!(unseal_with(&keyring, &sealed), b"ePHI");
    assert_eq!(
        keyring
            .pseudonymizer()
            .unwrap()
            .pseudonym("mrn", "1")
            .unwrap(),
        pseudonym
    );

    // Both lost: nothing opens it, and the error names each root.
    let error = home.open(&disabled.endpoint()).unwrap_err();
    let text = error.to_string();
    assert!(
        matches!(error, KeyringError::NoRootOpens { .. }),
        "{error:?}"
    );
    assert!(text.contains("root.key") && text.contains(&arn), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn rotation_wraps_the_new_version_under_every_root_or_not_at_all() {
    let Some(moto) = Moto::start() else { return };
    let kms = kms(&options(moto.endpoint())).await;
    let (_, arn) = new_key(&kms).await;
    let home = Home::new();
    let mut keyring = home.create();
    let (config, root) = kms_root(&arn, &moto.endpoint());
    keyring.add_wrapping(config, Box::new(root)).unwrap();

    // Opened through the file, the KMS root not reached: the rotation refuses, naming it.
    let mut keyring = home.open(&moto.endpoint()).unwrap();
    let before = home.bytes();
    let error = keyring.rotate().unwrap_err();
    assert!(
        matches!(&error, KeyringError::RootUnreachable { root, .. } if root.contains(&arn)),
        "{error:?}"
    );
    assert_eq!(
        home.bytes(),
        before,
        "a refused rotation changed the keyring"
    );

    // KMS refusing: reaching it fails, and so does the rotation; the keyring is unchanged.
    let disabled = disabled_kms(&moto);
    let mut keyring = home.open(&disabled.endpoint()).unwrap();
    let reached = keyring.reach_roots(&mut home.opener(&disabled.endpoint()));
    let reason = reached[1].1.clone().unwrap_or_default();
    assert!(reason.contains("disabled"), "{reason}");
    assert!(keyring.rotate().is_err());
    assert_eq!(home.bytes(), before);

    // Every root reached: version 2 is wrapped under both.
    let mut keyring = home.open(&moto.endpoint()).unwrap();
    let reached = keyring.reach_roots(&mut home.opener(&moto.endpoint()));
    assert!(reached.iter().all(|(_, e)| e.is_none()), "{reached:?}");
    assert_eq!(keyring.rotate().unwrap(), 2);
    let sealed = seal_with(&keyring, b"sealed under version 2");

    // Through the file alone (KMS unreachable)...
    let keyring = home.open(&nowhere()).unwrap();
    assert_eq!(opened_with(&keyring), "file");
    assert_eq!(keyring.current_version(), 2);
    assert_eq!(unseal_with(&keyring, &sealed), b"sealed under version 2");
    // ...and through KMS alone (the key file gone).
    fs::remove_file(home.root_key()).unwrap();
    let keyring = home.open(&moto.endpoint()).unwrap();
    assert_eq!(opened_with(&keyring), "aws-kms");
    assert_eq!(keyring.current_version(), 2);
    assert_eq!(unseal_with(&keyring, &sealed), b"sealed under version 2");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrapping_kms_cannot_make_is_refused_and_the_keyring_left_as_it_was() {
    let Some(moto) = Moto::start() else { return };
    let kms = kms(&options(moto.endpoint())).await;
    let (_, arn) = new_key(&kms).await;
    let home = Home::new();
    let mut keyring = home.create();
    let before = home.bytes();

    // Unreachable: resolving the key already fails.
    let refused = AwsKmsRoot::connect(&arn, None, &options(nowhere())).resolve();
    assert!(
        matches!(refused, Err(RootKeyError::Kms { .. })),
        "{refused:?}"
    );
    // And wrapping through it fails before anything is written.
    let config = RootConfig::AwsKms {
        key_arn: arn.clone(),
        region: "us-east-1".into(),
    };
    let unreachable = AwsKmsRoot::open(&config, &options(nowhere())).unwrap();
    let error = keyring
        .add_wrapping(config.clone(), Box::new(unreachable))
        .unwrap_err();
    assert!(
        matches!(&error, KeyringError::RootUnreachable { root, .. } if root.contains(&arn)),
        "{error:?}"
    );
    // A key that encrypts but does not decrypt (disabled) is refused too.
    let disabled = disabled_kms(&moto);
    let refusing = AwsKmsRoot::open(&config, &options(disabled.endpoint())).unwrap();
    assert!(
        keyring
            .add_wrapping(config.clone(), Box::new(refusing))
            .is_err()
    );
    assert_eq!(
        home.bytes(),
        before,
        "a refused wrapping changed the keyring"
    );
    assert_eq!(keyring.summary().roots.len(), 1);

    // The same key twice is refused.
    let (config, root) = kms_root(&arn, &moto.endpoint());
    keyring
        .add_wrapping(config.clone(), Box::new(root))
        .unwrap();
    let (_, again) = kms_root(&arn, &moto.endpoint());
    assert!(keyring.add_wrapping(config, Box::new(again)).is_err());
}

#[tokio::test(flavor = "multi_thread")]
async fn wrappings_are_covered_by_the_keyring_integrity_tag() {
    let Some(moto) = Moto::start() else { return };
    let kms = kms(&options(moto.endpoint())).await;
    let (_, arn) = new_key(&kms).await;
    let home = Home::new();
    let mut keyring = home.create();
    let (config, root) = kms_root(&arn, &moto.endpoint());
    keyring
        .add_wrapping(config.clone(), Box::new(root))
        .unwrap();
    let written = home.bytes();

    // Dropping the wrapping by hand (to hide the KMS key from the check) is caught, whichever
    // root opens the keyring.
    let mut json: serde_json::Value = serde_json::from_slice(&written).unwrap();
    json.as_object_mut().unwrap().remove("wrappings");
    fs::write(home.keyring(), serde_json::to_vec_pretty(&json).unwrap()).unwrap();
    assert!(matches!(
        home.open(&moto.endpoint()),
        Err(KeyringError::Altered { .. })
    ));
    // So is pointing the wrapping at another key, found out through the KMS root.
    let mut json: serde_json::Value = serde_json::from_slice(&written).unwrap();
    json["wrappings"][0]["created"] = "2020-01-01T00:00:00Z".into();
    fs::write(home.keyring(), serde_json::to_vec_pretty(&json).unwrap()).unwrap();
    fs::rename(home.root_key(), home.dir.join("away.key")).unwrap();
    assert!(matches!(
        home.open(&moto.endpoint()),
        Err(KeyringError::Altered { .. })
    ));
    fs::rename(home.dir.join("away.key"), home.root_key()).unwrap();

    // Removed through the keyring, with the file root there to keep it open, it is gone and
    // the file authenticates.
    fs::write(home.keyring(), &written).unwrap();
    let mut keyring = home.open(&moto.endpoint()).unwrap();
    keyring.remove_wrapping(&config).unwrap();
    let keyring = home.open(&nowhere()).unwrap();
    assert_eq!(keyring.summary().roots.len(), 1);
    // The primary cannot be removed.
    let mut keyring = keyring;
    let primary = RootConfig::File {
        path: "root.key".into(),
    };
    assert!(keyring.remove_wrapping(&primary).is_err());
}

#[tokio::test(flavor = "multi_thread")]
async fn removing_the_only_root_that_opens_the_keyring_is_refused() {
    let Some(moto) = Moto::start() else { return };
    let kms = kms(&options(moto.endpoint())).await;
    let (_, arn) = new_key(&kms).await;
    let home = Home::new();
    let mut keyring = home.create();
    let (config, root) = kms_root(&arn, &moto.endpoint());
    keyring
        .add_wrapping(config.clone(), Box::new(root))
        .unwrap();
    let written = home.bytes();
    fs::remove_file(home.root_key()).unwrap();
    let mut keyring = home.open(&moto.endpoint()).unwrap();
    let _ = keyring.reach_roots(&mut home.opener(&moto.endpoint()));
    let error = keyring.remove_wrapping(&config).unwrap_err();
    assert!(error.to_string().contains("only root"), "{error}");
    assert_eq!(home.bytes(), written);
}

/// A keyring as phiguard wrote it before additional wrappings existed (one file root, two KEK
/// versions), made by `tests/fixtures/single-root/` independently of this code.
fn old_keyring(home: &Home) {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/single-root");
    fs::copy(fixture.join("keyring.json"), home.keyring()).unwrap();
    home.write_root_key(&fs::read(fixture.join("root.key")).unwrap());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_keyring_from_before_wrappings_opens_unchanged_and_takes_one() {
    let Some(moto) = Moto::start() else { return };
    let kms = kms(&options(moto.endpoint())).await;
    let (_, arn) = new_key(&kms).await;
    let home = Home::new();
    old_keyring(&home);
    let before = home.bytes();

    let mut keyring = home.open(&nowhere()).unwrap();
    assert_eq!(keyring.current_version(), 2);
    assert_eq!(keyring.summary().roots.len(), 1);
    let sealed = seal_with(&keyring, b"old keyring");
    // Rotating a single-root keyring needs no other root.
    keyring.retire_through(1).unwrap();
    assert_ne!(home.bytes(), before);
    let text = String::from_utf8(home.bytes()).unwrap();
    assert!(!text.contains("wrappings"), "{text}");

    let (config, root) = kms_root(&arn, &moto.endpoint());
    keyring.add_wrapping(config, Box::new(root)).unwrap();
    fs::remove_file(home.root_key()).unwrap();
    let keyring = home.open(&moto.endpoint()).unwrap();
    assert_eq!(opened_with(&keyring), "aws-kms");
    assert_eq!(unseal_with(&keyring, &sealed), b"old keyring");
}

/// Every finding of the check that watches phiguard's KMS roots.
async fn phiguard_root_findings(options: &ScanOptions, keys: Vec<String>) -> Vec<Finding> {
    let inventory = common::scan(options).await;
    let settings = Settings {
        phiguard_root_keys: keys,
        ..Settings::default()
    };
    let registry = registry(Arc::new(inventory), &settings).unwrap();
    registry.run_all(&CheckContext::new("/", Timestamp::now()), |m| {
        m.id.as_str() == "cloud.aws.kms.phiguard_root"
    })
}

fn about<'f>(findings: &'f [Finding], arn: &str) -> &'f Finding {
    findings
        .iter()
        .find(|f| f.subject.starts_with(arn))
        .unwrap_or_else(|| panic!("no finding about {arn}: {findings:#?}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_check_fails_when_a_kms_key_wrapping_phiguard_keys_is_disabled_or_pending_deletion() {
    let Some(moto) = Moto::start() else { return };
    let options = options(moto.endpoint());
    let kms = kms(&options).await;
    let (_, enabled) = new_key(&kms).await;
    let (off_id, off) = new_key(&kms).await;
    let (doomed_id, doomed) = new_key(&kms).await;
    let (_, unrelated) = new_key(&kms).await;
    kms.disable_key().key_id(&off_id).send().await.unwrap();
    kms.schedule_key_deletion()
        .key_id(&doomed_id)
        .pending_window_in_days(7)
        .send()
        .await
        .unwrap();
    let missing = "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000";
    let elsewhere = "arn:aws:kms:eu-west-3:123456789012:key/00000000-0000-0000-0000-000000000001";

    let findings = phiguard_root_findings(
        &options,
        vec![
            enabled.clone(),
            off.clone(),
            doomed.clone(),
            missing.into(),
            elsewhere.into(),
        ],
    )
    .await;
    assert_eq!(findings.len(), 5, "{findings:#?}");
    assert_eq!(about(&findings, &enabled).status, Status::Pass);
    let disabled = about(&findings, &off);
    assert_eq!(disabled.status, Status::Fail, "{disabled:#?}");
    assert_eq!(disabled.severity, Severity::Critical);
    assert!(
        disabled.message.contains("disabled"),
        "{}",
        disabled.message
    );
    let pending = about(&findings, &doomed);
    assert_eq!(pending.status, Status::Fail, "{pending:#?}");
    assert!(pending.message.contains("deletion"), "{}", pending.message);
    // Not seen is not a pass.
    assert_eq!(about(&findings, missing).status, Status::Error);
    let far = about(&findings, elsewhere);
    assert_eq!(far.status, Status::Error);
    assert!(
        far.message.contains("--region eu-west-3"),
        "{}",
        far.message
    );
    // A key that wraps nothing of phiguard's is not this check's business.
    assert!(findings.iter().all(|f| !f.subject.starts_with(&unrelated)));

    // No KMS wrapping: nothing to judge.
    let findings = phiguard_root_findings(&options, Vec::new()).await;
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].status, Status::NotApplicable);
}
