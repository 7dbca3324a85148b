//! Where an installation's data is and what it holds.

use phiguard_store::{Backend, Counts, SCHEMA_VERSION};
use serde::Serialize;

use crate::installation::Installation;

/// An installation's status.
#[derive(Debug, Serialize)]
pub struct Status {
    pub version: &'static str,
    pub installation_name: String,
    pub home: HomeStatus,
    pub database: DatabaseStatus,
    pub counts: Counts,
}

#[derive(Debug, Serialize)]
pub struct HomeStatus {
    pub path: String,
    /// How the home was found: flag, environment, system, xdg or legacy.
    pub source: &'static str,
    /// The same, as a person reads it.
    #[serde(skip)]
    pub found: String,
    pub config: String,
}

#[derive(Debug, Serialize)]
pub struct DatabaseStatus {
    pub backend: Backend,
    /// The file or URL, with any password replaced by ***.
    pub location: String,
    pub schema_version: i64,
    pub supported_schema_version: i64,
}

/// The status of `installation`.
pub async fn status(installation: &Installation) -> anyhow::Result<Status> {
    Ok(Status {
        version: env!("CARGO_PKG_VERSION"),
        installation_name: installation.home.config().installation.name.clone(),
        home: HomeStatus {
            path: installation.home.dir().display().to_string(),
            source: installation.home_source.name(),
            found: installation.home_source.describe().to_owned(),
            config: installation.home.config_path().display().to_string(),
        },
        database: DatabaseStatus {
            backend: installation.store.backend(),
            location: installation.database_path_or_url(),
            schema_version: installation.store.schema_version().await?,
            supported_schema_version: SCHEMA_VERSION,
        },
        counts: installation.store.counts().await?,
    })
}
