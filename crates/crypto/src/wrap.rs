//! Recipients of a data key: key-encryption keys (KEKs) of a keyring, and offline
//! break-glass keys. Each wraps the data key of one message into a header stanza.

use std::fmt;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::agreement::{self, PrivateKey, UnparsedPublicKey, X25519};
use aws_lc_rs::encoding::{AsBigEndian, Curve25519SeedBin};
use aws_lc_rs::hkdf;
use phiguard_core::hex;
use zeroize::Zeroizing;

use crate::envelope::KeyOpener;
use crate::error::{SealError, UnsealError};
use crate::format::{Header, Stanza};
use crate::secret::{KeyBytes, fill_random};

/// A key-encryption key: one version of a keyring's KEK, unwrapped and ready to use.
#[derive(Clone)]
pub struct Kek {
    keyring: [u8; 16],
    version: u32,
    key: KeyBytes,
}

impl fmt::Debug for Kek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Kek")
            .field("keyring", &hex::encode(&self.keyring))
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

impl Kek {
    pub fn new(keyring: [u8; 16], version: u32, key: KeyBytes) -> Kek {
        Kek {
            keyring,
            version,
            key,
        }
    }

    pub fn keyring(&self) -> [u8; 16] {
        self.keyring
    }

    pub fn version(&self) -> u32 {
        self.version
    }

    /// Binds a wrapped data key to its keyring, KEK version and message.
    fn aad(&self, message_id: &[u8; 32]) -> Vec<u8> {
        [
            b"phiguard v1 kek".as_slice(),
            &self.keyring,
            &self.version.to_be_bytes(),
            message_id,
        ]
        .concat()
    }

    pub(crate) fn wrap(
        &self,
        message_id: &[u8; 32],
        data_key: &KeyBytes,
    ) -> Result<Stanza, SealError> {
        let mut nonce = [0u8; NONCE_LEN];
        fill_random(&mut nonce)?;
        let mut wrapped = [0u8; 60];
        wrapped[..12].copy_from_slice(&nonce);
        wrapped[12..44].copy_from_slice(data_key.expose());
        let tag = gcm(&self.key)
            .map_err(|_| SealError::Cipher)?
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(self.aad(message_id)),
                &mut wrapped[12..44],
            )
            .map_err(|_| SealError::Cipher)?;
        wrapped[44..].copy_from_slice(tag.as_ref());
        Ok(Stanza::Kek {
            keyring: self.keyring,
            version: self.version,
            wrapped,
        })
    }

    pub(crate) fn unwrap(
        &self,
        message_id: &[u8; 32],
        wrapped: &[u8; 60],
    ) -> Result<KeyBytes, UnsealError> {
        let failed = || UnsealError::DataKeyUnwrap {
            recipient: format!("key-encryption key version {}", self.version),
        };
        let (nonce, sealed) = wrapped
            .split_first_chunk::<NONCE_LEN>()
            .ok_or_else(failed)?;
        let mut buffer = Zeroizing::new(sealed.to_vec());
        let plain = gcm(&self.key)
            .map_err(|_| failed())?
            .open_in_place(
                Nonce::assume_unique_for_key(*nonce),
                Aad::from(self.aad(message_id)),
                &mut buffer,
            )
            .map_err(|_| failed())?;
        KeyBytes::from_slice(plain).ok_or_else(failed)
    }
}

/// A single KEK opens what was wrapped for it (the keyring adds version choice and
/// retirement on top).
impl KeyOpener for Kek {
    fn open_data_key(&self, header: &Header) -> Result<(KeyBytes, String), UnsealError> {
        for stanza in &header.stanzas {
            if let Stanza::Kek {
                keyring,
                version,
                wrapped,
            } = stanza
                && *keyring == self.keyring
                && *version == self.version
            {
                return Ok((self.unwrap(&header.message_id, wrapped)?, stanza.describe()));
            }
        }
        Err(UnsealError::NoMatchingKey {
            sealed_for: describe_recipients(header),
            keyring: format!("{} (version {})", hex::encode(&self.keyring), self.version),
        })
    }
}

/// The recipients of a header, as people read them.
pub(crate) fn describe_recipients(header: &Header) -> String {
    header
        .stanzas
        .iter()
        .map(Stanza::describe)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The public half of a break-glass key: enrolled in the keyring so every seal also wraps
/// the data key for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BreakGlassPublic {
    pub id: [u8; 16],
    pub public: [u8; 32],
}

/// The private half of a break-glass key: kept offline (printed, in a safe) for emergency
/// access when the root key is unavailable (164.312(a)(2)(ii)).
pub struct BreakGlassSecret {
    id: [u8; 16],
    private: KeyBytes,
}

impl fmt::Debug for BreakGlassSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BreakGlassSecret")
            .field("id", &hex::encode(&self.id))
            .finish_non_exhaustive()
    }
}

const BREAK_GLASS_PREFIX: &str = "PHIGUARD-BREAK-GLASS-KEY-1-";

impl BreakGlassSecret {
    pub fn generate() -> Result<BreakGlassSecret, SealError> {
        let mut id = [0u8; 16];
        fill_random(&mut id)?;
        let key = PrivateKey::generate(&X25519).map_err(|_| SealError::Cipher)?;
        let seed: Curve25519SeedBin<'_> = key.as_be_bytes().map_err(|_| SealError::Cipher)?;
        let private = KeyBytes::from_slice(seed.as_ref()).ok_or(SealError::Cipher)?;
        Ok(BreakGlassSecret { id, private })
    }

    pub fn id(&self) -> [u8; 16] {
        self.id
    }

    pub fn public(&self) -> Result<BreakGlassPublic, String> {
        let public = self
            .private_key()?
            .compute_public_key()
            .map_err(|_| "the break-glass key cannot compute its public key".to_owned())?;
        let public: [u8; 32] = public
            .as_ref()
            .try_into()
            .map_err(|_| "the break-glass public key has the wrong length".to_owned())?;
        Ok(BreakGlassPublic {
            id: self.id,
            public,
        })
    }

    fn private_key(&self) -> Result<PrivateKey, String> {
        PrivateKey::from_private_key(&X25519, self.private.expose())
            .map_err(|_| "the break-glass key is not a valid X25519 key".to_owned())
    }

    /// The text form, one line, for the file kept offline.
    pub fn to_text(&self) -> Zeroizing<String> {
        Zeroizing::new(format!(
            "{BREAK_GLASS_PREFIX}{}-{}",
            hex::encode(&self.id),
            hex::encode(self.private.expose())
        ))
    }

    /// Parses the text form; comment lines (`#`) and blank lines around it are ignored.
    /// The error never repeats the text, which holds the key.
    pub fn from_text(text: &str) -> Result<BreakGlassSecret, String> {
        let line = text
            .lines()
            .map(str::trim)
            .find(|line| !line.is_empty() && !line.starts_with('#'))
            .ok_or("the break-glass key file holds no key line")?;
        let rest = line.strip_prefix(BREAK_GLASS_PREFIX).ok_or(
            "this is not a phiguard break-glass key (it should start with PHIGUARD-BREAK-GLASS-KEY-1-)",
        )?;
        let (id, private) = rest
            .split_once('-')
            .ok_or("the break-glass key line is damaged (no separator after the key id)")?;
        let id: [u8; 16] = hex::decode(id)
            .ok()
            .and_then(|id| id.try_into().ok())
            .ok_or("the break-glass key id is damaged")?;
        let private = Zeroizing::new(
            hex::decode(private).map_err(|_| "the break-glass key line is damaged")?,
        );
        let private =
            KeyBytes::from_slice(&private).ok_or("the break-glass key has the wrong length")?;
        let secret = BreakGlassSecret { id, private };
        secret.private_key()?;
        Ok(secret)
    }
}

impl BreakGlassPublic {
    pub(crate) fn wrap(
        &self,
        message_id: &[u8; 32],
        data_key: &KeyBytes,
    ) -> Result<Stanza, SealError> {
        let ephemeral = PrivateKey::generate(&X25519).map_err(|_| SealError::Cipher)?;
        let ephemeral_public: [u8; 32] = ephemeral
            .compute_public_key()
            .map_err(|_| SealError::Cipher)?
            .as_ref()
            .try_into()
            .map_err(|_| SealError::Cipher)?;
        let key = break_glass_key(
            &ephemeral,
            &self.public,
            &ephemeral_public,
            &self.public,
            &self.id,
            message_id,
        )
        .map_err(|_| SealError::Cipher)?;
        let mut wrapped = [0u8; 48];
        wrapped[..32].copy_from_slice(data_key.expose());
        // The wrapping key is derived from a fresh ephemeral key, so it is used exactly once
        // and a fixed nonce is safe.
        let tag = gcm(&key)
            .map_err(|_| SealError::Cipher)?
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key([0; NONCE_LEN]),
                Aad::from(message_id),
                &mut wrapped[..32],
            )
            .map_err(|_| SealError::Cipher)?;
        wrapped[32..].copy_from_slice(tag.as_ref());
        Ok(Stanza::BreakGlass {
            key_id: self.id,
            ephemeral: ephemeral_public,
            wrapped,
        })
    }
}

impl KeyOpener for BreakGlassSecret {
    fn open_data_key(&self, header: &Header) -> Result<(KeyBytes, String), UnsealError> {
        let public = self.public().map_err(|_| UnsealError::NotARecipient {
            key: hex::encode(&self.id),
        })?;
        for stanza in &header.stanzas {
            let Stanza::BreakGlass {
                key_id,
                ephemeral,
                wrapped,
            } = stanza
            else {
                continue;
            };
            if *key_id != self.id {
                continue;
            }
            let failed = || UnsealError::DataKeyUnwrap {
                recipient: stanza.describe(),
            };
            let private = self.private_key().map_err(|_| failed())?;
            let key = break_glass_key(
                &private,
                ephemeral,
                ephemeral,
                &public.public,
                &self.id,
                &header.message_id,
            )
            .map_err(|_| failed())?;
            let mut buffer = Zeroizing::new(wrapped.to_vec());
            let plain = gcm(&key)
                .map_err(|_| failed())?
                .open_in_place(
                    Nonce::assume_unique_for_key([0; NONCE_LEN]),
                    Aad::from(&header.message_id),
                    &mut buffer,
                )
                .map_err(|_| failed())?;
            return Ok((
                KeyBytes::from_slice(plain).ok_or_else(failed)?,
                stanza.describe(),
            ));
        }
        Err(UnsealError::NotARecipient {
            key: hex::encode(&self.id),
        })
    }
}

/// The break-glass wrapping key, from either side of the agreement: the sender's ephemeral
/// key with the recipient's public key, or the recipient's key with the ephemeral public key.
fn break_glass_key(
    private: &PrivateKey,
    peer_public: &[u8; 32],
    ephemeral_public: &[u8; 32],
    recipient_public: &[u8; 32],
    key_id: &[u8; 16],
    message_id: &[u8; 32],
) -> Result<KeyBytes, aws_lc_rs::error::Unspecified> {
    agreement::agree(
        private,
        UnparsedPublicKey::new(&X25519, peer_public),
        aws_lc_rs::error::Unspecified,
        |shared| {
            derive_wrap_key(
                shared,
                ephemeral_public,
                recipient_public,
                key_id,
                message_id,
            )
        },
    )
}

/// HKDF-SHA256 over the shared secret, salted with both public keys (as age does), bound to
/// the key id and the message.
fn derive_wrap_key(
    shared: &[u8],
    ephemeral_public: &[u8; 32],
    recipient_public: &[u8; 32],
    key_id: &[u8; 16],
    message_id: &[u8; 32],
) -> Result<KeyBytes, aws_lc_rs::error::Unspecified> {
    // An all-zero agreement means a low-order public key: refuse it.
    if shared.iter().all(|b| *b == 0) {
        return Err(aws_lc_rs::error::Unspecified);
    }
    let salt = [&ephemeral_public[..], &recipient_public[..]].concat();
    let info: [&[u8]; 3] = [b"phiguard v1 break-glass", key_id, message_id];
    expand(
        &hkdf::Salt::new(hkdf::HKDF_SHA256, &salt).extract(shared),
        &info,
    )
}

/// 32 bytes of HKDF-Expand output.
pub(crate) fn expand(
    prk: &hkdf::Prk,
    info: &[&[u8]],
) -> Result<KeyBytes, aws_lc_rs::error::Unspecified> {
    let mut out = KeyBytes::zeroed();
    prk.expand(info, hkdf::HKDF_SHA256)?
        .fill(out.expose_mut())?;
    Ok(out)
}

pub(crate) fn gcm(key: &KeyBytes) -> Result<LessSafeKey, aws_lc_rs::error::Unspecified> {
    Ok(LessSafeKey::new(UnboundKey::new(
        &AES_256_GCM,
        key.expose(),
    )?))
}
