//! The incident checks, judged on one register snapshot beside the register's own checks:
//! an incident left unassessed, a breach deadline passed with no notice recorded, and a
//! business associate that reported late.
//!
//! Each finding cites the ledger entries of the records it judged: the incident, its
//! assessment and the notices, so an auditor sees which recorded version said what.

use std::sync::Arc;

use jiff::civil::Date;
use phiguard_breach::Rules;
use phiguard_core::{
    CheckContext, CheckMeta, EvidenceRef, Finding, FnCheck, Registry, RegistryError, Severity,
    Status,
};
use phiguard_register::records::{Incident, IncidentStatus, utc_day};
use phiguard_register::{Kind, Snapshot};

use crate::deadlines::{self, DeadlineState, Standing};
use crate::lateness;

/// Days after discovery by which an incident should be assessed. The law gives no number, only
/// 60 days at most to notify (164.404(b)); ten leaves time to investigate, draft and send.
pub const ASSESS_WITHIN_DAYS: i64 = 10;

/// What every incident check judges.
struct Scope<'a> {
    snapshot: &'a Snapshot,
    rules: &'a Rules,
    today: Date,
}

type Judge = fn(&CheckMeta, &Scope<'_>) -> Vec<Finding>;

fn checks() -> Vec<(CheckMeta, Judge)> {
    vec![
        (
            CheckMeta::from_literals(
                "incident.assessed",
                "incidents are assessed for breach within 10 days of discovery",
                Severity::High,
                "45 CFR 164.308(a)(6)(ii) requires identifying and responding to security \
                 incidents, and an impermissible use or disclosure of PHI is presumed a breach \
                 unless an assessment shows a low probability of compromise (164.402(2)). The \
                 60 days to notify run from discovery whether or not anyone has decided \
                 (164.404(b)); an incident still unassessed after 10 days leaves too little \
                 time to investigate, draft and send the notices.",
                "Assess the incident: `phiguard breach assess INCIDENT` asks about the \
                 exclusions, the safe harbour and the four factors and records the conclusion \
                 with who decided. `phiguard breach deadlines INCIDENT` shows what is due \
                 meanwhile.",
            ),
            assessed as Judge,
        ),
        (
            CheckMeta::from_literals(
                "incident.notices",
                "every breach notice is given by its deadline",
                Severity::Critical,
                "45 CFR 164.404 to 164.410 and the state laws set a last day for each notice of \
                 a breach of unsecured PHI: individuals, the media, HHS, state regulators, or as \
                 a business associate the covered entity. 164.414(b) puts the burden of showing \
                 that every notice was given on the organisation, so a notice not recorded by \
                 its day is a notice missed.",
                "Send the notice now (`phiguard breach notices INCIDENT --out DIR` drafts each \
                 one), then record it: `phiguard register breach-notice add --incident INCIDENT \
                 --recipient RECIPIENT [--jurisdiction STATE] --sent DATE --document FILE`. If \
                 the incident was no breach, record the assessment that shows it: `phiguard \
                 breach assess INCIDENT`.",
            ),
            notices as Judge,
        ),
        (
            CheckMeta::from_literals(
                "incident.vendor_report",
                "business associates report incidents within their BAA's and SLA's windows",
                Severity::High,
                "45 CFR 164.314(a)(2)(i)(C) requires a business associate to report security \
                 incidents, and 164.410(b) breaches no later than 60 days after it discovers \
                 them; its BAA and SLA may promise less. A late report eats into the \
                 organisation's own 60 days (164.404(b)) and is a breach of contract to take up \
                 with the vendor.",
                "Take the late report up with the vendor under its BAA and record the outcome in \
                 the incident's timeline (`phiguard incident timeline INCIDENT --phase lessons \
                 --at TIME --note TEXT`). Where the report does not say when the vendor discovered the \
                 incident, ask and record it: `phiguard incident update INCIDENT \
                 --vendor-discovered TIME`.",
            ),
            vendor_report as Judge,
        ),
    ]
}

/// Adds the incident checks, judging `snapshot` with `rules`, to `registry`.
pub fn add_to(
    registry: &mut Registry,
    snapshot: Arc<Snapshot>,
    rules: Arc<Rules>,
) -> Result<(), RegistryError> {
    for (meta, judge) in checks() {
        let snapshot = Arc::clone(&snapshot);
        let rules = Arc::clone(&rules);
        registry.register(FnCheck::boxed(meta, move |meta, ctx: &CheckContext| {
            let scope = Scope {
                snapshot: &snapshot,
                rules: &rules,
                today: utc_day(ctx.now),
            };
            Ok(judge(meta, &scope))
        }))?;
    }
    Ok(())
}

/// The checks' ids, for the catalog's tests.
pub fn ids() -> Vec<String> {
    checks()
        .into_iter()
        .map(|(meta, _)| meta.id.to_string())
        .collect()
}

fn subject(incident: &Incident) -> String {
    format!("incident {}", incident.id)
}

/// The ledger entries of an incident and of its breach assessment.
fn incident_evidence(snapshot: &Snapshot, incident: &Incident) -> Vec<EvidenceRef> {
    let mut refs: Vec<EvidenceRef> = snapshot
        .evidence_of(Kind::Incident, &incident.id)
        .into_iter()
        .collect();
    refs.extend(
        snapshot
            .breach_assessments
            .values()
            .filter(|a| a.record.incident == incident.id)
            .filter_map(|a| a.evidence),
    );
    refs
}

fn with_evidence(mut finding: Finding, refs: Vec<EvidenceRef>) -> Finding {
    for reference in refs {
        if !finding.evidence.contains(&reference) {
            finding.evidence.push(reference);
        }
    }
    finding
}

/// No incidents recorded: the checks judged nothing, and say so rather than pass.
fn none_recorded(meta: &CheckMeta) -> Vec<Finding> {
    vec![meta.finding(
        Status::NotApplicable,
        "incidents",
        "no security incident is recorded; record each one with `phiguard incident add`",
    )]
}

fn assessed(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    if scope.snapshot.incidents.is_empty() {
        return none_recorded(meta);
    }
    scope
        .snapshot
        .incidents
        .values()
        .map(|stored| {
            let incident = &stored.record;
            let evidence = incident_evidence(scope.snapshot, incident);
            let assessment = crate::assessment_of(scope.snapshot, &incident.id);
            let discovered = incident.discovered_day();
            let days = i64::from((scope.today - discovered).get_days());
            let finding = match assessment {
                Some(a) => meta.finding(
                    Status::Pass,
                    subject(incident),
                    format!(
                        "assessed on {} by {}: {}",
                        a.decided, a.decided_by, a.conclusion
                    ),
                ),
                None if incident.status == IncidentStatus::Closed => meta.finding(
                    Status::Fail,
                    subject(incident),
                    format!(
                        "closed without a breach assessment; discovered {discovered}. Without \
                         one it is presumed a breach (45 CFR 164.402(2)) and nothing shows \
                         otherwise (164.414(b))"
                    ),
                ),
                None if days > ASSESS_WITHIN_DAYS => meta.finding(
                    Status::Warn,
                    subject(incident),
                    format!(
                        "discovered {discovered}, {days} days ago, and not assessed for breach; \
                         assess it within {ASSESS_WITHIN_DAYS} days of discovery"
                    ),
                ),
                None => meta.finding(
                    Status::Pass,
                    subject(incident),
                    format!(
                        "discovered {discovered}, {days} days ago; not assessed yet, within the \
                         {ASSESS_WITHIN_DAYS} days allowed"
                    ),
                ),
            };
            with_evidence(finding, evidence)
        })
        .collect()
}

fn notices(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    if scope.snapshot.incidents.is_empty() {
        return none_recorded(meta);
    }
    let mut findings = Vec::new();
    for stored in scope.snapshot.incidents.values() {
        let incident = &stored.record;
        let due = deadlines::deadlines(scope.rules, scope.snapshot, incident, scope.today);
        let mut evidence = incident_evidence(scope.snapshot, incident);
        evidence.extend(
            due.deadlines
                .iter()
                .filter_map(|d| d.given.as_ref())
                .filter_map(|g| scope.snapshot.evidence_of(Kind::BreachNotice, &g.id)),
        );
        let describe = |d: &deadlines::Deadline| {
            let whom = d.notice.recipient.as_str().replace('_', " ");
            match &d.notice.jurisdiction {
                Some(state) => format!(
                    "{whom} ({state}) by {} ({})",
                    d.notice.due, d.notice.citation
                ),
                None => format!("{whom} by {} ({})", d.notice.due, d.notice.citation),
            }
        };
        let overdue: Vec<String> = due
            .deadlines
            .iter()
            .filter(|d| d.state == DeadlineState::Overdue)
            .map(describe)
            .collect();
        let late: Vec<String> = due
            .deadlines
            .iter()
            .filter(|d| d.state == DeadlineState::MetLate)
            .map(describe)
            .collect();
        let open = due
            .deadlines
            .iter()
            .filter(|d| d.state == DeadlineState::Open)
            .count();
        let presumed = if due.standing == Standing::NotAssessed {
            " (not assessed: presumed a breach, 45 CFR 164.402(2))"
        } else {
            ""
        };
        let finding = if !overdue.is_empty() {
            meta.finding(
                Status::Fail,
                subject(incident),
                format!(
                    "past its deadline with no notice recorded{presumed}: {}",
                    overdue.join("; ")
                ),
            )
        } else if !late.is_empty() {
            meta.finding(
                Status::Fail,
                subject(incident),
                format!("notice given after its deadline: {}", late.join("; ")),
            )
        } else if let Standing::NotNotifiable(conclusion) = due.standing {
            meta.finding(
                Status::NotApplicable,
                subject(incident),
                format!("assessed as {conclusion}: no notice is due"),
            )
        } else if open > 0 {
            meta.finding(
                Status::Pass,
                subject(incident),
                format!(
                    "{open} notice{} still open, none past its deadline{presumed}",
                    if open == 1 { "" } else { "s" }
                ),
            )
        } else {
            meta.finding(
                Status::Pass,
                subject(incident),
                "every notice given by its deadline",
            )
        };
        findings.push(with_evidence(finding, evidence));
    }
    findings
}

fn vendor_report(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    let findings: Vec<Finding> = scope
        .snapshot
        .incidents
        .values()
        .filter_map(|stored| {
            let incident = &stored.record;
            let report = lateness::judge(scope.snapshot, incident)?;
            let mut evidence = incident_evidence(scope.snapshot, incident);
            evidence.extend(
                incident
                    .baa
                    .as_deref()
                    .and_then(|baa| scope.snapshot.evidence_of(Kind::Baa, baa)),
            );
            let who = report.vendor.as_deref().unwrap_or("the vendor");
            let finding = match report.took {
                None => meta.finding(
                    Status::Warn,
                    subject(incident),
                    format!(
                        "reported by {who}, but when {who} discovered it is not recorded, so \
                         the report cannot be judged against its windows"
                    ),
                ),
                Some(took) => {
                    let hours = took.as_secs() / 3600;
                    let missed: Vec<String> =
                        report.missed().map(|w| w.agreed.describe()).collect();
                    if missed.is_empty() {
                        meta.finding(
                            Status::Pass,
                            subject(incident),
                            format!(
                                "{who} reported it {hours} hours after discovering it, within \
                                 every window ({})",
                                report
                                    .windows
                                    .iter()
                                    .map(|w| w.agreed.describe())
                                    .collect::<Vec<_>>()
                                    .join("; ")
                            ),
                        )
                    } else {
                        meta.finding(
                            Status::Fail,
                            subject(incident),
                            format!(
                                "{who} reported it {hours} hours after discovering it, past {}",
                                missed.join("; ")
                            ),
                        )
                    }
                }
            };
            Some(with_evidence(finding, evidence))
        })
        .collect();
    if findings.is_empty() {
        vec![meta.finding(
            Status::NotApplicable,
            "incidents",
            "no incident reported by a vendor or the cloud provider is recorded",
        )]
    } else {
        findings
    }
}
