#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The patch checks on file-system roots: a dpkg database and apt lists with a security
//! suite (`fixtures/patches/debian`), judged against their deadlines.

use std::fs;
use std::path::Path;
use std::time::{Duration, SystemTime};

use jiff::{Timestamp, ToSpan};
use phiguard_core::{CheckContext, Finding, Status};
use phiguard_host::{Area, Settings};

const STATUS: &str = include_str!("fixtures/patches/debian/var/lib/dpkg/status");

/// The fixture root (`fixtures/patches/debian`: a dpkg database, a main and a security
/// list) copied to a temporary directory, its lists written `lists_age` ago.
fn debian_root(lists_age: Duration) -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/patches/debian");
    let when = SystemTime::now() - lists_age;
    for dir in ["var/lib/dpkg", "var/lib/apt/lists"] {
        fs::create_dir_all(root.path().join(dir)).unwrap();
        for entry in fs::read_dir(fixture.join(dir)).unwrap() {
            let entry = entry.unwrap();
            let copy = root.path().join(dir).join(entry.file_name());
            fs::copy(entry.path(), &copy).unwrap();
            fs::File::options()
                .write(true)
                .open(&copy)
                .unwrap()
                .set_modified(when)
                .unwrap();
        }
    }
    root
}

fn run(root: &Path, settings: &Settings) -> Vec<Finding> {
    let registry = phiguard_host::registry(settings).unwrap();
    let ctx = CheckContext::new(root, Timestamp::now());
    registry.run_all(&ctx, |meta| Area::of(meta) == Some(Area::Patches))
}

fn of<'a>(findings: &'a [Finding], check: &str) -> Vec<&'a Finding> {
    findings
        .iter()
        .filter(|f| f.check.as_str() == check)
        .collect()
}

fn seen_days_ago(package: &str, version: &str, days: i64) -> ((String, String), Timestamp) {
    (
        (package.to_owned(), version.to_owned()),
        Timestamp::now().checked_sub((days * 24).hours()).unwrap(),
    )
}

#[test]
fn updates_within_their_deadline_warn_and_say_when_they_are_due() {
    let root = debian_root(Duration::from_secs(3600));
    let settings = Settings {
        first_seen: [
            seen_days_ago("openssl", "3.0.16-1~deb12u1", 3),
            seen_days_ago("curl", "7.88.1-10+deb12u8", 10),
        ]
        .into(),
        ..Settings::default()
    };
    let findings = run(root.path(), &settings);

    let security = of(&findings, "host.patches.security_updates");
    assert_eq!(security.len(), 1, "{security:#?}");
    assert_eq!(security[0].status, Status::Warn);
    assert_eq!(
        security[0].subject,
        "openssl 3.0.15-1~deb12u1 → 3.0.16-1~deb12u1"
    );
    assert!(
        security[0].message.contains("pending for 3 days"),
        "{}",
        security[0].message
    );
    // curl's newer version is in the main suite only: an ordinary update, not a security one.
    let other = of(&findings, "host.patches.other_updates");
    assert_eq!(other.len(), 1, "{other:#?}");
    assert_eq!(
        other[0].subject,
        "curl 7.88.1-10+deb12u5 → 7.88.1-10+deb12u8"
    );
    assert_eq!(other[0].status, Status::Warn);
    // tzdata is current; the package removed but for its configuration is not installed.
    assert!(!findings.iter().any(|f| f.subject.contains("tzdata")));
    assert!(
        !findings
            .iter()
            .any(|f| f.subject.contains("removed-long-ago"))
    );

    let lists = of(&findings, "host.patches.package_lists");
    assert_eq!(lists[0].status, Status::Pass, "{lists:#?}");
}

#[test]
fn updates_past_their_deadline_fail_with_the_configured_deadlines() {
    let root = debian_root(Duration::from_secs(3600));
    let settings = Settings {
        first_seen: [
            seen_days_ago("openssl", "3.0.16-1~deb12u1", 16),
            seen_days_ago("curl", "7.88.1-10+deb12u8", 31),
        ]
        .into(),
        ..Settings::default()
    };
    let findings = run(root.path(), &settings);
    let security = of(&findings, "host.patches.security_updates");
    assert_eq!(security[0].status, Status::Fail, "{security:#?}");
    assert!(security[0].message.contains("past the 15-day deadline"));
    assert!(security[0].remediation.is_some());
    let other = of(&findings, "host.patches.other_updates");
    assert_eq!(other[0].status, Status::Fail, "{other:#?}");

    // A site that gives itself longer is judged by its own setting.
    let lenient = Settings {
        security_update_days: 20,
        other_update_days: 45,
        ..settings
    };
    let findings = run(root.path(), &lenient);
    assert!(
        findings.iter().all(|f| !f.status.is_failing()),
        "{findings:#?}"
    );
}

#[test]
fn an_update_never_seen_before_starts_its_clock_now() {
    let root = debian_root(Duration::from_secs(3600));
    let findings = run(root.path(), &Settings::default());
    let security = of(&findings, "host.patches.security_updates");
    assert_eq!(security[0].status, Status::Warn);
    assert!(security[0].message.contains("pending for 0 days"));
}

#[test]
fn nothing_pending_passes_and_old_lists_warn() {
    let root = debian_root(Duration::from_secs(20 * 86_400));
    // Install the candidates: the database now matches the lists.
    let status = STATUS
        .replace("3.0.15-1~deb12u1", "3.0.16-1~deb12u1")
        .replace("7.88.1-10+deb12u5", "7.88.1-10+deb12u8");
    fs::write(root.path().join("var/lib/dpkg/status"), status).unwrap();
    let findings = run(root.path(), &Settings::default());
    for check in [
        "host.patches.security_updates",
        "host.patches.other_updates",
    ] {
        let found = of(&findings, check);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].status, Status::Pass, "{found:#?}");
        assert!(found[0].message.contains("3 installed packages"));
    }
    let lists = of(&findings, "host.patches.package_lists");
    assert_eq!(lists[0].status, Status::Warn, "{lists:#?}");
    assert!(
        lists[0].message.contains("20 days ago"),
        "{}",
        lists[0].message
    );
}

#[test]
fn missing_lists_are_a_warning_not_a_clean_bill() {
    let root = debian_root(Duration::ZERO);
    fs::remove_dir_all(root.path().join("var/lib/apt/lists")).unwrap();
    let findings = run(root.path(), &Settings::default());
    let lists = of(&findings, "host.patches.package_lists");
    assert_eq!(lists[0].status, Status::Warn, "{lists:#?}");
    assert!(lists[0].message.contains("no package lists"));
}

#[test]
fn a_damaged_status_file_is_an_error_that_names_file_and_line() {
    let root = debian_root(Duration::ZERO);
    let status = root.path().join("var/lib/dpkg/status");
    fs::write(
        &status,
        format!("{STATUS}\nPackage: broken\nthis line has no colon\n"),
    )
    .unwrap();
    let findings = run(root.path(), &Settings::default());
    assert_eq!(findings.len(), 3, "{findings:#?}");
    for finding in &findings {
        assert_eq!(finding.status, Status::Error, "{finding:#?}");
        assert!(
            finding.message.contains(&status.display().to_string()),
            "{}",
            finding.message
        );
        // The blank line, `Package: broken`, then the bad line.
        let bad_line = STATUS.lines().count() + 3;
        assert!(
            finding.message.contains(&format!(":{bad_line}:")),
            "{}",
            finding.message
        );
    }
}

#[test]
fn apk_and_rpm_systems_say_what_is_not_read_and_other_roots_are_not_applicable() {
    let alpine = tempfile::tempdir().unwrap();
    fs::create_dir_all(alpine.path().join("lib/apk/db")).unwrap();
    fs::write(
        alpine.path().join("lib/apk/db/installed"),
        "P:musl\nV:1.2.5-r0\nA:x86_64\n\nP:busybox\nV:1.36.1-r29\nA:x86_64\n",
    )
    .unwrap();
    let findings = run(alpine.path(), &Settings::default());
    let security = of(&findings, "host.patches.security_updates");
    assert_eq!(security[0].status, Status::Warn, "{security:#?}");
    assert!(security[0].message.contains("2 apk packages"));

    let fedora = tempfile::tempdir().unwrap();
    fs::create_dir_all(fedora.path().join("var/lib/rpm")).unwrap();
    fs::write(fedora.path().join("var/lib/rpm/rpmdb.sqlite"), b"").unwrap();
    let findings = run(fedora.path(), &Settings::default());
    assert!(
        findings.iter().all(|f| f.status == Status::Warn),
        "{findings:#?}"
    );
    assert!(findings[0].message.contains("rpm"));

    let empty = tempfile::tempdir().unwrap();
    let findings = run(empty.path(), &Settings::default());
    assert_eq!(findings.len(), 3);
    assert!(findings.iter().all(|f| f.status == Status::NotApplicable));
}

#[test]
fn this_machine_is_surveyed_like_dpkg_query_sees_it() {
    let Some(installed) = phiguard_debian::status::installed(Path::new("/")).unwrap() else {
        phiguard_testkit::missing("a dpkg database at /", "run the tests on Debian or Ubuntu");
        return;
    };
    let survey = phiguard_host::patches::survey(Path::new("/"))
        .unwrap()
        .unwrap();
    assert_eq!(survey.installed, installed.len());
    // Every pending update is of an installed package, to a newer version.
    for update in &survey.pending {
        let package = installed
            .iter()
            .find(|p| p.name == update.package && p.architecture == update.architecture)
            .unwrap_or_else(|| panic!("{update:?} is not installed"));
        assert_eq!(package.version.to_string(), update.installed);
        let candidate: phiguard_debian::version::Version = update.candidate.parse().unwrap();
        assert!(candidate > package.version, "{update:?}");
    }
}
