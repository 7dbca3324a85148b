//! What to fix first: one ranking of an assessment's problems, the same in every view (the
//! terminal's top problems, the HTML report's top failures and remediation plan, OSCAL's plan
//! of action and milestones, `problems` in the JSON).
//!
//! A *problem* is what a person fixes: every failing finding (fail, error or warn) of one check,
//! however many subjects it names (one vendor without a BAA or twenty, one pending update or
//! eighty), listed once with every failing control it affects. A control that is not met or
//! partial with no finding of its own (its checks pass but the part they cannot see is not
//! attested, or one of its checks did not run) is a problem of its own; a standard that fails
//! only through its implementation specifications is not, as their problems name it.
//!
//! Problems are ranked by consequence, the product of three factors that each double:
//!
//! - the severity of the worst finding: 16 critical, 8 high, 4 medium, 2 low, 1 info (and 1 for
//!   a control failing without a finding: the gap is in the evidence, nothing was observed);
//! - 2 when an affected control is required (a standard counts as required: every standard
//!   must be met), 1 when it is addressable;
//! - 2 when an affected control protects ePHI directly (the catalog's `protects_ephi`).
//!
//! The requirement and ePHI factors are those of the affected control that weighs most. So one
//! step of severity weighs as much as required over addressable, or as protecting ePHI over
//! governing it: a vendor handling PHI without a BAA (critical, required, ePHI: 64) comes before
//! a missing auditd (high, required, ePHI: 32), which comes before automatic logoff (medium,
//! addressable, ePHI: 8), whatever the controls' statuses. Ties go to the worse severity, then
//! to problems with a failing finding over warnings only, then to those that leave a control
//! not met, then to the regulation's order.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};

use phiguard_core::{Finding, Severity};
use serde::{Serialize, Serializer};

use crate::catalog::Requirement;
use crate::evaluate::{ControlResult, ControlStatus};
use crate::plural;

/// One thing to fix, with the controls it leaves not met or partial.
#[derive(Debug, Clone, Serialize)]
pub struct Problem<'a> {
    /// Its place in the ranking, from 1.
    pub rank: usize,
    /// The check whose findings these are; `None` for a control failing without a finding.
    pub check: Option<&'a str>,
    /// The severity of the worst finding; `None` without a finding.
    pub severity: Option<Severity>,
    /// Whether the affected control that weighs most is required (or a standard).
    pub required: bool,
    /// Whether the affected control that weighs most protects ePHI directly.
    pub protects_ephi: bool,
    /// severity × requirement × ePHI, as the module documentation defines them.
    pub consequence: u32,
    /// The failing findings, each once, failures before warnings and worst first.
    pub findings: Vec<&'a Finding>,
    /// The controls it leaves not met or partial, in the regulation's order (their ids in JSON).
    #[serde(serialize_with = "control_ids")]
    pub controls: Vec<&'a ControlResult>,
    /// What to do, each step once: the findings' remediation, or the control's own steps for a
    /// control failing without a finding.
    pub remediation: Vec<&'a str>,
}

impl<'a> Problem<'a> {
    /// The first thing to do, if any step is known.
    pub fn first_fix(&self) -> Option<&'a str> {
        self.remediation.first().copied()
    }

    /// Whether a finding fails (or errs), rather than only warns.
    pub fn fails(&self) -> bool {
        self.findings.iter().any(|f| f.status.is_failing())
    }

    /// The factors of the consequence in words: "critical · required · protects ePHI".
    pub fn weighting(&self) -> String {
        let mut parts = vec![
            self.severity
                .map_or("no finding", |severity| severity.as_str())
                .to_owned(),
        ];
        parts.push(
            if self.required {
                "required"
            } else {
                "addressable"
            }
            .to_owned(),
        );
        if self.protects_ephi {
            parts.push("protects ePHI".to_owned());
        }
        parts.join(" · ")
    }

    /// The problem in one line: the finding (subject and message), the count of a check's
    /// findings, or the control failing without one and why.
    pub fn headline(&self) -> String {
        match (self.findings.as_slice(), self.check) {
            ([], _) => match self.controls.first() {
                Some(control) => format!("{} {}: {}", control.cite, control.name, control.basis),
                None => "a control fails".to_owned(),
            },
            ([finding], _) => format!("{}: {}", finding.subject, finding.message),
            (findings, check) => {
                let (failing, warnings) = counts(findings);
                let mut kinds = Vec::new();
                if failing > 0 {
                    kinds.push(plural(failing, "failing", "failing"));
                }
                if warnings > 0 {
                    kinds.push(plural(warnings, "warning", "warnings"));
                }
                format!(
                    "{} findings of {} ({})",
                    findings.len(),
                    check.unwrap_or("one check"),
                    kinds.join(", ")
                )
            }
        }
    }

    /// Who answers for the affected controls, each once; empty when no owner is named.
    pub fn owners(&self) -> Vec<&str> {
        let mut owners: Vec<&str> = Vec::new();
        for owner in self.controls.iter().filter_map(|c| c.owner.as_deref()) {
            if !owners.contains(&owner) {
                owners.push(owner);
            }
        }
        owners
    }
}

/// Failing findings and warnings among `findings`.
fn counts(findings: &[&Finding]) -> (usize, usize) {
    let failing = findings.iter().filter(|f| f.status.is_failing()).count();
    (failing, findings.len() - failing)
}

fn control_ids<S: Serializer>(
    controls: &[&ControlResult],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(controls.iter().map(|c| c.id.as_str()))
}

/// The weight of a severity: each step doubles.
pub fn severity_weight(severity: Option<Severity>) -> u32 {
    match severity {
        None | Some(Severity::Info) => 1,
        Some(Severity::Low) => 2,
        Some(Severity::Medium) => 4,
        Some(Severity::High) => 8,
        Some(Severity::Critical) => 16,
    }
}

/// The weight of a control: ×2 when required (or a standard), ×2 when it protects ePHI.
pub fn control_weight(control: &ControlResult) -> u32 {
    let required = if is_required(control) { 2 } else { 1 };
    let ephi = if control.protects_ephi { 2 } else { 1 };
    required * ephi
}

fn is_required(control: &ControlResult) -> bool {
    matches!(
        control.requirement,
        Requirement::Required | Requirement::Standard
    )
}

fn is_failing(control: &ControlResult) -> bool {
    matches!(
        control.status,
        ControlStatus::NotMet | ControlStatus::Partial
    )
}

/// The problems of `controls` (in catalog order), worst first, ranked from 1.
pub fn rank(controls: &[ControlResult]) -> Vec<Problem<'_>> {
    let failing_parents: BTreeSet<&str> = controls
        .iter()
        .filter(|c| is_failing(c))
        .filter_map(|c| c.parent.as_deref())
        .collect();
    let mut problems: Vec<Problem> = Vec::new();
    let mut by_check: BTreeMap<&str, usize> = BTreeMap::new();
    for control in controls.iter().filter(|c| is_failing(c)) {
        if control.attention.is_empty() {
            if failing_parents.contains(control.id.as_str()) {
                continue;
            }
            problems.push(Problem {
                rank: 0,
                check: None,
                severity: None,
                required: false,
                protects_ephi: false,
                consequence: 0,
                findings: Vec::new(),
                controls: vec![control],
                remediation: control.remediation.iter().map(String::as_str).collect(),
            });
            continue;
        }
        for finding in &control.attention {
            let index = *by_check.entry(finding.check.as_str()).or_insert_with(|| {
                problems.push(Problem {
                    rank: 0,
                    check: Some(finding.check.as_str()),
                    severity: None,
                    required: false,
                    protects_ephi: false,
                    consequence: 0,
                    findings: Vec::new(),
                    controls: Vec::new(),
                    remediation: Vec::new(),
                });
                problems.len() - 1
            });
            let Some(problem) = problems.get_mut(index) else {
                continue;
            };
            if !problem.controls.iter().any(|c| c.id == control.id) {
                problem.controls.push(control);
            }
            if !problem.findings.iter().any(|f| same_finding(f, finding)) {
                problem.findings.push(finding);
                if let Some(step) = finding.remediation.as_deref()
                    && !problem.remediation.contains(&step)
                {
                    problem.remediation.push(step);
                }
            }
        }
    }
    for problem in &mut problems {
        weigh(problem);
    }
    // Stable: equal keys keep the regulation's order in which they were met.
    problems.sort_by_key(|p| {
        (
            Reverse(p.consequence),
            Reverse(p.severity),
            !p.fails(),
            !p.controls.iter().any(|c| c.status == ControlStatus::NotMet),
        )
    });
    for (i, problem) in problems.iter_mut().enumerate() {
        problem.rank = i + 1;
    }
    problems
}

/// Fills in the severity, factors and consequence, and puts failures before warnings, worst
/// first.
fn weigh(problem: &mut Problem) {
    problem.severity = problem.findings.iter().map(|f| f.severity).max();
    // The factors of the control that weighs most (the first of the heaviest, in the
    // regulation's order), so the weighting shown is the one that ranks.
    let heaviest = problem.controls.iter().copied().reduce(|heaviest, c| {
        if control_weight(c) > control_weight(heaviest) {
            c
        } else {
            heaviest
        }
    });
    problem.required = heaviest.is_some_and(is_required);
    problem.protects_ephi = heaviest.is_some_and(|c| c.protects_ephi);
    problem.consequence = severity_weight(problem.severity) * heaviest.map_or(1, control_weight);
    problem
        .findings
        .sort_by_key(|f| (!f.status.is_failing(), Reverse(f.severity)));
}

/// Whether two findings say the same thing about the same subject (one finding reaches every
/// control its check evidences, each holding its own copy).
fn same_finding(a: &Finding, b: &Finding) -> bool {
    a.check == b.check
        && a.status == b.status
        && a.severity == b.severity
        && a.subject == b.subject
        && a.message == b.message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_factor_doubles() {
        assert_eq!(severity_weight(Some(Severity::Critical)), 16);
        assert_eq!(severity_weight(Some(Severity::High)), 8);
        assert_eq!(severity_weight(Some(Severity::Medium)), 4);
        assert_eq!(severity_weight(Some(Severity::Low)), 2);
        assert_eq!(severity_weight(Some(Severity::Info)), 1);
        assert_eq!(severity_weight(None), 1);
    }
}
