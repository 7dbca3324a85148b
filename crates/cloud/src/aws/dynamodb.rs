//! DynamoDB of one region: every table with the key that encrypts it and whether
//! point-in-time recovery is on.

use std::sync::Arc;

use aws_config::SdkConfig;
use aws_sdk_dynamodb::types::{PointInTimeRecoveryStatus, SseStatus, SseType};
use tokio::sync::Semaphore;

use super::ScanOptions;
use super::calls::{gap, region_of, seen, unseen};
use crate::inventory::{Inventory, Resource, Table, TableEncryption};

/// Tables read at once: each takes three calls.
const CONCURRENT_TABLES: usize = 8;

pub(super) async fn read(
    config: &SdkConfig,
    options: &ScanOptions,
    account: &str,
    region: Option<&str>,
    inventory: &mut Inventory,
) {
    let region = region_of(config, region);
    let dynamodb = aws_sdk_dynamodb::Client::new(config);
    let names: Vec<String> = match dynamodb
        .list_tables()
        // DynamoDB takes between 1 and 100 names a page.
        .set_limit(options.page_size.map(|n| n.clamp(1, 100)))
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
    {
        Ok(names) => names,
        Err(error) => {
            let seen = unseen::<(), _, _>("dynamodb:ListTables", &error);
            inventory.gaps.push(gap("dynamodb", Some(&region), seen));
            return;
        }
    };

    let limit = Arc::new(Semaphore::new(CONCURRENT_TABLES));
    let mut tasks = tokio::task::JoinSet::new();
    for name in names {
        let dynamodb = dynamodb.clone();
        let limit = Arc::clone(&limit);
        // DescribeTable gives the ARN; built from the account and region when it cannot.
        let arn = format!("arn:aws:dynamodb:{region}:{account}:table/{name}");
        let region = region.clone();
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await;
            table(&dynamodb, name, arn, region).await
        });
    }
    while let Some(joined) = tasks.join_next().await {
        if let Ok(table) = joined {
            inventory.dynamodb.tables.push(table);
        }
    }
}

async fn table(
    dynamodb: &aws_sdk_dynamodb::Client,
    name: String,
    arn: String,
    region: String,
) -> Table {
    let (described, backups) = tokio::join!(
        dynamodb.describe_table().table_name(&name).send(),
        dynamodb
            .describe_continuous_backups()
            .table_name(&name)
            .send(),
    );
    let described = seen("dynamodb:DescribeTable", described);
    let arn = described
        .known()
        .and_then(|output| output.table())
        .and_then(|table| table.table_arn())
        .map(str::to_owned)
        .unwrap_or(arn);
    let tags = dynamodb
        .list_tags_of_resource()
        .resource_arn(&arn)
        .send()
        .await
        .map(|output| {
            output
                .tags()
                .iter()
                .map(|t| (t.key().to_owned(), t.value().to_owned()))
                .collect()
        })
        .unwrap_or_default();
    let encryption = described.map(|output| {
        let sse = output.table().and_then(|t| t.sse_description());
        match sse {
            // Without an SSE description, or with it off, the table is under the key AWS owns.
            Some(sse)
                if sse.status() == Some(&SseStatus::Enabled)
                    && sse.sse_type() == Some(&SseType::Kms) =>
            {
                TableEncryption::Kms {
                    key: sse.kms_master_key_arn().map(str::to_owned),
                }
            }
            _ => TableEncryption::AwsOwned,
        }
    });
    let pitr = seen("dynamodb:DescribeContinuousBackups", backups).map(|output| {
        output
            .continuous_backups_description()
            .and_then(|d| d.point_in_time_recovery_description())
            .and_then(|p| p.point_in_time_recovery_status())
            == Some(&PointInTimeRecoveryStatus::Enabled)
    });
    Table {
        resource: Resource {
            arn,
            region: Some(region),
            id: name,
            tags,
        },
        encryption,
        pitr,
    }
}
