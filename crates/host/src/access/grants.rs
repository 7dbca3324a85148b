//! Access authorisation: every account a person can log in with is covered by an active grant
//! in phiguard's register (HIPAA 164.308(a)(4)(ii)(B)-(C) and 164.312(a)(1)).
//!
//! The register lives in another crate; the caller reads it and passes the login names it
//! grants on this host through [`Settings`], so the host crate does not depend on it and this
//! check reads only files under the context's root: an image is audited like a live host.
//! Who counts as a person is decided the way shadow-utils decides it when it creates accounts,
//! a UID in `UID_MIN..=UID_MAX` of `/etc/login.defs`, plus a shell that gives a session. A
//! locked password does not exempt an account, since SSH keys still log in to it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use phiguard_core::{Check, CheckContext, CheckMeta, Finding, Severity, Status};

use super::accounts::{self, PASSWD, PasswdEntry, parse_passwd};
use super::{ConfigError, numbered_lines, read_text};
use crate::{FnCheck, Settings, meta};

pub const LOGIN_DEFS: &str = "/etc/login.defs";
pub const SHELLS: &str = "/etc/shells";

/// The UIDs useradd gives people when login.defs sets no range (shadow-utils' defaults).
pub const DEFAULT_UIDS: UidRange = UidRange {
    min: 1000,
    max: 60000,
};

/// `nobody`'s UID on Linux. Some systems raise UID_MAX past it, and it is an account for
/// unprivileged daemons and NFS squashing, never a person.
const NOBODY_UID: u32 = 65534;

/// Programs that end a login at once. An account with one of them as its shell gets no session
/// whatever `/etc/shells` says: older Red Hat releases list `/sbin/nologin` there.
const NO_SESSION: [&str; 6] = ["nologin", "false", "true", "sync", "shutdown", "halt"];

/// The shell passwd(5) gives an account whose shell field is empty.
const DEFAULT_SHELL: &str = "/bin/sh";

/// The UIDs of people's accounts, `UID_MIN..=UID_MAX` in login.defs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UidRange {
    pub min: u32,
    pub max: u32,
}

impl UidRange {
    pub fn contains(self, uid: u32) -> bool {
        (self.min..=self.max).contains(&uid)
    }
}

/// Reads `UID_MIN` and `UID_MAX` from login.defs (`NAME VALUE` lines, `#` comments). As in
/// shadow-utils the last setting wins, a value may be quoted, and numbers are read like
/// strtoul with base 0 (`0x` hex, a leading `0` octal). Where useradd would fall back to the
/// default on a value it cannot read, this is an error: the range decides whose access is
/// judged, and a guess could leave people's accounts out.
pub fn parse_login_defs(path: &Path, text: &str) -> Result<UidRange, ConfigError> {
    let mut uids = DEFAULT_UIDS;
    let mut max_line = None;
    for (number, line) in numbered_lines(text) {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (name, value) = line
            .split_once(char::is_whitespace)
            .map_or((line, ""), |(name, value)| (name, value.trim()));
        let slot = match name {
            "UID_MIN" => &mut uids.min,
            "UID_MAX" => &mut uids.max,
            _ => continue,
        };
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(value);
        *slot = parse_number(value).ok_or_else(|| {
            ConfigError::at(
                path,
                number,
                format!("{name} is not a number in the range of UIDs"),
            )
        })?;
        if name == "UID_MAX" {
            max_line = Some(number);
        }
    }
    if uids.min > uids.max {
        let reason = format!("UID_MIN {} is above UID_MAX {}", uids.min, uids.max);
        return Err(match max_line {
            Some(line) => ConfigError::at(path, line, reason),
            None => ConfigError::file(path, reason),
        });
    }
    Ok(uids)
}

/// A number as strtoul reads it with base 0, without sign or trailing text.
fn parse_number(value: &str) -> Option<u32> {
    let (digits, radix) = if let Some(hex) = value
        .strip_prefix("0x")
        .or_else(|| value.strip_prefix("0X"))
    {
        (hex, 16)
    } else if value.len() > 1
        && let Some(octal) = value.strip_prefix('0')
    {
        (octal, 8)
    } else {
        (value, 10)
    };
    // from_str_radix accepts a sign, which strtoul's callers in shadow-utils would not.
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u32::from_str_radix(digits, radix).ok()
}

/// The shells `/etc/shells` lists, read as getusershell(3) reads them: on each line the
/// first word that starts with `/`, up to a `#`.
pub fn parse_shells(text: &str) -> BTreeSet<String> {
    numbered_lines(text)
        .filter_map(|(_, line)| {
            let line = line.split('#').next().unwrap_or_default();
            line.split_whitespace()
                .next()
                .filter(|shell| shell.starts_with('/'))
                .map(str::to_owned)
        })
        .collect()
}

/// Why an account is not one a person logs in with, or `None` when it is. `shells` is the
/// content of `/etc/shells` when the file exists: then only a shell it lists gives a session,
/// as chsh and pam_shells take it.
pub fn why_not_a_person(
    entry: &PasswdEntry,
    uids: UidRange,
    shells: Option<&BTreeSet<String>>,
) -> Option<String> {
    let shell = if entry.shell.is_empty() {
        DEFAULT_SHELL
    } else {
        entry.shell.as_str()
    };
    let program = Path::new(shell)
        .file_name()
        .and_then(|name| name.to_str())
        .unwrap_or(shell);
    if entry.uid == 0 {
        Some("it has UID 0, which the other access checks judge".to_owned())
    } else if entry.name == "nobody" || entry.uid == NOBODY_UID {
        Some("it is `nobody`, the unprivileged account of daemons".to_owned())
    } else if entry.uid < uids.min {
        Some(format!(
            "its UID is below UID_MIN {}, where system accounts are",
            uids.min
        ))
    } else if entry.uid > uids.max {
        Some(format!("its UID is above UID_MAX {}", uids.max))
    } else if NO_SESSION.contains(&program) {
        Some(format!("its shell {shell} gives no session"))
    } else if shells.is_some_and(|listed| !listed.contains(shell)) {
        Some(format!("its shell {shell} is not listed in {SHELLS}"))
    } else {
        None
    }
}

pub(crate) fn check(settings: &Settings) -> Box<dyn Check> {
    let granted = settings.granted_accounts.clone();
    let system = settings.register_system.clone();
    FnCheck::boxed(
        meta(
            "host.access.ungranted_accounts",
            "every account people log in with has an active grant in the register",
            Severity::High,
            "HIPAA 164.308(a)(4)(ii)(B)-(C) requires access to be granted through a documented \
             authorisation, and 164.312(a)(1) limits access to systems holding ePHI to the \
             people granted it. A login account that no active grant covers is access nobody \
             can show was authorised: a leaver's account never removed, a login shared beyond \
             the person it was made for, or one an intruder added. It is also left out of the \
             periodic access reviews, which start from the register's grants.",
            "For each listed account someone is authorised to use, record the grant in the \
             register (`phiguard register grant add` with `--system` the name the register \
             uses for this host and `--account` the login name). Remove accounts nobody is \
             authorised to use (`userdel <name>`; `usermod -L -e 1 <name>` locks one, SSH \
             keys included, while you find its owner), or give service accounts a shell that \
             refuses logins (`usermod -s /usr/sbin/nologin <name>`) so that /etc/passwd no \
             longer lets them in. A grant for an account that is not in /etc/passwd is stale: \
             revoke it in the register, or correct the login name it records.",
        ),
        move |meta, ctx| {
            Ok(ungranted_accounts(
                meta,
                ctx,
                granted.as_ref(),
                system.as_deref(),
            ))
        },
    )
}

/// What the check reads from the root: the accounts (`None` without `/etc/passwd`), the
/// range of people's UIDs, and the listed shells when `/etc/shells` exists.
type Accounts = (Option<Vec<PasswdEntry>>, UidRange, Option<BTreeSet<String>>);

fn read_accounts(ctx: &CheckContext) -> Result<Accounts, ConfigError> {
    let entries = accounts::load(&ctx.path(PASSWD), parse_passwd)?;
    let login_defs = ctx.path(LOGIN_DEFS);
    let uids = match read_text(&login_defs)? {
        Some(text) => parse_login_defs(&login_defs, &text)?,
        None => DEFAULT_UIDS,
    };
    let shells = read_text(&ctx.path(SHELLS))?.map(|text| parse_shells(&text));
    Ok((entries, uids, shells))
}

fn ungranted_accounts(
    meta: &CheckMeta,
    ctx: &CheckContext,
    granted: Option<&BTreeSet<String>>,
    system: Option<&str>,
) -> Vec<Finding> {
    let passwd = ctx.path(PASSWD).display().to_string();
    let Some(granted) = granted else {
        return vec![meta.finding(
            Status::NotApplicable,
            passwd,
            "the register was not consulted, so there are no grants to match the accounts \
             against",
        )];
    };
    let (entries, uids, shells) = match read_accounts(ctx) {
        Ok(read) => read,
        Err(err) => return vec![err.finding(meta)],
    };
    let Some(entries) = entries else {
        return vec![meta.finding(
            Status::NotApplicable,
            passwd,
            "there is no /etc/passwd, so there are no local accounts to match against the \
             register's grants",
        )];
    };
    let system = system.or(ctx.host.as_deref());
    let on = system.unwrap_or("this host");

    let mut findings = Vec::new();
    // Accounts that exist but are not people's, with the reason, for grants that name them.
    let mut others: BTreeMap<&str, (&PasswdEntry, String)> = BTreeMap::new();
    let mut people = BTreeSet::new();
    for entry in &entries {
        let name = entry.name.as_str();
        // getpwnam(3), and so every login, uses the first line with a name.
        if people.contains(name) || others.contains_key(name) {
            continue;
        }
        if let Some(reason) = why_not_a_person(entry, uids, shells.as_ref()) {
            others.insert(name, (entry, reason));
            continue;
        }
        people.insert(name);
        findings.push(if granted.contains(name) {
            meta.finding(
                Status::Pass,
                name,
                format!(
                    "account `{name}` (uid {}) is covered by an active grant in the register \
                     on {on}",
                    entry.uid
                ),
            )
        } else {
            meta.finding(
                Status::Fail,
                name,
                format!(
                    "account `{name}` (uid {}) can log in but no active grant in the register \
                     covers it; record one with `phiguard register grant add ... --system {} \
                     --account {name}` or remove the account",
                    entry.uid,
                    system.unwrap_or("<host>"),
                ),
            )
        });
    }
    for name in granted {
        if people.contains(name.as_str()) {
            continue;
        }
        findings.push(match others.get(name.as_str()) {
            Some((entry, reason)) => meta.finding(
                Status::Pass,
                name,
                format!(
                    "the register grants `{name}` on {on}; the account exists (uid {}) but is \
                     not one people log in with: {reason}",
                    entry.uid
                ),
            ),
            None => meta.finding(
                Status::Warn,
                name,
                format!(
                    "the register grants `{name}` on {on} but no such account exists; the \
                     grant may be stale"
                ),
            ),
        });
    }
    if findings.is_empty() {
        findings.push(meta.finding(
            Status::NotApplicable,
            passwd,
            format!(
                "no account people log in with (UID {} to {} and a login shell) and the \
                 register grants none on {on}",
                uids.min, uids.max
            ),
        ));
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, uid: u32, shell: &str) -> PasswdEntry {
        let line = format!("{name}:x:{uid}:{uid}::/home/{name}:{shell}");
        parse_passwd(Path::new(PASSWD), &line).unwrap().remove(0)
    }

    #[test]
    fn login_defs_numbers_are_read_like_strtoul() {
        let path = Path::new(LOGIN_DEFS);
        let uids = parse_login_defs(
            path,
            "# comment\nUID_MIN\t 0x3e8\nUID_MAX \"070000\"\nUID_MIN 2000\nSYS_UID_MIN 100\n",
        )
        .unwrap();
        assert_eq!(
            uids,
            UidRange {
                min: 2000,
                max: 0o70000
            }
        );
        assert_eq!(parse_login_defs(path, "").unwrap(), DEFAULT_UIDS);
        for bad in [
            "UID_MIN\n",
            "UID_MIN -5\n",
            "UID_MIN 1000 # people\n",
            "UID_MIN 09\n",
        ] {
            let err = parse_login_defs(path, bad).unwrap_err();
            assert_eq!(
                err.to_string(),
                "/etc/login.defs line 1: UID_MIN is not a number in the range of UIDs",
                "{bad:?}"
            );
        }
        let err = parse_login_defs(path, "UID_MAX 500\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "/etc/login.defs line 1: UID_MIN 1000 is above UID_MAX 500"
        );
    }

    #[test]
    fn shells_are_read_like_getusershell() {
        let shells = parse_shells("# /etc/shells\n/bin/sh\n  /bin/bash # GNU\nbash\n\n");
        assert_eq!(
            shells.into_iter().collect::<Vec<_>>(),
            ["/bin/bash", "/bin/sh"]
        );
    }

    #[test]
    fn people_are_told_from_system_accounts() {
        let shells: BTreeSet<String> = ["/bin/bash", "/sbin/nologin"].map(String::from).into();
        let person = |e: &PasswdEntry, shells| why_not_a_person(e, DEFAULT_UIDS, shells);
        assert_eq!(person(&entry("bob", 1000, "/bin/bash"), None), None);
        assert_eq!(
            person(&entry("bob", 1000, ""), None),
            None,
            "empty is /bin/sh"
        );
        assert!(person(&entry("bob", 1000, ""), Some(&shells)).is_some());
        assert!(person(&entry("root", 0, "/bin/bash"), None).is_some());
        assert!(person(&entry("nobody", 65534, "/bin/sh"), None).is_some());
        assert!(person(&entry("svc", 999, "/bin/bash"), None).is_some());
        assert!(person(&entry("big", 60001, "/bin/bash"), None).is_some());
        for shell in ["/sbin/nologin", "/bin/false", "/bin/sync", "/usr/bin/true"] {
            assert!(
                person(&entry("x", 1000, shell), Some(&shells)).is_some(),
                "{shell}"
            );
            assert!(person(&entry("x", 1000, shell), None).is_some(), "{shell}");
        }
    }
}
