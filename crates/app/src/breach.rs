//! Breach notification: the plan for a scenario in a file (`phiguard breach plan`), computed
//! by `phiguard_breach` from the rules compiled in; nothing is recorded.

use std::io::Read;
use std::path::{Path, PathBuf};

use jiff::civil::Date;
pub use phiguard_breach::{Note, Notice, Plan, Recipient, Scenario};

/// The largest plan file read: a scenario is a few lines; anything larger is the wrong file.
pub const MAX_PLAN_FILE_BYTES: u64 = 1024 * 1024;

/// What to plan: the scenario's file, and the day from which days left are counted.
#[derive(Debug, Clone)]
pub struct PlanRequest {
    pub file: PathBuf,
    /// `None`: today, in UTC (as the register's checks count days).
    pub today: Option<Date>,
}

/// Why a plan could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("could not read the plan file {}", file.display())]
    Read {
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// `line` is 1-based, absent when the problem is with the file as a whole.
    #[error("{}{}: {reason}", file.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    Invalid {
        file: PathBuf,
        line: Option<u64>,
        reason: String,
    },
    #[error("phiguard's breach notification rules are invalid (a defect of this build)")]
    Rules(#[source] phiguard_breach::RulesError),
}

/// Reads the scenario in `request.file` and returns every notice it calls for, with days left
/// from `request.today`. A file that cannot be read or is not a valid scenario is an error
/// naming the file and, where it can, the line.
pub fn plan(request: &PlanRequest) -> Result<Plan, PlanError> {
    let scenario = read_scenario(&request.file)?;
    let rules = phiguard_breach::Rules::builtin().map_err(PlanError::Rules)?;
    let today = request
        .today
        .unwrap_or_else(|| phiguard_register::records::utc_day(jiff::Timestamp::now()));
    Ok(phiguard_breach::plan(&rules, &scenario, today))
}

/// The scenario in `file`.
pub fn read_scenario(file: &Path) -> Result<Scenario, PlanError> {
    let invalid = |reason: String| PlanError::Invalid {
        file: file.to_owned(),
        line: None,
        reason,
    };
    let read = |source| PlanError::Read {
        file: file.to_owned(),
        source,
    };
    let metadata = std::fs::metadata(file).map_err(read)?;
    if !metadata.is_file() {
        return Err(invalid(
            "this is not a file; give a plan file (YAML)".into(),
        ));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(file)
        .map_err(read)?
        .take(MAX_PLAN_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(read)?;
    if bytes.len() as u64 > MAX_PLAN_FILE_BYTES {
        return Err(invalid(format!(
            "a plan file is a few lines; this one is over {} KiB: is it the right file?",
            MAX_PLAN_FILE_BYTES / 1024
        )));
    }
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes))
        .map_err(|_| invalid("the file is not UTF-8 text; save it as UTF-8".into()))?;
    Scenario::from_yaml(text).map_err(|error| PlanError::Invalid {
        file: file.to_owned(),
        line: error.line,
        reason: error.reason,
    })
}
