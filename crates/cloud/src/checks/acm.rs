//! ACM: certificates that have not expired and are not about to.

use jiff::Timestamp;
use phiguard_core::{CheckMeta, Finding, Severity};

use super::{Rule, Scope, Verdict, days, each};
use crate::inventory::{Certificate, CertificateDetails};

pub(super) fn rules() -> Vec<Rule> {
    vec![Rule::new(
        "cloud.aws.acm.expiry",
        "acm",
        "ACM certificates are not expired nor within 30 days of expiry",
        Severity::High,
        "45 CFR 164.312(e)(1) asks to guard ePHI in transit, which TLS does only while clients \
         can authenticate the server. An expired certificate breaks every connection, or \
         teaches people to click through the warning an attacker's certificate would also \
         raise. ACM renews the Amazon-issued certificates it can validate while they are in \
         use; an imported one, or one whose validation fails, must be renewed by hand, and 30 \
         days leaves time to do it.",
        "Console: Certificate Manager > Certificates > CERTIFICATE: for an Amazon-issued one, \
         fix what Renewal status reports (its DNS validation record); for an imported one, \
         Reimport certificate with the renewed one; then delete expired ones nothing uses. CLI: \
         `aws acm describe-certificate --certificate-arn CERT_ARN`, `aws acm import-certificate \
         --certificate-arn CERT_ARN --certificate fileb://cert.pem --private-key \
         fileb://key.pem --certificate-chain fileb://chain.pem`, or `aws acm \
         delete-certificate --certificate-arn CERT_ARN`.",
        expiry,
    )]
}

/// Days before expiry from which a certificate is warned of.
const WARN_DAYS: i64 = 30;

/// "in use by 2 resources (arn:…, …)" or "not in use".
fn use_of(details: &CertificateDetails) -> String {
    match details.in_use_by.as_slice() {
        [] => "not in use".into(),
        [one] => format!("in use by {one}"),
        many => format!("in use by {} resources ({})", many.len(), many.join(", ")),
    }
}

/// The verdict on a certificate as of `now`.
pub(crate) fn judge(details: &CertificateDetails, now: Timestamp) -> Verdict {
    let used = use_of(details);
    let Some(not_after) = details.not_after else {
        return Verdict::NotApplicable(format!(
            "{} {}, not issued, so it has no expiry yet ({used})",
            details.kind, details.status
        ));
    };
    let left = (not_after.as_second() - now.as_second()).div_euclid(86_400);
    if not_after <= now {
        let ago = (now.as_second() - not_after.as_second()) / 86_400;
        Verdict::Fail(format!(
            "{} certificate expired on {} ({} ago); {used}",
            details.kind,
            not_after.strftime("%Y-%m-%d"),
            days(ago)
        ))
    } else if left < WARN_DAYS {
        let renewal = if details.kind == "AMAZON_ISSUED" && !details.in_use_by.is_empty() {
            "ACM has not renewed it yet: check its renewal status"
        } else {
            "renew or replace it"
        };
        Verdict::Warn(format!(
            "{} certificate expires on {} (in {}): {renewal}; {used}",
            details.kind,
            not_after.strftime("%Y-%m-%d"),
            days(left)
        ))
    } else {
        Verdict::Pass(format!(
            "{} certificate valid until {} ({} left); {used}",
            details.kind,
            not_after.strftime("%Y-%m-%d"),
            days(left)
        ))
    }
}

fn expiry(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    each(
        meta,
        scope,
        &scope.inventory.acm.certificates,
        |c: &Certificate| &c.resource,
        |c| Verdict::on(&c.details, |details| judge(details, scope.now)),
        "no ACM certificate in the regions scanned",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn certificate(not_after: Option<&str>, in_use_by: &[&str]) -> CertificateDetails {
        CertificateDetails {
            status: "ISSUED".into(),
            kind: "IMPORTED".into(),
            not_after: not_after.map(|t| t.parse().unwrap()),
            in_use_by: in_use_by.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    #[test]
    fn expired_fails_within_30_days_warns_later_passes() {
        let now: Timestamp = "2026-06-01T00:00:00Z".parse().unwrap();
        let listener = "arn:aws:elasticloadbalancing:us-east-1:1:listener/app/web/1/2";
        let expired = judge(&certificate(Some("2026-05-01T00:00:00Z"), &[listener]), now);
        assert!(
            matches!(&expired, Verdict::Fail(m) if m.contains("31 days ago") && m.contains(listener))
        );
        let soon = judge(&certificate(Some("2026-06-20T00:00:00Z"), &[]), now);
        assert!(
            matches!(&soon, Verdict::Warn(m) if m.contains("19 days") && m.contains("not in use"))
        );
        let edge = judge(&certificate(Some("2026-07-01T00:00:00Z"), &[]), now);
        assert!(matches!(edge, Verdict::Pass(_)));
        let later = judge(&certificate(Some("2027-06-01T00:00:00Z"), &[]), now);
        assert!(matches!(later, Verdict::Pass(_)));
        let pending = judge(&certificate(None, &[]), now);
        assert!(matches!(pending, Verdict::NotApplicable(_)));
    }
}
