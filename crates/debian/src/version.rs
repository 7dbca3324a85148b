//! Debian package versions, parsed and ordered exactly as dpkg does.
//!
//! A version is `[epoch:]upstream[-revision]`: the epoch is everything before the first
//! colon, the revision everything after the last hyphen. Parsing follows dpkg's
//! `parseversion` (lib/dpkg/parse.c): the same errors, and the same leniency where dpkg
//! only warns (an upstream version that does not start with a digit is accepted, as
//! `dpkg --compare-versions` accepts it). Ordering is dpkg's `verrevcmp`, applied to the
//! epoch (numerically), then the upstream version, then the revision:
//! - the strings are compared as alternating runs of non-digits and digits;
//! - in a non-digit run, `~` sorts before everything, even before the end of the string
//!   (so `1.0~rc1` < `1.0`), then the end, then letters (by ASCII), then every other
//!   character (by ASCII);
//! - digit runs compare as numbers: leading zeros do not count, and runs of any length are
//!   compared digit by digit, never converted to an integer that could overflow.
//!
//! Equality is dpkg's too: `1.0`, `0:1.0`, `1.00` and `1.0-0` are the same version, so
//! [`Version`] implements `Eq` through its ordering (and not `Hash`, which would have to
//! agree with that).

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// A Debian package version.
#[derive(Debug, Clone)]
pub struct Version {
    epoch: u32,
    upstream: String,
    revision: String,
}

/// Why a string is not a Debian version.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{version}` is not a valid Debian package version: {problem}")]
pub struct VersionError {
    /// The string as given.
    pub version: String,
    /// What is wrong with it.
    pub problem: VersionProblem,
}

/// What is wrong with a version string (dpkg's own list of errors).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VersionProblem {
    /// Nothing, or only blanks.
    #[error("it is empty")]
    Empty,
    /// A blank between two words.
    #[error("it contains a space; a version is a single word like `1:2.3-4`")]
    EmbeddedSpace,
    /// `:1.0`.
    #[error("there is nothing before the colon, where the epoch should be")]
    EpochEmpty,
    /// `a:1.0`.
    #[error("the epoch (before the first colon) is not a number")]
    EpochNotNumber,
    /// More than dpkg's limit, 2147483647.
    #[error("the epoch (before the first colon) is larger than dpkg allows (2147483647)")]
    EpochTooBig,
    /// `1:`.
    #[error("there is nothing after the epoch's colon")]
    NothingAfterColon,
    /// `1.0-`.
    #[error("the revision (after the last hyphen) is empty")]
    RevisionEmpty,
    /// `-1` or `1:-1`.
    #[error("the upstream version (before the revision's hyphen) is empty")]
    UpstreamEmpty,
    /// A character outside letters, digits and `.+~-:`.
    #[error(
        "the upstream version contains {0:?}; only letters, digits and `.+~-:` are allowed there"
    )]
    InvalidUpstreamCharacter(char),
    /// A character outside letters, digits and `.+~`.
    #[error("the revision contains {0:?}; only letters, digits and `.+~` are allowed there")]
    InvalidRevisionCharacter(char),
}

/// dpkg's largest epoch (`INT_MAX`).
const MAX_EPOCH: u32 = i32::MAX as u32;

impl Version {
    /// The epoch, 0 when none is written.
    pub fn epoch(&self) -> u32 {
        self.epoch
    }

    /// The upstream version: between the epoch's colon and the revision's hyphen.
    pub fn upstream(&self) -> &str {
        &self.upstream
    }

    /// The Debian revision after the last hyphen, empty when there is none.
    pub fn revision(&self) -> &str {
        &self.revision
    }
}

impl FromStr for Version {
    type Err = VersionError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        parse(text).map_err(|problem| VersionError {
            version: text.to_owned(),
            problem,
        })
    }
}

impl TryFrom<&[u8]> for Version {
    type Error = VersionError;

    /// Parses a version read from a file; bytes that are not UTF-8 are invalid characters.
    fn try_from(bytes: &[u8]) -> Result<Self, Self::Error> {
        match std::str::from_utf8(bytes) {
            Ok(text) => text.parse(),
            Err(_) => {
                let text = String::from_utf8_lossy(bytes).into_owned();
                // The replacement character stands for the first byte that is not UTF-8.
                parse(&text)
                    .and(Err(VersionProblem::InvalidUpstreamCharacter(
                        char::REPLACEMENT_CHARACTER,
                    )))
                    .map_err(|problem| VersionError {
                        version: text,
                        problem,
                    })
            }
        }
    }
}

fn parse(text: &str) -> Result<Version, VersionProblem> {
    // dpkg trims blanks (space, tab) around the version, and refuses any inside.
    let text = text.trim_matches([' ', '\t']);
    if text.is_empty() {
        return Err(VersionProblem::Empty);
    }
    if text.contains([' ', '\t']) {
        return Err(VersionProblem::EmbeddedSpace);
    }
    let (epoch, rest) = match text.split_once(':') {
        Some((epoch, rest)) => {
            if epoch.is_empty() {
                return Err(VersionProblem::EpochEmpty);
            }
            if !epoch.bytes().all(|b| b.is_ascii_digit()) {
                return Err(VersionProblem::EpochNotNumber);
            }
            let epoch = epoch
                .parse::<u32>()
                .ok()
                .filter(|&e| e <= MAX_EPOCH)
                .ok_or(VersionProblem::EpochTooBig)?;
            if rest.is_empty() {
                return Err(VersionProblem::NothingAfterColon);
            }
            (epoch, rest)
        }
        None => (0, text),
    };
    let (upstream, revision) = match rest.rsplit_once('-') {
        Some((_, "")) => return Err(VersionProblem::RevisionEmpty),
        Some((upstream, revision)) => (upstream, revision),
        None => (rest, ""),
    };
    if upstream.is_empty() {
        return Err(VersionProblem::UpstreamEmpty);
    }
    // dpkg only warns when the upstream version does not start with a digit, and
    // `dpkg --compare-versions` orders such versions all the same; so does this.
    if let Some(c) = upstream
        .chars()
        .find(|&c| !c.is_ascii_alphanumeric() && !".+~-:".contains(c))
    {
        return Err(VersionProblem::InvalidUpstreamCharacter(c));
    }
    if let Some(c) = revision
        .chars()
        .find(|&c| !c.is_ascii_alphanumeric() && !".+~".contains(c))
    {
        return Err(VersionProblem::InvalidRevisionCharacter(c));
    }
    Ok(Version {
        epoch,
        upstream: upstream.to_owned(),
        revision: revision.to_owned(),
    })
}

impl fmt::Display for Version {
    /// `epoch:upstream-revision`, leaving out a zero epoch and an empty revision as dpkg
    /// does. The epoch is kept when the upstream version contains a colon, or the text
    /// would read back with a different epoch.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.epoch != 0 || self.upstream.contains(':') {
            write!(f, "{}:", self.epoch)?;
        }
        f.write_str(&self.upstream)?;
        if !self.revision.is_empty() {
            write!(f, "-{}", self.revision)?;
        }
        Ok(())
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| verrevcmp(self.upstream.as_bytes(), other.upstream.as_bytes()))
            .then_with(|| verrevcmp(self.revision.as_bytes(), other.revision.as_bytes()))
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

/// Compares two version strings as `dpkg --compare-versions` does.
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    Ok(a.parse::<Version>()?.cmp(&b.parse::<Version>()?))
}

/// dpkg's weight of a character in a non-digit run; 0 stands for the end of the string.
fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(b'~') => -1,
        Some(c) => i32::from(c) + 256,
    }
}

/// dpkg's `verrevcmp` (lib/dpkg/version.c), with indices instead of pointers.
fn verrevcmp(a: &[u8], b: &[u8]) -> Ordering {
    let digit = |s: &[u8], i: usize| s.get(i).is_some_and(u8::is_ascii_digit);
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        // The non-digit run: character by character with `order`'s weights.
        while (i < a.len() && !digit(a, i)) || (j < b.len() && !digit(b, j)) {
            let (ac, bc) = (order(a.get(i).copied()), order(b.get(j).copied()));
            if ac != bc {
                return ac.cmp(&bc);
            }
            i += 1;
            j += 1;
        }
        // The digit run: skip leading zeros; the longer run is the larger number, and at
        // equal lengths the first differing digit decides.
        while a.get(i) == Some(&b'0') {
            i += 1;
        }
        while b.get(j) == Some(&b'0') {
            j += 1;
        }
        let mut first_diff = Ordering::Equal;
        while digit(a, i) && digit(b, j) {
            if first_diff == Ordering::Equal {
                first_diff = a.get(i).cmp(&b.get(j));
            }
            i += 1;
            j += 1;
        }
        if digit(a, i) {
            return Ordering::Greater;
        }
        if digit(b, j) {
            return Ordering::Less;
        }
        if first_diff != Ordering::Equal {
            return first_diff;
        }
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use Ordering::{Equal, Greater, Less};

    fn v(text: &str) -> Version {
        text.parse().unwrap()
    }

    /// dpkg's own cases (lib/dpkg/t/t-version.c and the Debian Policy's examples).
    #[test]
    fn dpkg_known_orderings() {
        let cases = [
            ("0", "0", Equal),
            ("0", "00", Equal),
            ("1", "2", Less),
            ("2", "1", Greater),
            ("1:0", "0:0", Greater),
            ("0:0", "0", Equal),
            ("0:1.0", "1.0", Equal),
            ("0:0-0", "0:0", Equal),
            ("0:0-00", "0:0-0", Equal),
            ("0:0.0-0.0", "0:0.0-0.00", Equal),
            ("0:0-1", "0:0-0", Greater),
            ("0:0.0-1", "0:0.0-0", Greater),
            ("1:0", "2:0", Less),
            ("0:1", "0:2", Less),
            ("0:0-1", "0:0-2", Less),
            ("0:abc", "0:abc", Equal),
            ("0:a", "0:b", Less),
            ("0:a", "0:a~", Greater),
            ("0:a~", "0:a~~", Greater),
            ("0:~", "0:~~", Greater),
            ("0:~~a", "0:~~", Greater),
            ("0:~", "0:0", Less),
            ("1.0~rc1", "1.0", Less),
            ("1.0~rc1-1", "1.0-1", Less),
            ("1.0~~", "1.0~~a", Less),
            ("1.0~~a", "1.0~", Less),
            ("1.0~", "1.0", Less),
            ("1.0", "1.0a", Less),
            ("1.0a", "1.0+", Less),
            ("1.0+", "1.0.", Less),
            ("1.0", "1.0+b1", Less),
            ("1.0-1", "1.0-1+b1", Less),
            ("1.0-1+deb12u1", "1.0-1+deb12u2", Less),
            ("1.0-1+deb12u9", "1.0-1+deb12u10", Less),
            ("2.36.1-8+deb11u1", "2.36.1-8+deb11u2", Less),
            ("1.2.3", "1.2.3.0", Less),
            ("1.010", "1.9", Greater),
            ("1.001", "1.1", Equal),
            ("10", "9", Greater),
            ("a", "A", Greater),
            ("1-a", "1-A", Greater),
            ("1:1", "99999999999999999999999999999999", Greater),
            (
                "123456789012345678901234567890",
                "123456789012345678901234567891",
                Less,
            ),
            ("000000000000000000000000000001", "1", Equal),
            ("1.2-3-4", "1.2-3-5", Less),
            ("1:2:3", "1:2:4", Less),
        ];
        for (a, b, expected) in cases {
            assert_eq!(compare(a, b).unwrap(), expected, "{a} vs {b}");
            assert_eq!(compare(b, a).unwrap(), expected.reverse(), "{b} vs {a}");
        }
    }

    #[test]
    fn parts_and_round_trip() {
        let version = v("2:1.2-3-4");
        assert_eq!(
            (version.epoch(), version.upstream(), version.revision()),
            (2, "1.2-3", "4")
        );
        for text in ["1.0", "1:1.0-1", "1.2-3-4", "0:1:2", "1:2:3-4~5", "a.b"] {
            let version = v(text);
            let again = v(&version.to_string());
            assert_eq!(
                (again.epoch(), again.upstream(), again.revision()),
                (version.epoch(), version.upstream(), version.revision()),
                "{text}"
            );
        }
        assert_eq!(v("0:1.0").to_string(), "1.0");
        assert_eq!(v("0:1:2").to_string(), "0:1:2");
        assert_eq!(v(" 1.0-1\t").to_string(), "1.0-1");
    }

    #[test]
    fn invalid_versions_say_what_is_wrong() {
        let cases = [
            ("", VersionProblem::Empty),
            ("  ", VersionProblem::Empty),
            ("1.0 2", VersionProblem::EmbeddedSpace),
            (":1.0", VersionProblem::EpochEmpty),
            ("a:1.0", VersionProblem::EpochNotNumber),
            ("-1:1.0", VersionProblem::EpochNotNumber),
            ("2147483648:1", VersionProblem::EpochTooBig),
            ("99999999999999999999:1", VersionProblem::EpochTooBig),
            ("1:", VersionProblem::NothingAfterColon),
            ("1.0-", VersionProblem::RevisionEmpty),
            ("-1", VersionProblem::UpstreamEmpty),
            ("1:-1", VersionProblem::UpstreamEmpty),
            ("1.0_1", VersionProblem::InvalidUpstreamCharacter('_')),
            ("1.0é", VersionProblem::InvalidUpstreamCharacter('é')),
            ("1:1.0-1:2", VersionProblem::InvalidRevisionCharacter(':')),
            ("1.0-1_2", VersionProblem::InvalidRevisionCharacter('_')),
        ];
        for (text, problem) in cases {
            let error = text.parse::<Version>().unwrap_err();
            assert_eq!(error.problem, problem, "{text:?}");
            assert!(error.to_string().contains(&format!("`{text}`")), "{error}");
        }
        assert_eq!(v("2147483647:1").epoch(), 2_147_483_647);
        // dpkg warns about, but accepts, an upstream version that starts with a letter.
        assert!(v("abc") > v("ab"));
        assert!(compare("1.0", "x").is_ok());
    }

    #[test]
    fn bytes_that_are_not_utf8_are_invalid() {
        assert_eq!(
            Version::try_from(b"1.0\xff".as_slice())
                .unwrap_err()
                .problem,
            VersionProblem::InvalidUpstreamCharacter(char::REPLACEMENT_CHARACTER)
        );
        assert_eq!(
            Version::try_from(b"1:".as_slice()).unwrap_err().problem,
            VersionProblem::NothingAfterColon
        );
        assert_eq!(Version::try_from(b"1.0-1".as_slice()).unwrap(), v("1.0-1"));
    }
}
