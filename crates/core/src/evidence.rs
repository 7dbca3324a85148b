//! Observations, the raw material every finding and every report is built from.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// One observation: what was seen, when, by whom. Evidence is appended to the ledger as it is and
/// never edited, so a finding can point at exactly what it was based on. The field names and the
/// time format are part of the ledger's entry format: changing them changes every leaf hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// Dotted, like check ids: `host.packages`, `register.vendor`.
    pub kind: String,
    /// When it was observed (RFC 3339, UTC), not when it was stored.
    pub time: Timestamp,
    pub source: Source,
    /// The observation itself; its shape depends on `kind`. PHI identifiers must already be
    /// pseudonymised here, because the ledger never forgets.
    pub body: serde_json::Value,
}

/// Who produced a piece of evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// The host observed, for host checks; absent for records kept by people.
    pub host: Option<String>,
    /// The program and version that recorded it: `phiguard/0.1.0`.
    pub agent: String,
    /// Who made it: the OS account the recording process ran as, after the name the person
    /// stated, written as [`crate::Actor`] writes it (`Dana Ruiz [os: dana uid 1000]`).
    pub actor: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Evidence {
        Evidence {
            kind: "host.packages".into(),
            time: "2026-03-01T12:30:00.5Z".parse().unwrap(),
            source: Source {
                host: Some("db1".into()),
                agent: "phiguard/0.1.0".into(),
                actor: None,
            },
            body: serde_json::json!({"openssl": "3.0.13-0ubuntu3.4"}),
        }
    }

    #[test]
    fn serialises_to_the_ledger_entry_shape() {
        let json = serde_json::to_value(sample()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "kind": "host.packages",
                "time": "2026-03-01T12:30:00.5Z",
                "source": {"host": "db1", "agent": "phiguard/0.1.0", "actor": null},
                "body": {"openssl": "3.0.13-0ubuntu3.4"},
            })
        );
        assert_eq!(serde_json::from_value::<Evidence>(json).unwrap(), sample());
    }

    #[test]
    fn rejects_a_time_that_is_not_rfc3339() {
        let mut json = serde_json::to_value(sample()).unwrap();
        json["time"] = "yesterday".into();
        assert!(serde_json::from_value::<Evidence>(json.clone()).is_err());
        json["time"] = "2026-02-30T00:00:00Z".into();
        assert!(serde_json::from_value::<Evidence>(json).is_err());
    }
}
