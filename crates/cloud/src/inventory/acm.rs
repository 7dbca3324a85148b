//! ACM: the certificates of a region, with when each expires and what uses it.

use serde::{Deserialize, Serialize};

use super::Resource;
use crate::seen::Seen;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Acm {
    pub certificates: Vec<Certificate>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Certificate {
    pub resource: Resource,
    /// The name it was issued for (`portal.example.org`).
    pub domain: String,
    /// What DescribeCertificate says of it.
    pub details: Seen<CertificateDetails>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateDetails {
    /// `ISSUED`, `PENDING_VALIDATION`, `EXPIRED`, `INACTIVE`, `REVOKED`, `FAILED`.
    pub status: String,
    /// `AMAZON_ISSUED` (ACM renews it while it is in use), `IMPORTED` (someone must renew
    /// it), or `PRIVATE`.
    pub kind: String,
    /// When it stops being valid; `None` until it is issued.
    pub not_after: Option<jiff::Timestamp>,
    /// The ARNs of what uses it (load balancer listeners, CloudFront distributions, API
    /// gateways); empty when nothing does.
    pub in_use_by: Vec<String>,
}
