//! EC2: EBS volumes and snapshots encrypted (and new volumes encrypted by default), no snapshot
//! public, no security group or network ACL open to the internet on an administration or
//! database port, and every VPC's traffic recorded by flow logs.

use phiguard_core::ports::{ADMIN_SERVICES, AdminService};
use phiguard_core::{CheckMeta, Finding, Severity};

use super::{Rule, Scope, Verdict, each};
use crate::inventory::{AclEntry, IngressRule, Resource, SecurityGroup};
use crate::seen::Seen;

pub(super) fn rules() -> Vec<Rule> {
    vec![
        Rule::new(
            "cloud.aws.ec2.ebs_default_encryption",
            "ec2",
            "new EBS volumes are encrypted by default in every region",
            Severity::High,
            "45 CFR 164.312(a)(2)(iv) asks for encryption of ePHI at rest. EBS encryption by \
             default encrypts every new volume and every copy of a snapshot in the region, so \
             no one has to remember to.",
            "Console: EC2 > (region) > Dashboard > Account attributes > Data protection and \
             security > Manage, tick Always encrypt new EBS volumes. CLI: `aws ec2 \
             enable-ebs-encryption-by-default --region REGION`.",
            ebs_default_encryption,
        ),
        Rule::new(
            "cloud.aws.ec2.ebs_volume_encryption",
            "ec2",
            "EBS volumes are encrypted",
            Severity::High,
            "45 CFR 164.312(a)(2)(iv) asks for encryption of ePHI at rest, and HHS's breach \
             guidance counts only encrypted data as secured (164.402). A disk holding a \
             database or its dumps holds ePHI whether or not it is attached now.",
            "Console: EC2 > Snapshots > Create snapshot of the volume, then Copy snapshot with \
             Encrypt this snapshot ticked, Create volume from the copy and swap it in. CLI: \
             `aws ec2 create-snapshot --volume-id VOLUME`, `aws ec2 copy-snapshot \
             --source-snapshot-id SNAPSHOT --source-region REGION --encrypted --kms-key-id KEY`, \
             `aws ec2 create-volume --snapshot-id COPY --availability-zone ZONE`.",
            ebs_volume_encryption,
        ),
        Rule::new(
            "cloud.aws.ec2.ebs_snapshot_encryption",
            "ec2",
            "EBS snapshots are encrypted",
            Severity::High,
            "45 CFR 164.312(a)(2)(iv): a snapshot is a full copy of a disk, and a copy of ePHI \
             needs the same protection at rest as the original (164.402 counts only encrypted \
             data as secured).",
            "Console: EC2 > Snapshots > SNAPSHOT > Actions > Copy snapshot, tick Encrypt this \
             snapshot, then delete the unencrypted one. CLI: `aws ec2 copy-snapshot \
             --source-snapshot-id SNAPSHOT --source-region REGION --encrypted --kms-key-id KEY` \
             then `aws ec2 delete-snapshot --snapshot-id SNAPSHOT`.",
            ebs_snapshot_encryption,
        ),
        Rule::new(
            "cloud.aws.ec2.ebs_snapshot_public",
            "ec2",
            "no EBS snapshot is public",
            Severity::Critical,
            "45 CFR 164.312(a)(1) limits access to ePHI to those granted it. Any AWS account \
             can create a volume from a public snapshot and read the whole disk.",
            "Console: EC2 > Snapshots > SNAPSHOT > Actions > Snapshot settings > Modify \
             permissions, choose Private. CLI: `aws ec2 modify-snapshot-attribute \
             --snapshot-id SNAPSHOT --attribute createVolumePermission --operation-type remove \
             --group-names all`; `aws ec2 enable-snapshot-block-public-access --state \
             block-all-sharing` stops it for the region.",
            ebs_snapshot_public,
        ),
        Rule::new(
            "cloud.aws.ec2.security_group_admin_ports",
            "ec2",
            "no security group admits the internet on an administration or database port",
            Severity::High,
            "45 CFR 164.312(a)(1) limits access to systems holding ePHI, and 164.312(e)(1) \
             guards it on the network. Remote shells, remote desktops and databases open to \
             0.0.0.0/0 or ::/0 are brute-forced within minutes of coming up.",
            "Console: EC2 > Security Groups > GROUP > Inbound rules > Edit inbound rules, \
             delete the rule or narrow its source to your network or another security group \
             (or use Session Manager instead of SSH and RDP). CLI: `aws ec2 \
             revoke-security-group-ingress --group-id GROUP --protocol tcp --port PORT --cidr \
             0.0.0.0/0`.",
            security_group_admin_ports,
        ),
        Rule::new(
            "cloud.aws.ec2.network_acl_admin_ports",
            "ec2",
            "no network ACL lets the internet in on an administration or database port",
            Severity::Medium,
            "45 CFR 164.312(e)(1): a network ACL is the subnet's own firewall, and the second \
             line behind security groups. One that allows 0.0.0.0/0 or ::/0 to an \
             administration or database port before any rule denies it leaves the subnet \
             guarded by the security groups alone.",
            "Console: VPC > Network ACLs > ACL > Inbound rules > Edit inbound rules, add a \
             Deny of the port from 0.0.0.0/0 numbered below the allow, or narrow the allow. \
             CLI: `aws ec2 create-network-acl-entry --network-acl-id ACL --ingress \
             --rule-number 50 --protocol tcp --port-range From=22,To=22 --cidr-block \
             0.0.0.0/0 --rule-action deny`.",
            network_acl_admin_ports,
        ),
        Rule::new(
            "cloud.aws.ec2.vpc_flow_logs",
            "ec2",
            "every VPC records its traffic in flow logs",
            Severity::Medium,
            "45 CFR 164.312(b) asks for mechanisms that record and examine activity in systems \
             that contain ePHI, and 164.308(a)(6)(ii) for identifying and responding to \
             incidents. Flow logs record who connected to what, which is how an intrusion is \
             traced after the fact.",
            "Console: VPC > Your VPCs > VPC > Flow logs > Create flow log, filter All, to \
             CloudWatch Logs or S3. CLI: `aws ec2 create-flow-logs --resource-type VPC \
             --resource-ids VPC --traffic-type ALL --log-destination-type s3 \
             --log-destination arn:aws:s3:::LOG_BUCKET`.",
            vpc_flow_logs,
        ),
    ]
}

fn ebs_default_encryption(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    let account = scope.inventory.account.as_deref().unwrap_or("unknown");
    let settings: Vec<(Resource, &Seen<bool>)> = scope
        .inventory
        .ec2
        .ebs_default_encryption
        .iter()
        .map(|(region, seen)| {
            let mut resource = Resource::account(account);
            resource.region = Some(region.clone());
            resource.id = format!("EBS encryption by default in {region}");
            (resource, seen)
        })
        .collect();
    each(
        meta,
        scope,
        &settings,
        |(resource, _)| resource,
        |(_, seen)| {
            Verdict::on(*seen, |on| {
                if *on {
                    Verdict::Pass("new EBS volumes are encrypted by default".into())
                } else {
                    Verdict::Fail("new EBS volumes are not encrypted by default".into())
                }
            })
        },
        "no region's EBS settings were read",
    )
}

fn ebs_volume_encryption(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    each(
        meta,
        scope,
        &scope.inventory.ec2.volumes,
        |v| &v.resource,
        |v| {
            let use_ = if v.attached_to.is_empty() {
                "not attached to any instance".to_owned()
            } else {
                format!("attached to {}", v.attached_to.join(", "))
            };
            match (v.encrypted, &v.kms_key) {
                (true, Some(key)) => Verdict::Pass(format!("encrypted under {key}; {use_}")),
                (true, None) => Verdict::Pass(format!("encrypted; {use_}")),
                (false, _) => Verdict::Fail(format!("not encrypted; {use_}")),
            }
        },
        "no EBS volume in the regions scanned",
    )
}

fn ebs_snapshot_encryption(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    each(
        meta,
        scope,
        &scope.inventory.ec2.snapshots,
        |s| &s.resource,
        |s| {
            if s.encrypted {
                Verdict::Pass("encrypted".into())
            } else {
                Verdict::Fail("not encrypted".into())
            }
        },
        "no EBS snapshot of the account's own in the regions scanned",
    )
}

fn ebs_snapshot_public(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    each(
        meta,
        scope,
        &scope.inventory.ec2.snapshots,
        |s| &s.resource,
        |s| {
            Verdict::on(&s.public, |public| {
                if *public {
                    Verdict::Fail(
                        "public: any AWS account may create a volume from it and read the disk"
                            .into(),
                    )
                } else {
                    Verdict::Pass("not public".into())
                }
            })
        },
        "no EBS snapshot of the account's own in the regions scanned",
    )
}

/// The administration and database services `rules` admit from the whole internet.
pub(crate) fn exposed_services(rules: &[IngressRule]) -> Vec<&'static AdminService> {
    ADMIN_SERVICES
        .iter()
        .filter(|service| {
            rules.iter().any(|rule| {
                rule.open_to_world()
                    && service
                        .protocols
                        .iter()
                        .any(|protocol| rule.covers(protocol, service.port))
            })
        })
        .collect()
}

/// "port 22 (ssh), port 5432 (postgresql)".
fn named(services: &[&AdminService]) -> String {
    services
        .iter()
        .map(|s| s.subject())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether a group protects anything now, in words.
fn group_use(group: &SecurityGroup) -> String {
    match &group.attachments {
        Seen::Known(0) => "not used by any network interface".into(),
        Seen::Known(1) => "used by 1 network interface".into(),
        Seen::Known(n) => format!("used by {n} network interfaces"),
        Seen::Denied { action } | Seen::Failed { action, .. } => {
            format!("whether any network interface uses it could not be read ({action})")
        }
    }
}

fn security_group_admin_ports(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    each(
        meta,
        scope,
        &scope.inventory.ec2.security_groups,
        |g| &g.resource,
        |g| {
            let exposed = exposed_services(&g.inbound);
            if exposed.is_empty() {
                Verdict::Pass(format!(
                    "admits no administration or database port from the internet; {}",
                    group_use(g)
                ))
            } else {
                Verdict::Fail(format!(
                    "open to the internet on {}; {}",
                    named(&exposed),
                    group_use(g)
                ))
            }
        },
        "no security group in the regions scanned",
    )
}

/// The administration and database services a network ACL lets in from the whole internet:
/// for each address family, the first entry in rule-number order that matches the world's
/// traffic to the port decides.
pub(crate) fn acl_exposed_services(entries: &[AclEntry]) -> Vec<&'static AdminService> {
    let mut sorted: Vec<&AclEntry> = entries.iter().collect();
    sorted.sort_by_key(|e| e.rule_number);
    ADMIN_SERVICES
        .iter()
        .filter(|service| {
            ["0.0.0.0/0", "::/0"].iter().any(|world| {
                service.protocols.iter().any(|protocol| {
                    sorted
                        .iter()
                        .find(|e| {
                            e.rule.ranges.iter().any(|r| r == world)
                                && e.rule.covers(protocol, service.port)
                        })
                        .is_some_and(|e| e.allow)
                })
            })
        })
        .collect()
}

fn network_acl_admin_ports(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    each(
        meta,
        scope,
        &scope.inventory.ec2.network_acls,
        |a| &a.resource,
        |a| {
            let use_ = match a.subnets.len() {
                0 => "associated with no subnet".to_owned(),
                1 => "guards 1 subnet".to_owned(),
                n => format!("guards {n} subnets"),
            };
            let exposed = acl_exposed_services(&a.inbound);
            if exposed.is_empty() {
                Verdict::Pass(format!(
                    "lets no administration or database port in from the internet; {use_}"
                ))
            } else {
                Verdict::Fail(format!(
                    "allows the internet in on {} before any rule denies it; {use_}",
                    named(&exposed)
                ))
            }
        },
        "no network ACL in the regions scanned",
    )
}

fn vpc_flow_logs(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    each(
        meta,
        scope,
        &scope.inventory.ec2.vpcs,
        |v| &v.resource,
        |v| {
            let which = if v.default {
                "the region's default VPC"
            } else {
                "VPC"
            };
            Verdict::on(&v.flow_logs, |logs| {
                if logs.is_empty() {
                    Verdict::Fail(format!("{which} without flow logs"))
                } else {
                    Verdict::Pass(format!("{which} with flow logs {}", logs.join(", ")))
                }
            })
        },
        "no VPC in the regions scanned",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(protocol: &str, ports: Option<(u16, u16)>, range: &str) -> IngressRule {
        IngressRule {
            protocol: protocol.into(),
            ports,
            ranges: vec![range.into()],
        }
    }

    fn ports(services: &[&AdminService]) -> Vec<u16> {
        services.iter().map(|s| s.port).collect()
    }

    #[test]
    fn a_range_of_ports_exposes_each_admin_port_inside_it() {
        let exposed = exposed_services(&[rule("tcp", Some((20, 30)), "0.0.0.0/0")]);
        assert_eq!(ports(&exposed), vec![22, 23]);
    }

    #[test]
    fn every_protocol_and_every_port_exposes_them_all() {
        let exposed = exposed_services(&[rule("-1", None, "::/0")]);
        assert_eq!(exposed.len(), ADMIN_SERVICES.len());
    }

    #[test]
    fn a_private_range_or_another_protocol_exposes_nothing() {
        assert!(exposed_services(&[rule("tcp", Some((22, 22)), "10.0.0.0/8")]).is_empty());
        assert!(exposed_services(&[rule("udp", Some((22, 22)), "0.0.0.0/0")]).is_empty());
        assert!(exposed_services(&[rule("tcp", Some((443, 443)), "0.0.0.0/0")]).is_empty());
    }

    fn entry(rule_number: i32, allow: bool, rule: IngressRule) -> AclEntry {
        AclEntry {
            rule_number,
            allow,
            rule,
        }
    }

    #[test]
    fn a_deny_numbered_before_the_allow_closes_the_port() {
        let entries = [
            entry(100, true, rule("-1", None, "0.0.0.0/0")),
            entry(50, false, rule("tcp", Some((22, 22)), "0.0.0.0/0")),
        ];
        let exposed = ports(&acl_exposed_services(&entries));
        assert!(!exposed.contains(&22));
        assert!(exposed.contains(&3389));
    }

    #[test]
    fn a_deny_numbered_after_the_allow_is_never_reached() {
        let entries = [
            entry(100, true, rule("tcp", Some((22, 22)), "0.0.0.0/0")),
            entry(200, false, rule("-1", None, "0.0.0.0/0")),
        ];
        assert_eq!(ports(&acl_exposed_services(&entries)), vec![22]);
    }

    #[test]
    fn an_ipv4_deny_does_not_close_the_ipv6_allow() {
        let entries = [
            entry(10, false, rule("-1", None, "0.0.0.0/0")),
            entry(20, true, rule("tcp", Some((5432, 5432)), "::/0")),
        ];
        assert_eq!(ports(&acl_exposed_services(&entries)), vec![5432]);
    }

    #[test]
    fn the_default_deny_alone_lets_nothing_in() {
        let entries = [entry(32767, false, rule("-1", None, "0.0.0.0/0"))];
        assert!(acl_exposed_services(&entries).is_empty());
    }
}
