//! What every command that runs checks does with the findings: record them in the ledger,
//! store them as a check run, and show the ones that need attention.

use std::collections::BTreeMap;

use anyhow::Context;
use jiff::Timestamp;
use phiguard_core::{Escaped, EvidenceRef, Finding, Status};
use phiguard_store::CheckRun;
use serde::Serialize;

use crate::installation::Installation;
use crate::output::{Tone, paint, status_word};
use phiguard_core::spelling::count;

#[derive(Debug, Default, Serialize)]
pub struct Summary {
    pub pass: usize,
    pub fail: usize,
    pub warn: usize,
    pub not_applicable: usize,
    pub error: usize,
}

impl Summary {
    pub fn of(findings: &[Finding]) -> Summary {
        let mut summary = Summary::default();
        for finding in findings {
            *match finding.status {
                Status::Pass => &mut summary.pass,
                Status::Fail => &mut summary.fail,
                Status::Warn => &mut summary.warn,
                Status::NotApplicable => &mut summary.not_applicable,
                Status::Error => &mut summary.error,
            } += 1;
        }
        summary
    }

    pub fn total(&self) -> usize {
        self.pass + self.fail + self.warn + self.not_applicable + self.error
    }

    /// `12 findings: 10 pass, 1 fail, …`, each count that is not zero in its status's colour.
    pub fn counts(&self) -> String {
        let counts = [
            (Status::Pass, self.pass),
            (Status::Fail, self.fail),
            (Status::Warn, self.warn),
            (Status::NotApplicable, self.not_applicable),
            (Status::Error, self.error),
        ]
        .map(|(status, count)| {
            let text = format!("{count} {status}");
            match Tone::of(status).filter(|_| count > 0) {
                Some(tone) => paint(tone, text),
                None => text,
            }
        });
        format!("{}: {}", count(self.total(), "finding"), counts.join(", "))
    }
}

/// The closing lines of a check command: what ran (`42 host checks on db1 (/)`) and where it
/// is recorded, then what the checks found. Checks and findings are counted on lines of their
/// own: one check can find many things (one per pending update, one per account).
pub fn summary_lines(ran: &str, summary: &Summary, run_id: i64, evidence: EvidenceRef) -> String {
    format!(
        "Ran {ran}; run {run_id}, ledger entry {}\n{}",
        evidence.seq,
        summary.counts()
    )
}

/// A run of checks as stored.
#[derive(Debug)]
pub struct RecordedRun {
    pub run_id: i64,
    /// The ledger entry that records the findings.
    pub evidence: EvidenceRef,
    /// The findings, each citing that entry too.
    pub findings: Vec<Finding>,
}

/// Records `findings` in the ledger as `kind` (with `context`'s fields beside them), so a
/// later edit of the stored run is detectable, then stores them as a check run whose every
/// finding cites that ledger entry.
pub async fn record(
    installation: &Installation,
    kind: &str,
    run: CheckRun,
    mut context: serde_json::Map<String, serde_json::Value>,
    findings: Vec<Finding>,
) -> anyhow::Result<RecordedRun> {
    context.insert(
        "summary".into(),
        serde_json::to_value(Summary::of(&findings))?,
    );
    context.insert("findings".into(), serde_json::to_value(&findings)?);
    let evidence = installation
        .record(kind, serde_json::Value::Object(context))
        .await?;
    let findings: Vec<Finding> = findings
        .into_iter()
        .map(|mut finding| {
            finding.evidence.push(evidence);
            finding
        })
        .collect();
    let run_id = installation
        .store
        .record_check_run(&run, &findings)
        .await
        .context("could not store the check run")?;
    Ok(RecordedRun {
        run_id,
        evidence,
        findings,
    })
}

/// A run's identity for the store.
pub fn run(started_at: Timestamp, host: Option<String>, root: String) -> CheckRun {
    CheckRun {
        started_at,
        finished_at: Timestamp::now(),
        host,
        root,
    }
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
        let summary = Summary::of(&[finding(Status::Pass)]);
        let text = crate::output::terminal_lines(&summary.counts());
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
