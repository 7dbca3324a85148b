//! EFS: file systems encrypted at rest.

use phiguard_core::{CheckMeta, Finding, Severity};

use super::{Rule, Scope, Verdict, each};
use crate::inventory::FileSystem;

pub(super) fn rules() -> Vec<Rule> {
    vec![Rule::new(
        "cloud.aws.efs.encryption",
        "efs",
        "EFS file systems are encrypted at rest",
        Severity::High,
        "45 CFR 164.312(a)(2)(iv) asks for encryption of ePHI at rest, and HHS's breach \
         guidance counts only encrypted data as secured (164.402). EFS encryption at rest can \
         only be chosen when a file system is created: an unencrypted one must be copied to a \
         new, encrypted file system.",
        "Console: EFS > File systems > Create file system > Customize, keep Enable encryption \
         of data at rest with a KMS key, then copy the data across with AWS DataSync (DataSync > \
         Create task, EFS to EFS) and move the mount targets' clients. CLI: `aws efs \
         create-file-system --encrypted --kms-key-id KEY_ARN --tags Key=Name,Value=NAME`, then \
         `aws datasync create-task --source-location-arn SRC --destination-location-arn DST`.",
        encryption,
    )]
}

/// "mounted by 2 mount targets" or "with no mount target".
fn use_of(fs: &FileSystem) -> String {
    match fs.mount_targets {
        0 => "with no mount target".into(),
        1 => "with 1 mount target".into(),
        n => format!("with {n} mount targets"),
    }
}

fn encryption(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    each(
        meta,
        scope,
        &scope.inventory.efs.file_systems,
        |fs| &fs.resource,
        |fs| match (fs.encrypted, &fs.kms_key) {
            (true, Some(key)) => {
                Verdict::Pass(format!("encrypted at rest under {key} ({})", use_of(fs)))
            }
            (true, None) => Verdict::Pass(format!("encrypted at rest ({})", use_of(fs))),
            (false, _) => Verdict::Fail(format!("not encrypted at rest ({})", use_of(fs))),
        },
        "no EFS file system in the regions scanned",
    )
}
