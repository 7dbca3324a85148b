//! `phiguard incident …` and `phiguard breach assess|affected|deadlines`, end to end on a
//! temporary home: what each records and prints, its JSON, its exit codes, and what it
//! refuses.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failure with its location

mod common;

use std::path::Path;

use common::{json, new_home, phiguard, stderr_of};
use serde_json::Value;

fn add_incident(home: &Path, id: &str, extra: &[&str]) {
    adding(home, id, "workforce", extra).success();
}

fn adding(home: &Path, id: &str, source: &str, extra: &[&str]) -> assert_cmd::assert::Assert {
    phiguard(home)
        .args([
            "incident",
            "add",
            id,
            "--title",
            "Laptop stolen from a car",
            "--source",
            source,
            "--reported-by",
            "Dr. Lee",
            "--discovered",
            "2026-03-01T09:30Z",
            "--affected",
            "OH=120",
            "-q",
        ])
        .args(extra)
        .assert()
}

fn json_of(home: &Path, args: &[&str]) -> Value {
    let out = phiguard(home).args(args).arg("--json").assert().success();
    json(&out.get_output().stdout)
}

#[test]
fn an_incident_is_added_given_a_timeline_listed_and_shown() {
    let (_tmp, home) = new_home();
    add_incident(&home, "lost-laptop", &["--phi", "names"]);
    let out = phiguard(&home)
        .args([
            "incident",
            "timeline",
            "lost-laptop",
            "--phase",
            "containment",
            "--at",
            "2026-03-01T10:00Z",
            "--note",
            "Sessions revoked",
            "--by",
            "IT on call",
        ])
        .assert()
        .success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(
        text.contains("Added incident-event lost-laptop.containment."),
        "{text}"
    );
    phiguard(&home)
        .args([
            "incident",
            "timeline",
            "lost-laptop",
            "--phase",
            "detection",
            "--at",
            "2026-03-01T09:30Z",
            "--note",
            "Reported by Dr. Lee",
        ])
        .assert()
        .success();

    let timeline = json_of(&home, &["incident", "timeline", "lost-laptop"]);
    let phases: Vec<&str> = timeline
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["phase"].as_str().unwrap())
        .collect();
    assert_eq!(phases, ["detection", "containment"]);

    let listed = json_of(
        &home,
        &[
            "incident",
            "list",
            "--today",
            "2026-03-10",
            "--status",
            "open",
        ],
    );
    let row = &listed[0];
    assert_eq!(row["id"], "lost-laptop");
    assert_eq!(row["total_affected"], 120);
    assert_eq!(row["conclusion"], Value::Null);
    assert_eq!(row["next_deadline"]["recipient"], "individuals");
    assert_eq!(row["next_deadline"]["due"], "2026-04-30");
    assert_eq!(row["next_deadline"]["days_left"], 51);
    let none = json_of(&home, &["incident", "list", "--status", "closed"]);
    assert_eq!(none, Value::Array(Vec::new()));
    let out = phiguard(&home)
        .args(["incident", "list", "--today", "2026-03-10"])
        .assert()
        .success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(text.starts_with("ID "), "{text}");
    assert!(text.contains("not assessed"), "{text}");

    let shown = json_of(
        &home,
        &["incident", "show", "lost-laptop", "--today", "2026-03-10"],
    );
    assert_eq!(shown["incident"]["title"], "Laptop stolen from a car");
    assert_eq!(shown["timeline"].as_array().unwrap().len(), 2);
    assert_eq!(shown["assessment"], Value::Null);
    assert_eq!(shown["vendor_report"], Value::Null);
    assert_eq!(shown["deadlines"]["standing"], "not_assessed");
    let out = phiguard(&home)
        .args(["incident", "show", "lost-laptop", "--today", "2026-03-10"])
        .assert()
        .success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    for part in [
        "Timeline:",
        "Sessions revoked (IT on call)",
        "not assessed",
        "Deadlines:",
    ] {
        assert!(text.contains(part), "{part} missing from:\n{text}");
    }
}

#[test]
fn deadlines_exit_1_when_one_is_overdue_and_a_notice_given_meets_it() {
    let (_tmp, home) = new_home();
    add_incident(&home, "lost-laptop", &[]);
    phiguard(&home)
        .args([
            "breach",
            "deadlines",
            "lost-laptop",
            "--today",
            "2026-03-10",
        ])
        .assert()
        .code(0);
    let out = phiguard(&home)
        .args([
            "breach",
            "deadlines",
            "lost-laptop",
            "--today",
            "2026-06-01",
            "--json",
        ])
        .assert()
        .code(1);
    let deadlines = json(&out.get_output().stdout);
    let individuals = &deadlines["deadlines"][0];
    assert_eq!(individuals["recipient"], "individuals");
    assert_eq!(individuals["state"], "overdue");
    assert_eq!(individuals["citation"], "45 CFR 164.404(b)");
    assert!(individuals["days_left"].as_i64().unwrap() < 0);
    let out = phiguard(&home)
        .args([
            "breach",
            "deadlines",
            "lost-laptop",
            "--today",
            "2026-06-01",
        ])
        .assert()
        .code(1);
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(text.contains("OVERDUE"), "{text}");
    assert!(text.contains("1 notice is overdue"), "{text}");

    phiguard(&home)
        .args([
            "register",
            "breach-notice",
            "add",
            "--incident",
            "lost-laptop",
            "--recipient",
            "individuals",
            "--sent",
            "2026-05-15",
            "-q",
        ])
        .assert()
        .success();
    let out = phiguard(&home)
        .args([
            "breach",
            "deadlines",
            "lost-laptop",
            "--today",
            "2026-06-01",
            "--json",
        ])
        .assert()
        .code(0);
    let deadlines = json(&out.get_output().stdout);
    assert_eq!(deadlines["deadlines"][0]["state"], "met_late");
    assert_eq!(
        deadlines["deadlines"][0]["given"]["id"],
        "lost-laptop.individuals"
    );
}

#[test]
fn an_assessment_without_a_terminal_needs_its_flags_and_a_refused_one_records_nothing() {
    let (_tmp, home) = new_home();
    add_incident(&home, "lost-laptop", &[]);
    let assert = phiguard(&home)
        .args(["breach", "assess", "lost-laptop"])
        .assert()
        .code(2);
    let error = stderr_of(&assert);
    assert!(error.contains("--conclusion, --decided-by"), "{error}");
    let assert = phiguard(&home)
        .args([
            "breach",
            "assess",
            "lost-laptop",
            "--no-input",
            "--nature",
            "high",
            "--conclusion",
            "notifiable",
            "--decided-by",
            "Pat",
        ])
        .assert()
        .code(2);
    let error = stderr_of(&assert);
    assert!(error.contains("has no rationale"), "{error}");
    let assert = phiguard(&home)
        .args([
            "breach",
            "assess",
            "lost-laptop",
            "--conclusion",
            "maybe",
            "--decided-by",
            "Pat",
        ])
        .assert()
        .code(2);
    assert!(stderr_of(&assert).contains("no_breach, low_probability or notifiable"));
    let none = json_of(&home, &["register", "breach-assessment", "list"]);
    assert_eq!(none, Value::Array(Vec::new()));
    let shown = json_of(&home, &["incident", "show", "lost-laptop"]);
    assert_eq!(shown["incident"]["status"], "open");

    let out = phiguard(&home)
        .args([
            "breach",
            "assess",
            "lost-laptop",
            "--sealed",
            "--secured",
            "--secured-rationale",
            "Disk sealed by phiguard; key on the token",
            "--conclusion",
            "no_breach",
            "--decided-by",
            "Pat (Privacy Officer)",
            "--json",
        ])
        .assert()
        .success();
    let assessed = json(&out.get_output().stdout);
    assert_eq!(assessed["assessment"]["conclusion"], "no_breach");
    assert_eq!(assessed["status_was"], "open");
    let evidence = assessed["assessment"]["sealed_evidence"].as_str().unwrap();
    assert!(evidence.contains("v1 current"), "{evidence}");
    let shown = json_of(&home, &["incident", "show", "lost-laptop"]);
    assert_eq!(shown["incident"]["status"], "assessed");
    assert_eq!(shown["deadlines"]["deadlines"], Value::Array(Vec::new()));
    let history = json_of(
        &home,
        &["register", "history", "breach-assessment", "lost-laptop"],
    );
    assert_eq!(history.as_array().unwrap().len(), 1);
}

#[test]
fn closing_an_incident_with_notices_due_is_allowed_with_a_warning() {
    let (_tmp, home) = new_home();
    add_incident(&home, "lost-laptop", &[]);
    let assert = phiguard(&home)
        .args(["incident", "update", "lost-laptop", "--status", "closed"])
        .assert()
        .success();
    let warning = stderr_of(&assert);
    assert!(
        warning.contains("warning: incident lost-laptop is closed"),
        "{warning}"
    );
    assert!(warning.contains("individuals due"), "{warning}");
    let shown = json_of(&home, &["incident", "show", "lost-laptop"]);
    assert_eq!(shown["incident"]["status"], "closed");
}

#[test]
fn a_late_vendor_report_is_judged_in_show() {
    let (_tmp, home) = new_home();
    // Reported by the workforce, an incident has no vendor's discovery time.
    let refused = adding(
        &home,
        "vendor-leak",
        "workforce",
        &["--vendor-discovered", "2025-12-01T00:00Z"],
    )
    .code(2);
    assert!(stderr_of(&refused).contains("its source is workforce"));
    let shown = json_of(&home, &["incident", "list"]);
    assert_eq!(shown, Value::Array(Vec::new()));
    adding(
        &home,
        "vendor-leak",
        "vendor",
        &["--vendor-discovered", "2025-12-01T00:00Z"],
    )
    .success();
    let shown = json_of(&home, &["incident", "show", "vendor-leak"]);
    let windows = shown["vendor_report"]["windows"].as_array().unwrap();
    assert_eq!(windows.len(), 1);
    assert_eq!(windows[0]["agreed"]["kind"], "federal");
    assert_eq!(windows[0]["late"], true);
    let out = phiguard(&home)
        .args(["incident", "show", "vendor-leak"])
        .assert()
        .success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(text.contains("45 CFR 164.410(b): 60 days"), "{text}");
    assert!(text.contains("LATE"), "{text}");
}

const NAME: &str = "Thessaly Vandermoot";

#[test]
fn affected_individuals_are_counted_and_no_name_is_stored_or_printed() {
    let (tmp, home) = new_home();
    add_incident(&home, "lost-laptop", &[]);
    let csv = tmp.path().join("affected.csv");
    std::fs::write(
        &csv,
        format!("name,state,address\n{NAME},OH,1 Elm St\n{NAME}, oh ,1 ELM ST\nBo Chen,PA,2 Oak\n"),
    )
    .unwrap();
    let out = phiguard(&home)
        .args(["breach", "affected", "lost-laptop", "--csv"])
        .arg(&csv)
        .arg("--json")
        .assert()
        .success();
    let imported = json(&out.get_output().stdout);
    assert_eq!(imported["rows"], 3);
    assert_eq!(imported["individuals"], 2);
    assert_eq!(imported["duplicates"], 1);
    assert_eq!(imported["by_state"], serde_json::json!({"OH": 1, "PA": 1}));
    let shown = json_of(&home, &["incident", "show", "lost-laptop"]);
    assert_eq!(
        shown["incident"]["affected"],
        serde_json::json!([{"state": "OH", "count": 1}, {"state": "PA", "count": 1}])
    );

    // A bad row: the line, never the name.
    let bad = tmp.path().join("bad.csv");
    std::fs::write(&bad, format!("name,state\nBo Chen,PA\n{NAME},{NAME}\n")).unwrap();
    let assert = phiguard(&home)
        .args(["breach", "affected", "lost-laptop", "--csv"])
        .arg(&bad)
        .assert()
        .code(2);
    let error = stderr_of(&assert);
    assert!(error.contains("line 3"), "{error}");
    assert!(!error.contains("Thessaly"), "{error}");
    let assert = phiguard(&home)
        .args(["breach", "affected", "lost-laptop", "--csv"])
        .arg(tmp.path().join("missing.csv"))
        .assert()
        .code(2);
    assert!(stderr_of(&assert).contains("could not read"));

    let export = tmp.path().join("export");
    phiguard(&home)
        .args(["ledger", "export", "-q", "--out"])
        .arg(&export)
        .assert()
        .success();
    for dir in [&home, &export] {
        for file in common::tree(dir) {
            let path = dir.join(&file);
            if path.is_file() {
                let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).to_lowercase();
                assert!(
                    !text.contains("thessaly"),
                    "{} holds the name",
                    path.display()
                );
                assert!(
                    !text.contains("vandermoot"),
                    "{} holds the name",
                    path.display()
                );
            }
        }
    }
}

#[test]
fn bad_input_is_refused_with_what_to_do() {
    let (_tmp, home) = new_home();
    let assert = phiguard(&home)
        .args(["incident", "show", "nope"])
        .assert()
        .code(2);
    assert!(stderr_of(&assert).contains("there is no incident \"nope\""));
    let assert = phiguard(&home)
        .args(["incident", "list", "--status", "done"])
        .assert()
        .code(2);
    assert!(stderr_of(&assert).contains("open, investigating, assessed, notifying or closed"));
    let assert = phiguard(&home)
        .args([
            "incident",
            "timeline",
            "nope",
            "--phase",
            "detection",
            "--at",
            "2026-03-01T09:30Z",
            "--note",
            "x",
        ])
        .assert()
        .code(2);
    assert!(stderr_of(&assert).contains("there is no incident"));
    add_incident(&home, "lost-laptop", &[]);
    let assert = phiguard(&home)
        .args([
            "incident",
            "timeline",
            "lost-laptop",
            "--phase",
            "detection",
        ])
        .assert()
        .code(2);
    assert!(
        stderr_of(&assert).contains("--at is required"),
        "{}",
        stderr_of(&assert)
    );
    let assert = phiguard(&home)
        .args(["breach", "deadlines", "lost-laptop", "--today", "March"])
        .assert()
        .code(2);
    assert!(stderr_of(&assert).contains("--today"));
    // Nothing is created where there is no home.
    let tmp = tempfile::tempdir().unwrap();
    let nowhere = tmp.path().join("nowhere");
    phiguard(&nowhere)
        .args(["breach", "deadlines", "lost-laptop"])
        .assert()
        .code(2);
    assert!(!nowhere.exists());
}

#[test]
fn the_incident_commands_are_all_there_with_their_help() {
    let out = Command::help(&["incident"]);
    for sub in ["add", "update", "list", "show", "timeline"] {
        assert!(
            out.contains(&format!("\n  {sub} ")),
            "{sub} missing:\n{out}"
        );
    }
    let out = Command::help(&["breach"]);
    for sub in ["plan", "assess", "affected", "deadlines"] {
        assert!(
            out.contains(&format!("\n  {sub} ")),
            "{sub} missing:\n{out}"
        );
    }
    let add = Command::help(&["incident", "add"]);
    assert!(
        add.contains("phiguard incident add 2026-03-lost-laptop"),
        "{add}"
    );
    assert!(!add.contains("phiguard register incident add"), "{add}");
    let deadlines = Command::help(&["breach", "deadlines"]);
    assert!(deadlines.contains("Exit codes: 0 nothing overdue, 1 a notice is overdue"));
}

struct Command;

impl Command {
    fn help(path: &[&str]) -> String {
        let tmp = tempfile::tempdir().unwrap();
        let out = phiguard(tmp.path())
            .env("COLUMNS", "200")
            .args(path)
            .arg("--help")
            .assert()
            .success();
        String::from_utf8_lossy(&out.get_output().stdout).into_owned()
    }
}

/// Sets a commented key of phiguard.toml: `# phone = …` becomes `phone = …`.
fn configure(home: &Path, commented: &str) {
    let path = home.join("phiguard.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.contains(commented),
        "{commented} is not in phiguard.toml"
    );
    std::fs::write(
        &path,
        text.replacen(commented, commented.trim_start_matches("# "), 1),
    )
    .unwrap();
}

fn ledger_size(home: &Path) -> usize {
    json_of(home, &["ledger", "tail", "-n", "1000"])
        .as_array()
        .unwrap()
        .len()
}

#[test]
fn notices_are_drafted_from_the_incident_and_the_config_and_never_overwritten() {
    let (tmp, home) = new_home();
    configure(&home, "# phone = \"1-800-555-0100\"");
    add_incident(&home, "lost-laptop", &["--phi", "ssn"]);
    phiguard(&home)
        .args([
            "incident",
            "timeline",
            "lost-laptop",
            "--phase",
            "containment",
            "--at",
            "2026-03-01T10:00Z",
            "--note",
            "Laptop's sessions revoked",
            "-q",
        ])
        .assert()
        .success();
    let before = ledger_size(&home);
    let out_dir = tmp.path().join("notices");
    let out = phiguard(&home)
        .args([
            "breach",
            "notices",
            "lost-laptop",
            "--today",
            "2026-03-05",
            "--out",
        ])
        .arg(&out_dir)
        .arg("--json")
        .assert()
        .success();
    let written = json(&out.get_output().stdout);
    let recipients: Vec<&str> = written["drafts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["recipient"].as_str().unwrap())
        .collect();
    assert_eq!(recipients, ["individuals", "hhs"]);
    for draft in written["drafts"].as_array().unwrap() {
        for file in draft["files"].as_array().unwrap() {
            let path = Path::new(file["path"].as_str().unwrap());
            let text = std::fs::read_to_string(path).unwrap();
            assert_eq!(
                text.matches("TO FILL IN:").count() as u64,
                file["to_fill"].as_u64().unwrap(),
                "{}",
                path.display()
            );
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}", path.display());
        }
    }
    let letter = std::fs::read_to_string(out_dir.join("individuals.md")).unwrap();
    assert!(letter.contains("1-800-555-0100"), "{letter}");
    assert!(letter.contains("sessions revoked"), "{letter}");
    assert!(out_dir.join("individuals.html").is_file());
    assert!(out_dir.join("hhs.md").is_file());
    // Drafting records nothing.
    assert_eq!(ledger_size(&home), before);

    // An edited draft is never replaced without --force.
    std::fs::write(out_dir.join("hhs.md"), "edited").unwrap();
    let assert = phiguard(&home)
        .args(["breach", "notices", "lost-laptop", "--out"])
        .arg(&out_dir)
        .assert()
        .code(2);
    let error = stderr_of(&assert);
    assert!(error.contains("already exist"), "{error}");
    assert!(error.contains("--force"), "{error}");
    assert_eq!(
        std::fs::read_to_string(out_dir.join("hhs.md")).unwrap(),
        "edited"
    );
    let out = phiguard(&home)
        .args(["breach", "notices", "lost-laptop", "--force", "--out"])
        .arg(&out_dir)
        .assert()
        .success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(text.contains("TO FILL IN"), "{text}");
    assert_ne!(
        std::fs::read_to_string(out_dir.join("hhs.md")).unwrap(),
        "edited"
    );
}

#[test]
fn an_incident_that_is_no_breach_gets_no_draft() {
    let (tmp, home) = new_home();
    add_incident(&home, "misdirected-fax", &[]);
    phiguard(&home)
        .args([
            "breach",
            "assess",
            "misdirected-fax",
            "--exclusion",
            "inadvertent_disclosure",
            "--exclusion-rationale",
            "Sent to another of our clinics",
            "--conclusion",
            "no_breach",
            "--decided-by",
            "Pat",
            "-q",
        ])
        .assert()
        .success();
    let out_dir = tmp.path().join("notices");
    let out = phiguard(&home)
        .args(["breach", "notices", "misdirected-fax", "--out"])
        .arg(&out_dir)
        .assert()
        .success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(text.contains("No notice is due"), "{text}");
    assert!(!out_dir.exists());
}

#[test]
fn the_annual_log_lists_the_years_small_breaches_with_its_due_date() {
    let (tmp, home) = new_home();
    add_incident(&home, "small", &[]);
    phiguard(&home)
        .args([
            "incident",
            "add",
            "large",
            "--title",
            "Server breached",
            "--source",
            "internal",
            "--reported-by",
            "SOC",
            "--discovered",
            "2026-05-01T00:00Z",
            "--affected",
            "PA=600",
            "-q",
        ])
        .assert()
        .success();
    phiguard(&home)
        .args([
            "incident",
            "add",
            "last-year",
            "--title",
            "=HYPERLINK(\"x\")",
            "--source",
            "internal",
            "--reported-by",
            "SOC",
            "--discovered",
            "2025-05-01T00:00Z",
            "--affected",
            "PA=6",
            "-q",
        ])
        .assert()
        .success();
    let log = json_of(&home, &["breach", "log", "--year", "2026"]);
    assert_eq!(log["due"], "2027-03-01");
    assert_eq!(log["citation"], "45 CFR 164.408(c)");
    let ids: Vec<&str> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["incident"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["small"]);
    assert_eq!(log["entries"][0]["standing"], "not_assessed");

    let csv = tmp.path().join("log-2025.csv");
    phiguard(&home)
        .args(["breach", "log", "--year", "2025", "-q", "--csv"])
        .arg(&csv)
        .assert()
        .success();
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines = text.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("incident,title,breach_start")
    );
    let row = lines.next().unwrap();
    // A title a spreadsheet would run as a formula is written as text.
    assert!(row.starts_with("last-year,\"'=HYPERLINK"), "{row}");
    assert!(row.ends_with(",2026-03-01"), "{row}");
    assert_eq!(lines.next(), None);

    let assert = phiguard(&home)
        .args(["breach", "log", "--year", "1800"])
        .assert()
        .code(2);
    assert!(stderr_of(&assert).contains("give a year such as"));
}
