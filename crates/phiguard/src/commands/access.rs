//! `phiguard access`: review campaigns over the register's grants, and revocation (see
//! `phiguard_app::access`).

use phiguard_app::access::{DecideRequest, ReviewStatus, RevokeRequest};
use phiguard_app::installation::Purpose;
use phiguard_register::records::Grant;

use crate::Outcome;
use crate::cli::{AccessCommand, GlobalArgs, ReviewCommand};
use crate::commands::register::{Session, applied_text, change_source};
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
            let request = RevokeRequest {
                grant: grant.clone(),
                by: by.clone(),
                reason: reason.clone(),
                date: *date,
            };
            let source = change_source(change);
            let applied =
                phiguard_app::access::revoke(session.app, &request, &source, session.out).await?;
            session.out.result(&applied, || applied_text(&applied));
            Ok(Outcome::Ok)
        }
    })
    .await
}

async fn reviews(session: &Session<'_>, command: &ReviewCommand) -> anyhow::Result<Outcome> {
    let (app, out) = (session.app, session.out);
    match command {
        ReviewCommand::Start { system, id, change } => {
            let source = change_source(change);
            let started = phiguard_app::access::start(app, system, id.as_deref(), &source).await?;
            let (status, review) = (&started.status, &started.status.review);
            out.result(status, || {
                let mut text = format!(
                    "Started review {} of {system}{}: {} active grants to decide.\n",
                    review.id,
                    started
                        .evidence
                        .map_or_else(String::new, |e| format!(" (ledger entry {})", e.seq)),
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
            let request = DecideRequest {
                review: review.clone(),
                grant: grant.clone(),
                decision: ReviewCommand::decision(*keep),
                comment: comment.clone(),
                reviewer: reviewer.clone(),
            };
            let source = change_source(change);
            let decided = phiguard_app::access::decide(app, &request, &source, out).await?;
            out.result(&decided.applied, || applied_text(&decided.applied));
            out.note(&format!(
                "{} of {} grants still undecided in review {review}.",
                decided.undecided, decided.grants
            ));
            Ok(Outcome::Ok)
        }
        ReviewCommand::Close { review, change } => {
            let source = change_source(change);
            let applied = phiguard_app::access::close(app, review, &source, out).await?;
            out.result(&applied, || applied_text(&applied));
            Ok(Outcome::Ok)
        }
        ReviewCommand::List { system } => {
            let campaigns: Vec<ReviewStatus> =
                phiguard_app::access::list(app, system.as_deref()).await?;
            out.result(&campaigns, || {
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

fn grant_table(grants: &[Grant]) -> String {
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
