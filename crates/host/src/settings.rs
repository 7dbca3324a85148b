//! What the host checks need from the installation: paths that hold ePHI, patch deadlines,
//! what earlier runs saw, and which accounts the register grants on this host.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;

use jiff::Timestamp;
use phiguard_core::CheckError;

use crate::patches::Survey;

/// Configuration and history for one run of the host checks.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Directories that hold ePHI: each must sit on an encrypted device.
    pub ephi_paths: Vec<PathBuf>,
    /// Days a security update may stay pending before it fails (15 in the 2025 proposed rule
    /// for critical risks).
    pub security_update_days: u32,
    /// Days any other update may stay pending (30 in the proposed rule).
    pub other_update_days: u32,
    /// When each pending update (package, candidate version) was first seen by an earlier
    /// run; kept in the store so that "pending for 20 days" survives between runs.
    pub first_seen: BTreeMap<(String, String), Timestamp>,
    /// The package survey when the caller already made it (to record first sightings before
    /// the checks judge them); the patch checks make their own otherwise.
    pub patch_survey: Option<Arc<Result<Option<Survey>, CheckError>>>,
    /// Login names the register grants on this host (active grants whose `system` is this
    /// host), when the register was consulted; `None` makes the check report itself not
    /// applicable ("the register was not consulted"). Passed in by the caller so the host
    /// checks do not depend on the register crate.
    pub granted_accounts: Option<BTreeSet<String>>,
    /// The system name grants use for this host (default: the host name) — for messages, so
    /// the command a finding suggests names the system the register knows.
    pub register_system: Option<String>,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            ephi_paths: Vec::new(),
            security_update_days: 15,
            other_update_days: 30,
            first_seen: BTreeMap::new(),
            patch_survey: None,
            granted_accounts: None,
            register_system: None,
        }
    }
}
