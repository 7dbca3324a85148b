#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `phiguard assess`, `attest` and `demo` as a new user and an auditor meet them: an empty
//! installation that must not look compliant, attestations, the sample clinic, and the reports
//! with the checkpoint that lets their evidence be verified.

mod common;

use std::path::Path;

use common::{json, new_home, phiguard, stderr_of};
use serde_json::Value;

fn assess(home: &Path, extra: &[&str], code: i32) -> Value {
    let out = phiguard(home)
        .args(["--json", "assess", "--skip", "host"])
        .args(extra)
        .assert()
        .code(code);
    json(&out.get_output().stdout)
}

fn control<'a>(assessment: &'a Value, id: &str) -> &'a Value {
    assessment["controls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no control {id}"))
}

#[test]
fn an_empty_installation_is_never_met_and_its_report_names_a_verifiable_checkpoint() {
    let (_dir, home) = new_home();
    let assessment = assess(&home, &[], 0);
    let controls = assessment["controls"].as_array().unwrap();
    assert!(controls.len() >= 65, "{} controls", controls.len());
    let administrative: Vec<&Value> = controls
        .iter()
        .filter(|c| c["family"] == "administrative")
        .collect();
    assert!(!administrative.is_empty());
    assert!(
        administrative.iter().all(|c| c["status"] != "met"),
        "{administrative:#?}"
    );
    assert_eq!(
        assessment["summary"]["met"], 0,
        "{:#}",
        assessment["summary"]
    );
    // No restore test is recorded: the backup plan is not met, and says what to do.
    let backup = control(&assessment, "164.308(a)(7)(ii)(A)");
    assert_eq!(backup["status"], "not-met");
    assert!(!backup["remediation"].as_array().unwrap().is_empty());
    // The notes say what could not be looked at.
    let notes = assessment["notes"].to_string();
    assert!(notes.contains("host checks skipped"), "{notes}");
    assert!(notes.contains("phiguard fim init"), "{notes}");
    // The result and a checkpoint over it are in the ledger, and the ledger verifies.
    let checkpoint = &assessment["checkpoint"];
    let size = checkpoint["size"].as_u64().unwrap();
    assert!(assessment["evidence"]["seq"].as_u64().unwrap() < size);
    assert!(checkpoint["note"].as_str().unwrap().contains("— "));
    phiguard(&home)
        .args(["ledger", "verify"])
        .assert()
        .success();
}

#[test]
fn fail_on_lets_a_script_fail_on_a_status() {
    let (_dir, home) = new_home();
    assess(&home, &["--fail-on", "not-met"], 1);
    assess(&home, &[], 0);
}

#[test]
fn an_attestation_meets_a_manual_control_for_a_year_and_is_in_its_history() {
    let (dir, home) = new_home();
    let plan = dir.path().join("workstation-policy.pdf");
    std::fs::write(&plan, b"%PDF workstation use policy").unwrap();
    let out = phiguard(&home)
        .args([
            "--json",
            "attest",
            "45 CFR 164.310(b)",
            "--by",
            "Dana Ruiz, Security Officer",
            "--statement",
            "Workstation use policy in force; spot checks done in October",
            "--evidence",
        ])
        .arg(&plan)
        .assert()
        .success();
    let attested = json(&out.get_output().stdout);
    assert_eq!(attested["control"], "164.310(b)");
    let assessment = assess(&home, &[], 0);
    let workstation = control(&assessment, "164.310(b)");
    assert_eq!(workstation["status"], "met");
    assert!(
        workstation["basis"].as_str().unwrap().contains("Dana Ruiz"),
        "{workstation:#}"
    );
    assert!(
        workstation["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["seq"] == attested["evidence"]["seq"])
    );
    let history = phiguard(&home)
        .args(["--json", "register", "history", "attestation", "164.310(b)"])
        .assert()
        .success();
    assert_eq!(
        json(&history.get_output().stdout).as_array().unwrap().len(),
        1
    );

    let out = phiguard(&home)
        .args(["attest", "164.999(z)", "--by", "x", "--statement", "y"])
        .assert()
        .code(2);
    assert!(stderr_of(&out).contains("not a control of the catalog"));
    let out = phiguard(&home)
        .args(["attest", "164.310(b)", "--by", " ", "--statement", "y"])
        .assert()
        .code(2);
    assert!(
        stderr_of(&out).contains("`by` is empty"),
        "{}",
        stderr_of(&out)
    );
}

#[test]
fn reports_are_written_as_html_and_oscal_with_a_plan_of_action() {
    let (dir, home) = new_home();
    let html = dir.path().join("report.html");
    let oscal = dir.path().join("results.json");
    assess(
        &home,
        &[
            "--html",
            html.to_str().unwrap(),
            "--oscal",
            oscal.to_str().unwrap(),
        ],
        0,
    );
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("164.308(a)(7)(ii)(A)"));
    assert!(!page.contains("<script"));
    let results: Value = serde_json::from_str(&std::fs::read_to_string(&oscal).unwrap()).unwrap();
    assert!(results["assessment-results"]["uuid"].is_string());
    let poam: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("results.poam.json")).unwrap(),
    )
    .unwrap();
    assert!(poam["plan-of-action-and-milestones"]["poam-items"].is_array());
    let out = phiguard(&home)
        .args([
            "assess",
            "--skip",
            "host",
            "--html",
            "/no/such/dir/report.html",
        ])
        .assert()
        .code(2);
    assert!(
        stderr_of(&out).contains("/no/such/dir"),
        "{}",
        stderr_of(&out)
    );
}

#[test]
fn the_demo_seeds_a_sample_clinic_whose_gaps_the_assessment_finds() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("demo");
    let html = dir.path().join("demo.html");
    let out = phiguard(&home)
        .args(["--json", "demo", "--html"])
        .arg(&html)
        .assert()
        .success();
    let assessment = json(&out.get_output().stdout);
    assert!(html.exists());
    // Fabrikam Billing touches PHI without a BAA.
    let baa = control(&assessment, "164.308(b)(3)");
    assert_ne!(baa["status"], "met", "{baa:#}");
    assert!(baa["attention"].to_string().contains("fabrikam-billing"));
    // Dave left and kept his EHR access.
    let termination = control(&assessment, "164.308(a)(3)(ii)(C)");
    assert_eq!(termination["status"], "not-met", "{termination:#}");
    // The sample tree's configuration changed after its baseline.
    let integrity = control(&assessment, "164.312(c)(2)");
    assert!(
        integrity["attention"].to_string().contains("unexplained"),
        "{integrity:#}"
    );
    // The facility security plan is attested; the sanction policy's attestation lapsed.
    assert_eq!(control(&assessment, "164.310(a)(2)(ii)")["status"], "met");
    assert!(
        control(&assessment, "164.308(a)(1)(ii)(C)")["basis"]
            .as_str()
            .unwrap()
            .contains("lapsed")
    );
    // A clearinghouse function does not apply to a clinic.
    assert_eq!(
        control(&assessment, "164.308(a)(4)(ii)(A)")["status"],
        "not-applicable"
    );
    // The demo never seeds a home that holds records.
    let again = phiguard(&home).arg("demo").assert().code(2);
    assert!(stderr_of(&again).contains("only seeds an empty home"));
}

#[test]
fn assess_runs_on_postgres() {
    let Some(db) = common::postgres_database() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let out = phiguard(&home)
        .args(["--database", db.url(), "--json", "assess", "--skip", "host"])
        .assert()
        .success();
    let assessment = json(&out.get_output().stdout);
    assert!(assessment["checkpoint"]["size"].as_u64().unwrap() > 0);
    assert!(!home.join("phiguard.db").exists());
}
