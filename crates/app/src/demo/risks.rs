//! The sample clinic's risk analysis: assets people recorded beside those phiguard sees,
//! flows of ePHI, a vulnerability from a walk-through, and risks in each state a reader
//! should meet (one treatment overdue, one risk accepted, one mitigation in place). The
//! analysis is signed before a transcription vendor is taken on, so it has gone stale.

use jiff::civil::Date;
use phiguard_register::AnyRecord;
use phiguard_register::records::*;

use super::shift;

/// The security officer, who prepares the analysis.
pub const PREPARED_BY: &str = "Dana Ruiz, Security Officer";
/// The practice owner, who signs it off.
pub const SIGNED_BY: &str = "Dr. Maya Chen, Practice Owner";

/// The vendor taken on after the analysis was signed: its records come later.
pub const LATE_VENDOR: &str = "litware-transcription";

/// Whether a record of the sample clinic belongs to the vendor taken on after the analysis.
pub fn is_late(record: &AnyRecord) -> bool {
    match record {
        AnyRecord::Vendor(v) => v.id == LATE_VENDOR,
        AnyRecord::Baa(b) => b.vendor == LATE_VENDOR,
        AnyRecord::Flow(f) => f.to == format!("vendor:{LATE_VENDOR}"),
        _ => false,
    }
}

fn asset(id: &str, name: &str, asset_type: AssetType) -> Asset {
    Asset {
        id: id.into(),
        name: name.into(),
        asset_type,
        owner: Some(PREPARED_BY.into()),
        location: None,
        ephi: Vec::new(),
        criticality: None,
        description: None,
    }
}

fn flow(
    id: &str,
    from: &str,
    to: &str,
    data: &str,
    protocol: &str,
    encrypted: Option<bool>,
) -> DataFlow {
    DataFlow {
        id: id.into(),
        from: from.into(),
        to: to.into(),
        data: Some(data.into()),
        protocol: Some(protocol.into()),
        encrypted,
        notes: None,
    }
}

/// The records, in an order the register takes them (assets before what names them).
pub fn records(today: Date) -> Vec<AnyRecord> {
    let ago = |days: i64| shift(today, -days);
    let ahead = |days: i64| shift(today, days);
    let mut records: Vec<AnyRecord> = Vec::new();

    records.push(
        Asset {
            location: Some("Northwind Cloud, us-east".into()),
            ephi: vec![PhiUse::Creates, PhiUse::Maintains],
            criticality: Some(Criticality::Critical),
            description: Some("The EHR's PostgreSQL database: every chart".into()),
            ..asset("ehr-db", "EHR database", AssetType::DataStore)
        }
        .into(),
    );
    // The system the register's grants and vendors name: recorded under the id phiguard
    // sees it by, which adds its owner and criticality.
    records.push(
        Asset {
            ephi: vec![PhiUse::Creates, PhiUse::Receives, PhiUse::Maintains],
            criticality: Some(Criticality::Critical),
            ..asset("system:ehr-prod", "EHR (production)", AssetType::System)
        }
        .into(),
    );
    records.push(
        Asset {
            location: Some("on-premises, front desk".into()),
            ephi: vec![PhiUse::Creates, PhiUse::Receives],
            criticality: Some(Criticality::High),
            owner: Some("Office manager".into()),
            ..asset(
                "front-desk-laptops",
                "Front-desk laptops (4)",
                AssetType::Device,
            )
        }
        .into(),
    );
    // Nobody has said who owns the fax line or how critical it is: the inventory asks.
    records.push(
        Asset {
            owner: None,
            location: Some("on-premises".into()),
            ephi: vec![PhiUse::Transmits],
            ..asset("fax-line", "Referral fax line", AssetType::Network)
        }
        .into(),
    );

    records.push(
        flow(
            "ehr-to-billing",
            "system:ehr-prod",
            "vendor:fabrikam-billing",
            "claims",
            "HTTPS",
            Some(true),
        )
        .into(),
    );
    records.push(
        flow(
            "ehr-backups",
            "ehr-db",
            "vendor:adatum-vault",
            "nightly backups",
            "courier, encrypted tapes",
            Some(true),
        )
        .into(),
    );
    records.push(
        flow(
            "appointment-reminders",
            "system:ehr-prod",
            "vendor:contoso-mail",
            "appointment reminders",
            "SMTP",
            None,
        )
        .into(),
    );
    // The referring clinics are nobody's asset here: the inventory notes the endpoint.
    records.push(
        flow(
            "referrals-by-fax",
            "fax-line",
            "referring-clinics",
            "referrals",
            "fax",
            Some(false),
        )
        .into(),
    );
    records.push(
        flow(
            "dictation",
            "front-desk-laptops",
            &format!("vendor:{LATE_VENDOR}"),
            "dictated notes",
            "HTTPS upload",
            Some(true),
        )
        .into(),
    );

    records.push(
        Vulnerability {
            id: "walkthrough-unencrypted-laptops".into(),
            title: "Two front-desk laptops have no disk encryption".into(),
            assets: vec!["front-desk-laptops".into()],
            severity: Level::High,
            source: Some("Annual walk-through".into()),
            found: Some(ago(90)),
            fixed: None,
            description: None,
        }
        .into(),
    );

    let risk =
        |id: &str, title: &str, assets: &[&str], threat: &str, vulnerability: &str| RiskRecord {
            id: id.into(),
            title: title.into(),
            assets: assets.iter().map(|a| (*a).to_owned()).collect(),
            threat: threat.into(),
            vulnerability: vulnerability.into(),
            vulnerabilities: Vec::new(),
            checks: Vec::new(),
            likelihood: 3,
            impact: 4,
            residual_likelihood: None,
            residual_impact: None,
            treatment: Treatment::Mitigate,
            plan: None,
            owner: Some(PREPARED_BY.into()),
            due: None,
            done: None,
            accepted_by: None,
            accepted_on: None,
            acceptance_reason: None,
            acceptance_expires: None,
            transferred_to: None,
            notes: None,
        };
    // Overdue: the offline copy of the backups was due two weeks ago.
    records.push(
        RiskRecord {
            likelihood: 4,
            impact: 5,
            residual_likelihood: Some(2),
            residual_impact: Some(3),
            plan: Some("Keep a weekly copy of the EHR backups offline, out of the production account's reach".into()),
            due: Some(ago(14)),
            ..risk(
                "ransomware-ehr",
                "Ransomware encrypts the EHR database and its backups",
                &["ehr-db", "system:ehr-prod"],
                "ransomware",
                "Backups can be deleted from the production account",
            )
        }
        .into(),
    );
    // Accepted until the fax line is retired.
    records.push(
        RiskRecord {
            likelihood: 3,
            impact: 3,
            treatment: Treatment::Accept,
            accepted_by: Some(SIGNED_BY.into()),
            accepted_on: Some(ago(30)),
            acceptance_reason: Some(
                "Two referring clinics only take fax; the line is retired when they move to Direct messaging".into(),
            ),
            acceptance_expires: Some(ahead(150)),
            ..risk(
                "misdirected-fax",
                "A referral fax reaches the wrong number",
                &["fax-line"],
                "misdirected-communication",
                "Numbers are typed by hand and faxes are not encrypted",
            )
        }
        .into(),
    );
    // In place: the laptops were encrypted; the day is recorded, no check can see them.
    records.push(
        RiskRecord {
            vulnerabilities: vec!["walkthrough-unencrypted-laptops".into()],
            residual_likelihood: Some(1),
            residual_impact: Some(2),
            plan: Some("Turn on full-disk encryption on every front-desk laptop".into()),
            due: Some(ago(30)),
            done: Some(ago(45)),
            ..risk(
                "stolen-laptop",
                "A front-desk laptop is stolen with charts on it",
                &["front-desk-laptops"],
                "device-theft",
                "Laptops without disk encryption",
            )
        }
        .into(),
    );
    records
}
