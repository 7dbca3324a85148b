//! `phiguard cloud check aws`: a cloud account's posture, its findings stored as a check run
//! and recorded in the ledger (see `phiguard_app::cloud`).

use phiguard_app::cloud::AwsRequest;
use phiguard_app::installation::{Installation, Purpose};
use phiguard_core::spelling::count;
use phiguard_core::{Escaped, Finding, StatusCounts};
use serde::Serialize;

use crate::Outcome;
use crate::cli::{CloudAwsArgs, CloudCheckCommand, CloudCommand, GlobalArgs};
use crate::commands::check_run;
use crate::output::Output;

pub async fn run(
    global: &GlobalArgs,
    command: &CloudCommand,
    out: &Output,
) -> anyhow::Result<Outcome> {
    let installation = Installation::open(&super::options(global), Purpose::Record, out).await?;
    let outcome = match command {
        CloudCommand::Check(CloudCheckCommand::Aws(args)) => aws(&installation, args, out).await,
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
