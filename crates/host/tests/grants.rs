#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `host.access.ungranted_accounts` through the public registry, as `phiguard host check` runs
//! it, against image roots in temporary directories with the register's grants passed in
//! through `Settings`.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use phiguard_core::{CheckContext, Finding, Severity, Status};
use phiguard_host::{Settings, registry};
use tempfile::TempDir;

const UNGRANTED: &str = "host.access.ungranted_accounts";

/// A Debian-like passwd: system accounts, root, and two people (alice 1000, bob 1003).
const PASSWD: &str = "\
root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
sync:x:4:65534:sync:/bin:/bin/sync
sshd:x:100:65534::/run/sshd:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
alice:x:1000:1000:Alice:/home/alice:/bin/bash
bob:x:1003:1003:Bob:/home/bob:/bin/bash
";

/// An image root in a temporary directory.
struct Root(TempDir);

impl Root {
    /// A root with `passwd` as its /etc/passwd.
    fn with_passwd(passwd: &str) -> Root {
        let root = Root(tempfile::tempdir().unwrap());
        root.write("/etc/passwd", passwd);
        root
    }

    fn write(&self, at: &str, text: &str) -> &Root {
        let path = self.at(at);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
        self
    }

    fn at(&self, system_path: &str) -> PathBuf {
        self.ctx().path(system_path)
    }

    fn path(&self) -> &Path {
        self.0.path()
    }

    fn ctx(&self) -> CheckContext {
        let now: Timestamp = "2026-03-01T12:00:00Z".parse().unwrap();
        CheckContext::new(self.path(), now)
    }

    /// The findings with the register granting `granted` on the system `web1`.
    fn run(&self, granted: &[&str]) -> Vec<Finding> {
        self.run_with(&settings(Some(granted), Some("web1")), &self.ctx())
    }

    fn run_with(&self, settings: &Settings, ctx: &CheckContext) -> Vec<Finding> {
        let registry = registry(settings).unwrap();
        let findings = registry.run_all(ctx, |m| m.id.as_str() == UNGRANTED);
        assert!(!findings.is_empty(), "a check always reports something");
        findings
    }

    /// The one finding reported here.
    fn one(&self, granted: &[&str]) -> Finding {
        let mut findings = self.run(granted);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        findings.remove(0)
    }
}

fn settings(granted: Option<&[&str]>, system: Option<&str>) -> Settings {
    Settings {
        granted_accounts: granted.map(|names| {
            names
                .iter()
                .map(|n| (*n).to_owned())
                .collect::<BTreeSet<_>>()
        }),
        register_system: system.map(str::to_owned),
        ..Settings::default()
    }
}

/// Each finding as (subject, status), in the order reported.
fn summary(findings: &[Finding]) -> Vec<(&str, Status)> {
    findings
        .iter()
        .map(|f| (f.subject.as_str(), f.status))
        .collect()
}

fn find<'f>(findings: &'f [Finding], subject: &str) -> &'f Finding {
    findings
        .iter()
        .find(|f| f.subject == subject)
        .unwrap_or_else(|| panic!("no finding for {subject}: {findings:#?}"))
}

#[test]
fn the_check_is_registered_with_its_rationale() {
    let registry = registry(&Settings::default()).unwrap();
    let check = registry.get(&UNGRANTED.parse().unwrap()).unwrap();
    let meta = check.meta();
    assert_eq!(meta.severity, Severity::High);
    assert!(meta.rationale.contains("164.308(a)(4)(ii)(B)-(C)"));
    assert!(meta.rationale.contains("164.312(a)(1)"));
    assert!(meta.remediation.contains("phiguard register grant add"));
}

#[test]
fn granted_people_pass_and_ungranted_ones_fail() {
    let root = Root::with_passwd(PASSWD);
    let findings = root.run(&["alice"]);
    assert_eq!(
        summary(&findings),
        [("alice", Status::Pass), ("bob", Status::Fail)],
        "root, system accounts and nobody are not judged"
    );
    let alice = find(&findings, "alice");
    assert!(
        alice.message.contains("`alice` (uid 1000)"),
        "{}",
        alice.message
    );
    assert_eq!(alice.remediation, None);
    let bob = find(&findings, "bob");
    assert_eq!(
        bob.message,
        "account `bob` (uid 1003) can log in but no active grant in the register covers it; \
         record one with `phiguard register grant add ... --system web1 --account bob` or \
         remove the account"
    );
    assert_eq!(bob.severity, Severity::High);
    assert!(bob.remediation.as_deref().unwrap().contains("userdel"));

    let findings = root.run(&["alice", "bob"]);
    assert_eq!(
        summary(&findings),
        [("alice", Status::Pass), ("bob", Status::Pass)]
    );
    let findings = root.run(&[]);
    assert_eq!(
        summary(&findings),
        [("alice", Status::Fail), ("bob", Status::Fail)]
    );
}

#[test]
fn accounts_whose_shell_refuses_logins_are_not_judged() {
    let root = Root::with_passwd(
        "carol:x:1004:1004::/home/carol:/usr/sbin/nologin\n\
         dave:x:1005:1005::/home/dave:/sbin/nologin\n\
         erin:x:1006:1006::/home/erin:/bin/false\n\
         frank:x:1007:1007::/home/frank:/bin/sync\n\
         gina:x:1008:1008::/home/gina:/usr/bin/false\n",
    );
    let finding = root.one(&[]);
    assert_eq!(finding.status, Status::NotApplicable, "{finding:#?}");
    assert!(
        finding
            .message
            .contains("no account people log in with (UID 1000 to 60000 and a login shell)"),
        "{}",
        finding.message
    );
    // An empty shell field is /bin/sh, which does log in.
    root.write("/etc/passwd", "hal:x:1009:1009::/home/hal:\n");
    assert_eq!(summary(&root.run(&[])), [("hal", Status::Fail)]);
}

#[test]
fn system_accounts_below_uid_min_are_not_judged() {
    // A service account with a real shell, as postgres has on many systems.
    let root = Root::with_passwd(
        "root:x:0:0:root:/root:/bin/bash\n\
         postgres:x:110:118::/var/lib/postgresql:/bin/bash\n\
         deploy:x:999:999::/srv:/bin/bash\n\
         guest:x:60001:60001::/home/guest:/bin/bash\n\
         nobody:x:65534:65534::/nonexistent:/bin/sh\n",
    );
    let finding = root.one(&[]);
    assert_eq!(finding.status, Status::NotApplicable, "{finding:#?}");
    // The boundaries themselves are people's UIDs.
    root.write(
        "/etc/passwd",
        "first:x:1000:1000::/home/first:/bin/bash\nlast:x:60000:60000::/home/last:/bin/bash\n",
    );
    assert_eq!(
        summary(&root.run(&["first"])),
        [("first", Status::Pass), ("last", Status::Fail)]
    );
}

#[test]
fn uid_min_and_uid_max_come_from_login_defs() {
    let root = Root::with_passwd(
        "svc:x:499:499::/srv:/bin/bash\n\
         old:x:500:500::/home/old:/bin/bash\n\
         alice:x:1000:1000::/home/alice:/bin/bash\n\
         contractor:x:2500:2500::/home/contractor:/bin/bash\n\
         nobody:x:65534:65534::/nonexistent:/bin/sh\n",
    );
    root.write(
        "/etc/login.defs",
        "# /etc/login.defs\nMAIL_DIR /var/mail\nUID_MIN\t\t  500\nUID_MAX\t\t 2000\nSYS_UID_MAX 499\n",
    );
    assert_eq!(
        summary(&root.run(&["alice"])),
        [("old", Status::Fail), ("alice", Status::Pass)]
    );
    // nobody stays out even where UID_MAX reaches past 65534.
    root.write("/etc/login.defs", "UID_MIN 500\nUID_MAX 70000\n");
    assert_eq!(
        summary(&root.run(&["alice"])),
        [
            ("old", Status::Fail),
            ("alice", Status::Pass),
            ("contractor", Status::Fail)
        ]
    );
}

#[test]
fn with_etc_shells_only_the_shells_it_lists_log_in() {
    let passwd = "\
alice:x:1000:1000::/home/alice:/bin/bash
kiosk:x:1001:1001::/home/kiosk:/usr/local/bin/kiosk
svc:x:1002:1002::/srv:/sbin/nologin
";
    let root = Root::with_passwd(passwd);
    // Without /etc/shells, anything but a shell that refuses logins counts.
    assert_eq!(
        summary(&root.run(&[])),
        [("alice", Status::Fail), ("kiosk", Status::Fail)]
    );
    // Older Red Hat releases list nologin; it still refuses logins.
    root.write(
        "/etc/shells",
        "# /etc/shells: valid login shells\n/bin/sh\n/bin/bash\n/sbin/nologin\n",
    );
    assert_eq!(summary(&root.run(&[])), [("alice", Status::Fail)]);
    // A granted account whose shell is not listed exists, so its grant is not stale.
    let findings = root.run(&["alice", "kiosk"]);
    assert_eq!(
        summary(&findings),
        [("alice", Status::Pass), ("kiosk", Status::Pass)]
    );
    assert!(
        find(&findings, "kiosk")
            .message
            .contains("is not listed in /etc/shells"),
        "{findings:#?}"
    );
}

#[test]
fn a_grant_for_an_account_that_does_not_exist_is_a_warning() {
    let root = Root::with_passwd(PASSWD);
    let findings = root.run(&["alice", "bob", "carol", "daemon"]);
    assert_eq!(
        summary(&findings),
        [
            ("alice", Status::Pass),
            ("bob", Status::Pass),
            ("carol", Status::Warn),
            ("daemon", Status::Pass),
        ]
    );
    let carol = find(&findings, "carol");
    assert_eq!(
        carol.message,
        "the register grants `carol` on web1 but no such account exists; the grant may be stale"
    );
    assert!(carol.remediation.is_some());
    // A grant for an account that exists but nobody logs in with is not stale.
    let daemon = find(&findings, "daemon");
    assert!(
        daemon.message.contains("exists (uid 1)") && daemon.message.contains("below UID_MIN 1000"),
        "{}",
        daemon.message
    );

    // Only grants: nothing fails, the stale one warns.
    let root = Root::with_passwd("root:x:0:0:root:/root:/bin/bash\n");
    assert_eq!(summary(&root.run(&["carol"])), [("carol", Status::Warn)]);
}

#[test]
fn without_the_register_the_check_is_not_applicable() {
    let root = Root::with_passwd(PASSWD);
    let findings = root.run_with(&Settings::default(), &root.ctx());
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].status, Status::NotApplicable);
    assert!(
        findings[0]
            .message
            .contains("the register was not consulted"),
        "{}",
        findings[0].message
    );
    assert_eq!(findings[0].remediation, None);
    // Even a broken passwd is not read then.
    root.write("/etc/passwd", "broken\n");
    let findings = root.run_with(&Settings::default(), &root.ctx());
    assert_eq!(summary(&findings)[0].1, Status::NotApplicable);

    // The register consulted, but no people and no grants.
    let root = Root::with_passwd("root:x:0:0:root:/root:/bin/bash\n");
    let finding = root.one(&[]);
    assert_eq!(finding.status, Status::NotApplicable);
    assert!(finding.message.contains("the register grants none on web1"));

    // No /etc/passwd at all.
    let root = Root(tempfile::tempdir().unwrap());
    let finding = root.one(&["alice"]);
    assert_eq!(finding.status, Status::NotApplicable);
    assert!(finding.message.contains("there is no /etc/passwd"));
}

#[test]
fn the_system_name_falls_back_to_the_host_name() {
    let root = Root::with_passwd(PASSWD);
    let mut ctx = root.ctx();
    ctx.host = Some("db1.example.org".to_owned());
    let findings = root.run_with(&settings(Some(&["alice", "carol"]), None), &ctx);
    assert!(
        find(&findings, "bob")
            .message
            .contains("--system db1.example.org --account bob")
    );
    assert!(
        find(&findings, "carol")
            .message
            .contains("grants `carol` on db1.example.org")
    );
    // The register's name wins over the host name.
    let findings = root.run_with(&settings(Some(&[]), Some("web1")), &ctx);
    assert!(find(&findings, "bob").message.contains("--system web1 "));
    // Neither known.
    let findings = root.run_with(&settings(Some(&[]), None), &root.ctx());
    assert!(find(&findings, "bob").message.contains("--system <host> "));
}

#[test]
fn a_malformed_passwd_line_is_an_error_naming_the_line() {
    let root = Root::with_passwd(
        "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\nbob:x:1003\n",
    );
    let finding = root.one(&["alice"]);
    assert_eq!(finding.status, Status::Error, "{finding:#?}");
    let passwd = root.at("/etc/passwd").display().to_string();
    assert_eq!(finding.subject, passwd);
    assert!(
        finding.message.contains(&format!(
            "{passwd} line 3: expected 7 colon-separated fields, found 3"
        )),
        "{}",
        finding.message
    );
    root.write("/etc/passwd", "alice:x:one:1000::/home/alice:/bin/bash\n");
    assert!(
        root.one(&[])
            .message
            .contains("line 1: the UID of alice is not a number")
    );
}

#[test]
fn a_bad_login_defs_is_an_error_naming_the_line() {
    let root = Root::with_passwd(PASSWD);
    root.write("/etc/login.defs", "UID_MIN 1000\nUID_MAX sixty\n");
    let finding = root.one(&["alice"]);
    assert_eq!(finding.status, Status::Error, "{finding:#?}");
    assert!(
        finding
            .message
            .contains("login.defs line 2: UID_MAX is not a number"),
        "{}",
        finding.message
    );
}

#[test]
fn the_first_line_of_a_name_is_the_account() {
    // getpwnam(3) stops at the first line, so a second `alice` changes nothing.
    let root = Root::with_passwd(
        "alice:x:1000:1000::/home/alice:/bin/bash\nalice:x:1010:1010::/home/alice:/bin/bash\n",
    );
    let findings = root.run(&[]);
    assert_eq!(summary(&findings), [("alice", Status::Fail)]);
    assert!(findings[0].message.contains("(uid 1000)"));
}
