//! The workforce and its training: people, courses, completions, policies and their
//! acknowledgments (45 CFR 164.308(a)(3), 164.308(a)(5), 164.316).

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::{Record, add_months, id_problems, is_sha256_hex, require_order, require_text};
use crate::Kind;

/// A member of the workforce: employee, contractor, volunteer or trainee.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Person {
    pub id: String,
    pub name: String,
    pub email: String,
    /// The job role training requirements key on: `clinician`, `engineer`, `billing`.
    pub role: String,
    pub started: Date,
    /// The last working day; absent while they are still with the organisation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left: Option<Date>,
    /// Whether their work gives them access to PHI.
    pub phi_access: bool,
}

impl Person {
    /// Whether a requirement for `roles` applies to them: their role is listed, or, when no
    /// role is, they have access to PHI (the workforce HIPAA's training and policies are for).
    pub fn has_role_in(&self, roles: &[String]) -> bool {
        if roles.is_empty() {
            self.phi_access
        } else {
            roles
                .iter()
                .any(|role| role.eq_ignore_ascii_case(&self.role))
        }
    }

    /// Whether they have left the organisation as of `day`.
    pub fn has_left_by(&self, day: Date) -> bool {
        self.left.is_some_and(|left| left < day)
    }
}

impl Record for Person {
    const KIND: Kind = Kind::Person;

    fn id(&self) -> &str {
        &self.id
    }

    fn problems(&self) -> Vec<String> {
        let mut problems = id_problems("person", &self.id);
        require_text(&mut problems, "name", &self.name);
        require_text(&mut problems, "role", &self.role);
        if !self.email.contains('@') {
            problems.push(format!("`email` {:?} is not an e-mail address", self.email));
        }
        require_order(
            &mut problems,
            ("started", Some(self.started)),
            ("left", self.left),
        );
        problems
    }
}

/// A training course and who must take it how often.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Course {
    pub id: String,
    pub title: String,
    /// How long a completion stays current: 12 for annual training.
    pub interval_months: u32,
    /// The roles that must take it; empty means everyone with PHI access.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
}

impl Course {
    /// Whether `person` must take this course.
    pub fn required_of(&self, person: &Person) -> bool {
        person.has_role_in(&self.roles)
    }

    /// The day a completion on `completed` stops being current.
    pub fn due_after(&self, completed: Date) -> Date {
        add_months(completed, self.interval_months)
    }
}

impl Record for Course {
    const KIND: Kind = Kind::Course;

    fn id(&self) -> &str {
        &self.id
    }

    fn problems(&self) -> Vec<String> {
        let mut problems = id_problems("course", &self.id);
        require_text(&mut problems, "title", &self.title);
        if self.interval_months == 0 || self.interval_months > 120 {
            problems.push(format!(
                "`interval_months` is {}; give how often the course must be retaken, from 1 to 120 months",
                self.interval_months
            ));
        }
        problems
    }
}

/// One person's completion of one course.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Completion {
    pub id: String,
    pub person: String,
    pub course: String,
    pub completed: Date,
    /// SHA-256 of the certificate or attendance record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence_sha256: Option<String>,
}

impl Completion {
    /// The id phiguard gives a completion when none is given.
    pub fn default_id(person: &str, course: &str, completed: Date) -> String {
        format!("{person}.{course}.{completed}")
    }
}

impl Record for Completion {
    const KIND: Kind = Kind::Completion;

    fn id(&self) -> &str {
        &self.id
    }

    fn problems(&self) -> Vec<String> {
        let mut problems = id_problems("completion", &self.id);
        if let Some(hash) = &self.evidence_sha256
            && !is_sha256_hex(hash)
        {
            problems.push(format!(
                "`evidence_sha256` {hash:?} is not 64 lowercase hex digits"
            ));
        }
        problems
    }

    fn references(&self) -> Vec<(Kind, &str)> {
        vec![(Kind::Person, &self.person), (Kind::Course, &self.course)]
    }
}

/// A written policy or procedure (164.316), at its current version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    pub id: String,
    pub title: String,
    pub version: String,
    pub approver: String,
    pub approved: Date,
    /// The roles that must acknowledge it; empty means everyone with PHI access.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
}

impl Policy {
    /// Whether `person` must acknowledge this policy.
    pub fn required_of(&self, person: &Person) -> bool {
        person.has_role_in(&self.roles)
    }
}

impl Record for Policy {
    const KIND: Kind = Kind::Policy;

    fn id(&self) -> &str {
        &self.id
    }

    fn problems(&self) -> Vec<String> {
        let mut problems = id_problems("policy", &self.id);
        require_text(&mut problems, "title", &self.title);
        require_text(&mut problems, "version", &self.version);
        require_text(&mut problems, "approver", &self.approver);
        problems
    }
}

/// One person's acknowledgment of one version of a policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Acknowledgment {
    pub id: String,
    pub person: String,
    pub policy: String,
    pub version: String,
    pub acknowledged: Date,
}

impl Acknowledgment {
    pub fn default_id(person: &str, policy: &str, version: &str) -> String {
        format!("{person}.{policy}.{version}")
    }
}

impl Record for Acknowledgment {
    const KIND: Kind = Kind::Acknowledgment;

    fn id(&self) -> &str {
        &self.id
    }

    fn problems(&self) -> Vec<String> {
        let mut problems = id_problems("acknowledgment", &self.id);
        require_text(&mut problems, "version", &self.version);
        problems
    }

    fn references(&self) -> Vec<(Kind, &str)> {
        vec![(Kind::Person, &self.person), (Kind::Policy, &self.policy)]
    }
}
