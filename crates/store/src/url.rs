//! Which database phiguard talks to, and how to name it without leaking a password.
//!
//! A PostgreSQL URL is taken apart here, before the driver sees it, for two reasons: what is
//! printed of it must never hold the password, whatever characters the password has, and a
//! URL whose password was typed without percent-encoding (`/`, `?`, `#` end the host part of
//! a URL) must be refused before the driver mistakes part of the password for a host, port
//! or database name and prints it in an error.

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
    /// `url` goes to the driver as it is; `shown` is rebuilt from its parts with the
    /// password left out, and is all that is ever printed.
    Postgres {
        url: String,
        shown: String,
    },
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

/// The form every refusal of a PostgreSQL address points to.
const URL_FORM: &str = "postgres://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=require, with each \
     `/ ? # @ : % & = +` or space in the user name or password percent-encoded (%2F %3F %23 \
     %40 %3A %25 %26 %3D %2B %20)";

/// Said of every refused PostgreSQL address, so nobody looks for it in the message.
const NOT_SHOWN: &str = "(the text is not shown here, as it may hold a password)";

/// The query parameters the PostgreSQL driver understands; anything else is refused, since
/// a stray `&` in a password typed into the query would otherwise turn its end into a
/// parameter the driver ignores with a warning that shows it.
const QUERY_KEYS: &[&str] = &[
    "sslmode",
    "ssl-mode",
    "sslrootcert",
    "ssl-root-cert",
    "ssl-ca",
    "sslcert",
    "ssl-cert",
    "sslkey",
    "ssl-key",
    "statement-cache-capacity",
    "host",
    "hostaddr",
    "port",
    "dbname",
    "user",
    "password",
    "application_name",
    "options",
];

fn refused(reason: String) -> StoreError {
    StoreError::BadUrl { reason }
}

impl DatabaseUrl {
    /// Parses what a user gives as `--database`: `postgres://…`, `postgresql://…`,
    /// `sqlite://PATH`, or a plain file path for SQLite (one without `=`: that is a libpq
    /// `key=value` string, refused with the URL form to use instead).
    pub fn parse(text: &str) -> Result<DatabaseUrl, StoreError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(refused("it is empty".into()));
        }
        for scheme in ["postgres://", "postgresql://"] {
            if let Some(rest) = text.strip_prefix(scheme) {
                return parse_postgres(text, scheme, rest);
            }
        }
        if let Some(path) = text.strip_prefix("sqlite://") {
            let path = path.split('?').next().unwrap_or(path);
            if path.is_empty() || path == ":memory:" {
                return Err(refused(
                    "an SQLite URL must name a file, e.g. sqlite:///var/lib/phiguard/phiguard.db"
                        .into(),
                ));
            }
            return Ok(DatabaseUrl::Sqlite(PathBuf::from(path)));
        }
        if let Some((scheme, _)) = text.split_once("://") {
            // The scheme is shown only when it looks like one: a password can hold `://`.
            let named = if !scheme.is_empty()
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
            {
                format!("`{scheme}` is neither")
            } else {
                format!("this is neither {NOT_SHOWN}")
            };
            return Err(refused(format!(
                "phiguard stores its records in SQLite or PostgreSQL, and {named}; use a \
                 postgres://… URL, or leave it unset for the embedded SQLite file"
            )));
        }
        if text.contains('=') {
            return Err(refused(format!(
                "it looks like a libpq connection string (key=value pairs), which phiguard \
                 does not take: it would be mistaken for the name of an SQLite file. Write \
                 it as a URL, {URL_FORM}; an SQLite file whose path holds `=` is written \
                 sqlite://PATH {NOT_SHOWN}"
            )));
        }
        Ok(DatabaseUrl::Sqlite(PathBuf::from(text)))
    }

    pub fn sqlite(path: impl Into<PathBuf>) -> DatabaseUrl {
        DatabaseUrl::Sqlite(path.into())
    }

    pub fn backend(&self) -> Backend {
        match self {
            DatabaseUrl::Sqlite(_) => Backend::Sqlite,
            DatabaseUrl::Postgres { .. } => Backend::Postgres,
        }
    }

    /// The URL handed to the driver. Contains the password, if any: never print it.
    pub(crate) fn connection_url(&self) -> Result<String, StoreError> {
        match self {
            DatabaseUrl::Postgres { url, .. } => Ok(url.clone()),
            DatabaseUrl::Sqlite(path) => {
                let absolute = std::path::absolute(path)
                    .map_err(|e| refused(format!("cannot resolve {}: {e}", path.display())))?;
                let text = absolute.to_str().ok_or_else(|| {
                    refused(format!(
                        "the SQLite path {} is not valid UTF-8; choose a home whose path is",
                        absolute.display()
                    ))
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
            DatabaseUrl::Postgres { .. } => None,
        }
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseUrl::Sqlite(path) => write!(f, "{}", path.display()),
            DatabaseUrl::Postgres { shown, .. } => f.write_str(shown),
        }
    }
}

/// Checks a PostgreSQL URL's shape and builds the text shown for it:
/// `scheme://user:***@host:port/database?key=value…`, the password (in the user part or the
/// `password` parameter) replaced by `***`.
///
/// Following the URL standard, the host part ends at the first `/` or `?` and the user part
/// ends at the last `@` before it. An `@` after that, or a `#` anywhere, means a password was
/// typed without percent-encoding and the driver would read part of it as the host, port or
/// database: such a URL is refused, without showing it.
fn parse_postgres(text: &str, scheme: &str, rest: &str) -> Result<DatabaseUrl, StoreError> {
    if rest.contains('#') {
        return Err(refused(format!(
            "it holds a `#`, which ends a URL, so everything after it would be dropped; a `#` \
             in a password is written %23. The form is {URL_FORM} {NOT_SHOWN}"
        )));
    }
    let host_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(host_end);
    if tail.contains('@') {
        return Err(refused(format!(
            "it holds an `@` after the host part: a user name or password with `/`, `?` or \
             `@` must be percent-encoded, or the driver reads part of it as the host or \
             database. The form is {URL_FORM} {NOT_SHOWN}"
        )));
    }
    let (path, query) = match tail.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (tail, None),
    };
    let mut shown = scheme.to_owned();
    let host = match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            match userinfo.split_once(':') {
                Some((user, _password)) => {
                    shown.push_str(user);
                    shown.push_str(":***");
                }
                None => shown.push_str(userinfo),
            }
            shown.push('@');
            host
        }
        None => authority,
    };
    shown.push_str(host);
    shown.push_str(path);
    if let Some(query) = query {
        let mut pairs = Vec::new();
        for pair in query.split('&').filter(|pair| !pair.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let known =
                QUERY_KEYS.contains(&key) || (key.starts_with("options[") && key.ends_with(']'));
            if !known {
                return Err(refused(format!(
                    "its query holds a parameter PostgreSQL connections do not take (they \
                     take {}, and options[NAME]); check its spelling, and percent-encode any \
                     `&`, `=`, `+` or `%` in a password given as ?password= (%26 %3D %2B %25) \
                     {NOT_SHOWN}",
                    QUERY_KEYS.join(", ")
                )));
            }
            pairs.push(if key == "password" {
                format!("{key}=***")
            } else {
                format!("{key}={value}")
            });
        }
        shown.push('?');
        shown.push_str(&pairs.join("&"));
    }
    Ok(DatabaseUrl::Postgres {
        url: text.to_owned(),
        shown,
    })
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
        // A path with `=` is SQLite only when said so.
        assert_eq!(
            DatabaseUrl::parse("sqlite:///srv/a=b/x.db").unwrap(),
            DatabaseUrl::Sqlite("/srv/a=b/x.db".into())
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
    fn a_libpq_connection_string_is_refused_with_the_url_form_and_without_the_password() {
        for text in [
            "host=db password=s3cr/et dbname=x",
            "host=db password=s3cret dbname=x",
            "dbname=phi user=alice password='it''s=secret'",
            "password=s3cret",
        ] {
            let err = DatabaseUrl::parse(text).unwrap_err().to_string();
            assert!(err.contains("libpq connection string"), "{err}");
            assert!(err.contains("postgres://USER:PASSWORD@HOST"), "{err}");
            assert!(err.contains("sqlite://PATH"), "{err}");
            assert!(!err.contains("s3cr"), "the password leaked: {err}");
            assert!(!err.contains("secret"), "the password leaked: {err}");
        }
    }

    #[test]
    fn a_password_typed_without_percent_encoding_is_refused_without_showing_it() {
        for (text, says) in [
            (
                "postgres://u:pa/ss?w@127.0.0.1:5432/x",
                "after the host part",
            ),
            ("postgres://alice:1234/x@db/phi", "after the host part"),
            ("postgres://alice:pa#ss@db/phi", "`#`"),
            ("postgres://db/phi?password=ab#cd", "`#`"),
            ("postgres://db/phi?password=ab&cdefg", "parameter"),
            ("postgres://db/phi?user=a@b", "after the host part"),
        ] {
            let err = DatabaseUrl::parse(text).unwrap_err().to_string();
            assert!(err.contains(says), "{text}: {err}");
            assert!(err.contains("percent-encod"), "{text}: {err}");
            for secret in ["pa/ss", "pa", "1234", "ab", "cdefg", "a@b"] {
                assert!(
                    !err.contains(&format!(":{secret}")) && !err.contains(&format!("{secret}@")),
                    "{text}: {err}"
                );
            }
            assert!(!err.contains(text), "{err}");
        }
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
        // An `@` or `:` in the password itself is fine: the last `@` ends the user part.
        let url = DatabaseUrl::parse("postgres://alice:p@ss:w@db/phi").unwrap();
        assert_eq!(url.to_string(), "postgres://alice:***@db/phi");
        // No password: unchanged.
        let url = DatabaseUrl::parse("postgres://alice@db/phi").unwrap();
        assert_eq!(url.to_string(), "postgres://alice@db/phi");
        let url = DatabaseUrl::parse("postgresql:///phi?host=/run/postgresql").unwrap();
        assert_eq!(url.to_string(), "postgresql:///phi?host=/run/postgresql");
    }

    proptest::proptest! {
        /// Whatever the user name, password, host and query, the printed URL never holds the
        /// password, and parsing or printing never panics.
        #[test]
        fn a_password_never_reaches_the_printed_url(
            user in "[a-z][a-z0-9_]{0,8}",
            password in "[A-Za-z0-9!$%^*()_=-]{6,20}",
            host in "[a-z0-9.-]{1,20}",
            sslmode in "(disable|prefer|require)",
        ) {
            for text in [
                format!("postgres://{user}:{password}@{host}:5432/phi?sslmode={sslmode}"),
                format!("postgresql://{host}/phi?user={user}&password={password}&sslmode={sslmode}"),
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
