//! Stable check ids such as `host.ssh.root_login`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The stable name of a check: dotted segments of `[a-z0-9_]`, each starting with a letter.
///
/// The catalog maps controls to these ids and stored findings carry them, so an id is a public
/// contract: it is validated once here and never renamed lightly. Because `.` sorts before every
/// character a segment may hold, the derived string order is the segment-by-segment order, so
/// `host.ssh.x` stays next to `host.ssh` rather than after `host.ssh_agent`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CheckId(String);

impl CheckId {
    /// The id as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first segment, which names the area the check belongs to: `host` for
    /// `host.ssh.root_login`.
    pub fn namespace(&self) -> &str {
        self.0.split('.').next().unwrap_or(&self.0)
    }
}

impl fmt::Display for CheckId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for CheckId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl FromStr for CheckId {
    type Err = CheckIdError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        input.to_owned().try_into()
    }
}

impl TryFrom<String> for CheckId {
    type Error = CheckIdError;

    fn try_from(input: String) -> Result<Self, Self::Error> {
        match validate(&input) {
            Ok(()) => Ok(CheckId(input)),
            Err(kind) => Err(CheckIdError { input, kind }),
        }
    }
}

impl From<CheckId> for String {
    fn from(id: CheckId) -> String {
        id.0
    }
}

/// Why a string is not a check id; the message shows the expected shape.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "\"{input}\" is not a check id: {kind}; expected lowercase dotted segments like host.ssh.root_login"
)]
pub struct CheckIdError {
    input: String,
    kind: CheckIdErrorKind,
}

impl CheckIdError {
    /// What is wrong, for callers that react to it rather than print it.
    pub fn kind(&self) -> &CheckIdErrorKind {
        &self.kind
    }
}

/// The specific defect in a check id. Segments count from 1.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CheckIdErrorKind {
    #[error("it is empty")]
    Empty,
    #[error("it needs at least two segments separated by a dot")]
    OneSegment,
    #[error("segment {segment} is empty")]
    EmptySegment { segment: usize },
    #[error("segment {segment} must start with a lowercase letter")]
    Start { segment: usize },
    #[error("segment {segment} contains {found:?}; only a-z, 0-9 and _ are allowed")]
    Character { segment: usize, found: char },
}

fn validate(input: &str) -> Result<(), CheckIdErrorKind> {
    use CheckIdErrorKind as E;
    if input.is_empty() {
        return Err(E::Empty);
    }
    for (i, text) in input.split('.').enumerate() {
        let segment = i + 1;
        let mut chars = text.chars();
        match chars.next() {
            None => return Err(E::EmptySegment { segment }),
            Some(c) if !c.is_ascii_lowercase() => return Err(E::Start { segment }),
            Some(_) => {}
        }
        if let Some(found) = chars.find(|&c| !matches!(c, 'a'..='z' | '0'..='9' | '_')) {
            return Err(E::Character { segment, found });
        }
    }
    if !input.contains('.') {
        return Err(E::OneSegment);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_dotted_ids_and_finds_the_namespace() {
        for s in ["host.ssh.root_login", "register.baa", "fim.v2_check.a1"] {
            let id: CheckId = s.parse().unwrap();
            assert_eq!(id.as_str(), s);
            assert_eq!(id.to_string(), s);
        }
        let id: CheckId = "host.ssh.root_login".parse().unwrap();
        assert_eq!(id.namespace(), "host");
    }

    #[test]
    fn rejects_malformed_ids_with_the_reason() {
        use CheckIdErrorKind as E;
        let cases = [
            ("", E::Empty),
            ("host", E::OneSegment),
            ("host.", E::EmptySegment { segment: 2 }),
            (".host.ssh", E::EmptySegment { segment: 1 }),
            ("host..ssh", E::EmptySegment { segment: 2 }),
            ("host.1ssh", E::Start { segment: 2 }),
            ("Host.ssh", E::Start { segment: 1 }),
            (
                "host.ssh-root",
                E::Character {
                    segment: 2,
                    found: '-',
                },
            ),
            (
                "host.sSh",
                E::Character {
                    segment: 2,
                    found: 'S',
                },
            ),
            (
                "host.ssh ",
                E::Character {
                    segment: 2,
                    found: ' ',
                },
            ),
        ];
        for (input, kind) in cases {
            let err = input.parse::<CheckId>().unwrap_err();
            assert_eq!(err.kind(), &kind, "{input:?}");
        }
        assert_eq!(
            "host.ssh-root".parse::<CheckId>().unwrap_err().to_string(),
            "\"host.ssh-root\" is not a check id: segment 2 contains '-'; only a-z, 0-9 and _ \
             are allowed; expected lowercase dotted segments like host.ssh.root_login"
        );
    }

    #[test]
    fn sorts_segment_by_segment() {
        let mut ids: Vec<CheckId> = ["host.ssh_agent", "host.ssh.x", "host.ssh", "fim.a"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        ids.sort();
        let sorted: Vec<&str> = ids.iter().map(CheckId::as_str).collect();
        assert_eq!(
            sorted,
            ["fim.a", "host.ssh", "host.ssh.x", "host.ssh_agent"]
        );
    }

    #[test]
    fn serde_is_the_string_and_validates() {
        let id: CheckId = serde_json::from_str(r#""host.ssh.root_login""#).unwrap();
        assert_eq!(
            serde_json::to_string(&id).unwrap(),
            r#""host.ssh.root_login""#
        );
        let err = serde_json::from_str::<CheckId>(r#""host""#).unwrap_err();
        assert!(err.to_string().contains("at least two segments"), "{err}");
    }
}
