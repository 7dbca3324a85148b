//! The flags of `phiguard incident`. `add` and `update` are the register's incident
//! subcommands mounted here (`Mounted`), and the timeline's flags are the `incident-event` record's
//! fields: both come from the record types (`record_args`), so no field is defined twice.

use std::marker::PhantomData;

use clap::{ArgMatches, Args, Command, FromArgMatches, Subcommand};
use jiff::civil::Date;
use phiguard_register::Kind;
use phiguard_register::draft::FieldSpec;
use phiguard_register::records::IncidentStatus;

use super::ChangeArgs;
use super::mounted::{Mount, Mounted};
use super::record_args::{GivenFields, field_arg};

#[derive(Debug, Subcommand)]
pub enum IncidentCommand {
    /// `add` and `update`, as `phiguard register incident` has them.
    #[command(flatten)]
    Record(IncidentRecord),

    /// List the incidents: status, people affected, assessment, next deadline
    #[command(
        after_help = "One line per incident: its id, status, the day it was discovered, who \
                      reported it, how many people it affects, the breach assessment's \
                      conclusion (or `not assessed`: a breach is presumed until then, 45 CFR \
                      164.402(2)) and the next notice due with its days left.\n\n\
                      Examples:\n  phiguard incident list\n  \
                      phiguard incident list --status investigating\n  \
                      phiguard incident list --json | jq '.[] | select(.next_deadline.state == \"overdue\")'"
    )]
    List(IncidentListArgs),

    /// Show one incident: its timeline, breach assessment, a vendor's report judged, deadlines
    #[command(
        after_help = "Shows the incident as recorded, its response timeline oldest first, its \
                      breach assessment with each answer and its rationale, for an incident a \
                      vendor reported whether the report was late against its BAA, its SLA and \
                      45 CFR 164.410(b), and every notice the Breach Notification Rule and the \
                      state laws call for, with what was given.\n\n\
                      Examples:\n  phiguard incident show 2026-03-lost-laptop\n  \
                      phiguard incident show 2026-03-lost-laptop --json | jq .deadlines"
    )]
    Show(IncidentShowArgs),

    /// Add a step to an incident's response timeline, or list the timeline
    #[command(
        after_help = "With --phase, --at and --note, records one step of the response \
                      (45 CFR 164.308(a)(6)(ii)): detection, containment, mitigation, \
                      eradication, recovery or lessons. The containment, mitigation, \
                      eradication and recovery steps are what the breach notices say was done. \
                      Without them, lists the timeline, oldest first.\n\n\
                      Examples:\n  phiguard incident timeline 2026-03-lost-laptop --phase containment \
                      --at 2026-03-01T10:00Z --note 'Laptop sessions revoked' --by 'IT on call'\n  \
                      phiguard incident timeline 2026-03-lost-laptop\n  \
                      phiguard incident timeline 2026-03-lost-laptop --json"
    )]
    Timeline(TimelineArgs),
}

#[derive(Debug, Args)]
pub struct IncidentListArgs {
    /// Only the incidents with this status: open, investigating, assessed, notifying or closed
    #[arg(long, value_name = "STATUS", value_parser = status)]
    pub status: Option<IncidentStatus>,
    /// Count days left from this date (YYYY-MM-DD) instead of today
    #[arg(long, value_name = "DATE")]
    pub today: Option<Date>,
}

fn status(text: &str) -> Result<IncidentStatus, String> {
    text.parse()
}

#[derive(Debug, Args)]
pub struct IncidentShowArgs {
    /// The incident's id
    pub id: String,
    /// Count days left from this date (YYYY-MM-DD) instead of today
    #[arg(long, value_name = "DATE")]
    pub today: Option<Date>,
}

#[derive(Debug, Args)]
pub struct TimelineArgs {
    /// The incident's id
    pub id: String,
    #[command(flatten)]
    pub entry: FormFields<EventForm>,
    #[command(flatten)]
    pub change: ChangeArgs,
}

/// `phiguard incident add|update`: the register's subcommands of the `incident` kind.
#[derive(Debug)]
pub struct IncidentMount;

pub type IncidentRecord = Mounted<IncidentMount>;

impl Mount for IncidentMount {
    const KIND: Kind = Kind::Incident;
    const ACTIONS: &'static [(&'static str, &'static str)] = &[
        (
            "add",
            "Record an incident as it was reported (the breach clocks run from --discovered)",
        ),
        (
            "update",
            "Change an incident's fields (status, affected, …); fields not given keep their value",
        ),
    ];

    fn more_help(action: &str) -> Option<&'static str> {
        (action == "update").then_some(
            "Closing an incident whose notices are still due or overdue is allowed, with a \
             warning: the deadlines run whatever its status.",
        )
    }
}

/// A record type whose fields a command takes as flags, but for the incident it names, which
/// the command takes as its first argument.
pub trait FormOf {
    const KIND: Kind;

    fn fields() -> impl Iterator<Item = &'static FieldSpec> {
        Self::KIND
            .form()
            .fields
            .iter()
            .filter(|field| field.name != "incident")
    }
}

/// An entry of the response timeline (`incident-event`).
#[derive(Debug)]
pub struct EventForm;

impl FormOf for EventForm {
    const KIND: Kind = Kind::IncidentEvent;
}

/// A breach assessment (`breach-assessment`).
#[derive(Debug)]
pub struct AssessmentForm;

impl FormOf for AssessmentForm {
    const KIND: Kind = Kind::BreachAssessment;
}

/// The fields of `K` given as flags.
#[derive(Debug)]
pub struct FormFields<K> {
    pub given: GivenFields,
    form: PhantomData<K>,
}

impl<K: FormOf> Args for FormFields<K> {
    fn augment_args(command: Command) -> Command {
        command.args(K::fields().map(|field| field_arg(field, false)))
    }

    fn augment_args_for_update(command: Command) -> Command {
        FormFields::<K>::augment_args(command)
    }
}

impl<K: FormOf> FromArgMatches for FormFields<K> {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        Ok(FormFields {
            given: GivenFields::from_fields(K::fields(), matches)?,
            form: PhantomData,
        })
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = FormFields::from_arg_matches(matches)?;
        Ok(())
    }
}
