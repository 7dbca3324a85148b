//! An incident's deadlines: the incident and its breach assessment as a breach scenario, the
//! plan of every notice it calls for, and each notice matched with the notice recorded for it.
//!
//! Until the incident is assessed its deadlines run as for a notifiable breach: an
//! impermissible use or disclosure of PHI is presumed a breach (164.402(2)), and the 60 days
//! count from discovery whether or not anyone has decided yet. An assessment that concludes
//! there was no breach, or a low probability of compromise, stops them.

use jiff::civil::Date;
use phiguard_breach::{Delay, Notice, Plan, Recipient, Rules, Scenario};
use phiguard_register::records::{BreachAssessment, BreachNotice, Conclusion, DelayKind, Incident};
use phiguard_register::{Snapshot, Stored};
use serde::Serialize;

/// Where an incident's assessment stands, as far as its deadlines go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// Not assessed yet: the deadlines of a breach run (164.402(2)'s presumption).
    NotAssessed,
    /// Assessed as a breach to notify.
    Notifiable,
    /// Assessed as no breach, or a low probability of compromise: nothing is due.
    NotNotifiable(Conclusion),
}

/// One notice of the plan and what was done about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Deadline {
    #[serde(flatten)]
    pub notice: Notice,
    /// The recorded notice that meets it, if any: the earliest one to the same recipient (and
    /// state, for a state's notice).
    pub given: Option<Given>,
    pub state: DeadlineState,
}

/// A recorded notice matched to a deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Given {
    /// The `breach-notice` record's id.
    pub id: String,
    pub sent: Date,
}

/// Whether a deadline is met.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineState {
    /// Given on or before its due day.
    Met,
    /// Given, but after its due day.
    MetLate,
    /// Not given yet, and the due day has not passed.
    Open,
    /// Not given, and the due day has passed.
    Overdue,
}

/// Everything due for one incident on a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Deadlines {
    pub incident: String,
    pub discovered: Date,
    pub standing: Standing,
    /// The scenario the plan was computed from; `None` when nothing is due.
    pub scenario: Option<Scenario>,
    /// Each notice of the plan, earliest first; empty when the assessment says none is due.
    pub deadlines: Vec<Deadline>,
    /// What the plan must say besides its notices (exclusions, states without a law in
    /// phiguard's data, states that defer to HIPAA), and why nothing is due when nothing is.
    pub notes: Vec<phiguard_breach::Note>,
}

impl Deadlines {
    /// The deadlines not met by their day: overdue, or met late.
    pub fn missed(&self) -> impl Iterator<Item = &Deadline> {
        self.deadlines
            .iter()
            .filter(|d| matches!(d.state, DeadlineState::Overdue | DeadlineState::MetLate))
    }
}

/// The scenario of an incident as its assessment has it (or as a breach, when there is none).
pub fn scenario_of(incident: &Incident, assessment: Option<&BreachAssessment>) -> Scenario {
    let mut scenario = Scenario {
        role: phiguard_breach::Role::CoveredEntity,
        discovered: incident.discovered_day(),
        affected: incident.affected_by_state(),
        secured: false,
        exclusion: None,
        baa_window_days: None,
        law_enforcement_delay: None,
        insufficient_contacts: incident.insufficient_contacts,
    };
    if let Some(assessment) = assessment {
        scenario.role = assessment.role;
        scenario.secured = assessment.secured;
        scenario.exclusion = assessment.exclusion;
        scenario.baa_window_days = assessment.baa_window_days;
        scenario.law_enforcement_delay = match assessment.delay {
            Some(DelayKind::Oral) => assessment.delay_stated.map(|stated| Delay::Oral { stated }),
            Some(DelayKind::Written) => {
                assessment.delay_until.map(|until| Delay::Written { until })
            }
            None => None,
        };
    }
    scenario
}

/// The incident's deadlines on `today`, with the notices the snapshot records against them.
pub fn deadlines(
    rules: &Rules,
    snapshot: &Snapshot,
    incident: &Incident,
    today: Date,
) -> Deadlines {
    let assessment = crate::assessment_of(snapshot, &incident.id);
    let standing = match assessment.map(|a| a.conclusion) {
        None => Standing::NotAssessed,
        Some(Conclusion::Notifiable) => Standing::Notifiable,
        Some(other) => Standing::NotNotifiable(other),
    };
    let discovered = incident.discovered_day();
    if let Standing::NotNotifiable(conclusion) = standing {
        let why = match conclusion {
            Conclusion::NoBreach => {
                "The breach assessment concludes it was no breach (an exclusion of 45 CFR 164.402(1) applies, or the PHI was secured): no notice is due."
            }
            _ => {
                "The breach assessment shows a low probability that the PHI was compromised (45 CFR 164.402(2)): no notice is due. Keep the assessment: it is the proof 45 CFR 164.414(b) asks for."
            }
        };
        return Deadlines {
            incident: incident.id.clone(),
            discovered,
            standing,
            scenario: None,
            deadlines: Vec::new(),
            notes: vec![phiguard_breach::Note {
                citation: Some("45 CFR 164.402".into()),
                text: why.into(),
            }],
        };
    }
    let scenario = scenario_of(incident, assessment);
    let Plan { notices, mut notes } = phiguard_breach::plan(rules, &scenario, today);
    if standing == Standing::NotAssessed {
        notes.insert(
            0,
            phiguard_breach::Note {
                citation: Some("45 CFR 164.402(2)".into()),
                text: "Not assessed yet: an impermissible use or disclosure of PHI is presumed a breach, so these deadlines run from discovery until an assessment shows otherwise (`phiguard breach assess`).".into(),
            },
        );
    }
    let given: Vec<&BreachNotice> = snapshot
        .breach_notices
        .values()
        .map(|stored: &Stored<BreachNotice>| &stored.record)
        .filter(|notice| notice.incident == incident.id)
        .collect();
    let deadlines = notices
        .into_iter()
        .map(|notice| {
            let matched = given
                .iter()
                .filter(|g| meets(g, &notice))
                .min_by_key(|g| g.sent)
                .map(|g| Given {
                    id: g.id.clone(),
                    sent: g.sent,
                });
            let state = match &matched {
                Some(g) if g.sent <= notice.due => DeadlineState::Met,
                Some(_) => DeadlineState::MetLate,
                None if today > notice.due => DeadlineState::Overdue,
                None => DeadlineState::Open,
            };
            Deadline {
                notice,
                given: matched,
                state,
            }
        })
        .collect();
    Deadlines {
        incident: incident.id.clone(),
        discovered,
        standing,
        scenario: Some(scenario),
        deadlines,
        notes,
    }
}

/// Whether a recorded notice is the one a deadline asks for: the same recipient, and the
/// same state for a state's media or regulator. A notice to individuals recorded without a
/// state went to everyone, so it also meets a state law's notice to that state's residents;
/// one recorded for a state meets only that state's. Substitute notice is also met by a
/// notice to the media (164.404(d)(2)(i)(B) allows major print or broadcast media instead of
/// a web posting), but never the other way round.
fn meets(given: &BreachNotice, notice: &Notice) -> bool {
    let recipient_matches = given.recipient == notice.recipient
        || (notice.recipient == Recipient::SubstituteNotice && given.recipient == Recipient::Media);
    let to_everyone = matches!(
        given.recipient,
        Recipient::Individuals | Recipient::SubstituteNotice
    ) && given.jurisdiction.is_none();
    let jurisdiction_matches = match &notice.jurisdiction {
        None => given.jurisdiction.is_none(),
        Some(state) => to_everyone || given.jurisdiction.as_deref() == Some(state.as_str()),
    };
    recipient_matches && jurisdiction_matches
}

/// Every incident's deadlines on `today`, in incident id order.
pub fn all(rules: &Rules, snapshot: &Snapshot, today: Date) -> Vec<Deadlines> {
    snapshot
        .incidents
        .values()
        .map(|stored| deadlines(rules, snapshot, &stored.record, today))
        .collect()
}
