//! The register's YAML files (`phiguard_register::exchange::yaml`), one kind chosen by the
//! first byte: whatever parses must write back and parse to the same records, at lines inside
//! the text.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use phiguard_register::Kind;
use phiguard_register::exchange::yaml;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let kind = Kind::ALL[usize::from(selector) % Kind::ALL.len()];
    let file = Path::new(kind.file_name());
    // YAML breaks lines at `\r\n`, `\n` and a lone `\r`.
    let lines = text.replace("\r\n", "\n").matches(['\n', '\r']).count() as u64 + 1;
    match yaml::parse(kind, text, file) {
        Ok(read) => {
            for (_, line) in &read {
                assert!((1..=lines).contains(line), "record line {line} of {lines}");
            }
            // NaN is not equal to itself; a record with it is invalid anyway.
            let records: Vec<_> = read
                .into_iter()
                .map(|(record, _)| record)
                .filter(|record| record.problems().is_empty())
                .collect();
            let written = yaml::render(kind, &records).expect("records write as YAML");
            let again = yaml::parse(kind, &written, file).expect("written YAML parses");
            let again: Vec<_> = again.into_iter().map(|(record, _)| record).collect();
            assert_eq!(again, records, "{written}");
        }
        Err(phiguard_register::RegisterError::Import { problems }) => {
            assert!(!problems.is_empty());
            for problem in problems {
                assert!(problem.line.is_none_or(|line| (1..=lines).contains(&line)));
            }
        }
        Err(other) => panic!("unexpected error {other:?}"),
    }
});
