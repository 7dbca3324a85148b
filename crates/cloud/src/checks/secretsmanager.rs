//! Secrets Manager: secrets (database passwords, API keys that reach ePHI) rotate
//! automatically, and have rotated as often as their schedule says.

use jiff::SignedDuration;
use phiguard_core::{CheckMeta, Finding, Severity};

use super::{Rule, Scope, Verdict, days, each};
use crate::inventory::Secret;

pub(super) fn rules() -> Vec<Rule> {
    vec![Rule::new(
        "cloud.aws.secretsmanager.rotation",
        "secretsmanager",
        "Secrets Manager secrets rotate automatically, on schedule",
        Severity::Medium,
        "45 CFR 164.308(a)(5)(ii)(D) asks for procedures for changing passwords, and \
         164.312(d) that whoever reaches ePHI be who they claim. A credential that never \
         changes works for anyone who ever copied it; rotation limits how long a leaked one \
         opens the door. A rotation that keeps failing leaves the secret as old as if it \
         were never rotated.",
        "Console: Secrets Manager > Secrets > SECRET > Rotation > Edit rotation, Automatic \
         rotation on, a schedule (30 days or less) and a rotation function; for a late one, \
         look at the rotation function's CloudWatch logs and Rotate secret immediately. CLI: \
         `aws secretsmanager rotate-secret --secret-id SECRET --rotation-lambda-arn \
         FUNCTION_ARN --rotation-rules AutomaticallyAfterDays=30` (for RDS passwords, let RDS \
         manage them: `aws rds modify-db-instance --db-instance-identifier DB \
         --manage-master-user-password`).",
        rotation,
    )]
}

fn rotation(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    each(
        meta,
        scope,
        &scope.inventory.secretsmanager.secrets,
        |s| &s.resource,
        |s| judge(s, scope.now),
        "no Secrets Manager secret in the regions scanned",
    )
}

/// A secret rotates when rotation is on; it is late when it last rotated longer ago than its
/// interval and a day's grace (rotation windows span hours).
fn judge(secret: &Secret, now: jiff::Timestamp) -> Verdict {
    if !secret.rotation_enabled {
        return Verdict::Fail("does not rotate automatically".into());
    }
    let (Some(hours), Some(last)) = (secret.rotation_interval_hours, secret.last_rotated) else {
        return Verdict::Pass("rotates automatically".into());
    };
    let since = now.duration_since(last);
    let allowed = SignedDuration::from_hours(hours) + SignedDuration::from_hours(24);
    if since > allowed {
        Verdict::Warn(format!(
            "rotates automatically every {}, but last rotated {} ago: its rotation may be \
             failing",
            interval(hours),
            days(since.as_hours() / 24)
        ))
    } else {
        Verdict::Pass(format!("rotates automatically every {}", interval(hours)))
    }
}

fn interval(hours: i64) -> String {
    if hours % 24 == 0 {
        days(hours / 24)
    } else if hours == 1 {
        "1 hour".into()
    } else {
        format!("{hours} hours")
    }
}

#[cfg(test)]
mod tests {
    use jiff::{SignedDuration, Timestamp};

    use super::{Verdict, judge};
    use crate::inventory::{Resource, Secret};

    fn secret(enabled: bool, hours: Option<i64>, ago_hours: Option<i64>, now: Timestamp) -> Secret {
        Secret {
            resource: Resource::account("123456789012"),
            rotation_enabled: enabled,
            rotation_interval_hours: hours,
            last_rotated: ago_hours.map(|h| now - SignedDuration::from_hours(h)),
        }
    }

    #[test]
    fn a_rotation_later_than_its_interval_and_a_day_warns() {
        let now = Timestamp::now();
        assert!(matches!(
            judge(&secret(false, None, None, now), now),
            Verdict::Fail(_)
        ));
        assert!(matches!(
            judge(&secret(true, None, None, now), now),
            Verdict::Pass(_)
        ));
        assert!(matches!(
            judge(&secret(true, Some(720), Some(720 + 23), now), now),
            Verdict::Pass(_)
        ));
        match judge(&secret(true, Some(720), Some(720 + 25 + 24 * 9), now), now) {
            Verdict::Warn(message) => {
                assert!(message.contains("every 30 days"), "{message}");
                assert!(message.contains("last rotated 40 days ago"), "{message}");
            }
            _ => panic!("not a warning"),
        }
        assert!(matches!(
            judge(&secret(true, Some(4), Some(29), now), now),
            Verdict::Warn(_)
        ));
    }
}
