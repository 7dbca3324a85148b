//! `phiguard ledger …` through the real binary, including a process killed mid-append.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failure with its location

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use assert_cmd::Command;
use serde_json::Value;

mod common;
use common::{new_home, phiguard, sqlite_exec};

fn json_of(cmd: &mut Command) -> Value {
    let out = cmd.arg("--json").assert().success();
    serde_json::from_slice(&out.get_output().stdout).unwrap()
}

#[test]
fn append_show_tail_prove_and_consistency() {
    let (_tmp, home) = new_home();
    for n in 0..6 {
        let body = format!("{{\"n\":{n}}}");
        let reference = json_of(phiguard(&home).args([
            "ledger",
            "append",
            "--kind",
            "test.event",
            "--body",
            &body,
        ]));
        assert_eq!(reference["seq"], n);
    }
    let shown = json_of(phiguard(&home).args(["ledger", "show", "4"]));
    assert_eq!(shown[0]["entry"]["body"]["n"], 4);
    assert_eq!(shown[0]["entry"]["kind"], "test.event");
    let text = shown[0]["text"].as_str().unwrap();
    assert!(text.starts_with("{\"body\":{\"n\":4}"), "{text}");
    assert!(
        shown[0]["entry"]["source"]["agent"]
            .as_str()
            .unwrap()
            .starts_with("phiguard/")
    );
    let tail = json_of(phiguard(&home).args(["ledger", "tail", "-n", "2"]));
    assert_eq!(tail.as_array().unwrap().len(), 2);
    assert_eq!(tail[1]["seq"], 5);

    let checkpoint = json_of(phiguard(&home).args(["ledger", "checkpoint"]));
    assert_eq!(checkpoint["size"], 6);
    let proof = json_of(phiguard(&home).args(["ledger", "prove", "2"]));
    assert_eq!(proof["size"], 6, "proves against the newest checkpoint");
    assert_eq!(proof["root"], checkpoint["root"]);
    assert_eq!(proof["checkpoint"], checkpoint["note"]);
    assert_eq!(proof["leaf_hash"], shown_leaf(&home, 2));
    let consistency = json_of(phiguard(&home).args(["ledger", "consistency", "3", "6"]));
    assert_eq!(consistency["new_root"], checkpoint["root"]);

    let out = phiguard(&home)
        .args(["ledger", "show", "99"])
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(err.contains("there is no entry 99"), "{err}");
}

#[test]
fn a_lost_signing_key_is_not_silently_replaced() {
    let (_tmp, home) = new_home();
    phiguard(&home)
        .args(["ledger", "append", "--kind", "test.event", "--body", "{}"])
        .assert()
        .success();
    phiguard(&home)
        .args(["ledger", "checkpoint"])
        .assert()
        .success();
    std::fs::remove_file(home.join("keys/ledger.key")).unwrap();
    let out = phiguard(&home).args(["ledger", "verify"]).assert().code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        err.contains("is missing") && err.contains("Restore the key"),
        "{err}"
    );
    assert!(!home.join("keys/ledger.key").exists());
}

/// Appends entries `{"n": 0}` … `{"n": count - 1}` through `ledger append --lines`.
fn append_numbered(home: &Path, count: u64) {
    phiguard(home)
        .args(["ledger", "append", "--kind", "test.event", "--lines"])
        .write_stdin(
            (0..count)
                .map(|n| format!("{{\"n\":{n}}}\n"))
                .collect::<String>(),
        )
        .assert()
        .success();
}

fn shown_leaf(home: &Path, seq: u64) -> Value {
    json_of(phiguard(home).args(["ledger", "show", &seq.to_string()]))[0]["leaf_hash"].clone()
}

#[test]
fn bad_bodies_and_kinds_are_refused_with_the_reason() {
    let (_tmp, home) = new_home();
    let out = phiguard(&home)
        .args([
            "ledger",
            "append",
            "--kind",
            "test.event",
            "--body",
            "{not json",
        ])
        .assert()
        .code(2);
    assert!(String::from_utf8_lossy(&out.get_output().stderr).contains("not valid JSON"));
    let out = phiguard(&home)
        .args(["ledger", "append", "--kind", "Bad Kind", "--body", "{}"])
        .assert()
        .code(2);
    assert!(String::from_utf8_lossy(&out.get_output().stderr).contains("dotted lowercase"));
    // A bad line in a stream keeps what came before it.
    let out = phiguard(&home)
        .args(["ledger", "append", "--kind", "test.event", "--lines"])
        .write_stdin("{\"a\":1}\n{\"a\":2}\nnot json\n{\"a\":4}\n")
        .assert()
        .code(2);
    assert!(String::from_utf8_lossy(&out.get_output().stderr).contains("line 3"));
    let tail = json_of(phiguard(&home).args(["ledger", "tail"]));
    assert_eq!(tail.as_array().unwrap().len(), 2);
}

#[test]
fn verify_exits_1_naming_the_altered_entry() {
    let (_tmp, home) = new_home();
    append_numbered(&home, 10);
    phiguard(&home)
        .args(["ledger", "checkpoint"])
        .assert()
        .success();
    phiguard(&home)
        .args(["ledger", "verify"])
        .assert()
        .success();
    sqlite_exec(
        &home,
        "UPDATE ledger_entries SET entry = REPLACE(entry, '\"n\":6', '\"n\":7') WHERE seq = 6",
    );
    let out = phiguard(&home)
        .args(["ledger", "verify", "--json"])
        .assert()
        .code(1);
    let verdict: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(verdict["valid"], false);
    assert_eq!(verdict["problem"]["type"], "entry_altered");
    assert_eq!(verdict["problem"]["seq"], 6);
    let out = phiguard(&home).args(["ledger", "verify"]).assert().code(1);
    assert!(String::from_utf8_lossy(&out.get_output().stdout).contains("entry 6 was altered"));
}

#[test]
fn a_bundle_verifies_offline_without_any_home() {
    let (tmp, home) = new_home();
    append_numbered(&home, 40);
    let bundle = tmp.path().join("bundle");
    let manifest = json_of(
        phiguard(&home)
            .args(["ledger", "export", "--out"])
            .arg(&bundle),
    );
    assert_eq!(manifest["entries"], 40);
    let key = String::from_utf8(
        phiguard(&home)
            .args(["ledger", "key"])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone(),
    )
    .unwrap();
    let key_file = tmp.path().join("clinic.verifier");
    std::fs::write(&key_file, &key).unwrap();

    // No --home at all, in an empty directory: nothing may be created.
    let elsewhere = tempfile::tempdir().unwrap();
    let mut offline = Command::cargo_bin("phiguard").unwrap();
    offline
        .env_remove("PHIGUARD_HOME")
        .current_dir(elsewhere.path())
        .args(["ledger", "verify", "--bundle"])
        .arg(&bundle)
        .arg("--key")
        .arg(&key_file)
        .assert()
        .success();
    assert_eq!(std::fs::read_dir(elsewhere.path()).unwrap().count(), 0);

    let entries = bundle.join("entries.jsonl");
    let text = std::fs::read_to_string(&entries).unwrap();
    std::fs::write(&entries, text.replacen("\"n\":12}", "\"n\":13}", 1)).unwrap();
    let out = phiguard(&home)
        .args(["ledger", "verify", "--bundle"])
        .arg(&bundle)
        .args(["--key", key.trim()])
        .assert()
        .code(1);
    assert!(
        String::from_utf8_lossy(&out.get_output().stdout).contains("does not match the entries")
    );
}

/// Kills `phiguard ledger append --lines` with SIGKILL at a random moment, 20 times. Every
/// append acknowledged before a kill must be present afterwards with the same leaf hash,
/// and the ledger must verify after every kill.
#[test]
fn appends_acknowledged_before_a_kill_survive_it() {
    let (_tmp, home) = new_home();
    let binary = assert_cmd::cargo::cargo_bin("phiguard");
    let mut acknowledged: HashMap<u64, String> = HashMap::new();
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64;
    for round in 0..20 {
        let mut child = std::process::Command::new(&binary)
            .env_remove("PHIGUARD_DATABASE_URL")
            .arg("--home")
            .arg(&home)
            .args([
                "ledger",
                "append",
                "--kind",
                "test.crash",
                "--lines",
                "--json",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let feeder = std::thread::spawn(move || {
            for i in 0u64.. {
                if writeln!(stdin, "{{\"round\":{round},\"i\":{i}}}").is_err() {
                    break;
                }
            }
        });
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .collect::<Vec<String>>()
        });
        // xorshift: a different moment each round, from 30 to 330 ms after start.
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        std::thread::sleep(Duration::from_millis(30 + seed % 300));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        feeder.join().unwrap();
        for line in reader.join().unwrap() {
            // The last line may have been cut by the kill: it was not an acknowledgment.
            let Ok(ack) = serde_json::from_str::<Value>(&line) else {
                continue;
            };
            let seq = ack["seq"].as_u64().unwrap();
            let leaf = ack["leaf_hash"].as_str().unwrap().to_owned();
            assert!(
                acknowledged.insert(seq, leaf).is_none(),
                "seq {seq} acknowledged twice"
            );
        }
        phiguard(&home)
            .args(["ledger", "verify"])
            .assert()
            .success();
    }
    assert!(
        acknowledged.len() >= 20,
        "too few appends were acknowledged to test anything"
    );
    let tail = json_of(phiguard(&home).args(["ledger", "tail", "-n", "100000000"]));
    let stored: HashMap<u64, String> = tail
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["seq"].as_u64().unwrap(),
                e["leaf_hash"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for (seq, leaf) in &acknowledged {
        assert_eq!(
            stored.get(seq),
            Some(leaf),
            "acknowledged entry {seq} was lost or changed"
        );
    }
}

fn text_of(cmd: &mut Command, code: i32) -> String {
    let out = cmd.assert().code(code);
    String::from_utf8_lossy(&out.get_output().stdout).into_owned()
}

#[test]
fn prove_gives_a_verdict_checked_against_the_signed_checkpoint() {
    let (_tmp, home) = new_home();
    append_numbered(&home, 1000);
    let checkpoint = json_of(phiguard(&home).args(["ledger", "checkpoint"]));
    assert_eq!(checkpoint["size"], 1000);
    let key = text_of(phiguard(&home).args(["ledger", "key"]), 0);
    // name+id+base64: the name and id the signature line names.
    let parts: Vec<&str> = key.trim().splitn(3, '+').collect();
    let key_name = format!("{}+{}", parts[0], parts[1]);

    let verdict = text_of(phiguard(&home).args(["ledger", "prove", "42"]), 0);
    assert_eq!(
        verdict.lines().next().unwrap(),
        format!(
            "entry 42 is included in the checkpoint of size 1,000, root {}, signed by {key_name}",
            checkpoint["root"].as_str().unwrap()
        ),
        "{verdict}"
    );
    // The proof itself, for machines, as before.
    let proof = json_of(phiguard(&home).args(["ledger", "prove", "42"]));
    assert_eq!(proof["seq"], 42);
    assert_eq!(proof["size"], 1000);
    assert_eq!(proof["root"], checkpoint["root"]);
    assert_eq!(proof["leaf_hash"], shown_leaf(&home, 42));
    assert_eq!(proof["proof"].as_array().unwrap().len(), 10);
    assert_eq!(proof["checkpoint"], checkpoint["note"]);

    // A size no checkpoint signed: included, but nothing vouches for that root.
    let unsigned = text_of(
        phiguard(&home).args(["ledger", "prove", "42", "--size", "500"]),
        0,
    );
    assert!(
        unsigned.contains("entry 42 is included in the tree of size 500, root ")
            && unsigned.contains("no signed checkpoint covers that size"),
        "{unsigned}"
    );

    // An entry altered in the database no longer hashes to its leaf.
    sqlite_exec(
        &home,
        "UPDATE ledger_entries SET entry = REPLACE(entry, '\"n\":42', '\"n\":43') WHERE seq = 42",
    );
    let altered = text_of(phiguard(&home).args(["ledger", "prove", "42"]), 1);
    assert!(altered.starts_with("ENTRY 42 IS NOT PROVED"), "{altered}");
    assert!(altered.contains("does not hash to the leaf"), "{altered}");

    // A checkpoint whose signature was altered (a few of its base64 characters) fails it.
    sqlite_exec(
        &home,
        "UPDATE ledger_checkpoints SET note = substr(note, 1, length(note) - 10) || 'AAAAAAA' \
         || substr(note, length(note) - 2) WHERE size = 1000",
    );
    let forged = text_of(phiguard(&home).args(["ledger", "prove", "7"]), 1);
    assert!(forged.starts_with("ENTRY 7 IS NOT PROVED"), "{forged}");
    assert!(forged.contains("signature"), "{forged}");
}
