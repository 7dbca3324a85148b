//! The types every part of phiguard speaks.
//!
//! phiguard's data flows one way:
//!
//! 1. **[`Evidence`]**: an observation (a package list, a firewall ruleset, a signed BAA
//!    recorded by a person) with its time and [`Source`].
//! 2. **The ledger** (the `ledger` crate): every piece of evidence is appended to a
//!    tamper-evident log and is thereafter named by an [`EvidenceRef`], its sequence number and
//!    leaf hash. Nothing in the ledger is edited.
//! 3. **[`Finding`]**: a [`Check`] judges evidence and reports, per subject, a [`Status`] and a
//!    [`Severity`], with references to the ledger entries it relied on.
//! 4. **Control status** (the `assess` crate): the catalog maps each HIPAA provision, named by a
//!    [`ControlId`] such as `164.312(a)(2)(iv)`, to [`CheckId`]s; their findings decide whether
//!    the control is met.
//!
//! This crate holds only these shared types and their validation, so every other crate can
//! depend on it without pulling in storage, crypto or I/O.

mod actor;
mod check;
mod check_id;
mod control;
mod evidence;
mod finding;
pub mod hex;
pub mod html;
pub mod oscal;
pub mod ports;
mod role;
mod severity;
pub mod spelling;
pub mod terminal;

pub use actor::{Actor, ActorError, OsAccount};
pub use check::{
    Check, CheckContext, CheckError, CheckMeta, FnCheck, Progress, Registry, RegistryError,
};
pub use check_id::{CheckId, CheckIdError, CheckIdErrorKind};
pub use control::{ControlId, ControlIdError, ControlIdErrorKind};
pub use evidence::{Evidence, Source};
pub use finding::{EvidenceRef, Finding, ParseStatusError, Status, StatusCounts};
pub use hex::HexError;
pub use role::OrganizationRole;
pub use severity::{ParseSeverityError, Severity};
pub use terminal::{Escaped, escape_controls};
