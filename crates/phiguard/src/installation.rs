//! The installation a command works on: its home (created on first use) and its database.

use std::time::Duration;

use anyhow::Context;
use phiguard_home::{Home, HomeSource, InitReport};
use phiguard_store::{DatabaseUrl, Store, StoreOptions};

use crate::cli::GlobalArgs;

#[derive(Debug)]
pub struct Installation {
    pub home: Home,
    pub home_source: HomeSource,
    /// What had to be created for this command to run (all false for an existing home).
    pub created: InitReport,
    pub store: Store,
}

impl Installation {
    /// Resolves and opens the home, creating whatever is missing of it, then opens (and
    /// migrates) its database. `name` names a newly created installation.
    pub async fn open(global: &GlobalArgs, name: Option<&str>) -> anyhow::Result<Installation> {
        let (dir, home_source) = phiguard_home::resolve(
            global.home.clone(),
            std::env::var_os(phiguard_home::HOME_ENV),
        );
        let dir = std::path::absolute(&dir).unwrap_or(dir);
        let name = name.map_or_else(host_name, str::to_owned);
        let (home, created) = Home::init(&dir, &name)?;
        let url = database_url(global, &home)?;
        if url.sqlite_path() == Some(home.database_path().as_path()) {
            home.ensure_private_database_file()?;
        }
        let config = &home.config().database;
        let options = StoreOptions {
            busy_timeout: Duration::from_millis(config.busy_timeout_ms),
            connect_timeout: Duration::from_secs(config.connect_timeout_secs),
            ..StoreOptions::default()
        };
        let store = Store::open(&url, &options).await?;
        Ok(Installation {
            home,
            home_source,
            created,
            store,
        })
    }

    pub fn database_path_or_url(&self) -> String {
        self.store.url().to_string()
    }
}

/// `--database` / `$PHIGUARD_DATABASE_URL`, else `database.url` in phiguard.toml, else the
/// embedded SQLite file in the home.
fn database_url(global: &GlobalArgs, home: &Home) -> anyhow::Result<DatabaseUrl> {
    let configured = &home.config().database.url;
    let (text, origin) = match (&global.database, configured.trim()) {
        (Some(flag), _) if !flag.trim().is_empty() => (flag.as_str(), "--database"),
        (_, url) if !url.is_empty() => (url, "database.url in phiguard.toml"),
        _ => return Ok(DatabaseUrl::sqlite(home.database_path())),
    };
    DatabaseUrl::parse(text)
        .with_context(|| format!("the database given by {origin} is not usable"))
}

/// The machine's host name, the default installation name; "phiguard" if it has none.
fn host_name() -> String {
    let uname = rustix::system::uname();
    let name = uname.nodename().to_string_lossy().trim().to_owned();
    if name.is_empty() {
        "phiguard".to_owned()
    } else {
        name
    }
}
