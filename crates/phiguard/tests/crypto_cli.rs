//! `seal`, `unseal`, `keys` and `pseudonym`, run as the real binary on real files.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::{json, phiguard, stderr_of};

/// A home with keys, and a directory for files.
struct Setup {
    _tmp: tempfile::TempDir,
    home: PathBuf,
    dir: PathBuf,
}

fn setup() -> Setup {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let dir = tmp.path().join("files");
    fs::create_dir(&dir).unwrap();
    phiguard(&home)
        .args(["init", "--name", "clinic-a"])
        .assert()
        .success();
    Setup {
        home,
        dir,
        _tmp: tmp,
    }
}

/// Bytes that are not all alike, so a misplaced frame would show.
fn content(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

fn write(path: &Path, bytes: &[u8]) -> PathBuf {
    fs::write(path, bytes).unwrap();
    path.to_path_buf()
}

#[test]
fn seal_then_unseal_restores_the_file_and_reports_json() {
    let s = setup();
    let input = write(&s.dir.join("scan.dcm"), &content(200_003));
    let sealed = phiguard(&s.home)
        .args(["--json", "seal"])
        .arg(&input)
        .args(["--context", "purpose=backup"])
        .assert()
        .success();
    let report = json(&sealed.get_output().stdout);
    assert_eq!(report["bytes"], 200_003);
    assert_eq!(report["key_version"], 1);
    assert_eq!(report["context"]["purpose"], "backup");
    let sealed_path = s.dir.join("scan.dcm.phg");
    let sealed_bytes = fs::read(&sealed_path).unwrap();
    assert!(sealed_bytes.len() > 200_003);
    let visible = &content(200_003)[1000..1064];
    assert!(
        !sealed_bytes.windows(64).any(|w| w == visible),
        "plaintext visible in the sealed file"
    );

    fs::remove_file(&input).unwrap();
    let opened = phiguard(&s.home)
        .args(["--json", "unseal"])
        .arg(&sealed_path)
        .args(["--context", "purpose=backup"])
        .assert()
        .success();
    assert_eq!(json(&opened.get_output().stdout)["bytes"], 200_003);
    assert_eq!(fs::read(&input).unwrap(), content(200_003));
}

#[test]
fn streams_through_stdin_and_stdout() {
    let s = setup();
    let sealed = phiguard(&s.home)
        .args(["seal", "-", "-o", "-"])
        .write_stdin(content(70_000))
        .assert()
        .success();
    let opened = phiguard(&s.home)
        .args(["unseal", "-"])
        .write_stdin(sealed.get_output().stdout.clone())
        .assert()
        .success();
    assert_eq!(opened.get_output().stdout, content(70_000));
}

#[test]
fn a_tampered_file_fails_and_leaves_no_plaintext_behind() {
    let s = setup();
    let input = write(&s.dir.join("big.bin"), &content(300_000));
    phiguard(&s.home).arg("seal").arg(&input).assert().success();
    let sealed_path = s.dir.join("big.bin.phg");
    let mut bytes = fs::read(&sealed_path).unwrap();
    // Flip a byte in the last frame: the first frames authenticate and would be written.
    let at = bytes.len() - 40;
    bytes[at] ^= 1;
    fs::write(&sealed_path, &bytes).unwrap();
    let out = s.dir.join("restored.bin");
    let failed = phiguard(&s.home)
        .arg("unseal")
        .arg(&sealed_path)
        .arg("-o")
        .arg(&out)
        .assert()
        .code(2);
    assert!(
        stderr_of(&failed).contains("frame 4 was altered"),
        "{}",
        stderr_of(&failed)
    );
    assert!(!out.exists(), "a partial plaintext file was left behind");
    let leftovers: Vec<_> = fs::read_dir(&s.dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains("partial"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");

    // Cut short: the final frame is gone.
    fs::write(&sealed_path, &bytes[..bytes.len() - 100]).unwrap();
    let cut = phiguard(&s.home)
        .arg("unseal")
        .arg(&sealed_path)
        .arg("-o")
        .arg(&out)
        .assert()
        .code(2);
    assert!(stderr_of(&cut).contains("cut short"), "{}", stderr_of(&cut));
    assert!(!out.exists());
}

/// Plaintext being written: enough that `unseal` is reliably in the middle of it when half
/// the sealed stream has arrived.
const INTERRUPTED_LEN: usize = 12 << 20;

/// Names in `dir`.
fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The size of the file `pid` has open under `dir` (named or not: an unnamed `O_TMPFILE`
/// shows as `dir/#inode (deleted)`), and its name there.
fn open_output_of(pid: u32, dir: &Path) -> Option<(String, u64)> {
    let prefix = format!("{}/", dir.display());
    fs::read_dir(format!("/proc/{pid}/fd"))
        .ok()?
        .filter_map(Result::ok)
        .find_map(|fd| {
            let target = fs::read_link(fd.path()).ok()?.display().to_string();
            let name = target.strip_prefix(&prefix)?.to_owned();
            let size = fs::metadata(fd.path()).ok()?.len();
            Some((name, size))
        })
}

/// Runs `phiguard unseal FIFO -o out_dir/plain.bin`, feeds it the first half of `sealed`
/// through the FIFO and keeps the FIFO open, so the process is mid-stream with plaintext on
/// disk (checked through /proc), then sends `signal` and waits for it to end. Returns the
/// name the plaintext had while being written and how the process ended.
fn interrupt_unseal(
    s: &Setup,
    sealed: &[u8],
    out_dir: &Path,
    signal: rustix::process::Signal,
) -> (String, std::process::ExitStatus) {
    use std::io::Write;
    use std::time::{Duration, Instant};
    let fifo = s.dir.join(format!("sealed-{}.fifo", signal.as_raw()));
    rustix::fs::mkfifoat(
        rustix::fs::CWD,
        &fifo,
        rustix::fs::Mode::RUSR | rustix::fs::Mode::WUSR,
    )
    .unwrap();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("phiguard"))
        .env_remove("PHIGUARD_HOME")
        .env_remove("PHIGUARD_LOG")
        .arg("--home")
        .arg(&s.home)
        .arg("unseal")
        .arg(&fifo)
        .arg("-o")
        .arg(out_dir.join("plain.bin"))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let half = sealed[..sealed.len() / 2].to_vec();
    let (stop, stopped) = std::sync::mpsc::channel::<()>();
    let feeder = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            // Blocks until phiguard opens the FIFO; holds it open until told to stop, so the
            // stream neither ends nor fails while the signal is on its way.
            let mut writer = fs::OpenOptions::new().write(true).open(&fifo).unwrap();
            let _ = writer.write_all(&half);
            let _ = stopped.recv();
        })
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    let name = loop {
        if let Some((name, size)) = open_output_of(child.id(), out_dir)
            && size >= 2 << 20
        {
            break name;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "phiguard ended before it was interrupted"
        );
        assert!(Instant::now() < deadline, "phiguard never got mid-stream");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(
        !out_dir.join("plain.bin").exists(),
        "the final name exists before the stream is complete"
    );
    let pid = rustix::process::Pid::from_child(&child);
    rustix::process::kill_process(pid, signal).unwrap();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "phiguard did not stop on {signal:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let _ = stop.send(());
    feeder.join().unwrap();
    fs::remove_file(&fifo).unwrap();
    (name, status)
}

/// The signals `unseal` must survive without leaving plaintext, with their numbers.
fn interrupting_signals() -> [rustix::process::Signal; 4] {
    use rustix::process::Signal;
    [Signal::INT, Signal::TERM, Signal::HUP, Signal::KILL]
}

/// A sealed file of [`INTERRUPTED_LEN`] bytes, read back.
fn sealed_for_interrupting(s: &Setup) -> Vec<u8> {
    let input = write(&s.dir.join("large.bin"), &content(INTERRUPTED_LEN));
    phiguard(&s.home).arg("seal").arg(&input).assert().success();
    fs::remove_file(&input).unwrap();
    fs::read(s.dir.join("large.bin.phg")).unwrap()
}

#[test]
fn interrupting_unseal_leaves_no_plaintext_on_any_signal() {
    use std::os::unix::process::ExitStatusExt;
    let s = setup();
    let sealed = sealed_for_interrupting(&s);
    let out_dir = s.dir.join("out");
    fs::create_dir(&out_dir).unwrap();
    for signal in interrupting_signals() {
        let (name, status) = interrupt_unseal(&s, &sealed, &out_dir, signal);
        assert!(
            name.starts_with('#') && name.ends_with("(deleted)"),
            "{signal:?}: the plaintext had a name while being written: {name}"
        );
        assert_eq!(
            status.signal(),
            Some(signal.as_raw()),
            "{signal:?}: {status:?}"
        );
        assert_eq!(
            names_in(&out_dir),
            Vec::<String>::new(),
            "{signal:?}: plaintext left"
        );
    }
    // And uninterrupted, the same stream opens whole.
    fs::write(s.dir.join("large.bin.phg"), &sealed).unwrap();
    phiguard(&s.home)
        .arg("unseal")
        .arg(s.dir.join("large.bin.phg"))
        .arg("-o")
        .arg(out_dir.join("plain.bin"))
        .assert()
        .success();
    assert_eq!(
        fs::read(out_dir.join("plain.bin")).unwrap(),
        content(INTERRUPTED_LEN)
    );
}

/// A FUSE mount (bindfs) of a directory, unmounted when dropped: a file system without
/// `O_TMPFILE`, where `unseal` must fall back to a named temporary file.
struct FuseMount {
    point: std::path::PathBuf,
}

impl FuseMount {
    fn new(source: &Path, point: &Path) -> Option<FuseMount> {
        let bindfs = phiguard_testkit::program("bindfs", "bindfs")?;
        fs::create_dir_all(source).unwrap();
        fs::create_dir_all(point).unwrap();
        let mounted = std::process::Command::new(bindfs)
            .arg(source)
            .arg(point)
            .output()
            .unwrap();
        if !mounted.status.success() {
            phiguard_testkit::missing(
                "FUSE mounts (root and /dev/fuse)",
                &format!(
                    "bindfs could not mount: {}",
                    String::from_utf8_lossy(&mounted.stderr).trim()
                ),
            );
            return None;
        }
        Some(FuseMount {
            point: point.to_path_buf(),
        })
    }
}

impl Drop for FuseMount {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.point)
            .status();
    }
}

#[test]
fn interrupting_unseal_where_there_is_no_o_tmpfile_removes_the_partial_file() {
    use std::os::unix::process::ExitStatusExt;
    let s = setup();
    let Some(mount) = FuseMount::new(&s.dir.join("fuse-source"), &s.dir.join("fuse")) else {
        return;
    };
    let sealed = sealed_for_interrupting(&s);
    let out_dir = mount.point.clone();
    for signal in interrupting_signals() {
        let (name, status) = interrupt_unseal(&s, &sealed, &out_dir, signal);
        assert!(
            name.starts_with(".phiguard-") && name.ends_with(".partial"),
            "{signal:?}: expected the fallback's hidden temporary file, got {name}"
        );
        assert_eq!(
            status.signal(),
            Some(signal.as_raw()),
            "{signal:?}: {status:?}"
        );
        let left = names_in(&out_dir);
        if signal == rustix::process::Signal::KILL {
            // SIGKILL cannot be caught: the partial file stays, but never under the final
            // name (the help says so).
            assert_eq!(left, std::slice::from_ref(&name), "{signal:?}");
            fs::remove_file(out_dir.join(&name)).unwrap();
        } else {
            assert_eq!(left, Vec::<String>::new(), "{signal:?}: plaintext left");
        }
    }
    fs::write(s.dir.join("large.bin.phg"), &sealed).unwrap();
    phiguard(&s.home)
        .arg("unseal")
        .arg(s.dir.join("large.bin.phg"))
        .arg("-o")
        .arg(out_dir.join("plain.bin"))
        .assert()
        .success();
    assert_eq!(
        fs::read(out_dir.join("plain.bin")).unwrap(),
        content(INTERRUPTED_LEN)
    );
    assert_eq!(names_in(&out_dir), ["plain.bin"]);
}

#[test]
fn never_writes_over_the_input_or_an_existing_file() {
    let s = setup();
    let input = write(&s.dir.join("a.txt"), b"patient notes");
    let same = phiguard(&s.home)
        .arg("seal")
        .arg(&input)
        .arg("-o")
        .arg(&input)
        .arg("--force")
        .assert()
        .code(2);
    assert!(
        stderr_of(&same).contains("is the input file"),
        "{}",
        stderr_of(&same)
    );
    assert_eq!(fs::read(&input).unwrap(), b"patient notes");

    let existing = write(&s.dir.join("a.txt.phg"), b"keep me");
    let refused = phiguard(&s.home).arg("seal").arg(&input).assert().code(2);
    assert!(
        stderr_of(&refused).contains("--force"),
        "{}",
        stderr_of(&refused)
    );
    assert_eq!(fs::read(&existing).unwrap(), b"keep me");

    phiguard(&s.home)
        .arg("seal")
        .arg(&input)
        .arg("--force")
        .assert()
        .success();
    assert_ne!(fs::read(&existing).unwrap(), b"keep me");

    let no_suffix = phiguard(&s.home).arg("unseal").arg(&input).assert().code(2);
    assert!(
        stderr_of(&no_suffix).contains("give -o"),
        "{}",
        stderr_of(&no_suffix)
    );
}

#[test]
fn a_required_context_that_differs_is_refused_before_any_output() {
    let s = setup();
    let input = write(&s.dir.join("r.txt"), b"lab result");
    phiguard(&s.home)
        .arg("seal")
        .arg(&input)
        .args(["--context", "purpose=backup"])
        .assert()
        .success();
    let out = s.dir.join("out.txt");
    let refused = phiguard(&s.home)
        .arg("unseal")
        .arg(s.dir.join("r.txt.phg"))
        .arg("-o")
        .arg(&out)
        .args(["--context", "purpose=research"])
        .assert()
        .code(2);
    assert!(
        stderr_of(&refused).contains("context does not match"),
        "{}",
        stderr_of(&refused)
    );
    assert!(!out.exists());
    let bad = phiguard(&s.home)
        .arg("seal")
        .arg(&input)
        .args(["--context", "novalue"])
        .assert()
        .code(2);
    assert!(stderr_of(&bad).contains("key=value"), "{}", stderr_of(&bad));
}

#[test]
fn another_installation_cannot_open_what_this_one_sealed() {
    let s = setup();
    let other = setup();
    let input = write(&s.dir.join("x.bin"), &content(1000));
    phiguard(&s.home).arg("seal").arg(&input).assert().success();
    let refused = phiguard(&other.home)
        .arg("unseal")
        .arg(s.dir.join("x.bin.phg"))
        .arg("-o")
        .arg(s.dir.join("y.bin"))
        .assert()
        .code(2);
    assert!(
        stderr_of(&refused).contains("no key of this keyring"),
        "{}",
        stderr_of(&refused)
    );
}

#[test]
fn rotate_rewrap_retire_keeps_rewrapped_files_open_and_refuses_the_rest() {
    let s = setup();
    let a = write(&s.dir.join("a.bin"), &content(150_000));
    let b = write(&s.dir.join("b.bin"), &content(5_000));
    phiguard(&s.home).arg("seal").arg(&a).assert().success();
    phiguard(&s.home).arg("seal").arg(&b).assert().success();
    let (a_sealed, b_sealed) = (s.dir.join("a.bin.phg"), s.dir.join("b.bin.phg"));
    let before = fs::read(&a_sealed).unwrap();

    let rotated = phiguard(&s.home)
        .args(["--json", "keys", "rotate"])
        .assert()
        .success();
    assert_eq!(json(&rotated.get_output().stdout)["current_version"], 2);
    let rewrapped = phiguard(&s.home)
        .args(["--json", "keys", "rewrap"])
        .arg(&a_sealed)
        .assert()
        .success();
    assert_eq!(
        json(&rewrapped.get_output().stdout)[0]["outcome"],
        "rewrapped"
    );
    let after = fs::read(&a_sealed).unwrap();
    // Only the header changed: the frames are byte for byte the same.
    let tail = 150_000 / 2;
    assert_eq!(before[before.len() - tail..], after[after.len() - tail..]);
    assert_ne!(before, after);
    let again = phiguard(&s.home)
        .args(["--json", "keys", "rewrap"])
        .arg(&a_sealed)
        .assert()
        .success();
    assert_eq!(json(&again.get_output().stdout)[0]["outcome"], "current");

    phiguard(&s.home)
        .args(["keys", "retire", "1"])
        .assert()
        .success();
    let list = phiguard(&s.home)
        .args(["--json", "keys", "list"])
        .assert()
        .success();
    let list = json(&list.get_output().stdout);
    assert_eq!(list["min_decrypt_version"], 2);
    assert_eq!(list["keks"][0]["state"], "retired");
    assert_eq!(list["keks"][1]["state"], "current");

    phiguard(&s.home)
        .arg("unseal")
        .arg(&a_sealed)
        .arg("-o")
        .arg(s.dir.join("a2"))
        .assert()
        .success();
    assert_eq!(fs::read(s.dir.join("a2")).unwrap(), content(150_000));
    let retired = phiguard(&s.home)
        .arg("unseal")
        .arg(&b_sealed)
        .arg("-o")
        .arg(s.dir.join("b2"))
        .assert()
        .code(2);
    assert!(
        stderr_of(&retired).contains("version 1, which is retired"),
        "{}",
        stderr_of(&retired)
    );
    // The only version that still opens what it sealed: refused, saying why and what to do.
    let current = phiguard(&s.home)
        .args(["keys", "retire", "2"])
        .assert()
        .code(2);
    let err = stderr_of(&current);
    assert!(err.contains("it is the current version"), "{err}");
    for step in [
        "phiguard keys rotate",
        "phiguard keys rewrap",
        "phiguard keys retire 2",
    ] {
        assert!(err.contains(step), "{step} missing: {err}");
    }
    for (version, says) in [
        ("3", "no key-encryption key version 3"),
        ("0", "no key-encryption key version 0"),
    ] {
        let refused = phiguard(&s.home)
            .args(["keys", "retire", version])
            .assert()
            .code(2);
        assert!(
            stderr_of(&refused).contains(says),
            "{}",
            stderr_of(&refused)
        );
    }
    // Retiring again changes nothing, and never brings version 1 back.
    let again = phiguard(&s.home)
        .args(["--json", "keys", "retire", "1"])
        .assert()
        .success();
    assert_eq!(json(&again.get_output().stdout)["changed"], false);
    let list = phiguard(&s.home)
        .args(["--json", "keys", "list"])
        .assert()
        .success();
    assert_eq!(json(&list.get_output().stdout)["min_decrypt_version"], 2);
    phiguard(&s.home)
        .arg("unseal")
        .arg(&b_sealed)
        .arg("-o")
        .arg(s.dir.join("b3"))
        .assert()
        .code(2);

    // Every key change is evidence in the ledger.
    let tail = phiguard(&s.home)
        .args(["--json", "ledger", "tail", "-n", "10"])
        .assert()
        .success();
    let kinds: Vec<String> = json(&tail.get_output().stdout)
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["entry"]["kind"].as_str().unwrap().to_owned())
        .collect();
    for kind in ["keys.rotated", "keys.rewrapped", "keys.retired"] {
        assert!(
            kinds.iter().any(|k| k == kind),
            "{kind} missing from {kinds:?}"
        );
    }
}

#[test]
fn a_break_glass_key_opens_without_the_keyring() {
    let s = setup();
    let key_file = s.dir.join("break-glass.key");
    phiguard(&s.home)
        .args(["keys", "break-glass", "--note", "safe 2"])
        .arg("--out")
        .arg(&key_file)
        .assert()
        .success();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        fs::metadata(&key_file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let input = write(&s.dir.join("chart.pdf"), &content(90_000));
    phiguard(&s.home).arg("seal").arg(&input).assert().success();

    // The keyring is gone (lost root key): the break-glass key still opens the file. The
    // ledger key stays: the emergency access is recorded like any other.
    fs::remove_file(s.home.join("keys/keyring.json")).unwrap();
    fs::remove_file(s.home.join("keys/root.key")).unwrap();
    let out = s.dir.join("chart-restored.pdf");
    phiguard(&s.home)
        .arg("unseal")
        .arg(s.dir.join("chart.pdf.phg"))
        .arg("-o")
        .arg(&out)
        .arg("--break-glass")
        .arg(&key_file)
        .assert()
        .success();
    assert_eq!(fs::read(&out).unwrap(), content(90_000));
    let unseals = ledger_entries(&s.home, "crypto.unseal");
    let body = &unseals.last().unwrap()["entry"]["body"];
    assert_eq!(body["outcome"], "opened", "{body:#}");
    assert!(
        body["opened_with"]
            .as_str()
            .unwrap()
            .starts_with("break-glass key"),
        "{body:#}"
    );
    // Without the keyring there is no key to pseudonymise the file names with.
    assert_eq!(body["sealed_file"], serde_json::Value::Null);
    assert_eq!(body["key_version"], serde_json::Value::Null);

    let wrong = setup();
    let other_key = wrong.dir.join("other.key");
    phiguard(&wrong.home)
        .args(["keys", "break-glass"])
        .arg("--out")
        .arg(&other_key)
        .assert()
        .success();
    let refused = phiguard(&s.home)
        .arg("unseal")
        .arg(s.dir.join("chart.pdf.phg"))
        .arg("-o")
        .arg(s.dir.join("nope"))
        .arg("--break-glass")
        .arg(&other_key)
        .assert()
        .code(2);
    assert!(
        stderr_of(&refused).contains("not one of the recipients"),
        "{}",
        stderr_of(&refused)
    );
}

#[test]
fn an_edited_keyring_is_refused() {
    let s = setup();
    let path = s.home.join("keys/keyring.json");
    let text = fs::read_to_string(&path).unwrap();
    let edited = text.replace("\"min_decrypt_version\": 1", "\"min_decrypt_version\": 0");
    assert_ne!(text, edited);
    fs::write(&path, edited).unwrap();
    let refused = phiguard(&s.home).args(["keys", "list"]).assert().code(2);
    assert!(
        stderr_of(&refused).contains("changed outside phiguard"),
        "{}",
        stderr_of(&refused)
    );
}

#[test]
fn a_missing_root_key_file_says_what_is_lost() {
    let s = setup();
    fs::remove_file(s.home.join("keys/root.key")).unwrap();
    let input = write(&s.dir.join("a"), b"x");
    let refused = phiguard(&s.home).arg("seal").arg(&input).assert().code(2);
    assert!(
        stderr_of(&refused).contains("root.key"),
        "{}",
        stderr_of(&refused)
    );
}

#[test]
fn a_passphrase_root_needs_the_right_passphrase() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let passphrase = "correct horse battery staple";
    phiguard(&home)
        .args(["keys", "init", "--provider", "passphrase"])
        .env("PHIGUARD_PASSPHRASE", passphrase)
        .assert()
        .success();
    let input = write(&tmp.path().join("n.txt"), b"note");
    phiguard(&home)
        .arg("seal")
        .arg(&input)
        .env("PHIGUARD_PASSPHRASE", passphrase)
        .assert()
        .success();
    let wrong = phiguard(&home)
        .arg("unseal")
        .arg(tmp.path().join("n.txt.phg"))
        .arg("-o")
        .arg(tmp.path().join("n2.txt"))
        .env("PHIGUARD_PASSPHRASE", "incorrect horse battery staple")
        .assert()
        .code(2);
    let stderr = stderr_of(&wrong);
    assert!(stderr.contains("passphrase is wrong"), "{stderr}");
    assert!(
        !stderr.contains("incorrect horse"),
        "the passphrase was echoed: {stderr}"
    );
    phiguard(&home)
        .arg("unseal")
        .arg(tmp.path().join("n.txt.phg"))
        .arg("-o")
        .arg(tmp.path().join("n2.txt"))
        .env("PHIGUARD_PASSPHRASE", passphrase)
        .assert()
        .success();
    assert_eq!(fs::read(tmp.path().join("n2.txt")).unwrap(), b"note");
    // `init` afterwards keeps the passphrase keyring.
    phiguard(&home).arg("init").assert().success();
    let list = phiguard(&home)
        .args(["--json", "keys", "list"])
        .env("PHIGUARD_PASSPHRASE", passphrase)
        .assert()
        .success();
    assert_eq!(json(&list.get_output().stdout)["provider"], "passphrase");
}

#[test]
fn pseudonyms_are_stable_here_and_differ_elsewhere() {
    let s = setup();
    let other = setup();
    let run = |home: &Path, input: &str| {
        let out = phiguard(home)
            .args(["pseudonym", "--kind", "mrn", "-"])
            .write_stdin(input.to_owned())
            .assert()
            .success();
        String::from_utf8(out.get_output().stdout.clone()).unwrap()
    };
    let first = run(&s.home, "MRN-0042\nMRN-0043\n");
    let lines: Vec<&str> = first.lines().collect();
    assert_eq!(lines.len(), 2);
    assert_ne!(lines[0], lines[1]);
    assert_eq!(run(&s.home, " MRN-0042 \n").trim(), lines[0]);
    assert_ne!(run(&other.home, "MRN-0042\n").trim(), lines[0]);
    assert!(!first.contains("0042"));

    let bad = phiguard(&s.home)
        .args(["pseudonym", "--kind", "ssn", "-"])
        .write_stdin("123-45-678\n")
        .assert()
        .code(2);
    let stderr = stderr_of(&bad);
    assert!(
        stderr.contains("line 1") && stderr.contains("9 digits"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("45-678"),
        "the identifier was echoed: {stderr}"
    );
}

#[test]
fn every_new_command_has_help_with_examples() {
    let tmp = tempfile::tempdir().unwrap();
    for args in [
        vec!["seal", "--help"],
        vec!["unseal", "--help"],
        vec!["pseudonym", "--help"],
        vec!["keys", "init", "--help"],
        vec!["keys", "list", "--help"],
        vec!["keys", "rotate", "--help"],
        vec!["keys", "retire", "--help"],
        vec!["keys", "rewrap", "--help"],
        vec!["keys", "break-glass", "--help"],
    ] {
        let out = phiguard(tmp.path()).args(&args).assert().success();
        let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
        assert!(
            text.contains("Examples:"),
            "{args:?} has no examples:\n{text}"
        );
    }
}

/// Every ledger entry of `kind`, oldest first.
fn ledger_entries(home: &Path, kind: &str) -> Vec<serde_json::Value> {
    let tail = phiguard(home)
        .args(["--json", "ledger", "tail", "-n", "100000"])
        .assert()
        .success();
    let mut entries: Vec<serde_json::Value> = json(&tail.get_output().stdout)
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["entry"]["kind"] == kind)
        .cloned()
        .collect();
    entries.sort_by_key(|e| e["seq"].as_u64());
    entries
}

/// The whole ledger as text, entries and all.
fn ledger_text(home: &Path) -> String {
    let tail = phiguard(home)
        .args(["--json", "ledger", "tail", "-n", "100000"])
        .assert()
        .success();
    String::from_utf8_lossy(&tail.get_output().stdout).into_owned()
}

fn sha256_hex(bytes: &[u8]) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes);
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// This installation's pseudonym for a file's path.
fn path_pseudonym(home: &Path, path: &Path) -> String {
    let out = phiguard(home)
        .args(["pseudonym", "--kind", "path"])
        .arg(path)
        .assert()
        .success();
    String::from_utf8_lossy(&out.get_output().stdout)
        .trim()
        .to_owned()
}

#[test]
fn seal_and_unseal_are_recorded_with_who_what_and_which_key_never_the_plaintext_or_a_key() {
    let s = setup();
    let chart = "MRN-00042 Jane Roe, born 1961-04-09: HIV positive, started ART 2026-11-30.\n";
    let plaintext = chart.repeat(1000);
    let input = write(&s.dir.join("jane-roe-chart.txt"), plaintext.as_bytes());
    phiguard(&s.home)
        .arg("seal")
        .arg(&input)
        .args(["--context", "purpose=backup"])
        .assert()
        .success();
    let sealed_path = s.dir.join("jane-roe-chart.txt.phg");
    let sealed = fs::read(&sealed_path).unwrap();
    let restored = s.dir.join("restored.txt");
    phiguard(&s.home)
        .arg("unseal")
        .arg(&sealed_path)
        .arg("-o")
        .arg(&restored)
        .args(["--context", "purpose=backup"])
        .assert()
        .success();
    assert_eq!(fs::read_to_string(&restored).unwrap(), plaintext);

    let keyring = phiguard(&s.home)
        .args(["--json", "keys", "list"])
        .assert()
        .success();
    let keyring_id = json(&keyring.get_output().stdout)["id"].clone();
    let seals = ledger_entries(&s.home, "crypto.seal");
    let unseals = ledger_entries(&s.home, "crypto.unseal");
    assert_eq!(
        (seals.len(), unseals.len()),
        (1, 1),
        "{seals:#?} {unseals:#?}"
    );
    let (seal, unseal) = (&seals[0]["entry"], &unseals[0]["entry"]);
    for entry in [seal, unseal] {
        let body = &entry["body"];
        // The message id names the sealed data in both entries.
        assert_eq!(body["message_id"], seal["body"]["message_id"], "{entry:#}");
        assert_eq!(body["message_id"].as_str().unwrap().len(), 64, "{entry:#}");
        assert_eq!(body["sealed_bytes"], sealed.len(), "{entry:#}");
        assert_eq!(body["context"], serde_json::json!({ "purpose": "backup" }));
        assert_eq!(body["keyring"], keyring_id, "{entry:#}");
        assert_eq!(body["key_version"], 1, "{entry:#}");
        assert_eq!(body["message_id"].as_str().unwrap().len(), 64, "{entry:#}");
        // The file, pseudonymised: found again by whoever holds the keys and knows the name.
        assert_eq!(
            body["sealed_file"],
            path_pseudonym(&s.home, &sealed_path),
            "{entry:#}"
        );
        // Who: the account phiguard ran as.
        assert!(entry["source"]["actor"].is_string(), "{entry:#}");
    }
    assert_eq!(seal["body"]["outcome"], "sealed");
    assert_eq!(seal["body"]["plain_file"], path_pseudonym(&s.home, &input));
    assert_eq!(unseal["body"]["outcome"], "opened");
    assert_eq!(
        unseal["body"]["plain_file"],
        path_pseudonym(&s.home, &restored)
    );
    assert!(
        unseal["body"]["opened_with"]
            .as_str()
            .unwrap()
            .contains("key-encryption key version 1"),
        "{unseal:#}"
    );
    assert_eq!(seal["body"]["message_id"], unseal["body"]["message_id"]);

    // Nothing of the plaintext, its name or a key is in the ledger.
    let ledger = ledger_text(&s.home);
    for secret in [
        "MRN-00042".to_owned(),
        "Jane Roe".to_owned(),
        "jane-roe".to_owned(),
        sha256_hex(plaintext.as_bytes()),
        fs::read_to_string(s.home.join("keys/ledger.key"))
            .unwrap()
            .trim()
            .to_owned(),
    ] {
        assert!(!ledger.contains(&secret), "{secret} is in the ledger");
    }
    let root_key = fs::read(s.home.join("keys/root.key")).unwrap();
    let root_hex: String = root_key.iter().map(|b| format!("{b:02x}")).collect();
    assert!(
        !ledger.to_lowercase().contains(&root_hex),
        "the root key is in the ledger"
    );
}

#[test]
fn an_unseal_that_fails_is_recorded_as_an_attempt() {
    let s = setup();
    let input = write(&s.dir.join("scan.bin"), &content(150_000));
    phiguard(&s.home)
        .arg("seal")
        .arg(&input)
        .args(["--context", "purpose=backup"])
        .assert()
        .success();
    let sealed_path = s.dir.join("scan.bin.phg");
    let mut sealed = fs::read(&sealed_path).unwrap();
    let at = sealed.len() - 40;
    sealed[at] ^= 1;
    fs::write(&sealed_path, &sealed).unwrap();
    let out = s.dir.join("scan-restored.bin");
    phiguard(&s.home)
        .arg("unseal")
        .arg(&sealed_path)
        .arg("-o")
        .arg(&out)
        .assert()
        .code(2);
    // A context that differs is an attempt too.
    phiguard(&s.home)
        .arg("unseal")
        .arg(&sealed_path)
        .arg("-o")
        .arg(&out)
        .args(["--context", "purpose=research"])
        .assert()
        .code(2);
    assert!(!out.exists());
    let unseals = ledger_entries(&s.home, "crypto.unseal");
    assert_eq!(unseals.len(), 2, "{unseals:#?}");
    let altered = &unseals[0]["entry"]["body"];
    assert_eq!(altered["outcome"], "refused", "{altered:#}");
    assert!(
        altered["reason"].as_str().unwrap().contains("altered"),
        "{altered:#}"
    );
    // The size is of the whole file, whatever was read before the refusal.
    assert_eq!(altered["sealed_bytes"], sealed.len());
    assert_eq!(altered["plain_file"], path_pseudonym(&s.home, &out));
    let wrong_context = &unseals[1]["entry"]["body"];
    assert_eq!(wrong_context["outcome"], "refused");
    assert_eq!(
        wrong_context["required_context"],
        serde_json::json!({ "purpose": "research" })
    );
}

#[test]
fn an_unseal_that_cannot_be_recorded_leaves_no_plaintext() {
    let s = setup();
    let input = write(&s.dir.join("note.txt"), b"chart of a patient");
    phiguard(&s.home).arg("seal").arg(&input).assert().success();
    fs::remove_file(&input).unwrap();
    // The database refuses new ledger entries from now on.
    common::sqlite_exec(
        &s.home,
        "CREATE TRIGGER refuse_entries BEFORE INSERT ON ledger_entries \
         BEGIN SELECT RAISE(FAIL, 'the disk is read-only'); END",
    );
    let refused = phiguard(&s.home)
        .arg("unseal")
        .arg(s.dir.join("note.txt.phg"))
        .assert()
        .code(2);
    let stderr = stderr_of(&refused);
    assert!(stderr.contains("ledger"), "{stderr}");
    assert!(
        !input.exists(),
        "plaintext left though the access went unrecorded"
    );
    assert_eq!(names_in(&s.dir), ["note.txt.phg"]);
}
