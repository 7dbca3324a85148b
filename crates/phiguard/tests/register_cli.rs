#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `phiguard register`, `matrix` and `access` as a compliance officer uses them: records added,
//! changed and removed with their history in the ledger, the register kept as YAML in git,
//! a provider's matrix imported, an access review run, and the checks that judge it all.

mod common;

use std::path::Path;

use common::{json, new_home, phiguard, sqlite_exec, stderr_of};
use serde_json::Value;

/// Runs phiguard with `--json`, expecting `code`, and returns its stdout as JSON.
fn run(home: &Path, args: &[&str], code: i32) -> Value {
    let out = phiguard(home).arg("--json").args(args).assert().code(code);
    json(&out.get_output().stdout)
}

fn ok(home: &Path, args: &[&str]) -> Value {
    run(home, args, 0)
}

fn failing(home: &Path, args: &[&str]) -> String {
    let out = phiguard(home).args(args).assert().code(2);
    stderr_of(&out)
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

#[test]
fn a_vendor_is_added_changed_and_removed_with_every_change_in_its_history() {
    let (_dir, home) = new_home();
    let added = ok(
        &home,
        &[
            "register",
            "vendor",
            "add",
            "acme-cloud",
            "--name",
            "Acme Cloud",
            "--service",
            "object storage",
            "--touches-phi",
            "--actor",
            "Dana",
        ],
    );
    assert_eq!(added[0]["action"], "create");
    let first_entry = added[0]["evidence"]["seq"].as_u64().unwrap();

    let listed = ok(&home, &["register", "vendor", "list"]);
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["record"]["name"], "Acme Cloud");
    assert_eq!(listed[0]["record"]["touches_phi"], true);

    ok(
        &home,
        &[
            "register",
            "vendor",
            "update",
            "acme-cloud",
            "--touches-phi",
            "false",
            "--notes",
            "no PHI since May",
        ],
    );
    ok(
        &home,
        &[
            "register",
            "vendor",
            "update",
            "acme-cloud",
            "--unset",
            "notes",
        ],
    );
    let shown = ok(&home, &["register", "vendor", "show", "acme-cloud"]);
    assert_eq!(shown["record"]["touches_phi"], false);
    assert!(shown["record"].get("notes").is_none(), "{shown:#}");

    ok(&home, &["register", "vendor", "remove", "acme-cloud"]);
    let empty = phiguard(&home)
        .args(["register", "vendor", "list"])
        .assert()
        .success();
    assert!(String::from_utf8_lossy(&empty.get_output().stdout).contains("No vendors yet"));

    let history = ok(&home, &["register", "history", "vendor", "acme-cloud"]);
    let history = history.as_array().unwrap();
    let actions: Vec<&str> = history
        .iter()
        .map(|h| h["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["create", "update", "update", "delete"]);
    assert_eq!(history[0]["actor"], "Dana");
    assert_eq!(history[0]["evidence"]["seq"].as_u64().unwrap(), first_entry);
    assert_eq!(history[1]["before"]["touches_phi"], true);
    assert_eq!(history[1]["after"]["touches_phi"], false);
    // The people-readable history names each field that changed.
    let text = phiguard(&home)
        .args(["register", "history", "vendor", "acme-cloud"])
        .assert()
        .success();
    let text = String::from_utf8_lossy(&text.get_output().stdout).into_owned();
    assert!(text.contains("touches_phi: true → false"), "{text}");
    assert!(text.contains("by Dana"), "{text}");
    // The changes are ordinary ledger entries: the ledger still verifies.
    phiguard(&home)
        .args(["ledger", "verify"])
        .assert()
        .success();
}

#[test]
fn bad_input_is_refused_with_what_to_do_and_changes_nothing() {
    let (_dir, home) = new_home();
    let err = failing(
        &home,
        &["register", "vendor", "add", "acme", "--name", "Acme"],
    );
    assert!(err.contains("--touches-phi is required"), "{err}");
    let err = failing(
        &home,
        &[
            "register",
            "baa",
            "add",
            "b1",
            "--vendor",
            "nobody",
            "--status",
            "signed",
            "--signed",
            "2026-01-02",
        ],
    );
    assert!(
        err.contains("names vendor \"nobody\", which does not exist"),
        "{err}"
    );
    let out = phiguard(&home)
        .args([
            "register", "baa", "add", "b1", "--vendor", "acme", "--status", "sined",
        ])
        .assert()
        .code(2);
    assert!(
        stderr_of(&out).contains("not a BAA status"),
        "{}",
        stderr_of(&out)
    );
    let err = failing(
        &home,
        &["register", "vendor", "update", "ghost", "--name", "x"],
    );
    assert!(err.contains("there is no vendor \"ghost\""), "{err}");
    ok(
        &home,
        &[
            "register",
            "vendor",
            "add",
            "acme",
            "--name",
            "Acme",
            "--touches-phi",
        ],
    );
    let err = failing(
        &home,
        &["register", "vendor", "update", "acme", "--unset", "name"],
    );
    assert!(err.contains("cannot be unset"), "{err}");
    let err = failing(
        &home,
        &["register", "vendor", "update", "acme", "--unset", "colour"],
    );
    assert!(err.contains("has no field \"colour\""), "{err}");
    let err = failing(
        &home,
        &[
            "register",
            "person",
            "add",
            "al",
            "--name",
            "Al",
            "--email",
            "not-an-address",
            "--role",
            "x",
            "--started",
            "2026-01-01",
            "--phi-access",
        ],
    );
    assert!(err.contains("is not an e-mail address"), "{err}");
    // Only the one valid vendor was recorded.
    let listed = ok(&home, &["register", "vendor", "list"]);
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let people = ok(&home, &["register", "person", "list"]);
    assert!(people.as_array().unwrap().is_empty());
}

#[test]
fn a_baa_document_is_recorded_by_its_sha256() {
    let (dir, home) = new_home();
    let pdf = dir.path().join("acme-baa.pdf");
    std::fs::write(&pdf, b"%PDF-1.7 signed agreement").unwrap();
    ok(
        &home,
        &[
            "register",
            "vendor",
            "add",
            "acme",
            "--name",
            "Acme",
            "--touches-phi",
        ],
    );
    ok(
        &home,
        &[
            "register",
            "baa",
            "add",
            "acme-2026",
            "--vendor",
            "acme",
            "--status",
            "signed",
            "--signed",
            "2026-01-15",
            "--document",
            pdf.to_str().unwrap(),
        ],
    );
    let shown = ok(&home, &["register", "baa", "show", "acme-2026"]);
    let expected = std::process::Command::new("sha256sum")
        .arg(&pdf)
        .output()
        .unwrap();
    let expected = String::from_utf8_lossy(&expected.stdout);
    assert_eq!(
        shown["record"]["document"]["sha256"].as_str().unwrap(),
        expected.split_whitespace().next().unwrap()
    );
    let err = failing(
        &home,
        &[
            "register",
            "baa",
            "update",
            "acme-2026",
            "--document",
            "/no/such/file.pdf",
        ],
    );
    assert!(err.contains("could not open /no/such/file.pdf"), "{err}");
}

#[test]
fn register_check_fails_an_empty_register_and_passes_one_kept_in_order() {
    let (_dir, home) = new_home();
    let empty = run(&home, &["register", "check"], 1);
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

    ok(
        &home,
        &[
            "register",
            "vendor",
            "add",
            "acme",
            "--name",
            "Acme",
            "--touches-phi",
        ],
    );
    let missing = run(&home, &["register", "check"], 1);
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
    let signed = today
        .checked_sub(jiff::Span::new().days(30))
        .unwrap()
        .to_string();
    let expires = today
        .checked_add(jiff::Span::new().years(2))
        .unwrap()
        .to_string();
    ok(
        &home,
        &[
            "register",
            "baa",
            "add",
            "acme-baa",
            "--vendor",
            "acme",
            "--status",
            "signed",
            "--signed",
            &signed,
            "--effective",
            &signed,
            "--expires",
            &expires,
            "--breach-notice-days",
            "30",
            "--return-or-destroy",
            "--subcontractor-flow-down",
        ],
    );
    let kept = run(&home, &["register", "check"], 1);
    assert_eq!(findings(&kept, "register.vendor.baa")[0]["status"], "pass");
    assert_eq!(
        findings(&kept, "register.vendor.breach_notice")[0]["status"],
        "pass"
    );
    ok(
        &home,
        &[
            "register",
            "baa",
            "update",
            "acme-baa",
            "--breach-notice-days",
            "90",
        ],
    );
    let slow = run(&home, &["register", "check"], 1);
    assert_eq!(
        findings(&slow, "register.vendor.breach_notice")[0]["status"],
        "fail"
    );
    // The check run is stored and recorded like a host check.
    let status = ok(&home, &["status"]);
    assert!(
        status["counts"]["check_runs"].as_i64().unwrap() >= 4,
        "{status:#}"
    );
}

#[test]
fn a_register_edited_behind_phiguards_back_fails_the_integrity_check() {
    let (_dir, home) = new_home();
    ok(
        &home,
        &[
            "register",
            "vendor",
            "add",
            "acme",
            "--name",
            "Acme",
            "--touches-phi",
        ],
    );
    sqlite_exec(
        &home,
        "UPDATE register_records SET body = REPLACE(body, '\"touches_phi\":true', '\"touches_phi\":false')",
    );
    let result = run(&home, &["register", "check"], 1);
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
    for (id, name) in [("alice", "Alice"), ("bob", "Bob")] {
        ok(
            &home,
            &[
                "register",
                "person",
                "add",
                id,
                "--name",
                name,
                "--email",
                &format!("{id}@clinic.example"),
                "--role",
                "clinician",
                "--started",
                "2024-01-01",
                "--phi-access",
            ],
        );
        ok(
            &home,
            &[
                "register",
                "grant",
                "add",
                &format!("{id}-ehr"),
                "--person",
                id,
                "--system",
                "ehr",
                "--role",
                "clinician",
                "--account",
                id,
                "--approver",
                "Dana",
                "--justification",
                "patient care",
                "--granted",
                "2024-01-01",
            ],
        );
    }
    let started = ok(&home, &["access", "review", "start", "--system", "ehr"]);
    let review = started["review"]["id"].as_str().unwrap().to_owned();
    assert_eq!(started["grants"].as_array().unwrap().len(), 2);
    let err = failing(&home, &["access", "review", "start", "--system", "ehr"]);
    assert!(err.contains("still open"), "{err}");
    let err = failing(&home, &["access", "review", "close", &review]);
    assert!(err.contains("alice-ehr, bob-ehr have no decision"), "{err}");

    ok(
        &home,
        &[
            "access",
            "review",
            "decide",
            &review,
            "alice-ehr",
            "--keep",
            "--comment",
            "on call",
            "--reviewer",
            "Dana",
        ],
    );
    ok(
        &home,
        &[
            "access",
            "review",
            "decide",
            &review,
            "bob-ehr",
            "--revoke",
            "--comment",
            "moved to billing",
            "--reviewer",
            "Dana",
        ],
    );
    ok(&home, &["access", "review", "close", &review]);
    let bob = ok(&home, &["register", "grant", "show", "bob-ehr"]);
    assert_eq!(bob["record"]["revoked"]["by"], "Dana");
    assert!(
        bob["record"]["revoked"]["reason"]
            .as_str()
            .unwrap()
            .contains("moved to billing")
    );
    let campaigns = ok(&home, &["access", "review", "list"]);
    assert_eq!(campaigns[0]["undecided"].as_array().unwrap().len(), 0);

    let checked = run(&home, &["register", "check"], 1);
    let reviews = findings(&checked, "register.access.review_overdue");
    assert_eq!(reviews[0]["status"], "pass", "{reviews:?}");
    let err = failing(
        &home,
        &[
            "access", "revoke", "bob-ehr", "--by", "Dana", "--reason", "again",
        ],
    );
    assert!(err.contains("already revoked"), "{err}");
}

#[test]
fn the_register_round_trips_through_yaml_and_a_broken_file_is_refused_with_its_line() {
    let (dir, home) = new_home();
    ok(
        &home,
        &[
            "register",
            "vendor",
            "add",
            "acme",
            "--name",
            "Acme: cloud, \"inc\"",
            "--touches-phi",
        ],
    );
    ok(
        &home,
        &[
            "register",
            "vendor",
            "add",
            "globex",
            "--name",
            "Globex",
            "--touches-phi",
            "false",
        ],
    );
    ok(
        &home,
        &[
            "register",
            "course",
            "add",
            "hipaa",
            "--title",
            "HIPAA basics",
            "--every-months",
            "12",
        ],
    );
    let export = dir.path().join("register");
    ok(&home, &["register", "export", export.to_str().unwrap()]);
    assert!(export.join("vendors.yaml").exists() && export.join("baas.yaml").exists());

    // A fresh installation imports it, and importing again changes nothing.
    let (_other_dir, other) = new_home();
    let applied = ok(&other, &["register", "import", export.to_str().unwrap()]);
    assert_eq!(applied.as_array().unwrap().len(), 3);
    let again = ok(&other, &["register", "import", export.to_str().unwrap()]);
    assert!(again.as_array().unwrap().is_empty(), "{again:#}");
    assert_eq!(
        ok(&other, &["register", "vendor", "show", "acme"])["record"]["name"],
        "Acme: cloud, \"inc\""
    );

    // Edit the files as a person would in git: remove globex, misspell a field.
    let vendors = std::fs::read_to_string(export.join("vendors.yaml")).unwrap();
    let without_globex: String = {
        let start = vendors.find("- id: globex").unwrap();
        vendors[..start].to_owned()
    };
    std::fs::write(export.join("vendors.yaml"), &without_globex).unwrap();
    let dry = ok(
        &other,
        &["register", "import", "--dry-run", export.to_str().unwrap()],
    );
    assert_eq!(dry[0]["action"], "delete");
    assert_eq!(dry[0]["id"], "globex");
    assert_eq!(
        ok(&other, &["register", "vendor", "list"])
            .as_array()
            .unwrap()
            .len(),
        2
    );

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
    let err = failing(&other, &["register", "import", export.to_str().unwrap()]);
    assert!(err.contains(&format!("courses.yaml:{line}")), "{err}");
    assert!(err.contains("interval_month"), "{err}");
    // Nothing was half-imported: globex is still there.
    assert_eq!(
        ok(&other, &["register", "vendor", "list"])
            .as_array()
            .unwrap()
            .len(),
        2
    );
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
    let dry = ok(
        &home,
        &["matrix", "import", "--dry-run", csv.to_str().unwrap()],
    );
    assert_eq!(dry.as_array().unwrap().len(), 3);
    assert!(
        ok(&home, &["register", "responsibility", "list"])
            .as_array()
            .unwrap()
            .is_empty()
    );
    ok(&home, &["matrix", "import", csv.to_str().unwrap()]);
    let shown = ok(
        &home,
        &[
            "register",
            "responsibility",
            "show",
            "45 CFR § 164.310(a)(1)",
        ],
    );
    assert_eq!(shown["record"]["responsibility"], "provider");

    let checked = run(&home, &["register", "check"], 1);
    let owners = findings(&checked, "register.matrix.owner");
    let failing_owner: Vec<&str> = owners
        .iter()
        .filter(|f| f["status"] == "fail")
        .map(|f| f["subject"].as_str().unwrap())
        .collect();
    assert_eq!(failing_owner.len(), 1, "{owners:?}");
    assert!(failing_owner[0].contains("164.312(a)(2)(iv)"));

    let out = phiguard(&home)
        .args(["matrix", "export", "-"])
        .assert()
        .success();
    let exported = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(
        exported.starts_with("control,responsibility,owner,notes"),
        "{exported}"
    );
    assert!(
        exported.contains("\"KMS by the provider, keys by you\""),
        "{exported}"
    );

    std::fs::write(&csv, "control,responsibility\n164.312(2),shared\n").unwrap();
    let err = failing(&home, &["matrix", "import", csv.to_str().unwrap()]);
    assert!(err.contains("matrix.csv:2"), "{err}");
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
    let check = |home: &Path| {
        let out = phiguard(home)
            .args([
                "host", "check", "--json", "--only", "access", "--system", "ehr", "--root",
            ])
            .arg(&root)
            .output()
            .unwrap();
        json(&out.stdout)
    };
    ok(
        &home,
        &[
            "register",
            "person",
            "add",
            "alice",
            "--name",
            "Alice",
            "--email",
            "a@clinic.example",
            "--role",
            "clinician",
            "--started",
            "2024-01-01",
            "--phi-access",
        ],
    );
    ok(
        &home,
        &[
            "register",
            "grant",
            "add",
            "alice-ehr",
            "--person",
            "alice",
            "--system",
            "ehr",
            "--role",
            "clinician",
            "--account",
            "alice",
            "--approver",
            "Dana",
            "--justification",
            "care",
            "--granted",
            "2024-01-01",
        ],
    );
    let result = check(&home);
    let accounts: Vec<(String, String)> = findings(&result, "host.access.ungranted_accounts")
        .iter()
        .map(|f| {
            (
                f["status"].as_str().unwrap().to_owned(),
                f["subject"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(
        accounts
            .iter()
            .any(|(s, subject)| s == "pass" && subject.contains("alice")),
        "{accounts:?}"
    );
    assert!(
        accounts
            .iter()
            .any(|(s, subject)| s == "fail" && subject.contains("mallory")),
        "{accounts:?}"
    );
}

#[test]
fn the_register_works_on_postgres() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let Some(db) = runtime.block_on(phiguard_testkit::fresh_postgres_database()) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let pg = |args: &[&str]| {
        let out = phiguard(&home)
            .args(["--database", db.url(), "--json"])
            .args(args)
            .assert()
            .success();
        json(&out.get_output().stdout)
    };
    pg(&[
        "register",
        "vendor",
        "add",
        "acme",
        "--name",
        "Acme",
        "--touches-phi",
    ]);
    pg(&[
        "register",
        "vendor",
        "update",
        "acme",
        "--name",
        "Acme Cloud",
    ]);
    let history = pg(&["register", "history", "vendor", "acme"]);
    assert_eq!(history.as_array().unwrap().len(), 2);
    let export = tmp.path().join("register");
    pg(&["register", "export", export.to_str().unwrap()]);
    let again = pg(&["register", "import", export.to_str().unwrap()]);
    assert!(again.as_array().unwrap().is_empty());
    assert!(!home.join("phiguard.db").exists());
}
