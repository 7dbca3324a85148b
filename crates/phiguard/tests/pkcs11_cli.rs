#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `phiguard keys init --provider pkcs11` and the commands that use its keyring, run as the
//! real binary against a SoftHSM2 token of the test's own (see `phiguard_testkit::softhsm`).
//! Without SoftHSM2 the tests skip with a note, and fail under `PHIGUARD_TEST_REQUIRE_ALL=1`.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use common::{json, stderr_of};
use phiguard_testkit::{SoftHsm, softhsm};

const PIN_ENV: &str = "PHIGUARD_PKCS11_PIN";

/// A `phiguard` command on `home`, isolated from the developer's environment like
/// `common::phiguard`, and pointed at the test's SoftHSM2 store.
fn phiguard(hsm: &SoftHsm, home: &Path) -> Command {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("phiguard"));
    cmd.env_remove("PHIGUARD_HOME")
        .env_remove("PHIGUARD_DATABASE_URL")
        .env_remove("PHIGUARD_LOG")
        .env_remove("PHIGUARD_PASSPHRASE")
        .env_remove(PIN_ENV)
        .arg("--home")
        .arg(home);
    hsm.configure(&mut cmd);
    Command::from_std(cmd)
}

/// The same, with the token's user PIN in the environment.
fn with_pin(hsm: &SoftHsm, home: &Path) -> Command {
    let mut cmd = phiguard(hsm, home);
    cmd.env(PIN_ENV, hsm.user_pin());
    cmd
}

/// `keys init --provider pkcs11` on `module` and `token`.
fn keys_init(cmd: &mut Command, module: &Path, token: &str) {
    cmd.args(["keys", "init", "--provider", "pkcs11", "--pkcs11-module"])
        .arg(module)
        .args(["--pkcs11-token", token]);
}

struct Setup {
    hsm: SoftHsm,
    tmp: tempfile::TempDir,
    home: PathBuf,
}

impl Setup {
    fn keyring(&self) -> PathBuf {
        self.home.join("keys/keyring.json")
    }

    fn root_key(&self) -> PathBuf {
        self.home.join("keys/root.key")
    }

    fn file(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }
}

/// A SoftHSM2 store and a home path, with no keyring yet; `None` when SoftHSM2 is absent.
fn setup() -> Option<Setup> {
    let hsm = softhsm()?;
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    Some(Setup { hsm, tmp, home })
}

/// A home whose keyring has its root key on the test token.
fn setup_with_keyring() -> Option<Setup> {
    let s = setup()?;
    let mut cmd = with_pin(&s.hsm, &s.home);
    keys_init(&mut cmd, s.hsm.module(), s.hsm.token_label());
    cmd.assert().success();
    Some(s)
}

fn content(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 37 % 253) as u8).collect()
}

#[test]
fn keys_init_puts_the_root_key_on_the_token_and_no_key_file_on_disk() {
    let Some(s) = setup() else {
        return;
    };
    let mut cmd = with_pin(&s.hsm, &s.home);
    keys_init(&mut cmd, s.hsm.module(), s.hsm.token_label());
    let created = cmd.arg("--json").assert().success();
    let report = json(&created.get_output().stdout);
    assert_eq!(report["provider"], "pkcs11");
    assert_eq!(report["current_version"], 1);
    let stdout = String::from_utf8_lossy(&created.get_output().stdout).into_owned();
    let stderr = stderr_of(&created);
    assert!(!stdout.contains(s.hsm.user_pin()), "{stdout}");
    assert!(!stderr.contains(s.hsm.user_pin()), "{stderr}");

    assert!(s.keyring().is_file());
    assert!(
        !s.root_key().exists(),
        "a pkcs11 keyring must not leave a root key file"
    );
    let text = fs::read_to_string(s.keyring()).unwrap();
    assert!(
        !text.contains(s.hsm.user_pin()),
        "the PIN is in the keyring"
    );
    let keyring: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(keyring["root"]["provider"], "pkcs11");
    assert_eq!(keyring["root"]["token"], s.hsm.token_label());
    assert_eq!(keyring["root"]["module"], s.hsm.module().to_str().unwrap());

    let list = with_pin(&s.hsm, &s.home)
        .args(["--json", "keys", "list"])
        .assert()
        .success();
    let list = json(&list.get_output().stdout);
    assert_eq!(list["provider"], "pkcs11");
    assert_eq!(list["id"], report["id"]);
    assert_eq!(list["keks"][0]["state"], "current");
}

#[test]
fn seal_and_unseal_round_trip_through_the_token() {
    let Some(s) = setup_with_keyring() else {
        return;
    };
    let input = s.file("scan.dcm");
    fs::write(&input, content(150_001)).unwrap();
    let sealed = with_pin(&s.hsm, &s.home)
        .args(["--json", "seal"])
        .arg(&input)
        .args(["--context", "purpose=backup"])
        .assert()
        .success();
    assert_eq!(json(&sealed.get_output().stdout)["key_version"], 1);
    let sealed_path = s.file("scan.dcm.phg");
    assert!(sealed_path.is_file());

    let out = s.file("restored.dcm");
    with_pin(&s.hsm, &s.home)
        .arg("unseal")
        .arg(&sealed_path)
        .arg("-o")
        .arg(&out)
        .args(["--context", "purpose=backup"])
        .assert()
        .success();
    assert_eq!(fs::read(&out).unwrap(), content(150_001));

    // Rotation happens on the token too, and older data keeps opening.
    with_pin(&s.hsm, &s.home)
        .args(["keys", "rotate"])
        .assert()
        .success();
    let out2 = s.file("restored-again.dcm");
    with_pin(&s.hsm, &s.home)
        .arg("unseal")
        .arg(&sealed_path)
        .arg("-o")
        .arg(&out2)
        .assert()
        .success();
    assert_eq!(fs::read(&out2).unwrap(), content(150_001));
}

#[test]
fn a_wrong_pin_is_refused_without_being_shown() {
    let Some(s) = setup_with_keyring() else {
        return;
    };
    let input = s.file("note.txt");
    fs::write(&input, b"progress note").unwrap();
    let wrong = "wrong-pin-Tz81x";

    let refused = phiguard(&s.hsm, &s.home)
        .env(PIN_ENV, wrong)
        .arg("seal")
        .arg(&input)
        .assert()
        .code(2);
    let stderr = stderr_of(&refused);
    assert!(stderr.contains("refused the PIN: it is wrong"), "{stderr}");
    assert!(stderr.contains(s.hsm.token_label()), "{stderr}");
    assert!(!stderr.contains(wrong), "the PIN was echoed: {stderr}");
    assert!(
        !stderr.contains(s.hsm.user_pin()),
        "the right PIN was shown: {stderr}"
    );
    assert!(!s.file("note.txt.phg").exists(), "sealed with a wrong PIN");

    // The same at `keys init`, before any key is made.
    let other = s.tmp.path().join("other-home");
    let mut cmd = phiguard(&s.hsm, &other);
    cmd.env(PIN_ENV, wrong);
    keys_init(&mut cmd, s.hsm.module(), s.hsm.token_label());
    let refused = cmd.assert().code(2);
    let stderr = stderr_of(&refused);
    assert!(stderr.contains("refused the PIN: it is wrong"), "{stderr}");
    assert!(!stderr.contains(wrong), "the PIN was echoed: {stderr}");
    assert!(!other.join("keys/keyring.json").exists());

    // The right PIN still works.
    with_pin(&s.hsm, &s.home)
        .arg("seal")
        .arg(&input)
        .assert()
        .success();
}

#[test]
fn a_missing_module_is_named() {
    let Some(s) = setup() else {
        return;
    };
    let module = s.tmp.path().join("no-such-dir/libvendor-pkcs11.so");
    let mut cmd = with_pin(&s.hsm, &s.home);
    keys_init(&mut cmd, &module, s.hsm.token_label());
    let refused = cmd.assert().code(2);
    let stderr = stderr_of(&refused);
    assert!(
        stderr.contains(&format!(
            "the PKCS#11 module {} cannot be loaded",
            module.display()
        )),
        "{stderr}"
    );
    assert!(stderr.contains("no file exists at that path"), "{stderr}");
    assert!(!stderr.contains(s.hsm.user_pin()), "{stderr}");
    assert!(!s.keyring().exists(), "a keyring was created anyway");
    assert!(!s.root_key().exists());
}

#[test]
fn an_unknown_token_lists_the_tokens_found() {
    let Some(s) = setup() else {
        return;
    };
    let mut cmd = with_pin(&s.hsm, &s.home);
    keys_init(&mut cmd, s.hsm.module(), "no-such-token");
    let refused = cmd.assert().code(2);
    let stderr = stderr_of(&refused);
    assert!(
        stderr.contains("no PKCS#11 token labelled \"no-such-token\" is present"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("tokens found: {:?}", s.hsm.token_label())),
        "{stderr}"
    );
    assert!(!stderr.contains(s.hsm.user_pin()), "{stderr}");
    assert!(!s.keyring().exists(), "a keyring was created anyway");
}

#[test]
fn a_second_keys_init_is_refused_and_the_keyring_kept() {
    let Some(s) = setup_with_keyring() else {
        return;
    };
    let before = fs::read(s.keyring()).unwrap();
    let mut cmd = with_pin(&s.hsm, &s.home);
    keys_init(&mut cmd, s.hsm.module(), s.hsm.token_label());
    let refused = cmd.assert().code(2);
    let stderr = stderr_of(&refused);
    assert!(stderr.contains("a keyring already exists"), "{stderr}");
    assert_eq!(fs::read(s.keyring()).unwrap(), before);

    // Nor may any other provider replace it.
    let refused = with_pin(&s.hsm, &s.home)
        .args(["keys", "init", "--provider", "file"])
        .assert()
        .code(2);
    assert!(
        stderr_of(&refused).contains("a keyring already exists"),
        "{}",
        stderr_of(&refused)
    );
    assert_eq!(fs::read(s.keyring()).unwrap(), before);
    assert!(!s.root_key().exists());
}

#[test]
fn two_installations_on_one_host_share_one_token() {
    // `keys init` labels the key it makes on the token after the installation, "so one
    // token can hold the roots of several" (src/keys.rs). Two homes on one machine get the
    // same default installation name (the host name), and each must still get its own root.
    let Some(s) = setup_with_keyring() else {
        return;
    };
    let second = s.tmp.path().join("second-home");
    let mut cmd = with_pin(&s.hsm, &second);
    keys_init(&mut cmd, s.hsm.module(), s.hsm.token_label());
    let created = cmd.assert();
    let stderr = stderr_of(&created);
    created.success();
    assert!(!stderr.contains("already holds a key"), "{stderr}");

    let input = s.file("a.txt");
    fs::write(&input, b"first installation's note").unwrap();
    with_pin(&s.hsm, &s.home)
        .arg("seal")
        .arg(&input)
        .assert()
        .success();
    let refused = with_pin(&s.hsm, &second)
        .arg("unseal")
        .arg(s.file("a.txt.phg"))
        .arg("-o")
        .arg(s.file("a-by-second.txt"))
        .assert()
        .code(2);
    assert!(
        stderr_of(&refused).contains("no key of this keyring"),
        "{}",
        stderr_of(&refused)
    );
    with_pin(&s.hsm, &s.home)
        .arg("unseal")
        .arg(s.file("a.txt.phg"))
        .arg("-o")
        .arg(s.file("a-back.txt"))
        .assert()
        .success();
    assert_eq!(
        fs::read(s.file("a-back.txt")).unwrap(),
        b"first installation's note"
    );
}

#[test]
fn init_afterwards_keeps_the_pkcs11_keyring() {
    let Some(s) = setup_with_keyring() else {
        return;
    };
    let before = fs::read(s.keyring()).unwrap();
    // `init` needs no PIN: it only checks that a keyring is there.
    phiguard(&s.hsm, &s.home).arg("init").assert().success();
    assert_eq!(
        fs::read(s.keyring()).unwrap(),
        before,
        "init changed the keyring"
    );
    assert!(
        !s.root_key().exists(),
        "init made a file root key beside the pkcs11 keyring"
    );
    let list = with_pin(&s.hsm, &s.home)
        .args(["--json", "keys", "list"])
        .assert()
        .success();
    assert_eq!(json(&list.get_output().stdout)["provider"], "pkcs11");
}
