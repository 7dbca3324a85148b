//! `phiguard register`: add, list, show, update and remove every kind of record; history;
//! export and import as YAML; the register checks.

use std::path::Path;

use phiguard_app::register::{self, document};
use phiguard_core::Source;
use phiguard_core::spelling::count;
use phiguard_register::{Applied, Kind, Planned};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::Outcome;
use crate::cli::{ChangeArgs, GlobalArgs, RecordAction, RecordCommand, RegisterCommand};
use crate::commands::check_run;
use crate::output::Output;
use phiguard_app::installation::Purpose;
use phiguard_core::StatusCounts;

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
        self.action.purpose()
    }
}

impl RecordAction {
    /// Adding a record may start a home; reading needs one, and so does changing a record
    /// that must already be there. Every command that mounts a kind's subcommands asks this.
    pub fn purpose(&self) -> Purpose {
        match self {
            RecordAction::Add { .. } => Purpose::Record,
            RecordAction::List | RecordAction::Show { .. } => Purpose::Read,
            RecordAction::Update { .. } | RecordAction::Remove { .. } => Purpose::Amend,
        }
    }
}

/// What a register command works with: the app's session, and where to report.
pub struct Session<'a> {
    pub app: &'a phiguard_app::Session,
    pub out: &'a Output,
}

/// Who a change is recorded as made by: the OS account, after the name `--actor` states.
pub fn change_source(change: &ChangeArgs) -> Source {
    phiguard_app::session::change_source(change.actor.as_deref())
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
        let options = super::options(global);
        phiguard_app::Session::run(&options, purpose, out, async |app| {
            work(&Session { app, out }).await
        })
        .await
    }

    async fn records(&self, command: &RecordCommand) -> anyhow::Result<Outcome> {
        let kind = command.kind;
        match &command.action {
            RecordAction::Add { id, fields, change } => {
                let source = change_source(change);
                let values = fields.values(document)?;
                let applied =
                    register::add_drafted(self.app, kind, id.as_deref(), values, &source, self.out)
                        .await?;
                self.report(&applied)
            }
            RecordAction::List => {
                let listed = register::list(self.app, kind).await?;
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
                let shown = register::show(self.app, kind, id).await?;
                let id = &shown.id;
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
                let source = change_source(change);
                let values = fields.values(document)?;
                let applied =
                    register::update_drafted(self.app, kind, id, values, unset, &source, self.out)
                        .await?;
                self.report(&applied)
            }
            RecordAction::Remove { id, change } => {
                let source = change_source(change);
                let applied = register::remove(self.app, kind, id, &source, self.out).await?;
                self.report(&applied)
            }
        }
    }

    /// Reports each change applied with its ledger entry.
    fn report(&self, applied: &[Applied]) -> anyhow::Result<Outcome> {
        self.out.result(&applied, || applied_text(applied));
        Ok(Outcome::Ok)
    }

    async fn history(&self, kind: Kind, id: &str) -> anyhow::Result<Outcome> {
        let history = register::history(self.app, kind, id).await?;
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
        let result = register::export(self.app, dir).await?;
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
        let source = change_source(change);
        match register::import(self.app, dir, dry_run, &source, self.out).await? {
            register::Imported::Planned(planned) => {
                self.out.result(&planned, || planned_text(&planned, true));
            }
            register::Imported::Applied(applied) => {
                self.out.result(&applied, || applied_text(&applied));
            }
        }
        Ok(Outcome::Ok)
    }

    async fn check(&self) -> anyhow::Result<Outcome> {
        let checked = register::check(self.app).await?;
        let recorded = &checked.recorded;
        let summary = StatusCounts::of_findings(&recorded.findings);
        #[derive(Serialize)]
        struct Checked<'a> {
            run_id: i64,
            checks: usize,
            summary: &'a StatusCounts,
            evidence: phiguard_core::EvidenceRef,
            findings: &'a [phiguard_core::Finding],
        }
        let result = Checked {
            run_id: recorded.run_id,
            checks: checked.checks,
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
            if summary.has_failing() {
                text.push_str(check_run::REMEDIATION_HINT);
            }
            text
        });
        Ok(if recorded.is_failing() {
            Outcome::FailingFindings
        } else {
            Outcome::Ok
        })
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

pub fn applied_text(applied: &[Applied]) -> String {
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
