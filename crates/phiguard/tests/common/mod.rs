//! Helpers shared by the tests that run the real `phiguard` binary.

#![allow(dead_code)] // each test file uses its own subset
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failure with its location

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

/// A `phiguard` command on `home`, isolated from the developer's environment.
pub fn phiguard(home: &Path) -> Command {
    let mut cmd = Command::cargo_bin("phiguard").unwrap();
    cmd.env_remove("PHIGUARD_HOME")
        .env_remove("PHIGUARD_DATABASE_URL")
        .env_remove("PHIGUARD_LOG")
        .env_remove("PHIGUARD_PASSPHRASE")
        .env_remove("PHIGUARD_PKCS11_PIN")
        .arg("--home")
        .arg(home);
    cmd
}

/// A `phiguard` command that finds its home itself (no `--home`, no `$PHIGUARD_HOME`), in
/// surroundings made under `root`: `$HOME` is `root/user`, `$XDG_DATA_HOME` is `root/xdg`,
/// and the working directory is `root/work` (created here, with `root/user`).
pub fn phiguard_finding_home(root: &Path) -> Command {
    std::fs::create_dir_all(root.join("user")).unwrap();
    std::fs::create_dir_all(root.join("work")).unwrap();
    let mut cmd = Command::cargo_bin("phiguard").unwrap();
    cmd.env_remove("PHIGUARD_HOME")
        .env_remove("PHIGUARD_DATABASE_URL")
        .env_remove("PHIGUARD_LOG")
        .env_remove("PHIGUARD_PASSPHRASE")
        .env_remove("PHIGUARD_PKCS11_PIN")
        .env("HOME", root.join("user"))
        .env("XDG_DATA_HOME", root.join("xdg"))
        .current_dir(root.join("work"));
    cmd
}

/// The subcommands a help text lists under "Commands:".
pub fn subcommands_in(help: &str) -> Vec<String> {
    help.split("\nCommands:\n")
        .nth(1)
        .map(|rest| {
            rest.lines()
                .take_while(|line| line.starts_with("  "))
                .filter(|line| !line.starts_with("   "))
                .filter_map(|line| line.split_whitespace().next())
                .filter(|name| *name != "help")
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// Every command, from the top-level help down: its path (`["register", "vendor", "add"]`)
/// and its `--help` text.
pub fn every_command() -> Vec<(Vec<String>, String)> {
    let mut pending: Vec<Vec<String>> = vec![Vec::new()];
    let mut commands = Vec::new();
    while let Some(path) = pending.pop() {
        // As an 80-column terminal shows it.
        let out = Command::cargo_bin("phiguard")
            .unwrap()
            .env("COLUMNS", "80")
            .args(&path)
            .arg("--help")
            .assert()
            .success();
        let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
        for sub in subcommands_in(&text) {
            let mut next = path.clone();
            next.push(sub);
            pending.push(next);
        }
        commands.push((path, text));
    }
    commands
}

/// Every file and directory under `dir`, relative to it, sorted.
pub fn tree(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        for entry in std::fs::read_dir(&next).unwrap() {
            let path = entry.unwrap().path();
            found.push(path.strip_prefix(dir).unwrap().display().to_string());
            if path.is_dir() && !path.is_symlink() {
                pending.push(path);
            }
        }
    }
    found.sort();
    found
}

/// A temporary directory holding an initialised home at `home/` inside it; the home is
/// removed with the directory.
pub fn new_home() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    phiguard(&home).args(["init", "-q"]).assert().success();
    (tmp, home)
}

/// Parses a command's stdout as JSON, showing it when it is not.
pub fn json(output: &[u8]) -> Value {
    serde_json::from_slice(output)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(output)))
}

pub fn stderr_of(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&assert.get_output().stderr).into_owned()
}

/// Runs SQL on a home's SQLite database directly, as someone with file access could.
pub fn sqlite_exec(home: &Path, sql: &str) {
    database_exec(
        &format!("sqlite://{}", home.join("phiguard.db").display()),
        sql,
    );
}

/// Runs SQL on the database at `url` (`sqlite://PATH` or `postgres://…`) directly, as
/// someone with access to the database could.
pub fn database_exec(url: &str, sql: &str) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        use sqlx::Connection;
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
            .execute(&mut conn)
            .await
            .unwrap();
    });
}

/// A fresh PostgreSQL database for one test (dropped with the value), or `None` after the
/// skip note when there is no server (a failure under `PHIGUARD_TEST_REQUIRE_ALL=1`).
pub fn postgres_database() -> Option<phiguard_testkit::PostgresDatabase> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(phiguard_testkit::fresh_postgres_database())
}

/// A home on the SQLite file in it, or on a fresh PostgreSQL database, whose database tests
/// also change directly, as someone with access to it could.
pub struct TestHome {
    tmp: tempfile::TempDir,
    pub home: PathBuf,
    postgres: Option<phiguard_testkit::PostgresDatabase>,
}

impl TestHome {
    /// An initialised home with its SQLite database.
    pub fn sqlite() -> TestHome {
        let (tmp, home) = new_home();
        TestHome {
            tmp,
            home,
            postgres: None,
        }
    }

    /// A home on a fresh PostgreSQL database, created by its first command; `None` after the
    /// skip note when there is no server.
    pub fn postgres() -> Option<TestHome> {
        let postgres = postgres_database()?;
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().join("home");
        Some(TestHome {
            tmp,
            home,
            postgres: Some(postgres),
        })
    }

    /// A directory beside the home, removed with it.
    pub fn dir(&self) -> &Path {
        self.tmp.path()
    }

    /// The database's URL.
    pub fn url(&self) -> String {
        match &self.postgres {
            Some(db) => db.url().to_owned(),
            None => format!("sqlite://{}", self.home.join("phiguard.db").display()),
        }
    }

    /// A `phiguard` command on this home and its database.
    pub fn command(&self) -> Command {
        let mut cmd = phiguard(&self.home);
        if let Some(db) = &self.postgres {
            cmd.args(["--database", db.url()]);
        }
        cmd
    }

    /// `line` with the global arguments that select this home's database.
    pub fn line(&self, line: &str) -> String {
        match &self.postgres {
            Some(db) => format!("--database {} {line}", db.url()),
            None => line.to_owned(),
        }
    }

    /// Runs `sql` on the database directly.
    pub fn exec(&self, sql: &str) {
        database_exec(&self.url(), sql);
    }

    /// An SQL literal for `bytes`.
    pub fn bytes(&self, bytes: &[u8]) -> String {
        let hex = phiguard_core::hex::encode(bytes);
        match &self.postgres {
            Some(_) => format!("decode('{hex}', 'hex')"),
            None => format!("X'{hex}'"),
        }
    }
}
