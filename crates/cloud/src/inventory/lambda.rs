//! Lambda: functions, who may call them over a function URL, and whom their resource policy
//! lets invoke them.

use serde::{Deserialize, Serialize};

use super::{PolicyFacts, Resource};
use crate::seen::Seen;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Lambda {
    pub functions: Vec<Function>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Function {
    pub resource: Resource,
    /// The auth type of its function URL (`AWS_IAM` or `NONE`); `Known(None)` without a URL.
    pub url_auth: Seen<Option<String>>,
    /// What its resource policy allows to everyone; `Known(None)` without a policy.
    pub policy: Seen<Option<PolicyFacts>>,
}
