//! phiguard's operations, as the command line, a server, agents and a scheduler all call
//! them: the installation an operation works on ([`installation`]), the session that holds it
//! open with its register ([`session`]), and one module per thing a user can ask for. Each
//! operation takes a typed request and returns a typed result; it draws nothing and parses no
//! arguments. What a person should hear while it runs (a home created, a step begun, a
//! warning) goes to the caller's [`Notices`]; long work reports through a progress callback.

pub mod access;
pub mod assess;
pub mod attest;
pub mod breach;
pub mod check_run;
pub mod cloud;
pub mod demo;
pub mod fim;
pub mod host;
pub mod incident;
pub mod init;
pub mod installation;
pub mod key_management;
pub mod keys;
pub mod ledger;
pub mod matrix;
pub mod register;
pub mod risk;
pub mod seal;
pub mod session;
pub mod status;

pub use installation::{Installation, Purpose};
pub use session::Session;

/// Where an operation finds its installation: what `--home` and `--database` (or their
/// environment variables) say on the command line, or a server's configuration.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The home directory; `None` looks where phiguard looks by default (see
    /// `phiguard_home::locate`).
    pub home: Option<std::path::PathBuf>,
    /// The database URL, instead of the one the home's phiguard.toml names.
    pub database: Option<String>,
}

/// Where an operation sends what a person should be told while it runs: a home it created,
/// the step it begins, a warning about what it recorded. The command line prints these on
/// stderr; a server may log them or return them.
pub trait Notices: Sync {
    fn note(&self, text: &str);
}

/// Notices nobody reads.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Notices for Silent {
    fn note(&self, _: &str) {}
}

/// Notices collected, in order: for tests, and for callers that return them with the result.
#[derive(Debug, Default)]
pub struct Collected(std::sync::Mutex<Vec<String>>);

impl Collected {
    /// The notices so far.
    pub fn notes(&self) -> Vec<String> {
        self.0.lock().map(|notes| notes.clone()).unwrap_or_default()
    }
}

impl Notices for Collected {
    fn note(&self, text: &str) {
        if let Ok(mut notes) = self.0.lock() {
            notes.push(text.to_owned());
        }
    }
}

/// Progress of long work (hashing files, running checks), for a caller that shows it, as a bar
/// on a terminal. Each piece of work is begun, advanced, and ended.
pub trait Progress: Send + Sync {
    /// Work described as `what` begins, of `total` steps (0 while unknown).
    fn begin(&self, what: &'static str, total: u64);
    /// What is being worked on now.
    fn working_on(&self, item: &str);
    /// `done` of `total` steps are done (`total` 0 while unknown).
    fn advance(&self, done: u64, total: u64);
    /// The work is over.
    fn end(&self);
}

/// Progress nobody watches.
#[derive(Debug, Clone, Copy, Default)]
pub struct Unwatched;

impl Progress for Unwatched {
    fn begin(&self, _: &'static str, _: u64) {}
    fn working_on(&self, _: &str) {}
    fn advance(&self, _: u64, _: u64) {}
    fn end(&self) {}
}

/// A time for people: UTC, to the second (`2026-11-28 10:00:00 UTC`), as messages name it.
pub fn time_for_people(time: jiff::Timestamp) -> String {
    time.strftime("%Y-%m-%d %H:%M:%S UTC").to_string()
}
