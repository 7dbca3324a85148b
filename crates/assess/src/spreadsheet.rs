//! Every control of an assessment as CSV, one row each in the regulation's order, for the
//! spreadsheets compliance work still lives in.
//!
//! Text that came from people or files (names, owners, bases, remediation) is guarded the way
//! the responsibility matrix export guards it ([`phiguard_register::exchange::matrix_csv::guard`]):
//! a cell a spreadsheet would run as a formula starts with `'`.

use std::collections::BTreeMap;

use phiguard_register::exchange::matrix_csv::guard;

use crate::evaluate::Assessment;

/// The header row.
pub const COLUMNS: [&str; 15] = [
    "control",
    "cite",
    "name",
    "family",
    "kind",
    "requirement",
    "protects_ephi",
    "status",
    "basis",
    "owner",
    "responsibility",
    "failing_findings",
    "rank",
    "first_fix",
    "evidence",
];

/// Writes `assessment`'s controls as CSV: the [`COLUMNS`] header, then one row per control.
/// `rank` is the place, in the report's ranking, of the worst problem that leaves the control
/// failing (empty when none does), and `first_fix` that problem's first step (or the control's
/// own, such as the attestation it lacks); `evidence` lists ledger entries as `seq; seq`.
pub fn write(assessment: &Assessment, out: impl std::io::Write) -> Result<(), std::io::Error> {
    let mut worst: BTreeMap<&str, (usize, Option<&str>)> = BTreeMap::new();
    for problem in assessment.problems() {
        for control in problem.controls.iter().copied() {
            worst
                .entry(control.id.as_str())
                .or_insert((problem.rank, problem.first_fix()));
        }
    }
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(COLUMNS)?;
    for control in &assessment.controls {
        let (rank, fix) = match worst.get(control.id.as_str()) {
            Some((rank, fix)) => (rank.to_string(), fix.unwrap_or("")),
            None => (
                String::new(),
                control.remediation.first().map_or("", String::as_str),
            ),
        };
        let evidence: Vec<String> = control.evidence.iter().map(|e| e.seq.to_string()).collect();
        writer.write_record([
            guard(&control.id).as_ref(),
            &guard(&control.cite),
            &guard(&control.name),
            control.family.as_str(),
            control.kind.as_str(),
            control.requirement.as_str(),
            if control.protects_ephi {
                "true"
            } else {
                "false"
            },
            control.status.as_str(),
            &guard(&control.basis),
            &guard(control.owner.as_deref().unwrap_or("")),
            control.responsibility.map_or("", |r| r.as_str()),
            &control.attention.len().to_string(),
            &rank,
            &guard(fix),
            &evidence.join("; "),
        ])?;
    }
    writer.flush()
}
