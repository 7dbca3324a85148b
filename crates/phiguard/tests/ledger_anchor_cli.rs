//! The ledger cannot vanish or go back in time unnoticed, through the real binary: a deleted,
//! emptied, truncated or rolled-back database fails `ledger verify` against the witness file;
//! a rollback of the whole home fails against a checkpoint cosigned by another installation;
//! `verify` creates nothing; every recording command leaves its entries signed; and the
//! body readers are bounded.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failure with its location

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

mod common;
use common::{json, new_home, phiguard, sqlite_exec, stderr_of};

fn append(home: &Path, n: u64) {
    phiguard(home)
        .args(["ledger", "append", "--kind", "test.event", "--body"])
        .arg(format!("{{\"n\":{n}}}"))
        .assert()
        .success();
}

/// `ledger verify --json` (with `extra` arguments): exit code and report.
fn verify(home: &Path, extra: &[&str]) -> (i32, Value) {
    let out = phiguard(home)
        .args(["--json", "ledger", "verify"])
        .args(extra)
        .assert();
    let code = out.get_output().status.code().unwrap();
    (code, json(&out.get_output().stdout))
}

fn problem(report: &Value) -> String {
    report["message"].as_str().unwrap_or_default().to_owned()
}

#[test]
fn every_recording_command_leaves_its_entries_signed_and_witnessed() {
    let (_tmp, home) = new_home();
    append(&home, 0);
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
    let (code, report) = verify(&home, &[]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["report"]["unsigned_entries"], 0, "{report:#}");
    assert_eq!(
        report["report"]["anchors"][0]["size"],
        report["report"]["entries"]
    );
    assert!(home.join("ledger.witness").exists());
}

#[test]
fn a_deleted_database_fails_verification_and_is_not_recreated() {
    let (_tmp, home) = new_home();
    append(&home, 0);
    append(&home, 1);
    for suffix in ["", "-wal", "-shm"] {
        std::fs::remove_file(home.join(format!("phiguard.db{suffix}"))).ok();
    }
    let (code, report) = verify(&home, &[]);
    assert_eq!(code, 1, "{report:#}");
    let message = problem(&report);
    assert!(
        message.contains("does not exist") && message.contains("2 entries"),
        "{message}"
    );
    assert!(
        !home.join("phiguard.db").exists(),
        "verify created a database"
    );
}

#[test]
fn an_emptied_or_rolled_back_database_fails_verification() {
    let (tmp, home) = new_home();
    append(&home, 0);
    let old = tmp.path().join("old.db");
    std::fs::copy(home.join("phiguard.db"), &old).unwrap();
    append(&home, 1);
    append(&home, 2);

    // Rolled back to the older copy.
    let current = tmp.path().join("current.db");
    std::fs::copy(home.join("phiguard.db"), &current).unwrap();
    std::fs::copy(&old, home.join("phiguard.db")).unwrap();
    let (code, report) = verify(&home, &[]);
    assert_eq!(code, 1, "{report:#}");
    assert!(problem(&report).contains("rolled back"), "{report:#}");
    // And no command may sign over it: the append is kept, the signature refused, exit 2.
    let out = phiguard(&home)
        .args(["ledger", "append", "--kind", "test.event", "--body", "{}"])
        .assert()
        .code(2);
    assert!(stderr_of(&out).contains("signing now would hide what happened"));

    // Every entry and checkpoint deleted.
    std::fs::copy(&current, home.join("phiguard.db")).unwrap();
    sqlite_exec(&home, "DELETE FROM ledger_entries");
    sqlite_exec(&home, "DELETE FROM ledger_checkpoints");
    let (code, report) = verify(&home, &[]);
    assert_eq!(code, 1, "{report:#}");
    assert!(problem(&report).contains("holds 0"), "{report:#}");
}

#[test]
fn a_truncated_postgres_ledger_fails_verification() {
    let Some(db) = common::postgres_database() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let on_db = |args: &[&str]| {
        let mut cmd = phiguard(&home);
        cmd.args(["--database", db.url()]).args(args);
        cmd
    };
    on_db(&["init", "-q"]).assert().success();
    for n in 0..3 {
        on_db(&["ledger", "append", "--kind", "test.event", "--body"])
            .arg(format!("{{\"n\":{n}}}"))
            .assert()
            .success();
    }
    common::database_exec(db.url(), "TRUNCATE ledger_entries, ledger_checkpoints");
    let out = on_db(&["--json", "ledger", "verify"]).assert().code(1);
    let report = json(&out.get_output().stdout);
    assert!(problem(&report).contains("holds 0"), "{report:#}");
}

#[test]
fn verify_without_a_home_creates_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("nowhere");
    let out = phiguard(&home).args(["ledger", "verify"]).assert().code(2);
    assert!(
        stderr_of(&out).contains("no phiguard home"),
        "{}",
        stderr_of(&out)
    );
    assert!(!home.exists());
}

#[test]
fn a_cosigned_checkpoint_kept_elsewhere_catches_a_rollback_of_the_whole_home() {
    let (tmp, home) = new_home();
    let auditor = tmp.path().join("auditor");
    phiguard(&auditor).args(["init", "-q"]).assert().success();
    let log_key = tmp.path().join("clinic.vkey");
    let out = phiguard(&home).args(["ledger", "key"]).assert().success();
    std::fs::write(&log_key, &out.get_output().stdout).unwrap();
    let witness_key = tmp.path().join("auditor.vkey");
    let out = phiguard(&auditor)
        .args(["ledger", "witness", "key"])
        .assert()
        .success();
    std::fs::write(&witness_key, &out.get_output().stdout).unwrap();

    let checkpoint_file = |name: &str| {
        let out = phiguard(&home)
            .args(["ledger", "checkpoint"])
            .assert()
            .success();
        let path = tmp.path().join(name);
        std::fs::write(&path, &out.get_output().stdout).unwrap();
        path
    };
    let cosign = |checkpoint: &Path, proof: Option<&Path>| {
        let mut cmd = phiguard(&auditor);
        cmd.args(["ledger", "witness", "cosign", "--log-key"])
            .arg(&log_key)
            .arg("--checkpoint")
            .arg(checkpoint);
        if let Some(proof) = proof {
            cmd.arg("--proof").arg(proof);
        }
        cmd.assert()
    };

    append(&home, 0);
    let first = checkpoint_file("first.note");
    cosign(&first, None).success();
    // The home as it is now, kept to roll back to later.
    let backup = tmp.path().join("home-backup");
    copy_dir(&home, &backup);

    append(&home, 1);
    append(&home, 2);
    let second = checkpoint_file("second.note");
    // Without the proof from the last cosigned size, the witness refuses.
    let refused = cosign(&second, None).code(1);
    assert!(
        String::from_utf8_lossy(&refused.get_output().stdout).contains("consistency proof"),
        "{}",
        String::from_utf8_lossy(&refused.get_output().stdout)
    );
    let proof = tmp.path().join("proof.json");
    let out = phiguard(&home)
        .args(["--json", "ledger", "consistency", "1", "3"])
        .assert()
        .success();
    std::fs::write(&proof, &out.get_output().stdout).unwrap();
    let cosigned = tmp.path().join("cosigned.note");
    let out = cosign(&second, Some(&proof)).success();
    std::fs::write(&cosigned, &out.get_output().stdout).unwrap();
    // A checkpoint going back is refused by the witness.
    let refused = cosign(&first, None).code(1);
    assert!(String::from_utf8_lossy(&refused.get_output().stdout).contains("rolled back"));

    let anchored = [
        "--checkpoint",
        cosigned.to_str().unwrap(),
        "--witness-key",
        witness_key.to_str().unwrap(),
    ];
    let (code, report) = verify(&home, &anchored);
    assert_eq!(code, 0, "{report:#}");

    // The whole home (database, witness file, keys) rolled back to the backup: it verifies
    // on its own, but not against the auditor's cosigned checkpoint.
    std::fs::remove_dir_all(&home).unwrap();
    copy_dir(&backup, &home);
    let (code, _) = verify(&home, &[]);
    assert_eq!(code, 0, "the home alone cannot tell");
    let (code, report) = verify(&home, &anchored);
    assert_eq!(code, 1, "{report:#}");
    assert!(problem(&report).contains("cosigned.note"), "{report:#}");

    // A checkpoint file without the required cosignature does not count as one.
    let out = phiguard(&home)
        .args(["ledger", "verify", "--checkpoint"])
        .arg(&second)
        .arg("--witness-key")
        .arg(&witness_key)
        .assert()
        .code(2);
    assert!(
        stderr_of(&out).contains("cannot vouch"),
        "{}",
        stderr_of(&out)
    );

    // The auditor checks an exported bundle against the same cosigned checkpoint.
    let bundle = tmp.path().join("bundle");
    phiguard(&home)
        .args(["ledger", "export", "--out"])
        .arg(&bundle)
        .assert()
        .success();
    let out = phiguard(&auditor)
        .args(["--json", "ledger", "verify", "--bundle"])
        .arg(&bundle)
        .arg("--key")
        .arg(&log_key)
        .args(anchored)
        .assert()
        .code(1);
    assert!(problem(&json(&out.get_output().stdout)).contains("ledger holds 1"));
}

fn copy_dir(from: &Path, to: &Path) {
    let status = std::process::Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn endless_and_huge_bodies_are_refused_with_the_limit() {
    let (tmp, home) = new_home();
    let sparse = tmp.path().join("huge.json");
    std::fs::File::create(&sparse)
        .unwrap()
        .set_len(10 << 30)
        .unwrap();
    let started = Instant::now();
    for body in ["@/dev/zero".to_owned(), format!("@{}", sparse.display())] {
        let out = phiguard(&home)
            .args(["ledger", "append", "--kind", "test.event", "--body", &body])
            .assert()
            .code(2);
        assert!(
            stderr_of(&out).contains("16777216 bytes"),
            "{}",
            stderr_of(&out)
        );
    }
    // stdin from /dev/zero itself (assert_cmd would read a piped file whole first).
    let from_zero = |extra: &str| {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("phiguard"));
        let zero = std::fs::File::open("/dev/zero").unwrap();
        cmd.env_remove("PHIGUARD_HOME")
            .arg("--home")
            .arg(&home)
            .args(["ledger", "append", "--kind", "test.event", extra])
            .stdin(zero)
            .output()
            .unwrap()
    };
    for (flag, expected) in [
        ("--body=-", "16777216 bytes"),
        ("--lines", "line 1 is longer"),
    ] {
        let out = from_zero(flag);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flag}: {stderr}");
        assert!(stderr.contains(expected), "{flag}: {stderr}");
    }
    // Bounded: each refusal reads 16 MiB at most, never 10 GiB. A generous bound, only to
    // catch a reader that reads it all.
    assert!(started.elapsed() < Duration::from_secs(120));
    let (code, report) = verify(&home, &[]);
    assert_eq!((code, report["report"]["entries"].as_u64()), (0, Some(0)));
}

#[test]
fn append_lines_prints_one_json_line_per_entry_and_refuses_duplicate_keys() {
    let (_tmp, home) = new_home();
    let out = phiguard(&home)
        .args(["ledger", "append", "--kind", "test.event", "--lines"])
        .write_stdin("{\"n\":1}\n\n{\"n\":2}\n")
        .assert()
        .success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert_eq!(lines[1]["seq"], 1);
    let out = phiguard(&home)
        .args(["ledger", "append", "--kind", "test.event", "--lines"])
        .write_stdin("{\"n\":3}\n{\"result\":\"ok\",\"result\":\"failed\"}\n")
        .assert()
        .code(2);
    assert!(stderr_of(&out).contains("line 2") && stderr_of(&out).contains("appears twice"));
    let (code, report) = verify(&home, &[]);
    assert_eq!(code, 0);
    assert_eq!(
        report["report"]["entries"], 3,
        "the line before the bad one is kept"
    );
}

#[test]
fn a_long_stream_is_signed_as_it_goes() {
    let (_tmp, home) = new_home();
    let config = home.join("phiguard.toml");
    let text = std::fs::read_to_string(&config).unwrap().replace(
        "checkpoint_every_entries = 10000",
        "checkpoint_every_entries = 5",
    );
    std::fs::write(&config, text).unwrap();
    // A stream that trickles in, as `tail -f` gives it: eight groups of five lines.
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("phiguard"))
        .env_remove("PHIGUARD_HOME")
        .arg("--home")
        .arg(&home)
        .args(["ledger", "append", "--kind", "test.event", "--lines"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    for group in 0..8 {
        use std::io::Write;
        for n in group * 5..group * 5 + 5 {
            writeln!(stdin, "{{\"n\":{n}}}").unwrap();
        }
        stdin.flush().unwrap();
        std::thread::sleep(Duration::from_millis(250));
    }
    drop(stdin);
    assert!(child.wait().unwrap().success());
    let (code, report) = verify(&home, &[]);
    assert_eq!(code, 0, "{report:#}");
    let checkpoints = report["report"]["checkpoints"].as_u64().unwrap();
    // Signed while the stream ran (one at a time, beside the appends), and once at the end.
    assert!(checkpoints >= 2, "{report:#}");
    assert_eq!(report["report"]["unsigned_entries"], 0);
    assert_eq!(report["report"]["latest_checkpoint"], 40);
}
