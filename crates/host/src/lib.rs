//! Host posture checks: what HIPAA's technical safeguards look like on one Linux machine.
//!
//! Each area is a module and each check in it a [`Check`] with its metadata; `registry`
//! gathers them for `phiguard host check`. Checks read files under the context's root, so
//! the file-based ones also audit a mounted image or container root before it is deployed;
//! the ones that need the running system (sockets, the kernel's firewall, daemons) report
//! themselves skipped when the root is not `/` ([`live_only`]).

pub mod access;
mod config_file;
pub mod encryption;
pub mod firewall;
pub mod logging;
pub mod patches;
mod per_run;
mod settings;

use std::fmt;
use std::str::FromStr;

use phiguard_core::{CheckContext, CheckMeta, Finding, Registry, RegistryError, Status};

pub use settings::Settings;

pub(crate) use per_run::PerRun;

/// The areas `--only` selects, each the first part of its checks' ids after `host.`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Area {
    Patches,
    Firewall,
    Logging,
    Encryption,
    Access,
}

impl Area {
    pub const ALL: [Area; 5] = [
        Area::Patches,
        Area::Firewall,
        Area::Logging,
        Area::Encryption,
        Area::Access,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Area::Patches => "patches",
            Area::Firewall => "firewall",
            Area::Logging => "logging",
            Area::Encryption => "encryption",
            Area::Access => "access",
        }
    }

    /// The area a check belongs to, from its id (`host.<area>.…`).
    pub fn of(meta: &CheckMeta) -> Option<Area> {
        let mut parts = meta.id.as_str().split('.');
        if parts.next() != Some("host") {
            return None;
        }
        let area = parts.next()?;
        Area::ALL.into_iter().find(|a| a.name() == area)
    }
}

impl fmt::Display for Area {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Area {
    type Err = String;

    fn from_str(s: &str) -> Result<Area, String> {
        let wanted = s.trim().to_ascii_lowercase();
        Area::ALL
            .into_iter()
            .find(|a| a.name() == wanted)
            .ok_or_else(|| {
                let names: Vec<&str> = Area::ALL.iter().map(|a| a.name()).collect();
                format!("{s:?} is not a check area; use {}", names.join(", "))
            })
    }
}

/// Every host check, configured by `settings`.
pub fn registry(settings: &Settings) -> Result<Registry, RegistryError> {
    let mut registry = Registry::new();
    let all = patches::checks(settings)
        .into_iter()
        .chain(firewall::checks(settings))
        .chain(logging::checks(settings))
        .chain(encryption::checks(settings))
        .chain(access::checks(settings));
    for check in all {
        registry.register(check)?;
    }
    Ok(registry)
}

/// For a check that needs the running system: `Some(skipped finding)` when the context is
/// an image rather than `/`, so the report says the check did not run instead of passing.
pub fn live_only(meta: &CheckMeta, ctx: &CheckContext) -> Option<Vec<Finding>> {
    (!ctx.is_live()).then(|| {
        vec![meta.finding(
            Status::NotApplicable,
            ctx.root.display().to_string(),
            "skipped: this check reads the running system, and the root given is an image",
        )]
    })
}

pub(crate) use phiguard_core::FnCheck;

/// Metadata from string literals; the id must be valid (checked by the registry test).
pub(crate) fn meta(
    id: &str,
    title: &str,
    severity: phiguard_core::Severity,
    rationale: &str,
    remediation: &str,
) -> CheckMeta {
    CheckMeta::from_literals(id, title, severity, rationale, remediation)
}
