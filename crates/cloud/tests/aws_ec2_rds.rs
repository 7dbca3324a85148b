//! EC2 and RDS read from a real AWS API emulator (moto on loopback): for each check a
//! resource built to pass and one built to fail, judged through a whole scan; listings longer
//! than a page; and a caller denied what it needs.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use aws_sdk_ec2::types::{
    IpPermission, IpRange, Ipv6Range, LogDestinationType, OperationType, PortRange, ResourceType,
    RuleAction, Tag, TagSpecification, TrafficType,
};
use aws_sdk_rds::types::{ApplyMethod, Parameter};
use aws_sdk_sts::config::Credentials;
use phiguard_cloud::aws::{ScanOptions, Service};
use phiguard_core::{Finding, Severity, Status};
use phiguard_testkit::Moto;

use common::{ACCOUNT, REGION, config, findings, on, options};

async fn ec2(options: &ScanOptions) -> aws_sdk_ec2::Client {
    aws_sdk_ec2::Client::new(&config(options).await)
}

async fn rds(options: &ScanOptions) -> aws_sdk_rds::Client {
    aws_sdk_rds::Client::new(&config(options).await)
}

fn arn(kind: &str, id: &str) -> String {
    format!("arn:aws:ec2:{REGION}:{ACCOUNT}:{kind}/{id}")
}

fn tagged(kind: ResourceType, key: &str, value: &str) -> TagSpecification {
    TagSpecification::builder()
        .resource_type(kind)
        .tags(Tag::builder().key(key).value(value).build())
        .build()
}

fn world(protocol: &str, from: i32, to: i32) -> IpPermission {
    IpPermission::builder()
        .ip_protocol(protocol)
        .from_port(from)
        .to_port(to)
        .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
        .build()
}

#[tokio::test(flavor = "multi_thread")]
async fn ebs_volumes_and_snapshots_built_right_pass_and_built_wrong_fail() {
    let Some(moto) = Moto::start() else { return };
    let options = options(&moto, &[Service::Ec2]);
    let ec2 = ec2(&options).await;

    let image = ec2.describe_images().send().await.unwrap().images()[0]
        .image_id()
        .unwrap()
        .to_owned();
    let instance = ec2
        .run_instances()
        .image_id(image)
        .min_count(1)
        .max_count(1)
        .send()
        .await
        .unwrap()
        .instances()[0]
        .instance_id()
        .unwrap()
        .to_owned();
    let zone = "us-east-1a";
    let volume = |encrypted: bool| {
        let ec2 = ec2.clone();
        async move {
            ec2.create_volume()
                .availability_zone(zone)
                .size(8)
                .encrypted(encrypted)
                .send()
                .await
                .unwrap()
                .volume_id()
                .unwrap()
                .to_owned()
        }
    };
    let encrypted = volume(true).await;
    let plain_attached = volume(false).await;
    let plain_loose = volume(false).await;
    ec2.attach_volume()
        .volume_id(&plain_attached)
        .instance_id(&instance)
        .device("/dev/sdf")
        .send()
        .await
        .unwrap();

    let snapshot = |volume: String| {
        let ec2 = ec2.clone();
        async move {
            ec2.create_snapshot()
                .volume_id(volume)
                .send()
                .await
                .unwrap()
                .snapshot_id()
                .unwrap()
                .to_owned()
        }
    };
    let private_encrypted = snapshot(encrypted.clone()).await;
    let public_plain = snapshot(plain_loose.clone()).await;
    ec2.modify_snapshot_attribute()
        .snapshot_id(&public_plain)
        .attribute(aws_sdk_ec2::types::SnapshotAttributeName::CreateVolumePermission)
        .operation_type(OperationType::Add)
        .group_names("all")
        .send()
        .await
        .unwrap();

    // Before: the region does not encrypt new volumes by default.
    let before = findings(&options).await;
    let default_encryption = on(
        &before,
        "cloud.aws.ec2.ebs_default_encryption",
        &format!("arn:aws:iam::{ACCOUNT}:root"),
    );
    assert_eq!(default_encryption.status, Status::Fail);
    assert!(default_encryption.subject.contains(REGION));

    ec2.enable_ebs_encryption_by_default().send().await.unwrap();
    let findings = findings(&options).await;
    assert_eq!(
        on(
            &findings,
            "cloud.aws.ec2.ebs_default_encryption",
            &format!("arn:aws:iam::{ACCOUNT}:root"),
        )
        .status,
        Status::Pass
    );

    let check = "cloud.aws.ec2.ebs_volume_encryption";
    let good = on(&findings, check, &arn("volume", &encrypted));
    assert_eq!(good.status, Status::Pass, "{good:?}");
    assert!(good.message.contains("not attached"), "{}", good.message);
    let attached = on(&findings, check, &arn("volume", &plain_attached));
    assert_eq!(attached.status, Status::Fail);
    assert!(attached.message.contains(&instance), "{}", attached.message);
    let loose = on(&findings, check, &arn("volume", &plain_loose));
    assert_eq!(loose.status, Status::Fail);
    assert!(loose.message.contains("not attached"), "{}", loose.message);

    let snapshot_arn = |id: &str| format!("arn:aws:ec2:{REGION}::snapshot/{id}");
    let check = "cloud.aws.ec2.ebs_snapshot_encryption";
    assert_eq!(
        on(&findings, check, &snapshot_arn(&private_encrypted)).status,
        Status::Pass
    );
    assert_eq!(
        on(&findings, check, &snapshot_arn(&public_plain)).status,
        Status::Fail
    );
    let check = "cloud.aws.ec2.ebs_snapshot_public";
    assert_eq!(
        on(&findings, check, &snapshot_arn(&private_encrypted)).status,
        Status::Pass
    );
    let public = on(&findings, check, &snapshot_arn(&public_plain));
    assert_eq!(public.status, Status::Fail);
    assert_eq!(public.severity, Severity::Critical);
}

#[tokio::test(flavor = "multi_thread")]
async fn security_groups_open_to_the_world_fail_naming_each_port_and_their_use() {
    let Some(moto) = Moto::start() else { return };
    let options = options(&moto, &[Service::Ec2]);
    let ec2 = ec2(&options).await;
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.1.0.0/16")
        .send()
        .await
        .unwrap()
        .vpc()
        .unwrap()
        .vpc_id()
        .unwrap()
        .to_owned();
    let subnet = ec2
        .create_subnet()
        .vpc_id(&vpc)
        .cidr_block("10.1.1.0/24")
        .send()
        .await
        .unwrap()
        .subnet()
        .unwrap()
        .subnet_id()
        .unwrap()
        .to_owned();
    let group = |name: &'static str, phi: bool| {
        let ec2 = ec2.clone();
        let vpc = vpc.clone();
        async move {
            let mut create = ec2
                .create_security_group()
                .group_name(name)
                .description(name)
                .vpc_id(vpc);
            if phi {
                create =
                    create.tag_specifications(tagged(ResourceType::SecurityGroup, "phi", "true"));
            }
            create.send().await.unwrap().group_id().unwrap().to_owned()
        }
    };
    let web = group("web", false).await;
    let ranged = group("ranged", true).await;
    let everything = group("everything", false).await;
    let private = group("private", false).await;
    // HTTPS to the world is fine; SSH from the office range is fine.
    ec2.authorize_security_group_ingress()
        .group_id(&web)
        .ip_permissions(world("tcp", 443, 443))
        .send()
        .await
        .unwrap();
    ec2.authorize_security_group_ingress()
        .group_id(&private)
        .ip_permissions(
            IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(22)
                .to_port(22)
                .ip_ranges(IpRange::builder().cidr_ip("10.0.0.0/8").build())
                .build(),
        )
        .send()
        .await
        .unwrap();
    // A range spanning SSH and telnet, and PostgreSQL over IPv6.
    ec2.authorize_security_group_ingress()
        .group_id(&ranged)
        .ip_permissions(world("tcp", 20, 23))
        .ip_permissions(
            IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(5432)
                .to_port(5432)
                .ipv6_ranges(Ipv6Range::builder().cidr_ipv6("::/0").build())
                .build(),
        )
        .send()
        .await
        .unwrap();
    ec2.authorize_security_group_ingress()
        .group_id(&everything)
        .ip_permissions(world("-1", -1, -1))
        .send()
        .await
        .unwrap();
    // Two interfaces use the ranged group; none uses the one open to everything.
    for _ in 0..2 {
        ec2.create_network_interface()
            .subnet_id(&subnet)
            .groups(&ranged)
            .send()
            .await
            .unwrap();
    }

    let findings = findings(&options).await;
    let check = "cloud.aws.ec2.security_group_admin_ports";
    for passing in [&web, &private] {
        let finding = on(&findings, check, &arn("security-group", passing));
        assert_eq!(finding.status, Status::Pass, "{finding:?}");
    }
    let ranged = on(&findings, check, &arn("security-group", &ranged));
    assert_eq!(ranged.status, Status::Fail);
    assert_eq!(ranged.severity, Severity::Critical, "tagged phi=true");
    for port in [
        "port 22 (ssh)",
        "port 23 (telnet)",
        "port 5432 (postgresql)",
    ] {
        assert!(ranged.message.contains(port), "{}", ranged.message);
    }
    assert!(!ranged.message.contains("3389"), "{}", ranged.message);
    assert!(
        ranged.message.contains("used by 2 network interfaces"),
        "{}",
        ranged.message
    );
    let everything = on(&findings, check, &arn("security-group", &everything));
    assert_eq!(everything.status, Status::Fail);
    assert_eq!(everything.severity, Severity::High);
    assert!(everything.message.contains("port 3389 (rdp)"));
    assert!(
        everything
            .message
            .contains("not used by any network interface"),
        "{}",
        everything.message
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn network_acls_and_flow_logs_are_judged_per_acl_and_per_vpc() {
    let Some(moto) = Moto::start() else { return };
    let options = options(&moto, &[Service::Ec2]);
    let ec2 = ec2(&options).await;
    let vpc = |cidr: &'static str| {
        let ec2 = ec2.clone();
        async move {
            ec2.create_vpc()
                .cidr_block(cidr)
                .send()
                .await
                .unwrap()
                .vpc()
                .unwrap()
                .vpc_id()
                .unwrap()
                .to_owned()
        }
    };
    let logged = vpc("10.2.0.0/16").await;
    let unlogged = vpc("10.3.0.0/16").await;

    let acl = |vpc: String| {
        let ec2 = ec2.clone();
        async move {
            ec2.create_network_acl()
                .vpc_id(vpc)
                .send()
                .await
                .unwrap()
                .network_acl()
                .unwrap()
                .network_acl_id()
                .unwrap()
                .to_owned()
        }
    };
    let entry = |acl: String, number: i32, action: RuleAction, protocol: &'static str, port| {
        let ec2 = ec2.clone();
        async move {
            let mut create = ec2
                .create_network_acl_entry()
                .network_acl_id(acl)
                .egress(false)
                .rule_number(number)
                .protocol(protocol)
                .rule_action(action)
                .cidr_block("0.0.0.0/0");
            if let Some(port) = port {
                create = create.port_range(PortRange::builder().from(port).to(port).build());
            }
            create.send().await.unwrap();
        }
    };
    // Closed: HTTPS allowed; SSH denied at 150, so its allow at 200 is never reached.
    let closed = acl(logged.clone()).await;
    entry(closed.clone(), 100, RuleAction::Allow, "6", Some(443)).await;
    entry(closed.clone(), 200, RuleAction::Allow, "6", Some(22)).await;
    entry(closed.clone(), 150, RuleAction::Deny, "6", Some(22)).await;
    // Open: everything allowed at 100, so the RDP deny at 200 is never reached.
    let open = acl(unlogged.clone()).await;
    entry(open.clone(), 100, RuleAction::Allow, "-1", None).await;
    entry(open.clone(), 200, RuleAction::Deny, "6", Some(3389)).await;

    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&phiguard_cloud::aws::load_config(&options).await)
            .force_path_style(true)
            .build(),
    );
    s3.create_bucket().bucket("flow-logs").send().await.unwrap();
    ec2.create_flow_logs()
        .resource_type(aws_sdk_ec2::types::FlowLogsResourceType::Vpc)
        .resource_ids(&logged)
        .traffic_type(TrafficType::All)
        .log_destination_type(LogDestinationType::S3)
        .log_destination("arn:aws:s3:::flow-logs")
        .send()
        .await
        .unwrap();

    let findings = findings(&options).await;
    let check = "cloud.aws.ec2.network_acl_admin_ports";
    let closed = on(&findings, check, &arn("network-acl", &closed));
    assert_eq!(closed.status, Status::Pass, "{closed:?}");
    let open = on(&findings, check, &arn("network-acl", &open));
    assert_eq!(open.status, Status::Fail);
    assert!(open.message.contains("port 3389 (rdp)"), "{}", open.message);
    assert!(open.message.contains("port 22 (ssh)"), "{}", open.message);
    assert!(
        open.message.contains("associated with no subnet"),
        "{}",
        open.message
    );

    let check = "cloud.aws.ec2.vpc_flow_logs";
    assert_eq!(
        on(&findings, check, &arn("vpc", &logged)).status,
        Status::Pass
    );
    let unlogged = on(&findings, check, &arn("vpc", &unlogged));
    assert_eq!(unlogged.status, Status::Fail);
    assert!(unlogged.message.contains("without flow logs"));
}

#[tokio::test(flavor = "multi_thread")]
async fn every_page_of_security_groups_and_volumes_is_read() {
    let Some(moto) = Moto::start() else { return };
    let mut options = options(&moto, &[Service::Ec2]);
    let ec2 = ec2(&options).await;
    let mut groups = Vec::new();
    for n in 0..12 {
        let id = ec2
            .create_security_group()
            .group_name(format!("group-{n}"))
            .description("paged")
            .send()
            .await
            .unwrap()
            .group_id()
            .unwrap()
            .to_owned();
        groups.push(id);
    }
    let mut volumes = Vec::new();
    for _ in 0..12 {
        let id = ec2
            .create_volume()
            .availability_zone("us-east-1a")
            .size(1)
            .send()
            .await
            .unwrap()
            .volume_id()
            .unwrap()
            .to_owned();
        volumes.push(id);
    }
    options.page_size = Some(5);
    let findings = findings(&options).await;
    for id in &groups {
        on(
            &findings,
            "cloud.aws.ec2.security_group_admin_ports",
            &arn("security-group", id),
        );
    }
    for id in &volumes {
        assert_eq!(
            on(
                &findings,
                "cloud.aws.ec2.ebs_volume_encryption",
                &arn("volume", id)
            )
            .status,
            Status::Fail
        );
    }
}

async fn parameter_group(
    rds: &aws_sdk_rds::Client,
    name: &str,
    family: &str,
    set: &[(&str, &str)],
) {
    rds.create_db_parameter_group()
        .db_parameter_group_name(name)
        .db_parameter_group_family(family)
        .description(name)
        .send()
        .await
        .unwrap();
    if !set.is_empty() {
        let mut modify = rds
            .modify_db_parameter_group()
            .db_parameter_group_name(name);
        for (parameter, value) in set {
            modify = modify.parameters(
                Parameter::builder()
                    .parameter_name(*parameter)
                    .parameter_value(*value)
                    .apply_method(ApplyMethod::PendingReboot)
                    .build(),
            );
        }
        modify.send().await.unwrap();
    }
}

#[allow(clippy::too_many_arguments)]
async fn database(
    rds: &aws_sdk_rds::Client,
    id: &str,
    engine: &str,
    group: &str,
    encrypted: bool,
    public: bool,
    backup_days: i32,
    multi_az: bool,
) -> String {
    rds.create_db_instance()
        .db_instance_identifier(id)
        .engine(engine)
        .db_instance_class("db.t3.micro")
        .allocated_storage(20)
        .master_username("admin_user")
        .master_user_password("not-a-real-password-1")
        .db_parameter_group_name(group)
        .storage_encrypted(encrypted)
        .publicly_accessible(public)
        .backup_retention_period(backup_days)
        .multi_az(multi_az)
        .send()
        .await
        .unwrap()
        .db_instance()
        .unwrap()
        .db_instance_arn()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn rds_databases_and_snapshots_built_right_pass_and_built_wrong_fail() {
    let Some(moto) = Moto::start() else { return };
    let options = options(&moto, &[Service::Rds]);
    let rds = rds(&options).await;
    parameter_group(&rds, "pg-tls", "postgres16", &[("rds.force_ssl", "1")]).await;
    parameter_group(
        &rds,
        "mysql-plain",
        "mysql8.0",
        &[("require_secure_transport", "OFF")],
    )
    .await;
    parameter_group(&rds, "mysql-default", "mysql8.0", &[]).await;

    let good = database(&rds, "good-db", "postgres", "pg-tls", true, false, 7, true).await;
    let bad = database(
        &rds,
        "bad-db",
        "mysql",
        "mysql-plain",
        false,
        true,
        0,
        false,
    )
    .await;
    let short = database(
        &rds,
        "short-db",
        "mysql",
        "mysql-default",
        true,
        false,
        3,
        true,
    )
    .await;

    let snapshot = |db: &'static str, id: &'static str| {
        let rds = rds.clone();
        async move {
            rds.create_db_snapshot()
                .db_instance_identifier(db)
                .db_snapshot_identifier(id)
                .send()
                .await
                .unwrap()
                .db_snapshot()
                .unwrap()
                .db_snapshot_arn()
                .unwrap()
                .to_owned()
        }
    };
    let private_snapshot = snapshot("good-db", "good-snap").await;
    let public_snapshot = snapshot("bad-db", "bad-snap").await;
    rds.modify_db_snapshot_attribute()
        .db_snapshot_identifier("bad-snap")
        .attribute_name("restore")
        .values_to_add("all")
        .send()
        .await
        .unwrap();

    let findings = findings(&options).await;
    let status = |check: &str, subject: &str| on(&findings, check, subject).status;

    assert_eq!(
        status("cloud.aws.rds.storage_encryption", &good),
        Status::Pass
    );
    assert_eq!(
        status("cloud.aws.rds.storage_encryption", &bad),
        Status::Fail
    );
    assert_eq!(status("cloud.aws.rds.public_access", &good), Status::Pass);
    assert_eq!(status("cloud.aws.rds.public_access", &bad), Status::Fail);
    assert_eq!(
        status("cloud.aws.rds.backup_retention", &good),
        Status::Pass
    );
    assert_eq!(status("cloud.aws.rds.backup_retention", &bad), Status::Fail);
    let short_backups = on(&findings, "cloud.aws.rds.backup_retention", &short);
    assert_eq!(short_backups.status, Status::Warn);
    assert!(
        short_backups.message.contains("3 days"),
        "{}",
        short_backups.message
    );
    assert_eq!(status("cloud.aws.rds.multi_az", &good), Status::Pass);
    assert_eq!(status("cloud.aws.rds.multi_az", &bad), Status::Warn);

    let tls = "cloud.aws.rds.tls_required";
    assert_eq!(status(tls, &good), Status::Pass);
    let plain = on(&findings, tls, &bad);
    assert_eq!(plain.status, Status::Fail);
    assert!(
        plain.message.contains("require_secure_transport"),
        "{}",
        plain.message
    );
    let default = on(&findings, tls, &short);
    assert_eq!(default.status, Status::Fail);
    assert!(default.message.contains("default"), "{}", default.message);

    assert_eq!(
        status("cloud.aws.rds.snapshot_public", &private_snapshot),
        Status::Pass
    );
    let public = on(&findings, "cloud.aws.rds.snapshot_public", &public_snapshot);
    assert_eq!(public.status, Status::Fail);
    assert_eq!(public.severity, Severity::Critical);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_empty_region_is_not_applicable_not_a_pass() {
    let Some(moto) = Moto::start() else { return };
    let options = options(&moto, &[Service::Rds]);
    let findings = findings(&options).await;
    for check in [
        "cloud.aws.rds.storage_encryption",
        "cloud.aws.rds.snapshot_public",
    ] {
        let finding = on(&findings, check, "account");
        assert_eq!(finding.status, Status::NotApplicable, "{finding:?}");
    }
}

const NARROW: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":[
"sts:GetCallerIdentity","ec2:GetEbsEncryptionByDefault","ec2:DescribeVolumes",
"ec2:DescribeSnapshots","ec2:DescribeSecurityGroups","ec2:DescribeNetworkAcls",
"ec2:DescribeVpcs"],"Resource":"*"}]}"#;

#[tokio::test(flavor = "multi_thread")]
async fn a_caller_denied_a_call_gets_an_error_naming_the_action() {
    // The first calls, which make the narrow user, go unchecked; every later one is held to
    // the caller's IAM policy.
    let Some(moto) = Moto::start_with(&[("INITIAL_NO_AUTH_ACTION_COUNT", "6")]) else {
        return;
    };
    let mut options = options(&moto, &[Service::Ec2, Service::Rds]);
    let config = phiguard_cloud::aws::load_config(&options).await;
    let ec2 = aws_sdk_ec2::Client::new(&config);
    let iam = aws_sdk_iam::Client::new(&config);
    let volume = ec2
        .create_volume()
        .availability_zone("us-east-1a")
        .size(1)
        .send()
        .await
        .unwrap()
        .volume_id()
        .unwrap()
        .to_owned();
    let group = ec2
        .create_security_group()
        .group_name("watched")
        .description("watched")
        .send()
        .await
        .unwrap()
        .group_id()
        .unwrap()
        .to_owned();
    let snapshot = ec2
        .create_snapshot()
        .volume_id(&volume)
        .send()
        .await
        .unwrap()
        .snapshot_id()
        .unwrap()
        .to_owned();
    iam.create_user().user_name("auditor").send().await.unwrap();
    iam.put_user_policy()
        .user_name("auditor")
        .policy_name("narrow")
        .policy_document(NARROW)
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

    let findings = findings(&options).await;
    // Listed: the volume is judged.
    assert_eq!(
        on(
            &findings,
            "cloud.aws.ec2.ebs_volume_encryption",
            &arn("volume", &volume)
        )
        .status,
        Status::Fail
    );
    // The snapshot is listed, but whether it is public could not be read.
    let snapshot = on(
        &findings,
        "cloud.aws.ec2.ebs_snapshot_public",
        &format!("arn:aws:ec2:{REGION}::snapshot/{snapshot}"),
    );
    assert_eq!(snapshot.status, Status::Error, "{snapshot:?}");
    assert!(
        snapshot.message.contains("ec2:DescribeSnapshotAttribute"),
        "{}",
        snapshot.message
    );
    // The group is judged, but whether it is used could not be read.
    let group = on(
        &findings,
        "cloud.aws.ec2.security_group_admin_ports",
        &arn("security-group", &group),
    );
    assert!(
        group.message.contains("ec2:DescribeNetworkInterfaces"),
        "{}",
        group.message
    );
    // Flow logs could not be read: an error naming the action, never a pass or a fail.
    let flow_logs: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.check.as_str() == "cloud.aws.ec2.vpc_flow_logs" && f.subject != "account")
        .collect();
    assert!(!flow_logs.is_empty());
    for finding in flow_logs {
        assert_eq!(finding.status, Status::Error, "{finding:?}");
        assert!(
            finding.message.contains("ec2:DescribeFlowLogs"),
            "{}",
            finding.message
        );
    }
    // RDS could not be listed at all.
    let rds = on(
        &findings,
        "cloud.aws.rds.storage_encryption",
        "rds in us-east-1",
    );
    assert_eq!(rds.status, Status::Error);
    assert!(
        rds.message.contains("rds:DescribeDBInstances"),
        "{}",
        rds.message
    );
}

async fn cluster_parameter_group(
    rds: &aws_sdk_rds::Client,
    name: &str,
    family: &str,
    set: (&str, &str),
) {
    rds.create_db_cluster_parameter_group()
        .db_cluster_parameter_group_name(name)
        .db_parameter_group_family(family)
        .description(name)
        .send()
        .await
        .unwrap();
    rds.modify_db_cluster_parameter_group()
        .db_cluster_parameter_group_name(name)
        .parameters(
            Parameter::builder()
                .parameter_name(set.0)
                .parameter_value(set.1)
                .apply_method(ApplyMethod::PendingReboot)
                .build(),
        )
        .send()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn aurora_clusters_are_judged_once_and_their_instances_defer_to_them() {
    let Some(moto) = Moto::start() else { return };
    let options = options(&moto, &[Service::Rds]);
    let rds = rds(&options).await;
    cluster_parameter_group(
        &rds,
        "apg-tls",
        "aurora-postgresql15",
        ("rds.force_ssl", "1"),
    )
    .await;
    cluster_parameter_group(
        &rds,
        "amy-plain",
        "aurora-mysql8.0",
        ("require_secure_transport", "OFF"),
    )
    .await;
    let cluster = |id: &'static str, engine: &'static str, group: &'static str, encrypted: bool| {
        let rds = rds.clone();
        async move {
            rds.create_db_cluster()
                .db_cluster_identifier(id)
                .engine(engine)
                .master_username("admin_user")
                .master_user_password("not-a-real-password-1")
                .db_cluster_parameter_group_name(group)
                .storage_encrypted(encrypted)
                .backup_retention_period(7)
                .send()
                .await
                .unwrap()
                .db_cluster()
                .unwrap()
                .db_cluster_arn()
                .unwrap()
                .to_owned()
        }
    };
    let good = cluster("good-cluster", "aurora-postgresql", "apg-tls", true).await;
    let bad = cluster("bad-cluster", "aurora-mysql", "amy-plain", false).await;
    let member = rds
        .create_db_instance()
        .db_instance_identifier("good-cluster-1")
        .db_cluster_identifier("good-cluster")
        .engine("aurora-postgresql")
        .db_instance_class("db.r6g.large")
        .send()
        .await
        .unwrap()
        .db_instance()
        .unwrap()
        .db_instance_arn()
        .unwrap()
        .to_owned();
    let snapshot = rds
        .create_db_cluster_snapshot()
        .db_cluster_identifier("bad-cluster")
        .db_cluster_snapshot_identifier("bad-cluster-snap")
        .send()
        .await
        .unwrap()
        .db_cluster_snapshot()
        .unwrap()
        .db_cluster_snapshot_arn()
        .unwrap()
        .to_owned();
    rds.modify_db_cluster_snapshot_attribute()
        .db_cluster_snapshot_identifier("bad-cluster-snap")
        .attribute_name("restore")
        .values_to_add("all")
        .send()
        .await
        .unwrap();

    let findings = findings(&options).await;
    let status = |check: &str, subject: &str| on(&findings, check, subject).status;
    assert_eq!(
        status("cloud.aws.rds.storage_encryption", &good),
        Status::Pass
    );
    let unencrypted = on(&findings, "cloud.aws.rds.storage_encryption", &bad);
    assert_eq!(unencrypted.status, Status::Fail);
    assert!(
        unencrypted.message.contains("DB cluster"),
        "{}",
        unencrypted.message
    );
    assert_eq!(status("cloud.aws.rds.tls_required", &good), Status::Pass);
    assert_eq!(status("cloud.aws.rds.tls_required", &bad), Status::Fail);
    for check in [
        "cloud.aws.rds.storage_encryption",
        "cloud.aws.rds.backup_retention",
        "cloud.aws.rds.tls_required",
    ] {
        let deferred = on(&findings, check, &member);
        assert_eq!(deferred.status, Status::NotApplicable, "{deferred:?}");
        assert!(
            deferred.message.contains("good-cluster"),
            "{}",
            deferred.message
        );
    }
    assert_eq!(
        status("cloud.aws.rds.snapshot_public", &snapshot),
        Status::Fail
    );
    // Reachability is each instance's own.
    assert_eq!(
        status("cloud.aws.rds.public_access", &good),
        Status::NotApplicable
    );
    assert_eq!(status("cloud.aws.rds.public_access", &member), Status::Pass);
}
