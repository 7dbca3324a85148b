//! ELBv2, ACM, DynamoDB, EFS and CloudWatch Logs read from a real AWS API emulator (moto on
//! loopback): resources built to pass each check and others built to fail it, judged through
//! a whole scan; listings of more tables and log groups than a page; and a caller denied some
//! of the calls.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, PointInTimeRecoverySpecification,
    ScalarAttributeType, SseSpecification, SseType,
};
use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, Certificate, LoadBalancerAttribute, LoadBalancerSchemeEnum,
    LoadBalancerTypeEnum, ProtocolEnum, RedirectActionConfig, RedirectActionStatusCodeEnum,
    RuleCondition,
};
use aws_sdk_sts::config::Credentials;
use jiff::{SignedDuration, Timestamp};
use phiguard_cloud::aws::Service;
use phiguard_core::{Severity, Status};
use phiguard_testkit::Moto;

use common::{ACCOUNT, REGION, about, config, judge, on, options, scan};

// ---------------------------------------------------------------------------------------------
// ELBv2 and ACM

/// A self-signed ECDSA P-256 certificate for records.example.org, valid from 2025 to 2099:
/// ACM, like moto, refuses to import one that has expired.
const CERTIFICATE: &str = "-----BEGIN CERTIFICATE-----
MIIBYjCCAQigAwIBAgIUDbuI+VAjZuns8g/WVYTmR8RpqAkwCgYIKoZIzj0EAwIw
HjEcMBoGA1UEAwwTcmVjb3Jkcy5leGFtcGxlLm9yZzAgFw0yNTAxMDEwMDAwMDBa
GA8yMDk5MDEwMTAwMDAwMFowHjEcMBoGA1UEAwwTcmVjb3Jkcy5leGFtcGxlLm9y
ZzBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABAiFL+RF0nmS9qAE74y2T3jkJpgw
Cs1SPX9SlxJcw0Dy/vLmFG29nO2B7i54VifrEN0ocsQlODbO0Wsa/DMy1ZmjIjAg
MB4GA1UdEQQXMBWCE3JlY29yZHMuZXhhbXBsZS5vcmcwCgYIKoZIzj0EAwIDSAAw
RQIhAPlUsWcrvNLtuX50WFmWGkLmXNyYBFtSOqw3M/NYGpcZAiAgpY0m9D5SkNlY
WxB7aJNMfNiJbB1Rj7NuhkEharNGuA==
-----END CERTIFICATE-----
";

const PRIVATE_KEY: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgz+Mfdr/A0ZI/QrDh
5dsoe/t0IJo7wDz5JcbCpXiXWeChRANCAAQIhS/kRdJ5kvagBO+Mtk945CaYMArN
Uj1/UpcSXMNA8v7y5hRtvZztge4ueFYn6xDdKHLEJTg2ztFrGvwzMtWZ
-----END PRIVATE KEY-----
";

/// Two subnets of the region's default VPC, and the VPC.
async fn subnets(config: &aws_config::SdkConfig) -> (String, Vec<String>) {
    let ec2 = aws_sdk_ec2::Client::new(config);
    let vpc = ec2.describe_vpcs().send().await.unwrap().vpcs()[0]
        .vpc_id()
        .unwrap()
        .to_owned();
    let subnets = ec2
        .describe_subnets()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("vpc-id")
                .values(&vpc)
                .build(),
        )
        .send()
        .await
        .unwrap()
        .subnets()
        .iter()
        .take(2)
        .map(|s| s.subnet_id().unwrap().to_owned())
        .collect();
    (vpc, subnets)
}

async fn load_balancer(
    elb: &aws_sdk_elasticloadbalancingv2::Client,
    name: &str,
    kind: LoadBalancerTypeEnum,
    scheme: LoadBalancerSchemeEnum,
    subnets: &[String],
    phi: bool,
) -> String {
    let mut create = elb
        .create_load_balancer()
        .name(name)
        .r#type(kind)
        .scheme(scheme)
        .set_subnets(Some(subnets.to_vec()));
    if phi {
        create = create.tags(
            aws_sdk_elasticloadbalancingv2::types::Tag::builder()
                .key("phi")
                .value("true")
                .build(),
        );
    }
    create.send().await.unwrap().load_balancers()[0]
        .load_balancer_arn()
        .unwrap()
        .to_owned()
}

async fn target_group(
    elb: &aws_sdk_elasticloadbalancingv2::Client,
    name: &str,
    protocol: ProtocolEnum,
    vpc: &str,
) -> String {
    elb.create_target_group()
        .name(name)
        .protocol(protocol)
        .port(443)
        .vpc_id(vpc)
        .send()
        .await
        .unwrap()
        .target_groups()[0]
        .target_group_arn()
        .unwrap()
        .to_owned()
}

fn forward(target_group: &str) -> Action {
    Action::builder()
        .r#type(ActionTypeEnum::Forward)
        .target_group_arn(target_group)
        .build()
}

fn to_https() -> Action {
    Action::builder()
        .r#type(ActionTypeEnum::Redirect)
        .redirect_config(
            RedirectActionConfig::builder()
                .protocol("HTTPS")
                .port("443")
                .status_code(RedirectActionStatusCodeEnum::Http301)
                .build(),
        )
        .build()
}

/// A listener; `tls` is its certificate and security policy.
async fn listener(
    elb: &aws_sdk_elasticloadbalancingv2::Client,
    balancer: &str,
    protocol: ProtocolEnum,
    port: i32,
    tls: Option<(&str, &str)>,
    action: Action,
) -> String {
    let mut create = elb
        .create_listener()
        .load_balancer_arn(balancer)
        .protocol(protocol)
        .port(port)
        .default_actions(action);
    if let Some((certificate, policy)) = tls {
        create = create
            .certificates(Certificate::builder().certificate_arn(certificate).build())
            .ssl_policy(policy);
    }
    create.send().await.unwrap().listeners()[0]
        .listener_arn()
        .unwrap()
        .to_owned()
}

async fn access_logs(elb: &aws_sdk_elasticloadbalancingv2::Client, balancer: &str, bucket: &str) {
    elb.modify_load_balancer_attributes()
        .load_balancer_arn(balancer)
        .attributes(
            LoadBalancerAttribute::builder()
                .key("access_logs.s3.enabled")
                .value("true")
                .build(),
        )
        .attributes(
            LoadBalancerAttribute::builder()
                .key("access_logs.s3.bucket")
                .value(bucket)
                .build(),
        )
        .send()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn load_balancers_built_right_pass_and_built_wrong_fail_each_elb_check() {
    let Some(moto) = Moto::start() else { return };
    let options = options(&moto, &[Service::Elb]);
    let config = config(&options).await;
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&config);
    let acm = aws_sdk_acm::Client::new(&config);
    let (vpc, subnets) = subnets(&config).await;
    let certificate = acm
        .request_certificate()
        .domain_name("portal.example.org")
        .send()
        .await
        .unwrap()
        .certificate_arn()
        .unwrap()
        .to_owned();
    let web = target_group(&elb, "web", ProtocolEnum::Http, &vpc).await;
    let stream = target_group(&elb, "stream", ProtocolEnum::Tcp, &vpc).await;

    // Good: HTTPS under a TLS 1.2+ policy, plain HTTP only redirecting, access logs on.
    let good = load_balancer(
        &elb,
        "good",
        LoadBalancerTypeEnum::Application,
        LoadBalancerSchemeEnum::InternetFacing,
        &subnets,
        false,
    )
    .await;
    let good_https = listener(
        &elb,
        &good,
        ProtocolEnum::Https,
        443,
        Some((&certificate, "ELBSecurityPolicy-TLS13-1-2-2021-06")),
        forward(&web),
    )
    .await;
    let good_http = listener(&elb, &good, ProtocolEnum::Http, 80, None, to_https()).await;
    access_logs(&elb, &good, "lb-logs").await;

    // Bad, and holding ePHI: plain HTTP served, HTTPS under the old default policy that still
    // takes TLS 1.0, no access logs.
    let bad = load_balancer(
        &elb,
        "bad",
        LoadBalancerTypeEnum::Application,
        LoadBalancerSchemeEnum::Internal,
        &subnets,
        true,
    )
    .await;
    let bad_http = listener(&elb, &bad, ProtocolEnum::Http, 80, None, forward(&web)).await;
    let bad_https = listener(
        &elb,
        &bad,
        ProtocolEnum::Https,
        443,
        Some((&certificate, "ELBSecurityPolicy-2016-08")),
        forward(&web),
    )
    .await;

    // Leaky: plain HTTP redirects by default, but one rule still forwards /api in the clear.
    let leaky = load_balancer(
        &elb,
        "leaky",
        LoadBalancerTypeEnum::Application,
        LoadBalancerSchemeEnum::InternetFacing,
        &subnets,
        false,
    )
    .await;
    let leaky_http = listener(&elb, &leaky, ProtocolEnum::Http, 80, None, to_https()).await;
    elb.create_rule()
        .listener_arn(&leaky_http)
        .priority(10)
        .conditions(
            RuleCondition::builder()
                .field("path-pattern")
                .values("/api/*")
                .build(),
        )
        .actions(forward(&web))
        .send()
        .await
        .unwrap();

    // A network load balancer: TCP passed through, and TLS under a TLS 1.3 policy that still
    // takes TLS 1.0.
    let nlb = load_balancer(
        &elb,
        "stream",
        LoadBalancerTypeEnum::Network,
        LoadBalancerSchemeEnum::Internal,
        &subnets,
        false,
    )
    .await;
    let nlb_tcp = listener(&elb, &nlb, ProtocolEnum::Tcp, 5432, None, forward(&stream)).await;
    let nlb_tls = listener(
        &elb,
        &nlb,
        ProtocolEnum::Tls,
        443,
        Some((&certificate, "ELBSecurityPolicy-TLS13-1-0-2021-06")),
        forward(&stream),
    )
    .await;

    let inventory = scan(&options).await;
    assert!(inventory.gaps.is_empty(), "{:#?}", inventory.gaps);
    let findings = judge(&inventory, Timestamp::now());
    let status = |check: &str, arn: &str| on(&findings, check, arn).status;

    let listeners = "cloud.aws.elb.tls_listeners";
    assert_eq!(status(listeners, &good_https), Status::Pass);
    assert_eq!(status(listeners, &good_http), Status::Pass);
    assert!(
        on(&findings, listeners, &good_http)
            .message
            .contains("only redirects to HTTPS")
    );
    assert_eq!(status(listeners, &bad_https), Status::Pass);
    let served = on(&findings, listeners, &bad_http);
    assert_eq!(served.status, Status::Fail, "{served:#?}");
    // Tagged phi=true on its load balancer: the listener's failure weighs critical.
    assert_eq!(served.severity, Severity::Critical, "{served:#?}");
    assert!(served.message.contains("holds ePHI"), "{}", served.message);
    let leak = on(&findings, listeners, &leaky_http);
    assert_eq!(leak.status, Status::Fail, "{leak:#?}");
    assert!(leak.message.contains("priority 10"), "{}", leak.message);
    assert_eq!(status(listeners, &nlb_tcp), Status::Warn);
    assert_eq!(status(listeners, &nlb_tls), Status::Pass);
    // The subject names the listener by ARN, then its load balancer, protocol and port.
    assert_eq!(
        on(&findings, listeners, &good_https).subject,
        format!("{good_https} (good HTTPS:443)")
    );

    let policy = "cloud.aws.elb.tls_policy";
    assert_eq!(status(policy, &good_https), Status::Pass);
    let old = on(&findings, policy, &bad_https);
    assert_eq!(old.status, Status::Fail, "{old:#?}");
    assert_eq!(old.severity, Severity::Critical);
    assert!(old.message.contains("TLS 1.0"), "{}", old.message);
    assert_eq!(status(policy, &nlb_tls), Status::Fail);
    // moto reports a security policy on plain listeners too; AWS does not. Either way a plain
    // listener has no TLS to judge.
    assert_eq!(status(policy, &good_http), Status::NotApplicable);
    assert_eq!(status(policy, &nlb_tcp), Status::NotApplicable);

    let logs = "cloud.aws.elb.access_logs";
    let logged = on(&findings, logs, &good);
    assert_eq!(logged.status, Status::Pass, "{logged:#?}");
    assert!(
        logged.message.contains("s3://lb-logs"),
        "{}",
        logged.message
    );
    // moto leaves access_logs.s3.enabled out until it is set; AWS answers it false. Both read
    // as off.
    let unlogged = on(&findings, logs, &bad);
    assert_eq!(unlogged.status, Status::Fail, "{unlogged:#?}");
    assert_eq!(unlogged.severity, Severity::Critical);
    assert_eq!(on(&findings, logs, &nlb).status, Status::Fail);
}

#[tokio::test(flavor = "multi_thread")]
async fn certificates_are_judged_by_their_expiry_and_say_what_uses_them() {
    let Some(moto) = Moto::start() else { return };
    let options = options(&moto, &[Service::Acm, Service::Elb]);
    let config = config(&options).await;
    let acm = aws_sdk_acm::Client::new(&config);
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&config);
    // moto issues a requested certificate at once, valid for a year from now.
    let issued = acm
        .request_certificate()
        .domain_name("portal.example.org")
        .send()
        .await
        .unwrap()
        .certificate_arn()
        .unwrap()
        .to_owned();
    // An imported ECDSA certificate, valid until 2099, holding ePHI by its tag and used by
    // nothing: without asking for every key type, ACM would not even list it.
    let imported = acm
        .import_certificate()
        .certificate(aws_sdk_acm::primitives::Blob::new(CERTIFICATE))
        .private_key(aws_sdk_acm::primitives::Blob::new(PRIVATE_KEY))
        .tags(
            aws_sdk_acm::types::Tag::builder()
                .key("phi")
                .value("true")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap()
        .certificate_arn()
        .unwrap()
        .to_owned();
    let (vpc, subnets) = subnets(&config).await;
    let balancer = load_balancer(
        &elb,
        "portal",
        LoadBalancerTypeEnum::Application,
        LoadBalancerSchemeEnum::InternetFacing,
        &subnets,
        false,
    )
    .await;
    let web = target_group(&elb, "web", ProtocolEnum::Http, &vpc).await;
    let https = listener(
        &elb,
        &balancer,
        ProtocolEnum::Https,
        443,
        Some((&issued, "ELBSecurityPolicy-TLS13-1-2-2021-06")),
        forward(&web),
    )
    .await;

    let inventory = scan(&options).await;
    assert!(inventory.gaps.is_empty(), "{:#?}", inventory.gaps);
    let not_after = inventory
        .acm
        .certificates
        .iter()
        .find(|c| c.resource.arn == issued)
        .and_then(|c| c.details.known())
        .and_then(|d| d.not_after)
        .expect("the issued certificate has an expiry");
    let check = "cloud.aws.acm.expiry";
    let issued_subject = format!("{issued} (portal.example.org)");
    let imported_subject = format!("{imported} (records.example.org)");

    // The clock is set from the certificate's own expiry, so the verdicts do not depend on
    // when the test runs.
    let today = judge(&inventory, not_after - SignedDuration::from_hours(24 * 90));
    let fine = about(&today, check, &issued_subject);
    assert_eq!(fine.status, Status::Pass, "{fine:#?}");
    assert!(fine.message.contains(&https), "{}", fine.message);
    let unused = about(&today, check, &imported_subject);
    assert_eq!(unused.status, Status::Pass, "{unused:#?}");
    assert!(unused.message.contains("not in use"), "{}", unused.message);

    let soon = judge(&inventory, not_after - SignedDuration::from_hours(24 * 10));
    let warned = about(&soon, check, &issued_subject);
    assert_eq!(warned.status, Status::Warn, "{warned:#?}");
    assert!(warned.message.contains("in 10 days"), "{}", warned.message);

    let after = judge(&inventory, not_after + SignedDuration::from_hours(24));
    let expired = about(&after, check, &issued_subject);
    assert_eq!(expired.status, Status::Fail, "{expired:#?}");
    assert!(expired.message.contains(&https), "{}", expired.message);
    assert_eq!(about(&after, check, &imported_subject).status, Status::Pass);
    // The ePHI tag was read: once it expires (in 2099) it weighs critical.
    let late = judge(&inventory, "2099-01-02T00:00:00Z".parse().unwrap());
    let lapsed = about(&late, check, &imported_subject);
    assert_eq!(lapsed.status, Status::Fail, "{lapsed:#?}");
    assert_eq!(lapsed.severity, Severity::Critical);
}

// ---------------------------------------------------------------------------------------------
// DynamoDB, EFS and CloudWatch Logs

async fn table(
    dynamodb: &aws_sdk_dynamodb::Client,
    name: &str,
    sse: Option<SseSpecification>,
    phi: bool,
) {
    let mut create = dynamodb
        .create_table()
        .table_name(name)
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("id")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("id")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .set_sse_specification(sse);
    if phi {
        create = create.tags(
            aws_sdk_dynamodb::types::Tag::builder()
                .key("phi")
                .value("true")
                .build()
                .unwrap(),
        );
    }
    create.send().await.unwrap();
}

fn table_arn(name: &str) -> String {
    format!("arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}")
}

fn log_group_arn(name: &str) -> String {
    format!("arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{name}")
}

#[tokio::test(flavor = "multi_thread")]
async fn tables_file_systems_and_log_groups_built_right_pass_and_built_wrong_fail() {
    let Some(moto) = Moto::start() else { return };
    let options = options(&moto, &[Service::DynamoDb, Service::Efs, Service::Logs]);
    let config = config(&options).await;
    let key = aws_sdk_kms::Client::new(&config)
        .create_key()
        .send()
        .await
        .unwrap()
        .key_metadata()
        .unwrap()
        .arn()
        .unwrap()
        .to_owned();

    let dynamodb = aws_sdk_dynamodb::Client::new(&config);
    // Under the account's own key, with point-in-time recovery.
    table(
        &dynamodb,
        "visits",
        Some(
            SseSpecification::builder()
                .enabled(true)
                .sse_type(SseType::Kms)
                .kms_master_key_id(&key)
                .build(),
        ),
        false,
    )
    .await;
    dynamodb
        .update_continuous_backups()
        .table_name("visits")
        .point_in_time_recovery_specification(
            PointInTimeRecoverySpecification::builder()
                .point_in_time_recovery_enabled(true)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    // Under the AWS managed key (aws/dynamodb), no point-in-time recovery.
    table(
        &dynamodb,
        "sessions",
        Some(SseSpecification::builder().enabled(true).build()),
        false,
    )
    .await;
    // The default: the key AWS owns, no point-in-time recovery, and ePHI in it.
    table(&dynamodb, "charts", None, true).await;

    let efs = aws_sdk_efs::Client::new(&config);
    let sealed = efs
        .create_file_system()
        .creation_token("sealed")
        .encrypted(true)
        .kms_key_id(&key)
        .send()
        .await
        .unwrap();
    let open = efs
        .create_file_system()
        .creation_token("open")
        .tags(
            aws_sdk_efs::types::Tag::builder()
                .key("phi")
                .value("true")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();

    let logs = aws_sdk_cloudwatchlogs::Client::new(&config);
    logs.create_log_group()
        .log_group_name("/audit/app")
        .kms_key_id(&key)
        .send()
        .await
        .unwrap();
    logs.put_retention_policy()
        .log_group_name("/audit/app")
        .retention_in_days(400)
        .send()
        .await
        .unwrap();
    // Never expiring: kept, though under CloudWatch's own keys.
    logs.create_log_group()
        .log_group_name("/audit/forever")
        .send()
        .await
        .unwrap();
    logs.create_log_group()
        .log_group_name("/app/records")
        .tags("phi", "true")
        .send()
        .await
        .unwrap();
    logs.put_retention_policy()
        .log_group_name("/app/records")
        .retention_in_days(30)
        .send()
        .await
        .unwrap();

    let inventory = scan(&options).await;
    assert!(inventory.gaps.is_empty(), "{:#?}", inventory.gaps);
    let findings = judge(&inventory, Timestamp::now());
    let status = |check: &str, subject: &str| about(&findings, check, subject).status;

    let pitr = "cloud.aws.dynamodb.pitr";
    assert_eq!(status(pitr, &table_arn("visits")), Status::Pass);
    assert_eq!(status(pitr, &table_arn("sessions")), Status::Fail);
    let charts = about(&findings, pitr, &table_arn("charts"));
    assert_eq!(charts.status, Status::Fail, "{charts:#?}");
    assert_eq!(charts.severity, Severity::Critical);

    let kms = "cloud.aws.dynamodb.kms";
    let own = about(&findings, kms, &table_arn("visits"));
    assert_eq!(own.status, Status::Pass, "{own:#?}");
    assert!(own.message.contains(&key), "{}", own.message);
    assert_eq!(status(kms, &table_arn("sessions")), Status::Pass);
    // The key AWS owns still encrypts: a warning that says so, not a failure.
    let owned = about(&findings, kms, &table_arn("charts"));
    assert_eq!(owned.status, Status::Warn, "{owned:#?}");
    assert!(
        owned.message.contains("still encrypted"),
        "{}",
        owned.message
    );

    let encryption = "cloud.aws.efs.encryption";
    let sealed = about(&findings, encryption, sealed.file_system_arn().unwrap());
    assert_eq!(sealed.status, Status::Pass, "{sealed:#?}");
    assert!(sealed.message.contains(&key), "{}", sealed.message);
    let open = about(&findings, encryption, open.file_system_arn().unwrap());
    assert_eq!(open.status, Status::Fail, "{open:#?}");
    assert_eq!(open.severity, Severity::Critical);
    assert!(open.message.contains("no mount target"), "{}", open.message);

    let retention = "cloud.aws.logs.retention";
    assert_eq!(
        status(retention, &log_group_arn("/audit/app")),
        Status::Pass
    );
    assert_eq!(
        status(retention, &log_group_arn("/audit/forever")),
        Status::Pass
    );
    let short = about(&findings, retention, &log_group_arn("/app/records"));
    assert_eq!(short.status, Status::Fail, "{short:#?}");
    assert_eq!(short.severity, Severity::Critical);
    assert!(short.message.contains("30 days"), "{}", short.message);

    let kms = "cloud.aws.logs.kms";
    assert_eq!(status(kms, &log_group_arn("/audit/app")), Status::Pass);
    let service_keys = about(&findings, kms, &log_group_arn("/audit/forever"));
    assert_eq!(service_keys.status, Status::Warn, "{service_keys:#?}");
    assert!(
        service_keys.message.contains("CloudWatch Logs' own keys"),
        "{}",
        service_keys.message
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_page_of_tables_log_groups_and_file_systems_is_read() {
    let Some(moto) = Moto::start() else { return };
    let mut options = options(&moto, &[Service::DynamoDb, Service::Logs, Service::Efs]);
    let config = config(&options).await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&config);
    let logs = aws_sdk_cloudwatchlogs::Client::new(&config);
    let efs = aws_sdk_efs::Client::new(&config);
    for n in 0..12 {
        table(&dynamodb, &format!("table-{n:02}"), None, false).await;
        logs.create_log_group()
            .log_group_name(format!("group-{n:02}"))
            .send()
            .await
            .unwrap();
        efs.create_file_system()
            .creation_token(format!("fs-{n:02}"))
            .send()
            .await
            .unwrap();
    }
    options.page_size = Some(5);
    let inventory = scan(&options).await;
    assert!(inventory.gaps.is_empty(), "{:#?}", inventory.gaps);
    let tables: Vec<&str> = inventory
        .dynamodb
        .tables
        .iter()
        .map(|t| t.resource.id.as_str())
        .collect();
    let expected: Vec<String> = (0..12).map(|n| format!("table-{n:02}")).collect();
    assert_eq!(tables, expected);
    let groups: Vec<&str> = inventory
        .logs
        .log_groups
        .iter()
        .map(|g| g.resource.id.as_str())
        .collect();
    let expected: Vec<String> = (0..12).map(|n| format!("group-{n:02}")).collect();
    assert_eq!(groups, expected);
    assert_eq!(inventory.efs.file_systems.len(), 12);
    // Each was judged, never silently dropped.
    let findings = judge(&inventory, Timestamp::now());
    for name in &expected {
        assert_eq!(
            about(&findings, "cloud.aws.logs.retention", &log_group_arn(name)).status,
            Status::Pass
        );
    }
}

const NARROW: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":[
"sts:GetCallerIdentity","dynamodb:ListTables","dynamodb:DescribeTable",
"dynamodb:ListTagsOfResource","elasticloadbalancing:DescribeLoadBalancers",
"elasticloadbalancing:DescribeTags"],"Resource":"*"}]}"#;

#[tokio::test(flavor = "multi_thread")]
async fn a_caller_denied_a_call_gets_an_error_naming_the_action() {
    // The first calls, which build the resources and the narrow user, go unchecked; every
    // later one is held to the caller's IAM policy.
    let Some(moto) = Moto::start_with(&[("INITIAL_NO_AUTH_ACTION_COUNT", "9")]) else {
        return;
    };
    let mut options = options(&moto, &[Service::DynamoDb, Service::Logs, Service::Elb]);
    let config = config(&options).await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&config);
    let logs = aws_sdk_cloudwatchlogs::Client::new(&config);
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&config);
    let iam = aws_sdk_iam::Client::new(&config);
    table(&dynamodb, "visits", None, false).await; // 1
    logs.create_log_group() // 2
        .log_group_name("/app/records")
        .send()
        .await
        .unwrap();
    let (_vpc, subnets) = subnets(&config).await; // 3, 4
    let balancer = load_balancer(
        // 5
        &elb,
        "portal",
        LoadBalancerTypeEnum::Application,
        LoadBalancerSchemeEnum::InternetFacing,
        &subnets,
        false,
    )
    .await;
    listener(&elb, &balancer, ProtocolEnum::Http, 80, None, to_https()).await; // 6
    iam.create_user().user_name("auditor").send().await.unwrap(); // 7
    iam.put_user_policy() // 8
        .user_name("auditor")
        .policy_name("narrow")
        .policy_document(NARROW)
        .send()
        .await
        .unwrap();
    let key = iam
        .create_access_key() // 9
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
    // The table is listed and described, but its backups could not be read.
    let pitr = about(&findings, "cloud.aws.dynamodb.pitr", &table_arn("visits"));
    assert_eq!(pitr.status, Status::Error, "{pitr:#?}");
    assert!(
        pitr.message.contains("dynamodb:DescribeContinuousBackups"),
        "{}",
        pitr.message
    );
    // What was allowed is still judged.
    assert_eq!(
        about(&findings, "cloud.aws.dynamodb.kms", &table_arn("visits")).status,
        Status::Warn
    );
    // Log groups could not be listed at all.
    let logs = about(&findings, "cloud.aws.logs.retention", "logs in us-east-1");
    assert_eq!(logs.status, Status::Error, "{logs:#?}");
    assert!(
        logs.message.contains("logs:DescribeLogGroups"),
        "{}",
        logs.message
    );
    // The load balancer is listed; its listeners and attributes could not be read.
    let listeners = on(&findings, "cloud.aws.elb.tls_listeners", &balancer);
    assert_eq!(listeners.status, Status::Error, "{listeners:#?}");
    assert!(
        listeners
            .message
            .contains("elasticloadbalancing:DescribeListeners"),
        "{}",
        listeners.message
    );
    let attributes = on(&findings, "cloud.aws.elb.access_logs", &balancer);
    assert_eq!(attributes.status, Status::Error, "{attributes:#?}");
    assert!(
        attributes
            .message
            .contains("elasticloadbalancing:DescribeLoadBalancerAttributes"),
        "{}",
        attributes.message
    );
}
