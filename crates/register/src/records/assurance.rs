//! Assurance reports: an independent auditor's opinion on a vendor's controls over a period
//! (SOC 2 Type II, HITRUST r2, ISO 27001, FedRAMP). They are the evidence that a control the
//! responsibility matrix leaves to a provider is in fact carried (45 CFR 164.308(b)(1),
//! 164.314(a)).

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::{
    Document, Record, add_months, id_problems, require_document, require_order, require_text,
};
use crate::Kind;
use crate::draft::{Choices, Form};

/// How long a report counts after the end of the period it covers. Auditors examine a period
/// and vendors publish a new report about once a year, so a report older than that describes
/// controls nobody has looked at since.
pub const ASSURANCE_VALID_MONTHS: u32 = 12;

/// The framework a report attests against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AssuranceKind {
    /// AICPA SOC 2 Type II: controls operating effectively over a period.
    #[serde(rename = "soc2-type2")]
    Soc2Type2,
    /// HITRUST r2 validated assessment.
    #[serde(rename = "hitrust-r2")]
    HitrustR2,
    /// ISO/IEC 27001 certification.
    Iso27001,
    /// FedRAMP authorisation, with its 3PAO assessment.
    Fedramp,
    Other,
}

impl AssuranceKind {
    pub const ALL: [AssuranceKind; 5] = [
        AssuranceKind::Soc2Type2,
        AssuranceKind::HitrustR2,
        AssuranceKind::Iso27001,
        AssuranceKind::Fedramp,
        AssuranceKind::Other,
    ];

    /// The name in files and on the command line: `soc2-type2`.
    pub fn as_str(self) -> &'static str {
        match self {
            AssuranceKind::Soc2Type2 => "soc2-type2",
            AssuranceKind::HitrustR2 => "hitrust-r2",
            AssuranceKind::Iso27001 => "iso27001",
            AssuranceKind::Fedramp => "fedramp",
            AssuranceKind::Other => "other",
        }
    }

    /// The name people use in a sentence: "SOC 2 Type II".
    pub fn title(self) -> &'static str {
        match self {
            AssuranceKind::Soc2Type2 => "SOC 2 Type II",
            AssuranceKind::HitrustR2 => "HITRUST r2",
            AssuranceKind::Iso27001 => "ISO 27001",
            AssuranceKind::Fedramp => "FedRAMP",
            AssuranceKind::Other => "assurance",
        }
    }
}

impl Choices for AssuranceKind {
    fn all() -> &'static [AssuranceKind] {
        &AssuranceKind::ALL
    }
}

impl std::str::FromStr for AssuranceKind {
    type Err = String;

    /// Accepts the spellings on vendors' trust pages: `SOC 2 Type II`, `soc2-type2`,
    /// `HITRUST r2`, `ISO/IEC 27001:2022`, `FedRAMP Moderate`.
    fn from_str(text: &str) -> Result<AssuranceKind, String> {
        let folded = phiguard_core::spelling::fold(text);
        match folded.as_str() {
            "soc2type2" | "soc2typeii" => Ok(AssuranceKind::Soc2Type2),
            "soc2type1" | "soc2typei" | "soc2" => Err(format!(
                "{text:?} does not say which SOC 2 report: a Type II report (soc2-type2) shows \
                 controls operating over a period, which is what counts; a Type I report \
                 describes them on one day only, so record it as `other` if at all"
            )),
            "hitrustr2" | "hitrustr2validated" => Ok(AssuranceKind::HitrustR2),
            "iso27001" | "isoiec27001" | "iso270012013" | "iso270012022" | "isoiec270012013"
            | "isoiec270012022" => Ok(AssuranceKind::Iso27001),
            fedramp if fedramp.starts_with("fedramp") => Ok(AssuranceKind::Fedramp),
            "other" => Ok(AssuranceKind::Other),
            _ => Err(format!(
                "{text:?} is not a kind of assurance report; use soc2-type2, hitrust-r2, \
                 iso27001, fedramp or other"
            )),
        }
    }
}

/// One report on one vendor, by the auditor that issued it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Form)]
#[serde(deny_unknown_fields)]
#[record(
    about = "An independent auditor's report on a vendor's controls (SOC 2 Type II, HITRUST r2, ISO 27001, FedRAMP); it counts for 12 months after its period ends.",
    example_id = "acme-cloud-soc2-2026",
    add = "phiguard register assurance add acme-cloud-soc2-2026 --vendor acme-cloud --kind soc2-type2 --period-start 2025-10-01 --period-end 2026-09-30 --issuer 'Example & Partners LLP' --scope 'object storage, us-east' --document acme-soc2.pdf",
    update = "phiguard register assurance update acme-cloud-soc2-2026 --scope 'object storage and backups, all regions'"
)]
pub struct AssuranceReport {
    pub id: String,
    /// The vendor's id.
    #[field(refers = Vendor)]
    pub vendor: String,
    /// soc2-type2, hitrust-r2, iso27001, fedramp or other.
    pub kind: AssuranceKind,
    /// The first day of the period the auditor examined.
    pub period_start: Date,
    /// The last day of that period; the report counts for [`ASSURANCE_VALID_MONTHS`] after it.
    #[field(help = "The last day of that period; the report counts for 12 months after it")]
    pub period_end: Date,
    /// Who issued it: the audit firm, the certification body, the 3PAO.
    #[field(help = "Who issued it: the audit firm, certification body or 3PAO")]
    pub issuer: String,
    /// What it covers: services, regions, systems. A report that does not cover the service
    /// used is no evidence for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[field(help = "What it covers: services, regions, systems")]
    pub scope: Option<String>,
    /// The report itself, by its SHA-256.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[field(help = "The report; its SHA-256 is recorded")]
    pub document: Option<Document>,
}

impl AssuranceReport {
    /// The last day the report counts.
    pub fn valid_until(&self) -> Date {
        add_months(self.period_end, ASSURANCE_VALID_MONTHS)
    }

    /// Whether the report counts on `day`: its period has ended, and not more than
    /// [`ASSURANCE_VALID_MONTHS`] ago.
    pub fn is_current_on(&self, day: Date) -> bool {
        self.period_end <= day && day <= self.valid_until()
    }
}

impl Record for AssuranceReport {
    const KIND: Kind = Kind::Assurance;

    fn id(&self) -> &str {
        &self.id
    }

    fn problems(&self) -> Vec<String> {
        let mut problems = id_problems("assurance report", &self.id);
        require_text(&mut problems, "issuer", &self.issuer);
        require_order(
            &mut problems,
            ("period_start", Some(self.period_start)),
            ("period_end", Some(self.period_end)),
        );
        if self.scope.as_deref().is_some_and(|s| s.trim().is_empty()) {
            problems.push("`scope` is empty; leave it out or say what the report covers".into());
        }
        require_document(&mut problems, "document", self.document.as_ref());
        problems
    }

    fn references(&self) -> Vec<(Kind, &str)> {
        vec![(Kind::Vendor, &self.vendor)]
    }
}
