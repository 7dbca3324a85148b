//! The flags of `phiguard breach`.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use jiff::civil::Date;

#[derive(Debug, Subcommand)]
pub enum BreachCommand {
    /// Compute every notice a breach scenario calls for, with due dates and citations; records nothing
    #[command(
        after_help = "Reads a scenario from a YAML file and prints each notice HIPAA (45 CFR \
                      164.400-414) and the state laws in phiguard's data call for: recipient, \
                      jurisdiction, due date, days left, citation and reason. Nothing is \
                      recorded and no home is needed: use it for drills and to check the \
                      clocks. A state rule marked (counsel review) has a point phiguard's data \
                      leaves open. Exits 2 when the file is missing or invalid.\n\n\
                      The file (comments say what is optional):\n\
                      \x20   role: covered_entity       # or business_associate\n\
                      \x20   discovered: 2026-03-01\n\
                      \x20   affected: {OH: 120, PA: 3} # residents per state\n\
                      \x20   secured: false             # true: the safe harbour\n\
                      \x20   # optional; or inadvertent_disclosure, unable_to_retain:\n\
                      \x20   exclusion: unintentional_workforce\n\
                      \x20   baa_window_days: 10        # business associate only\n\
                      \x20   # optional; or {kind: written, until: YYYY-MM-DD}:\n\
                      \x20   law_enforcement_delay: {kind: oral, stated: 2026-03-05}\n\
                      \x20   insufficient_contacts: 12  # optional: no usable contact\n\n\
                      Examples:\n  phiguard breach plan drill.yaml\n  \
                      phiguard breach plan drill.yaml --json | jq '.notices[] | select(.recipient == \"hhs\")'\n  \
                      phiguard breach plan drill.yaml --today 2026-04-20"
    )]
    Plan(BreachPlanArgs),
}

#[derive(Debug, Args)]
pub struct BreachPlanArgs {
    /// The scenario, a YAML file
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Count days left from this date (YYYY-MM-DD) instead of today
    #[arg(long, value_name = "DATE")]
    pub today: Option<Date>,
}
