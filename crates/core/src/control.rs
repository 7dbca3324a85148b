//! HIPAA citations (`164.312(a)(2)(iv)`) as a value that parses strictly and sorts like the rule.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The deepest paragraph level the CFR uses below a section: `(a)(1)(i)(A)`.
const MAX_DEPTH: usize = 4;

/// A citation of a HIPAA provision, such as `164.312(a)(2)(iv)` or `164.400`.
///
/// The catalog, the responsibility matrix and every report key controls by this type, so a
/// citation typed by a person (`45 C.F.R. § 164.312(b)`) and one written in a data file
/// (`164.312(b)`) are the same value, and a typo such as `164.312(2)` is caught where it is
/// written instead of silently matching nothing.
///
/// Paragraphs follow the CFR hierarchy, and a paragraph's position decides how it is read:
/// level 1 is lowercase letters `(a)`, level 2 a number `(1)`, level 3 a lowercase roman numeral
/// `(iv)`, level 4 an uppercase letter `(A)`. So `(i)` is the letter i at level 1 and the
/// numeral one at level 3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ControlId {
    part: u16,
    section: u16,
    /// Each level's ordinal (`(b)` = 2, `(iv)` = 4, `(aa)` = 27), then 0 where the citation
    /// ends. Every real paragraph is at least 1, so comparing these arrays puts a parent before
    /// its children and orders siblings by value, which is how the regulation reads; the derived
    /// `Ord` relies on it.
    paragraphs: [u16; MAX_DEPTH],
}

impl ControlId {
    /// The CFR part: 164 (Security, Privacy and Breach rules) or 160 (general provisions).
    pub fn part(&self) -> u16 {
        self.part
    }

    /// The section within the part: 312 for `164.312(b)`.
    pub fn section(&self) -> u16 {
        self.section
    }

    /// The number of paragraph levels: 0 for `164.400`, 3 for `164.312(a)(2)(iv)`.
    pub fn depth(&self) -> usize {
        self.paragraphs.iter().take_while(|&&p| p != 0).count()
    }

    /// The enclosing provision: `164.312(a)(2)` for `164.312(a)(2)(iv)`; `None` for a section.
    pub fn parent(&self) -> Option<ControlId> {
        let depth = self.depth();
        let mut parent = *self;
        parent.paragraphs[depth.checked_sub(1)?] = 0;
        Some(parent)
    }

    /// True when `self` is `other` or sits below it, so a finding against
    /// `164.312(a)(2)(iv)` counts towards the standard `164.312(a)`.
    pub fn is_within(&self, other: &ControlId) -> bool {
        let depth = other.depth();
        self.part == other.part
            && self.section == other.section
            && self.paragraphs[..depth] == other.paragraphs[..depth]
    }

    /// The section alone, as cited in headings: `"164.312"`.
    pub fn section_citation(&self) -> String {
        format!("{}.{}", self.part, self.section)
    }
}

impl fmt::Display for ControlId {
    /// The canonical form, without `45 CFR` or `§`: the form stored in data files.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.part, self.section)?;
        for (level, &ordinal) in LEVELS.iter().zip(&self.paragraphs[..self.depth()]) {
            f.write_str("(")?;
            level.write(ordinal, f)?;
            f.write_str(")")?;
        }
        Ok(())
    }
}

impl FromStr for ControlId {
    type Err = ControlIdError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        parse(input).map_err(|kind| ControlIdError {
            input: input.to_owned(),
            kind,
        })
    }
}

impl TryFrom<String> for ControlId {
    type Error = ControlIdError;

    fn try_from(input: String) -> Result<Self, Self::Error> {
        input.parse()
    }
}

impl From<ControlId> for String {
    fn from(id: ControlId) -> String {
        id.to_string()
    }
}

/// Why a string is not a HIPAA citation. Its message quotes the input, says what is wrong where,
/// and always shows the expected shape, because it is read by someone fixing a catalog file.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("\"{input}\" is not a HIPAA citation: {kind}; expected a citation like 164.312(a)(2)(iv)")]
pub struct ControlIdError {
    input: String,
    kind: ControlIdErrorKind,
}

impl ControlIdError {
    /// What is wrong, for callers that react to it rather than print it.
    pub fn kind(&self) -> &ControlIdErrorKind {
        &self.kind
    }
}

/// The specific defect in a citation. Paragraph levels count from 1.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ControlIdErrorKind {
    #[error("it is empty")]
    Empty,
    #[error("it must start with the part number 160 or 164")]
    MissingPart,
    #[error("part {0} is not a HIPAA part (160 or 164)")]
    Part(String),
    #[error("the part must be followed by a dot and a section number")]
    MissingSection,
    #[error("section {0} must be 1 to 4 digits without a leading zero")]
    Section(String),
    #[error("paragraph {level} has no closing parenthesis")]
    Unclosed { level: usize },
    #[error("paragraph {level} is empty")]
    EmptyParagraph { level: usize },
    #[error("paragraph {level} must be {expected}")]
    Paragraph {
        level: usize,
        expected: &'static str,
    },
    #[error("paragraph {level} is one level too many: citations go at most four levels deep")]
    TooDeep { level: usize },
    #[error("unexpected \"{junk}\" after \"{valid}\"")]
    Trailing { valid: String, junk: String },
}

fn parse(input: &str) -> Result<ControlId, ControlIdErrorKind> {
    use ControlIdErrorKind as E;
    let body = strip_prefix(input);
    if body.is_empty() {
        return Err(E::Empty);
    }
    let (part, rest) = split_digits(body);
    let part = match part {
        "" => return Err(E::MissingPart),
        "160" => 160,
        "164" => 164,
        other => return Err(E::Part(other.to_owned())),
    };
    let (section, mut rest) = split_digits(rest.strip_prefix('.').ok_or(E::MissingSection)?);
    if section.is_empty() {
        return Err(E::MissingSection);
    }
    let section = parse_ordinal(section).ok_or_else(|| E::Section(section.to_owned()))?;

    let mut paragraphs = [0; MAX_DEPTH];
    let mut depth = 0;
    while let Some(open) = rest.strip_prefix('(') {
        let level = depth + 1;
        let kind = LEVELS.get(depth).ok_or(E::TooDeep { level })?;
        // Stop at the next parenthesis of either kind so `(a(1)` reads as unclosed, not as `a(1`.
        let close = open
            .find(['(', ')'])
            .filter(|&i| open.as_bytes()[i] == b')')
            .ok_or(E::Unclosed { level })?;
        let text = &open[..close];
        if text.is_empty() {
            return Err(E::EmptyParagraph { level });
        }
        paragraphs[depth] = kind.parse(text).ok_or(E::Paragraph {
            level,
            expected: kind.shape(),
        })?;
        depth += 1;
        rest = &open[close + 1..];
    }
    if !rest.is_empty() {
        return Err(E::Trailing {
            valid: body[..body.len() - rest.len()].to_owned(),
            junk: rest.to_owned(),
        });
    }
    Ok(ControlId {
        part,
        section,
        paragraphs,
    })
}

/// Drops what people put before a citation: `45 CFR`, `45 C.F.R.`, `§`, and spaces.
fn strip_prefix(input: &str) -> &str {
    let mut s = input.trim();
    if let Some(rest) = s.strip_prefix("45") {
        let rest = rest.trim_start();
        for title in ["C.F.R.", "CFR"] {
            if rest
                .get(..title.len())
                .is_some_and(|t| t.eq_ignore_ascii_case(title))
            {
                s = rest[title.len()..].trim_start();
                break;
            }
        }
    }
    s.strip_prefix('§').map_or(s, str::trim_start)
}

fn split_digits(s: &str) -> (&str, &str) {
    s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()))
}

/// 1 to 4 digits without a leading zero: section numbers and level-2 paragraphs.
fn parse_ordinal(s: &str) -> Option<u16> {
    let valid =
        (1..=4).contains(&s.len()) && !s.starts_with('0') && s.bytes().all(|b| b.is_ascii_digit());
    valid.then(|| s.parse().ok()).flatten()
}

#[derive(Debug, Clone, Copy)]
enum Level {
    Letters,
    Number,
    Roman,
    Capital,
}

const LEVELS: [Level; MAX_DEPTH] = [Level::Letters, Level::Number, Level::Roman, Level::Capital];

impl Level {
    fn shape(self) -> &'static str {
        match self {
            Level::Letters => "a lowercase letter like (a)",
            Level::Number => "a number like (2)",
            Level::Roman => "a lowercase roman numeral like (iv)",
            Level::Capital => "an uppercase letter like (A)",
        }
    }

    fn parse(self, s: &str) -> Option<u16> {
        match self {
            // The CFR continues (z) with (aa); numbering letters in bijective base 26
            // (a = 1, z = 26, aa = 27) sorts them that way.
            Level::Letters if (1..=3).contains(&s.len()) => s.bytes().try_fold(0u16, |n, b| {
                b.is_ascii_lowercase()
                    .then(|| n * 26 + u16::from(b - b'a' + 1))
            }),
            Level::Number => parse_ordinal(s),
            Level::Roman => parse_roman(s),
            Level::Capital => match s.as_bytes() {
                [b @ b'A'..=b'Z'] => Some(u16::from(b - b'A' + 1)),
                _ => None,
            },
            Level::Letters => None,
        }
    }

    fn write(self, ordinal: u16, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Level::Letters => {
                let mut letters = Vec::new();
                let mut n = ordinal;
                while n > 0 {
                    n -= 1;
                    letters.push(char::from(b'a' + (n % 26) as u8));
                    n /= 26;
                }
                letters.iter().rev().try_for_each(|&c| write!(f, "{c}"))
            }
            Level::Number => write!(f, "{ordinal}"),
            Level::Roman => f.write_str(&roman(ordinal)),
            Level::Capital => write!(f, "{}", char::from(b'A' + (ordinal - 1) as u8)),
        }
    }
}

const ROMAN: [(u16, &str); 13] = [
    (1000, "m"),
    (900, "cm"),
    (500, "d"),
    (400, "cd"),
    (100, "c"),
    (90, "xc"),
    (50, "l"),
    (40, "xl"),
    (10, "x"),
    (9, "ix"),
    (5, "v"),
    (4, "iv"),
    (1, "i"),
];

fn roman(mut n: u16) -> String {
    let mut out = String::new();
    for (value, digits) in ROMAN {
        while n >= value {
            out.push_str(digits);
            n -= value;
        }
    }
    out
}

/// Accepts only the canonical spelling, so `iiii`, `vx` and `iix` are errors rather than
/// second names for a paragraph that already has one.
fn parse_roman(s: &str) -> Option<u16> {
    let mut value = 0u16;
    let mut rest = s;
    for (n, digits) in ROMAN {
        while let Some(tail) = rest.strip_prefix(digits) {
            value = value.checked_add(n)?;
            rest = tail;
        }
    }
    (rest.is_empty() && value > 0 && value < 4000 && roman(value) == s).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn id(s: &str) -> ControlId {
        s.parse().unwrap()
    }

    #[test]
    fn parses_real_citations_and_prints_them_canonically() {
        for s in [
            "164.312(a)(2)(iv)",
            "164.308(a)(1)(ii)(A)",
            "164.310(b)",
            "164.400",
            "160.404",
        ] {
            assert_eq!(id(s).to_string(), s);
        }
        let c = id("164.308(a)(1)(ii)(A)");
        assert_eq!((c.part(), c.section(), c.depth()), (164, 308, 4));
        assert_eq!(c.section_citation(), "164.308");
        let prefixed = [
            "§ 164.312(b)",
            "§164.312(b)",
            "45 CFR 164.312(b)",
            "45 cfr § 164.312(b)",
        ];
        for s in prefixed
            .into_iter()
            .chain(["45 C.F.R. § 164.312(b)", "  164.312(b)\n"])
        {
            assert_eq!(id(s).to_string(), "164.312(b)", "{s}");
        }
    }

    #[test]
    fn position_decides_how_a_paragraph_is_read() {
        let (letter, numeral) = (id("164.308(i)"), id("164.308(a)(1)(i)"));
        assert_eq!(
            (letter.to_string(), numeral.to_string()),
            ("164.308(i)".into(), "164.308(a)(1)(i)".into())
        );
        assert!(id("164.308(h)") < letter && letter < id("164.308(j)"));
        assert!(
            numeral < id("164.308(a)(1)(ii)") && id("164.308(a)(1)(iv)") < id("164.308(a)(1)(x)")
        );
        assert!(id("164.308(z)") < id("164.308(aa)"));
        assert_eq!(id("164.308(aa)").to_string(), "164.308(aa)");
    }

    #[test]
    fn roman_numerals_have_one_spelling_and_their_value() {
        for (s, n) in [
            ("i", 1),
            ("iv", 4),
            ("ix", 9),
            ("xiv", 14),
            ("xl", 40),
            ("mcmxc", 1990),
        ] {
            assert_eq!((parse_roman(s), roman(n).as_str()), (Some(n), s));
        }
        for s in ["iiii", "vx", "iix", "vv", "ic", "mmmm", "I", "x1"] {
            assert_eq!(parse_roman(s), None, "{s}");
        }
    }

    #[test]
    fn errors_name_the_defect_and_its_place() {
        let roman = "paragraph 3 must be a lowercase roman numeral like (iv)";
        let cases = [
            ("", "it is empty"),
            ("45 CFR §", "it is empty"),
            ("security", "it must start with the part number 160 or 164"),
            ("165.312", "part 165 is not a HIPAA part (160 or 164)"),
            (
                "164",
                "the part must be followed by a dot and a section number",
            ),
            (
                "164.(a)",
                "the part must be followed by a dot and a section number",
            ),
            (
                "164.31234",
                "section 31234 must be 1 to 4 digits without a leading zero",
            ),
            (
                "164.0312",
                "section 0312 must be 1 to 4 digits without a leading zero",
            ),
            ("164.312(a", "paragraph 1 has no closing parenthesis"),
            ("164.312(a(1)", "paragraph 1 has no closing parenthesis"),
            ("164.312(a)(1", "paragraph 2 has no closing parenthesis"),
            ("164.312(a)()", "paragraph 2 is empty"),
            (
                "164.312(2)",
                "paragraph 1 must be a lowercase letter like (a)",
            ),
            ("164.312(a)(0)", "paragraph 2 must be a number like (2)"),
            ("164.312(a)(2)(v2)", roman),
            ("164.312(a)(2)(iiii)", roman),
            ("164.312(a)(2)(vx)", roman),
            (
                "164.308(a)(1)(ii)(a)",
                "paragraph 4 must be an uppercase letter like (A)",
            ),
            (
                "164.308(a)(1)(ii)(A)(1)",
                "paragraph 5 is one level too many: citations go at most four levels deep",
            ),
            ("164.312(b) x", "unexpected \" x\" after \"164.312(b)\""),
            ("164.312.", "unexpected \".\" after \"164.312\""),
        ];
        for (input, reason) in cases {
            let err = input.parse::<ControlId>().unwrap_err();
            let expected = format!(
                "\"{input}\" is not a HIPAA citation: {reason}; expected a citation like 164.312(a)(2)(iv)"
            );
            assert_eq!(err.to_string(), expected);
        }
        let err = "164.312(2)".parse::<ControlId>().unwrap_err();
        assert!(matches!(
            err.kind(),
            ControlIdErrorKind::Paragraph { level: 1, .. }
        ));
    }

    #[test]
    fn hierarchy_navigation() {
        let leaf = id("164.312(a)(2)(iv)");
        assert_eq!(leaf.parent(), Some(id("164.312(a)(2)")));
        assert_eq!(id("164.312(a)").parent(), Some(id("164.312")));
        assert_eq!(id("164.312").parent(), None);
        for within in ["164.312(a)(2)(iv)", "164.312(a)", "164.312"] {
            assert!(leaf.is_within(&id(within)), "{within}");
        }
        for outside in [
            "164.312(a)(1)",
            "164.310(a)",
            "160.312",
            "164.312(a)(2)(iv)(A)",
        ] {
            assert!(!leaf.is_within(&id(outside)), "{outside}");
        }
    }

    #[test]
    fn serde_uses_the_canonical_string_and_validates() {
        let json = serde_json::to_string(&id("45 CFR § 164.312(e)(2)(ii)")).unwrap();
        assert_eq!(json, r#""164.312(e)(2)(ii)""#);
        assert_eq!(
            serde_json::from_str::<ControlId>(&json).unwrap(),
            id("164.312(e)(2)(ii)")
        );
        let err = serde_json::from_str::<ControlId>(r#""164.312(2)""#).unwrap_err();
        assert!(
            err.to_string()
                .contains("paragraph 1 must be a lowercase letter"),
            "{err}"
        );
    }

    type Key = (u16, u16, Vec<(usize, String)>);

    /// A citation's text, built independently of `Display`, and the key the regulation's order is
    /// defined by: letters by length then alphabet, numbers and numerals by value. Narrow ranges
    /// sit beside wide ones so that two citations often share a prefix.
    fn citation() -> impl Strategy<Value = (String, Key)> {
        let part = prop_oneof![Just(160u16), Just(164)];
        let section = prop_oneof![308u16..=312, 1u16..=9999];
        let number = prop_oneof![1usize..=3, 1usize..=9999];
        let numeral = prop_oneof![1usize..=5, 1usize..=3999];
        let capital = proptest::char::range('A', 'Z');
        (
            part,
            section,
            "[a-c]{1,2}|[a-z]{1,3}",
            number,
            numeral,
            capital,
            0..=MAX_DEPTH,
        )
            .prop_map(
                |(part, section, letters, number, numeral, capital, depth)| {
                    let texts = [
                        letters.clone(),
                        number.to_string(),
                        roman(numeral as u16),
                        capital.to_string(),
                    ];
                    let keys = [
                        (letters.len(), letters),
                        (number, String::new()),
                        (numeral, String::new()),
                        (0, capital.to_string()),
                    ];
                    let paragraphs: String =
                        texts[..depth].iter().map(|p| format!("({p})")).collect();
                    (
                        format!("{part}.{section}{paragraphs}"),
                        (part, section, keys[..depth].to_vec()),
                    )
                },
            )
    }

    proptest! {
        #[test]
        fn display_round_trips((text, key) in citation()) {
            let parsed = id(&text);
            prop_assert_eq!(parsed.to_string(), text);
            prop_assert_eq!(parsed.depth(), key.2.len());
        }

        #[test]
        fn order_agrees_with_the_structural_key((a, ka) in citation(), (b, kb) in citation()) {
            prop_assert_eq!(id(&a).cmp(&id(&b)), ka.cmp(&kb));
        }

        #[test]
        fn a_parent_sorts_first_and_contains_its_child((text, _) in citation()) {
            let child = id(&text);
            if let Some(parent) = child.parent() {
                prop_assert!(parent < child && child.is_within(&parent) && !parent.is_within(&child));
                prop_assert_eq!(parent.depth() + 1, child.depth());
            }
        }
    }
}
