//! Ledger bundles: an export that verifies offline, with no database and only the verifier
//! key, so an auditor can check the evidence on a machine of their own.
//!
//! A bundle is a directory:
//!
//! ```text
//! manifest.json        format name and version, origin, counts (informational)
//! entries.jsonl        entry 0, 1, 2, … one per line, each exactly the hashed bytes + "\n"
//! checkpoints/N.note   the signed checkpoint at tree size N, as stored
//! ```
//!
//! Entries are one line each because the canonical encoding never contains a raw newline.
//! Verification recomputes the tree from `entries.jsonl` and checks every checkpoint's
//! signature and root; the manifest is never trusted.

use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::entry::MAX_ENTRY_BYTES;
use crate::note::VerifierKey;
use crate::verify::{Replay, open_checkpoints};
use crate::witness::{Anchor, MAX_NOTE_BYTES, read_text_file};
use crate::{Ledger, LedgerError, Tamper, VerifyReport};

/// A manifest is a few lines of JSON.
const MAX_MANIFEST_BYTES: u64 = 64 * 1024;
/// More checkpoint files than this is not a bundle phiguard wrote: one checkpoint per
/// recording command, every minute for two years, is about a million.
const MAX_CHECKPOINTS: usize = 1_000_000;

/// The `format` value in a bundle's manifest.
pub const FORMAT: &str = "phiguard-ledger-bundle";
pub const FORMAT_VERSION: u32 = 1;

const MANIFEST: &str = "manifest.json";
const ENTRIES: &str = "entries.jsonl";
const CHECKPOINTS: &str = "checkpoints";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub version: u32,
    pub entries: u64,
    pub checkpoints: usize,
    pub latest_checkpoint: Option<u64>,
}

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> LedgerError + use<> {
    let path = path.to_path_buf();
    move |source| LedgerError::Io {
        action,
        path,
        source,
    }
}

fn create_private(path: &Path) -> Result<BufWriter<File>, LedgerError> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map(BufWriter::new)
        .map_err(io("create", path))
}

impl Ledger {
    /// Writes the first `size` entries and every checkpoint up to that size into `dir`,
    /// which must not exist yet (nothing is ever overwritten). `size` should be a signed
    /// checkpoint's size, so that every exported entry is covered by a signature: a bundle
    /// with unsigned entries does not verify.
    pub async fn export(
        &self,
        dir: &Path,
        size: u64,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<Manifest, LedgerError> {
        let available = self.size().await?;
        if size > available {
            return Err(LedgerError::BeyondEnd {
                asked: size,
                size: available,
            });
        }
        fs::DirBuilder::new()
            .mode(0o700)
            .create(dir)
            .map_err(io("create the bundle directory", dir))?;
        let checkpoint_dir = dir.join(CHECKPOINTS);
        fs::DirBuilder::new()
            .mode(0o700)
            .create(&checkpoint_dir)
            .map_err(io("create", &checkpoint_dir))?;
        let mut checkpoints = self.raw_checkpoints().await?;
        checkpoints.retain(|(checkpoint_size, _)| *checkpoint_size <= size);
        let total = size;
        let entries_path = dir.join(ENTRIES);
        let mut out = create_private(&entries_path)?;
        let mut from = 0;
        while from < total {
            let to = (from + 16_384).min(total);
            for (_, entry, _) in self.entry_page(from, to).await? {
                out.write_all(entry.as_bytes())
                    .and_then(|()| out.write_all(b"\n"))
                    .map_err(io("write", &entries_path))?;
            }
            from = to;
            progress(from, total);
        }
        out.into_inner()
            .map_err(|e| LedgerError::Io {
                action: "write",
                path: entries_path.clone(),
                source: e.into_error(),
            })?
            .sync_all()
            .map_err(io("write", &entries_path))?;
        for (size, note) in &checkpoints {
            let path = checkpoint_dir.join(format!("{size}.note"));
            let mut file = create_private(&path)?;
            file.write_all(note.as_bytes())
                .map_err(io("write", &path))?;
            file.flush().map_err(io("write", &path))?;
        }
        let manifest = Manifest {
            format: FORMAT.to_owned(),
            version: FORMAT_VERSION,
            entries: total,
            checkpoints: checkpoints.len(),
            latest_checkpoint: checkpoints.last().map(|(size, _)| *size),
        };
        let path = dir.join(MANIFEST);
        let mut file = create_private(&path)?;
        let text = serde_json::to_string_pretty(&manifest).map_err(|e| LedgerError::BadBundle {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        file.write_all(text.as_bytes())
            .and_then(|()| file.write_all(b"\n"))
            .and_then(|()| file.flush())
            .map_err(io("write", &path))?;
        Ok(manifest)
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
