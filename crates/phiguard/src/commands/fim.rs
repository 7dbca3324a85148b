//! `phiguard fim init | check | update | watch`: file integrity baselines and checks, with every
//! baseline and check recorded in the ledger (see `phiguard_app::fim`).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use phiguard_app::fim::{BaselineResult, ScanRequest};
use phiguard_app::installation::{Installation, Purpose};
use phiguard_core::Escaped;
use phiguard_core::spelling::count;
use phiguard_fim::Report;
use serde::Serialize;

use crate::Outcome;
use crate::cli::{FimCommand, FimScanArgs, GlobalArgs};
use crate::output::Output;

pub async fn run(
    global: &GlobalArgs,
    command: &FimCommand,
    out: &Output,
) -> anyhow::Result<Outcome> {
    // The first baseline starts monitoring; everything else compares with, or replaces, a
    // baseline that must exist.
    let purpose = match command {
        FimCommand::Init(_) => Purpose::Record,
        FimCommand::Check(_) | FimCommand::Update { .. } | FimCommand::Watch { .. } => {
            Purpose::Amend
        }
    };
    let installation = Installation::open(&super::options(global), purpose, out).await?;
    let bars = out.bars();
    let outcome = match command {
        FimCommand::Init(args) => {
            phiguard_app::fim::init(&installation, &request(args), bars.as_ref())
                .await
                .map(|result| show_baseline(&result, out))
        }
        FimCommand::Update {
            scan,
            reason,
            actor,
        } => phiguard_app::fim::update(
            &installation,
            &request(scan),
            reason,
            actor.as_deref(),
            bars.as_ref(),
        )
        .await
        .map(|result| show_baseline(&result, out)),
        FimCommand::Check(args) => check(&installation, args, out).await,
        FimCommand::Watch { scan, debounce_ms } => {
            watch(&installation, scan, *debounce_ms, out).await
        }
    };
    let closed = installation.close().await;
    let outcome = outcome?;
    closed?;
    Ok(outcome)
}

/// The scan the flags ask for.
fn request(args: &FimScanArgs) -> ScanRequest {
    ScanRequest {
        paths: args.paths.clone(),
        one_file_system: args.one_file_system,
        algorithm: args.algorithm.clone(),
    }
}

fn show_baseline(result: &BaselineResult, out: &Output) -> Outcome {
    out.result(&result, || {
        let mut text = format!(
            "baseline {} of {} ({}), root hash {}",
            result.baseline.id, count(result.baseline.entries, "path"), result.baseline.algorithm, result.baseline.root_hash
        );
        if let Some(accepted) = &result.accepted {
            text.push_str(&format!(
                "\naccepted {} added, {} removed, {} changed since the previous baseline, by {}: {}",
                accepted.added, accepted.removed, accepted.changed, Escaped(&result.baseline.actor), Escaped(&result.baseline.reason)
            ));
        }
        for warning in &result.warnings {
            text.push_str(&format!("\nwarning: {}: {}", Escaped(&warning.path), Escaped(&warning.message)));
        }
        text
    });
    Outcome::Ok
}

#[derive(Debug, Serialize)]
struct CheckResult<'a> {
    baseline: &'a phiguard_fim::BaselineInfo,
    #[serde(flatten)]
    report: &'a Report,
}

async fn check(
    installation: &Installation,
    args: &FimScanArgs,
    out: &Output,
) -> anyhow::Result<Outcome> {
    let checked = phiguard_app::fim::check(installation, &request(args), out.bars().as_ref())
        .await?
        .context("there is no baseline yet: run `phiguard fim init` first")?;
    let (info, report) = (&checked.baseline, &checked.report);
    let result = CheckResult {
        baseline: info,
        report,
    };
    out.result(&result, || human_report(info, report));
    Ok(if report.summary.unexplained > 0 {
        Outcome::FailingFindings
    } else {
        Outcome::Ok
    })
}

fn human_report(info: &phiguard_fim::BaselineInfo, report: &Report) -> String {
    let mut text = String::new();
    for change in &report.changes {
        text.push_str(&human_change(change));
    }
    for warning in &report.warnings {
        text.push_str(&format!(
            "warning: {}: {}\n",
            Escaped(&warning.path),
            Escaped(&warning.message)
        ));
    }
    let s = &report.summary;
    text.push_str(&format!(
        "{} added, {} removed, {} changed since baseline {} ({}); {} explained by package updates, {} unexplained",
        s.added, s.removed, s.changed, info.id, crate::output::time(info.created_at), s.explained, s.unexplained
    ));
    text
}

/// One change as lines of text: a marker, the path, and each attribute old → new, with the
/// control characters a file name or link target can hold escaped.
fn human_change(change: &phiguard_fim::Change) -> String {
    let marker = match (change.change, &change.explained_by) {
        (_, Some(_)) => "pkg",
        (phiguard_fim::ChangeKind::Added, None) => "+",
        (phiguard_fim::ChangeKind::Removed, None) => "-",
        (phiguard_fim::ChangeKind::Changed, None) => "~",
    };
    let mut text = format!("{marker:<4}{}", Escaped(&change.path));
    if let Some(package) = &change.explained_by {
        text.push_str(&format!(
            "  (update of {} {})",
            Escaped(&package.package),
            Escaped(&package.version)
        ));
    }
    text.push('\n');
    for attribute in &change.attributes {
        // Times to the second, unless only a fraction of a second tells them apart.
        let (old, new) = match (
            attribute.old.parse::<jiff::Timestamp>(),
            attribute.new.parse::<jiff::Timestamp>(),
        ) {
            (Ok(old), Ok(new)) if old.as_second() != new.as_second() => {
                (crate::output::time(old), crate::output::time(new))
            }
            _ => (attribute.old.clone(), attribute.new.clone()),
        };
        text.push_str(&format!(
            "      {:<8} {} → {}\n",
            attribute.attribute,
            Escaped(&old),
            Escaped(&new)
        ));
    }
    text
}

/// Reports changes against the newest baseline as they happen, until the process is stopped.
async fn watch(
    installation: &Installation,
    args: &FimScanArgs,
    debounce_ms: u64,
    out: &Output,
) -> anyhow::Result<Outcome> {
    let watched = phiguard_app::fim::watched(installation, &request(args)).await?;
    let (info, rules) = (&watched.baseline, &watched.rules);
    let mut watcher = {
        let rules = rules.clone();
        tokio::task::spawn_blocking(move || phiguard_fim::Watcher::new(&rules))
            .await
            .context("starting to watch stopped unexpectedly")?
            .context("could not start watching (inotify)")?
    };
    for warning in &watcher.warnings {
        out.note(&format!(
            "warning: {}: {}",
            Escaped(&warning.path),
            Escaped(&warning.message)
        ));
    }
    out.note(&format!(
        "watching {} against baseline {}; changes are reported as they happen (Ctrl-C stops)",
        count(watcher.watched(), "directory"),
        info.id
    ));
    let quiet = Duration::from_millis(debounce_ms.max(1));
    let mut pacer = phiguard_app::installation::CheckpointPacer::default();
    loop {
        let (batch, returned) = tokio::task::spawn_blocking(move || {
            let batch = watcher.next_batch(quiet, quiet * 20);
            (batch, watcher)
        })
        .await
        .context("watching stopped unexpectedly")?;
        watcher = returned;
        let narrowed = match batch.context("reading file system events failed")? {
            phiguard_fim::WatchBatch::Overflow => {
                out.note("the kernel dropped file system events; rescanning everything");
                rules.clone()
            }
            phiguard_fim::WatchBatch::Paths(paths) => {
                rules.narrowed_to(paths.iter().map(PathBuf::as_path))
            }
        };
        let report = phiguard_app::fim::check_batch(installation, &watched, &narrowed).await?;
        if report.changes.is_empty() {
            continue;
        }
        {
            use std::io::Write;
            let mut stdout = std::io::stdout().lock();
            for change in &report.changes {
                let line = if out.is_json() {
                    serde_json::to_string(change)?
                } else {
                    human_change(change).trim_end().to_owned()
                };
                writeln!(stdout, "{line}")?;
            }
            stdout.flush()?;
        }
        installation.checkpoint_when_due(&mut pacer, 1).await?;
    }
}
