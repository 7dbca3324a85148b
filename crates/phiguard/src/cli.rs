//! Every command and flag, defined once; `--help` is generated from here.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "phiguard",
    version,
    about = "HIPAA compliance for workloads in the cloud, enforced and evidenced",
    long_about = "phiguard checks what can be checked on your machines, keeps the records HIPAA \
                  asks people to keep, writes every piece of evidence into a tamper-evident \
                  ledger, and shows every HIPAA control with its status and evidence.",
    after_help = "Examples:\n  phiguard init\n  phiguard status --json\n  \
                  PHIGUARD_DATABASE_URL=postgres://phiguard@db.internal/phiguard phiguard status\n\n\
                  Exit codes: 0 ok, 1 failing findings, 2 usage or runtime error."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Data directory [default: $PHIGUARD_HOME, else ./.phiguard]
    #[arg(long, global = true, value_name = "DIR")]
    pub home: Option<PathBuf>,

    /// Database URL (postgres://…) or SQLite file, instead of the one in phiguard.toml
    #[arg(
        long,
        global = true,
        value_name = "URL",
        env = "PHIGUARD_DATABASE_URL",
        // The URL may hold a password: never echo it in --help.
        hide_env_values = true
    )]
    pub database: Option<String>,

    /// Print machine-readable JSON on stdout
    #[arg(long, global = true)]
    pub json: bool,

    /// Print nothing but errors and the requested output
    #[arg(long, short, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Log more on stderr (-v info, -vv debug, -vvv trace)
    #[arg(long, short, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the data directory, its configuration and its database
    #[command(
        after_help = "Creates the home (0700) with a commented phiguard.toml listing every \
                            setting, the database and a private keys/ directory. Running it \
                            again changes nothing that exists.\n\nExamples:\n  phiguard init\n  \
                            phiguard --home /var/lib/phiguard init --name clinic-prod"
    )]
    Init(InitArgs),

    /// Show where phiguard keeps its data and what it holds
    #[command(
        after_help = "Examples:\n  phiguard status\n  phiguard status --json | jq \
                            .database.schema_version"
    )]
    Status,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Name of this installation, used in signed checkpoints and reports [default: host name]
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
}
