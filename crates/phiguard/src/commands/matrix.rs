//! `phiguard matrix`: the responsibility matrix a cloud provider publishes, imported from CSV
//! and exported again.

use std::io::Write;

use anyhow::Context;
use phiguard_register::exchange::matrix_csv;
use phiguard_register::{AnyRecord, Change};

use crate::Outcome;
use crate::cli::{GlobalArgs, MatrixCommand};
use crate::commands::register::Session;
use crate::output::Output;
use phiguard_app::installation::Purpose;
use phiguard_app::session::{builtin_catalog, known_controls};

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
            let rows = matrix_csv::read(file, known_controls(&builtin_catalog()?))?;
            let current = session.register.snapshot().await?;
            let changes = matrix_csv::changes(&current, rows);
            if let Some(note) = without_vendor(&changes) {
                out.note(&note);
            }
            if *dry_run {
                phiguard_app::register::vet(&changes, out)??;
                let planned = phiguard_register::plan(&current, &changes)?.0;
                out.result(&planned, || {
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
                });
                Ok(Outcome::Ok)
            } else {
                session.apply(&changes, change).await
            }
        }
        MatrixCommand::Export { file } => {
            let snapshot = session.register.snapshot().await?;
            if file.as_os_str() == "-" {
                let mut stdout = std::io::stdout().lock();
                matrix_csv::write(&snapshot, &mut stdout).context("could not write the matrix")?;
                stdout.flush().ok();
            } else {
                let dir = file
                    .parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .unwrap_or(std::path::Path::new("."));
                let mut temp = tempfile::NamedTempFile::new_in(dir)
                    .with_context(|| format!("could not write into {}", dir.display()))?;
                matrix_csv::write(&snapshot, &mut temp)
                    .with_context(|| format!("could not write {}", file.display()))?;
                temp.persist(file)
                    .with_context(|| format!("could not write {}", file.display()))?;
                out.note(&format!(
                    "Wrote {} controls to {}.",
                    snapshot.matrix.len(),
                    file.display()
                ));
            }
            Ok(Outcome::Ok)
        }
    })
    .await
}

/// A note naming the imported rows a provider carries that name no vendor: a provider's own
/// matrix never says which vendor in the organisation's register it is, and until someone does,
/// nothing ties those controls to a BAA or an assurance report.
fn without_vendor(changes: &[Change]) -> Option<String> {
    const SHOWN: usize = 8;
    let mut controls: Vec<_> = changes
        .iter()
        .filter_map(|change| match change {
            Change::Put(AnyRecord::Responsibility(row)) if row.lacks_vendor() => {
                Some(row.control())
            }
            _ => None,
        })
        .collect();
    if controls.is_empty() {
        return None;
    }
    controls.sort();
    let mut listed = controls
        .iter()
        .take(SHOWN)
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    if controls.len() > SHOWN {
        listed.push_str(&format!(" and {} more", controls.len() - SHOWN));
    }
    Some(format!(
        "Note: {} left to the provider name no vendor ({listed}), so nothing ties them to a \
         BAA or an assurance report. Add a `vendor` column with the provider's id in the \
         register, or name it per control with `phiguard register responsibility update \
         CONTROL --vendor VENDOR`.",
        if controls.len() == 1 {
            "1 control".to_owned()
        } else {
            format!("{} controls", controls.len())
        }
    ))
}
