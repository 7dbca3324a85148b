//! The operations, called in process on a real installation in a temporary home: what each
//! records, what it refuses, and that a refusal stores nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failure with its location

use std::path::{Path, PathBuf};
use std::sync::Arc;

use jiff::civil::date;
use phiguard_app::assess::{AssessRequest, Source};
use phiguard_app::attest::AttestRequest;
use phiguard_app::{Collected, Options, Purpose, Session, Silent, Unwatched};
use phiguard_assess::Profile;
use phiguard_register::records::{Decision, Grant, Person, Vendor};
use phiguard_register::{Action, AnyRecord, Kind};

fn options(home: &Path) -> Options {
    Options {
        home: Some(home.to_path_buf()),
        database: None,
    }
}

/// A session that records evidence, in a home made for the test.
async fn new_session(dir: &tempfile::TempDir) -> Session {
    Session::open(&options(&dir.path().join("home")), Purpose::Record, &Silent)
        .await
        .unwrap()
}

fn actor() -> phiguard_core::Source {
    phiguard_app::session::change_source(Some("Dana"))
}

fn vendor(name: &str) -> AnyRecord {
    serde_json::from_value::<Vendor>(serde_json::json!({
        "id": "acme", "name": name, "touches_phi": true
    }))
    .unwrap()
    .into()
}

fn person(id: &str) -> AnyRecord {
    serde_json::from_value::<Person>(serde_json::json!({
        "id": id, "name": id, "email": format!("{id}@clinic.example"),
        "role": "clinician", "started": "2025-01-06", "phi_access": true
    }))
    .unwrap()
    .into()
}

fn grant(person: &str, system: &str) -> AnyRecord {
    Grant {
        id: format!("{person}-{system}"),
        person: person.into(),
        system: system.into(),
        role: "clinician".into(),
        account: None,
        approver: "Dana".into(),
        justification: "care".into(),
        granted: date(2025, 1, 6),
        expires: None,
        revoked: None,
    }
    .into()
}

#[tokio::test]
async fn a_missing_home_is_an_error_that_says_so_and_nothing_is_created() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("nowhere");
    for purpose in [Purpose::Read, Purpose::Amend] {
        let error = Session::open(&options(&home), purpose, &Silent)
            .await
            .unwrap_err();
        assert!(
            error.to_string().contains("there is no phiguard home at"),
            "{error:#}"
        );
    }
    assert!(!home.exists());
}

#[tokio::test]
async fn a_new_home_is_announced_and_made_complete() {
    let dir = tempfile::tempdir().unwrap();
    let notices = Collected::default();
    let home = dir.path().join("home");
    let session = Session::open(&options(&home), Purpose::Record, &notices)
        .await
        .unwrap();
    assert!(session.installation.created.created_config);
    assert!(session.installation.created_ledger_key);
    assert!(phiguard_app::keys::keyring_path(&session.installation.home).exists());
    session.close().await.unwrap();
    let notes = notices.notes();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(
        notes[0].starts_with("Created a phiguard home at"),
        "{notes:?}"
    );
}

/// Field values as a person gives them, by field name.
fn values(fields: serde_json::Value) -> phiguard_register::draft::Values {
    match fields {
        serde_json::Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

#[tokio::test]
async fn records_drafted_from_field_values_are_checked_before_anything_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let session = new_session(&dir).await;
    use phiguard_app::register::{add_drafted, list, show, update_drafted};

    // A vendor without its required name is refused, naming the flag, and nothing is stored.
    let refused = add_drafted(
        &session,
        Kind::Vendor,
        Some("acme"),
        values(serde_json::json!({ "touches_phi": true })),
        &actor(),
        &Silent,
    )
    .await
    .unwrap_err();
    assert!(
        format!("{refused:#}").contains("--name is required to add a vendor"),
        "{refused:#}"
    );
    assert!(list(&session, Kind::Vendor).await.unwrap().is_empty());

    let added = add_drafted(
        &session,
        Kind::Vendor,
        Some("acme"),
        values(serde_json::json!({ "name": "Acme", "touches_phi": true })),
        &actor(),
        &Silent,
    )
    .await
    .unwrap();
    assert_eq!(added[0].change.action, Action::Create);

    // Unsetting a required field is refused and the record stays as it was.
    let refused = update_drafted(
        &session,
        Kind::Vendor,
        "acme",
        values(serde_json::json!({})),
        &["name".to_owned()],
        &actor(),
        &Silent,
    )
    .await
    .unwrap_err();
    assert!(
        format!("{refused:#}").contains("a required field of the vendor cannot be unset"),
        "{refused:#}"
    );
    assert_eq!(
        show(&session, Kind::Vendor, "acme").await.unwrap().record["name"],
        "Acme"
    );

    // An update of a record that is not there names it.
    let missing = update_drafted(
        &session,
        Kind::Vendor,
        "globex",
        values(serde_json::json!({ "name": "Globex" })),
        &[],
        &actor(),
        &Silent,
    )
    .await
    .unwrap_err();
    assert!(format!("{missing:#}").contains("globex"), "{missing:#}");

    let updated = update_drafted(
        &session,
        Kind::Vendor,
        "acme",
        values(serde_json::json!({ "name": "Acme Corp" })),
        &[],
        &actor(),
        &Silent,
    )
    .await
    .unwrap();
    assert!(updated[0].evidence.seq > added[0].evidence.seq);
    let shown = show(&session, Kind::Vendor, "acme").await.unwrap();
    assert_eq!(shown.record["name"], "Acme Corp");
    assert_eq!(shown.record["touches_phi"], true);
    session.close().await.unwrap();
}

#[tokio::test]
async fn register_changes_are_each_recorded_in_the_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let session = new_session(&dir).await;
    let added = phiguard_app::register::add(&session, vendor("Acme"), &actor(), &Silent)
        .await
        .unwrap();
    assert_eq!(added.len(), 1);
    assert_eq!(added[0].change.action, Action::Create);
    let updated = phiguard_app::register::update(&session, vendor("Acme Corp"), &actor(), &Silent)
        .await
        .unwrap();
    assert!(updated[0].evidence.seq > added[0].evidence.seq);
    let shown = phiguard_app::register::show(&session, Kind::Vendor, "acme")
        .await
        .unwrap();
    assert_eq!(shown.record["name"], "Acme Corp");
    assert_eq!(shown.evidence, Some(updated[0].evidence));

    let removed = phiguard_app::register::remove(&session, Kind::Vendor, "acme", &actor(), &Silent)
        .await
        .unwrap();
    assert_eq!(removed[0].change.action, Action::Delete);
    let listed = phiguard_app::register::list(&session, Kind::Vendor)
        .await
        .unwrap();
    assert!(listed.is_empty());

    let history = phiguard_app::register::history(&session, Kind::Vendor, "acme")
        .await
        .unwrap();
    let actions: Vec<Action> = history.iter().map(|entry| entry.action).collect();
    assert_eq!(actions, [Action::Create, Action::Update, Action::Delete]);
    assert!(history[0].actor.as_deref().unwrap().contains("Dana"));
    let missing = phiguard_app::register::history(&session, Kind::Vendor, "nobody")
        .await
        .unwrap_err();
    assert!(
        missing.to_string().contains("records no change"),
        "{missing}"
    );
    session.close().await.unwrap();
}

#[tokio::test]
async fn a_change_that_fails_validation_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let session = new_session(&dir).await;
    let size = session.installation.ledger().size().await.unwrap();
    // A grant to a person the register does not know.
    let refused = phiguard_app::register::add(&session, grant("ghost", "ehr"), &actor(), &Silent)
        .await
        .unwrap_err();
    assert!(format!("{refused:#}").contains("ghost"), "{refused:#}");
    // A matrix row citing no control of the catalog.
    let row: AnyRecord = AnyRecord::from_json(
        Kind::Responsibility,
        serde_json::json!({ "control": "164.999", "responsibility": "customer" }),
    )
    .unwrap();
    let refused = phiguard_app::register::add(&session, row, &actor(), &Silent)
        .await
        .unwrap_err();
    assert!(format!("{refused:#}").contains("164.999"), "{refused:#}");
    assert!(
        phiguard_app::register::list(&session, Kind::Grant)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(session.installation.ledger().size().await.unwrap(), size);
    session.close().await.unwrap();
}

#[tokio::test]
async fn a_review_campaign_goes_from_start_to_close_and_a_revoke_revokes() {
    let dir = tempfile::tempdir().unwrap();
    let session = new_session(&dir).await;
    for who in ["alice", "bob"] {
        phiguard_app::register::add(&session, person(who), &actor(), &Silent)
            .await
            .unwrap();
        phiguard_app::register::add(&session, grant(who, "ehr"), &actor(), &Silent)
            .await
            .unwrap();
    }
    let started = phiguard_app::access::start(&session, "ehr", None, &actor())
        .await
        .unwrap();
    assert!(started.evidence.is_some());
    assert_eq!(started.status.undecided, ["alice-ehr", "bob-ehr"]);
    let review = started.status.review.id.clone();
    let again = phiguard_app::access::start(&session, "ehr", None, &actor())
        .await
        .unwrap_err();
    assert!(again.to_string().contains("still open"), "{again}");
    let early = phiguard_app::access::close(&session, &review, &actor(), &Silent)
        .await
        .unwrap_err();
    assert!(early.to_string().contains("have no decision"), "{early}");

    let decide = |grant: &str, decision| phiguard_app::access::DecideRequest {
        review: review.clone(),
        grant: grant.into(),
        decision,
        comment: "quarterly".into(),
        reviewer: None,
    };
    let kept = phiguard_app::access::decide(
        &session,
        &decide("alice-ehr", Decision::Keep),
        &actor(),
        &Silent,
    )
    .await
    .unwrap();
    assert_eq!((kept.undecided, kept.grants), (1, 2));
    let revoked = phiguard_app::access::decide(
        &session,
        &decide("bob-ehr", Decision::Revoke),
        &actor(),
        &Silent,
    )
    .await
    .unwrap();
    assert_eq!(revoked.applied.len(), 2, "the review and the grant change");
    assert_eq!(revoked.undecided, 0);
    phiguard_app::access::close(&session, &review, &actor(), &Silent)
        .await
        .unwrap();

    let campaigns = phiguard_app::access::list(&session, Some("ehr"))
        .await
        .unwrap();
    assert!(campaigns[0].review.closed.is_some());
    let bob = phiguard_app::register::show(&session, Kind::Grant, "bob-ehr")
        .await
        .unwrap();
    // The reviewer defaults to the change's actor.
    assert!(
        bob.record["revoked"]["by"]
            .as_str()
            .unwrap()
            .contains("Dana")
    );
    let closed = phiguard_app::access::decide(
        &session,
        &decide("alice-ehr", Decision::Keep),
        &actor(),
        &Silent,
    )
    .await
    .unwrap_err();
    assert!(closed.to_string().contains("was closed"), "{closed}");
    session.close().await.unwrap();
}

#[tokio::test]
async fn an_attestation_is_recorded_against_a_control_of_the_catalog() {
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("plan.pdf");
    std::fs::write(&plan, b"contingency plan").unwrap();
    let request = AttestRequest {
        control: "45 CFR 164.310(b)".into(),
        by: "Dana Ruiz, Security Officer".into(),
        statement: "workstations are used as the policy says".into(),
        evidence: Some(plan),
        date: Some(date(2026, 3, 1)),
    };
    let pending = phiguard_app::attest::attestation(&request).unwrap();
    let session = new_session(&dir).await;
    let attested = phiguard_app::attest::attest(&session, &pending, &actor())
        .await
        .unwrap();
    assert_eq!(attested.control, "164.310(b)");
    assert_eq!(attested.valid_until, date(2027, 3, 1));
    let shown = phiguard_app::register::show(&session, Kind::Attestation, "164.310(b)")
        .await
        .unwrap();
    assert_eq!(shown.evidence, Some(attested.evidence));
    assert_eq!(
        shown.record["evidence"]["sha256"],
        "d2a9f36c1aa683fcaf2a06083c308e36af2ba8ce5e7bc3c9a74f1f7d3fc6eb37"
    );

    let unknown = AttestRequest {
        control: "164.999(z)".into(),
        ..request.clone()
    };
    let refused = phiguard_app::attest::attestation(&unknown).unwrap_err();
    assert!(refused.to_string().contains("not a control of the catalog"));
    let blank = phiguard_app::attest::attestation(&AttestRequest {
        by: " ".into(),
        ..request
    })
    .unwrap();
    assert!(
        phiguard_app::attest::attest(&session, &blank, &actor())
            .await
            .is_err()
    );
    session.close().await.unwrap();
}

/// A directory that stands in for a host's file system: nothing installed, nothing configured.
fn empty_root(dir: &tempfile::TempDir) -> PathBuf {
    let root = dir.path().join("root");
    std::fs::create_dir_all(root.join("etc")).unwrap();
    root
}

#[tokio::test]
async fn a_host_run_is_stored_as_a_check_run_citing_its_ledger_entry() {
    let dir = tempfile::tempdir().unwrap();
    let session = new_session(&dir).await;
    let request = phiguard_app::host::CheckRequest {
        root: empty_root(&dir),
        areas: Vec::new(),
        system: None,
    };
    let run = phiguard_app::host::run_checks(&session.installation, &request, Arc::new(Unwatched))
        .await
        .unwrap();
    assert!(run.host.starts_with("image:"), "{}", run.host);
    assert!(run.checks > 0);
    assert!(!run.recorded.findings.is_empty());
    assert!(
        run.recorded
            .findings
            .iter()
            .all(|finding| finding.evidence.contains(&run.recorded.evidence))
    );
    let counts = session.installation.store.counts().await.unwrap();
    assert_eq!(counts.check_runs, 1);
    let not_a_dir = phiguard_app::host::CheckRequest {
        root: dir.path().join("missing"),
        ..request
    };
    let refused =
        phiguard_app::host::run_checks(&session.installation, &not_a_dir, Arc::new(Unwatched))
            .await
            .unwrap_err();
    assert!(
        refused.to_string().contains("is not a directory"),
        "{refused}"
    );
    session.close().await.unwrap();
}

#[test]
fn a_patch_plan_installs_exactly_the_versions_judged() {
    use phiguard_host::patches::{ListState, PackageSystem, PendingUpdate, Survey};
    let update = |package: &str, architecture: &str, security| PendingUpdate {
        package: package.into(),
        architecture: architecture.into(),
        installed: "1.0".into(),
        candidate: "1.1".into(),
        security,
    };
    let survey = Survey {
        system: PackageSystem::Dpkg,
        installed: 3,
        pending: vec![
            update("openssl", "amd64", true),
            update("tzdata", "all", false),
        ],
        lists: ListState::Missing,
        unreadable_lists: Vec::new(),
    };
    let plan = phiguard_app::host::plan_patch(
        &survey,
        &phiguard_app::host::PatchRequest {
            security_only: false,
            dry_run: true,
        },
    )
    .unwrap();
    assert_eq!(plan.updates, ["openssl 1.0 → 1.1", "tzdata 1.0 → 1.1"]);
    assert_eq!(
        plan.command.join(" "),
        "apt-get install --only-upgrade -y -q -o Dpkg::Options::=--force-confold --simulate \
         openssl:amd64=1.1 tzdata=1.1"
    );
    let security = phiguard_app::host::plan_patch(
        &survey,
        &phiguard_app::host::PatchRequest {
            security_only: true,
            dry_run: false,
        },
    )
    .unwrap();
    assert_eq!(security.updates, ["openssl 1.0 → 1.1"]);
    assert_eq!(security.command.last().unwrap(), "openssl:amd64=1.1");
    let rpm = Survey {
        system: PackageSystem::Rpm,
        ..survey
    };
    let refused = phiguard_app::host::plan_patch(&rpm, &Default::default()).unwrap_err();
    assert!(refused.to_string().contains("apt only"), "{refused}");
}

#[tokio::test]
async fn a_fim_baseline_then_a_check_finds_the_change() {
    let dir = tempfile::tempdir().unwrap();
    let watched = dir.path().join("srv");
    std::fs::create_dir_all(&watched).unwrap();
    std::fs::write(watched.join("app.toml"), "tls = true\n").unwrap();
    let session = new_session(&dir).await;
    let installation = &session.installation;
    let request = phiguard_app::fim::ScanRequest {
        paths: vec![watched.clone()],
        ..Default::default()
    };
    assert!(
        phiguard_app::fim::check(installation, &request, &Unwatched)
            .await
            .unwrap()
            .is_none(),
        "no baseline yet"
    );
    let baseline = phiguard_app::fim::init(installation, &request, &Unwatched)
        .await
        .unwrap();
    assert!(baseline.baseline.entries >= 2, "{:?}", baseline.baseline);
    assert!(baseline.accepted.is_none());
    let again = phiguard_app::fim::init(installation, &request, &Unwatched)
        .await
        .unwrap_err();
    assert!(
        again.to_string().contains("there is already a baseline"),
        "{again}"
    );

    std::fs::write(watched.join("app.toml"), "tls = false\n").unwrap();
    // The check follows the baseline's paths when given none.
    let checked = phiguard_app::fim::check(installation, &Default::default(), &Unwatched)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        checked.report.summary.changed, 1,
        "{:?}",
        checked.report.summary
    );
    assert_eq!(checked.report.summary.unexplained, 1);
    let blank = phiguard_app::fim::update(installation, &request, " ", None, &Unwatched)
        .await
        .unwrap_err();
    assert!(blank.to_string().contains("--reason"), "{blank}");
    let accepted = phiguard_app::fim::update(
        installation,
        &request,
        "TLS moved to the proxy",
        Some("Dana"),
        &Unwatched,
    )
    .await
    .unwrap();
    assert_eq!(accepted.accepted.unwrap().changed, 1);
    session.close().await.unwrap();
}

#[tokio::test]
async fn an_assessment_of_an_empty_installation_is_recorded_and_signed() {
    let dir = tempfile::tempdir().unwrap();
    let session = new_session(&dir).await;
    let notices = Collected::default();
    let request = AssessRequest {
        root: Some(empty_root(&dir)),
        ..AssessRequest::everything(Profile::Hipaa)
    };
    let assessment =
        phiguard_app::assess::assess(&session, &request, &notices, Arc::new(Unwatched))
            .await
            .unwrap();
    assert!(!assessment.controls.is_empty());
    let evidence = assessment.evidence.unwrap();
    let checkpoint = assessment.checkpoint.as_ref().unwrap();
    assert!(
        checkpoint.size > evidence.seq,
        "the checkpoint covers the result"
    );
    assert!(assessment.since_previous.is_none());
    assert!(
        assessment
            .notes
            .iter()
            .any(|note| note.contains("no file integrity baseline")),
        "{:?}",
        assessment.notes
    );
    let notes = notices.notes();
    assert!(notes[0].starts_with("Checking the host at"), "{notes:?}");
    assert!(
        notes.iter().any(|n| n == "Verifying the evidence ledger…"),
        "{notes:?}"
    );

    // A second one, skipping sources, is compared with the first.
    let skipping = AssessRequest {
        skip: vec![Source::Host, Source::Fim, Source::Ledger],
        sign_off: Some("Dana Ruiz".into()),
        ..AssessRequest::everything(Profile::Hipaa)
    };
    let second = phiguard_app::assess::assess(&session, &skipping, &Silent, Arc::new(Unwatched))
        .await
        .unwrap();
    assert!(second.since_previous.is_some());
    assert_eq!(second.sign_off.as_ref().unwrap().by, "Dana Ruiz");
    assert!(
        second
            .notes
            .iter()
            .any(|n| n == "host checks skipped (--skip host)")
    );
    session.close().await.unwrap();
}

#[tokio::test]
async fn operations_run_on_postgresql_too() {
    let Some(database) = phiguard_testkit::fresh_postgres_database().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let options = Options {
        home: Some(dir.path().join("home")),
        database: Some(database.url().to_owned()),
    };
    let session = Session::open(&options, Purpose::Record, &Silent)
        .await
        .unwrap();
    assert!(
        session
            .installation
            .database_path_or_url()
            .starts_with("postgres")
    );
    phiguard_app::register::add(&session, vendor("Acme"), &actor(), &Silent)
        .await
        .unwrap();
    let checked = phiguard_app::register::check(&session).await.unwrap();
    assert!(checked.checks > 0);
    assert_eq!(checked.snapshot.len(), 1);
    let skipping = AssessRequest {
        skip: vec![Source::Host, Source::Fim],
        ..AssessRequest::everything(Profile::Hipaa)
    };
    let assessment =
        phiguard_app::assess::assess(&session, &skipping, &Silent, Arc::new(Unwatched))
            .await
            .unwrap();
    assert!(assessment.checkpoint.is_some());
    session.close().await.unwrap();
}

#[tokio::test]
async fn the_demo_seeds_an_empty_home_and_assesses_it_and_refuses_a_second_time() {
    let dir = tempfile::tempdir().unwrap();
    let options = phiguard_app::demo::options(&options(&dir.path().join("demo"))).unwrap();
    assert_eq!(
        options.home.as_deref(),
        Some(dir.path().join("demo").as_path())
    );
    let notices = Collected::default();
    let seeded = phiguard_app::demo::seed(&options, &notices, Arc::new(Unwatched))
        .await
        .unwrap();
    assert!(seeded.assessment.sample);
    assert!(seeded.assessment.checkpoint.is_some());
    assert!(
        notices
            .notes()
            .iter()
            .any(|n| n == "Seeding the sample clinic…"),
        "{:?}",
        notices.notes()
    );
    // The file changed after the baseline is what the assessment's FIM finding is about.
    assert!(
        !seeded
            .assessment
            .notes
            .iter()
            .any(|note| note.contains("no file integrity baseline")),
        "{:?}",
        seeded.assessment.notes
    );

    // The risk analysis was signed before the transcription vendor was taken on: the
    // assessment says it is stale for that vendor, and that the ransomware treatment is late.
    let risk_failures = |control: &str| -> Vec<(String, String)> {
        let control = seeded
            .assessment
            .controls
            .iter()
            .find(|c| c.id.as_str() == control)
            .unwrap();
        assert_ne!(
            control.status,
            phiguard_assess::ControlStatus::Met,
            "{control:#?}"
        );
        control
            .attention
            .iter()
            .filter(|f| f.status == phiguard_core::Status::Fail)
            .map(|f| (f.check.to_string(), f.subject.clone()))
            .collect()
    };
    let analysis = risk_failures("164.308(a)(1)(ii)(A)");
    assert!(
        analysis.contains(&(
            "risk.analysis.coverage".into(),
            "asset vendor:litware-transcription".into()
        )),
        "{analysis:?}"
    );
    assert!(
        !analysis
            .iter()
            .any(|(check, _)| check == "risk.analysis.current"),
        "the analysis was signed today: {analysis:?}"
    );
    // The report maps the clinic's flows: the referral fax is the unencrypted one, and the
    // analysis signed before the new vendor is named.
    let overview = seeded.assessment.risk.as_ref().unwrap();
    assert_eq!(
        (overview.flows, overview.unencrypted_flows),
        (5, 1),
        "{overview:?}"
    );
    assert!(overview.map_svg.contains("data-flow=\"referrals-by-fax\""));
    assert!(
        overview
            .analysis
            .as_deref()
            .is_some_and(|a| a.contains("Dr. Maya Chen")),
        "{overview:?}"
    );
    let management = risk_failures("164.308(a)(1)(ii)(B)");
    assert!(
        management
            .iter()
            .any(|(check, subject)| check == "risk.treatment.schedule"
                && subject.contains("ransomware-ehr")),
        "{management:?}"
    );
    assert!(
        !management
            .iter()
            .any(|(check, _)| check == "risk.acceptance.current"),
        "the fax risk is accepted until a day to come: {management:?}"
    );

    let session = Session::open(&options, Purpose::Read, &Silent)
        .await
        .unwrap();
    assert!(
        !phiguard_app::register::list(&session, Kind::Vendor)
            .await
            .unwrap()
            .is_empty()
    );
    let review = phiguard_app::register::list(&session, Kind::Grant)
        .await
        .unwrap();
    assert!(!review.is_empty());
    session.close().await.unwrap();

    let again = phiguard_app::demo::seed(&options, &Silent, Arc::new(Unwatched))
        .await
        .unwrap_err();
    assert!(
        again
            .to_string()
            .contains("the demo only seeds an empty home"),
        "{again}"
    );
}

#[tokio::test]
async fn init_makes_a_home_complete_and_status_reads_it() {
    let dir = tempfile::tempdir().unwrap();
    let options = options(&dir.path().join("home"));
    assert!(!phiguard_app::init::home_exists(&options, &Silent).unwrap());
    let request = phiguard_app::init::InitRequest {
        name: Some("clinic one".into()),
        role: None,
    };
    let created = phiguard_app::init::init(&options, &request, &Silent)
        .await
        .unwrap();
    assert!(created.created && created.created_config);
    assert_eq!(created.installation_name, "clinic one");
    assert!(
        created.ledger_verifier_key.starts_with("clinic-one+"),
        "{}",
        created.ledger_verifier_key
    );
    let again = phiguard_app::init::init(&options, &request, &Silent)
        .await
        .unwrap();
    assert!(!again.created && !again.created_config && again.added.is_empty());

    let session = Session::open(&options, Purpose::Read, &Silent)
        .await
        .unwrap();
    let status = phiguard_app::status::status(&session.installation)
        .await
        .unwrap();
    assert_eq!(status.installation_name, "clinic one");
    assert_eq!(status.counts.check_runs, 0);
    session.close().await.unwrap();
}

#[tokio::test]
async fn key_changes_are_recorded_and_a_keyring_is_never_replaced() {
    use phiguard_app::key_management as keys;
    struct NoSecrets;
    impl phiguard_app::keys::Secrets for NoSecrets {
        fn secret(
            &self,
            what: phiguard_crypto::RootSecret,
            _: bool,
        ) -> anyhow::Result<zeroize::Zeroizing<String>> {
            anyhow::bail!("no {what:?} here")
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let options = options(&dir.path().join("home"));
    let created = keys::init(
        &options,
        Ok(phiguard_app::keys::NewRoot::File),
        &NoSecrets,
        &Silent,
    )
    .await
    .unwrap();
    assert_eq!(created.summary.provider, "file");
    // Said before what is wrong with the root asked for.
    let again = keys::init(
        &options,
        Err(anyhow::anyhow!("bad root")),
        &NoSecrets,
        &Silent,
    )
    .await
    .unwrap_err();
    assert!(
        again.to_string().contains("a keyring already exists"),
        "{again}"
    );

    assert_eq!(
        keys::rotate(&options, &NoSecrets, &Silent).await.unwrap(),
        2
    );
    let retired = keys::retire(&options, 1, &NoSecrets, &Silent)
        .await
        .unwrap();
    assert!(retired.changed);
    assert_eq!(retired.min_decrypt_version, 2);
    assert!(
        !keys::retire(&options, 1, &NoSecrets, &Silent)
            .await
            .unwrap()
            .changed
    );
    let summary = keys::list(&options, &NoSecrets, &Silent).unwrap();
    assert_eq!(summary.current_version, 2);

    let session = Session::open(&options, Purpose::Read, &Silent)
        .await
        .unwrap();
    let kinds: Vec<String> = session
        .installation
        .ledger()
        .tail(10)
        .await
        .unwrap()
        .iter()
        .map(|stored| phiguard_ledger::entry::decode(&stored.entry).unwrap().kind)
        .collect();
    assert_eq!(kinds, ["keys.created", "keys.rotated", "keys.retired"]);
    session.close().await.unwrap();
}

#[tokio::test]
async fn appended_evidence_is_proved_and_the_ledger_verifies() {
    use phiguard_app::ledger::{self, Body, VerifyRequest};
    let dir = tempfile::tempdir().unwrap();
    let session = new_session(&dir).await;
    let installation = &session.installation;
    let refused = ledger::append(installation, "Bad Kind", &Body::Text("{}".into()))
        .await
        .unwrap_err();
    assert!(!refused.to_string().is_empty());
    let not_json = ledger::append(installation, "backup.run", &Body::Text("nope".into()))
        .await
        .unwrap_err();
    assert!(
        not_json.to_string().contains("give a JSON value"),
        "{not_json}"
    );
    let appended = ledger::append(
        installation,
        "backup.run",
        &Body::Text(r#"{"ok":true}"#.into()),
    )
    .await
    .unwrap();
    let key = installation.ledger_signing_key().unwrap();
    installation.ledger().checkpoint(&key).await.unwrap();
    let proved = ledger::prove(installation, appended.seq, None)
        .await
        .unwrap();
    assert!(proved.checkpoint.is_some());
    let verdict = proved.verdict.unwrap();
    assert!(
        verdict.contains("is included in the checkpoint"),
        "{verdict}"
    );
    session.close().await.unwrap();

    let options = options(&dir.path().join("home"));
    let verdict = ledger::verify_database(&options, &VerifyRequest::default(), &Silent, &Unwatched)
        .await
        .unwrap()
        .unwrap();
    assert!(verdict.entries > appended.seq);
    let nowhere = phiguard_app::Options {
        home: Some(dir.path().join("nowhere")),
        database: None,
    };
    let missing = ledger::verify_database(&nowhere, &VerifyRequest::default(), &Silent, &Unwatched)
        .await
        .unwrap_err();
    assert!(
        missing
            .to_string()
            .contains("An exported bundle verifies without a home"),
        "{missing}"
    );
}

#[tokio::test]
async fn a_failed_seal_is_recorded_with_its_reason_and_what_passed() {
    use phiguard_app::seal::{Access, Observer, finish_attempt};
    let dir = tempfile::tempdir().unwrap();
    let session = new_session(&dir).await;
    let observer = Observer::new();
    std::io::Write::write_all(&mut observer.wrap(Vec::new()), b"not sealed data").unwrap();
    let sealed = observer.finish();
    assert_eq!(sealed.bytes, 15);
    assert!(sealed.header.is_none());
    let attempt: anyhow::Result<()> = Err(anyhow::anyhow!("disk full"));
    let access = Access::new("sealed", &sealed);
    let error = finish_attempt(
        &session.installation,
        "crypto.seal",
        access,
        "failed",
        attempt,
    )
    .await
    .unwrap_err();
    assert_eq!(error.to_string(), "disk full");
    let last = session.installation.ledger().tail(1).await.unwrap();
    let evidence = phiguard_ledger::entry::decode(&last[0].entry).unwrap();
    assert_eq!(evidence.kind, "crypto.seal");
    assert_eq!(evidence.body["outcome"], "failed");
    assert_eq!(evidence.body["reason"], "disk full");
    assert_eq!(evidence.body["sealed_bytes"], 15);
    session.close().await.unwrap();
}
