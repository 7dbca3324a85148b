//! phiguard's HIPAA catalog and assessment: where everything phiguard knows meets.
//!
//! - [`catalog`]: the regulation as data (`catalog/*.yaml` in the repository, compiled in):
//!   every Security Rule standard and implementation specification, the Breach Notification
//!   Rule's obligations and the opt-in `proposed-2025` profile, each with the checks, register
//!   records and attestations that evidence it.
//! - [`ranking`]: what to fix first, one order for every view.
//! - [`evaluate`]: findings, attestations and the responsibility matrix in, a status per
//!   control out (met, partial, not met, not applicable, unknown), with owner, evidence and
//!   remediation.
//! - [`history`]: an assessment as the ledger records it, and what changed since the
//!   previous one.
//! - The views of one [`Assessment`]: [`terminal`] (the scorecard), JSON (its serde form),
//!   [`spreadsheet`] (every control as CSV),
//!   [`html`] (a self-contained report) and [`oscal`] (OSCAL 1.1 assessment results and a
//!   plan of action and milestones).

pub mod catalog;
pub mod evaluate;
pub mod history;
pub mod html;
pub mod oscal;
pub mod ranking;
pub mod sources;
pub mod spreadsheet;
pub mod terminal;

pub use catalog::{Catalog, CatalogError, Control, ControlKind, Family, Profile, Requirement};
pub use evaluate::{
    Assessment, CloudAccount, ControlResult, ControlStatus, Inputs, LedgerCheckpoint, RiskOverview,
    SignOff, evaluate,
};

/// "1 finding", "2 findings": `count` with the word that agrees with it.
pub(crate) fn plural(count: usize, one: &str, many: &str) -> String {
    if count == 1 {
        format!("1 {one}")
    } else {
        format!("{count} {many}")
    }
}
