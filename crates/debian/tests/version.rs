#![allow(clippy::unwrap_used, clippy::expect_used)]
//! dpkg version ordering against the real `dpkg --compare-versions`, and no panic on any
//! input.

use std::cmp::Ordering;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use phiguard_debian::version::{Version, compare};
use proptest::prelude::*;

/// `dpkg`, if this machine has it (once per test binary; the skip note is printed once).
fn dpkg() -> Option<&'static Path> {
    static DPKG: OnceLock<Option<std::path::PathBuf>> = OnceLock::new();
    DPKG.get_or_init(|| phiguard_testkit::program("dpkg", "dpkg"))
        .as_deref()
}

/// Whether `dpkg --compare-versions a op b` holds.
fn dpkg_holds(dpkg: &Path, a: &str, op: &str, b: &str) -> bool {
    let status = Command::new(dpkg)
        .args(["--compare-versions", a, op, b])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        // dpkg warns on stderr about versions not starting with a digit; the exit status
        // is still the answer.
        .stderr(Stdio::null())
        .status()
        .unwrap();
    match status.code() {
        Some(0) => true,
        Some(1) => false,
        other => panic!("dpkg --compare-versions {a} {op} {b}: exit {other:?}"),
    }
}

/// dpkg's three-way answer, in at most two runs.
fn dpkg_order(dpkg: &Path, a: &str, b: &str) -> Ordering {
    if dpkg_holds(dpkg, a, "lt", b) {
        Ordering::Less
    } else if dpkg_holds(dpkg, a, "eq", b) {
        Ordering::Equal
    } else {
        Ordering::Greater
    }
}

/// A piece of a version: the parts that make dpkg's ordering interesting.
fn piece(revision: bool) -> BoxedStrategy<String> {
    let separators = if revision { ".+~" } else { ".+~-:" };
    prop_oneof![
        // Digit runs: short, with leading zeros, and far longer than any integer type.
        3 => "[0-9]{1,3}",
        1 => "0{1,4}[0-9]{0,2}",
        1 => "[0-9]{20,60}",
        2 => "[a-z]{1,3}",
        1 => "[A-Z]{1,2}",
        3 => proptest::sample::select(separators.chars().collect::<Vec<_>>())
            .prop_map(String::from),
        1 => Just("~~".to_owned()),
        1 => Just("+b1".to_owned()),
        1 => Just("+deb12u".to_owned()),
    ]
    .boxed()
}

fn pieces(revision: bool, max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(piece(revision), 0..max).prop_map(|p| p.concat())
}

/// A valid version built from a shared base and its own suffixes, so that pairs often
/// differ only late (where ordering bugs hide).
fn version_from(
    base: &str,
    epoch: Option<String>,
    start: String,
    suffix: String,
    revision: Option<String>,
) -> String {
    let mut upstream = format!("{start}{base}{suffix}");
    let mut epoch = epoch;
    let mut revision = revision;
    // A colon in the upstream version needs an epoch, a hyphen needs a revision, or the
    // string means something else (or nothing).
    if upstream.contains(':') && epoch.is_none() {
        epoch = Some("0".to_owned());
    }
    if upstream.contains('-') && revision.is_none() {
        revision = Some("1".to_owned());
    }
    if upstream.is_empty() {
        upstream.push('0');
    }
    let mut text = String::new();
    if let Some(epoch) = epoch {
        text.push_str(&epoch);
        text.push(':');
    }
    text.push_str(&upstream);
    if let Some(revision) = revision {
        text.push('-');
        text.push_str(&revision);
    }
    text
}

fn one_side(base: String) -> impl Strategy<Value = String> {
    (
        proptest::option::weighted(0.3, prop_oneof!["[0-3]", "0{1,3}[1-3]"]),
        // Usually a digit first, as dpkg wants; sometimes a letter, which dpkg accepts
        // with a warning.
        prop_oneof![9 => "[0-9]{1,2}", 1 => "[a-z]"],
        pieces(false, 4),
        proptest::option::weighted(
            0.6,
            (pieces(true, 4), "[0-9a-z]").prop_map(|(p, last)| format!("{p}{last}")),
        ),
    )
        .prop_map(move |(epoch, start, suffix, revision)| {
            version_from(&base, epoch, start, suffix, revision)
        })
}

fn pair() -> impl Strategy<Value = (String, String)> {
    pieces(false, 5).prop_flat_map(|base| (one_side(base.clone()), one_side(base)))
}

proptest! {
    // Each case runs dpkg once or twice (about a millisecond each).
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn ordering_matches_dpkg((a, b) in pair()) {
        let Some(dpkg) = dpkg() else { return Ok(()) };
        let ours = compare(&a, &b).unwrap();
        prop_assert_eq!(ours, dpkg_order(dpkg, &a, &b), "{} vs {}", a, b);
        // Our ordering is antisymmetric, and Display reads back to the same version.
        prop_assert_eq!(compare(&b, &a).unwrap(), ours.reverse());
        let parsed: Version = a.parse().unwrap();
        let again: Version = parsed.to_string().parse().unwrap();
        prop_assert_eq!(
            (again.epoch(), again.upstream(), again.revision()),
            (parsed.epoch(), parsed.upstream(), parsed.revision())
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn any_string_parses_or_errs_without_panicking(text in "\\PC{0,40}|[0-9:.+~a-z -]{0,30}") {
        match text.parse::<Version>() {
            Ok(version) => {
                let again: Version = version.to_string().parse().unwrap();
                prop_assert_eq!(again.cmp(&version), Ordering::Equal);
            }
            Err(e) => prop_assert!(e.to_string().contains("not a valid Debian package version")),
        }
    }

    #[test]
    fn any_bytes_parse_or_err_without_panicking(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
        let _ = Version::try_from(bytes.as_slice());
    }

    #[test]
    fn ordering_is_transitive((a, b) in pair(), c in pair().prop_map(|p| p.0)) {
        let (a, b, c): (Version, Version, Version) =
            (a.parse().unwrap(), b.parse().unwrap(), c.parse().unwrap());
        let mut sorted = [a, b, c];
        sorted.sort();
        let [x, y, z] = &sorted;
        prop_assert!(x <= y && y <= z && x <= z);
    }
}

/// Versions from the real Debian archive's history, compared by dpkg in one batch.
#[test]
fn real_world_versions_match_dpkg() {
    let Some(dpkg) = dpkg() else { return };
    let versions = [
        "1:2.38.1-5+deb12u3",
        "2.38.1-5+deb12u2",
        "3.0.11-1~deb12u2",
        "3.0.11-1~deb12u1",
        "3.0.11-1",
        "3.0.15-1~deb12u1",
        "1:9.18.28-1~deb12u2",
        "252.30-1~deb12u2",
        "252.31-1~deb12u1",
        "7.88.1-10+deb12u8",
        "7.88.1-10+deb12u12",
        "2.36-9+deb12u9",
        "2.36-9+deb12u10",
        "1.21.22",
        "1.21.22+b1",
        "5.2.15-2+b2",
        "2:8.2.3995-1ubuntu2.21",
        "1.0~rc1-1",
        "1.0-1",
        "0.0.0~git20230101.abcdef-1",
        "22.01+really26.02+dfsg-0+deb12u1",
        "6.1.0-28",
        "20230210-5",
    ];
    for a in versions {
        for b in versions {
            assert_eq!(compare(a, b).unwrap(), dpkg_order(dpkg, a, b), "{a} vs {b}");
        }
    }
}
