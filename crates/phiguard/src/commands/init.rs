//! `phiguard init`: create the home, its configuration and its database.

use phiguard_core::Escaped;
use serde::Serialize;

use crate::Outcome;
use crate::cli::{GlobalArgs, InitArgs};
use crate::output::Output;
use phiguard_app::installation::{self, Installation};

#[derive(Debug, Serialize)]
struct InitResult {
    home: String,
    /// How the home was found: flag, environment, system, xdg or legacy.
    source: &'static str,
    /// Whether this command created the home (false when it existed, even if something was
    /// added to it).
    created: bool,
    /// What this command added to a home that existed: `ledger key`, `keyring`, `keys
    /// directory`, `database`.
    added: Vec<&'static str>,
    config: String,
    keys: String,
    /// The encryption keyring (`phiguard keys list`).
    keyring: String,
    installation_name: String,
    /// The organisation's role under HIPAA, when set.
    role: Option<phiguard_core::OrganizationRole>,
    database: String,
    schema_version: i64,
    /// The key that verifies this installation's signed ledger checkpoints.
    ledger_verifier_key: String,
}

pub async fn run(global: &GlobalArgs, args: &InitArgs, out: &Output) -> anyhow::Result<Outcome> {
    let dir = installation::locate(&super::options(global), out)?.dir;
    let existed = phiguard_home::Home::exists(&dir);
    let database_existed = dir.join(phiguard_home::DATABASE_FILE).exists();
    let role = match args.role {
        Some(role) => Some(role),
        None if out.is_interactive() && !existed => ask_role()?,
        None => None,
    };
    let installation =
        Installation::create(&super::options(global), args.name.as_deref(), role, out).await?;
    let home = &installation.home;
    // Completes a home an earlier version made without keys for `seal`; a passphrase or
    // PKCS#11 root is chosen with `keys init` beforehand.
    let created_keyring = installation::ensure_keyring(home)?;
    let mut added = Vec::new();
    if existed {
        let created = &installation.created;
        for (was_added, what) in [
            (created.created_keys_dir, "keys directory"),
            (
                !database_existed && home.database_path().exists(),
                "database",
            ),
            (installation.created_ledger_key, "ledger key"),
            (created_keyring, "keyring"),
        ] {
            if was_added {
                added.push(what);
            }
        }
    }
    let result = InitResult {
        home: home.dir().display().to_string(),
        source: installation.home_source.name(),
        created: !existed,
        added,
        keyring: phiguard_app::keys::keyring_path(home).display().to_string(),
        config: home.config_path().display().to_string(),
        keys: home.keys_dir().display().to_string(),
        installation_name: home.config().installation.name.clone(),
        role: home.config().organization.role,
        database: installation.database_path_or_url(),
        schema_version: installation.store.schema_version().await?,
        ledger_verifier_key: installation.ledger_signing_key()?.verifier().to_string(),
    };
    if args.name.is_some() && !installation.created.created_config {
        out.note(&format!(
            "note: {} already exists, so --name was not applied; edit installation.name there",
            result.config
        ));
    }
    if args.role.is_some() && !installation.created.created_config {
        out.note(&format!(
            "note: {} already exists, so --role was not applied; set role under [organization] there",
            result.config
        ));
    }
    if home.config().organization.role.is_none() {
        out.note(&format!(
            "note: the organisation's role is not set, so every breach-notification obligation \
             is assessed; set role under [organization] in {}",
            result.config
        ));
    }
    out.result(&result, || {
        let headline = if result.created {
            format!("Created phiguard home at {} ({})", Escaped(&result.home), installation.home_source.describe())
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
    installation.close().await?;
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
