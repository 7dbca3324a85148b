use crate::url::Backend;

/// What can go wrong between phiguard and its database. Every message names the database
/// without its password and says what to do.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the database URL is not usable: {reason}")]
    BadUrl { reason: String },

    #[error("cannot open the {backend} database at {location}. {hint}")]
    Connect {
        backend: Backend,
        location: String,
        hint: &'static str,
        #[source]
        source: sqlx::Error,
    },

    #[error(
        "the database at {location} has schema version {found}, but this phiguard understands \
         versions up to {supported}: a newer phiguard has written to it. Upgrade phiguard; an \
         older one must not write to it, or it could misread the newer records."
    )]
    DatabaseNewer {
        location: String,
        found: i64,
        supported: i64,
    },

    #[error(
        "could not upgrade the database schema to version {version} ({name}); nothing of it was applied"
    )]
    Migration {
        version: i64,
        name: &'static str,
        #[source]
        source: sqlx::Error,
    },

    #[error("a database operation failed while {doing}")]
    Query {
        doing: &'static str,
        #[source]
        source: sqlx::Error,
    },

    #[error("the database holds a record phiguard cannot read: {what}. Was it edited by hand?")]
    Corrupt { what: String },
}

/// Wraps a driver error with what phiguard was doing at the time; for the crates that run
/// their own queries on [`crate::Store::pool`] too.
pub fn query_error(doing: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |source| StoreError::Query { doing, source }
}
