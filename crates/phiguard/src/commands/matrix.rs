//! `phiguard matrix`: the responsibility matrix a cloud provider publishes, imported from CSV
//! and exported again (see `phiguard_app::matrix`).

use std::io::Write;

use phiguard_app::installation::Purpose;
use phiguard_app::register::Imported;

use crate::Outcome;
use crate::cli::{GlobalArgs, MatrixCommand};
use crate::commands::register::{Session, applied_text, change_source};
use crate::output::Output;

pub async fn run(
    global: &GlobalArgs,
    command: &MatrixCommand,
    out: &Output,
) -> anyhow::Result<Outcome> {
    // A dry run and an export read; an import records.
    let purpose = match command {
        MatrixCommand::Import { dry_run: false, .. } => Purpose::Record,
        MatrixCommand::Import { dry_run: true, .. } | MatrixCommand::Export { .. } => Purpose::Read,
    };
    Session::run_for(global, out, purpose, async |session| match command {
        MatrixCommand::Import {
            file,
            dry_run,
            change,
        } => {
            let source = change_source(change);
            match phiguard_app::matrix::import(session.app, file, *dry_run, &source, out).await? {
                Imported::Planned(planned) => out.result(&planned, || {
                    if planned.is_empty() {
                        return "Nothing to change: the matrix already matches the file.".into();
                    }
                    let mut lines: Vec<String> = planned
                        .iter()
                        .map(|p| format!("{:<6} {}", p.action.as_str(), p.id))
                        .collect();
                    lines.push(format!(
                        "{} changes; nothing was changed (--dry-run).",
                        planned.len()
                    ));
                    lines.join("\n")
                }),
                Imported::Applied(applied) => out.result(&applied, || applied_text(&applied)),
            }
            Ok(Outcome::Ok)
        }
        MatrixCommand::Export { file } => {
            if file.as_os_str() == "-" {
                let mut stdout = std::io::stdout().lock();
                phiguard_app::matrix::export(session.app, &mut stdout).await?;
                stdout.flush().ok();
            } else {
                let controls = phiguard_app::matrix::export_file(session.app, file).await?;
                out.note(&format!("Wrote {controls} controls to {}.", file.display()));
            }
            Ok(Outcome::Ok)
        }
    })
    .await
}
