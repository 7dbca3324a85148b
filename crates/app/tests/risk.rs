//! `phiguard_app::risk`, in process on a real installation, on SQLite and on PostgreSQL: the
//! asset inventory built from a real host check and real register records, findings placed
//! on the assets they concern, seen assets recorded with what people add, assets imported
//! from YAML (and a bad file refused whole), risks accepted, and the analysis recorded whole
//! in the ledger, signed off only while its document is intact.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failure with its location

use std::path::{Path, PathBuf};
use std::sync::Arc;

use phiguard_app::risk::{AnalyzeRequest, AssetImport};
use phiguard_app::{Options, Purpose, Session, Silent, Unwatched};
use phiguard_core::Status;
use phiguard_register::records::*;
use phiguard_register::{AnyRecord, Kind};
use phiguard_risk::inventory::Source as Seen;
use phiguard_risk::risks::TreatmentState;

fn actor() -> phiguard_core::Source {
    phiguard_app::session::change_source(Some("Dana Ruiz, Security Officer"))
}

fn vendor(id: &str, touches_phi: bool) -> AnyRecord {
    Vendor {
        id: id.into(),
        name: format!("{id} Inc."),
        services: vec!["hosting".into()],
        touches_phi,
        phi_uses: Vec::new(),
        phi_encrypted_only: false,
        systems: vec!["ehr-prod".into()],
        contact: None,
        notes: None,
    }
    .into()
}

/// A host's file system with an SSH server that lets root log in: a real host check of it
/// fails, and the finding belongs to that host.
fn host_root(dir: &Path) -> PathBuf {
    let root = dir.join("root");
    std::fs::create_dir_all(root.join("etc/ssh")).unwrap();
    std::fs::write(
        root.join("etc/ssh/sshd_config"),
        "PermitRootLogin yes\nPasswordAuthentication yes\n",
    )
    .unwrap();
    std::fs::write(root.join("etc/passwd"), "root:x:0:0:root:/root:/bin/bash\n").unwrap();
    root
}

/// Opens a home whose phiguard.toml names `ephi` as an ePHI path.
async fn open_with_ephi(options: &Options, ephi: &Path) -> Session {
    let first = Session::open(options, Purpose::Record, &Silent)
        .await
        .unwrap();
    let config = first.installation.home.config_path();
    first.close().await.unwrap();
    let text = std::fs::read_to_string(&config).unwrap();
    let text = text.replace(
        "ephi_paths = []",
        &format!("ephi_paths = [{:?}]", ephi.display().to_string()),
    );
    assert!(text.contains("ephi_paths = [\""), "{text}");
    std::fs::write(&config, text).unwrap();
    Session::open(options, Purpose::Record, &Silent)
        .await
        .unwrap()
}

async fn the_inventory_is_built_from_what_phiguard_sees_and_what_people_record(
    options: &Options,
    dir: &Path,
) {
    let ephi = dir.join("ehr-data");
    std::fs::create_dir_all(&ephi).unwrap();
    let session = open_with_ephi(options, &ephi).await;
    let source = actor();

    // Before anything is seen or recorded there is no asset, and no analysis.
    let empty = phiguard_app::risk::gather(&session).await.unwrap();
    assert_eq!(
        empty
            .picture
            .assets
            .iter()
            .map(|a| a.id())
            .collect::<Vec<_>>(),
        [phiguard_risk::inventory::path_id(
            &ephi.display().to_string()
        )],
        "only the configured ePHI path is known"
    );

    let request = phiguard_app::host::CheckRequest {
        root: host_root(dir),
        areas: Vec::new(),
        system: None,
    };
    let host_run =
        phiguard_app::host::run_checks(&session.installation, &request, Arc::new(Unwatched))
            .await
            .unwrap();
    for record in [vendor("acme-cloud", true), vendor("tailspin", false)] {
        phiguard_app::register::add(&session, record, &source, &Silent)
            .await
            .unwrap();
    }
    let register_run = phiguard_app::register::check(&session).await.unwrap();

    let gathered = phiguard_app::risk::gather(&session).await.unwrap();
    let picture = &gathered.picture;
    let ids: Vec<&str> = picture.assets.iter().map(|a| a.id()).collect();
    let host_id = phiguard_risk::inventory::host_id(&host_run.host);
    assert!(ids.contains(&host_id.as_str()), "{ids:?}");
    assert!(ids.contains(&"vendor:acme-cloud"), "{ids:?}");
    assert!(
        !ids.contains(&"vendor:tailspin"),
        "a vendor without PHI is no ePHI asset: {ids:?}"
    );
    assert!(ids.contains(&"system:ehr-prod"), "{ids:?}");

    // Each seen asset says where it was seen, with the ledger entry and when.
    let host = picture.asset(&host_id).unwrap();
    assert_eq!(host.origins[0].source, Seen::HostCheck);
    assert_eq!(host.origins[0].evidence, Some(host_run.recorded.evidence));
    assert!(host.origins[0].seen_at.is_some());
    assert!(
        !host.holds_ephi(),
        "an image's host is not this machine with the ePHI paths"
    );
    let acme = picture.asset("vendor:acme-cloud").unwrap();
    assert_eq!(acme.origins[0].source, Seen::RegisterVendor);
    let snapshot = session.register.snapshot().await.unwrap();
    assert_eq!(
        acme.origins[0].evidence,
        snapshot.evidence_of(Kind::Vendor, "acme-cloud")
    );
    assert!(acme.holds_ephi());
    assert!(
        picture.asset("system:ehr-prod").unwrap().holds_ephi(),
        "a system a PHI vendor serves keeps ePHI"
    );

    // Findings are placed on their assets: the host's failing SSH finding on the host, the
    // register's finding about acme's missing BAA on acme.
    let on_host: Vec<_> = gathered
        .observed
        .iter()
        .filter(|o| o.asset == host_id)
        .collect();
    assert!(!on_host.is_empty());
    assert!(
        on_host
            .iter()
            .all(|o| o.finding.check.namespace() == "host")
    );
    let baa_failures: Vec<_> = register_run
        .findings()
        .iter()
        .filter(|f| f.status == Status::Fail && f.subject == "vendor acme-cloud")
        .collect();
    assert!(!baa_failures.is_empty(), "{:#?}", register_run.findings());
    assert!(
        gathered
            .observed
            .iter()
            .any(|o| o.asset == "vendor:acme-cloud"
                && o.finding.subject == "vendor acme-cloud"
                && o.finding.status == Status::Fail)
    );
    let vulnerable: Vec<&str> = picture
        .vulnerabilities
        .iter()
        .flat_map(|v| v.assets.iter().map(String::as_str))
        .collect();
    assert!(vulnerable.contains(&host_id.as_str()), "{vulnerable:?}");
    assert!(vulnerable.contains(&"vendor:acme-cloud"), "{vulnerable:?}");

    // People add what no machine knows to a seen asset: it is recorded, and stays seen.
    let values: phiguard_register::draft::Values = serde_json::from_value(serde_json::json!({
        "owner": "Sam Lee, IT lead",
        "criticality": "critical",
    }))
    .unwrap();
    phiguard_app::risk::update_asset(&session, "vendor:acme-cloud", values, &[], &source, &Silent)
        .await
        .unwrap();
    let again = phiguard_app::risk::gather(&session).await.unwrap();
    let acme = again.picture.asset("vendor:acme-cloud").unwrap();
    assert_eq!(acme.asset.owner.as_deref(), Some("Sam Lee, IT lead"));
    assert_eq!(acme.asset.criticality, Some(Criticality::Critical));
    assert!(acme.is_seen() && acme.recorded.is_some());
    // An asset neither seen nor recorded cannot be updated into being.
    let error = phiguard_app::risk::update_asset(
        &session,
        "vendor:nobody",
        Default::default(),
        &[],
        &source,
        &Silent,
    )
    .await
    .unwrap_err();
    assert!(
        format!("{error:#}").contains("phiguard asset list"),
        "{error:#}"
    );

    // The analysis is recorded whole and names every ePHI asset it covered.
    let analyzed = phiguard_app::risk::analyze(
        &session,
        &AnalyzeRequest {
            prepared_by: Some("Dana Ruiz, Security Officer".into()),
            ..AnalyzeRequest::default()
        },
        &source,
        &Silent,
    )
    .await
    .unwrap();
    assert_eq!(
        analyzed.record.id,
        phiguard_app::session::today().to_string()
    );
    assert!(
        analyzed
            .record
            .assets
            .contains(&"vendor:acme-cloud".to_owned())
    );
    assert!(
        !analyzed.record.assets.contains(&host_id),
        "the host holds no ePHI"
    );
    assert_eq!(analyzed.record.sha256, analyzed.analysis.digest());
    // What was stale in what it covers is in it (acme's missing BAA, a critical vulnerability
    // no risk names); the checks of the earlier analyses, which it supersedes, are not.
    let stale: Vec<(&str, Status)> = analyzed
        .analysis
        .findings
        .iter()
        .map(|f| (f.check.as_str(), f.status))
        .collect();
    assert!(
        stale.contains(&("risk.vulnerabilities.assessed", Status::Fail)),
        "{stale:?}"
    );
    assert!(
        !stale
            .iter()
            .any(|(check, _)| check.starts_with("risk.analysis.")),
        "{stale:?}"
    );
    let read_back = phiguard_app::risk::recorded(&session, &analyzed.record.id)
        .await
        .unwrap();
    assert_eq!(read_back.analysis, analyzed.analysis);
    assert_eq!(read_back.document, analyzed.document);
    // A second one the same day takes the next id; an id already used is refused.
    let second = phiguard_app::risk::analyze(
        &session,
        &AnalyzeRequest {
            scope: Some("EHR only".into()),
            ..AnalyzeRequest::default()
        },
        &source,
        &Silent,
    )
    .await
    .unwrap();
    assert_eq!(second.record.id, format!("{}-2", analyzed.record.id));
    let taken = phiguard_app::risk::analyze(
        &session,
        &AnalyzeRequest {
            id: Some(analyzed.record.id.clone()),
            ..AnalyzeRequest::default()
        },
        &source,
        &Silent,
    )
    .await
    .unwrap_err();
    assert!(
        format!("{taken:#}").contains("already a risk analysis"),
        "{taken:#}"
    );
    let future = phiguard_app::risk::analyze(
        &session,
        &AnalyzeRequest {
            as_of: Some(phiguard_app::session::today().tomorrow().unwrap()),
            ..AnalyzeRequest::default()
        },
        &source,
        &Silent,
    )
    .await
    .unwrap_err();
    assert!(
        format!("{future:#}").contains("still to come"),
        "{future:#}"
    );

    // Signed off once; a second sign-off is refused.
    let (signed, _) = phiguard_app::risk::sign_off(
        &session,
        &analyzed.record.id,
        "Dr. Maya Chen, Practice Owner",
        &source,
        &Silent,
    )
    .await
    .unwrap();
    assert_eq!(
        signed.signed_by.as_deref(),
        Some("Dr. Maya Chen, Practice Owner")
    );
    let twice = phiguard_app::risk::sign_off(
        &session,
        &analyzed.record.id,
        "Someone else",
        &source,
        &Silent,
    )
    .await
    .unwrap_err();
    assert!(
        format!("{twice:#}").contains("was signed off by"),
        "{twice:#}"
    );
    let picture = phiguard_app::risk::gather(&session).await.unwrap().picture;
    assert_eq!(
        picture.newest_signed().map(|a| a.record.id.as_str()),
        Some(analyzed.record.id.as_str())
    );

    // Every ePHI asset is covered by the signed analysis; a vendor touching PHI taken on
    // after it is not (the St. Elizabeth case), and the risk checks say so.
    let coverage = |picture: phiguard_risk::analysis::Picture| -> Vec<(Status, String)> {
        let day = picture.today;
        let (_, findings) = phiguard_app::risk::run_checks(picture, day).unwrap();
        findings
            .into_iter()
            .filter(|f| f.check.as_str() == "risk.analysis.coverage")
            .map(|f| (f.status, f.subject))
            .collect()
    };
    let before = coverage(picture.clone());
    assert!(
        !before.is_empty() && before.iter().all(|(status, _)| *status == Status::Pass),
        "{before:?}"
    );
    phiguard_app::register::add(&session, vendor("newscribe", true), &source, &Silent)
        .await
        .unwrap();
    let after = coverage(phiguard_app::risk::gather(&session).await.unwrap().picture);
    assert!(
        after.contains(&(Status::Fail, "asset vendor:newscribe".to_owned())),
        "{after:?}"
    );
    assert_eq!(
        after
            .iter()
            .filter(|(status, _)| *status == Status::Fail)
            .count(),
        1,
        "{after:?}"
    );

    // An analysis record whose document the ledger does not hold is never signed, nor
    // counted as signed.
    let forged = RiskAnalysis {
        id: "forged".into(),
        as_of: phiguard_app::session::today(),
        scope: "everything".into(),
        method: "any".into(),
        assets: Vec::new(),
        risks: Vec::new(),
        sha256: "ab".repeat(32),
        prepared_by: None,
        signed_by: None,
        signed_on: None,
        notes: None,
    };
    phiguard_app::register::add(&session, forged.clone().into(), &source, &Silent)
        .await
        .unwrap();
    let refused = phiguard_app::risk::sign_off(&session, "forged", "Someone", &source, &Silent)
        .await
        .unwrap_err();
    assert!(
        format!("{refused:#}").contains("holds no document"),
        "{refused:#}"
    );
    let signed_forgery = RiskAnalysis {
        signed_by: Some("Someone".into()),
        signed_on: Some(phiguard_app::session::today()),
        id: "forged-signed".into(),
        ..forged
    };
    phiguard_app::register::add(&session, signed_forgery.into(), &source, &Silent)
        .await
        .unwrap();
    let picture = phiguard_app::risk::gather(&session).await.unwrap().picture;
    let forged_view = picture
        .analyses
        .iter()
        .find(|a| a.record.id == "forged-signed")
        .unwrap();
    assert!(forged_view.document.is_err());
    assert_eq!(
        picture.newest_signed().map(|a| a.record.id.as_str()),
        Some(analyzed.record.id.as_str()),
        "a signed record without its document does not count"
    );
    session.close().await.unwrap();
}

async fn risks_are_accepted_and_assets_imported(options: &Options, dir: &Path) {
    let session = Session::open(options, Purpose::Record, &Silent)
        .await
        .unwrap();
    let source = actor();
    let file = dir.join("assets.yaml");
    std::fs::write(
        &file,
        "- id: ehr-db\n  name: EHR database\n  asset_type: data_store\n  ephi: [maintains]\n  criticality: critical\n\
         - id: fax-line\n  name: Fax line\n  asset_type: network\n  ephi: [transmits]\n",
    )
    .unwrap();
    let planned = phiguard_app::risk::import_assets(&session, &file, true, &source, &Silent)
        .await
        .unwrap();
    assert!(
        matches!(planned, AssetImport::Planned(ref p) if p.len() == 2),
        "{planned:?}"
    );
    assert!(
        session.register.snapshot().await.unwrap().assets.is_empty(),
        "a dry run changes nothing"
    );
    let applied = phiguard_app::risk::import_assets(&session, &file, false, &source, &Silent)
        .await
        .unwrap();
    assert!(
        matches!(applied, AssetImport::Applied(ref a) if a.len() == 2),
        "{applied:?}"
    );
    // Importing the same file again changes nothing.
    let again = phiguard_app::risk::import_assets(&session, &file, false, &source, &Silent)
        .await
        .unwrap();
    assert!(
        matches!(again, AssetImport::Applied(ref a) if a.is_empty()),
        "{again:?}"
    );

    // A bad file is refused whole, with the file and line of the record at fault.
    let bad = dir.join("bad-assets.yaml");
    std::fs::write(
        &bad,
        "- id: laptop-1\n  name: Laptop\n  asset_type: device\n\
         - id: laptop-2\n  name: ''\n  asset_type: device\n",
    )
    .unwrap();
    let error = phiguard_app::risk::import_assets(&session, &bad, false, &source, &Silent)
        .await
        .unwrap_err();
    let text = format!("{error:#}");
    assert!(
        text.contains("bad-assets.yaml") && text.contains(":4"),
        "{text}"
    );
    assert!(text.contains("laptop-2") && text.contains("name"), "{text}");
    let unknown_field = dir.join("typo.yaml");
    std::fs::write(
        &unknown_field,
        "- id: x\n  name: X\n  asset_type: device\n  ownr: Sam\n",
    )
    .unwrap();
    let error =
        phiguard_app::risk::import_assets(&session, &unknown_field, false, &source, &Silent)
            .await
            .unwrap_err();
    assert!(format!("{error:#}").contains("ownr"), "{error:#}");
    let assets = session.register.snapshot().await.unwrap().assets;
    assert_eq!(
        assets.keys().collect::<Vec<_>>(),
        ["ehr-db", "fax-line"],
        "nothing of a bad file is imported"
    );

    // A risk is accepted with who, why and until when; a lapse that is not in the future is
    // refused.
    let risk = RiskRecord {
        id: "misdirected-fax".into(),
        title: "A fax reaches the wrong number".into(),
        assets: vec!["fax-line".into()],
        threat: "ransomware".into(),
        vulnerability: "Numbers typed by hand".into(),
        vulnerabilities: Vec::new(),
        checks: Vec::new(),
        likelihood: 3,
        impact: 3,
        residual_likelihood: None,
        residual_impact: None,
        treatment: Treatment::Mitigate,
        plan: None,
        owner: None,
        due: None,
        done: None,
        accepted_by: None,
        accepted_on: None,
        acceptance_reason: None,
        acceptance_expires: None,
        transferred_to: None,
        notes: None,
    };
    phiguard_app::register::add(&session, risk.into(), &source, &Silent)
        .await
        .unwrap();
    let today = phiguard_app::session::today();
    let refused = phiguard_app::risk::accept(
        &session,
        "misdirected-fax",
        "Dr. Chen",
        "cheap",
        today,
        &source,
        &Silent,
    )
    .await
    .unwrap_err();
    assert!(
        format!("{refused:#}").contains("not after today"),
        "{refused:#}"
    );
    let until = phiguard_register::records::add_months(today, 6);
    phiguard_app::risk::accept(
        &session,
        "misdirected-fax",
        "Dr. Chen",
        "Two clinics only take fax",
        until,
        &source,
        &Silent,
    )
    .await
    .unwrap();
    let picture = phiguard_app::risk::gather(&session).await.unwrap().picture;
    let view = &picture.risks[0];
    assert_eq!(view.state, TreatmentState::Accepted { until: Some(until) });
    assert_eq!(view.risk.accepted_on, Some(today));
    assert!(phiguard_app::risk::vet_threat("ransomware").is_ok());
    let unknown = phiguard_app::risk::vet_threat("rensomware").unwrap_err();
    assert!(
        format!("{unknown:#}").contains("phiguard risk threats"),
        "{unknown:#}"
    );
    session.close().await.unwrap();
}

fn sqlite(dir: &tempfile::TempDir) -> Options {
    Options {
        home: Some(dir.path().join("home")),
        database: None,
    }
}

async fn postgres(
    dir: &tempfile::TempDir,
) -> Option<(Options, phiguard_testkit::PostgresDatabase)> {
    let database = phiguard_testkit::fresh_postgres_database().await?;
    let options = Options {
        home: Some(dir.path().join("home")),
        database: Some(database.url().to_owned()),
    };
    Some((options, database))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_inventory_is_built_from_what_phiguard_sees_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    the_inventory_is_built_from_what_phiguard_sees_and_what_people_record(
        &sqlite(&dir),
        dir.path(),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_inventory_is_built_from_what_phiguard_sees_on_postgresql() {
    let dir = tempfile::tempdir().unwrap();
    let Some((options, _database)) = postgres(&dir).await else {
        return;
    };
    the_inventory_is_built_from_what_phiguard_sees_and_what_people_record(&options, dir.path())
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn risks_are_accepted_and_assets_imported_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    risks_are_accepted_and_assets_imported(&sqlite(&dir), dir.path()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn risks_are_accepted_and_assets_imported_on_postgresql() {
    let dir = tempfile::tempdir().unwrap();
    let Some((options, _database)) = postgres(&dir).await else {
        return;
    };
    risks_are_accepted_and_assets_imported(&options, dir.path()).await;
}
