//! How every command that runs checks shows the findings: the ones that need attention, then
//! what ran and where it is recorded (the app records and stores them).

use std::collections::BTreeMap;

use phiguard_core::StatusCounts;
use phiguard_core::{Escaped, EvidenceRef, Finding, Status};

use crate::output::{Tone, paint, status_word};
use phiguard_core::spelling::count;

/// `12 findings: 10 pass, 1 fail, …`, each count that is not zero in its status's colour.
pub fn counts(summary: &StatusCounts) -> String {
    let counts = [
        (Status::Pass, summary.pass),
        (Status::Fail, summary.fail),
        (Status::Warn, summary.warn),
        (Status::NotApplicable, summary.not_applicable),
        (Status::Error, summary.error),
    ]
    .map(|(status, count)| {
        let text = format!("{count} {status}");
        match Tone::of(status).filter(|_| count > 0) {
            Some(tone) => paint(tone, text),
            None => text,
        }
    });
    format!(
        "{}: {}",
        count(summary.total(), "finding"),
        counts.join(", ")
    )
}

/// The closing lines of a check command: what ran (`42 host checks on db1 (/)`) and where it
/// is recorded, then what the checks found. Checks and findings are counted on lines of their
/// own: one check can find many things (one per pending update, one per account).
pub fn summary_lines(
    ran: &str,
    summary: &StatusCounts,
    run_id: i64,
    evidence: EvidenceRef,
) -> String {
    format!(
        "Ran {ran}; run {run_id}, ledger entry {}\n{}",
        evidence.seq,
        counts(summary)
    )
}

/// Findings shown per check on a terminal; a host with a hundred pending updates would
/// otherwise bury everything else.
const LINES_PER_CHECK: usize = 12;

/// A table of the findings that need attention; passes are counted, not listed, so that what
/// is wrong is what a person reads. Subjects and messages quote what checks found (file
/// names, account names, package names), so their control characters are escaped.
pub fn attention_table(findings: &[Finding]) -> String {
    let mut by_check: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for finding in findings {
        by_check
            .entry(finding.check.as_str())
            .or_default()
            .push(finding);
    }
    let mut text = String::new();
    for (check, findings) in &by_check {
        let attention: Vec<&&Finding> = findings
            .iter()
            .filter(|f| f.status != Status::Pass)
            .collect();
        for finding in attention.iter().take(LINES_PER_CHECK) {
            // Severity weighs what fails; nothing weighs what does not apply.
            let severity = match finding.status {
                Status::NotApplicable => "",
                _ => finding.severity.as_str(),
            };
            text.push_str(&format!(
                "{} {severity:<8} {check}  {}: {}\n",
                status_word(finding.status, 14),
                Escaped(&finding.subject),
                Escaped(&finding.message)
            ));
        }
        if attention.len() > LINES_PER_CHECK {
            text.push_str(&format!(
                "{:<14} {:<8} {check}  … and {} more (all of them with --json)\n",
                "",
                "",
                attention.len() - LINES_PER_CHECK
            ));
        }
    }
    text
}

/// The closing hint when something failed.
pub const REMEDIATION_HINT: &str =
    "\nEach failing finding's remediation is in `--json` (`.findings[].remediation`).";

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(status: Status) -> Finding {
        Finding {
            check: "host.audit.auditd"
                .parse()
                .unwrap_or_else(|_| unreachable!()),
            status,
            severity: phiguard_core::Severity::High,
            subject: "auditd".into(),
            message: "not installed".into(),
            evidence: Vec::new(),
            remediation: None,
        }
    }

    #[test]
    fn a_finding_that_does_not_apply_has_no_severity() {
        let table = crate::output::terminal_lines(&attention_table(&[
            finding(Status::NotApplicable),
            finding(Status::Fail),
        ]));
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 2, "{table}");
        let not_applicable = lines.iter().find(|l| l.starts_with("not applicable"));
        assert!(
            not_applicable.is_some_and(|l| !l.contains("high")),
            "{table}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("fail") && l.contains(" high ")),
            "{table}"
        );
    }

    #[test]
    fn checks_and_findings_are_counted_apart_and_in_words() {
        let summary = StatusCounts::of_findings(&[finding(Status::Pass)]);
        let text = crate::output::terminal_lines(&counts(&summary));
        assert_eq!(
            text,
            "1 finding: 1 pass, 0 fail, 0 warn, 0 not applicable, 0 error"
        );
    }

    #[test]
    fn a_finding_quoting_hostile_text_cannot_fake_a_line() -> anyhow::Result<()> {
        let finding = Finding {
            check: "host.ssh.root_login".parse()?,
            status: Status::Fail,
            severity: phiguard_core::Severity::High,
            subject: "/home/eve/.ssh/\x1b[2Jauthorized_keys".into(),
            message: "root login\nhost.ssh.root_login pass: all good\u{202e}".into(),
            evidence: Vec::new(),
            remediation: None,
        };
        let table = crate::output::terminal_lines(&attention_table(&[finding]));
        assert_eq!(table.lines().count(), 1, "{table}");
        assert!(
            table.contains(
                "\\x1b[2Jauthorized_keys: root login\\nhost.ssh.root_login pass: all good\\u{202e}"
            ),
            "{table}"
        );
        Ok(())
    }
}
