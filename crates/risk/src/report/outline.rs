//! What the analysis documents say, as an outline of plain text that the Markdown and HTML
//! renderers each write out with their own escaping. Nothing here is escaped: the text is
//! what people typed and what phiguard saw.

use jiff::Timestamp;
use jiff::civil::Date;
use phiguard_core::Status;
use phiguard_core::spelling::count;
use phiguard_register::records::{Level, Treatment};

use crate::analysis::{Analysis, SignOff};
use crate::flows::{Basis, FlowView, InTransit};
use crate::inventory::AssetView;
use crate::risks::{RiskView, TreatmentState};
use crate::scoring::{self, Rating};
use crate::vulnerabilities::VulnerabilityView;

/// A run of text in a line.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Inline {
    Text(String),
    Strong(String),
    /// A command or an identifier, shown as code.
    Code(String),
}

pub(crate) type Line = Vec<Inline>;

fn text(s: impl Into<String>) -> Inline {
    Inline::Text(s.into())
}

fn strong(s: impl Into<String>) -> Inline {
    Inline::Strong(s.into())
}

fn code(s: impl Into<String>) -> Inline {
    Inline::Code(s.into())
}

/// A table cell: text, written bold where it must catch the eye (an overdue treatment).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Cell {
    pub text: String,
    pub strong: bool,
}

impl Cell {
    fn plain(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            strong: false,
        }
    }

    fn strong(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            strong: true,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row {
    /// A word that marks the row (`overdue`, `expired`), for the HTML's styling; the cells
    /// say the same thing in words, so nothing rests on the styling alone.
    pub mark: Option<&'static str>,
    pub cells: Vec<Cell>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Table {
    pub head: Vec<&'static str>,
    pub rows: Vec<Row>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Block {
    Para(Line),
    /// Something the reader must not miss: an unsigned analysis.
    Warning(Line),
    List(Vec<Line>),
    Table(Table),
    /// Where the HTML draws the network map; Markdown says where to find it, or that there
    /// is no flow.
    Map,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Section {
    /// The anchor, stable so that working papers can link to it.
    pub id: &'static str,
    pub title: &'static str,
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Outline {
    pub title: String,
    pub sections: Vec<Section>,
}

/// A timestamp as people read it, in UTC to the minute.
pub(crate) fn minute(at: Timestamp) -> String {
    at.strftime("%Y-%m-%d %H:%M UTC").to_string()
}

/// The title of the documents.
pub(crate) fn title(analysis: &Analysis) -> String {
    format!(
        "HIPAA risk analysis: {}, as of {}",
        organization(analysis),
        analysis.heading.as_of
    )
}

pub(crate) fn organization(analysis: &Analysis) -> &str {
    analysis
        .heading
        .organization
        .as_deref()
        .unwrap_or("organisation not named")
}

/// The outline of the analysis document.
pub(crate) fn outline(analysis: &Analysis, sign_off: Option<&SignOff>) -> Outline {
    Outline {
        title: title(analysis),
        sections: vec![
            sign_off_section(sign_off),
            scope(analysis),
            method(analysis),
            summary(analysis),
            assets(analysis),
            flows(analysis),
            threats(analysis),
            vulnerabilities(analysis),
            risks(analysis),
            plan(analysis),
            findings(analysis),
        ],
    }
}

fn sign_off_section(sign_off: Option<&SignOff>) -> Section {
    let blocks = match sign_off {
        Some(s) => vec![Block::Para(vec![
            text("Signed off by "),
            strong(&s.by),
            text(format!(" on {}.", s.on)),
        ])],
        None => vec![Block::Warning(vec![
            strong("NOT SIGNED OFF."),
            text(
                " Nobody has signed this analysis off: it is a draft, and it does not \
                     evidence 164.308(a)(1)(ii)(A) until a named person signs it with ",
            ),
            code("phiguard risk signoff"),
            text("."),
        ])],
    };
    Section {
        id: "sign-off",
        title: "Sign-off",
        blocks,
    }
}

fn scope(analysis: &Analysis) -> Section {
    let h = &analysis.heading;
    let facts = vec![
        vec![text(format!("Organisation: {}", organization(analysis)))],
        vec![text(format!("As of: {}", h.as_of))],
        vec![text("Analysis: "), code(&h.id)],
        vec![text(format!(
            "Prepared by: {}",
            h.prepared_by.as_deref().unwrap_or("not named")
        ))],
        vec![text(format!("Prepared at: {}", minute(h.prepared_at)))],
        vec![text("Document SHA-256: "), code(analysis.digest())],
        vec![text(format!("phiguard {}", analysis.phiguard_version))],
    ];
    Section {
        id: "scope",
        title: "Scope",
        blocks: vec![Block::Para(vec![text(&h.scope)]), Block::List(facts)],
    }
}

const LEVELS: [Level; 5] = [
    Level::VeryLow,
    Level::Low,
    Level::Moderate,
    Level::High,
    Level::VeryHigh,
];

fn method(analysis: &Analysis) -> Section {
    let head = vec![
        "Likelihood \\ impact",
        "1 very low",
        "2 low",
        "3 moderate",
        "4 high",
        "5 very high",
    ];
    // Highest likelihood first, as the published table reads.
    let rows = (1..=5u16)
        .rev()
        .zip(["5 very high", "4 high", "3 moderate", "2 low", "1 very low"])
        .map(|(likelihood, label)| {
            let mut cells = vec![Cell::plain(label)];
            cells.extend(
                (1..=5u16)
                    .map(|impact| Cell::plain(scoring::words(scoring::level(likelihood, impact)))),
            );
            Row { mark: None, cells }
        })
        .collect();
    Section {
        id: "method",
        title: "Method",
        blocks: vec![
            Block::Para(vec![strong(&analysis.method)]),
            Block::Para(vec![text(&analysis.method_text)]),
            Block::Table(Table { head, rows }),
        ],
    }
}

fn counted(levels: impl Iterator<Item = Level>) -> String {
    let levels: Vec<Level> = levels.collect();
    let parts: Vec<String> = LEVELS
        .iter()
        .rev()
        .map(|l| {
            format!(
                "{} {}",
                levels.iter().filter(|x| *x == l).count(),
                scoring::words(*l)
            )
        })
        .collect();
    parts.join(", ")
}

fn summary(analysis: &Analysis) -> Section {
    let open = analysis.treatment_plan();
    let overdue = open
        .iter()
        .filter(|r| matches!(r.state, TreatmentState::Overdue { .. }))
        .count();
    let expired = analysis
        .risks
        .iter()
        .filter(|r| matches!(r.state, TreatmentState::AcceptanceExpired { .. }))
        .count();
    let unencrypted = analysis
        .flows
        .iter()
        .filter(|f| matches!(f.in_transit, InTransit::Unencrypted { .. }))
        .count();
    let items = vec![
        vec![text(format!(
            "Assets: {}, of which {} hold ePHI",
            analysis.assets.len(),
            analysis.ephi_assets().count()
        ))],
        vec![text(format!(
            "Data flows: {}, of which {unencrypted} unencrypted",
            analysis.flows.len()
        ))],
        vec![text(format!(
            "Vulnerabilities: {} ({})",
            analysis.vulnerabilities.len(),
            counted(analysis.vulnerabilities.iter().map(|v| v.severity))
        ))],
        vec![text(format!(
            "Risks by residual level: {} ({})",
            analysis.risks.len(),
            counted(analysis.risks.iter().map(|r| r.residual.level))
        ))],
        vec![text(format!("Open treatments: {}", open.len()))],
        if overdue > 0 {
            vec![strong(format!("Overdue treatments: {overdue}"))]
        } else {
            vec![text("Overdue treatments: 0")]
        },
        vec![text(format!("Acceptances that lapsed: {expired}"))],
    ];
    Section {
        id: "summary",
        title: "Summary",
        blocks: vec![Block::List(items)],
    }
}

/// Where phiguard saw an asset and when it last did, or that people only recorded it.
fn seen(asset: &AssetView) -> String {
    if !asset.is_seen() {
        return "recorded".to_owned();
    }
    let mut sources: Vec<&str> = asset.origins.iter().map(|o| o.source.as_str()).collect();
    sources.dedup();
    let mut out = sources.join(", ");
    if let Some(at) = asset.last_seen() {
        out.push_str(&format!("; last seen {}", minute(at)));
    }
    if asset.recorded.is_some() {
        out.push_str("; also recorded");
    }
    out
}

fn or_dash(value: Option<&str>) -> String {
    value.unwrap_or("—").to_owned()
}

fn assets(analysis: &Analysis) -> Section {
    let rows: Vec<Row> = analysis
        .assets
        .iter()
        .map(|a| {
            let asset = &a.asset;
            let ephi: Vec<&str> = asset.ephi.iter().map(|u| u.as_str()).collect();
            Row {
                mark: None,
                cells: vec![
                    Cell::plain(&asset.id),
                    Cell::plain(&asset.name),
                    Cell::plain(asset.asset_type.as_str()),
                    Cell::plain(or_dash(asset.owner.as_deref())),
                    Cell::plain(or_dash(asset.location.as_deref())),
                    if ephi.is_empty() {
                        Cell::plain("none")
                    } else {
                        Cell::plain(ephi.join(", "))
                    },
                    Cell::plain(or_dash(asset.criticality.map(|c| c.as_str()))),
                    Cell::plain(seen(a)),
                ],
            }
        })
        .collect();
    let blocks = if rows.is_empty() {
        vec![Block::Para(vec![text("No asset is known.")])]
    } else {
        vec![Block::Table(Table {
            head: vec![
                "ID",
                "Name",
                "Type",
                "Owner",
                "Location",
                "ePHI",
                "Criticality",
                "Where seen",
            ],
            rows,
        })]
    };
    Section {
        id: "assets",
        title: "Asset inventory",
        blocks,
    }
}

/// A flow's endpoint, flagged when it is not in the inventory.
fn endpoint(flow: &FlowView, id: &str) -> String {
    if flow.unknown_endpoints.iter().any(|u| u == id) {
        format!("{id} (NOT IN THE INVENTORY)")
    } else {
        id.to_owned()
    }
}

/// What a flow's encryption rests on, in words.
pub(crate) fn basis(in_transit: &InTransit) -> String {
    match in_transit {
        InTransit::Encrypted { basis } | InTransit::Unencrypted { basis } => match basis {
            Basis::Stated => "as stated in the register".to_owned(),
            Basis::Checks { findings } => format!("checks: {}", findings.join("; ")),
        },
        InTransit::Unknown => "no check ran on its endpoints and nobody stated it".to_owned(),
    }
}

fn flows(analysis: &Analysis) -> Section {
    let rows: Vec<Row> = analysis
        .flows
        .iter()
        .map(|f| {
            let unencrypted = matches!(f.in_transit, InTransit::Unencrypted { .. });
            Row {
                mark: unencrypted.then_some("unencrypted"),
                cells: vec![
                    Cell::plain(&f.flow.id),
                    Cell::plain(format!(
                        "{} → {}",
                        endpoint(f, &f.flow.from),
                        endpoint(f, &f.flow.to)
                    )),
                    Cell::plain(or_dash(f.flow.data.as_deref())),
                    Cell::plain(or_dash(f.flow.protocol.as_deref())),
                    if unencrypted {
                        Cell::strong("UNENCRYPTED")
                    } else {
                        Cell::plain(f.in_transit.word())
                    },
                    Cell::plain(basis(&f.in_transit)),
                ],
            }
        })
        .collect();
    // Without flows the map still draws the assets that hold ePHI, and says there is no flow.
    let blocks = if rows.is_empty() {
        vec![Block::Map]
    } else {
        vec![
            Block::Table(Table {
                head: vec!["ID", "From → to", "Data", "Protocol", "In transit", "Basis"],
                rows,
            }),
            Block::Map,
        ]
    };
    Section {
        id: "flows",
        title: "Data flows",
        blocks,
    }
}

fn threats(analysis: &Analysis) -> Section {
    let items: Vec<Line> = analysis
        .threats
        .iter()
        .map(|t| {
            vec![
                strong(&t.name),
                text(" ("),
                code(&t.id),
                text(format!(
                    "): {} Sources: {}.",
                    t.description,
                    t.references.join("; ")
                )),
            ]
        })
        .collect();
    let blocks = if items.is_empty() {
        vec![Block::Para(vec![text(
            "No risk names a threat of the catalog.",
        )])]
    } else {
        vec![Block::List(items)]
    };
    Section {
        id: "threats",
        title: "Threats",
        blocks,
    }
}

fn found_by(v: &VulnerabilityView) -> String {
    match v.check() {
        Some(check) => format!("check {check}"),
        None => "recorded".to_owned(),
    }
}

fn vulnerabilities(analysis: &Analysis) -> Section {
    let mut sorted: Vec<&VulnerabilityView> = analysis.vulnerabilities.iter().collect();
    sorted.sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| a.id.cmp(&b.id)));
    let rows: Vec<Row> = sorted
        .into_iter()
        .map(|v| Row {
            mark: None,
            cells: vec![
                Cell::plain(&v.id),
                Cell::plain(&v.title),
                Cell::plain(scoring::words(v.severity)),
                Cell::plain(v.assets.join(", ")),
                Cell::plain(found_by(v)),
            ],
        })
        .collect();
    let blocks = if rows.is_empty() {
        vec![Block::Para(vec![text("No vulnerability is known.")])]
    } else {
        vec![Block::Table(Table {
            head: vec!["ID", "Vulnerability", "Severity", "Assets", "Found by"],
            rows,
        })]
    };
    Section {
        id: "vulnerabilities",
        title: "Vulnerabilities",
        blocks,
    }
}

/// A rating as `L4 × I5 = 20, very high`.
pub(crate) fn rating(r: &Rating) -> String {
    format!(
        "L{} × I{} = {}, {}",
        r.likelihood,
        r.impact,
        r.score,
        scoring::words(r.level)
    )
}

/// Where a treatment stands, with its days.
pub(crate) fn state(state: &TreatmentState) -> String {
    match state {
        TreatmentState::InPlace { basis } => format!("in place ({basis})"),
        TreatmentState::Pending { due: Some(due) } => format!("pending, due {due}"),
        TreatmentState::Pending { due: None } => "pending, no due date".to_owned(),
        TreatmentState::Overdue { due, days } => {
            format!("OVERDUE by {} (due {due})", count(*days, "day"))
        }
        TreatmentState::Accepted { until: Some(until) } => format!("accepted until {until}"),
        TreatmentState::Accepted { until: None } => "accepted".to_owned(),
        TreatmentState::AcceptanceExpired { on } => {
            format!("ACCEPTANCE EXPIRED on {on}: decide it again")
        }
    }
}

fn mark(state: &TreatmentState) -> Option<&'static str> {
    match state {
        TreatmentState::Overdue { .. } => Some("overdue"),
        TreatmentState::AcceptanceExpired { .. } => Some("expired"),
        _ => None,
    }
}

fn treatment(risk: &RiskView) -> String {
    let r = &risk.risk;
    let word = r.treatment.as_str();
    match (r.treatment, &r.plan, &r.transferred_to) {
        (Treatment::Transfer, _, Some(to)) => format!("{word} to {to}"),
        (Treatment::Accept, _, _) => {
            let by = r.accepted_by.as_deref().unwrap_or("nobody named");
            let why = r.acceptance_reason.as_deref().unwrap_or("no reason given");
            format!("{word} by {by}: {why}")
        }
        (_, Some(plan), _) => format!("{word}: {plan}"),
        _ => word.to_owned(),
    }
}

pub(crate) fn linked_checks(risk: &RiskView) -> String {
    if risk.checks.is_empty() {
        return "none".to_owned();
    }
    let parts: Vec<String> = risk
        .checks
        .iter()
        .map(|c| {
            if c.passes() {
                format!("{}: pass", c.check)
            } else if !c.failing.is_empty() {
                format!("{}: FAIL on {}", c.check, c.failing.join(", "))
            } else if c.passing == 0 && c.other == 0 {
                format!("{}: no finding", c.check)
            } else {
                format!("{}: {} unsettled", c.check, c.other)
            }
        })
        .collect();
    parts.join("; ")
}

/// The threat's name from the catalog, else its id.
fn threat_name<'a>(analysis: &'a Analysis, id: &'a str) -> &'a str {
    analysis
        .threats
        .iter()
        .find(|t| t.id == id)
        .map_or(id, |t| t.name.as_str())
}

fn risks(analysis: &Analysis) -> Section {
    let rows: Vec<Row> = analysis
        .risks_by_residual()
        .into_iter()
        .map(|v| {
            let r = &v.risk;
            Row {
                mark: mark(&v.state),
                cells: vec![
                    Cell::plain(&r.id),
                    Cell::plain(&r.title),
                    Cell::plain(threat_name(analysis, &r.threat)),
                    Cell::plain(&r.vulnerability),
                    Cell::plain(r.assets.join(", ")),
                    Cell::plain(rating(&v.inherent)),
                    Cell::plain(rating(&v.residual)),
                    Cell::plain(treatment(v)),
                    Cell {
                        text: state(&v.state),
                        strong: mark(&v.state).is_some(),
                    },
                    Cell::plain(or_dash(r.owner.as_deref())),
                    Cell::plain(r.due.map_or_else(|| "—".to_owned(), |d| d.to_string())),
                    Cell::plain(linked_checks(v)),
                ],
            }
        })
        .collect();
    let blocks = if rows.is_empty() {
        vec![Block::Para(vec![text("No risk is recorded.")])]
    } else {
        vec![
            Block::Para(vec![text("Worst residual level first.")]),
            Block::Table(Table {
                head: vec![
                    "ID",
                    "Risk",
                    "Threat",
                    "Vulnerability",
                    "Assets",
                    "Inherent",
                    "Residual",
                    "Treatment",
                    "State",
                    "Owner",
                    "Due",
                    "Linked checks",
                ],
                rows,
            }),
        ]
    };
    Section {
        id: "risks",
        title: "Risks",
        blocks,
    }
}

fn due(date: Option<Date>) -> String {
    date.map_or_else(|| "no due date".to_owned(), |d| d.to_string())
}

fn plan(analysis: &Analysis) -> Section {
    let rows: Vec<Row> = analysis
        .treatment_plan()
        .into_iter()
        .map(|v| {
            let r = &v.risk;
            Row {
                mark: mark(&v.state),
                cells: vec![
                    Cell {
                        text: due(r.due),
                        strong: mark(&v.state).is_some(),
                    },
                    Cell::plain(format!("{} ({})", r.title, r.id)),
                    Cell::plain(or_dash(r.plan.as_deref())),
                    Cell::plain(or_dash(r.owner.as_deref())),
                    Cell {
                        text: state(&v.state),
                        strong: mark(&v.state).is_some(),
                    },
                    Cell::plain(rating(&v.target)),
                ],
            }
        })
        .collect();
    let mut blocks = if rows.is_empty() {
        vec![Block::Para(vec![text("No treatment is open.")])]
    } else {
        vec![
            Block::Para(vec![text(
                "The treatments still to do, soonest due first. A treatment counts as in place \
                 only when the checks named for it pass.",
            )]),
            Block::Table(Table {
                head: vec![
                    "Due",
                    "Risk",
                    "Plan",
                    "Owner",
                    "State",
                    "Residual once in place",
                ],
                rows,
            }),
        ]
    };
    let lapsed: Vec<Line> = analysis
        .risks
        .iter()
        .filter_map(|v| match v.state {
            TreatmentState::AcceptanceExpired { on } => Some(vec![
                strong(format!("{} ({})", v.risk.title, v.risk.id)),
                text(format!(
                    ": accepted by {}, the acceptance lapsed on {on}; accept it again or treat it.",
                    v.risk.accepted_by.as_deref().unwrap_or("nobody named")
                )),
            ]),
            _ => None,
        })
        .collect();
    if !lapsed.is_empty() {
        blocks.push(Block::Para(vec![strong("Acceptances that lapsed")]));
        blocks.push(Block::List(lapsed));
    }
    Section {
        id: "plan",
        title: "Treatment plan",
        blocks,
    }
}

fn findings(analysis: &Analysis) -> Section {
    let mut sorted: Vec<_> = analysis.findings.iter().collect();
    // What needs doing first: failing, then the rest, each worst first.
    sorted.sort_by_key(|f| (f.status != Status::Fail, std::cmp::Reverse(f.severity)));
    let rows: Vec<Row> = sorted
        .into_iter()
        .map(|f| Row {
            mark: (f.status == Status::Fail).then_some("fail"),
            cells: vec![
                Cell::plain(f.check.as_str()),
                Cell {
                    text: f.status.as_str().to_owned(),
                    strong: f.status == Status::Fail,
                },
                Cell::plain(f.severity.as_str()),
                Cell::plain(&f.subject),
                Cell::plain(&f.message),
            ],
        })
        .collect();
    let blocks = if rows.is_empty() {
        vec![Block::Para(vec![text(
            "The risk checks found nothing stale when this analysis was prepared.",
        )])]
    } else {
        vec![
            Block::Para(vec![text(
                "What the risk checks found when this analysis was prepared: where it had gone \
                 stale.",
            )]),
            Block::Table(Table {
                head: vec!["Check", "Status", "Severity", "Subject", "Message"],
                rows,
            }),
        ]
    };
    Section {
        id: "findings",
        title: "Staleness findings",
        blocks,
    }
}
