//! RDS of one region: DB instances and clusters (Aurora, Multi-AZ DB clusters) with whether
//! their parameter group forces TLS, and the manual snapshots of both with whether they are
//! public.

use std::collections::{BTreeMap, HashMap};

use aws_config::SdkConfig;

use super::ScanOptions;
use super::calls::{gap, region_of, seen, unseen};
use crate::inventory::{DbInstance, DbSnapshot, Inventory, Resource, TlsParameter};
use crate::seen::Seen;

pub(super) async fn read(
    config: &SdkConfig,
    options: &ScanOptions,
    account: &str,
    region: Option<&str>,
    inventory: &mut Inventory,
) {
    let _ = account; // RDS returns every ARN itself.
    let region = region_of(config, region);
    let rds = aws_sdk_rds::Client::new(config);
    // RDS takes between 20 and 100 records a page; another size would be refused.
    let page = options.page_size.map(|n| n.clamp(20, 100));

    let instances = match rds
        .describe_db_instances()
        .set_max_records(page)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
    {
        Ok(instances) => instances,
        Err(error) => {
            let seen = unseen::<(), _, _>("rds:DescribeDBInstances", &error);
            inventory.gaps.push(gap("rds", Some(&region), seen));
            return;
        }
    };
    let clusters = match rds
        .describe_db_clusters()
        .set_max_records(page)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
    {
        Ok(clusters) => clusters,
        Err(error) => {
            let seen = unseen::<(), _, _>("rds:DescribeDBClusters", &error);
            inventory.gaps.push(gap("rds", Some(&region), seen));
            return;
        }
    };

    let mut groups = TlsLookups::default();
    for instance in &instances {
        let (Some(arn), Some(id)) = (
            instance.db_instance_arn(),
            instance.db_instance_identifier(),
        ) else {
            continue;
        };
        let engine = instance.engine().unwrap_or_default().to_owned();
        let cluster = instance.db_cluster_identifier().map(str::to_owned);
        let parameter_group = instance
            .db_parameter_groups()
            .first()
            .and_then(|g| g.db_parameter_group_name())
            .map(str::to_owned);
        // An instance of a cluster takes TLS from the cluster's parameter group.
        let tls_required = match (&cluster, &parameter_group) {
            (Some(_), _) => Seen::Known(None),
            (None, group) => groups.instance(&rds, page, &engine, group.as_deref()).await,
        };
        inventory.rds.instances.push(DbInstance {
            resource: resource(arn, id, &region, tags(instance.tag_list())),
            engine,
            storage_encrypted: instance.storage_encrypted().unwrap_or(false),
            kms_key: instance.kms_key_id().map(str::to_owned),
            publicly_accessible: instance.publicly_accessible().unwrap_or(false),
            backup_retention_days: retention(instance.backup_retention_period()),
            multi_az: instance.multi_az().unwrap_or(false),
            status: instance.db_instance_status().unwrap_or_default().to_owned(),
            is_cluster: false,
            cluster,
            parameter_group,
            tls_required,
        });
    }
    for cluster in &clusters {
        let (Some(arn), Some(id)) = (cluster.db_cluster_arn(), cluster.db_cluster_identifier())
        else {
            continue;
        };
        let engine = cluster.engine().unwrap_or_default().to_owned();
        let parameter_group = cluster.db_cluster_parameter_group().map(str::to_owned);
        let tls_required = groups
            .cluster(&rds, page, &engine, parameter_group.as_deref())
            .await;
        inventory.rds.instances.push(DbInstance {
            resource: resource(arn, id, &region, tags(cluster.tag_list())),
            engine,
            storage_encrypted: cluster.storage_encrypted().unwrap_or(false),
            kms_key: cluster.kms_key_id().map(str::to_owned),
            publicly_accessible: cluster.publicly_accessible().unwrap_or(false),
            backup_retention_days: retention(cluster.backup_retention_period()),
            multi_az: cluster.multi_az().unwrap_or(false),
            status: cluster.status().unwrap_or_default().to_owned(),
            is_cluster: true,
            cluster: None,
            parameter_group,
            tls_required,
        });
    }

    let snapshots = match rds
        .describe_db_snapshots()
        .snapshot_type("manual")
        .set_max_records(page)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
    {
        Ok(snapshots) => snapshots,
        Err(error) => {
            let seen = unseen::<(), _, _>("rds:DescribeDBSnapshots", &error);
            inventory.gaps.push(gap("rds", Some(&region), seen));
            return;
        }
    };
    for snapshot in &snapshots {
        let (Some(arn), Some(id)) = (
            snapshot.db_snapshot_arn(),
            snapshot.db_snapshot_identifier(),
        ) else {
            continue;
        };
        let attributes = rds
            .describe_db_snapshot_attributes()
            .db_snapshot_identifier(id)
            .send()
            .await;
        let public =
            seen("rds:DescribeDBSnapshotAttributes", attributes).map(|output| {
                output
                    .db_snapshot_attributes_result()
                    .is_some_and(|result| {
                        restorable_by_all(result.db_snapshot_attributes().iter().map(|a| {
                            (a.attribute_name().unwrap_or_default(), a.attribute_values())
                        }))
                    })
            });
        inventory.rds.snapshots.push(DbSnapshot {
            resource: resource(arn, id, &region, tags(snapshot.tag_list())),
            encrypted: snapshot.encrypted().unwrap_or(false),
            public,
        });
    }

    // A cluster's snapshots are its own kind, shared the same way.
    let cluster_snapshots = match rds
        .describe_db_cluster_snapshots()
        .snapshot_type("manual")
        .set_max_records(page)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
    {
        Ok(snapshots) => snapshots,
        Err(error) => {
            let seen = unseen::<(), _, _>("rds:DescribeDBClusterSnapshots", &error);
            inventory.gaps.push(gap("rds", Some(&region), seen));
            return;
        }
    };
    for snapshot in &cluster_snapshots {
        let (Some(arn), Some(id)) = (
            snapshot.db_cluster_snapshot_arn(),
            snapshot.db_cluster_snapshot_identifier(),
        ) else {
            continue;
        };
        let attributes = rds
            .describe_db_cluster_snapshot_attributes()
            .db_cluster_snapshot_identifier(id)
            .send()
            .await;
        let public =
            seen("rds:DescribeDBClusterSnapshotAttributes", attributes).map(|output| {
                output
                    .db_cluster_snapshot_attributes_result()
                    .is_some_and(|result| {
                        restorable_by_all(result.db_cluster_snapshot_attributes().iter().map(|a| {
                            (a.attribute_name().unwrap_or_default(), a.attribute_values())
                        }))
                    })
            });
        inventory.rds.snapshots.push(DbSnapshot {
            resource: resource(arn, id, &region, tags(snapshot.tag_list())),
            encrypted: snapshot.storage_encrypted().unwrap_or(false),
            public,
        });
    }
}

fn resource(arn: &str, id: &str, region: &str, tags: BTreeMap<String, String>) -> Resource {
    Resource {
        arn: arn.to_owned(),
        region: Some(region.to_owned()),
        id: id.to_owned(),
        tags,
    }
}

fn tags(tags: &[aws_sdk_rds::types::Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_owned(),
                t.value().unwrap_or_default().to_owned(),
            ))
        })
        .collect()
}

fn retention(days: Option<i32>) -> u32 {
    days.and_then(|d| u32::try_from(d).ok()).unwrap_or(0)
}

/// Whether a snapshot's `restore` attribute names `all`: every AWS account may restore it.
fn restorable_by_all<'a>(attributes: impl Iterator<Item = (&'a str, &'a [String])>) -> bool {
    attributes
        .filter(|(name, _)| *name == "restore")
        .any(|(_, values)| values.iter().any(|v| v == "all"))
}

/// The parameter that forces TLS in an engine's parameter group; `None` for an engine that
/// does it another way (Oracle's SSL option) or not at all.
pub(crate) fn tls_parameter_of(engine: &str) -> Option<&'static str> {
    let engine = engine.to_ascii_lowercase();
    if engine.contains("postgres") || engine.starts_with("sqlserver") {
        Some("rds.force_ssl")
    } else if engine.contains("mysql") || engine.contains("mariadb") || engine == "aurora" {
        Some("require_secure_transport")
    } else {
        None
    }
}

/// What each parameter group says of TLS, read once however many databases share it.
#[derive(Default)]
struct TlsLookups {
    instance_groups: HashMap<(String, &'static str), Seen<Option<TlsParameter>>>,
    cluster_groups: HashMap<(String, &'static str), Seen<Option<TlsParameter>>>,
}

impl TlsLookups {
    async fn instance(
        &mut self,
        rds: &aws_sdk_rds::Client,
        page: Option<i32>,
        engine: &str,
        group: Option<&str>,
    ) -> Seen<Option<TlsParameter>> {
        let (Some(name), Some(group)) = (tls_parameter_of(engine), group) else {
            return Seen::Known(None);
        };
        let key = (group.to_owned(), name);
        if let Some(known) = self.instance_groups.get(&key) {
            return known.clone();
        }
        let listed = rds
            .describe_db_parameters()
            .db_parameter_group_name(group)
            .set_max_records(page)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await;
        let found = seen("rds:DescribeDBParameters", listed).map(|parameters| {
            Some(parameter(
                name,
                parameters
                    .iter()
                    .map(|p| (p.parameter_name(), p.parameter_value())),
            ))
        });
        self.instance_groups.insert(key, found.clone());
        found
    }

    async fn cluster(
        &mut self,
        rds: &aws_sdk_rds::Client,
        page: Option<i32>,
        engine: &str,
        group: Option<&str>,
    ) -> Seen<Option<TlsParameter>> {
        let (Some(name), Some(group)) = (tls_parameter_of(engine), group) else {
            return Seen::Known(None);
        };
        let key = (group.to_owned(), name);
        if let Some(known) = self.cluster_groups.get(&key) {
            return known.clone();
        }
        let listed = rds
            .describe_db_cluster_parameters()
            .db_cluster_parameter_group_name(group)
            .set_max_records(page)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await;
        let found = seen("rds:DescribeDBClusterParameters", listed).map(|parameters| {
            Some(parameter(
                name,
                parameters
                    .iter()
                    .map(|p| (p.parameter_name(), p.parameter_value())),
            ))
        });
        self.cluster_groups.insert(key, found.clone());
        found
    }
}

/// The parameter `name` among a group's, with its value (`None` at the engine's default).
fn parameter<'a>(
    name: &str,
    mut parameters: impl Iterator<Item = (Option<&'a str>, Option<&'a str>)>,
) -> TlsParameter {
    TlsParameter {
        name: name.to_owned(),
        value: parameters
            .find(|(n, _)| *n == Some(name))
            .and_then(|(_, value)| value.map(str::to_owned)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_engine_forces_tls_through_its_own_parameter() {
        assert_eq!(tls_parameter_of("postgres"), Some("rds.force_ssl"));
        assert_eq!(tls_parameter_of("aurora-postgresql"), Some("rds.force_ssl"));
        assert_eq!(tls_parameter_of("sqlserver-se"), Some("rds.force_ssl"));
        assert_eq!(tls_parameter_of("mysql"), Some("require_secure_transport"));
        assert_eq!(
            tls_parameter_of("aurora-mysql"),
            Some("require_secure_transport")
        );
        assert_eq!(
            tls_parameter_of("mariadb"),
            Some("require_secure_transport")
        );
        assert_eq!(tls_parameter_of("oracle-ee"), None);
    }

    #[test]
    fn a_snapshot_is_public_only_when_restore_names_all() {
        let all = vec!["all".to_owned()];
        let one = vec!["123456789012".to_owned()];
        assert!(restorable_by_all([("restore", all.as_slice())].into_iter()));
        assert!(!restorable_by_all(
            [("restore", one.as_slice())].into_iter()
        ));
        assert!(!restorable_by_all([("other", all.as_slice())].into_iter()));
        assert!(!restorable_by_all(std::iter::empty()));
    }

    #[test]
    fn a_parameter_left_at_its_default_has_no_value() {
        let found = parameter(
            "rds.force_ssl",
            [(Some("rds.force_ssl"), None), (Some("port"), Some("5432"))].into_iter(),
        );
        assert_eq!(found.value, None);
        let set = parameter(
            "rds.force_ssl",
            [(Some("rds.force_ssl"), Some("1"))].into_iter(),
        );
        assert!(set.enforced());
    }
}
