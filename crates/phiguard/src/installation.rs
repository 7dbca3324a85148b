//! The installation a command works on: its home (created on first use) and its database.

use std::time::Duration;

use anyhow::Context;
use phiguard_home::{Home, HomeSource, InitReport};
use phiguard_ledger::Ledger;
use phiguard_ledger::note::SigningKey;
use phiguard_store::{DatabaseUrl, Store, StoreOptions};

/// The ledger's checkpoint signing key, inside the home's `keys/`.
pub const LEDGER_KEY_FILE: &str = "ledger.key";

use crate::cli::GlobalArgs;

#[derive(Debug)]
pub struct Installation {
    pub home: Home,
    pub home_source: HomeSource,
    /// What had to be created for this command to run (all false for an existing home).
    pub created: InitReport,
    /// Whether this command created the ledger signing key.
    pub created_ledger_key: bool,
    pub store: Store,
}

impl Installation {
    /// Resolves and opens the home, creating whatever is missing of it, then opens (and
    /// migrates) its database. `name` names a newly created installation.
    pub async fn open(global: &GlobalArgs, name: Option<&str>) -> anyhow::Result<Installation> {
        Installation::create(global, name, None).await
    }

    /// As [`Installation::open`], with the organisation's role for a new configuration.
    pub async fn create(
        global: &GlobalArgs,
        name: Option<&str>,
        role: Option<phiguard_core::OrganizationRole>,
    ) -> anyhow::Result<Installation> {
        let (dir, home_source) = phiguard_home::resolve(
            global.home.clone(),
            std::env::var_os(phiguard_home::HOME_ENV),
        );
        let dir = std::path::absolute(&dir).unwrap_or(dir);
        let name = name.map_or_else(host_name, str::to_owned);
        let (home, created) = Home::init(&dir, &name, role)?;
        let url = database_url(global, &home)?;
        if let Some(path) = url.sqlite_path() {
            if path == home.database_path() {
                home.ensure_private_database_file()?;
            }
            phiguard_home::check_database_files(path)?;
        }
        let config = &home.config().database;
        let options = StoreOptions {
            busy_timeout: Duration::from_millis(config.busy_timeout_ms),
            connect_timeout: Duration::from_secs(config.connect_timeout_secs),
            ..StoreOptions::default()
        };
        let store = Store::open(&url, &options).await?;
        let created_ledger_key = ensure_ledger_key(&home, &store).await?;
        Ok(Installation {
            home,
            home_source,
            created,
            created_ledger_key,
            store,
        })
    }

    /// The ledger in this installation's database.
    pub fn ledger(&self) -> Ledger {
        Ledger::open(self.store.clone())
    }

    /// The key that signs this installation's checkpoints.
    pub fn ledger_signing_key(&self) -> anyhow::Result<SigningKey> {
        read_ledger_key(&self.home)
    }

    /// Appends evidence observed by this process (this host, this phiguard, the OS user) to
    /// the ledger.
    pub async fn record(
        &self,
        kind: &str,
        body: serde_json::Value,
    ) -> anyhow::Result<phiguard_core::EvidenceRef> {
        let evidence = phiguard_core::Evidence {
            kind: kind.to_owned(),
            time: jiff::Timestamp::now(),
            source: local_source(),
            body,
        };
        self.ledger()
            .append(&evidence)
            .await
            .with_context(|| format!("recording {kind} in the ledger failed"))
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

/// Creates the ledger signing key on first use. Its name, which becomes the origin line of
/// every checkpoint, is the installation name with the characters a key name may not hold
/// (spaces, `+`) replaced. Returns whether it was created.
async fn ensure_ledger_key(home: &Home, store: &Store) -> anyhow::Result<bool> {
    let path = home.keys_dir().join(LEDGER_KEY_FILE);
    if path.exists() {
        return Ok(false);
    }
    // A ledger with signed checkpoints and no key lost its key: a fresh one would sign
    // checkpoints that the installation's published verifier key rejects.
    let checkpoints = store.counts().await?.ledger_checkpoints;
    if checkpoints > 0 {
        anyhow::bail!(
            "the ledger signing key {} is missing, but the ledger holds {checkpoints} checkpoints \
             signed with it. Restore the key from your backup; phiguard will not create a new \
             one in its place.",
            path.display()
        );
    }
    let origin: String = home
        .config()
        .installation
        .name
        .chars()
        .map(|c| {
            if c.is_whitespace() || c == '+' || c.is_control() {
                '-'
            } else {
                c
            }
        })
        .collect();
    let key = SigningKey::generate(&origin).context("could not create the ledger signing key")?;
    let mut contents = key.private_key();
    contents.push('\n');
    home.write_new_key_file(LEDGER_KEY_FILE, contents.as_bytes())?;
    tracing::info!(origin, "created the ledger signing key");
    Ok(true)
}

fn read_ledger_key(home: &Home) -> anyhow::Result<SigningKey> {
    let path = home.keys_dir().join(LEDGER_KEY_FILE);
    let cannot_read = || format!("could not read the ledger signing key {}", path.display());
    let mut file = std::fs::File::open(&path).with_context(cannot_read)?;
    let metadata = file.metadata().with_context(cannot_read)?;
    phiguard_home::check_metadata(&path, &metadata, phiguard_home::Guarded::SecretKeyFile)?;
    let mut text = zeroize::Zeroizing::new(String::new());
    std::io::Read::read_to_string(&mut file, &mut text).with_context(cannot_read)?;
    SigningKey::from_private_key(&text).with_context(|| {
        format!(
            "{} is not a valid ledger signing key; restore it from your backup",
            path.display()
        )
    })
}

/// Who records evidence from this process: this host, this phiguard, the OS user.
pub fn local_source() -> phiguard_core::Source {
    let actor = std::env::var("USER")
        .ok()
        .filter(|user| !user.is_empty())
        .unwrap_or_else(|| format!("uid:{}", rustix::process::geteuid().as_raw()));
    phiguard_core::Source {
        host: Some(host_name()),
        agent: format!("phiguard/{}", env!("CARGO_PKG_VERSION")),
        actor: Some(actor),
    }
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
