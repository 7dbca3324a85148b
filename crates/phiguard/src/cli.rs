//! Every command and flag, defined once; `--help` is generated from here.

use std::path::PathBuf;

use clap::{Args, CommandFactory, Parser, Subcommand};

mod assess;
mod breach;
mod cloud;
#[cfg(test)]
mod commands_in_text;
mod incident;
mod mounted;
mod record_args;
mod register;
mod risk;

pub use assess::*;
pub use breach::*;
pub use cloud::*;
pub use incident::*;
pub use register::*;
pub use risk::*;

/// The command-line definition, with every example folded to fit 80 columns (each register
/// kind's help and examples come from its record type, see `record_args`).
pub fn command() -> clap::Command {
    with_folded_examples(Cli::command())
}

/// Widest example line: an 80-column terminal shows it whole, so clap never wraps it.
const EXAMPLE_WIDTH: usize = 80;

/// Gives `command` and all its subcommands examples that copy and paste: an example line too
/// wide for [`EXAMPLE_WIDTH`] continues on the next with ` \` (which clap would otherwise wrap
/// into lines a shell runs one by one).
fn with_folded_examples(command: clap::Command) -> clap::Command {
    let names: Vec<String> = command
        .get_subcommands()
        .map(|sub| sub.get_name().to_owned())
        .collect();
    let command = names.iter().fold(command, |command, name| {
        command.mut_subcommand(name, with_folded_examples)
    });
    match command.get_after_help().map(ToString::to_string) {
        Some(text) => command.after_help(fold_examples(&text, EXAMPLE_WIDTH)),
        None => command,
    }
}

/// `text` with every command line (a line indented by two spaces, continued by lines ending in
/// ` \`) folded to at most `width` columns, breaking only between an option and the next.
fn fold_examples(text: &str, width: usize) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut logical: Option<String> = None;
    for line in text.split('\n') {
        match logical.as_mut() {
            Some(joined) => {
                joined.push(' ');
                joined.push_str(line.trim_start());
            }
            None if line.starts_with("  ") && !line.starts_with("   ") => {
                logical = Some(line.trim_start().to_owned());
            }
            None => {
                out.push(line.to_owned());
                continue;
            }
        }
        let Some(joined) = logical.as_mut() else {
            continue;
        };
        match joined.strip_suffix(" \\") {
            Some(open) => *joined = open.trim_end().to_owned(),
            None => {
                out.extend(fold_command(joined, width));
                logical = None;
            }
        }
    }
    if let Some(joined) = logical {
        out.extend(fold_command(&joined, width));
    }
    out.join("\n")
}

/// One shell command as lines of at most `width` columns: `  ` before the first, `      `
/// before each continuation, ` \` after each line but the last. A piece wider than the width
/// by itself stays whole.
fn fold_command(command: &str, width: usize) -> Vec<String> {
    const FIRST: &str = "  ";
    const NEXT: &str = "      ";
    if FIRST.len() + command.chars().count() <= width {
        return vec![format!("{FIRST}{command}")];
    }
    let mut lines = Vec::new();
    let mut line = FIRST.to_owned();
    for piece in command_pieces(command) {
        let fresh = line == FIRST || line == NEXT;
        let needed = line.chars().count() + usize::from(!fresh) + piece.chars().count();
        // Room for the ` \` of a line that is continued.
        if !fresh && needed + 2 > width {
            lines.push(format!("{line} \\"));
            line = NEXT.to_owned();
        } else if !fresh {
            line.push(' ');
        }
        line.push_str(&piece);
    }
    lines.push(line);
    lines
}

/// The places a command line can be broken: before each option (`--name 'Acme Cloud'` stays
/// together), pipe or redirection, and never inside quotes or a `#` comment.
fn command_pieces(command: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut chars = command.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (None, '#') if word.is_empty() => {
                // A comment runs to the end: it must stay the last piece, whole.
                word.push(c);
                word.extend(chars.by_ref());
                break;
            }
            (None, ' ') => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            (None, '\'' | '"') => {
                quote = Some(c);
                word.push(c);
            }
            (Some(open), c) if c == open => {
                quote = None;
                word.push(c);
            }
            (_, c) => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    let starts_a_piece =
        |word: &str| word.starts_with('-') || word.starts_with(['|', '>', '&', '#']);
    let mut pieces: Vec<String> = Vec::new();
    for word in words {
        match pieces.last_mut() {
            Some(piece) if !starts_a_piece(&word) => {
                piece.push(' ');
                piece.push_str(&word);
            }
            _ => pieces.push(word),
        }
    }
    pieces
}

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

#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Data directory [default: $PHIGUARD_HOME, else /var/lib/phiguard if it is yours, else
    /// ~/.local/share/phiguard]
    #[arg(long, global = true, value_name = "DIR")]
    pub home: Option<PathBuf>,

    /// Database URL (postgres://USER:PASSWORD@HOST/DB, password percent-encoded) or SQLite
    /// file (a path, or sqlite://PATH), instead of the one in phiguard.toml; libpq key=value
    /// strings are refused
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

    /// Colour status words: auto (on a terminal, unless NO_COLOR is set), always or never;
    /// never with --json
    #[arg(long, global = true, value_name = "WHEN", default_value_t = clap::ColorChoice::Auto)]
    pub color: clap::ColorChoice,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the data directory, its configuration and its database
    #[command(
        after_help = "Creates the home (0700) with a commented phiguard.toml listing every \
                            setting, the database and a private keys/ directory. Running it \
                            again changes nothing that exists. On a terminal it asks whether \
                            the organisation is a covered entity, a business associate or \
                            both, unless --role says so.\n\nExamples:\n  phiguard init\n  \
                            phiguard --home /var/lib/phiguard init --name clinic-prod --role covered_entity"
    )]
    Init(InitArgs),

    /// Assess every HIPAA control: status, owner and evidence, as a scorecard or a report
    #[command(
        after_help = "Runs the host checks, the register checks, a file integrity check (when a \
                      baseline exists) and verifies the evidence ledger; then gives every \
                      control of the catalog a status (met, partial, not met, not applicable, \
                      unknown) with its owner from the responsibility matrix and the ledger \
                      entries it rests on. The result is recorded in the ledger and a checkpoint \
                      is signed, which every report names so an auditor can verify it. Exits 0 \
                      when the assessment completes; --fail-on makes a script fail on a status.\n\n\
                      Examples:\n  phiguard assess\n  \
                      phiguard assess --html report.html --oscal results.json\n  \
                      phiguard assess --profile proposed-2025 --json | jq .summary\n  \
                      phiguard assess --skip host,fim --fail-on not-met"
    )]
    Assess(AssessArgs),

    /// Attest that a control no machine can check is in place (valid 12 months)
    #[command(
        after_help = "Records who attests what, and the backing document's SHA-256, in the \
                      register and the ledger. The assessment counts the control as met for 12 \
                      months, unless a check that covers it fails.\n\n\
                      Examples:\n  phiguard attest '164.310(a)(2)(ii)' --by 'Dana Ruiz, Security Officer' \\\n      \
                      --statement 'Facility security plan reviewed; badge access audited' --evidence facility-plan.pdf\n  \
                      phiguard attest '164.308(a)(1)(ii)(C)' --by 'HR lead' --statement 'Sanction policy applied as written'"
    )]
    Attest(AttestArgs),

    /// Seed a sample clinic into a new home and assess it, to see a full report at once
    #[command(
        after_help = "Creates a sample clinic in an empty home: vendors with one BAA missing, \
                      staff with some training overdue, a responsibility matrix, access grants \
                      with a lapsed review, a restore test, and a file integrity baseline of a \
                      small sample tree with one file changed since. Then runs the assessment. \
                      It refuses a home that already holds records.\n\n\
                      Examples:\n  phiguard --home /tmp/phiguard-demo demo --html demo-report.html\n  \
                      phiguard --home /tmp/phiguard-demo register vendor list"
    )]
    Demo(DemoArgs),

    /// Show where phiguard keeps its data and what it holds
    #[command(
        after_help = "Examples:\n  phiguard status\n  phiguard status --json | jq \
                            .database.schema_version"
    )]
    Status,

    /// The tamper-evident evidence ledger: append, read, prove, sign, verify, export
    #[command(
        subcommand,
        after_help = "Examples:\n  phiguard ledger tail\n  phiguard ledger checkpoint\n  \
                      phiguard ledger verify --json\n  phiguard ledger export --out ./evidence-2026"
    )]
    Ledger(LedgerCommand),

    /// Encrypt a file or stream for storage or transfer (envelope encryption)
    #[command(
        after_help = "Seals with a fresh data key, wrapped by this installation's current \
                      key-encryption key and every enrolled break-glass key; the root key \
                      never leaves this machine. The output appears under its name only \
                      when complete (written as `phiguard unseal --help` describes); it never \
                      replaces the input. Context pairs are bound to the data and checked when it is \
                      opened; they are not secret, so never put PHI in them.\n\n\
                      Examples:\n  phiguard seal scan-0042.dcm                 # writes scan-0042.dcm.phg\n  \
                      phiguard seal export.csv -o /mnt/cloud/export.csv.phg --context purpose=backup\n  \
                      pg_dump ehr | phiguard seal - -o ehr.sql.phg"
    )]
    Seal(SealArgs),

    /// Decrypt what `phiguard seal` produced
    #[command(
        after_help = "Every frame is authenticated before it is written. Output to a file is \
                      written without a name (O_TMPFILE in OUTPUT's directory) and linked in as \
                      OUTPUT only once the whole input has authenticated: a failure, Ctrl-C, \
                      SIGTERM, SIGHUP, kill -9 or a power cut leaves no plaintext behind. On \
                      file systems without O_TMPFILE (FUSE, some network file systems) a hidden \
                      .phiguard-*.partial file beside OUTPUT is used instead, removed on a \
                      failure, SIGINT, SIGTERM or SIGHUP; only kill -9 or a power cut can leave \
                      it behind, and never under OUTPUT's name. With --force the complete file \
                      takes such a hidden name for a moment, then replaces OUTPUT in one step. \
                      Output to stdout streams: if it fails, discard what was written.\n\n\
                      Examples:\n  phiguard unseal scan-0042.dcm.phg            # writes scan-0042.dcm\n  \
                      phiguard unseal export.csv.phg -o - --context purpose=backup | head\n  \
                      phiguard unseal ehr.sql.phg -o ehr.sql --break-glass /media/safe/break-glass.key"
    )]
    Unseal(UnsealArgs),

    /// Manage the encryption keys: create, list, status, rotate, retire, rewrap, break-glass, wrap
    #[command(
        subcommand,
        after_help = "Examples:\n  phiguard keys list\n  phiguard keys rotate\n  \
                      phiguard keys init --provider passphrase"
    )]
    Keys(KeysCommand),

    /// File integrity monitoring: baseline, check, accept changes
    #[command(
        subcommand,
        after_help = "Examples:\n  phiguard fim init\n  phiguard fim check\n  \
                      phiguard fim check --json | jq .summary"
    )]
    Fim(FimCommand),

    /// Host posture: patches, firewall, logging and audit, encryption, access
    #[command(
        subcommand,
        after_help = "Examples:\n  phiguard host check\n  \
                      phiguard host patch --apply --security-only --dry-run"
    )]
    Host(HostCommand),

    /// Cloud posture: an AWS account's storage, network, databases, logging, IAM and keys
    #[command(
        subcommand,
        after_help = "Examples:\n  phiguard cloud check aws\n  \
                      phiguard cloud check aws --region us-east-1 --only s3,iam --json"
    )]
    Cloud(CloudCommand),

    /// The compliance register: vendors and BAAs, matrix, workforce and training, access, SLAs
    #[command(
        subcommand,
        after_help = "Every kind of record has add, list, show, update and remove; every change \
                      is recorded in the ledger with who made it and the record before and \
                      after.\n\n\
                      Examples:\n  phiguard register vendor add acme-cloud --name 'Acme Cloud' --touches-phi\n  \
                      phiguard register baa list --json\n  \
                      phiguard register check\n  \
                      phiguard register export compliance/register"
    )]
    Register(RegisterCommand),

    /// The responsibility matrix shared with a cloud provider: import and export CSV
    #[command(
        subcommand,
        after_help = "Examples:\n  phiguard matrix import provider-matrix.csv\n  phiguard matrix export matrix.csv"
    )]
    Matrix(MatrixCommand),

    /// Access grants: review campaigns and revocation
    #[command(
        subcommand,
        after_help = "Grants themselves are records: `phiguard register grant add|list|update`.\n\n\
                      Examples:\n  phiguard access review start --system ehr-prod\n  \
                      phiguard access revoke alice-ehr --by Dana --reason 'left the team'"
    )]
    Access(AccessCommand),

    /// Security incidents: report, timeline, and where each stands against its deadlines
    #[command(
        subcommand,
        after_help = "An incident is a register record (`phiguard register incident`); these \
                      commands add the response timeline and show each incident whole.\n\n\
                      Examples:\n  phiguard incident add 2026-03-lost-laptop --title 'Laptop stolen from a car' \
                      --source workforce --reported-by 'Dr. Lee' --discovered 2026-03-01T09:30Z\n  \
                      phiguard incident list\n  phiguard incident show 2026-03-lost-laptop"
    )]
    Incident(IncidentCommand),

    /// Breach notification: assess an incident, import who it affects, its deadlines, plans
    #[command(
        subcommand,
        after_help = "Examples:\n  phiguard breach assess 2026-03-lost-laptop\n  \
                      phiguard breach deadlines 2026-03-lost-laptop\n  \
                      phiguard breach plan drill.yaml --json"
    )]
    Breach(BreachCommand),

    /// The asset inventory: what phiguard sees and what people record, with its ePHI
    #[command(
        subcommand,
        after_help = "The inventory merges the assets phiguard sees (hosts it checked, the \
                      newest cloud inventory, the register's vendors and systems, the ePHI \
                      paths of phiguard.toml) with those people record (`phiguard register \
                      asset`), which add what no machine knows: owner, criticality, the ePHI \
                      each handles.\n\n\
                      Examples:\n  phiguard asset list --ephi\n  \
                      phiguard asset update host:web-1 --owner 'Sam Lee, IT' --ephi maintains --criticality high\n  \
                      phiguard asset show host:web-1"
    )]
    Asset(AssetCommand),

    /// Flows of ePHI between assets, and whether each is encrypted in transit
    #[command(
        subcommand,
        after_help = "Examples:\n  phiguard flow add ehr-to-lab --from ehr-db --to lab-portal \
                      --data 'lab orders' --protocol HTTPS --encrypted\n  \
                      phiguard flow list"
    )]
    Flow(FlowCommand),

    /// Risk analysis and management: risks, threats, vulnerabilities, the signed analysis
    #[command(
        subcommand,
        after_help = "A risk is a register record (`phiguard register risk`); these commands \
                      judge each on the evidence, make the analysis document and sign it off \
                      (45 CFR 164.308(a)(1)(ii)(A) and (B)).\n\n\
                      Examples:\n  phiguard risk threats\n  phiguard risk list\n  \
                      phiguard risk analyze --html risk-analysis.html\n  \
                      phiguard risk signoff 2026-12-07 --by 'Dana Ruiz, Security Officer'"
    )]
    Risk(RiskCommand),

    /// Replace an identifier (MRN, name, SSN…) with this installation's pseudonym for it
    #[command(
        after_help = "The pseudonym is HMAC-SHA256 with a key from this installation's keyring: \
                      the same identifier always gives the same pseudonym here, and nobody \
                      without the key can reverse it. Use it to search the ledger for a known \
                      person. Prefer stdin (-) so identifiers stay out of shell history.\n\n\
                      Examples:\n  echo 'MRN-00042' | phiguard pseudonym --kind mrn -\n  \
                      cut -d, -f1 patients.csv | phiguard pseudonym --kind mrn - > pseudonyms.txt\n  \
                      phiguard pseudonym --kind ssn 123-45-6789 --json"
    )]
    Pseudonym(PseudonymArgs),
}

#[derive(Debug, Subcommand)]
pub enum FimCommand {
    /// Record a baseline of every monitored file
    #[command(
        after_help = "Without paths, monitors what the [fim] rules in phiguard.toml name (by \
                      default system binaries and libraries, /etc, /boot and the ePHI paths). \
                      Paths given here replace the rules and are monitored with every \
                      attribute. The baseline's root hash is appended to the ledger. Only the \
                      first baseline is taken this way: later ones accept changes, with a \
                      reason, through `phiguard fim update --reason TEXT`.\n\n\
                      Examples:\n  phiguard fim init\n  phiguard fim init /srv/ehr /etc --json"
    )]
    Init(FimScanArgs),

    /// Compare the files with the baseline; exit 1 on changes no package update explains
    #[command(
        after_help = "Lists what was added, removed and changed, each changed attribute old → \
                      new. On Debian, a file whose new content matches what dpkg recorded for \
                      a package upgraded after the baseline is reported as that package's \
                      update, not as tampering. Without paths it checks what the baseline \
                      covers: the paths it was taken of, else the configured rules.\n\n\
                      Examples:\n  phiguard fim check\n  phiguard fim check /srv/ehr --json | jq .summary"
    )]
    Check(FimScanArgs),

    /// Report changes as they happen (inotify), until stopped
    #[command(
        after_help = "Watches every monitored directory. A burst of changes (a package \
                      upgrade) is checked once it has been quiet for --debounce-ms; each change \
                      against the baseline is printed as it is found (one JSON object per line \
                      with --json) and recorded in the ledger. If the kernel drops events, \
                      everything is rescanned. Stop it with Ctrl-C or SIGTERM.\n\n\
                      Examples:\n  phiguard fim watch\n  phiguard fim watch /srv/ehr --json | your-alerting"
    )]
    Watch {
        #[command(flatten)]
        scan: FimScanArgs,
        /// Milliseconds without events before a burst of changes is checked
        #[arg(long, default_value_t = 500, value_name = "MS")]
        debounce_ms: u64,
    },

    /// Accept the current state as the new baseline, recording who and why
    #[command(
        after_help = "Without paths, the new baseline covers what the previous one did.\n\n\
                      Examples:\n  phiguard fim update --reason 'CHG-1234: nginx config for TLS 1.3'\n  \
                      phiguard fim update /srv/ehr --reason 'quarterly data migration' --actor alice"
    )]
    Update {
        #[command(flatten)]
        scan: FimScanArgs,
        /// Why the changes are accepted (a change ticket, a maintenance window)
        #[arg(long)]
        reason: String,
        /// Who accepts them: a name and role, recorded before the OS account, which is
        /// always recorded
        #[arg(long, value_name = "NAME", value_parser = phiguard_core::Actor::stated_name)]
        actor: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum HostCommand {
    /// Check this machine (or a mounted image) and print the findings; exit 1 if any fails
    #[command(
        after_help = "Runs the host posture checks: pending patches against their deadline \
                      ([host] in phiguard.toml), the firewall and its logging, audit logging, \
                      encryption at rest and in transit, and access (SSH, accounts, sudo, \
                      automatic logoff, and shell accounts that no access grant in the \
                      register covers). The findings are stored as a check run and recorded \
                      in the ledger. With --root, the file-based checks read an image or \
                      container file system instead of /, and checks that need the running \
                      system say they were skipped.\n\n\
                      Examples:\n  phiguard host check\n  \
                      phiguard host check --only patches,access --json | jq '.findings[] | select(.status == \"fail\")'\n  \
                      phiguard host check --root /mnt/golden-image --system ehr-prod"
    )]
    Check(HostCheckArgs),

    /// Install pending updates with the package manager (apt), recording the outcome
    #[command(
        after_help = "Lists the pending updates phiguard sees, then runs apt-get (never through \
                      a shell) to install exactly those, keeping changed configuration files. \
                      With --dry-run, apt-get only simulates. What was asked and how it ended is \
                      recorded in the ledger either way.\n\n\
                      Examples:\n  phiguard host patch --apply --security-only --dry-run\n  \
                      phiguard host patch --apply --security-only\n  \
                      phiguard host patch --apply --json"
    )]
    Patch(HostPatchArgs),
}

#[derive(Debug, Args)]
pub struct HostPatchArgs {
    /// Install the updates (required: patching changes the machine)
    #[arg(long)]
    pub apply: bool,
    /// Only updates a security suite offers
    #[arg(long)]
    pub security_only: bool,
    /// Let apt-get simulate the installation without changing anything
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct HostCheckArgs {
    /// Areas to check, comma-separated: patches, firewall, logging, encryption, access [default: all]
    #[arg(long, value_delimiter = ',', value_name = "AREAS")]
    pub only: Vec<phiguard_host::Area>,
    /// Check the file system mounted here instead of the running system
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// The system name the register's access grants use for this host [default: the host name]
    #[arg(long, value_name = "NAME")]
    pub system: Option<String>,
}

#[derive(Debug, Args)]
pub struct FimScanArgs {
    /// Directories or files to monitor instead of the configured rules
    pub paths: Vec<PathBuf>,
    /// Stay on the file system each path is on
    #[arg(long)]
    pub one_file_system: bool,
    /// Content hash: sha256 (default) or blake3 [default: fim.algorithm in phiguard.toml]
    #[arg(long, value_name = "ALGORITHM")]
    pub algorithm: Option<String>,
}

#[derive(Debug, Args)]
pub struct SealArgs {
    /// File to seal, or - for stdin
    pub input: PathBuf,
    /// Where to write [default: INPUT.phg; stdout when reading stdin]; - for stdout
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Bind a key=value pair to the data (repeatable); opening can require it
    #[arg(long = "context", value_name = "KEY=VALUE")]
    pub context: Vec<String>,
    /// Replace OUTPUT if it exists
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct UnsealArgs {
    /// File to open, or - for stdin
    pub input: PathBuf,
    /// Where to write [default: INPUT without .phg; stdout when reading stdin]; - for stdout
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Require this key=value pair in the data's context (repeatable)
    #[arg(long = "context", value_name = "KEY=VALUE")]
    pub context: Vec<String>,
    /// Open with an offline break-glass key file instead of the keyring
    #[arg(long, value_name = "KEYFILE")]
    pub break_glass: Option<PathBuf>,
    /// Replace OUTPUT if it exists
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct PseudonymArgs {
    /// What the identifier is: mrn, ssn, name, email, or any lowercase name
    #[arg(long)]
    pub kind: String,
    /// The identifier, or - to read one per line from stdin
    pub value: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum KeyProvider {
    /// 32 random bytes in keys/root.key (0600); back it up off this machine
    File,
    /// Derived with Argon2id from a passphrase (PHIGUARD_PASSPHRASE, else a prompt)
    Passphrase,
    /// A non-extractable AES key inside a PKCS#11 token or HSM (PIN from PHIGUARD_PKCS11_PIN)
    Pkcs11,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create the keyring: a root key, key-encryption key version 1, a pseudonymisation key
    #[command(
        after_help = "`phiguard init` creates a keyring with a file root key when there is \
                      none; run this first to choose another root.\n\n\
                      Examples:\n  phiguard keys init --provider passphrase\n  \
                      PHIGUARD_PKCS11_PIN=… phiguard keys init --provider pkcs11 \\\n      \
                      --pkcs11-module /usr/lib/softhsm/libsofthsm2.so --pkcs11-token phiguard"
    )]
    Init(KeysInitArgs),

    /// Show the key versions, which one seals, which are retired, and break-glass keys
    #[command(after_help = "Examples:\n  phiguard keys list\n  phiguard keys list --json")]
    List,

    /// Show every root that wraps the keyring (primary and additional), its age, and whether
    /// it opens the keyring now
    #[command(
        after_help = "Each root is tried: a KMS key is asked to decrypt, a passphrase or PIN \
                      is asked for. The keyring opens with any one of them.\n\n\
                      Examples:\n  phiguard keys status\n  phiguard keys status --json"
    )]
    Status,

    /// Wrap the keyring under another root as well (a cloud KMS key), or stop doing so
    #[command(
        subcommand,
        after_help = "Examples:\n  phiguard keys wrap add aws-kms --key-id \"$KMS_KEY_ARN\"\n  \
                      phiguard keys status\n  \
                      phiguard keys wrap remove --key-id \"$KMS_KEY_ARN\""
    )]
    Wrap(WrapCommand),

    /// Add a new key-encryption key version and seal with it from now on
    #[command(
        after_help = "Older versions keep opening what they sealed. Rewrap old files, then \
                      retire the old versions.\n\nExamples:\n  phiguard keys rotate\n  \
                      phiguard keys rewrap /srv/phi/*.phg && phiguard keys retire 1"
    )]
    Rotate,

    /// Refuse to open data still wrapped under versions up to VERSION
    #[command(
        after_help = "The current version cannot be retired: it seals new data and is the \
                      only one that opens what was sealed since the last rotation. Rotate, \
                      rewrap, then retire. Retiring versions already retired changes nothing; \
                      it never brings one back.\n\nExamples:\n  phiguard keys rotate && \
                      phiguard keys rewrap /srv/phi/*.phg && phiguard keys retire 1"
    )]
    Retire {
        /// The newest version to retire (lower than the current one)
        version: u32,
    },

    /// Re-wrap sealed files for the current key version and break-glass keys (data untouched)
    #[command(
        after_help = "Only each file's header changes: its data key is unwrapped and wrapped \
                      again, and the encrypted data is copied as it is. Each file is replaced \
                      atomically.\n\nExamples:\n  phiguard keys rewrap backup-2025.tar.phg\n  \
                      find /srv/phi -name '*.phg' -print0 | xargs -0 phiguard keys rewrap"
    )]
    Rewrap {
        /// Sealed files to rewrap
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },

    /// Create an offline break-glass key for emergency access and enroll it
    #[command(
        after_help = "Writes the private key to FILE (0600): print it or copy it to offline \
                      media, put it in a safe, and delete it from this machine. Everything \
                      sealed from now on can be opened with it, without the root key \
                      (164.312(a)(2)(ii)). Rewrap older files to cover them too.\n\n\
                      Examples:\n  phiguard keys break-glass --out /media/usb/break-glass.key --note 'safe 2, envelope 7'"
    )]
    BreakGlass {
        /// Where to write the private key (must not exist)
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Where the key will be kept, for the record
        #[arg(long, default_value = "")]
        note: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum WrapCommand {
    /// Wrap every key of the keyring under a KMS key too, so either root opens it
    #[command(
        after_help = "The key-encryption keys, the pseudonymisation key and the integrity key \
                      are wrapped under the KMS key (with KMS Encrypt, the keyring's label as \
                      encryption context) beside the on-premises root: losing either root \
                      loses nothing. Rotation then needs both. Credentials and endpoint come \
                      from the usual AWS chain (AWS_PROFILE, AWS_ENDPOINT_URL…); the caller \
                      needs kms:DescribeKey, kms:Encrypt and kms:Decrypt on the key. If the \
                      key cannot be reached the keyring is left unchanged.\n\n\
                      Examples:\n  \
                      phiguard keys wrap add aws-kms --key-id \"$KMS_KEY_ARN\"\n  \
                      phiguard keys wrap add aws-kms --key-id alias/phiguard-root --region us-east-1"
    )]
    Add {
        /// Where the root lives
        #[arg(value_enum)]
        provider: WrapProvider,
        /// The KMS key: its ARN, id, alias (alias/NAME) or alias ARN; the ARN is recorded
        #[arg(long, value_name = "KEY")]
        key_id: String,
        /// The key's region, when --key-id is not an ARN (default: the configured region)
        #[arg(long)]
        region: Option<String>,
    },

    /// Stop wrapping the keyring under a KMS key (the primary root stays)
    #[command(
        after_help = "Refused when no other root opens the keyring here. Do this before \
                      disabling or deleting the KMS key, so the cloud check stops watching \
                      it.\n\nExamples:\n  phiguard keys status\n  \
                      phiguard keys wrap remove --key-id \"$KMS_KEY_ARN\""
    )]
    Remove {
        /// The key's ARN, as `phiguard keys status` shows it
        #[arg(long, value_name = "ARN")]
        key_id: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum WrapProvider {
    /// A symmetric key in AWS KMS
    AwsKms,
}

#[derive(Debug, Args)]
pub struct KeysInitArgs {
    /// Where the root key lives
    #[arg(long, value_enum, default_value_t = KeyProvider::File)]
    pub provider: KeyProvider,
    /// PKCS#11 module (shared library) for --provider pkcs11
    #[arg(long, value_name = "PATH", required_if_eq("provider", "pkcs11"))]
    pub pkcs11_module: Option<PathBuf>,
    /// Label of the PKCS#11 token for --provider pkcs11
    #[arg(long, value_name = "LABEL", required_if_eq("provider", "pkcs11"))]
    pub pkcs11_token: Option<String>,
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

    /// Prove that an entry is in the ledger: a verdict checked against the signed checkpoint (the inclusion proof with --json)
    #[command(
        after_help = "Without --size the proof is against the newest signed checkpoint that \
                            covers the entry. The proof is checked as a verifier would: the \
                            entry's text hashes to its leaf, the audit path leads from the leaf \
                            to the root, and the checkpoint of that size is signed over that root \
                            by this installation's ledger key. It prints the verdict (\"entry 41 \
                            is included in the checkpoint of size 1,000, root …, signed by …\"), \
                            or with --json the proof and the signed checkpoint, for checking \
                            elsewhere; exit 1 when the proof does not hold. A size no checkpoint \
                            signed proves inclusion in that tree, and says that no signature \
                            vouches for its root. Offline, an auditor verifies an exported bundle \
                            instead (`phiguard ledger verify --bundle DIR --key KEY`).\n\n\
                            Examples:\n  phiguard ledger prove 41\n  phiguard ledger prove 41 --size 1000\n  \
                            phiguard ledger prove 41 --json > proof.json"
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
        after_help = "Without --bundle, verifies the ledger in the database, and holds it \
                            against the newest checkpoint kept in the home's witness file \
                            (ledger.witness): a database deleted, emptied or rolled back to an \
                            older copy fails. It never creates a home or a database. With \
                            --bundle, verifies an exported bundle offline: no home or database \
                            is used, and --key is required.\n\n\
                            --checkpoint holds the ledger against a checkpoint kept elsewhere \
                            (by an auditor, another installation), usually one cosigned by a \
                            witness (`phiguard ledger witness cosign`): that also catches a \
                            rollback of the whole home. --witness-key requires that witness's \
                            cosignature on it.\n\n\
                            Examples:\n  phiguard ledger verify\n  \
                            phiguard ledger verify --key clinic.verifier\n  \
                            phiguard ledger verify --checkpoint cosigned.note --witness-key auditor.vkey\n  \
                            phiguard ledger verify --bundle ./evidence-2026 --key clinic.verifier --checkpoint cosigned.note"
    )]
    Verify(VerifyArgs),

    /// Act as an independent witness of another installation's ledger: cosign its checkpoints
    #[command(
        subcommand,
        after_help = "A witness keeps the newest checkpoint it cosigned for each log and \
                            cosigns a new one only when it extends it, so a checkpoint it \
                            cosigned can never be rolled back past unnoticed.\n\n\
                            Examples:\n  phiguard ledger witness key > auditor.vkey\n  \
                            phiguard ledger witness cosign --log-key clinic.verifier --checkpoint checkpoint.note --proof proof.json > cosigned.note"
    )]
    Witness(WitnessCommand),

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
    /// A signed checkpoint kept outside this home that the ledger must extend (repeatable)
    #[arg(long = "checkpoint", value_name = "FILE")]
    pub checkpoints: Vec<PathBuf>,
    /// A witness whose cosignature every --checkpoint must carry: its key, or a file holding it
    /// (repeatable)
    #[arg(
        long = "witness-key",
        value_name = "KEY|FILE",
        requires = "checkpoints"
    )]
    pub witness_keys: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum WitnessCommand {
    /// Print this installation's witness key (made on first use), for the logs' verifiers
    #[command(after_help = "Examples:\n  phiguard ledger witness key > auditor.vkey")]
    Key,
    /// Cosign a log's checkpoint if it extends the last one cosigned for that log
    #[command(
        after_help = "Checks the log's signature, then that the checkpoint extends the \
                            newest one this witness cosigned for the log (the consistency proof \
                            is required from the second time on), prints the checkpoint with \
                            this witness's cosignature (C2SP tlog-cosignature) and remembers \
                            it. A checkpoint that goes back, or shows another history, is \
                            refused (exit 1).\n\n\
                            On the log's installation:\n  \
                            phiguard ledger checkpoint > checkpoint.note\n  \
                            phiguard ledger consistency OLD NEW --json > proof.json\n\n\
                            Examples:\n  \
                            phiguard ledger witness cosign --log-key clinic.verifier --checkpoint checkpoint.note\n  \
                            phiguard ledger witness cosign --log-key clinic.verifier --checkpoint checkpoint.note --proof proof.json > cosigned.note"
    )]
    Cosign {
        /// The log's verifier key (the text, or a file holding it)
        #[arg(long, value_name = "KEY|FILE")]
        log_key: String,
        /// The signed checkpoint to cosign
        #[arg(long, value_name = "FILE")]
        checkpoint: PathBuf,
        /// The consistency proof from the last cosigned size to this one (JSON, as printed
        /// by `phiguard ledger consistency OLD NEW --json`)
        #[arg(long, value_name = "FILE")]
        proof: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Name of this installation, used in signed checkpoints and reports [default: host name]
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// The organisation's role under HIPAA: covered_entity, business_associate or both
    /// [default: asked on a terminal, else left unset]
    #[arg(long, value_name = "ROLE")]
    pub role: Option<phiguard_core::OrganizationRole>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every command of the tree, with its path.
    fn commands(command: &clap::Command, path: String, out: &mut Vec<(String, clap::Command)>) {
        for sub in command.get_subcommands() {
            commands(sub, format!("{path} {}", sub.get_name()), out);
        }
        out.push((path, command.clone()));
    }

    #[test]
    fn every_argument_is_described() {
        let mut all = Vec::new();
        commands(&command(), "phiguard".into(), &mut all);
        let undescribed: Vec<String> = all
            .iter()
            .flat_map(|(path, command)| {
                command
                    .get_arguments()
                    .filter(|arg| !arg.is_hide_set() && arg.get_help().is_none())
                    .map(move |arg| format!("{path}: {}", arg.get_id()))
            })
            .collect();
        assert!(undescribed.is_empty(), "no help: {undescribed:#?}");
    }

    #[test]
    fn long_examples_are_continued_never_wrapped() {
        let text = "Prose that clap may wrap as it likes.\n\nExamples:\n  phiguard init\n  \
                    phiguard register assurance add acme-cloud-soc2-2026 --vendor acme-cloud \
                    --issuer 'Example & Partners LLP' --scope 'object storage, us-east' \\\n      \
                    --document acme-soc2.pdf\n  phiguard seal a.dcm   # writes a.dcm.phg";
        assert_eq!(
            fold_examples(text, 70),
            "Prose that clap may wrap as it likes.\n\nExamples:\n  phiguard init\n  \
             phiguard register assurance add acme-cloud-soc2-2026 \\\n      \
             --vendor acme-cloud --issuer 'Example & Partners LLP' \\\n      \
             --scope 'object storage, us-east' --document acme-soc2.pdf\n  \
             phiguard seal a.dcm   # writes a.dcm.phg"
        );
    }
}
