//! Runs the real `phiguard` binary in temporary homes.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failure with its location

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use assert_cmd::Command;

mod common;
use common::{json, phiguard, sqlite_exec, stderr_of};

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn init_creates_a_private_home_and_twice_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let first = phiguard(&home)
        .args(["init", "--name", "clinic-test", "--json"])
        .assert()
        .success();
    let first = json(&first.get_output().stdout);
    assert_eq!(first["created"], true);
    assert_eq!(first["installation_name"], "clinic-test");
    assert_eq!(first["schema_version"], phiguard_store::SCHEMA_VERSION);
    assert_eq!(mode(&home), 0o700);
    assert_eq!(mode(&home.join("phiguard.toml")), 0o600);
    assert_eq!(mode(&home.join("phiguard.db")), 0o600);
    assert_eq!(mode(&home.join("keys")), 0o700);

    let config_before = fs::read(home.join("phiguard.toml")).unwrap();
    let second = phiguard(&home).args(["init", "--json"]).assert().success();
    assert_eq!(json(&second.get_output().stdout)["created"], false);
    assert_eq!(fs::read(home.join("phiguard.toml")).unwrap(), config_before);
}

#[test]
fn the_written_config_documents_every_key() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    phiguard(&home).arg("init").assert().success();
    let config = fs::read_to_string(home.join("phiguard.toml")).unwrap();
    for key in [
        "name =",
        "url =",
        "busy_timeout_ms =",
        "connect_timeout_secs =",
    ] {
        let line = config
            .lines()
            .position(|l| l.starts_with(key))
            .unwrap_or_else(|| panic!("{key} missing"));
        let above = config.lines().nth(line - 1).unwrap();
        assert!(above.starts_with('#'), "{key} has no comment above it");
    }
}

#[test]
fn status_reports_json() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("fresh");
    phiguard(&home).args(["init", "-q"]).assert().success();
    let out = phiguard(&home)
        .args(["status", "--json"])
        .assert()
        .success();
    let status = json(&out.get_output().stdout);
    assert_eq!(status["home"]["path"], home.display().to_string());
    assert_eq!(status["home"]["source"], "flag");
    assert_eq!(status["database"]["backend"], "sqlite");
    assert_eq!(
        status["database"]["schema_version"],
        status["database"]["supported_schema_version"]
    );
    assert_eq!(status["counts"]["check_runs"], 0);
    assert_eq!(status["counts"]["findings"], 0);
    // JSON mode keeps stderr free of notes.
    assert!(out.get_output().stderr.is_empty(), "{}", stderr_of(&out));
}

#[test]
fn home_comes_from_the_environment_when_no_flag_is_given() {
    let tmp = tempfile::tempdir().unwrap();
    let from_env = tmp.path().join("env-home");
    phiguard(&from_env).args(["init", "-q"]).assert().success();
    let mut cmd = Command::cargo_bin("phiguard").unwrap();
    cmd.env("PHIGUARD_HOME", &from_env)
        .env_remove("PHIGUARD_DATABASE_URL")
        .current_dir(tmp.path());
    let out = cmd.args(["status", "--json"]).assert().success();
    let status = json(&out.get_output().stdout);
    assert_eq!(status["home"]["source"], "environment");
    assert_eq!(status["home"]["path"], from_env.display().to_string());

    // The flag wins over the environment.
    let from_flag = tmp.path().join("flag-home");
    phiguard(&from_flag).args(["init", "-q"]).assert().success();
    let out = phiguard(&from_flag)
        .env("PHIGUARD_HOME", &from_env)
        .args(["status", "--json"])
        .assert()
        .success();
    assert_eq!(
        json(&out.get_output().stdout)["home"]["path"],
        from_flag.display().to_string()
    );
}

#[test]
fn a_world_writable_home_is_refused_with_the_fix() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    phiguard(&home).arg("init").assert().success();
    fs::set_permissions(&home, fs::Permissions::from_mode(0o777)).unwrap();
    let out = phiguard(&home).arg("status").assert().code(2);
    let err = stderr_of(&out);
    assert!(
        err.contains("writable by its group and by every user"),
        "{err}"
    );
    assert!(err.contains("chmod 700"), "{err}");
    assert!(out.get_output().stdout.is_empty());
}

/// One way another local user could get at the keys or the evidence, and how phiguard must
/// refuse it.
struct BadState {
    /// Relative to the home.
    path: &'static str,
    mode: Option<u32>,
    /// Hand the path to another user (`nobody`); needs root.
    foreign_owner: bool,
    says: &'static str,
    fix: &'static str,
    /// The commands that must refuse: `status` opens the database, `seal` the keys.
    refused_by: &'static [&'static str],
}

#[test]
fn permissions_all_the_way_down_each_refusal_names_the_path_and_the_fix() {
    let root = rustix::process::geteuid().is_root();
    if !root {
        phiguard_testkit::missing(
            "root, to hand files to another user",
            "run the tests as root (CI does)",
        );
    }
    let me = rustix::process::geteuid().as_raw();
    let states = [
        // The attack that worked: a world-writable keys/ under an ordinary 0755 home.
        BadState {
            path: "keys",
            mode: Some(0o777),
            foreign_owner: false,
            says: "writable by its group and by every user",
            fix: "chmod 700",
            refused_by: &["status", "seal"],
        },
        BadState {
            path: "keys",
            mode: Some(0o775),
            foreign_owner: false,
            says: "writable by its group",
            fix: "chmod 700",
            refused_by: &["status", "seal"],
        },
        BadState {
            path: "keys/keyring.json",
            mode: Some(0o666),
            foreign_owner: false,
            says: "writable by its group and by every user",
            fix: "chmod 600",
            refused_by: &["status", "seal"],
        },
        BadState {
            path: "keys/root.key",
            mode: Some(0o602),
            foreign_owner: false,
            says: "writable by every user",
            fix: "chmod 600",
            refused_by: &["status", "seal"],
        },
        BadState {
            path: "keys/ledger.key",
            mode: Some(0o620),
            foreign_owner: false,
            says: "writable by its group",
            fix: "chmod 600",
            refused_by: &["status", "seal"],
        },
        BadState {
            path: "keys/root.key",
            mode: Some(0o640),
            foreign_owner: false,
            says: "readable by its group",
            fix: "chmod 600",
            refused_by: &["seal"],
        },
        BadState {
            path: "phiguard.db",
            mode: Some(0o666),
            foreign_owner: false,
            says: "writable by its group and by every user",
            fix: "chmod 600",
            refused_by: &["status"],
        },
        BadState {
            path: "phiguard.db",
            mode: Some(0o644),
            foreign_owner: false,
            says: "readable by every user",
            fix: "chmod 600",
            refused_by: &["status"],
        },
        BadState {
            path: "phiguard.toml",
            mode: Some(0o666),
            foreign_owner: false,
            says: "writable by its group and by every user",
            fix: "chmod 600",
            refused_by: &["status", "seal"],
        },
        BadState {
            path: "phiguard.toml",
            mode: Some(0o604),
            foreign_owner: false,
            says: "readable by every user",
            fix: "chmod 600",
            refused_by: &["status", "seal"],
        },
        BadState {
            path: ".",
            mode: Some(0o775),
            foreign_owner: false,
            says: "writable by its group",
            fix: "chmod 700",
            refused_by: &["status", "seal"],
        },
        // Another user's files, even with a private mode: they could change them at any time.
        BadState {
            path: "keys/keyring.json",
            mode: None,
            foreign_owner: true,
            says: "owned by user id 65534",
            fix: "chown",
            refused_by: &["status", "seal"],
        },
        BadState {
            path: "keys/root.key",
            mode: None,
            foreign_owner: true,
            says: "owned by user id 65534",
            fix: "chown",
            refused_by: &["status", "seal"],
        },
        BadState {
            path: "keys",
            mode: None,
            foreign_owner: true,
            says: "owned by user id 65534",
            fix: "chown",
            refused_by: &["status", "seal"],
        },
        BadState {
            path: "phiguard.toml",
            mode: None,
            foreign_owner: true,
            says: "owned by user id 65534",
            fix: "chown",
            refused_by: &["status", "seal"],
        },
        BadState {
            path: "phiguard.db",
            mode: None,
            foreign_owner: true,
            says: "owned by user id 65534",
            fix: "chown",
            refused_by: &["status"],
        },
    ];
    for state in states.iter().filter(|s| root || !s.foreign_owner) {
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().join("home");
        phiguard(&home).arg("init").assert().success();
        fs::set_permissions(&home, fs::Permissions::from_mode(0o755)).unwrap();
        let input = tmp.path().join("note.txt");
        fs::write(&input, "chart 0042").unwrap();
        // A correct home works, under an ordinary 0755 home directory.
        phiguard(&home).arg("status").assert().success();
        phiguard(&home).arg("seal").arg(&input).assert().success();
        fs::remove_file(tmp.path().join("note.txt.phg")).unwrap();

        let path = home.join(state.path);
        let path = if state.path == "." {
            home.clone()
        } else {
            path
        };
        if let Some(mode) = state.mode {
            fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
        }
        if state.foreign_owner {
            std::os::unix::fs::chown(&path, Some(65534), Some(65534)).unwrap();
        }
        let fix = match state.fix {
            "chown" if state.path == "." => format!("chown -R {me} {}", path.display()),
            "chown" => format!("chown {me} {}", path.display()),
            chmod => format!("{chmod} {}", path.display()),
        };
        for command in state.refused_by {
            let mut cmd = phiguard(&home);
            cmd.arg(command);
            if *command == "seal" {
                cmd.arg(&input);
            }
            let out = cmd.assert().code(2);
            let err = stderr_of(&out);
            let case = format!("{} {:?} {command}", state.path, state.mode);
            assert!(
                err.contains(&format!("refusing to use {}", path.display())),
                "{case}: {err}"
            );
            assert!(err.contains(state.says), "{case}: {err}");
            assert!(err.contains(&fix), "{case}: {err}");
            assert!(
                !tmp.path().join("note.txt.phg").exists(),
                "{case}: sealed anyway"
            );
        }
    }
}

#[test]
fn a_file_as_home_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("not-a-dir");
    fs::write(&file, "x").unwrap();
    let out = phiguard(&file).arg("init").assert().code(2);
    assert!(
        stderr_of(&out).contains("is not a directory"),
        "{}",
        stderr_of(&out)
    );
}

#[test]
fn a_broken_config_names_the_line_and_loses_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    phiguard(&home).arg("init").assert().success();
    let path = home.join("phiguard.toml");
    let broken = fs::read_to_string(&path)
        .unwrap()
        .replace("busy_timeout_ms", "busy_timout_ms");
    fs::write(&path, &broken).unwrap();
    let out = phiguard(&home).arg("status").assert().code(2);
    let err = stderr_of(&out);
    assert!(
        err.contains("busy_timout_ms") && err.contains("line"),
        "{err}"
    );
    // init must not "repair" the file by replacing it.
    phiguard(&home).arg("init").assert().code(2);
    assert_eq!(fs::read_to_string(&path).unwrap(), broken);
}

#[test]
fn an_unreachable_database_is_exit_2_without_the_password() {
    let tmp = tempfile::tempdir().unwrap();
    phiguard(&tmp.path().join("home"))
        .args(["init", "-q"])
        .assert()
        .success();
    let out = phiguard(&tmp.path().join("home"))
        .env(
            "PHIGUARD_DATABASE_URL",
            "postgres://phiguard:hunter2@127.0.0.1:1/phiguard",
        )
        .args(["status", "--json"])
        .assert()
        .code(2);
    let stdout = json(&out.get_output().stdout);
    let message = stdout["error"]["message"].as_str().unwrap();
    assert!(message.contains("server is running"), "{message}");
    let everything = format!("{stdout} {}", stderr_of(&out));
    assert!(
        !everything.contains("hunter2"),
        "password leaked: {everything}"
    );
}

/// Everything a command left in `dir`'s tree, as paths relative to it.
fn files_under(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        for entry in fs::read_dir(&next).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path.clone());
            }
            found.push(path.strip_prefix(dir).unwrap().display().to_string());
        }
    }
    found
}

#[test]
fn a_libpq_connection_string_is_refused_and_creates_no_file_named_with_the_password() {
    for (how, text) in [
        ("flag", "host=db password=s3cr/et dbname=phi"),
        ("flag", "host=db password=s3cret dbname=phi"),
        ("env", "host=db password=s3cret dbname=phi"),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let mut cmd = phiguard(&tmp.path().join("home"));
        cmd.current_dir(tmp.path());
        if how == "flag" {
            cmd.args(["--database", text]);
        } else {
            cmd.env("PHIGUARD_DATABASE_URL", text);
        }
        // `init`: the first command of a new home reaches the database URL.
        let out = cmd.args(["init"]).assert().code(2);
        let stderr = stderr_of(&out);
        assert!(stderr.contains("libpq connection string"), "{stderr}");
        assert!(stderr.contains("postgres://USER:PASSWORD@HOST"), "{stderr}");
        let everything = format!(
            "{}{stderr}",
            String::from_utf8_lossy(&out.get_output().stdout)
        );
        assert!(
            !everything.contains("s3cr"),
            "password leaked: {everything}"
        );
        let files = files_under(tmp.path());
        assert!(
            files.iter().all(|f| !f.contains("s3cr")),
            "a file named with the password: {files:?}"
        );
        assert!(
            !files.iter().any(|f| f.ends_with("phiguard.db")),
            "evidence went to a database the user never asked for: {files:?}"
        );
    }
}

#[test]
fn a_password_with_url_characters_is_never_printed() {
    let tmp = tempfile::tempdir().unwrap();
    for url in [
        "postgres://phiguard:pa/ss?wo#rd@127.0.0.1:5432/phiguard",
        "postgres://phiguard:pa/ss?word@127.0.0.1:99999/phiguard",
        "postgres://phiguard:pa%2Fss%3Fword@127.0.0.1:99999/phiguard",
    ] {
        let out = phiguard(&tmp.path().join("home"))
            .args(["--database", url, "init", "--json"])
            .assert()
            .code(2);
        let everything = format!(
            "{}{}",
            String::from_utf8_lossy(&out.get_output().stdout),
            stderr_of(&out)
        );
        assert!(
            everything.contains("error"),
            "no error for {url}: {everything}"
        );
        for piece in ["pa/ss", "ss?wo", "pa%2Fss", "word@"] {
            assert!(!everything.contains(piece), "{piece} leaked: {everything}");
        }
    }
}

#[test]
fn a_database_newer_than_the_binary_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    phiguard(&home).arg("init").assert().success();
    sqlite_exec(
        &home,
        "INSERT INTO phiguard_schema VALUES (99, 'future', 'x')",
    );
    let out = phiguard(&home).arg("status").assert().code(2);
    let err = stderr_of(&out);
    assert!(
        err.contains("schema version 99") && err.contains("Upgrade phiguard"),
        "{err}"
    );
}

#[test]
fn status_runs_on_postgres() {
    let Some(db) = common::postgres_database() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    phiguard(&tmp.path().join("home"))
        .args(["--database", db.url(), "init", "-q"])
        .assert()
        .success();
    let out = phiguard(&tmp.path().join("home"))
        .args(["--database", db.url(), "status", "--json"])
        .assert()
        .success();
    let status = json(&out.get_output().stdout);
    assert_eq!(status["database"]["backend"], "postgres");
    assert_eq!(
        status["database"]["schema_version"],
        phiguard_store::SCHEMA_VERSION
    );
    // The embedded SQLite file is not created when PostgreSQL is used.
    assert!(!tmp.path().join("home/phiguard.db").exists());
}

/// The lines of a help's `heading:` section, up to the next heading or the end.
fn section<'t>(help: &'t str, heading: &str) -> Vec<&'t str> {
    help.split(&format!("\n{heading}:\n"))
        .nth(1)
        .map(|rest| {
            rest.lines()
                .take_while(|line| line.is_empty() || line.starts_with(' '))
                .collect()
        })
        .unwrap_or_default()
}

/// Problems with the help of one command as printed on an 80-column terminal: global options
/// outside their own heading, and example lines that a shell would not run as shown.
fn help_problems(help: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let global = section(help, "Global options").join("\n");
    let options = section(help, "Options").join("\n");
    for flag in [
        "--home",
        "--database",
        "--json",
        "--quiet",
        "--verbose",
        "--color",
    ] {
        if !global.contains(flag) {
            problems.push(format!("{flag} is not under \"Global options:\""));
        }
        if options.contains(&format!("  {flag} ")) || options.contains(&format!(" {flag}\n")) {
            problems.push(format!("{flag} is among the command's own options"));
        }
    }
    let examples: Vec<&str> = help
        .split("\nExamples:\n")
        .nth(1)
        .unwrap_or_default()
        .lines()
        .take_while(|line| !line.is_empty())
        .collect();
    let mut continued = false;
    for line in examples {
        let indent = line.len() - line.trim_start().len();
        let expected = if continued { 6 } else { 2 };
        if line.chars().count() > 80 || indent != expected {
            problems.push(format!("example line not as a shell runs it: {line:?}"));
        }
        continued = line.ends_with(" \\");
    }
    if continued {
        problems.push("the last example line ends in \\".into());
    }
    problems
}

#[test]
fn every_command_has_help_with_an_example() {
    // Walks the whole command tree from the top-level help, so a new command cannot be
    // added without an example.
    let commands = common::every_command();
    for (path, text) in &commands {
        let example = text
            .split("Examples:\n")
            .nth(1)
            .and_then(|rest| rest.lines().next())
            .unwrap_or_default();
        assert!(
            example.starts_with("  ") && example.contains("phiguard"),
            "`phiguard {}` has no example:\n{text}",
            path.join(" ")
        );
        let problems = help_problems(text);
        assert!(
            problems.is_empty(),
            "`phiguard {} --help`: {problems:#?}\n{text}",
            path.join(" ")
        );
    }
    let seen = commands.len();
    // The register alone has twelve kinds of five subcommands each.
    assert!(seen > 100, "only {seen} commands were found");
}

#[test]
fn usage_errors_exit_2_and_version_exits_0() {
    let out = Command::cargo_bin("phiguard")
        .unwrap()
        .arg("no-such-command")
        .assert()
        .code(2);
    assert!(stderr_of(&out).contains("unrecognized subcommand"));
    let out = Command::cargo_bin("phiguard")
        .unwrap()
        .arg("--version")
        .assert()
        .success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert_eq!(
        text.trim(),
        format!("phiguard {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn a_wrapped_example_or_a_global_option_among_the_options_is_caught() {
    // The defects the walk above looks for, as clap printed them before they were fixed.
    let before = "Usage: phiguard status [OPTIONS]\n\nOptions:\n      --home <DIR>  Data \
                  directory\n      --json        Print JSON\n\nExamples:\n  phiguard register \
                  baa add acme-cloud-2026 --vendor acme-cloud --status signed --signed\n2026-01-15\n";
    let problems = help_problems(before);
    assert!(
        problems.iter().any(|p| p.contains("--home is among")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("\"2026-01-15\"")),
        "{problems:?}"
    );
}

#[test]
fn a_boolean_add_requires_looks_required() {
    let out = Command::cargo_bin("phiguard")
        .unwrap()
        .args(["register", "vendor", "add", "--help"])
        .assert()
        .success();
    let help = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    let usage = help.lines().find(|l| l.starts_with("Usage:")).unwrap();
    assert!(
        usage.contains(" --touches-phi [<BOOL>] "),
        "--touches-phi is not required in {usage}"
    );
    assert!(help.contains("[required]"), "{help}");
    // `update` keeps it optional.
    let out = Command::cargo_bin("phiguard")
        .unwrap()
        .args(["register", "vendor", "update", "--help"])
        .assert()
        .success();
    let help = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(!help.contains("[required]"), "{help}");
}
