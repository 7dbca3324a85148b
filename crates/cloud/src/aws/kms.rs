//! (being written)

use aws_config::SdkConfig;

use super::ScanOptions;
use crate::inventory::Inventory;

pub(super) async fn read(
    config: &SdkConfig,
    options: &ScanOptions,
    account: &str,
    region: Option<&str>,
    inventory: &mut Inventory,
) {
    let _ = (config, options, account, region, inventory);
}
