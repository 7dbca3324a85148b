//! The workforce and its training: people, courses, completions, policies and their
//! acknowledgments (45 CFR 164.308(a)(3), 164.308(a)(5), 164.316).

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::{Record, add_months, id_problems, is_sha256_hex, require_order, require_text};
use crate::Kind;
use crate::draft::Form;

/// A member of the workforce: employee, contractor, volunteer or trainee.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Form)]
#[serde(deny_unknown_fields)]
#[record(
    about = "A workforce member: employee, contractor, volunteer or trainee.",
    example_id = "alice",
    add = "phiguard register person add alice --name 'Alice Ng' --email alice@clinic.example --role clinician --started 2024-03-01 --phi-access",
    update = "phiguard register person update alice --left 2026-11-30"
)]
pub struct Person {
    pub id: String,
    /// Their full name.
    pub name: String,
    /// Their work email address.
    pub email: String,
    /// The job role training requirements key on: `clinician`, `engineer`, `billing`.
    #[field(help = "The job role training requirements key on: clinician, engineer, billing…")]
    pub role: String,
    /// First working day.
    pub started: Date,
    /// The last working day; absent while they are still with the organisation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[field(help = "Last working day")]
    pub left: Option<Date>,
    /// Whether their work gives them access to PHI.
    #[field(help = "Their work gives them access to PHI (--phi-access false for no)")]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Form)]
#[serde(deny_unknown_fields)]
#[record(
    about = "A training course, how often it must be retaken, and by which roles.",
    example_id = "hipaa-basics",
    add = "phiguard register course add hipaa-basics --title 'HIPAA security awareness' --every-months 12",
    update = "phiguard register course update hipaa-basics --role clinician --role engineer"
)]
pub struct Course {
    pub id: String,
    /// The course's title.
    pub title: String,
    /// How long a completion stays current: 12 for annual training.
    #[field(
        flag = "every-months",
        value_name = "MONTHS",
        help = "How long a completion stays current, in months (12 for annual)"
    )]
    pub interval_months: u32,
    /// The roles that must take it; empty means everyone with PHI access.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[field(
        flag = "role",
        value_name = "ROLE",
        help = "A role that must take it (repeatable); none means everyone with PHI access"
    )]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Form)]
#[serde(deny_unknown_fields)]
#[record(
    about = "One person's completion of one course (id: PERSON.COURSE.DATE unless given).",
    example_id = "alice.hipaa-basics.2026-03-10",
    add = "phiguard register completion add --person alice --course hipaa-basics --date 2026-03-10 --evidence certificate.pdf",
    update = "phiguard register completion update alice.hipaa-basics.2026-03-10 --evidence certificate-signed.pdf",
    default_id(person, course, completed)
)]
pub struct Completion {
    pub id: String,
    /// The person's id.
    #[field(refers = Person)]
    pub person: String,
    /// The course's id.
    #[field(refers = Course)]
    pub course: String,
    /// The day it was completed.
    #[field(
        flag = "date",
        default = today,
        help = "The day it was completed [default for add: today]"
    )]
    pub completed: Date,
    /// SHA-256 of the certificate or attendance record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[field(
        flag = "evidence",
        digest,
        help = "The certificate or attendance record; its SHA-256 is recorded"
    )]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Form)]
#[serde(deny_unknown_fields)]
#[record(
    about = "A written policy or procedure at its current version (45 CFR 164.316).",
    example_id = "acceptable-use",
    add = "phiguard register policy add acceptable-use --title 'Acceptable use' --version 3 --approver 'Dana (CISO)' --approved 2026-01-10",
    update = "phiguard register policy update acceptable-use --version 4 --approved 2026-11-20"
)]
pub struct Policy {
    pub id: String,
    /// The policy's title.
    pub title: String,
    /// The current version, as the document numbers it.
    pub version: String,
    /// Who approved this version.
    pub approver: String,
    /// The day this version was approved.
    pub approved: Date,
    /// The roles that must acknowledge it; empty means everyone with PHI access.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[field(
        flag = "role",
        value_name = "ROLE",
        help = "A role that must acknowledge it (repeatable); none means everyone with PHI access"
    )]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Form)]
#[serde(deny_unknown_fields)]
#[record(
    about = "One person's acknowledgment of a policy version (id: PERSON.POLICY.VERSION unless given).",
    example_id = "alice.acceptable-use.3",
    add = "phiguard register acknowledgment add --person alice --policy acceptable-use",
    update = "phiguard register acknowledgment update alice.acceptable-use.3 --date 2026-01-12",
    default_id(person, policy, version)
)]
pub struct Acknowledgment {
    pub id: String,
    /// The person's id.
    #[field(refers = Person)]
    pub person: String,
    /// The policy's id.
    #[field(refers = Policy)]
    pub policy: String,
    /// The policy version acknowledged.
    #[field(
        default = policy.version,
        help = "The policy version acknowledged [default for add: the policy's current version]"
    )]
    pub version: String,
    /// The day it was acknowledged.
    #[field(
        flag = "date",
        default = today,
        help = "The day it was acknowledged [default for add: today]"
    )]
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
