//! dpkg's record of installed packages and their files' checksums.
//!
//! After every `apt upgrade`, hundreds of files under `/usr` change. A file integrity monitor
//! that reports each of them as a possible intrusion trains people to ignore it (AIDE's
//! well-known false-alarm flood). dpkg already knows what every file it installed should
//! contain: `var/lib/dpkg/info/<package>.md5sums` for ordinary files and the `Conffiles:`
//! field of the status file for configuration files. [`PackageIndex`] loads that record so
//! that a changed file whose new content is exactly what an installed package shipped, and
//! whose package was installed or upgraded after the baseline was taken, is reported as a
//! package update rather than as tampering. Everything else stays unexplained.
//!
//! MD5 is used only because it is what dpkg records; it is an identity check against dpkg's
//! own database, not a defence against a forger who can also rewrite that database (the
//! baseline's SHA-256 and the ledger are).
//!
//! What is read, under a root directory (normally `/`, or a mounted image):
//! - `var/lib/dpkg/status`, and every file in `var/lib/dpkg/status.d/` (distroless images
//!   keep one stanza file per package there, without a `Status:` field, and their
//!   `<package>.md5sums` beside it);
//! - for each installed package, `var/lib/dpkg/info/<package>[:<arch>].md5sums` and the
//!   modification time of `<package>[:<arch>].list`, which dpkg rewrites on every install or
//!   upgrade and so dates the package's current files.
//!
//! Diversions (`var/lib/dpkg/diversions`) are ignored: a diverted file is indexed under the
//! path its package lists, not where dpkg moved it, so both the diverting and the diverted
//! package may own that path (each record is checked on its own), and the content at the
//! divert-to path is not indexed (a change there stays unexplained, which errs on the safe
//! side).

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use md5::{Digest, Md5};
use phiguard_debian::deb822::{self, Stanza};
use phiguard_debian::status::DpkgStatus;
use rustix::fs::{Mode, OFlags};

/// At most this many malformed lines are kept with their place; all are counted.
const MALFORMED_SAMPLES: usize = 100;

/// Top-level directories that a merged-`/usr` system turns into symlinks into `/usr`.
/// Packages built before the merge list `bin/ls` while the monitor sees `/usr/bin/ls`.
const MERGED_USR_DIRS: [&str; 7] = ["bin", "sbin", "lib", "lib32", "lib64", "libx32", "libo32"];

/// Why dpkg's database could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    /// A file or directory of the database exists but could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file or directory.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: io::Error,
    },
    /// A status file is not in dpkg's stanza format. dpkg itself refuses to run on such a
    /// database, so guessing what it meant would only hide the damage.
    #[error("{}:{line}: {reason}", path.display())]
    Status {
        /// The status file.
        path: PathBuf,
        /// The 1-based line where the problem is.
        line: usize,
        /// What is wrong there.
        reason: String,
    },
}

/// One line of an `md5sums` file or of a `Conffiles:` field that was skipped because it
/// could not be understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MalformedLine {
    /// The file the line is in.
    pub path: PathBuf,
    /// The 1-based line number in that file.
    pub line: usize,
}

/// What was loaded, for the operator's log and to show that the index is not empty by
/// accident.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndexStats {
    /// Installed packages (`install ok installed` or `hold ok installed`) indexed.
    pub packages: usize,
    /// Stanzas skipped because their package is not fully installed (removed, config-files,
    /// half-installed, unpacked, ...) or is listed twice.
    pub skipped_stanzas: usize,
    /// File records read from `md5sums` files.
    pub files: usize,
    /// Configuration-file records read from `Conffiles:` fields.
    pub conffiles: usize,
    /// Distinct paths in the index.
    pub paths: usize,
    /// Installed packages for which no `md5sums` file was found.
    pub packages_without_md5sums: usize,
    /// Installed packages for which no time of installation could be found: their files are
    /// indexed but never explain a change.
    pub undated_packages: usize,
    /// Lines of `md5sums` files and `Conffiles:` fields that were skipped as malformed.
    pub malformed_lines: usize,
}

/// An installed package, as the index keeps it.
#[derive(Debug, Clone)]
struct Package {
    name: String,
    architecture: String,
    version: String,
    updated_at: Option<Timestamp>,
}

/// One package's claim on one path.
#[derive(Debug, Clone, Copy)]
struct Record {
    package: u32,
    md5: [u8; 16],
    conffile: bool,
}

/// A file as an installed package shipped it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PackageFile<'a> {
    /// The path as the package lists it (absolute). It differs from the path asked for when
    /// the match went through a merged-`/usr` alias (`/bin/ls` for `/usr/bin/ls`).
    pub path: &'a [u8],
    /// The package's name, e.g. `coreutils`.
    pub package: &'a str,
    /// The package's architecture, e.g. `amd64` or `all` (empty if the stanza had none).
    pub architecture: &'a str,
    /// The installed version, e.g. `9.1-1`.
    pub version: &'a str,
    /// The MD5 of the content the package shipped, as dpkg recorded it.
    pub md5: [u8; 16],
    /// When dpkg last installed or upgraded the package: the modification time of its
    /// `.list` file, else of its `md5sums` file (which may be as old as the package's build,
    /// so it errs towards "not updated"), else, for a distroless `status.d` stanza, of that
    /// stanza's file. `None` when none of them exists.
    pub updated_at: Option<Timestamp>,
    /// Whether the record comes from the `Conffiles:` field (a configuration file, whose
    /// recorded MD5 is the one the package shipped, not the locally edited one).
    pub conffile: bool,
}

/// dpkg's record of which installed package shipped which file with which content.
pub struct PackageIndex {
    packages: Vec<Package>,
    /// The first record for each path: nearly every path has exactly one owner.
    files: HashMap<Box<[u8]>, Record>,
    /// Further records for paths with several owners (`Multi-Arch: same` packages sharing
    /// documentation, diversions, a path listed twice).
    shared: HashMap<Box<[u8]>, Vec<Record>>,
    /// Top-level directories (`b"bin"`, ...) that are symlinks to their `/usr` twin under the
    /// root, so `/bin/x` and `/usr/bin/x` name the same file.
    usr_aliases: Vec<&'static [u8]>,
    stats: IndexStats,
    malformed: Vec<MalformedLine>,
}

impl fmt::Debug for PackageIndex {
    /// Only the counts: the full index has tens of thousands of entries.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PackageIndex")
            .field("stats", &self.stats)
            .field("usr_aliases", &self.usr_aliases.len())
            .finish_non_exhaustive()
    }
}

impl PackageIndex {
    /// Loads dpkg's database under `root` (`/` for this machine, or a mounted image's root).
    ///
    /// Returns `Ok(None)` when there is no dpkg database there (neither
    /// `var/lib/dpkg/status` nor `var/lib/dpkg/status.d/`): the system is not Debian-based
    /// and no change can be explained by a package. A malformed line in an `md5sums` file or
    /// a `Conffiles:` field is skipped and counted ([`IndexStats::malformed_lines`],
    /// [`PackageIndex::malformed`]); a status file that is not in stanza format, or a file
    /// that exists but cannot be read, is an error naming the file (and line).
    pub fn load(root: &Path) -> Result<Option<PackageIndex>, PackageError> {
        // A root that does not exist is a mistake (a wrong mount point), not "not Debian".
        fs::metadata(root).map_err(|source| PackageError::Read {
            path: root.to_path_buf(),
            source,
        })?;
        let dpkg = root.join("var/lib/dpkg");
        let status_path = dpkg.join("status");
        let status_d = dpkg.join("status.d");

        let status = read_optional(&status_path)?;
        let status_d_files =
            phiguard_debian::status::status_d_files(&status_d).map_err(|e| match e {
                phiguard_debian::ReadError::Read { path, source } => {
                    PackageError::Read { path, source }
                }
                phiguard_debian::ReadError::Malformed { path, line, reason } => {
                    PackageError::Status { path, line, reason }
                }
            })?;
        if status.is_none() && status_d_files.is_none() {
            return Ok(None);
        }

        let mut loader = Loader {
            info: dpkg.join("info"),
            status_d: status_d_files.as_ref().map(|_| status_d.clone()),
            index: PackageIndex {
                packages: Vec::new(),
                files: HashMap::new(),
                shared: HashMap::new(),
                usr_aliases: merged_usr_aliases(root),
                stats: IndexStats::default(),
                malformed: Vec::new(),
            },
            seen: HashSet::new(),
            buffer: Vec::new(),
        };

        if let Some(status) = status {
            loader.load_status(&status_path, &status.bytes, Source::Status)?;
        }
        for path in status_d_files.unwrap_or_default() {
            if let Some(file) = read_optional(&path)? {
                let source = Source::StatusD {
                    modified: file.modified,
                };
                loader.load_status(&path, &file.bytes, source)?;
            }
        }

        let mut index = loader.index;
        index.stats.paths = index.files.len();
        Ok(Some(index))
    }

    /// What was loaded: packages, files, and what was skipped.
    pub fn stats(&self) -> &IndexStats {
        &self.stats
    }

    /// The first 100 malformed lines, with their file and line
    /// number, so an operator can look at them; [`IndexStats::malformed_lines`] counts all.
    pub fn malformed(&self) -> &[MalformedLine] {
        &self.malformed
    }

    /// The package that shipped `path` (absolute, as bytes: `b"/usr/bin/ls"`), if any.
    ///
    /// When several packages list the path, the first one read is returned; use
    /// [`PackageIndex::owners`] for all of them. On a merged-`/usr` root, `/usr/bin/x` also
    /// finds a package that lists `/bin/x`, and the other way round.
    pub fn owner(&self, path: &[u8]) -> Option<PackageFile<'_>> {
        if let Some((key, record)) = self.files.get_key_value(path) {
            return Some(self.file(key, *record));
        }
        let alias = self.alias(path)?;
        let (key, record) = self.files.get_key_value(alias.as_slice())?;
        Some(self.file(key, *record))
    }

    /// Every installed package's record for `path` (and for its merged-`/usr` alias).
    pub fn owners(&self, path: &[u8]) -> Vec<PackageFile<'_>> {
        let mut out = Vec::new();
        self.collect(path, &mut out);
        if let Some(alias) = self.alias(path) {
            self.collect(&alias, &mut out);
        }
        out
    }

    /// Whether a change to `path`, whose content now has MD5 `new_content_md5`, is explained
    /// by a package update after the baseline taken at `baseline_created`.
    ///
    /// `Some` only if an installed package lists the path, its recorded MD5 equals the new
    /// content's, and dpkg installed or upgraded it strictly after the baseline. A package
    /// with no known installation time never explains anything, and neither does a
    /// configuration file that was edited locally (its content is not what was shipped).
    pub fn explain(
        &self,
        path: &[u8],
        new_content_md5: [u8; 16],
        baseline_created: Timestamp,
    ) -> Option<PackageFile<'_>> {
        self.owners(path).into_iter().find(|file| {
            file.md5 == new_content_md5 && file.updated_at.is_some_and(|t| t > baseline_created)
        })
    }

    fn collect<'a>(&'a self, path: &[u8], out: &mut Vec<PackageFile<'a>>) {
        if let Some((key, record)) = self.files.get_key_value(path) {
            out.push(self.file(key, *record));
            if let Some(more) = self.shared.get(path) {
                out.extend(more.iter().map(|record| self.file(key, *record)));
            }
        }
    }

    fn file<'a>(&'a self, path: &'a [u8], record: Record) -> PackageFile<'a> {
        // Records are only created with the index of a package pushed before them.
        let package = self.packages.get(record.package as usize);
        PackageFile {
            path,
            package: package.map_or("", |p| p.name.as_str()),
            architecture: package.map_or("", |p| p.architecture.as_str()),
            version: package.map_or("", |p| p.version.as_str()),
            md5: record.md5,
            updated_at: package.and_then(|p| p.updated_at),
            conffile: record.conffile,
        }
    }

    /// `/usr/bin/x` for `/bin/x` and `/bin/x` for `/usr/bin/x`, when `bin` is a symlink to
    /// `usr/bin` under the root.
    fn alias(&self, path: &[u8]) -> Option<Vec<u8>> {
        for dir in &self.usr_aliases {
            if let Some(tail) = path
                .strip_prefix(b"/usr/".as_slice())
                .and_then(|rest| rest.strip_prefix(*dir))
                && tail.first() == Some(&b'/')
            {
                return Some([b"/".as_slice(), dir, tail].concat());
            }
            if let Some(tail) = path
                .strip_prefix(b"/".as_slice())
                .and_then(|rest| rest.strip_prefix(*dir))
                && tail.first() == Some(&b'/')
            {
                return Some([b"/usr/".as_slice(), dir, tail].concat());
            }
        }
        None
    }
}

/// A file read whole, with its modification time.
struct ReadFile {
    bytes: Vec<u8>,
    modified: Option<Timestamp>,
}

/// Reads `path` whole, or `None` if it does not exist.
fn read_optional(path: &Path) -> Result<Option<ReadFile>, PackageError> {
    let mut bytes = Vec::new();
    match read_into(path, &mut bytes) {
        Ok(Some(modified)) => Ok(Some(ReadFile { bytes, modified })),
        Ok(None) => Ok(None),
        Err(source) => Err(PackageError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Reads `path` whole into `buffer` (cleared first). `Ok(None)` if it does not exist;
/// otherwise its modification time (`Some(None)` if the time is out of range).
fn read_into(path: &Path, buffer: &mut Vec<u8>) -> io::Result<Option<Option<Timestamp>>> {
    buffer.clear();
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let meta = file.metadata()?;
    if meta.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "is a directory, not a file",
        ));
    }
    buffer.reserve(usize::try_from(meta.len()).unwrap_or(0));
    file.read_to_end(buffer)?;
    Ok(Some(modified(&meta)))
}

fn modified(meta: &fs::Metadata) -> Option<Timestamp> {
    meta.modified()
        .ok()
        .and_then(|t| Timestamp::try_from(t).ok())
}

/// Which of [`MERGED_USR_DIRS`] are symlinks to their twin under `usr/` below `root`.
fn merged_usr_aliases(root: &Path) -> Vec<&'static [u8]> {
    MERGED_USR_DIRS
        .iter()
        .filter(|dir| {
            fs::read_link(root.join(dir)).is_ok_and(|target| {
                target == Path::new("usr").join(dir) || target == Path::new("/usr").join(dir)
            })
        })
        .map(|dir| dir.as_bytes())
        .collect()
}

/// Which kind of status file a stanza comes from.
#[derive(Clone, Copy)]
enum Source {
    /// `var/lib/dpkg/status`: a stanza without `Status:` is not installed, and the file's
    /// time says nothing about any one package (dpkg rewrites it on every run).
    Status,
    /// A file in `status.d/` (distroless): one package, installed, without `Status:`; the
    /// file's time dates the package when there is no `.list` or `md5sums` time.
    StatusD { modified: Option<Timestamp> },
}

struct Loader {
    info: PathBuf,
    /// `var/lib/dpkg/status.d` when it exists: distroless keeps `md5sums` there.
    status_d: Option<PathBuf>,
    index: PackageIndex,
    /// (name, architecture) of packages already indexed, so a package listed both in
    /// `status` and in `status.d` is indexed once.
    seen: HashSet<(String, String)>,
    /// Reused for every `md5sums` file.
    buffer: Vec<u8>,
}

impl Loader {
    /// Parses one status file and indexes each installed package in it.
    fn load_status(
        &mut self,
        path: &Path,
        bytes: &[u8],
        source: Source,
    ) -> Result<(), PackageError> {
        // The one deb822 reader of the workspace; its syntax errors keep their line.
        for stanza in deb822::stanzas(bytes) {
            let stanza = stanza.map_err(|e| status_error(path, e.line, e.reason))?;
            self.add_stanza(path, &stanza, source)?;
        }
        Ok(())
    }

    fn add_stanza(
        &mut self,
        status_path: &Path,
        stanza: &Stanza<'_>,
        source: Source,
    ) -> Result<(), PackageError> {
        let Some(name) = stanza.get("Package").filter(|n| !n.is_empty()) else {
            return Err(status_error(
                status_path,
                stanza.line,
                "stanza has no `Package` field",
            ));
        };
        let installed = match stanza.get("Status") {
            // Only a package dpkg finished installing vouches for its files' checksums.
            Some(status) => DpkgStatus::parse(status).is_some_and(|s| s.fully_installed()),
            // Distroless stanzas are `dpkg-deb --field` output: installed, without Status.
            None => matches!(source, Source::StatusD { .. }),
        };
        if !installed {
            self.index.stats.skipped_stanzas += 1;
            return Ok(());
        }
        let name_text = String::from_utf8_lossy(name).into_owned();
        let Some(version) = stanza.get("Version").filter(|v| !v.is_empty()) else {
            return Err(status_error(
                status_path,
                stanza.line,
                &format!("installed package `{name_text}` has no `Version` field"),
            ));
        };
        let architecture = stanza.get("Architecture").unwrap_or_default();
        let arch_text = String::from_utf8_lossy(architecture).into_owned();
        if !self.seen.insert((name_text.clone(), arch_text.clone())) {
            self.index.stats.skipped_stanzas += 1;
            return Ok(());
        }
        let Ok(package_id) = u32::try_from(self.index.packages.len()) else {
            self.index.stats.skipped_stanzas += 1;
            return Ok(());
        };

        // dpkg names a `Multi-Arch: same` package's info files `<name>:<arch>.*`, others
        // `<name>.*`; databases from before multiarch, or converted ones, may differ, so the
        // other form is the fallback.
        let mut qualified = name.to_vec();
        qualified.push(b':');
        qualified.extend_from_slice(architecture);
        let same = stanza.get("Multi-Arch").is_some_and(|m| m == b"same");
        let mut bases: Vec<&[u8]> = Vec::with_capacity(2);
        if architecture.is_empty() {
            bases.push(name);
        } else if same {
            bases.extend([qualified.as_slice(), name]);
        } else {
            bases.extend([name, qualified.as_slice()]);
        }

        let mut md5sums: Option<(PathBuf, Option<Timestamp>)> = None;
        let mut list_time = None;
        for base in &bases {
            let list = info_file(&self.info, base, b".list");
            let list_meta = match fs::metadata(&list) {
                Ok(meta) => Some(meta),
                Err(e) if e.kind() == io::ErrorKind::NotFound => None,
                Err(source) => return Err(PackageError::Read { path: list, source }),
            };
            let sums = info_file(&self.info, base, b".md5sums");
            let sums_time =
                read_into(&sums, &mut self.buffer).map_err(|source| PackageError::Read {
                    path: sums.clone(),
                    source,
                })?;
            if let Some(time) = sums_time {
                md5sums = Some((sums, time));
            }
            if let Some(meta) = &list_meta {
                list_time = modified(meta);
            }
            if md5sums.is_some() || list_meta.is_some() {
                break;
            }
        }
        if md5sums.is_none()
            && let Some(status_d) = &self.status_d
        {
            for base in &bases {
                let sums = info_file(status_d, base, b".md5sums");
                let sums_time =
                    read_into(&sums, &mut self.buffer).map_err(|source| PackageError::Read {
                        path: sums.clone(),
                        source,
                    })?;
                if let Some(time) = sums_time {
                    md5sums = Some((sums, time));
                    break;
                }
            }
        }

        let updated_at = list_time
            .or_else(|| md5sums.as_ref().and_then(|(_, time)| *time))
            .or(match source {
                Source::StatusD { modified } => modified,
                Source::Status => None,
            });
        if updated_at.is_none() {
            self.index.stats.undated_packages += 1;
        }
        self.index.packages.push(Package {
            name: name_text,
            architecture: arch_text,
            version: String::from_utf8_lossy(version).into_owned(),
            updated_at,
        });
        self.index.stats.packages += 1;

        match &md5sums {
            Some((path, _)) => {
                let bytes = std::mem::take(&mut self.buffer);
                self.add_md5sums(path, &bytes, package_id);
                self.buffer = bytes;
            }
            None => self.index.stats.packages_without_md5sums += 1,
        }
        // The text after `Conffiles:` on the field's own line (normally empty), then each
        // continuation line, each with its line number for the malformed-line report.
        let conffiles: Vec<(usize, &[u8])> = stanza
            .field("Conffiles")
            .map(|field| {
                std::iter::once((field.line, field.value))
                    .chain(field.continuation.iter().copied())
                    .collect()
            })
            .unwrap_or_default();
        self.add_conffiles(status_path, &conffiles, package_id);
        Ok(())
    }

    fn add_md5sums(&mut self, path: &Path, bytes: &[u8], package: u32) {
        for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
            if line.is_empty() {
                continue;
            }
            match parse_md5sums_line(line) {
                Some((md5, file)) => {
                    self.index.stats.files += 1;
                    self.insert(
                        absolute(file),
                        Record {
                            package,
                            md5,
                            conffile: false,
                        },
                    );
                }
                None => self.malformed(path, i + 1),
            }
        }
    }

    fn add_conffiles(&mut self, status_path: &Path, lines: &[(usize, &[u8])], package: u32) {
        for &(line_no, line) in lines {
            let line = trim(line);
            if line.is_empty() {
                continue;
            }
            match parse_conffile_line(line) {
                Conffile::Current(file, md5) => {
                    self.index.stats.conffiles += 1;
                    self.insert(
                        absolute(file),
                        Record {
                            package,
                            md5,
                            conffile: true,
                        },
                    );
                }
                Conffile::NotShipped => {}
                Conffile::Malformed => self.malformed(status_path, line_no),
            }
        }
    }

    fn insert(&mut self, path: Box<[u8]>, record: Record) {
        match self.index.files.entry(path) {
            Entry::Vacant(slot) => {
                slot.insert(record);
            }
            Entry::Occupied(slot) => {
                self.index
                    .shared
                    .entry(slot.key().clone())
                    .or_default()
                    .push(record);
            }
        }
    }

    fn malformed(&mut self, path: &Path, line: usize) {
        self.index.stats.malformed_lines += 1;
        if self.index.malformed.len() < MALFORMED_SAMPLES {
            self.index.malformed.push(MalformedLine {
                path: path.to_path_buf(),
                line,
            });
        }
    }
}

fn status_error(path: &Path, line: usize, reason: &str) -> PackageError {
    PackageError::Status {
        path: path.to_path_buf(),
        line,
        reason: reason.to_owned(),
    }
}

/// `dir/<base><suffix>`, with `base` taken as raw bytes (package names are ASCII, but a
/// garbage one must not panic or be mangled).
fn info_file(dir: &Path, base: &[u8], suffix: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    let name = [base, suffix].concat();
    dir.join(std::ffi::OsStr::from_bytes(&name))
}

fn trim(bytes: &[u8]) -> &[u8] {
    bytes.trim_ascii()
}

/// `<32 hex><space><space or *><path>` (the `md5sum` format dpkg uses). The path keeps
/// any spaces it contains.
fn parse_md5sums_line(line: &[u8]) -> Option<([u8; 16], &[u8])> {
    let (hex, rest) = line.split_at_checked(32)?;
    let md5 = parse_hex_md5(hex)?;
    let rest = rest.strip_prefix(b" ")?;
    let path = rest
        .strip_prefix(b" ")
        .or_else(|| rest.strip_prefix(b"*"))?;
    valid_path(path).then_some((md5, path))
}

/// A path worth indexing: not empty, no NUL, not just slashes.
fn valid_path(path: &[u8]) -> bool {
    !path.contains(&0) && path.iter().any(|&b| b != b'/' && b != b'.')
}

/// What one line of a `Conffiles:` field says.
enum Conffile<'a> {
    /// A configuration file the installed version ships, with its shipped MD5.
    Current(&'a [u8], [u8; 16]),
    /// Obsolete, to be removed on upgrade, or not yet unpacked (`newconffile`): the MD5 is
    /// not the current version's, so it explains nothing.
    NotShipped,
    Malformed,
}

/// `<path> <md5>[ obsolete][ remove-on-upgrade]`: words are taken from the end, so a path
/// with spaces stays whole.
fn parse_conffile_line(line: &[u8]) -> Conffile<'_> {
    let mut rest = line;
    let mut not_shipped = false;
    let hash = loop {
        let Some((head, last)) = split_last_word(rest) else {
            return Conffile::Malformed;
        };
        rest = head;
        if last == b"obsolete" || last == b"remove-on-upgrade" {
            not_shipped = true;
            continue;
        }
        break last;
    };
    if !rest.starts_with(b"/") || !valid_path(rest) {
        return Conffile::Malformed;
    }
    if hash == b"newconffile" || not_shipped {
        return Conffile::NotShipped;
    }
    match parse_hex_md5(hash) {
        Some(md5) => Conffile::Current(rest, md5),
        None => Conffile::Malformed,
    }
}

/// Splits `"a b c"` into `("a b", "c")`; `None` when there is no space-separated head.
fn split_last_word(line: &[u8]) -> Option<(&[u8], &[u8])> {
    let line = trim(line);
    let space = line.iter().rposition(|&b| b == b' ' || b == b'\t')?;
    let (head, last) = line.split_at(space);
    Some((trim(head), trim(last)))
}

fn parse_hex_md5(hex: &[u8]) -> Option<[u8; 16]> {
    if hex.len() != 32 {
        return None;
    }
    let mut md5 = [0u8; 16];
    for (byte, pair) in md5.iter_mut().zip(hex.chunks_exact(2)) {
        let [high, low] = pair else { return None };
        *byte = (hex_digit(*high)? << 4) | hex_digit(*low)?;
    }
    Some(md5)
}

fn hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// `/` + the path without any leading `./` or `/` (dpkg lists `usr/bin/ls`).
fn absolute(path: &[u8]) -> Box<[u8]> {
    let mut rest = path;
    loop {
        if let Some(r) = rest.strip_prefix(b"./") {
            rest = r;
        } else if let Some(r) = rest.strip_prefix(b"/") {
            rest = r;
        } else {
            break;
        }
    }
    let mut out = Vec::with_capacity(rest.len() + 1);
    out.push(b'/');
    out.extend_from_slice(rest);
    out.into_boxed_slice()
}

/// The MD5 of the file at `path`, read in 64 KiB pieces so any size fits in constant
/// memory.
///
/// A symlink is refused (`O_NOFOLLOW`), not followed: a monitor that hashed a symlink's
/// target would let an attacker make a changed file look like the packaged one by pointing
/// it at a pristine copy. Anything but a regular file (a FIFO that would block, a device)
/// is refused too, with [`io::ErrorKind::InvalidInput`].
pub fn md5_file(path: &Path) -> io::Result<[u8; 16]> {
    // NONBLOCK so that opening a FIFO cannot hang; it changes nothing for regular files.
    let fd = rustix::fs::open(
        path,
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    let mut file = File::from(fd);
    if !file.metadata()?.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} is not a regular file", path.display()),
        ));
    }
    let mut hasher = Md5::new();
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        match file.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => hasher.update(buffer.get(..n).unwrap_or_default()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(hasher.finalize().into())
}
