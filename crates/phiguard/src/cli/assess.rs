//! The flags of `phiguard assess`, `attest` and `demo`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use jiff::civil::Date;
use phiguard_assess::Profile;

use super::ChangeArgs;

/// A source of evidence `assess` can leave out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AssessSource {
    /// The host posture checks of this machine
    Host,
    /// The file integrity check against the newest baseline
    Fim,
    /// Verifying the whole evidence ledger
    Ledger,
}

/// A cloud account `assess` can check as it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AssessCloud {
    /// The AWS account of the AWS CLI's credentials
    Aws,
}

/// The worst control status a script accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Exit 1 when a control is not met
    NotMet,
    /// … or partial
    Partial,
    /// … or unknown
    Unknown,
}

#[derive(Debug, Args)]
pub struct AssessArgs {
    /// Also write a self-contained HTML report (no external requests) to FILE
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Also write OSCAL 1.1 assessment results to FILE, and a plan of action and milestones beside it (FILE.poam.json)
    #[arg(long, value_name = "FILE")]
    pub oscal: Option<PathBuf>,
    /// Also write every control as CSV to FILE, for spreadsheets (status, owner, rank, first fix, evidence; a cell a spreadsheet would run as a formula starts with ')
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
    /// hipaa (the rules in force), or proposed-2025 to add the January 2025 proposed rule's items
    #[arg(long, default_value = "hipaa", value_name = "PROFILE")]
    pub profile: Profile,
    /// Sources to leave out, comma-separated: host, fim, ledger
    #[arg(long, value_delimiter = ',', value_name = "SOURCES")]
    pub skip: Vec<AssessSource>,
    /// Check this cloud account now (aws, with the AWS CLI's credentials and every enabled
    /// region), instead of taking the newest `phiguard cloud check` recorded
    #[arg(long, value_name = "PROVIDER")]
    pub cloud: Option<AssessCloud>,
    /// The system name the register's access grants use for this host [default: the host name]
    #[arg(long, value_name = "NAME")]
    pub system: Option<String>,
    /// Exit 1 when a control is at this status or worse [default: exit 0 whenever the assessment completes]
    #[arg(long, value_name = "STATUS")]
    pub fail_on: Option<FailOn>,
    /// Sign the assessment off as NAME (your name and role): who, when and which assessment are recorded in the ledger and shown in every view of the report
    #[arg(long, value_name = "NAME", value_parser = signer)]
    pub sign_off: Option<String>,
    /// The file system the host checks read instead of this machine's `/`: the demo's sample
    /// host. Not a flag: `phiguard assess` always assesses the machine it runs on.
    #[arg(skip)]
    pub root: Option<PathBuf>,
}

/// A name to sign off with: not blank, one line (it is shown in every report).
fn signer(text: &str) -> Result<String, String> {
    let name = text.trim();
    if name.is_empty() {
        return Err("give the name (and role) of the person who signs off, e.g. --sign-off \"Dana Ruiz, Security Officer\"".into());
    }
    if name.chars().any(char::is_control) {
        return Err("the name must be one line of text, without control characters".into());
    }
    Ok(name.to_owned())
}

#[derive(Debug, Args)]
pub struct AttestArgs {
    /// The control, as the catalog names it: 164.310(a)(2)(ii), or an id like proposed-2025.asset-inventory
    pub control: String,
    /// Who attests: name and role
    #[arg(long)]
    pub by: String,
    /// What is attested, in your words
    #[arg(long)]
    pub statement: String,
    /// The document that backs it (plan, signed policy); its SHA-256 is recorded
    #[arg(long, value_name = "FILE")]
    pub evidence: Option<PathBuf>,
    /// The day of the attestation [default: today]; it stands 12 months
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub date: Option<Date>,
    #[command(flatten)]
    pub change: ChangeArgs,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Also write the HTML report to FILE
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
}
