#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The risk analysis documents: Markdown and HTML say every section and every asset, flow and
//! risk, with text people typed escaped; the network map draws what it should, the way it
//! should, also in a real browser; the OSCAL POA&M lists what is still to do, with stable
//! uuids, and trestle accepts it.
//!
//! The analysis is built as the application builds it (`Picture::build` from what phiguard saw
//! and a register snapshot), for a small clinic: a host on the premises, an RDS database in
//! AWS us-east-1, a laboratory vendor, a laptop nobody connected; flows encrypted, not, unknown,
//! and one to a fax gateway nobody recorded; a risk in every treatment state.

use std::collections::BTreeMap;
use std::path::PathBuf;

use jiff::civil::{Date, date};
use phiguard_cloud::resources::{CloudResource, Encryption};
use phiguard_core::{CheckId, Finding, Severity, Status};
use phiguard_register::records::{
    Asset, AssetType, Criticality, DataFlow, Level, PhiUse, RiskRecord, Treatment, Vulnerability,
};
use phiguard_register::{AnyRecord, Snapshot};
use phiguard_risk::analysis::{Heading, Inputs, Picture, SignOff};
use phiguard_risk::flows::FlowView;
use phiguard_risk::inventory::{self, Origin, Source};
use phiguard_risk::report::{OSCAL_NAMESPACE, html, markdown, network_map, oscal_poam};
use phiguard_risk::threats::ThreatCatalog;
use phiguard_risk::vulnerabilities::Observed;
use phiguard_risk::{Analysis, AssetView};
use serde_json::Value;

const HOST: &str = "host:ehr-app-1";
const DB: &str = "aws:us-east-1:rds.instance:ehr-db";
const LAB: &str = "vendor:lab-co";
const LAPTOP: &str = "laptop-7";
const FAX: &str = "fax-gateway";
/// A name with markup in it, as a careless or hostile import could give.
const HOSTILE_NAME: &str = "LabCo <script>alert(1)</script>";

const TODAY: Date = date(2026, 12, 7);

const SECTION_TITLES: [(&str, &str); 11] = [
    ("sign-off", "Sign-off"),
    ("scope", "Scope"),
    ("method", "Method"),
    ("summary", "Summary"),
    ("assets", "Asset inventory"),
    ("flows", "Data flows"),
    ("threats", "Threats"),
    ("vulnerabilities", "Vulnerabilities"),
    ("risks", "Risks"),
    ("plan", "Treatment plan"),
    ("findings", "Staleness findings"),
];

fn origin(source: Source, detail: &str) -> Origin {
    Origin {
        source,
        detail: detail.into(),
        seen_at: Some("2026-12-06T10:00:00Z".parse().unwrap()),
        evidence: None,
    }
}

fn finding(
    check: &str,
    status: Status,
    severity: Severity,
    subject: &str,
    message: &str,
) -> Finding {
    Finding {
        check: check.parse::<CheckId>().unwrap(),
        status,
        severity,
        subject: subject.into(),
        message: message.into(),
        evidence: Vec::new(),
        remediation: None,
    }
}

fn asset(id: &str, name: &str, asset_type: AssetType, location: Option<&str>) -> Asset {
    Asset {
        id: id.into(),
        name: name.into(),
        asset_type,
        owner: None,
        location: location.map(str::to_owned),
        ephi: Vec::new(),
        criticality: None,
        description: None,
    }
}

fn flow(
    id: &str,
    from: &str,
    to: &str,
    data: &str,
    protocol: &str,
    encrypted: Option<bool>,
) -> DataFlow {
    DataFlow {
        id: id.into(),
        from: from.into(),
        to: to.into(),
        data: Some(data.into()),
        protocol: Some(protocol.into()),
        encrypted,
        notes: None,
    }
}

fn risk(id: &str, title: &str, treatment: Treatment, likelihood: u16, impact: u16) -> RiskRecord {
    RiskRecord {
        id: id.into(),
        title: title.into(),
        assets: vec![HOST.into()],
        threat: "ransomware".into(),
        vulnerability: "Security updates pending".into(),
        vulnerabilities: Vec::new(),
        checks: Vec::new(),
        likelihood,
        impact,
        residual_likelihood: Some(1),
        residual_impact: Some(2),
        treatment,
        plan: None,
        owner: Some("Dana Ruiz".into()),
        due: None,
        done: None,
        accepted_by: None,
        accepted_on: None,
        acceptance_reason: None,
        acceptance_expires: None,
        transferred_to: None,
        notes: None,
    }
}

/// The five risks, one per treatment state on `TODAY`.
fn risks() -> Vec<RiskRecord> {
    let mut pending = risk(
        "r-pending",
        "Ransomware | encrypts the EHR",
        Treatment::Mitigate,
        4,
        5,
    );
    pending.checks = vec!["host.patches.security".into()];
    pending.plan = Some("Patch weekly\nand reboot on Sundays".into());
    pending.due = Some(date(2027, 1, 15));

    let mut overdue = risk(
        "r-overdue",
        "Lab orders sent in clear",
        Treatment::Mitigate,
        3,
        4,
    );
    overdue.threat = "interception".into();
    overdue.assets = vec![HOST.into(), LAB.into()];
    overdue.plan = Some("Move the lab interface to a VPN".into());
    overdue.due = Some(date(2026, 11, 27));

    let mut in_place = risk(
        "r-in-place",
        "Database read from a stolen disk",
        Treatment::Mitigate,
        3,
        5,
    );
    in_place.assets = vec![DB.into()];
    in_place.checks = vec!["cloud.aws.rds.storage_encrypted".into()];
    in_place.due = Some(date(2026, 10, 1));

    let mut accepted = risk(
        "r-accepted",
        "Laptop lost on the bus",
        Treatment::Accept,
        2,
        2,
    );
    accepted.assets = vec![LAPTOP.into()];
    accepted.threat = "theft".into();
    accepted.accepted_by = Some("Dr. Patel, owner".into());
    accepted.accepted_on = Some(date(2026, 6, 1));
    accepted.acceptance_reason = Some("The laptop holds no ePHI".into());
    accepted.acceptance_expires = Some(date(2027, 6, 1));

    let mut expired = risk(
        "r-expired",
        "Vendor outage stops lab results",
        Treatment::Accept,
        2,
        3,
    );
    expired.assets = vec![LAB.into()];
    expired.threat = "vendor-outage".into();
    expired.accepted_by = Some("Dr. Patel, owner".into());
    expired.accepted_on = Some(date(2025, 11, 1));
    expired.acceptance_reason = Some("Results can be phoned in".into());
    expired.acceptance_expires = Some(date(2026, 11, 1));

    vec![pending, overdue, in_place, accepted, expired]
}

fn picture() -> Picture {
    let mut discovered = vec![inventory::host(
        "ehr-app-1",
        true,
        origin(Source::HostCheck, "host check of ehr-app-1"),
    )];
    discovered.extend(inventory::from_cloud(
        "aws",
        "111122223333",
        &[CloudResource {
            arn: "arn:aws:rds:us-east-1:111122223333:db:ehr-db".into(),
            kind: "rds.instance".into(),
            region: Some("us-east-1".into()),
            name: "ehr-db".into(),
            tags: BTreeMap::new(),
            encryption: Encryption::Encrypted { key: None },
            holds_phi: true,
        }],
        &origin(Source::CloudInventory, "AWS account 111122223333"),
    ));

    let mut snapshot = Snapshot::default();
    let mut host = asset(
        HOST,
        "EHR application server",
        AssetType::Host,
        Some("on-premises"),
    );
    host.owner = Some("Dana | IT".into());
    host.criticality = Some(Criticality::Critical);
    let mut lab = asset(LAB, HOSTILE_NAME, AssetType::Vendor, Some("LabCo"));
    lab.ephi = vec![PhiUse::Receives];
    let records: Vec<AnyRecord> = vec![
        host.into(),
        lab.into(),
        asset(
            LAPTOP,
            "Front desk laptop",
            AssetType::Device,
            Some("on-premises"),
        )
        .into(),
        flow(
            "f-app-db",
            HOST,
            DB,
            "patient records",
            "PostgreSQL over TLS",
            Some(true),
        )
        .into(),
        flow(
            "f-app-lab",
            HOST,
            LAB,
            "lab orders",
            "HL7 over MLLP",
            Some(false),
        )
        .into(),
        flow("f-lab-app", LAB, HOST, "lab results", "SFTP", None).into(),
        flow("f-fax", HOST, FAX, "referrals", "fax", None).into(),
        Vulnerability {
            id: "pentest-weak-vpn".into(),
            title: "VPN accepts weak ciphers".into(),
            assets: vec![HOST.into()],
            severity: Level::Moderate,
            source: Some("Penetration test".into()),
            found: Some(date(2026, 10, 14)),
            fixed: None,
            description: None,
        }
        .into(),
    ];
    for record in records {
        snapshot.insert(record, None);
    }
    for record in risks() {
        snapshot.insert(record.into(), None);
    }

    let observed = vec![
        Observed {
            asset: HOST.into(),
            finding: finding(
                "host.patches.security",
                Status::Fail,
                Severity::High,
                "ehr-app-1",
                "3 security updates pending",
            ),
        },
        Observed {
            asset: DB.into(),
            finding: finding(
                "cloud.aws.rds.storage_encrypted",
                Status::Pass,
                Severity::High,
                "arn:aws:rds:us-east-1:111122223333:db:ehr-db",
                "storage is encrypted",
            ),
        },
    ];
    Picture::build(Inputs {
        discovered,
        snapshot: &snapshot,
        observed,
        in_transit_checks: Vec::new(),
        documents: BTreeMap::new(),
        today: TODAY,
    })
}

fn heading(id: &str) -> Heading {
    Heading {
        id: id.into(),
        as_of: TODAY,
        organization: Some("Riverside Clinic".into()),
        scope: "All ePHI of the clinic".into(),
        prepared_by: Some("Sam Lee, security officer".into()),
        prepared_at: "2026-12-07T15:00:00Z".parse().unwrap(),
    }
}

fn analysis() -> Analysis {
    let threats = &ThreatCatalog::builtin().unwrap().threats;
    let findings = vec![
        finding(
            "register.risk.analysis_current",
            Status::Fail,
            Severity::High,
            "risk analysis",
            "no analysis signed in the last 12 months",
        ),
        finding(
            "register.risk.acceptance_current",
            Status::Fail,
            Severity::Medium,
            "r-expired",
            "the acceptance lapsed on 2026-11-01",
        ),
    ];
    Analysis::new(heading("2026-12-07"), &picture(), threats, findings)
}

fn sign_off() -> SignOff {
    SignOff {
        by: "Dr. Patel, owner".into(),
        on: date(2026, 12, 8),
    }
}

// --- Markdown ----------------------------------------------------------------------------

/// The cells of a Markdown table row: split at pipes that are not escaped.
fn cells(row: &str) -> Vec<String> {
    let inner = row.trim().trim_start_matches('|').trim_end_matches('|');
    let mut cells = vec![String::new()];
    let mut escaped = false;
    for c in inner.chars() {
        if c == '|' && !escaped {
            cells.push(String::new());
        } else if let Some(last) = cells.last_mut() {
            last.push(c);
        }
        escaped = c == '\\' && !escaped;
    }
    cells.into_iter().map(|c| c.trim().to_owned()).collect()
}

/// The table row of a section whose first cell is `first`.
fn row<'a>(document: &'a str, first: &str) -> &'a str {
    document
        .lines()
        .find(|line| line.starts_with(&format!("| {first} |")))
        .unwrap_or_else(|| panic!("no row for {first}"))
}

fn section<'a>(document: &'a str, title: &str) -> &'a str {
    let start = document
        .find(&format!("\n## {title}\n"))
        .unwrap_or_else(|| panic!("no section {title}"));
    let rest = &document[start + 4..];
    let end = rest.find("\n## ").unwrap_or(rest.len());
    &rest[..end]
}

#[test]
fn markdown_has_every_section_in_order_and_every_asset_flow_and_risk() {
    let analysis = analysis();
    let md = markdown(&analysis, Some(&sign_off()));
    assert!(md.starts_with("# HIPAA risk analysis: Riverside Clinic, as of 2026-12-07\n"));
    assert!(md.contains("Analysis `2026-12-07`"));
    let at: Vec<usize> = SECTION_TITLES
        .iter()
        .map(|(_, title)| {
            md.find(&format!("\n## {title}\n"))
                .unwrap_or_else(|| panic!("{title} missing"))
        })
        .collect();
    assert!(at.is_sorted(), "sections out of order");

    let assets = section(&md, "Asset inventory");
    for a in &analysis.assets {
        let cells = cells(row(assets, a.id()));
        assert_eq!(cells.len(), 8, "{cells:?}");
    }
    assert_eq!(
        cells(row(assets, HOST)),
        [
            HOST,
            "EHR application server",
            "host",
            "Dana \\| IT",
            "on-premises",
            "maintains",
            "critical",
            "host check; last seen 2026-12-06 10:00 UTC"
        ]
    );
    assert_eq!(cells(row(assets, LAPTOP))[7], "recorded");
    assert_eq!(cells(row(assets, LAPTOP))[5], "none");
    assert!(cells(row(assets, DB))[7].starts_with("cloud inventory; last seen"));

    let flows = section(&md, "Data flows");
    for f in &analysis.flows {
        assert_eq!(cells(row(flows, &f.flow.id)).len(), 6, "{}", f.flow.id);
    }
    let fax = cells(row(flows, "f-fax"));
    assert_eq!(fax[1], format!("{HOST} → {FAX} (NOT IN THE INVENTORY)"));
    assert_eq!(fax[4], "unknown");
    assert_eq!(cells(row(flows, "f-app-lab"))[4], "**UNENCRYPTED**");
    assert_eq!(
        cells(row(flows, "f-app-lab"))[5],
        "as stated in the register"
    );
    assert_eq!(cells(row(flows, "f-app-db"))[4], "encrypted");

    let risks = section(&md, "Risks");
    let order: Vec<usize> = [
        "r-pending",
        "r-overdue",
        "r-expired",
        "r-accepted",
        "r-in-place",
    ]
    .iter()
    .map(|id| risks.find(&format!("| {id} |")).unwrap())
    .collect();
    assert!(order.is_sorted(), "not worst residual first");
    let pending = cells(row(risks, "r-pending"));
    assert_eq!(pending.len(), 12, "{pending:?}");
    assert_eq!(pending[1], "Ransomware \\| encrypts the EHR");
    assert_eq!(pending[2], "Ransomware", "the catalog's name");
    assert_eq!(pending[5], "L4 × I5 = 20, very high");
    assert_eq!(pending[6], "L4 × I5 = 20, very high", "not in place yet");
    assert_eq!(
        pending[7], "mitigate: Patch weekly and reboot on Sundays",
        "a line break in a cell would end the table"
    );
    assert_eq!(pending[8], "pending, due 2027-01-15");
    assert_eq!(pending[11], "host.patches.security: FAIL on ehr-app-1");
    let in_place = cells(row(risks, "r-in-place"));
    assert_eq!(in_place[6], "L1 × I2 = 2, very low");
    assert!(in_place[8].starts_with("in place ("), "{}", in_place[8]);
    assert_eq!(in_place[11], "cloud.aws.rds.storage_encrypted: pass");
    assert_eq!(
        cells(row(risks, "r-accepted"))[8],
        "accepted until 2027-06-01"
    );
    assert_eq!(
        cells(row(risks, "r-accepted"))[2],
        "theft",
        "not in the catalog: its id"
    );
    assert_eq!(
        cells(row(risks, "r-expired"))[8],
        "**ACCEPTANCE EXPIRED on 2026-11-01: decide it again**"
    );

    let plan = section(&md, "Treatment plan");
    let overdue = cells(row(plan, "**2026-11-27**"));
    assert_eq!(overdue[4], "**OVERDUE by 10 days (due 2026-11-27)**");
    assert!(
        plan.find("| **2026-11-27** |").unwrap() < plan.find("| 2027-01-15 |").unwrap(),
        "soonest due first"
    );
    assert!(!plan.contains("r-in-place") && !plan.contains("| r-accepted"));
    assert!(plan.contains("**Vendor outage stops lab results (r-expired)**"));

    let summary = section(&md, "Summary");
    for line in [
        "- Assets: 4, of which 3 hold ePHI",
        "- Data flows: 4, of which 1 unencrypted",
        "- Vulnerabilities: 2 (0 very high, 1 high, 1 moderate, 0 low, 0 very low)",
        "- Risks by residual level: 5 (1 very high, 0 high, 1 moderate, 2 low, 1 very low)",
        "- Open treatments: 2",
        "- **Overdue treatments: 1**",
        "- Acceptances that lapsed: 1",
    ] {
        assert!(summary.contains(line), "{line} not in\n{summary}");
    }

    let method = section(&md, "Method");
    assert!(method.contains(phiguard_risk::scoring::METHOD));
    assert!(method.contains("| 5 very high | very low | low | moderate | high | very high |"));
    assert!(method.contains("| 1 very low | very low | very low | very low | low | low |"));

    let vulnerabilities = section(&md, "Vulnerabilities");
    assert_eq!(
        cells(row(vulnerabilities, "host.patches.security@host:ehr-app-1"))[4],
        "check host.patches.security"
    );
    assert_eq!(
        cells(row(vulnerabilities, "pentest-weak-vpn"))[4],
        "recorded"
    );
    let threats = section(&md, "Threats");
    assert!(threats.contains("- **Ransomware** (`ransomware`)"));
    let findings = section(&md, "Staleness findings");
    assert!(findings.contains("no analysis signed in the last 12 months"));

    // The hostile name is shown, not passed on as HTML to a Markdown viewer.
    assert!(md.contains("LabCo \\<script\\>alert(1)\\</script\\>"));
    assert!(!md.contains("<script>"));
    assert!(md.contains("Signed off by **Dr. Patel, owner** on 2026-12-08."));
    assert!(!md.contains("NOT SIGNED OFF"));
}

#[test]
fn an_unsigned_analysis_says_so_at_the_top() {
    let md = markdown(&analysis(), None);
    let sign_off = section(&md, "Sign-off");
    assert!(sign_off.contains("> **NOT SIGNED OFF.**"), "{sign_off}");
    assert!(sign_off.contains("`phiguard risk signoff`"));
    let page = html(&analysis(), None);
    assert!(
        page.contains("<div class=\"warn-box\" role=\"alert\"><p><strong>NOT SIGNED OFF.</strong>")
    );
    assert!(page.contains(", <strong>not signed off</strong></p>"));
}

// --- HTML --------------------------------------------------------------------------------

/// Every markup tag of the page (`<` up to the next `>`): with all input escaped, these are
/// exactly the tags the renderer wrote.
fn tags(page: &str) -> Vec<&str> {
    let mut tags = Vec::new();
    let mut rest = page;
    while let Some(start) = rest.find('<') {
        let len = rest[start..].find('>').expect("a closed tag");
        tags.push(&rest[start..=start + len]);
        rest = &rest[start + len + 1..];
    }
    tags
}

#[test]
fn html_has_every_section_escapes_input_and_loads_nothing() {
    let analysis = analysis();
    let page = html(&analysis, Some(&sign_off()));
    assert!(page.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    assert!(page.trim_end().ends_with("</html>"));
    let at: Vec<usize> = SECTION_TITLES
        .iter()
        .map(|(id, _)| {
            assert_eq!(
                page.matches(&format!("<section id=\"{id}\">")).count(),
                1,
                "{id}"
            );
            page.find(&format!("<section id=\"{id}\">")).unwrap()
        })
        .collect();
    assert!(at.is_sorted());
    for a in &analysis.assets {
        assert!(
            page.contains(&format!("<tr><td>{}</td>", a.id())),
            "{}",
            a.id()
        );
    }
    for r in &analysis.risks {
        assert!(
            page.contains(&format!("<td>{}</td>", r.risk.id)),
            "{}",
            r.risk.id
        );
    }
    assert!(page.contains("<tr class=\"overdue\"><td><strong>2026-11-27</strong></td>"));
    assert!(page.contains("<td>Dana | IT</td>"));

    // Markup in a name is text, everywhere it appears (table, map node, its title).
    assert!(page.contains("LabCo &lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!page.to_ascii_lowercase().contains("<script"));
    assert!(page.contains(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'; img-src data:\">"
    ));
    for tag in tags(&page) {
        let lower = tag.to_ascii_lowercase();
        assert!(!lower.contains("src="), "{tag}");
        assert!(!lower.contains(" on"), "event handler: {tag}");
        if let Some(rest) = lower.split("href=\"").nth(1) {
            assert!(rest.starts_with('#'), "link leaves the page: {tag}");
        }
        // The one URL is the SVG namespace, which names and loads nothing.
        assert!(
            !lower.contains("http:") && !lower.contains("https:")
                || lower.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""),
            "{tag}"
        );
    }
    // The map is in the flow section.
    let flows = &page[page.find("<section id=\"flows\">").unwrap()
        ..page.find("<section id=\"threats\">").unwrap()];
    assert!(flows.contains("<svg "));
    assert!(flows.contains("data-flow=\"f-app-lab\""));
    assert!(page.contains("Signed off by <strong>Dr. Patel, owner</strong> on 2026-12-08."));
}

// --- the network map ---------------------------------------------------------------------

/// The opening tag of the element with `attribute="value"`, and what follows up to its close.
fn element<'a>(svg: &'a str, attribute: &str, value: &str) -> &'a str {
    let at = svg
        .find(&format!("{attribute}=\"{value}\""))
        .unwrap_or_else(|| panic!("no element with {attribute}={value}"));
    let start = svg[..at].rfind('<').unwrap();
    let end = svg[at..].find("</g>").unwrap() + at;
    &svg[start..end]
}

fn attribute_values<'a>(svg: &'a str, attribute: &str) -> Vec<&'a str> {
    svg.split(&format!(" {attribute}=\""))
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap())
        .collect()
}

#[test]
fn the_map_draws_each_asset_and_flow_once_with_unencrypted_flows_red_dashed_and_labelled() {
    let analysis = analysis();
    let svg = network_map(&analysis.assets, &analysis.flows);
    assert!(svg.starts_with("<svg "), "{svg}");
    // Nodes: the assets with ePHI or a flow, and the endpoint nobody recorded; not the
    // laptop, which has neither.
    let mut nodes = attribute_values(&svg, "data-asset");
    nodes.sort_unstable();
    let mut expected = vec![DB, FAX, HOST, LAB];
    expected.sort_unstable();
    assert_eq!(nodes, expected);
    let ids = attribute_values(&svg, "id");
    for n in 1..=4 {
        assert!(ids.contains(&format!("asset-{n}").as_str()), "asset-{n}");
    }
    assert!(!ids.contains(&"asset-5"));
    let mut edges = attribute_values(&svg, "data-flow");
    edges.sort_unstable();
    assert_eq!(edges, ["f-app-db", "f-app-lab", "f-fax", "f-lab-app"]);

    let unencrypted = element(&svg, "data-flow", "f-app-lab");
    assert!(unencrypted.contains("stroke=\"#c62828\""), "{unencrypted}");
    assert!(unencrypted.contains("stroke-dasharray="), "{unencrypted}");
    assert!(
        unencrypted.contains(">UNENCRYPTED: lab orders / HL7 over MLLP</text>"),
        "not said in words: {unencrypted}"
    );
    assert!(unencrypted.contains("<title>f-app-lab: "));
    let encrypted = element(&svg, "data-flow", "f-app-db");
    assert!(!encrypted.contains("stroke-dasharray"), "{encrypted}");
    assert!(!encrypted.contains("#c62828"));
    let unknown = element(&svg, "data-flow", "f-lab-app");
    assert!(unknown.contains("stroke=\"#8c959f\""), "{unknown}");
    assert!(unknown.contains(">encryption unknown: lab results / SFTP</text>"));

    let fax = element(&svg, "data-asset", FAX);
    assert!(fax.contains("class=\"node unknown\""), "{fax}");
    assert!(fax.contains("stroke-dasharray"), "{fax}");
    assert!(fax.contains(">unknown asset</text>"));
    let lab = element(&svg, "data-asset", LAB);
    assert!(lab.contains("LabCo &lt;script&gt;"), "{lab}");
    assert!(lab.contains(">vendor · ePHI</text>"));

    // Grouped by location, left to right.
    let bands: Vec<usize> = [
        "On-premises",
        "aws us-east-1",
        "Vendors",
        "Location unknown",
    ]
    .iter()
    .map(|b| {
        svg.find(&format!(">{b}</text>"))
            .unwrap_or_else(|| panic!("{b}"))
    })
    .collect();
    assert!(bands.is_sorted());
    let x_of = |id: &str| -> i32 {
        let node = element(&svg, "data-asset", id);
        node.split(" x=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    assert!(x_of(HOST) < x_of(DB) && x_of(DB) < x_of(LAB) && x_of(LAB) < x_of(FAX));

    // The same inventory always gives the same drawing.
    assert_eq!(svg, network_map(&analysis.assets, &analysis.flows));
}

#[test]
fn with_no_flows_the_map_says_so() {
    let analysis = analysis();
    let svg = network_map(&analysis.assets, &[]);
    assert!(svg.starts_with("<p class=\"map-empty\">No data flows recorded.</p>"));
    // The assets holding ePHI are still shown, with no edge.
    assert_eq!(attribute_values(&svg, "data-asset").len(), 3);
    assert!(!svg.contains("data-flow"));
    let nothing: Vec<AssetView> = Vec::new();
    assert_eq!(
        network_map(&nothing, &[]),
        "<p class=\"map-empty\">No data flows recorded.</p>\n"
    );

    let mut without = analysis.clone();
    without.flows.clear();
    assert!(markdown(&without, None).contains("No data flows recorded."));
    let page = html(&without, None);
    assert_eq!(page.matches("No data flows recorded.").count(), 1);
    let map = &page[page.find("<svg").unwrap()..page.find("</svg>").unwrap()];
    assert_eq!(attribute_values(map, "data-asset").len(), 3);
    assert!(
        !page.contains("<table>\n<thead><tr><th scope=\"col\">ID</th><th scope=\"col\">From → to")
    );
}

/// Fifty cloud assets holding ePHI, each sending to the next.
fn crowd() -> (Vec<AssetView>, Vec<FlowView>) {
    let resources: Vec<CloudResource> = (0..50)
        .map(|i| CloudResource {
            arn: format!("arn:aws:s3:::bucket-{i:02}"),
            kind: "s3.bucket".into(),
            region: Some(if i % 2 == 0 { "us-east-1" } else { "us-west-2" }.into()),
            name: format!("patient-files-{i:02}"),
            tags: BTreeMap::new(),
            encryption: Encryption::Unencrypted,
            holds_phi: true,
        })
        .collect();
    let discovered = inventory::from_cloud(
        "aws",
        "1",
        &resources,
        &origin(Source::CloudInventory, "AWS"),
    );
    let assets = inventory::merge(discovered, &BTreeMap::new());
    let mut snapshot = Snapshot::default();
    for pair in assets.windows(2) {
        snapshot.insert(
            flow(
                &format!("copy-{}", pair[0].asset.name),
                pair[0].id(),
                pair[1].id(),
                "copies",
                "HTTPS",
                Some(true),
            )
            .into(),
            None,
        );
    }
    let flows = phiguard_risk::flows::views(&snapshot.flows, &assets, &[], &[]);
    (assets, flows)
}

#[test]
fn fifty_assets_stay_readable() {
    let (assets, flows) = crowd();
    let svg = network_map(&assets, &flows);
    // Kept for people to look at: target/tmp/risk_map_50.html.
    let _ = std::fs::write(
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("risk_map_50.html"),
        format!("<!DOCTYPE html><html lang=\"en\"><body>{svg}</body></html>"),
    );
    assert_eq!(attribute_values(&svg, "data-asset").len(), 50);
    assert_eq!(attribute_values(&svg, "data-flow").len(), 49);
    // No two boxes overlap: each has a place of its own on the grid.
    let mut corners: Vec<(i32, i32)> = assets
        .iter()
        .map(|a| {
            let node = element(&svg, "data-asset", a.id());
            let number = |name: &str| -> i32 {
                node.split(&format!(" {name}=\""))
                    .nth(1)
                    .unwrap()
                    .split('"')
                    .next()
                    .unwrap()
                    .parse()
                    .unwrap()
            };
            (number("x"), number("y"))
        })
        .collect();
    corners.sort_unstable();
    for pair in corners.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        assert!(
            (b.0 - a.0).abs() >= 190 || (b.1 - a.1).abs() >= 46,
            "boxes at {a:?} and {b:?} overlap"
        );
    }
    // Wrapped into columns: neither a tall strip nor a wide one.
    let size = |name: &str| -> i32 { attribute_values(&svg, name)[0].parse().unwrap() };
    assert!(size("height") < 1800, "height {}", size("height"));
    assert!(size("width") < 2200, "width {}", size("width"));
}

// --- in a real browser -------------------------------------------------------------------

#[test]
fn the_page_and_its_map_render_in_headless_chromium_without_a_console_message() {
    let Some(browser) = phiguard_testkit::chromium() else {
        return;
    };
    let analysis = analysis();
    let dir = tempfile::tempdir().unwrap();
    let page_path = dir.path().join("analysis.html");
    let page = html(&analysis, None);
    std::fs::write(&page_path, &page).unwrap();

    let png = dir.path().join("analysis.png");
    phiguard_testkit::run_chromium(
        &browser,
        dir.path(),
        "screenshot",
        &page_path,
        &[
            &format!("--screenshot={}", png.display()),
            "--window-size=1400,2400",
        ],
    );
    let image = std::fs::read(&png).unwrap();
    assert!(image.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert!(image.len() > 20_000, "screenshot of {} bytes", image.len());
    let kept = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("risk_analysis.png");
    let _ = std::fs::copy(&png, &kept);
    let _ = std::fs::copy(&page_path, kept.with_extension("html"));

    let dom = phiguard_testkit::run_chromium(
        &browser,
        dir.path(),
        "dom",
        &page_path,
        &phiguard_testkit::CHROMIUM_DOM_ARGS,
    );
    let svg = network_map(&analysis.assets, &analysis.flows);
    for id in attribute_values(&svg, "data-asset") {
        assert!(
            dom.stdout.contains(&format!("data-asset=\"{id}\"")),
            "{id} not in the DOM"
        );
    }
    for id in attribute_values(&svg, "data-flow") {
        assert!(
            dom.stdout.contains(&format!("data-flow=\"{id}\"")),
            "{id} not in the DOM"
        );
    }
    assert!(dom.stdout.contains("<svg "), "the map is not in the DOM");
    for (id, _) in SECTION_TITLES {
        assert!(
            dom.stdout.contains(&format!("<section id=\"{id}\">")),
            "{id}"
        );
    }
    assert!(!dom.stdout.to_ascii_lowercase().contains("<script"));
    let problems = phiguard_testkit::console_problems(&dom.stderr);
    assert!(
        problems.is_empty(),
        "console messages:\n{}",
        problems.join("\n")
    );
    phiguard_testkit::assert_console_problems_are_seen(&browser, dir.path());
}

// --- OSCAL POA&M -------------------------------------------------------------------------

fn props(object: &Value) -> BTreeMap<String, String> {
    object["props"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_owned(),
                p["value"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn is_uuid(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    parts.iter().map(|p| p.len()).eq([8, 4, 4, 4, 12])
        && text.chars().all(|c| c == '-' || c.is_ascii_hexdigit())
        && (parts[2].starts_with('4') || parts[2].starts_with('5'))
        && parts[3].starts_with(['8', '9', 'a', 'b'])
}

#[test]
fn the_poam_lists_open_treatments_and_lapsed_acceptances_only() {
    let analysis = analysis();
    let document = oscal_poam(&analysis, Some(&sign_off()));
    let plan = &document["plan-of-action-and-milestones"];
    let metadata = &plan["metadata"];
    assert_eq!(metadata["last-modified"], "2026-12-07T15:00:00Z");
    assert_eq!(metadata["version"], "2026-12-07");
    assert_eq!(metadata["oscal-version"], "1.1.2");
    assert_eq!(props(metadata)["signed-off-by"], "Dr. Patel, owner");
    assert_eq!(props(metadata)["document-sha256"], analysis.digest());
    assert_eq!(plan["system-id"]["id"], "Riverside Clinic");

    let items = plan["poam-items"].as_array().unwrap();
    let mut listed: Vec<String> = items.iter().map(|i| props(i)["risk-id"].clone()).collect();
    listed.sort_unstable();
    assert_eq!(listed, ["r-expired", "r-overdue", "r-pending"]);
    let risks = plan["risks"].as_array().unwrap();
    assert_eq!(risks.len(), 3);
    for item in items {
        let related = item["related-risks"].as_array().unwrap();
        assert_eq!(related.len(), 1);
        let uuid = related[0]["risk-uuid"].as_str().unwrap();
        let risk = risks
            .iter()
            .find(|r| r["uuid"] == uuid)
            .expect("a risk of the document");
        assert_eq!(props(risk)["risk-id"], props(item)["risk-id"]);
        assert_eq!(risk["status"], "open");
    }
    let overdue = items
        .iter()
        .find(|i| props(i)["risk-id"] == "r-overdue")
        .unwrap();
    assert_eq!(props(overdue)["overdue-days"], "10");
    let description = overdue["description"].as_str().unwrap();
    assert!(
        description.contains("Move the lab interface to a VPN"),
        "{description}"
    );
    assert!(description.contains("Owner: Dana Ruiz. Due: 2026-11-27. OVERDUE by 10 days."));

    let pending = risks
        .iter()
        .find(|r| props(r)["risk-id"] == "r-pending")
        .unwrap();
    assert_eq!(pending["deadline"], "2027-01-15T23:59:59Z");
    assert_eq!(pending["title"], "Ransomware | encrypts the EHR");
    let facets: BTreeMap<&str, &str> = pending["characterizations"][0]["facets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            assert_eq!(f["system"], OSCAL_NAMESPACE);
            (f["name"].as_str().unwrap(), f["value"].as_str().unwrap())
        })
        .collect();
    assert_eq!(facets["likelihood"], "4");
    assert_eq!(facets["impact"], "5");
    assert_eq!(facets["risk-level"], "very_high");
    // Its failing check is an observation both the risk and its item cite.
    let observations = plan["observations"].as_array().unwrap();
    assert_eq!(observations.len(), 1);
    let observation = observations[0]["uuid"].as_str().unwrap();
    assert_eq!(
        pending["related-observations"][0]["observation-uuid"],
        observation
    );
    assert!(
        observations[0]["description"]
            .as_str()
            .unwrap()
            .contains("ehr-app-1")
    );

    // Every uuid is well formed and used once.
    let mut uuids = Vec::new();
    collect_uuids(plan, &mut uuids);
    assert!(uuids.len() > 8);
    for uuid in &uuids {
        assert!(is_uuid(uuid), "{uuid}");
    }
    let mut unique = uuids.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), uuids.len(), "a uuid is used twice");
}

/// Every `uuid` an object of the document defines.
fn collect_uuids(value: &Value, into: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                if key == "uuid" {
                    into.push(v.as_str().unwrap().to_owned());
                } else {
                    collect_uuids(v, into);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_uuids(v, into)),
        _ => {}
    }
}

#[test]
fn the_poam_is_the_same_for_the_same_analysis_and_differs_for_another() {
    let first = oscal_poam(&analysis(), None);
    let second = oscal_poam(&analysis(), None);
    assert_eq!(
        serde_json::to_string(&first).unwrap(),
        serde_json::to_string(&second).unwrap()
    );
    let other = Analysis::new(
        heading("2026-12-08"),
        &picture(),
        &ThreatCatalog::builtin().unwrap().threats,
        Vec::new(),
    );
    let other = oscal_poam(&other, None);
    let uuid = |d: &Value| d["plan-of-action-and-milestones"]["uuid"].clone();
    assert_ne!(uuid(&first), uuid(&other));
    assert_eq!(
        props(&first["plan-of-action-and-milestones"]["metadata"])["signed-off"],
        "false"
    );
}

#[test]
fn with_nothing_to_do_the_poam_says_so() {
    let mut calm = analysis();
    calm.risks
        .retain(|r| !r.state.is_open() && r.risk.id != "r-expired");
    let document = oscal_poam(&calm, None);
    let plan = &document["plan-of-action-and-milestones"];
    let items = plan["poam-items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["title"], "No open items");
    assert!(
        plan.get("risks").is_none(),
        "OSCAL arrays must not be empty"
    );
    assert!(plan.get("observations").is_none());
}

// --- the trestle oracle ------------------------------------------------------------------

fn write(dir: &std::path::Path, name: &str, document: &Value) -> PathBuf {
    let path = dir.join(format!("{name}.json"));
    std::fs::write(&path, serde_json::to_string_pretty(document).unwrap()).unwrap();
    path
}

#[test]
fn trestle_accepts_the_poam() {
    let Some(python) = phiguard_testkit::oscal_python() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut calm = analysis();
    calm.risks.clear();
    calm.heading.organization = None;
    calm.heading.prepared_by = None;
    let paths = vec![
        write(
            dir.path(),
            "signed",
            &oscal_poam(&analysis(), Some(&sign_off())),
        ),
        write(dir.path(), "unsigned", &oscal_poam(&analysis(), None)),
        write(dir.path(), "calm", &oscal_poam(&calm, None)),
    ];
    let verdict = phiguard_testkit::oscal_oracle(&python, &paths);
    assert!(
        verdict.accepted,
        "trestle rejected the POA&M {}",
        verdict.output
    );
    assert_eq!(verdict.valid, paths.len(), "{}", verdict.output);
}

#[test]
fn the_oracle_rejects_a_broken_poam() {
    let Some(python) = phiguard_testkit::oscal_python() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let good = oscal_poam(&analysis(), None);
    let mut no_statement = good.clone();
    no_statement["plan-of-action-and-milestones"]["risks"][0]
        .as_object_mut()
        .unwrap()
        .remove("statement");
    let mut bad_uuid = good.clone();
    bad_uuid["plan-of-action-and-milestones"]["uuid"] = "not-a-uuid".into();
    let mut dangling = good;
    dangling["plan-of-action-and-milestones"]["poam-items"][0]["related-risks"][0]["risk-uuid"] =
        Value::from(1);
    for (name, document) in [
        ("no-statement", no_statement),
        ("bad-uuid", bad_uuid),
        ("wrong-type", dangling),
    ] {
        let path = write(dir.path(), name, &document);
        let verdict = phiguard_testkit::oscal_oracle(&python, std::slice::from_ref(&path));
        assert!(!verdict.accepted, "trestle accepted the {name} document");
        assert_eq!(verdict.valid, 0, "{name}: {}", verdict.output);
    }
}
