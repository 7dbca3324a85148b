//! S3: buckets encrypted by default with a key the account controls where they hold ePHI,
//! never public (by public access blocks and by policy), reachable only over TLS, versioned,
//! logged, and locked where records must be kept.

use phiguard_core::{CheckMeta, Finding, Severity};

use super::{Rule, Scope, Verdict, each, on_account};
use crate::inventory::{Bucket, PublicAccessBlock, Versioning};
use crate::seen::Seen;

pub(super) fn rules() -> Vec<Rule> {
    vec![
        Rule::new(
            "cloud.aws.s3.encryption",
            "s3",
            "S3 buckets encrypt objects by default",
            Severity::High,
            "45 CFR 164.312(a)(2)(iv) asks for encryption of ePHI at rest, and HHS's breach \
             guidance counts only encrypted data as secured (164.402). A bucket's default \
             encryption covers every object written without its own setting; for a bucket \
             holding ePHI a KMS key the account controls keeps the key apart from the data \
             and every use of it in CloudTrail.",
            "Console: S3 > Buckets > BUCKET > Properties > Default encryption > Edit, choose \
             SSE-KMS and a customer managed key. CLI: `aws s3api put-bucket-encryption \
             --bucket BUCKET --server-side-encryption-configuration \
             '{\"Rules\":[{\"ApplyServerSideEncryptionByDefault\":{\"SSEAlgorithm\":\"aws:kms\",\
             \"KMSMasterKeyID\":\"KEY_ARN\"},\"BucketKeyEnabled\":true}]}'`.",
            encryption,
        ),
        Rule::new(
            "cloud.aws.s3.public_access",
            "s3",
            "S3 public access is blocked for the account or every bucket",
            Severity::Critical,
            "45 CFR 164.312(a)(1) limits access to ePHI to those granted it. S3 Block Public \
             Access overrides any ACL or policy that would make a bucket public; set on the \
             account it protects every bucket, including the ones created tomorrow.",
            "Console: S3 > Block Public Access settings for this account > Edit, turn on all \
             four. CLI: `aws s3control put-public-access-block --account-id ACCOUNT \
             --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,\
             BlockPublicPolicy=true,RestrictPublicBuckets=true` (or `aws s3api \
             put-public-access-block --bucket BUCKET ...` for one bucket).",
            public_access,
        ),
        Rule::new(
            "cloud.aws.s3.policy_public",
            "s3",
            "no bucket policy grants access to everyone",
            Severity::Critical,
            "45 CFR 164.312(a)(1): a policy statement with `\"Principal\": \"*\"` and no \
             condition narrowing it lets anyone on the internet use the bucket; a public \
             access block stops it only while the block stays on.",
            "Console: S3 > Buckets > BUCKET > Permissions > Bucket policy > Edit, and remove \
             or narrow the statement (a condition on aws:PrincipalOrgID or aws:SourceVpce). \
             CLI: `aws s3api get-bucket-policy --bucket BUCKET`, edit, then `aws s3api \
             put-bucket-policy --bucket BUCKET --policy file://policy.json`.",
            policy_public,
        ),
        Rule::new(
            "cloud.aws.s3.tls_only",
            "s3",
            "bucket policies refuse requests without TLS",
            Severity::Medium,
            "45 CFR 164.312(e)(1) asks to guard ePHI in transmission. S3 still answers plain \
             HTTP unless a bucket policy denies requests where aws:SecureTransport is false.",
            "Console: S3 > Buckets > BUCKET > Permissions > Bucket policy > Edit, add a Deny \
             of s3:* on the bucket and its objects for every principal with the condition \
             {\"Bool\": {\"aws:SecureTransport\": \"false\"}}. CLI: `aws s3api \
             put-bucket-policy --bucket BUCKET --policy file://deny-insecure-transport.json`.",
            tls_only,
        ),
        Rule::new(
            "cloud.aws.s3.versioning",
            "s3",
            "S3 buckets keep earlier versions of objects",
            Severity::Medium,
            "45 CFR 164.312(c)(1) asks to protect ePHI from improper alteration or \
             destruction, and 164.308(a)(7)(ii)(A) for retrievable exact copies. With \
             versioning an overwritten or deleted object can be brought back.",
            "Console: S3 > Buckets > BUCKET > Properties > Bucket Versioning > Edit > Enable. \
             CLI: `aws s3api put-bucket-versioning --bucket BUCKET --versioning-configuration \
             Status=Enabled`.",
            versioning,
        ),
        Rule::new(
            "cloud.aws.s3.access_logging",
            "s3",
            "S3 buckets log every request",
            Severity::Medium,
            "45 CFR 164.312(b) asks for mechanisms that record and examine activity in systems \
             that contain ePHI. Server access logs record each request to a bucket, who made \
             it and what it touched.",
            "Console: S3 > Buckets > BUCKET > Properties > Server access logging > Edit > \
             Enable, with a log bucket of its own. CLI: `aws s3api put-bucket-logging --bucket \
             BUCKET --bucket-logging-status '{\"LoggingEnabled\":{\"TargetBucket\":\"LOG_BUCKET\",\
             \"TargetPrefix\":\"BUCKET/\"}}'`.",
            access_logging,
        ),
        Rule::new(
            "cloud.aws.s3.object_lock",
            "s3",
            "buckets holding ePHI lock objects against deletion",
            Severity::Low,
            "45 CFR 164.316(b)(2)(i) keeps documentation 6 years, and 164.312(c)(1) protects \
             ePHI from improper destruction. Object lock makes an object undeletable for its \
             retention period, even by an administrator whose keys were stolen. It can only be \
             turned on for a bucket with versioning.",
            "Console: S3 > Buckets > BUCKET > Properties > Object Lock > Edit, enable it with a \
             default retention. CLI: `aws s3api put-object-lock-configuration --bucket BUCKET \
             --object-lock-configuration '{\"ObjectLockEnabled\":\"Enabled\",\"Rule\":\
             {\"DefaultRetention\":{\"Mode\":\"GOVERNANCE\",\"Years\":6}}}'`.",
            object_lock,
        ),
    ]
}

fn buckets<'s>(scope: &'s Scope<'_>) -> &'s [Bucket] {
    &scope.inventory.s3.buckets
}

const NO_BUCKETS: &str = "no S3 bucket in the account";

fn encryption(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    each(
        meta,
        scope,
        buckets(scope),
        |b| &b.resource,
        |b| {
            Verdict::on(&b.encryption, |encryption| match encryption {
                None => Verdict::Fail("has no default encryption".into()),
                Some(e) => match &e.kms_key {
                    Some(key) => Verdict::Pass(format!(
                        "encrypted by default with {} under {key}",
                        e.algorithm
                    )),
                    None if e.algorithm.starts_with("aws:kms") => Verdict::Pass(format!(
                        "encrypted by default with {} under the AWS managed key aws/s3",
                        e.algorithm
                    )),
                    None => Verdict::Pass(format!(
                        "encrypted by default with {} (SSE-S3: keys S3 manages, uses not in CloudTrail)",
                        e.algorithm
                    )),
                },
            })
        },
        NO_BUCKETS,
    )
}

/// The four settings of a public access block that are off, in words.
fn off(block: &PublicAccessBlock) -> Vec<&'static str> {
    [
        (block.block_public_acls, "BlockPublicAcls"),
        (block.ignore_public_acls, "IgnorePublicAcls"),
        (block.block_public_policy, "BlockPublicPolicy"),
        (block.restrict_public_buckets, "RestrictPublicBuckets"),
    ]
    .into_iter()
    .filter(|(on, _)| !on)
    .map(|(_, name)| name)
    .collect()
}

fn public_access(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    let account = scope.inventory.s3.account_public_access_block.as_ref();
    let account_blocks = account
        .and_then(Seen::known)
        .is_some_and(|block| block.as_ref().is_some_and(PublicAccessBlock::all_on));
    let account_verdict = account.map(|seen| {
        Verdict::on(seen, |block| match block {
            Some(block) if block.all_on() => {
                Verdict::Pass("all four public access blocks are on for the account".into())
            }
            Some(block) => Verdict::Fail(format!(
                "the account's public access block leaves {} off",
                off(block).join(", ")
            )),
            None => Verdict::Fail("the account has no public access block".into()),
        })
    });
    let mut findings = on_account(
        meta,
        scope,
        account_verdict,
        "the account's public access block was not read",
    );
    findings.extend(each(
        meta,
        scope,
        buckets(scope),
        |b| &b.resource,
        |b| {
            if account_blocks {
                return Verdict::Pass("public access is blocked for the whole account".into());
            }
            Verdict::on(&b.public_access_block, |block| match block {
                Some(block) if block.all_on() => {
                    Verdict::Pass("all four public access blocks are on for the bucket".into())
                }
                Some(block) => Verdict::Fail(format!(
                    "neither the account nor the bucket blocks public access fully: the bucket \
                     leaves {} off",
                    off(block).join(", ")
                )),
                None => Verdict::Fail(
                    "neither the account nor the bucket has a public access block".into(),
                ),
            })
        },
        NO_BUCKETS,
    ));
    findings
}

fn policy_public(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    each(
        meta,
        scope,
        buckets(scope),
        |b| &b.resource,
        |b| {
            Verdict::on(&b.policy, |policy| match policy {
                None => Verdict::Pass("has no bucket policy".into()),
                Some(facts) if facts.public_actions.is_empty() => {
                    Verdict::Pass("its policy grants nothing to everyone".into())
                }
                Some(facts) => Verdict::Fail(format!(
                    "its policy allows everyone {}",
                    facts.public_actions.join(", ")
                )),
            })
        },
        NO_BUCKETS,
    )
}

fn tls_only(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    each(
        meta,
        scope,
        buckets(scope),
        |b| &b.resource,
        |b| {
            Verdict::on(&b.policy, |policy| match policy {
                Some(facts) if facts.denies_insecure_transport => {
                    Verdict::Pass("its policy denies requests without TLS".into())
                }
                Some(_) => Verdict::Fail("its policy does not deny requests without TLS".into()),
                None => Verdict::Fail(
                    "has no bucket policy, so nothing denies requests without TLS".into(),
                ),
            })
        },
        NO_BUCKETS,
    )
}

fn versioning(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    each(
        meta,
        scope,
        buckets(scope),
        |b| &b.resource,
        |b| {
            Verdict::on(&b.versioning, |v| match v {
                Versioning::Enabled => Verdict::Pass("versioning is enabled".into()),
                Versioning::Suspended => Verdict::Fail("versioning is suspended".into()),
                Versioning::Off => Verdict::Fail("versioning was never enabled".into()),
            })
        },
        NO_BUCKETS,
    )
}

fn access_logging(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    each(
        meta,
        scope,
        buckets(scope),
        |b| &b.resource,
        |b| {
            Verdict::on(&b.logging, |target| match target {
                Some(target) => Verdict::Pass(format!("logs its requests to {target}")),
                None => Verdict::Fail("server access logging is off".into()),
            })
        },
        NO_BUCKETS,
    )
}

fn object_lock(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    let tag = &scope.settings.phi_tag;
    each(
        meta,
        scope,
        buckets(scope),
        |b| &b.resource,
        |b| {
            if !b.resource.holds_phi(tag) {
                return Verdict::NotApplicable(format!(
                    "not tagged {}={} as holding ePHI",
                    tag.key, tag.value
                ));
            }
            Verdict::on(&b.object_lock, |locked| {
                if *locked {
                    Verdict::Pass("object lock is enabled".into())
                } else {
                    Verdict::Warn("object lock is not enabled".into())
                }
            })
        },
        NO_BUCKETS,
    )
}
