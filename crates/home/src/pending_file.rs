//! An output file that takes its name only once it is complete.
//!
//! `phiguard unseal SEALED -o FILE` writes plaintext that must not exist anywhere on disk
//! unless the whole sealed stream authenticated. The file is therefore written without a name:
//! opened with `O_TMPFILE` in the destination's directory, it is an inode that no directory
//! lists, which the kernel frees when the process ends for any reason, `kill -9` and power
//! loss included. Only when the writer is done is it given its name, by `linkat` through
//! `/proc/self/fd`. On file systems without `O_TMPFILE` (FUSE, some network file systems), or
//! without `/proc`, it falls back to a hidden temporary file beside the destination, removed
//! when the [`PendingFile`] is dropped; that name is exposed so a signal handler can remove it
//! too ([`PendingFile::temporary_path`]).

use std::fs::{self, File};
use std::io;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, CWD, Mode, OFlags};

/// The prefix and suffix of the hidden names a pending file may have beside its target.
const PREFIX: &str = ".phiguard-";
const SUFFIX: &str = ".partial";

/// A file being written that appears under its final name only through [`PendingFile::persist`].
#[derive(Debug)]
pub struct PendingFile {
    file: File,
    target: PathBuf,
    dir: PathBuf,
    /// `Some` when the file has a temporary name (the fallback); removed on drop.
    named: Option<tempfile::TempPath>,
}

impl PendingFile {
    /// Starts a file (mode 0600) that will be named `target`. Nothing appears in the
    /// directory until [`PendingFile::persist`], where the file system allows it.
    pub fn create(target: &Path) -> io::Result<PendingFile> {
        let dir = target
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf();
        match anonymous_in(&dir)? {
            Some(file) => Ok(PendingFile {
                file,
                target: target.to_path_buf(),
                dir,
                named: None,
            }),
            None => PendingFile::create_named(target, dir),
        }
    }

    /// The fallback: a hidden, private temporary file beside the target.
    fn create_named(target: &Path, dir: PathBuf) -> io::Result<PendingFile> {
        let (file, path) = tempfile::Builder::new()
            .prefix(PREFIX)
            .suffix(SUFFIX)
            .tempfile_in(&dir)?
            .into_parts();
        Ok(PendingFile {
            file,
            target: target.to_path_buf(),
            dir,
            named: Some(path),
        })
    }

    pub fn file(&self) -> &File {
        &self.file
    }

    /// The temporary name the contents have until they are persisted, if they have one (on
    /// file systems without `O_TMPFILE`): what a signal handler must remove.
    pub fn temporary_path(&self) -> Option<&Path> {
        self.named.as_deref()
    }

    /// Flushes the contents to disk and gives them the target name, then flushes the
    /// directory. Without `replace`, an existing target is an `AlreadyExists` error and is
    /// left alone; with it, the target is replaced atomically.
    pub fn persist(self, replace: bool) -> io::Result<()> {
        self.file.sync_all()?;
        match self.named {
            Some(temporary) => {
                let persisted = if replace {
                    temporary.persist(&self.target)
                } else {
                    temporary.persist_noclobber(&self.target)
                };
                persisted.map_err(|e| e.error)?;
            }
            None => {
                let fd = proc_fd(&self.file);
                if replace {
                    // A name cannot be linked over, so the complete file is linked under a
                    // hidden name first, then renamed over the target in one step.
                    let linked = tempfile::Builder::new()
                        .prefix(PREFIX)
                        .suffix(SUFFIX)
                        .make_in(&self.dir, |name| link_from_proc(&fd, name))?
                        .into_temp_path();
                    linked.persist(&self.target).map_err(|e| e.error)?;
                } else {
                    link_from_proc(&fd, &self.target)?;
                }
            }
        }
        File::open(&self.dir)?.sync_all()
    }
}

/// `/proc/self/fd/N` for `file`: the name through which an unnamed file can be linked.
fn proc_fd(file: &File) -> PathBuf {
    PathBuf::from(format!("/proc/self/fd/{}", file.as_raw_fd()))
}

fn link_from_proc(fd: &Path, name: &Path) -> io::Result<()> {
    rustix::fs::linkat(CWD, fd, CWD, name, AtFlags::SYMLINK_FOLLOW).map_err(io::Error::from)
}

/// An unnamed, private file in `dir`, or `None` where the file system cannot make one or
/// `/proc` is missing (then it could never be named).
fn anonymous_in(dir: &Path) -> io::Result<Option<File>> {
    let flags = OFlags::TMPFILE | OFlags::WRONLY | OFlags::CLOEXEC;
    let fd = match rustix::fs::open(dir, flags, Mode::RUSR | Mode::WUSR) {
        Ok(fd) => fd,
        // Not supported by this file system or kernel (EISDIR on kernels that predate it).
        Err(e)
            if e == rustix::io::Errno::OPNOTSUPP
                || e == rustix::io::Errno::ISDIR
                || e == rustix::io::Errno::INVAL =>
        {
            return Ok(None);
        }
        Err(e) => return Err(e.into()),
    };
    let file = File::from(fd);
    if fs::symlink_metadata(proc_fd(&file)).is_err() {
        return Ok(None);
    }
    Ok(Some(file))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::unix::fs::PermissionsExt;

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// Each way of writing in turn: unnamed (where the file system allows it), then the
    /// fallback.
    fn each_way(target: &Path) -> impl Iterator<Item = PendingFile> + '_ {
        [false, true].into_iter().map(move |named| {
            if named {
                let dir = target.parent().unwrap().to_path_buf();
                PendingFile::create_named(target, dir).unwrap()
            } else {
                PendingFile::create(target).unwrap()
            }
        })
    }

    #[test]
    fn nothing_is_visible_until_persisted_then_the_file_is_whole_and_private() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("out.bin");
        let pending = PendingFile::create(&target).unwrap();
        assert!(
            pending.temporary_path().is_none(),
            "this file system supports O_TMPFILE, so no name should be used"
        );
        pending.file().write_all(b"whole").unwrap();
        assert!(names(tmp.path()).is_empty(), "{:?}", names(tmp.path()));
        pending.persist(false).unwrap();
        assert_eq!(names(tmp.path()), ["out.bin"]);
        assert_eq!(fs::read(&target).unwrap(), b"whole");
        let mode = fs::metadata(&target).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn dropped_before_persisting_leaves_nothing_either_way() {
        let tmp = tempfile::tempdir().unwrap();
        for pending in each_way(&tmp.path().join("out.bin")) {
            pending.file().write_all(b"partial").unwrap();
            drop(pending);
        }
        assert!(names(tmp.path()).is_empty(), "{:?}", names(tmp.path()));
    }

    #[test]
    fn an_existing_target_is_kept_unless_replacing_either_way() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("out.bin");
        for pending in each_way(&target) {
            fs::write(&target, b"old").unwrap();
            pending.file().write_all(b"new").unwrap();
            let err = pending.persist(false).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::AlreadyExists, "{err}");
            assert_eq!(fs::read(&target).unwrap(), b"old");
            assert_eq!(names(tmp.path()), ["out.bin"], "a temporary name stayed");
        }
        for pending in each_way(&target) {
            pending.file().write_all(b"new").unwrap();
            pending.persist(true).unwrap();
            assert_eq!(fs::read(&target).unwrap(), b"new");
            assert_eq!(names(tmp.path()), ["out.bin"], "a temporary name stayed");
            fs::write(&target, b"old").unwrap();
        }
    }
}
