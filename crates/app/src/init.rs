//! Creating a home, complete (configuration, database, ledger key, keyring), or completing
//! one that lacks something.

use serde::Serialize;

use crate::installation::{self, Installation};
use crate::{Notices, Options};

/// What to name a new installation, and the organisation's role under HIPAA. Neither changes
/// the configuration of a home that exists.
#[derive(Debug, Clone, Default)]
pub struct InitRequest {
    pub name: Option<String>,
    pub role: Option<phiguard_core::OrganizationRole>,
}

/// A home as `init` left it.
#[derive(Debug, Serialize)]
pub struct Initialized {
    pub home: String,
    /// How the home was found: flag, environment, system, xdg or legacy.
    pub source: &'static str,
    /// Whether this command created the home (false when it existed, even if something was
    /// added to it).
    pub created: bool,
    /// What this command added to a home that existed: `ledger key`, `keyring`, `keys
    /// directory`, `database`.
    pub added: Vec<&'static str>,
    pub config: String,
    pub keys: String,
    /// The encryption keyring (`phiguard keys list`).
    pub keyring: String,
    pub installation_name: String,
    /// The organisation's role under HIPAA, when set.
    pub role: Option<phiguard_core::OrganizationRole>,
    pub database: String,
    pub schema_version: i64,
    /// The key that verifies this installation's signed ledger checkpoints.
    pub ledger_verifier_key: String,
    /// How the home was found, as a person reads it.
    #[serde(skip)]
    pub found: String,
    /// Whether this command wrote the configuration (else the request's name and role were
    /// not applied).
    #[serde(skip)]
    pub created_config: bool,
}

/// Whether the home `options` name exists already.
pub fn home_exists(options: &Options, notices: &dyn Notices) -> anyhow::Result<bool> {
    let dir = installation::locate(options, notices)?.dir;
    Ok(phiguard_home::Home::exists(&dir))
}

/// Creates the home `options` name, complete, or adds what an existing one lacks (a keyring
/// for `seal` among them: a passphrase or PKCS#11 root is chosen with `keys init` beforehand).
pub async fn init(
    options: &Options,
    request: &InitRequest,
    notices: &dyn Notices,
) -> anyhow::Result<Initialized> {
    let dir = installation::locate(options, notices)?.dir;
    let existed = phiguard_home::Home::exists(&dir);
    let database_existed = dir.join(phiguard_home::DATABASE_FILE).exists();
    let installation =
        Installation::create(options, request.name.as_deref(), request.role, notices).await?;
    let initialized = describe(&installation, existed, database_existed).await;
    let closed = installation.close().await;
    let initialized = initialized?;
    closed?;
    Ok(initialized)
}

async fn describe(
    installation: &Installation,
    existed: bool,
    database_existed: bool,
) -> anyhow::Result<Initialized> {
    let home = &installation.home;
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
    Ok(Initialized {
        home: home.dir().display().to_string(),
        source: installation.home_source.name(),
        created: !existed,
        added,
        config: home.config_path().display().to_string(),
        keys: home.keys_dir().display().to_string(),
        keyring: crate::keys::keyring_path(home).display().to_string(),
        installation_name: home.config().installation.name.clone(),
        role: home.config().organization.role,
        database: installation.database_path_or_url(),
        schema_version: installation.store.schema_version().await?,
        ledger_verifier_key: installation.ledger_signing_key()?.verifier().to_string(),
        found: installation.home_source.describe().to_owned(),
        created_config: installation.created.created_config,
    })
}
