//! Watching the monitored trees with inotify, so a change is seen when it happens rather than
//! at the next scheduled check. Events are gathered until the trees have been quiet for a
//! moment (a package upgrade touches hundreds of files in a burst), then handed over as one
//! batch of paths to scan again. When the kernel's event queue overflows, events were lost:
//! the batch then says so, and the caller rescans everything.

use std::collections::{BTreeSet, HashMap};
use std::ffi::OsStr;
use std::io;
use std::mem::MaybeUninit;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, Timespec, poll};
use rustix::fs::inotify::{self, CreateFlags, ReadFlags, WatchFlags};

use crate::rules::RuleSet;
use crate::scan::{ScanWarning, display};

/// What changed since the last batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchBatch {
    /// These paths (files, or directories created or moved in) need scanning again.
    Paths(BTreeSet<PathBuf>),
    /// The kernel dropped events: everything needs scanning again.
    Overflow,
}

/// An inotify watch on every monitored directory.
#[derive(Debug)]
pub struct Watcher {
    fd: OwnedFd,
    rules: RuleSet,
    directories: HashMap<i32, PathBuf>,
    buffer: Vec<MaybeUninit<u8>>,
    /// Directories that could not be watched (e.g. the inotify watch limit was reached).
    pub warnings: Vec<ScanWarning>,
}

const EVENTS: WatchFlags = WatchFlags::CREATE
    .union(WatchFlags::DELETE)
    .union(WatchFlags::MODIFY)
    .union(WatchFlags::ATTRIB)
    .union(WatchFlags::CLOSE_WRITE)
    .union(WatchFlags::MOVED_FROM)
    .union(WatchFlags::MOVED_TO)
    .union(WatchFlags::DELETE_SELF)
    .union(WatchFlags::MOVE_SELF)
    .union(WatchFlags::DONT_FOLLOW)
    .union(WatchFlags::EXCL_UNLINK);

impl Watcher {
    /// Watches every directory the rules cover (never following symlinks).
    pub fn new(rules: &RuleSet) -> io::Result<Watcher> {
        let fd = inotify::init(CreateFlags::CLOEXEC | CreateFlags::NONBLOCK)?;
        let mut watcher = Watcher {
            fd,
            rules: rules.clone(),
            directories: HashMap::new(),
            buffer: vec![MaybeUninit::uninit(); 64 * 1024],
            warnings: Vec::new(),
        };
        for rule in &rules.rules {
            watcher.watch_tree(&rule.root.clone());
        }
        Ok(watcher)
    }

    /// How many directories are watched.
    pub fn watched(&self) -> usize {
        self.directories.len()
    }

    fn watch_tree(&mut self, root: &Path) {
        let mut stack = vec![root.to_path_buf()];
        while let Some(dir) = stack.pop() {
            let Some(rule) = self.rules.rule_for(&dir) else {
                continue;
            };
            if rule
                .exclude
                .iter()
                .any(|g| g.matches(dir.as_os_str().as_bytes()))
            {
                continue;
            }
            match std::fs::symlink_metadata(&dir) {
                Ok(meta) if meta.is_dir() => {}
                _ => continue,
            }
            match inotify::add_watch(&self.fd, &dir, EVENTS) {
                Ok(wd) => {
                    self.directories.insert(wd, dir.clone());
                }
                Err(e) => {
                    self.warnings.push(ScanWarning {
                        path: display(dir.as_os_str().as_bytes()),
                        message: format!(
                            "cannot be watched ({e}); it is still covered by fim check"
                        ),
                    });
                    continue;
                }
            }
            if let Ok(children) = std::fs::read_dir(&dir) {
                for child in children.flatten() {
                    if child.file_type().is_ok_and(|t| t.is_dir()) {
                        stack.push(child.path());
                    }
                }
            }
        }
    }

    /// Waits for changes, then returns them once nothing has happened for `quiet`, or once
    /// `at_most` has passed since the first change of the batch.
    pub fn next_batch(&mut self, quiet: Duration, at_most: Duration) -> io::Result<WatchBatch> {
        let mut paths = BTreeSet::new();
        let mut first: Option<Instant> = None;
        loop {
            let timeout = match first {
                None => None,
                Some(start) => {
                    let left = at_most.saturating_sub(start.elapsed());
                    if left.is_zero() {
                        return Ok(WatchBatch::Paths(paths));
                    }
                    Some(quiet.min(left))
                }
            };
            let ready = {
                let mut fds = [PollFd::new(&self.fd, PollFlags::IN)];
                let spec = timeout.map(|t| Timespec {
                    tv_sec: t.as_secs() as i64,
                    tv_nsec: i64::from(t.subsec_nanos()),
                });
                match poll(&mut fds, spec.as_ref()) {
                    Ok(n) => n,
                    Err(rustix::io::Errno::INTR) => continue,
                    Err(e) => return Err(e.into()),
                }
            };
            if ready == 0 {
                if first.is_some() {
                    return Ok(WatchBatch::Paths(paths));
                }
                continue;
            }
            if self.drain(&mut paths)? {
                return Ok(WatchBatch::Overflow);
            }
            if !paths.is_empty() && first.is_none() {
                first = Some(Instant::now());
            }
        }
    }

    /// Reads every queued event into `paths`; true if the queue overflowed.
    fn drain(&mut self, paths: &mut BTreeSet<PathBuf>) -> io::Result<bool> {
        let mut new_directories = Vec::new();
        let mut overflow = false;
        {
            let mut reader = inotify::Reader::new(&self.fd, &mut self.buffer);
            loop {
                let event = match reader.next() {
                    Ok(event) => event,
                    Err(rustix::io::Errno::AGAIN) => break,
                    Err(rustix::io::Errno::INTR) => continue,
                    Err(e) => return Err(e.into()),
                };
                let flags = event.events();
                if flags.contains(ReadFlags::QUEUE_OVERFLOW) {
                    overflow = true;
                    continue;
                }
                let Some(dir) = self.directories.get(&event.wd()) else {
                    continue;
                };
                let path = match event.file_name() {
                    Some(name) if !name.to_bytes().is_empty() => {
                        dir.join(OsStr::from_bytes(name.to_bytes()))
                    }
                    _ => dir.clone(),
                };
                if flags.contains(ReadFlags::ISDIR)
                    && flags.intersects(ReadFlags::CREATE | ReadFlags::MOVED_TO)
                {
                    new_directories.push(path.clone());
                }
                if flags.contains(ReadFlags::IGNORED) {
                    self.directories.remove(&event.wd());
                    continue;
                }
                let excluded = |rule: &crate::rules::Rule| {
                    rule.exclude
                        .iter()
                        .any(|g| g.matches(path.as_os_str().as_bytes()))
                };
                if self
                    .rules
                    .rule_for(&path)
                    .is_some_and(|rule| !excluded(rule))
                {
                    paths.insert(path);
                }
            }
        }
        // A directory created or moved in is watched from now on, and scanned whole (files
        // may have been written into it before its watch existed).
        for dir in new_directories {
            self.watch_tree(&dir);
        }
        Ok(overflow)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn watcher(root: &Path) -> Watcher {
        let rules = RuleSet::from_paths(&[root.to_path_buf()], false).unwrap();
        Watcher::new(&rules).unwrap()
    }

    fn paths(batch: WatchBatch) -> BTreeSet<PathBuf> {
        match batch {
            WatchBatch::Paths(paths) => paths,
            WatchBatch::Overflow => panic!("unexpected overflow"),
        }
    }

    #[test]
    fn a_write_and_a_new_directory_are_reported_in_one_batch() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().to_path_buf();
        std::fs::write(root.join("a"), b"1").unwrap();
        let mut watcher = watcher(&root);
        assert_eq!(watcher.watched(), 1);
        std::fs::write(root.join("a"), b"2").unwrap();
        std::fs::create_dir(root.join("new")).unwrap();
        let batch = paths(
            watcher
                .next_batch(Duration::from_millis(200), Duration::from_secs(5))
                .unwrap(),
        );
        assert!(batch.contains(&root.join("a")), "{batch:?}");
        assert!(batch.contains(&root.join("new")), "{batch:?}");
        // The new directory is watched from now on.
        assert_eq!(watcher.watched(), 2);
        std::fs::write(root.join("new/inner"), b"x").unwrap();
        let batch = paths(
            watcher
                .next_batch(Duration::from_millis(200), Duration::from_secs(5))
                .unwrap(),
        );
        assert!(batch.contains(&root.join("new/inner")), "{batch:?}");
    }

    #[test]
    fn a_flood_that_overflows_the_kernel_queue_asks_for_a_full_rescan() {
        let max: usize = std::fs::read_to_string("/proc/sys/fs/inotify/max_queued_events")
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(16_384);
        let tmp = tempfile::tempdir().unwrap();
        let mut watcher = watcher(tmp.path());
        for i in 0..max + 100 {
            std::fs::write(tmp.path().join(format!("f{i}")), b"").unwrap();
        }
        let batch = watcher
            .next_batch(Duration::from_millis(200), Duration::from_secs(5))
            .unwrap();
        assert_eq!(batch, WatchBatch::Overflow);
    }

    #[test]
    fn excluded_paths_are_not_reported() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().to_path_buf();
        let mut rules = RuleSet::from_paths(std::slice::from_ref(&root), false).unwrap();
        rules.rules[0]
            .exclude
            .push(crate::rules::Glob::new("*.swp").unwrap());
        let mut watcher = Watcher::new(&rules).unwrap();
        std::fs::write(root.join("x.swp"), b"1").unwrap();
        std::fs::write(root.join("kept"), b"1").unwrap();
        let batch = paths(
            watcher
                .next_batch(Duration::from_millis(200), Duration::from_secs(5))
                .unwrap(),
        );
        assert!(batch.contains(&root.join("kept")));
        assert!(!batch.contains(&root.join("x.swp")), "{batch:?}");
    }
}
