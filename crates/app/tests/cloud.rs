//! `phiguard_app::cloud`, in process on a real installation, on SQLite and on PostgreSQL,
//! reading a real AWS API emulator (moto on loopback): the findings are recorded in the ledger
//! as one `cloud.check` entry and stored as a check run whose every finding cites it, the
//! account's inventory is kept as that entry recorded it, the assessment judges the findings
//! the ledger holds (not the database's copy) with the resources beside them, and an account
//! that cannot be read records nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failure with its location

use std::sync::Arc;

use aws_sdk_sts::config::Credentials;
use phiguard_app::cloud::{AwsRequest, Service};
use phiguard_app::{Options, Purpose, Session, Silent, Unwatched};
use phiguard_core::Status;
use phiguard_testkit::Moto;

fn request(moto: &Moto) -> AwsRequest {
    AwsRequest {
        regions: vec!["us-east-1".into()],
        services: [Service::S3].into_iter().collect(),
        endpoint_url: Some(moto.endpoint()),
        credentials: Some(Credentials::new("testing", "testing", None, None, "test")),
        ..AwsRequest::default()
    }
}

/// Makes a bucket through moto's REST API, as any S3 client would.
async fn bucket(moto: &Moto, name: &str) {
    let options = phiguard_cloud::aws::ScanOptions {
        endpoint_url: Some(moto.endpoint()),
        regions: vec!["us-east-1".into()],
        credentials: Some(Credentials::new("testing", "testing", None, None, "test")),
        ..Default::default()
    };
    let config = phiguard_cloud::aws::load_config(&options).await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build(),
    );
    s3.create_bucket().bucket(name).send().await.unwrap();
}

async fn an_account_is_checked_and_recorded(options: &Options) {
    let Some(moto) = Moto::start() else { return };
    // The host checks of the assessment read an empty tree, not this machine.
    let empty_root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(empty_root.path().join("etc")).unwrap();
    bucket(&moto, "patient-exports").await;
    let session = Session::open(options, Purpose::Record, &Silent)
        .await
        .unwrap();
    let run =
        phiguard_app::cloud::check_aws(&session.installation, &request(&moto), Arc::new(Unwatched))
            .await
            .unwrap();
    assert_eq!(run.account, "123456789012");
    assert_eq!(run.resources, 1);
    assert_eq!(
        run.checks,
        phiguard_cloud::checks::ids()
            .iter()
            .filter(|id| id.starts_with("cloud.aws.s3."))
            .count()
    );
    // A bare bucket fails its checks; every finding cites the run's ledger entry.
    assert!(run.recorded.is_failing());
    let evidence = run.recorded.evidence;
    for finding in &run.recorded.findings {
        assert!(finding.evidence.contains(&evidence), "{finding:#?}");
        assert!(
            finding.check.as_str().starts_with("cloud.aws.s3."),
            "--only s3 ran {}",
            finding.check
        );
    }
    let versioning = run
        .recorded
        .findings
        .iter()
        .find(|f| f.check.as_str() == "cloud.aws.s3.versioning")
        .unwrap();
    assert_eq!(versioning.subject, "arn:aws:s3:::patient-exports");
    assert_eq!(versioning.status, Status::Fail);

    // The ledger entry holds the account, the regions and the findings.
    let ledger = session.installation.ledger();
    let size = ledger.size().await.unwrap();
    let last = ledger.tail(1).await.unwrap().remove(0);
    assert_eq!(last.seq, size - 1);
    assert_eq!(last.seq, evidence.seq);
    let entry: serde_json::Value = serde_json::from_str(&last.entry).unwrap();
    assert_eq!(entry["kind"], "cloud.check");
    assert_eq!(entry["body"]["account"], "123456789012");
    assert_eq!(entry["body"]["regions"], serde_json::json!(["us-east-1"]));
    assert!(
        entry["body"]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["subject"] == "arn:aws:s3:::patient-exports")
    );

    // The account's inventory is kept, and reads back as the ledger entry recorded it.
    assert_eq!(
        entry["body"]["inventory"],
        phiguard_cloud::store::ledger_fields(&run.listing)
    );
    let stored = phiguard_app::cloud::latest_inventory(&session.installation, None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.account, "123456789012");
    assert_eq!(stored.evidence, evidence);
    assert_eq!(stored.resources, run.listing);
    let listed: Vec<(&str, &str)> = stored
        .resources
        .iter()
        .map(|r| (r.arn.as_str(), r.kind.as_str()))
        .collect();
    assert_eq!(listed, [("arn:aws:s3:::patient-exports", "s3.bucket")]);

    // The assessment judges the findings the ledger holds: a run edited in the database to
    // pass changes nothing, and the account's resources come with it.
    let store = &session.installation.store;
    sqlx::query("UPDATE findings SET status = 'pass' WHERE check_id LIKE 'cloud.%'")
        .execute(store.pool())
        .await
        .unwrap();
    let assess = phiguard_app::assess::AssessRequest {
        root: Some(empty_root.path().to_owned()),
        ..phiguard_app::assess::AssessRequest::everything(phiguard_assess::Profile::Hipaa)
    };
    let assessment = phiguard_app::assess::assess(&session, &assess, &Silent, Arc::new(Unwatched))
        .await
        .unwrap();
    let failing_versioning = assessment
        .controls
        .iter()
        .flat_map(|c| &c.attention)
        .find(|f| f.check.as_str() == "cloud.aws.s3.versioning")
        .expect("the ledger's failing finding is judged");
    assert_eq!(failing_versioning.status, Status::Fail);
    assert!(failing_versioning.evidence.contains(&evidence));
    let cloud = assessment.cloud.as_ref().unwrap();
    assert_eq!(
        (cloud.account.as_str(), cloud.evidence),
        ("123456789012", evidence)
    );
    assert_eq!(cloud.resources, run.listing);
    assert!(
        cloud
            .resource_of(&failing_versioning.subject)
            .is_some_and(|r| r.kind == "s3.bucket")
    );

    // An inventory deleted from the database is reported, and the findings still stand.
    sqlx::query("DELETE FROM cloud_resources")
        .execute(store.pool())
        .await
        .unwrap();
    let error = phiguard_app::cloud::latest_inventory(&session.installation, None)
        .await
        .unwrap_err();
    assert!(
        format!("{error:#}").contains("cannot be trusted"),
        "{error:#}"
    );
    let assessment = phiguard_app::assess::assess(&session, &assess, &Silent, Arc::new(Unwatched))
        .await
        .unwrap();
    assert!(assessment.cloud.is_none());
    assert!(
        assessment
            .notes
            .iter()
            .any(|n| n.contains("the stored cloud inventory cannot be trusted")),
        "{:?}",
        assessment.notes
    );
    assert!(
        assessment
            .controls
            .iter()
            .flat_map(|c| &c.attention)
            .any(|f| f.check.as_str() == "cloud.aws.s3.versioning")
    );
    let size = ledger.size().await.unwrap();

    // Credentials the emulator refuses: nothing can be read, so nothing is recorded.
    drop(moto);
    let Some(moto) = Moto::start() else { return };
    let unreachable = AwsRequest {
        endpoint_url: Some(format!("{}/nowhere", moto.endpoint())),
        ..request(&moto)
    };
    drop(moto);
    let error =
        phiguard_app::cloud::check_aws(&session.installation, &unreachable, Arc::new(Unwatched))
            .await
            .unwrap_err();
    assert!(
        format!("{error:#}").contains("could not be read"),
        "{error:#}"
    );
    assert_eq!(
        ledger.size().await.unwrap(),
        size,
        "a failed scan recorded something"
    );
    session.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_account_is_checked_and_recorded_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let options = Options {
        home: Some(dir.path().join("home")),
        database: None,
    };
    an_account_is_checked_and_recorded(&options).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_account_is_checked_and_recorded_on_postgresql() {
    let Some(database) = phiguard_testkit::fresh_postgres_database().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let options = Options {
        home: Some(dir.path().join("home")),
        database: Some(database.url().to_owned()),
    };
    an_account_is_checked_and_recorded(&options).await;
}
