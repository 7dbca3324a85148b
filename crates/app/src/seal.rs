//! What the ledger records of every `seal` and `unseal`, whatever its outcome: who (the
//! entry's source), which message (by the header's id, never the plaintext or its digest), the
//! files by this installation's pseudonym of their paths, the context, and the keys. The
//! streaming itself (files, stdout, signals) is the caller's; it passes the bytes through an
//! [`Observer`] and records the attempt with [`finish_attempt`].

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};

use serde::Serialize;

use crate::installation::Installation;

/// Watches the sealed side of a seal or unseal as it passes (on the reading or writing
/// thread): its size, and its first bytes, where the header says which message it is and for
/// which keys. The ledger records these, never the plaintext. The header's message id names
/// the sealed data: it is random per seal and authenticated with every frame, so a file with
/// that id either is the sealed data or does not open. (A SHA-256 of the whole stream would
/// say the same at the cost of hashing every byte again, which halved seal's throughput.)
#[derive(Debug, Clone)]
pub struct Observer(Arc<Mutex<Tally>>);

#[derive(Debug)]
struct Tally {
    bytes: u64,
    head: Vec<u8>,
}

/// How much of the start is kept to read the header from: far more than any header (a few
/// hundred bytes per recipient).
const HEAD_BYTES: usize = 64 * 1024;

/// What the observer saw, once everything has passed.
#[derive(Debug)]
pub struct Sealed {
    pub bytes: u64,
    pub header: Option<phiguard_crypto::Header>,
}

impl Default for Observer {
    fn default() -> Observer {
        Observer::new()
    }
}

impl Observer {
    pub fn new() -> Observer {
        Observer(Arc::new(Mutex::new(Tally {
            bytes: 0,
            head: Vec::new(),
        })))
    }

    /// `inner`, with every byte read or written through it seen.
    pub fn wrap<T>(&self, inner: T) -> Observed<T> {
        Observed {
            inner,
            observer: self.clone(),
        }
    }

    fn tally(&self) -> std::sync::MutexGuard<'_, Tally> {
        // A panic elsewhere cannot leave a tally half-updated in a way that matters here.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn saw(&self, bytes: &[u8]) {
        let mut tally = self.tally();
        tally.bytes += bytes.len() as u64;
        let room = HEAD_BYTES.saturating_sub(tally.head.len());
        tally
            .head
            .extend_from_slice(&bytes[..room.min(bytes.len())]);
    }

    /// What passed, once everything has.
    pub fn finish(&self) -> Sealed {
        let tally = self.tally();
        Sealed {
            bytes: tally.bytes,
            header: phiguard_crypto::read_header(tally.head.as_slice()).ok(),
        }
    }
}

/// A reader or writer whose bytes an [`Observer`] sees.
#[derive(Debug)]
pub struct Observed<T> {
    inner: T,
    observer: Observer,
}

impl<R: io::Read> io::Read for Observed<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buf)?;
        self.observer.saw(&buf[..read]);
        Ok(read)
    }
}

impl<W: Write> Write for Observed<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let written = self.inner.write(buf)?;
        self.observer.saw(&buf[..written]);
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// One `seal` or `unseal` as the ledger records it (`crypto.seal`, `crypto.unseal`); who did
/// it is the entry's source. Files are named by this installation's pseudonym of their
/// absolute path (`phiguard pseudonym --kind path PATH` finds them), since a file name can
/// identify a patient; the plaintext, its digest and every key stay out.
#[derive(Debug, Serialize)]
pub struct Access {
    /// `sealed` or `failed`; `opened` or `refused`.
    pub outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The size of the sealed data (as written, or as read, all of it).
    pub sealed_bytes: u64,
    /// The header's message id, the same for the seal and every unseal of one message.
    pub message_id: Option<String>,
    /// Pseudonyms of the sealed and the plain file's paths; null for a stream.
    pub sealed_file: Option<String>,
    pub plain_file: Option<String>,
    /// The encryption context: bound by the seal, authenticated by the unseal.
    pub context: Option<BTreeMap<String, String>>,
    /// The context `unseal --context` required.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub required_context: Option<BTreeMap<String, String>>,
    /// The keyring and key-encryption key version that sealed, or opened, the data key.
    pub keyring: Option<String>,
    pub key_version: Option<u32>,
    /// What opened the data key (`unseal`): a key-encryption key or a break-glass key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opened_with: Option<String>,
    /// Every recipient the data is sealed for.
    pub recipients: Vec<String>,
}

impl Access {
    pub fn new(outcome: &'static str, sealed: &Sealed) -> Access {
        let header = sealed.header.as_ref();
        Access {
            outcome,
            reason: None,
            sealed_bytes: sealed.bytes,
            message_id: header.map(|h| phiguard_core::hex::encode(&h.message_id)),
            sealed_file: None,
            plain_file: None,
            context: None,
            required_context: None,
            keyring: None,
            key_version: None,
            opened_with: None,
            recipients: header
                .map(|h| h.stanzas.iter().map(|s| s.describe()).collect())
                .unwrap_or_default(),
        }
    }

    /// Names the keyring and version of the recipient stanza `described` stands for.
    pub fn key(&mut self, sealed: &Sealed, described: &str) {
        let stanza = sealed
            .header
            .iter()
            .flat_map(|h| &h.stanzas)
            .find(|s| s.describe() == described);
        if let Some(phiguard_crypto::format::Stanza::Kek {
            keyring, version, ..
        }) = stanza
        {
            self.keyring = Some(phiguard_core::hex::encode(keyring));
            self.key_version = Some(*version);
        }
    }

    pub fn failed(mut self, outcome: &'static str, error: &anyhow::Error) -> Access {
        self.outcome = outcome;
        self.reason = Some(format!("{error:#}"));
        self
    }
}

pub fn pairs(context: &phiguard_crypto::Context) -> BTreeMap<String, String> {
    context
        .iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// This installation's pseudonym for a file's absolute path; none for a stream.
pub fn path_pseudonym(
    pseudonyms: Option<&phiguard_crypto::Pseudonymizer>,
    path: Option<&Path>,
) -> anyhow::Result<Option<String>> {
    let (Some(pseudonyms), Some(path)) = (pseudonyms, path.filter(|p| p.as_os_str() != "-")) else {
        return Ok(None);
    };
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    Ok(Some(
        pseudonyms.pseudonym("path", &absolute.display().to_string())?,
    ))
}

/// Records an attempt, whatever its outcome, before its output is named: returns the output
/// to name when the attempt succeeded and was recorded, else the error (the attempt's, with
/// the recording's beside it if that failed too).
pub async fn finish_attempt<T>(
    installation: &Installation,
    kind: &str,
    access: Access,
    failed: &'static str,
    attempt: anyhow::Result<T>,
) -> anyhow::Result<T> {
    let access = match &attempt {
        Ok(_) => access,
        Err(error) => access.failed(failed, error),
    };
    let recorded = installation
        .record(kind, serde_json::to_value(&access)?)
        .await;
    match (attempt, recorded) {
        (Ok(done), Ok(_)) => Ok(done),
        (Ok(_), Err(e)) => Err(e.context(
            "nothing was written: a seal or unseal that cannot be recorded in the ledger is refused",
        )),
        (Err(error), Ok(_)) => Err(error),
        (Err(error), Err(e)) => Err(anyhow::anyhow!(
            "{error:#}. This failed attempt could not be recorded in the ledger either: {e:#}"
        )),
    }
}
