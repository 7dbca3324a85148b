//! S3: the account's public access block and every bucket with what the checks judge, each
//! bucket read through a client of its own region.

use std::sync::Arc;

use aws_config::{Region, SdkConfig};
use aws_sdk_s3::types::{BucketVersioningStatus, ObjectLockEnabled};
use tokio::sync::Semaphore;

use super::ScanOptions;
use super::calls::{gap, seen, seen_or_absent};
use crate::inventory::{
    Bucket, BucketEncryption, Inventory, PublicAccessBlock, Resource, Versioning,
};
use crate::policy;
use crate::seen::Seen;

/// Buckets read at once: each takes seven calls, and S3 answers them in parallel well.
const CONCURRENT_BUCKETS: usize = 16;

pub(super) async fn read(
    config: &SdkConfig,
    options: &ScanOptions,
    account: &str,
    inventory: &mut Inventory,
) {
    let control = control_client(config, options);
    let account_block = seen_or_absent(
        "s3:GetAccountPublicAccessBlock",
        &["NoSuchPublicAccessBlockConfiguration"],
        control
            .get_public_access_block()
            .account_id(account)
            .send()
            .await,
    );
    inventory.s3.account_public_access_block = Some(account_block.map(|found| {
        found.and_then(|output| output.public_access_block_configuration().map(block))
    }));

    let s3 = aws_sdk_s3::Client::new(config);
    let mut names: Vec<String> = Vec::new();
    // Without a page size ListBuckets answers every bucket at once, with a continuation
    // token only past the quota of a very large account; the paginator follows it then.
    let _ = options;
    let mut pages = s3.list_buckets().into_paginator().send();
    while let Some(page) = pages.next().await {
        match page {
            Ok(page) => names.extend(
                page.buckets()
                    .iter()
                    .filter_map(|b| b.name().map(str::to_owned)),
            ),
            Err(error) => {
                inventory.gaps.push(gap(
                    "s3",
                    None,
                    seen::<(), _, _>("s3:ListAllMyBuckets", Err(error)),
                ));
                return;
            }
        }
    }

    let limit = Arc::new(Semaphore::new(CONCURRENT_BUCKETS));
    let mut tasks = tokio::task::JoinSet::new();
    for name in names {
        let config = config.clone();
        let limit = Arc::clone(&limit);
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await;
            bucket(&config, name).await
        });
    }
    while let Some(joined) = tasks.join_next().await {
        if let Ok(bucket) = joined {
            inventory.s3.buckets.push(bucket);
        }
    }
}

/// The S3 Control client. S3 Control puts the account id in front of the host name
/// (`ACCOUNT.s3-control.REGION.amazonaws.com`), and does so in front of an endpoint given for
/// an emulator too, where `ACCOUNT.127.0.0.1` resolves nowhere; there the endpoint is taken
/// as given.
fn control_client(config: &SdkConfig, options: &ScanOptions) -> aws_sdk_s3control::Client {
    use aws_sdk_s3control::config::endpoint::{Endpoint, EndpointFuture, Params, ResolveEndpoint};

    #[derive(Debug)]
    struct AsGiven(String);

    impl ResolveEndpoint for AsGiven {
        fn resolve_endpoint<'a>(&'a self, _: &'a Params) -> EndpointFuture<'a> {
            EndpointFuture::ready(Ok(Endpoint::builder().url(self.0.clone()).build()))
        }
    }

    let given = options.endpoint_url.clone().or_else(|| {
        std::env::var("AWS_ENDPOINT_URL")
            .ok()
            .filter(|url| !url.is_empty())
    });
    match given {
        Some(url) => aws_sdk_s3control::Client::from_conf(
            aws_sdk_s3control::config::Builder::from(config)
                .endpoint_resolver(AsGiven(url))
                .build(),
        ),
        None => aws_sdk_s3control::Client::new(config),
    }
}

fn block(config: &aws_sdk_s3control::types::PublicAccessBlockConfiguration) -> PublicAccessBlock {
    PublicAccessBlock {
        block_public_acls: config.block_public_acls().unwrap_or(false),
        ignore_public_acls: config.ignore_public_acls().unwrap_or(false),
        block_public_policy: config.block_public_policy().unwrap_or(false),
        restrict_public_buckets: config.restrict_public_buckets().unwrap_or(false),
    }
}

/// One bucket, read in its own region.
async fn bucket(config: &SdkConfig, name: String) -> Bucket {
    let s3 = aws_sdk_s3::Client::new(config);
    // The location call answers from any region; an empty constraint is us-east-1.
    let region = match s3.get_bucket_location().bucket(&name).send().await {
        Ok(location) => location
            .location_constraint()
            .map(|c| c.as_str().to_owned())
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| "us-east-1".into()),
        Err(_) => config
            .region()
            .map_or_else(|| "us-east-1".into(), |r| r.to_string()),
    };
    let regional = aws_sdk_s3::Client::new(
        &config
            .clone()
            .into_builder()
            .region(Region::new(region.clone()))
            .build(),
    );
    let (encryption, public_access_block, policy, versioning, logging, object_lock, tags) = tokio::join!(
        regional.get_bucket_encryption().bucket(&name).send(),
        regional.get_public_access_block().bucket(&name).send(),
        regional.get_bucket_policy().bucket(&name).send(),
        regional.get_bucket_versioning().bucket(&name).send(),
        regional.get_bucket_logging().bucket(&name).send(),
        regional
            .get_object_lock_configuration()
            .bucket(&name)
            .send(),
        regional.get_bucket_tagging().bucket(&name).send(),
    );
    let tags = match tags {
        Ok(output) => output
            .tag_set()
            .iter()
            .map(|t| (t.key().to_owned(), t.value().to_owned()))
            .collect(),
        Err(_) => Default::default(),
    };
    Bucket {
        resource: Resource {
            arn: format!("arn:aws:s3:::{name}"),
            region: Some(region),
            id: name,
            tags,
        },
        encryption: seen_or_absent(
            "s3:GetEncryptionConfiguration",
            &["ServerSideEncryptionConfigurationNotFoundError"],
            encryption,
        )
        .map(|found| {
            found.and_then(|output| {
                let rule = output
                    .server_side_encryption_configuration()?
                    .rules()
                    .first()?
                    .apply_server_side_encryption_by_default()?
                    .clone();
                Some(BucketEncryption {
                    algorithm: rule.sse_algorithm().as_str().to_owned(),
                    kms_key: rule.kms_master_key_id().map(str::to_owned),
                })
            })
        }),
        public_access_block: seen_or_absent(
            "s3:GetBucketPublicAccessBlock",
            &["NoSuchPublicAccessBlockConfiguration"],
            public_access_block,
        )
        .map(|found| {
            found.and_then(|output| {
                output
                    .public_access_block_configuration()
                    .map(|c| PublicAccessBlock {
                        block_public_acls: c.block_public_acls().unwrap_or(false),
                        ignore_public_acls: c.ignore_public_acls().unwrap_or(false),
                        block_public_policy: c.block_public_policy().unwrap_or(false),
                        restrict_public_buckets: c.restrict_public_buckets().unwrap_or(false),
                    })
            })
        }),
        policy: match seen_or_absent("s3:GetBucketPolicy", &["NoSuchBucketPolicy"], policy) {
            Seen::Known(Some(output)) => match output.policy() {
                Some(document) => match policy::facts(document) {
                    Ok(facts) => Seen::Known(Some(facts)),
                    Err(reason) => Seen::Failed {
                        action: "s3:GetBucketPolicy".into(),
                        reason,
                    },
                },
                None => Seen::Known(None),
            },
            Seen::Known(None) => Seen::Known(None),
            Seen::Denied { action } => Seen::Denied { action },
            Seen::Failed { action, reason } => Seen::Failed { action, reason },
        },
        versioning: seen("s3:GetBucketVersioning", versioning).map(|output| {
            match output.status() {
                Some(BucketVersioningStatus::Enabled) => Versioning::Enabled,
                Some(BucketVersioningStatus::Suspended) => Versioning::Suspended,
                _ => Versioning::Off,
            }
        }),
        logging: seen("s3:GetBucketLogging", logging).map(|output| {
            output
                .logging_enabled()
                .map(|enabled| enabled.target_bucket().to_owned())
        }),
        object_lock: seen_or_absent(
            "s3:GetBucketObjectLockConfiguration",
            &["ObjectLockConfigurationNotFoundError"],
            object_lock,
        )
        .map(|found| {
            found
                .and_then(|output| output.object_lock_configuration().cloned())
                .and_then(|c| c.object_lock_enabled().cloned())
                .is_some_and(|enabled| enabled == ObjectLockEnabled::Enabled)
        }),
    }
}
