//! Versioned schema migrations, the same versions on SQLite and PostgreSQL.
//!
//! Each migration is written once per database because the two disagree on a few words of
//! DDL (identity columns, blobs); `tests/storage.rs` checks that both produce the same tables
//! and columns. Migrations run in one transaction that holds the migration write lock, so
//! processes that start at the same moment apply each migration exactly once, and a failed
//! migration leaves nothing half-applied.

use sqlx::AnyPool;

use crate::error::query_error;
use crate::url::Backend;
use crate::write_lock::{self, WriteLock};
use crate::{StoreError, timestamp};

pub(crate) struct Migration {
    pub version: i64,
    pub name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

impl Migration {
    fn sql(&self, backend: Backend) -> &'static str {
        match backend {
            Backend::Sqlite => self.sqlite,
            Backend::Postgres => self.postgres,
        }
    }
}

pub(crate) const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "initial",
        sqlite: include_str!("../migrations/0001_initial/sqlite.sql"),
        postgres: include_str!("../migrations/0001_initial/postgres.sql"),
    },
    Migration {
        version: 2,
        name: "ledger",
        sqlite: include_str!("../migrations/0002_ledger/sqlite.sql"),
        postgres: include_str!("../migrations/0002_ledger/postgres.sql"),
    },
    Migration {
        version: 3,
        name: "fim",
        sqlite: include_str!("../migrations/0003_fim/sqlite.sql"),
        postgres: include_str!("../migrations/0003_fim/postgres.sql"),
    },
    Migration {
        version: 4,
        name: "host",
        sqlite: include_str!("../migrations/0004_host/sqlite.sql"),
        postgres: include_str!("../migrations/0004_host/postgres.sql"),
    },
    Migration {
        version: 5,
        name: "register",
        sqlite: include_str!("../migrations/0005_register/sqlite.sql"),
        postgres: include_str!("../migrations/0005_register/postgres.sql"),
    },
    Migration {
        version: 6,
        name: "fim_paths",
        sqlite: include_str!("../migrations/0006_fim_paths/sqlite.sql"),
        postgres: include_str!("../migrations/0006_fim_paths/postgres.sql"),
    },
    Migration {
        version: 7,
        name: "cloud_inventory",
        sqlite: include_str!("../migrations/0007_cloud_inventory/sqlite.sql"),
        postgres: include_str!("../migrations/0007_cloud_inventory/postgres.sql"),
    },
];

/// The schema version this build of phiguard writes and understands.
pub const SCHEMA_VERSION: i64 = MIGRATIONS[MIGRATIONS.len() - 1].version;

const CREATE_SCHEMA_TABLE: &str = "CREATE TABLE IF NOT EXISTS phiguard_schema (
    version    BIGINT PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL
)";

/// Brings the schema to `SCHEMA_VERSION`; returns the versions it applied.
pub(crate) async fn migrate(
    pool: &AnyPool,
    backend: Backend,
    location: &str,
) -> Result<Vec<i64>, StoreError> {
    let mut tx = write_lock::begin(pool, backend, WriteLock::Migrations).await?;
    sqlx::query(CREATE_SCHEMA_TABLE)
        .execute(&mut *tx)
        .await
        .map_err(query_error("creating the schema version table"))?;
    let current = current_version(&mut tx).await?;
    if current > SCHEMA_VERSION {
        return Err(StoreError::DatabaseNewer {
            location: location.to_owned(),
            found: current,
            supported: SCHEMA_VERSION,
        });
    }
    let mut applied = Vec::new();
    for migration in MIGRATIONS.iter().filter(|m| m.version > current) {
        let wrap = |source| StoreError::Migration {
            version: migration.version,
            name: migration.name,
            source,
        };
        sqlx::raw_sql(migration.sql(backend))
            .execute(&mut *tx)
            .await
            .map_err(wrap)?;
        sqlx::query("INSERT INTO phiguard_schema (version, name, applied_at) VALUES ($1, $2, $3)")
            .bind(migration.version)
            .bind(migration.name)
            .bind(timestamp::encode(jiff::Timestamp::now()))
            .execute(&mut *tx)
            .await
            .map_err(wrap)?;
        tracing::info!(
            version = migration.version,
            name = migration.name,
            "applied schema migration"
        );
        applied.push(migration.version);
    }
    tx.commit()
        .await
        .map_err(query_error("committing the schema upgrade"))?;
    Ok(applied)
}

/// The highest applied version, 0 for a database phiguard has never touched.
pub(crate) async fn current_version(conn: &mut sqlx::AnyConnection) -> Result<i64, StoreError> {
    sqlx::query_scalar::<_, i64>("SELECT COALESCE(MAX(version), 0) FROM phiguard_schema")
        .fetch_one(conn)
        .await
        .map_err(query_error("reading the schema version"))
}
