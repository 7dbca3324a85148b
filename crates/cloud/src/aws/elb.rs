//! ELBv2 of one region: every load balancer with its tags, its listeners (and, for a plain
//! HTTP listener that redirects, its rules, which may still serve some paths in the clear),
//! and whether it writes access logs.

use std::collections::{BTreeMap, HashMap};

use aws_config::SdkConfig;
use aws_sdk_elasticloadbalancingv2::types::{Action, ActionTypeEnum};

use super::ScanOptions;
use super::calls::{gap, region_of, seen, unseen};
use crate::inventory::{AccessLogs, Inventory, Listener, LoadBalancer, Resource};
use crate::seen::Seen;

/// DescribeTags takes at most 20 ARNs a call.
const TAGS_PER_CALL: usize = 20;

pub(super) async fn read(
    config: &SdkConfig,
    options: &ScanOptions,
    account: &str,
    region: Option<&str>,
    inventory: &mut Inventory,
) {
    let _ = account; // ELBv2 returns every ARN itself.
    let region = region_of(config, region);
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(config);
    // ELBv2 takes between 1 and 400 items a page.
    let page = options.page_size.map(|n| n.clamp(1, 400));

    let balancers = match elb
        .describe_load_balancers()
        .set_page_size(page)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
    {
        Ok(balancers) => balancers,
        Err(error) => {
            let seen = unseen::<(), _, _>("elasticloadbalancing:DescribeLoadBalancers", &error);
            inventory.gaps.push(gap("elb", Some(&region), seen));
            return;
        }
    };
    let arns: Vec<String> = balancers
        .iter()
        .filter_map(|b| b.load_balancer_arn().map(str::to_owned))
        .collect();
    let tags = tags(&elb, &arns).await;

    for balancer in &balancers {
        let (Some(arn), Some(name)) = (balancer.load_balancer_arn(), balancer.load_balancer_name())
        else {
            continue;
        };
        let resource = Resource {
            arn: arn.to_owned(),
            region: Some(region.clone()),
            id: name.to_owned(),
            tags: tags.get(arn).cloned().unwrap_or_default(),
        };
        let listeners = listeners(&elb, page, &resource).await;
        let attributes = elb
            .describe_load_balancer_attributes()
            .load_balancer_arn(arn)
            .send()
            .await;
        let access_logs = seen(
            "elasticloadbalancing:DescribeLoadBalancerAttributes",
            attributes,
        )
        .map(|output| {
            let attribute = |key: &str| {
                output
                    .attributes()
                    .iter()
                    .find(|a| a.key() == Some(key))
                    .and_then(|a| a.value())
                    .filter(|v| !v.is_empty())
            };
            AccessLogs {
                // AWS always answers the attribute, `false` until logs are turned on.
                enabled: attribute("access_logs.s3.enabled")
                    .is_some_and(|v| v.eq_ignore_ascii_case("true")),
                bucket: attribute("access_logs.s3.bucket").map(str::to_owned),
            }
        });
        inventory.elb.load_balancers.push(LoadBalancer {
            resource,
            kind: balancer
                .r#type()
                .map(|t| t.as_str().to_owned())
                .unwrap_or_default(),
            scheme: balancer
                .scheme()
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default(),
            state: balancer
                .state()
                .and_then(|s| s.code())
                .map(|c| c.as_str().to_owned())
                .unwrap_or_default(),
            listeners,
            access_logs,
        });
    }
}

/// The tags of every load balancer, by ARN; none where they could not be read (the
/// resources are still judged, without their ePHI tag).
async fn tags(
    elb: &aws_sdk_elasticloadbalancingv2::Client,
    arns: &[String],
) -> HashMap<String, BTreeMap<String, String>> {
    let mut found = HashMap::new();
    for chunk in arns.chunks(TAGS_PER_CALL) {
        let Ok(output) = elb
            .describe_tags()
            .set_resource_arns(Some(chunk.to_vec()))
            .send()
            .await
        else {
            continue;
        };
        for description in output.tag_descriptions() {
            let Some(arn) = description.resource_arn() else {
                continue;
            };
            let tags = description
                .tags()
                .iter()
                .filter_map(|t| {
                    Some((
                        t.key()?.to_owned(),
                        t.value().unwrap_or_default().to_owned(),
                    ))
                })
                .collect();
            found.insert(arn.to_owned(), tags);
        }
    }
    found
}

/// The listeners of one load balancer, each named by its ARN and carrying the balancer's tags.
async fn listeners(
    elb: &aws_sdk_elasticloadbalancingv2::Client,
    page: Option<i32>,
    balancer: &Resource,
) -> Seen<Vec<Listener>> {
    let listed = elb
        .describe_listeners()
        .load_balancer_arn(&balancer.arn)
        .set_page_size(page)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await;
    let listed = match seen("elasticloadbalancing:DescribeListeners", listed) {
        Seen::Known(listed) => listed,
        Seen::Denied { action } => return Seen::Denied { action },
        Seen::Failed { action, reason } => return Seen::Failed { action, reason },
    };
    let mut listeners = Vec::new();
    for listener in &listed {
        let Some(arn) = listener.listener_arn() else {
            continue;
        };
        let protocol = listener
            .protocol()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_default();
        let port = listener.port().and_then(|p| u16::try_from(p).ok());
        let serves_plain = if protocol == "HTTP" {
            plain_actions(elb, page, arn, listener.default_actions()).await
        } else {
            Seen::Known(Vec::new())
        };
        let encrypted = matches!(protocol.as_str(), "HTTPS" | "TLS");
        listeners.push(Listener {
            resource: Resource {
                arn: arn.to_owned(),
                region: balancer.region.clone(),
                id: match port {
                    Some(port) => format!("{} {protocol}:{port}", balancer.id),
                    None => format!("{} {protocol}", balancer.id),
                },
                tags: balancer.tags.clone(),
            },
            // An emulator may answer a policy for a plain listener too; only a TLS one uses it.
            ssl_policy: listener
                .ssl_policy()
                .filter(|_| encrypted)
                .map(str::to_owned),
            protocol,
            port,
            serves_plain,
        });
    }
    Seen::Known(listeners)
}

/// What a plain HTTP listener answers in the clear: its default action when that does not
/// redirect to HTTPS; otherwise each of its rules that does not. Only a listener whose default
/// redirects needs its rules read, since one answering in the clear already fails.
async fn plain_actions(
    elb: &aws_sdk_elasticloadbalancingv2::Client,
    page: Option<i32>,
    listener: &str,
    default: &[Action],
) -> Seen<Vec<String>> {
    if let Some(what) = serves_plain(default) {
        return Seen::Known(vec![format!("its default action {what}")]);
    }
    let rules = elb
        .describe_rules()
        .listener_arn(listener)
        .set_page_size(page)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await;
    seen("elasticloadbalancing:DescribeRules", rules).map(|rules| {
        rules
            .iter()
            .filter(|rule| rule.is_default() != Some(true))
            .filter_map(|rule| {
                serves_plain(rule.actions()).map(|what| {
                    format!(
                        "its rule of priority {} {what}",
                        rule.priority().unwrap_or("?")
                    )
                })
            })
            .collect()
    })
}

/// How a list of actions answers over plain HTTP (`forwards to a target group`), or `None`
/// when it only redirects to HTTPS or answers a fixed response.
pub(crate) fn serves_plain(actions: &[Action]) -> Option<String> {
    for action in actions {
        match action.r#type() {
            Some(ActionTypeEnum::Forward) => return Some("forwards to a target group".into()),
            Some(ActionTypeEnum::Redirect) => {
                let protocol = action
                    .redirect_config()
                    .and_then(|r| r.protocol())
                    .unwrap_or("#{protocol}");
                if !protocol.eq_ignore_ascii_case("HTTPS") {
                    return Some(format!("redirects to {protocol}, not HTTPS"));
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_elasticloadbalancingv2::types::RedirectActionConfig;

    fn redirect(protocol: &str) -> Action {
        Action::builder()
            .r#type(ActionTypeEnum::Redirect)
            .redirect_config(
                RedirectActionConfig::builder()
                    .protocol(protocol)
                    .status_code("HTTP_301".into())
                    .build(),
            )
            .build()
    }

    #[test]
    fn only_a_redirect_to_https_or_a_fixed_answer_keeps_plain_http_empty() {
        assert_eq!(serves_plain(&[redirect("HTTPS")]), None);
        assert_eq!(
            serves_plain(&[Action::builder()
                .r#type(ActionTypeEnum::FixedResponse)
                .build()]),
            None
        );
        assert!(serves_plain(&[redirect("#{protocol}")]).is_some());
        assert!(
            serves_plain(&[Action::builder().r#type(ActionTypeEnum::Forward).build()])
                .is_some_and(|s| s.contains("forwards"))
        );
    }
}
