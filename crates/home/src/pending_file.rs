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
//!
//! It is also the one way phiguard replaces a file atomically ([`write_atomically`]): the
//! keyring, the ledger's witness, exported register files and reports all go through it, so
//! each of them gets the same guarantees (the file and its directory flushed, no partial file
//! under the final name, no temporary file left behind).

use std::fs::{self, File};
use std::io::{self, Write};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, CWD, Mode, OFlags};

/// The prefix and suffix of the hidden names a pending file may have beside its target.
const PREFIX: &str = ".phiguard-";
const SUFFIX: &str = ".partial";

/// Who may read a file written through a [`PendingFile`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readers {
    /// Only its owner (mode 0600): key material, plaintext, the ledger's witness.
    Owner,
    /// Whoever the umask allows (0666 less the umask), as for a file made by `fs::write`:
    /// files meant to be shared, such as exported register files.
    Umask,
}

impl Readers {
    /// The mode the file is created with, before the umask.
    fn mode(self) -> u32 {
        match self {
            Readers::Owner => 0o600,
            Readers::Umask => 0o666,
        }
    }
}

/// Replaces (or creates) `path` with `contents`, atomically: a reader sees the old file or the
/// new one, and after a crash or on a full disk the file holds one of them whole. The contents
/// reach the disk before they take the name, and the directory is flushed after, so the new
/// name survives a power loss too. Nothing is left beside `path` whatever happens.
pub fn write_atomically(path: &Path, contents: &[u8], readers: Readers) -> io::Result<()> {
    let pending = PendingFile::create_for(path, readers)?;
    pending.file().write_all(contents)?;
    pending.persist(true)
}

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
        PendingFile::create_for(target, Readers::Owner)
    }

    /// Starts a file that will be named `target`, readable by `readers`.
    pub fn create_for(target: &Path, readers: Readers) -> io::Result<PendingFile> {
        let dir = target
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf();
        match anonymous_in(&dir, readers)? {
            Some(file) => Ok(PendingFile {
                file,
                target: target.to_path_buf(),
                dir,
                named: None,
            }),
            None => PendingFile::create_named(target, dir, readers),
        }
    }

    /// The fallback: a hidden temporary file beside the target.
    fn create_named(target: &Path, dir: PathBuf, readers: Readers) -> io::Result<PendingFile> {
        use std::os::unix::fs::PermissionsExt;
        let (file, path) = tempfile::Builder::new()
            .prefix(PREFIX)
            .suffix(SUFFIX)
            .permissions(fs::Permissions::from_mode(readers.mode()))
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

/// An unnamed file in `dir`, or `None` where the file system cannot make one or `/proc` is
/// missing (then it could never be named).
fn anonymous_in(dir: &Path, readers: Readers) -> io::Result<Option<File>> {
    let flags = OFlags::TMPFILE | OFlags::WRONLY | OFlags::CLOEXEC;
    let fd = match rustix::fs::open(dir, flags, Mode::from_raw_mode(readers.mode())) {
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
        each_way_for(target, Readers::Owner)
    }

    fn each_way_for(target: &Path, readers: Readers) -> impl Iterator<Item = PendingFile> + '_ {
        [false, true].into_iter().map(move |named| {
            if named {
                let dir = target.parent().unwrap().to_path_buf();
                PendingFile::create_named(target, dir, readers).unwrap()
            } else {
                PendingFile::create_for(target, readers).unwrap()
            }
        })
    }

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o777
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

    #[test]
    fn shared_files_get_the_mode_fs_write_would_give_them_either_way() {
        let tmp = tempfile::tempdir().unwrap();
        // The umask is the process's; a file made the ordinary way shows what it allows.
        let reference = tmp.path().join("reference");
        fs::write(&reference, b"").unwrap();
        let target = tmp.path().join("out.yaml");
        for pending in each_way_for(&target, Readers::Umask) {
            pending.file().write_all(b"shared").unwrap();
            pending.persist(true).unwrap();
            assert_eq!(mode(&target), mode(&reference));
            fs::remove_file(&target).unwrap();
        }
    }

    #[test]
    fn write_atomically_replaces_the_whole_file_for_the_readers_asked_for() {
        let tmp = tempfile::tempdir().unwrap();
        let reference = tmp.path().join("reference");
        fs::write(&reference, b"").unwrap();
        let target = tmp.path().join("witness");
        fs::write(&target, b"an older and longer text").unwrap();
        write_atomically(&target, b"new", Readers::Owner).unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"new");
        assert_eq!(mode(&target), 0o600);
        write_atomically(&target, b"newer", Readers::Umask).unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"newer");
        assert_eq!(mode(&target), mode(&reference));
        assert_eq!(names(tmp.path()), ["reference", "witness"]);
    }

    #[test]
    fn write_atomically_fails_without_leaving_anything_or_touching_the_target() {
        let tmp = tempfile::tempdir().unwrap();
        let missing = tmp.path().join("no-such-dir/out.yaml");
        let err = write_atomically(&missing, b"x", Readers::Umask).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound, "{err}");
        // A directory cannot be replaced by a file: the rename fails, and both the directory
        // and the written contents' temporary name are gone or untouched.
        let taken = tmp.path().join("taken");
        fs::create_dir(&taken).unwrap();
        fs::write(taken.join("inside"), b"kept").unwrap();
        write_atomically(&taken, b"x", Readers::Owner).unwrap_err();
        assert_eq!(fs::read(taken.join("inside")).unwrap(), b"kept");
        assert_eq!(names(tmp.path()), ["taken"], "a temporary name stayed");
    }
}
