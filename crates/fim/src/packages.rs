//! dpkg's record of installed packages and their files' checksums.
