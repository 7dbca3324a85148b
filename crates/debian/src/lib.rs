//! Debian package data as phiguard reads it, for the host patch checks and the file
//! integrity monitor:
//! - [`deb822`]: the stanza format of dpkg's status file and apt's lists, read without
//!   copying;
//! - [`version`]: package versions, parsed and ordered exactly as dpkg does;
//! - [`status`]: the packages dpkg has installed (`var/lib/dpkg/status`, and the
//!   `status.d/` directory of distroless images);
//! - [`apt`]: the versions apt could install, from the package lists `apt-get update`
//!   downloaded, and which of them come from a security archive.
//!
//! Everything is read under a root directory (`/` for this machine, or a mounted image), and
//! nothing runs dpkg or apt: the checks must work on an image that is not running, and must
//! not take apt's lock.

use std::io;
use std::path::PathBuf;

pub mod apt;
pub mod deb822;
#[doc(hidden)]
pub mod lz4;
mod package_stanza;
pub mod status;
pub mod version;

pub use apt::{Candidate, Candidates};
pub use status::{InstalledPackage, installed};
pub use version::{Version, VersionError, compare};

/// Why dpkg's or apt's files could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// A file or directory exists but could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file or directory.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: io::Error,
    },
    /// A file is not what dpkg or apt writes; `reason` says what is wrong there and what to
    /// do about it.
    #[error("{}:{line}: {reason}", path.display())]
    Malformed {
        /// The file.
        path: PathBuf,
        /// The 1-based line where the problem is.
        line: usize,
        /// What is wrong there, and what to do.
        reason: String,
    },
}
