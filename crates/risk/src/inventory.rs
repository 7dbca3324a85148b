//! The asset inventory: what phiguard saw, merged with what people recorded.
//!
//! An asset phiguard saw has an id made from what it is (`host:web-1`,
//! `aws:us-east-1:rds.instance:ehr`, `vendor:acme-cloud`, `system:ehr-prod`,
//! `path:srv:ehr`) and says where it was seen and when. A register asset under the same id
//! adds what no machine knows (owner, criticality, location, the ePHI it handles); its fields
//! win where it sets them, and the ePHI uses of both are kept. An asset only people recorded
//! has no origin.

use std::collections::BTreeMap;

use jiff::Timestamp;
use phiguard_cloud::resources::{CloudResource, Encryption};
use phiguard_core::EvidenceRef;
use phiguard_register::Stored;
use phiguard_register::records::{Asset, AssetType, PhiUse, Vendor};
use serde::{Deserialize, Serialize};

/// Where phiguard saw an asset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// A host check ran on it.
    HostCheck,
    /// It is in a cloud account's newest inventory.
    CloudInventory,
    /// A vendor of the register that touches PHI.
    RegisterVendor,
    /// A system the register's records name (vendors, grants, restore tests, incidents).
    RegisterSystem,
    /// A directory of ePHI files that phiguard.toml names for file integrity monitoring.
    EphiPath,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::HostCheck => "host check",
            Source::CloudInventory => "cloud inventory",
            Source::RegisterVendor => "register vendor",
            Source::RegisterSystem => "register system",
            Source::EphiPath => "ePHI path",
        }
    }
}

/// One sighting of an asset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Origin {
    pub source: Source,
    /// What exactly: "host check of web-1", "AWS account 123456789012".
    pub detail: String,
    /// When it was last seen there, where phiguard knows.
    pub seen_at: Option<Timestamp>,
    /// The ledger entry that recorded the sighting.
    pub evidence: Option<EvidenceRef>,
}

/// An asset phiguard saw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Discovered {
    pub asset: Asset,
    pub origin: Origin,
    /// What findings call it: an ARN, a host name, `vendor acme-cloud`.
    pub names: Vec<String>,
}

/// An asset of the inventory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssetView {
    /// The asset, with what people recorded laid over what phiguard saw.
    pub asset: Asset,
    /// Where phiguard saw it, newest first; empty for an asset only people recorded.
    pub origins: Vec<Origin>,
    /// The ledger entry of the register record that adds to it, if people recorded one.
    pub recorded: Option<EvidenceRef>,
    /// What findings call it.
    pub names: Vec<String>,
}

impl AssetView {
    pub fn id(&self) -> &str {
        &self.asset.id
    }

    pub fn holds_ephi(&self) -> bool {
        self.asset.holds_ephi()
    }

    /// Whether phiguard saw it (rather than people only recording it).
    pub fn is_seen(&self) -> bool {
        !self.origins.is_empty()
    }

    /// When phiguard last saw it, where it knows.
    pub fn last_seen(&self) -> Option<Timestamp> {
        self.origins.iter().filter_map(|o| o.seen_at).max()
    }
}

/// Turns text into the part of an asset id: no slashes, no spaces, no control characters.
fn id_part(text: &str) -> String {
    text.trim_matches('/')
        .chars()
        .map(|c| match c {
            '/' | '\\' => ':',
            c if c.is_whitespace() || c.is_control() => '-',
            c => c,
        })
        .collect()
}

/// Keeps an id under the register's 128 characters: a long one is cut and ends with the
/// SHA-256 of the whole, so two long ids stay apart.
fn bounded(id: String) -> String {
    if id.len() <= 128 {
        return id;
    }
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, id.as_bytes());
    let tail = phiguard_core::hex::encode(&digest.as_ref()[..8]);
    let mut cut = 128 - tail.len() - 1;
    while !id.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}~{tail}", &id[..cut])
}

pub fn host_id(host: &str) -> String {
    bounded(format!("host:{}", id_part(host)))
}

pub fn vendor_id(vendor: &str) -> String {
    bounded(format!("vendor:{}", id_part(vendor)))
}

pub fn system_id(system: &str) -> String {
    bounded(format!("system:{}", id_part(system)))
}

pub fn path_id(path: &str) -> String {
    bounded(format!("path:{}", id_part(path)))
}

pub fn cloud_id(provider: &str, resource: &CloudResource) -> String {
    let region = resource.region.as_deref().unwrap_or("global");
    bounded(format!(
        "{provider}:{region}:{}:{}",
        resource.kind,
        id_part(&resource.name)
    ))
}

fn asset(id: String, name: &str, asset_type: AssetType, location: Option<String>) -> Asset {
    Asset {
        id,
        name: name.to_owned(),
        asset_type,
        owner: None,
        location,
        ephi: Vec::new(),
        criticality: None,
        description: None,
    }
}

/// A host a check ran on. Whether it holds ePHI is for people to say, unless `ephi` says so
/// (ePHI paths are monitored on it).
pub fn host(name: &str, ephi: bool, origin: Origin) -> Discovered {
    let mut found = asset(host_id(name), name, AssetType::Host, None);
    if ephi {
        found.ephi = vec![PhiUse::Maintains];
    }
    Discovered {
        asset: found,
        origin,
        names: vec![name.to_owned()],
    }
}

/// Cloud resources that are assets: those that keep data (encrypted or not), compute and
/// entry points, and anything tagged as holding ePHI. Settings and identities (security
/// groups, IAM users, keys) protect assets but are not ones themselves.
pub fn from_cloud(
    provider: &str,
    account: &str,
    resources: &[CloudResource],
    origin: &Origin,
) -> Vec<Discovered> {
    const COMPUTE: [&str; 4] = [
        "ec2.instance",
        "lambda.function",
        "elbv2.load_balancer",
        "rds.cluster",
    ];
    resources
        .iter()
        .filter(|r| {
            r.holds_phi
                || !matches!(r.encryption, Encryption::NotApplicable)
                || COMPUTE.contains(&r.kind.as_str())
        })
        .map(|r| {
            let asset_type = match r.kind.split('.').next().unwrap_or_default() {
                "s3" | "rds" | "dynamodb" | "efs" | "logs" | "sqs" | "sns" | "secretsmanager" => {
                    AssetType::DataStore
                }
                "ec2" if r.kind == "ec2.instance" => AssetType::Host,
                "ec2" if r.kind == "ec2.volume" || r.kind == "ec2.snapshot" => AssetType::DataStore,
                "lambda" => AssetType::Application,
                _ => AssetType::CloudResource,
            };
            let location = match &r.region {
                Some(region) => format!("{provider} {region}"),
                None => format!("{provider} (global)"),
            };
            let mut found = asset(cloud_id(provider, r), &r.name, asset_type, Some(location));
            if r.holds_phi {
                found.ephi = vec![PhiUse::Maintains];
            }
            found.description = Some(format!("{} in account {account}", r.kind));
            Discovered {
                asset: found,
                origin: origin.clone(),
                names: vec![r.arn.clone(), r.name.clone()],
            }
        })
        .collect()
}

/// A vendor of the register that touches PHI: its service is an asset outside the walls.
pub fn vendor(stored: &Stored<Vendor>, origin: Origin) -> Option<Discovered> {
    let vendor = &stored.record;
    if !vendor.touches_phi {
        return None;
    }
    let mut found = asset(
        vendor_id(&vendor.id),
        &vendor.name,
        AssetType::Vendor,
        Some(vendor.name.clone()),
    );
    found.ephi = if vendor.phi_uses.is_empty() {
        vec![PhiUse::Maintains]
    } else {
        vendor.phi_uses.clone()
    };
    if !vendor.services.is_empty() {
        found.description = Some(vendor.services.join(", "));
    }
    Some(Discovered {
        asset: found,
        origin,
        names: vec![format!("vendor {}", vendor.id)],
    })
}

/// A system the register names. `ephi` says it is served by a vendor that touches PHI.
pub fn system(name: &str, ephi: bool, origin: Origin) -> Discovered {
    let mut found = asset(system_id(name), name, AssetType::System, None);
    if ephi {
        found.ephi = vec![PhiUse::Maintains];
    }
    Discovered {
        asset: found,
        origin,
        names: vec![format!("system {name}")],
    }
}

/// A directory of ePHI files monitored on `host`.
pub fn ephi_path(path: &str, host: &str, origin: Origin) -> Discovered {
    let mut found = asset(
        path_id(path),
        path,
        AssetType::DataStore,
        Some(format!("{host} (on this machine)")),
    );
    found.ephi = vec![PhiUse::Maintains];
    Discovered {
        asset: found,
        origin,
        names: vec![path.to_owned()],
    }
}

/// The inventory: every asset seen, with the register's assets laid over them, and the
/// register's other assets; in id order.
pub fn merge(
    discovered: Vec<Discovered>,
    recorded: &BTreeMap<String, Stored<Asset>>,
) -> Vec<AssetView> {
    let mut views: BTreeMap<String, AssetView> = BTreeMap::new();
    for found in discovered {
        match views.get_mut(&found.asset.id) {
            Some(view) => {
                union(&mut view.asset.ephi, &found.asset.ephi);
                view.origins.push(found.origin);
                for name in found.names {
                    if !view.names.contains(&name) {
                        view.names.push(name);
                    }
                }
            }
            None => {
                views.insert(
                    found.asset.id.clone(),
                    AssetView {
                        asset: found.asset,
                        origins: vec![found.origin],
                        recorded: None,
                        names: found.names,
                    },
                );
            }
        }
    }
    for (id, stored) in recorded {
        let record = &stored.record;
        match views.get_mut(id) {
            Some(view) => {
                let seen = &mut view.asset;
                seen.name = record.name.clone();
                seen.asset_type = record.asset_type;
                let mut ephi = record.ephi.clone();
                union(&mut ephi, &seen.ephi);
                seen.ephi = ephi;
                overlay(&mut seen.owner, &record.owner);
                overlay(&mut seen.location, &record.location);
                overlay(&mut seen.criticality, &record.criticality);
                overlay(&mut seen.description, &record.description);
                view.recorded = stored.evidence;
            }
            None => {
                views.insert(
                    id.clone(),
                    AssetView {
                        asset: record.clone(),
                        origins: Vec::new(),
                        recorded: stored.evidence,
                        names: vec![record.name.clone()],
                    },
                );
            }
        }
    }
    let mut views: Vec<AssetView> = views.into_values().collect();
    for view in &mut views {
        view.origins
            .sort_by(|a, b| b.seen_at.cmp(&a.seen_at).then(a.source.cmp(&b.source)));
        view.asset.ephi.sort();
    }
    views
}

fn union(into: &mut Vec<PhiUse>, more: &[PhiUse]) {
    for use_ in more {
        if !into.contains(use_) {
            into.push(*use_);
        }
    }
}

fn overlay<T: Clone>(seen: &mut Option<T>, recorded: &Option<T>) {
    if recorded.is_some() {
        seen.clone_from(recorded);
    }
}

/// The asset a finding's subject names, among `assets`: an ARN (before " (…)"), a host
/// name, `vendor acme-cloud`.
pub fn named<'a>(assets: &'a [AssetView], subject: &str) -> Option<&'a AssetView> {
    let name = subject.split(" (").next().unwrap_or(subject);
    assets
        .iter()
        .find(|a| a.names.iter().any(|n| n == name) || a.asset.id == name)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn origin(source: Source) -> Origin {
        Origin {
            source,
            detail: "test".into(),
            seen_at: Some("2026-12-01T00:00:00Z".parse().unwrap()),
            evidence: None,
        }
    }

    #[test]
    fn ids_are_valid_register_ids_even_for_paths_and_long_names() {
        assert_eq!(path_id("/srv/ehr/"), "path:srv:ehr");
        assert_eq!(host_id("web 1"), "host:web-1");
        let long = host_id(&"x".repeat(300));
        assert!(long.len() <= 128, "{}", long.len());
        assert_ne!(long, host_id(&format!("{}y", "x".repeat(300))));
        let record = Asset {
            id: long,
            ..asset("a".into(), "n", AssetType::Host, None)
        };
        assert!(
            phiguard_register::AnyRecord::from(record)
                .problems()
                .is_empty(),
            "a seen asset's id can be recorded"
        );
    }

    #[test]
    fn a_recorded_asset_adds_to_the_seen_one_and_keeps_both_uses_of_ephi() {
        let seen = host("web-1", false, origin(Source::HostCheck));
        let mut recorded = BTreeMap::new();
        let record = Asset {
            owner: Some("Dana".into()),
            ephi: vec![PhiUse::Receives],
            ..asset("host:web-1".into(), "Web server", AssetType::Host, None)
        };
        recorded.insert(
            record.id.clone(),
            Stored {
                record,
                evidence: Some(EvidenceRef {
                    seq: 4,
                    leaf_hash: [0; 32],
                }),
            },
        );
        let only_recorded = asset("laptop-7".into(), "Laptop", AssetType::Device, None);
        recorded.insert(
            only_recorded.id.clone(),
            Stored {
                record: only_recorded,
                evidence: None,
            },
        );
        let views = merge(
            vec![seen, host("web-1", true, origin(Source::EphiPath))],
            &recorded,
        );
        assert_eq!(views.len(), 2);
        let web = &views[0];
        assert_eq!(web.asset.name, "Web server");
        assert_eq!(web.asset.owner.as_deref(), Some("Dana"));
        assert_eq!(web.asset.ephi, [PhiUse::Receives, PhiUse::Maintains]);
        assert_eq!(web.origins.len(), 2);
        assert_eq!(web.recorded.map(|e| e.seq), Some(4));
        assert!(views[1].origins.is_empty() && !views[1].is_seen());
        assert_eq!(
            named(&views, "web-1").map(AssetView::id),
            Some("host:web-1")
        );
        assert!(named(&views, "web-2").is_none());
    }
}
