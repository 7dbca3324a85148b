#![allow(clippy::unwrap_used, clippy::expect_used)]
//! How evidence becomes a status: each rule of `evaluate` with a case that shows it, on a small
//! hand-made catalog so each case names exactly what decides it.

use std::collections::BTreeMap;

use jiff::civil::{Date, date};
use phiguard_assess::catalog::{Catalog, Control, ControlKind, Family, Profile, Requirement};
use phiguard_assess::evaluate::{Attestation, ControlStatus, Inputs, evaluate, tally};
use phiguard_core::{CheckMeta, EvidenceRef, Finding, Severity, Status};
use phiguard_register::records::{Responsibility, ResponsibilityRecord};

const TODAY: Date = date(2026, 11, 28);

fn control(id: &str, parent: Option<&str>, checks: &[&str], attestation: bool) -> Control {
    Control {
        id: id.into(),
        citation: id.parse().ok(),
        cite: format!("45 CFR {id}"),
        name: format!("control {id}"),
        kind: if parent.is_some() {
            ControlKind::Specification
        } else {
            ControlKind::Standard
        },
        requirement: Requirement::Required,
        family: Family::Administrative,
        parent: parent.map(str::to_owned),
        summary: "what it asks".into(),
        checks: checks.iter().map(|c| c.parse().unwrap()).collect(),
        records: Vec::new(),
        attestation,
        proposed: false,
    }
}

fn catalog() -> Catalog {
    Catalog {
        controls: vec![
            control("164.308(a)(1)(i)", None, &[], false),
            control(
                "164.308(a)(1)(ii)(A)",
                Some("164.308(a)(1)(i)"),
                &["t.a"],
                true,
            ),
            control(
                "164.308(a)(1)(ii)(B)",
                Some("164.308(a)(1)(i)"),
                &["t.b"],
                false,
            ),
            control("164.310(b)", None, &[], true),
            control("164.312(b)", None, &["t.audit", "ledger.integrity"], false),
            control("164.314(b)(1)", None, &[], false),
            control("164.314(b)(2)", Some("164.314(b)(1)"), &[], true),
        ],
    }
}

fn finding(check: &str, status: Status, seq: u64) -> Finding {
    let meta = CheckMeta::from_literals(check, "t", Severity::High, "why", "do this");
    let mut finding = meta.finding(status, "subject", format!("{check} {status}"));
    finding.evidence.push(EvidenceRef {
        seq,
        leaf_hash: [seq as u8; 32],
    });
    finding
}

fn statuses(inputs: &Inputs) -> BTreeMap<String, ControlStatus> {
    evaluate(&catalog(), Profile::Hipaa, inputs, TODAY)
        .into_iter()
        .map(|r| (r.id, r.status))
        .collect()
}

fn attestation(control: &str, date: Date) -> (String, Attestation) {
    (
        control.into(),
        Attestation {
            record: phiguard_register::records::Attestation {
                control: control.into(),
                by: "Dana".into(),
                statement: "in place".into(),
                date,
                evidence: None,
            },
            evidence: Some(EvidenceRef {
                seq: 99,
                leaf_hash: [9; 32],
            }),
        },
    )
}

#[test]
fn with_no_evidence_every_control_is_unknown_never_met() {
    let results = evaluate(&catalog(), Profile::Hipaa, &Inputs::default(), TODAY);
    assert!(
        results.iter().all(|r| r.status == ControlStatus::Unknown),
        "{results:#?}"
    );
    // What would tell is said: an attestation for the manual ones.
    let manual = results.iter().find(|r| r.id == "164.310(b)").unwrap();
    assert!(
        manual.remediation[0].contains("phiguard attest 164.310(b)"),
        "{manual:?}"
    );
}

#[test]
fn findings_decide_met_partial_and_not_met() {
    let inputs = Inputs {
        findings: vec![
            finding("t.a", Status::Pass, 1),
            finding("t.b", Status::Fail, 2),
            finding("t.audit", Status::Warn, 3),
        ],
        ..Inputs::default()
    };
    let results = evaluate(&catalog(), Profile::Hipaa, &inputs, TODAY);
    let get = |id: &str| results.iter().find(|r| r.id == id).unwrap();
    // Its checks pass; the part marked for attestation is not attested yet.
    assert_eq!(get("164.308(a)(1)(ii)(A)").status, ControlStatus::Partial);
    assert_eq!(get("164.308(a)(1)(ii)(A)").evidence[0].seq, 1);
    let failed = get("164.308(a)(1)(ii)(B)");
    assert_eq!(failed.status, ControlStatus::NotMet);
    assert_eq!(failed.remediation, ["do this"]);
    assert_eq!(failed.attention.len(), 1);
    assert_eq!(get("164.312(b)").status, ControlStatus::Partial);
    // The standard: one part partial, one not met.
    assert_eq!(get("164.308(a)(1)(i)").status, ControlStatus::Partial);

    let mixed = Inputs {
        findings: vec![
            finding("t.b", Status::Fail, 2),
            finding("t.b", Status::Pass, 4),
        ],
        ..Inputs::default()
    };
    assert_eq!(
        statuses(&mixed)["164.308(a)(1)(ii)(B)"],
        ControlStatus::Partial
    );
    let error = Inputs {
        findings: vec![finding("t.b", Status::Error, 2)],
        ..Inputs::default()
    };
    assert_eq!(
        statuses(&error)["164.308(a)(1)(ii)(B)"],
        ControlStatus::NotMet
    );
    let not_applicable = Inputs {
        findings: vec![finding("t.b", Status::NotApplicable, 2)],
        ..Inputs::default()
    };
    assert_eq!(
        statuses(&not_applicable)["164.308(a)(1)(ii)(B)"],
        ControlStatus::Unknown
    );
}

#[test]
fn checks_that_cover_part_of_a_control_need_an_attestation_for_the_rest() {
    // 164.308(a)(1)(ii)(A) has a check and is marked for attestation too.
    let passing = Inputs {
        findings: vec![finding("t.a", Status::Pass, 1)],
        ..Inputs::default()
    };
    let results = evaluate(&catalog(), Profile::Hipaa, &passing, TODAY);
    let partly = results
        .iter()
        .find(|r| r.id == "164.308(a)(1)(ii)(A)")
        .unwrap();
    assert_eq!(partly.status, ControlStatus::Partial);
    assert!(
        partly.remediation[0].contains("attest to the rest"),
        "{partly:?}"
    );
    let attested = Inputs {
        attestations: [attestation("164.308(a)(1)(ii)(A)", date(2026, 6, 1))]
            .into_iter()
            .collect(),
        ..passing
    };
    assert_eq!(
        statuses(&attested)["164.308(a)(1)(ii)(A)"],
        ControlStatus::Met
    );
}

#[test]
fn a_passing_ledger_verification_alone_does_not_meet_a_control_but_a_failing_one_breaks_it() {
    let passing = Inputs {
        findings: vec![finding("ledger.integrity", Status::Pass, 5)],
        ..Inputs::default()
    };
    assert_eq!(statuses(&passing)["164.312(b)"], ControlStatus::Unknown);
    let failing = Inputs {
        findings: vec![
            finding("t.audit", Status::Pass, 4),
            finding("ledger.integrity", Status::Fail, 5),
        ],
        ..Inputs::default()
    };
    assert_eq!(statuses(&failing)["164.312(b)"], ControlStatus::Partial);
}

#[test]
fn an_attestation_meets_a_control_for_twelve_months_but_never_hides_a_failing_check() {
    let inputs = Inputs {
        attestations: [
            attestation("164.310(b)", date(2025, 11, 28)),
            attestation("164.308(a)(1)(ii)(A)", date(2026, 6, 1)),
        ]
        .into_iter()
        .collect(),
        findings: vec![finding("t.a", Status::Fail, 1)],
        ..Inputs::default()
    };
    let results = evaluate(&catalog(), Profile::Hipaa, &inputs, TODAY);
    let get = |id: &str| results.iter().find(|r| r.id == id).unwrap();
    // Attested exactly twelve months ago: still standing today.
    let workstation = get("164.310(b)");
    assert_eq!(workstation.status, ControlStatus::Met);
    assert!(
        workstation.basis.contains("attested by Dana"),
        "{}",
        workstation.basis
    );
    assert_eq!(workstation.evidence[0].seq, 99);
    // The machine says otherwise: the failing check wins.
    assert_eq!(get("164.308(a)(1)(ii)(A)").status, ControlStatus::NotMet);

    let lapsed = Inputs {
        attestations: [attestation("164.310(b)", date(2025, 11, 27))]
            .into_iter()
            .collect(),
        ..Inputs::default()
    };
    let results = evaluate(&catalog(), Profile::Hipaa, &lapsed, TODAY);
    let workstation = results.iter().find(|r| r.id == "164.310(b)").unwrap();
    assert_eq!(workstation.status, ControlStatus::Unknown);
    assert!(
        workstation.basis.contains("lapsed on 2026-11-27"),
        "{}",
        workstation.basis
    );
}

#[test]
fn the_responsibility_matrix_gives_owners_inherits_and_rules_out_controls() {
    let row = |citation: &str, responsibility, owner: Option<&str>| {
        let mut row = ResponsibilityRecord::new(citation.parse().unwrap(), responsibility);
        row.owner = owner.map(str::to_owned);
        row
    };
    let inputs = Inputs {
        matrix: vec![
            row("164.310(b)", Responsibility::Provider, None),
            row(
                "164.308(a)(1)(ii)(B)",
                Responsibility::Customer,
                Some("Compliance office"),
            ),
            row("164.314(b)(1)", Responsibility::NotApplicable, None),
        ],
        findings: vec![finding("t.b", Status::Fail, 2)],
        ..Inputs::default()
    };
    let results = evaluate(&catalog(), Profile::Hipaa, &inputs, TODAY);
    let get = |id: &str| results.iter().find(|r| r.id == id).unwrap();
    assert_eq!(get("164.310(b)").status, ControlStatus::Met);
    assert!(get("164.310(b)").basis.contains("provider"));
    let owned = get("164.308(a)(1)(ii)(B)");
    assert_eq!(owned.owner.as_deref(), Some("Compliance office"));
    assert_eq!(owned.status, ControlStatus::NotMet);
    // A standard ruled out takes its specifications with it.
    assert_eq!(get("164.314(b)(1)").status, ControlStatus::NotApplicable);
    assert_eq!(get("164.314(b)(2)").status, ControlStatus::NotApplicable);
}

#[test]
fn failures_come_worst_first_and_tallies_add_up() {
    let inputs = Inputs {
        findings: vec![
            finding("t.audit", Status::Warn, 3),
            finding("t.b", Status::Fail, 2),
        ],
        ..Inputs::default()
    };
    let results = evaluate(&catalog(), Profile::Hipaa, &inputs, TODAY);
    let (summary, families) = tally(&results);
    assert_eq!(summary.total(), catalog().controls.len());
    assert_eq!(
        families.iter().map(|(_, t)| t.total()).sum::<usize>(),
        summary.total()
    );
    let assessment = phiguard_assess::Assessment {
        profile: Profile::Hipaa,
        installation: "clinic".into(),
        assessed_at: "2026-11-28T12:00:00Z".parse().unwrap(),
        today: TODAY,
        phiguard_version: "test".into(),
        summary,
        families,
        controls: results,
        notes: Vec::new(),
        evidence: None,
        checkpoint: None,
    };
    let order: Vec<ControlStatus> = assessment.failures().iter().map(|c| c.status).collect();
    assert_eq!(order.first(), Some(&ControlStatus::NotMet));
    assert!(order.windows(2).all(|w| w[0] <= w[1]), "{order:?}");
    let text = phiguard_assess::terminal::render(&assessment);
    assert!(text.contains("Top failures"), "{text}");
    assert!(text.contains("no signed ledger checkpoint"), "{text}");
}

#[test]
fn the_proposed_profile_adds_its_items_only_when_asked() {
    let mut catalog = catalog();
    let mut proposed = control("proposed-2025.asset-inventory", None, &[], true);
    proposed.citation = None;
    proposed.proposed = true;
    proposed.family = Family::Proposed2025;
    catalog.controls.push(proposed);
    let hipaa = evaluate(&catalog, Profile::Hipaa, &Inputs::default(), TODAY);
    let proposed = evaluate(&catalog, Profile::Proposed2025, &Inputs::default(), TODAY);
    assert_eq!(proposed.len(), hipaa.len() + 1);
    assert!(!hipaa.iter().any(|r| r.id.starts_with("proposed-2025")));
}

#[test]
fn each_control_counts_the_register_records_that_document_it() {
    let mut catalog = catalog();
    catalog.controls[3].records = vec!["policy".into(), "acknowledgment".into()];
    let inputs = Inputs {
        record_counts: [("policy".to_owned(), 2)].into_iter().collect(),
        ..Inputs::default()
    };
    let results = evaluate(&catalog, Profile::Hipaa, &inputs, TODAY);
    let workstation = results.iter().find(|r| r.id == "164.310(b)").unwrap();
    assert_eq!(workstation.records["policy"], 2);
    assert_eq!(workstation.records["acknowledgment"], 0);
    // Records document a control; they do not meet it.
    assert_eq!(workstation.status, ControlStatus::Unknown);
}
