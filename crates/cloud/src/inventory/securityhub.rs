//! Security Hub: whether each region gathers and scores its security findings.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::seen::Seen;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SecurityHub {
    /// Per region: the hub's ARN; `Known(None)` when the account is not subscribed there.
    pub regions: BTreeMap<String, Seen<Option<String>>>,
}
