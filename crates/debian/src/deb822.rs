//! A borrowed reader of deb822 stanzas: dpkg's `status` file, apt's `Packages` lists, the
//! fields of a `Release` file.
//!
//! The format, as dpkg and apt write it:
//! - a stanza is a run of non-blank lines; one or more blank lines (empty or only
//!   whitespace) separate stanzas;
//! - a line that starts with a space or a tab continues the field above it (a long
//!   `Description:`, the `Conffiles:` list);
//! - any other line is `Name: value`, the name being everything before the first colon,
//!   non-empty and without whitespace.
//!
//! Nothing is copied: stanzas and fields borrow the input. Bytes are not required to be
//! UTF-8 (a maintainer's name in Latin-1 in an old status file must not stop a scan). There
//! is no comment syntax: neither dpkg's status file nor apt's lists have comments, so a `#`
//! line is an ordinary (malformed) line. Lines end at `\n`; a `\r` before it is whitespace
//! and is trimmed from values.
//!
//! The iterator stops after the first syntax error: what follows a broken line cannot be
//! trusted to be split into stanzas the way its writer meant.

use std::fmt;

/// A line that is neither `Name: value` nor a continuation of a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct SyntaxError {
    /// The 1-based line number.
    pub line: usize,
    /// What is wrong with it.
    pub reason: &'static str,
}

const NOT_A_FIELD: &str = "line is not `Field: value` (and does not start with a space, so it does not continue a field either)";
const EMPTY_NAME: &str = "line is not `Field: value`: there is nothing before the colon";
const SPACE_IN_NAME: &str =
    "line is not `Field: value`: the field name before the colon contains whitespace";
const CONTINUATION_OUTSIDE: &str = "continuation line outside a field: a line starting with a space must follow a `Field: value` line of the same stanza";

/// One field of a stanza.
#[derive(Clone, PartialEq, Eq)]
pub struct Field<'a> {
    /// The name, as written (case is kept; compare with [`eq_ignore_ascii_case`]).
    ///
    /// [`eq_ignore_ascii_case`]: slice::eq_ignore_ascii_case
    pub name: &'a [u8],
    /// The text after the colon on the field's own line, without surrounding whitespace.
    pub value: &'a [u8],
    /// The 1-based line of `Name: value`.
    pub line: usize,
    /// The continuation lines, each with its 1-based line number, as written: with their
    /// leading whitespace (deb822 gives meaning to ` .`), without the `\n`.
    pub continuation: Vec<(usize, &'a [u8])>,
}

impl fmt::Debug for Field<'_> {
    /// Bytes shown as (lossy) text: a field is text nearly always.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Field")
            .field("name", &String::from_utf8_lossy(self.name))
            .field("value", &String::from_utf8_lossy(self.value))
            .field("line", &self.line)
            .field("continuation", &self.continuation.len())
            .finish()
    }
}

/// One stanza: the fields of one package (or of one `Release` file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stanza<'a> {
    /// The 1-based line of its first field.
    pub line: usize,
    fields: Vec<Field<'a>>,
}

impl<'a> Stanza<'a> {
    /// The value of the field `name` (compared without regard to ASCII case), trimmed;
    /// the first one if the field is repeated. Continuation lines are not included: see
    /// [`Stanza::field`].
    pub fn get(&self, name: &str) -> Option<&'a [u8]> {
        self.field(name).map(|field| field.value)
    }

    /// The whole field `name` (compared without regard to ASCII case), with its line and
    /// continuation lines; the first one if the field is repeated.
    pub fn field(&self, name: &str) -> Option<&Field<'a>> {
        self.fields
            .iter()
            .find(|field| field.name.eq_ignore_ascii_case(name.as_bytes()))
    }

    /// Every field, in the order written.
    pub fn fields(&self) -> &[Field<'a>] {
        &self.fields
    }
}

/// Reads the stanzas of `bytes` one at a time.
pub fn stanzas(bytes: &[u8]) -> Stanzas<'_> {
    Stanzas {
        rest: Some(bytes),
        next_line: 1,
    }
}

/// The iterator returned by [`stanzas`]. After a [`SyntaxError`] it returns `None`.
#[derive(Debug, Clone)]
pub struct Stanzas<'a> {
    /// The bytes not read yet; `None` once the end or an error was reached.
    rest: Option<&'a [u8]>,
    /// The 1-based number of the first line of `rest`.
    next_line: usize,
}

impl<'a> Stanzas<'a> {
    /// The next line and its number, without its `\n`.
    fn next_line(&mut self) -> Option<(usize, &'a [u8])> {
        let rest = self.rest?;
        let number = self.next_line;
        let line = match rest.iter().position(|&b| b == b'\n') {
            Some(end) => {
                let (line, tail) = rest.split_at(end);
                self.rest = Some(tail.get(1..).unwrap_or_default());
                line
            }
            None => {
                // The last line has no `\n` (or the input ended with one and this is the
                // empty remainder, which is a blank line and changes nothing).
                self.rest = None;
                rest
            }
        };
        self.next_line += 1;
        Some((number, line))
    }

    fn fail(
        &mut self,
        line: usize,
        reason: &'static str,
    ) -> Option<Result<Stanza<'a>, SyntaxError>> {
        self.rest = None;
        Some(Err(SyntaxError { line, reason }))
    }
}

impl<'a> Iterator for Stanzas<'a> {
    type Item = Result<Stanza<'a>, SyntaxError>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut stanza: Option<Stanza<'a>> = None;
        while let Some((number, line)) = self.next_line() {
            if line.iter().all(u8::is_ascii_whitespace) {
                match stanza {
                    Some(done) => return Some(Ok(done)),
                    None => continue,
                }
            }
            if matches!(line.first(), Some(b' ' | b'\t')) {
                match stanza.as_mut().and_then(|s| s.fields.last_mut()) {
                    Some(field) => field.continuation.push((number, line)),
                    None => return self.fail(number, CONTINUATION_OUTSIDE),
                }
                continue;
            }
            let Some(colon) = line.iter().position(|&b| b == b':') else {
                return self.fail(number, NOT_A_FIELD);
            };
            let (name, value) = line.split_at(colon);
            if name.is_empty() {
                return self.fail(number, EMPTY_NAME);
            }
            if name.iter().any(u8::is_ascii_whitespace) {
                return self.fail(number, SPACE_IN_NAME);
            }
            let field = Field {
                name,
                value: value.get(1..).unwrap_or_default().trim_ascii(),
                line: number,
                continuation: Vec::new(),
            };
            stanza
                .get_or_insert_with(|| Stanza {
                    line: number,
                    fields: Vec::new(),
                })
                .fields
                .push(field);
        }
        stanza.map(Ok)
    }
}

impl std::iter::FusedIterator for Stanzas<'_> {}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn all(bytes: &[u8]) -> Vec<Result<Stanza<'_>, SyntaxError>> {
        stanzas(bytes).collect()
    }

    #[test]
    fn fields_continuations_and_blank_lines() {
        let text = b"\n\nPackage: a\nversion:  1.0 \r\nDescription: short\n long\n .\n\t tab\n \n\t\nPackage: b\n";
        let got = all(text);
        assert_eq!(got.len(), 2, "{got:?}");
        let a = got[0].as_ref().unwrap();
        assert_eq!(a.line, 3);
        assert_eq!(a.get("package"), Some(b"a".as_slice()));
        assert_eq!(a.get("VERSION"), Some(b"1.0".as_slice()));
        let description = a.field("Description").unwrap();
        assert_eq!(description.line, 5);
        assert_eq!(description.value, b"short");
        assert_eq!(
            description.continuation,
            vec![(6, b" long".as_slice()), (7, b" ."), (8, b"\t tab")]
        );
        assert_eq!(a.get("Missing"), None);
        let b = got[1].as_ref().unwrap();
        assert_eq!((b.line, b.get("Package")), (11, Some(b"b".as_slice())));
    }

    #[test]
    fn the_first_of_a_repeated_field_wins_and_empty_values_are_kept() {
        let got = all(b"A: 1\na: 2\nEmpty:\nColons: x: y\n");
        let s = got[0].as_ref().unwrap();
        assert_eq!(s.get("A"), Some(b"1".as_slice()));
        assert_eq!(s.get("Empty"), Some(b"".as_slice()));
        assert_eq!(s.get("Colons"), Some(b"x: y".as_slice()));
        assert_eq!(s.fields().len(), 4);
    }

    #[test]
    fn non_utf8_is_fine() {
        let got = all(b"Maintainer: Jos\xe9\nPackage: \xff\n");
        let s = got[0].as_ref().unwrap();
        assert_eq!(s.get("Package"), Some(b"\xff".as_slice()));
    }

    #[test]
    fn errors_name_the_line_and_stop_the_iteration() {
        let cases: [(&[u8], usize, &str); 6] = [
            (b"Package: a\nno colon\nB: c\n", 2, "Field: value"),
            (b" leading\n", 1, "continuation"),
            (
                b"A: b\n\n continued after a blank line\n",
                3,
                "continuation",
            ),
            (b"A: b\n: value\n", 2, "nothing before the colon"),
            (b"A: b\nTwo words: value\n", 2, "whitespace"),
            (b"#comment: no\nA b\n", 2, "Field: value"),
        ];
        for (text, line, reason) in cases {
            let got = all(text);
            let error = got
                .iter()
                .find_map(|r| r.as_ref().err())
                .unwrap_or_else(|| panic!("{text:?}: no error in {got:?}"));
            assert_eq!(error.line, line, "{text:?}");
            assert!(error.reason.contains(reason), "{error}");
            assert!(got.last().unwrap().is_err(), "nothing after an error");
            assert!(error.to_string().starts_with(&format!("line {line}: ")));
        }
    }

    #[test]
    fn empty_input_has_no_stanzas() {
        assert!(all(b"").is_empty());
        assert!(all(b"\n \n\t\r\n").is_empty());
    }
}
