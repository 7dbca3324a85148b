//! EFS: the file systems of a region and whether they are encrypted at rest.

use serde::{Deserialize, Serialize};

use super::Resource;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Efs {
    pub file_systems: Vec<FileSystem>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileSystem {
    pub resource: Resource,
    pub encrypted: bool,
    pub kms_key: Option<String>,
    /// Mount targets: none means no instance can mount it now (it still holds its data).
    pub mount_targets: u32,
}
