//! Root key providers: where the top of the key hierarchy lives.
//!
//! The root key only ever wraps and unwraps the small secrets below it (key-encryption keys
//! and the pseudonymisation key); data never meets it. Three providers:
//!
//! - `file`: 32 random bytes in a 0600 file in the home's `keys/` directory;
//! - `passphrase`: derived with Argon2id from a passphrase, with the parameters and salt
//!   stored in the keyring;
//! - `pkcs11`: an AES-256 key created inside a PKCS#11 token (an HSM, or SoftHSM2) as
//!   sensitive and non-extractable, so it never leaves the token;
//! - `aws-kms`: a key in AWS KMS, used through its Encrypt and Decrypt calls. Its
//!   implementation lives in `phiguard_cloud` (this crate does not depend on the AWS SDK);
//!   here it is only a [`RootConfig`] the keyring records. It serves as an *additional*
//!   wrapping beside an on-premises root (see [`crate::keyring`]), so either side opens the
//!   keys and losing one loses nothing.

mod file;
mod passphrase;
mod pkcs11;

pub use file::FileRoot;
pub use passphrase::{Argon2Params, PassphraseRoot};
pub use pkcs11::Pkcs11Root;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::secret::{KeyBytes, random_array};

/// A root key: wraps small secrets for storage in the keyring and unwraps them again.
pub trait RootKey: Send + Sync + std::fmt::Debug {
    /// Encrypts `secret` under the root key, authenticated together with `label` (which
    /// says what the secret is, e.g. `kek 3 of <key id>`), so a wrapped secret cannot be
    /// passed off as another.
    fn wrap(&self, label: &[u8], secret: &[u8]) -> Result<Vec<u8>, RootKeyError>;

    /// Decrypts what [`RootKey::wrap`] produced for the same `label`.
    fn unwrap(&self, label: &[u8], wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>, RootKeyError>;
}

/// How to reach the root key, as recorded in the keyring. Holds no secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "provider", rename_all = "snake_case", deny_unknown_fields)]
pub enum RootConfig {
    /// A key file, relative to the home's `keys/` directory.
    File { path: String },
    /// A passphrase stretched with Argon2id.
    Passphrase {
        #[serde(with = "phiguard_core::hex::bytes")]
        salt: Vec<u8>,
        params: Argon2Params,
    },
    /// A key inside a PKCS#11 token.
    Pkcs11 {
        /// Path of the PKCS#11 module (shared library).
        module: String,
        /// Label of the token holding the key.
        token: String,
        /// Label of the key object on the token.
        key_label: String,
    },
    /// A symmetric key in AWS KMS. Credentials and endpoint come from the usual AWS chain
    /// (environment, profiles, SSO, instance role; `AWS_ENDPOINT_URL` for an emulator).
    #[serde(rename = "aws-kms")]
    AwsKms {
        /// The key's ARN (`arn:aws:kms:REGION:ACCOUNT:key/ID`), never an alias: what KMS and
        /// the cloud check both name it by.
        key_arn: String,
        /// The region the key lives in.
        region: String,
    },
}

impl RootConfig {
    /// The secret a person or the environment must supply to open this root, if any.
    pub fn needs(&self) -> Option<RootSecret> {
        match self {
            RootConfig::File { .. } => None,
            RootConfig::Passphrase { .. } => Some(RootSecret::Passphrase),
            RootConfig::Pkcs11 { .. } => Some(RootSecret::Pin),
            RootConfig::AwsKms { .. } => None,
        }
    }

    /// The provider's name, as users write it (`file`, `passphrase`, `pkcs11`, `aws-kms`).
    pub fn provider(&self) -> &'static str {
        match self {
            RootConfig::File { .. } => "file",
            RootConfig::Passphrase { .. } => "passphrase",
            RootConfig::Pkcs11 { .. } => "pkcs11",
            RootConfig::AwsKms { .. } => "aws-kms",
        }
    }

    /// Which key of its provider this is, for people: the key file, the token and label,
    /// the KMS key ARN (a passphrase has nothing to name).
    pub fn key(&self) -> String {
        match self {
            RootConfig::File { path } => path.clone(),
            RootConfig::Passphrase { .. } => "passphrase".to_owned(),
            RootConfig::Pkcs11 {
                token, key_label, ..
            } => format!("token {token:?}, key {key_label:?}"),
            RootConfig::AwsKms { key_arn, .. } => key_arn.clone(),
        }
    }

    /// The provider and key, as messages name a root: `aws-kms arn:aws:kms:…`.
    pub fn describe(&self) -> String {
        match self {
            RootConfig::Passphrase { .. } => "passphrase".to_owned(),
            _ => format!("{} {}", self.provider(), self.key()),
        }
    }
}

/// A secret needed to open a root key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RootSecret {
    /// The passphrase (`PHIGUARD_PASSPHRASE`, or a prompt).
    Passphrase,
    /// The token's user PIN (`PHIGUARD_PKCS11_PIN`, or a prompt).
    Pin,
}

impl RootSecret {
    /// The environment variable that may hold it.
    pub fn env_var(self) -> &'static str {
        match self {
            RootSecret::Passphrase => "PHIGUARD_PASSPHRASE",
            RootSecret::Pin => "PHIGUARD_PKCS11_PIN",
        }
    }
}

/// Why a root key could not be created, opened, or used. Messages name what is wrong and
/// what to do, and never contain key material, passphrases or PINs.
#[derive(Debug, thiserror::Error)]
pub enum RootKeyError {
    #[error("the root key file {path} cannot be used: {reason}")]
    KeyFile { path: String, reason: String },

    /// A key file someone else could read, change or replace.
    #[error(transparent)]
    Unsafe(#[from] phiguard_home::UnsafePath),

    #[error(
        "the passphrase is wrong: it does not open the keys in this keyring (check for typos and keyboard layout; PHIGUARD_PASSPHRASE is used when set)"
    )]
    WrongPassphrase,

    #[error("{0}")]
    WeakPassphrase(String),

    #[error(
        "the root key does not open this wrapped secret: the keyring was written with another root key, or the wrapped secret was altered"
    )]
    WrongRootKey,

    #[error("the PKCS#11 module {module} cannot be loaded: {reason}")]
    ModuleUnavailable { module: String, reason: String },

    #[error("no PKCS#11 token labelled {token:?} is present (tokens found: {found})")]
    TokenNotFound { token: String, found: String },

    #[error("the token {token:?} refused the PIN: it is wrong")]
    PinIncorrect { token: String },

    #[error(
        "the token {token:?} has locked its user PIN after too many wrong attempts; its security officer must unlock it"
    )]
    PinLocked { token: String },

    #[error("the root key {key_label:?} is not on the token {token:?}")]
    KeyNotOnToken { token: String, key_label: String },

    #[error(
        "the token {token:?} already holds a key labelled {key_label:?}; refusing to create another"
    )]
    KeyExistsOnToken { token: String, key_label: String },

    /// A cloud KMS key could not be used: unreachable, refused, disabled, deleted.
    #[error("the KMS key {key} could not {action}: {reason}")]
    Kms {
        key: String,
        action: &'static str,
        reason: String,
    },

    #[error("the token {token:?} failed to {action}: {reason}")]
    Token {
        token: String,
        action: &'static str,
        reason: String,
    },

    /// The keyring's stored root settings are impossible (e.g. Argon2 parameters beyond any
    /// sane bound, a short salt): it was damaged or edited, and is refused before any of it
    /// is acted on.
    #[error(
        "the keyring's root key settings are damaged: {0}; restore the keyring from its backup"
    )]
    DamagedKeyring(String),

    /// Argon2 parameters given for a new keyring are out of bounds (a caller's mistake, not
    /// damage).
    #[error("{0}")]
    InvalidArgon2Params(String),

    /// aws-lc-rs refused an AES-256-GCM operation that cannot fail with valid inputs (a
    /// 32-byte key, a secret far below GCM's length limit); reported rather than panicking.
    #[error("AES-256-GCM failed to {action} in the crypto library")]
    Cipher { action: &'static str },

    #[error(transparent)]
    Random(#[from] crate::secret::RandomUnavailable),
}

/// Length of the random nonce (GCM IV) in front of every wrapped secret. 96 bits is GCM's
/// native IV size; random nonces are safe here because a root key wraps only a handful of
/// small secrets in its lifetime, far below the 2^32 messages where collisions matter.
const NONCE_LEN: usize = 12;

/// Length of the GCM tag at the end of every wrapped secret: the full 128 bits.
const TAG_LEN: usize = 16;

/// The software wrap shared by the `file` and `passphrase` providers: AES-256-GCM under
/// `key`, a fresh random nonce, `label` as associated data. Output: `nonce ‖ ciphertext ‖ tag`.
fn soft_wrap(key: &KeyBytes, label: &[u8], secret: &[u8]) -> Result<Vec<u8>, RootKeyError> {
    let cipher = soft_cipher(key, "wrap a secret")?;
    let nonce = random_array::<NONCE_LEN>()?;
    // Room for everything up front, so the plaintext copied in below is encrypted in place
    // and never left behind in a reallocated buffer.
    let mut out = Vec::with_capacity(NONCE_LEN + secret.len() + TAG_LEN);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(secret);
    let tag = cipher
        .seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(label),
            &mut out[NONCE_LEN..],
        )
        .map_err(|_| RootKeyError::Cipher {
            action: "wrap a secret",
        })?;
    out.extend_from_slice(tag.as_ref());
    Ok(out)
}

/// Reverses [`soft_wrap`]. Anything that does not authenticate under `key` and `label`
/// (another key, another label, altered or truncated bytes) is [`RootKeyError::WrongRootKey`]:
/// GCM cannot tell these apart, and none of them may yield plaintext.
fn soft_unwrap(
    key: &KeyBytes,
    label: &[u8],
    wrapped: &[u8],
) -> Result<Zeroizing<Vec<u8>>, RootKeyError> {
    if wrapped.len() < NONCE_LEN + TAG_LEN {
        return Err(RootKeyError::WrongRootKey);
    }
    let cipher = soft_cipher(key, "unwrap a secret")?;
    let (nonce, sealed) = wrapped.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| RootKeyError::WrongRootKey)?;
    let mut buffer = Zeroizing::new(sealed.to_vec());
    let plaintext_len = cipher
        .open_in_place(nonce, Aad::from(label), &mut buffer[..])
        .map_err(|_| RootKeyError::WrongRootKey)?
        .len();
    buffer.truncate(plaintext_len);
    Ok(buffer)
}

fn soft_cipher(key: &KeyBytes, action: &'static str) -> Result<LessSafeKey, RootKeyError> {
    UnboundKey::new(&AES_256_GCM, key.expose())
        .map(LessSafeKey::new)
        .map_err(|_| RootKeyError::Cipher { action })
}
