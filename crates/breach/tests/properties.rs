//! Properties of plan files and plans over generated input: reading never panics and names a
//! line inside the text, and every covered entity's plan keeps the federal rule's shape.

use std::collections::BTreeMap;

use phiguard_breach::{Recipient, Rules, Scenario, plan};
use proptest::prelude::*;

fn lines_of(text: &str) -> u64 {
    text.replace("\r\n", "\n").matches(['\n', '\r']).count() as u64 + 1
}

proptest! {
    #[test]
    fn reading_any_text_never_panics_and_errors_name_a_line_inside_it(text in "\\PC{0,200}") {
        if let Err(error) = Scenario::from_yaml(&text) {
            prop_assert!(error.line.is_none_or(|line| (1..=lines_of(&text)).contains(&line)));
        }
    }

    #[test]
    fn reading_near_valid_files_never_panics(
        field in prop::sample::select(vec!["role", "discovered", "affected", "secured", "exclusion", "baa_window_days", "law_enforcement_delay", "insufficient_contacts", "extra"]),
        value in "[-a-zA-Z0-9:{}, ]{0,30}",
    ) {
        let text = format!("role: covered_entity\ndiscovered: 2026-03-01\naffected: {{OH: 1}}\n{field}: {value}\n");
        if let Err(error) = Scenario::from_yaml(&text) {
            prop_assert!(error.line.is_none_or(|line| (1..=5).contains(&line)), "{error}");
        }
    }

    #[test]
    fn a_covered_entitys_plan_keeps_the_federal_shape(
        days in 0i64..36_500,
        counts in prop::collection::btree_map(
            prop::sample::select(vec!["CA", "CO", "FL", "WA", "NY", "RI", "MD", "AZ", "OR", "AL", "TX", "OH", "PA", "PR"]),
            1u64..2_000,
            1..5,
        ),
    ) {
        let discovered = jiff::civil::date(2000, 1, 1)
            .checked_add(jiff::Span::new().days(days))
            .unwrap_or_else(|e| panic!("{e}"));
        let affected: String = counts
            .iter()
            .map(|(code, count)| format!("{code}: {count}"))
            .collect::<Vec<_>>()
            .join(", ");
        let yaml = format!("role: covered_entity\ndiscovered: {discovered}\naffected: {{{affected}}}\n");
        let scenario = Scenario::from_yaml(&yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"));
        let rules = Rules::builtin().unwrap_or_else(|e| panic!("{e}"));
        let plan = plan(&rules, &scenario, discovered);
        let total: u64 = counts.values().sum();
        let federal = |recipient: Recipient| -> Vec<jiff::civil::Date> {
            plan.notices
                .iter()
                .filter(|n| n.recipient == recipient && n.jurisdiction.is_none())
                .map(|n| n.due)
                .collect()
        };
        let sixty = discovered.checked_add(jiff::Span::new().days(60)).unwrap_or_else(|e| panic!("{e}"));
        prop_assert_eq!(federal(Recipient::Individuals), vec![sixty]);
        let hhs = federal(Recipient::Hhs);
        prop_assert_eq!(hhs.len(), 1);
        if total >= 500 {
            prop_assert_eq!(hhs[0], sixty);
        } else {
            // 60 days after 31 December of the year of discovery: 29 February or 1 March.
            prop_assert_eq!(hhs[0].year(), discovered.year() + 1);
            prop_assert!(matches!((hhs[0].month(), hhs[0].day()), (2, 29) | (3, 1)));
            prop_assert_eq!(hhs[0].in_leap_year(), hhs[0].month() == 2);
        }
        let media: BTreeMap<String, jiff::civil::Date> = plan
            .notices
            .iter()
            .filter(|n| n.recipient == Recipient::Media)
            .map(|n| (n.jurisdiction.clone().unwrap_or_default(), n.due))
            .collect();
        let expected: BTreeMap<String, jiff::civil::Date> = counts
            .iter()
            .filter(|&(_, &count)| count > 500)
            .map(|(code, _)| ((*code).to_owned(), sixty))
            .collect();
        prop_assert_eq!(media, expected);
        for notice in &plan.notices {
            prop_assert!(notice.due > discovered, "{:?}", notice);
            prop_assert!(!notice.citation.is_empty());
            prop_assert_eq!(
                notice.days_left,
                i64::from(notice.due.since(discovered).unwrap_or_else(|e| panic!("{e}")).get_days())
            );
        }
    }
}
