//! The catalog: HIPAA's controls as data, and the evidence that speaks to each.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use phiguard_core::{CheckId, ControlId, OrganizationRole};
use phiguard_register::Kind;
use phiguard_register::records::{Responsibility, ResponsibilityRecord};
use serde::{Deserialize, Serialize};
use serde_saphyr::{MessageFormatter, Spanned, UserMessageFormatter};

/// Which set of controls an assessment measures against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Profile {
    /// The Security Rule (164.308–164.316) and the Breach Notification Rule (164.400–414), as
    /// in force.
    Hipaa,
    /// The above plus the items of the January 2025 proposed Security Rule (90 FR 898), for
    /// organisations that want to measure themselves against it before it is final.
    #[serde(rename = "proposed-2025")]
    Proposed2025,
}

impl Profile {
    /// The name in files, flags and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Hipaa => "hipaa",
            Profile::Proposed2025 => "proposed-2025",
        }
    }
}

impl std::str::FromStr for Profile {
    type Err = String;

    fn from_str(text: &str) -> Result<Profile, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "hipaa" | "current" => Ok(Profile::Hipaa),
            "proposed-2025" | "proposed2025" => Ok(Profile::Proposed2025),
            _ => Err(format!(
                "{text:?} is not a profile; use hipaa or proposed-2025"
            )),
        }
    }
}

/// A standard, one of its implementation specifications, or an obligation of the breach rule
/// or the proposed rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ControlKind {
    Standard,
    Specification,
    Obligation,
}

impl ControlKind {
    /// The name in files, flags and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            ControlKind::Standard => "standard",
            ControlKind::Specification => "specification",
            ControlKind::Obligation => "obligation",
        }
    }
}

/// Required, addressable (164.306(d)(3): assess, then implement or document an equivalent), or
/// a standard whose implementation specifications carry the mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Requirement {
    Required,
    Addressable,
    /// A standard with implementation specifications: it is met through them.
    Standard,
}

impl Requirement {
    /// The name in files, flags and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Requirement::Required => "required",
            Requirement::Addressable => "addressable",
            Requirement::Standard => "standard",
        }
    }
}

/// The safeguard family, as the scorecard groups controls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Family {
    Administrative,
    Physical,
    Technical,
    Organizational,
    Documentation,
    BreachNotification,
    #[serde(rename = "proposed-2025")]
    Proposed2025,
}

impl Family {
    /// The name in files and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Family::Administrative => "administrative",
            Family::Physical => "physical",
            Family::Technical => "technical",
            Family::Organizational => "organizational",
            Family::Documentation => "documentation",
            Family::BreachNotification => "breach-notification",
            Family::Proposed2025 => "proposed-2025",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Family::Administrative => "Administrative safeguards (164.308)",
            Family::Physical => "Physical safeguards (164.310)",
            Family::Technical => "Technical safeguards (164.312)",
            Family::Organizational => "Organizational requirements (164.314)",
            Family::Documentation => "Policies, procedures and documentation (164.316)",
            Family::BreachNotification => "Breach notification (164.400–414)",
            Family::Proposed2025 => "Proposed Security Rule, January 2025 (90 FR 898)",
        }
    }
}

/// One control of the catalog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Control {
    /// Stable key: the citation for controls in force (`164.312(a)(2)(iv)`), a dotted name for
    /// proposed items (`proposed-2025.asset-inventory`).
    pub id: String,
    /// The citation, for controls that have one in force; the responsibility matrix keys on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub citation: Option<ControlId>,
    /// How the regulation cites it, for people: "45 CFR 164.312(a)(2)(iv)".
    pub cite: String,
    pub name: String,
    pub kind: ControlKind,
    pub requirement: Requirement,
    pub family: Family,
    /// The standard a specification belongs to (its `id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// What it asks, in plain words (ours, not the regulation's).
    pub summary: String,
    /// Checks whose findings evidence it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<CheckId>,
    /// Kinds of register record that evidence it (`baa`, `policy`, …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub records: Vec<String>,
    /// No machine can check it: a person attests to it (`phiguard attest`).
    #[serde(default)]
    pub attestation: bool,
    /// Only in the `proposed-2025` profile.
    #[serde(default)]
    pub proposed: bool,
    /// Whether a cloud provider can carry it for the organisation. `false` for the duties the
    /// regulation leaves with the organisation whatever its contracts say (risk analysis,
    /// workforce, training, incidents, contingency planning of its own data, evaluation,
    /// business associate contracts, policies, breach notification): a responsibility matrix
    /// that hands one to the provider never meets it.
    #[serde(default = "delegable_by_default", skip_serializing_if = "is_true")]
    pub delegable: bool,
    /// Who owes it, for an obligation owed by one kind of organisation only (the breach
    /// notices of a covered entity, 164.404–164.408; a business associate's notice, 164.410);
    /// empty when every organisation owes it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub owed_by: Vec<OrganizationRole>,
    /// Whether the safeguard acts on ePHI itself or on access to it (access control, audit of
    /// the systems holding it, integrity, authentication, transmission, encryption, backup
    /// copies, the media it is on, the vendors that hold it), rather than on the governance
    /// around it (policies, training, evaluation, documentation). A failure of such a control
    /// exposes ePHI directly, so it weighs double in the ranking of what to fix
    /// ([`crate::ranking`]).
    #[serde(default, skip_serializing_if = "is_false")]
    pub protects_ephi: bool,
}

fn delegable_by_default() -> bool {
    true
}

fn is_true(value: &bool) -> bool {
    *value
}

fn is_false(value: &bool) -> bool {
    !*value
}

impl Control {
    /// Whether an organisation in `role` owes this control; with no role stated, it does.
    pub fn is_owed_by(&self, role: Option<OrganizationRole>) -> bool {
        match role {
            None => true,
            Some(role) => self.owed_by.is_empty() || self.owed_by.iter().any(|p| role.owes(*p)),
        }
    }
}

/// The whole catalog.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Catalog {
    pub controls: Vec<Control>,
}

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("catalog file {file}: {reason}")]
    Invalid { file: String, reason: String },
}

/// The two checks an assessment adds, named here for the catalog; defined in [`crate::sources`].
pub use crate::sources::{FIM_INTEGRITY, LEDGER_INTEGRITY};

/// The catalog files compiled into phiguard, in catalog order.
const BUILTIN: [(&str, &str); 3] = [
    (
        "security-rule.yaml",
        include_str!("../../../catalog/security-rule.yaml"),
    ),
    (
        "breach-notification.yaml",
        include_str!("../../../catalog/breach-notification.yaml"),
    ),
    (
        "proposed-2025.yaml",
        include_str!("../../../catalog/proposed-2025.yaml"),
    ),
];

/// The prefix of every proposed-2025 control's id.
const PROPOSED_PREFIX: &str = "proposed-2025.";

impl Catalog {
    /// The catalog compiled into phiguard: `catalog/security-rule.yaml`,
    /// `catalog/breach-notification.yaml` and `catalog/proposed-2025.yaml`, in that order.
    pub fn builtin() -> Result<Catalog, CatalogError> {
        Catalog::parse(&BUILTIN)
    }

    /// Parses catalog files, each given as (file name, YAML text) and each a list of
    /// [`Control`]s, and checks that together they make a consistent catalog: ids are unique;
    /// a control in force has a citation equal to its id, a proposed one has none and sits in
    /// the proposed-2025 family (and only proposed controls do); a specification names a
    /// standard of its own paragraph as parent; a standard's requirement says whether it has
    /// specifications; register kinds exist; and every control has an evidence source (checks,
    /// records or an attestation) unless it is a standard met through its specifications.
    ///
    /// The first problem found is returned, naming the file, the control and its line.
    pub fn parse(files: &[(&str, &str)]) -> Result<Catalog, CatalogError> {
        let mut entries = Vec::new();
        for &(file, text) in files {
            entries.extend(read(file, text)?.into_iter().map(|spanned| Entry {
                file,
                line: spanned.referenced.line(),
                control: spanned.value,
            }));
        }
        validate(&entries)?;
        Ok(Catalog {
            controls: entries.into_iter().map(|entry| entry.control).collect(),
        })
    }

    /// Every check id the catalog names, once.
    pub fn check_ids(&self) -> BTreeSet<CheckId> {
        self.controls
            .iter()
            .flat_map(|control| control.checks.iter().cloned())
            .collect()
    }

    /// The control with this id.
    pub fn get(&self, id: &str) -> Option<&Control> {
        self.controls.iter().find(|control| control.id == id)
    }

    /// What is wrong with matrix rows that hand the provider a duty it can never carry, one
    /// sentence per row naming it: a provider's spreadsheet is imported as it is, and the
    /// user is told which rows to correct.
    pub fn undelegable_rows<'a>(
        &self,
        rows: impl IntoIterator<Item = &'a ResponsibilityRecord>,
    ) -> Vec<String> {
        rows.into_iter()
            .filter(|row| row.responsibility == Responsibility::Provider)
            .filter_map(|row| {
                let control = self.get(&row.control().to_string())?;
                (!control.delegable).then(|| {
                    format!(
                        "{} ({}) stays with you whatever the provider carries: the row marks it \
                         `provider`, so it counts as not met until it is `customer` or \
                         `shared` with an owner (`phiguard register responsibility update \
                         '{}' --responsibility customer --owner NAME`)",
                        control.cite, control.name, control.id
                    )
                })
            })
            .collect()
    }

    /// The controls `profile` measures, in catalog order: `hipaa` leaves out the proposed
    /// controls, `proposed-2025` takes everything.
    pub fn controls_of(&self, profile: Profile) -> impl Iterator<Item = &Control> {
        self.controls
            .iter()
            .filter(move |control| profile == Profile::Proposed2025 || !control.proposed)
    }
}

/// A control and where it was written.
struct Entry<'a> {
    file: &'a str,
    line: u64,
    control: Control,
}

impl Entry<'_> {
    fn error(&self, reason: impl fmt::Display) -> CatalogError {
        CatalogError::Invalid {
            file: self.file.to_owned(),
            reason: format!(
                "control {:?} (line {}): {reason}",
                self.control.id, self.line
            ),
        }
    }
}

/// One file's controls, each with its location; a YAML or field error names the line and,
/// when it can be found, the control it is in.
fn read(file: &str, text: &str) -> Result<Vec<Spanned<Control>>, CatalogError> {
    if text.lines().all(|line| {
        let line = line.trim();
        line.is_empty() || line.starts_with('#')
    }) {
        return Ok(Vec::new());
    }
    serde_saphyr::from_str::<Vec<Spanned<Control>>>(text).map_err(|error| {
        let message = UserMessageFormatter.format_message(&error).into_owned();
        let line = error
            .location()
            .map(|location| location.line())
            .filter(|&line| line > 0);
        let reason = match line {
            Some(line) => match enclosing_control(text, line) {
                Some((id, start)) => format!("control {id} (line {start}): line {line}: {message}"),
                None => format!("line {line}: {message}"),
            },
            None => message,
        };
        CatalogError::Invalid {
            file: file.to_owned(),
            reason,
        }
    })
}

/// Just enough of a control to name it in an error about the rest of it.
#[derive(Deserialize)]
struct Probe {
    #[serde(default)]
    id: Option<serde_json::Value>,
}

/// The id (as written) and first line of the control whose text holds `line`, when the file
/// is a readable list at all.
fn enclosing_control(text: &str, line: u64) -> Option<(String, u64)> {
    let probes = serde_saphyr::from_str::<Vec<Spanned<Probe>>>(text).ok()?;
    let probe = probes
        .into_iter()
        .take_while(|probe| probe.referenced.line() <= line)
        .last()?;
    let id = match probe.value.id {
        Some(serde_json::Value::String(id)) => format!("{id:?}"),
        Some(other) => other.to_string(),
        None => "without an id".to_owned(),
    };
    Some((id, probe.referenced.line()))
}

fn validate(entries: &[Entry<'_>]) -> Result<(), CatalogError> {
    let mut by_id: BTreeMap<&str, &Entry<'_>> = BTreeMap::new();
    for entry in entries {
        validate_one(entry)?;
        if let Some(first) = by_id.insert(&entry.control.id, entry) {
            return Err(entry.error(format_args!(
                "the id is already used by the control at {} line {}",
                first.file, first.line
            )));
        }
    }
    let mut with_specifications = BTreeSet::new();
    for entry in entries {
        let control = &entry.control;
        let Some(parent_id) = &control.parent else {
            continue;
        };
        let parent = by_id.get(parent_id.as_str()).ok_or_else(|| {
            entry.error(format_args!(
                "its parent {parent_id:?} is not in the catalog"
            ))
        })?;
        let parent_control = &parent.control;
        if !parent_control.delegable && control.delegable {
            return Err(entry.error(format_args!(
                "its standard {parent_id:?} cannot be delegated, so neither can it: add \
                 `delegable: false`"
            )));
        }
        if parent_control.kind != ControlKind::Standard {
            return Err(entry.error(format_args!(
                "its parent {parent_id:?} is not a standard (kind {:?})",
                parent_control.kind
            )));
        }
        if parent_control.family != control.family {
            return Err(entry.error(format_args!(
                "its parent {parent_id:?} is in another family ({:?}, this is {:?})",
                parent_control.family, control.family
            )));
        }
        if let (Some(own), Some(theirs)) = (control.citation, parent_control.citation)
            && paragraph(own) != paragraph(theirs)
        {
            return Err(entry.error(format_args!(
                "its parent {parent_id:?} is not in the same paragraph ({} and {})",
                paragraph(own),
                paragraph(theirs)
            )));
        }
        with_specifications.insert(parent_id.as_str());
    }
    for entry in entries {
        let control = &entry.control;
        if control.kind != ControlKind::Standard {
            continue;
        }
        let has_specifications = with_specifications.contains(control.id.as_str());
        match (control.requirement, has_specifications) {
            (Requirement::Standard, false) => {
                return Err(entry.error(
                    "requirement is `standard` but no specification names it as parent; \
                     a standard without specifications is `required`",
                ));
            }
            (Requirement::Required, true) => {
                return Err(entry.error(
                    "it has specifications, so its requirement is `standard` (they carry \
                     required or addressable)",
                ));
            }
            _ => {}
        }
    }
    for entry in entries {
        let control = &entry.control;
        let rolls_up = control.kind == ControlKind::Standard
            && with_specifications.contains(control.id.as_str());
        if control.checks.is_empty()
            && control.records.is_empty()
            && !control.attestation
            && !rolls_up
        {
            return Err(entry.error(
                "it has no evidence source: name its checks or records, or set \
                 `attestation: true` when only a person can attest to it",
            ));
        }
    }
    Ok(())
}

/// The problems of one control on its own.
fn validate_one(entry: &Entry<'_>) -> Result<(), CatalogError> {
    let control = &entry.control;
    if control.id.trim().is_empty() || control.id.trim() != control.id {
        return Err(entry.error("the id is empty or has surrounding spaces"));
    }
    for (field, value) in [
        ("cite", &control.cite),
        ("name", &control.name),
        ("summary", &control.summary),
    ] {
        if value.trim().is_empty() {
            return Err(entry.error(format_args!("`{field}` is empty")));
        }
    }
    let in_proposed_family = control.family == Family::Proposed2025;
    if control.proposed != in_proposed_family {
        return Err(entry.error(if control.proposed {
            "`proposed: true` needs `family: proposed-2025`"
        } else {
            "family proposed-2025 holds only proposed controls: add `proposed: true`"
        }));
    }
    if control.proposed {
        if !control.id.starts_with(PROPOSED_PREFIX) || control.id.len() == PROPOSED_PREFIX.len() {
            return Err(entry.error(format_args!(
                "a proposed control's id starts with {PROPOSED_PREFIX:?} and a name"
            )));
        }
        if let Some(citation) = control.citation {
            return Err(entry.error(format_args!(
                "a proposed control has no citation in force, but it names {citation}"
            )));
        }
    } else {
        let Some(citation) = control.citation else {
            return Err(entry.error("a control in force needs its `citation` (the same as its id)"));
        };
        if citation.to_string() != control.id {
            return Err(entry.error(format_args!(
                "its citation is {citation}, but the id of a control in force is its citation"
            )));
        }
    }
    match (control.kind, control.requirement, &control.parent) {
        (ControlKind::Specification, Requirement::Standard, _) => {
            return Err(
                entry.error("a specification is `required` or `addressable`, not `standard`")
            );
        }
        (ControlKind::Specification, _, None) => {
            return Err(entry.error("a specification needs the `parent` standard it belongs to"));
        }
        (ControlKind::Obligation, Requirement::Standard, _) => {
            return Err(entry.error("an obligation is `required` or `addressable`, not `standard`"));
        }
        (ControlKind::Standard | ControlKind::Obligation, _, Some(parent)) => {
            return Err(entry.error(format_args!(
                "only a specification has a parent, but it names {parent:?}"
            )));
        }
        (ControlKind::Standard, Requirement::Addressable, _) => {
            return Err(entry.error(
                "a standard is `required` (no specifications) or `standard` (met through them)",
            ));
        }
        _ => {}
    }
    if let Some(duplicate) = first_duplicate(control.checks.iter().map(CheckId::as_str)) {
        return Err(entry.error(format_args!("check {duplicate} is named twice")));
    }
    if control.owed_by.contains(&OrganizationRole::Both) {
        return Err(entry.error(
            "`owed_by` lists covered_entity or business_associate; leave it out when both owe it",
        ));
    }
    if let Some(duplicate) = first_duplicate(control.owed_by.iter().map(|role| role.as_str())) {
        return Err(entry.error(format_args!("{duplicate} is named twice in `owed_by`")));
    }
    if let Some(duplicate) = first_duplicate(control.records.iter().map(String::as_str)) {
        return Err(entry.error(format_args!("record kind {duplicate} is named twice")));
    }
    if let Some(unknown) = control
        .records
        .iter()
        .find(|name| !Kind::ALL.iter().any(|kind| kind.name() == name.as_str()))
    {
        let names: Vec<&str> = Kind::ALL.iter().map(|kind| kind.name()).collect();
        return Err(entry.error(format_args!(
            "{unknown:?} is not a kind of register record; use one of {}",
            names.join(", ")
        )));
    }
    Ok(())
}

fn first_duplicate<'a>(items: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let mut seen = BTreeSet::new();
    items.into_iter().find(|item| !seen.insert(*item))
}

/// The first-level paragraph a citation sits in: `164.308(a)` for `164.308(a)(1)(ii)(A)`.
fn paragraph(citation: ControlId) -> ControlId {
    let mut head = citation;
    while head.depth() > 1 {
        match head.parent() {
            Some(parent) => head = parent,
            None => break,
        }
    }
    head
}
