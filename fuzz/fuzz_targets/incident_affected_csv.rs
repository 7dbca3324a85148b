//! Lists of affected individuals (`phiguard_incident::affected::read`): whatever is read gives
//! counts that add up or an error whose line is inside the file, and no panic. The normalised
//! text stands in for the installation's keyed pseudonym: the same person gives the same one.
#![no_main]

use libfuzzer_sys::fuzz_target;
use phiguard_incident::affected::read;

fuzz_target!(|data: &[u8]| {
    let lines = data.split(|&b| b == b'\n').count() as u64 + 1;
    let result = read(data, |normalised: &str| {
        Ok::<String, std::convert::Infallible>(normalised.to_owned())
    });
    match result {
        Ok(affected) => {
            assert_eq!(affected.rows, affected.individuals.len() + affected.duplicates);
            let counted: u64 = affected.by_state.values().sum();
            assert_eq!(counted, affected.individuals.len() as u64);
            for individual in &affected.individuals {
                assert!(phiguard_breach::is_state_code(&individual.state), "{individual:?}");
            }
        }
        Err(phiguard_incident::affected::AffectedError::Line { line, .. }) => {
            assert!((1..=lines).contains(&line), "line {line} of {lines}");
        }
        Err(_) => {}
    }
});
