//! `phiguard cloud check aws`: a cloud account's posture, its findings stored as a check run
//! and recorded in the ledger (see `phiguard_app::cloud`).

use phiguard_app::cloud::{AwsRequest, CloudResource, Encryption};
use phiguard_app::installation::{Installation, Purpose};
use phiguard_core::spelling::count;
use phiguard_core::{Escaped, Finding, StatusCounts};
use serde::Serialize;

use crate::Outcome;
use crate::cli::{CloudAwsArgs, CloudCheckCommand, CloudCommand, CloudInventoryArgs, GlobalArgs};
use crate::commands::check_run;
use crate::output::{Output, table};

pub async fn run(
    global: &GlobalArgs,
    command: &CloudCommand,
    out: &Output,
) -> anyhow::Result<Outcome> {
    let purpose = match command {
        CloudCommand::Check(_) => Purpose::Record,
        CloudCommand::Inventory(_) => Purpose::Read,
    };
    let installation = Installation::open(&super::options(global), purpose, out).await?;
    let outcome = match command {
        CloudCommand::Check(CloudCheckCommand::Aws(args)) => aws(&installation, args, out).await,
        CloudCommand::Inventory(args) => inventory(&installation, args, out).await,
    };
    let closed = installation.close().await;
    let outcome = outcome?;
    closed?;
    Ok(outcome)
}

#[derive(Debug, Serialize)]
struct CheckResult<'a> {
    run_id: i64,
    provider: &'static str,
    account: &'a str,
    regions: &'a [String],
    resources: usize,
    checks: usize,
    summary: StatusCounts,
    /// The ledger entry that records these findings.
    evidence: phiguard_core::EvidenceRef,
    findings: &'a [Finding],
}

async fn aws(
    installation: &Installation,
    args: &CloudAwsArgs,
    out: &Output,
) -> anyhow::Result<Outcome> {
    let request = AwsRequest {
        regions: args.regions.clone(),
        services: args.only.iter().copied().collect(),
        endpoint_url: args.endpoint_url.clone(),
        profile: args.profile.clone(),
        phi_tag: args.phi_tag.clone(),
        credentials: None,
    };
    let run = phiguard_app::cloud::check_aws(installation, &request, out.bars()).await?;
    let findings = &run.recorded.findings;
    let result = CheckResult {
        run_id: run.recorded.run_id,
        provider: "aws",
        account: &run.account,
        regions: &run.regions,
        resources: run.resources,
        checks: run.checks,
        summary: StatusCounts::of_findings(findings),
        evidence: run.recorded.evidence,
        findings,
    };
    out.result(&result, || human(&result));
    Ok(if run.recorded.is_failing() {
        Outcome::FailingFindings
    } else {
        Outcome::Ok
    })
}

/// The findings that need attention, then a summary line.
fn human(result: &CheckResult<'_>) -> String {
    let mut text = check_run::attention_table(result.findings);
    let ran = format!(
        "{} on AWS account {} ({}, {})",
        count(result.checks, "cloud check"),
        Escaped(result.account),
        count(result.regions.len(), "region"),
        count(result.resources, "resource"),
    );
    text.push_str(&check_run::summary_lines(
        &ran,
        &result.summary,
        result.run_id,
        result.evidence,
    ));
    if result.summary.has_failing() {
        text.push_str(check_run::REMEDIATION_HINT);
    }
    text
}

#[derive(Debug, Serialize)]
struct InventoryResult<'a> {
    provider: &'a str,
    account: &'a str,
    /// When the check that saw it was recorded.
    taken_at: jiff::Timestamp,
    /// The ledger entry of that check, whose digest the inventory matched.
    evidence: phiguard_core::EvidenceRef,
    digest: &'a str,
    /// Resources in the whole inventory, before any filter.
    total: usize,
    resources: Vec<&'a CloudResource>,
}

async fn inventory(
    installation: &Installation,
    args: &CloudInventoryArgs,
    out: &Output,
) -> anyhow::Result<Outcome> {
    let Some(stored) =
        phiguard_app::cloud::latest_inventory(installation, args.account.as_deref()).await?
    else {
        anyhow::bail!(match &args.account {
            Some(account) => format!(
                "AWS account {} has not been checked yet, so there is no inventory of it: run \
                 `phiguard cloud check aws` with its credentials",
                Escaped(account)
            ),
            None => "no cloud account has been checked yet, so there is no inventory: run \
                     `phiguard cloud check aws`"
                .to_owned(),
        });
    };
    let wanted = |r: &&CloudResource| {
        (args.kinds.is_empty() || args.kinds.iter().any(|k| k == &r.kind))
            && (args.regions.is_empty()
                || r.region
                    .as_ref()
                    .is_some_and(|region| args.regions.contains(region)))
            && (!args.phi || r.holds_phi)
            && (!args.unencrypted
                || matches!(r.encryption, Encryption::Unencrypted | Encryption::Unknown))
    };
    let result = InventoryResult {
        provider: &stored.provider,
        account: &stored.account,
        taken_at: stored.taken_at,
        evidence: stored.evidence,
        digest: &stored.digest,
        total: stored.resources.len(),
        resources: stored.resources.iter().filter(wanted).collect(),
    };
    out.result(&result, || inventory_table(&result));
    Ok(Outcome::Ok)
}

/// One line per resource (kind, region, encryption, ePHI, ARN), then where it came from.
fn inventory_table(result: &InventoryResult<'_>) -> String {
    let rows: Vec<[String; 5]> = result
        .resources
        .iter()
        .map(|r| {
            [
                r.kind.clone(),
                r.region.clone().unwrap_or_else(|| "global".into()),
                r.encryption.word().into(),
                if r.holds_phi { "yes" } else { "" }.into(),
                Escaped(&r.arn).to_string(),
            ]
        })
        .collect();
    let mut text = if rows.is_empty() {
        "No resource matches.\n".to_owned()
    } else {
        table(["KIND", "REGION", "ENCRYPTION", "EPHI", "RESOURCE"], &rows)
    };
    text.push_str(&format!(
        "\n{} of {} in AWS account {}, seen {} (ledger entry {}, digest verified)\n",
        count(result.resources.len(), "resource"),
        result.total,
        Escaped(result.account),
        result.taken_at.strftime("%Y-%m-%d %H:%M UTC"),
        result.evidence.seq,
    ));
    text
}
