//! Writing behind on a second thread: the counterpart of [`crate::read_ahead`], so the
//! kernel's copying of the output overlaps encryption instead of taking turns with it.

use std::io::{self, Write};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

/// Bytes handed to the writing thread at a time.
const CHUNK: usize = 1 << 20;
/// Chunks queued for the writing thread.
const QUEUED: usize = 2;

enum Message {
    Data(Vec<u8>),
    /// Write out everything before this, flush, and answer with the first error, if any.
    Flush(SyncSender<io::Result<()>>),
}

/// A writer that hands its bytes to a thread that writes them to `inner`.
///
/// Errors from `inner` are reported by the next `flush` (or a later write), so a caller must
/// flush at the end and check the result, as it must with any buffered writer; dropping it
/// without a flush discards what was not yet written.
#[derive(Debug)]
pub struct WriteBehind {
    /// `None` only while dropping, to close the queue.
    queue: Option<SyncSender<Message>>,
    recycled: Receiver<Vec<u8>>,
    current: Vec<u8>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Message::Data(data) => write!(f, "Data({} bytes)", data.len()),
            Message::Flush(_) => f.write_str("Flush"),
        }
    }
}

impl WriteBehind {
    pub fn new(inner: impl Write + Send + 'static) -> io::Result<WriteBehind> {
        let (queue, queued) = sync_channel(QUEUED);
        let (recycle, recycled) = sync_channel(QUEUED + 1);
        let thread = std::thread::Builder::new()
            .name("phiguard-write-behind".into())
            .spawn(move || drain(inner, &queued, &recycle))?;
        Ok(WriteBehind {
            queue: Some(queue),
            recycled,
            current: Vec::with_capacity(CHUNK),
            thread: Some(thread),
        })
    }

    fn stopped() -> io::Error {
        io::Error::other("the writing thread stopped")
    }

    fn send(&self, message: Message) -> io::Result<()> {
        self.queue
            .as_ref()
            .ok_or_else(WriteBehind::stopped)?
            .send(message)
            .map_err(|_| WriteBehind::stopped())
    }

    fn send_current(&mut self) -> io::Result<()> {
        if self.current.is_empty() {
            return Ok(());
        }
        let next = self
            .recycled
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(CHUNK));
        let full = std::mem::replace(&mut self.current, next);
        self.send(Message::Data(full))
    }
}

fn drain(mut inner: impl Write, queued: &Receiver<Message>, recycle: &SyncSender<Vec<u8>>) {
    let mut failure: Option<io::Error> = None;
    while let Ok(message) = queued.recv() {
        match message {
            Message::Data(mut data) => {
                if failure.is_none()
                    && let Err(e) = inner.write_all(&data)
                {
                    failure = Some(e);
                }
                data.clear();
                let _ = recycle.try_send(data);
            }
            Message::Flush(answer) => {
                let result = match failure.take() {
                    Some(e) => Err(e),
                    None => inner.flush(),
                };
                let failed = result.is_err();
                let _ = answer.send(result);
                if failed {
                    return;
                }
            }
        }
    }
}

impl Write for WriteBehind {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = buf.len().min(CHUNK - self.current.len());
        self.current.extend_from_slice(&buf[..n]);
        if self.current.len() == CHUNK {
            self.send_current()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send_current()?;
        let (answer, answered) = sync_channel(1);
        self.send(Message::Flush(answer))?;
        answered.recv().map_err(|_| WriteBehind::stopped())?
    }
}

impl Drop for WriteBehind {
    fn drop(&mut self) {
        // Closing the queue ends the thread once it has written what was sent.
        drop(self.queue.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// Collects what is written; fails once it holds more than `fail_after` bytes.
    #[derive(Clone)]
    struct Sink {
        data: Arc<Mutex<Vec<u8>>>,
        fail_after: usize,
    }

    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            let mut data = self.data.lock().unwrap();
            if data.len() + buf.len() > self.fail_after {
                return Err(io::Error::other("disk full"));
            }
            data.extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn sink(fail_after: usize) -> Sink {
        Sink {
            data: Arc::new(Mutex::new(Vec::new())),
            fail_after,
        }
    }

    #[test]
    fn everything_written_arrives_in_order_by_the_flush() {
        let out = sink(usize::MAX);
        let mut writer = WriteBehind::new(out.clone()).unwrap();
        let data: Vec<u8> = (0..3 * CHUNK + 12_345).map(|i| (i % 251) as u8).collect();
        for piece in data.chunks(70_001) {
            writer.write_all(piece).unwrap();
        }
        writer.flush().unwrap();
        assert!(*out.data.lock().unwrap() == data);
    }

    #[test]
    fn a_failing_destination_is_reported_by_flush() {
        let out = sink(CHUNK + 10);
        let mut writer = WriteBehind::new(out).unwrap();
        let data = vec![7u8; 3 * CHUNK];
        // Writes may succeed while the thread is behind; the failure must surface by the flush.
        let written = data
            .chunks(4096)
            .try_for_each(|piece| writer.write_all(piece));
        let flushed = writer.flush();
        let error = written
            .err()
            .or(flushed.err())
            .expect("the failure was not reported");
        assert!(
            error.to_string().contains("disk full") || error.to_string().contains("stopped"),
            "{error}"
        );
    }
}
