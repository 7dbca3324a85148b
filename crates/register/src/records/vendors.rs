//! Vendors and their business associate agreements (45 CFR 164.308(b), 164.314(a)).

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::{Record, id_problems, is_sha256_hex, require_order, require_text};
use crate::Kind;

/// A company that provides a service to the organisation, and whether it touches PHI.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vendor {
    pub id: String,
    pub name: String,
    /// What it provides: "object storage", "e-mail".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<String>,
    /// Whether it creates, receives, maintains or transmits PHI: then it is a business
    /// associate and needs a BAA.
    pub touches_phi: bool,
    /// The organisation's systems it serves or holds data of.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub systems: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
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
        problems
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baa {
    pub id: String,
    pub vendor: String,
    pub status: BaaStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed: Option<Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective: Option<Date>,
    /// When it ends; none for an agreement without an end date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<Date>,
    /// Days the vendor has to report a breach to the organisation. The organisation itself
    /// has at most 60 days from discovery to notify individuals (164.404), and a business
    /// associate must report within 60 days (164.410).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breach_notice_days: Option<u32>,
    /// Whether it requires the vendor to return or destroy PHI at termination
    /// (164.504(e)(2)(ii)(J)).
    #[serde(default)]
    pub return_or_destroy: bool,
    /// Whether the vendor must bind its subcontractors to the same terms (164.502(e)(1)(ii)).
    #[serde(default)]
    pub subcontractor_flow_down: bool,
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
        if let Some(document) = &self.document
            && !is_sha256_hex(&document.sha256)
        {
            problems.push(format!(
                "the document's sha256 {:?} is not 64 lowercase hex digits",
                document.sha256
            ));
        }
        problems
    }

    fn references(&self) -> Vec<(Kind, &str)> {
        vec![(Kind::Vendor, &self.vendor)]
    }
}
