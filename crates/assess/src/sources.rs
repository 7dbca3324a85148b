//! Evidence that is not a check of its own elsewhere, judged for the assessment: file
//! integrity against the FIM baseline (of the system, and of the configured ePHI
//! directories), the integrity of the evidence ledger itself, and what the responsibility
//! matrix may and may not hand to a provider.

use jiff::Timestamp;
use jiff::civil::Date;
use phiguard_core::{CheckMeta, EvidenceRef, Finding, Severity, Status};
use phiguard_register::records::ResponsibilityRecord;
use phiguard_register::{Snapshot, Stored};

use crate::catalog::Control;

/// The check id of the FIM comparison, as the catalog names it.
pub const FIM_INTEGRITY: &str = "fim.integrity";
/// The check id of the FIM comparison of the configured ePHI directories (164.312(c)).
pub const FIM_EPHI: &str = "fim.ephi";
/// The check id of the ledger's verification, as the catalog names it.
pub const LEDGER_INTEGRITY: &str = "ledger.integrity";
/// A matrix row that hands the provider a duty it can never carry.
pub const MATRIX_DELEGATION: &str = "matrix.delegation";
/// The chain of evidence behind a control the provider carries.
pub const MATRIX_INHERITANCE: &str = "matrix.inheritance";

/// Every check the assessment itself judges, for the catalog's consistency tests.
pub const ASSESSMENT_CHECKS: [&str; 5] = [
    FIM_INTEGRITY,
    FIM_EPHI,
    LEDGER_INTEGRITY,
    MATRIX_DELEGATION,
    MATRIX_INHERITANCE,
];

pub fn fim_meta() -> CheckMeta {
    CheckMeta::from_literals(
        FIM_INTEGRITY,
        "Monitored files match their baseline",
        Severity::High,
        "45 CFR 164.312(c)(1) requires protecting ePHI from improper alteration or destruction, \
         and 164.312(c)(2) a mechanism to show it was not altered; file integrity monitoring \
         against a recorded baseline is that mechanism for the systems and data it covers.",
        "Review each unexplained change with `phiguard fim check`. Restore what was altered \
         without authorisation and treat it as a security incident; once every change left is \
         authorised, take a new baseline with `phiguard fim update --reason TEXT`.",
    )
}

/// What a FIM comparison found, for one finding.
#[derive(Debug, Clone)]
pub struct FimOutcome {
    pub baseline: i64,
    pub baseline_taken: Timestamp,
    pub rules: String,
    /// The paths the comparison covered (the roots of its rules), absolute.
    pub roots: Vec<String>,
    pub changed: u64,
    pub explained: u64,
    pub unexplained: u64,
    /// The paths of the unexplained changes, to tell those in ePHI directories apart. Never
    /// recorded: names of files in ePHI directories can themselves identify patients.
    pub unexplained_paths: Vec<String>,
    pub evidence: EvidenceRef,
}

pub fn fim_finding(outcome: &FimOutcome) -> Finding {
    let meta = fim_meta();
    let (status, message) = if outcome.unexplained == 0 {
        (
            Status::Pass,
            format!(
                "no unexplained change since baseline {} of {} ({} changes explained by package updates)",
                outcome.baseline,
                when(outcome.baseline_taken),
                outcome.explained
            ),
        )
    } else {
        (
            Status::Fail,
            format!(
                "{} unexplained changes since baseline {} of {}; run `phiguard fim check` for the list",
                outcome.unexplained,
                outcome.baseline,
                when(outcome.baseline_taken)
            ),
        )
    };
    let mut finding = meta.finding(status, monitored_paths(&outcome.rules), message);
    finding.evidence.push(outcome.evidence);
    finding
}

pub fn fim_ephi_meta() -> CheckMeta {
    CheckMeta::from_literals(
        FIM_EPHI,
        "ePHI directories match their baseline",
        Severity::High,
        "45 CFR 164.312(c)(1) requires protecting ePHI from improper alteration or destruction, \
         and 164.312(c)(2) a mechanism to show it was not altered. A baseline of system files \
         says nothing about ePHI: only a baseline that covers every directory holding ePHI is \
         that mechanism.",
        "Review each unexplained change in the ePHI directories with `phiguard fim check`. \
         Restore what was altered without authorisation and treat it as a security incident; \
         once every change left is authorised, take a new baseline with `phiguard fim update \
         --reason TEXT`.",
    )
}

/// The comparison of the ePHI directories, or why it cannot count: none is configured, or the
/// newest baseline does not cover them all. `ephi_paths` are the configured ones, absolute.
pub fn fim_ephi_finding(outcome: &FimOutcome, ephi_paths: &[String]) -> Result<Finding, String> {
    if ephi_paths.is_empty() {
        return Err(EPHI_NOT_CONFIGURED.to_owned());
    }
    let uncovered: Vec<&str> = ephi_paths
        .iter()
        .filter(|path| !outcome.roots.iter().any(|root| is_within(path, root)))
        .map(String::as_str)
        .collect();
    if !uncovered.is_empty() {
        return Err(format!(
            "the newest FIM baseline ({}, of {}) does not cover the ePHI paths {}; take a \
             baseline of the configured paths with `phiguard fim update --reason TEXT`",
            outcome.baseline,
            monitored_paths(&outcome.rules),
            uncovered.join(", ")
        ));
    }
    let altered = outcome
        .unexplained_paths
        .iter()
        .filter(|path| ephi_paths.iter().any(|ephi| is_within(path, ephi)))
        .count();
    let subject = ephi_paths.join(", ");
    let mut finding = if altered == 0 {
        fim_ephi_meta().finding(
            Status::Pass,
            subject,
            format!(
                "no unexplained change in the ePHI directories since baseline {} of {}",
                outcome.baseline,
                when(outcome.baseline_taken)
            ),
        )
    } else {
        fim_ephi_meta().finding(
            Status::Fail,
            subject,
            format!(
                "{altered} unexplained changes in the ePHI directories since baseline {} of {}; \
                 run `phiguard fim check` for the list",
                outcome.baseline,
                when(outcome.baseline_taken)
            ),
        )
    };
    finding.evidence.push(outcome.evidence);
    Ok(finding)
}

/// Why the ePHI comparison cannot count when no ePHI directory is configured.
pub const EPHI_NOT_CONFIGURED: &str = "no ePHI paths are configured, so file integrity says \
    nothing about ePHI; list the directories that hold it in `ephi_paths` under [fim] in \
    phiguard.toml, then take a baseline that covers them (`phiguard fim init`, or `phiguard \
    fim update --reason TEXT` over an existing one)";

/// Whether `path` is `root` or lies under it (both absolute, as text).
fn is_within(path: &str, root: &str) -> bool {
    let root = root.trim_end_matches('/');
    path == root
        || root.is_empty()
        || path
            .strip_prefix(root)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// A time as people read it in a finding: to the minute, in UTC.
fn when(time: Timestamp) -> String {
    time.strftime("%Y-%m-%d %H:%M UTC").to_string()
}

/// The paths a baseline's rules monitor, without their attribute lists (`/srv/ehr [full],
/// /etc [perms]` → `/srv/ehr, /etc`): the subject of the finding.
fn monitored_paths(rules: &str) -> String {
    rules
        .split(", ")
        .map(|rule| rule.split(" [").next().unwrap_or(rule))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn ledger_meta() -> CheckMeta {
    CheckMeta::from_literals(
        LEDGER_INTEGRITY,
        "The evidence ledger verifies",
        Severity::Critical,
        "45 CFR 164.312(b) requires recording and examining activity, and 164.316(b) keeping \
         documentation: evidence is only worth what its integrity is. Every entry and signed \
         checkpoint of the ledger is recomputed; any change, removal or reordering shows.",
        "Find the first damaged entry with `phiguard ledger verify`, restore the database from a \
         backup taken before it, and treat the tampering as a security incident.",
    )
}

/// The ledger's verification: `Ok(entries verified)` or `Err(what is wrong)`.
pub fn ledger_finding(origin: &str, verified: &Result<u64, String>) -> Finding {
    let meta = ledger_meta();
    match verified {
        Ok(entries) => meta.finding(
            Status::Pass,
            origin,
            format!("all {entries} entries and every signed checkpoint verify"),
        ),
        Err(problem) => meta.finding(Status::Fail, origin, problem.clone()),
    }
}

pub fn delegation_meta() -> CheckMeta {
    CheckMeta::from_literals(
        MATRIX_DELEGATION,
        "Duties the regulation leaves with the organisation are not handed to a provider",
        Severity::High,
        "Some safeguards stay with the organisation whatever its cloud provider does: its own \
         risk analysis and management, sanctions, activity review, security official, \
         workforce security and training, incident procedures, contingency planning of its \
         own data, evaluation, business associate contracts, policies and documentation, and \
         breach notification. A provider's spreadsheet that marks them `provider` does not \
         move them.",
        "Mark the row `customer` (or `shared`, for the part the provider does) and name who \
         answers for it: `phiguard register responsibility update ID --responsibility \
         customer --owner NAME`.",
    )
}

/// The failing finding of a matrix row that hands `control`, which cannot be delegated, to
/// the provider.
pub fn delegation_finding(control: &Control, row: &Stored<ResponsibilityRecord>) -> Finding {
    let mut finding = delegation_meta().finding(
        Status::Fail,
        format!("responsibility {}", control.id),
        format!(
            "the responsibility matrix hands {} ({}) to the provider, but no provider can \
             carry it for you: mark it customer or shared and give it an owner with `phiguard \
             register responsibility update '{}' --responsibility customer --owner NAME`",
            control.cite, control.name, control.id
        ),
    );
    finding.evidence.extend(row.evidence);
    finding
}

pub fn inheritance_meta() -> CheckMeta {
    CheckMeta::from_literals(
        MATRIX_INHERITANCE,
        "A control the provider carries rests on a BAA and a current assurance report",
        Severity::High,
        "A control is inherited from a cloud provider only as far as the organisation can show \
         it: the provider is a business associate under a signed BAA in force (164.308(b), \
         164.314(a)), and an independent report (SOC 2 Type II, HITRUST r2, ISO 27001, \
         FedRAMP) covering a recent period shows it runs the control.",
        "Name the vendor that carries the control on its matrix row (`phiguard register \
         responsibility update ID --vendor VENDOR`), record its signed BAA (`phiguard register \
         baa add ID --vendor VENDOR --status signed --signed DATE`) and its newest assurance \
         report (`phiguard register assurance add ID --vendor VENDOR --kind soc2-type2 \
         --period-start DATE --period-end DATE --issuer NAME --document FILE`).",
    )
}

/// How much of the chain behind an inherited control is in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Links {
    /// Vendor, BAA in force and current assurance report.
    All,
    /// The vendor is named, but its BAA or its report is missing.
    Some,
    /// Not even the vendor is named: nothing shows who carries the control.
    None,
}

/// The chain of evidence behind a control the matrix says the provider carries, judged as of
/// `today`.
#[derive(Debug, Clone)]
pub struct Inheritance {
    pub links: Links,
    /// Passes with every link; warns naming the missing ones.
    pub finding: Finding,
}

/// Judges the chain behind `row`, a provider row of the matrix.
pub fn inheritance(
    row: &Stored<ResponsibilityRecord>,
    register: &Snapshot,
    today: Date,
) -> Inheritance {
    let meta = inheritance_meta();
    let subject = format!("responsibility {}", row.record.control());
    let vendor = row
        .record
        .vendor
        .as_deref()
        .and_then(|id| register.vendors.get(id));
    let Some(vendor) = vendor else {
        let message = match row.record.vendor.as_deref() {
            Some(id) => format!(
                "the responsibility matrix names vendor {id} as carrying it, but no such vendor \
                 is in the register"
            ),
            None => "the responsibility matrix says the provider carries it but names no \
                     vendor, so nothing shows who carries it or on what terms"
                .to_owned(),
        };
        let mut finding = meta.finding(Status::Warn, subject, message);
        finding.evidence.extend(row.evidence);
        return Inheritance {
            links: Links::None,
            finding,
        };
    };
    let id = vendor.record.id.as_str();
    let name = vendor.record.name.as_str();
    let baa = register
        .baas
        .values()
        .filter(|baa| baa.record.vendor == id)
        .find(|baa| baa.record.in_force_on(today));
    let newest_report = register
        .assurance_reports
        .values()
        .filter(|report| report.record.vendor == id)
        .max_by_key(|report| report.record.period_end);
    let report = newest_report.filter(|report| report.record.is_current_on(today));
    let mut missing = Vec::new();
    if baa.is_none() {
        missing.push(format!("no BAA with {name} is in force on {today}"));
    }
    match (report, newest_report) {
        (Some(_), _) => {}
        (None, Some(lapsed)) => missing.push(format!(
            "its newest assurance report, {} ({}, period ending {}), counts only until {}",
            lapsed.record.id,
            lapsed.record.kind.title(),
            lapsed.record.period_end,
            lapsed.record.valid_until()
        )),
        (None, None) => missing.push(format!("no assurance report of {name} is recorded")),
    }
    let (links, mut finding) = match (baa, report) {
        (Some(baa), Some(report)) => (
            Links::All,
            meta.finding(
                Status::Pass,
                subject,
                format!(
                    "carried by {name} under BAA {} and shown by its {} report {} by {} for \
                     {} to {} (counts until {})",
                    baa.record.id,
                    report.record.kind.title(),
                    report.record.id,
                    report.record.issuer,
                    report.record.period_start,
                    report.record.period_end,
                    report.record.valid_until()
                ),
            ),
        ),
        _ => (
            Links::Some,
            meta.finding(
                Status::Warn,
                subject,
                format!(
                    "the responsibility matrix says {name} carries it, but {}; until then the \
                     inheritance is not shown",
                    missing.join(", and ")
                ),
            ),
        ),
    };
    finding.evidence.extend(
        [row.evidence, vendor.evidence]
            .into_iter()
            .chain([
                baa.and_then(|b| b.evidence),
                report.and_then(|r| r.evidence),
            ])
            .flatten(),
    );
    Inheritance { links, finding }
}
