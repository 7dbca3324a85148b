//! `phiguard incident`: incidents added and updated (the register's `incident` records),
//! listed with their next deadline, shown whole, and their response timeline (see
//! `phiguard_app::incident`).

use phiguard_app::incident::{IncidentReport, IncidentRow};
use phiguard_app::installation::Purpose;
use phiguard_core::escape_controls;
use phiguard_incident::deadlines::DeadlineState;
use phiguard_incident::lateness::VendorReport;
use phiguard_register::Kind;
use phiguard_register::records::IncidentEvent;

use crate::Outcome;
use crate::cli::{GlobalArgs, IncidentCommand, RecordAction, TimelineArgs};
use crate::commands::breach::{assessment_text, deadlines_text};
use crate::commands::register::{Session, applied_text, change_source};
use crate::output::{Output, table, time};

pub async fn run(
    global: &GlobalArgs,
    command: &IncidentCommand,
    out: &Output,
) -> anyhow::Result<Outcome> {
    Session::run_for(
        global,
        out,
        purpose(command),
        async |session| match command {
            IncidentCommand::Record(record) => recorded(session, &record.action).await,
            IncidentCommand::List(args) => {
                let rows =
                    phiguard_app::incident::list(session.app, args.status, args.today).await?;
                out.result(&rows, || list_text(&rows));
                Ok(Outcome::Ok)
            }
            IncidentCommand::Show(args) => {
                let report =
                    phiguard_app::incident::show(session.app, &args.id, args.today).await?;
                out.result(&report, || report_text(&report));
                Ok(Outcome::Ok)
            }
            IncidentCommand::Timeline(args) => timeline(session, args).await,
        },
    )
    .await
}

/// Adding an incident may start a home, as adding any record does; everything else needs the
/// incident, so a home that exists.
fn purpose(command: &IncidentCommand) -> Purpose {
    match command {
        IncidentCommand::Record(record) => record.action.purpose(),
        IncidentCommand::Timeline(args) if !args.entry.given.is_empty() => Purpose::Amend,
        IncidentCommand::List(_) | IncidentCommand::Show(_) | IncidentCommand::Timeline(_) => {
            Purpose::Read
        }
    }
}

/// `add` as `phiguard register incident add`; `update` warns when it closes an incident
/// whose notices are not all given.
async fn recorded(session: &Session<'_>, action: &RecordAction) -> anyhow::Result<Outcome> {
    let applied = match action {
        RecordAction::Add { id, fields, change } => {
            let values = fields.values(phiguard_app::register::document)?;
            phiguard_app::register::add_drafted(
                session.app,
                Kind::Incident,
                id.as_deref(),
                values,
                &change_source(change),
                session.out,
            )
            .await?
        }
        RecordAction::Update {
            id,
            fields,
            unset,
            change,
        } => {
            let values = fields.values(phiguard_app::register::document)?;
            phiguard_app::incident::update(
                session.app,
                id,
                values,
                unset,
                &change_source(change),
                session.out,
            )
            .await?
        }
        other => anyhow::bail!("`phiguard incident` has no such subcommand: {other:?}"),
    };
    session.out.result(&applied, || applied_text(&applied));
    Ok(Outcome::Ok)
}

async fn timeline(session: &Session<'_>, args: &TimelineArgs) -> anyhow::Result<Outcome> {
    if args.entry.given.is_empty() {
        let events = phiguard_app::incident::timeline(session.app, &args.id).await?;
        session.out.result(&events, || {
            if events.is_empty() {
                format!(
                    "Incident {} has no timeline yet; add a step with `phiguard incident \
                     timeline {} --phase detection --at TIME --note TEXT`.",
                    args.id, args.id
                )
            } else {
                timeline_text(&events)
            }
        });
        return Ok(Outcome::Ok);
    }
    let values = args.entry.given.values(phiguard_app::register::document)?;
    let applied = phiguard_app::incident::add_event(
        session.app,
        &args.id,
        values,
        &change_source(&args.change),
        session.out,
    )
    .await?;
    session.out.result(&applied, || applied_text(&applied));
    Ok(Outcome::Ok)
}

fn list_text(rows: &[IncidentRow]) -> String {
    if rows.is_empty() {
        return "No incidents; record one with `phiguard incident add`.".into();
    }
    let cells: Vec<[String; 8]> = rows
        .iter()
        .map(|row| {
            let (next, left) = match &row.next_deadline {
                Some(next) => (
                    format!(
                        "{}{} {}",
                        next.recipient.as_str(),
                        next.jurisdiction
                            .as_ref()
                            .map(|s| format!(" ({s})"))
                            .unwrap_or_default(),
                        next.due
                    ),
                    if next.state == DeadlineState::Overdue {
                        format!("{} OVERDUE", next.days_left)
                    } else {
                        next.days_left.to_string()
                    },
                ),
                None => ("-".into(), "-".into()),
            };
            [
                escape_controls(&row.id).into_owned(),
                row.status.to_string(),
                phiguard_register::records::utc_day(row.discovered).to_string(),
                row.source.to_string(),
                row.total_affected.to_string(),
                row.conclusion
                    .map_or_else(|| "not assessed".to_owned(), |c| c.to_string()),
                next,
                left,
            ]
        })
        .collect();
    table(
        [
            "ID",
            "STATUS",
            "DISCOVERED",
            "SOURCE",
            "AFFECTED",
            "ASSESSMENT",
            "NEXT DEADLINE",
            "DAYS LEFT",
        ],
        &cells,
    )
}

fn timeline_text(events: &[IncidentEvent]) -> String {
    events
        .iter()
        .map(|event| {
            format!(
                "{}  {:<12} {}{}",
                time(event.at),
                event.phase.as_str(),
                escape_controls(&event.note),
                event
                    .by
                    .as_deref()
                    .map(|by| format!(" ({})", escape_controls(by)))
                    .unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn vendor_text(report: &VendorReport) -> String {
    let vendor = report.vendor.as_deref().unwrap_or("the vendor");
    let Some(took) = report.took else {
        return format!(
            "Reported by {} on {}; when it discovered the incident is not recorded, so the \
             report cannot be judged (record it with `phiguard incident update {} \
             --vendor-discovered TIME`).",
            escape_controls(vendor),
            time(report.reported),
            report.incident
        );
    };
    let hours = took.as_secs() / 3600;
    let discovered = report
        .vendor_discovered
        .map(|at| format!(" ({})", time(at)))
        .unwrap_or_default();
    let mut lines = vec![format!(
        "{} reported it {}, {} days {} hours after discovering it{discovered}:",
        escape_controls(vendor),
        time(report.reported),
        hours / 24,
        hours % 24
    )];
    for window in &report.windows {
        lines.push(format!(
            "  {}: due {}, {}",
            window.agreed.describe(),
            time(window.due),
            if window.late { "LATE" } else { "on time" }
        ));
    }
    lines.join("\n")
}

fn report_text(report: &IncidentReport) -> String {
    let incident = &report.incident;
    let mut lines = vec![
        format!(
            "Incident {}: {}",
            escape_controls(&incident.id),
            escape_controls(&incident.title)
        ),
        format!("status: {}", incident.status),
        format!(
            "reported by: {} ({})",
            escape_controls(&incident.reported_by),
            incident.source
        ),
        format!("discovered: {}", time(incident.discovered)),
    ];
    if incident.occurred_from.is_some() || incident.occurred_to.is_some() {
        let day =
            |d: Option<jiff::civil::Date>| d.map_or_else(|| "?".to_owned(), |d| d.to_string());
        lines.push(format!(
            "occurred: {} to {}",
            day(incident.occurred_from),
            day(incident.occurred_to)
        ));
    }
    if let Some(description) = &incident.description {
        lines.push(format!("description: {}", escape_controls(description)));
    }
    if !incident.phi.is_empty() {
        let kinds: Vec<&str> = incident.phi.iter().map(|k| k.as_str()).collect();
        lines.push(format!("PHI involved: {}", kinds.join(", ")));
    }
    let states: Vec<String> = incident
        .affected_by_state()
        .iter()
        .map(|(state, n)| format!("{state} {n}"))
        .collect();
    lines.push(format!(
        "affected: {}{}",
        incident.total_affected(),
        if states.is_empty() {
            String::new()
        } else {
            format!(" ({})", states.join(", "))
        }
    ));
    if !incident.individuals.is_empty() {
        lines.push(format!(
            "individuals listed (pseudonymised): {}",
            incident.individuals.len()
        ));
    }
    if let Some(contacts) = incident.insufficient_contacts {
        lines.push(format!("without usable contact details: {contacts}"));
    }
    for (what, list) in [
        ("systems", &incident.systems),
        ("vendors", &incident.vendors),
    ] {
        if !list.is_empty() {
            lines.push(format!("{what}: {}", escape_controls(&list.join(", "))));
        }
    }
    if let Some(baa) = &incident.baa {
        lines.push(format!("BAA: {}", escape_controls(baa)));
    }
    if let Some(consequences) = &incident.consequences {
        lines.push(format!("consequences: {}", escape_controls(consequences)));
    }
    if let Some(evidence) = report.evidence {
        lines.push(format!(
            "recorded in ledger entry {} (`phiguard register history incident {}`)",
            evidence.seq, incident.id
        ));
    }
    lines.push(String::new());
    lines.push("Timeline:".into());
    if report.timeline.is_empty() {
        lines.push(format!(
            "  none yet (`phiguard incident timeline {} --phase detection --at TIME --note TEXT`)",
            incident.id
        ));
    } else {
        for line in timeline_text(&report.timeline).lines() {
            lines.push(format!("  {line}"));
        }
    }
    lines.push(String::new());
    lines.push("Breach assessment:".into());
    match &report.assessment {
        Some(assessment) => {
            for line in assessment_text(assessment).lines() {
                lines.push(format!("  {line}"));
            }
        }
        None => lines.push(format!(
            "  not assessed: a breach is presumed until an assessment shows otherwise (45 CFR \
             164.402(2)); `phiguard breach assess {}`",
            incident.id
        )),
    }
    if let Some(vendor) = &report.vendor_report {
        lines.push(String::new());
        lines.push("Vendor report:".into());
        for line in vendor_text(vendor).lines() {
            lines.push(format!("  {line}"));
        }
    }
    lines.push(String::new());
    lines.push("Deadlines:".into());
    for line in deadlines_text(&report.deadlines).lines().skip(1) {
        lines.push(if line.is_empty() {
            String::new()
        } else {
            format!("  {line}")
        });
    }
    lines.join("\n")
}
