//! Test support shared by every phiguard crate.
//!
//! Some tests need something outside the Rust toolchain: a PostgreSQL server, AIDE, SoftHSM2,
//! Chromium, age. On a fresh machine with only Rust, those tests skip with a one-line note
//! that says what to install, so `cargo test --workspace` passes. In CI,
//! `PHIGUARD_TEST_REQUIRE_ALL=1` turns every such skip into a failure, so nothing is ever
//! silently skipped there. This crate is the one place that decides.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::Connection;

/// Set to `1` (CI does) to make a missing outside tool fail the test instead of skipping it.
pub const REQUIRE_ALL_ENV: &str = "PHIGUARD_TEST_REQUIRE_ALL";
/// The PostgreSQL server the tests may create databases on, e.g.
/// `postgres://postgres@127.0.0.1:5432/test`.
pub const POSTGRES_ENV: &str = "PHIGUARD_TEST_POSTGRES";

/// Whether a missing outside tool must fail the test.
pub fn require_all() -> bool {
    std::env::var(REQUIRE_ALL_ENV).is_ok_and(|v| v == "1")
}

/// Reports that `what` is missing: under `PHIGUARD_TEST_REQUIRE_ALL=1` this panics (the test
/// fails); otherwise it prints one line to stderr and the caller returns early.
///
/// The note is written to the process's stderr directly rather than with `eprintln!`, which
/// the test harness captures and would hide.
pub fn missing(what: &str, how_to_get_it: &str) {
    let line = format!("skipped: this test needs {what}; {how_to_get_it}");
    if require_all() {
        panic!("{line} ({REQUIRE_ALL_ENV}=1 forbids skipping)");
    }
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// Finds `program` on `PATH`, or reports it missing with the Debian package to install.
pub fn program(program: &str, debian_package: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|candidate| candidate.is_file())
    });
    if found.is_none() {
        missing(
            &format!("`{program}`"),
            &format!("install it with `apt-get install {debian_package}`"),
        );
    }
    found
}

/// Headless Chromium, for the tests that render the HTML report in a real browser. Debian's
/// `chromium` package installs `chromium`; other distributions call it `chromium-browser`.
/// Only when neither is on `PATH` is it reported missing (see [`program`]).
pub fn chromium() -> Option<PathBuf> {
    let on_path = |name: &str| {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join(name))
                .find(|candidate| candidate.is_file())
        })
    };
    on_path("chromium")
        .or_else(|| on_path("chromium-browser"))
        .or_else(|| program("chromium", "chromium"))
}

/// The URL of the PostgreSQL server for tests, or `None` (after the skip note) when
/// `PHIGUARD_TEST_POSTGRES` is unset.
pub fn postgres_server() -> Option<String> {
    match std::env::var(POSTGRES_ENV) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            missing(
                "PostgreSQL",
                &format!(
                    "set {POSTGRES_ENV}=postgres://postgres@127.0.0.1:5432/test (see .ci/run)"
                ),
            );
            None
        }
    }
}

/// A database created for one test and dropped when the value is dropped, so tests on one
/// server never see each other's data and can run in parallel.
#[derive(Debug)]
pub struct PostgresDatabase {
    server_url: String,
    name: String,
    url: String,
}

impl PostgresDatabase {
    /// The URL of this test's own database.
    pub fn url(&self) -> &str {
        &self.url
    }
}

/// Creates a fresh, empty database on the test server, or `None` (after the skip note) when
/// no server is configured. A configured server that cannot be reached fails the test: the
/// developer asked for PostgreSQL tests and would otherwise get a false green.
pub async fn fresh_postgres_database() -> Option<PostgresDatabase> {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let server_url = postgres_server()?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let name = format!(
        "phiguard_test_{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let mut admin = sqlx::PgConnection::connect(&server_url)
        .await
        .unwrap_or_else(|e| panic!("{POSTGRES_ENV} is set but the server is unreachable: {e}"));
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
        .execute(&mut admin)
        .await
        .unwrap_or_else(|e| panic!("could not create test database {name}: {e}"));
    let _ = admin.close().await;
    let url = with_database(&server_url, &name);
    Some(PostgresDatabase {
        server_url,
        name,
        url,
    })
}

impl Drop for PostgresDatabase {
    fn drop(&mut self) {
        // Drop may run inside a Tokio runtime, where blocking on a future panics; a short-lived
        // thread with its own runtime avoids that.
        let server_url = self.server_url.clone();
        let sql = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let mut admin = sqlx::PgConnection::connect(&server_url).await.ok()?;
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                    .execute(&mut admin)
                    .await
                    .ok()
            })
        })
        .join();
    }
}

/// Generates, for each named suite function `async fn name(db: TestDb)`, one
/// `#[tokio::test]` on SQLite (`sqlite::name`) and one on PostgreSQL (`postgres::name`), so a
/// storage suite is written once and runs on both databases. The calling test file defines
/// `TestDb` with `async fn sqlite() -> TestDb` and `async fn postgres() -> Option<TestDb>`
/// (`None` after the skip note, see [`fresh_postgres_database`]).
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::TestDb::sqlite().await).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(db) = super::TestDb::postgres().await else { return };
                    super::$name(db).await
                }
            )*
        }
    };
}

/// The environment variable SoftHSM2 reads, at `C_Initialize`, for its configuration file
/// (without it, SoftHSM2 uses `/etc/softhsm/softhsm2.conf`, which tests must never touch).
pub const SOFTHSM2_CONF_ENV: &str = "SOFTHSM2_CONF";

/// Where distributions put the SoftHSM2 PKCS#11 module (Debian's path first).
const SOFTHSM2_MODULES: &[&str] = &[
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib64/pkcs11/libsofthsm2.so",
    "/usr/local/lib/softhsm/libsofthsm2.so",
];

/// Set in the child process [`softhsm_in_own_process`] starts: the name of the test it runs.
const SOFTHSM_CHILD_TEST_ENV: &str = "PHIGUARD_TESTKIT_SOFTHSM_TEST";
/// Set in that child: the store directory, the module and the token label.
const SOFTHSM_CHILD_DIR_ENV: &str = "PHIGUARD_TESTKIT_SOFTHSM_DIR";
const SOFTHSM_CHILD_MODULE_ENV: &str = "PHIGUARD_TESTKIT_SOFTHSM_MODULE";
const SOFTHSM_CHILD_TOKEN_ENV: &str = "PHIGUARD_TESTKIT_SOFTHSM_TOKEN";
/// File the child creates in the store directory once it has entered the test, so a child
/// that ran no test at all (a name filter that matched nothing) cannot pass for a green one.
const SOFTHSM_CHILD_RAN: &str = "child-ran";

/// A private SoftHSM2 store for one test: its own configuration file and token directory
/// (under the system temporary directory), holding one freshly initialised token with known
/// PINs. Dropping the value deletes the store, tokens and all.
///
/// SoftHSM2 reads its configuration once per process, at `C_Initialize`, from the
/// environment variable [`SOFTHSM2_CONF_ENV`], and does not notice tokens that another
/// process creates afterwards. A test cannot set that variable in its own process (`unsafe`
/// is forbidden, and `set_var` is unsafe), so the store is only ever used by processes the
/// test starts with the variable set: the `phiguard` binary (see [`SoftHsm::configure`]), or
/// the test itself run again in a child process (see [`softhsm_in_own_process`]).
#[derive(Debug)]
pub struct SoftHsm {
    module: PathBuf,
    dir: PathBuf,
    conf: PathBuf,
    token_label: String,
    /// Whether this value made the store, and so deletes it when dropped.
    owner: bool,
}

impl SoftHsm {
    /// The token's user PIN (the same for every test token; the stores are throwaway).
    pub const USER_PIN: &'static str = "phiguard-test-user-pin-8Kq3";
    /// The token's security officer PIN.
    pub const SO_PIN: &'static str = "phiguard-test-so-pin-Zr52";

    /// Path of the SoftHSM2 PKCS#11 module.
    pub fn module(&self) -> &Path {
        &self.module
    }

    /// Path of this store's configuration file, to pass as [`SOFTHSM2_CONF_ENV`].
    pub fn conf(&self) -> &Path {
        &self.conf
    }

    /// Label of the token initialised for this test.
    pub fn token_label(&self) -> &str {
        &self.token_label
    }

    /// The token's user PIN.
    pub fn user_pin(&self) -> &'static str {
        Self::USER_PIN
    }

    /// The token's security officer PIN.
    pub fn so_pin(&self) -> &'static str {
        Self::SO_PIN
    }

    /// Points `command` at this store, so a spawned `phiguard` (or any PKCS#11 program)
    /// finds the test token and never the system's SoftHSM2 configuration.
    pub fn configure<'c>(&self, command: &'c mut Command) -> &'c mut Command {
        command.env(SOFTHSM2_CONF_ENV, &self.conf)
    }
}

impl Drop for SoftHsm {
    fn drop(&mut self) {
        if self.owner {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Makes a private SoftHSM2 store with one initialised token (label [`SoftHsm::token_label`],
/// PINs [`SoftHsm::USER_PIN`] and [`SoftHsm::SO_PIN`]), for tests that spawn a program which
/// uses it. `None` (after the skip note, see [`missing`]) when SoftHSM2 is not installed.
///
/// The token is made by `softhsm2-util` in a child process with [`SOFTHSM2_CONF_ENV`]
/// pointing at the new store, so this process never loads SoftHSM2 and the system's
/// configuration is never read or written.
pub fn softhsm() -> Option<SoftHsm> {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let Some(module) = SOFTHSM2_MODULES
        .iter()
        .map(PathBuf::from)
        .find(|candidate| candidate.is_file())
    else {
        missing(
            "the SoftHSM2 PKCS#11 module (libsofthsm2.so)",
            "install it with `apt-get install softhsm2`",
        );
        return None;
    };
    let util = program("softhsm2-util", "softhsm2")?;

    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let pid = std::process::id();
    let dir = std::env::temp_dir().join(format!("phiguard-softhsm-{pid}-{n}-{nanos}"));
    let tokens = dir.join("tokens");
    // `create_dir`, not `create_dir_all`: the directory must be new, never someone's store.
    std::fs::create_dir(&dir)
        .and_then(|()| std::fs::create_dir(&tokens))
        .unwrap_or_else(|e| panic!("could not create the SoftHSM2 test store {dir:?}: {e}"));
    let conf = dir.join("softhsm2.conf");
    std::fs::write(
        &conf,
        format!(
            "# SoftHSM2 store of one phiguard test; deleted when the test ends.\n\
             directories.tokendir = {}\n\
             objectstore.backend = file\n\
             log.level = ERROR\n\
             slots.removable = false\n\
             slots.mechanisms = ALL\n\
             library.reset_on_fork = false\n",
            tokens.display()
        ),
    )
    .unwrap_or_else(|e| panic!("could not write {conf:?}: {e}"));
    let hsm = SoftHsm {
        module,
        dir,
        conf,
        // Token labels are at most 32 bytes.
        token_label: format!("phiguard-test-{pid}-{n}"),
        owner: true,
    };

    let output = Command::new(&util)
        .env(SOFTHSM2_CONF_ENV, &hsm.conf)
        .args(["--init-token", "--free", "--label", &hsm.token_label])
        .args(["--so-pin", SoftHsm::SO_PIN, "--pin", SoftHsm::USER_PIN])
        .output()
        .unwrap_or_else(|e| panic!("could not run {util:?}: {e}"));
    assert!(
        output.status.success(),
        "softhsm2-util could not initialise the test token ({}): {}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    Some(hsm)
}

/// For a test that loads SoftHSM2 into its own process (through the `cryptoki` crate, e.g.
/// `Pkcs11Root`): runs the calling test again in a child process whose [`SOFTHSM2_CONF_ENV`]
/// names a fresh store made by [`softhsm`], and reports the child's result.
///
/// Call it first in the test, as `let Some(hsm) = softhsm_in_own_process() else { return };`.
/// In the test's own process it returns `None`, after the child passed (it panics with the
/// child's output if the child failed, or ran no test), or after the skip note when SoftHSM2
/// is missing. In the child it returns the store, and the rest of the test runs there.
///
/// Each such test thus has its own process, its own SoftHSM2 state and its own token, which
/// also makes the tests independent of each other when `cargo test` runs them in parallel.
pub fn softhsm_in_own_process() -> Option<SoftHsm> {
    // libtest runs each test on a thread named after the test: the name to run in the child.
    let thread = std::thread::current();
    let test = match thread.name() {
        Some(name) if name != "main" => name.to_owned(),
        _ => panic!(
            "softhsm_in_own_process must be called from a #[test] function, on the thread \
             the test harness names after the test"
        ),
    };
    if std::env::var(SOFTHSM_CHILD_TEST_ENV).is_ok_and(|child| child == test) {
        return Some(softhsm_of_child());
    }

    let hsm = softhsm()?;
    let exe = std::env::current_exe()
        .unwrap_or_else(|e| panic!("cannot find the running test binary to re-run {test}: {e}"));
    let output = Command::new(&exe)
        .args([test.as_str(), "--exact", "--include-ignored", "--nocapture"])
        .arg("--test-threads=1")
        .env(SOFTHSM2_CONF_ENV, &hsm.conf)
        .env(SOFTHSM_CHILD_TEST_ENV, &test)
        .env(SOFTHSM_CHILD_DIR_ENV, &hsm.dir)
        .env(SOFTHSM_CHILD_MODULE_ENV, &hsm.module)
        .env(SOFTHSM_CHILD_TOKEN_ENV, &hsm.token_label)
        .output()
        .unwrap_or_else(|e| panic!("could not re-run {test} in a child process: {e}"));
    let shown = format!(
        "--- child stdout ---\n{}--- child stderr ---\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "{test} failed in its SoftHSM2 child process ({})\n{shown}",
        output.status
    );
    assert!(
        hsm.dir.join(SOFTHSM_CHILD_RAN).is_file(),
        "the child process ran no test named {test}, so nothing was checked\n{shown}"
    );
    // Captured by the harness like any test output; shown with --nocapture or on failure.
    print!("{shown}");
    None
}

/// The store the parent made, as described by its environment (see `softhsm_in_own_process`).
fn softhsm_of_child() -> SoftHsm {
    let var = |name: &str| {
        std::env::var_os(name)
            .unwrap_or_else(|| panic!("{name} is not set in the SoftHSM2 child process"))
    };
    let dir = PathBuf::from(var(SOFTHSM_CHILD_DIR_ENV));
    let hsm = SoftHsm {
        module: PathBuf::from(var(SOFTHSM_CHILD_MODULE_ENV)),
        conf: dir.join("softhsm2.conf"),
        token_label: var(SOFTHSM_CHILD_TOKEN_ENV).to_string_lossy().into_owned(),
        dir,
        // The parent deletes the store once the child has exited.
        owner: false,
    };
    assert_eq!(
        std::env::var_os(SOFTHSM2_CONF_ENV)
            .map(PathBuf::from)
            .as_ref(),
        Some(&hsm.conf),
        "{SOFTHSM2_CONF_ENV} in the child does not name the test store"
    );
    std::fs::write(hsm.dir.join(SOFTHSM_CHILD_RAN), b"")
        .unwrap_or_else(|e| panic!("could not mark the SoftHSM2 child as started: {e}"));
    hsm
}

/// Replaces the database name (the URL path) of a PostgreSQL URL, keeping its query.
fn with_database(server_url: &str, database: &str) -> String {
    let (base, query) = match server_url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (server_url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{database}?{query}"),
        None => format!("{base}/{database}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_name_is_replaced_and_query_kept() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/test", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database("postgres://u@h:1?sslmode=disable", "x"),
            "postgres://u@h:1/x?sslmode=disable"
        );
        assert_eq!(
            with_database("postgresql://u@h/db?a=b", "x"),
            "postgresql://u@h/x?a=b"
        );
    }
}

/// Where `moto_server` is looked for: `PHIGUARD_TEST_MOTO_SERVER`, then the venv `.ci/run`
/// makes, then `PATH`.
pub const MOTO_ENV: &str = "PHIGUARD_TEST_MOTO_SERVER";

/// A moto server (a real AWS API emulator) on a loopback port of its own, stopped when
/// dropped. Each test gets its own, so no test sees another's resources.
#[derive(Debug)]
pub struct Moto {
    child: std::process::Child,
    port: u16,
}

impl Moto {
    /// Starts one, or returns `None` (after the skip note) when moto is not installed.
    pub fn start() -> Option<Moto> {
        Moto::start_with(&[])
    }

    /// Starts one with `env` set for it: `("INITIAL_NO_AUTH_ACTION_COUNT", "0")` makes it
    /// enforce IAM policies, so a test can be denied a call.
    pub fn start_with(env: &[(&str, &str)]) -> Option<Moto> {
        let server = moto_server()?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map(|address| address.port())
            .unwrap_or_else(|e| panic!("no free loopback port for moto: {e}"));
        let mut command = Command::new(&server);
        command
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        for (key, value) in env {
            command.env(key, value);
        }
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("could not start {}: {e}", server.display()));
        let moto = Moto { child, port };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        // Ready once it answers a request, not merely accepts a connection: the server
        // can accept before its application is loaded.
        while !answers(port) {
            assert!(
                std::time::Instant::now() < deadline,
                "moto_server did not answer on port {port} within 60 s"
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        Some(moto)
    }

    /// The endpoint every AWS client of the test uses: `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether moto answers its own API's status request on `port`.
fn answers(port: u16) -> bool {
    use std::io::Read;
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let request =
        format!("GET /moto-api/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    let mut response = String::new();
    stream.write_all(request.as_bytes()).is_ok()
        && stream.read_to_string(&mut response).is_ok()
        && response.starts_with("HTTP/1.1 200")
}

fn moto_server() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(MOTO_ENV).filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    let venv = std::env::var_os("HOME")
        .map(|home| Path::new(&home).join(".cache/phiguard/moto-venv/bin/moto_server"))
        .filter(|path| path.is_file());
    if venv.is_some() {
        return venv;
    }
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("moto_server"))
            .find(|candidate| candidate.is_file())
    });
    if on_path.is_none() {
        missing(
            "moto_server (the AWS API emulator)",
            &format!(
                "install it with `python3 -m venv ~/.cache/phiguard/moto-venv && \
                 ~/.cache/phiguard/moto-venv/bin/pip install 'moto[server]'`, or set {MOTO_ENV}"
            ),
        );
    }
    on_path
}

/// What a [`Relay`] does with one request.
#[derive(Debug)]
pub enum Relayed {
    /// Pass it on with this request head (its request line and headers, ending in a blank line).
    Forward(String),
    /// Answer it with these bytes, a whole HTTP response, without passing it on.
    Answer(Vec<u8>),
}

/// A loopback HTTP endpoint in front of another (an emulator) that lets a test shape the
/// traffic: answer the first requests with a throttling error, or rewrite a header an
/// emulator spells differently. Each connection carries one request; the decision is made by
/// `rule`, given the request's number (from 0) and its head.
#[derive(Debug)]
pub struct Relay {
    address: std::net::SocketAddr,
}

impl Relay {
    pub fn start(
        upstream: &str,
        rule: impl Fn(usize, &str) -> Relayed + Send + Sync + 'static,
    ) -> Relay {
        let upstream = upstream.trim_start_matches("http://").to_owned();
        let listener = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap_or_else(|e| panic!("no free loopback port for the relay: {e}"));
        let address = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("the relay's address: {e}"));
        let rule = std::sync::Arc::new(rule);
        let count = std::sync::Arc::new(AtomicU32::new(0));
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let (upstream, rule, count) = (upstream.clone(), rule.clone(), count.clone());
                std::thread::spawn(move || {
                    let n = count.fetch_add(1, Ordering::SeqCst) as usize;
                    let _ = relay_one(client, &upstream, n, rule.as_ref());
                });
            }
        });
        Relay { address }
    }

    /// The endpoint to give the client: `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.address)
    }
}

fn relay_one(
    mut client: std::net::TcpStream,
    upstream: &str,
    n: usize,
    rule: &(dyn Fn(usize, &str) -> Relayed + Send + Sync),
) -> std::io::Result<()> {
    use std::io::Read;
    let mut request = Vec::new();
    let mut buffer = [0u8; 8192];
    // The head, then as much body as it announces.
    let head_end = loop {
        let read = client.read(&mut buffer)?;
        if read == 0 {
            return Ok(());
        }
        request.extend_from_slice(&buffer[..read]);
        if let Some(end) = request.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
    };
    let head = String::from_utf8_lossy(&request[..head_end]).into_owned();
    let length: usize = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .unwrap_or(0);
    while request.len() < head_end + length {
        let read = client.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        request.extend_from_slice(&buffer[..read]);
    }
    match rule(n, &head) {
        Relayed::Answer(response) => client.write_all(&response),
        Relayed::Forward(head) => {
            // One request per connection: the client must not wait for a second answer.
            let head = if head.to_ascii_lowercase().contains("\r\nconnection:") {
                head
            } else {
                head.replacen("\r\n\r\n", "\r\nConnection: close\r\n\r\n", 1)
            };
            let mut server = std::net::TcpStream::connect(upstream)?;
            server.write_all(head.as_bytes())?;
            server.write_all(&request[head_end..])?;
            std::io::copy(&mut server, &mut client)?;
            Ok(())
        }
    }
}

/// What one headless Chromium run printed.
#[derive(Debug)]
pub struct ChromiumRun {
    pub stdout: String,
    pub stderr: String,
}

/// Runs headless Chromium (`browser`, from [`chromium`]) on the file `page` with `args`
/// (`--dump-dom`, `--screenshot=PATH`), with its own profile directory and output files under
/// `dir` named after `name`, killing it after a minute so a hung browser cannot hang the
/// tests. A run that fails fails the test, with Chromium's log.
pub fn run_chromium(
    browser: &Path,
    dir: &Path,
    name: &str,
    page: &Path,
    args: &[&str],
) -> ChromiumRun {
    use std::time::{Duration, Instant};
    let profile = dir.join(format!("{name}-profile"));
    std::fs::create_dir(&profile)
        .unwrap_or_else(|e| panic!("could not create the profile directory {profile:?}: {e}"));
    let stdout_path = dir.join(format!("{name}.stdout"));
    let stderr_path = dir.join(format!("{name}.stderr"));
    let create = |path: &Path| {
        std::fs::File::create(path).unwrap_or_else(|e| panic!("could not create {path:?}: {e}"))
    };
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .stdin(std::process::Stdio::null())
        .stdout(create(&stdout_path))
        .stderr(create(&stderr_path))
        .spawn()
        .unwrap_or_else(|e| panic!("could not start {browser:?}: {e}"));
    let read = |path: &Path| {
        String::from_utf8_lossy(&std::fs::read(path).unwrap_or_default()).into_owned()
    };
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => {}
            Err(e) => panic!("could not wait for chromium {name}: {e}"),
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "chromium {name} hung for 60 s and was killed; stderr:\n{}",
                read(&stderr_path)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let run = ChromiumRun {
        stdout: read(&stdout_path),
        stderr: read(&stderr_path),
    };
    assert!(
        status.success(),
        "chromium {name} failed ({status}); stderr:\n{}",
        run.stderr
    );
    run
}

/// The arguments that make Chromium print the DOM it built and log the page's console to
/// stderr, for [`console_problems`].
pub const CHROMIUM_DOM_ARGS: [&str; 3] = ["--dump-dom", "--enable-logging=stderr", "--v=1"];

/// Lines of Chromium's log (a run with [`CHROMIUM_DOM_ARGS`]) that report something the page
/// did wrong: console messages (errors and CSP violations are logged as `CONSOLE` lines),
/// uncaught exceptions and refused loads.
pub fn console_problems(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|line| {
            line.contains(":CONSOLE")
                || line.contains("Uncaught")
                || line.contains("Refused to")
                || line.contains("Content Security Policy")
        })
        .collect()
}

/// Fails the test unless Chromium's log shows the breach on a page whose inline script the
/// reports' Content-Security-Policy blocks: without that, an empty [`console_problems`]
/// proves nothing.
pub fn assert_console_problems_are_seen(browser: &Path, dir: &Path) {
    let canary = dir.join("canary.html");
    std::fs::write(
        &canary,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'; img-src data:\"><title>canary</title></head>\
         <body><p>canary</p><script>console.error('canary')</script></body></html>",
    )
    .unwrap_or_else(|e| panic!("could not write {canary:?}: {e}"));
    let run = run_chromium(browser, dir, "canary", &canary, &CHROMIUM_DOM_ARGS);
    assert!(
        !console_problems(&run.stderr).is_empty(),
        "Chromium logged nothing for a page whose inline script the policy blocks, so the \
         console check cannot see problems"
    );
}

/// The interpreter to run the OSCAL oracle with: this variable, else `python3`.
pub const OSCAL_PYTHON_ENV: &str = "PHIGUARD_TEST_OSCAL_PYTHON";

/// Loads each document into trestle's OSCAL 1.1 model (pydantic, generated from NIST's JSON
/// schemas: required fields, no unknown fields, patterns) and runs trestle's own checks
/// (duplicate uuids, role references). Exits 3 when trestle is missing or targets another
/// OSCAL version, 1 when a document is rejected.
const OSCAL_ORACLE: &str = r#"
import json, sys
try:
    import trestle.oscal
    from trestle.oscal import assessment_results, poam
    from trestle.core.duplicates_validator import DuplicatesValidator
    from trestle.core.refs_validator import RefsValidator
except ImportError as e:
    print(f"trestle cannot be imported: {e}")
    sys.exit(3)
if not trestle.oscal.OSCAL_VERSION.startswith("1.1."):
    print(f"this trestle targets OSCAL {trestle.oscal.OSCAL_VERSION}, not 1.1")
    sys.exit(3)
models = {"assessment-results": assessment_results.Model,
          "plan-of-action-and-milestones": poam.Model}
failed = False
for path in sys.argv[1:]:
    with open(path) as f:
        document = json.load(f)
    (kind,) = document.keys()
    try:
        model = models[kind].parse_obj(document)
    except Exception as e:
        print(f"{path}: {e}")
        failed = True
        continue
    top = getattr(model, kind.replace("-", "_"))
    for validator in (DuplicatesValidator(), RefsValidator()):
        if not validator.model_is_valid(top, quiet=False):
            print(f"{path}: {type(validator).__name__} rejects it")
            failed = True
    print(f"{path}: valid OSCAL {trestle.oscal.OSCAL_VERSION} {kind}")
sys.exit(1 if failed else 0)
"#;

/// A Python with compliance-trestle 3.x (NIST's OSCAL 1.1 models), or `None` after the skip
/// note (see [`missing`]).
pub fn oscal_python() -> Option<PathBuf> {
    let python = std::env::var_os(OSCAL_PYTHON_ENV)
        .filter(|p| !p.is_empty())
        .map_or_else(|| PathBuf::from("python3"), PathBuf::from);
    let probe = Command::new(&python)
        .args([
            "-c",
            "import trestle.oscal as o; assert o.OSCAL_VERSION.startswith('1.1.')",
        ])
        .output();
    if probe.is_ok_and(|o| o.status.success()) {
        return Some(python);
    }
    missing(
        "compliance-trestle 3.x (NIST's OSCAL 1.1 models)",
        &format!(
            "python3 -m venv DIR && DIR/bin/pip install 'compliance-trestle==3.12.4', then set \
             {OSCAL_PYTHON_ENV}=DIR/bin/python (see .ci/run)"
        ),
    );
    None
}

/// What trestle said of some OSCAL documents.
#[derive(Debug)]
pub struct OscalVerdict {
    /// Every document loaded and passed trestle's checks.
    pub accepted: bool,
    /// How many documents trestle called valid.
    pub valid: usize,
    /// Its output, to show when a test fails.
    pub output: String,
}

/// Runs trestle (`python`, from [`oscal_python`]) on the OSCAL JSON files `paths`
/// (assessment results or POA&M).
pub fn oscal_oracle(python: &Path, paths: &[PathBuf]) -> OscalVerdict {
    let output = Command::new(python)
        .arg("-c")
        .arg(OSCAL_ORACLE)
        .args(paths)
        .output()
        .unwrap_or_else(|e| panic!("could not run {python:?}: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert_ne!(
        output.status.code(),
        Some(3),
        "trestle is not usable from {python:?}: {stdout}"
    );
    OscalVerdict {
        accepted: output.status.success(),
        valid: stdout.matches(": valid OSCAL 1.1.").count(),
        output: format!(
            "({})\n{stdout}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ),
    }
}
