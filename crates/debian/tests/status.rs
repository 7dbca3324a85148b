#![allow(clippy::unwrap_used, clippy::expect_used)]
//! dpkg's database: fixtures in temporary roots, and this machine's real one.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use phiguard_debian::{ReadError, Version, installed};
use proptest::prelude::*;

fn write(path: &Path, bytes: &[u8]) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, bytes).unwrap();
}

const STATUS: &str = "\
Package: alpha
Status: install ok installed
Priority: optional
Architecture: amd64
Version: 1:2.0-1+deb12u1
Description: first
 with a long
 .
 description

Package: removed
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0

Package: gone
Status: purge ok not-installed
Architecture: amd64

Package: held
Status: hold ok installed
Architecture: all
Version: 3.0

Package: upgrading
Status: install ok half-configured
Architecture: amd64
Version: 4.0~rc1

Package: leaving
Status: deinstall ok installed
Architecture: amd64
Version: 5

Package: libx
Status: install ok installed
Architecture: i386
Multi-Arch: same
Version: 6

Package: libx
Status: install ok installed
Architecture: amd64
Multi-Arch: same
Version: 6
";

#[test]
fn installed_packages_from_status_and_status_d() {
    let dir = tempfile::tempdir().unwrap();
    let dpkg = dir.path().join("var/lib/dpkg");
    write(&dpkg.join("status"), STATUS.as_bytes());
    // Distroless: one stanza per file, no Status; md5sums and hidden files are not stanzas;
    // `alpha` again is a duplicate of the status file's.
    write(
        &dpkg.join("status.d/zeta"),
        b"Package: zeta\nVersion: 7-1\nArchitecture: arm64\n",
    );
    write(&dpkg.join("status.d/zeta.md5sums"), b"not a stanza\n");
    write(&dpkg.join("status.d/.hidden"), b"not a stanza\n");
    write(
        &dpkg.join("status.d/alpha"),
        b"Package: alpha\nVersion: 9\nArchitecture: amd64\n",
    );

    let packages = installed(dir.path()).unwrap().unwrap();
    let summary: Vec<(&str, &str, String, usize)> = packages
        .iter()
        .map(|p| {
            (
                p.name.as_str(),
                p.architecture.as_str(),
                p.version.to_string(),
                p.line,
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("alpha", "amd64", "1:2.0-1+deb12u1".to_owned(), 1),
            ("held", "all", "3.0".to_owned(), 20),
            ("upgrading", "amd64", "4.0~rc1".to_owned(), 25),
            ("leaving", "amd64", "5".to_owned(), 30),
            ("libx", "i386", "6".to_owned(), 35),
            ("libx", "amd64", "6".to_owned(), 41),
            ("zeta", "arm64", "7-1".to_owned(), 1),
        ]
    );
    assert_eq!(packages[0].source, dpkg.join("status"));
    assert_eq!(packages[6].source, dpkg.join("status.d/zeta"));
    assert_eq!(
        packages[0].version,
        "1:2.0-1+deb12u1".parse::<Version>().unwrap()
    );
}

#[test]
fn no_dpkg_database_is_none_and_a_missing_root_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    assert!(installed(dir.path()).unwrap().is_none());
    fs::create_dir_all(dir.path().join("var/lib/dpkg/info")).unwrap();
    assert!(installed(dir.path()).unwrap().is_none());

    let missing = dir.path().join("no-such-root");
    match installed(&missing) {
        Err(ReadError::Read { path, .. }) => assert_eq!(path, missing),
        other => panic!("expected a read error, got {other:?}"),
    }
}

#[test]
fn status_d_alone_is_a_dpkg_database() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("var/lib/dpkg/status.d")).unwrap();
    assert_eq!(installed(dir.path()).unwrap(), Some(Vec::new()));
}

#[test]
fn an_unreadable_status_file_is_a_read_error() {
    let dir = tempfile::tempdir().unwrap();
    // A directory where the file should be fails to read even for root.
    let path = dir.path().join("var/lib/dpkg/status");
    fs::create_dir_all(&path).unwrap();
    match installed(dir.path()) {
        Err(e @ ReadError::Read { .. }) => {
            assert!(e.to_string().contains("var/lib/dpkg/status"), "{e}");
        }
        other => panic!("expected a read error, got {other:?}"),
    }
}

#[test]
fn a_broken_status_file_is_an_error_naming_file_and_line() {
    let cases: [(&[u8], usize, &str); 7] = [
        (
            b"Package: a\nStatus: install ok installed\nno colon here\n",
            3,
            "Field: value",
        ),
        (b" leading continuation\nPackage: a\n", 1, "continuation"),
        (
            b"Package: a\nStatus: install ok installed\nVersion: 1\n\nStatus: install ok installed\nVersion: 1\n",
            5,
            "no `Package`",
        ),
        (
            b"Package: a\nStatus: install ok installed\n",
            1,
            "no `Version`",
        ),
        (
            b"Package: a\nStatus: install ok installed\nVersion: 1.0-\n",
            3,
            "revision (after the last hyphen) is empty",
        ),
        (
            b"Package: a\nStatus: install ok installed\nVersion: 1.0_1\n",
            3,
            "contains '_'",
        ),
        (
            b"Package: \xff\xfe\nStatus: install ok installed\n",
            1,
            "no `Version`",
        ),
    ];
    for (status, line, reason) in cases {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("var/lib/dpkg/status");
        write(&path, status);
        match installed(dir.path()) {
            Err(e @ ReadError::Malformed { .. }) => {
                let ReadError::Malformed {
                    path: p, line: l, ..
                } = &e
                else {
                    unreachable!()
                };
                assert_eq!((p, *l), (&path, line), "{e}");
                let message = e.to_string();
                assert!(message.contains(reason), "{message}");
                assert!(message.contains(&format!("status:{line}: ")), "{message}");
                // What to do about it, not only what is wrong.
                assert!(message.contains("status-old"), "{message}");
            }
            other => panic!("{status:?}: expected a malformed error, got {other:?}"),
        }
    }
    // A not-installed stanza needs no version.
    let dir = tempfile::tempdir().unwrap();
    write(
        &dir.path().join("var/lib/dpkg/status"),
        b"Package: a\nStatus: purge ok not-installed\n",
    );
    assert_eq!(installed(dir.path()).unwrap(), Some(Vec::new()));
}

#[test]
fn a_broken_status_d_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("var/lib/dpkg/status.d/broken");
    write(&path, b"Package: broken\nVersion: 1\nbad line\n");
    match installed(dir.path()) {
        Err(ReadError::Malformed { path: p, line, .. }) => assert_eq!((p, line), (path, 3)),
        other => panic!("expected a malformed error, got {other:?}"),
    }
}

#[test]
fn a_status_file_without_permission_is_a_read_error_for_others_than_root() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("var/lib/dpkg/status");
    write(&path, STATUS.as_bytes());
    fs::set_permissions(&path, fs::Permissions::from_mode(0o000)).unwrap();
    // Root reads it anyway; anyone else gets an error naming the file.
    match installed(dir.path()) {
        Ok(Some(packages)) => assert!(!packages.is_empty()),
        Err(ReadError::Read { path: p, .. }) => assert_eq!(p, path),
        other => panic!("unexpected {other:?}"),
    }
}

/// This machine's database agrees with `dpkg-query`, package for package.
#[test]
fn the_real_database_agrees_with_dpkg_query() {
    let Some(dpkg_query) = phiguard_testkit::program("dpkg-query", "dpkg") else {
        return;
    };
    let packages = installed(Path::new("/")).unwrap().unwrap();
    let output = Command::new(&dpkg_query)
        .args([
            "-W",
            "-f",
            "${db:Status-Status} ${Package} ${Architecture} ${Version}\n",
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let text = String::from_utf8(output.stdout).unwrap();
    let mut expected: Vec<(String, String, String)> = text
        .lines()
        .filter_map(|line| {
            let mut words = line.split(' ');
            let state = words.next()?;
            if state == "not-installed" || state == "config-files" {
                return None;
            }
            Some((
                words.next()?.to_owned(),
                words.next()?.to_owned(),
                words.next()?.to_owned(),
            ))
        })
        .collect();
    let mut ours: Vec<(String, String, String)> = packages
        .iter()
        .map(|p| {
            (
                p.name.clone(),
                p.architecture.clone(),
                p.version.to_string(),
            )
        })
        .collect();
    expected.sort();
    ours.sort();
    assert_eq!(ours, expected);

    // dpkg itself, with the version dpkg-query prints.
    let output = Command::new(&dpkg_query)
        .args(["-W", "-f", "${Version}", "dpkg"])
        .output()
        .unwrap();
    let version = String::from_utf8(output.stdout).unwrap();
    let dpkg = packages.iter().find(|p| p.name == "dpkg").unwrap();
    assert_eq!(dpkg.version.to_string(), version);
    assert_eq!(dpkg.source, Path::new("/var/lib/dpkg/status"));
}

fn fragment() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"Package: p\n".to_vec()),
        Just(b"Status: install ok installed\n".to_vec()),
        Just(b"Status: deinstall ok config-files\n".to_vec()),
        Just(b"Version: 1:2.3-4\n".to_vec()),
        Just(b"Version: 1.0-\n".to_vec()),
        Just(b"Architecture: amd64\n".to_vec()),
        Just(b" continued\n".to_vec()),
        Just(b"\n".to_vec()),
        proptest::collection::vec(any::<u8>(), 0..30),
    ]
}

fn document() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..300),
        proptest::collection::vec(fragment(), 0..20).prop_map(|p| p.concat()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn garbage_never_panics(status in document(), status_d in document()) {
        let dir = tempfile::tempdir().unwrap();
        let dpkg = dir.path().join("var/lib/dpkg");
        write(&dpkg.join("status"), &status);
        write(&dpkg.join("status.d/p"), &status_d);
        match installed(dir.path()) {
            Ok(Some(packages)) => {
                for package in packages {
                    prop_assert!(!package.name.is_empty());
                    prop_assert!(package.line >= 1);
                }
            }
            Ok(None) => prop_assert!(false, "a status file exists"),
            Err(ReadError::Malformed { line, reason, .. }) => {
                prop_assert!(line >= 1);
                prop_assert!(!reason.is_empty());
            }
            Err(e) => prop_assert!(false, "unexpected {}", e),
        }
    }
}
