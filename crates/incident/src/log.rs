//! The breach log for HHS's annual report (164.408(c)): every breach affecting fewer than 500
//! individuals discovered in a calendar year, reported to HHS no later than 60 days after the
//! year ends.
//!
//! Which incidents belong in it is the plan's decision, not a second count here: an incident
//! is logged when its plan gives HHS the annual notice. So an incident assessed as no breach,
//! or as a low probability of compromise, is left out, and one not assessed yet is logged as
//! a presumed breach, marked so.

use std::collections::BTreeMap;

use jiff::civil::Date;
use phiguard_breach::{Recipient, Rules, annual_log_due};
use phiguard_register::Snapshot;
use phiguard_register::records::PhiKind;
use serde::Serialize;

use crate::deadlines::{self, Standing};

/// One breach in the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogEntry {
    pub incident: String,
    pub title: String,
    pub discovered: Date,
    pub occurred_from: Option<Date>,
    pub occurred_to: Option<Date>,
    pub affected: u64,
    pub affected_by_state: BTreeMap<String, u64>,
    pub phi: Vec<PhiKind>,
    /// `not_assessed` entries are presumed breaches: assess them before the report is filed.
    pub standing: Standing,
    /// The day individuals were notified, when a notice to them is recorded.
    pub individuals_notified: Option<Date>,
    /// The day the breach was reported to HHS, when that notice is recorded.
    pub reported_to_hhs: Option<Date>,
    /// What was done in response: the timeline's containment, mitigation, eradication and
    /// recovery entries, oldest first.
    pub actions: Vec<String>,
}

/// The log of one calendar year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AnnualLog {
    pub year: i16,
    pub citation: String,
    /// The last day to report the year's log to HHS.
    pub due: Date,
    pub entries: Vec<LogEntry>,
}

impl AnnualLog {
    /// Entries not yet reported to HHS.
    pub fn unreported(&self) -> impl Iterator<Item = &LogEntry> {
        self.entries.iter().filter(|e| e.reported_to_hhs.is_none())
    }
}

/// The log of breaches discovered in `year`, in order of discovery.
pub fn annual(rules: &Rules, snapshot: &Snapshot, year: i16) -> AnnualLog {
    let annual = &rules.federal.hhs_annual;
    let first_day = Date::new(year, 1, 1).unwrap_or(Date::MIN);
    let mut entries: Vec<LogEntry> = snapshot
        .incidents
        .values()
        .map(|stored| &stored.record)
        .filter(|incident| incident.discovered_day().year() == year)
        .filter_map(|incident| {
            // The day only shifts days left, which the log does not show.
            let deadlines = deadlines::deadlines(rules, snapshot, incident, first_day);
            let hhs = deadlines.deadlines.iter().find(|d| {
                d.notice.recipient == Recipient::Hhs && d.notice.citation == annual.citation
            })?;
            let individuals_notified = deadlines
                .deadlines
                .iter()
                .find(|d| d.notice.recipient == Recipient::Individuals)
                .and_then(|d| d.given.as_ref())
                .map(|g| g.sent);
            let actions: Vec<String> = crate::timeline_of(snapshot, &incident.id)
                .into_iter()
                .filter(|event| event.phase.is_action())
                .map(|event| event.note.clone())
                .collect();
            Some(LogEntry {
                incident: incident.id.clone(),
                title: incident.title.clone(),
                discovered: incident.discovered_day(),
                occurred_from: incident.occurred_from,
                occurred_to: incident.occurred_to,
                affected: incident.total_affected(),
                affected_by_state: incident.affected_by_state(),
                phi: incident.phi.clone(),
                standing: deadlines.standing,
                individuals_notified,
                reported_to_hhs: hhs.given.as_ref().map(|g| g.sent),
                actions,
            })
        })
        .collect();
    entries.sort_by(|a, b| (a.discovered, &a.incident).cmp(&(b.discovered, &b.incident)));
    AnnualLog {
        year,
        citation: annual.citation.clone(),
        due: annual_log_due(first_day, annual.days_after_year_end),
        entries,
    }
}
