//! SNS: topics encrypt the messages they hold at rest, since notifications about patients
//! (appointment reminders, lab results ready) carry ePHI.

use phiguard_core::{CheckMeta, Finding, Severity};

use super::{Rule, Scope, Verdict, each};

pub(super) fn rules() -> Vec<Rule> {
    vec![Rule::new(
        "cloud.aws.sns.encryption",
        "sns",
        "SNS topics encrypt their messages with a KMS key",
        Severity::Medium,
        "45 CFR 164.312(a)(2)(iv) asks for encryption of stored ePHI. SNS keeps a message \
         until every subscriber has it; without server-side encryption under a KMS key, the \
         account can neither show that it was encrypted nor control and audit who decrypts \
         it.",
        "Console: SNS > Topics > TOPIC > Edit > Encryption, Enable encryption, choose a KMS \
         key (alias/aws/sns or a customer managed key whose policy lets the publishers use \
         it), Save. CLI: `aws sns set-topic-attributes --topic-arn TOPIC_ARN \
         --attribute-name KmsMasterKeyId --attribute-value alias/aws/sns`.",
        encryption,
    )]
}

fn encryption(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    each(
        meta,
        scope,
        &scope.inventory.sns.topics,
        |t| &t.resource,
        |t| {
            Verdict::on(&t.kms_key, |key| match key {
                Some(key) => Verdict::Pass(format!("encrypts its messages under {key}")),
                None => Verdict::Fail("does not encrypt its messages at rest".into()),
            })
        },
        "no SNS topic in the regions scanned",
    )
}
