//! Text from outside cannot take over the terminal: a file name or a record field holding a
//! newline, an escape sequence or a bidirectional override is shown escaped in human output,
//! so it can neither fake a report line nor move the cursor or clear the screen, and it comes
//! out exact in `--json`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failure with its location

mod common;

use std::fs;

use common::{json, new_home, phiguard, stderr_of};

/// A file name that would print a fake summary line and clear the screen.
const HOSTILE_NAME: &str = "a\nfake: 0 changes\x1b[2J";
const HOSTILE_NAME_SHOWN: &str = "a\\nfake: 0 changes\\x1b[2J";

/// No raw control characters (but the newlines between lines) reach the terminal.
fn assert_no_raw_controls(text: &str) {
    let raw: Vec<char> = text
        .chars()
        .filter(|c| (c.is_control() && *c != '\n') || ('\u{202a}'..='\u{202e}').contains(c))
        .collect();
    assert!(raw.is_empty(), "raw controls {raw:?} in:\n{text}");
}

#[test]
fn fim_check_shows_a_hostile_file_name_escaped_and_json_keeps_it_exact() {
    let (tmp, home) = new_home();
    let tree = tmp.path().join("tree");
    fs::create_dir(&tree).unwrap();
    fs::write(tree.join("chart.txt"), "x").unwrap();
    phiguard(&home)
        .args(["fim", "init", "-q"])
        .arg(&tree)
        .assert()
        .success();
    fs::write(tree.join(HOSTILE_NAME), "planted").unwrap();

    let human = phiguard(&home).args(["fim", "check"]).assert().code(1);
    let stdout = String::from_utf8(human.get_output().stdout.clone()).unwrap();
    assert_no_raw_controls(&stdout);
    assert!(stdout.contains(HOSTILE_NAME_SHOWN), "{stdout}");
    assert!(
        !stdout.lines().any(|line| line.starts_with("fake:")),
        "a file name printed a report line of its own:\n{stdout}"
    );
    assert!(stdout.contains("1 added, 0 removed"), "{stdout}");

    let machine = phiguard(&home)
        .args(["--json", "fim", "check"])
        .assert()
        .code(1);
    let report = json(&machine.get_output().stdout);
    let paths: Vec<&str> = report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["change"] == "added")
        .map(|c| c["path"].as_str().unwrap())
        .collect();
    let exact = tree.join(HOSTILE_NAME).display().to_string();
    assert_eq!(paths, [exact.as_str()], "JSON must hold the name exactly");
}

#[test]
fn register_list_and_show_escape_a_field_and_json_keeps_it_exact() {
    let (_tmp, home) = new_home();
    let name = "Acme\x1b]0;owned\x07 Cloud\u{202e}gnitsoh";
    let notes = "signed\nbaa: signed 2020-01-01";
    phiguard(&home)
        .args(["register", "vendor", "add", "acme", "--name", name])
        .args(["--notes", notes, "--touches-phi", "false", "-q"])
        .assert()
        .success();

    for command in ["list", "show"] {
        let mut cmd = phiguard(&home);
        cmd.args(["register", "vendor", command]);
        if command == "show" {
            cmd.arg("acme");
        }
        let out = cmd.assert().success();
        let stdout = String::from_utf8(out.get_output().stdout.clone()).unwrap();
        assert_no_raw_controls(&stdout);
        assert!(
            stdout.contains("Acme\\x1b]0;owned\\x07 Cloud\\u{202e}gnitsoh"),
            "{command}: {stdout}"
        );
        assert!(
            stdout.contains("signed\\nbaa: signed"),
            "{command}: {stdout}"
        );
        assert!(
            !stdout.lines().any(|line| line.starts_with("baa:")),
            "{command}: a field printed a line of its own:\n{stdout}"
        );
    }

    let shown = phiguard(&home)
        .args(["--json", "register", "vendor", "show", "acme"])
        .assert()
        .success();
    let record = json(&shown.get_output().stdout);
    assert_eq!(record["record"]["name"], name);
    assert_eq!(record["record"]["notes"], notes);
}

#[test]
fn an_error_naming_a_hostile_path_is_escaped_on_stderr() {
    let (tmp, home) = new_home();
    let missing = tmp.path().join("no\x1b[2Jsuch\u{202e}file");
    let out = phiguard(&home).arg("seal").arg(&missing).assert().code(2);
    let stderr = stderr_of(&out);
    assert_no_raw_controls(&stderr);
    assert!(stderr.contains("no\\x1b[2Jsuch\\u{202e}file"), "{stderr}");
}
