//! The responsibility matrix a cloud provider publishes: imported from CSV into the register
//! (each row a register change in the ledger), and exported again.

use std::path::Path;

use anyhow::Context;
use phiguard_core::Source;
use phiguard_register::exchange::matrix_csv;
use phiguard_register::{AnyRecord, Change};

use crate::Notices;
use crate::register::Imported;
use crate::session::{Session, builtin_catalog, known_controls};

/// Makes the register's matrix match the CSV `file` (or, with `dry_run`, says what that would
/// change). Rows that cite no control of the catalog are refused; rows left to the provider
/// that name no vendor are pointed out to `notices`.
pub async fn import(
    session: &Session,
    file: &Path,
    dry_run: bool,
    source: &Source,
    notices: &dyn Notices,
) -> anyhow::Result<Imported> {
    let rows = matrix_csv::read(file, known_controls(&builtin_catalog()?))?;
    let current = session.register.snapshot().await?;
    let changes = matrix_csv::changes(&current, rows);
    if let Some(note) = without_vendor(&changes) {
        notices.note(&note);
    }
    if dry_run {
        crate::register::vet(&changes, notices)??;
        let planned = phiguard_register::plan(&current, &changes)?.0;
        return Ok(Imported::Planned(planned));
    }
    let applied = crate::register::apply(session, &changes, source, notices).await?;
    Ok(Imported::Applied(applied))
}

/// Writes the register's matrix as CSV to `writer`; returns how many controls it holds.
pub async fn export(session: &Session, writer: &mut dyn std::io::Write) -> anyhow::Result<usize> {
    let snapshot = session.register.snapshot().await?;
    matrix_csv::write(&snapshot, writer).context("could not write the matrix")?;
    Ok(snapshot.matrix.len())
}

/// Writes the register's matrix as CSV to `file`, which a reader never sees half written;
/// returns how many controls it holds.
pub async fn export_file(session: &Session, file: &Path) -> anyhow::Result<usize> {
    let snapshot = session.register.snapshot().await?;
    let mut csv = Vec::new();
    matrix_csv::write(&snapshot, &mut csv)
        .with_context(|| format!("could not write {}", file.display()))?;
    phiguard_home::write_atomically(file, &csv, phiguard_home::Readers::Owner)
        .with_context(|| format!("could not write {}", file.display()))?;
    Ok(snapshot.matrix.len())
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
