//! File integrity monitoring: a baseline of every monitored file's attributes and content
//! hash, and checks that report what was added, removed or changed since, with changes that
//! an installed package explains told apart from the rest.
//!
//! Scanning and comparing are pure; [`baseline`], which keeps baselines in the database, is
//! behind the `store` feature (on by default).

#[cfg(feature = "store")]
pub mod baseline;
pub mod diff;
pub mod packages;
pub mod record;
pub mod rules;
pub mod scan;
pub mod watch;

#[cfg(feature = "store")]
pub use baseline::{BASELINE_EVIDENCE_KIND, BaselineError, BaselineInfo, BaselinePaths};
pub use diff::{Change, ChangeKind, Explanation, Report, Summary, compare};
pub use record::{Attribute, AttributeSet, FileType, Record};
pub use rules::{Glob, Rule, RuleSet};
pub use scan::{Algorithm, Scan, ScanProgress, ScanWarning, scan};
pub use watch::{WatchBatch, Watcher};
