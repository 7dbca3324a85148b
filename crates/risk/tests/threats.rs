#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The threat catalog (`catalog/threats.yaml`): it loads, its ids are unique and shaped for the
//! command line, every kind of source is used, every check prefix names a check that exists,
//! and a broken catalog is refused with a message that names what is wrong.

use std::collections::BTreeSet;
use std::sync::Arc;

use phiguard_risk::threats::{ThreatCatalog, matches_prefix};

fn builtin() -> &'static ThreatCatalog {
    ThreatCatalog::builtin().expect("the built-in threat catalog loads")
}

/// Every check id phiguard can report a failing finding for: the host's, the cloud's, the
/// register's, and those the assessment judges itself (FIM, the ledger, the matrix).
fn real_check_ids() -> BTreeSet<String> {
    let host = phiguard_host::registry(&phiguard_host::Settings::default()).unwrap();
    let register = phiguard_register::checks::registry(
        Arc::new(phiguard_register::Snapshot::default()),
        &Default::default(),
    )
    .unwrap();
    host.metas()
        .chain(register.metas())
        .map(|m| m.id.to_string())
        .chain(phiguard_cloud::checks::ids())
        .chain(
            phiguard_assess::sources::ASSESSMENT_CHECKS
                .iter()
                .map(|id| (*id).to_owned()),
        )
        .collect()
}

#[test]
fn the_builtin_catalog_loads_with_unique_ids_and_every_source_used() {
    let catalog = builtin();
    assert!(
        (25..=40).contains(&catalog.threats.len()),
        "{} threats",
        catalog.threats.len()
    );
    let ids: BTreeSet<&str> = catalog.ids().into_iter().collect();
    assert_eq!(ids.len(), catalog.threats.len(), "threat ids are unique");
    for source in &catalog.sources {
        assert!(
            catalog.threats.iter().any(|t| t.source == source.id),
            "no threat comes from the source {:?}",
            source.id
        );
    }
    let sources: Vec<&str> = catalog.sources.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(
        sources,
        ["adversarial", "accidental", "structural", "environmental"]
    );
    for threat in &catalog.threats {
        assert!(!threat.name.trim().is_empty(), "{}", threat.id);
        assert!(!threat.description.trim().is_empty(), "{}", threat.id);
        assert!(
            threat.references.iter().all(|r| !r.trim().is_empty()),
            "{}",
            threat.id
        );
    }
    // The threats the issue names, and the one the register's example risk uses.
    for id in [
        "ransomware",
        "phishing",
        "insider-snooping",
        "insider-exfiltration",
        "device-theft",
        "public-cloud-storage",
        "unpatched-vulnerability",
        "stolen-admin-credentials",
        "unvetted-business-associate",
        "vendor-breach",
        "misdirected-communication",
        "accidental-deletion",
        "record-tampering",
        "log-tampering",
        "denial-of-service",
        "cloud-region-outage",
        "environmental-controls-failure",
        "hardware-failure",
        "software-failure",
        "backup-failure",
        "fire",
        "flood",
        "severe-weather",
        "pandemic",
        "key-compromise",
        "key-loss",
        "traffic-interception",
        "improper-disposal",
    ] {
        assert!(catalog.threat(id).is_some(), "{id} is missing");
    }
}

#[test]
fn every_check_prefix_matches_a_real_check() {
    let real = real_check_ids();
    assert!(real.len() > 50, "the registries gave {} ids", real.len());
    let mut dead = Vec::new();
    for threat in &builtin().threats {
        for prefix in &threat.checks {
            if !real.iter().any(|id| matches_prefix(prefix, id)) {
                dead.push(format!("{}: {prefix}", threat.id));
            }
        }
    }
    assert!(dead.is_empty(), "prefixes that match no check: {dead:?}");
}

#[test]
fn threats_are_found_by_check_prefix_at_a_dot_only() {
    let catalog = builtin();
    let ids = |check: &str| -> Vec<&str> {
        catalog
            .for_check(check)
            .into_iter()
            .map(|t| t.id.as_str())
            .collect()
    };
    let public = ids("cloud.aws.s3.public_access");
    assert!(public.contains(&"public-cloud-storage"), "{public:?}");
    assert!(
        ids("host.patches.security_updates").contains(&"ransomware"),
        "host.patches covers the checks under it"
    );
    assert!(ids("no.such.check").is_empty());
    assert!(matches_prefix("host.patches", "host.patches"));
    assert!(!matches_prefix("host.patches", "host.patches_extra"));
    assert!(!matches_prefix("host.patches.security", "host.patches"));
}

// ---- refusals ----

const VALID: &str = r#"
sources:
  - id: adversarial
    name: Adversarial
    description: People who mean harm.
    reference: "NIST SP 800-30 Rev. 1, Table D-2"
threats:
  - id: ransomware
    name: Ransomware
    source: adversarial
    description: Encrypts ePHI.
    references: ["NIST SP 800-30 Rev. 1, Table E-2"]
    checks: [host.patches]
"#;

fn refused(text: &str) -> String {
    match ThreatCatalog::parse(text) {
        Ok(catalog) => panic!("accepted: {catalog:?}"),
        Err(error) => error.to_string(),
    }
}

fn assert_names(message: &str, parts: &[&str]) {
    for part in parts {
        assert!(message.contains(part), "{part:?} missing from: {message}");
    }
}

#[test]
fn a_valid_catalog_parses() {
    let catalog = ThreatCatalog::parse(VALID).unwrap();
    assert_eq!(catalog.ids(), ["ransomware"]);
    assert_eq!(
        catalog.source("adversarial").map(|s| s.name.as_str()),
        Some("Adversarial")
    );
}

#[test]
fn an_unknown_field_is_refused_naming_it() {
    let message = refused(&VALID.replace("    checks:", "    cheks:"));
    assert_names(&message, &["catalog/threats.yaml", "cheks"]);
}

#[test]
fn a_duplicate_id_is_refused_naming_it() {
    let twice = format!(
        "{VALID}  - id: ransomware\n    name: Again\n    source: adversarial\n    \
         description: Again.\n    references: [\"x\"]\n"
    );
    assert_names(&refused(&twice), &["\"ransomware\"", "appears twice"]);
}

#[test]
fn an_unknown_source_is_refused_naming_it() {
    let message = refused(&VALID.replace("source: adversarial", "source: martian"));
    assert_names(
        &message,
        &["\"ransomware\"", "\"martian\"", "not in `sources`"],
    );
}

#[test]
fn a_threat_without_references_is_refused_naming_it() {
    let message = refused(&VALID.replace(
        "references: [\"NIST SP 800-30 Rev. 1, Table E-2\"]",
        "references: []",
    ));
    assert_names(&message, &["\"ransomware\"", "no references"]);
    // Leaving the field out is refused too: there is no default for where a threat comes from.
    let message = refused(&VALID.replace(
        "    references: [\"NIST SP 800-30 Rev. 1, Table E-2\"]\n",
        "",
    ));
    assert_names(&message, &["references"]);
}

#[test]
fn a_bad_id_or_check_prefix_is_refused_naming_it() {
    let message = refused(&VALID.replace("id: ransomware", "id: Ransom Ware"));
    assert_names(&message, &["\"Ransom Ware\"", "lowercase"]);
    let message = refused(&VALID.replace("checks: [host.patches]", "checks: [host]"));
    assert_names(&message, &["\"ransomware\"", "\"host\"", "two segments"]);
    let message = refused(&VALID.replace(
        "checks: [host.patches]",
        "checks: [host.patches, host.patches]",
    ));
    assert_names(&message, &["\"host.patches\"", "twice"]);
}
