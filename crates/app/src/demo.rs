//! The demo: a sample clinic in an empty home, assessed, so a new user sees what a full
//! report looks like before entering a single record of their own.
//!
//! Every record is made through the same register changes as the commands make, so the demo's
//! history is in the ledger like any other; that is also why it refuses a home that holds
//! records: the ledger never forgets, and sample data must not mix with real evidence. For
//! the same reason, without `--home` or `$PHIGUARD_HOME` it seeds a home of its own beside the
//! real one, and it assesses a sample host shipped with it, never the machine it runs on.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use jiff::civil::Date;
use phiguard_core::{ControlId, Source};
use phiguard_register::records::*;
use phiguard_register::{AnyRecord, Change};

use crate::assess::AssessRequest;
use crate::installation::Purpose;
use crate::session::{Session, today};
use crate::{Notices, Options, Progress};

mod risks;

/// The sample tree, under the home, that the demo's file integrity baseline covers.
const TREE: &str = "demo/ehr-share";

/// The sample clinic's ePHI directory (synthetic charts), configured as `ephi_paths` so file
/// integrity counts toward 164.312(c).
const EPHI_TREE: &str = "demo/ehr-data";

/// The sample clinic's EHR server, as a file system the host checks read instead of `/`.
const HOST_TREE: &str = "demo/host";

/// The demo's own home in the XDG data directory, beside the real one (`phiguard`).
const DEMO_HOME: &str = "phiguard-demo";

/// The system the sample host is in the register's access grants.
const SAMPLE_SYSTEM: &str = "ehr-prod";

/// The sample clinic seeded and assessed.
#[derive(Debug)]
pub struct Seeded {
    /// The home it was seeded in.
    pub home: PathBuf,
    /// Its assessment, marked as sample data.
    pub assessment: phiguard_assess::Assessment,
}

/// Seeds the sample clinic in the empty home `options` name (see [`options`]): its register,
/// a file integrity baseline of its shared folder (then a file changed behind it), and
/// assesses it, with its sample host in place of this machine. Refuses a home that holds
/// records or a baseline.
pub async fn seed(
    options: &Options,
    notices: &dyn Notices,
    progress: Arc<dyn Progress>,
) -> anyhow::Result<Seeded> {
    // First pass: make sure the home is empty, then point its FIM rules at the sample tree.
    // The configuration is read when the installation opens, so the seeding and the
    // assessment run in a second opening that sees the new rule.
    Session::run(options, Purpose::Record, notices, async |session| {
        let snapshot = session.register.snapshot().await?;
        let records = snapshot.len();
        let baseline = phiguard_fim::baseline::latest(&session.installation.store).await?;
        anyhow::ensure!(
            records == 0 && baseline.is_none(),
            "this home ({}) already holds {records} register records{}; the demo only seeds an \
             empty home, because sample data must never mix with real evidence. Run it with \
             `phiguard --home /tmp/phiguard-demo demo`.",
            session.installation.home.dir().display(),
            if baseline.is_some() {
                " and a file integrity baseline"
            } else {
                ""
            }
        );
        let home = session.installation.home.dir();
        let tree = home.join(TREE);
        write_sample_tree(&tree, &SAMPLE_SHARE)?;
        let ephi = home.join(EPHI_TREE);
        write_sample_tree(&ephi, &SAMPLE_CHARTS)?;
        write_sample_tree(&home.join(HOST_TREE), &SAMPLE_HOST)?;
        let config_path = session.installation.home.config_path();
        let original = std::fs::read_to_string(&config_path)
            .with_context(|| format!("could not read {}", config_path.display()))?;
        let config = sample_config(&original, session.installation.home.config(), &tree, &ephi);
        if config != original {
            phiguard_home::replace_private_file(&config_path, config.as_bytes())
                .with_context(|| format!("could not write {}", config_path.display()))?;
        }
        Ok(())
    })
    .await?;

    Session::run(options, Purpose::Record, notices, async |session| {
        notices.note("Seeding the sample clinic…");
        let source = Source {
            host: None,
            agent: format!("phiguard/{}", env!("CARGO_PKG_VERSION")),
            actor: Some("phiguard demo".into()),
        };
        let mut records = sample_clinic(today())?;
        records.extend(risks::records(today()));
        let (late, first): (Vec<AnyRecord>, Vec<AnyRecord>) =
            records.into_iter().partition(risks::is_late);
        let create = |records: Vec<AnyRecord>| -> Vec<Change> {
            records.into_iter().map(Change::Create).collect()
        };
        session
            .register
            .apply(&create(first), &source, jiff::Timestamp::now())
            .await?;
        crate::fim::take_baseline(
            &session.installation,
            &crate::fim::ScanRequest::default(),
            "sample clinic, as installed",
            Some("phiguard demo"),
            crate::fim::Paths::Given,
            progress.as_ref(),
        )
        .await?;
        // The risk analysis is made and signed; then the clinic takes on a transcription
        // vendor, which the analysis never considered: the assessment must say it is stale.
        notices.note("Making the sample clinic's risk analysis…");
        let request = crate::risk::AnalyzeRequest {
            prepared_by: Some(risks::PREPARED_BY.into()),
            sign_off: Some(risks::SIGNED_BY.into()),
            ..crate::risk::AnalyzeRequest::default()
        };
        crate::risk::analyze(session, &request, &source, notices).await?;
        session
            .register
            .apply(&create(late), &source, jiff::Timestamp::now())
            .await?;
        // Someone edits a configuration file after the baseline: the assessment must notice.
        let home = session.installation.home.dir();
        let changed = home.join(TREE).join("config/app.toml");
        std::fs::write(&changed, "listen = \"0.0.0.0:8080\"\ntls = false\n")
            .with_context(|| format!("could not write {}", changed.display()))?;

        let request = AssessRequest {
            system: Some(SAMPLE_SYSTEM.into()),
            root: Some(home.join(HOST_TREE)),
            ..AssessRequest::everything(phiguard_assess::Profile::Hipaa)
        };
        let mut assessment =
            crate::assess::assess(session, &request, notices, Arc::clone(&progress)).await?;
        assessment.sample = true;
        Ok(Seeded {
            home: home.to_path_buf(),
            assessment,
        })
    })
    .await
}

/// The home the demo seeds: the one named with `--home` or `$PHIGUARD_HOME`, else its own,
/// `phiguard-demo` in the XDG data directory, so that sample data never lands in the home a
/// user's real evidence goes to.
pub fn options(options: &Options) -> anyhow::Result<Options> {
    let surroundings = phiguard_home::Surroundings::of_process(options.home.clone());
    if phiguard_home::locate(&surroundings)?.source.is_given() {
        return Ok(options.clone());
    }
    let data_dir = surroundings
        .data_dir()
        .ok_or(phiguard_home::NoDataDirectory)?;
    Ok(Options {
        home: Some(data_dir.join(DEMO_HOME)),
        ..options.clone()
    })
}

/// The sample clinic's EHR server: what the host checks read from a file system, with a few
/// deliberate gaps. SSH accepts passwords on their own, auditd is not installed, a `deploy`
/// account has a shell but no access grant (the clinic's staff reach the EHR through its web
/// application, not a shell), and an OpenSSL security update and a tzdata update are pending. Firewall, encryption at rest and TLS need a running system and are reported
/// skipped.
const SAMPLE_HOST: [(&str, &str); 17] = [
    (
        "etc/passwd",
        "root:x:0:0:root:/root:/bin/bash\n\
         daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n\
         sshd:x:100:65534::/run/sshd:/usr/sbin/nologin\n\
         syslog:x:101:104::/nonexistent:/usr/sbin/nologin\n\
         deploy:x:1004:1004:deployment scripts:/home/deploy:/bin/bash\n",
    ),
    (
        // Not a real password hash: the checks only look at whether one is set.
        "etc/shadow",
        "root:!:20000:0:99999:7:::\n\
         daemon:*:20000:0:99999:7:::\n\
         sshd:*:20000:0:99999:7:::\n\
         syslog:*:20000:0:99999:7:::\n\
         deploy:$6$sample$not-a-real-hash:20000:0:99999:7:::\n",
    ),
    ("etc/login.defs", "UID_MIN 1000\nUID_MAX 60000\n"),
    ("etc/shells", "/bin/sh\n/bin/bash\n/usr/bin/bash\n"),
    (
        "etc/sudoers",
        "Defaults env_reset\nroot ALL=(ALL:ALL) ALL\n%sudo ALL=(ALL:ALL) ALL\n",
    ),
    (
        "etc/profile.d/tmout.sh",
        "# Log idle shells out after 15 minutes (164.312(a)(2)(iii)).\nreadonly TMOUT=900\nexport TMOUT\n",
    ),
    (
        "etc/ssh/sshd_config",
        "# Riverside Clinic EHR server (sample)\n\
         PermitRootLogin no\n\
         PasswordAuthentication yes\n\
         KbdInteractiveAuthentication no\n\
         PubkeyAuthentication yes\n\
         Ciphers aes256-gcm@openssh.com,chacha20-poly1305@openssh.com\n\
         MACs hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com\n\
         KexAlgorithms curve25519-sha256,curve25519-sha256@libssh.org\n\
         ClientAliveInterval 300\n\
         ClientAliveCountMax 0\n",
    ),
    (
        "etc/systemd/journald.conf",
        "[Journal]\nStorage=persistent\n",
    ),
    ("var/log/journal/README", "The journal is kept on disk.\n"),
    (
        "etc/rsyslog.conf",
        "module(load=\"imjournal\")\n*.info;mail.none;authpriv.none;cron.none /var/log/messages\n",
    ),
    (
        "etc/rsyslog.d/90-forward.conf",
        "# Every message to the clinic's log server, over TCP.\n*.* @@logs.riverside-clinic.example:6514\n",
    ),
    ("usr/sbin/rsyslogd", ""),
    ("usr/sbin/sshd", ""),
    (
        "var/lib/dpkg/status",
        "Package: openssl\nStatus: install ok installed\nArchitecture: amd64\n\
         Version: 3.0.15-1~deb12u1\nDescription: Secure Sockets Layer toolkit\n\n\
         Package: openssh-server\nStatus: install ok installed\nArchitecture: amd64\n\
         Version: 1:9.2p1-2+deb12u5\nDescription: secure shell (SSH) server\n\n\
         Package: rsyslog\nStatus: install ok installed\nArchitecture: amd64\n\
         Version: 8.2302.0-1\nDescription: reliable system and kernel logging daemon\n\n\
         Package: tzdata\nStatus: install ok installed\nArchitecture: all\n\
         Version: 2024a-0+deb12u1\nDescription: time zone and daylight-saving time data\n",
    ),
    (
        "var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages",
        "Package: openssl\nArchitecture: amd64\nVersion: 3.0.15-1~deb12u1\n\n\
         Package: openssh-server\nArchitecture: amd64\nVersion: 1:9.2p1-2+deb12u5\n\n\
         Package: rsyslog\nArchitecture: amd64\nVersion: 8.2302.0-1\n\n\
         Package: tzdata\nArchitecture: all\nVersion: 2025b-0+deb12u1\n",
    ),
    (
        "var/lib/apt/lists/security.debian.org_debian-security_dists_bookworm-security_main_binary-amd64_Packages",
        "Package: openssl\nArchitecture: amd64\nVersion: 3.0.16-1~deb12u1\n",
    ),
    (
        "README.txt",
        "A sample EHR server's files for the phiguard demo, read by its host checks instead of \
         this machine's. Not a real system.\n",
    ),
];

/// A small shared folder of a clinic's application: forms, configuration, a script.
const SAMPLE_SHARE: [(&str, &str); 4] = [
    (
        "intake/forms.csv",
        "form,version,fields\nnew-patient,7,name;dob;insurance\nconsent,3,signature;date\n",
    ),
    (
        "config/app.toml",
        "listen = \"127.0.0.1:8080\"\ntls = true\n",
    ),
    (
        "bin/nightly-export.sh",
        "#!/bin/sh\nset -eu\nphiguard seal /srv/ehr/export.csv -o /mnt/backup/export.csv.phg\n",
    ),
    (
        "README.txt",
        "Synthetic sample data for the phiguard demo. No real patient data.\n",
    ),
];

/// The clinic's ePHI directory: synthetic charts, no real patient.
const SAMPLE_CHARTS: [(&str, &str); 2] = [
    (
        "charts/p-0001.json",
        "{\"patient\": \"SYNTHETIC-0001\", \"allergies\": [\"penicillin\"]}\n",
    ),
    (
        "README.txt",
        "Synthetic charts for the phiguard demo. No real patient data.\n",
    ),
];

fn write_sample_tree(tree: &Path, files: &[(&str, &str)]) -> anyhow::Result<()> {
    for (name, content) in files {
        let path = tree.join(name);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("could not create {}", dir.display()))?;
        }
        std::fs::write(&path, content)
            .with_context(|| format!("could not write {}", path.display()))?;
    }
    Ok(())
}

/// The configuration the sample clinic is assessed under: a covered entity (unless the home
/// states a role already), file integrity over the shared folder, and the charts directory as
/// its ePHI. Settings the user made are left as they are.
fn sample_config(text: &str, config: &phiguard_home::Config, share: &Path, ephi: &Path) -> String {
    let mut text = text.to_owned();
    let quoted = |path: &Path| phiguard_home::toml_string(&path.display().to_string());
    if config.organization.role.is_none() && config.organization.scope.is_none() {
        text = text.replacen(
            "\n# role = \"covered_entity\"\n",
            "\nrole = \"covered_entity\"\nscope = \"Riverside Clinic, sample data seeded by `phiguard demo`\"\n",
            1,
        );
    }
    if config.fim.rules.is_empty() && config.fim.ephi_paths.is_empty() {
        text = text.replacen(
            "\nephi_paths = []\n",
            &format!("\nephi_paths = [{}]\n", quoted(ephi)),
            1,
        );
        text.push_str(&format!(
            "\n# Added by `phiguard demo`: the sample clinic's shared folder.\n[[fim.rule]]\npath = {}\nattributes = [\"full\"]\n",
            quoted(share)
        ));
    }
    text
}

fn shift(today: Date, days: i64) -> Date {
    today
        .checked_add(jiff::Span::new().days(days))
        .unwrap_or(today)
}

fn control(citation: &str) -> anyhow::Result<ControlId> {
    citation
        .parse()
        .map_err(|e| anyhow::anyhow!("sample citation {citation}: {e}"))
}

/// The sample clinic's records, in the order they can be created.
fn sample_clinic(today: Date) -> anyhow::Result<Vec<AnyRecord>> {
    let ago = |days: i64| shift(today, -days);
    let ahead = |days: i64| shift(today, days);
    let mut records: Vec<AnyRecord> = Vec::new();

    let vendor = |id: &str, name: &str, service: &str, touches_phi: bool| Vendor {
        id: id.into(),
        name: name.into(),
        services: vec![service.into()],
        touches_phi,
        phi_uses: Vec::new(),
        phi_encrypted_only: false,
        systems: vec!["ehr-prod".into()],
        contact: None,
        notes: None,
    };
    records.push(
        vendor(
            "northwind-cloud",
            "Northwind Cloud",
            "hosting and backups",
            true,
        )
        .into(),
    );
    records.push(vendor("contoso-mail", "Contoso Mail", "e-mail", true).into());
    records.push(
        vendor(
            "fabrikam-billing",
            "Fabrikam Billing",
            "claims processing",
            true,
        )
        .into(),
    );
    records.push(
        vendor(
            "litware-transcription",
            "Litware Transcription",
            "dictation",
            true,
        )
        .into(),
    );
    // Keeps the clinic's backup tapes, encrypted, without the key: still a business associate,
    // and no BAA was ever signed.
    records.push(
        Vendor {
            phi_uses: vec![PhiUse::Maintains],
            phi_encrypted_only: true,
            ..vendor("adatum-vault", "Adatum Vault", "offsite backup media", true)
        }
        .into(),
    );
    records.push(
        vendor(
            "tailspin-supplies",
            "Tailspin Supplies",
            "office supplies",
            false,
        )
        .into(),
    );

    let baa =
        |id: &str, vendor: &str, signed: Date, expires: Date, notice: u32, destroy: bool| Baa {
            id: id.into(),
            vendor: vendor.into(),
            status: BaaStatus::Signed,
            signed: Some(signed),
            effective: Some(signed),
            expires: Some(expires),
            breach_notice_days: Some(notice),
            return_or_destroy: destroy,
            subcontractor_flow_down: true,
            security_incident_reporting: true,
            document: None,
        };
    records.push(
        baa(
            "northwind-2025",
            "northwind-cloud",
            ago(300),
            ahead(430),
            30,
            true,
        )
        .into(),
    );
    // Up for renewal soon.
    records.push(
        baa(
            "contoso-2024",
            "contoso-mail",
            ago(690),
            ahead(40),
            15,
            true,
        )
        .into(),
    );
    // Signed, but gives the vendor 90 days to report a breach and lacks the return and
    // security-incident clauses.
    records.push(
        Baa {
            security_incident_reporting: false,
            ..baa(
                "litware-2025",
                "litware-transcription",
                ago(200),
                ahead(530),
                90,
                false,
            )
        }
        .into(),
    );
    // The hosting provider's SOC 2 Type II report, for a period that ended three months ago:
    // the controls the matrix gives Northwind rest on it and on its BAA.
    records.push(
        AssuranceReport {
            id: "northwind-soc2-2026".into(),
            vendor: "northwind-cloud".into(),
            kind: AssuranceKind::Soc2Type2,
            period_start: ago(455),
            period_end: ago(90),
            issuer: "Example Assurance LLP".into(),
            scope: Some("compute, block storage and backups, us-east".into()),
            document: None,
        }
        .into(),
    );
    // Adatum Vault keeps audited records too, but that does not replace a BAA.
    records.push(
        AssuranceReport {
            id: "adatum-iso27001".into(),
            vendor: "adatum-vault".into(),
            kind: AssuranceKind::Iso27001,
            period_start: ago(300),
            period_end: ago(60),
            issuer: "Example Certification Body".into(),
            scope: None,
            document: None,
        }
        .into(),
    );
    // Fabrikam Billing handles claims with PHI and has no BAA at all.

    records.push(
        Sla {
            id: "northwind-cloud".into(),
            vendor: "northwind-cloud".into(),
            availability_percent: Some(99.95),
            rpo_hours: Some(1.0),
            rto_hours: Some(4.0),
            backup_frequency_hours: Some(24.0),
            // Seven years: the six of 164.316(b)(2)(i), with a margin.
            retention_days: Some(2557),
            incident_notice_hours: Some(24),
        }
        .into(),
    );
    let restore = |system: &str, vendor: Option<&str>, date: Date, hours: f64| RestoreTest {
        id: RestoreTest::default_id(system, date),
        system: system.into(),
        vendor: vendor.map(str::to_owned),
        date,
        result: RestoreResult::Success,
        hours_to_restore: Some(hours),
        notes: None,
    };
    records.push(restore("ehr-prod", Some("northwind-cloud"), ago(200), 6.5).into());
    // The billing portal's last restore test is more than a year old.
    records.push(restore("billing-portal", None, ago(400), 3.0).into());

    // Who carries what. Northwind Cloud carries the data centre's physical safeguards: done
    // right, with a BAA in force and a current SOC 2 Type II report, so they are met by
    // inheritance. Done wrong: media accountability left to Adatum Vault, which has no BAA
    // (partial, naming the missing link), and the disaster recovery plan left to Northwind,
    // which no provider can carry for the clinic (a failing finding).
    let northwind = Some("northwind-cloud");
    let matrix: [(&str, Responsibility, Option<&str>, Option<&str>); 15] = [
        ("164.310(a)(1)", Responsibility::Provider, None, northwind),
        (
            "164.310(a)(2)(i)",
            Responsibility::Provider,
            None,
            northwind,
        ),
        (
            "164.310(a)(2)(iii)",
            Responsibility::Provider,
            None,
            northwind,
        ),
        (
            "164.310(a)(2)(iv)",
            Responsibility::Provider,
            None,
            northwind,
        ),
        (
            "164.310(d)(2)(i)",
            Responsibility::Provider,
            None,
            northwind,
        ),
        (
            "164.310(d)(2)(ii)",
            Responsibility::Provider,
            None,
            northwind,
        ),
        (
            "164.310(d)(2)(iii)",
            Responsibility::Provider,
            None,
            Some("adatum-vault"),
        ),
        (
            "164.308(a)(7)(ii)(B)",
            Responsibility::Provider,
            None,
            northwind,
        ),
        (
            "164.312(a)(2)(iv)",
            Responsibility::Shared,
            Some("Platform team"),
            northwind,
        ),
        (
            "164.312(b)",
            Responsibility::Shared,
            Some("Platform team"),
            northwind,
        ),
        // Shared, and nobody named: the matrix check fails it.
        ("164.312(e)(1)", Responsibility::Shared, None, northwind),
        (
            "164.308(a)(5)(i)",
            Responsibility::Customer,
            Some("Compliance office"),
            None,
        ),
        (
            "164.308(a)(7)(ii)(A)",
            Responsibility::Shared,
            Some("Platform team"),
            northwind,
        ),
        (
            "164.308(a)(4)(ii)(A)",
            Responsibility::NotApplicable,
            None,
            None,
        ),
        ("164.314(b)(1)", Responsibility::NotApplicable, None, None),
    ];
    for (citation, responsibility, owner, vendor) in matrix {
        let mut row = ResponsibilityRecord::new(control(citation)?, responsibility);
        row.owner = owner.map(str::to_owned);
        row.vendor = vendor.map(str::to_owned);
        records.push(row.into());
    }

    let person = |id: &str, name: &str, role: &str, phi: bool, left: Option<Date>| Person {
        id: id.into(),
        name: name.into(),
        email: format!("{id}@riverside-clinic.example"),
        role: role.into(),
        started: ago(1500),
        left,
        phi_access: phi,
    };
    records.push(person("alice", "Dr. Alice Ng", "clinician", true, None).into());
    records.push(person("bob", "Bob Stone", "nurse", true, None).into());
    records.push(person("carol", "Carol Diaz", "billing", true, None).into());
    // Left three weeks ago; the EHR grant was never revoked.
    records.push(person("dave", "Dave Kim", "engineer", true, Some(ago(21))).into());
    records.push(person("erin", "Erin Lee", "front-desk", false, None).into());

    records.push(
        Course {
            id: "hipaa-basics".into(),
            title: "HIPAA security awareness".into(),
            interval_months: 12,
            roles: Vec::new(),
        }
        .into(),
    );
    let completion = |person: &str, date: Date| Completion {
        id: Completion::default_id(person, "hipaa-basics", date),
        person: person.into(),
        course: "hipaa-basics".into(),
        completed: date,
        evidence_sha256: None,
    };
    records.push(completion("alice", ago(100)).into());
    // Bob's training lapsed; Carol's is due within the month.
    records.push(completion("bob", ago(380)).into());
    records.push(completion("carol", ago(350)).into());
    records.push(completion("dave", ago(200)).into());

    records.push(
        Policy {
            id: "acceptable-use".into(),
            title: "Acceptable use of systems and data".into(),
            version: "3".into(),
            approver: "Dana Ruiz, Security Officer".into(),
            approved: ago(60),
            roles: Vec::new(),
        }
        .into(),
    );
    let acknowledgment = |person: &str, version: &str| Acknowledgment {
        id: Acknowledgment::default_id(person, "acceptable-use", version),
        person: person.into(),
        policy: "acceptable-use".into(),
        version: version.into(),
        acknowledged: ago(50),
    };
    records.push(acknowledgment("alice", "3").into());
    records.push(acknowledgment("carol", "3").into());
    // Bob acknowledged the previous version only.
    records.push(acknowledgment("bob", "2").into());

    // People sign in to these applications, not to a shell on their servers: no host account
    // (the sample host's one shell account, `deploy`, has no grant at all).
    let grant = |id: &str, person: &str, system: &str, expires: Option<Date>| Grant {
        id: id.into(),
        person: person.into(),
        system: system.into(),
        role: "user".into(),
        account: None,
        approver: "Dana Ruiz, Security Officer".into(),
        justification: "patient care".into(),
        granted: ago(700),
        expires,
        revoked: None,
    };
    records.push(grant("alice-ehr", "alice", "ehr-prod", None).into());
    records.push(grant("bob-ehr", "bob", "ehr-prod", None).into());
    records.push(grant("dave-ehr", "dave", "ehr-prod", None).into());
    records.push(grant("carol-billing", "carol", "billing-portal", None).into());
    // A contractor VPN grant that expired but was never revoked.
    records.push(grant("erin-vpn", "erin", "vpn", Some(ago(10))).into());

    let review = |system: &str, started: Date, grants: &[&str]| Review {
        id: Review::default_id(system, started),
        system: system.into(),
        started,
        grants: grants.iter().map(|g| (*g).to_owned()).collect(),
        decisions: grants
            .iter()
            .map(|g| ReviewDecision {
                grant: (*g).to_owned(),
                decision: Decision::Keep,
                reviewer: "Dana Ruiz, Security Officer".into(),
                comment: "still needed".into(),
                date: shift(started, 3),
            })
            .collect(),
        closed: Some(shift(started, 5)),
    };
    // The EHR's last review closed four months ago: overdue.
    records.push(review("ehr-prod", ago(125), &["alice-ehr", "bob-ehr", "dave-ehr"]).into());
    records.push(review("billing-portal", ago(25), &["carol-billing"]).into());

    let attestation = |citation: &str, statement: &str, date: Date| Attestation {
        control: citation.into(),
        by: "Dana Ruiz, Security Officer".into(),
        statement: statement.into(),
        date,
        evidence: None,
    };
    records.push(
        attestation(
            "164.310(a)(2)(ii)",
            "Facility security plan reviewed; badge access to the server room audited.",
            ago(100),
        )
        .into(),
    );
    // More than a year old: the assessment reports it lapsed.
    records.push(
        attestation(
            "164.308(a)(1)(ii)(C)",
            "Sanction policy applied as written to the two incidents of the year.",
            ago(400),
        )
        .into(),
    );
    records.extend(sample_incidents(today)?);
    Ok(records)
}

/// Two incidents: the hosting provider reports a storage bucket left open five days after it
/// found it, far past the 24 hours its SLA promises; the clinic assessed it as a breach and
/// has told the individuals. And a misdirected fax nobody has assessed two weeks on.
fn sample_incidents(today: Date) -> anyhow::Result<Vec<AnyRecord>> {
    let at = |days: i64, hour: i8| -> anyhow::Result<jiff::Timestamp> {
        let day = shift(today, -days);
        Ok(jiff::tz::Offset::UTC.to_timestamp(day.at(hour, 0, 0, 0))?)
    };
    let bucket = "northwind-bucket";
    let mut records: Vec<AnyRecord> = vec![
        Incident {
            id: bucket.into(),
            title: "Backup bucket readable from the internet".into(),
            description: Some(
                "Northwind Cloud reports that a storage bucket holding the clinic's nightly \
                 exports allowed anonymous reads for nine days; its access logs show downloads \
                 from two addresses."
                    .into(),
            ),
            source: IncidentSource::CloudProvider,
            reported_by: "Northwind Cloud security team".into(),
            discovered: at(20, 9)?,
            occurred_from: Some(shift(today, -34)),
            occurred_to: Some(shift(today, -25)),
            systems: vec!["ehr-prod".into()],
            vendors: vec!["northwind-cloud".into()],
            baa: Some("northwind-2025".into()),
            vendor_discovered: Some(at(25, 14)?),
            phi: vec![PhiKind::Names, PhiKind::Dates, PhiKind::Diagnoses],
            affected: vec![
                StateCount {
                    state: "OH".into(),
                    count: 230,
                },
                StateCount {
                    state: "PA".into(),
                    count: 12,
                },
            ],
            insufficient_contacts: None,
            individuals: Vec::new(),
            status: IncidentStatus::Notifying,
            consequences: Some(
                "Exports of 242 patients' visit summaries may have been downloaded.".into(),
            ),
        }
        .into(),
    ];
    for (phase, days, hour, note) in [
        (
            Phase::Detection,
            20,
            9,
            "Northwind Cloud's report received by the security officer.",
        ),
        (
            Phase::Containment,
            20,
            11,
            "Anonymous access removed; bucket policy now denies reads outside the clinic.",
        ),
        (
            Phase::Mitigation,
            17,
            15,
            "Exports rotated and the old ones deleted; download addresses reported to Northwind.",
        ),
    ] {
        let when = at(days, hour)?;
        records.push(
            IncidentEvent {
                id: IncidentEvent::default_id(bucket, phase, when),
                incident: bucket.into(),
                phase,
                at: when,
                note: note.into(),
                by: Some("Dana Ruiz, Security Officer".into()),
            }
            .into(),
        );
    }
    records.push(
        BreachAssessment {
            id: bucket.into(),
            incident: bucket.into(),
            role: phiguard_breach::Role::CoveredEntity,
            exclusion: None,
            exclusion_rationale: Some(
                "Downloads by unknown outside parties: none of the three exclusions applies."
                    .into(),
            ),
            secured: false,
            secured_rationale: Some(
                "The exports were not encrypted with a key the clinic holds.".into(),
            ),
            sealed_evidence: None,
            nature: Some(Risk::High),
            nature_rationale: Some("Names with dates of birth and diagnoses.".into()),
            recipient: Some(Risk::High),
            recipient_rationale: Some("Unknown parties on the internet.".into()),
            acquired: Some(Risk::High),
            acquired_rationale: Some("The access logs show the files downloaded.".into()),
            mitigated: Some(Risk::Medium),
            mitigated_rationale: Some(
                "Access closed the day it was reported; the copies cannot be recalled.".into(),
            ),
            conclusion: Conclusion::Notifiable,
            decided_by: "Dana Ruiz, Security Officer".into(),
            decided: shift(today, -18),
            delay: None,
            delay_stated: None,
            delay_until: None,
            baa_window_days: None,
        }
        .into(),
    );
    records.push(
        BreachNotice {
            id: BreachNotice::default_id(bucket, phiguard_breach::Recipient::Individuals, None),
            incident: bucket.into(),
            recipient: phiguard_breach::Recipient::Individuals,
            jurisdiction: None,
            sent: shift(today, -6),
            method: Some("first-class mail".into()),
            count: Some(242),
            document: None,
        }
        .into(),
    );
    records.push(
        Incident {
            id: "misdirected-fax".into(),
            title: "Referral faxed to the wrong practice".into(),
            description: None,
            source: IncidentSource::Workforce,
            reported_by: "Front desk".into(),
            discovered: at(14, 16)?,
            occurred_from: Some(shift(today, -14)),
            occurred_to: Some(shift(today, -14)),
            systems: Vec::new(),
            vendors: Vec::new(),
            baa: None,
            vendor_discovered: None,
            phi: vec![PhiKind::Names, PhiKind::Diagnoses],
            affected: vec![StateCount {
                state: "OH".into(),
                count: 1,
            }],
            insufficient_contacts: None,
            individuals: Vec::new(),
            status: IncidentStatus::Open,
            consequences: None,
        }
        .into(),
    );
    Ok(records)
}
