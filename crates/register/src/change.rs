//! Changes to the register: what a command or an import asks for, checked against the
//! current records before anything is written.

use serde::Serialize;

use crate::error::Problem;
use crate::{AnyRecord, Kind, RegisterError, Snapshot};

/// What happened to a record; recorded in its ledger entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Create,
    Update,
    Delete,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
        }
    }
}

/// A change asked for.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// A new record; refused if its id is taken.
    Create(AnyRecord),
    /// A new state for a record that exists; refused if it does not.
    Update(AnyRecord),
    /// A record as it should be, created or updated as needed (imports).
    Put(AnyRecord),
    /// Removes a record; refused if it does not exist or other records name it.
    Delete { kind: Kind, id: String },
}

/// A change that will be made, with the record before and after.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Planned {
    pub action: Action,
    pub kind: Kind,
    pub id: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// Works out what `changes` do to `current`: the changes that really change something
/// (asking for a record as it already is changes nothing and records nothing), and the
/// register afterwards. Refuses the whole set if any record would be invalid or any
/// reference would dangle, naming every problem.
pub fn plan(
    current: &Snapshot,
    changes: &[Change],
) -> Result<(Vec<Planned>, Snapshot), RegisterError> {
    let mut next = current.clone();
    next.tampered.clear();
    let mut planned = Vec::new();
    let mut problems = Vec::new();
    for change in changes {
        let (record, wanted) = match change {
            Change::Create(record) => (record, Some(Action::Create)),
            Change::Update(record) => (record, Some(Action::Update)),
            Change::Put(record) => (record, None),
            Change::Delete { kind, id } => {
                let Some(before) = next.remove(*kind, id) else {
                    return Err(RegisterError::Missing {
                        kind: *kind,
                        id: id.clone(),
                    });
                };
                planned.push(Planned {
                    action: Action::Delete,
                    kind: *kind,
                    id: id.clone(),
                    before: Some(before.to_json()),
                    after: None,
                });
                continue;
            }
        };
        let (kind, id) = (record.kind(), record.id().to_owned());
        let before = next.get(kind, &id);
        let action = match (wanted, &before) {
            (Some(Action::Create), Some(_)) => return Err(RegisterError::Exists { kind, id }),
            (Some(Action::Update), None) => return Err(RegisterError::Missing { kind, id }),
            (_, None) => Action::Create,
            (_, Some(_)) => Action::Update,
        };
        if before.as_ref() == Some(record) {
            continue;
        }
        problems.extend(record.problems().into_iter().map(|message| Problem {
            kind,
            id: id.clone(),
            message,
            names: None,
        }));
        planned.push(Planned {
            action,
            kind,
            id,
            before: before.map(|b| b.to_json()),
            after: Some(record.to_json()),
        });
        next.insert(record.clone(), None);
    }
    for (record, kind, id) in next.dangling_references() {
        problems.push(Problem {
            kind: record.kind(),
            id: record.id().to_owned(),
            message: format!(
                "it names {kind} {id:?}, which {}",
                if current.contains(kind, &id) {
                    "this change removes; remove or change this record first"
                } else {
                    "does not exist; add it first"
                }
            ),
            names: Some((kind, id)),
        });
    }
    if problems.is_empty() {
        Ok((planned, next))
    } else {
        problems.sort_by(|a, b| (a.kind, &a.id).cmp(&(b.kind, &b.id)));
        problems.dedup();
        Err(RegisterError::Invalid { problems })
    }
}
