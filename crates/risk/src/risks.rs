//! Each risk judged: its inherent and residual rating and where its treatment stands.
//!
//! The residual rating moves with the evidence. A mitigation is in place only when every
//! check named for it passes on the risk's assets (or, where no check is named, when the day
//! it was done is recorded); until then the risk keeps its inherent rating, whatever residual
//! rating was hoped for.

use std::collections::BTreeMap;

use jiff::civil::Date;
use phiguard_core::{EvidenceRef, Status};
use phiguard_register::Stored;
use phiguard_register::records::{RiskRecord, Treatment};
use serde::{Deserialize, Serialize};

use crate::scoring::Rating;
use crate::vulnerabilities::Observed;

/// Where a risk's treatment stands on a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum TreatmentState {
    /// In place: the checks named pass, or the day it was done is recorded.
    InPlace { basis: String },
    /// Not in place yet; due on `due`, if a day was set.
    Pending { due: Option<Date> },
    /// Not in place and past its due day.
    Overdue { due: Date, days: i64 },
    /// Accepted until `until`.
    Accepted { until: Option<Date> },
    /// Accepted, but the acceptance lapsed on `on`: the risk must be decided again.
    AcceptanceExpired { on: Date },
}

impl TreatmentState {
    pub fn word(&self) -> &'static str {
        match self {
            TreatmentState::InPlace { .. } => "in place",
            TreatmentState::Pending { .. } => "pending",
            TreatmentState::Overdue { .. } => "overdue",
            TreatmentState::Accepted { .. } => "accepted",
            TreatmentState::AcceptanceExpired { .. } => "acceptance expired",
        }
    }

    /// Whether the treatment still has work to do (the plan of action lists it).
    pub fn is_open(&self) -> bool {
        matches!(
            self,
            TreatmentState::Pending { .. } | TreatmentState::Overdue { .. }
        )
    }
}

/// What the findings of one check named by a risk say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkedCheck {
    pub check: String,
    pub passing: usize,
    /// Failing findings' subjects.
    pub failing: Vec<String>,
    /// Findings that neither pass nor fail: errors, warnings.
    pub other: usize,
}

impl LinkedCheck {
    /// Passing findings and no other: the check shows the mitigation in place.
    pub fn passes(&self) -> bool {
        self.passing > 0 && self.failing.is_empty() && self.other == 0
    }
}

/// A risk of the register, judged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RiskView {
    pub risk: RiskRecord,
    pub evidence: Option<EvidenceRef>,
    /// Before treatment.
    pub inherent: Rating,
    /// The rating hoped for once the treatment is in place.
    pub target: Rating,
    /// Now, on the evidence: the target once the treatment is in place, else the inherent.
    pub residual: Rating,
    pub state: TreatmentState,
    /// The checks it names, with what their findings on its assets say.
    pub checks: Vec<LinkedCheck>,
}

/// Every risk judged on `today` against the findings `observed`.
pub fn views(
    risks: &BTreeMap<String, Stored<RiskRecord>>,
    observed: &[Observed],
    today: Date,
) -> Vec<RiskView> {
    risks
        .values()
        .map(|stored| view(stored, observed, today))
        .collect()
}

fn view(stored: &Stored<RiskRecord>, observed: &[Observed], today: Date) -> RiskView {
    let risk = &stored.record;
    let inherent = Rating::of(risk.likelihood, risk.impact);
    let target = Rating::of(
        risk.residual_likelihood.unwrap_or(risk.likelihood),
        risk.residual_impact.unwrap_or(risk.impact),
    );
    let checks: Vec<LinkedCheck> = risk
        .checks
        .iter()
        .map(|check| linked(check, &risk.assets, observed))
        .collect();
    let state = match risk.treatment {
        Treatment::Accept => match risk.acceptance_expires {
            Some(on) if on < today => TreatmentState::AcceptanceExpired { on },
            until => TreatmentState::Accepted { until },
        },
        Treatment::Mitigate | Treatment::Transfer | Treatment::Avoid => {
            let in_place = if checks.is_empty() {
                risk.done
                    .filter(|done| *done <= today)
                    .map(|done| format!("recorded as done on {done}"))
            } else if checks.iter().all(LinkedCheck::passes) {
                let names: Vec<&str> = checks.iter().map(|c| c.check.as_str()).collect();
                Some(format!("{} pass", names.join(", ")))
            } else {
                None
            };
            match (in_place, risk.due) {
                (Some(basis), _) => TreatmentState::InPlace { basis },
                (None, Some(due)) if due < today => TreatmentState::Overdue {
                    due,
                    days: i64::from((today - due).get_days()),
                },
                (None, due) => TreatmentState::Pending { due },
            }
        }
    };
    let residual = match state {
        TreatmentState::InPlace { .. } => target,
        _ => inherent,
    };
    RiskView {
        risk: risk.clone(),
        evidence: stored.evidence,
        inherent,
        target,
        residual,
        state,
        checks,
    }
}

/// The findings of `check` on `assets`; where the check judged none of them (an account-wide
/// setting such as the audit trail), its findings on every asset.
fn linked(check: &str, assets: &[String], observed: &[Observed]) -> LinkedCheck {
    let of_check: Vec<&Observed> = observed
        .iter()
        .filter(|o| o.finding.check.as_str() == check)
        .collect();
    let on_assets: Vec<&Observed> = of_check
        .iter()
        .copied()
        .filter(|o| assets.contains(&o.asset))
        .collect();
    let scope = if on_assets.is_empty() {
        of_check
    } else {
        on_assets
    };
    let mut linked = LinkedCheck {
        check: check.to_owned(),
        passing: 0,
        failing: Vec::new(),
        other: 0,
    };
    for o in scope {
        match o.finding.status {
            Status::Pass => linked.passing += 1,
            Status::Fail => linked.failing.push(o.finding.subject.clone()),
            Status::NotApplicable => {}
            Status::Warn | Status::Error => linked.other += 1,
        }
    }
    linked
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use phiguard_core::{CheckId, Finding, Severity};
    use phiguard_register::records::Level;

    use super::*;

    fn day(text: &str) -> Date {
        text.parse().unwrap()
    }

    fn risk(treatment: Treatment) -> RiskRecord {
        RiskRecord {
            id: "r".into(),
            title: "t".into(),
            assets: vec!["host:a".into()],
            threat: "ransomware".into(),
            vulnerability: "v".into(),
            vulnerabilities: Vec::new(),
            checks: vec!["host.patches.security".into()],
            likelihood: 4,
            impact: 5,
            residual_likelihood: Some(2),
            residual_impact: Some(3),
            treatment,
            plan: None,
            owner: Some("Dana".into()),
            due: Some(day("2026-12-01")),
            done: None,
            accepted_by: None,
            accepted_on: None,
            acceptance_reason: None,
            acceptance_expires: None,
            transferred_to: None,
            notes: None,
        }
    }

    fn seen(asset: &str, status: Status) -> Observed {
        Observed {
            asset: asset.into(),
            finding: Finding {
                check: "host.patches.security".parse::<CheckId>().unwrap(),
                status,
                severity: Severity::High,
                subject: asset.into(),
                message: String::new(),
                evidence: Vec::new(),
                remediation: None,
            },
        }
    }

    fn judge(record: RiskRecord, observed: &[Observed], today: &str) -> RiskView {
        view(
            &Stored {
                record,
                evidence: None,
            },
            observed,
            day(today),
        )
    }

    #[test]
    fn the_residual_rating_moves_only_when_the_named_checks_pass() {
        let failing = judge(
            risk(Treatment::Mitigate),
            &[seen("host:a", Status::Fail)],
            "2026-11-01",
        );
        assert_eq!(
            failing.state,
            TreatmentState::Pending {
                due: Some(day("2026-12-01"))
            }
        );
        assert_eq!(failing.residual, failing.inherent);
        assert_eq!(failing.inherent.level, Level::VeryHigh);

        let passing = judge(
            risk(Treatment::Mitigate),
            &[seen("host:a", Status::Pass)],
            "2026-11-01",
        );
        assert!(matches!(passing.state, TreatmentState::InPlace { .. }));
        assert_eq!(passing.residual, Rating::of(2, 3));

        // A check that did not run shows nothing: the mitigation is not taken on trust.
        let unseen = judge(risk(Treatment::Mitigate), &[], "2026-11-01");
        assert_eq!(unseen.residual, unseen.inherent);
        // Findings on other assets count only when the check judged none of the risk's.
        let elsewhere = judge(
            risk(Treatment::Mitigate),
            &[seen("host:b", Status::Pass), seen("host:a", Status::Fail)],
            "2026-11-01",
        );
        assert!(!matches!(elsewhere.state, TreatmentState::InPlace { .. }));
    }

    #[test]
    fn a_treatment_past_its_day_is_overdue_and_an_acceptance_lapses() {
        let late = judge(
            risk(Treatment::Mitigate),
            &[seen("host:a", Status::Fail)],
            "2026-12-11",
        );
        assert_eq!(
            late.state,
            TreatmentState::Overdue {
                due: day("2026-12-01"),
                days: 10
            }
        );
        assert!(late.state.is_open());

        let mut done_by_hand = risk(Treatment::Mitigate);
        done_by_hand.checks.clear();
        done_by_hand.done = Some(day("2026-11-20"));
        assert!(matches!(
            judge(done_by_hand, &[], "2026-12-11").state,
            TreatmentState::InPlace { .. }
        ));

        let mut accepted = risk(Treatment::Accept);
        accepted.acceptance_expires = Some(day("2027-01-01"));
        let current = judge(accepted.clone(), &[], "2026-12-31");
        assert_eq!(
            current.state,
            TreatmentState::Accepted {
                until: Some(day("2027-01-01"))
            }
        );
        assert_eq!(current.residual, current.inherent);
        let lapsed = judge(accepted, &[], "2027-01-02");
        assert_eq!(
            lapsed.state,
            TreatmentState::AcceptanceExpired {
                on: day("2027-01-01")
            }
        );
    }
}
