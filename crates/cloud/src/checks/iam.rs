//! IAM: the root user without access keys and with MFA, every console user with MFA, access
//! keys used and rotated, a password policy as strong as the account's data needs, and
//! administrative power granted through groups and roles rather than to one user.

use jiff::Timestamp;
use phiguard_core::{CheckMeta, Finding, Severity};

use super::{Rule, Scope, Verdict, days, each, on_account};
use crate::inventory::{AccessKey, PasswordPolicy, User};
use crate::seen::Seen;

/// Days an access key may go unused, or live, before it is reported.
pub(crate) const KEY_DAYS: i64 = 90;
/// The password policy asked for.
pub(crate) const MIN_PASSWORD_LENGTH: u32 = 14;
pub(crate) const MIN_REUSE_PREVENTION: u32 = 24;
pub(crate) const MAX_PASSWORD_AGE_DAYS: u32 = 90;

pub(super) fn rules() -> Vec<Rule> {
    vec![
        Rule::new(
            "cloud.aws.iam.root_access_keys",
            "iam",
            "the root user has no access keys",
            Severity::Critical,
            "45 CFR 164.312(a)(1) limits access to ePHI to those granted it, and \
             164.312(a)(2)(i) asks for a unique identity for each user. The root user can do \
             anything in the account and no policy can narrow it; an access key of its own is \
             that power in a file that can leak, used by no one in particular.",
            "Console: sign in as the root user, account menu > Security credentials > Access \
             keys, deactivate then delete each key; give programs an IAM role instead. CLI: \
             none (root keys can only be deleted signed in as root); `aws iam \
             get-account-summary` shows AccountAccessKeysPresent.",
            root_access_keys,
        ),
        Rule::new(
            "cloud.aws.iam.root_mfa",
            "iam",
            "the root user signs in with MFA",
            Severity::Critical,
            "45 CFR 164.312(d) asks to verify that a person seeking access to ePHI is the one \
             claimed. The root user's password alone opens every resource of the account; a \
             second factor keeps a stolen password from being enough.",
            "Console: sign in as the root user, account menu > Security credentials > \
             Multi-factor authentication (MFA) > Assign MFA device (a hardware key is best). \
             CLI: none for root; `aws iam get-account-summary` shows AccountMFAEnabled.",
            root_mfa,
        ),
        Rule::new(
            "cloud.aws.iam.console_mfa",
            "iam",
            "every IAM user who can sign in to the console has MFA",
            Severity::High,
            "45 CFR 164.312(d) asks to verify that a person seeking access to ePHI is the one \
             claimed. A console password without a second factor is one phishing message away \
             from someone else.",
            "Console: IAM > Users > USER > Security credentials > Multi-factor authentication \
             (MFA) > Assign MFA device. CLI: `aws iam create-virtual-mfa-device \
             --virtual-mfa-device-name USER --outfile qr.png --bootstrap-method QRCodePNG`, \
             then `aws iam enable-mfa-device --user-name USER --serial-number ARN \
             --authentication-code1 CODE1 --authentication-code2 CODE2`.",
            console_mfa,
        ),
        Rule::new(
            "cloud.aws.iam.access_key_unused",
            "iam",
            "no active access key has gone unused for 90 days",
            Severity::Medium,
            "45 CFR 164.308(a)(3)(ii)(C) and 164.308(a)(4)(ii)(C) ask to end access that is \
             no longer needed. An active key nobody uses still opens the account to whoever \
             finds it.",
            "Console: IAM > Users > USER > Security credentials > Access keys, Actions > \
             Deactivate, then Delete once nothing breaks. CLI: `aws iam update-access-key \
             --user-name USER --access-key-id KEY_ID --status Inactive`, then `aws iam \
             delete-access-key --user-name USER --access-key-id KEY_ID`.",
            access_key_unused,
        ),
        Rule::new(
            "cloud.aws.iam.access_key_rotation",
            "iam",
            "active access keys are replaced within 90 days",
            Severity::Medium,
            "45 CFR 164.308(a)(5)(ii)(D) asks for procedures for managing passwords and like \
             credentials. An access key that lives for years has had years to be copied into \
             places nobody remembers; replacing it ends those copies' use.",
            "Console: IAM > Users > USER > Security credentials > Create access key, move the \
             programs to it, then deactivate and delete the old one. CLI: `aws iam \
             create-access-key --user-name USER`, then `aws iam update-access-key --user-name \
             USER --access-key-id OLD_KEY_ID --status Inactive` and `aws iam \
             delete-access-key --user-name USER --access-key-id OLD_KEY_ID`.",
            access_key_rotation,
        ),
        Rule::new(
            "cloud.aws.iam.password_policy",
            "iam",
            "the account's password policy asks for strong passwords",
            Severity::Medium,
            "45 CFR 164.308(a)(5)(ii)(D) asks for procedures for creating, changing and \
             safeguarding passwords. phiguard asks for at least 14 characters of all four \
             kinds, no reuse of the last 24, and a change at least every 90 days.",
            "Console: IAM > Account settings > Password policy > Edit, set the minimum length \
             to 14, require uppercase, lowercase, numbers and symbols, expiry 90 days and \
             prevent reuse of 24. CLI: `aws iam update-account-password-policy \
             --minimum-password-length 14 --require-symbols --require-numbers \
             --require-uppercase-characters --require-lowercase-characters \
             --max-password-age 90 --password-reuse-prevention 24`.",
            password_policy,
        ),
        Rule::new(
            "cloud.aws.iam.admin_attached",
            "iam",
            "no IAM user holds administrative policies of its own",
            Severity::Medium,
            "45 CFR 164.308(a)(4)(ii)(B) asks that access be granted through a documented, \
             reviewable process, and 164.308(a)(3)(ii)(A) that it be supervised. \
             Administrative power given to a user directly escapes the review of a group or \
             role and stays when the person's job changes.",
            "Console: IAM > Users > USER > Permissions, remove the policy and add the user to \
             an administrators group (or better, have them assume a role). CLI: `aws iam \
             detach-user-policy --user-name USER --policy-arn POLICY_ARN` (or `aws iam \
             delete-user-policy --user-name USER --policy-name NAME` for one written into the \
             user), then `aws iam add-user-to-group --user-name USER --group-name Admins`.",
            admin_attached,
        ),
    ]
}

const NO_USERS: &str = "no IAM user in the account";

fn users<'s>(scope: &'s Scope<'_>) -> &'s [User] {
    &scope.inventory.iam.users
}

fn root_access_keys(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    let verdict = scope.inventory.iam.root.as_ref().map(|root| {
        Verdict::on(root, |root| match root.access_keys {
            0 => Verdict::Pass("the root user has no access keys".into()),
            n => Verdict::Fail(format!("the root user has {n} access key(s)")),
        })
    });
    on_account(meta, scope, verdict, "the IAM account summary was not read")
}

fn root_mfa(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    let verdict = scope.inventory.iam.root.as_ref().map(|root| {
        Verdict::on(root, |root| {
            if root.mfa {
                Verdict::Pass("the root user signs in with MFA".into())
            } else {
                Verdict::Fail("the root user has no MFA device".into())
            }
        })
    });
    on_account(meta, scope, verdict, "the IAM account summary was not read")
}

fn console_mfa(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    each(
        meta,
        scope,
        users(scope),
        |u| &u.resource,
        |u| {
            Verdict::on(&u.console_password, |console| {
                if !*console {
                    return Verdict::NotApplicable(
                        "has no console password, so cannot sign in to the console".into(),
                    );
                }
                Verdict::on(&u.mfa_devices, |devices| match devices {
                    0 => Verdict::Fail("can sign in to the console and has no MFA device".into()),
                    n => Verdict::Pass(format!(
                        "can sign in to the console and has {n} MFA device(s)"
                    )),
                })
            })
        },
        NO_USERS,
    )
}

/// Days from `then` to `now`, whole days, never negative.
pub(crate) fn days_between(then: Timestamp, now: Timestamp) -> i64 {
    (now.as_second() - then.as_second()).max(0) / 86_400
}

/// How long an active key has gone unused: since its last use, or since it was created when
/// it never was. `None` when its last use could not be read.
pub(crate) fn idle_days(key: &AccessKey, now: Timestamp) -> Option<i64> {
    match &key.last_used {
        Seen::Known(Some(used)) => Some(days_between(*used, now)),
        Seen::Known(None) => Some(days_between(key.created, now)),
        _ => None,
    }
}

/// Judges each active key of a user with `judge` (a sentence when the key falls short).
fn judge_active_keys(
    user: &User,
    judge: impl Fn(&AccessKey) -> Result<Option<String>, String>,
    good: &str,
) -> Verdict {
    Verdict::on(&user.access_keys, |keys| {
        let active: Vec<&AccessKey> = keys.iter().filter(|k| k.active).collect();
        if active.is_empty() {
            return Verdict::Pass("has no active access key".into());
        }
        let mut short = Vec::new();
        for key in active {
            match judge(key) {
                Ok(Some(why)) => short.push(why),
                Ok(None) => {}
                Err(unknown) => return Verdict::Unknown(unknown),
            }
        }
        if short.is_empty() {
            Verdict::Pass(good.into())
        } else {
            Verdict::Fail(short.join("; "))
        }
    })
}

fn access_key_unused(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    each(
        meta,
        scope,
        users(scope),
        |u| &u.resource,
        |u| {
            judge_active_keys(
                u,
                |key| match idle_days(key, scope.now) {
                    None => Err(key.last_used.why_unknown().unwrap_or_default()),
                    Some(idle) if idle > KEY_DAYS => Ok(Some(match key.last_used {
                        Seen::Known(None) => format!(
                            "active access key {} has never been used in the {} since it was \
                             created",
                            key.id,
                            days(idle)
                        ),
                        _ => format!(
                            "active access key {} was last used {} ago",
                            key.id,
                            days(idle)
                        ),
                    })),
                    Some(_) => Ok(None),
                },
                "every active access key was used in the last 90 days",
            )
        },
        NO_USERS,
    )
}

fn access_key_rotation(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    each(
        meta,
        scope,
        users(scope),
        |u| &u.resource,
        |u| {
            judge_active_keys(
                u,
                |key| {
                    let age = days_between(key.created, scope.now);
                    Ok((age > KEY_DAYS)
                        .then(|| format!("active access key {} is {} old", key.id, days(age))))
                },
                "every active access key is younger than 90 days",
            )
        },
        NO_USERS,
    )
}

/// What a password policy lacks, in words; empty when it is strong enough.
pub(crate) fn shortfalls(policy: &PasswordPolicy) -> Vec<String> {
    let mut short = Vec::new();
    if policy.minimum_length < MIN_PASSWORD_LENGTH {
        short.push(format!(
            "a minimum length of {} (not {MIN_PASSWORD_LENGTH})",
            policy.minimum_length
        ));
    }
    let missing: Vec<&str> = [
        (policy.require_uppercase, "uppercase letters"),
        (policy.require_lowercase, "lowercase letters"),
        (policy.require_numbers, "numbers"),
        (policy.require_symbols, "symbols"),
    ]
    .into_iter()
    .filter(|(required, _)| !required)
    .map(|(_, kind)| kind)
    .collect();
    if !missing.is_empty() {
        short.push(format!("no requirement of {}", missing.join(", ")));
    }
    match policy.reuse_prevention {
        Some(n) if n >= MIN_REUSE_PREVENTION => {}
        Some(n) => short.push(format!(
            "reuse prevented for the last {n} passwords only (not {MIN_REUSE_PREVENTION})"
        )),
        None => short.push("no prevention of password reuse".into()),
    }
    match policy.max_age_days {
        Some(n) if n <= MAX_PASSWORD_AGE_DAYS => {}
        Some(n) => short.push(format!(
            "passwords that live {n} days (not at most {MAX_PASSWORD_AGE_DAYS})"
        )),
        None => short.push("passwords that never expire".into()),
    }
    short
}

fn password_policy(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    let verdict = scope.inventory.iam.password_policy.as_ref().map(|seen| {
        Verdict::on(seen, |policy| match policy {
            None => Verdict::Fail(
                "the account has no password policy: IAM accepts any password of 8 characters"
                    .into(),
            ),
            Some(policy) => {
                let short = shortfalls(policy);
                if short.is_empty() {
                    Verdict::Pass(
                        "the password policy asks for 14 characters of all four kinds, bars \
                         reuse of the last 24 and expires passwords within 90 days"
                            .into(),
                    )
                } else {
                    Verdict::Fail(format!("the password policy has {}", short.join("; ")))
                }
            }
        })
    });
    on_account(meta, scope, verdict, "the IAM password policy was not read")
}

fn admin_attached(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    each(
        meta,
        scope,
        users(scope),
        |u| &u.resource,
        |u| {
            Verdict::on(&u.administrator, |policies| {
                if policies.is_empty() {
                    Verdict::Pass("holds no administrative policy of its own".into())
                } else {
                    Verdict::Warn(format!(
                        "holds administrative policies of its own: {}",
                        policies.join(", ")
                    ))
                }
            })
        },
        NO_USERS,
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use jiff::{SignedDuration, Timestamp};

    use super::{days_between, idle_days, shortfalls};
    use crate::inventory::{AccessKey, PasswordPolicy};
    use crate::seen::Seen;

    fn strong() -> PasswordPolicy {
        PasswordPolicy {
            minimum_length: 14,
            require_symbols: true,
            require_numbers: true,
            require_uppercase: true,
            require_lowercase: true,
            max_age_days: Some(90),
            reuse_prevention: Some(24),
        }
    }

    #[test]
    fn a_policy_at_the_limits_passes_and_one_short_of_each_says_what_is_missing() {
        assert!(shortfalls(&strong()).is_empty());
        let weak = PasswordPolicy {
            minimum_length: 13,
            require_symbols: false,
            reuse_prevention: Some(23),
            max_age_days: Some(91),
            ..strong()
        };
        let short = shortfalls(&weak);
        assert_eq!(short.len(), 4, "{short:?}");
        assert!(short[0].contains("13"));
        assert!(short[1].contains("symbols") && !short[1].contains("numbers"));
        assert!(short[2].contains("23"));
        assert!(short[3].contains("91"));
        let lax = PasswordPolicy {
            reuse_prevention: None,
            max_age_days: None,
            ..strong()
        };
        assert_eq!(
            shortfalls(&lax),
            [
                "no prevention of password reuse",
                "passwords that never expire"
            ]
        );
    }

    #[test]
    fn idle_days_count_from_last_use_or_creation_and_unknown_stays_unknown() {
        let now: Timestamp = "2026-06-01T00:00:00Z".parse().unwrap();
        let created = now - SignedDuration::from_hours(200 * 24);
        let mut key = AccessKey {
            id: "AKIAEXAMPLE".into(),
            active: true,
            created,
            last_used: Seen::Known(None),
        };
        assert_eq!(idle_days(&key, now), Some(200));
        key.last_used = Seen::Known(Some(now - SignedDuration::from_hours(90 * 24)));
        assert_eq!(idle_days(&key, now), Some(90));
        key.last_used = Seen::Denied {
            action: "iam:GetAccessKeyLastUsed".into(),
        };
        assert_eq!(idle_days(&key, now), None);
        // A clock behind the key's creation is not a negative age.
        assert_eq!(days_between(now, created), 0);
        // Whole days: a day less one second is not a day.
        assert_eq!(
            days_between(now - SignedDuration::from_secs(86_399), now),
            0
        );
        assert_eq!(
            days_between(now - SignedDuration::from_secs(86_400), now),
            1
        );
    }
}
