pub mod init;
pub mod ledger;
pub mod status;
