//! `host.logging.auditd`: the Linux audit daemon runs with rules loaded.
//!
//! auditd is what records, in the kernel, who changed accounts, used sudo or logged in; without
//! rules it records almost nothing. On the live host the process list and `auditctl -l` say
//! what is actually happening; in an image phiguard can only read what will happen at boot.

use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

use phiguard_core::{CheckContext, CheckMeta, Finding, Severity, Status};

use super::{Problem, files_ending_with, read_text, systemd};

pub(super) fn meta() -> CheckMeta {
    crate::meta(
        "host.logging.auditd",
        "auditd is running with audit rules loaded",
        Severity::High,
        "HIPAA 164.312(b) requires mechanisms that record and examine activity on systems holding \
         ePHI. The kernel audit subsystem, through auditd, is the record of changes to accounts, \
         use of sudo and logins that an investigation starts from; with no rules loaded it \
         records next to nothing.",
        "Install and start auditd (`apt install auditd` or `dnf install audit`, then \
         `systemctl enable --now auditd`) and give it rules in /etc/audit/rules.d/phiguard.rules, \
         at least: identity files (`-w /etc/passwd -p wa -k identity`, the same for /etc/group, \
         /etc/shadow and /etc/gshadow), sudo (`-w /etc/sudoers -p wa -k scope`, \
         `-w /etc/sudoers.d/ -p wa -k scope`, `-w /usr/bin/sudo -p x -k privileged`) and login \
         records (`-w /var/log/wtmp -p wa -k session`, `-w /var/log/btmp -p wa -k session`, \
         `-w /var/log/lastlog -p wa -k logins`). Load them with `augenrules --load` and confirm \
         with `auditctl -l`.",
    )
}

const SUBJECT: &str = "auditd";
const BINARIES: [&str; 2] = ["/usr/sbin/auditd", "/sbin/auditd"];
const AUDITCTL: [&str; 2] = ["/usr/sbin/auditctl", "/sbin/auditctl"];

pub(super) fn judge(meta: &CheckMeta, ctx: &CheckContext) -> Result<Finding, Problem> {
    let installed = systemd::installed(ctx, &BINARIES);
    if ctx.is_live() {
        judge_live(meta, ctx, installed.is_some())
    } else {
        judge_image(meta, ctx, installed.is_some())
    }
}

fn judge_live(meta: &CheckMeta, ctx: &CheckContext, installed: bool) -> Result<Finding, Problem> {
    let proc_dir = ctx.path("/proc");
    let running = process_running(&proc_dir, "auditd").map_err(|e| Problem::io(&proc_dir, &e))?;
    if !running {
        return Ok(meta.finding(Status::Fail, SUBJECT, not_running(installed)));
    }
    let finding = match loaded_rules(ctx) {
        Ok(0) => meta.finding(
            Status::Fail,
            SUBJECT,
            "auditd is running but `auditctl -l` reports no rules, so the kernel records \
             next to nothing about accounts, sudo or logins; add rules and load them",
        ),
        Ok(n) => meta.finding(
            Status::Pass,
            SUBJECT,
            format!("auditd is running and the kernel has {n} audit rule(s) loaded"),
        ),
        Err(why) => {
            let on_disk = rules_on_disk(ctx)?;
            meta.finding(
                Status::Warn,
                SUBJECT,
                format!(
                    "auditd is running, but the rules the kernel holds could not be listed \
                     ({why}); {}. Run phiguard as root to confirm the rules are loaded",
                    on_disk.describe()
                ),
            )
        }
    };
    Ok(finding)
}

fn judge_image(meta: &CheckMeta, ctx: &CheckContext, installed: bool) -> Result<Finding, Problem> {
    let Some(link) = systemd::enabled_by(ctx, "auditd.service")? else {
        return Ok(meta.finding(
            Status::Fail,
            SUBJECT,
            if installed {
                "auditd is installed in the image but not enabled (no auditd.service link in \
                 any /etc/systemd/system/*.wants directory), so it will not start at boot"
            } else {
                "auditd is not installed in the image, so nothing will record account changes, \
                 sudo use or logins"
            },
        ));
    };
    let on_disk = rules_on_disk(ctx)?;
    let status = if on_disk.rules == 0 {
        Status::Fail
    } else {
        Status::Pass
    };
    Ok(meta.finding(
        status,
        SUBJECT,
        format!(
            "auditd is enabled at boot ({}) and {}; whether it is running could not be checked, \
             because the root is an image",
            link.display(),
            on_disk.describe()
        ),
    ))
}

fn not_running(installed: bool) -> &'static str {
    if installed {
        "auditd is installed but not running, so nothing records account changes, sudo use or \
         logins; start it with `systemctl enable --now auditd`"
    } else {
        "auditd is not installed and no auditd process runs, so nothing records account \
         changes, sudo use or logins"
    }
}

/// Whether a process whose command name (`/proc/PID/comm`) is `name` runs, reading the process
/// table under `proc_dir` (`/proc` on the host, a fake tree in tests).
///
/// Processes exit while the directory is read; those, and ones hidden from this user
/// (`hidepid`), are skipped rather than failing the check.
pub(crate) fn process_running(proc_dir: &Path, name: &str) -> io::Result<bool> {
    for entry in std::fs::read_dir(proc_dir)? {
        let entry = entry?;
        let is_pid = entry
            .file_name()
            .to_str()
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        if !is_pid {
            continue;
        }
        if let Ok(comm) = std::fs::read(entry.path().join("comm"))
            && comm.strip_suffix(b"\n").unwrap_or(&comm) == name.as_bytes()
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The number of rules the kernel holds, from `auditctl -l` (run directly, no shell), or why it
/// could not be listed (not installed, not root).
fn loaded_rules(ctx: &CheckContext) -> Result<usize, String> {
    let auditctl =
        systemd::installed(ctx, &AUDITCTL).ok_or_else(|| "auditctl is not installed".to_owned())?;
    let output = Command::new(&auditctl)
        .arg("-l")
        .output()
        .map_err(|e| format!("could not run {}: {e}", auditctl.display()))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let said = stderr.lines().next().unwrap_or("").trim();
        return Err(format!(
            "`auditctl -l` failed with {}: {said:?}",
            output.status
        ));
    }
    Ok(count_listed_rules(&String::from_utf8_lossy(&output.stdout)))
}

/// Rules in `auditctl -l` output: one a line, and the single line `No rules` when there are none.
pub(crate) fn count_listed_rules(stdout: &str) -> usize {
    stdout
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && *l != "No rules")
        .count()
}

/// Whether a line of an audit rules file is a rule, as opposed to a comment or a control line
/// (`-D` delete all, `-b` backlog, `-f` failure mode, `-e` enable...). Debian's default
/// `audit.rules` has only control lines, and `auditctl -l` then says `No rules`, so counting
/// every non-comment line would pass a host that audits nothing.
pub(crate) fn is_rule(line: &str) -> bool {
    matches!(line.split_whitespace().next(), Some("-a" | "-A" | "-w"))
}

/// The rules the files on disk will load at boot.
#[derive(Debug)]
struct RulesOnDisk {
    rules: usize,
    files: Vec<PathBuf>,
}

impl RulesOnDisk {
    fn describe(&self) -> String {
        if self.files.is_empty() {
            return "there is no audit rules file (/etc/audit/rules.d/*.rules or \
                    /etc/audit/audit.rules)"
                .to_owned();
        }
        let names: Vec<String> = self.files.iter().map(|f| f.display().to_string()).collect();
        format!(
            "the rules files on disk ({}) hold {} rule(s){}",
            names.join(", "),
            self.rules,
            if self.rules == 0 {
                ", only control lines such as -D and -b"
            } else {
                ""
            }
        )
    }
}

/// augenrules builds `audit.rules` from `rules.d/*.rules` at boot, so those are the source when
/// present; a host managed without augenrules has only `audit.rules`.
fn rules_on_disk(ctx: &CheckContext) -> Result<RulesOnDisk, Problem> {
    let mut files = files_ending_with(&ctx.path("/etc/audit/rules.d"), ".rules")?;
    if files.is_empty() {
        files.push(ctx.path("/etc/audit/audit.rules"));
    }
    let mut rules = 0;
    let mut present = Vec::new();
    for file in files {
        if let Some(text) = read_text(&file)? {
            rules += text.lines().filter(|l| is_rule(l)).count();
            present.push(file);
        }
    }
    Ok(RulesOnDisk {
        rules,
        files: present,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use std::fs;

    fn process(proc_dir: &Path, pid: &str, comm: &str) {
        let dir = proc_dir.join(pid);
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("comm"), format!("{comm}\n")).unwrap();
    }

    #[test]
    fn finds_a_process_by_its_command_name() {
        let proc_dir = tempfile::tempdir().unwrap();
        process(proc_dir.path(), "1", "systemd");
        process(proc_dir.path(), "812", "auditd-helper");
        // Not a process: the name is not a number.
        process(proc_dir.path(), "self", "auditd");
        fs::create_dir(proc_dir.path().join("900")).unwrap(); // exited: no comm
        assert!(!process_running(proc_dir.path(), "auditd").unwrap());
        process(proc_dir.path(), "613", "auditd");
        assert!(process_running(proc_dir.path(), "auditd").unwrap());
        assert!(process_running(&proc_dir.path().join("missing"), "auditd").is_err());
    }

    #[test]
    fn counts_listed_rules() {
        assert_eq!(count_listed_rules("No rules\n"), 0);
        assert_eq!(count_listed_rules(""), 0);
        let listed = "-w /etc/passwd -p wa -k identity\n-a always,exit -F arch=b64 -S execve\n";
        assert_eq!(count_listed_rules(listed), 2);
    }

    #[test]
    fn only_rule_lines_are_rules() {
        for rule in [
            "-w /etc/shadow -p wa",
            "  -a always,exit -S open",
            "-A exit,always",
        ] {
            assert!(is_rule(rule), "{rule}");
        }
        for control in [
            "-D",
            "-b 8192",
            "-f 1",
            "--backlog_wait_time 60000",
            "# -w /etc",
            "",
            "-e 2",
        ] {
            assert!(!is_rule(control), "{control}");
        }
    }
}
