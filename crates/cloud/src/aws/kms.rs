//! KMS, per region: every key with who manages it, its state and spec, whether it rotates,
//! and what its key policy grants to everyone.

use std::sync::Arc;

use aws_config::SdkConfig;
use tokio::sync::Semaphore;

use super::ScanOptions;
use super::calls::{gap, seen, unseen};
use crate::inventory::{Inventory, KeyDetails, KmsKey, Resource};
use crate::policy;
use crate::seen::Seen;

/// Keys read at once: each takes four calls.
const CONCURRENT_KEYS: usize = 8;

pub(super) async fn read(
    config: &SdkConfig,
    options: &ScanOptions,
    account: &str,
    region: Option<&str>,
    inventory: &mut Inventory,
) {
    let region = region.unwrap_or("us-east-1").to_owned();
    let kms = aws_sdk_kms::Client::new(config);
    let mut ids: Vec<(String, Option<String>)> = Vec::new();
    let mut pages = kms
        .list_keys()
        .set_limit(options.page_size)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        match page {
            Ok(page) => ids.extend(page.keys().iter().filter_map(|k| {
                k.key_id()
                    .map(|id| (id.to_owned(), k.key_arn().map(str::to_owned)))
            })),
            Err(error) => {
                inventory.gaps.push(gap(
                    "kms",
                    Some(&region),
                    unseen::<(), _, _>("kms:ListKeys", &error),
                ));
                return;
            }
        }
    }

    let limit = Arc::new(Semaphore::new(CONCURRENT_KEYS));
    let mut tasks = tokio::task::JoinSet::new();
    for (id, arn) in ids {
        let kms = kms.clone();
        let limit = Arc::clone(&limit);
        // ListKeys gives the ARN; built from the account and region when it does not.
        let arn = arn.unwrap_or_else(|| format!("arn:aws:kms:{region}:{account}:key/{id}"));
        let region = region.clone();
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await;
            key(&kms, id, arn, region).await
        });
    }
    while let Some(joined) = tasks.join_next().await {
        if let Ok(key) = joined {
            inventory.kms.keys.push(key);
        }
    }
}

/// One key and what the checks judge of it.
async fn key(kms: &aws_sdk_kms::Client, id: String, arn: String, region: String) -> KmsKey {
    let (described, rotation, key_policy, tags) = tokio::join!(
        kms.describe_key().key_id(&id).send(),
        kms.get_key_rotation_status().key_id(&id).send(),
        kms.get_key_policy()
            .key_id(&id)
            .policy_name("default")
            .send(),
        kms.list_resource_tags().key_id(&id).send(),
    );
    let tags = match tags {
        Ok(output) => output
            .tags()
            .iter()
            .map(|t| (t.tag_key().to_owned(), t.tag_value().to_owned()))
            .collect(),
        Err(_) => Default::default(),
    };
    let text = |value: Option<&str>| value.unwrap_or("unknown").to_owned();
    KmsKey {
        resource: Resource {
            arn,
            region: Some(region),
            id,
            tags,
        },
        details: seen("kms:DescribeKey", described).map(|output| {
            let metadata = output.key_metadata();
            KeyDetails {
                manager: text(metadata.and_then(|m| m.key_manager()).map(|m| m.as_str())),
                state: text(metadata.and_then(|m| m.key_state()).map(|s| s.as_str())),
                spec: text(metadata.and_then(|m| m.key_spec()).map(|s| s.as_str())),
            }
        }),
        rotation: seen("kms:GetKeyRotationStatus", rotation)
            .map(|output| output.key_rotation_enabled()),
        policy: match seen("kms:GetKeyPolicy", key_policy) {
            Seen::Known(output) => match policy::facts(output.policy().unwrap_or_default()) {
                Ok(facts) => Seen::Known(facts),
                Err(reason) => Seen::Failed {
                    action: "kms:GetKeyPolicy".into(),
                    reason,
                },
            },
            Seen::Denied { action } => Seen::Denied { action },
            Seen::Failed { action, reason } => Seen::Failed { action, reason },
        },
    }
}
