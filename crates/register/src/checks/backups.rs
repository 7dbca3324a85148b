//! Restore tests: backups are shown to work by restoring them, recently, and fast enough.

use std::collections::BTreeSet;
use std::iter;

use phiguard_core::{CheckMeta, Finding, Severity, Status};

use super::{Cite, Rule, Scope, latest, or_not_applicable, subject, vendor_name};
use crate::records::{RestoreResult, RestoreTest, add_months};
use crate::{Kind, Stored};

pub(super) fn rules() -> Vec<Rule> {
    vec![
        Rule::new(
            "register.backup.restore_tested",
            "backups have been restored successfully within the test interval",
            Severity::High,
            "45 CFR 164.308(a)(7)(ii)(A) and (B) require retrievable exact copies of ePHI and \
             procedures to restore lost data, and 164.308(a)(7)(ii)(D) periodic testing of \
             them. A backup that has never been restored is a hope, not a copy: restores fail \
             on missing keys, broken chains of incrementals and undocumented steps. Where a \
             provider keeps the backups under a service level agreement, its restores need \
             testing too.",
            "Restore the system (or the provider-held backup) into a test environment, check \
             the data, and record the test: `phiguard register restore-test add --system SYSTEM \
             [--vendor VENDOR] --date DATE --result success --hours HOURS`. Fix backups whose \
             restore failed and test them again.",
            restore_tested,
        ),
        Rule::new(
            "register.backup.restore_time",
            "restores finish within the allowed time",
            Severity::Medium,
            "The 2025 proposed Security Rule (164.308(a)(13)) would require restoring critical \
             systems and data within 72 hours, and 164.308(a)(7)(ii)(C) already requires \
             continuing critical operations in an emergency. Only a timed restore test shows \
             whether the backups can be back in service in time.",
            "Shorten recovery until a test restores within the limit: a written runbook, \
             infrastructure ready to restore into, a faster backup tier. Record how long each \
             test took with `phiguard register restore-test update ID --hours HOURS`.",
            restore_time,
        ),
    ]
}

/// Whether a test counts as recent: done by today, and at most `restore_test_months` ago.
fn in_window(test: &RestoreTest, scope: &Scope<'_>) -> bool {
    test.date <= scope.today
        && add_months(test.date, scope.settings.restore_test_months) >= scope.today
}

fn restore_tested(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    let snapshot = scope.snapshot;
    if snapshot.restore_tests.is_empty() && snapshot.slas.is_empty() {
        return vec![meta.finding(
            Status::Fail,
            "backups",
            "no restore test is recorded; 45 CFR 164.308(a)(7)(ii)(D) requires testing that \
             backups can be restored. Restore a system from its backups, and record the test.",
        )];
    }
    let tests = || snapshot.restore_tests.values();
    let systems: BTreeSet<&str> = tests().map(|t| t.record.system.as_str()).collect();
    let mut findings: Vec<Finding> = systems
        .into_iter()
        .map(|system| {
            let of_system: Vec<_> = tests().filter(|t| t.record.system == system).collect();
            let (status, message) = judge_tests(scope, system, &of_system);
            meta.finding(status, format!("system {system}"), message)
                .citing(of_system.iter().map(|t| t.evidence))
        })
        .collect();
    let vendors: BTreeSet<&str> = snapshot
        .slas
        .values()
        .map(|s| s.record.vendor.as_str())
        .collect();
    findings.extend(vendors.into_iter().map(|vendor| {
        let slas: Vec<_> = snapshot
            .slas
            .values()
            .filter(|s| s.record.vendor == vendor)
            .collect();
        let of_vendor: Vec<_> = tests()
            .filter(|t| t.record.vendor.as_deref() == Some(vendor))
            .collect();
        let sla_ids: Vec<&str> = slas.iter().map(|s| s.record.id.as_str()).collect();
        let what = format!(
            "the backups {} keeps under SLA {}",
            vendor_name(snapshot, vendor),
            sla_ids.join(", ")
        );
        let (status, message) = judge_tests(scope, &what, &of_vendor);
        meta.finding(status, subject(Kind::Vendor, vendor), message)
            .citing(
                iter::once(snapshot.evidence_of(Kind::Vendor, vendor))
                    .chain(slas.iter().map(|s| s.evidence))
                    .chain(of_vendor.iter().map(|t| t.evidence)),
            )
    }));
    findings
}

/// Whether `tests` of `what` (a system, or a provider's backups) include a recent success,
/// and a sentence saying so.
fn judge_tests(scope: &Scope<'_>, what: &str, tests: &[&Stored<RestoreTest>]) -> (Status, String) {
    let months = scope.settings.restore_test_months;
    // A test dated after today has not happened yet.
    let done = || {
        tests
            .iter()
            .copied()
            .filter(|t| t.record.date <= scope.today)
    };
    let succeeded = || done().filter(|t| t.record.result == RestoreResult::Success);
    if let Some(test) = latest(succeeded().filter(|t| in_window(&t.record, scope)), |t| {
        t.date
    }) {
        let t = &test.record;
        return (
            Status::Pass,
            format!(
                "a restore of {what} succeeded on {} (test {}); the next test is due by {}.",
                t.date,
                t.id,
                add_months(t.date, months)
            ),
        );
    }
    let last_failure = latest(
        done().filter(|t| t.record.result == RestoreResult::Failure),
        |t| t.date,
    )
    .map(|t| {
        format!(
            " The latest test, on {} ({}), failed.",
            t.record.date, t.record.id
        )
    })
    .unwrap_or_default();
    let message = match latest(succeeded(), |t| t.date) {
        Some(test) => format!(
            "the last successful restore of {what} was on {}, more than {months} months ago; a \
             new test was due by {}.{last_failure}",
            test.record.date,
            add_months(test.record.date, months)
        ),
        None if last_failure.is_empty() => format!("no restore test of {what} is recorded."),
        None => format!("no restore test of {what} has succeeded.{last_failure}"),
    };
    (Status::Fail, message)
}

fn restore_time(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    let max = scope.settings.max_restore_hours;
    let findings = scope
        .snapshot
        .restore_tests
        .values()
        .filter(|t| t.record.result == RestoreResult::Success && in_window(&t.record, scope))
        .map(|test| {
            let t = &test.record;
            let (status, message) = match t.hours_to_restore {
                Some(hours) if hours > max => (
                    Status::Fail,
                    format!(
                        "restoring {} on {} took {hours} hours, more than the {max} allowed.",
                        t.system, t.date
                    ),
                ),
                Some(hours) => (
                    Status::Pass,
                    format!(
                        "restoring {} on {} took {hours} hours, within the {max} allowed.",
                        t.system, t.date
                    ),
                ),
                None => (
                    Status::Warn,
                    format!(
                        "the restore test of {} on {} does not record its time to restore; \
                         record how many hours the restore took.",
                        t.system, t.date
                    ),
                ),
            };
            meta.finding(status, subject(Kind::RestoreTest, &t.id), message)
                .citing([test.evidence])
        })
        .collect();
    or_not_applicable(
        meta,
        findings,
        "backups",
        format!(
            "no successful restore test from the last {} months is recorded, so there is no \
             restore time to judge; register.backup.restore_tested reports the missing tests",
            scope.settings.restore_test_months
        ),
    )
}
