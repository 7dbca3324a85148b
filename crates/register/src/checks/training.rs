//! Workforce training and policy acknowledgment: everyone with PHI access is trained, and
//! stays trained, and has read the current version of each policy that applies to them.

use phiguard_core::{CheckMeta, Finding, Severity, Status};

use super::{Cite, Rule, Scope, days, days_between, latest, or_not_applicable};
use crate::Stored;
use crate::records::{Acknowledgment, Completion, Person};

pub(super) fn rules() -> Vec<Rule> {
    vec![
        Rule::new(
            "register.training.current",
            "everyone with PHI access has current security training",
            Severity::High,
            "45 CFR 164.308(a)(5) requires a security awareness and training program for all \
             members of the workforce, and training that is not repeated goes stale: phishing, \
             password and device practices change, and people forget. Each course's interval \
             says how long a completion stays current.",
            "Have the person take the course and record it: `phiguard register completion add \
             --person PERSON --course COURSE --date DATE` (with the certificate as evidence). \
             Record the courses your program requires with `phiguard register course add \
             ID --title TITLE --every-months N [--role ROLE]`.",
            current,
        ),
        Rule::new(
            "register.training.policy_acknowledged",
            "everyone with PHI access has acknowledged the current policies",
            Severity::Medium,
            "45 CFR 164.316 requires written policies and procedures, and 164.308(a)(1)(ii)(C) \
             sanctions for workforce members who fail to comply; both rest on each person \
             having read the version in force. A new version needs a new acknowledgment.",
            "Ask the person to read the current version and record it: `phiguard register \
             acknowledgment add --person PERSON --policy POLICY [--version VERSION] [--date DATE]`.",
            policy_acknowledged,
        ),
    ]
}

/// Who the training and policy rules apply to: people with PHI access who have not left.
fn with_phi_access<'s>(scope: &Scope<'s>) -> Vec<&'s Stored<Person>> {
    scope
        .snapshot
        .people
        .values()
        .filter(|p| p.record.phi_access && !p.record.has_left_by(scope.today))
        .collect()
}

/// "not applicable" when nobody has PHI access, so nobody owes training or acknowledgments.
fn nobody_with_phi_access(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    vec![meta.finding(
        Status::NotApplicable,
        "workforce",
        format!(
            "no one in the register has PHI access on {}; record the workforce with `phiguard \
             register person add`",
            scope.today
        ),
    )]
}

fn current(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    let people = with_phi_access(scope);
    if people.is_empty() {
        return nobody_with_phi_access(meta, scope);
    }
    let courses = &scope.snapshot.courses;
    if courses.is_empty() {
        return vec![
            meta.finding(
                Status::Fail,
                "training",
                format!(
                    "no training course is recorded, yet {} with PHI access; 45 CFR \
                     164.308(a)(5) requires security awareness training for all workforce \
                     members.",
                    count_people(people.len())
                ),
            )
            .citing(people.iter().map(|p| p.evidence)),
        ];
    }
    let mut findings = Vec::new();
    for person in people {
        let p = &person.record;
        let required: Vec<_> = courses
            .values()
            .filter(|c| c.record.required_of(p))
            .collect();
        if required.is_empty() {
            findings.push(
                meta.finding(
                    Status::Fail,
                    format!("person {}", p.id),
                    format!(
                        "{} has PHI access but no recorded course is required of their role \
                         ({}); 45 CFR 164.308(a)(5) requires training for every workforce \
                         member. Add the role to a course, or a course for everyone.",
                        p.name, p.role
                    ),
                )
                .citing([person.evidence]),
            );
        }
        for course in required {
            let c = &course.record;
            let latest = latest(
                scope
                    .snapshot
                    .completions
                    .values()
                    .filter(|done| done.record.person == p.id && done.record.course == c.id),
                |done: &Completion| done.completed,
            );
            let (status, message) = match latest {
                None => (
                    Status::Fail,
                    format!(
                        "{} has never completed {} ({}), which their role requires.",
                        p.name, c.title, c.id
                    ),
                ),
                Some(done) => {
                    let completed = done.record.completed;
                    let due = c.due_after(completed);
                    let left = days_between(scope.today, due);
                    if due < scope.today {
                        (
                            Status::Fail,
                            format!(
                                "{} last completed {} on {completed}; it lapsed on {due}, {} \
                                 ago (it must be retaken every {} months).",
                                p.name,
                                c.title,
                                days(-left),
                                c.interval_months
                            ),
                        )
                    } else if left <= i64::from(scope.settings.training_due_warning_days) {
                        (
                            Status::Warn,
                            format!(
                                "{} completed {} on {completed}; it must be retaken by {due}, \
                                 in {}.",
                                p.name,
                                c.title,
                                days(left)
                            ),
                        )
                    } else {
                        (
                            Status::Pass,
                            format!(
                                "{} completed {} on {completed}; it is current until {due}.",
                                p.name, c.title
                            ),
                        )
                    }
                }
            };
            findings.push(
                meta.finding(status, format!("person {}, course {}", p.id, c.id), message)
                    .citing([
                        person.evidence,
                        course.evidence,
                        latest.and_then(|l| l.evidence),
                    ]),
            );
        }
    }
    findings
}

fn policy_acknowledged(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    let people = with_phi_access(scope);
    if people.is_empty() {
        return nobody_with_phi_access(meta, scope);
    }
    let policies = &scope.snapshot.policies;
    if policies.is_empty() {
        return vec![
            meta.finding(
                Status::Warn,
                "policies",
                format!(
                    "no policy is recorded, yet {} with PHI access; 45 CFR 164.316 requires \
                     written policies and procedures. Record them with `phiguard register \
                     policy add`.",
                    count_people(people.len())
                ),
            )
            .citing(people.iter().map(|p| p.evidence)),
        ];
    }
    let mut findings = Vec::new();
    for person in people {
        let p = &person.record;
        for policy in policies.values().filter(|pol| pol.record.required_of(p)) {
            let pol = &policy.record;
            let acks: Vec<&Stored<Acknowledgment>> = scope
                .snapshot
                .acknowledgments
                .values()
                .filter(|a| a.record.person == p.id && a.record.policy == pol.id)
                .collect();
            let current = acks.iter().find(|a| a.record.version == pol.version);
            let judged = current
                .copied()
                .or_else(|| latest(acks.iter().copied(), |a| a.acknowledged));
            let (status, message) = match (current, judged) {
                (Some(ack), _) => (
                    Status::Pass,
                    format!(
                        "{} acknowledged version {} of {} on {}.",
                        p.name, pol.version, pol.title, ack.record.acknowledged
                    ),
                ),
                (None, Some(older)) => (
                    Status::Warn,
                    format!(
                        "{} acknowledged version {} of {} on {}, but the current version is {}, \
                         approved on {}; ask them to read and acknowledge it.",
                        p.name,
                        older.record.version,
                        pol.title,
                        older.record.acknowledged,
                        pol.version,
                        pol.approved
                    ),
                ),
                (None, None) => (
                    Status::Warn,
                    format!(
                        "{} has never acknowledged {} (version {}, approved on {}); ask them to \
                         read and acknowledge it.",
                        p.name, pol.title, pol.version, pol.approved
                    ),
                ),
            };
            findings.push(
                meta.finding(
                    status,
                    format!("person {}, policy {}", p.id, pol.id),
                    message,
                )
                .citing([
                    person.evidence,
                    policy.evidence,
                    judged.and_then(|a| a.evidence),
                ]),
            );
        }
    }
    or_not_applicable(
        meta,
        findings,
        "policies",
        "no recorded policy applies to anyone with PHI access; check the roles each policy \
         names",
    )
}

/// "1 person has", "3 people have".
fn count_people(n: usize) -> String {
    if n == 1 {
        "1 person has".into()
    } else {
        format!("{n} people have")
    }
}
