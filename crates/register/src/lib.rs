//! phiguard's compliance register: the records HIPAA expects an organisation to keep, which no
//! machine can observe: vendors, their business associate agreements and the auditors'
//! reports on them, the responsibility matrix shared with a cloud provider, the workforce and
//! its training, access grants and their reviews, service levels and restore tests.
//!
//! - [`records`]: one type per kind of record, each with its own validation.
//! - [`Kind`], [`AnyRecord`], [`Snapshot`]: the list of kinds, and the register in memory.
//! - [`draft`]: each kind's fields described on its record type, and records drafted from
//!   values given field by field (the command line's flags).
//! - [`plan`] and [`Register`]: changes checked as a set, then written in one transaction with
//!   the ledger entries that record them, so every create, update and delete is in the
//!   tamper-evident ledger with who made it, when, and the record before and after.
//!   [`Register`], the register in the database, is behind the `store` feature (on by
//!   default); everything else here builds without a database.
//! - [`checks`]: the rules, as checks whose findings cite the ledger entries of the records
//!   they judged.
//! - [`exchange`]: the register as YAML files (kept in git) and the responsibility matrix as
//!   CSV (as providers publish it).

// The derive in `draft` names this crate by its name, as every other crate does.
extern crate self as phiguard_register;

mod change;
pub mod checks;
pub mod draft;
mod error;
pub mod exchange;
mod kinds;
pub mod records;
#[cfg(feature = "store")]
mod store;

pub use change::{Action, Change, Planned, plan};
pub use error::{FileProblem, Problem, RegisterError};
pub use kinds::{AnyRecord, Kind, Snapshot, Stored, Tampered};
#[cfg(feature = "store")]
pub use store::{Applied, CHANGE_EVIDENCE_KIND, HistoryEntry, Register};
