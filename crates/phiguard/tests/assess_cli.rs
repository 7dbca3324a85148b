#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `phiguard assess`, `attest` and `demo` as a new user and an auditor meet them: an empty
//! installation that must not look compliant, attestations, the sample clinic, and the reports
//! with the checkpoint that lets their evidence be verified.

mod common;

use std::path::Path;

use common::{json, new_home, phiguard, phiguard_finding_home, stderr_of};
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
    assert_eq!(assessment["sample"], false);
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
    assert_eq!(assessment["sample"], true, "the demo is sample data");
    // Fabrikam Billing touches PHI without a BAA.
    let baa = control(&assessment, "164.308(b)(3)");
    assert_ne!(baa["status"], "met", "{baa:#}");
    assert!(baa["attention"].to_string().contains("fabrikam-billing"));
    // Dave left and kept his EHR access.
    let termination = control(&assessment, "164.308(a)(3)(ii)(C)");
    assert_eq!(termination["status"], "not-met", "{termination:#}");
    // The shared folder's configuration changed after its baseline: activity review sees it,
    // while the ePHI directory (the charts) is unchanged and covered, so 164.312(c)(2) is met.
    let review = control(&assessment, "164.308(a)(1)(ii)(D)");
    assert!(
        review["attention"].to_string().contains("unexplained"),
        "{review:#}"
    );
    assert_eq!(control(&assessment, "164.312(c)(2)")["status"], "met");
    // Inheritance done right: the hosting provider has a BAA and a current SOC 2 Type II report.
    let inherited = control(&assessment, "164.310(a)(2)(i)");
    assert_eq!(inherited["status"], "met", "{inherited:#}");
    assert!(
        inherited["basis"]
            .as_str()
            .unwrap()
            .contains("carried by Northwind Cloud under BAA northwind-2025"),
        "{inherited:#}"
    );
    // Done wrong: a row naming a vendor without a BAA, and a duty no provider can carry.
    let no_baa = control(&assessment, "164.310(d)(2)(iii)");
    assert_eq!(no_baa["status"], "partial", "{no_baa:#}");
    assert!(
        no_baa["basis"]
            .as_str()
            .unwrap()
            .contains("no BAA with Adatum Vault")
    );
    let handed_over = control(&assessment, "164.308(a)(7)(ii)(B)");
    assert_eq!(handed_over["status"], "not-met");
    assert!(
        handed_over["attention"]
            .to_string()
            .contains("matrix.delegation")
    );
    // The HTML explains each.
    let page = std::fs::read_to_string(&html).unwrap();
    for text in [
        "Carried by Northwind Cloud under BAA northwind-2025",
        "no BAA with Adatum Vault is in force",
        "no provider can carry it for you",
        "<dt>Role</dt><dd>a covered entity</dd>",
        "<dt>Scope</dt><dd>Riverside Clinic, sample data seeded by <code>phiguard demo</code></dd>",
    ] {
        assert!(page.contains(text), "{text:?} missing from the report");
    }
    // A covered entity owes the individual notices, not a business associate's.
    assert_eq!(assessment["role"], "covered_entity");
    assert_eq!(control(&assessment, "164.410")["status"], "not-applicable");
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
    // The hosting provider reported its open bucket days past the 24 hours of its SLA, and
    // the misdirected fax is still not assessed two weeks on: incident response is only
    // partly met (its other findings pass).
    let response = control(&assessment, "164.308(a)(6)(ii)");
    assert_eq!(response["status"], "partial", "{response:#}");
    let attention = response["attention"].to_string();
    assert!(
        attention.contains("SLA northwind-cloud: 24 hours"),
        "{response:#}"
    );
    assert!(attention.contains("misdirected-fax"), "{response:#}");
    // The breach itself was assessed and its individuals told in time: the notices are met
    // as far as the checks see, and the rest is for a person to attest.
    let timely = control(&assessment, "164.404(b)");
    assert_ne!(timely["status"], "not-met", "{timely:#}");
    assert!(
        timely["basis"].as_str().unwrap().contains("passing"),
        "{timely:#}"
    );
    // The demo never seeds a home that holds records.
    let again = phiguard(&home).arg("demo").assert().code(2);
    assert!(stderr_of(&again).contains("only seeds an empty home"));
}

#[test]
fn the_demo_assesses_its_own_sample_host_in_a_home_apart_never_this_machine() {
    let dir = tempfile::tempdir().unwrap();
    let out = phiguard_finding_home(dir.path())
        .args(["--json", "demo"])
        .assert()
        .success();
    let assessment = json(&out.get_output().stdout);
    // Not in the real home, which stays unmade.
    let home = dir.path().join("xdg/phiguard-demo");
    assert!(home.join("phiguard.toml").is_file());
    assert!(!dir.path().join("xdg/phiguard").exists());

    let sample_root = home.join("demo/host");
    let host_findings: Vec<&Value> = assessment["controls"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["attention"].as_array().unwrap())
        .filter(|f| f["check"].as_str().unwrap().starts_with("host."))
        .collect();
    assert!(!host_findings.is_empty(), "the sample host has no gaps");
    for finding in &host_findings {
        let subject = finding["subject"].as_str().unwrap();
        if subject.starts_with('/') {
            assert!(
                Path::new(subject).starts_with(&sample_root),
                "a finding about this machine: {finding:#}"
            );
        }
    }
    // The deliberate gaps of the sample host, and none of this machine's accounts (a finding
    // shows under each control it evidences).
    let about = |check: &str| -> Vec<&str> {
        let subjects: std::collections::BTreeSet<&str> = host_findings
            .iter()
            .filter(|f| f["check"] == check)
            .map(|f| f["subject"].as_str().unwrap())
            .collect();
        subjects.into_iter().collect()
    };
    let sshd_config = sample_root.join("etc/ssh/sshd_config");
    assert_eq!(
        about("host.access.ssh_password_auth"),
        [sshd_config.to_str().unwrap()]
    );
    assert_eq!(about("host.access.ungranted_accounts"), ["deploy"]);
    assert_eq!(about("host.logging.auditd"), ["auditd"]);

    // The check run itself says where it read.
    let ledger = phiguard(&home)
        .args(["--json", "ledger", "tail", "-n", "1000"])
        .assert()
        .success();
    let entries = json(&ledger.get_output().stdout);
    let run = entries
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["entry"]["kind"] == "host.check")
        .unwrap_or_else(|| panic!("no host.check entry: {entries:#}"));
    let recorded = run.to_string();
    assert!(
        recorded.contains(&format!("image:{}", sample_root.display())),
        "{run:#}"
    );
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

/// The Security Rule's controls (not the breach rule's), as the assessment lists them.
fn security_rule_ids(assessment: &Value) -> Vec<String> {
    assessment["controls"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["family"] != "breach-notification")
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

/// A provider's spreadsheet that marks all 65 Security Rule controls `provider`, imported
/// into `home` (on `database` when given): nothing is met without a vendor, BAA and report;
/// with them, only the controls a provider can carry are.
fn provider_matrix_meets_only_what_evidence_shows(home: &Path, database: Option<&str>) {
    let run = |args: &[&str]| {
        let mut cmd = phiguard(home);
        if let Some(url) = database {
            cmd.args(["--database", url]);
        }
        cmd.args(args);
        cmd
    };
    let assess_json = || {
        let out = run(&["--json", "assess", "--skip", "host,fim"])
            .assert()
            .success();
        json(&out.get_output().stdout)
    };
    let ids = security_rule_ids(&assess_json());
    assert_eq!(ids.len(), 65);
    let csv = home.parent().unwrap().join("provider-matrix.csv");
    let write_matrix = |vendor: &str| {
        let mut text = String::from("control,responsibility,owner,vendor\n");
        for id in &ids {
            text.push_str(&format!("{id},provider,Nimbus Cloud,{vendor}\n"));
        }
        std::fs::write(&csv, text).unwrap();
    };

    write_matrix("");
    let out = run(&["matrix", "import"]).arg(&csv).assert().success();
    let warnings = stderr_of(&out);
    assert!(
        warnings.contains("warning: 45 CFR 164.308(a)(1)(ii)(A) (Risk analysis) stays with you"),
        "{warnings}"
    );
    let assessment = assess_json();
    let met: Vec<&Value> = assessment["controls"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "met")
        .collect();
    assert!(met.is_empty(), "met with no evidence: {met:#?}");
    assert_eq!(
        control(&assessment, "164.308(a)(1)(ii)(A)")["status"],
        "not-met"
    );
    let facility = control(&assessment, "164.310(a)(2)(ii)");
    assert!(
        facility["basis"]
            .as_str()
            .unwrap()
            .contains("names no vendor"),
        "{facility:#}"
    );

    // The provider recorded as a vendor with a BAA and a current report.
    run(&[
        "register",
        "vendor",
        "add",
        "nimbus",
        "--name",
        "Nimbus Cloud",
        "--touches-phi",
    ])
    .assert()
    .success();
    run(&[
        "register",
        "baa",
        "add",
        "nimbus-2026",
        "--vendor",
        "nimbus",
        "--status",
        "signed",
        "--signed",
        "2026-01-15",
        "--expires",
        "2099-01-14",
    ])
    .assert()
    .success();
    let today = jiff::tz::Offset::UTC
        .to_datetime(jiff::Timestamp::now())
        .date();
    let period_end = today.checked_sub(jiff::Span::new().days(30)).unwrap();
    let period_start = period_end.checked_sub(jiff::Span::new().years(1)).unwrap();
    run(&[
        "register",
        "assurance",
        "add",
        "nimbus-soc2",
        "--vendor",
        "nimbus",
        "--kind",
        "soc2-type2",
        "--period-start",
        &period_start.to_string(),
        "--period-end",
        &period_end.to_string(),
        "--issuer",
        "Example Assurance LLP",
    ])
    .assert()
    .success();
    write_matrix("nimbus");
    run(&["matrix", "import"]).arg(&csv).assert().success();
    let assessment = assess_json();
    let controls = assessment["controls"].as_array().unwrap();
    let met: Vec<&Value> = controls.iter().filter(|c| c["status"] == "met").collect();
    assert!(met.len() >= 10, "only {} met", met.len());
    assert!(
        met.iter().all(|c| c["delegable"] == true),
        "a duty that cannot be delegated was met: {met:#?}"
    );
    for c in controls
        .iter()
        .filter(|c| c["family"] != "breach-notification")
    {
        if c["delegable"] == false {
            // Never met, and a failing finding names the row to correct.
            assert!(
                c["status"] == "not-met" || c["status"] == "partial",
                "{c:#}"
            );
            assert!(
                c["attention"].to_string().contains("matrix.delegation"),
                "{c:#}"
            );
        }
    }
    assert_eq!(control(&assessment, "164.310(a)(2)(ii)")["status"], "met");
}

#[test]
fn a_provider_matrix_is_met_only_as_far_as_vendor_baa_and_report_show_sqlite() {
    let (_dir, home) = new_home();
    provider_matrix_meets_only_what_evidence_shows(&home, None);
}

#[test]
fn a_provider_matrix_is_met_only_as_far_as_vendor_baa_and_report_show_postgres() {
    let Some(db) = common::postgres_database() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    provider_matrix_meets_only_what_evidence_shows(&home, Some(db.url()));
}

#[test]
fn with_host_checks_skipped_an_attestation_does_not_meet_audit_controls() {
    let (_dir, home) = new_home();
    phiguard(&home)
        .args([
            "attest",
            "164.312(b)",
            "--by",
            "Dana",
            "--statement",
            "auditd is fine",
        ])
        .assert()
        .success();
    // The README's pipeline example.
    let assessment = assess(&home, &["--skip", "host,fim"], 0);
    let audit = control(&assessment, "164.312(b)");
    assert_ne!(audit["status"], "met", "{audit:#}");
    assert!(
        audit["basis"].as_str().unwrap().contains("did not run"),
        "{audit:#}"
    );
    assert!(
        audit["remediation"]
            .to_string()
            .contains("host checks skipped (--skip host)"),
        "{audit:#}"
    );
}

#[test]
fn file_integrity_counts_for_ephi_only_over_the_configured_paths() {
    let (dir, home) = new_home();
    let elsewhere = dir.path().join("anything");
    std::fs::create_dir_all(&elsewhere).unwrap();
    std::fs::write(elsewhere.join("a.txt"), "x").unwrap();
    phiguard(&home)
        .args(["fim", "init", "-q"])
        .arg(&elsewhere)
        .assert()
        .success();
    // A baseline of any directory, with no ePHI paths: nothing about 164.312(c).
    let assessment = assess(&home, &[], 0);
    let integrity = control(&assessment, "164.312(c)(2)");
    assert_eq!(integrity["status"], "unknown", "{integrity:#}");
    assert!(
        integrity["remediation"].to_string().contains("ephi_paths"),
        "{integrity:#}"
    );

    // Configured, but the baseline does not cover it: still no credit, and it says so.
    let ephi = dir.path().join("ehr");
    std::fs::create_dir_all(&ephi).unwrap();
    std::fs::write(ephi.join("chart.json"), "{}").unwrap();
    let config = home.join("phiguard.toml");
    let text = std::fs::read_to_string(&config).unwrap().replace(
        "ephi_paths = []",
        &format!("ephi_paths = [{:?}]", ephi.display().to_string()),
    );
    std::fs::write(&config, text).unwrap();
    let assessment = assess(&home, &[], 0);
    let integrity = control(&assessment, "164.312(c)(2)");
    assert_eq!(integrity["status"], "unknown", "{integrity:#}");
    assert!(
        integrity["remediation"]
            .to_string()
            .contains("does not cover the ePHI paths"),
        "{integrity:#}"
    );

    // A new baseline that covers the ePHI path too: met.
    phiguard(&home)
        .args(["fim", "update", "-q", "--reason", "cover the EHR data"])
        .arg(&elsewhere)
        .arg(&ephi)
        .assert()
        .success();
    let assessment = assess(&home, &[], 0);
    assert_eq!(control(&assessment, "164.312(c)(2)")["status"], "met");
}

#[test]
fn the_role_set_by_init_scopes_the_breach_obligations() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    phiguard(&home)
        .args(["init", "-q", "--role", "business_associate"])
        .assert()
        .success();
    let config = std::fs::read_to_string(home.join("phiguard.toml")).unwrap();
    assert!(config.contains("role = \"business_associate\""), "{config}");
    let assessment = assess(&home, &[], 0);
    assert_eq!(assessment["role"], "business_associate");
    assert_eq!(
        control(&assessment, "164.404(a)")["status"],
        "not-applicable"
    );
    assert_ne!(control(&assessment, "164.410")["status"], "not-applicable");
    // A wrong role is a usage error naming the choices.
    let out = phiguard(&tmp.path().join("other"))
        .args(["init", "--role", "hospital"])
        .assert()
        .code(2);
    assert!(
        stderr_of(&out).contains("covered_entity"),
        "{}",
        stderr_of(&out)
    );
}

#[test]
fn a_relaxed_regulatory_limit_in_the_config_is_refused_naming_key_and_citation() {
    let (_dir, home) = new_home();
    let config = home.join("phiguard.toml");
    let text = std::fs::read_to_string(&config).unwrap().replace(
        "max_breach_notice_days = 60",
        "max_breach_notice_days = 100",
    );
    std::fs::write(&config, &text).unwrap();
    let out = phiguard(&home).args(["register", "check"]).assert().code(2);
    let message = stderr_of(&out);
    for part in [
        "register.max_breach_notice_days = 100",
        "45 CFR 164.410(b)",
        "60 or less",
    ] {
        assert!(message.contains(part), "{part:?} missing from: {message}");
    }
    // Stricter is fine.
    std::fs::write(
        &config,
        text.replace(
            "max_breach_notice_days = 100",
            "max_breach_notice_days = 10",
        ),
    )
    .unwrap();
    let out = phiguard(&home).args(["register", "check", "-q"]).assert();
    assert_ne!(
        out.get_output().status.code(),
        Some(2),
        "{}",
        stderr_of(&out)
    );
}

/// The DOM headless Chromium builds from `page` (its `--dump-dom`), with its own profile under
/// `dir`; a browser that hangs for a minute is killed and fails the test.
fn rendered_dom(browser: &Path, dir: &Path, page: &Path) -> String {
    let profile = dir.join("chromium-profile");
    let mut child = std::process::Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--disable-extensions",
            "--disable-background-networking",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("file://{}", page.display()))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut dom = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut dom).map(|_| dom)
    });
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > std::time::Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium hung for 60 s rendering {}", page.display());
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    reader.join().unwrap().unwrap()
}

/// The text between `open` and the next `close` in `text`.
fn between<'a>(text: &'a str, open: &str, close: &str) -> &'a str {
    let start = text
        .find(open)
        .unwrap_or_else(|| panic!("no {open} in:\n{text}"))
        + open.len();
    let end = text[start..].find(close).unwrap() + start;
    &text[start..end]
}

#[test]
fn the_demo_report_says_sample_data_in_its_title_and_header_in_a_browser() {
    let Some(browser) = phiguard_testkit::chromium() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("demo");
    let html = dir.path().join("demo.html");
    let out = phiguard(&home)
        .args(["demo", "--html"])
        .arg(&html)
        .assert()
        .success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(
        text.lines().next().unwrap().contains("sample data"),
        "{text}"
    );

    let dom = rendered_dom(&browser, dir.path(), &html);
    let title = between(&dom, "<title>", "</title>");
    assert!(title.contains("sample data"), "title: {title}");
    let header = between(&dom, "<header class=\"top\">", "</header>");
    assert!(header.contains("sample data"), "header: {header}");
}

/// `home`'s phiguard.toml with `[organization]` `name` and `scope` set.
fn name_the_organization(home: &Path, name: &str, scope: &str) {
    let config = home.join("phiguard.toml");
    let text = std::fs::read_to_string(&config).unwrap().replacen(
        "[organization]\n",
        &format!("[organization]\nname = \"{name}\"\nscope = \"{scope}\"\n"),
        1,
    );
    std::fs::write(&config, text).unwrap();
}

#[test]
fn every_report_names_the_organisation_and_its_scope() {
    let (dir, home) = new_home();
    // Unstated, every view says what is missing and where to state it.
    let out = phiguard(&home)
        .args(["assess", "--skip", "host"])
        .assert()
        .success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(
        text.contains("Organisation: not named ([organization] name in phiguard.toml)"),
        "{text}"
    );
    assert!(
        text.contains("Scope: not stated ([organization] scope in phiguard.toml)"),
        "{text}"
    );

    name_the_organization(&home, "Riverside Clinic", "EHR platform in AWS us-east-1");
    let html = dir.path().join("report.html");
    let oscal = dir.path().join("results.json");
    let out = phiguard(&home)
        .args(["assess", "--skip", "host", "--html"])
        .arg(&html)
        .arg("--oscal")
        .arg(&oscal)
        .assert()
        .success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(
        text.contains("Organisation: Riverside Clinic, role not stated"),
        "{text}"
    );
    assert!(
        text.contains("Scope: EHR platform in AWS us-east-1\n"),
        "{text}"
    );
    let page = std::fs::read_to_string(&html).unwrap();
    let title = between(&page, "<title>", "</title>");
    assert!(title.contains("Riverside Clinic"), "{title}");
    let header = between(&page, "<header class=\"top\">", "</header>");
    assert!(header.contains("Riverside Clinic"), "{header}");
    assert!(page.contains("<dd>EHR platform in AWS us-east-1</dd>"));
    let results: Value = serde_json::from_str(&std::fs::read_to_string(&oscal).unwrap()).unwrap();
    let metadata = &results["assessment-results"]["metadata"];
    assert!(
        metadata["title"]
            .as_str()
            .unwrap()
            .contains("Riverside Clinic")
    );
    assert_eq!(metadata["parties"][0]["name"], "Riverside Clinic");
    assert_eq!(metadata["parties"][0]["type"], "organization");
    let assessment = assess(&home, &[], 0);
    assert_eq!(assessment["organization_name"], "Riverside Clinic");
    assert_eq!(assessment["scope"], "EHR platform in AWS us-east-1");
}

#[test]
fn a_sign_off_is_recorded_in_the_ledger_and_shown_in_every_view() {
    let (dir, home) = new_home();
    let html = dir.path().join("report.html");
    let oscal = dir.path().join("results.json");
    let out = phiguard(&home)
        .args(["--json", "assess", "--skip", "host"])
        .args(["--sign-off", "Dana Ruiz, Security Officer", "--html"])
        .arg(&html)
        .arg("--oscal")
        .arg(&oscal)
        .assert()
        .success();
    let assessment = json(&out.get_output().stdout);
    let sign_off = &assessment["sign_off"];
    assert_eq!(sign_off["by"], "Dana Ruiz, Security Officer");
    assert_eq!(sign_off["assessment"], assessment["evidence"]);
    let seq = sign_off["evidence"]["seq"].as_u64().unwrap();
    assert!(seq > assessment["evidence"]["seq"].as_u64().unwrap());
    // The checkpoint the report names covers the sign-off.
    assert!(seq < assessment["checkpoint"]["size"].as_u64().unwrap());
    // In the ledger: who, when, and which assessment.
    let out = phiguard(&home)
        .args(["--json", "ledger", "show", &seq.to_string()])
        .assert()
        .success();
    let entry = &json(&out.get_output().stdout)[0]["entry"];
    assert_eq!(entry["kind"], "assess.sign_off");
    assert_eq!(entry["body"]["by"], "Dana Ruiz, Security Officer");
    assert_eq!(entry["body"]["assessment"], assessment["evidence"]);

    let page = std::fs::read_to_string(&html).unwrap();
    let section = between(&page, "<section id=\"sign-off\"", "</section>");
    assert!(section.contains("Dana Ruiz, Security Officer"), "{section}");
    assert!(section.contains(&format!("ledger entry <a href=\"#entry-{seq}\">{seq}</a>")));
    let results: Value = serde_json::from_str(&std::fs::read_to_string(&oscal).unwrap()).unwrap();
    let props = results["assessment-results"]["results"][0]["props"].to_string();
    assert!(props.contains("Dana Ruiz, Security Officer"), "{props}");

    // On the terminal, signed or not.
    let out = phiguard(&home)
        .args(["assess", "--skip", "host", "--sign-off", "Lee Chen"])
        .assert()
        .success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(text.contains("Signed off by Lee Chen on "), "{text}");
    let out = phiguard(&home)
        .args(["assess", "--skip", "host"])
        .assert()
        .success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(text.contains("Not signed off"), "{text}");

    // A sign-off needs a name.
    let out = phiguard(&home)
        .args(["assess", "--skip", "host", "--sign-off", "  "])
        .assert()
        .code(2);
    assert!(
        stderr_of(&out).contains("--sign-off"),
        "{}",
        stderr_of(&out)
    );
}

#[test]
fn each_assessment_says_what_changed_since_the_previous_one() {
    let (dir, home) = new_home();
    let first = assess(&home, &[], 0);
    assert!(
        first["since_previous"].is_null(),
        "{:#}",
        first["since_previous"]
    );
    let out = phiguard(&home)
        .args(["assess", "--skip", "host"])
        .assert()
        .success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(text.contains("Since the previous assessment ("), "{text}");
    assert!(text.contains("nothing changed"), "{text}");
    // Compared with the newest earlier result: the text run's, not the first.
    let second = assess(&home, &[], 0);
    let previous = second["since_previous"]["previous"]["seq"]
        .as_u64()
        .unwrap();
    assert!(previous > first["evidence"]["seq"].as_u64().unwrap());
    assert!(previous < second["evidence"]["seq"].as_u64().unwrap());

    // A vendor with PHI and no BAA, and an attested control.
    phiguard(&home)
        .args([
            "register",
            "vendor",
            "add",
            "acme",
            "--name",
            "Acme",
            "--touches-phi",
        ])
        .assert()
        .success();
    phiguard(&home)
        .args([
            "attest",
            "164.310(b)",
            "--by",
            "Dana",
            "--statement",
            "policy in force",
        ])
        .assert()
        .success();
    let html = dir.path().join("report.html");
    let third = assess(&home, &["--html", html.to_str().unwrap()], 0);
    let since = &third["since_previous"];
    assert_eq!(since["previous"], second["evidence"]);
    assert_eq!(since["findings_compared"], true);
    let changed = since["changed"].as_array().unwrap();
    let workstation = changed
        .iter()
        .find(|c| c["id"] == "164.310(b)")
        .unwrap_or_else(|| panic!("{since:#}"));
    assert_eq!(workstation["from"], "unknown");
    assert_eq!(workstation["to"], "met");
    let new = since["new_findings"].as_array().unwrap();
    assert!(
        new.iter()
            .any(|f| f["check"] == "register.vendor.baa" && f["subject"] == "vendor acme"),
        "{since:#}"
    );
    assert!(since["resolved_findings"].as_array().unwrap().is_empty());
    let page = std::fs::read_to_string(&html).unwrap();
    let section = between(&page, "<section id=\"changes\"", "</section>");
    assert!(section.contains("Workstation use"), "{section}");
    assert!(section.contains("vendor acme"), "{section}");

    // The vendor leaves the register: its finding is resolved.
    phiguard(&home)
        .args(["register", "vendor", "remove", "acme"])
        .assert()
        .success();
    let fourth = assess(&home, &[], 0);
    let resolved = fourth["since_previous"]["resolved_findings"]
        .as_array()
        .unwrap();
    assert!(
        resolved
            .iter()
            .any(|f| f["check"] == "register.vendor.baa" && f["subject"] == "vendor acme"),
        "{:#}",
        fourth["since_previous"]
    );
}

#[test]
fn the_previous_assessment_is_found_behind_thousands_of_newer_entries() {
    let (_dir, home) = new_home();
    let first = assess(&home, &[], 0);
    // PHI access events and the like, recorded between two assessments.
    let lines: String = (0..4200).map(|n| format!("{{\"n\":{n}}}\n")).collect();
    phiguard(&home)
        .args(["ledger", "append", "--kind", "ops.event", "--lines"])
        .write_stdin(lines)
        .assert()
        .success();
    let second = assess(&home, &[], 0);
    assert_eq!(second["since_previous"]["previous"], first["evidence"]);
    assert_eq!(second["since_previous"]["changed"], serde_json::json!([]));
}

#[test]
fn csv_lists_every_control_for_a_spreadsheet_without_formulas() {
    let (dir, home) = new_home();
    // An owner typed by someone who knows spreadsheets run what starts with `=`.
    phiguard(&home)
        .args([
            "register",
            "responsibility",
            "add",
            "164.312(b)",
            "--responsibility",
            "customer",
            "--owner",
            "=HYPERLINK(\"https://evil.example\",\"Dana\")",
        ])
        .assert()
        .success();
    let csv = dir.path().join("controls.csv");
    let assessment = assess(&home, &["--csv", csv.to_str().unwrap()], 0);
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut rows = text.lines();
    assert_eq!(
        rows.next().unwrap(),
        "control,cite,name,family,kind,requirement,protects_ephi,status,basis,owner,\
         responsibility,failing_findings,rank,first_fix,evidence"
    );
    assert_eq!(
        rows.count(),
        assessment["controls"].as_array().unwrap().len(),
        "one row per control"
    );
    let audit = text
        .lines()
        .find(|line| line.starts_with("164.312(b),"))
        .unwrap();
    assert!(
        audit.contains(",\"'=HYPERLINK(\"\"https://evil.example\"\",\"\"Dana\"\")\",customer,"),
        "{audit}"
    );
    assert!(audit.contains(",required,true,"), "{audit}");
    // A control with a problem names its rank in the report.
    let backup = text
        .lines()
        .find(|line| line.starts_with("164.308(a)(7)(ii)(A),"))
        .unwrap();
    assert!(backup.contains(",not met,"), "{backup}");
    let problems = assessment["problems"].as_array().unwrap();
    let rank = problems
        .iter()
        .find(|p| {
            p["controls"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c == "164.308(a)(7)(ii)(A)")
        })
        .unwrap()["rank"]
        .as_u64()
        .unwrap();
    assert!(backup.contains(&format!(",{rank},")), "{backup}");
}

#[test]
fn the_auditor_follows_the_report_offline_from_a_bundle() {
    let (dir, home) = new_home();
    let assessment = assess(&home, &[], 0);
    let checkpoint = &assessment["checkpoint"];
    let size = checkpoint["size"].as_u64().unwrap();
    // The operator's part.
    let out = phiguard(&home).args(["ledger", "key"]).assert().success();
    let key = dir.path().join("clinic.verifier");
    std::fs::write(&key, &out.get_output().stdout).unwrap();
    let bundle = dir.path().join("evidence");
    phiguard(&home)
        .args(["ledger", "export", "--out"])
        .arg(&bundle)
        .assert()
        .success();
    // The auditor's, with no home at all.
    let nowhere = dir.path().join("no-home");
    phiguard(&nowhere)
        .args(["ledger", "verify", "--bundle"])
        .arg(&bundle)
        .arg("--key")
        .arg(&key)
        .assert()
        .success();
    assert!(!nowhere.exists());
    let note = std::fs::read_to_string(bundle.join(format!("checkpoints/{size}.note"))).unwrap();
    assert_eq!(note, checkpoint["note"].as_str().unwrap());
    // The assessment's own entry, by its line, hashes to the leaf the report cites.
    let seq = assessment["evidence"]["seq"].as_u64().unwrap();
    let entries = std::fs::read_to_string(bundle.join("entries.jsonl")).unwrap();
    let line = entries.lines().nth(usize::try_from(seq).unwrap()).unwrap();
    let mut leaf = vec![0u8];
    leaf.extend_from_slice(line.as_bytes());
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &leaf);
    let hex: String = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(assessment["evidence"]["leaf_hash"], hex);
}
