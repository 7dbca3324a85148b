//! `phiguard asset` and `phiguard flow`: the asset inventory (what phiguard sees merged with
//! what people recorded) and the flows of ePHI between assets, listed and shown as judged on
//! the evidence; added, updated and removed as register records (see `phiguard_app::risk`).

use phiguard_app::installation::Purpose;
use phiguard_app::risk::{AssetImport, Gathered};
use phiguard_core::escape_controls;
use phiguard_register::Kind;
use phiguard_register::records::PhiUse;
use phiguard_risk::AssetView;
use phiguard_risk::flows::{Basis, FlowView, InTransit};
use phiguard_risk::risks::RiskView;
use phiguard_risk::scoring::words;
use phiguard_risk::vulnerabilities::VulnerabilityView;
use serde::Serialize;

use crate::Outcome;
use crate::cli::{
    AssetCommand, AssetImportArgs, AssetListArgs, FlowCommand, GlobalArgs, RecordAction,
};
use crate::commands::register::{Session, applied_text, change_source};
use crate::commands::risk::{gather, in_transit_text, mounted, seen_at, warn_of_unknown_assets};
use crate::output::{Output, table};

pub async fn asset(
    global: &GlobalArgs,
    command: &AssetCommand,
    out: &Output,
) -> anyhow::Result<Outcome> {
    let purpose = match command {
        AssetCommand::Record(record) => record.action.purpose(),
        AssetCommand::Import(args) if args.dry_run => Purpose::Read,
        AssetCommand::Import(_) => Purpose::Record,
        AssetCommand::List(_) | AssetCommand::Show(_) => Purpose::Read,
    };
    Session::run_for(global, out, purpose, async |session| match command {
        AssetCommand::Record(record) => asset_record(session, &record.action).await,
        AssetCommand::List(args) => list_assets(session, args).await,
        AssetCommand::Show(args) => show_asset(session, &args.id).await,
        AssetCommand::Import(args) => import(session, args).await,
    })
    .await
}

pub async fn flow(
    global: &GlobalArgs,
    command: &FlowCommand,
    out: &Output,
) -> anyhow::Result<Outcome> {
    let purpose = match command {
        FlowCommand::Record(record) => record.action.purpose(),
        FlowCommand::List | FlowCommand::Show(_) => Purpose::Read,
    };
    Session::run_for(global, out, purpose, async |session| match command {
        FlowCommand::Record(record) => {
            let applied = mounted(session, Kind::Flow, &record.action).await?;
            warn_of_unknown_assets(session, &applied).await?;
            out.result(&applied, || applied_text(&applied));
            Ok(Outcome::Ok)
        }
        FlowCommand::List => {
            let gathered = gather(session).await?;
            let flows = &gathered.picture.flows;
            out.result(flows, || flows_text(flows));
            Ok(Outcome::Ok)
        }
        FlowCommand::Show(args) => {
            let gathered = gather(session).await?;
            let Some(flow) = gathered.picture.flows.iter().find(|f| f.flow.id == args.id) else {
                anyhow::bail!(
                    "there is no flow {:?}; `phiguard flow list` shows every flow's id",
                    args.id
                );
            };
            out.result(flow, || flow_text(flow));
            Ok(Outcome::Ok)
        }
    })
    .await
}

/// `add` as the register's; `update` records an asset phiguard sees on its first update;
/// `remove` removes only what people recorded.
async fn asset_record(session: &Session<'_>, action: &RecordAction) -> anyhow::Result<Outcome> {
    let applied = match action {
        RecordAction::Update {
            id,
            fields,
            unset,
            change,
        } => {
            let values = fields.values(phiguard_app::register::document)?;
            phiguard_app::risk::update_asset(
                session.app,
                id,
                values,
                unset,
                &change_source(change),
                session.out,
            )
            .await?
        }
        RecordAction::Remove { id, .. } => {
            let gathered = gather(session).await?;
            let seen = gathered.picture.asset(id).filter(|a| a.is_seen());
            if let Some(seen) = seen
                && seen.recorded.is_none()
            {
                anyhow::bail!(
                    "asset {id:?} is not recorded: phiguard sees it ({}) and lists it while it \
                     does, so there is nothing to remove",
                    sources(seen)
                );
            }
            let applied = mounted(session, Kind::Asset, action).await?;
            if let Some(seen) = seen {
                session.out.note(&format!(
                    "note: asset {} stays in the inventory while phiguard sees it ({}); what \
                     people recorded about it is removed",
                    escape_controls(id),
                    sources(seen)
                ));
            }
            applied
        }
        _ => mounted(session, Kind::Asset, action).await?,
    };
    session.out.result(&applied, || applied_text(&applied));
    Ok(Outcome::Ok)
}

/// Where phiguard saw an asset: `host check, cloud inventory`.
fn sources(asset: &AssetView) -> String {
    let mut names: Vec<&str> = asset.origins.iter().map(|o| o.source.as_str()).collect();
    names.dedup();
    names.join(", ")
}

fn ephi_text(uses: &[PhiUse]) -> String {
    if uses.is_empty() {
        return "-".into();
    }
    uses.iter()
        .map(|u| u.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

async fn list_assets(session: &Session<'_>, args: &AssetListArgs) -> anyhow::Result<Outcome> {
    let gathered = gather(session).await?;
    let assets: Vec<&AssetView> = gathered
        .picture
        .assets
        .iter()
        .filter(|a| !args.ephi || a.holds_ephi())
        .filter(|a| args.asset_type.is_none_or(|t| a.asset.asset_type == t))
        .collect();
    session.out.result(&assets, || {
        if assets.is_empty() {
            return if gathered.picture.assets.is_empty() {
                "No assets yet: phiguard lists the hosts it checked (`phiguard host check`), \
                 the newest cloud inventory (`phiguard cloud check aws`), the register's \
                 vendors and systems and the ePHI paths of phiguard.toml; record others with \
                 `phiguard asset add`."
                    .into()
            } else {
                "No asset matches.".into()
            };
        }
        let rows: Vec<[String; 8]> = assets
            .iter()
            .map(|view| {
                let asset = &view.asset;
                let esc = |t: Option<&String>| {
                    t.map_or_else(|| "-".to_owned(), |t| escape_controls(t).into_owned())
                };
                let (seen, last) = if view.is_seen() {
                    (sources(view), seen_at(view.last_seen()))
                } else {
                    ("recorded".to_owned(), "-".to_owned())
                };
                [
                    escape_controls(&asset.id).into_owned(),
                    asset.asset_type.to_string(),
                    ephi_text(&asset.ephi),
                    esc(asset.owner.as_ref()),
                    asset
                        .criticality
                        .map_or_else(|| "-".to_owned(), |c| c.to_string()),
                    esc(asset.location.as_ref()),
                    seen,
                    last,
                ]
            })
            .collect();
        table(
            [
                "ID",
                "TYPE",
                "EPHI",
                "OWNER",
                "CRITICALITY",
                "LOCATION",
                "SEEN BY",
                "LAST SEEN",
            ],
            &rows,
        )
    });
    Ok(Outcome::Ok)
}

/// An asset with everything that names it.
#[derive(Debug, Serialize)]
struct AssetReport<'a> {
    #[serde(flatten)]
    asset: &'a AssetView,
    vulnerabilities: Vec<&'a VulnerabilityView>,
    risks: Vec<&'a RiskView>,
    flows: Vec<&'a FlowView>,
}

impl<'a> AssetReport<'a> {
    fn of(gathered: &'a Gathered, id: &str) -> Option<AssetReport<'a>> {
        let picture = &gathered.picture;
        let asset = picture.asset(id)?;
        let named = |ids: &[String]| ids.iter().any(|a| a == id);
        Some(AssetReport {
            asset,
            vulnerabilities: picture
                .vulnerabilities
                .iter()
                .filter(|v| named(&v.assets))
                .collect(),
            risks: picture
                .risks
                .iter()
                .filter(|r| named(&r.risk.assets))
                .collect(),
            flows: picture
                .flows
                .iter()
                .filter(|f| f.flow.from == id || f.flow.to == id)
                .collect(),
        })
    }

    fn text(&self) -> String {
        let view = self.asset;
        let asset = &view.asset;
        let mut lines = vec![
            format!(
                "Asset {}: {}",
                escape_controls(&asset.id),
                escape_controls(&asset.name)
            ),
            format!("type: {}", asset.asset_type),
            format!(
                "ePHI: {}",
                if asset.ephi.is_empty() {
                    "none known".to_owned()
                } else {
                    ephi_text(&asset.ephi)
                }
            ),
        ];
        let optional = [
            ("owner", asset.owner.as_deref()),
            ("location", asset.location.as_deref()),
            ("description", asset.description.as_deref()),
        ];
        for (name, value) in optional {
            if let Some(value) = value {
                lines.push(format!("{name}: {}", escape_controls(value)));
            }
        }
        if let Some(criticality) = asset.criticality {
            lines.push(format!("criticality: {criticality}"));
        }
        lines.push(match view.recorded {
            Some(evidence) => format!(
                "recorded in ledger entry {} (`phiguard register history asset {}`)",
                evidence.seq, asset.id
            ),
            None => format!(
                "not recorded: `phiguard asset update {} --owner NAME` records what no machine \
                 knows about it",
                asset.id
            ),
        });
        if !view.origins.is_empty() {
            lines.push(String::new());
            lines.push("Seen:".into());
            for origin in &view.origins {
                let mut line = format!(
                    "  {}: {}",
                    origin.source.as_str(),
                    escape_controls(&origin.detail)
                );
                if let Some(at) = origin.seen_at {
                    line.push_str(&format!(", {}", seen_at(Some(at))));
                }
                if let Some(evidence) = origin.evidence {
                    line.push_str(&format!(" (ledger entry {})", evidence.seq));
                }
                lines.push(line);
            }
        }
        lines.push(String::new());
        lines.push("Vulnerabilities:".into());
        if self.vulnerabilities.is_empty() {
            lines.push("  none".into());
        }
        for v in &self.vulnerabilities {
            lines.push(format!(
                "  {}  {}  {}",
                escape_controls(&v.id),
                words(v.severity),
                escape_controls(&v.title)
            ));
        }
        lines.push(String::new());
        lines.push("Risks:".into());
        if self.risks.is_empty() {
            lines.push("  none".into());
        }
        for r in &self.risks {
            lines.push(format!(
                "  {}  residual {} (inherent {}), {}: {}",
                escape_controls(&r.risk.id),
                words(r.residual.level),
                words(r.inherent.level),
                r.risk.treatment,
                r.state.word()
            ));
        }
        lines.push(String::new());
        lines.push("Flows:".into());
        if self.flows.is_empty() {
            lines.push("  none".into());
        }
        for f in &self.flows {
            lines.push(format!(
                "  {}  {} → {}  {}",
                escape_controls(&f.flow.id),
                escape_controls(&f.flow.from),
                escape_controls(&f.flow.to),
                in_transit_text(&f.in_transit)
            ));
        }
        lines.join("\n")
    }
}

async fn show_asset(session: &Session<'_>, id: &str) -> anyhow::Result<Outcome> {
    let gathered = gather(session).await?;
    let Some(report) = AssetReport::of(&gathered, id) else {
        anyhow::bail!(
            "there is no asset {id:?}, recorded or seen; `phiguard asset list` shows every asset's id"
        );
    };
    session.out.result(&report, || report.text());
    Ok(Outcome::Ok)
}

async fn import(session: &Session<'_>, args: &AssetImportArgs) -> anyhow::Result<Outcome> {
    let imported = phiguard_app::risk::import_assets(
        session.app,
        &args.file,
        args.dry_run,
        &change_source(&args.change),
        session.out,
    )
    .await?;
    match imported {
        AssetImport::Planned(planned) => session.out.result(&planned, || {
            if planned.is_empty() {
                return "Nothing to change: the register already holds these assets.".into();
            }
            let mut lines: Vec<String> = planned
                .iter()
                .map(|p| format!("{:<6} asset {}", p.action.as_str(), p.id))
                .collect();
            lines.push("Nothing was changed (--dry-run).".into());
            lines.join("\n")
        }),
        AssetImport::Applied(applied) => session.out.result(&applied, || applied_text(&applied)),
    }
    Ok(Outcome::Ok)
}

fn flows_text(flows: &[FlowView]) -> String {
    if flows.is_empty() {
        return "No flows yet; record one with `phiguard flow add`.".into();
    }
    let rows: Vec<[String; 6]> = flows
        .iter()
        .map(|view| {
            let flow = &view.flow;
            let endpoint = |id: &String| {
                let mark = if view.unknown_endpoints.contains(id) {
                    " (not in the inventory)"
                } else {
                    ""
                };
                format!("{}{mark}", escape_controls(id))
            };
            let text = |t: Option<&String>| {
                t.map_or_else(|| "-".to_owned(), |t| escape_controls(t).into_owned())
            };
            [
                escape_controls(&flow.id).into_owned(),
                endpoint(&flow.from),
                endpoint(&flow.to),
                text(flow.data.as_ref()),
                text(flow.protocol.as_ref()),
                in_transit_text(&view.in_transit),
            ]
        })
        .collect();
    table(
        ["ID", "FROM", "TO", "DATA", "PROTOCOL", "IN TRANSIT"],
        &rows,
    )
}

fn flow_text(view: &FlowView) -> String {
    let flow = &view.flow;
    let mut lines = vec![format!(
        "Flow {}: {} → {}",
        escape_controls(&flow.id),
        escape_controls(&flow.from),
        escape_controls(&flow.to)
    )];
    for (name, value) in [
        ("data", flow.data.as_deref()),
        ("protocol", flow.protocol.as_deref()),
        ("notes", flow.notes.as_deref()),
    ] {
        if let Some(value) = value {
            lines.push(format!("{name}: {}", escape_controls(value)));
        }
    }
    if let Some(stated) = flow.encrypted {
        lines.push(format!(
            "stated: {}",
            if stated {
                "encrypted in transit"
            } else {
                "not encrypted in transit"
            }
        ));
    }
    lines.push(format!("in transit: {}", in_transit_text(&view.in_transit)));
    match &view.in_transit {
        InTransit::Encrypted {
            basis: Basis::Checks { findings },
        }
        | InTransit::Unencrypted {
            basis: Basis::Checks { findings },
        } => {
            for finding in findings {
                lines.push(format!("  {}", escape_controls(finding)));
            }
        }
        InTransit::Unknown => lines.push(
            "  nobody stated it and no in-transit check ran on its endpoints (`--encrypted`)"
                .into(),
        ),
        _ => {}
    }
    if !view.unknown_endpoints.is_empty() {
        lines.push(format!(
            "not in the inventory: {} (`phiguard asset list`)",
            escape_controls(&view.unknown_endpoints.join(", "))
        ));
    }
    if let Some(evidence) = view.evidence {
        lines.push(format!(
            "recorded in ledger entry {} (`phiguard register history flow {}`)",
            evidence.seq, flow.id
        ));
    }
    lines.join("\n")
}
