//! Vulnerabilities: the failing findings of phiguard's checks, attached to the assets they
//! concern, and those people recorded that are not fixed yet.

use std::collections::BTreeMap;

use jiff::civil::Date;
use phiguard_core::{EvidenceRef, Finding, Severity, Status};
use phiguard_register::Stored;
use phiguard_register::records::{Level, Vulnerability};
use serde::{Deserialize, Serialize};

/// A finding about an asset: the application says which asset each finding concerns (the
/// host a check ran on, the resource an ARN names, the vendor a register finding is about).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observed {
    /// The asset's id in the inventory.
    pub asset: String,
    pub finding: Finding,
}

/// Where a vulnerability comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Found {
    /// Failing findings of one check on one asset.
    Check {
        check: String,
        findings: Vec<Finding>,
    },
    /// Recorded by people (`phiguard register vulnerability`).
    Recorded { evidence: Option<EvidenceRef> },
}

/// One vulnerability.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VulnerabilityView {
    /// `CHECK@ASSET` for a check's findings, the record's id for a recorded one.
    pub id: String,
    pub title: String,
    pub assets: Vec<String>,
    pub severity: Level,
    pub found: Found,
}

impl VulnerabilityView {
    /// The check whose findings show it, for one a check found.
    pub fn check(&self) -> Option<&str> {
        match &self.found {
            Found::Check { check, .. } => Some(check),
            Found::Recorded { .. } => None,
        }
    }
}

/// A finding's severity on the scale of the analysis.
pub fn level_of(severity: Severity) -> Level {
    match severity {
        Severity::Info => Level::VeryLow,
        Severity::Low => Level::Low,
        Severity::Medium => Level::Moderate,
        Severity::High => Level::High,
        Severity::Critical => Level::VeryHigh,
    }
}

/// The vulnerabilities failing findings show: one per check and asset, as severe as its
/// worst finding.
pub fn from_findings(observed: &[Observed]) -> Vec<VulnerabilityView> {
    let mut grouped: BTreeMap<(String, String), Vec<&Finding>> = BTreeMap::new();
    for o in observed.iter().filter(|o| o.finding.status == Status::Fail) {
        grouped
            .entry((o.finding.check.to_string(), o.asset.clone()))
            .or_default()
            .push(&o.finding);
    }
    grouped
        .into_iter()
        .map(|((check, asset), findings)| {
            let severity = findings
                .iter()
                .map(|f| f.severity)
                .max()
                .unwrap_or(Severity::Info);
            let title = match findings.as_slice() {
                [one] => one.message.clone(),
                [first, rest @ ..] => format!("{} (and {} more)", first.message, rest.len()),
                [] => check.clone(),
            };
            VulnerabilityView {
                id: format!("{check}@{asset}"),
                title,
                assets: vec![asset],
                severity: level_of(severity),
                found: Found::Check {
                    check,
                    findings: findings.into_iter().cloned().collect(),
                },
            }
        })
        .collect()
}

/// The recorded vulnerabilities not fixed by `today`.
pub fn from_records(
    recorded: &BTreeMap<String, Stored<Vulnerability>>,
    today: Date,
) -> Vec<VulnerabilityView> {
    recorded
        .values()
        .filter(|stored| stored.record.fixed.is_none_or(|fixed| fixed > today))
        .map(|stored| VulnerabilityView {
            id: stored.record.id.clone(),
            title: stored.record.title.clone(),
            assets: stored.record.assets.clone(),
            severity: stored.record.severity,
            found: Found::Recorded {
                evidence: stored.evidence,
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use phiguard_core::{CheckId, Status};

    use super::*;

    fn observed(check: &str, asset: &str, status: Status, severity: Severity) -> Observed {
        Observed {
            asset: asset.into(),
            finding: Finding {
                check: check.parse::<CheckId>().unwrap(),
                status,
                severity,
                subject: asset.into(),
                message: format!("{check} on {asset}"),
                evidence: Vec::new(),
                remediation: None,
            },
        }
    }

    #[test]
    fn only_failing_findings_are_vulnerabilities_one_per_check_and_asset() {
        let found = from_findings(&[
            observed(
                "host.patches.security",
                "host:a",
                Status::Fail,
                Severity::High,
            ),
            observed(
                "host.patches.security",
                "host:a",
                Status::Fail,
                Severity::Critical,
            ),
            observed(
                "host.patches.security",
                "host:b",
                Status::Pass,
                Severity::High,
            ),
            observed(
                "host.ssh.root_login",
                "host:b",
                Status::Warn,
                Severity::High,
            ),
        ]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].id, "host.patches.security@host:a");
        assert_eq!(found[0].severity, Level::VeryHigh);
        assert!(found[0].title.ends_with("(and 1 more)"));
        assert_eq!(found[0].check(), Some("host.patches.security"));
    }
}
