//! The outcome of a check: findings, their status, and the ledger entries that back them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::{CheckId, Severity};

/// What a check concluded about one subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pass,
    Fail,
    Warn,
    NotApplicable,
    /// The check could not decide: it failed to run. Counted as failing, because a control whose
    /// evidence cannot be gathered is not shown to be met.
    Error,
}

impl Status {
    /// Every status, in report order.
    pub const ALL: [Status; 5] = [
        Status::Pass,
        Status::Fail,
        Status::Warn,
        Status::NotApplicable,
        Status::Error,
    ];

    /// Whether this status makes `phiguard host check` and `phiguard register check` exit with 1:
    /// a failure, or a check that could not run. A warning is reported but does not fail the run.
    pub fn is_failing(self) -> bool {
        matches!(self, Status::Fail | Status::Error)
    }

    /// The machine name, as in JSON: `not_applicable`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Warn => "warn",
            Status::NotApplicable => "not_applicable",
            Status::Error => "error",
        }
    }
}

impl fmt::Display for Status {
    /// The name for people: `not applicable`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Status::NotApplicable => f.write_str("not applicable"),
            other => f.write_str(other.as_str()),
        }
    }
}

impl FromStr for Status {
    type Err = ParseStatusError;

    /// Accepts the JSON name, the displayed name and a dashed form (`not-applicable`), in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let name = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        Status::ALL
            .into_iter()
            .find(|v| v.as_str() == name)
            .ok_or_else(|| ParseStatusError(s.to_owned()))
    }
}

/// How many findings (or anything else with a [`Status`]) have each status: the one tally
/// that check runs, assessments and their views count with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct StatusCounts {
    pub pass: usize,
    pub fail: usize,
    pub warn: usize,
    pub not_applicable: usize,
    pub error: usize,
}

impl StatusCounts {
    /// The counts of `statuses`.
    pub fn of(statuses: impl IntoIterator<Item = Status>) -> StatusCounts {
        let mut counts = StatusCounts::default();
        for status in statuses {
            counts.add(status);
        }
        counts
    }

    /// The counts of the findings' statuses.
    pub fn of_findings<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> StatusCounts {
        StatusCounts::of(findings.into_iter().map(|f| f.status))
    }

    pub fn add(&mut self, status: Status) {
        *self.slot(status) += 1;
    }

    pub fn get(&self, status: Status) -> usize {
        match status {
            Status::Pass => self.pass,
            Status::Fail => self.fail,
            Status::Warn => self.warn,
            Status::NotApplicable => self.not_applicable,
            Status::Error => self.error,
        }
    }

    pub fn total(&self) -> usize {
        Status::ALL.iter().map(|&status| self.get(status)).sum()
    }

    /// Whether any failed or could not be judged.
    pub fn has_failing(&self) -> bool {
        self.fail + self.error > 0
    }

    /// Each status with its count, in report order ([`Status::ALL`]).
    pub fn iter(&self) -> impl Iterator<Item = (Status, usize)> + '_ {
        Status::ALL
            .into_iter()
            .map(|status| (status, self.get(status)))
    }

    fn slot(&mut self, status: Status) -> &mut usize {
        match status {
            Status::Pass => &mut self.pass,
            Status::Fail => &mut self.fail,
            Status::Warn => &mut self.warn,
            Status::NotApplicable => &mut self.not_applicable,
            Status::Error => &mut self.error,
        }
    }
}

/// A string that names no status.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown status \"{0}\"; expected one of pass, fail, warn, not_applicable, error")]
pub struct ParseStatusError(String);

/// A pointer to one entry of the tamper-evident ledger: its sequence number and its RFC 6962
/// leaf hash. The hash lets a reader check that the entry they fetch is the one the finding was
/// based on, even if the store has been edited since.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EvidenceRef {
    pub seq: u64,
    /// Serialised as 64 lowercase hex digits.
    #[serde(with = "crate::hex")]
    pub leaf_hash: [u8; 32],
}

impl EvidenceRef {
    /// The leaf hash as 64 lowercase hex digits, as it appears in JSON and reports.
    pub fn leaf_hash_hex(&self) -> String {
        crate::hex::encode(&self.leaf_hash)
    }
}

/// One conclusion of one check about one subject (a file, a host, a vendor).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub check: CheckId,
    pub status: Status,
    pub severity: Severity,
    /// What was checked, e.g. `/etc/ssh/sshd_config` or a host name.
    pub subject: String,
    pub message: String,
    /// The ledger entries this conclusion rests on.
    #[serde(default)]
    pub evidence: Vec<EvidenceRef>,
    /// What to do about it; usually absent when the finding passes.
    #[serde(default)]
    pub remediation: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_counts_count_each_status_apart() {
        use Status::*;
        let counts = StatusCounts::of([Pass, Fail, Pass, Error, NotApplicable, Pass, Warn, Error]);
        assert_eq!(
            counts,
            StatusCounts {
                pass: 3,
                fail: 1,
                warn: 1,
                not_applicable: 1,
                error: 2,
            }
        );
        assert_eq!(counts.total(), 8);
        let listed: Vec<(Status, usize)> = counts.iter().collect();
        assert_eq!(
            listed,
            [
                (Pass, 3),
                (Fail, 1),
                (Warn, 1),
                (NotApplicable, 1),
                (Error, 2)
            ]
        );
        assert_eq!(StatusCounts::of([]).total(), 0);
        assert_eq!(
            StatusCounts::of_findings(&[finding(), finding()]).get(finding().status),
            2
        );
        assert_eq!(
            serde_json::to_string(&counts).unwrap(),
            r#"{"pass":3,"fail":1,"warn":1,"not_applicable":1,"error":2}"#
        );
    }

    #[test]
    fn only_fail_and_error_are_failing() {
        let failing: Vec<Status> = Status::ALL.into_iter().filter(|s| s.is_failing()).collect();
        assert_eq!(failing, [Status::Fail, Status::Error]);
    }

    #[test]
    fn status_names_for_machines_and_people() {
        let s = Status::NotApplicable;
        assert_eq!(serde_json::to_string(&s).unwrap(), r#""not_applicable""#);
        assert_eq!(s.to_string(), "not applicable");
        for text in ["not_applicable", "not-applicable", "Not Applicable"] {
            assert_eq!(text.parse::<Status>().unwrap(), s, "{text}");
        }
        for s in Status::ALL {
            assert_eq!(s.to_string().parse::<Status>().unwrap(), s);
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(serde_json::from_str::<Status>(&json).unwrap(), s);
        }
        assert_eq!(
            "passed".parse::<Status>().unwrap_err().to_string(),
            "unknown status \"passed\"; expected one of pass, fail, warn, not_applicable, error"
        );
    }

    fn finding() -> Finding {
        Finding {
            check: "host.ssh.root_login".parse().unwrap(),
            status: Status::Fail,
            severity: Severity::High,
            subject: "/etc/ssh/sshd_config".into(),
            message: "PermitRootLogin is yes".into(),
            evidence: vec![EvidenceRef {
                seq: 12,
                leaf_hash: [0xab; 32],
            }],
            remediation: Some("Set PermitRootLogin no".into()),
        }
    }

    #[test]
    fn finding_json_shape_is_stable() {
        let json = serde_json::to_value(finding()).unwrap();
        let hash = "ab".repeat(32);
        assert_eq!(
            json,
            serde_json::json!({
                "check": "host.ssh.root_login",
                "status": "fail",
                "severity": "high",
                "subject": "/etc/ssh/sshd_config",
                "message": "PermitRootLogin is yes",
                "evidence": [{"seq": 12, "leaf_hash": hash}],
                "remediation": "Set PermitRootLogin no",
            })
        );
        assert_eq!(serde_json::from_value::<Finding>(json).unwrap(), finding());
        assert_eq!(finding().evidence[0].leaf_hash_hex(), hash);
    }

    #[test]
    fn finding_deserialisation_rejects_bad_hashes_and_ids() {
        let mut json = serde_json::to_value(finding()).unwrap();
        json["evidence"][0]["leaf_hash"] = "AB".repeat(32).into();
        let err = serde_json::from_value::<Finding>(json.clone()).unwrap_err();
        assert!(
            err.to_string().contains("not a lowercase hex digit"),
            "{err}"
        );
        json["evidence"][0]["leaf_hash"] = "ab".into();
        let err = serde_json::from_value::<Finding>(json.clone()).unwrap_err();
        assert!(err.to_string().contains("found 2"), "{err}");
        json["check"] = "ssh".into();
        assert!(serde_json::from_value::<Finding>(json).is_err());
    }

    #[test]
    fn evidence_and_remediation_may_be_omitted() {
        let mut json = serde_json::to_value(finding()).unwrap();
        let object = json.as_object_mut().unwrap();
        object.remove("evidence");
        object.remove("remediation");
        let f: Finding = serde_json::from_value(json).unwrap();
        assert!(f.evidence.is_empty() && f.remediation.is_none());
    }
}
