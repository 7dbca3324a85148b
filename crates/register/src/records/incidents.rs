//! Security incidents (45 CFR 164.308(a)(6)) and what the Breach Notification Rule asks of
//! each (164.400–414): the incident as reported, its response timeline, the breach assessment
//! with a rationale for every answer (164.402, and 164.414's burden of proof), and the notices
//! given.
//!
//! The deadlines themselves are not stored: they follow from these records by the rules of
//! `phiguard-breach`, so a corrected discovery date moves every deadline with it.

use std::collections::BTreeMap;

use jiff::Timestamp;
use jiff::civil::Date;
use phiguard_breach::{Exclusion, Recipient, Role};
use serde::{Deserialize, Serialize};

use super::words::{choose, listed, words};
use super::{Document, Record, id_problems, require_document, require_order, require_text};
use crate::Kind;
use crate::draft::{Choices, Form};

words! {
    /// Who told the organisation of the incident.
    IncidentSource, "a source of an incident report" {
        Internal = "internal",
        /// A member of the workforce reported it.
        Workforce = "workforce",
        /// A vendor that is a business associate.
        Vendor = "vendor",
        /// The cloud provider, itself a business associate.
        CloudProvider = "cloud_provider",
        Patient = "patient",
        Regulator = "regulator",
    }
}

impl IncidentSource {
    /// A business associate reported it: the report is judged against its BAA and SLA.
    pub fn is_business_associate(self) -> bool {
        matches!(self, IncidentSource::Vendor | IncidentSource::CloudProvider)
    }
}

words! {
    /// Where an incident stands.
    IncidentStatus, "an incident status" {
        Open = "open",
        Investigating = "investigating",
        /// The breach assessment is decided.
        Assessed = "assessed",
        Notifying = "notifying",
        Closed = "closed",
    }
}

words! {
    /// The kinds of PHI involved: the first factor of the risk assessment (164.402(2)(i)) asks
    /// for "the types of identifiers and the likelihood of re-identification".
    PhiKind, "a kind of PHI" {
        Names = "names",
        Addresses = "addresses",
        /// Birth, admission, discharge or death dates.
        Dates = "dates",
        /// Telephone numbers and e-mail addresses.
        Contact = "contact",
        Ssn = "ssn",
        MedicalRecordNumbers = "medical_record_numbers",
        HealthPlanNumbers = "health_plan_numbers",
        /// Account, credit card or bank numbers.
        Financial = "financial",
        /// Driver's licence and other licence or certificate numbers.
        LicenseNumbers = "license_numbers",
        /// Device identifiers, IP addresses, URLs.
        DeviceIds = "device_ids",
        Biometrics = "biometrics",
        Photos = "photos",
        Diagnoses = "diagnoses",
        Treatments = "treatments",
        Medications = "medications",
        TestResults = "test_results",
        /// Claims and insurance information.
        Claims = "claims",
        /// Sensitive categories: mental health, substance use, HIV, reproductive health.
        Sensitive = "sensitive",
    }
}

impl PhiKind {
    /// Identifiers that on their own point to one person, or enable fraud or identity theft:
    /// the kinds that weigh most in the first factor.
    pub fn is_direct_identifier(self) -> bool {
        matches!(
            self,
            PhiKind::Names
                | PhiKind::Ssn
                | PhiKind::MedicalRecordNumbers
                | PhiKind::HealthPlanNumbers
                | PhiKind::Financial
                | PhiKind::LicenseNumbers
                | PhiKind::Biometrics
                | PhiKind::Photos
        )
    }
}

/// Residents of one state affected: `OH=120`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateCount {
    /// The state's postal code, upper case.
    pub state: String,
    pub count: u64,
}

impl std::str::FromStr for StateCount {
    type Err = String;

    fn from_str(text: &str) -> Result<StateCount, String> {
        let refuse = || {
            format!(
                "{text:?} is not a state and a count; give them as STATE=COUNT with the state's \
                 postal code, such as OH=120"
            )
        };
        let (state, count) = text.split_once('=').ok_or_else(refuse)?;
        let state = state.trim().to_ascii_uppercase();
        let count: u64 = count.trim().parse().map_err(|_| refuse())?;
        if !phiguard_breach::is_state_code(&state) {
            return Err(format!(
                "{state:?} is not the postal code of a state or territory, such as OH or PR"
            ));
        }
        Ok(StateCount { state, count })
    }
}

/// One individual affected, as kept: a pseudonym made with the installation's key from their
/// name, and their state of residence. The name itself is never stored.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AffectedIndividual {
    pub pseudonym: String,
    pub state: String,
}

/// A security incident: an attempted or successful unauthorized access, use, disclosure,
/// modification or destruction of information, or interference with system operations
/// (164.304), from whoever reported it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Form)]
#[serde(deny_unknown_fields)]
#[record(
    about = "A security incident, from whoever reported it (45 CFR 164.308(a)(6)): what happened, when it was discovered, what PHI and whom it touched. The breach clocks run from `discovered`.",
    example_id = "2026-03-lost-laptop",
    add = "phiguard register incident add 2026-03-lost-laptop --title 'Laptop stolen from a car' --source workforce --reported-by 'Dr. Lee' --discovered 2026-03-01T09:30Z --phi names --phi diagnoses --affected OH=120 --affected PA=3 --system ehr-prod",
    update = "phiguard register incident update 2026-03-lost-laptop --status investigating --consequences 'Laptop not recovered; disk encryption confirmed on'"
)]
pub struct Incident {
    pub id: String,
    /// What happened, in a line.
    pub title: String,
    /// What happened, in full: how it was found, what was exposed, to whom.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Who reported it.
    #[field(
        help = "Who reported it: internal, workforce, vendor, cloud_provider, patient or regulator"
    )]
    pub source: IncidentSource,
    /// The person or organisation that reported it.
    pub reported_by: String,
    /// When the organisation discovered it: the first day anyone in the workforce (other than
    /// the person who committed it) knew of it or would have by exercising reasonable
    /// diligence (164.404(a)(2)). Every breach clock runs from this day.
    #[field(
        help = "When you discovered it (the breach clocks run from its day, 45 CFR 164.404(a)(2)): 2026-03-01T09:30Z"
    )]
    pub discovered: Timestamp,
    /// The first day it happened, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[field(help = "The first day it happened, when known")]
    pub occurred_from: Option<Date>,
    /// The last day it happened, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[field(help = "The last day it happened, when known")]
    pub occurred_to: Option<Date>,
    /// Systems involved.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[field(
        flag = "system",
        value_name = "SYSTEM",
        help = "A system involved (repeatable)"
    )]
    pub systems: Vec<String>,
    /// Vendors involved, by their register id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[field(
        flag = "vendor",
        value_name = "VENDOR",
        refers = Vendor,
        help = "A vendor involved, by its id (repeatable)"
    )]
    pub vendors: Vec<String>,
    /// For an incident a business associate reported: the BAA it reported under, whose
    /// breach-notice window the report is judged against.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[field(
        refers = Baa,
        help = "The BAA of the vendor that reported it: its breach-notice window and the SLA's incident notice judge the report"
    )]
    pub baa: Option<String>,
    /// When the business associate that reported it discovered it, as its report says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[field(
        help = "When the vendor that reported it discovered it, as its report says: 2026-02-20T16:00Z"
    )]
    pub vendor_discovered: Option<Timestamp>,
    /// The kinds of PHI involved.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[field(
        flag = "phi",
        value_name = "KIND",
        help = "A kind of PHI involved (repeatable): names, addresses, dates, contact, ssn, medical_record_numbers, health_plan_numbers, financial, license_numbers, device_ids, biometrics, photos, diagnoses, treatments, medications, test_results, claims or sensitive"
    )]
    pub phi: Vec<PhiKind>,
    /// Residents affected, by state.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[field(
        text,
        flag = "affected",
        value_name = "STATE=COUNT",
        help = "Residents of a state affected, such as OH=120 (repeatable; `breach affected` imports a list instead)"
    )]
    pub affected: Vec<StateCount>,
    /// Individuals whose contact information is insufficient or out of date: 10 or more call
    /// for substitute notice (164.404(d)(2)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[field(
        value_name = "COUNT",
        help = "Individuals whose contact information is insufficient or out of date (10 or more need substitute notice)"
    )]
    pub insufficient_contacts: Option<u64>,
    /// Individuals affected, pseudonymised with the installation's key; set by `phiguard
    /// breach affected`, never typed in.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[field(skip)]
    pub individuals: Vec<AffectedIndividual>,
    /// open, investigating, assessed, notifying or closed.
    #[serde(default = "open")]
    #[field(help = "open, investigating, assessed, notifying or closed [default for add: open]")]
    pub status: IncidentStatus,
    /// What it led to: data lost or exposed, systems down, costs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consequences: Option<String>,
}

fn open() -> IncidentStatus {
    IncidentStatus::Open
}

impl Incident {
    /// The day the breach clocks start: the UTC day of `discovered`.
    pub fn discovered_day(&self) -> Date {
        super::utc_day(self.discovered)
    }

    /// Residents affected by state, each state once (the counts of a state given twice add up).
    pub fn affected_by_state(&self) -> BTreeMap<String, u64> {
        let mut by_state = BTreeMap::new();
        for entry in &self.affected {
            *by_state.entry(entry.state.clone()).or_insert(0u64) += entry.count;
        }
        by_state
    }

    /// Everyone affected, every state together.
    pub fn total_affected(&self) -> u64 {
        self.affected.iter().map(|c| c.count).sum()
    }
}

impl Record for Incident {
    const KIND: Kind = Kind::Incident;

    fn id(&self) -> &str {
        &self.id
    }

    fn problems(&self) -> Vec<String> {
        let mut problems = id_problems("incident", &self.id);
        require_text(&mut problems, "title", &self.title);
        require_text(&mut problems, "reported_by", &self.reported_by);
        require_order(
            &mut problems,
            ("occurred_from", self.occurred_from),
            ("occurred_to", self.occurred_to),
        );
        if let Some(from) = self.occurred_from
            && from > self.discovered_day()
        {
            problems.push(format!(
                "`occurred_from` ({from}) is after the day it was discovered ({}); an incident \
                 is discovered when it has happened",
                self.discovered_day()
            ));
        }
        if let Some(vendor_discovered) = self.vendor_discovered
            && vendor_discovered > self.discovered
        {
            problems.push(format!(
                "`vendor_discovered` ({vendor_discovered}) is after `discovered` ({}): the \
                 vendor's report is how you learned of it, so it discovered it first; check both",
                self.discovered
            ));
        }
        if (self.baa.is_some() || self.vendor_discovered.is_some())
            && !self.source.is_business_associate()
        {
            problems.push(format!(
                "it has a BAA or a vendor's discovery time, but its source is {}; an incident a \
                 vendor reported has `source` vendor or cloud_provider",
                self.source
            ));
        }
        let mut seen = std::collections::BTreeSet::new();
        for entry in &self.affected {
            if !seen.insert(entry.state.as_str()) {
                problems.push(format!(
                    "`affected` gives {} more than once; give each state once with its total",
                    entry.state
                ));
            }
        }
        if !self.individuals.is_empty() {
            let mut listed: BTreeMap<&str, u64> = BTreeMap::new();
            for individual in &self.individuals {
                *listed.entry(individual.state.as_str()).or_default() += 1;
            }
            let by_state = self.affected_by_state();
            let counted: BTreeMap<&str, u64> =
                by_state.iter().map(|(s, n)| (s.as_str(), *n)).collect();
            if listed != counted {
                problems.push(
                    "the counts in `affected` differ from the individuals imported; import the \
                     list again with `phiguard breach affected` rather than editing the counts"
                        .into(),
                );
            }
        }
        problems
    }

    fn references(&self) -> Vec<(Kind, &str)> {
        self.vendors
            .iter()
            .map(|vendor| (Kind::Vendor, vendor.as_str()))
            .chain(self.baa.iter().map(|baa| (Kind::Baa, baa.as_str())))
            .collect()
    }
}

words! {
    /// The phases of incident response an entry of the timeline belongs to.
    Phase, "a phase of incident response" {
        Detection = "detection",
        Containment = "containment",
        Mitigation = "mitigation",
        Eradication = "eradication",
        Recovery = "recovery",
        /// What was learned, and what changes because of it.
        Lessons = "lessons",
    }
}

/// One entry of an incident's response timeline (164.308(a)(6)(ii): identify and respond,
/// mitigate harmful effects, document incidents and their outcomes).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Form)]
#[serde(deny_unknown_fields)]
#[record(
    about = "One step of an incident's response: detection, containment, mitigation, eradication, recovery or lessons (45 CFR 164.308(a)(6)(ii)).",
    example_id = "2026-03-lost-laptop.containment.20260301T1000Z",
    add = "phiguard register incident-event add --incident 2026-03-lost-laptop --phase containment --at 2026-03-01T10:00Z --note 'Certificates and sessions of the laptop revoked' --by 'IT on call'",
    update = "phiguard register incident-event update 2026-03-lost-laptop.containment.20260301T1000Z --note 'Sessions revoked at 10:00, certificates at 10:20'",
    default_id(incident, phase, at)
)]
pub struct IncidentEvent {
    pub id: String,
    /// The incident's id.
    #[field(refers = Incident)]
    pub incident: String,
    /// detection, containment, mitigation, eradication, recovery or lessons.
    pub phase: Phase,
    /// When it happened.
    #[field(help = "When it happened: 2026-03-01T10:00Z")]
    pub at: Timestamp,
    /// What was done or found.
    pub note: String,
    /// Who did it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
}

impl IncidentEvent {
    pub fn default_id(incident: &str, phase: Phase, at: Timestamp) -> String {
        format!("{incident}.{phase}.{}", at.strftime("%Y%m%dT%H%M%SZ"))
    }
}

impl Record for IncidentEvent {
    const KIND: Kind = Kind::IncidentEvent;

    fn id(&self) -> &str {
        &self.id
    }

    fn problems(&self) -> Vec<String> {
        let mut problems = id_problems("timeline entry", &self.id);
        require_text(&mut problems, "note", &self.note);
        problems
    }

    fn references(&self) -> Vec<(Kind, &str)> {
        vec![(Kind::Incident, &self.incident)]
    }
}

impl Phase {
    /// What the organisation did about the incident, as opposed to finding it or learning from
    /// it: the steps a notice reports as what is being done (164.404(c)(1)(D)).
    pub fn is_action(self) -> bool {
        matches!(
            self,
            Phase::Containment | Phase::Mitigation | Phase::Eradication | Phase::Recovery
        )
    }
}

words! {
    /// How much one factor of the risk assessment (164.402(2)) weighs towards a compromise of
    /// the PHI.
    Risk, "a level of risk" {
        Low = "low",
        Medium = "medium",
        High = "high",
    }
}

words! {
    /// What the breach assessment concluded.
    Conclusion, "a conclusion of a breach assessment" {
        /// Not a breach: an exclusion of 164.402(1) applies, or the PHI was secured.
        NoBreach = "no_breach",
        /// A breach is presumed, but the four factors show a low probability that the PHI has
        /// been compromised (164.402(2)): no notice, and the assessment is the proof.
        LowProbability = "low_probability",
        /// A breach of unsecured PHI: notify.
        Notifiable = "notifiable",
    }
}

words! {
    /// How a law-enforcement official asked for notice to wait (164.412).
    DelayKind, "a kind of law-enforcement statement" {
        /// Orally: at most 30 days from the statement, unless a written one follows.
        Oral = "oral",
        /// In writing, for the period it states.
        Written = "written",
    }
}

/// The breach assessment of an incident: whether an impermissible use or disclosure of PHI is
/// a breach that must be notified (164.402), each answer with its rationale, and who decided.
/// The organisation bears the burden of showing notices were given or that it was no breach
/// (164.414(b)): this record is that showing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Form)]
#[serde(deny_unknown_fields)]
#[record(
    about = "The breach assessment of an incident (45 CFR 164.402, 164.414(b)): the exclusions, the safe harbour, the four factors, each with its rationale, and the conclusion with who decided and when. `phiguard breach assess` asks for each answer.",
    example_id = "2026-03-lost-laptop",
    add = "phiguard register breach-assessment add 2026-03-lost-laptop --incident 2026-03-lost-laptop --nature high --nature-rationale 'Names and diagnoses' --recipient-risk high --recipient-rationale 'Unknown thief' --acquired medium --acquired-rationale 'Not known whether opened' --mitigated low --mitigated-rationale 'Not recovered' --conclusion notifiable --decided-by 'Pat Privacy Officer'",
    update = "phiguard register breach-assessment update 2026-03-lost-laptop --conclusion notifiable"
)]
pub struct BreachAssessment {
    /// The incident's id: an incident has one assessment.
    pub id: String,
    /// The incident assessed.
    #[field(refers = Incident)]
    pub incident: String,
    /// Whether the organisation is the covered entity or a business associate of one.
    #[serde(default = "covered_entity")]
    #[field(
        help = "You are the covered_entity or a business_associate of one [default for add: covered_entity]"
    )]
    pub role: Role,
    /// The exclusion of the definition of breach that applies, if one does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[field(
        help = "An exclusion of 45 CFR 164.402(1) that applies: unintentional_workforce, inadvertent_disclosure or unable_to_retain"
    )]
    pub exclusion: Option<Exclusion>,
    /// Why the exclusion applies, or why none does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exclusion_rationale: Option<String>,
    /// The PHI was secured: encrypted as HHS's guidance specifies with the key not
    /// compromised, or destroyed. Then it is not unsecured PHI and nothing is notified.
    #[serde(default)]
    #[field(
        help = "The PHI was secured: encrypted per HHS guidance with the key not compromised, or destroyed (the safe harbour)"
    )]
    pub secured: bool,
    /// Why the PHI was or was not secured: the encryption, where the key was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secured_rationale: Option<String>,
    /// What phiguard's own key records say, when the data was sealed by phiguard; set by
    /// `phiguard breach assess INCIDENT --sealed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[field(skip)]
    pub sealed_evidence: Option<String>,
    /// Factor 1: the nature and extent of the PHI (identifiers, likelihood of
    /// re-identification).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[field(
        help = "Factor 1, the nature and extent of the PHI (identifiers, re-identification): low, medium or high"
    )]
    pub nature: Option<Risk>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[field(help = "Why factor 1 weighs as it does")]
    pub nature_rationale: Option<String>,
    /// Factor 2: the unauthorized person who used the PHI or to whom it was disclosed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[field(
        flag = "recipient-risk",
        help = "Factor 2, who used it or received it: low, medium or high"
    )]
    pub recipient: Option<Risk>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[field(help = "Why factor 2 weighs as it does")]
    pub recipient_rationale: Option<String>,
    /// Factor 3: whether the PHI was actually acquired or viewed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[field(help = "Factor 3, whether it was actually acquired or viewed: low, medium or high")]
    pub acquired: Option<Risk>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[field(help = "Why factor 3 weighs as it does")]
    pub acquired_rationale: Option<String>,
    /// Factor 4: the extent to which the risk has been mitigated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[field(help = "Factor 4, how far the risk is mitigated: low, medium or high")]
    pub mitigated: Option<Risk>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[field(help = "Why factor 4 weighs as it does")]
    pub mitigated_rationale: Option<String>,
    /// no_breach, low_probability or notifiable.
    #[field(help = "The conclusion: no_breach, low_probability or notifiable")]
    pub conclusion: Conclusion,
    /// Who decided: the privacy officer, counsel.
    pub decided_by: String,
    /// The day it was decided.
    #[field(default = today, help = "The day it was decided [default for add: today]")]
    pub decided: Date,
    /// A law-enforcement official's statement that notice would impede an investigation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[field(
        help = "A law-enforcement official asked to delay notice (45 CFR 164.412): oral or written"
    )]
    pub delay: Option<DelayKind>,
    /// The day an oral statement was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[field(help = "The day an oral law-enforcement statement was made")]
    pub delay_stated: Option<Date>,
    /// The end of the period a written statement gives.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[field(help = "The day a written law-enforcement statement's period ends")]
    pub delay_until: Option<Date>,
    /// A business associate's window in its BAA to notify the covered entity, when shorter
    /// than 60 days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[field(
        value_name = "DAYS",
        help = "As a business associate: the days your BAA gives you to notify the covered entity"
    )]
    pub baa_window_days: Option<u32>,
}

fn covered_entity() -> Role {
    Role::CoveredEntity
}

impl BreachAssessment {
    /// The four factors, each with its level and rationale, in the order of 164.402(2).
    pub fn factors(&self) -> [(&'static str, Option<Risk>, Option<&str>); 4] {
        [
            (
                "the nature and extent of the PHI involved",
                self.nature,
                self.nature_rationale.as_deref(),
            ),
            (
                "the unauthorized person who used the PHI or to whom it was disclosed",
                self.recipient,
                self.recipient_rationale.as_deref(),
            ),
            (
                "whether the PHI was actually acquired or viewed",
                self.acquired,
                self.acquired_rationale.as_deref(),
            ),
            (
                "the extent to which the risk to the PHI has been mitigated",
                self.mitigated,
                self.mitigated_rationale.as_deref(),
            ),
        ]
    }

    /// Whether notices are due: only a notifiable breach calls for them.
    pub fn is_notifiable(&self) -> bool {
        self.conclusion == Conclusion::Notifiable
    }
}

/// A problem when `value` is given without a non-empty rationale.
fn require_rationale<T>(
    problems: &mut Vec<String>,
    what: &str,
    value: Option<T>,
    why: Option<&str>,
) {
    if value.is_some() && why.is_none_or(|text| text.trim().is_empty()) {
        problems.push(format!(
            "{what} has no rationale; 45 CFR 164.414(b) puts the burden of proof on you, so say why"
        ));
    }
}

impl Record for BreachAssessment {
    const KIND: Kind = Kind::BreachAssessment;

    fn id(&self) -> &str {
        &self.id
    }

    fn problems(&self) -> Vec<String> {
        let mut problems = id_problems("breach assessment", &self.id);
        require_text(&mut problems, "decided_by", &self.decided_by);
        require_rationale(
            &mut problems,
            "the exclusion",
            self.exclusion,
            self.exclusion_rationale.as_deref(),
        );
        require_rationale(
            &mut problems,
            "the safe harbour (`secured`)",
            self.secured.then_some(()),
            self.secured_rationale.as_deref(),
        );
        for (number, (name, level, why)) in self.factors().into_iter().enumerate() {
            require_rationale(
                &mut problems,
                &format!("factor {} ({name})", number + 1),
                level,
                why,
            );
        }
        let excluded = self.exclusion.is_some() || self.secured;
        match self.conclusion {
            Conclusion::NoBreach if !excluded => problems.push(
                "the conclusion is no_breach, but no exclusion applies and the PHI was not \
                 secured; an impermissible use or disclosure is presumed a breach (45 CFR \
                 164.402(2)): record the exclusion or the safe harbour, or conclude \
                 low_probability with the four factors, or notifiable"
                    .into(),
            ),
            Conclusion::LowProbability => {
                if excluded {
                    problems.push(
                        "the conclusion is low_probability, but an exclusion or the safe \
                         harbour applies, which makes it no breach at all; conclude no_breach"
                            .into(),
                    );
                }
                let missing: Vec<String> = self
                    .factors()
                    .iter()
                    .enumerate()
                    .filter(|(_, (_, level, _))| level.is_none())
                    .map(|(n, _)| (n + 1).to_string())
                    .collect();
                if !missing.is_empty() {
                    problems.push(format!(
                        "a low probability of compromise must rest on all four factors of 45 \
                         CFR 164.402(2); factor {} is not assessed",
                        missing.join(", ")
                    ));
                }
                if self
                    .factors()
                    .iter()
                    .any(|(_, level, _)| *level == Some(Risk::High))
                {
                    problems.push(
                        "a factor weighs high, yet the conclusion is a low probability of \
                         compromise; explain it in that factor's rationale and lower it, or \
                         conclude notifiable"
                            .into(),
                    );
                }
            }
            Conclusion::Notifiable if excluded => problems.push(
                "the conclusion is notifiable, but an exclusion or the safe harbour is recorded; \
                 remove it (`--unset exclusion`, `--secured false`) or conclude no_breach"
                    .into(),
            ),
            _ => {}
        }
        match (self.delay, self.delay_stated, self.delay_until) {
            (Some(DelayKind::Oral), None, _) => problems.push(
                "an oral law-enforcement statement needs the day it was made (`delay_stated`)"
                    .into(),
            ),
            (Some(DelayKind::Written), _, None) => problems.push(
                "a written law-enforcement statement needs the end of its period (`delay_until`)"
                    .into(),
            ),
            (None, Some(_), _) | (None, _, Some(_)) => problems.push(
                "a law-enforcement delay's dates are given without `delay` (oral or written)"
                    .into(),
            ),
            _ => {}
        }
        if let Some(days) = self.baa_window_days {
            if self.role != Role::BusinessAssociate {
                problems.push(
                    "`baa_window_days` is a business associate's window; set `role` to \
                     business_associate or remove it"
                        .into(),
                );
            }
            if days == 0 || days > 60 {
                problems.push(format!(
                    "`baa_window_days` is {days}; a BAA's window is 1 to 60 days (45 CFR 164.410(b))"
                ));
            }
        }
        problems
    }

    fn references(&self) -> Vec<(Kind, &str)> {
        vec![(Kind::Incident, &self.incident)]
    }
}

/// A breach notice given: to individuals, the media, HHS, a state regulator or, as a business
/// associate, the covered entity. A deadline with no notice recorded fails.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Form)]
#[serde(deny_unknown_fields)]
#[record(
    about = "A breach notice given (45 CFR 164.404–410 and state law): to whom, for which state, when, how, and the letter or filing as kept.",
    example_id = "2026-03-lost-laptop.individuals",
    add = "phiguard register breach-notice add --incident 2026-03-lost-laptop --recipient individuals --sent 2026-03-20 --method 'first-class mail' --count 123 --document letter.pdf",
    update = "phiguard register breach-notice update 2026-03-lost-laptop.individuals --count 125",
    default_id(incident, recipient, jurisdiction)
)]
pub struct BreachNotice {
    pub id: String,
    /// The incident.
    #[field(refers = Incident)]
    pub incident: String,
    /// Who was told.
    #[field(
        help = "Who was told: individuals, substitute_notice, media, hhs, covered_entity or state_regulator"
    )]
    pub recipient: Recipient,
    /// The state, for a state regulator's notice or the media of a state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[field(
        value_name = "STATE",
        help = "The state's postal code, for a state regulator's notice or a state's media"
    )]
    pub jurisdiction: Option<String>,
    /// The day it was sent or filed.
    #[field(default = today, help = "The day it was sent or filed [default for add: today]")]
    pub sent: Date,
    /// How: first-class mail, e-mail, the HHS portal, a press release.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// How many it went to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// The notice as sent; its SHA-256 is recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<Document>,
}

impl BreachNotice {
    pub fn default_id(incident: &str, recipient: Recipient, jurisdiction: Option<&str>) -> String {
        match jurisdiction {
            Some(state) => format!(
                "{incident}.{}.{}",
                recipient.as_str(),
                state.to_ascii_uppercase()
            ),
            None => format!("{incident}.{}", recipient.as_str()),
        }
    }
}

impl Record for BreachNotice {
    const KIND: Kind = Kind::BreachNotice;

    fn id(&self) -> &str {
        &self.id
    }

    fn problems(&self) -> Vec<String> {
        let mut problems = id_problems("breach notice", &self.id);
        if let Some(state) = &self.jurisdiction
            && (!phiguard_breach::is_state_code(state) || state.to_ascii_uppercase() != *state)
        {
            problems.push(format!(
                "`jurisdiction` {state:?} is not a state's postal code in capitals, such as OH"
            ));
        }
        if self.recipient == Recipient::StateRegulator && self.jurisdiction.is_none() {
            problems.push(
                "a state regulator's notice needs the state (`jurisdiction`), such as CA".into(),
            );
        }
        require_document(&mut problems, "document", self.document.as_ref());
        problems
    }

    fn references(&self) -> Vec<(Kind, &str)> {
        vec![(Kind::Incident, &self.incident)]
    }
}

impl Choices for Role {
    fn all() -> &'static [Role] {
        &Role::ALL
    }
}

impl Choices for Exclusion {
    fn all() -> &'static [Exclusion] {
        &Exclusion::ALL
    }
}

impl Choices for Recipient {
    fn all() -> &'static [Recipient] {
        &Recipient::ALL
    }
}
