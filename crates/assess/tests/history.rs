#![allow(clippy::unwrap_used, clippy::expect_used)]
//! An assessment as the ledger records it, read back, and compared with the next one.

use jiff::civil::date;
use phiguard_assess::catalog::{ControlKind, Family, Profile, Requirement};
use phiguard_assess::history::{self, Recorded};
use phiguard_assess::{Assessment, ControlResult, ControlStatus, html, terminal};
use phiguard_core::{EvidenceRef, Finding, Severity, Status};
use serde_json::json;

fn entry(seq: u64) -> EvidenceRef {
    EvidenceRef {
        seq,
        leaf_hash: [7; 32],
    }
}

fn control(id: &str, status: ControlStatus, attention: &[(&str, &str, Status)]) -> ControlResult {
    ControlResult {
        id: id.into(),
        cite: format!("45 CFR {id}"),
        name: format!("Control {id}"),
        kind: ControlKind::Specification,
        requirement: Requirement::Required,
        family: Family::Technical,
        parent: None,
        summary: "what it asks".into(),
        status,
        basis: "why".into(),
        delegable: true,
        protects_ephi: true,
        owner: None,
        responsibility: None,
        checks: Vec::new(),
        attention: attention
            .iter()
            .map(|(check, subject, status)| Finding {
                check: check.parse().unwrap(),
                status: *status,
                severity: Severity::High,
                subject: (*subject).into(),
                message: format!("{subject} on day {}", subject.len()),
                evidence: Vec::new(),
                remediation: None,
            })
            .collect(),
        evidence: Vec::new(),
        remediation: Vec::new(),
        records: Default::default(),
    }
}

fn assessment(controls: Vec<ControlResult>) -> Assessment {
    Assessment::new(
        Profile::Hipaa,
        "clinic".into(),
        "2026-12-07T10:00:00Z".parse().unwrap(),
        date(2026, 12, 7),
        controls,
    )
}

/// Last week: auditd missing, port 23 open, port 22 open.
fn last_week() -> Assessment {
    assessment(vec![
        control(
            "164.312(b)",
            ControlStatus::NotMet,
            &[("host.logging.auditd", "auditd", Status::Fail)],
        ),
        control(
            "164.312(e)(1)",
            ControlStatus::NotMet,
            &[
                (
                    "host.firewall.exposed_admin_ports",
                    "port 23 (telnet)",
                    Status::Fail,
                ),
                (
                    "host.firewall.exposed_admin_ports",
                    "port 22 (ssh)",
                    Status::Fail,
                ),
            ],
        ),
        control("164.310(b)", ControlStatus::Unknown, &[]),
    ])
}

/// Today: auditd installed, port 23 closed, port 22 only warns, a hostile new subject, the
/// workstation policy attested.
fn today() -> Assessment {
    assessment(vec![
        control("164.312(b)", ControlStatus::Met, &[]),
        control(
            "164.312(e)(1)",
            ControlStatus::Partial,
            &[
                (
                    "host.firewall.exposed_admin_ports",
                    "port 22 (ssh)",
                    Status::Warn,
                ),
                (
                    "host.encryption.tls_versions",
                    "<b>port 8443</b>",
                    Status::Fail,
                ),
            ],
        ),
        control("164.310(b)", ControlStatus::Met, &[]),
    ])
}

fn recorded(assessment: &Assessment) -> Recorded {
    // Through text, as the ledger stores it.
    let text = serde_json::to_string(&history::record(assessment)).unwrap();
    history::read(&serde_json::from_str(&text).unwrap()).unwrap()
}

#[test]
fn a_recorded_assessment_reads_back() {
    let before = last_week();
    let recorded = recorded(&before);
    assert_eq!(recorded.profile, Some(Profile::Hipaa));
    assert_eq!(recorded.statuses.len(), 3);
    assert_eq!(recorded.statuses["164.312(b)"], ControlStatus::NotMet);
    let findings = recorded.findings.unwrap();
    assert_eq!(findings.len(), 3);
    // Messages change every run ("pending for 3 days"); they are not part of the record.
    let body = history::record(&before).to_string();
    assert!(!body.contains("on day"), "{body}");
}

#[test]
fn changed_statuses_and_new_and_resolved_findings_are_named() {
    let since = history::compare(
        &recorded(&last_week()),
        entry(40),
        "2026-11-30T10:00:00Z".parse().unwrap(),
        &today(),
    );
    assert_eq!(since.previous.seq, 40);
    assert!(since.findings_compared);
    let changed: Vec<(&str, ControlStatus, ControlStatus)> = since
        .changed
        .iter()
        .map(|c| (c.id.as_str(), c.from, c.to))
        .collect();
    assert_eq!(
        changed,
        [
            ("164.312(b)", ControlStatus::NotMet, ControlStatus::Met),
            (
                "164.312(e)(1)",
                ControlStatus::NotMet,
                ControlStatus::Partial
            ),
            ("164.310(b)", ControlStatus::Unknown, ControlStatus::Met),
        ]
    );
    let subjects = |keys: &[history::FindingKey]| -> Vec<String> {
        keys.iter().map(|k| k.subject.clone()).collect()
    };
    // Port 22 went from failing to warning: the same finding, neither new nor resolved.
    assert_eq!(subjects(&since.new_findings), ["<b>port 8443</b>"]);
    assert_eq!(
        subjects(&since.resolved_findings),
        ["port 23 (telnet)", "auditd"],
        "by check, then subject"
    );

    let mut report = today();
    report.since_previous = Some(since);
    let page = html::render(&report);
    let section = &page[page.find("<section id=\"changes\"").unwrap()..];
    let section = &section[..section.find("</section>").unwrap()];
    assert!(section.contains("ledger entry <a href=\"#entry-40\">40</a>"));
    assert!(
        page.contains("<tr id=\"entry-40\">"),
        "the previous entry is indexed"
    );
    assert!(section.contains("3 controls changed status"));
    assert!(section.contains("<code>&lt;b&gt;port 8443&lt;/b&gt;</code>"));
    assert!(section.contains("2 resolved findings"));
    let text = terminal::render(&report);
    assert!(
        text.contains("Since the previous assessment (2026-11-30 10:00 UTC, ledger entry 40):"),
        "{text}"
    );
    assert!(
        text.contains("45 CFR 164.312(b) Control 164.312(b): not met → met"),
        "{text}"
    );
    assert!(
        text.contains(
            "1 new finding:\n    host.encryption.tls_versions <b>port 8443</b> (fail, high)"
        ),
        "{text}"
    );
}

#[test]
fn an_entry_from_before_findings_were_recorded_still_gives_the_status_changes() {
    let old = json!({
        "profile": "hipaa",
        "summary": {},
        "controls": {"164.312(b)": "not met", "164.312(e)(1)": "not met", "164.310(b)": "unknown"},
    });
    let recorded = history::read(&old).unwrap();
    assert!(recorded.findings.is_none());
    let since = history::compare(
        &recorded,
        entry(3),
        "2026-11-30T10:00:00Z".parse().unwrap(),
        &today(),
    );
    assert!(!since.findings_compared);
    assert_eq!(since.changed.len(), 3);
    assert!(since.new_findings.is_empty() && since.resolved_findings.is_empty());
    let mut report = today();
    report.since_previous = Some(since);
    assert!(
        terminal::render(&report)
            .contains("it recorded no findings, so only statuses are compared")
    );
}

#[test]
fn nothing_changed_says_so_and_no_previous_says_so() {
    let since = history::compare(
        &recorded(&today()),
        entry(9),
        "2026-12-06T10:00:00Z".parse().unwrap(),
        &today(),
    );
    assert!(since.is_unchanged());
    let mut report = today();
    report.since_previous = Some(since);
    assert!(terminal::render(&report).contains("ledger entry 9): nothing changed\n"));
    assert!(
        html::render(&report)
            .contains("<p>Nothing changed: every control has the status it had.</p>")
    );

    let first = today();
    assert!(terminal::render(&first).contains("No earlier assessment is recorded in the ledger"));
    assert!(html::render(&first).contains("No earlier assessment is recorded in the ledger"));
}

#[test]
fn a_damaged_record_is_refused_with_why() {
    let err = history::read(&json!({"profile": "hipaa"})).unwrap_err();
    assert!(err.contains("`controls`"), "{err}");
    let err = history::read(&json!({"controls": {"164.312(b)": "fine"}})).unwrap_err();
    assert!(err.contains("164.312(b)"), "{err}");
    for status in ControlStatus::ALL {
        assert_eq!(ControlStatus::parse(status.as_str()), Some(status));
        let token = serde_json::to_value(status).unwrap();
        assert_eq!(ControlStatus::parse(token.as_str().unwrap()), Some(status));
    }
}
