//! The installation an operation works on: its home (created, complete, by the operations
//! that record evidence; required by the others) and its database.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use phiguard_home::{Home, HomeSource, InitReport, Location, Surroundings};
use phiguard_ledger::note::{SigningKey, VerifierKey};
use phiguard_ledger::{CheckpointFile, Ledger};
use phiguard_store::{DatabaseUrl, Store, StoreOptions};

/// The ledger's checkpoint signing key, inside the home's `keys/`.
pub const LEDGER_KEY_FILE: &str = "ledger.key";

use crate::{Notices, Options};

/// Whether a new home gets its keyring at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NewKeyring {
    /// A keyring with a file root key (`keys/root.key`).
    FileRoot,
    /// None: `keys init` makes one with the root key the user chose.
    Later,
}

#[derive(Debug)]
pub struct Installation {
    pub home: Home,
    pub home_source: HomeSource,
    /// What had to be created for this command to run (all false for an existing home).
    pub created: InitReport,
    /// Whether this command created the ledger signing key.
    pub created_ledger_key: bool,
    pub store: Store,
    /// How many entries the ledger held when the command opened it.
    size_at_open: u64,
}

/// An installation that already exists, or one whose database is gone.
#[derive(Debug)]
pub enum Existing {
    Open(Installation),
    /// The home is there but its SQLite database is not.
    NoDatabase {
        home: Home,
        database: PathBuf,
    },
}

/// Entries recorded and time passed since a long-running command last signed a checkpoint,
/// and the checkpoint being signed, if one is.
#[derive(Debug)]
pub struct CheckpointPacer {
    unsigned: u64,
    since: std::time::Instant,
    running: Option<tokio::task::JoinHandle<Result<(), phiguard_ledger::LedgerError>>>,
}

impl Default for CheckpointPacer {
    fn default() -> CheckpointPacer {
        CheckpointPacer {
            unsigned: 0,
            since: std::time::Instant::now(),
            running: None,
        }
    }
}

impl CheckpointPacer {
    /// Waits for the checkpoint being signed, if any, and reports its failure.
    pub async fn finish(&mut self) -> anyhow::Result<()> {
        if let Some(task) = self.running.take() {
            task.await
                .context("the task signing a checkpoint stopped")?
                .context("signing a checkpoint of the evidence recorded so far failed")?;
        }
        Ok(())
    }
}

/// Where the home keeps the newest checkpoint outside the database.
pub const LEDGER_WITNESS_FILE: &str = "ledger.witness";

/// The home's witness file (see `phiguard_ledger::witness`).
pub fn witness_file(home: &Home) -> CheckpointFile {
    CheckpointFile::new(home.dir().join(LEDGER_WITNESS_FILE))
}

/// Where this command's home is: `--home`, else `$PHIGUARD_HOME`, else the packaged
/// install's, else the XDG data directory (see `phiguard_home::locate`). An earlier version's
/// `./.phiguard` in use, or lying unused, is pointed out once per command.
pub fn locate(options: &Options, notices: &dyn Notices) -> anyhow::Result<Location> {
    static POINTED_OUT: std::sync::Once = std::sync::Once::new();
    let location = phiguard_home::locate(&Surroundings::of_process(options.home.clone()))?;
    if let Some(note) = location.legacy_note() {
        POINTED_OUT.call_once(|| notices.note(&note));
    }
    Ok(location)
}

/// The home, which must exist already: for commands that read what is there, or need keys
/// only an existing home has. Creates nothing.
pub fn existing_home(
    options: &Options,
    notices: &dyn Notices,
) -> anyhow::Result<(Home, HomeSource)> {
    let location = locate(options, notices)?;
    if !Home::exists(&location.dir) {
        anyhow::bail!("{}", location.missing());
    }
    Ok((Home::open(&location.dir)?, location.source))
}

/// What a command does with its installation, which decides what happens when its home does
/// not exist yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// It reads what is there: a missing home is an error that says where phiguard looked
    /// and how to start, and nothing is created.
    Read,
    /// It changes what an existing home holds or records what it did with the home's keys
    /// (a record to update, a file to seal): a missing home is an error as for `Read`.
    Amend,
    /// It records evidence that needs nothing recorded before: a missing home is created,
    /// complete (configuration, database, ledger key and keyring), and the user told where.
    Record,
}

/// Opens (and migrates) the database at `url` with the home's settings.
async fn connect(home: &Home, url: &DatabaseUrl) -> anyhow::Result<Store> {
    let config = &home.config().database;
    let options = StoreOptions {
        busy_timeout: Duration::from_millis(config.busy_timeout_ms),
        connect_timeout: Duration::from_secs(config.connect_timeout_secs),
        ..StoreOptions::default()
    };
    Ok(Store::open(url, &options).await?)
}

impl Installation {
    /// Opens the installation for what the command does (see [`Purpose`]: one that reads or
    /// amends needs a home that exists; one that records evidence creates a missing home
    /// complete and tells the user where), then opens (and migrates) its database.
    pub async fn open(
        options: &Options,
        purpose: Purpose,
        notices: &dyn Notices,
    ) -> anyhow::Result<Installation> {
        match purpose {
            Purpose::Read => match Installation::open_existing(options, notices).await? {
                Existing::Open(installation) => Ok(installation),
                Existing::NoDatabase { home, database } => anyhow::bail!(
                    "the home at {} has no database: {} is gone (deleted, or moved). Restore it \
                     from your backup; `phiguard ledger verify` tells what the home's witness \
                     file says it held. Only a command that records evidence starts a new, \
                     empty one.",
                    home.dir().display(),
                    database.display()
                ),
            },
            Purpose::Amend => {
                existing_home(options, notices)?;
                Installation::create(options, None, None, notices).await
            }
            Purpose::Record => {
                let installation = Installation::create(options, None, None, notices).await?;
                if installation.created.created_config {
                    let home = &installation.home;
                    let found = if installation.home_source.is_given() {
                        ""
                    } else {
                        ", where every command finds it from any directory"
                    };
                    notices.note(&format!(
                        "Created a phiguard home at {} ({}){found}. Back up its keys, in {}, \
                         off this machine.",
                        home.dir().display(),
                        installation.home_source.describe(),
                        home.keys_dir().display()
                    ));
                }
                Ok(installation)
            }
        }
    }

    /// Opens the home, creating whatever is missing of it, then opens (and migrates) its
    /// database. A new home is made complete: configuration, database, ledger key and a
    /// keyring with a file root key, so that `seal` works at once. `name` and `role` go into
    /// a new configuration.
    pub async fn create(
        options: &Options,
        name: Option<&str>,
        role: Option<phiguard_core::OrganizationRole>,
        notices: &dyn Notices,
    ) -> anyhow::Result<Installation> {
        Installation::create_with(options, name, role, NewKeyring::FileRoot, notices).await
    }

    /// As [`Installation::create`], leaving a new home without a keyring, for `keys init`,
    /// which makes one with the root key the user chose.
    pub async fn create_without_keyring(
        options: &Options,
        notices: &dyn Notices,
    ) -> anyhow::Result<Installation> {
        Installation::create_with(options, None, None, NewKeyring::Later, notices).await
    }

    async fn create_with(
        options: &Options,
        name: Option<&str>,
        role: Option<phiguard_core::OrganizationRole>,
        keyring: NewKeyring,
        notices: &dyn Notices,
    ) -> anyhow::Result<Installation> {
        let location = locate(options, notices)?;
        let (dir, home_source) = (location.dir, location.source);
        let name = name.map_or_else(host_name, str::to_owned);
        let (home, created) = Home::init(&dir, &name, role)?;
        let url = database_url(options, &home)?;
        if let Some(path) = url.sqlite_path() {
            if path == home.database_path() {
                home.ensure_private_database_file()?;
            }
            phiguard_home::check_database_files(path)?;
        }
        let store = connect(&home, &url).await?;
        let created_ledger_key = ensure_ledger_key(&home, &store).await?;
        // Only a new home gets a keyring here: in an existing one, a missing keyring may be
        // a lost one, and `init` or `keys init` add one when asked.
        if created.created_config && keyring == NewKeyring::FileRoot {
            ensure_keyring(&home)?;
        }
        Installation::opened(home, home_source, created, created_ledger_key, store).await
    }

    /// Opens an installation that must exist already, creating nothing: not the home, not
    /// the database, not a key. For commands that judge what is there (`ledger verify`), so
    /// that a deleted database is reported rather than silently replaced by an empty one.
    pub async fn open_existing(
        options: &Options,
        notices: &dyn Notices,
    ) -> anyhow::Result<Existing> {
        let (home, home_source) = existing_home(options, notices)?;
        let url = database_url(options, &home)?;
        if let Some(path) = url.sqlite_path() {
            if !path.exists() {
                let database = path.to_path_buf();
                return Ok(Existing::NoDatabase { home, database });
            }
            // Evidence read from a file others can change proves nothing.
            phiguard_home::check_database_files(path)?;
        }
        let store = connect(&home, &url).await?;
        let installation =
            Installation::opened(home, home_source, InitReport::default(), false, store).await?;
        Ok(Existing::Open(installation))
    }

    async fn opened(
        home: Home,
        home_source: HomeSource,
        created: InitReport,
        created_ledger_key: bool,
        store: Store,
    ) -> anyhow::Result<Installation> {
        let size_at_open = Ledger::open(store.clone()).size().await?;
        Ok(Installation {
            home,
            home_source,
            created,
            created_ledger_key,
            store,
            size_at_open,
        })
    }

    /// Ends the command: signs a checkpoint when the command recorded evidence (so the part
    /// of the ledger no signature covers stays small, and the witness file keeps up), then
    /// closes the database. Commands that only read leave the ledger as they found it.
    pub async fn close(self) -> anyhow::Result<()> {
        let result = self.checkpoint_if_grown().await;
        self.store.close().await;
        result
    }

    /// Signs a checkpoint when `[ledger]` in phiguard.toml says one is due in a long-running
    /// command: `pacer` counts the entries recorded since the last one and the time since.
    /// The checkpoint is signed beside the command's own appends (one at a time), so a long
    /// stream does not stall while it is signed; a failure shows at the next call or at
    /// [`CheckpointPacer::finish`].
    pub async fn checkpoint_when_due(
        &self,
        pacer: &mut CheckpointPacer,
        recorded: u64,
    ) -> anyhow::Result<()> {
        pacer.unsigned += recorded;
        if pacer
            .running
            .as_ref()
            .is_some_and(|task| task.is_finished())
        {
            pacer.finish().await?;
        }
        let config = &self.home.config().ledger;
        let due = pacer.unsigned >= config.checkpoint_every_entries
            || (pacer.unsigned > 0
                && pacer.since.elapsed().as_secs() >= config.checkpoint_every_seconds);
        if due && pacer.running.is_none() {
            let (ledger, key) = (self.ledger(), self.ledger_signing_key()?);
            pacer.running = Some(tokio::spawn(async move {
                ledger.checkpoint(&key).await.map(drop)
            }));
            pacer.unsigned = 0;
            pacer.since = std::time::Instant::now();
        }
        Ok(())
    }

    /// Signs a checkpoint when the ledger has grown since this command opened it.
    async fn checkpoint_if_grown(&self) -> anyhow::Result<()> {
        let ledger = self.ledger();
        if ledger.size().await? <= self.size_at_open {
            return Ok(());
        }
        ledger
            .checkpoint(&self.ledger_signing_key()?)
            .await
            .context("signing a checkpoint of the evidence this command recorded failed")?;
        Ok(())
    }

    /// The ledger in this installation's database, with the home's witness file.
    pub fn ledger(&self) -> Ledger {
        Ledger::open(self.store.clone()).with_witness(witness_file(&self.home))
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
fn database_url(options: &Options, home: &Home) -> anyhow::Result<DatabaseUrl> {
    let configured = &home.config().database.url;
    let (text, origin) = match (&options.database, configured.trim()) {
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
    let origin = key_name(&home.config().installation.name);
    let key = SigningKey::generate(&origin).context("could not create the ledger signing key")?;
    let mut contents = key.private_key();
    contents.push('\n');
    home.write_new_key_file(LEDGER_KEY_FILE, contents.as_bytes())?;
    tracing::info!(origin, "created the ledger signing key");
    Ok(true)
}

/// Creates a keyring with a file root key when the home has none; returns whether it did.
pub fn ensure_keyring(home: &Home) -> anyhow::Result<bool> {
    if crate::keys::keyring_path(home).symlink_metadata().is_ok() {
        return Ok(false);
    }
    crate::keys::create_file_keyring(home)?;
    Ok(true)
}

/// A key name made of the installation name: the characters a key name may not hold
/// (spaces, `+`, controls) replaced.
fn key_name(installation: &str) -> String {
    installation
        .chars()
        .map(|c| {
            if c.is_whitespace() || c == '+' || c.is_control() {
                '-'
            } else {
                c
            }
        })
        .collect()
}

/// The key this installation cosigns other logs' checkpoints with, as their witness; made on
/// first use. It is kept apart from the ledger key: a witness key signs cosignatures only.
pub fn witness_signing_key(home: &Home) -> anyhow::Result<SigningKey> {
    let path = home.keys_dir().join(WITNESS_KEY_FILE);
    if !path.exists() {
        let name = format!("{}/witness", key_name(&home.config().installation.name));
        let key = SigningKey::generate(&name).context("could not create the witness key")?;
        let mut contents = key.private_key();
        contents.push('\n');
        home.write_new_key_file(WITNESS_KEY_FILE, contents.as_bytes())?;
    }
    read_private_key(&path, "witness key")
}

/// The witness's record of the newest checkpoint it cosigned for the log of `log_key`.
pub fn witnessed_log(home: &Home, log_key: &VerifierKey) -> anyhow::Result<CheckpointFile> {
    let dir = home.dir().join("witnessed");
    if !dir.exists() {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&dir)
            .with_context(|| format!("could not create {}", dir.display()))?;
    }
    // One file per log key: the name is sanitised, the key ID keeps namesakes apart.
    let name: String = log_key
        .name()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    Ok(CheckpointFile::new(
        dir.join(format!("{name}.{:08x}.note", log_key.key_id())),
    ))
}

/// The witness key's file, inside the home's `keys/`.
pub const WITNESS_KEY_FILE: &str = "witness.key";

pub fn read_ledger_key(home: &Home) -> anyhow::Result<SigningKey> {
    let path = home.keys_dir().join(LEDGER_KEY_FILE);
    if !path.exists() {
        anyhow::bail!(
            "the ledger signing key {} is missing. Restore the key from your backup; phiguard \
             will not create a new one in its place. To verify meanwhile, give the verifier key \
             kept elsewhere with --key.",
            path.display()
        );
    }
    read_private_key(&path, "ledger signing key")
}

fn read_private_key(path: &std::path::Path, what: &str) -> anyhow::Result<SigningKey> {
    let cannot_read = || format!("could not read the {what} {}", path.display());
    let mut file = std::fs::File::open(path).with_context(cannot_read)?;
    let metadata = file.metadata().with_context(cannot_read)?;
    phiguard_home::check_metadata(path, &metadata, phiguard_home::Guarded::SecretKeyFile)?;
    let mut text = zeroize::Zeroizing::new(String::new());
    std::io::Read::read_to_string(&mut file, &mut text).with_context(cannot_read)?;
    SigningKey::from_private_key(&text).with_context(|| {
        format!(
            "{} is not a valid {what}; restore it from your backup",
            path.display()
        )
    })
}

/// Who records evidence from this process: this host, this phiguard, the OS account.
pub fn local_source() -> phiguard_core::Source {
    phiguard_core::Source {
        host: Some(host_name()),
        agent: format!("phiguard/{}", env!("CARGO_PKG_VERSION")),
        actor: Some(actor(None)),
    }
}

/// The actor string of a change made from this process: the name the person stated (`--actor`),
/// if any, and always the OS account it runs as (see [`phiguard_core::Actor`]).
pub fn actor(stated: Option<&str>) -> String {
    phiguard_core::Actor::new(stated, os_account().clone()).to_string()
}

/// The account this process runs as: its real user id, and the name the system's account
/// database gives that id, read once. Never `$USER` or `$LOGNAME`, which anyone can set.
fn os_account() -> &'static phiguard_core::OsAccount {
    static ACCOUNT: std::sync::OnceLock<phiguard_core::OsAccount> = std::sync::OnceLock::new();
    ACCOUNT.get_or_init(|| {
        let uid = rustix::process::getuid().as_raw();
        phiguard_core::OsAccount {
            uid,
            name: account_name(uid),
        }
    })
}

/// The name of `uid` in `/etc/passwd`, else in whatever else the system's name service uses
/// (LDAP, SSSD), asked through `getent` by its absolute path so `$PATH` cannot substitute it.
fn account_name(uid: u32) -> Option<String> {
    let in_passwd = |path: &std::path::Path, text: &str| {
        phiguard_host::access::accounts::parse_passwd(path, text)
            .ok()?
            .into_iter()
            .find(|entry| entry.uid == uid)
            .map(|entry| entry.name)
    };
    let passwd = std::path::Path::new("/etc/passwd");
    std::fs::read_to_string(passwd)
        .ok()
        .and_then(|text| in_passwd(passwd, &text))
        .or_else(|| {
            let getent = std::path::Path::new("/usr/bin/getent");
            let output = std::process::Command::new(getent)
                .args(["passwd", &uid.to_string()])
                .stdin(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .output()
                .ok()
                .filter(|output| output.status.success())?;
            in_passwd(getent, &String::from_utf8_lossy(&output.stdout))
        })
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
