//! Which database phiguard talks to, and how to name it without leaking a password.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::StoreError;

/// The two databases phiguard runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        })
    }
}

/// A database location: an SQLite file or a PostgreSQL URL.
///
/// `Display` never shows a password, so a `DatabaseUrl` is safe to print and log.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

impl DatabaseUrl {
    /// Parses what a user gives as `--database`: `postgres://…`, `postgresql://…`,
    /// `sqlite://PATH`, or a plain file path for SQLite.
    pub fn parse(text: &str) -> Result<DatabaseUrl, StoreError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(StoreError::BadUrl {
                reason: "it is empty".into(),
            });
        }
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(text.to_owned()));
        }
        if let Some(path) = text.strip_prefix("sqlite://") {
            let path = path.split('?').next().unwrap_or(path);
            if path.is_empty() || path == ":memory:" {
                return Err(StoreError::BadUrl {
                    reason: "an SQLite URL must name a file, e.g. sqlite:///var/lib/phiguard/phiguard.db"
                        .into(),
                });
            }
            return Ok(DatabaseUrl::Sqlite(PathBuf::from(path)));
        }
        if let Some((scheme, _)) = text.split_once("://") {
            return Err(StoreError::BadUrl {
                reason: format!(
                    "phiguard stores its records in SQLite or PostgreSQL, and `{scheme}` is neither; \
                     use a postgres://… URL, or leave it unset for the embedded SQLite file"
                ),
            });
        }
        Ok(DatabaseUrl::Sqlite(PathBuf::from(text)))
    }

    pub fn sqlite(path: impl Into<PathBuf>) -> DatabaseUrl {
        DatabaseUrl::Sqlite(path.into())
    }

    pub fn backend(&self) -> Backend {
        match self {
            DatabaseUrl::Sqlite(_) => Backend::Sqlite,
            DatabaseUrl::Postgres(_) => Backend::Postgres,
        }
    }

    /// The URL handed to the driver. Contains the password, if any: never print it.
    pub(crate) fn connection_url(&self) -> Result<String, StoreError> {
        match self {
            DatabaseUrl::Postgres(url) => Ok(url.clone()),
            DatabaseUrl::Sqlite(path) => {
                let absolute = std::path::absolute(path).map_err(|e| StoreError::BadUrl {
                    reason: format!("cannot resolve {}: {e}", path.display()),
                })?;
                let text = absolute.to_str().ok_or_else(|| StoreError::BadUrl {
                    reason: format!(
                        "the SQLite path {} is not valid UTF-8; choose a home whose path is",
                        absolute.display()
                    ),
                })?;
                // `mode=rwc`: create the file if missing. The home creates it 0600 first, so
                // this only matters for a path given with --database.
                Ok(format!("sqlite://{}?mode=rwc", percent_encode_path(text)))
            }
        }
    }

    pub fn sqlite_path(&self) -> Option<&Path> {
        match self {
            DatabaseUrl::Sqlite(path) => Some(path),
            DatabaseUrl::Postgres(_) => None,
        }
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseUrl::Sqlite(path) => write!(f, "{}", path.display()),
            DatabaseUrl::Postgres(url) => f.write_str(&redact_password(url)),
        }
    }
}

/// Replaces the password in `scheme://user:password@host/…` and in a `password=` query
/// parameter with `***`.
fn redact_password(url: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let mut out = match base.find("://").map(|i| i + 3) {
        Some(authority_start) => {
            let rest = &base[authority_start..];
            let authority = &rest[..rest.find('/').unwrap_or(rest.len())];
            match authority.rfind('@').map(|at| (&authority[..at], at)) {
                Some((userinfo, at)) if userinfo.contains(':') => {
                    let user = userinfo.split(':').next().unwrap_or_default();
                    format!("{}{user}:***{}", &base[..authority_start], &rest[at..])
                }
                _ => base.to_owned(),
            }
        }
        None => base.to_owned(),
    };
    if let Some(query) = query {
        let pairs: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}=***"),
                _ => pair.to_owned(),
            })
            .collect();
        out.push('?');
        out.push_str(&pairs.join("&"));
    }
    out
}

/// Percent-encodes every byte of a path except unreserved characters and `/`, so that
/// `?`, `#`, `%` and spaces in a file name survive the trip through a URL.
fn percent_encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'/' | b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_kind() {
        assert_eq!(
            DatabaseUrl::parse("postgres://u@h/db").unwrap().backend(),
            Backend::Postgres
        );
        assert_eq!(
            DatabaseUrl::parse("postgresql://u@h/db").unwrap().backend(),
            Backend::Postgres
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///var/x.db?mode=rwc").unwrap(),
            DatabaseUrl::Sqlite("/var/x.db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("data/x.db").unwrap(),
            DatabaseUrl::Sqlite("data/x.db".into())
        );
    }

    #[test]
    fn rejects_other_databases_and_empty() {
        let err = DatabaseUrl::parse("mysql://root@localhost/db").unwrap_err();
        assert!(err.to_string().contains("`mysql` is neither"), "{err}");
        assert!(DatabaseUrl::parse("  ").is_err());
        assert!(DatabaseUrl::parse("sqlite://:memory:").is_err());
    }

    #[test]
    fn display_hides_passwords() {
        let url =
            DatabaseUrl::parse("postgres://alice:s3cr%40t@db.example:5432/phi?sslmode=require")
                .unwrap();
        let shown = url.to_string();
        assert_eq!(
            shown,
            "postgres://alice:***@db.example:5432/phi?sslmode=require"
        );
        let url = DatabaseUrl::parse("postgres://db/phi?user=a&password=hunter2").unwrap();
        assert_eq!(url.to_string(), "postgres://db/phi?user=a&password=***");
        assert!(!format!("{url:?}").contains("hunter2"));
        // No password: unchanged.
        let url = DatabaseUrl::parse("postgres://alice@db/phi").unwrap();
        assert_eq!(url.to_string(), "postgres://alice@db/phi");
    }

    proptest::proptest! {
        /// Whatever the user name, password, host and query, the printed URL never holds the
        /// password, and parsing or printing never panics.
        #[test]
        fn a_password_never_reaches_the_printed_url(
            user in "[a-z][a-z0-9_]{0,8}",
            password in "[A-Za-z0-9!$%^*()_=-]{6,20}",
            host in "[a-z0-9.-]{1,20}",
            query in "[a-z=&]{0,20}",
        ) {
            for text in [
                format!("postgres://{user}:{password}@{host}:5432/phi?{query}"),
                format!("postgresql://{host}/phi?user={user}&password={password}&{query}"),
            ] {
                let shown = DatabaseUrl::parse(&text).unwrap().to_string();
                proptest::prop_assert!(!shown.contains(&password), "{}", shown);
            }
        }

        #[test]
        fn arbitrary_text_parses_or_is_refused(text in "\\PC{0,80}") {
            if let Ok(url) = DatabaseUrl::parse(&text) {
                let _ = url.to_string();
                let _ = url.connection_url();
            }
        }
    }

    #[test]
    fn sqlite_paths_with_url_characters_are_encoded() {
        let url = DatabaseUrl::sqlite("/tmp/a b?c#d%e.db")
            .connection_url()
            .unwrap();
        assert_eq!(url, "sqlite:///tmp/a%20b%3Fc%23d%25e.db?mode=rwc");
    }
}
