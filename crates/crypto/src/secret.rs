//! Key material in memory: zeroised when dropped, never printed.

use std::fmt;

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use zeroize::Zeroizing;

/// Length of every symmetric key in the hierarchy: root, KEKs, data keys.
pub const KEY_LEN: usize = 32;

/// A 256-bit symmetric key. The bytes are wiped when the value is dropped, and `Debug`
/// never shows them, so a key cannot leak through a log line or an error message.
#[derive(Clone)]
pub struct KeyBytes(Zeroizing<[u8; KEY_LEN]>);

impl KeyBytes {
    /// A fresh key from the operating system's random source.
    pub fn generate() -> Result<KeyBytes, RandomUnavailable> {
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        fill_random(bytes.as_mut())?;
        Ok(KeyBytes(bytes))
    }

    /// Takes a key from a slice, which must be exactly [`KEY_LEN`] bytes.
    pub fn from_slice(bytes: &[u8]) -> Option<KeyBytes> {
        let array: [u8; KEY_LEN] = bytes.try_into().ok()?;
        Some(KeyBytes(Zeroizing::new(array)))
    }

    pub fn from_array(bytes: [u8; KEY_LEN]) -> KeyBytes {
        KeyBytes(Zeroizing::new(bytes))
    }

    pub fn expose(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    /// An all-zero key to be filled in place, so the key never exists in an unwiped copy.
    pub(crate) fn zeroed() -> KeyBytes {
        KeyBytes(Zeroizing::new([0u8; KEY_LEN]))
    }

    pub(crate) fn expose_mut(&mut self) -> &mut [u8; KEY_LEN] {
        &mut self.0
    }
}

impl fmt::Debug for KeyBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyBytes(redacted)")
    }
}

/// The operating system's random source failed: nothing can be encrypted safely.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "the operating system's random number generator failed; no key or nonce can be made safely"
)]
pub struct RandomUnavailable;

/// Fills `out` from the operating system's random source.
pub fn fill_random(out: &mut [u8]) -> Result<(), RandomUnavailable> {
    SystemRandom::new().fill(out).map_err(|_| RandomUnavailable)
}

/// `N` random bytes.
pub fn random_array<const N: usize>() -> Result<[u8; N], RandomUnavailable> {
    let mut out = [0u8; N];
    fill_random(&mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_key_bytes() {
        let key = KeyBytes::from_array([0xab; KEY_LEN]);
        let shown = format!("{key:?}");
        assert!(!shown.to_lowercase().contains("ab"), "{shown}");
        assert!(shown.contains("redacted"));
    }

    #[test]
    fn generated_keys_differ() {
        let a = KeyBytes::generate().unwrap();
        let b = KeyBytes::generate().unwrap();
        assert_ne!(a.expose(), b.expose());
    }

    #[test]
    fn from_slice_wants_exactly_32_bytes() {
        assert!(KeyBytes::from_slice(&[0; 31]).is_none());
        assert!(KeyBytes::from_slice(&[0; 33]).is_none());
        assert!(KeyBytes::from_slice(&[7; 32]).is_some());
    }
}
