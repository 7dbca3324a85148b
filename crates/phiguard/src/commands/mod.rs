pub mod access;
pub mod assess;
pub mod asset;
pub mod breach;
pub mod check_run;
pub mod cloud;
pub mod demo;
pub mod fim;
pub mod host;
pub mod incident;
pub mod init;
pub mod keys;
pub mod ledger;
pub mod matrix;
pub mod pseudonym;
pub mod register;
pub mod risk;
pub mod seal;
pub mod status;

/// Where the app finds the installation: `--home` and `--database` (or their environment
/// variables).
pub fn options(global: &crate::cli::GlobalArgs) -> phiguard_app::Options {
    phiguard_app::Options {
        home: global.home.clone(),
        database: global.database.clone(),
    }
}
