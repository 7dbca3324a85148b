pub mod init;
pub mod status;
