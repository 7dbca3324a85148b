//! The header of sealed data, byte for byte; `docs/formats/ciphertext.md` is the spec.
//!
//! All integers are big-endian. The header is everything before the first frame:
//!
//! ```text
//! magic "\x89PHG" | version u8 = 1 | suite u16 = 1 | frame size u32 | message id [32]
//! context:    count u16, then per pair: key len u16, key, value len u16, value
//! recipients: count u8, then per stanza: kind u8, body len u16, body
//! commitment [32] | header tag [32]
//! ```

use std::collections::BTreeMap;
use std::io::{self, Read};

use crate::error::UnsealError;

pub const MAGIC: [u8; 4] = [0x89, b'P', b'H', b'G'];
pub const VERSION: u8 = 1;
/// AES-256-GCM frames; HKDF-SHA256 key derivation; HMAC-SHA256 commitment and header tag.
pub const SUITE_AES256GCM_HKDF_SHA256: u16 = 1;
/// Plaintext bytes in every frame but the last.
pub const FRAME_SIZE: u32 = 64 * 1024;
pub const TAG_LEN: usize = 16;

/// Limits that keep a hostile header from making the reader allocate without bound.
pub const MAX_CONTEXT_PAIRS: usize = 64;
pub const MAX_CONTEXT_KEY: usize = 256;
pub const MAX_CONTEXT_VALUE: usize = 4096;
pub const MAX_STANZAS: usize = 16;
pub const MAX_STANZA_BODY: usize = 1024;
/// Frame sizes a reader accepts: powers of two from 4 KiB to 16 MiB.
const FRAME_SIZES: std::ops::RangeInclusive<u32> = 4096..=16 * 1024 * 1024;

/// Stanza kinds.
pub const STANZA_KEK: u8 = 1;
pub const STANZA_BREAK_GLASS: u8 = 2;

/// The encryption context: non-secret key/value pairs bound to the data. Opening checks
/// they are unchanged, and a caller can require pairs (e.g. `patient-record=…` pseudonym,
/// `purpose=backup`). Never put PHI in clear here: the context is readable by anyone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context(BTreeMap<String, String>);

impl Context {
    pub fn new() -> Context {
        Context::default()
    }

    /// Adds a pair, refusing an empty or over-long key, an over-long value, a duplicate key,
    /// or more pairs than the format allows.
    pub fn insert(&mut self, key: &str, value: &str) -> Result<(), String> {
        if key.is_empty() || key.len() > MAX_CONTEXT_KEY {
            return Err(format!(
                "a context key must be 1 to {MAX_CONTEXT_KEY} bytes, {key:?} is {}",
                key.len()
            ));
        }
        if value.len() > MAX_CONTEXT_VALUE {
            return Err(format!(
                "the value of context key {key:?} is {} bytes; at most {MAX_CONTEXT_VALUE} are allowed",
                value.len()
            ));
        }
        if self.0.contains_key(key) {
            return Err(format!("context key {key:?} is given twice"));
        }
        if self.0.len() == MAX_CONTEXT_PAIRS {
            return Err(format!(
                "at most {MAX_CONTEXT_PAIRS} context pairs are allowed"
            ));
        }
        self.0.insert(key.to_owned(), value.to_owned());
        Ok(())
    }

    /// Parses `key=value` as given on a command line.
    pub fn insert_pair(&mut self, pair: &str) -> Result<(), String> {
        let (key, value) = pair
            .split_once('=')
            .ok_or_else(|| format!("context {pair:?} is not of the form key=value"))?;
        self.insert(key, value)
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Checks that every pair of `required` is present here with the same value.
    pub fn require(&self, required: &Context) -> Result<(), UnsealError> {
        for (key, expected) in required.iter() {
            let found = self.get(key);
            if found != Some(expected) {
                return Err(UnsealError::ContextMismatch {
                    key: key.to_owned(),
                    expected: expected.to_owned(),
                    found: found.map(str::to_owned),
                });
            }
        }
        Ok(())
    }
}

/// One recipient's copy of the data key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stanza {
    /// Wrapped by version `version` of the key-encryption key of keyring `keyring`:
    /// AES-256-GCM, `nonce [12] | ciphertext [32] | tag [16]`.
    Kek {
        keyring: [u8; 16],
        version: u32,
        wrapped: [u8; 60],
    },
    /// Wrapped for an offline break-glass X25519 key: the sender's ephemeral public key,
    /// then AES-256-GCM `ciphertext [32] | tag [16]` under a key derived from the agreement.
    BreakGlass {
        key_id: [u8; 16],
        ephemeral: [u8; 32],
        wrapped: [u8; 48],
    },
    /// A kind this version does not know; kept so rewrapping does not lose it, never opened.
    Unknown { kind: u8, body: Vec<u8> },
}

impl Stanza {
    fn kind(&self) -> u8 {
        match self {
            Stanza::Kek { .. } => STANZA_KEK,
            Stanza::BreakGlass { .. } => STANZA_BREAK_GLASS,
            Stanza::Unknown { kind, .. } => *kind,
        }
    }

    fn body(&self) -> Vec<u8> {
        match self {
            Stanza::Kek {
                keyring,
                version,
                wrapped,
            } => [&keyring[..], &version.to_be_bytes(), &wrapped[..]].concat(),
            Stanza::BreakGlass {
                key_id,
                ephemeral,
                wrapped,
            } => [&key_id[..], &ephemeral[..], &wrapped[..]].concat(),
            Stanza::Unknown { body, .. } => body.clone(),
        }
    }

    fn parse(kind: u8, body: Vec<u8>) -> Result<Stanza, UnsealError> {
        let bad = |what: &str| {
            UnsealError::MalformedHeader(format!("{what} stanza has the wrong length"))
        };
        match kind {
            STANZA_KEK => {
                let (keyring, rest) = body
                    .split_first_chunk::<16>()
                    .ok_or_else(|| bad("a key-encryption key"))?;
                let (version, rest) = rest
                    .split_first_chunk::<4>()
                    .ok_or_else(|| bad("a key-encryption key"))?;
                let wrapped: [u8; 60] = rest.try_into().map_err(|_| bad("a key-encryption key"))?;
                Ok(Stanza::Kek {
                    keyring: *keyring,
                    version: u32::from_be_bytes(*version),
                    wrapped,
                })
            }
            STANZA_BREAK_GLASS => {
                let (key_id, rest) = body
                    .split_first_chunk::<16>()
                    .ok_or_else(|| bad("a break-glass"))?;
                let (ephemeral, rest) = rest
                    .split_first_chunk::<32>()
                    .ok_or_else(|| bad("a break-glass"))?;
                let wrapped: [u8; 48] = rest.try_into().map_err(|_| bad("a break-glass"))?;
                Ok(Stanza::BreakGlass {
                    key_id: *key_id,
                    ephemeral: *ephemeral,
                    wrapped,
                })
            }
            kind => Ok(Stanza::Unknown { kind, body }),
        }
    }

    /// Who this stanza is for, as people read it.
    pub fn describe(&self) -> String {
        match self {
            Stanza::Kek {
                keyring, version, ..
            } => {
                format!(
                    "keyring {} (key-encryption key version {version})",
                    phiguard_core::hex::encode(keyring)
                )
            }
            Stanza::BreakGlass { key_id, .. } => {
                format!("break-glass key {}", phiguard_core::hex::encode(key_id))
            }
            Stanza::Unknown { kind, .. } => format!("a recipient of unknown kind {kind}"),
        }
    }
}

/// A parsed header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub frame_size: u32,
    pub message_id: [u8; 32],
    pub context: Context,
    pub stanzas: Vec<Stanza>,
    pub commitment: [u8; 32],
    pub tag: [u8; 32],
}

impl Header {
    /// Every header byte the tag covers: all of it but the tag.
    pub fn authenticated_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        out.extend_from_slice(&MAGIC);
        out.push(VERSION);
        out.extend_from_slice(&SUITE_AES256GCM_HKDF_SHA256.to_be_bytes());
        out.extend_from_slice(&self.frame_size.to_be_bytes());
        out.extend_from_slice(&self.message_id);
        // Lengths fit: `Context::insert` and the stanza types bound them far below u16.
        out.extend_from_slice(&(self.context.len() as u16).to_be_bytes());
        for (key, value) in self.context.iter() {
            out.extend_from_slice(&(key.len() as u16).to_be_bytes());
            out.extend_from_slice(key.as_bytes());
            out.extend_from_slice(&(value.len() as u16).to_be_bytes());
            out.extend_from_slice(value.as_bytes());
        }
        out.push(self.stanzas.len() as u8);
        for stanza in &self.stanzas {
            let body = stanza.body();
            out.push(stanza.kind());
            out.extend_from_slice(&(body.len() as u16).to_be_bytes());
            out.extend_from_slice(&body);
        }
        out.extend_from_slice(&self.commitment);
        out
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = self.authenticated_bytes();
        out.extend_from_slice(&self.tag);
        out
    }

    /// Reads a header from the start of `input`, checking its structure (not yet its tag,
    /// which needs the data key).
    pub fn read(input: &mut impl Read) -> Result<Header, UnsealError> {
        let mut reader = HeaderReader { input };
        let magic: [u8; 4] = reader.array()?;
        if magic != MAGIC {
            return Err(UnsealError::NotSealed);
        }
        let [version] = reader.array()?;
        if version != VERSION {
            return Err(UnsealError::UnsupportedVersion(version));
        }
        let suite = u16::from_be_bytes(reader.array()?);
        if suite != SUITE_AES256GCM_HKDF_SHA256 {
            return Err(UnsealError::UnsupportedSuite(suite));
        }
        let frame_size = u32::from_be_bytes(reader.array()?);
        if !FRAME_SIZES.contains(&frame_size) || !frame_size.is_power_of_two() {
            return Err(UnsealError::MalformedHeader(format!(
                "frame size {frame_size} is not a power of two between 4 KiB and 16 MiB"
            )));
        }
        let message_id = reader.array()?;

        let pairs = usize::from(u16::from_be_bytes(reader.array()?));
        if pairs > MAX_CONTEXT_PAIRS {
            return Err(UnsealError::MalformedHeader(format!(
                "{pairs} context pairs; at most {MAX_CONTEXT_PAIRS} are allowed"
            )));
        }
        let mut context = Context::new();
        let mut previous: Option<String> = None;
        for _ in 0..pairs {
            let key = reader.text(MAX_CONTEXT_KEY, "context key")?;
            let value = reader.text(MAX_CONTEXT_VALUE, "context value")?;
            // One encoding per context: keys strictly ascending.
            if previous.as_ref().is_some_and(|p| *p >= key) {
                return Err(UnsealError::MalformedHeader(
                    "context keys are not in strictly ascending order".into(),
                ));
            }
            context
                .insert(&key, &value)
                .map_err(UnsealError::MalformedHeader)?;
            previous = Some(key);
        }

        let [count] = reader.array()?;
        let count = usize::from(count);
        if count == 0 || count > MAX_STANZAS {
            return Err(UnsealError::MalformedHeader(format!(
                "{count} recipients; 1 to {MAX_STANZAS} are allowed"
            )));
        }
        let mut stanzas = Vec::with_capacity(count);
        for _ in 0..count {
            let [kind] = reader.array()?;
            let body = reader.bytes(MAX_STANZA_BODY, "recipient stanza")?;
            stanzas.push(Stanza::parse(kind, body)?);
        }
        let commitment = reader.array()?;
        let tag = reader.array()?;
        Ok(Header {
            frame_size,
            message_id,
            context,
            stanzas,
            commitment,
            tag,
        })
    }
}

struct HeaderReader<'a, R> {
    input: &'a mut R,
}

impl<R: Read> HeaderReader<'_, R> {
    fn array<const N: usize>(&mut self) -> Result<[u8; N], UnsealError> {
        let mut out = [0u8; N];
        read_exact_or(self.input, &mut out, UnsealError::HeaderTruncated)?;
        Ok(out)
    }

    fn bytes(&mut self, max: usize, what: &str) -> Result<Vec<u8>, UnsealError> {
        let len = usize::from(u16::from_be_bytes(self.array()?));
        if len > max {
            return Err(UnsealError::MalformedHeader(format!(
                "a {what} of {len} bytes; at most {max} are allowed"
            )));
        }
        let mut out = vec![0u8; len];
        read_exact_or(self.input, &mut out, UnsealError::HeaderTruncated)?;
        Ok(out)
    }

    fn text(&mut self, max: usize, what: &str) -> Result<String, UnsealError> {
        String::from_utf8(self.bytes(max, what)?)
            .map_err(|_| UnsealError::MalformedHeader(format!("a {what} is not UTF-8")))
    }
}

/// `read_exact`, with a clean end of input turned into `at_end`.
pub(crate) fn read_exact_or(
    input: &mut impl Read,
    out: &mut [u8],
    at_end: UnsealError,
) -> Result<(), UnsealError> {
    match input.read_exact(out) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Err(at_end),
        Err(e) => Err(UnsealError::Read(e)),
    }
}
