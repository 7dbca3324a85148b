//! Text from outside (file names, record fields, finding subjects and messages) made safe to
//! print on a terminal.
//!
//! A file name can hold a newline, so it can print a line of its own that looks like part of
//! a report, or an escape sequence that moves the cursor, clears the screen or retitles the
//! window; a Unicode bidirectional override can make text read in another order than it is
//! stored. Every human-readable output passes such text through [`escape_controls`] (or
//! [`Escaped`]), which shows each of those characters as a visible escape. JSON output needs
//! none of this: the JSON encoder escapes what JSON requires, and the values stay exact.

use std::borrow::Cow;
use std::fmt;

/// Whether `c` must not reach a terminal as it is: C0 controls (newline, tab and ESC among
/// them), DEL, C1 controls, the Unicode bidirectional controls (embeddings, overrides,
/// isolates and marks) and the line and paragraph separators.
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
        )
}

/// `text` with every unsafe character shown as an escape: `\n`, `\r`, `\t`, `\x1b` for the
/// other C0 controls and DEL, `\u{9b}` for C1 controls and `\u{202e}` for the Unicode
/// controls. Text without any is returned as it is, without copying.
///
/// Backslashes are left alone, so escaping twice changes nothing more than escaping once
/// (outputs can escape a whole line that holds already escaped fields). The price is that a
/// name holding a backslash and an `n` reads like one holding a newline; `--json` tells them
/// apart.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    if text.chars().any(is_unsafe) {
        Cow::Owned(Escaped(text).to_string())
    } else {
        Cow::Borrowed(text)
    }
}

/// `text` escaped as [`escape_controls`] does, for `format!` without an intermediate string.
#[derive(Debug, Clone, Copy)]
pub struct Escaped<'a>(pub &'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if f.width().is_some() || f.precision().is_some() {
            // Padding counts the escapes as they are shown.
            return f.pad(&escape_controls(self.0));
        }
        let mut rest = self.0;
        while let Some(at) = rest.find(is_unsafe) {
            f.write_str(&rest[..at])?;
            let c = rest[at..].chars().next().unwrap_or_default();
            match c {
                '\n' => f.write_str("\\n")?,
                '\r' => f.write_str("\\r")?,
                '\t' => f.write_str("\\t")?,
                c if u32::from(c) < 0x80 => write!(f, "\\x{:02x}", u32::from(c))?,
                c => write!(f, "\\u{{{:x}}}", u32::from(c))?,
            }
            rest = &rest[at + c.len_utf8()..];
        }
        f.write_str(rest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_control_is_shown_as_an_escape() {
        for (raw, shown) in [
            ("a\nfake: 0 changes\x1b[2J", "a\\nfake: 0 changes\\x1b[2J"),
            ("tab\there\r", "tab\\there\\r"),
            ("nul\0del\x7f", "nul\\x00del\\x7f"),
            ("c1 \u{9b}31m", "c1 \\u{9b}31m"),
            ("invoice\u{202e}fdp.exe", "invoice\\u{202e}fdp.exe"),
            ("\u{2066}isolate\u{2069}", "\\u{2066}isolate\\u{2069}"),
            ("line\u{2028}sep", "line\\u{2028}sep"),
        ] {
            assert_eq!(escape_controls(raw), shown);
            assert_eq!(Escaped(raw).to_string(), shown);
        }
    }

    #[test]
    fn padding_counts_the_escapes_as_shown() {
        assert_eq!(format!("[{:<6}]", Escaped("a\nb")), "[a\\nb  ]");
        assert_eq!(format!("[{:>4}]", Escaped("ab")), "[  ab]");
    }

    #[test]
    fn ordinary_text_is_untouched_and_not_copied() {
        for text in [
            "",
            "/srv/ehr/chart 0042.pdf",
            "Zoë Ångström, 東京",
            "back\\slash",
            "👩‍⚕️",
        ] {
            assert!(matches!(escape_controls(text), Cow::Borrowed(t) if t == text));
        }
    }

    proptest::proptest! {
        /// Nothing unsafe survives, escaping is idempotent, and safe characters pass through
        /// in order.
        #[test]
        fn no_control_survives_and_escaping_twice_changes_nothing(text in "\\PC*|[\\x00-\\x7f\\u{80}-\\u{9f}\\u{202a}-\\u{202e}\\u{2066}-\\u{2069}a-z]{0,40}") {
            let once = escape_controls(&text).into_owned();
            proptest::prop_assert!(!once.chars().any(is_unsafe), "{:?}", once);
            proptest::prop_assert_eq!(escape_controls(&once), once.as_str());
            let kept: String = text.chars().filter(|c| !is_unsafe(*c)).collect();
            let mut rest = once.as_str();
            for c in kept.chars() {
                let at = rest.find(c);
                proptest::prop_assert!(at.is_some(), "{:?} lost from {:?}", c, once);
                rest = &rest[at.unwrap_or(0) + c.len_utf8()..];
            }
        }
    }
}
