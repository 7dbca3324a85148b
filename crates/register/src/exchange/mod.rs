//! The register outside the database: as YAML files a team keeps in git and reviews like code
//! ([`yaml`]), and the responsibility matrix as the CSV a cloud provider publishes
//! ([`matrix_csv`]).
//!
//! Both only read and write files and turn them into [`Change`](crate::Change)s; the caller
//! plans those with [`plan`](crate::plan) and applies them through the register, so an import
//! is checked as a whole and recorded in the ledger like any other change.

pub mod matrix_csv;
mod node;
pub mod yaml;

use std::io::Read;
use std::path::Path;

use crate::{FileProblem, RegisterError};

pub use yaml::Imported;

/// The largest file an import reads. A register of tens of thousands of records is a few
/// megabytes; anything far larger is a mistake (the wrong file, a log, a device) and is
/// refused before it is read into memory.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// The most records one file may hold: a register kind file's entries, or a matrix's rows. No
/// register comes near it (a file of the largest size holds about this many of the smallest
/// records); it bounds the records and problems kept in memory for one file.
pub const MAX_RECORDS: usize = 500_000;

/// Why a file larger than [`MAX_FILE_BYTES`] is refused, for a [`FileProblem`]: `size` when it
/// is known, else the file was read up to the limit and went on (a device, a growing file).
fn too_large(file: &Path, size: Option<u64>) -> FileProblem {
    let what = match size {
        Some(size) => format!("the file is {:.1} MiB", size as f64 / (1024.0 * 1024.0)),
        None => "the file goes on past that".to_owned(),
    };
    FileProblem {
        file: file.to_owned(),
        line: None,
        reason: format!(
            "phiguard reads files of at most {} MiB, and {what}; is it the right file? A \
             register or matrix that really is larger must be kept in smaller parts",
            MAX_FILE_BYTES / (1024 * 1024)
        ),
    }
}

/// Why a file with more than [`MAX_RECORDS`] `what` (records, rows) is refused.
fn too_many_records(what: &str) -> String {
    format!(
        "the file has more than {MAX_RECORDS} {what}, the most phiguard imports from one file; \
         is it the right file? A kind this large is best kept in the database and changed with \
         `phiguard register` commands rather than imported"
    )
}

/// Reads a whole file of at most [`MAX_FILE_BYTES`]: `Ok(Err(problem))` when it is larger, or
/// is a named pipe or socket (which could block the import or never end). The limit is
/// enforced while reading too, so a file that grows after it was measured, or a device that
/// reports no size (`/dev/zero`), is read only up to it.
fn read_limited(path: &Path) -> Result<Result<Vec<u8>, FileProblem>, RegisterError> {
    use std::os::unix::fs::FileTypeExt;
    let io = |source| RegisterError::Io {
        action: "read",
        path: path.to_owned(),
        source,
    };
    let kind = std::fs::metadata(path).map_err(io)?.file_type();
    if kind.is_fifo() || kind.is_socket() || kind.is_dir() {
        let what = if kind.is_dir() {
            "a directory"
        } else if kind.is_fifo() {
            "a named pipe"
        } else {
            "a socket"
        };
        return Ok(Err(FileProblem {
            file: path.to_owned(),
            line: None,
            reason: format!("this is {what}, not a file; give a file of records"),
        }));
    }
    let file = std::fs::File::open(path).map_err(io)?;
    let size = file.metadata().map_err(io)?.len();
    if size > MAX_FILE_BYTES {
        return Ok(Err(too_large(path, Some(size))));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Ok(Err(too_large(path, None)));
    }
    Ok(Ok(bytes))
}

/// The 1-based line of byte `offset` in `bytes`.
fn line_of(bytes: &[u8], offset: usize) -> u64 {
    let before = bytes.get(..offset).unwrap_or(bytes);
    before.iter().filter(|&&b| b == b'\n').count() as u64 + 1
}

/// `bytes` as UTF-8 without a leading byte order mark (spreadsheets and Windows editors write
/// one), or the problem naming the line of the first byte that is not UTF-8.
fn utf8_text<'a>(bytes: &'a [u8], file: &Path) -> Result<&'a str, FileProblem> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|error| FileProblem {
        file: file.to_owned(),
        line: Some(line_of(bytes, error.valid_up_to())),
        reason: "the file is not UTF-8 text here; save it as UTF-8".into(),
    })
}
