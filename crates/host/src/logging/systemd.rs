//! How systemd finds its daemons' settings and which units start at boot, read from files so
//! the answer is the same for the running host and for an image.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};

use phiguard_core::CheckContext;

use super::{Problem, files_ending_with, read_text};
use crate::config_file::ConfigError;

/// Where systemd looks for `journald.conf` and its `journald.conf.d/` drop-ins, most important
/// first (systemd.syntax(7)): a file in `/etc` overrides one of the same name in `/usr/lib`.
const CONFIG_DIRS: [&str; 4] = [
    "/etc/systemd",
    "/run/systemd",
    "/usr/local/lib/systemd",
    "/usr/lib/systemd",
];

/// The files systemd reads for the configuration `name` (such as `journald.conf`), in the
/// order it applies them: the main file, then every drop-in sorted by file name whatever its
/// directory, so the last assignment of a key wins.
pub(super) fn config_files(ctx: &CheckContext, name: &str) -> Result<Vec<PathBuf>, Problem> {
    let main = CONFIG_DIRS
        .iter()
        .map(|dir| ctx.path(format!("{dir}/{name}")))
        .find(|path| path.is_file());
    let mut drop_ins: BTreeMap<OsString, PathBuf> = BTreeMap::new();
    for dir in CONFIG_DIRS {
        for path in files_ending_with(&ctx.path(format!("{dir}/{name}.d")), ".conf")? {
            if let Some(file_name) = path.file_name() {
                // The first directory is the most important, so a later one never replaces it.
                drop_ins.entry(file_name.to_owned()).or_insert(path);
            }
        }
    }
    Ok(main.into_iter().chain(drop_ins.into_values()).collect())
}

/// One `Key=value` line and where it is, so messages can send people to the line to edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Assignment {
    pub(super) value: String,
    pub(super) path: PathBuf,
    pub(super) line: usize,
}

/// The value of `key` in `[section]` after systemd has read every file of the configuration
/// `name`; `None` when no file sets it or the last one resets it with an empty value.
pub(super) fn setting(
    ctx: &CheckContext,
    name: &str,
    section: &str,
    key: &str,
) -> Result<Option<Assignment>, Problem> {
    let mut current = None;
    for path in config_files(ctx, name)? {
        let Some(text) = read_text(&path)? else {
            continue;
        };
        for entry in
            parse(&text).map_err(|(line, problem)| ConfigError::at(&path, line, problem))?
        {
            if entry.section == section && entry.key == key {
                // An empty assignment puts the default back (systemd.syntax(7)).
                current = (!entry.value.is_empty()).then(|| Assignment {
                    value: entry.value.to_owned(),
                    path: path.clone(),
                    line: entry.line,
                });
            }
        }
    }
    Ok(current)
}

/// One assignment in a systemd-style INI file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry<'a> {
    pub(super) section: &'a str,
    pub(super) key: &'a str,
    pub(super) value: &'a str,
    pub(super) line: usize,
}

/// Parses the INI dialect of systemd's configuration files: `[Section]` headers, `Key=value`
/// lines, comments starting with `#` or `;`. A line that is none of these, or an assignment
/// before any section, is an error with its line number: systemd itself skips such lines with
/// a warning in its log, where nobody reads it, so phiguard says so instead.
///
/// A value continued with a trailing backslash is read up to the backslash; the keys phiguard
/// reads (`Storage=`, `URL=`) are single words.
pub fn parse(text: &str) -> Result<Vec<Entry<'_>>, (usize, String)> {
    let mut entries = Vec::new();
    let mut section = None;
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim();
        let number = index + 1;
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(header) = line.strip_prefix('[') {
            let name = header.strip_suffix(']').ok_or_else(|| {
                (
                    number,
                    format!("section header {line:?} has no closing `]`"),
                )
            })?;
            section = Some(name.trim());
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err((
                number,
                format!("{line:?} is neither a `[Section]`, a `Key=value` line nor a comment"),
            ));
        };
        let Some(section) = section else {
            return Err((
                number,
                format!("{line:?} comes before any `[Section]` header"),
            ));
        };
        let value = value.trim();
        entries.push(Entry {
            section,
            key: key.trim(),
            value: value.strip_suffix('\\').map_or(value, str::trim_end),
            line: number,
        });
    }
    Ok(entries)
}

/// Whether `unit` starts at boot, and the symlink that says so: `systemctl enable` puts one
/// in a `*.wants/` (or `*.requires/`) directory under `/etc/systemd/system`. A unit masked with
/// a link to `/dev/null` never starts, whatever else links to it.
///
/// Links are looked at, never followed: their targets are absolute paths, which under an image
/// root would point into the live host.
pub(super) fn enabled_by(ctx: &CheckContext, unit: &str) -> Result<Option<PathBuf>, Problem> {
    let system = ctx.path("/etc/systemd/system");
    if is_masked(&system.join(unit)) {
        return Ok(None);
    }
    let entries = match std::fs::read_dir(&system) {
        Ok(entries) => entries,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(Problem::io(&system, &err)),
    };
    let mut links = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|err| Problem::io(&system, &err))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.ends_with(".wants") || name.ends_with(".requires") {
            let link = entry.path().join(unit);
            if link.symlink_metadata().is_ok() {
                links.push(link);
            }
        }
    }
    links.sort();
    Ok(links.into_iter().next())
}

fn is_masked(unit_path: &Path) -> bool {
    std::fs::read_link(unit_path).is_ok_and(|target| target == Path::new("/dev/null"))
}

/// The first of `candidates` (system paths) that exists under the root, for finding a daemon's
/// binary on merged-/usr and split-/usr systems alike.
pub(super) fn installed(ctx: &CheckContext, candidates: &[&str]) -> Option<PathBuf> {
    candidates
        .iter()
        .map(|c| ctx.path(c))
        .find(|path| path.symlink_metadata().is_ok())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_sections_keys_and_comments() {
        let text = "# comment\n; also\n[Journal]\n  Storage = persistent  \nSystemMaxUse=\n\n[Other]\nStorage=none\n";
        let entries = parse(text).unwrap();
        assert_eq!(
            entries,
            [
                Entry {
                    section: "Journal",
                    key: "Storage",
                    value: "persistent",
                    line: 4
                },
                Entry {
                    section: "Journal",
                    key: "SystemMaxUse",
                    value: "",
                    line: 5
                },
                Entry {
                    section: "Other",
                    key: "Storage",
                    value: "none",
                    line: 8
                },
            ]
        );
    }

    #[test]
    fn malformed_lines_are_named() {
        assert_eq!(
            parse("[Journal]\nStorage persistent\n").unwrap_err(),
            (
                2,
                "\"Storage persistent\" is neither a `[Section]`, a `Key=value` line nor a comment"
                    .into()
            )
        );
        assert_eq!(parse("Storage=auto\n").unwrap_err().0, 1);
        assert_eq!(parse("\n[Journal\n").unwrap_err().0, 2);
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let text = String::from_utf8_lossy(&bytes);
            let _ = parse(&text);
        }

        #[test]
        fn config_like_text_never_panics(text in "([\\[\\]=#; \nA-Za-z]{0,20}){0,20}") {
            if let Ok(entries) = parse(&text) {
                prop_assert!(entries.iter().all(|e| e.line >= 1 && e.line <= text.lines().count()));
            }
        }
    }
}
