//! The responsibility matrix: who does what for each HIPAA control, the cloud provider or the
//! organisation (the shared-responsibility model the provider publishes).

use phiguard_core::ControlId;
use serde::{Deserialize, Serialize};

use super::{Record, id_problems};
use crate::Kind;
use crate::draft::{Choices, Form};

/// Who carries a control.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Responsibility {
    Provider,
    Customer,
    Shared,
    NotApplicable,
}

impl Responsibility {
    pub const ALL: [Responsibility; 4] = [
        Responsibility::Provider,
        Responsibility::Customer,
        Responsibility::Shared,
        Responsibility::NotApplicable,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Responsibility::Provider => "provider",
            Responsibility::Customer => "customer",
            Responsibility::Shared => "shared",
            Responsibility::NotApplicable => "not-applicable",
        }
    }

    /// Whether the organisation itself must do (part of) the work, and so needs an owner.
    pub fn needs_owner(self) -> bool {
        matches!(self, Responsibility::Customer | Responsibility::Shared)
    }

    /// Whether a provider does (part of) the work, and so a vendor carries it.
    pub fn involves_provider(self) -> bool {
        matches!(self, Responsibility::Provider | Responsibility::Shared)
    }
}

impl Choices for Responsibility {
    fn all() -> &'static [Responsibility] {
        &Responsibility::ALL
    }
}

impl std::str::FromStr for Responsibility {
    type Err = String;

    /// Accepts the spellings providers' matrices use: `not applicable`, `N/A`, `inherited`.
    fn from_str(text: &str) -> Result<Responsibility, String> {
        let folded = phiguard_core::spelling::fold(text);
        match folded.as_str() {
            "provider" | "inherited" | "csp" => Ok(Responsibility::Provider),
            "customer" => Ok(Responsibility::Customer),
            "shared" => Ok(Responsibility::Shared),
            "notapplicable" | "na" | "none" => Ok(Responsibility::NotApplicable),
            _ => Err(format!(
                "{text:?} is not a responsibility; use provider, customer, shared or not-applicable"
            )),
        }
    }
}

/// One row of the matrix; its id is the control's citation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Form)]
#[serde(from = "MatrixRow", into = "MatrixRow")]
#[record(
    about = "Who carries one HIPAA control: the provider (name the vendor with --vendor), you, or both; its id is the citation.",
    example_id = "164.312(a)(2)(iv)",
    add = "phiguard register responsibility add '164.312(a)(2)(iv)' --responsibility shared --owner 'Platform team' --vendor acme-cloud",
    update = "phiguard register responsibility update '164.312(a)(2)(iv)' --owner 'Dana (CISO)' --evidence https://wiki.example/kms",
    see_also = "`phiguard matrix`"
)]
pub struct ResponsibilityRecord {
    /// The control, `164.312(a)(2)(iv)`: the record's id, so it never changes.
    #[field(id)]
    control: ControlId,
    /// provider, customer, shared or not-applicable.
    pub responsibility: Responsibility,
    /// The person or team in the organisation who answers for it.
    #[field(help = "The person or team who answers for the control")]
    pub owner: Option<String>,
    /// The vendor (its register id) that carries the control, for a provider or shared row:
    /// what lets the control's inheritance be traced to a BAA and an assurance report.
    #[field(
        refers = Vendor,
        help = "The vendor's id, for a provider or shared control: who carries it"
    )]
    pub vendor: Option<String>,
    /// How the control is carried, or why it does not apply.
    pub notes: Option<String>,
    /// Links to the evidence: the provider's attestation, a runbook, a ledger entry.
    #[field(
        optional,
        value_name = "LINK",
        help = "A link to evidence (repeatable)"
    )]
    pub evidence: Vec<String>,
    /// The text of `control`, kept so `id()` can lend it.
    #[field(skip)]
    id: String,
}

/// The stored and exported shape of a [`ResponsibilityRecord`]: the id is the control, so it
/// is not written twice.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct MatrixRow {
    control: ControlId,
    responsibility: Responsibility,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    vendor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    notes: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    evidence: Vec<String>,
}

impl From<MatrixRow> for ResponsibilityRecord {
    fn from(row: MatrixRow) -> ResponsibilityRecord {
        ResponsibilityRecord {
            id: row.control.to_string(),
            control: row.control,
            responsibility: row.responsibility,
            owner: row.owner,
            vendor: row.vendor,
            notes: row.notes,
            evidence: row.evidence,
        }
    }
}

impl From<ResponsibilityRecord> for MatrixRow {
    fn from(record: ResponsibilityRecord) -> MatrixRow {
        MatrixRow {
            control: record.control,
            responsibility: record.responsibility,
            owner: record.owner,
            vendor: record.vendor,
            notes: record.notes,
            evidence: record.evidence,
        }
    }
}

impl ResponsibilityRecord {
    pub fn control(&self) -> ControlId {
        self.control
    }

    /// Whether a provider carries the control, alone or shared, but the row names no vendor:
    /// then nothing ties the control to a BAA or an assurance report.
    pub fn lacks_vendor(&self) -> bool {
        self.responsibility.involves_provider() && self.vendor.is_none()
    }

    pub fn new(control: ControlId, responsibility: Responsibility) -> ResponsibilityRecord {
        MatrixRow {
            control,
            responsibility,
            owner: None,
            vendor: None,
            notes: None,
            evidence: Vec::new(),
        }
        .into()
    }
}

impl Record for ResponsibilityRecord {
    const KIND: Kind = Kind::Responsibility;

    fn id(&self) -> &str {
        &self.id
    }

    fn problems(&self) -> Vec<String> {
        let mut problems = id_problems("control", &self.id);
        if self.owner.as_deref().is_some_and(|o| o.trim().is_empty()) {
            problems.push("`owner` is empty; leave it out or name a person or team".into());
        }
        match self.vendor.as_deref() {
            Some(vendor) if vendor.trim().is_empty() => problems
                .push("`vendor` is empty; leave it out or give the id of the vendor that carries the control".into()),
            Some(vendor) if !self.responsibility.involves_provider() => problems.push(format!(
                "it names vendor {vendor:?} but is marked {}; only a provider or shared control \
                 is carried by a vendor, so remove the vendor (`--unset vendor`) or mark the \
                 control provider or shared",
                self.responsibility.as_str()
            )),
            _ => {}
        }
        problems
    }

    fn references(&self) -> Vec<(Kind, &str)> {
        self.vendor
            .iter()
            .filter(|vendor| !vendor.trim().is_empty())
            .map(|vendor| (Kind::Vendor, vendor.as_str()))
            .collect()
    }
}
