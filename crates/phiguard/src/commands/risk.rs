//! `phiguard risk`: risks added and updated (the register's `risk` records, their threat
//! checked against the catalog), listed and shown as judged on the evidence, accepted; the
//! threat catalog; the vulnerabilities; the analysis made, signed off and rendered again (see
//! `phiguard_app::risk`).

use std::path::Path;

use anyhow::Context;
use phiguard_app::installation::Purpose;
use phiguard_app::risk::{AnalyzeRequest, Gathered, sign_off_of};
use phiguard_core::spelling::count;
use phiguard_core::{EvidenceRef, Finding, Status, escape_controls};
use phiguard_register::records::RiskAnalysis;
use phiguard_register::{Action, Applied, Kind};
use phiguard_risk::analysis::{Analysis, SignOff};
use phiguard_risk::flows::{Basis, InTransit};
use phiguard_risk::risks::{LinkedCheck, RiskView, TreatmentState};
use phiguard_risk::scoring::{Rating, words};
use phiguard_risk::threats::ThreatCatalog;
use phiguard_risk::vulnerabilities::{Found, VulnerabilityView};
use serde::Serialize;
use serde_json::Value;

use crate::Outcome;
use crate::cli::{
    AcceptArgs, AnalyzeArgs, DocumentArgs, GlobalArgs, RecordAction, ReportArgs, RiskCommand,
    SignoffArgs,
};
use crate::commands::register::{Session, applied_text, change_source};
use crate::output::{Output, table, time};

pub async fn run(
    global: &GlobalArgs,
    command: &RiskCommand,
    out: &Output,
) -> anyhow::Result<Outcome> {
    // The catalog is compiled in: listing it needs no home.
    if let RiskCommand::Threats = command {
        return threats(out);
    }
    Session::run_for(
        global,
        out,
        purpose(command),
        async |session| match command {
            RiskCommand::Record(record) => recorded(session, &record.action).await,
            RiskCommand::List => {
                let gathered = gather(session).await?;
                let risks = &gathered.picture.risks;
                out.result(risks, || list_text(risks));
                Ok(Outcome::Ok)
            }
            RiskCommand::Show(args) => show(session, &args.id).await,
            RiskCommand::Accept(args) => accept(session, args).await,
            RiskCommand::Threats => threats(out),
            RiskCommand::Vulnerabilities => vulnerabilities(session).await,
            RiskCommand::Analyze(args) => analyze(session, args).await,
            RiskCommand::Signoff(args) => signoff(session, args).await,
            RiskCommand::Report(args) => report(session, args).await,
        },
    )
    .await
}

/// Adding a risk or making an analysis may start a home, as adding any record does; the
/// rest reads, or changes what must be there.
fn purpose(command: &RiskCommand) -> Purpose {
    match command {
        RiskCommand::Record(record) => record.action.purpose(),
        RiskCommand::Analyze(_) => Purpose::Record,
        RiskCommand::Accept(_) | RiskCommand::Signoff(_) => Purpose::Amend,
        RiskCommand::List
        | RiskCommand::Show(_)
        | RiskCommand::Threats
        | RiskCommand::Vulnerabilities
        | RiskCommand::Report(_) => Purpose::Read,
    }
}

/// The picture today, with what could not be read said on stderr.
pub(crate) async fn gather(session: &Session<'_>) -> anyhow::Result<Gathered> {
    let gathered = phiguard_app::risk::gather(session.app).await?;
    for note in &gathered.notes {
        session.out.note(&format!("note: {note}"));
    }
    Ok(gathered)
}

/// `add`, `update` and `remove` of a kind mounted from the register, done as the register
/// does them.
pub(crate) async fn mounted(
    session: &Session<'_>,
    kind: Kind,
    action: &RecordAction,
) -> anyhow::Result<Vec<Applied>> {
    let app = session.app;
    let out = session.out;
    match action {
        RecordAction::Add { id, fields, change } => {
            let values = fields.values(phiguard_app::register::document)?;
            vet(kind, &values)?;
            phiguard_app::register::add_drafted(
                app,
                kind,
                id.as_deref(),
                values,
                &change_source(change),
                out,
            )
            .await
        }
        RecordAction::Update {
            id,
            fields,
            unset,
            change,
        } => {
            let values = fields.values(phiguard_app::register::document)?;
            vet(kind, &values)?;
            phiguard_app::register::update_drafted(
                app,
                kind,
                id,
                values,
                unset,
                &change_source(change),
                out,
            )
            .await
        }
        RecordAction::Remove { id, change } => {
            phiguard_app::register::remove(app, kind, id, &change_source(change), out).await
        }
        RecordAction::List | RecordAction::Show { .. } => {
            anyhow::bail!("`phiguard {kind}` lists and shows records by its own subcommands")
        }
    }
}

/// Refuses a risk whose threat is not in the catalog before anything is recorded.
fn vet(kind: Kind, values: &phiguard_register::draft::Values) -> anyhow::Result<()> {
    if kind == Kind::Risk
        && let Some(Value::String(threat)) = values.get("threat")
    {
        phiguard_app::risk::vet_threat(threat)?;
    }
    Ok(())
}

/// Warns of every asset id that the records just added or changed name and the inventory
/// does not hold: they are recorded all the same (the asset may be recorded next).
pub(crate) async fn warn_of_unknown_assets(
    session: &Session<'_>,
    applied: &[Applied],
) -> anyhow::Result<()> {
    let changed: Vec<&Applied> = applied
        .iter()
        .filter(|a| a.change.action != Action::Delete)
        .collect();
    if changed.is_empty() {
        return Ok(());
    }
    let gathered = phiguard_app::risk::gather(session.app).await?;
    let snapshot = session.app.register.snapshot().await?;
    for applied in changed {
        let (kind, id) = (applied.change.kind, &applied.change.id);
        let Some(record) = snapshot.get(kind, id) else {
            continue;
        };
        let unknown = phiguard_app::risk::unknown_assets(&gathered, &record);
        if !unknown.is_empty() {
            session.out.note(&format!(
                "warning: {kind} {} names {} not in the inventory ({}); it is recorded all \
                 the same: record the asset with `phiguard asset add`, or correct the id \
                 (`phiguard asset list` shows every asset's id)",
                escape_controls(id),
                if unknown.len() == 1 {
                    "an asset"
                } else {
                    "assets"
                },
                escape_controls(&unknown.join(", "))
            ));
        }
    }
    Ok(())
}

async fn recorded(session: &Session<'_>, action: &RecordAction) -> anyhow::Result<Outcome> {
    let applied = mounted(session, Kind::Risk, action).await?;
    warn_of_unknown_assets(session, &applied).await?;
    session.out.result(&applied, || applied_text(&applied));
    Ok(Outcome::Ok)
}

/// The words of a rating: `very high (4×5 = 20)`.
fn rating(rating: &Rating) -> String {
    format!(
        "{} ({}×{} = {})",
        words(rating.level),
        rating.likelihood,
        rating.impact,
        rating.score
    )
}

/// Where a treatment stands, with its day: `overdue since 2026-12-01 (10 days)`.
fn state_text(state: &TreatmentState) -> String {
    match state {
        TreatmentState::InPlace { basis } => format!("in place ({})", escape_controls(basis)),
        TreatmentState::Pending { due: Some(due) } => format!("pending, due {due}"),
        TreatmentState::Pending { due: None } => "pending, no due day".into(),
        TreatmentState::Overdue { due, days } => {
            format!("overdue since {due} ({})", count(*days, "day"))
        }
        TreatmentState::Accepted { until: Some(until) } => format!("accepted until {until}"),
        TreatmentState::Accepted { until: None } => "accepted".into(),
        TreatmentState::AcceptanceExpired { on } => format!("acceptance expired on {on}"),
    }
}

fn or_dash(text: Option<&str>) -> String {
    text.map_or_else(|| "-".to_owned(), |t| escape_controls(t).into_owned())
}

fn list_text(risks: &[RiskView]) -> String {
    if risks.is_empty() {
        return "No risks yet; record one with `phiguard risk add` (`phiguard risk threats` \
                lists the threats a risk can name)."
            .into();
    }
    let rows: Vec<[String; 7]> = risks
        .iter()
        .map(|view| {
            let risk = &view.risk;
            [
                escape_controls(&risk.id).into_owned(),
                words(view.residual.level).to_owned(),
                words(view.inherent.level).to_owned(),
                risk.treatment.to_string(),
                view.state.word().to_owned(),
                or_dash(risk.owner.as_deref()),
                risk.due.map_or_else(|| "-".to_owned(), |d| d.to_string()),
            ]
        })
        .collect();
    table(
        [
            "ID",
            "RESIDUAL",
            "INHERENT",
            "TREATMENT",
            "STATE",
            "OWNER",
            "DUE",
        ],
        &rows,
    )
}

/// What a check named by a risk shows on its assets.
fn linked_text(check: &LinkedCheck) -> String {
    let verdict = if check.passes() {
        format!("passes ({})", count(check.passing, "passing finding"))
    } else if !check.failing.is_empty() {
        format!(
            "fails on {}",
            escape_controls(&check.failing.join(", ")).into_owned()
        )
    } else if check.other > 0 {
        format!(
            "inconclusive ({} neither passing nor failing)",
            count(check.other, "finding")
        )
    } else {
        "no finding yet: the check has not run on these assets".into()
    };
    format!("{}: {verdict}", check.check)
}

/// Why the residual rating is what it is.
fn residual_reason(view: &RiskView) -> String {
    match &view.state {
        TreatmentState::InPlace { basis } => format!(
            "the treatment is in place ({}), so the residual rating is the one it aims for",
            escape_controls(basis)
        ),
        TreatmentState::Accepted { .. } | TreatmentState::AcceptanceExpired { .. } => {
            "the risk is accepted, not reduced: the residual rating is the inherent one".into()
        }
        TreatmentState::Pending { .. } | TreatmentState::Overdue { .. }
            if !view.checks.is_empty() =>
        {
            "not every check named for the treatment passes on the risk's assets, so the \
             residual rating stays the inherent one"
                .into()
        }
        TreatmentState::Pending { .. } | TreatmentState::Overdue { .. } => {
            "no day the treatment was done is recorded (`--done`) and it names no check, so \
             the residual rating stays the inherent one"
                .into()
        }
    }
}

fn show_text(view: &RiskView, catalog: Option<&ThreatCatalog>) -> String {
    let risk = &view.risk;
    let threat = catalog
        .and_then(|c| c.threat(&risk.threat))
        .map(|t| format!("{} ({})", risk.threat, t.name))
        .unwrap_or_else(|| format!("{} (not in the catalog)", risk.threat));
    let mut lines = vec![
        format!(
            "Risk {}: {}",
            escape_controls(&risk.id),
            escape_controls(&risk.title)
        ),
        format!("assets: {}", escape_controls(&risk.assets.join(", "))),
        format!("threat: {}", escape_controls(&threat)),
        format!("vulnerability: {}", escape_controls(&risk.vulnerability)),
    ];
    if !risk.vulnerabilities.is_empty() {
        lines.push(format!(
            "recorded vulnerabilities: {}",
            escape_controls(&risk.vulnerabilities.join(", "))
        ));
    }
    lines.push(format!("inherent: {}", rating(&view.inherent)));
    lines.push(format!("target: {}", rating(&view.target)));
    lines.push(format!("residual: {}", rating(&view.residual)));
    lines.push(format!("  why: {}", residual_reason(view)));
    lines.push(format!("treatment: {}", risk.treatment));
    lines.push(format!("state: {}", state_text(&view.state)));
    let optional = [
        ("plan", risk.plan.as_deref()),
        ("owner", risk.owner.as_deref()),
        ("accepted by", risk.accepted_by.as_deref()),
        ("acceptance reason", risk.acceptance_reason.as_deref()),
        ("transferred to", risk.transferred_to.as_deref()),
        ("notes", risk.notes.as_deref()),
    ];
    for (name, value) in optional {
        if let Some(value) = value {
            lines.push(format!("{name}: {}", escape_controls(value)));
        }
    }
    let days = [
        ("due", risk.due),
        ("done", risk.done),
        ("accepted on", risk.accepted_on),
        ("acceptance expires", risk.acceptance_expires),
    ];
    for (name, day) in days {
        if let Some(day) = day {
            lines.push(format!("{name}: {day}"));
        }
    }
    if !view.checks.is_empty() {
        lines.push("checks:".into());
        for check in &view.checks {
            lines.push(format!("  {}", linked_text(check)));
        }
    }
    if let Some(evidence) = view.evidence {
        lines.push(format!(
            "recorded in ledger entry {} (`phiguard register history risk {}`)",
            evidence.seq, risk.id
        ));
    }
    lines.join("\n")
}

async fn show(session: &Session<'_>, id: &str) -> anyhow::Result<Outcome> {
    let gathered = gather(session).await?;
    let Some(view) = gathered.picture.risks.iter().find(|r| r.risk.id == id) else {
        anyhow::bail!("there is no risk {id:?}; `phiguard risk list` shows every risk's id");
    };
    // A damaged catalog only costs the threat's name here.
    let catalog = ThreatCatalog::builtin().ok();
    session.out.result(view, || show_text(view, catalog));
    Ok(Outcome::Ok)
}

async fn accept(session: &Session<'_>, args: &AcceptArgs) -> anyhow::Result<Outcome> {
    let applied = phiguard_app::risk::accept(
        session.app,
        &args.id,
        &args.by,
        &args.reason,
        args.until,
        &change_source(&args.change),
        session.out,
    )
    .await?;
    session.out.result(&applied, || {
        format!(
            "{}\nRisk {} is accepted until {}; it must be decided again then.",
            applied_text(&applied),
            escape_controls(&args.id),
            args.until
        )
    });
    Ok(Outcome::Ok)
}

fn threats(out: &Output) -> anyhow::Result<Outcome> {
    let catalog = ThreatCatalog::builtin().context("the built-in threat catalog is damaged")?;
    out.result(catalog, || {
        let rows: Vec<[String; 3]> = catalog
            .threats
            .iter()
            .map(|t| [t.id.clone(), t.source.clone(), t.name.clone()])
            .collect();
        table(["ID", "SOURCE", "THREAT"], &rows)
    });
    Ok(Outcome::Ok)
}

/// A vulnerability and the risks that cover it.
#[derive(Debug, Serialize)]
struct Covered<'a> {
    #[serde(flatten)]
    vulnerability: &'a VulnerabilityView,
    covered_by: Vec<&'a str>,
}

/// The risks that cover `vulnerability`: those naming it (a recorded one), or naming its
/// check for its asset, or for every asset where the check judged none of the risk's (as the
/// risk's own judgement counts an account-wide check).
fn covering<'a>(vulnerability: &VulnerabilityView, gathered: &'a Gathered) -> Vec<&'a str> {
    gathered
        .picture
        .risks
        .iter()
        .filter(|view| {
            let risk = &view.risk;
            match &vulnerability.found {
                Found::Recorded { .. } => risk.vulnerabilities.contains(&vulnerability.id),
                Found::Check { check, .. } => {
                    let on_its_assets = |asset: &String| risk.assets.contains(asset);
                    risk.checks.contains(check)
                        && (vulnerability.assets.iter().any(on_its_assets)
                            || !gathered.observed.iter().any(|o| {
                                o.finding.check.as_str() == check && on_its_assets(&o.asset)
                            }))
                }
            }
        })
        .map(|view| view.risk.id.as_str())
        .collect()
}

async fn vulnerabilities(session: &Session<'_>) -> anyhow::Result<Outcome> {
    let gathered = gather(session).await?;
    let rows: Vec<Covered<'_>> = gathered
        .picture
        .vulnerabilities
        .iter()
        .map(|vulnerability| Covered {
            vulnerability,
            covered_by: covering(vulnerability, &gathered),
        })
        .collect();
    session.out.result(&rows, || {
        if rows.is_empty() {
            return "No vulnerabilities: no check in the ledger fails on an asset, and none is \
                    recorded (`phiguard register vulnerability add`)."
                .into();
        }
        let cells: Vec<[String; 5]> = rows
            .iter()
            .map(|row| {
                let v = row.vulnerability;
                [
                    escape_controls(&v.assets.join(", ")).into_owned(),
                    words(v.severity).to_owned(),
                    v.check().map_or_else(
                        || format!("recorded: {}", escape_controls(&v.id)),
                        ToOwned::to_owned,
                    ),
                    if row.covered_by.is_empty() {
                        "no risk".into()
                    } else {
                        escape_controls(&row.covered_by.join(", ")).into_owned()
                    },
                    escape_controls(&v.title).into_owned(),
                ]
            })
            .collect();
        table(
            ["ASSET", "SEVERITY", "FOUND BY", "COVERED BY", "WHAT"],
            &cells,
        )
    });
    Ok(Outcome::Ok)
}

/// A document written.
#[derive(Debug, Serialize)]
struct Written {
    format: &'static str,
    path: String,
    /// The format as people name it.
    #[serde(skip)]
    title: &'static str,
}

/// Writes the documents asked for, each atomically (a reader never sees half a report) and
/// private to its owner: an analysis names every weakness of the organisation.
fn write_documents(
    documents: &DocumentArgs,
    analysis: &Analysis,
    sign_off: Option<&SignOff>,
) -> anyhow::Result<Vec<Written>> {
    let mut written = Vec::new();
    let mut write = |(format, title): (&'static str, &'static str),
                     path: &Path,
                     text: String|
     -> anyhow::Result<()> {
        phiguard_home::write_atomically(path, text.as_bytes(), phiguard_home::Readers::Owner)
            .with_context(|| format!("could not write {}", path.display()))?;
        written.push(Written {
            format,
            path: path.display().to_string(),
            title,
        });
        Ok(())
    };
    if let Some(path) = &documents.html {
        write(
            ("html", "HTML analysis"),
            path,
            phiguard_risk::report::html(analysis, sign_off),
        )?;
    }
    if let Some(path) = &documents.markdown {
        write(
            ("markdown", "Markdown analysis"),
            path,
            phiguard_risk::report::markdown(analysis, sign_off),
        )?;
    }
    if let Some(path) = &documents.oscal {
        let poam = phiguard_risk::report::oscal_poam(analysis, sign_off);
        write(
            ("oscal", "OSCAL plan of action and milestones"),
            path,
            serde_json::to_string_pretty(&poam)?,
        )?;
    }
    Ok(written)
}

/// What `analyze` and `report` print about an analysis.
#[derive(Debug, Serialize)]
struct Summary<'a> {
    id: &'a str,
    as_of: jiff::civil::Date,
    sha256: &'a str,
    /// The ledger entry that holds the document.
    document: EvidenceRef,
    assets: usize,
    ephi_assets: usize,
    flows: usize,
    vulnerabilities: usize,
    risks: usize,
    /// Treatments still to do.
    open_treatments: usize,
    overdue: usize,
    acceptances_expired: usize,
    signed_off: Option<SignOff>,
    /// The risk checks' failing findings on the day: what was stale.
    stale: Vec<&'a Finding>,
    files: Vec<Written>,
}

impl<'a> Summary<'a> {
    fn of(
        analysis: &'a Analysis,
        record: &'a RiskAnalysis,
        document: EvidenceRef,
        files: Vec<Written>,
    ) -> Summary<'a> {
        let in_state = |matches: fn(&TreatmentState) -> bool| {
            analysis.risks.iter().filter(|r| matches(&r.state)).count()
        };
        Summary {
            id: &record.id,
            as_of: record.as_of,
            sha256: &record.sha256,
            document,
            assets: analysis.assets.len(),
            ephi_assets: analysis.ephi_assets().count(),
            flows: analysis.flows.len(),
            vulnerabilities: analysis.vulnerabilities.len(),
            risks: analysis.risks.len(),
            open_treatments: analysis.treatment_plan().len(),
            overdue: in_state(|s| matches!(s, TreatmentState::Overdue { .. })),
            acceptances_expired: in_state(|s| {
                matches!(s, TreatmentState::AcceptanceExpired { .. })
            }),
            signed_off: sign_off_of(record),
            stale: analysis
                .findings
                .iter()
                .filter(|f| f.status == Status::Fail)
                .collect(),
            files,
        }
    }

    fn text(&self) -> String {
        let mut lines = vec![
            format!(
                "Risk analysis {} as of {}, recorded in ledger entry {}",
                escape_controls(self.id),
                self.as_of,
                self.document.seq
            ),
            format!("SHA-256          {}", self.sha256),
            format!(
                "assets           {} ({} with ePHI)",
                self.assets, self.ephi_assets
            ),
            format!("flows            {}", self.flows),
            format!("vulnerabilities  {}", self.vulnerabilities),
            format!(
                "risks            {} ({} to treat, {} overdue, {} with the acceptance expired)",
                self.risks, self.open_treatments, self.overdue, self.acceptances_expired
            ),
        ];
        lines.push(match &self.signed_off {
            Some(signed) => format!(
                "signed off       by {} on {}",
                escape_controls(&signed.by),
                signed.on
            ),
            None => format!(
                "signed off       not yet: `phiguard risk signoff {} --by NAME`",
                self.id
            ),
        });
        if self.stale.is_empty() {
            lines.push("Nothing was stale: the risk checks found nothing failing.".into());
        } else {
            lines.push(String::new());
            lines.push("Stale (the risk checks' failing findings):".into());
            for finding in &self.stale {
                lines.push(format!(
                    "  {}  {}",
                    finding.check,
                    escape_controls(&finding.message)
                ));
            }
        }
        for file in &self.files {
            lines.push(format!("Wrote the {} to {}.", file.title, file.path));
        }
        lines.join("\n")
    }
}

async fn analyze(session: &Session<'_>, args: &AnalyzeArgs) -> anyhow::Result<Outcome> {
    let request = AnalyzeRequest {
        id: args.id.clone(),
        as_of: args.as_of,
        scope: args.scope.clone(),
        prepared_by: args.prepared_by.clone(),
        sign_off: args.sign_off.clone(),
    };
    let analyzed = phiguard_app::risk::analyze(
        session.app,
        &request,
        &change_source(&args.change),
        session.out,
    )
    .await?;
    for note in &analyzed.notes {
        session.out.note(&format!("note: {note}"));
    }
    let sign_off = analyzed.sign_off();
    let files = write_documents(&args.documents, &analyzed.analysis, sign_off.as_ref())?;
    let summary = Summary::of(
        &analyzed.analysis,
        &analyzed.record,
        analyzed.document,
        files,
    );
    session.out.result(&summary, || summary.text());
    Ok(Outcome::Ok)
}

async fn signoff(session: &Session<'_>, args: &SignoffArgs) -> anyhow::Result<Outcome> {
    let (record, applied) = phiguard_app::risk::sign_off(
        session.app,
        &args.id,
        &args.by,
        &change_source(&args.change),
        session.out,
    )
    .await?;
    #[derive(Serialize)]
    struct Signed<'a> {
        record: &'a RiskAnalysis,
        applied: &'a [Applied],
    }
    session.out.result(
        &Signed {
            record: &record,
            applied: &applied,
        },
        || {
            format!(
                "{}\nRisk analysis {} (SHA-256 {}) is signed off by {}.",
                applied_text(&applied),
                escape_controls(&record.id),
                record.sha256,
                escape_controls(&args.by)
            )
        },
    );
    Ok(Outcome::Ok)
}

async fn report(session: &Session<'_>, args: &ReportArgs) -> anyhow::Result<Outcome> {
    let recorded = phiguard_app::risk::recorded(session.app, &args.id).await?;
    let sign_off = sign_off_of(&recorded.record);
    let files = write_documents(&args.documents, &recorded.analysis, sign_off.as_ref())?;
    if session.out.is_json() {
        #[derive(Serialize)]
        struct Report<'a> {
            #[serde(flatten)]
            recorded: &'a phiguard_app::risk::RecordedAnalysis,
            files: Vec<Written>,
        }
        let report = Report {
            recorded: &recorded,
            files,
        };
        session.out.result(&report, String::new);
        return Ok(Outcome::Ok);
    }
    let summary = Summary::of(
        &recorded.analysis,
        &recorded.record,
        recorded.document,
        files,
    );
    session.out.result(&summary, || {
        let mut text = summary.text();
        if summary.files.is_empty() {
            text.push_str(&format!(
                "\nThe document matches its SHA-256; write it with `phiguard risk report {} \
                 --html FILE`, `--markdown FILE` or `--oscal FILE`.",
                args.id
            ));
        }
        text
    });
    Ok(Outcome::Ok)
}

/// The in-transit verdict of a flow with its basis: `encrypted (stated)`.
pub(crate) fn in_transit_text(in_transit: &InTransit) -> String {
    let basis = match in_transit {
        InTransit::Encrypted { basis } | InTransit::Unencrypted { basis } => basis,
        InTransit::Unknown => return "unknown".into(),
    };
    match basis {
        Basis::Checks { .. } => format!("{} (checks)", in_transit.word()),
        Basis::Stated => format!("{} (stated)", in_transit.word()),
    }
}

/// When phiguard saw something, for a person.
pub(crate) fn seen_at(at: Option<jiff::Timestamp>) -> String {
    at.map_or_else(|| "-".to_owned(), time)
}
