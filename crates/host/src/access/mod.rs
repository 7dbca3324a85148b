//! Access control on the host: who can log in, as whom, whether the register says they may
//! (164.308(a)(4)), how they prove it, and for how long an idle session stays open (HIPAA
//! 164.312(a)(1), (a)(2)(i), (a)(2)(iii) and (d)), plus the algorithms sshd offers to protect
//! those sessions in transit (164.312(e)).
//!
//! Every check reads files under the context's root, so an image is audited like a live host;
//! only sshd's effective configuration (`sshd -T`) is taken from the running system, when there
//! is one. A file that cannot be read or parsed becomes an error finding that names the file
//! and line, never its contents: `/etc/shadow` holds password hashes.

pub mod accounts;
pub mod grants;
pub mod logoff;
pub mod ssh;
pub mod sshd;
pub mod sudoers;

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use phiguard_core::{Check, Status};

pub use crate::config_file::ConfigError;
use crate::{PerRun, Settings};

pub fn checks(settings: &Settings) -> Vec<Box<dyn Check>> {
    let sshd = SharedSshd::default();
    let mut checks = ssh::checks(&sshd);
    checks.extend(accounts::checks());
    checks.push(grants::check(settings));
    checks.push(sudoers::check());
    checks.push(logoff::check(&sshd));
    checks
}

/// sshd's configuration as the SSH checks and the logoff check judge it: loaded once per
/// run (on a live host that is one `sshd -T`, not one per check).
pub(crate) type SharedSshd = Arc<PerRun<Result<Option<sshd::Sshd>, ConfigError>>>;

/// Reads a configuration file as text; `Ok(None)` when it does not exist, which callers
/// usually turn into "not applicable". Bytes that are not UTF-8 (a Latin-1 GECOS field, say)
/// are replaced rather than refused: the keywords and fields the checks read are ASCII.
pub(crate) fn read_text(path: &Path) -> Result<Option<String>, ConfigError> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(ConfigError::file(path, format!("could not read it: {err}"))),
    }
}

/// The lines of a configuration file with their 1-based numbers, without the line ending
/// (a `\r` left by an editor on Windows included), so every parser counts lines the same way
/// and error messages point at the line an editor shows.
pub(crate) fn numbered_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split('\n')
        .enumerate()
        .map(|(i, line)| (i + 1, line.strip_suffix('\r').unwrap_or(line)))
}

/// The entries of `dir` whose names `keep` accepts, sorted bytewise as glob(3) and sudo sort
/// them, so the order files are read in (and so which value wins) matches the daemon's.
/// A missing directory has no entries; one that cannot be listed is an error.
pub(crate) fn sorted_entries(
    dir: &Path,
    keep: impl Fn(&str) -> bool,
) -> Result<Vec<PathBuf>, ConfigError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => {
            return Err(ConfigError::file(
                dir,
                format!("could not list the directory: {err}"),
            ));
        }
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|err| {
            ConfigError::file(dir, format!("could not list the directory: {err}"))
        })?;
        // Names that are not UTF-8 cannot match the ASCII patterns used here.
        if let Some(name) = entry.file_name().to_str()
            && keep(name)
        {
            names.push(name.to_owned());
        }
    }
    names.sort();
    Ok(names.into_iter().map(|name| dir.join(name)).collect())
}

/// Shell-style wildcard match with `*`, `?` and `[...]` classes (`[!...]` or `[^...]`
/// negated, `a-z` ranges), as glob(3) and OpenSSH's pattern lists use them. Iterative with
/// backtracking to the last `*`, so no input makes it slow or deep.
pub(crate) fn wildcard_match(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        let step = match pattern.get(p) {
            Some('*') => {
                star = Some((p, t));
                p += 1;
                continue;
            }
            Some('?') => Some(1),
            Some('[') => match_class(&pattern[p..], text[t]),
            Some(&c) => (c == text[t]).then_some(1),
            None => None,
        };
        match (step, star) {
            (Some(width), _) => {
                p += width;
                t += 1;
            }
            (None, Some((star_p, star_t))) => {
                p = star_p + 1;
                t = star_t + 1;
                star = Some((star_p, star_t + 1));
            }
            (None, None) => return false,
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

/// Matches `c` against the class at the start of `pattern` (which starts with `[`): the
/// class's width in pattern characters when it matches. A `[` without its `]` is a literal.
fn match_class(pattern: &[char], c: char) -> Option<usize> {
    let mut i = 1;
    let negated = matches!(pattern.get(i), Some('!' | '^'));
    if negated {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    loop {
        match pattern.get(i) {
            None => return (c == '[').then_some(1),
            Some(']') if !first => break,
            Some(&low) => {
                if pattern.get(i + 1) == Some(&'-') && pattern.get(i + 2).is_some_and(|&h| h != ']')
                {
                    let high = pattern[i + 2];
                    matched |= low <= c && c <= high;
                    i += 3;
                } else {
                    matched |= low == c;
                    i += 1;
                }
            }
        }
        first = false;
    }
    (matched != negated).then_some(i + 1)
}

/// The worst of two statuses, for a check that judges several places (the global sshd settings
/// and each Match block) and reports one finding.
pub(crate) fn worse(a: Status, b: Status) -> Status {
    fn rank(s: Status) -> u8 {
        match s {
            Status::NotApplicable => 0,
            Status::Pass => 1,
            Status::Warn => 2,
            Status::Fail => 3,
            Status::Error => 4,
        }
    }
    if rank(b) > rank(a) { b } else { a }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_like_glob() {
        assert!(wildcard_match("*.conf", "50-cloud-init.conf"));
        assert!(!wildcard_match("*.conf", "50-cloud-init.conf.bak"));
        assert!(wildcard_match("hmac-md5*", "hmac-md5-96-etm@openssh.com"));
        assert!(wildcard_match("a?c", "abc") && !wildcard_match("a?c", "ac"));
        assert!(wildcard_match("[0-9]*", "10-x") && !wildcard_match("[!0-9]*", "10-x"));
        assert!(wildcard_match("[]x]", "]") && wildcard_match("[", "["));
        assert!(wildcard_match("**a*b*", "xxaxxbxx"));
        assert!(!wildcard_match("*a*b", "xxaxxbxc"));
        assert!(wildcard_match("", "") && !wildcard_match("", "x"));
    }

    #[test]
    fn lines_are_numbered_from_one_without_carriage_returns() {
        let lines: Vec<_> = numbered_lines("a\r\nb\n\nc").collect();
        assert_eq!(lines, [(1, "a"), (2, "b"), (3, ""), (4, "c")]);
    }

    #[test]
    fn worse_orders_statuses() {
        assert_eq!(worse(Status::Pass, Status::Warn), Status::Warn);
        assert_eq!(worse(Status::Fail, Status::Warn), Status::Fail);
        assert_eq!(worse(Status::NotApplicable, Status::Pass), Status::Pass);
        assert_eq!(worse(Status::Error, Status::Fail), Status::Error);
    }
}
