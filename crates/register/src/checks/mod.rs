//! Register checks.
