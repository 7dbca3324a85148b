//! Checks, the units that turn what is on a machine or in a register into findings.

use std::collections::BTreeMap;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Component, Path, PathBuf};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::{CheckId, Finding, Severity, Status};

/// A check: metadata that says what it verifies and why, and a `run` that looks and reports.
///
/// `Send + Sync` so checks can run in parallel and sit in one shared [`Registry`].
pub trait Check: Send + Sync {
    fn meta(&self) -> &CheckMeta;

    /// Inspect the system under `ctx` and report one finding per subject. Return `Err` only when
    /// the check cannot decide at all; something it can see and judge is a finding.
    fn run(&self, ctx: &CheckContext) -> Result<Vec<Finding>, CheckError>;
}

/// What a check is, for listings, reports and the catalog; data that never depends on the host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckMeta {
    pub id: CheckId,
    pub title: String,
    /// The severity of its findings unless a finding says otherwise.
    pub severity: Severity,
    /// Why it matters for ePHI.
    pub rationale: String,
    /// What to do when it fails.
    pub remediation: String,
}

impl CheckMeta {
    /// A finding from this check with its id and default severity. The remediation is attached
    /// only to statuses that call for action, so a pass does not tell anyone to fix something.
    pub fn finding(
        &self,
        status: Status,
        subject: impl Into<String>,
        message: impl Into<String>,
    ) -> Finding {
        let actionable = matches!(status, Status::Fail | Status::Warn | Status::Error);
        Finding {
            check: self.id.clone(),
            status,
            severity: self.severity,
            subject: subject.into(),
            message: message.into(),
            evidence: Vec::new(),
            remediation: actionable.then(|| self.remediation.clone()),
        }
    }
}

/// What a check runs against. Checks read the clock and the file system only through this, so
/// the same checks audit a live host (`root` = `/`) or a mounted disk image, and tests are
/// deterministic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckContext {
    /// The file-system root the checks read.
    pub root: PathBuf,
    pub now: Timestamp,
    /// The name of the host being checked, when known.
    pub host: Option<String>,
}

impl CheckContext {
    pub fn new(root: impl Into<PathBuf>, now: Timestamp) -> CheckContext {
        CheckContext {
            root: root.into(),
            now,
            host: None,
        }
    }

    /// Whether the checks look at the running system (root `/`). Checks that read the kernel
    /// or running processes (sockets, the firewall, daemons) mean nothing for a mounted image,
    /// and say they were skipped when this is false.
    pub fn is_live(&self) -> bool {
        self.root == Path::new("/")
    }

    /// Where a system path such as `/etc/ssh/sshd_config` lives under [`root`](Self::root).
    /// `root.join("/etc/...")` would silently discard the root and read the live host instead of
    /// the image, so checks build paths with this.
    pub fn path(&self, system_path: impl AsRef<Path>) -> PathBuf {
        let relative = system_path
            .as_ref()
            .components()
            .filter(|c| !matches!(c, Component::RootDir | Component::Prefix(_)));
        self.root.join(relative.collect::<PathBuf>())
    }
}

/// A check that could not run: a file it could not read, output it could not parse.
///
/// The message ends up in findings, reports and logs, so it must never contain secrets or PHI:
/// name the file and the problem, not the contents.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{message}")]
pub struct CheckError {
    message: String,
}

impl CheckError {
    pub fn new(message: impl Into<String>) -> CheckError {
        CheckError {
            message: message.into(),
        }
    }

    /// An I/O failure on `path`, naming both.
    pub fn io(path: &Path, err: &std::io::Error) -> CheckError {
        CheckError::new(format!("{}: {err}", path.display()))
    }
}

/// Why a check could not be registered.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RegistryError {
    #[error("check {0} is registered twice; check ids must be unique")]
    Duplicate(CheckId),
}

/// A set of checks keyed by id. The host checks are one and the register checks another: the one
/// list that `phiguard host check` (or `phiguard register check`), the assessment and the
/// catalog's cross-reference all read.
#[derive(Default)]
pub struct Registry {
    checks: BTreeMap<CheckId, Box<dyn Check>>,
}

impl Registry {
    pub fn new() -> Registry {
        Registry::default()
    }

    /// Adds a check; an id already taken is an error, since findings are keyed by id.
    pub fn register(&mut self, check: Box<dyn Check>) -> Result<(), RegistryError> {
        let id = check.meta().id.clone();
        if self.checks.contains_key(&id) {
            return Err(RegistryError::Duplicate(id));
        }
        self.checks.insert(id, check);
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.checks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.checks.is_empty()
    }

    pub fn get(&self, id: &CheckId) -> Option<&dyn Check> {
        self.checks.get(id).map(|c| &**c)
    }

    /// The checks in id order, so listings and reports are stable.
    pub fn iter(&self) -> impl Iterator<Item = &dyn Check> {
        self.checks.values().map(|c| &**c)
    }

    pub fn metas(&self) -> impl Iterator<Item = &CheckMeta> {
        self.iter().map(Check::meta)
    }

    /// Runs the checks `filter` selects, in id order, and gathers their findings.
    ///
    /// A check that returns `Err` or panics becomes one finding with status
    /// [`Status::Error`] (which fails the run), its id as subject and the error as message:
    /// one broken check must not hide the results of the others, nor pass silently.
    pub fn run_all(&self, ctx: &CheckContext, filter: impl Fn(&CheckMeta) -> bool) -> Vec<Finding> {
        self.run_with_progress(ctx, filter, |_| {})
    }

    /// [`Registry::run_all`], telling `progress` where the run is: before each selected check
    /// runs ([`Progress::Starting`]) and after it ran, panicked or failed
    /// ([`Progress::Finished`], with its findings). Each check runs once, so a progress bar
    /// costs nothing but the calls.
    pub fn run_with_progress(
        &self,
        ctx: &CheckContext,
        filter: impl Fn(&CheckMeta) -> bool,
        mut progress: impl FnMut(Progress<'_>),
    ) -> Vec<Finding> {
        let selected: Vec<&dyn Check> = self.iter().filter(|c| filter(c.meta())).collect();
        let total = selected.len();
        let mut findings = Vec::new();
        for (done, check) in selected.into_iter().enumerate() {
            let meta = check.meta();
            progress(Progress::Starting { meta, done, total });
            let first = findings.len();
            findings.append(&mut run_isolated(check, ctx));
            progress(Progress::Finished {
                meta,
                findings: &findings[first..],
                done: done + 1,
                total,
            });
        }
        findings
    }
}

/// Where a run of checks is, as [`Registry::run_with_progress`] reports it. `total` is the
/// number of checks selected; `done` how many of them have run.
#[derive(Debug, Clone, Copy)]
pub enum Progress<'a> {
    /// `meta`'s check is about to run.
    Starting {
        meta: &'a CheckMeta,
        done: usize,
        total: usize,
    },
    /// `meta`'s check has run; `findings` are its own (one error finding if it failed or
    /// panicked).
    Finished {
        meta: &'a CheckMeta,
        findings: &'a [Finding],
        done: usize,
        total: usize,
    },
}

/// Runs one check; an error or a panic becomes its one error finding.
fn run_isolated(check: &dyn Check, ctx: &CheckContext) -> Vec<Finding> {
    let meta = check.meta();
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| check.run(ctx)))
        .unwrap_or_else(|payload| Err(CheckError::new(panic_message(&*payload))));
    match outcome {
        Ok(found) => found,
        Err(err) => vec![meta.finding(Status::Error, meta.id.as_str(), err.message)],
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    let detail = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("no message");
    format!("the check panicked: {detail}")
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids: Vec<&str> = self.checks.keys().map(CheckId::as_str).collect();
        f.debug_struct("Registry").field("checks", &ids).finish()
    }
}

/// What a [`FnCheck`] runs.
type CheckFn = dyn Fn(&CheckMeta, &CheckContext) -> Result<Vec<Finding>, CheckError> + Send + Sync;

/// A check made of its metadata and a function: most checks need no state of their own
/// beyond what the closure captures.
pub struct FnCheck {
    meta: CheckMeta,
    run: Box<CheckFn>,
}

impl FnCheck {
    pub fn boxed(
        meta: CheckMeta,
        run: impl Fn(&CheckMeta, &CheckContext) -> Result<Vec<Finding>, CheckError>
        + Send
        + Sync
        + 'static,
    ) -> Box<dyn Check> {
        Box::new(FnCheck {
            meta,
            run: Box::new(run),
        })
    }
}

impl fmt::Debug for FnCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FnCheck")
            .field("id", &self.meta.id)
            .finish()
    }
}

impl Check for FnCheck {
    fn meta(&self) -> &CheckMeta {
        &self.meta
    }

    fn run(&self, ctx: &CheckContext) -> Result<Vec<Finding>, CheckError> {
        (self.run)(&self.meta, ctx)
    }
}

impl CheckMeta {
    /// Metadata written in the source of a check crate. An invalid id is a programming error,
    /// caught by each crate's test that builds its registry, so it panics rather than making
    /// every caller handle an error that input can never cause.
    #[allow(clippy::panic)]
    pub fn from_literals(
        id: &str,
        title: &str,
        severity: Severity,
        rationale: &str,
        remediation: &str,
    ) -> CheckMeta {
        CheckMeta {
            id: id
                .parse()
                .unwrap_or_else(|e| panic!("check id {id:?}: {e}")),
            title: title.into(),
            severity,
            rationale: rationale.into(),
            remediation: remediation.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A test check whose behaviour is chosen by its name.
    struct Fixed(CheckMeta);

    impl Fixed {
        fn boxed(id: &str, severity: Severity) -> Box<dyn Check> {
            Box::new(Fixed(CheckMeta {
                id: id.parse().unwrap(),
                title: format!("test {id}"),
                severity,
                rationale: "testing".into(),
                remediation: format!("fix {id}"),
            }))
        }
    }

    impl Check for Fixed {
        fn meta(&self) -> &CheckMeta {
            &self.0
        }

        fn run(&self, ctx: &CheckContext) -> Result<Vec<Finding>, CheckError> {
            match self.0.id.as_str().rsplit('.').next() {
                Some("broken") => Err(CheckError::io(
                    &ctx.path("/etc/shadow"),
                    &std::io::Error::from(std::io::ErrorKind::PermissionDenied),
                )),
                Some("panics") => panic!("index out of bounds"),
                _ => Ok(vec![
                    self.0.finding(Status::Pass, "a", "fine"),
                    self.0.finding(Status::Fail, "b", "not fine"),
                ]),
            }
        }
    }

    fn registry() -> Registry {
        let mut r = Registry::new();
        let checks = [
            ("host.zeta", Severity::Low),
            ("host.broken", Severity::Critical),
        ];
        for (id, severity) in checks.into_iter().chain([("fim.alpha", Severity::Medium)]) {
            r.register(Fixed::boxed(id, severity)).unwrap();
        }
        r
    }

    fn ctx() -> CheckContext {
        CheckContext::new("/mnt/image", "2026-01-01T00:00:00Z".parse().unwrap())
    }

    #[test]
    fn duplicate_ids_are_rejected_by_name() {
        let mut r = registry();
        let err = r
            .register(Fixed::boxed("host.zeta", Severity::High))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "check host.zeta is registered twice; check ids must be unique"
        );
        assert_eq!(r.len(), 3);
        let kept = r.get(&"host.zeta".parse().unwrap()).unwrap();
        assert_eq!(
            kept.meta().severity,
            Severity::Low,
            "the first registration wins"
        );
    }

    #[test]
    fn lists_checks_in_id_order() {
        let r = registry();
        let ids: Vec<&str> = r.metas().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["fim.alpha", "host.broken", "host.zeta"]);
        assert!(!r.is_empty() && Registry::new().is_empty());
        assert!(r.get(&"host.missing".parse().unwrap()).is_none());
        assert_eq!(
            format!("{r:?}"),
            r#"Registry { checks: ["fim.alpha", "host.broken", "host.zeta"] }"#
        );
    }

    #[test]
    fn a_failing_check_becomes_an_error_finding_and_the_rest_still_run() {
        let findings = registry().run_all(&ctx(), |_| true);
        let summary: Vec<(&str, Status)> = findings
            .iter()
            .map(|f| (f.check.as_str(), f.status))
            .collect();
        assert_eq!(
            summary,
            [
                ("fim.alpha", Status::Pass),
                ("fim.alpha", Status::Fail),
                ("host.broken", Status::Error),
                ("host.zeta", Status::Pass),
                ("host.zeta", Status::Fail),
            ]
        );
        let error = &findings[2];
        assert_eq!(error.severity, Severity::Critical);
        assert_eq!(error.subject, "host.broken");
        assert_eq!(error.message, "/mnt/image/etc/shadow: permission denied");
        assert_eq!(error.remediation.as_deref(), Some("fix host.broken"));
        assert!(error.status.is_failing());
    }

    #[test]
    fn a_panicking_check_is_contained() {
        let mut r = registry();
        r.register(Fixed::boxed("host.panics", Severity::High))
            .unwrap();
        let findings = r.run_all(&ctx(), |m| m.id.namespace() == "host");
        let panicked = findings
            .iter()
            .find(|f| f.check.as_str() == "host.panics")
            .unwrap();
        assert_eq!(panicked.status, Status::Error);
        assert_eq!(panicked.message, "the check panicked: index out of bounds");
        assert_eq!(
            findings.len(),
            4,
            "host.broken, host.panics, and two from host.zeta"
        );
    }

    /// What a progress callback saw, one line per call.
    fn progress_of(
        r: &Registry,
        filter: impl Fn(&CheckMeta) -> bool,
    ) -> (Vec<Finding>, Vec<String>) {
        let mut seen = Vec::new();
        let findings = r.run_with_progress(&ctx(), filter, |progress| {
            seen.push(match progress {
                Progress::Starting { meta, done, total } => {
                    format!("starting {} {done}/{total}", meta.id)
                }
                Progress::Finished {
                    meta,
                    findings,
                    done,
                    total,
                } => {
                    let statuses: Vec<&str> = findings.iter().map(|f| f.status.as_str()).collect();
                    format!("finished {} {done}/{total} {}", meta.id, statuses.join(","))
                }
            });
        });
        (findings, seen)
    }

    #[test]
    fn progress_is_reported_once_per_check_in_order_with_its_own_findings() {
        let mut r = registry();
        r.register(Fixed::boxed("host.panics", Severity::High))
            .unwrap();
        let (findings, seen) = progress_of(&r, |_| true);
        assert_eq!(
            seen,
            [
                "starting fim.alpha 0/4",
                "finished fim.alpha 1/4 pass,fail",
                "starting host.broken 1/4",
                "finished host.broken 2/4 error",
                "starting host.panics 2/4",
                "finished host.panics 3/4 error",
                "starting host.zeta 3/4",
                "finished host.zeta 4/4 pass,fail",
            ]
        );
        assert_eq!(findings, r.run_all(&ctx(), |_| true));
    }

    #[test]
    fn progress_counts_only_the_checks_selected() {
        let (findings, seen) = progress_of(&registry(), |m| m.id.as_str() == "host.zeta");
        assert_eq!(
            seen,
            ["starting host.zeta 0/1", "finished host.zeta 1/1 pass,fail"]
        );
        assert_eq!(findings.len(), 2);
        let (findings, seen) = progress_of(&registry(), |_| false);
        assert!(findings.is_empty() && seen.is_empty());
    }

    #[test]
    fn the_filter_selects_checks() {
        let findings = registry().run_all(&ctx(), |m| {
            m.severity >= Severity::Medium && m.id.namespace() == "fim"
        });
        assert_eq!(findings.len(), 2);
        assert!(findings.iter().all(|f| f.check.as_str() == "fim.alpha"));
        assert!(registry().run_all(&ctx(), |_| false).is_empty());
    }

    #[test]
    fn only_actionable_findings_carry_the_remediation() {
        let meta = Fixed::boxed("host.zeta", Severity::Low).meta().clone();
        assert_eq!(meta.finding(Status::Pass, "x", "ok").remediation, None);
        assert_eq!(
            meta.finding(Status::NotApplicable, "x", "n/a").remediation,
            None
        );
        assert_eq!(
            meta.finding(Status::Warn, "x", "hm").remediation.as_deref(),
            Some("fix host.zeta")
        );
    }

    #[test]
    fn system_paths_stay_under_the_root() {
        let ctx = ctx();
        assert_eq!(
            ctx.path("/etc/ssh/sshd_config"),
            Path::new("/mnt/image/etc/ssh/sshd_config")
        );
        assert_eq!(ctx.path("etc/hosts"), Path::new("/mnt/image/etc/hosts"));
        let live = CheckContext::new("/", ctx.now);
        assert_eq!(live.path("/etc/hosts"), Path::new("/etc/hosts"));
    }
}
