//! The register as YAML files and the responsibility matrix as CSV: round trips of arbitrary
//! registers, imports planned against the register, and every refusal pointing at the file and
//! line to fix.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failure with its location

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use jiff::ToSpan;
use jiff::civil::{Date, date};
use phiguard_core::ControlId;
use phiguard_register::exchange::{MAX_FILE_BYTES, MAX_RECORDS, matrix_csv, yaml};
use phiguard_register::records::*;
use phiguard_register::{AnyRecord, Change, FileProblem, Kind, RegisterError, Snapshot, plan};
use proptest::prelude::*;
use proptest::sample::Index;

// ---------------------------------------------------------------------------------------------
// Arbitrary registers

/// Strings YAML would read as something else, or that need quoting or a block scalar.
const TRICKY: &[&str] = &[
    "yes",
    "no",
    "n",
    "Y",
    "on",
    "OFF",
    "true",
    "False",
    "null",
    "Null",
    "~",
    "1.0",
    "1.10",
    "0755",
    "1_000",
    "0x1F",
    "+1",
    "1e3",
    ".inf",
    "-.inf",
    ".nan",
    "2026-01-31",
    "2026-01-31T10:00:00Z",
    "164.308",
    "164.312(a)(2)(iv)",
    "-",
    "- x",
    "? x",
    ": x",
    "# x",
    "x #y",
    "a: b",
    "a:b",
    "*x",
    "&x",
    "!x",
    "!!str",
    "%x",
    "@x",
    "`x",
    "|",
    ">",
    "'q'",
    "\"q\"",
    "it's",
    "---",
    "...",
    "[a]",
    "{a: b}",
    "a, b",
    "\\",
    "é 😀 中文",
    "\u{feff}bom",
    "tab\there",
    "cr\rlf",
    "nel\u{85}x",
    "ls\u{2028}x",
    "ctl\u{1}x",
    "del\u{7f}",
    "nbsp\u{a0}",
    "  leading",
    "trailing ",
    "multi\nline",
    "trailing\n",
    "two\n\n",
    "\nleading newline",
    "line\n  indented\n",
    "x\n ",
    "é\n\nfoo   \n",
    "<<",
    "=cmd()",
];

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(TRICKY).prop_map(str::to_owned),
        2 => any::<String>(),
        2 => "[ -~]{0,24}",
        1 => "[a-z #:'\"\\-\n]{0,24}",
    ]
}

/// Text a record requires: not blank.
fn required() -> impl Strategy<Value = String> {
    text().prop_filter("required text is not blank", |t| !t.trim().is_empty())
}

fn optional() -> impl Strategy<Value = Option<String>> {
    prop::option::of(text())
}

fn optional_required() -> impl Strategy<Value = Option<String>> {
    prop::option::of(required())
}

fn list() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(text(), 0..3)
}

/// An id `plan` accepts: short, no spaces at the ends, no control characters or slashes.
fn id() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(TRICKY).prop_map(str::to_owned),
        "[a-z0-9][a-z0-9._:# 'é-]{0,16}",
        any::<String>(),
    ]
    .prop_filter("a valid id", |id| {
        !id.trim().is_empty()
            && id.trim() == id
            && id.len() <= 128
            && !id.chars().any(|c| c.is_control() || c == '/' || c == '\\')
    })
}

fn day() -> impl Strategy<Value = Date> {
    (2000i16..2040, 1i8..=12, 1i8..=28).prop_map(|(y, m, d)| date(y, m, d))
}

fn after(start: Date, days: i64) -> Date {
    start.checked_add(days.days()).unwrap()
}

fn sha256() -> impl Strategy<Value = String> {
    "[0-9a-f]{64}"
}

fn hours() -> impl Strategy<Value = Option<f64>> {
    prop::option::of(prop_oneof![
        0.0..1000.0f64,
        Just(0.0),
        Just(24.0),
        Just(0.5)
    ])
}

/// A vendor; what it does with PHI is recorded only of one that touches it, as validation
/// requires.
fn vendor() -> impl Strategy<Value = Vendor> {
    (
        id(),
        required(),
        list(),
        any::<bool>(),
        prop::sample::subsequence(PhiUse::ALL.to_vec(), 0..=PhiUse::ALL.len()),
        any::<bool>(),
        list(),
        optional(),
        optional(),
    )
        .prop_map(
            |(id, name, services, touches_phi, uses, encrypted, systems, contact, notes)| Vendor {
                id,
                name,
                services,
                touches_phi,
                phi_uses: if touches_phi { uses } else { Vec::new() },
                phi_encrypted_only: touches_phi && encrypted,
                systems,
                contact,
                notes,
            },
        )
}

fn baa() -> impl Strategy<Value = Baa> {
    (
        (id(), prop::sample::select(BaaStatus::ALL.to_vec()), day()),
        (
            any::<bool>(),
            prop::option::of(0i64..30),
            prop::option::of(400i64..2000),
        ),
        (
            prop::option::of(0u32..=60),
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
        ),
        prop::option::of((text(), sha256())),
    )
        .prop_map(
            |(
                (id, status, start),
                (has_signed, effective, expires),
                (notice, destroy, flow, incidents),
                document,
            )| Baa {
                id,
                vendor: String::new(),
                status,
                signed: (has_signed || status == BaaStatus::Signed).then_some(start),
                effective: effective.map(|d| after(start, d)),
                expires: expires.map(|d| after(start, d)),
                breach_notice_days: notice,
                return_or_destroy: destroy,
                subcontractor_flow_down: flow,
                security_incident_reporting: incidents,
                document: document.map(|(path, sha256)| Document { path, sha256 }),
            },
        )
}

fn assurance() -> impl Strategy<Value = AssuranceReport> {
    (
        (id(), prop::sample::select(AssuranceKind::ALL.to_vec())),
        (day(), 0i64..800),
        (required(), optional_required()),
        prop::option::of((text(), sha256())),
    )
        .prop_map(
            |((id, kind), (start, length), (issuer, scope), document)| AssuranceReport {
                id,
                vendor: String::new(),
                kind,
                period_start: start,
                period_end: after(start, length),
                issuer,
                scope,
                document: document.map(|(path, sha256)| Document { path, sha256 }),
            },
        )
}

fn sla() -> impl Strategy<Value = Sla> {
    (
        id(),
        prop::option::of(prop_oneof![
            90.0..=100.0f64,
            Just(99.9),
            Just(99.99),
            Just(100.0)
        ]),
        hours(),
        hours(),
        hours(),
        prop::option::of(any::<u32>()),
        prop::option::of(0u32..1000),
    )
        .prop_map(
            |(id, availability, rpo, rto, backup, retention, notice)| Sla {
                id,
                vendor: String::new(),
                availability_percent: availability,
                rpo_hours: rpo,
                rto_hours: rto,
                backup_frequency_hours: backup,
                retention_days: retention,
                incident_notice_hours: notice,
            },
        )
}

fn restore_test() -> impl Strategy<Value = (RestoreTest, bool)> {
    (
        id(),
        required(),
        day(),
        prop::sample::select(vec![RestoreResult::Success, RestoreResult::Failure]),
        hours(),
        optional(),
        any::<bool>(),
    )
        .prop_map(|(id, system, date, result, hours, notes, with_vendor)| {
            let test = RestoreTest {
                id,
                system,
                vendor: None,
                date,
                result,
                hours_to_restore: hours,
                notes,
            };
            (test, with_vendor)
        })
}

fn control() -> impl Strategy<Value = ControlId> {
    (
        prop::sample::select(vec![
            "164.308", "164.310", "164.312", "164.314", "164.316", "164.404",
        ]),
        prop::option::of((
            "[a-e]",
            prop::option::of((1u8..4, prop::option::of("i|ii|iv"))),
        )),
    )
        .prop_map(|(section, paragraph)| {
            let mut text = section.to_owned();
            if let Some((letter, number)) = paragraph {
                text.push_str(&format!("({letter})"));
                if let Some((number, roman)) = number {
                    text.push_str(&format!("({number})"));
                    if let Some(roman) = roman {
                        text.push_str(&format!("({roman})"));
                    }
                }
            }
            ControlId::from_str(&text).unwrap()
        })
}

/// A matrix row, with an index choosing the vendor of a provider or shared row, if any.
fn responsibility() -> impl Strategy<Value = (ResponsibilityRecord, Option<Index>)> {
    (
        control(),
        prop::sample::select(Responsibility::ALL.to_vec()),
        optional_required(),
        optional(),
        list(),
        prop::option::of(any::<Index>()),
    )
        .prop_map(
            |(control, responsibility, owner, notes, evidence, vendor)| {
                let mut record = ResponsibilityRecord::new(control, responsibility);
                record.owner = owner;
                record.notes = notes;
                record.evidence = evidence;
                (record, vendor)
            },
        )
}

fn person() -> impl Strategy<Value = Person> {
    (
        id(),
        required(),
        ("[a-z.é]{1,10}", "[a-z]{1,10}"),
        required(),
        day(),
        prop::option::of(0i64..3000),
        any::<bool>(),
    )
        .prop_map(
            |(id, name, (user, host), role, started, left, phi_access)| Person {
                id,
                name,
                email: format!("{user}@{host}.example"),
                role,
                started,
                left: left.map(|d| after(started, d)),
                phi_access,
            },
        )
}

fn course() -> impl Strategy<Value = Course> {
    (id(), required(), 1u32..=120, list()).prop_map(|(id, title, interval_months, roles)| Course {
        id,
        title,
        interval_months,
        roles,
    })
}

fn completion() -> impl Strategy<Value = Completion> {
    (id(), day(), prop::option::of(sha256())).prop_map(|(id, completed, evidence)| Completion {
        id,
        person: String::new(),
        course: String::new(),
        completed,
        evidence_sha256: evidence,
    })
}

fn policy() -> impl Strategy<Value = Policy> {
    (id(), required(), required(), required(), day(), list()).prop_map(
        |(id, title, version, approver, approved, roles)| Policy {
            id,
            title,
            version,
            approver,
            approved,
            roles,
        },
    )
}

fn acknowledgment() -> impl Strategy<Value = Acknowledgment> {
    (id(), required(), day()).prop_map(|(id, version, acknowledged)| Acknowledgment {
        id,
        person: String::new(),
        policy: String::new(),
        version,
        acknowledged,
    })
}

fn grant() -> impl Strategy<Value = Grant> {
    (
        (id(), required(), required(), optional()),
        (required(), required(), day(), prop::option::of(0i64..800)),
        prop::option::of((0i64..800, required(), required())),
    )
        .prop_map(
            |(
                (id, system, role, account),
                (approver, justification, granted, expires),
                revoked,
            )| {
                Grant {
                    id,
                    person: String::new(),
                    system,
                    role,
                    account,
                    approver,
                    justification,
                    granted,
                    expires: expires.map(|d| after(granted, d)),
                    revoked: revoked.map(|(d, by, reason)| Revocation {
                        date: after(granted, d),
                        by,
                        reason,
                    }),
                }
            },
        )
}

fn attestation() -> impl Strategy<Value = Attestation> {
    (
        control(),
        required(),
        required(),
        day(),
        prop::option::of((required(), sha256())),
    )
        .prop_map(|(control, by, statement, date, evidence)| Attestation {
            control: control.to_string(),
            by,
            statement,
            date,
            evidence: evidence.map(|(path, sha256)| Document { path, sha256 }),
        })
}

/// A review, with indexes choosing its grants, decisions for the first of them, and whether
/// to close it when all are decided.
type ReviewPlan = (Review, Vec<Index>, Vec<(Decision, String, String)>, bool);

fn review() -> impl Strategy<Value = ReviewPlan> {
    (
        (id(), required(), day()),
        prop::collection::vec(any::<Index>(), 0..3),
        prop::collection::vec(
            (
                prop::sample::select(vec![Decision::Keep, Decision::Revoke]),
                required(),
                required(),
            ),
            0..3,
        ),
        any::<bool>(),
    )
        .prop_map(|((id, system, started), grants, decisions, close)| {
            let review = Review {
                id,
                system,
                started,
                grants: Vec::new(),
                decisions: Vec::new(),
                closed: None,
            };
            (review, grants, decisions, close)
        })
}

/// A moment in the years the register's dates use, to the second.
fn moment() -> impl Strategy<Value = jiff::Timestamp> {
    (0i64..(30 * 365 * 86_400))
        .prop_map(|seconds| jiff::Timestamp::from_second(946_684_800 + seconds).unwrap())
}

fn state() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["OH", "PA", "CA", "NY", "TX", "PR"]).prop_map(str::to_owned)
}

/// An incident with an index choosing the vendor that reported it, when one did.
fn incident() -> impl Strategy<Value = (Incident, Option<Index>)> {
    (
        (id(), required(), optional(), required(), moment()),
        (
            prop::sample::select(IncidentSource::ALL.to_vec()),
            prop::sample::select(IncidentStatus::ALL.to_vec()),
            prop::collection::vec(prop::sample::select(PhiKind::ALL.to_vec()), 0..4),
            prop::collection::btree_map(state(), 0u64..100_000, 0..3),
            prop::option::of(0u64..50),
            optional(),
            list(),
            prop::option::of(any::<Index>()),
        ),
    )
        .prop_map(
            |(
                (id, title, description, reported_by, discovered),
                (
                    source,
                    status,
                    mut phi,
                    affected,
                    insufficient_contacts,
                    consequences,
                    systems,
                    vendor,
                ),
            )| {
                phi.sort();
                phi.dedup();
                let day = utc_day(discovered);
                let incident = Incident {
                    id,
                    title,
                    description,
                    source,
                    reported_by,
                    discovered,
                    occurred_from: Some(after(day, -3)),
                    occurred_to: Some(day),
                    systems,
                    vendors: Vec::new(),
                    baa: None,
                    vendor_discovered: source
                        .is_business_associate()
                        .then(|| discovered - jiff::SignedDuration::from_hours(30)),
                    phi,
                    affected: affected
                        .into_iter()
                        .map(|(state, count)| StateCount { state, count })
                        .collect(),
                    insufficient_contacts,
                    individuals: Vec::new(),
                    status,
                    consequences,
                };
                (incident, vendor)
            },
        )
}

fn incident_event() -> impl Strategy<Value = (IncidentEvent, Index)> {
    (
        prop::sample::select(Phase::ALL.to_vec()),
        moment(),
        required(),
        optional(),
        any::<Index>(),
    )
        .prop_map(|(phase, at, note, by, index)| {
            let event = IncidentEvent {
                id: String::new(),
                incident: String::new(),
                phase,
                at,
                note,
                by,
            };
            (event, index)
        })
}

fn risk() -> impl Strategy<Value = Risk> {
    prop::sample::select(Risk::ALL.to_vec())
}

/// A consistent assessment: its conclusion follows from its answers, each with a rationale.
fn breach_assessment() -> impl Strategy<Value = (BreachAssessment, Index)> {
    (
        (
            prop::option::of(prop::sample::select(
                phiguard_breach::Exclusion::ALL.to_vec(),
            )),
            any::<bool>(),
            [risk(), risk(), risk(), risk()],
            [required(), required(), required(), required(), required()],
        ),
        (required(), day(), prop::option::of(day()), any::<Index>()),
    )
        .prop_map(
            |((exclusion, secured, levels, reasons), (decided_by, decided, delay, index))| {
                let conclusion = if exclusion.is_some() || secured {
                    Conclusion::NoBreach
                } else if levels.contains(&Risk::High) {
                    Conclusion::Notifiable
                } else {
                    Conclusion::LowProbability
                };
                let [nature, recipient, acquired, mitigated] = levels.map(Some);
                let [r1, r2, r3, r4, r5] = reasons;
                let assessment = BreachAssessment {
                    id: String::new(),
                    incident: String::new(),
                    role: phiguard_breach::Role::CoveredEntity,
                    exclusion,
                    exclusion_rationale: exclusion.map(|_| r5.clone()),
                    secured,
                    secured_rationale: secured.then(|| r5.clone()),
                    sealed_evidence: None,
                    nature,
                    nature_rationale: Some(r1),
                    recipient,
                    recipient_rationale: Some(r2),
                    acquired,
                    acquired_rationale: Some(r3),
                    mitigated,
                    mitigated_rationale: Some(r4),
                    conclusion,
                    decided_by,
                    decided,
                    delay: delay.map(|_| DelayKind::Written),
                    delay_stated: None,
                    delay_until: delay,
                    baa_window_days: None,
                };
                (assessment, index)
            },
        )
}

fn breach_notice() -> impl Strategy<Value = (BreachNotice, Index)> {
    (
        prop::sample::select(phiguard_breach::Recipient::ALL.to_vec()),
        state(),
        day(),
        optional(),
        prop::option::of(0u64..1_000_000),
        prop::option::of((required(), sha256())),
        any::<Index>(),
    )
        .prop_map(|(recipient, state, sent, method, count, document, index)| {
            let jurisdiction = matches!(
                recipient,
                phiguard_breach::Recipient::StateRegulator | phiguard_breach::Recipient::Media
            )
            .then_some(state);
            let notice = BreachNotice {
                id: String::new(),
                incident: String::new(),
                recipient,
                jurisdiction,
                sent,
                method,
                count,
                document: document.map(|(path, sha256)| Document { path, sha256 }),
            };
            (notice, index)
        })
}

fn pick(ids: &[String], index: &Index) -> Option<String> {
    (!ids.is_empty()).then(|| index.get(ids).clone())
}

/// A valid register: every reference resolves and every record passes its own checks.
/// An asset of any type, with or without what people add to it.
fn asset() -> impl Strategy<Value = Asset> {
    (
        (
            id(),
            required(),
            prop::sample::select(AssetType::ALL.to_vec()),
        ),
        (optional(), optional()),
        prop::collection::btree_set(prop::sample::select(PhiUse::ALL.to_vec()), 0..3),
        prop::option::of(prop::sample::select(Criticality::ALL.to_vec())),
        optional(),
    )
        .prop_map(
            |((id, name, asset_type), (owner, location), ephi, criticality, description)| Asset {
                id,
                name,
                asset_type,
                owner,
                location,
                ephi: ephi.into_iter().collect(),
                criticality,
                description,
            },
        )
}

/// A flow between two different asset ids (recorded or seen: the register does not hold
/// the seen ones, so the ids are free).
fn flow() -> impl Strategy<Value = DataFlow> {
    (
        id(),
        required(),
        required(),
        optional(),
        optional(),
        any::<Option<bool>>(),
        optional(),
    )
        .prop_filter("a flow goes somewhere else", |(_, from, to, ..)| from != to)
        .prop_map(
            |(id, from, to, data, protocol, encrypted, notes)| DataFlow {
                id,
                from,
                to,
                data,
                protocol,
                encrypted,
                notes,
            },
        )
}

fn vulnerability() -> impl Strategy<Value = Vulnerability> {
    (
        (id(), required(), prop::collection::vec(required(), 1..3)),
        prop::sample::select(Level::ALL.to_vec()),
        (
            optional(),
            prop::option::of(day()),
            prop::option::of(0i64..400),
            optional(),
        ),
    )
        .prop_map(
            |((id, title, assets), severity, (source, found, fixed_after, description))| {
                Vulnerability {
                    id,
                    title,
                    assets,
                    severity,
                    source,
                    fixed: found
                        .zip(fixed_after)
                        .map(|(found, days)| after(found, days)),
                    found,
                    description,
                }
            },
        )
}

/// A risk whose treatment carries what validation asks of it; residual ratings never above
/// the inherent ones.
fn risk_record() -> impl Strategy<Value = (RiskRecord, Option<Index>)> {
    (
        (
            id(),
            required(),
            prop::collection::vec(required(), 1..3),
            required(),
            required(),
        ),
        (1u16..=5, 1u16..=5, any::<bool>()),
        prop::sample::select(Treatment::ALL.to_vec()),
        (
            optional(),
            optional(),
            prop::option::of(day()),
            prop::option::of(day()),
        ),
        (required(), required(), day(), 1i64..800, required()),
        (
            prop::collection::vec("[a-z]{2,6}\\.[a-z_]{2,10}", 0..3),
            optional(),
        ),
        prop::option::of(any::<Index>()),
    )
        .prop_map(
            |(
                (id, title, assets, threat, vulnerability),
                (likelihood, impact, treated),
                treatment,
                (plan, owner, due, done),
                (accepted_by, reason, accepted_on, days, transferred_to),
                (checks, notes),
                vulnerability_pick,
            )| {
                let accepted = treatment == Treatment::Accept;
                let risk = RiskRecord {
                    id,
                    title,
                    assets,
                    threat,
                    vulnerability,
                    vulnerabilities: Vec::new(),
                    checks,
                    likelihood,
                    impact,
                    residual_likelihood: treated.then_some(likelihood.div_ceil(2)),
                    residual_impact: treated.then_some(impact),
                    treatment,
                    plan,
                    owner,
                    due,
                    done,
                    accepted_by: accepted.then_some(accepted_by),
                    accepted_on: accepted.then_some(accepted_on),
                    acceptance_reason: accepted.then_some(reason),
                    acceptance_expires: accepted.then(|| after(accepted_on, days)),
                    transferred_to: (treatment == Treatment::Transfer).then_some(transferred_to),
                    notes,
                };
                (risk, vulnerability_pick)
            },
        )
}

fn risk_analysis() -> impl Strategy<Value = RiskAnalysis> {
    (
        (id(), day(), required(), required()),
        (
            prop::collection::vec(required(), 0..3),
            prop::collection::vec(required(), 0..3),
        ),
        (sha256(), optional()),
        (prop::option::of((required(), 0i64..60)), optional()),
    )
        .prop_map(
            |(
                (id, as_of, scope, method),
                (assets, risks),
                (sha256, prepared_by),
                (signed, notes),
            )| {
                RiskAnalysis {
                    id,
                    as_of,
                    scope,
                    method,
                    assets,
                    risks,
                    sha256,
                    prepared_by,
                    signed_on: signed.as_ref().map(|(_, days)| after(as_of, *days)),
                    signed_by: signed.map(|(by, _)| by),
                    notes,
                }
            },
        )
}

fn snapshot() -> impl Strategy<Value = Snapshot> {
    let n = 0..4usize;
    (
        (
            prop::collection::vec(vendor(), n.clone()),
            prop::collection::vec((baa(), any::<Index>()), n.clone()),
            prop::collection::vec((assurance(), any::<Index>()), n.clone()),
            prop::collection::vec((sla(), any::<Index>()), n.clone()),
            prop::collection::vec((restore_test(), any::<Index>()), n.clone()),
            prop::collection::vec(responsibility(), n.clone()),
        ),
        (
            prop::collection::vec(person(), n.clone()),
            prop::collection::vec(course(), n.clone()),
            prop::collection::vec((completion(), any::<Index>(), any::<Index>()), n.clone()),
            prop::collection::vec(policy(), n.clone()),
            prop::collection::vec(
                (acknowledgment(), any::<Index>(), any::<Index>()),
                n.clone(),
            ),
        ),
        (
            prop::collection::vec((grant(), any::<Index>()), n.clone()),
            prop::collection::vec(review(), n.clone()),
            prop::collection::vec(attestation(), n.clone()),
        ),
        (
            prop::collection::vec(incident(), n.clone()),
            prop::collection::vec(incident_event(), n.clone()),
            prop::collection::vec(breach_assessment(), n.clone()),
            prop::collection::vec(breach_notice(), n.clone()),
        ),
        (
            prop::collection::vec(asset(), n.clone()),
            prop::collection::vec(flow(), n.clone()),
            prop::collection::vec(vulnerability(), n.clone()),
            prop::collection::vec(risk_record(), n.clone()),
            prop::collection::vec(risk_analysis(), n),
        ),
    )
        .prop_map(
            |(
                (vendors, baas, reports, slas, restore_tests, matrix),
                (people, courses, completions, policies, acknowledgments),
                (grants, reviews, attestations),
                (incidents, events, assessments, notices),
                (assets, flows, vulnerabilities, risks, analyses),
            )| {
                let mut s = Snapshot::default();
                let ids = |s: &Snapshot, kind| -> Vec<String> {
                    s.records(kind).iter().map(|r| r.id().to_owned()).collect()
                };
                vendors.into_iter().for_each(|r| s.insert(r.into(), None));
                attestations
                    .into_iter()
                    .for_each(|r| s.insert(r.into(), None));
                people.into_iter().for_each(|r| s.insert(r.into(), None));
                courses.into_iter().for_each(|r| s.insert(r.into(), None));
                policies.into_iter().for_each(|r| s.insert(r.into(), None));
                let (vendor_ids, person_ids) = (ids(&s, Kind::Vendor), ids(&s, Kind::Person));
                let (course_ids, policy_ids) = (ids(&s, Kind::Course), ids(&s, Kind::Policy));
                for (mut baa, i) in baas {
                    if let Some(vendor) = pick(&vendor_ids, &i) {
                        baa.vendor = vendor;
                        s.insert(baa.into(), None);
                    }
                }
                for (mut report, i) in reports {
                    if let Some(vendor) = pick(&vendor_ids, &i) {
                        report.vendor = vendor;
                        s.insert(report.into(), None);
                    }
                }
                for (mut row, i) in matrix {
                    if row.responsibility.involves_provider() {
                        row.vendor = i.and_then(|i| pick(&vendor_ids, &i));
                    }
                    s.insert(row.into(), None);
                }
                for (mut sla, i) in slas {
                    if let Some(vendor) = pick(&vendor_ids, &i) {
                        sla.vendor = vendor;
                        s.insert(sla.into(), None);
                    }
                }
                for ((mut test, with_vendor), i) in restore_tests {
                    test.vendor = pick(&vendor_ids, &i).filter(|_| with_vendor);
                    s.insert(test.into(), None);
                }
                for (mut completion, p, c) in completions {
                    if let (Some(person), Some(course)) =
                        (pick(&person_ids, &p), pick(&course_ids, &c))
                    {
                        completion.person = person;
                        completion.course = course;
                        s.insert(completion.into(), None);
                    }
                }
                for (mut ack, p, q) in acknowledgments {
                    if let (Some(person), Some(policy)) =
                        (pick(&person_ids, &p), pick(&policy_ids, &q))
                    {
                        ack.person = person;
                        ack.policy = policy;
                        s.insert(ack.into(), None);
                    }
                }
                for (mut grant, p) in grants {
                    if let Some(person) = pick(&person_ids, &p) {
                        grant.person = person;
                        s.insert(grant.into(), None);
                    }
                }
                let grant_ids = ids(&s, Kind::Grant);
                for (mut review, chosen, decisions, close) in reviews {
                    for index in chosen {
                        if let Some(grant) = pick(&grant_ids, &index)
                            && !review.grants.contains(&grant)
                        {
                            review.grants.push(grant);
                        }
                    }
                    for (grant, (decision, reviewer, comment)) in
                        review.grants.clone().into_iter().zip(decisions)
                    {
                        review.decisions.push(ReviewDecision {
                            grant,
                            decision,
                            reviewer,
                            comment,
                            date: after(review.started, 3),
                        });
                    }
                    if close && review.undecided().is_empty() {
                        review.closed = Some(after(review.started, 10));
                    }
                    s.insert(review.into(), None);
                }
                for (mut incident, vendor) in incidents {
                    incident.vendors = vendor
                        .and_then(|i| pick(&vendor_ids, &i))
                        .into_iter()
                        .collect();
                    s.insert(incident.into(), None);
                }
                let incident_ids = ids(&s, Kind::Incident);
                for (mut event, i) in events {
                    if let Some(incident) = pick(&incident_ids, &i) {
                        event.id = IncidentEvent::default_id(&incident, event.phase, event.at);
                        event.incident = incident;
                        s.insert(event.into(), None);
                    }
                }
                for (mut assessment, i) in assessments {
                    if let Some(incident) = pick(&incident_ids, &i) {
                        assessment.id = incident.clone();
                        assessment.incident = incident;
                        s.insert(assessment.into(), None);
                    }
                }
                for (mut notice, i) in notices {
                    if let Some(incident) = pick(&incident_ids, &i) {
                        notice.id = BreachNotice::default_id(
                            &incident,
                            notice.recipient,
                            notice.jurisdiction.as_deref(),
                        );
                        notice.incident = incident;
                        s.insert(notice.into(), None);
                    }
                }
                assets.into_iter().for_each(|r| s.insert(r.into(), None));
                flows.into_iter().for_each(|r| s.insert(r.into(), None));
                vulnerabilities
                    .into_iter()
                    .for_each(|r| s.insert(r.into(), None));
                let vulnerability_ids = ids(&s, Kind::Vulnerability);
                for (mut risk, i) in risks {
                    risk.vulnerabilities = i
                        .and_then(|i| pick(&vulnerability_ids, &i))
                        .into_iter()
                        .collect();
                    s.insert(risk.into(), None);
                }
                analyses.into_iter().for_each(|r| s.insert(r.into(), None));
                s
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// Export, read back: the same records; imported over the same register: nothing to do;
    /// imported into an empty register: accepted, and the same register.
    #[test]
    fn yaml_round_trip(original in snapshot()) {
        for record in original.all() {
            prop_assert!(record.problems().is_empty(), "generated an invalid record: {record:?}: {:?}", record.problems());
        }
        let dir = tempfile::tempdir().unwrap();
        let written = yaml::export(&original, dir.path()).unwrap();
        prop_assert_eq!(written.len(), Kind::ALL.len());

        let imported = match yaml::read_dir(dir.path()) {
            Ok(imported) => imported,
            Err(error) => {
                let files: Vec<String> = written.iter().map(|f| std::fs::read_to_string(f).unwrap()).collect();
                return Err(TestCaseError::fail(format!("{error}\n{}", files.join("\n"))));
            }
        };
        prop_assert_eq!(imported.kinds(), Kind::ALL);
        let all = original.all();
        prop_assert_eq!(imported.records(), all.as_slice());

        let (planned, after) = plan(&original, &imported.changes(&original)).unwrap();
        prop_assert!(planned.is_empty(), "re-importing an export changes {planned:?}");
        prop_assert_eq!(after.all(), original.all());

        let empty = Snapshot::default();
        let changes = imported.changes(&empty);
        prop_assert!(changes.iter().all(|c| matches!(c, Change::Put(_))));
        let (planned, rebuilt) = plan(&empty, &changes).unwrap();
        prop_assert_eq!(planned.len(), original.all().len());
        prop_assert_eq!(rebuilt.all(), original.all());
    }
}

// ---------------------------------------------------------------------------------------------
// Fixtures

fn vendor_record(id: &str) -> Vendor {
    Vendor {
        id: id.into(),
        name: format!("{id} Inc."),
        services: vec!["object storage".into()],
        touches_phi: true,
        phi_uses: vec![PhiUse::Maintains],
        phi_encrypted_only: false,
        systems: Vec::new(),
        contact: None,
        notes: None,
    }
}

fn baa_record(id: &str, vendor: &str) -> Baa {
    Baa {
        id: id.into(),
        vendor: vendor.into(),
        status: BaaStatus::Signed,
        signed: Some(date(2025, 3, 1)),
        effective: None,
        expires: None,
        breach_notice_days: Some(30),
        return_or_destroy: true,
        subcontractor_flow_down: true,
        security_incident_reporting: true,
        document: None,
    }
}

fn register() -> Snapshot {
    let mut s = Snapshot::default();
    s.insert(vendor_record("acme").into(), None);
    s.insert(vendor_record("mailco").into(), None);
    s.insert(baa_record("acme-2025", "acme").into(), None);
    s
}

fn write(dir: &Path, file: &str, text: &str) -> PathBuf {
    let path = dir.join(file);
    std::fs::write(&path, text).unwrap();
    path
}

fn problems(error: RegisterError) -> Vec<FileProblem> {
    match error {
        RegisterError::Import { problems } => problems,
        other => panic!("expected an import error, got {other:?}"),
    }
}

fn only_problem(error: RegisterError) -> FileProblem {
    let mut problems = problems(error);
    assert_eq!(problems.len(), 1, "{problems:#?}");
    problems.remove(0)
}

const VENDORS: &str = "\
# Our vendors.
- id: acme
  name: Acme Cloud
  touches_phi: true
- id: mailco
  name: MailCo
  touches_phi: false
";

// ---------------------------------------------------------------------------------------------
// YAML: what people write by hand

#[test]
fn export_writes_every_kind_with_a_header_and_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("register");
    let written = yaml::export(&register(), &target).unwrap();
    let names: Vec<&str> = written
        .iter()
        .map(|p| p.file_name().unwrap().to_str().unwrap())
        .collect();
    let expected: Vec<&str> = Kind::ALL.iter().map(|k| k.file_name()).collect();
    assert_eq!(names, expected);
    let vendors = std::fs::read_to_string(target.join("vendors.yaml")).unwrap();
    assert!(
        vendors.starts_with("# phiguard register: vendors"),
        "{vendors}"
    );
    assert!(
        vendors.contains("phiguard register import DIR"),
        "{vendors}"
    );
    assert!(
        vendors.find("id: acme").unwrap() < vendors.find("id: mailco").unwrap(),
        "{vendors}"
    );
    let people = std::fs::read_to_string(target.join("people.yaml")).unwrap();
    assert!(people.trim_end().ends_with("[]"), "{people}");
    // No temporary files are left behind.
    assert_eq!(std::fs::read_dir(&target).unwrap().count(), Kind::ALL.len());
    // Exporting again over the files gives the same bytes.
    yaml::export(&register(), &target).unwrap();
    assert_eq!(
        std::fs::read_to_string(target.join("vendors.yaml")).unwrap(),
        vendors
    );
}

#[test]
fn exported_files_are_as_readable_as_any_file_the_user_makes() {
    use std::os::unix::fs::PermissionsExt;
    let mode =
        |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    let dir = tempfile::tempdir().unwrap();
    // The umask is the process's; a file made the ordinary way shows what it allows.
    let reference = dir.path().join("reference");
    std::fs::write(&reference, b"").unwrap();
    let target = dir.path().join("register");
    for path in yaml::export(&register(), &target).unwrap() {
        assert_eq!(mode(&path), mode(&reference), "{}", path.display());
    }
}

#[test]
fn an_export_that_cannot_replace_a_file_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("register");
    // A directory where a kind's file should go cannot be replaced by the file.
    std::fs::create_dir_all(target.join("vendors.yaml")).unwrap();
    let err = yaml::export(&register(), &target).unwrap_err();
    assert!(err.to_string().contains("vendors.yaml"), "{err}");
    assert!(target.join("vendors.yaml").is_dir());
}

#[test]
fn hand_written_values_keep_what_was_typed() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "people.yaml",
        "- id: 2024\n  name: no\n  email: \"n@example.org\"\n  role: yes\n  started: 2026-01-31\n  left: ~\n  phi_access: yes\n",
    );
    write(
        dir.path(),
        "policies.yaml",
        "- id: 164.308\n  title: null policy\n  version: &v 1.10\n  approver: on\n  approved: 2026-01-31\n  roles: [1.0, true, 0755]\n\
         - id: second\n  title: Second\n  version: *v\n  approver: Dana\n  approved: '2026-02-01'\n",
    );
    write(
        dir.path(),
        "slas.yaml",
        "- {id: s, vendor: acme, availability_percent: 99.9, rpo_hours: 24, retention_days: 30}\n",
    );
    let imported = yaml::read_dir(dir.path()).unwrap();
    assert_eq!(imported.kinds(), [Kind::Sla, Kind::Person, Kind::Policy]);
    let AnyRecord::Person(person) = &imported.records()[1] else {
        panic!()
    };
    assert_eq!(person.id, "2024");
    assert_eq!(person.name, "no");
    assert_eq!(person.role, "yes");
    assert_eq!(person.started, date(2026, 1, 31));
    assert_eq!(person.left, None);
    assert!(person.phi_access);
    let AnyRecord::Policy(policy) = &imported.records()[2] else {
        panic!()
    };
    assert_eq!(policy.id, "164.308");
    assert_eq!(policy.version, "1.10");
    assert_eq!(policy.approver, "on");
    assert_eq!(policy.roles, ["1.0", "true", "0755"]);
    let AnyRecord::Policy(second) = &imported.records()[3] else {
        panic!()
    };
    assert_eq!(second.version, "1.10", "an alias has its anchor's text");
    assert_eq!(second.approved, date(2026, 2, 1));
    let AnyRecord::Sla(sla) = &imported.records()[0] else {
        panic!()
    };
    assert_eq!(sla.availability_percent, Some(99.9));
    assert_eq!(sla.rpo_hours, Some(24.0));
    assert_eq!(sla.retention_days, Some(30));
    assert_eq!(imported.origin(Kind::Policy, "second").unwrap().1, 7);
}

#[test]
fn only_an_empty_list_empties_a_kind_and_an_absent_file_leaves_it_alone() {
    let dir = tempfile::tempdir().unwrap();
    // What an export writes for a kind with no records.
    let empty = yaml::render(Kind::Vendor, &[]).unwrap();
    assert!(empty.ends_with("[]\n"), "{empty}");
    write(dir.path(), "vendors.yaml", &empty);
    let imported = yaml::read_dir(dir.path()).unwrap();
    assert_eq!(imported.kinds(), [Kind::Vendor]);
    assert!(imported.records().is_empty());
    // The BAA's vendor goes, and so must the BAA: refused, pointing at the BAA's kind file.
    let current = register();
    let error = plan(&current, &imported.changes(&current)).unwrap_err();
    let problem = only_problem(imported.locate(error));
    assert_eq!(problem.file, dir.path().join("vendors.yaml"));
    assert_eq!(problem.line, None);
    assert!(problem.reason.contains("acme-2025"), "{}", problem.reason);
    assert!(
        problem.reason.contains("this change removes"),
        "{}",
        problem.reason
    );
}

/// A kind file emptied by mistake, or left with only its comments, would delete every record
/// of its kind if it were read as an empty list.
#[test]
fn an_empty_null_or_comment_only_file_is_refused_rather_than_emptying_its_kind() {
    for text in [
        "",
        "\n\n",
        "# nobody\n",
        "null\n",
        "~\n",
        "---\n",
        "---\n...\n",
        "# phiguard register: vendors\n---\n# none yet\n",
        "\u{feff}",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "vendors.yaml", text);
        let problem = only_problem(yaml::read_dir(dir.path()).unwrap_err());
        assert_eq!(problem.file, path, "{text:?}");
        for expected in [
            "lists no vendors",
            "delete every vendor",
            "written `[]`",
            "remove the file",
        ] {
            assert!(
                problem.reason.contains(expected),
                "{text:?}: {expected:?} in {problem}"
            );
        }
    }
}

#[test]
fn malformed_yaml_is_reported_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "vendors.yaml",
        "- id: acme\n  name: Acme\n  touches_phi: true\n- id: broken\n  services: [storage\n  name: x: y\n",
    );
    let problem = only_problem(yaml::read_dir(dir.path()).unwrap_err());
    assert_eq!(problem.file, path);
    assert!(matches!(problem.line, Some(5 | 6)), "{problem}");
    assert!(
        problem.reason.starts_with("this is not valid YAML: "),
        "{problem}"
    );
}

#[test]
fn an_unknown_field_is_reported_at_its_line_in_its_record() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "vendors.yaml",
        &format!("{VENDORS}- id: typo\n  name: Typo Inc\n  touches_ph: true\n"),
    );
    let problem = only_problem(yaml::read_dir(dir.path()).unwrap_err());
    assert_eq!(problem.file, path);
    // Record 3 starts on line 8; the misspelt field is on line 10.
    assert_eq!(problem.line, Some(10), "{problem}");
    assert!(
        problem.reason.contains("vendor \"typo\"")
            && problem
                .reason
                .contains("unknown field `touches_ph`, expected one of"),
        "{problem}"
    );
}

#[test]
fn a_missing_field_is_reported_at_its_record() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "vendors.yaml",
        &format!("{VENDORS}- id: nameless\n  touches_phi: true\n"),
    );
    let problem = only_problem(yaml::read_dir(dir.path()).unwrap_err());
    assert_eq!(problem.line, Some(8), "{problem}");
    assert!(problem.reason.contains("missing field `name`"), "{problem}");
}

#[test]
fn a_wrong_type_names_the_field_and_every_bad_record_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "vendors.yaml",
        "- id: acme\n  name: Acme\n  touches_phi: maybe\n- id: ok\n  name: Ok\n  touches_phi: false\n- name: [a, b]\n  touches_phi: true\n",
    );
    write(
        dir.path(),
        "grants.yaml",
        "- id: g\n  person: p\n  system: s\n  role: r\n  approver: a\n  justification: j\n  granted: 2026-13-01\n  revoked:\n    date: 2026-01-01\n    by: [x]\n    reason: r\n",
    );
    let problems = problems(yaml::read_dir(dir.path()).unwrap_err());
    let found: Vec<(String, Option<u64>)> = problems
        .iter()
        .map(|p| {
            (
                p.file.file_name().unwrap().to_string_lossy().into_owned(),
                p.line,
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            ("vendors.yaml".to_owned(), Some(3)),
            ("vendors.yaml".to_owned(), Some(7)),
            ("grants.yaml".to_owned(), Some(7)),
        ],
        "{problems:#?}"
    );
    assert!(
        problems[0].reason.contains("`touches_phi`")
            && problems[0].reason.contains("expected a boolean"),
        "{}",
        problems[0]
    );
    assert!(
        problems[1].reason.starts_with("vendor entry 3: `name`"),
        "{}",
        problems[1]
    );
    assert!(problems[2].reason.contains("`granted`"), "{}", problems[2]);
}

#[test]
fn a_nested_wrong_type_names_its_path() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "grants.yaml",
        "- id: g\n  person: p\n  system: s\n  role: r\n  approver: a\n  justification: j\n  granted: 2026-01-01\n  revoked:\n    date: 2026-01-01\n    by: [x]\n    reason: r\n",
    );
    let problem = only_problem(yaml::read_dir(dir.path()).unwrap_err());
    assert_eq!(problem.line, Some(10), "{problem}");
    assert!(problem.reason.contains("`revoked.by`"), "{problem}");
}

#[test]
fn an_id_listed_twice_is_reported_at_the_second() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "vendors.yaml",
        &format!("{VENDORS}- id: acme\n  name: Acme again\n  touches_phi: true\n"),
    );
    let problem = only_problem(yaml::read_dir(dir.path()).unwrap_err());
    assert_eq!(problem.line, Some(8), "{problem}");
    assert!(
        problem
            .reason
            .contains("\"acme\" is listed twice, on line 2 and here"),
        "{problem}"
    );
}

#[test]
fn a_duplicate_key_and_a_file_that_is_not_a_list_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "vendors.yaml",
        "- id: acme\n  name: Acme\n  name: Acme 2\n  touches_phi: true\n",
    );
    write(dir.path(), "people.yaml", "\n\nid: someone\nname: x\n");
    let problems = problems(yaml::read_dir(dir.path()).unwrap_err());
    assert_eq!(problems.len(), 2, "{problems:#?}");
    assert_eq!(problems[0].line, Some(3), "{}", problems[0]);
    assert!(problems[0].reason.contains("duplicate"), "{}", problems[0]);
    assert_eq!(problems[1].line, Some(3), "{}", problems[1]);
    assert!(
        problems[1].reason.contains("must be a YAML list of people"),
        "{}",
        problems[1]
    );
}

#[test]
fn an_unknown_yaml_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "vendors.yaml", VENDORS);
    let typo = write(dir.path(), "vendor.yaml", VENDORS);
    write(dir.path(), "README.md", "not a register file");
    write(dir.path(), ".pre-commit-config.yaml", "repos: []\n");
    std::fs::create_dir(dir.path().join("old.yaml")).unwrap();
    let problem = only_problem(yaml::read_dir(dir.path()).unwrap_err());
    assert_eq!(problem.file, typo);
    assert_eq!(problem.line, None);
    assert!(
        problem
            .reason
            .contains("if it is meant to be `vendors.yaml`, rename it"),
        "{problem}"
    );
}

#[test]
fn files_that_are_too_large_or_not_utf8_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let big = std::fs::File::create(dir.path().join("vendors.yaml")).unwrap();
    big.set_len(MAX_FILE_BYTES + 1).unwrap();
    let latin1 = write(dir.path(), "people.yaml", "");
    std::fs::write(&latin1, b"- id: p\n  name: ok\n  role: caf\xe9\n").unwrap();
    let problems = problems(yaml::read_dir(dir.path()).unwrap_err());
    assert_eq!(problems.len(), 2, "{problems:#?}");
    assert!(problems[0].reason.contains("64 MiB"), "{}", problems[0]);
    assert_eq!(problems[1].line, Some(3), "{}", problems[1]);
    assert!(problems[1].reason.contains("UTF-8"), "{}", problems[1]);

    let big = dir.path().join("matrix.csv");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(MAX_FILE_BYTES + 1)
        .unwrap();
    let problem = only_problem(matrix_csv::read(&big, any_control).unwrap_err());
    assert!(problem.reason.contains("64 MiB"), "{problem}");
}

/// `/dev/zero` behind a kind's file name, and sparse files of 10 GiB, stop at the file size
/// limit, read at most up to it.
#[test]
fn endless_and_huge_files_are_refused_at_the_size_limit() {
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("vendors.yaml")).unwrap();
    let huge = std::fs::File::create(dir.path().join("people.yaml")).unwrap();
    huge.set_len(10 << 30).unwrap();
    let problems = problems(yaml::read_dir(dir.path()).unwrap_err());
    assert_eq!(problems.len(), 2, "{problems:#?}");
    assert_eq!(problems[0].file, dir.path().join("vendors.yaml"));
    assert!(
        problems[0].reason.contains("at most 64 MiB") && problems[0].reason.contains("goes on"),
        "{}",
        problems[0]
    );
    assert_eq!(problems[1].file, dir.path().join("people.yaml"));
    assert!(
        problems[1].reason.contains("at most 64 MiB") && problems[1].reason.contains("10240.0 MiB"),
        "{}",
        problems[1]
    );

    let zero = dir.path().join("zero.csv");
    std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
    let problem = only_problem(matrix_csv::read(&zero, any_control).unwrap_err());
    assert!(problem.reason.contains("at most 64 MiB"), "{problem}");
    let huge = dir.path().join("huge.csv");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(10 << 30)
        .unwrap();
    let problem = only_problem(matrix_csv::read(&huge, any_control).unwrap_err());
    assert!(problem.reason.contains("at most 64 MiB"), "{problem}");
}

/// A named pipe in place of a kind's file would block the import until something writes to it.
#[test]
fn a_named_pipe_in_place_of_a_file_is_refused_without_waiting() {
    let dir = tempfile::tempdir().unwrap();
    let pipe = dir.path().join("vendors.yaml");
    let made = std::process::Command::new("mkfifo").arg(&pipe).status();
    if !made.is_ok_and(|status| status.success()) {
        phiguard_testkit::missing("mkfifo", "install coreutils");
        return;
    }
    let problem = only_problem(yaml::read_dir(dir.path()).unwrap_err());
    assert!(problem.reason.contains("a named pipe"), "{problem}");
    let problem = only_problem(matrix_csv::read(&pipe, any_control).unwrap_err());
    assert!(problem.reason.contains("a named pipe"), "{problem}");
}

#[test]
fn a_file_with_more_records_than_the_limit_is_refused_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "vendors.yaml", &"- x\n".repeat(MAX_RECORDS + 1));
    let problem = only_problem(yaml::read_dir(dir.path()).unwrap_err());
    assert!(
        problem
            .reason
            .contains(&format!("more than {MAX_RECORDS} vendors")),
        "{problem}"
    );
    let rows = "a title row, not yet the header\n".repeat(MAX_RECORDS + 1);
    let problem =
        only_problem(matrix_csv::parse(rows.as_bytes(), matrix_path(), any_control).unwrap_err());
    assert!(
        problem
            .reason
            .contains(&format!("more than {MAX_RECORDS} rows")),
        "{problem}"
    );
}

/// A quote opened and never closed made the csv reader take every row after it as one cell:
/// the rows vanished without a word.
#[test]
fn an_unterminated_quote_is_refused_at_its_line() {
    for (text, line) in [
        (
            "control,responsibility,owner\n164.312(b),customer,\"Dana\n164.312(d),provider,\n",
            2,
        ),
        (
            "control,responsibility,owner\n164.312(b),customer,Dana\n164.312(d),provider,\"Sam\n",
            3,
        ),
        (
            "control,responsibility,notes\n164.312(b),customer,\"ok, \"\"quoted\"\"\"\n164.312(d),\"provider,\n",
            3,
        ),
    ] {
        let problem = only_problem(
            matrix_csv::parse(text.as_bytes(), matrix_path(), any_control).unwrap_err(),
        );
        assert_eq!(problem.line, Some(line), "{text:?}: {problem}");
        assert!(problem.reason.contains("never closed"), "{problem}");
    }
    // Quotes that close, across lines and doubled inside, and a quote inside unquoted text,
    // are fine.
    let rows = matrix_csv::parse(
        b"control,responsibility,notes\n164.312(b),customer,\"two\nlines, \"\"quoted\"\"\"\n164.312(d),provider,5\" screen\n",
        matrix_path(),
        any_control,
    )
    .unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].notes.as_deref(), Some("two\nlines, \"quoted\""));
    assert_eq!(rows[1].notes.as_deref(), Some("5\" screen"));
}

#[test]
fn a_row_with_the_wrong_number_of_cells_is_refused_at_its_line() {
    let problems = problems(
        matrix_csv::parse(
            b"A provider's matrix\ncontrol,responsibility,owner\n164.312(b),customer\n\n164.312(d),provider,Dana,spare\n164.312(c)(1),customer,\n",
            matrix_path(),
            any_control,
        )
        .unwrap_err(),
    );
    let lines: Vec<Option<u64>> = problems.iter().map(|p| p.line).collect();
    assert_eq!(lines, [Some(3), Some(5)], "{problems:#?}");
    assert!(
        problems[0]
            .reason
            .contains("this row has 2 cells, but the header has 3"),
        "{}",
        problems[0]
    );
    assert!(
        problems[1]
            .reason
            .contains("this row has 4 cells, but the header has 3"),
        "{}",
        problems[1]
    );
}

#[test]
fn a_citation_that_is_no_control_is_refused_at_its_line() {
    let known: BTreeSet<ControlId> = ["164.312(b)", "164.312(d)"]
        .iter()
        .map(|c| c.parse().unwrap())
        .collect();
    let problem = only_problem(
        matrix_csv::parse(
            b"control,responsibility\n164.312(b),customer\n164.999,provider\n164.312(d),shared\n",
            matrix_path(),
            |control| known.contains(&control),
        )
        .unwrap_err(),
    );
    assert_eq!(problem.line, Some(3));
    assert!(
        problem
            .reason
            .contains("164.999 is not a control of the HIPAA Security Rule"),
        "{problem}"
    );
}

#[test]
fn a_baa_naming_a_missing_vendor_is_located_at_the_baa() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "vendors.yaml", VENDORS);
    let baas = write(
        dir.path(),
        "baas.yaml",
        "- id: acme-2025\n  vendor: acme\n  status: signed\n  signed: 2025-03-01\n\n- id: ghost-2025\n  vendor: ghost\n  status: draft\n",
    );
    let imported = yaml::read_dir(dir.path()).unwrap();
    let error = plan(
        &Snapshot::default(),
        &imported.changes(&Snapshot::default()),
    )
    .unwrap_err();
    let problem = only_problem(imported.locate(error));
    assert_eq!(problem.file, baas);
    assert_eq!(problem.line, Some(6));
    assert!(
        problem
            .reason
            .starts_with("baa \"ghost-2025\": it names vendor \"ghost\", which does not exist"),
        "{problem}"
    );
    // An invalid record is located the same way.
    write(
        dir.path(),
        "baas.yaml",
        "- id: acme-2025\n  vendor: acme\n  status: signed\n",
    );
    let imported = yaml::read_dir(dir.path()).unwrap();
    let error = plan(
        &Snapshot::default(),
        &imported.changes(&Snapshot::default()),
    )
    .unwrap_err();
    let problem = only_problem(imported.locate(error));
    assert_eq!((problem.file, problem.line), (baas, Some(1)));
    assert!(
        problem.reason.contains("needs its `signed` date"),
        "{}",
        problem.reason
    );
}

#[test]
fn deleting_a_vendor_a_listed_baa_names_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    yaml::export(&register(), dir.path()).unwrap();
    write(
        dir.path(),
        "vendors.yaml",
        "- id: mailco\n  name: mailco Inc.\n  services: [object storage]\n  touches_phi: true\n",
    );
    let imported = yaml::read_dir(dir.path()).unwrap();
    let current = register();
    let changes = imported.changes(&current);
    assert_eq!(
        changes.last(),
        Some(&Change::Delete {
            kind: Kind::Vendor,
            id: "acme".into()
        })
    );
    let error = plan(&current, &changes).unwrap_err();
    let problem = only_problem(imported.locate(error));
    assert_eq!(problem.file, dir.path().join("baas.yaml"));
    let (_, line) = imported.origin(Kind::Baa, "acme-2025").unwrap();
    assert_eq!(problem.line, Some(line));
    assert!(
        problem.reason.contains("which this change removes"),
        "{problem}"
    );
}

#[test]
fn deletes_come_after_puts_in_reverse_kind_order() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "vendors.yaml", "[]\n");
    write(dir.path(), "baas.yaml", "[]\n");
    let imported = yaml::read_dir(dir.path()).unwrap();
    let current = register();
    let changes = imported.changes(&current);
    assert_eq!(
        changes,
        [
            Change::Delete {
                kind: Kind::Baa,
                id: "acme-2025".into()
            },
            Change::Delete {
                kind: Kind::Vendor,
                id: "acme".into()
            },
            Change::Delete {
                kind: Kind::Vendor,
                id: "mailco".into()
            },
        ]
    );
    let (planned, after) = plan(&current, &changes).unwrap();
    assert_eq!(planned.len(), 3);
    assert_eq!(after.all(), []);
}

#[test]
fn other_errors_pass_through_locate() {
    let imported = yaml::Imported::default();
    let error = imported.locate(RegisterError::Missing {
        kind: Kind::Vendor,
        id: "x".into(),
    });
    assert!(matches!(error, RegisterError::Missing { .. }));
}

// ---------------------------------------------------------------------------------------------
// CSV: the provider's matrix

/// A provider's matrix as a spreadsheet exports it: a byte order mark, CRLF line ends, a title
/// row, columns in its own order and case, extra columns, quoted notes with commas and line
/// breaks, and the spellings providers use.
const PROVIDER_MATRIX: &str = "\u{feff}Example Cloud HIPAA shared responsibility matrix,,,,\r\n\
,,,,\r\n\
Service, Control ,RESPONSIBILITY,Notes,Evidence\r\n\
All,164.308(a)(1)(ii)(A),Shared,\"Risk analysis: we cover the platform, you cover your workloads.\",https://example.com/soc2\r\n\
All,164.308(a)(5)(i),Customer,,\r\n\
All,164.308(a)(7)(ii)(A),shared,\"Backups:\r\nsnapshots daily,\r\nretention you choose\",\r\n\
All,164.310(a)(1),Inherited,\"Data centre access, \"\"badge\"\" controls\",https://example.com/soc2; https://example.com/iso27001\r\n\
All,164.310(d)(1),provider,,\r\n\
All,164.312(a)(1),Customer,IAM is yours,\r\n\
All,164.312(a)(2)(iv),Shared,,\r\n\
All,45 CFR § 164.312(b),Shared,Audit logs on by default,\r\n\
All,164.312(c)(1),customer,,\r\n\
All,164.312(d),Customer,,\r\n\
All,164.312(e)(1),Shared,TLS 1.2+ on every endpoint,https://example.com/tls https://example.com/kms\r\n\
All,164.314(a)(1),N/A,,\r\n\
All,164.316(b)(1),Not Applicable,,\r\n";

fn matrix_path() -> &'static Path {
    Path::new("provider-matrix.csv")
}

/// Takes every citation for a control, for tests that are not about which controls exist.
fn any_control(_: ControlId) -> bool {
    true
}

#[test]
fn a_provider_matrix_is_read() {
    let rows = matrix_csv::parse(PROVIDER_MATRIX.as_bytes(), matrix_path(), any_control).unwrap();
    assert_eq!(rows.len(), 13);
    assert_eq!(rows[0].control().to_string(), "164.308(a)(1)(ii)(A)");
    assert_eq!(rows[0].responsibility, Responsibility::Shared);
    assert_eq!(
        rows[0].notes.as_deref(),
        Some("Risk analysis: we cover the platform, you cover your workloads.")
    );
    assert_eq!(rows[0].evidence, ["https://example.com/soc2"]);
    assert_eq!(rows[1].notes, None);
    assert!(rows[1].evidence.is_empty());
    assert_eq!(rows[1].owner, None);
    assert_eq!(
        rows[2].notes.as_deref(),
        Some("Backups:\r\nsnapshots daily,\r\nretention you choose")
    );
    assert_eq!(rows[3].responsibility, Responsibility::Provider);
    assert_eq!(
        rows[3].notes.as_deref(),
        Some("Data centre access, \"badge\" controls")
    );
    assert_eq!(
        rows[3].evidence,
        ["https://example.com/soc2", "https://example.com/iso27001"]
    );
    assert_eq!(rows[7].control().to_string(), "164.312(b)");
    assert_eq!(
        rows[10].evidence,
        ["https://example.com/tls", "https://example.com/kms"]
    );
    assert_eq!(rows[11].responsibility, Responsibility::NotApplicable);
    assert_eq!(rows[12].responsibility, Responsibility::NotApplicable);
    // The records plan into an empty register.
    let changes = matrix_csv::changes(&Snapshot::default(), rows);
    let (planned, _) = plan(&Snapshot::default(), &changes).unwrap();
    assert_eq!(planned.len(), 13);
}

#[test]
fn a_matrix_round_trips_through_csv() {
    let mut rows =
        matrix_csv::parse(PROVIDER_MATRIX.as_bytes(), matrix_path(), any_control).unwrap();
    rows[4].owner = Some("Platform team, \"SRE\"".into());
    assert_eq!(rows[0].responsibility, Responsibility::Shared);
    rows[0].vendor = Some("acme".into());
    let mut snapshot = Snapshot::default();
    for row in &rows {
        snapshot.insert(row.clone().into(), None);
    }
    let mut out = Vec::new();
    matrix_csv::write(&snapshot, &mut out).unwrap();
    let text = String::from_utf8(out.clone()).unwrap();
    assert!(
        text.starts_with(
            "control,responsibility,owner,notes,evidence,vendor\n164.308(a)(1)(ii)(A),shared,,"
        ),
        "{text}"
    );
    assert!(
        text.contains(",https://example.com/soc2; https://example.com/iso27001,\n"),
        "{text}"
    );
    let back = matrix_csv::parse(&out, matrix_path(), any_control).unwrap();
    let mut sorted = rows;
    sorted.sort_by_key(|r| r.control());
    assert_eq!(back, sorted);
}

#[test]
fn bad_rows_are_all_reported_with_their_lines() {
    let text = "control,responsibility,owner\n\
164.312(a)(1),customer,\"Dana\n(security)\"\n\
164.312(2),customer,\n\
164.312(b),maybe,\n\
45 CFR § 164.312(a)(1),provider,\n\
,shared,\n\
164.312(d),,\n";
    let problems =
        problems(matrix_csv::parse(text.as_bytes(), matrix_path(), any_control).unwrap_err());
    let lines: Vec<Option<u64>> = problems.iter().map(|p| p.line).collect();
    assert_eq!(
        lines,
        [Some(4), Some(5), Some(6), Some(7), Some(8)],
        "{problems:#?}"
    );
    assert!(problems.iter().all(|p| p.file == matrix_path()));
    assert!(
        problems[0]
            .reason
            .contains("\"164.312(2)\" is not a HIPAA citation"),
        "{}",
        problems[0]
    );
    assert!(
        problems[1]
            .reason
            .contains("\"maybe\" is not a responsibility"),
        "{}",
        problems[1]
    );
    assert!(
        problems[2]
            .reason
            .contains("control 164.312(a)(1) is listed twice, on line 2 and here"),
        "{}",
        problems[2]
    );
    assert!(
        problems[3].reason.contains("the control is empty"),
        "{}",
        problems[3]
    );
    assert!(
        problems[4].reason.contains("the responsibility is empty"),
        "{}",
        problems[4]
    );
}

#[test]
fn a_matrix_without_its_columns_is_refused() {
    let problem = only_problem(
        matrix_csv::parse(
            b"Control,Owner\n164.312(b),Dana\n",
            matrix_path(),
            any_control,
        )
        .unwrap_err(),
    );
    assert_eq!(problem.line, Some(1));
    assert!(
        problem.reason.contains("no `responsibility` column"),
        "{problem}"
    );
    let problem = only_problem(
        matrix_csv::parse(
            b"Requirement,Who\n164.312(b),customer\n",
            matrix_path(),
            any_control,
        )
        .unwrap_err(),
    );
    assert!(
        problem.reason.contains("no row names a `control` column"),
        "{problem}"
    );
    let problem = only_problem(matrix_csv::parse(b"", matrix_path(), any_control).unwrap_err());
    assert!(problem.reason.contains("no rows"), "{problem}");
    let problem = only_problem(
        matrix_csv::parse(
            b"control,responsibility,control\n164.312(b),customer,x\n",
            matrix_path(),
            any_control,
        )
        .unwrap_err(),
    );
    assert!(
        problem.reason.contains("two `control` columns"),
        "{problem}"
    );
}

#[test]
fn reimporting_a_matrix_keeps_owners_notes_and_evidence_links() {
    let mut current = Snapshot::default();
    let control = ControlId::from_str("164.312(b)").unwrap();
    let mut record = ResponsibilityRecord::new(control, Responsibility::Shared);
    record.evidence = vec!["https://wiki.example.org/audit-logs".into()];
    record.owner = Some("Platform team".into());
    record.notes = Some("CloudTrail plus our own app logs".into());
    current.insert(record.into(), None);
    let mut other = ResponsibilityRecord::new(
        ControlId::from_str("164.312(d)").unwrap(),
        Responsibility::Customer,
    );
    other.evidence = vec!["https://wiki.example.org/old".into()];
    current.insert(other.into(), None);
    let mut untouched = ResponsibilityRecord::new(
        ControlId::from_str("164.308(a)(1)").unwrap(),
        Responsibility::Customer,
    );
    untouched.owner = Some("Dana".into());
    current.insert(untouched.into(), None);

    let rows = matrix_csv::parse(
        b"control,responsibility,evidence\n164.312(b),customer,\n164.312(d),customer,https://example.com/new\n",
        matrix_path(),
        any_control,
    )
    .unwrap();
    let (planned, after) = plan(&current, &matrix_csv::changes(&current, rows)).unwrap();
    assert_eq!(planned.len(), 2);
    let AnyRecord::Responsibility(kept) = after.get(Kind::Responsibility, "164.312(b)").unwrap()
    else {
        panic!()
    };
    assert_eq!(kept.responsibility, Responsibility::Customer);
    assert_eq!(kept.evidence, ["https://wiki.example.org/audit-logs"]);
    assert_eq!(kept.owner.as_deref(), Some("Platform team"));
    assert_eq!(
        kept.notes.as_deref(),
        Some("CloudTrail plus our own app logs")
    );
    let AnyRecord::Responsibility(replaced) =
        after.get(Kind::Responsibility, "164.312(d)").unwrap()
    else {
        panic!()
    };
    assert_eq!(replaced.evidence, ["https://example.com/new"]);
    // A matrix import never deletes.
    assert!(after.contains(Kind::Responsibility, "164.308(a)(1)"));
}

#[test]
fn reimporting_a_matrix_keeps_the_vendor_of_rows_a_provider_still_carries() {
    let mut current = register();
    for (citation, responsibility) in [
        ("164.310(a)(1)", Responsibility::Provider),
        ("164.312(b)", Responsibility::Shared),
        ("164.312(e)(1)", Responsibility::Shared),
    ] {
        let mut row =
            ResponsibilityRecord::new(ControlId::from_str(citation).unwrap(), responsibility);
        row.vendor = Some("acme".into());
        current.insert(row.into(), None);
    }
    // The provider's next version: one row moves to the customer, one names another vendor.
    let rows = matrix_csv::parse(
        b"Control,Responsibility,Vendor\n\
          164.310(a)(1),provider,\n\
          164.312(b),customer,\n\
          164.312(e)(1),shared,mailco\n",
        matrix_path(),
        any_control,
    )
    .unwrap();
    let (planned, after) = plan(&current, &matrix_csv::changes(&current, rows)).unwrap();
    let vendor_of = |citation: &str| match after.get(Kind::Responsibility, citation) {
        Some(AnyRecord::Responsibility(row)) => row.vendor,
        other => panic!("{other:?}"),
    };
    assert_eq!(vendor_of("164.310(a)(1)").as_deref(), Some("acme"));
    assert_eq!(
        vendor_of("164.312(b)"),
        None,
        "a control the customer now carries is carried by no vendor"
    );
    assert_eq!(vendor_of("164.312(e)(1)").as_deref(), Some("mailco"));
    assert_eq!(planned.len(), 2, "{planned:#?}");
}

#[test]
fn a_matrix_vendor_must_exist_and_carry_a_provider_or_shared_control() {
    let current = register();
    let rows = matrix_csv::parse(
        b"control,responsibility,vendor\n\
          164.310(a)(1),provider,nimbus\n\
          164.308(a)(1)(ii)(A),customer,acme\n\
          164.312(b),shared,acme\n",
        matrix_path(),
        any_control,
    )
    .unwrap();
    let error = plan(&current, &matrix_csv::changes(&current, rows)).unwrap_err();
    let RegisterError::Invalid { problems } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(problems.len(), 2, "{problems:#?}");
    let text = error.to_string();
    assert!(
        text.contains("responsibility \"164.308(a)(1)(ii)(A)\": it names vendor \"acme\" but is marked customer; only a provider or shared control is carried by a vendor"),
        "{text}"
    );
    assert!(
        text.contains("responsibility \"164.310(a)(1)\": it names vendor \"nimbus\", which does not exist; add it first"),
        "{text}"
    );
}

#[test]
fn an_assurance_report_is_read_as_written_and_its_kind_in_any_spelling() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "vendors.yaml", VENDORS);
    write(
        dir.path(),
        "assurance-reports.yaml",
        "- id: acme-soc2-2025\n  vendor: acme\n  kind: soc2-type2\n  period_start: 2025-01-01\n  \
         period_end: 2025-12-31\n  issuer: Example & Partners LLP\n  scope: object storage, us-east\n",
    );
    let imported = yaml::read_dir(dir.path()).unwrap();
    let report = imported
        .records()
        .iter()
        .find_map(|r| match r {
            AnyRecord::Assurance(report) => Some(report.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(report.kind, AssuranceKind::Soc2Type2);
    assert_eq!(report.valid_until(), date(2026, 12, 31));
    assert!(report.is_current_on(date(2025, 12, 31)));
    assert!(report.is_current_on(date(2026, 12, 31)));
    assert!(!report.is_current_on(date(2027, 1, 1)));
    assert!(
        !report.is_current_on(date(2025, 12, 30)),
        "a period not yet ended"
    );
    let (planned, _) = plan(
        &Snapshot::default(),
        &imported.changes(&Snapshot::default()),
    )
    .unwrap();
    assert_eq!(planned.len(), 3);

    for (spelling, kind) in [
        ("SOC 2 Type II", AssuranceKind::Soc2Type2),
        ("soc2-type2", AssuranceKind::Soc2Type2),
        ("HITRUST r2", AssuranceKind::HitrustR2),
        ("ISO/IEC 27001:2022", AssuranceKind::Iso27001),
        ("ISO 27001", AssuranceKind::Iso27001),
        ("FedRAMP Moderate", AssuranceKind::Fedramp),
        ("other", AssuranceKind::Other),
    ] {
        assert_eq!(spelling.parse::<AssuranceKind>(), Ok(kind), "{spelling}");
    }
    for kind in AssuranceKind::ALL {
        assert_eq!(kind.as_str().parse::<AssuranceKind>(), Ok(kind));
        assert_eq!(
            serde_json::to_value(kind).unwrap(),
            serde_json::Value::from(kind.as_str())
        );
    }
    let type1 = "SOC 2 Type I".parse::<AssuranceKind>().unwrap_err();
    assert!(type1.contains("Type II report (soc2-type2)"), "{type1}");
    let unknown = "PCI DSS".parse::<AssuranceKind>().unwrap_err();
    assert!(unknown.contains("use soc2-type2, hitrust-r2"), "{unknown}");
}

#[test]
fn exported_cells_never_open_as_spreadsheet_formulas_and_still_round_trip() {
    let mut snapshot = Snapshot::default();
    let notes = [
        "=HYPERLINK(\"http://evil.example\",\"click\")",
        "+1 555 0100",
        "-5 days of notice",
        "@SUM(A1)",
        "'quoted' on purpose",
        "''=already guarded",
        "plain text",
    ];
    for (n, note) in notes.iter().enumerate() {
        let control = ControlId::from_str(&format!("164.308(a)({})", n + 1)).unwrap();
        let mut record = ResponsibilityRecord::new(control, Responsibility::Customer);
        record.owner = Some(format!("={n}+team"));
        record.notes = Some((*note).to_owned());
        snapshot.insert(record.into(), None);
    }
    let mut csv = Vec::new();
    matrix_csv::write(&snapshot, &mut csv).unwrap();
    let text = String::from_utf8(csv.clone()).unwrap();
    for line in text.lines().skip(1) {
        for cell in line.split(',').skip(2) {
            let cell = cell.trim_start_matches('"');
            assert!(
                !cell.starts_with(['=', '+', '-', '@']),
                "a cell opens as a formula: {line}"
            );
        }
    }
    let back = matrix_csv::parse(&csv, matrix_path(), any_control).unwrap();
    let notes_back: Vec<&str> = back.iter().map(|r| r.notes.as_deref().unwrap()).collect();
    assert_eq!(notes_back, notes);
    assert!(
        back.iter()
            .all(|r| r.owner.as_deref().unwrap().starts_with('='))
    );
    // A provider's own apostrophe is text, not a guard.
    let provider = matrix_csv::parse(
        b"control,responsibility,notes\n164.312(b),provider,'Inherited' per the provider\n",
        matrix_path(),
        any_control,
    )
    .unwrap();
    assert_eq!(
        provider[0].notes.as_deref(),
        Some("'Inherited' per the provider")
    );
}
