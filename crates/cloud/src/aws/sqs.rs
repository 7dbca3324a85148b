//! SQS, per region: every queue, how it is encrypted at rest, and its tags.

use std::sync::Arc;

use aws_config::SdkConfig;
use aws_sdk_sqs::types::QueueAttributeName;
use tokio::sync::Semaphore;

use super::ScanOptions;
use super::calls::{gap, seen, unseen};
use crate::inventory::{Inventory, Queue, QueueEncryption, Resource};

/// Queues read at once: each takes two calls.
const CONCURRENT_QUEUES: usize = 8;

pub(super) async fn read(
    config: &SdkConfig,
    options: &ScanOptions,
    account: &str,
    region: Option<&str>,
    inventory: &mut Inventory,
) {
    let region = region.unwrap_or("us-east-1").to_owned();
    let sqs = aws_sdk_sqs::Client::new(config);
    let mut urls: Vec<String> = Vec::new();
    // SQS takes between 1 and 1000 queues a page.
    let mut pages = sqs
        .list_queues()
        .set_max_results(options.page_size.map(|n| n.clamp(1, 1000)))
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        match page {
            Ok(page) => urls.extend(page.queue_urls().iter().cloned()),
            Err(error) => {
                inventory.gaps.push(gap(
                    "sqs",
                    Some(&region),
                    unseen::<(), _, _>("sqs:ListQueues", &error),
                ));
                return;
            }
        }
    }
    let limit = Arc::new(Semaphore::new(CONCURRENT_QUEUES));
    let mut tasks = tokio::task::JoinSet::new();
    for url in urls {
        let sqs = sqs.clone();
        let limit = Arc::clone(&limit);
        let region = region.clone();
        let account = account.to_owned();
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await;
            queue(&sqs, url, region, &account).await
        });
    }
    while let Some(joined) = tasks.join_next().await {
        if let Ok(queue) = joined {
            inventory.sqs.queues.push(queue);
        }
    }
}

async fn queue(sqs: &aws_sdk_sqs::Client, url: String, region: String, account: &str) -> Queue {
    let (attributes, tags) = tokio::join!(
        sqs.get_queue_attributes()
            .queue_url(&url)
            .attribute_names(QueueAttributeName::All)
            .send(),
        sqs.list_queue_tags().queue_url(&url).send(),
    );
    let tags = match tags {
        Ok(output) => output
            .tags()
            .map(|tags| tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default(),
        Err(_) => Default::default(),
    };
    let attributes = seen("sqs:GetQueueAttributes", attributes)
        .map(|output| output.attributes().cloned().unwrap_or_default());
    let name = url.rsplit('/').next().unwrap_or(&url).to_owned();
    // The queue's ARN comes with its attributes; built from its name when they were not read.
    let arn = attributes
        .known()
        .and_then(|a| a.get(&QueueAttributeName::QueueArn))
        .cloned()
        .unwrap_or_else(|| format!("arn:aws:sqs:{region}:{account}:{name}"));
    Queue {
        resource: Resource {
            arn,
            region: Some(region),
            id: name,
            tags,
        },
        url,
        encryption: attributes.map(|a| QueueEncryption {
            kms_key: a
                .get(&QueueAttributeName::KmsMasterKeyId)
                .filter(|key| !key.is_empty())
                .cloned(),
            sqs_managed: a
                .get(&QueueAttributeName::SqsManagedSseEnabled)
                .is_some_and(|v| v.eq_ignore_ascii_case("true")),
        }),
    }
}
