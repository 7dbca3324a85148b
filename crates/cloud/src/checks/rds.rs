//! RDS: databases (instances and Aurora clusters) encrypted at rest, not reachable from the
//! internet, backed up for at least a week, standing in more than one zone, refusing
//! connections without TLS, and no manual snapshot public.

use phiguard_core::{CheckMeta, Finding, Severity};

use super::{Rule, Scope, Verdict, days, each};
use crate::inventory::DbInstance;

pub(super) fn rules() -> Vec<Rule> {
    vec![
        Rule::new(
            "cloud.aws.rds.storage_encryption",
            "rds",
            "RDS databases encrypt their storage",
            Severity::High,
            "45 CFR 164.312(a)(2)(iv) asks for encryption of ePHI at rest, and HHS's breach \
             guidance counts only encrypted data as secured (164.402). RDS encryption covers \
             the storage, its automated backups, read replicas and snapshots; it can only be \
             chosen when the database is created.",
            "Console: RDS > Snapshots > take a snapshot of the database, Actions > Copy \
             snapshot with Enable encryption and a KMS key, then Restore snapshot and move \
             clients to the new database. CLI: `aws rds create-db-snapshot \
             --db-instance-identifier DB --db-snapshot-identifier SNAP`, `aws rds \
             copy-db-snapshot --source-db-snapshot-identifier SNAP \
             --target-db-snapshot-identifier SNAP-ENC --kms-key-id KEY`, `aws rds \
             restore-db-instance-from-db-snapshot --db-instance-identifier DB-ENC \
             --db-snapshot-identifier SNAP-ENC`.",
            storage_encryption,
        ),
        Rule::new(
            "cloud.aws.rds.public_access",
            "rds",
            "RDS databases are not reachable from the internet",
            Severity::Critical,
            "45 CFR 164.312(a)(1) limits access to ePHI to those granted it, and \
             164.312(e)(1) guards it on the network. A publicly accessible database has an \
             address on the internet; one security group rule then separates it from anyone.",
            "Console: RDS > Databases > DB > Modify > Connectivity > Additional \
             configuration, choose Not publicly accessible, Apply immediately. CLI: `aws rds \
             modify-db-instance --db-instance-identifier DB --no-publicly-accessible \
             --apply-immediately`.",
            public_access,
        ),
        Rule::new(
            "cloud.aws.rds.backup_retention",
            "rds",
            "RDS databases keep automated backups for at least 7 days",
            Severity::Medium,
            "45 CFR 164.308(a)(7)(ii)(A) asks for retrievable exact copies of ePHI, and \
             164.308(a)(7)(ii)(B) for restoring lost data. With no automated backups there is \
             no point-in-time recovery; under a week, a problem found on Monday may be older \
             than every backup.",
            "Console: RDS > Databases > DB > Modify > Backup, set the Backup retention period \
             to 7 days or more, Apply immediately. CLI: `aws rds modify-db-instance \
             --db-instance-identifier DB --backup-retention-period 7 --apply-immediately` (for \
             a cluster: `aws rds modify-db-cluster --db-cluster-identifier CLUSTER \
             --backup-retention-period 7`).",
            backup_retention,
        ),
        Rule::new(
            "cloud.aws.rds.multi_az",
            "rds",
            "RDS databases stand in more than one availability zone",
            Severity::Low,
            "45 CFR 164.308(a)(7)(ii)(C) asks for an emergency mode operation plan that keeps \
             ePHI available. A Multi-AZ database fails over to a standby in another zone \
             within minutes; a single-zone one waits for the zone to return or a restore.",
            "Console: RDS > Databases > DB > Modify > Availability and durability, choose \
             Create a standby instance. CLI: `aws rds modify-db-instance \
             --db-instance-identifier DB --multi-az --apply-immediately` (for Aurora: `aws rds \
             create-db-instance --db-cluster-identifier CLUSTER --db-instance-identifier \
             READER --engine ENGINE --db-instance-class CLASS` in another zone).",
            multi_az,
        ),
        Rule::new(
            "cloud.aws.rds.snapshot_public",
            "rds",
            "no RDS snapshot is public",
            Severity::Critical,
            "45 CFR 164.312(a)(1) limits access to ePHI to those granted it. Any AWS account \
             can restore a public snapshot into a database of its own and read every row.",
            "Console: RDS > Snapshots > Manual > SNAPSHOT > Actions > Share snapshot, choose \
             Private. CLI: `aws rds modify-db-snapshot-attribute --db-snapshot-identifier \
             SNAPSHOT --attribute-name restore --values-to-remove all`.",
            snapshot_public,
        ),
        Rule::new(
            "cloud.aws.rds.tls_required",
            "rds",
            "RDS databases refuse connections without TLS",
            Severity::High,
            "45 CFR 164.312(e)(1) and (e)(2)(ii) ask to guard and encrypt ePHI in transmission. \
             RDS offers TLS but accepts plain connections unless the parameter group forces \
             it: rds.force_ssl=1 for PostgreSQL and SQL Server, require_secure_transport=ON \
             for MySQL and MariaDB.",
            "Console: RDS > Parameter groups > Create a custom group for the engine (a default \
             group cannot be changed), set rds.force_ssl to 1 or require_secure_transport to \
             ON, then Databases > DB > Modify > DB parameter group and reboot. CLI: `aws rds \
             modify-db-parameter-group --db-parameter-group-name GROUP --parameters \
             ParameterName=rds.force_ssl,ParameterValue=1,ApplyMethod=pending-reboot` (for a \
             cluster: `aws rds modify-db-cluster-parameter-group`).",
            tls_required,
        ),
    ]
}

const NO_DATABASES: &str = "no RDS database in the regions scanned";

/// "DB instance", "DB cluster", "DB instance of cluster X", with its state when it is not
/// running ("DB instance (stopped)"): a stopped database still holds its data.
fn kind(db: &DbInstance) -> String {
    let what = match (&db.cluster, db.is_cluster) {
        (_, true) => "DB cluster".to_owned(),
        (Some(cluster), false) => format!("DB instance of cluster {cluster}"),
        (None, false) => "DB instance".to_owned(),
    };
    if db.status.is_empty() || db.status == "available" {
        what
    } else {
        format!("{what} ({})", db.status)
    }
}

/// An instance of a cluster keeps the cluster's storage, backups and parameters: those are
/// judged once, on the cluster.
fn judged_on_cluster(db: &DbInstance) -> Option<Verdict> {
    db.cluster.as_ref().map(|cluster| {
        Verdict::NotApplicable(format!(
            "an instance of cluster {cluster}, which is judged for it"
        ))
    })
}

fn storage_encryption(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    each(
        meta,
        scope,
        &scope.inventory.rds.instances,
        |db| &db.resource,
        |db| {
            if let Some(verdict) = judged_on_cluster(db) {
                return verdict;
            }
            match (db.storage_encrypted, &db.kms_key) {
                (true, Some(key)) => Verdict::Pass(format!("{} encrypted under {key}", kind(db))),
                (true, None) => Verdict::Pass(format!("{} encrypted", kind(db))),
                (false, _) => Verdict::Fail(format!(
                    "{} not encrypted at rest ({})",
                    kind(db),
                    db.engine
                )),
            }
        },
        NO_DATABASES,
    )
}

fn public_access(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    each(
        meta,
        scope,
        &scope.inventory.rds.instances,
        |db| &db.resource,
        |db| {
            if db.is_cluster && !db.publicly_accessible {
                // An Aurora cluster has no address of its own to publish: each instance does.
                return Verdict::NotApplicable(
                    "whether it can be reached from the internet is set on each of its \
                     instances, which are judged for it"
                        .into(),
                );
            }
            if db.publicly_accessible {
                Verdict::Fail(format!(
                    "{} is publicly accessible: it has an address on the internet",
                    kind(db)
                ))
            } else {
                Verdict::Pass(format!("{} is not publicly accessible", kind(db)))
            }
        },
        NO_DATABASES,
    )
}

/// Days of automated backups below which a database is warned of.
const BACKUP_DAYS_WANTED: u32 = 7;

/// The verdict on keeping automated backups `retention` days: none fails, under a week warns.
pub(crate) fn retention_verdict(what: &str, retention: u32) -> Verdict {
    match retention {
        0 => Verdict::Fail(format!(
            "{what} keeps no automated backups: no point-in-time recovery"
        )),
        n if n < BACKUP_DAYS_WANTED => Verdict::Warn(format!(
            "{what} keeps automated backups {}, under {}",
            days(i64::from(n)),
            days(i64::from(BACKUP_DAYS_WANTED))
        )),
        n => Verdict::Pass(format!(
            "{what} keeps automated backups {}",
            days(i64::from(n))
        )),
    }
}

fn backup_retention(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    each(
        meta,
        scope,
        &scope.inventory.rds.instances,
        |db| &db.resource,
        |db| {
            judged_on_cluster(db)
                .unwrap_or_else(|| retention_verdict(&kind(db), db.backup_retention_days))
        },
        NO_DATABASES,
    )
}

fn multi_az(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    each(
        meta,
        scope,
        &scope.inventory.rds.instances,
        |db| &db.resource,
        |db| {
            if let Some(verdict) = judged_on_cluster(db) {
                return verdict;
            }
            if db.multi_az {
                Verdict::Pass(format!("{} stands in more than one zone", kind(db)))
            } else {
                Verdict::Warn(format!(
                    "{} stands in one availability zone, with no standby",
                    kind(db)
                ))
            }
        },
        NO_DATABASES,
    )
}

fn snapshot_public(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    each(
        meta,
        scope,
        &scope.inventory.rds.snapshots,
        |s| &s.resource,
        |s| {
            Verdict::on(&s.public, |public| {
                let encrypted = if s.encrypted {
                    "encrypted"
                } else {
                    "not encrypted"
                };
                if *public {
                    Verdict::Fail(format!(
                        "public ({encrypted}): any AWS account may restore it"
                    ))
                } else {
                    Verdict::Pass(format!("not public ({encrypted})"))
                }
            })
        },
        "no manual RDS snapshot in the regions scanned",
    )
}

fn tls_required(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    each(
        meta,
        scope,
        &scope.inventory.rds.instances,
        |db| &db.resource,
        |db| {
            if let Some(verdict) = judged_on_cluster(db) {
                return verdict;
            }
            let group = db
                .parameter_group
                .as_deref()
                .unwrap_or("its parameter group");
            Verdict::on(&db.tls_required, |parameter| match parameter {
                None => Verdict::NotApplicable(format!(
                    "phiguard knows no parameter that forces TLS for the {} engine",
                    db.engine
                )),
                Some(p) if p.enforced() => Verdict::Pass(format!(
                    "{group} sets {} to {}",
                    p.name,
                    p.value.as_deref().unwrap_or_default()
                )),
                Some(p) => Verdict::Fail(format!(
                    "{group} leaves {} at {}, so plain connections are accepted",
                    p.name,
                    p.value.as_deref().unwrap_or("the engine's default")
                )),
            })
        },
        NO_DATABASES,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_backups_fail_under_a_week_warns_a_week_passes() {
        assert!(matches!(retention_verdict("DB", 0), Verdict::Fail(_)));
        assert!(matches!(retention_verdict("DB", 1), Verdict::Warn(_)));
        assert!(matches!(retention_verdict("DB", 6), Verdict::Warn(_)));
        assert!(matches!(retention_verdict("DB", 7), Verdict::Pass(_)));
        assert!(matches!(retention_verdict("DB", 35), Verdict::Pass(_)));
    }

    #[test]
    fn only_on_or_1_forces_tls() {
        use crate::inventory::TlsParameter;
        let with = |value: Option<&str>| TlsParameter {
            name: "require_secure_transport".into(),
            value: value.map(str::to_owned),
        };
        assert!(with(Some("1")).enforced());
        assert!(with(Some("ON")).enforced());
        assert!(with(Some("on")).enforced());
        assert!(!with(Some("0")).enforced());
        assert!(!with(Some("OFF")).enforced());
        assert!(!with(None).enforced());
    }
}
