//! SNS: topics, and the key their messages are encrypted under at rest.

use serde::{Deserialize, Serialize};

use super::Resource;
use crate::seen::Seen;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Sns {
    pub topics: Vec<Topic>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Topic {
    pub resource: Resource,
    /// The KMS key of its server-side encryption; `Known(None)` when it has none.
    pub kms_key: Seen<Option<String>>,
}
