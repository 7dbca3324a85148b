//! What phiguard saw of a cloud account: every resource the checks judge, with the facts they
//! judge it by, and the calls that could not be made. Pure data: the collector fills it from
//! the provider's API ([`crate::aws`]), the checks ([`crate::checks`]) read it, and it is kept
//! as the account's latest inventory.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::seen::{Gap, Seen};

mod acm;
mod dynamodb;
mod efs;
mod elb;
mod logs;

pub use acm::{Acm, Certificate, CertificateDetails};
pub use dynamodb::{DynamoDb, Table, TableEncryption};
pub use efs::{Efs, FileSystem};
pub use elb::{AccessLogs, Elb, Listener, LoadBalancer};
pub use logs::{LogGroup, Logs};
mod config;
mod guardduty;
mod lambda;
mod secretsmanager;
mod securityhub;
mod sns;
mod sqs;

pub use config::{Config, Coverage, Recorder};
pub use guardduty::{Detector, GuardDuty};
pub use lambda::{Function, Lambda};
pub use secretsmanager::{Secret, SecretsManager};
pub use securityhub::SecurityHub;
pub use sns::{Sns, Topic};
pub use sqs::{Queue, QueueEncryption, Sqs};

/// The tag that marks a resource as holding ePHI: its failures weigh critical.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhiTag {
    pub key: String,
    pub value: String,
}

impl Default for PhiTag {
    fn default() -> PhiTag {
        PhiTag {
            key: "phi".into(),
            value: "true".into(),
        }
    }
}

impl std::str::FromStr for PhiTag {
    type Err = String;

    fn from_str(text: &str) -> Result<PhiTag, String> {
        match text.split_once('=') {
            Some((key, value)) if !key.trim().is_empty() => Ok(PhiTag {
                key: key.trim().to_owned(),
                value: value.trim().to_owned(),
            }),
            _ => Err(format!(
                "{text:?} is not a tag; give it as KEY=VALUE, such as phi=true"
            )),
        }
    }
}

/// What every resource has: its ARN, where it is, what people call it, and its tags.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resource {
    pub arn: String,
    /// `None` for a global resource (an IAM user, an S3 bucket's account-wide settings).
    pub region: Option<String>,
    /// Its name or id: `patient-exports`, `vol-0abc…`.
    pub id: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

impl Resource {
    /// The account itself, for settings of the whole account (its S3 public access block, its
    /// password policy, whether any trail covers every region): named by its root ARN.
    pub fn account(id: &str) -> Resource {
        Resource {
            arn: format!("arn:aws:iam::{id}:root"),
            region: None,
            id: format!("account {id}"),
            tags: BTreeMap::new(),
        }
    }

    /// A finding's subject: the ARN, which a report, a ticket or a script can find it by,
    /// and its name or id when the ARN does not end with it.
    pub fn subject(&self) -> String {
        if self.arn.ends_with(&self.id) {
            self.arn.clone()
        } else {
            format!("{} ({})", self.arn, self.id)
        }
    }

    /// Whether the resource is tagged as holding ePHI.
    pub fn holds_phi(&self, tag: &PhiTag) -> bool {
        self.tags
            .get(&tag.key)
            .is_some_and(|value| value.eq_ignore_ascii_case(&tag.value))
    }
}

/// Everything seen of one account.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Inventory {
    /// The account id, from STS; `None` when it could not be asked.
    pub account: Option<String>,
    /// The regions scanned.
    pub regions: Vec<String>,
    /// Services or regions that could not be read at all.
    pub gaps: Vec<Gap>,
    pub s3: S3,
    pub ec2: Ec2,
    pub rds: Rds,
    pub cloudtrail: CloudTrail,
    pub iam: Iam,
    pub kms: Kms,
    #[serde(default)]
    pub elb: Elb,
    #[serde(default)]
    pub acm: Acm,
    #[serde(default)]
    pub dynamodb: DynamoDb,
    #[serde(default)]
    pub efs: Efs,
    #[serde(default)]
    pub logs: Logs,
    #[serde(default)]
    pub guardduty: GuardDuty,
    #[serde(default)]
    pub securityhub: SecurityHub,
    #[serde(default)]
    pub config: Config,
    #[serde(default)]
    pub sns: Sns,
    #[serde(default)]
    pub sqs: Sqs,
    #[serde(default)]
    pub secretsmanager: SecretsManager,
    #[serde(default)]
    pub lambda: Lambda,
}

impl Inventory {
    /// The gaps of one service, in every region.
    pub fn gaps_of<'a>(&'a self, service: &'a str) -> impl Iterator<Item = &'a Gap> {
        self.gaps.iter().filter(move |gap| gap.service == service)
    }

    /// How many resources were seen, of every kind.
    pub fn resources(&self) -> usize {
        self.s3.buckets.len()
            + self.ec2.volumes.len()
            + self.ec2.snapshots.len()
            + self.ec2.security_groups.len()
            + self.ec2.network_acls.len()
            + self.ec2.vpcs.len()
            + self.rds.instances.len()
            + self.rds.snapshots.len()
            + self.cloudtrail.trails.len()
            + self.iam.users.len()
            + self.kms.keys.len()
            + self.elb.load_balancers.len()
            + self.acm.certificates.len()
            + self.dynamodb.tables.len()
            + self.efs.file_systems.len()
            + self.logs.log_groups.len()
            + self.sns.topics.len()
            + self.sqs.queues.len()
            + self.secretsmanager.secrets.len()
            + self.lambda.functions.len()
    }
}

// ---------------------------------------------------------------------------------------------
// S3

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct S3 {
    /// The account's public access block; `Known(None)` when none is set.
    pub account_public_access_block: Option<Seen<Option<PublicAccessBlock>>>,
    pub buckets: Vec<Bucket>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    pub resource: Resource,
    /// Default encryption; `Known(None)` when none is configured.
    pub encryption: Seen<Option<BucketEncryption>>,
    /// The bucket's public access block; `Known(None)` when none is set.
    pub public_access_block: Seen<Option<PublicAccessBlock>>,
    /// What its bucket policy allows; `Known(None)` without a policy.
    pub policy: Seen<Option<PolicyFacts>>,
    pub versioning: Seen<Versioning>,
    /// Where its server access logs go; `Known(None)` when they are off.
    pub logging: Seen<Option<String>>,
    /// Whether object lock is enabled.
    pub object_lock: Seen<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BucketEncryption {
    /// `AES256` (SSE-S3), `aws:kms`, `aws:kms:dsse`.
    pub algorithm: String,
    /// The KMS key, for `aws:kms`.
    pub kms_key: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicAccessBlock {
    pub block_public_acls: bool,
    pub ignore_public_acls: bool,
    pub block_public_policy: bool,
    pub restrict_public_buckets: bool,
}

impl PublicAccessBlock {
    pub fn all_on(&self) -> bool {
        self.block_public_acls
            && self.ignore_public_acls
            && self.block_public_policy
            && self.restrict_public_buckets
    }
}

/// What a resource policy says that the checks judge.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyFacts {
    /// Actions a statement allows to everyone (`"Principal": "*"` without a condition that
    /// narrows it to an account, an organisation, a VPC or a source address).
    pub public_actions: Vec<String>,
    /// A statement denies every request made without TLS (`aws:SecureTransport` false).
    pub denies_insecure_transport: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Versioning {
    Off,
    Enabled,
    Suspended,
}

// ---------------------------------------------------------------------------------------------
// EC2: EBS and the cloud firewall

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Ec2 {
    /// Per region: whether new EBS volumes are encrypted by default.
    pub ebs_default_encryption: BTreeMap<String, Seen<bool>>,
    pub volumes: Vec<Volume>,
    pub snapshots: Vec<EbsSnapshot>,
    pub security_groups: Vec<SecurityGroup>,
    pub network_acls: Vec<NetworkAcl>,
    pub vpcs: Vec<Vpc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Volume {
    pub resource: Resource,
    pub encrypted: bool,
    pub kms_key: Option<String>,
    /// The instances it is attached to; empty when it is not in use.
    pub attached_to: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EbsSnapshot {
    pub resource: Resource,
    pub encrypted: bool,
    /// Whether anyone may create a volume from it (`createVolumePermission` group `all`).
    pub public: Seen<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SecurityGroup {
    pub resource: Resource,
    pub vpc: Option<String>,
    /// Network interfaces using it; none means it protects nothing now.
    pub attachments: Seen<u32>,
    pub inbound: Vec<IngressRule>,
}

/// One inbound permission: a protocol, a port range, and the address ranges it admits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IngressRule {
    /// `tcp`, `udp`, `icmp`, or `-1` for every protocol.
    pub protocol: String,
    /// Inclusive port range; `None` for every port.
    pub ports: Option<(u16, u16)>,
    /// IPv4 and IPv6 ranges admitted (`0.0.0.0/0`, `::/0`, `10.0.0.0/8`).
    pub ranges: Vec<String>,
}

impl IngressRule {
    /// Whether it admits the whole internet.
    pub fn open_to_world(&self) -> bool {
        self.ranges.iter().any(|r| r == "0.0.0.0/0" || r == "::/0")
    }

    /// Whether it covers `port` for `protocol`.
    pub fn covers(&self, protocol: &str, port: u16) -> bool {
        let protocol_matches =
            self.protocol == "-1" || self.protocol.eq_ignore_ascii_case(protocol);
        let port_matches = self.ports.is_none_or(|(lo, hi)| (lo..=hi).contains(&port));
        protocol_matches && port_matches
    }
}

/// A network ACL: the stateless firewall of the subnets associated with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetworkAcl {
    pub resource: Resource,
    pub vpc: Option<String>,
    /// The subnets it guards; none means it guards nothing now.
    pub subnets: Vec<String>,
    /// Its inbound entries, in rule-number order: the first that matches decides.
    pub inbound: Vec<AclEntry>,
}

/// One inbound entry of a network ACL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AclEntry {
    pub rule_number: i32,
    /// `true` to allow, `false` to deny.
    pub allow: bool,
    /// What it matches, in the shape of a security group's rule (one range).
    pub rule: IngressRule,
}

/// A VPC and where its flow logs go.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Vpc {
    pub resource: Resource,
    /// The region's default VPC, which AWS creates in every account.
    pub default: bool,
    /// Its flow logs (ids), active or not; empty when it has none.
    pub flow_logs: Seen<Vec<String>>,
}

// ---------------------------------------------------------------------------------------------
// RDS

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Rds {
    pub instances: Vec<DbInstance>,
    pub snapshots: Vec<DbSnapshot>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DbInstance {
    pub resource: Resource,
    pub engine: String,
    pub storage_encrypted: bool,
    pub kms_key: Option<String>,
    pub publicly_accessible: bool,
    pub backup_retention_days: u32,
    pub multi_az: bool,
    /// Its status: `available`, `stopped`.
    pub status: String,
    /// An Aurora (or Multi-AZ DB) cluster rather than one instance.
    pub is_cluster: bool,
    /// For an instance of a cluster, the cluster: encryption, backups and TLS are the
    /// cluster's and judged on it.
    pub cluster: Option<String>,
    /// Its parameter group (a cluster's: its cluster parameter group).
    pub parameter_group: Option<String>,
    /// Whether the parameter group makes clients use TLS (`rds.force_ssl` 1,
    /// `require_secure_transport` ON): `Known(None)` when its engine has no such parameter.
    pub tls_required: Seen<Option<TlsParameter>>,
}

/// The parameter that makes a database engine refuse connections without TLS, and its value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsParameter {
    /// `rds.force_ssl` or `require_secure_transport`.
    pub name: String,
    /// Its value; `None` when the group leaves it at the engine's default.
    pub value: Option<String>,
}

impl TlsParameter {
    /// Whether the value forces TLS (`1`, `ON`, `true`).
    pub fn enforced(&self) -> bool {
        self.value.as_deref().is_some_and(|v| {
            let v = v.trim();
            v == "1" || v.eq_ignore_ascii_case("on") || v.eq_ignore_ascii_case("true")
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DbSnapshot {
    pub resource: Resource,
    pub encrypted: bool,
    /// Whether it is shared with every account (`restore` attribute `all`).
    pub public: Seen<bool>,
}

// ---------------------------------------------------------------------------------------------
// CloudTrail

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CloudTrail {
    /// The regions whose trails were listed.
    #[serde(default)]
    pub regions_read: Vec<String>,
    pub trails: Vec<Trail>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trail {
    pub resource: Resource,
    /// The region it was created in, where its status is read.
    pub home_region: String,
    pub multi_region: bool,
    pub log_file_validation: bool,
    pub kms_key: Option<String>,
    pub cloudwatch_logs: Option<String>,
    pub logging: Seen<bool>,
    /// Whether its event selectors record S3 object-level (data) events.
    pub s3_data_events: Seen<bool>,
}

// ---------------------------------------------------------------------------------------------
// IAM

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Iam {
    /// The root user, from the account summary; `None` when not asked.
    pub root: Option<Seen<Root>>,
    pub users: Vec<User>,
    /// `Known(None)` when the account has no password policy.
    pub password_policy: Option<Seen<Option<PasswordPolicy>>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Root {
    pub access_keys: u32,
    pub mfa: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub resource: Resource,
    /// Whether it can sign in to the console.
    pub console_password: Seen<bool>,
    pub mfa_devices: Seen<u32>,
    pub access_keys: Seen<Vec<AccessKey>>,
    /// The policies attached to it directly or written into it that grant every action on
    /// every resource (`AdministratorAccess`, or `"Action": "*"` on `"Resource": "*"`); empty
    /// when none does.
    pub administrator: Seen<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessKey {
    pub id: String,
    pub active: bool,
    pub created: jiff::Timestamp,
    /// When it was last used; `None` when never.
    pub last_used: Seen<Option<jiff::Timestamp>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordPolicy {
    pub minimum_length: u32,
    pub require_symbols: bool,
    pub require_numbers: bool,
    pub require_uppercase: bool,
    pub require_lowercase: bool,
    /// Days a password lives; `None` when it never expires.
    pub max_age_days: Option<u32>,
    /// How many earlier passwords cannot be reused.
    pub reuse_prevention: Option<u32>,
}

// ---------------------------------------------------------------------------------------------
// KMS

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Kms {
    pub keys: Vec<KmsKey>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KmsKey {
    pub resource: Resource,
    /// Who manages it, its state and spec, from DescribeKey.
    pub details: Seen<KeyDetails>,
    pub rotation: Seen<bool>,
    pub policy: Seen<PolicyFacts>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyDetails {
    /// `CUSTOMER` or `AWS`: only customer keys are the account's to rotate and police.
    pub manager: String,
    /// `Enabled`, `Disabled`, `PendingDeletion`, `PendingImport`.
    pub state: String,
    /// `SYMMETRIC_DEFAULT` and the like: only symmetric keys rotate automatically.
    pub spec: String,
}
