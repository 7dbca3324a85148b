//! Everything the risk analysis knows on a day ([`Picture`]), and the analysis as a document
//! ([`Analysis`]): scope, method, assets, flows, vulnerabilities, risks and the treatment plan,
//! with a digest that the register's `risk-analysis` record keeps and the sign-off names.

use std::collections::BTreeMap;

use jiff::Timestamp;
use jiff::civil::Date;
use phiguard_core::{EvidenceRef, Finding};
use phiguard_register::Snapshot;
use phiguard_register::records::RiskAnalysis;
use serde::{Deserialize, Serialize};

use crate::flows::{self, FlowView};
use crate::inventory::{self, AssetView, Discovered};
use crate::risks::{self, RiskView};
use crate::scoring;
use crate::threats::Threat;
use crate::vulnerabilities::{self, Observed, VulnerabilityView};

/// A risk analysis of the register, and whether the document it signs is the one the ledger
/// holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnalysisOnRecord {
    pub record: RiskAnalysis,
    pub evidence: Option<EvidenceRef>,
    /// `Ok` when the ledger holds a document whose digest is the record's; else why not.
    pub document: Result<(), String>,
}

impl AnalysisOnRecord {
    /// Signed, and its document is the ledger's.
    pub fn is_signed_and_intact(&self) -> bool {
        self.record.is_signed() && self.document.is_ok()
    }
}

/// What the analysis is built from.
#[derive(Debug, Clone)]
pub struct Inputs<'a> {
    /// The assets phiguard saw.
    pub discovered: Vec<Discovered>,
    /// The register, for what people recorded.
    pub snapshot: &'a Snapshot,
    /// The newest findings, each on the asset it concerns.
    pub observed: Vec<Observed>,
    /// The checks that judge encryption in transit.
    pub in_transit_checks: Vec<String>,
    /// For each analysis of the register, whether the ledger holds its document.
    pub documents: BTreeMap<String, Result<(), String>>,
    pub today: Date,
}

/// Everything known on a day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Picture {
    pub today: Date,
    pub assets: Vec<AssetView>,
    pub flows: Vec<FlowView>,
    pub vulnerabilities: Vec<VulnerabilityView>,
    pub risks: Vec<RiskView>,
    /// The analyses of the register, newest `as_of` first.
    pub analyses: Vec<AnalysisOnRecord>,
}

impl Picture {
    pub fn build(inputs: Inputs<'_>) -> Picture {
        let snapshot = inputs.snapshot;
        let assets = inventory::merge(inputs.discovered, &snapshot.assets);
        let checks: Vec<&str> = inputs
            .in_transit_checks
            .iter()
            .map(String::as_str)
            .collect();
        let flows = flows::views(&snapshot.flows, &assets, &inputs.observed, &checks);
        let mut vulnerabilities = vulnerabilities::from_findings(&inputs.observed);
        vulnerabilities.extend(vulnerabilities::from_records(
            &snapshot.vulnerabilities,
            inputs.today,
        ));
        let risks = risks::views(&snapshot.risks, &inputs.observed, inputs.today);
        let mut analyses: Vec<AnalysisOnRecord> = snapshot
            .risk_analyses
            .values()
            .map(|stored| AnalysisOnRecord {
                record: stored.record.clone(),
                evidence: stored.evidence,
                document: inputs
                    .documents
                    .get(&stored.record.id)
                    .cloned()
                    .unwrap_or_else(|| {
                        Err("its document was not looked for in the ledger".to_owned())
                    }),
            })
            .collect();
        analyses.sort_by(|a, b| {
            b.record
                .as_of
                .cmp(&a.record.as_of)
                .then_with(|| b.record.signed_on.cmp(&a.record.signed_on))
                .then_with(|| b.record.id.cmp(&a.record.id))
        });
        Picture {
            today: inputs.today,
            assets,
            flows,
            vulnerabilities,
            risks,
            analyses,
        }
    }

    /// The assets that create, receive, keep or send ePHI.
    pub fn ephi_assets(&self) -> impl Iterator<Item = &AssetView> {
        self.assets.iter().filter(|a| a.holds_ephi())
    }

    /// The newest analysis that is signed and whose document the ledger holds.
    pub fn newest_signed(&self) -> Option<&AnalysisOnRecord> {
        self.analyses
            .iter()
            .filter(|a| a.is_signed_and_intact())
            .max_by_key(|a| (a.record.signed_on, a.record.as_of))
    }

    pub fn asset(&self, id: &str) -> Option<&AssetView> {
        self.assets.iter().find(|a| a.id() == id)
    }
}

/// What a document says about itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Heading {
    pub id: String,
    /// The day it is for.
    pub as_of: Date,
    pub organization: Option<String>,
    pub scope: String,
    pub prepared_by: Option<String>,
    pub prepared_at: Timestamp,
}

/// A risk analysis as a document: what was known on its day, and how it was judged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    #[serde(flatten)]
    pub heading: Heading,
    /// The method's name and version.
    pub method: String,
    /// The method in words.
    pub method_text: String,
    pub assets: Vec<AssetView>,
    pub flows: Vec<FlowView>,
    pub vulnerabilities: Vec<VulnerabilityView>,
    pub risks: Vec<RiskView>,
    /// The threats the risks name, from the catalog.
    pub threats: Vec<Threat>,
    /// The risk checks' findings on the day: what was stale when it was prepared.
    pub findings: Vec<Finding>,
    pub phiguard_version: String,
}

impl Analysis {
    /// The document for `heading` from `picture`, with the threats its risks name and the
    /// risk checks' findings.
    pub fn new(
        heading: Heading,
        picture: &Picture,
        threats: &[Threat],
        findings: Vec<Finding>,
    ) -> Analysis {
        let named: Vec<Threat> = threats
            .iter()
            .filter(|t| picture.risks.iter().any(|r| r.risk.threat == t.id))
            .cloned()
            .collect();
        Analysis {
            heading,
            method: scoring::METHOD.to_owned(),
            method_text: scoring::METHOD_TEXT.to_owned(),
            assets: picture.assets.clone(),
            flows: picture.flows.clone(),
            vulnerabilities: picture.vulnerabilities.clone(),
            risks: picture.risks.clone(),
            threats: named,
            findings,
            phiguard_version: env!("CARGO_PKG_VERSION").to_owned(),
        }
    }

    /// The document as JSON, as recorded in the ledger.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    /// The document read back from the ledger.
    pub fn from_json(value: serde_json::Value) -> Result<Analysis, serde_json::Error> {
        serde_json::from_value(value)
    }

    /// The SHA-256 of the document: of its JSON in field order, which reading it back
    /// reproduces exactly, so the digest of a document taken from the ledger matches.
    pub fn digest(&self) -> String {
        let bytes = serde_json::to_vec(self).unwrap_or_default();
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &bytes);
        phiguard_core::hex::encode(digest.as_ref())
    }

    /// The assets that create, receive, keep or send ePHI.
    pub fn ephi_assets(&self) -> impl Iterator<Item = &AssetView> {
        self.assets.iter().filter(|a| a.holds_ephi())
    }

    /// The treatments still to do, soonest due first (those without a day last): the plan.
    pub fn treatment_plan(&self) -> Vec<&RiskView> {
        let mut open: Vec<&RiskView> = self.risks.iter().filter(|r| r.state.is_open()).collect();
        open.sort_by(|a, b| {
            let due = |r: &RiskView| r.risk.due.unwrap_or(Date::MAX);
            due(a)
                .cmp(&due(b))
                .then(b.residual.score.cmp(&a.residual.score))
                .then_with(|| a.risk.id.cmp(&b.risk.id))
        });
        open
    }

    /// The risks, worst residual first.
    pub fn risks_by_residual(&self) -> Vec<&RiskView> {
        let mut risks: Vec<&RiskView> = self.risks.iter().collect();
        risks.sort_by(|a, b| {
            b.residual
                .level
                .cmp(&a.residual.level)
                .then(b.residual.score.cmp(&a.residual.score))
                .then_with(|| a.risk.id.cmp(&b.risk.id))
        });
        risks
    }
}

/// Who signed an analysis off, for the reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignOff {
    pub by: String,
    pub on: Date,
}
