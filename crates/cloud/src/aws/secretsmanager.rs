//! Secrets Manager, per region: every secret with its rotation, as ListSecrets gives it.

use std::collections::BTreeMap;

use aws_config::SdkConfig;

use super::ScanOptions;
use super::calls::{gap, unseen};
use super::iam::timestamp;
use crate::inventory::{Inventory, Resource, Secret};

pub(super) async fn read(
    config: &SdkConfig,
    options: &ScanOptions,
    account: &str,
    region: Option<&str>,
    inventory: &mut Inventory,
) {
    let region = region.unwrap_or("us-east-1").to_owned();
    let secrets = aws_sdk_secretsmanager::Client::new(config);
    // Secrets Manager takes between 1 and 100 secrets a page.
    let mut pages = secrets
        .list_secrets()
        .set_max_results(options.page_size.map(|n| n.clamp(1, 100)))
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = match page {
            Ok(page) => page,
            Err(error) => {
                inventory.gaps.push(gap(
                    "secretsmanager",
                    Some(&region),
                    unseen::<(), _, _>("secretsmanager:ListSecrets", &error),
                ));
                return;
            }
        };
        for entry in page.secret_list() {
            let name = entry.name().unwrap_or_default().to_owned();
            let arn = entry.arn().map(str::to_owned).unwrap_or_else(|| {
                format!("arn:aws:secretsmanager:{region}:{account}:secret:{name}")
            });
            let tags: BTreeMap<String, String> = entry
                .tags()
                .iter()
                .filter_map(|t| Some((t.key()?.to_owned(), t.value().unwrap_or("").to_owned())))
                .collect();
            let rules = entry.rotation_rules();
            inventory.secretsmanager.secrets.push(Secret {
                resource: Resource {
                    arn,
                    region: Some(region.clone()),
                    id: name,
                    tags,
                },
                rotation_enabled: entry.rotation_enabled().unwrap_or(false),
                rotation_interval_hours: interval_hours(
                    rules.and_then(|r| r.automatically_after_days()),
                    rules.and_then(|r| r.schedule_expression()),
                ),
                last_rotated: entry.last_rotated_date().map(timestamp),
            });
        }
    }
}

/// Hours between rotations: `AutomaticallyAfterDays`, or a `rate(N hours|days)` schedule.
/// A `cron(…)` schedule has no single interval: `None`.
fn interval_hours(after_days: Option<i64>, schedule: Option<&str>) -> Option<i64> {
    if let Some(days) = after_days.filter(|d| *d > 0) {
        return Some(days * 24);
    }
    let rate = schedule?.trim().strip_prefix("rate(")?.strip_suffix(')')?;
    let (count, unit) = rate.trim().split_once(' ')?;
    let count: i64 = count.parse().ok()?;
    match unit.trim() {
        "hour" | "hours" => Some(count),
        "day" | "days" => Some(count * 24),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::interval_hours;

    #[test]
    fn intervals_come_from_days_or_a_rate_and_not_from_cron() {
        assert_eq!(interval_hours(Some(30), None), Some(720));
        assert_eq!(interval_hours(None, Some("rate(10 days)")), Some(240));
        assert_eq!(interval_hours(None, Some("rate(4 hours)")), Some(4));
        assert_eq!(interval_hours(None, Some("rate(1 day)")), Some(24));
        assert_eq!(interval_hours(None, Some("cron(0 16 1,15 * ? *)")), None);
        assert_eq!(interval_hours(None, None), None);
    }
}
