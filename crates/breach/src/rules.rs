//! The rules as data: `catalog/breach-notification-clocks.yaml`, read and validated.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_saphyr::{MessageFormatter, UserMessageFormatter};

use crate::days::is_state_code;

/// The most days a clock in the data may count: every period in the law is within a year.
const MAX_DAYS: u32 = 366;

/// Every federal rule and state law the plan applies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    pub federal: Federal,
    pub states: Vec<StateRule>,
}

/// A rule that only needs its citation (an exclusion, the safe harbour, a written delay).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cited {
    pub citation: String,
}

/// A notice due a number of calendar days after discovery, above an optional threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Timed {
    pub citation: String,
    pub calendar_days: u32,
    /// Due only when at least this many individuals are affected (in total).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_least: Option<u64>,
    /// Due only when more than this many residents of one state are affected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub more_than: Option<u64>,
}

/// The annual report to HHS of breaches that affected fewer than 500 individuals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Annual {
    pub citation: String,
    pub days_after_year_end: u32,
}

/// Substitute notice when contact information is missing or out of date for this many or
/// more individuals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Substitute {
    pub citation: String,
    pub at_least: u64,
    pub posting_days: u32,
    pub toll_free_days: u32,
}

/// The Breach Notification Rule, 45 CFR 164.400–414.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Federal {
    pub individuals: Timed,
    pub media: Timed,
    pub hhs_immediate: Timed,
    pub hhs_annual: Annual,
    pub business_associate: Timed,
    pub law_enforcement_written: Cited,
    pub law_enforcement_oral: Timed,
    pub substitute_few: Cited,
    pub substitute_many: Substitute,
    pub unintentional_workforce: Cited,
    pub inadvertent_disclosure: Cited,
    pub unable_to_retain: Cited,
    pub safe_harbour: Cited,
}

/// What a state's clock counts from. The scenario knows only the date of discovery: a clock
/// from detection, determination or confirmation is counted from it, the earliest such a date
/// can be, so the date given is never later than the law's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Start {
    Discovery,
    Detection,
    Determination,
    Confirmation,
}

impl Start {
    pub fn as_str(self) -> &'static str {
        match self {
            Start::Discovery => "discovery",
            Start::Detection => "detection",
            Start::Determination => "determination",
            Start::Confirmation => "confirmation",
        }
    }
}

/// A period: exactly one of `calendar_days` and `business_days` (Monday to Friday), counted
/// from `from` (discovery when left out).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Clock {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar_days: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub business_days: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Start>,
}

impl Clock {
    /// The date `start` plus this period.
    pub fn due(&self, start: jiff::civil::Date) -> jiff::civil::Date {
        match (self.calendar_days, self.business_days) {
            (_, Some(days)) => crate::add_business_days(start, days),
            (Some(days), None) => crate::add_calendar_days(start, days),
            (None, None) => start,
        }
    }

    /// "30 calendar days after discovery", "15 business days after detection (counted here
    /// from discovery, …) (Monday to Friday counted; …)".
    pub fn describe(&self) -> String {
        let from = match self.from.unwrap_or(Start::Discovery) {
            Start::Discovery => "discovery".to_owned(),
            other => format!(
                "{} (counted here from discovery, the earliest it can be)",
                other.as_str()
            ),
        };
        self.describe_after(&from)
    }

    /// The period after `event`: "5 business days after notifying HHS (Monday to Friday …)".
    pub fn describe_after(&self, event: &str) -> String {
        match (self.calendar_days, self.business_days) {
            (_, Some(days)) => format!(
                "{days} business days after {event} (Monday to Friday counted; public holidays \
                 are not taken out, so the law may allow a day or more past this date)"
            ),
            (Some(days), None) => format!("{days} calendar days after {event}"),
            (None, None) => format!("on the day of {event}"),
        }
    }

    fn problem(&self) -> Option<String> {
        match (self.calendar_days, self.business_days) {
            (Some(_), Some(_)) => Some("give calendar_days or business_days, not both".into()),
            (None, None) => Some("give calendar_days or business_days".into()),
            (Some(days), None) | (None, Some(days)) if days > MAX_DAYS => Some(format!(
                "{days} days is more than the {MAX_DAYS} a clock may count"
            )),
            _ => None,
        }
    }
}

/// When a state's regulator must be told.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegulatorDue {
    /// A period of its own.
    Clock(Clock),
    /// A period after the notice to HHS (New York's copy to its attorney general).
    AfterHhs(Clock),
    /// Before the individuals are notified (Maryland): due by their notice's date.
    BeforeIndividuals,
    /// The reference facts give no period: due with the individual notice at the latest,
    /// marked for counsel review.
    Unstated,
}

/// A state's notice to its regulator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegulatorRule {
    /// Who is told.
    pub to: String,
    /// Due only when at least this many residents are affected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_least: Option<u64>,
    /// Due only when more than this many residents are affected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub more_than: Option<u64>,
    pub due: RegulatorDue,
}

impl RegulatorRule {
    /// Whether `residents` affected in the state call for this notice.
    pub fn applies_to(&self, residents: u64) -> bool {
        self.at_least.is_none_or(|n| residents >= n) && self.more_than.is_none_or(|n| residents > n)
    }

    /// "500 or more residents call for it", "more than 1000 …", "any number calls for it".
    pub fn threshold(&self) -> String {
        match (self.at_least, self.more_than) {
            (Some(n), _) => format!("{n} or more residents call for it"),
            (None, Some(n)) => format!("more than {n} residents call for it"),
            (None, None) => "any number calls for it".into(),
        }
    }
}

/// Whether the state deems a covered entity that complies with HIPAA's breach rule compliant
/// with its own notice to individuals for PHI.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HipaaClause {
    /// It does, by the cited provision: the state's own clock for individuals does not apply
    /// to a covered entity's PHI; its regulator notice still does.
    DeemsCompliant { citation: String, note: String },
    /// phiguard's data does not say: the state's clock is applied and marked for counsel review.
    Unknown,
}

/// One state's breach law.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateRule {
    /// Postal code, such as `CA`.
    pub code: String,
    pub name: String,
    pub citation: String,
    /// Who the law binds, when not every holder of residents' personal information.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applies_to: Option<String>,
    /// The notice to affected residents.
    pub individuals: Clock,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regulator: Option<RegulatorRule>,
    pub hipaa_clause: HipaaClause,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RulesError {
    #[error("breach notification rules, {file}: {reason}")]
    Invalid { file: String, reason: String },
}

const BUILTIN_FILE: &str = "breach-notification-clocks.yaml";
const BUILTIN: &str = include_str!("../../../catalog/breach-notification-clocks.yaml");

impl Rules {
    /// The rules compiled into phiguard, `catalog/breach-notification-clocks.yaml`.
    pub fn builtin() -> Result<Rules, RulesError> {
        Rules::parse(BUILTIN_FILE, BUILTIN)
    }

    /// Reads rules from YAML and checks them: unknown fields are errors (with their line),
    /// every citation is given, each clock counts calendar or business days and not both, a
    /// state appears once under its postal code, and a threshold is `at_least` or `more_than`.
    pub fn parse(file: &str, text: &str) -> Result<Rules, RulesError> {
        let invalid = |reason: String| RulesError::Invalid {
            file: file.to_owned(),
            reason,
        };
        let rules: Rules = serde_saphyr::from_str(text).map_err(|error| {
            let message = UserMessageFormatter.format_message(&error).into_owned();
            match error.location().map(|l| l.line()).filter(|&l| l > 0) {
                Some(line) => invalid(format!("line {line}: {message}")),
                None => invalid(message),
            }
        })?;
        rules.validate().map_err(invalid)?;
        Ok(rules)
    }

    /// The state law for the postal code `code`, if phiguard has one.
    pub fn state(&self, code: &str) -> Option<&StateRule> {
        self.states.iter().find(|state| state.code == code)
    }

    fn validate(&self) -> Result<(), String> {
        let f = &self.federal;
        let cited = [
            ("individuals", &f.individuals.citation),
            ("media", &f.media.citation),
            ("hhs_immediate", &f.hhs_immediate.citation),
            ("hhs_annual", &f.hhs_annual.citation),
            ("business_associate", &f.business_associate.citation),
            (
                "law_enforcement_written",
                &f.law_enforcement_written.citation,
            ),
            ("law_enforcement_oral", &f.law_enforcement_oral.citation),
            ("substitute_few", &f.substitute_few.citation),
            ("substitute_many", &f.substitute_many.citation),
            (
                "unintentional_workforce",
                &f.unintentional_workforce.citation,
            ),
            ("inadvertent_disclosure", &f.inadvertent_disclosure.citation),
            ("unable_to_retain", &f.unable_to_retain.citation),
            ("safe_harbour", &f.safe_harbour.citation),
        ];
        for (name, citation) in cited {
            if citation.trim().is_empty() {
                return Err(format!("federal.{name}: the citation is empty"));
            }
        }
        let periods = [
            ("individuals", f.individuals.calendar_days),
            ("media", f.media.calendar_days),
            ("hhs_immediate", f.hhs_immediate.calendar_days),
            ("hhs_annual", f.hhs_annual.days_after_year_end),
            ("business_associate", f.business_associate.calendar_days),
            ("law_enforcement_oral", f.law_enforcement_oral.calendar_days),
            ("substitute_many", f.substitute_many.posting_days),
            ("substitute_many", f.substitute_many.toll_free_days),
        ];
        for (name, days) in periods {
            if days == 0 || days > MAX_DAYS {
                return Err(format!(
                    "federal.{name}: {days} days; a period is 1 to {MAX_DAYS} days"
                ));
            }
        }
        if f.media.more_than.is_none() {
            return Err("federal.media: give more_than (residents of one state)".into());
        }
        if f.hhs_immediate.at_least.is_none() {
            return Err("federal.hhs_immediate: give at_least (individuals in total)".into());
        }
        let mut seen = BTreeSet::new();
        for state in &self.states {
            let name = &state.code;
            if !is_state_code(name) {
                return Err(format!(
                    "state {name:?}: not the postal code of a state or territory"
                ));
            }
            if !seen.insert(name.clone()) {
                return Err(format!("state {name}: listed twice"));
            }
            if state.citation.trim().is_empty() || state.name.trim().is_empty() {
                return Err(format!("state {name}: the name and citation must be given"));
            }
            if let Some(problem) = state.individuals.problem() {
                return Err(format!("state {name}: individuals: {problem}"));
            }
            if let Some(regulator) = &state.regulator {
                if regulator.at_least.is_some() && regulator.more_than.is_some() {
                    return Err(format!(
                        "state {name}: regulator: give at_least or more_than, not both"
                    ));
                }
                if regulator.to.trim().is_empty() {
                    return Err(format!("state {name}: regulator: say who is told (to)"));
                }
                if let RegulatorDue::Clock(clock) | RegulatorDue::AfterHhs(clock) = &regulator.due
                    && let Some(problem) = clock.problem()
                {
                    return Err(format!("state {name}: regulator: {problem}"));
                }
            }
            if let HipaaClause::DeemsCompliant { citation, .. } = &state.hipaa_clause
                && citation.trim().is_empty()
            {
                return Err(format!("state {name}: hipaa_clause: the citation is empty"));
            }
        }
        Ok(())
    }
}
