//! DynamoDB: the tables of a region, with whether they can be restored to any point in time
//! and which key encrypts them.

use serde::{Deserialize, Serialize};

use super::Resource;
use crate::seen::Seen;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DynamoDb {
    pub tables: Vec<Table>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table {
    pub resource: Resource,
    /// The key that encrypts it, from DescribeTable.
    pub encryption: Seen<TableEncryption>,
    /// Whether point-in-time recovery is on, from DescribeContinuousBackups.
    pub pitr: Seen<bool>,
}

/// Every DynamoDB table is encrypted at rest; what differs is whose key does it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "by")]
pub enum TableEncryption {
    /// The default: a key AWS owns, which the account can neither see, audit in CloudTrail,
    /// nor disable.
    AwsOwned,
    /// A KMS key in the account, AWS managed (`aws/dynamodb`) or the customer's own.
    Kms { key: Option<String> },
}
