//! An assessment as the ledger records it, read back, and what changed since.
//!
//! Every run of `phiguard assess` appends an [`RESULT_KIND`] entry ([`record`]): the profile,
//! the counts, every control's status, and the identity of every finding that needed attention
//! (check, subject, status, severity; not the message, which changes with every run, "pending
//! for 3 days" becoming "4 days"). The next run reads the newest such entry back ([`read`]) and
//! [`compare`]s: the controls whose status changed, and the findings that are new or resolved.
//! A finding is the same finding while its check and subject are: a failure that became a
//! warning is neither new nor resolved. Entries recorded before findings were (phiguard 0.1)
//! still give the status changes.

use std::collections::BTreeMap;

use jiff::Timestamp;
use phiguard_core::{EvidenceRef, Severity, Status};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::catalog::Profile;
use crate::evaluate::{Assessment, ControlStatus};

/// The ledger entry kind of an assessment's result.
pub const RESULT_KIND: &str = "assess.result";

/// The ledger entry kind of a sign-off.
pub const SIGN_OFF_KIND: &str = "assess.sign_off";

/// Which finding, across runs: its check and subject; with the status and severity it had.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingKey {
    pub check: String,
    pub subject: String,
    pub status: Status,
    pub severity: Severity,
}

impl FindingKey {
    /// Whether `other` is the same finding (same check and subject), whatever its status.
    fn same(&self, other: &FindingKey) -> bool {
        self.check == other.check && self.subject == other.subject
    }
}

/// The body of the `assess.result` entry of `assessment`.
pub fn record(assessment: &Assessment) -> Value {
    let statuses: serde_json::Map<String, Value> = assessment
        .controls
        .iter()
        .map(|c| (c.id.clone(), c.status.as_str().into()))
        .collect();
    json!({
        "profile": assessment.profile,
        "summary": assessment.summary,
        "controls": statuses,
        "findings": finding_keys(assessment),
    })
}

/// Every finding that needs attention in `assessment`, each once, sorted.
fn finding_keys(assessment: &Assessment) -> Vec<FindingKey> {
    let mut keys: Vec<FindingKey> = assessment
        .controls
        .iter()
        .flat_map(|c| &c.attention)
        .map(|f| FindingKey {
            check: f.check.to_string(),
            subject: f.subject.clone(),
            status: f.status,
            severity: f.severity,
        })
        .collect();
    keys.sort_by(|a, b| {
        (&a.check, &a.subject, a.status.as_str(), a.severity).cmp(&(
            &b.check,
            &b.subject,
            b.status.as_str(),
            b.severity,
        ))
    });
    keys.dedup();
    keys
}

/// An earlier assessment, as its ledger entry recorded it.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    pub profile: Option<Profile>,
    pub statuses: BTreeMap<String, ControlStatus>,
    /// `None` for an entry that recorded no findings.
    pub findings: Option<Vec<FindingKey>>,
}

/// Reads back the body of an [`RESULT_KIND`] entry, or says what is wrong with it.
pub fn read(body: &Value) -> Result<Recorded, String> {
    let statuses = body
        .get("controls")
        .and_then(Value::as_object)
        .ok_or("it has no `controls` object")?
        .iter()
        .map(|(id, status)| {
            status
                .as_str()
                .and_then(ControlStatus::parse)
                .map(|status| (id.clone(), status))
                .ok_or_else(|| format!("control {id} has no status phiguard knows: {status}"))
        })
        .collect::<Result<BTreeMap<_, _>, _>>()?;
    let profile = body
        .get("profile")
        .and_then(|p| serde_json::from_value(p.clone()).ok());
    let findings = match body.get("findings") {
        None => None,
        Some(findings) => Some(
            serde_json::from_value(findings.clone())
                .map_err(|e| format!("its `findings` cannot be read: {e}"))?,
        ),
    };
    Ok(Recorded {
        profile,
        statuses,
        findings,
    })
}

/// A control whose status changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusChange {
    pub id: String,
    pub cite: String,
    pub name: String,
    pub from: ControlStatus,
    pub to: ControlStatus,
}

/// What changed since the previous assessment recorded in the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SincePrevious {
    /// The previous assessment's ledger entry.
    pub previous: EvidenceRef,
    /// When it was recorded.
    pub assessed_at: Timestamp,
    /// Its profile, when it differs from this assessment's: then only the controls both
    /// measured are compared.
    pub other_profile: Option<Profile>,
    /// Controls whose status changed, in catalog order.
    pub changed: Vec<StatusChange>,
    /// Findings needing attention now that did not then.
    pub new_findings: Vec<FindingKey>,
    /// Findings that needed attention then and do not now.
    pub resolved_findings: Vec<FindingKey>,
    /// Whether the previous entry recorded its findings; without them, new and resolved
    /// findings are not known (both lists are empty).
    pub findings_compared: bool,
}

impl SincePrevious {
    /// Whether nothing changed that the comparison can see.
    pub fn is_unchanged(&self) -> bool {
        self.changed.is_empty() && self.new_findings.is_empty() && self.resolved_findings.is_empty()
    }
}

/// What changed between `previous` (recorded as `entry` at `at`) and `current`.
pub fn compare(
    previous: &Recorded,
    entry: EvidenceRef,
    at: Timestamp,
    current: &Assessment,
) -> SincePrevious {
    let changed = current
        .controls
        .iter()
        .filter_map(|control| {
            let from = *previous.statuses.get(&control.id)?;
            (from != control.status).then(|| StatusChange {
                id: control.id.clone(),
                cite: control.cite.clone(),
                name: control.name.clone(),
                from,
                to: control.status,
            })
        })
        .collect();
    let now = finding_keys(current);
    let (new_findings, resolved_findings) = match &previous.findings {
        Some(then) => (
            now.iter()
                .filter(|key| !then.iter().any(|old| old.same(key)))
                .cloned()
                .collect(),
            then.iter()
                .filter(|key| !now.iter().any(|new| new.same(key)))
                .cloned()
                .collect(),
        ),
        None => (Vec::new(), Vec::new()),
    };
    SincePrevious {
        previous: entry,
        assessed_at: at,
        other_profile: previous.profile.filter(|p| *p != current.profile),
        changed,
        new_findings,
        resolved_findings,
        findings_compared: previous.findings.is_some(),
    }
}
