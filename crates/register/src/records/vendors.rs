//! Vendors and their business associate agreements (45 CFR 164.308(b), 164.314(a)).

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::{Record, id_problems, require_document, require_order, require_text};
use crate::Kind;
use crate::draft::{Choices, Form};

/// What a vendor does with PHI, in the words of the definition of a business associate
/// (45 CFR 160.103): any one of them makes it one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PhiUse {
    Creates,
    Receives,
    Maintains,
    Transmits,
}

impl PhiUse {
    pub const ALL: [PhiUse; 4] = [
        PhiUse::Creates,
        PhiUse::Receives,
        PhiUse::Maintains,
        PhiUse::Transmits,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PhiUse::Creates => "creates",
            PhiUse::Receives => "receives",
            PhiUse::Maintains => "maintains",
            PhiUse::Transmits => "transmits",
        }
    }
}

impl Choices for PhiUse {
    fn all() -> &'static [PhiUse] {
        &PhiUse::ALL
    }
}

impl std::str::FromStr for PhiUse {
    type Err = String;

    /// Accepts the verb in any form people write it: `maintain`, `maintains`, `Stores`.
    fn from_str(text: &str) -> Result<PhiUse, String> {
        let folded = text.trim().to_ascii_lowercase();
        let found = match folded.as_str() {
            "create" | "creates" | "creating" => Some(PhiUse::Creates),
            "receive" | "receives" | "receiving" => Some(PhiUse::Receives),
            "maintain" | "maintains" | "maintaining" | "store" | "stores" | "storing" => {
                Some(PhiUse::Maintains)
            }
            "transmit" | "transmits" | "transmitting" => Some(PhiUse::Transmits),
            _ => None,
        };
        found.ok_or_else(|| {
            format!(
                "{text:?} is not something a vendor does with PHI; use creates, receives, maintains or transmits"
            )
        })
    }
}

/// A company that provides a service to the organisation, and whether it touches PHI.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Form)]
#[serde(deny_unknown_fields)]
#[record(
    about = "A company that provides a service, whether it touches PHI (then it needs a BAA, even if it only holds the PHI encrypted without the key), and what it does with it.",
    example_id = "acme-cloud",
    add = "phiguard register vendor add acme-cloud --name 'Acme Cloud' --service 'object storage' --touches-phi --phi-use maintains --phi-use transmits --encrypted-only --system ehr-prod",
    update = "phiguard register vendor update acme-cloud --encrypted-only false"
)]
pub struct Vendor {
    pub id: String,
    #[field(help = "The vendor's name")]
    pub name: String,
    /// What it provides: "object storage", "e-mail".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[field(
        flag = "service",
        value_name = "SERVICE",
        help = "A service it provides (repeatable)"
    )]
    pub services: Vec<String>,
    /// Whether it creates, receives, maintains or transmits PHI: then it is a business
    /// associate and needs a BAA, even when it only holds the PHI encrypted.
    #[field(
        help = "It creates, receives, maintains or transmits PHI, even if it only stores it encrypted without the key (--touches-phi false for no)"
    )]
    pub touches_phi: bool,
    /// What it does with PHI, when recorded.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[field(
        flag = "phi-use",
        value_name = "USE",
        help = "What it does with PHI: creates, receives, maintains or transmits (repeatable)"
    )]
    pub phi_uses: Vec<PhiUse>,
    /// It holds PHI only encrypted and never has the key. HHS's guidance on cloud computing is
    /// plain that such a provider still maintains PHI and is still a business associate; the
    /// flag is recorded so that nobody mistakes it for a reason to go without a BAA.
    #[serde(default)]
    #[field(
        flag = "encrypted-only",
        help = "It holds PHI only encrypted and never has the key; it is still a business associate"
    )]
    pub phi_encrypted_only: bool,
    /// The organisation's systems it serves or holds data of.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[field(
        flag = "system",
        value_name = "SYSTEM",
        help = "A system of yours it serves (repeatable)"
    )]
    pub systems: Vec<String>,
    /// Whom to reach there about security and breaches: a name, an address, a phone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    /// Anything else worth keeping with the record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

impl Record for Vendor {
    const KIND: Kind = Kind::Vendor;

    fn id(&self) -> &str {
        &self.id
    }

    fn problems(&self) -> Vec<String> {
        let mut problems = id_problems("vendor", &self.id);
        require_text(&mut problems, "name", &self.name);
        if !self.touches_phi && (!self.phi_uses.is_empty() || self.phi_encrypted_only) {
            problems.push(format!(
                "it is recorded as not touching PHI, yet it {}. A vendor that creates, receives, \
                 maintains or transmits PHI, even only encrypted and without the key, is a \
                 business associate and needs a BAA (45 CFR 160.103, 164.308(b)). Set \
                 `--touches-phi true` (`touches_phi: true` in a file) and record its BAA; only \
                 if it truly handles no PHI, clear what it does with it instead \
                 (`--unset phi-use --encrypted-only false`)",
                self.what_it_does()
            ));
        }
        problems
    }
}

impl Vendor {
    /// What it does with PHI, for a sentence: "maintains and transmits PHI, only encrypted and
    /// without the key".
    pub fn what_it_does(&self) -> String {
        let uses: Vec<&str> = self.phi_uses.iter().map(|u| u.as_str()).collect();
        let verbs = match uses.as_slice() {
            [] => "holds".to_owned(),
            [one] => (*one).to_owned(),
            [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
        };
        if self.phi_encrypted_only {
            format!("{verbs} PHI, only encrypted and without the key")
        } else {
            format!("{verbs} PHI")
        }
    }
}

/// Where a BAA stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BaaStatus {
    Draft,
    Signed,
    Expired,
    Terminated,
}

impl BaaStatus {
    pub const ALL: [BaaStatus; 4] = [
        BaaStatus::Draft,
        BaaStatus::Signed,
        BaaStatus::Expired,
        BaaStatus::Terminated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BaaStatus::Draft => "draft",
            BaaStatus::Signed => "signed",
            BaaStatus::Expired => "expired",
            BaaStatus::Terminated => "terminated",
        }
    }
}

impl Choices for BaaStatus {
    fn all() -> &'static [BaaStatus] {
        &BaaStatus::ALL
    }
}

impl std::str::FromStr for BaaStatus {
    type Err = String;

    fn from_str(text: &str) -> Result<BaaStatus, String> {
        BaaStatus::ALL
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(text.trim()))
            .ok_or_else(|| {
                format!("{text:?} is not a BAA status; use draft, signed, expired or terminated")
            })
    }
}

/// A file kept as evidence, by its path when recorded and its SHA-256, so a later copy can be
/// shown to be the same document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Document {
    pub path: String,
    pub sha256: String,
}

/// A business associate agreement with one vendor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Form)]
#[serde(deny_unknown_fields)]
#[record(
    about = "A business associate agreement (45 CFR 164.308(b), 164.314(a)).",
    example_id = "acme-cloud-2026",
    add = "phiguard register baa add acme-cloud-2026 --vendor acme-cloud --status signed --signed 2026-01-15 --effective 2026-02-01 --expires 2028-01-31 --breach-notice-days 30 --return-or-destroy --subcontractor-flow-down --security-incident-reporting --document acme-baa.pdf",
    update = "phiguard register baa update acme-cloud-2026 --status terminated"
)]
pub struct Baa {
    pub id: String,
    /// The vendor's id.
    #[field(refers = Vendor)]
    pub vendor: String,
    /// draft, signed, expired or terminated.
    pub status: BaaStatus,
    /// The day it was signed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed: Option<Date>,
    /// The day it takes effect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective: Option<Date>,
    /// When it ends; none for an agreement without an end date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[field(help = "The day it ends")]
    pub expires: Option<Date>,
    /// Days the vendor has to report a breach to the organisation. The organisation itself
    /// has at most 60 days from discovery to notify individuals (164.404), and a business
    /// associate must report within 60 days (164.410).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[field(
        value_name = "DAYS",
        help = "Days the vendor has to report a breach to you (at most 60, 45 CFR 164.410)"
    )]
    pub breach_notice_days: Option<u32>,
    /// Whether it requires the vendor to return or destroy PHI at termination
    /// (164.504(e)(2)(ii)(J)).
    #[serde(default)]
    #[field(
        help = "It requires returning or destroying PHI at termination (--return-or-destroy false for no)"
    )]
    pub return_or_destroy: bool,
    /// Whether the vendor must bind its subcontractors to the same terms (164.502(e)(1)(ii)).
    #[serde(default)]
    #[field(help = "It binds the vendor's subcontractors to the same terms")]
    pub subcontractor_flow_down: bool,
    /// Whether it requires the vendor to report to the organisation any security incident it
    /// becomes aware of, including breaches of unsecured PHI as 164.410 requires
    /// (164.314(a)(2)(i)(C)).
    #[serde(default)]
    #[field(
        help = "It requires the vendor to report any security incident, breaches included (45 CFR 164.314(a)(2)(i)(C))"
    )]
    pub security_incident_reporting: bool,
    /// The signed agreement; its SHA-256 is recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<Document>,
}

impl Baa {
    /// Whether the agreement is signed and in force on `day`.
    pub fn in_force_on(&self, day: Date) -> bool {
        self.status == BaaStatus::Signed
            && self
                .effective
                .or(self.signed)
                .is_some_and(|from| from <= day)
            && self.expires.is_none_or(|until| day <= until)
    }
}

impl Record for Baa {
    const KIND: Kind = Kind::Baa;

    fn id(&self) -> &str {
        &self.id
    }

    fn problems(&self) -> Vec<String> {
        let mut problems = id_problems("BAA", &self.id);
        if self.status == BaaStatus::Signed && self.signed.is_none() {
            problems.push("a signed BAA needs its `signed` date".into());
        }
        require_order(
            &mut problems,
            ("signed", self.signed),
            ("expires", self.expires),
        );
        require_order(
            &mut problems,
            ("effective", self.effective),
            ("expires", self.expires),
        );
        require_document(&mut problems, "document", self.document.as_ref());
        problems
    }

    fn references(&self) -> Vec<(Kind, &str)> {
        vec![(Kind::Vendor, &self.vendor)]
    }
}
