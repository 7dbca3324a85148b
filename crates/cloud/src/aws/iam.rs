//! IAM, read once for the account: the root user (from the account summary), every user with
//! its console password, MFA devices, access keys and administrative policies, and the
//! password policy.

use std::sync::Arc;

use aws_config::SdkConfig;
use aws_sdk_iam::primitives::DateTime;
use aws_sdk_iam::types::{StatusType, SummaryKeyType};
use tokio::sync::Semaphore;

use super::ScanOptions;
use super::calls::{gap, seen, seen_or_absent, unseen};
use crate::inventory::{AccessKey, Inventory, PasswordPolicy, Resource, Root, User};
use crate::policy;
use crate::seen::Seen;

/// Users read at once: each takes six calls or more, and IAM throttles sooner than S3.
const CONCURRENT_USERS: usize = 8;

/// The AWS managed policy that grants everything.
const ADMINISTRATOR_ACCESS: &str = "arn:aws:iam::aws:policy/AdministratorAccess";

pub(super) async fn read(
    config: &SdkConfig,
    options: &ScanOptions,
    account: &str,
    region: Option<&str>,
    inventory: &mut Inventory,
) {
    // IAM is global: `region` is `None`, and the users' ARNs say no region.
    let _ = (account, region);
    let iam = aws_sdk_iam::Client::new(config);

    let summary = seen(
        "iam:GetAccountSummary",
        iam.get_account_summary().send().await,
    );
    inventory.iam.root = Some(summary.map(|output| {
        let count = |key: SummaryKeyType| {
            output
                .summary_map()
                .and_then(|map| map.get(&key))
                .copied()
                .unwrap_or(0)
        };
        Root {
            access_keys: u32::try_from(count(SummaryKeyType::AccountAccessKeysPresent))
                .unwrap_or(0),
            mfa: count(SummaryKeyType::AccountMfaEnabled) > 0,
        }
    }));

    let policy = seen_or_absent(
        "iam:GetAccountPasswordPolicy",
        &["NoSuchEntity"],
        iam.get_account_password_policy().send().await,
    );
    inventory.iam.password_policy = Some(policy.map(|found| {
        found.and_then(|output| {
            output.password_policy().map(|p| PasswordPolicy {
                minimum_length: p
                    .minimum_password_length()
                    .and_then(|n| u32::try_from(n).ok())
                    .unwrap_or(0),
                require_symbols: p.require_symbols(),
                require_numbers: p.require_numbers(),
                require_uppercase: p.require_uppercase_characters(),
                require_lowercase: p.require_lowercase_characters(),
                max_age_days: p
                    .max_password_age()
                    .and_then(|n| u32::try_from(n).ok())
                    .filter(|n| *n > 0),
                reuse_prevention: p
                    .password_reuse_prevention()
                    .and_then(|n| u32::try_from(n).ok()),
            })
        })
    }));

    let mut users: Vec<(String, String)> = Vec::new();
    let mut pages = iam
        .list_users()
        .set_max_items(options.page_size)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        match page {
            Ok(page) => users.extend(
                page.users()
                    .iter()
                    .map(|u| (u.user_name().to_owned(), u.arn().to_owned())),
            ),
            Err(error) => {
                inventory.gaps.push(gap(
                    "iam",
                    None,
                    unseen::<(), _, _>("iam:ListUsers", &error),
                ));
                return;
            }
        }
    }

    let limit = Arc::new(Semaphore::new(CONCURRENT_USERS));
    let mut tasks = tokio::task::JoinSet::new();
    for (name, arn) in users {
        let iam = iam.clone();
        let limit = Arc::clone(&limit);
        let page_size = options.page_size;
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await;
            user(&iam, page_size, name, arn).await
        });
    }
    while let Some(joined) = tasks.join_next().await {
        if let Ok(user) = joined {
            inventory.iam.users.push(user);
        }
    }
}

/// One user and what the checks judge of it.
async fn user(
    iam: &aws_sdk_iam::Client,
    page_size: Option<i32>,
    name: String,
    arn: String,
) -> User {
    let (login, mfa, keys, administrator, tags) = tokio::join!(
        iam.get_login_profile().user_name(&name).send(),
        mfa_devices(iam, page_size, &name),
        access_keys(iam, page_size, &name),
        administrator(iam, page_size, &name),
        iam.list_user_tags().user_name(&name).send(),
    );
    let tags = match tags {
        Ok(output) => output
            .tags()
            .iter()
            .map(|t| (t.key().to_owned(), t.value().to_owned()))
            .collect(),
        Err(_) => Default::default(),
    };
    User {
        resource: Resource {
            arn,
            region: None,
            id: name,
            tags,
        },
        // A user without a login profile has no console password: IAM answers NoSuchEntity.
        console_password: seen_or_absent("iam:GetLoginProfile", &["NoSuchEntity"], login)
            .map(|profile| profile.is_some()),
        mfa_devices: mfa,
        access_keys: keys,
        administrator,
    }
}

async fn mfa_devices(iam: &aws_sdk_iam::Client, page_size: Option<i32>, name: &str) -> Seen<u32> {
    let mut count: u32 = 0;
    let mut pages = iam
        .list_mfa_devices()
        .user_name(name)
        .set_max_items(page_size)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        match page {
            Ok(page) => {
                count = count.saturating_add(u32::try_from(page.mfa_devices().len()).unwrap_or(0))
            }
            Err(error) => return unseen("iam:ListMFADevices", &error),
        }
    }
    Seen::Known(count)
}

async fn access_keys(
    iam: &aws_sdk_iam::Client,
    page_size: Option<i32>,
    name: &str,
) -> Seen<Vec<AccessKey>> {
    let mut keys = Vec::new();
    let mut pages = iam
        .list_access_keys()
        .user_name(name)
        .set_max_items(page_size)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        match page {
            Ok(page) => keys.extend(page.access_key_metadata().iter().cloned()),
            Err(error) => return unseen("iam:ListAccessKeys", &error),
        }
    }
    let mut found = Vec::with_capacity(keys.len());
    for key in keys {
        let Some(id) = key.access_key_id().map(str::to_owned) else {
            continue;
        };
        let last_used = seen(
            "iam:GetAccessKeyLastUsed",
            iam.get_access_key_last_used()
                .access_key_id(&id)
                .send()
                .await,
        )
        .map(|output| {
            output
                .access_key_last_used()
                .and_then(|used| used.last_used_date())
                .map(timestamp)
        });
        found.push(AccessKey {
            id,
            active: key.status() == Some(&StatusType::Active),
            created: key.create_date().map(timestamp).unwrap_or_default(),
            last_used,
        });
    }
    Seen::Known(found)
}

/// The policies attached to the user or written into it that grant everything, by name.
async fn administrator(
    iam: &aws_sdk_iam::Client,
    page_size: Option<i32>,
    name: &str,
) -> Seen<Vec<String>> {
    let mut granting = Vec::new();
    let mut attached = Vec::new();
    let mut pages = iam
        .list_attached_user_policies()
        .user_name(name)
        .set_max_items(page_size)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        match page {
            Ok(page) => attached.extend(page.attached_policies().iter().cloned()),
            Err(error) => return unseen("iam:ListAttachedUserPolicies", &error),
        }
    }
    for policy in attached {
        let (Some(arn), policy_name) = (policy.policy_arn(), policy.policy_name()) else {
            continue;
        };
        let label = policy_name.unwrap_or(arn).to_owned();
        if arn == ADMINISTRATOR_ACCESS {
            granting.push(label);
            continue;
        }
        // Other AWS managed policies are narrower by design; the account's own are read.
        if arn.starts_with("arn:aws:iam::aws:") {
            continue;
        }
        match managed_document(iam, arn).await {
            Seen::Known(document) if policy::grants_everything(&document) => granting.push(label),
            Seen::Known(_) => {}
            Seen::Denied { action } => return Seen::Denied { action },
            Seen::Failed { action, reason } => return Seen::Failed { action, reason },
        }
    }
    let mut inline = Vec::new();
    let mut pages = iam
        .list_user_policies()
        .user_name(name)
        .set_max_items(page_size)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        match page {
            Ok(page) => inline.extend(page.policy_names().iter().cloned()),
            Err(error) => return unseen("iam:ListUserPolicies", &error),
        }
    }
    for policy in inline {
        match seen(
            "iam:GetUserPolicy",
            iam.get_user_policy()
                .user_name(name)
                .policy_name(&policy)
                .send()
                .await,
        ) {
            Seen::Known(output) if policy::grants_everything(output.policy_document()) => {
                granting.push(policy)
            }
            Seen::Known(_) => {}
            Seen::Denied { action } => return Seen::Denied { action },
            Seen::Failed { action, reason } => return Seen::Failed { action, reason },
        }
    }
    granting.sort();
    Seen::Known(granting)
}

/// The default version's document of a customer managed policy.
async fn managed_document(iam: &aws_sdk_iam::Client, arn: &str) -> Seen<String> {
    let version = match seen(
        "iam:GetPolicy",
        iam.get_policy().policy_arn(arn).send().await,
    ) {
        Seen::Known(output) => output
            .policy()
            .and_then(|p| p.default_version_id())
            .map(str::to_owned),
        Seen::Denied { action } => return Seen::Denied { action },
        Seen::Failed { action, reason } => return Seen::Failed { action, reason },
    };
    let Some(version) = version else {
        return Seen::Known(String::new());
    };
    seen(
        "iam:GetPolicyVersion",
        iam.get_policy_version()
            .policy_arn(arn)
            .version_id(version)
            .send()
            .await,
    )
    .map(|output| {
        output
            .policy_version()
            .and_then(|v| v.document())
            .unwrap_or_default()
            .to_owned()
    })
}

/// The SDK's time as phiguard keeps it.
pub(super) fn timestamp(time: &DateTime) -> jiff::Timestamp {
    jiff::Timestamp::new(time.secs(), i32::try_from(time.subsec_nanos()).unwrap_or(0))
        .unwrap_or_default()
}
