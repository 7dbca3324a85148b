//! Pseudonyms for identifiers (medical record numbers, names, SSNs): HMAC-SHA256 with a key
//! from the keyring. The same identifier always gives the same pseudonym within one
//! installation, so records can be joined and searched ("hash a known value to find it"),
//! but nobody without the key can reverse or even test a guess.

use std::fmt;

use aws_lc_rs::hmac;
use phiguard_core::hex;

use crate::secret::KeyBytes;

/// Makes pseudonyms with one installation's key.
pub struct Pseudonymizer {
    key: hmac::Key,
}

impl fmt::Debug for Pseudonymizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pseudonymizer(key redacted)")
    }
}

/// Why an identifier cannot be pseudonymised. The message never repeats the identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PseudonymError {
    #[error(
        "the identifier kind {0:?} is not valid: use a lowercase name such as mrn, ssn, name, email or member_id"
    )]
    Kind(String),

    #[error("the {kind} is empty once surrounding spaces are removed")]
    Empty { kind: String },

    #[error(
        "a US social security number has 9 digits; this one has {digits} (dashes and spaces are ignored)"
    )]
    Ssn { digits: usize },
}

impl Pseudonymizer {
    pub fn new(key: KeyBytes) -> Pseudonymizer {
        Pseudonymizer {
            key: hmac::Key::new(hmac::HMAC_SHA256, key.expose()),
        }
    }

    /// The pseudonym of `value` as an identifier of `kind`: `hmac:` and 64 hex digits.
    ///
    /// The kind separates domains (the same digits as an MRN and as a phone number give
    /// different pseudonyms), and the value is normalised first so trivial differences in
    /// how it was typed do not split one person into two: surrounding spaces are removed
    /// for every kind; `ssn` keeps only its digits; `name` and `email` ignore case and runs
    /// of spaces.
    pub fn pseudonym(&self, kind: &str, value: &str) -> Result<String, PseudonymError> {
        let valid_kind = !kind.is_empty()
            && kind.len() <= 64
            && kind
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.');
        if !valid_kind {
            return Err(PseudonymError::Kind(kind.to_owned()));
        }
        let normalised = normalise(kind, value)?;
        let mut context = hmac::Context::with_key(&self.key);
        context.update(b"phiguard pseudonym v1\0");
        context.update(kind.as_bytes());
        context.update(b"\0");
        context.update(normalised.as_bytes());
        Ok(format!("hmac:{}", hex::encode(context.sign().as_ref())))
    }
}

fn normalise(kind: &str, value: &str) -> Result<String, PseudonymError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(PseudonymError::Empty {
            kind: kind.to_owned(),
        });
    }
    Ok(match kind {
        "ssn" => {
            let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
            let others = trimmed
                .chars()
                .any(|c| !c.is_ascii_digit() && c != '-' && c != ' ');
            if digits.len() != 9 || others {
                return Err(PseudonymError::Ssn {
                    digits: digits.len(),
                });
            }
            digits
        }
        "name" | "email" => trimmed
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase(),
        _ => trimmed.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_key(byte: u8) -> Pseudonymizer {
        Pseudonymizer::new(KeyBytes::from_array([byte; 32]))
    }

    #[test]
    fn same_input_same_pseudonym_and_kinds_are_separate() {
        let p = with_key(1);
        let a = p.pseudonym("mrn", "MRN-0042").unwrap();
        assert_eq!(a, p.pseudonym("mrn", " MRN-0042 ").unwrap());
        assert_ne!(a, p.pseudonym("mrn", "MRN-0043").unwrap());
        assert_ne!(a, p.pseudonym("member_id", "MRN-0042").unwrap());
        assert!(a.starts_with("hmac:") && a.len() == 5 + 64, "{a}");
    }

    #[test]
    fn another_installation_key_gives_other_pseudonyms() {
        assert_ne!(
            with_key(1).pseudonym("ssn", "123-45-6789").unwrap(),
            with_key(2).pseudonym("ssn", "123-45-6789").unwrap()
        );
    }

    #[test]
    fn matches_hmac_sha256_computed_independently() {
        // python3 -c "import hmac,hashlib; print(hmac.new(b'\x01'*32,
        //   b'phiguard pseudonym v1\x00mrn\x00A1', hashlib.sha256).hexdigest())"
        assert_eq!(
            with_key(1).pseudonym("mrn", "A1").unwrap(),
            "hmac:3c1873525d1d9de57d6d25bd97d2d9ab2a78e35348c63a6d7e85c254530dca32"
        );
    }

    #[test]
    fn normalises_ssn_names_and_emails() {
        let p = with_key(3);
        assert_eq!(
            p.pseudonym("ssn", "123-45-6789").unwrap(),
            p.pseudonym("ssn", "123456789").unwrap()
        );
        assert_eq!(
            p.pseudonym("name", "Jane  DOE").unwrap(),
            p.pseudonym("name", " jane doe").unwrap()
        );
        assert_eq!(
            p.pseudonym("email", "Jane@Example.org").unwrap(),
            p.pseudonym("email", "jane@example.org").unwrap()
        );
        // Case matters for record numbers, which some systems treat as case-sensitive.
        assert_ne!(
            p.pseudonym("mrn", "ab1").unwrap(),
            p.pseudonym("mrn", "AB1").unwrap()
        );
    }

    #[test]
    fn bad_input_is_refused_without_echoing_it() {
        let p = with_key(4);
        let err = p.pseudonym("ssn", "123-45-678").unwrap_err();
        assert_eq!(err, PseudonymError::Ssn { digits: 8 });
        assert!(!err.to_string().contains("678"));
        assert!(matches!(
            p.pseudonym("ssn", "12a-45-6789"),
            Err(PseudonymError::Ssn { .. })
        ));
        assert!(matches!(
            p.pseudonym("MRN", "1"),
            Err(PseudonymError::Kind(_))
        ));
        assert!(matches!(
            p.pseudonym("mrn", "   "),
            Err(PseudonymError::Empty { .. })
        ));
    }

    #[test]
    fn debug_hides_the_key() {
        assert_eq!(format!("{:?}", with_key(9)), "Pseudonymizer(key redacted)");
    }
}
