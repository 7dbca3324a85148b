//! Timestamps as text: fixed-width RFC 3339 in UTC with microseconds.
//!
//! Both databases store the same text, it reads well in `sqlite3` or `psql`, and because the
//! width is fixed, text order is time order (a variable-width fraction would sort
//! `…:00Z` after `…:00.5Z`). Public for the crates that keep their own records in the schema.

use jiff::Timestamp;

use crate::StoreError;

/// The text stored for `time`.
pub fn encode(time: Timestamp) -> String {
    time.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// The time stored as `text`; any other text is a corrupt record.
pub fn decode(text: &str) -> Result<Timestamp, StoreError> {
    text.parse().map_err(|e| StoreError::Corrupt {
        what: format!("timestamp {text:?} is not RFC 3339 ({e})"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_width_round_trip_and_order() {
        let a: Timestamp = "2026-01-02T03:04:05Z".parse().unwrap();
        let b: Timestamp = "2026-01-02T03:04:05.5Z".parse().unwrap();
        assert_eq!(encode(a), "2026-01-02T03:04:05.000000Z");
        assert_eq!(encode(b), "2026-01-02T03:04:05.500000Z");
        assert!(encode(a) < encode(b));
        assert_eq!(decode(&encode(b)).unwrap(), b);
        assert!(decode("yesterday").is_err());
    }
}
