//! A business associate's report of an incident, judged against what it agreed to: the
//! breach-notice window of its BAA (164.314(a)(2)(i)(C), 164.504(e)(2)(ii)(C)), the
//! incident-notice hours of its SLA, and in any case the 60 days of 164.410(b).
//!
//! The report's delay runs from when the vendor discovered the incident, as its report says,
//! to when the organisation discovered it, which for a reported incident is when the report
//! arrived.

use jiff::{SignedDuration, Timestamp};
use phiguard_register::records::{Baa, Incident, Sla, utc_day};
use phiguard_register::{Snapshot, Stored};
use serde::Serialize;

/// The longest a business associate may take to report a breach (164.410(b)).
pub const FEDERAL_DAYS: u32 = 60;

/// What a window was agreed in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Agreed {
    /// The BAA's breach-notice window, in days.
    Baa { id: String, days: u32 },
    /// The SLA's incident-notice time, in hours.
    Sla { id: String, hours: u32 },
    /// No shorter window is recorded: the 60 days of 164.410(b).
    Federal { days: u32 },
}

impl Agreed {
    /// The window in words: "BAA acme-2026: 10 days".
    pub fn describe(&self) -> String {
        let plural = |n: u32, unit: &str| {
            if n == 1 {
                format!("1 {unit}")
            } else {
                format!("{n} {unit}s")
            }
        };
        match self {
            Agreed::Baa { id, days } => format!("BAA {id}: {}", plural(*days, "day")),
            Agreed::Sla { id, hours } => format!("SLA {id}: {}", plural(*hours, "hour")),
            Agreed::Federal { days } => {
                format!("45 CFR 164.410(b): {}", plural(*days, "day"))
            }
        }
    }
}

/// One window and whether the report met it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Window {
    pub agreed: Agreed,
    /// The last moment the report was due. A window in days ends with the last day (UTC).
    pub due: Timestamp,
    pub late: bool,
}

/// A vendor's report of an incident, judged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VendorReport {
    pub incident: String,
    /// The vendor that reported it: the BAA's vendor, else the first vendor involved.
    pub vendor: Option<String>,
    pub vendor_discovered: Option<Timestamp>,
    pub reported: Timestamp,
    /// How long the vendor took; unknown without `vendor_discovered`.
    pub took: Option<SignedDuration>,
    /// Every window that applies, shortest first; empty when `took` is unknown.
    pub windows: Vec<Window>,
}

impl VendorReport {
    /// The windows the report missed.
    pub fn missed(&self) -> impl Iterator<Item = &Window> {
        self.windows.iter().filter(|w| w.late)
    }

    pub fn is_late(&self) -> bool {
        self.windows.iter().any(|w| w.late)
    }
}

/// The report of an incident a business associate reported; `None` for any other incident.
pub fn judge(snapshot: &Snapshot, incident: &Incident) -> Option<VendorReport> {
    if !incident.source.is_business_associate() {
        return None;
    }
    let baa: Option<&Baa> = incident
        .baa
        .as_deref()
        .and_then(|id| snapshot.baas.get(id))
        .map(|stored| &stored.record);
    let vendor = baa
        .map(|baa| baa.vendor.clone())
        .or_else(|| incident.vendors.first().cloned());
    let report = VendorReport {
        incident: incident.id.clone(),
        vendor: vendor.clone(),
        vendor_discovered: incident.vendor_discovered,
        reported: incident.discovered,
        took: None,
        windows: Vec::new(),
    };
    let Some(vendor_discovered) = incident.vendor_discovered else {
        return Some(report);
    };
    let mut agreed = Vec::new();
    if let Some(baa) = baa
        && let Some(days) = baa.breach_notice_days
    {
        agreed.push(Agreed::Baa {
            id: baa.id.clone(),
            days,
        });
    }
    if let Some(vendor) = &vendor {
        let slas: Vec<&Stored<Sla>> = snapshot
            .slas
            .values()
            .filter(|sla| &sla.record.vendor == vendor)
            .collect();
        // The strictest incident notice of the vendor's agreements: it is the one the
        // organisation relied on.
        if let Some(sla) = slas
            .iter()
            .filter(|sla| sla.record.incident_notice_hours.is_some())
            .min_by_key(|sla| sla.record.incident_notice_hours)
            && let Some(hours) = sla.record.incident_notice_hours
        {
            agreed.push(Agreed::Sla {
                id: sla.record.id.clone(),
                hours,
            });
        }
    }
    agreed.push(Agreed::Federal { days: FEDERAL_DAYS });
    let mut windows: Vec<Window> = agreed
        .into_iter()
        .map(|agreed| {
            let due = due(vendor_discovered, &agreed);
            Window {
                late: incident.discovered > due,
                agreed,
                due,
            }
        })
        .collect();
    windows.sort_by_key(|w| w.due);
    Some(VendorReport {
        took: Some(incident.discovered.duration_since(vendor_discovered)),
        windows,
        ..report
    })
}

/// The last moment of a window that opens at `from`: exact hours for an SLA; for days, the
/// end of the last day counted (UTC), as the register counts days.
fn due(from: Timestamp, agreed: &Agreed) -> Timestamp {
    match agreed {
        Agreed::Sla { hours, .. } => from
            .checked_add(SignedDuration::from_hours(i64::from(*hours)))
            .unwrap_or(Timestamp::MAX),
        Agreed::Baa { days, .. } | Agreed::Federal { days } => {
            let last_day = phiguard_breach::add_calendar_days(utc_day(from), *days);
            last_day
                .checked_add(jiff::Span::new().days(1))
                .ok()
                .and_then(|next| jiff::tz::Offset::UTC.to_timestamp(next.at(0, 0, 0, 0)).ok())
                .map(|start| start - SignedDuration::from_nanos(1))
                .unwrap_or(Timestamp::MAX)
        }
    }
}
