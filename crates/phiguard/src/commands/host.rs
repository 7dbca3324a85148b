//! `phiguard host check`: the host posture checks, their findings stored as a check run and
//! recorded in the ledger; `phiguard host patch`: installing what the patch checks found.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use phiguard_core::spelling::count;
use phiguard_core::{CheckContext, Escaped, Finding};
use phiguard_host::{Area, Settings};
use serde::Serialize;

use crate::Outcome;
use crate::cli::{GlobalArgs, HostCheckArgs, HostCommand, HostPatchArgs};
use crate::commands::check_run;
use phiguard_app::check_run::Summary;
use phiguard_app::installation::{Installation, Purpose};
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
    summary: Summary,
    /// The ledger entry that records these findings.
    evidence: phiguard_core::EvidenceRef,
    findings: &'a [Finding],
}

async fn check(
    installation: &Installation,
    args: &HostCheckArgs,
    out: &Output,
) -> anyhow::Result<Outcome> {
    let root = args.root.clone().unwrap_or_else(|| "/".into());
    let areas: Vec<Area> = if args.only.is_empty() {
        Area::ALL.to_vec()
    } else {
        args.only.clone()
    };
    let run = run_checks(installation, &root, &areas, args.system.clone(), out).await?;
    let findings = &run.recorded.findings;
    let result = CheckResult {
        run_id: run.recorded.run_id,
        host: &run.host,
        root: run.root.display().to_string(),
        areas: areas.iter().map(|a| a.name()).collect(),
        checks: run.checks,
        summary: Summary::of(findings),
        evidence: run.recorded.evidence,
        findings,
    };
    out.result(&result, || human(&result, &run.root));
    Ok(if findings.iter().any(|f| f.status.is_failing()) {
        Outcome::FailingFindings
    } else {
        Outcome::Ok
    })
}

/// One run of the host checks, stored and recorded.
pub struct HostRun {
    /// The machine, or `image:ROOT` for an image.
    pub host: String,
    pub root: std::path::PathBuf,
    /// How many checks ran.
    pub checks: usize,
    pub recorded: phiguard_app::check_run::RecordedRun,
}

/// Runs the host checks of `areas` on `root` (`/` for this machine), with the register's
/// grants for `system` (default: the host name), and stores and records the findings.
/// `phiguard host check` and `phiguard assess` both run the checks through here.
pub async fn run_checks(
    installation: &Installation,
    root: &Path,
    areas: &[Area],
    system: Option<String>,
    out: &Output,
) -> anyhow::Result<HostRun> {
    let root = std::path::absolute(root).unwrap_or_else(|_| root.to_path_buf());
    anyhow::ensure!(
        root.is_dir(),
        "{} is not a directory; --root takes the directory an image or container file system \
         is mounted on",
        root.display()
    );
    let started_at = jiff::Timestamp::now();
    let mut ctx = CheckContext::new(&root, started_at);
    let live = ctx.is_live();
    // An image is its own subject: its pending updates are not this machine's.
    let host = if live {
        phiguard_app::installation::local_source()
            .host
            .unwrap_or_else(|| "localhost".into())
    } else {
        format!("image:{}", root.display())
    };
    ctx.host = Some(host.clone());

    let config = installation.home.config();
    let mut settings = Settings {
        ephi_paths: config.fim.ephi_paths.iter().map(Into::into).collect(),
        security_update_days: config.host.security_update_days,
        other_update_days: config.host.other_update_days,
        ..Settings::default()
    };
    if areas.contains(&Area::Access) {
        // Shell accounts are judged against the register's grants for this system.
        let system = system.unwrap_or_else(|| host.clone());
        let snapshot = phiguard_register::Register::new(installation.store.clone())
            .snapshot()
            .await
            .context("could not read the register's access grants")?;
        let today = phiguard_register::records::utc_day(started_at);
        settings.granted_accounts = Some(
            snapshot
                .grants
                .values()
                .map(|stored| &stored.record)
                .filter(|grant| grant.system == system && grant.is_active_on(today))
                .filter_map(|grant| grant.account.clone())
                .collect(),
        );
        settings.register_system = Some(system);
    }
    if areas.contains(&Area::Patches) {
        // Read the packages first, so that every update pending now has its first sighting
        // recorded before the checks judge how long it has waited.
        let survey = {
            let root = root.clone();
            tokio::task::spawn_blocking(move || phiguard_host::patches::survey(&root))
                .await
                .context("reading the package database stopped unexpectedly")?
        };
        if let Ok(Some(survey)) = &survey {
            let pending: Vec<(String, String)> = survey
                .pending
                .iter()
                .map(|u| (u.package.clone(), u.candidate.clone()))
                .collect();
            settings.first_seen = installation
                .store
                .observe_pending_updates(&host, started_at, &pending)
                .await
                .context("could not record the pending updates")?;
        }
        settings.patch_survey = Some(Arc::new(survey));
    }

    let registry =
        phiguard_host::registry(&settings).context("the host checks could not be assembled")?;
    let selected: Vec<phiguard_core::CheckId> = registry
        .metas()
        .filter(|meta| Area::of(meta).is_some_and(|area| areas.contains(&area)))
        .map(|meta| meta.id.clone())
        .collect();
    let findings = {
        let bar = out.progress(selected.len() as u64, "checking");
        let selected = selected.clone();
        let task = tokio::task::spawn_blocking(move || {
            let mut findings = Vec::new();
            for id in &selected {
                bar.set_message(id.to_string());
                findings.extend(registry.run_all(&ctx, |meta| &meta.id == id));
                bar.inc(1);
            }
            bar.finish_and_clear();
            findings
        });
        task.await.context("the host checks stopped unexpectedly")?
    };
    let mut context = serde_json::Map::new();
    context.insert("host".into(), host.clone().into());
    context.insert("root".into(), root.display().to_string().into());
    context.insert(
        "areas".into(),
        areas.iter().map(|a| a.name()).collect::<Vec<_>>().into(),
    );
    let recorded = phiguard_app::check_run::record(
        installation,
        "host.check",
        phiguard_app::check_run::run(started_at, Some(host.clone()), root.display().to_string()),
        context,
        findings,
    )
    .await?;
    Ok(HostRun {
        host,
        root,
        checks: selected.len(),
        recorded,
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
    if s.fail + s.error > 0 {
        text.push_str(check_run::REMEDIATION_HINT);
    }
    text
}

#[derive(Debug, Serialize)]
struct PatchResult {
    dry_run: bool,
    security_only: bool,
    /// The updates asked for, as `package installed → candidate`.
    updates: Vec<String>,
    /// The command run, as its words (no shell).
    command: Vec<String>,
    exit_code: Option<i32>,
    /// What apt-get printed (stdout, then stderr).
    output: String,
    evidence: phiguard_core::EvidenceRef,
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
    let survey = tokio::task::spawn_blocking(|| phiguard_host::patches::survey(Path::new("/")))
        .await
        .context("reading the package database stopped unexpectedly")?
        .context("could not read the package database")?
        .context("no package database was found on this machine")?;
    anyhow::ensure!(
        survey.system == phiguard_host::patches::PackageSystem::Dpkg,
        "installing updates is supported with apt only; this machine uses {}",
        survey.system.name()
    );
    let chosen: Vec<&phiguard_host::patches::PendingUpdate> = survey
        .pending
        .iter()
        .filter(|u| u.security || !args.security_only)
        .collect();
    let updates: Vec<String> = chosen
        .iter()
        .map(|u| format!("{} {} → {}", u.package, u.installed, u.candidate))
        .collect();
    let mut command: Vec<String> =
        vec!["apt-get".into(), "install".into(), "--only-upgrade".into()];
    command.extend(["-y", "-q", "-o", "Dpkg::Options::=--force-confold"].map(String::from));
    if args.dry_run {
        command.push("--simulate".into());
    }
    // Exactly the versions judged: `name:arch=version`, so apt cannot pick something else.
    command.extend(chosen.iter().map(|u| {
        if u.architecture == "all" {
            format!("{}={}", u.package, u.candidate)
        } else {
            format!("{}:{}={}", u.package, u.architecture, u.candidate)
        }
    }));
    let (exit_code, output) = if chosen.is_empty() {
        (Some(0), "nothing to install".to_owned())
    } else {
        out.note(&format!(
            "{} {}:\n  {}",
            if args.dry_run {
                "simulating"
            } else {
                "installing"
            },
            count(updates.len(), "update"),
            updates.join("\n  ")
        ));
        let run = {
            let command = command.clone();
            tokio::task::spawn_blocking(move || {
                std::process::Command::new(&command[0])
                    .args(&command[1..])
                    .env("DEBIAN_FRONTEND", "noninteractive")
                    .stdin(std::process::Stdio::null())
                    .output()
            })
            .await
            .context("apt-get stopped unexpectedly")?
        };
        // Even an apt-get that could not start is an attempt to patch, and is recorded.
        match run {
            Ok(run) => {
                let mut text = String::from_utf8_lossy(&run.stdout).into_owned();
                text.push_str(&String::from_utf8_lossy(&run.stderr));
                (run.status.code(), text)
            }
            Err(e) => (
                None,
                format!("could not run apt-get ({e}); is apt installed and is this run as root?"),
            ),
        }
    };
    let evidence = installation
        .record(
            "host.patch",
            serde_json::json!({
                "dry_run": args.dry_run,
                "security_only": args.security_only,
                "updates": updates,
                "command": command,
                "exit_code": exit_code,
            }),
        )
        .await?;
    if exit_code != Some(0) {
        let tail: Vec<&str> = output.lines().rev().take(20).collect();
        anyhow::bail!(
            "apt-get did not finish cleanly (exit code {}); the attempt is recorded in the ledger \
             as entry {}. The end of its output:\n{}",
            exit_code.map_or_else(|| "none".to_owned(), |c| c.to_string()),
            evidence.seq,
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        );
    }
    let result = PatchResult {
        dry_run: args.dry_run,
        security_only: args.security_only,
        updates,
        command,
        exit_code,
        output,
        evidence,
    };
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
