//! ELBv2: application, network and gateway load balancers, their listeners and the attribute
//! that sends their access logs to S3.

use serde::{Deserialize, Serialize};

use super::Resource;
use crate::seen::Seen;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Elb {
    pub load_balancers: Vec<LoadBalancer>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadBalancer {
    pub resource: Resource,
    /// `application`, `network` or `gateway`.
    pub kind: String,
    /// `internet-facing` or `internal`: both carry ePHI between clients and targets.
    pub scheme: String,
    /// `active`, `provisioning`, `failed`.
    pub state: String,
    pub listeners: Seen<Vec<Listener>>,
    /// Whether `access_logs.s3.enabled` is true, and the bucket the logs go to.
    pub access_logs: Seen<AccessLogs>,
}

/// One listener: a port and protocol the load balancer answers on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Listener {
    /// Named by its own ARN, tagged with its load balancer's tags (listeners are judged as
    /// holding what their load balancer carries).
    pub resource: Resource,
    /// `HTTP`, `HTTPS`, `TCP`, `TLS`, `UDP`, `TCP_UDP`, `GENEVE`.
    pub protocol: String,
    pub port: Option<u16>,
    /// The security policy of an `HTTPS` or `TLS` listener, which sets the TLS versions and
    /// ciphers it accepts.
    pub ssl_policy: Option<String>,
    /// For an `HTTP` listener, the actions that answer over plain HTTP rather than redirect to
    /// HTTPS (its default action, then each rule): empty when every request is redirected or
    /// refused. Empty for every other protocol.
    pub serves_plain: Seen<Vec<String>>,
}

impl Listener {
    /// Whether it speaks TLS to clients.
    pub fn encrypted(&self) -> bool {
        matches!(self.protocol.as_str(), "HTTPS" | "TLS")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessLogs {
    pub enabled: bool,
    /// The bucket they go to, when one is set.
    pub bucket: Option<String>,
}
