//! The record types of the register, one module per area, and what every record shares: an
//! id, its own validation, and the other records it names.

mod access;
mod assurance;
mod attestation;
mod backups;
mod incidents;
mod matrix;
mod risks;
mod vendors;
mod words;
mod workforce;

use jiff::civil::Date;
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use access::{Decision, Grant, Review, ReviewDecision, Revocation};
pub use assurance::{ASSURANCE_VALID_MONTHS, AssuranceKind, AssuranceReport};
pub use attestation::{ATTESTATION_VALID_MONTHS, Attestation};
pub use backups::{RestoreResult, RestoreTest, Sla};
pub use incidents::{
    AffectedIndividual, BreachAssessment, BreachNotice, Conclusion, DelayKind, Incident,
    IncidentEvent, IncidentSource, IncidentStatus, Phase, PhiKind, Risk, StateCount,
};
pub use matrix::{Responsibility, ResponsibilityRecord};
pub use risks::{
    Asset, AssetType, Criticality, DataFlow, Level, RiskAnalysis, RiskRecord, SCALE, Treatment,
    Vulnerability,
};
pub use vendors::{Baa, BaaStatus, Document, PhiUse, Vendor};
pub use workforce::{Acknowledgment, Completion, Course, Person, Policy};

use crate::Kind;

/// One kind of record in the register.
pub trait Record:
    Serialize + DeserializeOwned + Clone + PartialEq + std::fmt::Debug + Send + Sync + 'static
{
    const KIND: Kind;

    /// The record's id, unique within its kind.
    fn id(&self) -> &str;

    /// What is wrong with the record on its own, each problem a sentence that says what to
    /// fix; empty when it is valid.
    fn problems(&self) -> Vec<String> {
        Vec::new()
    }

    /// The other records this one names, which must exist while it does.
    fn references(&self) -> Vec<(Kind, &str)> {
        Vec::new()
    }
}

/// Problems with an id: it names files in exports and arguments on command lines, so it must
/// be short, printable and free of path separators.
pub(crate) fn id_problems(what: &str, id: &str) -> Vec<String> {
    let mut problems = Vec::new();
    if id.trim().is_empty() {
        problems.push(format!(
            "the {what} id is empty; give it a short name such as `acme-cloud`"
        ));
    } else if id.len() > 128 {
        problems.push(format!(
            "the {what} id is {} characters long; keep it under 128",
            id.len()
        ));
    } else if id.trim() != id || id.chars().any(|c| c.is_control() || c == '/' || c == '\\') {
        problems.push(format!(
            "the {what} id {id:?} has spaces at its ends, control characters or slashes; use letters, digits, `-`, `_` and `.`"
        ));
    }
    problems
}

/// A problem when a required text field is empty.
pub(crate) fn require_text(problems: &mut Vec<String>, field: &str, value: &str) {
    if value.trim().is_empty() {
        problems.push(format!("`{field}` is empty; it is required"));
    }
}

/// A problem when `later` comes before `earlier`.
pub(crate) fn require_order(
    problems: &mut Vec<String>,
    earlier: (&str, Option<Date>),
    later: (&str, Option<Date>),
) {
    if let (Some(a), Some(b)) = (earlier.1, later.1)
        && b < a
    {
        problems.push(format!(
            "`{}` ({b}) is before `{}` ({a}); check the dates",
            later.0, earlier.0
        ));
    }
}

/// Whether `text` is a SHA-256 digest in lowercase hex.
pub(crate) fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A problem when a document's digest is not a SHA-256 in lowercase hex: phiguard records the
/// digest itself, so a bad one was typed or edited into a file by hand.
pub(crate) fn require_document(
    problems: &mut Vec<String>,
    field: &str,
    document: Option<&Document>,
) {
    if let Some(document) = document
        && !is_sha256_hex(&document.sha256)
    {
        problems.push(format!(
            "`{field}.sha256` {:?} is not 64 lowercase hex digits",
            document.sha256
        ));
    }
}

/// The date `months` calendar months after `date` (the 31st becomes the month's last day).
pub fn add_months(date: Date, months: u32) -> Date {
    date.checked_add(jiff::Span::new().months(i64::from(months)))
        .unwrap_or(Date::MAX)
}

/// The calendar day, in UTC, that `time` falls on: the register's dates are calendar days, and
/// every command and check judges them against the same day wherever it runs.
pub fn utc_day(time: jiff::Timestamp) -> Date {
    jiff::tz::Offset::UTC.to_datetime(time).date()
}
