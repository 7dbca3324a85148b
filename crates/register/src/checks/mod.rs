//! The register's checks: the rules HIPAA sets for what people record (BAAs and assurance
//! reports, service levels, training, access grants and their reviews, restore tests), judged
//! on one [`Snapshot`].
//!
//! Every finding cites the ledger entries of the records it judged, so a report can show not
//! only that a vendor's BAA was in force but which recorded version of it said so, and an
//! auditor can fetch exactly that version later even if the record has changed since.
//!
//! A register nobody has filled in must not look compliant: where there is nothing to judge a
//! check says so with one "not applicable" finding naming why, and where an empty list is
//! itself the gap (no training course, no restore test) it fails.

mod access;
mod assurance;
mod backups;
mod integrity;
mod matrix;
mod slas;
mod training;
mod vendors;

use std::sync::Arc;

use jiff::SignedDuration;
use jiff::civil::Date;
use phiguard_core::{
    CheckContext, CheckMeta, EvidenceRef, Finding, FnCheck, Registry, RegistryError, Severity,
    Status,
};

use crate::{Kind, Snapshot, Stored};

/// Thresholds of the register checks. They are phiguard.toml's `[register]` section itself, so
/// the defaults a check applies and the defaults a configuration without that section gets are
/// one and the same.
pub use phiguard_home::RegisterConfig as Settings;

/// Every register check, judging `snapshot`.
///
/// The snapshot is shared rather than re-read per check, so all checks of one run judge the
/// same state of the register.
pub fn registry(snapshot: Arc<Snapshot>, settings: &Settings) -> Result<Registry, RegistryError> {
    let rules = vendors::rules()
        .into_iter()
        .chain(assurance::rules())
        .chain(slas::rules())
        .chain(matrix::rules())
        .chain(training::rules())
        .chain(access::rules())
        .chain(backups::rules())
        .chain(integrity::rules());
    let mut registry = Registry::new();
    for Rule { meta, judge } in rules {
        let snapshot = Arc::clone(&snapshot);
        let settings = settings.clone();
        registry.register(FnCheck::boxed(meta, move |meta, ctx| {
            let scope = Scope {
                snapshot: &snapshot,
                settings: &settings,
                today: today(ctx),
            };
            Ok(judge(meta, &scope))
        }))?;
    }
    Ok(registry)
}

/// What every register check judges: the records, the thresholds, and the day.
#[derive(Debug, Clone, Copy)]
struct Scope<'a> {
    snapshot: &'a Snapshot,
    settings: &'a Settings,
    today: Date,
}

/// A check's metadata and its judgement. Register checks cannot fail to run (the snapshot is
/// already in memory), so a judgement returns findings, never an error.
struct Rule {
    meta: CheckMeta,
    judge: fn(&CheckMeta, &Scope<'_>) -> Vec<Finding>,
}

impl Rule {
    fn new(
        id: &str,
        title: &str,
        severity: Severity,
        rationale: &str,
        remediation: &str,
        judge: fn(&CheckMeta, &Scope<'_>) -> Vec<Finding>,
    ) -> Rule {
        Rule {
            meta: CheckMeta::from_literals(id, title, severity, rationale, remediation),
            judge,
        }
    }
}

/// The day the checks judge: the context's clock as a UTC date, so the same run gives the same
/// answer whatever the time zone of the machine it runs on.
fn today(ctx: &CheckContext) -> Date {
    crate::records::utc_day(ctx.now)
}

/// Whole days from `earlier` to `later`; negative when `later` comes first.
fn days_between(earlier: Date, later: Date) -> i64 {
    i64::from((later - earlier).get_days())
}

/// The date `days` days after `date`, or the last representable date.
fn add_days(date: Date, days: u32) -> Date {
    date.saturating_add(SignedDuration::from_hours(i64::from(days) * 24))
}

/// "1 day", "12 days".
fn days(n: i64) -> String {
    if n == 1 {
        "1 day".into()
    } else {
        format!("{n} days")
    }
}

/// A finding's subject: the record's kind and id, as `phiguard register` names it.
fn subject(kind: Kind, id: &str) -> String {
    format!("{kind} {id}")
}

/// Attaching the ledger entries of the records a finding judged.
trait Cite {
    /// Adds each reference present, once, keeping the order given: records not stored yet
    /// have no ledger entry to cite.
    fn citing(self, refs: impl IntoIterator<Item = Option<EvidenceRef>>) -> Self;
}

impl Cite for Finding {
    fn citing(mut self, refs: impl IntoIterator<Item = Option<EvidenceRef>>) -> Finding {
        for reference in refs.into_iter().flatten() {
            if !self.evidence.contains(&reference) {
                self.evidence.push(reference);
            }
        }
        self
    }
}

/// `findings`, or when there are none one "not applicable" finding saying why, so a report
/// never shows a check that judged nothing as silently passed.
fn or_not_applicable(
    meta: &CheckMeta,
    findings: Vec<Finding>,
    subject: &str,
    why: impl Into<String>,
) -> Vec<Finding> {
    if findings.is_empty() {
        vec![meta.finding(Status::NotApplicable, subject, why)]
    } else {
        findings
    }
}

/// The most recent of `records` by `key` (a date); the last of equals, as `max_by_key` gives.
fn latest<'s, T: 's, K: Ord>(
    records: impl IntoIterator<Item = &'s Stored<T>>,
    key: impl Fn(&T) -> K,
) -> Option<&'s Stored<T>> {
    records.into_iter().max_by_key(|stored| key(&stored.record))
}

/// The vendor's name for messages, or its id when the vendor is not in the register.
fn vendor_name<'s>(snapshot: &'s Snapshot, vendor: &'s str) -> &'s str {
    snapshot
        .vendors
        .get(vendor)
        .map_or(vendor, |v| v.record.name.as_str())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::Settings;

    /// The thresholds the checks apply when phiguard.toml says nothing, pinned: changing one
    /// changes what every installation without a `[register]` section is judged by.
    fn documented_defaults() -> Settings {
        Settings {
            baa_expiry_warning_days: 60,
            max_breach_notice_days: 60,
            training_due_warning_days: 30,
            review_interval_days: 90,
            restore_test_months: 12,
            max_restore_hours: 72.0,
            min_availability_percent: 99.0,
            record_retention_years: 6,
        }
    }

    #[test]
    fn a_configuration_without_the_register_section_gets_exactly_the_checks_defaults() {
        let text = "[installation]\nname = \"clinic\"\n";
        let config = phiguard_home::Config::parse(text, Path::new("phiguard.toml")).unwrap();
        assert_eq!(config.register, Settings::default());
        assert_eq!(Settings::default(), documented_defaults());
    }

    #[test]
    fn a_partial_register_section_keeps_the_defaults_of_the_keys_it_leaves_out() {
        let text = "[installation]\nname = \"clinic\"\n\n[register]\nreview_interval_days = 30\n";
        let config = phiguard_home::Config::parse(text, Path::new("phiguard.toml")).unwrap();
        assert_eq!(
            config.register,
            Settings {
                review_interval_days: 30,
                ..documented_defaults()
            }
        );
    }

    #[test]
    fn an_unknown_register_key_is_refused_rather_than_ignored() {
        let text = "[installation]\nname = \"clinic\"\n\n[register]\nreview_days = 30\n";
        let err = phiguard_home::Config::parse(text, Path::new("phiguard.toml")).unwrap_err();
        assert!(err.to_string().contains("review_days"), "{err}");
    }
}
