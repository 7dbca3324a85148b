//! KMS: the account's own keys rotate, stay usable while data depends on them, and are not
//! open to everyone. Keys AWS manages are AWS's to run: those checks do not apply to them.
//! The KMS keys that wrap phiguard's own keyring are watched by name, from the keyring.

use phiguard_core::{CheckMeta, Finding, Severity, Status};

use super::{Rule, Scope, Verdict, each, finding};
use crate::inventory::{KeyDetails, KmsKey, Resource};

pub(super) fn rules() -> Vec<Rule> {
    vec![
        Rule::new(
            "cloud.aws.kms.rotation",
            "kms",
            "customer managed KMS keys rotate their key material",
            Severity::Medium,
            "45 CFR 164.312(a)(2)(iv) asks for encryption of ePHI, and NIST SP 800-57, which \
             HHS's guidance points to, limits how long one key is used. Automatic rotation \
             gives a symmetric key new material every year while old data stays readable.",
            "Console: KMS > Customer managed keys > KEY > Key rotation, tick Automatically \
             rotate this KMS key every year, Save. CLI: `aws kms enable-key-rotation --key-id \
             KEY_ID`.",
            rotation,
        ),
        Rule::new(
            "cloud.aws.kms.key_state",
            "kms",
            "customer managed KMS keys are enabled and not pending deletion",
            Severity::High,
            "45 CFR 164.308(a)(7) asks that ePHI stay available, and 164.312(c)(1) that it \
             not be improperly destroyed. Data encrypted under a disabled key cannot be read \
             until the key is enabled again; under a deleted key it can never be read again.",
            "Console: KMS > Customer managed keys > KEY > Key actions > Cancel key deletion, \
             then Key actions > Enable (after confirming, in CloudTrail, that nothing still \
             uses it if deletion was meant). CLI: `aws kms cancel-key-deletion --key-id \
             KEY_ID` and `aws kms enable-key --key-id KEY_ID`.",
            key_state,
        ),
        Rule::new(
            "cloud.aws.kms.policy_public",
            "kms",
            "no KMS key policy grants use of the key to everyone",
            Severity::Critical,
            "45 CFR 164.312(a)(1) limits access to ePHI to those granted it. A key policy \
             allowing `\"Principal\": \"*\"` without a condition naming the account lets \
             anyone with an AWS account decrypt what the key protects, wherever they obtain \
             the ciphertext.",
            "Console: KMS > Customer managed keys > KEY > Key policy > Edit, remove the \
             statement or add a condition on kms:CallerAccount or aws:PrincipalOrgID. CLI: \
             `aws kms get-key-policy --key-id KEY_ID --policy-name default`, edit, then `aws \
             kms put-key-policy --key-id KEY_ID --policy-name default --policy \
             file://policy.json`.",
            policy_public,
        ),
        Rule::new(
            "cloud.aws.kms.phiguard_root",
            "kms",
            "the KMS keys that wrap phiguard's keys are enabled and not pending deletion",
            Severity::Critical,
            "45 CFR 164.312(a)(2)(iv) asks for encryption of ePHI with keys kept under control, \
             and 164.308(a)(7)(ii)(A) and (B) for backups of ePHI that can be restored. A KMS \
             key that wraps phiguard's keyring is one of the ways back to every key that \
             seals this installation's ePHI and evidence: disabled, it no longer opens them; \
             deleted, that way is gone for good, and with the other root lost too so is the \
             data.",
            "Console: KMS > Customer managed keys > KEY > Key actions > Cancel key deletion, \
             then Key actions > Enable. CLI: `aws kms cancel-key-deletion --key-id KEY_ID` \
             and `aws kms enable-key --key-id KEY_ID`. To retire the key on purpose, first \
             remove its wrapping: `phiguard keys wrap remove --key-id KEY_ARN`.",
            phiguard_root,
        ),
    ]
}

const NO_KEYS: &str = "no KMS key in the scanned regions";

fn keys<'s>(scope: &'s Scope<'_>) -> &'s [KmsKey] {
    &scope.inventory.kms.keys
}

/// The verdict on a key the account manages: `judge` it; AWS-managed keys do not apply.
fn customer_key(key: &KmsKey, judge: impl FnOnce(&KeyDetails) -> Verdict) -> Verdict {
    Verdict::on(&key.details, |details| {
        if details.manager != "CUSTOMER" {
            return Verdict::NotApplicable(format!(
                "is managed by {}, which runs its rotation and policy",
                details.manager
            ));
        }
        judge(details)
    })
}

/// What a state means for the data under the key; `None` when the key is usable.
pub(crate) fn unusable(state: &str) -> Option<&'static str> {
    match state {
        "PendingDeletion" | "PendingReplicaDeletion" => Some(
            "is pending deletion: once deleted, data encrypted under it can never be read again",
        ),
        "Disabled" => {
            Some("is disabled: data encrypted under it cannot be read until it is enabled")
        }
        "Unavailable" => Some(
            "is unavailable (its custom key store is disconnected): data encrypted under it \
             cannot be read",
        ),
        _ => None,
    }
}

fn rotation(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    each(
        meta,
        scope,
        keys(scope),
        |k| &k.resource,
        |k| {
            customer_key(k, |details| {
                if details.spec != "SYMMETRIC_DEFAULT" {
                    return Verdict::NotApplicable(format!(
                        "is a {} key, which KMS cannot rotate automatically",
                        details.spec
                    ));
                }
                if details.state != "Enabled" {
                    return Verdict::NotApplicable(format!(
                        "is {}, so it encrypts nothing new",
                        details.state
                    ));
                }
                Verdict::on(&k.rotation, |rotates| {
                    if *rotates {
                        Verdict::Pass("rotates its key material automatically".into())
                    } else {
                        Verdict::Fail("does not rotate its key material".into())
                    }
                })
            })
        },
        NO_KEYS,
    )
}

fn key_state(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    each(
        meta,
        scope,
        keys(scope),
        |k| &k.resource,
        |k| {
            customer_key(k, |details| match unusable(&details.state) {
                Some(why) if details.state == "Disabled" => Verdict::Warn(why.into()),
                Some(why) => Verdict::Fail(why.into()),
                None => Verdict::Pass(format!("is {}", details.state)),
            })
        },
        NO_KEYS,
    )
}

fn policy_public(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    each(
        meta,
        scope,
        keys(scope),
        |k| &k.resource,
        |k| {
            customer_key(k, |_| {
                Verdict::on(&k.policy, |facts| {
                    if facts.public_actions.is_empty() {
                        Verdict::Pass("its key policy grants nothing to everyone".into())
                    } else {
                        Verdict::Fail(format!(
                            "its key policy allows everyone {}",
                            facts.public_actions.join(", ")
                        ))
                    }
                })
            })
        },
        NO_KEYS,
    )
}

/// Each KMS key that wraps phiguard's keyring (from [`super::Settings`]), judged as the
/// inventory saw it. A key the scan did not see is an error, not a pass: it may be in a region
/// left out, or its listing denied, and a deleted key looks the same.
fn phiguard_root(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    let wanted = &scope.settings.phiguard_root_keys;
    if wanted.is_empty() {
        return vec![meta.finding(
            Status::NotApplicable,
            "account",
            "phiguard's keyring is wrapped by no KMS key (`phiguard keys status`)",
        )];
    }
    wanted
        .iter()
        .map(|arn| match keys(scope).iter().find(|k| k.resource.arn == *arn) {
            Some(key) => finding(
                meta,
                scope,
                &key.resource,
                Verdict::on(&key.details, |details| match unusable(&details.state) {
                    Some(why) => Verdict::Fail(format!(
                        "wraps phiguard's keys and {why}; only the other roots still open them"
                    )),
                    None => Verdict::Pass(format!(
                        "wraps phiguard's keys and is {}",
                        details.state
                    )),
                }),
            ),
            None => {
                let region = arn.split(':').nth(3).unwrap_or_default().to_owned();
                let why = if scope.inventory.regions.contains(&region) {
                    format!(
                        "wraps phiguard's keys but was not seen in {region}: it may be deleted, \
                         or not listable with these credentials (allow kms:ListKeys and \
                         kms:DescribeKey)"
                    )
                } else {
                    format!(
                        "wraps phiguard's keys but its region {region} was not scanned \
                         (add --region {region})"
                    )
                };
                let resource = Resource {
                    arn: arn.clone(),
                    region: Some(region),
                    id: arn.rsplit('/').next().unwrap_or_default().to_owned(),
                    tags: Default::default(),
                };
                finding(meta, scope, &resource, Verdict::Unknown(why))
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::unusable;

    #[test]
    fn only_states_that_lock_data_away_are_unusable() {
        assert!(unusable("Enabled").is_none());
        assert!(unusable("Creating").is_none());
        assert!(
            unusable("PendingDeletion")
                .unwrap_or_default()
                .contains("never")
        );
        assert!(unusable("Disabled").unwrap_or_default().contains("until"));
        assert!(unusable("Unavailable").is_some());
    }
}
