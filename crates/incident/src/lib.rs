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

use phiguard_register::Snapshot;
use phiguard_register::records::{BreachAssessment, IncidentEvent};

/// The incident's breach assessment, if it has one. Its id is the incident's by convention;
/// one recorded by hand under another id counts too.
pub fn assessment_of<'a>(snapshot: &'a Snapshot, incident: &str) -> Option<&'a BreachAssessment> {
    snapshot
        .breach_assessments
        .get(incident)
        .map(|stored| &stored.record)
        .filter(|assessment| assessment.incident == incident)
        .or_else(|| {
            snapshot
                .breach_assessments
                .values()
                .map(|stored| &stored.record)
                .find(|assessment| assessment.incident == incident)
        })
}

/// The incident's response timeline, oldest first (entries of the same moment by id).
pub fn timeline_of<'a>(snapshot: &'a Snapshot, incident: &str) -> Vec<&'a IncidentEvent> {
    let mut events: Vec<&IncidentEvent> = snapshot
        .incident_events
        .values()
        .map(|stored| &stored.record)
        .filter(|event| event.incident == incident)
        .collect();
    events.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.id.cmp(&b.id)));
    events
}
