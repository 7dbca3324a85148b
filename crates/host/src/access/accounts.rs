//! Local accounts: every user a distinct identity (no second UID 0), and none without a
//! password. `/etc/shadow` is parsed into what the checks need, whether a password is empty,
//! locked or set, so the hash itself never leaves the parser.

use std::path::Path;

use phiguard_core::{Check, CheckContext, CheckError, CheckMeta, Finding, Severity, Status};

use super::{ConfigError, numbered_lines, read_text};
use crate::{FnCheck, meta};

pub const PASSWD: &str = "/etc/passwd";
pub const SHADOW: &str = "/etc/shadow";

/// What a password field says, without the hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Password {
    /// An empty field: no password is needed (where PAM's `nullok` allows it).
    Empty,
    /// `!`, `*`, `!!` or a hash behind `!`: password login is locked.
    Locked,
    /// `x` in `/etc/passwd`: the password is in `/etc/shadow`.
    Shadowed,
    /// A hash.
    Set,
}

impl Password {
    fn of(field: &str) -> Password {
        match field {
            "" => Password::Empty,
            "x" => Password::Shadowed,
            f if f.starts_with(['!', '*']) => Password::Locked,
            _ => Password::Set,
        }
    }
}

/// One line of `/etc/passwd`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswdEntry {
    pub name: String,
    pub password: Password,
    pub uid: u32,
    /// The login shell as written; empty means `/bin/sh` (passwd(5)). Kept so the grants
    /// check can tell accounts people log in with from service accounts.
    pub shell: String,
    pub line: usize,
}

/// One line of `/etc/shadow`: the name and what its password field says, never the hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShadowEntry {
    pub name: String,
    pub password: Password,
    pub line: usize,
}

/// The account lines of a passwd or shadow file: blank lines, comments and NIS `+`/`-`
/// entries are skipped, the rest split on colons. Error messages never quote the line.
fn account_lines<'t>(
    path: &'t Path,
    text: &'t str,
    fields: std::ops::RangeInclusive<usize>,
) -> impl Iterator<Item = Result<(usize, Vec<&'t str>), ConfigError>> + 't {
    numbered_lines(text)
        .filter(|(_, line)| !line.trim().is_empty() && !line.starts_with(['#', '+', '-']))
        .map(move |(number, line)| {
            let parts: Vec<&str> = line.split(':').collect();
            if !fields.contains(&parts.len()) {
                let expected = if fields.start() == fields.end() {
                    fields.start().to_string()
                } else {
                    format!("{} to {}", fields.start(), fields.end())
                };
                return Err(ConfigError::at(
                    path,
                    number,
                    format!(
                        "expected {expected} colon-separated fields, found {}",
                        parts.len()
                    ),
                ));
            }
            if parts[0].is_empty() {
                return Err(ConfigError::at(path, number, "the account name is empty"));
            }
            Ok((number, parts))
        })
}

/// Parses `/etc/passwd` (`name:password:uid:gid:gecos:home:shell`).
pub fn parse_passwd(path: &Path, text: &str) -> Result<Vec<PasswdEntry>, ConfigError> {
    account_lines(path, text, 7..=7)
        .map(|line| {
            let (number, parts) = line?;
            let uid = parts[2].parse().map_err(|_| {
                ConfigError::at(
                    path,
                    number,
                    format!("the UID of {} is not a number", parts[0]),
                )
            })?;
            Ok(PasswdEntry {
                name: parts[0].to_owned(),
                password: Password::of(parts[1]),
                uid,
                shell: parts[6].to_owned(),
                line: number,
            })
        })
        .collect()
}

/// Parses `/etc/shadow` (`name:hash:` and seven aging fields). Lines with fewer aging
/// fields are accepted, since only the first two are judged.
pub fn parse_shadow(path: &Path, text: &str) -> Result<Vec<ShadowEntry>, ConfigError> {
    account_lines(path, text, 2..=9)
        .map(|line| {
            let (number, parts) = line?;
            Ok(ShadowEntry {
                name: parts[0].to_owned(),
                password: Password::of(parts[1]),
                line: number,
            })
        })
        .collect()
}

pub(crate) fn checks() -> Vec<Box<dyn Check>> {
    vec![
        FnCheck::boxed(
            meta(
                "host.access.uid0_accounts",
                "root is the only account with UID 0",
                Severity::High,
                "HIPAA 164.312(a)(2)(i) requires a unique identity for each user. The kernel \
                 knows users by UID, so a second account with UID 0 is root under another \
                 name: it bypasses every permission, and logs and audit records show it as \
                 root, or under a name that hides that it is root.",
                "Give each extra UID 0 account in /etc/passwd its own unused UID (`usermod -u \
                 <uid> <name>`) or remove it (`userdel <name>`), and grant the person sudo \
                 rights instead. Check afterwards for files it owned (`find / -uid 0 -user \
                 <name>` is empty once the UID is changed).",
            ),
            uid0_accounts,
        ),
        FnCheck::boxed(
            meta(
                "host.access.empty_passwords",
                "no account has an empty password",
                Severity::High,
                "HIPAA 164.312(d) requires verifying that a person is who they claim to be, and \
                 164.312(a)(1) limits access to authorised people. An account with an empty \
                 password field can be entered without any credential wherever PAM allows \
                 null passwords (`nullok`, the default on many distributions).",
                "Lock each listed account (`passwd -l <name>`) or give it a password (`passwd \
                 <name>`), which rewrites its field in /etc/shadow (or /etc/passwd for an \
                 account without a shadow entry). Remove `nullok` from pam_unix lines in \
                 /etc/pam.d/ so an empty password can never log in.",
            ),
            empty_passwords,
        ),
    ]
}

/// Reads and parses an account file; `Ok(None)` when it does not exist.
pub(crate) fn load<T>(
    path: &Path,
    parse: fn(&Path, &str) -> Result<Vec<T>, ConfigError>,
) -> Result<Option<Vec<T>>, ConfigError> {
    read_text(path)?.map(|text| parse(path, &text)).transpose()
}

fn uid0_accounts(meta: &CheckMeta, ctx: &CheckContext) -> Result<Vec<Finding>, CheckError> {
    let path = ctx.path(PASSWD);
    let subject = path.display().to_string();
    let entries = match load(&path, parse_passwd) {
        Ok(Some(entries)) => entries,
        Ok(None) => {
            return Ok(vec![meta.finding(
                Status::NotApplicable,
                subject,
                "there is no /etc/passwd, so there are no local accounts",
            )]);
        }
        Err(err) => return Ok(vec![err.finding(meta)]),
    };
    let others: Vec<String> = entries
        .iter()
        .filter(|e| e.uid == 0 && e.name != "root")
        .map(|e| format!("{} (line {})", e.name, e.line))
        .collect();
    Ok(vec![if others.is_empty() {
        meta.finding(
            Status::Pass,
            subject,
            format!(
                "root is the only account with UID 0 among {} accounts",
                entries.len()
            ),
        )
    } else {
        meta.finding(
            Status::Fail,
            subject,
            format!(
                "besides root, UID 0 belongs to {}: each is root under another name",
                others.join(", ")
            ),
        )
    }])
}

fn empty_passwords(meta: &CheckMeta, ctx: &CheckContext) -> Result<Vec<Finding>, CheckError> {
    let passwd_path = ctx.path(PASSWD);
    let shadow_path = ctx.path(SHADOW);
    let (passwd, shadow) = match (
        load(&passwd_path, parse_passwd),
        load(&shadow_path, parse_shadow),
    ) {
        (Err(err), _) | (_, Err(err)) => return Ok(vec![err.finding(meta)]),
        (Ok(passwd), Ok(shadow)) => (passwd, shadow),
    };
    if passwd.is_none() && shadow.is_none() {
        return Ok(vec![meta.finding(
            Status::NotApplicable,
            passwd_path.display().to_string(),
            "there is no /etc/passwd or /etc/shadow, so there are no local accounts",
        )]);
    }
    // An empty field in /etc/passwd means no password at all: the shadow file is not consulted.
    let mut empty: Vec<String> = passwd
        .iter()
        .flatten()
        .filter(|e| e.password == Password::Empty)
        .map(|e| format!("{} ({} line {})", e.name, passwd_path.display(), e.line))
        .collect();
    empty.extend(
        shadow
            .iter()
            .flatten()
            .filter(|e| e.password == Password::Empty)
            .map(|e| format!("{} ({} line {})", e.name, shadow_path.display(), e.line)),
    );
    let subject = if shadow.is_some() {
        &shadow_path
    } else {
        &passwd_path
    };
    let subject = subject.display().to_string();
    Ok(vec![if empty.is_empty() {
        let accounts = shadow
            .as_ref()
            .map(Vec::len)
            .or(passwd.as_ref().map(Vec::len))
            .unwrap_or(0);
        let mut message = format!("none of the {accounts} accounts has an empty password");
        if shadow.is_none() {
            message.push_str("; there is no /etc/shadow, so only /etc/passwd was read");
        }
        meta.finding(Status::Pass, subject, message)
    } else {
        meta.finding(
            Status::Fail,
            subject,
            format!(
                "these accounts have an empty password, so anyone can log in as them or `su` \
                 to them without one wherever PAM allows it: {}",
                empty.join(", ")
            ),
        )
    }])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_fields_are_classified() {
        assert_eq!(Password::of(""), Password::Empty);
        assert_eq!(Password::of("x"), Password::Shadowed);
        for locked in ["!", "!!", "*", "!$6$abc$def"] {
            assert_eq!(Password::of(locked), Password::Locked, "{locked}");
        }
        assert_eq!(Password::of("$y$j9T$salt$hash"), Password::Set);
    }

    #[test]
    fn passwd_lines_are_checked() {
        let path = Path::new("/etc/passwd");
        let entries = parse_passwd(
            path,
            "root:x:0:0:root:/root:/bin/bash\n\n+nis\nbob::1000:1000::/home/bob:/bin/sh\n",
        )
        .unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[1].password, Password::Empty);
        assert_eq!(entries[1].line, 4);
        assert_eq!(entries[1].shell, "/bin/sh");
        let err = parse_passwd(path, "root:x:zero:0:root:/root:/bin/bash\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "/etc/passwd line 1: the UID of root is not a number"
        );
        let err = parse_passwd(path, "root:x:0:0\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "/etc/passwd line 1: expected 7 colon-separated fields, found 4"
        );
    }
}
