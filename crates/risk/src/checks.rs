//! The risk checks: when the analysis has gone stale, as findings.
//!
//! Placeholder with the module's interface (no checks yet): the checks themselves land next.

use std::sync::Arc;

use phiguard_core::{Registry, RegistryError};

use crate::analysis::Picture;

/// The risk checks' thresholds.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How long a signed analysis stays current.
    pub analysis_valid_months: u32,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            analysis_valid_months: 12,
        }
    }
}

/// Adds the risk checks, judging `picture`, to `registry`.
pub fn add_to(
    _registry: &mut Registry,
    _picture: Arc<Picture>,
    _settings: Settings,
) -> Result<(), RegistryError> {
    Ok(())
}

/// The checks' ids.
pub fn ids() -> Vec<String> {
    Vec::new()
}
