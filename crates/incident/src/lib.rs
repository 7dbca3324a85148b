//! Security incidents judged (45 CFR 164.308(a)(6), 164.400–414): the register keeps what
//! people record of an incident (the report, its timeline, the breach assessment, the notices
//! given); this crate works out what follows from those records, without storing anything.
//!
//! - [`deadlines`]: the incident as a breach scenario and every notice it calls for, each with
//!   the notice recorded against it, if any. Until an incident is assessed the deadlines run
//!   as for a breach: an impermissible use or disclosure is presumed one (164.402(2)).
//! - [`lateness`]: a business associate's report judged against its BAA's breach-notice window
//!   and its SLA's incident-notice hours.
//! - [`checks`]: the incident checks the register's checks run beside.
//! - [`log`]: the log of breaches affecting fewer than 500 for HHS's annual report (164.408(c)).
//! - [`affected`]: a list of affected individuals read from CSV and pseudonymised as it is read.
//!
//! Pure: no database and no clock. The application gives it a register snapshot and "today".

pub mod affected;
pub mod checks;
pub mod deadlines;
pub mod lateness;
pub mod log;
