//! `phiguard demo`: a sample clinic in an empty home, assessed (see `phiguard_app::demo`), so a
//! new user sees what a full report looks like before entering a single record of their own.

use crate::Outcome;
use crate::cli::{DemoArgs, GlobalArgs};
use crate::commands::assess;
use crate::output::Output;

pub async fn run(global: &GlobalArgs, args: &DemoArgs, out: &Output) -> anyhow::Result<Outcome> {
    let options = phiguard_app::demo::options(&super::options(global))?;
    let seeded = phiguard_app::demo::seed(&options, out, out.bars()).await?;
    assess::report(&seeded.assessment, args.html.as_deref(), None, out)?;
    out.note(&format!(
        "This is sample data, of a sample host, kept in {} apart from any real home. Explore \
         it with `phiguard --home {} register vendor list`; start your own installation \
         with `phiguard init`.",
        seeded.home.display(),
        seeded.home.display()
    ));
    Ok(Outcome::Ok)
}
