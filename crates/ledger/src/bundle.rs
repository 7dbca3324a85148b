//! Ledger bundles: an export that verifies offline, with no database and only the verifier
//! key, so an auditor can check the evidence on a machine of their own.
//!
//! A bundle is a directory:
//!
//! ```text
//! manifest.json        format name and version, counts, latest checkpoint (informational)
//! entries.jsonl        entry 0, 1, 2, … one per line, each exactly the hashed bytes + "\n"
//! checkpoints/N.note   the signed checkpoint at tree size N, as stored
//! ```
//!
//! Entries are one line each because the canonical encoding never contains a raw newline.
//! Verification recomputes the tree from `entries.jsonl` and checks every checkpoint's
//! signature and root; the manifest is never trusted.

use std::fs::{self, File};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::entry::MAX_ENTRY_BYTES;
use crate::note::VerifierKey;
use crate::verify::{Replay, open_checkpoints};
use crate::witness::{Anchor, MAX_NOTE_BYTES, read_text_file};
use crate::{LedgerError, Tamper, VerifyReport};

/// A manifest is a few lines of JSON.
const MAX_MANIFEST_BYTES: u64 = 64 * 1024;
/// More checkpoint files than this is not a bundle phiguard wrote: one checkpoint per
/// recording command, every minute for two years, is about a million.
const MAX_CHECKPOINTS: usize = 1_000_000;

/// The `format` value in a bundle's manifest.
pub const FORMAT: &str = "phiguard-ledger-bundle";
pub const FORMAT_VERSION: u32 = 1;

pub(crate) const MANIFEST: &str = "manifest.json";
pub(crate) const ENTRIES: &str = "entries.jsonl";
pub(crate) const CHECKPOINTS: &str = "checkpoints";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub version: u32,
    pub entries: u64,
    pub checkpoints: usize,
    pub latest_checkpoint: Option<u64>,
}

pub(crate) fn io(
    action: &'static str,
    path: &Path,
) -> impl FnOnce(std::io::Error) -> LedgerError + use<> {
    let path = path.to_path_buf();
    move |source| LedgerError::Io {
        action,
        path,
        source,
    }
}

/// Verifies a bundle offline with the installation's verifier key, and against `anchors`
/// (checkpoints the auditor holds, such as one cosigned by a witness). As with
/// [`Ledger::verify`], the outer error means the bundle could not be read, the inner one is
/// the verdict. Every file is read within a limit, so a bundle of huge or endless files
/// fails with the limit named instead of exhausting memory.
pub fn verify_bundle(
    dir: &Path,
    key: &VerifierKey,
    anchors: &[Anchor],
    progress: &mut dyn FnMut(u64),
) -> Result<Result<VerifyReport, Tamper>, LedgerError> {
    let bad = |reason: String| LedgerError::BadBundle {
        path: dir.to_path_buf(),
        reason,
    };
    let manifest_path = dir.join(MANIFEST);
    let manifest: Manifest = serde_json::from_str(&read_text_file(
        &manifest_path,
        MAX_MANIFEST_BYTES,
        "a bundle manifest",
    )?)
    .map_err(|e| bad(format!("{MANIFEST} is not valid: {e}")))?;
    if manifest.format != FORMAT || manifest.version != FORMAT_VERSION {
        return Err(bad(format!(
            "it is {} version {}, and this phiguard reads {FORMAT} version {FORMAT_VERSION}",
            manifest.format, manifest.version
        )));
    }
    let notes = read_checkpoints(&dir.join(CHECKPOINTS))?;
    let roots = match open_checkpoints(notes.iter().map(|(s, n)| (*s, n.as_str())), key) {
        Ok(roots) => roots,
        Err(tamper) => return Ok(Err(tamper)),
    };
    let mut replay = match Replay::new(roots, anchors) {
        Ok(replay) => replay,
        Err(tamper) => return Ok(Err(tamper)),
    };
    let entries_path = dir.join(ENTRIES);
    let mut reader = BufReader::new(File::open(&entries_path).map_err(io("open", &entries_path))?);
    let mut line = Vec::with_capacity(512);
    let mut seq = 0u64;
    loop {
        line.clear();
        // One entry at most, plus its newline: a longer line is no entry phiguard wrote.
        let read = (&mut reader)
            .take(MAX_ENTRY_BYTES as u64 + 1)
            .read_until(b'\n', &mut line)
            .map_err(io("read", &entries_path))?;
        if read == 0 {
            break;
        }
        if line.len() > MAX_ENTRY_BYTES && line.last() != Some(&b'\n') {
            return Err(LedgerError::TooLarge {
                path: entries_path,
                what: format!("entry {seq} of a bundle"),
                limit: MAX_ENTRY_BYTES as u64,
            });
        }
        if line.pop() != Some(b'\n') {
            return Err(bad(format!(
                "{ENTRIES} ends in the middle of entry {seq}: the file was cut short"
            )));
        }
        if let Err(tamper) = replay.push(seq, &line, None) {
            return Ok(Err(tamper));
        }
        seq += 1;
        if seq.is_multiple_of(65_536) {
            progress(seq);
        }
    }
    progress(seq);
    let report = match replay.finish() {
        Ok(report) => report,
        Err(tamper) => return Ok(Err(tamper)),
    };
    // A bundle exists to be checked by someone who trusts only the key, so every entry in it
    // must be covered by a signature, and its manifest must agree with its files.
    if report.checkpoints == 0 {
        return Err(bad(
            "it holds no signed checkpoint, so nothing in it can be verified".to_owned(),
        ));
    }
    if report.unsigned_entries > 0 {
        return Err(bad(format!(
            "its last {} entries are not covered by any checkpoint in it; export again with \
             `phiguard ledger export`, which signs a checkpoint first",
            report.unsigned_entries
        )));
    }
    if manifest.entries != report.entries || manifest.checkpoints != report.checkpoints {
        return Err(bad(format!(
            "{MANIFEST} lists {} entries and {} checkpoints, but the files hold {} and {}",
            manifest.entries, manifest.checkpoints, report.entries, report.checkpoints
        )));
    }
    Ok(Ok(report))
}

fn read_checkpoints(dir: &Path) -> Result<Vec<(u64, String)>, LedgerError> {
    let mut notes = Vec::new();
    for item in fs::read_dir(dir).map_err(io("read", dir))? {
        let item = item.map_err(io("read", dir))?;
        let path: PathBuf = item.path();
        let name = item.file_name();
        let name = name.to_string_lossy();
        // Files a desktop or an editor leaves behind are not part of the bundle.
        if name.starts_with('.') {
            continue;
        }
        // Exactly one spelling per size (no sign, no leading zeros), so two files can never
        // claim the same size and hide a second, conflicting checkpoint.
        let size = name
            .strip_suffix(".note")
            .filter(|digits| {
                !digits.is_empty()
                    && digits.bytes().all(|b| b.is_ascii_digit())
                    && (digits.len() == 1 || !digits.starts_with('0'))
            })
            .and_then(|digits| digits.parse::<u64>().ok())
            .ok_or_else(|| LedgerError::BadBundle {
                path: path.clone(),
                reason: "checkpoint files are named SIZE.note, with SIZE in plain decimal".into(),
            })?;
        if notes.len() == MAX_CHECKPOINTS {
            return Err(LedgerError::BadBundle {
                path: dir.to_path_buf(),
                reason: format!("it holds more than {MAX_CHECKPOINTS} checkpoint files"),
            });
        }
        let note = read_text_file(&path, MAX_NOTE_BYTES, "a checkpoint")?;
        notes.push((size, note));
    }
    notes.sort_by_key(|(size, _)| *size);
    Ok(notes)
}
