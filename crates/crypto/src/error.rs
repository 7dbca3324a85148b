//! What can go wrong sealing and unsealing. Each way sealed data can be damaged or attacked
//! has its own variant, so a person (or a script, by matching) knows which one happened.
//! No message ever contains key material or plaintext.

use std::io;

use crate::root::RootKeyError;
use crate::secret::RandomUnavailable;

/// Why data could not be sealed.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("the encryption context is not valid: {0}")]
    Context(String),

    #[error("reading the data to seal failed: {0}")]
    Read(#[source] io::Error),

    #[error("writing the sealed data failed: {0}")]
    Write(#[source] io::Error),

    #[error("encryption failed inside the cryptographic library")]
    Cipher,

    #[error(
        "{0} recipients were asked for; a sealed object holds at most 16 (the current key plus up to 15 break-glass keys)"
    )]
    TooManyRecipients(usize),

    #[error(transparent)]
    Random(#[from] RandomUnavailable),
}

/// Why sealed data could not be opened. Nothing decrypted from a frame is ever handed out
/// before that frame has authenticated.
#[derive(Debug, thiserror::Error)]
pub enum UnsealError {
    #[error("this is not phiguard sealed data: it does not start with the phiguard seal marker")]
    NotSealed,

    #[error(
        "this sealed data uses format version {0}, which this phiguard does not know; upgrade phiguard to open it"
    )]
    UnsupportedVersion(u8),

    #[error(
        "this sealed data uses cipher suite {0}, which this phiguard does not know; upgrade phiguard to open it"
    )]
    UnsupportedSuite(u16),

    #[error("the header of the sealed data is malformed: {0}")]
    MalformedHeader(String),

    #[error("the sealed data ends inside its header: the file was cut short")]
    HeaderTruncated,

    #[error(
        "no key of this keyring can open this data: it was sealed for {sealed_for}, and this keyring is {keyring}"
    )]
    NoMatchingKey { sealed_for: String, keyring: String },

    #[error(
        "this data was sealed under key-encryption key version {version}, which is retired (this keyring opens versions {minimum} and later); run `phiguard keys rewrap` on it with a keyring that still allows version {version}, or lower the minimum"
    )]
    RetiredKek { version: u32, minimum: u32 },

    #[error(
        "this data was sealed under key-encryption key version {version}, but this keyring only has versions up to {newest}: the keyring is older than the data (restore the current keyring from its backup)"
    )]
    UnknownKekVersion { version: u32, newest: u32 },

    #[error(
        "the data key wrapped for {recipient} does not open: the header was altered, or this is a different key with the same name"
    )]
    DataKeyUnwrap { recipient: String },

    #[error("this break-glass key ({key}) is not one of the recipients of this data")]
    NotARecipient { key: String },

    #[error(
        "the data key does not match the header's key commitment: this data was built to decrypt differently under different keys, and is refused"
    )]
    KeyCommitment,

    #[error(
        "the header was altered after sealing (its authentication tag does not match): the encryption context, recipients or sizes were changed"
    )]
    HeaderAltered,

    #[error(
        "the encryption context does not match: expected {key}={expected:?}, found {}",
        found.as_deref().map_or("no such key".to_owned(), |v| format!("{key}={v:?}"))
    )]
    ContextMismatch {
        key: String,
        expected: String,
        found: Option<String>,
    },

    #[error("frame {index} was altered: it does not authenticate")]
    FrameAltered { index: u64 },

    #[error("frame {position} is a copy of frame {original}: frames were duplicated or moved back")]
    FrameRepeated { position: u64, original: u64 },

    #[error("frame {position} is frame {original} moved forward: frames were reordered")]
    FrameMoved { position: u64, original: u64 },

    #[error("the sealed data was cut short: it ends after {frames} frames without its final frame")]
    Truncated { frames: u64 },

    #[error("there are extra bytes after the final frame: data was appended to the sealed file")]
    TrailingData,

    #[error("a cryptographic operation failed inside the cryptographic library")]
    Cipher,

    #[error(
        "rewrapping would give this object {0} recipients, more than the 16 a header holds; nothing was written"
    )]
    TooManyRecipients(usize),

    #[error("reading the sealed data failed: {0}")]
    Read(#[source] io::Error),

    #[error("writing the opened data failed: {0}")]
    Write(#[source] io::Error),

    #[error(transparent)]
    Root(#[from] RootKeyError),

    #[error(transparent)]
    Random(#[from] RandomUnavailable),
}
