use std::path::PathBuf;

use crate::{Kind, Tampered};

/// One thing wrong with one record.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    pub kind: Kind,
    pub id: String,
    pub message: String,
    /// For a reference that does not resolve: the record named.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub names: Option<(Kind, String)>,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {:?}: {}", self.kind, self.id, self.message)
    }
}

/// Where in an import file a problem is.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FileProblem {
    pub file: PathBuf,
    /// 1-based; absent when the problem is with the file as a whole.
    pub line: Option<u64>,
    pub reason: String,
}

impl std::fmt::Display for FileProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.file.display(), self.reason),
            None => write!(f, "{}: {}", self.file.display(), self.reason),
        }
    }
}

fn list<T: std::fmt::Display>(items: &[T]) -> String {
    items.iter().map(|item| format!("\n  - {item}")).collect()
}

#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    #[error("the register was not changed, because {}:{}", if problems.len() == 1 { "a record is invalid" } else { "records are invalid" }, list(problems))]
    Invalid { problems: Vec<Problem> },

    #[error("{kind} {id:?} already exists; change it with `update`, or choose another id")]
    Exists { kind: Kind, id: String },

    #[error("there is no {kind} {id:?}; `phiguard register {kind} list` shows what there is")]
    Missing { kind: Kind, id: String },

    #[error("nothing was imported, because {}:{}", if problems.len() == 1 { "a file is invalid" } else { "files are invalid" }, list(problems))]
    Import { problems: Vec<FileProblem> },

    #[error("could not {action} {}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[cfg(feature = "store")]
    #[error("a register database operation failed while {doing}")]
    Database {
        doing: &'static str,
        #[source]
        source: sqlx::Error,
    },

    #[cfg(feature = "store")]
    #[error(
        "the database did not confirm the register change, so it may or may not be stored; check with `phiguard register history` before making it again"
    )]
    CommitUncertain {
        #[source]
        source: sqlx::Error,
    },

    #[error("{}", tampered(records))]
    Tampered { records: Vec<Tampered> },

    #[error(
        "the register holds a record phiguard cannot read: {what}. Was the database edited by hand? `phiguard register history` shows the recorded states"
    )]
    Corrupt { what: String },

    #[cfg(feature = "store")]
    #[error(transparent)]
    Store(#[from] phiguard_store::StoreError),

    #[cfg(feature = "store")]
    #[error(transparent)]
    Ledger(#[from] phiguard_ledger::LedgerError),
}

/// How many tampered records an error lists; `register check` lists them all.
const TAMPERED_LISTED: usize = 20;

fn tampered(records: &[Tampered]) -> String {
    let what = if records.len() == 1 {
        "1 record no longer matches the ledger entry that recorded it".to_owned()
    } else {
        format!(
            "{} records no longer match the ledger entries that recorded them",
            records.len()
        )
    };
    let mut text = format!(
        "the register was changed outside phiguard, so phiguard will not use it: {what}:{}",
        list(&records[..records.len().min(TAMPERED_LISTED)])
    );
    if records.len() > TAMPERED_LISTED {
        text.push_str(&format!(
            "\n  - and {} more (`phiguard register check` lists them all)",
            records.len() - TAMPERED_LISTED
        ));
    }
    text.push_str(
        "\nSomeone with access to the database edited it directly. Treat this as a security \
         incident (45 CFR 164.308(a)(6)): find out who changed what, and when. `phiguard \
         register history KIND ID` shows every state the ledger recorded for a record; restore \
         the database from a backup taken before the change. Meanwhile `phiguard register \
         check` and `phiguard assess` still run, judging the records as the ledger recorded \
         them, and report the change as a failing register.integrity finding.",
    );
    text
}

#[cfg(feature = "store")]
pub(crate) fn db(doing: &'static str) -> impl FnOnce(sqlx::Error) -> RegisterError {
    move |source| RegisterError::Database { doing, source }
}
