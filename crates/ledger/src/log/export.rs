//! Export of the ledger in the database as a bundle (see [`crate::bundle`]), which verifies
//! offline.

use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;

use crate::bundle::{CHECKPOINTS, ENTRIES, FORMAT, FORMAT_VERSION, MANIFEST, Manifest, io};
use crate::{Ledger, LedgerError};

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
