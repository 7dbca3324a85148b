//! Security Hub, per region: whether the account is subscribed, and its hub.

use aws_config::SdkConfig;

use super::ScanOptions;
use super::calls::seen_or_absent;
use crate::inventory::Inventory;

/// What DescribeHub answers where Security Hub is not enabled ("Account … is not subscribed
/// to AWS Security Hub"): the hub is absent, which the check fails, not an error.
const NOT_SUBSCRIBED: &[&str] = &["InvalidAccessException", "ResourceNotFoundException"];

pub(super) async fn read(
    config: &SdkConfig,
    options: &ScanOptions,
    account: &str,
    region: Option<&str>,
    inventory: &mut Inventory,
) {
    // One hub a region: nothing to page.
    let _ = options;
    let region = region.unwrap_or("us-east-1").to_owned();
    let hub = aws_sdk_securityhub::Client::new(config);
    let described = seen_or_absent(
        "securityhub:DescribeHub",
        NOT_SUBSCRIBED,
        hub.describe_hub().send().await,
    )
    .map(|hub| {
        hub.map(|hub| {
            hub.hub_arn()
                .map(str::to_owned)
                .unwrap_or_else(|| format!("arn:aws:securityhub:{region}:{account}:hub/default"))
        })
    });
    inventory.securityhub.regions.insert(region, described);
}
