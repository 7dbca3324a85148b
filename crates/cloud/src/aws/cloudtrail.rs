//! CloudTrail, per region: every trail the region shows, with whether it is logging and what
//! it records. A multi-region trail shows in every region; its status is read in its home
//! region, and the scan keeps it once.

use aws_config::{Region, SdkConfig};

use super::ScanOptions;
use super::calls::{gap, seen, unseen};
use crate::inventory::{Inventory, Resource, Trail};

/// The resource type of S3 object-level (data) events.
const S3_OBJECTS: &str = "AWS::S3::Object";

pub(super) async fn read(
    config: &SdkConfig,
    options: &ScanOptions,
    account: &str,
    region: Option<&str>,
    inventory: &mut Inventory,
) {
    // DescribeTrails answers every trail at once; it has no pages to size.
    let _ = options;
    let region = region.unwrap_or("us-east-1").to_owned();
    let trails = aws_sdk_cloudtrail::Client::new(config);
    let described = match trails
        .describe_trails()
        .include_shadow_trails(true)
        .send()
        .await
    {
        Ok(output) => output.trail_list().to_vec(),
        Err(error) => {
            inventory.gaps.push(gap(
                "cloudtrail",
                Some(&region),
                unseen::<(), _, _>("cloudtrail:DescribeTrails", &error),
            ));
            return;
        }
    };
    inventory.cloudtrail.regions_read.push(region.clone());
    for trail in described {
        let name = trail.name().unwrap_or_default().to_owned();
        let home_region = trail.home_region().unwrap_or(&region).to_owned();
        let arn = trail
            .trail_arn()
            .map(str::to_owned)
            .unwrap_or_else(|| format!("arn:aws:cloudtrail:{home_region}:{account}:trail/{name}"));
        // A trail's status, selectors and tags are asked of its home region.
        let home = aws_sdk_cloudtrail::Client::new(
            &config
                .clone()
                .into_builder()
                .region(Region::new(home_region.clone()))
                .build(),
        );
        let (status, selectors, tags) = tokio::join!(
            home.get_trail_status().name(&arn).send(),
            home.get_event_selectors().trail_name(&arn).send(),
            home.list_tags().resource_id_list(&arn).send(),
        );
        let tags = match tags {
            Ok(output) => output
                .resource_tag_list()
                .iter()
                .flat_map(|r| r.tags_list())
                .map(|t| (t.key().to_owned(), t.value().unwrap_or_default().to_owned()))
                .collect(),
            Err(_) => Default::default(),
        };
        inventory.cloudtrail.trails.push(Trail {
            resource: Resource {
                arn,
                region: Some(home_region.clone()),
                id: name,
                tags,
            },
            home_region,
            multi_region: trail.is_multi_region_trail().unwrap_or(false),
            log_file_validation: trail.log_file_validation_enabled().unwrap_or(false),
            kms_key: trail.kms_key_id().map(str::to_owned),
            cloudwatch_logs: trail.cloud_watch_logs_log_group_arn().map(str::to_owned),
            logging: seen("cloudtrail:GetTrailStatus", status)
                .map(|output| output.is_logging().unwrap_or(false)),
            s3_data_events: seen("cloudtrail:GetEventSelectors", selectors).map(|output| {
                let basic = output
                    .event_selectors()
                    .iter()
                    .flat_map(|s| s.data_resources())
                    .any(|d| d.r#type() == Some(S3_OBJECTS));
                let advanced = output.advanced_event_selectors().iter().any(|s| {
                    s.field_selectors().iter().any(|f| {
                        f.field() == "resources.type" && f.equals().iter().any(|v| v == S3_OBJECTS)
                    })
                });
                basic || advanced
            }),
        });
    }
}
