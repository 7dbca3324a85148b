//! Attestations: a person's signed statement that a control no machine can check is in place
//! (a facility security plan, a sanction policy applied, workstations used as policy says).

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::{Document, Record, add_months, id_problems, require_document, require_text};
use crate::Kind;
use crate::draft::Form;

/// How long an attestation stands before it must be made again.
pub const ATTESTATION_VALID_MONTHS: u32 = 12;

/// One control's current attestation; its id is the catalog id of the control. Attesting again
/// replaces it, and the ledger keeps every earlier one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Form)]
#[serde(deny_unknown_fields)]
#[record(
    about = "A person's statement that a control no machine can check is in place; it stands 12 months. Its id is the control.",
    example_id = "164.310(a)(2)(ii)",
    add = "phiguard register attestation add '164.310(a)(2)(ii)' --by 'Dana (CISO)' --statement 'Facility security plan reviewed and in force' --evidence facility-plan.pdf",
    update = "phiguard register attestation update '164.310(a)(2)(ii)' --date 2026-11-28",
    see_also = "`phiguard attest`"
)]
pub struct Attestation {
    /// The control attested to, as the catalog names it: `164.310(a)(2)(ii)`.
    #[field(id)]
    pub control: String,
    /// Who attests: a name and role.
    #[field(help = "Who attests: name and role")]
    pub by: String,
    /// What they attest, in their words.
    pub statement: String,
    /// The day of the attestation; it stands [`ATTESTATION_VALID_MONTHS`].
    #[field(
        default = today,
        help = "The day of the attestation [default for add: today]; it stands 12 months"
    )]
    pub date: Date,
    /// The document that backs it (the plan, the signed policy), by its SHA-256.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[field(help = "The document that backs it; its SHA-256 is recorded")]
    pub evidence: Option<Document>,
}

impl Attestation {
    /// The last day it stands.
    pub fn valid_until(&self) -> Date {
        add_months(self.date, ATTESTATION_VALID_MONTHS)
    }

    pub fn is_valid_on(&self, day: Date) -> bool {
        self.date <= day && day <= self.valid_until()
    }
}

impl Record for Attestation {
    const KIND: Kind = Kind::Attestation;

    fn id(&self) -> &str {
        &self.control
    }

    fn problems(&self) -> Vec<String> {
        let mut problems = id_problems("control", &self.control);
        require_text(&mut problems, "by", &self.by);
        require_text(&mut problems, "statement", &self.statement);
        require_document(&mut problems, "evidence", self.evidence.as_ref());
        problems
    }
}
