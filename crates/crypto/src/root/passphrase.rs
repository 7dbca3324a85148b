//! The `passphrase` root key provider: the root key is derived with Argon2id from a passphrase
//! a person types (or `PHIGUARD_PASSPHRASE`), with a random salt and the cost parameters
//! stored in the keyring.
//!
//! Nothing secret is stored: whoever copies the keyring still has to guess the passphrase,
//! and Argon2id makes each guess cost memory and time.

use argon2::{Algorithm, Argon2, Params, Version};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::{RootConfig, RootKey, RootKeyError, soft_unwrap, soft_wrap};
use crate::secret::{KEY_LEN, KeyBytes, random_array};

/// Argon2id cost parameters, stored in the keyring beside the salt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Argon2Params {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Passes over memory.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

/// Upper bounds on stored parameters. A keyring is a file someone could edit; without bounds
/// an edited keyring could make phiguard allocate unbounded memory or spin for hours before
/// the passphrase is even checked. The bounds sit far above any sensible setting.
const MAX_MEMORY_KIB: u32 = 4 * 1024 * 1024; // 4 GiB
const MAX_ITERATIONS: u32 = 64;
const MAX_PARALLELISM: u32 = 16;

impl Argon2Params {
    /// The cost for new keyrings: RFC 9106 §4's second recommended option ("uniformly safe"
    /// when much less than 2 GiB of memory is available): Argon2id with 64 MiB of memory,
    /// 3 passes and 4 lanes. Measured at about 0.18 s per derivation in a release build on
    /// the development machine (the lanes run one after another: the `argon2` crate is built
    /// without threads), paid once per command. The first recommendation (2 GiB of memory)
    /// would not fit a small server.
    pub const RECOMMENDED: Argon2Params = Argon2Params {
        memory_kib: 64 * 1024,
        iterations: 3,
        parallelism: 4,
    };

    /// The parameters as the `argon2` crate wants them (with a 32-byte output), after the
    /// bounds check; the reason for a refusal otherwise.
    fn checked(&self) -> Result<Params, String> {
        if self.memory_kib > MAX_MEMORY_KIB {
            return Err(format!(
                "Argon2 memory of {} KiB is over the {MAX_MEMORY_KIB} KiB (4 GiB) limit",
                self.memory_kib
            ));
        }
        if self.iterations > MAX_ITERATIONS {
            return Err(format!(
                "{} Argon2 iterations is over the limit of {MAX_ITERATIONS}",
                self.iterations
            ));
        }
        if self.parallelism > MAX_PARALLELISM {
            return Err(format!(
                "{} Argon2 lanes is over the limit of {MAX_PARALLELISM}",
                self.parallelism
            ));
        }
        Params::new(
            self.memory_kib,
            self.iterations,
            self.parallelism,
            Some(KEY_LEN),
        )
        .map_err(|e| {
            format!(
                "Argon2 parameters (memory {} KiB, {} iterations, {} lanes) are invalid: {e}",
                self.memory_kib, self.iterations, self.parallelism
            )
        })
    }
}

/// A root key derived from a passphrase. `Debug` shows nothing of the key or the passphrase
/// (the passphrase is not kept at all, and [`KeyBytes`] is redacted).
#[derive(Debug)]
pub struct PassphraseRoot {
    key: KeyBytes,
}

impl PassphraseRoot {
    /// Shortest passphrase accepted for a new keyring, in characters. A keyring copied off a
    /// machine can be attacked offline at leisure; Argon2id makes each guess expensive but
    /// cannot save a short passphrase, so twelve characters is the floor.
    pub const MIN_PASSPHRASE_CHARS: usize = 12;

    /// Length of the random salt made for a new keyring: 128 bits, as RFC 9106 recommends.
    /// Stored salts shorter than this are refused as damage.
    pub const SALT_LEN: usize = 16;

    /// Sets up a passphrase root for a new keyring: checks the passphrase is long enough,
    /// draws a fresh salt and derives the key. Returns the config to store in the keyring.
    ///
    /// Callers pass [`Argon2Params::RECOMMENDED`]; tests pass small parameters to stay fast.
    pub fn create(
        passphrase: &str,
        params: Argon2Params,
    ) -> Result<(RootConfig, PassphraseRoot), RootKeyError> {
        let chars = passphrase.chars().count();
        if chars == 0 {
            return Err(RootKeyError::WeakPassphrase(format!(
                "the passphrase is empty; choose one of at least {} characters",
                Self::MIN_PASSPHRASE_CHARS
            )));
        }
        if chars < Self::MIN_PASSPHRASE_CHARS {
            return Err(RootKeyError::WeakPassphrase(format!(
                "the passphrase is too short: it has {chars} characters and must have at least \
                 {} (a few unrelated words make a long one that is easy to remember)",
                Self::MIN_PASSPHRASE_CHARS
            )));
        }
        let argon2_params = params.checked().map_err(|reason| {
            RootKeyError::InvalidArgon2Params(format!("cannot create the keyring: {reason}"))
        })?;
        let salt = random_array::<{ Self::SALT_LEN }>()?;
        let key = derive(passphrase, &salt, argon2_params).map_err(|e| {
            RootKeyError::InvalidArgon2Params(format!("Argon2id refused its inputs: {e}"))
        })?;
        let config = RootConfig::Passphrase {
            salt: salt.to_vec(),
            params,
        };
        Ok((config, PassphraseRoot { key }))
    }

    /// Derives the root key from `passphrase` and the salt and parameters stored in the
    /// keyring. A wrong passphrase is not detected here (nothing stored could tell) but by
    /// the first unwrap, which then fails with [`RootKeyError::WrongPassphrase`].
    ///
    /// Stored parameters beyond sane bounds, or a salt shorter than 16 bytes, mean the
    /// keyring is damaged or was edited: refused before any memory is allocated.
    pub fn open(
        passphrase: &str,
        salt: &[u8],
        params: Argon2Params,
    ) -> Result<PassphraseRoot, RootKeyError> {
        if salt.len() < Self::SALT_LEN {
            return Err(RootKeyError::DamagedKeyring(format!(
                "the passphrase salt is {} bytes, shorter than the {} phiguard writes",
                salt.len(),
                Self::SALT_LEN
            )));
        }
        let argon2_params = params.checked().map_err(RootKeyError::DamagedKeyring)?;
        // No keyring was ever made with an empty passphrase, so it cannot be the right one;
        // saying so at once spares an Argon2 run.
        if passphrase.is_empty() {
            return Err(RootKeyError::WrongPassphrase);
        }
        let key = derive(passphrase, salt, argon2_params).map_err(|e| {
            RootKeyError::DamagedKeyring(format!("Argon2id refused the stored settings: {e}"))
        })?;
        Ok(PassphraseRoot { key })
    }
}

/// Argon2id, version 0x13, 32-byte output, straight into zeroised memory.
fn derive(passphrase: &str, salt: &[u8], params: Params) -> Result<KeyBytes, argon2::Error> {
    let mut out = Zeroizing::new([0u8; KEY_LEN]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params).hash_password_into(
        passphrase.as_bytes(),
        salt,
        out.as_mut(),
    )?;
    Ok(KeyBytes::from_array(*out))
}

impl RootKey for PassphraseRoot {
    fn wrap(&self, label: &[u8], secret: &[u8]) -> Result<Vec<u8>, RootKeyError> {
        soft_wrap(&self.key, label, secret)
    }

    /// With a passphrase root, a secret that does not authenticate almost always means the
    /// passphrase was mistyped, so the error says that rather than "wrong root key".
    fn unwrap(&self, label: &[u8], wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>, RootKeyError> {
        soft_unwrap(&self.key, label, wrapped).map_err(|e| match e {
            RootKeyError::WrongRootKey => RootKeyError::WrongPassphrase,
            other => other,
        })
    }
}
