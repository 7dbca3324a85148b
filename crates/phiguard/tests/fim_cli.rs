#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `phiguard fim init | check | update` run as the real binary on temporary trees: every class
//! of change with the attributes it must name, exit codes, accepting changes, what the ledger
//! keeps (counts and a digest, never paths), names that are not UTF-8, unreadable paths (as
//! `nobody`), other file systems, and the same mutations checked by AIDE, every path of whose
//! report phiguard must report too.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::{json, phiguard, stderr_of};
use phiguard_fim::scan::display;
use rustix::fs::{Mode, makedev};
use serde_json::Value;

/// A home, and a tree to monitor beside it, in a temporary directory under /tmp (a disk file
/// system with extended attributes and ACLs).
struct Setup {
    tmp: tempfile::TempDir,
    home: PathBuf,
    tree: PathBuf,
}

fn setup() -> Setup {
    let tmp = tempfile::Builder::new()
        .prefix("phiguard-fim-cli-")
        .tempdir_in("/tmp")
        .unwrap();
    let home = tmp.path().join("home");
    let tree = tmp.path().join("tree");
    fs::create_dir(&tree).unwrap();
    phiguard(&home)
        .args(["init", "--name", "clinic-a"])
        .assert()
        .success();
    Setup { tmp, home, tree }
}

/// Runs `phiguard --json fim SUBCOMMAND TREE ARGS…`; returns the exit code (0 or 1, anything
/// else fails) and the JSON it printed.
fn fim(home: &Path, subcommand: &str, tree: &Path, args: &[&str]) -> (i32, Value) {
    let out = phiguard(home)
        .args(["--json", "fim", subcommand])
        .arg(tree)
        .args(args)
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    let code = out.status.code().unwrap_or(-1);
    assert!(
        code == 0 || code == 1,
        "fim {subcommand} exited {code}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (code, json(&out.stdout))
}

fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// Root, or the note that this test needs it (a failure under PHIGUARD_TEST_REQUIRE_ALL=1).
fn require_root(why: &str) -> bool {
    if is_root() {
        return true;
    }
    phiguard_testkit::missing(
        &format!("root ({why})"),
        "run the tests as root, as .ci/run does",
    );
    false
}

fn shown(path: &Path) -> String {
    display(path.as_os_str().as_bytes())
}

fn write(path: &Path, bytes: &[u8], mode: u32) {
    fs::write(path, bytes).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

fn name(tree: &Path, bytes: &[u8]) -> PathBuf {
    tree.join(OsStr::from_bytes(bytes))
}

/// The changes of a `fim check --json` report, by path.
fn changes_by_path(report: &Value) -> BTreeMap<String, Value> {
    report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["path"].as_str().unwrap().to_owned(), c.clone()))
        .collect()
}

fn attributes_of(change: &Value) -> Vec<String> {
    change["attributes"]
        .as_array()
        .map(|all| {
            all.iter()
                .map(|a| a["attribute"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// The ledger's entries, oldest first.
fn ledger(home: &Path) -> Vec<Value> {
    let out = phiguard(home)
        .args(["--json", "ledger", "tail", "-n", "1000"])
        .assert()
        .success();
    json(&out.get_output().stdout).as_array().unwrap().clone()
}

fn fim_entries(home: &Path) -> Vec<Value> {
    ledger(home)
        .into_iter()
        .filter(|e| e["entry"]["kind"].as_str().unwrap().starts_with("fim."))
        .collect()
}

/// Checks the documented shape of `fim check --json` and that the summary counts the changes.
fn assert_report_shape(report: &Value) {
    let keys: BTreeSet<&str> = report
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        BTreeSet::from(["baseline", "summary", "changes", "warnings"]),
        "{report:#}"
    );
    for key in [
        "id",
        "created_at",
        "actor",
        "reason",
        "algorithm",
        "entries",
        "root_hash",
    ] {
        assert!(
            !report["baseline"][key].is_null(),
            "baseline.{key}: {report:#}"
        );
    }
    let summary = report["summary"].as_object().unwrap();
    let summary_keys: BTreeSet<&str> = summary.keys().map(String::as_str).collect();
    assert_eq!(
        summary_keys,
        BTreeSet::from(["added", "removed", "changed", "explained", "unexplained"])
    );
    let changes = report["changes"].as_array().unwrap();
    let count = |kind: &str| changes.iter().filter(|c| c["change"] == kind).count() as u64;
    assert_eq!(summary["added"], count("added"));
    assert_eq!(summary["removed"], count("removed"));
    assert_eq!(summary["changed"], count("changed"));
    let explained = changes
        .iter()
        .filter(|c| c.get("explained_by").is_some())
        .count() as u64;
    assert_eq!(summary["explained"], explained);
    assert_eq!(summary["unexplained"], changes.len() as u64 - explained);
    for change in changes {
        let object = change.as_object().unwrap();
        for key in object.keys() {
            assert!(
                ["path", "change", "attributes", "explained_by"].contains(&key.as_str()),
                "unexpected {key} in {change}"
            );
        }
        assert!(change["path"].is_string(), "{change}");
        let kind = change["change"].as_str().unwrap();
        assert!(["added", "removed", "changed"].contains(&kind), "{change}");
        if kind == "changed" {
            let attributes = change["attributes"].as_array().unwrap();
            assert!(!attributes.is_empty(), "{change}");
            for attribute in attributes {
                let keys: BTreeSet<&str> = attribute
                    .as_object()
                    .unwrap()
                    .keys()
                    .map(String::as_str)
                    .collect();
                assert_eq!(
                    keys,
                    BTreeSet::from(["attribute", "old", "new"]),
                    "{change}"
                );
                assert!(attribute["old"].is_string() && attribute["new"].is_string());
            }
        }
    }
    for warning in report["warnings"].as_array().unwrap() {
        assert!(warning["path"].is_string() && warning["message"].is_string());
    }
}

/// One expected line of a report.
struct Expected {
    name: &'static [u8],
    change: &'static str,
    /// Attributes that must be named.
    attributes: &'static [&'static str],
    /// Attributes that must not be named.
    unchanged: &'static [&'static str],
    /// (attribute, old, new) shown exactly.
    values: &'static [(&'static str, &'static str, &'static str)],
}

const ORIGINAL: &[u8] = b"original content\n";
const TAMPERED: &[u8] = b"tampered content\n";

/// How many paths [`populate`] makes, the tree itself included.
const POPULATED: u64 = 18;

/// A tree with one path for each class of change (owners and devices need root).
fn populate(tree: &Path) {
    write(&tree.join("content.txt"), ORIGINAL, 0o644);
    write(&tree.join("mode.txt"), b"mode\n", 0o644);
    write(&tree.join("setuid-bin"), b"#!/bin/sh\n", 0o755);
    write(&tree.join("owner.txt"), b"owner\n", 0o644);
    write(&tree.join("group.txt"), b"group\n", 0o644);
    std::os::unix::fs::symlink("content.txt", tree.join("link")).unwrap();
    write(&tree.join("replaced"), b"a file, for now\n", 0o644);
    write(&tree.join("linked.txt"), b"one name, for now\n", 0o644);
    write(&tree.join("xattr.txt"), b"xattr\n", 0o644);
    write(&tree.join("acl.txt"), b"acl\n", 0o644);
    write(&tree.join("old-name.txt"), b"renamed\n", 0o644);
    write(&tree.join("deleted.txt"), b"deleted\n", 0o644);
    write(&tree.join("unchanged.txt"), b"unchanged\n", 0o644);
    rustix::fs::mkfifoat(
        rustix::fs::CWD,
        tree.join("pipe"),
        Mode::from_raw_mode(0o644),
    )
    .unwrap();
    mknod_char(&tree.join("dev-null"), 1, 3);
    fs::create_dir(tree.join("sub")).unwrap();
    write(&tree.join("sub/nested.txt"), b"nested\n", 0o644);
}

fn mknod_char(path: &Path, major: u32, minor: u32) {
    rustix::fs::mknodat(
        rustix::fs::CWD,
        path,
        rustix::fs::FileType::CharacterDevice,
        Mode::from_raw_mode(0o600),
        makedev(major, minor),
    )
    .unwrap_or_else(|e| panic!("mknod {}: {e}", path.display()));
}

/// An access ACL (the `system.posix_acl_access` value) that adds read access for `uid`.
fn acl_granting_read_to(uid: u32) -> Vec<u8> {
    const UNDEFINED: u32 = u32::MAX;
    let mut value = 2u32.to_le_bytes().to_vec();
    for (tag, perm, id) in [
        (0x01u16, 6u16, UNDEFINED), // user::rw-
        (0x02, 4, uid),             // user:UID:r--
        (0x04, 4, UNDEFINED),       // group::r--
        (0x10, 4, UNDEFINED),       // mask::r--
        (0x20, 4, UNDEFINED),       // other::r--
    ] {
        value.extend(tag.to_le_bytes());
        value.extend(perm.to_le_bytes());
        value.extend(id.to_le_bytes());
    }
    value
}

/// Applies every class of change the issue names to a [`populate`]d tree; returns what a
/// check must report.
fn mutate(tree: &Path) -> Vec<Expected> {
    // Content changed, with size and times put back: only the hash (and ctime) can tell.
    let content = tree.join("content.txt");
    let meta = fs::metadata(&content).unwrap();
    let times = fs::FileTimes::new()
        .set_accessed(meta.accessed().unwrap())
        .set_modified(meta.modified().unwrap());
    fs::write(&content, TAMPERED).unwrap();
    fs::File::options()
        .write(true)
        .open(&content)
        .unwrap()
        .set_times(times)
        .unwrap();
    assert_eq!(
        fs::metadata(&content).unwrap().modified().unwrap(),
        meta.modified().unwrap()
    );

    fs::set_permissions(tree.join("mode.txt"), fs::Permissions::from_mode(0o600)).unwrap();
    fs::set_permissions(tree.join("setuid-bin"), fs::Permissions::from_mode(0o4755)).unwrap();
    std::os::unix::fs::lchown(tree.join("owner.txt"), Some(65534), None).unwrap();
    std::os::unix::fs::lchown(tree.join("group.txt"), None, Some(65534)).unwrap();
    fs::remove_file(tree.join("link")).unwrap();
    std::os::unix::fs::symlink("mode.txt", tree.join("link")).unwrap();
    fs::remove_file(tree.join("replaced")).unwrap();
    fs::create_dir(tree.join("replaced")).unwrap();
    fs::hard_link(tree.join("linked.txt"), tree.join("linked-too.txt")).unwrap();
    rustix::fs::lsetxattr(
        tree.join("xattr.txt"),
        "user.phiguard",
        b"1",
        rustix::fs::XattrFlags::empty(),
    )
    .unwrap();
    rustix::fs::lsetxattr(
        tree.join("acl.txt"),
        "system.posix_acl_access",
        &acl_granting_read_to(65534),
        rustix::fs::XattrFlags::empty(),
    )
    .unwrap();
    fs::rename(tree.join("old-name.txt"), tree.join("new-name.txt")).unwrap();
    fs::remove_file(tree.join("deleted.txt")).unwrap();
    write(&tree.join("added.txt"), b"added\n", 0o644);
    write(&name(tree, b"caf\xe9.txt"), b"latin-1 name\n", 0o644);
    fs::remove_file(tree.join("dev-null")).unwrap();
    mknod_char(&tree.join("dev-null"), 1, 5);

    let changed = |name, attributes, values| Expected {
        name,
        change: "changed",
        attributes,
        unchanged: &[],
        values,
    };
    let plain = |name, change| Expected {
        name,
        change,
        attributes: &[],
        unchanged: &[],
        values: &[],
    };
    vec![
        Expected {
            name: b"content.txt",
            change: "changed",
            attributes: &["hash", "ctime"],
            unchanged: &["size", "mtime"],
            values: &[],
        },
        changed(b"mode.txt", &["mode", "ctime"], &[("mode", "0644", "0600")]),
        changed(b"setuid-bin", &["mode"], &[("mode", "0755", "4755")]),
        changed(b"owner.txt", &["owner"], &[("owner", "0", "65534")]),
        changed(b"group.txt", &["group"], &[("group", "0", "65534")]),
        changed(
            b"link",
            &["target"],
            &[("target", "content.txt", "mode.txt")],
        ),
        changed(b"replaced", &["type"], &[("type", "file", "directory")]),
        changed(b"linked.txt", &["links", "ctime"], &[("links", "1", "2")]),
        plain(b"linked-too.txt", "added"),
        changed(
            b"xattr.txt",
            &["xattrs"],
            &[("xattrs", "-", "user.phiguard=31")],
        ),
        changed(b"acl.txt", &["acl"], &[]),
        plain(b"old-name.txt", "removed"),
        plain(b"new-name.txt", "added"),
        plain(b"deleted.txt", "removed"),
        plain(b"added.txt", "added"),
        plain(b"caf\xe9.txt", "added"),
        changed(b"dev-null", &["device"], &[]),
    ]
}

fn assert_expected(tree: &Path, report: &Value, expected: &[Expected]) {
    let changes = changes_by_path(report);
    for e in expected {
        let path = shown(&name(tree, e.name));
        let change = changes
            .get(&path)
            .unwrap_or_else(|| panic!("{path} is not reported: {report:#}"));
        assert_eq!(change["change"], e.change, "{change:#}");
        let attributes = attributes_of(change);
        for attribute in e.attributes {
            assert!(
                attributes.iter().any(|a| a == attribute),
                "{path}: {attribute} not among {attributes:?}"
            );
        }
        for attribute in e.unchanged {
            assert!(
                !attributes.iter().any(|a| a == attribute),
                "{path}: {attribute} is among {attributes:?}, yet was put back"
            );
        }
        for (attribute, old, new) in e.values {
            let shown = change["attributes"]
                .as_array()
                .unwrap()
                .iter()
                .find(|a| a["attribute"] == *attribute)
                .unwrap();
            assert_eq!(
                (
                    shown["old"].as_str().unwrap(),
                    shown["new"].as_str().unwrap()
                ),
                (*old, *new),
                "{path}"
            );
        }
    }
}

#[test]
fn every_class_of_change_is_reported_with_the_attributes_that_changed() {
    if !require_root("to change owners and make device nodes") {
        return;
    }
    let s = setup();
    populate(&s.tree);
    let (code, init) = fim(&s.home, "init", &s.tree, &[]);
    assert_eq!(code, 0);
    assert_eq!(init["baseline"]["entries"], POPULATED, "{init:#}");
    assert_eq!(init["baseline"]["reason"], "initial baseline");
    assert_eq!(init["warnings"], serde_json::json!([]), "{init:#}");

    let (code, clean) = fim(&s.home, "check", &s.tree, &[]);
    assert_eq!(code, 0, "{clean:#}");
    assert_report_shape(&clean);
    assert_eq!(clean["changes"], serde_json::json!([]));

    let expected = mutate(&s.tree);
    let (code, report) = fim(&s.home, "check", &s.tree, &[]);
    assert_eq!(code, 1, "unexplained changes exit 1");
    assert_report_shape(&report);
    assert_expected(&s.tree, &report, &expected);
    // Nothing else is reported but the tree itself (its times and link count).
    let mut allowed: BTreeSet<String> = expected
        .iter()
        .map(|e| shown(&name(&s.tree, e.name)))
        .collect();
    allowed.insert(shown(&s.tree));
    for path in changes_by_path(&report).keys() {
        assert!(
            allowed.contains(path),
            "{path} was reported but not changed"
        );
    }
    assert_eq!(report["summary"]["explained"], 0);

    // The same for people: a marker, the path, each attribute old → new, and the totals.
    let text = phiguard(&s.home)
        .args(["fim", "check"])
        .arg(&s.tree)
        .timeout(Duration::from_secs(120))
        .assert()
        .code(1);
    let text = String::from_utf8_lossy(&text.get_output().stdout).into_owned();
    let mode = shown(&s.tree.join("mode.txt"));
    assert!(text.contains(&format!("~   {mode}\n")), "{text}");
    assert!(text.contains("mode     0644 → 0600"), "{text}");
    assert!(
        text.contains(&format!("+   {}", shown(&s.tree.join("added.txt")))),
        "{text}"
    );
    assert!(
        text.contains(&format!("-   {}", shown(&s.tree.join("deleted.txt")))),
        "{text}"
    );
    assert!(text.contains(r"caf\xe9.txt"), "{text}");
    assert!(
        text.contains("4 added, 2 removed, ") && text.contains(" unexplained"),
        "{text}"
    );
}

#[test]
fn update_accepts_the_changes_and_the_ledger_keeps_counts_not_paths() {
    let s = setup();
    // File names in ePHI directories can identify patients.
    write(&s.tree.join("Jane-Doe-MRN-00042.pdf"), b"scan", 0o600);
    write(&s.tree.join("notes.txt"), b"v1", 0o600);
    let (_, init) = fim(&s.home, "init", &s.tree, &[]);
    write(&s.tree.join("John-Roe-MRN-00043.pdf"), b"scan", 0o600);
    write(&s.tree.join("notes.txt"), b"v2 longer", 0o600);
    let (code, dirty) = fim(&s.home, "check", &s.tree, &[]);
    assert_eq!(code, 1);
    assert_eq!(dirty["summary"]["added"], 1);

    let refused = phiguard(&s.home)
        .args(["fim", "update"])
        .arg(&s.tree)
        .assert()
        .code(2);
    assert!(
        stderr_of(&refused).contains("--reason"),
        "{}",
        stderr_of(&refused)
    );
    let blank = phiguard(&s.home)
        .args(["fim", "update"])
        .arg(&s.tree)
        .args(["--reason", "  "])
        .assert()
        .code(2);
    assert!(
        stderr_of(&blank).contains("--reason"),
        "{}",
        stderr_of(&blank)
    );

    let reason = "CHG-1234: new intake scans";
    let (code, update) = fim(
        &s.home,
        "update",
        &s.tree,
        &["--reason", reason, "--actor", "alice"],
    );
    assert_eq!(code, 0);
    assert_eq!(update["baseline"]["id"], 2);
    let accepted_by = update["baseline"]["actor"].as_str().unwrap();
    assert!(accepted_by.starts_with("alice [os: "), "{accepted_by}");
    assert_eq!(update["baseline"]["reason"], reason);
    assert_eq!(update["accepted"], dirty["summary"], "{update:#}");

    let (code, clean) = fim(&s.home, "check", &s.tree, &[]);
    assert_eq!(code, 0, "{clean:#}");
    assert_eq!(clean["changes"], serde_json::json!([]));
    assert_eq!(clean["baseline"]["id"], 2);
    assert_eq!(clean["baseline"]["actor"], accepted_by);

    let entries = fim_entries(&s.home);
    let kinds: Vec<&str> = entries
        .iter()
        .map(|e| e["entry"]["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["fim.baseline", "fim.check", "fim.baseline", "fim.check"]
    );
    let body = |i: usize| &entries[i]["entry"]["body"];
    assert_eq!(body(0)["root_hash"], init["baseline"]["root_hash"]);
    assert_eq!(body(0)["entries"], init["baseline"]["entries"]);
    assert_eq!(body(0)["reason"], "initial baseline");
    assert_eq!(body(2)["root_hash"], update["baseline"]["root_hash"]);
    assert_eq!(body(2)["reason"], reason);
    assert_eq!(body(2)["accepted"], dirty["summary"]);
    for i in [1, 3] {
        let check = body(i).as_object().unwrap();
        let keys: BTreeSet<&str> = check.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            BTreeSet::from(["baseline", "summary", "report_sha256"])
        );
        let digest = check["report_sha256"].as_str().unwrap();
        assert!(
            digest.len() == 64 && digest.bytes().all(|b| b.is_ascii_hexdigit()),
            "{digest}"
        );
        let text = entries[i]["text"].as_str().unwrap();
        for secret in ["MRN", "Jane", "John", "notes", "tree"] {
            assert!(
                !text.contains(secret),
                "a fim.check entry names {secret}: {text}"
            );
        }
    }
    assert_eq!(body(1)["summary"], dirty["summary"]);
    assert_eq!(body(1)["baseline"], 1);
    assert_eq!(body(3)["summary"], clean["summary"]);
    assert_ne!(body(1)["report_sha256"], body(3)["report_sha256"]);
    // Who accepted the changes is evidence too: the ledger, not only the database, says so.
    let recorded_by = [&body(2)["actor"], &entries[2]["entry"]["source"]["actor"]];
    assert!(
        recorded_by
            .iter()
            .any(|a| a.as_str().is_some_and(|a| a.starts_with("alice [os: "))),
        "the fim.baseline entry for `fim update --actor alice` does not name alice: {:#}",
        entries[2]["entry"]
    );
}

#[test]
fn a_clean_check_exits_0_with_the_same_digest_and_without_a_baseline_2() {
    let s = setup();
    write(&s.tree.join("a.txt"), b"a", 0o644);
    let none = phiguard(&s.home)
        .args(["fim", "check"])
        .arg(&s.tree)
        .assert()
        .code(2);
    assert!(
        stderr_of(&none).contains("phiguard fim init"),
        "{}",
        stderr_of(&none)
    );
    fim(&s.home, "init", &s.tree, &[]);
    for _ in 0..2 {
        let (code, report) = fim(&s.home, "check", &s.tree, &[]);
        assert_eq!(code, 0, "{report:#}");
        assert_eq!(
            report["summary"],
            serde_json::json!({"added": 0, "removed": 0, "changed": 0, "explained": 0, "unexplained": 0})
        );
    }
    let checks: Vec<Value> = fim_entries(&s.home)
        .into_iter()
        .filter(|e| e["entry"]["kind"] == "fim.check")
        .collect();
    assert_eq!(checks.len(), 2);
    assert_eq!(
        checks[0]["entry"]["body"]["report_sha256"], checks[1]["entry"]["body"]["report_sha256"],
        "the same report has the same digest"
    );
}

#[test]
fn a_baseline_of_given_paths_is_checked_on_them_and_other_rules_are_refused() {
    let s = setup();
    write(&s.tree.join("a.txt"), b"a", 0o644);
    fim(&s.home, "init", &s.tree, &[]);
    // Without paths, check (and assess) compare the paths the baseline was taken of, not the
    // configured rules (system directories), under which every file would look added or
    // removed.
    let out = phiguard(&s.home)
        .args(["--json", "fim", "check"])
        .assert()
        .success();
    let report = json(&out.get_output().stdout);
    assert_eq!(report["summary"]["unexplained"], 0, "{report:#}");
    write(&s.tree.join("a.txt"), b"changed", 0o644);
    let out = phiguard(&s.home)
        .args(["--json", "assess", "--skip", "host"])
        .assert()
        .success();
    let assessment = json(&out.get_output().stdout);
    let integrity: Vec<&Value> = assessment["controls"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["attention"].as_array().unwrap())
        .filter(|f| f["check"] == "fim.integrity")
        .collect();
    assert!(
        !integrity.is_empty(),
        "assess did not compare the baseline's paths"
    );
    assert!(
        integrity[0]["message"]
            .as_str()
            .unwrap()
            .contains("1 unexplained"),
        "{integrity:?}"
    );
    // `fim update` without paths accepts the change on the same paths.
    phiguard(&s.home)
        .args(["fim", "update", "--reason", "edited on purpose"])
        .assert()
        .success();
    let (code, report) = fim(&s.home, "check", &s.tree, &[]);
    assert_eq!(code, 0, "{report:#}");
    // Other paths than the baseline's are refused, naming both.
    let other = s.tmp.path().join("other");
    fs::create_dir(&other).unwrap();
    let refused = phiguard(&s.home)
        .args(["fim", "check"])
        .arg(&other)
        .assert()
        .code(2);
    let said = stderr_of(&refused);
    assert!(said.contains("taken with other rules"), "{said}");
    assert!(said.contains(&s.tree.display().to_string()), "{said}");
}

#[test]
fn names_that_are_not_utf8_round_trip_through_the_baseline_and_are_shown_escaped() {
    let s = setup();
    let dir = name(&s.tree, b"d\xe9j\xe0");
    fs::create_dir(&dir).unwrap();
    let file = dir.join(OsStr::from_bytes(b"\xff.txt"));
    write(&file, b"one", 0o644);
    // Literally backslash, x, e, 9: must not be confused with the byte 0xe9.
    write(&s.tree.join(r"d\xe9j\xe0"), b"ascii", 0o644);
    write(&s.tree.join("naïve.txt"), b"utf-8", 0o644);
    let (_, init) = fim(&s.home, "init", &s.tree, &[]);
    assert_eq!(init["baseline"]["entries"], 5);
    // Through the store and back: a mangled name would show as removed and added.
    let (code, clean) = fim(&s.home, "check", &s.tree, &[]);
    assert_eq!(code, 0, "{clean:#}");

    write(&file, b"two", 0o644);
    let (code, report) = fim(&s.home, "check", &s.tree, &[]);
    assert_eq!(code, 1);
    let root = shown(&s.tree);
    let changes = changes_by_path(&report);
    assert_eq!(
        changes.keys().collect::<Vec<_>>(),
        [&format!(r"{root}/d\xe9j\xe0/\xff.txt")],
        "{report:#}"
    );
    let text = phiguard(&s.home)
        .args(["fim", "check"])
        .arg(&s.tree)
        .assert()
        .code(1);
    let text = String::from_utf8(text.get_output().stdout.clone()).unwrap();
    assert!(text.contains(r"/d\xe9j\xe0/\xff.txt"), "{text}");

    fim(&s.home, "update", &s.tree, &["--reason", "new content"]);
    fs::remove_dir_all(&dir).unwrap();
    let (_, report) = fim(&s.home, "check", &s.tree, &[]);
    let removed: Vec<String> = changes_by_path(&report)
        .into_iter()
        .filter(|(_, c)| c["change"] == "removed")
        .map(|(p, _)| p)
        .collect();
    assert_eq!(
        removed,
        [
            format!(r"{root}/d\xe9j\xe0"),
            format!(r"{root}/d\xe9j\xe0/\xff.txt")
        ]
    );
}

#[test]
fn a_blake3_baseline_is_checked_with_blake3_only() {
    let s = setup();
    write(&s.tree.join("a.txt"), b"a", 0o644);
    let (_, init) = fim(&s.home, "init", &s.tree, &["--algorithm", "blake3"]);
    assert_eq!(init["baseline"]["algorithm"], "blake3");
    let mismatch = phiguard(&s.home)
        .args(["fim", "check"])
        .arg(&s.tree)
        .assert()
        .code(2);
    assert!(
        stderr_of(&mismatch).contains("--algorithm blake3"),
        "{}",
        stderr_of(&mismatch)
    );
    write(&s.tree.join("a.txt"), b"b", 0o644);
    let (code, report) = fim(&s.home, "check", &s.tree, &["--algorithm", "blake3"]);
    assert_eq!(code, 1);
    let change = &changes_by_path(&report)[&shown(&s.tree.join("a.txt"))];
    let hash = change["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["attribute"] == "hash")
        .unwrap();
    assert!(
        hash["old"].as_str().unwrap().starts_with("blake3:"),
        "{hash}"
    );
    assert!(
        hash["new"].as_str().unwrap().starts_with("blake3:"),
        "{hash}"
    );
    let unknown = phiguard(&s.home)
        .args(["fim", "init"])
        .arg(&s.tree)
        .args(["--algorithm", "md5"])
        .assert()
        .code(2);
    assert!(
        stderr_of(&unknown).contains("sha256 or blake3"),
        "{}",
        stderr_of(&unknown)
    );
}

/// A tmpfs mounted for one test, unmounted when dropped (before the temporary directory).
struct Mount(PathBuf);

impl Mount {
    fn tmpfs(at: &Path) -> Option<Mount> {
        fs::create_dir_all(at).unwrap();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=4m", "phiguard-fim-test"])
            .arg(at)
            .status();
        if status.is_ok_and(|s| s.success()) {
            Some(Mount(at.to_path_buf()))
        } else {
            phiguard_testkit::missing(
                "permission to mount a tmpfs",
                "run the tests as root, as .ci/run does",
            );
            None
        }
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn one_file_system_leaves_other_mounts_alone() {
    if !require_root("to mount a tmpfs") {
        return;
    }
    let s = setup();
    write(&s.tree.join("here.txt"), b"here", 0o644);
    let mount_point = s.tree.join("mnt");
    let Some(_mount) = Mount::tmpfs(&mount_point) else {
        return;
    };
    fs::create_dir(mount_point.join("below")).unwrap();
    write(&mount_point.join("below/there.txt"), b"there", 0o644);

    let (_, init) = fim(&s.home, "init", &s.tree, &["--one-file-system"]);
    assert_eq!(
        init["baseline"]["entries"], 3,
        "the tree, here.txt and the mount point"
    );
    write(&mount_point.join("below/there.txt"), b"changed", 0o644);
    write(&mount_point.join("below/new.txt"), b"new", 0o644);
    let (code, staying) = fim(&s.home, "check", &s.tree, &["--one-file-system"]);
    assert_eq!(code, 0, "{staying:#}");

    let (code, crossing) = fim(&s.home, "check", &s.tree, &[]);
    assert_eq!(code, 1);
    let added: BTreeSet<String> = changes_by_path(&crossing)
        .into_iter()
        .filter(|(_, c)| c["change"] == "added")
        .map(|(p, _)| p)
        .collect();
    assert!(
        added.contains(&shown(&mount_point.join("below/new.txt"))),
        "{crossing:#}"
    );
    assert!(
        added.contains(&shown(&mount_point.join("below"))),
        "{crossing:#}"
    );

    write(&s.tree.join("here.txt"), b"HERE", 0o644);
    let (code, report) = fim(&s.home, "check", &s.tree, &["--one-file-system"]);
    assert_eq!(code, 1);
    assert_eq!(
        changes_by_path(&report).keys().collect::<Vec<_>>(),
        [&shown(&s.tree.join("here.txt"))]
    );
}

#[test]
fn unreadable_directories_and_files_are_warnings_for_a_user_who_cannot_read_them() {
    let s = setup();
    write(&s.tree.join("open.txt"), b"anyone", 0o644);
    write(&s.tree.join("locked.txt"), b"root only", 0o600);
    fs::create_dir(s.tree.join("secret")).unwrap();
    write(&s.tree.join("secret/inner.txt"), b"hidden", 0o644);
    // Root reads everything (CAP_DAC_OVERRIDE): run phiguard as nobody, with its own home.
    let as_user: Box<dyn Fn() -> assert_cmd::Command> = if is_root() {
        let Some(setpriv) = phiguard_testkit::program("setpriv", "util-linux") else {
            return;
        };
        fs::set_permissions(s.tmp.path(), fs::Permissions::from_mode(0o755)).unwrap();
        fs::set_permissions(s.tree.join("secret"), fs::Permissions::from_mode(0o700)).unwrap();
        let home = s.tmp.path().join("nobody-home");
        fs::create_dir(&home).unwrap();
        std::os::unix::fs::chown(&home, Some(65534), Some(65534)).unwrap();
        let binary = assert_cmd::cargo::cargo_bin("phiguard");
        Box::new(move || {
            let mut cmd = assert_cmd::Command::new(&setpriv);
            cmd.args([
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                "--inh-caps=-all",
                "--",
            ])
            .arg(&binary)
            .env_remove("PHIGUARD_HOME")
            .env_remove("PHIGUARD_DATABASE_URL")
            .env_remove("PHIGUARD_LOG")
            .arg("--home")
            .arg(&home);
            cmd
        })
    } else {
        fs::set_permissions(s.tree.join("locked.txt"), fs::Permissions::from_mode(0o000)).unwrap();
        fs::set_permissions(s.tree.join("secret"), fs::Permissions::from_mode(0o000)).unwrap();
        let home = s.home.clone();
        Box::new(move || phiguard(&home))
    };
    if is_root() {
        as_user()
            .args(["init", "--name", "nobody"])
            .assert()
            .success();
    }
    let run = |subcommand: &str, code: i32| {
        let out = as_user()
            .args(["--json", "fim", subcommand])
            .arg(&s.tree)
            .timeout(Duration::from_secs(120))
            .assert()
            .code(code);
        json(&out.get_output().stdout)
    };
    let expect_warnings = |result: &Value| {
        let warnings: BTreeMap<String, String> = result["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| {
                (
                    w["path"].as_str().unwrap().to_owned(),
                    w["message"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(warnings.len(), 2, "{result:#}");
        assert!(
            warnings[&shown(&s.tree.join("secret"))].contains("cannot be listed"),
            "{result:#}"
        );
        assert!(
            warnings[&shown(&s.tree.join("locked.txt"))].contains("content cannot be read"),
            "{result:#}"
        );
    };
    let init = run("init", 0);
    assert_eq!(init["baseline"]["entries"], 4, "{init:#}");
    expect_warnings(&init);
    let clean = run("check", 0);
    expect_warnings(&clean);
    assert_eq!(clean["changes"], serde_json::json!([]));

    // What can be seen of an unreadable file still shows a change.
    let mode = fs::metadata(s.tree.join("locked.txt"))
        .unwrap()
        .permissions();
    fs::set_permissions(s.tree.join("locked.txt"), fs::Permissions::from_mode(0o600)).unwrap();
    fs::write(s.tree.join("locked.txt"), b"root only, changed").unwrap();
    fs::set_permissions(s.tree.join("locked.txt"), mode).unwrap();
    write(&s.tree.join("open.txt"), b"everyone", 0o644);
    let dirty = run("check", 1);
    expect_warnings(&dirty);
    let changes = changes_by_path(&dirty);
    assert!(attributes_of(&changes[&shown(&s.tree.join("open.txt"))]).contains(&"hash".to_owned()));
    assert!(
        attributes_of(&changes[&shown(&s.tree.join("locked.txt"))]).contains(&"size".to_owned())
    );
    if !is_root() {
        fs::set_permissions(s.tree.join("secret"), fs::Permissions::from_mode(0o700)).unwrap();
    }
}

#[test]
fn fim_init_over_a_baseline_is_refused_and_points_to_update() {
    let s = setup();
    write(&s.tree.join("a.txt"), b"a", 0o644);
    let (_, first) = fim(&s.home, "init", &s.tree, &[]);
    // A change that a second `init` would have accepted silently.
    write(&s.tree.join("a.txt"), b"tampered", 0o644);
    let again = phiguard(&s.home)
        .args(["fim", "init"])
        .arg(&s.tree)
        .assert()
        .code(2);
    let err = stderr_of(&again);
    assert!(err.contains("already a baseline"), "{err}");
    assert!(err.contains("phiguard fim update --reason TEXT"), "{err}");
    let (code, report) = fim(&s.home, "check", &s.tree, &[]);
    assert_eq!(code, 1, "the change was accepted: {report:#}");
    assert_eq!(report["baseline"]["id"], first["baseline"]["id"]);
    let (_, updated) = fim(&s.home, "update", &s.tree, &["--reason", "planned edit"]);
    assert_eq!(updated["accepted"]["changed"], 1, "{updated:#}");
}

/// `YYYY-MM-DD HH:MM:SS UTC`, to the second, and nothing finer anywhere in `text`.
fn times_to_the_second(text: &str) -> usize {
    // Shapes, digits as 9: a time to the second, and one with a fraction.
    let shape: String = text
        .chars()
        .map(|c| if c.is_ascii_digit() { '9' } else { c })
        .collect();
    assert!(
        !shape.contains("99:99:99.9") && !shape.contains("99:99:99,9"),
        "a time finer than a second: {text}"
    );
    shape.matches("9999-99-99 99:99:99 UTC").count()
}

#[test]
fn people_read_times_to_the_second() {
    let s = setup();
    let file = s.tree.join("a.txt");
    write(&file, b"a", 0o644);
    let (_, first) = fim(&s.home, "init", &s.tree, &[]);
    // Two seconds on: the new modification time differs from the old at the second too.
    std::thread::sleep(Duration::from_millis(2100));
    write(&file, b"tampered", 0o644);
    let out = phiguard(&s.home)
        .args(["fim", "check"])
        .arg(&s.tree)
        .assert()
        .code(1);
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    // The baseline's time, and the old and new mtime and ctime.
    assert!(times_to_the_second(&text) >= 5, "{text}");
    let mtime = text
        .lines()
        .find(|l| l.trim_start().starts_with("mtime"))
        .unwrap();
    assert!(
        mtime.contains(" UTC → ") && mtime.ends_with(" UTC"),
        "{text}"
    );
    // JSON keeps the exact times.
    let (_, report) = fim(&s.home, "check", &s.tree, &[]);
    assert_eq!(
        report["baseline"]["created_at"],
        first["baseline"]["created_at"]
    );
    let refused = phiguard(&s.home)
        .args(["fim", "init"])
        .arg(&s.tree)
        .assert()
        .code(2);
    assert_eq!(
        times_to_the_second(&stderr_of(&refused)),
        1,
        "{}",
        stderr_of(&refused)
    );
}

#[test]
fn one_path_is_one_path() {
    let s = setup();
    let file = s.tree.join("a.txt");
    write(&file, b"a", 0o644);
    let out = phiguard(&s.home)
        .args(["fim", "init"])
        .arg(&file)
        .assert()
        .success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(text.starts_with("baseline 1 of 1 path ("), "{text}");
}

#[test]
fn fim_commands_have_help_with_examples() {
    for (subcommand, example) in [
        ("init", "phiguard fim init"),
        ("check", "phiguard fim check"),
        ("update", "phiguard fim update --reason"),
    ] {
        let out = assert_cmd::Command::cargo_bin("phiguard")
            .unwrap()
            .args(["fim", subcommand, "--help"])
            .assert()
            .success();
        let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
        assert!(
            text.contains(&format!("Examples:\n  {example}")),
            "fim {subcommand} --help has no example:\n{text}"
        );
    }
    let out = assert_cmd::Command::cargo_bin("phiguard")
        .unwrap()
        .args(["fim", "--help"])
        .assert()
        .success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    for subcommand in ["init", "check", "update"] {
        assert!(text.contains(subcommand), "{text}");
    }
}

// --- AIDE ------------------------------------------------------------------------------------

/// AIDE's regular expressions take a path literally once these are escaped.
fn regex_escape(path: &str) -> String {
    let mut out = String::new();
    for c in path.chars() {
        if ".^$*+?()[]{}|\\".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// AIDE writes names byte for byte into its JSON, whether UTF-8 or not. Bytes that are not
/// UTF-8 are carried through the JSON parser as private-use characters, then put back.
fn parse_lenient_json(bytes: &[u8]) -> Value {
    let mut text = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        text.push_str(chunk.valid());
        for byte in chunk.invalid() {
            text.push(char::from_u32(0x10_FF00 + u32::from(*byte)).unwrap());
        }
    }
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("AIDE's report is not JSON ({e}): {text}"))
}

fn raw_bytes(text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for c in text.chars() {
        match u32::from(c) {
            n @ 0x10_FF00..=0x10_FFFF => out.push((n - 0x10_FF00) as u8),
            _ => out.extend_from_slice(c.to_string().as_bytes()),
        }
    }
    out
}

/// AIDE with a database and configuration of its own that checks `tree` with its `R` group
/// (permissions, type, inode, links, owner, group, size, mtime, ctime, md5, ACLs, SELinux,
/// xattrs, e2fs flags, capabilities) and SHA-256.
struct Aide {
    program: PathBuf,
    config: PathBuf,
    database: PathBuf,
    new_database: PathBuf,
}

impl Aide {
    fn new(dir: &Path, tree: &Path) -> Option<Aide> {
        let program = phiguard_testkit::program("aide", "aide")?;
        fs::create_dir(dir).unwrap();
        let database = dir.join("aide.db");
        let new_database = dir.join("aide.db.new");
        let config = dir.join("aide.conf");
        // Report options take effect only when set before report_url.
        fs::write(
            &config,
            format!(
                "database_in=file:{}\ndatabase_out=file:{}\nreport_format=json\n\
                 report_level=changed_attributes\nreport_url=stdout\n{} R+sha256\n",
                database.display(),
                new_database.display(),
                regex_escape(&tree.display().to_string()),
            ),
        )
        .unwrap();
        Some(Aide {
            program,
            config,
            database,
            new_database,
        })
    }

    fn run(&self, mode: &str) -> std::process::Output {
        Command::new(&self.program)
            .arg("--config")
            .arg(&self.config)
            .arg(mode)
            .output()
            .unwrap()
    }

    fn init(&self) {
        let out = self.run("--init");
        assert!(
            out.status.success(),
            "aide --init failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        fs::rename(&self.new_database, &self.database).unwrap();
    }

    /// Every path AIDE reports, shown as phiguard shows paths, with the kind of change.
    fn check(&self) -> (BTreeMap<String, &'static str>, Value) {
        let out = self.run("--check");
        // The exit code is a bit mask of added (1), removed (2) and changed (4); 14 and up
        // are errors.
        let code = out.status.code().unwrap_or(-1);
        assert!(
            (0..=7).contains(&code),
            "aide --check failed ({code}): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let report = parse_lenient_json(&out.stdout);
        let mut paths = BTreeMap::new();
        for kind in ["added", "removed", "changed"] {
            if let Some(entries) = report[kind].as_object() {
                for path in entries.keys() {
                    paths.insert(display(&raw_bytes(path)), kind);
                }
            }
        }
        let mut expected_code = 0;
        for (bit, kind) in [(1, "added"), (2, "removed"), (4, "changed")] {
            if paths.values().any(|k| *k == kind) {
                expected_code |= bit;
            }
        }
        assert_eq!(
            code, expected_code,
            "exit code and report disagree: {report:#}"
        );
        (paths, report)
    }
}

#[test]
fn phiguard_reports_every_path_aide_reports() {
    if !require_root("to change owners and make device nodes") {
        return;
    }
    let s = setup();
    populate(&s.tree);
    // An ext2/3/4 flag (chattr +d), which AIDE's R group checks too.
    write(&s.tree.join("flags.txt"), b"flags\n", 0o644);
    let Some(aide) = Aide::new(&s.tmp.path().join("aide"), &s.tree) else {
        return;
    };
    aide.init();
    fim(&s.home, "init", &s.tree, &[]);

    let expected = mutate(&s.tree);
    let flagged = fs::File::open(s.tree.join("flags.txt")).unwrap();
    let flags = rustix::fs::ioctl_getflags(&flagged).unwrap();
    rustix::fs::ioctl_setflags(&flagged, flags | rustix::fs::IFlags::NODUMP).unwrap();
    drop(flagged);

    let (aide_paths, aide_report) = aide.check();
    let (code, report) = fim(&s.home, "check", &s.tree, &[]);
    assert_eq!(code, 1);
    assert_report_shape(&report);
    assert_expected(&s.tree, &report, &expected);

    // AIDE saw the mutations (so this comparison compares something)…
    for e in &expected {
        let path = shown(&name(&s.tree, e.name));
        if e.name != b"dev-null" {
            assert!(
                aide_paths.contains_key(&path),
                "AIDE did not report {path}: {aide_report:#}"
            );
        }
    }
    // …and every path it reports, phiguard reports, as the same kind of change.
    let ours = changes_by_path(&report);
    let mut missed = Vec::new();
    for (path, kind) in &aide_paths {
        match ours.get(path) {
            Some(change) if change["change"] == *kind => {}
            Some(change) => missed.push(format!(
                "{path}: AIDE {kind}, phiguard {}",
                change["change"]
            )),
            None => missed.push(format!("{path}: AIDE {kind}, phiguard nothing")),
        }
    }
    assert!(
        missed.is_empty(),
        "phiguard missed what AIDE reports:\n{}\nAIDE: {aide_report:#}\nphiguard: {report:#}",
        missed.join("\n")
    );
}

/// How someone with the database hides a change from `fim check`.
#[derive(Debug, Clone, Copy)]
enum Forgery {
    /// The baseline's rows replaced by those of another home that took its baseline after
    /// the change, root hash and all.
    CopiedFromAnotherHome,
    /// The changed file's entry replaced by its new state, and the root hash recomputed.
    OneEntryEdited,
    /// The baseline deleted, so that a new one can be taken of the changed files.
    Deleted,
}

/// The entries of baseline 1 in the database at `url`, by path.
fn baseline_entries(url: &str) -> BTreeMap<Vec<u8>, phiguard_fim::Record> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        use sqlx::{Connection, Row};
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
        sqlx::query("SELECT path, record FROM fim_entries WHERE baseline_id = 1")
            .fetch_all(&mut conn)
            .await
            .unwrap()
            .iter()
            .map(|row| {
                let path: Vec<u8> = row.get("path");
                let record: String = row.get("record");
                (path, serde_json::from_str(&record).unwrap())
            })
            .collect()
    })
}

/// SQL that makes baseline 1 hold `entries`, with a root hash that matches them.
fn replace_baseline(db: &common::TestHome, entries: &BTreeMap<Vec<u8>, phiguard_fim::Record>) {
    let mut sql = String::from("DELETE FROM fim_entries WHERE baseline_id = 1;\n");
    for (path, record) in entries {
        let record = serde_json::to_string(record).unwrap().replace('\'', "''");
        sql.push_str(&format!(
            "INSERT INTO fim_entries (baseline_id, path, record) VALUES (1, {}, '{record}');\n",
            db.bytes(path)
        ));
    }
    sql.push_str(&format!(
        "UPDATE fim_baselines SET root_hash = '{}', entries = {} WHERE id = 1;",
        phiguard_fim::baseline::root_hash(entries),
        entries.len()
    ));
    db.exec(&sql);
}

/// A file changed after the baseline, then the baseline forged to hide it: `fim check` and
/// `fim update` refuse, naming the baseline and the ledger entry it no longer matches, and
/// `assess` completes without file integrity, saying why.
fn a_forged_baseline_is_refused(db: &common::TestHome, forgery: Forgery) {
    let tree = db.dir().join("tree");
    fs::create_dir(&tree).unwrap();
    write(&tree.join("a.txt"), b"original\n", 0o644);
    write(&tree.join("b.txt"), b"untouched\n", 0o644);
    db.command()
        .args(["fim", "init"])
        .arg(&tree)
        .assert()
        .success();
    write(&tree.join("a.txt"), b"tampered\n", 0o644);

    let (_other_dir, other) = common::new_home();
    phiguard(&other)
        .args(["fim", "init"])
        .arg(&tree)
        .assert()
        .success();
    let after_the_change =
        baseline_entries(&format!("sqlite://{}", other.join("phiguard.db").display()));
    match forgery {
        Forgery::CopiedFromAnotherHome => replace_baseline(db, &after_the_change),
        Forgery::OneEntryEdited => {
            let mut entries = baseline_entries(&db.url());
            let a = tree.join("a.txt").as_os_str().as_bytes().to_vec();
            entries.insert(a.clone(), after_the_change[&a].clone());
            replace_baseline(db, &entries);
        }
        Forgery::Deleted => db.exec("DELETE FROM fim_entries; DELETE FROM fim_baselines;"),
    }

    let check = stderr_of(
        &db.command()
            .args(["fim", "check"])
            .arg(&tree)
            .assert()
            .code(2),
    );
    for expected in [
        "baseline 1",
        "fim.baseline",
        "security incident",
        "backup",
        "phiguard ledger verify",
    ] {
        assert!(
            check.contains(expected),
            "{forgery:?}: {expected:?} in {check}"
        );
    }
    let update = stderr_of(
        &db.command()
            .args(["fim", "update", "--reason", "routine"])
            .arg(&tree)
            .assert()
            .code(2),
    );
    assert!(update.contains("baseline 1"), "{forgery:?}: {update}");

    let out = db
        .command()
        .args(["--json", "assess", "--skip", "host"])
        .assert()
        .success();
    let notes = json(&out.get_output().stdout)["notes"].to_string();
    assert!(
        notes.contains("the file integrity check could not run") && notes.contains("baseline 1"),
        "{forgery:?}: {notes}"
    );
}

#[test]
fn a_baseline_copied_from_another_home_is_refused_sqlite() {
    a_forged_baseline_is_refused(&common::TestHome::sqlite(), Forgery::CopiedFromAnotherHome);
}

#[test]
fn a_baseline_copied_from_another_home_is_refused_postgres() {
    if let Some(db) = common::TestHome::postgres() {
        a_forged_baseline_is_refused(&db, Forgery::CopiedFromAnotherHome);
    }
}

#[test]
fn a_baseline_entry_edited_with_its_root_hash_is_refused_sqlite() {
    a_forged_baseline_is_refused(&common::TestHome::sqlite(), Forgery::OneEntryEdited);
}

#[test]
fn a_baseline_entry_edited_with_its_root_hash_is_refused_postgres() {
    if let Some(db) = common::TestHome::postgres() {
        a_forged_baseline_is_refused(&db, Forgery::OneEntryEdited);
    }
}

#[test]
fn a_deleted_baseline_is_refused_sqlite() {
    a_forged_baseline_is_refused(&common::TestHome::sqlite(), Forgery::Deleted);
}

#[test]
fn a_deleted_baseline_is_refused_postgres() {
    if let Some(db) = common::TestHome::postgres() {
        a_forged_baseline_is_refused(&db, Forgery::Deleted);
    }
}
