#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `phiguard register`, `matrix` and `access` as a compliance officer uses them: records added,
//! changed and removed with their history in the ledger, the register kept as YAML in git,
//! a provider's matrix imported, an access review run, and the checks that judge it all.

mod common;

use std::path::Path;

use common::{TestHome, json, new_home, phiguard, sqlite_exec, stderr_of};
use serde_json::Value;

/// A command line split into words as a shell would for these tests: on spaces, with
/// '…' quoting words that hold spaces.
fn words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    for (n, part) in line.split('\'').enumerate() {
        if n % 2 == 1 {
            words.push(part.to_owned());
        } else {
            words.extend(part.split_whitespace().map(str::to_owned));
        }
    }
    words
}

/// Runs `phiguard --json LINE`, expecting exit `code`, and returns its stdout as JSON.
fn run(home: &Path, line: &str, code: i32) -> Value {
    let out = phiguard(home)
        .arg("--json")
        .args(words(line))
        .assert()
        .code(code);
    json(&out.get_output().stdout)
}

fn ok(home: &Path, line: &str) -> Value {
    run(home, line, 0)
}

/// Runs a command that must fail with exit 2 and returns what it said on stderr.
fn refused(home: &Path, line: &str) -> String {
    stderr_of(&phiguard(home).args(words(line)).assert().code(2))
}

/// The text a command prints for people.
fn text(home: &Path, line: &str) -> String {
    let out = phiguard(home).args(words(line)).assert().success();
    String::from_utf8_lossy(&out.get_output().stdout).into_owned()
}

/// The findings of `check` in a `register check --json` result.
fn findings<'a>(result: &'a Value, check: &str) -> Vec<&'a Value> {
    result["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["check"] == check)
        .collect()
}

fn count(list: &Value) -> usize {
    list.as_array().unwrap().len()
}

/// A clinician with PHI access and a grant `ID-SYSTEM` on `system` for the login `ID`.
fn clinician_with_grant(home: &Path, id: &str, system: &str) {
    ok(
        home,
        &format!(
            "register person add {id} --name '{id} Example' --email {id}@clinic.example \
             --role clinician --started 2024-01-01 --phi-access"
        ),
    );
    ok(
        home,
        &format!(
            "register grant add {id}-{system} --person {id} --system {system} --role clinician \
             --account {id} --approver Dana --justification 'patient care' --granted 2024-01-01"
        ),
    );
}

#[test]
fn a_vendor_is_added_changed_and_removed_with_every_change_in_its_history() {
    let (_dir, home) = new_home();
    let added = ok(
        &home,
        "register vendor add acme-cloud --name 'Acme Cloud' --service 'object storage' \
         --touches-phi --actor Dana",
    );
    assert_eq!(added[0]["action"], "create");
    let first_entry = added[0]["evidence"]["seq"].as_u64().unwrap();

    let listed = ok(&home, "register vendor list");
    assert_eq!(count(&listed), 1);
    assert_eq!(listed[0]["record"]["name"], "Acme Cloud");
    assert_eq!(listed[0]["record"]["touches_phi"], true);

    ok(
        &home,
        "register vendor update acme-cloud --touches-phi false --notes 'no PHI since May'",
    );
    ok(&home, "register vendor update acme-cloud --unset notes");
    let shown = ok(&home, "register vendor show acme-cloud");
    assert_eq!(shown["record"]["touches_phi"], false);
    assert!(shown["record"].get("notes").is_none(), "{shown:#}");

    ok(&home, "register vendor remove acme-cloud");
    assert!(text(&home, "register vendor list").contains("No vendors yet"));

    let history = ok(&home, "register history vendor acme-cloud");
    let history = history.as_array().unwrap();
    let actions: Vec<&str> = history
        .iter()
        .map(|h| h["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["create", "update", "update", "delete"]);
    // The stated name, then the OS account (tests/actor_cli.rs checks the account itself).
    let actor = history[0]["actor"].as_str().unwrap();
    assert!(actor.starts_with("Dana [os: "), "{actor}");
    assert_eq!(history[0]["evidence"]["seq"].as_u64().unwrap(), first_entry);
    assert_eq!(history[1]["before"]["touches_phi"], true);
    assert_eq!(history[1]["after"]["touches_phi"], false);
    // The people-readable history names each field that changed.
    let shown = text(&home, "register history vendor acme-cloud");
    assert!(shown.contains("touches_phi: true → false"), "{shown}");
    assert!(shown.contains("by Dana"), "{shown}");
    // The changes are ordinary ledger entries: the ledger still verifies.
    phiguard(&home)
        .args(["ledger", "verify"])
        .assert()
        .success();
}

#[test]
fn bad_input_is_refused_with_what_to_do_and_changes_nothing() {
    let (_dir, home) = new_home();
    let err = refused(&home, "register vendor add acme --name Acme");
    // Required by the command line itself, as its help says.
    assert!(
        err.contains("required arguments were not provided") && err.contains("--touches-phi"),
        "{err}"
    );
    let err = refused(
        &home,
        "register baa add b1 --vendor nobody --status signed --signed 2026-01-02",
    );
    assert!(
        err.contains("names vendor \"nobody\", which does not exist"),
        "{err}"
    );
    let err = refused(&home, "register baa add b1 --vendor acme --status sined");
    assert!(err.contains("not a BAA status"), "{err}");
    let err = refused(&home, "register vendor update ghost --name x");
    assert!(err.contains("there is no vendor \"ghost\""), "{err}");
    ok(&home, "register vendor add acme --name Acme --touches-phi");
    let err = refused(&home, "register vendor update acme --unset name");
    assert!(err.contains("cannot be unset"), "{err}");
    let err = refused(&home, "register vendor update acme --unset colour");
    assert!(err.contains("has no field \"colour\""), "{err}");
    let err = refused(
        &home,
        "register person add al --name Al --email not-an-address --role x \
         --started 2026-01-01 --phi-access",
    );
    assert!(err.contains("is not an e-mail address"), "{err}");
    let err = refused(&home, "register history vendor ghost");
    assert!(
        err.contains("records no change to vendor \"ghost\""),
        "{err}"
    );
    // Only the one valid vendor was recorded.
    assert_eq!(count(&ok(&home, "register vendor list")), 1);
    assert_eq!(count(&ok(&home, "register person list")), 0);
}

#[test]
fn a_baa_document_is_recorded_by_its_sha256() {
    let (dir, home) = new_home();
    let pdf = dir.path().join("acme-baa.pdf");
    std::fs::write(&pdf, b"%PDF-1.7 signed agreement").unwrap();
    ok(&home, "register vendor add acme --name Acme --touches-phi");
    ok(
        &home,
        &format!(
            "register baa add acme-2026 --vendor acme --status signed --signed 2026-01-15 \
             --document {}",
            pdf.display()
        ),
    );
    let shown = ok(&home, "register baa show acme-2026");
    let expected = std::process::Command::new("sha256sum")
        .arg(&pdf)
        .output()
        .unwrap();
    let expected = String::from_utf8_lossy(&expected.stdout);
    assert_eq!(
        shown["record"]["document"]["sha256"].as_str().unwrap(),
        expected.split_whitespace().next().unwrap()
    );
    let err = refused(
        &home,
        "register baa update acme-2026 --document /no/such/file.pdf",
    );
    assert!(err.contains("could not open /no/such/file.pdf"), "{err}");
}

#[test]
fn register_check_fails_an_empty_register_and_passes_one_kept_in_order() {
    let (_dir, home) = new_home();
    let empty = run(&home, "register check", 1);
    // A fresh installation has recorded no restore test: that fails, it is not "compliant".
    let restore = findings(&empty, "register.backup.restore_tested");
    assert_eq!(restore[0]["status"], "fail", "{restore:?}");
    assert!(
        empty["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["status"] != "pass" || f["check"] == "register.integrity"),
        "{empty:#}"
    );

    ok(&home, "register vendor add acme --name Acme --touches-phi");
    let missing = run(&home, "register check", 1);
    let baa = findings(&missing, "register.vendor.baa");
    assert_eq!(baa[0]["status"], "fail");
    assert_eq!(baa[0]["severity"], "critical");
    assert!(
        baa[0]["remediation"]
            .as_str()
            .unwrap()
            .contains("phiguard register baa add")
    );
    // Each finding cites the ledger entries of the records it judged and of the run.
    assert!(baa[0]["evidence"].as_array().unwrap().len() >= 2, "{baa:?}");

    let today = phiguard_register::records::utc_day(jiff::Timestamp::now());
    let signed = today.checked_sub(jiff::Span::new().days(30)).unwrap();
    let expires = today.checked_add(jiff::Span::new().years(2)).unwrap();
    ok(
        &home,
        &format!(
            "register baa add acme-baa --vendor acme --status signed --signed {signed} \
             --effective {signed} --expires {expires} --breach-notice-days 30 \
             --return-or-destroy --subcontractor-flow-down"
        ),
    );
    let kept = run(&home, "register check", 1);
    assert_eq!(findings(&kept, "register.vendor.baa")[0]["status"], "pass");
    assert_eq!(
        findings(&kept, "register.vendor.breach_notice")[0]["status"],
        "pass"
    );
    ok(
        &home,
        "register baa update acme-baa --breach-notice-days 90",
    );
    let slow = run(&home, "register check", 1);
    assert_eq!(
        findings(&slow, "register.vendor.breach_notice")[0]["status"],
        "fail"
    );
    // The check runs are stored like host checks.
    let status = ok(&home, "status");
    assert!(
        status["counts"]["check_runs"].as_i64().unwrap() >= 4,
        "{status:#}"
    );
}

#[test]
fn a_vendor_that_holds_phi_cannot_be_recorded_as_not_touching_it() {
    let (_dir, home) = new_home();
    // A storage provider that keeps PHI only encrypted, without the key, is still a business
    // associate; saying it does not touch PHI is refused, and nothing is written.
    let err = refused(
        &home,
        "register vendor add vault --name Vault --touches-phi false --phi-use maintains \
         --encrypted-only",
    );
    for expected in [
        "it is recorded as not touching PHI, yet it maintains PHI, only encrypted and without the key",
        "even only encrypted and without the key, is a business associate and needs a BAA",
        "Set `--touches-phi true`",
    ] {
        assert!(err.contains(expected), "{expected:?} in {err}");
    }
    let err = refused(
        &home,
        "register vendor add vault --name Vault --touches-phi --phi-use eats",
    );
    assert!(
        err.contains("use creates, receives, maintains or transmits"),
        "{err}"
    );
    assert_eq!(count(&ok(&home, "register vendor list")), 0);

    ok(
        &home,
        "register vendor add vault --name Vault --touches-phi --phi-use stores --encrypted-only",
    );
    let shown = ok(&home, "register vendor show vault");
    assert_eq!(
        shown["record"]["phi_uses"],
        serde_json::json!(["maintains"])
    );
    assert_eq!(shown["record"]["phi_encrypted_only"], true);
    let err = refused(&home, "register vendor update vault --touches-phi false");
    assert!(err.contains("is a business associate"), "{err}");
    assert!(
        err.contains("`--unset phi-use --encrypted-only false`"),
        "{err}"
    );

    let checked = run(&home, "register check", 1);
    let baa = findings(&checked, "register.vendor.baa");
    assert_eq!(baa[0]["status"], "fail");
    // The advice works, for a vendor that really handles no PHI.
    ok(
        &home,
        "register vendor add shredder --name Shredder --touches-phi --phi-use receives",
    );
    ok(
        &home,
        "register vendor update shredder --touches-phi false --unset phi-use --encrypted-only false",
    );
    assert!(
        baa[0]["message"]
            .as_str()
            .unwrap()
            .contains("which still makes it a business associate"),
        "{baa:?}"
    );
    // clap wraps help to the terminal's width.
    let help = text(&home, "register vendor add --help")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        help.contains("even if it only stores it encrypted without the key"),
        "{help}"
    );
}

#[test]
fn an_assurance_report_is_recorded_checked_and_round_trips_through_yaml() {
    let (dir, home) = new_home();
    let pdf = dir.path().join("nimbus-soc2.pdf");
    std::fs::write(&pdf, b"%PDF-1.7 independent service auditor's report").unwrap();
    ok(
        &home,
        "register vendor add nimbus --name 'Nimbus Cloud' --touches-phi",
    );
    let today = phiguard_register::records::utc_day(jiff::Timestamp::now());
    let period_end = today.checked_sub(jiff::Span::new().months(2)).unwrap();
    let period_start = period_end.checked_sub(jiff::Span::new().years(1)).unwrap();
    let add = format!(
        "register assurance add nimbus-soc2 --vendor nimbus --kind 'SOC 2 Type II' \
         --period-start {period_start} --period-end {period_end} --issuer 'Example & Partners LLP' \
         --scope 'object storage' --document {}",
        pdf.display()
    );

    // Refused: an unknown vendor, a Type I report, a period that ends before it starts, no
    // issuer. Nothing is written.
    let err = refused(&home, &add.replace("--vendor nimbus", "--vendor nobody"));
    assert!(
        err.contains("names vendor \"nobody\", which does not exist"),
        "{err}"
    );
    let err = refused(&home, &add.replace("SOC 2 Type II", "SOC 2 Type I"));
    assert!(err.contains("a Type II report (soc2-type2)"), "{err}");
    let err = refused(
        &home,
        &add.replace(
            &format!("--period-start {period_start}"),
            &format!("--period-start {today}"),
        ),
    );
    assert!(err.contains("`period_end`"), "{err}");
    assert!(err.contains("is before `period_start`"), "{err}");
    let err = refused(&home, &add.replace("--issuer 'Example & Partners LLP'", ""));
    assert!(
        err.contains("--issuer is required to add an assurance"),
        "{err}"
    );
    assert_eq!(count(&ok(&home, "register assurance list")), 0);

    ok(&home, &add);
    let shown = ok(&home, "register assurance show nimbus-soc2");
    assert_eq!(shown["record"]["kind"], "soc2-type2");
    assert_eq!(shown["record"]["issuer"], "Example & Partners LLP");
    assert_eq!(
        shown["record"]["document"]["sha256"]
            .as_str()
            .unwrap()
            .len(),
        64
    );
    assert_eq!(count(&ok(&home, "register assurance list")), 1);

    // The matrix relies on the vendor: the report is judged.
    let err = refused(
        &home,
        "register responsibility add '164.308(a)(1)(ii)(A)' --responsibility customer \
         --owner Dana --vendor nimbus",
    );
    assert!(
        err.contains("only a provider or shared control is carried by a vendor"),
        "{err}"
    );
    ok(
        &home,
        "register responsibility add '164.310(a)(1)' --responsibility provider --vendor nimbus",
    );
    let checked = run(&home, "register check", 1);
    let assurance = findings(&checked, "register.vendor.assurance");
    assert_eq!(assurance[0]["status"], "pass", "{assurance:?}");
    assert!(
        assurance[0]["message"]
            .as_str()
            .unwrap()
            .contains("SOC 2 Type II report nimbus-soc2 by Example & Partners LLP"),
        "{assurance:?}"
    );
    let exported = text(&home, "matrix export -");
    assert!(
        exported.contains("164.310(a)(1),provider,,,,nimbus"),
        "{exported}"
    );

    // Exported, and imported into a fresh installation.
    let export = dir.path().join("register");
    ok(&home, &format!("register export {}", export.display()));
    let yaml = std::fs::read_to_string(export.join("assurance-reports.yaml")).unwrap();
    assert!(yaml.contains("kind: soc2-type2"), "{yaml}");
    let (_other_dir, other) = new_home();
    let imported = ok(&other, &format!("register import {}", export.display()));
    assert_eq!(count(&imported), 3, "{imported:#}");
    assert_eq!(
        count(&ok(
            &other,
            &format!("register import {}", export.display())
        )),
        0
    );
    assert_eq!(
        ok(&other, "register assurance show nimbus-soc2")["record"],
        shown["record"]
    );
    assert_eq!(
        count(&ok(&other, "register history assurance nimbus-soc2")),
        1
    );
}

#[test]
fn provider_contracts_are_judged_by_register_check() {
    let (_dir, home) = new_home();
    ok(&home, "register vendor add acme --name Acme --touches-phi");
    let today = phiguard_register::records::utc_day(jiff::Timestamp::now());
    let signed = today.checked_sub(jiff::Span::new().days(30)).unwrap();
    ok(
        &home,
        &format!(
            "register baa add acme-baa --vendor acme --status signed --signed {signed} \
             --breach-notice-days 10 --return-or-destroy --subcontractor-flow-down"
        ),
    );
    // 50 % availability, backups kept one day, 5000 hours to report an incident.
    ok(
        &home,
        "register sla add acme --vendor acme --availability 50 --backup-every 24 --retention 1 \
         --rto 4 --incident-notice 5000",
    );
    let checked = run(&home, "register check", 1);
    let message = |check: &str| {
        let found = findings(&checked, check);
        assert_eq!(found.len(), 1, "{found:?}");
        (
            found[0]["status"].as_str().unwrap().to_owned(),
            found[0]["message"].as_str().unwrap().to_owned(),
        )
    };
    let (status, terms) = message("register.sla.terms");
    assert_eq!(status, "fail");
    assert!(terms.contains("50 % is below the 99 % expected"), "{terms}");
    assert!(terms.contains("1 day, less than the 2192 days"), "{terms}");
    let (status, notice) = message("register.sla.incident_notice");
    assert_eq!(status, "fail");
    assert!(notice.contains("5000 hours"), "{notice}");
    assert!(notice.contains("240 hours (10 days)"), "{notice}");
    let (status, clauses) = message("register.vendor.baa_clauses");
    assert_eq!(status, "warn");
    assert!(clauses.contains("164.314(a)(2)(i)(C)"), "{clauses}");

    ok(
        &home,
        "register sla update acme --availability 99.95 --retention 2192 --incident-notice 24",
    );
    ok(
        &home,
        "register baa update acme-baa --security-incident-reporting",
    );
    let checked = run(&home, "register check", 1);
    for check in [
        "register.sla.terms",
        "register.sla.incident_notice",
        "register.vendor.baa_clauses",
    ] {
        assert_eq!(findings(&checked, check)[0]["status"], "pass", "{check}");
    }
    // The thresholds come from phiguard.toml.
    let config = home.join("phiguard.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(text.contains("min_availability_percent = 99.0"), "{text}");
    std::fs::write(
        &config,
        text.replace(
            "min_availability_percent = 99.0",
            "min_availability_percent = 99.99",
        ),
    )
    .unwrap();
    let checked = run(&home, "register check", 1);
    let terms = findings(&checked, "register.sla.terms");
    assert_eq!(terms[0]["status"], "warn", "{terms:?}");
}

#[test]
fn a_register_edited_behind_phiguards_back_fails_the_integrity_check() {
    let (_dir, home) = new_home();
    ok(&home, "register vendor add acme --name Acme --touches-phi");
    sqlite_exec(
        &home,
        "UPDATE register_records SET body = \
         REPLACE(body, '\"touches_phi\":true', '\"touches_phi\":false')",
    );
    let result = run(&home, "register check", 1);
    let integrity = findings(&result, "register.integrity");
    assert_eq!(integrity[0]["status"], "fail", "{integrity:?}");
    assert!(
        integrity[0]["message"]
            .as_str()
            .unwrap()
            .contains("outside phiguard")
    );
}

#[test]
fn an_access_review_lists_every_active_grant_and_a_revoke_decision_revokes_it() {
    let (_dir, home) = new_home();
    clinician_with_grant(&home, "alice", "ehr");
    clinician_with_grant(&home, "bob", "ehr");
    let started = ok(&home, "access review start --system ehr");
    let review = started["review"]["id"].as_str().unwrap().to_owned();
    assert_eq!(count(&started["grants"]), 2);
    let err = refused(&home, "access review start --system ehr");
    assert!(err.contains("still open"), "{err}");
    let err = refused(&home, &format!("access review close {review}"));
    assert!(err.contains("alice-ehr, bob-ehr have no decision"), "{err}");
    let err = refused(
        &home,
        &format!("access review decide {review} carol-ehr --keep --comment x"),
    );
    assert!(err.contains("is not in review"), "{err}");

    ok(
        &home,
        &format!(
            "access review decide {review} alice-ehr --keep --comment 'on call' --reviewer Dana"
        ),
    );
    ok(
        &home,
        &format!(
            "access review decide {review} bob-ehr --revoke --comment 'moved to billing' --reviewer Dana"
        ),
    );
    ok(&home, &format!("access review close {review}"));
    let bob = ok(&home, "register grant show bob-ehr");
    assert_eq!(bob["record"]["revoked"]["by"], "Dana");
    assert!(
        bob["record"]["revoked"]["reason"]
            .as_str()
            .unwrap()
            .contains("moved to billing")
    );
    let campaigns = ok(&home, "access review list");
    assert_eq!(count(&campaigns[0]["undecided"]), 0);

    let checked = run(&home, "register check", 1);
    let reviews = findings(&checked, "register.access.review_overdue");
    assert_eq!(reviews[0]["status"], "pass", "{reviews:?}");
    let err = refused(&home, "access revoke bob-ehr --by Dana --reason again");
    assert!(err.contains("already revoked"), "{err}");
}

#[test]
fn the_register_round_trips_through_yaml_and_a_broken_file_is_refused_with_its_line() {
    let (dir, home) = new_home();
    ok(
        &home,
        "register vendor add acme --name 'Acme: cloud, \"inc\" # 1' --touches-phi",
    );
    ok(
        &home,
        "register vendor add globex --name Globex --touches-phi false",
    );
    ok(
        &home,
        "register course add hipaa --title 'HIPAA basics' --every-months 12",
    );
    let export = dir.path().join("register");
    let export_dir = export.display().to_string();
    ok(&home, &format!("register export {export_dir}"));
    assert!(export.join("vendors.yaml").exists() && export.join("baas.yaml").exists());

    // A fresh installation imports it, and importing again changes nothing.
    let (_other_dir, other) = new_home();
    assert_eq!(
        count(&ok(&other, &format!("register import {export_dir}"))),
        3
    );
    assert_eq!(
        count(&ok(&other, &format!("register import {export_dir}"))),
        0
    );
    assert_eq!(
        ok(&other, "register vendor show acme")["record"]["name"],
        "Acme: cloud, \"inc\" # 1"
    );

    // Edit the files as a person would in git: remove globex, misspell a field.
    let vendors = std::fs::read_to_string(export.join("vendors.yaml")).unwrap();
    let start = vendors.find("- id: globex").unwrap();
    std::fs::write(export.join("vendors.yaml"), &vendors[..start]).unwrap();
    let dry = ok(&other, &format!("register import --dry-run {export_dir}"));
    assert_eq!(dry[0]["action"], "delete");
    assert_eq!(dry[0]["id"], "globex");
    assert_eq!(count(&ok(&other, "register vendor list")), 2);

    let courses = std::fs::read_to_string(export.join("courses.yaml")).unwrap();
    let line = courses
        .lines()
        .position(|l| l.contains("interval_months"))
        .unwrap()
        + 1;
    std::fs::write(
        export.join("courses.yaml"),
        courses.replace("interval_months", "interval_month"),
    )
    .unwrap();
    let err = refused(&other, &format!("register import {export_dir}"));
    assert!(err.contains(&format!("courses.yaml:{line}")), "{err}");
    assert!(err.contains("interval_month"), "{err}");
    // Nothing was half-imported: globex is still there.
    assert_eq!(count(&ok(&other, "register vendor list")), 2);
}

#[test]
fn a_provider_matrix_is_imported_from_csv_and_owners_are_checked() {
    let (dir, home) = new_home();
    let csv = dir.path().join("matrix.csv");
    std::fs::write(
        &csv,
        "\u{feff}Control,Responsibility,Owner,Notes\n\
         164.312(a)(2)(iv),Shared,,\"KMS by the provider, keys by you\"\n\
         45 CFR § 164.310(a)(1),Provider,,data centres\n\
         164.308(a)(5)(i),Customer,Dana,\n",
    )
    .unwrap();
    let file = csv.display().to_string();
    assert_eq!(
        count(&ok(&home, &format!("matrix import --dry-run {file}"))),
        3
    );
    assert_eq!(count(&ok(&home, "register responsibility list")), 0);
    ok(&home, &format!("matrix import {file}"));
    let shown = ok(
        &home,
        "register responsibility show '45 CFR § 164.310(a)(1)'",
    );
    assert_eq!(shown["record"]["responsibility"], "provider");

    let checked = run(&home, "register check", 1);
    let failing_owner: Vec<&str> = findings(&checked, "register.matrix.owner")
        .iter()
        .filter(|f| f["status"] == "fail")
        .map(|f| f["subject"].as_str().unwrap())
        .collect();
    assert_eq!(failing_owner.len(), 1, "{failing_owner:?}");
    assert!(failing_owner[0].contains("164.312(a)(2)(iv)"));

    let exported = text(&home, "matrix export -");
    assert!(
        exported.starts_with("control,responsibility,owner,notes,evidence,vendor\n"),
        "{exported}"
    );
    assert!(
        exported.contains("\"KMS by the provider, keys by you\""),
        "{exported}"
    );

    // Rows left to the provider are tied to no vendor until someone names it.
    let note = stderr_of(
        &phiguard(&home)
            .args(["matrix", "import", "--dry-run", &file])
            .assert()
            .success(),
    );
    assert!(
        note.contains(
            "2 controls left to the provider name no vendor (164.310(a)(1), 164.312(a)(2)(iv))"
        ),
        "{note}"
    );

    std::fs::write(&csv, "control,responsibility\n164.312(2),shared\n").unwrap();
    let err = refused(&home, &format!("matrix import {file}"));
    assert!(err.contains("matrix.csv:2"), "{err}");
}

/// An emptied kind file used to delete every record of its kind.
#[test]
fn an_empty_kind_file_is_refused_and_only_an_empty_list_empties_the_kind() {
    let (dir, home) = new_home();
    ok(&home, "register vendor add acme --name Acme --touches-phi");
    ok(
        &home,
        "register vendor add globex --name Globex --touches-phi false",
    );
    let export = dir.path().join("register");
    let import = format!("register import {}", export.display());
    ok(&home, &format!("register export {}", export.display()));
    for text in ["", "null\n", "---\n", "# every vendor we use\n"] {
        std::fs::write(export.join("vendors.yaml"), text).unwrap();
        let err = refused(&home, &import);
        assert!(
            err.contains("vendors.yaml") && err.contains("written `[]`"),
            "{text:?}: {err}"
        );
        assert_eq!(count(&ok(&home, "register vendor list")), 2);
    }
    std::fs::write(export.join("vendors.yaml"), "# none any more\n[]\n").unwrap();
    assert_eq!(count(&ok(&home, &import)), 2);
    assert_eq!(count(&ok(&home, "register vendor list")), 0);
}

/// A matrix row lost to an unterminated quote, and controls made up, used to be imported
/// without a word.
#[test]
fn a_made_up_control_a_broken_quote_or_a_short_row_is_refused_with_its_line() {
    let (dir, home) = new_home();
    let csv = dir.path().join("matrix.csv");
    let import = format!("matrix import {}", csv.display());
    for (text, line, expected) in [
        (
            "control,responsibility\n164.312(b),customer\n164.999,provider\n",
            3,
            "164.999 is not a control of the HIPAA Security Rule",
        ),
        (
            "control,responsibility,owner\n164.312(b),customer,\"Dana\n164.312(d),provider,\n",
            2,
            "never closed",
        ),
        (
            "control,responsibility,owner\n164.312(b),customer\n",
            2,
            "this row has 2 cells, but the header has 3",
        ),
    ] {
        std::fs::write(&csv, text).unwrap();
        let err = refused(&home, &import);
        assert!(
            err.contains(&format!("matrix.csv:{line}")) && err.contains(expected),
            "{text:?}: {err}"
        );
    }
    assert_eq!(count(&ok(&home, "register responsibility list")), 0);

    // Typed on the command line or kept in YAML, a made-up control is refused too.
    let err = refused(
        &home,
        "register responsibility add 164.999 --responsibility customer",
    );
    assert!(err.contains("164.999 is not a control"), "{err}");
    let yaml = dir.path().join("register");
    std::fs::create_dir(&yaml).unwrap();
    std::fs::write(
        yaml.join("responsibility-matrix.yaml"),
        "- control: 164.312(b)\n  responsibility: customer\n- control: 164.999\n  responsibility: customer\n",
    )
    .unwrap();
    let err = refused(&home, &format!("register import {}", yaml.display()));
    assert!(
        err.contains("responsibility-matrix.yaml:3") && err.contains("164.999 is not a control"),
        "{err}"
    );
    assert_eq!(count(&ok(&home, "register responsibility list")), 0);
}

#[test]
fn shell_accounts_without_a_grant_fail_the_host_check() {
    let (dir, home) = new_home();
    let root = dir.path().join("image");
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(
        root.join("etc/passwd"),
        "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\n\
         mallory:x:1001:1001::/home/mallory:/bin/bash\n",
    )
    .unwrap();
    clinician_with_grant(&home, "alice", "ehr");
    let result = run(
        &home,
        &format!(
            "host check --only access --system ehr --root {}",
            root.display()
        ),
        1,
    );
    let accounts: Vec<(&str, &str)> = findings(&result, "host.access.ungranted_accounts")
        .iter()
        .map(|f| {
            (
                f["status"].as_str().unwrap(),
                f["subject"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(
        accounts
            .iter()
            .any(|(status, subject)| *status == "pass" && subject.contains("alice")),
        "{accounts:?}"
    );
    assert!(
        accounts
            .iter()
            .any(|(status, subject)| *status == "fail" && subject.contains("mallory")),
        "{accounts:?}"
    );
}

#[test]
fn the_register_works_on_postgres() {
    let Some(db) = common::postgres_database() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let pg = |line: &str| ok(&home, &format!("--database {} {line}", db.url()));
    pg("register vendor add acme --name Acme --touches-phi");
    pg("register vendor update acme --name 'Acme Cloud' --phi-use maintains --encrypted-only");
    assert_eq!(count(&pg("register history vendor acme")), 2);
    pg(
        "register assurance add acme-iso --vendor acme --kind 'ISO 27001' \
        --period-start 2025-01-01 --period-end 2025-12-31 --issuer 'Cert Body'",
    );
    pg("register responsibility add '164.310(a)(1)' --responsibility provider --vendor acme");
    assert_eq!(
        pg("register assurance show acme-iso")["record"]["kind"],
        "iso27001"
    );
    let export = tmp.path().join("register");
    pg(&format!("register export {}", export.display()));
    assert_eq!(
        count(&pg(&format!("register import {}", export.display()))),
        0
    );
    assert!(!home.join("phiguard.db").exists());
}

/// Records a vendor that holds PHI with only a draft BAA, and a second vendor.
fn vendors_with_a_draft_baa(db: &TestHome) {
    ok(
        &db.home,
        &db.line("register vendor add acme --name Acme --touches-phi"),
    );
    ok(
        &db.home,
        &db.line("register vendor add globex --name Globex --touches-phi false"),
    );
    ok(
        &db.home,
        &db.line("register baa add b1 --vendor acme --status draft"),
    );
}

/// After `tamper`, every command that reads the register refuses, naming `named` and saying
/// what to do; `register check` and `assess` run on what the ledger recorded and fail
/// `register.integrity` naming it; nothing can be changed; the history still reads.
fn a_tampered_register_is_refused_by_every_command(
    db: &TestHome,
    tamper: impl Fn(&TestHome),
    named: &str,
) {
    vendors_with_a_draft_baa(db);
    tamper(db);
    let export = db.dir().join("export");
    for line in [
        "register baa show b1",
        "register vendor show acme",
        "register vendor list",
        "register baa list",
        &format!("register export {}", export.display()),
        "matrix export -",
        "register vendor add initech --name Initech --touches-phi false",
        "register baa update b1 --status signed --signed 2026-01-15",
        "register vendor remove globex",
    ] {
        let err = refused(&db.home, &db.line(line));
        for expected in [
            named,
            "was changed outside phiguard",
            "security incident",
            "phiguard register history",
            "backup",
        ] {
            assert!(err.contains(expected), "{line}: {expected:?} in {err}");
        }
    }
    assert!(!export.join("vendors.yaml").exists());

    let checked = run(&db.home, &db.line("register check"), 1);
    let integrity = findings(&checked, "register.integrity");
    assert_eq!(integrity.len(), 1, "{integrity:?}");
    assert_eq!(integrity[0]["status"], "fail");
    assert!(
        integrity[0]["subject"]
            .as_str()
            .unwrap()
            .contains(&named.replace('"', "")),
        "{integrity:?}"
    );
    // The BAA is judged as the ledger recorded it: a draft, so acme has no signed BAA.
    let baa = findings(&checked, "register.vendor.baa");
    assert!(
        baa.iter()
            .any(|f| f["status"] == "fail" && f["subject"].as_str().unwrap().contains("acme")),
        "{baa:?}"
    );

    let assessment = run(&db.home, &db.line("assess --skip host"), 0);
    let documentation = assessment["controls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "164.316(b)(1)")
        .unwrap();
    assert_eq!(documentation["status"], "not-met", "{documentation:#}");
    assert!(
        documentation["attention"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["check"] == "register.integrity" && f["status"] == "fail"),
        "{documentation:#}"
    );

    assert!(count(&ok(&db.home, &db.line("register history baa b1"))) >= 1);
}

fn draft_baa_turned_signed(db: &TestHome) {
    db.exec(
        "UPDATE register_records SET body = REPLACE(body, '\"status\":\"draft\"', \
         '\"status\":\"signed\",\"signed\":\"2026-01-15\"') WHERE kind = 'baa' AND id = 'b1'",
    );
}

fn vendor_row_deleted(db: &TestHome) {
    db.exec("DELETE FROM register_records WHERE kind = 'vendor' AND id = 'globex'");
}

/// A signed BAA of another installation, copied in with its row's ledger reference.
fn signed_baa_copied_from_another_home(db: &TestHome) {
    let (_other_dir, other) = new_home();
    ok(&other, "register vendor add acme --name Acme --touches-phi");
    ok(
        &other,
        "register baa add b2 --vendor acme --status signed --signed 2026-01-15",
    );
    let shown = ok(&other, "register baa show b2");
    let body = shown["record"].to_string().replace('\'', "''");
    let seq = shown["evidence"]["seq"].as_u64().unwrap();
    let leaf =
        phiguard_core::hex::decode(shown["evidence"]["leaf_hash"].as_str().unwrap()).unwrap();
    db.exec(&format!(
        "INSERT INTO register_records (kind, id, body, ledger_seq, leaf_hash) \
         VALUES ('baa', 'b2', '{body}', {seq}, {})",
        db.bytes(&leaf)
    ));
}

#[test]
fn a_draft_baa_turned_signed_in_the_database_is_refused_sqlite() {
    a_tampered_register_is_refused_by_every_command(
        &TestHome::sqlite(),
        draft_baa_turned_signed,
        "baa \"b1\"",
    );
}

#[test]
fn a_draft_baa_turned_signed_in_the_database_is_refused_postgres() {
    if let Some(db) = TestHome::postgres() {
        a_tampered_register_is_refused_by_every_command(&db, draft_baa_turned_signed, "baa \"b1\"");
    }
}

#[test]
fn a_record_deleted_in_the_database_is_refused_sqlite() {
    a_tampered_register_is_refused_by_every_command(
        &TestHome::sqlite(),
        vendor_row_deleted,
        "vendor \"globex\"",
    );
}

#[test]
fn a_record_deleted_in_the_database_is_refused_postgres() {
    if let Some(db) = TestHome::postgres() {
        a_tampered_register_is_refused_by_every_command(
            &db,
            vendor_row_deleted,
            "vendor \"globex\"",
        );
    }
}

#[test]
fn a_record_copied_from_another_home_is_refused_sqlite() {
    a_tampered_register_is_refused_by_every_command(
        &TestHome::sqlite(),
        signed_baa_copied_from_another_home,
        "baa \"b2\"",
    );
}

#[test]
fn a_record_copied_from_another_home_is_refused_postgres() {
    if let Some(db) = TestHome::postgres() {
        a_tampered_register_is_refused_by_every_command(
            &db,
            signed_baa_copied_from_another_home,
            "baa \"b2\"",
        );
    }
}
