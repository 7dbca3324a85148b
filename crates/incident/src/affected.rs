//! Affected individuals read from a CSV file and pseudonymised as they are read.
