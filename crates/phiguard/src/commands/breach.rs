//! `phiguard breach`: the notification plan for a scenario (see `phiguard_app::breach`).

use phiguard_app::breach::{Plan, PlanRequest};

use crate::Outcome;
use crate::cli::BreachCommand;
use crate::output::Output;

pub fn run(command: &BreachCommand, out: &Output) -> anyhow::Result<Outcome> {
    match command {
        BreachCommand::Plan(args) => {
            let request = PlanRequest {
                file: args.file.clone(),
                today: args.today,
            };
            let plan = phiguard_app::breach::plan(&request)?;
            out.result(&plan, || plan_text(&plan));
            Ok(Outcome::Ok)
        }
    }
}

/// "54", "0 (today)", "-3 (passed)".
fn days_left(days: i64) -> String {
    match days {
        0 => "0 (today)".into(),
        d if d < 0 => format!("{d} (passed)"),
        d => d.to_string(),
    }
}

/// The plan as a table, earliest first, then what else it says.
fn plan_text(plan: &Plan) -> String {
    let header = [
        "RECIPIENT",
        "JURISDICTION",
        "DUE",
        "DAYS LEFT",
        "CITATION",
        "REASON",
    ];
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
    let mut lines = Vec::new();
    if rows.is_empty() {
        lines.push("No notice is due.".to_owned());
    } else {
        let mut widths = header.map(str::len);
        for row in &rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let line = |cells: [&str; 6]| {
            let mut text = String::new();
            for (i, cell) in cells.iter().enumerate() {
                if i + 1 == cells.len() {
                    text.push_str(cell);
                } else {
                    let pad = widths[i] - cell.chars().count();
                    text.push_str(cell);
                    text.push_str(&" ".repeat(pad + 2));
                }
            }
            text
        };
        lines.push(line(header));
        for row in &rows {
            lines.push(line([&row[0], &row[1], &row[2], &row[3], &row[4], &row[5]]));
        }
    }
    if !plan.notes.is_empty() {
        lines.push(String::new());
        lines.push("Notes:".to_owned());
        for note in &plan.notes {
            match &note.citation {
                Some(citation) => lines.push(format!("  - {} ({citation})", note.text)),
                None => lines.push(format!("  - {}", note.text)),
            }
        }
    }
    lines.join("\n")
}
