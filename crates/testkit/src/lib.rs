//! Test support shared by every phiguard crate.
//!
//! Some tests need something outside the Rust toolchain: a PostgreSQL server, AIDE, SoftHSM2,
//! Chromium, age. On a fresh machine with only Rust, those tests skip with a one-line note
//! that says what to install, so `cargo test --workspace` passes. In CI,
//! `PHIGUARD_TEST_REQUIRE_ALL=1` turns every such skip into a failure, so nothing is ever
//! silently skipped there. This crate is the one place that decides.

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::Connection;

/// Set to `1` (CI does) to make a missing outside tool fail the test instead of skipping it.
pub const REQUIRE_ALL_ENV: &str = "PHIGUARD_TEST_REQUIRE_ALL";
/// The PostgreSQL server the tests may create databases on, e.g.
/// `postgres://postgres@127.0.0.1:5432/test`.
pub const POSTGRES_ENV: &str = "PHIGUARD_TEST_POSTGRES";

/// Whether a missing outside tool must fail the test.
pub fn require_all() -> bool {
    std::env::var(REQUIRE_ALL_ENV).is_ok_and(|v| v == "1")
}

/// Reports that `what` is missing: under `PHIGUARD_TEST_REQUIRE_ALL=1` this panics (the test
/// fails); otherwise it prints one line to stderr and the caller returns early.
///
/// The note is written to the process's stderr directly rather than with `eprintln!`, which
/// the test harness captures and would hide.
pub fn missing(what: &str, how_to_get_it: &str) {
    let line = format!("skipped: this test needs {what}; {how_to_get_it}");
    if require_all() {
        panic!("{line} ({REQUIRE_ALL_ENV}=1 forbids skipping)");
    }
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// Finds `program` on `PATH`, or reports it missing with the Debian package to install.
pub fn program(program: &str, debian_package: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|candidate| candidate.is_file())
    });
    if found.is_none() {
        missing(
            &format!("`{program}`"),
            &format!("install it with `apt-get install {debian_package}`"),
        );
    }
    found
}

/// The URL of the PostgreSQL server for tests, or `None` (after the skip note) when
/// `PHIGUARD_TEST_POSTGRES` is unset.
pub fn postgres_server() -> Option<String> {
    match std::env::var(POSTGRES_ENV) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            missing(
                "PostgreSQL",
                &format!(
                    "set {POSTGRES_ENV}=postgres://postgres@127.0.0.1:5432/test (see .ci/run)"
                ),
            );
            None
        }
    }
}

/// A database created for one test and dropped when the value is dropped, so tests on one
/// server never see each other's data and can run in parallel.
#[derive(Debug)]
pub struct PostgresDatabase {
    server_url: String,
    name: String,
    url: String,
}

impl PostgresDatabase {
    /// The URL of this test's own database.
    pub fn url(&self) -> &str {
        &self.url
    }
}

/// Creates a fresh, empty database on the test server, or `None` (after the skip note) when
/// no server is configured. A configured server that cannot be reached fails the test: the
/// developer asked for PostgreSQL tests and would otherwise get a false green.
pub async fn fresh_postgres_database() -> Option<PostgresDatabase> {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let server_url = postgres_server()?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let name = format!(
        "phiguard_test_{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let mut admin = sqlx::PgConnection::connect(&server_url)
        .await
        .unwrap_or_else(|e| panic!("{POSTGRES_ENV} is set but the server is unreachable: {e}"));
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
        .execute(&mut admin)
        .await
        .unwrap_or_else(|e| panic!("could not create test database {name}: {e}"));
    let _ = admin.close().await;
    let url = with_database(&server_url, &name);
    Some(PostgresDatabase {
        server_url,
        name,
        url,
    })
}

impl Drop for PostgresDatabase {
    fn drop(&mut self) {
        // Drop may run inside a Tokio runtime, where blocking on a future panics; a short-lived
        // thread with its own runtime avoids that.
        let server_url = self.server_url.clone();
        let sql = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let mut admin = sqlx::PgConnection::connect(&server_url).await.ok()?;
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                    .execute(&mut admin)
                    .await
                    .ok()
            })
        })
        .join();
    }
}

/// Generates, for each named suite function `async fn name(db: TestDb)`, one
/// `#[tokio::test]` on SQLite (`sqlite::name`) and one on PostgreSQL (`postgres::name`), so a
/// storage suite is written once and runs on both databases. The calling test file defines
/// `TestDb` with `async fn sqlite() -> TestDb` and `async fn postgres() -> Option<TestDb>`
/// (`None` after the skip note, see [`fresh_postgres_database`]).
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::TestDb::sqlite().await).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(db) = super::TestDb::postgres().await else { return };
                    super::$name(db).await
                }
            )*
        }
    };
}

/// Replaces the database name (the URL path) of a PostgreSQL URL, keeping its query.
fn with_database(server_url: &str, database: &str) -> String {
    let (base, query) = match server_url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (server_url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{database}?{query}"),
        None => format!("{base}/{database}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_name_is_replaced_and_query_kept() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/test", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database("postgres://u@h:1?sslmode=disable", "x"),
            "postgres://u@h:1/x?sslmode=disable"
        );
        assert_eq!(
            with_database("postgresql://u@h/db?a=b", "x"),
            "postgresql://u@h/x?a=b"
        );
    }
}
