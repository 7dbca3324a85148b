//! What every operation that runs checks does with the findings: record them in the ledger and
//! store them as a check run whose every finding cites that entry.

use anyhow::Context;
use jiff::Timestamp;
use phiguard_core::{EvidenceRef, Finding, StatusCounts};
use phiguard_store::CheckRun;

use crate::installation::Installation;

/// A run of checks as stored.
#[derive(Debug, Clone)]
pub struct RecordedRun {
    pub run_id: i64,
    /// The ledger entry that records the findings.
    pub evidence: EvidenceRef,
    /// The findings, each citing that entry too.
    pub findings: Vec<Finding>,
}

impl RecordedRun {
    /// Whether any finding fails (what makes a check command exit with 1).
    pub fn is_failing(&self) -> bool {
        self.findings.iter().any(|f| f.status.is_failing())
    }
}

/// Records `findings` in the ledger as `kind` (with `context`'s fields beside them), so a
/// later edit of the stored run is detectable, then stores them as a check run whose every
/// finding cites that ledger entry.
pub async fn record(
    installation: &Installation,
    kind: &str,
    run: CheckRun,
    mut context: serde_json::Map<String, serde_json::Value>,
    findings: Vec<Finding>,
) -> anyhow::Result<RecordedRun> {
    context.insert(
        "summary".into(),
        serde_json::to_value(StatusCounts::of_findings(&findings))?,
    );
    context.insert("findings".into(), serde_json::to_value(&findings)?);
    let evidence = installation
        .record(kind, serde_json::Value::Object(context))
        .await?;
    let findings: Vec<Finding> = findings
        .into_iter()
        .map(|mut finding| {
            finding.evidence.push(evidence);
            finding
        })
        .collect();
    let run_id = installation
        .store
        .record_check_run(&run, &findings)
        .await
        .context("could not store the check run")?;
    Ok(RecordedRun {
        run_id,
        evidence,
        findings,
    })
}

/// A run's identity for the store.
pub fn run(started_at: Timestamp, host: Option<String>, root: String) -> CheckRun {
    CheckRun {
        started_at,
        finished_at: Timestamp::now(),
        host,
        root,
    }
}
