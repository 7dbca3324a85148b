//! Register operations: the records of every kind listed, shown, added, updated and removed,
//! each change recorded in the ledger; their history; export and import as YAML; the register
//! checks; and the documents records cite, by path and SHA-256.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use phiguard_core::{CheckContext, EvidenceRef, Finding, Source};
use phiguard_register::draft::{self, canonical_id};
use phiguard_register::exchange::matrix_csv;
use phiguard_register::records::{Document, Record, ResponsibilityRecord};
use phiguard_register::{
    AnyRecord, Applied, Change, HistoryEntry, Kind, Planned, Problem, RegisterError, Snapshot,
};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::Notices;
use crate::check_run::{self, RecordedRun};
use crate::session::{Session, builtin_catalog, known_controls};

/// A record as listed and shown: its kind, id, fields, and the ledger entry of its state.
#[derive(Debug, Serialize)]
pub struct Listed {
    pub kind: Kind,
    pub id: String,
    pub record: Value,
    /// The ledger entry that recorded this state.
    pub evidence: Option<EvidenceRef>,
}

/// The records of `kind` in `snapshot`.
fn listed(snapshot: &Snapshot, kind: Kind) -> Vec<Listed> {
    snapshot
        .records(kind)
        .into_iter()
        .map(|record| Listed {
            kind,
            id: record.id().to_owned(),
            evidence: snapshot.evidence_of(kind, record.id()),
            record: record.to_json(),
        })
        .collect()
}

/// The records of `kind`.
pub async fn list(session: &Session, kind: Kind) -> anyhow::Result<Vec<Listed>> {
    Ok(listed(&session.register.snapshot().await?, kind))
}

/// The record of `kind` named `id` (a citation, for the matrix, in any of its spellings).
pub async fn show(session: &Session, kind: Kind, id: &str) -> anyhow::Result<Listed> {
    let snapshot = session.register.snapshot().await?;
    let (id, record) = stored(&snapshot, kind, id)?;
    Ok(Listed {
        kind,
        evidence: snapshot.evidence_of(kind, &id),
        record: record.to_json(),
        id,
    })
}

/// The record of `kind` named `id` in `snapshot`, with its id as stored.
fn stored(snapshot: &Snapshot, kind: Kind, id: &str) -> Result<(String, AnyRecord), RegisterError> {
    let id = canonical_id(kind, id);
    match snapshot.get(kind, &id) {
        Some(record) => Ok((id, record)),
        None => Err(RegisterError::Missing { kind, id }),
    }
}

/// Adds a record of `kind` drafted from the `values` a person gave field by field (see
/// [`draft`]): named `id`, or the id the kind makes from its fields.
pub async fn add_drafted(
    session: &Session,
    kind: Kind,
    id: Option<&str>,
    values: draft::Values,
    source: &Source,
    notices: &dyn Notices,
) -> anyhow::Result<Vec<Applied>> {
    let snapshot = session.register.snapshot().await?;
    let record = draft::new_record(kind, id, values, &snapshot, crate::session::today())?;
    add(session, record, source, notices).await
}

/// Changes the record of `kind` named `id`: the `values` given replace its fields, and the
/// fields named in `unset` are removed.
pub async fn update_drafted(
    session: &Session,
    kind: Kind,
    id: &str,
    values: draft::Values,
    unset: &[String],
    source: &Source,
    notices: &dyn Notices,
) -> anyhow::Result<Vec<Applied>> {
    let snapshot = session.register.snapshot().await?;
    let (_, record) = stored(&snapshot, kind, id)?;
    let changed = draft::updated_record(&record, values, unset)?;
    update(session, changed, source, notices).await
}

/// Adds `record`, which must be new.
pub async fn add(
    session: &Session,
    record: AnyRecord,
    source: &Source,
    notices: &dyn Notices,
) -> anyhow::Result<Vec<Applied>> {
    apply(session, &[Change::Create(record)], source, notices).await
}

/// Replaces the stored record of `record`'s kind and id with `record`.
pub async fn update(
    session: &Session,
    record: AnyRecord,
    source: &Source,
    notices: &dyn Notices,
) -> anyhow::Result<Vec<Applied>> {
    apply(session, &[Change::Update(record)], source, notices).await
}

/// Removes the record of `kind` named `id`.
pub async fn remove(
    session: &Session,
    kind: Kind,
    id: &str,
    source: &Source,
    notices: &dyn Notices,
) -> anyhow::Result<Vec<Applied>> {
    let id = canonical_id(kind, id);
    apply(session, &[Change::Delete { kind, id }], source, notices).await
}

/// Vets `changes` (see [`vet`]) and applies them, each recorded in the ledger as made by
/// `source`.
pub async fn apply(
    session: &Session,
    changes: &[Change],
    source: &Source,
    notices: &dyn Notices,
) -> anyhow::Result<Vec<Applied>> {
    vet(changes, notices)??;
    Ok(session
        .register
        .apply(changes, source, jiff::Timestamp::now())
        .await?)
}

/// Holds `changes` against the catalog before they are planned: refuses the matrix rows
/// that cite no control of it (the inner error, which an import locates in its files), and
/// warns of every row that hands the provider a duty the regulation leaves with the
/// organisation. Such a row is still recorded (a provider's matrix is what it is), and the
/// assessment fails the control until someone corrects it.
pub fn vet(changes: &[Change], notices: &dyn Notices) -> anyhow::Result<Result<(), RegisterError>> {
    let catalog = builtin_catalog()?;
    let rows: Vec<&ResponsibilityRecord> = changes
        .iter()
        .filter_map(|change| match change {
            Change::Create(AnyRecord::Responsibility(row))
            | Change::Update(AnyRecord::Responsibility(row))
            | Change::Put(AnyRecord::Responsibility(row)) => Some(row),
            _ => None,
        })
        .collect();
    let known = known_controls(&catalog);
    let problems: Vec<Problem> = rows
        .iter()
        .filter(|row| !known(row.control()))
        .map(|row| Problem {
            kind: Kind::Responsibility,
            id: row.id().to_owned(),
            message: matrix_csv::unknown_control(row.control()),
            names: None,
        })
        .collect();
    if !problems.is_empty() {
        return Ok(Err(RegisterError::Invalid { problems }));
    }
    for warning in catalog.undelegable_rows(rows) {
        notices.note(&format!("warning: {warning}"));
    }
    Ok(Ok(()))
}

/// Every change the ledger records to the record of `kind` named `id`, oldest first; an error
/// when there is none.
pub async fn history(session: &Session, kind: Kind, id: &str) -> anyhow::Result<Vec<HistoryEntry>> {
    let id = canonical_id(kind, id);
    let history = session.register.history(kind, &id).await?;
    if history.is_empty() {
        anyhow::bail!(
            "the ledger records no change to {kind} {id:?}; check the kind and id with `phiguard register {kind} list`"
        );
    }
    Ok(history)
}

/// The register written as YAML files.
#[derive(Debug, Serialize)]
pub struct Exported {
    pub dir: String,
    pub files: Vec<String>,
    pub records: usize,
}

/// Writes the register as YAML, one file per kind, into `dir`.
pub async fn export(session: &Session, dir: &Path) -> anyhow::Result<Exported> {
    let snapshot = session.register.snapshot().await?;
    let written = phiguard_register::exchange::yaml::export(&snapshot, dir)?;
    Ok(Exported {
        dir: dir.display().to_string(),
        files: written.iter().map(|p| p.display().to_string()).collect(),
        records: snapshot.len(),
    })
}

/// What an import did, or would do.
#[derive(Debug)]
pub enum Imported {
    /// A dry run: what would change.
    Planned(Vec<Planned>),
    /// What changed, each with its ledger entry.
    Applied(Vec<Applied>),
}

/// Makes the register match the YAML files in `dir` (or, with `dry_run`, says what that would
/// change); errors name the file and line of the record at fault.
pub async fn import(
    session: &Session,
    dir: &Path,
    dry_run: bool,
    source: &Source,
    notices: &dyn Notices,
) -> anyhow::Result<Imported> {
    let imported = phiguard_register::exchange::yaml::read_dir(dir)?;
    let current = session.register.snapshot().await?;
    let changes = imported.changes(&current);
    vet(&changes, notices)?.map_err(|error| imported.locate(error))?;
    if dry_run {
        let planned = phiguard_register::plan(&current, &changes)
            .map_err(|error| imported.locate(error))?
            .0;
        return Ok(Imported::Planned(planned));
    }
    let applied = session
        .register
        .apply(&changes, source, jiff::Timestamp::now())
        .await
        .map_err(|error| imported.locate(error))?;
    Ok(Imported::Applied(applied))
}

/// A run of the register checks, stored and recorded.
#[derive(Debug)]
pub struct RegisterCheck {
    /// How many checks ran.
    pub checks: usize,
    pub recorded: RecordedRun,
    /// The register they judged (which `assess` reads its attestations and matrix from, so
    /// both see one state).
    pub snapshot: Arc<Snapshot>,
}

impl RegisterCheck {
    pub fn findings(&self) -> &[Finding] {
        &self.recorded.findings
    }
}

/// Runs the register checks, and the incident checks on the same records, and stores and records their findings. `register check` and
/// `assess` both run them through here.
pub async fn check(session: &Session) -> anyhow::Result<RegisterCheck> {
    let started_at = jiff::Timestamp::now();
    // Read as the ledger recorded it, so that records changed behind phiguard's back fail
    // register.integrity instead of stopping the run, and no other check judges them.
    let snapshot = Arc::new(session.register.audit().await?);
    let mut registry = phiguard_register::checks::registry(
        Arc::clone(&snapshot),
        &session.installation.home.config().register,
    )
    .context("the register checks could not be assembled")?;
    // The incident checks judge the same snapshot: incidents are register records, and their
    // deadlines follow from the breach rules compiled in.
    let rules = crate::incident::rules()?;
    phiguard_incident::checks::add_to(&mut registry, Arc::clone(&snapshot), Arc::new(rules))
        .context("the incident checks could not be assembled")?;
    let ctx = CheckContext::new("/", started_at);
    let findings = registry.run_all(&ctx, |_| true);
    let mut context = Map::new();
    context.insert("records".into(), snapshot.len().into());
    let recorded = check_run::record(
        &session.installation,
        "register.check",
        check_run::run(started_at, None, "register".into()),
        context,
        findings,
    )
    .await?;
    Ok(RegisterCheck {
        checks: registry.len(),
        recorded,
        snapshot,
    })
}

/// A file kept as evidence, by its absolute path and SHA-256.
pub fn document(path: &Path) -> anyhow::Result<Document> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)
        .with_context(|| format!("could not open {} to record its SHA-256", path.display()))?;
    let mut context = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let read = file
            .read(&mut buffer)
            .with_context(|| format!("could not read {}", path.display()))?;
        if read == 0 {
            break;
        }
        context.update(&buffer[..read]);
    }
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    Ok(Document {
        path: absolute.display().to_string(),
        sha256: phiguard_core::hex::encode(context.finish().as_ref()),
    })
}
