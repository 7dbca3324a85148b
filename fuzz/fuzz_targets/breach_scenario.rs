//! Breach plan files (`phiguard_breach::Scenario::from_yaml`): whatever is read plans without a
//! panic under the built-in rules, every notice has a citation, and an error's line is inside
//! the text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use phiguard_breach::{Rules, Scenario, plan};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // YAML breaks lines at `\r\n`, `\n` and a lone `\r`.
    let lines = text.replace("\r\n", "\n").matches(['\n', '\r']).count() as u64 + 1;
    match Scenario::from_yaml(text) {
        Ok(scenario) => {
            let rules = Rules::builtin().expect("the built-in rules load");
            let plan = plan(&rules, &scenario, jiff::civil::date(2026, 3, 1));
            for notice in &plan.notices {
                assert!(!notice.citation.is_empty());
                assert!(notice.due >= scenario.discovered, "{notice:?}");
            }
            assert!(!plan.notices.is_empty() || !plan.notes.is_empty());
        }
        Err(error) => {
            assert!(error.line.is_none_or(|line| (1..=lines).contains(&line)), "{error}");
        }
    }
});
