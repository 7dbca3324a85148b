//! The fields that name a package, read the same way from dpkg's status and apt's lists:
//! one place decides what a missing or invalid `Package`, `Version` or `Architecture` is.

use std::path::Path;

use crate::ReadError;
use crate::deb822::{self, Stanza};
use crate::version::Version;

/// Reads the stanzas of one file, turning every problem into a [`ReadError::Malformed`] that
/// names the file and line and ends with `hint` (what to do about a damaged file).
pub(crate) struct PackageFile<'a> {
    pub path: &'a Path,
    pub hint: &'static str,
}

impl<'a> PackageFile<'a> {
    pub fn malformed(&self, line: usize, reason: String) -> ReadError {
        ReadError::Malformed {
            path: self.path.to_path_buf(),
            line,
            reason,
        }
    }

    /// Each stanza of `bytes`; a syntax error ends the file.
    pub fn stanzas<'b>(
        &'a self,
        bytes: &'b [u8],
    ) -> impl Iterator<Item = Result<Stanza<'b>, ReadError>> + use<'a, 'b> {
        deb822::stanzas(bytes).map(|stanza| {
            stanza.map_err(|e| self.malformed(e.line, format!("{}; {}", e.reason, self.hint)))
        })
    }

    /// The non-empty `Package` field.
    pub fn name(&self, stanza: &Stanza<'_>) -> Result<String, ReadError> {
        match stanza.get("Package").filter(|n| !n.is_empty()) {
            Some(name) => Ok(String::from_utf8_lossy(name).into_owned()),
            None => Err(self.malformed(
                stanza.line,
                format!(
                    "the stanza starting here has no `Package` field; {}",
                    self.hint
                ),
            )),
        }
    }

    /// The `Version` field of the package `label` (e.g. "installed package") `name`.
    pub fn version(
        &self,
        stanza: &Stanza<'_>,
        label: &str,
        name: &str,
    ) -> Result<Version, ReadError> {
        let Some(field) = stanza.field("Version").filter(|f| !f.value.is_empty()) else {
            return Err(self.malformed(
                stanza.line,
                format!("{label} `{name}` has no `Version` field; {}", self.hint),
            ));
        };
        Version::try_from(field.value).map_err(|e| {
            self.malformed(field.line, format!("{label} `{name}`: {e}; {}", self.hint))
        })
    }
}

/// The `Architecture` field, empty when absent.
pub(crate) fn architecture(stanza: &Stanza<'_>) -> String {
    String::from_utf8_lossy(stanza.get("Architecture").unwrap_or_default()).into_owned()
}
