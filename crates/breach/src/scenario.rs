//! A breach scenario, as a plan file describes it (YAML, read with line numbers in every error).

use std::collections::BTreeMap;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use serde_saphyr::{MessageFormatter, Spanned, UserMessageFormatter};

use crate::days::is_state_code;

/// Who discovered the breach: its own notices differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    CoveredEntity,
    BusinessAssociate,
}

impl Role {
    pub const ALL: [Role; 2] = [Role::CoveredEntity, Role::BusinessAssociate];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::CoveredEntity => "covered_entity",
            Role::BusinessAssociate => "business_associate",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = String;

    fn from_str(text: &str) -> Result<Role, String> {
        let wanted = text.trim().to_ascii_lowercase().replace('-', "_");
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == wanted)
            .ok_or_else(|| {
                format!("{text:?} is not a role; use covered_entity or business_associate")
            })
    }
}

/// One of the three exclusions from the definition of breach (164.402).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Exclusion {
    /// (1)(i): unintentional acquisition, access or use by a workforce member in good faith.
    UnintentionalWorkforce,
    /// (1)(ii): inadvertent disclosure between two people authorised at the same entity.
    InadvertentDisclosure,
    /// (1)(iii): the recipient could not reasonably have retained the PHI.
    UnableToRetain,
}

impl Exclusion {
    pub const ALL: [Exclusion; 3] = [
        Exclusion::UnintentionalWorkforce,
        Exclusion::InadvertentDisclosure,
        Exclusion::UnableToRetain,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Exclusion::UnintentionalWorkforce => "unintentional_workforce",
            Exclusion::InadvertentDisclosure => "inadvertent_disclosure",
            Exclusion::UnableToRetain => "unable_to_retain",
        }
    }
}

impl std::str::FromStr for Exclusion {
    type Err = String;

    fn from_str(text: &str) -> Result<Exclusion, String> {
        let wanted = text.trim().to_ascii_lowercase().replace('-', "_");
        Exclusion::ALL
            .into_iter()
            .find(|e| e.as_str() == wanted)
            .ok_or_else(|| {
                format!(
                    "{text:?} is not an exclusion of 45 CFR 164.402; use unintentional_workforce, \
                     inadvertent_disclosure or unable_to_retain"
                )
            })
    }
}

/// A law-enforcement official's statement that notice would impede an investigation (164.412).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Delay {
    /// Made orally on `stated`: notice waits at most 30 days from then.
    Oral { stated: Date },
    /// In writing, for the period it states, up to `until`.
    Written { until: Date },
}

/// What the plan is computed from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scenario {
    pub role: Role,
    /// The day the breach was discovered (164.404(a)(2), 164.410(a)(2)).
    pub discovered: Date,
    /// Residents affected, by state postal code.
    pub affected: BTreeMap<String, u64>,
    /// The PHI was secured (encrypted per HHS guidance with the key not compromised, or
    /// destroyed): the safe harbour.
    pub secured: bool,
    pub exclusion: Option<Exclusion>,
    /// A business associate's window in its BAA, when shorter than 60 days.
    pub baa_window_days: Option<u32>,
    pub law_enforcement_delay: Option<Delay>,
    /// Individuals whose contact information is insufficient or out of date.
    pub insufficient_contacts: Option<u64>,
}

impl Scenario {
    /// Everyone affected, all states together.
    pub fn total_affected(&self) -> u64 {
        self.affected.values().sum()
    }
}

/// A plan file that cannot be read, with the line it is about when there is one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{reason}", line.map(|l| format!("line {l}: ")).unwrap_or_default())]
pub struct ScenarioError {
    pub line: Option<u64>,
    pub reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    role: Role,
    discovered: Spanned<String>,
    affected: Spanned<BTreeMap<String, u64>>,
    #[serde(default)]
    secured: bool,
    #[serde(default)]
    exclusion: Option<Exclusion>,
    #[serde(default)]
    baa_window_days: Option<Spanned<u32>>,
    #[serde(default)]
    law_enforcement_delay: Option<Spanned<RawDelay>>,
    #[serde(default)]
    insufficient_contacts: Option<Spanned<u64>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum DelayKind {
    Oral,
    Written,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDelay {
    kind: DelayKind,
    #[serde(default)]
    stated: Option<Spanned<String>>,
    #[serde(default)]
    until: Option<Spanned<String>>,
}

fn at(line: u64, reason: impl Into<String>) -> ScenarioError {
    ScenarioError {
        line: Some(line).filter(|&l| l > 0),
        reason: reason.into(),
    }
}

/// A date of a plan file: YYYY-MM-DD, a real day, in the years 1900–2999.
fn date(field: &str, text: &Spanned<String>) -> Result<Date, ScenarioError> {
    let line = text.referenced.line();
    let value = text.value.trim();
    let parsed: Date = value.parse().map_err(|_| {
        at(
            line,
            format!("{field}: {value:?} is not a date; write it as YYYY-MM-DD, such as 2026-03-01"),
        )
    })?;
    if value.len() != 10 {
        return Err(at(
            line,
            format!("{field}: {value:?} is not a date; write it as YYYY-MM-DD, such as 2026-03-01"),
        ));
    }
    if !(1900..=2999).contains(&parsed.year()) {
        return Err(at(
            line,
            format!("{field}: {value} is not a year between 1900 and 2999"),
        ));
    }
    Ok(parsed)
}

impl Scenario {
    /// Reads a plan file's YAML. Unknown fields, a date that is not YYYY-MM-DD, a state that is
    /// not a postal code, and a law-enforcement delay of the wrong shape are refused, each with
    /// its line. A field of the other role (`baa_window_days` for a covered entity,
    /// `insufficient_contacts` for a business associate) is read, and the plan says it does not
    /// apply, so the documented example with every field can be copied as it is.
    pub fn from_yaml(text: &str) -> Result<Scenario, ScenarioError> {
        let raw: RawScenario = serde_saphyr::from_str(text).map_err(|error| ScenarioError {
            line: error.location().map(|l| l.line()).filter(|&l| l > 0),
            reason: UserMessageFormatter.format_message(&error).into_owned(),
        })?;
        let discovered = date("discovered", &raw.discovered)?;
        let line = raw.affected.referenced.line();
        let mut affected = BTreeMap::new();
        for (code, count) in raw.affected.value {
            let upper = code.trim().to_ascii_uppercase();
            if !is_state_code(&upper) {
                return Err(at(
                    line,
                    format!(
                        "affected: {code:?} is not a US state or territory; use its two-letter \
                         postal code, such as OH or PA"
                    ),
                ));
            }
            if affected.insert(upper.clone(), count).is_some() {
                return Err(at(line, format!("affected: {upper} is given twice")));
            }
        }
        if affected.values().sum::<u64>() == 0 {
            return Err(at(
                line,
                "affected: give the number of residents affected in at least one state, such as \
                 {OH: 120}",
            ));
        }
        let law_enforcement_delay = match raw.law_enforcement_delay {
            None => None,
            Some(delay) => {
                let line = delay.referenced.line();
                let delay = delay.value;
                Some(match (delay.kind, delay.stated, delay.until) {
                    (DelayKind::Oral, Some(stated), None) => Delay::Oral {
                        stated: date("law_enforcement_delay.stated", &stated)?,
                    },
                    (DelayKind::Written, None, Some(until)) => Delay::Written {
                        until: date("law_enforcement_delay.until", &until)?,
                    },
                    (DelayKind::Oral, _, _) => {
                        return Err(at(
                            line,
                            "law_enforcement_delay: an oral statement gives the day it was made \
                             and nothing else: {kind: oral, stated: YYYY-MM-DD}",
                        ));
                    }
                    (DelayKind::Written, _, _) => {
                        return Err(at(
                            line,
                            "law_enforcement_delay: a written statement gives the day the delay \
                             ends and nothing else: {kind: written, until: YYYY-MM-DD}",
                        ));
                    }
                })
            }
        };
        Ok(Scenario {
            role: raw.role,
            discovered,
            affected,
            secured: raw.secured,
            exclusion: raw.exclusion,
            baa_window_days: raw.baa_window_days.map(|w| w.value),
            law_enforcement_delay,
            insufficient_contacts: raw.insufficient_contacts.map(|c| c.value),
        })
    }
}
