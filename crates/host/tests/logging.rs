#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The logging and audit checks against temporary roots: a stock Debian 12 configuration
//! (`fixtures/logging/debian12`), changed one file at a time, and this machine for the part of
//! the auditd check that needs the running system.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use phiguard_core::{CheckContext, Finding, Registry, Status};
use phiguard_host::{Settings, logging};
use tempfile::TempDir;

const AUDITD: &str = "host.logging.auditd";
const JOURNALD: &str = "host.logging.journald_persistent";
const FORWARDING: &str = "host.logging.remote_forwarding";

/// A root to audit, as an image would be mounted.
struct Root {
    dir: TempDir,
}

impl Root {
    fn empty() -> Root {
        Root {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// A copy of Debian 12's stock configuration.
    fn debian() -> Root {
        let root = Root::empty();
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/logging/debian12");
        copy_tree(&fixture.join("etc"), &root.path("/etc"));
        root.write("/usr/lib/systemd/systemd-journald", "");
        root
    }

    fn path(&self, system_path: &str) -> PathBuf {
        self.dir.path().join(system_path.trim_start_matches('/'))
    }

    fn write(&self, system_path: &str, text: impl AsRef<[u8]>) -> &Root {
        let path = self.path(system_path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
        self
    }

    fn mkdir(&self, system_path: &str) -> &Root {
        fs::create_dir_all(self.path(system_path)).unwrap();
        self
    }

    /// A symlink as systemctl makes them (absolute target, never followed by the checks).
    fn link(&self, system_path: &str, target: &str) -> &Root {
        let path = self.path(system_path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        symlink(target, path).unwrap();
        self
    }

    fn enable(&self, unit: &str) -> &Root {
        self.link(
            &format!("/etc/systemd/system/multi-user.target.wants/{unit}"),
            &format!("/usr/lib/systemd/system/{unit}"),
        )
    }

    /// Runs one check through the registry, as `phiguard host check` does; exactly one
    /// finding is expected from each logging check.
    fn check(&self, id: &str) -> Finding {
        run(id, &CheckContext::new(self.dir.path(), now()))
    }
}

fn now() -> jiff::Timestamp {
    "2026-03-01T12:00:00Z".parse().unwrap()
}

fn run(id: &str, ctx: &CheckContext) -> Finding {
    let mut registry = Registry::new();
    for check in logging::checks(&Settings::default()) {
        registry.register(check).unwrap();
    }
    let mut findings = registry.run_all(ctx, |meta| meta.id.as_str() == id);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    findings.remove(0)
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

#[track_caller]
fn assert_finding(finding: &Finding, status: Status, message_contains: &[&str]) {
    assert_eq!(finding.status, status, "{finding:#?}");
    for part in message_contains {
        assert!(
            finding.message.contains(part),
            "{part:?} not in {:?}",
            finding.message
        );
    }
    assert_eq!(
        finding.remediation.is_some(),
        matches!(status, Status::Fail | Status::Warn | Status::Error),
        "remediation only when there is something to do"
    );
}

#[test]
fn the_three_checks_are_registered_with_their_metadata() {
    let checks = logging::checks(&Settings::default());
    let ids: Vec<&str> = checks.iter().map(|c| c.meta().id.as_str()).collect();
    assert_eq!(ids, [AUDITD, JOURNALD, FORWARDING]);
    for check in &checks {
        let meta = check.meta();
        assert!(meta.rationale.contains("164.312(b)"), "{}", meta.id);
        assert!(!meta.remediation.is_empty() && !meta.title.is_empty());
    }
    let auditd = &checks[0].meta().remediation;
    for needed in [
        "apt install auditd",
        "/etc/passwd",
        "/etc/sudoers",
        "/var/log/wtmp",
        "augenrules --load",
    ] {
        assert!(auditd.contains(needed), "{needed}");
    }
}

// --- auditd, in an image ---------------------------------------------------------------

#[test]
fn auditd_missing_from_an_image_fails() {
    let root = Root::debian();
    fs::remove_dir_all(root.path("/etc/audit")).unwrap();
    let finding = root.check(AUDITD);
    assert_eq!(finding.subject, "auditd");
    assert_finding(
        &finding,
        Status::Fail,
        &["auditd is not installed in the image"],
    );
    assert!(finding.remediation.unwrap().contains("apt install auditd"));
}

#[test]
fn auditd_installed_but_not_enabled_fails() {
    let root = Root::debian();
    root.write("/usr/sbin/auditd", "");
    assert_finding(
        &root.check(AUDITD),
        Status::Fail,
        &["installed in the image but not enabled"],
    );
}

#[test]
fn auditd_with_only_the_stock_control_lines_fails() {
    let root = Root::debian();
    root.write("/usr/sbin/auditd", "").enable("auditd.service");
    let finding = root.check(AUDITD);
    assert_finding(
        &finding,
        Status::Fail,
        &[
            "auditd is enabled at boot",
            "hold 0 rule(s), only control lines such as -D and -b",
        ],
    );
    assert!(
        finding.message.contains(
            &root
                .path("/etc/audit/rules.d/audit.rules")
                .display()
                .to_string()
        )
    );
}

#[test]
fn auditd_enabled_with_rules_passes_and_says_running_was_not_checked() {
    let root = Root::debian();
    root.write("/usr/sbin/auditd", "")
        .enable("auditd.service")
        .write(
            "/etc/audit/rules.d/50-phiguard.rules",
            "# identity\n-w /etc/passwd -p wa -k identity\n  -w /etc/shadow -p wa -k identity\n\
         # -w /etc/group -p wa -k identity\n-a always,exit -F arch=b64 -S sethostname -k net\n",
        );
    // Not a .rules file: augenrules ignores it, and so does the check.
    root.write(
        "/etc/audit/rules.d/old.rules.bak",
        "-w /etc/gshadow -p wa\n",
    );
    assert_finding(
        &root.check(AUDITD),
        Status::Pass,
        &[
            "hold 3 rule(s)",
            "whether it is running could not be checked, because the root is an image",
        ],
    );
}

#[test]
fn auditd_rules_without_augenrules_come_from_audit_rules() {
    let root = Root::debian();
    fs::remove_dir_all(root.path("/etc/audit/rules.d")).unwrap();
    root.enable("auditd.service").write(
        "/etc/audit/audit.rules",
        "-D\n-w /etc/sudoers -p wa -k scope\n",
    );
    assert_finding(&root.check(AUDITD), Status::Pass, &["hold 1 rule(s)"]);
}

#[test]
fn a_masked_auditd_is_not_enabled_whatever_links_to_it() {
    let root = Root::debian();
    root.write("/usr/sbin/auditd", "")
        .enable("auditd.service")
        .link("/etc/systemd/system/auditd.service", "/dev/null")
        .write("/etc/audit/rules.d/50.rules", "-w /etc/passwd -p wa\n");
    assert_finding(&root.check(AUDITD), Status::Fail, &["not enabled"]);
}

#[test]
fn a_rules_file_that_is_not_text_is_an_error_naming_file_and_line() {
    let root = Root::debian();
    root.enable("auditd.service").write(
        "/etc/audit/rules.d/50.rules",
        b"-w /etc/passwd -p wa\n-w /etc/\xff\n".as_slice(),
    );
    let finding = root.check(AUDITD);
    let file = root
        .path("/etc/audit/rules.d/50.rules")
        .display()
        .to_string();
    assert_eq!(finding.subject, file);
    assert_finding(
        &finding,
        Status::Error,
        &[&format!("{file} line 2: the line is not valid UTF-8")],
    );
}

// --- auditd, on this machine --------------------------------------------------------------

/// Whatever this machine runs, the live check reaches a verdict and explains it; where auditd
/// is not installed at all, that verdict must be a failure saying so.
#[test]
fn auditd_on_this_machine_has_a_definite_status() {
    let finding = run(AUDITD, &CheckContext::new("/", now()));
    assert_eq!(finding.subject, "auditd");
    assert!(
        matches!(finding.status, Status::Pass | Status::Fail | Status::Warn),
        "{finding:#?}"
    );
    let installed = ["/usr/sbin/auditd", "/sbin/auditd"]
        .iter()
        .any(|p| Path::new(p).exists());
    if !installed {
        assert_finding(&finding, Status::Fail, &["auditd is not installed"]);
    }
}

// --- journald -----------------------------------------------------------------------------

#[test]
fn no_journald_at_all_is_not_applicable() {
    let finding = Root::empty().check(JOURNALD);
    assert_eq!(finding.subject, "systemd-journald");
    assert_finding(
        &finding,
        Status::NotApplicable,
        &["systemd-journald is not installed"],
    );
}

#[test]
fn the_auto_default_passes_only_with_var_log_journal() {
    let root = Root::debian();
    assert_finding(
        &root.check(JOURNALD),
        Status::Fail,
        &["lost at reboot", "no configuration file sets Storage="],
    );
    root.mkdir("/var/log/journal");
    assert_finding(
        &root.check(JOURNALD),
        Status::Pass,
        &["Storage=auto and", "var/log/journal exists"],
    );

    // The binary alone (no journald.conf) still means journald runs with its defaults.
    let bare = Root::empty();
    bare.write("/lib/systemd/systemd-journald", "")
        .mkdir("/var/log/journal");
    assert_finding(&bare.check(JOURNALD), Status::Pass, &["Storage=auto"]);
}

#[test]
fn journald_storage_values() {
    for (value, status, says) in [
        (
            "persistent",
            Status::Pass,
            "kept on disk in /var/log/journal",
        ),
        ("volatile", Status::Fail, "Storage=volatile"),
        ("none", Status::Fail, "keeps no records at all"),
    ] {
        let root = Root::debian();
        // /var/log/journal only matters for auto.
        root.mkdir("/var/log/journal");
        root.write(
            "/etc/systemd/journald.conf",
            format!("[Journal]\n#Storage=auto\nStorage={value}\n"),
        );
        let finding = root.check(JOURNALD);
        let file = root
            .path("/etc/systemd/journald.conf")
            .display()
            .to_string();
        assert_finding(&finding, status, &[says, &format!("set at {file} line 3")]);
    }
}

#[test]
fn drop_ins_apply_in_file_name_order_across_directories() {
    let root = Root::debian();
    root.write(
        "/etc/systemd/journald.conf",
        "[Journal]\nStorage=persistent\n",
    );
    root.write(
        "/usr/lib/systemd/journald.conf.d/10-vendor.conf",
        "[Journal]\nStorage=volatile\n",
    );
    let finding = root.check(JOURNALD);
    let vendor = root
        .path("/usr/lib/systemd/journald.conf.d/10-vendor.conf")
        .display()
        .to_string();
    assert_finding(
        &finding,
        Status::Fail,
        &[&format!("set at {vendor} line 2")],
    );

    // A later name wins even from a less important directory...
    root.write(
        "/etc/systemd/journald.conf.d/20-site.conf",
        "; site policy\n[Journal]\n  Storage = persistent\n",
    );
    let site = root
        .path("/etc/systemd/journald.conf.d/20-site.conf")
        .display()
        .to_string();
    assert_finding(
        &root.check(JOURNALD),
        Status::Pass,
        &[&format!("set at {site} line 3")],
    );
    root.write(
        "/usr/lib/systemd/journald.conf.d/30-vendor.conf",
        "[Journal]\nStorage=volatile\n",
    );
    assert_finding(
        &root.check(JOURNALD),
        Status::Fail,
        &["30-vendor.conf line 2"],
    );

    // ...and a file of the same name in /etc replaces the vendor's.
    root.write(
        "/etc/systemd/journald.conf.d/30-vendor.conf",
        "[Journal]\n# overridden\n",
    );
    assert_finding(
        &root.check(JOURNALD),
        Status::Pass,
        &["20-site.conf line 3"],
    );

    // Files that are not *.conf are not drop-ins.
    root.write(
        "/etc/systemd/journald.conf.d/40-disabled.conf.bak",
        "[Journal]\nStorage=none\n",
    );
    assert_finding(
        &root.check(JOURNALD),
        Status::Pass,
        &["20-site.conf line 3"],
    );
}

#[test]
fn an_empty_assignment_restores_the_default_and_other_sections_do_not_count() {
    let root = Root::debian();
    root.write(
        "/etc/systemd/journald.conf",
        "[Journal]\nStorage=persistent\n[Upload]\nStorage=persistent\n",
    );
    root.write(
        "/etc/systemd/journald.conf.d/50-reset.conf",
        "[Journal]\nStorage=\n",
    );
    assert_finding(
        &root.check(JOURNALD),
        Status::Fail,
        &["no configuration file sets Storage=", "Storage=auto"],
    );
}

#[test]
fn an_unknown_storage_value_or_a_broken_line_is_an_error_naming_file_and_line() {
    let root = Root::debian();
    root.write(
        "/etc/systemd/journald.conf.d/50-typo.conf",
        "[Journal]\n\nStorage=Persistent\n",
    );
    let file = root
        .path("/etc/systemd/journald.conf.d/50-typo.conf")
        .display()
        .to_string();
    let finding = root.check(JOURNALD);
    assert_eq!(finding.subject, file);
    assert_finding(
        &finding,
        Status::Error,
        &[&format!(
            "{file} line 3: Storage=Persistent is not a value journald accepts"
        )],
    );

    root.write(
        "/etc/systemd/journald.conf.d/50-typo.conf",
        "[Journal]\nStorage persistent\n",
    );
    assert_finding(
        &root.check(JOURNALD),
        Status::Error,
        &[&format!("{file} line 2:")],
    );
}

// --- remote forwarding --------------------------------------------------------------------

#[test]
fn a_stock_host_keeps_its_logs_to_itself() {
    let finding = Root::debian().check(FORWARDING);
    assert_eq!(finding.subject, "log forwarding");
    assert_finding(
        &finding,
        Status::Fail,
        &["logs stay on this host", "no rsyslog forwarding action"],
    );
    assert!(finding.remediation.unwrap().contains("omfwd"));
    assert_finding(
        &Root::empty().check(FORWARDING),
        Status::Fail,
        &["logs stay on this host"],
    );
}

#[test]
fn rsyslog_forwarding_in_a_drop_in_passes_and_names_the_line() {
    let root = Root::debian();
    root.write(
        "/etc/rsyslog.d/90-forward.conf",
        "# ship everything to the log server\n*.* @@logs.example.org:514\n",
    );
    let file = root
        .path("/etc/rsyslog.d/90-forward.conf")
        .display()
        .to_string();
    assert_finding(
        &root.check(FORWARDING),
        Status::Pass,
        &[&format!(
            "rsyslog sends to logs.example.org:514 over TCP ({file} line 2)"
        )],
    );
}

#[test]
fn rsyslog_rainerscript_forwarding_passes() {
    let root = Root::debian();
    root.write(
        "/etc/rsyslog.d/60-siem.conf",
        "*.* action(\n  type=\"omfwd\" target=\"siem.example.org\" port=\"6514\"\n  protocol=\"tcp\" StreamDriver=\"gtls\")\n",
    );
    assert_finding(
        &root.check(FORWARDING),
        Status::Pass,
        &[
            "rsyslog sends to siem.example.org:6514 over TCP",
            "60-siem.conf line 1",
        ],
    );
}

#[test]
fn commented_out_and_disabled_forwarding_does_not_count() {
    let root = Root::debian();
    root.write(
        "/etc/rsyslog.d/90-forward.conf",
        "#*.* @@logs.example.org:514\n/* *.* @old:514 */\n",
    );
    root.write(
        "/etc/rsyslog.d/91-forward.conf.dpkg-old",
        "*.* @@logs.example.org:514\n",
    );
    assert_finding(
        &root.check(FORWARDING),
        Status::Fail,
        &["logs stay on this host"],
    );
}

#[test]
fn journal_upload_counts_only_when_enabled() {
    let root = Root::debian();
    root.write("/etc/systemd/journal-upload.conf", "[Upload]\n#URL=\n");
    root.write(
        "/etc/systemd/journal-upload.conf.d/50-url.conf",
        "[Upload]\nURL=https://logs.example.org:19532\n",
    );
    assert_finding(
        &root.check(FORWARDING),
        Status::Fail,
        &[
            "URL=https://logs.example.org:19532",
            "50-url.conf line 2",
            "systemctl enable --now systemd-journal-upload",
        ],
    );
    root.enable("systemd-journal-upload.service");
    assert_finding(
        &root.check(FORWARDING),
        Status::Pass,
        &["systemd-journal-upload sends the journal to https://logs.example.org:19532"],
    );
}

#[test]
fn a_broken_rsyslog_file_is_an_error_naming_file_and_line() {
    let root = Root::debian();
    root.write(
        "/etc/rsyslog.d/90-forward.conf",
        "module(load=\"omrelp\")\n/* started here\n*.* @@x:514\n",
    );
    let file = root
        .path("/etc/rsyslog.d/90-forward.conf")
        .display()
        .to_string();
    let finding = root.check(FORWARDING);
    assert_eq!(finding.subject, file);
    assert_finding(
        &finding,
        Status::Error,
        &[&format!("{file} line 2: a `/*` comment is never closed")],
    );
}
