//! Check runs and their findings.

use jiff::Timestamp;
use phiguard_core::{CheckId, EvidenceRef, Finding, Severity, Status};
use sqlx::Row;

use crate::error::query_error;
use crate::{Store, StoreError, timestamp};

/// One run of checks against one host or file-system root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckRun {
    pub started_at: Timestamp,
    pub finished_at: Timestamp,
    pub host: Option<String>,
    /// The file-system root the checks read (`/`, or a mounted image).
    pub root: String,
}

/// A run read back from the database, with what it found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCheckRun {
    pub id: i64,
    pub run: CheckRun,
    pub findings: Vec<Finding>,
}

impl Store {
    /// Records a run and all its findings in one transaction: either all of it is stored
    /// or none.
    pub async fn record_check_run(
        &self,
        run: &CheckRun,
        findings: &[Finding],
    ) -> Result<i64, StoreError> {
        let doing = "recording a check run";
        let mut tx = self.pool.begin().await.map_err(query_error(doing))?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO check_runs (started_at, finished_at, host, root) \
             VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(timestamp::encode(run.started_at))
        .bind(timestamp::encode(run.finished_at))
        .bind(run.host.as_deref())
        .bind(run.root.as_str())
        .fetch_one(&mut *tx)
        .await
        .map_err(query_error(doing))?;
        for finding in findings {
            let evidence =
                serde_json::to_string(&finding.evidence).map_err(|e| StoreError::Corrupt {
                    what: format!(
                        "evidence references of {} do not serialise: {e}",
                        finding.check
                    ),
                })?;
            sqlx::query(
                "INSERT INTO findings \
                 (run_id, check_id, status, severity, subject, message, remediation, evidence) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(id)
            .bind(finding.check.as_str())
            .bind(finding.status.as_str())
            .bind(finding.severity.as_str())
            .bind(finding.subject.as_str())
            .bind(finding.message.as_str())
            .bind(finding.remediation.as_deref())
            .bind(evidence)
            .execute(&mut *tx)
            .await
            .map_err(query_error(doing))?;
        }
        tx.commit().await.map_err(query_error(doing))?;
        Ok(id)
    }

    /// The most recent run (highest id) with its findings, or `None` before the first run.
    pub async fn latest_check_run(&self) -> Result<Option<StoredCheckRun>, StoreError> {
        self.latest_run(None).await
    }

    /// The most recent run of checks on `root` (`/`, an image's path, `aws`), or `None`.
    pub async fn latest_check_run_on(
        &self,
        root: &str,
    ) -> Result<Option<StoredCheckRun>, StoreError> {
        self.latest_run(Some(root)).await
    }

    async fn latest_run(&self, root: Option<&str>) -> Result<Option<StoredCheckRun>, StoreError> {
        let doing = "reading the latest check run";
        let row = match root {
            None => {
                sqlx::query(
                    "SELECT id, started_at, finished_at, host, root FROM check_runs \
                     ORDER BY id DESC LIMIT 1",
                )
                .fetch_optional(&self.pool)
                .await
            }
            Some(root) => {
                sqlx::query(
                    "SELECT id, started_at, finished_at, host, root FROM check_runs \
                     WHERE root = $1 ORDER BY id DESC LIMIT 1",
                )
                .bind(root)
                .fetch_optional(&self.pool)
                .await
            }
        }
        .map_err(query_error(doing))?;
        let Some(row) = row else { return Ok(None) };
        let id: i64 = row.try_get("id").map_err(query_error(doing))?;
        let run = CheckRun {
            started_at: timestamp::decode(
                &row.try_get::<String, _>("started_at")
                    .map_err(query_error(doing))?,
            )?,
            finished_at: timestamp::decode(
                &row.try_get::<String, _>("finished_at")
                    .map_err(query_error(doing))?,
            )?,
            host: row.try_get("host").map_err(query_error(doing))?,
            root: row.try_get("root").map_err(query_error(doing))?,
        };
        let rows = sqlx::query(
            "SELECT id, check_id, status, severity, subject, message, remediation, evidence \
             FROM findings WHERE run_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await
        .map_err(query_error(doing))?;
        let findings = rows
            .iter()
            .map(decode_finding)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some(StoredCheckRun { id, run, findings }))
    }
}

fn decode_finding(row: &sqlx::any::AnyRow) -> Result<Finding, StoreError> {
    let doing = "reading a finding";
    let id: i64 = row.try_get("id").map_err(query_error(doing))?;
    let text = |column: &str| -> Result<String, StoreError> {
        row.try_get::<String, _>(column).map_err(query_error(doing))
    };
    let corrupt = |column: &str, detail: String| StoreError::Corrupt {
        what: format!("finding {id} has an invalid {column}: {detail}"),
    };
    Ok(Finding {
        check: text("check_id")?
            .parse::<CheckId>()
            .map_err(|e| corrupt("check_id", e.to_string()))?,
        status: text("status")?
            .parse::<Status>()
            .map_err(|e| corrupt("status", e.to_string()))?,
        severity: text("severity")?
            .parse::<Severity>()
            .map_err(|e| corrupt("severity", e.to_string()))?,
        subject: text("subject")?,
        message: text("message")?,
        remediation: row.try_get("remediation").map_err(query_error(doing))?,
        evidence: serde_json::from_str::<Vec<EvidenceRef>>(&text("evidence")?)
            .map_err(|e| corrupt("evidence", e.to_string()))?,
    })
}
