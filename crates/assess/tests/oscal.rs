#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The OSCAL views of an assessment: the documents are parsed back from their text and checked
//! for the structure OSCAL 1.1 requires and for phiguard's mapping (every control a finding,
//! statuses, evidence, the ledger checkpoint, POA&M items for the failing controls only). The
//! catalog is built elsewhere, so the assessments here are made by hand.
//!
//! The oracle is compliance-trestle's OSCAL 1.1 models, generated from NIST's JSON schemas
//! (required fields, no unknown fields, uuid, token and enum patterns): both documents must load
//! into them.

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::date;
use phiguard_assess::evaluate::{CheckTally, tally};
use phiguard_assess::oscal::{NAMESPACE, assessment_results, control_token, poam};
use phiguard_assess::{
    Assessment, CloudAccount, ControlKind, ControlResult, ControlStatus, Family, LedgerCheckpoint,
    Profile, Requirement,
};
use phiguard_cloud::resources::{CloudResource, Encryption};
use phiguard_core::{EvidenceRef, Finding, Severity, Status, StatusCounts};
use phiguard_register::records::Responsibility;
use serde_json::Value;

// --- fixtures ----------------------------------------------------------------------------

fn evidence(seq: u64) -> EvidenceRef {
    EvidenceRef {
        seq,
        leaf_hash: [u8::try_from(seq % 256).unwrap(); 32],
    }
}

fn control(id: &str, status: ControlStatus) -> ControlResult {
    ControlResult {
        id: id.into(),
        cite: format!("45 CFR {id}"),
        name: format!("Control {id}"),
        kind: ControlKind::Specification,
        requirement: Requirement::Addressable,
        family: Family::Administrative,
        parent: None,
        summary: format!("What {id} asks."),
        status,
        basis: format!("why {id} is {}", status.as_str()),
        delegable: true,
        protects_ephi: false,
        owner: None,
        responsibility: None,
        checks: Vec::new(),
        attention: Vec::new(),
        evidence: Vec::new(),
        remediation: Vec::new(),
        records: Default::default(),
    }
}

fn check_tally(check: &str, pass: usize, fail: usize) -> CheckTally {
    CheckTally {
        check: check.into(),
        counts: StatusCounts {
            pass,
            fail,
            warn: 0,
            ..StatusCounts::default()
        },
    }
}

fn failing(check: &str, severity: Severity, subject: &str, seq: u64) -> Finding {
    Finding {
        check: check.parse().unwrap(),
        status: Status::Fail,
        severity,
        subject: subject.into(),
        message: "PermitRootLogin is *yes* <b>".into(),
        evidence: vec![evidence(seq)],
        remediation: Some("Set `PermitRootLogin no` in sshd_config.".into()),
    }
}

const NOTE: &str = "clinic.example/phiguard\n12\nq1vXo8Xy3n0nW3C6Rk6f1a2b3c4d5e6f7g8h9i0jklm=\n\n\u{2014} clinic.example/phiguard Az3kYWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXo=\n";

/// Every status, a standard with specifications, tested, attested and unevidenced controls,
/// owners and remediation, and a signed checkpoint.
fn assessment() -> Assessment {
    let mut standard = control("164.308(a)(1)", ControlStatus::Partial);
    standard.kind = ControlKind::Standard;
    standard.requirement = Requirement::Standard;
    standard.basis = "1 of 2 applicable parts are met".into();

    let mut required = control("164.308(a)(1)(ii)(A)", ControlStatus::NotMet);
    required.requirement = Requirement::Required;
    required.parent = Some("164.308(a)(1)".into());
    required.owner = Some("Security officer".into());
    required.responsibility = Some(Responsibility::Customer);
    required.checks = vec![check_tally("host.ssh.root_login", 0, 2)];
    required.attention = vec![
        failing(
            "host.ssh.root_login",
            Severity::High,
            "/etc/ssh/sshd_config",
            3,
        ),
        failing("host.ssh.root_login", Severity::Medium, "web_01", 7),
    ];
    required.evidence = vec![evidence(3), evidence(7)];
    required.remediation = vec!["Set `PermitRootLogin no` in sshd_config.".into()];

    let mut tested = control("164.308(a)(1)(ii)(B)", ControlStatus::Met);
    tested.parent = Some("164.308(a)(1)".into());
    tested.checks = vec![check_tally("register.risk_analysis.current", 3, 0)];
    tested.evidence = vec![evidence(4)];

    let mut attested = control("164.310(a)(2)(ii)", ControlStatus::Met);
    attested.family = Family::Physical;
    attested.basis = "attested by A. Smith on 2026-01-10 (stands until 2027-01-10)".into();
    attested.evidence = vec![evidence(9)];

    let mut partial = control("164.312(a)(2)(iv)", ControlStatus::Partial);
    partial.family = Family::Technical;
    partial.checks = vec![check_tally("host.encryption.at_rest", 1, 1)];
    partial.attention = vec![failing(
        "host.encryption.at_rest",
        Severity::Critical,
        "/dev/sda2",
        11,
    )];
    partial.evidence = vec![evidence(10), evidence(11)];
    partial.remediation = vec!["Encrypt /dev/sda2 with LUKS.".into()];

    let mut unknown = control("164.312(e)(1)", ControlStatus::Unknown);
    unknown.family = Family::Technical;
    unknown.kind = ControlKind::Standard;

    let mut not_applicable = control("164.314(a)(1)", ControlStatus::NotApplicable);
    not_applicable.family = Family::Organizational;
    not_applicable.responsibility = Some(Responsibility::NotApplicable);

    let mut proposed = control("proposed-2025.asset-inventory", ControlStatus::NotMet);
    proposed.cite = "90 FR 898, proposed 164.308(a)(1)".into();
    proposed.kind = ControlKind::Obligation;
    proposed.requirement = Requirement::Required;
    proposed.family = Family::Proposed2025;
    proposed.owner = Some("IT lead".into());

    let controls = vec![
        standard,
        required,
        tested,
        attested,
        partial,
        unknown,
        not_applicable,
        proposed,
    ];
    Assessment {
        phiguard_version: "0.1.0".into(),
        role: Some(phiguard_core::OrganizationRole::CoveredEntity),
        scope: Some("EHR platform <in> the cloud".into()),
        notes: vec!["no FIM baseline: run `phiguard fim init`".into()],
        evidence: Some(evidence(12)),
        checkpoint: Some(LedgerCheckpoint {
            origin: "clinic.example/phiguard".into(),
            size: 12,
            root: "q1vXo8Xy3n0nW3C6Rk6f1a2b3c4d5e6f7g8h9i0jklm=".into(),
            note: NOTE.into(),
        }),
        ..Assessment::new(
            Profile::Proposed2025,
            "clinic_main".into(),
            "2026-03-02T14:05:06.5Z".parse().unwrap(),
            date(2026, 3, 2),
            controls,
        )
    }
}

const VOLUME: &str = "arn:aws:ec2:us-east-1:111122223333:volume/vol-0abc";

/// The assessment with an AWS account in scope, and a finding on its volume under the
/// encryption control.
fn cloud_assessment() -> Assessment {
    let mut assessment = assessment();
    let encryption = assessment
        .controls
        .iter_mut()
        .find(|c| c.id == "164.312(a)(2)(iv)")
        .unwrap();
    encryption.attention.push(failing(
        "cloud.aws.ec2.ebs_volume_encryption",
        Severity::High,
        VOLUME,
        11,
    ));
    Assessment {
        cloud: Some(cloud_account()),
        ..assessment
    }
}

/// Two resources of an AWS account: the volume a finding is about, and a bucket (in ARN
/// order, as the inventory lists them).
fn cloud_account() -> CloudAccount {
    CloudAccount {
        provider: "aws".into(),
        account: "111122223333".into(),
        taken_at: "2026-03-02T13:00:00Z".parse().unwrap(),
        evidence: evidence(11),
        resources: vec![
            CloudResource {
                arn: VOLUME.into(),
                kind: "ec2.volume".into(),
                region: Some("us-east-1".into()),
                name: "vol-0abc".into(),
                tags: Default::default(),
                encryption: Encryption::Unencrypted,
                holds_phi: false,
            },
            CloudResource {
                arn: "arn:aws:s3:::patient-exports".into(),
                kind: "s3.bucket".into(),
                region: None,
                name: "patient-exports".into(),
                tags: [("phi".to_owned(), "true".to_owned())].into(),
                encryption: Encryption::Encrypted {
                    key: Some("arn:aws:kms:us-east-1:111122223333:key/k1".into()),
                },
                holds_phi: true,
            },
        ],
    }
}

/// The assessment with every failing control fixed, and no checkpoint yet.
fn passing_assessment() -> Assessment {
    let mut assessment = assessment();
    for control in &mut assessment.controls {
        if matches!(
            control.status,
            ControlStatus::NotMet | ControlStatus::Partial
        ) {
            control.status = ControlStatus::Met;
        }
    }
    (assessment.summary, assessment.families) = tally(&assessment.controls);
    assessment.checkpoint = None;
    assessment.evidence = None;
    assessment.notes.clear();
    assessment
}

/// The document as a reader gets it: written as text and parsed back.
fn round_trip(document: &Value) -> Value {
    let text = serde_json::to_string_pretty(document).unwrap();
    serde_json::from_str(&text).unwrap()
}

// --- helpers -----------------------------------------------------------------------------

fn is_uuid_v4(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    let lengths: Vec<usize> = parts.iter().map(|p| p.len()).collect();
    lengths == [8, 4, 4, 4, 12]
        && parts
            .iter()
            .all(|p| p.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f')))
        && parts[2].starts_with('4')
        && parts[3].starts_with(['8', '9', 'a', 'b'])
}

/// OSCAL's token pattern, for ASCII.
fn is_token(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

fn is_timestamp(value: &Value) -> bool {
    value
        .as_str()
        .is_some_and(|t| t.parse::<jiff::Timestamp>().is_ok() && t.ends_with('Z'))
}

/// Visits every object with the path of keys that leads to it.
fn walk<'a>(value: &'a Value, path: &mut Vec<String>, visit: &mut dyn FnMut(&[String], &'a Value)) {
    visit(path, value);
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                path.push(key.clone());
                walk(child, path, visit);
                path.pop();
            }
        }
        Value::Array(items) => {
            for child in items {
                walk(child, path, visit);
            }
        }
        _ => {}
    }
}

/// Every `uuid` defined in the document, with where.
fn defined_uuids(document: &Value) -> Vec<(String, String)> {
    let mut found = Vec::new();
    walk(document, &mut Vec::new(), &mut |path, value| {
        if let Some(uuid) = value.get("uuid").and_then(Value::as_str) {
            found.push((uuid.to_owned(), path.join("/")));
        }
    });
    found
}

/// Every `*-uuid` reference in the document.
fn referenced_uuids(document: &Value) -> Vec<(String, String)> {
    let mut found = Vec::new();
    walk(document, &mut Vec::new(), &mut |_, value| {
        if let Value::Object(map) = value {
            for (key, child) in map {
                if key.ends_with("-uuid")
                    && let Some(uuid) = child.as_str()
                {
                    found.push((key.clone(), uuid.to_owned()));
                }
            }
        }
    });
    found
}

/// The rules every OSCAL document here must keep, whatever its model.
fn assert_oscal_basics(document: &Value) {
    let defined = defined_uuids(document);
    let mut seen = BTreeSet::new();
    for (uuid, path) in &defined {
        assert!(is_uuid_v4(uuid), "{uuid} at {path} is not a v4 uuid");
        assert!(seen.insert(uuid.clone()), "{uuid} defined twice ({path})");
    }
    for (key, uuid) in referenced_uuids(document) {
        assert!(is_uuid_v4(&uuid), "{key} {uuid} is not a v4 uuid");
        assert!(
            seen.contains(&uuid),
            "{key} {uuid} refers to nothing in the document"
        );
    }
    walk(document, &mut Vec::new(), &mut |path, value| {
        let at = path.join("/");
        if let Value::Array(items) = value {
            assert!(!items.is_empty(), "empty array at {at}: OSCAL forbids it");
        }
        if path.last().is_some_and(|k| k == "props")
            && let Value::Array(props) = value
        {
            for prop in props {
                let name = prop["name"].as_str().unwrap();
                let value = prop["value"].as_str().unwrap();
                assert!(is_token(name), "prop name {name:?} at {at}");
                assert_eq!(prop["ns"], NAMESPACE, "prop {name} at {at}");
                assert!(
                    !value.is_empty() && value.trim() == value && !value.contains('\n'),
                    "prop {name} value {value:?} at {at} is not one trimmed line"
                );
            }
        }
        if let Some(
            key @ ("start" | "end" | "collected" | "last-modified" | "published" | "deadline"),
        ) = path.last().map(String::as_str)
        {
            assert!(is_timestamp(value), "{key} {value} at {at}");
        }
    });
}

fn props_of(object: &Value) -> BTreeMap<String, String> {
    object["props"]
        .as_array()
        .map(|props| {
            props
                .iter()
                .map(|p| {
                    (
                        p["name"].as_str().unwrap().to_owned(),
                        p["value"].as_str().unwrap().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn base64_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = Vec::new();
    for c in text.bytes().filter(|&c| c != b'=') {
        let value = ALPHABET.iter().position(|&a| a == c).unwrap();
        bits = (bits << 6) | u32::try_from(value).unwrap();
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push(u8::try_from((bits >> count) & 0xff).unwrap());
        }
    }
    out
}

// --- assessment results ------------------------------------------------------------------

#[test]
fn assessment_results_have_the_required_structure() {
    let assessment = assessment();
    let document = round_trip(&assessment_results(&assessment));
    assert_oscal_basics(&document);

    let root = document.as_object().unwrap();
    assert_eq!(root.keys().collect::<Vec<_>>(), ["assessment-results"]);
    let ar = &document["assessment-results"];
    assert!(is_uuid_v4(ar["uuid"].as_str().unwrap()));

    let metadata = &ar["metadata"];
    assert!(metadata["title"].as_str().unwrap().contains("clinic"));
    assert!(is_timestamp(&metadata["last-modified"]));
    assert!(metadata["version"].as_str().is_some_and(|v| !v.is_empty()));
    assert_eq!(metadata["oscal-version"], "1.1.2");

    // import-ap points at the back-matter resource that stands for the plan.
    let href = ar["import-ap"]["href"].as_str().unwrap();
    let resources = ar["back-matter"]["resources"].as_array().unwrap();
    let plan = resources
        .iter()
        .find(|r| Some(r["uuid"].as_str().unwrap()) == href.strip_prefix('#'))
        .expect("import-ap href names a back-matter resource");
    assert!(plan["description"].as_str().unwrap().contains("catalog"));

    let results = ar["results"].as_array().unwrap();
    assert_eq!(results.len(), 1);
    let result = &results[0];
    assert!(is_uuid_v4(result["uuid"].as_str().unwrap()));
    assert!(result["title"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(
        result["description"]
            .as_str()
            .unwrap()
            .contains("2 met, 2 partial, 2 not met, 1 unknown, 1 not applicable")
    );
    assert_eq!(result["start"], "2026-03-02T14:05:06.5Z");
    assert!(result["remarks"].as_str().unwrap().contains("FIM baseline"));

    // Every control is reviewed, by its token.
    let tokens: Vec<String> = assessment
        .controls
        .iter()
        .map(|c| control_token(&c.id))
        .collect();
    let selections = result["reviewed-controls"]["control-selections"]
        .as_array()
        .unwrap();
    let reviewed: Vec<&str> = selections
        .iter()
        .flat_map(|s| s["include-controls"].as_array().unwrap())
        .map(|c| c["control-id"].as_str().unwrap())
        .collect();
    assert_eq!(reviewed, tokens);
    assert!(reviewed.iter().all(|t| is_token(t)));
}

#[test]
fn every_control_is_a_finding_with_its_status_mapped() {
    let assessment = assessment();
    let document = round_trip(&assessment_results(&assessment));
    let result = &document["assessment-results"]["results"][0];
    let findings = result["findings"].as_array().unwrap();
    assert_eq!(findings.len(), assessment.controls.len());

    let observations: BTreeSet<&str> = result["observations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["uuid"].as_str().unwrap())
        .collect();
    let mut statuses_seen = BTreeSet::new();
    for (control, finding) in assessment.controls.iter().zip(findings) {
        let target = &finding["target"];
        assert_eq!(target["type"], "objective-id");
        assert_eq!(target["target-id"], control_token(&control.id));
        assert!(finding["title"].as_str().is_some_and(|t| !t.is_empty()));
        assert!(
            finding["description"]
                .as_str()
                .is_some_and(|t| !t.is_empty())
        );

        let (state, status_prop) = match control.status {
            ControlStatus::Met => ("satisfied", "met"),
            ControlStatus::NotApplicable => ("satisfied", "not-applicable"),
            ControlStatus::Partial => ("not-satisfied", "partial"),
            ControlStatus::NotMet => ("not-satisfied", "not-met"),
            ControlStatus::Unknown => ("not-satisfied", "unknown"),
        };
        assert_eq!(target["status"]["state"], state, "{}", control.id);
        let props = props_of(finding);
        assert_eq!(props["status"], status_prop, "{}", control.id);
        assert_eq!(props["citation"], control.cite);
        assert_eq!(props["control-id"], control.id);
        assert_eq!(props.get("owner"), control.owner.as_ref());
        statuses_seen.insert(control.status);

        // A finding points at its control's observation exactly when it has evidence.
        let related: Vec<&str> = finding["related-observations"]
            .as_array()
            .map(|r| {
                r.iter()
                    .map(|o| o["observation-uuid"].as_str().unwrap())
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(related.len(), usize::from(!control.evidence.is_empty()));
        for uuid in related {
            assert!(observations.contains(uuid), "{} -> {uuid}", control.id);
        }
    }
    assert_eq!(statuses_seen.len(), ControlStatus::ALL.len());
}

#[test]
fn observations_cite_the_ledger_entries() {
    let assessment = assessment();
    let document = round_trip(&assessment_results(&assessment));
    let result = &document["assessment-results"]["results"][0];
    let observations = result["observations"].as_array().unwrap();
    let evidenced: Vec<&ControlResult> = assessment
        .controls
        .iter()
        .filter(|c| !c.evidence.is_empty())
        .collect();
    assert_eq!(observations.len(), evidenced.len());

    for observation in observations {
        let props = props_of(observation);
        let control = evidenced
            .iter()
            .find(|c| c.id == props["control-id"])
            .unwrap();
        assert_eq!(props["citation"], control.cite);
        let method = if control.checks.is_empty() {
            "EXAMINE"
        } else {
            "TEST"
        };
        assert_eq!(observation["methods"], serde_json::json!([method]));
        assert_eq!(observation["collected"], "2026-03-02T14:05:06.5Z");
        let cited: Vec<(String, String)> = observation["relevant-evidence"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                let props = props_of(e);
                assert!(
                    e["description"]
                        .as_str()
                        .unwrap()
                        .contains(&props["leaf-hash"])
                );
                (
                    e["href"].as_str().unwrap().to_owned(),
                    props["leaf-hash"].clone(),
                )
            })
            .collect();
        let expected: Vec<(String, String)> = control
            .evidence
            .iter()
            .map(|e| (format!("#ledger-entry-{}", e.seq), e.leaf_hash_hex()))
            .collect();
        assert_eq!(cited, expected, "{}", control.id);
    }

    // The failing findings' details reach the observation, escaped as Markdown text.
    let not_met = observations
        .iter()
        .find(|o| props_of(o)["control-id"] == "164.308(a)(1)(ii)(A)")
        .unwrap();
    let description = not_met["description"].as_str().unwrap();
    assert!(description.contains("`host.ssh.root_login`: 2 fail"));
    assert!(description.contains("`/etc/ssh/sshd_config`"));
    assert!(description.contains(r"PermitRootLogin is \*yes\* \<b\>"));
}

#[test]
fn cloud_resources_are_inventory_items_and_the_subjects_of_their_findings() {
    let document = assessment_results(&cloud_assessment());
    assert_oscal_basics(&document);
    let result = &document["assessment-results"]["results"][0];
    let items = result["local-definitions"]["inventory-items"]
        .as_array()
        .unwrap();
    assert_eq!(items.len(), 2);
    let props: Vec<BTreeMap<String, String>> = items.iter().map(props_of).collect();
    assert_eq!(props[1]["asset-id"], "arn:aws:s3:::patient-exports");
    assert_eq!(props[1]["asset-type"], "s3.bucket");
    assert_eq!(props[1]["region"], "global");
    assert_eq!(props[1]["encryption-at-rest"], "encrypted");
    assert_eq!(
        props[1]["encryption-key"],
        "arn:aws:kms:us-east-1:111122223333:key/k1"
    );
    assert_eq!(props[1]["ephi"], "yes");
    assert_eq!(props[0]["asset-id"], VOLUME);
    assert_eq!(props[0]["encryption-at-rest"], "unencrypted");
    assert_eq!(props[0]["cloud-account"], "111122223333");
    assert_eq!(props[0]["ephi"], "no");
    assert!(!props[0].contains_key("encryption-key"));

    // The observation of the control the volume's finding belongs to names the volume's item,
    // and no other observation names any.
    let volume_uuid = items[0]["uuid"].as_str().unwrap();
    let observations = result["observations"].as_array().unwrap();
    let with_subjects: Vec<&Value> = observations
        .iter()
        .filter(|o| o.get("subjects").is_some())
        .collect();
    assert_eq!(with_subjects.len(), 1, "{with_subjects:#?}");
    assert_eq!(
        props_of(with_subjects[0])["control-id"],
        "164.312(a)(2)(iv)"
    );
    assert_eq!(
        with_subjects[0]["subjects"],
        serde_json::json!([{
            "subject-uuid": volume_uuid,
            "type": "inventory-item",
            "title": VOLUME,
        }])
    );

    // Without a cloud account: no local definitions, no subjects.
    let without = assessment_results(&Assessment {
        cloud: None,
        ..cloud_assessment()
    });
    assert_oscal_basics(&without);
    let result = &without["assessment-results"]["results"][0];
    assert!(result.get("local-definitions").is_none());
    assert!(
        result["observations"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o.get("subjects").is_none())
    );
}

#[test]
fn the_ledger_checkpoint_is_named_for_the_auditor() {
    let assessment = assessment();
    let document = round_trip(&assessment_results(&assessment));
    let ar = &document["assessment-results"];
    let result = &ar["results"][0];
    let props = props_of(result);
    assert_eq!(props["ledger-origin"], "clinic.example/phiguard");
    assert_eq!(props["ledger-size"], "12");
    assert_eq!(
        props["ledger-root"],
        "q1vXo8Xy3n0nW3C6Rk6f1a2b3c4d5e6f7g8h9i0jklm="
    );
    assert_eq!(props["assessment-ledger-seq"], "12");
    assert_eq!(props["installation"], "clinic_main");
    assert_eq!(props["profile"], "proposed-2025");
    // Who was assessed: the role as a prop, the role and scope in the description.
    assert_eq!(props["organization-role"], "covered_entity");
    let description = result["description"].as_str().unwrap();
    assert!(
        description.contains("a covered entity; scope: EHR platform"),
        "{description}"
    );

    // The result links to the checkpoint resource, which holds the note byte for byte.
    let link = result["links"][0]["href"].as_str().unwrap();
    let resource = ar["back-matter"]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| Some(r["uuid"].as_str().unwrap()) == link.strip_prefix('#'))
        .unwrap();
    assert_eq!(
        base64_decode(resource["base64"]["value"].as_str().unwrap()),
        NOTE.as_bytes()
    );
    assert!(
        resource["description"]
            .as_str()
            .unwrap()
            .contains("phiguard ledger verify")
    );
    assert_eq!(props_of(resource)["ledger-size"], "12");
}

#[test]
fn without_a_checkpoint_the_document_still_holds_together() {
    let assessment = passing_assessment();
    let document = round_trip(&assessment_results(&assessment));
    assert_oscal_basics(&document);
    let ar = &document["assessment-results"];
    // Only the plan's resource.
    assert_eq!(ar["back-matter"]["resources"].as_array().unwrap().len(), 1);
    assert!(ar["results"][0].get("links").is_none());
    assert!(ar["results"][0].get("remarks").is_none());
    assert!(!props_of(&ar["results"][0]).contains_key("ledger-root"));
}

#[test]
fn every_document_gets_fresh_uuids() {
    let assessment = assessment();
    let first = defined_uuids(&assessment_results(&assessment));
    let second = defined_uuids(&assessment_results(&assessment));
    let first: BTreeSet<String> = first.into_iter().map(|(u, _)| u).collect();
    assert!(second.iter().all(|(u, _)| !first.contains(u)));
}

#[test]
fn control_ids_become_stable_tokens() {
    for (id, token) in [
        ("164.308(a)(1)(ii)(A)", "hipaa-164.308-a-1-ii-a"),
        ("164.312(a)(2)(iv)", "hipaa-164.312-a-2-iv"),
        ("164.404", "hipaa-164.404"),
        (
            "proposed-2025.asset-inventory",
            "hipaa-proposed-2025.asset-inventory",
        ),
    ] {
        assert_eq!(control_token(id), token);
        assert!(is_token(token));
    }
    // Whatever the id, the token is one: OSCAL rejects the document otherwise.
    for id in ["", "(a)", "ünïcode id", "a b\tc", "164.308(a)(1)/x"] {
        assert!(is_token(&control_token(id)), "{id:?}");
    }
}

#[test]
fn colliding_tokens_are_made_unique() {
    let mut assessment = assessment();
    assessment.controls.truncate(1);
    let mut twin = assessment.controls[0].clone();
    twin.id = "164.308-a-1".into();
    assessment.controls.push(twin);
    (assessment.summary, assessment.families) = tally(&assessment.controls);
    let document = assessment_results(&assessment);
    let targets: BTreeSet<&str> = document["assessment-results"]["results"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["target"]["target-id"].as_str().unwrap())
        .collect();
    assert_eq!(targets.len(), 2);
}

#[test]
fn sample_data_says_so_in_every_title_and_a_prop() {
    let real = assessment();
    let sample = Assessment {
        sample: true,
        ..assessment()
    };
    let results = round_trip(&assessment_results(&sample));
    let plan = round_trip(&poam(&sample));
    for metadata in [
        &results["assessment-results"]["metadata"],
        &plan["plan-of-action-and-milestones"]["metadata"],
    ] {
        assert!(
            metadata["title"]
                .as_str()
                .unwrap()
                .ends_with(": sample data, not a real assessment"),
            "{metadata:#}"
        );
        assert_eq!(props_of(metadata)["sample-data"], "true");
        assert!(
            metadata["remarks"]
                .as_str()
                .unwrap()
                .contains("sample data")
        );
    }
    let result = &results["assessment-results"]["results"][0];
    assert!(result["title"].as_str().unwrap().contains("sample data"));
    assert_eq!(props_of(result)["sample-data"], "true");
    // A real assessment carries neither.
    let results = assessment_results(&real);
    let metadata = &results["assessment-results"]["metadata"];
    assert!(!metadata["title"].as_str().unwrap().contains("sample"));
    assert!(!props_of(metadata).contains_key("sample-data"));
    assert!(metadata.get("remarks").is_none());
}

#[test]
fn a_named_organisation_is_a_party_and_in_the_titles() {
    let named = Assessment {
        organization_name: Some("Riverside Clinic".into()),
        ..assessment()
    };
    for document in [
        round_trip(&assessment_results(&named))["assessment-results"].clone(),
        round_trip(&poam(&named))["plan-of-action-and-milestones"].clone(),
    ] {
        let metadata = &document["metadata"];
        assert!(
            metadata["title"]
                .as_str()
                .unwrap()
                .ends_with(": Riverside Clinic (installation clinic_main)"),
            "{metadata:#}"
        );
        let parties = metadata["parties"].as_array().unwrap();
        assert_eq!(parties.len(), 1);
        assert_eq!(parties[0]["type"], "organization");
        assert_eq!(parties[0]["name"], "Riverside Clinic");
        assert!(is_uuid_v4(parties[0]["uuid"].as_str().unwrap()));
    }
    let results = assessment_results(&named);
    let props = props_of(&results["assessment-results"]["results"][0]);
    assert_eq!(props["organization-name"], "Riverside Clinic");
    assert_eq!(props["scope"], "EHR platform <in> the cloud");
    let unnamed = assessment_results(&assessment());
    assert!(
        unnamed["assessment-results"]["metadata"]
            .get("parties")
            .is_none()
    );
}

// --- POA&M -------------------------------------------------------------------------------

#[test]
fn poam_lists_one_item_per_problem_by_consequence() {
    let assessment = assessment();
    let document = round_trip(&poam(&assessment));
    assert_oscal_basics(&document);

    let root = document.as_object().unwrap();
    assert_eq!(
        root.keys().collect::<Vec<_>>(),
        ["plan-of-action-and-milestones"]
    );
    let plan = &document["plan-of-action-and-milestones"];
    assert!(is_uuid_v4(plan["uuid"].as_str().unwrap()));
    let metadata = &plan["metadata"];
    assert!(metadata["title"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(is_timestamp(&metadata["last-modified"]));
    assert!(metadata["version"].as_str().is_some_and(|v| !v.is_empty()));
    assert_eq!(metadata["oscal-version"], "1.1.2");
    // No SSP to import, so the system is named.
    assert_eq!(plan["system-id"]["id"], "clinic_main");

    // One item per problem, in the ranking's order: the critical finding on an addressable
    // control (16 × 1) ties with the high ones on a required control (8 × 2) and wins on
    // severity; the proposed item fails without a finding (1 × 2). The standard fails only
    // through its specification, whose item names it.
    let problems = assessment.problems();
    let items = plan["poam-items"].as_array().unwrap();
    let item_controls: Vec<Vec<String>> = items
        .iter()
        .map(|i| {
            i["props"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|p| p["name"] == "control-id")
                .map(|p| p["value"].as_str().unwrap().to_owned())
                .collect()
        })
        .collect();
    assert_eq!(
        item_controls,
        [
            vec!["164.312(a)(2)(iv)"],
            vec!["164.308(a)(1)(ii)(A)"],
            vec!["proposed-2025.asset-inventory"],
        ]
    );

    let findings: BTreeMap<&str, &Value> = plan["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["uuid"].as_str().unwrap(), f))
        .collect();
    assert_eq!(findings.len(), 3, "one finding per failing control named");
    for (item, problem) in items.iter().zip(&problems) {
        let props = props_of(item);
        assert_eq!(props["priority"], problem.rank.to_string());
        assert_eq!(props["consequence"], problem.consequence.to_string());
        let control = problem.controls[0];
        assert_eq!(
            props["owner"],
            control.owner.as_deref().unwrap_or("unassigned")
        );
        // Markdown escapes aside, every finding, every control's basis and every step is in
        // the description.
        let description = item["description"].as_str().unwrap().replace('\\', "");
        for finding in &problem.findings {
            assert!(description.contains(&finding.subject), "{description}");
        }
        assert!(description.contains(&control.basis), "{description}");
        for step in &problem.remediation {
            assert!(description.contains(step), "{description}");
        }
        let finding_uuid = item["related-findings"][0]["finding-uuid"]
            .as_str()
            .unwrap();
        let finding = findings[finding_uuid];
        assert_eq!(finding["target"]["target-id"], control_token(&control.id));
        assert_eq!(finding["target"]["status"]["state"], "not-satisfied");
        assert_eq!(props_of(finding)["status"], super_status(control.status));
        assert_eq!(
            item.get("related-observations").is_some(),
            !control.evidence.is_empty()
        );
        let risk = item["related-risks"][0]["risk-uuid"].as_str().unwrap();
        assert_eq!(finding["related-risks"][0]["risk-uuid"], risk);
    }
}

fn super_status(status: ControlStatus) -> &'static str {
    match status {
        ControlStatus::NotMet => "not-met",
        ControlStatus::Partial => "partial",
        other => panic!("{other:?} has no POA&M item"),
    }
}

#[test]
fn poam_with_nothing_failing_says_so() {
    let assessment = passing_assessment();
    let document = round_trip(&poam(&assessment));
    assert_oscal_basics(&document);
    let plan = &document["plan-of-action-and-milestones"];
    let items = plan["poam-items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert!(!props_of(&items[0]).contains_key("control-id"));
    assert!(plan.get("findings").is_none());
    assert!(plan.get("back-matter").is_none());
}

// --- oracle ------------------------------------------------------------------------------

#[test]
fn trestle_accepts_both_documents() {
    let Some(python) = phiguard_testkit::oscal_python() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    let sample = Assessment {
        sample: true,
        organization_name: Some("Riverside Clinic".into()),
        sign_off: Some(phiguard_assess::SignOff {
            by: "Dana Ruiz, Security Officer".into(),
            account: Some("dana".into()),
            at: "2026-03-02T15:00:00Z".parse().unwrap(),
            assessment: evidence(12),
            evidence: evidence(13),
        }),
        ..assessment()
    };
    for (name, assessment) in [
        ("failing", assessment()),
        ("passing", passing_assessment()),
        ("sample", sample),
        ("cloud", cloud_assessment()),
    ] {
        for (kind, document) in [
            ("ar", assessment_results(&assessment)),
            ("poam", poam(&assessment)),
        ] {
            let path = dir.path().join(format!("{name}-{kind}.json"));
            std::fs::write(&path, serde_json::to_string_pretty(&document).unwrap()).unwrap();
            paths.push(path);
        }
    }
    let verdict = phiguard_testkit::oscal_oracle(&python, &paths);
    assert!(
        verdict.accepted,
        "trestle rejected the OSCAL output {}",
        verdict.output
    );
    assert_eq!(verdict.valid, paths.len(), "{}", verdict.output);
}
