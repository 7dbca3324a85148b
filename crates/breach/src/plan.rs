//! The notification plan: every notice a scenario calls for, by the rules.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::days::{add_calendar_days, annual_log_due};
use crate::rules::{HipaaClause, RegulatorDue, Rules, StateRule};
use crate::scenario::{Delay, Exclusion, Role, Scenario};

/// Who is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Recipient {
    Individuals,
    SubstituteNotice,
    Media,
    Hhs,
    CoveredEntity,
    StateRegulator,
}

impl Recipient {
    pub const ALL: [Recipient; 6] = [
        Recipient::Individuals,
        Recipient::SubstituteNotice,
        Recipient::Media,
        Recipient::Hhs,
        Recipient::CoveredEntity,
        Recipient::StateRegulator,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Recipient::Individuals => "individuals",
            Recipient::SubstituteNotice => "substitute_notice",
            Recipient::Media => "media",
            Recipient::Hhs => "hhs",
            Recipient::CoveredEntity => "covered_entity",
            Recipient::StateRegulator => "state_regulator",
        }
    }
}

impl std::str::FromStr for Recipient {
    type Err = String;

    /// The names `--json` prints, with `-` or `_`: `state-regulator`, `covered_entity`.
    fn from_str(text: &str) -> Result<Recipient, String> {
        let wanted = text.trim().to_ascii_lowercase().replace('-', "_");
        Recipient::ALL
            .into_iter()
            .find(|r| r.as_str() == wanted)
            .ok_or_else(|| {
                format!(
                    "{text:?} is not a recipient of a breach notice; use individuals, \
                     substitute_notice, media, hhs, covered_entity or state_regulator"
                )
            })
    }
}

/// One notice, due by a date, on the authority of a citation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notice {
    pub recipient: Recipient,
    /// The state's postal code for a state law's notice or the media of a state; `None` for a
    /// federal notice that is not about one state.
    pub jurisdiction: Option<String>,
    /// The last day it may be given.
    pub due: Date,
    pub citation: String,
    /// Why it is due and by when, in plain words.
    pub reason: String,
    /// Days from "today" to the due date; negative once it has passed.
    pub days_left: i64,
    /// The rule behind it has a point phiguard's data leaves open (a state's HIPAA exemption,
    /// a regulator's timing): have counsel confirm it.
    pub counsel_review: bool,
}

/// Something the plan must say besides its notices: why there are none (an exclusion, the
/// safe harbour), a state phiguard has no law for, a state that defers to HIPAA.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note {
    pub citation: Option<String>,
    pub text: String,
}

/// Every notice a scenario calls for, earliest first, and what else must be said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub notices: Vec<Notice>,
    pub notes: Vec<Note>,
}

/// "1 Ohio resident is affected", "120 Ohio residents are affected".
fn residents_affected(count: u64, state: &str) -> String {
    if count == 1 {
        format!("1 {state} resident is affected")
    } else {
        format!("{count} {state} residents are affected")
    }
}

/// Builds notices with one "today" and one law-enforcement delay.
struct Builder<'a> {
    rules: &'a Rules,
    scenario: &'a Scenario,
    today: Date,
    plan: Plan,
}

impl Builder<'_> {
    fn push(
        &mut self,
        recipient: Recipient,
        jurisdiction: Option<&str>,
        due: Date,
        citation: &str,
        reason: String,
        counsel_review: bool,
    ) {
        let days_left = due
            .since(self.today)
            .map(|span| i64::from(span.get_days()))
            .unwrap_or_default();
        self.plan.notices.push(Notice {
            recipient,
            jurisdiction: jurisdiction.map(str::to_owned),
            due,
            citation: citation.to_owned(),
            reason,
            days_left,
            counsel_review,
        });
    }

    fn note(&mut self, citation: Option<&str>, text: String) {
        self.plan.notes.push(Note {
            citation: citation.map(str::to_owned),
            text,
        });
    }

    /// A federal notice's due date once a law-enforcement delay is applied (164.412): a notice
    /// due before the delay ends is due when it ends. The reason says so.
    fn delayed(&self, due: Date, reason: &mut String) -> Date {
        let federal = &self.rules.federal;
        let (end, how) = match self.scenario.law_enforcement_delay {
            None => return due,
            Some(Delay::Written { until }) => (
                until,
                format!(
                    "a written law-enforcement statement delays it to {until} ({})",
                    federal.law_enforcement_written.citation
                ),
            ),
            Some(Delay::Oral { stated }) => {
                let days = federal.law_enforcement_oral.calendar_days;
                let end = add_calendar_days(stated, days);
                (
                    end,
                    format!(
                        "an oral law-enforcement statement of {stated} delays it at most {days} \
                         days, to {end}, unless a written statement follows in that time ({})",
                        federal.law_enforcement_oral.citation
                    ),
                )
            }
        };
        if end > due {
            reason.push_str(&format!(
                "; {how}, so it is due when the delay ends, not on {due}"
            ));
            end
        } else {
            reason.push_str(&format!(
                "; the law-enforcement delay ends on {end}, before this date, so it does not \
                 move it"
            ));
            due
        }
    }

    fn covered_entity(&mut self) {
        let federal = &self.rules.federal;
        let scenario = self.scenario;
        let discovered = scenario.discovered;
        let total = scenario.total_affected();

        let rule = &federal.individuals;
        let mut reason = format!(
            "notify each of the {total} affected individuals without unreasonable delay and at \
             most {} calendar days after discovery on {discovered}",
            rule.calendar_days
        );
        let individuals_due = self.delayed(
            add_calendar_days(discovered, rule.calendar_days),
            &mut reason,
        );
        self.push(
            Recipient::Individuals,
            None,
            individuals_due,
            &rule.citation,
            reason,
            false,
        );

        match scenario.insufficient_contacts {
            Some(count) if count >= federal.substitute_many.at_least => {
                let rule = &federal.substitute_many;
                let reason = format!(
                    "contact information is insufficient or out of date for {count} individuals \
                     ({} or more): post the notice conspicuously on your home page for {} days or \
                     give it to major print or broadcast media where they are likely to live, \
                     with a toll-free number active for at least {} days; due with the notice to \
                     individuals",
                    rule.at_least, rule.posting_days, rule.toll_free_days
                );
                self.push(
                    Recipient::SubstituteNotice,
                    None,
                    individuals_due,
                    &rule.citation,
                    reason,
                    false,
                );
            }
            Some(count) if count > 0 => {
                let reason = format!(
                    "contact information is insufficient or out of date for {count} individuals \
                     (fewer than {}): reach them by another written notice, by telephone or by \
                     other means; due with the notice to individuals",
                    federal.substitute_many.at_least
                );
                self.push(
                    Recipient::SubstituteNotice,
                    None,
                    individuals_due,
                    &federal.substitute_few.citation,
                    reason,
                    false,
                );
            }
            _ => {}
        }

        let media = &federal.media;
        let over = media.more_than.unwrap_or(500);
        for (code, &count) in &scenario.affected {
            if count > over {
                let mut reason = format!(
                    "{count} residents of {code} are affected, more than {over}: notify prominent \
                     media outlets serving {code} within {} calendar days of discovery",
                    media.calendar_days
                );
                let due = self.delayed(
                    add_calendar_days(discovered, media.calendar_days),
                    &mut reason,
                );
                self.push(
                    Recipient::Media,
                    Some(code),
                    due,
                    &media.citation,
                    reason,
                    false,
                );
            }
        }

        let immediate = &federal.hhs_immediate;
        let at_least = immediate.at_least.unwrap_or(500);
        let hhs_due = if total >= at_least {
            let mut reason = format!(
                "{total} individuals are affected in all, {at_least} or more: notify the \
                 Secretary of HHS (breach portal) at the same time as the individuals, within {} \
                 calendar days of discovery",
                immediate.calendar_days
            );
            let due = self.delayed(
                add_calendar_days(discovered, immediate.calendar_days),
                &mut reason,
            );
            self.push(
                Recipient::Hhs,
                None,
                due,
                &immediate.citation,
                reason,
                false,
            );
            due
        } else {
            let annual = &federal.hhs_annual;
            let mut reason = format!(
                "{total} individuals are affected in all, fewer than {at_least}: log the breach \
                 and report it to HHS no later than {} days after the end of {}, the calendar \
                 year of discovery",
                annual.days_after_year_end,
                discovered.year()
            );
            let due = self.delayed(
                annual_log_due(discovered, annual.days_after_year_end),
                &mut reason,
            );
            self.push(Recipient::Hhs, None, due, &annual.citation, reason, false);
            due
        };

        for (code, &count) in &scenario.affected {
            if count == 0 {
                continue;
            }
            match self.rules.state(code) {
                Some(state) => self.state(state, count, individuals_due, hhs_due),
                None => self.note(
                    None,
                    format!(
                        "{code}: phiguard has no {code} breach law in its data; the federal \
                         notices above stand, and counsel should check {code}'s own law"
                    ),
                ),
            }
        }
    }

    /// A state's notices to its residents and its regulator, for a covered entity.
    fn state(&mut self, state: &StateRule, count: u64, federal_individuals: Date, hhs_due: Date) {
        let discovered = self.scenario.discovered;
        let code = state.code.as_str();
        let applies = state
            .applies_to
            .as_ref()
            .map(|who| format!(" (binds {who}: only if that is you)"))
            .unwrap_or_default();
        let delay_note = if self.scenario.law_enforcement_delay.is_some() {
            "; the federal law-enforcement delay (164.412) does not move a state's clock here: \
             check the state's own provision"
        } else {
            ""
        };
        let individuals_due = match &state.hipaa_clause {
            HipaaClause::DeemsCompliant { citation, note } => {
                self.note(
                    Some(citation),
                    format!(
                        "{code}: no separate notice to {} residents: {note}",
                        state.name
                    ),
                );
                federal_individuals
            }
            HipaaClause::Unknown => {
                let due = state.individuals.due(discovered);
                let reason = format!(
                    "{}: notify them within {}{applies}; \
                     phiguard's data does not say whether {} treats a HIPAA-compliant covered \
                     entity as compliant, so the state's clock is applied (counsel review){delay_note}",
                    residents_affected(count, &state.name),
                    state.individuals.describe(),
                    state.name
                );
                self.push(
                    Recipient::Individuals,
                    Some(code),
                    due,
                    &state.citation,
                    reason,
                    true,
                );
                due
            }
        };
        let Some(regulator) = &state.regulator else {
            return;
        };
        if !regulator.applies_to(count) {
            return;
        }
        let who = format!(
            "{} ({}): notify the {}",
            residents_affected(count, &state.name),
            regulator.threshold(),
            regulator.to
        );
        let (due, when, counsel) = match &regulator.due {
            RegulatorDue::Clock(clock) => (
                clock.due(discovered),
                format!("within {}", clock.describe()),
                false,
            ),
            RegulatorDue::AfterHhs(clock) => (
                clock.due(hhs_due),
                format!(
                    "within {} (HHS is due {hhs_due})",
                    clock.describe_after("notifying HHS")
                ),
                false,
            ),
            RegulatorDue::BeforeIndividuals => (
                individuals_due,
                "before notifying the individuals, so by their notice's date at the latest".into(),
                false,
            ),
            RegulatorDue::Unstated => (
                individuals_due,
                "phiguard's data gives no period, so this is the date of the notice to \
                 individuals (counsel review)"
                    .into(),
                true,
            ),
        };
        // A notice that follows HHS's moves with it; a clock of the state's own does not.
        let delay_note = match regulator.due {
            RegulatorDue::AfterHhs(_) => "",
            _ => delay_note,
        };
        let reason = format!("{who}, {when}{applies}{delay_note}");
        self.push(
            Recipient::StateRegulator,
            Some(code),
            due,
            &state.citation,
            reason,
            counsel,
        );
    }

    fn business_associate(&mut self) {
        let rule = &self.rules.federal.business_associate;
        let discovered = self.scenario.discovered;
        let total = self.scenario.total_affected();
        let (days, window) = match self.scenario.baa_window_days {
            Some(window) if window < rule.calendar_days => (
                window,
                format!(
                    "the BAA's window of {window} days, shorter than the rule's {}",
                    rule.calendar_days
                ),
            ),
            Some(window) => (
                rule.calendar_days,
                format!(
                    "{} calendar days (the BAA's {window} days cannot extend the rule's limit)",
                    rule.calendar_days
                ),
            ),
            None => (
                rule.calendar_days,
                format!("{} calendar days", rule.calendar_days),
            ),
        };
        let mut reason = format!(
            "as a business associate, tell the covered entity of the breach ({total} individuals, \
             each identified where possible) without unreasonable delay and within {window} of \
             discovery on {discovered}; the covered entity gives the notices to individuals, \
             media and HHS"
        );
        let due = self.delayed(add_calendar_days(discovered, days), &mut reason);
        self.push(
            Recipient::CoveredEntity,
            None,
            due,
            &rule.citation,
            reason,
            false,
        );
    }
}

/// The notification plan for `scenario` under `rules`, with days left counted from `today`.
///
/// An exclusion or the safe harbour gives no notices, and a note that says why with its
/// citation. A business associate's plan is its notice to the covered entity. A covered
/// entity's is the notice to individuals (with substitute notice when contacts are missing),
/// the media of each state with more than 500 residents affected, HHS (at once for 500 or
/// more, else in the annual log), and each state law in the rules for the states affected. A
/// law-enforcement delay moves the federal notices it holds back (164.412).
pub fn plan(rules: &Rules, scenario: &Scenario, today: Date) -> Plan {
    let mut builder = Builder {
        rules,
        scenario,
        today,
        plan: Plan {
            notices: Vec::new(),
            notes: Vec::new(),
        },
    };
    let federal = &rules.federal;
    if let Some(exclusion) = scenario.exclusion {
        let (rule, what) = match exclusion {
            Exclusion::UnintentionalWorkforce => (
                &federal.unintentional_workforce,
                "an unintentional acquisition, access or use by a workforce member or someone \
                 acting under your authority, in good faith and within their authority, with no \
                 further impermissible use or disclosure",
            ),
            Exclusion::InadvertentDisclosure => (
                &federal.inadvertent_disclosure,
                "an inadvertent disclosure between two people authorised to access PHI at the \
                 same covered entity, business associate or organised health care arrangement, \
                 with no further impermissible use or disclosure",
            ),
            Exclusion::UnableToRetain => (
                &federal.unable_to_retain,
                "a disclosure where you believe in good faith that the recipient could not \
                 reasonably have retained the information",
            ),
        };
        builder.note(
            Some(&rule.citation),
            format!(
                "Not a breach, so no notice is due: the event is {what}. Keep the reasons on \
                 record: you bear the burden of proof (45 CFR 164.414(b))"
            ),
        );
        return builder.plan;
    }
    if scenario.secured {
        builder.note(
            Some(&federal.safe_harbour.citation),
            "No notice is due: the PHI was secured (encrypted as HHS guidance specifies with the \
             key not compromised and kept apart, or destroyed), and only a breach of unsecured \
             PHI must be notified. Keep the evidence on record: you bear the burden of proof \
             (45 CFR 164.414(b))"
                .to_owned(),
        );
        return builder.plan;
    }
    match scenario.role {
        Role::CoveredEntity => {
            if let Some(window) = scenario.baa_window_days {
                builder.note(
                    Some(&federal.business_associate.citation),
                    format!(
                        "baa_window_days ({window}) is not used: it is a business associate's \
                         window to tell the covered entity, and this scenario is a covered \
                         entity's"
                    ),
                );
            }
            builder.covered_entity();
        }
        Role::BusinessAssociate => {
            if let Some(count) = scenario.insufficient_contacts {
                builder.note(
                    Some(&federal.substitute_many.citation),
                    format!(
                        "insufficient_contacts ({count}) is not used: substitute notice is part of \
                         the covered entity's notice to individuals, not the business \
                         associate's"
                    ),
                );
            }
            builder.business_associate();
        }
    }
    builder.plan.notices.sort_by(|a, b| {
        (a.due, a.recipient, &a.jurisdiction).cmp(&(b.due, b.recipient, &b.jurisdiction))
    });
    builder.plan
}
