#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The HTML report: its sections and controls, escaping of every piece of input text, no
//! request to anywhere, and a real browser that renders it without a console message.
//!
//! The assessments are built by hand rather than from the catalog, so these tests say what the
//! page does with any assessment (every status, family and kind of text), whatever the catalog
//! holds.

use std::path::PathBuf;

use jiff::civil::date;
use phiguard_assess::catalog::{ControlKind, Family, Profile, Requirement};
use phiguard_assess::evaluate::{CheckTally, Tally, tally};
use phiguard_assess::{
    Assessment, CloudAccount, ControlResult, ControlStatus, LedgerCheckpoint, RiskOverview, html,
};
use phiguard_cloud::resources::{CloudResource, Encryption};
use phiguard_core::{EvidenceRef, Finding, Severity, Status, StatusCounts};
use phiguard_register::records::Responsibility;
use phiguard_testkit::{
    CHROMIUM_DOM_ARGS, assert_console_problems_are_seen, console_problems, run_chromium,
};

const SECTIONS: [&str; 10] = [
    "summary",
    "failures",
    "changes",
    "controls",
    "cloud",
    "risk",
    "remediation",
    "evidence",
    "notes",
    "sign-off",
];

/// Text an attacker (or an unlucky file name) could put into a finding.
const HOSTILE: &str = "<script>alert(1)</script>\"'><img src=x onerror=alert(2)>";
const HOSTILE_URL: &str = "https://evil.example/steal.js";

fn entry(seq: u64) -> EvidenceRef {
    EvidenceRef {
        seq,
        leaf_hash: [u8::try_from(seq % 251).unwrap(); 32],
    }
}

fn finding(
    check: &str,
    status: Status,
    severity: Severity,
    subject: &str,
    message: &str,
    remediation: Option<&str>,
    seq: u64,
) -> Finding {
    Finding {
        check: check.parse().unwrap(),
        status,
        severity,
        subject: subject.into(),
        message: message.into(),
        evidence: vec![entry(seq)],
        remediation: remediation.map(str::to_owned),
    }
}

fn check_tally(check: &str, pass: usize, fail: usize, warn: usize) -> CheckTally {
    CheckTally {
        check: check.into(),
        counts: StatusCounts {
            pass,
            fail,
            warn,
            ..StatusCounts::default()
        },
    }
}

#[allow(clippy::too_many_arguments)]
fn control(
    id: &str,
    name: &str,
    kind: ControlKind,
    requirement: Requirement,
    family: Family,
    parent: Option<&str>,
    status: ControlStatus,
    basis: &str,
) -> ControlResult {
    ControlResult {
        id: id.into(),
        cite: format!("45 CFR {id}"),
        name: name.into(),
        kind,
        requirement,
        family,
        parent: parent.map(str::to_owned),
        summary: format!("What {name} asks."),
        status,
        basis: basis.into(),
        delegable: true,
        protects_ephi: id.starts_with("164.312"),
        owner: None,
        responsibility: None,
        checks: Vec::new(),
        attention: Vec::new(),
        evidence: Vec::new(),
        remediation: Vec::new(),
        records: Default::default(),
    }
}

/// Several families, every status, every kind and requirement, findings with remediation and
/// hostile text, evidence, notes and (when asked) a checkpoint.
fn assessment(with_checkpoint: bool) -> Assessment {
    use ControlKind::{Obligation, Specification, Standard};
    use ControlStatus::{Met, NotApplicable, NotMet, Partial, Unknown};
    use Family::{Administrative, BreachNotification, Physical, Proposed2025, Technical};

    let mut access = control(
        "164.312(a)(1)",
        "Access control",
        Standard,
        Requirement::Standard,
        Technical,
        None,
        Partial,
        "1 of 2 applicable parts are met",
    );
    access.owner = Some("Dana (CISO)".into());
    access.responsibility = Some(Responsibility::Shared);

    let mut unique = control(
        "164.312(a)(2)(i)",
        "Unique user identification",
        Specification,
        Requirement::Required,
        Technical,
        Some("164.312(a)(1)"),
        NotMet,
        "2 failing and 0 passing findings from its checks",
    );
    unique.owner = Some(format!("Mallory {HOSTILE}"));
    unique.responsibility = Some(Responsibility::Customer);
    unique.checks = vec![check_tally("host.accounts.shared", 0, 2, 0)];
    unique.attention = vec![
        finding(
            "host.accounts.shared",
            Status::Fail,
            Severity::Critical,
            &format!("/home/{HOSTILE}/.ssh/authorized_keys"),
            &format!("shared account used by 3 people; see {HOSTILE_URL} {HOSTILE}"),
            Some("Give each person their own account & remove the shared one."),
            40,
        ),
        finding(
            "host.accounts.shared",
            Status::Fail,
            Severity::High,
            "frontdesk",
            "account 'frontdesk' has no owner",
            Some("Name an owner for \"frontdesk\"."),
            41,
        ),
    ];
    unique.evidence = vec![entry(40), entry(41)];
    unique.remediation = vec![
        "Give each person their own account & remove the shared one.".into(),
        "Name an owner for \"frontdesk\".".into(),
    ];

    let mut logoff = control(
        "164.312(a)(2)(iii)",
        "Automatic logoff",
        Specification,
        Requirement::Addressable,
        Technical,
        Some("164.312(a)(1)"),
        Met,
        "4 passing findings from its checks",
    );
    logoff.checks = vec![check_tally("host.ssh.client_alive", 4, 0, 0)];
    logoff.evidence = vec![entry(12)];
    logoff.owner = Some("IT contractor".into());
    logoff.responsibility = Some(Responsibility::Provider);

    let mut encryption = control(
        "164.312(a)(2)(iv)",
        "Encryption and decryption",
        Specification,
        Requirement::Addressable,
        Technical,
        Some("164.312(a)(1)"),
        Partial,
        "1 warnings and 3 passing findings from its checks",
    );
    encryption.checks = vec![
        check_tally("host.disk.encryption", 3, 0, 1),
        check_tally("cloud.aws.ec2.ebs_volume_encryption", 1, 1, 0),
    ];
    encryption.attention = vec![
        finding(
            "host.disk.encryption",
            Status::Warn,
            Severity::Medium,
            "/dev/sdb1",
            "backup disk is not encrypted",
            Some("Encrypt /dev/sdb1 with LUKS."),
            42,
        ),
        finding(
            "cloud.aws.ec2.ebs_volume_encryption",
            Status::Fail,
            Severity::Critical,
            UNENCRYPTED_VOLUME,
            "is not encrypted (attached to i-0abc) (tagged phi=true: it holds ePHI)",
            Some("Console: EC2 > Volumes. CLI: `aws ec2 create-snapshot`."),
            43,
        ),
    ];
    encryption.evidence = vec![entry(12), entry(42)];
    encryption.remediation = vec!["Encrypt /dev/sdb1 with LUKS.".into()];

    let audit = control(
        "164.312(b)",
        "Audit controls",
        Standard,
        Requirement::Required,
        Technical,
        None,
        Unknown,
        "its checks did not run",
    );

    let mut risk = control(
        "164.308(a)(1)(ii)(A)",
        "Risk analysis",
        Specification,
        Requirement::Required,
        Administrative,
        Some("164.308(a)(1)"),
        Met,
        "attested by Dana on 2026-06-01 (stands until 2027-06-01)",
    );
    risk.evidence = vec![entry(7)];
    risk.owner = Some("Dana (CISO)".into());
    risk.responsibility = Some(Responsibility::Customer);

    let mut training = control(
        "164.308(a)(5)(i)",
        "Security awareness and training",
        Standard,
        Requirement::Addressable,
        Administrative,
        None,
        NotMet,
        "1 failing and 0 passing findings from its checks",
    );
    training.checks = vec![check_tally("register.training.current", 0, 1, 0)];
    training.attention = vec![finding(
        "register.training.current",
        Status::Fail,
        Severity::Low,
        "alice",
        "training lapsed on 2026-01-31",
        Some("Retrain alice."),
        43,
    )];
    training.evidence = vec![entry(43)];
    training.remediation = vec!["Retrain alice.".into()];

    let mut facility = control(
        "164.310(a)(1)",
        "Facility access controls",
        Standard,
        Requirement::Standard,
        Physical,
        None,
        NotApplicable,
        "the responsibility matrix marks it not applicable",
    );
    facility.responsibility = Some(Responsibility::NotApplicable);

    let mut notify = control(
        "164.404",
        "Notice to individuals",
        Obligation,
        Requirement::Required,
        BreachNotification,
        None,
        Unknown,
        "no attestation is recorded",
    );
    notify.remediation = vec![
        "No machine can check this: once it is in place, record it with `phiguard attest 164.404 --by NAME --statement TEXT [--evidence FILE]`.".into(),
    ];

    let inventory = control(
        "proposed-2025.asset-inventory",
        "Technology asset inventory",
        Obligation,
        Requirement::Required,
        Proposed2025,
        None,
        Unknown,
        "no evidence source covers it yet",
    );

    let controls = vec![
        risk, training, facility, access, unique, logoff, encryption, audit, notify, inventory,
    ];
    Assessment {
        phiguard_version: "0.1.0".into(),
        role: Some(phiguard_core::OrganizationRole::CoveredEntity),
        scope: Some("EHR platform <in> the cloud".into()),
        notes: vec![format!("host checks skipped: not run as root ({HOSTILE})")],
        evidence: Some(entry(44)),
        cloud: Some(cloud_account()),
        risk: Some(risk_overview()),
        checkpoint: with_checkpoint.then(|| LedgerCheckpoint {
            origin: "clinic-main.phiguard".into(),
            size: 44,
            root: "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=".into(),
            note: "clinic-main.phiguard\n44\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n\
                   — clinic-main.phiguard AAAAAQ<sig>&\"'\n"
                .into(),
        }),
        ..Assessment::new(
            Profile::Proposed2025,
            "clinic-main <Riverside & Co>".into(),
            "2026-11-28T10:00:00Z".parse().unwrap(),
            date(2026, 11, 28),
            controls,
        )
    }
}

/// A network map as the risk analysis's renderer draws one (it escapes what it draws); the
/// analysis's sentence carries hostile text.
fn risk_overview() -> RiskOverview {
    RiskOverview {
        assets: 3,
        ephi_assets: 2,
        flows: 1,
        unencrypted_flows: 1,
        analysis: Some(format!("2026-11-01, signed by {HOSTILE}")),
        map_svg: "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"network-map\" width=\"200\" \
                  height=\"80\"><g class=\"node\" id=\"asset-0\" data-asset=\"ehr-db\"><rect \
                  x=\"4\" y=\"4\" width=\"80\" height=\"30\" fill=\"#fff\" stroke=\"#333\"/>\
                  </g><g class=\"flow unencrypted\" data-flow=\"ehr-to-fax\"><path d=\"M84 19 \
                  L150 19\" stroke=\"#c62828\" stroke-dasharray=\"6 4\"/></g></svg>\n"
            .into(),
    }
}

const UNENCRYPTED_VOLUME: &str = "arn:aws:ec2:us-east-1:111122223333:volume/vol-0abc";

/// An AWS account of three resources, one of them failing; a key's ARN carries hostile text.
fn cloud_account() -> CloudAccount {
    let resource = |arn: &str, kind: &str, encryption: Encryption, phi: bool| CloudResource {
        arn: arn.into(),
        kind: kind.into(),
        region: Some("us-east-1".into()),
        name: arn.rsplit('/').next().unwrap().into(),
        tags: Default::default(),
        encryption,
        holds_phi: phi,
    };
    CloudAccount {
        provider: "aws".into(),
        account: "111122223333".into(),
        taken_at: "2026-11-28T09:00:00Z".parse().unwrap(),
        evidence: entry(43),
        resources: vec![
            resource(
                "arn:aws:ec2:us-east-1:111122223333:security-group/sg-1",
                "ec2.security_group",
                Encryption::NotApplicable,
                false,
            ),
            resource(
                UNENCRYPTED_VOLUME,
                "ec2.volume",
                Encryption::Unencrypted,
                true,
            ),
            resource(
                "arn:aws:ec2:us-east-1:111122223333:volume/vol-0def",
                "ec2.volume",
                Encryption::Encrypted {
                    key: Some(format!("arn:aws:kms:us-east-1:111122223333:key/{HOSTILE}")),
                },
                true,
            ),
        ],
    }
}

/// Every markup tag of the page (`<` up to the next `>`): with all input text escaped, input
/// can contribute no `<`, so these are exactly the tags the renderer wrote.
fn tags(page: &str) -> Vec<&str> {
    let mut tags = Vec::new();
    let mut rest = page;
    while let Some(start) = rest.find('<') {
        let Some(len) = rest[start..].find('>') else {
            panic!("unterminated tag at {:?}", &rest[start..]);
        };
        tags.push(&rest[start..=start + len]);
        rest = &rest[start + len + 1..];
    }
    tags
}

fn style(page: &str) -> &str {
    let start = page.find("<style>").expect("a <style> element") + "<style>".len();
    let end = page[start..].find("</style>").expect("a closed <style>") + start;
    &page[start..end]
}

#[test]
fn every_section_and_every_control_is_present() {
    let assessment = assessment(true);
    let page = html::render(&assessment);
    assert!(page.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    assert!(page.trim_end().ends_with("</html>"));
    for id in SECTIONS {
        assert_eq!(
            page.matches(&format!("<section id=\"{id}\"")).count(),
            1,
            "section {id}"
        );
    }
    let positions: Vec<usize> = SECTIONS
        .iter()
        .map(|id| page.find(&format!("<section id=\"{id}\"")).unwrap())
        .collect();
    assert!(positions.is_sorted(), "sections out of order");
    // Who was assessed, with the scope escaped like any text the user writes.
    assert!(
        page.contains("<dt>Role</dt><dd>a covered entity</dd>"),
        "role missing"
    );
    assert!(
        page.contains("<dt>Scope</dt><dd>EHR platform &lt;in&gt; the cloud</dd>"),
        "scope missing"
    );
    assert!(
        page.contains(
            "<dt>Organisation</dt><dd>not named ([organization] name in phiguard.toml)</dd>"
        ),
        "an unnamed organisation says so"
    );
    let named = html::render(&Assessment {
        organization_name: Some("Riverside <Clinic>".into()),
        ..assessment.clone()
    });
    assert!(named.contains("<dt>Organisation</dt><dd>Riverside &lt;Clinic&gt;</dd>"));
    assert!(named.contains(
        "<title>HIPAA assessment: Riverside &lt;Clinic&gt; (installation clinic-main \
         &lt;Riverside &amp; Co&gt;), 2026-11-28</title>"
    ));

    let controls_section = &page[page.find("<section id=\"controls\"").unwrap()
        ..page.find("<section id=\"remediation\"").unwrap()];
    for control in &assessment.controls {
        assert!(
            controls_section.contains(&format!("{}</span>", control.name)),
            "{} missing",
            control.id
        );
        assert!(controls_section.contains(&control.cite), "{}", control.cite);
    }
    for (family, _) in &assessment.families {
        assert!(controls_section.contains(family.title()), "{family:?}");
    }
    // Each control has its own anchor, and every internal link lands on an element.
    let ids: Vec<&str> = tags(&page)
        .into_iter()
        .filter_map(|tag| tag.split(" id=\"").nth(1))
        .filter_map(|rest| rest.split('"').next())
        .collect();
    let mut unique = ids.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "duplicate element ids");
    assert_eq!(
        ids.iter().filter(|id| id.starts_with("control-")).count(),
        assessment.controls.len()
    );
    for tag in tags(&page) {
        if let Some(rest) = tag.split("href=\"#").nth(1) {
            let target = rest.split('"').next().unwrap();
            assert!(ids.contains(&target), "link to missing #{target}");
        }
    }

    // Every status is written in words in a badge, and the counts are in the summary.
    for status in ControlStatus::ALL {
        assert!(
            page.contains(&format!(">{}</span>", status.as_str())),
            "{status:?}"
        );
    }
    let summary = &page[..page.find("<section id=\"failures\"").unwrap()];
    assert!(summary.contains("<svg"), "summary charts");
    assert!(summary.contains("<title"), "charts need a title");
    assert!(summary.contains("Action needed"));
    assert!(summary.contains("<td class=\"num\">10</td>"), "total");
}

#[test]
fn cloud_findings_link_to_their_resources_and_every_resource_is_listed() {
    let page = html::render(&assessment(true));
    let section = &page[page.find("<section id=\"cloud\"").unwrap()..];
    let section = &section[..section.find("</section>").unwrap()];
    assert!(
        section.contains(
            "AWS account <code>111122223333</code>: 3 resources seen by the check recorded in \
             ledger entry 43 (2026-11-28 09:00 UTC)"
        ),
        "{section}"
    );
    assert!(section.contains("2 tagged as holding ePHI"), "{section}");
    assert!(
        section.contains("1 encrypted, 1 unencrypted, 0 unknown"),
        "{section}"
    );
    // Counts by kind, with how many need attention.
    assert!(
        section.contains("<tr><td><code>ec2.volume</code></td><td>2</td><td>1</td></tr>"),
        "{section}"
    );
    // Every resource has a row; the failing volume's row names its finding.
    for n in 1..=3 {
        assert!(
            section.contains(&format!("<tr id=\"resource-{n}\">")),
            "row {n}"
        );
    }
    let row = &section[section.find("<tr id=\"resource-2\">").unwrap()..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(row.contains(UNENCRYPTED_VOLUME), "{row}");
    assert!(row.contains("unencrypted"), "{row}");
    assert!(
        row.contains("<code>cloud.aws.ec2.ebs_volume_encryption</code>"),
        "{row}"
    );
    // The finding, under its control, links to that row.
    let link = format!(
        "<a href=\"#resource-2\"><code>{UNENCRYPTED_VOLUME}</code></a> \
         <span class=\"muted small\">ec2.volume, us-east-1</span>"
    );
    let controls = &page[page.find("<section id=\"controls\"").unwrap()..];
    let controls = &controls[..controls.find("</section>").unwrap()];
    assert!(controls.contains(&link), "{controls}");
    assert!(page.contains("<li><a href=\"#cloud\">Cloud resources</a></li>"));
    // A host finding's subject links nowhere.
    assert!(page.contains("<code>/dev/sdb1</code>:"));

    // Without the risk checks: no assets-and-flows section, no link.
    let page = html::render(&Assessment {
        risk: None,
        ..assessment(true)
    });
    assert!(!page.contains("<section id=\"risk\""));
    assert!(!page.contains("href=\"#risk\""));

    // Without a cloud account in scope: no section, no link.
    let page = html::render(&Assessment {
        cloud: None,
        ..assessment(true)
    });
    assert!(!page.contains("<section id=\"cloud\""));
    assert!(!page.contains("href=\"#cloud\""));
    assert!(!page.contains("href=\"#resource-"));
}

#[test]
fn the_assets_and_flows_section_embeds_the_network_map() {
    let page = html::render(&assessment(true));
    assert!(page.contains("<li><a href=\"#risk\">Assets and data flows</a></li>"));
    let start = page.find("<section id=\"risk\"").unwrap();
    let section = &page[start..];
    let section = &section[..section.find("</section>").unwrap()];
    assert!(
        section.contains("3 assets, 2 holding ePHI; 1 flows of ePHI, 1 unencrypted."),
        "{section}"
    );
    assert!(
        section.contains("data-asset=\"ehr-db\"") && section.contains("data-flow=\"ehr-to-fax\"")
    );
    assert!(section.contains("<div class=\"map\">\n<svg"), "{section}");
    // The analysis's sentence is text from outside: escaped.
    assert!(!section.contains(HOSTILE), "{section}");
    assert!(section.contains("The newest signed risk analysis is 2026-11-01, signed by"));

    let unsigned = html::render(&Assessment {
        risk: Some(RiskOverview {
            analysis: None,
            ..risk_overview()
        }),
        ..assessment(true)
    });
    assert!(unsigned.contains("<strong>No risk analysis is signed off.</strong>"));
}

#[test]
fn failures_and_plan_put_the_worst_and_required_first() {
    let assessment = assessment(true);
    let page = html::render(&assessment);
    let section = |id: &str| {
        let start = page.find(&format!("<section id=\"{id}\"")).unwrap();
        &page[start..start + page[start..].find("</section>").unwrap()]
    };
    let failures = section("failures");
    let plan = section("remediation");
    // Both lists hold the problems in the ranking's order, each named by its headline.
    let problems = assessment.problems();
    assert_eq!(problems.len(), 4);
    for list in [failures, plan] {
        let order: Vec<usize> = problems
            .iter()
            .map(|p| {
                let headline = p.headline().replace('&', "&amp;");
                list.find(&headline)
                    .unwrap_or_else(|| panic!("{headline} missing"))
            })
            .collect();
        assert!(order.is_sorted(), "not worst first: {order:?}");
    }
    assert!(failures.contains("Give each person their own account &amp; remove the shared one."));

    let unique = plan.find("Unique user identification").unwrap();
    let training = plan.find("Security awareness and training").unwrap();
    let encryption = plan.find("Encryption and decryption").unwrap();
    assert!(unique < training && unique < encryption, "required first");
    assert!(plan.contains("Encrypt /dev/sdb1 with LUKS."));
    assert!(plan.contains("Mallory &lt;script&gt;"), "owners");
    assert!(plan.contains("Controls without evidence (3)"));
    assert!(plan.contains("phiguard attest 164.404"));
    // Met and not applicable controls need no plan.
    assert!(!plan.contains("Automatic logoff"));
    assert!(!plan.contains("Facility access controls"));
}

#[test]
fn input_text_is_escaped_everywhere() {
    let page = html::render(&assessment(true));
    let lower = page.to_ascii_lowercase();
    assert!(!lower.contains("<script"), "raw script tag");
    assert!(!lower.contains("<img"), "raw img tag");
    // `onerror=` is in the page, as text: no tag carries it.
    assert!(tags(&page).iter().all(|tag| !tag.contains("onerror")));
    assert!(
        page.contains(
            "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&gt;&lt;img src=x onerror=alert(2)&gt;"
        ),
        "the hostile text is shown, escaped"
    );
    // In the owner, the subject, the message, the notes, the installation and the note.
    assert!(page.contains("Mallory &lt;script&gt;"));
    assert!(page.contains("/home/&lt;script&gt;"));
    assert!(page.contains("clinic-main &lt;Riverside &amp; Co&gt;"));
    assert!(page.contains("not run as root (&lt;script&gt;"));
    assert!(page.contains("AAAAAQ&lt;sig&gt;&amp;&quot;&#39;"));
    assert!(page.contains("Name an owner for &quot;frontdesk&quot;."));
    // Every tag is well-formed: no attribute value was broken out of.
    for tag in tags(&page) {
        assert_eq!(
            tag.matches('"').count() % 2,
            0,
            "unbalanced quotes in {tag}"
        );
    }
}

#[test]
fn nothing_is_loaded_from_outside() {
    let page = html::render(&assessment(true));
    let lower = page.to_ascii_lowercase();
    for forbidden in [
        "<link", "<script", "<iframe", "<object", "<embed", "<img", "<base", "<form",
    ] {
        assert!(!lower.contains(forbidden), "{forbidden}");
    }
    let css = style(&page).to_ascii_lowercase();
    assert!(!css.contains("@import"), "@import in the style sheet");
    assert!(!css.contains("url("), "url() in the style sheet");
    assert!(!css.contains("@font-face"), "web fonts");
    // The network map's namespace is a name, not something loaded: the one URL a tag may hold.
    const SVG_NAMESPACE: &str = " xmlns=\"http://www.w3.org/2000/svg\"";
    for tag in tags(&page) {
        let tag = tag.to_ascii_lowercase().replacen(SVG_NAMESPACE, "", 1);
        assert!(!tag.contains("http:") && !tag.contains("https:"), "{tag}");
        assert!(!tag.contains("src="), "{tag}");
        assert!(!tag.contains("url("), "{tag}");
        assert!(!tag.contains("//"), "{tag}");
        if let Some(rest) = tag.split("href=\"").nth(1) {
            assert!(rest.starts_with('#'), "link leaves the page: {tag}");
        }
        assert!(!tag.contains(" on"), "event handler attribute: {tag}");
    }
    // The only URL is the one that came from the input, shown as text (wherever its finding
    // is listed).
    assert_eq!(
        lower.matches("http:").count(),
        lower.matches(SVG_NAMESPACE).count()
    );
    assert!(
        lower
            .match_indices("https:")
            .all(|(at, _)| lower[at..].starts_with(HOSTILE_URL))
    );
    assert!(page.contains(&format!("see {HOSTILE_URL} &lt;script&gt;")));
    assert!(page.contains(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'; img-src data:\">"
    ));
}

#[test]
fn the_checkpoint_and_verification_commands_are_given() {
    let page = html::render(&assessment(true));
    let evidence = &page[page.find("<section id=\"evidence\"").unwrap()..];
    assert!(evidence.contains("<code>clinic-main.phiguard</code>"));
    assert!(evidence.contains("44 entries"));
    assert!(evidence.contains("<code>47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=</code>"));
    assert!(evidence.contains("<pre>clinic-main.phiguard\n44\n47DEQ"));
    assert!(evidence.contains("phiguard ledger verify\n"));
    assert!(evidence.contains("phiguard ledger prove SEQ --size 44\n"));
    assert!(evidence.contains("phiguard ledger prove 7 --size 44\n"));
    assert!(!evidence.contains("No signed checkpoint"));
    // Every cited entry is indexed with its leaf hash; the assessment's own entry (44) is
    // after the checkpoint, and the report says so.
    for seq in [7, 12, 40, 41, 42, 43, 44] {
        assert!(
            evidence.contains(&format!("<tr id=\"entry-{seq}\">")),
            "{seq}"
        );
        assert!(evidence.contains(&entry(seq).leaf_hash_hex()), "{seq}");
    }
    assert!(evidence.contains("1 cited entry is not covered by a signed checkpoint"));
    assert!(page.contains("signed, 44 entries"));
}

#[test]
fn the_auditors_offline_path_is_explained_step_by_step() {
    let page = html::render(&assessment(true));
    let evidence = &page[page.find("<section id=\"evidence\"").unwrap()..];
    let offline = &evidence[evidence.find("id=\"offline-h\"").expect("an offline part")..];
    let steps = [
        "phiguard ledger key &gt; clinic.verifier\n",
        "phiguard ledger export --out ./evidence\n",
        "phiguard ledger verify --bundle ./evidence --key clinic.verifier\n",
        "diff checkpoint.note ./evidence/checkpoints/44.note\n",
        "phiguard ledger verify --bundle ./evidence --key clinic.verifier --checkpoint \
         cosigned.note --witness-key witness.vkey\n",
    ];
    let at: Vec<usize> = steps
        .iter()
        .map(|step| {
            offline
                .find(step)
                .unwrap_or_else(|| panic!("{step:?} missing"))
        })
        .collect();
    assert!(at.is_sorted(), "steps out of order");
    // A cited entry checks against the bundle with no phiguard at all.
    assert!(
        offline.contains("sed -n &#39;8p&#39; ./evidence/entries.jsonl"),
        "{offline}"
    );
    let text = phiguard_assess::terminal::render(&assessment(true));
    assert!(
        text.contains("`phiguard ledger export --out DIR`, then `phiguard ledger verify --bundle DIR --key KEY`"),
        "{text}"
    );
}

#[test]
fn a_report_without_checkpoint_says_so_prominently() {
    let page = html::render(&assessment(false));
    let evidence = &page[page.find("<section id=\"evidence\"").unwrap()..];
    assert!(
        evidence
            .contains("<div class=\"warn-box\" id=\"no-checkpoint\"><h3>No signed checkpoint</h3>")
    );
    assert!(evidence.contains("phiguard ledger checkpoint"));
    assert!(evidence.contains("phiguard ledger verify"));
    assert!(evidence.contains("phiguard ledger prove SEQ\n"));
    assert!(evidence.contains("7 cited entries are not covered by a signed checkpoint"));
    let summary = &page[..page.find("<section id=\"failures\"").unwrap()];
    assert!(summary.contains("No signed ledger checkpoint covers this report"));
    assert!(summary.contains("none: the evidence cannot be verified against a signature"));
}

#[test]
fn an_empty_or_all_met_assessment_reads_right() {
    let mut all_met = assessment(true);
    for control in &mut all_met.controls {
        control.status = ControlStatus::Met;
        control.attention.clear();
        control.remediation.clear();
    }
    (all_met.summary, all_met.families) = tally(&all_met.controls);
    all_met.notes.clear();
    let page = html::render(&all_met);
    assert!(page.contains("Every applicable control is met."));
    assert!(page.contains("No control is failing or partially met"));
    assert!(page.contains("Every evidence source ran."));
    assert!(page.contains(">100%</text>"));

    let mut empty = assessment(false);
    empty.controls.clear();
    empty.families.clear();
    empty.summary = Tally::default();
    empty.evidence = None;
    let page = html::render(&empty);
    assert!(page.contains("Nothing was assessed."));
    assert!(page.contains("The report cites no ledger entry."));
    for id in SECTIONS {
        assert!(page.contains(&format!("<section id=\"{id}\"")), "{id}");
    }
}

#[test]
fn sample_data_says_so_in_the_title_the_header_and_every_other_view() {
    let sample = Assessment {
        sample: true,
        ..assessment(true)
    };
    let page = html::render(&sample);
    let title = &page[page.find("<title>").unwrap()..page.find("</title>").unwrap()];
    assert!(
        title.ends_with(": sample data, not a real assessment"),
        "{title}"
    );
    let header = &page[page.find("<header").unwrap()..page.find("</header>").unwrap()];
    assert!(
        header.contains("<h1>HIPAA compliance assessment: sample data, not a real assessment</h1>")
    );
    assert!(header.contains("<p class=\"sample\" role=\"note\">This report is sample data: <code>phiguard demo</code> made up the clinic"));

    let text = phiguard_assess::terminal::render(&sample);
    let first = text.lines().next().unwrap();
    assert!(
        first.ends_with(": sample data, not a real assessment"),
        "{first}"
    );
    let json = serde_json::to_value(&sample).unwrap();
    assert_eq!(json["sample"], true);

    // A real assessment says nothing of the kind.
    let real = assessment(true);
    assert!(!html::render(&real).contains("sample data"));
    assert!(!phiguard_assess::terminal::render(&real).contains("sample data"));
    assert_eq!(serde_json::to_value(&real).unwrap()["sample"], false);
}

#[test]
fn a_sign_off_is_a_block_of_its_own_with_its_ledger_entries() {
    let unsigned = html::render(&assessment(true));
    let block = &unsigned[unsigned.find("<section id=\"sign-off\"").unwrap()..];
    assert!(block.contains("<strong>Not signed off.</strong>"));
    assert!(block.contains("<code>phiguard assess --sign-off NAME</code>"));
    assert!(unsigned.contains("<dt>Signed off</dt><dd><strong>not signed off</strong>"));

    let signed = Assessment {
        sign_off: Some(phiguard_assess::SignOff {
            by: format!("Dana {HOSTILE}"),
            account: Some("dana".into()),
            at: "2026-11-28T11:00:00Z".parse().unwrap(),
            assessment: entry(44),
            evidence: entry(45),
        }),
        ..assessment(true)
    };
    let page = html::render(&signed);
    let block = &page[page.find("<section id=\"sign-off\"").unwrap()..];
    assert!(block.contains("<dt>Signed off by</dt><dd><strong>Dana &lt;script&gt;"));
    assert!(block.contains("2026-11-28 11:00:00 UTC"));
    assert!(block.contains("the account <code>dana</code>"));
    assert!(block.contains(
        "ledger entry <a href=\"#entry-45\">45</a>, for the assessment recorded as ledger \
         entry <a href=\"#entry-44\">44</a>"
    ));
    // Both entries are in the evidence index, so the links land.
    assert!(page.contains("<tr id=\"entry-45\">"));
    assert!(page.contains("<tr id=\"entry-44\">"));
    assert!(page.contains("<dt>Signed off</dt><dd>by Dana &lt;script&gt;"));
    let text = phiguard_assess::terminal::render(&signed);
    assert!(
        text.contains(
            "Signed off by Dana <script>alert(1)</script>\"'><img src=x onerror=alert(2)> on \
         2026-11-28 11:00 UTC from the account dana (ledger entry 45, for the assessment \
         recorded as entry 44)."
        ),
        "{text}"
    );
}

#[test]
fn renders_in_headless_chromium_without_a_console_message() {
    let Some(browser) = phiguard_testkit::chromium() else {
        // `chromium()` has printed the skip note (or failed the test under
        // PHIGUARD_TEST_REQUIRE_ALL=1).
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let page_path = dir.path().join("report.html");
    std::fs::write(&page_path, html::render(&assessment(true))).unwrap();

    // A screenshot: the page renders to something, not a blank or an error page.
    let png = dir.path().join("report.png");
    run_chromium(
        &browser,
        dir.path(),
        "screenshot",
        &page_path,
        &[
            &format!("--screenshot={}", png.display()),
            "--window-size=1280,2000",
        ],
    );
    let image = std::fs::read(&png).unwrap();
    assert!(image.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert!(image.len() > 20_000, "screenshot of {} bytes", image.len());
    // Kept for people to look at: target/tmp/html_report.png.
    let kept = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("html_report.png");
    let _ = std::fs::copy(&png, &kept);
    let _ = std::fs::copy(&page_path, kept.with_extension("html"));

    // The DOM as the browser built it, with its log: every section is there, no script, no
    // console message.
    let dom = run_chromium(&browser, dir.path(), "dom", &page_path, &CHROMIUM_DOM_ARGS);
    for id in SECTIONS {
        assert!(
            dom.stdout.contains(&format!("<section id=\"{id}\"")),
            "{id} not in the DOM"
        );
    }
    assert!(dom.stdout.contains("Unique user identification"));
    assert!(
        dom.stdout.contains("data-flow=\"ehr-to-fax\""),
        "the network map is not in the DOM"
    );
    assert!(dom.stdout.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!dom.stdout.to_ascii_lowercase().contains("<script"));
    let problems = console_problems(&dom.stderr);
    assert!(
        problems.is_empty(),
        "console messages:\n{}",
        problems.join("\n")
    );

    // The same log on a page that breaks the policy must show the breach, or the check above
    // proves nothing.
    assert_console_problems_are_seen(&browser, dir.path());
}
