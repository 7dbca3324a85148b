//! `phiguard register KIND add|list|show|update|remove`, built from each kind's form: the
//! flags of `add` and `update` are the fields its record type describes
//! (`phiguard_register::draft`), so a field is defined once, on the record.

use std::path::{Path, PathBuf};

use clap::builder::{BoolValueParser, TypedValueParser, ValueParser};
use clap::error::ErrorKind;
use clap::{Arg, ArgAction, ArgMatches, Args, Command, FromArgMatches, Subcommand};
use phiguard_core::spelling::capitalised;
use phiguard_register::Kind;
use phiguard_register::draft::{FieldSpec, RecordForm, ValueKind, Values};
use phiguard_register::records::Document;
use serde_json::Value;

use super::ChangeArgs;

/// A record subcommand of one kind: `phiguard register vendor add …`.
#[derive(Debug)]
pub struct RecordCommand {
    pub kind: Kind,
    pub action: RecordAction,
}

/// The same five subcommands for every kind.
#[derive(Debug)]
pub enum RecordAction {
    Add {
        id: Option<String>,
        fields: GivenFields,
        change: ChangeArgs,
    },
    List,
    Show {
        id: String,
    },
    Update {
        id: String,
        fields: GivenFields,
        unset: Vec<String>,
        change: ChangeArgs,
    },
    Remove {
        id: String,
        change: ChangeArgs,
    },
}

/// The fields given as flags, each value already checked against its field's kind.
#[derive(Debug, Default)]
pub struct GivenFields(Vec<(&'static FieldSpec, Given)>);

#[derive(Debug)]
enum Given {
    Value(Value),
    /// Files to hash, for a document field.
    Files(Vec<PathBuf>),
}

impl GivenFields {
    fn from_matches(form: &'static RecordForm, matches: &ArgMatches) -> Result<Self, clap::Error> {
        GivenFields::from_fields(form.fields, matches)
    }

    /// The values of `fields` given in `matches` (whose command has an argument for each).
    pub(crate) fn from_fields(
        fields: impl IntoIterator<Item = &'static FieldSpec>,
        matches: &ArgMatches,
    ) -> Result<Self, clap::Error> {
        let mut given = Vec::new();
        for field in fields {
            let value = if field.value.is_file() {
                many::<PathBuf>(matches, field)?.map(Given::Files)
            } else if field.list {
                many::<Value>(matches, field)?.map(|items| Given::Value(Value::Array(items)))
            } else {
                many::<Value>(matches, field)?
                    .and_then(|mut items| items.pop())
                    .map(Given::Value)
            };
            given.extend(value.map(|value| (field, value)));
        }
        Ok(GivenFields(given))
    }

    /// Whether no field was given.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The record fields given, with each document read and hashed by `hash`.
    pub fn values(
        &self,
        hash: impl Fn(&Path) -> anyhow::Result<Document>,
    ) -> anyhow::Result<Values> {
        let mut values = Values::new();
        for (field, given) in &self.0 {
            let value = match given {
                Given::Value(value) => value.clone(),
                Given::Files(paths) => {
                    let mut documents = Vec::new();
                    for path in paths {
                        let document = hash(path)?;
                        documents.push(match field.value {
                            ValueKind::Digest => Value::String(document.sha256),
                            _ => serde_json::to_value(document)?,
                        });
                    }
                    if field.list {
                        Value::Array(documents)
                    } else {
                        // A flag given twice keeps its last value, as clap does.
                        match documents.pop() {
                            Some(document) => document,
                            None => continue,
                        }
                    }
                }
            };
            values.insert(field.name.to_owned(), value);
        }
        Ok(values)
    }
}

/// Every value given for `field`, or `None` when it was not given.
fn many<T: Clone + Send + Sync + 'static>(
    matches: &ArgMatches,
    field: &FieldSpec,
) -> Result<Option<Vec<T>>, clap::Error> {
    matches
        .try_get_many::<T>(field.name)
        .map(|values| values.map(|values| values.cloned().collect()))
        .map_err(|error| {
            clap::Error::raw(
                ErrorKind::InvalidValue,
                format!("--{}: {error}\n", field.flag),
            )
        })
}

impl FromArgMatches for RecordCommand {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let missing =
            || clap::Error::raw(ErrorKind::MissingSubcommand, "a subcommand is required\n");
        let (name, matches) = matches.subcommand().ok_or_else(missing)?;
        let kind = kind_named(name).ok_or_else(|| {
            clap::Error::raw(
                ErrorKind::InvalidSubcommand,
                format!("{name:?} is not a kind of record\n"),
            )
        })?;
        let (action, matches) = matches.subcommand().ok_or_else(missing)?;
        let action = record_action(kind, action, matches)?;
        Ok(RecordCommand { kind, action })
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = RecordCommand::from_arg_matches(matches)?;
        Ok(())
    }
}

/// The action `action` of a record subcommand of `kind`, from its matches (also for the
/// kinds mounted elsewhere, as `phiguard incident add`).
pub(crate) fn record_action(
    kind: Kind,
    action: &str,
    matches: &ArgMatches,
) -> Result<RecordAction, clap::Error> {
    let id = || {
        matches.get_one::<String>("id").cloned().ok_or_else(|| {
            clap::Error::raw(
                ErrorKind::MissingRequiredArgument,
                "the record's id is required\n",
            )
        })
    };
    let fields = || GivenFields::from_matches(kind.form(), matches);
    let change = || ChangeArgs::from_arg_matches(matches);
    Ok(match action {
        "add" => RecordAction::Add {
            id: matches.get_one::<String>("id").cloned(),
            fields: fields()?,
            change: change()?,
        },
        "list" => RecordAction::List,
        "show" => RecordAction::Show { id: id()? },
        "update" => RecordAction::Update {
            id: id()?,
            fields: fields()?,
            unset: matches
                .get_many::<String>("unset")
                .map(|names| names.cloned().collect())
                .unwrap_or_default(),
            change: change()?,
        },
        "remove" => RecordAction::Remove {
            id: id()?,
            change: change()?,
        },
        other => {
            return Err(clap::Error::raw(
                ErrorKind::InvalidSubcommand,
                format!("{other:?} is not a subcommand of `phiguard register {kind}`\n"),
            ));
        }
    })
}

impl Subcommand for RecordCommand {
    fn augment_subcommands(command: Command) -> Command {
        Kind::ALL.iter().fold(command, |command, kind| {
            command.subcommand(kind_command(*kind))
        })
    }

    fn augment_subcommands_for_update(command: Command) -> Command {
        RecordCommand::augment_subcommands(command)
    }

    fn has_subcommand(name: &str) -> bool {
        kind_named(name).is_some()
    }
}

fn kind_named(name: &str) -> Option<Kind> {
    Kind::ALL.iter().copied().find(|kind| kind.name() == name)
}

/// `phiguard register KIND`, with the kind's own help and examples.
pub(crate) fn kind_command(kind: Kind) -> Command {
    let name = kind.name();
    let help = &kind.form().help;
    let id = if help.example_id.contains('(') {
        format!("'{}'", help.example_id)
    } else {
        help.example_id.to_owned()
    };
    let see_also = help
        .see_also
        .map(|command| format!("(see also {command})"))
        .unwrap_or_default();
    Command::new(name)
        .subcommand_required(true)
        .arg_required_else_help(true)
        .about(format!("{} {see_also}", capitalised(kind.title())))
        .long_about(help.about)
        .after_help(format!(
            "Examples:\n  {}\n  phiguard register {name} list\n  phiguard register {name} show {id}\n  {}\n  phiguard register history {name} {id}",
            help.add, help.update
        ))
        .subcommand(ChangeArgs::augment_args(
            Command::new("add")
                .about("Add a record")
                .arg(id_arg(false).help(
                    "The record's id: a short, stable name (some kinds make one from the fields when omitted)",
                ))
                .args(kind.form().fields.iter().map(|field| field_arg(field, true))),
        ).after_help(format!("Examples:\n  {}", help.add)))
        .subcommand(
            Command::new("list")
                .about("List the records")
                .after_help(format!(
                    "Examples:\n  phiguard register {name} list\n  phiguard register {name} list --json"
                )),
        )
        .subcommand(
            Command::new("show")
                .about("Show one record")
                .arg(id_arg(true))
                .after_help(format!("Examples:\n  phiguard register {name} show {id} --json")),
        )
        .subcommand(
            ChangeArgs::augment_args(
                Command::new("update")
                    .about("Change fields of a record; fields not given keep their value")
                    .arg(id_arg(true))
                    .args(kind.form().fields.iter().map(|field| field_arg(field, false)))
                    .arg(
                        Arg::new("unset")
                            .long("unset")
                            .value_name("FIELD")
                            .action(ArgAction::Append)
                            .help("Clear an optional field (repeatable), e.g. --unset expires"),
                    ),
            )
            .after_help(format!(
                "Every change is recorded in the ledger with the record before and after.\n\nExamples:\n  {}",
                help.update
            )),
        )
        .subcommand(
            ChangeArgs::augment_args(
                Command::new("remove")
                    .about("Remove a record (its history stays in the ledger)")
                    .arg(id_arg(true)),
            )
            .after_help(format!(
                "The record's history stays in the ledger. A record other records name cannot be removed before them.\n\nExamples:\n  phiguard register {name} remove {id} --actor 'Dana (CISO)'"
            )),
        )
}

/// The record's id, as the first word after the subcommand.
fn id_arg(required: bool) -> Arg {
    Arg::new("id")
        .value_name("ID")
        .action(ArgAction::Set)
        .required(required)
        .help("The record's id")
}

/// A field's flag. `add` requires the yes-or-no fields a record cannot leave unsaid, so that
/// `--flag [<BOOL>]` does not look optional; it checks the other required fields itself,
/// since defaults may fill them.
pub(crate) fn field_arg(field: &'static FieldSpec, adding: bool) -> Arg {
    let arg = Arg::new(field.name)
        .long(field.flag)
        .value_name(field.value_name)
        .help(field.help)
        .action(if field.list {
            ArgAction::Append
        } else {
            ArgAction::Set
        });
    match field.value {
        ValueKind::Bool => {
            let arg = arg
                .num_args(0..=1)
                .default_missing_value("true")
                .value_parser(BoolValueParser::new().map(Value::Bool));
            if adding && field.required {
                arg.required(true)
                    .help(format!("{} [required]", field.help))
            } else {
                arg
            }
        }
        ValueKind::Document | ValueKind::Digest => arg.value_parser(clap::value_parser!(PathBuf)),
        ValueKind::Text
        | ValueKind::Date
        | ValueKind::Time
        | ValueKind::Number
        | ValueKind::Choice => {
            arg.value_parser(ValueParser::new(move |text: &str| (field.parse)(text)))
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use clap::FromArgMatches;
    use serde_json::json;

    use super::*;
    use crate::cli::{Cli, Command as Top, RegisterCommand};

    fn parsed(line: &str) -> Result<RecordCommand, clap::Error> {
        let words = std::iter::once("phiguard").chain(line.split_whitespace());
        let matches = crate::cli::command().try_get_matches_from(words)?;
        match Cli::from_arg_matches(&matches)?.command {
            Top::Register(RegisterCommand::Record(command)) => Ok(command),
            other => panic!("not a record command: {other:?}"),
        }
    }

    fn hashed(path: &Path) -> anyhow::Result<Document> {
        Ok(Document {
            path: path.display().to_string(),
            sha256: "ab".repeat(32),
        })
    }

    #[test]
    fn flags_become_typed_values_of_the_kind_named() {
        let command = parsed(
            "register vendor add acme --name Acme --touches-phi --phi-use stores \
             --phi-use transmits --actor Dana",
        )
        .unwrap();
        assert_eq!(command.kind, Kind::Vendor);
        let RecordAction::Add { id, fields, change } = command.action else {
            panic!("not add")
        };
        assert_eq!(id.as_deref(), Some("acme"));
        assert_eq!(change.actor.as_deref(), Some("Dana"));
        assert_eq!(
            Value::Object(fields.values(hashed).unwrap()),
            json!({"name": "Acme", "touches_phi": true, "phi_uses": ["maintains", "transmits"]})
        );

        let command = parsed(
            "register completion update a.c.2026-01-01 --evidence cert.pdf --date 2026-01-02 \
             --unset evidence",
        )
        .unwrap();
        let RecordAction::Update { fields, unset, .. } = command.action else {
            panic!("not update")
        };
        assert_eq!(unset, ["evidence"]);
        assert_eq!(
            Value::Object(fields.values(hashed).unwrap()),
            json!({"completed": "2026-01-02", "evidence_sha256": "ab".repeat(32)})
        );
        let command = parsed("register baa update b --document baa.pdf").unwrap();
        let RecordAction::Update { fields, .. } = command.action else {
            panic!("not update")
        };
        assert_eq!(
            fields.values(hashed).unwrap()["document"],
            json!({"path": "baa.pdf", "sha256": "ab".repeat(32)})
        );
    }

    #[test]
    fn a_value_is_refused_where_it_is_typed_naming_its_flag() {
        let error = parsed("register baa add b --vendor v --status sined").unwrap_err();
        let text = error.to_string();
        assert!(text.contains("'--status <STATUS>'"), "{text}");
        assert!(
            text.contains("use draft, signed, expired or terminated"),
            "{text}"
        );
        let error = parsed("register sla add s --vendor v --rto NaN").unwrap_err();
        assert!(error.to_string().contains("'--rto <HOURS>'"), "{error}");
        // A yes-or-no field a record cannot leave unsaid is required by `add` only.
        let error = parsed("register person add al --name Al").unwrap_err();
        assert_eq!(error.kind(), ErrorKind::MissingRequiredArgument);
        assert!(error.to_string().contains("--phi-access"), "{error}");
        assert!(parsed("register person update al --name Al").is_ok());
    }
}
