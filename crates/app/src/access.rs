//! Access reviews: a campaign over the active grants of a system, started, decided grant by
//! grant (a revoke decision revokes the grant), and closed once every grant is decided; and
//! revoking a grant outside a campaign. Every step is a register change in the ledger.

use anyhow::Context;
use phiguard_core::{EvidenceRef, Source};
use phiguard_register::records::{Decision, Grant, Review, ReviewDecision, Revocation};
use phiguard_register::{Applied, Change, RegisterError, Snapshot};
use serde::Serialize;

use crate::Notices;
use crate::session::{Session, today};

/// A campaign and where it stands.
#[derive(Debug, Serialize)]
pub struct ReviewStatus {
    pub review: Review,
    pub undecided: Vec<String>,
    /// The grants in scope as recorded now.
    pub grants: Vec<Grant>,
}

impl ReviewStatus {
    fn of(review: Review, snapshot: &Snapshot) -> ReviewStatus {
        ReviewStatus {
            undecided: review.undecided().into_iter().map(str::to_owned).collect(),
            grants: review
                .grants
                .iter()
                .filter_map(|g| snapshot.grants.get(g).map(|s| s.record.clone()))
                .collect(),
            review,
        }
    }
}

/// A campaign started.
#[derive(Debug)]
pub struct Started {
    pub status: ReviewStatus,
    /// The ledger entry that records it.
    pub evidence: Option<EvidenceRef>,
}

/// Starts a review of the grants active today on `system`, named `id` (default: the system
/// and the day). Refused while another review of the system is open, or when no grant is
/// active on it.
pub async fn start(
    session: &Session,
    system: &str,
    id: Option<&str>,
    source: &Source,
) -> anyhow::Result<Started> {
    let snapshot = session.register.snapshot().await?;
    let day = today();
    if let Some(open) = snapshot
        .reviews
        .values()
        .find(|r| r.record.system == system && r.record.closed.is_none())
    {
        anyhow::bail!(
            "review {} of {system} is still open ({} grants undecided); finish it with \
             `phiguard access review decide` and `close` before starting another",
            open.record.id,
            open.record.undecided().len()
        );
    }
    let grants: Vec<String> = snapshot
        .grants
        .values()
        .filter(|g| g.record.system == system && g.record.is_active_on(day))
        .map(|g| g.record.id.clone())
        .collect();
    if grants.is_empty() {
        anyhow::bail!(
            "no grant is active on {system:?}, so there is nothing to review; \
             `phiguard register grant list` shows the grants and their systems"
        );
    }
    let review = Review {
        id: id.map_or_else(|| Review::default_id(system, day), str::to_owned),
        system: system.to_owned(),
        started: day,
        grants,
        decisions: Vec::new(),
        closed: None,
    };
    let applied = session
        .register
        .apply(
            &[Change::Create(review.clone().into())],
            source,
            jiff::Timestamp::now(),
        )
        .await?;
    Ok(Started {
        evidence: applied.first().map(|a| a.evidence),
        status: ReviewStatus::of(review, &snapshot),
    })
}

/// A decision on one grant of a campaign.
#[derive(Debug, Clone)]
pub struct DecideRequest {
    pub review: String,
    pub grant: String,
    pub decision: Decision,
    pub comment: String,
    /// Who decides; `None` is the actor of the change.
    pub reviewer: Option<String>,
}

/// A decision recorded.
#[derive(Debug)]
pub struct Decided {
    /// The campaign changed, and the grant revoked if that was the decision.
    pub applied: Vec<Applied>,
    /// Grants of the campaign still undecided, of all its grants.
    pub undecided: usize,
    pub grants: usize,
}

/// Records a decision on a grant of an open campaign; a second decision on the same grant
/// replaces the first (the ledger keeps both). A revoke decision revokes the grant too.
pub async fn decide(
    session: &Session,
    request: &DecideRequest,
    source: &Source,
    notices: &dyn Notices,
) -> anyhow::Result<Decided> {
    let snapshot = session.register.snapshot().await?;
    let (review, grant) = (&request.review, &request.grant);
    let mut campaign = review_of(&snapshot, review)?;
    anyhow::ensure!(
        campaign.closed.is_none(),
        "review {review} was closed on {}; start a new one to change a decision",
        campaign.closed.map(|d| d.to_string()).unwrap_or_default()
    );
    anyhow::ensure!(
        campaign.grants.contains(grant),
        "grant {grant:?} is not in review {review}; its grants are {}",
        campaign.grants.join(", ")
    );
    let reviewer = request
        .reviewer
        .clone()
        .or_else(|| source.actor.clone())
        .context("say who decides with --reviewer")?;
    let day = today();
    campaign.decisions.retain(|d| &d.grant != grant);
    campaign.decisions.push(ReviewDecision {
        grant: grant.clone(),
        decision: request.decision,
        reviewer: reviewer.clone(),
        comment: request.comment.clone(),
        date: day,
    });
    let mut changes = vec![Change::Update(campaign.clone().into())];
    if request.decision == Decision::Revoke {
        let mut revoked = active_grant(&snapshot, grant)?;
        revoked.revoked = Some(Revocation {
            date: day,
            by: reviewer,
            reason: format!("access review {review}: {}", request.comment),
        });
        changes.push(Change::Update(revoked.into()));
    }
    let applied = crate::register::apply(session, &changes, source, notices).await?;
    Ok(Decided {
        applied,
        undecided: campaign.undecided().len(),
        grants: campaign.grants.len(),
    })
}

/// Closes a campaign whose every grant is decided.
pub async fn close(
    session: &Session,
    review: &str,
    source: &Source,
    notices: &dyn Notices,
) -> anyhow::Result<Vec<Applied>> {
    let snapshot = session.register.snapshot().await?;
    let mut campaign = review_of(&snapshot, review)?;
    anyhow::ensure!(
        campaign.closed.is_none(),
        "review {review} is already closed"
    );
    let undecided = campaign.undecided();
    anyhow::ensure!(
        undecided.is_empty(),
        "review {review} cannot close: grants {} have no decision yet",
        undecided.join(", ")
    );
    campaign.closed = Some(today());
    let changes = [Change::Update(campaign.into())];
    crate::register::apply(session, &changes, source, notices).await
}

/// The campaigns, of `system` or of every system.
pub async fn list(session: &Session, system: Option<&str>) -> anyhow::Result<Vec<ReviewStatus>> {
    let snapshot = session.register.snapshot().await?;
    Ok(snapshot
        .reviews
        .values()
        .map(|s| &s.record)
        .filter(|r| system.is_none_or(|s| r.system == s))
        .map(|review| ReviewStatus::of(review.clone(), &snapshot))
        .collect())
}

/// A grant revoked outside a campaign.
#[derive(Debug, Clone)]
pub struct RevokeRequest {
    pub grant: String,
    pub by: String,
    pub reason: String,
    /// The day of the revocation; `None` is today.
    pub date: Option<jiff::civil::Date>,
}

/// Revokes an active grant.
pub async fn revoke(
    session: &Session,
    request: &RevokeRequest,
    source: &Source,
    notices: &dyn Notices,
) -> anyhow::Result<Vec<Applied>> {
    let snapshot = session.register.snapshot().await?;
    let mut revoked = active_grant(&snapshot, &request.grant)?;
    revoked.revoked = Some(Revocation {
        date: request.date.unwrap_or_else(today),
        by: request.by.clone(),
        reason: request.reason.clone(),
    });
    let changes = [Change::Update(revoked.into())];
    crate::register::apply(session, &changes, source, notices).await
}

fn active_grant(snapshot: &Snapshot, id: &str) -> anyhow::Result<Grant> {
    let grant = snapshot
        .grants
        .get(id)
        .map(|stored| stored.record.clone())
        .ok_or_else(|| RegisterError::Missing {
            kind: phiguard_register::Kind::Grant,
            id: id.to_owned(),
        })?;
    if let Some(revoked) = &grant.revoked {
        anyhow::bail!(
            "grant {id:?} was already revoked on {} by {}",
            revoked.date,
            revoked.by
        );
    }
    Ok(grant)
}

fn review_of(snapshot: &Snapshot, id: &str) -> anyhow::Result<Review> {
    Ok(snapshot
        .reviews
        .get(id)
        .map(|stored| stored.record.clone())
        .ok_or_else(|| RegisterError::Missing {
            kind: phiguard_register::Kind::Review,
            id: id.to_owned(),
        })?)
}
