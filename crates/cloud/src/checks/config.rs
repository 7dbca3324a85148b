//! AWS Config: every scanned region records the configuration of its resources, all of
//! them, so a change that exposes ePHI can be found afterwards and its time known.

use phiguard_core::{CheckMeta, Finding, Severity};

use super::{Rule, Scope, Verdict, each};
use crate::inventory::{Coverage, Recorder, Resource};
use crate::seen::Seen;

pub(super) fn rules() -> Vec<Rule> {
    vec![Rule::new(
        "cloud.aws.config.recorder",
        "config",
        "AWS Config records every supported resource type in every region",
        Severity::Medium,
        "45 CFR 164.312(b) asks for mechanisms that record and examine activity in systems \
         holding ePHI, and 164.308(a)(1)(ii)(A) for an accurate assessment of the risks to \
         it. AWS Config keeps the history of every resource's configuration: what a bucket's \
         policy was on the day of a breach, which resources exist at all. A recorder that is \
         stopped, or records only some types, leaves the rest without that history.",
        "Console: Config > (region) > Settings > Edit: Recording strategy All resource types \
         with customizable overrides, Recording frequency Continuous, then Start recording \
         (a first set-up asks for a delivery S3 bucket). CLI: `aws configservice \
         put-configuration-recorder --configuration-recorder \
         name=default,roleARN=arn:aws:iam::ACCOUNT:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig \
         --recording-group allSupported=true,includeGlobalResourceTypes=true --region REGION`, \
         then `aws configservice start-configuration-recorder --configuration-recorder-name \
         default --region REGION`.",
        recorder,
    )]
}

fn recorder(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    let account = scope.inventory.account.as_deref().unwrap_or("unknown");
    // One finding a region: about its recorder of the account's own, or the account there.
    let regions: Vec<(Resource, String, Seen<Option<&Recorder>>)> = scope
        .inventory
        .config
        .regions
        .iter()
        .map(|(region, seen)| {
            let own = match seen {
                Seen::Known(recorders) => {
                    Seen::Known(chosen(recorders.iter().filter(|r| !r.service_linked)))
                }
                Seen::Denied { action } => Seen::Denied {
                    action: action.clone(),
                },
                Seen::Failed { action, reason } => Seen::Failed {
                    action: action.clone(),
                    reason: reason.clone(),
                },
            };
            let resource = match &own {
                Seen::Known(Some(recorder)) => recorder.resource.clone(),
                _ => {
                    let mut resource = Resource::account(account);
                    resource.region = Some(region.clone());
                    resource.id = format!("AWS Config in {region}");
                    resource
                }
            };
            (resource, region.clone(), own)
        })
        .collect();
    each(
        meta,
        scope,
        &regions,
        |(resource, _, _)| resource,
        |(_, region, own)| {
            Verdict::on(own, |recorder| match recorder {
                None => Verdict::Fail(format!("AWS Config has no recorder in {region}")),
                Some(recorder) => Verdict::on(&recorder.recording, |recording| {
                    if !*recording {
                        return Verdict::Fail(format!(
                            "the AWS Config recorder of {region} is stopped: nothing is recorded"
                        ));
                    }
                    match &recorder.coverage {
                        Coverage::All => Verdict::Pass(format!(
                            "AWS Config records every supported resource type in {region}"
                        )),
                        Coverage::Only(types) => Verdict::Warn(format!(
                            "AWS Config records only {} in {region}",
                            listed(types)
                        )),
                        Coverage::AllBut(types) => Verdict::Warn(format!(
                            "AWS Config records every resource type but {} in {region}",
                            listed(types)
                        )),
                    }
                }),
            })
        },
        "no region's AWS Config recorders were read",
    )
}

/// The recorder a region is judged by: one recording everything, else one recording, else
/// any (AWS allows one of the account's own per region; this guards against more).
fn chosen<'r>(recorders: impl Iterator<Item = &'r Recorder> + Clone) -> Option<&'r Recorder> {
    let recording = |r: &&Recorder| r.recording.known().copied().unwrap_or(false);
    recorders
        .clone()
        .find(|r| recording(r) && r.coverage == Coverage::All)
        .or_else(|| recorders.clone().find(recording))
        .or_else(|| recorders.clone().next())
}

fn listed(types: &[String]) -> String {
    match types.len() {
        0 => "no resource type".into(),
        1..=5 => types.join(", "),
        n => format!("{} and {} more types", types[..5].join(", "), n - 5),
    }
}
