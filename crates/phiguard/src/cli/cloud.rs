//! The flags of `phiguard cloud`.

use clap::{Args, Subcommand};
use phiguard_app::cloud::{PhiTag, Service};

#[derive(Debug, Subcommand)]
pub enum CloudCommand {
    /// Check a cloud account's posture and print the findings; exit 1 if any fails
    #[command(
        subcommand,
        after_help = "Examples:\n  phiguard cloud check aws\n  \
                      phiguard cloud check aws --region us-east-1 --only s3,iam --json"
    )]
    Check(CloudCheckCommand),
    /// Show the latest inventory of a cloud account: every resource seen by the last check
    #[command(
        after_help = "Lists every resource the newest `phiguard cloud check aws` saw, \
                      with its kind, region, encryption at rest and whether it is tagged as \
                      holding ePHI, after checking it against the digest the ledger recorded \
                      with that check: an inventory changed or deleted in the database is \
                      refused, not shown.\n\n\
                      Exit codes: 0 shown, 2 no inventory was taken yet or the stored one \
                      cannot be trusted (the message says which and what to do).\n\n\
                      Examples:\n  phiguard cloud inventory\n  \
                      phiguard cloud inventory --phi --unencrypted\n  \
                      phiguard cloud inventory --kind s3.bucket --json | jq '.resources[].arn'"
    )]
    Inventory(CloudInventoryArgs),
}

#[derive(Debug, Args)]
pub struct CloudInventoryArgs {
    /// The AWS account to show; the account checked last when left out
    #[arg(long, value_name = "ID")]
    pub account: Option<String>,
    /// Only resources of this kind, such as s3.bucket, ec2.volume, rds.instance (repeatable)
    #[arg(long = "kind", value_name = "KIND")]
    pub kinds: Vec<String>,
    /// Only resources in this region (repeatable); global resources have none
    #[arg(long = "region", value_name = "REGION")]
    pub regions: Vec<String>,
    /// Only resources tagged as holding ePHI
    #[arg(long)]
    pub phi: bool,
    /// Only resources whose data is not known to be encrypted at rest (unencrypted or unknown)
    #[arg(long)]
    pub unencrypted: bool,
}

#[derive(Debug, Subcommand)]
pub enum CloudCheckCommand {
    /// Check an AWS account: storage, network, databases, logging and detection, IAM, keys, secrets, messaging and functions
    #[command(
        after_help = "Reads the account through the AWS SDK with the credentials the AWS CLI \
                      would use (environment, AWS_PROFILE or --profile, SSO, an instance or \
                      container role; AWS_ENDPOINT_URL or --endpoint-url for an emulator), every \
                      region enabled in the account at once unless --region names some, and \
                      judges every resource whether in use or not. Each finding names its \
                      resource by ARN. A call the credentials may not make is an error finding \
                      naming the IAM action to allow (the AWS managed policy SecurityAudit \
                      grants them all), never a pass. Failures on resources tagged as holding \
                      ePHI (--phi-tag, default phi=true) are critical. The findings are stored \
                      as a check run and recorded in the ledger.\n\n\
                      Exit codes: 0 nothing fails, 1 a finding fails, 2 the account could not \
                      be read.\n\n\
                      Examples:\n  phiguard cloud check aws\n  \
                      phiguard cloud check aws --region us-east-1 --region us-west-2 --only s3,kms\n  \
                      phiguard cloud check aws --profile audit --phi-tag data-class=phi --json | jq '.findings[] | select(.status == \"fail\")'\n  \
                      phiguard cloud check aws --endpoint-url http://127.0.0.1:5000 --region us-east-1"
    )]
    Aws(CloudAwsArgs),
}

#[derive(Debug, Args)]
pub struct CloudAwsArgs {
    /// A region to check (repeatable); every region enabled in the account when left out
    #[arg(long = "region", value_name = "REGION")]
    pub regions: Vec<String>,
    /// Only these services, comma-separated: s3, ec2, rds, cloudtrail, iam, kms, elb, acm,
    /// dynamodb, efs, logs, guardduty, securityhub, config, sns, sqs, secretsmanager, lambda
    #[arg(long, value_name = "SERVICES", value_delimiter = ',')]
    pub only: Vec<Service>,
    /// A profile of the AWS configuration files, instead of AWS_PROFILE or the default
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Send every call to this endpoint (an emulator such as moto); AWS_ENDPOINT_URL does the same
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// The tag of resources that hold ePHI, as KEY=VALUE: their failures are critical
    #[arg(long, value_name = "KEY=VALUE", default_value = "phi=true")]
    pub phi_tag: PhiTag,
}
