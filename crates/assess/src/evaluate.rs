//! From evidence to a status per control.
//!
//! A control's own evidence decides first: the findings of the checks the catalog maps to it.
//! Machine evidence outranks a statement, so a failing check is not hidden by an attestation,
//! and a statement never stands in for a check that did not run: the part of a control such a
//! check covers stays unknown. Where no check speaks, a current attestation (for controls no
//! machine can check) or the responsibility matrix decides: a control the provider carries is
//! met by inheritance only when the row names a vendor of the register that has a BAA in force
//! and a current assurance report, and a duty the regulation leaves with the organisation is
//! never carried by a provider. A standard with implementation specifications is met through
//! them. Nothing known is `unknown`, never `met`: an empty installation must not look
//! compliant.

use std::collections::BTreeMap;

use jiff::civil::Date;
use phiguard_core::{EvidenceRef, Finding, OrganizationRole, Status, StatusCounts};
use phiguard_register::records::{Responsibility, ResponsibilityRecord};
use phiguard_register::{Snapshot, Stored};
use serde::Serialize;

use crate::catalog::{Catalog, Control, ControlKind, Family, Profile, Requirement};
use crate::history::SincePrevious;
use crate::ranking::{self, Problem};
use crate::sources;

/// Where a control stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ControlStatus {
    NotMet,
    Partial,
    Unknown,
    Met,
    NotApplicable,
}

impl ControlStatus {
    pub const ALL: [ControlStatus; 5] = [
        ControlStatus::Met,
        ControlStatus::Partial,
        ControlStatus::NotMet,
        ControlStatus::Unknown,
        ControlStatus::NotApplicable,
    ];

    /// The status [`ControlStatus::as_str`] names, or its JSON name (`not-met`).
    pub fn parse(text: &str) -> Option<ControlStatus> {
        ControlStatus::ALL
            .into_iter()
            .find(|status| text == status.as_str() || text.replace('-', " ") == status.as_str())
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ControlStatus::Met => "met",
            ControlStatus::Partial => "partial",
            ControlStatus::NotMet => "not met",
            ControlStatus::Unknown => "unknown",
            ControlStatus::NotApplicable => "not applicable",
        }
    }
}

/// The signed checkpoint an assessment was computed at: an auditor verifies the evidence it
/// cites with `phiguard ledger verify` and `ledger prove`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LedgerCheckpoint {
    pub origin: String,
    pub size: u64,
    /// The tree's root hash, in hex.
    pub root: String,
    /// The signed note itself.
    pub note: String,
}

/// Someone's sign-off of an assessment: who reviewed it and stands behind it, when, and which
/// recorded assessment it is for, itself recorded in the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignOff {
    /// The name (and role) given with `--sign-off`.
    pub by: String,
    /// The operating-system account that recorded it, as the ledger entry's source names it.
    pub account: Option<String>,
    pub at: jiff::Timestamp,
    /// The ledger entry of the assessment signed off.
    pub assessment: EvidenceRef,
    /// The ledger entry of the sign-off itself.
    pub evidence: EvidenceRef,
}

/// Everything an assessment is computed from.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// Findings of every check that ran (host, register, FIM, ledger).
    pub findings: Vec<Finding>,
    /// Checks that did not run, by id, with why ("host checks skipped (--skip host)", "no
    /// ePHI paths are configured…"): the parts of controls they cover stay unknown.
    pub not_run: BTreeMap<String, String>,
    /// The register as judged: attestations, the responsibility matrix, and the vendors,
    /// BAAs and assurance reports an inherited control rests on.
    pub register: Snapshot,
    /// The organisation's role, which decides the breach obligations it owes; `None` when
    /// not stated, and then every obligation is assessed.
    pub role: Option<OrganizationRole>,
    /// Sources that could not run, with why (no FIM baseline, host checks skipped…).
    pub notes: Vec<String>,
    /// Checks of something the organisation has not brought into phiguard (a cloud account
    /// never checked): left out of every control rather than leaving its part unknown. The
    /// notes say so, so a report never hides it.
    pub out_of_scope: std::collections::BTreeSet<String>,
}

/// How many findings of each status a check produced for a control.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckTally {
    pub check: String,
    pub counts: StatusCounts,
}

impl Serialize for CheckTally {
    /// `{"check": …, "pass": …}`: the counts beside the check's name, with `error` before
    /// `not_applicable` as reports have always written them.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut fields = serializer.serialize_struct("CheckTally", 6)?;
        fields.serialize_field("check", &self.check)?;
        for status in [
            Status::Pass,
            Status::Fail,
            Status::Warn,
            Status::Error,
            Status::NotApplicable,
        ] {
            fields.serialize_field(status.as_str(), &self.counts.get(status))?;
        }
        fields.end()
    }
}

/// One control's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ControlResult {
    pub id: String,
    pub cite: String,
    pub name: String,
    pub kind: ControlKind,
    pub requirement: Requirement,
    pub family: Family,
    pub parent: Option<String>,
    pub summary: String,
    pub status: ControlStatus,
    /// Why it has that status, in a sentence.
    pub basis: String,
    /// Whether a provider can carry it for the organisation (the catalog's `delegable`).
    pub delegable: bool,
    /// Whether it protects ePHI directly (the catalog's `protects_ephi`), which weighs in the
    /// ranking of what to fix.
    pub protects_ephi: bool,
    /// Who answers for it, from the responsibility matrix.
    pub owner: Option<String>,
    pub responsibility: Option<Responsibility>,
    /// The checks that spoke, with their findings counted.
    pub checks: Vec<CheckTally>,
    /// The findings that need attention (fail, error, warn), in full.
    pub attention: Vec<Finding>,
    /// Ledger entries the status rests on, by sequence number.
    pub evidence: Vec<EvidenceRef>,
    /// What to do, from the failing findings and the catalog; empty when met.
    pub remediation: Vec<String>,
    /// The register records that document it, counted by kind (the catalog's `records`).
    pub records: BTreeMap<String, usize>,
}

/// Counts per status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub met: usize,
    pub partial: usize,
    pub not_met: usize,
    pub unknown: usize,
    pub not_applicable: usize,
}

impl Tally {
    pub fn add(&mut self, status: ControlStatus) {
        *match status {
            ControlStatus::Met => &mut self.met,
            ControlStatus::Partial => &mut self.partial,
            ControlStatus::NotMet => &mut self.not_met,
            ControlStatus::Unknown => &mut self.unknown,
            ControlStatus::NotApplicable => &mut self.not_applicable,
        } += 1;
    }

    pub fn total(&self) -> usize {
        self.met + self.partial + self.not_met + self.unknown + self.not_applicable
    }

    pub fn get(&self, status: ControlStatus) -> usize {
        match status {
            ControlStatus::Met => self.met,
            ControlStatus::Partial => self.partial,
            ControlStatus::NotMet => self.not_met,
            ControlStatus::Unknown => self.unknown,
            ControlStatus::NotApplicable => self.not_applicable,
        }
    }
}

/// The status of every control of a profile.
///
/// Its JSON form is its fields and `problems`, the ranking of what to fix
/// ([`Assessment::problems`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(remote = "Self")]
pub struct Assessment {
    /// Sample data (`phiguard demo`'s made-up clinic), not an assessment of a real
    /// organisation: every view says so in its title and header, so a screenshot or a copy
    /// cannot pass for a real assessment.
    pub sample: bool,
    pub profile: Profile,
    /// The installation assessed.
    pub installation: String,
    pub assessed_at: jiff::Timestamp,
    pub today: Date,
    pub phiguard_version: String,
    /// The organisation's name, from phiguard.toml (`[organization] name`); `None` when not
    /// stated.
    pub organization_name: Option<String>,
    /// The organisation's role under HIPAA, from phiguard.toml; `None` when not stated.
    pub role: Option<OrganizationRole>,
    /// What the assessment covers, as the organisation states it (for a hybrid entity, its
    /// designated health care components).
    pub scope: Option<String>,
    pub summary: Tally,
    /// Counts per safeguard family, in family order.
    pub families: Vec<(Family, Tally)>,
    /// In catalog order.
    pub controls: Vec<ControlResult>,
    /// Sources that could not run.
    pub notes: Vec<String>,
    /// The ledger entry recording this assessment, once recorded.
    pub evidence: Option<EvidenceRef>,
    /// The checkpoint the evidence can be verified against, once signed.
    pub checkpoint: Option<LedgerCheckpoint>,
    /// Who signed the assessment off, when asked to (`phiguard assess --sign-off NAME`).
    pub sign_off: Option<SignOff>,
    /// What changed since the previous assessment recorded in the ledger; `None` when there is
    /// none.
    pub since_previous: Option<SincePrevious>,
    /// The cloud account whose findings the assessment judged, with every resource seen;
    /// `None` when no cloud account is in scope.
    pub cloud: Option<CloudAccount>,
    /// The assets and flows of ePHI the risk checks judged, with the network map; `None`
    /// when the risk checks did not run.
    pub risk: Option<RiskOverview>,
}

/// The asset inventory and data flows as the assessment's risk checks saw them, for the
/// report: the counts, where the newest signed analysis stands, and the network map.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RiskOverview {
    pub assets: usize,
    pub ephi_assets: usize,
    pub flows: usize,
    pub unencrypted_flows: usize,
    /// The newest signed analysis whose document the ledger holds, in a sentence ("2026-12-07,
    /// signed by Dana Ruiz on 2026-12-07"); `None` when there is none.
    pub analysis: Option<String>,
    /// The network map as inline SVG, drawn and escaped by the risk analysis's renderer
    /// (`phiguard_risk::report::network_map`). Left out of the JSON, which has the counts.
    #[serde(skip)]
    pub map_svg: String,
}

/// A cloud account as the assessment saw it: its latest inventory, checked against the
/// ledger entry that recorded it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CloudAccount {
    /// `aws`.
    pub provider: String,
    pub account: String,
    /// When the check that saw the resources was recorded.
    pub taken_at: jiff::Timestamp,
    /// The ledger entry of that check.
    pub evidence: EvidenceRef,
    pub resources: Vec<phiguard_cloud::resources::CloudResource>,
}

impl CloudAccount {
    /// The resource a finding is about: its subject is the resource's ARN, alone or followed
    /// by its name (see `phiguard_cloud::Resource::subject`).
    pub fn resource_of(&self, subject: &str) -> Option<&phiguard_cloud::resources::CloudResource> {
        self.resource_index(subject).map(|(_, resource)| resource)
    }

    /// [`CloudAccount::resource_of`] with the resource's place in the inventory.
    pub fn resource_index(
        &self,
        subject: &str,
    ) -> Option<(usize, &phiguard_cloud::resources::CloudResource)> {
        let arn = subject.split(" (").next().unwrap_or(subject);
        self.resources
            .iter()
            .enumerate()
            .find(|(_, r)| r.arn == arn)
    }
}

impl Serialize for Assessment {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Json<'a> {
            #[serde(flatten, serialize_with = "fields")]
            assessment: &'a Assessment,
            problems: Vec<Problem<'a>>,
        }
        fn fields<S: serde::Serializer>(
            assessment: &&Assessment,
            serializer: S,
        ) -> Result<S::Ok, S::Error> {
            Assessment::serialize(assessment, serializer)
        }
        Json {
            assessment: self,
            problems: self.problems(),
        }
        .serialize(serializer)
    }
}

/// The sentence every view of a sample assessment shows under its header.
pub const SAMPLE_DATA_NOTICE: &str = "This report is sample data: `phiguard demo` made up the \
    clinic, its records and its findings to show what a report looks like. It is not an \
    assessment of any real organisation.";

impl Assessment {
    /// An assessment of `controls` (in catalog order) with their counts, and nothing else
    /// known yet: no role, scope, notes, ledger entry or checkpoint.
    pub fn new(
        profile: Profile,
        installation: String,
        assessed_at: jiff::Timestamp,
        today: Date,
        controls: Vec<ControlResult>,
    ) -> Assessment {
        let (summary, families) = tally(&controls);
        Assessment {
            sample: false,
            profile,
            installation,
            assessed_at,
            today,
            phiguard_version: env!("CARGO_PKG_VERSION").to_owned(),
            organization_name: None,
            role: None,
            scope: None,
            summary,
            families,
            controls,
            notes: Vec::new(),
            evidence: None,
            checkpoint: None,
            sign_off: None,
            since_previous: None,
            cloud: None,
            risk: None,
        }
    }

    /// What the title of every view of a sample assessment ends with (": sample data, not a
    /// real assessment"); nothing for a real one.
    pub fn sample_mark(&self) -> &'static str {
        if self.sample {
            ": sample data, not a real assessment"
        } else {
            ""
        }
    }

    /// What to fix, worst first: one ranking for every view ([`crate::ranking`]).
    pub fn problems(&self) -> Vec<Problem<'_>> {
        ranking::rank(&self.controls)
    }

    /// Who was assessed, in a phrase: "Riverside Clinic, a covered entity; scope: EHR
    /// platform", each part that is not stated saying so and where to state it.
    pub fn organization(&self) -> String {
        let scope = match &self.scope {
            Some(scope) => format!("scope: {scope}"),
            None => format!("scope {}", self.scope_label()),
        };
        let name = self
            .organization_name
            .as_deref()
            .unwrap_or("organisation not named ([organization] name in phiguard.toml)");
        format!("{name}, {}; {scope}", self.role_label())
    }

    /// The organisation's name, or that it is not named and where to name it.
    pub fn organization_label(&self) -> &str {
        self.organization_name
            .as_deref()
            .unwrap_or("not named ([organization] name in phiguard.toml)")
    }

    /// The organisation's role ("a covered entity"), or that it is not stated.
    pub fn role_label(&self) -> String {
        match self.role {
            Some(role) => format!("a {}", role.title()),
            None => "role not stated ([organization] role in phiguard.toml), so every \
                     obligation is assessed"
                .to_owned(),
        }
    }

    /// What was assessed, for titles: "Riverside Clinic (installation clinic-main)", or the
    /// installation alone when the organisation is not named.
    pub fn subject(&self) -> String {
        match &self.organization_name {
            Some(name) => format!("{name} (installation {})", self.installation),
            None => self.installation.clone(),
        }
    }

    /// What the assessment covers, or that it is not stated and where to state it.
    pub fn scope_label(&self) -> &str {
        self.scope
            .as_deref()
            .unwrap_or("not stated ([organization] scope in phiguard.toml)")
    }

    /// The controls that are not met or partial, in the order of the first problem that names
    /// each ([`Assessment::problems`]).
    pub fn failures(&self) -> Vec<&ControlResult> {
        let mut failing: Vec<&ControlResult> = Vec::new();
        for problem in self.problems() {
            for control in problem.controls {
                if !failing.iter().any(|c| std::ptr::eq(*c, control)) {
                    failing.push(control);
                }
            }
        }
        // A standard failing only through its specifications has no problem of its own: it
        // follows them.
        for control in &self.controls {
            if matches!(
                control.status,
                ControlStatus::NotMet | ControlStatus::Partial
            ) && !failing.iter().any(|c| std::ptr::eq(*c, control))
            {
                failing.push(control);
            }
        }
        failing
    }
}

/// Assesses every control of `profile` in `catalog` from `inputs` as of `today`.
pub fn evaluate(
    catalog: &Catalog,
    profile: Profile,
    inputs: &Inputs,
    today: Date,
) -> Vec<ControlResult> {
    let mut by_check: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for finding in &inputs.findings {
        by_check
            .entry(finding.check.as_str())
            .or_default()
            .push(finding);
    }
    let matrix: BTreeMap<String, &Stored<ResponsibilityRecord>> = inputs
        .register
        .matrix
        .values()
        .map(|row| (row.record.control().to_string(), row))
        .collect();
    let controls: Vec<&Control> = catalog.controls_of(profile).collect();
    // A standard the matrix marks not applicable takes its specifications with it (a clinic
    // is no group health plan, whatever 164.314(b)(2) says).
    let not_applicable: Vec<&str> = controls
        .iter()
        .filter(|c| {
            c.citation.is_some_and(|citation| {
                matrix
                    .get(&citation.to_string())
                    .is_some_and(|row| row.record.responsibility == Responsibility::NotApplicable)
            })
        })
        .map(|c| c.id.as_str())
        .collect();
    let mut results: Vec<ControlResult> = controls
        .iter()
        .map(|control| {
            let parent_not_applicable = control
                .parent
                .as_deref()
                .is_some_and(|parent| not_applicable.contains(&parent));
            own_result(
                control,
                parent_not_applicable,
                &by_check,
                &matrix,
                inputs,
                today,
            )
        })
        .collect();
    roll_up_standards(&mut results);
    results
}

/// Checks that vouch for phiguard's own records (the ledger verifies, no register record was
/// edited behind its back) rather than for the organisation's safeguards. Their failure
/// undermines every control whose evidence they carry; their success proves nothing about the
/// control itself, so it never makes a control met on its own.
const VOUCH_FOR_EVIDENCE_ONLY: [&str; 2] = [crate::sources::LEDGER_INTEGRITY, "register.integrity"];

/// A control judged on its own evidence.
fn own_result(
    control: &Control,
    parent_not_applicable: bool,
    by_check: &BTreeMap<&str, Vec<&Finding>>,
    matrix: &BTreeMap<String, &Stored<ResponsibilityRecord>>,
    inputs: &Inputs,
    today: Date,
) -> ControlResult {
    let row = control
        .citation
        .and_then(|citation| matrix.get(&citation.to_string()).copied());
    let responsibility = row.map(|r| r.record.responsibility);
    let mut result = ControlResult {
        id: control.id.clone(),
        cite: control.cite.clone(),
        name: control.name.clone(),
        kind: control.kind,
        requirement: control.requirement,
        family: control.family,
        parent: control.parent.clone(),
        summary: control.summary.clone(),
        status: ControlStatus::Unknown,
        basis: String::new(),
        delegable: control.delegable,
        protects_ephi: control.protects_ephi,
        owner: row.and_then(|r| r.record.owner.clone()),
        responsibility,
        checks: Vec::new(),
        attention: Vec::new(),
        evidence: Vec::new(),
        remediation: Vec::new(),
        records: control
            .records
            .iter()
            .map(|kind| {
                let count = kind
                    .parse::<phiguard_register::Kind>()
                    .map_or(0, |kind| inputs.register.count(kind));
                (kind.clone(), count)
            })
            .collect(),
    };
    if !control.is_owed_by(inputs.role) {
        let owed_by: Vec<&str> = control.owed_by.iter().map(|r| r.title()).collect();
        result.status = ControlStatus::NotApplicable;
        result.basis = format!(
            "only a {} owes it, and the organisation is a {} ([organization] role in \
             phiguard.toml)",
            owed_by.join(" or a "),
            inputs.role.map_or("", OrganizationRole::title)
        );
        return result;
    }
    if responsibility == Some(Responsibility::NotApplicable) {
        result.status = ControlStatus::NotApplicable;
        result.basis = "the responsibility matrix marks it not applicable".into();
        return result;
    }
    if parent_not_applicable {
        result.status = ControlStatus::NotApplicable;
        result.basis = "the responsibility matrix marks its standard not applicable".into();
        return result;
    }

    let mut own_findings: Vec<(String, Vec<&Finding>)> = control
        .checks
        .iter()
        .filter(|check| !inputs.out_of_scope.contains(check.as_str()))
        .map(|check| {
            let findings = by_check.get(check.as_str()).cloned().unwrap_or_default();
            (check.to_string(), findings)
        })
        .collect();
    // A duty the regulation leaves with the organisation, handed to the provider by the
    // matrix: a failing finding of its own until someone corrects the row.
    let delegation = row
        .filter(|r| r.record.responsibility == Responsibility::Provider && !control.delegable)
        .map(|row| sources::delegation_finding(control, row));
    if let Some(finding) = &delegation {
        own_findings.push((sources::MATRIX_DELEGATION.to_owned(), vec![finding]));
    }

    let (mut pass, mut fail, mut warn) = (0, 0, 0);
    // The checks that said nothing, with why: the parts of the control they cover are unknown.
    let mut silent: Vec<(String, String)> = Vec::new();
    for (check, findings) in &own_findings {
        if findings.is_empty() {
            let why = inputs
                .not_run
                .get(check)
                .cloned()
                .unwrap_or_else(|| "it did not run".to_owned());
            silent.push((check.clone(), why));
            continue;
        }
        let mut tally = CheckTally {
            check: check.clone(),
            counts: StatusCounts::default(),
        };
        for finding in findings {
            tally.counts.add(finding.status);
            if finding.status != Status::NotApplicable {
                result.evidence.extend(finding.evidence.iter().copied());
            }
            if matches!(finding.status, Status::Fail | Status::Error | Status::Warn) {
                result.attention.push((*finding).clone());
                if let Some(remediation) = &finding.remediation
                    && !result.remediation.contains(remediation)
                {
                    result.remediation.push(remediation.clone());
                }
            }
        }
        if !VOUCH_FOR_EVIDENCE_ONLY.contains(&check.as_str()) {
            pass += tally.counts.pass;
        }
        fail += tally.counts.fail + tally.counts.error;
        warn += tally.counts.warn;
        result.checks.push(tally);
    }
    for (check, why) in &silent {
        let step = format!("{check} did not run: {why}.");
        if !result.remediation.contains(&step) {
            result.remediation.push(step);
        }
    }
    let unseen = (!silent.is_empty()).then(|| {
        let names: Vec<&str> = silent.iter().map(|(check, _)| check.as_str()).collect();
        format!(
            "; {} did not run, so what it covers is unknown",
            names.join(", ")
        )
    });
    let unseen = unseen.as_deref().unwrap_or("");

    let attestation = inputs.register.attestations.get(&control.id);
    if let Some(evidence) = attestation.and_then(|a| a.evidence) {
        result.evidence.push(evidence);
    }
    let current_attestation = attestation.filter(|a| a.record.is_valid_on(today));
    (result.status, result.basis) = if fail > 0 {
        let status = if pass > 0 {
            ControlStatus::Partial
        } else {
            ControlStatus::NotMet
        };
        (
            status,
            format!("{fail} failing and {pass} passing findings from its checks{unseen}"),
        )
    } else if warn > 0 {
        (
            ControlStatus::Partial,
            format!("{warn} warnings and {pass} passing findings from its checks{unseen}"),
        )
    } else if pass > 0 && !silent.is_empty() {
        // An attestation never stands in for a machine check that did not run.
        (
            ControlStatus::Partial,
            format!("{pass} passing findings from its checks{unseen}"),
        )
    } else if pass > 0 && control.attestation {
        // The checks cover only part of the control (the catalog marks the rest for a
        // person to attest): met once both speak.
        match current_attestation {
            Some(attestation) => (
                ControlStatus::Met,
                format!(
                    "{pass} passing findings from its checks, and attested by {} on {}",
                    attestation.record.by, attestation.record.date
                ),
            ),
            None => {
                result.remediation.push(format!(
                    "Its checks pass, but they cover only part of it: attest to the rest with \
                     `phiguard attest {} --by NAME --statement TEXT`.",
                    control.id
                ));
                (
                    ControlStatus::Partial,
                    format!(
                        "{pass} passing findings from its checks; the part no check covers is not attested"
                    ),
                )
            }
        }
    } else if pass > 0 {
        (
            ControlStatus::Met,
            format!("{pass} passing findings from its checks"),
        )
    } else if !silent.is_empty() {
        (
            ControlStatus::Unknown,
            format!("no finding to judge it by{unseen}"),
        )
    } else if let Some(attestation) = attestation {
        let record = &attestation.record;
        if record.is_valid_on(today) {
            (
                ControlStatus::Met,
                format!(
                    "attested by {} on {} (stands until {})",
                    record.by,
                    record.date,
                    record.valid_until()
                ),
            )
        } else {
            result.remediation.push(format!(
                "Review the control and attest again: `phiguard attest {} --by NAME --statement TEXT`.",
                control.id
            ));
            (
                ControlStatus::Unknown,
                format!(
                    "the attestation by {} of {} lapsed on {}",
                    record.by,
                    record.date,
                    record.valid_until()
                ),
            )
        }
    } else if let Some(row) = row.filter(|r| r.record.responsibility == Responsibility::Provider) {
        inherited(&mut result, row, &inputs.register, today)
    } else {
        if control.attestation {
            result.remediation.push(format!(
                "No machine can check this: once it is in place, record it with `phiguard attest {} --by NAME --statement TEXT [--evidence FILE]`.",
                control.id
            ));
        }
        (ControlStatus::Unknown, unknown_basis(control))
    };
    result.evidence.sort_by_key(|e| e.seq);
    result.evidence.dedup();
    result
}

/// A control the matrix says the provider carries: met only on the evidence of the whole
/// chain (a vendor of the register, a BAA with it in force, a current assurance report), at
/// most partial with a link missing, and the finding says which.
fn inherited(
    result: &mut ControlResult,
    row: &Stored<ResponsibilityRecord>,
    register: &Snapshot,
    today: Date,
) -> (ControlStatus, String) {
    let chain = sources::inheritance(row, register, today);
    result
        .evidence
        .extend(chain.finding.evidence.iter().copied());
    result.checks.push(CheckTally {
        check: sources::MATRIX_INHERITANCE.to_owned(),
        counts: StatusCounts::of([chain.finding.status]),
    });
    let status = match chain.links {
        sources::Links::All => ControlStatus::Met,
        sources::Links::Some => ControlStatus::Partial,
        sources::Links::None => ControlStatus::Unknown,
    };
    let basis = chain.finding.message.clone();
    if status != ControlStatus::Met {
        if let Some(remediation) = &chain.finding.remediation {
            result.remediation.push(remediation.clone());
        }
        result.attention.push(chain.finding);
    }
    (status, basis)
}

/// Why nothing is known when every check ran (or there are none), so the user knows what
/// would tell.
fn unknown_basis(control: &Control) -> String {
    match (control.checks.is_empty(), control.attestation) {
        (false, _) => "its checks found nothing to judge in the control itself (their findings \
                       were not applicable, or only vouched for phiguard's own records)"
            .into(),
        (true, true) => "no attestation is recorded".into(),
        (true, false) => "no evidence source covers it yet".into(),
    }
}

/// A standard with specifications takes the status of its specifications together with its
/// own evidence: met only when every one is met or not applicable.
fn roll_up_standards(results: &mut [ControlResult]) {
    let children: BTreeMap<String, Vec<ControlStatus>> =
        results.iter().fold(BTreeMap::new(), |mut map, result| {
            if let Some(parent) = &result.parent {
                map.entry(parent.clone())
                    .or_insert_with(Vec::new)
                    .push(result.status);
            }
            map
        });
    for result in results.iter_mut() {
        let Some(statuses) = children.get(&result.id) else {
            continue;
        };
        let mut all = statuses.clone();
        if result.status != ControlStatus::Unknown || !result.checks.is_empty() {
            all.push(result.status);
        }
        let count = |wanted: ControlStatus| all.iter().filter(|s| **s == wanted).count();
        let applicable = all.len() - count(ControlStatus::NotApplicable);
        let met = count(ControlStatus::Met);
        let (status, basis) = if applicable == 0 {
            (
                ControlStatus::NotApplicable,
                "none of its specifications applies".to_owned(),
            )
        } else if met == applicable {
            (
                ControlStatus::Met,
                format!("all {applicable} applicable parts are met"),
            )
        } else if count(ControlStatus::NotMet) == applicable {
            (
                ControlStatus::NotMet,
                format!("none of its {applicable} applicable parts is met"),
            )
        } else if count(ControlStatus::Unknown) == applicable {
            (
                ControlStatus::Unknown,
                format!("nothing is known of its {applicable} applicable parts"),
            )
        } else if met == 0 && count(ControlStatus::Partial) == 0 {
            let not_met = count(ControlStatus::NotMet);
            if not_met > 0 {
                (
                    ControlStatus::NotMet,
                    format!("{not_met} of {applicable} parts not met, the rest unknown"),
                )
            } else {
                (
                    ControlStatus::Unknown,
                    "nothing is known of its parts".into(),
                )
            }
        } else {
            (
                ControlStatus::Partial,
                format!("{met} of {applicable} applicable parts are met"),
            )
        };
        result.status = status;
        result.basis = basis;
    }
}

/// Counts per status, overall and per family.
pub fn tally(results: &[ControlResult]) -> (Tally, Vec<(Family, Tally)>) {
    let mut overall = Tally::default();
    let mut families: BTreeMap<Family, Tally> = BTreeMap::new();
    for result in results {
        overall.add(result.status);
        families
            .entry(result.family)
            .or_default()
            .add(result.status);
    }
    (overall, families.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_check_tally_keeps_its_json_shape() {
        let tally = CheckTally {
            check: "host.ssh".into(),
            counts: StatusCounts::of([Status::Pass, Status::Error, Status::NotApplicable]),
        };
        assert_eq!(
            serde_json::to_string(&tally).unwrap(),
            r#"{"check":"host.ssh","pass":1,"fail":0,"warn":0,"error":1,"not_applicable":1}"#
        );
    }
}
