//! GuardDuty, per region: the region's detector and whether it is enabled.

use aws_config::SdkConfig;

use super::ScanOptions;
use super::calls::{seen, unseen};
use crate::inventory::{Detector, Inventory, Resource};

pub(super) async fn read(
    config: &SdkConfig,
    options: &ScanOptions,
    account: &str,
    region: Option<&str>,
    inventory: &mut Inventory,
) {
    let region = region.unwrap_or("us-east-1").to_owned();
    let guardduty = aws_sdk_guardduty::Client::new(config);
    let mut ids: Vec<String> = Vec::new();
    // GuardDuty takes between 1 and 50 detectors a page.
    let mut pages = guardduty
        .list_detectors()
        .set_max_results(options.page_size.map(|n| n.clamp(1, 50)))
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        match page {
            Ok(page) => ids.extend(page.detector_ids().iter().cloned()),
            Err(error) => {
                // Not a gap: the check judges every region, and says why this one is unknown.
                inventory
                    .guardduty
                    .regions
                    .insert(region, unseen("guardduty:ListDetectors", &error));
                return;
            }
        }
    }
    // A region has at most one detector per account.
    let Some(id) = ids.into_iter().next() else {
        inventory
            .guardduty
            .regions
            .insert(region, crate::seen::Seen::Known(None));
        return;
    };
    let detector = seen(
        "guardduty:GetDetector",
        guardduty.get_detector().detector_id(&id).send().await,
    );
    let tags = detector
        .known()
        .and_then(|d| d.tags())
        .map(|tags| tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    let detector = Detector {
        resource: Resource {
            arn: format!("arn:aws:guardduty:{region}:{account}:detector/{id}"),
            region: Some(region.clone()),
            id,
            tags,
        },
        status: detector.map(|d| {
            d.status()
                .map(|s| s.as_str().to_owned())
                .unwrap_or_else(|| "unknown".into())
        }),
    };
    inventory
        .guardduty
        .regions
        .insert(region, crate::seen::Seen::Known(Some(detector)));
}
