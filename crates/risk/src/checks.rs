//! The risk checks: when the analysis has gone stale, as findings.
