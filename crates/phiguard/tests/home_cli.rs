//! Where the home is, found the same way from any directory; which commands may start one,
//! and what every other command says when there is none.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::{every_command, json, phiguard, phiguard_finding_home, stderr_of, tree};

/// What a command does where there is no home.
enum OnMissingHome {
    /// It records evidence that needs nothing before, and starts a home.
    Starts,
    /// It needs a home that exists: run with these arguments, it must say there is none.
    Refuses(Vec<String>),
    /// It never opens a home (it records nothing): run with these arguments, it must succeed
    /// and create none.
    Ignores(Vec<String>),
}

/// Every command's behaviour on a missing home, by its path. A command missing here fails
/// the test, so a new one cannot be added without deciding.
fn on_missing_home(path: &[&str], files: &Path) -> Option<OnMissingHome> {
    use OnMissingHome::{Ignores, Refuses, Starts};
    let file = |name: &str| files.join(name).display().to_string();
    let run = |args: &[&str]| {
        let mut all: Vec<String> = path.iter().map(|s| s.to_string()).collect();
        all.extend(args.iter().map(|s| s.to_string()));
        Some(Refuses(all))
    };
    match path {
        ["init"] | ["assess"] | ["attest"] | ["demo"] => Some(Starts),
        ["ledger", "append"] | ["ledger", "witness", _] => Some(Starts),
        ["keys", "init"] | ["fim", "init"] | ["host", "check" | "patch"] => Some(Starts),
        ["cloud", "check", "aws"] => Some(Starts),
        ["cloud", "inventory"] => run(&[]),
        ["keys", "status"] => run(&[]),
        ["keys", "wrap", "add"] => run(&["aws-kms", "--key-id", "alias/phiguard"]),
        ["keys", "wrap", "remove"] => run(&["--key-id", "alias/phiguard"]),
        ["register", "check"] | ["register", _, "add"] => Some(Starts),
        ["incident", "add"] => Some(Starts),
        ["asset" | "flow" | "risk", "add"] | ["risk", "analyze"] => Some(Starts),
        // Without --dry-run it starts a home; with it, it only reads (run below).
        ["asset", "import"] => Some(Starts),
        // Without --dry-run they start a home; with it they only read (run below).
        ["register", "import"] | ["matrix", "import"] => Some(Starts),

        ["breach", "plan"] => Some(Ignores(vec![
            "breach".into(),
            "plan".into(),
            file("breach.yaml"),
        ])),
        // The threat catalog is compiled in.
        ["risk", "threats"] => Some(Ignores(vec!["risk".into(), "threats".into()])),

        ["status"] => run(&[]),
        ["ledger", "show" | "prove"] => run(&["0"]),
        ["ledger", "tail" | "checkpoint" | "verify" | "key"] => run(&[]),
        ["ledger", "consistency"] => run(&["1", "2"]),
        ["ledger", "export"] => run(&["--out", &file("bundle")]),
        ["seal"] => run(&[&file("notes.txt"), "-o", &file("sealed.phg")]),
        ["unseal"] => run(&[&file("notes.txt.phg"), "-o", &file("opened.txt")]),
        ["keys", "list" | "rotate"] => run(&[]),
        ["keys", "retire"] => run(&["1"]),
        ["keys", "rewrap"] => run(&[&file("notes.txt.phg")]),
        ["keys", "break-glass"] => run(&["--out", &file("break-glass.key")]),
        ["pseudonym"] => run(&["--kind", "mrn", "MRN-1"]),
        ["fim", "check"] => run(&[]),
        ["fim", "update"] => run(&["--reason", "accepted"]),
        ["fim", "watch"] => run(&[]),
        ["register", _, "list"] => run(&[]),
        ["register", _, "show" | "remove"] => run(&["x"]),
        ["register", _, "update"] => run(&["x"]),
        ["register", "history"] => run(&["vendor", "x"]),
        ["register", "export"] => run(&[&file("register")]),
        ["matrix", "export"] => run(&[&file("matrix.csv")]),
        ["access", "revoke"] => run(&["g", "--by", "Dana", "--reason", "left"]),
        ["access", "review", "list"] => run(&[]),
        ["access", "review", "start"] => run(&["--system", "ehr"]),
        ["access", "review", "decide"] => run(&["r", "g", "--keep", "--comment", "ok"]),
        ["access", "review", "close"] => run(&["r"]),
        ["incident", "list"] => run(&[]),
        ["incident", "show" | "timeline"] => run(&["x"]),
        ["incident", "update"] => run(&["x", "--status", "closed"]),
        ["breach", "assess"] => run(&["x", "--conclusion", "notifiable", "--decided-by", "P"]),
        ["breach", "affected"] => run(&["x", "--csv", &file("affected.csv")]),
        ["breach", "deadlines"] => run(&["x"]),
        ["breach", "notices"] => run(&["x", "--out", &file("notices")]),
        ["breach", "log"] => run(&["--year", "2026"]),
        ["asset" | "flow", "list"] => run(&[]),
        ["asset" | "flow", "show" | "update" | "remove"] => run(&["x"]),
        ["risk", "list" | "vulnerabilities"] => run(&[]),
        ["risk", "show" | "update" | "report"] => run(&["x"]),
        ["risk", "accept"] => run(&[
            "x",
            "--by",
            "Dana",
            "--reason",
            "r",
            "--until",
            "2099-01-01",
        ]),
        ["risk", "signoff"] => run(&["x", "--by", "Dana"]),
        _ => None,
    }
}

/// The commands that need a home, with the arguments to run each, checked against the whole
/// command tree; and those that never open one.
fn commands_by_home(files: &Path) -> (Vec<Vec<String>>, Vec<Vec<String>>) {
    let mut refusing = Vec::new();
    let mut ignoring = Vec::new();
    for (path, help) in every_command() {
        if path.is_empty() || !common::subcommands_in(&help).is_empty() {
            continue; // not a command that runs
        }
        let path: Vec<&str> = path.iter().map(String::as_str).collect();
        match on_missing_home(&path, files) {
            Some(OnMissingHome::Refuses(args)) => refusing.push(args),
            Some(OnMissingHome::Ignores(args)) => ignoring.push(args),
            Some(OnMissingHome::Starts) => {}
            None => panic!(
                "`phiguard {}` is not listed: decide whether it may start a home",
                path.join(" ")
            ),
        }
    }
    // The dry runs read only.
    let dir = files.join("register").display().to_string();
    refusing.push(vec![
        "register".into(),
        "import".into(),
        dir,
        "--dry-run".into(),
    ]);
    refusing.push(vec![
        "asset".into(),
        "import".into(),
        files.join("assets.yaml").display().to_string(),
        "--dry-run".into(),
    ]);
    let csv = files.join("matrix.csv").display().to_string();
    refusing.push(vec![
        "matrix".into(),
        "import".into(),
        csv,
        "--dry-run".into(),
    ]);
    (refusing, ignoring)
}

/// Input files for the commands that take some, so that they reach the home.
fn files_in(dir: &Path) -> PathBuf {
    fs::create_dir_all(dir.join("register")).unwrap();
    fs::write(dir.join("notes.txt"), b"chart").unwrap();
    fs::write(dir.join("notes.txt.phg"), b"not sealed").unwrap();
    fs::write(dir.join("matrix.csv"), b"control,responsibility\n").unwrap();
    fs::write(dir.join("assets.yaml"), b"[]\n").unwrap();
    fs::write(
        dir.join("breach.yaml"),
        b"role: covered_entity\ndiscovered: 2026-03-01\naffected: {OH: 3}\nsecured: false\n",
    )
    .unwrap();
    dir.to_path_buf()
}

#[test]
fn every_command_that_needs_a_home_refuses_a_missing_one_and_creates_nothing() {
    let system_home = Path::new("/var/lib/phiguard");
    if system_home.join("phiguard.toml").exists() {
        eprintln!("note: skipped: {} holds a home here", system_home.display());
        return;
    }
    let system_home_existed = system_home.exists();
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    // Files beside the working directory, so the working directory stays empty.
    let files = files_in(&root.join("files"));
    let (commands, ignoring) = commands_by_home(&files);
    assert!(commands.len() > 60, "only {} commands", commands.len());
    let given = root.join("missing");
    let before = {
        phiguard_finding_home(root);
        tree(root)
    };
    let xdg = root.join("xdg/phiguard");
    for args in &commands {
        let found = phiguard_finding_home(root).args(args).assert().code(2);
        let stderr = stderr_of(&found);
        let says = format!("there is no phiguard home at {}", xdg.display());
        assert!(
            stderr.contains(&says),
            "`phiguard {}`: {stderr}",
            args.join(" ")
        );
        assert!(stderr.contains("--home: not given"), "{stderr}");
        assert!(stderr.contains("/var/lib/phiguard"), "{stderr}");
        assert!(stderr.contains("`phiguard init`"), "{stderr}");
        if args.starts_with(&["ledger".to_owned(), "verify".to_owned()]) {
            assert!(
                stderr.contains("ledger verify --bundle DIR --key KEY"),
                "{stderr}"
            );
        }

        let flagged = phiguard(&given).args(args).assert().code(2);
        let stderr = stderr_of(&flagged);
        let says = format!(
            "there is no phiguard home at {} (from --home)",
            given.display()
        );
        assert!(
            stderr.contains(&says),
            "`phiguard {}`: {stderr}",
            args.join(" ")
        );
        let init = format!("`phiguard --home {} init`", given.display());
        assert!(stderr.contains(&init), "{stderr}");

        assert_eq!(
            tree(root),
            before,
            "`phiguard {}` created files",
            args.join(" ")
        );
    }
    assert!(!ignoring.is_empty());
    for args in &ignoring {
        phiguard_finding_home(root).args(args).assert().success();
        phiguard(&given).args(args).assert().success();
        assert_eq!(
            tree(root),
            before,
            "`phiguard {}` created files",
            args.join(" ")
        );
    }
    assert_eq!(system_home.exists(), system_home_existed);
}

#[test]
fn a_command_that_records_evidence_makes_a_complete_home_found_from_anywhere() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let home = root.join("xdg/phiguard");
    phiguard_finding_home(root)
        .args(["-q", "assess", "--skip", "host"])
        .assert()
        .success();
    for part in [
        "phiguard.toml",
        "phiguard.db",
        "keys/ledger.key",
        "keys/keyring.json",
        "keys/root.key",
    ] {
        assert!(home.join(part).is_file(), "{part} is missing");
    }
    // Found from another directory, as the XDG home.
    let status = phiguard_finding_home(root)
        .current_dir(root.join("user"))
        .args(["status", "--json"])
        .assert()
        .success();
    let status = json(&status.get_output().stdout);
    assert_eq!(status["home"]["path"], home.display().to_string());
    assert_eq!(status["home"]["source"], "xdg");
    assert!(status["counts"]["ledger_entries"].as_u64().unwrap() > 0);

    // It seals at once: the keyring came with the home.
    let notes = root.join("work/notes.txt");
    fs::write(&notes, b"chart").unwrap();
    phiguard_finding_home(root)
        .arg("seal")
        .arg(&notes)
        .assert()
        .success();
    assert!(root.join("work/notes.txt.phg").is_file());

    let init = phiguard_finding_home(root).arg("init").assert().success();
    let text = String::from_utf8_lossy(&init.get_output().stdout).into_owned();
    assert!(text.contains("already existed and is complete"), "{text}");
    assert!(!text.contains("Created"), "{text}");
}

#[test]
fn init_on_a_home_made_without_a_keyring_says_it_existed_and_what_it_added() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    phiguard(&home).args(["-q", "init"]).assert().success();
    // As earlier versions' `assess` left a home: no keyring.
    fs::remove_file(home.join("keys/keyring.json")).unwrap();
    fs::remove_file(home.join("keys/root.key")).unwrap();
    let again = phiguard(&home).args(["init", "--json"]).assert().success();
    let result = json(&again.get_output().stdout);
    assert_eq!(result["created"], false);
    assert_eq!(result["added"], serde_json::json!(["keyring"]));
    let again = phiguard(&home).arg("init").assert().success();
    let text = String::from_utf8_lossy(&again.get_output().stdout).into_owned();
    let says = format!("phiguard home at {} already existed", home.display());
    assert!(text.contains(&says), "{text}");
    assert!(home.join("keys/keyring.json").is_file());
}

#[test]
fn an_earlier_versions_dot_phiguard_is_found_and_how_to_move_it_is_explained() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let legacy = root.join("work/.phiguard");
    phiguard_finding_home(root);
    phiguard(&legacy).args(["-q", "init"]).assert().success();

    let status = phiguard_finding_home(root)
        .args(["status", "--json"])
        .assert()
        .success();
    assert_eq!(
        json(&status.get_output().stdout)["home"]["source"],
        "legacy"
    );
    let status = phiguard_finding_home(root).arg("status").assert().success();
    let stderr = stderr_of(&status);
    let mv = format!(
        "mkdir -p {} && mv {} {}",
        root.join("xdg").display(),
        legacy.display(),
        root.join("xdg/phiguard").display()
    );
    assert!(stderr.contains(&mv), "{stderr}");
    assert!(
        stderr.contains(&format!("--home {}", legacy.display())),
        "{stderr}"
    );

    // Doing as told: the home is then where every directory finds it.
    let moved = std::process::Command::new("sh")
        .arg("-c")
        .arg(&mv)
        .status()
        .unwrap();
    assert!(moved.success());
    for dir in [root.join("work"), root.to_path_buf()] {
        let status = phiguard_finding_home(root)
            .current_dir(&dir)
            .arg("status")
            .assert()
            .success();
        let text = String::from_utf8_lossy(&status.get_output().stdout).into_owned();
        assert!(text.contains("(the XDG data directory)"), "{text}");
        assert!(stderr_of(&status).is_empty(), "{}", stderr_of(&status));
    }
}
