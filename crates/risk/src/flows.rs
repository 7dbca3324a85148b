//! Flows of ePHI between assets, and whether each is encrypted in transit: what the in-transit
//! checks of its endpoints found where they ran, else what people stated.

use std::collections::BTreeMap;

use phiguard_core::{EvidenceRef, Status};
use phiguard_register::Stored;
use phiguard_register::records::DataFlow;
use serde::{Deserialize, Serialize};

use crate::inventory::AssetView;
use crate::vulnerabilities::Observed;

/// Whether a flow is encrypted in transit, and on what basis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum InTransit {
    Encrypted {
        basis: Basis,
    },
    Unencrypted {
        basis: Basis,
    },
    /// Nobody stated it and no in-transit check ran on its endpoints.
    Unknown,
}

impl InTransit {
    pub fn word(&self) -> &'static str {
        match self {
            InTransit::Encrypted { .. } => "encrypted",
            InTransit::Unencrypted { .. } => "unencrypted",
            InTransit::Unknown => "unknown",
        }
    }
}

/// What a flow's encryption rests on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "by")]
pub enum Basis {
    /// Findings of in-transit checks on its endpoints: `check on subject` for each.
    Checks { findings: Vec<String> },
    /// What people recorded.
    Stated,
}

/// A flow of the register, judged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlowView {
    pub flow: DataFlow,
    pub evidence: Option<EvidenceRef>,
    /// The endpoints that are not in the inventory.
    pub unknown_endpoints: Vec<String>,
    pub in_transit: InTransit,
}

/// Every flow, judged with the findings of the in-transit checks (`in_transit_checks`) on
/// its endpoints. A failing one makes the flow unencrypted whatever was stated; passing ones
/// make it encrypted unless people stated it is not (they may know of a leg no check sees).
pub fn views(
    flows: &BTreeMap<String, Stored<DataFlow>>,
    assets: &[AssetView],
    observed: &[Observed],
    in_transit_checks: &[&str],
) -> Vec<FlowView> {
    flows
        .values()
        .map(|stored| {
            let flow = &stored.record;
            let unknown_endpoints = [&flow.from, &flow.to]
                .into_iter()
                .filter(|id| !assets.iter().any(|a| a.id() == id.as_str()))
                .cloned()
                .collect();
            let relevant: Vec<_> = observed
                .iter()
                .filter(|o| o.asset == flow.from || o.asset == flow.to)
                .filter(|o| in_transit_checks.contains(&o.finding.check.as_str()))
                .filter(|o| matches!(o.finding.status, Status::Pass | Status::Fail))
                .collect();
            let describe = |status: Status| -> Vec<String> {
                relevant
                    .iter()
                    .filter(|o| o.finding.status == status)
                    .map(|o| format!("{} on {}", o.finding.check, o.finding.subject))
                    .collect()
            };
            let failing = describe(Status::Fail);
            let passing = describe(Status::Pass);
            let in_transit = if !failing.is_empty() {
                InTransit::Unencrypted {
                    basis: Basis::Checks { findings: failing },
                }
            } else if flow.encrypted == Some(false) {
                InTransit::Unencrypted {
                    basis: Basis::Stated,
                }
            } else if !passing.is_empty() {
                InTransit::Encrypted {
                    basis: Basis::Checks { findings: passing },
                }
            } else if flow.encrypted == Some(true) {
                InTransit::Encrypted {
                    basis: Basis::Stated,
                }
            } else {
                InTransit::Unknown
            };
            FlowView {
                flow: flow.clone(),
                evidence: stored.evidence,
                unknown_endpoints,
                in_transit,
            }
        })
        .collect()
}
