//! File integrity operations: taking a baseline (the first, or one that accepts changes with a
//! reason), checking the files against the newest one, and checking a batch of changes a
//! watch saw. Every baseline and check is recorded in the ledger.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use phiguard_core::Escaped;
use phiguard_core::spelling::count;
use phiguard_fim::packages::{PackageIndex, md5_file};
use phiguard_fim::{
    Algorithm, BaselineInfo, BaselinePaths, Explanation, Record, Report, RuleSet, Scan,
    ScanProgress,
};
use serde::Serialize;

use crate::Progress;
use crate::installation::Installation;

/// What to scan: paths (none: what the baseline covers, else the configured rules), whether
/// to stay on their file systems, and the hash (none: the configured one).
#[derive(Debug, Clone, Default)]
pub struct ScanRequest {
    pub paths: Vec<PathBuf>,
    pub one_file_system: bool,
    pub algorithm: Option<String>,
}

/// The entries of a baseline, by path.
pub type Entries = BTreeMap<Vec<u8>, Record>;

/// The rules and hash of a scan: the paths it was given; else the paths the baseline it
/// compares with was taken of (so `fim check` after `fim init /srv/ehr` checks /srv/ehr);
/// else the configuration. Also returns the paths to record with a new baseline.
pub fn rules_of(
    installation: &Installation,
    request: &ScanRequest,
    baseline: Option<&BaselinePaths>,
) -> anyhow::Result<(RuleSet, Algorithm, Option<BaselinePaths>)> {
    let config = &installation.home.config().fim;
    let algorithm = Algorithm::parse(request.algorithm.as_deref().unwrap_or(&config.algorithm))
        .map_err(anyhow::Error::msg)?;
    // A path typed on the command line that does not exist would make a baseline of nothing,
    // and every later check would pass.
    for path in &request.paths {
        std::fs::symlink_metadata(path)
            .with_context(|| format!("{} cannot be monitored", path.display()))?;
    }
    let one_filesystem = request.one_file_system || config.one_filesystem;
    let given = (!request.paths.is_empty()).then(|| BaselinePaths {
        paths: request
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
            let paths: Vec<PathBuf> = scope.paths.iter().map(Into::into).collect();
            RuleSet::from_paths(&paths, scope.one_filesystem || request.one_file_system)
                .map_err(anyhow::Error::msg)?
        }
        None => {
            let mut rules = RuleSet::from_config(config).map_err(anyhow::Error::msg)?;
            rules.one_filesystem |= request.one_file_system;
            rules
        }
    };
    Ok((rules, algorithm, scope))
}

/// The rules as a baseline records them.
fn describe(rules: &RuleSet) -> String {
    rules
        .rules
        .iter()
        .map(|rule| format!("{} [{}]", rule.root.display(), rule.attributes))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Scans on a blocking thread, reporting the files hashed to `progress`.
pub async fn scan(
    rules: &RuleSet,
    algorithm: Algorithm,
    progress: &dyn Progress,
) -> anyhow::Result<Scan> {
    let counts = Arc::new(ScanProgress::default());
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let task = {
        let (rules, counts) = (rules.clone(), counts.clone());
        tokio::task::spawn_blocking(move || phiguard_fim::scan(&rules, algorithm, threads, &counts))
    };
    progress.begin("hashing", 0);
    tokio::pin!(task);
    loop {
        tokio::select! {
            done = &mut task => {
                progress.end();
                return done.context("the scan stopped unexpectedly");
            }
            () = tokio::time::sleep(Duration::from_millis(100)) => {
                use std::sync::atomic::Ordering::Relaxed;
                progress.advance(counts.files_hashed.load(Relaxed), counts.files_to_hash.load(Relaxed));
            }
        }
    }
}

/// A baseline taken and recorded.
#[derive(Debug, Serialize)]
pub struct BaselineResult {
    pub baseline: BaselineInfo,
    pub warnings: Vec<phiguard_fim::ScanWarning>,
    /// What this baseline accepted, compared with the one before it (none for the first).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accepted: Option<phiguard_fim::Summary>,
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

/// The first baseline, which starts monitoring. Refused over an existing baseline, which it
/// would replace accepting every change since with no reason recorded (that is [`update`]'s
/// job); mistakes in `request` are reported first.
pub async fn init(
    installation: &Installation,
    request: &ScanRequest,
    progress: &dyn Progress,
) -> anyhow::Result<BaselineResult> {
    rules_of(installation, request, None)?;
    if let Some((info, _)) = phiguard_fim::baseline::latest(&installation.store).await? {
        anyhow::bail!(
            "there is already a baseline (baseline {} of {}, taken {} by {}), and a new \
             one would accept every change made since without saying why. Run `phiguard fim \
             check` to see the changes, then `phiguard fim update --reason TEXT` to accept \
             them with the reason recorded in the ledger",
            info.id,
            count(info.entries, "path"),
            crate::time_for_people(info.created_at),
            Escaped(&info.actor)
        );
    }
    let reason = "initial baseline";
    take_baseline(installation, request, reason, None, Paths::Given, progress).await
}

/// A new baseline that accepts the changes since the previous one, for `reason`, by the OS
/// account after the name `actor` states.
pub async fn update(
    installation: &Installation,
    request: &ScanRequest,
    reason: &str,
    actor: Option<&str>,
    progress: &dyn Progress,
) -> anyhow::Result<BaselineResult> {
    anyhow::ensure!(
        !reason.trim().is_empty(),
        "--reason must say why the changes are accepted"
    );
    let paths = Paths::OrThePreviousBaselines;
    take_baseline(installation, request, reason, actor, paths, progress).await
}

/// Scans, saves the result as the newest baseline and records it in the ledger.
pub async fn take_baseline(
    installation: &Installation,
    request: &ScanRequest,
    reason: &str,
    actor: Option<&str>,
    paths: Paths,
    progress: &dyn Progress,
) -> anyhow::Result<BaselineResult> {
    let previous = phiguard_fim::baseline::latest(&installation.store).await?;
    let previous_paths = previous
        .as_ref()
        .and_then(|(info, _)| info.paths.as_ref())
        .filter(|_| paths == Paths::OrThePreviousBaselines);
    let (rules, algorithm, scope) = rules_of(installation, request, previous_paths)?;
    let scanned = scan(&rules, algorithm, progress).await?;
    let actor = crate::installation::actor(actor);
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

/// Explains a new or changed file by a package: on Debian, when its content matches the MD5
/// that dpkg recorded for a package installed or upgraded after the baseline was taken.
/// Without dpkg, nothing is explained. dpkg's database is read on the first change to
/// explain, so a check that finds nothing changed never pays for it.
struct PackageExplainer {
    baseline_taken: jiff::Timestamp,
    index: std::cell::OnceCell<Result<Option<PackageIndex>, String>>,
}

impl PackageExplainer {
    fn new(info: &BaselineInfo) -> PackageExplainer {
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

/// Compares `scanned` with a baseline's entries under `rules`, explaining what package
/// updates explain (dpkg's database read afresh).
fn compare(
    info: &BaselineInfo,
    entries: &Entries,
    rules: &RuleSet,
    scanned: &Scan,
) -> anyhow::Result<Report> {
    let explainer = PackageExplainer::new(info);
    let report = phiguard_fim::compare(rules, entries, scanned, &|path, record| {
        explainer.explain(path, record)
    });
    explainer.ensure_read()?;
    Ok(report)
}

/// The newest baseline, which must exist and have been hashed with `algorithm`.
pub fn baseline_to_compare(
    newest: Option<(BaselineInfo, Entries)>,
    algorithm: Algorithm,
) -> anyhow::Result<(BaselineInfo, Entries)> {
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

/// A FIM check against the newest baseline, recorded in the ledger.
#[derive(Debug)]
pub struct FimCheck {
    pub baseline: BaselineInfo,
    /// The rules the files were compared under (the baseline's).
    pub rules: RuleSet,
    pub report: Report,
    /// The ledger entry recording its summary.
    pub evidence: phiguard_core::EvidenceRef,
}

/// A report's digest, which the ledger gets instead of its paths: names of files in ePHI
/// directories can themselves identify patients.
fn report_digest(report: &Report) -> anyhow::Result<String> {
    let json = serde_json::to_vec(report)?;
    Ok(phiguard_core::hex::encode(&phiguard_fim::baseline::sha256(
        &json,
    )))
}

/// Compares the files with the newest baseline and records the outcome; `None` when there is
/// no baseline to compare with. `fim check` and `assess` both run it.
pub async fn check(
    installation: &Installation,
    request: &ScanRequest,
    progress: &dyn Progress,
) -> anyhow::Result<Option<FimCheck>> {
    let Some(newest) = phiguard_fim::baseline::latest(&installation.store).await? else {
        return Ok(None);
    };
    let (rules, algorithm, _) = rules_of(installation, request, newest.0.paths.as_ref())?;
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
    let scanned = scan(&rules, algorithm, progress).await?;
    let report = compare(&info, &entries, &rules, &scanned)?;
    let digest = report_digest(&report)?;
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

/// What a watch compares with: the newest baseline, and the rules and hash it was taken with
/// (or `request`'s).
#[derive(Debug)]
pub struct Watched {
    pub baseline: BaselineInfo,
    pub entries: Entries,
    pub rules: RuleSet,
    pub algorithm: Algorithm,
}

/// The baseline a watch compares with, which must exist.
pub async fn watched(
    installation: &Installation,
    request: &ScanRequest,
) -> anyhow::Result<Watched> {
    let newest = phiguard_fim::baseline::latest(&installation.store).await?;
    let (rules, algorithm, _) = rules_of(
        installation,
        request,
        newest.as_ref().and_then(|(info, _)| info.paths.as_ref()),
    )?;
    let (baseline, entries) = baseline_to_compare(newest, algorithm)?;
    Ok(Watched {
        baseline,
        entries,
        rules,
        algorithm,
    })
}

/// Checks the files under `narrowed` (the rules cut down to what a watch saw change) against
/// the watched baseline; records the report when it found changes, and returns it.
pub async fn check_batch(
    installation: &Installation,
    watched: &Watched,
    narrowed: &RuleSet,
) -> anyhow::Result<Report> {
    let scanned = scan(narrowed, watched.algorithm, &crate::Unwatched).await?;
    // dpkg's database is read again for each batch: an upgrade may be what just happened.
    let report = compare(&watched.baseline, &watched.entries, narrowed, &scanned)?;
    if !report.changes.is_empty() {
        let digest = report_digest(&report)?;
        installation
            .record(
                "fim.watch",
                serde_json::json!({ "baseline": watched.baseline.id, "summary": report.summary, "report_sha256": digest }),
            )
            .await?;
    }
    Ok(report)
}
