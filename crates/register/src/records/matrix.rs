//! The responsibility matrix: who does what for each HIPAA control, the cloud provider or the
//! organisation (the shared-responsibility model the provider publishes).

use phiguard_core::ControlId;
use serde::{Deserialize, Serialize};

use super::{Record, id_problems};
use crate::Kind;

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
}

impl std::str::FromStr for Responsibility {
    type Err = String;

    /// Accepts the spellings providers' matrices use: `not applicable`, `N/A`, `inherited`.
    fn from_str(text: &str) -> Result<Responsibility, String> {
        let folded: String = text
            .trim()
            .to_ascii_lowercase()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect();
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "MatrixRow", into = "MatrixRow")]
pub struct ResponsibilityRecord {
    /// The control, `164.312(a)(2)(iv)`: the record's id, so it never changes.
    control: ControlId,
    pub responsibility: Responsibility,
    /// The person or team in the organisation who answers for it.
    pub owner: Option<String>,
    pub notes: Option<String>,
    /// Links to the evidence: the provider's attestation, a runbook, a ledger entry.
    pub evidence: Vec<String>,
    /// The text of `control`, kept so `id()` can lend it.
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
            notes: record.notes,
            evidence: record.evidence,
        }
    }
}

impl ResponsibilityRecord {
    pub fn control(&self) -> ControlId {
        self.control
    }

    pub fn new(control: ControlId, responsibility: Responsibility) -> ResponsibilityRecord {
        MatrixRow {
            control,
            responsibility,
            owner: None,
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
        problems
    }
}
