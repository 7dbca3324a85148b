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

/// Encodes evidence as a canonical ledger entry.
pub fn encode(evidence: &Evidence) -> Result<String, LedgerError> {
    validate_kind(&evidence.kind)?;
    let value = serde_json::to_value(evidence).map_err(|e| LedgerError::BadEntry {
        reason: format!("the evidence cannot be encoded as JSON: {e}"),
    })?;
    let mut out = String::with_capacity(256);
    write_canonical(&value, &mut out);
    Ok(out)
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

fn write_string(s: &str, out: &mut String) {
    out.push_str(&Value::String(s.to_owned()).to_string());
}

#[cfg(test)]
mod tests {
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
