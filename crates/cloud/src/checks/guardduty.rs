//! GuardDuty: every scanned region has a detector watching it, so threats to ePHI (stolen
//! credentials used from odd places, instances talking to known bad hosts) are noticed.

use phiguard_core::{CheckMeta, Finding, Severity};

use super::{Rule, Scope, Verdict, each};
use crate::inventory::{Detector, Resource};
use crate::seen::Seen;

pub(super) fn rules() -> Vec<Rule> {
    vec![Rule::new(
        "cloud.aws.guardduty.enabled",
        "guardduty",
        "GuardDuty is enabled in every region",
        Severity::Medium,
        "45 CFR 164.308(a)(1)(ii)(D) asks for regular review of information system activity, \
         and 164.308(a)(6)(ii) that security incidents be identified and responded to. \
         GuardDuty reads the account's CloudTrail, VPC flow and DNS logs for signs of \
         compromise; a region without it is one where an attacker goes unnoticed, and \
         attackers choose the regions nobody watches.",
        "Console: GuardDuty > (region) > Get started > Enable GuardDuty (or Settings > \
         Resume GuardDuty for a suspended detector); with AWS Organizations, enable it for \
         every account from the delegated administrator. CLI: `aws guardduty create-detector \
         --enable --region REGION`, or `aws guardduty update-detector --detector-id ID \
         --enable --region REGION`.",
        enabled,
    )]
}

fn enabled(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    let account = scope.inventory.account.as_deref().unwrap_or("unknown");
    let regions: Vec<(Resource, &Seen<Option<Detector>>)> = scope
        .inventory
        .guardduty
        .regions
        .iter()
        .map(|(region, seen)| {
            let resource = match seen {
                Seen::Known(Some(detector)) => detector.resource.clone(),
                // No detector to name: the finding is about the account in that region.
                _ => {
                    let mut resource = Resource::account(account);
                    resource.region = Some(region.clone());
                    resource.id = format!("GuardDuty in {region}");
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
            Verdict::on(*seen, |detector| match detector {
                None => Verdict::Fail(format!("GuardDuty has no detector in {region}")),
                Some(detector) => Verdict::on(&detector.status, |status| {
                    if status == "ENABLED" {
                        Verdict::Pass(format!("GuardDuty watches {region}"))
                    } else {
                        Verdict::Fail(format!(
                            "the GuardDuty detector of {region} is {status}: it watches nothing"
                        ))
                    }
                }),
            })
        },
        "no region's GuardDuty detector was read",
    )
}
