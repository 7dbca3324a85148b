//! CloudWatch Logs: log groups keep their events at least a year and are encrypted under a
//! KMS key of the account.

use phiguard_core::{CheckMeta, Finding, Severity};

use super::{Rule, Scope, Verdict, days, each};
use crate::inventory::LogGroup;

pub(super) fn rules() -> Vec<Rule> {
    vec![
        Rule::new(
            "cloud.aws.logs.retention",
            "logs",
            "CloudWatch log groups keep events for at least 365 days",
            Severity::Medium,
            "45 CFR 164.312(b) asks for records of activity in systems holding ePHI that can \
             be examined, and a breach may come to light many months after it began: logs \
             gone by then cannot show what was reached or by whom. HIPAA sets no period for \
             audit logs themselves, so phiguard holds them to one year, the floor that HHS's \
             audit protocol and common frameworks (PCI DSS 10.5.1, CIS) expect online. Where a \
             log is the documentation of a required activity or assessment (an activity \
             review, an incident's handling), 164.316(b)(2)(i) asks for six years: export it \
             to S3 with a lifecycle rule to keep it that long.",
            "Console: CloudWatch > Log groups > GROUP > Actions > Edit retention setting, \
             choose 1 year (365 days) or more, or Never expire, Save. CLI: `aws logs \
             put-retention-policy --log-group-name GROUP --retention-in-days 365`.",
            retention,
        ),
        Rule::new(
            "cloud.aws.logs.kms",
            "logs",
            "CloudWatch log groups are encrypted under a KMS key of the account",
            Severity::Low,
            "45 CFR 164.312(a)(2)(iv) asks for encryption of ePHI, which application logs \
             often hold, and 164.312(b) for audit records that are protected. CloudWatch Logs \
             encrypts every log group at rest with keys of the service regardless; a KMS key \
             of the account adds a record of every use in CloudTrail and a way to cut off \
             access to the logs by disabling the key.",
            "Console: CloudWatch > Log groups > GROUP > Actions > Edit, enter a KMS key ARN \
             whose key policy allows logs.REGION.amazonaws.com, Save. CLI: `aws logs \
             associate-kms-key --log-group-name GROUP --kms-key-id KEY_ARN`.",
            kms,
        ),
    ]
}

const NO_GROUPS: &str = "no CloudWatch log group in the regions scanned";

/// Days of events below which a log group fails.
const RETENTION_DAYS_WANTED: u32 = 365;

fn groups<'s>(scope: &'s Scope<'_>) -> &'s [LogGroup] {
    &scope.inventory.logs.log_groups
}

/// "holding 1024 bytes" or "empty so far".
fn holding(group: &LogGroup) -> String {
    match group.stored_bytes {
        0 => "empty so far".into(),
        n => format!("holding {n} bytes"),
    }
}

/// The verdict on keeping events `retention` days (`None`: never expiring).
pub(crate) fn retention_verdict(retention: Option<u32>, holding: &str) -> Verdict {
    match retention {
        None => Verdict::Pass(format!("keeps events forever ({holding})")),
        Some(n) if n >= RETENTION_DAYS_WANTED => {
            Verdict::Pass(format!("keeps events {} ({holding})", days(i64::from(n))))
        }
        Some(n) => Verdict::Fail(format!(
            "keeps events only {}, under {} ({holding})",
            days(i64::from(n)),
            days(i64::from(RETENTION_DAYS_WANTED))
        )),
    }
}

fn retention(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    each(
        meta,
        scope,
        groups(scope),
        |g| &g.resource,
        |g| retention_verdict(g.retention_days, &holding(g)),
        NO_GROUPS,
    )
}

fn kms(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    each(
        meta,
        scope,
        groups(scope),
        |g| &g.resource,
        |g| match &g.kms_key {
            Some(key) => Verdict::Pass(format!("encrypted under KMS key {key}")),
            None => Verdict::Warn(format!(
                "encrypted at rest only with CloudWatch Logs' own keys, not a KMS key of the \
                 account whose use CloudTrail records ({})",
                holding(g)
            )),
        },
        NO_GROUPS,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn under_a_year_fails_a_year_or_forever_passes() {
        assert!(matches!(retention_verdict(Some(1), ""), Verdict::Fail(_)));
        assert!(matches!(retention_verdict(Some(364), ""), Verdict::Fail(_)));
        assert!(matches!(retention_verdict(Some(365), ""), Verdict::Pass(_)));
        assert!(matches!(
            retention_verdict(Some(3653), ""),
            Verdict::Pass(_)
        ));
        assert!(matches!(retention_verdict(None, ""), Verdict::Pass(_)));
    }
}
