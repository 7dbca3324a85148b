//! `phiguard breach`: the notification plan of a scenario (`plan`, see
//! `phiguard_app::breach`), and for a recorded incident its assessment (`assess`, asking each
//! question on a terminal), the people it affects (`affected`) and its deadlines
//! (`deadlines`); see `phiguard_app::incident`.

use anyhow::Context;
use phiguard_app::breach::{Plan, PlanRequest};
use phiguard_app::incident::{AffectedRequest, AssessRequest};
use phiguard_app::installation::Purpose;
use phiguard_core::spelling::count;
use phiguard_incident::deadlines::{Deadline, DeadlineState, Deadlines, Standing};
use phiguard_register::records::BreachAssessment;

use crate::Outcome;
use crate::cli::{
    BreachAffectedArgs, BreachAssessArgs, BreachCommand, BreachDeadlinesArgs, BreachLogArgs,
    BreachNoticesArgs, GlobalArgs,
};
use crate::commands::register::{Session, applied_text, change_source};
use crate::output::{Output, table};

mod interview;

pub async fn run(
    global: &GlobalArgs,
    command: &BreachCommand,
    out: &Output,
) -> anyhow::Result<Outcome> {
    match command {
        // No home: a plan is computed from its file alone.
        BreachCommand::Plan(args) => {
            let request = PlanRequest {
                file: args.file.clone(),
                today: args.today,
            };
            let plan = phiguard_app::breach::plan(&request)?;
            out.result(&plan, || plan_text(&plan));
            Ok(Outcome::Ok)
        }
        BreachCommand::Assess(args) => {
            Session::run_for(global, out, Purpose::Amend, async |s| assess(s, args).await).await
        }
        BreachCommand::Affected(args) => {
            Session::run_for(global, out, Purpose::Amend, async |s| {
                affected(s, args).await
            })
            .await
        }
        BreachCommand::Deadlines(args) => {
            Session::run_for(global, out, Purpose::Read, async |s| {
                deadlines(s, args).await
            })
            .await
        }
        BreachCommand::Notices(args) => {
            Session::run_for(global, out, Purpose::Read, async |s| notices(s, args).await).await
        }
        BreachCommand::Log(args) => {
            Session::run_for(global, out, Purpose::Read, async |s| log(s, args).await).await
        }
    }
}

async fn assess(session: &Session<'_>, args: &BreachAssessArgs) -> anyhow::Result<Outcome> {
    let app = session.app;
    let mut request = AssessRequest {
        incident: args.incident.clone(),
        answers: args
            .answers
            .given
            .values(phiguard_app::register::document)?,
        unset: args.unset.clone(),
        sealed_evidence: None,
    };
    let snapshot = app.register.snapshot().await?;
    let incident = phiguard_app::incident::incident(&snapshot, &args.incident)?;
    if args.sealed {
        request.sealed_evidence = Some(phiguard_app::incident::sealed_evidence(
            app,
            &crate::keys::Terminal,
        )?);
    }
    let current = phiguard_app::incident::assessment_of(&snapshot, &incident.id);
    if !args.no_input && session.out.is_interactive() {
        let stdin = std::io::stdin();
        let mut input = stdin.lock();
        let mut prompts = std::io::stderr();
        interview::Interview::new(&mut input, &mut prompts).run(
            incident,
            current,
            &mut request,
            args.change.actor.as_deref(),
        )?;
    } else if current.is_none() {
        let missing = interview::missing_flags(&request.answers);
        anyhow::ensure!(
            missing.is_empty(),
            "the breach assessment of {} needs answers that were not given: {}; give them as \
             flags, or run `phiguard breach assess {}` on a terminal to be asked",
            incident.id,
            missing.join(", "),
            incident.id
        );
    }
    let source = change_source(&args.change);
    let assessed = phiguard_app::incident::assess(app, &request, &source, session.out).await?;
    session.out.result(&assessed, || {
        let mut text = format!(
            "The breach assessment of {} concludes: {}.\n{}",
            assessed.assessment.incident,
            assessed.assessment.conclusion,
            applied_text(&assessed.applied)
        );
        if let Some(was) = assessed.status_was {
            text.push_str(&format!(
                "\nThe incident's status went from {was} to assessed."
            ));
        }
        text.push_str(&format!(
            "\nIts deadlines: `phiguard breach deadlines {}`",
            assessed.assessment.incident
        ));
        text
    });
    Ok(Outcome::Ok)
}

async fn affected(session: &Session<'_>, args: &BreachAffectedArgs) -> anyhow::Result<Outcome> {
    let request = AffectedRequest {
        incident: args.incident.clone(),
        file: args.csv.clone(),
    };
    let source = change_source(&args.change);
    let imported = phiguard_app::incident::import_affected(
        session.app,
        &request,
        &crate::keys::Terminal,
        &source,
        session.out,
    )
    .await?;
    if !imported.has_address {
        session.out.note(
            "note: the file has no address column, so two people with the same name count as \
             one; add addresses to tell them apart",
        );
    }
    session.out.result(&imported, || {
        let states: Vec<String> = imported
            .by_state
            .iter()
            .map(|(state, n)| format!("{state} {n}"))
            .collect();
        let mut text = format!(
            "{} affected by {} ({} read, {} counted once): {}.",
            count(imported.individuals, "person").replace("persons", "people"),
            imported.incident,
            count(imported.rows, "row"),
            count(imported.duplicates, "duplicate"),
            states.join(", ")
        );
        text.push('\n');
        text.push_str(&if imported.applied.is_empty() {
            "The incident already lists exactly these people: nothing changed.".to_owned()
        } else {
            applied_text(&imported.applied)
        });
        text.push_str(&format!(
            "\nIts deadlines: `phiguard breach deadlines {}`",
            imported.incident
        ));
        text
    });
    Ok(Outcome::Ok)
}

async fn deadlines(session: &Session<'_>, args: &BreachDeadlinesArgs) -> anyhow::Result<Outcome> {
    let deadlines =
        phiguard_app::incident::deadlines(session.app, &args.incident, args.today).await?;
    session
        .out
        .result(&deadlines, || deadlines_text(&deadlines));
    let overdue = deadlines
        .deadlines
        .iter()
        .any(|d| d.state == DeadlineState::Overdue);
    Ok(if overdue {
        Outcome::FailingFindings
    } else {
        Outcome::Ok
    })
}

/// "54", "0 (today)", "-3 (passed)".
fn days_left(days: i64) -> String {
    match days {
        0 => "0 (today)".into(),
        d if d < 0 => format!("{d} (passed)"),
        d => d.to_string(),
    }
}

/// Notes as a list under "Notes:", with their citations.
fn notes_text(notes: &[phiguard_breach::Note]) -> String {
    let mut lines = vec!["Notes:".to_owned()];
    for note in notes {
        match &note.citation {
            Some(citation) => lines.push(format!("  - {} ({citation})", note.text)),
            None => lines.push(format!("  - {}", note.text)),
        }
    }
    lines.join("\n")
}

/// The plan as a table, earliest first, then what else it says.
fn plan_text(plan: &Plan) -> String {
    let rows: Vec<[String; 6]> = plan
        .notices
        .iter()
        .map(|notice| {
            [
                notice.recipient.as_str().to_owned(),
                notice
                    .jurisdiction
                    .clone()
                    .unwrap_or_else(|| "federal".into()),
                notice.due.to_string(),
                days_left(notice.days_left),
                notice.citation.clone(),
                // A notice marked for counsel review says so in its reason.
                notice.reason.clone(),
            ]
        })
        .collect();
    let mut text = if rows.is_empty() {
        "No notice is due.".to_owned()
    } else {
        table(
            [
                "RECIPIENT",
                "JURISDICTION",
                "DUE",
                "DAYS LEFT",
                "CITATION",
                "REASON",
            ],
            &rows,
        )
    };
    if !plan.notes.is_empty() {
        text.push_str("\n\n");
        text.push_str(&notes_text(&plan.notes));
    }
    text
}

/// Where a deadline stands: "met 2026-03-20 (ID)", "overdue", "open".
fn deadline_state(deadline: &Deadline) -> String {
    match (&deadline.given, deadline.state) {
        (Some(given), DeadlineState::MetLate) => {
            format!("met late {} ({})", given.sent, given.id)
        }
        (Some(given), _) => format!("met {} ({})", given.sent, given.id),
        (None, DeadlineState::Overdue) => "OVERDUE".into(),
        (None, _) => "open".into(),
    }
}

/// An incident's deadlines as a table, earliest first, then the notes.
pub fn deadlines_text(deadlines: &Deadlines) -> String {
    let rows: Vec<[String; 7]> = deadlines
        .deadlines
        .iter()
        .map(|deadline| {
            let notice = &deadline.notice;
            [
                notice.recipient.as_str().to_owned(),
                notice
                    .jurisdiction
                    .clone()
                    .unwrap_or_else(|| "federal".into()),
                notice.due.to_string(),
                if deadline.given.is_some() {
                    "-".into()
                } else {
                    days_left(notice.days_left)
                },
                deadline_state(deadline),
                notice.citation.clone(),
                notice.reason.clone(),
            ]
        })
        .collect();
    let mut text = format!(
        "Incident {}, discovered {}.\n",
        deadlines.incident, deadlines.discovered
    );
    if rows.is_empty() {
        text.push_str("No notice is due.");
    } else {
        text.push_str(&table(
            [
                "RECIPIENT",
                "JURISDICTION",
                "DUE",
                "DAYS LEFT",
                "GIVEN",
                "CITATION",
                "REASON",
            ],
            &rows,
        ));
    }
    if !deadlines.notes.is_empty() {
        text.push_str("\n\n");
        text.push_str(&notes_text(&deadlines.notes));
    }
    let overdue = deadlines
        .deadlines
        .iter()
        .filter(|d| d.state == DeadlineState::Overdue)
        .count();
    if overdue > 0 {
        let (what, it, each) = if overdue == 1 {
            ("1 notice is".to_owned(), "it", "it")
        } else {
            (format!("{overdue} notices are"), "them", "each")
        };
        text.push_str(&format!(
            "\n\n{what} overdue: give {it} and record {each} with `phiguard register \
             breach-notice add --incident {} --recipient RECIPIENT`.",
            deadlines.incident
        ));
    }
    text
}

/// The assessment's answers, each with its rationale, as lines.
pub fn assessment_text(assessment: &BreachAssessment) -> String {
    let why = |text: Option<&str>| {
        text.map(|t| format!(": {}", phiguard_core::escape_controls(t)))
            .unwrap_or_default()
    };
    let mut lines = vec![
        format!(
            "Conclusion: {} (decided {} by {})",
            assessment.conclusion,
            assessment.decided,
            phiguard_core::escape_controls(&assessment.decided_by)
        ),
        format!("  role: {}", assessment.role.as_str()),
        format!(
            "  exclusion (45 CFR 164.402(1)): {}{}",
            assessment.exclusion.map_or("none", |e| e.as_str()),
            why(assessment.exclusion_rationale.as_deref())
        ),
        format!(
            "  safe harbour (secured): {}{}",
            if assessment.secured { "yes" } else { "no" },
            why(assessment.secured_rationale.as_deref())
        ),
    ];
    if let Some(evidence) = &assessment.sealed_evidence {
        lines.push(format!(
            "  phiguard's keyring: {}",
            phiguard_core::escape_controls(evidence)
        ));
    }
    for (number, (name, level, rationale)) in assessment.factors().into_iter().enumerate() {
        lines.push(format!(
            "  factor {} ({name}): {}{}",
            number + 1,
            level.map_or("not assessed", |l| l.as_str()),
            why(rationale)
        ));
    }
    match assessment.delay {
        Some(kind) => lines.push(format!(
            "  law-enforcement delay (45 CFR 164.412): {kind}{}{}",
            assessment
                .delay_stated
                .map(|d| format!(", stated {d}"))
                .unwrap_or_default(),
            assessment
                .delay_until
                .map(|d| format!(", until {d}"))
                .unwrap_or_default()
        )),
        None => lines.push("  law-enforcement delay (45 CFR 164.412): none".into()),
    }
    if let Some(days) = assessment.baa_window_days {
        lines.push(format!(
            "  BAA window to notify the covered entity: {days} days"
        ));
    }
    lines.join("\n")
}

async fn notices(session: &Session<'_>, args: &BreachNoticesArgs) -> anyhow::Result<Outcome> {
    let request = phiguard_app::breach::NoticesRequest {
        incident: args.incident.clone(),
        out: args.out.clone(),
        force: args.force,
        today: args.today,
    };
    let written = phiguard_app::breach::notices(session.app, &request).await?;
    session.out.result(&written, || {
        if written.drafts.is_empty() {
            let mut text = format!(
                "No notice is due for {}; nothing was written.",
                written.incident
            );
            if !written.notes.is_empty() {
                text.push_str("\n\n");
                text.push_str(&notes_text(&written.notes));
            }
            return text;
        }
        let rows: Vec<[String; 4]> = written
            .drafts
            .iter()
            .flat_map(|draft| {
                draft.files.iter().map(|file| {
                    [
                        file.path.clone(),
                        draft.due.to_string(),
                        draft.citation.clone(),
                        file.to_fill.to_string(),
                    ]
                })
            })
            .collect();
        let mut text = format!(
            "Drafted {} for {} in {}:\n",
            count(written.drafts.len(), "notice"),
            written.incident,
            written.dir
        );
        text.push_str(&table(["FILE", "DUE", "CITATION", "TO FILL IN"], &rows));
        text.push_str(
            "\n\nFill in every place marked TO FILL IN, have the drafts reviewed, and record \
             each notice when it is given (`phiguard register breach-notice add`).",
        );
        text
    });
    Ok(Outcome::Ok)
}

async fn log(session: &Session<'_>, args: &BreachLogArgs) -> anyhow::Result<Outcome> {
    let log = phiguard_app::breach::log(session.app, args.year).await?;
    if let Some(file) = &args.csv {
        let csv = phiguard_app::breach::log_csv(&log)?;
        phiguard_home::write_atomically(file, &csv, phiguard_home::Readers::Owner)
            .with_context(|| format!("could not write {}", file.display()))?;
        session.out.note(&format!(
            "Wrote the {} log of {} to {}.",
            log.year,
            count(log.entries.len(), "breach"),
            file.display()
        ));
    }
    session.out.result(&log, || log_text(&log));
    Ok(Outcome::Ok)
}

/// The annual log as a table, then when it is due.
fn log_text(log: &phiguard_app::breach::AnnualLog) -> String {
    let day = |d: Option<jiff::civil::Date>| d.map_or_else(|| "-".to_owned(), |d| d.to_string());
    let mut text = if log.entries.is_empty() {
        format!(
            "No breach affecting fewer than 500 was discovered in {}.",
            log.year
        )
    } else {
        let rows: Vec<[String; 7]> = log
            .entries
            .iter()
            .map(|entry| {
                [
                    entry.incident.clone(),
                    entry.discovered.to_string(),
                    match (entry.occurred_from, entry.occurred_to) {
                        (None, None) => "unknown".to_owned(),
                        (from, to) => format!("{} to {}", day(from), day(to)),
                    },
                    entry.affected.to_string(),
                    if entry.standing == Standing::NotAssessed {
                        "not assessed".to_owned()
                    } else {
                        "notifiable".to_owned()
                    },
                    day(entry.individuals_notified),
                    day(entry.reported_to_hhs),
                ]
            })
            .collect();
        table(
            [
                "INCIDENT",
                "DISCOVERED",
                "BREACH",
                "AFFECTED",
                "ASSESSMENT",
                "NOTIFIED",
                "REPORTED",
            ],
            &rows,
        )
    };
    let unreported = log.unreported().count();
    text.push_str(&format!(
        "\n\nDue to HHS by {} ({}){}.",
        log.due,
        log.citation,
        if unreported > 0 {
            format!("; {} not reported yet", count(unreported, "breach"))
        } else {
            String::new()
        }
    ));
    text
}
