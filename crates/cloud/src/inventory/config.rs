//! AWS Config: whether each region records how its resources are configured, and which.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Resource;
use crate::seen::Seen;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Config {
    /// Per region: its configuration recorders; empty when it has none.
    pub regions: BTreeMap<String, Seen<Vec<Recorder>>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recorder {
    /// Its ARN where AWS gives one; otherwise the account's, named after the recorder.
    pub resource: Resource,
    /// A recorder another AWS service made for itself (it has a service principal): it
    /// records what that service needs, not the account's configuration.
    pub service_linked: bool,
    /// Whether it is recording now, from its status.
    pub recording: Seen<bool>,
    pub coverage: Coverage,
}

/// Which resource types a recorder records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "types")]
pub enum Coverage {
    /// Every type the region supports, including those AWS adds later.
    All,
    /// Only these types.
    Only(Vec<String>),
    /// Every supported type but these.
    AllBut(Vec<String>),
}
