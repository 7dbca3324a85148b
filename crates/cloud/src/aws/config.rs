//! AWS Config, per region: the configuration recorders, what they record, and whether they
//! are recording.

use std::collections::BTreeMap;

use aws_config::SdkConfig;
use aws_sdk_config::types::{ConfigurationRecorder, RecordingStrategyType};

use super::ScanOptions;
use super::calls::{seen, unseen};
use crate::inventory::{Coverage, Inventory, Recorder, Resource};
use crate::seen::Seen;

pub(super) async fn read(
    config: &SdkConfig,
    options: &ScanOptions,
    account: &str,
    region: Option<&str>,
    inventory: &mut Inventory,
) {
    // Both calls answer for every recorder of the region at once; there are no pages.
    let _ = options;
    let region = region.unwrap_or("us-east-1").to_owned();
    let client = aws_sdk_config::Client::new(config);
    let (recorders, statuses) = tokio::join!(
        client.describe_configuration_recorders().send(),
        client.describe_configuration_recorder_status().send(),
    );
    let recorders = match recorders {
        Ok(output) => output.configuration_recorders().to_vec(),
        Err(error) => {
            inventory.config.regions.insert(
                region,
                unseen("config:DescribeConfigurationRecorders", &error),
            );
            return;
        }
    };
    let recording: Seen<BTreeMap<String, bool>> =
        seen("config:DescribeConfigurationRecorderStatus", statuses).map(|output| {
            output
                .configuration_recorders_status()
                .iter()
                .filter_map(|s| Some((s.name()?.to_owned(), s.recording())))
                .collect()
        });
    let recorders = recorders
        .iter()
        .map(|r| {
            let name = r.name().unwrap_or("default").to_owned();
            let resource = match r.arn() {
                Some(arn) => Resource {
                    arn: arn.to_owned(),
                    region: Some(region.clone()),
                    id: name.clone(),
                    tags: BTreeMap::new(),
                },
                // Older recorders have no ARN: named as a setting of the account, the way
                // EBS encryption by default is.
                None => {
                    let mut resource = Resource::account(account);
                    resource.region = Some(region.clone());
                    resource.id = format!("AWS Config recorder {name} in {region}");
                    resource
                }
            };
            Recorder {
                resource,
                service_linked: r.service_principal().is_some(),
                recording: recording
                    .clone()
                    .map(|statuses| statuses.get(&name).copied().unwrap_or(false)),
                coverage: coverage(r),
            }
        })
        .collect();
    inventory
        .config
        .regions
        .insert(region, Seen::Known(recorders));
}

/// Which types a recorder records: its recording strategy when it has one, else the older
/// `allSupported` flag. A recorder without a recording group records everything, as AWS
/// defaults it.
fn coverage(recorder: &ConfigurationRecorder) -> Coverage {
    let Some(group) = recorder.recording_group() else {
        return Coverage::All;
    };
    let listed = |types: &[aws_sdk_config::types::ResourceType]| -> Vec<String> {
        types.iter().map(|t| t.as_str().to_owned()).collect()
    };
    match group.recording_strategy().and_then(|s| s.use_only()) {
        Some(RecordingStrategyType::AllSupportedResourceTypes) => Coverage::All,
        Some(RecordingStrategyType::ExclusionByResourceTypes) => Coverage::AllBut(listed(
            group
                .exclusion_by_resource_types()
                .map(|e| e.resource_types())
                .unwrap_or_default(),
        )),
        Some(RecordingStrategyType::InclusionByResourceTypes) => {
            Coverage::Only(listed(group.resource_types()))
        }
        _ if group.all_supported() => Coverage::All,
        _ => Coverage::Only(listed(group.resource_types())),
    }
}
