//! The versions apt could install: the package lists `apt-get update` downloaded into
//! `var/lib/apt/lists/`.
//!
//! Which files are read: every regular file in that directory whose name ends in
//! `_Packages` (apt's default, uncompressed) or `_Packages.lz4` (what apt keeps with
//! `Acquire::GzipIndexes "true"`, as Debian's and Ubuntu's container images configure it).
//! Lists kept in another compression (`.gz`, `.xz`, `.zst`, `.bz2`, `.lzma`) are not read;
//! they are named by [`Candidates::unreadable`] so that a check can say it could not see
//! them rather than report "no updates". In an error about an `.lz4` list, the line is a
//! line of the decompressed text.
//!
//! Which lists are security lists. apt names a list after its URL and suite:
//! `deb.debian.org_debian-security_dists_trixie-security_main_binary-amd64_Packages`, and
//! the suite's `Release` file after the same prefix:
//! `deb.debian.org_debian-security_dists_trixie-security_InRelease` (or `_Release`). A list
//! is a security list when
//! 1. its `InRelease`/`Release` file (the one whose name, without `InRelease`/`Release`, is
//!    the longest prefix of the list's name) says so: `Suite:` or `Codename:` ends in
//!    `-security` (Debian's `trixie-security`, Ubuntu's `noble-security`), or `Label:` is
//!    `Debian-Security` (which also covers Debian's old `buster/updates` suite name); or
//! 2. the suite part of the list's own name, between `_dists_` and the next `_`, ends in
//!    `-security` (for lists whose `Release` file is missing).
//!
//! The `Release` file's signature is not checked here: apt did when it downloaded it, and
//! only root can write these files.
//!
//! Architectures: a candidate matches an installed package of the same architecture, and
//! an `Architecture: all` candidate or installed package matches any architecture, because
//! a package may move between `all` and a real architecture from one version to the next
//! (apt treats `all` as the native architecture).

use std::collections::HashMap;
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::ReadError;
use crate::deb822;
use crate::lz4;
use crate::package_stanza::{PackageFile, architecture};
use crate::status::read_optional;
use crate::version::Version;

/// What to do about a damaged list, appended to every error about one.
const REFRESH_HINT: &str = "apt's copy of this package list is damaged; \
run `apt-get update` to download it again";

/// Compressions apt may keep lists in that are not read here.
const UNREAD_COMPRESSIONS: [&str; 5] = [".gz", ".xz", ".zst", ".bz2", ".lzma"];

/// One version of a package that apt could install.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The package's name.
    pub name: String,
    /// Its architecture, e.g. `amd64` or `all`.
    pub architecture: String,
    /// The version offered.
    pub version: Version,
    /// Whether the list it comes from is a security archive's (see the module's doc).
    pub security: bool,
    /// The list's file name, e.g.
    /// `deb.debian.org_debian-security_dists_trixie-security_main_binary-amd64_Packages`.
    pub list: String,
}

/// Every version apt's lists offer, by package name.
#[derive(Default)]
pub struct Candidates {
    by_name: HashMap<String, Vec<Candidate>>,
    lists: usize,
    unreadable: Vec<PathBuf>,
}

impl fmt::Debug for Candidates {
    /// Only the counts: a Debian mirror lists about 60 000 packages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Candidates")
            .field("lists", &self.lists)
            .field("packages", &self.by_name.len())
            .field("unreadable", &self.unreadable)
            .finish()
    }
}

impl Candidates {
    /// Reads every package list under `root` (`/` for this machine).
    ///
    /// No `var/lib/apt/lists/` directory, or one without lists (apt was never updated, or
    /// a slim image removed them), gives empty candidates: check [`Candidates::is_empty`]
    /// before concluding that nothing needs an update. A list that cannot be read is
    /// [`ReadError::Read`]; one that is not in stanza format, or has a stanza without
    /// `Package:` or a valid `Version:`, is [`ReadError::Malformed`] naming the file and
    /// line.
    pub fn load(root: &Path) -> Result<Candidates, ReadError> {
        let dir = root.join("var/lib/apt/lists");
        let read_error = |source| ReadError::Read {
            path: dir.clone(),
            source,
        };
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Candidates::default()),
            Err(e) => return Err(read_error(e)),
        };
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry.map_err(read_error)?;
            // Only regular files: `partial/` and `auxfiles/` are directories.
            if entry.file_type().map_err(read_error)?.is_file() {
                names.push(entry.file_name().to_string_lossy().into_owned());
            }
        }
        names.sort();

        let mut candidates = Candidates::default();
        let mut releases = Releases::default();
        for name in &names {
            for suffix in ["_InRelease", "_Release"] {
                if let Some(stem) = name.strip_suffix(suffix) {
                    let security = release_is_security(&dir.join(name))?;
                    releases.add(stem, suffix == "_InRelease", security);
                }
            }
        }
        for name in &names {
            let path = dir.join(name);
            let bytes =
                if name.ends_with("_Packages") {
                    read_optional(&path)?
                } else if name.ends_with("_Packages.lz4") {
                    match read_optional(&path)? {
                        Some(compressed) => Some(lz4::decompress(&compressed).map_err(|e| {
                            ReadError::Malformed {
                                path: path.clone(),
                                line: 1,
                                reason: format!("cannot decompress it: {}; {REFRESH_HINT}", e.0),
                            }
                        })?),
                        None => None,
                    }
                } else {
                    if UNREAD_COMPRESSIONS.iter().any(|ext| {
                        name.strip_suffix(ext)
                            .is_some_and(|n| n.ends_with("_Packages"))
                    }) {
                        candidates.unreadable.push(path);
                    }
                    continue;
                };
            // Removed by a concurrent `apt-get update` between listing and reading.
            let Some(bytes) = bytes else { continue };
            let security = releases.is_security(name) || suite_is_security(name);
            candidates.add_list(&path, name, &bytes, security)?;
        }
        Ok(candidates)
    }

    /// The candidates in the `bytes` of one (uncompressed) package list, read as
    /// [`Candidates::load`] reads each list, all marked `security` or not. `path` only names the
    /// list in errors; nothing is read from disk. For tests and fuzzing.
    pub fn parse_list(path: &Path, bytes: &[u8], security: bool) -> Result<Candidates, ReadError> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut candidates = Candidates::default();
        candidates.add_list(path, &name, bytes, security)?;
        Ok(candidates)
    }

    /// The highest version of `name` for `architecture` in any list (an `all` candidate
    /// matches any architecture, and any candidate matches `all`); the first list in file
    /// name order wins a tie.
    pub fn newest(&self, name: &str, architecture: &str) -> Option<&Candidate> {
        self.newest_where(name, architecture, |_| true)
    }

    /// Like [`Candidates::newest`], among security lists only.
    pub fn newest_security(&self, name: &str, architecture: &str) -> Option<&Candidate> {
        self.newest_where(name, architecture, |c| c.security)
    }

    /// Every candidate for `name`, any architecture, in list order.
    pub fn all(&self, name: &str) -> &[Candidate] {
        self.by_name.get(name).map_or(&[], Vec::as_slice)
    }

    /// How many package lists were read.
    pub fn lists(&self) -> usize {
        self.lists
    }

    /// Whether no package list was read: apt was never updated here, or its lists were
    /// removed, or they are all in a compression that is not read. Nothing can be said
    /// about available updates then.
    pub fn is_empty(&self) -> bool {
        self.lists == 0
    }

    /// Lists that exist but were not read because of their compression (see the module's
    /// doc).
    pub fn unreadable(&self) -> &[PathBuf] {
        &self.unreadable
    }

    fn newest_where(
        &self,
        name: &str,
        architecture: &str,
        keep: impl Fn(&Candidate) -> bool,
    ) -> Option<&Candidate> {
        let mut best: Option<&Candidate> = None;
        for candidate in self.all(name) {
            let arch_matches = candidate.architecture == architecture
                || candidate.architecture == "all"
                || architecture == "all";
            if arch_matches && keep(candidate) && best.is_none_or(|b| candidate.version > b.version)
            {
                best = Some(candidate);
            }
        }
        best
    }

    fn add_list(
        &mut self,
        path: &Path,
        name: &str,
        bytes: &[u8],
        security: bool,
    ) -> Result<(), ReadError> {
        let file = PackageFile {
            path,
            hint: REFRESH_HINT,
        };
        for stanza in file.stanzas(bytes) {
            let stanza = stanza?;
            let package = file.name(&stanza)?;
            let version = file.version(&stanza, "package", &package)?;
            let architecture = architecture(&stanza);
            self.by_name
                .entry(package.clone())
                .or_default()
                .push(Candidate {
                    name: package,
                    architecture,
                    version,
                    security,
                    list: name.to_owned(),
                });
        }
        self.lists += 1;
        Ok(())
    }
}

/// The `Release` files found, by the prefix of the lists they describe.
#[derive(Default)]
struct Releases {
    /// (stem including its trailing `_`, from `InRelease`, security).
    stems: Vec<(String, bool, bool)>,
}

impl Releases {
    fn add(&mut self, stem: &str, in_release: bool, security: bool) {
        self.stems.push((format!("{stem}_"), in_release, security));
    }

    /// What the `Release` file of list `name` says: the longest matching stem, an
    /// `InRelease` before a `Release` (apt keeps only one, but a stale one may remain).
    fn is_security(&self, name: &str) -> bool {
        self.stems
            .iter()
            .filter(|(stem, _, _)| name.starts_with(stem.as_str()))
            .max_by_key(|(stem, in_release, _)| (stem.len(), *in_release))
            .is_some_and(|(_, _, security)| *security)
    }
}

/// Whether the `Release` or `InRelease` file at `path` describes a security suite. A file
/// that cannot be parsed says nothing (the list's name still may).
fn release_is_security(path: &Path) -> Result<bool, ReadError> {
    let Some(bytes) = read_optional(path)? else {
        return Ok(false);
    };
    Ok(release_says_security(&bytes))
}

/// Whether the contents of a `Release` or `InRelease` file describe a security suite (see
/// the module's doc); `false` when they cannot be parsed. Public for fuzzing only.
#[doc(hidden)]
pub fn release_says_security(bytes: &[u8]) -> bool {
    let Some(Ok(stanza)) = deb822::stanzas(clearsigned_body(bytes)).next() else {
        return false;
    };
    let ends_security = |field| stanza.get(field).is_some_and(|v| v.ends_with(b"-security"));
    ends_security("Suite")
        || ends_security("Codename")
        || stanza
            .get("Label")
            .is_some_and(|label| label.eq_ignore_ascii_case(b"Debian-Security"))
}

/// The signed text of an OpenPGP clear-signed message (`InRelease`): between the armor
/// header's blank line and the signature. A plain `Release` file is returned whole.
fn clearsigned_body(bytes: &[u8]) -> &[u8] {
    let Some(rest) = bytes.strip_prefix(b"-----BEGIN PGP SIGNED MESSAGE-----".as_slice()) else {
        return bytes;
    };
    // The armor headers (`Hash: SHA512`) end at the first empty line.
    let mut body = rest;
    let mut at = 0;
    for line in rest.split(|&b| b == b'\n') {
        at += line.len() + 1;
        if line.trim_ascii().is_empty() && at > 1 {
            body = rest.get(at..).unwrap_or_default();
            break;
        }
    }
    let end = body
        .windows(b"\n-----BEGIN PGP SIGNATURE-----".len())
        .position(|w| w == b"\n-----BEGIN PGP SIGNATURE-----")
        .unwrap_or(body.len());
    body.get(..end).unwrap_or(body)
}

/// Whether the suite in a list's file name (`..._dists_<suite>_...`) ends in `-security`.
fn suite_is_security(name: &str) -> bool {
    name.split_once("_dists_")
        .and_then(|(_, rest)| rest.split('_').next())
        .is_some_and(|suite| suite.ends_with("-security"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn a_list_from_bytes() {
        let path = Path::new("x_dists_trixie_main_binary-amd64_Packages");
        let text = b"Package: a\nVersion: 1.0\nArchitecture: amd64\n\nPackage: a\nVersion: 1.1\nArchitecture: all\n";
        let candidates = Candidates::parse_list(path, text, true).unwrap();
        let newest = candidates.newest_security("a", "amd64").unwrap();
        assert_eq!(newest.version.to_string(), "1.1");
        assert_eq!(newest.list, "x_dists_trixie_main_binary-amd64_Packages");
        assert!(Candidates::parse_list(path, b"Package: a\n", false).is_err());
        assert!(release_says_security(b"Suite: trixie-security\n"));
        assert!(!release_says_security(b"Suite: trixie\n"));
    }

    #[test]
    fn suite_from_the_list_name() {
        assert!(suite_is_security(
            "deb.debian.org_debian-security_dists_trixie-security_main_binary-amd64_Packages"
        ));
        assert!(!suite_is_security(
            "deb.debian.org_debian_dists_trixie-updates_main_binary-amd64_Packages"
        ));
        assert!(!suite_is_security("example.org_repo_._Packages"));
    }

    #[test]
    fn clearsigned_release_body() {
        let text = b"-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nOrigin: Debian\nSuite: x-security\n-----BEGIN PGP SIGNATURE-----\n\nabc\n-----END PGP SIGNATURE-----\n";
        assert_eq!(
            clearsigned_body(text),
            b"Origin: Debian\nSuite: x-security".as_slice()
        );
        assert_eq!(clearsigned_body(b"Suite: a\n"), b"Suite: a\n".as_slice());
        assert_eq!(
            clearsigned_body(b"-----BEGIN PGP SIGNED MESSAGE-----"),
            b"".as_slice()
        );
    }
}
