//! Cloud posture benchmark: `phiguard cloud check aws` beside Prowler's HIPAA framework, whole
//! processes, against one emulated AWS account, the tools alternating in rounds (the median is
//! reported), and how far their verdicts agree on the checks both have.
//!
//! - One moto server (a real AWS API emulator, `~/.cache/phiguard/moto-venv/bin/moto_server`)
//!   on a free loopback port, with AWS's managed IAM policies loaded. `populate.py` (beside
//!   this file, run with the moto venv's Python, which has boto3) fills one account with over
//!   300 resources in us-east-1, eu-west-1 and ap-southeast-2, about half of them compliant:
//!   S3 buckets, VPCs, security groups, network ACLs, EBS volumes and snapshots, RDS instances
//!   and a snapshot, IAM users, roles and a password policy, KMS keys, CloudTrail trails, ACM
//!   certificates, load balancers, DynamoDB tables, EFS file systems, log groups, SNS topics,
//!   SQS queues, secrets, GuardDuty, AWS Config, Security Hub and Lambda functions. Untimed.
//! - `phiguard --home H cloud check aws --region R… --json` with `AWS_ENDPOINT_URL=URL` (as
//!   `--endpoint-url URL` would, but CloudTrail's calls go through a relay that rewrites the
//!   one header moto misroutes: see [`cloudtrail_relay`]), H a home made
//!   once with `phiguard --home H init -q` (untimed), kept for every round.
//! - `prowler aws --compliance hipaa_aws --region R… --output-formats json-ocsf
//!   --output-directory T/prowler-N --output-filename prowler --no-banner
//!   --scan-unused-services`, Prowler from the
//!   venv `~/.cache/phiguard/prowler-venv` (`pip install prowler==5.46.0`), pointed at the same
//!   emulator by `AWS_ENDPOINT_URL`, which boto3 honours for every service.
//!
//! Both run with the emulator's credentials in the environment (`AWS_ACCESS_KEY_ID=testing`…),
//! no AWS configuration files, and `HTTPS_PROXY`/`HTTP_PROXY` set to a closed loopback port
//! with loopback exempt, so neither tool reaches the internet (a version check, a download)
//! and any attempt fails at once instead of waiting.
//!
//! Compared: for each pair of a Prowler check and the phiguard check that judges the same
//! thing ([`PAIRS`]), the findings of the last round matched by resource (the ARN's region and
//! resource id, so `snapshot/snap-1` matches with or without an account in the ARN), by region
//! (a setting of each region) or for the whole account. Pass against pass or fail (or warn)
//! against fail is agreement; every other outcome is listed with both messages and, where it
//! can be told, why they differ.
//!
//! Target (issue 18): phiguard 10× faster than Prowler, wall time, on the same account.
//!
//! ```sh
//! python3 -m venv ~/.cache/phiguard/prowler-venv
//! ~/.cache/phiguard/prowler-venv/bin/pip install prowler==5.46.0
//! cargo build --release -p phiguard -p phiguard-bench-cloud
//! target/release/phiguard-bench-cloud            # --json for the whole result as JSON
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use phiguard_bench_support::{
    Run, Target, codes, cpu_note, load_average, locate_phiguard, machine_line, median,
    print_targets, ratio, require_command, seconds, tail, timed, timed_command, version_line,
    walls,
};
use phiguard_testkit::{Relay, Relayed};
use serde_json::{Value, json};

/// The target from the issue: Prowler's wall time ÷ phiguard's.
const TARGET_RATIO: f64 = 10.0;
/// The Prowler release this benchmark was written against and measured with.
const PROWLER_VERSION: &str = "5.46.0";
/// The script that fills the emulated account.
const POPULATE: &str = include_str!("../populate.py");
/// The emulator's account.
const ACCOUNT: &str = "123456789012";

#[derive(Debug, Parser)]
#[command(about = "Benchmark `phiguard cloud check aws` against Prowler's HIPAA framework on moto")]
struct Args {
    /// Rounds of each tool, alternating (the median is reported)
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Regions to populate and check
    #[arg(
        long = "region",
        value_name = "REGION",
        default_values_t = ["us-east-1".to_owned(), "eu-west-1".to_owned(), "ap-southeast-2".to_owned()]
    )]
    regions: Vec<String>,
    /// The phiguard binary [default: next to this benchmark's executable]
    #[arg(long, value_name = "PATH")]
    phiguard: Option<PathBuf>,
    /// The prowler program [default: ~/.cache/phiguard/prowler-venv/bin/prowler]
    #[arg(long, value_name = "PATH")]
    prowler: Option<PathBuf>,
    /// moto's server [default: ~/.cache/phiguard/moto-venv/bin/moto_server]
    #[arg(long, value_name = "PATH")]
    moto_server: Option<PathBuf>,
    /// Print the whole result as JSON instead of Markdown
    #[arg(long)]
    json: bool,
    /// Keep the temporary directory (outputs of every run) and say where it is
    #[arg(long)]
    keep: bool,
}

/// How the findings of a pair are matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum By {
    /// One verdict per resource, matched by the region and resource id of its ARN.
    Resource,
    /// One verdict per region (a setting of the region).
    Region,
    /// One verdict for the account: a tool's fails if any of its findings fails.
    Account,
}

/// A Prowler check and the phiguard check that judges the same thing.
#[derive(Debug, Clone, Copy)]
struct Pair {
    prowler: &'static str,
    phiguard: &'static str,
    by: By,
    /// What each judges when they do not judge quite the same thing, shown beside the counts
    /// and given as the reason of a disagreement it explains.
    scope: &'static str,
}

const fn pair(prowler: &'static str, phiguard: &'static str, by: By) -> Pair {
    Pair {
        prowler,
        phiguard,
        by,
        scope: "",
    }
}

const fn scoped(
    prowler: &'static str,
    phiguard: &'static str,
    by: By,
    scope: &'static str,
) -> Pair {
    Pair {
        prowler,
        phiguard,
        by,
        scope,
    }
}

/// Prowler's checks (those of its `hipaa_aws` framework, and the closest others) beside
/// phiguard's. The ids on the right that a build does not have yet are reported as such.
const PAIRS: &[Pair] = &[
    // S3
    pair(
        "s3_bucket_default_encryption",
        "cloud.aws.s3.encryption",
        By::Resource,
    ),
    pair(
        "s3_bucket_secure_transport_policy",
        "cloud.aws.s3.tls_only",
        By::Resource,
    ),
    scoped(
        "s3_bucket_public_access",
        "cloud.aws.s3.policy_public",
        By::Resource,
        "Prowler: the bucket is public by its ACL or its policy unless a public access block \
         stops it; phiguard: the bucket policy grants something to everyone",
    ),
    scoped(
        "s3_bucket_policy_public_write_access",
        "cloud.aws.s3.policy_public",
        By::Resource,
        "Prowler: the policy lets everyone write; phiguard: the policy grants anything to \
         everyone",
    ),
    scoped(
        "s3_account_level_public_access_blocks",
        "cloud.aws.s3.public_access",
        By::Account,
        "the account-wide public access block",
    ),
    pair(
        "s3_bucket_object_versioning",
        "cloud.aws.s3.versioning",
        By::Resource,
    ),
    pair(
        "s3_bucket_server_access_logging_enabled",
        "cloud.aws.s3.access_logging",
        By::Resource,
    ),
    pair(
        "s3_bucket_object_lock",
        "cloud.aws.s3.object_lock",
        By::Resource,
    ),
    // EC2 and VPC
    pair(
        "ec2_ebs_volume_encryption",
        "cloud.aws.ec2.ebs_volume_encryption",
        By::Resource,
    ),
    pair(
        "ec2_ebs_snapshots_encrypted",
        "cloud.aws.ec2.ebs_snapshot_encryption",
        By::Resource,
    ),
    pair(
        "ec2_ebs_public_snapshot",
        "cloud.aws.ec2.ebs_snapshot_public",
        By::Resource,
    ),
    pair(
        "ec2_ebs_default_encryption",
        "cloud.aws.ec2.ebs_default_encryption",
        By::Region,
    ),
    scoped(
        "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22",
        "cloud.aws.ec2.security_group_admin_ports",
        By::Resource,
        "Prowler: port 22 only; phiguard: every administrative and database port (22, 3389, \
         5432…)",
    ),
    scoped(
        "ec2_networkacl_allow_ingress_any_port",
        "cloud.aws.ec2.network_acl_admin_ports",
        By::Resource,
        "Prowler: the ACL lets in every port from anywhere; phiguard: it lets in an \
         administrative port from anywhere",
    ),
    pair(
        "vpc_flow_logs_enabled",
        "cloud.aws.ec2.vpc_flow_logs",
        By::Resource,
    ),
    // RDS
    pair(
        "rds_instance_storage_encrypted",
        "cloud.aws.rds.storage_encryption",
        By::Resource,
    ),
    scoped(
        "rds_instance_backup_enabled",
        "cloud.aws.rds.backup_retention",
        By::Resource,
        "Prowler: any backup retention; phiguard: at least 7 days",
    ),
    pair(
        "rds_instance_multi_az",
        "cloud.aws.rds.multi_az",
        By::Resource,
    ),
    pair(
        "rds_instance_no_public_access",
        "cloud.aws.rds.public_access",
        By::Resource,
    ),
    pair(
        "rds_snapshots_public_access",
        "cloud.aws.rds.snapshot_public",
        By::Resource,
    ),
    pair(
        "rds_instance_transport_encrypted",
        "cloud.aws.rds.tls_required",
        By::Resource,
    ),
    // IAM
    pair(
        "iam_no_root_access_key",
        "cloud.aws.iam.root_access_keys",
        By::Account,
    ),
    pair(
        "iam_root_mfa_enabled",
        "cloud.aws.iam.root_mfa",
        By::Account,
    ),
    pair(
        "iam_user_mfa_enabled_console_access",
        "cloud.aws.iam.console_mfa",
        By::Resource,
    ),
    pair(
        "iam_rotate_access_key_90_days",
        "cloud.aws.iam.access_key_rotation",
        By::Resource,
    ),
    scoped(
        "iam_user_accesskey_unused",
        "cloud.aws.iam.access_key_unused",
        By::Resource,
        "Prowler: unused for 45 days; phiguard: its own threshold",
    ),
    scoped(
        "iam_aws_attached_policy_no_administrative_privileges",
        "cloud.aws.iam.admin_attached",
        By::Account,
        "Prowler judges each attached AWS-managed policy, phiguard each user, so only the \
         account's verdict (any failure) is compared",
    ),
    scoped(
        "iam_password_policy_minimum_length_14",
        "cloud.aws.iam.password_policy",
        By::Account,
        "Prowler: length only; phiguard: the whole policy",
    ),
    scoped(
        "iam_password_policy_lowercase",
        "cloud.aws.iam.password_policy",
        By::Account,
        "Prowler: lowercase only; phiguard: the whole policy",
    ),
    scoped(
        "iam_password_policy_uppercase",
        "cloud.aws.iam.password_policy",
        By::Account,
        "Prowler: uppercase only; phiguard: the whole policy",
    ),
    scoped(
        "iam_password_policy_number",
        "cloud.aws.iam.password_policy",
        By::Account,
        "Prowler: numbers only; phiguard: the whole policy",
    ),
    scoped(
        "iam_password_policy_symbol",
        "cloud.aws.iam.password_policy",
        By::Account,
        "Prowler: symbols only; phiguard: the whole policy",
    ),
    scoped(
        "iam_password_policy_reuse_24",
        "cloud.aws.iam.password_policy",
        By::Account,
        "Prowler: reuse only; phiguard: the whole policy",
    ),
    // KMS
    pair(
        "kms_cmk_rotation_enabled",
        "cloud.aws.kms.rotation",
        By::Resource,
    ),
    pair(
        "kms_key_not_publicly_accessible",
        "cloud.aws.kms.policy_public",
        By::Resource,
    ),
    pair("kms_cmk_are_used", "cloud.aws.kms.key_state", By::Resource),
    // CloudTrail
    pair(
        "cloudtrail_kms_encryption_enabled",
        "cloud.aws.cloudtrail.kms_encryption",
        By::Resource,
    ),
    pair(
        "cloudtrail_log_file_validation_enabled",
        "cloud.aws.cloudtrail.log_file_validation",
        By::Resource,
    ),
    scoped(
        "cloudtrail_multi_region_enabled",
        "cloud.aws.cloudtrail.multi_region_logging",
        By::Account,
        "Prowler: one verdict per region; phiguard: one for the account",
    ),
    pair(
        "cloudtrail_cloudwatch_logging_enabled",
        "cloud.aws.cloudtrail.cloudwatch_logs",
        By::Resource,
    ),
    scoped(
        "cloudtrail_s3_dataevents_read_enabled",
        "cloud.aws.cloudtrail.s3_data_events",
        By::Account,
        "Prowler: one verdict per region for read events; phiguard: one per trail",
    ),
    scoped(
        "cloudtrail_s3_dataevents_write_enabled",
        "cloud.aws.cloudtrail.s3_data_events",
        By::Account,
        "Prowler: one verdict per region for write events; phiguard: one per trail",
    ),
    // Services being added (their phiguard ids may not be in this build yet).
    pair(
        "elb_ssl_listeners",
        "cloud.aws.elb.tls_listeners",
        By::Resource,
    ),
    pair(
        "elbv2_insecure_ssl_ciphers",
        "cloud.aws.elb.tls_policy",
        By::Resource,
    ),
    pair(
        "elbv2_logging_enabled",
        "cloud.aws.elb.access_logs",
        By::Resource,
    ),
    pair(
        "elb_logging_enabled",
        "cloud.aws.elb.access_logs",
        By::Resource,
    ),
    pair(
        "acm_certificates_expiration_check",
        "cloud.aws.acm.expiry",
        By::Resource,
    ),
    pair(
        "dynamodb_tables_pitr_enabled",
        "cloud.aws.dynamodb.pitr",
        By::Resource,
    ),
    pair(
        "dynamodb_tables_kms_cmk_encryption_enabled",
        "cloud.aws.dynamodb.kms",
        By::Resource,
    ),
    pair(
        "efs_encryption_at_rest_enabled",
        "cloud.aws.efs.encryption",
        By::Resource,
    ),
    pair(
        "cloudwatch_log_group_retention_policy_specific_days_enabled",
        "cloud.aws.logs.retention",
        By::Resource,
    ),
    pair(
        "cloudwatch_log_group_kms_encryption_enabled",
        "cloud.aws.logs.kms",
        By::Resource,
    ),
    pair(
        "guardduty_is_enabled",
        "cloud.aws.guardduty.enabled",
        By::Region,
    ),
    pair(
        "securityhub_enabled",
        "cloud.aws.securityhub.enabled",
        By::Region,
    ),
    pair(
        "config_recorder_all_regions_enabled",
        "cloud.aws.config.recorder",
        By::Region,
    ),
    pair(
        "sns_topics_kms_encryption_at_rest_enabled",
        "cloud.aws.sns.encryption",
        By::Resource,
    ),
    pair(
        "sqs_queues_server_side_encryption_enabled",
        "cloud.aws.sqs.encryption",
        By::Resource,
    ),
    pair(
        "secretsmanager_automatic_rotation_enabled",
        "cloud.aws.secretsmanager.rotation",
        By::Resource,
    ),
    pair(
        "awslambda_function_url_public",
        "cloud.aws.lambda.url_public",
        By::Resource,
    ),
    pair(
        "awslambda_function_not_publicly_accessible",
        "cloud.aws.lambda.policy_public",
        By::Resource,
    ),
];

/// A verdict, as either tool gives it, reduced to what can be compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Verdict {
    Pass,
    /// phiguard's fail or warn; Prowler's FAIL.
    Fail,
    /// phiguard's not_applicable; Prowler's MANUAL (a person must judge).
    NotJudged,
    /// phiguard's error (the fact could not be read).
    Unknown,
}

impl Verdict {
    fn phiguard(status: &str) -> Verdict {
        match status {
            "pass" => Verdict::Pass,
            "fail" | "warn" => Verdict::Fail,
            "not_applicable" => Verdict::NotJudged,
            _ => Verdict::Unknown,
        }
    }

    fn prowler(status: &str) -> Verdict {
        match status {
            "PASS" => Verdict::Pass,
            "FAIL" => Verdict::Fail,
            "MANUAL" => Verdict::NotJudged,
            _ => Verdict::Unknown,
        }
    }

    /// Several findings for one key (a region's or an account's): fails if any fails, passes
    /// if any passes and none fails.
    fn combine(verdicts: impl IntoIterator<Item = Verdict>) -> Option<Verdict> {
        let all: Vec<Verdict> = verdicts.into_iter().collect();
        [
            Verdict::Fail,
            Verdict::Pass,
            Verdict::Unknown,
            Verdict::NotJudged,
        ]
        .into_iter()
        .find(|v| all.contains(v))
    }
}

/// One finding of either tool, as the comparison needs it.
#[derive(Debug, Clone)]
struct Finding {
    check: String,
    /// The ARN (phiguard's subject without the name it may add after it).
    arn: String,
    region: String,
    verdict: Verdict,
    /// The raw status, for the listing.
    status: String,
    message: String,
}

/// The region and the resource id of an ARN: `arn:aws:ec2:eu-west-1::snapshot/snap-1` →
/// (`eu-west-1`, `snap-1`); `arn:aws:logs:R:A:log-group:/app:*` → (`R`, `/app`). The
/// resource id is what follows the resource type (`snapshot/`, `db:`, `log-group:`), so two
/// spellings of one resource's ARN (with an account or without, with `:*` or without) meet.
fn arn_key(arn: &str) -> (String, String) {
    let mut fields = arn.splitn(6, ':');
    let region = fields.nth(3).unwrap_or_default().to_owned();
    let resource = fields.nth(1).unwrap_or(arn);
    let resource = resource.strip_suffix(":*").unwrap_or(resource);
    let id = match resource.find([':', '/']) {
        // An S3 bucket's ARN has no resource type.
        Some(at) if !arn.starts_with("arn:aws:s3:::") => &resource[at + 1..],
        _ => resource,
    };
    (region, id.to_owned())
}

/// The region a finding is about: its ARN's, else the first of `regions` its subject names
/// (phiguard names a region's setting "… in eu-west-1" on the account's ARN).
fn region_of(arn: &str, subject: &str, regions: &[String]) -> String {
    let (region, _) = arn_key(arn);
    if !region.is_empty() {
        return region;
    }
    regions
        .iter()
        .find(|r| subject.contains(r.as_str()))
        .cloned()
        .unwrap_or_default()
}

/// phiguard's findings from its `--json` answer.
fn phiguard_findings(json: &Value, regions: &[String]) -> anyhow::Result<Vec<Finding>> {
    let findings = json["findings"]
        .as_array()
        .context("phiguard's JSON has no `findings` array")?;
    Ok(findings
        .iter()
        .map(|f| {
            let subject = f["subject"].as_str().unwrap_or_default();
            let arn = subject.split(' ').next().unwrap_or_default().to_owned();
            let status = f["status"].as_str().unwrap_or_default().to_owned();
            Finding {
                check: f["check"].as_str().unwrap_or_default().to_owned(),
                region: region_of(&arn, subject, regions),
                arn,
                verdict: Verdict::phiguard(&status),
                status,
                message: f["message"].as_str().unwrap_or_default().to_owned(),
            }
        })
        .collect())
}

/// Prowler's findings from its OCSF JSON file (an array of OCSF Detection Findings).
fn prowler_findings(json: &Value) -> anyhow::Result<Vec<Finding>> {
    let findings = json
        .as_array()
        .context("Prowler's OCSF output is not a JSON array")?;
    Ok(findings
        .iter()
        .map(|f| {
            let resource = &f["resources"][0];
            let arn = resource["uid"].as_str().unwrap_or_default().to_owned();
            let region = resource["region"]
                .as_str()
                .or_else(|| f["cloud"]["region"].as_str())
                .unwrap_or_default()
                .to_owned();
            let status = f["status_code"].as_str().unwrap_or_default().to_owned();
            Finding {
                check: f["metadata"]["event_code"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                arn,
                region,
                verdict: Verdict::prowler(&status),
                status,
                message: f["status_detail"].as_str().unwrap_or_default().to_owned(),
            }
        })
        .collect())
}

/// The key a finding is matched by under `by`.
fn key_of(finding: &Finding, by: By) -> String {
    match by {
        By::Resource => {
            let (region, id) = arn_key(&finding.arn);
            if region.is_empty() {
                id
            } else {
                format!("{region}/{id}")
            }
        }
        By::Region => finding.region.clone(),
        By::Account => format!("account {ACCOUNT}"),
    }
}

/// What became of one key of a pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
    Agree,
    /// One passes, the other fails.
    Disagree,
    /// Both saw it, one could not judge it (not applicable, manual, unreadable).
    Unjudged,
    OnlyPhiguard,
    OnlyProwler,
}

/// One key of a pair, both tools' findings for it, and the outcome.
#[derive(Debug, Clone)]
struct Matched {
    key: String,
    outcome: Outcome,
    ours: Vec<Finding>,
    theirs: Vec<Finding>,
    reason: String,
}

/// What became of one pair.
#[derive(Debug, Clone)]
struct PairResult {
    pair: Pair,
    /// Why the pair could not be compared: a check one tool lacks.
    missing: Option<String>,
    matched: Vec<Matched>,
}

impl PairResult {
    fn count(&self, outcome: Outcome) -> usize {
        self.matched.iter().filter(|m| m.outcome == outcome).count()
    }
}

/// Both tools' findings of one pair, matched by key.
fn compare(
    pair: &Pair,
    ours: &[Finding],
    theirs: &[Finding],
    phiguard_checks: &BTreeSet<&str>,
    framework: &BTreeSet<String>,
    prowler_checks: &BTreeSet<&str>,
) -> PairResult {
    let missing = if !phiguard_checks.contains(pair.phiguard) {
        Some("phiguard lacks this check in this build".to_owned())
    } else if !framework.is_empty() && !framework.contains(pair.prowler) {
        Some("not in Prowler's hipaa_aws framework, so Prowler did not run it".to_owned())
    } else if !prowler_checks.contains(pair.prowler) {
        Some(
            "Prowler ran it and reported nothing (it found no such resource, or could not read \
             the service from the emulator: see its log)"
                .to_owned(),
        )
    } else {
        None
    };
    if missing.is_some() {
        return PairResult {
            pair: *pair,
            missing,
            matched: Vec::new(),
        };
    }
    let mut keys: BTreeMap<String, (Vec<Finding>, Vec<Finding>)> = BTreeMap::new();
    // A phiguard check that judges the account and its resources both (the S3 public access
    // block) is compared for the account on its account finding alone.
    let on_account = |f: &&Finding| f.check == pair.phiguard && f.arn.ends_with(":root");
    let account_only = pair.by == By::Account && ours.iter().any(|f| on_account(&f));
    for f in ours
        .iter()
        .filter(|f| f.check == pair.phiguard && (!account_only || on_account(f)))
    {
        // A check that found nothing to judge says so on the account; that is no resource.
        if pair.by == By::Resource && f.arn.ends_with(":root") && f.verdict == Verdict::NotJudged {
            continue;
        }
        keys.entry(key_of(f, pair.by))
            .or_default()
            .0
            .push(f.clone());
    }
    for f in theirs.iter().filter(|f| f.check == pair.prowler) {
        keys.entry(key_of(f, pair.by))
            .or_default()
            .1
            .push(f.clone());
    }
    let matched = keys
        .into_iter()
        .map(|(key, (ours, theirs))| {
            let a = Verdict::combine(ours.iter().map(|f| f.verdict));
            let b = Verdict::combine(theirs.iter().map(|f| f.verdict));
            let outcome = match (a, b) {
                (Some(a), Some(b)) if a == b && a <= Verdict::Fail => Outcome::Agree,
                (Some(a), Some(b)) if a <= Verdict::Fail && b <= Verdict::Fail => Outcome::Disagree,
                (Some(_), Some(_)) => Outcome::Unjudged,
                (Some(_), None) => Outcome::OnlyPhiguard,
                _ => Outcome::OnlyProwler,
            };
            let mut matched = Matched {
                key,
                outcome,
                ours,
                theirs,
                reason: String::new(),
            };
            if outcome != Outcome::Agree {
                matched.reason = reason(pair, &matched);
            }
            matched
        })
        .collect();
    PairResult {
        pair: *pair,
        missing: None,
        matched,
    }
}

/// Why the two tools differ on one key, as far as it can be told from the pair and the
/// messages: the differences this account shows were read one by one and are named here;
/// anything else is "unexplained".
fn reason(pair: &Pair, m: &Matched) -> String {
    let ours = |text: &str| m.ours.iter().any(|f| f.message.contains(text));
    let theirs = |text: &str| m.theirs.iter().any(|f| f.message.contains(text));
    let known = match (pair.prowler, m.outcome) {
        ("rds_snapshots_public_access", Outcome::OnlyProwler) if m.key.contains("/rds:") => {
            "an automated snapshot: phiguard reads manual snapshots only, since AWS lets no \
             one share an automated one (it must be copied to a manual snapshot first)"
        }
        ("kms_cmk_rotation_enabled", Outcome::OnlyPhiguard) if ours("Disabled") => {
            "a disabled key: Prowler checks enabled keys only; phiguard says not applicable"
        }
        ("iam_user_mfa_enabled_console_access", Outcome::Unjudged)
            if ours("no console password") =>
        {
            "the user has no console password: Prowler passes it, phiguard calls it not \
             applicable"
        }
        ("rds_instance_no_public_access", Outcome::Disagree)
            if theirs("filtered with security groups") =>
        {
            "different definition: Prowler passes a publicly accessible instance whose \
             security groups admit no one from the internet; phiguard fails the public \
             address itself (a security group is one rule away from opening it)"
        }
        ("s3_bucket_public_access", Outcome::Disagree) if theirs("is not public") => {
            "the bucket's public access block overrides its public policy: Prowler counts \
             the block, phiguard's policy check judges the policy alone (its public_access \
             check judges the block)"
        }
        ("cloudtrail_cloudwatch_logging_enabled", Outcome::Disagree)
            if theirs("not been logging in the last 24h") =>
        {
            "moto limitation: Prowler also asks that logs were delivered in the last 24 hours \
             (GetTrailStatus's LatestCloudWatchLogsDeliveryTime), which moto never sets; \
             phiguard judges the configured delivery"
        }
        (_, Outcome::OnlyPhiguard) => {
            "Prowler reported nothing for this resource (it lists only what its check \
             selects, or it could not read it from the emulator)"
        }
        (_, Outcome::OnlyProwler) => "phiguard reported nothing for this resource",
        _ if ours("could not") || ours("was not read") => {
            "phiguard could not read the fact (an emulator limitation or a refused call)"
        }
        _ => "",
    };
    match (known.is_empty(), pair.scope.is_empty()) {
        (false, _) => known.to_owned(),
        (true, false) => format!("different scope: {}", pair.scope),
        (true, true) => "unexplained: see both messages".to_owned(),
    }
}

/// A moto server on a loopback port of its own, stopped when dropped.
#[derive(Debug)]
struct Moto {
    child: Child,
    port: u16,
}

impl Moto {
    /// Starts `server` and waits until it answers a request. AWS's managed IAM policies are
    /// loaded, so a user can have `AdministratorAccess` attached. moto's built-in AMIs are
    /// not: their 1,361 snapshots a region, owned by Amazon, come back from
    /// `DescribeSnapshots` even when it asks for the account's own (`OwnerIds=self`), which
    /// AWS answers with the account's snapshots alone.
    fn start(server: &Path, log: &Path) -> anyhow::Result<Moto> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .context("no free loopback port for moto")?
            .port();
        let log = fs::File::create(log).with_context(|| format!("creating {}", log.display()))?;
        let child = Command::new(server)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
            .env("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("could not start {}", server.display()))?;
        let moto = Moto { child, port };
        let deadline = Instant::now() + Duration::from_secs(60);
        while !moto.answers() {
            anyhow::ensure!(
                Instant::now() < deadline,
                "moto_server did not answer on port {port} within 60 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(moto)
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Whether moto answers its own API's status request (it accepts connections before its
    /// application is loaded).
    fn answers(&self) -> bool {
        let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let request = format!(
            "GET /moto-api/ HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n",
            self.port
        );
        let mut response = String::new();
        stream.write_all(request.as_bytes()).is_ok()
            && stream.read_to_string(&mut response).is_ok()
            && response.starts_with("HTTP/1.1 200")
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A file under the user's cache, `~/.cache/phiguard/REST`.
fn cached(rest: &str) -> PathBuf {
    let home = std::env::var_os("HOME").unwrap_or_default();
    Path::new(&home).join(".cache/phiguard").join(rest)
}

/// The environment both tools run in: the emulator's credentials, no AWS configuration
/// files, and every non-loopback HTTP(S) connection sent to a closed port, so neither
/// reaches the internet. `scratch` holds the empty configuration files.
fn isolate(command: &mut Command, scratch: &Path) {
    for key in [
        "AWS_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_CLOUDTRAIL",
        "AWS_REGION",
    ] {
        command.env_remove(key);
    }
    command
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", scratch.join("aws-config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            scratch.join("aws-credentials"),
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("HTTPS_PROXY", "http://127.0.0.1:9")
        .env("HTTP_PROXY", "http://127.0.0.1:9")
        .env("https_proxy", "http://127.0.0.1:9")
        .env("http_proxy", "http://127.0.0.1:9")
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost");
}

/// A relay in front of moto for CloudTrail alone, which spells CloudTrail's `X-Amz-Target`
/// the long way: the SDK for Rust sends `CloudTrail_20131101.DescribeTrails`, which AWS
/// accepts, and moto answers it 404 (it routes only
/// `com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.DescribeTrails`). The tests of
/// crates/cloud go through the same relay.
fn cloudtrail_relay(endpoint: &str) -> Relay {
    Relay::start(endpoint, |_, head| {
        Relayed::Forward(head.replace(
            ": CloudTrail_20131101.",
            ": com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.",
        ))
    })
}

/// One timed `phiguard cloud check aws` and the findings it printed. The endpoint is given
/// as Prowler is given it, by `AWS_ENDPOINT_URL`, so that CloudTrail's alone can go through
/// the relay (`AWS_ENDPOINT_URL_CLOUDTRAIL`; `--endpoint-url` would send every service's
/// calls there).
fn phiguard_run(
    phiguard: &Path,
    home: &Path,
    (endpoint, cloudtrail): (&str, &str),
    regions: &[String],
    scratch: &Path,
    round: usize,
) -> anyhow::Result<(Run, Value)> {
    let mut command = Command::new(phiguard);
    command
        .arg("--home")
        .arg(home)
        .args(["cloud", "check", "aws"]);
    for region in regions {
        command.args(["--region", region]);
    }
    command.arg("--json");
    isolate(&mut command, scratch);
    command
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ENDPOINT_URL_CLOUDTRAIL", cloudtrail);
    let out = scratch.join(format!("phiguard-{round}.json"));
    // 1: a finding fails, as it must on this account.
    let run = timed_command(&mut command, &out, &[0, 1])?;
    let text = fs::read_to_string(&out).with_context(|| format!("reading {}", out.display()))?;
    let json: Value = serde_json::from_str(&text).with_context(|| {
        format!("`phiguard cloud check aws --json` printed no JSON: {text:.300}")
    })?;
    Ok((run, json))
}

/// One timed Prowler run and the findings of its OCSF JSON file.
fn prowler_run(
    prowler: &Path,
    endpoint: &str,
    regions: &[String],
    scratch: &Path,
    round: usize,
) -> anyhow::Result<(Run, Value)> {
    let dir = scratch.join(format!("prowler-{round}"));
    let mut command = Command::new(prowler);
    command.args(["aws", "--compliance", "hipaa_aws", "--region"]);
    command.args(regions);
    command
        .args(["--output-formats", "json-ocsf", "--output-directory"])
        .arg(&dir)
        .args([
            "--output-filename",
            "prowler",
            "--no-banner",
            "--scan-unused-services",
        ])
        .env("AWS_ENDPOINT_URL", endpoint)
        .current_dir(scratch);
    isolate(&mut command, scratch);
    command.env("AWS_ENDPOINT_URL", endpoint);
    let out = scratch.join(format!("prowler-{round}.out"));
    // 3: a check failed, as some must on this account.
    let run = timed_command(&mut command, &out, &[0, 3])?;
    let file = dir.join("prowler.ocsf.json");
    let text = fs::read_to_string(&file).with_context(|| {
        format!(
            "Prowler wrote no {}: {}",
            file.display(),
            tail(&out.with_extension("err"))
        )
    })?;
    let json: Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not JSON: {text:.300}", file.display()))?;
    Ok((run, json))
}

/// The checks of Prowler's `hipaa_aws` framework, read from the installed package (empty if
/// it cannot be found: then no pair is ruled out for being outside it).
fn hipaa_framework(prowler: &Path) -> (BTreeSet<String>, Option<PathBuf>) {
    let venv = prowler.parent().and_then(Path::parent);
    let found = venv.and_then(|venv| {
        let lib = fs::read_dir(venv.join("lib")).ok()?;
        lib.filter_map(Result::ok)
            .map(|e| {
                e.path()
                    .join("site-packages/prowler/compliance/aws/hipaa_aws.json")
            })
            .find(|p| p.is_file())
    });
    let checks = found
        .as_ref()
        .and_then(|p| fs::read_to_string(p).ok())
        .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        .map(|json| {
            json["Requirements"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|r| r["Checks"].as_array().into_iter().flatten())
                .filter_map(|c| Some(c.as_str()?.to_owned()))
                .collect()
        })
        .unwrap_or_default();
    (checks, found)
}

/// The untimed population of the account: what `populate.py` printed.
fn populate(
    moto_server: &Path,
    endpoint: &str,
    regions: &[String],
    scratch: &Path,
) -> anyhow::Result<Value> {
    let python = moto_server.with_file_name("python");
    anyhow::ensure!(
        python.is_file(),
        "no Python beside {} (the moto venv's, which has boto3)",
        moto_server.display()
    );
    let script = scratch.join("populate.py");
    fs::write(&script, POPULATE).with_context(|| format!("writing {}", script.display()))?;
    let mut command = Command::new(&python);
    command.arg(&script).arg(endpoint).args(regions);
    isolate(&mut command, scratch);
    let out = scratch.join("populate.json");
    timed_command(&mut command, &out, &[0])?;
    let text = fs::read_to_string(&out)?;
    serde_json::from_str(&text).with_context(|| format!("populate.py printed no JSON: {text:.300}"))
}

/// A short form of a message for a table cell: one line, pipes escaped.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// The findings of one side of a matched key, for the listing: `status: message` each.
fn said(findings: &[Finding]) -> String {
    if findings.is_empty() {
        return "—".to_owned();
    }
    findings
        .iter()
        .map(|f| format!("{}: {}", f.status, cell(&f.message)))
        .collect::<Vec<_>>()
        .join("; ")
}

fn findings_json(findings: &[Finding]) -> Value {
    findings
        .iter()
        .map(|f| {
            json!({
                "check": f.check,
                "resource": f.arn,
                "region": f.region,
                "status": f.status,
                "message": f.message,
            })
        })
        .collect()
}

fn outcome_name(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Agree => "agree",
        Outcome::Disagree => "disagree",
        Outcome::Unjudged => "one did not judge",
        Outcome::OnlyPhiguard => "only phiguard",
        Outcome::OnlyProwler => "only Prowler",
    }
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(args.rounds > 0, "--rounds must be at least 1");
    let phiguard = locate_phiguard(args.phiguard.as_deref())?;
    let prowler = args
        .prowler
        .clone()
        .unwrap_or_else(|| cached("prowler-venv/bin/prowler"));
    anyhow::ensure!(
        prowler.is_file(),
        "no Prowler at {}; make its venv with `python3 -m venv ~/.cache/phiguard/prowler-venv && \
         ~/.cache/phiguard/prowler-venv/bin/pip install prowler=={PROWLER_VERSION}` (or give \
         --prowler PATH)",
        prowler.display()
    );
    let moto_server = args
        .moto_server
        .clone()
        .unwrap_or_else(|| cached("moto-venv/bin/moto_server"));
    anyhow::ensure!(
        moto_server.is_file(),
        "no moto_server at {}; make its venv with `python3 -m venv ~/.cache/phiguard/moto-venv \
         && ~/.cache/phiguard/moto-venv/bin/pip install 'moto[server]'` (or give --moto-server \
         PATH)",
        moto_server.display()
    );
    let scratch = tempfile::Builder::new()
        .prefix("phiguard-bench-cloud-")
        .tempdir()
        .context("could not create a temporary directory")?;
    let t = scratch.path();
    fs::write(t.join("aws-config"), "")?;
    fs::write(t.join("aws-credentials"), "")?;
    let phiguard_version = version_line(&phiguard, "--version").unwrap_or_else(|| "?".into());
    let prowler_version = version_line(&prowler, "--version").unwrap_or_else(|| "?".into());
    let moto_version = Command::new(moto_server.with_file_name("python"))
        .args(["-c", "import moto; print(moto.__version__)"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map_or("?".to_owned(), |o| {
            format!("moto {}", String::from_utf8_lossy(&o.stdout).trim())
        });
    require_command(&phiguard, &["cloud", "check", "aws"], t)?;
    let (framework, framework_file) = hipaa_framework(&prowler);

    // Untimed: the emulator, the account, phiguard's home.
    let moto = Moto::start(&moto_server, &t.join("moto.log"))?;
    let endpoint = moto.endpoint();
    let relay = cloudtrail_relay(&endpoint);
    eprintln!("populating the account at {endpoint} (untimed)");
    let populating = Instant::now();
    let population = populate(&moto_server, &endpoint, &args.regions, t)?;
    let populate_secs = populating.elapsed().as_secs_f64();
    let home = t.join("home");
    let init: Vec<OsString> = vec![
        "--home".into(),
        home.clone().into(),
        "init".into(),
        "-q".into(),
    ];
    timed(&phiguard, &init, &t.join("init.out"), &[0])?;

    let load_before = load_average();
    let started = Instant::now();
    let mut ours: Vec<(Run, Value)> = Vec::new();
    let mut theirs: Vec<(Run, Value)> = Vec::new();
    for round in 0..args.rounds {
        for i in 0..2 {
            if (round + i) % 2 == 0 {
                eprintln!("round {}: phiguard cloud check aws", round + 1);
                ours.push(phiguard_run(
                    &phiguard,
                    &home,
                    (&endpoint, &relay.endpoint()),
                    &args.regions,
                    t,
                    round,
                )?);
            } else {
                eprintln!("round {}: prowler aws --compliance hipaa_aws", round + 1);
                theirs.push(prowler_run(&prowler, &endpoint, &args.regions, t, round)?);
            }
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let load_after = load_average();
    drop(moto);

    let (Some((_, our_json)), Some((_, their_json))) = (ours.last(), theirs.last()) else {
        anyhow::bail!("no round ran");
    };
    let our_findings = phiguard_findings(our_json, &args.regions)?;
    let their_findings = prowler_findings(their_json)?;
    let phiguard_checks: BTreeSet<&str> = our_findings.iter().map(|f| f.check.as_str()).collect();
    let prowler_checks: BTreeSet<&str> = their_findings.iter().map(|f| f.check.as_str()).collect();
    let prowler_rounds: Vec<Vec<Finding>> = theirs
        .iter()
        .map(|(_, json)| prowler_findings(json))
        .collect::<anyhow::Result<_>>()?;
    let mut results: Vec<PairResult> = PAIRS
        .iter()
        .map(|p| {
            compare(
                p,
                &our_findings,
                &their_findings,
                &phiguard_checks,
                &framework,
                &prowler_checks,
            )
        })
        .collect();

    // A difference where Prowler's own verdict changed from round to round, on an account
    // nothing changed, says so first.
    for result in &mut results {
        let pair = result.pair;
        for m in result
            .matched
            .iter_mut()
            .filter(|m| m.outcome != Outcome::Agree)
        {
            let by_round: Vec<String> = prowler_rounds
                .iter()
                .map(|round| {
                    let verdict = Verdict::combine(
                        round
                            .iter()
                            .filter(|f| f.check == pair.prowler && key_of(f, pair.by) == m.key)
                            .map(|f| f.verdict),
                    );
                    verdict.map_or("none".to_owned(), |v| format!("{v:?}").to_uppercase())
                })
                .collect();
            if by_round.iter().any(|v| *v != by_round[0]) {
                m.reason = format!(
                    "Prowler's verdict changed between rounds on the unchanged account ({} in \
                     rounds 1 to {}); {}",
                    by_round.join(", "),
                    by_round.len(),
                    m.reason
                );
            }
        }
    }
    let our_wall = median(ours.iter().map(|(r, _)| r.wall));
    let their_wall = median(theirs.iter().map(|(r, _)| r.wall));
    let our_cpu = median(ours.iter().map(|(r, _)| r.cpu));
    let their_cpu = median(theirs.iter().map(|(r, _)| r.cpu));
    let speedup = their_wall / our_wall;
    let compared: Vec<&PairResult> = results.iter().filter(|r| r.missing.is_none()).collect();
    let total = |o: Outcome| compared.iter().map(|r| r.count(o)).sum::<usize>();
    let (agree, disagree, unjudged) = (
        total(Outcome::Agree),
        total(Outcome::Disagree),
        total(Outcome::Unjudged),
    );
    let (only_ours, only_theirs) = (total(Outcome::OnlyPhiguard), total(Outcome::OnlyProwler));
    let both = agree + disagree + unjudged;
    let agreement = if both > 0 {
        100.0 * agree as f64 / both as f64
    } else {
        f64::NAN
    };
    let resources = our_json["resources"].as_u64().unwrap_or(0);
    let made = population["total"].as_u64().unwrap_or(0);
    let framework_used: BTreeSet<&str> = their_findings.iter().map(|f| f.check.as_str()).collect();

    if args.json {
        let pairs: Vec<Value> = results
            .iter()
            .map(|r| {
                json!({
                    "prowler": r.pair.prowler,
                    "phiguard": r.pair.phiguard,
                    "matched_by": format!("{:?}", r.pair.by).to_lowercase(),
                    "scope": r.pair.scope,
                    "missing": r.missing,
                    "agree": r.count(Outcome::Agree),
                    "disagree": r.count(Outcome::Disagree),
                    "one_did_not_judge": r.count(Outcome::Unjudged),
                    "only_phiguard": r.count(Outcome::OnlyPhiguard),
                    "only_prowler": r.count(Outcome::OnlyProwler),
                    "differences": r.matched.iter().filter(|m| m.outcome != Outcome::Agree).map(|m| json!({
                        "key": m.key,
                        "outcome": outcome_name(m.outcome),
                        "reason": m.reason,
                        "phiguard": findings_json(&m.ours),
                        "prowler": findings_json(&m.theirs),
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        let result = json!({
            "machine": machine_line(false, &load_before, &load_after, args.rounds, elapsed),
            "regions": args.regions,
            "population": population,
            "populate_seconds": populate_secs,
            "phiguard": {
                "version": phiguard_version,
                "wall_median": our_wall,
                "cpu_median": our_cpu,
                "walls": ours.iter().map(|(r, _)| r.wall).collect::<Vec<_>>(),
                "exit_codes": ours.iter().map(|(r, _)| r.code).collect::<Vec<_>>(),
                "resources": resources,
                "checks": our_json["checks"],
                "findings": our_findings.len(),
                "summary": our_json["summary"],
            },
            "prowler": {
                "version": prowler_version,
                "wall_median": their_wall,
                "cpu_median": their_cpu,
                "walls": theirs.iter().map(|(r, _)| r.wall).collect::<Vec<_>>(),
                "exit_codes": theirs.iter().map(|(r, _)| r.code).collect::<Vec<_>>(),
                "framework_checks": framework.len(),
                "checks_reporting": framework_used.len(),
                "findings": their_findings.len(),
            },
            "ratio": speedup,
            "target_ratio": TARGET_RATIO,
            "target_met": speedup >= TARGET_RATIO,
            "agreement": {
                "pairs": PAIRS.len(),
                "pairs_compared": compared.len(),
                "agree": agree,
                "disagree": disagree,
                "one_did_not_judge": unjudged,
                "only_phiguard": only_ours,
                "only_prowler": only_theirs,
                "percent": agreement,
            },
            "pairs": pairs,
        });
        println!("{}", serde_json::to_string_pretty(&result)?);
    } else {
        println!("# phiguard cloud check aws vs Prowler (hipaa_aws), on moto\n");
        println!(
            "{}\n",
            machine_line(false, &load_before, &load_after, args.rounds, elapsed)
        );
        println!(
            "One emulated account ({moto_version}), {made} resources made in {} ({} s, untimed); \
             phiguard counted {resources} resources in the services it reads.\n",
            args.regions.join(", "),
            seconds(populate_secs),
        );
        println!(
            "| tool | wall s (median) | CPU s (median) | checks | findings | Prowler ÷ this |"
        );
        println!("|---|---|---|---|---|---|");
        println!(
            "| `phiguard cloud check aws` | {} | {} | {} | {} ({} pass, {} fail, {} warn) | {} |",
            seconds(our_wall),
            seconds(our_cpu),
            our_json["checks"],
            our_findings.len(),
            our_json["summary"]["pass"],
            our_json["summary"]["fail"],
            our_json["summary"]["warn"],
            ratio(their_wall, our_wall),
        );
        let count = |v: Verdict| their_findings.iter().filter(|f| f.verdict == v).count();
        println!(
            "| `prowler aws --compliance hipaa_aws` | {} | {} | {} of {} in the framework | {} ({} PASS, {} FAIL, {} MANUAL) | 1.0× |",
            seconds(their_wall),
            seconds(their_cpu),
            framework_used.len(),
            framework.len(),
            their_findings.len(),
            count(Verdict::Pass),
            count(Verdict::Fail),
            count(Verdict::NotJudged),
        );
        println!(
            "\n**{}**: phiguard {} faster than Prowler (wall, median; target {TARGET_RATIO:.0}×).\n",
            if speedup >= TARGET_RATIO {
                "PASS"
            } else {
                "FAIL"
            },
            ratio(their_wall, our_wall)
        );
        println!("## Agreement on the checks both have\n");
        println!(
            "{} pairs of checks, {} compared. Of the {both} resources (or regions, or account \
             settings) both judged: **{agree} agree**, {disagree} disagree, {unjudged} one of \
             them did not judge ({:.0}% agreement). Judged by one only: {only_ours} by \
             phiguard, {only_theirs} by Prowler.\n",
            PAIRS.len(),
            compared.len(),
            agreement
        );
        println!(
            "| Prowler check | phiguard check | matched by | agree | disagree | one did not judge | only phiguard | only Prowler | note |"
        );
        println!("|---|---|---|---|---|---|---|---|---|");
        for r in &results {
            let by = format!("{:?}", r.pair.by).to_lowercase();
            match &r.missing {
                Some(why) => println!(
                    "| {} | {} | {by} | | | | | | {why} |",
                    r.pair.prowler, r.pair.phiguard
                ),
                None => println!(
                    "| {} | {} | {by} | {} | {} | {} | {} | {} | {} |",
                    r.pair.prowler,
                    r.pair.phiguard,
                    r.count(Outcome::Agree),
                    r.count(Outcome::Disagree),
                    r.count(Outcome::Unjudged),
                    r.count(Outcome::OnlyPhiguard),
                    r.count(Outcome::OnlyProwler),
                    r.pair.scope
                ),
            }
        }
        println!("\n## Every difference\n");
        println!("| Prowler check | resource | outcome | phiguard said | Prowler said | why |");
        println!("|---|---|---|---|---|---|");
        for r in &compared {
            for m in r.matched.iter().filter(|m| m.outcome != Outcome::Agree) {
                println!(
                    "| {} | {} | {} | {} | {} | {} |",
                    r.pair.prowler,
                    m.key,
                    outcome_name(m.outcome),
                    said(&m.ours),
                    said(&m.theirs),
                    cell(&m.reason)
                );
            }
        }
        println!("\n## Notes\n");
        println!(
            "- {phiguard_version} (`{}`): with AWS_ENDPOINT_URL set to the emulator, `phiguard \
             --home H cloud check aws --json` and the regions {}. Exit codes: {}. Wall per round: \
             {} s.",
            phiguard.display(),
            args.regions
                .iter()
                .map(|r| format!("--region {r}"))
                .collect::<Vec<_>>()
                .join(" "),
            codes(ours.iter().map(|(r, _)| r)),
            walls(ours.iter().map(|(r, _)| r)),
        );
        println!(
            "- {prowler_version} (`{}`): `prowler aws --compliance hipaa_aws --region {} \
             --output-formats json-ocsf --output-directory T/prowler-N --output-filename prowler \
             --no-banner --scan-unused-services` with `AWS_ENDPOINT_URL=URL` (without \
             `--scan-unused-services` Prowler passes over security groups, VPCs and other \
             resources nothing uses, which phiguard judges all the same). Exit codes: {} (3: a check failed). Wall \
             per round: {} s. Framework: {}.",
            prowler.display(),
            args.regions.join(" "),
            codes(theirs.iter().map(|(r, _)| r)),
            walls(theirs.iter().map(|(r, _)| r)),
            framework_file
                .as_ref()
                .map_or("not found".to_owned(), |p| format!("`{}`", p.display())),
        );
        println!(
            "- Both with `AWS_ACCESS_KEY_ID=testing`, empty AWS configuration files and \
             `HTTPS_PROXY`/`HTTP_PROXY` on a closed loopback port (loopback exempt): no \
             request leaves the machine."
        );
        if let Some(refused) = population["refused"].as_array().filter(|r| !r.is_empty()) {
            println!(
                "- Calls the emulator refused while populating: {}.",
                refused
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join("; ")
            );
        }
        println!("{}", cpu_note(false));
        println!();
        let targets: Vec<Target> = vec![(
            format!(
                "`phiguard cloud check aws` {TARGET_RATIO:.0}× faster than Prowler's hipaa_aws \
                 (wall, median)"
            ),
            format!("{speedup:.1}×"),
            Some(speedup >= TARGET_RATIO),
        )];
        print_targets(&targets);
    }
    if args.keep {
        let kept = scratch.keep();
        eprintln!("outputs kept in {}", kept.display());
    }
    Ok(())
}
