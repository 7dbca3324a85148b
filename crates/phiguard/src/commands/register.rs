//! `phiguard register`: add, list, show, update and remove every kind of record; history;
//! export and import as YAML; the register checks.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use jiff::civil::Date;
use phiguard_core::ControlId;
use phiguard_core::spelling::count;
use phiguard_core::{CheckContext, Source};
use phiguard_register::draft::{self, canonical_id};
use phiguard_register::exchange::matrix_csv;
use phiguard_register::records::{Document, Record, ResponsibilityRecord};
use phiguard_register::{
    AnyRecord, Applied, Change, Kind, Planned, Problem, Register, RegisterError, Snapshot,
};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::Outcome;
use crate::cli::{ChangeArgs, GlobalArgs, RecordAction, RecordCommand, RegisterCommand};
use crate::commands::check_run::{self, Summary};
use crate::installation::{Installation, Purpose};
use crate::output::Output;

pub async fn run(
    global: &GlobalArgs,
    command: &RegisterCommand,
    out: &Output,
) -> anyhow::Result<Outcome> {
    let purpose = purpose(command);
    Session::run_for(global, out, purpose, async |session| match command {
        RegisterCommand::Record(c) => session.records(c).await,
        RegisterCommand::History { kind, id } => session.history(*kind, id).await,
        RegisterCommand::Export { dir } => session.export(dir).await,
        RegisterCommand::Import {
            dir,
            dry_run,
            change,
        } => session.import(dir, *dry_run, change).await,
        RegisterCommand::Check => session.check().await,
    })
    .await
}

/// Whether a register command may start a home: adding records and the register checks
/// record evidence that needs nothing before; reading needs a home, and so does changing a
/// record that must already be there.
fn purpose(command: &RegisterCommand) -> Purpose {
    match command {
        RegisterCommand::Record(c) => c.purpose(),
        RegisterCommand::History { .. } | RegisterCommand::Export { .. } => Purpose::Read,
        RegisterCommand::Import { dry_run: true, .. } => Purpose::Read,
        RegisterCommand::Import { .. } | RegisterCommand::Check => Purpose::Record,
    }
}

impl RecordCommand {
    fn purpose(&self) -> Purpose {
        match self.action {
            RecordAction::Add { .. } => Purpose::Record,
            RecordAction::List | RecordAction::Show { .. } => Purpose::Read,
            RecordAction::Update { .. } | RecordAction::Remove { .. } => Purpose::Amend,
        }
    }
}

/// What a register command works with.
pub struct Session<'a> {
    pub installation: &'a Installation,
    pub register: &'a Register,
    pub out: &'a Output,
}

/// Today, as the register's checks count days.
pub fn today() -> Date {
    phiguard_register::records::utc_day(jiff::Timestamp::now())
}

/// Who a change is recorded as made by: the OS account, after the name `--actor` states.
/// Records kept by people name no host.
pub fn change_source(change: &ChangeArgs) -> Source {
    Source {
        host: None,
        agent: crate::installation::local_source().agent,
        actor: Some(crate::installation::actor(change.actor.as_deref())),
    }
}

/// A file kept as evidence, by its path and SHA-256.
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

#[derive(Debug, Serialize)]
struct Listed {
    kind: Kind,
    id: String,
    record: Value,
    /// The ledger entry that recorded this state.
    evidence: Option<phiguard_core::EvidenceRef>,
}

impl Session<'_> {
    /// Opens the installation for a command that records evidence (creating a missing home),
    /// runs `work` on its register, and closes the database whatever the outcome.
    pub async fn run(
        global: &GlobalArgs,
        out: &Output,
        work: impl AsyncFnOnce(&Session<'_>) -> anyhow::Result<Outcome>,
    ) -> anyhow::Result<Outcome> {
        Session::run_for(global, out, Purpose::Record, work).await
    }

    /// As [`Session::run`], for a command with the given purpose: one that reads or amends
    /// needs a home that exists.
    pub async fn run_for(
        global: &GlobalArgs,
        out: &Output,
        purpose: Purpose,
        work: impl AsyncFnOnce(&Session<'_>) -> anyhow::Result<Outcome>,
    ) -> anyhow::Result<Outcome> {
        let installation = Installation::open(global, purpose, out).await?;
        let register = Register::new(installation.store.clone());
        let outcome = work(&Session {
            installation: &installation,
            register: &register,
            out,
        })
        .await;
        let closed = installation.close().await;
        let outcome = outcome?;
        closed?;
        Ok(outcome)
    }

    async fn records(&self, command: &RecordCommand) -> anyhow::Result<Outcome> {
        let kind = command.kind;
        match &command.action {
            RecordAction::Add { id, fields, change } => {
                let snapshot = self.register.snapshot().await?;
                let values = fields.values(document)?;
                let record = draft::new_record(kind, id.as_deref(), values, &snapshot, today())?;
                self.apply(&[Change::Create(record)], change).await
            }
            RecordAction::List => {
                let snapshot = self.register.snapshot().await?;
                let listed: Vec<Listed> = snapshot
                    .records(kind)
                    .into_iter()
                    .map(|record| Listed {
                        kind,
                        id: record.id().to_owned(),
                        evidence: snapshot.evidence_of(kind, record.id()),
                        record: record.to_json(),
                    })
                    .collect();
                self.out.result(&listed, || {
                    if listed.is_empty() {
                        return format!(
                            "No {} yet; add one with `phiguard register {kind} add`.",
                            kind.title()
                        );
                    }
                    listed
                        .iter()
                        .map(|l| {
                            format!(
                                "{:<28} {}",
                                phiguard_core::Escaped(&l.id),
                                summary(&l.record)
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("\n")
                });
                Ok(Outcome::Ok)
            }
            RecordAction::Show { id } => {
                let snapshot = self.register.snapshot().await?;
                let id = canonical_id(kind, id);
                let record = snapshot
                    .get(kind, &id)
                    .ok_or_else(|| RegisterError::Missing {
                        kind,
                        id: id.clone(),
                    })?;
                let shown = Listed {
                    kind,
                    id: id.clone(),
                    evidence: snapshot.evidence_of(kind, &id),
                    record: record.to_json(),
                };
                self.out.result(&shown, || {
                    let mut text = fields_text(&shown.record);
                    if let Some(evidence) = shown.evidence {
                        text.push_str(&format!(
                            "\nrecorded in ledger entry {} (`phiguard register history {kind} {id}`)",
                            evidence.seq
                        ));
                    }
                    text
                });
                Ok(Outcome::Ok)
            }
            RecordAction::Update {
                id,
                fields,
                unset,
                change,
            } => {
                let snapshot = self.register.snapshot().await?;
                let id = canonical_id(kind, id);
                let record = snapshot
                    .get(kind, &id)
                    .ok_or_else(|| RegisterError::Missing {
                        kind,
                        id: id.clone(),
                    })?;
                let changed = draft::updated_record(&record, fields.values(document)?, unset)?;
                self.apply(&[Change::Update(changed)], change).await
            }
            RecordAction::Remove { id, change } => {
                let id = canonical_id(kind, id);
                self.apply(&[Change::Delete { kind, id }], change).await
            }
        }
    }

    /// Applies `changes` and reports each one with its ledger entry.
    pub async fn apply(&self, changes: &[Change], change: &ChangeArgs) -> anyhow::Result<Outcome> {
        self.vet(changes)??;
        let applied = self
            .register
            .apply(changes, &change_source(change), jiff::Timestamp::now())
            .await?;
        self.out.result(&applied, || applied_text(&applied));
        Ok(Outcome::Ok)
    }

    async fn history(&self, kind: Kind, id: &str) -> anyhow::Result<Outcome> {
        let id = canonical_id(kind, id);
        let history = self.register.history(kind, &id).await?;
        if history.is_empty() {
            anyhow::bail!(
                "the ledger records no change to {kind} {id:?}; check the kind and id with `phiguard register {kind} list`"
            );
        }
        self.out.result(&history, || {
            history
                .iter()
                .map(|entry| {
                    let mut text = format!(
                        "{}  {:<6}  by {}  (ledger entry {})",
                        crate::output::time(entry.time),
                        entry.action.as_str(),
                        entry.actor.as_deref().unwrap_or("unknown"),
                        entry.evidence.seq
                    );
                    for line in diff(entry.before.as_ref(), entry.after.as_ref()) {
                        text.push_str("\n    ");
                        text.push_str(&line);
                    }
                    text
                })
                .collect::<Vec<_>>()
                .join("\n")
        });
        Ok(Outcome::Ok)
    }

    async fn export(&self, dir: &Path) -> anyhow::Result<Outcome> {
        let snapshot = self.register.snapshot().await?;
        let written = phiguard_register::exchange::yaml::export(&snapshot, dir)?;
        #[derive(Serialize)]
        struct Exported {
            dir: String,
            files: Vec<String>,
            records: usize,
        }
        let result = Exported {
            dir: dir.display().to_string(),
            files: written.iter().map(|p| p.display().to_string()).collect(),
            records: snapshot.len(),
        };
        self.out.result(&result, || {
            format!(
                "Wrote {} in {} to {}.",
                count(result.records, "record"),
                count(result.files.len(), "file"),
                result.dir
            )
        });
        Ok(Outcome::Ok)
    }

    async fn import(
        &self,
        dir: &Path,
        dry_run: bool,
        change: &ChangeArgs,
    ) -> anyhow::Result<Outcome> {
        let imported = phiguard_register::exchange::yaml::read_dir(dir)?;
        let current = self.register.snapshot().await?;
        let changes = imported.changes(&current);
        self.vet(&changes)?
            .map_err(|error| imported.locate(error))?;
        if dry_run {
            let planned = phiguard_register::plan(&current, &changes)
                .map_err(|error| imported.locate(error))?
                .0;
            self.out.result(&planned, || planned_text(&planned, true));
            return Ok(Outcome::Ok);
        }
        let applied = self
            .register
            .apply(&changes, &change_source(change), jiff::Timestamp::now())
            .await
            .map_err(|error| imported.locate(error))?;
        self.out.result(&applied, || applied_text(&applied));
        Ok(Outcome::Ok)
    }

    /// Holds `changes` against the catalog before they are planned: refuses the matrix rows
    /// that cite no control of it (the inner error, which an import locates in its files), and
    /// warns of every row that hands the provider a duty the regulation leaves with the
    /// organisation. Such a row is still recorded (a provider's matrix is what it is), and the
    /// assessment fails the control until someone corrects it.
    pub fn vet(&self, changes: &[Change]) -> anyhow::Result<Result<(), RegisterError>> {
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
            self.out.note(&format!("warning: {warning}"));
        }
        Ok(Ok(()))
    }

    async fn check(&self) -> anyhow::Result<Outcome> {
        let (checks, recorded, _) = self.run_checks().await?;
        let summary = Summary::of(&recorded.findings);
        #[derive(Serialize)]
        struct Checked<'a> {
            run_id: i64,
            checks: usize,
            summary: &'a Summary,
            evidence: phiguard_core::EvidenceRef,
            findings: &'a [phiguard_core::Finding],
        }
        let result = Checked {
            run_id: recorded.run_id,
            checks,
            summary: &summary,
            evidence: recorded.evidence,
            findings: &recorded.findings,
        };
        self.out.result(&result, || {
            let mut text = check_run::attention_table(&recorded.findings);
            text.push_str(&check_run::summary_lines(
                &count(result.checks, "register check"),
                &summary,
                result.run_id,
                result.evidence,
            ));
            if summary.fail + summary.error > 0 {
                text.push_str(check_run::REMEDIATION_HINT);
            }
            text
        });
        Ok(if recorded.findings.iter().any(|f| f.status.is_failing()) {
            Outcome::FailingFindings
        } else {
            Outcome::Ok
        })
    }

    /// Runs the register checks and stores and records their findings; returns how many
    /// checks ran, and the register they judged (which `assess` reads its attestations and
    /// matrix from, so both see one state). `phiguard register check` and `phiguard assess`
    /// both run them through here.
    pub async fn run_checks(
        &self,
    ) -> anyhow::Result<(usize, check_run::RecordedRun, Arc<Snapshot>)> {
        let started_at = jiff::Timestamp::now();
        // Read as the ledger recorded it, so that records changed behind phiguard's back fail
        // register.integrity instead of stopping the run, and no other check judges them.
        let snapshot = Arc::new(self.register.audit().await?);
        let registry = phiguard_register::checks::registry(
            Arc::clone(&snapshot),
            &check_settings(&self.installation.home.config().register),
        )
        .context("the register checks could not be assembled")?;
        let ctx = CheckContext::new("/", started_at);
        let findings = registry.run_all(&ctx, |_| true);
        let mut context = Map::new();
        context.insert("records".into(), snapshot.len().into());
        let recorded = check_run::record(
            self.installation,
            "register.check",
            check_run::run(started_at, None, "register".into()),
            context,
            findings,
        )
        .await?;
        Ok((registry.len(), recorded, snapshot))
    }
}

/// The HIPAA catalog compiled into phiguard.
pub fn builtin_catalog() -> anyhow::Result<phiguard_assess::Catalog> {
    phiguard_assess::Catalog::builtin().context("the built-in HIPAA catalog is damaged")
}

/// Whether a citation is one of `catalog`'s controls: the only controls a matrix row may name.
/// The register cannot see the catalog (which is built on it), so readers are handed this.
pub fn known_controls(catalog: &phiguard_assess::Catalog) -> impl Fn(ControlId) -> bool + use<> {
    let known: BTreeSet<ControlId> = catalog
        .controls
        .iter()
        .filter_map(|control| control.citation)
        .collect();
    move |control| known.contains(&control)
}

/// The register checks' thresholds from phiguard.toml.
pub fn check_settings(
    config: &phiguard_home::RegisterConfig,
) -> phiguard_register::checks::Settings {
    phiguard_register::checks::Settings {
        baa_expiry_warning_days: config.baa_expiry_warning_days,
        max_breach_notice_days: config.max_breach_notice_days,
        training_due_warning_days: config.training_due_warning_days,
        review_interval_days: config.review_interval_days,
        restore_test_months: config.restore_test_months,
        max_restore_hours: config.max_restore_hours,
        min_availability_percent: config.min_availability_percent,
        record_retention_years: config.record_retention_years,
    }
}

/// One line per record in `list`: its fields but the id, compactly.
fn summary(record: &Value) -> String {
    let Value::Object(fields) = record else {
        return record.to_string();
    };
    fields
        .iter()
        .filter(|(name, _)| *name != "id" && *name != "control")
        .map(|(name, value)| format!("{name}={}", scalar(value)))
        .collect::<Vec<_>>()
        .join("  ")
}

/// A field's value for a person: text with its control characters escaped, lists joined.
fn scalar(value: &Value) -> String {
    match value {
        Value::String(text) => phiguard_core::escape_controls(text).into_owned(),
        Value::Array(items) => items.iter().map(scalar).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

/// `field: value` lines for `show`.
fn fields_text(record: &Value) -> String {
    match record {
        Value::Object(fields) => fields
            .iter()
            .map(|(name, value)| format!("{name}: {}", scalar(value)))
            .collect::<Vec<_>>()
            .join("\n"),
        other => other.to_string(),
    }
}

/// The fields a change touched, `name: before → after`.
fn diff(before: Option<&Value>, after: Option<&Value>) -> Vec<String> {
    let empty = Map::new();
    let fields = |value: Option<&Value>| match value {
        Some(Value::Object(map)) => map.clone(),
        _ => empty.clone(),
    };
    let (before, after) = (fields(before), fields(after));
    let mut names: Vec<&String> = before.keys().chain(after.keys()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter(|name| before.get(*name) != after.get(*name))
        .map(|name| {
            let show = |v: Option<&Value>| v.map_or_else(|| "(none)".to_owned(), scalar);
            format!(
                "{name}: {} → {}",
                show(before.get(name)),
                show(after.get(name))
            )
        })
        .collect()
}

fn planned_text(planned: &[Planned], dry_run: bool) -> String {
    if planned.is_empty() {
        return "Nothing to change: the register already matches.".into();
    }
    let mut lines: Vec<String> = planned
        .iter()
        .map(|p| format!("{:<6} {} {}", p.action.as_str(), p.kind, p.id))
        .collect();
    if dry_run {
        lines.push(format!(
            "{}; nothing was changed (--dry-run).",
            count(planned.len(), "change")
        ));
    }
    lines.join("\n")
}

fn applied_text(applied: &[Applied]) -> String {
    if applied.is_empty() {
        return "Nothing to change: the register already matches.".into();
    }
    applied
        .iter()
        .map(|a| {
            let verb = match a.change.action {
                phiguard_register::Action::Create => "Added",
                phiguard_register::Action::Update => "Updated",
                phiguard_register::Action::Delete => "Removed",
            };
            format!(
                "{verb} {} {} (ledger entry {})",
                a.change.kind, a.change.id, a.evidence.seq
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}
