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
/// megabytes; anything far larger is a mistake (the wrong file, a log) and is refused before
/// it is read into memory.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Why a file larger than [`MAX_FILE_BYTES`] is refused, for a [`FileProblem`].
fn too_large(file: &Path, size: u64) -> FileProblem {
    FileProblem {
        file: file.to_owned(),
        line: None,
        reason: format!(
            "the file is {:.1} MiB, more than the {} MiB phiguard reads; is it the right file?",
            size as f64 / (1024.0 * 1024.0),
            MAX_FILE_BYTES / (1024 * 1024)
        ),
    }
}

/// Reads a whole file of at most [`MAX_FILE_BYTES`]: `Ok(Err(problem))` when it is larger.
/// The limit is enforced while reading too, so a file that grows after it was measured, or a
/// device that reports no size, cannot make the import read without bound.
fn read_limited(path: &Path) -> Result<Result<Vec<u8>, FileProblem>, RegisterError> {
    let io = |source| RegisterError::Io {
        action: "read",
        path: path.to_owned(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let size = file.metadata().map_err(io)?.len();
    if size > MAX_FILE_BYTES {
        return Ok(Err(too_large(path, size)));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Ok(Err(too_large(path, bytes.len() as u64)));
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
