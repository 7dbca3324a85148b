//! Risk analysis and risk management (45 CFR 164.308(a)(1)(ii)(A) and (B)): the assets that
//! create, receive, keep or send ePHI, the flows of ePHI between them, the vulnerabilities
//! found in them, the risks rated with a treatment each, and the analyses signed off.
//!
//! Only what people state is kept here. The assets phiguard sees by itself (hosts it checked,
//! cloud resources, vendors, ePHI paths) and the vulnerabilities its failing findings show are
//! derived each time from the evidence (`phiguard-risk`); an asset recorded here under the id
//! of a seen one adds to it what no machine knows (owner, criticality).

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::words::{choose, listed, words};
use super::{PhiUse, Record, id_problems, is_sha256_hex, require_order, require_text};
use crate::Kind;
use crate::draft::{Choices, Form};

words! {
    /// What an asset is.
    AssetType, "a type of asset" {
        /// A whole system as people name it (the EHR, the billing system).
        System = "system",
        /// A machine or virtual machine.
        Host = "host",
        /// A resource of a cloud account (a bucket, a database, a volume).
        CloudResource = "cloud_resource",
        Application = "application",
        /// Where data rests: a database, a file share, a directory of ePHI files.
        DataStore = "data_store",
        /// A laptop, a phone, a medical device, removable media.
        Device = "device",
        /// A vendor's service that holds or handles ePHI.
        Vendor = "vendor",
        /// A network or a link between sites.
        Network = "network",
    }
}

words! {
    /// How much the organisation depends on an asset.
    Criticality, "a criticality" {
        Low = "low",
        Moderate = "moderate",
        High = "high",
        Critical = "critical",
    }
}

words! {
    /// A level on the five-point scale of NIST SP 800-30 Rev. 1 (Appendix G to I): of a
    /// vulnerability's severity, and of a risk once likelihood and impact are combined.
    Level, "a level" {
        VeryLow = "very_low",
        Low = "low",
        Moderate = "moderate",
        High = "high",
        VeryHigh = "very_high",
    }
}

words! {
    /// What is done about a risk (NIST SP 800-30 Rev. 1, Table I-1: the responses).
    Treatment, "a treatment" {
        /// Reduce it with safeguards: a plan, an owner, a due date.
        Mitigate = "mitigate",
        /// Live with it: who accepted it, why, and until when.
        Accept = "accept",
        /// Share it with someone else (an insurer, a vendor under a BAA).
        Transfer = "transfer",
        /// Stop doing what carries it.
        Avoid = "avoid",
    }
}

/// A technology asset: something that creates, receives, keeps or sends ePHI, or that
/// protects what does (the written inventory of 164.308(a)(1)(ii)(A), and of the 2025
/// proposed rule).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Form)]
#[serde(deny_unknown_fields)]
#[record(
    about = "A technology asset: a system, host, cloud resource, application, data store, device, vendor service or network, with its owner, location, the ePHI it creates, receives, maintains or transmits, and its criticality. Hosts phiguard checked, cloud resources, vendors and ePHI paths are listed without being added; adding one under its id records what no machine knows about it.",
    example_id = "ehr-db",
    add = "phiguard register asset add ehr-db --name 'EHR database' --type data_store --owner 'Dana Ruiz' --location 'aws us-east-1' --ephi maintains --criticality critical",
    update = "phiguard register asset update ehr-db --owner 'Sam Lee'"
)]
pub struct Asset {
    pub id: String,
    /// What people call it.
    pub name: String,
    /// What it is.
    #[field(
        flag = "type",
        help = "What it is: system, host, cloud_resource, application, data_store, device, vendor or network"
    )]
    pub asset_type: AssetType,
    /// Who answers for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[field(help = "Who answers for it: a name and role")]
    pub owner: Option<String>,
    /// Where it is: `on-premises`, `aws us-east-1`, a vendor's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[field(help = "Where it is: on-premises, aws us-east-1, a vendor's name")]
    pub location: Option<String>,
    /// What it does with ePHI; empty when it holds none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[field(
        flag = "ephi",
        value_name = "USE",
        help = "What it does with ePHI: creates, receives, maintains or transmits (repeatable)"
    )]
    pub ephi: Vec<PhiUse>,
    /// How much the organisation depends on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[field(help = "How much you depend on it: low, moderate, high or critical")]
    pub criticality: Option<Criticality>,
    /// What it is for, in a sentence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl Record for Asset {
    const KIND: Kind = Kind::Asset;

    fn id(&self) -> &str {
        &self.id
    }

    fn problems(&self) -> Vec<String> {
        let mut problems = id_problems("asset", &self.id);
        require_text(&mut problems, "name", &self.name);
        problems
    }
}

impl Asset {
    /// Whether it creates, receives, keeps or sends ePHI.
    pub fn holds_ephi(&self) -> bool {
        !self.ephi.is_empty()
    }
}

/// A flow of ePHI from one asset to another.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Form)]
#[serde(deny_unknown_fields)]
#[record(
    about = "A flow of ePHI from one asset to another: what flows, over what, and whether it is encrypted in transit. The endpoints are asset ids, recorded or seen (`phiguard asset list`).",
    example_id = "ehr-to-lab",
    add = "phiguard register flow add ehr-to-lab --from ehr-db --to lab-portal --data 'lab orders' --protocol HTTPS --encrypted",
    update = "phiguard register flow update ehr-to-lab --protocol 'HTTPS (TLS 1.3)'"
)]
pub struct DataFlow {
    pub id: String,
    /// The asset the ePHI leaves.
    #[field(value_name = "ASSET", help = "The asset the ePHI leaves, by its id")]
    pub from: String,
    /// The asset the ePHI reaches.
    #[field(value_name = "ASSET", help = "The asset the ePHI reaches, by its id")]
    pub to: String,
    /// What flows: `lab orders`, `claims`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[field(help = "What flows: lab orders, claims, backups")]
    pub data: Option<String>,
    /// Over what: `HTTPS`, `SFTP`, `HL7 over MLLP`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[field(help = "Over what: HTTPS, SFTP, HL7 over MLLP, VPN")]
    pub protocol: Option<String>,
    /// Whether it is encrypted in transit, as people state it. The in-transit checks of the
    /// endpoints, where they ran, speak louder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[field(
        help = "It is encrypted in transit, as you know it (--encrypted false for no); the in-transit checks of its endpoints, where they ran, are shown beside it"
    )]
    pub encrypted: Option<bool>,
    /// Anything else worth keeping with the record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

impl Record for DataFlow {
    const KIND: Kind = Kind::Flow;

    fn id(&self) -> &str {
        &self.id
    }

    fn problems(&self) -> Vec<String> {
        let mut problems = id_problems("flow", &self.id);
        require_text(&mut problems, "from", &self.from);
        require_text(&mut problems, "to", &self.to);
        if !self.from.trim().is_empty() && self.from == self.to {
            problems.push(format!(
                "the flow goes from {:?} to itself; name the asset the ePHI reaches with `--to`",
                self.from
            ));
        }
        problems
    }
}

/// A weakness found by people (a penetration test, a walk-through, a questionnaire). Those
/// phiguard's checks find are derived from their failing findings and are not recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Form)]
#[serde(deny_unknown_fields)]
#[record(
    about = "A vulnerability people found (a penetration test, a walk-through): the assets it concerns and how severe it is. Failing findings of phiguard's checks are vulnerabilities already (`phiguard risk vulnerabilities`); record here what no check sees.",
    example_id = "pentest-2026-weak-vpn",
    add = "phiguard register vulnerability add pentest-2026-weak-vpn --title 'VPN accepts weak ciphers' --asset clinic-vpn --severity high --source 'Penetration test, October 2026' --found 2026-10-14",
    update = "phiguard register vulnerability update pentest-2026-weak-vpn --fixed 2026-11-20"
)]
pub struct Vulnerability {
    pub id: String,
    /// What is wrong, in a line.
    pub title: String,
    /// The assets it is in.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[field(
        flag = "asset",
        value_name = "ASSET",
        help = "An asset it is in, by its id (repeatable)"
    )]
    pub assets: Vec<String>,
    /// How severe it is.
    #[field(help = "How severe it is: very_low, low, moderate, high or very_high")]
    pub severity: Level,
    /// Who or what found it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[field(help = "Who or what found it: a penetration test, a walk-through")]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[field(help = "The day it was found")]
    pub found: Option<Date>,
    /// The day it was fixed; it is no longer a vulnerability after it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[field(help = "The day it was fixed")]
    pub fixed: Option<Date>,
    /// How it was found and what it allows, in full.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl Record for Vulnerability {
    const KIND: Kind = Kind::Vulnerability;

    fn id(&self) -> &str {
        &self.id
    }

    fn problems(&self) -> Vec<String> {
        let mut problems = id_problems("vulnerability", &self.id);
        require_text(&mut problems, "title", &self.title);
        if self.assets.is_empty() {
            problems.push(
                "it names no asset; say which asset it is in with `--asset ID` (repeatable)".into(),
            );
        }
        require_order(&mut problems, ("found", self.found), ("fixed", self.fixed));
        problems
    }
}

/// The lowest and highest rating of likelihood and impact.
pub const SCALE: std::ops::RangeInclusive<u16> = 1..=5;

/// A risk: a threat exploiting a vulnerability of some assets, rated for likelihood and
/// impact, with what is done about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Form)]
#[serde(deny_unknown_fields)]
#[record(
    about = "A risk: a threat (from `phiguard risk threats`) exploiting a vulnerability of some assets, likelihood and impact rated 1 to 5, and its treatment: mitigate (plan, owner, due date, and the checks whose passing shows it done), accept (who, why, until when), transfer or avoid.",
    example_id = "ransomware-ehr",
    add = "phiguard register risk add ransomware-ehr --title 'Ransomware encrypts the EHR database' --asset ehr-db --threat ransomware --vulnerability 'Backups in the same account' --likelihood 3 --impact 5 --treatment mitigate --plan 'Copy backups to a locked vault' --owner 'Dana Ruiz' --due 2027-02-01 --check cloud.aws.rds.backup_retention --residual-likelihood 2 --residual-impact 3",
    update = "phiguard register risk update ransomware-ehr --due 2027-03-01"
)]
pub struct RiskRecord {
    pub id: String,
    /// What could happen, in a line.
    pub title: String,
    /// The assets at risk.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[field(
        flag = "asset",
        value_name = "ASSET",
        help = "An asset at risk, by its id (repeatable)"
    )]
    pub assets: Vec<String>,
    /// The threat, by its id in phiguard's threat catalog.
    #[field(
        value_name = "THREAT",
        help = "The threat, by its id in the catalog (`phiguard risk threats`)"
    )]
    pub threat: String,
    /// The weakness the threat would exploit, in words.
    pub vulnerability: String,
    /// Recorded vulnerabilities it is about.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[field(
        flag = "vulnerability-id",
        value_name = "ID",
        refers = Vulnerability,
        help = "A recorded vulnerability it is about, by its id (repeatable)"
    )]
    pub vulnerabilities: Vec<String>,
    /// Checks whose failing findings on its assets are the weakness, and whose passing shows
    /// the mitigation in place.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[field(
        flag = "check",
        value_name = "CHECK",
        help = "A check whose failing findings on its assets show the weakness, and whose passing shows it mitigated (repeatable)"
    )]
    pub checks: Vec<String>,
    /// How likely the threat is to succeed, 1 (very low) to 5 (very high), before treatment.
    #[field(
        value_name = "1-5",
        help = "How likely it is, 1 (very low) to 5 (very high), before treatment"
    )]
    pub likelihood: u16,
    /// How much harm it would do, 1 (very low) to 5 (very high), before treatment.
    #[field(
        value_name = "1-5",
        help = "How much harm it would do, 1 (very low) to 5 (very high), before treatment"
    )]
    pub impact: u16,
    /// The likelihood once the treatment is in place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[field(
        value_name = "1-5",
        help = "The likelihood once the treatment is in place"
    )]
    pub residual_likelihood: Option<u16>,
    /// The impact once the treatment is in place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[field(value_name = "1-5", help = "The impact once the treatment is in place")]
    pub residual_impact: Option<u16>,
    #[field(help = "What is done about it: mitigate, accept, transfer or avoid")]
    pub treatment: Treatment,
    /// What will be done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[field(help = "What will be done, in a sentence")]
    pub plan: Option<String>,
    /// Who answers for the treatment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[field(help = "Who answers for the treatment")]
    pub owner: Option<String>,
    /// When the treatment must be in place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[field(help = "When the treatment must be in place")]
    pub due: Option<Date>,
    /// The day the treatment was put in place. Where checks are named, they must pass too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[field(
        help = "The day the treatment was put in place; where checks are named they must also pass"
    )]
    pub done: Option<Date>,
    /// For an accepted risk: who accepted it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[field(help = "Who accepted the risk (`phiguard risk accept` sets it)")]
    pub accepted_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[field(help = "The day the risk was accepted")]
    pub accepted_on: Option<Date>,
    /// Why the risk is accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[field(help = "Why the risk is accepted")]
    pub acceptance_reason: Option<String>,
    /// The day the acceptance lapses and the risk must be decided again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[field(help = "The day the acceptance lapses and the risk must be decided again")]
    pub acceptance_expires: Option<Date>,
    /// For a transferred risk: to whom.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[field(help = "For a transferred risk: to whom (an insurer, a vendor under a BAA)")]
    pub transferred_to: Option<String>,
    /// Anything else worth keeping with the record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

impl Record for RiskRecord {
    const KIND: Kind = Kind::Risk;

    fn id(&self) -> &str {
        &self.id
    }

    fn problems(&self) -> Vec<String> {
        let mut problems = id_problems("risk", &self.id);
        require_text(&mut problems, "title", &self.title);
        require_text(&mut problems, "threat", &self.threat);
        require_text(&mut problems, "vulnerability", &self.vulnerability);
        if self.assets.is_empty() {
            problems.push(
                "it names no asset; say which assets are at risk with `--asset ID` (repeatable)"
                    .into(),
            );
        }
        for (field, value) in [
            ("likelihood", Some(self.likelihood)),
            ("impact", Some(self.impact)),
            ("residual_likelihood", self.residual_likelihood),
            ("residual_impact", self.residual_impact),
        ] {
            if let Some(value) = value
                && !SCALE.contains(&value)
            {
                problems.push(format!(
                    "`{field}` is {value}; rate it from 1 (very low) to 5 (very high)"
                ));
            }
        }
        if self.residual_likelihood.unwrap_or(0) > self.likelihood
            || self.residual_impact.unwrap_or(0) > self.impact
        {
            problems.push(
                "the residual rating is above the rating before treatment; a treatment cannot \
                 make a risk worse, so check the residual likelihood and impact"
                    .into(),
            );
        }
        match self.treatment {
            Treatment::Accept => {
                let missing: Vec<&str> = [
                    ("--accepted-by", self.accepted_by.is_none()),
                    ("--acceptance-reason", self.acceptance_reason.is_none()),
                    ("--acceptance-expires", self.acceptance_expires.is_none()),
                ]
                .into_iter()
                .filter_map(|(flag, absent)| absent.then_some(flag))
                .collect();
                if !missing.is_empty() {
                    problems.push(format!(
                        "an accepted risk needs who accepted it, why and until when; give {} \
                         (or use `phiguard risk accept`)",
                        listed(&missing, |flag| flag)
                    ));
                }
            }
            Treatment::Transfer if self.transferred_to.is_none() => problems.push(
                "a transferred risk needs to whom it was transferred; give `--transferred-to`"
                    .into(),
            ),
            _ => {}
        }
        require_order(
            &mut problems,
            ("accepted_on", self.accepted_on),
            ("acceptance_expires", self.acceptance_expires),
        );
        problems
    }

    fn references(&self) -> Vec<(Kind, &str)> {
        self.vulnerabilities
            .iter()
            .map(|id| (Kind::Vulnerability, id.as_str()))
            .collect()
    }
}

/// A risk analysis as signed off: which assets and risks it covered, the SHA-256 of the
/// document, and who signed it when. The document itself is recorded whole in the ledger
/// (`phiguard risk analyze`), so the version signed can always be shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Form)]
#[serde(deny_unknown_fields)]
#[record(
    about = "A risk analysis: the day it is for, its scope and method, the assets and risks it covered, the SHA-256 of the document recorded in the ledger, and who signed it off. `phiguard risk analyze` makes one and `phiguard risk signoff` signs it.",
    example_id = "2026-12-07",
    add = "phiguard register risk-analysis add 2026-12-07 --as-of 2026-12-07 --scope 'All ePHI of the clinic' --method phiguard-5x5 --sha256 0000000000000000000000000000000000000000000000000000000000000000",
    update = "phiguard register risk-analysis update 2026-12-07 --notes 'Reviewed with the board'"
)]
pub struct RiskAnalysis {
    pub id: String,
    /// The day the analysis is for.
    #[field(help = "The day the analysis is for")]
    pub as_of: Date,
    /// What it covers: the organisation, its systems, its sites.
    pub scope: String,
    /// The method, by name and version.
    pub method: String,
    /// The assets it covered, by id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[field(flag = "asset", value_name = "ASSET", help = "An asset it covered")]
    pub assets: Vec<String>,
    /// The risks it covered, by id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[field(flag = "risk", value_name = "RISK", help = "A risk it covered")]
    pub risks: Vec<String>,
    /// The SHA-256 of the document as recorded in the ledger.
    #[field(help = "The SHA-256 of the analysis document as recorded in the ledger")]
    pub sha256: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[field(help = "Who prepared it")]
    pub prepared_by: Option<String>,
    /// Who signed it off: a name and role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[field(help = "Who signed it off (`phiguard risk signoff` sets it)")]
    pub signed_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[field(help = "The day it was signed off")]
    pub signed_on: Option<Date>,
    /// Anything else worth keeping with the record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

impl Record for RiskAnalysis {
    const KIND: Kind = Kind::RiskAnalysis;

    fn id(&self) -> &str {
        &self.id
    }

    fn problems(&self) -> Vec<String> {
        let mut problems = id_problems("risk analysis", &self.id);
        require_text(&mut problems, "scope", &self.scope);
        require_text(&mut problems, "method", &self.method);
        if !is_sha256_hex(&self.sha256) {
            problems.push(format!(
                "`sha256` {:?} is not 64 lowercase hex digits",
                self.sha256
            ));
        }
        if self.signed_by.is_some() != self.signed_on.is_some() {
            problems.push(
                "a sign-off needs both who signed (`signed_by`) and the day (`signed_on`)".into(),
            );
        }
        require_order(
            &mut problems,
            ("as_of", Some(self.as_of)),
            ("signed_on", self.signed_on),
        );
        problems
    }
}

impl RiskAnalysis {
    /// Whether someone signed it off.
    pub fn is_signed(&self) -> bool {
        self.signed_by.is_some() && self.signed_on.is_some()
    }
}
