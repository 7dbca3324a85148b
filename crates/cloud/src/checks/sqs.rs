//! SQS: queues encrypt the messages waiting in them, under a KMS key or under keys SQS
//! manages; either is encryption at rest.

use phiguard_core::{CheckMeta, Finding, Severity};

use super::{Rule, Scope, Verdict, each};

pub(super) fn rules() -> Vec<Rule> {
    vec![Rule::new(
        "cloud.aws.sqs.encryption",
        "sqs",
        "SQS queues encrypt their messages at rest",
        Severity::Medium,
        "45 CFR 164.312(a)(2)(iv) asks for encryption of stored ePHI. A queue keeps each \
         message until it is consumed or expires (up to 14 days); without server-side \
         encryption (SSE-SQS, or SSE-KMS with a key the account controls and audits) it is \
         stored unencrypted.",
        "Console: SQS > Queues > QUEUE > Edit > Encryption, Server-side encryption Enabled, \
         Amazon SQS key (SSE-SQS) or AWS KMS key (SSE-KMS), Save. CLI: `aws sqs \
         set-queue-attributes --queue-url QUEUE_URL --attributes SqsManagedSseEnabled=true`, \
         or `--attributes KmsMasterKeyId=alias/aws/sqs` for a KMS key.",
        encryption,
    )]
}

fn encryption(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    each(
        meta,
        scope,
        &scope.inventory.sqs.queues,
        |q| &q.resource,
        |q| {
            Verdict::on(&q.encryption, |encryption| {
                match (&encryption.kms_key, encryption.sqs_managed) {
                    (Some(key), _) => Verdict::Pass(format!(
                        "encrypts its messages under KMS key {key} (SSE-KMS)"
                    )),
                    (None, true) => Verdict::Pass(
                        "encrypts its messages under keys SQS manages (SSE-SQS)".into(),
                    ),
                    (None, false) => Verdict::Fail("does not encrypt its messages at rest".into()),
                }
            })
        },
        "no SQS queue in the regions scanned",
    )
}
