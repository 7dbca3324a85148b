//! Automatic logoff (HIPAA 164.312(a)(2)(iii)): idle shells end by themselves (`TMOUT`), and
//! sshd drops SSH connections whose client has gone away.
//!
//! The two do different things. `TMOUT` ends an interactive shell that has waited that long
//! for input, which is what the standard asks for. sshd's `ClientAliveInterval` times
//! `ClientAliveCountMax` ends connections whose client stopped answering (a laptop closed, a
//! network gone), leaving no orphaned session behind, but a responsive client stays logged in
//! however long it idles. So both set is a pass, one alone a warning, neither a failure.

use std::path::{Path, PathBuf};

use phiguard_core::{Check, CheckContext, CheckError, CheckMeta, Finding, Severity, Status};

use super::sshd::{Location, Sshd};
use super::{ConfigError, SharedSshd, numbered_lines, read_text, sorted_entries};
use crate::{FnCheck, meta};

/// The longest idle time accepted, in seconds: 15 minutes, the common benchmark (CIS, DISA
/// STIG allow at most this) for a session left unattended.
pub const MAX_IDLE_SECONDS: u64 = 900;

/// Shell start-up files read by every login shell (`/etc/bashrc` is Red Hat's name for
/// Debian's `/etc/bash.bashrc`); `/etc/profile.d/*.sh` is listed separately.
const SHELL_FILES: &[&str] = &["/etc/profile", "/etc/bash.bashrc", "/etc/bashrc"];
const PROFILE_D: &str = "/etc/profile.d";

/// One `TMOUT=` assignment in a shell start-up file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tmout {
    pub at: Location,
    /// The value as written, quotes removed.
    pub value: String,
    /// The value in seconds, when it is a plain number.
    pub seconds: Option<u64>,
    /// Whether this statement also makes it read-only (`readonly TMOUT=600`,
    /// `declare -r TMOUT=600`), so users cannot unset it.
    pub readonly: bool,
}

/// What a shell file says about TMOUT: its assignments, and whether a separate statement
/// (`readonly TMOUT`) makes it read-only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShellTimeouts {
    pub assignments: Vec<Tmout>,
    pub made_readonly: bool,
}

/// Finds TMOUT assignments in shell text. Shell cannot be evaluated without running it, so
/// this reads statements (split at `;`, `&` and `|`) word by word: enough for the ways
/// hardening guides and tools write it, including inside `if ...; then TMOUT=600; fi`.
pub fn parse_shell(path: &Path, text: &str) -> ShellTimeouts {
    let mut found = ShellTimeouts::default();
    for (number, line) in numbered_lines(text) {
        for statement in without_comment(line).split([';', '&', '|']) {
            // Words such as `then` only introduce the command that follows them.
            let words: Vec<&str> = statement
                .split_whitespace()
                .skip_while(|w| ["then", "else", "do", "{", "(", "!"].contains(w))
                .collect();
            let readonly_here = words
                .iter()
                .take_while(|w| !w.starts_with("TMOUT"))
                .any(|w| *w == "readonly" || (w.starts_with('-') && w.contains('r')))
                && words.first().is_some_and(|w| {
                    ["readonly", "declare", "typeset", "export", "local"].contains(w)
                });
            for word in &words {
                if let Some(value) = word.strip_prefix("TMOUT=") {
                    let value = value.trim_matches(['"', '\'']).to_owned();
                    found.assignments.push(Tmout {
                        at: Location {
                            path: path.to_path_buf(),
                            line: number,
                        },
                        seconds: value.parse().ok(),
                        value,
                        readonly: readonly_here,
                    });
                } else if *word == "TMOUT" && readonly_here {
                    found.made_readonly = true;
                }
            }
        }
    }
    found
}

/// The line up to a `#` that starts a word, as the shell reads comments.
fn without_comment(line: &str) -> &str {
    let mut previous = ' ';
    for (i, c) in line.char_indices() {
        if c == '#' && previous.is_whitespace() {
            return &line[..i];
        }
        previous = c;
    }
    line
}

pub(crate) fn check(sshd: &SharedSshd) -> Box<dyn Check> {
    let sshd = std::sync::Arc::clone(sshd);
    FnCheck::boxed(
        meta(
            "host.access.auto_logoff",
            "idle sessions end automatically",
            Severity::Medium,
            "HIPAA 164.312(a)(2)(iii) (automatic logoff, addressable): a session left open \
             on an unattended terminal gives whoever sits down at it the user's access to \
             ePHI. Shells should end after at most 15 minutes without input, and sshd should \
             drop connections whose client has gone.",
            "Create /etc/profile.d/tmout.sh containing `readonly TMOUT=900` and \
             `export TMOUT` (900 seconds or less), and set `ClientAliveInterval 300` and \
             `ClientAliveCountMax 3` (their product at most 900) in \
             /etc/ssh/sshd_config.d/00-phiguard.conf or near the top of /etc/ssh/sshd_config, \
             then reload sshd. Remove any other TMOUT line that sets a longer or zero timeout.",
        ),
        move |meta, ctx| auto_logoff(meta, ctx, &sshd),
    )
}

/// How one mechanism is configured, with the words that say so.
enum State {
    Good(String),
    /// Configured, but weaker than it should be (TMOUT that users can unset).
    Weak(String),
    Missing(String),
    /// Not there to configure (no SSH server).
    Absent,
}

fn shell_state(ctx: &CheckContext) -> Result<State, ConfigError> {
    let mut files: Vec<PathBuf> = SHELL_FILES.iter().map(|f| ctx.path(f)).collect();
    files.extend(sorted_entries(&ctx.path(PROFILE_D), |name| {
        name.ends_with(".sh")
    })?);
    let mut assignments = Vec::new();
    let mut made_readonly = false;
    for file in files {
        if let Some(text) = read_text(&file)? {
            let found = parse_shell(&file, &text);
            assignments.extend(found.assignments);
            made_readonly |= found.made_readonly;
        }
    }
    if assignments.is_empty() {
        return Ok(State::Missing(
            "no shell start-up file sets TMOUT, so idle shells stay open".into(),
        ));
    }
    // Which assignment runs last depends on the shell and on conditions phiguard cannot
    // evaluate, so every one of them must be acceptable.
    let bad: Vec<String> = assignments
        .iter()
        .filter(|t| {
            !t.seconds
                .is_some_and(|s| (1..=MAX_IDLE_SECONDS).contains(&s))
        })
        .map(|t| match t.seconds {
            Some(0) => format!("TMOUT=0 turns the timeout off ({})", t.at),
            Some(s) => format!("TMOUT={s} is longer than {MAX_IDLE_SECONDS} s ({})", t.at),
            None => format!("TMOUT={} is not a number of seconds ({})", t.value, t.at),
        })
        .collect();
    if !bad.is_empty() {
        return Ok(State::Missing(bad.join("; ")));
    }
    let places: Vec<String> = assignments
        .iter()
        .map(|t| format!("TMOUT={} ({})", t.value, t.at))
        .collect();
    let places = places.join(", ");
    if made_readonly || assignments.iter().any(|t| t.readonly) {
        Ok(State::Good(format!(
            "idle shells end after {places}, read-only"
        )))
    } else {
        Ok(State::Weak(format!(
            "idle shells end after {places}, but TMOUT is not read-only, so any user can unset it"
        )))
    }
}

fn ssh_state(ctx: &CheckContext, sshd: &SharedSshd) -> Result<State, ConfigError> {
    let loaded = sshd.get(ctx, || Sshd::load(ctx));
    let Some(sshd) = loaded.as_ref().as_ref().map_err(Clone::clone)? else {
        return Ok(State::Absent);
    };
    let mut bad = Vec::new();
    let mut good = Vec::new();
    for scope in sshd.scopes(&["clientaliveinterval", "clientalivecountmax"]) {
        let interval = scope.get("clientaliveinterval");
        let count = scope.get("clientalivecountmax");
        let (seconds, max) = (interval.seconds()?, count.integer()?);
        let shown = format!("{} and {}", interval.describe(), count.describe());
        let place = scope
            .match_block()
            .map(|b| format!("for `Match {}` ({}): ", b.criteria, b.at))
            .unwrap_or_default();
        if seconds == 0 {
            bad.push(format!(
                "{place}sshd never checks whether the client is still there ({shown})"
            ));
        } else if max == 0 {
            // Since OpenSSH 8.2 a zero count disables the disconnection.
            bad.push(format!(
                "{place}sshd checks the client but never disconnects it ({shown})"
            ));
        } else if seconds.saturating_mul(max) > MAX_IDLE_SECONDS {
            bad.push(format!(
                "{place}sshd drops an unresponsive client only after {} s, more than {MAX_IDLE_SECONDS} s ({shown})",
                seconds.saturating_mul(max)
            ));
        } else {
            good.push(format!(
                "{place}sshd drops an unresponsive client after {} s ({shown})",
                seconds * max
            ));
        }
    }
    let note = sshd
        .note
        .as_ref()
        .map(|n| format!("; {n}"))
        .unwrap_or_default();
    Ok(if bad.is_empty() {
        State::Good(format!("{}{note}", good.join("; ")))
    } else {
        State::Missing(format!("{}{note}", bad.join("; ")))
    })
}

fn auto_logoff(
    meta: &CheckMeta,
    ctx: &CheckContext,
    sshd: &SharedSshd,
) -> Result<Vec<Finding>, CheckError> {
    let (shell, ssh) = match (shell_state(ctx), ssh_state(ctx, sshd)) {
        (Err(err), _) | (_, Err(err)) => return Ok(vec![err.finding(meta)]),
        (Ok(shell), Ok(ssh)) => (shell, ssh),
    };
    let status = match (&shell, &ssh) {
        (State::Good(_), State::Good(_) | State::Absent) => Status::Pass,
        (State::Missing(_) | State::Absent, State::Missing(_) | State::Absent) => Status::Fail,
        _ => Status::Warn,
    };
    let mut parts = Vec::new();
    for state in [&shell, &ssh] {
        match state {
            State::Good(text) | State::Weak(text) | State::Missing(text) => {
                parts.push(text.clone())
            }
            State::Absent => parts.push("no SSH server is configured".into()),
        }
    }
    if let (State::Missing(_), State::Good(_)) = (&shell, &ssh) {
        parts.push(
            "sshd only drops clients that stop answering; an idle but connected session stays \
             open until TMOUT ends its shell"
                .into(),
        );
    }
    Ok(vec![meta.finding(
        status,
        ctx.root.display().to_string(),
        parts.join("; "),
    )])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tmout_statements_are_found() {
        let found = parse_shell(
            Path::new("/etc/profile"),
            "# TMOUT=99999\n\
             TMOUT=600\n\
             readonly TMOUT=\"300\"; export TMOUT\n\
             if [ -n \"$X\" ]; then declare -r TMOUT=120; fi\n\
             export TMOUT=${T:-900} # default\n\
             echo TMOUT\n\
             readonly TMOUT\n",
        );
        let summary: Vec<(usize, &str, Option<u64>, bool)> = found
            .assignments
            .iter()
            .map(|t| (t.at.line, t.value.as_str(), t.seconds, t.readonly))
            .collect();
        assert_eq!(
            summary,
            [
                (2, "600", Some(600), false),
                (3, "300", Some(300), true),
                (4, "120", Some(120), true),
                (5, "${T:-900}", None, false),
            ]
        );
        assert!(found.made_readonly);
        let echo_only = parse_shell(Path::new("/x"), "echo TMOUT\nexport TMOUT\n");
        assert!(!echo_only.made_readonly && echo_only.assignments.is_empty());
    }
}
