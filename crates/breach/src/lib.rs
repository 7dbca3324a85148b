//! Breach notification clocks: from a breach scenario (who discovered it and when, how many
//! residents of each state, the exclusions, the safe harbour, a law-enforcement delay) to every
//! notice HIPAA (45 CFR 164.400–414) and the state laws in phiguard's data call for, each with
//! its recipient, jurisdiction, due date, citation and reason.
//! [`notices::draft`] then drafts each of those notices, as Markdown and HTML.
//!
//! The rules are data: `catalog/breach-notification-clocks.yaml`, compiled in and validated
//! by [`Rules::builtin`]. Pure: no clock, no files, no database; the caller gives "today".

mod days;
pub mod notices;
mod plan;
mod rules;
mod scenario;

pub use days::{add_business_days, add_calendar_days, annual_log_due, is_state_code, state_name};
pub use plan::{Note, Notice, Plan, Recipient, plan};
pub use rules::{
    Clock, Federal, HipaaClause, RegulatorDue, RegulatorRule, Rules, RulesError, Start, StateRule,
};
pub use scenario::{Delay, Exclusion, Role, Scenario, ScenarioError};
