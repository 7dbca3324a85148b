#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The risk checks on Pictures built the way the application builds them: every rule with a
//! case that fires and one that does not, the twelve-month boundary, a signed analysis whose
//! document no longer matches the ledger, and an analysis that went stale when a vendor
//! touching PHI was added after it (the St. Elizabeth case).

use std::collections::BTreeMap;
use std::sync::Arc;

use jiff::civil::Date;
use phiguard_core::{CheckContext, CheckId, EvidenceRef, Finding, Registry, Severity, Status};
use phiguard_register::records::{
    Asset, AssetType, Criticality, DataFlow, Level, PhiUse, RiskAnalysis, RiskRecord, Treatment,
    Vendor, Vulnerability,
};
use phiguard_register::{AnyRecord, Snapshot, Stored};
use phiguard_risk::analysis::{Inputs, Picture};
use phiguard_risk::checks::{self, Settings};
use phiguard_risk::inventory::{self, Discovered, Origin, Source};
use phiguard_risk::vulnerabilities::Observed;

fn day(text: &str) -> Date {
    text.parse().unwrap()
}

fn evidence(seq: u64) -> Option<EvidenceRef> {
    Some(EvidenceRef {
        seq,
        leaf_hash: [0; 32],
    })
}

fn seqs(finding: &Finding) -> Vec<u64> {
    finding.evidence.iter().map(|e| e.seq).collect()
}

fn origin(source: Source, detail: &str, seen: &str, seq: u64) -> Origin {
    Origin {
        source,
        detail: detail.into(),
        seen_at: Some(format!("{seen}T08:00:00Z").parse().unwrap()),
        evidence: evidence(seq),
    }
}

fn asset(id: &str, ephi: bool, owner: Option<&str>, criticality: Option<Criticality>) -> Asset {
    Asset {
        id: id.into(),
        name: format!("{id} name"),
        asset_type: AssetType::DataStore,
        owner: owner.map(Into::into),
        location: None,
        ephi: if ephi {
            vec![PhiUse::Maintains]
        } else {
            Vec::new()
        },
        criticality,
        description: None,
    }
}

fn analysis(id: &str, assets: &[&str], signed_on: Option<&str>) -> RiskAnalysis {
    RiskAnalysis {
        id: id.into(),
        as_of: day(signed_on.unwrap_or("2025-06-01")),
        scope: "All ePHI of the clinic".into(),
        method: "phiguard-5x5 v1".into(),
        assets: assets.iter().map(|a| (*a).to_owned()).collect(),
        risks: Vec::new(),
        sha256: "0".repeat(64),
        prepared_by: None,
        signed_by: signed_on.map(|_| "Dana Ruiz, security official".to_owned()),
        signed_on: signed_on.map(day),
        notes: None,
    }
}

fn risk(id: &str, assets: &[&str], checks: &[&str], treatment: Treatment) -> RiskRecord {
    RiskRecord {
        id: id.into(),
        title: format!("{id} title"),
        assets: assets.iter().map(|a| (*a).to_owned()).collect(),
        threat: "ransomware".into(),
        vulnerability: "described".into(),
        vulnerabilities: Vec::new(),
        checks: checks.iter().map(|c| (*c).to_owned()).collect(),
        likelihood: 4,
        impact: 5,
        residual_likelihood: Some(2),
        residual_impact: Some(3),
        treatment,
        plan: Some("patch".into()),
        owner: Some("Sam Lee".into()),
        due: Some(day("2026-12-01")),
        done: None,
        accepted_by: None,
        accepted_on: None,
        acceptance_reason: None,
        acceptance_expires: None,
        transferred_to: None,
        notes: None,
    }
}

fn observed(check: &str, asset: &str, status: Status, severity: Severity, seq: u64) -> Observed {
    Observed {
        asset: asset.into(),
        finding: Finding {
            check: check.parse::<CheckId>().unwrap(),
            status,
            severity,
            subject: asset.into(),
            message: format!("{check} on {asset}"),
            evidence: evidence(seq).into_iter().collect(),
            remediation: None,
        },
    }
}

/// What the application would hand the checks.
#[derive(Default)]
struct World {
    snapshot: Snapshot,
    discovered: Vec<Discovered>,
    observed: Vec<Observed>,
    documents: BTreeMap<String, Result<(), String>>,
}

impl World {
    fn record(&mut self, record: impl Into<AnyRecord>, seq: u64) -> &mut World {
        self.snapshot.insert(record.into(), evidence(seq));
        self
    }

    /// A risk analysis whose document the ledger holds.
    fn analysis(&mut self, record: RiskAnalysis, seq: u64) -> &mut World {
        self.documents.insert(record.id.clone(), Ok(()));
        self.record(record, seq)
    }

    fn picture(&self, today: &str) -> Picture {
        Picture::build(Inputs {
            discovered: self.discovered.clone(),
            snapshot: &self.snapshot,
            observed: self.observed.clone(),
            in_transit_checks: Vec::new(),
            documents: self.documents.clone(),
            today: day(today),
        })
    }

    /// Every risk finding on `today`.
    fn judge(&self, today: &str) -> Vec<Finding> {
        let mut registry = Registry::new();
        checks::add_to(
            &mut registry,
            Arc::new(self.picture(today)),
            Settings::default(),
        )
        .unwrap();
        let now = format!("{today}T23:30:00Z").parse().unwrap();
        registry.run_all(&CheckContext::new("/", now), |_| true)
    }
}

fn of<'f>(findings: &'f [Finding], check: &str) -> Vec<&'f Finding> {
    let of: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.check.as_str() == check)
        .collect();
    assert!(!of.is_empty(), "{check} gave no finding: {findings:#?}");
    of
}

fn statuses(findings: &[&Finding]) -> Vec<Status> {
    findings.iter().map(|f| f.status).collect()
}

/// The one finding of `check` on `subject`.
fn on<'f>(findings: &'f [Finding], check: &str, subject: &str) -> &'f Finding {
    let matching: Vec<&Finding> = of(findings, check)
        .into_iter()
        .filter(|f| f.subject == subject)
        .collect();
    assert_eq!(matching.len(), 1, "{check} on {subject}: {findings:#?}");
    matching[0]
}

/// The clinic: the EHR database (ePHI, described), a signed analysis that covers it.
fn clinic() -> World {
    let mut world = World::default();
    world
        .record(
            asset("ehr-db", true, Some("Dana"), Some(Criticality::Critical)),
            10,
        )
        .analysis(analysis("2025-06-10", &["ehr-db"], Some("2025-06-10")), 20);
    world
}

#[test]
fn the_ids_are_the_contract() {
    assert_eq!(
        checks::ids(),
        [
            "risk.analysis.current",
            "risk.analysis.coverage",
            "risk.vulnerabilities.assessed",
            "risk.treatment.schedule",
            "risk.acceptance.current",
            "risk.inventory.described"
        ]
    );
    let mut registry = Registry::new();
    let picture = Arc::new(World::default().picture("2026-01-01"));
    checks::add_to(&mut registry, Arc::clone(&picture), Settings::default()).unwrap();
    assert_eq!(registry.len(), 6);
    // Adding them twice is refused rather than running every check twice.
    assert!(checks::add_to(&mut registry, picture, Settings::default()).is_err());
    assert_eq!(Settings::default().analysis_valid_months, 12);
}

#[test]
fn an_organisation_with_nothing_recorded_does_not_look_compliant() {
    let findings = World::default().judge("2026-06-01");
    let current = of(&findings, "risk.analysis.current");
    assert_eq!(statuses(&current), [Status::Fail]);
    assert!(
        current[0].message.contains("no risk analysis is recorded"),
        "{}",
        current[0].message
    );
    assert!(
        current[0]
            .remediation
            .as_deref()
            .unwrap()
            .contains("phiguard risk analyze")
    );
    assert_eq!(
        statuses(&of(&findings, "risk.inventory.described")),
        [Status::Warn]
    );
    // No risk recorded is no risk management: it fails, so 164.308(a)(1)(ii)(B) is not met.
    let schedule = of(&findings, "risk.treatment.schedule");
    assert_eq!(statuses(&schedule), [Status::Fail]);
    assert!(
        schedule[0].message.contains("no risk is recorded"),
        "{}",
        schedule[0].message
    );
    // With nothing to judge, the others say so rather than pass: a pass would make the
    // control look half met.
    for check in [
        "risk.analysis.coverage",
        "risk.vulnerabilities.assessed",
        "risk.acceptance.current",
    ] {
        assert_eq!(
            statuses(&of(&findings, check)),
            [Status::NotApplicable],
            "{check}"
        );
    }
    assert!(
        !findings.iter().any(|f| f.status == Status::Pass),
        "{findings:#?}"
    );
}

#[test]
fn an_analysis_is_current_for_twelve_months_to_the_day() {
    let world = clinic();
    for today in ["2025-06-10", "2026-06-09", "2026-06-10"] {
        let findings = world.judge(today);
        let current = of(&findings, "risk.analysis.current");
        assert_eq!(statuses(&current), [Status::Pass], "{today}");
        assert_names(
            &current[0].message,
            &["2025-06-10", "Dana Ruiz", "current until 2026-06-10"],
        );
        assert_eq!(seqs(current[0]), [20], "cites the analysis record");
    }
    let findings = world.judge("2026-06-11");
    let current = of(&findings, "risk.analysis.current");
    assert_eq!(statuses(&current), [Status::Fail]);
    assert_names(&current[0].message, &["lapsed on 2026-06-10", "1 day ago"]);
    assert_eq!(seqs(current[0]), [20]);

    // A setting of 24 months moves the boundary.
    let mut registry = Registry::new();
    checks::add_to(
        &mut registry,
        Arc::new(world.picture("2026-06-11")),
        Settings {
            analysis_valid_months: 24,
        },
    )
    .unwrap();
    let now = "2026-06-11T00:00:00Z".parse().unwrap();
    let findings = registry.run_all(&CheckContext::new("/", now), |_| true);
    assert_eq!(
        statuses(&of(&findings, "risk.analysis.current")),
        [Status::Pass]
    );
}

#[test]
fn an_unsigned_analysis_does_not_count() {
    let mut world = World::default();
    world.analysis(analysis("draft", &[], None), 5);
    let findings = world.judge("2026-01-01");
    let current = of(&findings, "risk.analysis.current");
    assert_eq!(statuses(&current), [Status::Fail]);
    assert_names(&current[0].message, &["draft", "awaits a sign-off"]);
    assert_eq!(seqs(current[0]), [5]);
    assert_eq!(
        statuses(&of(&findings, "risk.analysis.coverage")),
        [Status::NotApplicable]
    );
}

#[test]
fn a_signed_analysis_whose_document_does_not_match_the_ledger_does_not_count() {
    let mut world = clinic();
    // A newer sign-off, but the ledger holds no document with its digest.
    world
        .record(analysis("2026-03-01", &["ehr-db"], Some("2026-03-01")), 30)
        .documents
        .insert(
            "2026-03-01".into(),
            Err("the ledger's document has another digest".into()),
        );
    let findings = world.judge("2026-06-20");
    let current = of(&findings, "risk.analysis.current");
    let tampered = on(
        &findings,
        "risk.analysis.current",
        "risk-analysis 2026-03-01",
    );
    assert_eq!(tampered.status, Status::Fail);
    assert_names(
        &tampered.message,
        &["does not match", "another digest", "does not count"],
    );
    assert_eq!(seqs(tampered), [30]);
    // The intact one of 2025 lapsed on 2026-06-10: nothing current is left.
    let verdict = on(
        &findings,
        "risk.analysis.current",
        "risk-analysis 2025-06-10",
    );
    assert_eq!(verdict.status, Status::Fail);
    assert_eq!(current.len(), 2);

    // Before the older one lapses, it is the one that stands, and coverage judges it.
    let findings = world.judge("2026-05-01");
    let verdict = on(
        &findings,
        "risk.analysis.current",
        "risk-analysis 2025-06-10",
    );
    assert_eq!(verdict.status, Status::Pass);
    assert_eq!(
        on(
            &findings,
            "risk.analysis.current",
            "risk-analysis 2026-03-01"
        )
        .status,
        Status::Fail
    );
    let coverage = of(&findings, "risk.analysis.coverage");
    assert_eq!(statuses(&coverage), [Status::Pass]);
    assert_eq!(coverage[0].subject, "risk-analysis 2025-06-10");

    // A document never looked for is not taken on trust either.
    let mut unlooked = clinic();
    unlooked.documents.clear();
    let findings = unlooked.judge("2026-01-01");
    assert_eq!(
        statuses(&of(&findings, "risk.analysis.current")),
        [Status::Fail, Status::Fail]
    );
}

#[test]
fn a_vendor_touching_phi_added_after_the_analysis_makes_it_stale() {
    let mut world = clinic();
    let findings = world.judge("2026-01-15");
    let coverage = of(&findings, "risk.analysis.coverage");
    assert_eq!(statuses(&coverage), [Status::Pass]);
    assert_names(&coverage[0].message, &["covers all 1 ePHI asset"]);
    assert!(seqs(coverage[0]).contains(&20) && seqs(coverage[0]).contains(&10));

    // The St. Elizabeth case: a file-sharing service takes in PHI after the analysis.
    let vendor = Vendor {
        id: "fileshare".into(),
        name: "FileShare Inc.".into(),
        services: vec!["file sharing".into()],
        touches_phi: true,
        phi_uses: vec![PhiUse::Receives, PhiUse::Maintains],
        phi_encrypted_only: false,
        systems: Vec::new(),
        contact: None,
        notes: None,
    };
    let stored = Stored {
        record: vendor.clone(),
        evidence: evidence(40),
    };
    world.record(vendor, 40);
    world.discovered.push(
        inventory::vendor(
            &stored,
            origin(Source::RegisterVendor, "vendor fileshare", "2025-11-02", 40),
        )
        .unwrap(),
    );
    let findings = world.judge("2026-01-15");
    // Still signed within the year, and still stale.
    assert_eq!(
        statuses(&of(&findings, "risk.analysis.current")),
        [Status::Pass]
    );
    let coverage = of(&findings, "risk.analysis.coverage");
    assert_eq!(statuses(&coverage), [Status::Fail]);
    let gap = coverage[0];
    assert_eq!(gap.subject, "asset vendor:fileshare");
    assert_names(
        &gap.message,
        &[
            "FileShare Inc.",
            "receives, maintains",
            "added after the last analysis",
            "register vendor",
            "2025-11-02",
            "2025-06-10",
        ],
    );
    assert_eq!(seqs(gap), [20, 40]);
    assert!(
        gap.remediation
            .as_deref()
            .unwrap()
            .contains("phiguard risk analyze")
    );

    // A vendor that touches no PHI is no asset of the analysis.
    let mut quiet = clinic();
    let stored = Stored {
        record: Vendor {
            touches_phi: false,
            phi_uses: Vec::new(),
            ..stored.record
        },
        evidence: evidence(41),
    };
    assert!(
        inventory::vendor(
            &stored,
            origin(Source::RegisterVendor, "v", "2025-11-02", 41)
        )
        .is_none()
    );
    quiet.record(stored.record, 41);
    assert_eq!(
        statuses(&of(&quiet.judge("2026-01-15"), "risk.analysis.coverage")),
        [Status::Pass]
    );
}

#[test]
fn a_critical_vulnerability_on_an_ephi_asset_needs_a_risk() {
    let mut world = clinic();
    world.discovered.push(inventory::host(
        "web-1",
        false,
        origin(Source::HostCheck, "host check of web-1", "2026-01-10", 50),
    ));
    // Critical, but on a host that holds no ePHI; and high, not critical, on the EHR.
    world.observed = vec![
        observed(
            "host.patches.security_updates",
            "host:web-1",
            Status::Fail,
            Severity::Critical,
            51,
        ),
        observed(
            "cloud.aws.rds.public_access",
            "ehr-db",
            Status::Fail,
            Severity::High,
            52,
        ),
    ];
    let findings = world.judge("2026-01-15");
    let assessed = of(&findings, "risk.vulnerabilities.assessed");
    assert_eq!(statuses(&assessed), [Status::Pass]);
    assert_names(
        &assessed[0].message,
        &["no critical vulnerability on an ePHI asset"],
    );

    // Critical on the EHR database, and the only risk naming the check is on another asset.
    world.observed.push(observed(
        "cloud.aws.rds.snapshot_public",
        "ehr-db",
        Status::Fail,
        Severity::Critical,
        53,
    ));
    world.record(
        risk(
            "web-exposed",
            &["host:web-1"],
            &["cloud.aws.rds.snapshot_public"],
            Treatment::Mitigate,
        ),
        60,
    );
    let findings = world.judge("2026-01-15");
    let gap = on(
        &findings,
        "risk.vulnerabilities.assessed",
        "vulnerability cloud.aws.rds.snapshot_public@ehr-db",
    );
    assert_eq!(gap.status, Status::Fail);
    assert_names(
        &gap.message,
        &[
            "ehr-db",
            "cloud.aws.rds.snapshot_public",
            "no risk names it",
        ],
    );
    assert_eq!(seqs(gap), [53], "cites the failing finding");
    assert_eq!(of(&findings, "risk.vulnerabilities.assessed").len(), 1);

    // A risk on the EHR naming the check covers it.
    world.record(
        risk(
            "ehr-snapshot",
            &["ehr-db"],
            &["cloud.aws.rds.snapshot_public"],
            Treatment::Mitigate,
        ),
        61,
    );
    let findings = world.judge("2026-01-15");
    let covered = on(
        &findings,
        "risk.vulnerabilities.assessed",
        "vulnerability cloud.aws.rds.snapshot_public@ehr-db",
    );
    assert_eq!(covered.status, Status::Pass);
    assert_names(&covered.message, &["risk ehr-snapshot"]);
    assert_eq!(seqs(covered), [53, 61]);
}

#[test]
fn a_recorded_critical_vulnerability_is_covered_by_a_risk_naming_it() {
    let mut world = clinic();
    let pentest = Vulnerability {
        id: "pentest-sqli".into(),
        title: "SQL injection in the portal".into(),
        assets: vec!["ehr-db".into()],
        severity: Level::VeryHigh,
        source: Some("Penetration test".into()),
        found: Some(day("2025-12-01")),
        fixed: None,
        description: None,
    };
    world.record(pentest.clone(), 70);
    // A risk on the asset that names only a check does not cover a recorded vulnerability.
    world.record(
        risk(
            "ehr-patching",
            &["ehr-db"],
            &["host.patches.security_updates"],
            Treatment::Mitigate,
        ),
        71,
    );
    let findings = world.judge("2026-01-15");
    let gap = on(
        &findings,
        "risk.vulnerabilities.assessed",
        "vulnerability pentest-sqli",
    );
    assert_eq!(gap.status, Status::Fail);
    assert_names(&gap.message, &["recorded", "SQL injection"]);
    assert_eq!(seqs(gap), [70]);

    let mut naming = risk("ehr-sqli", &["ehr-db"], &[], Treatment::Mitigate);
    naming.vulnerabilities = vec!["pentest-sqli".into()];
    world.record(naming, 72);
    let findings = world.judge("2026-01-15");
    let covered = on(
        &findings,
        "risk.vulnerabilities.assessed",
        "vulnerability pentest-sqli",
    );
    assert_eq!(covered.status, Status::Pass);
    assert_eq!(seqs(covered), [70, 72]);

    // Once fixed it is no vulnerability any more.
    let mut fixed = clinic();
    fixed.record(
        Vulnerability {
            fixed: Some(day("2026-01-02")),
            ..pentest
        },
        73,
    );
    let findings = fixed.judge("2026-01-15");
    assert_eq!(
        statuses(&of(&findings, "risk.vulnerabilities.assessed")),
        [Status::Pass]
    );
}

#[test]
fn treatments_are_judged_against_their_schedule() {
    // ePHI assets and no risk at all: the risk management has not started.
    let findings = clinic().judge("2026-01-15");
    let none = of(&findings, "risk.treatment.schedule");
    assert_eq!(statuses(&none), [Status::Fail]);
    assert_names(&none[0].message, &["no risk recorded for 1 ePHI asset"]);
    assert_eq!(seqs(none[0]), [10]);

    let mut world = clinic();
    world.observed = vec![
        observed(
            "host.patches.security_updates",
            "ehr-db",
            Status::Fail,
            Severity::High,
            80,
        ),
        observed(
            "cloud.aws.rds.storage_encryption",
            "ehr-db",
            Status::Pass,
            Severity::High,
            81,
        ),
    ];
    world
        .record(
            risk(
                "overdue",
                &["ehr-db"],
                &["host.patches.security_updates"],
                Treatment::Mitigate,
            ),
            90,
        )
        .record(
            risk(
                "done",
                &["ehr-db"],
                &["cloud.aws.rds.storage_encryption"],
                Treatment::Mitigate,
            ),
            91,
        )
        .record(
            RiskRecord {
                owner: None,
                due: None,
                ..risk(
                    "unowned",
                    &["ehr-db"],
                    &["host.patches.security_updates"],
                    Treatment::Mitigate,
                )
            },
            92,
        )
        .record(
            RiskRecord {
                due: Some(day("2026-12-31")),
                ..risk(
                    "on-time",
                    &["ehr-db"],
                    &["host.patches.security_updates"],
                    Treatment::Mitigate,
                )
            },
            93,
        );
    let findings = world.judge("2026-12-11");

    let overdue = on(&findings, "risk.treatment.schedule", "risk overdue");
    assert_eq!(overdue.status, Status::Fail);
    assert_names(
        &overdue.message,
        &[
            "due on 2026-12-01",
            "10 days late",
            "owner Sam Lee",
            "host.patches.security_updates (failing on ehr-db)",
        ],
    );
    assert_eq!(
        seqs(overdue),
        [90, 80],
        "the risk and the finding still failing"
    );

    let done = on(&findings, "risk.treatment.schedule", "risk done");
    assert_eq!(done.status, Status::Pass);
    assert_names(
        &done.message,
        &["in place", "cloud.aws.rds.storage_encryption pass"],
    );

    let unowned = on(&findings, "risk.treatment.schedule", "risk unowned");
    assert_eq!(unowned.status, Status::Warn);
    assert_names(&unowned.message, &["no owner and no due date"]);

    let on_time = on(&findings, "risk.treatment.schedule", "risk on-time");
    assert_eq!(on_time.status, Status::Pass);
    assert_names(&on_time.message, &["due on 2026-12-31", "in 20 days"]);
    assert_eq!(of(&findings, "risk.treatment.schedule").len(), 4);

    // Before its due date the first one is merely pending.
    let findings = world.judge("2026-11-30");
    assert_eq!(
        on(&findings, "risk.treatment.schedule", "risk overdue").status,
        Status::Pass
    );
}

#[test]
fn acceptances_lapse_on_their_day() {
    let findings = clinic().judge("2026-01-15");
    assert_eq!(
        statuses(&of(&findings, "risk.acceptance.current")),
        [Status::NotApplicable]
    );

    let mut world = clinic();
    world.record(
        RiskRecord {
            accepted_by: Some("Dr. Ada Park, owner".into()),
            accepted_on: Some(day("2026-01-01")),
            acceptance_reason: Some("replacing the system in 2027".into()),
            acceptance_expires: Some(day("2027-01-01")),
            ..risk("legacy-pacs", &["ehr-db"], &[], Treatment::Accept)
        },
        100,
    );
    let findings = world.judge("2027-01-01");
    let accepted = of(&findings, "risk.acceptance.current");
    assert_eq!(statuses(&accepted), [Status::Pass]);
    assert_names(&accepted[0].message, &["Dr. Ada Park", "until 2027-01-01"]);
    assert_eq!(seqs(accepted[0]), [100]);
    // An accepted risk is the acceptance check's, not the schedule's.
    assert_eq!(
        statuses(&of(&findings, "risk.treatment.schedule")),
        [Status::NotApplicable]
    );

    let findings = world.judge("2027-01-02");
    let lapsed = of(&findings, "risk.acceptance.current");
    assert_eq!(statuses(&lapsed), [Status::Fail]);
    assert_names(
        &lapsed[0].message,
        &["lapsed 1 day ago", "decided again", "very high"],
    );
    assert!(
        lapsed[0]
            .remediation
            .as_deref()
            .unwrap()
            .contains("phiguard risk accept")
    );
}

#[test]
fn the_inventory_names_owners_and_criticality_and_the_flows_join_known_assets() {
    // Described, but no flow recorded: the map is empty.
    let findings = clinic().judge("2026-01-15");
    let described = of(&findings, "risk.inventory.described");
    assert_eq!(statuses(&described), [Status::Pass, Status::Warn]);
    assert_eq!(described[0].subject, "asset ehr-db");
    assert_names(&described[1].message, &["no flow of ePHI is recorded"]);

    let mut world = clinic();
    world
        .record(
            asset("lab-portal", true, None, Some(Criticality::High)),
            110,
        )
        .record(asset("printer", false, None, None), 111)
        .record(
            DataFlow {
                id: "ehr-to-lab".into(),
                from: "ehr-db".into(),
                to: "lab-portal".into(),
                data: Some("lab orders".into()),
                protocol: Some("HTTPS".into()),
                encrypted: Some(true),
                notes: None,
            },
            112,
        )
        .record(
            DataFlow {
                id: "ehr-to-billing".into(),
                from: "ehr-db".into(),
                to: "billing-co".into(),
                data: None,
                protocol: None,
                encrypted: None,
                notes: None,
            },
            113,
        );
    let findings = world.judge("2026-01-15");
    assert_eq!(
        on(&findings, "risk.inventory.described", "asset ehr-db").status,
        Status::Pass
    );
    let lab = on(&findings, "risk.inventory.described", "asset lab-portal");
    assert_eq!(lab.status, Status::Warn);
    assert_names(&lab.message, &["no owner"]);
    assert!(!lab.message.contains("criticality"), "{}", lab.message);
    assert_eq!(seqs(lab), [110]);
    // An asset without ePHI is no part of the written inventory's duty.
    assert!(
        of(&findings, "risk.inventory.described")
            .iter()
            .all(|f| f.subject != "asset printer")
    );
    let known = on(&findings, "risk.inventory.described", "flow ehr-to-lab");
    assert_eq!(known.status, Status::Pass);
    let unknown = on(&findings, "risk.inventory.described", "flow ehr-to-billing");
    assert_eq!(unknown.status, Status::Warn);
    assert_names(&unknown.message, &["billing-co not in the inventory"]);
    assert_eq!(seqs(unknown), [113]);
}

fn assert_names(message: &str, parts: &[&str]) {
    for part in parts {
        assert!(message.contains(part), "{part:?} missing from: {message}");
    }
}
