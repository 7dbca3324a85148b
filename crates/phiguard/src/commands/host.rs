//! `phiguard host check`: the host posture checks, their findings stored as a check run and
//! recorded in the ledger; `phiguard host patch`: installing what the patch checks found.

use std::path::Path;

use phiguard_app::host::{CheckRequest, PatchRequest};
use phiguard_app::installation::{Installation, Purpose};
use phiguard_core::StatusCounts;
use phiguard_core::spelling::count;
use phiguard_core::{Escaped, Finding};
use serde::Serialize;

use crate::Outcome;
use crate::cli::{GlobalArgs, HostCheckArgs, HostCommand, HostPatchArgs};
use crate::commands::check_run;
use crate::output::Output;

pub async fn run(
    global: &GlobalArgs,
    command: &HostCommand,
    out: &Output,
) -> anyhow::Result<Outcome> {
    // Both record what they found or did.
    let installation = Installation::open(&super::options(global), Purpose::Record, out).await?;
    let outcome = match command {
        HostCommand::Check(args) => check(&installation, args, out).await,
        HostCommand::Patch(args) => patch(&installation, args, out).await,
    };
    let closed = installation.close().await;
    let outcome = outcome?;
    closed?;
    Ok(outcome)
}

#[derive(Debug, Serialize)]
struct CheckResult<'a> {
    run_id: i64,
    host: &'a str,
    root: String,
    areas: Vec<&'static str>,
    checks: usize,
    summary: StatusCounts,
    /// The ledger entry that records these findings.
    evidence: phiguard_core::EvidenceRef,
    findings: &'a [Finding],
}

async fn check(
    installation: &Installation,
    args: &HostCheckArgs,
    out: &Output,
) -> anyhow::Result<Outcome> {
    let request = CheckRequest {
        root: args.root.clone().unwrap_or_else(|| "/".into()),
        areas: args.only.clone(),
        system: args.system.clone(),
    };
    let run = phiguard_app::host::run_checks(installation, &request, out.bars()).await?;
    let findings = &run.recorded.findings;
    let result = CheckResult {
        run_id: run.recorded.run_id,
        host: &run.host,
        root: run.root.display().to_string(),
        areas: run.areas.iter().map(|a| a.name()).collect(),
        checks: run.checks,
        summary: StatusCounts::of_findings(findings),
        evidence: run.recorded.evidence,
        findings,
    };
    out.result(&result, || human(&result, &run.root));
    Ok(if run.recorded.is_failing() {
        Outcome::FailingFindings
    } else {
        Outcome::Ok
    })
}

/// The findings that need attention, then a summary line.
fn human(result: &CheckResult<'_>, root: &Path) -> String {
    let mut text = check_run::attention_table(result.findings);
    let s = &result.summary;
    let ran = format!(
        "{} on {} ({})",
        count(result.checks, "host check"),
        Escaped(result.host),
        Escaped(&root.display().to_string())
    );
    text.push_str(&check_run::summary_lines(
        &ran,
        s,
        result.run_id,
        result.evidence,
    ));
    if s.has_failing() {
        text.push_str(check_run::REMEDIATION_HINT);
    }
    text
}

async fn patch(
    installation: &Installation,
    args: &HostPatchArgs,
    out: &Output,
) -> anyhow::Result<Outcome> {
    anyhow::ensure!(
        args.apply,
        "`host patch` changes this machine: add --apply to install the updates (with --dry-run \
         to let apt-get only simulate); `phiguard host check --only patches` lists them"
    );
    let request = PatchRequest {
        security_only: args.security_only,
        dry_run: args.dry_run,
    };
    let result = phiguard_app::host::patch(installation, &request, out).await?;
    out.result(&result, || {
        format!(
            "{}\n{} {}; apt-get exit code {}; ledger entry {}",
            result.output.trim_end(),
            count(result.updates.len(), "update"),
            if result.dry_run {
                "simulated"
            } else {
                "installed"
            },
            result
                .exit_code
                .map_or_else(|| "none (killed)".to_owned(), |c| c.to_string()),
            result.evidence.seq
        )
    });
    Ok(Outcome::Ok)
}
