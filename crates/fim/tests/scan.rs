#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The scan and the comparison on real temporary trees, with every hard case: symlinks (never
//! followed), hard links, devices, FIFOs and sockets (never opened), names that are not UTF-8,
//! unreadable directories and files, files that vanish, grow or are swapped for a FIFO while
//! the scan runs, and staying on one file system.
//!
//! Device nodes, owners and mounts need root; as root, an unreadable directory is tested by
//! running this test binary again as `nobody` (root reads everything).

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::fs;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use phiguard_fim::scan::display;
use phiguard_fim::{
    Algorithm, Change, ChangeKind, FileType, Record, Report, RuleSet, Scan, ScanProgress, compare,
    scan,
};
use rustix::fs::{Mode, makedev};

/// A temporary directory under /tmp (a disk file system, with extended attributes; tmpfs in
/// /dev/shm may lack user xattrs), holding the monitored `tree`.
struct Tmp {
    dir: tempfile::TempDir,
    tree: PathBuf,
}

fn tmp() -> Tmp {
    let dir = tempfile::Builder::new()
        .prefix("phiguard-fim-scan-")
        .tempdir_in("/tmp")
        .unwrap();
    let tree = dir.path().join("tree");
    fs::create_dir(&tree).unwrap();
    Tmp { dir, tree }
}

fn rules(roots: &[&Path], one_filesystem: bool) -> RuleSet {
    let roots: Vec<PathBuf> = roots.iter().map(|p| p.to_path_buf()).collect();
    RuleSet::from_paths(&roots, one_filesystem).unwrap()
}

fn scan_tree(tree: &Path) -> Scan {
    scan(
        &rules(&[tree], false),
        Algorithm::Sha256,
        4,
        &ScanProgress::default(),
    )
}

fn key(path: &Path) -> Vec<u8> {
    path.as_os_str().as_bytes().to_vec()
}

fn path_of(bytes: &[u8]) -> PathBuf {
    PathBuf::from(OsStr::from_bytes(bytes))
}

fn entry<'a>(scan: &'a Scan, path: &Path) -> &'a Record {
    scan.entries
        .get(&key(path))
        .unwrap_or_else(|| panic!("{} was not recorded", path.display()))
}

fn no_explanation(_: &[u8], _: &Record) -> Option<phiguard_fim::Explanation> {
    None
}

fn compare_scans(tree: &Path, before: &Scan, after: &Scan) -> Report {
    compare(
        &rules(&[tree], false),
        &before.entries,
        after,
        &no_explanation,
    )
}

fn change_of<'a>(report: &'a Report, path: &Path) -> &'a Change {
    report
        .changes
        .iter()
        .find(|c| c.path_bytes == key(path))
        .unwrap_or_else(|| panic!("{} is not in the report: {report:#?}", path.display()))
}

fn attribute_names(change: &Change) -> Vec<&'static str> {
    change.attributes.iter().map(|a| a.attribute).collect()
}

fn sha256_hex(bytes: &[u8]) -> String {
    phiguard_core::hex::encode(
        aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes).as_ref(),
    )
}

fn warned(scan: &Scan, path: &Path, message: &str) -> bool {
    let shown = display(path.as_os_str().as_bytes());
    scan.warnings
        .iter()
        .any(|w| w.path == shown && w.message.contains(message))
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

fn mknod(path: &Path, kind: rustix::fs::FileType, major: u32, minor: u32) {
    rustix::fs::mknodat(
        rustix::fs::CWD,
        path,
        kind,
        Mode::from_raw_mode(0o600),
        makedev(major, minor),
    )
    .unwrap_or_else(|e| panic!("mknod {}: {e}", path.display()));
}

fn mkfifo(path: &Path) {
    rustix::fs::mkfifoat(rustix::fs::CWD, path, Mode::from_raw_mode(0o644))
        .unwrap_or_else(|e| panic!("mkfifo {}: {e}", path.display()));
}

/// Spins until `ready` holds; fails after `limit`.
fn wait_for(what: &str, limit: Duration, ready: impl Fn() -> bool) {
    let deadline = Instant::now() + limit;
    while !ready() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::yield_now();
    }
}

/// Runs a scan on its own thread. If it has not finished after `limit`, calls `unblock`
/// until it does (or for another `limit`) and fails: a scan must never hang.
fn scan_within(
    rules: RuleSet,
    threads: usize,
    progress: Arc<ScanProgress>,
    limit: Duration,
    unblock: impl Fn(),
) -> Scan {
    let worker = std::thread::spawn(move || scan(&rules, Algorithm::Sha256, threads, &progress));
    let deadline = Instant::now() + limit;
    while !worker.is_finished() {
        if Instant::now() > deadline {
            let give_up = Instant::now() + limit;
            while !worker.is_finished() && Instant::now() < give_up {
                unblock();
                std::thread::sleep(Duration::from_millis(10));
            }
            panic!(
                "the scan did not finish within {limit:?}: it blocked opening or reading something (a FIFO, a device) that it must not read"
            );
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    worker.join().unwrap()
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
fn every_kind_of_file_is_recorded_without_following_or_opening_it() {
    if !require_root("to make device nodes") {
        return;
    }
    let t = tmp();
    let tree = &t.tree;
    // Outside the tree: a symlink's target must never be walked.
    let outside = t.dir.path().join("outside");
    fs::create_dir(&outside).unwrap();
    fs::write(outside.join("secret.txt"), b"not monitored").unwrap();

    fs::write(tree.join("file"), b"abc").unwrap();
    fs::set_permissions(tree.join("file"), fs::Permissions::from_mode(0o640)).unwrap();
    fs::write(tree.join("empty"), b"").unwrap();
    fs::create_dir(tree.join("dir")).unwrap();
    std::os::unix::fs::symlink("file", tree.join("to-file")).unwrap();
    std::os::unix::fs::symlink(&outside, tree.join("to-outside")).unwrap();
    std::os::unix::fs::symlink("missing", tree.join("dangling")).unwrap();
    std::os::unix::fs::symlink("loop", tree.join("loop")).unwrap();
    std::os::unix::fs::symlink(OsStr::from_bytes(b"caf\xe9"), tree.join("to-latin1")).unwrap();
    mkfifo(&tree.join("pipe"));
    mknod(
        &tree.join("null"),
        rustix::fs::FileType::CharacterDevice,
        1,
        3,
    );
    mknod(
        &tree.join("loopdev"),
        rustix::fs::FileType::BlockDevice,
        7,
        200,
    );
    let _socket = std::os::unix::net::UnixListener::bind(tree.join("socket")).unwrap();

    let progress = Arc::new(ScanProgress::default());
    // Opening the FIFO would block for ever: the scan must finish without anyone writing.
    let found = scan_within(
        rules(&[tree], false),
        4,
        progress.clone(),
        Duration::from_secs(60),
        || {
            let _ = fs::OpenOptions::new()
                .write(true)
                .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
                .open(tree.join("pipe"));
        },
    );
    assert!(found.warnings.is_empty(), "{:?}", found.warnings);

    let expect = [
        ("", FileType::Directory),
        ("file", FileType::File),
        ("empty", FileType::File),
        ("dir", FileType::Directory),
        ("to-file", FileType::Symlink),
        ("to-outside", FileType::Symlink),
        ("dangling", FileType::Symlink),
        ("loop", FileType::Symlink),
        ("to-latin1", FileType::Symlink),
        ("pipe", FileType::Fifo),
        ("null", FileType::CharDevice),
        ("loopdev", FileType::BlockDevice),
        ("socket", FileType::Socket),
    ];
    let recorded: BTreeSet<Vec<u8>> = found.entries.keys().cloned().collect();
    let wanted: BTreeSet<Vec<u8>> = expect
        .iter()
        .map(|(name, _)| {
            key(&if name.is_empty() {
                tree.clone()
            } else {
                tree.join(name)
            })
        })
        .collect();
    assert_eq!(
        recorded.iter().map(|k| display(k)).collect::<Vec<_>>(),
        wanted.iter().map(|k| display(k)).collect::<Vec<_>>(),
        "exactly the tree is recorded: nothing behind a symlink"
    );
    for (name, file_type) in expect {
        let path = if name.is_empty() {
            tree.clone()
        } else {
            tree.join(name)
        };
        let record = entry(&found, &path);
        assert_eq!(record.file_type, file_type, "{name}");
        assert_eq!(
            record.hash.is_some(),
            file_type == FileType::File,
            "{name}: only regular files are hashed"
        );
        assert_eq!(record.problem, None, "{name}");
    }

    let file = entry(&found, &tree.join("file"));
    assert_eq!(
        file.hash.as_deref(),
        Some("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    );
    assert_eq!((file.mode, file.uid, file.gid, file.size), (0o640, 0, 0, 3));
    assert_eq!(file.links, 1);
    assert_eq!(
        entry(&found, &tree.join("empty")).hash.as_deref(),
        Some("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    );

    let target = |name: &str| entry(&found, &tree.join(name)).target.clone();
    assert_eq!(target("to-file").as_deref(), Some("file"));
    assert_eq!(target("to-outside"), Some(outside.display().to_string()));
    assert_eq!(target("dangling").as_deref(), Some("missing"));
    assert_eq!(target("loop").as_deref(), Some("loop"));
    assert_eq!(target("to-latin1").as_deref(), Some(r"caf\xe9"));
    assert_eq!(target("file"), None);

    assert_eq!(
        entry(&found, &tree.join("null")).device,
        Some(makedev(1, 3))
    );
    assert_eq!(
        entry(&found, &tree.join("loopdev")).device,
        Some(makedev(7, 200))
    );
    assert_eq!(entry(&found, &tree.join("pipe")).device, None);

    assert_eq!(progress.files_to_hash.load(Ordering::Relaxed), 2);
    assert_eq!(progress.files_hashed.load(Ordering::Relaxed), 2);
    assert_eq!(progress.bytes_hashed.load(Ordering::Relaxed), 3);
}

#[test]
fn a_root_that_is_a_symlink_is_recorded_not_followed_and_a_missing_root_is_a_warning() {
    let t = tmp();
    fs::write(t.tree.join("inside"), b"x").unwrap();
    let link = t.dir.path().join("link-to-tree");
    std::os::unix::fs::symlink(&t.tree, &link).unwrap();
    let missing = t.dir.path().join("no-such-dir");
    let found = scan(
        &rules(&[&link, &missing], false),
        Algorithm::Sha256,
        2,
        &ScanProgress::default(),
    );
    assert_eq!(found.entries.len(), 1, "{:?}", found.entries.keys());
    assert_eq!(entry(&found, &link).file_type, FileType::Symlink);
    assert!(
        warned(&found, &missing, "cannot be read"),
        "{:?}",
        found.warnings
    );
}

#[test]
fn both_names_of_a_hard_link_are_recorded_and_adding_one_is_a_change() {
    let t = tmp();
    let first = t.tree.join("first");
    fs::write(&first, b"shared content").unwrap();
    let before = scan_tree(&t.tree);
    assert_eq!(entry(&before, &first).links, 1);

    let second = t.tree.join("second");
    fs::hard_link(&first, &second).unwrap();
    let after = scan_tree(&t.tree);
    let (a, b) = (entry(&after, &first), entry(&after, &second));
    assert_eq!((a.inode, a.links), (b.inode, 2));
    assert_eq!(a.hash, b.hash);
    assert_eq!(a.hash, entry(&before, &first).hash);

    let report = compare_scans(&t.tree, &before, &after);
    let changed = change_of(&report, &first);
    assert_eq!(changed.change, ChangeKind::Changed);
    let names = attribute_names(changed);
    assert!(
        names.contains(&"links") && names.contains(&"ctime"),
        "{names:?}"
    );
    assert!(!names.contains(&"hash"), "{names:?}");
    let links = &changed.attributes[names.iter().position(|n| *n == "links").unwrap()];
    assert_eq!((links.old.as_str(), links.new.as_str()), ("1", "2"));
    assert_eq!(change_of(&report, &second).change, ChangeKind::Added);
    assert_eq!(report.summary.added, 1);
    assert_eq!(report.summary.unexplained, report.changes.len() as u64);
}

#[test]
fn content_hashes_are_right_for_both_algorithms_and_any_size() {
    let t = tmp();
    fs::write(t.tree.join("abc"), b"abc").unwrap();
    // Larger than the read buffer, and not a multiple of it.
    let big: Vec<u8> = (0..3 * 256 * 1024 + 17)
        .map(|i| (i * 7 % 251) as u8)
        .collect();
    fs::write(t.tree.join("big"), &big).unwrap();
    let sha = scan_tree(&t.tree);
    let blake = scan(
        &rules(&[&t.tree], false),
        Algorithm::Blake3,
        2,
        &ScanProgress::default(),
    );
    assert_eq!(
        entry(&sha, &t.tree.join("big")).hash,
        Some(format!("sha256:{}", sha256_hex(&big)))
    );
    assert_eq!(
        entry(&blake, &t.tree.join("abc")).hash.as_deref(),
        Some("blake3:6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85")
    );
    assert_eq!(
        entry(&blake, &t.tree.join("big")).hash,
        Some(format!("blake3:{}", blake3::hash(&big).to_hex()))
    );
}

#[test]
fn one_thread_and_many_record_the_same() {
    let t = tmp();
    for d in 0..12 {
        let dir = t.tree.join(format!("d{d}")).join(format!("e{}", d % 3));
        fs::create_dir_all(&dir).unwrap();
        for f in 0..25 {
            let bytes: Vec<u8> = (0..(d * 997 + f * 131)).map(|i| (i % 253) as u8).collect();
            fs::write(dir.join(format!("f{f}")), bytes).unwrap();
        }
    }
    let one = scan(
        &rules(&[&t.tree], false),
        Algorithm::Sha256,
        1,
        &ScanProgress::default(),
    );
    let many = scan(
        &rules(&[&t.tree], false),
        Algorithm::Sha256,
        16,
        &ScanProgress::default(),
    );
    assert_eq!(one.entries.len(), 1 + 12 * 2 + 12 * 25);
    assert_eq!(one.entries, many.entries);
    assert!(one.warnings.is_empty() && many.warnings.is_empty());
}

#[test]
fn names_that_are_not_utf8_round_trip_and_are_shown_escaped() {
    let t = tmp();
    let dir = t.tree.join(OsStr::from_bytes(b"r\xe9sum\xe9"));
    fs::create_dir(&dir).unwrap();
    let latin1 = dir.join(OsStr::from_bytes(b"\xff\xfe.txt"));
    fs::write(&latin1, b"old").unwrap();
    // A name that is literally backslash-x-e-9 must not be shown like the byte 0xe9.
    let lookalike = t.tree.join(r"r\xe9sum\xe9");
    fs::write(&lookalike, b"ascii").unwrap();
    let utf8 = t.tree.join("résumé");
    fs::write(&utf8, b"utf-8").unwrap();

    let before = scan_tree(&t.tree);
    assert_eq!(before.entries.len(), 5);
    assert!(before.entries.contains_key(latin1.as_os_str().as_bytes()));
    let shown: BTreeSet<String> = before.entries.keys().map(|k| display(k)).collect();
    assert_eq!(shown.len(), 5, "two names are shown alike: {shown:?}");
    let root = display(t.tree.as_os_str().as_bytes());
    assert!(
        shown.contains(&format!(r"{root}/r\xe9sum\xe9/\xff\xfe.txt")),
        "{shown:?}"
    );
    assert!(
        shown.contains(&format!(r"{root}/r\\xe9sum\\xe9")),
        "{shown:?}"
    );
    assert!(shown.contains(&format!("{root}/résumé")), "{shown:?}");

    fs::write(&latin1, b"new").unwrap();
    let after = scan_tree(&t.tree);
    let report = compare_scans(&t.tree, &before, &after);
    let changed = change_of(&report, &latin1);
    assert_eq!(changed.path, format!(r"{root}/r\xe9sum\xe9/\xff\xfe.txt"));
    assert!(attribute_names(changed).contains(&"hash"));
    assert_eq!(report.changes.len(), 1, "{report:#?}");
    // The raw bytes are kept beside the shown path, and a JSON report carries the escaped form.
    let json = serde_json::to_string(&report).unwrap();
    assert!(json.contains(r#"r\\xe9sum\\xe9/\\xff\\xfe.txt"#), "{json}");
    assert_eq!(path_of(&changed.path_bytes), latin1);
}

#[test]
fn one_file_system_records_the_mount_point_but_not_what_is_mounted() {
    if !require_root("to mount a tmpfs") {
        return;
    }
    let t = tmp();
    fs::write(t.tree.join("here"), b"on the tree's file system").unwrap();
    let mount_point = t.tree.join("mnt");
    let Some(_mount) = Mount::tmpfs(&mount_point) else {
        return;
    };
    fs::create_dir(mount_point.join("below")).unwrap();
    fs::write(mount_point.join("below/there"), b"on another file system").unwrap();

    let staying = scan(
        &rules(&[&t.tree], true),
        Algorithm::Sha256,
        2,
        &ScanProgress::default(),
    );
    let keys: Vec<String> = staying.entries.keys().map(|k| display(k)).collect();
    assert_eq!(keys.len(), 3, "{keys:?}");
    assert_eq!(entry(&staying, &mount_point).file_type, FileType::Directory);
    assert!(staying.entries.contains_key(&key(&t.tree.join("here"))));
    assert!(staying.warnings.is_empty(), "{:?}", staying.warnings);

    let crossing = scan_tree(&t.tree);
    assert_eq!(crossing.entries.len(), 5);
    assert!(
        crossing
            .entries
            .contains_key(&key(&mount_point.join("below/there")))
    );
}

/// Set in the copy of this test binary that runs as `nobody`: the tree to scan.
const UNREADABLE_CHILD_ENV: &str = "PHIGUARD_FIM_TEST_UNREADABLE_TREE";

#[test]
fn unreadable_directories_and_files_are_warnings_not_failures() {
    if let Some(tree) = std::env::var_os(UNREADABLE_CHILD_ENV) {
        assert!(!is_root(), "the child must not run as root");
        return assert_unreadable_scan(Path::new(&tree));
    }
    let t = tmp();
    fs::write(t.tree.join("open.txt"), b"anyone may read").unwrap();
    fs::write(t.tree.join("locked.txt"), b"only root").unwrap();
    fs::create_dir(t.tree.join("secret")).unwrap();
    fs::write(t.tree.join("secret/inner.txt"), b"hidden").unwrap();
    if !is_root() {
        fs::set_permissions(t.tree.join("locked.txt"), fs::Permissions::from_mode(0o000)).unwrap();
        fs::set_permissions(t.tree.join("secret"), fs::Permissions::from_mode(0o000)).unwrap();
        assert_unreadable_scan(&t.tree);
        fs::set_permissions(t.tree.join("secret"), fs::Permissions::from_mode(0o700)).unwrap();
        return;
    }
    // Root reads everything (CAP_DAC_OVERRIDE): run this same test again as nobody.
    let Some(setpriv) = phiguard_testkit::program("setpriv", "util-linux") else {
        return;
    };
    fs::set_permissions(t.dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    fs::set_permissions(t.tree.join("locked.txt"), fs::Permissions::from_mode(0o600)).unwrap();
    fs::set_permissions(t.tree.join("secret"), fs::Permissions::from_mode(0o700)).unwrap();
    let out = Command::new(setpriv)
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=-all",
            "--",
        ])
        .arg(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "unreadable_directories_and_files_are_warnings_not_failures",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(UNREADABLE_CHILD_ENV, &t.tree)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "the scan as nobody failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn assert_unreadable_scan(tree: &Path) {
    let found = scan_tree(tree);
    let secret = entry(&found, &tree.join("secret"));
    assert_eq!(secret.file_type, FileType::Directory);
    assert!(
        secret
            .problem
            .as_deref()
            .is_some_and(|p| p.contains("cannot list")),
        "{secret:?}"
    );
    assert!(
        !found
            .entries
            .contains_key(&key(&tree.join("secret/inner.txt")))
    );
    assert!(
        warned(&found, &tree.join("secret"), "cannot be listed"),
        "{:?}",
        found.warnings
    );

    let locked = entry(&found, &tree.join("locked.txt"));
    assert_eq!(locked.hash, None);
    assert_eq!(locked.size, 9, "what can be seen is still recorded");
    assert!(
        locked
            .problem
            .as_deref()
            .is_some_and(|p| p.contains("content cannot be read")),
        "{locked:?}"
    );
    assert!(warned(
        &found,
        &tree.join("locked.txt"),
        "content cannot be read"
    ));

    assert!(entry(&found, &tree.join("open.txt")).hash.is_some());
    assert_eq!(found.warnings.len(), 2, "{:?}", found.warnings);
}

#[test]
fn files_that_vanish_between_walk_and_hash_are_warnings_and_the_rest_is_consistent() {
    let t = tmp();
    // Enough content that hashing on one thread takes far longer than deleting half of it.
    let chunk: Vec<u8> = (0..1024 * 1024).map(|i| (i % 241) as u8).collect();
    let count = 64;
    let paths: Vec<PathBuf> = (0..count)
        .map(|i| t.tree.join(format!("f{i:02}")))
        .collect();
    for (i, path) in paths.iter().enumerate() {
        let mut bytes = chunk.clone();
        bytes[0] = i as u8;
        fs::write(path, bytes).unwrap();
    }
    let before = scan_tree(&t.tree);
    let victims: Vec<PathBuf> = paths.iter().skip(1).step_by(2).cloned().collect();

    let progress = Arc::new(ScanProgress::default());
    let deleter = {
        let (progress, victims) = (progress.clone(), victims.clone());
        std::thread::spawn(move || {
            wait_for("the walk", Duration::from_secs(60), || {
                progress.walk_done.load(Ordering::Relaxed)
            });
            for victim in &victims {
                fs::remove_file(victim).unwrap();
            }
        })
    };
    let found = scan_within(
        rules(&[&t.tree], false),
        1,
        progress,
        Duration::from_secs(120),
        || {},
    );
    deleter.join().unwrap();

    let mut vanished = 0;
    for (i, path) in paths.iter().enumerate() {
        let record = found.entries.get(&key(path));
        if victims.contains(path) {
            match record {
                // Hashed before it was deleted: recorded whole, without a warning.
                Some(record) => {
                    assert_eq!(record.hash, entry(&before, path).hash, "{i}");
                    assert!(!warned(&found, path, ""), "{i}: {:?}", found.warnings);
                }
                None => {
                    assert!(
                        warned(&found, path, "vanished during the scan"),
                        "{i} disappeared without a warning: {:?}",
                        found.warnings
                    );
                    vanished += 1;
                }
            }
        } else {
            let record = record.unwrap_or_else(|| panic!("{i} was lost"));
            assert_eq!(record.hash, entry(&before, path).hash, "{i}");
        }
    }
    assert!(
        vanished > 0,
        "no file vanished between walk and hash; the test did not test anything"
    );
    assert_eq!(found.warnings.len(), vanished, "{:?}", found.warnings);

    let report = compare_scans(&t.tree, &before, &found);
    assert_eq!(report.summary.removed, vanished as u64);
    assert_eq!(report.warnings, found.warnings);
}

#[test]
fn a_file_growing_while_it_is_hashed_is_warned_about_and_recorded_as_it_ended() {
    let t = tmp();
    let path = t.tree.join("growing.log");
    let original: Vec<u8> = (0..32 * 1024 * 1024).map(|i| (i % 239) as u8).collect();
    let appended: Vec<u8> = vec![b'+'; 1024 * 1024];
    // The append races the hash; a busy machine may let the hash finish first. That run
    // is checked too, then the race is run again.
    for _attempt in 0..10 {
        fs::write(&path, &original).unwrap();
        let progress = Arc::new(ScanProgress::default());
        let appender = {
            let (progress, path, appended) = (progress.clone(), path.clone(), appended.clone());
            std::thread::spawn(move || {
                // Reading has begun and has most of the file still to go.
                wait_for("hashing to start", Duration::from_secs(60), || {
                    progress.bytes_hashed.load(Ordering::Relaxed) > 0
                });
                let mut file = fs::OpenOptions::new().append(true).open(&path).unwrap();
                file.write_all(&appended).unwrap();
            })
        };
        let found = scan_within(
            rules(&[&t.tree], false),
            1,
            progress,
            Duration::from_secs(120),
            || {},
        );
        appender.join().unwrap();
        let record = entry(&found, &path);
        if !warned(&found, &path, "changed while it was being scanned") {
            assert_eq!(record.size, original.len() as u64, "{:?}", found.warnings);
            assert_eq!(
                record.hash,
                Some(format!("sha256:{}", sha256_hex(&original))),
                "hashed before the append, so of the original content"
            );
            continue;
        }
        let mut content = original.clone();
        content.extend_from_slice(&appended);
        let meta = fs::metadata(&path).unwrap();
        assert_eq!(record.size, content.len() as u64);
        assert_eq!(
            record.mtime,
            i128::from(std::os::unix::fs::MetadataExt::mtime(&meta)) * 1_000_000_000
                + i128::from(std::os::unix::fs::MetadataExt::mtime_nsec(&meta))
        );
        assert_eq!(
            record.hash,
            Some(format!("sha256:{}", sha256_hex(&content))),
            "the hash is of the content the record's size and time describe"
        );
        return;
    }
    panic!("in ten runs the append never landed while the file was hashed");
}

#[test]
fn a_file_swapped_for_a_fifo_after_the_walk_does_not_hang_the_scan() {
    let t = tmp();
    // Big files keep the one hashing thread busy while the small ones are swapped.
    let big: Vec<u8> = vec![7; 4 * 1024 * 1024];
    let mut victims = Vec::new();
    for i in 0..8 {
        fs::write(t.tree.join(format!("big{i}")), &big).unwrap();
        let victim = t.tree.join(format!("small{i}"));
        fs::write(&victim, b"small").unwrap();
        victims.push(victim);
    }
    let progress = Arc::new(ScanProgress::default());
    let swapper = {
        let (progress, victims) = (progress.clone(), victims.clone());
        std::thread::spawn(move || {
            wait_for("the walk", Duration::from_secs(60), || {
                progress.walk_done.load(Ordering::Relaxed)
            });
            for victim in &victims {
                fs::remove_file(victim).unwrap();
                mkfifo(victim);
            }
        })
    };
    // A reader blocked opening a FIFO is released when a writer opens it.
    let unblock = || {
        for victim in &victims {
            let _ = fs::OpenOptions::new()
                .write(true)
                .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
                .open(victim);
        }
    };
    let found = scan_within(
        rules(&[&t.tree], false),
        1,
        progress,
        Duration::from_secs(10),
        unblock,
    );
    swapper.join().unwrap();
    for victim in &victims {
        // Opened between the removal and the mkfifo: gone, and said so.
        let Some(record) = found.entries.get(&key(victim)) else {
            assert!(
                warned(&found, victim, "vanished"),
                "{} was neither recorded nor reported: {:?}",
                victim.display(),
                found.warnings
            );
            continue;
        };
        // Either hashed before the swap, or reported.
        assert!(
            record.hash.as_deref() == Some(&*format!("sha256:{}", sha256_hex(b"small")))
                || warned(&found, victim, ""),
            "{}: {record:?} {:?}",
            victim.display(),
            found.warnings
        );
    }
}

#[test]
fn a_device_renumbered_or_a_fifo_replaced_is_a_change_of_device_or_type() {
    if !require_root("to make device nodes") {
        return;
    }
    let t = tmp();
    let device = t.tree.join("dev");
    mknod(&device, rustix::fs::FileType::CharacterDevice, 1, 3);
    let pipe = t.tree.join("pipe");
    mkfifo(&pipe);
    let before = scan_tree(&t.tree);

    fs::remove_file(&device).unwrap();
    mknod(&device, rustix::fs::FileType::CharacterDevice, 1, 5);
    fs::remove_file(&pipe).unwrap();
    fs::write(&pipe, b"now a file").unwrap();
    let after = scan_tree(&t.tree);
    let report = compare_scans(&t.tree, &before, &after);

    let renumbered = change_of(&report, &device);
    let device_change = renumbered
        .attributes
        .iter()
        .find(|a| a.attribute == "device")
        .unwrap_or_else(|| panic!("{renumbered:?}"));
    // Shown as major:minor, as ls -l does.
    assert_eq!(
        (device_change.old.as_str(), device_change.new.as_str()),
        ("1:3", "1:5")
    );
    let replaced = change_of(&report, &pipe);
    let kind = &replaced.attributes[0];
    assert_eq!(
        (kind.attribute, kind.old.as_str(), kind.new.as_str()),
        ("type", "fifo", "file")
    );
    assert!(attribute_names(replaced).contains(&"hash"));
}

#[test]
fn every_changed_attribute_shows_an_old_and_a_new_value_that_differ() {
    let t = tmp();
    let file = t.tree.join("tagged");
    fs::write(&file, b"x").unwrap();
    rustix::fs::lsetxattr(
        &file,
        "user.phiguard",
        b"one",
        rustix::fs::XattrFlags::empty(),
    )
    .unwrap();
    let before = scan_tree(&t.tree);
    // Same name, new value: someone reading the report must see what changed.
    rustix::fs::lsetxattr(
        &file,
        "user.phiguard",
        b"two",
        rustix::fs::XattrFlags::empty(),
    )
    .unwrap();
    let after = scan_tree(&t.tree);
    assert_ne!(
        entry(&before, &file).xattrs,
        entry(&after, &file).xattrs,
        "the value was recorded"
    );
    let report = compare_scans(&t.tree, &before, &after);
    let changed = change_of(&report, &file);
    assert!(attribute_names(changed).contains(&"xattrs"), "{changed:?}");
    for attribute in &changed.attributes {
        assert_ne!(
            attribute.old, attribute.new,
            "{} is reported as changed but shows the same value before and after",
            attribute.attribute
        );
    }
}

#[test]
fn excluded_paths_are_neither_recorded_nor_walked() {
    let t = tmp();
    fs::create_dir_all(t.tree.join("cache/deep")).unwrap();
    fs::write(t.tree.join("cache/deep/x"), b"x").unwrap();
    fs::write(t.tree.join("kept.conf"), b"k").unwrap();
    fs::write(t.tree.join(".kept.conf.swp"), b"s").unwrap();
    let root = t.tree.display().to_string();
    let config = phiguard_home::FimConfig {
        rules: vec![phiguard_home::FimRule {
            path: root.clone(),
            attributes: vec!["content".into()],
            exclude: vec!["*.swp".into(), format!("{root}/cache")],
        }],
        ..phiguard_home::FimConfig::default()
    };
    let rules = RuleSet::from_config(&config).unwrap();
    let found = scan(&rules, Algorithm::Sha256, 2, &ScanProgress::default());
    let keys: BTreeSet<String> = found.entries.keys().map(|k| display(k)).collect();
    assert_eq!(
        keys,
        BTreeSet::from([root.clone(), format!("{root}/kept.conf")])
    );

    // Only the rule's attributes are compared: a mode change is not content.
    let before = found;
    fs::set_permissions(t.tree.join("kept.conf"), fs::Permissions::from_mode(0o600)).unwrap();
    let after = scan(&rules, Algorithm::Sha256, 2, &ScanProgress::default());
    let report = compare(&rules, &before.entries, &after, &no_explanation);
    assert!(report.changes.is_empty(), "{report:#?}");
    fs::write(t.tree.join("kept.conf"), b"K").unwrap();
    let after = scan(&rules, Algorithm::Sha256, 2, &ScanProgress::default());
    let report = compare(&rules, &before.entries, &after, &no_explanation);
    assert_eq!(
        attribute_names(change_of(&report, &t.tree.join("kept.conf"))),
        vec!["hash"]
    );
}
