//! What the tests of the AWS readers share: scan options pointed at a real AWS API emulator
//! (moto on loopback), a whole scan, the checks run on what it read, and the lookups of the
//! findings the tests assert on.

// Each test file uses part of this.
#![allow(dead_code)]

use std::sync::Arc;

use aws_config::Region;
use aws_sdk_sts::config::Credentials;
use jiff::Timestamp;
use phiguard_cloud::aws::{ScanOptions, Service};
use phiguard_cloud::checks::{Settings, registry};
use phiguard_cloud::inventory::Inventory;
use phiguard_core::{CheckContext, Finding, Status};
use phiguard_testkit::Moto;

/// The account moto answers as.
pub const ACCOUNT: &str = "123456789012";
/// The region the tests build in, unless they say otherwise.
pub const REGION: &str = "us-east-1";

/// Options that read `services` in `regions` from the emulator at `endpoint`, with moto's
/// test credentials.
pub fn options_at(endpoint: String, regions: &[&str], services: &[Service]) -> ScanOptions {
    ScanOptions {
        regions: regions.iter().map(|r| (*r).to_owned()).collect(),
        services: services.iter().copied().collect(),
        endpoint_url: Some(endpoint),
        credentials: Some(Credentials::new("testing", "testing", None, None, "test")),
        page_size: None,
        profile: None,
    }
}

/// Options that read `services` in [`REGION`] from `moto`.
pub fn options(moto: &Moto, services: &[Service]) -> ScanOptions {
    options_at(moto.endpoint(), &[REGION], services)
}

/// The SDK configuration of `options`, for the clients that build the tests' resources.
pub async fn config(options: &ScanOptions) -> aws_config::SdkConfig {
    phiguard_cloud::aws::load_config(options).await
}

/// The SDK configuration of `options`, in `region`.
pub async fn config_in(options: &ScanOptions, region: &str) -> aws_config::SdkConfig {
    config(options)
        .await
        .into_builder()
        .region(Region::new(region.to_owned()))
        .build()
}

/// A whole scan, as `phiguard cloud check aws` makes it.
pub async fn scan(options: &ScanOptions) -> Inventory {
    phiguard_cloud::aws::scan(options, Arc::new(|_| {}))
        .await
        .unwrap()
}

/// Every finding on `inventory`, judged as if it were `now`.
pub fn judge(inventory: &Inventory, now: Timestamp) -> Vec<Finding> {
    let registry = registry(Arc::new(inventory.clone()), &Settings::default()).unwrap();
    registry.run_all(&CheckContext::new("/", now), |_| true)
}

/// A whole scan, judged now.
pub async fn findings(options: &ScanOptions) -> Vec<Finding> {
    judge(&scan(options).await, Timestamp::now())
}

/// The finding of `check` about exactly `subject`.
pub fn about<'f>(findings: &'f [Finding], check: &str, subject: &str) -> &'f Finding {
    findings
        .iter()
        .find(|f| f.check.as_str() == check && f.subject == subject)
        .unwrap_or_else(|| panic!("no {check} finding about {subject}: {findings:#?}"))
}

/// The finding of `check` whose subject starts with `prefix` (a listener's subject adds its
/// load balancer, protocol and port; a security group's the ports it opens).
pub fn on<'f>(findings: &'f [Finding], check: &str, prefix: &str) -> &'f Finding {
    findings
        .iter()
        .find(|f| f.check.as_str() == check && f.subject.starts_with(prefix))
        .unwrap_or_else(|| panic!("no {check} finding about {prefix}: {findings:#?}"))
}

pub fn status(findings: &[Finding], check: &str, subject: &str) -> Status {
    about(findings, check, subject).status
}
