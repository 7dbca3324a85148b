//! Plan files: what is read, and what is refused with its line.

use phiguard_breach::{Delay, Exclusion, Role, Scenario};

fn refused(yaml: &str) -> String {
    match Scenario::from_yaml(yaml) {
        Ok(scenario) => panic!("accepted {scenario:?} from:\n{yaml}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn the_issue_example_is_read_whole() {
    let yaml = "role: business_associate          # or covered_entity\n\
                discovered: 2026-03-01\n\
                affected: {OH: 120, pa: 3}    # residents per state\n\
                secured: false\n\
                exclusion: unable_to_retain\n\
                baa_window_days: 10\n\
                law_enforcement_delay: {kind: oral, stated: 2026-03-05}\n";
    let scenario = Scenario::from_yaml(yaml).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(scenario.role, Role::BusinessAssociate);
    assert_eq!(scenario.discovered, jiff::civil::date(2026, 3, 1));
    assert_eq!(scenario.affected.get("OH"), Some(&120));
    assert_eq!(
        scenario.affected.get("PA"),
        Some(&3),
        "codes are upper-cased"
    );
    assert_eq!(scenario.exclusion, Some(Exclusion::UnableToRetain));
    assert_eq!(scenario.baa_window_days, Some(10));
    assert_eq!(
        scenario.law_enforcement_delay,
        Some(Delay::Oral {
            stated: jiff::civil::date(2026, 3, 5)
        })
    );
    assert_eq!(scenario.total_affected(), 123);
}

#[test]
fn a_written_delay_is_read() {
    let scenario = Scenario::from_yaml(
        "role: covered_entity\ndiscovered: 2026-03-01\naffected: {OH: 1}\nlaw_enforcement_delay: {kind: written, until: 2026-06-15}\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        scenario.law_enforcement_delay,
        Some(Delay::Written {
            until: jiff::civil::date(2026, 6, 15)
        })
    );
}

#[test]
fn a_bad_date_is_named_with_its_line() {
    let message = refused("role: covered_entity\ndiscovered: 2026-02-30\naffected: {OH: 1}\n");
    assert!(
        message.starts_with("line 2: discovered: \"2026-02-30\" is not a date"),
        "{message}"
    );
    let message = refused("role: covered_entity\ndiscovered: 1 March 2026\naffected: {OH: 1}\n");
    assert!(message.contains("write it as YYYY-MM-DD"), "{message}");
    let message = refused(
        "role: covered_entity\ndiscovered: 2026-03-01\naffected: {OH: 1}\nlaw_enforcement_delay:\n  kind: oral\n  stated: 2026-13-01\n",
    );
    assert!(
        message.starts_with("line 6: law_enforcement_delay.stated"),
        "{message}"
    );
}

#[test]
fn an_unknown_field_is_refused_with_its_line() {
    let message = refused(
        "role: covered_entity\ndiscovered: 2026-03-01\naffected: {OH: 1}\nencrypted: true\n",
    );
    assert!(message.starts_with("line 4:"), "{message}");
    assert!(message.contains("encrypted"), "{message}");
}

#[test]
fn an_unknown_state_is_refused() {
    let message =
        refused("role: covered_entity\ndiscovered: 2026-03-01\naffected: {OH: 1, ZZ: 4}\n");
    assert!(
        message.starts_with("line 3: affected: \"ZZ\" is not a US state or territory"),
        "{message}"
    );
}

#[test]
fn an_unknown_role_or_exclusion_is_refused() {
    assert!(
        refused("role: vendor\ndiscovered: 2026-03-01\naffected: {OH: 1}\n").starts_with("line 1:")
    );
    assert!(
        refused(
            "role: covered_entity\ndiscovered: 2026-03-01\naffected: {OH: 1}\nexclusion: oops\n"
        )
        .starts_with("line 4:")
    );
}

#[test]
fn nobody_affected_is_refused() {
    assert!(
        refused("role: covered_entity\ndiscovered: 2026-03-01\naffected: {}\n")
            .contains("at least one state")
    );
    assert!(
        refused("role: covered_entity\ndiscovered: 2026-03-01\naffected: {OH: 0}\n")
            .contains("at least one state")
    );
}

#[test]
fn fields_of_the_other_role_are_read_and_said_not_to_apply() {
    let rules = phiguard_breach::Rules::builtin().unwrap_or_else(|e| panic!("{e}"));
    let today = jiff::civil::date(2026, 3, 1);
    let covered = Scenario::from_yaml(
        "role: covered_entity\ndiscovered: 2026-03-01\naffected: {OH: 1}\nbaa_window_days: 10\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let plan = phiguard_breach::plan(&rules, &covered, today);
    assert!(
        plan.notes
            .iter()
            .any(|n| n.text.starts_with("baa_window_days (10) is not used")),
        "{plan:?}"
    );
    // The covered entity's own clock is untouched by it: 60 days, 30 April.
    assert_eq!(plan.notices[0].due, jiff::civil::date(2026, 4, 30));
    let associate = Scenario::from_yaml(
        "role: business_associate\ndiscovered: 2026-03-01\naffected: {OH: 1}\ninsufficient_contacts: 10\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let plan = phiguard_breach::plan(&rules, &associate, today);
    assert!(
        plan.notes
            .iter()
            .any(|n| n.text.starts_with("insufficient_contacts (10) is not used")),
        "{plan:?}"
    );
    assert_eq!(plan.notices.len(), 1, "{plan:?}");
}

#[test]
fn a_delay_of_the_wrong_shape_is_refused() {
    let message = refused(
        "role: covered_entity\ndiscovered: 2026-03-01\naffected: {OH: 1}\nlaw_enforcement_delay: {kind: oral, until: 2026-04-01}\n",
    );
    assert!(
        message.contains("an oral statement gives the day it was made"),
        "{message}"
    );
    let message = refused(
        "role: covered_entity\ndiscovered: 2026-03-01\naffected: {OH: 1}\nlaw_enforcement_delay: {kind: written}\n",
    );
    assert!(
        message.contains("a written statement gives the day the delay ends"),
        "{message}"
    );
}

#[test]
fn missing_fields_are_named() {
    let message = refused("role: covered_entity\naffected: {OH: 1}\n");
    assert!(message.contains("discovered"), "{message}");
}
