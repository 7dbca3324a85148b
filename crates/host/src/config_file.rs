//! Why a file a check reads could not be judged: the one vocabulary of every host check for a
//! configuration file (or a kernel table) that cannot be read or parsed.
//!
//! Such a file becomes an error finding that names the file and line, because guessing what a
//! broken configuration means would turn a typo into a pass or a fail that nobody can trace.
//! The finding never quotes the line, since some of these files hold secrets (`/etc/shadow`,
//! sudoers).

use std::fmt;
use std::path::{Path, PathBuf};

use phiguard_core::{CheckMeta, Finding, Status};

/// Why a configuration file could not be judged: which file, which line, what is wrong with it.
/// It never quotes the line, since some of these files hold secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub path: PathBuf,
    /// 1-based, as editors count; `None` when the whole file is the problem (unreadable,
    /// missing include).
    pub line: Option<usize>,
    pub reason: String,
}

impl ConfigError {
    pub fn at(path: &Path, line: usize, reason: impl Into<String>) -> ConfigError {
        ConfigError {
            path: path.to_path_buf(),
            line: Some(line),
            reason: reason.into(),
        }
    }

    pub fn file(path: &Path, reason: impl Into<String>) -> ConfigError {
        ConfigError {
            path: path.to_path_buf(),
            line: None,
            reason: reason.into(),
        }
    }

    /// The error finding of `meta` for this problem, with the file as its subject: phiguard
    /// could not judge what the file says.
    pub(crate) fn finding(&self, meta: &CheckMeta) -> Finding {
        self.error_finding(meta, format!("could not judge this: {self}"))
    }

    /// The error finding of `meta` for a line phiguard could not parse, asking for the line
    /// to be fixed (or phiguard's parser, if the line is valid).
    pub(crate) fn fix_the_line_finding(&self, meta: &CheckMeta) -> Finding {
        self.error_finding(
            meta,
            format!(
                "{self}; fix the line (or report a phiguard bug if it is valid) and run the check again"
            ),
        )
    }

    fn error_finding(&self, meta: &CheckMeta, message: String) -> Finding {
        meta.finding(Status::Error, self.path.display().to_string(), message)
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{} line {line}: {}", self.path.display(), self.reason),
            None => write!(f, "{}: {}", self.path.display(), self.reason),
        }
    }
}

impl std::error::Error for ConfigError {}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta() -> CheckMeta {
        CheckMeta::from_literals(
            "host.test",
            "a test",
            phiguard_core::Severity::High,
            "testing",
            "fix it",
        )
    }

    #[test]
    fn a_problem_names_the_file_and_the_line_when_there_is_one() {
        let path = Path::new("/etc/ssh/sshd_config");
        assert_eq!(
            ConfigError::at(path, 3, "unknown keyword").to_string(),
            "/etc/ssh/sshd_config line 3: unknown keyword"
        );
        assert_eq!(
            ConfigError::file(path, "could not read it: denied").to_string(),
            "/etc/ssh/sshd_config: could not read it: denied"
        );
    }

    #[test]
    fn both_findings_are_errors_about_the_file() {
        let problem = ConfigError::at(Path::new("/etc/rsyslog.conf"), 7, "no target");
        let judged = problem.finding(&meta());
        assert_eq!(judged.status, Status::Error);
        assert_eq!(judged.subject, "/etc/rsyslog.conf");
        assert_eq!(
            judged.message,
            "could not judge this: /etc/rsyslog.conf line 7: no target"
        );
        let unparsed = problem.fix_the_line_finding(&meta());
        assert_eq!(unparsed.status, Status::Error);
        assert_eq!(unparsed.subject, "/etc/rsyslog.conf");
        assert_eq!(
            unparsed.message,
            "/etc/rsyslog.conf line 7: no target; fix the line (or report a phiguard bug if it \
             is valid) and run the check again"
        );
    }
}
