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

    /// The tamper-evident evidence ledger: append, read, prove, sign, verify, export
    #[command(subcommand)]
    Ledger(LedgerCommand),
}

#[derive(Debug, Subcommand)]
pub enum LedgerCommand {
    /// Append one entry (for scripts); prints its sequence number and leaf hash
    #[command(
        after_help = "The body is JSON, given inline, from a file (@FILE), or from stdin \
                            (-). Never put PHI in clear into the ledger: pseudonymise \
                            identifiers first.\n\nExamples:\n  \
                            phiguard ledger append --kind ops.backup_restore --body '{\"result\":\"ok\"}'\n  \
                            phiguard ledger append --kind ops.backup_restore --body @restore.json\n  \
                            jq -c . restore.json | phiguard ledger append --kind ops.backup_restore --body -"
    )]
    Append(AppendArgs),

    /// Show one entry
    #[command(after_help = "Examples:\n  phiguard ledger show 0\n  phiguard ledger show 41 --json")]
    Show {
        /// Sequence number (from 0)
        seq: u64,
    },

    /// Show the newest entries
    #[command(
        after_help = "Examples:\n  phiguard ledger tail\n  phiguard ledger tail -n 50 --json"
    )]
    Tail {
        /// How many entries
        #[arg(short = 'n', long, default_value_t = 10)]
        count: u64,
    },

    /// Sign and store a checkpoint of the whole ledger
    #[command(
        after_help = "Examples:\n  phiguard ledger checkpoint\n  phiguard ledger checkpoint --json"
    )]
    Checkpoint,

    /// Prove that an entry is in the ledger (inclusion proof, JSON)
    #[command(
        after_help = "Without --size the proof is against the newest signed checkpoint that \
                            covers the entry, so it can be checked against a signature.\n\n\
                            Examples:\n  phiguard ledger prove 41\n  phiguard ledger prove 41 --size 1000"
    )]
    Prove {
        /// Sequence number of the entry
        seq: u64,
        /// Tree size to prove against
        #[arg(long)]
        size: Option<u64>,
    },

    /// Prove that the ledger at OLD entries is a prefix of the ledger at NEW entries
    #[command(after_help = "Examples:\n  phiguard ledger consistency 1000 2500")]
    Consistency {
        /// The earlier size
        old: u64,
        /// The later size
        new: u64,
    },

    /// Recompute every hash and check every checkpoint; exit 1 naming the first bad entry
    #[command(
        after_help = "Without --bundle, verifies the ledger in the database. With --bundle, \
                            verifies an exported bundle offline: no home or database is used, \
                            and --key is required.\n\n\
                            Examples:\n  phiguard ledger verify\n  \
                            phiguard ledger verify --key clinic.verifier\n  \
                            phiguard ledger verify --bundle ./evidence-2026 --key clinic.verifier"
    )]
    Verify(VerifyArgs),

    /// Write every entry and checkpoint into a directory that verifies offline
    #[command(
        after_help = "Signs a checkpoint first, so every exported entry is covered.\n\n\
                            Examples:\n  phiguard ledger export --out ./evidence-2026\n  \
                            phiguard ledger verify --bundle ./evidence-2026 --key \"$(phiguard ledger key)\""
    )]
    Export {
        /// Directory to create (must not exist)
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },

    /// Print the verifier key of this installation's checkpoints
    #[command(
        after_help = "Give this key to auditors and keep a copy off this machine: verifying \
                            with a key kept elsewhere also catches a replaced signing key.\n\n\
                            Examples:\n  phiguard ledger key > clinic.verifier"
    )]
    Key,
}

#[derive(Debug, Args)]
pub struct AppendArgs {
    /// Entry kind: a dotted lowercase name such as ops.backup_restore
    #[arg(long)]
    pub kind: String,
    /// The body: JSON text, @FILE to read a file, or - for stdin
    #[arg(long, value_name = "JSON|@FILE|-", required_unless_present = "lines")]
    pub body: Option<String>,
    /// Read one JSON body per line from stdin and append each; print one JSON line per entry
    /// as soon as it is durably stored
    #[arg(long, conflicts_with = "body")]
    pub lines: bool,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Verify an exported bundle directory instead of the database
    #[arg(long, value_name = "DIR", requires = "key")]
    pub bundle: Option<PathBuf>,
    /// Verifier key (the text, or a file holding it) [default: this installation's]
    #[arg(long, value_name = "KEY|FILE")]
    pub key: Option<String>,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Name of this installation, used in signed checkpoints and reports [default: host name]
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
}
