//! Service level agreements: what a provider promises is judged, not only stored. Its terms
//! must be stated and adequate, its recovery time shown by a restore test, and its incident
//! notice short enough to meet the breach-notice window of the BAA.

use phiguard_core::{CheckMeta, EvidenceRef, Finding, Severity, Status};

use super::{Cite, Rule, Scope, days, latest, or_not_applicable, subject, vendor_name};
use crate::records::{RestoreResult, Sla};
use crate::{Kind, Stored};

pub(super) fn rules() -> Vec<Rule> {
    vec![
        Rule::new(
            "register.sla.terms",
            "provider SLAs state availability, backup interval and a retention that covers the \
             record-keeping period",
            Severity::High,
            "45 CFR 164.308(a)(7)(ii)(A) requires retrievable exact copies of ePHI and \
             164.308(a)(7)(ii)(B) the means to restore it, and 164.316(b)(2)(i) requires \
             keeping the documentation of compliance for 6 years. Where a provider keeps the \
             systems and their backups, its service level agreement is what those safeguards \
             rest on: an agreement that is silent on availability, on how often backups are \
             taken or on how long they are kept promises nothing, and backups kept for days \
             cannot bring back a record needed years later.",
            "Negotiate the missing or inadequate terms with the provider (or configure the \
             backup plan it offers: an interval, and a retention of at least the \
             record-keeping period), then record what the agreement now says: `phiguard \
             register sla update ID --availability PERCENT --backup-every HOURS --retention \
             DAYS`.",
            terms,
        ),
        Rule::new(
            "register.sla.recovery",
            "the recovery time a provider promises is borne out by the newest restore test",
            Severity::Medium,
            "45 CFR 164.308(a)(7)(ii)(B) and (C) require restoring lost data and continuing \
             critical operations in an emergency, and 164.308(a)(7)(ii)(D) testing those plans. \
             A recovery time objective is only a number until a restore of the provider's \
             backups shows it can be met; a restore that failed or took longer shows that it \
             cannot.",
            "Restore from the provider's backups into a test environment, time it, and record \
             the test: `phiguard register restore-test add --system SYSTEM --vendor VENDOR \
             --date DATE --result success --hours HOURS`. Record the RTO the agreement states \
             with `phiguard register sla update ID --rto HOURS`. If the restore is slower than \
             promised, take it up with the provider and plan for the real time.",
            recovery,
        ),
        Rule::new(
            "register.sla.incident_notice",
            "providers must report security incidents within the BAA's breach-notice window",
            Severity::High,
            "45 CFR 164.314(a)(2)(i)(C) requires a business associate to report security \
             incidents to the organisation, and 164.410 to report breaches of unsecured PHI no \
             later than 60 days after discovery; the organisation's own clock to notify \
             individuals (164.404) may already be running. An SLA that gives the provider longer \
             to report an incident than the BAA gives it to report a breach, or states no time \
             at all, leaves the organisation learning of incidents too late to act.",
            "Agree an incident notice with the provider that fits within the BAA's \
             breach-notice window (24 to 72 hours is common), then record it: `phiguard \
             register sla update ID --incident-notice HOURS`. Record the BAA's window with \
             `phiguard register baa update ID --breach-notice-days DAYS`.",
            incident_notice,
        ),
    ]
}

/// One finding per SLA, each judged by `judge`, or one "not applicable" finding when no SLA
/// is recorded.
fn each_sla(
    meta: &CheckMeta,
    scope: &Scope<'_>,
    judge: impl Fn(&Stored<Sla>) -> Judged,
) -> Vec<Finding> {
    let findings = scope
        .snapshot
        .slas
        .values()
        .map(|sla| {
            let judged = judge(sla);
            let vendor = scope.snapshot.evidence_of(Kind::Vendor, &sla.record.vendor);
            meta.finding(
                judged.status,
                subject(Kind::Sla, &sla.record.id),
                judged.message,
            )
            .citing([sla.evidence, vendor].into_iter().chain(judged.cites))
        })
        .collect();
    or_not_applicable(
        meta,
        findings,
        "slas",
        "no service level agreement is recorded, so there are no provider terms to judge; \
         record what each provider that keeps your systems or backups promises with `phiguard \
         register sla add`",
    )
}

/// What a rule says about one SLA, and the other records it judged.
struct Judged {
    status: Status,
    message: String,
    cites: Vec<Option<EvidenceRef>>,
}

impl Judged {
    fn new(status: Status, message: String) -> Judged {
        Judged {
            status,
            message,
            cites: Vec::new(),
        }
    }

    fn citing(mut self, reference: Option<EvidenceRef>) -> Judged {
        self.cites.push(reference);
        self
    }
}

/// The days of backup retention that cover `years` of record keeping, a year counted as
/// 365.25 days and rounded up: 2192 days for 6 years.
fn retention_days_for(years: u32) -> u64 {
    (u64::from(years) * 1461).div_ceil(4)
}

fn terms(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    let settings = scope.settings;
    let min = settings.min_availability_percent;
    let years = settings.record_retention_years;
    let required = retention_days_for(years);
    each_sla(meta, scope, |sla| {
        let s = &sla.record;
        let name = vendor_name(scope.snapshot, &s.vendor);
        let mut failures = Vec::new();
        let mut warnings = Vec::new();
        match s.availability_percent {
            None => failures.push("it states no availability target".to_owned()),
            Some(percent) if percent < min => warnings.push(format!(
                "its availability target of {percent} % is below the {min} % expected"
            )),
            Some(_) => {}
        }
        if s.backup_frequency_hours.is_none() {
            failures.push("it states no backup interval".to_owned());
        }
        match s.retention_days {
            None => failures.push("it states no backup retention".to_owned()),
            Some(kept) if u64::from(kept) < required => failures.push(format!(
                "it keeps backups {}, less than the {} ({years} years) for which 45 CFR \
                 164.316(b)(2)(i) requires records to be retained",
                days(kept.into()),
                days(i64::try_from(required).unwrap_or(i64::MAX))
            )),
            Some(_) => {}
        }
        let status = if !failures.is_empty() {
            Status::Fail
        } else if !warnings.is_empty() {
            Status::Warn
        } else {
            Status::Pass
        };
        let message = match status {
            Status::Pass => format!(
                "SLA {} with {name} promises {} % availability and backups every {} hours, \
                 kept {} (at least the {years} years records must be retained).",
                s.id,
                s.availability_percent.unwrap_or_default(),
                s.backup_frequency_hours.unwrap_or_default(),
                days(s.retention_days.unwrap_or_default().into()),
            ),
            _ => format!(
                "SLA {} with {name} falls short: {}.",
                s.id,
                failures
                    .into_iter()
                    .chain(warnings)
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        };
        Judged::new(status, message)
    })
}

fn recovery(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    let today = scope.today;
    each_sla(meta, scope, |sla| {
        let s = &sla.record;
        let name = vendor_name(scope.snapshot, &s.vendor);
        // A test dated after today has not happened yet.
        let newest = latest(
            scope.snapshot.restore_tests.values().filter(|t| {
                t.record.vendor.as_deref() == Some(s.vendor.as_str()) && t.record.date <= today
            }),
            |t| t.date,
        );
        let promise = |hours: f64| format!("the {hours}-hour recovery time SLA {} promises", s.id);
        let (status, message) = match (s.rto_hours, newest.map(|t| &t.record)) {
            (rto, Some(test)) if test.result == RestoreResult::Failure => (
                Status::Fail,
                format!(
                    "the newest restore test of the backups {name} keeps ({}, on {}) failed{}, \
                     so nothing shows {}.",
                    test.id,
                    test.date,
                    test.hours_to_restore
                        .map(|hours| format!(" after {hours} hours"))
                        .unwrap_or_default(),
                    rto.map_or_else(
                        || "that a restore from them works at all".to_owned(),
                        |hours| format!("{} can be met", promise(hours))
                    ),
                ),
            ),
            (None, _) => (
                Status::Warn,
                format!(
                    "SLA {} with {name} states no recovery time objective, so no restore test \
                     can show that it is met; record the RTO the agreement promises.",
                    s.id
                ),
            ),
            (Some(rto), None) => (
                Status::Warn,
                format!(
                    "no restore test of the backups {name} keeps is recorded, so nothing shows \
                     {} can be met; restore from them and record the test with its vendor.",
                    promise(rto)
                ),
            ),
            (Some(rto), Some(test)) => match test.hours_to_restore {
                None => (
                    Status::Warn,
                    format!(
                        "the newest restore test of the backups {name} keeps ({}, on {}) does \
                         not record how long it took, so it cannot show {} is met; record its \
                         hours.",
                        test.id,
                        test.date,
                        promise(rto)
                    ),
                ),
                Some(hours) if hours > rto => (
                    Status::Fail,
                    format!(
                        "the newest restore test of the backups {name} keeps ({}, on {}) took \
                         {hours} hours, longer than {}.",
                        test.id,
                        test.date,
                        promise(rto)
                    ),
                ),
                Some(hours) => (
                    Status::Pass,
                    format!(
                        "the newest restore test of the backups {name} keeps ({}, on {}) took \
                         {hours} hours, within {}.",
                        test.id,
                        test.date,
                        promise(rto)
                    ),
                ),
            },
        };
        Judged::new(status, message).citing(newest.and_then(|t| t.evidence))
    })
}

fn incident_notice(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    let today = scope.today;
    each_sla(meta, scope, |sla| {
        let s = &sla.record;
        let name = vendor_name(scope.snapshot, &s.vendor);
        // The window the vendor is bound to now: the newest agreement in force that states one.
        let baa = latest(
            scope.snapshot.baas.values().filter(|b| {
                b.record.vendor == s.vendor
                    && b.record.in_force_on(today)
                    && b.record.breach_notice_days.is_some()
            }),
            |b| b.effective.or(b.signed),
        );
        let (window, source, note) = match baa.and_then(|b| Some((b, b.record.breach_notice_days?)))
        {
            Some((baa, window)) => (
                window,
                format!("that BAA {} gives it to report a breach", baa.record.id),
                String::new(),
            ),
            None => (
                scope.settings.max_breach_notice_days,
                "allowed for reporting a breach".to_owned(),
                format!(
                    " No BAA in force with {name} states a breach-notice window, so this \
                         compares with the longest allowed ([register] max_breach_notice_days; \
                         45 CFR 164.410 allows at most 60 days)."
                ),
            ),
        };
        let limit = u64::from(window) * 24;
        let bound = format!("the {limit} hours ({}) {source}", days(window.into()));
        let (status, message) = match s.incident_notice_hours {
            None => (
                Status::Fail,
                format!(
                    "SLA {} with {name} does not state within how many hours {name} must report \
                     a security incident; it must be at most {bound}.{note}",
                    s.id
                ),
            ),
            Some(hours) if u64::from(hours) > limit => (
                Status::Fail,
                format!(
                    "SLA {} gives {name} {hours} hours to report a security incident, longer \
                     than {bound}.{note}",
                    s.id
                ),
            ),
            Some(hours) => (
                Status::Pass,
                format!(
                    "SLA {} requires {name} to report a security incident within {hours} hours, \
                     within {bound}.{note}",
                    s.id
                ),
            ),
        };
        Judged::new(status, message).citing(baa.and_then(|b| b.evidence))
    })
}

#[cfg(test)]
mod tests {
    use super::retention_days_for;

    #[test]
    fn a_year_of_retention_is_365_and_a_quarter_days_rounded_up() {
        assert_eq!(retention_days_for(1), 366);
        assert_eq!(retention_days_for(4), 1461);
        assert_eq!(retention_days_for(6), 2192);
        assert_eq!(retention_days_for(0), 0);
    }
}
