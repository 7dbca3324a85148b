//! S3 read from a real AWS API emulator (moto on loopback): a bucket built to pass every S3
//! check and one built to fail them, judged by the checks through a whole scan; a listing of
//! more buckets than a page; and a caller denied what it needs.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use aws_sdk_s3::types::{
    BucketCannedAcl, BucketLocationConstraint, BucketLoggingStatus, BucketVersioningStatus,
    CreateBucketConfiguration, LoggingEnabled, PublicAccessBlockConfiguration,
    ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration,
    ServerSideEncryptionRule, Tag, Tagging, VersioningConfiguration,
};
use phiguard_cloud::aws::{ScanOptions, Service};
use phiguard_core::{Severity, Status};
use phiguard_testkit::{Moto, Relay, Relayed};

use common::{about, config, findings};

fn options(moto: &Moto) -> ScanOptions {
    common::options(moto, &[Service::S3])
}

async fn s3(options: &ScanOptions) -> aws_sdk_s3::Client {
    let config = config(options).await;
    // moto serves buckets at paths, not as host names under the endpoint.
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build(),
    )
}

const TLS_ONLY: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"TlsOnly","Effect":"Deny",
"Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::good-bucket","arn:aws:s3:::good-bucket/*"],
"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#;

const PUBLIC_READ: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
"Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bad-bucket/*"}]}"#;

#[tokio::test(flavor = "multi_thread")]
async fn a_bucket_built_right_passes_and_one_built_wrong_fails_each_check() {
    let Some(moto) = Moto::start() else { return };
    let options = options(&moto);
    let s3 = s3(&options).await;
    for name in ["good-bucket", "bad-bucket", "log-bucket"] {
        s3.create_bucket().bucket(name).send().await.unwrap();
    }
    // The log bucket lets S3's log delivery write to it, as server access logging requires.
    s3.put_bucket_acl()
        .bucket("log-bucket")
        .acl(BucketCannedAcl::from("log-delivery-write"))
        .send()
        .await
        .unwrap();
    s3.put_bucket_encryption()
        .bucket("good-bucket")
        .server_side_encryption_configuration(
            ServerSideEncryptionConfiguration::builder()
                .rules(
                    ServerSideEncryptionRule::builder()
                        .apply_server_side_encryption_by_default(
                            ServerSideEncryptionByDefault::builder()
                                .sse_algorithm(ServerSideEncryption::AwsKms)
                                .kms_master_key_id("arn:aws:kms:us-east-1:123456789012:key/k1")
                                .build()
                                .unwrap(),
                        )
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    s3.put_public_access_block()
        .bucket("good-bucket")
        .public_access_block_configuration(
            PublicAccessBlockConfiguration::builder()
                .block_public_acls(true)
                .ignore_public_acls(true)
                .block_public_policy(true)
                .restrict_public_buckets(true)
                .build(),
        )
        .send()
        .await
        .unwrap();
    s3.put_bucket_policy()
        .bucket("good-bucket")
        .policy(TLS_ONLY)
        .send()
        .await
        .unwrap();
    s3.put_bucket_versioning()
        .bucket("good-bucket")
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
    s3.put_bucket_logging()
        .bucket("good-bucket")
        .bucket_logging_status(
            BucketLoggingStatus::builder()
                .logging_enabled(
                    LoggingEnabled::builder()
                        .target_bucket("log-bucket")
                        .target_prefix("good-bucket/")
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    // The bad bucket is public by policy, holds ePHI by its tag, and has nothing else.
    s3.put_bucket_policy()
        .bucket("bad-bucket")
        .policy(PUBLIC_READ)
        .send()
        .await
        .unwrap();
    s3.put_bucket_tagging()
        .bucket("bad-bucket")
        .tagging(
            Tagging::builder()
                .tag_set(Tag::builder().key("phi").value("true").build().unwrap())
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();

    let findings = findings(&options).await;
    let good = "arn:aws:s3:::good-bucket";
    let bad = "arn:aws:s3:::bad-bucket";
    for check in [
        "cloud.aws.s3.public_access",
        "cloud.aws.s3.policy_public",
        "cloud.aws.s3.tls_only",
        "cloud.aws.s3.versioning",
        "cloud.aws.s3.access_logging",
    ] {
        let passed = about(&findings, check, good);
        assert_eq!(passed.status, Status::Pass, "{passed:#?}");
        let failed = about(&findings, check, bad);
        assert_eq!(failed.status, Status::Fail, "{failed:#?}");
        // Tagged phi=true: its failures weigh critical, and say why.
        assert_eq!(failed.severity, Severity::Critical, "{failed:#?}");
        assert!(failed.message.contains("holds ePHI"), "{failed:#?}");
    }
    let encryption = about(&findings, "cloud.aws.s3.encryption", good);
    assert!(
        encryption.message.contains("key/k1"),
        "{}",
        encryption.message
    );
    assert!(
        about(&findings, "cloud.aws.s3.policy_public", bad)
            .message
            .contains("s3:GetObject")
    );
    // Object lock is judged only where ePHI is: the untagged bucket is not applicable.
    assert_eq!(
        about(&findings, "cloud.aws.s3.object_lock", good).status,
        Status::NotApplicable
    );
    assert_eq!(
        about(&findings, "cloud.aws.s3.object_lock", bad).status,
        Status::Warn
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_bucket_is_read_in_its_own_region() {
    let Some(moto) = Moto::start() else { return };
    let options = options(&moto);
    let s3 = s3(&options).await;
    s3.create_bucket().bucket("virginia").send().await.unwrap();
    s3.create_bucket()
        .bucket("ireland")
        .create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::EuWest1)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let inventory = phiguard_cloud::aws::scan(&options, Arc::new(|_| {}))
        .await
        .unwrap();
    let regions: Vec<(&str, Option<&str>)> = inventory
        .s3
        .buckets
        .iter()
        .map(|b| (b.resource.id.as_str(), b.resource.region.as_deref()))
        .collect();
    assert_eq!(
        regions,
        [
            ("ireland", Some("eu-west-1")),
            ("virginia", Some("us-east-1"))
        ]
    );
    // Each was read through its own region's endpoint: every detail is known.
    for bucket in &inventory.s3.buckets {
        assert!(bucket.versioning.known().is_some(), "{bucket:#?}");
        assert!(bucket.encryption.known().is_some(), "{bucket:#?}");
    }
    assert_eq!(inventory.account.as_deref(), Some("123456789012"));
}

/// S3's answer when it is asked too fast.
const SLOW_DOWN: &[u8] = b"HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\n\
Content-Length: 88\r\nConnection: close\r\n\r\n<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>\n";

#[tokio::test(flavor = "multi_thread")]
async fn throttled_calls_are_retried_until_they_are_answered() {
    let Some(moto) = Moto::start() else { return };
    let mut options = options(&moto);
    let s3 = s3(&options).await;
    s3.create_bucket().bucket("busy").send().await.unwrap();
    // The first requests are refused with SlowDown, as S3 does when asked too fast: the
    // listing and the next call are each refused before they are answered. (Few: adaptive
    // retry slows the whole client down after each, as it should against AWS.)
    let refused = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = std::sync::Arc::clone(&refused);
    let relay = Relay::start(&moto.endpoint(), move |n, head| {
        if n < 4 && n % 2 == 0 {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Relayed::Answer(SLOW_DOWN.to_vec())
        } else {
            Relayed::Forward(head.to_owned())
        }
    });
    options.endpoint_url = Some(relay.endpoint());
    let inventory = phiguard_cloud::aws::scan(&options, Arc::new(|_| {}))
        .await
        .unwrap();
    assert_eq!(refused.load(std::sync::atomic::Ordering::SeqCst), 2);
    assert!(inventory.gaps.is_empty(), "{:#?}", inventory.gaps);
    let bucket = &inventory.s3.buckets[0];
    assert_eq!(bucket.resource.id, "busy");
    // Every detail was read in the end, none given up on.
    assert!(bucket.versioning.known().is_some(), "{bucket:#?}");
    assert!(bucket.encryption.known().is_some(), "{bucket:#?}");
    assert!(bucket.logging.known().is_some(), "{bucket:#?}");
    assert!(bucket.policy.known().is_some(), "{bucket:#?}");
}
