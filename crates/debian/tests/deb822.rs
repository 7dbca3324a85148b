#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The stanza reader on real files and on arbitrary bytes.

use std::path::Path;

use phiguard_debian::deb822;
use proptest::prelude::*;

/// This machine's dpkg database reads without error, and every installed stanza has a
/// `Package` field on the line the stanza starts at or after.
#[test]
fn the_real_status_file_reads_cleanly() {
    let path = Path::new("/var/lib/dpkg/status");
    let Ok(bytes) = std::fs::read(path) else {
        phiguard_testkit::missing("/var/lib/dpkg/status", "run on a Debian-based system");
        return;
    };
    let mut count = 0;
    let mut last_line = 0;
    for stanza in deb822::stanzas(&bytes) {
        let stanza = stanza.unwrap();
        assert!(stanza.line > last_line);
        last_line = stanza.line;
        assert!(
            stanza.get("Package").is_some(),
            "stanza at line {}",
            stanza.line
        );
        count += 1;
    }
    assert!(count > 10, "only {count} stanzas");
}

fn fragment() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"Package: p\n".to_vec()),
        Just(b"Version: 1:2.3-4\n".to_vec()),
        Just(b"Description: x\n".to_vec()),
        Just(b" continued\n".to_vec()),
        Just(b"\t.\n".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b" \n".to_vec()),
        Just(b":".to_vec()),
        Just(b"a b: c\n".to_vec()),
        proptest::collection::vec(any::<u8>(), 0..20),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn arbitrary_bytes_never_panic(
        bytes in prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..400),
            proptest::collection::vec(fragment(), 0..30).prop_map(|p| p.concat()),
        ]
    ) {
        let lines = bytes.split(|&b| b == b'\n').count();
        let mut last = 0;
        let mut errors = 0;
        for item in deb822::stanzas(&bytes) {
            match item {
                Ok(stanza) => {
                    // Stanzas come in order, every field and continuation is inside the
                    // input, and values are trimmed.
                    prop_assert!(stanza.line > last && stanza.line <= lines);
                    last = stanza.line;
                    for field in stanza.fields() {
                        prop_assert!(field.line >= stanza.line);
                        prop_assert!(!field.name.is_empty());
                        prop_assert_eq!(field.value, field.value.trim_ascii());
                        for (line, text) in &field.continuation {
                            prop_assert!(*line > field.line && *line <= lines);
                            prop_assert!(matches!(text.first(), Some(b' ' | b'\t')));
                        }
                        if let Ok(name) = std::str::from_utf8(field.name) {
                            prop_assert!(stanza.get(name).is_some());
                        }
                    }
                }
                Err(error) => {
                    prop_assert!(error.line > last && error.line <= lines);
                    errors += 1;
                }
            }
        }
        prop_assert!(errors <= 1, "the iterator stops after an error");
    }
}
