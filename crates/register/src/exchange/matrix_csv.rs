//! The responsibility matrix as CSV: what cloud providers publish (which HIPAA controls they
//! carry, which the customer does, which are shared), and what auditors and spreadsheets take.
//!
//! Providers' files differ in everything but the two columns that matter, so reading is
//! lenient where it is safe (column order, extra columns, a byte order mark, spellings such as
//! `N/A` or `45 CFR § 164.312(b)`) and strict where a mistake would silently change the
//! register (a citation that does not parse, an unknown responsibility, a control listed twice).

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;

use phiguard_core::ControlId;

use super::{line_of, read_limited, utf8_text};
use crate::records::{Record, Responsibility, ResponsibilityRecord};
use crate::{AnyRecord, Change, FileProblem, RegisterError, Snapshot};

/// The columns [`write`] produces and [`parse`] understands.
/// `vendor` comes last so that files written before it existed keep their column positions.
const COLUMNS: [&str; 6] = [
    "control",
    "responsibility",
    "owner",
    "notes",
    "evidence",
    "vendor",
];

/// Reads the matrix from a CSV file; see [`parse`]. Files over
/// [`MAX_FILE_BYTES`](super::MAX_FILE_BYTES) are refused.
pub fn read(
    path: &Path,
    known: impl Fn(ControlId) -> bool,
) -> Result<Vec<ResponsibilityRecord>, RegisterError> {
    match read_limited(path)? {
        Ok(bytes) => parse(&bytes, path, known),
        Err(problem) => Err(RegisterError::Import {
            problems: vec![problem],
        }),
    }
}

/// Parses a matrix from CSV text; `origin` names the source in problems, and `known` says
/// which citations are controls a row may name (the catalog's, which this crate cannot see:
/// the caller has it).
///
/// The header is the first row with a `control` cell (rows above it, such as a title, are
/// skipped); it must also have `responsibility`, and may have `owner`, `notes`, `evidence` and
/// `vendor` (case and surrounding spaces do not matter; other columns are ignored). Every row
/// after it has as many cells as the header; blank rows are skipped. Evidence links are
/// separated by `;` or whitespace; empty owner, notes and vendor are absent. Every bad row is
/// reported with its line, and nothing is returned unless all rows are good, so a half-read
/// matrix is never imported. A quote that opens a cell and is never closed is refused at its
/// line: read on, it would swallow every row after it into one cell.
pub fn parse(
    text: &[u8],
    origin: &Path,
    known: impl Fn(ControlId) -> bool,
) -> Result<Vec<ResponsibilityRecord>, RegisterError> {
    let fail = |problems| Err(RegisterError::Import { problems });
    if text.len() as u64 > super::MAX_FILE_BYTES {
        return fail(vec![super::too_large(origin, Some(text.len() as u64))]);
    }
    // Checked as a whole first, so the line of a bad byte is exact even inside a quoted cell.
    let text = match utf8_text(text, origin) {
        Ok(text) => text,
        Err(problem) => return fail(vec![problem]),
    };
    let problem = |line: Option<u64>, reason: String| FileProblem {
        file: origin.to_owned(),
        line,
        reason,
    };
    if let Some(line) = unterminated_quote(text) {
        return fail(vec![problem(
            Some(line),
            "a quote opens a cell here and is never closed, so every row after it would be \
             read as part of this cell; close the quote, and write a quote that is part of \
             the text as two (\"\")"
                .to_owned(),
        )]);
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut header: Option<Header> = None;
    let mut first_row: Option<(u64, Vec<String>)> = None;
    let mut problems = Vec::new();
    let mut records = Vec::new();
    let mut seen: HashMap<ControlId, u64> = HashMap::new();
    let mut rows = 0usize;
    let mut lines = Lines::new(text);
    for row in reader.records() {
        let row = match row {
            Ok(row) => row,
            Err(error) => {
                let line = error.position().map(|p| lines.at(p.byte()));
                problems.push(problem(line, format!("this is not valid CSV: {error}")));
                break;
            }
        };
        // Where the row starts: a quoted cell may span lines. The csv reader's position is
        // where it began reading, before the blank lines it skips, so those are stepped over.
        let line = row.position().map_or(1, |p| lines.at_row(p.byte()));
        if row.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        rows += 1;
        if rows > super::MAX_RECORDS {
            return fail(vec![problem(None, super::too_many_records("rows"))]);
        }
        let Some(columns) = &header else {
            let cells: Vec<String> = row.iter().map(|c| c.trim().to_lowercase()).collect();
            if cells.iter().any(|c| c == "control") {
                match Header::new(&cells) {
                    Ok(found) => header = Some(found),
                    Err(reason) => return fail(vec![problem(Some(line), reason)]),
                }
            } else if first_row.is_none() {
                first_row = Some((line, cells));
            }
            continue;
        };
        if row.len() != columns.cells {
            problems.push(problem(
                Some(line),
                format!(
                    "this row has {} cells, but the header has {}; a cell whose text has a \
                     comma must be in quotes (\"a, b\"), and every row needs a cell, empty or \
                     not, for each column",
                    row.len(),
                    columns.cells
                ),
            ));
            continue;
        }
        let cell = |index: Option<usize>| index.and_then(|i| row.get(i)).unwrap_or("").trim();
        let mut reasons = Vec::new();
        let control = match cell(Some(columns.control)) {
            "" => {
                reasons.push("the control is empty".to_owned());
                None
            }
            text => match ControlId::from_str(text) {
                Ok(control) if known(control) => Some(control),
                Ok(control) => {
                    reasons.push(unknown_control(control));
                    None
                }
                Err(error) => {
                    reasons.push(error.to_string());
                    None
                }
            },
        };
        let responsibility = match cell(Some(columns.responsibility)) {
            "" => {
                reasons.push(
                    "the responsibility is empty; give provider, customer, shared or not-applicable"
                        .to_owned(),
                );
                None
            }
            text => Responsibility::from_str(text)
                .map_err(|error| reasons.push(error))
                .ok(),
        };
        if let Some(control) = control {
            if let Some(first) = seen.get(&control) {
                reasons.push(format!(
                    "control {control} is listed twice, on line {first} and here; keep one row per control"
                ));
            } else {
                seen.insert(control, line);
            }
        }
        match (control, responsibility) {
            (Some(control), Some(responsibility)) if reasons.is_empty() => {
                let mut record = ResponsibilityRecord::new(control, responsibility);
                let optional = |text: &str| (!text.is_empty()).then(|| unguard(text).to_owned());
                record.owner = optional(cell(columns.owner));
                record.notes = optional(cell(columns.notes));
                record.vendor = optional(cell(columns.vendor));
                record.evidence = unguard(cell(columns.evidence))
                    .split(|c: char| c == ';' || c.is_whitespace())
                    .filter(|link| !link.is_empty())
                    .map(str::to_owned)
                    .collect();
                records.push(record);
            }
            _ => problems.push(problem(Some(line), reasons.join("; "))),
        }
    }
    if header.is_none() && problems.is_empty() {
        let reason = match &first_row {
            Some((_, cells)) => format!(
                "no row names a `control` column, so phiguard cannot tell which column is which; the first row has {}. Add a header row with at least `control` and `responsibility`",
                cells
                    .iter()
                    .map(|c| format!("{c:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None => "the file has no rows; a matrix needs a header row with at least `control` and `responsibility`, then one row per control".to_owned(),
        };
        problems.push(problem(first_row.as_ref().map(|(line, _)| *line), reason));
    }
    if problems.is_empty() {
        Ok(records)
    } else {
        fail(problems)
    }
}

/// Why a matrix row naming `control`, a citation that is no control of the catalog, is
/// refused.
pub fn unknown_control(control: ControlId) -> String {
    format!(
        "{control} is not a control of the HIPAA Security Rule or the Breach Notification Rule; \
         correct the citation (`phiguard assess --json` lists the controls) or remove the row"
    )
}

/// The line of a quote that opens a cell and is never closed, if there is one. The `csv`
/// crate reads such a cell to the end of the file without a word, so the rows after it would
/// silently become its text. Quotes are read as the `csv` crate reads them: one opens a quoted
/// cell only at the start of a cell, and inside one, two quotes stand for one.
fn unterminated_quote(text: &str) -> Option<u64> {
    let mut line = 1;
    let mut opened_on = None;
    let mut at_cell_start = true;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if opened_on.is_some() {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                } else {
                    opened_on = None;
                }
            }
        } else if c == '"' && at_cell_start {
            opened_on = Some(line);
        }
        at_cell_start = opened_on.is_none() && matches!(c, ',' | '\n' | '\r');
        if c == '\n' {
            line += 1;
        }
    }
    opened_on
}

/// The lines of byte offsets of a text, met in increasing order: counted in one pass.
struct Lines<'a> {
    text: &'a [u8],
    offset: usize,
    line: u64,
}

impl Lines<'_> {
    fn new(text: &str) -> Lines<'_> {
        Lines {
            text: text.as_bytes(),
            offset: 0,
            line: 1,
        }
    }

    /// The 1-based line of the row the reader began reading at byte `offset`: its first byte
    /// that does not end a line.
    fn at_row(&mut self, offset: u64) -> u64 {
        let start = usize::try_from(offset).unwrap_or(usize::MAX);
        let skipped = self
            .text
            .get(start..)
            .unwrap_or_default()
            .iter()
            .take_while(|&&b| b == b'\n' || b == b'\r')
            .count();
        self.at(offset.saturating_add(skipped as u64))
    }

    /// The 1-based line of byte `offset`.
    fn at(&mut self, offset: u64) -> u64 {
        let offset = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.text.len());
        if offset < self.offset {
            return line_of(self.text, offset);
        }
        let newlines = self.text[self.offset..offset]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        self.line += newlines as u64;
        self.offset = offset;
        self.line
    }
}

/// Which column holds what.
struct Header {
    /// How many cells the header row has, which every row must have.
    cells: usize,
    control: usize,
    responsibility: usize,
    owner: Option<usize>,
    notes: Option<usize>,
    evidence: Option<usize>,
    vendor: Option<usize>,
}

impl Header {
    /// Finds the columns in a header row of trimmed, lowercased cells.
    fn new(cells: &[String]) -> Result<Header, String> {
        let mut found: [Option<usize>; COLUMNS.len()] = [None; COLUMNS.len()];
        for (name, slot) in COLUMNS.iter().zip(found.iter_mut()) {
            let mut matching = cells.iter().enumerate().filter(|(_, c)| c == name);
            *slot = matching.next().map(|(i, _)| i);
            if matching.next().is_some() {
                return Err(format!(
                    "the header has two `{name}` columns, so phiguard cannot tell which one to read; rename or remove one"
                ));
            }
        }
        let [control, responsibility, owner, notes, evidence, vendor] = found;
        let (Some(control), Some(responsibility)) = (control, responsibility) else {
            return Err(format!(
                "the header has no `responsibility` column (it has {}); add one saying, for each control, provider, customer, shared or not-applicable",
                cells
                    .iter()
                    .map(|c| format!("{c:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        };
        Ok(Header {
            cells: cells.len(),
            control,
            responsibility,
            owner,
            notes,
            evidence,
            vendor,
        })
    }
}

/// Writes the register's matrix as CSV, in control order (the order of the regulation), with
/// the header `control,responsibility,owner,notes,evidence,vendor`; evidence links are joined
/// with `"; "`. [`parse`] reads it back to the same records, as long as no evidence link contains
/// `;` or whitespace.
pub fn write(snapshot: &Snapshot, out: impl std::io::Write) -> Result<(), std::io::Error> {
    let mut rows: Vec<&ResponsibilityRecord> = snapshot
        .matrix
        .values()
        .map(|stored| &stored.record)
        .collect();
    rows.sort_by_key(|record| record.control());
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(COLUMNS)?;
    for record in rows {
        writer.write_record([
            record.control().to_string().as_str(),
            record.responsibility.as_str(),
            &guard(record.owner.as_deref().unwrap_or("")),
            &guard(record.notes.as_deref().unwrap_or("")),
            &guard(&record.evidence.join("; ")),
            &guard(record.vendor.as_deref().unwrap_or("")),
        ])?;
    }
    writer.flush()?;
    Ok(())
}

/// Characters that make a spreadsheet read a cell as a formula (and run it: `=HYPERLINK(…)`,
/// `=cmd|…`), as OWASP's CSV injection guidance lists them.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Text for a cell a spreadsheet will open: a leading `'` makes a formula-like value plain
/// text. A value that already starts with `'` gets one more, so [`unguard`] restores every
/// value exactly and the export still round-trips.
pub fn guard(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(FORMULA_STARTS) || text.starts_with('\'') {
        format!("'{text}").into()
    } else {
        text.into()
    }
}

/// The value [`guard`] wrote. Only a `'` that [`guard`] could have added is removed, so an
/// apostrophe that opens a provider's own text (`'Inherited' per …`) stays.
fn unguard(text: &str) -> &str {
    match text.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_STARTS) || rest.starts_with('\'') => rest,
        _ => text,
    }
}

/// The changes that merge an imported matrix into the register: a [`Change::Put`] for every
/// row. What a row leaves empty (owner, notes, evidence links, vendor) keeps the value of the
/// record it replaces, because a provider's matrix never has them: they are what the
/// organisation added (who answers for the control, its attestation copy, its runbook, which
/// vendor in its register the provider is), and re-importing the provider's next version must
/// not wipe them. The vendor is kept only while the row still leaves work to a provider: a
/// control the new file makes the customer's is no longer carried by one. Controls the file
/// does not list are left alone; a matrix import never deletes.
pub fn changes(current: &Snapshot, rows: Vec<ResponsibilityRecord>) -> Vec<Change> {
    rows.into_iter()
        .map(|mut row| {
            if let Some(stored) = current.matrix.get(row.id()) {
                let stored = &stored.record;
                if row.owner.is_none() {
                    row.owner.clone_from(&stored.owner);
                }
                if row.notes.is_none() {
                    row.notes.clone_from(&stored.notes);
                }
                if row.evidence.is_empty() {
                    row.evidence.clone_from(&stored.evidence);
                }
                if row.vendor.is_none() && row.responsibility.involves_provider() {
                    row.vendor.clone_from(&stored.vendor);
                }
            }
            Change::Put(AnyRecord::Responsibility(row))
        })
        .collect()
}
