//! `phiguard fim init | check | update`: file integrity baselines and checks, with every
//! baseline and check recorded in the ledger.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use phiguard_core::Escaped;
use phiguard_fim::packages::{PackageIndex, md5_file};
use phiguard_fim::{
    Algorithm, BaselinePaths, Explanation, Record, Report, RuleSet, Scan, ScanProgress,
};
use serde::Serialize;

use crate::Outcome;
use crate::cli::{FimCommand, FimScanArgs, GlobalArgs};
use phiguard_app::installation::{Installation, Purpose};
use crate::output::Output;
use phiguard_core::spelling::count;

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
    let outcome = match command {
        FimCommand::Init(args) => {
            refuse_a_second_initial_baseline(&installation, args).await?;
            baseline(
                &installation,
                args,
                "initial baseline",
                None,
                Paths::Given,
                out,
            )
            .await
        }
        FimCommand::Update {
            scan,
            reason,
            actor,
        } => {
            anyhow::ensure!(
                !reason.trim().is_empty(),
                "--reason must say why the changes are accepted"
            );
            let paths = Paths::OrThePreviousBaselines;
            baseline(&installation, scan, reason, actor.as_deref(), paths, out).await
        }
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

/// `fim init` starts monitoring; over an existing baseline it would silently accept every
/// change since, with no reason recorded. That is `fim update --reason`'s job. Usage errors
/// in the arguments are reported first.
async fn refuse_a_second_initial_baseline(
    installation: &Installation,
    args: &FimScanArgs,
) -> anyhow::Result<()> {
    rules_of(installation, args, None)?;
    if let Some((info, _)) = phiguard_fim::baseline::latest(&installation.store).await? {
        anyhow::bail!(
            "there is already a baseline (baseline {} of {}, taken {} by {}), and a new \
             one would accept every change made since without saying why. Run `phiguard fim \
             check` to see the changes, then `phiguard fim update --reason TEXT` to accept \
             them with the reason recorded in the ledger",
            info.id,
            count(info.entries, "path"),
            crate::output::time(info.created_at),
            Escaped(&info.actor)
        );
    }
    Ok(())
}

/// The rules and hash of a command: the paths it was given; else the paths the baseline it
/// compares with was taken of (so `fim check` after `fim init /srv/ehr` checks /srv/ehr);
/// else the configuration. Also returns the paths to record with a new baseline.
fn rules_of(
    installation: &Installation,
    args: &FimScanArgs,
    baseline: Option<&BaselinePaths>,
) -> anyhow::Result<(RuleSet, Algorithm, Option<BaselinePaths>)> {
    let config = &installation.home.config().fim;
    let algorithm = Algorithm::parse(args.algorithm.as_deref().unwrap_or(&config.algorithm))
        .map_err(anyhow::Error::msg)?;
    // A path typed on the command line that does not exist would make a baseline of nothing,
    // and every later check would pass.
    for path in &args.paths {
        std::fs::symlink_metadata(path)
            .with_context(|| format!("{} cannot be monitored", path.display()))?;
    }
    let one_filesystem = args.one_file_system || config.one_filesystem;
    let given = (!args.paths.is_empty()).then(|| BaselinePaths {
        paths: args
            .paths
            .iter()
            .map(|p| {
                std::path::absolute(p)
                    .unwrap_or_else(|_| p.clone())
                    .display()
                    .to_string()
            })
            .collect(),
        one_filesystem,
    });
    let scope = given.or_else(|| baseline.cloned());
    let rules = match &scope {
        Some(scope) => {
            let paths: Vec<std::path::PathBuf> = scope.paths.iter().map(Into::into).collect();
            RuleSet::from_paths(&paths, scope.one_filesystem || args.one_file_system)
                .map_err(anyhow::Error::msg)?
        }
        None => {
            let mut rules = RuleSet::from_config(config).map_err(anyhow::Error::msg)?;
            rules.one_filesystem |= args.one_file_system;
            rules
        }
    };
    Ok((rules, algorithm, scope))
}

fn describe(rules: &RuleSet) -> String {
    rules
        .rules
        .iter()
        .map(|rule| format!("{} [{}]", rule.root.display(), rule.attributes))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Scans on a blocking thread, with a progress bar of files hashed on a terminal.
async fn scan(rules: &RuleSet, algorithm: Algorithm, out: &Output) -> anyhow::Result<Scan> {
    let progress = Arc::new(ScanProgress::default());
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let task = {
        let (rules, progress) = (rules.clone(), progress.clone());
        tokio::task::spawn_blocking(move || {
            phiguard_fim::scan(&rules, algorithm, threads, &progress)
        })
    };
    let bar = out.progress(0, "hashing");
    tokio::pin!(task);
    loop {
        tokio::select! {
            done = &mut task => {
                bar.finish_and_clear();
                return done.context("the scan stopped unexpectedly");
            }
            () = tokio::time::sleep(Duration::from_millis(100)) => {
                use std::sync::atomic::Ordering::Relaxed;
                bar.set_length(progress.files_to_hash.load(Relaxed));
                bar.set_position(progress.files_hashed.load(Relaxed));
            }
        }
    }
}

#[derive(Debug, Serialize)]
pub struct BaselineResult {
    baseline: phiguard_fim::BaselineInfo,
    warnings: Vec<phiguard_fim::ScanWarning>,
    /// What this baseline accepted, compared with the one before it (none for the first).
    #[serde(skip_serializing_if = "Option::is_none")]
    accepted: Option<phiguard_fim::Summary>,
}

/// Which paths a new baseline covers when none are given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paths {
    /// The paths given, else the configured rules (`fim init`: a fresh start).
    Given,
    /// The paths given, else those of the previous baseline (`fim update` accepts changes to
    /// what is already monitored).
    OrThePreviousBaselines,
}

async fn baseline(
    installation: &Installation,
    args: &FimScanArgs,
    reason: &str,
    actor: Option<&str>,
    paths: Paths,
    out: &Output,
) -> anyhow::Result<Outcome> {
    let result = take_baseline(installation, args, reason, actor, paths, out).await?;
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
    Ok(Outcome::Ok)
}

/// Scans, saves the result as the newest baseline and records it in the ledger.
pub async fn take_baseline(
    installation: &Installation,
    args: &FimScanArgs,
    reason: &str,
    actor: Option<&str>,
    paths: Paths,
    out: &Output,
) -> anyhow::Result<BaselineResult> {
    let previous = phiguard_fim::baseline::latest(&installation.store).await?;
    let previous_paths = previous
        .as_ref()
        .and_then(|(info, _)| info.paths.as_ref())
        .filter(|_| paths == Paths::OrThePreviousBaselines);
    let (rules, algorithm, scope) = rules_of(installation, args, previous_paths)?;
    let scanned = scan(&rules, algorithm, out).await?;
    let actor = phiguard_app::installation::actor(actor);
    let accepted = previous
        .as_ref()
        .map(|(_, entries)| phiguard_fim::compare(&rules, entries, &scanned, &|_, _| None).summary);
    let info = phiguard_fim::baseline::save(
        &installation.store,
        &actor,
        reason,
        algorithm.name(),
        &describe(&rules),
        scope.as_ref(),
        &scanned.entries,
    )
    .await?;
    installation
        .record(
            "fim.baseline",
            serde_json::json!({
                "baseline": info.id,
                "entries": info.entries,
                "root_hash": info.root_hash,
                "algorithm": info.algorithm,
                "rules": info.rules,
                "reason": reason,
                "actor": info.actor,
                "accepted": accepted,
            }),
        )
        .await?;
    Ok(BaselineResult {
        baseline: info,
        warnings: scanned.warnings,
        accepted,
    })
}

#[derive(Debug, Serialize)]
struct CheckResult<'a> {
    baseline: &'a phiguard_fim::BaselineInfo,
    #[serde(flatten)]
    report: &'a Report,
}

/// Explains a new or changed file by a package: on Debian, when its content matches the MD5
/// that dpkg recorded for a package installed or upgraded after the baseline was taken.
/// Without dpkg, nothing is explained. dpkg's database is read on the first change to
/// explain, so a check that finds nothing changed never pays for it.
struct PackageExplainer {
    baseline_taken: jiff::Timestamp,
    index: std::cell::OnceCell<Result<Option<PackageIndex>, String>>,
}

impl PackageExplainer {
    fn new(info: &phiguard_fim::BaselineInfo) -> PackageExplainer {
        PackageExplainer {
            baseline_taken: info.created_at,
            index: std::cell::OnceCell::new(),
        }
    }

    fn explain(&self, path: &[u8], _: &Record) -> Option<Explanation> {
        let loaded = self
            .index
            .get_or_init(|| PackageIndex::load(Path::new("/")).map_err(|e| e.to_string()));
        let index = loaded.as_ref().ok()?.as_ref()?;
        // Only files a package lists are read again (for their MD5).
        if index.owners(path).is_empty() {
            return None;
        }
        let md5 = md5_file(Path::new(OsStr::from_bytes(path))).ok()?;
        index
            .explain(path, md5, self.baseline_taken)
            .map(|file| Explanation {
                package: file.package.to_owned(),
                version: file.version.to_owned(),
            })
    }

    /// Fails if dpkg's database was needed and could not be read: then changes a package
    /// made would be reported as unexplained, and the report must not stand.
    fn ensure_read(&self) -> anyhow::Result<()> {
        match self.index.get() {
            Some(Err(e)) => anyhow::bail!("could not read dpkg's database: {e}"),
            _ => Ok(()),
        }
    }
}

/// The newest baseline, which must exist and have been hashed with `algorithm`.
fn baseline_to_compare(
    newest: Option<(phiguard_fim::BaselineInfo, BTreeMap<Vec<u8>, Record>)>,
    algorithm: Algorithm,
) -> anyhow::Result<(phiguard_fim::BaselineInfo, BTreeMap<Vec<u8>, Record>)> {
    let (info, entries) =
        newest.context("there is no baseline yet: run `phiguard fim init` first")?;
    anyhow::ensure!(
        info.algorithm == algorithm.name(),
        "the baseline was hashed with {}, not {}; use --algorithm {} or take a new baseline",
        info.algorithm,
        algorithm.name(),
        info.algorithm
    );
    Ok((info, entries))
}

async fn check(
    installation: &Installation,
    args: &FimScanArgs,
    out: &Output,
) -> anyhow::Result<Outcome> {
    let checked = run_check(installation, args, out)
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

/// A FIM check against the newest baseline, recorded in the ledger.
pub struct FimCheck {
    pub baseline: phiguard_fim::BaselineInfo,
    /// The rules the files were compared under (the baseline's).
    pub rules: RuleSet,
    pub report: Report,
    /// The ledger entry recording its summary.
    pub evidence: phiguard_core::EvidenceRef,
}

/// Compares the files with the newest baseline and records the outcome; `None` when there is
/// no baseline to compare with. `phiguard fim check` and `phiguard assess` both run it.
pub async fn run_check(
    installation: &Installation,
    args: &FimScanArgs,
    out: &Output,
) -> anyhow::Result<Option<FimCheck>> {
    let Some(newest) = phiguard_fim::baseline::latest(&installation.store).await? else {
        return Ok(None);
    };
    let (rules, algorithm, _) = rules_of(installation, args, newest.0.paths.as_ref())?;
    let (info, entries) = baseline_to_compare(Some(newest), algorithm)?;
    // Compared under other rules, everything one set covers and the other does not would be
    // reported as added or removed: a wall of false changes.
    let wanted = describe(&rules);
    anyhow::ensure!(
        info.rules == wanted,
        "the newest baseline was taken with other rules than this check's, so comparing them \
         would report false changes.\n  baseline {}: {}\n  this check: {}\nCheck the same \
         paths as the baseline (or none, to follow it), or take a new baseline with \
         `phiguard fim update --reason TEXT`.",
        info.id,
        info.rules,
        wanted
    );
    let explainer = PackageExplainer::new(&info);
    let scanned = scan(&rules, algorithm, out).await?;
    let report = phiguard_fim::compare(&rules, &entries, &scanned, &|path, record| {
        explainer.explain(path, record)
    });
    explainer.ensure_read()?;
    // The ledger gets the counts and a digest of the report, not the paths: names of files in
    // ePHI directories can themselves identify patients.
    let report_json = serde_json::to_vec(&report)?;
    let digest = phiguard_core::hex::encode(&phiguard_fim::baseline::sha256(&report_json));
    let evidence = installation
        .record(
            "fim.check",
            serde_json::json!({ "baseline": info.id, "summary": report.summary, "report_sha256": digest }),
        )
        .await?;
    Ok(Some(FimCheck {
        baseline: info,
        rules,
        report,
        evidence,
    }))
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
    let newest = phiguard_fim::baseline::latest(&installation.store).await?;
    let (rules, algorithm, _) = rules_of(
        installation,
        args,
        newest.as_ref().and_then(|(info, _)| info.paths.as_ref()),
    )?;
    let (info, entries) = baseline_to_compare(newest, algorithm)?;
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
    let silent = Output::new(out.is_json(), true);
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
        let scanned = scan(&narrowed, algorithm, &silent).await?;
        // dpkg's database is read again for each batch: an upgrade may be what just happened.
        let explainer = PackageExplainer::new(&info);
        let report = phiguard_fim::compare(&narrowed, &entries, &scanned, &|path, record| {
            explainer.explain(path, record)
        });
        explainer.ensure_read()?;
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
        let digest = phiguard_core::hex::encode(&phiguard_fim::baseline::sha256(
            &serde_json::to_vec(&report)?,
        ));
        installation.record(
            "fim.watch",
            serde_json::json!({ "baseline": info.id, "summary": report.summary, "report_sha256": digest }),
        )
        .await?;
        installation.checkpoint_when_due(&mut pacer, 1).await?;
    }
}
