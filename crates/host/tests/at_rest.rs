#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The encryption-at-rest checks through the public registry, as `phiguard host check` runs
//! them: skipped for an image, and a definite, explained verdict on this machine. The cases
//! that need a particular disk layout (LUKS, LVM on LUKS, zram, NFS...) are unit tests beside
//! the code, against fake /proc and /sys trees.

use std::path::{Path, PathBuf};

use phiguard_core::{CheckContext, Finding, Status};
use phiguard_host::{Settings, registry};

const EPHI: &str = "host.encryption.ephi_at_rest";
const SWAP: &str = "host.encryption.swap";
const ROOT: &str = "host.encryption.root_fs";

fn run(settings: &Settings, root: &Path, id: &str) -> Vec<Finding> {
    let ctx = CheckContext::new(root, "2026-03-01T12:00:00Z".parse().unwrap());
    registry(settings)
        .unwrap()
        .run_all(&ctx, |meta| meta.id.as_str() == id)
}

fn settings(ephi_paths: &[&Path]) -> Settings {
    Settings {
        ephi_paths: ephi_paths.iter().map(|p| p.to_path_buf()).collect(),
        ..Settings::default()
    }
}

/// Pass, fail or warn, with a message and (unless it passed) a remediation; never an error on
/// a host whose kernel tables are readable.
#[track_caller]
fn assert_definite(finding: &Finding) {
    assert!(
        matches!(finding.status, Status::Pass | Status::Fail | Status::Warn),
        "{finding:#?}"
    );
    assert!(!finding.message.is_empty());
    assert_eq!(
        finding.remediation.is_some(),
        finding.status != Status::Pass,
        "{finding:#?}"
    );
}

#[test]
fn an_image_is_skipped_because_its_disks_are_not_the_kernels() {
    let image = tempfile::tempdir().unwrap();
    let settings = settings(&[Path::new("/srv/ehr")]);
    for id in [EPHI, SWAP, ROOT] {
        let findings = run(&settings, image.path(), id);
        assert_eq!(findings.len(), 1, "{id}");
        assert_eq!(findings[0].status, Status::NotApplicable, "{id}");
        assert!(findings[0].message.starts_with("skipped"), "{id}");
    }
}

#[test]
fn the_root_file_system_of_this_machine_gets_a_verdict() {
    let findings = run(&Settings::default(), Path::new("/"), ROOT);
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].subject, "/");
    assert_definite(&findings[0]);
    assert!(
        findings[0].message.contains("the root file system ("),
        "{}",
        findings[0].message
    );
}

#[test]
fn every_active_swap_area_of_this_machine_gets_a_verdict() {
    let findings = run(&Settings::default(), Path::new("/"), SWAP);
    let active = std::fs::read_to_string("/proc/swaps")
        .unwrap()
        .lines()
        .count()
        .saturating_sub(1);
    assert_eq!(findings.len(), active.max(1));
    findings.iter().for_each(assert_definite);
}

#[test]
fn ephi_paths_on_this_machine_are_judged_one_by_one() {
    let ehr = tempfile::tempdir().unwrap();
    let missing = PathBuf::from("/nonexistent/phiguard/ehr");
    let findings = run(&settings(&[ehr.path(), &missing]), Path::new("/"), EPHI);
    assert_eq!(findings.len(), 2);
    assert_eq!(findings[0].subject, ehr.path().display().to_string());
    assert_definite(&findings[0]);
    assert!(
        findings[0].message.contains("file system mounted at"),
        "{}",
        findings[0].message
    );
    assert_eq!(findings[1].status, Status::Warn);
    assert!(findings[1].message.contains("does not exist"));

    let none = run(&Settings::default(), Path::new("/"), EPHI);
    assert_eq!(none.len(), 1);
    assert_eq!(none[0].status, Status::Warn);
    assert!(
        none[0]
            .message
            .contains("`[fim] ephi_paths` in phiguard.toml")
    );
}
