//! Transactions that hold a database-wide lock, for writers that must be sequenced across
//! processes and servers (schema migrations, ledger appends).
//!
//! SQLite has one writer at a time anyway; `BEGIN IMMEDIATE` takes the write lock at the
//! start, so a transaction never reads a state that another writer changes before it commits.
//! PostgreSQL takes a transaction-scoped advisory lock, released at commit or rollback.

use sqlx::{Any, Transaction};

use crate::error::query_error;
use crate::{Backend, Store, StoreError};

/// Names one sequenced writer among PostgreSQL advisory locks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteLock {
    Migrations,
    Ledger,
}

impl WriteLock {
    fn key(self) -> i64 {
        // Arbitrary constants: "phiguard" in ASCII, then a writer number.
        match self {
            WriteLock::Migrations => 0x7068_6967_7561_7264,
            WriteLock::Ledger => 0x7068_6967_7561_7265,
        }
    }
}

pub(crate) async fn begin(
    pool: &sqlx::AnyPool,
    backend: Backend,
    lock: WriteLock,
) -> Result<Transaction<'static, Any>, StoreError> {
    let mut tx = match backend {
        Backend::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await,
        Backend::Postgres => pool.begin().await,
    }
    .map_err(query_error(LOCKING))?;
    hold_advisory_lock(&mut tx, backend, lock).await?;
    Ok(tx)
}

const LOCKING: &str = "taking the database write lock";

/// On PostgreSQL, takes the transaction-scoped advisory lock that stands for `lock`.
async fn hold_advisory_lock(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    lock: WriteLock,
) -> Result<(), StoreError> {
    if backend == Backend::Postgres {
        // pg_advisory_xact_lock returns void, which the Any driver cannot decode; select a
        // constant from it instead.
        sqlx::query("SELECT 1 FROM (SELECT pg_advisory_xact_lock($1)) AS locked")
            .bind(lock.key())
            .execute(&mut **tx)
            .await
            .map_err(query_error(LOCKING))?;
    }
    Ok(())
}

impl Store {
    /// Begins a transaction that holds `lock` until it commits or rolls back: writers that
    /// take the same lock run one after another, across processes and servers.
    pub async fn begin_locked(
        &self,
        lock: WriteLock,
    ) -> Result<Transaction<'static, Any>, StoreError> {
        begin(self.pool(), self.backend(), lock).await
    }

    /// [`Store::begin_locked`] on a connection the caller keeps, for a writer that commits
    /// many times in a row and should not go through the pool for each commit.
    pub async fn begin_locked_on<'c>(
        &self,
        conn: &'c mut sqlx::AnyConnection,
        lock: WriteLock,
    ) -> Result<Transaction<'c, Any>, StoreError> {
        use sqlx::Connection;
        let mut tx = match self.backend() {
            Backend::Sqlite => conn.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => conn.begin().await,
        }
        .map_err(query_error(LOCKING))?;
        hold_advisory_lock(&mut tx, self.backend(), lock).await?;
        Ok(tx)
    }
}
