//! Ledger entries: evidence encoded as canonical JSON.
//!
//! The ledger stores and hashes the exact bytes produced here, and verification hashes the
//! stored bytes, never a re-encoding. Canonical form still matters: the same evidence always
//! gives the same bytes, so anyone can recompute a leaf hash from the evidence they hold.
//! The form is compact JSON with object keys sorted by their UTF-8 bytes, at every depth.
//! It is written by hand rather than by `serde_json::to_string`, whose key order depends on
//! whether any crate in the build enables serde_json's `preserve_order` feature.

use phiguard_core::Evidence;
use serde_json::Value;

use crate::LedgerError;

/// The largest entry the ledger takes, in bytes: evidence is a record of an observation, and
/// anything larger (a file, a database dump) belongs outside, recorded by its SHA-256. The
/// limit also bounds what reading a bundle or a body can allocate.
pub const MAX_ENTRY_BYTES: usize = 16 * 1024 * 1024;

/// Encodes evidence as a canonical ledger entry.
///
/// The envelope's keys (`body`, `kind`, `source`, `time`, and `actor`, `agent`, `host` inside
/// `source`) are written directly in their sorted order, so only the body, the one part whose
/// keys are not known here, goes through the general canonical writer. The result is the
/// same as canonicalising the whole evidence as a JSON value (a test holds it to that).
pub fn encode(evidence: &Evidence) -> Result<String, LedgerError> {
    validate_kind(&evidence.kind)?;
    let mut out = String::with_capacity(256);
    out.push_str("{\"body\":");
    write_canonical(&evidence.body, &mut out);
    out.push_str(",\"kind\":");
    write_string(&evidence.kind, &mut out);
    out.push_str(",\"source\":{\"actor\":");
    write_optional_string(evidence.source.actor.as_deref(), &mut out);
    out.push_str(",\"agent\":");
    write_string(&evidence.source.agent, &mut out);
    out.push_str(",\"host\":");
    write_optional_string(evidence.source.host.as_deref(), &mut out);
    out.push_str("},\"time\":");
    write_string(&evidence.time.to_string(), &mut out);
    out.push('}');
    if out.len() > MAX_ENTRY_BYTES {
        return Err(LedgerError::BadEntry {
            reason: format!(
                "it is {} bytes, more than the {MAX_ENTRY_BYTES} bytes a ledger entry may hold; \
                 keep large evidence as a file and record its SHA-256",
                out.len()
            ),
        });
    }
    Ok(out)
}

fn write_optional_string(value: Option<&str>, out: &mut String) {
    match value {
        Some(text) => write_string(text, out),
        None => out.push_str("null"),
    }
}

/// Parses a body given from outside (a command line, a file, a line of a stream) as JSON,
/// refusing an object with the same key twice: JSON parsers disagree on which of the two
/// wins, so evidence that says two things must not be recorded as saying one. The text is
/// expected to be bounded by the caller (see [`MAX_ENTRY_BYTES`]).
pub fn parse_body(text: &str) -> Result<Value, LedgerError> {
    use serde::Deserialize;
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let value = Strict::deserialize(&mut deserializer)
        .and_then(|strict| deserializer.end().map(|()| strict.0))
        .map_err(|e| LedgerError::BadEntry {
            reason: format!("the body is not valid JSON ({e})"),
        })?;
    Ok(value)
}

/// A JSON value read with duplicate object keys refused.
struct Strict(Value);

impl<'de> serde::Deserialize<'de> for Strict {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Strict, D::Error> {
        deserializer.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> serde::de::Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Value, E> {
        serde_json::Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("a number must be finite"))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(Strict(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let Strict(value) = map.next_value()?;
            if object.contains_key(&key) {
                return Err(serde::de::Error::custom(format_args!(
                    "the key {key:?} appears twice in one object"
                )));
            }
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

/// Decodes a stored entry back into evidence (for display; verification never needs this).
pub fn decode(entry: &str) -> Result<Evidence, LedgerError> {
    serde_json::from_str(entry).map_err(|e| LedgerError::BadEntry {
        reason: format!("a stored entry is not valid evidence JSON: {e}"),
    })
}

/// Entry kinds are dotted lowercase names such as `host.packages` or `register.vendor`, so they
/// can be grouped by prefix and never carry free text (which could carry PHI).
pub fn validate_kind(kind: &str) -> Result<(), LedgerError> {
    let valid = !kind.is_empty()
        && kind.len() <= 64
        && kind.split('.').all(|segment| {
            segment.starts_with(|c: char| c.is_ascii_lowercase())
                && segment
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        });
    if valid {
        Ok(())
    } else {
        Err(LedgerError::BadEntry {
            reason: format!(
                "the kind {kind:?} is not a dotted lowercase name like host.packages or \
                 register.vendor (letters, digits and _, each part starting with a letter)"
            ),
        })
    }
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_unstable();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(key, out);
                out.push(':');
                write_canonical(&map[key], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        Value::String(s) => write_string(s, out),
        // Null, booleans and numbers have one compact spelling in serde_json.
        other => out.push_str(&other.to_string()),
    }
}

/// Writes a JSON string exactly as serde_json does: `"` and `\` escaped, the control
/// characters below U+0020 as `\b \t \n \f \r` or `\u00XX` (lowercase hex), everything else
/// as is.
fn write_string(s: &str, out: &mut String) {
    out.reserve(s.len() + 2);
    out.push('"');
    let mut clean_from = 0;
    for (at, byte) in s.bytes().enumerate() {
        let escape = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0x00..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[clean_from..at]);
        if escape.is_empty() {
            out.push_str(&format!("\\u{byte:04x}"));
        } else {
            out.push_str(escape);
        }
        clean_from = at + 1;
    }
    out.push_str(&s[clean_from..]);
    out.push('"');
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_body_with_a_key_twice_is_refused_at_any_depth() {
        assert!(super::parse_body(r#"{"a":1,"b":{"c":[1,{"d":null}]}}"#).is_ok());
        for text in [
            r#"{"result":"ok","result":"failed"}"#,
            r#"{"outer":{"k":1,"k":2}}"#,
            r#"[{"x":true,"x":true}]"#,
        ] {
            let err = super::parse_body(text).unwrap_err().to_string();
            assert!(err.contains("appears twice"), "{text}: {err}");
        }
        assert!(super::parse_body("{} trailing").is_err());
        assert!(super::parse_body("").is_err());
        // Numbers keep their kind.
        let value = super::parse_body(r#"{"n":-3,"u":18446744073709551615,"f":1.5}"#).unwrap();
        assert_eq!(value["n"], -3);
        assert_eq!(value["u"], u64::MAX);
        assert_eq!(value["f"], 1.5);
    }

    #[test]
    fn an_entry_over_the_limit_is_refused() {
        let evidence = phiguard_core::Evidence {
            kind: "test.big".into(),
            time: "2026-11-28T10:00:00Z".parse().unwrap(),
            source: phiguard_core::Source {
                host: None,
                agent: "phiguard/test".into(),
                actor: None,
            },
            body: serde_json::Value::String("x".repeat(super::MAX_ENTRY_BYTES)),
        };
        let err = super::encode(&evidence).unwrap_err().to_string();
        assert!(err.contains("16777216 bytes"), "{err}");
    }

    use super::*;
    use phiguard_core::Source;
    use serde_json::json;

    fn evidence(body: Value) -> Evidence {
        Evidence {
            kind: "host.packages".into(),
            time: "2026-11-28T10:00:00Z".parse().unwrap(),
            source: Source {
                host: Some("db-01".into()),
                agent: "phiguard/0.1.0".into(),
                actor: None,
            },
            body,
        }
    }

    #[test]
    fn keys_are_sorted_at_every_depth_and_output_is_compact() {
        let text = encode(&evidence(
            json!({"z": 1, "a": {"y": [true, null], "b": "x\n\"q\""}}),
        ))
        .unwrap();
        assert_eq!(
            text,
            r#"{"body":{"a":{"b":"x\n\"q\"","y":[true,null]},"z":1},"kind":"host.packages","source":{"actor":null,"agent":"phiguard/0.1.0","host":"db-01"},"time":"2026-11-28T10:00:00Z"}"#
        );
        assert!(
            !text.contains('\n'),
            "entries are one line, so bundles can be line-based"
        );
    }

    #[test]
    fn encoding_is_stable_across_key_insertion_order() {
        let a = encode(&evidence(json!({"first": 1, "second": 2}))).unwrap();
        let mut map = serde_json::Map::new();
        map.insert("second".into(), json!(2));
        map.insert("first".into(), json!(1));
        let b = encode(&evidence(Value::Object(map))).unwrap();
        assert_eq!(a, b);
        assert_eq!(
            decode(&a).unwrap(),
            evidence(json!({"first": 1, "second": 2}))
        );
    }

    #[test]
    fn the_direct_envelope_equals_canonicalising_the_whole_value() {
        let mut with_actor = evidence(json!({"b": [1.5, -2, "x\u{1}y"], "a": {"\u{7f}": "é\\"}}));
        with_actor.source.actor = Some("dr \"quoted\"".into());
        with_actor.source.host = None;
        for value in [
            evidence(json!(null)),
            evidence(json!({"z": {"y": 1}})),
            with_actor,
        ] {
            let mut general = String::new();
            write_canonical(&serde_json::to_value(&value).unwrap(), &mut general);
            assert_eq!(encode(&value).unwrap(), general);
        }
    }

    proptest::proptest! {
        #[test]
        fn strings_are_escaped_exactly_as_serde_json_does(text in "\\PC{0,40}|[\\x00-\\x20\"\\\\]{0,10}") {
            let mut ours = String::new();
            write_string(&text, &mut ours);
            proptest::prop_assert_eq!(ours, serde_json::to_string(&text).unwrap());
        }
    }

    #[test]
    fn kinds_must_be_dotted_lowercase_names() {
        for good in ["host.packages", "note", "register.vendor_baa", "fim.v2"] {
            validate_kind(good).unwrap();
        }
        for bad in [
            "", "Host.x", "host..x", ".x", "x.", "host x", "2fa.y", "host.ß",
        ] {
            let err = validate_kind(bad).unwrap_err();
            assert!(err.to_string().contains("dotted lowercase"), "{bad}: {err}");
        }
    }
}
