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
    let current = phiguard(&s.home)
        .args(["keys", "retire", "2"])
        .assert()
        .code(2);
    assert!(
        stderr_of(&current).contains("must stay usable"),
        "{}",
        stderr_of(&current)
    );

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

    // The keyring is gone (lost root key): the break-glass key still opens the file.
    fs::remove_dir_all(s.home.join("keys")).unwrap();
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
