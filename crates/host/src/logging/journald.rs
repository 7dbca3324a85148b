//! `host.logging.journald_persistent`: the journal survives a reboot.
//!
//! With `Storage=volatile` (or `auto` without `/var/log/journal`) journald keeps its records in
//! `/run`, a memory file system: a reboot, or a crash an attacker provokes, erases the trail
//! the audit-controls standard asks the host to keep.

use phiguard_core::{CheckContext, CheckMeta, Finding, Severity, Status};

use super::Problem;
use super::systemd::{self, Assignment};
use crate::config_file::ConfigError;

pub(super) fn meta() -> CheckMeta {
    crate::meta(
        "host.logging.journald_persistent",
        "The systemd journal is stored on disk",
        Severity::Medium,
        "HIPAA 164.312(b) requires records of activity on systems holding ePHI. A journal kept \
         only in memory (/run/log/journal) is lost at every reboot, so the logins, sudo use and \
         service errors leading up to an incident are gone when they are needed.",
        "Set `Storage=persistent` in a drop-in such as /etc/systemd/journald.conf.d/50-phiguard.conf \
         (under `[Journal]`), or keep `Storage=auto` and create the directory with \
         `mkdir -p /var/log/journal && systemd-tmpfiles --create --prefix /var/log/journal`; then \
         `systemctl restart systemd-journald`. Remember that drop-ins are applied in file-name \
         order and the last `Storage=` wins.",
    )
}

/// The `Storage=` values journald accepts (journald.conf(5)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Storage {
    Volatile,
    Persistent,
    Auto,
    None,
}

impl Storage {
    fn parse(value: &str) -> Option<Storage> {
        match value {
            "volatile" => Some(Storage::Volatile),
            "persistent" => Some(Storage::Persistent),
            "auto" => Some(Storage::Auto),
            "none" => Some(Storage::None),
            _ => None,
        }
    }
}

const SUBJECT: &str = "systemd-journald";

pub(super) fn judge(meta: &CheckMeta, ctx: &CheckContext) -> Result<Finding, Problem> {
    let files = systemd::config_files(ctx, "journald.conf")?;
    let binary = systemd::installed(
        ctx,
        &[
            "/usr/lib/systemd/systemd-journald",
            "/lib/systemd/systemd-journald",
        ],
    );
    if files.is_empty() && binary.is_none() {
        return Ok(meta.finding(
            Status::NotApplicable,
            SUBJECT,
            "systemd-journald is not installed (no journald.conf and no systemd-journald \
             binary), so there is no journal to keep; the other logging checks cover syslog",
        ));
    }
    let assignment = systemd::setting(ctx, "journald.conf", "Journal", "Storage")?;
    let (storage, origin) = match &assignment {
        Some(a) => {
            let storage = Storage::parse(&a.value).ok_or_else(|| {
                ConfigError::at(
                    &a.path,
                    a.line,
                    format!(
                        "Storage={} is not a value journald accepts (volatile, persistent, auto, \
                         none); journald ignores the line",
                        a.value
                    ),
                )
            })?;
            (storage, where_set(a))
        }
        None => (
            Storage::Auto,
            "no configuration file sets Storage=, so journald uses its default, auto".to_owned(),
        ),
    };
    let journal_dir = ctx.path("/var/log/journal");
    let finding = match storage {
        Storage::Persistent => meta.finding(
            Status::Pass,
            SUBJECT,
            format!("the journal is kept on disk in /var/log/journal ({origin})"),
        ),
        Storage::Auto if journal_dir.is_dir() => meta.finding(
            Status::Pass,
            SUBJECT,
            format!(
                "the journal is kept on disk: Storage=auto and {} exists ({origin})",
                journal_dir.display()
            ),
        ),
        Storage::Auto => meta.finding(
            Status::Fail,
            SUBJECT,
            format!(
                "the journal lives only in memory and is lost at reboot: Storage=auto writes to \
                 disk only when {} exists, and it does not ({origin})",
                journal_dir.display()
            ),
        ),
        Storage::Volatile => meta.finding(
            Status::Fail,
            SUBJECT,
            format!(
                "the journal lives only in memory (/run/log/journal) and is lost at reboot: \
                 Storage=volatile ({origin})"
            ),
        ),
        Storage::None => meta.finding(
            Status::Fail,
            SUBJECT,
            format!("journald keeps no records at all: Storage=none ({origin})"),
        ),
    };
    Ok(finding)
}

fn where_set(a: &Assignment) -> String {
    format!("set at {} line {}", a.path.display(), a.line)
}
