//! Access grants: taken away when people leave or when they expire, and reviewed system by
//! system at a fixed interval.

use std::collections::BTreeMap;
use std::iter;

use phiguard_core::{CheckMeta, Finding, Severity, Status};

use super::{Cite, Rule, Scope, add_days, days, days_between, latest, or_not_applicable, subject};
use crate::records::{Grant, Review};
use crate::{Kind, Stored};

pub(super) fn rules() -> Vec<Rule> {
    vec![
        Rule::new(
            "register.workforce.departed_access",
            "people who have left hold no active access",
            Severity::Critical,
            "45 CFR 164.308(a)(3)(ii)(C) requires procedures for terminating access to ePHI when \
             a workforce member's employment ends. A grant still active after someone's last \
             day is an account a former employee, or whoever takes it over, can still use.",
            "Disable the person's accounts on each listed system today, then record each \
             revocation: `phiguard access revoke GRANT --by NAME --reason TEXT \
             [--date DATE]`. Make revoking access part of the leaving checklist.",
            departed_access,
        ),
        Rule::new(
            "register.access.grant_expired",
            "expired access grants have been revoked",
            Severity::High,
            "45 CFR 164.308(a)(4)(ii)(C) requires procedures to modify access as needs change, \
             and 164.312(a)(1) limits access to those who need it. A grant given until a date \
             that has passed but was never revoked usually leaves a working account behind.",
            "Disable the account on the system, then record it: `phiguard access revoke GRANT \
             --by NAME --reason TEXT`. If the access is still \
             needed, have it approved again and record the new end date with `phiguard \
             register grant update ID --expires DATE`.",
            grant_expired,
        ),
        Rule::new(
            "register.access.review_overdue",
            "every system's access is reviewed at the set interval",
            Severity::High,
            "45 CFR 164.308(a)(4)(ii)(C) requires reviewing and modifying users' access, and \
             164.308(a)(1)(ii)(D) a regular review of information system activity. Grants \
             accumulate as people change roles; only a periodic review of every grant on a \
             system finds the ones nobody needs any more.",
            "Start a review of the system's grants with `phiguard access review start --system \
             SYSTEM`, have the system's owner decide to keep or revoke each grant in scope, and \
             close the review when every grant has a decision. Revoke what the reviewers reject \
             with `phiguard access revoke GRANT --by NAME --reason TEXT`.",
            review_overdue,
        ),
    ]
}

/// "g-17 (admin on ehr)".
fn describe(grant: &Grant) -> String {
    format!("{} ({} on {})", grant.id, grant.role, grant.system)
}

fn departed_access(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    let today = scope.today;
    let findings = scope
        .snapshot
        .people
        .values()
        .filter_map(|person| Some((person, person.record.left?)))
        .filter(|(person, _)| person.record.has_left_by(today))
        .map(|(person, left)| {
            let p = &person.record;
            let grants: Vec<&Stored<Grant>> = scope
                .snapshot
                .grants
                .values()
                .filter(|g| g.record.person == p.id)
                .collect();
            let active: Vec<String> = grants
                .iter()
                .filter(|g| g.record.is_active_on(today))
                .map(|g| describe(&g.record))
                .collect();
            let (status, message) = if active.is_empty() {
                (
                    Status::Pass,
                    format!(
                        "{} left on {left} and holds no active access grant.",
                        p.name
                    ),
                )
            } else {
                (
                    Status::Fail,
                    format!(
                        "{} left on {left} but still holds {} active access grant{}: {}. \
                         Disable these accounts and record the revocations.",
                        p.name,
                        active.len(),
                        if active.len() == 1 { "" } else { "s" },
                        active.join(", ")
                    ),
                )
            };
            meta.finding(status, subject(Kind::Person, &p.id), message)
                .citing(iter::once(person.evidence).chain(grants.iter().map(|g| g.evidence)))
        })
        .collect();
    or_not_applicable(
        meta,
        findings,
        "workforce",
        format!(
            "no one in the register had left the organisation by {}",
            scope.today
        ),
    )
}

/// The grants in force today.
fn active<'s>(scope: &Scope<'s>) -> impl Iterator<Item = &'s Stored<Grant>> {
    let today = scope.today;
    scope
        .snapshot
        .grants
        .values()
        .filter(move |g| g.record.is_active_on(today))
}

/// "not applicable" when no grant is in force, so no access needs judging.
fn no_active_grant(meta: &CheckMeta, scope: &Scope<'_>, findings: Vec<Finding>) -> Vec<Finding> {
    or_not_applicable(
        meta,
        findings,
        "access grants",
        format!(
            "no access grant is active on {}; record who has access to systems holding PHI with \
             `phiguard register grant add`",
            scope.today
        ),
    )
}

fn grant_expired(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    let findings = active(scope)
        .map(|grant| {
            let g = &grant.record;
            let gives = format!(
                "grant {} gives {} {} access to {}",
                g.id, g.person, g.role, g.system
            );
            let (status, message) = match g.expires {
                Some(until) if g.is_expired_on(scope.today) => (
                    Status::Fail,
                    format!(
                        "{gives}; it expired on {until} but was never revoked, so the account it \
                         opened probably still works."
                    ),
                ),
                Some(until) => (Status::Pass, format!("{gives} until {until}.")),
                None => (Status::Pass, format!("{gives} with no end date.")),
            };
            meta.finding(status, subject(Kind::Grant, &g.id), message)
                .citing([grant.evidence])
        })
        .collect();
    no_active_grant(meta, scope, findings)
}

fn review_overdue(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    let mut systems: BTreeMap<&str, Vec<&Stored<Grant>>> = BTreeMap::new();
    for grant in active(scope) {
        systems.entry(&grant.record.system).or_default().push(grant);
    }
    let findings = systems
        .into_iter()
        .map(|(system, grants)| review_of(meta, scope, system, &grants))
        .collect();
    no_active_grant(meta, scope, findings)
}

/// Judges one system with active `grants`: reviewed within the interval, or new enough that
/// its first review is not yet due.
fn review_of(
    meta: &CheckMeta,
    scope: &Scope<'_>,
    system: &str,
    grants: &[&Stored<Grant>],
) -> Finding {
    let interval = scope.settings.review_interval_days;
    let reviews: Vec<&Stored<Review>> = scope
        .snapshot
        .reviews
        .values()
        .filter(|r| r.record.system == system)
        .collect();
    let last_closed = latest(
        reviews
            .iter()
            .copied()
            .filter(|r| r.record.closed.is_some()),
        |r| r.closed,
    );
    let open = latest(
        reviews
            .iter()
            .copied()
            .filter(|r| r.record.closed.is_none()),
        |r| r.started,
    );
    let oldest = grants.iter().copied().min_by_key(|g| g.record.granted);

    let closed = last_closed.and_then(|r| Some((r, r.record.closed?)));
    let (status, message) = match (closed, oldest) {
        (Some((review, closed)), _) => {
            let ago = days_between(closed, scope.today);
            if ago <= i64::from(interval) {
                (
                    Status::Pass,
                    format!(
                        "review {} of {system} closed on {closed}, {} ago; the next is due by {}.",
                        review.record.id,
                        days(ago),
                        add_days(closed, interval)
                    ),
                )
            } else {
                (
                    Status::Fail,
                    format!(
                        "the last review of {system} closed on {closed}, {} ago; reviews are due \
                         every {}.",
                        days(ago),
                        days(interval.into())
                    ),
                )
            }
        }
        (None, Some(first)) => {
            let granted = first.record.granted;
            let ago = days_between(granted, scope.today);
            let due = add_days(granted, interval);
            if ago <= i64::from(interval) {
                (
                    Status::Pass,
                    format!(
                        "{system} has not been reviewed yet; its oldest active grant, {}, dates \
                         from {granted}, so the first review is due by {due}.",
                        first.record.id
                    ),
                )
            } else {
                (
                    Status::Fail,
                    format!(
                        "{system} has never been reviewed, though its oldest active grant, {}, \
                         dates from {granted}, {} ago; the first review was due by {due}.",
                        first.record.id,
                        days(ago)
                    ),
                )
            }
        }
        // A system is judged only because it has active grants, so `oldest` is always there.
        (None, None) => (Status::Fail, format!("{system} has never been reviewed.")),
    };
    let message = match open {
        Some(review) if status == Status::Fail => {
            let r = &review.record;
            format!(
                "{message} Review {} started on {} is still open, with {} of {} grants \
                 undecided; finish and close it.",
                r.id,
                r.started,
                r.undecided().len(),
                r.grants.len()
            )
        }
        _ => message,
    };
    meta.finding(status, format!("system {system}"), message)
        .citing(
            grants.iter().map(|g| g.evidence).chain(
                [last_closed, open]
                    .into_iter()
                    .flatten()
                    .map(|r| r.evidence),
            ),
        )
}
