//! SNS, per region: every topic, the KMS key it encrypts messages under, and its tags.

use std::sync::Arc;

use aws_config::SdkConfig;
use tokio::sync::Semaphore;

use super::ScanOptions;
use super::calls::{gap, seen, unseen};
use crate::inventory::{Inventory, Resource, Topic};

/// Topics read at once: each takes two calls.
const CONCURRENT_TOPICS: usize = 8;

pub(super) async fn read(
    config: &SdkConfig,
    options: &ScanOptions,
    account: &str,
    region: Option<&str>,
    inventory: &mut Inventory,
) {
    // ListTopics answers 100 topics a page and takes no page size.
    let _ = (options, account);
    let region = region.unwrap_or("us-east-1").to_owned();
    let sns = aws_sdk_sns::Client::new(config);
    let mut arns: Vec<String> = Vec::new();
    let mut pages = sns.list_topics().into_paginator().send();
    while let Some(page) = pages.next().await {
        match page {
            Ok(page) => arns.extend(
                page.topics()
                    .iter()
                    .filter_map(|t| t.topic_arn().map(str::to_owned)),
            ),
            Err(error) => {
                inventory.gaps.push(gap(
                    "sns",
                    Some(&region),
                    unseen::<(), _, _>("sns:ListTopics", &error),
                ));
                return;
            }
        }
    }
    let limit = Arc::new(Semaphore::new(CONCURRENT_TOPICS));
    let mut tasks = tokio::task::JoinSet::new();
    for arn in arns {
        let sns = sns.clone();
        let limit = Arc::clone(&limit);
        let region = region.clone();
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await;
            topic(&sns, arn, region).await
        });
    }
    while let Some(joined) = tasks.join_next().await {
        if let Ok(topic) = joined {
            inventory.sns.topics.push(topic);
        }
    }
}

async fn topic(sns: &aws_sdk_sns::Client, arn: String, region: String) -> Topic {
    let (attributes, tags) = tokio::join!(
        sns.get_topic_attributes().topic_arn(&arn).send(),
        sns.list_tags_for_resource().resource_arn(&arn).send(),
    );
    let tags = match tags {
        Ok(output) => output
            .tags()
            .iter()
            .map(|t| (t.key().to_owned(), t.value().to_owned()))
            .collect(),
        Err(_) => Default::default(),
    };
    let id = arn.rsplit(':').next().unwrap_or(&arn).to_owned();
    Topic {
        kms_key: seen("sns:GetTopicAttributes", attributes).map(|output| {
            output
                .attributes()
                .and_then(|a| a.get("KmsMasterKeyId"))
                .filter(|key| !key.is_empty())
                .cloned()
        }),
        resource: Resource {
            arn,
            region: Some(region),
            id,
            tags,
        },
    }
}
