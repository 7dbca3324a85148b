//! Breach notification: the plan for a scenario in a file (`phiguard breach plan`), computed
//! by `phiguard_breach` from the rules compiled in, with nothing recorded; the notices of a
//! recorded incident drafted into files (`notices`); and the annual log of breaches under
//! 500 (`log`).

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::Context;
use jiff::civil::Date;
pub use phiguard_breach::notices::{Entity, FILL_MARKER, Facts, IncidentFacts};
pub use phiguard_breach::{Note, Notice, Plan, Recipient, Scenario};
use phiguard_incident::deadlines::Standing;
pub use phiguard_incident::log::{AnnualLog, LogEntry};
use phiguard_register::records::Incident;
use serde::Serialize;

/// The largest plan file read: a scenario is a few lines; anything larger is the wrong file.
pub const MAX_PLAN_FILE_BYTES: u64 = 1024 * 1024;

/// What to plan: the scenario's file, and the day from which days left are counted.
#[derive(Debug, Clone)]
pub struct PlanRequest {
    pub file: PathBuf,
    /// `None`: today, in UTC (as the register's checks count days).
    pub today: Option<Date>,
}

/// Why a plan could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("could not read the plan file {}", file.display())]
    Read {
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// `line` is 1-based, absent when the problem is with the file as a whole.
    #[error("{}{}: {reason}", file.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    Invalid {
        file: PathBuf,
        line: Option<u64>,
        reason: String,
    },
    #[error("phiguard's breach notification rules are invalid (a defect of this build)")]
    Rules(#[source] phiguard_breach::RulesError),
}

/// Reads the scenario in `request.file` and returns every notice it calls for, with days left
/// from `request.today`. A file that cannot be read or is not a valid scenario is an error
/// naming the file and, where it can, the line.
pub fn plan(request: &PlanRequest) -> Result<Plan, PlanError> {
    let scenario = read_scenario(&request.file)?;
    let rules = phiguard_breach::Rules::builtin().map_err(PlanError::Rules)?;
    let today = request
        .today
        .unwrap_or_else(|| phiguard_register::records::utc_day(jiff::Timestamp::now()));
    Ok(phiguard_breach::plan(&rules, &scenario, today))
}

/// The scenario in `file`.
pub fn read_scenario(file: &Path) -> Result<Scenario, PlanError> {
    let invalid = |reason: String| PlanError::Invalid {
        file: file.to_owned(),
        line: None,
        reason,
    };
    let read = |source| PlanError::Read {
        file: file.to_owned(),
        source,
    };
    let metadata = std::fs::metadata(file).map_err(read)?;
    if !metadata.is_file() {
        return Err(invalid(
            "this is not a file; give a plan file (YAML)".into(),
        ));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(file)
        .map_err(read)?
        .take(MAX_PLAN_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(read)?;
    if bytes.len() as u64 > MAX_PLAN_FILE_BYTES {
        return Err(invalid(format!(
            "a plan file is a few lines; this one is over {} KiB: is it the right file?",
            MAX_PLAN_FILE_BYTES / 1024
        )));
    }
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes))
        .map_err(|_| invalid("the file is not UTF-8 text; save it as UTF-8".into()))?;
    Scenario::from_yaml(text).map_err(|error| PlanError::Invalid {
        file: file.to_owned(),
        line: error.line,
        reason: error.reason,
    })
}

/// What to draft: the incident's notices, into `out`.
#[derive(Debug, Clone)]
pub struct NoticesRequest {
    pub incident: String,
    /// The directory to write into; created if missing.
    pub out: PathBuf,
    /// Replace drafts already there.
    pub force: bool,
    /// The day the plan is computed on; today in UTC when `None`.
    pub today: Option<Date>,
}

/// One notice drafted and written.
#[derive(Debug, Serialize)]
pub struct WrittenDraft {
    pub recipient: Recipient,
    pub jurisdiction: Option<String>,
    pub title: String,
    pub due: Date,
    pub citation: String,
    /// The Markdown and the HTML file, each with the places still marked TO FILL IN.
    pub files: Vec<WrittenFile>,
    /// What a person must still fill in, in words.
    pub to_fill: Vec<String>,
}

/// A file written, and how many places in it are marked TO FILL IN.
#[derive(Debug, Serialize)]
pub struct WrittenFile {
    pub path: String,
    pub to_fill: usize,
}

/// The drafts of one incident.
#[derive(Debug, Serialize)]
pub struct NoticesWritten {
    pub incident: String,
    pub dir: String,
    pub drafts: Vec<WrittenDraft>,
    /// What the plan says besides its notices, and why none is due when none is.
    pub notes: Vec<Note>,
}

/// The facts the notices of `incident` are drafted from: the organisation and its contacts
/// (`[organization]` and `[breach]` in phiguard.toml) and the incident with the actions of
/// its timeline.
pub fn facts(
    config: &phiguard_home::Config,
    snapshot: &phiguard_register::Snapshot,
    incident: &Incident,
) -> Facts {
    let breach = &config.breach;
    let actions = phiguard_incident::timeline_of(snapshot, &incident.id)
        .into_iter()
        .filter(|event| event.phase.is_action())
        .map(|event| event.note.clone())
        .collect();
    Facts {
        entity: Entity {
            name: config
                .organization
                .name
                .clone()
                .unwrap_or_else(|| config.installation.name.clone()),
            phone: breach.phone.clone(),
            email: breach.email.clone(),
            website: breach.website.clone(),
            postal_address: breach.postal_address.clone(),
        },
        covered_entity: breach.covered_entity.clone(),
        incident: IncidentFacts {
            id: incident.id.clone(),
            title: incident.title.clone(),
            description: incident.description.clone(),
            discovered: incident.discovered_day(),
            occurred_from: incident.occurred_from,
            occurred_to: incident.occurred_to,
            phi: incident
                .phi
                .iter()
                .map(|kind| kind.as_str().to_owned())
                .collect(),
            actions,
            affected: incident.affected_by_state(),
            insufficient_contacts: incident.insufficient_contacts,
        },
    }
}

/// Drafts every notice the incident's deadlines call for and writes each as `STEM.md` and
/// `STEM.html` in `request.out`. Nothing is recorded in the register: a notice is recorded
/// when it is given. An existing draft is never replaced without `force`, and then none is
/// written.
pub async fn notices(
    session: &crate::Session,
    request: &NoticesRequest,
) -> anyhow::Result<NoticesWritten> {
    let snapshot = session.register.snapshot().await?;
    let incident = crate::incident::incident(&snapshot, &request.incident)?;
    let rules = crate::incident::rules()?;
    let today = request.today.unwrap_or_else(crate::session::today);
    let deadlines = phiguard_incident::deadlines::deadlines(&rules, &snapshot, incident, today);
    let plan = Plan {
        notices: deadlines
            .deadlines
            .iter()
            .map(|deadline| deadline.notice.clone())
            .collect(),
        notes: deadlines.notes.clone(),
    };
    let facts = facts(session.installation.home.config(), &snapshot, incident);
    let drafts = phiguard_breach::notices::draft(&plan, &facts, &rules);
    let dir = &request.out;
    let files: Vec<(PathBuf, &str)> = drafts
        .iter()
        .flat_map(|draft| {
            [
                (
                    dir.join(format!("{}.md", draft.file_stem)),
                    draft.markdown.as_str(),
                ),
                (
                    dir.join(format!("{}.html", draft.file_stem)),
                    draft.html.as_str(),
                ),
            ]
        })
        .collect();
    if !request.force {
        let existing: Vec<String> = files
            .iter()
            .filter(|(path, _)| path.symlink_metadata().is_ok())
            .map(|(path, _)| path.display().to_string())
            .collect();
        anyhow::ensure!(
            existing.is_empty(),
            "{} already exist{}: {}; nothing was written. Move {} away, or give --force to \
             replace {}",
            if existing.len() == 1 {
                "a draft"
            } else {
                "drafts"
            },
            if existing.len() == 1 { "s" } else { "" },
            existing.join(", "),
            if existing.len() == 1 { "it" } else { "them" },
            if existing.len() == 1 { "it" } else { "them" },
        );
    }
    if !files.is_empty() {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("could not create the directory {}", dir.display()))?;
    }
    for (path, text) in &files {
        // A draft holds what the organisation knows of the breach: only its owner reads it.
        phiguard_home::write_atomically(path, text.as_bytes(), phiguard_home::Readers::Owner)
            .with_context(|| format!("could not write {}", path.display()))?;
    }
    let marked = |text: &str| text.matches(&format!("{FILL_MARKER}:")).count();
    let written = drafts
        .iter()
        .zip(files.chunks(2))
        .map(|(draft, pair)| WrittenDraft {
            files: pair
                .iter()
                .map(|(path, text)| WrittenFile {
                    path: path.display().to_string(),
                    to_fill: marked(text),
                })
                .collect(),
            recipient: draft.recipient,
            jurisdiction: draft.jurisdiction.clone(),
            title: draft.title.clone(),
            due: draft.due,
            citation: draft.citation.clone(),
            to_fill: draft.to_fill.clone(),
        })
        .collect();
    Ok(NoticesWritten {
        incident: incident.id.clone(),
        dir: dir.display().to_string(),
        drafts: written,
        notes: plan.notes,
    })
}

/// The log of breaches affecting fewer than 500 discovered in `year`, for HHS's annual
/// report (45 CFR 164.408(c)).
pub async fn log(session: &crate::Session, year: i16) -> anyhow::Result<AnnualLog> {
    anyhow::ensure!(
        (1996..=9999).contains(&year),
        "{year} is not a year phiguard can log breaches for; give a year such as 2026"
    );
    let snapshot = session.register.snapshot().await?;
    Ok(phiguard_incident::log::annual(
        &crate::incident::rules()?,
        &snapshot,
        year,
    ))
}

/// The columns of the annual log as CSV, one row per breach: what HHS's breach portal asks of
/// each breach affecting fewer than 500, as phiguard knows it.
const LOG_COLUMNS: [&str; 13] = [
    "incident",
    "title",
    "breach_start",
    "breach_end",
    "discovered",
    "individuals_affected",
    "states",
    "phi",
    "assessment",
    "individuals_notified",
    "reported_to_hhs",
    "actions_taken",
    "report_due",
];

/// The annual log as CSV: a header, then a row per breach. Every cell a spreadsheet could run
/// as a formula starts with `'`.
pub fn log_csv(log: &AnnualLog) -> anyhow::Result<Vec<u8>> {
    use phiguard_register::exchange::matrix_csv::guard;
    let day = |d: Option<Date>| d.map(|d| d.to_string()).unwrap_or_default();
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(LOG_COLUMNS)?;
    for entry in &log.entries {
        let states: Vec<String> = entry
            .affected_by_state
            .iter()
            .map(|(state, n)| format!("{state}={n}"))
            .collect();
        let phi: Vec<&str> = entry.phi.iter().map(|kind| kind.as_str()).collect();
        let standing = match entry.standing {
            Standing::NotAssessed => "not assessed (presumed a breach)".to_owned(),
            Standing::Notifiable => "notifiable".to_owned(),
            Standing::NotNotifiable(conclusion) => conclusion.to_string(),
        };
        writer.write_record([
            guard(&entry.incident).as_ref(),
            guard(&entry.title).as_ref(),
            &day(entry.occurred_from),
            &day(entry.occurred_to),
            &entry.discovered.to_string(),
            &entry.affected.to_string(),
            &states.join(" "),
            &phi.join(" "),
            &standing,
            &day(entry.individuals_notified),
            &day(entry.reported_to_hhs),
            guard(&entry.actions.join("; ")).as_ref(),
            &log.due.to_string(),
        ])?;
    }
    Ok(writer.into_inner().map_err(|e| e.into_error())?)
}
