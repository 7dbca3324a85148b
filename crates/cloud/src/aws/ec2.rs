//! EC2 of one region: EBS default encryption, volumes, the account's own snapshots (and
//! whether each is public), security groups with the interfaces using them, network ACLs, and
//! VPCs with their flow logs.

use std::collections::{BTreeMap, HashMap};

use aws_config::SdkConfig;
use aws_sdk_ec2::types::{PermissionGroup, RuleAction, SnapshotAttributeName};
use tokio::task::JoinSet;

use super::ScanOptions;
use super::calls::{gap, region_of, seen, unseen};
use crate::inventory::{
    AclEntry, EbsSnapshot, IngressRule, Inventory, NetworkAcl, Resource, SecurityGroup, Volume, Vpc,
};
use crate::seen::Seen;

pub(super) async fn read(
    config: &SdkConfig,
    options: &ScanOptions,
    account: &str,
    region: Option<&str>,
    inventory: &mut Inventory,
) {
    let region = region_of(config, region);
    let ec2 = aws_sdk_ec2::Client::new(config);
    let where_ = Where {
        region: &region,
        account,
    };
    // EC2 takes between 5 and 1000 items a page; a smaller size would be refused.
    let page = options.page_size.map(|n| n.clamp(5, 1000));

    let default_encryption = seen(
        "ec2:GetEbsEncryptionByDefault",
        ec2.get_ebs_encryption_by_default().send().await,
    )
    .map(|output| output.ebs_encryption_by_default().unwrap_or(false));
    inventory
        .ec2
        .ebs_default_encryption
        .insert(region.clone(), default_encryption);

    let volumes = match ec2
        .describe_volumes()
        .set_max_results(page.map(|n| n.min(500)))
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
    {
        Ok(volumes) => volumes,
        Err(error) => {
            let seen = unseen::<(), _, _>("ec2:DescribeVolumes", &error);
            inventory.gaps.push(gap("ec2", Some(&region), seen));
            return;
        }
    };
    inventory.ec2.volumes = volumes
        .iter()
        .filter_map(|v| {
            let id = v.volume_id()?;
            Some(Volume {
                resource: where_.resource("volume", id, tags(v.tags())),
                encrypted: v.encrypted().unwrap_or(false),
                kms_key: v.kms_key_id().map(str::to_owned),
                attached_to: v
                    .attachments()
                    .iter()
                    .filter_map(|a| a.instance_id().map(str::to_owned))
                    .collect(),
            })
        })
        .collect();

    // Only the account's own snapshots: public and shared ones of others are theirs to guard.
    let snapshots = match ec2
        .describe_snapshots()
        .owner_ids("self")
        .set_max_results(page)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
    {
        Ok(snapshots) => snapshots,
        Err(error) => {
            let seen = unseen::<(), _, _>("ec2:DescribeSnapshots", &error);
            inventory.gaps.push(gap("ec2", Some(&region), seen));
            return;
        }
    };
    inventory.ec2.snapshots = snapshots_with_permissions(&ec2, &where_, snapshots).await;

    let groups = match ec2
        .describe_security_groups()
        .set_max_results(page)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
    {
        Ok(groups) => groups,
        Err(error) => {
            let seen = unseen::<(), _, _>("ec2:DescribeSecurityGroups", &error);
            inventory.gaps.push(gap("ec2", Some(&region), seen));
            return;
        }
    };
    let (users, users_seen) = split(interfaces_per_group(&ec2, page).await);
    inventory.ec2.security_groups = groups
        .iter()
        .filter_map(|g| {
            let id = g.group_id()?;
            Some(SecurityGroup {
                resource: where_.resource("security-group", id, tags(g.tags())),
                vpc: g.vpc_id().map(str::to_owned),
                attachments: users_seen
                    .clone()
                    .map(|()| users.get(id).copied().unwrap_or(0)),
                inbound: g.ip_permissions().iter().map(ingress_rule).collect(),
            })
        })
        .collect();

    let acls = match ec2
        .describe_network_acls()
        .set_max_results(page)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
    {
        Ok(acls) => acls,
        Err(error) => {
            let seen = unseen::<(), _, _>("ec2:DescribeNetworkAcls", &error);
            inventory.gaps.push(gap("ec2", Some(&region), seen));
            return;
        }
    };
    inventory.ec2.network_acls = acls
        .iter()
        .filter_map(|acl| {
            let id = acl.network_acl_id()?;
            let mut inbound: Vec<AclEntry> = acl
                .entries()
                .iter()
                .filter(|e| e.egress() == Some(false))
                .map(|e| AclEntry {
                    rule_number: e.rule_number().unwrap_or(i32::MAX),
                    allow: e.rule_action() == Some(&RuleAction::Allow),
                    rule: IngressRule {
                        protocol: protocol_name(e.protocol().unwrap_or("-1")),
                        ports: e.port_range().and_then(|r| port_range(r.from(), r.to())),
                        ranges: e
                            .cidr_block()
                            .into_iter()
                            .chain(e.ipv6_cidr_block())
                            .map(str::to_owned)
                            .collect(),
                    },
                })
                .collect();
            inbound.sort_by_key(|e| e.rule_number);
            Some(NetworkAcl {
                resource: where_.resource("network-acl", id, tags(acl.tags())),
                vpc: acl.vpc_id().map(str::to_owned),
                subnets: acl
                    .associations()
                    .iter()
                    .filter_map(|a| a.subnet_id().map(str::to_owned))
                    .collect(),
                inbound,
            })
        })
        .collect();

    let vpcs = match ec2
        .describe_vpcs()
        .set_max_results(page)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
    {
        Ok(vpcs) => vpcs,
        Err(error) => {
            let seen = unseen::<(), _, _>("ec2:DescribeVpcs", &error);
            inventory.gaps.push(gap("ec2", Some(&region), seen));
            return;
        }
    };
    let (flow_logs, flow_logs_seen) = split(flow_logs_per_resource(&ec2, page).await);
    inventory.ec2.vpcs = vpcs
        .iter()
        .filter_map(|v| {
            let id = v.vpc_id()?;
            Some(Vpc {
                resource: where_.resource("vpc", id, tags(v.tags())),
                default: v.is_default().unwrap_or(false),
                flow_logs: flow_logs_seen
                    .clone()
                    .map(|()| flow_logs.get(id).cloned().unwrap_or_default()),
            })
        })
        .collect();
}

/// A region-wide listing keyed by resource, apart from whether it was read: each resource
/// then takes its entry, or the reason there is none, without a copy of the whole listing.
fn split<V>(listing: Seen<HashMap<String, V>>) -> (HashMap<String, V>, Seen<()>) {
    match listing {
        Seen::Known(by_id) => (by_id, Seen::Known(())),
        unread => (HashMap::new(), unread.map(|_| ())),
    }
}

/// The account and region resources are named in.
struct Where<'a> {
    region: &'a str,
    account: &'a str,
}

impl Where<'_> {
    /// An EC2 resource, named by the ARN the API does not return.
    fn resource(&self, kind: &str, id: &str, tags: BTreeMap<String, String>) -> Resource {
        // Snapshot ARNs have no account: `arn:aws:ec2:us-east-1::snapshot/snap-…`.
        let account = if kind == "snapshot" { "" } else { self.account };
        Resource {
            arn: format!("arn:aws:ec2:{}:{account}:{kind}/{id}", self.region),
            region: Some(self.region.to_owned()),
            id: id.to_owned(),
            tags,
        }
    }
}

fn tags(tags: &[aws_sdk_ec2::types::Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_owned(),
                t.value().unwrap_or_default().to_owned(),
            ))
        })
        .collect()
}

/// Snapshots read at once for their permissions.
const CONCURRENT_SNAPSHOTS: usize = 16;

/// Each snapshot with whether anyone may create a volume from it.
async fn snapshots_with_permissions(
    ec2: &aws_sdk_ec2::Client,
    where_: &Where<'_>,
    snapshots: Vec<aws_sdk_ec2::types::Snapshot>,
) -> Vec<EbsSnapshot> {
    let limit = std::sync::Arc::new(tokio::sync::Semaphore::new(CONCURRENT_SNAPSHOTS));
    let mut tasks = JoinSet::new();
    for snapshot in snapshots {
        let Some(id) = snapshot.snapshot_id().map(str::to_owned) else {
            continue;
        };
        let resource = where_.resource("snapshot", &id, tags(snapshot.tags()));
        let encrypted = snapshot.encrypted().unwrap_or(false);
        let ec2 = ec2.clone();
        let limit = std::sync::Arc::clone(&limit);
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await;
            let answer = ec2
                .describe_snapshot_attribute()
                .snapshot_id(&id)
                .attribute(SnapshotAttributeName::CreateVolumePermission)
                .send()
                .await;
            EbsSnapshot {
                resource,
                encrypted,
                public: seen("ec2:DescribeSnapshotAttribute", answer).map(|output| {
                    output
                        .create_volume_permissions()
                        .iter()
                        .any(|p| p.group() == Some(&PermissionGroup::All))
                }),
            }
        });
    }
    let mut read = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        if let Ok(snapshot) = joined {
            read.push(snapshot);
        }
    }
    read
}

/// How many network interfaces use each security group, from one listing of the region's
/// interfaces.
async fn interfaces_per_group(
    ec2: &aws_sdk_ec2::Client,
    page: Option<i32>,
) -> Seen<HashMap<String, u32>> {
    let listed = ec2
        .describe_network_interfaces()
        .set_max_results(page)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await;
    seen("ec2:DescribeNetworkInterfaces", listed).map(|interfaces| {
        let mut counts: HashMap<String, u32> = HashMap::new();
        for group in interfaces.iter().flat_map(|i| i.groups()) {
            if let Some(id) = group.group_id() {
                *counts.entry(id.to_owned()).or_default() += 1;
            }
        }
        counts
    })
}

/// The flow logs of the region by the resource they watch (a VPC, a subnet, an interface).
async fn flow_logs_per_resource(
    ec2: &aws_sdk_ec2::Client,
    page: Option<i32>,
) -> Seen<HashMap<String, Vec<String>>> {
    let listed = ec2
        .describe_flow_logs()
        .set_max_results(page)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await;
    seen("ec2:DescribeFlowLogs", listed).map(|logs| {
        let mut by_resource: HashMap<String, Vec<String>> = HashMap::new();
        for log in &logs {
            if let (Some(resource), Some(id)) = (log.resource_id(), log.flow_log_id()) {
                by_resource
                    .entry(resource.to_owned())
                    .or_default()
                    .push(id.to_owned());
            }
        }
        by_resource
    })
}

/// A security group's inbound permission in phiguard's port model.
fn ingress_rule(permission: &aws_sdk_ec2::types::IpPermission) -> IngressRule {
    let protocol = protocol_name(permission.ip_protocol().unwrap_or("-1"));
    let ports = match protocol.as_str() {
        "tcp" | "udp" => port_range(permission.from_port(), permission.to_port()),
        _ => None,
    };
    IngressRule {
        protocol,
        ports,
        ranges: permission
            .ip_ranges()
            .iter()
            .filter_map(|r| r.cidr_ip().map(str::to_owned))
            .chain(
                permission
                    .ipv6_ranges()
                    .iter()
                    .filter_map(|r| r.cidr_ipv6().map(str::to_owned)),
            )
            .collect(),
    }
}

/// The protocol as a name: EC2 answers `tcp` or the IANA number (`6`) as it was given.
fn protocol_name(protocol: &str) -> String {
    match protocol {
        "6" => "tcp".into(),
        "17" => "udp".into(),
        "1" => "icmp".into(),
        other => other.to_ascii_lowercase(),
    }
}

/// An inclusive port range; `None` (every port) when the API gives none or -1.
fn port_range(from: Option<i32>, to: Option<i32>) -> Option<(u16, u16)> {
    let from = u16::try_from(from?).ok()?;
    let to = u16::try_from(to?).ok()?;
    Some((from, to))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_numbers_read_as_names() {
        assert_eq!(protocol_name("6"), "tcp");
        assert_eq!(protocol_name("17"), "udp");
        assert_eq!(protocol_name("-1"), "-1");
        assert_eq!(protocol_name("TCP"), "tcp");
    }

    #[test]
    fn a_missing_or_negative_port_means_every_port() {
        assert_eq!(port_range(Some(22), Some(22)), Some((22, 22)));
        assert_eq!(port_range(Some(-1), Some(-1)), None);
        assert_eq!(port_range(None, Some(80)), None);
        assert_eq!(port_range(Some(0), Some(65535)), Some((0, 65535)));
    }
}
