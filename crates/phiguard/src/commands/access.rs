//! `phiguard access`: review campaigns over the register's grants, and revocation.

use anyhow::Context;
use phiguard_register::records::{Decision, Grant, Review, ReviewDecision, Revocation};
use phiguard_register::{Change, RegisterError, Snapshot};
use serde::Serialize;

use crate::Outcome;
use crate::cli::{AccessCommand, GlobalArgs, ReviewCommand};
use crate::commands::register::{Session, change_source, today};
use phiguard_app::installation::Purpose;
use crate::output::Output;

pub async fn run(
    global: &GlobalArgs,
    command: &AccessCommand,
    out: &Output,
) -> anyhow::Result<Outcome> {
    // Every campaign and revocation is about grants recorded before: only in a home that
    // exists.
    let purpose = match command {
        AccessCommand::Review(ReviewCommand::List { .. }) => Purpose::Read,
        AccessCommand::Review(_) | AccessCommand::Revoke { .. } => Purpose::Amend,
    };
    Session::run_for(global, out, purpose, async |session| match command {
        AccessCommand::Review(review) => reviews(session, review).await,
        AccessCommand::Revoke {
            grant,
            by,
            reason,
            date,
            change,
        } => {
            let snapshot = session.register.snapshot().await?;
            let mut revoked = active_grant(&snapshot, grant)?;
            revoked.revoked = Some(Revocation {
                date: date.unwrap_or_else(today),
                by: by.clone(),
                reason: reason.clone(),
            });
            session
                .apply(&[Change::Update(revoked.into())], change)
                .await
        }
    })
    .await
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

#[derive(Debug, Serialize)]
struct ReviewStatus<'a> {
    review: &'a Review,
    undecided: Vec<&'a str>,
    /// The grants in scope as recorded now.
    grants: Vec<&'a Grant>,
}

async fn reviews(session: &Session<'_>, command: &ReviewCommand) -> anyhow::Result<Outcome> {
    let snapshot = session.register.snapshot().await?;
    match command {
        ReviewCommand::Start { system, id, change } => {
            let day = today();
            if let Some(open) = snapshot
                .reviews
                .values()
                .find(|r| &r.record.system == system && r.record.closed.is_none())
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
                .filter(|g| &g.record.system == system && g.record.is_active_on(day))
                .map(|g| g.record.id.clone())
                .collect();
            if grants.is_empty() {
                anyhow::bail!(
                    "no grant is active on {system:?}, so there is nothing to review; \
                     `phiguard register grant list` shows the grants and their systems"
                );
            }
            let review = Review {
                id: id
                    .clone()
                    .unwrap_or_else(|| Review::default_id(system, day)),
                system: system.clone(),
                started: day,
                grants,
                decisions: Vec::new(),
                closed: None,
            };
            let applied = session
                .register
                .apply(
                    &[Change::Create(review.clone().into())],
                    &change_source(change),
                    jiff::Timestamp::now(),
                )
                .await?;
            let evidence = applied.first().map(|a| a.evidence);
            let status = ReviewStatus {
                undecided: review.undecided(),
                grants: review
                    .grants
                    .iter()
                    .filter_map(|g| snapshot.grants.get(g).map(|s| &s.record))
                    .collect(),
                review: &review,
            };
            session.out.result(&status, || {
                let mut text = format!(
                    "Started review {} of {system}{}: {} active grants to decide.\n",
                    review.id,
                    evidence.map_or_else(String::new, |e| format!(" (ledger entry {})", e.seq)),
                    status.grants.len()
                );
                text.push_str(&grant_table(&status.grants));
                text.push_str(&format!(
                    "\nDecide each: phiguard access review decide {} GRANT --keep|--revoke --comment TEXT",
                    review.id
                ));
                text
            });
            Ok(Outcome::Ok)
        }
        ReviewCommand::Decide {
            review,
            grant,
            keep,
            revoke: _,
            comment,
            reviewer,
            change,
        } => {
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
            let source = change_source(change);
            let reviewer = reviewer
                .clone()
                .or_else(|| source.actor.clone())
                .context("say who decides with --reviewer")?;
            let decision = ReviewCommand::decision(*keep);
            let day = today();
            // A second decision on the same grant replaces the first while the campaign is
            // open; the ledger keeps both.
            campaign.decisions.retain(|d| &d.grant != grant);
            campaign.decisions.push(ReviewDecision {
                grant: grant.clone(),
                decision,
                reviewer: reviewer.clone(),
                comment: comment.clone(),
                date: day,
            });
            let mut changes = vec![Change::Update(campaign.clone().into())];
            if decision == Decision::Revoke {
                let mut revoked = active_grant(&snapshot, grant)?;
                revoked.revoked = Some(Revocation {
                    date: day,
                    by: reviewer,
                    reason: format!("access review {review}: {comment}"),
                });
                changes.push(Change::Update(revoked.into()));
            }
            session.apply(&changes, change).await?;
            session.out.note(&format!(
                "{} of {} grants still undecided in review {review}.",
                campaign.undecided().len(),
                campaign.grants.len()
            ));
            Ok(Outcome::Ok)
        }
        ReviewCommand::Close { review, change } => {
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
            session
                .apply(&[Change::Update(campaign.into())], change)
                .await
        }
        ReviewCommand::List { system } => {
            let campaigns: Vec<ReviewStatus<'_>> = snapshot
                .reviews
                .values()
                .map(|s| &s.record)
                .filter(|r| system.as_ref().is_none_or(|s| &r.system == s))
                .map(|review| ReviewStatus {
                    undecided: review.undecided(),
                    grants: review
                        .grants
                        .iter()
                        .filter_map(|g| snapshot.grants.get(g).map(|s| &s.record))
                        .collect(),
                    review,
                })
                .collect();
            session.out.result(&campaigns, || {
                if campaigns.is_empty() {
                    return "No access reviews yet; start one with `phiguard access review start --system SYSTEM`.".into();
                }
                campaigns
                    .iter()
                    .map(|c| {
                        format!(
                            "{:<28} {:<16} started {}  {}",
                            c.review.id,
                            c.review.system,
                            c.review.started,
                            match c.review.closed {
                                Some(closed) => format!("closed {closed}"),
                                None => format!(
                                    "open, {} of {} undecided",
                                    c.undecided.len(),
                                    c.review.grants.len()
                                ),
                            }
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
            Ok(Outcome::Ok)
        }
    }
}

fn grant_table(grants: &[&Grant]) -> String {
    grants
        .iter()
        .map(|g| {
            format!(
                "  {:<20} {:<14} role {:<12} account {:<10} granted {} by {}{}\n",
                g.id,
                g.person,
                g.role,
                g.account.as_deref().unwrap_or("-"),
                g.granted,
                g.approver,
                g.expires
                    .map_or_else(String::new, |e| format!(", expires {e}"))
            )
        })
        .collect()
}
