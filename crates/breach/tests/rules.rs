//! The rules in `catalog/breach-notification-clocks.yaml` load, and bad rules are refused.

use phiguard_breach::{HipaaClause, RegulatorDue, Rules};

const BUILTIN: &str = include_str!("../../../catalog/breach-notification-clocks.yaml");

#[test]
fn the_builtin_rules_load_with_every_state_of_the_reference_facts() {
    let rules = Rules::builtin().unwrap_or_else(|e| panic!("{e}"));
    let codes: Vec<&str> = rules.states.iter().map(|s| s.code.as_str()).collect();
    assert_eq!(
        codes,
        [
            "CA", "CO", "FL", "WA", "NY", "RI", "MD", "AZ", "OR", "AL", "TX"
        ]
    );
    assert_eq!(rules.federal.individuals.calendar_days, 60);
    assert_eq!(rules.federal.media.more_than, Some(500));
    assert_eq!(rules.federal.hhs_immediate.at_least, Some(500));
    assert_eq!(rules.federal.law_enforcement_oral.calendar_days, 30);
    assert_eq!(rules.federal.substitute_many.at_least, 10);
    // Washington is the one state the reference facts say defers to HIPAA for individuals;
    // no other state is given such a clause without a source.
    for state in &rules.states {
        let deems = matches!(state.hipaa_clause, HipaaClause::DeemsCompliant { .. });
        assert_eq!(deems, state.code == "WA", "{}", state.code);
    }
    let ny = rules.state("NY").and_then(|s| s.regulator.as_ref());
    assert!(matches!(
        ny.map(|r| &r.due),
        Some(RegulatorDue::AfterHhs(_))
    ));
}

fn refused(text: &str) -> String {
    match Rules::parse("test.yaml", text) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn an_unknown_field_is_refused_with_its_line() {
    let text = BUILTIN.replace(
        "    hipaa_clause: unknown\n",
        "    hipaa_clause: unknown\n    exempt: true\n",
    );
    let message = refused(&text);
    assert!(message.contains("exempt"), "{message}");
    assert!(message.contains("line "), "{message}");
}

#[test]
fn a_state_listed_twice_is_refused() {
    let text = BUILTIN.replace("  - code: CO\n", "  - code: CA\n");
    assert!(refused(&text).contains("state CA: listed twice"));
}

#[test]
fn a_state_code_that_is_no_state_is_refused() {
    let text = BUILTIN.replace("  - code: TX\n", "  - code: XX\n");
    assert!(refused(&text).contains("\"XX\": not the postal code"));
}

#[test]
fn a_clock_with_both_kinds_of_days_is_refused() {
    let text = BUILTIN.replacen(
        "      business_days: 15\n      from: detection\n",
        "      business_days: 15\n      calendar_days: 15\n      from: detection\n",
        1,
    );
    assert!(
        refused(&text)
            .contains("state CA: individuals: give calendar_days or business_days, not both")
    );
}

#[test]
fn an_empty_citation_is_refused() {
    let text = BUILTIN.replace("citation: \"45 CFR 164.406\"", "citation: \"\"");
    assert!(refused(&text).contains("federal.media: the citation is empty"));
}

#[test]
fn a_regulator_with_two_thresholds_is_refused() {
    let text = BUILTIN.replace("      more_than: 1000\n      due: unstated\n    hipaa_clause: unknown\n\n  - code: OR", "      more_than: 1000\n      at_least: 1000\n      due: unstated\n    hipaa_clause: unknown\n\n  - code: OR");
    assert!(refused(&text).contains("state AZ: regulator: give at_least or more_than, not both"));
}
