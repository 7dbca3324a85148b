//! GuardDuty, Security Hub, AWS Config, SNS, SQS, Secrets Manager and Lambda read from a real
//! AWS API emulator (moto on loopback): regions, topics, queues, secrets and functions built
//! to pass each check and others built to fail it, judged through a whole scan; listings of
//! more queues and topics than a page; and a caller denied some of the calls.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write;

use aws_sdk_config::types::{
    ConfigurationRecorder, DeliveryChannel, RecordingGroup, RecordingStrategy,
    RecordingStrategyType, ResourceType,
};
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{FunctionCode, FunctionUrlAuthType, Runtime};
use aws_sdk_sqs::types::QueueAttributeName;
use aws_sdk_sts::config::Credentials;
use jiff::{SignedDuration, Timestamp};
use phiguard_cloud::aws::{ScanOptions, Service};
use phiguard_core::{Finding, Severity, Status};
use phiguard_testkit::Moto;

use common::{ACCOUNT, about, config_in, judge, options_at, scan, status};

fn options(moto: &Moto, regions: &[&str], services: &[Service]) -> ScanOptions {
    options_at(moto.endpoint(), regions, services)
}

/// The account in a region, as a per-region setting without a resource of its own is named.
fn account_in(what: &str, region: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:root ({what} in {region})")
}

#[tokio::test(flavor = "multi_thread")]
async fn detectors_hubs_and_recorders_are_judged_in_every_region() {
    let Some(moto) = Moto::start() else { return };
    let regions = ["eu-west-1", "us-east-1", "us-west-2"];
    let options = options(
        &moto,
        &regions,
        &[Service::GuardDuty, Service::SecurityHub, Service::Config],
    );
    let virginia = config_in(&options, "us-east-1").await;
    let ireland = config_in(&options, "eu-west-1").await;
    let oregon = config_in(&options, "us-west-2").await;

    // GuardDuty: watching Virginia, suspended in Ireland, never enabled in Oregon.
    let enabled = aws_sdk_guardduty::Client::new(&virginia)
        .create_detector()
        .enable(true)
        .send()
        .await
        .unwrap()
        .detector_id()
        .unwrap()
        .to_owned();
    let suspended = aws_sdk_guardduty::Client::new(&ireland)
        .create_detector()
        .enable(false)
        .send()
        .await
        .unwrap()
        .detector_id()
        .unwrap()
        .to_owned();

    // Security Hub: subscribed in Virginia only.
    aws_sdk_securityhub::Client::new(&virginia)
        .enable_security_hub()
        .send()
        .await
        .unwrap();

    // AWS Config: recording everything in Virginia, recording only buckets in Ireland, a
    // recorder that was never started in Oregon.
    let recorder = |group: RecordingGroup| {
        ConfigurationRecorder::builder()
            .name("default")
            .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/config"))
            .recording_group(group)
            .build()
    };
    let everything = RecordingGroup::builder()
        .all_supported(true)
        .include_global_resource_types(true)
        .build();
    let buckets_only = RecordingGroup::builder()
        .all_supported(false)
        .include_global_resource_types(false)
        .resource_types(ResourceType::Bucket)
        .recording_strategy(
            RecordingStrategy::builder()
                .use_only(RecordingStrategyType::InclusionByResourceTypes)
                .build(),
        )
        .build();
    for (sdk, group, start) in [
        (&virginia, everything.clone(), true),
        (&ireland, buckets_only, true),
        (&oregon, everything, false),
    ] {
        let client = aws_sdk_config::Client::new(sdk);
        client
            .put_configuration_recorder()
            .configuration_recorder(recorder(group))
            .send()
            .await
            .unwrap();
        client
            .put_delivery_channel()
            .delivery_channel(
                DeliveryChannel::builder()
                    .name("default")
                    .s3_bucket_name("config-history")
                    .build(),
            )
            .send()
            .await
            .unwrap();
        if start {
            client
                .start_configuration_recorder()
                .configuration_recorder_name("default")
                .send()
                .await
                .unwrap();
        }
    }

    let inventory = scan(&options).await;
    assert!(inventory.gaps.is_empty(), "{:#?}", inventory.gaps);
    let findings = judge(&inventory, Timestamp::now());

    let guardduty = "cloud.aws.guardduty.enabled";
    let watching = about(
        &findings,
        guardduty,
        &format!("arn:aws:guardduty:us-east-1:{ACCOUNT}:detector/{enabled}"),
    );
    assert_eq!(watching.status, Status::Pass, "{watching:#?}");
    let paused = about(
        &findings,
        guardduty,
        &format!("arn:aws:guardduty:eu-west-1:{ACCOUNT}:detector/{suspended}"),
    );
    assert_eq!(paused.status, Status::Fail, "{paused:#?}");
    assert!(paused.message.contains("DISABLED"), "{}", paused.message);
    let none = about(&findings, guardduty, &account_in("GuardDuty", "us-west-2"));
    assert_eq!(none.status, Status::Fail, "{none:#?}");
    assert!(none.message.contains("no detector"), "{}", none.message);

    let hub = "cloud.aws.securityhub.enabled";
    assert_eq!(
        status(
            &findings,
            hub,
            &format!("arn:aws:securityhub:us-east-1:{ACCOUNT}:hub/default")
        ),
        Status::Pass
    );
    // "Account is not subscribed to AWS Security Hub" means it is off: a failure, not an
    // error.
    for region in ["eu-west-1", "us-west-2"] {
        let off = about(&findings, hub, &account_in("Security Hub", region));
        assert_eq!(off.status, Status::Fail, "{off:#?}");
    }

    // moto gives recorders no ARN (AWS gives newer ones one): they are named as the
    // account's setting in the region.
    let config = "cloud.aws.config.recorder";
    let recorder_in = |region: &str| account_in("AWS Config recorder default", region);
    assert_eq!(
        status(&findings, config, &recorder_in("us-east-1")),
        Status::Pass
    );
    let partial = about(&findings, config, &recorder_in("eu-west-1"));
    assert_eq!(partial.status, Status::Warn, "{partial:#?}");
    assert!(
        partial.message.contains("only AWS::S3::Bucket"),
        "{}",
        partial.message
    );
    let stopped = about(&findings, config, &recorder_in("us-west-2"));
    assert_eq!(stopped.status, Status::Fail, "{stopped:#?}");
    assert!(stopped.message.contains("stopped"), "{}", stopped.message);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_region_without_a_recorder_fails_and_one_left_unscanned_says_nothing() {
    let Some(moto) = Moto::start() else { return };
    let options = options(&moto, &["us-east-1"], &[Service::Config]);
    let findings = judge(&scan(&options).await, Timestamp::now());
    let config = "cloud.aws.config.recorder";
    let none = about(&findings, config, &account_in("AWS Config", "us-east-1"));
    assert_eq!(none.status, Status::Fail, "{none:#?}");
    // GuardDuty was not scanned: nothing to judge, said once, not a pass.
    let unscanned: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.check.as_str() == "cloud.aws.guardduty.enabled")
        .collect();
    assert_eq!(unscanned.len(), 1, "{unscanned:#?}");
    assert_eq!(unscanned[0].status, Status::NotApplicable);
}

#[tokio::test(flavor = "multi_thread")]
async fn topics_and_queues_pass_encrypted_and_fail_in_the_clear() {
    let Some(moto) = Moto::start() else { return };
    let options = options(&moto, &["us-east-1"], &[Service::Sns, Service::Sqs]);
    let sdk = config_in(&options, "us-east-1").await;
    let sns = aws_sdk_sns::Client::new(&sdk);
    sns.create_topic()
        .name("results-ready")
        .attributes("KmsMasterKeyId", "alias/aws/sns")
        .send()
        .await
        .unwrap();
    sns.create_topic()
        .name("reminders")
        .tags(
            aws_sdk_sns::types::Tag::builder()
                .key("phi")
                .value("true")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    sqs.create_queue()
        .queue_name("claims-kms")
        .attributes(QueueAttributeName::KmsMasterKeyId, "alias/aws/sqs")
        .send()
        .await
        .unwrap();
    sqs.create_queue()
        .queue_name("claims-sse")
        .attributes(QueueAttributeName::SqsManagedSseEnabled, "true")
        .send()
        .await
        .unwrap();
    // New queues get SSE-SQS unless it is turned off, in AWS as in moto.
    sqs.create_queue()
        .queue_name("claims-plain")
        .attributes(QueueAttributeName::SqsManagedSseEnabled, "false")
        .tags("phi", "true")
        .send()
        .await
        .unwrap();

    let inventory = scan(&options).await;
    assert!(inventory.gaps.is_empty(), "{:#?}", inventory.gaps);
    let findings = judge(&inventory, Timestamp::now());

    let topic = |name: &str| format!("arn:aws:sns:us-east-1:{ACCOUNT}:{name}");
    let encrypted = about(
        &findings,
        "cloud.aws.sns.encryption",
        &topic("results-ready"),
    );
    assert_eq!(encrypted.status, Status::Pass, "{encrypted:#?}");
    assert!(
        encrypted.message.contains("alias/aws/sns"),
        "{}",
        encrypted.message
    );
    let clear = about(&findings, "cloud.aws.sns.encryption", &topic("reminders"));
    assert_eq!(clear.status, Status::Fail, "{clear:#?}");
    assert_eq!(clear.severity, Severity::Critical, "{clear:#?}");

    let queue = |name: &str| format!("arn:aws:sqs:us-east-1:{ACCOUNT}:{name}");
    let kms = about(&findings, "cloud.aws.sqs.encryption", &queue("claims-kms"));
    assert_eq!(kms.status, Status::Pass, "{kms:#?}");
    assert!(kms.message.contains("SSE-KMS"), "{}", kms.message);
    let managed = about(&findings, "cloud.aws.sqs.encryption", &queue("claims-sse"));
    assert_eq!(managed.status, Status::Pass, "{managed:#?}");
    assert!(managed.message.contains("SSE-SQS"), "{}", managed.message);
    let plain = about(
        &findings,
        "cloud.aws.sqs.encryption",
        &queue("claims-plain"),
    );
    assert_eq!(plain.status, Status::Fail, "{plain:#?}");
    assert_eq!(plain.severity, Severity::Critical, "{plain:#?}");
    assert!(plain.message.contains("holds ePHI"), "{}", plain.message);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_queue_and_topic_is_read_across_pages() {
    let Some(moto) = Moto::start() else { return };
    let mut options = options(&moto, &["us-east-1"], &[Service::Sns, Service::Sqs]);
    options.page_size = Some(5);
    let sdk = config_in(&options, "us-east-1").await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    for n in 0..12 {
        sqs.create_queue()
            .queue_name(format!("queue-{n:02}"))
            .send()
            .await
            .unwrap();
    }
    // ListTopics takes no page size: AWS (and moto) answer 100 topics a page.
    let sns = aws_sdk_sns::Client::new(&sdk);
    for n in 0..103 {
        sns.create_topic()
            .name(format!("topic-{n:03}"))
            .send()
            .await
            .unwrap();
    }
    let inventory = scan(&options).await;
    assert!(inventory.gaps.is_empty(), "{:#?}", inventory.gaps);
    let queues: Vec<&str> = inventory
        .sqs
        .queues
        .iter()
        .map(|q| q.resource.id.as_str())
        .collect();
    let expected: Vec<String> = (0..12).map(|n| format!("queue-{n:02}")).collect();
    assert_eq!(queues, expected);
    let topics: Vec<&str> = inventory
        .sns
        .topics
        .iter()
        .map(|t| t.resource.id.as_str())
        .collect();
    let expected: Vec<String> = (0..103).map(|n| format!("topic-{n:03}")).collect();
    assert_eq!(topics, expected);
    // Each was read in full, not only listed.
    assert!(
        inventory
            .sqs
            .queues
            .iter()
            .all(|q| q.encryption.known().is_some())
    );
    assert!(
        inventory
            .sns
            .topics
            .iter()
            .all(|t| t.kms_key.known().is_some())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn secrets_that_rotate_pass_those_that_do_not_fail_and_late_ones_warn() {
    let Some(moto) = Moto::start() else { return };
    let mut options = options(&moto, &["us-east-1"], &[Service::SecretsManager]);
    options.page_size = Some(1);
    let secrets = aws_sdk_secretsmanager::Client::new(&config_in(&options, "us-east-1").await);
    let rotated = secrets
        .create_secret()
        .name("db-password")
        .secret_string("first")
        .send()
        .await
        .unwrap()
        .arn()
        .unwrap()
        .to_owned();
    // AWS needs a rotation function (or a managing service) to rotate; moto rotates without
    // one, and invoking one would need docker. What is read back is the same.
    secrets
        .rotate_secret()
        .secret_id("db-password")
        .rotation_rules(
            aws_sdk_secretsmanager::types::RotationRulesType::builder()
                .automatically_after_days(30)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let static_ = secrets
        .create_secret()
        .name("ehr-api-key")
        .secret_string("forever")
        .tags(
            aws_sdk_secretsmanager::types::Tag::builder()
                .key("phi")
                .value("true")
                .build(),
        )
        .send()
        .await
        .unwrap()
        .arn()
        .unwrap()
        .to_owned();

    let inventory = scan(&options).await;
    assert!(inventory.gaps.is_empty(), "{:#?}", inventory.gaps);
    assert_eq!(inventory.secretsmanager.secrets.len(), 2);
    let check = "cloud.aws.secretsmanager.rotation";
    // A secret's ARN ends in a random suffix: the subject adds its name.
    let rotated = format!("{rotated} (db-password)");
    let static_ = format!("{static_} (ehr-api-key)");
    let today = judge(&inventory, Timestamp::now());
    let on_time = about(&today, check, &rotated);
    assert_eq!(on_time.status, Status::Pass, "{on_time:#?}");
    assert!(on_time.message.contains("30 days"), "{}", on_time.message);
    let never = about(&today, check, &static_);
    assert_eq!(never.status, Status::Fail, "{never:#?}");
    assert_eq!(never.severity, Severity::Critical, "{never:#?}");

    // Forty days on, with no rotation since: more than 30 days and a day's grace.
    let later = judge(
        &inventory,
        Timestamp::now() + SignedDuration::from_hours(40 * 24),
    );
    let late = about(&later, check, &rotated);
    assert_eq!(late.status, Status::Warn, "{late:#?}");
    assert!(late.message.contains("may be failing"), "{}", late.message);
}

/// A deployment package: one Python handler, zipped (stored, not compressed).
fn package() -> Vec<u8> {
    let body = b"def handler(event, context):\n    return 1\n";
    let name = b"index.py";
    let crc = crc32(body);
    let mut zip = Vec::new();
    let local = |zip: &mut Vec<u8>| {
        zip.write_all(&[0x50, 0x4b, 0x03, 0x04, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0])
            .unwrap();
        zip.write_all(&crc.to_le_bytes()).unwrap();
        zip.write_all(&(body.len() as u32).to_le_bytes()).unwrap();
        zip.write_all(&(body.len() as u32).to_le_bytes()).unwrap();
        zip.write_all(&(name.len() as u16).to_le_bytes()).unwrap();
        zip.write_all(&[0, 0]).unwrap();
        zip.write_all(name).unwrap();
        zip.write_all(body).unwrap();
    };
    local(&mut zip);
    let central_at = zip.len() as u32;
    zip.write_all(&[0x50, 0x4b, 0x01, 0x02, 20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0])
        .unwrap();
    zip.write_all(&crc.to_le_bytes()).unwrap();
    zip.write_all(&(body.len() as u32).to_le_bytes()).unwrap();
    zip.write_all(&(body.len() as u32).to_le_bytes()).unwrap();
    zip.write_all(&(name.len() as u16).to_le_bytes()).unwrap();
    zip.write_all(&[0; 12]).unwrap();
    zip.write_all(&0u32.to_le_bytes()).unwrap();
    zip.write_all(name).unwrap();
    let central_len = zip.len() as u32 - central_at;
    zip.write_all(&[0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0, 1, 0, 1, 0])
        .unwrap();
    zip.write_all(&central_len.to_le_bytes()).unwrap();
    zip.write_all(&central_at.to_le_bytes()).unwrap();
    zip.write_all(&[0, 0]).unwrap();
    zip
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for byte in bytes {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

const LAMBDA_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
"Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

#[tokio::test(flavor = "multi_thread")]
async fn functions_open_to_anyone_fail_and_guarded_ones_pass() {
    let Some(moto) = Moto::start() else { return };
    let mut options = options(&moto, &["us-east-1"], &[Service::Lambda]);
    // One function a page: three functions make three pages.
    options.page_size = Some(1);
    let sdk = config_in(&options, "us-east-1").await;
    let role = aws_sdk_iam::Client::new(&sdk)
        .create_role()
        .role_name("lambda-runner")
        .assume_role_policy_document(LAMBDA_TRUST)
        .send()
        .await
        .unwrap()
        .role()
        .unwrap()
        .arn()
        .to_owned();
    let lambda = aws_sdk_lambda::Client::new(&sdk);
    for (name, phi) in [("private", false), ("guarded", false), ("open", true)] {
        let mut create = lambda
            .create_function()
            .function_name(name)
            .runtime(Runtime::Python312)
            .role(&role)
            .handler("index.handler")
            .code(
                FunctionCode::builder()
                    .zip_file(Blob::new(package()))
                    .build(),
            );
        if phi {
            create = create.tags("phi", "true");
        }
        create.send().await.unwrap();
    }
    // Guarded: a URL that needs IAM, and S3 of one bucket of the account allowed to invoke.
    lambda
        .create_function_url_config()
        .function_name("guarded")
        .auth_type(FunctionUrlAuthType::AwsIam)
        .send()
        .await
        .unwrap();
    lambda
        .add_permission()
        .function_name("guarded")
        .statement_id("uploads")
        .action("lambda:InvokeFunction")
        .principal("s3.amazonaws.com")
        .source_arn("arn:aws:s3:::uploads")
        .source_account(ACCOUNT)
        .send()
        .await
        .unwrap();
    // Open: a URL anyone can call, and a policy letting everyone invoke it.
    lambda
        .create_function_url_config()
        .function_name("open")
        .auth_type(FunctionUrlAuthType::None)
        .send()
        .await
        .unwrap();
    lambda
        .add_permission()
        .function_name("open")
        .statement_id("everyone")
        .action("lambda:InvokeFunction")
        .principal("*")
        .send()
        .await
        .unwrap();

    let inventory = scan(&options).await;
    assert!(inventory.gaps.is_empty(), "{:#?}", inventory.gaps);
    assert_eq!(inventory.lambda.functions.len(), 3);
    let findings = judge(&inventory, Timestamp::now());
    let function = |name: &str| format!("arn:aws:lambda:us-east-1:{ACCOUNT}:function:{name}");

    let url = "cloud.aws.lambda.url_public";
    let none = about(&findings, url, &function("private"));
    assert_eq!(none.status, Status::Pass, "{none:#?}");
    assert!(none.message.contains("no function URL"), "{}", none.message);
    let iam = about(&findings, url, &function("guarded"));
    assert_eq!(iam.status, Status::Pass, "{iam:#?}");
    assert!(iam.message.contains("AWS_IAM"), "{}", iam.message);
    let open = about(&findings, url, &function("open"));
    assert_eq!(open.status, Status::Fail, "{open:#?}");
    assert_eq!(open.severity, Severity::Critical, "{open:#?}");

    let policy = "cloud.aws.lambda.policy_public";
    let absent = about(&findings, policy, &function("private"));
    assert_eq!(absent.status, Status::Pass, "{absent:#?}");
    assert!(
        absent.message.contains("no resource policy"),
        "{}",
        absent.message
    );
    assert_eq!(
        status(&findings, policy, &function("guarded")),
        Status::Pass
    );
    let public = about(&findings, policy, &function("open"));
    assert_eq!(public.status, Status::Fail, "{public:#?}");
    assert!(
        public.message.contains("lambda:InvokeFunction"),
        "{}",
        public.message
    );
}

const DENY_SOME: &str = r#"{"Version":"2012-10-17","Statement":[
{"Effect":"Allow","Action":"*","Resource":"*"},
{"Effect":"Deny","Action":["sns:GetTopicAttributes","secretsmanager:ListSecrets"],"Resource":"*"}]}"#;

#[tokio::test(flavor = "multi_thread")]
async fn calls_the_credentials_may_not_make_are_errors_naming_the_action() {
    // The set-up below goes unchecked (five calls); every later one is held to the caller's
    // IAM policy.
    let Some(moto) = Moto::start_with(&[("INITIAL_NO_AUTH_ACTION_COUNT", "5")]) else {
        return;
    };
    let mut options = options(
        &moto,
        &["us-east-1"],
        &[Service::Sns, Service::Sqs, Service::SecretsManager],
    );
    let sdk = config_in(&options, "us-east-1").await;
    let topic = aws_sdk_sns::Client::new(&sdk)
        .create_topic()
        .name("watched")
        .send()
        .await
        .unwrap()
        .topic_arn()
        .unwrap()
        .to_owned();
    aws_sdk_sqs::Client::new(&sdk)
        .create_queue()
        .queue_name("allowed")
        .send()
        .await
        .unwrap();
    let iam = aws_sdk_iam::Client::new(&sdk);
    iam.create_user().user_name("auditor").send().await.unwrap();
    iam.put_user_policy()
        .user_name("auditor")
        .policy_name("deny-some")
        .policy_document(DENY_SOME)
        .send()
        .await
        .unwrap();
    let key = iam
        .create_access_key()
        .user_name("auditor")
        .send()
        .await
        .unwrap()
        .access_key()
        .unwrap()
        .clone();
    options.credentials = Some(Credentials::new(
        key.access_key_id(),
        key.secret_access_key(),
        None,
        None,
        "test",
    ));

    let findings = judge(&scan(&options).await, Timestamp::now());
    // moto answers these services' denials in a shape their SDKs cannot read a code from (an
    // EC2-style `<Errors>` list for SNS, XML for the JSON protocols), so they read as failed
    // calls; AWS answers AuthorizationError and AccessDeniedException, which read as denied.
    // Either way the finding is an error naming the action, never a pass.
    //
    // Listed, but its attributes were refused: an error on the topic naming the action.
    let denied = about(&findings, "cloud.aws.sns.encryption", &topic);
    assert_eq!(denied.status, Status::Error, "{denied:#?}");
    assert!(
        denied.message.contains("sns:GetTopicAttributes"),
        "{}",
        denied.message
    );
    // Not listed at all: one error for the region, naming the action, and no "nothing to
    // judge".
    let gap = about(
        &findings,
        "cloud.aws.secretsmanager.rotation",
        "secretsmanager in us-east-1",
    );
    assert_eq!(gap.status, Status::Error, "{gap:#?}");
    assert!(
        gap.message.contains("secretsmanager:ListSecrets"),
        "{}",
        gap.message
    );
    assert!(
        !findings.iter().any(|f| {
            f.check.as_str() == "cloud.aws.secretsmanager.rotation"
                && f.status == Status::NotApplicable
        }),
        "{findings:#?}"
    );
    // What was allowed is still judged.
    assert_eq!(
        status(
            &findings,
            "cloud.aws.sqs.encryption",
            &format!("arn:aws:sqs:us-east-1:{ACCOUNT}:allowed")
        ),
        Status::Pass
    );
}
