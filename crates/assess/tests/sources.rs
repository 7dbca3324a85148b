#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The assessment's own evidence: file integrity counts toward the integrity of ePHI only when
//! the baseline covers every configured ePHI directory.

use phiguard_assess::sources::{FimOutcome, fim_ephi_finding, fim_finding};
use phiguard_core::{EvidenceRef, Status};

fn outcome(roots: &[&str], unexplained: &[&str]) -> FimOutcome {
    FimOutcome {
        baseline: 3,
        baseline_taken: "2026-11-01T08:00:00Z".parse().unwrap(),
        rules: roots
            .iter()
            .map(|root| format!("{root} [full]"))
            .collect::<Vec<_>>()
            .join(", "),
        roots: roots.iter().map(|r| r.to_string()).collect(),
        changed: unexplained.len() as u64,
        explained: 0,
        unexplained: unexplained.len() as u64,
        unexplained_paths: unexplained.iter().map(|p| p.to_string()).collect(),
        evidence: EvidenceRef {
            seq: 7,
            leaf_hash: [7; 32],
        },
    }
}

fn paths(paths: &[&str]) -> Vec<String> {
    paths.iter().map(|p| p.to_string()).collect()
}

#[test]
fn a_baseline_with_no_ephi_paths_configured_says_nothing_about_ephi() {
    // A baseline of any directory: fine for system files, no credit for 164.312(c).
    let any = outcome(&["/tmp/anything"], &[]);
    assert_eq!(fim_finding(&any).status, Status::Pass);
    let why = fim_ephi_finding(&any, &[]).unwrap_err();
    assert!(
        why.contains("ephi_paths") && why.contains("phiguard.toml"),
        "{why}"
    );
}

#[test]
fn a_baseline_that_misses_a_configured_ephi_path_does_not_count() {
    let baseline = outcome(&["/etc", "/srv/ehr"], &[]);
    let why = fim_ephi_finding(&baseline, &paths(&["/srv/ehr/data", "/srv/imaging"])).unwrap_err();
    assert!(
        why.contains("/srv/imaging") && !why.contains("/srv/ehr/data,"),
        "{why}"
    );
    // A sibling whose name merely starts the same is not covered.
    let why =
        fim_ephi_finding(&outcome(&["/srv/ehr"], &[]), &paths(&["/srv/ehr-old"])).unwrap_err();
    assert!(why.contains("/srv/ehr-old"), "{why}");
}

#[test]
fn a_covering_baseline_judges_only_changes_in_the_ephi_directories() {
    let ephi = paths(&["/srv/ehr"]);
    // A change in /etc fails the system check, not the ePHI one.
    let etc_changed = outcome(&["/etc", "/srv/ehr"], &["/etc/passwd"]);
    assert_eq!(fim_finding(&etc_changed).status, Status::Fail);
    let finding = fim_ephi_finding(&etc_changed, &ephi).unwrap();
    assert_eq!(finding.status, Status::Pass);
    assert_eq!(finding.evidence[0].seq, 7);
    // A change under the ePHI directory fails it.
    let ehr_changed = outcome(
        &["/", "/srv/ehr"],
        &["/srv/ehr/chart-1.json", "/srv/ehr-old/x"],
    );
    let finding = fim_ephi_finding(&ehr_changed, &ephi).unwrap();
    assert_eq!(finding.status, Status::Fail);
    assert!(
        finding.message.starts_with("1 unexplained change"),
        "{}",
        finding.message
    );
    // The file names themselves are never in the finding: they can identify patients.
    assert!(!finding.message.contains("chart-1"), "{}", finding.message);
}
