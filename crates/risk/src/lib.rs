//! Risk analysis and risk management (45 CFR 164.308(a)(1)(ii)(A) and (B)) fed by evidence.
//!
//! The register keeps what people state (assets, flows, vulnerabilities, risks, analyses);
//! this crate works out the rest from what phiguard has seen, without storing anything:
//!
//! - [`inventory`]: the asset inventory, the assets phiguard saw (hosts it checked, cloud
//!   resources, vendors, systems, ePHI paths) merged with those people recorded, each saying
//!   where it came from and when it was last seen.
//! - [`flows`]: the flows of ePHI between assets, with what the in-transit checks of their
//!   endpoints say about encryption.
//! - [`vulnerabilities`]: failing findings attached to the assets they concern, and those
//!   people recorded.
//! - [`scoring`]: the method: likelihood and impact on a five-point scale combined into a
//!   level (NIST SP 800-30 Rev. 1, Table I-2).
//! - [`risks`]: each risk with its inherent and residual rating, the residual moving with the
//!   evidence of the checks named as its mitigation.
//! - [`threats`]: the threat catalog (`catalog/threats.yaml`).
//! - [`checks`]: when the analysis has gone stale, as findings.
//! - [`analysis`]: the analysis as a document for a day, its digest, and the reports
//!   ([`report`]: Markdown, HTML with an SVG network map, OSCAL POA&M).
//!
//! Pure: no database and no clock. The application gives it the evidence and "today".

pub mod analysis;
pub mod checks;
pub mod flows;
pub mod inventory;
pub mod report;
pub mod risks;
pub mod scoring;
pub mod threats;
pub mod vulnerabilities;

pub use analysis::Analysis;
pub use inventory::{AssetView, Discovered, Origin};
pub use risks::RiskView;
