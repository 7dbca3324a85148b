//! The register's commands and flags: one generic set of subcommands (add, list, show,
//! update, remove) for every kind of record, and each kind's fields as flags.
//!
//! Field structs serialise to the record's JSON field names, skipping what was not given, so
//! `add` builds a record and `update` patches one from the same definition.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use jiff::civil::Date;
use phiguard_register::Kind;
use phiguard_register::records::{
    AssuranceKind, BaaStatus, Decision, PhiUse, Responsibility, RestoreResult,
};
use serde::Serialize;

#[derive(Debug, Args)]
pub struct ChangeArgs {
    /// Your name and role, recorded in the ledger before the OS account, which is always
    /// recorded
    #[arg(long, value_name = "NAME", value_parser = phiguard_core::Actor::stated_name)]
    pub actor: Option<String>,
}

/// The same five subcommands for every kind; `main` gives each kind its own help and
/// examples (see `cli::command`).
#[derive(Debug, Subcommand)]
pub enum RecordCommand<F: Args> {
    /// Add a record
    Add {
        /// The record's id: a short, stable name (some kinds make one from the fields when omitted)
        id: Option<String>,
        #[command(flatten)]
        fields: F,
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// List the records
    List,
    /// Show one record
    Show {
        /// The record's id
        id: String,
    },
    /// Change fields of a record; fields not given keep their value
    Update {
        /// The record's id
        id: String,
        #[command(flatten)]
        fields: F,
        /// Clear an optional field (repeatable), e.g. --unset expires
        #[arg(long, value_name = "FIELD")]
        unset: Vec<String>,
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// Remove a record (its history stays in the ledger)
    Remove {
        /// The record's id
        id: String,
        #[command(flatten)]
        change: ChangeArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum RegisterCommand {
    /// Vendors, and whether they touch PHI
    #[command(subcommand)]
    Vendor(RecordCommand<VendorFields>),
    /// Business associate agreements
    #[command(subcommand)]
    Baa(RecordCommand<BaaFields>),
    /// Assurance reports on vendors: SOC 2 Type II, HITRUST r2, ISO 27001, FedRAMP
    #[command(subcommand)]
    Assurance(RecordCommand<AssuranceFields>),
    /// Service levels agreed with providers
    #[command(subcommand)]
    Sla(RecordCommand<SlaFields>),
    /// Restore tests of backups
    #[command(subcommand, name = "restore-test")]
    RestoreTest(RecordCommand<RestoreTestFields>),
    /// The responsibility matrix, one control at a time (see also `phiguard matrix`)
    #[command(subcommand)]
    Responsibility(RecordCommand<ResponsibilityFields>),
    /// Workforce members
    #[command(subcommand)]
    Person(RecordCommand<PersonFields>),
    /// Training courses
    #[command(subcommand)]
    Course(RecordCommand<CourseFields>),
    /// Training completions
    #[command(subcommand)]
    Completion(RecordCommand<CompletionFields>),
    /// Policies and procedures
    #[command(subcommand)]
    Policy(RecordCommand<PolicyFields>),
    /// Policy acknowledgments
    #[command(subcommand)]
    Acknowledgment(RecordCommand<AcknowledgmentFields>),
    /// Access grants
    #[command(subcommand)]
    Grant(RecordCommand<GrantFields>),
    /// Access review campaigns (see also `phiguard access review`)
    #[command(subcommand)]
    Review(RecordCommand<ReviewFields>),
    /// Attestations to controls no machine can check (see also `phiguard attest`)
    #[command(subcommand)]
    Attestation(RecordCommand<AttestationFields>),

    /// Every recorded change to one record, from the ledger
    #[command(
        after_help = "Shows who changed the record, when, and each field before and after, \
                      read from the tamper-evident ledger. Works for removed records too.\n\n\
                      Examples:\n  phiguard register history vendor acme-cloud\n  \
                      phiguard register history grant alice-ehr --json"
    )]
    History {
        /// The kind: vendor, baa, assurance, sla, restore-test, responsibility, person, course, completion, policy, acknowledgment, grant, review, attestation
        kind: Kind,
        /// The record's id
        id: String,
    },

    /// Write the register as YAML files, one per kind, to keep it in git
    #[command(
        after_help = "Writes vendors.yaml, baas.yaml, people.yaml, … into DIR (created if \
                      missing), every kind even when empty. Edit them, review the change in \
                      git, and apply it with `phiguard register import`.\n\n\
                      Examples:\n  phiguard register export compliance/register\n  \
                      phiguard register export compliance/register && git -C compliance diff"
    )]
    Export {
        /// The directory to write into
        dir: PathBuf,
    },

    /// Make the register equal the YAML files in DIR, in one transaction
    #[command(
        after_help = "Prints every change it will make, then makes them all or none. A kind \
                      whose file is absent is left alone; a record missing from a file that is \
                      present is removed. Importing the same files twice changes nothing. An \
                      invalid file is refused with its name, line and the reason.\n\n\
                      Examples:\n  phiguard register import compliance/register --dry-run\n  \
                      phiguard register import compliance/register --actor 'CI: merge 4f2a9c1'"
    )]
    Import {
        /// The directory holding the YAML files (as `phiguard register export` writes them)
        dir: PathBuf,
        /// Print the changes without making them
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        change: ChangeArgs,
    },

    /// Run the register checks (BAAs, assurance reports, SLAs, matrix owners, training, access, backups); exit 1 if any fails
    #[command(
        after_help = "Judges the register against its rules: vendors touching PHI need a \
                      signed, current BAA, even those that hold it only encrypted without the \
                      key, and a vendor that creates, receives, maintains or transmits PHI \
                      cannot be recorded as not touching it; BAAs must require return or \
                      destruction of PHI, bind subcontractors and require security incidents to \
                      be reported; vendors the responsibility matrix names for provider or \
                      shared controls need an assurance report (SOC 2 Type II, HITRUST r2, ISO \
                      27001, FedRAMP) whose period ended within 12 months; provider SLAs must \
                      state availability, backup interval and a retention of at least 6 years, \
                      have a recovery time borne out by the newest restore test of the vendor's \
                      backups, and an incident notice within the BAA's breach-notice window; \
                      customer and shared controls need an owner; people with PHI access need \
                      current training; departed people and expired grants must have no \
                      access; systems need an access review every 90 days; backups need a \
                      successful restore test within 12 months, restoring within 72 hours. \
                      Thresholds are in [register] in phiguard.toml. The findings are stored \
                      as a check run and recorded in the ledger.\n\n\
                      Examples:\n  phiguard register check\n  \
                      phiguard register check --json | jq '.findings[] | select(.status == \"fail\")'"
    )]
    Check,
}

#[derive(Debug, Subcommand)]
pub enum MatrixCommand {
    /// Import a provider's responsibility matrix from CSV
    #[command(
        after_help = "The CSV needs a header with the columns control and responsibility \
                      (provider, customer, shared or not applicable), and may have owner, notes, \
                      evidence and vendor (the register id of the vendor that carries a provider \
                      or shared control). Rows update the controls they name; an owner, notes, \
                      evidence links or vendor already recorded are kept where the file leaves \
                      them empty (a vendor only while the control is still provider or shared). \
                      Nothing is imported if any row is invalid.\n\n\
                      Examples:\n  phiguard matrix import aws-hipaa-responsibility.csv --dry-run\n  \
                      phiguard matrix import aws-hipaa-responsibility.csv --actor 'Dana (CISO)'"
    )]
    Import {
        /// The CSV file; - for stdin
        file: PathBuf,
        /// Print the changes without making them
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// Write the responsibility matrix as CSV
    #[command(after_help = "Examples:\n  phiguard matrix export matrix.csv\n  \
                      phiguard matrix export - | column -s, -t")]
    Export {
        /// Where to write; - for stdout
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum AccessCommand {
    /// Access review campaigns: list every active grant on a system, decide keep or revoke
    #[command(
        subcommand,
        after_help = "Examples:\n  phiguard access review start --system ehr-prod\n  \
                      phiguard access review decide ehr-prod.2026-11-28 alice-ehr --keep --comment 'on call'\n  \
                      phiguard access review close ehr-prod.2026-11-28"
    )]
    Review(ReviewCommand),
    /// Revoke a grant now, recording by whom and why
    #[command(
        after_help = "Examples:\n  phiguard access revoke alice-ehr --by 'Dana (CISO)' --reason 'left the billing team'"
    )]
    Revoke {
        /// The grant's id
        grant: String,
        /// Who revokes it
        #[arg(long)]
        by: String,
        /// Why
        #[arg(long)]
        reason: String,
        /// The day it was revoked [default: today]
        #[arg(long, value_name = "YYYY-MM-DD")]
        date: Option<Date>,
        #[command(flatten)]
        change: ChangeArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum ReviewCommand {
    /// Start a review of every grant active on a system
    #[command(
        after_help = "Lists every active grant on the system for the reviewers. Decide each \
                      with `phiguard access review decide`, then close the campaign.\n\n\
                      Examples:\n  phiguard access review start --system ehr-prod\n  \
                      phiguard access review start --system ehr-prod --json"
    )]
    Start {
        /// The system whose grants are reviewed, as the grants name it
        #[arg(long)]
        system: String,
        /// The campaign's id [default: SYSTEM.YYYY-MM-DD]
        #[arg(long)]
        id: Option<String>,
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// Record a reviewer's decision on one grant: keep, or revoke (which revokes the grant)
    #[command(
        after_help = "Examples:\n  phiguard access review decide ehr-prod.2026-11-28 alice-ehr --keep --comment 'still on call'\n  \
                      phiguard access review decide ehr-prod.2026-11-28 bob-ehr --revoke --comment 'moved to marketing' --reviewer 'Dana'"
    )]
    Decide {
        /// The campaign's id
        review: String,
        /// The grant decided on
        grant: String,
        /// Keep the grant
        #[arg(long, conflicts_with = "revoke", required_unless_present = "revoke")]
        keep: bool,
        /// Revoke the grant
        #[arg(long)]
        revoke: bool,
        /// Why; recorded with the decision
        #[arg(long)]
        comment: String,
        /// Who decides [default: --actor, else the OS user]
        #[arg(long)]
        reviewer: Option<String>,
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// Close a campaign once every grant has a decision
    #[command(after_help = "Examples:\n  phiguard access review close ehr-prod.2026-11-28")]
    Close {
        /// The campaign's id
        review: String,
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// List campaigns with their progress
    #[command(
        after_help = "Examples:\n  phiguard access review list\n  phiguard access review list --system ehr-prod --json"
    )]
    List {
        /// Only the campaigns of this system
        #[arg(long)]
        system: Option<String>,
    },
}

impl ReviewCommand {
    pub fn decision(keep: bool) -> Decision {
        if keep {
            Decision::Keep
        } else {
            Decision::Revoke
        }
    }
}

#[derive(Debug, Args, Serialize)]
pub struct VendorFields {
    /// The vendor's name
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A service it provides (repeatable)
    #[arg(long = "service", value_name = "SERVICE")]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<String>,
    /// It creates, receives, maintains or transmits PHI, even if it only stores it encrypted without the key (--touches-phi false for no)
    #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub touches_phi: Option<bool>,
    /// What it does with PHI: creates, receives, maintains or transmits (repeatable)
    #[arg(long = "phi-use", value_name = "USE")]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub phi_uses: Vec<PhiUse>,
    /// It holds PHI only encrypted and never has the key; it is still a business associate
    #[arg(
        long = "encrypted-only",
        num_args = 0..=1,
        default_missing_value = "true",
        value_name = "BOOL"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phi_encrypted_only: Option<bool>,
    /// A system of yours it serves (repeatable)
    #[arg(long = "system", value_name = "SYSTEM")]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub systems: Vec<String>,
    /// Whom to reach there about security and breaches: a name, an address, a phone number
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    /// Anything else worth keeping with the record
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

#[derive(Debug, Args, Serialize)]
pub struct BaaFields {
    /// The vendor's id
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
    /// draft, signed, expired or terminated
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<BaaStatus>,
    /// The day it was signed
    #[arg(long, value_name = "YYYY-MM-DD")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signed: Option<Date>,
    /// The day it takes effect
    #[arg(long, value_name = "YYYY-MM-DD")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effective: Option<Date>,
    /// The day it ends
    #[arg(long, value_name = "YYYY-MM-DD")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<Date>,
    /// Days the vendor has to report a breach to you (at most 60, 45 CFR 164.410)
    #[arg(long, value_name = "DAYS")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub breach_notice_days: Option<u32>,
    /// It requires returning or destroying PHI at termination (--return-or-destroy false for no)
    #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_or_destroy: Option<bool>,
    /// It binds the vendor's subcontractors to the same terms
    #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subcontractor_flow_down: Option<bool>,
    /// It requires the vendor to report any security incident, breaches included (45 CFR 164.314(a)(2)(i)(C))
    #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security_incident_reporting: Option<bool>,
    /// The signed agreement; its SHA-256 is recorded
    #[arg(long, value_name = "FILE")]
    #[serde(skip)]
    pub document: Option<PathBuf>,
}

#[derive(Debug, Args, Serialize)]
pub struct AssuranceFields {
    /// The vendor's id
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
    /// soc2-type2, hitrust-r2, iso27001, fedramp or other
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<AssuranceKind>,
    /// The first day of the period the auditor examined
    #[arg(long, value_name = "YYYY-MM-DD")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period_start: Option<Date>,
    /// The last day of that period; the report counts for 12 months after it
    #[arg(long, value_name = "YYYY-MM-DD")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period_end: Option<Date>,
    /// Who issued it: the audit firm, certification body or 3PAO
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// What it covers: services, regions, systems
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The report; its SHA-256 is recorded
    #[arg(long, value_name = "FILE")]
    #[serde(skip)]
    pub document: Option<PathBuf>,
}

#[derive(Debug, Args, Serialize)]
pub struct SlaFields {
    /// The provider's vendor id
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
    /// Availability target in percent, e.g. 99.95
    #[arg(long = "availability", value_name = "PERCENT")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub availability_percent: Option<f64>,
    /// Recovery point objective in hours
    #[arg(long = "rpo", value_name = "HOURS")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rpo_hours: Option<f64>,
    /// Recovery time objective in hours
    #[arg(long = "rto", value_name = "HOURS")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rto_hours: Option<f64>,
    /// Hours between backups
    #[arg(long = "backup-every", value_name = "HOURS")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backup_frequency_hours: Option<f64>,
    /// Days backups are kept
    #[arg(long = "retention", value_name = "DAYS")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retention_days: Option<u32>,
    /// Hours the provider has to report a security incident
    #[arg(long = "incident-notice", value_name = "HOURS")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incident_notice_hours: Option<u32>,
}

#[derive(Debug, Args, Serialize)]
pub struct RestoreTestFields {
    /// The system restored
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    /// The vendor whose backups were restored
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
    /// The day of the test [default for add: today]
    #[arg(long, value_name = "YYYY-MM-DD")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<Date>,
    /// success or failure
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<RestoreResult>,
    /// Hours until the system served again
    #[arg(long = "hours", value_name = "HOURS")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hours_to_restore: Option<f64>,
    /// What was restored, from where, and anything that went wrong
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

#[derive(Debug, Args, Serialize)]
pub struct ResponsibilityFields {
    /// provider, customer, shared or not-applicable
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub responsibility: Option<Responsibility>,
    /// The person or team who answers for the control
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// The vendor's id, for a provider or shared control: who carries it
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
    /// How the control is carried, or why it does not apply
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// A link to evidence (repeatable)
    #[arg(long = "evidence", value_name = "LINK")]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<String>,
}

#[derive(Debug, Args, Serialize)]
pub struct PersonFields {
    /// Their full name
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Their work email address
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The job role training requirements key on: clinician, engineer, billing…
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// First working day
    #[arg(long, value_name = "YYYY-MM-DD")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started: Option<Date>,
    /// Last working day
    #[arg(long, value_name = "YYYY-MM-DD")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub left: Option<Date>,
    /// Their work gives them access to PHI (--phi-access false for no)
    #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phi_access: Option<bool>,
}

#[derive(Debug, Args, Serialize)]
pub struct CourseFields {
    /// The course's title
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// How long a completion stays current, in months (12 for annual)
    #[arg(long = "every-months", value_name = "MONTHS")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval_months: Option<u32>,
    /// A role that must take it (repeatable); none means everyone with PHI access
    #[arg(long = "role", value_name = "ROLE")]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
}

#[derive(Debug, Args, Serialize)]
pub struct CompletionFields {
    /// The person's id
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub person: Option<String>,
    /// The course's id
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub course: Option<String>,
    /// The day it was completed [default for add: today]
    #[arg(long = "date", value_name = "YYYY-MM-DD")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completed: Option<Date>,
    /// The certificate or attendance record; its SHA-256 is recorded
    #[arg(long, value_name = "FILE")]
    #[serde(skip)]
    pub evidence: Option<PathBuf>,
}

#[derive(Debug, Args, Serialize)]
pub struct PolicyFields {
    /// The policy's title
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The current version, as the document numbers it
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Who approved this version
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approver: Option<String>,
    /// The day this version was approved
    #[arg(long, value_name = "YYYY-MM-DD")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved: Option<Date>,
    /// A role that must acknowledge it (repeatable); none means everyone with PHI access
    #[arg(long = "role", value_name = "ROLE")]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
}

#[derive(Debug, Args, Serialize)]
pub struct AcknowledgmentFields {
    /// The person's id
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub person: Option<String>,
    /// The policy's id
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// The policy version acknowledged [default for add: the policy's current version]
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The day it was acknowledged [default for add: today]
    #[arg(long = "date", value_name = "YYYY-MM-DD")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acknowledged: Option<Date>,
}

#[derive(Debug, Args, Serialize)]
pub struct GrantFields {
    /// The person's id
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub person: Option<String>,
    /// The system: a host name, an application, a cloud account
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    /// The role or permission set given on the system
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Their login name on the system (matched against shell accounts by `host check`)
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// Who approved the access
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approver: Option<String>,
    /// Why their work needs it (minimum necessary, 45 CFR 164.514(d))
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    /// The day access was given [default for add: today]
    #[arg(long, value_name = "YYYY-MM-DD")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub granted: Option<Date>,
    /// The last day of access; none means until revoked
    #[arg(long, value_name = "YYYY-MM-DD")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<Date>,
}

#[derive(Debug, Args, Serialize)]
pub struct ReviewFields {
    /// The system reviewed
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    /// The day the campaign started [default for add: today]
    #[arg(long, value_name = "YYYY-MM-DD")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started: Option<Date>,
    /// A grant in scope (repeatable)
    #[arg(long = "grant", value_name = "GRANT")]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub grants: Vec<String>,
    /// The day the campaign was closed, every grant decided
    #[arg(long, value_name = "YYYY-MM-DD")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed: Option<Date>,
}

#[derive(Debug, Args, Serialize)]
pub struct AttestationFields {
    /// Who attests: name and role
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// What they attest, in their words
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statement: Option<String>,
    /// The day of the attestation [default for add: today]; it stands 12 months
    #[arg(long, value_name = "YYYY-MM-DD")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<Date>,
    /// The document that backs it; its SHA-256 is recorded
    #[arg(long, value_name = "FILE")]
    #[serde(skip)]
    pub evidence: Option<PathBuf>,
}

/// Each kind's help: what a record is, and examples of adding and changing one.
pub struct KindHelp {
    pub kind: Kind,
    pub about: &'static str,
    pub sample_id: &'static str,
    pub add: &'static str,
    pub update: &'static str,
    /// The yes-or-no flags `add` requires (their ids): a record cannot leave them unsaid, and
    /// `--flag [<BOOL>]` must not look optional.
    pub required_on_add: &'static [&'static str],
}

pub const KIND_HELP: &[KindHelp] = &[
    KindHelp {
        kind: Kind::Vendor,
        about: "A company that provides a service, whether it touches PHI (then it needs a BAA, even if it only holds the PHI encrypted without the key), and what it does with it.",
        sample_id: "acme-cloud",
        add: "phiguard register vendor add acme-cloud --name 'Acme Cloud' --service 'object storage' --touches-phi --phi-use maintains --phi-use transmits --encrypted-only --system ehr-prod",
        update: "phiguard register vendor update acme-cloud --encrypted-only false",
        required_on_add: &["touches_phi"],
    },
    KindHelp {
        kind: Kind::Baa,
        about: "A business associate agreement (45 CFR 164.308(b), 164.314(a)).",
        sample_id: "acme-cloud-2026",
        add: "phiguard register baa add acme-cloud-2026 --vendor acme-cloud --status signed --signed 2026-01-15 --effective 2026-02-01 --expires 2028-01-31 --breach-notice-days 30 --return-or-destroy --subcontractor-flow-down --security-incident-reporting --document acme-baa.pdf",
        update: "phiguard register baa update acme-cloud-2026 --status terminated",
        required_on_add: &[],
    },
    KindHelp {
        kind: Kind::Assurance,
        about: "An independent auditor's report on a vendor's controls (SOC 2 Type II, HITRUST r2, ISO 27001, FedRAMP); it counts for 12 months after its period ends.",
        sample_id: "acme-cloud-soc2-2026",
        add: "phiguard register assurance add acme-cloud-soc2-2026 --vendor acme-cloud --kind soc2-type2 --period-start 2025-10-01 --period-end 2026-09-30 --issuer 'Example & Partners LLP' --scope 'object storage, us-east' --document acme-soc2.pdf",
        update: "phiguard register assurance update acme-cloud-soc2-2026 --scope 'object storage and backups, all regions'",
        required_on_add: &[],
    },
    KindHelp {
        kind: Kind::Sla,
        about: "What a provider promises: availability, RPO and RTO, backups, retention, incident notice.",
        sample_id: "acme-cloud",
        add: "phiguard register sla add acme-cloud --vendor acme-cloud --availability 99.95 --rpo 1 --rto 4 --backup-every 24 --retention 2192 --incident-notice 24",
        update: "phiguard register sla update acme-cloud --rto 8",
        required_on_add: &[],
    },
    KindHelp {
        kind: Kind::RestoreTest,
        about: "A test of restoring a system from its backups (45 CFR 164.308(a)(7)(ii)(D)).",
        sample_id: "ehr-prod.2026-11-02",
        add: "phiguard register restore-test add --system ehr-prod --vendor acme-cloud --date 2026-11-02 --result success --hours 3.5",
        update: "phiguard register restore-test update ehr-prod.2026-11-02 --notes 'restored to a fresh account'",
        required_on_add: &[],
    },
    KindHelp {
        kind: Kind::Responsibility,
        about: "Who carries one HIPAA control: the provider (name the vendor with --vendor), you, or both; its id is the citation.",
        sample_id: "164.312(a)(2)(iv)",
        add: "phiguard register responsibility add '164.312(a)(2)(iv)' --responsibility shared --owner 'Platform team' --vendor acme-cloud",
        update: "phiguard register responsibility update '164.312(a)(2)(iv)' --owner 'Dana (CISO)' --evidence https://wiki.example/kms",
        required_on_add: &[],
    },
    KindHelp {
        kind: Kind::Person,
        about: "A workforce member: employee, contractor, volunteer or trainee.",
        sample_id: "alice",
        add: "phiguard register person add alice --name 'Alice Ng' --email alice@clinic.example --role clinician --started 2024-03-01 --phi-access",
        update: "phiguard register person update alice --left 2026-11-30",
        required_on_add: &["phi_access"],
    },
    KindHelp {
        kind: Kind::Course,
        about: "A training course, how often it must be retaken, and by which roles.",
        sample_id: "hipaa-basics",
        add: "phiguard register course add hipaa-basics --title 'HIPAA security awareness' --every-months 12",
        update: "phiguard register course update hipaa-basics --role clinician --role engineer",
        required_on_add: &[],
    },
    KindHelp {
        kind: Kind::Completion,
        about: "One person's completion of one course (id: PERSON.COURSE.DATE unless given).",
        sample_id: "alice.hipaa-basics.2026-03-10",
        add: "phiguard register completion add --person alice --course hipaa-basics --date 2026-03-10 --evidence certificate.pdf",
        update: "phiguard register completion update alice.hipaa-basics.2026-03-10 --evidence certificate-signed.pdf",
        required_on_add: &[],
    },
    KindHelp {
        kind: Kind::Policy,
        about: "A written policy or procedure at its current version (45 CFR 164.316).",
        sample_id: "acceptable-use",
        add: "phiguard register policy add acceptable-use --title 'Acceptable use' --version 3 --approver 'Dana (CISO)' --approved 2026-01-10",
        update: "phiguard register policy update acceptable-use --version 4 --approved 2026-11-20",
        required_on_add: &[],
    },
    KindHelp {
        kind: Kind::Acknowledgment,
        about: "One person's acknowledgment of a policy version (id: PERSON.POLICY.VERSION unless given).",
        sample_id: "alice.acceptable-use.3",
        add: "phiguard register acknowledgment add --person alice --policy acceptable-use",
        update: "phiguard register acknowledgment update alice.acceptable-use.3 --date 2026-01-12",
        required_on_add: &[],
    },
    KindHelp {
        kind: Kind::Grant,
        about: "Access to one system given to one person, with approver and expiry (45 CFR 164.308(a)(4)).",
        sample_id: "alice-ehr",
        add: "phiguard register grant add alice-ehr --person alice --system ehr-prod --role clinician --account alice --approver 'Dana (CISO)' --justification 'patient care' --expires 2027-06-30",
        update: "phiguard register grant update alice-ehr --expires 2027-12-31",
        required_on_add: &[],
    },
    KindHelp {
        kind: Kind::Review,
        about: "An access review campaign of one system; usually made with `phiguard access review start`.",
        sample_id: "ehr-prod.2026-11-28",
        add: "phiguard register review add ehr-prod.2026-11-28 --system ehr-prod --grant alice-ehr --grant bob-ehr",
        update: "phiguard register review update ehr-prod.2026-11-28 --closed 2026-12-05",
        required_on_add: &[],
    },
    KindHelp {
        kind: Kind::Attestation,
        about: "A person's statement that a control no machine can check is in place; it stands 12 months. Its id is the control.",
        sample_id: "164.310(a)(2)(ii)",
        add: "phiguard register attestation add '164.310(a)(2)(ii)' --by 'Dana (CISO)' --statement 'Facility security plan reviewed and in force' --evidence facility-plan.pdf",
        update: "phiguard register attestation update '164.310(a)(2)(ii)' --date 2026-11-28",
        required_on_add: &[],
    },
];

/// Gives the register's generic record subcommands each kind's own help and examples.
pub fn with_kind_help(register: clap::Command) -> clap::Command {
    KIND_HELP.iter().fold(register, |register, help| {
        let name = help.kind.name();
        let id = if help.sample_id.contains('(') {
            format!("'{}'", help.sample_id)
        } else {
            help.sample_id.to_owned()
        };
        register.mut_subcommand(name, |command| {
            command
                .about(format!("{} {}", capitalised(help.kind.title()), help_suffix(help.kind)))
                .long_about(help.about)
                .after_help(format!(
                    "Examples:\n  {}\n  phiguard register {name} list\n  phiguard register {name} show {id}\n  {}\n  phiguard register history {name} {id}",
                    help.add, help.update
                ))
                .mut_subcommand("add", |c| {
                    help.required_on_add.iter().fold(
                        c.after_help(format!("Examples:\n  {}", help.add)),
                        |c, flag| {
                            c.mut_arg(*flag, |arg| {
                                let help = arg.get_help().map(ToString::to_string);
                                arg.required(true)
                                    .help(format!("{} [required]", help.unwrap_or_default()))
                            })
                        },
                    )
                })
                .mut_subcommand("list", |c| {
                    c.after_help(format!(
                        "Examples:\n  phiguard register {name} list\n  phiguard register {name} list --json"
                    ))
                })
                .mut_subcommand("show", |c| {
                    c.after_help(format!("Examples:\n  phiguard register {name} show {id} --json"))
                })
                .mut_subcommand("update", |c| {
                    c.after_help(format!("Every change is recorded in the ledger with the record before and after.\n\nExamples:\n  {}", help.update))
                })
                .mut_subcommand("remove", |c| {
                    c.after_help(format!(
                        "The record's history stays in the ledger. A record other records name cannot be removed before them.\n\nExamples:\n  phiguard register {name} remove {id} --actor 'Dana (CISO)'"
                    ))
                })
        })
    })
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn help_suffix(kind: Kind) -> &'static str {
    match kind {
        Kind::Review => "(see also `phiguard access review`)",
        Kind::Responsibility => "(see also `phiguard matrix`)",
        Kind::Attestation => "(see also `phiguard attest`)",
        _ => "",
    }
}
