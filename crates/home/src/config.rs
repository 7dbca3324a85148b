//! `phiguard.toml`: every key, its default and its meaning.
//!
//! The file written by `init` is the documentation: each key appears with a comment and its
//! default, so a user never has to look elsewhere to learn what can be set. Unknown keys are
//! rejected, because a misspelt setting that is silently ignored is worse than an error.

use std::path::{Path, PathBuf};

use phiguard_core::OrganizationRole;
use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub installation: InstallationConfig,
    #[serde(default)]
    pub organization: OrganizationConfig,
    #[serde(default)]
    pub database: DatabaseConfig,
    #[serde(default)]
    pub fim: FimConfig,
    #[serde(default)]
    pub host: HostConfig,
    #[serde(default)]
    pub register: RegisterConfig,
    #[serde(default)]
    pub ledger: LedgerConfig,
    #[serde(default)]
    pub breach: BreachConfig,
}

/// What breach notices say of the organisation (`phiguard breach notices`): how people reach
/// it. Unset, a notice marks the place TO FILL IN. The role it notifies in is `[organization]
/// role`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BreachConfig {
    /// The toll-free number individuals call with questions (45 CFR 164.404(c)(1)(E)); a
    /// substitute notice keeps it active for at least 90 days (164.404(d)(2)(ii)).
    pub phone: Option<String>,
    /// The e-mail address for questions.
    pub email: Option<String>,
    /// The web site for questions, and for a substitute notice's posting.
    pub website: Option<String>,
    /// The postal address for questions.
    pub postal_address: Option<String>,
    /// As a business associate: the covered entity's name, which its notice addresses.
    pub covered_entity: Option<String>,
}

/// How often long-running commands sign a checkpoint of what they record. Every command that
/// records evidence also signs one when it ends, so the part of the ledger no signature (and
/// no witness file) covers stays small.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LedgerConfig {
    /// Sign after this many new entries.
    pub checkpoint_every_entries: u64,
    /// Sign after this many seconds with new entries.
    pub checkpoint_every_seconds: u64,
}

impl Default for LedgerConfig {
    fn default() -> Self {
        LedgerConfig {
            checkpoint_every_entries: 10_000,
            checkpoint_every_seconds: 60,
        }
    }
}

/// Who the organisation is under HIPAA: it decides which breach-notification obligations it
/// owes, and every report states it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OrganizationConfig {
    /// The organisation's name, as every report names it (the legal or trading name an auditor
    /// knows it by).
    pub name: Option<String>,
    /// `covered_entity`, `business_associate` or `both`; unset, every obligation is assessed.
    pub role: Option<OrganizationRole>,
    /// What the assessment covers, in a sentence: the systems, sites or (for a hybrid entity,
    /// 164.103) the designated health care components.
    pub scope: Option<String>,
}

/// Thresholds of the register checks (`phiguard register check`): the one definition of them
/// and of their defaults, which the register's checks take as their settings
/// (`phiguard_register::checks::Settings`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RegisterConfig {
    /// How long before a BAA ends its renewal is flagged, in days: long enough to negotiate a
    /// new one.
    pub baa_expiry_warning_days: u32,
    /// The longest breach-notice window a BAA may give the vendor, in days; 45 CFR 164.410
    /// allows a business associate at most 60 days from discovery.
    pub max_breach_notice_days: u32,
    /// How long before a training completion lapses it is flagged, in days.
    pub training_due_warning_days: u32,
    /// How often each system's access grants must be reviewed, in days.
    pub review_interval_days: u32,
    /// How recent a successful restore test must be, in months.
    pub restore_test_months: u32,
    /// The longest a restore may take, in hours; 72 in the 2025 proposed rule
    /// (164.308(a)(13)).
    pub max_restore_hours: f64,
    /// The lowest availability target a provider's SLA may state without a warning, in percent.
    pub min_availability_percent: f64,
    /// How many years records must be kept, which a provider's backup retention must cover;
    /// 45 CFR 164.316(b)(2)(i) requires 6.
    pub record_retention_years: u32,
}

impl Default for RegisterConfig {
    fn default() -> Self {
        RegisterConfig {
            baa_expiry_warning_days: 60,
            max_breach_notice_days: 60,
            training_due_warning_days: 30,
            review_interval_days: 90,
            restore_test_months: 12,
            max_restore_hours: 72.0,
            min_availability_percent: 99.0,
            record_retention_years: 6,
        }
    }
}

/// Host posture checks (`phiguard host check`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HostConfig {
    /// Days a security update may stay pending before the check fails.
    pub security_update_days: u32,
    /// Days any other update may stay pending before the check fails.
    pub other_update_days: u32,
}

impl Default for HostConfig {
    /// The deadlines of the 2025 proposed Security Rule: critical risks patched within 15
    /// days, high risks within 30.
    fn default() -> Self {
        HostConfig {
            security_update_days: 15,
            other_update_days: 30,
        }
    }
}

/// File integrity monitoring: what to watch and how.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FimConfig {
    /// Content hash: `sha256` (NIST-approved, the default) or `blake3`.
    pub algorithm: String,
    /// Stay on the file system each rule's path is on.
    pub one_filesystem: bool,
    /// Directories holding ePHI, monitored with every attribute.
    pub ephi_paths: Vec<String>,
    /// Rules; when empty, a default for a Linux server is used.
    #[serde(rename = "rule")]
    pub rules: Vec<FimRule>,
}

impl Default for FimConfig {
    fn default() -> Self {
        FimConfig {
            algorithm: "sha256".into(),
            one_filesystem: false,
            ephi_paths: Vec::new(),
            rules: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FimRule {
    /// A directory or file to monitor, recursively.
    pub path: String,
    /// Attributes or groups to compare (`full` when empty).
    #[serde(default)]
    pub attributes: Vec<String>,
    /// Glob patterns of paths to leave out (`*` within a name, `**` across directories).
    #[serde(default)]
    pub exclude: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstallationConfig {
    /// Names this installation in signed checkpoints and reports.
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// Empty: the embedded SQLite file in the home. Otherwise a `postgres://` URL.
    pub url: String,
    /// How long to wait for another writer's lock before giving up (SQLite busy timeout).
    pub busy_timeout_ms: u64,
    /// How long to keep trying to reach the database server before giving up.
    pub connect_timeout_secs: u64,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig {
            url: String::new(),
            busy_timeout_ms: 5000,
            connect_timeout_secs: 10,
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error(
    "{path} is not a valid phiguard configuration: {message}Fix the file, or move it away and run `phiguard init` to write a fresh one."
)]
pub struct ConfigError {
    path: PathBuf,
    message: String,
}

impl Config {
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| ConfigError {
            path: path.to_path_buf(),
            // toml's message already says where (line, column) and what it expected; it
            // ends with a newline.
            message: format!("{e}"),
        })?;
        if config.installation.name.trim().is_empty() {
            return Err(ConfigError {
                path: path.to_path_buf(),
                message: "installation.name is empty; give the installation a name.\n".into(),
            });
        }
        if let Some(message) = config.relaxed_limit() {
            return Err(ConfigError {
                path: path.to_path_buf(),
                message,
            });
        }
        Ok(config)
    }

    /// The first regulatory limit this configuration relaxes, explained: a threshold that
    /// comes from the regulation may be made stricter, never looser, or phiguard would pass
    /// what the law fails.
    fn relaxed_limit(&self) -> Option<String> {
        REGULATORY_LIMITS.iter().find_map(|limit| {
            let value = (limit.value)(self);
            let relaxed = match limit.bound {
                Bound::AtMost(most) => value > most,
                Bound::AtLeast(least) => value < least,
            };
            relaxed.then(|| {
                let (word, bound, stricter) = match limit.bound {
                    Bound::AtMost(most) => ("more", most, "or less"),
                    Bound::AtLeast(least) => ("less", least, "or more"),
                };
                format!(
                    "{} = {value} is {word} than {} allows ({bound} {}): {}. A stricter value is \
                     allowed; set it to {bound} {stricter}.\n",
                    limit.key, limit.cite, limit.unit, limit.why
                )
            })
        })
    }

    /// The configuration `init` writes: every key, commented, at its default; the
    /// organisation's role set when it is known.
    pub fn commented_template(installation_name: &str, role: Option<OrganizationRole>) -> String {
        let defaults = DatabaseConfig::default();
        let host = HostConfig::default();
        let register = RegisterConfig::default();
        let ledger = LedgerConfig::default();
        let name = toml_string(installation_name);
        let role = match role {
            Some(role) => format!("role = {}", toml_string(role.as_str())),
            None => "# role = \"covered_entity\"".to_owned(),
        };
        format!(
            r#"# phiguard configuration. Every key is listed with its default and meaning.
# Command-line flags and environment variables override what is set here.

[installation]
# A name for this installation. It identifies the installation in signed ledger
# checkpoints and in reports, so choose one that stays stable (the host name by default).
name = {name}

[organization]
# The organisation's name, as every report names it.
# name = "Riverside Clinic"
# Your role under HIPAA: "covered_entity" (a health plan, clearinghouse or provider),
# "business_associate" (you handle PHI for covered entities) or "both". It decides which
# breach-notification obligations are yours (a business associate owes 45 CFR 164.410, a
# covered entity 164.404-164.408), and every report states it. Unset, all are assessed.
# A hybrid entity (164.103) is a covered entity: name its health care components in scope.
{role}
# What the assessment covers, in a sentence: systems, sites, health care components.
# scope = "EHR platform in AWS us-east-1 and the clinic's office network"

[database]
# Where phiguard keeps its records.
#   ""                           the embedded SQLite file phiguard.db in this directory (default)
#   "postgres://user@host/db"    a PostgreSQL database, for several hosts or servers (a URL:
#                                libpq key=value strings are refused; percent-encode
#                                / ? # @ : % & = + in a password)
# The --database flag and the PHIGUARD_DATABASE_URL variable override this. Prefer the
# variable for a URL that contains a password, so the password stays out of this file.
url = ""

# Milliseconds to wait for another phiguard process that holds the SQLite write lock
# before giving up with an error.
busy_timeout_ms = {busy}

# Seconds to keep trying to reach the database before reporting it unreachable.
connect_timeout_secs = {connect}

[fim]
# File integrity monitoring (`phiguard fim init`, `fim check`).
# Content hash: "sha256" (NIST-approved, default) or "blake3" (faster).
algorithm = "sha256"
# Stay on the file system each rule's path is on (like find -xdev).
one_filesystem = false
# Directories holding ePHI, monitored with every attribute, e.g. ["/srv/ehr/data"].
ephi_paths = []
# Without any [[fim.rule]], phiguard monitors system binaries and libraries, /etc and /boot,
# plus ephi_paths, and leaves out logs and caches. A rule replaces that default:
#
# [[fim.rule]]
# path = "/etc"
# attributes = ["full"]          # or groups/attributes: perms, content, type, mode, inode,
#                                # links, owner, group, size, mtime, ctime, target, device,
#                                # hash, acl, xattrs, selinux, caps
# exclude = ["/etc/mtab", "**/*.swp"]

[host]
# Host posture checks (`phiguard host check`). Days an update may stay pending after
# phiguard first saw it before the patch check fails: security updates, then all others.
# The defaults are the 2025 proposed Security Rule's (15 days critical, 30 days high).
security_update_days = {security_days}
other_update_days = {other_days}

[ledger]
# Every command that records evidence signs a checkpoint when it ends, and keeps the newest
# one in ledger.witness beside this file, outside the database. Long-running commands
# (`ledger append --lines`, `fim watch`) also sign one after this many new entries or seconds.
checkpoint_every_entries = {checkpoint_entries}
checkpoint_every_seconds = {checkpoint_seconds}

[register]
# Thresholds of the register checks (`phiguard register check`).
# Days before a BAA's expiry that it starts to warn.
baa_expiry_warning_days = {baa_days}
# Longest breach-notice window a BAA may give the vendor, in days. 45 CFR 164.410 allows a
# business associate at most 60 days from discovery: a lower value is stricter, a higher one
# is refused.
max_breach_notice_days = {notice_days}
# Days before required training falls due that it starts to warn.
training_due_warning_days = {training_days}
# Days between access reviews of each system.
review_interval_days = {review_days}
# A successful restore test must be recorded within this many months.
restore_test_months = {restore_months}
# Longest acceptable restore, in hours (72 in the 2025 proposed Security Rule).
max_restore_hours = {restore_hours:?}
# Lowest availability target a provider's SLA may promise, in percent; a lower one warns.
min_availability_percent = {availability:?}
# Years the records HIPAA requires must be kept, which a provider's SLA must retain backups
# for (a year counted as 365.25 days). 45 CFR 164.316(b)(2)(i) requires 6 years: a higher
# value is stricter, a lower one is refused.
record_retention_years = {retention_years}

[breach]
# What breach notices say of the organisation (`phiguard breach notices`). Each key left
# unset is marked TO FILL IN in the drafts.
# The toll-free number individuals call with questions (45 CFR 164.404(c)(1)(E)); a
# substitute notice must keep it active for at least 90 days.
# phone = "1-800-555-0100"
# email = "privacy@riverside.example"
# website = "https://riverside.example/notice"
# postal_address = "Privacy Office, 1 Main St, Columbus, OH 43215"
# As a business associate: the covered entity's name, which your notice addresses.
# covered_entity = "Riverside Clinic"
"#,
            checkpoint_entries = ledger.checkpoint_every_entries,
            checkpoint_seconds = ledger.checkpoint_every_seconds,
            busy = defaults.busy_timeout_ms,
            connect = defaults.connect_timeout_secs,
            security_days = host.security_update_days,
            other_days = host.other_update_days,
            baa_days = register.baa_expiry_warning_days,
            notice_days = register.max_breach_notice_days,
            training_days = register.training_due_warning_days,
            review_days = register.review_interval_days,
            restore_months = register.restore_test_months,
            restore_hours = register.max_restore_hours,
            availability = register.min_availability_percent,
            retention_years = register.record_retention_years,
        )
    }
}

/// Which way a regulatory limit binds.
#[derive(Debug, Clone, Copy)]
enum Bound {
    AtMost(u64),
    AtLeast(u64),
}

/// A setting whose bound the regulation fixes.
struct RegulatoryLimit {
    /// The key as written in phiguard.toml: `register.max_breach_notice_days`.
    key: &'static str,
    value: fn(&Config) -> u64,
    bound: Bound,
    unit: &'static str,
    cite: &'static str,
    why: &'static str,
}

/// Every setting the regulation bounds. A new setting that carries a regulatory number
/// belongs here, with its citation.
const REGULATORY_LIMITS: &[RegulatoryLimit] = &[
    RegulatoryLimit {
        key: "register.max_breach_notice_days",
        value: |config| u64::from(config.register.max_breach_notice_days),
        bound: Bound::AtMost(60),
        unit: "days",
        cite: "45 CFR 164.410(b)",
        why: "a business associate must report a breach to the covered entity no later than 60 \
              days after discovering it, so a BAA that allows longer breaks the rule",
    },
    RegulatoryLimit {
        key: "register.record_retention_years",
        value: |config| u64::from(config.register.record_retention_years),
        bound: Bound::AtLeast(6),
        unit: "years",
        cite: "45 CFR 164.316(b)(2)(i)",
        why: "the documentation the Security Rule requires must be kept 6 years from its \
              creation or the date it was last in effect, whichever is later",
    },
];

/// Quotes a string for TOML. Installation names and paths come from host names or the user,
/// so quotes, backslashes and control characters must be escaped rather than trusted.
pub fn toml_string(value: &str) -> String {
    toml::Value::String(value.to_owned()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_parses_to_the_defaults() {
        let config =
            Config::parse(&Config::commented_template("clinic", None), Path::new("t")).unwrap();
        assert_eq!(config.installation.name, "clinic");
        assert_eq!(config.database, DatabaseConfig::default());
        assert_eq!(config.host, HostConfig::default());
        assert_eq!(config.register, RegisterConfig::default());
        assert_eq!(config.ledger, LedgerConfig::default());
        assert_eq!(config.breach, BreachConfig::default());
    }

    #[test]
    fn the_breach_contacts_are_read_and_a_role_there_is_refused() {
        let text = Config::commented_template("clinic", None)
            .replacen("# phone = ", "phone = ", 1)
            .replacen("# covered_entity = ", "covered_entity = ", 1);
        let config = Config::parse(&text, Path::new("t")).unwrap();
        assert_eq!(config.breach.phone.as_deref(), Some("1-800-555-0100"));
        assert_eq!(
            config.breach.covered_entity.as_deref(),
            Some("Riverside Clinic")
        );
        assert_eq!(config.breach.email, None);
        // The role is the organisation's, once: `[organization] role`.
        let text = "[installation]\nname = \"x\"\n[breach]\nrole = \"covered_entity\"\n";
        let err = Config::parse(text, Path::new("t")).unwrap_err().to_string();
        assert!(err.contains("role"), "{err}");
    }

    #[test]
    fn template_writes_the_role_when_known() {
        let text = Config::commented_template("clinic", Some(OrganizationRole::BusinessAssociate));
        let config = Config::parse(&text, Path::new("t")).unwrap();
        assert_eq!(
            config.organization.role,
            Some(OrganizationRole::BusinessAssociate)
        );
        let config = Config::parse(&Config::commented_template("c", None), Path::new("t")).unwrap();
        assert_eq!(config.organization, OrganizationConfig::default());
    }

    #[test]
    fn the_organisation_is_named_in_its_own_key() {
        let text = Config::commented_template("clinic", None).replacen(
            "# name = \"Riverside Clinic\"",
            "name = \"Riverside Clinic\"",
            1,
        );
        let config = Config::parse(&text, Path::new("t")).unwrap();
        assert_eq!(
            config.organization.name.as_deref(),
            Some("Riverside Clinic")
        );
        assert_eq!(config.installation.name, "clinic");
    }

    #[test]
    fn an_unknown_role_is_rejected_naming_the_choices() {
        let text = "[installation]\nname = \"x\"\n[organization]\nrole = \"hospital\"\n";
        let err = Config::parse(text, Path::new("t")).unwrap_err().to_string();
        assert!(
            err.contains("hospital") && err.contains("covered_entity"),
            "{err}"
        );
    }

    #[test]
    fn a_regulatory_limit_can_be_tightened_but_not_relaxed() {
        let with = |days: u32| {
            format!("[installation]\nname = \"x\"\n[register]\nmax_breach_notice_days = {days}\n")
        };
        let strict = Config::parse(&with(10), Path::new("t")).unwrap();
        assert_eq!(strict.register.max_breach_notice_days, 10);
        assert!(Config::parse(&with(60), Path::new("t")).is_ok());
        let retention = |years: u32| {
            format!("[installation]\nname = \"x\"\n[register]\nrecord_retention_years = {years}\n")
        };
        assert!(Config::parse(&retention(7), Path::new("t")).is_ok());
        let err = Config::parse(&retention(5), Path::new("t"))
            .unwrap_err()
            .to_string();
        for part in [
            "record_retention_years = 5",
            "164.316(b)(2)(i)",
            "6 or more",
        ] {
            assert!(err.contains(part), "{part:?} missing from: {err}");
        }
        let err = Config::parse(&with(61), Path::new("/h/phiguard.toml"))
            .unwrap_err()
            .to_string();
        for part in [
            "/h/phiguard.toml",
            "register.max_breach_notice_days = 61",
            "45 CFR 164.410(b)",
            "60 or less",
        ] {
            assert!(err.contains(part), "{part:?} missing from: {err}");
        }
    }

    #[test]
    fn template_escapes_awkward_names() {
        let name = "a \"quoted\" \\ name";
        let config =
            Config::parse(&Config::commented_template(name, None), Path::new("t")).unwrap();
        assert_eq!(config.installation.name, name);
    }

    #[test]
    fn unknown_key_is_rejected_with_its_location() {
        let text = "[installation]\nname = \"x\"\n[database]\nurll = \"\"\n";
        let err = Config::parse(text, Path::new("/h/phiguard.toml")).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("/h/phiguard.toml"), "{text}");
        assert!(text.contains("urll"), "{text}");
        assert!(text.contains("line 4"), "{text}");
    }

    #[test]
    fn wrong_type_and_empty_name_are_rejected() {
        let err = Config::parse(
            "[installation]\nname = \"x\"\n[database]\nbusy_timeout_ms = \"soon\"\n",
            Path::new("t"),
        )
        .unwrap_err();
        assert!(err.to_string().contains("busy_timeout_ms"), "{err}");
        let err = Config::parse("[installation]\nname = \"  \"\n", Path::new("t")).unwrap_err();
        assert!(
            err.to_string().contains("installation.name is empty"),
            "{err}"
        );
    }
}
