//! The packages dpkg has installed, from its database under a root directory.
//!
//! Two places are read:
//! - `var/lib/dpkg/status`, dpkg's database: one stanza per package dpkg knows, including
//!   removed ones whose configuration files remain;
//! - every file in `var/lib/dpkg/status.d/` (distroless images, which have no dpkg): one
//!   stanza per file, written by `dpkg-deb --field`, without a `Status:` field because
//!   everything there is installed. `<package>.md5sums` files beside them, and hidden files,
//!   are not stanzas.
//!
//! Which stanzas count as installed: for patching, what matters is whether the package's
//! files are on disk, at the version the stanza names, where an attacker could exploit them.
//! So a stanza counts when its `Status:` (`want flag state`) has any state but
//! `not-installed` and `config-files`: `installed`, but also `unpacked`, `half-configured`,
//! `half-installed`, `triggers-awaited` and `triggers-pending` (an interrupted upgrade
//! leaves files of that version on disk), whatever the selection (`deinstall` marks a
//! package for removal but its files are still there). A stanza without `Status:` counts
//! only in `status.d/`.
//!
//! A package listed twice (in `status` and in `status.d/`, same name and architecture) is
//! returned once, as first read (`status` first, then `status.d/` in file-name order).

use std::collections::HashSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::ReadError;
use crate::package_stanza::{PackageFile, architecture};
use crate::version::Version;

/// What to do about a damaged dpkg database, appended to every error about one.
const REPAIR_HINT: &str = "dpkg's database is damaged (dpkg itself would refuse it); \
compare it with var/lib/dpkg/status-old or a backup in /var/backups/dpkg.status.*";

/// One installed package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstalledPackage {
    /// The package's name, e.g. `openssl`.
    pub name: String,
    /// Its architecture, e.g. `amd64` or `all`; empty if the stanza has none (very old
    /// databases).
    pub architecture: String,
    /// The installed version.
    pub version: Version,
    /// The status file the stanza came from.
    pub source: PathBuf,
    /// The 1-based line of the stanza's first field in that file.
    pub line: usize,
}

/// The packages installed under `root` (`/` for this machine), in the order read.
///
/// `Ok(None)` when there is no dpkg database there (neither `var/lib/dpkg/status` nor
/// `var/lib/dpkg/status.d/`): not a Debian-based system. A file that exists but cannot be
/// read is [`ReadError::Read`]; a status file that is not in stanza format, or a stanza
/// without `Package:`, or an installed one without a valid `Version:`, is
/// [`ReadError::Malformed`] naming the file and line.
pub fn installed(root: &Path) -> Result<Option<Vec<InstalledPackage>>, ReadError> {
    // A root that does not exist is a mistake (a wrong mount point), not "not Debian".
    fs::metadata(root).map_err(|source| ReadError::Read {
        path: root.to_path_buf(),
        source,
    })?;
    let dpkg = root.join("var/lib/dpkg");
    let status_path = dpkg.join("status");
    let status = read_optional(&status_path)?;
    let status_d = status_d_files(&dpkg.join("status.d"))?;
    if status.is_none() && status_d.is_none() {
        return Ok(None);
    }
    let mut packages = Vec::new();
    let mut seen = HashSet::new();
    if let Some(bytes) = status {
        read_status(&status_path, &bytes, false, &mut packages, &mut seen)?;
    }
    for path in status_d.unwrap_or_default() {
        if let Some(bytes) = read_optional(&path)? {
            read_status(&path, &bytes, true, &mut packages, &mut seen)?;
        }
    }
    Ok(Some(packages))
}

/// The installed packages in the `bytes` of one status file, read as [`installed`] reads
/// `var/lib/dpkg/status` (`status_d` false) or a file of `status.d/` (`status_d` true; a
/// stanza without `Status:` counts as installed). `path` only names the file in errors; nothing
/// is read from disk. For tests and fuzzing.
pub fn parse_status(
    path: &Path,
    bytes: &[u8],
    status_d: bool,
) -> Result<Vec<InstalledPackage>, ReadError> {
    let mut packages = Vec::new();
    read_status(path, bytes, status_d, &mut packages, &mut HashSet::new())?;
    Ok(packages)
}

/// Whether a `Status:` value (`want flag state`) says the package's files are on disk:
/// any well-formed status whose state is not `not-installed` or `config-files`.
pub fn files_on_disk(status: &[u8]) -> bool {
    DpkgStatus::parse(status).is_some_and(|status| status.files_on_disk())
}

/// dpkg's `Status:` field, `want flag state` (`install ok installed`), as every reader of the
/// dpkg database in phiguard reads it. It answers the two questions they ask of it, which
/// differ on purpose: whether the package's files are on disk at its version
/// ([`DpkgStatus::files_on_disk`], what patching needs), and whether dpkg finished installing
/// it and nobody asked to remove it ([`DpkgStatus::fully_installed`], what file integrity
/// monitoring needs before it trusts the checksums dpkg recorded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DpkgStatus<'a> {
    /// What the administrator asked for: `install`, `hold`, `deinstall`, `purge`, `unknown`.
    pub want: &'a [u8],
    /// `ok`, or `reinstreq` when the package is broken and must be reinstalled.
    pub flag: &'a [u8],
    pub state: State,
}

/// The `state` word of a [`DpkgStatus`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    NotInstalled,
    ConfigFiles,
    HalfInstalled,
    Unpacked,
    HalfConfigured,
    TriggersAwaited,
    TriggersPending,
    Installed,
}

impl State {
    /// Every state, in dpkg's order from absent to installed.
    pub const ALL: [State; 8] = [
        State::NotInstalled,
        State::ConfigFiles,
        State::HalfInstalled,
        State::Unpacked,
        State::HalfConfigured,
        State::TriggersAwaited,
        State::TriggersPending,
        State::Installed,
    ];

    /// The word as dpkg writes it: `half-installed`.
    pub fn as_str(self) -> &'static str {
        match self {
            State::NotInstalled => "not-installed",
            State::ConfigFiles => "config-files",
            State::HalfInstalled => "half-installed",
            State::Unpacked => "unpacked",
            State::HalfConfigured => "half-configured",
            State::TriggersAwaited => "triggers-awaited",
            State::TriggersPending => "triggers-pending",
            State::Installed => "installed",
        }
    }
}

impl<'a> DpkgStatus<'a> {
    /// Three words separated by whitespace, the third a state dpkg knows; `None` otherwise.
    pub fn parse(field: &'a [u8]) -> Option<DpkgStatus<'a>> {
        let mut words = field
            .split(u8::is_ascii_whitespace)
            .filter(|w| !w.is_empty());
        let (Some(want), Some(flag), Some(state), None) =
            (words.next(), words.next(), words.next(), words.next())
        else {
            return None;
        };
        let state = State::ALL
            .into_iter()
            .find(|known| known.as_str().as_bytes() == state)?;
        Some(DpkgStatus { want, flag, state })
    }

    /// Whether files of the package, at the version its stanza names, are on disk where an
    /// attacker could exploit them: every state but `not-installed` and `config-files`,
    /// whatever was asked for (an interrupted upgrade leaves files of that version behind, and
    /// `deinstall` only marks a package for removal).
    pub fn files_on_disk(&self) -> bool {
        !matches!(self.state, State::NotInstalled | State::ConfigFiles)
    }

    /// Whether dpkg finished installing the package and nobody asked to remove it
    /// (`install ok installed` or `hold ok installed`), so its files are what it shipped and
    /// the checksums it recorded can vouch for them.
    pub fn fully_installed(&self) -> bool {
        matches!(self.want, b"install" | b"hold")
            && self.flag == b"ok"
            && self.state == State::Installed
    }
}

fn read_status(
    path: &Path,
    bytes: &[u8],
    status_d: bool,
    packages: &mut Vec<InstalledPackage>,
    seen: &mut HashSet<(String, String)>,
) -> Result<(), ReadError> {
    let file = PackageFile {
        path,
        hint: REPAIR_HINT,
    };
    for stanza in file.stanzas(bytes) {
        let stanza = stanza?;
        let name = file.name(&stanza)?;
        let on_disk = match stanza.get("Status") {
            Some(status) => files_on_disk(status),
            None => status_d,
        };
        if !on_disk {
            continue;
        }
        let version = file.version(&stanza, "installed package", &name)?;
        let architecture = architecture(&stanza);
        if !seen.insert((name.clone(), architecture.clone())) {
            continue;
        }
        packages.push(InstalledPackage {
            name,
            architecture,
            version,
            source: path.to_path_buf(),
            line: stanza.line,
        });
    }
    Ok(())
}

/// Reads `path` whole, or `None` if it does not exist.
pub(crate) fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, ReadError> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(ReadError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// The stanza files in `status.d/` (sorted, for a stable order), or `None` if there is no
/// such directory. Hidden files and the `<package>.md5sums` files kept beside the stanzas
/// (distroless) are not stanzas.
pub fn status_d_files(dir: &Path) -> Result<Option<Vec<PathBuf>>, ReadError> {
    let read_error = |source| ReadError::Read {
        path: dir.to_path_buf(),
        source,
    };
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(read_error(e)),
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(read_error)?;
        let name = entry.file_name();
        let name = name.as_encoded_bytes();
        if name.starts_with(b".") || name.ends_with(b".md5sums") {
            continue;
        }
        let path = entry.path();
        if path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(Some(files))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_state_answers_both_questions() {
        // (status, files on disk, fully installed)
        let table: [(&str, bool, bool); 13] = [
            ("install ok installed", true, true),
            ("hold ok installed", true, true),
            ("deinstall ok installed", true, false),
            ("install reinstreq installed", true, false),
            ("install ok triggers-pending", true, false),
            ("install ok triggers-awaited", true, false),
            ("install ok half-configured", true, false),
            ("install ok unpacked", true, false),
            ("install reinstreq half-installed", true, false),
            ("deinstall ok config-files", false, false),
            ("purge ok not-installed", false, false),
            ("install ok", false, false),
            ("install ok installed extra", false, false),
        ];
        for (field, on_disk, installed) in table {
            let parsed = DpkgStatus::parse(field.as_bytes());
            assert_eq!(files_on_disk(field.as_bytes()), on_disk, "{field}");
            assert_eq!(
                parsed.is_some_and(|s| s.fully_installed()),
                installed,
                "{field}"
            );
        }
        assert_eq!(
            DpkgStatus::parse(b"  hold\tok   unpacked\n"),
            Some(DpkgStatus {
                want: b"hold",
                flag: b"ok",
                state: State::Unpacked
            })
        );
        assert_eq!(DpkgStatus::parse(b"install ok installing"), None);
        for state in State::ALL {
            let field = format!("install ok {}", state.as_str());
            assert_eq!(DpkgStatus::parse(field.as_bytes()).unwrap().state, state);
        }
    }

    #[test]
    fn states_with_files_on_disk() {
        for status in [
            "install ok installed",
            "hold ok installed",
            "deinstall ok installed",
            "install ok unpacked",
            "install ok half-configured",
            "install reinstreq half-installed",
            "install ok triggers-pending",
            "install ok triggers-awaited",
            " install  ok\tinstalled ",
        ] {
            assert!(files_on_disk(status.as_bytes()), "{status}");
        }
        for status in [
            "deinstall ok config-files",
            "purge ok not-installed",
            "install ok",
            "install ok installed extra",
            "",
        ] {
            assert!(!files_on_disk(status.as_bytes()), "{status}");
        }
    }

    #[test]
    fn status_bytes_without_a_file() {
        let text = b"Package: a\nStatus: install ok installed\nVersion: 1.0-1\n\n\
Package: b\nStatus: deinstall ok config-files\nVersion: 2\n\nPackage: c\nVersion: 3\n";
        let names = |status_d| -> Vec<String> {
            parse_status(Path::new("status"), text, status_d)
                .map(|packages| packages.into_iter().map(|p| p.name).collect())
                .unwrap_or_default()
        };
        assert_eq!(names(false), ["a"]);
        assert_eq!(names(true), ["a", "c"]);
        assert!(parse_status(Path::new("status"), b"Version: 1\n", false).is_err());
    }
}
