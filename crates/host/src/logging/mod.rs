//! Logging and audit (HIPAA 164.312(b), audit controls): the host records who did what
//! (auditd), keeps those records across reboots (journald on disk) and ships them somewhere an
//! intruder on the host cannot erase them (remote forwarding).
//!
//! Every check here reads configuration files under the context's root, so they also audit an
//! image; only whether auditd is running and which rules the kernel holds need the live system.

mod auditd;
#[doc(hidden)]
pub mod forwarding;
mod journald;
#[doc(hidden)]
pub mod systemd;

use std::io;
use std::path::{Path, PathBuf};

use phiguard_core::{Check, CheckContext, CheckError, CheckMeta, Finding};

use crate::config_file::ConfigError;
use crate::{FnCheck, Settings};

pub fn checks(_settings: &Settings) -> Vec<Box<dyn Check>> {
    vec![
        one_finding(auditd::meta(), auditd::judge),
        one_finding(journald::meta(), journald::judge),
        one_finding(forwarding::meta(), forwarding::judge),
    ]
}

/// Why a check could not reach a verdict: a file it could not read, or one it could not parse.
///
/// Used by the encryption checks too, for the kernel's own tables.
#[derive(Debug)]
pub(crate) enum Problem {
    Io(CheckError),
    /// A line phiguard could not make sense of.
    Malformed(ConfigError),
}

impl From<ConfigError> for Problem {
    fn from(m: ConfigError) -> Problem {
        Problem::Malformed(m)
    }
}

impl Problem {
    pub(crate) fn io(path: &Path, err: &io::Error) -> Problem {
        Problem::Io(CheckError::io(path, err))
    }
}

/// A check's outcome as the registry takes it: a malformed file becomes an error finding about
/// that file, an unreadable one a check error (an error finding about the check).
pub(crate) fn settle(
    meta: &CheckMeta,
    outcome: Result<Vec<Finding>, Problem>,
) -> Result<Vec<Finding>, CheckError> {
    match outcome {
        Ok(findings) => Ok(findings),
        Err(Problem::Malformed(m)) => Ok(vec![m.fix_the_line_finding(meta)]),
        Err(Problem::Io(err)) => Err(err),
    }
}

/// A check that judges the host as a whole, in one finding.
fn one_finding(
    meta: CheckMeta,
    judge: fn(&CheckMeta, &CheckContext) -> Result<Finding, Problem>,
) -> Box<dyn Check> {
    FnCheck::boxed(meta, move |meta, ctx| {
        settle(meta, judge(meta, ctx).map(|finding| vec![finding]))
    })
}

/// The file's text, `None` when it does not exist. A file that is not UTF-8 is malformed at the
/// line holding the first bad byte.
pub(crate) fn read_text(path: &Path) -> Result<Option<String>, Problem> {
    match std::fs::read(path) {
        Ok(bytes) => decode(path, bytes).map(Some).map_err(Problem::from),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(Problem::io(path, &err)),
    }
}

pub(crate) fn decode(path: &Path, bytes: Vec<u8>) -> Result<String, ConfigError> {
    String::from_utf8(bytes).map_err(|err| {
        let valid = &err.as_bytes()[..err.utf8_error().valid_up_to()];
        let line = 1 + valid.iter().filter(|&&b| b == b'\n').count();
        ConfigError::at(path, line, "the line is not valid UTF-8")
    })
}

/// The files in `dir` whose names end with `suffix`, sorted by name (the order the daemons
/// read them in); an absent directory has none.
pub(crate) fn files_ending_with(dir: &Path, suffix: &str) -> Result<Vec<PathBuf>, Problem> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => return Err(Problem::io(dir, &err)),
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|err| Problem::io(dir, &err))?;
        let name = entry.file_name();
        if name.to_string_lossy().ends_with(suffix) {
            files.push(entry.path());
        }
    }
    files.sort();
    Ok(files)
}
