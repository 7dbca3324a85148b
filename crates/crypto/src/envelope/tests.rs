//! Hostile inputs that need the crate's internals to build.
