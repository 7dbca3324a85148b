#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The access checks against image roots built from fixtures and in temporary directories,
//! and sshd's own reading of the same files (`sshd -T`) as the oracle for the parser.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use jiff::Timestamp;
use phiguard_core::{Check, CheckContext, Finding, Status};
use phiguard_host::Settings;
use phiguard_host::access::accounts::{parse_passwd, parse_shadow};
use phiguard_host::access::logoff::parse_shell;
use phiguard_host::access::sshd::{Sshd, SshdConfig, parse_sshd_t, split_line};
use phiguard_host::access::sudoers::parse_sudoers;
use proptest::prelude::*;
use tempfile::TempDir;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/access");
/// The hash of `admin` in the fixtures' shadow files; it must never appear in a finding.
const FIXTURE_HASH: &str = "$6$Zq8rT2vWpL4mN6xK$0Rhq04YIKJ57nWju0iVVtmwp43abWM3EleyTG./9kyzjzuMLy3ii/CMuQlOlmgIvTMeV2fGKBRxhTet1Fq0rR.";

const ROOT_LOGIN: &str = "host.access.ssh_root_login";
const PASSWORD: &str = "host.access.ssh_password_auth";
const MFA: &str = "host.access.ssh_mfa";
const CIPHERS: &str = "host.encryption.ssh_ciphers";
const UID0: &str = "host.access.uid0_accounts";
const EMPTY: &str = "host.access.empty_passwords";
const SUDO: &str = "host.access.sudo_nopasswd";
const LOGOFF: &str = "host.access.auto_logoff";
const ALL: [&str; 8] = [
    ROOT_LOGIN, PASSWORD, MFA, CIPHERS, UID0, EMPTY, SUDO, LOGOFF,
];
/// Not in `ALL`: it judges accounts against the register's grants, which the default settings
/// lack, so it is not applicable here; tests/grants.rs tests it.
const UNGRANTED: &str = "host.access.ungranted_accounts";

fn now() -> Timestamp {
    "2026-03-01T12:00:00Z".parse().unwrap()
}

/// An image root in a temporary directory.
struct Root(TempDir);

impl Root {
    fn empty() -> Root {
        Root(tempfile::tempdir().unwrap())
    }

    /// A copy of a fixture tree, to be modified by the test.
    fn fixture(name: &str) -> Root {
        let root = Root::empty();
        copy_tree(&Path::new(FIXTURES).join(name), root.path());
        root
    }

    fn path(&self) -> &Path {
        self.0.path()
    }

    /// Writes `text` at the system path `at` (e.g. `/etc/passwd`) under the root.
    fn write(&self, at: &str, text: &str) -> &Root {
        let path = self.at(at);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
        self
    }

    /// Puts a directory where a file is expected, which no reader can read, even root.
    fn unreadable(&self, at: &str) -> &Root {
        let path = self.at(at);
        let _ = fs::remove_file(&path);
        fs::create_dir_all(path).unwrap();
        self
    }

    fn at(&self, system_path: &str) -> PathBuf {
        self.ctx().path(system_path)
    }

    fn ctx(&self) -> CheckContext {
        CheckContext::new(self.path(), now())
    }

    fn run(&self, id: &str) -> Vec<Finding> {
        run(&self.ctx(), id)
    }

    /// The one finding `id` reports here.
    fn one(&self, id: &str) -> Finding {
        let mut findings = self.run(id);
        assert_eq!(findings.len(), 1, "{id}: {findings:#?}");
        findings.remove(0)
    }
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn checks() -> Vec<Box<dyn Check>> {
    phiguard_host::access::checks(&Settings::default())
}

fn run(ctx: &CheckContext, id: &str) -> Vec<Finding> {
    let checks = checks();
    let check = checks
        .iter()
        .find(|c| c.meta().id.as_str() == id)
        .unwrap_or_else(|| panic!("no check {id}"));
    check.run(ctx).unwrap()
}

/// Asserts the status and that the message contains every one of `parts`.
#[track_caller]
fn assert_finding(finding: &Finding, status: Status, parts: &[&str]) {
    assert_eq!(finding.status, status, "{finding:#?}");
    for part in parts {
        assert!(
            finding.message.contains(part),
            "message lacks {part:?}: {}",
            finding.message
        );
    }
}

fn sshd(root: &Root, config: &str) -> Finding {
    root.write("/etc/ssh/sshd_config", config);
    root.one(ROOT_LOGIN)
}

#[test]
fn every_check_is_registered_with_a_hipaa_rationale_and_a_remediation() {
    let checks = checks();
    let ids: Vec<&str> = checks.iter().map(|c| c.meta().id.as_str()).collect();
    assert_eq!(ids.len(), ALL.len() + 1);
    for id in ALL.into_iter().chain([UNGRANTED]) {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    for check in &checks {
        let meta = check.meta();
        assert!(meta.rationale.contains("164.312"), "{}", meta.id);
        assert!(meta.remediation.contains("/etc/"), "{}", meta.id);
    }
    let registry = phiguard_host::registry(&Settings::default()).unwrap();
    for id in ALL {
        assert!(registry.get(&id.parse().unwrap()).is_some(), "{id}");
    }
}

#[test]
fn a_stock_debian_cloud_image_fails_where_it_should() {
    let root = Root::fixture("debian12");
    let config = root.at("/etc/ssh/sshd_config").display().to_string();
    let drop_in = root.at("/etc/ssh/sshd_config.d/50-cloud-init.conf");

    let finding = root.one(ROOT_LOGIN);
    assert_finding(
        &finding,
        Status::Warn,
        &[
            "PermitRootLogin prohibit-password (OpenSSH's default",
            "shared root",
        ],
    );
    assert_eq!(finding.subject, config);
    assert!(
        finding
            .remediation
            .as_deref()
            .unwrap()
            .contains("PermitRootLogin no")
    );

    // The cloud-init drop-in is included at the top, so its `yes` wins.
    assert_finding(
        &root.one(PASSWORD),
        Status::Fail,
        &[&format!(
            "PasswordAuthentication yes (set at {} line 1)",
            drop_in.display()
        )],
    );
    assert_finding(&root.one(MFA), Status::Warn, &["AuthenticationMethods any"]);
    assert_finding(
        &root.one(CIPHERS),
        Status::Fail,
        &["MACs hmac-sha1 (OpenSSH's default"],
    );
    assert_finding(&root.one(UID0), Status::Pass, &["among 11 accounts"]);
    assert_finding(
        &root.one(EMPTY),
        Status::Fail,
        &["guest (", "shadow line 11"],
    );
    let sudo = root.one(SUDO);
    assert_finding(
        &sudo,
        Status::Fail,
        &["line 4: NOPASSWD lets admin run commands without a password"],
    );
    assert_eq!(
        sudo.subject,
        root.at("/etc/sudoers.d/90-cloud-init-users")
            .display()
            .to_string()
    );
    assert_finding(
        &root.one(LOGOFF),
        Status::Fail,
        &[
            "no shell start-up file sets TMOUT",
            "sshd never checks whether the client is still there",
        ],
    );
}

#[test]
fn a_hardened_image_passes_every_check() {
    let root = Root::fixture("hardened");
    for id in ALL {
        let finding = root.one(id);
        assert_eq!(finding.status, Status::Pass, "{finding:#?}");
        assert_eq!(
            finding.remediation, None,
            "a pass tells nobody to fix anything"
        );
    }
    let drop_in = root.at("/etc/ssh/sshd_config.d/00-hardening.conf");
    // The main file's `PermitRootLogin yes` comes after the drop-in, so it does not count.
    assert_finding(
        &root.one(ROOT_LOGIN),
        Status::Pass,
        &[&format!(
            "PermitRootLogin no (set at {} line 1)",
            drop_in.display()
        )],
    );
    // The Match block is judged too, and named.
    assert_finding(
        &root.one(MFA),
        Status::Pass,
        &[
            "for connections matching `Match Address 10.20.0.0/16`",
            "publickey,keyboard-interactive:pam",
        ],
    );
    assert_finding(
        &root.one(LOGOFF),
        Status::Pass,
        &[
            "TMOUT=900",
            "read-only",
            "after 900 s",
            "for `Match Address 10.20.0.0/16`",
            "after 360 s",
        ],
    );
    assert_finding(&root.one(SUDO), Status::Pass, &["in 2 sudoers files"]);
}

#[test]
fn no_finding_ever_contains_a_password_hash() {
    for fixture in ["debian12", "hardened"] {
        let root = Root::fixture(fixture);
        assert!(
            fs::read_to_string(root.at("/etc/shadow"))
                .unwrap()
                .contains(FIXTURE_HASH),
            "the fixture must hold the hash for this test to mean anything"
        );
        // Also a shadow file that is malformed right after a hash.
        for id in ALL {
            for finding in root.run(id) {
                let json = serde_json::to_string(&finding).unwrap();
                assert!(!json.contains("$6$"), "{json}");
                assert!(!json.contains("0Rhq04YIKJ57"), "{json}");
            }
        }
    }
    let root = Root::fixture("debian12");
    root.write(
        "/etc/shadow",
        &format!("root:*:1:0:99999:7:::\nadmin:{FIXTURE_HASH}:1:0:99999:7:::extra:fields\n"),
    );
    let finding = root.one(EMPTY);
    assert_finding(
        &finding,
        Status::Error,
        &["shadow line 2: expected 2 to 9 colon-separated fields, found 10"],
    );
    assert!(!serde_json::to_string(&finding).unwrap().contains("$6$"));
}

#[test]
fn without_sshd_config_the_ssh_checks_do_not_apply() {
    let root = Root::empty();
    root.write("/etc/profile.d/tmout.sh", "readonly TMOUT=600\n");
    for id in [ROOT_LOGIN, PASSWORD, MFA, CIPHERS] {
        assert_finding(
            &root.one(id),
            Status::NotApplicable,
            &["no SSH server configured"],
        );
    }
    assert_finding(
        &root.one(LOGOFF),
        Status::Pass,
        &["TMOUT=600", "no SSH server is configured"],
    );
    for id in [UID0, EMPTY, SUDO] {
        assert_eq!(root.one(id).status, Status::NotApplicable, "{id}");
    }
}

#[test]
fn the_first_value_wins_keywords_ignore_case_and_equals_signs_work() {
    let root = Root::empty();
    let finding = sshd(
        &root,
        "# comment\npermitrootlogin=no\nPermitRootLogin yes\n",
    );
    assert_finding(
        &finding,
        Status::Pass,
        &["PermitRootLogin no (set at", "sshd_config line 2)"],
    );
    let finding = sshd(
        &root,
        "PERMITROOTLOGIN = \"yes\" # trailing comment\nPermitRootLogin no\n",
    );
    assert_finding(&finding, Status::Fail, &["sshd_config line 1)"]);
    let finding = sshd(&root, "PermitRootLogin forced-commands-only\n");
    assert_finding(&finding, Status::Warn, &["forced in its authorized_keys"]);
}

#[test]
fn includes_are_globbed_sorted_relative_to_etc_ssh_and_hidden_files_skipped() {
    let root = Root::empty();
    root.write("/etc/ssh/conf.d/20-b.conf", "PermitRootLogin no\n");
    root.write(
        "/etc/ssh/conf.d/10-a.conf",
        "PermitRootLogin prohibit-password\n",
    );
    root.write("/etc/ssh/conf.d/.00-hidden.conf", "PermitRootLogin yes\n");
    root.write("/etc/ssh/conf.d/05-not-conf.txt", "PermitRootLogin yes\n");
    let finding = sshd(&root, "Include conf.d/*.conf\nPermitRootLogin yes\n");
    assert_finding(&finding, Status::Warn, &["10-a.conf line 1"]);

    // Absolute includes are read under the root, never from the live host; several
    // patterns on one line are read in order; a pattern matching nothing is fine.
    root.write("/etc/ssh/extra/one.conf", "PasswordAuthentication no\n");
    root.write(
        "/etc/ssh/extra/two.conf",
        "KbdInteractiveAuthentication no\n",
    );
    root.write(
        "/etc/ssh/sshd_config",
        "Include /etc/ssh/extra/one.conf /nowhere/*.conf \"/etc/ssh/extra/t*.conf\"\n",
    );
    assert_finding(
        &root.one(PASSWORD),
        Status::Pass,
        &["one.conf line 1", "two.conf line 1"],
    );
    // Wildcards in directory components too.
    root.write("/etc/ssh/extra/root.conf", "PermitRootLogin no\n");
    let finding = sshd(
        &root,
        "Include /etc/*/extra/root.conf\nPermitRootLogin yes\n",
    );
    assert_finding(&finding, Status::Pass, &["root.conf line 1"]);
}

#[test]
fn an_include_loop_is_an_error_not_a_hang() {
    let root = Root::empty();
    root.write("/etc/ssh/loop.conf", "Include loop.conf\n");
    let finding = sshd(&root, "Include /etc/ssh/loop.conf\n");
    assert_finding(
        &finding,
        Status::Error,
        &["loop.conf line 1", "more than 16 files deep"],
    );
    assert_eq!(
        finding.subject,
        root.at("/etc/ssh/loop.conf").display().to_string()
    );
}

#[test]
fn match_blocks_do_not_set_global_values_but_are_judged() {
    let root = Root::empty();
    // The Match block's `no` does not change the global default `yes`.
    root.write(
        "/etc/ssh/sshd_config",
        "UsePAM no\nMatch Address 10.0.0.0/8\n  PasswordAuthentication no\n",
    );
    assert_finding(
        &root.one(PASSWORD),
        Status::Fail,
        &[
            "PasswordAuthentication yes (OpenSSH's default",
            "for connections matching `Match Address 10.0.0.0/8`",
            "SSH does not accept passwords: PasswordAuthentication no (set at",
        ],
    );
    // A Match block that re-enables root fails the check although the global value is fine.
    let finding = sshd(
        &root,
        "PermitRootLogin no\nMatch User admin Address 192.0.2.1\n\tPermitRootLogin yes\n",
    );
    assert_finding(
        &finding,
        Status::Fail,
        &[
            "root cannot log in over SSH: PermitRootLogin no",
            "`Match User admin Address 192.0.2.1` (",
            "sshd_config line 2): root can log in",
            "sshd_config line 3)",
        ],
    );
    // Lines after `Match all` apply to every connection, and win over earlier global lines.
    let finding = sshd(
        &root,
        "PermitRootLogin yes\nMatch User bob\n PasswordAuthentication yes\nMatch all\nPermitRootLogin no\n",
    );
    assert_finding(&finding, Status::Pass, &["sshd_config line 5)"]);
}

#[test]
fn a_match_in_an_included_file_ends_with_that_file() {
    let root = Root::empty();
    root.write("/etc/ssh/m.conf", "Match User bob\n  PermitRootLogin yes\n");
    let finding = sshd(&root, "Include /etc/ssh/m.conf\nPermitRootLogin no\n");
    // The line after the Include is global again, and bob's block is still judged.
    assert_finding(
        &finding,
        Status::Fail,
        &[
            "root cannot log in over SSH: PermitRootLogin no (set at",
            "`Match User bob`",
        ],
    );
    // A file included from inside a Match block starts in that block, and its `Match all`
    // is not global: it only ever applies to connections matching the outer block.
    root.write(
        "/etc/ssh/inner.conf",
        "PermitRootLogin yes\nMatch all\nPasswordAuthentication yes\n",
    );
    root.write(
        "/etc/ssh/sshd_config",
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\nPermitRootLogin no\n\
         Match Group ops\nInclude /etc/ssh/inner.conf\n",
    );
    assert_finding(
        &root.one(ROOT_LOGIN),
        Status::Fail,
        &[
            "root cannot log in over SSH: PermitRootLogin no",
            "`Match Group ops`",
            "inner.conf line 1",
        ],
    );
    assert_finding(
        &root.one(PASSWORD),
        Status::Fail,
        &[
            "SSH does not accept passwords",
            "`Match all`",
            "inner.conf line 3",
        ],
    );
}

#[test]
fn a_match_block_resumes_after_an_include_and_is_judged_once() {
    let root = Root::empty();
    root.write(
        "/etc/ssh/sub.conf",
        "Match User dave\n  PermitRootLogin yes\n",
    );
    let finding = sshd(
        &root,
        "PermitRootLogin no\nMatch User carol\n  PasswordAuthentication no\n\
         Include /etc/ssh/sub.conf\n  PermitRootLogin prohibit-password\n",
    );
    assert_finding(
        &finding,
        Status::Fail,
        &[
            "`Match User carol`",
            "sshd_config line 5)",
            "`Match User dave`",
            "sub.conf line 2)",
        ],
    );
    assert_eq!(
        finding.message.matches("`Match User carol`").count(),
        1,
        "{}",
        finding.message
    );
}

#[test]
fn malformed_sshd_lines_are_errors_naming_file_and_line() {
    let root = Root::empty();
    let cases = [
        (
            "PermitRootLogin no\nBanner \"/etc/issue\n",
            2,
            "a quote is opened and never closed",
        ),
        ("\n\nPermitRootLogin\n", 3, "PermitRootLogin has no value"),
        ("PermitRootLogin maybe\n", 1, "not `maybe`"),
        ("PermitRootLogin no yes\n", 1, "takes one value"),
        ("Match User\n", 1, "Match criteria come in pairs"),
        ("Match\n", 1, "Match has no criteria"),
        ("Match all User bob\n", 1, "cannot be combined"),
        ("= no\n", 1, "no keyword"),
        ("Include\n", 1, "Include names no file"),
    ];
    for (text, line, reason) in cases {
        let finding = sshd(&root, text);
        assert_finding(
            &finding,
            Status::Error,
            &[&format!("sshd_config line {line}: "), reason],
        );
        assert_eq!(
            finding.subject,
            root.at("/etc/ssh/sshd_config").display().to_string()
        );
        assert!(finding.remediation.is_some());
    }
    root.write(
        "/etc/ssh/sshd_config",
        "Match User bob\n  Ciphers aes128-ctr\n",
    );
    assert_finding(
        &root.one(CIPHERS),
        Status::Error,
        &["line 2: Ciphers is not allowed inside a Match block"],
    );
    root.write("/etc/ssh/sshd_config", "PasswordAuthentication perhaps\n");
    assert_finding(
        &root.one(PASSWORD),
        Status::Error,
        &["must be yes or no, not `perhaps`"],
    );
    root.write("/etc/ssh/sshd_config", "ClientAliveInterval 5 minutes\n");
    assert_finding(
        &root.one(LOGOFF),
        Status::Error,
        &["ClientAliveInterval takes one value"],
    );
    root.write("/etc/ssh/sshd_config", "ClientAliveInterval 5q\n");
    assert_finding(
        &root.one(LOGOFF),
        Status::Error,
        &["must be a time such as 300 or 5m, not `5q`"],
    );
}

#[test]
fn unreadable_files_are_errors_naming_the_file() {
    let root = Root::empty();
    root.unreadable("/etc/ssh/sshd_config");
    assert_finding(
        &root.one(ROOT_LOGIN),
        Status::Error,
        &["sshd_config: could not read it"],
    );
    let root = Root::empty();
    root.write("/etc/ssh/sshd_config", "Include /etc/ssh/d/*.conf\n");
    root.unreadable("/etc/ssh/d/a.conf");
    assert_finding(
        &root.one(MFA),
        Status::Error,
        &["a.conf: could not read it"],
    );
    let root = Root::fixture("debian12");
    root.unreadable("/etc/shadow");
    assert_finding(
        &root.one(EMPTY),
        Status::Error,
        &["shadow: could not read it"],
    );
    root.unreadable("/etc/passwd");
    assert_finding(
        &root.one(UID0),
        Status::Error,
        &["passwd: could not read it"],
    );
    root.unreadable("/etc/sudoers.d/90-cloud-init-users");
    assert_finding(
        &root.one(SUDO),
        Status::Error,
        &["90-cloud-init-users: could not read it"],
    );
    root.unreadable("/etc/profile");
    assert_finding(
        &root.one(LOGOFF),
        Status::Error,
        &["profile: could not read it"],
    );
}

#[test]
fn password_authentication_considers_keyboard_interactive_and_second_factors() {
    let root = Root::empty();
    let judge = |config: &str| {
        root.write("/etc/ssh/sshd_config", config);
        root.one(PASSWORD)
    };
    let finding = judge("PasswordAuthentication no\nUsePAM yes\n");
    assert_finding(
        &finding,
        Status::Fail,
        &[
            "KbdInteractiveAuthentication yes (OpenSSH's default",
            "where PAM asks for the password",
        ],
    );
    // ChallengeResponseAuthentication is the same setting; the first of the two wins.
    let finding = judge(
        "PasswordAuthentication no\nUsePAM yes\nChallengeResponseAuthentication yes\n\
         KbdInteractiveAuthentication no\n",
    );
    assert_finding(
        &finding,
        Status::Fail,
        &["KbdInteractiveAuthentication yes (set at", "line 3)"],
    );
    let finding = judge("PasswordAuthentication no\nUsePAM no\n");
    assert_finding(&finding, Status::Pass, &["UsePAM no"]);
    let finding =
        judge("AuthenticationMethods publickey,password hostbased,keyboard-interactive\n");
    assert_finding(
        &finding,
        Status::Pass,
        &["accepted only after another method"],
    );
    let finding = judge("AuthenticationMethods publickey,password password\n");
    assert_finding(
        &finding,
        Status::Fail,
        &[
            "accepts a password on its own",
            "publickey,password password",
        ],
    );
}

#[test]
fn mfa_needs_two_methods_in_every_alternative() {
    let root = Root::empty();
    let judge = |methods: &str| {
        root.write(
            "/etc/ssh/sshd_config",
            &format!("AuthenticationMethods {methods}\n"),
        );
        root.one(MFA)
    };
    assert_finding(
        &judge("publickey,keyboard-interactive:pam"),
        Status::Pass,
        &["two different methods"],
    );
    assert_finding(
        &judge("publickey,password publickey"),
        Status::Warn,
        &["one method alone: publickey"],
    );
    // Two keys are still one kind of factor.
    assert_finding(
        &judge("publickey,publickey"),
        Status::Warn,
        &["alone: publickey"],
    );
    assert_finding(&judge("any"), Status::Warn, &["2025 proposed rule"]);
    assert_finding(
        &judge("publickey,otp"),
        Status::Error,
        &["unknown method `otp`"],
    );
}

#[test]
fn weak_algorithms_fail_with_their_names_and_list_modifiers_apply() {
    let root = Root::empty();
    let judge = |config: &str| {
        root.write("/etc/ssh/sshd_config", config);
        root.one(CIPHERS)
    };
    let strong = "Ciphers aes256-gcm@openssh.com,aes128-ctr\n\
                  MACs hmac-sha2-256-etm@openssh.com,hmac-sha1-etm@openssh.com\n\
                  KexAlgorithms curve25519-sha256\n";
    assert_finding(
        &judge(strong),
        Status::Pass,
        &["SSH offers no weak algorithms", "Ciphers (set at"],
    );
    let finding = judge(&format!("Ciphers aes128-cbc,aes256-ctr,3des-cbc\n{strong}"));
    assert_finding(
        &finding,
        Status::Fail,
        &["Ciphers aes128-cbc,3des-cbc (set at", "line 1)"],
    );
    assert!(!finding.message.contains("MACs"), "{}", finding.message);
    // Removing the weak defaults with a minus list passes.
    let finding = judge("MACs -hmac-sha1,hmac-sha1-96*,hmac-md5*\n");
    assert_finding(&finding, Status::Pass, &["MACs (set at"]);
    // Adding a weak one to the defaults fails.
    let finding = judge(
        "MACs ^hmac-sha2-512\nKexAlgorithms +diffie-hellman-group1-sha1,diffie-hellman-group14-sha1\n",
    );
    assert_finding(
        &finding,
        Status::Fail,
        &[
            "MACs hmac-sha1 (set at",
            "KexAlgorithms diffie-hellman-group1-sha1,diffie-hellman-group14-sha1 (set at",
        ],
    );
}

#[test]
fn uid0_accounts_besides_root_fail() {
    let root = Root::fixture("debian12");
    let passwd = fs::read_to_string(root.at("/etc/passwd")).unwrap();
    root.write(
        "/etc/passwd",
        &format!("{passwd}toor:x:0:0::/root:/bin/sh\n"),
    );
    let finding = root.one(UID0);
    assert_finding(&finding, Status::Fail, &["UID 0 belongs to toor (line 12)"]);
    assert!(finding.remediation.unwrap().contains("usermod -u"));
    root.write("/etc/passwd", &format!("{passwd}broken:x:0\n"));
    assert_finding(
        &root.one(UID0),
        Status::Error,
        &["passwd line 12: expected 7 colon-separated fields, found 3"],
    );
}

#[test]
fn empty_password_fields_in_passwd_count_too() {
    let root = Root::empty();
    root.write(
        "/etc/passwd",
        "root:x:0:0:root:/root:/bin/bash\nkiosk::1002:1002::/home/kiosk:/bin/sh\n",
    );
    let finding = root.one(EMPTY);
    assert_finding(&finding, Status::Fail, &["kiosk (", "passwd line 2)"]);
    root.write("/etc/passwd", "root:x:0:0:root:/root:/bin/bash\n");
    assert_finding(
        &root.one(EMPTY),
        Status::Pass,
        &["none of the 1 accounts", "no /etc/shadow"],
    );
    root.write("/etc/shadow", "root:!:1::::::\n\n# comment\n");
    assert_finding(&root.one(EMPTY), Status::Pass, &["none of the 1 accounts"]);
    root.write("/etc/shadow", ":x:1::::::\n");
    assert_finding(
        &root.one(EMPTY),
        Status::Error,
        &["shadow line 1: the account name is empty"],
    );
}

#[test]
fn sudo_follows_includes_as_sudo_does() {
    let root = Root::empty();
    root.write(
        "/etc/sudoers",
        "Defaults env_reset\n#include extra\n@includedir /etc/sudoers.d\n",
    );
    root.write("/etc/extra", "Defaults:deploy !authenticate\n");
    root.write(
        "/etc/sudoers.d/b",
        "ops ALL = PASSWD: /bin/ls, \\\n  NOPASSWD: /usr/bin/systemctl\n",
    );
    root.write("/etc/sudoers.d/a", "%wheel ALL=(ALL) ALL\n");
    root.write("/etc/sudoers.d/c~", "x ALL=NOPASSWD: ALL\n");
    root.write("/etc/sudoers.d/c.rpmsave", "x ALL=NOPASSWD: ALL\n");
    let findings = root.run(SUDO);
    let summary: Vec<(String, Status, String)> = findings
        .iter()
        .map(|f| (f.subject.clone(), f.status, f.message.clone()))
        .collect();
    assert_eq!(
        summary,
        [
            (
                root.at("/etc/extra").display().to_string(),
                Status::Fail,
                "line 1: `Defaults:deploy !authenticate` turns the password prompt off".to_owned()
            ),
            (
                root.at("/etc/sudoers.d/b").display().to_string(),
                Status::Fail,
                "line 1: NOPASSWD lets ops run commands without a password".to_owned()
            ),
        ]
    );
    // A sudoers.d that nothing includes is not read by sudo.
    root.write("/etc/sudoers", "root ALL=(ALL) ALL\n");
    assert_finding(&root.one(SUDO), Status::Pass, &["in 1 sudoers file"]);
    root.write("/etc/sudoers", "@include missing\n");
    assert_finding(
        &root.one(SUDO),
        Status::Error,
        &["missing: it is included by another sudoers file but does not exist"],
    );
    root.write("/etc/sudoers", "@include /etc/sudoers\n");
    assert_finding(
        &root.one(SUDO),
        Status::Error,
        &["sudoers line 1: includes nest more than 128 deep"],
    );
    root.write("/etc/sudoers", "root ALL=(ALL) ALL\n@include\n");
    assert_finding(
        &root.one(SUDO),
        Status::Error,
        &["sudoers line 2: @include names no path"],
    );
}

#[test]
fn auto_logoff_weighs_shell_and_ssh_timeouts() {
    let root = Root::empty();
    let judge = |profile: &str, sshd: &str| {
        root.write("/etc/profile.d/tmout.sh", profile);
        root.write("/etc/ssh/sshd_config", sshd);
        root.one(LOGOFF)
    };
    let alive = "ClientAliveInterval 5m\nClientAliveCountMax 3\n";
    assert_finding(
        &judge("readonly TMOUT=600\n", alive),
        Status::Pass,
        &["after 900 s"],
    );
    assert_finding(
        &judge("TMOUT=600\nexport TMOUT\n", alive),
        Status::Warn,
        &["not read-only"],
    );
    assert_finding(
        &judge("readonly TMOUT=3600\n", alive),
        Status::Warn,
        &[
            "TMOUT=3600 is longer than 900 s",
            "idle but connected session stays open",
        ],
    );
    assert_finding(
        &judge("readonly TMOUT=600\n", "ClientAliveInterval 400\n"),
        Status::Warn,
        &["only after 1200 s"],
    );
    assert_finding(
        &judge(
            "readonly TMOUT=600\n",
            "ClientAliveInterval 60\nClientAliveCountMax 0\n",
        ),
        Status::Warn,
        &["never disconnects it"],
    );
    assert_finding(
        &judge("TMOUT=0\n", "ClientAliveCountMax 2\n"),
        Status::Fail,
        &["TMOUT=0 turns the timeout off", "never checks"],
    );
    // Every assignment must be acceptable: phiguard cannot tell which one runs last.
    root.write("/etc/bash.bashrc", "TMOUT=\"$DEFAULT\"\n");
    assert_finding(
        &judge("readonly TMOUT=600\n", alive),
        Status::Warn,
        &[
            "TMOUT=$DEFAULT is not a number of seconds",
            "bash.bashrc line 1",
        ],
    );
}

/// Runs `sshd -T` on `config` as `nobody` (sshd run as root insists on its privilege
/// separation directory, which only the running service creates), with a throwaway host key.
fn sshd_t(sshd: &Path, setpriv: &Path, dir: &Path, config: &Path) -> BTreeMap<String, Vec<String>> {
    let output = Command::new(setpriv)
        .args(["--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"])
        .arg(sshd)
        .arg("-T")
        .arg("-f")
        .arg(config)
        .arg("-h")
        .arg(dir.join("host_key"))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "sshd -T failed on {}:\n{}\n{}",
        config.display(),
        String::from_utf8_lossy(&output.stderr),
        fs::read_to_string(config).unwrap()
    );
    parse_sshd_t(&String::from_utf8_lossy(&output.stdout))
}

/// The parser against sshd itself: for each configuration, what phiguard reads from the files
/// must be what `sshd -T` reports, for every keyword the checks judge.
#[test]
fn the_parser_agrees_with_sshd_t() {
    let Some(sshd) = phiguard_host::access::sshd::find_sshd() else {
        phiguard_testkit::missing("sshd", "install it with `apt-get install openssh-server`");
        return;
    };
    let Some(setpriv) = phiguard_testkit::program("setpriv", "util-linux") else {
        return;
    };
    let Some(keygen) = phiguard_testkit::program("ssh-keygen", "openssh-client") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // sshd runs as nobody, which must be able to read everything here.
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(d, fs::Permissions::from_mode(0o755)).unwrap();
    let key = d.join("host_key");
    let status = Command::new(keygen)
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&key)
        .status()
        .unwrap();
    assert!(status.success());
    // Owned by root and read by nobody, so sshd's own-key permission check does not apply.
    fs::set_permissions(&key, fs::Permissions::from_mode(0o644)).unwrap();
    fs::create_dir(d.join("inc")).unwrap();
    fs::write(
        d.join("inc/20-b.conf"),
        "PermitRootLogin no\nClientAliveInterval 1h\n",
    )
    .unwrap();
    fs::write(
        d.join("inc/10-a.conf"),
        "passwordauthentication=no\nMatch User bob\n  PermitRootLogin yes\n",
    )
    .unwrap();
    fs::write(d.join("inc/.hidden.conf"), "UsePAM yes\n").unwrap();
    let inc = d.join("inc").display().to_string();

    let configs = [
        String::new(),
        "PermitRootLogin yes\npermitrootlogin no\n".to_owned(),
        "PERMITROOTLOGIN = without-password\nUsePAM=yes\n".to_owned(),
        "ChallengeResponseAuthentication no\nKbdInteractiveAuthentication yes\n".to_owned(),
        "ClientAliveInterval 1h30m\nClientAliveCountMax \"0\"\n".to_owned(),
        "AuthenticationMethods publickey,keyboard-interactive:pam publickey,password\n".to_owned(),
        "Ciphers +aes128-cbc\nMACs -hmac-sha1*,umac-64*\nKexAlgorithms ^diffie-hellman-group14-sha1\n".to_owned(),
        "Ciphers aes256-ctr,aes128-cbc # old clients\nMACs hmac-sha2-256,hmac-md5\n".to_owned(),
        format!("Include {inc}/*.conf\nPermitRootLogin yes\nPasswordAuthentication yes\n"),
        "PermitRootLogin yes\nMatch User bob\n  PasswordAuthentication no\n  PermitRootLogin no\nMatch all\n\
         PasswordAuthentication no\nClientAliveInterval 10\nMatch Address 10.0.0.1\n  ClientAliveCountMax 9\n"
            .to_owned(),
        format!("Match Group ops\nInclude {inc}/10-a.conf\nMatch all\nPermitRootLogin prohibit-password\n"),
        "AcceptEnv \"LANG LC_*\" 'X Y' a\\ b\nBanner none\nPermitRootLogin no # trailing\n".to_owned(),
    ];
    let judged = [
        "permitrootlogin",
        "passwordauthentication",
        "kbdinteractiveauthentication",
        "usepam",
        "authenticationmethods",
        "clientaliveinterval",
        "clientalivecountmax",
    ];
    let ctx = CheckContext::new("/", now());
    for (i, text) in configs.iter().enumerate() {
        let config = d.join(format!("sshd_config.{i}"));
        fs::write(&config, text).unwrap();
        let reported = sshd_t(&sshd, &setpriv, d, &config);
        let parsed = SshdConfig::load(&ctx, &config).unwrap().unwrap();
        let ours = Sshd::from_config(config.clone(), parsed);
        let scope = ours.global();
        for keyword in judged {
            let value = scope.get(keyword);
            let mut mine = value.args.join(" ").to_ascii_lowercase();
            if keyword == "clientaliveinterval" {
                mine = value.seconds().unwrap().to_string();
            }
            if mine == "prohibit-password" {
                mine = "without-password".into();
            }
            let theirs = reported[keyword].join(" ").to_ascii_lowercase();
            assert_eq!(mine, theirs, "{keyword} in config {i}:\n{text}");
        }
        // Defaults differ between OpenSSH versions and distributions, so compare the lists
        // only where the configuration spells them out, and their weak members always.
        for keyword in ["ciphers", "macs", "kexalgorithms"] {
            let mine = scope.get(keyword).list().unwrap();
            let theirs: Vec<String> = reported[keyword][0].split(',').map(str::to_owned).collect();
            let explicit = text
                .lines()
                .filter_map(|l| split_line(l).unwrap())
                .find(|(k, _)| k.eq_ignore_ascii_case(keyword))
                .is_some_and(|(_, args)| !args[0].starts_with(['+', '-', '^']));
            if explicit {
                assert_eq!(mine, theirs, "{keyword} in config {i}");
            }
            let weak = |list: &[String]| -> Vec<String> {
                list.iter()
                    .filter(|a| {
                        a.contains("cbc")
                            || a.contains("md5")
                            || a.ends_with("sha1")
                            || a.starts_with("hmac-sha1-96")
                    })
                    .cloned()
                    .collect()
            };
            assert_eq!(weak(&mine), weak(&theirs), "{keyword} in config {i}");
        }
    }
}

/// On the running system, the checks ask sshd itself, and say so, or say why they could not.
#[test]
fn the_live_system_is_judged_through_sshd_t_when_possible() {
    let live = CheckContext::new("/", now());
    if !Path::new("/etc/ssh/sshd_config").is_file() {
        phiguard_testkit::missing("an sshd_config on this machine", "install openssh-server");
        return;
    }
    let finding = run(&live, CIPHERS);
    assert_ne!(
        finding.first().map(|f| f.status),
        Some(Status::NotApplicable)
    );
    let message = &finding[0].message;
    match phiguard_host::access::sshd::find_sshd() {
        Some(program) => {
            let sshd = format!("`{} -T`", program.display());
            assert!(message.contains(&sshd), "{message}");
        }
        None => assert!(message.contains("sshd is not installed"), "{message}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn parsers_never_panic_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let text = String::from_utf8_lossy(&bytes);
        let path = Path::new("/etc/x");
        let _ = parse_passwd(path, &text);
        let _ = parse_shadow(path, &text);
        let _ = parse_sudoers(path, &text);
        let _ = parse_shell(path, &text);
        for line in text.lines() {
            let _ = split_line(line);
        }
        let _ = parse_sshd_t(&text);
    }

    /// Lines that look like configuration reach deeper than random bytes do.
    #[test]
    fn config_like_lines_never_panic(lines in proptest::collection::vec(
        "(Match|Include|PermitRootLogin|Ciphers|MACs|AuthenticationMethods|ClientAliveInterval|@include|#includedir|NOPASSWD:|TMOUT=|readonly|root|Defaults)?[ =\t]{0,2}([a-z0-9*?\\[\\]!^+,:#\"'\\\\-]{0,6}[ \t]?){0,4}",
        0..12,
    )) {
        let text = lines.join("\n");
        let root = tempfile::tempdir().unwrap();
        let ctx = CheckContext::new(root.path(), now());
        let path = ctx.path("/etc/ssh/sshd_config");
        if let Ok(config) = SshdConfig::parse(&ctx, &path, &text) {
            let sshd = Sshd::from_config(path.clone(), config);
            for scope in sshd.scopes(&["permitrootlogin", "clientaliveinterval"]) {
                for keyword in ["permitrootlogin", "ciphers", "clientaliveinterval", "authenticationmethods"] {
                    let value = scope.get(keyword);
                    let _ = (value.single(), value.seconds(), value.list(), value.yes_no());
                }
            }
        }
        let _ = parse_passwd(&path, &text.replace(' ', ":"));
        let _ = parse_sudoers(&path, &text);
        let _ = parse_shell(&path, &text);
        // And the checks themselves on such files, in an image root.
        for at in ["/etc/ssh/sshd_config", "/etc/sudoers", "/etc/profile", "/etc/shadow", "/etc/passwd"] {
            let file = ctx.path(at);
            fs::create_dir_all(file.parent().unwrap()).unwrap();
            fs::write(&file, &text).unwrap();
        }
        for check in checks() {
            let findings = check.run(&ctx).unwrap();
            prop_assert!(!findings.is_empty());
        }
    }
}
