#![allow(clippy::unwrap_used, clippy::expect_used)]
//! One ranking of what to fix, the same in every view: by consequence, never by status alone.
//!
//! The assessment is evaluated from a small catalog shaped like the Security Rule's, with the
//! findings a new user's clinic really had: a vendor handling PHI without a BAA (critical, on
//! required controls), auditd missing (high, required), automatic logoff not configured
//! (medium, addressable) and 30 pending security updates (critical warnings, addressable).

use jiff::civil::{Date, date};
use phiguard_assess::catalog::{Catalog, Control, ControlKind, Family, Profile, Requirement};
use phiguard_assess::evaluate::{Inputs, evaluate};
use phiguard_assess::{Assessment, html, ranking, terminal};
use phiguard_core::{CheckMeta, EvidenceRef, Finding, Severity, Status};

const TODAY: Date = date(2026, 12, 7);

fn control(id: &str, name: &str, requirement: Requirement, checks: &[&str]) -> Control {
    Control {
        id: id.into(),
        citation: id.parse().ok(),
        cite: format!("45 CFR {id}"),
        name: name.into(),
        kind: ControlKind::Specification,
        requirement,
        family: if id.starts_with("164.312") {
            Family::Technical
        } else {
            Family::Administrative
        },
        parent: None,
        summary: format!("What {name} asks."),
        checks: checks.iter().map(|c| c.parse().unwrap()).collect(),
        records: Vec::new(),
        attestation: false,
        proposed: false,
        delegable: true,
        owed_by: Vec::new(),
        protects_ephi: id.starts_with("164.312")
            || id.contains("(b)(3)")
            || id.starts_with("164.314"),
    }
}

/// In the regulation's order, which is not the order of consequence.
fn catalog() -> Catalog {
    use Requirement::{Addressable, Required};
    Catalog {
        controls: vec![
            control(
                "164.308(a)(5)(ii)(B)",
                "Protection from malicious software",
                Addressable,
                &["host.patches.security_updates"],
            ),
            control(
                "164.308(b)(3)",
                "Written contract or other arrangement",
                Required,
                &["register.vendor.baa"],
            ),
            control(
                "164.312(a)(2)(iii)",
                "Automatic logoff",
                Addressable,
                &["host.access.auto_logoff"],
            ),
            control(
                "164.312(b)",
                "Audit controls",
                Required,
                &["host.logging.auditd", "host.logging.journald_persistent"],
            ),
            control(
                "164.314(a)(2)(i)",
                "Business associate contracts",
                Required,
                &["register.vendor.baa", "register.vendor.breach_notice"],
            ),
        ],
    }
}

fn finding(
    check: &str,
    severity: Severity,
    status: Status,
    subject: &str,
    message: &str,
    seq: u64,
) -> Finding {
    let meta = CheckMeta::from_literals(
        check,
        "title",
        severity,
        "why",
        &format!("Fix {check} first. Then check again."),
    );
    let mut finding = meta.finding(status, subject, message);
    finding.evidence.push(EvidenceRef {
        seq,
        leaf_hash: [u8::try_from(seq % 251).unwrap(); 32],
    });
    finding
}

fn findings() -> Vec<Finding> {
    let mut findings = vec![
        finding(
            "register.vendor.baa",
            Severity::Critical,
            Status::Fail,
            "vendor fabrikam-billing",
            "Fabrikam Billing touches PHI but no business associate agreement with it is recorded",
            1,
        ),
        finding(
            "register.vendor.baa",
            Severity::Critical,
            Status::Pass,
            "vendor northwind-cloud",
            "BAA northwind-2025 in force",
            2,
        ),
        finding(
            "register.vendor.breach_notice",
            Severity::High,
            Status::Pass,
            "vendor northwind-cloud",
            "notice within 30 days",
            3,
        ),
        finding(
            "host.access.auto_logoff",
            Severity::Medium,
            Status::Fail,
            "/",
            "no shell start-up file sets TMOUT; run `phiguard host check` after fixing",
            4,
        ),
        finding(
            "host.logging.auditd",
            Severity::High,
            Status::Fail,
            "auditd",
            "auditd is not installed, so nothing records who did what",
            5,
        ),
        finding(
            "host.logging.journald_persistent",
            Severity::Medium,
            Status::Pass,
            "/var/log/journal",
            "the journal is kept on disk",
            6,
        ),
    ];
    for n in 0..30 {
        findings.push(finding(
            "host.patches.security_updates",
            Severity::Critical,
            Status::Warn,
            &format!("libexample{n} 1.{n} → 1.{n}+deb12u1"),
            &format!("security update pending for {n} days"),
            100 + n,
        ));
    }
    findings
}

fn assessment() -> Assessment {
    let inputs = Inputs {
        findings: findings(),
        ..Inputs::default()
    };
    let controls = evaluate(&catalog(), Profile::Hipaa, &inputs, TODAY);
    Assessment::new(
        Profile::Hipaa,
        "clinic".into(),
        "2026-12-07T12:00:00Z".parse().unwrap(),
        TODAY,
        controls,
    )
}

/// The HTML section with this id.
fn section<'a>(page: &'a str, id: &str) -> &'a str {
    let start = page.find(&format!("<section id=\"{id}\"")).unwrap();
    &page[start..start + page[start..].find("</section>").unwrap()]
}

/// Where each of `needles` first appears in `text`, in the order given.
fn positions(text: &str, needles: &[&str]) -> Vec<usize> {
    needles
        .iter()
        .map(|needle| {
            text.find(needle)
                .unwrap_or_else(|| panic!("{needle:?} missing from:\n{text}"))
        })
        .collect()
}

#[test]
fn a_vendor_with_phi_and_no_baa_ranks_before_automatic_logoff() {
    let assessment = assessment();
    let order: Vec<&str> = assessment
        .failures()
        .iter()
        .map(|c| c.id.as_str())
        .collect();
    let baa = order.iter().position(|id| *id == "164.308(b)(3)").unwrap();
    let audit = order.iter().position(|id| *id == "164.312(b)").unwrap();
    let logoff = order
        .iter()
        .position(|id| *id == "164.312(a)(2)(iii)")
        .unwrap();
    assert!(baa < logoff, "{order:?}");
    assert!(audit < logoff, "{order:?}");

    let text = terminal::render(&assessment);
    let at = positions(
        &text,
        &[
            "Fabrikam Billing touches PHI",
            "auditd is not installed",
            "TMOUT",
        ],
    );
    assert!(at.is_sorted(), "terminal order:\n{text}");
}

#[test]
fn top_failures_and_the_remediation_plan_use_one_order() {
    let page = html::render(&assessment());
    let needles = [
        "Fabrikam Billing touches PHI",
        "auditd is not installed",
        "libexample0",
        "TMOUT",
    ];
    let failures = positions(section(&page, "failures"), &needles);
    let plan = positions(section(&page, "remediation"), &needles);
    assert!(failures.is_sorted(), "top failures out of order");
    assert!(plan.is_sorted(), "remediation plan out of order");
}

#[test]
fn a_finding_on_several_controls_is_one_problem_listing_them() {
    let assessment = assessment();
    let problems = assessment.problems();
    let baa: Vec<_> = problems
        .iter()
        .filter(|p| p.check == Some("register.vendor.baa"))
        .collect();
    assert_eq!(baa.len(), 1, "one problem for the BAA finding");
    let baa = baa[0];
    assert_eq!(baa.rank, 1);
    assert_eq!(baa.consequence, 64, "critical × required × ePHI");
    assert_eq!(baa.findings.len(), 1, "the same finding, once");
    let controls: Vec<&str> = baa.controls.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(controls, ["164.308(b)(3)", "164.314(a)(2)(i)"]);
    // Four problems, four items: no control appears as a problem of its own beside them.
    assert_eq!(problems.len(), 4);

    let text = terminal::render(&assessment);
    assert_eq!(
        text.matches("Fabrikam Billing touches PHI").count(),
        1,
        "{text}"
    );
    assert!(
        text.contains(
            "affects: 45 CFR 164.308(b)(3) Written contract or other arrangement (partial); \
             45 CFR 164.314(a)(2)(i) Business associate contracts (partial)"
        ),
        "{text}"
    );
    let page = html::render(&assessment);
    let failures = section(&page, "failures");
    assert_eq!(failures.matches("<li value=").count(), 4);
    assert_eq!(failures.matches("Fabrikam Billing touches PHI").count(), 1);
}

#[test]
fn each_card_names_its_findings_and_the_first_fix() {
    let assessment = assessment();
    let text = terminal::render(&assessment);
    assert!(
        text.contains(
            "vendor fabrikam-billing: Fabrikam Billing touches PHI but no business associate \
             agreement with it is recorded"
        ),
        "{text}"
    );
    assert!(
        text.contains("fix: Fix register.vendor.baa first."),
        "{text}"
    );
    assert!(!text.contains("failing and 0 passing findings"), "{text}");

    let page = html::render(&assessment);
    let failures = section(&page, "failures");
    assert!(failures.contains(
        "vendor fabrikam-billing: Fabrikam Billing touches PHI but no business associate \
         agreement with it is recorded"
    ));
    assert!(failures.contains("<strong>First fix:</strong> Fix register.vendor.baa first."));
    assert!(failures.contains("critical · required · protects ePHI: consequence 64"));
}

#[test]
fn repeated_findings_of_one_check_are_grouped_and_folded_but_all_there() {
    let assessment = assessment();
    let problems = assessment.problems();
    let updates = problems
        .iter()
        .find(|p| p.check == Some("host.patches.security_updates"))
        .unwrap();
    assert_eq!(updates.findings.len(), 30);
    assert_eq!(
        updates.headline(),
        "30 findings of host.patches.security_updates (30 warnings)"
    );

    let text = terminal::render(&assessment);
    assert!(
        text.contains("… and 27 more, all in the HTML report and in --json"),
        "{text}"
    );
    assert!(!text.contains("libexample3 "), "{text}");

    // The HTML holds every finding the JSON holds, the long list folded.
    let page = html::render(&assessment);
    assert!(!page.contains("JSON form"));
    for n in 0..30 {
        let subject = format!("libexample{n} 1.{n} → 1.{n}+deb12u1");
        for id in ["failures", "controls", "remediation"] {
            assert!(section(&page, id).contains(&subject), "{subject} in {id}");
        }
    }
    let controls = section(&page, "controls");
    let fold = controls
        .find("<details><summary>27 more findings of <code>host.patches.security_updates</code></summary>")
        .expect("the long list is folded");
    assert!(controls.find("libexample2 ").unwrap() < fold);
    assert!(controls.find("libexample3 ").unwrap() > fold);
}

#[test]
fn backticks_in_findings_render_as_code_never_raw() {
    let page = html::render(&assessment());
    assert!(page.contains("run <code>phiguard host check</code> after fixing"));
    let body = &page[page.find("<body>").unwrap()..];
    assert!(!body.contains('`'), "a raw backtick in the page");
}

#[test]
fn the_json_ranks_problems_as_the_views_do() {
    let assessment = assessment();
    let json = serde_json::to_value(&assessment).unwrap();
    let problems = json["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 4);
    assert_eq!(problems[0]["rank"], 1);
    assert_eq!(problems[0]["check"], "register.vendor.baa");
    assert_eq!(problems[0]["consequence"], 64);
    assert_eq!(
        problems[0]["controls"],
        serde_json::json!(["164.308(b)(3)", "164.314(a)(2)(i)"])
    );
    assert_eq!(
        problems[0]["findings"][0]["subject"],
        "vendor fabrikam-billing"
    );
    // The assessment's own fields are all still there.
    assert_eq!(json["controls"].as_array().unwrap().len(), 5);
    assert_eq!(json["installation"], "clinic");
}

/// Text as the page shows it: escaped, then each pair of backticks a `<code>` span.
fn as_html(text: &str) -> String {
    let escaped = text
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;");
    if escaped.matches('`').count() % 2 == 1 {
        return escaped;
    }
    escaped
        .split('`')
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 1 {
                format!("<code>{part}</code>")
            } else {
                part.to_owned()
            }
        })
        .collect()
}

#[test]
fn the_html_holds_every_text_the_json_holds() {
    let assessment = assessment();
    let page = html::render(&assessment);
    let json = serde_json::to_value(&assessment).unwrap();
    let mut texts: Vec<String> = Vec::new();
    for control in json["controls"].as_array().unwrap() {
        for key in ["cite", "name", "summary"] {
            texts.push(control[key].as_str().unwrap().to_owned());
        }
        for step in control["remediation"].as_array().unwrap() {
            texts.push(step.as_str().unwrap().to_owned());
        }
        for finding in control["attention"].as_array().unwrap() {
            for key in ["subject", "message"] {
                texts.push(finding[key].as_str().unwrap().to_owned());
            }
        }
        for check in control["checks"].as_array().unwrap() {
            texts.push(check["check"].as_str().unwrap().to_owned());
        }
    }
    for problem in json["problems"].as_array().unwrap() {
        texts.push(format!("consequence {}", problem["consequence"]));
    }
    assert!(texts.len() > 80, "{} texts", texts.len());
    for text in texts {
        assert!(
            page.contains(&as_html(&text)),
            "{text:?} is not in the page"
        );
    }
}

#[test]
fn the_weighting_shown_is_the_one_that_ranks() {
    // The BAA finding reaches a required control that governs and an addressable one that
    // protects ePHI: the heavier of the two (both weigh 2) is the first in the regulation's
    // order, and the problem shows its factors.
    let mut catalog = catalog();
    for control in &mut catalog.controls {
        if control.id == "164.308(b)(3)" {
            control.protects_ephi = false;
        }
        if control.id == "164.314(a)(2)(i)" {
            control.requirement = Requirement::Addressable;
        }
    }
    let inputs = Inputs {
        findings: findings(),
        ..Inputs::default()
    };
    let controls = evaluate(&catalog, Profile::Hipaa, &inputs, TODAY);
    let assessment = Assessment::new(
        Profile::Hipaa,
        "clinic".into(),
        "2026-12-07T12:00:00Z".parse().unwrap(),
        TODAY,
        controls,
    );
    let problems = assessment.problems();
    let baa = problems
        .iter()
        .find(|p| p.check == Some("register.vendor.baa"))
        .unwrap();
    assert_eq!(baa.consequence, 32);
    assert_eq!(baa.weighting(), "critical · required");
    for problem in &problems {
        let factors = ranking::severity_weight(problem.severity)
            * if problem.required { 2 } else { 1 }
            * if problem.protects_ephi { 2 } else { 1 };
        assert_eq!(problem.consequence, factors, "{}", problem.headline());
    }
}
