//! CloudWatch Logs of one region: every log group with its retention and KMS key.

use std::sync::Arc;

use aws_config::SdkConfig;
use tokio::sync::Semaphore;

use super::ScanOptions;
use super::calls::{gap, region_of, unseen};
use crate::inventory::{Inventory, LogGroup, Resource};

/// Log groups whose tags are read at once: an account may have thousands.
const CONCURRENT_GROUPS: usize = 8;

pub(super) async fn read(
    config: &SdkConfig,
    options: &ScanOptions,
    account: &str,
    region: Option<&str>,
    inventory: &mut Inventory,
) {
    let region = region_of(config, region);
    let logs = aws_sdk_cloudwatchlogs::Client::new(config);
    let groups = match logs
        .describe_log_groups()
        // CloudWatch Logs takes between 1 and 50 groups a page.
        .set_limit(options.page_size.map(|n| n.clamp(1, 50)))
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
    {
        Ok(groups) => groups,
        Err(error) => {
            let seen = unseen::<(), _, _>("logs:DescribeLogGroups", &error);
            inventory.gaps.push(gap("logs", Some(&region), seen));
            return;
        }
    };

    let limit = Arc::new(Semaphore::new(CONCURRENT_GROUPS));
    let mut tasks = tokio::task::JoinSet::new();
    for group in groups {
        let Some(name) = group.log_group_name().map(str::to_owned) else {
            continue;
        };
        // `logGroupArn` names the group itself; the older `arn` ends in `:*`, for its streams.
        let arn = group
            .log_group_arn()
            .map(str::to_owned)
            .or_else(|| group.arn().map(|a| a.trim_end_matches(":*").to_owned()))
            .unwrap_or_else(|| format!("arn:aws:logs:{region}:{account}:log-group:{name}"));
        let logs = logs.clone();
        let limit = Arc::clone(&limit);
        let region = region.clone();
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await;
            let tags = logs
                .list_tags_for_resource()
                .resource_arn(&arn)
                .send()
                .await
                .map(|output| {
                    output
                        .tags()
                        .map(|tags| tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                        .unwrap_or_default()
                })
                .unwrap_or_default();
            LogGroup {
                resource: Resource {
                    // The ARN ends with the name: the subject is the ARN alone.
                    arn,
                    region: Some(region),
                    id: name,
                    tags,
                },
                retention_days: group
                    .retention_in_days()
                    .and_then(|d| u32::try_from(d).ok()),
                kms_key: group.kms_key_id().map(str::to_owned),
                stored_bytes: group
                    .stored_bytes()
                    .and_then(|b| u64::try_from(b).ok())
                    .unwrap_or(0),
            }
        });
    }
    while let Some(joined) = tasks.join_next().await {
        if let Ok(group) = joined {
            inventory.logs.log_groups.push(group);
        }
    }
}
