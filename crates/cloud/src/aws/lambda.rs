//! Lambda, per region: every function, the auth type of its function URL, what its resource
//! policy grants to everyone, and its tags.

use std::sync::Arc;

use aws_config::SdkConfig;
use tokio::sync::Semaphore;

use super::ScanOptions;
use super::calls::{gap, seen_or_absent, unseen};
use crate::inventory::{Function, Inventory, Resource};
use crate::policy;
use crate::seen::Seen;

/// Functions read at once: each takes three calls.
const CONCURRENT_FUNCTIONS: usize = 8;

/// What Lambda answers for a function without a URL or without a resource policy.
const ABSENT: &[&str] = &["ResourceNotFoundException"];

pub(super) async fn read(
    config: &SdkConfig,
    options: &ScanOptions,
    account: &str,
    region: Option<&str>,
    inventory: &mut Inventory,
) {
    let region = region.unwrap_or("us-east-1").to_owned();
    let lambda = aws_sdk_lambda::Client::new(config);
    let mut functions: Vec<(String, String)> = Vec::new();
    // Lambda takes between 1 and 10000 functions a page; it answers at most 50.
    let mut pages = lambda
        .list_functions()
        .set_max_items(options.page_size.map(|n| n.clamp(1, 50)))
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        match page {
            Ok(page) => functions.extend(page.functions().iter().filter_map(|f| {
                let name = f.function_name()?.to_owned();
                let arn = f.function_arn().map(str::to_owned).unwrap_or_else(|| {
                    format!("arn:aws:lambda:{region}:{account}:function:{name}")
                });
                Some((name, arn))
            })),
            Err(error) => {
                inventory.gaps.push(gap(
                    "lambda",
                    Some(&region),
                    unseen::<(), _, _>("lambda:ListFunctions", &error),
                ));
                return;
            }
        }
    }
    let limit = Arc::new(Semaphore::new(CONCURRENT_FUNCTIONS));
    let mut tasks = tokio::task::JoinSet::new();
    for (name, arn) in functions {
        let lambda = lambda.clone();
        let limit = Arc::clone(&limit);
        let region = region.clone();
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await;
            function(&lambda, name, arn, region).await
        });
    }
    while let Some(joined) = tasks.join_next().await {
        if let Ok(function) = joined {
            inventory.lambda.functions.push(function);
        }
    }
}

/// One function: its unqualified URL and policy (those of `$LATEST` and the function as a
/// whole, which is what a caller without a qualifier reaches).
async fn function(
    lambda: &aws_sdk_lambda::Client,
    name: String,
    arn: String,
    region: String,
) -> Function {
    let (url, resource_policy, tags) = tokio::join!(
        lambda.get_function_url_config().function_name(&arn).send(),
        lambda.get_policy().function_name(&arn).send(),
        lambda.list_tags().resource(&arn).send(),
    );
    let tags = match tags {
        Ok(output) => output
            .tags()
            .map(|tags| tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default(),
        Err(_) => Default::default(),
    };
    let url_auth = seen_or_absent("lambda:GetFunctionUrlConfig", ABSENT, url)
        .map(|url| url.map(|u| u.auth_type().as_str().to_owned()));
    let policy = match seen_or_absent("lambda:GetPolicy", ABSENT, resource_policy) {
        Seen::Known(Some(output)) => match output.policy() {
            Some(document) => match policy::facts(document) {
                Ok(facts) => Seen::Known(Some(facts)),
                Err(reason) => Seen::Failed {
                    action: "lambda:GetPolicy".into(),
                    reason,
                },
            },
            None => Seen::Known(None),
        },
        other => other.map(|_| None),
    };
    Function {
        resource: Resource {
            arn,
            region: Some(region),
            id: name,
            tags,
        },
        url_auth,
        policy,
    }
}
