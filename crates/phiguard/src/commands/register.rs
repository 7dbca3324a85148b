//! `phiguard register`: add, list, show, update and remove every kind of record; history;
//! export and import as YAML; the register checks.

use std::path::Path;

use jiff::civil::Date;
use phiguard_app::register;
use phiguard_core::Source;
use phiguard_core::spelling::count;
use phiguard_register::records::Review;
use phiguard_register::{
    AnyRecord, Applied, Change, Kind, Planned, Register, RegisterError, Snapshot,
};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::Outcome;
use crate::cli::{
    AcknowledgmentFields, AssuranceFields, AttestationFields, BaaFields, ChangeArgs,
    CompletionFields, CourseFields, GlobalArgs, GrantFields, PersonFields, PolicyFields,
    RecordCommand, RegisterCommand, ResponsibilityFields, RestoreTestFields, ReviewFields,
    SlaFields, VendorFields,
};
use crate::commands::check_run;
use crate::output::Output;
use phiguard_app::check_run::Summary;
use phiguard_app::installation::Purpose;

pub async fn run(
    global: &GlobalArgs,
    command: &RegisterCommand,
    out: &Output,
) -> anyhow::Result<Outcome> {
    let purpose = purpose(command);
    Session::run_for(global, out, purpose, async |session| match command {
        RegisterCommand::Vendor(c) => session.records(c).await,
        RegisterCommand::Baa(c) => session.records(c).await,
        RegisterCommand::Assurance(c) => session.records(c).await,
        RegisterCommand::Sla(c) => session.records(c).await,
        RegisterCommand::RestoreTest(c) => session.records(c).await,
        RegisterCommand::Responsibility(c) => session.records(c).await,
        RegisterCommand::Person(c) => session.records(c).await,
        RegisterCommand::Course(c) => session.records(c).await,
        RegisterCommand::Completion(c) => session.records(c).await,
        RegisterCommand::Policy(c) => session.records(c).await,
        RegisterCommand::Acknowledgment(c) => session.records(c).await,
        RegisterCommand::Grant(c) => session.records(c).await,
        RegisterCommand::Review(c) => session.records(c).await,
        RegisterCommand::Attestation(c) => session.records(c).await,
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
        RegisterCommand::Vendor(c) => c.purpose(),
        RegisterCommand::Baa(c) => c.purpose(),
        RegisterCommand::Assurance(c) => c.purpose(),
        RegisterCommand::Sla(c) => c.purpose(),
        RegisterCommand::RestoreTest(c) => c.purpose(),
        RegisterCommand::Responsibility(c) => c.purpose(),
        RegisterCommand::Person(c) => c.purpose(),
        RegisterCommand::Course(c) => c.purpose(),
        RegisterCommand::Completion(c) => c.purpose(),
        RegisterCommand::Policy(c) => c.purpose(),
        RegisterCommand::Acknowledgment(c) => c.purpose(),
        RegisterCommand::Grant(c) => c.purpose(),
        RegisterCommand::Review(c) => c.purpose(),
        RegisterCommand::Attestation(c) => c.purpose(),
        RegisterCommand::History { .. } | RegisterCommand::Export { .. } => Purpose::Read,
        RegisterCommand::Import { dry_run: true, .. } => Purpose::Read,
        RegisterCommand::Import { .. } | RegisterCommand::Check => Purpose::Record,
    }
}

impl<F: clap::Args> RecordCommand<F> {
    fn purpose(&self) -> Purpose {
        match self {
            RecordCommand::Add { .. } => Purpose::Record,
            RecordCommand::List | RecordCommand::Show { .. } => Purpose::Read,
            RecordCommand::Update { .. } | RecordCommand::Remove { .. } => Purpose::Amend,
        }
    }
}

/// What a register command works with: the app's session, and where to report.
pub struct Session<'a> {
    pub app: &'a phiguard_app::Session,
    pub register: &'a Register,
    pub out: &'a Output,
}

pub use phiguard_app::session::today;

/// Who a change is recorded as made by: the OS account, after the name `--actor` states.
pub fn change_source(change: &ChangeArgs) -> Source {
    phiguard_app::session::change_source(change.actor.as_deref())
}

/// A kind's flags, as the `add` and `update` of its records understand them.
pub trait RecordFields: clap::Args + Serialize {
    const KIND: Kind;

    /// The id `add` uses when none is given; `None` makes the id required.
    fn default_id(&self, _snapshot: &Snapshot, _today: Date) -> Option<String> {
        None
    }

    /// Fields computed rather than given: files hashed, and `add`'s defaults.
    fn computed(
        &self,
        _adding: bool,
        _snapshot: &Snapshot,
        _today: Date,
    ) -> anyhow::Result<Map<String, Value>> {
        Ok(Map::new())
    }
}

impl RecordFields for VendorFields {
    const KIND: Kind = Kind::Vendor;
}

impl RecordFields for BaaFields {
    const KIND: Kind = Kind::Baa;

    fn computed(&self, _: bool, _: &Snapshot, _: Date) -> anyhow::Result<Map<String, Value>> {
        hashed("document", self.document.as_deref())
    }
}

impl RecordFields for AssuranceFields {
    const KIND: Kind = Kind::Assurance;

    fn computed(&self, _: bool, _: &Snapshot, _: Date) -> anyhow::Result<Map<String, Value>> {
        hashed("document", self.document.as_deref())
    }
}

impl RecordFields for SlaFields {
    const KIND: Kind = Kind::Sla;
}

impl RecordFields for RestoreTestFields {
    const KIND: Kind = Kind::RestoreTest;

    fn default_id(&self, _: &Snapshot, today: Date) -> Option<String> {
        let system = self.system.as_deref()?;
        Some(phiguard_register::records::RestoreTest::default_id(
            system,
            self.date.unwrap_or(today),
        ))
    }

    fn computed(
        &self,
        adding: bool,
        _: &Snapshot,
        today: Date,
    ) -> anyhow::Result<Map<String, Value>> {
        Ok(default_date(adding && self.date.is_none(), "date", today))
    }
}

impl RecordFields for ResponsibilityFields {
    const KIND: Kind = Kind::Responsibility;
}

impl RecordFields for PersonFields {
    const KIND: Kind = Kind::Person;
}

impl RecordFields for CourseFields {
    const KIND: Kind = Kind::Course;
}

impl RecordFields for CompletionFields {
    const KIND: Kind = Kind::Completion;

    fn default_id(&self, _: &Snapshot, today: Date) -> Option<String> {
        Some(phiguard_register::records::Completion::default_id(
            self.person.as_deref()?,
            self.course.as_deref()?,
            self.completed.unwrap_or(today),
        ))
    }

    fn computed(
        &self,
        adding: bool,
        _: &Snapshot,
        today: Date,
    ) -> anyhow::Result<Map<String, Value>> {
        let mut fields = default_date(adding && self.completed.is_none(), "completed", today);
        if let Some(path) = &self.evidence {
            fields.insert("evidence_sha256".into(), document(path)?.sha256.into());
        }
        Ok(fields)
    }
}

impl RecordFields for PolicyFields {
    const KIND: Kind = Kind::Policy;
}

impl AcknowledgmentFields {
    /// The version acknowledged: the one given, else the policy's current one.
    fn version_in(&self, snapshot: &Snapshot) -> Option<String> {
        self.version.clone().or_else(|| {
            let policy = self.policy.as_deref()?;
            Some(snapshot.policies.get(policy)?.record.version.clone())
        })
    }
}

impl RecordFields for AcknowledgmentFields {
    const KIND: Kind = Kind::Acknowledgment;

    fn default_id(&self, snapshot: &Snapshot, _: Date) -> Option<String> {
        Some(phiguard_register::records::Acknowledgment::default_id(
            self.person.as_deref()?,
            self.policy.as_deref()?,
            &self.version_in(snapshot)?,
        ))
    }

    fn computed(
        &self,
        adding: bool,
        snapshot: &Snapshot,
        today: Date,
    ) -> anyhow::Result<Map<String, Value>> {
        let mut fields = default_date(adding && self.acknowledged.is_none(), "acknowledged", today);
        if adding
            && self.version.is_none()
            && let Some(version) = self.version_in(snapshot)
        {
            fields.insert("version".into(), version.into());
        }
        Ok(fields)
    }
}

impl RecordFields for GrantFields {
    const KIND: Kind = Kind::Grant;

    fn computed(
        &self,
        adding: bool,
        _: &Snapshot,
        today: Date,
    ) -> anyhow::Result<Map<String, Value>> {
        Ok(default_date(
            adding && self.granted.is_none(),
            "granted",
            today,
        ))
    }
}

impl RecordFields for ReviewFields {
    const KIND: Kind = Kind::Review;

    fn default_id(&self, _: &Snapshot, today: Date) -> Option<String> {
        Some(Review::default_id(
            self.system.as_deref()?,
            self.started.unwrap_or(today),
        ))
    }

    fn computed(
        &self,
        adding: bool,
        _: &Snapshot,
        today: Date,
    ) -> anyhow::Result<Map<String, Value>> {
        Ok(default_date(
            adding && self.started.is_none(),
            "started",
            today,
        ))
    }
}

impl RecordFields for AttestationFields {
    const KIND: Kind = Kind::Attestation;

    fn computed(
        &self,
        adding: bool,
        _: &Snapshot,
        today: Date,
    ) -> anyhow::Result<Map<String, Value>> {
        let mut fields = default_date(adding && self.date.is_none(), "date", today);
        fields.extend(hashed("evidence", self.evidence.as_deref())?);
        Ok(fields)
    }
}

fn default_date(wanted: bool, field: &str, today: Date) -> Map<String, Value> {
    let mut fields = Map::new();
    if wanted {
        fields.insert(field.into(), today.to_string().into());
    }
    fields
}

/// The record field `field` set to the [`document`] at `path`, when one is given.
fn hashed(field: &str, path: Option<&Path>) -> anyhow::Result<Map<String, Value>> {
    let mut fields = Map::new();
    if let Some(path) = path {
        fields.insert(field.into(), serde_json::to_value(document(path)?)?);
    }
    Ok(fields)
}

pub use phiguard_app::register::document;

/// The flag that sets a record field, for messages: clap names each argument after the
/// field it fills, so the definition is the one source.
fn flag_for<F: clap::Args>(field: &str) -> String {
    let command = F::augment_args(clap::Command::new("fields"));
    command
        .get_arguments()
        .find(|arg| arg.get_id() == field)
        .and_then(|arg| arg.get_long())
        .map_or_else(|| format!("`{field}`"), |long| format!("--{long}"))
}

/// The record field `--unset NAME` means: a field name or its flag's name.
fn field_for<F: clap::Args>(name: &str) -> Option<String> {
    let wanted = name.trim().trim_start_matches("--");
    let command = F::augment_args(clap::Command::new("fields"));
    command
        .get_arguments()
        .find(|arg| {
            arg.get_id() == wanted
                || arg.get_id().as_str() == wanted.replace('-', "_")
                || arg.get_long() == Some(wanted)
        })
        .map(|arg| arg.get_id().to_string())
}

/// Builds the record from JSON, turning serde's wording into the flags people type.
fn record_from<F: RecordFields>(value: Value) -> anyhow::Result<AnyRecord> {
    AnyRecord::from_json(F::KIND, value).map_err(|error| {
        let text = error.to_string();
        let message = match text
            .strip_prefix("missing field `")
            .and_then(|r| r.split('`').next())
        {
            Some(field) => format!(
                "{} is required to add {}",
                flag_for::<F>(field),
                with_article(F::KIND)
            ),
            None => format!("the {} is not valid: {text}", F::KIND),
        };
        anyhow::anyhow!(message)
    })
}

/// "a vendor", "an acknowledgment".
fn with_article(kind: Kind) -> String {
    let name = kind.name();
    let article = if name.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {name}")
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
            work(&Session {
                app,
                register: &app.register,
                out,
            })
            .await
        })
        .await
    }

    async fn records<F: RecordFields>(
        &self,
        command: &RecordCommand<F>,
    ) -> anyhow::Result<Outcome> {
        let kind = F::KIND;
        match command {
            RecordCommand::Add { id, fields, change } => {
                let snapshot = self.register.snapshot().await?;
                let today = today();
                let id = match id.clone().or_else(|| fields.default_id(&snapshot, today)) {
                    Some(id) => id,
                    None => anyhow::bail!(
                        "give the new {kind} an id: `phiguard register {kind} add ID …`"
                    ),
                };
                let mut value = Map::new();
                let id_field = if matches!(kind, Kind::Responsibility | Kind::Attestation) {
                    "control"
                } else {
                    "id"
                };
                value.insert(id_field.into(), id.into());
                merge(&mut value, serde_json::to_value(fields)?);
                value.extend(fields.computed(true, &snapshot, today)?);
                let record = record_from::<F>(Value::Object(value))?;
                self.apply(&[Change::Create(record)], change).await
            }
            RecordCommand::List => {
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
            RecordCommand::Show { id } => {
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
            RecordCommand::Update {
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
                let Value::Object(mut value) = record.to_json() else {
                    anyhow::bail!("the stored {kind} {id:?} is not a JSON object");
                };
                merge(&mut value, serde_json::to_value(fields)?);
                value.extend(fields.computed(false, &snapshot, today())?);
                for name in unset {
                    let field = field_for::<F>(name).ok_or_else(|| {
                        anyhow::anyhow!("a {kind} has no field {name:?} to unset; `phiguard register {kind} update --help` lists them")
                    })?;
                    value.remove(&field);
                }
                let changed = record_from::<F>(Value::Object(value)).map_err(|error| {
                    if unset.is_empty() {
                        error
                    } else {
                        error.context(format!("a required field of the {kind} cannot be unset"))
                    }
                })?;
                self.apply(&[Change::Update(changed)], change).await
            }
            RecordCommand::Remove { id, change } => {
                let id = canonical_id(kind, id);
                self.apply(&[Change::Delete { kind, id }], change).await
            }
        }
    }

    /// Applies `changes` and reports each one with its ledger entry.
    pub async fn apply(&self, changes: &[Change], change: &ChangeArgs) -> anyhow::Result<Outcome> {
        let source = change_source(change);
        let applied = register::apply(self.app, changes, &source, self.out).await?;
        self.out.result(&applied, || applied_text(&applied));
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

use phiguard_app::register::canonical_id;

/// Sets every field `patch` has; lists given replace lists stored.
fn merge(value: &mut Map<String, Value>, patch: Value) {
    if let Value::Object(patch) = patch {
        value.extend(patch);
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
