//! Comparing a scan with a baseline: what was added, removed or changed, attribute by
//! attribute, and which changes an installed package explains.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use serde::Serialize;

use crate::record::{FileType, Record};
use crate::rules::RuleSet;
use crate::scan::{Scan, ScanWarning, display};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Added,
    Removed,
    Changed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttributeChange {
    pub attribute: &'static str,
    pub old: String,
    pub new: String,
}

/// A package whose installation or upgrade accounts for a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explanation {
    pub package: String,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub path: String,
    #[serde(skip)]
    pub path_bytes: Vec<u8>,
    pub change: ChangeKind,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<AttributeChange>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explained_by: Option<Explanation>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub added: u64,
    pub removed: u64,
    pub changed: u64,
    /// Changes an installed package accounts for.
    pub explained: u64,
    /// Everything else: what someone must look at.
    pub unexplained: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub summary: Summary,
    pub changes: Vec<Change>,
    pub warnings: Vec<ScanWarning>,
}

/// Compares `current` with `baseline`. `explain(path, new record)` asks whether a package
/// accounts for a new or changed regular file.
pub fn compare(
    rules: &RuleSet,
    baseline: &BTreeMap<Vec<u8>, Record>,
    current: &Scan,
    explain: &dyn Fn(&[u8], &Record) -> Option<Explanation>,
) -> Report {
    let mut changes = Vec::new();
    let path_of = |bytes: &[u8]| Path::new(OsStr::from_bytes(bytes)).to_path_buf();
    for (path, old) in baseline {
        // A path no rule covers any more was dropped from monitoring, not removed.
        if rules.rule_for(&path_of(path)).is_none() {
            continue;
        }
        match current.entries.get(path) {
            None => changes.push(change(path, ChangeKind::Removed, Vec::new())),
            Some(new) => {
                let Some(rule) = rules.rule_for(&path_of(path)) else {
                    continue;
                };
                let attributes: Vec<AttributeChange> = rule
                    .attributes
                    .iter()
                    .filter(|a| a.differs(old, new))
                    .map(|a| AttributeChange {
                        attribute: a.name(),
                        old: a.value(old),
                        new: a.value(new),
                    })
                    .collect();
                if !attributes.is_empty() {
                    let mut entry = change(path, ChangeKind::Changed, attributes);
                    if new.file_type == FileType::File && old.hash != new.hash {
                        entry.explained_by = explain(path, new);
                    }
                    changes.push(entry);
                }
            }
        }
    }
    for (path, new) in &current.entries {
        if !baseline.contains_key(path) {
            let mut entry = change(path, ChangeKind::Added, Vec::new());
            if new.file_type == FileType::File {
                entry.explained_by = explain(path, new);
            }
            changes.push(entry);
        }
    }
    changes.sort_by(|a, b| a.path_bytes.cmp(&b.path_bytes));
    explain_directories(&mut changes);
    let mut summary = Summary::default();
    for change in &changes {
        match change.change {
            ChangeKind::Added => summary.added += 1,
            ChangeKind::Removed => summary.removed += 1,
            ChangeKind::Changed => summary.changed += 1,
        }
        if change.explained_by.is_some() {
            summary.explained += 1;
        } else {
            summary.unexplained += 1;
        }
    }
    Report {
        summary,
        changes,
        warnings: current.warnings.clone(),
    }
}

fn change(path: &[u8], kind: ChangeKind, attributes: Vec<AttributeChange>) -> Change {
    Change {
        path: display(path),
        path_bytes: path.to_vec(),
        change: kind,
        attributes,
        explained_by: None,
    }
}

/// A package upgrade also touches the directories it writes into (their times and link
/// counts). A directory that changed only in those ways, and only because of explained
/// changes directly inside it, is explained by the same package.
fn explain_directories(changes: &mut [Change]) {
    const INCIDENTAL: [&str; 4] = ["mtime", "ctime", "links", "size"];
    let mut verdicts: BTreeMap<Vec<u8>, Option<Explanation>> = BTreeMap::new();
    for change in changes.iter() {
        let Some(slash) = change.path_bytes.iter().rposition(|b| *b == b'/') else {
            continue;
        };
        let parent = if slash == 0 {
            b"/".to_vec()
        } else {
            change.path_bytes[..slash].to_vec()
        };
        let verdict = verdicts
            .entry(parent)
            .or_insert_with(|| change.explained_by.clone());
        if change.explained_by.is_none() {
            *verdict = None;
        }
    }
    for change in changes.iter_mut() {
        let incidental = change.change == ChangeKind::Changed
            && change
                .attributes
                .iter()
                .all(|a| INCIDENTAL.contains(&a.attribute))
            && change.attributes.iter().any(|a| a.attribute != "size")
            && change.explained_by.is_none();
        if incidental && let Some(Some(explanation)) = verdicts.get(&change.path_bytes) {
            change.explained_by = Some(explanation.clone());
        }
    }
}
