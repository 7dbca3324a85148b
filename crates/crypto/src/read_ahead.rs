//! Reading ahead on a second thread, so that the kernel's copying of the input overlaps
//! with encryption and writing instead of taking turns with them. On two cores this is the
//! difference between sealing a large file at the speed of one copy and of two.

use std::io::{self, Read};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

/// Bytes read per chunk.
const CHUNK: usize = 1 << 20;
/// Chunks in flight: one being consumed, the rest filled ahead.
const CHUNKS: usize = 3;

/// A reader that reads `inner` on its own thread, a few chunks ahead of the consumer.
///
/// Dropping it stops the thread at its next chunk; a thread blocked on a read that never
/// returns (an idle terminal) is left to end with the process.
#[derive(Debug)]
pub struct ReadAhead {
    filled: Receiver<io::Result<Vec<u8>>>,
    empty: SyncSender<Vec<u8>>,
    current: Vec<u8>,
    position: usize,
    finished: bool,
}

impl ReadAhead {
    pub fn new(inner: impl Read + Send + 'static) -> io::Result<ReadAhead> {
        let (filled_tx, filled) = sync_channel(CHUNKS);
        let (empty, empty_rx) = sync_channel(CHUNKS);
        for _ in 0..CHUNKS - 1 {
            let _ = empty.send(Vec::new());
        }
        std::thread::Builder::new()
            .name("phiguard-read-ahead".into())
            .spawn(move || fill(inner, &empty_rx, &filled_tx))?;
        Ok(ReadAhead {
            filled,
            empty,
            current: Vec::new(),
            position: 0,
            finished: false,
        })
    }
}

fn fill(mut inner: impl Read, empty: &Receiver<Vec<u8>>, filled: &SyncSender<io::Result<Vec<u8>>>) {
    while let Ok(mut chunk) = empty.recv() {
        chunk.resize(CHUNK, 0);
        let mut used = 0;
        let result = loop {
            match inner.read(&mut chunk[used..]) {
                Ok(0) => break Ok(()),
                Ok(n) => {
                    used += n;
                    if used == chunk.len() {
                        break Ok(());
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => break Err(e),
            }
        };
        chunk.truncate(used);
        let at_end = used == 0;
        let sent = match result {
            Ok(()) => filled.send(Ok(chunk)),
            Err(e) => {
                // Hand over what was read before the error, then the error.
                if used > 0 {
                    let _ = filled.send(Ok(chunk));
                }
                let _ = filled.send(Err(e));
                return;
            }
        };
        if sent.is_err() || at_end {
            return;
        }
    }
}

impl Read for ReadAhead {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        while self.position == self.current.len() {
            if self.finished {
                return Ok(0);
            }
            let next = match self.filled.recv() {
                Ok(next) => next,
                // The thread ended without an end marker: it can only have panicked.
                Err(_) => return Err(io::Error::other("the read-ahead thread stopped")),
            };
            let chunk = next?;
            if chunk.is_empty() {
                self.finished = true;
            }
            let used = std::mem::replace(&mut self.current, chunk);
            let _ = self.empty.send(used);
            self.position = 0;
        }
        let n = buf.len().min(self.current.len() - self.position);
        buf[..n].copy_from_slice(&self.current[self.position..self.position + n]);
        self.position += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Yields its data a few bytes at a time, then an error if asked to.
    struct Trickle {
        data: Vec<u8>,
        at: usize,
        fail_at_end: bool,
    }

    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.at == self.data.len() {
                return if self.fail_at_end {
                    Err(io::Error::other("disk error"))
                } else {
                    Ok(0)
                };
            }
            let n = buf.len().min(7).min(self.data.len() - self.at);
            buf[..n].copy_from_slice(&self.data[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }

    fn data(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i % 253) as u8).collect()
    }

    #[test]
    fn yields_exactly_the_input_across_chunk_boundaries() {
        for len in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 5] {
            let mut reader = ReadAhead::new(io::Cursor::new(data(len))).unwrap();
            let mut out = Vec::new();
            reader.read_to_end(&mut out).unwrap();
            assert_eq!(out.len(), len);
            assert!(out == data(len), "content differs for length {len}");
        }
    }

    #[test]
    fn short_reads_are_gathered_and_errors_arrive_after_the_data() {
        let inner = Trickle {
            data: data(100_000),
            at: 0,
            fail_at_end: true,
        };
        let mut reader = ReadAhead::new(inner).unwrap();
        let mut out = vec![0u8; 100_000];
        reader.read_exact(&mut out).unwrap();
        assert!(out == data(100_000));
        let err = reader.read(&mut [0u8; 10]).unwrap_err();
        assert_eq!(err.to_string(), "disk error");
    }

    #[test]
    fn dropping_early_stops_the_thread() {
        let mut reader = ReadAhead::new(io::repeat(1)).unwrap();
        let mut some = [0u8; 10];
        reader.read_exact(&mut some).unwrap();
        drop(reader);
    }
}
