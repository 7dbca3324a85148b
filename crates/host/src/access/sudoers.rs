//! sudo rules that skip the password: `NOPASSWD:` tags and `Defaults !authenticate`.
//!
//! Files are followed the way sudo follows them: `@include`/`#include` (relative to the
//! including file's directory, as sudo 1.9.1 and later resolve them) and
//! `@includedir`/`#includedir`, which reads a directory's files in sorted order and skips
//! names that end in `~` or contain a `.`, so editor backups and package leftovers
//! (`README`, `foo.dpkg-old`) are never rules. A file in `/etc/sudoers.d` that no include
//! reaches is not read by sudo, and so not judged.

use std::path::{Path, PathBuf};

use phiguard_core::{Check, CheckContext, CheckError, CheckMeta, Finding, Severity, Status};

use super::{ConfigError, numbered_lines, read_text, sorted_entries};
use crate::{FnCheck, meta};

pub const SUDOERS: &str = "/etc/sudoers";
/// Deeper nesting than this is a loop (sudo's own limit is 128).
pub const MAX_INCLUDE_DEPTH: usize = 128;

/// What one logical line of a sudoers file is, as far as this check cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// `@include path`: a file, relative to the including file's directory unless absolute.
    Include(String),
    /// `@includedir path`.
    IncludeDir(String),
    /// A rule or `Defaults` line that lets someone run commands without a password: the
    /// line's first word (who, or the `Defaults` binding) and what it uses.
    NoPassword { who: String, how: &'static str },
}

/// The entries of one sudoers file that matter here, with the number of the line each
/// starts on. A line ending in a backslash continues on the next.
pub fn parse_sudoers(path: &Path, text: &str) -> Result<Vec<(usize, Entry)>, ConfigError> {
    let mut entries = Vec::new();
    let mut logical = String::new();
    let mut start = 0;
    for (number, line) in numbered_lines(text) {
        if logical.is_empty() {
            start = number;
        }
        if let Some(continued) = line.strip_suffix('\\') {
            logical.push_str(continued);
            logical.push(' ');
            continue;
        }
        logical.push_str(line);
        if let Some(entry) = entry(path, start, &logical)? {
            entries.push((start, entry));
        }
        logical.clear();
    }
    if !logical.trim().is_empty() {
        return Err(ConfigError::at(
            path,
            start,
            "the last line ends in a backslash, continuing into nothing",
        ));
    }
    Ok(entries)
}

fn entry(path: &Path, number: usize, line: &str) -> Result<Option<Entry>, ConfigError> {
    let line = line.trim();
    for (directive, make) in [
        ("includedir", Entry::IncludeDir as fn(String) -> Entry),
        ("include", Entry::Include as fn(String) -> Entry),
    ] {
        for prefix in ['@', '#'] {
            if let Some(rest) = line
                .strip_prefix(prefix)
                .and_then(|l| l.strip_prefix(directive))
                .filter(|rest| rest.is_empty() || rest.starts_with([' ', '\t']))
            {
                let target = rest.trim();
                // `#include` without a path is an ordinary comment to sudo.
                if target.is_empty() && prefix == '#' {
                    return Ok(None);
                }
                let target = target
                    .strip_prefix('"')
                    .and_then(|t| t.strip_suffix('"'))
                    .unwrap_or(target);
                if target.is_empty() {
                    return Err(ConfigError::at(
                        path,
                        number,
                        format!("{prefix}{directive} names no path"),
                    ));
                }
                return Ok(Some(make(target.to_owned())));
            }
        }
    }
    let rule = strip_comment(line);
    let who = rule.split_whitespace().next().unwrap_or("").to_owned();
    let how = if has_tag(rule, "NOPASSWD") {
        "NOPASSWD"
    } else if who.starts_with("Defaults") && rule.contains("!authenticate") {
        "!authenticate"
    } else {
        return Ok(None);
    };
    Ok(Some(Entry::NoPassword { who, how }))
}

/// The line without its comment. `#` starts a comment except when followed by a digit,
/// where it is a numeric UID or GID (`#1000 ALL=...`, `%#100`), or when escaped or quoted.
fn strip_comment(line: &str) -> &str {
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => quoted = !quoted,
            '#' if !quoted && !line[i + 1..].starts_with(|d: char| d.is_ascii_digit()) => {
                return &line[..i];
            }
            _ => {}
        }
    }
    line
}

/// Whether `tag:` appears as a word (sudo tags are upper case and end in a colon, with
/// optional blanks before it).
fn has_tag(rule: &str, tag: &str) -> bool {
    rule.match_indices(tag).any(|(i, _)| {
        let before_ok = rule[..i]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_ascii_alphanumeric() && c != '_');
        before_ok && rule[i + tag.len()..].trim_start().starts_with(':')
    })
}

pub(crate) fn check() -> Box<dyn Check> {
    FnCheck::boxed(
        meta(
            "host.access.sudo_nopasswd",
            "sudo asks for a password",
            Severity::Medium,
            "HIPAA 164.312(d) (person or entity authentication) and 164.312(a)(1) (access \
             control): `NOPASSWD` and `!authenticate` let anyone who gets hold of a session \
             (an unlocked terminal, a stolen key or token) become root without proving again \
             who they are.",
            "Edit the file and line named (/etc/sudoers or a file in /etc/sudoers.d) with \
             `visudo -f <file>`: remove the `NOPASSWD:` tag \
             (or change it to `PASSWD:`) and remove `!authenticate` from Defaults lines. \
             Accounts used by automation that must run sudo unattended should get a rule for \
             the exact commands they need, documented as an exception with its owner.",
        ),
        sudo_nopasswd,
    )
}

/// One place where a password is skipped.
struct Hit {
    file: PathBuf,
    line: usize,
    who: String,
    how: &'static str,
}

/// Reads `file` and everything it includes, collecting hits; `files` counts what was read.
fn walk(
    ctx: &CheckContext,
    file: &Path,
    depth: usize,
    hits: &mut Vec<Hit>,
    files: &mut usize,
) -> Result<(), ConfigError> {
    let Some(text) = read_text(file)? else {
        return Err(ConfigError::file(
            file,
            "it is included by another sudoers file but does not exist",
        ));
    };
    *files += 1;
    let dir = file.parent().unwrap_or(Path::new(""));
    let resolve = |target: &str| -> PathBuf {
        if target.starts_with('/') {
            ctx.path(target)
        } else {
            dir.join(target)
        }
    };
    for (line, entry) in parse_sudoers(file, &text)? {
        let too_deep = || {
            ConfigError::at(
                file,
                line,
                format!(
                    "includes nest more than {MAX_INCLUDE_DEPTH} deep; does a file include itself?"
                ),
            )
        };
        match entry {
            Entry::Include(target) => {
                if depth >= MAX_INCLUDE_DEPTH {
                    return Err(too_deep());
                }
                walk(ctx, &resolve(&target), depth + 1, hits, files)?;
            }
            Entry::IncludeDir(target) => {
                if depth >= MAX_INCLUDE_DEPTH {
                    return Err(too_deep());
                }
                let listed = sorted_entries(&resolve(&target), |name| {
                    !name.ends_with('~') && !name.contains('.')
                })?;
                for path in listed {
                    walk(ctx, &path, depth + 1, hits, files)?;
                }
            }
            Entry::NoPassword { who, how } => hits.push(Hit {
                file: file.to_path_buf(),
                line,
                who,
                how,
            }),
        }
    }
    Ok(())
}

fn sudo_nopasswd(meta: &CheckMeta, ctx: &CheckContext) -> Result<Vec<Finding>, CheckError> {
    let main = ctx.path(SUDOERS);
    let subject = main.display().to_string();
    match main.try_exists() {
        Ok(false) => {
            return Ok(vec![meta.finding(
                Status::NotApplicable,
                subject,
                "there is no /etc/sudoers: sudo is not installed or not configured",
            )]);
        }
        Ok(true) => {}
        Err(err) => {
            return Ok(vec![
                ConfigError::file(&main, format!("could not read it: {err}")).finding(meta),
            ]);
        }
    }
    let mut hits = Vec::new();
    let mut files = 0;
    if let Err(err) = walk(ctx, &main, 0, &mut hits, &mut files) {
        return Ok(vec![err.finding(meta)]);
    }
    if hits.is_empty() {
        return Ok(vec![meta.finding(
            Status::Pass,
            subject,
            format!(
                "no NOPASSWD tag or `!authenticate` default in {files} sudoers file{}",
                if files == 1 { "" } else { "s" }
            ),
        )]);
    }
    // One finding per file, so each names the file to edit.
    let mut findings: Vec<Finding> = Vec::new();
    let mut by_file: Vec<(PathBuf, Vec<String>)> = Vec::new();
    for hit in hits {
        let what = match hit.how {
            "NOPASSWD" => format!(
                "line {}: NOPASSWD lets {} run commands without a password",
                hit.line, hit.who
            ),
            _ => format!(
                "line {}: `{} !authenticate` turns the password prompt off",
                hit.line, hit.who
            ),
        };
        match by_file.iter_mut().find(|(f, _)| *f == hit.file) {
            Some((_, lines)) => lines.push(what),
            None => by_file.push((hit.file, vec![what])),
        }
    }
    for (file, lines) in by_file {
        findings.push(meta.finding(Status::Fail, file.display().to_string(), lines.join("; ")));
    }
    Ok(findings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Vec<(usize, Entry)> {
        parse_sudoers(Path::new("/etc/sudoers"), text).unwrap()
    }

    #[test]
    fn directives_comments_and_tags() {
        let entries = parse(
            "# NOPASSWD: in a comment\n\
             @includedir /etc/sudoers.d\n\
             #include \"other file\"\n\
             #includedir\n\
             root ALL=(ALL:ALL) ALL\n\
             %sudo ALL=(ALL) NOPASSWD : ALL # trailing\n\
             #1000 ALL = PASSWD: /bin/ls, \\\n  NOPASSWD: /bin/cat\n\
             Defaults:deploy !authenticate\n\
             alice ALL = NOPASSWDX: /bin/true\n\
             bob ALL = ALL # NOPASSWD: ALL\n",
        );
        let who = |e: &Entry| match e {
            Entry::NoPassword { who, how } => format!("{who} {how}"),
            Entry::Include(p) => format!("include {p}"),
            Entry::IncludeDir(p) => format!("includedir {p}"),
        };
        let summary: Vec<(usize, String)> = entries.iter().map(|(n, e)| (*n, who(e))).collect();
        assert_eq!(
            summary,
            [
                (2, "includedir /etc/sudoers.d".to_owned()),
                (3, "include other file".to_owned()),
                (6, "%sudo NOPASSWD".to_owned()),
                (7, "#1000 NOPASSWD".to_owned()),
                (9, "Defaults:deploy !authenticate".to_owned()),
            ]
        );
    }

    #[test]
    fn a_dangling_continuation_is_an_error() {
        let err = parse_sudoers(Path::new("/etc/sudoers"), "a ALL=ALL\nb ALL=\\").unwrap_err();
        assert_eq!(err.line, Some(2));
    }
}
