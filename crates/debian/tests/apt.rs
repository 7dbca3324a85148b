#![allow(clippy::unwrap_used, clippy::expect_used)]
//! apt's package lists: fixtures in temporary roots, and this machine's real lists checked
//! against `apt-cache madison`.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Command;

use phiguard_debian::{Candidates, ReadError, Version, installed};
use proptest::prelude::*;

fn write(path: &Path, bytes: &[u8]) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, bytes).unwrap();
}

fn v(text: &str) -> Version {
    text.parse().unwrap()
}

fn clearsigned(fields: &str) -> String {
    format!(
        "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\n{fields}\
MD5Sum:\n 0123 12 main/binary-amd64/Packages\n\
-----BEGIN PGP SIGNATURE-----\n\niQIzBAEBCgAdFiEE\n-----END PGP SIGNATURE-----\n"
    )
}

const MAIN: &str = "\
Package: openssl
Version: 3.0.11-1~deb12u2
Architecture: amd64
Description: toolkit
 more text

Package: tzdata
Version: 2024a-0+deb12u1
Architecture: all

Package: libx
Version: 2.0-1
Architecture: i386

Package: libx
Version: 1.0-1
Architecture: amd64
";

/// A lists directory with a main and a security suite (both with `InRelease`), an old
/// Debian security suite recognised only by its `Label`, one recognised only by its name,
/// a compressed list that is not read, and apt's own non-list entries.
fn fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let lists = dir.path().join("var/lib/apt/lists");
    write(
        &lists.join("deb.debian.org_debian_dists_bookworm_InRelease"),
        clearsigned("Origin: Debian\nLabel: Debian\nSuite: oldstable\nCodename: bookworm\n")
            .as_bytes(),
    );
    write(
        &lists.join("deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages"),
        MAIN.as_bytes(),
    );
    write(
        &lists.join("deb.debian.org_debian-security_dists_bookworm-security_InRelease"),
        clearsigned("Origin: Debian\nLabel: Debian-Security\nSuite: oldstable-security\nCodename: bookworm-security\n").as_bytes(),
    );
    write(
        &lists.join(
            "deb.debian.org_debian-security_dists_bookworm-security_main_binary-amd64_Packages",
        ),
        b"Package: openssl\nVersion: 3.0.15-1~deb12u1\nArchitecture: amd64\n\nPackage: tzdata\nVersion: 2024b-0+deb12u1\nArchitecture: all\n",
    );
    // Old Debian security: suite `buster/updates`, only the Label says security; the
    // `buster` Release file is a shorter prefix and must not be the one consulted.
    write(
        &lists.join("security.debian.org_dists_buster_updates_Release"),
        b"Label: Debian-Security\nSuite: oldoldstable\nCodename: buster\n",
    );
    write(
        &lists.join("security.debian.org_dists_buster_Release"),
        b"Label: Debian\nSuite: oldoldstable\nCodename: buster\n",
    );
    write(
        &lists.join("security.debian.org_dists_buster_updates_main_binary-amd64_Packages"),
        b"Package: old\nVersion: 1.0+deb10u1\nArchitecture: amd64\n",
    );
    // No Release file: the suite in the name decides.
    write(
        &lists.join("mirror.example_ubuntu_dists_noble-security_main_binary-amd64_Packages"),
        b"Package: openssl\nVersion: 3.0.13-0ubuntu3.4\nArchitecture: amd64\n",
    );
    write(
        &lists.join("deb.debian.org_debian_dists_bookworm_contrib_binary-amd64_Packages.xz"),
        b"compressed",
    );
    write(&lists.join("lock"), b"");
    fs::create_dir_all(lists.join("partial")).unwrap();
    fs::create_dir_all(lists.join("auxfiles")).unwrap();
    dir
}

#[test]
fn newest_and_newest_security_across_lists() {
    let dir = fixture();
    let candidates = Candidates::load(dir.path()).unwrap();
    assert_eq!(candidates.lists(), 4);
    assert!(!candidates.is_empty());

    let newest = candidates.newest("openssl", "amd64").unwrap();
    assert_eq!(newest.version, v("3.0.15-1~deb12u1"));
    assert!(newest.security);
    assert_eq!(
        newest.list,
        "deb.debian.org_debian-security_dists_bookworm-security_main_binary-amd64_Packages"
    );
    // The name rule alone marks the Ubuntu-like list; its version is older here.
    assert_eq!(
        candidates
            .newest_security("openssl", "amd64")
            .unwrap()
            .version,
        v("3.0.15-1~deb12u1")
    );
    let ubuntu = candidates
        .all("openssl")
        .iter()
        .find(|c| c.list.starts_with("mirror.example"))
        .unwrap();
    assert!(ubuntu.security);
    let main = candidates
        .all("openssl")
        .iter()
        .find(|c| c.list.contains("_bookworm_main_"))
        .unwrap();
    assert!(!main.security);

    // `all` matches any architecture, both ways.
    assert_eq!(
        candidates.newest("tzdata", "amd64").unwrap().version,
        v("2024b-0+deb12u1")
    );
    assert_eq!(
        candidates.newest("openssl", "all").unwrap().version,
        v("3.0.15-1~deb12u1")
    );
    // Otherwise architectures are kept apart.
    assert_eq!(
        candidates.newest("libx", "amd64").unwrap().version,
        v("1.0-1")
    );
    assert_eq!(
        candidates.newest("libx", "i386").unwrap().version,
        v("2.0-1")
    );
    assert!(candidates.newest("libx", "arm64").is_none());
    assert!(candidates.newest_security("libx", "amd64").is_none());
    assert!(candidates.newest("nothing", "amd64").is_none());

    // The Label decides for `buster/updates`, not the shorter `buster` prefix.
    assert!(candidates.newest_security("old", "amd64").is_some());

    let unreadable = candidates.unreadable();
    assert_eq!(unreadable.len(), 1);
    assert!(unreadable[0].to_string_lossy().ends_with("_Packages.xz"));
}

#[test]
fn no_lists_is_empty_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let candidates = Candidates::load(dir.path()).unwrap();
    assert!(candidates.is_empty());
    assert_eq!(candidates.lists(), 0);
    fs::create_dir_all(dir.path().join("var/lib/apt/lists/partial")).unwrap();
    assert!(Candidates::load(dir.path()).unwrap().is_empty());
}

#[test]
fn a_broken_list_is_an_error_naming_file_and_line() {
    let cases: [(&[u8], usize, &str); 4] = [
        (b"Package: a\nVersion: 1\nbroken\n", 3, "Field: value"),
        (b"Package: a\nVersion: 1\n\nVersion: 2\n", 4, "no `Package`"),
        (b"Package: a\nArchitecture: all\n", 1, "no `Version`"),
        (b"Package: a\nArchitecture: all\nVersion: :1\n", 3, "epoch"),
    ];
    for (list, line, reason) in cases {
        let dir = tempfile::tempdir().unwrap();
        let path = dir
            .path()
            .join("var/lib/apt/lists/example.org_dists_x_main_binary-amd64_Packages");
        write(&path, list);
        match Candidates::load(dir.path()) {
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
                assert!(message.contains("apt-get update"), "{message}");
            }
            other => panic!("{list:?}: expected a malformed error, got {other:?}"),
        }
    }
}

/// Lists compressed by the real `lz4` tool, in the frame variants it can write, read the
/// same as the plain text.
#[test]
fn lz4_lists_are_read() {
    let Some(lz4) = phiguard_testkit::program("lz4", "lz4") else {
        return;
    };
    // Large enough for several blocks and long matches.
    let mut text = String::new();
    for i in 0..20_000 {
        text.push_str(&format!(
            "Package: p{i}\nVersion: 1.{i}-1\nArchitecture: amd64\nDescription: package number {i}\n\n"
        ));
    }
    for flags in [
        &["-1"][..],
        &["-9", "-BD"],
        &["--content-size", "-BX", "-B4"],
        &["--no-frame-crc", "-B5"],
    ] {
        let dir = tempfile::tempdir().unwrap();
        let lists = dir.path().join("var/lib/apt/lists");
        let plain = lists.join("example.org_dists_x_main_binary-amd64_Packages");
        write(&plain, text.as_bytes());
        let compressed = lists.join("example.org_dists_x-security_main_binary-amd64_Packages.lz4");
        let status = Command::new(&lz4)
            .args(flags)
            .args(["-q", "-f"])
            .arg(&plain)
            .arg(&compressed)
            .status()
            .unwrap();
        assert!(status.success());
        fs::remove_file(&plain).unwrap();
        let candidates = Candidates::load(dir.path()).unwrap();
        assert_eq!(candidates.lists(), 1, "{flags:?}");
        let last = candidates.newest("p19999", "amd64").unwrap();
        assert_eq!(last.version, v("1.19999-1"), "{flags:?}");
        assert!(last.security);
        assert_eq!(candidates.all("p0").len(), 1);
    }

    // A corrupt frame is an error naming the file.
    let dir = tempfile::tempdir().unwrap();
    let path = dir
        .path()
        .join("var/lib/apt/lists/example.org_dists_x_main_binary-amd64_Packages.lz4");
    write(
        &path,
        b"\x04\x22\x4d\x18\x40\x40\xc0\x10\x00\x00\x00garbage",
    );
    match Candidates::load(dir.path()) {
        Err(e @ ReadError::Malformed { .. }) => {
            assert!(e.to_string().contains("decompress"), "{e}");
        }
        other => panic!("expected a malformed error, got {other:?}"),
    }
}

/// The newest version of every installed package agrees with `apt-cache madison`, which
/// lists the versions of every list apt has, with the suite each comes from.
#[test]
fn the_real_lists_agree_with_apt_cache() {
    let root = Path::new("/");
    let candidates = Candidates::load(root).unwrap();
    if candidates.is_empty() {
        phiguard_testkit::missing(
            "apt package lists in /var/lib/apt/lists",
            "run `apt-get update` first",
        );
        return;
    }
    let Some(apt_cache) = phiguard_testkit::program("apt-cache", "apt") else {
        return;
    };
    let packages = installed(root).unwrap().unwrap();
    let mut names: Vec<&str> = packages.iter().map(|p| p.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let output = Command::new(&apt_cache)
        .arg("madison")
        .args(&names)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    // name -> (newest, newest from a `-security` suite)
    let mut expected: BTreeMap<String, (Option<Version>, Option<Version>)> = BTreeMap::new();
    for line in String::from_utf8(output.stdout).unwrap().lines() {
        let fields: Vec<&str> = line.split('|').map(str::trim).collect();
        let [name, version, source] = fields.as_slice() else {
            continue;
        };
        let version = v(version);
        let entry = expected.entry((*name).to_owned()).or_default();
        if entry.0.as_ref().is_none_or(|n| version > *n) {
            entry.0 = Some(version.clone());
        }
        let security = source
            .split_whitespace()
            .nth(1)
            .is_some_and(|suite| suite.split('/').next().unwrap_or("").ends_with("-security"));
        if security && entry.1.as_ref().is_none_or(|n| version > *n) {
            entry.1 = Some(version);
        }
    }
    let mut compared = 0;
    for package in &packages {
        let (newest, security) = expected.remove(&package.name).unwrap_or_default();
        let ours = candidates.newest(&package.name, &package.architecture);
        assert_eq!(
            ours.map(|c| &c.version),
            newest.as_ref(),
            "{}:{}",
            package.name,
            package.architecture
        );
        let ours = candidates.newest_security(&package.name, &package.architecture);
        assert_eq!(
            ours.map(|c| &c.version),
            security.as_ref(),
            "{} (security)",
            package.name
        );
        compared += 1;
    }
    assert!(compared > 10);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn garbage_never_panics(
        list in proptest::collection::vec(any::<u8>(), 0..300),
        lz4 in proptest::collection::vec(any::<u8>(), 0..300),
        lz4_frame in proptest::collection::vec(any::<u8>(), 0..300),
        release in proptest::collection::vec(any::<u8>(), 0..300),
        text in "(Package: p\n|Version: [0-9:~.+-]{0,6}\n|Architecture: all\n|\n| x\n|Label: Debian-Security\n){0,12}",
    ) {
        let dir = tempfile::tempdir().unwrap();
        let lists = dir.path().join("var/lib/apt/lists");
        write(&lists.join("a_dists_s_main_binary-amd64_Packages"), &list);
        write(&lists.join("b_dists_s_main_binary-amd64_Packages"), text.as_bytes());
        write(&lists.join("b_dists_s_InRelease"), text.as_bytes());
        write(&lists.join("c_dists_s-security_main_binary-amd64_Packages.lz4"), &lz4);
        // A valid frame header followed by garbage blocks reaches the block decoder.
        let mut frame = b"\x04\x22\x4d\x18\x60\x40\x82".to_vec();
        frame.extend_from_slice(&lz4_frame);
        write(&lists.join("d_dists_s_main_binary-amd64_Packages.lz4"), &frame);
        write(&lists.join("c_dists_s-security_Release"), &release);
        match Candidates::load(dir.path()) {
            Ok(candidates) => {
                let _ = candidates.newest("p", "amd64");
                let _ = candidates.newest_security("p", "all");
            }
            Err(ReadError::Malformed { line, reason, .. }) => {
                prop_assert!(line >= 1);
                prop_assert!(!reason.is_empty());
            }
            Err(e) => prop_assert!(false, "unexpected {}", e),
        }
    }
}
