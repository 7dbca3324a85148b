//! Cloud posture (`phiguard cloud check aws`): the account read through the AWS SDK, judged by
//! the cloud checks, and recorded like a host check: the findings in the ledger (`cloud.check`)
//! and stored as a check run whose subject is the account.

use std::collections::BTreeSet;
use std::sync::Arc;

use anyhow::Context;
pub use phiguard_cloud::aws::Service;
use phiguard_cloud::aws::{ScanEvent, ScanOptions};
use phiguard_cloud::checks::Settings;
pub use phiguard_cloud::resources::{CloudResource, Encryption};
pub use phiguard_cloud::store::StoredInventory;
pub use phiguard_cloud::{Inventory, PhiTag};
use phiguard_core::CheckContext;

use crate::Progress;
use crate::check_run::{self, RecordedRun};
use crate::installation::Installation;

/// The root a cloud check run is stored under, which the assessment finds it by.
pub const AWS_ROOT: &str = "aws";

/// The provider an AWS account's inventory is kept under.
pub const AWS_PROVIDER: &str = "aws";

/// What to check.
#[derive(Debug, Clone, Default)]
pub struct AwsRequest {
    /// Regions to read; empty for every region enabled in the account.
    pub regions: Vec<String>,
    /// Services to read; empty for all.
    pub services: BTreeSet<Service>,
    /// An endpoint for every service (an emulator's); `AWS_ENDPOINT_URL` does the same.
    pub endpoint_url: Option<String>,
    /// A profile of the AWS configuration files.
    pub profile: Option<String>,
    /// The tag of resources that hold ePHI (default `phi=true`).
    pub phi_tag: PhiTag,
    /// Credentials to use instead of the AWS CLI's chain.
    pub credentials: Option<aws_sdk_sts::config::Credentials>,
}

/// A check of one account, as recorded.
#[derive(Debug)]
pub struct CloudRun {
    pub account: String,
    pub regions: Vec<String>,
    /// Resources seen.
    pub resources: usize,
    /// Checks run.
    pub checks: usize,
    pub inventory: Inventory,
    /// Every resource seen, as kept as the account's latest inventory.
    pub listing: Vec<CloudResource>,
    pub recorded: RecordedRun,
}

/// The latest inventory of an AWS account (of `account`, or of the account checked last),
/// trusted only as the ledger recorded it; `None` before any account was checked.
pub async fn latest_inventory(
    installation: &Installation,
    account: Option<&str>,
) -> anyhow::Result<Option<StoredInventory>> {
    Ok(phiguard_cloud::store::latest(
        &installation.store,
        &installation.ledger(),
        AWS_PROVIDER,
        account,
    )
    .await?)
}

/// Reads the account, judges it and records the findings.
pub async fn check_aws(
    installation: &Installation,
    request: &AwsRequest,
    progress: Arc<dyn Progress>,
) -> anyhow::Result<CloudRun> {
    let started_at = jiff::Timestamp::now();
    let options = ScanOptions {
        regions: request.regions.clone(),
        services: request.services.clone(),
        endpoint_url: request.endpoint_url.clone(),
        profile: request.profile.clone(),
        credentials: request.credentials.clone(),
        page_size: None,
    };
    progress.begin("reading the account", 0);
    let reporter = {
        let progress = Arc::clone(&progress);
        let expected = std::sync::Mutex::new(0u64);
        let done = std::sync::atomic::AtomicU64::new(0);
        let services: Vec<Service> = if request.services.is_empty() {
            Service::ALL.to_vec()
        } else {
            request.services.iter().copied().collect()
        };
        // A global service is read once, a regional one in every region.
        let global = services.iter().filter(|s| s.is_global()).count() as u64;
        let regional = services.len() as u64 - global;
        move |event: ScanEvent| match event {
            ScanEvent::Regions(regions) => {
                if let Ok(mut expected) = expected.lock() {
                    *expected = global + regional * regions.len() as u64;
                }
            }
            ScanEvent::Read {
                service, region, ..
            } => {
                let done = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                let total = expected.lock().map(|e| *e).unwrap_or(0);
                progress.working_on(&match region {
                    Some(region) => format!("{service} in {region}"),
                    None => service.to_string(),
                });
                progress.advance(done, total);
            }
        }
    };
    // Boxed: the SDK's futures are deep, and would make every caller's future deeper still.
    let inventory = Box::pin(phiguard_cloud::aws::scan(&options, Arc::new(reporter))).await;
    progress.end();
    let inventory = inventory.context("the AWS account could not be read")?;
    let account = inventory.account.clone().unwrap_or_default();
    let settings = Settings {
        phi_tag: request.phi_tag.clone(),
        // Read from keyring.json without opening it: no secret is asked for to check.
        phiguard_root_keys: crate::keys::kms_root_keys(&installation.home),
    };
    let registry = phiguard_cloud::checks::registry(Arc::new(inventory.clone()), &settings)
        .context("the cloud checks could not be assembled")?;
    let selected = |meta: &phiguard_core::CheckMeta| {
        request.services.is_empty()
            || request
                .services
                .iter()
                .any(|s| meta.id.as_str().starts_with(&format!("cloud.aws.{s}.")))
    };
    let checks = registry.metas().filter(|m| selected(m)).count();
    let mut ctx = CheckContext::new("/", started_at);
    ctx.host = Some(format!("aws:{account}"));
    let findings = registry.run_all(&ctx, selected);
    let mut context = serde_json::Map::new();
    context.insert("provider".into(), "aws".into());
    context.insert("account".into(), account.clone().into());
    context.insert("regions".into(), inventory.regions.clone().into());
    context.insert("resources".into(), inventory.resources().into());
    let resources = phiguard_cloud::resources::list(&inventory, &request.phi_tag);
    context.insert(
        "inventory".into(),
        phiguard_cloud::store::ledger_fields(&resources),
    );
    let recorded = check_run::record(
        installation,
        phiguard_cloud::store::CHECK_EVIDENCE_KIND,
        check_run::run(started_at, Some(format!("aws:{account}")), AWS_ROOT.into()),
        context,
        findings,
    )
    .await?;
    // After the ledger entry that vouches for it: a crash in between leaves an inventory the
    // ledger records and the database lacks, which reading it reports, rather than one the
    // ledger does not know.
    phiguard_cloud::store::save(
        &installation.store,
        AWS_PROVIDER,
        &account,
        recorded.evidence,
        &resources,
    )
    .await
    .context("the findings are recorded, but the account's inventory could not be stored")?;
    Ok(CloudRun {
        account,
        regions: inventory.regions.clone(),
        resources: inventory.resources(),
        checks,
        inventory,
        listing: resources,
        recorded,
    })
}
