//! CloudWatch Logs: the log groups of a region, how long they keep events and whether a KMS
//! key of the account encrypts them.

use serde::{Deserialize, Serialize};

use super::Resource;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Logs {
    pub log_groups: Vec<LogGroup>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogGroup {
    pub resource: Resource,
    /// Days events are kept; `None` when they never expire.
    pub retention_days: Option<u32>,
    pub kms_key: Option<String>,
    /// Bytes stored: zero means it holds nothing yet.
    pub stored_bytes: u64,
}
