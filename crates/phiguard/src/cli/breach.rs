//! The flags of `phiguard breach`.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use jiff::civil::Date;

use super::ChangeArgs;
use super::incident::{AssessmentForm, FormFields};

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

    /// Record whether an incident is a breach to notify, asking each question of 45 CFR 164.402
    #[command(
        after_help = "On a terminal, asks each question in order, with the regulation in plain \
                      words: whether one of the three exclusions of 45 CFR 164.402(1) applies; \
                      whether the PHI was secured (the safe harbour: encrypted as HHS's guidance \
                      specifies with the key not compromised, or destroyed); then the four \
                      factors of 164.402(2), each low, medium or high with why; the conclusion \
                      (phiguard suggests one, you decide); who decided; and whether law \
                      enforcement asked for notice to wait (164.412). Every answer needs its \
                      rationale: 45 CFR 164.414(b) puts the burden of proof on you. A flag given \
                      answers its question; with --no-input, or without a terminal, the flags \
                      are all the answers and a missing one is an error naming its flag.\n\n\
                      --sealed adds what phiguard's keyring says about data it sealed (the key \
                      versions, where the root key is kept, what is retired) to the assessment, \
                      as evidence for the safe harbour.\n\n\
                      Assessing again changes the assessment; the ledger keeps every version. \
                      An open or investigating incident becomes assessed. Exits 2 when the \
                      answers are refused, and then nothing is recorded.\n\n\
                      Examples:\n  phiguard breach assess 2026-03-lost-laptop\n  \
                      phiguard breach assess 2026-03-lost-laptop --secured --sealed \
                      --secured-rationale 'Disk sealed; key on the token, not the laptop' \
                      --conclusion no_breach --decided-by 'Pat (Privacy Officer)' --no-input\n  \
                      phiguard breach assess 2026-03-lost-laptop --nature high \
                      --nature-rationale 'Names and diagnoses' --recipient-risk high \
                      --recipient-rationale 'Unknown thief' --acquired medium \
                      --acquired-rationale 'Not known whether opened' --mitigated low \
                      --mitigated-rationale 'Not recovered' --conclusion notifiable \
                      --decided-by 'Pat (Privacy Officer)' --no-input"
    )]
    Assess(BreachAssessArgs),

    /// Import the list of people an incident affects from CSV, pseudonymised; count them by state
    #[command(
        after_help = "The CSV has a header naming its columns: name and state (the postal code \
                      of the state of residence), and optionally address; other columns are \
                      ignored. Each person is kept only as this installation's pseudonym of \
                      their name and address (HMAC-SHA256 with the keyring's pseudonym key), \
                      with their state: no name or address is stored, recorded in the ledger or \
                      printed, and errors name the line, never the person. People listed twice \
                      are counted once. The counts by state replace the incident's `affected`, \
                      which the deadlines follow; importing again replaces the list. Without an \
                      address column, two people of the same name count as one.\n\n\
                      Examples:\n  phiguard breach affected 2026-03-lost-laptop --csv affected.csv\n  \
                      phiguard breach affected 2026-03-lost-laptop --csv affected.csv --json | jq .by_state"
    )]
    Affected(BreachAffectedArgs),

    /// Every notice an incident calls for: due date, days left, and whether it was given
    #[command(
        after_help = "From the incident, its breach assessment and the notices recorded \
                      (`phiguard register breach-notice add`): each notice with its recipient, \
                      jurisdiction, due date, days left, citation and reason, and whether it was \
                      given (met, met late) or not (open, overdue). Until the incident is \
                      assessed, the deadlines run as for a breach (45 CFR 164.402(2)).\n\n\
                      Exit codes: 0 nothing overdue, 1 a notice is overdue, 2 an error.\n\n\
                      Examples:\n  phiguard breach deadlines 2026-03-lost-laptop\n  \
                      phiguard breach deadlines 2026-03-lost-laptop --json | jq '.deadlines[] | select(.state == \"overdue\")'\n  \
                      phiguard breach deadlines 2026-03-lost-laptop --today 2026-04-20"
    )]
    Deadlines(BreachDeadlinesArgs),

    /// Draft every notice an incident calls for, as Markdown and HTML files to finish and send
    #[command(
        after_help = "Drafts each notice the incident's deadlines call for (see `phiguard breach \
                      deadlines`): to individuals with the five elements of 45 CFR 164.404(c), \
                      substitute notice, the media of each state (164.406), HHS's breach report \
                      (164.408), the covered entity (164.410(c)) and state regulators. Each is \
                      written as STEM.md and STEM.html in DIR, with the facts phiguard has: \
                      the incident, the containment, mitigation, eradication and recovery steps \
                      of its timeline, and the contacts of [breach] in phiguard.toml. Every fact \
                      it lacks is marked TO FILL IN; the count per file is printed. An existing \
                      draft is never replaced without --force. Nothing is recorded: record each \
                      notice when it is given (`phiguard register breach-notice add`).\n\n\
                      Examples:\n  phiguard breach notices 2026-03-lost-laptop --out notices/\n  \
                      phiguard breach notices 2026-03-lost-laptop --out notices/ --force --json"
    )]
    Notices(BreachNoticesArgs),

    /// The year's breaches affecting fewer than 500, for HHS's annual report, with its due date
    #[command(
        after_help = "Lists every incident discovered in YEAR whose plan reports it to HHS in \
                      the annual log (fewer than 500 affected, 45 CFR 164.408(c)), with what \
                      HHS's breach portal asks of each: the dates of the breach and of its \
                      discovery, the people affected by state, the kinds of PHI, when \
                      individuals were notified, the actions taken, and whether it was reported \
                      already. An incident not assessed yet is listed as a presumed breach. The \
                      log is due no later than 60 days after the end of the year. --csv also \
                      writes it as CSV.\n\n\
                      Examples:\n  phiguard breach log --year 2026\n  \
                      phiguard breach log --year 2026 --csv breaches-2026.csv\n  \
                      phiguard breach log --year 2026 --json | jq '.entries[] | select(.reported_to_hhs == null)'"
    )]
    Log(BreachLogArgs),
}

#[derive(Debug, Args)]
pub struct BreachNoticesArgs {
    /// The incident's id
    #[arg(value_name = "INCIDENT")]
    pub incident: String,
    /// The directory to write the drafts into (created if missing)
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Replace drafts already in DIR
    #[arg(long)]
    pub force: bool,
    /// Compute the deadlines on this date (YYYY-MM-DD) instead of today
    #[arg(long, value_name = "DATE")]
    pub today: Option<Date>,
}

#[derive(Debug, Args)]
pub struct BreachLogArgs {
    /// The calendar year of discovery
    #[arg(long, value_name = "YYYY")]
    pub year: i16,
    /// Also write the log as CSV to FILE
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct BreachAssessArgs {
    /// The incident's id
    #[arg(value_name = "INCIDENT")]
    pub incident: String,
    #[command(flatten)]
    pub answers: FormFields<AssessmentForm>,
    /// The data was sealed by phiguard: add what its keyring says to the assessment
    #[arg(long)]
    pub sealed: bool,
    /// Ask nothing: the flags are all the answers
    #[arg(long)]
    pub no_input: bool,
    /// Clear an answer of an earlier assessment (repeatable), e.g. --unset exclusion
    #[arg(long, value_name = "FIELD")]
    pub unset: Vec<String>,
    #[command(flatten)]
    pub change: ChangeArgs,
}

#[derive(Debug, Args)]
pub struct BreachAffectedArgs {
    /// The incident's id
    #[arg(value_name = "INCIDENT")]
    pub incident: String,
    /// The CSV file: a header with name, state and optionally address
    #[arg(long, value_name = "FILE")]
    pub csv: PathBuf,
    #[command(flatten)]
    pub change: ChangeArgs,
}

#[derive(Debug, Args)]
pub struct BreachDeadlinesArgs {
    /// The incident's id
    #[arg(value_name = "INCIDENT")]
    pub incident: String,
    /// Count days left from this date (YYYY-MM-DD) instead of today
    #[arg(long, value_name = "DATE")]
    pub today: Option<Date>,
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
