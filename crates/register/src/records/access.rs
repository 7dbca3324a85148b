//! Access grants and their periodic review (45 CFR 164.308(a)(3)(ii)(B)-(C),
//! 164.308(a)(4)(ii)(B)-(C), 164.312(a)(1)).

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::{Record, id_problems, require_order, require_text};
use crate::Kind;
use crate::draft::Form;

/// Access to one system given to one person, until it is revoked or expires.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Form)]
#[serde(deny_unknown_fields)]
#[record(
    about = "Access to one system given to one person, with approver and expiry (45 CFR 164.308(a)(4)).",
    example_id = "alice-ehr",
    add = "phiguard register grant add alice-ehr --person alice --system ehr-prod --role clinician --account alice --approver 'Dana (CISO)' --justification 'patient care' --expires 2027-06-30",
    update = "phiguard register grant update alice-ehr --expires 2027-12-31"
)]
pub struct Grant {
    pub id: String,
    /// The person's id.
    #[field(refers = Person)]
    pub person: String,
    /// The system: a host name, an application, a cloud account.
    pub system: String,
    /// The role or permission set given on the system.
    pub role: String,
    /// The login name on that system, when it has one; the host checks match shell accounts
    /// against it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[field(
        help = "Their login name on the system (matched against shell accounts by `host check`)"
    )]
    pub account: Option<String>,
    /// Who approved the access.
    pub approver: String,
    /// Why their work needs it (minimum necessary, 45 CFR 164.514(d)).
    pub justification: String,
    /// The day access was given.
    #[field(default = today, help = "The day access was given [default for add: today]")]
    pub granted: Date,
    /// The last day of access; none means until revoked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<Date>,
    /// Set by `phiguard access revoke`, not a flag of its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[field(skip)]
    pub revoked: Option<Revocation>,
}

/// When, by whom and why a grant was taken away.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Revocation {
    pub date: Date,
    pub by: String,
    pub reason: String,
}

impl Grant {
    /// Whether the grant is in force: given by `day` and not revoked by then. An expired grant
    /// that nobody revoked is still active: the account it opened usually still works, which
    /// is why it is a failed check rather than something phiguard ignores.
    pub fn is_active_on(&self, day: Date) -> bool {
        self.granted <= day && self.revoked.as_ref().is_none_or(|r| r.date > day)
    }

    pub fn is_expired_on(&self, day: Date) -> bool {
        self.expires.is_some_and(|until| until < day)
    }
}

impl Record for Grant {
    const KIND: Kind = Kind::Grant;

    fn id(&self) -> &str {
        &self.id
    }

    fn problems(&self) -> Vec<String> {
        let mut problems = id_problems("grant", &self.id);
        require_text(&mut problems, "system", &self.system);
        require_text(&mut problems, "role", &self.role);
        require_text(&mut problems, "approver", &self.approver);
        require_text(&mut problems, "justification", &self.justification);
        require_order(
            &mut problems,
            ("granted", Some(self.granted)),
            ("expires", self.expires),
        );
        if let Some(revoked) = &self.revoked {
            require_order(
                &mut problems,
                ("granted", Some(self.granted)),
                ("revoked.date", Some(revoked.date)),
            );
            require_text(&mut problems, "revoked.by", &revoked.by);
            require_text(&mut problems, "revoked.reason", &revoked.reason);
        }
        problems
    }

    fn references(&self) -> Vec<(Kind, &str)> {
        vec![(Kind::Person, &self.person)]
    }
}

/// A reviewer's decision on one grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    Keep,
    Revoke,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewDecision {
    pub grant: String,
    pub decision: Decision,
    pub reviewer: String,
    pub comment: String,
    pub date: Date,
}

/// A review campaign of every active grant on one system.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Form)]
#[serde(deny_unknown_fields)]
#[record(
    about = "An access review campaign of one system; usually made with `phiguard access review start`.",
    example_id = "ehr-prod.2026-11-28",
    add = "phiguard register review add ehr-prod.2026-11-28 --system ehr-prod --grant alice-ehr --grant bob-ehr",
    update = "phiguard register review update ehr-prod.2026-11-28 --closed 2026-12-05",
    see_also = "`phiguard access review`",
    default_id(system, started)
)]
pub struct Review {
    pub id: String,
    /// The system reviewed.
    pub system: String,
    /// The day the campaign started.
    #[field(default = today, help = "The day the campaign started [default for add: today]")]
    pub started: Date,
    /// The grants in scope: every grant active on the system when the campaign started.
    #[field(
        flag = "grant",
        value_name = "GRANT",
        help = "A grant in scope (repeatable)"
    )]
    pub grants: Vec<String>,
    /// Recorded by `phiguard access review decide`, not a flag of its own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[field(skip)]
    pub decisions: Vec<ReviewDecision>,
    /// When every grant had a decision and the campaign was closed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[field(help = "The day the campaign was closed, every grant decided")]
    pub closed: Option<Date>,
}

impl Review {
    pub fn default_id(system: &str, started: Date) -> String {
        format!("{system}.{started}")
    }

    /// The grants in scope that have no decision yet.
    pub fn undecided(&self) -> Vec<&str> {
        self.grants
            .iter()
            .filter(|grant| !self.decisions.iter().any(|d| &d.grant == *grant))
            .map(String::as_str)
            .collect()
    }
}

impl Record for Review {
    const KIND: Kind = Kind::Review;

    fn id(&self) -> &str {
        &self.id
    }

    fn problems(&self) -> Vec<String> {
        let mut problems = id_problems("review", &self.id);
        require_text(&mut problems, "system", &self.system);
        for decision in &self.decisions {
            if !self.grants.contains(&decision.grant) {
                problems.push(format!(
                    "the decision on grant {:?} is for a grant outside the review's scope",
                    decision.grant
                ));
            }
            require_text(&mut problems, "decisions.reviewer", &decision.reviewer);
            require_text(&mut problems, "decisions.comment", &decision.comment);
        }
        if self.closed.is_some() && !self.undecided().is_empty() {
            problems.push(format!(
                "the review is closed but grants {} have no decision",
                self.undecided().join(", ")
            ));
        }
        require_order(
            &mut problems,
            ("started", Some(self.started)),
            ("closed", self.closed),
        );
        problems
    }

    fn references(&self) -> Vec<(Kind, &str)> {
        self.grants
            .iter()
            .map(|grant| (Kind::Grant, grant.as_str()))
            .collect()
    }
}
