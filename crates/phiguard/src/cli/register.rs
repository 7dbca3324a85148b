//! The register's commands and flags. The subcommands of each kind of record (add, list,
//! show, update, remove) are built from its record type, in `record_args`.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use jiff::civil::Date;
use phiguard_register::Kind;
use phiguard_register::records::Decision;

pub use super::record_args::{RecordAction, RecordCommand};

#[derive(Debug, Args)]
pub struct ChangeArgs {
    /// Your name and role, recorded in the ledger before the OS account, which is always
    /// recorded
    #[arg(long, value_name = "NAME", value_parser = phiguard_core::Actor::stated_name)]
    pub actor: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum RegisterCommand {
    /// The records of each kind: `phiguard register vendor add|list|show|update|remove`, …
    #[command(flatten)]
    Record(RecordCommand),

    /// Every recorded change to one record, from the ledger
    #[command(
        after_help = "Shows who changed the record, when, and each field before and after, \
                      read from the tamper-evident ledger. Works for removed records too.\n\n\
                      Examples:\n  phiguard register history vendor acme-cloud\n  \
                      phiguard register history grant alice-ehr --json"
    )]
    History {
        #[arg(help = kinds_help())]
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

/// The help of an argument that names a kind of record: every kind, from the one list.
fn kinds_help() -> String {
    let names: Vec<&str> = Kind::ALL.iter().map(|kind| kind.name()).collect();
    format!("The kind: {}", names.join(", "))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn register() -> clap::Command {
        crate::cli::command()
            .find_subcommand("register")
            .cloned()
            .unwrap()
    }

    #[test]
    fn the_command_line_is_consistent() {
        crate::cli::command().debug_assert();
    }

    #[test]
    fn every_kind_has_its_subcommands_and_is_listed_where_a_kind_is_asked_for() {
        let mut register = register();
        let history = register.find_subcommand_mut("history").unwrap();
        let kind = history
            .get_arguments()
            .find(|arg| arg.get_id() == "kind")
            .unwrap();
        let help = kind.get_help().unwrap().to_string();
        for kind in Kind::ALL {
            assert!(
                help.split([' ', ',']).any(|word| word == kind.name()),
                "{kind} is missing from {help:?}"
            );
            let command = register.find_subcommand(kind.name()).unwrap();
            let actions: Vec<&str> = command.get_subcommands().map(|c| c.get_name()).collect();
            assert_eq!(
                actions,
                ["add", "list", "show", "update", "remove"],
                "{kind}"
            );
        }
    }
}
