//! DynamoDB: tables can be restored to any second of the last 35 days, and are encrypted
//! under a KMS key the account can see and audit.

use phiguard_core::{CheckMeta, Finding, Severity};

use super::{Rule, Scope, Verdict, each};
use crate::inventory::{Table, TableEncryption};

pub(super) fn rules() -> Vec<Rule> {
    vec![
        Rule::new(
            "cloud.aws.dynamodb.pitr",
            "dynamodb",
            "DynamoDB tables have point-in-time recovery on",
            Severity::Medium,
            "45 CFR 164.308(a)(7)(ii)(A) asks for retrievable exact copies of ePHI, \
             164.308(a)(7)(ii)(B) for restoring what is lost, and 164.312(c)(1) for protection \
             against improper alteration or destruction. Without point-in-time recovery, a bad \
             write or a deleted item can be undone only from an on-demand backup someone \
             remembered to take; with it, the table can be restored to any second of the last \
             35 days.",
            "Console: DynamoDB > Tables > TABLE > Backups > Point-in-time recovery > Edit, turn \
             it on, Save. CLI: `aws dynamodb update-continuous-backups --table-name TABLE \
             --point-in-time-recovery-specification PointInTimeRecoveryEnabled=true`.",
            pitr,
        ),
        Rule::new(
            "cloud.aws.dynamodb.kms",
            "dynamodb",
            "DynamoDB tables are encrypted under a KMS key of the account",
            Severity::Low,
            "45 CFR 164.312(a)(2)(iv) asks for encryption of ePHI, and 164.312(b) for records of \
             its use. DynamoDB encrypts every table at rest; by default under a key AWS owns, \
             which the account cannot see, audit or revoke. Under a KMS key of the account (AWS \
             managed aws/dynamodb, or its own), every use of the key is in CloudTrail and a \
             customer managed key can be disabled to cut access to the data.",
            "Console: DynamoDB > Tables > TABLE > Additional settings > Encryption > Manage \
             encryption, choose AWS managed key or a customer managed key, Save. CLI: `aws \
             dynamodb update-table --table-name TABLE --sse-specification \
             Enabled=true,SSEType=KMS,KMSMasterKeyId=KEY_ARN`.",
            kms,
        ),
    ]
}

const NO_TABLES: &str = "no DynamoDB table in the regions scanned";

fn tables<'s>(scope: &'s Scope<'_>) -> &'s [Table] {
    &scope.inventory.dynamodb.tables
}

fn pitr(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    each(
        meta,
        scope,
        tables(scope),
        |t| &t.resource,
        |t| {
            Verdict::on(&t.pitr, |on| {
                if *on {
                    Verdict::Pass("point-in-time recovery is on".into())
                } else {
                    Verdict::Fail(
                        "point-in-time recovery is off: lost or overwritten items can be \
                         restored only from an on-demand backup"
                            .into(),
                    )
                }
            })
        },
        NO_TABLES,
    )
}

fn kms(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    each(
        meta,
        scope,
        tables(scope),
        |t| &t.resource,
        |t| {
            Verdict::on(&t.encryption, |encryption| match encryption {
                TableEncryption::Kms { key: Some(key) } => {
                    Verdict::Pass(format!("encrypted under KMS key {key}"))
                }
                TableEncryption::Kms { key: None } => {
                    Verdict::Pass("encrypted under a KMS key of the account".into())
                }
                TableEncryption::AwsOwned => Verdict::Warn(
                    "encrypted at rest under the key AWS owns, which the account can neither \
                     audit in CloudTrail nor revoke; the data is still encrypted"
                        .into(),
                ),
            })
        },
        NO_TABLES,
    )
}
