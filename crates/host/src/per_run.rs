//! What the checks of one area read once per run: the package survey, the firewall ruleset,
//! sshd's configuration, the listening sockets.

use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use jiff::Timestamp;
use phiguard_core::CheckContext;

/// A reading shared by the checks of one area. A run gives every check the same context, so
/// its root and time tell a later check of the same run (reuse the reading) from the next
/// run (read again). The lock is held while reading, so checks run in parallel wait for the
/// one reading instead of each running `nft`, `sshd -T` or the TLS probes again.
pub(crate) struct PerRun<T>(Mutex<Option<(PathBuf, Timestamp, Arc<T>)>>);

impl<T> Default for PerRun<T> {
    fn default() -> PerRun<T> {
        PerRun(Mutex::new(None))
    }
}

impl<T> fmt::Debug for PerRun<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PerRun")
    }
}

impl<T> PerRun<T> {
    /// This run's reading: made by `read` the first time a check of the run asks.
    pub(crate) fn get(&self, ctx: &CheckContext, read: impl FnOnce() -> T) -> Arc<T> {
        let mut cached = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((root, now, reading)) = cached.as_ref()
            && *root == ctx.root
            && *now == ctx.now
        {
            return Arc::clone(reading);
        }
        let reading = Arc::new(read());
        *cached = Some((ctx.root.clone(), ctx.now, Arc::clone(&reading)));
        reading
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[test]
    fn one_reading_per_run_and_a_new_one_for_the_next_run_or_another_root() {
        let shared = PerRun::default();
        let reads = Cell::new(0);
        let read = || {
            reads.set(reads.get() + 1);
            reads.get()
        };
        let now = Timestamp::now();
        let run = CheckContext::new("/", now);
        assert_eq!(*shared.get(&run, read), 1);
        assert_eq!(*shared.get(&run, read), 1);
        let next = CheckContext::new(
            "/",
            now.checked_add(jiff::SignedDuration::from_secs(1)).unwrap(),
        );
        assert_eq!(*shared.get(&next, read), 2);
        let image = CheckContext::new("/mnt/image", next.now);
        assert_eq!(*shared.get(&image, read), 3);
        assert_eq!(reads.get(), 3);
    }
}
