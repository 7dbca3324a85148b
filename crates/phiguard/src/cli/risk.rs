//! The flags of `phiguard asset`, `phiguard flow` and `phiguard risk`. Their `add`, `update`
//! and `remove` are the register's subcommands of the kind, mounted here (`Mounted`), so no
//! field is defined twice: the flags come from the record types (`record_args`).

use std::path::PathBuf;

use clap::{Args, Subcommand};
use jiff::civil::Date;
use phiguard_register::Kind;
use phiguard_register::records::AssetType;

use super::ChangeArgs;
pub use super::mounted::{Mount, Mounted};

/// `phiguard asset add|update|remove`.
#[derive(Debug)]
pub struct AssetRecord;

impl Mount for AssetRecord {
    const KIND: Kind = Kind::Asset;
    const ACTIONS: &'static [(&'static str, &'static str)] = &[
        (
            "add",
            "Record an asset: what it is, its owner, the ePHI it handles, its criticality",
        ),
        (
            "update",
            "Change an asset's fields, or record one phiguard sees with what no machine knows",
        ),
        (
            "remove",
            "Remove a recorded asset (one phiguard sees stays listed while it sees it)",
        ),
    ];

    fn more_help(action: &str) -> Option<&'static str> {
        match action {
            "update" => Some(
                "An asset phiguard sees but nobody recorded (a host it checked, a cloud \
                 resource, a vendor, an ePHI path) is recorded by its first update: what it \
                 sees, with the fields given laid over it.",
            ),
            "remove" => Some(
                "Only a recorded asset can be removed. An asset phiguard sees stays in the \
                 inventory while it sees it; removing its record drops only what people added.",
            ),
            _ => None,
        }
    }
}

/// `phiguard flow add|update|remove`.
#[derive(Debug)]
pub struct FlowRecord;

impl Mount for FlowRecord {
    const KIND: Kind = Kind::Flow;
    const ACTIONS: &'static [(&'static str, &'static str)] = &[
        ("add", "Record a flow of ePHI from one asset to another"),
        (
            "update",
            "Change a flow's fields; fields not given keep their value",
        ),
        ("remove", "Remove a flow (its history stays in the ledger)"),
    ];

    fn more_help(action: &str) -> Option<&'static str> {
        match action {
            "add" | "update" => Some(
                "The endpoints are asset ids (`phiguard asset list`); one that is not in the \
                 inventory is recorded all the same, with a warning.",
            ),
            _ => None,
        }
    }
}

/// `phiguard risk add|update`.
#[derive(Debug)]
pub struct RiskRecordCommand;

impl Mount for RiskRecordCommand {
    const KIND: Kind = Kind::Risk;
    const ACTIONS: &'static [(&'static str, &'static str)] = &[
        (
            "add",
            "Record a risk: a threat, the assets at risk, likelihood and impact, its treatment",
        ),
        (
            "update",
            "Change a risk's fields (its treatment, due day, residual rating…)",
        ),
    ];

    fn more_help(action: &str) -> Option<&'static str> {
        match action {
            "add" | "update" => Some(
                "The threat must be one of the catalog (`phiguard risk threats`); assets that \
                 are not in the inventory are recorded all the same, with a warning.",
            ),
            _ => None,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum AssetCommand {
    /// `add`, `update` and `remove`, as `phiguard register asset` has them.
    #[command(flatten)]
    Record(Mounted<AssetRecord>),

    /// List the inventory: every asset phiguard sees and every asset recorded
    #[command(
        after_help = "One line per asset: its id, type, what it does with ePHI, owner, \
                      criticality, location, where phiguard saw it (host check, cloud \
                      inventory, register vendor or system, ePHI path) and when it last did, \
                      or `recorded` for an asset only people recorded. Nothing is recorded.\n\n\
                      Examples:\n  phiguard asset list\n  phiguard asset list --ephi\n  \
                      phiguard asset list --type data_store --json"
    )]
    List(AssetListArgs),

    /// Show one asset: where it was seen, its vulnerabilities, the risks and flows naming it
    #[command(after_help = "Examples:\n  phiguard asset show host:web-1\n  \
                      phiguard asset show ehr-db --json")]
    Show(IdArgs),

    /// Add or update the assets of a YAML file, all or none
    #[command(
        after_help = "The file is a list of assets as `phiguard register export` writes \
                      assets.yaml. Each asset is added or replaced; assets not in the file are \
                      left alone. An invalid asset is refused with the file, its line and the \
                      reason, and nothing is imported.\n\n\
                      Examples:\n  phiguard asset import assets.yaml --dry-run\n  \
                      phiguard asset import assets.yaml --actor 'Dana Ruiz (CISO)'"
    )]
    Import(AssetImportArgs),
}

#[derive(Debug, Args)]
pub struct AssetListArgs {
    /// Only the assets that create, receive, maintain or transmit ePHI
    #[arg(long)]
    pub ephi: bool,
    /// Only the assets of this type: system, host, cloud_resource, application, data_store,
    /// device, vendor or network
    #[arg(long = "type", value_name = "TYPE", value_parser = asset_type)]
    pub asset_type: Option<AssetType>,
}

fn asset_type(text: &str) -> Result<AssetType, String> {
    text.parse()
}

#[derive(Debug, Args)]
pub struct IdArgs {
    /// The id, as the list shows it
    pub id: String,
}

#[derive(Debug, Args)]
pub struct AssetImportArgs {
    /// The YAML file: a list of assets
    pub file: PathBuf,
    /// Print the changes without making them
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub change: ChangeArgs,
}

#[derive(Debug, Subcommand)]
pub enum FlowCommand {
    /// `add`, `update` and `remove`, as `phiguard register flow` has them.
    #[command(flatten)]
    Record(Mounted<FlowRecord>),

    /// List the flows of ePHI, each with whether it is encrypted in transit and on what basis
    #[command(
        after_help = "A flow is encrypted in transit when the in-transit checks (45 CFR \
                      164.312(e)) of its endpoints pass, unencrypted when one fails or when \
                      people stated it, else as people stated it; unknown when nobody did and \
                      no check ran. Endpoints not in the inventory are named.\n\n\
                      Examples:\n  phiguard flow list\n  \
                      phiguard flow list --json | jq '.[] | select(.in_transit.state != \"encrypted\")'"
    )]
    List,

    /// Show one flow, with the findings its in-transit verdict rests on
    #[command(after_help = "Examples:\n  phiguard flow show ehr-to-lab\n  \
                      phiguard flow show ehr-to-lab --json")]
    Show(IdArgs),
}

#[derive(Debug, Subcommand)]
pub enum RiskCommand {
    /// `add` and `update`, as `phiguard register risk` has them.
    #[command(flatten)]
    Record(Mounted<RiskRecordCommand>),

    /// List the risks: residual and inherent level, treatment and where it stands, owner, due
    #[command(
        after_help = "The residual level is the one hoped for once the treatment is in place, \
                      and only then: a mitigation is in place when every check it names passes \
                      on the risk's assets (or, naming none, when the day it was done is \
                      recorded). Until then the residual level is the inherent one. The state \
                      is in place, pending, overdue, accepted or acceptance expired.\n\n\
                      Examples:\n  phiguard risk list\n  \
                      phiguard risk list --json | jq '.[] | select(.state.state == \"overdue\")'"
    )]
    List,

    /// Show one risk whole: its threat, ratings, treatment, and the checks it names
    #[command(
        after_help = "Shows why the residual rating is what it is: the checks named for the \
                      mitigation with their passing and failing findings on the risk's assets, \
                      or the day it was done, or the acceptance and when it lapses.\n\n\
                      Examples:\n  phiguard risk show ransomware-ehr\n  \
                      phiguard risk show ransomware-ehr --json"
    )]
    Show(IdArgs),

    /// Accept a risk: who, why, and until when it must be decided again
    #[command(
        after_help = "Sets the risk's treatment to accept, with who accepted it, today's date, \
                      the reason and the day the acceptance lapses; after that day the risk \
                      shows as `acceptance expired` until it is decided again.\n\n\
                      Examples:\n  phiguard risk accept old-fax --by 'Dana Ruiz, Security Officer' \
                      --reason 'Fax line retired in March' --until 2027-03-31"
    )]
    Accept(AcceptArgs),

    /// List the threat catalog: the threats a risk can name
    #[command(
        after_help = "The threat sources of NIST SP 800-30 Rev. 1 (Appendix D) and the threat \
                      events a health-care organisation in the cloud faces (Appendix E, and the \
                      HHS/ONC Security Risk Assessment Tool's list), with their references. \
                      Needs no home.\n\n\
                      Examples:\n  phiguard risk threats\n  \
                      phiguard risk threats --json | jq '.threats[].id'"
    )]
    Threats,

    /// List the vulnerabilities: failing findings on each asset, and those people recorded
    #[command(
        after_help = "One line per vulnerability: the failing findings of one check on one \
                      asset (from the newest checks in the ledger), or a vulnerability people \
                      recorded (`phiguard register vulnerability add`) and not fixed yet; its \
                      severity, and the risks that cover it.\n\n\
                      Examples:\n  phiguard risk vulnerabilities\n  \
                      phiguard risk vulnerabilities --json"
    )]
    Vulnerabilities,

    /// Make the risk analysis: the inventory, flows, vulnerabilities and risks, recorded whole
    #[command(
        after_help = "Runs the register checks, gathers the newest evidence of the ledger, \
                      judges every risk on it and runs the risk checks; then records the \
                      analysis document whole in the ledger and a `risk-analysis` record naming \
                      its SHA-256. It prints the id, the SHA-256, the ledger entry, the counts \
                      and what the risk checks found stale. Exits 0 once the analysis is made, \
                      stale or not.\n\n\
                      Examples:\n  phiguard risk analyze\n  \
                      phiguard risk analyze --prepared-by 'Sam Lee, IT' --html risk-analysis.html \
                      --markdown risk-analysis.md --oscal poam.json\n  \
                      phiguard risk analyze --sign-off 'Dana Ruiz, Security Officer' --json"
    )]
    Analyze(AnalyzeArgs),

    /// Sign off a risk analysis, once its document is found intact in the ledger
    #[command(
        after_help = "An analysis is signed once: a signed analysis stays as signed, and a new \
                      one is made with `phiguard risk analyze`.\n\n\
                      Examples:\n  phiguard risk signoff 2026-12-07 --by 'Dana Ruiz, Security Officer'"
    )]
    Signoff(SignoffArgs),

    /// Render a recorded analysis again from its document in the ledger
    #[command(
        after_help = "Reads the analysis document back from the ledger, checks it against the \
                      SHA-256 its record names, and writes it as HTML, Markdown or an OSCAL \
                      plan of action and milestones, with its sign-off. Nothing is recorded.\n\n\
                      Examples:\n  phiguard risk report 2026-12-07 --html risk-analysis.html\n  \
                      phiguard risk report 2026-12-07 --json | jq .analysis.risks"
    )]
    Report(ReportArgs),
}

#[derive(Debug, Args)]
pub struct AcceptArgs {
    /// The risk's id
    pub id: String,
    /// Who accepts it: a name and role
    #[arg(long, value_name = "NAME")]
    pub by: String,
    /// Why it is accepted
    #[arg(long, value_name = "TEXT")]
    pub reason: String,
    /// The day the acceptance lapses (YYYY-MM-DD), after today
    #[arg(long, value_name = "DATE")]
    pub until: Date,
    #[command(flatten)]
    pub change: ChangeArgs,
}

/// The documents a command writes.
#[derive(Debug, Args)]
pub struct DocumentArgs {
    /// Write the analysis as a standalone HTML page, with its network map
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Write the analysis as Markdown
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
    /// Write the treatment plan as an OSCAL plan of action and milestones (JSON)
    #[arg(long, value_name = "FILE")]
    pub oscal: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// The day the analysis is for (YYYY-MM-DD) [default: today]; not a day to come
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<Date>,
    /// The analysis's id [default: its day, with -2, -3… when taken]
    #[arg(long, value_name = "ID")]
    pub id: Option<String>,
    /// What it covers [default: all ePHI the organisation creates, receives, maintains or
    /// transmits]
    #[arg(long, value_name = "TEXT")]
    pub scope: Option<String>,
    /// Who prepared it: a name and role
    #[arg(long, value_name = "NAME")]
    pub prepared_by: Option<String>,
    /// Sign it off at once, as this person (a name and role)
    #[arg(long, value_name = "NAME")]
    pub sign_off: Option<String>,
    #[command(flatten)]
    pub documents: DocumentArgs,
    #[command(flatten)]
    pub change: ChangeArgs,
}

#[derive(Debug, Args)]
pub struct SignoffArgs {
    /// The analysis's id
    pub id: String,
    /// Who signs it off: a name and role
    #[arg(long, value_name = "NAME")]
    pub by: String,
    #[command(flatten)]
    pub change: ChangeArgs,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The analysis's id
    pub id: String,
    #[command(flatten)]
    pub documents: DocumentArgs,
}
