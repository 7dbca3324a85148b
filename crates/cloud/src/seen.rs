//! What one API call told phiguard, or why it could not: the difference between "this bucket
//! has no default encryption" and "phiguard was not allowed to ask". A check judging a fact it
//! could not see reports an `error` finding that names the IAM action to grant, never a pass.

use serde::{Deserialize, Serialize};

/// A fact read from the provider's API, or the reason it was not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "seen", content = "value")]
pub enum Seen<T> {
    Known(T),
    /// The credentials may not call `action` (`s3:GetEncryptionConfiguration`).
    Denied {
        action: String,
    },
    /// The call failed for another reason: the service is unreachable, not enabled in the
    /// region, or answered with something phiguard did not understand.
    Failed {
        action: String,
        reason: String,
    },
}

impl<T> Seen<T> {
    pub fn known(&self) -> Option<&T> {
        match self {
            Seen::Known(value) => Some(value),
            _ => None,
        }
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Seen<U> {
        match self {
            Seen::Known(value) => Seen::Known(f(value)),
            Seen::Denied { action } => Seen::Denied { action },
            Seen::Failed { action, reason } => Seen::Failed { action, reason },
        }
    }

    /// Why the fact is unknown, in a sentence that says what to do; `None` when it is known.
    pub fn why_unknown(&self) -> Option<String> {
        match self {
            Seen::Known(_) => None,
            Seen::Denied { action } => Some(format!(
                "phiguard was denied {action}, so this could not be judged; allow {action} to \
                 the role or user phiguard runs as (the AWS managed policy SecurityAudit \
                 includes it)"
            )),
            Seen::Failed { action, reason } => Some(format!(
                "{action} failed ({reason}), so this could not be judged"
            )),
        }
    }
}

/// An API call that failed for a whole service or region, so nothing of it was seen (listing
/// the buckets, describing a region's volumes). Each is reported as an `error` finding of the
/// checks that needed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gap {
    /// The service as its checks are named: `s3`, `ec2`, `rds`.
    pub service: String,
    /// The region, or `None` for a global call.
    pub region: Option<String>,
    pub seen: Seen<()>,
}

impl Gap {
    /// Where the gap is, for a finding's subject: "s3 in us-east-1", "iam".
    pub fn subject(&self) -> String {
        match &self.region {
            Some(region) => format!("{} in {region}", self.service),
            None => self.service.clone(),
        }
    }
}
