//! Lowercase hex for hashes, salts and wrapped keys, written out so `core` needs no hex crate.
//!
//! Only the canonical form (lowercase digits) is accepted: a hash has exactly one spelling, so
//! two references to the same ledger leaf always compare equal as text too.

use serde::{Deserialize, Deserializer, Serializer};
use thiserror::Error;

const DIGITS: &[u8; 16] = b"0123456789abcdef";

/// Why a string is not a 32-byte hash in hex.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum HexError {
    #[error("a hash is 64 lowercase hex digits, found {0}")]
    Length(usize),
    #[error("hex text has an even number of digits, found {0}")]
    OddLength(usize),
    #[error("{found:?} at position {index} is not a lowercase hex digit (0-9, a-f)")]
    Digit { index: usize, found: char },
}

pub fn encode(bytes: &[u8]) -> String {
    bytes
        .iter()
        .flat_map(|b| [DIGITS[usize::from(b >> 4)], DIGITS[usize::from(b & 0xf)]])
        .map(char::from)
        .collect()
}

fn nibbles(s: &str) -> Result<Vec<u8>, HexError> {
    let nibble = |index: usize, found: char| match found {
        '0'..='9' => Ok(found as u8 - b'0'),
        'a'..='f' => Ok(found as u8 - b'a' + 10),
        _ => Err(HexError::Digit { index, found }),
    };
    s.chars().enumerate().map(|(i, c)| nibble(i, c)).collect()
}

pub fn decode32(s: &str) -> Result<[u8; 32], HexError> {
    let nibbles = nibbles(s)?;
    let mut out = [0u8; 32];
    if nibbles.len() != out.len() * 2 {
        return Err(HexError::Length(nibbles.len()));
    }
    for (byte, pair) in out.iter_mut().zip(nibbles.chunks_exact(2)) {
        *byte = pair[0] << 4 | pair[1];
    }
    Ok(out)
}

/// Any number of bytes, from an even number of lowercase hex digits.
pub fn decode(s: &str) -> Result<Vec<u8>, HexError> {
    let nibbles = nibbles(s)?;
    if nibbles.len() % 2 != 0 {
        return Err(HexError::OddLength(nibbles.len()));
    }
    Ok(nibbles
        .chunks_exact(2)
        .map(|pair| pair[0] << 4 | pair[1])
        .collect())
}

/// For `#[serde(with = "phiguard_core::hex")]` on a `[u8; 32]` field.
pub fn serialize<S: Serializer>(bytes: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&encode(bytes))
}

pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
    decode32(&String::deserialize(d)?).map_err(serde::de::Error::custom)
}

/// For `#[serde(with = "phiguard_core::hex::list")]` on a `Vec<[u8; 32]>` field (proofs).
pub mod list {
    use serde::ser::SerializeSeq;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(hashes: &[[u8; 32]], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(hashes.len()))?;
        for hash in hashes {
            seq.serialize_element(&super::encode(hash))?;
        }
        seq.end()
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<[u8; 32]>, D::Error> {
        Vec::<String>::deserialize(d)?
            .iter()
            .map(|text| super::decode32(text).map_err(serde::de::Error::custom))
            .collect()
    }
}

/// For `#[serde(with = "phiguard_core::hex::bytes")]` on a `Vec<u8>` field of any length.
pub mod bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        super::decode(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_byte_value() {
        let mut bytes = [0u8; 32];
        for start in (0..=255u8).step_by(32) {
            for (i, b) in bytes.iter_mut().enumerate() {
                *b = start.wrapping_add(i as u8);
            }
            let text = encode(&bytes);
            assert_eq!(text.len(), 64);
            assert_eq!(decode32(&text).unwrap(), bytes);
        }
        assert_eq!(encode(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
    }

    #[test]
    fn decodes_any_even_length() {
        assert_eq!(decode("").unwrap(), Vec::<u8>::new());
        assert_eq!(decode("000fa5ff").unwrap(), vec![0x00, 0x0f, 0xa5, 0xff]);
        assert_eq!(decode("abc"), Err(HexError::OddLength(3)));
        assert!(matches!(
            decode("0G"),
            Err(HexError::Digit { index: 1, .. })
        ));
    }

    #[test]
    fn rejects_wrong_length_and_non_canonical_digits() {
        let good = "ab".repeat(32);
        assert_eq!(decode32(&good[..62]), Err(HexError::Length(62)));
        assert_eq!(decode32(&format!("{good}00")), Err(HexError::Length(66)));
        assert_eq!(decode32(""), Err(HexError::Length(0)));
        let upper = format!("A{}", &good[1..]);
        assert_eq!(
            decode32(&upper),
            Err(HexError::Digit {
                index: 0,
                found: 'A'
            })
        );
        let err = decode32(&format!("{}g", &good[..63])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "'g' at position 63 is not a lowercase hex digit (0-9, a-f)"
        );
    }
}
