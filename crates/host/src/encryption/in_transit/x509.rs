//! Just enough of X.509 to inventory a server certificate: its subject, issuer and validity.
//!
//! The certificates come from whatever answers on a port, so this reader trusts nothing: every
//! length is checked against what is left, and anything unexpected is an error rather than a
//! panic or a guess. It does not verify signatures; nothing here is used to trust a peer.

use jiff::Timestamp;

/// What a server's leaf certificate says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateInfo {
    /// The subject as `CN=…, O=…` (common attributes only), or empty for an empty subject.
    pub subject: String,
    pub not_before: Timestamp,
    pub not_after: Timestamp,
    /// Whether the issuer name is the subject name, byte for byte: the certificate was signed
    /// by its own key, not by a certificate authority.
    pub self_signed: bool,
}

const SEQUENCE: u8 = 0x30;
const SET: u8 = 0x31;
const INTEGER: u8 = 0x02;
const OBJECT_IDENTIFIER: u8 = 0x06;
const UTC_TIME: u8 = 0x17;
const GENERALIZED_TIME: u8 = 0x18;
/// `[0] EXPLICIT Version` at the start of a v2 or v3 `TBSCertificate`.
const VERSION_TAG: u8 = 0xa0;

/// The name attributes worth showing, by the DER content of their object identifier (2.5.4.x).
const NAME_ATTRIBUTES: [(&[u8], &str); 6] = [
    (&[0x55, 0x04, 0x03], "CN"),
    (&[0x55, 0x04, 0x0b], "OU"),
    (&[0x55, 0x04, 0x0a], "O"),
    (&[0x55, 0x04, 0x07], "L"),
    (&[0x55, 0x04, 0x08], "ST"),
    (&[0x55, 0x04, 0x06], "C"),
];

/// Reads the subject, issuer and validity of a DER-encoded certificate.
pub fn parse_certificate(der: &[u8]) -> Result<CertificateInfo, String> {
    let (certificate, _) = Der(der).expect(SEQUENCE, "Certificate")?;
    let (tbs, _) = Der(certificate).expect(SEQUENCE, "TBSCertificate")?;
    let mut fields = Der(tbs);
    if fields.peek() == Some(VERSION_TAG) {
        fields.next_tlv()?;
    }
    fields.expect_into(INTEGER, "serialNumber")?;
    fields.expect_into(SEQUENCE, "signature algorithm")?;
    let issuer = fields.expect_into(SEQUENCE, "issuer")?;
    let validity = fields.expect_into(SEQUENCE, "validity")?;
    let subject = fields.expect_into(SEQUENCE, "subject")?;

    let mut validity = Der(validity);
    let not_before = validity.time("notBefore")?;
    let not_after = validity.time("notAfter")?;
    Ok(CertificateInfo {
        subject: describe_name(subject)?,
        not_before,
        not_after,
        self_signed: issuer == subject,
    })
}

/// `Name ::= SEQUENCE OF SET OF SEQUENCE { type OID, value ANY }` as `CN=…, O=…`, skipping
/// attributes not in [`NAME_ATTRIBUTES`] and values that are not text.
fn describe_name(name: &[u8]) -> Result<String, String> {
    let mut parts = Vec::new();
    let mut rdns = Der(name);
    while !rdns.is_empty() {
        let mut attributes = Der(rdns.expect_into(SET, "name component")?);
        while !attributes.is_empty() {
            let mut attribute = Der(attributes.expect_into(SEQUENCE, "name attribute")?);
            let oid = attribute.expect_into(OBJECT_IDENTIFIER, "attribute type")?;
            let (tag, value) = attribute.next_tlv()?;
            let label = NAME_ATTRIBUTES.iter().find(|(o, _)| *o == oid);
            if let (Some((_, label)), Some(text)) = (label, text_value(tag, value)) {
                parts.push(format!("{label}={text}"));
            }
        }
    }
    Ok(parts.join(", "))
}

/// The text of a directory-string value: UTF8String, PrintableString, IA5String, and
/// TeletexString (in practice Latin-1 or ASCII; non-ASCII bytes are replaced).
fn text_value(tag: u8, value: &[u8]) -> Option<String> {
    match tag {
        0x0c | 0x13 | 0x16 => std::str::from_utf8(value).ok().map(str::to_owned),
        0x14 => Some(String::from_utf8_lossy(value).into_owned()),
        _ => None,
    }
    .map(|text| text.chars().filter(|c| !c.is_control()).collect())
}

/// A cursor over a run of DER tag-length-value items.
struct Der<'a>(&'a [u8]);

impl<'a> Der<'a> {
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn peek(&self) -> Option<u8> {
        self.0.first().copied()
    }

    /// The next item's tag and content, advancing past it.
    fn next_tlv(&mut self) -> Result<(u8, &'a [u8]), String> {
        let [tag, first, rest @ ..] = self.0 else {
            return Err("truncated: expected a tag and a length".into());
        };
        if tag & 0x1f == 0x1f {
            return Err(format!("unsupported multi-byte tag {tag:#04x}"));
        }
        let (length, rest) = match *first {
            short @ 0..=0x7f => (usize::from(short), rest),
            0x80 => return Err("indefinite length is not DER".into()),
            long => {
                let count = usize::from(long & 0x7f);
                if count > 4 || rest.len() < count {
                    return Err(format!("length of {count} bytes is not supported"));
                }
                let (bytes, rest) = rest.split_at(count);
                let length = bytes
                    .iter()
                    .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
                (length, rest)
            }
        };
        if rest.len() < length {
            return Err(format!(
                "truncated: an item of {length} bytes with {} left",
                rest.len()
            ));
        }
        let (content, rest) = rest.split_at(length);
        self.0 = rest;
        Ok((*tag, content))
    }

    /// The next item, which must have tag `tag`; `what` names it in errors. Returns its
    /// content and what follows it.
    fn expect(mut self, tag: u8, what: &str) -> Result<(&'a [u8], &'a [u8]), String> {
        let content = self.expect_into(tag, what)?;
        Ok((content, self.0))
    }

    /// Like [`expect`](Self::expect), advancing this cursor instead.
    fn expect_into(&mut self, tag: u8, what: &str) -> Result<&'a [u8], String> {
        let (found, content) = self
            .next_tlv()
            .map_err(|e| format!("reading the {what}: {e}"))?;
        if found != tag {
            return Err(format!(
                "expected the {what} (tag {tag:#04x}), found tag {found:#04x}"
            ));
        }
        Ok(content)
    }

    /// A UTCTime (`YYMMDDHHMMSSZ`, years 1950–2049 per RFC 5280) or GeneralizedTime
    /// (`YYYYMMDDHHMMSSZ`).
    fn time(&mut self, what: &str) -> Result<Timestamp, String> {
        let (tag, content) = self
            .next_tlv()
            .map_err(|e| format!("reading {what}: {e}"))?;
        let text = std::str::from_utf8(content).map_err(|_| format!("{what} is not ASCII"))?;
        let digits = text
            .strip_suffix('Z')
            .filter(|d| d.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| format!("{what} {text:?} is not a UTC time"))?;
        let full = match (tag, digits.len()) {
            (UTC_TIME, 12) => {
                let century = if digits < "50" { "20" } else { "19" };
                format!("{century}{digits}")
            }
            (GENERALIZED_TIME, 14) => digits.to_owned(),
            _ => {
                return Err(format!(
                    "{what} {text:?} is not a UTCTime or GeneralizedTime"
                ));
            }
        };
        let iso = format!(
            "{}-{}-{}T{}:{}:{}Z",
            &full[0..4],
            &full[4..6],
            &full[6..8],
            &full[8..10],
            &full[10..12],
            &full[12..14]
        );
        iso.parse()
            .map_err(|e| format!("{what} {text:?} is not a valid time: {e}"))
    }
}
