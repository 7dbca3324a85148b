//! Affected individuals read from a CSV file and pseudonymised as they are read.
//!
//! The file comes from the system that holds the PHI: a header, then one row per individual
//! with `name`, `state` (the postal code of their state of residence) and optionally
//! `address`. Other columns are ignored. Each individual is kept as the pseudonym of their
//! normalised name and address, made by the caller's callback with the installation's key,
//! and their state; names and addresses go no further than this function, and no error
//! repeats one (errors name the line and the column).
//!
//! The state counts give the clocks of the state laws and the thresholds of 164.406 and
//! 164.408; the pseudonyms let the list be imported again without counting anyone twice.

use std::collections::{BTreeMap, HashMap};

use phiguard_register::records::AffectedIndividual;

/// The largest file read: 64 MiB is well over a million rows of names and addresses, past any
/// breach a file like this is the right way to list.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// The pseudonym kind of an affected individual: a domain of its own, so the pseudonym of a
/// person here never equals that of the same text as another kind of identifier.
pub const PSEUDONYM_KIND: &str = "individual";

/// The individuals of a file, pseudonymised and each counted once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Affected {
    /// Each individual once, in pseudonym order (so the order of the file says nothing).
    pub individuals: Vec<AffectedIndividual>,
    /// Individuals by state, each state once.
    pub by_state: BTreeMap<String, u64>,
    /// The rows read, duplicates included.
    pub rows: usize,
    /// Rows that repeat an individual of an earlier row.
    pub duplicates: usize,
    /// Whether the file has an `address` column. Without one, two people of the same name
    /// count as one.
    pub has_address: bool,
}

/// Why a file cannot be imported. No message repeats a name or an address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AffectedError {
    #[error(
        "the file is over {} MiB; split it, or check it is the list of affected individuals",
        MAX_FILE_BYTES / 1024 / 1024
    )]
    TooLarge,
    #[error("the file is empty; it needs a header (name,state[,address]) and a row per individual")]
    Empty,
    #[error("the header {0}")]
    Header(String),
    /// `line` is 1-based, as an editor shows it.
    #[error("line {line}: {reason}")]
    Line { line: u64, reason: String },
}

fn at(line: u64, reason: impl Into<String>) -> AffectedError {
    AffectedError::Line {
        line,
        reason: reason.into(),
    }
}

/// The text a person is known by: surrounding spaces removed, every run of white space one
/// space, case folded. "  ANA  López " and "ana lópez" are one person.
pub fn normalise(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The identity of a row, as pseudonymised: its normalised name and, when there is one, its
/// normalised address, apart so that no name and address run together into another's.
fn identity(name: &str, address: Option<&str>) -> String {
    match address {
        Some(address) => format!("{}\n{}", normalise(name), normalise(address)),
        None => normalise(name),
    }
}

/// The 1-based line a row starts on, counted from the bytes: a row's position is where the
/// csv crate began reading it, before the blank lines it skips.
fn line_of(bytes: &[u8], position: &csv::Position) -> u64 {
    let mut start =
        usize::try_from(position.byte()).map_or(bytes.len(), |byte| byte.min(bytes.len()));
    while bytes.get(start).is_some_and(|b| matches!(b, b'\n' | b'\r')) {
        start += 1;
    }
    1 + bytes[..start].iter().filter(|b| **b == b'\n').count() as u64
}

/// Where each column is.
struct Columns {
    name: usize,
    state: usize,
    address: Option<usize>,
}

/// The columns read; any other is ignored (and never named: a first line of data is no header).
const KNOWN: [&str; 3] = ["name", "state", "address"];

fn columns(header: &csv::ByteRecord) -> Result<Columns, AffectedError> {
    let mut found: HashMap<String, usize> = HashMap::new();
    for (index, field) in header.iter().enumerate() {
        let Ok(text) = std::str::from_utf8(field) else {
            return Err(AffectedError::Header(
                "is not UTF-8 text; save the file as UTF-8".into(),
            ));
        };
        let name = text.trim().trim_start_matches('\u{feff}').to_lowercase();
        if found.insert(name.clone(), index).is_some() && KNOWN.contains(&name.as_str()) {
            return Err(AffectedError::Header(format!(
                "names the column {name:?} twice; keep one"
            )));
        }
    }
    let column = |name: &str| found.get(name).copied();
    match (column("name"), column("state")) {
        (Some(name), Some(state)) => Ok(Columns {
            name,
            state,
            address: column("address"),
        }),
        (name, state) => {
            let missing: Vec<&str> = [("name", name), ("state", state)]
                .into_iter()
                .filter(|(_, at)| at.is_none())
                .map(|(column, _)| column)
                .collect();
            Err(AffectedError::Header(format!(
                "has no {} column; the first line must name the columns: name,state and \
                 optionally address",
                missing.join(" or ")
            )))
        }
    }
}

/// Reads the CSV in `bytes` and pseudonymises each individual with `pseudonymise` (given the
/// normalised name and address; its error must not repeat them). Any invalid row refuses the
/// whole file, naming its line.
pub fn read<E: std::fmt::Display>(
    bytes: &[u8],
    mut pseudonymise: impl FnMut(&str) -> Result<String, E>,
) -> Result<Affected, AffectedError> {
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(AffectedError::TooLarge);
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(bytes);
    let header = reader
        .byte_headers()
        .map_err(|_| AffectedError::Header("cannot be read as CSV".into()))?
        .clone();
    if header.is_empty() {
        return Err(AffectedError::Empty);
    }
    let columns = columns(&header)?;
    // Each pseudonym with the state and line it was first seen on.
    let mut seen: HashMap<String, (String, u64)> = HashMap::new();
    let mut rows = 0usize;
    let mut duplicates = 0usize;
    let mut row = csv::ByteRecord::new();
    loop {
        let line_before = line_of(bytes, reader.position());
        match reader.read_byte_record(&mut row) {
            Ok(false) => break,
            Ok(true) => {}
            // The csv crate's message can quote the row; only the line is said.
            Err(error) => {
                let line = error
                    .position()
                    .map_or(line_before, |position| line_of(bytes, position));
                return Err(at(
                    line,
                    "cannot be read as CSV (an unclosed quote?); fix the row",
                ));
            }
        }
        let line = row
            .position()
            .map_or(line_before, |position| line_of(bytes, position));
        let field = |index: usize, column: &str| -> Result<&str, AffectedError> {
            let bytes = row.get(index).unwrap_or_default();
            std::str::from_utf8(bytes).map_err(|_| {
                at(
                    line,
                    format!("the {column} is not UTF-8 text; save the file as UTF-8"),
                )
            })
        };
        let name = field(columns.name, "name")?;
        let state = field(columns.state, "state")?;
        let address = match columns.address {
            Some(index) => Some(field(index, "address")?),
            None => None,
        };
        if name.trim().is_empty() {
            return Err(at(line, "has no name; every row names one individual"));
        }
        let state = state.trim().to_ascii_uppercase();
        if state.is_empty() {
            return Err(at(
                line,
                "has no state; give the postal code of the individual's state of residence, \
                 such as OH",
            ));
        }
        if !phiguard_breach::is_state_code(&state) {
            // The value is not repeated: a shifted column may have put a name there.
            return Err(at(
                line,
                "the state is not the postal code of a state or territory, such as OH or PR",
            ));
        }
        rows += 1;
        let pseudonym = pseudonymise(&identity(name, address.filter(|a| !a.trim().is_empty())))
            .map_err(|error| at(line, format!("could not be pseudonymised: {error}")))?;
        match seen.get(&pseudonym) {
            Some((first_state, _)) if *first_state == state => duplicates += 1,
            Some((_, first_line)) => {
                return Err(at(
                    line,
                    format!(
                        "lists the individual of line {first_line} with another state; give \
                         each individual once, with their state of residence"
                    ),
                ));
            }
            None => {
                seen.insert(pseudonym, (state, line));
            }
        }
    }
    if rows == 0 {
        return Err(AffectedError::Empty);
    }
    let mut by_state: BTreeMap<String, u64> = BTreeMap::new();
    let mut individuals: Vec<AffectedIndividual> = seen
        .into_iter()
        .map(|(pseudonym, (state, _))| {
            *by_state.entry(state.clone()).or_default() += 1;
            AffectedIndividual { pseudonym, state }
        })
        .collect();
    individuals.sort();
    Ok(Affected {
        individuals,
        by_state,
        rows,
        duplicates,
        has_address: columns.address.is_some(),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    /// A stand-in for the keyed pseudonym that keeps the identity visible to the test: a
    /// real pseudonym is tested where the keyring is (`phiguard-app`).
    fn tagged(identity: &str) -> Result<String, String> {
        Ok(format!("p:{identity}"))
    }

    #[test]
    fn rows_are_normalised_deduplicated_and_counted_by_state() {
        let csv = "Name , State,address,mrn\n\
                   Ana  Lopez,oh,1 Main St,1\n\
                   \"ANA LOPEZ \",OH,1  main st,2\n\
                   Ana Lopez,PA,9 Elm Rd,3\n\
                   Bo Chen, pa ,,4\n";
        let affected = read(csv.as_bytes(), tagged).unwrap();
        assert_eq!(affected.rows, 4);
        assert_eq!(affected.duplicates, 1);
        assert!(affected.has_address);
        assert_eq!(
            affected.by_state,
            BTreeMap::from([("OH".to_owned(), 1), ("PA".to_owned(), 2)])
        );
        let pseudonyms: Vec<&str> = affected
            .individuals
            .iter()
            .map(|i| i.pseudonym.as_str())
            .collect();
        assert_eq!(
            pseudonyms,
            [
                "p:ana lopez\n1 main st",
                "p:ana lopez\n9 elm rd",
                "p:bo chen"
            ]
        );
    }

    #[test]
    fn without_an_address_column_the_name_alone_is_the_identity() {
        let affected = read(
            "state,name\nOH,Ana Lopez\nOH,ana lopez\n".as_bytes(),
            tagged,
        )
        .unwrap();
        assert!(!affected.has_address);
        assert_eq!(affected.individuals.len(), 1);
        assert_eq!(affected.duplicates, 1);
    }

    fn refused(csv: &str) -> String {
        read(csv.as_bytes(), tagged).unwrap_err().to_string()
    }

    #[test]
    fn a_bad_row_is_refused_by_its_line_without_repeating_a_name() {
        let error = refused("name,state\nAna Lopez,OH\nZed Quist,Zed Quist\n");
        assert_eq!(
            error,
            "line 3: the state is not the postal code of a state or territory, such as OH or PR"
        );
        assert!(!error.contains("Zed"));
        let error = refused("name,state\nAna Lopez,OH\n\n ,OH\n");
        assert!(error.starts_with("line 4: has no name"), "{error}");
        let error = refused("name,state\nAna Lopez,\n");
        assert!(error.starts_with("line 2: has no state"), "{error}");
        let error = refused("name,state\nAna Lopez,OH\nana lopez,PA\n");
        assert!(
            error.starts_with("line 3: lists the individual of line 2"),
            "{error}"
        );
        assert!(!error.to_lowercase().contains("lopez"), "{error}");
        // An unclosed quote runs to the end of the file: the row it opens has no state.
        let error = refused("name,state\nAna Lopez,OH\n\"Zed Quist,OH\n");
        assert!(error.starts_with("line 3: has no state"), "{error}");
        assert!(!error.contains("Zed"), "{error}");
        let mut bytes = b"name,state\nAna Lopez,OH\nZ\xffd,OH\n".to_vec();
        let error = read(&bytes, tagged).unwrap_err().to_string();
        assert_eq!(
            error,
            "line 3: the name is not UTF-8 text; save the file as UTF-8"
        );
        bytes.truncate(0);
        assert_eq!(read(&bytes, tagged).unwrap_err(), AffectedError::Empty);
    }

    #[test]
    fn a_header_without_its_columns_or_a_file_without_rows_is_refused() {
        assert_eq!(
            refused("full_name,state\nAna,OH\n"),
            "the header has no name column; the first line must name the columns: name,state \
             and optionally address"
        );
        assert!(refused("name,name,state\n").contains("names the column \"name\" twice"));
        assert_eq!(refused("name,state\n"), AffectedError::Empty.to_string());
        // A file whose first line is data has no header: its names are not columns.
        let error = refused("Ana Lopez,OH\n");
        assert!(error.contains("has no name or state column"), "{error}");
        assert!(!error.contains("Ana"), "{error}");
    }

    #[test]
    fn a_callback_error_names_the_line_and_an_oversized_file_is_refused() {
        let error = read("name,state\nAna,OH\n".as_bytes(), |_| {
            Err::<String, _>("the keyring is locked")
        })
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "line 2: could not be pseudonymised: the keyring is locked"
        );
        let big = vec![b'a'; MAX_FILE_BYTES as usize + 1];
        assert_eq!(read(&big, tagged).unwrap_err(), AffectedError::TooLarge);
    }
}
