//! Signed notes (<https://c2sp.org/signed-note>) with Ed25519 keys, and the tree-head checkpoints
//! (<https://c2sp.org/tlog-checkpoint>) the ledger publishes as signed notes.
//!
//! Key strings use the encoding of Go's `golang.org/x/mod/sumdb/note` (`name+hash+keydata`; C2SP
//! defines none), so keys and notes interoperate with Go tooling and the vectors published with
//! its tests apply unchanged. Only Ed25519 (signature type 0x01) is implemented; a signature of
//! any other type is simply a signature from an unknown key, which the spec says to ignore.

use std::fmt;

use aws_lc_rs::digest;
use aws_lc_rs::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use base64::engine::general_purpose::STANDARD;
use base64::{DecodeSliceError, Engine};
use thiserror::Error;
use zeroize::Zeroizing;

/// The signature type byte of Ed25519, hashed into key IDs and leading the key data of key strings.
const ED25519_TYPE: u8 = 0x01;
/// The signature type byte of a witness's timestamped Ed25519 cosignature
/// (<https://c2sp.org/tlog-cosignature>, `cosignature/v1`).
const COSIGNATURE_TYPE: u8 = 0x04;
/// What a `cosignature/v1` signs before the checkpoint text.
const COSIGNATURE_HEADER: &str = "cosignature/v1\ntime ";
const ED25519_KEY_LEN: usize = 32;
/// Key data is the type byte and the 32-byte key: 44 base64 characters.
const KEY_DATA_LEN: usize = 1 + ED25519_KEY_LEN;
const KEY_DATA_B64_LEN: usize = 44;
const KEY_ID_LEN: usize = 4;
/// Go's `note.Open` limit; the spec only asks verifiers to accept at least 16.
const MAX_SIGNATURES: usize = 100;
const PRIVATE_KEY_PREFIX: &str = "PRIVATE+KEY+";
/// An em dash (U+2014) and a space start every signature line.
const SIGNATURE_PREFIX: &str = "\u{2014} ";

/// What is wrong with a key, a note or a checkpoint.
///
/// Private key strings are described, never quoted: a message may end up in a log or a ticket.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NoteError {
    #[error(
        "{name:?} is not a valid key name: use a non-empty name without spaces or '+', such as the log origin"
    )]
    BadKeyName { name: String },
    #[error(
        "malformed key: {reason}; a verifier key reads name+hash+keydata, a private key PRIVATE+KEY+name+hash+keydata"
    )]
    BadKey { reason: &'static str },
    #[error(
        "key type {0:#04x} is not supported: phiguard signs and verifies Ed25519 (type 0x01) keys only"
    )]
    UnsupportedAlgorithm(u8),
    #[error(
        "the key hash does not match the key's name and data: the key string is damaged or was edited; copy it again from its source"
    )]
    KeyHashMismatch,
    #[error("malformed note: {reason}")]
    MalformedNote { reason: &'static str },
    #[error(
        "the note carries no signature by key {name}+{id:08x}: it was signed by someone else, or the wrong verifier key is configured"
    )]
    NoSignatureByKey { name: String, id: u32 },
    #[error(
        "the signature by key {name}+{id:08x} does not verify: the note was altered after signing and must not be trusted"
    )]
    BadSignature { name: String, id: u32 },
    #[error("malformed checkpoint: {reason}")]
    BadCheckpoint { reason: String },
    #[error("the cryptography library failed to {operation}")]
    Crypto { operation: &'static str },
}

/// A checkpoint's note text: origin line, decimal tree size, base64 root hash, then optional
/// extension lines.
///
/// The root is the RFC 6962 root, so the empty tree's root is SHA-256 of nothing, not zeros.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: [u8; 32],
    /// Opaque lines after the root. The spec discourages them because monitors can't audit them;
    /// they are kept so that a foreign checkpoint still parses and re-serializes exactly.
    pub extensions: Vec<String>,
}

impl Checkpoint {
    /// The note text, ending in `"\n"`: this is what gets signed.
    ///
    /// Meaningful only for a checkpoint that passes [`Checkpoint::validate`];
    /// [`SigningKey::sign_checkpoint`] checks that before signing.
    pub fn to_text(&self) -> String {
        let mut text = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            STANDARD.encode(self.root)
        );
        for line in &self.extensions {
            text.push_str(line);
            text.push('\n');
        }
        text
    }

    /// Parses note text strictly: a checkpoint has one spelling, so two logs (or a log and its
    /// witness) that agree on the tree also agree on the bytes they sign.
    pub fn parse_text(text: &str) -> Result<Checkpoint, NoteError> {
        let body = text
            .strip_suffix('\n')
            .ok_or_else(|| bad_checkpoint("the text does not end in a newline".into()))?;
        let lines: Vec<&str> = body.split('\n').collect();
        let [origin, size, root, extensions @ ..] = lines.as_slice() else {
            return Err(bad_checkpoint(
                "it needs at least three lines: origin, tree size and root hash".into(),
            ));
        };
        let checkpoint = Checkpoint {
            origin: (*origin).to_owned(),
            size: parse_size(size)?,
            root: parse_root(root)?,
            extensions: extensions.iter().map(|line| (*line).to_owned()).collect(),
        };
        checkpoint.validate()?;
        Ok(checkpoint)
    }

    /// Checks the line rules `parse_text` enforces, so a checkpoint built in code can't produce
    /// text that fails to parse. The origin is not required to be a URL without spaces or '+':
    /// the spec only recommends that and tells clients not to rely on it.
    pub fn validate(&self) -> Result<(), NoteError> {
        if self.origin.is_empty() {
            return Err(bad_checkpoint("the origin line is empty".into()));
        }
        if !is_line(&self.origin) {
            return Err(bad_checkpoint(
                "the origin contains a newline or control character".into(),
            ));
        }
        for (i, line) in self.extensions.iter().enumerate() {
            if line.is_empty() || !is_line(line) {
                return Err(bad_checkpoint(format!(
                    "extension line {} is empty or contains a newline or control character",
                    i + 1
                )));
            }
        }
        Ok(())
    }
}

fn bad_checkpoint(reason: String) -> NoteError {
    NoteError::BadCheckpoint { reason }
}

fn parse_size(line: &str) -> Result<u64, NoteError> {
    if line.is_empty() || !line.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad_checkpoint(format!(
            "tree size {line:?} is not a decimal number"
        )));
    }
    if line.len() > 1 && line.starts_with('0') {
        return Err(bad_checkpoint(format!(
            "tree size {line:?} has a leading zero"
        )));
    }
    line.parse()
        .map_err(|_| bad_checkpoint(format!("tree size {line:?} does not fit in 64 bits")))
}

fn parse_root(line: &str) -> Result<[u8; 32], NoteError> {
    let bytes = STANDARD
        .decode(line)
        .map_err(|_| bad_checkpoint(format!("root hash {line:?} is not padded base64")))?;
    <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| {
        bad_checkpoint(format!(
            "root hash is {} bytes, a SHA-256 hash is 32",
            bytes.len()
        ))
    })
}

/// A single line of note text: no newline and no other control character.
fn is_line(line: &str) -> bool {
    !line.chars().any(|c| c < ' ')
}

/// The spec forbids control characters in notes, other than newline.
fn is_note_text(text: &str) -> bool {
    text.chars().all(|c| c >= ' ' || c == '\n')
}

/// Key names appear in key strings split at '+' and in signature lines split at a space.
fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && !name
            .chars()
            .any(|c| c.is_whitespace() || c == '+' || c < ' ')
}

/// SHA-256(name || "\n" || type || public key)[..4], big-endian: the spec's recommended key ID.
fn key_id(name: &str, public: &[u8; ED25519_KEY_LEN]) -> u32 {
    key_id_of_type(name, ED25519_TYPE, public)
}

fn key_id_of_type(name: &str, signature_type: u8, public: &[u8; ED25519_KEY_LEN]) -> u32 {
    let mut ctx = digest::Context::new(&digest::SHA256);
    ctx.update(name.as_bytes());
    ctx.update(b"\n");
    ctx.update(&[signature_type]);
    ctx.update(public);
    let hash = ctx.finish();
    let mut id = [0u8; KEY_ID_LEN];
    id.copy_from_slice(&hash.as_ref()[..KEY_ID_LEN]);
    u32::from_be_bytes(id)
}

fn bad_key(reason: &'static str) -> NoteError {
    NoteError::BadKey { reason }
}

/// The `name+hash+keydata` fields of a key string, split from the left because the base64 key
/// data may itself contain '+'. Errors never quote the fields: they may be a private key's.
struct KeyFields<'a> {
    name: &'a str,
    id: u32,
    key: Zeroizing<[u8; ED25519_KEY_LEN]>,
}

fn split_key(text: &str) -> Result<KeyFields<'_>, NoteError> {
    split_key_of_type(text, ED25519_TYPE)
}

fn split_key_of_type(text: &str, signature_type: u8) -> Result<KeyFields<'_>, NoteError> {
    let mut fields = text.splitn(3, '+');
    let (Some(name), Some(hash), Some(data)) = (fields.next(), fields.next(), fields.next()) else {
        return Err(bad_key("it has fewer than three '+'-separated fields"));
    };
    if !is_valid_name(name) {
        return Err(bad_key(
            "the name is empty or contains a space or control character",
        ));
    }
    // Lowercase only, as written by every encoder: a key has exactly one spelling.
    if hash.len() != 8 || !hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return Err(bad_key("the hash is not 8 lowercase hex digits"));
    }
    let id = u32::from_str_radix(hash, 16).map_err(|_| bad_key("the hash is not hex"))?;
    let mut raw = Zeroizing::new([0u8; KEY_DATA_LEN]);
    let len = STANDARD
        .decode_slice(data, &mut *raw)
        .map_err(|e| match e {
            DecodeSliceError::OutputSliceTooSmall => {
                bad_key("the key data is longer than 33 bytes")
            }
            DecodeSliceError::DecodeError(_) => bad_key("the key data is not padded base64"),
        })?;
    if len != KEY_DATA_LEN {
        return Err(bad_key("the key data is shorter than 33 bytes"));
    }
    if raw[0] != signature_type {
        return Err(NoteError::UnsupportedAlgorithm(raw[0]));
    }
    let mut key = Zeroizing::new([0u8; ED25519_KEY_LEN]);
    key.copy_from_slice(&raw[1..]);
    Ok(KeyFields { name, id, key })
}

/// The public half of a note key: checks signatures and opens notes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifierKey {
    name: String,
    id: u32,
    public: [u8; ED25519_KEY_LEN],
}

impl VerifierKey {
    /// Parses `name+hash8hex+base64(0x01||pubkey)`, surrounding whitespace ignored (key files
    /// end in a newline). The hash is recomputed, so a mistyped character is caught here rather
    /// than surfacing later as "no signature by this key".
    pub fn parse(text: &str) -> Result<VerifierKey, NoteError> {
        let fields = split_key(text.trim())?;
        let key = VerifierKey {
            name: fields.name.to_owned(),
            id: key_id(fields.name, &fields.key),
            public: *fields.key,
        };
        if key.id != fields.id {
            return Err(NoteError::KeyHashMismatch);
        }
        Ok(key)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn key_id(&self) -> u32 {
        self.id
    }

    /// Opens a signed note: returns the note text when a signature by this key verifies.
    ///
    /// Follows Go's `note.Open`: a malformed note is rejected outright; signatures by other keys
    /// (another name or another ID) are ignored, as the spec requires, so witnesses may cosign
    /// and keys may rotate; a signature with this key's name and ID that fails is an error rather
    /// than ignored, because it means tampering; and a note without a signature by this key is
    /// an error.
    pub fn open<'a>(&self, note: &'a str) -> Result<&'a str, NoteError> {
        let (text, signatures) = parse_note(note)?;
        let mut verified = false;
        for line in signatures {
            if line.name == self.name && line.id == self.id {
                UnparsedPublicKey::new(&ED25519, &self.public)
                    .verify(text.as_bytes(), &line.signature)
                    .map_err(|_| NoteError::BadSignature {
                        name: self.name.clone(),
                        id: self.id,
                    })?;
                verified = true;
            }
        }
        if verified {
            Ok(text)
        } else {
            Err(NoteError::NoSignatureByKey {
                name: self.name.clone(),
                id: self.id,
            })
        }
    }
}

/// The text of a well-formed signed note, WITHOUT checking any signature: for reading back
/// notes this process stored itself. Anything received from elsewhere goes through
/// [`VerifierKey::open`].
pub fn note_text(note: &str) -> Result<&str, NoteError> {
    parse_note(note).map(|(text, _)| text)
}

/// Splits a signed note into its text (with its final newline) and its signature lines,
/// rejecting anything the spec calls malformed.
fn parse_note(note: &str) -> Result<(&str, Vec<SignatureLine<'_>>), NoteError> {
    let malformed = |reason| NoteError::MalformedNote { reason };
    if !is_note_text(note) {
        return Err(malformed(
            "it contains a control character other than newline",
        ));
    }
    // The text may contain blank lines; signature lines never do, so the last one separates.
    let split = note
        .rfind("\n\n")
        .ok_or_else(|| malformed("no blank line separates the text from the signatures"))?;
    let (text, signatures) = (&note[..=split], &note[split + 2..]);
    let signatures = signatures
        .strip_suffix('\n')
        .filter(|s| !s.is_empty())
        .ok_or_else(|| malformed("the signature lines are missing or lack a final newline"))?;
    let lines: Vec<&str> = signatures.split('\n').collect();
    if lines.len() > MAX_SIGNATURES {
        return Err(malformed("it has more than 100 signatures"));
    }
    let signatures = lines
        .into_iter()
        .map(parse_signature_line)
        .collect::<Result<_, _>>()?;
    Ok((text, signatures))
}

/// One `— name base64(keyid||signature)` line, decoded.
struct SignatureLine<'a> {
    name: &'a str,
    id: u32,
    signature: Vec<u8>,
}

fn parse_signature_line(line: &str) -> Result<SignatureLine<'_>, NoteError> {
    let malformed = |reason| NoteError::MalformedNote { reason };
    let (name, encoded) = line
        .strip_prefix(SIGNATURE_PREFIX)
        .and_then(|rest| rest.split_once(' '))
        .ok_or_else(|| malformed("a line after the blank line is not \"— name signature\""))?;
    if !is_valid_name(name) {
        return Err(malformed("a signature line has an invalid key name"));
    }
    let mut signature = STANDARD
        .decode(encoded)
        .map_err(|_| malformed("a signature is not padded base64"))?;
    if signature.len() <= KEY_ID_LEN {
        return Err(malformed(
            "a signature is too short to hold a key ID and a signature",
        ));
    }
    let mut id = [0u8; KEY_ID_LEN];
    id.copy_from_slice(&signature[..KEY_ID_LEN]);
    signature.drain(..KEY_ID_LEN);
    Ok(SignatureLine {
        name,
        id: u32::from_be_bytes(id),
        signature,
    })
}

impl fmt::Display for VerifierKey {
    /// The verifier key string, `name+hash+keydata`, which [`VerifierKey::parse`] reads back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut data = [ED25519_TYPE; KEY_DATA_LEN];
        data[1..].copy_from_slice(&self.public);
        write!(f, "{}+{:08x}+{}", self.name, self.id, STANDARD.encode(data))
    }
}

/// The signing half of a note key. Holds the Ed25519 key pair; never Debug-prints or logs the seed.
pub struct SigningKey {
    verifier: VerifierKey,
    /// Kept (zeroized on drop) only to write the key out again with [`SigningKey::private_key`].
    seed: Zeroizing<[u8; ED25519_KEY_LEN]>,
    pair: Ed25519KeyPair,
}

impl SigningKey {
    /// A fresh random key. The name becomes the key name in every signature line, so a log's key
    /// is conventionally named after its origin.
    pub fn generate(name: &str) -> Result<SigningKey, NoteError> {
        if !is_valid_name(name) {
            return Err(NoteError::BadKeyName {
                name: name.to_owned(),
            });
        }
        let mut seed = Zeroizing::new([0u8; ED25519_KEY_LEN]);
        aws_lc_rs::rand::fill(&mut *seed).map_err(|_| NoteError::Crypto {
            operation: "draw random bytes for a new key",
        })?;
        Self::from_seed(name, seed)
    }

    /// Reads `PRIVATE+KEY+name+hash8hex+base64(0x01||seed)`, surrounding whitespace ignored.
    /// The hash is checked against the derived public key, which catches a damaged key file
    /// before it signs anything.
    pub fn from_private_key(text: &str) -> Result<SigningKey, NoteError> {
        let rest = text
            .trim()
            .strip_prefix(PRIVATE_KEY_PREFIX)
            .ok_or_else(|| bad_key("a private key starts with PRIVATE+KEY+"))?;
        let fields = split_key(rest)?;
        let key = Self::from_seed(fields.name, fields.key)?;
        if key.verifier.id != fields.id {
            return Err(NoteError::KeyHashMismatch);
        }
        Ok(key)
    }

    fn from_seed(
        name: &str,
        seed: Zeroizing<[u8; ED25519_KEY_LEN]>,
    ) -> Result<SigningKey, NoteError> {
        let crypto = || NoteError::Crypto {
            operation: "derive an Ed25519 key pair from its seed",
        };
        let pair = Ed25519KeyPair::from_seed_unchecked(&*seed).map_err(|_| crypto())?;
        let public =
            <[u8; ED25519_KEY_LEN]>::try_from(pair.public_key().as_ref()).map_err(|_| crypto())?;
        let verifier = VerifierKey {
            name: name.to_owned(),
            id: key_id(name, &public),
            public,
        };
        Ok(SigningKey {
            verifier,
            seed,
            pair,
        })
    }

    /// The private key string, for writing a 0600 key file; zeroized when dropped.
    pub fn private_key(&self) -> Zeroizing<String> {
        let mut data = Zeroizing::new([ED25519_TYPE; KEY_DATA_LEN]);
        data[1..].copy_from_slice(&*self.seed);
        // `encode_slice` writes into our zeroized buffer; `encode_string` would leave a copy in
        // its own stack buffer. 33 bytes always encode to exactly 44 characters, so it can't
        // run out of room; if it somehow did, the key string would fail to parse, not mislead.
        let mut encoded = Zeroizing::new([0u8; KEY_DATA_B64_LEN]);
        let written = STANDARD
            .encode_slice(data.as_slice(), encoded.as_mut_slice())
            .unwrap_or(0);
        let name = &self.verifier.name;
        // Sized with room for the newline a key file ends in: growing the string later would
        // reallocate and leave the old, unzeroized buffer behind.
        let mut out = Zeroizing::new(String::with_capacity(
            PRIVATE_KEY_PREFIX.len() + name.len() + "+01234567+".len() + KEY_DATA_B64_LEN + 1,
        ));
        out.push_str(PRIVATE_KEY_PREFIX);
        out.push_str(name);
        out.push_str(&format!("+{:08x}+", self.verifier.id));
        out.extend(encoded[..written].iter().map(|&b| char::from(b)));
        out
    }

    pub fn name(&self) -> &str {
        &self.verifier.name
    }

    pub fn verifier(&self) -> VerifierKey {
        self.verifier.clone()
    }

    /// Signs note text (must end in '\n', valid per the spec) and returns the whole signed note.
    ///
    /// The text is checked first so that every note this returns also opens: a bad text is
    /// better refused here than discovered when someone verifies the note.
    pub fn sign(&self, text: &str) -> Result<String, NoteError> {
        let malformed = |reason| NoteError::MalformedNote { reason };
        if !text.ends_with('\n') {
            return Err(malformed("the text to sign does not end in a newline"));
        }
        if !is_note_text(text) {
            return Err(malformed("the text to sign contains a control character"));
        }
        let signature = self
            .pair
            .try_sign(text.as_bytes())
            .map_err(|_| NoteError::Crypto {
                operation: "sign the note",
            })?;
        let mut raw = self.verifier.id.to_be_bytes().to_vec();
        raw.extend_from_slice(signature.as_ref());
        Ok(format!(
            "{text}\n{SIGNATURE_PREFIX}{} {}\n",
            self.verifier.name,
            STANDARD.encode(raw)
        ))
    }

    /// Validates, serializes and signs a checkpoint: the counterpart of [`open_checkpoint`].
    pub fn sign_checkpoint(&self, checkpoint: &Checkpoint) -> Result<String, NoteError> {
        checkpoint.validate()?;
        self.sign(&checkpoint.to_text())
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("name", &self.verifier.name)
            .field("key_id", &format_args!("{:08x}", self.verifier.id))
            .finish_non_exhaustive()
    }
}

/// A witness's public key for timestamped cosignatures (<https://c2sp.org/tlog-cosignature>):
/// `name+hash+base64(0x04||pubkey)`. A witness cosigns a checkpoint only after checking that it
/// extends the last one it cosigned for the same log, so a checkpoint it cosigned can never be
/// rolled back past without the witness's copy showing it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CosignerKey {
    name: String,
    id: u32,
    public: [u8; ED25519_KEY_LEN],
}

impl CosignerKey {
    /// Parses `name+hash8hex+base64(0x04||pubkey)`, surrounding whitespace ignored.
    pub fn parse(text: &str) -> Result<CosignerKey, NoteError> {
        let fields = split_key_of_type(text.trim(), COSIGNATURE_TYPE)?;
        let key = CosignerKey {
            name: fields.name.to_owned(),
            id: key_id_of_type(fields.name, COSIGNATURE_TYPE, &fields.key),
            public: *fields.key,
        };
        if key.id != fields.id {
            return Err(NoteError::KeyHashMismatch);
        }
        Ok(key)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Verifies this witness's cosignature on a signed note whose text is a checkpoint, and
    /// returns the time (Unix seconds) the witness says it cosigned. As with
    /// [`VerifierKey::open`], a line with this key's name and ID that fails is tampering.
    pub fn verify(&self, note: &str) -> Result<u64, NoteError> {
        let (text, signatures) = parse_note(note)?;
        let mut time = None;
        for line in signatures {
            if line.name != self.name || line.id != self.id {
                continue;
            }
            let bad = || NoteError::BadSignature {
                name: self.name.clone(),
                id: self.id,
            };
            // timestamp (8 bytes, big-endian) || Ed25519 signature (64 bytes)
            if line.signature.len() != 8 + 64 {
                return Err(bad());
            }
            let mut stamp = [0u8; 8];
            stamp.copy_from_slice(&line.signature[..8]);
            let stamp = u64::from_be_bytes(stamp);
            UnparsedPublicKey::new(&ED25519, &self.public)
                .verify(
                    cosigned_message(text, stamp).as_bytes(),
                    &line.signature[8..],
                )
                .map_err(|_| bad())?;
            time = Some(stamp);
        }
        time.ok_or_else(|| NoteError::NoSignatureByKey {
            name: self.name.clone(),
            id: self.id,
        })
    }
}

impl fmt::Display for CosignerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut data = [COSIGNATURE_TYPE; KEY_DATA_LEN];
        data[1..].copy_from_slice(&self.public);
        write!(f, "{}+{:08x}+{}", self.name, self.id, STANDARD.encode(data))
    }
}

/// What a `cosignature/v1` signs: the header with the time, then the checkpoint text.
fn cosigned_message(text: &str, time: u64) -> String {
    format!("{COSIGNATURE_HEADER}{time}\n{text}")
}

impl SigningKey {
    /// This key as a witness's cosigning key. A witness keeps a key for cosigning only.
    pub fn cosigner(&self) -> CosignerKey {
        let public = self.verifier.public;
        let name = self.verifier.name.clone();
        CosignerKey {
            id: key_id_of_type(&name, COSIGNATURE_TYPE, &public),
            name,
            public,
        }
    }

    /// Cosigns a signed checkpoint note at `time` (Unix seconds) and returns the note with
    /// this witness's cosignature line added. The caller has checked the log's signature and
    /// that the checkpoint extends the last one it cosigned.
    pub fn cosign(&self, note: &str, time: u64) -> Result<String, NoteError> {
        let (text, _) = parse_note(note)?;
        Checkpoint::parse_text(text)?;
        let signature = self
            .pair
            .try_sign(cosigned_message(text, time).as_bytes())
            .map_err(|_| NoteError::Crypto {
                operation: "cosign the checkpoint",
            })?;
        let cosigner = self.cosigner();
        let mut raw = cosigner.id.to_be_bytes().to_vec();
        raw.extend_from_slice(&time.to_be_bytes());
        raw.extend_from_slice(signature.as_ref());
        Ok(format!(
            "{note}{SIGNATURE_PREFIX}{} {}\n",
            cosigner.name,
            STANDARD.encode(raw)
        ))
    }
}

/// Verifies a signed checkpoint with `key` and parses it.
///
/// The origin is returned, not compared with the key name: the spec only says the two SHOULD
/// match, and the caller knows which origin it expects.
pub fn open_checkpoint(note: &str, key: &VerifierKey) -> Result<Checkpoint, NoteError> {
    Checkpoint::parse_text(key.open(note)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // Published with golang.org/x/mod/sumdb/note (note_test.go and the package doc).
    const PETER_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    const PETER_SKEY: &str =
        "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    const TEXT: &str = "If you think cryptography is the answer to your problem,\n\
                        then you don't know what your problem is.\n";
    const PETER_NOTE: &str = "If you think cryptography is the answer to your problem,\n\
        then you don't know what your problem is.\n\
        \n\
        — PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
    const ENOCH_VKEY: &str = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
    const ENOCH_SIG: &str = "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

    // Self-made, not published: the PeterNeumann seed under the name example.com/ledger, signing
    // the RFC 6962 roots of the 8 transparency-dev test leaves and of the empty tree. Computed
    // with Python `cryptography` and cross-checked with aws-lc-rs.
    const LEDGER_SKEY: &str =
        "PRIVATE+KEY+example.com/ledger+fc3f660e+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    const LEDGER_VKEY: &str =
        "example.com/ledger+fc3f660e+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";

    fn peter() -> VerifierKey {
        VerifierKey::parse(PETER_VKEY).unwrap()
    }

    fn hex32(hex: &str) -> [u8; 32] {
        let mut out = [0u8; 32];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap();
        }
        out
    }

    #[test]
    fn published_keys_parse_and_print_back() {
        let verifier = peter();
        assert_eq!(
            (verifier.name(), verifier.key_id()),
            ("PeterNeumann", 0xc74f20a3)
        );
        assert_eq!(verifier.to_string(), PETER_VKEY);
        let signer = SigningKey::from_private_key(&format!("{PETER_SKEY}\n")).unwrap();
        assert_eq!(signer.name(), "PeterNeumann");
        assert_eq!(signer.verifier(), verifier);
        assert_eq!(*signer.private_key(), PETER_SKEY);
        assert_eq!(VerifierKey::parse(ENOCH_VKEY).unwrap().key_id(), 0xaf0cfe78);
    }

    #[test]
    fn signing_reproduces_the_published_note() {
        let signer = SigningKey::from_private_key(PETER_SKEY).unwrap();
        assert_eq!(signer.sign(TEXT).unwrap(), PETER_NOTE);
        assert_eq!(peter().open(PETER_NOTE).unwrap(), TEXT);
        assert_eq!(note_text(PETER_NOTE).unwrap(), TEXT);
    }

    #[test]
    fn other_keys_signatures_are_ignored_and_open_with_their_own_key() {
        let cosigned = format!("{PETER_NOTE}{ENOCH_SIG}");
        assert_eq!(peter().open(&cosigned).unwrap(), TEXT);
        let enoch = VerifierKey::parse(ENOCH_VKEY).unwrap();
        assert_eq!(enoch.open(&cosigned).unwrap(), TEXT);
        assert_eq!(
            enoch.open(PETER_NOTE),
            Err(NoteError::NoSignatureByKey {
                name: "EnochRoot".into(),
                id: 0xaf0cfe78
            })
        );
        // Same name, another key (so another ID): ignored, not a failure.
        let impostor = SigningKey::generate("PeterNeumann").unwrap();
        let note = impostor.sign(TEXT).unwrap();
        assert!(matches!(
            peter().open(&note),
            Err(NoteError::NoSignatureByKey { .. })
        ));
    }

    #[test]
    fn a_failing_signature_with_the_keys_name_and_id_is_an_error() {
        let mut raw = 0xc74f20a3u32.to_be_bytes().to_vec();
        raw.extend_from_slice(&[0u8; 64]);
        let forged = format!("{TEXT}\n— PeterNeumann {}\n", STANDARD.encode(&raw));
        let bad = NoteError::BadSignature {
            name: "PeterNeumann".into(),
            id: 0xc74f20a3,
        };
        assert_eq!(peter().open(&forged), Err(bad.clone()));
        // Even next to a valid signature: it means someone tampered.
        assert_eq!(
            peter().open(&format!("{PETER_NOTE}{}", &forged[TEXT.len() + 1..])),
            Err(bad)
        );
    }

    #[test]
    fn published_bad_keys_are_rejected() {
        let too_long = "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==";
        assert!(matches!(
            VerifierKey::parse(too_long),
            Err(NoteError::BadKey { .. })
        ));
        let unknown = "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
        assert_eq!(
            VerifierKey::parse(unknown),
            Err(NoteError::UnsupportedAlgorithm(0x65))
        );
        let wrong_hash = PETER_SKEY.replace("c74f20a3", "c74f20a4");
        assert!(matches!(
            SigningKey::from_private_key(&wrong_hash),
            Err(NoteError::KeyHashMismatch)
        ));
        assert_eq!(
            SigningKey::generate("Bad Name").map(|k| k.verifier()),
            Err(NoteError::BadKeyName {
                name: "Bad Name".into()
            })
        );
        assert!(SigningKey::generate("a+b").is_err() && SigningKey::generate("").is_err());
        assert!(VerifierKey::parse(&PETER_VKEY.replace("c74f20a3", "C74F20A3")).is_err());
    }

    /// Go's test: every proper substring of a key string is rejected.
    #[test]
    fn key_substrings_are_rejected() {
        for key in [PETER_VKEY, PETER_SKEY] {
            for i in 0..key.len() {
                for j in i + 1..=key.len() {
                    if (i, j) != (0, key.len()) {
                        let part = &key[i..j];
                        let parsed = VerifierKey::parse(part).is_ok()
                            || SigningKey::from_private_key(part).is_ok();
                        assert!(!parsed, "{part:?} was accepted");
                    }
                }
            }
        }
    }

    #[test]
    fn malformed_notes_are_rejected() {
        let unterminated = PETER_NOTE.strip_suffix('\n').unwrap();
        let bad_name_sig = &PETER_NOTE[TEXT.len() + 1..].replace("PeterNeumann", "Bad Name");
        let many = format!("{TEXT}\n{}", ENOCH_SIG.repeat(MAX_SIGNATURES + 1));
        let malformed = [
            TEXT.to_owned(),
            format!("{TEXT}\n"),
            unterminated.to_owned(),
            format!("\x01{PETER_NOTE}"),
            format!("{TEXT}\n{bad_name_sig}"),
            format!("{PETER_NOTE}Unexpected line.\n"),
            format!("{TEXT}\n— PeterNeumann \n"),
            format!("{TEXT}\n— PeterNeumann AAAAAA==\n"),
            many,
        ];
        for note in &malformed {
            assert!(
                matches!(peter().open(note), Err(NoteError::MalformedNote { .. })),
                "{note:?} was not rejected as malformed"
            );
            assert!(note_text(note).is_err());
        }
        let sixteen = format!("{PETER_NOTE}{}", ENOCH_SIG.repeat(15));
        assert_eq!(peter().open(&sixteen).unwrap(), TEXT);
    }

    #[test]
    fn sign_rejects_text_that_could_not_be_opened() {
        let signer = SigningKey::from_private_key(PETER_SKEY).unwrap();
        for text in ["", "no final newline", "a tab\there\n", "cr\r\n"] {
            assert!(
                matches!(signer.sign(text), Err(NoteError::MalformedNote { .. })),
                "{text:?}"
            );
        }
        let with_blank_lines = "a\n\nb\n\n";
        let note = signer.sign(with_blank_lines).unwrap();
        assert_eq!(signer.verifier().open(&note).unwrap(), with_blank_lines);
    }

    #[test]
    fn checkpoint_vectors_sign_and_open_exactly() {
        let signer = SigningKey::from_private_key(LEDGER_SKEY).unwrap();
        let verifier = VerifierKey::parse(LEDGER_VKEY).unwrap();
        assert_eq!(signer.verifier(), verifier);
        let vectors = [
            (
                8,
                "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
                "example.com/ledger\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n\n\
                 — example.com/ledger /D9mDhnGus7AtH8H1mgxbu/wvWsC8hRKQNDL2usUkuq8UCLNeQVr+onoMFTckSTbhGS/tHsWOgQj3vdIqI/wPmxtqw8=\n",
            ),
            (
                0,
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                "example.com/ledger\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n\
                 — example.com/ledger /D9mDp5DpJhSXXxTOnbToMy3oMdQgxgbdRoNDhlN0FRwtaOWMJKXpgYgdtj6jYYiQjWYkg2GL6ccVO7xe0nlFY769AQ=\n",
            ),
        ];
        for (size, root, note) in vectors {
            let checkpoint = Checkpoint {
                origin: "example.com/ledger".into(),
                size,
                root: hex32(root),
                extensions: Vec::new(),
            };
            assert_eq!(signer.sign_checkpoint(&checkpoint).unwrap(), note);
            assert_eq!(open_checkpoint(note, &verifier).unwrap(), checkpoint);
            assert!(open_checkpoint(note, &peter()).is_err());
        }
    }

    #[test]
    fn checkpoint_text_round_trips_with_extensions() {
        let checkpoint = Checkpoint {
            origin: "example.com/behind-the-sofa".into(),
            size: u64::MAX,
            root: [7; 32],
            extensions: vec!["ext one".into(), "— two".into()],
        };
        let text = checkpoint.to_text();
        assert_eq!(Checkpoint::parse_text(&text).unwrap(), checkpoint);
        let mut empty_extension = checkpoint.clone();
        empty_extension.extensions.push(String::new());
        assert!(empty_extension.validate().is_err());
        let signer = SigningKey::generate("example.com/behind-the-sofa").unwrap();
        assert!(signer.sign_checkpoint(&empty_extension).is_err());
    }

    #[test]
    fn checkpoint_parse_rejects_every_other_spelling() {
        let root = "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=";
        let rejected = [
            format!("o\n08\n{root}\n"),
            format!("o\n00\n{root}\n"),
            format!("o\n+8\n{root}\n"),
            format!("o\n8 \n{root}\n"),
            format!("o\n0x8\n{root}\n"),
            format!("o\n\n{root}\n"),
            format!("o\n18446744073709551616\n{root}\n"),
            "o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQw==\n".into(),
            "o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg\n".into(),
            "o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyh=\n".into(),
            "o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQygA\n".into(),
            "o\n8\n!!\n".into(),
            format!("o\n8\n{root}"),
            "o\n8\n".into(),
            "o\n".into(),
            "".into(),
            format!("\n8\n{root}\n"),
            format!("o\n8\n{root}\n\n"),
            format!("o\n8\n{root}\next\n\nmore\n"),
            format!("o\t\n8\n{root}\n"),
        ];
        for text in &rejected {
            assert!(
                matches!(
                    Checkpoint::parse_text(text),
                    Err(NoteError::BadCheckpoint { .. })
                ),
                "{text:?} was accepted"
            );
        }
        assert_eq!(
            Checkpoint::parse_text(&format!("o\n0\n{root}\n"))
                .unwrap()
                .size,
            0
        );
    }

    #[test]
    fn generated_keys_round_trip_through_the_private_key_string() {
        let signer = SigningKey::generate("example.com/ledger").unwrap();
        let reloaded = SigningKey::from_private_key(&signer.private_key()).unwrap();
        assert_eq!(reloaded.verifier(), signer.verifier());
        let verifier = VerifierKey::parse(&signer.verifier().to_string()).unwrap();
        assert_eq!(verifier, signer.verifier());
        assert_eq!(
            verifier.open(&reloaded.sign("hello\n").unwrap()).unwrap(),
            "hello\n"
        );
        assert_ne!(
            SigningKey::generate("example.com/ledger")
                .unwrap()
                .verifier(),
            verifier
        );
    }

    #[test]
    fn debug_never_shows_the_private_key() {
        let signer = SigningKey::from_private_key(PETER_SKEY).unwrap();
        let debug = format!("{signer:?} {signer:#?}");
        assert!(debug.contains("PeterNeumann") && debug.contains("c74f20a3"));
        assert!(
            !debug.contains("AYEKF") && !debug.contains("810a1402"),
            "{debug}"
        );
    }

    /// Flips one byte of `s`; `None` when the result is no longer UTF-8 (and so not a `&str`).
    fn flip(s: &str, position: usize, mask: u8) -> Option<String> {
        let mut bytes = s.as_bytes().to_vec();
        bytes[position] ^= mask;
        String::from_utf8(bytes).ok()
    }

    proptest! {
        #[test]
        fn mangled_verifier_keys_are_rejected_or_differ(
            position in 0..PETER_VKEY.len(),
            mask in 1u8..=255,
        ) {
            if let Some(Ok(key)) = flip(PETER_VKEY, position, mask).map(|k| VerifierKey::parse(&k)) {
                prop_assert_ne!(key, peter());
            }
        }

        #[test]
        fn mangled_private_keys_are_rejected_or_differ_and_never_quoted(
            position in 0..PETER_SKEY.len(),
            mask in 1u8..=255,
        ) {
            let Some(key) = flip(PETER_SKEY, position, mask) else { return Ok(()) };
            match SigningKey::from_private_key(&key) {
                Ok(signer) => prop_assert_ne!(signer.verifier(), peter()),
                Err(e) => {
                    let message = e.to_string();
                    let secret = &PETER_SKEY[PETER_SKEY.len() - KEY_DATA_B64_LEN..];
                    for window in secret.as_bytes().windows(6) {
                        prop_assert!(!message.as_bytes().windows(6).any(|w| w == window), "{}", message);
                    }
                }
            }
        }

        /// Covers the text, the blank line, the name, the key ID and the signature bytes; a
        /// valid cosignature by another key must not rescue a tampered note.
        #[test]
        fn any_flipped_byte_of_a_signed_note_fails_to_open(
            position in 0..PETER_NOTE.len(),
            mask in 1u8..=255,
        ) {
            if let Some(note) = flip(PETER_NOTE, position, mask) {
                prop_assert!(peter().open(&note).is_err(), "{:?} opened", note);
                let cosigned = format!("{note}{ENOCH_SIG}");
                prop_assert!(peter().open(&cosigned).is_err());
            }
        }
    }
}
