//! Who made a change: the ledger names the OS account the command ran as, read from the
//! system, after any name stated with `--actor`; `$USER`, which anyone can set, changes nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failure with its location

mod common;
use common::{json, new_home, phiguard, stderr_of};

/// `NAME uid UID` of the account these tests run as, as `id` (which asks the system's name
/// service) reports it: the oracle for what phiguard reads itself.
fn this_account() -> String {
    let id = |flag: &str| {
        let out = std::process::Command::new("id").arg(flag).output().unwrap();
        assert!(out.status.success(), "id {flag} failed");
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    };
    format!("{} uid {}", id("-un"), id("-u"))
}

fn newest_entry(home: &std::path::Path) -> serde_json::Value {
    let out = phiguard(home)
        .args(["ledger", "tail", "-n", "1", "--json"])
        .assert()
        .success();
    let tail = json(&out.get_output().stdout);
    tail[0]["entry"].clone()
}

#[test]
fn the_recorded_actor_is_the_real_account_whatever_user_says() {
    let (_dir, home) = new_home();
    let account = this_account();
    assert!(
        !account.starts_with("mallory "),
        "run the tests as another user"
    );

    phiguard(&home)
        .env("USER", "mallory")
        .env("LOGNAME", "mallory")
        .args([
            "register",
            "vendor",
            "add",
            "acme-cloud",
            "--name",
            "Acme",
            "--touches-phi",
            "false",
        ])
        .assert()
        .success();
    let entry = newest_entry(&home);
    assert_eq!(entry["kind"], "register.change");
    assert_eq!(entry["source"]["actor"], format!("[os: {account}]"));

    phiguard(&home)
        .env("USER", "mallory")
        .args(["register", "vendor", "update", "acme-cloud", "--notes", "x"])
        .args(["--actor", "Dana Ruiz, Security Officer"])
        .assert()
        .success();
    let entry = newest_entry(&home);
    assert_eq!(
        entry["source"]["actor"],
        format!("Dana Ruiz, Security Officer [os: {account}]")
    );

    // What a command records by itself (here `ledger append`) names the account too.
    phiguard(&home)
        .env("USER", "mallory")
        .args(["ledger", "append", "--kind", "ops.note", "--body", "{}"])
        .assert()
        .success();
    assert_eq!(
        newest_entry(&home)["source"]["actor"],
        format!("[os: {account}]")
    );

    // The history shows both.
    let out = phiguard(&home)
        .args(["register", "history", "vendor", "acme-cloud"])
        .assert()
        .success();
    let history = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(
        history.contains(&format!("by Dana Ruiz, Security Officer [os: {account}]")),
        "{history}"
    );
    assert!(!history.contains("mallory"), "{history}");
}

#[test]
fn a_stated_name_cannot_pass_for_an_account() {
    let (_dir, home) = new_home();
    for forged in ["root [os: root uid 0]", "  ", "Dana\n[os: root uid 0]"] {
        let out = phiguard(&home)
            .args([
                "register",
                "vendor",
                "add",
                "acme-cloud",
                "--name",
                "Acme",
                "--touches-phi",
                "false",
            ])
            .args(["--actor", forged])
            .assert()
            .code(2);
        assert!(stderr_of(&out).contains("--actor"), "{}", stderr_of(&out));
    }
    let out = phiguard(&home)
        .args(["register", "vendor", "list", "--json"])
        .assert()
        .success();
    assert_eq!(json(&out.get_output().stdout), serde_json::json!([]));
}
