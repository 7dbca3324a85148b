//! Reading an AWS account through the official SDK into an [`Inventory`].
//!
//! Credentials and configuration are found the way the AWS CLI finds them (environment,
//! profiles, SSO, instance and container roles; `AWS_ENDPOINT_URL` or an endpoint given here
//! for an emulator). Every enabled region is read concurrently, and the services of a region
//! concurrently within it. The SDK's adaptive retry absorbs throttling; pagination is followed
//! to the end. A call the credentials may not make is recorded as [`Seen::Denied`] with the
//! IAM action, and a service that cannot be listed at all as a [`Gap`], so the checks report
//! what they could not see.

mod acm;
mod calls;
mod cloudtrail;
mod config;
mod dynamodb;
mod ec2;
mod efs;
mod elb;
mod guardduty;
mod iam;
mod kms;
mod kms_root;
mod lambda;
mod logs;
mod rds;
mod s3;
mod secretsmanager;
mod securityhub;
mod sns;
mod sqs;

use std::collections::BTreeSet;
use std::sync::Arc;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::{Region, SdkConfig};

use crate::inventory::Inventory;

use crate::seen::{Gap, Seen};
pub use kms_root::AwsKmsRoot;

/// A service phiguard reads, as `--only` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Service {
    S3,
    Ec2,
    Rds,
    CloudTrail,
    Iam,
    Kms,
    Elb,
    Acm,
    DynamoDb,
    Efs,
    Logs,
    GuardDuty,
    SecurityHub,
    Config,
    Sns,
    Sqs,
    SecretsManager,
    Lambda,
}

impl Service {
    pub const ALL: [Service; 18] = [
        Service::S3,
        Service::Ec2,
        Service::Rds,
        Service::CloudTrail,
        Service::Iam,
        Service::Kms,
        Service::Elb,
        Service::Acm,
        Service::DynamoDb,
        Service::Efs,
        Service::Logs,
        Service::GuardDuty,
        Service::SecurityHub,
        Service::Config,
        Service::Sns,
        Service::Sqs,
        Service::SecretsManager,
        Service::Lambda,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Service::S3 => "s3",
            Service::Ec2 => "ec2",
            Service::Rds => "rds",
            Service::CloudTrail => "cloudtrail",
            Service::Iam => "iam",
            Service::Kms => "kms",
            Service::Elb => "elb",
            Service::Acm => "acm",
            Service::DynamoDb => "dynamodb",
            Service::Efs => "efs",
            Service::Logs => "logs",
            Service::GuardDuty => "guardduty",
            Service::SecurityHub => "securityhub",
            Service::Config => "config",
            Service::Sns => "sns",
            Service::Sqs => "sqs",
            Service::SecretsManager => "secretsmanager",
            Service::Lambda => "lambda",
        }
    }

    /// Services read once for the account rather than per region.
    pub fn is_global(self) -> bool {
        matches!(self, Service::S3 | Service::Iam)
    }
}

impl std::str::FromStr for Service {
    type Err = String;

    fn from_str(text: &str) -> Result<Service, String> {
        let wanted = text.trim().to_ascii_lowercase();
        Service::ALL
            .into_iter()
            .find(|s| s.as_str() == wanted)
            .ok_or_else(|| {
                let names: Vec<&str> = Service::ALL.iter().map(|s| s.as_str()).collect();
                format!(
                    "{text:?} is not a service phiguard checks; use {}",
                    names.join(", ")
                )
            })
    }
}

impl std::fmt::Display for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What to read.
#[derive(Debug, Clone, Default)]
pub struct ScanOptions {
    /// Regions to read; empty for every region enabled in the account.
    pub regions: Vec<String>,
    /// Services to read; empty for all.
    pub services: BTreeSet<Service>,
    /// An endpoint for every service, such as an emulator's (`http://127.0.0.1:5000`);
    /// `AWS_ENDPOINT_URL` in the environment does the same.
    pub endpoint_url: Option<String>,
    /// A profile of the shared configuration files, instead of `AWS_PROFILE` or the default.
    pub profile: Option<String>,
    /// Credentials to use instead of the chain the AWS CLI follows (an emulator's, or ones a
    /// caller holds); the secret never leaves the SDK.
    pub credentials: Option<aws_sdk_sts::config::Credentials>,
    /// Items asked for per page where the API allows it; `None` for the service's default.
    /// Small pages exercise pagination against an emulator.
    pub page_size: Option<i32>,
}

impl ScanOptions {
    fn wants(&self, service: Service) -> bool {
        self.services.is_empty() || self.services.contains(&service)
    }
}

/// What a scan reports as it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanEvent {
    /// The regions it will read.
    Regions(Vec<String>),
    /// A service of a region (or a global one, with `region` `None`) has been read.
    Read {
        service: Service,
        region: Option<String>,
        resources: usize,
    },
}

/// Why nothing could be read.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error(
        "no AWS credentials were found: set AWS_PROFILE or AWS_ACCESS_KEY_ID and \
         AWS_SECRET_ACCESS_KEY, run `aws sso login`, or run phiguard on an instance or in a \
         container with a role"
    )]
    NoCredentials,
    #[error("the AWS credentials were refused ({0}); check they are current")]
    BadCredentials(String),
    #[error("could not list the account's regions ({0}); name them with --region")]
    Regions(String),
}

/// The SDK configuration the AWS CLI would use, with phiguard's retry policy.
pub async fn load_config(options: &ScanOptions) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        // Adaptive retry backs off and paces itself under throttling; a scan of a large
        // account makes thousands of calls.
        .retry_config(RetryConfig::adaptive().with_max_attempts(6));
    if let Some(profile) = &options.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(credentials) = &options.credentials {
        loader = loader.credentials_provider(credentials.clone());
    }
    if let Some(endpoint) = &options.endpoint_url {
        loader = loader.endpoint_url(endpoint);
    }
    if let Some(region) = options.regions.first() {
        loader = loader.region(Region::new(region.clone()));
    }
    let config = loader.load().await;
    if config.region().is_none() {
        // Without a region configured, ask where the CLI's default would: us-east-1.
        return config
            .into_builder()
            .region(Region::from_static("us-east-1"))
            .build();
    }
    config
}

/// Reads the account into an inventory.
pub async fn scan(
    options: &ScanOptions,
    progress: Arc<dyn Fn(ScanEvent) + Send + Sync>,
) -> Result<Inventory, ScanError> {
    let config = load_config(options).await;
    let account = calls::account(&config).await?;
    let regions = match options.regions.is_empty() {
        false => options.regions.clone(),
        true => calls::enabled_regions(&config)
            .await
            .map_err(ScanError::Regions)?,
    };
    progress(ScanEvent::Regions(regions.clone()));
    let mut inventory = Inventory {
        account: Some(account),
        regions: regions.clone(),
        ..Inventory::default()
    };
    let mut tasks: tokio::task::JoinSet<Part> = tokio::task::JoinSet::new();
    for service in Service::ALL.into_iter().filter(|s| options.wants(*s)) {
        let targets: Vec<Option<String>> = if service.is_global() {
            vec![None]
        } else {
            regions.iter().cloned().map(Some).collect()
        };
        for region in targets {
            let config = match &region {
                Some(region) => config
                    .clone()
                    .into_builder()
                    .region(Region::new(region.clone()))
                    .build(),
                None => config.clone(),
            };
            let options = options.clone();
            let account = inventory.account.clone().unwrap_or_default();
            let progress = Arc::clone(&progress);
            tasks.spawn(async move {
                let part = read(service, &config, &options, &account, region.clone()).await;
                progress(ScanEvent::Read {
                    service,
                    region,
                    resources: part.inventory.resources(),
                });
                part
            });
        }
    }
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(part) => merge(&mut inventory, part),
            // A task that panicked read nothing; say so as a gap rather than lose it.
            Err(error) => inventory.gaps.push(Gap {
                service: "phiguard".into(),
                region: None,
                seen: Seen::Failed {
                    action: "scan".into(),
                    reason: error.to_string(),
                },
            }),
        }
    }
    sort(&mut inventory);
    Ok(inventory)
}

/// What one service of one region contributed.
struct Part {
    inventory: Inventory,
}

async fn read(
    service: Service,
    config: &SdkConfig,
    options: &ScanOptions,
    account: &str,
    region: Option<String>,
) -> Part {
    let mut inventory = Inventory::default();
    let region = region.as_deref();
    match service {
        Service::S3 => s3::read(config, options, account, &mut inventory).await,
        Service::Ec2 => ec2::read(config, options, account, region, &mut inventory).await,
        Service::Rds => rds::read(config, options, account, region, &mut inventory).await,
        Service::CloudTrail => {
            cloudtrail::read(config, options, account, region, &mut inventory).await
        }
        Service::Iam => iam::read(config, options, account, region, &mut inventory).await,
        Service::Kms => kms::read(config, options, account, region, &mut inventory).await,
        Service::Elb => elb::read(config, options, account, region, &mut inventory).await,
        Service::Acm => acm::read(config, options, account, region, &mut inventory).await,
        Service::DynamoDb => dynamodb::read(config, options, account, region, &mut inventory).await,
        Service::Efs => efs::read(config, options, account, region, &mut inventory).await,
        Service::Logs => logs::read(config, options, account, region, &mut inventory).await,
        Service::GuardDuty => {
            guardduty::read(config, options, account, region, &mut inventory).await
        }
        Service::SecurityHub => {
            securityhub::read(config, options, account, region, &mut inventory).await
        }
        Service::Config => config::read(config, options, account, region, &mut inventory).await,
        Service::Sns => sns::read(config, options, account, region, &mut inventory).await,
        Service::Sqs => sqs::read(config, options, account, region, &mut inventory).await,
        Service::SecretsManager => {
            secretsmanager::read(config, options, account, region, &mut inventory).await
        }
        Service::Lambda => lambda::read(config, options, account, region, &mut inventory).await,
    }
    Part { inventory }
}

/// Adds one part to the whole.
fn merge(into: &mut Inventory, part: Part) {
    let Inventory {
        account: _,
        regions: _,
        gaps,
        s3,
        ec2,
        rds,
        cloudtrail,
        iam,
        kms,
        elb,
        acm,
        dynamodb,
        efs,
        logs,
        guardduty,
        securityhub,
        config,
        sns,
        sqs,
        secretsmanager,
        lambda,
    } = part.inventory;
    into.gaps.extend(gaps);
    if s3.account_public_access_block.is_some() {
        into.s3.account_public_access_block = s3.account_public_access_block;
    }
    into.s3.buckets.extend(s3.buckets);
    into.ec2
        .ebs_default_encryption
        .extend(ec2.ebs_default_encryption);
    into.ec2.volumes.extend(ec2.volumes);
    into.ec2.snapshots.extend(ec2.snapshots);
    into.ec2.security_groups.extend(ec2.security_groups);
    into.ec2.network_acls.extend(ec2.network_acls);
    into.ec2.vpcs.extend(ec2.vpcs);
    into.rds.instances.extend(rds.instances);
    into.rds.snapshots.extend(rds.snapshots);
    into.cloudtrail.trails.extend(cloudtrail.trails);
    into.cloudtrail.regions_read.extend(cloudtrail.regions_read);
    if iam.root.is_some() {
        into.iam.root = iam.root;
    }
    if iam.password_policy.is_some() {
        into.iam.password_policy = iam.password_policy;
    }
    into.iam.users.extend(iam.users);
    into.kms.keys.extend(kms.keys);
    into.elb.load_balancers.extend(elb.load_balancers);
    into.acm.certificates.extend(acm.certificates);
    into.dynamodb.tables.extend(dynamodb.tables);
    into.efs.file_systems.extend(efs.file_systems);
    into.logs.log_groups.extend(logs.log_groups);
    into.guardduty.regions.extend(guardduty.regions);
    into.securityhub.regions.extend(securityhub.regions);
    into.config.regions.extend(config.regions);
    into.sns.topics.extend(sns.topics);
    into.sqs.queues.extend(sqs.queues);
    into.secretsmanager.secrets.extend(secretsmanager.secrets);
    into.lambda.functions.extend(lambda.functions);
}

/// Resources in ARN order, so two scans of the same account compare line by line.
fn sort(inventory: &mut Inventory) {
    inventory
        .s3
        .buckets
        .sort_by(|a, b| a.resource.arn.cmp(&b.resource.arn));
    inventory
        .ec2
        .volumes
        .sort_by(|a, b| a.resource.arn.cmp(&b.resource.arn));
    inventory
        .ec2
        .snapshots
        .sort_by(|a, b| a.resource.arn.cmp(&b.resource.arn));
    inventory
        .ec2
        .security_groups
        .sort_by(|a, b| a.resource.arn.cmp(&b.resource.arn));
    inventory
        .ec2
        .network_acls
        .sort_by(|a, b| a.resource.arn.cmp(&b.resource.arn));
    inventory
        .ec2
        .vpcs
        .sort_by(|a, b| a.resource.arn.cmp(&b.resource.arn));
    inventory
        .rds
        .instances
        .sort_by(|a, b| a.resource.arn.cmp(&b.resource.arn));
    inventory
        .rds
        .snapshots
        .sort_by(|a, b| a.resource.arn.cmp(&b.resource.arn));
    inventory
        .cloudtrail
        .trails
        .sort_by(|a, b| a.resource.arn.cmp(&b.resource.arn));
    inventory.cloudtrail.regions_read.sort();
    inventory
        .cloudtrail
        .trails
        .dedup_by(|a, b| a.resource.arn == b.resource.arn);
    inventory
        .iam
        .users
        .sort_by(|a, b| a.resource.arn.cmp(&b.resource.arn));
    inventory
        .kms
        .keys
        .sort_by(|a, b| a.resource.arn.cmp(&b.resource.arn));
    inventory
        .elb
        .load_balancers
        .sort_by(|a, b| a.resource.arn.cmp(&b.resource.arn));
    inventory
        .acm
        .certificates
        .sort_by(|a, b| a.resource.arn.cmp(&b.resource.arn));
    inventory
        .dynamodb
        .tables
        .sort_by(|a, b| a.resource.arn.cmp(&b.resource.arn));
    inventory
        .efs
        .file_systems
        .sort_by(|a, b| a.resource.arn.cmp(&b.resource.arn));
    inventory
        .logs
        .log_groups
        .sort_by(|a, b| a.resource.arn.cmp(&b.resource.arn));
    inventory
        .sns
        .topics
        .sort_by(|a, b| a.resource.arn.cmp(&b.resource.arn));
    inventory
        .sqs
        .queues
        .sort_by(|a, b| a.resource.arn.cmp(&b.resource.arn));
    inventory
        .secretsmanager
        .secrets
        .sort_by(|a, b| a.resource.arn.cmp(&b.resource.arn));
    inventory
        .lambda
        .functions
        .sort_by(|a, b| a.resource.arn.cmp(&b.resource.arn));
    for recorders in inventory.config.regions.values_mut() {
        if let Seen::Known(recorders) = recorders {
            recorders.sort_by(|a, b| a.resource.arn.cmp(&b.resource.arn));
        }
    }
    inventory
        .gaps
        .sort_by(|a, b| (&a.service, &a.region).cmp(&(&b.service, &b.region)));
}
