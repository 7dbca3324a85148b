//! The register as code: one YAML file per kind of record, which a team keeps in git, reviews
//! in pull requests and applies with `phiguard register import DIR`.
//!
//! The files are the whole truth for the kinds they cover: importing makes the register equal
//! to them, so a record removed from a file is deleted. A kind whose file is absent is left
//! alone, so a team can keep only some kinds as code (vendors and BAAs, say) and manage the
//! rest on the command line.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::path::{Path, PathBuf};

use phiguard_home::{Readers, write_atomically};

use super::node::{self, DecodeError, Node, NodeDeserializer, Value};
use super::{read_limited, utf8_text};
use crate::{AnyRecord, Change, FileProblem, Kind, RegisterError, Snapshot};

/// Writes one YAML file per kind ([`Kind::file_name`]) into `dir`, creating it if missing.
///
/// Every kind gets a file, an empty list when it has no records, so importing the directory
/// back reproduces the register exactly (an absent file would leave its kind alone instead).
/// Records are in id order so that two exports of the same register are identical and a diff
/// shows only what changed. Each file is replaced atomically ([`write_atomically`]), so a
/// crash or a full disk leaves the old file or the new one, never half of one.
/// Returns the paths written, in [`Kind::ALL`] order.
pub fn export(snapshot: &Snapshot, dir: &Path) -> Result<Vec<PathBuf>, RegisterError> {
    fs::create_dir_all(dir).map_err(|source| RegisterError::Io {
        action: "create the directory",
        path: dir.to_owned(),
        source,
    })?;
    let mut written = Vec::with_capacity(Kind::ALL.len());
    for &kind in Kind::ALL {
        let path = dir.join(kind.file_name());
        let text = render(kind, &snapshot.records(kind))?;
        // Readable as any file the user makes: these files are meant to be shared and reviewed.
        write_atomically(&path, text.as_bytes(), Readers::Umask).map_err(|source| {
            RegisterError::Io {
                action: "write",
                path: path.clone(),
                source,
            }
        })?;
        written.push(path);
    }
    Ok(written)
}

/// The text of one kind's file as [`export`] writes it: a comment saying what it is and how it
/// is applied, then `records` (all of `kind`) as a YAML list, in the order given.
pub fn render(kind: Kind, records: &[AnyRecord]) -> Result<String, RegisterError> {
    // Records are strings, numbers, dates and lists of them; YAML can write every value, so
    // this fails only on a bug, reported against the file it was for.
    let body = serde_saphyr::to_string(&records).map_err(|error| RegisterError::Io {
        action: "write YAML for",
        path: PathBuf::from(kind.file_name()),
        source: std::io::Error::other(error),
    })?;
    Ok(format!(
        "# phiguard register: {title}, one `- ` entry per record, in id order.\n\
         # `phiguard register import DIR` (DIR being this directory) makes the register match\n\
         # these files: entries added or changed here are written, entries removed are deleted.\n\
         {body}",
        title = kind.title(),
    ))
}

/// Decodes one record of `kind`.
fn decode(kind: Kind, node: &Node) -> Result<AnyRecord, DecodeError> {
    AnyRecord::deserialize(kind, NodeDeserializer(node))
}

/// Records read from a directory of register files, with where each came from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Imported {
    dir: PathBuf,
    /// The kinds whose file was present, in [`Kind::ALL`] order.
    kinds: Vec<Kind>,
    /// In [`Kind::ALL`] order, and within a kind in file order.
    records: Vec<AnyRecord>,
    /// The file and line each record starts on.
    origins: BTreeMap<(Kind, String), (PathBuf, u64)>,
}

/// Reads every [`Kind::file_name`] present in `dir`.
///
/// A file that is absent leaves its kind alone. Any other `*.yaml` or `*.yml` file in `dir`
/// is an error naming it, since it is most likely a misspelt register file whose records
/// would otherwise be silently ignored; hidden files (`.pre-commit-config.yaml`) and
/// subdirectories are not looked at. A file that does not parse, a record with an unknown
/// field or a value of the wrong type, and an id used twice in one file are all collected,
/// across all files, into one [`RegisterError::Import`], each with its file and line, so one
/// run shows everything to fix. Files over [`MAX_FILE_BYTES`](super::MAX_FILE_BYTES) are
/// refused.
///
/// Whether the records are valid and their references resolve is for
/// [`plan`](crate::plan) to say, on [`Imported::changes`]; [`Imported::locate`] then points its
/// complaints at the files.
pub fn read_dir(dir: &Path) -> Result<Imported, RegisterError> {
    let mut problems = unknown_files(dir)?;
    let mut imported = Imported {
        dir: dir.to_owned(),
        ..Imported::default()
    };
    for &kind in Kind::ALL {
        let path = dir.join(kind.file_name());
        // Only a missing file leaves its kind alone; anything else by that name is read, or
        // refused by `read_limited`.
        if let Err(error) = fs::symlink_metadata(&path) {
            if error.kind() == std::io::ErrorKind::NotFound {
                continue;
            }
            return Err(RegisterError::Io {
                action: "read",
                path,
                source: error,
            });
        }
        imported.kinds.push(kind);
        let bytes = match read_limited(&path)? {
            Ok(bytes) => bytes,
            Err(problem) => {
                problems.push(problem);
                continue;
            }
        };
        let text = match utf8_text(&bytes, &path) {
            Ok(text) => text,
            Err(problem) => {
                problems.push(problem);
                continue;
            }
        };
        for (record, line) in parse_into(kind, text, &path, &mut problems) {
            imported
                .origins
                .insert((kind, record.id().to_owned()), (path.clone(), line));
            imported.records.push(record);
        }
    }
    if problems.is_empty() {
        Ok(imported)
    } else {
        Err(RegisterError::Import { problems })
    }
}

/// The records of one file of `kind`, each with the line it starts on, or every problem with
/// them. `file` names the source in problems. This is what [`read_dir`] does for each file,
/// for callers that hold the text already (and for fuzzing).
pub fn parse(kind: Kind, text: &str, file: &Path) -> Result<Vec<(AnyRecord, u64)>, RegisterError> {
    let mut problems = Vec::new();
    let records = parse_into(kind, text, file, &mut problems);
    if problems.is_empty() {
        Ok(records)
    } else {
        Err(RegisterError::Import { problems })
    }
}

fn parse_into(
    kind: Kind,
    text: &str,
    file: &Path,
    problems: &mut Vec<FileProblem>,
) -> Vec<(AnyRecord, u64)> {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let mut problem = |line: Option<u64>, reason: String| {
        problems.push(FileProblem {
            file: file.to_owned(),
            line,
            reason,
        });
    };
    let document = match node::parse(text) {
        Ok(document) => document,
        Err(error) => {
            problem(error.line, error.reason);
            return Vec::new();
        }
    };
    let items = match &document.value {
        Value::Seq(items) => items.as_slice(),
        // The file is the whole truth for its kind: read as an empty list, a file emptied by
        // mistake (or left with only its comments) would delete every record of the kind.
        Value::Null => {
            problem(
                None,
                format!(
                    "the file lists no {title}: it is empty, or holds only comments, `null` or \
                     `---`, and importing it would delete every {kind} in the register. A kind \
                     with no records is written `[]`, as `phiguard register export` writes it: \
                     write `[]` to delete them all, or remove the file to leave them alone",
                    title = kind.title()
                ),
            );
            return Vec::new();
        }
        _ => {
            problem(
                Some(document.line),
                format!(
                    "the file must be a YAML list of {}, one `- ` entry each, but it is {}",
                    kind.title(),
                    document.describe()
                ),
            );
            return Vec::new();
        }
    };
    if items.len() > super::MAX_RECORDS {
        problem(None, super::too_many_records(kind.title()));
        return Vec::new();
    }
    let mut records = Vec::with_capacity(items.len());
    let mut seen: HashMap<String, u64> = HashMap::new();
    for (index, item) in items.iter().enumerate() {
        match decode(kind, item) {
            Ok(record) => {
                if let Some(first) = seen.get(record.id()) {
                    problem(
                        Some(item.line),
                        format!(
                            "{kind} {:?} is listed twice, on line {first} and here; ids must be unique, so remove or rename one",
                            record.id()
                        ),
                    );
                } else {
                    seen.insert(record.id().to_owned(), item.line);
                    records.push((record, item.line));
                }
            }
            Err(error) => {
                let which = ["id", "control"]
                    .iter()
                    .find_map(|key| item.get(key).and_then(Node::text))
                    .map_or_else(|| format!("entry {}", index + 1), |id| format!("{id:?}"));
                problem(
                    Some(error.line.unwrap_or(item.line)),
                    format!("{kind} {which}: {error}"),
                );
            }
        }
    }
    records
}

/// A problem for every `*.yaml` or `*.yml` file in `dir` that is not a register file.
fn unknown_files(dir: &Path) -> Result<Vec<FileProblem>, RegisterError> {
    let entries = fs::read_dir(dir).map_err(|source| RegisterError::Io {
        action: "read the directory",
        path: dir.to_owned(),
        source,
    })?;
    let known: BTreeSet<&str> = Kind::ALL.iter().map(|k| k.file_name()).collect();
    let mut problems = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| RegisterError::Io {
            action: "read the directory",
            path: dir.to_owned(),
            source,
        })?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let lower = name.to_ascii_lowercase();
        if name.starts_with('.')
            || !(lower.ends_with(".yaml") || lower.ends_with(".yml"))
            || known.contains(name.as_ref())
            || !entry.path().is_file()
        {
            continue;
        }
        let hint = match closest(&lower) {
            Some(file) => format!("if it is meant to be `{file}`, rename it"),
            None => "rename it to one of them".into(),
        };
        problems.push(FileProblem {
            file: entry.path(),
            line: None,
            reason: format!(
                "this is not one of the register's files ({}), so its records would be ignored; {hint}, or move it out of the directory",
                known.iter().copied().collect::<Vec<_>>().join(", ")
            ),
        });
    }
    problems.sort_by(|a, b| a.file.cmp(&b.file));
    Ok(problems)
}

/// The register file whose name is closest to `name` (`vendor.yaml`, `Vendors.yml`), if one
/// is close enough to be a likely typo.
fn closest(name: &str) -> Option<&'static str> {
    let stem = |n: &str| {
        n.trim_end_matches(".yaml")
            .trim_end_matches(".yml")
            .replace('_', "-")
    };
    let wanted = stem(name);
    Kind::ALL
        .iter()
        .map(|kind| (distance(&wanted, &stem(kind.file_name())), kind.file_name()))
        .filter(|(distance, _)| *distance <= 3)
        .min()
        .map(|(_, file)| file)
}

/// Levenshtein distance, by characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

impl Imported {
    /// The changes that make the register equal the files: a [`Change::Put`] for every record
    /// read, then a [`Change::Delete`] for every record of a kind whose file was present but no
    /// longer lists it. Deletes come in reverse [`Kind::ALL`] order, so a record goes before
    /// the records it names (a review before its grants). Records that are already as the
    /// files say plan to nothing, so importing an unchanged export changes nothing.
    pub fn changes(&self, current: &Snapshot) -> Vec<Change> {
        let mut changes: Vec<Change> = self.records.iter().cloned().map(Change::Put).collect();
        for &kind in self.kinds.iter().rev() {
            for record in current.records(kind) {
                if !self.origins.contains_key(&(kind, record.id().to_owned())) {
                    changes.push(Change::Delete {
                        kind,
                        id: record.id().to_owned(),
                    });
                }
            }
        }
        changes
    }

    /// Points the problems of a [`RegisterError::Invalid`] from [`plan`](crate::plan) at the
    /// files, as a [`RegisterError::Import`]: a problem with a record read from the files gets
    /// that record's file and line. A problem with a record that is not in the files (one in
    /// the register whose kind has no file here, which names a record the files delete) gets
    /// the file of the kind whose deletion causes it, without a line. Other errors are
    /// returned as they are.
    pub fn locate(&self, error: RegisterError) -> RegisterError {
        let RegisterError::Invalid { problems } = error else {
            return error;
        };
        let mut located: Vec<FileProblem> = problems
            .into_iter()
            .map(
                |problem| match self.origins.get(&(problem.kind, problem.id.clone())) {
                    Some((file, line)) => FileProblem {
                        file: file.clone(),
                        line: Some(*line),
                        reason: format!("{} {:?}: {}", problem.kind, problem.id, problem.message),
                    },
                    None => {
                        let named = problem.names.as_ref().map(|(kind, _)| *kind);
                        FileProblem {
                            file: self.dir.join(named.unwrap_or(problem.kind).file_name()),
                            line: None,
                            reason: format!(
                                "{} {:?}, which is in the register but not in these files: {}",
                                problem.kind, problem.id, problem.message
                            ),
                        }
                    }
                },
            )
            .collect();
        located.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
        RegisterError::Import { problems: located }
    }

    /// The kinds whose file was present, in [`Kind::ALL`] order.
    pub fn kinds(&self) -> &[Kind] {
        &self.kinds
    }

    /// Every record read, in [`Kind::ALL`] order and within a kind in file order.
    pub fn records(&self) -> &[AnyRecord] {
        &self.records
    }

    /// The file and line a record was read from.
    pub fn origin(&self, kind: Kind, id: &str) -> Option<(&Path, u64)> {
        self.origins
            .get(&(kind, id.to_owned()))
            .map(|(file, line)| (file.as_path(), *line))
    }
}
