//! EFS of one region: every file system, whether it is encrypted at rest and under which key.

use aws_config::SdkConfig;

use super::ScanOptions;
use super::calls::{gap, region_of, unseen};
use crate::inventory::{FileSystem, Inventory, Resource};

pub(super) async fn read(
    config: &SdkConfig,
    options: &ScanOptions,
    account: &str,
    region: Option<&str>,
    inventory: &mut Inventory,
) {
    let region = region_of(config, region);
    let efs = aws_sdk_efs::Client::new(config);
    // DescribeFileSystems answers encryption, mount targets and tags in one call.
    let file_systems = match efs
        .describe_file_systems()
        // EFS takes at least 1 item a page (and at most 100 by default).
        .set_max_items(options.page_size.map(|n| n.clamp(1, 100)))
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
    {
        Ok(file_systems) => file_systems,
        Err(error) => {
            let seen = unseen::<(), _, _>("elasticfilesystem:DescribeFileSystems", &error);
            inventory.gaps.push(gap("efs", Some(&region), seen));
            return;
        }
    };
    for fs in &file_systems {
        let id = fs.file_system_id();
        let arn = fs.file_system_arn().map(str::to_owned).unwrap_or_else(|| {
            format!("arn:aws:elasticfilesystem:{region}:{account}:file-system/{id}")
        });
        inventory.efs.file_systems.push(FileSystem {
            resource: Resource {
                arn,
                region: Some(region.clone()),
                id: id.to_owned(),
                tags: fs
                    .tags()
                    .iter()
                    .map(|t| (t.key().to_owned(), t.value().to_owned()))
                    .collect(),
            },
            encrypted: fs.encrypted().unwrap_or(false),
            kms_key: fs.kms_key_id().map(str::to_owned),
            mount_targets: u32::try_from(fs.number_of_mount_targets()).unwrap_or(0),
        });
    }
}
