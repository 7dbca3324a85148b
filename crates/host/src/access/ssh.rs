//! The SSH checks: who may log in (root), how (passwords, a second factor), and with which
//! algorithms. Each judges the global settings and every Match block that changes them, and
//! reports the worst in one finding, so a `Match User admin` that re-enables passwords is
//! not hidden behind a good global value.

use std::sync::Arc;

use phiguard_core::{Check, CheckContext, CheckError, CheckMeta, Finding, Severity, Status};

use super::sshd::{Scope, Sshd, display_name};
use super::{ConfigError, SharedSshd};
use crate::{FnCheck, meta};

/// Where the remediations tell people to put a setting. sshd keeps the first value it reads,
/// and Debian and Ubuntu include `sshd_config.d/*.conf` at the top of `sshd_config`, so a
/// drop-in that sorts first wins over everything else.
const WHERE: &str = "in /etc/ssh/sshd_config.d/00-phiguard.conf (drop-ins are read first on \
    Debian and Ubuntu, and sshd keeps the first value it reads), or near the top of \
    /etc/ssh/sshd_config above any Include and Match line; and remove or fix any earlier line \
    that sets it. Check with `sshd -t`, then reload with `systemctl reload ssh` (or sshd)";

type Judge = fn(&Scope<'_>) -> Result<(Status, String), ConfigError>;

pub(crate) fn checks(sshd: &SharedSshd) -> Vec<Box<dyn Check>> {
    vec![
        ssh_check(
            sshd,
            meta(
                "host.access.ssh_root_login",
                "SSH does not let root log in",
                Severity::High,
                "HIPAA 164.312(a)(2)(i) requires a unique identity for every user. A root login \
                 is a shared identity: the logs show that root acted, not who. Administrators \
                 should log in as themselves and elevate with sudo, which records who did what.",
                &format!(
                    "Set `PermitRootLogin no` {WHERE}. Give each administrator their own account \
                     and sudo rights first, so nobody is locked out."
                ),
            ),
            &["permitrootlogin"],
            judge_root_login,
        ),
        ssh_check(
            sshd,
            meta(
                "host.access.ssh_password_auth",
                "SSH does not accept a password alone",
                Severity::High,
                "HIPAA 164.312(d) requires verifying that a person is who they claim to be. SSH \
                 passwords can be guessed, sprayed and phished from anywhere the port is \
                 reachable; keys (or a password only as a second factor) resist that.",
                &format!(
                    "Set `PasswordAuthentication no` and `KbdInteractiveAuthentication no` {WHERE}. \
                     Install each user's public key in ~/.ssh/authorized_keys first. To keep a \
                     password as a second factor instead, set \
                     `AuthenticationMethods publickey,password` (or \
                     `publickey,keyboard-interactive`)."
                ),
            ),
            &[
                "passwordauthentication",
                "kbdinteractiveauthentication",
                "authenticationmethods",
            ],
            judge_password,
        ),
        ssh_check(
            sshd,
            meta(
                "host.access.ssh_mfa",
                "SSH requires two authentication methods",
                Severity::Medium,
                "HIPAA 164.312(d) (person or entity authentication): multi-factor \
                 authentication is an addressable way to meet it today, and the 2025 proposed \
                 Security Rule makes it required for access to systems holding ePHI. A stolen \
                 key or password alone then no longer opens a session.",
                &format!(
                    "Set `AuthenticationMethods publickey,keyboard-interactive` {WHERE}, with a \
                     PAM one-time-password module (e.g. libpam-google-authenticator or \
                     pam_u2f) in /etc/pam.d/sshd, `KbdInteractiveAuthentication yes` and \
                     `UsePAM yes`. Enrol every user before reloading."
                ),
            ),
            &["authenticationmethods"],
            judge_mfa,
        ),
        ssh_check(
            sshd,
            meta(
                "host.encryption.ssh_ciphers",
                "SSH offers no weak ciphers, MACs or key exchanges",
                Severity::Medium,
                "HIPAA 164.312(e)(1) and (e)(2)(ii): ePHI sent over SSH must be protected by \
                 encryption and integrity checks that hold up. CBC modes, RC4, 3DES, MD5 and \
                 SHA-1 MACs, and SHA-1 or 1024-bit Diffie-Hellman key exchanges are broken or \
                 deprecated (NIST SP 800-131A), and a client can be steered to them while the \
                 server offers them.",
                &format!(
                    "Remove the weak algorithms with minus lists, e.g. \
                     `Ciphers -*-cbc,arcfour*,3des*`, `MACs -hmac-sha1,hmac-sha1-96*,hmac-md5*` and \
                     `KexAlgorithms -diffie-hellman-group1-sha1,diffie-hellman-group14-sha1,\
                     diffie-hellman-group-exchange-sha1`, or set explicit lists such as \
                     `Ciphers chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,\
                     aes128-gcm@openssh.com,aes256-ctr,aes192-ctr,aes128-ctr`, \
                     `MACs hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com,\
                     umac-128-etm@openssh.com` and `KexAlgorithms \
                     sntrup761x25519-sha512@openssh.com,curve25519-sha256,\
                     curve25519-sha256@libssh.org,diffie-hellman-group16-sha512,\
                     diffie-hellman-group18-sha512,diffie-hellman-group-exchange-sha256`, \
                     {WHERE}."
                ),
            ),
            // sshd does not allow these inside Match blocks.
            &[],
            judge_algorithms,
        ),
    ]
}

/// A check over sshd's configuration: not applicable without an `sshd_config`, an error
/// finding when it cannot be read, else `judge` over the global scope and every Match block
/// that sets one of `match_keywords`.
fn ssh_check(
    sshd: &SharedSshd,
    meta: CheckMeta,
    match_keywords: &'static [&'static str],
    judge: Judge,
) -> Box<dyn Check> {
    let sshd = Arc::clone(sshd);
    FnCheck::boxed(meta, move |meta, ctx| {
        run(meta, ctx, &sshd, match_keywords, judge)
    })
}

fn run(
    meta: &CheckMeta,
    ctx: &CheckContext,
    sshd: &SharedSshd,
    match_keywords: &[&str],
    judge: Judge,
) -> Result<Vec<Finding>, CheckError> {
    let loaded = sshd.get(ctx, || Sshd::load(ctx));
    let sshd = match loaded.as_ref() {
        Ok(Some(sshd)) => sshd,
        Ok(None) => {
            return Ok(vec![meta.finding(
                Status::NotApplicable,
                ctx.path(super::sshd::SSHD_CONFIG).display().to_string(),
                "no SSH server configured: there is no sshd_config",
            )]);
        }
        Err(err) => return Ok(vec![err.finding(meta)]),
    };
    Ok(vec![judge_scopes(meta, sshd, match_keywords, judge)])
}

/// Judges every scope and reports the worst, with what each scope says.
pub(crate) fn judge_scopes(
    meta: &CheckMeta,
    sshd: &Sshd,
    match_keywords: &[&str],
    judge: Judge,
) -> Finding {
    let mut status = Status::NotApplicable;
    let mut parts = Vec::new();
    for scope in sshd.scopes(match_keywords) {
        let (verdict, text) = match judge(&scope) {
            Ok(judged) => judged,
            Err(err) => return err.finding(meta),
        };
        status = super::worse(status, verdict);
        parts.push(match scope.match_block() {
            None => text,
            Some(block) => format!(
                "for connections matching `Match {}` ({}): {text}",
                block.criteria, block.at
            ),
        });
    }
    if let Some(note) = &sshd.note {
        parts.push(note.clone());
    }
    meta.finding(
        status,
        sshd.config_path.display().to_string(),
        parts.join("; "),
    )
}

fn judge_root_login(scope: &Scope<'_>) -> Result<(Status, String), ConfigError> {
    let value = scope.get("permitrootlogin");
    let setting = value.single()?.to_ascii_lowercase();
    let shown = value.describe();
    Ok(match setting.as_str() {
        "no" => (
            Status::Pass,
            format!("root cannot log in over SSH: {shown}"),
        ),
        // Key-only root is still the shared root identity: whoever holds a key is "root" in
        // the logs. Better than passwords, so a warning rather than a failure.
        "prohibit-password" | "without-password" => (
            Status::Warn,
            format!(
                "root can log in over SSH with a key: {shown}; every holder of a root key acts \
                 as the same shared root account, so the logs cannot tell them apart"
            ),
        ),
        "forced-commands-only" => (
            Status::Warn,
            format!(
                "root can log in over SSH with a key for the commands forced in its \
                 authorized_keys: {shown}; those sessions run as the shared root account"
            ),
        ),
        "yes" => (
            Status::Fail,
            format!(
                "root can log in over SSH, with its password too if passwords are accepted: \
                 {shown}"
            ),
        ),
        other => {
            return Err(value.invalid(format!(
                "PermitRootLogin must be yes, prohibit-password, forced-commands-only or no, \
                 not `{other}`"
            )));
        }
    })
}

/// The alternatives of `AuthenticationMethods`, each the methods that must all succeed;
/// `None` for `any`.
type Methods = Option<Vec<Vec<String>>>;

/// The method names of `AuthenticationMethods`: `None` for `any`, else one list per
/// alternative, each the methods that must all succeed (submethods such as `:pam` dropped).
fn authentication_methods(scope: &Scope<'_>) -> Result<(Methods, String), ConfigError> {
    const KNOWN: &[&str] = &[
        "publickey",
        "password",
        "keyboard-interactive",
        "hostbased",
        "gssapi-with-mic",
    ];
    let value = scope.get("authenticationmethods");
    let shown = value.describe();
    if value.args.len() == 1 && value.args[0].eq_ignore_ascii_case("any") {
        return Ok((None, shown));
    }
    let mut lists = Vec::new();
    for alternative in &value.args {
        let mut methods = Vec::new();
        for method in alternative.split(',') {
            let name = method.split(':').next().unwrap_or(method);
            if !KNOWN.contains(&name) {
                return Err(value.invalid(format!(
                    "AuthenticationMethods names an unknown method `{name}` (known: {}), or \
                     combines `any` with other lists",
                    KNOWN.join(", ")
                )));
            }
            if !methods.iter().any(|m| m == name) {
                methods.push(name.to_owned());
            }
        }
        lists.push(methods);
    }
    Ok((Some(lists), shown))
}

fn is_password_method(method: &str) -> bool {
    method == "password" || method == "keyboard-interactive"
}

fn judge_password(scope: &Scope<'_>) -> Result<(Status, String), ConfigError> {
    let password = scope.get("passwordauthentication");
    let kbd = scope.get("kbdinteractiveauthentication");
    let pam = scope.get("usepam");
    let mut ways = Vec::new();
    if password.yes_no()? {
        ways.push(password.describe());
    }
    // Keyboard-interactive asks PAM, and PAM's usual stack asks for the Unix password.
    if kbd.yes_no()? && pam.yes_no()? {
        ways.push(format!(
            "{} with {}, where PAM asks for the password",
            kbd.describe(),
            pam.describe()
        ));
    }
    if ways.is_empty() {
        return Ok((
            Status::Pass,
            format!(
                "SSH does not accept passwords: {}, {}, {}",
                password.describe(),
                kbd.describe(),
                pam.describe()
            ),
        ));
    }
    let (methods, shown_methods) = authentication_methods(scope)?;
    if let Some(lists) = methods
        && lists
            .iter()
            .all(|list| list.iter().any(|m| !is_password_method(m)))
    {
        return Ok((
            Status::Pass,
            format!(
                "passwords are accepted only after another method: {shown_methods} requires a \
                 key (or host or Kerberos authentication) in every alternative"
            ),
        ));
    }
    Ok((
        Status::Fail,
        format!(
            "SSH accepts a password on its own: {}; {shown_methods}",
            ways.join(" and ")
        ),
    ))
}

fn judge_mfa(scope: &Scope<'_>) -> Result<(Status, String), ConfigError> {
    let (methods, shown) = authentication_methods(scope)?;
    let Some(lists) = methods else {
        return Ok((
            Status::Warn,
            format!(
                "one authentication method is enough to log in over SSH: {shown}; \
                 multi-factor authentication is addressable under 164.312(d) today and \
                 required by the 2025 proposed rule"
            ),
        ));
    };
    let single: Vec<String> = lists
        .iter()
        .filter(|list| list.len() < 2)
        .map(|list| list.join(","))
        .collect();
    if single.is_empty() {
        Ok((
            Status::Pass,
            format!("every SSH login needs two different methods: {shown}"),
        ))
    } else {
        Ok((
            Status::Warn,
            format!(
                "{shown} still lets a login succeed with one method alone: {}",
                single.join(", ")
            ),
        ))
    }
}

/// Ciphers that are broken or deprecated: CBC modes (plaintext recovery, Terrapin-adjacent
/// attacks), RC4, 3DES and the 64-bit block ciphers (Sweet32), and `none`.
fn weak_cipher(name: &str) -> bool {
    name.contains("-cbc")
        || ["arcfour", "3des", "blowfish", "cast128", "des"]
            .iter()
            .any(|prefix| name.starts_with(prefix))
        || name == "none"
}

/// MACs on MD5, RIPEMD-160 or truncated or encrypt-and-MAC SHA-1. `hmac-sha1-etm` is kept:
/// encrypt-then-MAC with HMAC-SHA-1 has no practical attack, and it is in OpenSSH's defaults.
fn weak_mac(name: &str) -> bool {
    name.starts_with("hmac-md5")
        || name.starts_with("hmac-ripemd160")
        || name.starts_with("hmac-sha1-96")
        || name == "hmac-sha1"
}

/// Key exchanges with SHA-1, or the 1024-bit group 1 (Logjam).
fn weak_kex(name: &str) -> bool {
    name.ends_with("-sha1")
        || name.starts_with("diffie-hellman-group1-")
        || (name.starts_with("gss-") && name.contains("sha1"))
}

fn judge_algorithms(scope: &Scope<'_>) -> Result<(Status, String), ConfigError> {
    type IsWeak = fn(&str) -> bool;
    let kinds: [(&'static str, IsWeak); 3] = [
        ("ciphers", weak_cipher),
        ("macs", weak_mac),
        ("kexalgorithms", weak_kex),
    ];
    let mut weak_parts = Vec::new();
    let mut sources = Vec::new();
    for (keyword, is_weak) in kinds {
        let value = scope.get(keyword);
        let weak: Vec<String> = value
            .list()?
            .into_iter()
            .filter(|name| is_weak(&name.to_ascii_lowercase()))
            .collect();
        if !weak.is_empty() {
            weak_parts.push(format!(
                "{} {} ({})",
                display_name(keyword),
                weak.join(","),
                value.origin
            ));
        }
        sources.push(format!("{} ({})", display_name(keyword), value.origin));
    }
    Ok(if weak_parts.is_empty() {
        (
            Status::Pass,
            format!("SSH offers no weak algorithms: {}", sources.join(", ")),
        )
    } else {
        (
            Status::Fail,
            format!("SSH offers weak algorithms: {}", weak_parts.join("; ")),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_algorithms_are_recognised() {
        for name in [
            "aes128-cbc",
            "3des-cbc",
            "arcfour256",
            "rijndael-cbc@lysator.liu.se",
        ] {
            assert!(weak_cipher(name), "{name}");
        }
        for name in [
            "aes256-gcm@openssh.com",
            "chacha20-poly1305@openssh.com",
            "aes128-ctr",
        ] {
            assert!(!weak_cipher(name), "{name}");
        }
        for name in [
            "hmac-md5",
            "hmac-md5-96-etm@openssh.com",
            "hmac-sha1",
            "hmac-sha1-96",
        ] {
            assert!(weak_mac(name), "{name}");
        }
        for name in [
            "hmac-sha1-etm@openssh.com",
            "hmac-sha2-256",
            "umac-128-etm@openssh.com",
        ] {
            assert!(!weak_mac(name), "{name}");
        }
        for name in [
            "diffie-hellman-group1-sha1",
            "diffie-hellman-group14-sha1",
            "diffie-hellman-group-exchange-sha1",
            "gss-gex-sha1-",
        ] {
            assert!(weak_kex(name), "{name}");
        }
        for name in [
            "curve25519-sha256",
            "diffie-hellman-group14-sha256",
            "sntrup761x25519-sha512@openssh.com",
        ] {
            assert!(!weak_kex(name), "{name}");
        }
    }
}
