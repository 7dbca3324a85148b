//! A database password never appears in what opening the database prints, whatever
//! characters it holds and wherever it sits in the URL: typed as it is or percent-encoded, in
//! the user part or as `?password=`, with a bad port, an unreachable server or a database
//! that does not exist.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failure with its location

use std::time::Duration;

use phiguard_store::{DatabaseUrl, Store, StoreOptions};
use proptest::prelude::*;

/// Every character with a meaning in a URL or a libpq string, quotes, a backslash, spaces and
/// letters from beyond ASCII, beside plain ones.
const ODD: &[char] = &[
    '/', '?', '#', '@', ':', '%', '=', '&', '+', ' ', '\'', '"', '`', '\\', ';', ',', '[', ']',
    '{', '}', '<', '>', '|', '^', '~', '!', '$', '*', '(', ')', 'é', 'ß', 'ж', '密', '🔑',
    '\u{a0}',
];

fn password() -> impl Strategy<Value = String> {
    let plain = proptest::char::ranges(vec!['a'..='z', 'A'..='Z', '0'..='9'].into());
    let odd = proptest::sample::select(ODD);
    proptest::collection::vec(prop_oneof![plain, odd], 10..28)
        .prop_map(|chars| chars.into_iter().collect())
}

/// Percent-encodes every byte but unreserved characters, as a careful user would.
fn encoded(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The error and every cause under it, as a person would read them.
fn printed(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(&format!("\n  cause: {cause}"));
        source = cause.source();
    }
    text
}

/// Fails if `printed` holds the password, its encoded form, or any six characters of it in
/// a row (a password cut in two by a misread URL would leak in pieces).
fn assert_hidden(printed: &str, password: &str, url: &str) -> Result<(), TestCaseError> {
    let chars: Vec<char> = password.chars().collect();
    for window in chars.windows(6) {
        let piece: String = window.iter().collect();
        prop_assert!(
            !printed.contains(&piece),
            "{piece:?} of the password leaked from {url:?}:\n{printed}"
        );
    }
    prop_assert!(!printed.contains(&encoded(password)), "{printed}");
    Ok(())
}

/// The URLs a user could write with this password: typed as it is or encoded, in the user
/// part or the query, around `host_port` and `database`.
fn urls(password: &str, host_port: &str, database: &str) -> Vec<String> {
    let enc = encoded(password);
    vec![
        format!("postgres://phiguard:{password}@{host_port}/{database}"),
        format!("postgres://phiguard:{enc}@{host_port}/{database}"),
        format!("postgresql://phiguard:{enc}@{host_port}/{database}?sslmode=disable"),
        format!("postgres://{host_port}/{database}?user=phiguard&password={enc}"),
        format!("postgres://{host_port}/{database}?user=phiguard&password={password}"),
    ]
}

/// Parses and opens `url`; whatever is printed (the refusal, the connection error, or the
/// URL shown for an opened store) must not hold the password.
fn open_and_check(
    runtime: &tokio::runtime::Runtime,
    url: &str,
    password: &str,
) -> Result<(), TestCaseError> {
    let parsed = match DatabaseUrl::parse(url) {
        Ok(parsed) => parsed,
        Err(refused) => return assert_hidden(&printed(&refused), password, url),
    };
    assert_hidden(&parsed.to_string(), password, url)?;
    assert_hidden(&format!("{parsed:?}"), password, url)?;
    let options = StoreOptions {
        connect_timeout: Duration::from_secs(3),
        ..StoreOptions::default()
    };
    match runtime.block_on(Store::open(&parsed, &options)) {
        Ok(store) => {
            assert_hidden(&store.url().to_string(), password, url)?;
            runtime.block_on(store.close());
        }
        Err(error) => assert_hidden(&printed(&error), password, url)?,
    }
    Ok(())
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// A port out of range, a port that is not a number, and a server that is not there
    /// (nothing listens on port 1 of loopback, so it is refused at once).
    #[test]
    fn no_password_in_errors_for_a_bad_port_or_an_unreachable_server(password in password()) {
        let runtime = runtime();
        for host_port in ["127.0.0.1:99999", "127.0.0.1:x5432", "127.0.0.1:1", "[::1]:1"] {
            for url in urls(&password, host_port, "phiguard") {
                open_and_check(&runtime, &url, &password)?;
            }
        }
    }
}

/// `host:port` of the test server, from the URL in `PHIGUARD_TEST_POSTGRES`.
fn test_server_host_port(server: &str) -> String {
    let rest = server.split_once("://").map_or(server, |(_, rest)| rest);
    let authority = rest.split(['/', '?']).next().unwrap_or(rest);
    authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host)
        .to_owned()
}

/// A real server that answers: with this password the login fails, or (where the server
/// trusts local connections) the database does not exist. Neither error shows the password.
#[test]
fn no_password_in_errors_from_a_real_server() {
    let Some(server) = phiguard_testkit::postgres_server() else {
        return;
    };
    let host_port = test_server_host_port(&server);
    let runtime = runtime();
    let config = ProptestConfig {
        cases: 16,
        ..ProptestConfig::default()
    };
    proptest::test_runner::TestRunner::new(config)
        .run(&password(), |password| {
            for url in urls(&password, &host_port, "phiguard_no_such_database") {
                open_and_check(&runtime, &url, &password)?;
            }
            Ok(())
        })
        .unwrap();
}
