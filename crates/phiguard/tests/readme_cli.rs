//! The README shows what phiguard really prints, and lists what the tests really need: its
//! examples with output are run, and its development section is held against `.ci/run`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failure with its location

use std::path::{Path, PathBuf};

mod common;
use common::phiguard;

/// Where the README's examples keep their home.
const README_HOME: &str = "/srv/phiguard";

fn workspace_file(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Each ```console block of `markdown`: its `$ ` command and the lines shown after it.
fn console_blocks(markdown: &str) -> Vec<(String, Vec<String>)> {
    let mut blocks = Vec::new();
    let mut lines = markdown.lines();
    while let Some(line) = lines.next() {
        if line.trim() != "```console" {
            continue;
        }
        let block: Vec<&str> = lines.by_ref().take_while(|l| l.trim() != "```").collect();
        let command = block
            .first()
            .and_then(|first| first.strip_prefix("$ "))
            .unwrap_or_else(|| panic!("a console block without a command: {block:?}"));
        blocks.push((
            command.to_owned(),
            block[1..].iter().map(|l| l.to_string()).collect(),
        ));
    }
    blocks
}

/// Runs `command` (`phiguard ARGS`, words without quotes) on a new installation named
/// clinic-prod, and returns its output with the home shown as the README's.
fn run(command: &str, home: &Path) -> String {
    let args: Vec<&str> = command.split_whitespace().collect();
    assert_eq!(args[0], "phiguard", "not a phiguard command: {command}");
    let out = phiguard(home)
        .args(&args[1..])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).replace(&home.display().to_string(), README_HOME)
}

#[test]
fn every_output_the_readme_shows_is_what_phiguard_prints() {
    let readme = workspace_file("README.md");
    let blocks = console_blocks(&readme);
    let commands: Vec<&str> = blocks.iter().map(|(c, _)| c.as_str()).collect();
    for expected in ["phiguard status", "phiguard assess"] {
        assert!(
            commands.iter().any(|c| c.starts_with(expected)),
            "the README shows no output of `{expected}`: {commands:?}"
        );
    }
    for (command, shown) in &blocks {
        let tmp = tempfile::tempdir().unwrap();
        let home: PathBuf = tmp.path().join("home");
        phiguard(&home)
            .args(["init", "--name", "clinic-prod", "-q"])
            .assert()
            .success();
        let printed = run(command, &home);
        let printed: Vec<&str> = printed.lines().map(str::trim_end).collect();
        for line in shown.iter().filter(|l| l.trim() != "…") {
            assert!(
                printed.contains(&line.trim_end()),
                "README.md shows `{line}` for `{command}`, which prints:\n{}",
                printed.join("\n")
            );
        }
    }
}

#[test]
fn the_development_section_names_everything_ci_installs() {
    let readme = workspace_file("README.md");
    let development = readme
        .split("\n## Development\n")
        .nth(1)
        .expect("README.md has a Development section");
    let ci = workspace_file(".ci/run");
    let mut needed: Vec<String> = ci
        .lines()
        .filter_map(|line| line.split("packages+=(").nth(1))
        .flat_map(|rest| {
            rest.split(')')
                .next()
                .unwrap_or_default()
                .split_whitespace()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect();
    for line in ci.lines() {
        for word in line.split_whitespace() {
            let word = word.trim_matches(['\'', '"']);
            // Debian's Python packages, and what pip installs (`name==version`).
            let pinned = word.split_once("==").is_some_and(|(name, version)| {
                !name.is_empty() && version.starts_with(char::is_numeric)
            });
            if word.starts_with("python3-") || pinned {
                needed.push(word.to_owned());
            }
        }
    }
    assert!(needed.len() > 10, "read nothing from .ci/run: {needed:?}");
    let missing: Vec<&String> = needed
        .iter()
        .filter(|name| !development.contains(&format!("`{name}`")))
        .collect();
    assert!(
        missing.is_empty(),
        ".ci/run installs what the README's development section does not name: {missing:?}"
    );
}

#[test]
fn the_readme_check_catches_an_output_that_drifted() {
    // The status example as it stood at schema version 3.
    let old = "```console\n$ phiguard status\nschema    version 3 (this phiguard writes version 3)\n```\n";
    let (command, shown) = console_blocks(old).remove(0);
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    phiguard(&home).args(["init", "-q"]).assert().success();
    let printed = run(&command, &home);
    assert!(!printed.lines().any(|l| l == shown[0]), "{printed}");
}
