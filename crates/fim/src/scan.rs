//! Walking the monitored trees and recording every path: one thread walks (metadata and
//! extended attributes are cheap) and hands each file to the hashing threads as it finds
//! it, so hashing starts with the first file rather than after the last directory.

use std::collections::BTreeMap;
use std::fs::{self, File, Metadata};
use std::io::{self, Read};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;

use phiguard_core::hex;
use serde::Serialize;

use crate::record::{Attribute, FileType, Record};
use crate::rules::RuleSet;

/// The content hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Algorithm {
    Sha256,
    Blake3,
}

impl Algorithm {
    pub fn parse(name: &str) -> Result<Algorithm, String> {
        match name {
            "sha256" => Ok(Algorithm::Sha256),
            "blake3" => Ok(Algorithm::Blake3),
            other => Err(format!(
                "fim algorithm {other:?} is not known; use sha256 or blake3"
            )),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Sha256 => "sha256",
            Algorithm::Blake3 => "blake3",
        }
    }
}

/// Something the scan could not see completely. Not fatal: the rest is recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScanWarning {
    pub path: String,
    pub message: String,
}

/// Every path the rules cover, keyed by its bytes (names need not be UTF-8).
#[derive(Debug, Default)]
pub struct Scan {
    pub entries: BTreeMap<Vec<u8>, Record>,
    pub warnings: Vec<ScanWarning>,
}

/// Progress of a scan, for a progress bar.
#[derive(Debug, Default)]
pub struct ScanProgress {
    /// Files found so far that will be hashed; final once `walk_done` is set.
    pub files_to_hash: AtomicU64,
    pub files_hashed: AtomicU64,
    pub bytes_hashed: AtomicU64,
    /// The walk has listed everything; only hashing remains.
    pub walk_done: AtomicBool,
}

/// A path as people read it: UTF-8 as is, other bytes as `\xNN`.
pub fn display(path: &[u8]) -> String {
    let mut out = String::with_capacity(path.len());
    for chunk in path.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c == '\\' {
                out.push_str("\\\\");
            } else {
                out.push(c);
            }
        }
        for byte in chunk.invalid() {
            out.push_str(&format!("\\x{byte:02x}"));
        }
    }
    out
}

/// Scans everything `rules` cover.
pub fn scan(
    rules: &RuleSet,
    algorithm: Algorithm,
    threads: usize,
    progress: &ScanProgress,
) -> Scan {
    let (jobs, queue) = mpsc::channel::<PathBuf>();
    let queue = Mutex::new(queue);
    let (mut result, outcomes, lost) = std::thread::scope(|scope| {
        let hashers: Vec<_> = (0..threads.max(1))
            .map(|_| scope.spawn(|| hash_from(&queue, algorithm, progress)))
            .collect();
        let result = walk(rules, &jobs, progress);
        // Closing the queue tells the hashers to finish once it is empty.
        drop(jobs);
        progress.walk_done.store(true, Ordering::Relaxed);
        let mut outcomes = Vec::new();
        let mut lost = false;
        for hasher in hashers {
            match hasher.join() {
                Ok(done) => outcomes.extend(done),
                Err(_) => lost = true,
            }
        }
        (result, outcomes, lost)
    });
    if lost {
        result.warnings.push(ScanWarning {
            path: String::new(),
            message: "a hashing thread failed; some files were recorded without their hash".into(),
        });
    }
    apply_hashes(&mut result, outcomes);
    result
}

/// The walk: every path the rules cover, recorded without content hashes. Files to hash
/// are sent to `jobs` as they are found.
fn walk(rules: &RuleSet, jobs: &mpsc::Sender<PathBuf>, progress: &ScanProgress) -> Scan {
    let mut result = Scan::default();
    for rule in &rules.rules {
        let root_device = match fs::symlink_metadata(&rule.root) {
            Ok(meta) => meta.dev(),
            Err(e) => {
                result
                    .warnings
                    .push(warning(&rule.root, format!("cannot be read: {e}")));
                continue;
            }
        };
        let mut stack = vec![rule.root.clone()];
        while let Some(path) = stack.pop() {
            let bytes = path.as_os_str().as_bytes();
            if result.entries.contains_key(bytes) {
                continue;
            }
            // The most specific rule decides about every path, including exclusions.
            let Some(governing) = rules.rule_for(&path) else {
                continue;
            };
            if governing.exclude.iter().any(|glob| glob.matches(bytes)) {
                continue;
            }
            let meta = match fs::symlink_metadata(&path) {
                Ok(meta) => meta,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    result
                        .warnings
                        .push(warning(&path, "vanished during the scan".into()));
                    continue;
                }
                Err(e) => {
                    result
                        .warnings
                        .push(warning(&path, format!("cannot be read: {e}")));
                    continue;
                }
            };
            let mut record = record_of(&path, &meta);
            if meta.is_dir() && !(rules.one_filesystem && meta.dev() != root_device) {
                match fs::read_dir(&path) {
                    Ok(children) => {
                        for child in children {
                            match child {
                                Ok(child) => stack.push(child.path()),
                                Err(e) => {
                                    record.problem = Some(format!("listing failed part-way: {e}"))
                                }
                            }
                        }
                    }
                    Err(e) => {
                        record.problem = Some(format!("cannot list: {e}"));
                        result
                            .warnings
                            .push(warning(&path, format!("directory cannot be listed: {e}")));
                    }
                }
            }
            let hashed = meta.is_file() && governing.attributes.contains(Attribute::Hash);
            if hashed {
                // The hashing thread reads the flags on the handle it opens anyway.
                progress.files_to_hash.fetch_add(1, Ordering::Relaxed);
                if jobs.send(path.clone()).is_err() {
                    record.problem = Some("content not hashed: the scan was stopping".into());
                }
            } else if matches!(record.file_type, FileType::File | FileType::Directory) {
                record.flags = inode_flags(&path);
            }
            result.entries.insert(bytes.to_vec(), record);
        }
    }
    result
}

fn warning(path: &Path, message: String) -> ScanWarning {
    ScanWarning {
        path: display(path.as_os_str().as_bytes()),
        message,
    }
}

/// What hashing a file found: its hash, its metadata as of the end of the read, and its
/// inode flags read on the same handle.
struct Hashed {
    hash: String,
    meta: Metadata,
    flags: Option<u32>,
}

/// Hashes the files sent to `queue` until it is closed and empty.
fn hash_from(
    queue: &Mutex<mpsc::Receiver<PathBuf>>,
    algorithm: Algorithm,
    progress: &ScanProgress,
) -> Vec<(PathBuf, io::Result<Hashed>)> {
    let mut buffer = vec![0u8; 256 * 1024];
    let mut done = Vec::new();
    loop {
        let next = match queue.lock() {
            Ok(queue) => queue.recv(),
            Err(_) => break,
        };
        let Ok(path) = next else { break };
        let outcome = hash_file(&path, algorithm, &mut buffer, progress);
        progress.files_hashed.fetch_add(1, Ordering::Relaxed);
        done.push((path, outcome));
    }
    done
}

/// Puts the hashes into the walk's records, and what went wrong into warnings.
fn apply_hashes(result: &mut Scan, outcomes: Vec<(PathBuf, io::Result<Hashed>)>) {
    for (path, outcome) in outcomes {
        let key = path.as_os_str().as_bytes();
        match outcome {
            Ok(hashed) => {
                if let Some(record) = result.entries.get_mut(key) {
                    // Compared with what the walk saw: a file written to while it was hashed
                    // is recorded as it is now, and said to have changed mid-scan.
                    let after = &hashed.meta;
                    if after.size() != record.size
                        || nanos(after.mtime(), after.mtime_nsec()) != record.mtime
                    {
                        result
                            .warnings
                            .push(warning(&path, "changed while it was being scanned".into()));
                        *record = record_of(&path, after);
                    }
                    record.hash = Some(hashed.hash);
                    record.flags = hashed.flags;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                result.entries.remove(key);
                result
                    .warnings
                    .push(warning(&path, "vanished during the scan".into()));
            }
            Err(e) => {
                if let Some(record) = result.entries.get_mut(key) {
                    record.problem = Some(format!("content cannot be read: {e}"));
                }
                result
                    .warnings
                    .push(warning(&path, format!("content cannot be read: {e}")));
            }
        }
    }
}

/// How many times a file that changes while it is read is read again before the scan gives
/// up on catching it at rest.
const READ_ATTEMPTS: usize = 3;

/// Streams a file through the hash without following a symlink put in its place, and
/// returns its hash with its metadata as of the end of the read. A file written to during
/// the read is read again, so that the hash is of the content the metadata describes; if it
/// never holds still, that is an error rather than a hash of no moment in its life.
fn hash_file(
    path: &Path,
    algorithm: Algorithm,
    buffer: &mut [u8],
    progress: &ScanProgress,
) -> io::Result<Hashed> {
    use rustix::fs::OFlags;
    // O_NONBLOCK and O_NOCTTY: if a FIFO or device was put where the walk saw a file, opening
    // it must neither wait for a writer nor take a terminal; it is refused just below.
    let nofollow = (OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY).bits() as i32;
    let noatime = OFlags::NOATIME.bits() as i32;
    // O_NOATIME keeps the scan from touching access times; only the owner (or root) may ask.
    let mut file = match fs::OpenOptions::new()
        .read(true)
        .custom_flags(nofollow | noatime)
        .open(path)
    {
        Ok(file) => file,
        Err(e) if e.raw_os_error() == Some(rustix::io::Errno::PERM.raw_os_error()) => {
            fs::OpenOptions::new()
                .read(true)
                .custom_flags(nofollow)
                .open(path)?
        }
        Err(e) => return Err(e),
    };
    let mut before = file.metadata()?;
    if !before.is_file() {
        return Err(io::Error::other(
            "it is no longer a regular file (replaced during the scan)",
        ));
    }
    for _ in 0..READ_ATTEMPTS {
        let (text, length) = match algorithm {
            Algorithm::Sha256 => {
                let mut context = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
                let length = read_all(&mut file, buffer, progress, |chunk| context.update(chunk))?;
                (hex::encode(context.finish().as_ref()), length)
            }
            Algorithm::Blake3 => {
                let mut hasher = blake3::Hasher::new();
                let length = read_all(&mut file, buffer, progress, |chunk| {
                    hasher.update(chunk);
                })?;
                (hex::encode(hasher.finalize().as_bytes()), length)
            }
        };
        let after = file.metadata()?;
        let at_rest = length == after.size()
            && before.size() == after.size()
            && nanos(before.mtime(), before.mtime_nsec())
                == nanos(after.mtime(), after.mtime_nsec());
        if at_rest {
            return Ok(Hashed {
                hash: format!("{}:{text}", algorithm.name()),
                meta: after,
                flags: rustix::fs::ioctl_getflags(&file).ok().map(|f| f.bits()),
            });
        }
        before = after;
        io::Seek::rewind(&mut file)?;
    }
    Err(io::Error::other(format!(
        "it kept changing while it was read ({READ_ATTEMPTS} attempts)"
    )))
}

/// Feeds the whole file to `update`; returns how many bytes that was.
fn read_all(
    file: &mut File,
    buffer: &mut [u8],
    progress: &ScanProgress,
    mut update: impl FnMut(&[u8]),
) -> io::Result<u64> {
    let mut length = 0u64;
    loop {
        match file.read(buffer) {
            Ok(0) => return Ok(length),
            Ok(n) => {
                update(&buffer[..n]);
                length += n as u64;
                progress.bytes_hashed.fetch_add(n as u64, Ordering::Relaxed);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

fn nanos(seconds: i64, nanoseconds: i64) -> i128 {
    i128::from(seconds) * 1_000_000_000 + i128::from(nanoseconds)
}

/// Everything but the content hash and inode flags, from metadata and extended attributes.
fn record_of(path: &Path, meta: &Metadata) -> Record {
    let kind = meta.file_type();
    let file_type = if kind.is_symlink() {
        FileType::Symlink
    } else if kind.is_dir() {
        FileType::Directory
    } else if kind.is_block_device() {
        FileType::BlockDevice
    } else if kind.is_char_device() {
        FileType::CharDevice
    } else if kind.is_fifo() {
        FileType::Fifo
    } else if kind.is_socket() {
        FileType::Socket
    } else {
        FileType::File
    };
    let target = (file_type == FileType::Symlink).then(|| match fs::read_link(path) {
        Ok(target) => display(target.as_os_str().as_bytes()),
        Err(e) => format!("(unreadable: {e})"),
    });
    let device =
        matches!(file_type, FileType::BlockDevice | FileType::CharDevice).then(|| meta.rdev());
    let mut record = Record {
        file_type,
        mode: meta.mode() & 0o7777,
        uid: meta.uid(),
        gid: meta.gid(),
        size: meta.size(),
        inode: meta.ino(),
        links: meta.nlink(),
        mtime: nanos(meta.mtime(), meta.mtime_nsec()),
        ctime: nanos(meta.ctime(), meta.ctime_nsec()),
        target,
        device,
        hash: None,
        acl: None,
        xattrs: BTreeMap::new(),
        selinux: None,
        caps: None,
        flags: None,
        problem: None,
    };
    read_xattrs(path, &mut record);
    record
}

/// The inode flags `chattr` sets, where the file system has them (ext4, XFS, Btrfs; not
/// tmpfs). Opened without following a symlink and without blocking on a FIFO put in place.
fn inode_flags(path: &Path) -> Option<u32> {
    use rustix::fs::{Mode, OFlags};
    let flags =
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC;
    let fd = rustix::fs::open(path, flags | OFlags::NOATIME, Mode::empty())
        .or_else(|_| rustix::fs::open(path, flags, Mode::empty()))
        .ok()?;
    rustix::fs::ioctl_getflags(&fd).ok().map(|f| f.bits())
}

thread_local! {
    /// Buffers for attribute names and values, kept per thread: zeroing 16 KiB for every
    /// path the walk visits was a measurable part of a scan.
    static XATTR_BUFFERS: std::cell::RefCell<(Vec<u8>, Vec<u8>)> =
        const { std::cell::RefCell::new((Vec::new(), Vec::new())) };
}

/// Extended attributes, without following a symlink: ACLs, SELinux context and capabilities
/// get their own attributes, the rest are kept by name.
fn read_xattrs(path: &Path, record: &mut Record) {
    XATTR_BUFFERS.with_borrow_mut(|(names, value)| read_xattrs_into(path, record, names, value));
}

fn read_xattrs_into(path: &Path, record: &mut Record, names: &mut Vec<u8>, value: &mut Vec<u8>) {
    names.resize(16 * 1024, 0);
    let Ok(len) = rustix::fs::llistxattr(path, &mut names[..]) else {
        return;
    };
    if len == 0 {
        return;
    }
    let mut acl = Vec::new();
    value.resize(64 * 1024, 0);
    for name in names[..len].split(|b| *b == 0).filter(|n| !n.is_empty()) {
        let Ok(size) = rustix::fs::lgetxattr(path, name, &mut value[..]) else {
            continue;
        };
        let bytes = &value[..size];
        let name_text = String::from_utf8_lossy(name).into_owned();
        match name_text.as_str() {
            "system.posix_acl_access" | "system.posix_acl_default" => {
                acl.push(format!("{name_text}={}", hex::encode(bytes)));
            }
            "security.selinux" => {
                record.selinux = Some(
                    String::from_utf8_lossy(bytes)
                        .trim_end_matches('\0')
                        .to_owned(),
                );
            }
            "security.capability" => record.caps = Some(hex::encode(bytes)),
            _ => {
                record.xattrs.insert(name_text, hex::encode(bytes));
            }
        }
    }
    if !acl.is_empty() {
        record.acl = Some(acl.join(";"));
    }
}
