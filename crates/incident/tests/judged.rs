//! Incidents judged on a register snapshot built in memory: deadlines with the notices recorded
//! against them, a vendor's report against its windows, the checks, and the annual log. Every
//! expected date is worked out by hand in the comment beside it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use jiff::Timestamp;
use jiff::civil::date;
use phiguard_breach::{Recipient, Rules};
use phiguard_core::{CheckContext, EvidenceRef, Finding, Registry, Severity, Status};
use phiguard_incident::deadlines::{self, DeadlineState, Standing};
use phiguard_incident::{checks, lateness, log};
use phiguard_register::records::Conclusion;
use phiguard_register::{AnyRecord, Kind, Snapshot};
use serde_json::{Value, json};

fn rules() -> Rules {
    Rules::builtin().unwrap()
}

fn record(kind: Kind, value: Value) -> AnyRecord {
    let record = AnyRecord::from_json(kind, value).unwrap();
    assert_eq!(record.problems(), Vec::<String>::new(), "{record:?}");
    record
}

/// A notifiable breach's incident, discovered on Sunday 1 March 2026 at 09:30 UTC.
fn incident(id: &str, affected: &[&str]) -> Value {
    let affected: Vec<Value> = affected
        .iter()
        .map(|entry| {
            let (state, count) = entry.split_once('=').unwrap();
            json!({"state": state, "count": count.parse::<u64>().unwrap()})
        })
        .collect();
    json!({
        "id": id,
        "title": "Laptop stolen from a car",
        "source": "workforce",
        "reported_by": "Dr. Lee",
        "discovered": "2026-03-01T09:30:00Z",
        "phi": ["names", "diagnoses"],
        "affected": affected,
    })
}

fn notifiable(incident: &str) -> Value {
    json!({
        "id": incident,
        "incident": incident,
        "nature": "high", "nature_rationale": "names and diagnoses",
        "recipient": "high", "recipient_rationale": "an unknown thief",
        "acquired": "medium", "acquired_rationale": "not known whether it was opened",
        "mitigated": "low", "mitigated_rationale": "not recovered",
        "conclusion": "notifiable",
        "decided_by": "Pat, privacy officer",
        "decided": "2026-03-06",
    })
}

fn notice(incident: &str, recipient: &str, state: Option<&str>, sent: &str) -> Value {
    let mut id = format!("{incident}.{recipient}");
    let mut value = json!({"incident": incident, "recipient": recipient, "sent": sent});
    if let Some(state) = state {
        id.push('.');
        id.push_str(state);
        value["jurisdiction"] = json!(state);
    }
    value["id"] = json!(id);
    value
}

fn snapshot(records: Vec<(Kind, Value)>) -> Snapshot {
    let mut snapshot = Snapshot::default();
    for (n, (kind, value)) in records.into_iter().enumerate() {
        let evidence = EvidenceRef {
            seq: n as u64 + 1,
            leaf_hash: [n as u8 + 1; 32],
        };
        snapshot.insert(record(kind, value), Some(evidence));
    }
    snapshot
}

fn the_incident(snapshot: &Snapshot, id: &str) -> phiguard_register::records::Incident {
    snapshot.incidents[id].record.clone()
}

fn deadline_of<'d>(
    due: &'d deadlines::Deadlines,
    recipient: Recipient,
    state: Option<&str>,
) -> &'d deadlines::Deadline {
    due.deadlines
        .iter()
        .find(|d| d.notice.recipient == recipient && d.notice.jurisdiction.as_deref() == state)
        .unwrap_or_else(|| panic!("no {recipient:?} {state:?} notice in {due:#?}"))
}

#[test]
fn an_unassessed_incident_runs_the_deadlines_of_a_breach() {
    let snapshot = snapshot(vec![(Kind::Incident, incident("lost", &["OH=120"]))]);
    let due = deadlines::deadlines(
        &rules(),
        &snapshot,
        &the_incident(&snapshot, "lost"),
        date(2026, 3, 5),
    );
    assert_eq!(due.standing, Standing::NotAssessed);
    assert_eq!(due.discovered, date(2026, 3, 1));
    // 1 March + 60 calendar days: 30 left in March, 30 more is 30 April.
    let individuals = deadline_of(&due, Recipient::Individuals, None);
    assert_eq!(individuals.notice.due, date(2026, 4, 30));
    assert_eq!(individuals.state, DeadlineState::Open);
    // 120 is under 500: the annual log, 60 days after 31 December 2026 is 1 March 2027.
    let hhs = deadline_of(&due, Recipient::Hhs, None);
    assert_eq!(hhs.notice.due, date(2027, 3, 1));
    assert!(
        due.notes[0].text.contains("presumed a breach"),
        "{:?}",
        due.notes
    );
}

#[test]
fn the_day_of_discovery_is_the_utc_day() {
    // 23:30 on 1 March in New York is 04:30 on 2 March in UTC: the clocks count from 2 March,
    // the later day, as every other date phiguard records is a UTC day. 2 March + 60 = 1 May.
    let mut value = incident("late-night", &["NY=3"]);
    value["discovered"] = json!("2026-03-01T23:30:00-05:00");
    let snapshot = snapshot(vec![(Kind::Incident, value)]);
    let due = deadlines::deadlines(
        &rules(),
        &snapshot,
        &the_incident(&snapshot, "late-night"),
        date(2026, 3, 5),
    );
    assert_eq!(due.discovered, date(2026, 3, 2));
    assert_eq!(
        deadline_of(&due, Recipient::Individuals, None).notice.due,
        date(2026, 5, 1)
    );
}

#[test]
fn no_breach_and_low_probability_stop_every_deadline() {
    let mut secured = notifiable("lost");
    secured["conclusion"] = json!("no_breach");
    secured["secured"] = json!(true);
    secured["secured_rationale"] = json!("full-disk encryption, key on a separate token");
    let mut low = notifiable("other");
    low["conclusion"] = json!("low_probability");
    low["nature"] = json!("low");
    low["recipient"] = json!("low");
    for (assessment, id, conclusion) in [
        (secured, "lost", Conclusion::NoBreach),
        (low, "other", Conclusion::LowProbability),
    ] {
        let snapshot = snapshot(vec![
            (Kind::Incident, incident(id, &["OH=900"])),
            (Kind::BreachAssessment, assessment),
        ]);
        // Long after every deadline would have passed.
        let due = deadlines::deadlines(
            &rules(),
            &snapshot,
            &the_incident(&snapshot, id),
            date(2027, 1, 1),
        );
        assert_eq!(due.standing, Standing::NotNotifiable(conclusion));
        assert!(due.deadlines.is_empty(), "{due:#?}");
        assert_eq!(due.missed().count(), 0);
    }
}

#[test]
fn recorded_notices_meet_their_deadlines_on_time_late_or_not_at_all() {
    // 900 Ohioans: individuals, media in Ohio and HHS at once, all by 30 April.
    let snapshot = snapshot(vec![
        (Kind::Incident, incident("lost", &["OH=900"])),
        (Kind::BreachAssessment, notifiable("lost")),
        (
            Kind::BreachNotice,
            notice("lost", "individuals", None, "2026-04-10"),
        ),
        // A day late.
        (
            Kind::BreachNotice,
            notice("lost", "media", Some("OH"), "2026-05-01"),
        ),
        // To the wrong state's media: meets nothing.
        (
            Kind::BreachNotice,
            notice("lost", "media", Some("PA"), "2026-04-01"),
        ),
    ]);
    let due = deadlines::deadlines(
        &rules(),
        &snapshot,
        &the_incident(&snapshot, "lost"),
        date(2026, 5, 2),
    );
    assert_eq!(due.standing, Standing::Notifiable);
    let individuals = deadline_of(&due, Recipient::Individuals, None);
    assert_eq!(individuals.state, DeadlineState::Met);
    assert_eq!(individuals.given.as_ref().unwrap().id, "lost.individuals");
    let media = deadline_of(&due, Recipient::Media, Some("OH"));
    assert_eq!(media.notice.due, date(2026, 4, 30));
    assert_eq!(media.state, DeadlineState::MetLate);
    assert_eq!(media.given.as_ref().unwrap().id, "lost.media.OH");
    // 900 is 500 or more: HHS with the individual notice, by 30 April; nothing recorded.
    let hhs = deadline_of(&due, Recipient::Hhs, None);
    assert_eq!(hhs.notice.due, date(2026, 4, 30));
    assert_eq!(hhs.state, DeadlineState::Overdue);
    assert_eq!(due.missed().count(), 2);
}

#[test]
fn a_letter_to_every_individual_meets_a_state_laws_notice_to_its_residents() {
    // California: individuals within 15 business days of detection, counted from discovery.
    // From Sunday 1 March: 2–6, 9–13 and 16–20 March are 15 business days, so 20 March.
    let snapshot = snapshot(vec![
        (Kind::Incident, incident("clinic", &["CA=40"])),
        (Kind::BreachAssessment, notifiable("clinic")),
        (
            Kind::BreachNotice,
            notice("clinic", "individuals", None, "2026-03-20"),
        ),
    ]);
    let due = deadlines::deadlines(
        &rules(),
        &snapshot,
        &the_incident(&snapshot, "clinic"),
        date(2026, 3, 21),
    );
    let california = deadline_of(&due, Recipient::Individuals, Some("CA"));
    assert_eq!(california.notice.due, date(2026, 3, 20));
    assert_eq!(california.state, DeadlineState::Met);
    // The regulator's notice is its own: CDPH, also 15 business days, not given.
    let regulator = deadline_of(&due, Recipient::StateRegulator, Some("CA"));
    assert_eq!(regulator.notice.due, date(2026, 3, 20));
    assert_eq!(regulator.state, DeadlineState::Overdue);
}

#[test]
fn a_letter_to_one_states_residents_does_not_meet_the_federal_notice() {
    let snapshot = snapshot(vec![
        (Kind::Incident, incident("clinic", &["CA=40", "OH=10"])),
        (Kind::BreachAssessment, notifiable("clinic")),
        (
            Kind::BreachNotice,
            notice("clinic", "individuals", Some("CA"), "2026-03-10"),
        ),
    ]);
    let due = deadlines::deadlines(
        &rules(),
        &snapshot,
        &the_incident(&snapshot, "clinic"),
        date(2026, 3, 11),
    );
    assert_eq!(
        deadline_of(&due, Recipient::Individuals, Some("CA")).state,
        DeadlineState::Met
    );
    let federal = deadline_of(&due, Recipient::Individuals, None);
    assert_eq!(federal.state, DeadlineState::Open);
    assert!(federal.given.is_none());
}

#[test]
fn a_written_law_enforcement_delay_in_the_assessment_moves_the_federal_notices() {
    let mut assessment = notifiable("lost");
    assessment["delay"] = json!("written");
    assessment["delay_until"] = json!("2026-06-15");
    let snapshot = snapshot(vec![
        (Kind::Incident, incident("lost", &["OH=120"])),
        (Kind::BreachAssessment, assessment),
    ]);
    let due = deadlines::deadlines(
        &rules(),
        &snapshot,
        &the_incident(&snapshot, "lost"),
        date(2026, 5, 10),
    );
    // Due 30 April without it; the statement holds notice until 15 June.
    let individuals = deadline_of(&due, Recipient::Individuals, None);
    assert_eq!(individuals.notice.due, date(2026, 6, 15));
    assert_eq!(individuals.state, DeadlineState::Open);
}

#[test]
fn a_media_notice_meets_substitute_notice_but_not_the_reverse() {
    let mut value = incident("mailing", &["OH=300"]);
    value["insufficient_contacts"] = json!(12);
    let snapshot = snapshot(vec![
        (Kind::Incident, value),
        (Kind::BreachAssessment, notifiable("mailing")),
        (
            Kind::BreachNotice,
            notice("mailing", "media", None, "2026-04-01"),
        ),
    ]);
    let due = deadlines::deadlines(
        &rules(),
        &snapshot,
        &the_incident(&snapshot, "mailing"),
        date(2026, 4, 2),
    );
    // 12 without usable contact details: substitute notice, by the individuals' 30 April.
    let substitute = deadline_of(&due, Recipient::SubstituteNotice, None);
    assert_eq!(substitute.state, DeadlineState::Met);
    // 300 in Ohio is not more than 500: no media notice is due, so none is matched either.
    assert!(
        due.deadlines
            .iter()
            .all(|d| d.notice.recipient != Recipient::Media)
    );
}

fn vendor_records(breach_notice_days: u32, incident_notice_hours: u32) -> Vec<(Kind, Value)> {
    vec![
        (
            Kind::Vendor,
            json!({"id": "acme", "name": "Acme Cloud", "touches_phi": true}),
        ),
        (
            Kind::Baa,
            json!({"id": "acme-2026", "vendor": "acme", "status": "signed",
                   "signed": "2026-01-15", "breach_notice_days": breach_notice_days}),
        ),
        (
            Kind::Sla,
            json!({"id": "acme-sla", "vendor": "acme", "incident_notice_hours": incident_notice_hours}),
        ),
    ]
}

fn vendor_incident(vendor_discovered: &str, reported: &str) -> Value {
    let mut value = incident("bucket", &["OH=50"]);
    value["source"] = json!("cloud_provider");
    value["reported_by"] = json!("Acme Cloud security team");
    value["vendors"] = json!(["acme"]);
    value["baa"] = json!("acme-2026");
    value["vendor_discovered"] = json!(vendor_discovered);
    value["discovered"] = json!(reported);
    value
}

#[test]
fn a_vendor_report_is_judged_against_its_sla_its_baa_and_the_60_days() {
    let mut records = vendor_records(10, 72);
    // Discovered by the vendor Friday 20 February 16:00; reported 1 March 09:30: 209.5 hours.
    records.push((
        Kind::Incident,
        vendor_incident("2026-02-20T16:00:00Z", "2026-03-01T09:30:00Z"),
    ));
    let snapshot = snapshot(records);
    let report = lateness::judge(&snapshot, &the_incident(&snapshot, "bucket")).unwrap();
    assert_eq!(report.vendor.as_deref(), Some("acme"));
    assert_eq!(report.took.unwrap().as_secs(), 209 * 3600 + 1800);
    let windows: Vec<(String, bool)> = report
        .windows
        .iter()
        .map(|w| (w.agreed.describe(), w.late))
        .collect();
    assert_eq!(
        windows,
        vec![
            // 72 hours from 20 February 16:00 is 23 February 16:00: missed.
            ("SLA acme-sla: 72 hours".to_owned(), true),
            // 10 days from 20 February: through 2 March. Met.
            ("BAA acme-2026: 10 days".to_owned(), false),
            ("45 CFR 164.410(b): 60 days".to_owned(), false),
        ]
    );
    assert_eq!(
        report.windows[0].due,
        "2026-02-23T16:00:00Z".parse::<Timestamp>().unwrap()
    );
    assert!(report.is_late());
}

#[test]
fn a_window_in_days_ends_with_its_last_day() {
    // 10 days from 20 February: 2 March is the last day. 23:59 on it is on time; midnight
    // starting 3 March is late.
    for (reported, late) in [
        ("2026-03-02T23:59:59Z", false),
        ("2026-03-03T00:00:00Z", true),
    ] {
        let mut records = vendor_records(10, 1000);
        records.push((
            Kind::Incident,
            vendor_incident("2026-02-20T16:00:00Z", reported),
        ));
        let snapshot = snapshot(records);
        let report = lateness::judge(&snapshot, &the_incident(&snapshot, "bucket")).unwrap();
        let baa = report
            .windows
            .iter()
            .find(|w| matches!(w.agreed, lateness::Agreed::Baa { .. }))
            .unwrap();
        assert_eq!(baa.late, late, "{reported}");
    }
}

#[test]
fn only_a_business_associates_report_is_judged() {
    let snapshot = snapshot(vec![(Kind::Incident, incident("lost", &["OH=1"]))]);
    assert!(lateness::judge(&snapshot, &the_incident(&snapshot, "lost")).is_none());
}

fn run_checks(snapshot: Snapshot, today: &str) -> Vec<Finding> {
    let mut registry = Registry::new();
    checks::add_to(&mut registry, Arc::new(snapshot), Arc::new(rules())).unwrap();
    let now: Timestamp = format!("{today}T12:00:00Z").parse().unwrap();
    registry.run_all(&CheckContext::new("/", now), |_| true)
}

fn finding<'f>(findings: &'f [Finding], check: &str, subject: &str) -> &'f Finding {
    findings
        .iter()
        .find(|f| f.check.as_str() == check && f.subject == subject)
        .unwrap_or_else(|| panic!("no {check} finding about {subject} in {findings:#?}"))
}

#[test]
fn an_incident_unassessed_ten_days_after_discovery_warns_and_one_closed_unassessed_fails() {
    let mut closed = incident("closed", &["OH=1"]);
    closed["status"] = json!("closed");
    let records = vec![
        (Kind::Incident, incident("lost", &["OH=120"])),
        (Kind::Incident, closed),
    ];
    // Discovered 1 March: 11 March is 10 days on, still allowed; 12 March is 11.
    let on_the_tenth = run_checks(snapshot(records.clone()), "2026-03-11");
    assert_eq!(
        finding(&on_the_tenth, "incident.assessed", "incident lost").status,
        Status::Pass
    );
    let after = run_checks(snapshot(records), "2026-03-12");
    let late = finding(&after, "incident.assessed", "incident lost");
    assert_eq!(late.status, Status::Warn);
    assert!(late.message.contains("11 days ago"), "{}", late.message);
    assert_eq!(
        finding(&after, "incident.assessed", "incident closed").status,
        Status::Fail
    );
}

#[test]
fn a_passed_deadline_with_no_notice_fails_as_critical_and_cites_the_records() {
    let findings = run_checks(
        snapshot(vec![
            (Kind::Incident, incident("lost", &["OH=120"])),
            (Kind::BreachAssessment, notifiable("lost")),
        ]),
        "2026-05-01",
    );
    let overdue = finding(&findings, "incident.notices", "incident lost");
    assert_eq!(overdue.status, Status::Fail);
    assert_eq!(overdue.severity, Severity::Critical);
    assert!(
        overdue.message.contains("individuals by 2026-04-30"),
        "{}",
        overdue.message
    );
    // The incident (entry 1) and its assessment (entry 2).
    let seqs: Vec<u64> = overdue.evidence.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, vec![1, 2]);
    // The day before, the same incident passes with its notices open.
    let before = run_checks(
        snapshot(vec![
            (Kind::Incident, incident("lost", &["OH=120"])),
            (Kind::BreachAssessment, notifiable("lost")),
        ]),
        "2026-04-30",
    );
    assert_eq!(
        finding(&before, "incident.notices", "incident lost").status,
        Status::Pass
    );
}

#[test]
fn a_late_vendor_report_fails_and_one_without_the_vendors_time_warns() {
    let mut records = vendor_records(10, 72);
    records.push((
        Kind::Incident,
        vendor_incident("2026-02-20T16:00:00Z", "2026-03-01T09:30:00Z"),
    ));
    let findings = run_checks(snapshot(records), "2026-03-02");
    let late = finding(&findings, "incident.vendor_report", "incident bucket");
    assert_eq!(late.status, Status::Fail);
    assert!(
        late.message.contains("SLA acme-sla: 72 hours"),
        "{}",
        late.message
    );
    assert!(!late.message.contains("BAA acme-2026"), "{}", late.message);

    let mut unknown = vendor_incident("2026-02-20T16:00:00Z", "2026-03-01T09:30:00Z");
    unknown.as_object_mut().unwrap().remove("vendor_discovered");
    let mut records = vendor_records(10, 72);
    records.push((Kind::Incident, unknown));
    let findings = run_checks(snapshot(records), "2026-03-02");
    assert_eq!(
        finding(&findings, "incident.vendor_report", "incident bucket").status,
        Status::Warn
    );
}

#[test]
fn with_no_incident_recorded_every_check_says_it_judged_nothing() {
    let findings = run_checks(Snapshot::default(), "2026-03-02");
    assert_eq!(findings.len(), checks::ids().len());
    assert!(
        findings.iter().all(|f| f.status == Status::NotApplicable),
        "{findings:#?}"
    );
}

#[test]
fn the_annual_log_holds_the_years_breaches_under_500_and_nothing_else() {
    let mut earlier = incident("last-year", &["OH=3"]);
    earlier["discovered"] = json!("2025-12-31T23:00:00Z");
    let mut no_breach = notifiable("secured");
    no_breach["conclusion"] = json!("no_breach");
    no_breach["secured"] = json!(true);
    no_breach["secured_rationale"] = json!("encrypted, key never on the device");
    let snapshot = snapshot(vec![
        (Kind::Incident, incident("small", &["OH=120", "PA=3"])),
        (Kind::BreachAssessment, notifiable("small")),
        (
            Kind::BreachNotice,
            notice("small", "individuals", None, "2026-03-20"),
        ),
        (Kind::Incident, incident("large", &["OH=600"])),
        (Kind::BreachAssessment, notifiable("large")),
        (Kind::Incident, incident("secured", &["OH=10"])),
        (Kind::BreachAssessment, no_breach),
        (Kind::Incident, incident("unassessed", &["TX=2"])),
        (Kind::Incident, earlier),
    ]);
    let year = log::annual(&rules(), &snapshot, 2026);
    // 60 days after 31 December 2026: 1 March 2027.
    assert_eq!(year.due, date(2027, 3, 1));
    let ids: Vec<&str> = year.entries.iter().map(|e| e.incident.as_str()).collect();
    assert_eq!(ids, vec!["small", "unassessed"]);
    let small = &year.entries[0];
    assert_eq!(small.affected, 123);
    assert_eq!(small.individuals_notified, Some(date(2026, 3, 20)));
    assert_eq!(small.reported_to_hhs, None);
    assert_eq!(year.entries[1].standing, Standing::NotAssessed);
    assert_eq!(year.unreported().count(), 2);
    // The breach discovered late on 31 December 2025 is in 2025's log, due 1 March 2026.
    let previous = log::annual(&rules(), &snapshot, 2025);
    assert_eq!(previous.due, date(2026, 3, 1));
    assert_eq!(previous.entries.len(), 1);
    // 2027's log is due 60 days after 31 December 2027: 2028 is a leap year, so 29 February.
    assert_eq!(
        log::annual(&rules(), &snapshot, 2027).due,
        date(2028, 2, 29)
    );
}

#[test]
fn an_assessment_without_rationales_or_with_a_conclusion_its_answers_contradict_is_invalid() {
    let mut no_reason = notifiable("lost");
    no_reason
        .as_object_mut()
        .unwrap()
        .remove("nature_rationale");
    let problems = AnyRecord::from_json(Kind::BreachAssessment, no_reason)
        .unwrap()
        .problems();
    assert!(
        problems
            .iter()
            .any(|p| p.contains("factor 1") && p.contains("164.414(b)")),
        "{problems:?}"
    );
    let mut unfounded = notifiable("lost");
    unfounded["conclusion"] = json!("no_breach");
    let problems = AnyRecord::from_json(Kind::BreachAssessment, unfounded)
        .unwrap()
        .problems();
    assert!(
        problems.iter().any(|p| p.contains("presumed a breach")),
        "{problems:?}"
    );
    let mut high_but_low = notifiable("lost");
    high_but_low["conclusion"] = json!("low_probability");
    let problems = AnyRecord::from_json(Kind::BreachAssessment, high_but_low)
        .unwrap()
        .problems();
    assert!(
        problems.iter().any(|p| p.contains("weighs high")),
        "{problems:?}"
    );
}

#[test]
fn a_vendor_report_time_after_the_organisations_discovery_is_refused() {
    let mut value = vendor_incident("2026-03-02T00:00:00Z", "2026-03-01T09:30:00Z");
    value["id"] = json!("backwards");
    let problems = AnyRecord::from_json(Kind::Incident, value)
        .unwrap()
        .problems();
    assert!(
        problems.iter().any(|p| p.contains("vendor_discovered")),
        "{problems:?}"
    );
}
