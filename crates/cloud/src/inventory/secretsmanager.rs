//! Secrets Manager: secrets, and whether and how often they rotate.

use serde::{Deserialize, Serialize};

use super::Resource;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SecretsManager {
    pub secrets: Vec<Secret>,
}

/// A secret as ListSecrets describes it: everything judged comes with the listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Secret {
    pub resource: Resource,
    pub rotation_enabled: bool,
    /// Hours between rotations, from its rotation rules; `None` when it has none or its
    /// schedule is a cron expression.
    pub rotation_interval_hours: Option<i64>,
    /// When it last rotated; `None` when it never has.
    pub last_rotated: Option<jiff::Timestamp>,
}
