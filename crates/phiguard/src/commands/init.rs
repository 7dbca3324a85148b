//! `phiguard init`: create the home, its configuration and its database.

use phiguard_app::init::InitRequest;
use phiguard_core::Escaped;

use crate::Outcome;
use crate::cli::{GlobalArgs, InitArgs};
use crate::output::Output;

pub async fn run(global: &GlobalArgs, args: &InitArgs, out: &Output) -> anyhow::Result<Outcome> {
    let options = super::options(global);
    let existed = phiguard_app::init::home_exists(&options, out)?;
    let role = match args.role {
        Some(role) => Some(role),
        None if out.is_interactive() && !existed => ask_role()?,
        None => None,
    };
    let request = InitRequest {
        name: args.name.clone(),
        role,
    };
    let result = phiguard_app::init::init(&options, &request, out).await?;
    if args.name.is_some() && !result.created_config {
        out.note(&format!(
            "note: {} already exists, so --name was not applied; edit installation.name there",
            result.config
        ));
    }
    if args.role.is_some() && !result.created_config {
        out.note(&format!(
            "note: {} already exists, so --role was not applied; set role under [organization] there",
            result.config
        ));
    }
    if result.role.is_none() {
        out.note(&format!(
            "note: the organisation's role is not set, so every breach-notification obligation \
             is assessed; set role under [organization] in {}",
            result.config
        ));
    }
    out.result(&result, || {
        let headline = if result.created {
            format!("Created phiguard home at {} ({})", Escaped(&result.home), result.found)
        } else if result.added.is_empty() {
            format!("phiguard home at {} already existed and is complete; nothing was changed", Escaped(&result.home))
        } else {
            format!(
                "phiguard home at {} already existed; added what it lacked: {}",
                Escaped(&result.home),
                result.added.join(", ")
            )
        };
        format!(
            "{headline}\n  installation  {}\n  role          {}\n  config        {}\n  database      {} (schema version {})\n  keys          {}\n  keyring       {}\n  ledger key    {}",
            Escaped(&result.installation_name), result.role.map_or("not set", |r| r.title()), Escaped(&result.config), Escaped(&result.database), result.schema_version, Escaped(&result.keys), Escaped(&result.keyring), result.ledger_verifier_key
        )
    });
    // Advice, not result: silent with --quiet and --json.
    out.note(
        "\nKeep a copy of the ledger key above off this machine: it verifies the evidence.\n\
         Back up keys/ off this machine: without them, sealed data cannot be opened.\n\
         Next: phiguard assess --html report.html",
    );
    Ok(Outcome::Ok)
}

/// Asks on the terminal which role the organisation has; an empty answer leaves it unset.
fn ask_role() -> anyhow::Result<Option<phiguard_core::OrganizationRole>> {
    use std::io::{BufRead, Write};
    let stdin = std::io::stdin();
    loop {
        eprint!(
            "Is this organisation a covered entity (a health plan, clearinghouse or provider), \
             a business associate (it handles PHI for covered entities), or both?\n\
             [covered_entity / business_associate / both, empty to decide later]: "
        );
        std::io::stderr().flush()?;
        let mut line = String::new();
        if stdin.lock().read_line(&mut line)? == 0 || line.trim().is_empty() {
            return Ok(None);
        }
        match line.trim().parse() {
            Ok(role) => return Ok(Some(role)),
            Err(problem) => eprintln!("{problem}"),
        }
    }
}
