//! Business associate agreements: that every vendor handling PHI has one in force, that it is
//! renewed in time, and that it holds the terms the Privacy and Breach Notification Rules
//! require of it.

use std::iter;

use jiff::civil::Date;
use phiguard_core::{CheckMeta, Finding, Severity, Status};

use super::{Cite, Rule, Scope, days, days_between, or_not_applicable, subject, vendor_name};
use crate::records::{Baa, BaaStatus, Vendor};
use crate::{Kind, Snapshot, Stored};

pub(super) fn rules() -> Vec<Rule> {
    vec![
        Rule::new(
            "register.vendor.baa",
            "every vendor that touches PHI has a business associate agreement in force",
            Severity::Critical,
            "45 CFR 164.308(b)(1) and 164.502(e) let a covered entity share PHI with a business \
             associate only under a written agreement that binds it to safeguard the PHI. A \
             vendor that creates, receives, maintains or transmits PHI without a signed BAA in \
             force is an impermissible disclosure for as long as it lasts. Holding the PHI only \
             encrypted, without the key, does not change that: HHS's guidance on cloud \
             computing says such a provider is still a business associate.",
            "Sign a BAA with the vendor before it handles PHI (or stop sending it PHI), then \
             record it: `phiguard register baa add ID --vendor VENDOR --status signed --signed DATE \
             --expires DATE --document FILE`. For an agreement that was renewed or amended, \
             record the new terms with `phiguard register baa update ID --status signed \
             --signed DATE --expires DATE`. If the vendor never touches PHI, say so with \
             `phiguard register vendor update VENDOR --touches-phi false`.",
            baa_in_force,
        ),
        Rule::new(
            "register.vendor.baa_expiring",
            "business associate agreements are renewed before they end",
            Severity::Medium,
            "A BAA that lapses leaves the vendor holding PHI without the agreement 45 CFR \
             164.308(b)(1) requires, and renegotiating one takes weeks; the renewal has to start \
             well before the end date.",
            "Start the renewal with the vendor now, and record the renewed agreement's end date \
             with `phiguard register baa update ID --expires DATE` (or add the new agreement \
             with `phiguard register baa add ID --vendor VENDOR ...`).",
            baa_expiring,
        ),
        Rule::new(
            "register.vendor.breach_notice",
            "BAAs require the vendor to report breaches within the legal window",
            Severity::High,
            "45 CFR 164.410 requires a business associate to notify the covered entity of a \
             breach of unsecured PHI without unreasonable delay and no later than 60 days after \
             discovery, and the covered entity's own 60-day clock to notify individuals \
             (164.404) may start when the business associate discovers it. A BAA that allows \
             the vendor longer, or says nothing, leaves no time to notify anyone.",
            "Amend the agreement so the vendor must report a breach within the window (many \
             organisations ask for 5 to 10 days), then record it with `phiguard register baa \
             update ID --breach-notice-days DAYS`.",
            breach_notice,
        ),
        Rule::new(
            "register.vendor.baa_clauses",
            "BAAs require return or destruction of PHI, bind subcontractors and require \
             security incidents to be reported",
            Severity::Medium,
            "45 CFR 164.504(e)(2)(ii)(J) requires a BAA to make the vendor return or destroy \
             all PHI when the agreement ends; 164.502(e)(1)(ii) and 164.314(a)(2)(i)(B) require \
             it to bind its subcontractors to the same restrictions; and 164.314(a)(2)(i)(C) \
             requires it to report to the organisation any security incident it becomes aware \
             of, including breaches of unsecured PHI as 164.410 requires. Without these \
             clauses PHI outlives the relationship, leaves it through a subcontractor, or is \
             compromised without the organisation ever hearing of it.",
            "Amend the agreement to include the missing clauses, then record them with \
             `phiguard register baa update ID --return-or-destroy true \
             --subcontractor-flow-down true --security-incident-reporting true`.",
            baa_clauses,
        ),
    ]
}

/// The BAAs recorded for `vendor`.
fn baas_of<'s>(snapshot: &'s Snapshot, vendor: &str) -> Vec<&'s Stored<Baa>> {
    snapshot
        .baas
        .values()
        .filter(|baa| baa.record.vendor == vendor)
        .collect()
}

/// A finding about one BAA, citing the agreement and its vendor.
fn about_baa(
    meta: &CheckMeta,
    scope: &Scope<'_>,
    baa: &Stored<Baa>,
    status: Status,
    message: String,
) -> Finding {
    let vendor = scope.snapshot.vendors.get(&baa.record.vendor);
    meta.finding(status, subject(Kind::Baa, &baa.record.id), message)
        .citing([baa.evidence, vendor.and_then(|v| v.evidence)])
}

fn baa_in_force(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    let today = scope.today;
    let findings = scope
        .snapshot
        .vendors
        .values()
        .filter(|vendor| vendor.record.touches_phi)
        .map(|vendor| {
            let baas = baas_of(scope.snapshot, &vendor.record.id);
            let name = &vendor.record.name;
            let touches = touches_phi(&vendor.record);
            let (status, message) = match baas.iter().find(|b| b.record.in_force_on(today)) {
                Some(baa) => (
                    Status::Pass,
                    format!(
                        "{name} {touches} and BAA {} is in force {}.",
                        baa.record.id,
                        term(&baa.record)
                    ),
                ),
                None if baas.is_empty() => (
                    Status::Fail,
                    format!(
                        "{name} {touches} but no business associate agreement with it is \
                         recorded. Sign one before it handles any more PHI, and record it."
                    ),
                ),
                None => {
                    let states: Vec<String> = baas
                        .iter()
                        .map(|b| not_in_force(&b.record, today))
                        .collect();
                    (
                        Status::Fail,
                        format!(
                            "{name} {touches} but no BAA with it is in force on {today}: {}. \
                             Sign or renew the agreement, and record it.",
                            states.join("; ")
                        ),
                    )
                }
            };
            meta.finding(status, subject(Kind::Vendor, &vendor.record.id), message)
                .citing(iter::once(vendor.evidence).chain(baas.iter().map(|b| b.evidence)))
        })
        .collect();
    or_not_applicable(
        meta,
        findings,
        "vendors",
        "no vendor in the register touches PHI, so none needs a business associate agreement; \
         record vendors with `phiguard register vendor add` and mark those that handle PHI",
    )
}

/// How a vendor touches PHI, for a sentence: a vendor that holds PHI only encrypted is told
/// in so many words that it still needs a BAA, since that is the mistake people make.
fn touches_phi(vendor: &Vendor) -> String {
    if vendor.phi_encrypted_only {
        format!(
            "{}, which still makes it a business associate,",
            vendor.what_it_does()
        )
    } else {
        "touches PHI".into()
    }
}

/// When an in-force agreement runs: "since 2025-01-01 until 2027-01-01".
fn term(baa: &Baa) -> String {
    let since = baa
        .effective
        .or(baa.signed)
        .map(|from| format!("since {from}"));
    let until = match baa.expires {
        Some(until) => format!("until {until}"),
        None => "with no end date".into(),
    };
    since
        .into_iter()
        .chain([until])
        .collect::<Vec<_>>()
        .join(" ")
}

/// Why an agreement is not in force on `today`, for a compliance officer.
fn not_in_force(baa: &Baa, today: Date) -> String {
    let id = &baa.id;
    match baa.status {
        BaaStatus::Draft => format!("BAA {id} is only a draft and was never signed"),
        BaaStatus::Terminated => format!("BAA {id} was terminated"),
        BaaStatus::Expired => match baa.expires {
            Some(until) => format!("BAA {id} expired on {until}"),
            None => format!("BAA {id} is marked expired"),
        },
        BaaStatus::Signed => match (baa.expires, baa.effective.or(baa.signed)) {
            (Some(until), _) if until < today => format!("BAA {id} expired on {until}"),
            (_, Some(from)) if from > today => format!("BAA {id} takes effect only on {from}"),
            _ => format!("BAA {id} is marked signed but records no signed or effective date"),
        },
    }
}

fn baa_expiring(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    let warning = i64::from(scope.settings.baa_expiry_warning_days);
    let findings = scope
        .snapshot
        .baas
        .values()
        .filter(|baa| baa.record.in_force_on(scope.today))
        .map(|baa| {
            let id = &baa.record.id;
            let name = vendor_name(scope.snapshot, &baa.record.vendor);
            let (status, message) = match baa.record.expires {
                None => (
                    Status::Pass,
                    format!("BAA {id} with {name} has no end date."),
                ),
                Some(until) => {
                    let left = days_between(scope.today, until);
                    if left <= warning {
                        (
                            Status::Warn,
                            format!(
                                "BAA {id} with {name} expires on {until}, in {}. Start the \
                                 renewal now so the vendor never holds PHI without an \
                                 agreement in force.",
                                days(left)
                            ),
                        )
                    } else {
                        (
                            Status::Pass,
                            format!(
                                "BAA {id} with {name} runs until {until}, {} from now.",
                                days(left)
                            ),
                        )
                    }
                }
            };
            about_baa(meta, scope, baa, status, message)
        })
        .collect();
    or_not_applicable(
        meta,
        findings,
        "baas",
        format!(
            "no business associate agreement is in force on {}, so none is due for renewal; \
             register.vendor.baa reports vendors that need one",
            scope.today
        ),
    )
}

/// The agreements whose terms bind the vendor now or will: signed, and not past their end
/// date. The terms of an agreement that has ended no longer matter; `register.vendor.baa`
/// reports the vendor left without one.
fn signed<'s>(scope: &Scope<'s>) -> impl Iterator<Item = &'s Stored<Baa>> {
    let today = scope.today;
    scope.snapshot.baas.values().filter(move |baa| {
        baa.record.status == BaaStatus::Signed
            && baa.record.expires.is_none_or(|until| today <= until)
    })
}

/// "not applicable" when no agreement binds a vendor, so there are no terms to judge.
fn none_signed(meta: &CheckMeta, scope: &Scope<'_>, findings: Vec<Finding>) -> Vec<Finding> {
    or_not_applicable(
        meta,
        findings,
        "baas",
        format!(
            "no signed business associate agreement is in force or about to take effect on {}, \
             so there are no terms to judge; register.vendor.baa reports vendors that need one",
            scope.today
        ),
    )
}

fn breach_notice(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    let max = scope.settings.max_breach_notice_days;
    let findings = signed(scope)
        .map(|baa| {
            let id = &baa.record.id;
            let name = vendor_name(scope.snapshot, &baa.record.vendor);
            let (status, message) = match baa.record.breach_notice_days {
                Some(window) if window > max => (
                    Status::Fail,
                    format!(
                        "BAA {id} gives {name} {} to report a breach, more than the {} allowed: \
                         45 CFR 164.410 requires a business associate to report without \
                         unreasonable delay and no later than 60 days after discovery.",
                        days(window.into()),
                        days(max.into())
                    ),
                ),
                Some(window) => (
                    Status::Pass,
                    format!(
                        "BAA {id} requires {name} to report a breach within {} (at most {} \
                         allowed).",
                        days(window.into()),
                        days(max.into())
                    ),
                ),
                None => (
                    Status::Warn,
                    format!(
                        "BAA {id} with {name} does not state a breach-notice window; 45 CFR \
                         164.410 requires a business associate to report a breach no later \
                         than 60 days after discovery. Record the window the agreement sets, \
                         or amend it to set one."
                    ),
                ),
            };
            about_baa(meta, scope, baa, status, message)
        })
        .collect();
    none_signed(meta, scope, findings)
}

fn baa_clauses(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    let findings = signed(scope)
        .map(|baa| {
            let id = &baa.record.id;
            let name = vendor_name(scope.snapshot, &baa.record.vendor);
            let missing: Vec<&str> = [
                (
                    baa.record.return_or_destroy,
                    "return or destroy all PHI when the agreement ends (164.504(e)(2)(ii)(J))",
                ),
                (
                    baa.record.subcontractor_flow_down,
                    "bind its subcontractors to the same terms (164.502(e)(1)(ii))",
                ),
                (
                    baa.record.security_incident_reporting,
                    "report any security incident it becomes aware of, including breaches of \
                     unsecured PHI (164.314(a)(2)(i)(C))",
                ),
            ]
            .into_iter()
            .filter(|(present, _)| !present)
            .map(|(_, clause)| clause)
            .collect();
            let (status, message) = if missing.is_empty() {
                (
                    Status::Pass,
                    format!(
                        "BAA {id} requires {name} to return or destroy PHI at termination, to \
                         bind its subcontractors to the same terms, and to report any security \
                         incident it becomes aware of."
                    ),
                )
            } else {
                (
                    Status::Warn,
                    format!(
                        "BAA {id} does not record a clause requiring {name} to {}. Check the \
                         agreement, and amend it if the clause is missing.",
                        missing.join(", nor one requiring it to ")
                    ),
                )
            };
            about_baa(meta, scope, baa, status, message)
        })
        .collect();
    none_signed(meta, scope, findings)
}
