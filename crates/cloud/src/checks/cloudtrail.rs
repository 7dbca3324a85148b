//! CloudTrail: at least one trail records every region and is logging, and each trail's
//! record is validated, encrypted under the account's key, includes who read and wrote S3
//! objects, and reaches CloudWatch Logs where alarms can watch it.

use phiguard_core::{CheckMeta, Finding, Severity};

use super::{Rule, Scope, Verdict, each, on_account};
use crate::inventory::Trail;
use crate::seen::Seen;

pub(super) fn rules() -> Vec<Rule> {
    vec![
        Rule::new(
            "cloud.aws.cloudtrail.multi_region_logging",
            "cloudtrail",
            "a multi-region trail is logging",
            Severity::Critical,
            "45 CFR 164.312(b) asks for mechanisms that record and examine activity in systems \
             that contain ePHI, and 164.308(a)(1)(ii)(D) for regular review of those records. \
             Only a trail that covers every region records activity in a region nobody meant \
             to use, which is where an intruder goes.",
            "Console: CloudTrail > Trails > Create trail (it covers all regions by default), \
             or TRAIL > Start logging for a stopped one. CLI: `aws cloudtrail create-trail \
             --name account-trail --s3-bucket-name LOG_BUCKET --is-multi-region-trail \
             --enable-log-file-validation --kms-key-id KEY_ARN`, then `aws cloudtrail \
             start-logging --name account-trail`.",
            multi_region_logging,
        ),
        Rule::new(
            "cloud.aws.cloudtrail.log_file_validation",
            "cloudtrail",
            "trails validate their log files",
            Severity::Medium,
            "45 CFR 164.312(c)(1) asks to protect records from improper alteration, and \
             164.312(b)'s audit records are worth only what their integrity is. Validation \
             signs a digest of every log file, so an edited or deleted one is detected.",
            "Console: CloudTrail > Trails > TRAIL > General details > Edit, tick Log file \
             validation. CLI: `aws cloudtrail update-trail --name TRAIL \
             --enable-log-file-validation`.",
            log_file_validation,
        ),
        Rule::new(
            "cloud.aws.cloudtrail.kms_encryption",
            "cloudtrail",
            "trails encrypt their logs with a KMS key",
            Severity::Medium,
            "45 CFR 164.312(a)(2)(iv) asks for encryption, and 164.312(b)'s audit records \
             name the people and resources that handle ePHI. A KMS key lets the account decide \
             who may read the logs, apart from who may read the bucket.",
            "Console: CloudTrail > Trails > TRAIL > General details > Edit, tick Log file \
             SSE-KMS encryption and choose a customer managed key whose policy lets CloudTrail \
             use it. CLI: `aws cloudtrail update-trail --name TRAIL --kms-key-id KEY_ARN`.",
            kms_encryption,
        ),
        Rule::new(
            "cloud.aws.cloudtrail.s3_data_events",
            "cloudtrail",
            "a trail records S3 object reads and writes",
            Severity::Medium,
            "45 CFR 164.312(b) asks to record activity in systems that contain ePHI. Without \
             data events CloudTrail records that a bucket was configured, not who downloaded \
             which patient file; 164.308(a)(6) incident response needs the latter.",
            "Console: CloudTrail > Trails > TRAIL > Data events > Edit, add the data event \
             type S3 for all current and future buckets (or the buckets holding ePHI). CLI: \
             `aws cloudtrail put-event-selectors --trail-name TRAIL --event-selectors \
             '[{\"ReadWriteType\":\"All\",\"IncludeManagementEvents\":true,\"DataResources\":\
             [{\"Type\":\"AWS::S3::Object\",\"Values\":[\"arn:aws:s3\"]}]}]'`.",
            s3_data_events,
        ),
        Rule::new(
            "cloud.aws.cloudtrail.cloudwatch_logs",
            "cloudtrail",
            "trails deliver to CloudWatch Logs",
            Severity::Low,
            "45 CFR 164.308(a)(1)(ii)(D) asks for regular review of activity records, and \
             164.308(a)(6)(ii) to identify and respond to incidents. Delivered to CloudWatch \
             Logs, a trail's events can raise alarms (a root sign-in, a policy change) within \
             minutes instead of waiting to be read.",
            "Console: CloudTrail > Trails > TRAIL > CloudWatch Logs > Edit, Enabled, with a \
             new or existing log group and role. CLI: `aws cloudtrail update-trail --name \
             TRAIL --cloud-watch-logs-log-group-arn LOG_GROUP_ARN \
             --cloud-watch-logs-role-arn ROLE_ARN`.",
            cloudwatch_logs,
        ),
    ]
}

const NO_TRAILS: &str = "no CloudTrail trail in the scanned regions";

fn trails<'s>(scope: &'s Scope<'_>) -> &'s [Trail] {
    &scope.inventory.cloudtrail.trails
}

/// Whether some multi-region trail is logging; the verdict on the account.
pub(crate) fn account_logging(trails: &[Trail], unread_regions: bool) -> Verdict {
    let multi: Vec<&Trail> = trails.iter().filter(|t| t.multi_region).collect();
    if let Some(logging) = multi
        .iter()
        .find(|t| t.logging.known().is_some_and(|on| *on))
    {
        return Verdict::Pass(format!(
            "multi-region trail {} is logging",
            logging.resource.arn
        ));
    }
    if let Some(unknown) = multi.iter().find_map(|t| t.logging.why_unknown()) {
        return Verdict::Unknown(unknown);
    }
    if unread_regions {
        return Verdict::Unknown(
            "no multi-region trail was seen logging, and some regions' trails could not be \
             listed"
                .into(),
        );
    }
    match multi.first() {
        Some(stopped) => Verdict::Fail(format!(
            "multi-region trail {} is not logging, and no other covers every region",
            stopped.resource.arn
        )),
        None if trails.is_empty() => Verdict::Fail("the account has no trail".into()),
        None => Verdict::Fail(format!(
            "no trail covers every region: the {} trail(s) seen record one region each",
            trails.len()
        )),
    }
}

fn multi_region_logging(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    // Only when some region's trails were listed: a scan without CloudTrail says nothing.
    let cloudtrail = &scope.inventory.cloudtrail;
    let scanned = (!cloudtrail.regions_read.is_empty()
        || scope.inventory.gaps_of("cloudtrail").next().is_some())
    .then(|| {
        let unread = scope.inventory.gaps_of("cloudtrail").next().is_some();
        account_logging(&cloudtrail.trails, unread)
    });
    on_account(meta, scope, scanned, "no region's trails were read")
}

fn log_file_validation(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    each(
        meta,
        scope,
        trails(scope),
        |t| &t.resource,
        |t| {
            if t.log_file_validation {
                Verdict::Pass("validates its log files".into())
            } else {
                Verdict::Fail("does not validate its log files".into())
            }
        },
        NO_TRAILS,
    )
}

fn kms_encryption(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    each(
        meta,
        scope,
        trails(scope),
        |t| &t.resource,
        |t| match &t.kms_key {
            Some(key) => Verdict::Pass(format!("encrypts its logs under {key}")),
            None => Verdict::Fail(
                "encrypts its logs only with the bucket's own encryption, not a KMS key".into(),
            ),
        },
        NO_TRAILS,
    )
}

fn s3_data_events(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    let recording: Option<&Trail> = trails(scope)
        .iter()
        .find(|t| matches!(t.s3_data_events, Seen::Known(true)));
    each(
        meta,
        scope,
        trails(scope),
        |t| &t.resource,
        |t| {
            Verdict::on(&t.s3_data_events, |records| match (records, recording) {
                (true, _) => Verdict::Pass("records S3 object-level events".into()),
                (false, Some(other)) => Verdict::Pass(format!(
                    "does not record S3 object-level events itself; trail {} does",
                    other.resource.id
                )),
                (false, None) => Verdict::Fail(
                    "does not record S3 object-level events, and no other trail does".into(),
                ),
            })
        },
        NO_TRAILS,
    )
}

fn cloudwatch_logs(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    each(
        meta,
        scope,
        trails(scope),
        |t| &t.resource,
        |t| match &t.cloudwatch_logs {
            Some(group) => Verdict::Pass(format!("delivers to CloudWatch Logs group {group}")),
            None => Verdict::Fail("does not deliver to CloudWatch Logs".into()),
        },
        NO_TRAILS,
    )
}

#[cfg(test)]
mod tests {
    use super::account_logging;
    use crate::checks::Verdict;
    use crate::inventory::{Resource, Trail};
    use crate::seen::Seen;

    fn trail(name: &str, multi_region: bool, logging: Seen<bool>) -> Trail {
        Trail {
            resource: Resource {
                arn: format!("arn:aws:cloudtrail:us-east-1:123456789012:trail/{name}"),
                region: Some("us-east-1".into()),
                id: name.into(),
                tags: Default::default(),
            },
            home_region: "us-east-1".into(),
            multi_region,
            log_file_validation: false,
            kms_key: None,
            cloudwatch_logs: None,
            logging,
            s3_data_events: Seen::Known(false),
        }
    }

    fn kind(verdict: &Verdict) -> &'static str {
        match verdict {
            Verdict::Pass(_) => "pass",
            Verdict::Warn(_) => "warn",
            Verdict::Fail(_) => "fail",
            Verdict::NotApplicable(_) => "n/a",
            Verdict::Unknown(_) => "unknown",
        }
    }

    #[test]
    fn one_logging_multi_region_trail_is_enough_and_an_unread_status_is_not_a_failure() {
        let stopped = trail("stopped", true, Seen::Known(false));
        let regional = trail("regional", false, Seen::Known(true));
        let logging = trail("everywhere", true, Seen::Known(true));
        let denied = trail(
            "denied",
            true,
            Seen::Denied {
                action: "cloudtrail:GetTrailStatus".into(),
            },
        );
        assert_eq!(kind(&account_logging(&[], false)), "fail");
        assert_eq!(
            kind(&account_logging(std::slice::from_ref(&regional), false)),
            "fail"
        );
        assert_eq!(
            kind(&account_logging(std::slice::from_ref(&stopped), false)),
            "fail"
        );
        assert_eq!(
            kind(&account_logging(&[stopped.clone(), logging.clone()], false)),
            "pass"
        );
        assert_eq!(
            kind(&account_logging(&[stopped.clone(), denied.clone()], false)),
            "unknown"
        );
        assert_eq!(kind(&account_logging(&[denied, logging], false)), "pass");
        assert_eq!(kind(&account_logging(&[regional], true)), "unknown");
    }
}
