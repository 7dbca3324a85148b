#![allow(clippy::unwrap_used, clippy::expect_used)]
//! How evidence becomes a status: each rule of `evaluate` with a case that shows it, on a small
//! hand-made catalog so each case names exactly what decides it.

use std::collections::BTreeMap;

use jiff::civil::{Date, date};
use phiguard_assess::catalog::{Catalog, Control, ControlKind, Family, Profile, Requirement};
use phiguard_assess::evaluate::{ControlStatus, Inputs, evaluate, tally};
use phiguard_core::{CheckMeta, EvidenceRef, Finding, OrganizationRole, Severity, Status};
use phiguard_register::records::{Responsibility, ResponsibilityRecord};
use phiguard_register::{AnyRecord, Kind, Snapshot};
use serde_json::json;

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
        delegable: true,
        owed_by: Vec::new(),
        protects_ephi: false,
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

/// A record of `kind` from its JSON, as the register stores it.
fn record(kind: Kind, value: serde_json::Value) -> AnyRecord {
    AnyRecord::from_json(kind, value).unwrap()
}

/// A register holding `records`, each recorded by its own ledger entry (from seq 100 on).
fn register(records: impl IntoIterator<Item = AnyRecord>) -> Snapshot {
    let mut snapshot = Snapshot::default();
    for (n, record) in records.into_iter().enumerate() {
        let seq = 100 + n as u64;
        snapshot.insert(
            record,
            Some(EvidenceRef {
                seq,
                leaf_hash: [seq as u8; 32],
            }),
        );
    }
    snapshot
}

fn attestation(control: &str, date: Date) -> AnyRecord {
    record(
        Kind::Attestation,
        json!({"control": control, "by": "Dana", "statement": "in place", "date": date}),
    )
}

fn matrix_row(citation: &str, responsibility: Responsibility, vendor: Option<&str>) -> AnyRecord {
    let mut row = json!({"control": citation, "responsibility": responsibility});
    if let Some(vendor) = vendor {
        row["vendor"] = vendor.into();
    }
    record(Kind::Responsibility, row)
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
        register: register([attestation("164.308(a)(1)(ii)(A)", date(2026, 6, 1))]),
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
        register: register([
            attestation("164.310(b)", date(2025, 11, 28)),
            attestation("164.308(a)(1)(ii)(A)", date(2026, 6, 1)),
        ]),
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
    assert_eq!(workstation.evidence[0].seq, 100);
    // The machine says otherwise: the failing check wins.
    assert_eq!(get("164.308(a)(1)(ii)(A)").status, ControlStatus::NotMet);

    let lapsed = Inputs {
        register: register([attestation("164.310(b)", date(2025, 11, 27))]),
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
fn the_responsibility_matrix_gives_owners_and_rules_out_controls() {
    let mut owned = ResponsibilityRecord::new(
        "164.308(a)(1)(ii)(B)".parse().unwrap(),
        Responsibility::Customer,
    );
    owned.owner = Some("Compliance office".into());
    let inputs = Inputs {
        register: register([
            owned.into(),
            matrix_row("164.314(b)(1)", Responsibility::NotApplicable, None),
        ]),
        findings: vec![finding("t.b", Status::Fail, 2)],
        ..Inputs::default()
    };
    let results = evaluate(&catalog(), Profile::Hipaa, &inputs, TODAY);
    let get = |id: &str| results.iter().find(|r| r.id == id).unwrap();
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
    let assessment = phiguard_assess::Assessment::new(
        Profile::Hipaa,
        "clinic".into(),
        "2026-11-28T12:00:00Z".parse().unwrap(),
        TODAY,
        results,
    );
    assert_eq!(assessment.summary, summary);
    assert_eq!(assessment.families, families);
    // Both findings are high and on required controls: the failure ranks before the warning.
    let order: Vec<&str> = assessment
        .failures()
        .iter()
        .map(|c| c.id.as_str())
        .collect();
    assert_eq!(
        order,
        ["164.308(a)(1)(ii)(B)", "164.312(b)", "164.308(a)(1)(i)"],
        "the standard follows the specification it fails through"
    );
    let text = phiguard_assess::terminal::render(&assessment);
    assert!(text.contains("Top problems"), "{text}");
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
    let policy = |id: &str| {
        record(
            Kind::Policy,
            json!({"id": id, "title": "Acceptable use", "version": "1", "approver": "Dana", "approved": "2026-01-10"}),
        )
    };
    let inputs = Inputs {
        register: register([policy("a"), policy("b")]),
        ..Inputs::default()
    };
    let results = evaluate(&catalog, Profile::Hipaa, &inputs, TODAY);
    let workstation = results.iter().find(|r| r.id == "164.310(b)").unwrap();
    assert_eq!(workstation.records["policy"], 2);
    assert_eq!(workstation.records["acknowledgment"], 0);
    // Records document a control; they do not meet it.
    assert_eq!(workstation.status, ControlStatus::Unknown);
}

// ---- inheritance, delegation, scope and role (issue: never claim more than the evidence) ----

/// The vendor, BAA and assurance report that let a provider row meet a control, as of TODAY.
fn hosting_provider(report_period_end: Date) -> Vec<AnyRecord> {
    vec![
        record(
            Kind::Vendor,
            json!({"id": "nimbus", "name": "Nimbus Cloud", "touches_phi": true}),
        ),
        record(
            Kind::Baa,
            json!({"id": "nimbus-2026", "vendor": "nimbus", "status": "signed",
                   "signed": "2026-01-10", "expires": "2028-01-09"}),
        ),
        record(
            Kind::Assurance,
            json!({"id": "nimbus-soc2-2025", "vendor": "nimbus", "kind": "soc2-type2",
                   "period_start": "2025-01-01", "period_end": report_period_end,
                   "issuer": "Example Assurance LLP"}),
        ),
    ]
}

/// The status of 164.310(b) (delegable, no checks) with a provider row and `records`.
fn inherited_status(row_vendor: Option<&str>, records: Vec<AnyRecord>) -> (ControlStatus, String) {
    let mut all = records;
    all.push(matrix_row(
        "164.310(b)",
        Responsibility::Provider,
        row_vendor,
    ));
    let inputs = Inputs {
        register: register(all),
        ..Inputs::default()
    };
    let results = evaluate(&catalog(), Profile::Hipaa, &inputs, TODAY);
    let control = results.iter().find(|r| r.id == "164.310(b)").unwrap();
    (control.status, control.basis.clone())
}

#[test]
fn a_provider_row_meets_a_control_only_with_vendor_baa_and_current_report() {
    // The whole chain: met, and the basis names it.
    let (status, basis) = inherited_status(Some("nimbus"), hosting_provider(date(2025, 12, 31)));
    assert_eq!(status, ControlStatus::Met, "{basis}");
    assert!(
        basis.contains("Nimbus Cloud") && basis.contains("nimbus-2026"),
        "{basis}"
    );
    // A report counts for 12 months after its period ends: exactly then, still; a day later, not.
    let (status, _) = inherited_status(Some("nimbus"), hosting_provider(date(2025, 11, 28)));
    assert_eq!(status, ControlStatus::Met);
    let (status, basis) = inherited_status(Some("nimbus"), hosting_provider(date(2025, 11, 27)));
    assert_eq!(status, ControlStatus::Partial, "{basis}");
    assert!(basis.contains("counts only until 2026-11-27"), "{basis}");

    // No BAA in force: partial, naming the missing link.
    let mut no_baa = hosting_provider(date(2025, 12, 31));
    no_baa.remove(1);
    let (status, basis) = inherited_status(Some("nimbus"), no_baa);
    assert_eq!(status, ControlStatus::Partial);
    assert!(basis.contains("no BAA with Nimbus Cloud"), "{basis}");

    // No report at all: partial.
    let mut no_report = hosting_provider(date(2025, 12, 31));
    no_report.pop();
    let (status, basis) = inherited_status(Some("nimbus"), no_report);
    assert_eq!(status, ControlStatus::Partial);
    assert!(basis.contains("no assurance report"), "{basis}");

    // The row names no vendor: nothing shows who carries it.
    let (status, basis) = inherited_status(None, hosting_provider(date(2025, 12, 31)));
    assert_eq!(status, ControlStatus::Unknown);
    assert!(basis.contains("names no vendor"), "{basis}");
}

#[test]
fn a_duty_that_cannot_be_delegated_is_never_met_by_the_provider_nor_by_an_attestation() {
    let mut catalog = catalog();
    catalog.controls[3].delegable = false; // 164.310(b), for the test's sake
    let mut records = hosting_provider(date(2025, 12, 31));
    records.push(matrix_row(
        "164.310(b)",
        Responsibility::Provider,
        Some("nimbus"),
    ));
    records.push(attestation("164.310(b)", date(2026, 6, 1)));
    let inputs = Inputs {
        register: register(records),
        ..Inputs::default()
    };
    let results = evaluate(&catalog, Profile::Hipaa, &inputs, TODAY);
    let control = results.iter().find(|r| r.id == "164.310(b)").unwrap();
    assert_eq!(control.status, ControlStatus::NotMet, "{control:#?}");
    let finding = &control.attention[0];
    assert_eq!(finding.check.as_str(), "matrix.delegation");
    assert_eq!(finding.status, Status::Fail);
    assert!(
        finding.message.contains("no provider can carry it"),
        "{finding:?}"
    );
    // The finding cites the matrix row's ledger entry.
    assert!(!finding.evidence.is_empty());
    // Corrected to customer, the attestation stands again.
    let mut records = hosting_provider(date(2025, 12, 31));
    records.push(matrix_row("164.310(b)", Responsibility::Customer, None));
    records.push(attestation("164.310(b)", date(2026, 6, 1)));
    let inputs = Inputs {
        register: register(records),
        ..Inputs::default()
    };
    let results = evaluate(&catalog, Profile::Hipaa, &inputs, TODAY);
    let control = results.iter().find(|r| r.id == "164.310(b)").unwrap();
    assert_eq!(control.status, ControlStatus::Met);
}

#[test]
fn a_check_that_did_not_run_leaves_its_part_unknown_and_no_attestation_fills_it() {
    // 164.312(b) is covered by t.audit and the ledger's verification. With t.audit skipped,
    // "auditd is fine" must not make it met.
    let skipped = Inputs {
        findings: vec![finding("ledger.integrity", Status::Pass, 5)],
        not_run: [(
            "t.audit".to_owned(),
            "host checks skipped (--skip host)".to_owned(),
        )]
        .into_iter()
        .collect(),
        register: register([attestation("164.312(b)", date(2026, 6, 1))]),
        ..Inputs::default()
    };
    let results = evaluate(&catalog(), Profile::Hipaa, &skipped, TODAY);
    let audit = results.iter().find(|r| r.id == "164.312(b)").unwrap();
    assert_eq!(audit.status, ControlStatus::Unknown, "{audit:#?}");
    assert!(
        audit.basis.contains("t.audit did not run"),
        "{}",
        audit.basis
    );
    assert!(
        audit
            .remediation
            .iter()
            .any(|r| r.contains("host checks skipped (--skip host)")),
        "{:?}",
        audit.remediation
    );

    // One check passes, the other did not run: partial, never met, attestation or not.
    let half = Inputs {
        findings: vec![finding("t.audit", Status::Pass, 4)],
        register: register([attestation("164.312(b)", date(2026, 6, 1))]),
        ..Inputs::default()
    };
    let results = evaluate(&catalog(), Profile::Hipaa, &half, TODAY);
    let audit = results.iter().find(|r| r.id == "164.312(b)").unwrap();
    assert_eq!(audit.status, ControlStatus::Partial);
    assert!(
        audit.basis.contains("ledger.integrity did not run"),
        "{}",
        audit.basis
    );

    // Both ran and pass: met.
    let both = Inputs {
        findings: vec![
            finding("t.audit", Status::Pass, 4),
            finding("ledger.integrity", Status::Pass, 5),
        ],
        ..Inputs::default()
    };
    assert_eq!(statuses(&both)["164.312(b)"], ControlStatus::Met);
}

#[test]
fn the_organisation_role_decides_which_breach_obligations_it_owes() {
    let mut catalog = catalog();
    let mut obligation = |id: &str, owed_by: Vec<OrganizationRole>| {
        let mut control = control(id, None, &[], true);
        control.kind = ControlKind::Obligation;
        control.family = Family::BreachNotification;
        control.owed_by = owed_by;
        catalog.controls.push(control);
    };
    obligation("164.404(a)", vec![OrganizationRole::CoveredEntity]);
    obligation("164.410", vec![OrganizationRole::BusinessAssociate]);
    obligation("164.402", Vec::new());
    let status = |role: Option<OrganizationRole>, id: &str| {
        let inputs = Inputs {
            role,
            ..Inputs::default()
        };
        let results = evaluate(&catalog, Profile::Hipaa, &inputs, TODAY);
        results.into_iter().find(|r| r.id == id).unwrap()
    };
    use OrganizationRole::*;
    let ba = status(Some(BusinessAssociate), "164.404(a)");
    assert_eq!(ba.status, ControlStatus::NotApplicable);
    assert!(
        ba.basis.contains("only a covered entity owes it"),
        "{}",
        ba.basis
    );
    assert_eq!(
        status(Some(BusinessAssociate), "164.410").status,
        ControlStatus::Unknown
    );
    assert_eq!(
        status(Some(CoveredEntity), "164.410").status,
        ControlStatus::NotApplicable
    );
    assert_eq!(
        status(Some(CoveredEntity), "164.404(a)").status,
        ControlStatus::Unknown
    );
    for id in ["164.404(a)", "164.410", "164.402"] {
        assert_eq!(
            status(Some(Both), id).status,
            ControlStatus::Unknown,
            "{id}"
        );
        assert_eq!(status(None, id).status, ControlStatus::Unknown, "{id}");
    }
}

/// Every Security Rule control of the real catalog marked `provider`, as a provider's
/// spreadsheet might.
fn everything_to_the_provider(catalog: &Catalog, vendor: Option<&str>) -> Vec<AnyRecord> {
    catalog
        .controls_of(Profile::Hipaa)
        .filter(|c| c.family != Family::BreachNotification)
        .map(|c| matrix_row(&c.id, Responsibility::Provider, vendor))
        .collect()
}

#[test]
fn a_matrix_handing_all_65_rows_to_a_provider_meets_nothing_without_evidence() {
    let catalog = Catalog::builtin().unwrap();
    let rows = everything_to_the_provider(&catalog, None);
    assert_eq!(rows.len(), 65);
    let inputs = Inputs {
        register: register(rows),
        ..Inputs::default()
    };
    let results = evaluate(&catalog, Profile::Hipaa, &inputs, TODAY);
    let met: Vec<&str> = results
        .iter()
        .filter(|r| r.status == ControlStatus::Met)
        .map(|r| r.id.as_str())
        .collect();
    assert!(met.is_empty(), "met with no evidence: {met:?}");
    // The duties that stay with the organisation are failing findings, not just unknown.
    let risk = results
        .iter()
        .find(|r| r.id == "164.308(a)(1)(ii)(A)")
        .unwrap();
    assert_eq!(risk.status, ControlStatus::NotMet);
}

#[test]
fn with_vendor_baa_and_report_only_delegable_controls_are_inherited() {
    let catalog = Catalog::builtin().unwrap();
    let mut records = hosting_provider(date(2025, 12, 31));
    records.extend(everything_to_the_provider(&catalog, Some("nimbus")));
    let inputs = Inputs {
        register: register(records),
        ..Inputs::default()
    };
    let results = evaluate(&catalog, Profile::Hipaa, &inputs, TODAY);
    let delegable = |id: &str| catalog.get(id).unwrap().delegable;
    for result in &results {
        if result.family == Family::BreachNotification {
            continue;
        }
        if delegable(&result.id) {
            // Delegable: met by inheritance unless a machine check of its own did not run.
            let control = catalog.get(&result.id).unwrap();
            if control.checks.is_empty() && control.kind != ControlKind::Standard {
                assert_eq!(
                    result.status,
                    ControlStatus::Met,
                    "{}: {}",
                    result.id,
                    result.basis
                );
            }
            assert_ne!(result.status, ControlStatus::NotMet, "{}", result.id);
        } else {
            assert_eq!(
                result.status,
                ControlStatus::NotMet,
                "{}: {}",
                result.id,
                result.basis
            );
        }
    }
    let met = results
        .iter()
        .filter(|r| r.status == ControlStatus::Met)
        .count();
    assert!(met >= 10, "only {met} met");
    assert!(
        results
            .iter()
            .filter(|r| r.status == ControlStatus::Met)
            .all(|r| delegable(&r.id))
    );
}
