//! A top-level command that takes a kind's register subcommands as its own: `phiguard asset
//! add` is `phiguard register asset add` under a shorter name, with the same flags (from the
//! record type, in `record_args`) and the same help, its examples rewritten to the short name.

use std::marker::PhantomData;

use clap::error::ErrorKind;
use clap::{ArgMatches, Command, FromArgMatches, Subcommand};
use phiguard_register::Kind;

use super::record_args::{RecordAction, kind_command, record_action};

/// A kind of record whose register subcommands a top-level command mounts as its own:
/// `phiguard asset add` is `phiguard register asset add` under a shorter name.
pub trait Mount {
    const KIND: Kind;
    /// The subcommands mounted, each with the about it has here.
    const ACTIONS: &'static [(&'static str, &'static str)];

    /// More to say in a subcommand's help, before its examples.
    fn more_help(_action: &str) -> Option<&'static str> {
        None
    }
}

/// The register's subcommands of `M::KIND` named in `M::ACTIONS`, parsed as the register
/// parses them.
#[derive(Debug)]
pub struct Mounted<M> {
    pub action: RecordAction,
    mount: PhantomData<M>,
}

impl<M: Mount> Subcommand for Mounted<M> {
    fn augment_subcommands(command: Command) -> Command {
        let register = kind_command(M::KIND);
        let long = format!("phiguard register {} ", M::KIND.name());
        let short = format!("phiguard {} ", M::KIND.name());
        M::ACTIONS.iter().fold(command, |command, (name, about)| {
            let Some(sub) = register.find_subcommand(name).cloned() else {
                return command;
            };
            let mut help = sub
                .get_after_help()
                .map(|text| text.to_string().replace(&long, &short))
                .unwrap_or_default();
            if let Some(more) = M::more_help(name) {
                help = match help.split_once("Examples:") {
                    Some((before, examples)) => format!("{before}{more}\n\nExamples:{examples}"),
                    None => format!("{more}\n\n{help}"),
                };
            }
            command.subcommand(sub.about(*about).after_help(help))
        })
    }

    fn augment_subcommands_for_update(command: Command) -> Command {
        Mounted::<M>::augment_subcommands(command)
    }

    fn has_subcommand(name: &str) -> bool {
        M::ACTIONS.iter().any(|(action, _)| *action == name)
    }
}

impl<M: Mount> FromArgMatches for Mounted<M> {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let (name, matches) = matches.subcommand().ok_or_else(|| {
            clap::Error::raw(ErrorKind::MissingSubcommand, "a subcommand is required\n")
        })?;
        Ok(Mounted {
            action: record_action(M::KIND, name, matches)?,
            mount: PhantomData,
        })
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = Mounted::from_arg_matches(matches)?;
        Ok(())
    }
}
