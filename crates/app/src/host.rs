//! Host operations: a run of the posture checks, stored as a check run and recorded in the
//! ledger; and patching, the apt-get command that installs exactly the updates the checks
//! found pending.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use phiguard_core::spelling::count;
use phiguard_core::{CheckContext, EvidenceRef};
use phiguard_host::patches::FirstSeen;
use phiguard_host::patches::{PendingUpdate, Survey};
use phiguard_host::{Area, Settings};
use serde::Serialize;

use crate::check_run::{self, RecordedRun};
use crate::installation::Installation;
use crate::{Notices, Progress};

/// What to check: the areas, on which root, with the register's grants of which system.
#[derive(Debug, Clone)]
pub struct CheckRequest {
    /// `/` for this machine, else the directory an image is mounted on.
    pub root: PathBuf,
    /// The areas to check; empty means every one.
    pub areas: Vec<Area>,
    /// The system whose grants shell accounts are judged against (default: the host name).
    pub system: Option<String>,
}

impl CheckRequest {
    /// Every area of this machine.
    pub fn this_machine() -> CheckRequest {
        CheckRequest {
            root: "/".into(),
            areas: Vec::new(),
            system: None,
        }
    }

    /// The areas checked: those asked for, else all.
    pub fn areas(&self) -> Vec<Area> {
        if self.areas.is_empty() {
            Area::ALL.to_vec()
        } else {
            self.areas.clone()
        }
    }
}

/// One run of the host checks, stored and recorded.
#[derive(Debug)]
pub struct HostRun {
    /// The machine, or `image:ROOT` for an image.
    pub host: String,
    /// The root checked, made absolute.
    pub root: PathBuf,
    pub areas: Vec<Area>,
    /// How many checks ran.
    pub checks: usize,
    pub recorded: RecordedRun,
}

/// Runs the host checks `request` asks for, with the register's grants for its system, and
/// stores and records the findings. `host check` and `assess` both run the checks through here.
pub async fn run_checks(
    installation: &Installation,
    request: &CheckRequest,
    progress: Arc<dyn Progress>,
) -> anyhow::Result<HostRun> {
    let root = &request.root;
    let areas = request.areas();
    let root = std::path::absolute(root).unwrap_or_else(|_| root.clone());
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
        crate::installation::local_source()
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
        let system = request.system.clone().unwrap_or_else(|| host.clone());
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
    let areas_selected = areas.clone();
    let in_areas = move |meta: &phiguard_core::CheckMeta| {
        Area::of(meta).is_some_and(|area| areas_selected.contains(&area))
    };
    let selected = registry.metas().filter(|meta| in_areas(meta)).count();
    let findings = {
        let total = selected as u64;
        progress.begin("checking", total);
        // Each check runs once; the registry says where it is after each one.
        let task = tokio::task::spawn_blocking(move || {
            let findings = registry.run_with_progress(&ctx, in_areas, |step| match step {
                phiguard_core::Progress::Starting { meta, .. } => {
                    progress.working_on(meta.id.as_str())
                }
                phiguard_core::Progress::Finished { done, .. } => {
                    progress.advance(done as u64, total)
                }
            });
            progress.end();
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
    let recorded = check_run::record(
        installation,
        "host.check",
        check_run::run(started_at, Some(host.clone()), root.display().to_string()),
        context,
        findings,
    )
    .await?;
    Ok(HostRun {
        host,
        root,
        areas,
        checks: selected,
        recorded,
    })
}

/// What to patch.
#[derive(Debug, Clone, Copy, Default)]
pub struct PatchRequest {
    /// Only the security updates.
    pub security_only: bool,
    /// Let apt-get only simulate.
    pub dry_run: bool,
}

/// The updates to install and the command that installs exactly them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatchPlan {
    /// The updates chosen, as `package installed → candidate`.
    pub updates: Vec<String>,
    /// The command to run, as its words (no shell).
    pub command: Vec<String>,
}

/// Plans the patching of what `survey` found pending: the updates `request` chooses, and the
/// apt-get command line that installs exactly the versions judged. Refuses a survey of
/// another package system than dpkg.
pub fn plan_patch(survey: &Survey, request: &PatchRequest) -> anyhow::Result<PatchPlan> {
    anyhow::ensure!(
        survey.system == phiguard_host::patches::PackageSystem::Dpkg,
        "installing updates is supported with apt only; this machine uses {}",
        survey.system.name()
    );
    let chosen: Vec<&PendingUpdate> = survey
        .pending
        .iter()
        .filter(|u| u.security || !request.security_only)
        .collect();
    let updates = chosen
        .iter()
        .map(|u| format!("{} {} → {}", u.package, u.installed, u.candidate))
        .collect();
    let mut command: Vec<String> =
        vec!["apt-get".into(), "install".into(), "--only-upgrade".into()];
    command.extend(["-y", "-q", "-o", "Dpkg::Options::=--force-confold"].map(String::from));
    if request.dry_run {
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
    Ok(PatchPlan { updates, command })
}

/// Patching as done and recorded.
#[derive(Debug, Serialize)]
pub struct Patched {
    pub dry_run: bool,
    pub security_only: bool,
    /// The updates asked for, as `package installed → candidate`.
    pub updates: Vec<String>,
    /// The command run, as its words (no shell).
    pub command: Vec<String>,
    pub exit_code: Option<i32>,
    /// What apt-get printed (stdout, then stderr).
    pub output: String,
    pub evidence: EvidenceRef,
}

/// Installs the pending updates of this machine `request` chooses with apt-get, and records the
/// attempt in the ledger, whatever its outcome; an apt-get that did not finish cleanly is an
/// error that names the entry and the end of its output.
pub async fn patch(
    installation: &Installation,
    request: &PatchRequest,
    notices: &dyn Notices,
) -> anyhow::Result<Patched> {
    let survey = tokio::task::spawn_blocking(|| phiguard_host::patches::survey(Path::new("/")))
        .await
        .context("reading the package database stopped unexpectedly")?
        .context("could not read the package database")?
        .context("no package database was found on this machine")?;
    let PatchPlan { updates, command } = plan_patch(&survey, request)?;
    let (exit_code, output) = if updates.is_empty() {
        (Some(0), "nothing to install".to_owned())
    } else {
        notices.note(&format!(
            "{} {}:\n  {}",
            if request.dry_run {
                "simulating"
            } else {
                "installing"
            },
            count(updates.len(), "update"),
            updates.join("\n  ")
        ));
        run_apt_get(&command).await?
    };
    let evidence = installation
        .record(
            "host.patch",
            serde_json::json!({
                "dry_run": request.dry_run,
                "security_only": request.security_only,
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
    Ok(Patched {
        dry_run: request.dry_run,
        security_only: request.security_only,
        updates,
        command,
        exit_code,
        output,
        evidence,
    })
}

/// Runs the planned command without a shell or a terminal; returns its exit code and output.
/// Even an apt-get that could not start is an attempt to patch, to be recorded.
async fn run_apt_get(command: &[String]) -> anyhow::Result<(Option<i32>, String)> {
    let run = {
        let command = command.to_vec();
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
    Ok(match run {
        Ok(run) => {
            let mut text = String::from_utf8_lossy(&run.stdout).into_owned();
            text.push_str(&String::from_utf8_lossy(&run.stderr));
            (run.status.code(), text)
        }
        Err(e) => (
            None,
            format!("could not run apt-get ({e}); is apt installed and is this run as root?"),
        ),
    })
}
