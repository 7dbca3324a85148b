//! What is installed and what could be: the package database against the package lists.

use std::fs;
use std::path::Path;

use jiff::Timestamp;
use phiguard_core::CheckError;
use phiguard_debian::apt::Candidates;
use phiguard_debian::status;

use super::apk;

/// The package manager whose database was found under the root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PackageSystem {
    Dpkg,
    Apk,
    Rpm,
}

impl PackageSystem {
    pub fn name(self) -> &'static str {
        match self {
            PackageSystem::Dpkg => "dpkg",
            PackageSystem::Apk => "apk",
            PackageSystem::Rpm => "rpm",
        }
    }
}

/// An installed package for which a newer version is available.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingUpdate {
    pub package: String,
    pub architecture: String,
    pub installed: String,
    /// The newest version any list offers.
    pub candidate: String,
    /// A security suite offers a version newer than the installed one.
    pub security: bool,
}

/// Where the candidate versions came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListState {
    /// `files` package lists, the newest written at `newest`.
    Read { files: usize, newest: Timestamp },
    /// The package manager keeps lists, but there are none (never updated, or cleaned).
    Missing,
    /// Candidate versions are not read for this package manager; says why.
    NotRead(String),
}

/// One look at the package database and the lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Survey {
    pub system: PackageSystem,
    pub installed: usize,
    pub pending: Vec<PendingUpdate>,
    pub lists: ListState,
    /// Package lists compressed in a format phiguard does not read: the updates they offer
    /// are not seen, which must not read as "all patched".
    pub unreadable_lists: Vec<String>,
}

impl Survey {
    /// Why pending updates cannot be told at all, if they cannot.
    pub fn pending_unknown(&self) -> Option<String> {
        match &self.lists {
            ListState::NotRead(reason) => Some(reason.clone()),
            _ => None,
        }
    }
}

/// Reads the package database under `root`: `Ok(None)` when there is none.
pub fn survey(root: &Path) -> Result<Option<Survey>, CheckError> {
    match status::installed(root) {
        Ok(Some(installed)) => return dpkg_survey(root, installed).map(Some),
        Ok(None) => {}
        Err(e) => return Err(CheckError::new(e.to_string())),
    }
    if let Some(installed) = apk::installed(root)? {
        return Ok(Some(Survey {
            system: PackageSystem::Apk,
            installed: installed.len(),
            pending: Vec::new(),
            unreadable_lists: Vec::new(),
            lists: ListState::NotRead(format!(
                "{} apk packages are installed, but phiguard does not read Alpine's package \
                 indexes yet, so pending updates are unknown; `apk version -l '<'` lists them",
                installed.len()
            )),
        }));
    }
    let rpm = [
        "var/lib/rpm/rpmdb.sqlite",
        "var/lib/rpm/Packages",
        "usr/lib/sysimage/rpm",
    ];
    if rpm.iter().any(|p| root.join(p).exists()) {
        return Ok(Some(Survey {
            system: PackageSystem::Rpm,
            installed: 0,
            pending: Vec::new(),
            unreadable_lists: Vec::new(),
            lists: ListState::NotRead(
                "this is an rpm system; phiguard does not read rpm databases yet, so installed \
                 packages and pending updates are unknown (`dnf check-update` lists them)"
                    .into(),
            ),
        }));
    }
    Ok(None)
}

fn dpkg_survey(
    root: &Path,
    installed: Vec<status::InstalledPackage>,
) -> Result<Survey, CheckError> {
    let candidates = Candidates::load(root).map_err(|e| CheckError::new(e.to_string()))?;
    let mut pending = Vec::new();
    for package in &installed {
        let Some(newest) = candidates.newest(&package.name, &package.architecture) else {
            continue;
        };
        if newest.version <= package.version {
            continue;
        }
        let security = candidates
            .newest_security(&package.name, &package.architecture)
            .is_some_and(|c| c.version > package.version);
        pending.push(PendingUpdate {
            package: package.name.clone(),
            architecture: package.architecture.clone(),
            installed: package.version.to_string(),
            candidate: newest.version.to_string(),
            security,
        });
    }
    pending.sort_by(|a, b| (&a.package, &a.architecture).cmp(&(&b.package, &b.architecture)));
    Ok(Survey {
        system: PackageSystem::Dpkg,
        installed: installed.len(),
        pending,
        lists: apt_lists_state(root, candidates.lists()),
        unreadable_lists: candidates
            .unreadable()
            .iter()
            .map(|p| p.display().to_string())
            .collect(),
    })
}

/// The age of the lists: the newest `*_Packages` file's modification time (compressed or
/// not: apt may keep them as `*_Packages.lz4`).
fn apt_lists_state(root: &Path, files: usize) -> ListState {
    let dir = root.join("var/lib/apt/lists");
    let newest = fs::read_dir(&dir).ok().and_then(|entries| {
        entries
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().contains("_Packages"))
            .filter_map(|e| e.metadata().ok()?.modified().ok())
            .max()
    });
    match newest.and_then(|t| Timestamp::try_from(t).ok()) {
        Some(newest) if files > 0 => ListState::Read { files, newest },
        _ => ListState::Missing,
    }
}
