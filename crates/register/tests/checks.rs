#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The register checks, run through their registry on registers built in memory: each rule's
//! pass, its failure or warning, the boundary days, and the ledger entries findings cite.

use std::collections::BTreeSet;
use std::sync::Arc;

use jiff::ToSpan;
use jiff::civil::{Date, date};
use phiguard_core::{CheckContext, EvidenceRef, Finding, Status};
use phiguard_register::checks::{Settings, registry};
use phiguard_register::records::*;
use phiguard_register::{AnyRecord, Kind, Snapshot, Tampered};

/// The day every test judges: `NOW` as a UTC date.
const TODAY: Date = date(2026, 11, 28);
const NOW: &str = "2026-11-28T12:00:00Z";

const IDS: [&str; 17] = [
    "register.access.grant_expired",
    "register.access.review_overdue",
    "register.backup.restore_tested",
    "register.backup.restore_time",
    "register.integrity",
    "register.matrix.owner",
    "register.sla.incident_notice",
    "register.sla.recovery",
    "register.sla.terms",
    "register.training.current",
    "register.training.policy_acknowledged",
    "register.vendor.assurance",
    "register.vendor.baa",
    "register.vendor.baa_clauses",
    "register.vendor.baa_expiring",
    "register.vendor.breach_notice",
    "register.workforce.departed_access",
];

fn days_from_today(days: i64) -> Date {
    TODAY.checked_add(days.days()).unwrap()
}

/// A register built record by record, each with its own ledger reference.
#[derive(Default)]
struct Register {
    snapshot: Snapshot,
}

impl Register {
    /// Stores `record` and returns the ledger reference it was given.
    fn add(&mut self, record: impl Into<AnyRecord>) -> EvidenceRef {
        let seq = self.snapshot.all().len() as u64 + 1;
        let reference = EvidenceRef {
            seq,
            leaf_hash: [seq as u8; 32],
        };
        self.snapshot.insert(record.into(), Some(reference));
        reference
    }

    fn run(&self, check: &str) -> Vec<Finding> {
        self.run_at(check, &Settings::default(), NOW)
    }

    /// Every check, with the default settings.
    fn run_every_check(&self) -> Vec<Finding> {
        let registry = registry(Arc::new(self.snapshot.clone()), &Settings::default()).unwrap();
        let ctx = CheckContext::new("/", NOW.parse().unwrap());
        registry.run_all(&ctx, |_| true)
    }

    fn run_at(&self, check: &str, settings: &Settings, now: &str) -> Vec<Finding> {
        let registry = registry(Arc::new(self.snapshot.clone()), settings).unwrap();
        let ctx = CheckContext::new("/", now.parse().unwrap());
        let findings = registry.run_all(&ctx, |meta| meta.id.as_str() == check);
        assert!(!findings.is_empty(), "{check} reported nothing");
        assert!(
            findings.iter().all(|f| f.check.as_str() == check),
            "{findings:#?}"
        );
        findings
    }
}

/// The one finding about `subject`.
fn about<'f>(findings: &'f [Finding], subject: &str) -> &'f Finding {
    let matching: Vec<&Finding> = findings.iter().filter(|f| f.subject == subject).collect();
    assert_eq!(
        matching.len(),
        1,
        "one finding about {subject:?} in {findings:#?}"
    );
    matching[0]
}

/// Asserts the finding's status and that its message says each of `says`.
fn assert_finding(finding: &Finding, status: Status, says: &[&str]) {
    assert_eq!(finding.status, status, "{finding:#?}");
    for text in says {
        assert!(
            finding.message.contains(text),
            "{:?} does not say {text:?}",
            finding.message
        );
    }
    assert_eq!(
        finding.remediation.is_some(),
        matches!(status, Status::Fail | Status::Warn),
        "only findings that call for action carry the remediation: {finding:#?}"
    );
}

/// The single finding a check reported, asserted like [`assert_finding`].
fn only<'f>(findings: &'f [Finding], status: Status, subject: &str, says: &[&str]) -> &'f Finding {
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(findings[0].subject, subject);
    assert_finding(&findings[0], status, says);
    &findings[0]
}

fn vendor(id: &str, touches_phi: bool) -> Vendor {
    Vendor {
        id: id.into(),
        name: format!("{id} Inc."),
        services: vec!["hosting".into()],
        touches_phi,
        phi_uses: Vec::new(),
        phi_encrypted_only: false,
        systems: Vec::new(),
        contact: None,
        notes: None,
    }
}

/// A signed BAA in force since 2025-01-01, with no end date, every clause and a 10-day
/// breach-notice window.
fn baa(id: &str, vendor: &str) -> Baa {
    Baa {
        id: id.into(),
        vendor: vendor.into(),
        status: BaaStatus::Signed,
        signed: Some(date(2025, 1, 1)),
        effective: None,
        expires: None,
        breach_notice_days: Some(10),
        return_or_destroy: true,
        subcontractor_flow_down: true,
        security_incident_reporting: true,
        document: None,
    }
}

/// An SLA every rule passes: 99.9 %, daily backups kept 6 years, a 48-hour RTO and a 24-hour
/// incident notice.
fn sla(id: &str, vendor: &str) -> Sla {
    Sla {
        id: id.into(),
        vendor: vendor.into(),
        availability_percent: Some(99.9),
        rpo_hours: Some(24.0),
        rto_hours: Some(48.0),
        backup_frequency_hours: Some(24.0),
        retention_days: Some(2192),
        incident_notice_hours: Some(24),
    }
}

/// A SOC 2 Type II report on `vendor` for the year ending `period_end`.
fn report(id: &str, vendor: &str, period_end: Date) -> AssuranceReport {
    AssuranceReport {
        id: id.into(),
        vendor: vendor.into(),
        kind: AssuranceKind::Soc2Type2,
        period_start: period_end
            .checked_sub(1.year())
            .unwrap()
            .tomorrow()
            .unwrap(),
        period_end,
        issuer: "Example & Partners LLP".into(),
        scope: None,
        document: None,
    }
}

fn restore_test(id: &str, system: &str, day: Date, result: RestoreResult) -> RestoreTest {
    RestoreTest {
        id: id.into(),
        system: system.into(),
        vendor: None,
        date: day,
        result,
        hours_to_restore: Some(4.0),
        notes: None,
    }
}

fn control(
    citation: &str,
    responsibility: Responsibility,
    owner: Option<&str>,
) -> ResponsibilityRecord {
    let mut row = ResponsibilityRecord::new(citation.parse().unwrap(), responsibility);
    row.owner = owner.map(Into::into);
    row
}

/// A matrix row `vendor` carries.
fn carried_by(
    citation: &str,
    responsibility: Responsibility,
    vendor: &str,
) -> ResponsibilityRecord {
    let mut row = control(citation, responsibility, Some("Platform team"));
    row.vendor = Some(vendor.into());
    row
}

/// A person with PHI access, role `clinician`, since 2020.
fn person(id: &str) -> Person {
    Person {
        id: id.into(),
        name: format!("{}{}", id[..1].to_uppercase(), &id[1..]),
        email: format!("{id}@example.org"),
        role: "clinician".into(),
        started: date(2020, 1, 1),
        left: None,
        phi_access: true,
    }
}

/// An annual course for everyone with PHI access.
fn course(id: &str) -> Course {
    Course {
        id: id.into(),
        title: "HIPAA basics".into(),
        interval_months: 12,
        roles: Vec::new(),
    }
}

fn completion(person: &str, course: &str, completed: Date) -> Completion {
    Completion {
        id: Completion::default_id(person, course, completed),
        person: person.into(),
        course: course.into(),
        completed,
        evidence_sha256: None,
    }
}

fn policy(id: &str, version: &str) -> Policy {
    Policy {
        id: id.into(),
        title: "Sanctions policy".into(),
        version: version.into(),
        approver: "Chief Privacy Officer".into(),
        approved: date(2026, 3, 1),
        roles: Vec::new(),
    }
}

fn acknowledgment(person: &str, policy: &str, version: &str, day: Date) -> Acknowledgment {
    Acknowledgment {
        id: Acknowledgment::default_id(person, policy, version),
        person: person.into(),
        policy: policy.into(),
        version: version.into(),
        acknowledged: day,
    }
}

fn grant(id: &str, person: &str, system: &str, granted: Date) -> Grant {
    Grant {
        id: id.into(),
        person: person.into(),
        system: system.into(),
        role: "admin".into(),
        account: None,
        approver: "Carol".into(),
        justification: "on call".into(),
        granted,
        expires: None,
        revoked: None,
    }
}

fn revoked(mut grant: Grant, day: Date) -> Grant {
    grant.revoked = Some(Revocation {
        date: day,
        by: "Carol".into(),
        reason: "left".into(),
    });
    grant
}

fn review(id: &str, system: &str, grants: &[&str], closed: Option<Date>) -> Review {
    let started = closed.map_or(days_from_today(-5), |c| c.checked_sub(7.days()).unwrap());
    let decisions = if closed.is_some() {
        grants
            .iter()
            .map(|g| ReviewDecision {
                grant: (*g).into(),
                decision: Decision::Keep,
                reviewer: "Carol".into(),
                comment: "still needed".into(),
                date: started,
            })
            .collect()
    } else {
        Vec::new()
    };
    Review {
        id: id.into(),
        system: system.into(),
        started,
        grants: grants.iter().map(|g| (*g).into()).collect(),
        decisions,
        closed,
    }
}

// The registry.

#[test]
fn every_check_is_registered_once_under_register() {
    let registry = registry(Arc::new(Snapshot::default()), &Settings::default()).unwrap();
    let ids: Vec<&str> = registry.metas().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, IDS, "check ids are stable API");
    let unique: BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len());
    for meta in registry.metas() {
        assert!(meta.id.as_str().starts_with("register."), "{}", meta.id);
        assert_eq!(meta.id.namespace(), "register");
        assert!(!meta.title.is_empty() && meta.rationale.contains("164."));
        assert!(meta.remediation.contains("phiguard "), "{}", meta.id);
    }
}

#[test]
fn the_default_thresholds_are_the_rules() {
    let settings = Settings::default();
    assert_eq!(settings.baa_expiry_warning_days, 60);
    assert_eq!(settings.max_breach_notice_days, 60);
    assert_eq!(settings.training_due_warning_days, 30);
    assert_eq!(settings.review_interval_days, 90);
    assert_eq!(settings.restore_test_months, 12);
    assert_eq!(settings.max_restore_hours, 72.0);
    assert_eq!(settings.min_availability_percent, 99.0);
    assert_eq!(settings.record_retention_years, 6);
}

#[test]
fn an_empty_register_passes_nothing_but_its_integrity() {
    let empty = Register::default();
    for id in IDS {
        let findings = empty.run(id);
        for finding in &findings {
            if id == "register.integrity" {
                assert_finding(
                    finding,
                    Status::Pass,
                    &["the register holds no records yet"],
                );
            } else {
                assert!(
                    matches!(finding.status, Status::NotApplicable | Status::Fail),
                    "an empty register must not pass {id}: {finding:#?}"
                );
                assert!(!finding.message.is_empty());
            }
        }
    }
    // A fresh install must look incomplete where an empty list is itself the gap.
    only(
        &empty.run("register.backup.restore_tested"),
        Status::Fail,
        "backups",
        &["no restore test is recorded", "164.308(a)(7)(ii)(D)"],
    );
}

// register.vendor.baa

#[test]
fn a_vendor_with_a_baa_in_force_passes_and_cites_both() {
    let mut r = Register::default();
    let v = r.add(vendor("acme-cloud", true));
    let b = r.add(Baa {
        expires: Some(TODAY),
        ..baa("acme-2025", "acme-cloud")
    });
    let other = r.add(Baa {
        status: BaaStatus::Draft,
        ..baa("acme-draft", "acme-cloud")
    });
    r.add(vendor("paper-shredders", false));
    let findings = r.run("register.vendor.baa");
    let f = only(
        &findings,
        Status::Pass,
        "vendor acme-cloud",
        &["acme-2025", "since 2025-01-01 until 2026-11-28"],
    );
    assert_eq!(f.evidence, [v, b, other], "the vendor and every BAA judged");
}

#[test]
fn a_vendor_without_a_baa_in_force_fails_naming_why() {
    let mut r = Register::default();
    let v = r.add(vendor("none", true));
    r.add(vendor("drafted", true));
    r.add(Baa {
        status: BaaStatus::Draft,
        signed: None,
        ..baa("d-1", "drafted")
    });
    r.add(vendor("lapsed", true));
    let lapsed = r.add(Baa {
        expires: Some(date(2026, 11, 27)),
        ..baa("l-1", "lapsed")
    });
    r.add(vendor("ended", true));
    r.add(Baa {
        status: BaaStatus::Terminated,
        ..baa("t-1", "ended")
    });
    r.add(vendor("future", true));
    r.add(Baa {
        effective: Some(date(2027, 1, 1)),
        ..baa("f-1", "future")
    });
    let findings = r.run("register.vendor.baa");
    assert_eq!(findings.len(), 5);
    let none = about(&findings, "vendor none");
    assert_finding(none, Status::Fail, &["no business associate agreement"]);
    assert_eq!(none.evidence, [v]);
    assert_finding(
        about(&findings, "vendor drafted"),
        Status::Fail,
        &["BAA d-1 is only a draft"],
    );
    let f = about(&findings, "vendor lapsed");
    assert_finding(
        f,
        Status::Fail,
        &["BAA l-1 expired on 2026-11-27", "2026-11-28"],
    );
    assert!(f.evidence.contains(&lapsed));
    assert_finding(
        about(&findings, "vendor ended"),
        Status::Fail,
        &["BAA t-1 was terminated"],
    );
    assert_finding(
        about(&findings, "vendor future"),
        Status::Fail,
        &["takes effect only on 2027-01-01"],
    );
}

#[test]
fn vendors_that_do_not_touch_phi_need_no_baa() {
    let mut r = Register::default();
    r.add(vendor("paper-shredders", false));
    only(
        &r.run("register.vendor.baa"),
        Status::NotApplicable,
        "vendors",
        &["no vendor in the register touches PHI"],
    );
}

#[test]
fn a_vendor_holding_only_encrypted_phi_is_still_told_it_needs_a_baa() {
    let mut r = Register::default();
    let keyless = || Vendor {
        phi_uses: vec![PhiUse::Maintains],
        phi_encrypted_only: true,
        ..vendor("vault", true)
    };
    r.add(keyless());
    only(
        &r.run("register.vendor.baa"),
        Status::Fail,
        "vendor vault",
        &[
            "maintains PHI, only encrypted and without the key, which still makes it a business associate",
            "no business associate agreement",
        ],
    );
    r.add(baa("vault-2025", "vault"));
    only(
        &r.run("register.vendor.baa"),
        Status::Pass,
        "vendor vault",
        &[
            "which still makes it a business associate",
            "BAA vault-2025 is in force",
        ],
    );
}

// register.vendor.baa_expiring

#[test]
fn a_baa_ending_within_60_days_warns_and_61_passes() {
    let mut r = Register::default();
    let v = r.add(vendor("acme-cloud", true));
    let soon = r.add(Baa {
        expires: Some(days_from_today(60)),
        ..baa("soon", "acme-cloud")
    });
    r.add(Baa {
        expires: Some(days_from_today(61)),
        ..baa("later", "acme-cloud")
    });
    r.add(baa("open-ended", "acme-cloud"));
    r.add(Baa {
        expires: Some(days_from_today(-1)),
        ..baa("gone", "acme-cloud")
    });
    let findings = r.run("register.vendor.baa_expiring");
    assert_eq!(findings.len(), 3, "only BAAs in force are judged");
    let f = about(&findings, "baa soon");
    assert_finding(
        f,
        Status::Warn,
        &["expires on 2027-01-27", "in 60 days", "acme-cloud Inc."],
    );
    assert_eq!(f.evidence, [soon, v]);
    assert_finding(
        about(&findings, "baa later"),
        Status::Pass,
        &["until 2027-01-28", "61 days"],
    );
    assert_finding(
        about(&findings, "baa open-ended"),
        Status::Pass,
        &["no end date"],
    );
}

#[test]
fn the_expiry_warning_is_not_applicable_without_a_baa_in_force() {
    let mut r = Register::default();
    r.add(vendor("acme-cloud", true));
    r.add(Baa {
        status: BaaStatus::Draft,
        ..baa("d-1", "acme-cloud")
    });
    only(
        &r.run("register.vendor.baa_expiring"),
        Status::NotApplicable,
        "baas",
        &["no business associate agreement is in force on 2026-11-28"],
    );
}

#[test]
fn the_warning_window_is_a_setting() {
    let mut r = Register::default();
    r.add(vendor("acme-cloud", true));
    r.add(Baa {
        expires: Some(days_from_today(60)),
        ..baa("soon", "acme-cloud")
    });
    let settings = Settings {
        baa_expiry_warning_days: 30,
        ..Settings::default()
    };
    let findings = r.run_at("register.vendor.baa_expiring", &settings, NOW);
    only(&findings, Status::Pass, "baa soon", &["60 days from now"]);
}

// register.vendor.breach_notice

#[test]
fn a_breach_notice_window_of_60_days_passes_and_61_fails() {
    let mut r = Register::default();
    let v = r.add(vendor("acme-cloud", true));
    r.add(Baa {
        breach_notice_days: Some(60),
        ..baa("sixty", "acme-cloud")
    });
    let late = r.add(Baa {
        breach_notice_days: Some(61),
        ..baa("sixty-one", "acme-cloud")
    });
    r.add(Baa {
        breach_notice_days: None,
        ..baa("silent", "acme-cloud")
    });
    r.add(Baa {
        status: BaaStatus::Draft,
        breach_notice_days: Some(90),
        ..baa("draft", "acme-cloud")
    });
    r.add(Baa {
        expires: Some(date(2026, 1, 1)),
        breach_notice_days: Some(90),
        ..baa("ended", "acme-cloud")
    });
    r.add(Baa {
        effective: Some(date(2027, 1, 1)),
        breach_notice_days: Some(90),
        ..baa("next", "acme-cloud")
    });
    let findings = r.run("register.vendor.breach_notice");
    assert_eq!(
        findings.len(),
        4,
        "drafts and ended agreements bind nobody: {findings:#?}"
    );
    assert_finding(about(&findings, "baa next"), Status::Fail, &["90 days"]);
    assert_finding(
        about(&findings, "baa sixty"),
        Status::Pass,
        &["within 60 days"],
    );
    let f = about(&findings, "baa sixty-one");
    assert_finding(
        f,
        Status::Fail,
        &["61 days", "more than the 60 days allowed", "164.410"],
    );
    assert_eq!(f.evidence, [late, v]);
    assert_finding(
        about(&findings, "baa silent"),
        Status::Warn,
        &["does not state a breach-notice window"],
    );
}

#[test]
fn breach_notice_is_not_applicable_without_a_signed_baa() {
    let mut r = Register::default();
    r.add(vendor("acme-cloud", true));
    only(
        &r.run("register.vendor.breach_notice"),
        Status::NotApplicable,
        "baas",
        &[
            "no signed business associate agreement is in force or about to take effect on 2026-11-28",
        ],
    );
}

// register.vendor.baa_clauses

#[test]
fn missing_baa_clauses_warn_naming_the_provision() {
    let mut r = Register::default();
    let v = r.add(vendor("acme-cloud", true));
    r.add(baa("complete", "acme-cloud"));
    let keep = r.add(Baa {
        return_or_destroy: false,
        ..baa("keeps-phi", "acme-cloud")
    });
    r.add(Baa {
        subcontractor_flow_down: false,
        ..baa("no-flow-down", "acme-cloud")
    });
    r.add(Baa {
        security_incident_reporting: false,
        ..baa("silent", "acme-cloud")
    });
    r.add(Baa {
        return_or_destroy: false,
        subcontractor_flow_down: false,
        security_incident_reporting: false,
        ..baa("bare", "acme-cloud")
    });
    r.add(Baa {
        return_or_destroy: false,
        expires: Some(date(2026, 11, 27)),
        ..baa("ended", "acme-cloud")
    });
    let findings = r.run("register.vendor.baa_clauses");
    assert_eq!(
        findings.len(),
        5,
        "an agreement that has ended is not judged"
    );
    assert_finding(
        about(&findings, "baa complete"),
        Status::Pass,
        &[
            "return or destroy PHI",
            "subcontractors",
            "report any security incident",
        ],
    );
    let f = about(&findings, "baa keeps-phi");
    assert_finding(
        f,
        Status::Warn,
        &["return or destroy", "164.504(e)(2)(ii)(J)"],
    );
    assert!(!f.message.contains("164.502(e)(1)(ii)"));
    assert_eq!(f.evidence, [keep, v]);
    let f = about(&findings, "baa no-flow-down");
    assert_finding(f, Status::Warn, &["subcontractors", "164.502(e)(1)(ii)"]);
    assert!(!f.message.contains("164.504"));
    let f = about(&findings, "baa silent");
    assert_finding(
        f,
        Status::Warn,
        &[
            "report any security incident it becomes aware of",
            "breaches of unsecured PHI",
            "164.314(a)(2)(i)(C)",
        ],
    );
    assert!(!f.message.contains("164.504") && !f.message.contains("164.502"));
    assert_finding(
        about(&findings, "baa bare"),
        Status::Warn,
        &[
            "164.504(e)(2)(ii)(J)",
            "164.502(e)(1)(ii)",
            "164.314(a)(2)(i)(C)",
        ],
    );
}

// register.vendor.assurance

#[test]
fn a_report_counts_until_12_months_after_its_period_ends() {
    let mut r = Register::default();
    let v = r.add(vendor("nimbus", true));
    let row = r.add(carried_by(
        "164.310(a)(1)",
        Responsibility::Provider,
        "nimbus",
    ));
    let shared = r.add(carried_by("164.312(b)", Responsibility::Shared, "nimbus"));
    let older = r.add(report("nimbus-2024", "nimbus", date(2024, 11, 28)));
    // Its period ended exactly 12 months before today: today is its last day.
    let current = r.add(report("nimbus-2025", "nimbus", date(2025, 11, 28)));
    let findings = r.run("register.vendor.assurance");
    let f = only(
        &findings,
        Status::Pass,
        "vendor nimbus",
        &[
            "nimbus Inc. carries 2 controls (164.310(a)(1), 164.312(b))",
            "SOC 2 Type II report nimbus-2025 by Example & Partners LLP for 2024-11-29 to 2025-11-28",
            "counts until 2026-11-28",
        ],
    );
    assert_eq!(
        f.evidence,
        [v, row, shared, older, current],
        "the vendor, the rows that rely on it and its reports"
    );

    // The day after, it has lapsed.
    let findings = r.run_at(
        "register.vendor.assurance",
        &Settings::default(),
        "2026-11-29T00:00:00Z",
    );
    only(
        &findings,
        Status::Fail,
        "vendor nimbus",
        &[
            "its newest SOC 2 Type II report nimbus-2025",
            "lapsed after 2026-11-28, 1 day ago",
        ],
    );
}

#[test]
fn a_vendor_the_matrix_relies_on_without_a_current_report_fails() {
    let mut r = Register::default();
    r.add(vendor("nimbus", true));
    r.add(vendor("stratus", true));
    r.add(vendor("cirrus", true));
    r.add(carried_by(
        "164.310(a)(1)",
        Responsibility::Provider,
        "nimbus",
    ));
    r.add(carried_by(
        "164.310(d)(1)",
        Responsibility::Shared,
        "stratus",
    ));
    r.add(carried_by("164.312(b)", Responsibility::Provider, "cirrus"));
    // Not relied on: the organisation carries this one, whatever a stray vendor says.
    r.add(carried_by(
        "164.308(a)(1)(ii)(A)",
        Responsibility::Customer,
        "other",
    ));
    r.add(report("stratus-2024", "stratus", date(2025, 6, 30)));
    // A period that has not ended is no report yet.
    r.add(report("cirrus-2026", "cirrus", date(2026, 12, 31)));
    let findings = r.run("register.vendor.assurance");
    assert_eq!(findings.len(), 3, "{findings:#?}");
    assert_finding(
        about(&findings, "vendor nimbus"),
        Status::Fail,
        &[
            "carries control 164.310(a)(1)",
            "no assurance report on it is recorded",
        ],
    );
    assert_finding(
        about(&findings, "vendor stratus"),
        Status::Fail,
        &["stratus-2024", "lapsed after 2026-06-30, 151 days ago"],
    );
    assert_finding(
        about(&findings, "vendor cirrus"),
        Status::Fail,
        &["cirrus-2026", "covers a period that has not ended yet"],
    );
}

#[test]
fn assurance_is_not_applicable_when_no_matrix_row_names_a_vendor() {
    let mut r = Register::default();
    r.add(vendor("nimbus", true));
    r.add(report("nimbus-2025", "nimbus", date(2025, 12, 31)));
    r.add(control("164.310(a)(1)", Responsibility::Provider, None));
    only(
        &r.run("register.vendor.assurance"),
        Status::NotApplicable,
        "responsibility matrix",
        &["no provider or shared control", "--vendor VENDOR"],
    );
}

// register.matrix.owner

#[test]
fn controls_the_organisation_carries_need_an_owner() {
    let mut r = Register::default();
    let owned = r.add(control(
        "164.312(a)(1)",
        Responsibility::Customer,
        Some("IT security"),
    ));
    let orphan = r.add(control("164.312(b)", Responsibility::Shared, None));
    r.add(control("164.310(a)(1)", Responsibility::Provider, None));
    r.add(control(
        "164.312(e)(1)",
        Responsibility::Customer,
        Some("  "),
    ));
    let findings = r.run("register.matrix.owner");
    assert_eq!(
        findings.len(),
        3,
        "provider rows need no owner: {findings:#?}"
    );
    let f = about(&findings, "control 164.312(a)(1)");
    assert_finding(f, Status::Pass, &["owned by IT security"]);
    assert_eq!(f.evidence, [owned]);
    let f = about(&findings, "control 164.312(b)");
    assert_finding(f, Status::Fail, &["marked shared", "no one owns it"]);
    assert_eq!(f.evidence, [orphan]);
    assert_finding(
        about(&findings, "control 164.312(e)(1)"),
        Status::Fail,
        &["no one owns it"],
    );
}

#[test]
fn the_matrix_owner_check_says_how_to_import_an_empty_matrix() {
    only(
        &Register::default().run("register.matrix.owner"),
        Status::NotApplicable,
        "responsibility matrix",
        &["phiguard matrix import FILE.csv"],
    );
    let mut r = Register::default();
    r.add(control("164.310(a)(1)", Responsibility::Provider, None));
    only(
        &r.run("register.matrix.owner"),
        Status::NotApplicable,
        "responsibility matrix",
        &["provider's or not applicable"],
    );
}

// register.training.current

#[test]
fn training_due_within_30_days_warns_31_passes_and_lapsed_fails() {
    let mut r = Register::default();
    let c = r.add(course("hipaa-basics"));
    for id in ["due30", "due31", "lapsed", "never", "today"] {
        r.add(person(id));
    }
    // Due dates are completion plus 12 months.
    let done = r.add(completion("due30", "hipaa-basics", date(2025, 12, 28)));
    r.add(completion("due30", "hipaa-basics", date(2024, 12, 1)));
    r.add(completion("due31", "hipaa-basics", date(2025, 12, 29)));
    r.add(completion("lapsed", "hipaa-basics", date(2025, 11, 1)));
    r.add(completion("today", "hipaa-basics", date(2025, 11, 28)));
    let findings = r.run("register.training.current");
    assert_eq!(findings.len(), 5);

    let f = about(&findings, "person due30, course hipaa-basics");
    assert_finding(
        f,
        Status::Warn,
        &["Due30", "on 2025-12-28", "by 2026-12-28", "in 30 days"],
    );
    let person_ref = r.snapshot.evidence_of(Kind::Person, "due30").unwrap();
    assert_eq!(
        f.evidence,
        [person_ref, c, done],
        "the latest completion is cited"
    );
    assert_finding(
        about(&findings, "person due31, course hipaa-basics"),
        Status::Pass,
        &["current until 2026-12-29"],
    );
    assert_finding(
        about(&findings, "person lapsed, course hipaa-basics"),
        Status::Fail,
        &["lapsed on 2026-11-01", "27 days ago", "every 12 months"],
    );
    assert_finding(
        about(&findings, "person never, course hipaa-basics"),
        Status::Fail,
        &["never completed HIPAA basics"],
    );
    assert_finding(
        about(&findings, "person today, course hipaa-basics"),
        Status::Warn,
        &["by 2026-11-28", "in 0 days"],
    );
}

#[test]
fn training_judges_only_current_staff_with_phi_access_and_their_roles() {
    let mut r = Register::default();
    r.add(Course {
        roles: vec!["Engineer".into()],
        ..course("secure-coding")
    });
    r.add(Person {
        role: "engineer".into(),
        ..person("eve")
    });
    r.add(person("bob"));
    r.add(Person {
        phi_access: false,
        ..person("nadia")
    });
    r.add(Person {
        left: Some(date(2026, 6, 30)),
        ..person("olga")
    });
    let findings = r.run("register.training.current");
    assert_eq!(findings.len(), 2, "{findings:#?}");
    assert_finding(
        about(&findings, "person eve, course secure-coding"),
        Status::Fail,
        &["never completed"],
    );
    assert_finding(
        about(&findings, "person bob"),
        Status::Fail,
        &["no recorded course is required of their role (clinician)"],
    );
}

#[test]
fn training_without_courses_fails_and_without_people_is_not_applicable() {
    let mut r = Register::default();
    let alice = r.add(person("alice"));
    let findings = r.run("register.training.current");
    let f = only(
        &findings,
        Status::Fail,
        "training",
        &[
            "no training course is recorded",
            "1 person has",
            "164.308(a)(5)",
        ],
    );
    assert_eq!(f.evidence, [alice]);

    let mut r = Register::default();
    r.add(course("hipaa-basics"));
    r.add(Person {
        phi_access: false,
        ..person("nadia")
    });
    only(
        &r.run("register.training.current"),
        Status::NotApplicable,
        "workforce",
        &["no one in the register has PHI access on 2026-11-28"],
    );
}

// register.training.policy_acknowledged

#[test]
fn policies_must_be_acknowledged_at_their_current_version() {
    let mut r = Register::default();
    let pol = r.add(policy("sanctions", "2.0"));
    let alice = r.add(person("alice"));
    r.add(person("bob"));
    r.add(person("carl"));
    let current = r.add(acknowledgment(
        "alice",
        "sanctions",
        "2.0",
        date(2026, 3, 5),
    ));
    r.add(acknowledgment(
        "alice",
        "sanctions",
        "1.0",
        date(2025, 3, 5),
    ));
    let old = r.add(acknowledgment("bob", "sanctions", "1.0", date(2025, 2, 1)));
    let findings = r.run("register.training.policy_acknowledged");
    assert_eq!(findings.len(), 3);
    let f = about(&findings, "person alice, policy sanctions");
    assert_finding(f, Status::Pass, &["version 2.0", "2026-03-05"]);
    assert_eq!(f.evidence, [alice, pol, current]);
    let f = about(&findings, "person bob, policy sanctions");
    assert_finding(
        f,
        Status::Warn,
        &[
            "version 1.0",
            "on 2025-02-01",
            "current version is 2.0",
            "2026-03-01",
        ],
    );
    assert!(f.evidence.contains(&old));
    assert_finding(
        about(&findings, "person carl, policy sanctions"),
        Status::Warn,
        &["never acknowledged Sanctions policy", "version 2.0"],
    );
}

#[test]
fn acknowledgments_without_policies_warn_and_without_people_do_not_apply() {
    let mut r = Register::default();
    r.add(person("alice"));
    only(
        &r.run("register.training.policy_acknowledged"),
        Status::Warn,
        "policies",
        &["no policy is recorded", "164.316"],
    );
    let mut r = Register::default();
    r.add(policy("sanctions", "2.0"));
    only(
        &r.run("register.training.policy_acknowledged"),
        Status::NotApplicable,
        "workforce",
        &["no one in the register has PHI access"],
    );
    let mut r = Register::default();
    r.add(person("alice"));
    r.add(Policy {
        roles: vec!["billing".into()],
        ..policy("coding", "1")
    });
    only(
        &r.run("register.training.policy_acknowledged"),
        Status::NotApplicable,
        "policies",
        &["no recorded policy applies"],
    );
}

// register.workforce.departed_access

#[test]
fn people_who_left_must_hold_no_active_grant() {
    let mut r = Register::default();
    let mallory = r.add(Person {
        left: Some(date(2026, 11, 1)),
        ..person("mallory")
    });
    let open = r.add(grant("g-17", "mallory", "ehr", date(2024, 1, 1)));
    let closed = r.add(revoked(
        grant("g-18", "mallory", "billing", date(2024, 1, 1)),
        date(2026, 11, 1),
    ));
    r.add(Person {
        left: Some(date(2026, 10, 1)),
        ..person("oscar")
    });
    r.add(revoked(
        grant("g-20", "oscar", "ehr", date(2024, 1, 1)),
        date(2026, 10, 1),
    ));
    // Their last day is today: not gone yet.
    r.add(Person {
        left: Some(TODAY),
        ..person("tess")
    });
    r.add(grant("g-21", "tess", "ehr", date(2024, 1, 1)));
    let findings = r.run("register.workforce.departed_access");
    assert_eq!(findings.len(), 2, "{findings:#?}");
    let f = about(&findings, "person mallory");
    assert_finding(
        f,
        Status::Fail,
        &[
            "left on 2026-11-01",
            "1 active access grant:",
            "g-17 (admin on ehr)",
        ],
    );
    assert!(!f.message.contains("g-18"));
    assert_eq!(f.evidence, [mallory, open, closed]);
    assert_finding(
        about(&findings, "person oscar"),
        Status::Pass,
        &["left on 2026-10-01", "no active access grant"],
    );
}

#[test]
fn departed_access_is_not_applicable_while_nobody_has_left() {
    let mut r = Register::default();
    r.add(person("alice"));
    only(
        &r.run("register.workforce.departed_access"),
        Status::NotApplicable,
        "workforce",
        &["no one in the register had left the organisation by 2026-11-28"],
    );
}

// register.access.grant_expired

#[test]
fn an_expired_grant_that_was_never_revoked_fails() {
    let mut r = Register::default();
    r.add(person("alice"));
    let stale = r.add(Grant {
        expires: Some(date(2026, 11, 27)),
        ..grant("g-1", "alice", "ehr", date(2026, 1, 1))
    });
    r.add(Grant {
        expires: Some(TODAY),
        ..grant("g-2", "alice", "ehr", date(2026, 1, 1))
    });
    r.add(grant("g-3", "alice", "billing", date(2026, 1, 1)));
    r.add(revoked(
        Grant {
            expires: Some(date(2026, 6, 1)),
            ..grant("g-4", "alice", "ehr", date(2026, 1, 1))
        },
        date(2026, 6, 1),
    ));
    let findings = r.run("register.access.grant_expired");
    assert_eq!(
        findings.len(),
        3,
        "revoked grants are not active: {findings:#?}"
    );
    let f = about(&findings, "grant g-1");
    assert_finding(
        f,
        Status::Fail,
        &[
            "alice admin access to ehr",
            "expired on 2026-11-27 but was never revoked",
        ],
    );
    assert_eq!(f.evidence, [stale]);
    assert_finding(
        about(&findings, "grant g-2"),
        Status::Pass,
        &["until 2026-11-28"],
    );
    assert_finding(
        about(&findings, "grant g-3"),
        Status::Pass,
        &["no end date"],
    );
}

#[test]
fn today_is_the_utc_date_of_the_clock() {
    let mut r = Register::default();
    r.add(person("alice"));
    r.add(Grant {
        expires: Some(TODAY),
        ..grant("g-1", "alice", "ehr", date(2026, 1, 1))
    });
    // 23:30 in New York on the 28th is already the 29th in UTC.
    let findings = r.run_at(
        "register.access.grant_expired",
        &Settings::default(),
        "2026-11-28T23:30:00-05:00",
    );
    only(
        &findings,
        Status::Fail,
        "grant g-1",
        &["expired on 2026-11-28"],
    );
}

#[test]
fn grant_checks_are_not_applicable_without_active_grants() {
    let mut r = Register::default();
    r.add(person("alice"));
    r.add(revoked(
        grant("g-1", "alice", "ehr", date(2026, 1, 1)),
        date(2026, 2, 1),
    ));
    r.add(grant("g-2", "alice", "ehr", days_from_today(1)));
    for id in [
        "register.access.grant_expired",
        "register.access.review_overdue",
    ] {
        only(
            &r.run(id),
            Status::NotApplicable,
            "access grants",
            &["no access grant is active on 2026-11-28"],
        );
    }
}

// register.access.review_overdue

#[test]
fn a_review_closed_90_days_ago_passes_and_91_fails() {
    let mut r = Register::default();
    r.add(person("alice"));
    let ehr = r.add(grant("g-1", "alice", "ehr", date(2025, 1, 1)));
    let ok = r.add(review(
        "ehr.r1",
        "ehr",
        &["g-1"],
        Some(days_from_today(-90)),
    ));
    r.add(review(
        "ehr.r0",
        "ehr",
        &["g-1"],
        Some(days_from_today(-200)),
    ));
    r.add(grant("g-2", "alice", "billing", date(2025, 1, 1)));
    r.add(review(
        "billing.r1",
        "billing",
        &["g-2"],
        Some(days_from_today(-91)),
    ));
    let findings = r.run("register.access.review_overdue");
    assert_eq!(findings.len(), 2);
    let f = about(&findings, "system ehr");
    assert_finding(
        f,
        Status::Pass,
        &[
            "ehr.r1",
            "closed on 2026-08-30",
            "90 days ago",
            "next is due by 2026-11-28",
        ],
    );
    assert_eq!(
        f.evidence,
        [ehr, ok],
        "the grants and the latest closed review"
    );
    assert_finding(
        about(&findings, "system billing"),
        Status::Fail,
        &["closed on 2026-08-29, 91 days ago", "every 90 days"],
    );
}

#[test]
fn a_system_never_reviewed_fails_once_its_first_review_is_due() {
    let mut r = Register::default();
    r.add(person("alice"));
    r.add(person("bob"));
    r.add(grant("g-1", "alice", "new-app", days_from_today(-90)));
    r.add(grant("g-2", "bob", "new-app", days_from_today(-10)));
    let old = r.add(grant("g-3", "alice", "old-app", days_from_today(-91)));
    let other = r.add(grant("g-4", "bob", "old-app", days_from_today(-10)));
    let open = r.add(review("old-app.open", "old-app", &["g-3", "g-4"], None));
    let findings = r.run("register.access.review_overdue");
    assert_finding(
        about(&findings, "system new-app"),
        Status::Pass,
        &[
            "not been reviewed yet",
            "g-1",
            "first review is due by 2026-11-28",
        ],
    );
    let f = about(&findings, "system old-app");
    assert_finding(
        f,
        Status::Fail,
        &[
            "never been reviewed",
            "g-3",
            "91 days ago",
            "still open, with 2 of 2 grants undecided",
        ],
    );
    assert_eq!(f.evidence, [old, other, open]);
}

#[test]
fn the_review_interval_is_a_setting() {
    let mut r = Register::default();
    r.add(person("alice"));
    r.add(grant("g-1", "alice", "ehr", date(2025, 1, 1)));
    r.add(review(
        "ehr.r1",
        "ehr",
        &["g-1"],
        Some(days_from_today(-40)),
    ));
    let settings = Settings {
        review_interval_days: 30,
        ..Settings::default()
    };
    only(
        &r.run_at("register.access.review_overdue", &settings, NOW),
        Status::Fail,
        "system ehr",
        &["40 days ago", "every 30 days"],
    );
}

// register.backup.restore_tested

#[test]
fn a_restore_test_exactly_12_months_old_still_counts() {
    let mut r = Register::default();
    let ok = r.add(restore_test(
        "ehr.1",
        "ehr",
        date(2025, 11, 28),
        RestoreResult::Success,
    ));
    r.add(restore_test(
        "pacs.1",
        "pacs",
        date(2025, 11, 27),
        RestoreResult::Success,
    ));
    r.add(restore_test(
        "pacs.2",
        "pacs",
        date(2026, 5, 1),
        RestoreResult::Failure,
    ));
    r.add(restore_test(
        "lab.1",
        "lab",
        date(2026, 9, 1),
        RestoreResult::Failure,
    ));
    r.add(restore_test(
        "lab.2",
        "lab",
        date(2026, 12, 1),
        RestoreResult::Success,
    ));
    let findings = r.run("register.backup.restore_tested");
    assert_eq!(findings.len(), 3);
    let f = about(&findings, "system ehr");
    assert_finding(
        f,
        Status::Pass,
        &[
            "succeeded on 2025-11-28",
            "ehr.1",
            "next test is due by 2026-11-28",
        ],
    );
    assert_eq!(f.evidence, [ok]);
    assert_finding(
        about(&findings, "system pacs"),
        Status::Fail,
        &[
            "last successful restore of pacs was on 2025-11-27",
            "more than 12 months ago",
            "on 2026-05-01 (pacs.2), failed",
        ],
    );
    assert_finding(
        about(&findings, "system lab"),
        Status::Fail,
        &["no restore test of lab has succeeded", "2026-09-01"],
    );
}

#[test]
fn providers_with_an_sla_need_restore_tests_of_their_backups() {
    let mut r = Register::default();
    let v = r.add(vendor("acme-cloud", true));
    let s = r.add(sla("acme-sla", "acme-cloud"));
    r.add(vendor("tape-co", false));
    r.add(sla("tape-sla", "tape-co"));
    let t = r.add(RestoreTest {
        vendor: Some("tape-co".into()),
        ..restore_test(
            "archive.1",
            "archive",
            date(2026, 6, 1),
            RestoreResult::Success,
        )
    });
    let findings = r.run("register.backup.restore_tested");
    assert_eq!(findings.len(), 3, "{findings:#?}");
    let f = about(&findings, "vendor acme-cloud");
    assert_finding(
        f,
        Status::Fail,
        &["no restore test of the backups acme-cloud Inc. keeps under SLA acme-sla"],
    );
    assert_eq!(f.evidence, [v, s]);
    assert_finding(
        about(&findings, "vendor tape-co"),
        Status::Pass,
        &["succeeded on 2026-06-01"],
    );
    assert!(about(&findings, "vendor tape-co").evidence.contains(&t));
    assert_finding(
        about(&findings, "system archive"),
        Status::Pass,
        &["archive.1"],
    );
}

#[test]
fn the_restore_test_interval_is_a_setting() {
    let mut r = Register::default();
    r.add(restore_test(
        "ehr.1",
        "ehr",
        date(2026, 4, 1),
        RestoreResult::Success,
    ));
    let settings = Settings {
        restore_test_months: 6,
        ..Settings::default()
    };
    only(
        &r.run_at("register.backup.restore_tested", &settings, NOW),
        Status::Fail,
        "system ehr",
        &["more than 6 months ago", "due by 2026-10-01"],
    );
}

// register.backup.restore_time

#[test]
fn a_restore_of_72_hours_passes_and_72_and_a_half_fails() {
    let mut r = Register::default();
    let fast = r.add(RestoreTest {
        hours_to_restore: Some(72.0),
        ..restore_test("ehr.1", "ehr", date(2026, 3, 1), RestoreResult::Success)
    });
    r.add(RestoreTest {
        hours_to_restore: Some(72.5),
        ..restore_test("pacs.1", "pacs", date(2026, 3, 1), RestoreResult::Success)
    });
    r.add(RestoreTest {
        hours_to_restore: None,
        ..restore_test("lab.1", "lab", date(2026, 3, 1), RestoreResult::Success)
    });
    r.add(RestoreTest {
        hours_to_restore: Some(200.0),
        ..restore_test("lab.0", "lab", date(2025, 11, 1), RestoreResult::Success)
    });
    r.add(RestoreTest {
        hours_to_restore: Some(200.0),
        ..restore_test("lab.2", "lab", date(2026, 4, 1), RestoreResult::Failure)
    });
    let findings = r.run("register.backup.restore_time");
    assert_eq!(
        findings.len(),
        3,
        "only recent successes are timed: {findings:#?}"
    );
    let f = about(&findings, "restore-test ehr.1");
    assert_finding(
        f,
        Status::Pass,
        &["ehr", "2026-03-01", "72 hours", "within the 72"],
    );
    assert_eq!(f.evidence, [fast]);
    assert_finding(
        about(&findings, "restore-test pacs.1"),
        Status::Fail,
        &["took 72.5 hours", "more than the 72 allowed"],
    );
    assert_finding(
        about(&findings, "restore-test lab.1"),
        Status::Warn,
        &["does not record its time to restore", "2026-03-01"],
    );
}

#[test]
fn restore_time_is_not_applicable_without_a_recent_success() {
    let mut r = Register::default();
    r.add(restore_test(
        "ehr.1",
        "ehr",
        date(2025, 1, 1),
        RestoreResult::Success,
    ));
    r.add(restore_test(
        "ehr.2",
        "ehr",
        date(2026, 6, 1),
        RestoreResult::Failure,
    ));
    only(
        &r.run("register.backup.restore_time"),
        Status::NotApplicable,
        "backups",
        &["no successful restore test from the last 12 months"],
    );
}

// register.sla.*

/// The one finding a check reported about SLA `id`.
fn about_sla(r: &Register, check: &str, id: &str) -> Finding {
    about(&r.run(check), &format!("sla {id}")).clone()
}

#[test]
fn a_careless_sla_fails_naming_each_problem() {
    let mut r = Register::default();
    let v = r.add(vendor("acme", true));
    let b = r.add(baa("acme-2025", "acme"));
    let s = r.add(Sla {
        availability_percent: Some(50.0),
        retention_days: Some(1),
        incident_notice_hours: Some(5000),
        ..sla("careless", "acme")
    });
    let failing: Vec<Finding> = r
        .run_every_check()
        .into_iter()
        .filter(|f| f.subject == "sla careless" && f.status == Status::Fail)
        .collect();
    let checks: BTreeSet<&str> = failing.iter().map(|f| f.check.as_str()).collect();
    assert_eq!(
        checks,
        BTreeSet::from(["register.sla.terms", "register.sla.incident_notice"]),
        "{failing:#?}"
    );
    let terms = about_sla(&r, "register.sla.terms", "careless");
    assert_finding(
        &terms,
        Status::Fail,
        &[
            "its availability target of 50 % is below the 99 % expected",
            "it keeps backups 1 day, less than the 2192 days (6 years)",
            "164.316(b)(2)(i)",
        ],
    );
    assert_eq!(terms.evidence, [s, v]);
    let notice = about_sla(&r, "register.sla.incident_notice", "careless");
    assert_finding(
        &notice,
        Status::Fail,
        &[
            "5000 hours",
            "longer than the 240 hours (10 days) that BAA acme-2025 gives it",
        ],
    );
    assert_eq!(notice.evidence, [s, v, b]);
}

#[test]
fn sla_terms_pass_at_2192_days_of_retention_and_fail_at_2191() {
    let mut r = Register::default();
    r.add(vendor("acme", true));
    r.add(sla("kept", "acme"));
    r.add(Sla {
        retention_days: Some(2191),
        ..sla("short", "acme")
    });
    r.add(Sla {
        availability_percent: Some(99.0),
        ..sla("at-the-floor", "acme")
    });
    r.add(Sla {
        availability_percent: Some(98.9),
        ..sla("below-the-floor", "acme")
    });
    r.add(Sla {
        availability_percent: None,
        backup_frequency_hours: None,
        retention_days: None,
        ..sla("silent", "acme")
    });
    let findings = r.run("register.sla.terms");
    assert_eq!(findings.len(), 5);
    assert_finding(
        about(&findings, "sla kept"),
        Status::Pass,
        &[
            "99.9 % availability",
            "backups every 24 hours",
            "kept 2192 days",
        ],
    );
    assert_finding(
        about(&findings, "sla short"),
        Status::Fail,
        &["2191 days, less than the 2192 days (6 years)"],
    );
    assert_finding(
        about(&findings, "sla at-the-floor"),
        Status::Pass,
        &["99 % availability"],
    );
    assert_finding(
        about(&findings, "sla below-the-floor"),
        Status::Warn,
        &["98.9 % is below the 99 % expected"],
    );
    // Every missing term at once, in one finding.
    assert_finding(
        about(&findings, "sla silent"),
        Status::Fail,
        &[
            "no availability target",
            "no backup interval",
            "no backup retention",
        ],
    );

    let settings = Settings {
        record_retention_years: 7,
        min_availability_percent: 99.95,
        ..Settings::default()
    };
    let findings = r.run_at("register.sla.terms", &settings, NOW);
    assert_finding(
        about(&findings, "sla kept"),
        Status::Fail,
        &[
            "less than the 2557 days (7 years)",
            "99.9 % is below the 99.95 % expected",
        ],
    );
}

#[test]
fn the_rto_passes_when_the_newest_restore_took_as_long_and_fails_when_longer() {
    let mut r = Register::default();
    r.add(vendor("acme", true));
    r.add(sla("acme", "acme"));
    let of_acme = |id: &str, day: Date, result: RestoreResult, hours: Option<f64>| RestoreTest {
        vendor: Some("acme".into()),
        hours_to_restore: hours,
        ..restore_test(id, "ehr", day, result)
    };
    // An older, slower test and a test of the organisation's own backups do not count.
    r.add(of_acme(
        "old",
        date(2026, 1, 5),
        RestoreResult::Success,
        Some(100.0),
    ));
    r.add(restore_test(
        "own",
        "ehr",
        days_from_today(-1),
        RestoreResult::Success,
    ));
    let newest = r.add(of_acme(
        "equal",
        days_from_today(-10),
        RestoreResult::Success,
        Some(48.0),
    ));
    let f = about_sla(&r, "register.sla.recovery", "acme");
    assert_finding(
        &f,
        Status::Pass,
        &[
            "(equal, on 2026-11-18) took 48 hours, within the 48-hour recovery time SLA acme promises",
        ],
    );
    assert!(f.evidence.contains(&newest));

    r.add(of_acme(
        "slower",
        days_from_today(-5),
        RestoreResult::Success,
        Some(48.5),
    ));
    assert_finding(
        &about_sla(&r, "register.sla.recovery", "acme"),
        Status::Fail,
        &["took 48.5 hours, longer than the 48-hour recovery time"],
    );
    r.add(of_acme(
        "failed",
        days_from_today(-4),
        RestoreResult::Failure,
        Some(3.0),
    ));
    assert_finding(
        &about_sla(&r, "register.sla.recovery", "acme"),
        Status::Fail,
        &[
            "(failed, on 2026-11-24) failed after 3 hours",
            "nothing shows the 48-hour recovery time",
        ],
    );
    r.add(of_acme(
        "untimed",
        days_from_today(-3),
        RestoreResult::Success,
        None,
    ));
    assert_finding(
        &about_sla(&r, "register.sla.recovery", "acme"),
        Status::Warn,
        &["does not record how long it took"],
    );
    // A test dated after today has not happened.
    r.add(of_acme(
        "planned",
        days_from_today(3),
        RestoreResult::Success,
        Some(1.0),
    ));
    assert_finding(
        &about_sla(&r, "register.sla.recovery", "acme"),
        Status::Warn,
        &["(untimed, on 2026-11-25)"],
    );
}

#[test]
fn recovery_warns_without_an_rto_or_a_restore_test_of_the_vendor() {
    let mut r = Register::default();
    r.add(vendor("acme", true));
    r.add(sla("tested-later", "acme"));
    r.add(Sla {
        rto_hours: None,
        ..sla("no-rto", "acme")
    });
    let findings = r.run("register.sla.recovery");
    assert_finding(
        about(&findings, "sla tested-later"),
        Status::Warn,
        &["no restore test of the backups acme Inc. keeps is recorded"],
    );
    assert_finding(
        about(&findings, "sla no-rto"),
        Status::Warn,
        &["states no recovery time objective"],
    );
    // A failed restore fails whether or not an RTO is stated.
    r.add(RestoreTest {
        vendor: Some("acme".into()),
        hours_to_restore: None,
        ..restore_test("broken", "ehr", days_from_today(-2), RestoreResult::Failure)
    });
    let findings = r.run("register.sla.recovery");
    assert_finding(
        about(&findings, "sla no-rto"),
        Status::Fail,
        &[
            "(broken, on 2026-11-26) failed, so nothing shows that a restore from them works at all.",
        ],
    );
    assert_finding(
        about(&findings, "sla tested-later"),
        Status::Fail,
        &[
            "failed, so nothing shows the 48-hour recovery time SLA tested-later promises can be met.",
        ],
    );
}

#[test]
fn an_incident_notice_equal_to_the_baa_window_passes_and_one_hour_more_fails() {
    let mut r = Register::default();
    r.add(vendor("acme", true));
    r.add(baa("acme-2025", "acme"));
    r.add(Sla {
        incident_notice_hours: Some(240),
        ..sla("equal", "acme")
    });
    r.add(Sla {
        incident_notice_hours: Some(241),
        ..sla("longer", "acme")
    });
    r.add(Sla {
        incident_notice_hours: None,
        ..sla("silent", "acme")
    });
    let findings = r.run("register.sla.incident_notice");
    assert_finding(
        about(&findings, "sla equal"),
        Status::Pass,
        &["within 240 hours, within the 240 hours (10 days) that BAA acme-2025 gives it"],
    );
    assert_finding(
        about(&findings, "sla longer"),
        Status::Fail,
        &["241 hours", "longer than the 240 hours (10 days)"],
    );
    assert_finding(
        about(&findings, "sla silent"),
        Status::Fail,
        &[
            "does not state within how many hours",
            "at most the 240 hours",
        ],
    );
}

#[test]
fn without_a_baa_window_the_incident_notice_is_held_to_the_legal_ceiling() {
    let mut r = Register::default();
    r.add(vendor("acme", true));
    // Expired: its window no longer binds the vendor.
    r.add(Baa {
        expires: Some(date(2026, 1, 1)),
        breach_notice_days: Some(1),
        ..baa("acme-old", "acme")
    });
    r.add(Baa {
        breach_notice_days: None,
        ..baa("acme-2025", "acme")
    });
    r.add(Sla {
        incident_notice_hours: Some(1440),
        ..sla("at-ceiling", "acme")
    });
    r.add(Sla {
        incident_notice_hours: Some(1441),
        ..sla("past-ceiling", "acme")
    });
    let findings = r.run("register.sla.incident_notice");
    assert_finding(
        about(&findings, "sla at-ceiling"),
        Status::Pass,
        &[
            "1440 hours (60 days) allowed",
            "No BAA in force with acme Inc. states a breach-notice window",
        ],
    );
    assert_finding(
        about(&findings, "sla past-ceiling"),
        Status::Fail,
        &[
            "1441 hours",
            "longer than the 1440 hours (60 days)",
            "164.410",
        ],
    );
}

#[test]
fn sla_checks_are_not_applicable_without_an_sla() {
    let mut r = Register::default();
    r.add(vendor("acme", true));
    for check in [
        "register.sla.terms",
        "register.sla.recovery",
        "register.sla.incident_notice",
    ] {
        only(
            &r.run(check),
            Status::NotApplicable,
            "slas",
            &[
                "no service level agreement is recorded",
                "phiguard register sla add",
            ],
        );
    }
}

// register.integrity

#[test]
fn records_changed_outside_phiguard_fail_integrity() {
    let mut r = Register::default();
    r.add(vendor("acme-cloud", true));
    let b = r.add(baa("acme-2025", "acme-cloud"));
    only(
        &r.run("register.integrity"),
        Status::Pass,
        "register",
        &["all 2 records"],
    );
    r.snapshot.tampered.push(Tampered {
        kind: Kind::Baa,
        id: "acme-2025".into(),
        detail: "the stored expiry differs from the ledger's".into(),
    });
    r.snapshot.tampered.push(Tampered {
        kind: Kind::Grant,
        id: "g-9".into(),
        detail: "the record was deleted without a ledger entry".into(),
    });
    let findings = r.run("register.integrity");
    assert_eq!(findings.len(), 2);
    let f = about(&findings, "baa acme-2025");
    assert_finding(
        f,
        Status::Fail,
        &[
            "the stored expiry differs from the ledger's",
            "changed outside phiguard",
            "`phiguard register history baa acme-2025`",
        ],
    );
    assert_eq!(f.evidence, [b]);
    let f = about(&findings, "grant g-9");
    assert_finding(f, Status::Fail, &["deleted without a ledger entry"]);
    assert!(
        f.evidence.is_empty(),
        "a removed record has no current entry"
    );
}
