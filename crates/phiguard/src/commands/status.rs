//! `phiguard status`: where the data is and what it holds (see `phiguard_app::status`).

use phiguard_core::Escaped;

use crate::Outcome;
use crate::cli::GlobalArgs;
use crate::output::Output;
use phiguard_app::installation::{Installation, Purpose};

pub async fn run(global: &GlobalArgs, out: &Output) -> anyhow::Result<Outcome> {
    let installation = Installation::open(&super::options(global), Purpose::Read, out).await?;
    let status = phiguard_app::status::status(&installation).await?;
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
            source = status.home.found,
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
