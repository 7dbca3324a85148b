//! IAM, KMS and CloudTrail read from a real AWS API emulator (moto on loopback): users, keys
//! and trails built to pass each check and others built to fail it, judged through a whole
//! scan; a listing of more users than a page; and a caller denied one of the calls.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use aws_sdk_cloudtrail::types::{DataResource, EventSelector, ReadWriteType};
use aws_sdk_sts::config::Credentials;
use jiff::{SignedDuration, Timestamp};
use phiguard_cloud::aws::{ScanOptions, Service};
use phiguard_core::Status;
use phiguard_testkit::{Moto, Relay, Relayed};

use common::{ACCOUNT, about, config, judge, options, scan, status};

const ROOT: &str = "arn:aws:iam::123456789012:root (account 123456789012)";

fn user_arn(name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:user/{name}")
}

const EVERYTHING: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;

const READ_ONE_BUCKET: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
"Action":"s3:GetObject","Resource":"arn:aws:s3:::reports/*"}]}"#;

#[tokio::test(flavor = "multi_thread")]
async fn users_built_right_pass_and_users_built_wrong_fail_each_iam_check() {
    // moto knows AWS managed policies such as AdministratorAccess only when asked to load them.
    let Some(moto) = Moto::start_with(&[("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")]) else {
        return;
    };
    let mut options = options(&moto, &[Service::Iam]);
    // One item a page: Bob's two attached policies and the users themselves take pages.
    options.page_size = Some(1);
    let iam = aws_sdk_iam::Client::new(&config(&options).await);
    for name in ["alice", "bob", "carol"] {
        iam.create_user().user_name(name).send().await.unwrap();
    }
    // Alice signs in with a password and an MFA device, holds a narrow policy and a new key.
    // Bob signs in with a password alone and holds administrative policies of his own.
    // Carol has no console password at all.
    for name in ["alice", "bob"] {
        iam.create_login_profile()
            .user_name(name)
            .password("correct-Horse-battery-9")
            .send()
            .await
            .unwrap();
    }
    let device = iam
        .create_virtual_mfa_device()
        .virtual_mfa_device_name("alice")
        .send()
        .await
        .unwrap();
    iam.enable_mfa_device()
        .user_name("alice")
        .serial_number(device.virtual_mfa_device().unwrap().serial_number())
        .authentication_code1("123456")
        .authentication_code2("654321")
        .send()
        .await
        .unwrap();
    iam.put_user_policy()
        .user_name("alice")
        .policy_name("read-reports")
        .policy_document(READ_ONE_BUCKET)
        .send()
        .await
        .unwrap();
    iam.create_access_key()
        .user_name("alice")
        .send()
        .await
        .unwrap();
    iam.attach_user_policy()
        .user_name("bob")
        .policy_arn("arn:aws:iam::aws:policy/AdministratorAccess")
        .send()
        .await
        .unwrap();
    let own = iam
        .create_policy()
        .policy_name("do-anything")
        .policy_document(EVERYTHING)
        .send()
        .await
        .unwrap();
    iam.attach_user_policy()
        .user_name("bob")
        .policy_arn(own.policy().unwrap().arn().unwrap())
        .send()
        .await
        .unwrap();
    iam.put_user_policy()
        .user_name("bob")
        .policy_name("inline-everything")
        .policy_document(EVERYTHING)
        .send()
        .await
        .unwrap();

    let inventory = scan(&options).await;
    let findings = judge(&inventory, Timestamp::now());
    let (alice, bob, carol) = (user_arn("alice"), user_arn("bob"), user_arn("carol"));

    assert_eq!(
        status(&findings, "cloud.aws.iam.console_mfa", &alice),
        Status::Pass
    );
    let no_mfa = about(&findings, "cloud.aws.iam.console_mfa", &bob);
    assert_eq!(no_mfa.status, Status::Fail, "{no_mfa:#?}");
    assert!(no_mfa.message.contains("no MFA"), "{}", no_mfa.message);
    assert_eq!(
        status(&findings, "cloud.aws.iam.console_mfa", &carol),
        Status::NotApplicable
    );

    assert_eq!(
        status(&findings, "cloud.aws.iam.admin_attached", &alice),
        Status::Pass
    );
    let admin = about(&findings, "cloud.aws.iam.admin_attached", &bob);
    assert_eq!(admin.status, Status::Warn, "{admin:#?}");
    for policy in ["AdministratorAccess", "do-anything", "inline-everything"] {
        assert!(admin.message.contains(policy), "{}", admin.message);
    }

    // moto's root user has neither access keys nor MFA.
    assert_eq!(
        status(&findings, "cloud.aws.iam.root_access_keys", ROOT),
        Status::Pass
    );
    assert_eq!(
        status(&findings, "cloud.aws.iam.root_mfa", ROOT),
        Status::Fail
    );

    // Alice's key is new and unused: fine today, overdue on both counts in 100 days. Users
    // without an active key pass either way.
    for check in [
        "cloud.aws.iam.access_key_unused",
        "cloud.aws.iam.access_key_rotation",
    ] {
        assert_eq!(status(&findings, check, &alice), Status::Pass, "{check}");
        assert_eq!(status(&findings, check, &carol), Status::Pass, "{check}");
    }
    let later = judge(
        &inventory,
        Timestamp::now() + SignedDuration::from_hours(100 * 24),
    );
    let unused = about(&later, "cloud.aws.iam.access_key_unused", &alice);
    assert_eq!(unused.status, Status::Fail, "{unused:#?}");
    assert!(
        unused.message.contains("never been used"),
        "{}",
        unused.message
    );
    let old = about(&later, "cloud.aws.iam.access_key_rotation", &alice);
    assert_eq!(old.status, Status::Fail, "{old:#?}");
    assert_eq!(
        status(&later, "cloud.aws.iam.access_key_rotation", &carol),
        Status::Pass
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_password_policy_is_judged_absent_weak_and_strong() {
    let Some(moto) = Moto::start() else { return };
    let options = options(&moto, &[Service::Iam]);
    let iam = aws_sdk_iam::Client::new(&config(&options).await);
    let check = "cloud.aws.iam.password_policy";

    let none = judge(&scan(&options).await, Timestamp::now());
    let absent = about(&none, check, ROOT);
    assert_eq!(absent.status, Status::Fail, "{absent:#?}");
    assert!(
        absent.message.contains("no password policy"),
        "{}",
        absent.message
    );

    iam.update_account_password_policy()
        .minimum_password_length(8)
        .require_numbers(true)
        .send()
        .await
        .unwrap();
    let weak = judge(&scan(&options).await, Timestamp::now());
    let weak = about(&weak, check, ROOT);
    assert_eq!(weak.status, Status::Fail, "{weak:#?}");
    assert!(
        weak.message.contains("minimum length of 8"),
        "{}",
        weak.message
    );
    assert!(weak.message.contains("symbols"), "{}", weak.message);

    iam.update_account_password_policy()
        .minimum_password_length(14)
        .require_symbols(true)
        .require_numbers(true)
        .require_uppercase_characters(true)
        .require_lowercase_characters(true)
        .max_password_age(90)
        .password_reuse_prevention(24)
        .send()
        .await
        .unwrap();
    let strong = judge(&scan(&options).await, Timestamp::now());
    assert_eq!(status(&strong, check, ROOT), Status::Pass);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_user_is_read_across_pages() {
    let Some(moto) = Moto::start() else { return };
    let mut options = options(&moto, &[Service::Iam]);
    options.page_size = Some(5);
    let iam = aws_sdk_iam::Client::new(&config(&options).await);
    for n in 0..12 {
        iam.create_user()
            .user_name(format!("user-{n:02}"))
            .send()
            .await
            .unwrap();
    }
    let inventory = scan(&options).await;
    let names: Vec<&str> = inventory
        .iam
        .users
        .iter()
        .map(|u| u.resource.id.as_str())
        .collect();
    let expected: Vec<String> = (0..12).map(|n| format!("user-{n:02}")).collect();
    assert_eq!(names, expected);
    assert!(inventory.gaps.is_empty(), "{:#?}", inventory.gaps);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_call_the_credentials_may_not_make_is_an_error_naming_the_action() {
    // moto lets the first three calls through unchecked (the set-up below) and enforces IAM
    // on every one after.
    let Some(moto) = Moto::start_with(&[("INITIAL_NO_AUTH_ACTION_COUNT", "3")]) else {
        return;
    };
    let options = options(&moto, &[Service::Iam]);
    let iam = aws_sdk_iam::Client::new(&config(&options).await);
    iam.create_user().user_name("auditor").send().await.unwrap();
    iam.put_user_policy()
        .user_name("auditor")
        .policy_name("audit-without-mfa")
        .policy_document(
            r#"{"Version":"2012-10-17","Statement":[
                {"Effect":"Allow","Action":"*","Resource":"*"},
                {"Effect":"Deny","Action":"iam:ListMFADevices","Resource":"*"}]}"#,
        )
        .send()
        .await
        .unwrap();
    let key = iam
        .create_access_key()
        .user_name("auditor")
        .send()
        .await
        .unwrap();
    let key = key.access_key().unwrap();
    let mut auditor = options.clone();
    auditor.credentials = Some(Credentials::new(
        key.access_key_id(),
        key.secret_access_key(),
        None,
        None,
        "test",
    ));

    let findings = judge(&scan(&auditor).await, Timestamp::now());
    let unknown = about(&findings, "cloud.aws.iam.console_mfa", &user_arn("auditor"));
    // The auditor has no console password, so MFA is not asked about for it.
    assert_eq!(unknown.status, Status::NotApplicable, "{unknown:#?}");

    // A user who can sign in makes the MFA devices matter: now the denial shows.
    let admin = aws_sdk_iam::Client::new(&config(&auditor).await);
    admin
        .create_user()
        .user_name("clinician")
        .send()
        .await
        .unwrap();
    admin
        .create_login_profile()
        .user_name("clinician")
        .password("correct-Horse-battery-9")
        .send()
        .await
        .unwrap();
    let findings = judge(&scan(&auditor).await, Timestamp::now());
    let denied = about(
        &findings,
        "cloud.aws.iam.console_mfa",
        &user_arn("clinician"),
    );
    assert_eq!(denied.status, Status::Error, "{denied:#?}");
    assert!(
        denied.message.contains("iam:ListMFADevices"),
        "{}",
        denied.message
    );
    // What was allowed is still judged.
    assert_eq!(
        status(
            &findings,
            "cloud.aws.iam.admin_attached",
            &user_arn("auditor")
        ),
        Status::Warn
    );
}

const PUBLIC_KEY_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
"Principal":"*","Action":"kms:Decrypt","Resource":"*"}]}"#;

#[tokio::test(flavor = "multi_thread")]
async fn keys_built_right_pass_and_keys_built_wrong_fail_each_kms_check() {
    let Some(moto) = Moto::start() else { return };
    let options = options(&moto, &[Service::Kms]);
    let kms = aws_sdk_kms::Client::new(&config(&options).await);
    let create = |policy: Option<&'static str>| {
        let kms = kms.clone();
        async move {
            let key = kms
                .create_key()
                .set_policy(policy.map(str::to_owned))
                .send()
                .await
                .unwrap();
            let meta = key.key_metadata().unwrap();
            (meta.key_id().to_owned(), meta.arn().unwrap().to_owned())
        }
    };
    let (rotating, rotating_arn) = create(None).await;
    let (_, still_arn) = create(None).await;
    let (doomed, doomed_arn) = create(None).await;
    let (off, off_arn) = create(None).await;
    let (_, public_arn) = create(Some(PUBLIC_KEY_POLICY)).await;
    kms.enable_key_rotation()
        .key_id(&rotating)
        .send()
        .await
        .unwrap();
    kms.schedule_key_deletion()
        .key_id(&doomed)
        .pending_window_in_days(7)
        .send()
        .await
        .unwrap();
    kms.disable_key().key_id(&off).send().await.unwrap();

    let findings = judge(&scan(&options).await, Timestamp::now());
    assert_eq!(
        status(&findings, "cloud.aws.kms.rotation", &rotating_arn),
        Status::Pass
    );
    assert_eq!(
        status(&findings, "cloud.aws.kms.rotation", &still_arn),
        Status::Fail
    );
    // A key that encrypts nothing new is not asked to rotate.
    assert_eq!(
        status(&findings, "cloud.aws.kms.rotation", &doomed_arn),
        Status::NotApplicable
    );

    assert_eq!(
        status(&findings, "cloud.aws.kms.key_state", &rotating_arn),
        Status::Pass
    );
    let pending = about(&findings, "cloud.aws.kms.key_state", &doomed_arn);
    assert_eq!(pending.status, Status::Fail, "{pending:#?}");
    assert!(
        pending.message.contains("never be read"),
        "{}",
        pending.message
    );
    let disabled = about(&findings, "cloud.aws.kms.key_state", &off_arn);
    assert_eq!(disabled.status, Status::Warn, "{disabled:#?}");

    assert_eq!(
        status(&findings, "cloud.aws.kms.policy_public", &rotating_arn),
        Status::Pass
    );
    let public = about(&findings, "cloud.aws.kms.policy_public", &public_arn);
    assert_eq!(public.status, Status::Fail, "{public:#?}");
    assert!(public.message.contains("kms:Decrypt"), "{}", public.message);
}

/// A bucket for trails to deliver to.
async fn log_bucket(options: &ScanOptions, name: &str) {
    let config = config(options).await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build(),
    );
    s3.create_bucket().bucket(name).send().await.unwrap();
}

fn trail_arn(name: &str) -> String {
    format!("arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/{name}")
}

#[tokio::test(flavor = "multi_thread")]
async fn trails_built_right_pass_and_trails_built_wrong_fail_each_cloudtrail_check() {
    let Some(moto) = Moto::start() else { return };
    let mut options = options(&moto, &[Service::CloudTrail]);
    let relay = long_targets(&moto);
    options.endpoint_url = Some(relay.endpoint());
    log_bucket(&options, "trail-logs").await;
    let trails = aws_sdk_cloudtrail::Client::new(&config(&options).await);
    trails
        .create_trail()
        .name("everywhere")
        .s3_bucket_name("trail-logs")
        .is_multi_region_trail(true)
        .enable_log_file_validation(true)
        .kms_key_id(format!("arn:aws:kms:us-east-1:{ACCOUNT}:key/trail-key"))
        .cloud_watch_logs_log_group_arn(format!(
            "arn:aws:logs:us-east-1:{ACCOUNT}:log-group:trail:*"
        ))
        .cloud_watch_logs_role_arn(format!("arn:aws:iam::{ACCOUNT}:role/trail-to-logs"))
        .send()
        .await
        .unwrap();
    trails
        .start_logging()
        .name("everywhere")
        .send()
        .await
        .unwrap();
    trails
        .put_event_selectors()
        .trail_name("everywhere")
        .event_selectors(
            EventSelector::builder()
                .read_write_type(ReadWriteType::All)
                .include_management_events(true)
                .data_resources(
                    DataResource::builder()
                        .r#type("AWS::S3::Object")
                        .values("arn:aws:s3")
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    trails
        .create_trail()
        .name("local")
        .s3_bucket_name("trail-logs")
        .send()
        .await
        .unwrap();

    let findings = judge(&scan(&options).await, Timestamp::now());
    let (good, bad) = (trail_arn("everywhere"), trail_arn("local"));
    let account = about(&findings, "cloud.aws.cloudtrail.multi_region_logging", ROOT);
    assert_eq!(account.status, Status::Pass, "{account:#?}");
    assert!(
        account.message.contains("everywhere"),
        "{}",
        account.message
    );
    for check in [
        "cloud.aws.cloudtrail.log_file_validation",
        "cloud.aws.cloudtrail.kms_encryption",
        "cloud.aws.cloudtrail.cloudwatch_logs",
    ] {
        assert_eq!(status(&findings, check, &good), Status::Pass, "{check}");
        assert_eq!(status(&findings, check, &bad), Status::Fail, "{check}");
    }
    assert_eq!(
        status(&findings, "cloud.aws.cloudtrail.s3_data_events", &good),
        Status::Pass
    );
    // The local trail records no data events, but the account's other trail does.
    let covered = about(&findings, "cloud.aws.cloudtrail.s3_data_events", &bad);
    assert_eq!(covered.status, Status::Pass, "{covered:#?}");
    assert!(
        covered.message.contains("everywhere"),
        "{}",
        covered.message
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_account_whose_only_trail_is_regional_and_stopped_fails() {
    let Some(moto) = Moto::start() else { return };
    let mut options = options(&moto, &[Service::CloudTrail]);
    let relay = long_targets(&moto);
    options.endpoint_url = Some(relay.endpoint());

    let empty = judge(&scan(&options).await, Timestamp::now());
    let none = about(&empty, "cloud.aws.cloudtrail.multi_region_logging", ROOT);
    assert_eq!(none.status, Status::Fail, "{none:#?}");
    assert!(none.message.contains("no trail"), "{}", none.message);

    log_bucket(&options, "trail-logs").await;
    let trails = aws_sdk_cloudtrail::Client::new(&config(&options).await);
    trails
        .create_trail()
        .name("local")
        .s3_bucket_name("trail-logs")
        .send()
        .await
        .unwrap();
    trails
        .create_trail()
        .name("stopped")
        .s3_bucket_name("trail-logs")
        .is_multi_region_trail(true)
        .send()
        .await
        .unwrap();
    let findings = judge(&scan(&options).await, Timestamp::now());
    let account = about(&findings, "cloud.aws.cloudtrail.multi_region_logging", ROOT);
    assert_eq!(account.status, Status::Fail, "{account:#?}");
    assert!(
        account.message.contains("not logging"),
        "{}",
        account.message
    );
    let data = about(
        &findings,
        "cloud.aws.cloudtrail.s3_data_events",
        &trail_arn("local"),
    );
    assert_eq!(data.status, Status::Fail, "{data:#?}");
}

/// An endpoint in front of `moto` that spells CloudTrail's `X-Amz-Target` the long way.
///
/// The SDK for Rust names CloudTrail operations `CloudTrail_20131101.DescribeTrails`, which
/// AWS accepts; moto routes only the long form its service model spells
/// (`com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.DescribeTrails`) and answers 404
/// to the short one. moto does not check signatures unless told to enforce IAM, which these
/// tests do not, so the rewritten header passes.
fn long_targets(moto: &Moto) -> Relay {
    Relay::start(&moto.endpoint(), |_, head| {
        Relayed::Forward(head.replace(
            ": CloudTrail_20131101.",
            ": com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.",
        ))
    })
}
