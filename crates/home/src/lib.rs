//! The phiguard data directory ("home"): where it is, what it holds and who may touch it.
//!
//! A home holds everything an installation knows: `phiguard.toml`, the embedded SQLite
//! database and, under `keys/`, key material. Because the keys and the evidence live here,
//! the directory is created private (0700, files 0600) and a home that someone else could
//! write to is refused outright: an attacker who can replace the database or the signing key
//! can forge the evidence phiguard exists to protect.

mod config;
mod location;
mod pending_file;
mod permissions;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

pub use config::{
    BreachConfig, Config, ConfigError, DatabaseConfig, FimConfig, FimRule, HostConfig,
    InstallationConfig, LedgerConfig, OrganizationConfig, RegisterConfig, toml_string,
};
pub use location::{
    HOME_ENV, HomeSource, LEGACY_HOME, Location, NoDataDirectory, SYSTEM_HOME, Surroundings,
    XDG_NAME, locate,
};
pub use pending_file::{PendingFile, Readers, write_atomically};
pub use permissions::{
    Guarded, UnsafeHomeReason, UnsafePath, check_database_files, check_metadata, check_path,
    replace_private_file, write_private_file_new,
};

/// The configuration file inside the home.
pub const CONFIG_FILE: &str = "phiguard.toml";
/// The embedded SQLite database inside the home.
pub const DATABASE_FILE: &str = "phiguard.db";
/// The directory for key material inside the home.
pub const KEYS_DIR: &str = "keys";

#[derive(Debug, thiserror::Error)]
pub enum HomeError {
    #[error(transparent)]
    Unsafe(#[from] UnsafePath),
    #[error("{path} exists but is not a directory; point --home or $PHIGUARD_HOME at a directory")]
    NotADirectory { path: PathBuf },
    #[error("could not {action} {path}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(transparent)]
    Config(#[from] ConfigError),
}

fn io_error(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> HomeError + use<> {
    let path = path.to_path_buf();
    move |source| HomeError::Io {
        action,
        path,
        source,
    }
}

/// What `Home::init` did, so the command can tell the user.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InitReport {
    pub created_dir: bool,
    pub created_config: bool,
    pub created_keys_dir: bool,
}

impl InitReport {
    pub fn created_anything(&self) -> bool {
        self.created_dir || self.created_config || self.created_keys_dir
    }
}

/// An opened, permission-checked home with its configuration loaded.
#[derive(Debug, Clone)]
pub struct Home {
    dir: PathBuf,
    config: Config,
}

impl Home {
    /// Creates whatever is missing of the home (directory, configuration, keys directory)
    /// and opens it. Never overwrites an existing configuration, so running it twice is
    /// harmless. `installation_name` and `role` are written into a new configuration only.
    pub fn init(
        dir: &Path,
        installation_name: &str,
        role: Option<phiguard_core::OrganizationRole>,
    ) -> Result<(Home, InitReport), HomeError> {
        let mut report = InitReport::default();
        match fs::symlink_metadata(dir) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                permissions::create_private_dir_all(dir).map_err(io_error("create", dir))?;
                report.created_dir = true;
            }
            Err(e) => return Err(io_error("inspect", dir)(e)),
        }
        permissions::check_home(dir)?;

        let config_path = dir.join(CONFIG_FILE);
        if !config_path.exists() {
            let text = Config::commented_template(installation_name, role);
            permissions::write_private_file_new(&config_path, text.as_bytes())
                .map_err(io_error("write", &config_path))?;
            report.created_config = true;
        }
        let keys = dir.join(KEYS_DIR);
        if !keys.exists() {
            permissions::create_private_dir_all(&keys).map_err(io_error("create", &keys))?;
            report.created_keys_dir = true;
        }
        let home = Home::open(dir)?;
        Ok((home, report))
    }

    /// Opens an existing home: checks its permissions and reads its configuration.
    pub fn open(dir: &Path) -> Result<Home, HomeError> {
        permissions::check_home(dir)?;
        let config_path = dir.join(CONFIG_FILE);
        let text = fs::read_to_string(&config_path).map_err(io_error("read", &config_path))?;
        let config = Config::parse(&text, &config_path)?;
        Ok(Home {
            dir: dir.to_path_buf(),
            config,
        })
    }

    /// Whether `dir` already holds a home (its configuration file exists).
    pub fn exists(dir: &Path) -> bool {
        dir.join(CONFIG_FILE).is_file()
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn config_path(&self) -> PathBuf {
        self.dir.join(CONFIG_FILE)
    }

    /// The embedded SQLite database's path (used when no PostgreSQL URL is configured).
    pub fn database_path(&self) -> PathBuf {
        self.dir.join(DATABASE_FILE)
    }

    pub fn keys_dir(&self) -> PathBuf {
        self.dir.join(KEYS_DIR)
    }

    /// Creates the embedded database file empty and private (0600) if it does not exist,
    /// so SQLite never creates it with the process umask (often world-readable).
    pub fn ensure_private_database_file(&self) -> Result<(), HomeError> {
        let path = self.database_path();
        permissions::create_private_file_if_missing(&path).map_err(io_error("create", &path))
    }

    /// Writes a key file inside `keys/`, private (0600) from the first byte on and never
    /// replacing an existing one: losing a key can make evidence unverifiable or data
    /// unreadable, so replacing one must be a deliberate, separate step.
    pub fn write_new_key_file(&self, name: &str, contents: &[u8]) -> Result<PathBuf, HomeError> {
        let path = self.keys_dir().join(name);
        permissions::write_private_file_new(&path, contents).map_err(io_error("write", &path))?;
        Ok(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn init_creates_a_private_home_and_is_idempotent() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("nested/home");
        let (home, report) = Home::init(&dir, "clinic-a", None).unwrap();
        assert!(report.created_dir && report.created_config && report.created_keys_dir);
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&home.config_path()), 0o600);
        assert_eq!(mode(&home.keys_dir()), 0o700);
        assert_eq!(home.config().installation.name, "clinic-a");

        // A user's edit must survive a second init.
        let edited = fs::read_to_string(home.config_path())
            .unwrap()
            .replace("name = \"clinic-a\"", "name = \"renamed\"");
        fs::write(home.config_path(), edited).unwrap();
        let (home, report) = Home::init(&dir, "clinic-a", None).unwrap();
        assert!(!report.created_anything());
        assert_eq!(home.config().installation.name, "renamed");
    }

    /// As root, a path handed to `nobody` stands for another user's; as anyone else, root's
    /// own `/` does. Returns the path to open as the home.
    fn owned_by_someone_else(path: &Path) -> Option<PathBuf> {
        if rustix::process::geteuid().is_root() {
            std::os::unix::fs::chown(path, Some(65534), Some(65534)).unwrap();
            Some(path.to_path_buf())
        } else {
            None
        }
    }

    /// Opening `dir` fails naming `path`, saying `says`, and giving `fix`.
    fn assert_refused(dir: &Path, path: &Path, says: &str, fix: &str) {
        let err = Home::open(dir).unwrap_err();
        let text = err.to_string();
        let HomeError::Unsafe(unsafe_path) = &err else {
            panic!("not refused as unsafe: {text}");
        };
        assert_eq!(unsafe_path.path, path, "{text}");
        assert!(text.contains(&path.display().to_string()), "{text}");
        assert!(text.contains(says), "{text}");
        assert!(text.contains(fix), "{text}");
    }

    #[test]
    fn a_home_others_can_write_to_is_refused() {
        for (mode, says) in [
            (0o777, "writable by its group and by every user"),
            (0o703, "writable by every user"),
            (0o770, "writable by its group"),
        ] {
            let tmp = tempfile::tempdir().unwrap();
            let dir = tmp.path().join("home");
            Home::init(&dir, "x", None).unwrap();
            fs::set_permissions(&dir, fs::Permissions::from_mode(mode)).unwrap();
            let fix = format!("chmod 700 {}", dir.display());
            assert_refused(&dir, &dir, says, &fix);
        }
    }

    #[test]
    fn keys_and_key_files_others_can_write_to_are_refused_under_a_good_home() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("home");
        let (home, _) = Home::init(&dir, "x", None).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        Home::open(&dir).unwrap();

        let keys = home.keys_dir();
        fs::set_permissions(&keys, fs::Permissions::from_mode(0o777)).unwrap();
        let fix = format!("chmod 700 {}", keys.display());
        assert_refused(&dir, &keys, "keys directory", &fix);
        fs::set_permissions(&keys, fs::Permissions::from_mode(0o700)).unwrap();

        for name in ["keyring.json", "root.key", "ledger.key", "anything-else"] {
            let path = home.write_new_key_file(name, b"key").unwrap();
            for mode in [0o666, 0o620, 0o602] {
                fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
                let fix = format!("chmod 600 {}", path.display());
                assert_refused(&dir, &path, "key file", &fix);
            }
            // Readable is the loaders' business (keyring.json holds no key in clear).
            fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
            Home::open(&dir).unwrap();
        }
    }

    #[test]
    fn a_config_every_user_can_read_or_anyone_else_write_is_refused() {
        for (mode, says) in [
            (0o666, "writable by its group and by every user"),
            (0o644, "readable by every user"),
            (0o620, "writable by its group"),
        ] {
            let tmp = tempfile::tempdir().unwrap();
            let dir = tmp.path().join("home");
            let (home, _) = Home::init(&dir, "x", None).unwrap();
            let path = home.config_path();
            fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
            let fix = format!("chmod 600 {}", path.display());
            assert_refused(&dir, &path, says, &fix);
            // The group may read it (a team that shares the configuration).
            fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
            Home::open(&dir).unwrap();
        }
    }

    #[test]
    fn a_database_file_others_can_read_or_write_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let (home, _) = Home::init(&tmp.path().join("h"), "x", None).unwrap();
        home.ensure_private_database_file().unwrap();
        let db = home.database_path();
        check_database_files(&db).unwrap();
        for suffix in ["", "-wal", "-shm"] {
            let mut path = db.clone().into_os_string();
            path.push(suffix);
            let path = PathBuf::from(path);
            if !suffix.is_empty() {
                write_private_file_new(&path, b"").unwrap();
            }
            for (mode, says) in [
                (0o666, "writable by its group and by every user"),
                (0o604, "readable by every user"),
                (0o660, "writable by its group"),
            ] {
                fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
                let err = check_database_files(&db).unwrap_err().to_string();
                assert!(err.contains(&path.display().to_string()), "{err}");
                assert!(err.contains(says) && err.contains("database"), "{err}");
                assert!(
                    err.contains(&format!("chmod 600 {}", path.display())),
                    "{err}"
                );
            }
            fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
            check_database_files(&db).unwrap();
        }
    }

    #[test]
    fn anything_owned_by_another_user_is_refused_with_the_chown_to_run() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("home");
        let (home, _) = Home::init(&dir, "x", None).unwrap();
        let Some(dir) = owned_by_someone_else(&dir) else {
            // Not root: root's own `/` is another user's home.
            let err = Home::open(Path::new("/")).unwrap_err();
            assert!(err.to_string().contains("owned by user id 0"), "{err}");
            return;
        };
        let me = rustix::process::geteuid().as_raw();
        assert_refused(
            &dir,
            &dir,
            "owned by user id 65534",
            &format!("chown -R {me} {}", dir.display()),
        );
        std::os::unix::fs::chown(&dir, Some(me), None).unwrap();
        let keyring = home.write_new_key_file("keyring.json", b"{}").unwrap();
        for path in [home.keys_dir(), keyring, home.config_path()] {
            owned_by_someone_else(&path);
            assert_refused(
                &dir,
                &path,
                "owned by user id 65534",
                &format!("chown {me} {}", path.display()),
            );
            std::os::unix::fs::chown(&path, Some(me), None).unwrap();
        }
        Home::open(&dir).unwrap();
    }

    #[test]
    fn a_fix_quotes_a_path_a_shell_would_split() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("clinic's home");
        Home::init(&dir, "x", None).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o777)).unwrap();
        let quoted = format!("'{}'", dir.display()).replace("'s", r"'\''s");
        assert_refused(&dir, &dir, "writable", &format!("chmod 700 {quoted}"));
    }

    #[test]
    fn a_file_as_home_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("file");
        fs::write(&file, b"x").unwrap();
        let err = Home::init(&file, "x", None).unwrap_err();
        assert!(matches!(err, HomeError::NotADirectory { .. }), "{err}");
    }

    #[test]
    fn missing_config_is_an_error_naming_the_file() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("home");
        Home::init(&dir, "x", None).unwrap();
        fs::remove_file(dir.join(CONFIG_FILE)).unwrap();
        let err = Home::open(&dir).unwrap_err();
        assert!(err.to_string().contains("phiguard.toml"), "{err}");
    }

    #[test]
    fn key_files_are_private_and_never_replaced() {
        let tmp = tempfile::tempdir().unwrap();
        let (home, _) = Home::init(&tmp.path().join("h"), "x", None).unwrap();
        let path = home.write_new_key_file("ledger.key", b"secret").unwrap();
        assert_eq!(mode(&path), 0o600);
        let err = home.write_new_key_file("ledger.key", b"other").unwrap_err();
        assert!(matches!(err, HomeError::Io { .. }), "{err}");
        assert_eq!(fs::read(&path).unwrap(), b"secret");
    }

    #[test]
    fn database_file_is_created_private() {
        let tmp = tempfile::tempdir().unwrap();
        let (home, _) = Home::init(&tmp.path().join("h"), "x", None).unwrap();
        home.ensure_private_database_file().unwrap();
        assert_eq!(mode(&home.database_path()), 0o600);
        // Existing content is never touched.
        fs::write(home.database_path(), b"data").unwrap();
        home.ensure_private_database_file().unwrap();
        assert_eq!(fs::read(home.database_path()).unwrap(), b"data");
    }
}
