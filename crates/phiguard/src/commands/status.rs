//! `phiguard status`: where the data is and what it holds.

use phiguard_core::Escaped;
use phiguard_store::{Backend, Counts, SCHEMA_VERSION};
use serde::Serialize;

use crate::Outcome;
use crate::cli::GlobalArgs;
use crate::output::Output;
use phiguard_app::installation::{Installation, Purpose};

#[derive(Debug, Serialize)]
struct Status {
    version: &'static str,
    installation_name: String,
    home: HomeStatus,
    database: DatabaseStatus,
    counts: Counts,
}

#[derive(Debug, Serialize)]
struct HomeStatus {
    path: String,
    source: &'static str,
    config: String,
}

#[derive(Debug, Serialize)]
struct DatabaseStatus {
    backend: Backend,
    /// The file or URL, with any password replaced by ***.
    location: String,
    schema_version: i64,
    supported_schema_version: i64,
}

pub async fn run(global: &GlobalArgs, out: &Output) -> anyhow::Result<Outcome> {
    let installation = Installation::open(&super::options(global), Purpose::Read, out).await?;
    let status = Status {
        version: env!("CARGO_PKG_VERSION"),
        installation_name: installation.home.config().installation.name.clone(),
        home: HomeStatus {
            path: installation.home.dir().display().to_string(),
            source: installation.home_source.name(),
            config: installation.home.config_path().display().to_string(),
        },
        database: DatabaseStatus {
            backend: installation.store.backend(),
            location: installation.database_path_or_url(),
            schema_version: installation.store.schema_version().await?,
            supported_schema_version: SCHEMA_VERSION,
        },
        counts: installation.store.counts().await?,
    };
    out.result(&status, || {
        format!(
            "phiguard {version}  installation {name}\n\
             home      {home} ({source})\n\
             config    {config}\n\
             database  {backend} {location}\n\
             schema    version {schema} (this phiguard writes version {supported})\n\
             stored    {runs} check runs, {findings} findings\n\
             ledger    {entries} entries, {checkpoints} signed checkpoints",
            version = status.version,
            name = Escaped(&status.installation_name),
            home = Escaped(&status.home.path),
            source = installation.home_source.describe(),
            config = Escaped(&status.home.config),
            backend = status.database.backend,
            location = Escaped(&status.database.location),
            schema = status.database.schema_version,
            supported = status.database.supported_schema_version,
            runs = status.counts.check_runs,
            findings = status.counts.findings,
            entries = status.counts.ledger_entries,
            checkpoints = status.counts.ledger_checkpoints,
        )
    });
    installation.close().await?;
    Ok(Outcome::Ok)
}
