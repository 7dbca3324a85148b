//! SQS: queues, and how the messages waiting in them are encrypted.

use serde::{Deserialize, Serialize};

use super::Resource;
use crate::seen::Seen;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Sqs {
    pub queues: Vec<Queue>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Queue {
    pub resource: Resource,
    /// Its URL, by which SQS's own API names it.
    pub url: String,
    pub encryption: Seen<QueueEncryption>,
}

/// A queue's server-side encryption: under a KMS key, under keys SQS manages, or neither.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueEncryption {
    /// The KMS key (SSE-KMS); `None` without one.
    pub kms_key: Option<String>,
    /// Encryption under keys SQS owns (SSE-SQS).
    pub sqs_managed: bool,
}
