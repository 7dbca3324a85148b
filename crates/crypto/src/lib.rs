//! Envelope encryption for PHI, with the root of the key hierarchy on premises.
//!
//! ```text
//! root key (file | passphrase | PKCS#11 token)       stays on premises
//!   └─ key-encryption keys, versioned (KEK 1, 2, …)  stored wrapped by the root, in the keyring
//!        └─ one data key per sealed object           stored wrapped by a KEK, in the object
//! ```
//!
//! A sealed object carries only wrapped data keys, so the cloud side never holds a key that
//! opens it. See `docs/formats/ciphertext.md` for the byte format.

pub mod envelope;
pub mod error;
pub mod format;
pub mod keyring;
pub mod pseudonym;
pub mod read_ahead;
pub mod root;
pub mod secret;
pub mod wrap;
pub mod write_behind;

pub use envelope::{
    KeyOpener, Opened, Recipients, read_header, rewrap_stream, seal, seal_stream, unseal,
    unseal_stream, unseal_stream_requiring,
};
pub use error::{SealError, UnsealError};
pub use format::{Context, Header};
pub use keyring::{Keyring, KeyringError, KeyringSummary};
pub use pseudonym::{PseudonymError, Pseudonymizer};
pub use read_ahead::ReadAhead;
pub use root::{RootConfig, RootKey, RootKeyError, RootSecret};
pub use secret::{KeyBytes, RandomUnavailable};
pub use wrap::{BreakGlassPublic, BreakGlassSecret, Kek};
pub use write_behind::WriteBehind;
