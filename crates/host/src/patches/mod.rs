//! Patch management: installed packages against the versions the package manager could
//! install, and how long each available update has been waiting.
//!
//! HIPAA asks for protection from malicious software and for reducing risks to a reasonable
//! level (164.308(a)(5)(ii)(B), 164.308(a)(1)(ii)(B)); the 2025 proposed rule makes it
//! concrete: critical patches within 15 days, high within 30. An update's clock starts when
//! phiguard first saw it pending (kept in the store between runs, [`FirstSeen`], behind the
//! `store` feature), since package lists do not say when a version was published.

#[doc(hidden)]
pub mod apk;
#[cfg(feature = "store")]
mod first_seen;
mod survey;

use std::sync::Arc;

use jiff::{Timestamp, ToSpan, Unit};
use phiguard_core::{Check, CheckContext, CheckError, CheckMeta, Finding, Severity, Status};

use crate::{FnCheck, PerRun, Settings, meta};

#[cfg(feature = "store")]
pub use first_seen::FirstSeen;
pub use survey::{ListState, PackageSystem, PendingUpdate, Survey, survey};

/// Package lists older than this may be missing updates published since.
const STALE_LISTS_DAYS: i64 = 7;

/// The package survey of one run: read once, judged three ways.
type Surveyed = Arc<Result<Option<Survey>, CheckError>>;

/// Where the patch checks get the survey: the one the caller made for this run, else one
/// read by the first check of the run.
#[derive(Debug, Default)]
struct Shared {
    given: Option<Surveyed>,
    read: PerRun<Result<Option<Survey>, CheckError>>,
}

impl Shared {
    fn get(&self, ctx: &CheckContext) -> Surveyed {
        match &self.given {
            Some(given) => Arc::clone(given),
            None => self.read.get(ctx, || survey(&ctx.root)),
        }
    }
}

pub fn checks(settings: &Settings) -> Vec<Box<dyn Check>> {
    let shared = Arc::new(Shared {
        given: settings.patch_survey.clone(),
        read: PerRun::default(),
    });
    let security = (shared.clone(), settings.clone());
    let other = (shared.clone(), settings.clone());
    let lists = shared;
    vec![
        FnCheck::boxed(
            meta(
                "host.patches.security_updates",
                "Security updates are installed within their deadline",
                Severity::Critical,
                "Unpatched vulnerabilities are the commonest way into systems holding ePHI; \
                 HIPAA requires protection from malicious software (164.308(a)(5)(ii)(B)) and \
                 the 2025 proposed rule sets 15 days for critical patches.",
                "Install the pending security updates (`phiguard host patch --apply \
                 --security-only`, or `apt-get install --only-upgrade PACKAGE`), and enable \
                 unattended-upgrades for the security suite so they do not wait for a person.",
            ),
            move |meta, ctx| {
                let deadline = security.1.security_update_days;
                judge_pending(meta, ctx, &security.0, &security.1, true, deadline)
            },
        ),
        FnCheck::boxed(
            meta(
                "host.patches.other_updates",
                "Other updates are installed within their deadline",
                Severity::High,
                "Bug-fix and stability updates also close weaknesses that are not announced \
                 as security issues; the 2025 proposed rule sets 30 days for high risks.",
                "Install the pending updates in a maintenance window (`phiguard host patch \
                 --apply`, or `apt-get upgrade`), or record why one is held back.",
            ),
            move |meta, ctx| {
                let deadline = other.1.other_update_days;
                judge_pending(meta, ctx, &other.0, &other.1, false, deadline)
            },
        ),
        FnCheck::boxed(
            meta(
                "host.patches.package_lists",
                "The package lists are recent enough to show pending updates",
                Severity::Medium,
                "Pending updates are known only from the package lists the package manager \
                 downloaded; lists that are weeks old hide every update published since.",
                "Run `apt-get update` regularly (Debian and Ubuntu enable apt-daily.timer for \
                 this; check `systemctl status apt-daily.timer`).",
            ),
            move |meta, ctx| judge_lists(meta, ctx, &lists),
        ),
    ]
}

fn judge_pending(
    meta: &CheckMeta,
    ctx: &CheckContext,
    shared: &Shared,
    settings: &Settings,
    security: bool,
    deadline_days: u32,
) -> Result<Vec<Finding>, CheckError> {
    let surveyed = shared.get(ctx);
    let Some(survey) = surveyed.as_ref().as_ref().map_err(Clone::clone)? else {
        return Ok(vec![no_package_manager(meta, ctx)]);
    };
    let kind = if security {
        "security update"
    } else {
        "update"
    };
    if let Some(reason) = survey.pending_unknown() {
        return Ok(vec![meta.finding(
            Status::Warn,
            survey.system.name(),
            reason,
        )]);
    }
    let mut findings = Vec::new();
    for update in survey.pending.iter().filter(|u| u.security == security) {
        let first_seen = settings
            .first_seen
            .get(&(update.package.clone(), update.candidate.clone()))
            .copied()
            .unwrap_or(ctx.now);
        let waited = days_between(first_seen, ctx.now);
        let subject = format!(
            "{} {} → {}",
            update.package, update.installed, update.candidate
        );
        let (status, message) = if waited > i64::from(deadline_days) {
            (
                Status::Fail,
                format!(
                    "{kind} pending for {waited} days, past the {deadline_days}-day deadline \
                     (first seen {})",
                    first_seen.strftime("%Y-%m-%d")
                ),
            )
        } else {
            let due = first_seen
                .checked_add((i64::from(deadline_days) * 24).hours())
                .unwrap_or(first_seen);
            (
                Status::Warn,
                format!(
                    "{kind} pending for {waited} days; install it by {} ({deadline_days}-day \
                     deadline)",
                    due.strftime("%Y-%m-%d")
                ),
            )
        };
        findings.push(meta.finding(status, subject, message));
    }
    if findings.is_empty() {
        findings.push(meta.finding(
            Status::Pass,
            survey.system.name(),
            format!(
                "no {kind}s pending among {} installed packages",
                survey.installed
            ),
        ));
    }
    Ok(findings)
}

fn judge_lists(
    meta: &CheckMeta,
    ctx: &CheckContext,
    shared: &Shared,
) -> Result<Vec<Finding>, CheckError> {
    let surveyed = shared.get(ctx);
    let Some(survey) = surveyed.as_ref().as_ref().map_err(Clone::clone)? else {
        return Ok(vec![no_package_manager(meta, ctx)]);
    };
    let subject = survey.system.name();
    if !survey.unreadable_lists.is_empty() {
        return Ok(vec![meta.finding(
            Status::Warn,
            subject,
            format!(
                "{} package lists are compressed in a format phiguard does not read, so the \
                 updates they offer are not seen: {}; let apt keep them uncompressed or as lz4 \
                 (`Acquire::GzipIndexes`, `Acquire::CompressionTypes::Order`)",
                survey.unreadable_lists.len(),
                survey.unreadable_lists.join(", ")
            ),
        )]);
    }
    let finding = match &survey.lists {
        ListState::Read { files, newest } => {
            let age = days_between(*newest, ctx.now);
            if age > STALE_LISTS_DAYS {
                meta.finding(
                    Status::Warn,
                    subject,
                    format!(
                        "the package lists were last updated {age} days ago ({}); updates \
                         published since then are not seen",
                        newest.strftime("%Y-%m-%d")
                    ),
                )
            } else {
                meta.finding(
                    Status::Pass,
                    subject,
                    format!("{files} package lists, updated {age} days ago"),
                )
            }
        }
        ListState::Missing => meta.finding(
            Status::Warn,
            subject,
            "there are no package lists, so no update can be seen as pending: run `apt-get \
             update`",
        ),
        ListState::NotRead(reason) => meta.finding(Status::Warn, subject, reason.clone()),
    };
    Ok(vec![finding])
}

fn no_package_manager(meta: &CheckMeta, ctx: &CheckContext) -> Finding {
    meta.finding(
        Status::NotApplicable,
        ctx.root.display().to_string(),
        "no package database found (dpkg, apk or rpm)",
    )
}

/// Whole days from `from` to `to`, never negative (a clock set back must not excuse a patch).
fn days_between(from: Timestamp, to: Timestamp) -> i64 {
    to.since(from)
        .ok()
        .and_then(|span| span.total(Unit::Hour).ok())
        .map_or(0, |hours| (hours / 24.0).floor() as i64)
        .max(0)
}
