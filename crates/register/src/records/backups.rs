//! Service levels agreed with providers, and the restore tests that show backups work
//! (45 CFR 164.308(a)(7), 164.314(a)(2)(i)(C)).

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::{Record, id_problems, require_text};
use crate::Kind;
use crate::draft::{Choices, Form};

/// What a provider promises: availability, recovery objectives, backups, incident notice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Form)]
#[serde(deny_unknown_fields)]
#[record(
    about = "What a provider promises: availability, RPO and RTO, backups, retention, incident notice.",
    example_id = "acme-cloud",
    add = "phiguard register sla add acme-cloud --vendor acme-cloud --availability 99.95 --rpo 1 --rto 4 --backup-every 24 --retention 2192 --incident-notice 24",
    update = "phiguard register sla update acme-cloud --rto 8"
)]
pub struct Sla {
    pub id: String,
    /// The provider's vendor id.
    #[field(refers = Vendor)]
    pub vendor: String,
    /// Availability target in percent: 99.9.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[field(
        flag = "availability",
        value_name = "PERCENT",
        help = "Availability target in percent, e.g. 99.95"
    )]
    pub availability_percent: Option<f64>,
    /// Recovery point objective: data that may be lost, in hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[field(
        flag = "rpo",
        value_name = "HOURS",
        help = "Recovery point objective in hours"
    )]
    pub rpo_hours: Option<f64>,
    /// Recovery time objective: time to restore service, in hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[field(
        flag = "rto",
        value_name = "HOURS",
        help = "Recovery time objective in hours"
    )]
    pub rto_hours: Option<f64>,
    /// Hours between backups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[field(flag = "backup-every", value_name = "HOURS")]
    pub backup_frequency_hours: Option<f64>,
    /// Days backups are kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[field(flag = "retention", value_name = "DAYS")]
    pub retention_days: Option<u32>,
    /// Hours the provider has to report a security incident.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[field(flag = "incident-notice", value_name = "HOURS")]
    pub incident_notice_hours: Option<u32>,
}

impl Record for Sla {
    const KIND: Kind = Kind::Sla;

    fn id(&self) -> &str {
        &self.id
    }

    fn problems(&self) -> Vec<String> {
        let mut problems = id_problems("SLA", &self.id);
        if let Some(percent) = self.availability_percent
            && !(0.0..=100.0).contains(&percent)
        {
            problems.push(format!(
                "`availability_percent` is {percent}; give a percentage from 0 to 100"
            ));
        }
        for (field, value) in [
            ("rpo_hours", self.rpo_hours),
            ("rto_hours", self.rto_hours),
            ("backup_frequency_hours", self.backup_frequency_hours),
        ] {
            if let Some(hours) = value
                && !(hours.is_finite() && hours >= 0.0)
            {
                problems.push(format!(
                    "`{field}` is {hours}; give a number of hours, 0 or more"
                ));
            }
        }
        problems
    }

    fn references(&self) -> Vec<(Kind, &str)> {
        vec![(Kind::Vendor, &self.vendor)]
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RestoreResult {
    Success,
    Failure,
}

impl Choices for RestoreResult {
    fn all() -> &'static [RestoreResult] {
        &[RestoreResult::Success, RestoreResult::Failure]
    }
}

impl std::str::FromStr for RestoreResult {
    type Err = String;

    fn from_str(text: &str) -> Result<RestoreResult, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "success" | "succeeded" | "ok" => Ok(RestoreResult::Success),
            "failure" | "failed" => Ok(RestoreResult::Failure),
            _ => Err(format!(
                "{text:?} is not a restore result; use success or failure"
            )),
        }
    }
}

/// One test of restoring a system from its backups.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Form)]
#[serde(deny_unknown_fields)]
#[record(
    about = "A test of restoring a system from its backups (45 CFR 164.308(a)(7)(ii)(D)).",
    example_id = "ehr-prod.2026-11-02",
    add = "phiguard register restore-test add --system ehr-prod --vendor acme-cloud --date 2026-11-02 --result success --hours 3.5",
    update = "phiguard register restore-test update ehr-prod.2026-11-02 --notes 'restored to a fresh account'",
    default_id(system, date)
)]
pub struct RestoreTest {
    pub id: String,
    /// The system restored.
    pub system: String,
    /// The provider whose backups were restored, when a vendor keeps them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[field(refers = Vendor, help = "The vendor whose backups were restored")]
    pub vendor: Option<String>,
    /// The day of the test.
    #[field(default = today, help = "The day of the test [default for add: today]")]
    pub date: Date,
    /// success or failure.
    pub result: RestoreResult,
    /// Hours from the start of the restore until the system served again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[field(
        flag = "hours",
        value_name = "HOURS",
        help = "Hours until the system served again"
    )]
    pub hours_to_restore: Option<f64>,
    /// What was restored, from where, and anything that went wrong.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

impl RestoreTest {
    pub fn default_id(system: &str, date: Date) -> String {
        format!("{system}.{date}")
    }
}

impl Record for RestoreTest {
    const KIND: Kind = Kind::RestoreTest;

    fn id(&self) -> &str {
        &self.id
    }

    fn problems(&self) -> Vec<String> {
        let mut problems = id_problems("restore test", &self.id);
        require_text(&mut problems, "system", &self.system);
        if let Some(hours) = self.hours_to_restore
            && !(hours.is_finite() && hours >= 0.0)
        {
            problems.push(format!(
                "`hours_to_restore` is {hours}; give a number of hours, 0 or more"
            ));
        }
        problems
    }

    fn references(&self) -> Vec<(Kind, &str)> {
        self.vendor
            .iter()
            .map(|vendor| (Kind::Vendor, vendor.as_str()))
            .collect()
    }
}
