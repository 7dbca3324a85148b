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
    let doing = "taking the database write lock";
    let mut tx = match backend {
        Backend::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await,
        Backend::Postgres => pool.begin().await,
    }
    .map_err(query_error(doing))?;
    if backend == Backend::Postgres {
        // pg_advisory_xact_lock returns void, which the Any driver cannot decode; select a
        // constant from it instead.
        sqlx::query("SELECT 1 FROM (SELECT pg_advisory_xact_lock($1)) AS locked")
            .bind(lock.key())
            .execute(&mut *tx)
            .await
            .map_err(query_error(doing))?;
    }
    Ok(tx)
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
}
