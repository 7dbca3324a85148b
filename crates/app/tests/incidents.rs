//! `phiguard_app::incident`, in process on a real installation, on SQLite and on PostgreSQL:
//! every change lands in the register with its ledger entry, a refused assessment stores
//! nothing, and an import of affected individuals stores no name.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failure with its location

use std::path::Path;

use jiff::civil::date;
use phiguard_app::incident::{AffectedRequest, AssessRequest};
use phiguard_app::keys::Secrets;
use phiguard_app::{Collected, Options, Purpose, Session, Silent};
use phiguard_crypto::RootSecret;
use phiguard_incident::deadlines::{DeadlineState, Standing};
use phiguard_register::draft::Values;
use phiguard_register::records::{Conclusion, IncidentStatus};
use phiguard_register::{Action, Kind};
use serde_json::{Value, json};

/// A file root key needs no passphrase: asking for one is a defect.
struct NoSecrets;

impl Secrets for NoSecrets {
    fn secret(&self, what: RootSecret, _: bool) -> anyhow::Result<zeroize::Zeroizing<String>> {
        panic!("a file root key asked for {what:?}")
    }
}

fn actor() -> phiguard_core::Source {
    phiguard_app::session::change_source(Some("Dana"))
}

fn values(value: Value) -> Values {
    match value {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

/// Names no test may find in storage.
const NAMES: [&str; 2] = ["Quillon Marrowby", "Ysolde Pennyworth"];

async fn ledger_text(session: &Session) -> String {
    let ledger = session.installation.ledger();
    let size = ledger.size().await.unwrap();
    ledger
        .tail(size)
        .await
        .unwrap()
        .into_iter()
        .map(|entry| entry.entry)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The whole life of an incident on the installation `options` name.
async fn an_incident_from_report_to_deadlines(options: &Options, dir: &Path) {
    let session = Session::open(options, Purpose::Record, &Silent)
        .await
        .unwrap();
    let added = phiguard_app::register::add_drafted(
        &session,
        Kind::Incident,
        Some("lost-laptop"),
        values(json!({
            "title": "Laptop stolen from a car", "source": "workforce", "reported_by": "Dr. Lee",
            "discovered": "2026-03-01T09:30:00Z", "phi": ["names", "diagnoses"],
            "affected": [{"state": "OH", "count": 3}]
        })),
        &actor(),
        &Silent,
    )
    .await
    .unwrap();
    assert_eq!(added[0].change.action, Action::Create);

    // The timeline: the incident comes from the command, whatever the values say.
    let event = phiguard_app::incident::add_event(
        &session,
        "lost-laptop",
        values(json!({"phase": "containment", "at": "2026-03-01T10:00:00Z",
                      "note": "Sessions revoked", "incident": "another"})),
        &actor(),
        &Silent,
    )
    .await
    .unwrap();
    assert!(event[0].evidence.seq > added[0].evidence.seq);
    phiguard_app::incident::add_event(
        &session,
        "lost-laptop",
        values(json!({"phase": "detection", "at": "2026-03-01T09:30:00Z", "note": "Reported"})),
        &actor(),
        &Silent,
    )
    .await
    .unwrap();
    let timeline = phiguard_app::incident::timeline(&session, "lost-laptop")
        .await
        .unwrap();
    let notes: Vec<&str> = timeline.iter().map(|e| e.note.as_str()).collect();
    assert_eq!(notes, ["Reported", "Sessions revoked"]);
    assert!(timeline.iter().all(|e| e.incident == "lost-laptop"));
    let size = session.installation.ledger().size().await.unwrap();
    let error = phiguard_app::incident::add_event(
        &session,
        "no-such-incident",
        values(json!({"phase": "detection", "at": "2026-03-01T09:30:00Z", "note": "x"})),
        &actor(),
        &Silent,
    )
    .await
    .unwrap_err();
    assert!(
        error.to_string().contains("there is no incident"),
        "{error}"
    );

    // Refused assessments store nothing: a factor without its rationale, a conclusion the
    // answers contradict.
    for answers in [
        json!({"nature": "high", "conclusion": "notifiable", "decided_by": "Pat"}),
        json!({"conclusion": "no_breach", "decided_by": "Pat"}),
        json!({"secured": true, "secured_rationale": "Encrypted", "conclusion": "notifiable",
               "decided_by": "Pat"}),
    ] {
        let request = AssessRequest {
            incident: "lost-laptop".into(),
            answers: values(answers.clone()),
            ..AssessRequest::default()
        };
        let error = phiguard_app::incident::assess(&session, &request, &actor(), &Silent)
            .await
            .unwrap_err();
        assert!(
            format!("{error:#}").contains("breach-assessment"),
            "{answers}: {error:#}"
        );
    }
    assert_eq!(session.installation.ledger().size().await.unwrap(), size);
    let snapshot = session.register.snapshot().await.unwrap();
    assert!(snapshot.breach_assessments.is_empty());
    assert_eq!(
        snapshot.incidents["lost-laptop"].record.status,
        IncidentStatus::Open
    );

    // Not assessed, the deadlines of a breach run.
    let deadlines =
        phiguard_app::incident::deadlines(&session, "lost-laptop", Some(date(2026, 3, 10)))
            .await
            .unwrap();
    assert_eq!(deadlines.standing, Standing::NotAssessed);
    assert!(!deadlines.deadlines.is_empty());

    let notifiable = AssessRequest {
        incident: "lost-laptop".into(),
        answers: values(json!({
            "nature": "high", "nature_rationale": "Names and diagnoses",
            "recipient": "high", "recipient_rationale": "Unknown thief",
            "acquired": "medium", "acquired_rationale": "Not known whether opened",
            "mitigated": "low", "mitigated_rationale": "Not recovered",
            "conclusion": "notifiable", "decided_by": "Pat (Privacy Officer)"
        })),
        ..AssessRequest::default()
    };
    let assessed = phiguard_app::incident::assess(&session, &notifiable, &actor(), &Silent)
        .await
        .unwrap();
    assert_eq!(assessed.status_was, Some(IncidentStatus::Open));
    let kinds: Vec<(Kind, Action)> = assessed
        .applied
        .iter()
        .map(|a| (a.change.kind, a.change.action))
        .collect();
    assert_eq!(
        kinds,
        [
            (Kind::BreachAssessment, Action::Create),
            (Kind::Incident, Action::Update)
        ]
    );
    // Assessing again updates the one assessment; the ledger keeps both versions.
    let again = AssessRequest {
        answers: values(json!({"acquired": "high", "acquired_rationale": "Opened on 03-02"})),
        ..notifiable.clone()
    };
    let reassessed = phiguard_app::incident::assess(&session, &again, &actor(), &Silent)
        .await
        .unwrap();
    assert_eq!(reassessed.status_was, None);
    assert_eq!(reassessed.applied.len(), 1);
    assert_eq!(reassessed.assessment.conclusion, Conclusion::Notifiable);
    assert_eq!(
        reassessed.assessment.nature_rationale.as_deref(),
        Some("Names and diagnoses")
    );
    let history = phiguard_app::register::history(&session, Kind::BreachAssessment, "lost-laptop")
        .await
        .unwrap();
    assert_eq!(history.len(), 2);

    // The affected individuals: pseudonymised, counted once, by state.
    let csv = dir.join("affected.csv");
    std::fs::write(
        &csv,
        format!(
            "name,state,address\n{},oh,1 Elm St\n{},OH,1  elm st\n{},PA,9 Oak Ave\n",
            NAMES[0],
            NAMES[0].to_uppercase(),
            NAMES[1]
        ),
    )
    .unwrap();
    let request = AffectedRequest {
        incident: "lost-laptop".into(),
        file: csv.clone(),
    };
    let imported =
        phiguard_app::incident::import_affected(&session, &request, &NoSecrets, &actor(), &Silent)
            .await
            .unwrap();
    assert_eq!(
        (imported.rows, imported.individuals, imported.duplicates),
        (3, 2, 1)
    );
    assert_eq!(imported.applied.len(), 1);
    let incident = phiguard_app::incident::show(&session, "lost-laptop", None)
        .await
        .unwrap()
        .incident;
    assert_eq!(
        incident.affected_by_state().into_iter().collect::<Vec<_>>(),
        [("OH".to_owned(), 1), ("PA".to_owned(), 1)]
    );
    assert!(
        incident
            .individuals
            .iter()
            .all(|i| i.pseudonym.starts_with("hmac:"))
    );
    // The same list again changes nothing.
    let same =
        phiguard_app::incident::import_affected(&session, &request, &NoSecrets, &actor(), &Silent)
            .await
            .unwrap();
    assert!(same.applied.is_empty());
    // A bad row refuses the file, naming the line and not the person.
    std::fs::write(&csv, format!("name,state\n{},Ohio\n", NAMES[1])).unwrap();
    let error =
        phiguard_app::incident::import_affected(&session, &request, &NoSecrets, &actor(), &Silent)
            .await
            .unwrap_err();
    let text = format!("{error:#}");
    assert!(text.contains("line 2"), "{text}");
    assert!(!text.contains("Ysolde"), "{text}");
    let ledger = ledger_text(&session).await;
    // What the register holds, as read back from the database.
    let snapshot = session.register.snapshot().await.unwrap();
    let stored: String = [Kind::Incident, Kind::IncidentEvent, Kind::BreachAssessment]
        .into_iter()
        .flat_map(|kind| snapshot.records(kind))
        .map(|record| record.to_json().to_string())
        .collect();
    assert!(stored.contains("hmac:"), "{stored}");
    for name in NAMES {
        assert!(!stored.to_lowercase().contains(&name.to_lowercase()));
        for spelling in [name.to_owned(), name.to_lowercase()] {
            assert!(!ledger.contains(&spelling), "the ledger holds {spelling}");
        }
    }

    // A notice given meets its deadline; closing with notices still due is warned of.
    phiguard_app::register::add_drafted(
        &session,
        Kind::BreachNotice,
        None,
        values(
            json!({"incident": "lost-laptop", "recipient": "individuals",
                      "sent": "2026-03-20", "count": 2}),
        ),
        &actor(),
        &Silent,
    )
    .await
    .unwrap();
    let deadlines =
        phiguard_app::incident::deadlines(&session, "lost-laptop", Some(date(2026, 3, 21)))
            .await
            .unwrap();
    let individuals = deadlines
        .deadlines
        .iter()
        .find(|d| d.notice.recipient == phiguard_app::incident::Recipient::Individuals)
        .unwrap();
    assert_eq!(individuals.state, DeadlineState::Met);
    assert_eq!(
        individuals.given.as_ref().map(|g| g.id.as_str()),
        Some("lost-laptop.individuals")
    );
    let warnings = Collected::default();
    phiguard_app::incident::update(
        &session,
        "lost-laptop",
        values(json!({"status": "closed"})),
        &[],
        &actor(),
        &warnings,
    )
    .await
    .unwrap();
    let notes = warnings.notes();
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("warning:") && n.contains("hhs")),
        "{notes:?}"
    );
    let closed = phiguard_app::incident::list(&session, Some(IncidentStatus::Closed), None)
        .await
        .unwrap();
    assert_eq!(closed.len(), 1);
    assert_eq!(closed[0].conclusion, Some(Conclusion::Notifiable));
    assert!(
        phiguard_app::incident::list(&session, Some(IncidentStatus::Open), None)
            .await
            .unwrap()
            .is_empty()
    );
    session.close().await.unwrap();
}

#[tokio::test]
async fn an_incident_is_recorded_assessed_and_counted_on_sqlite_without_storing_a_name() {
    let dir = tempfile::tempdir().unwrap();
    let options = Options {
        home: Some(dir.path().join("home")),
        database: None,
    };
    an_incident_from_report_to_deadlines(&options, dir.path()).await;
    // Nothing of the names in the database file, its journal or anywhere in the home.
    for entry in walk(&dir.path().join("home")) {
        let bytes = std::fs::read(&entry).unwrap();
        let text = String::from_utf8_lossy(&bytes).to_lowercase();
        for name in NAMES {
            assert!(
                !text.contains(&name.to_lowercase()),
                "{} holds {name}",
                entry.display()
            );
        }
    }
}

#[tokio::test]
async fn an_incident_is_recorded_assessed_and_counted_on_postgresql() {
    let Some(database) = phiguard_testkit::fresh_postgres_database().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let options = Options {
        home: Some(dir.path().join("home")),
        database: Some(database.url().to_owned()),
    };
    an_incident_from_report_to_deadlines(&options, dir.path()).await;
}

#[tokio::test]
async fn sealed_evidence_states_what_the_keyring_holds() {
    let dir = tempfile::tempdir().unwrap();
    let options = Options {
        home: Some(dir.path().join("home")),
        database: None,
    };
    let session = Session::open(&options, Purpose::Record, &Silent)
        .await
        .unwrap();
    let evidence = phiguard_app::incident::sealed_evidence(&session, &NoSecrets).unwrap();
    assert!(evidence.contains("v1 current"), "{evidence}");
    assert!(
        evidence.contains("No key-encryption key is retired"),
        "{evidence}"
    );
    assert!(evidence.contains("a key file"), "{evidence}");
    session.close().await.unwrap();
    phiguard_app::key_management::rotate(&options, &NoSecrets, &Silent)
        .await
        .unwrap();
    phiguard_app::key_management::retire(&options, 1, &NoSecrets, &Silent)
        .await
        .unwrap();
    let session = Session::open(&options, Purpose::Amend, &Silent)
        .await
        .unwrap();
    let evidence = phiguard_app::incident::sealed_evidence(&session, &NoSecrets).unwrap();
    assert!(evidence.contains("v1 retired"), "{evidence}");
    assert!(evidence.contains("v2 current"), "{evidence}");
    assert!(
        evidence.contains("1 key-encryption key version(s) retired"),
        "{evidence}"
    );
    session.close().await.unwrap();
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        for entry in std::fs::read_dir(&next).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}
