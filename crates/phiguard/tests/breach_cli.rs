//! `phiguard breach plan FILE`: the real binary on real plan files, in text and JSON, and the
//! messages for files it cannot use.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failure with its location

mod common;

use std::path::{Path, PathBuf};

use common::{json, phiguard, stderr_of};

/// A plan file in `dir`, and a home path beside it that must never be created.
fn setup(yaml: &str) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("drill.yaml");
    std::fs::write(&file, yaml).unwrap();
    let home = tmp.path().join("home");
    (tmp, file, home)
}

fn plan(home: &Path, file: &Path, extra: &[&str]) -> assert_cmd::assert::Assert {
    phiguard(home)
        .args(["breach", "plan"])
        .arg(file)
        .args(extra)
        .assert()
}

const ISSUE_EXAMPLE: &str = "role: covered_entity          # or business_associate\n\
                             discovered: 2026-03-01\n\
                             affected: {OH: 120, PA: 3}    # residents per state\n\
                             secured: false\n";

#[test]
fn the_json_plan_has_the_documented_shape_and_records_nothing() {
    let (_tmp, file, home) =
        setup("role: covered_entity\ndiscovered: 2026-03-01\naffected: {OH: 700, NY: 2}\n");
    let assert = plan(&home, &file, &["--json", "--today", "2026-03-10"]).success();
    let value = json(&assert.get_output().stdout);
    let notices = value["notices"].as_array().unwrap();
    let summary: Vec<(String, serde_json::Value, String)> = notices
        .iter()
        .map(|n| {
            (
                n["recipient"].as_str().unwrap().to_owned(),
                n["jurisdiction"].clone(),
                n["due"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    // NY residents in 30 days; 702 in all: individuals, HHS and OH's media within 60 days;
    // NY's attorney general 5 business days after HHS (Thursday 30 April → Thursday 7 May).
    assert_eq!(
        summary,
        [
            ("individuals".into(), "NY".into(), "2026-03-31".into()),
            (
                "individuals".into(),
                serde_json::Value::Null,
                "2026-04-30".into()
            ),
            ("media".into(), "OH".into(), "2026-04-30".into()),
            ("hhs".into(), serde_json::Value::Null, "2026-04-30".into()),
            ("state_regulator".into(), "NY".into(), "2026-05-07".into()),
        ]
    );
    for notice in notices {
        assert!(
            notice["citation"].as_str().is_some_and(|c| !c.is_empty()),
            "{notice}"
        );
        assert!(
            notice["reason"].as_str().is_some_and(|r| !r.is_empty()),
            "{notice}"
        );
    }
    assert_eq!(notices[1]["citation"], "45 CFR 164.404(b)");
    assert_eq!(notices[1]["days_left"], 51);
    assert!(!home.exists(), "breach plan created a home");
}

#[test]
fn the_text_plan_is_a_table_with_every_column() {
    let (_tmp, file, home) = setup(ISSUE_EXAMPLE);
    let assert = plan(&home, &file, &["--today", "2026-04-01"]).success();
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    for column in [
        "RECIPIENT",
        "JURISDICTION",
        "DUE",
        "DAYS LEFT",
        "CITATION",
        "REASON",
    ] {
        assert!(lines[0].contains(column), "{stdout}");
    }
    // 123 in all: individuals by 30 April (29 days from 1 April), HHS in the annual log by
    // 1 March 2027.
    assert!(lines[1].starts_with("individuals"), "{stdout}");
    assert!(lines[1].contains("2026-04-30  29"), "{stdout}");
    assert!(lines[1].contains("45 CFR 164.404(b)"), "{stdout}");
    assert!(lines[2].starts_with("hhs"), "{stdout}");
    assert!(lines[2].contains("2027-03-01"), "{stdout}");
    assert!(lines[2].contains("45 CFR 164.408(c)"), "{stdout}");
    assert!(stdout.contains("phiguard has no OH breach law"), "{stdout}");
}

#[test]
fn an_exclusion_prints_no_notice_and_says_why() {
    let (_tmp, file, home) = setup(
        "role: covered_entity\ndiscovered: 2026-03-01\naffected: {OH: 900}\nexclusion: inadvertent_disclosure\n",
    );
    let assert = plan(&home, &file, &[]).success();
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    assert!(stdout.starts_with("No notice is due."), "{stdout}");
    assert!(
        stdout.contains("164.402, definition of breach, (1)(ii)"),
        "{stdout}"
    );
    let assert = plan(&home, &file, &["--json"]).success();
    let value = json(&assert.get_output().stdout);
    assert_eq!(value["notices"], serde_json::json!([]));
}

/// The error message of a plan file that is refused (exit 2).
fn refused(yaml: &str) -> String {
    let (_tmp, file, home) = setup(yaml);
    let assert = plan(&home, &file, &[]).code(2);
    assert!(assert.get_output().stdout.is_empty());
    stderr_of(&assert)
}

#[test]
fn a_bad_date_is_refused_with_its_line() {
    let message = refused("role: covered_entity\ndiscovered: 2026-02-30\naffected: {OH: 1}\n");
    assert!(
        message.contains(
            "drill.yaml:2: discovered: \"2026-02-30\" is not a date; write it as YYYY-MM-DD"
        ),
        "{message}"
    );
}

#[test]
fn an_unknown_field_is_refused_with_its_line() {
    let message =
        refused("role: covered_entity\ndiscovered: 2026-03-01\naffected: {OH: 1}\nsecure: true\n");
    assert!(
        message.contains("drill.yaml:4: unknown field `secure`"),
        "{message}"
    );
}

#[test]
fn an_unknown_state_is_refused() {
    let message =
        refused("role: covered_entity\ndiscovered: 2026-03-01\naffected: {OH: 1, XY: 2}\n");
    assert!(
        message.contains("drill.yaml:3: affected: \"XY\" is not a US state or territory; use its two-letter postal code"),
        "{message}"
    );
}

#[test]
fn a_missing_file_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let assert = plan(
        &tmp.path().join("home"),
        &tmp.path().join("absent.yaml"),
        &[],
    )
    .code(2);
    let message = stderr_of(&assert);
    assert!(
        message.contains("could not read the plan file"),
        "{message}"
    );
    assert!(message.contains("absent.yaml"), "{message}");
    assert!(message.contains("No such file or directory"), "{message}");
}

#[test]
fn a_bad_file_with_json_still_answers_in_json() {
    let (_tmp, file, home) = setup("role: covered_entity\n");
    let assert = plan(&home, &file, &["--json"]).code(2);
    let value = json(&assert.get_output().stdout);
    assert!(
        value["error"]["message"]
            .as_str()
            .unwrap()
            .contains("drill.yaml"),
        "{value}"
    );
}

#[test]
fn the_help_shows_the_file_and_an_example() {
    let tmp = tempfile::tempdir().unwrap();
    let assert = phiguard(&tmp.path().join("home"))
        .args(["breach", "plan", "--help"])
        .assert()
        .success();
    let help = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    assert!(
        help.contains("law_enforcement_delay: {kind: oral, stated: 2026-03-05}"),
        "{help}"
    );
    assert!(
        help.contains("phiguard breach plan drill.yaml --json"),
        "{help}"
    );
}

#[test]
fn the_file_shown_in_the_help_is_accepted_as_it_is() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let assert = phiguard(&home)
        .args(["breach", "plan", "--help"])
        .assert()
        .success();
    let help = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    let yaml: String = help
        .lines()
        .skip_while(|line| !line.starts_with("The file"))
        .skip(1)
        .take_while(|line| !line.trim().is_empty())
        .map(|line| format!("{}\n", line.trim_start()))
        .collect();
    assert!(yaml.starts_with("role: covered_entity"), "{help}");
    let file = tmp.path().join("help.yaml");
    std::fs::write(&file, &yaml).unwrap();
    // It names an exclusion: no notice, and the note says why; the business associate's
    // window is said not to apply to a covered entity.
    let assert = plan(&home, &file, &["--json"]).success();
    let value = json(&assert.get_output().stdout);
    assert_eq!(value["notices"], serde_json::json!([]), "{yaml}");
    let notes = value["notes"].to_string();
    assert!(notes.contains("(1)(i)"), "{notes}");
}
