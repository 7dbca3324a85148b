//! The inventory as one flat list: every resource seen with its kind, region, tags and
//! encryption, whatever service it came from. This is what phiguard keeps as an account's
//! latest inventory, what the risk analysis counts assets from, and what reports list beside
//! the findings. Its digest is recorded in the ledger with the check run, so the stored list
//! can be shown to be the one that was seen.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::inventory::{Inventory, PhiTag, Resource, TableEncryption};
use crate::seen::Seen;

/// One resource of the account.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CloudResource {
    pub arn: String,
    /// What it is, as `service.type`: `s3.bucket`, `ec2.volume`, `rds.instance`.
    pub kind: String,
    /// `None` for a global resource (an S3 bucket's settings, an IAM user).
    pub region: Option<String>,
    /// Its name or id.
    pub name: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    pub encryption: Encryption,
    /// Tagged as holding ePHI with the tag the check run was given.
    pub holds_phi: bool,
}

/// Whether a resource's data is encrypted at rest, as far as phiguard saw.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum Encryption {
    /// Encrypted; `key` is the KMS key when the provider names one (`None` for keys the
    /// service owns, such as SSE-S3).
    Encrypted {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        key: Option<String>,
    },
    Unencrypted,
    /// It could not be read (denied, or the call failed).
    Unknown,
    /// The resource holds no data of its own to encrypt (a security group, a user, a key).
    NotApplicable,
}

impl Encryption {
    /// The word a table shows: `encrypted`, `unencrypted`, `unknown`, `n/a`.
    pub fn word(&self) -> &'static str {
        match self {
            Encryption::Encrypted { .. } => "encrypted",
            Encryption::Unencrypted => "unencrypted",
            Encryption::Unknown => "unknown",
            Encryption::NotApplicable => "n/a",
        }
    }

    fn of(encrypted: bool, key: Option<&String>) -> Encryption {
        if encrypted {
            Encryption::Encrypted { key: key.cloned() }
        } else {
            Encryption::Unencrypted
        }
    }
}

/// Every resource of `inventory` (those [`Inventory::resources`] counts; per-region settings
/// such as a GuardDuty detector are not resources of their own), in ARN order (then kind),
/// with ePHI marked by `phi_tag`.
pub fn list(inventory: &Inventory, phi_tag: &PhiTag) -> Vec<CloudResource> {
    let mut out = Lister {
        phi_tag,
        resources: Vec::with_capacity(inventory.resources()),
    };
    for bucket in &inventory.s3.buckets {
        let encryption = match &bucket.encryption {
            Seen::Known(Some(e)) => Encryption::Encrypted {
                key: e.kms_key.clone(),
            },
            // Since January 2023 S3 encrypts every new object with SSE-S3 even without a
            // default configured; a bucket that answers "none" is an older or odd one, and
            // the s3.encryption check says so. The inventory shows what the bucket reports.
            Seen::Known(None) => Encryption::Unencrypted,
            _ => Encryption::Unknown,
        };
        out.push(&bucket.resource, "s3.bucket", encryption);
    }
    let ec2 = &inventory.ec2;
    for volume in &ec2.volumes {
        let encryption = Encryption::of(volume.encrypted, volume.kms_key.as_ref());
        out.push(&volume.resource, "ec2.volume", encryption);
    }
    for snapshot in &ec2.snapshots {
        let encryption = Encryption::of(snapshot.encrypted, None);
        out.push(&snapshot.resource, "ec2.snapshot", encryption);
    }
    for group in &ec2.security_groups {
        out.push(
            &group.resource,
            "ec2.security_group",
            Encryption::NotApplicable,
        );
    }
    for acl in &ec2.network_acls {
        out.push(&acl.resource, "ec2.network_acl", Encryption::NotApplicable);
    }
    for vpc in &ec2.vpcs {
        out.push(&vpc.resource, "ec2.vpc", Encryption::NotApplicable);
    }
    for instance in &inventory.rds.instances {
        let kind = if instance.is_cluster {
            "rds.cluster"
        } else {
            "rds.instance"
        };
        let encryption = Encryption::of(instance.storage_encrypted, instance.kms_key.as_ref());
        out.push(&instance.resource, kind, encryption);
    }
    for snapshot in &inventory.rds.snapshots {
        let encryption = Encryption::of(snapshot.encrypted, None);
        out.push(&snapshot.resource, "rds.snapshot", encryption);
    }
    for trail in &inventory.cloudtrail.trails {
        // A trail's log files are SSE-S3 encrypted by S3 at least; a KMS key is what the
        // cloudtrail.kms_encryption check asks for.
        let encryption = Encryption::Encrypted {
            key: trail.kms_key.clone(),
        };
        out.push(&trail.resource, "cloudtrail.trail", encryption);
    }
    for user in &inventory.iam.users {
        out.push(&user.resource, "iam.user", Encryption::NotApplicable);
    }
    for key in &inventory.kms.keys {
        out.push(&key.resource, "kms.key", Encryption::NotApplicable);
    }
    for balancer in &inventory.elb.load_balancers {
        out.push(
            &balancer.resource,
            "elb.load_balancer",
            Encryption::NotApplicable,
        );
    }
    for certificate in &inventory.acm.certificates {
        out.push(
            &certificate.resource,
            "acm.certificate",
            Encryption::NotApplicable,
        );
    }
    for table in &inventory.dynamodb.tables {
        let encryption = match &table.encryption {
            // Every table is encrypted at rest; by default under a key AWS owns.
            Seen::Known(TableEncryption::AwsOwned) => Encryption::Encrypted { key: None },
            Seen::Known(TableEncryption::Kms { key }) => Encryption::Encrypted { key: key.clone() },
            _ => Encryption::Unknown,
        };
        out.push(&table.resource, "dynamodb.table", encryption);
    }
    for file_system in &inventory.efs.file_systems {
        let encryption = Encryption::of(file_system.encrypted, file_system.kms_key.as_ref());
        out.push(&file_system.resource, "efs.file_system", encryption);
    }
    for group in &inventory.logs.log_groups {
        // CloudWatch Logs encrypts every log group at rest, under its own keys unless a KMS
        // key is associated (which the logs.kms check asks for).
        let encryption = Encryption::Encrypted {
            key: group.kms_key.clone(),
        };
        out.push(&group.resource, "logs.log_group", encryption);
    }
    for topic in &inventory.sns.topics {
        let encryption = match &topic.kms_key {
            Seen::Known(Some(key)) => Encryption::Encrypted {
                key: Some(key.clone()),
            },
            Seen::Known(None) => Encryption::Unencrypted,
            _ => Encryption::Unknown,
        };
        out.push(&topic.resource, "sns.topic", encryption);
    }
    for queue in &inventory.sqs.queues {
        let encryption = match &queue.encryption {
            Seen::Known(e) if e.kms_key.is_some() => Encryption::Encrypted {
                key: e.kms_key.clone(),
            },
            Seen::Known(e) if e.sqs_managed => Encryption::Encrypted { key: None },
            Seen::Known(_) => Encryption::Unencrypted,
            _ => Encryption::Unknown,
        };
        out.push(&queue.resource, "sqs.queue", encryption);
    }
    for secret in &inventory.secretsmanager.secrets {
        // Secrets Manager encrypts every secret under a KMS key (aws/secretsmanager unless
        // another is named); which one is not read.
        out.push(
            &secret.resource,
            "secretsmanager.secret",
            Encryption::Encrypted { key: None },
        );
    }
    for function in &inventory.lambda.functions {
        out.push(
            &function.resource,
            "lambda.function",
            Encryption::NotApplicable,
        );
    }
    let mut resources = out.resources;
    resources.sort();
    resources
}

struct Lister<'t> {
    phi_tag: &'t PhiTag,
    resources: Vec<CloudResource>,
}

impl Lister<'_> {
    fn push(&mut self, resource: &Resource, kind: &str, encryption: Encryption) {
        self.resources.push(CloudResource {
            arn: resource.arn.clone(),
            kind: kind.to_owned(),
            region: resource.region.clone(),
            name: resource.id.clone(),
            tags: resource.tags.clone(),
            encryption,
            holds_phi: resource.holds_phi(self.phi_tag),
        });
    }
}

/// The digest the ledger records of a resource list: SHA-256 over its JSON, which serde
/// writes the same way for the same list (fields in declaration order, tags sorted), as
/// lowercase hex prefixed `sha256:`.
pub fn digest(resources: &[CloudResource]) -> String {
    // Serialising owned strings and maps cannot fail.
    let json = serde_json::to_vec(resources).unwrap_or_default();
    let hash = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &json);
    format!("sha256:{}", phiguard_core::hex::encode(hash.as_ref()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::inventory::{Bucket, BucketEncryption, Versioning, Volume};

    fn resource(arn: &str, region: Option<&str>, tags: &[(&str, &str)]) -> Resource {
        Resource {
            arn: arn.into(),
            region: region.map(str::to_owned),
            id: arn.rsplit([':', '/']).next().unwrap().into(),
            tags: tags
                .iter()
                .map(|(k, v)| ((*k).into(), (*v).into()))
                .collect(),
        }
    }

    fn bucket(name: &str, encryption: Seen<Option<BucketEncryption>>) -> Bucket {
        Bucket {
            resource: resource(&format!("arn:aws:s3:::{name}"), None, &[("phi", "true")]),
            encryption,
            public_access_block: Seen::Known(None),
            policy: Seen::Known(None),
            versioning: Seen::Known(Versioning::Off),
            logging: Seen::Known(None),
            object_lock: Seen::Known(false),
        }
    }

    #[test]
    fn lists_every_resource_with_its_encryption_in_arn_order() {
        let mut inventory = Inventory::default();
        inventory.ec2.volumes.push(Volume {
            resource: resource(
                "arn:aws:ec2:us-east-1:1:volume/vol-b",
                Some("us-east-1"),
                &[],
            ),
            encrypted: false,
            kms_key: None,
            attached_to: vec![],
        });
        inventory.s3.buckets.push(bucket(
            "records",
            Seen::Known(Some(BucketEncryption {
                algorithm: "aws:kms".into(),
                kms_key: Some("arn:aws:kms:us-east-1:1:key/k".into()),
            })),
        ));
        inventory.s3.buckets.push(bucket(
            "denied",
            Seen::Denied {
                action: "s3:GetEncryptionConfiguration".into(),
            },
        ));
        let listed = list(&inventory, &PhiTag::default());
        let summary: Vec<(&str, &str, &str, bool)> = listed
            .iter()
            .map(|r| {
                (
                    r.arn.as_str(),
                    r.kind.as_str(),
                    r.encryption.word(),
                    r.holds_phi,
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                (
                    "arn:aws:ec2:us-east-1:1:volume/vol-b",
                    "ec2.volume",
                    "unencrypted",
                    false
                ),
                ("arn:aws:s3:::denied", "s3.bucket", "unknown", true),
                ("arn:aws:s3:::records", "s3.bucket", "encrypted", true),
            ]
        );
        assert_eq!(
            listed[2].encryption,
            Encryption::Encrypted {
                key: Some("arn:aws:kms:us-east-1:1:key/k".into())
            }
        );
    }

    #[test]
    fn the_digest_changes_with_any_field_and_not_otherwise() {
        let mut inventory = Inventory::default();
        inventory.s3.buckets.push(bucket("a", Seen::Known(None)));
        let listed = list(&inventory, &PhiTag::default());
        assert_eq!(digest(&listed), digest(&listed.clone()));
        let mut changed = listed.clone();
        changed[0].encryption = Encryption::Encrypted { key: None };
        assert_ne!(digest(&listed), digest(&changed));
        let mut retagged = listed.clone();
        retagged[0].tags.insert("phi".into(), "false".into());
        assert_ne!(digest(&listed), digest(&retagged));
        assert!(digest(&listed).starts_with("sha256:"));
        assert_eq!(digest(&listed).len(), "sha256:".len() + 64);
    }
}
