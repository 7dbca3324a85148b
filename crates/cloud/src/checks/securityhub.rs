//! Security Hub: every scanned region gathers its security findings in one place and scores
//! them against a standard.

use phiguard_core::{CheckMeta, Finding, Severity};

use super::{Rule, Scope, Verdict, each};
use crate::inventory::Resource;
use crate::seen::Seen;

pub(super) fn rules() -> Vec<Rule> {
    vec![Rule::new(
        "cloud.aws.securityhub.enabled",
        "securityhub",
        "Security Hub is enabled in every region",
        Severity::Low,
        "45 CFR 164.308(a)(1)(ii)(D) asks for regular review of information system activity, \
         and 164.308(a)(8) for periodic evaluation of the safeguards. Security Hub gathers \
         GuardDuty's, Inspector's and Config's findings in one list and checks the account \
         against the AWS Foundational Security Best Practices continuously, between \
         phiguard's runs.",
        "Console: Security Hub > (region) > Go to Security Hub > Enable Security Hub, with \
         the AWS Foundational Security Best Practices standard; with AWS Organizations, use \
         central configuration from the delegated administrator. CLI: `aws securityhub \
         enable-security-hub --enable-default-standards --region REGION`.",
        enabled,
    )]
}

fn enabled(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    let account = scope.inventory.account.as_deref().unwrap_or("unknown");
    let regions: Vec<(Resource, &Seen<Option<String>>)> = scope
        .inventory
        .securityhub
        .regions
        .iter()
        .map(|(region, seen)| {
            let resource = match seen {
                Seen::Known(Some(arn)) => Resource {
                    arn: arn.clone(),
                    region: Some(region.clone()),
                    id: arn.rsplit('/').next().unwrap_or("default").to_owned(),
                    tags: Default::default(),
                },
                // No hub to name: the finding is about the account in that region.
                _ => {
                    let mut resource = Resource::account(account);
                    resource.region = Some(region.clone());
                    resource.id = format!("Security Hub in {region}");
                    resource
                }
            };
            (resource, seen)
        })
        .collect();
    each(
        meta,
        scope,
        &regions,
        |(resource, _)| resource,
        |(resource, seen)| {
            let region = resource.region.as_deref().unwrap_or("the region");
            Verdict::on(*seen, |hub| match hub {
                Some(_) => Verdict::Pass(format!("Security Hub is enabled in {region}")),
                None => Verdict::Fail(format!(
                    "the account is not subscribed to Security Hub in {region}"
                )),
            })
        },
        "no region's Security Hub was read",
    )
}
