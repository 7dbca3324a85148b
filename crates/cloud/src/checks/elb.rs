//! ELBv2: load balancers speak TLS to their clients (or send plain HTTP straight to HTTPS),
//! refuse TLS older than 1.2, and log every request.

use phiguard_core::{CheckMeta, Finding, Severity, Status};

use super::{Rule, Scope, Verdict, each, finding};
use crate::inventory::{Listener, LoadBalancer};

pub(super) fn rules() -> Vec<Rule> {
    vec![
        Rule::new(
            "cloud.aws.elb.tls_listeners",
            "elb",
            "load balancer listeners use HTTPS or TLS, or redirect plain HTTP to HTTPS",
            Severity::High,
            "45 CFR 164.312(e)(1) asks to guard ePHI sent over a network, and 164.312(e)(2)(ii) \
             to encrypt it where appropriate. A listener on plain HTTP sends every request and \
             answer in the clear between the client and the load balancer, whether it faces \
             the internet or only the VPC; one that only redirects to HTTPS carries nothing. A \
             TCP or UDP listener passes bytes through: they are encrypted only if the targets \
             speak TLS themselves, which the load balancer cannot show.",
            "Console: EC2 > Load balancers > LB > Listeners and rules > Add listener, protocol \
             HTTPS (or TLS for a network load balancer) with an ACM certificate, then edit the \
             HTTP listener's default action to Redirect to URL, protocol HTTPS, port 443, \
             301. CLI: `aws elbv2 create-listener --load-balancer-arn LB_ARN --protocol HTTPS \
             --port 443 --certificates CertificateArn=CERT_ARN --ssl-policy \
             ELBSecurityPolicy-TLS13-1-2-2021-06 --default-actions \
             Type=forward,TargetGroupArn=TG_ARN` and `aws elbv2 modify-listener --listener-arn \
             HTTP_LISTENER_ARN --default-actions \
             'Type=redirect,RedirectConfig={Protocol=HTTPS,Port=443,StatusCode=HTTP_301}'`.",
            tls_listeners,
        ),
        Rule::new(
            "cloud.aws.elb.tls_policy",
            "elb",
            "HTTPS and TLS listeners refuse TLS older than 1.2",
            Severity::Medium,
            "45 CFR 164.312(e)(2)(i) and (e)(2)(ii) ask that ePHI in transit be encrypted and \
             protected from undetected change. NIST SP 800-52 Rev. 2, which HHS's guidance \
             points to for data in motion, requires TLS 1.2 or newer; TLS 1.0 and 1.1 are \
             deprecated (RFC 8996). A listener's security policy decides which versions it \
             accepts: ELBSecurityPolicy-TLS13-1-2-*, -TLS13-1-3-*, -TLS-1-2-* and -FS-1-2-* \
             refuse older ones; ELBSecurityPolicy-2016-08, the old default, accepts TLS 1.0.",
            "Console: EC2 > Load balancers > LB > Listeners and rules > LISTENER > Edit \
             listener > Secure listener settings, choose Security policy \
             ELBSecurityPolicy-TLS13-1-2-2021-06, Save. CLI: `aws elbv2 modify-listener \
             --listener-arn LISTENER_ARN --ssl-policy ELBSecurityPolicy-TLS13-1-2-2021-06`.",
            tls_policy,
        ),
        Rule::new(
            "cloud.aws.elb.access_logs",
            "elb",
            "load balancers write access logs",
            Severity::Medium,
            "45 CFR 164.312(b) asks for mechanisms that record and examine activity in systems \
             holding ePHI. A load balancer's access log records every request (client, time, \
             path, status, TLS version) before it reaches a target: what an investigation \
             needs when an application's own logs are missing or were altered.",
            "Console: EC2 > Load balancers > LB > Attributes > Edit > Monitoring, turn on \
             Access logs and choose an S3 bucket whose policy lets Elastic Load Balancing \
             write to it, Save. CLI: `aws elbv2 modify-load-balancer-attributes \
             --load-balancer-arn LB_ARN --attributes Key=access_logs.s3.enabled,Value=true \
             Key=access_logs.s3.bucket,Value=BUCKET`.",
            access_logs,
        ),
    ]
}

const NO_LOAD_BALANCERS: &str = "no load balancer in the regions scanned";

fn balancers<'s>(scope: &'s Scope<'_>) -> &'s [LoadBalancer] {
    &scope.inventory.elb.load_balancers
}

/// "internet-facing application load balancer".
fn kind(lb: &LoadBalancer) -> String {
    format!("{} {} load balancer", lb.scheme, lb.kind)
}

/// One finding per listener of every application and network load balancer, judged by
/// `judge`; the load balancer's own finding when its listeners could not be read or it has
/// none. Gateway load balancers pass packets to appliances without terminating anything: they
/// do not apply.
fn each_listener(
    meta: &CheckMeta,
    scope: &Scope<'_>,
    judge: impl Fn(&LoadBalancer, &Listener) -> Verdict,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    for lb in balancers(scope) {
        if lb.kind == "gateway" {
            findings.push(finding(
                meta,
                scope,
                &lb.resource,
                Verdict::NotApplicable(
                    "a gateway load balancer forwards packets to appliances without \
                     terminating any protocol"
                        .into(),
                ),
            ));
            continue;
        }
        match lb.listeners.known() {
            None => findings.push(finding(
                meta,
                scope,
                &lb.resource,
                Verdict::Unknown(lb.listeners.why_unknown().unwrap_or_default()),
            )),
            Some(listeners) if listeners.is_empty() => findings.push(finding(
                meta,
                scope,
                &lb.resource,
                Verdict::NotApplicable(format!(
                    "{} has no listener: it accepts no connection",
                    kind(lb)
                )),
            )),
            Some(listeners) => findings.extend(
                listeners
                    .iter()
                    .map(|l| finding(meta, scope, &l.resource, judge(lb, l))),
            ),
        }
    }
    if findings.is_empty() {
        findings.push(meta.finding(Status::NotApplicable, "account", NO_LOAD_BALANCERS));
    }
    findings
}

fn tls_listeners(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    each_listener(meta, scope, |lb, listener| {
        let on = format!("listener of an {}", kind(lb));
        match listener.protocol.as_str() {
            "HTTPS" | "TLS" => {
                Verdict::Pass(format!("{on} speaks {} to its clients", listener.protocol))
            }
            "HTTP" => Verdict::on(&listener.serves_plain, |plain| {
                if plain.is_empty() {
                    Verdict::Pass(format!("{on} on plain HTTP that only redirects to HTTPS"))
                } else {
                    Verdict::Fail(format!(
                        "{on} on plain HTTP that answers in the clear: {}",
                        plain.join("; ")
                    ))
                }
            }),
            other => Verdict::Warn(format!(
                "{on} passes {other} through unencrypted by the load balancer: ePHI is \
                 protected only if the targets speak TLS themselves"
            )),
        }
    })
}

/// The oldest TLS version a security policy accepts, as (major, minor), by the names AWS
/// publishes; `None` for a name phiguard does not know.
pub(crate) fn minimum_tls(policy: &str) -> Option<(u8, u8)> {
    let name = policy.strip_prefix("ELBSecurityPolicy-")?;
    // TLS 1.3 policies name their oldest version next: TLS13-1-0-2021-06 still takes TLS 1.0.
    if let Some(rest) = name.strip_prefix("TLS13-1-") {
        return match rest.split('-').next()? {
            "0" => Some((1, 0)),
            "1" => Some((1, 1)),
            "2" => Some((1, 2)),
            "3" => Some((1, 3)),
            _ => None,
        };
    }
    if name.starts_with("TLS-1-2-") || name.starts_with("FS-1-2-") {
        return Some((1, 2));
    }
    match name {
        "TLS-1-1-2017-01" | "FS-1-1-2019-08" => Some((1, 1)),
        "2016-08" | "TLS-1-0-2015-04" | "FS-2018-06" | "2015-05" | "2015-03" | "2015-02"
        | "2014-10" | "2014-01" | "2011-08" => Some((1, 0)),
        _ => None,
    }
}

fn tls_policy(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    each_listener(meta, scope, |_, listener| {
        if !listener.encrypted() {
            return Verdict::NotApplicable(format!(
                "a {} listener, with no TLS policy (judged by cloud.aws.elb.tls_listeners)",
                listener.protocol
            ));
        }
        let Some(policy) = listener.ssl_policy.as_deref() else {
            return Verdict::Warn(format!(
                "a {} listener whose security policy was not answered",
                listener.protocol
            ));
        };
        match minimum_tls(policy) {
            Some((1, minor)) if minor >= 2 => {
                Verdict::Pass(format!("uses {policy}, which refuses TLS below 1.{minor}"))
            }
            Some((major, minor)) => Verdict::Fail(format!(
                "uses {policy}, which still accepts TLS {major}.{minor}"
            )),
            None => Verdict::Warn(format!(
                "uses {policy}, a security policy phiguard does not know: check with `aws \
                 elbv2 describe-ssl-policies --names {policy}` that it refuses TLS 1.0 and 1.1"
            )),
        }
    })
}

fn access_logs(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    each(
        meta,
        scope,
        balancers(scope),
        |lb| &lb.resource,
        |lb| {
            if lb.kind == "gateway" {
                return Verdict::NotApplicable(
                    "a gateway load balancer has no access logs; VPC flow logs record its \
                     traffic"
                        .into(),
                );
            }
            Verdict::on(&lb.access_logs, |logs| match (logs.enabled, &logs.bucket) {
                (true, Some(bucket)) => {
                    Verdict::Pass(format!("{} writes access logs to s3://{bucket}", kind(lb)))
                }
                (true, None) => Verdict::Pass(format!("{} writes access logs", kind(lb))),
                (false, _) => Verdict::Fail(format!("{} writes no access logs", kind(lb))),
            })
        },
        NO_LOAD_BALANCERS,
    )
}

#[cfg(test)]
mod tests {
    use super::minimum_tls;

    #[test]
    fn policies_are_judged_by_the_oldest_version_aws_says_they_accept() {
        for modern in [
            "ELBSecurityPolicy-TLS13-1-2-2021-06",
            "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
            "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04",
            "ELBSecurityPolicy-TLS-1-2-2017-01",
            "ELBSecurityPolicy-TLS-1-2-Ext-2018-06",
            "ELBSecurityPolicy-FS-1-2-Res-2020-10",
        ] {
            assert_eq!(minimum_tls(modern), Some((1, 2)), "{modern}");
        }
        assert_eq!(
            minimum_tls("ELBSecurityPolicy-TLS13-1-3-2021-06"),
            Some((1, 3))
        );
        for old in [
            "ELBSecurityPolicy-2016-08",
            "ELBSecurityPolicy-TLS-1-0-2015-04",
            "ELBSecurityPolicy-2015-05",
            "ELBSecurityPolicy-TLS13-1-0-2021-06",
        ] {
            assert_eq!(minimum_tls(old), Some((1, 0)), "{old}");
        }
        assert_eq!(
            minimum_tls("ELBSecurityPolicy-TLS-1-1-2017-01"),
            Some((1, 1))
        );
        assert_eq!(
            minimum_tls("ELBSecurityPolicy-TLS13-1-1-2021-06"),
            Some((1, 1))
        );
        assert_eq!(minimum_tls("ELBSecurityPolicy-Custom-Thing"), None);
        assert_eq!(minimum_tls("MyPolicy"), None);
    }
}
