#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The dpkg index that tells package updates apart from tampering: against a synthetic dpkg
//! database with every awkward case, against this machine's real database (cross-checked with
//! `dpkg`, `dpkg-query` and `md5sum`), and against garbage.

use std::fs;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use jiff::Timestamp;
use md5::{Digest, Md5};
use phiguard_debian::status::DpkgStatus;
use phiguard_fim::packages::{PackageError, PackageIndex, md5_file};
use proptest::prelude::*;

fn md5_of(bytes: &[u8]) -> [u8; 16] {
    Md5::digest(bytes).into()
}

fn hex(md5: [u8; 16]) -> String {
    md5.iter().map(|b| format!("{b:02x}")).collect()
}

fn write(path: &Path, bytes: &[u8]) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, bytes).unwrap();
}

fn set_mtime(path: &Path, time: SystemTime) {
    fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(time)
        .unwrap();
}

fn at(seconds: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(seconds)
}

fn ts(seconds: i64) -> Timestamp {
    Timestamp::from_second(seconds).unwrap()
}

/// Seconds since the epoch of the synthetic events, in order.
const BUILT: u64 = 1_600_000_000; // the packages were built (md5sums mtime)
const BASELINE: i64 = 1_700_000_000; // the FIM baseline was taken
const UPGRADED: u64 = 1_800_000_000; // apt upgrade rewrote the .list files

/// Contents of the synthetic packages' files.
const LS: &[u8] = b"#!/bin/sh\necho ls v2\n";
const README: &[u8] = b"read me, with spaces in my name\n";
const CONF: &[u8] = b"setting = shipped\n";
const BETA_DOC: &[u8] = b"beta copyright\n";
const BETA_LIB64: &[u8] = b"\x7fELF beta amd64";
const BETA_LIB32: &[u8] = b"\x7fELF beta i386";
const ZETA: &[u8] = b"zeta binary";

struct Synthetic {
    dir: tempfile::TempDir,
}

impl Synthetic {
    fn root(&self) -> &Path {
        self.dir.path()
    }
    fn dpkg(&self) -> PathBuf {
        self.root().join("var/lib/dpkg")
    }
}

/// A dpkg database with: `alpha` (installed, conffiles of every kind, malformed lines, a path
/// with spaces, a pre-merged-/usr `bin/` path), `beta` for two architectures (`hold`,
/// `Multi-Arch: same`, `:arch`-qualified info files, a shared path), packages in states that
/// must be ignored, `nolist` (md5sums but no `.list`), and a distroless `status.d/zeta`.
fn synthetic() -> Synthetic {
    let dir = tempfile::tempdir().unwrap();
    let s = Synthetic { dir };
    let dpkg = s.dpkg();
    let info = dpkg.join("info");
    let status = format!(
        "Package: alpha
Status: install ok installed
Priority: optional
Architecture: amd64
Multi-Arch: foreign
Version: 2.0-1
Conffiles:
 /etc/alpha.conf {conf}
 /etc/alpha dir/with space.conf {conf}
 /etc/alpha/old.conf {conf} obsolete
 /etc/alpha/gone.conf {conf} remove-on-upgrade
 /etc/alpha/fresh.conf newconffile
 /etc/alpha/nohash.conf
Description: the first package
 with a long description.
 .
 Conffiles: this line is description, not a conffile 00000000000000000000000000000000

Package: beta
Status: hold ok installed
Architecture: amd64
Multi-Arch: same
Version: 1:3.1~rc1-2

Package: beta
Status: hold ok installed
Architecture: i386
Multi-Arch: same
Version: 1:3.1~rc1-2

package: gamma
status: deinstall ok config-files
architecture: amd64
version: 1.0

Package: delta
Status: install reinstreq half-installed
Architecture: amd64
Version: 1.0

Package: epsilon
Status: install ok half-configured
Architecture: all
Version: 1.0

Package: eta
Status: purge ok not-installed
Architecture: amd64

Package: theta
Status: install ok unpacked
Architecture: amd64
Version: 1.0

Package: nolist
Status: install ok installed
Architecture: all
Version: 0.1
",
        conf = hex(md5_of(CONF))
    );
    write(&dpkg.join("status"), status.as_bytes());

    // alpha: two malformed lines (bad hex; one space), one blank line (not malformed).
    let alpha = format!(
        "{ls}  bin/alpha\n{readme}  usr/share/doc/alpha/read me.txt\nnot-hex-not-hex-not-hex-not-hex!  usr/bad\n\n{ls} usr/one-space\n{ls}  usr/bin/alpha-tool\n",
        ls = hex(md5_of(LS)),
        readme = hex(md5_of(README)),
    );
    write(&info.join("alpha.md5sums"), alpha.as_bytes());
    write(&info.join("alpha.list"), b"/.\n/bin\n/bin/alpha\n");
    set_mtime(&info.join("alpha.md5sums"), at(BUILT));
    set_mtime(&info.join("alpha.list"), at(UPGRADED));

    for (arch, lib) in [("amd64", BETA_LIB64), ("i386", BETA_LIB32)] {
        let sums = format!(
            "{doc}  usr/share/doc/beta/copyright\n{lib}  usr/lib/{arch}/libbeta.so.3\n",
            doc = hex(md5_of(BETA_DOC)),
            lib = hex(md5_of(lib)),
        );
        let base = format!("beta:{arch}");
        write(&info.join(format!("{base}.md5sums")), sums.as_bytes());
        write(&info.join(format!("{base}.list")), b"/usr/lib\n");
        set_mtime(&info.join(format!("{base}.md5sums")), at(BUILT));
        set_mtime(&info.join(format!("{base}.list")), at(BUILT + 10));
    }

    // Leftovers of packages that are not installed: must not be indexed.
    for name in ["gamma", "delta", "epsilon", "eta", "theta"] {
        let sums = format!("{}  usr/bin/{name}\n", hex(md5_of(LS)));
        write(&info.join(format!("{name}.md5sums")), sums.as_bytes());
        write(&info.join(format!("{name}.list")), b"/usr\n");
    }

    let nolist = format!("{}  usr/share/nolist\n", hex(md5_of(LS)));
    write(&info.join("nolist.md5sums"), nolist.as_bytes());
    set_mtime(&info.join("nolist.md5sums"), at(UPGRADED + 5));

    // Distroless: a stanza without Status, and its md5sums beside it in status.d.
    let status_d = dpkg.join("status.d");
    write(
        &status_d.join("zeta"),
        b"Package: zeta\nVersion: 5\nArchitecture: amd64\nMaintainer: someone\n",
    );
    write(
        &status_d.join("zeta.md5sums"),
        format!("{}  usr/bin/zeta\n", hex(md5_of(ZETA))).as_bytes(),
    );
    set_mtime(&status_d.join("zeta"), at(UPGRADED + 20));
    set_mtime(&status_d.join("zeta.md5sums"), at(UPGRADED + 30));

    // A merged-/usr root: /bin is a symlink to usr/bin.
    fs::create_dir_all(s.root().join("usr/bin")).unwrap();
    std::os::unix::fs::symlink("usr/bin", s.root().join("bin")).unwrap();
    s
}

fn load(root: &Path) -> PackageIndex {
    PackageIndex::load(root).unwrap().expect("a dpkg database")
}

/// Every `Status:` dpkg writes, and a few it would refuse: FIM and the patch checks read it
/// through the one parser in phiguard-debian, and a package FIM trusts is one the patch checks
/// see on disk.
#[test]
fn each_dpkg_state_is_read_the_same_way_as_phiguard_debian_reads_it() {
    let statuses = [
        "install ok installed",
        "hold ok installed",
        "deinstall ok installed",
        "install reinstreq installed",
        "install ok triggers-pending",
        "install ok triggers-awaited",
        "install ok half-configured",
        "install ok unpacked",
        "install reinstreq half-installed",
        "deinstall ok config-files",
        "purge ok not-installed",
        "install ok installing",
        "install installed",
    ];
    let dir = tempfile::tempdir().unwrap();
    let dpkg = dir.path().join("var/lib/dpkg");
    let mut status_file = String::new();
    for (n, status) in statuses.iter().enumerate() {
        status_file.push_str(&format!(
            "Package: p{n}\nStatus: {status}\nArchitecture: amd64\nVersion: 1.0\n\n"
        ));
        let sums = format!("{}  usr/bin/p{n}\n", hex(md5_of(LS)));
        write(&dpkg.join(format!("info/p{n}.md5sums")), sums.as_bytes());
    }
    write(&dpkg.join("status"), status_file.as_bytes());

    let index = load(dir.path());
    let on_disk: Vec<String> = phiguard_debian::status::installed(dir.path())
        .unwrap()
        .unwrap()
        .into_iter()
        .map(|p| p.name)
        .collect();
    for (n, status) in statuses.iter().enumerate() {
        let parsed = DpkgStatus::parse(status.as_bytes());
        let trusted = index.owner(format!("/usr/bin/p{n}").as_bytes()).is_some();
        let listed = on_disk.contains(&format!("p{n}"));
        assert_eq!(
            trusted,
            parsed.is_some_and(|s| s.fully_installed()),
            "FIM on `{status}`"
        );
        assert_eq!(
            listed,
            parsed.is_some_and(|s| s.files_on_disk()),
            "phiguard-debian on `{status}`"
        );
        assert!(
            !trusted || listed,
            "FIM trusts `{status}`, which is not on disk"
        );
    }
    assert_eq!(
        index.stats().packages,
        2,
        "install and hold, both ok installed"
    );
}

#[test]
fn counts_only_installed_packages_and_their_files() {
    let s = synthetic();
    let index = load(s.root());
    let stats = index.stats();
    // alpha, beta:amd64, beta:i386, nolist, zeta.
    assert_eq!(stats.packages, 5, "{stats:?}");
    // gamma, delta, epsilon, eta, theta.
    assert_eq!(stats.skipped_stanzas, 5, "{stats:?}");
    // alpha 3 good lines, beta 2 + 2, nolist 1, zeta 1.
    assert_eq!(stats.files, 9, "{stats:?}");
    // /etc/alpha.conf and the one with a space; obsolete, remove-on-upgrade, newconffile
    // are not the current version's.
    assert_eq!(stats.conffiles, 2, "{stats:?}");
    // The shared copyright counts once.
    assert_eq!(stats.paths, 10, "{stats:?}");
    assert_eq!(stats.packages_without_md5sums, 0, "{stats:?}");
    assert_eq!(stats.undated_packages, 0, "{stats:?}");
    for name in ["gamma", "delta", "epsilon", "eta", "theta"] {
        let path = format!("/usr/bin/{name}");
        assert_eq!(
            index.owner(path.as_bytes()),
            None,
            "{name} is not installed"
        );
    }
}

#[test]
fn malformed_lines_are_skipped_counted_and_located() {
    let s = synthetic();
    let index = load(s.root());
    // alpha.md5sums lines 3 and 5; the conffile without a hash (line 13 of status).
    assert_eq!(index.stats().malformed_lines, 3);
    let places: Vec<(PathBuf, usize)> = index
        .malformed()
        .iter()
        .map(|m| (m.path.clone(), m.line))
        .collect();
    let sums = s.dpkg().join("info/alpha.md5sums");
    let status = s.dpkg().join("status");
    assert_eq!(places, vec![(sums.clone(), 3), (sums, 5), (status, 13)]);
    assert_eq!(index.owner(b"/usr/bad"), None);
    assert_eq!(index.owner(b"/usr/one-space"), None);
    assert_eq!(index.owner(b"/etc/alpha/nohash.conf"), None);
}

#[test]
fn owner_reports_package_version_md5_and_upgrade_time() {
    let s = synthetic();
    let index = load(s.root());

    let tool = index.owner(b"/usr/bin/alpha-tool").unwrap();
    assert_eq!(tool.package, "alpha");
    assert_eq!(tool.architecture, "amd64");
    assert_eq!(tool.version, "2.0-1");
    assert_eq!(tool.md5, md5_of(LS));
    assert!(!tool.conffile);
    // The .list time, not the (older) md5sums time.
    assert_eq!(
        tool.updated_at,
        Some(Timestamp::try_from(at(UPGRADED)).unwrap())
    );

    let spaced = index
        .owner(b"/usr/share/doc/alpha/read me.txt")
        .expect("a path with a space");
    assert_eq!(spaced.md5, md5_of(README));

    // No .list: the md5sums file's time.
    let nolist = index.owner(b"/usr/share/nolist").unwrap();
    assert_eq!(nolist.package, "nolist");
    assert_eq!(
        nolist.updated_at,
        Some(Timestamp::try_from(at(UPGRADED + 5)).unwrap())
    );

    // Distroless: the status.d md5sums file's time.
    let zeta = index.owner(b"/usr/bin/zeta").unwrap();
    assert_eq!((zeta.package, zeta.version), ("zeta", "5"));
    assert_eq!(zeta.md5, md5_of(ZETA));
    assert_eq!(
        zeta.updated_at,
        Some(Timestamp::try_from(at(UPGRADED + 30)).unwrap())
    );

    assert_eq!(index.owner(b"/usr/bin/nobody"), None);
    assert_eq!(
        index.owner(b"usr/bin/alpha-tool"),
        None,
        "paths are absolute"
    );
}

#[test]
fn arch_qualified_packages_are_read_and_shared_paths_keep_every_owner() {
    let s = synthetic();
    let index = load(s.root());
    let lib64 = index.owner(b"/usr/lib/amd64/libbeta.so.3").unwrap();
    assert_eq!(
        (lib64.package, lib64.architecture, lib64.version),
        ("beta", "amd64", "1:3.1~rc1-2")
    );
    assert_eq!(lib64.md5, md5_of(BETA_LIB64));
    let lib32 = index.owner(b"/usr/lib/i386/libbeta.so.3").unwrap();
    assert_eq!(lib32.architecture, "i386");
    assert_eq!(lib32.md5, md5_of(BETA_LIB32));
    assert_eq!(
        lib32.updated_at,
        Some(Timestamp::try_from(at(BUILT + 10)).unwrap())
    );

    let owners = index.owners(b"/usr/share/doc/beta/copyright");
    let mut arches: Vec<&str> = owners.iter().map(|o| o.architecture).collect();
    arches.sort_unstable();
    assert_eq!(arches, ["amd64", "i386"]);
}

#[test]
fn conffiles_come_from_the_status_stanza() {
    let s = synthetic();
    let index = load(s.root());
    let conf = index.owner(b"/etc/alpha.conf").unwrap();
    assert!(conf.conffile);
    assert_eq!(conf.package, "alpha");
    assert_eq!(conf.md5, md5_of(CONF));
    let spaced = index.owner(b"/etc/alpha dir/with space.conf").unwrap();
    assert!(spaced.conffile);
    for not_current in [
        b"/etc/alpha/old.conf".as_slice(),
        b"/etc/alpha/gone.conf",
        b"/etc/alpha/fresh.conf",
    ] {
        assert_eq!(index.owner(not_current), None);
    }
}

#[test]
fn merged_usr_paths_find_their_package_both_ways() {
    let s = synthetic();
    let index = load(s.root());
    // alpha lists bin/alpha; the monitor sees /usr/bin/alpha.
    let via_usr = index.owner(b"/usr/bin/alpha").unwrap();
    assert_eq!(via_usr.package, "alpha");
    assert_eq!(via_usr.path, b"/bin/alpha");
    // alpha lists usr/bin/alpha-tool; /bin/alpha-tool is the same file.
    let via_bin = index.owner(b"/bin/alpha-tool").unwrap();
    assert_eq!(via_bin.path, b"/usr/bin/alpha-tool");
    // Only for the merged directories: /usr/share is not /share.
    assert_eq!(index.owner(b"/share/nolist"), None);
    // No alias without the symlink.
    fs::remove_file(s.root().join("bin")).unwrap();
    let unmerged = load(s.root());
    assert_eq!(unmerged.owner(b"/usr/bin/alpha"), None);
    assert!(unmerged.owner(b"/bin/alpha").is_some());
}

#[test]
fn explain_needs_owner_matching_md5_and_an_upgrade_after_the_baseline() {
    let s = synthetic();
    let index = load(s.root());
    let baseline = ts(BASELINE);

    let explained = index
        .explain(b"/usr/bin/alpha-tool", md5_of(LS), baseline)
        .unwrap();
    assert_eq!((explained.package, explained.version), ("alpha", "2.0-1"));
    // Through the merged-/usr alias too.
    assert!(
        index
            .explain(b"/usr/bin/alpha", md5_of(LS), baseline)
            .is_some()
    );

    // Content that is not what the package shipped: tampering.
    assert_eq!(
        index.explain(b"/usr/bin/alpha-tool", md5_of(b"evil"), baseline),
        None
    );
    // Upgraded before the baseline: the baseline already had the packaged content, so a
    // change since is not the upgrade.
    assert_eq!(
        index.explain(b"/usr/bin/alpha-tool", md5_of(LS), ts(UPGRADED as i64 + 1)),
        None
    );
    // Exactly at the baseline is not after it.
    assert_eq!(
        index.explain(b"/usr/bin/alpha-tool", md5_of(LS), ts(UPGRADED as i64)),
        None
    );
    // beta was installed (BUILT + 10) before the baseline.
    assert_eq!(
        index.explain(b"/usr/lib/amd64/libbeta.so.3", md5_of(BETA_LIB64), baseline),
        None
    );
    // Not owned by anything installed.
    assert_eq!(index.explain(b"/usr/bin/gamma", md5_of(LS), baseline), None);
    assert_eq!(
        index.explain(b"/usr/bin/nobody", md5_of(LS), baseline),
        None
    );

    // Shared path: either architecture's record may explain it.
    let later = ts(BUILT as i64 + 1);
    let doc = index
        .explain(b"/usr/share/doc/beta/copyright", md5_of(BETA_DOC), later)
        .unwrap();
    assert_eq!(doc.package, "beta");
}

#[test]
fn explain_tells_a_shipped_conffile_from_a_local_edit() {
    let s = synthetic();
    let index = load(s.root());
    let baseline = ts(BASELINE);
    let shipped = index
        .explain(b"/etc/alpha.conf", md5_of(CONF), baseline)
        .unwrap();
    assert!(shipped.conffile);
    assert_eq!(
        index.explain(
            b"/etc/alpha.conf",
            md5_of(b"setting = local edit\n"),
            baseline
        ),
        None
    );
    assert_eq!(
        index.explain(b"/etc/alpha/old.conf", md5_of(CONF), baseline),
        None,
        "an obsolete conffile's hash is the old version's"
    );
}

#[test]
fn a_package_with_no_time_never_explains() {
    let dir = tempfile::tempdir().unwrap();
    let dpkg = dir.path().join("var/lib/dpkg");
    let conf = hex(md5_of(CONF));
    write(
        &dpkg.join("status"),
        format!(
            "Package: bare\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1\nConffiles:\n /etc/bare.conf {conf}\n"
        )
        .as_bytes(),
    );
    let index = load(dir.path());
    assert_eq!(index.stats().packages_without_md5sums, 1);
    assert_eq!(index.stats().undated_packages, 1);
    let owner = index.owner(b"/etc/bare.conf").unwrap();
    assert_eq!(owner.updated_at, None);
    assert_eq!(index.explain(b"/etc/bare.conf", md5_of(CONF), ts(0)), None);
}

#[test]
fn a_package_listed_in_status_and_status_d_is_indexed_once() {
    let s = synthetic();
    write(
        &s.dpkg().join("status.d/alpha"),
        b"Package: alpha\nVersion: 9\nArchitecture: amd64\n",
    );
    let index = load(s.root());
    assert_eq!(index.stats().packages, 5);
    assert_eq!(index.stats().skipped_stanzas, 6);
    assert_eq!(
        index.owner(b"/usr/bin/alpha-tool").unwrap().version,
        "2.0-1"
    );
    assert_eq!(index.owners(b"/usr/bin/alpha-tool").len(), 1);
}

#[test]
fn status_d_alone_is_a_dpkg_database() {
    let s = synthetic();
    fs::remove_file(s.dpkg().join("status")).unwrap();
    let index = load(s.root());
    assert_eq!(index.stats().packages, 1);
    assert_eq!(index.owner(b"/usr/bin/zeta").unwrap().package, "zeta");
}

#[test]
fn no_dpkg_database_is_not_debian_but_a_missing_root_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    assert!(PackageIndex::load(dir.path()).unwrap().is_none());
    fs::create_dir_all(dir.path().join("var/lib/dpkg/info")).unwrap();
    assert!(PackageIndex::load(dir.path()).unwrap().is_none());
    let missing = dir.path().join("no-such-root");
    match PackageIndex::load(&missing) {
        Err(PackageError::Read { path, .. }) => assert_eq!(path, missing),
        other => panic!("expected a read error, got {other:?}"),
    }
}

#[test]
fn a_broken_status_file_is_an_error_naming_file_and_line() {
    let cases: [(&[u8], usize, &str); 5] = [
        (
            b"Package: a\nStatus: install ok installed\nno colon here\n",
            3,
            "Field: value",
        ),
        (b" leading continuation\nPackage: a\n", 1, "continuation"),
        (
            b"Package: a\n\nStatus: install ok installed\nVersion: 1\n",
            3,
            "no `Package`",
        ),
        (
            b"Package: a\nStatus: install ok installed\n",
            1,
            "no `Version`",
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
        match PackageIndex::load(dir.path()) {
            Err(e @ PackageError::Status { .. }) => {
                let PackageError::Status {
                    path: p, line: l, ..
                } = &e
                else {
                    unreachable!()
                };
                assert_eq!((p, *l), (&path, line), "{e}");
                let message = e.to_string();
                assert!(message.contains(reason), "{message}");
                assert!(message.contains(&format!("status:{line}:")), "{message}");
            }
            other => panic!("{status:?}: expected a status error, got {other:?}"),
        }
    }
}

#[test]
fn an_unreadable_md5sums_is_an_error_naming_it() {
    let s = synthetic();
    let sums = s.dpkg().join("info/alpha.md5sums");
    fs::remove_file(&sums).unwrap();
    // A directory where the file should be: unreadable even for root.
    fs::create_dir(&sums).unwrap();
    match PackageIndex::load(s.root()) {
        Err(PackageError::Read { path, .. }) => assert_eq!(path, sums),
        other => panic!("expected a read error, got {other:?}"),
    }
}

#[test]
fn md5_file_matches_known_vectors_across_buffer_boundaries() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&[u8], &str); 3] = [
        (b"", "d41d8cd98f00b204e9800998ecf8427e"),
        (b"abc", "900150983cd24fb0d6963f7d28e17f72"),
        (
            b"The quick brown fox jumps over the lazy dog",
            "9e107d9d372bb6826bd81d3542a419d6",
        ),
    ];
    for (content, expected) in cases {
        let path = dir.path().join("f");
        fs::write(&path, content).unwrap();
        assert_eq!(hex(md5_file(&path).unwrap()), expected);
    }
    // One million 'a' (RFC 1321's test suite's long vector): 15+ buffers and a partial one.
    let path = dir.path().join("million");
    let mut file = fs::File::create(&path).unwrap();
    file.write_all(&vec![b'a'; 1_000_000]).unwrap();
    drop(file);
    assert_eq!(
        hex(md5_file(&path).unwrap()),
        "7707d6ae4e027c70eea2a935c2296f21"
    );
    // Exactly one buffer, and one byte more.
    for len in [64 * 1024, 64 * 1024 + 1] {
        let content: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        fs::write(&path, &content).unwrap();
        assert_eq!(md5_file(&path).unwrap(), md5_of(&content), "length {len}");
    }
}

#[test]
fn md5_file_refuses_symlinks_fifos_and_directories() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("target");
    fs::write(&target, b"pristine").unwrap();
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let err = md5_file(&link).unwrap_err();
    assert_eq!(
        err.raw_os_error(),
        Some(rustix::io::Errno::LOOP.raw_os_error()),
        "{err}"
    );

    let fifo = dir.path().join("fifo");
    rustix::fs::mknodat(
        rustix::fs::CWD,
        &fifo,
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
        0,
    )
    .unwrap();
    assert_eq!(
        md5_file(&fifo).unwrap_err().kind(),
        std::io::ErrorKind::InvalidInput
    );
    assert_eq!(
        md5_file(dir.path()).unwrap_err().kind(),
        std::io::ErrorKind::InvalidInput
    );
    assert_eq!(
        md5_file(&dir.path().join("absent")).unwrap_err().kind(),
        std::io::ErrorKind::NotFound
    );
}

/// The machine's own database, or `None` with a note when this is not a dpkg system.
fn real_index() -> Option<PackageIndex> {
    let started = std::time::Instant::now();
    let index = PackageIndex::load(Path::new("/")).unwrap();
    let elapsed = started.elapsed();
    match index {
        Some(index) => {
            let stats = index.stats();
            let _ = writeln!(
                std::io::stderr(),
                "dpkg database: {} packages, {} files, {} conffiles, {} paths, {} malformed lines, loaded in {elapsed:?}",
                stats.packages,
                stats.files,
                stats.conffiles,
                stats.paths,
                stats.malformed_lines
            );
            Some(index)
        }
        None => {
            phiguard_testkit::missing(
                "a dpkg database at /var/lib/dpkg",
                "run it on Debian or Ubuntu",
            );
            None
        }
    }
}

fn run(program: &str, args: &[&str]) -> String {
    let output = Command::new(program).args(args).output().unwrap();
    assert!(output.status.success(), "{program} {args:?}: {output:?}");
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn real_database_counts_what_dpkg_query_counts() {
    let Some(index) = real_index() else { return };
    let Some(dpkg_query) = phiguard_testkit::program("dpkg-query", "dpkg") else {
        return;
    };
    let listed = run(
        dpkg_query.to_str().unwrap(),
        &["-W", "-f", "${db:Status-Abbrev}\n"],
    );
    let installed = listed
        .lines()
        .filter(|l| l.starts_with("ii") || l.starts_with("hi"))
        .count();
    assert_eq!(index.stats().packages, installed);
    assert!(
        index.stats().files > index.stats().packages,
        "{:?}",
        index.stats()
    );
}

#[test]
fn real_file_matches_its_recorded_md5_and_explain_follows_the_upgrade_time() {
    let Some(index) = real_index() else { return };
    let ls = Path::new("/usr/bin/ls");
    let owner = index
        .owner(ls.as_os_str().as_bytes())
        .expect("ls is packaged");
    assert_eq!(owner.package, "coreutils");
    assert!(!owner.version.is_empty());
    let content_md5 = md5_file(ls).unwrap();
    assert_eq!(
        content_md5, owner.md5,
        "/usr/bin/ls differs from dpkg's record"
    );

    // Oracles: dpkg names the same package for the path it lists, md5sum the same hash.
    if let Some(dpkg) = phiguard_testkit::program("dpkg", "dpkg") {
        let listed = std::ffi::OsStr::from_bytes(owner.path).to_str().unwrap();
        let said = run(dpkg.to_str().unwrap(), &["-S", listed]);
        let package = said.split(':').next().unwrap();
        assert_eq!(package, owner.package, "dpkg -S said {said:?}");
    }
    if let Some(md5sum) = phiguard_testkit::program("md5sum", "coreutils") {
        let said = run(md5sum.to_str().unwrap(), &["/usr/bin/ls"]);
        assert_eq!(said.split_whitespace().next().unwrap(), hex(content_md5));
    }

    let updated = owner.updated_at.expect("coreutils has a .list file");
    let before = updated - jiff::SignedDuration::from_secs(1);
    let after = updated + jiff::SignedDuration::from_secs(1);
    let explained = index.explain(b"/usr/bin/ls", content_md5, before).unwrap();
    assert_eq!(explained.package, "coreutils");
    assert_eq!(index.explain(b"/usr/bin/ls", content_md5, after), None);
    let mut wrong = content_md5;
    wrong[0] ^= 1;
    assert_eq!(index.explain(b"/usr/bin/ls", wrong, before), None);
}

#[test]
fn real_unmodified_conffile_matches_the_status_record() {
    let Some(index) = real_index() else { return };
    let Some(dpkg_query) = phiguard_testkit::program("dpkg-query", "dpkg") else {
        return;
    };
    assert!(index.stats().conffiles > 0, "{:?}", index.stats());
    // Each line: " /etc/path md5[ flags]". Find one whose file on disk is unmodified.
    let listed = run(
        dpkg_query.to_str().unwrap(),
        &["-W", "-f", "${Conffiles}\n"],
    );
    let mut checked = 0;
    for line in listed.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        let [path, md5] = words.as_slice() else {
            continue;
        };
        let Ok(actual) = md5_file(Path::new(path)) else {
            continue;
        };
        if hex(actual) != *md5 {
            continue; // edited locally or removed: not a clean sample
        }
        let owners = index.owners(path.as_bytes());
        assert!(
            owners.iter().any(|o| o.conffile && o.md5 == actual),
            "{path}: {owners:?}"
        );
        checked += 1;
        if checked == 20 {
            break;
        }
    }
    assert!(checked > 0, "no unmodified conffile found to check");
}

/// Pieces of dpkg's formats, so random inputs reach the stanza and line parsers' depths
/// rather than failing on the first byte.
fn fragment() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"Package: p\n".to_vec()),
        Just(b"Status: install ok installed\n".to_vec()),
        Just(b"Status: hold ok installed\n".to_vec()),
        Just(b"Version: 1\n".to_vec()),
        Just(b"Architecture: amd64\n".to_vec()),
        Just(b"Multi-Arch: same\n".to_vec()),
        Just(b"Conffiles:\n".to_vec()),
        Just(b" /etc/x d41d8cd98f00b204e9800998ecf8427e\n".to_vec()),
        Just(b" /etc/y newconffile obsolete\n".to_vec()),
        Just(b"d41d8cd98f00b204e9800998ecf8427e  usr/f\n".to_vec()),
        Just(b"\n".to_vec()),
        Just(b" ".to_vec()),
        Just(b":".to_vec()),
        proptest::collection::vec(any::<u8>(), 0..40),
    ]
}

fn document() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..600),
        proptest::collection::vec(fragment(), 0..30).prop_map(|parts| parts.concat()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn garbage_never_panics(
        status in document(),
        sums in document(),
        qualified in document(),
        status_d in document(),
        status_d_sums in document(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let dpkg = dir.path().join("var/lib/dpkg");
        write(&dpkg.join("status"), &status);
        write(&dpkg.join("info/p.md5sums"), &sums);
        write(&dpkg.join("info/p:amd64.md5sums"), &qualified);
        write(&dpkg.join("status.d/p"), &status_d);
        write(&dpkg.join("status.d/p.md5sums"), &status_d_sums);
        match PackageIndex::load(dir.path()) {
            Ok(Some(index)) => {
                let stats = index.stats();
                prop_assert!(stats.paths <= stats.files + stats.conffiles);
                prop_assert!(index.malformed().len() <= stats.malformed_lines);
                // Whatever was indexed can be looked up and explained without panicking.
                for path in [b"/usr/f".as_slice(), b"/etc/x", b"/etc/y"] {
                    if let Some(owner) = index.owner(path) {
                        prop_assert_eq!(owner.path, path);
                        prop_assert!(index.owners(path).contains(&owner));
                    }
                    let _ = index.explain(path, [0; 16], Timestamp::UNIX_EPOCH);
                }
            }
            Ok(None) => prop_assert!(false, "a status file exists"),
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }
}
