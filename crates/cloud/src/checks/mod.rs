//! The cloud checks, one module per service, judging one [`Inventory`].
//!
//! Every check follows the same rules, kept here so no check can forget one:
//! - each resource gets a finding whose subject is its ARN, in use or not (the message says
//!   which where the provider tells);
//! - a fact phiguard could not read is an `error` finding naming the IAM action to allow, and
//!   a service or region it could not list at all is one `error` finding per gap: never a pass;
//! - a failure on a resource tagged as holding ePHI ([`PhiTag`]) weighs critical;
//! - nothing to judge is one "not applicable" finding that says so, not a silent pass.

mod acm;
mod cloudtrail;
mod config;
mod dynamodb;
mod ec2;
mod efs;
mod elb;
mod guardduty;
mod iam;
mod kms;
mod lambda;
mod logs;
mod rds;
mod s3;
mod secretsmanager;
mod securityhub;
mod sns;
mod sqs;

use std::sync::Arc;

use jiff::Timestamp;
use phiguard_core::{
    CheckContext, CheckMeta, Finding, FnCheck, Registry, RegistryError, Severity, Status,
};

use crate::inventory::{Inventory, PhiTag, Resource};
use crate::seen::Seen;

/// What the checks are told besides the inventory.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// The tag of resources that hold ePHI.
    pub phi_tag: PhiTag,
    /// ARNs of the KMS keys that wrap this installation's live phiguard keys (additional
    /// wrappings of its keyring), which must stay usable.
    pub phiguard_root_keys: Vec<String>,
}

/// Every cloud check, judging `inventory`.
pub fn registry(inventory: Arc<Inventory>, settings: &Settings) -> Result<Registry, RegistryError> {
    let mut registry = Registry::new();
    for rule in rules() {
        let inventory = Arc::clone(&inventory);
        let settings = settings.clone();
        let Rule {
            meta,
            service,
            judge,
        } = rule;
        registry.register(FnCheck::boxed(meta, move |meta, ctx: &CheckContext| {
            let scope = Scope {
                inventory: &inventory,
                settings: &settings,
                now: ctx.now,
            };
            Ok(with_gaps(meta, &scope, service, judge(meta, &scope)))
        }))?;
    }
    Ok(registry)
}

/// Every check's id, in registry order.
pub fn ids() -> Vec<String> {
    rules().into_iter().map(|r| r.meta.id.to_string()).collect()
}

fn rules() -> Vec<Rule> {
    s3::rules()
        .into_iter()
        .chain(ec2::rules())
        .chain(rds::rules())
        .chain(cloudtrail::rules())
        .chain(iam::rules())
        .chain(kms::rules())
        .chain(elb::rules())
        .chain(acm::rules())
        .chain(dynamodb::rules())
        .chain(efs::rules())
        .chain(logs::rules())
        .chain(guardduty::rules())
        .chain(securityhub::rules())
        .chain(config::rules())
        .chain(sns::rules())
        .chain(sqs::rules())
        .chain(secretsmanager::rules())
        .chain(lambda::rules())
        .collect()
}

/// What a check judges.
pub(crate) struct Scope<'a> {
    pub inventory: &'a Inventory,
    pub settings: &'a Settings,
    pub now: Timestamp,
}

/// A check: its metadata, the service whose gaps it reports, and its judgement.
pub(crate) struct Rule {
    meta: CheckMeta,
    service: &'static str,
    judge: fn(&CheckMeta, &Scope<'_>) -> Vec<Finding>,
}

impl Rule {
    /// `remediation` must give a console path and an AWS CLI command.
    pub(crate) fn new(
        id: &str,
        service: &'static str,
        title: &str,
        severity: Severity,
        rationale: &str,
        remediation: &str,
        judge: fn(&CheckMeta, &Scope<'_>) -> Vec<Finding>,
    ) -> Rule {
        Rule {
            meta: CheckMeta::from_literals(id, title, severity, rationale, remediation),
            service,
            judge,
        }
    }
}

/// A check's judgement of one resource.
pub(crate) enum Verdict {
    Pass(String),
    Warn(String),
    Fail(String),
    /// Does not apply to this resource (an AWS-managed key has no rotation of the account's).
    NotApplicable(String),
    /// A fact it needed could not be read.
    Unknown(String),
}

impl Verdict {
    /// The verdict on a fact that may not have been read: `judge` it when it was.
    pub(crate) fn on<T>(seen: &Seen<T>, judge: impl FnOnce(&T) -> Verdict) -> Verdict {
        match seen {
            Seen::Known(value) => judge(value),
            other => Verdict::Unknown(other.why_unknown().unwrap_or_default()),
        }
    }
}

/// The finding of `verdict` on `resource`, weighing critical when it fails on ePHI.
pub(crate) fn finding(
    meta: &CheckMeta,
    scope: &Scope<'_>,
    resource: &Resource,
    verdict: Verdict,
) -> Finding {
    let phi = resource.holds_phi(&scope.settings.phi_tag);
    let (status, message) = match verdict {
        Verdict::Pass(message) => (Status::Pass, message),
        Verdict::Warn(message) => (Status::Warn, message),
        Verdict::Fail(message) => (Status::Fail, message),
        Verdict::NotApplicable(message) => (Status::NotApplicable, message),
        Verdict::Unknown(message) => (Status::Error, message),
    };
    let message = if phi && matches!(status, Status::Fail | Status::Warn) {
        format!(
            "{message} (tagged {}={}: it holds ePHI)",
            scope.settings.phi_tag.key, scope.settings.phi_tag.value
        )
    } else {
        message
    };
    let mut finding = meta.finding(status, resource.subject(), message);
    if phi && status == Status::Fail {
        finding.severity = Severity::Critical;
    }
    finding
}

/// The finding about a setting of the whole account, such as the root user or the password
/// policy; "not applicable" when it was not read (the service was left out of the scan).
pub(crate) fn on_account(
    meta: &CheckMeta,
    scope: &Scope<'_>,
    verdict: Option<Verdict>,
    not_read: &str,
) -> Vec<Finding> {
    match verdict {
        Some(verdict) => {
            let account = scope.inventory.account.as_deref().unwrap_or("unknown");
            vec![finding(meta, scope, &Resource::account(account), verdict)]
        }
        None => vec![meta.finding(Status::NotApplicable, "account", not_read)],
    }
}

/// One finding per resource, or one "not applicable" finding naming what there was none of.
pub(crate) fn each<'r, R: 'r>(
    meta: &CheckMeta,
    scope: &Scope<'_>,
    resources: impl IntoIterator<Item = &'r R>,
    resource: impl Fn(&R) -> &Resource,
    judge: impl Fn(&R) -> Verdict,
    none: &str,
) -> Vec<Finding> {
    let findings: Vec<Finding> = resources
        .into_iter()
        .map(|r| finding(meta, scope, resource(r), judge(r)))
        .collect();
    if findings.is_empty() {
        vec![meta.finding(Status::NotApplicable, "account", none)]
    } else {
        findings
    }
}

/// The findings of a check, with one `error` finding for each part of its service that could
/// not be read at all. A "not applicable" finding saying there was nothing to judge is
/// dropped when there is such a gap: phiguard cannot say there was nothing.
fn with_gaps(
    meta: &CheckMeta,
    scope: &Scope<'_>,
    service: &str,
    mut findings: Vec<Finding>,
) -> Vec<Finding> {
    let gaps: Vec<Finding> = scope
        .inventory
        .gaps_of(service)
        .map(|gap| {
            meta.finding(
                Status::Error,
                gap.subject(),
                gap.seen.why_unknown().unwrap_or_default(),
            )
        })
        .collect();
    if !gaps.is_empty() {
        findings.retain(|f| f.status != Status::NotApplicable || f.subject != "account");
        findings.extend(gaps);
    }
    findings
}

/// "1 day", "12 days".
pub(crate) fn days(n: i64) -> String {
    if n == 1 {
        "1 day".into()
    } else {
        format!("{n} days")
    }
}
