//! phiguard's SQL storage: one schema, on an embedded SQLite file or on PostgreSQL.
//!
//! Every query is written once and runs on both databases through sqlx's `Any` driver, with
//! `$1`-style placeholders (which SQLite accepts too). The store owns the connection and the
//! schema; the crates that keep records (ledger, register, …) bring their queries and run
//! them on [`Store::pool`], with their tables added here as migrations so there is one schema.

mod error;
mod findings;
mod migrate;
mod sql;
pub mod timestamp;
mod url;
mod write_lock;

use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::{AnyConnection, AnyPool, Connection, Executor};

pub use error::{StoreError, query_error};
pub use findings::{CheckRun, StoredCheckRun};
pub use migrate::SCHEMA_VERSION;
pub use sql::{MAX_ROWS_PER_INSERT, insert_chunks};
pub use url::{Backend, DatabaseUrl};
pub use write_lock::WriteLock;

/// How to reach the database; the defaults match `phiguard.toml`'s.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// How long an SQLite writer waits for another's lock before failing.
    pub busy_timeout: Duration,
    /// How long to keep trying to reach the database.
    pub connect_timeout: Duration,
    /// Connections kept open at most.
    pub max_connections: u32,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            busy_timeout: Duration::from_millis(5000),
            connect_timeout: Duration::from_secs(10),
            max_connections: 8,
        }
    }
}

/// Settings every new connection gets before it is used.
async fn prepare_connection(
    conn: &mut AnyConnection,
    backend: Backend,
    busy_ms: u128,
) -> Result<(), sqlx::Error> {
    if backend == Backend::Sqlite {
        // WAL: readers never block the writer. synchronous=FULL: a commit is on disk before it
        // is acknowledged, even across a power loss (the ledger depends on it). Foreign keys
        // are off unless asked for, in SQLite.
        let pragmas = format!(
            "PRAGMA busy_timeout = {busy_ms}; PRAGMA journal_mode = WAL; \
             PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;"
        );
        // The busy timeout does not cover every lock these take: switching a new file to WAL
        // while another process opens it too can fail at once with SQLITE_BUSY. Retried
        // until the busy timeout has passed, as any other wait for the lock is.
        let deadline = std::time::Instant::now() + Duration::from_millis(busy_ms as u64);
        loop {
            match conn.execute(sqlx::AssertSqlSafe(pragmas.clone())).await {
                Ok(_) => break,
                Err(error) if is_busy(&error) && std::time::Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                Err(error) => return Err(error),
            }
        }
    }
    Ok(())
}

/// Whether `error` is SQLite's SQLITE_BUSY (code 5, or one of its extended codes).
fn is_busy(error: &sqlx::Error) -> bool {
    let sqlx::Error::Database(error) = error else {
        return false;
    };
    error
        .code()
        .and_then(|code| code.parse::<i32>().ok())
        .is_some_and(|code| code & 0xff == 5)
}

/// A connection pool to phiguard's database, migrated to the current schema.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    url: DatabaseUrl,
}

/// How many records of each kind the database holds, for `phiguard status`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub check_runs: i64,
    pub findings: i64,
    pub ledger_entries: i64,
    pub ledger_checkpoints: i64,
}

impl Store {
    /// Connects, then applies any pending migrations. Refuses a database whose schema is
    /// newer than this build understands.
    pub async fn open(url: &DatabaseUrl, options: &StoreOptions) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = url.backend();
        let connect_error = |source| StoreError::Connect {
            backend,
            location: url.to_string(),
            hint: match backend {
                Backend::Sqlite => {
                    "Check that its directory exists and is writable, and that the file is a \
                     phiguard SQLite database."
                }
                Backend::Postgres => {
                    "Check that the server is running and reachable, and that the host, port, \
                     user, password and database name are right; set the URL with --database \
                     or PHIGUARD_DATABASE_URL."
                }
            },
            source,
        };
        let busy_ms = options.busy_timeout.as_millis();
        let connection_url = url.connection_url()?;
        // One attempt first, with a deadline: the pool would retry every failure until its
        // acquire timeout, which makes a wrong URL or a file that is not a database wait for
        // nothing before it reports a problem that retrying cannot fix.
        let probe = async {
            let started = std::time::Instant::now();
            loop {
                let attempt = async {
                    let mut conn = AnyConnection::connect(&connection_url).await?;
                    prepare_connection(&mut conn, backend, busy_ms).await?;
                    conn.close().await
                };
                match attempt.await {
                    // Another process holds the lock while it creates the same new file.
                    Err(error) if is_busy(&error) && started.elapsed().as_millis() < busy_ms => {
                        tokio::time::sleep(Duration::from_millis(5)).await;
                    }
                    result => break result,
                }
            }
        };
        match tokio::time::timeout(options.connect_timeout, probe).await {
            Ok(result) => result.map_err(connect_error)?,
            Err(_elapsed) => return Err(connect_error(sqlx::Error::PoolTimedOut)),
        }
        let pool = AnyPoolOptions::new()
            .max_connections(match backend {
                // One writer at a time anyway; more connections only queue on the lock.
                Backend::Sqlite => options.max_connections.min(4),
                Backend::Postgres => options.max_connections,
            })
            .acquire_timeout(options.connect_timeout)
            .after_connect(move |conn, _meta| Box::pin(prepare_connection(conn, backend, busy_ms)))
            .connect(&connection_url)
            .await
            .map_err(connect_error)?;
        migrate::migrate(&pool, backend, &url.to_string()).await?;
        Ok(Store {
            pool,
            url: url.clone(),
        })
    }

    /// The pool, for crates that keep their own records in this schema.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn backend(&self) -> Backend {
        self.url.backend()
    }

    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// The schema version of the database (equal to [`SCHEMA_VERSION`] once opened).
    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        let mut conn = self
            .pool
            .acquire()
            .await
            .map_err(query_error("taking a connection"))?;
        migrate::current_version(&mut conn).await
    }

    pub async fn counts(&self) -> Result<Counts, StoreError> {
        let count = |sql: &'static str| async move {
            sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(&self.pool)
                .await
                .map_err(query_error("counting stored records"))
        };
        Ok(Counts {
            check_runs: count("SELECT COUNT(*) FROM check_runs").await?,
            findings: count("SELECT COUNT(*) FROM findings").await?,
            ledger_entries: count("SELECT COUNT(*) FROM ledger_entries").await?,
            ledger_checkpoints: count("SELECT COUNT(*) FROM ledger_checkpoints").await?,
        })
    }

    /// Closes every connection, waiting for them to finish; SQLite checkpoints its WAL.
    pub async fn close(self) {
        self.pool.close().await;
    }
}
