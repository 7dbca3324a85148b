//! GuardDuty: whether a detector watches each region for threats.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Resource;
use crate::seen::Seen;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GuardDuty {
    /// Per region: its detector; `Known(None)` when the region has none.
    pub regions: BTreeMap<String, Seen<Option<Detector>>>,
}

/// A region's detector (GuardDuty allows one per account and region).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Detector {
    pub resource: Resource,
    /// `ENABLED` or `DISABLED`: a suspended detector keeps its settings and watches nothing.
    pub status: Seen<String>,
}
