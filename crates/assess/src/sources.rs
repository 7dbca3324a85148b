//! Evidence that is not a check of its own elsewhere, judged for the assessment: file
//! integrity against the FIM baseline, and the integrity of the evidence ledger itself.

use jiff::Timestamp;
use phiguard_core::{CheckMeta, EvidenceRef, Finding, Severity, Status};

/// The check id of the FIM comparison, as the catalog names it.
pub const FIM_INTEGRITY: &str = "fim.integrity";
/// The check id of the ledger's verification, as the catalog names it.
pub const LEDGER_INTEGRITY: &str = "ledger.integrity";

pub fn fim_meta() -> CheckMeta {
    CheckMeta::from_literals(
        FIM_INTEGRITY,
        "Monitored files match their baseline",
        Severity::High,
        "45 CFR 164.312(c)(1) requires protecting ePHI from improper alteration or destruction, \
         and 164.312(c)(2) a mechanism to show it was not altered; file integrity monitoring \
         against a recorded baseline is that mechanism for the systems and data it covers.",
        "Review each unexplained change with `phiguard fim check`. Restore what was altered \
         without authorisation and treat it as a security incident; accept authorised changes \
         with `phiguard fim accept --reason TEXT`.",
    )
}

/// What a FIM comparison found, for one finding.
#[derive(Debug, Clone)]
pub struct FimOutcome {
    pub baseline: i64,
    pub baseline_taken: Timestamp,
    pub rules: String,
    pub changed: u64,
    pub explained: u64,
    pub unexplained: u64,
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
