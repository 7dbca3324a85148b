//! Security incidents (45 CFR 164.308(a)(6)) and their breach assessment (164.402): the
//! incidents listed with their next deadline, one shown whole (timeline, assessment, a
//! vendor's report judged, deadlines), its response timeline added to, the assessment
//! recorded, and the affected individuals imported pseudonymised. The records are the
//! register's (`incident`, `incident-event`, `breach-assessment`); every change goes through
//! [`crate::register`], so each is written with its ledger entry.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::Context;
use jiff::civil::Date;
use phiguard_core::{EvidenceRef, Source};
use phiguard_incident::affected::{self, MAX_FILE_BYTES, PSEUDONYM_KIND};
use phiguard_incident::deadlines::{Deadline, DeadlineState, Deadlines};
use phiguard_incident::lateness::VendorReport;
use phiguard_register::draft::{self, Values};
use phiguard_register::records::{
    BreachAssessment, Conclusion, Incident, IncidentEvent, IncidentSource, IncidentStatus, Risk,
    StateCount,
};
use phiguard_register::{AnyRecord, Applied, Change, Kind, RegisterError, Snapshot};
use serde::Serialize;
use serde_json::Value;
use zeroize::Zeroizing;

use crate::keys::Secrets;
use crate::{Notices, Session};

pub use phiguard_breach::Recipient;

/// The breach notification rules compiled into phiguard.
pub fn rules() -> anyhow::Result<phiguard_breach::Rules> {
    phiguard_breach::Rules::builtin()
        .context("phiguard's breach notification rules are invalid (a defect of this build)")
}

/// The incident `id` in `snapshot`.
pub fn incident<'a>(snapshot: &'a Snapshot, id: &str) -> Result<&'a Incident, RegisterError> {
    snapshot
        .incidents
        .get(id)
        .map(|stored| &stored.record)
        .ok_or_else(|| RegisterError::Missing {
            kind: Kind::Incident,
            id: id.to_owned(),
        })
}

pub use phiguard_incident::{assessment_of, timeline_of};

/// The first deadline not met yet (overdue or open), earliest first.
pub fn next_deadline(deadlines: &Deadlines) -> Option<&Deadline> {
    deadlines
        .deadlines
        .iter()
        .filter(|d| matches!(d.state, DeadlineState::Open | DeadlineState::Overdue))
        .min_by_key(|d| d.notice.due)
}

/// One incident as listed.
#[derive(Debug, Clone, Serialize)]
pub struct IncidentRow {
    pub id: String,
    pub title: String,
    pub status: IncidentStatus,
    pub discovered: jiff::Timestamp,
    pub source: IncidentSource,
    pub total_affected: u64,
    /// The assessment's conclusion; `None` until assessed.
    pub conclusion: Option<Conclusion>,
    /// The earliest notice not given yet.
    pub next_deadline: Option<NextDeadline>,
}

/// The earliest notice still to give.
#[derive(Debug, Clone, Serialize)]
pub struct NextDeadline {
    pub recipient: Recipient,
    pub jurisdiction: Option<String>,
    pub due: Date,
    pub days_left: i64,
    pub state: DeadlineState,
}

impl From<&Deadline> for NextDeadline {
    fn from(deadline: &Deadline) -> NextDeadline {
        NextDeadline {
            recipient: deadline.notice.recipient,
            jurisdiction: deadline.notice.jurisdiction.clone(),
            due: deadline.notice.due,
            days_left: deadline.notice.days_left,
            state: deadline.state,
        }
    }
}

/// The incidents, in id order, of `status` when given, each with its next deadline on `today`
/// (today in UTC when `None`).
pub async fn list(
    session: &Session,
    status: Option<IncidentStatus>,
    today: Option<Date>,
) -> anyhow::Result<Vec<IncidentRow>> {
    let snapshot = session.register.snapshot().await?;
    let rules = rules()?;
    let today = today.unwrap_or_else(crate::session::today);
    Ok(snapshot
        .incidents
        .values()
        .map(|stored| &stored.record)
        .filter(|incident| status.is_none_or(|wanted| incident.status == wanted))
        .map(|incident| {
            let deadlines =
                phiguard_incident::deadlines::deadlines(&rules, &snapshot, incident, today);
            IncidentRow {
                id: incident.id.clone(),
                title: incident.title.clone(),
                status: incident.status,
                discovered: incident.discovered,
                source: incident.source,
                total_affected: incident.total_affected(),
                conclusion: assessment_of(&snapshot, &incident.id).map(|a| a.conclusion),
                next_deadline: next_deadline(&deadlines).map(NextDeadline::from),
            }
        })
        .collect())
}

/// One incident, whole.
#[derive(Debug, Clone, Serialize)]
pub struct IncidentReport {
    pub incident: Incident,
    /// The ledger entry of the incident's current state.
    pub evidence: Option<EvidenceRef>,
    /// Its response timeline, oldest first.
    pub timeline: Vec<IncidentEvent>,
    pub assessment: Option<BreachAssessment>,
    /// For an incident a business associate reported: its report against each window.
    pub vendor_report: Option<VendorReport>,
    pub deadlines: Deadlines,
}

/// The incident `id` with everything recorded about it and its deadlines on `today`.
pub async fn show(
    session: &Session,
    id: &str,
    today: Option<Date>,
) -> anyhow::Result<IncidentReport> {
    let snapshot = session.register.snapshot().await?;
    let incident = incident(&snapshot, id)?;
    let today = today.unwrap_or_else(crate::session::today);
    Ok(IncidentReport {
        evidence: snapshot.evidence_of(Kind::Incident, id),
        timeline: timeline_of(&snapshot, id).into_iter().cloned().collect(),
        assessment: assessment_of(&snapshot, id).cloned(),
        vendor_report: phiguard_incident::lateness::judge(&snapshot, incident),
        deadlines: phiguard_incident::deadlines::deadlines(&rules()?, &snapshot, incident, today),
        incident: incident.clone(),
    })
}

/// The incident's deadlines on `today` (today in UTC when `None`).
pub async fn deadlines(
    session: &Session,
    id: &str,
    today: Option<Date>,
) -> anyhow::Result<Deadlines> {
    let snapshot = session.register.snapshot().await?;
    let incident = incident(&snapshot, id)?;
    let today = today.unwrap_or_else(crate::session::today);
    Ok(phiguard_incident::deadlines::deadlines(
        &rules()?,
        &snapshot,
        incident,
        today,
    ))
}

/// The incident's response timeline, oldest first.
pub async fn timeline(session: &Session, id: &str) -> anyhow::Result<Vec<IncidentEvent>> {
    let snapshot = session.register.snapshot().await?;
    incident(&snapshot, id)?;
    Ok(timeline_of(&snapshot, id).into_iter().cloned().collect())
}

/// Adds an entry to the incident's timeline from the `values` of an `incident-event`'s fields
/// (the incident is `incident`, whatever `values` says).
pub async fn add_event(
    session: &Session,
    incident: &str,
    mut values: Values,
    source: &Source,
    notices: &dyn Notices,
) -> anyhow::Result<Vec<Applied>> {
    let snapshot = session.register.snapshot().await?;
    self::incident(&snapshot, incident)?;
    values.insert("incident".into(), Value::String(incident.to_owned()));
    // The entry's id is made from its phase and time: say which is missing before the id is.
    let form = Kind::IncidentEvent.form();
    if let Some(missing) = form
        .fields
        .iter()
        .find(|field| field.required && !values.contains_key(field.name))
    {
        return Err(draft::DraftError::Missing {
            flag: missing.flag,
            kind: Kind::IncidentEvent,
        }
        .into());
    }
    crate::register::add_drafted(session, Kind::IncidentEvent, None, values, source, notices).await
}

/// Changes the incident `id` as `register incident update` does. Closing an incident whose
/// notices are still due or overdue is allowed (the incident may be closed for other
/// reasons) but warned of: the deadlines run whatever the status says.
pub async fn update(
    session: &Session,
    id: &str,
    values: Values,
    unset: &[String],
    source: &Source,
    notices: &dyn Notices,
) -> anyhow::Result<Vec<Applied>> {
    let before = session.register.snapshot().await?;
    let was_closed = incident(&before, id)?.status == IncidentStatus::Closed;
    let applied = crate::register::update_drafted(
        session,
        Kind::Incident,
        id,
        values,
        unset,
        source,
        notices,
    )
    .await?;
    let after = session.register.snapshot().await?;
    let incident = incident(&after, id)?;
    if incident.status == IncidentStatus::Closed && !was_closed {
        let deadlines = phiguard_incident::deadlines::deadlines(
            &rules()?,
            &after,
            incident,
            crate::session::today(),
        );
        let open: Vec<String> = deadlines
            .deadlines
            .iter()
            .filter(|d| matches!(d.state, DeadlineState::Open | DeadlineState::Overdue))
            .map(describe_notice)
            .collect();
        if !open.is_empty() {
            notices.note(&format!(
                "warning: incident {id} is closed, but {} not given yet: {}. The deadlines run \
                 whatever the status says (45 CFR 164.404-410); record each notice with \
                 `phiguard register breach-notice add --incident {id} …`, or record an \
                 assessment that shows none is due (`phiguard breach assess {id}`).",
                if open.len() == 1 {
                    "a notice is"
                } else {
                    "notices are"
                },
                open.join(", ")
            ));
        }
    }
    Ok(applied)
}

/// "hhs, due 2026-04-30 (overdue)".
fn describe_notice(deadline: &Deadline) -> String {
    let to = match &deadline.notice.jurisdiction {
        Some(state) => format!("{} ({state})", deadline.notice.recipient.as_str()),
        None => deadline.notice.recipient.as_str().to_owned(),
    };
    let overdue = if deadline.state == DeadlineState::Overdue {
        ", overdue"
    } else {
        ""
    };
    format!("{to} due {}{overdue}", deadline.notice.due)
}

/// The conclusion the answers point to, for a person to confirm or overrule: no breach when an
/// exclusion or the safe harbour applies; a low probability of compromise only when all four
/// factors are assessed and each weighs low; otherwise a breach to notify, which is what
/// 164.402(2) presumes.
pub fn suggested_conclusion(excluded: bool, factors: [Option<Risk>; 4]) -> Conclusion {
    if excluded {
        Conclusion::NoBreach
    } else if factors.iter().all(|level| *level == Some(Risk::Low)) {
        Conclusion::LowProbability
    } else {
        Conclusion::Notifiable
    }
}

/// What to record as the breach assessment of an incident.
#[derive(Debug, Clone, Default)]
pub struct AssessRequest {
    pub incident: String,
    /// The answers, as the `breach-assessment` form's fields (`exclusion`, `nature`,
    /// `conclusion`, …). `incident` is set from the request.
    pub answers: Values,
    /// Fields of an earlier assessment to clear.
    pub unset: Vec<String>,
    /// What phiguard's keyring says, when the data was sealed by phiguard ([`sealed_evidence`]).
    pub sealed_evidence: Option<String>,
}

/// The assessment recorded.
#[derive(Debug, Serialize)]
pub struct Assessed {
    pub assessment: BreachAssessment,
    /// The incident's status before, when recording the assessment moved it to `assessed`.
    pub status_was: Option<IncidentStatus>,
    pub applied: Vec<Applied>,
}

/// The assessment `request.answers` draft: the incident's current one with the answers
/// applied, or a new one under the incident's id. Not stored; [`assess`] stores it.
pub fn draft_assessment(
    snapshot: &Snapshot,
    request: &AssessRequest,
    today: Date,
) -> anyhow::Result<(BreachAssessment, bool)> {
    let incident = incident(snapshot, &request.incident)?;
    let mut values = request.answers.clone();
    values.insert("incident".into(), Value::String(incident.id.clone()));
    if let Some(evidence) = &request.sealed_evidence {
        values.insert("sealed_evidence".into(), Value::String(evidence.clone()));
    }
    let existing = assessment_of(snapshot, &incident.id);
    // Assessing again is deciding again: on the day it is done, unless the answers say.
    if existing.is_some() && !values.contains_key("decided") {
        values.insert("decided".into(), Value::String(today.to_string()));
    }
    let record = match existing {
        Some(existing) => draft::updated_record(
            &AnyRecord::BreachAssessment(existing.clone()),
            values,
            &request.unset,
        )?,
        None => draft::new_record(
            Kind::BreachAssessment,
            Some(&incident.id),
            values,
            snapshot,
            today,
        )?,
    };
    match record {
        AnyRecord::BreachAssessment(assessment) => Ok((assessment, existing.is_some())),
        other => anyhow::bail!("drafted a {} instead of a breach assessment", other.kind()),
    }
}

/// Records the breach assessment of `request.incident` (or changes the one it has: the
/// ledger keeps every version), and moves an open or investigating incident to `assessed`,
/// in one transaction. The record's own rules refuse it, storing nothing, when an answer
/// lacks its rationale or the conclusion contradicts the answers.
pub async fn assess(
    session: &Session,
    request: &AssessRequest,
    source: &Source,
    notices: &dyn Notices,
) -> anyhow::Result<Assessed> {
    let snapshot = session.register.snapshot().await?;
    // A first assessment is made in the organisation's role (`[organization] role` in
    // phiguard.toml); one that is both says per incident which it acts as.
    let mut request = request.clone();
    let role = match session.installation.home.config().organization.role {
        Some(phiguard_core::OrganizationRole::CoveredEntity) => Some("covered_entity"),
        Some(phiguard_core::OrganizationRole::BusinessAssociate) => Some("business_associate"),
        Some(phiguard_core::OrganizationRole::Both) | None => None,
    };
    if let Some(role) = role
        && assessment_of(&snapshot, &request.incident).is_none()
        && !request.answers.contains_key("role")
    {
        request
            .answers
            .insert("role".into(), Value::String(role.to_owned()));
    }
    let (assessment, existed) = draft_assessment(&snapshot, &request, crate::session::today())?;
    let mut changes = vec![if existed {
        Change::Update(assessment.clone().into())
    } else {
        Change::Create(assessment.clone().into())
    }];
    let incident = incident(&snapshot, &request.incident)?;
    let status_was = matches!(
        incident.status,
        IncidentStatus::Open | IncidentStatus::Investigating
    )
    .then_some(incident.status);
    if status_was.is_some() {
        let mut assessed = incident.clone();
        assessed.status = IncidentStatus::Assessed;
        changes.push(Change::Update(assessed.into()));
    }
    let applied = crate::register::apply(session, &changes, source, notices).await?;
    Ok(Assessed {
        assessment,
        status_was,
        applied,
    })
}

/// What phiguard's keyring says about data phiguard sealed, for the safe harbour's rationale
/// (HHS's guidance: encrypted, with the key kept apart from the data and not compromised). It
/// states facts of the keyring only; whether the key was compromised is for a person to say.
pub fn sealed_evidence(session: &Session, secrets: &dyn Secrets) -> anyhow::Result<String> {
    let keyring = crate::keys::open_keyring(&session.installation.home, secrets)
        .context("could not open the keyring to read what it says about sealed data")?;
    Ok(describe_keyring(&keyring.summary()))
}

/// The keyring's facts in a sentence or three.
pub fn describe_keyring(summary: &phiguard_crypto::keyring::KeyringSummary) -> String {
    let root = match summary.provider {
        "file" => "a key file in the phiguard home's keys/ directory on this machine",
        "passphrase" => "derived from a passphrase with Argon2id and never stored",
        "pkcs11" => "held inside a PKCS#11 token that never releases it",
        other => other,
    };
    let versions: Vec<String> = summary
        .keks
        .iter()
        .map(|kek| format!("v{} {} (created {})", kek.version, kek.state, kek.created))
        .collect();
    let retired = summary.keks.iter().filter(|k| k.state == "retired").count();
    let retired = match retired {
        0 => "No key-encryption key is retired.".to_owned(),
        n => format!(
            "{n} key-encryption key version(s) retired: data wrapped only under them no longer \
             opens."
        ),
    };
    format!(
        "Sealed by phiguard: AES-256-GCM with a data key per object, wrapped by a \
         key-encryption key of keyring {id}. Key-encryption keys: {versions}. {retired} The \
         root key that wraps them is {root}, on premises and apart from the sealed data, which \
         holds only wrapped data keys. Break-glass keys enrolled: {glass}.",
        id = summary.id,
        versions = versions.join(", "),
        glass = summary.break_glass.len(),
    )
}

/// A list of affected individuals to import for an incident.
#[derive(Debug, Clone)]
pub struct AffectedRequest {
    pub incident: String,
    /// The CSV file: a header with `name`, `state` and optionally `address`.
    pub file: PathBuf,
}

/// The list imported.
#[derive(Debug, Serialize)]
pub struct AffectedImported {
    pub incident: String,
    /// Rows read, duplicates included.
    pub rows: usize,
    /// Individuals kept, each once.
    pub individuals: usize,
    pub duplicates: usize,
    /// Whether the file had addresses; without them two people of one name count once.
    pub has_address: bool,
    pub by_state: BTreeMap<String, u64>,
    pub applied: Vec<Applied>,
}

/// Why a list of affected individuals was refused: the file and the reason, which names a
/// line and never a name.
#[derive(Debug, thiserror::Error)]
pub enum AffectedError {
    #[error("could not read {}", file.display())]
    Read {
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: {reason}", file.display())]
    Invalid { file: PathBuf, reason: String },
}

/// Reads the list of affected individuals in `request.file`, pseudonymises each with the
/// installation's key, and stores the pseudonyms and the counts by state on the incident,
/// replacing any list imported before. No name or address is stored, recorded in the ledger
/// or repeated in an error.
pub async fn import_affected(
    session: &Session,
    request: &AffectedRequest,
    secrets: &dyn Secrets,
    source: &Source,
    notices: &dyn Notices,
) -> anyhow::Result<AffectedImported> {
    let snapshot = session.register.snapshot().await?;
    let incident = incident(&snapshot, &request.incident)?;
    let bytes = read_capped(&request.file)?;
    let keyring = crate::keys::open_keyring(&session.installation.home, secrets)
        .context("could not open the keyring, whose pseudonym key names each individual")?;
    let pseudonymizer = keyring.pseudonymizer()?;
    let read = affected::read(&bytes, |identity| {
        pseudonymizer.pseudonym(PSEUDONYM_KIND, identity)
    })
    .map_err(|error| AffectedError::Invalid {
        file: request.file.clone(),
        reason: error.to_string(),
    })?;
    let mut changed = incident.clone();
    changed.individuals = read.individuals;
    changed.affected = read
        .by_state
        .iter()
        .map(|(state, count)| StateCount {
            state: state.clone(),
            count: *count,
        })
        .collect();
    let applied = if changed == *incident {
        Vec::new()
    } else {
        crate::register::update(session, changed.clone().into(), source, notices).await?
    };
    Ok(AffectedImported {
        incident: incident.id.clone(),
        rows: read.rows,
        individuals: changed.individuals.len(),
        duplicates: read.duplicates,
        has_address: read.has_address,
        by_state: read.by_state,
        applied,
    })
}

/// The file's bytes, refused past [`MAX_FILE_BYTES`]; wiped from memory when dropped.
fn read_capped(file: &Path) -> Result<Zeroizing<Vec<u8>>, AffectedError> {
    let read = |source| AffectedError::Read {
        file: file.to_owned(),
        source,
    };
    let metadata = std::fs::metadata(file).map_err(read)?;
    if !metadata.is_file() {
        return Err(AffectedError::Invalid {
            file: file.to_owned(),
            reason: "this is not a file; give the CSV list of affected individuals".into(),
        });
    }
    let mut bytes = Zeroizing::new(Vec::new());
    std::fs::File::open(file)
        .map_err(read)?
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(read)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(AffectedError::Invalid {
            file: file.to_owned(),
            reason: affected::AffectedError::TooLarge.to_string(),
        });
    }
    Ok(bytes)
}
