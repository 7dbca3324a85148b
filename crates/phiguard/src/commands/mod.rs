pub mod fim;
pub mod host;
pub mod init;
pub mod keys;
pub mod ledger;
pub mod pseudonym;
pub mod seal;
pub mod status;
