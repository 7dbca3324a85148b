#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `phiguard host check` as a user runs it: against an image root, with its findings stored,
//! recorded in the ledger, and the age of pending updates kept between runs.

mod common;

use std::path::{Path, PathBuf};

use common::{json, new_home, phiguard, sqlite_exec, stderr_of};

/// A Debian image root with one pending security update and one ordinary update.
fn image() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../host/tests/fixtures/patches/debian")
}

fn check(home: &Path, extra: &[&str]) -> (i32, serde_json::Value) {
    let output = phiguard(home)
        .args(["host", "check", "--json", "--root"])
        .arg(image())
        .args(extra)
        .output()
        .unwrap();
    (output.status.code().unwrap(), json(&output.stdout))
}

#[test]
fn an_image_is_checked_recorded_and_the_live_only_checks_say_they_were_skipped() {
    let (_dir, home) = new_home();
    let (code, result) = check(&home, &[]);
    // The image is bare: no auditd, no log forwarding, no idle logoff. Those fail.
    assert_eq!(code, 1, "{result:#}");
    let findings = result["findings"].as_array().unwrap();
    let failing: Vec<&str> = findings
        .iter()
        .filter(|f| f["status"] == "fail")
        .map(|f| f["check"].as_str().unwrap())
        .collect();
    assert!(failing.contains(&"host.logging.auditd"), "{failing:?}");
    assert!(
        !failing.iter().any(|c| c.starts_with("host.patches.")),
        "{failing:?}"
    );
    assert_eq!(result["summary"]["error"], 0, "{result:#}");
    let security: Vec<_> = findings
        .iter()
        .filter(|f| f["check"] == "host.patches.security_updates")
        .collect();
    assert_eq!(security.len(), 1, "{security:#?}");
    assert_eq!(security[0]["status"], "warn");
    assert_eq!(
        security[0]["subject"],
        "openssl 3.0.15-1~deb12u1 → 3.0.16-1~deb12u1"
    );
    // The firewall and the listening sockets belong to a running system, not to an image.
    for live_only in [
        "host.firewall.inbound_default",
        "host.encryption.plaintext_listeners",
    ] {
        let found: Vec<_> = findings
            .iter()
            .filter(|f| f["check"] == live_only)
            .collect();
        assert_eq!(found.len(), 1, "{live_only}: {found:#?}");
        assert_eq!(found[0]["status"], "not_applicable");
        assert!(found[0]["message"].as_str().unwrap().contains("skipped"));
    }
    // Every finding points at the ledger entry that records the run, and the ledger holds.
    let evidence = &result["evidence"];
    assert!(findings.iter().all(|f| f["evidence"][0] == *evidence));
    let entry = phiguard(&home)
        .args(["ledger", "show", "--json"])
        .arg(evidence["seq"].to_string())
        .output()
        .unwrap();
    let entry = json(&entry.stdout);
    assert_eq!(entry[0]["entry"]["kind"], "host.check", "{entry:#}");
    phiguard(&home)
        .args(["ledger", "verify"])
        .assert()
        .success();
    assert_eq!(result["host"], format!("image:{}", image().display()));
}

#[test]
fn only_limits_the_areas_and_a_wrong_area_is_a_usage_error() {
    let (_dir, home) = new_home();
    let (code, result) = check(&home, &["--only", "patches"]);
    assert_eq!(code, 0);
    assert_eq!(result["checks"], 3);
    assert!(
        result["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["check"].as_str().unwrap().starts_with("host.patches."))
    );
    let assert = phiguard(&home)
        .args(["host", "check", "--only", "patches,firewal"])
        .assert()
        .code(2);
    let stderr = stderr_of(&assert);
    assert!(
        stderr.contains("\"firewal\" is not a check area"),
        "{stderr}"
    );
    let assert = phiguard(&home)
        .args(["host", "check", "--root", "/nonexistent/image"])
        .assert()
        .code(2);
    assert!(stderr_of(&assert).contains("is not a directory"));
}

#[test]
fn a_pending_update_keeps_its_first_sighting_and_fails_once_past_the_deadline() {
    let (_dir, home) = new_home();
    let (code, _) = check(&home, &["--only", "patches"]);
    assert_eq!(code, 0);
    // As if the first run had been 16 days ago.
    sqlite_exec(
        &home,
        "UPDATE pending_updates SET first_seen = '2000-01-01T00:00:00.000000Z' \
         WHERE package = 'openssl'",
    );
    let (code, result) = check(&home, &["--only", "patches"]);
    assert_eq!(code, 1, "{result:#}");
    let failing: Vec<_> = result["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "fail")
        .collect();
    assert_eq!(failing.len(), 1, "{failing:#?}");
    assert_eq!(failing[0]["check"], "host.patches.security_updates");
    assert!(
        failing[0]["message"]
            .as_str()
            .unwrap()
            .contains("first seen 2000-01-01"),
        "{failing:#?}"
    );
    assert!(failing[0]["remediation"].as_str().is_some());

    // A deadline set in phiguard.toml is the one applied.
    let config = home.join("phiguard.toml");
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("security_update_days = 15", "security_update_days = 100000");
    std::fs::write(&config, text).unwrap();
    let (code, _) = check(&home, &["--only", "patches"]);
    assert_eq!(code, 0);
}

#[test]
fn the_terminal_report_lists_what_needs_attention_and_a_summary() {
    let (_dir, home) = new_home();
    let output = phiguard(&home)
        .args(["host", "check", "--only", "patches", "--root"])
        .arg(image())
        .output()
        .unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.contains("warn") && text.contains("openssl 3.0.15-1~deb12u1 → 3.0.16-1~deb12u1"),
        "{text}"
    );
    // What ran and what it found, counted on lines of their own.
    let ran = text.lines().find(|l| l.starts_with("Ran ")).unwrap();
    assert!(ran.starts_with("Ran 3 host checks on image:"), "{text}");
    assert!(!ran.contains("warn"), "{text}");
    let found = text.lines().find(|l| l.contains(" findings: ")).unwrap();
    assert!(found.contains("2 warn"), "{text}");
    // Not a terminal: no colour.
    assert!(!text.contains('\x1b'), "{text}");
}

#[test]
fn status_words_are_coloured_on_request_and_never_with_no_color_or_json() {
    let (_dir, home) = new_home();
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut cmd = phiguard(&home);
        cmd.env_remove("NO_COLOR").env_remove("CLICOLOR_FORCE");
        for (name, value) in env {
            cmd.env(name, value);
        }
        let output = cmd
            .args(["host", "check", "--only", "patches", "--root"])
            .arg(image())
            .args(args)
            .output()
            .unwrap();
        String::from_utf8(output.stdout).unwrap()
    };
    let yellow_warn = "\x1b[33mwarn";
    let coloured = run(&["--color", "always"], &[]);
    assert!(coloured.contains(yellow_warn), "{coloured:?}");
    // `auto` follows the environment's wishes (CLICOLOR_FORCE stands in for a terminal)...
    let forced = run(&[], &[("CLICOLOR_FORCE", "1")]);
    assert!(forced.contains(yellow_warn), "{forced:?}");
    // ...and NO_COLOR wins.
    let plain = run(&[], &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]);
    assert!(!plain.contains('\x1b'), "{plain:?}");
    let never = run(&["--color", "never"], &[("CLICOLOR_FORCE", "1")]);
    assert!(!never.contains('\x1b'), "{never:?}");
    let json = run(&["--json", "--color", "always"], &[]);
    assert!(!json.contains('\x1b'), "{json:?}");
}

#[test]
fn patch_needs_apply_and_a_dry_run_simulates_exactly_the_pending_updates() {
    let (_dir, home) = new_home();
    let assert = phiguard(&home).args(["host", "patch"]).assert().code(2);
    assert!(stderr_of(&assert).contains("add --apply"));

    if !Path::new("/var/lib/dpkg/status").exists() {
        phiguard_testkit::missing("a dpkg database", "run the tests on Debian or Ubuntu");
        return;
    }
    if phiguard_testkit::program("apt-get", "apt").is_none() {
        return;
    }
    let output = phiguard(&home)
        .args([
            "host",
            "patch",
            "--apply",
            "--security-only",
            "--dry-run",
            "--json",
        ])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let result = json(&output.stdout);
    assert_eq!(result["dry_run"], true);
    let command: Vec<&str> = result["command"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    assert!(command.contains(&"--simulate"), "{command:?}");
    // What was asked is what the patch check reports as pending security updates.
    let (_, checked) = {
        let output = phiguard(&home)
            .args(["host", "check", "--only", "patches", "--json"])
            .output()
            .unwrap();
        (output.status.code(), json(&output.stdout))
    };
    let pending: Vec<&str> = checked["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["check"] == "host.patches.security_updates" && f["status"] != "pass")
        .map(|f| f["subject"].as_str().unwrap())
        .collect();
    let asked: Vec<&str> = result["updates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u.as_str().unwrap())
        .collect();
    assert_eq!(asked, pending);
    // apt-get simulated one `Inst` per package asked for (dependencies may add more).
    let output_text = result["output"].as_str().unwrap();
    for update in &asked {
        let package = update.split(' ').next().unwrap();
        assert!(
            output_text.contains(&format!("Inst {package} ")) || asked.is_empty(),
            "{package} not in apt-get's simulation:\n{output_text}"
        );
    }
    // The attempt is in the ledger.
    let entry = phiguard(&home)
        .args(["ledger", "show", "--json"])
        .arg(result["evidence"]["seq"].to_string())
        .output()
        .unwrap();
    assert_eq!(json(&entry.stdout)[0]["entry"]["kind"], "host.patch");
}

#[test]
fn a_patch_run_that_fails_says_why_and_is_still_recorded() {
    if !Path::new("/var/lib/dpkg/status").exists() {
        phiguard_testkit::missing("a dpkg database", "run the tests on Debian or Ubuntu");
        return;
    }
    let (_dir, home) = new_home();
    let (_, checked) = {
        let output = phiguard(&home)
            .args(["host", "check", "--only", "patches", "--json"])
            .output()
            .unwrap();
        (output.status.code(), json(&output.stdout))
    };
    let pending = checked["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["check"] == "host.patches.other_updates" && f["status"] != "pass");
    if !pending {
        phiguard_testkit::missing(
            "a pending update on this machine",
            "run the tests on a machine whose apt lists offer an update",
        );
        return;
    }
    // No apt-get on PATH: the run fails, says so, and the attempt is in the ledger.
    let assert = phiguard(&home)
        .env("PATH", "/nonexistent")
        .args(["host", "patch", "--apply"])
        .assert()
        .code(2);
    let stderr = stderr_of(&assert);
    assert!(stderr.contains("could not run apt-get"), "{stderr}");
    assert!(stderr.contains("recorded in the ledger"), "{stderr}");
    let tail = phiguard(&home)
        .args(["ledger", "tail", "-n", "1", "--json"])
        .output()
        .unwrap();
    let tail = json(&tail.stdout);
    let entry = &tail[0]["entry"];
    assert_eq!(entry["kind"], "host.patch", "{tail:#}");
    assert_eq!(entry["body"]["exit_code"], serde_json::Value::Null);
    assert_eq!(entry["body"]["dry_run"], false);
}
