//! Assurance reports: a control the responsibility matrix leaves to a provider is only as well
//! carried as the evidence shows, and the evidence is an independent auditor's current report
//! on that vendor.

use std::collections::BTreeMap;
use std::iter;

use phiguard_core::{CheckMeta, Finding, Severity, Status};

use super::{
    Cite, Rule, Scope, days, days_between, latest, or_not_applicable, subject, vendor_name,
};
use crate::records::{ASSURANCE_VALID_MONTHS, AssuranceReport, ResponsibilityRecord};
use crate::{Kind, Stored};

pub(super) fn rules() -> Vec<Rule> {
    vec![Rule::new(
        "register.vendor.assurance",
        "vendors the responsibility matrix relies on have a current assurance report",
        Severity::High,
        "Under the shared-responsibility model the organisation stays accountable for the \
         controls it leaves to a provider: 45 CFR 164.308(b)(1) and 164.314(a) require \
         satisfactory assurances that a business associate safeguards the PHI, and \
         164.308(a)(8) a periodic evaluation of the safeguards. A provider's word is not \
         evidence; an independent auditor's report on the period just ended is (SOC 2 Type II, \
         HITRUST r2, ISO 27001, FedRAMP). A report counts for 12 months after its period ends, \
         about when the next one is due.",
        "Ask the vendor for its current report (under NDA if need be), check that its scope \
         covers the services you use and read its exceptions, then record it: `phiguard \
         register assurance add ID --vendor VENDOR --kind soc2-type2 --period-start DATE \
         --period-end DATE --issuer FIRM --document FILE`. A vendor with no report cannot be \
         relied on for the controls it carries: get other evidence of them, or carry them \
         yourself and mark them customer with `phiguard register responsibility update \
         CONTROL --responsibility customer --unset vendor`.",
        assurance,
    )]
}

/// The vendors named by provider and shared rows of the matrix, each with those rows in the
/// order of the regulation.
fn relied_on<'s>(scope: &Scope<'s>) -> BTreeMap<&'s str, Vec<&'s Stored<ResponsibilityRecord>>> {
    let mut vendors: BTreeMap<&str, Vec<&Stored<ResponsibilityRecord>>> = BTreeMap::new();
    for row in scope.snapshot.matrix.values() {
        if row.record.responsibility.involves_provider()
            && let Some(vendor) = row.record.vendor.as_deref()
        {
            vendors.entry(vendor).or_default().push(row);
        }
    }
    for rows in vendors.values_mut() {
        rows.sort_by_key(|row| row.record.control());
    }
    vendors
}

fn assurance(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    let (snapshot, today) = (scope.snapshot, scope.today);
    let findings = relied_on(scope)
        .into_iter()
        .map(|(vendor, rows)| {
            let name = vendor_name(snapshot, vendor);
            let carries = format!(
                "{name} carries {} in the responsibility matrix",
                controls(&rows)
            );
            let reports: Vec<&Stored<AssuranceReport>> = snapshot
                .assurance_reports
                .values()
                .filter(|r| r.record.vendor == vendor)
                .collect();
            let current = latest(
                reports
                    .iter()
                    .copied()
                    .filter(|r| r.record.is_current_on(today)),
                |r| r.period_end,
            );
            let newest = latest(reports.iter().copied(), |r| r.period_end);
            let (status, message) = match (current, newest) {
                (Some(report), _) => (
                    Status::Pass,
                    format!(
                        "{carries}, and its {} counts until {}.",
                        describe(&report.record),
                        report.record.valid_until()
                    ),
                ),
                (None, None) => (
                    Status::Fail,
                    format!(
                        "{carries}, but no assurance report on it is recorded, so nothing \
                         independent shows that it does. Ask {name} for its current report and \
                         record it."
                    ),
                ),
                (None, Some(report)) if report.record.period_end > today => (
                    Status::Fail,
                    format!(
                        "{carries}, but its newest {} covers a period that has not ended yet; \
                         a report counts once its period has ended and the auditor has \
                         reported on it.",
                        describe(&report.record)
                    ),
                ),
                (None, Some(report)) => {
                    let until = report.record.valid_until();
                    (
                        Status::Fail,
                        format!(
                            "{carries}, but its newest {} lapsed after {until}, {} ago \
                             ({ASSURANCE_VALID_MONTHS} months after its period ended). Ask \
                             {name} for its current report and record it.",
                            describe(&report.record),
                            days(days_between(until, today)),
                        ),
                    )
                }
            };
            meta.finding(status, subject(Kind::Vendor, vendor), message)
                .citing(
                    iter::once(snapshot.evidence_of(Kind::Vendor, vendor))
                        .chain(rows.iter().map(|row| row.evidence))
                        .chain(reports.iter().map(|report| report.evidence)),
                )
        })
        .collect();
    or_not_applicable(
        meta,
        findings,
        "responsibility matrix",
        "no provider or shared control in the responsibility matrix names a vendor, so no \
         vendor's assurance report is relied on; name the vendor that carries each such control \
         with `phiguard register responsibility update CONTROL --vendor VENDOR`",
    )
}

/// "SOC 2 Type II report s1 by Example LLP for 2025-01-01 to 2025-12-31".
fn describe(report: &AssuranceReport) -> String {
    format!(
        "{} report {} by {} for {} to {}",
        report.kind.title(),
        report.id,
        report.issuer,
        report.period_start,
        report.period_end
    )
}

/// How many controls the rows are, naming the first few: "3 controls (164.310(a)(1), …)".
fn controls(rows: &[&Stored<ResponsibilityRecord>]) -> String {
    const SHOWN: usize = 5;
    let ids: Vec<String> = rows
        .iter()
        .map(|row| row.record.control().to_string())
        .collect();
    match ids.as_slice() {
        [one] => format!("control {one}"),
        _ if ids.len() > SHOWN => format!(
            "{} controls ({} and {} more)",
            ids.len(),
            ids[..SHOWN].join(", "),
            ids.len() - SHOWN
        ),
        _ => format!("{} controls ({})", ids.len(), ids.join(", ")),
    }
}
