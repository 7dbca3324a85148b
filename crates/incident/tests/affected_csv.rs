//! Lists of affected individuals as any spreadsheet may write them: whatever the names and
//! addresses hold (commas, quotes, line breaks, other scripts, odd spacing and case), a list
//! written as CSV reads back with each individual counted once in their state.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};

use phiguard_incident::affected::{normalise, read};
use proptest::prelude::*;

/// Text as people type it into a name or address cell.
fn cell() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec![
            "Ana", "LÓPEZ", "lópez", " ", "  ", "\t", ",", "\"", "'", "\n", "Chen", "O'Brien",
            "=SUM(A1)", "李", "Main St", "#4",
        ]),
        1..6,
    )
    .prop_map(|parts| parts.concat())
    .prop_filter("a name is not blank", |text| !text.trim().is_empty())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn a_written_list_reads_back_with_each_individual_once(
        people in prop::collection::vec((cell(), cell(), 0usize..5), 1..20),
        repeats in prop::collection::vec(any::<prop::sample::Index>(), 0..5),
    ) {
        // Each person has one state; a repeated row repeats the person exactly.
        let states = ["OH", "oh", " PA ", "CA", "PR"];
        let mut rows: Vec<(String, String, &str)> = people
            .iter()
            .map(|(name, address, s)| (name.clone(), address.clone(), states[*s]))
            .collect();
        for index in &repeats {
            let again = index.get(&rows).clone();
            rows.push(again);
        }
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.write_record(["name", "address", "state"]).unwrap();
        for (name, address, state) in &rows {
            writer.write_record([name.as_str(), address.as_str(), state]).unwrap();
        }
        let bytes = writer.into_inner().unwrap();

        // The identity the reader keys on; one state per identity (the first given), as a
        // person with two states is refused and the test gives each identity only one.
        let mut expected: BTreeMap<(String, String), String> = BTreeMap::new();
        let mut conflicting = false;
        for (name, address, state) in &rows {
            let state = state.trim().to_ascii_uppercase();
            let key = (normalise(name), normalise(address));
            match expected.get(&key) {
                Some(first) if *first != state => conflicting = true,
                Some(_) => {}
                None => {
                    expected.insert(key, state);
                }
            }
        }
        let result = read(&bytes, |identity: &str| Ok::<_, String>(identity.to_owned()));
        if conflicting {
            prop_assert!(result.is_err(), "two states for one person were accepted");
            return Ok(());
        }
        let affected = result.unwrap();
        prop_assert_eq!(affected.rows, rows.len());
        prop_assert_eq!(affected.individuals.len(), expected.len());
        prop_assert_eq!(affected.duplicates, rows.len() - expected.len());
        let mut by_state: BTreeMap<String, u64> = BTreeMap::new();
        for state in expected.values() {
            *by_state.entry(state.clone()).or_default() += 1;
        }
        prop_assert_eq!(&affected.by_state, &by_state);
        let distinct: BTreeSet<&str> =
            affected.individuals.iter().map(|i| i.pseudonym.as_str()).collect();
        prop_assert_eq!(distinct.len(), affected.individuals.len());
    }
}
