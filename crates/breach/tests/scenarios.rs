//! The plan for scenarios written out by hand, each with the reasoning behind its expected
//! notices (recipient, jurisdiction, due date). Dates were worked out on a calendar:
//! 2026-03-01 is a Sunday, 2028 is a leap year.

use phiguard_breach::{Plan, Recipient, Rules, Scenario, plan};

struct Case {
    name: &'static str,
    yaml: &'static str,
    /// (recipient, jurisdiction, due), in any order.
    notices: &'static [(&'static str, Option<&'static str>, &'static str)],
    /// Text that one of the plan's notes must contain (a citation, a state's clause).
    note: Option<&'static str>,
}

const CASES: &[Case] = &[
    // The example: 123 in all, fewer than 500, so HHS hears of it in the annual log,
    // 60 days after the end of 2026 (2027 is not a leap year: 1 March). 60 days after Sunday
    // 1 March is 30 April. No state law in the data for OH or PA.
    Case {
        name: "issue example",
        yaml: "role: covered_entity\ndiscovered: 2026-03-01\naffected: {OH: 120, PA: 3}\nsecured: false\n",
        notices: &[
            ("individuals", None, "2026-04-30"),
            ("hhs", None, "2027-03-01"),
        ],
        note: Some("OH: phiguard has no OH breach law"),
    },
    // Month end: 31 January + 60 days = 1 April (28 days of February 2026).
    Case {
        name: "discovered at the end of January",
        yaml: "role: covered_entity\ndiscovered: 2026-01-31\naffected: {OH: 10}\n",
        notices: &[
            ("individuals", None, "2026-04-01"),
            ("hhs", None, "2027-03-01"),
        ],
        note: None,
    },
    // Year end: 31 December 2026 + 60 = 1 March 2027; the annual log for 2026 is also due
    // 1 March 2027 (2027 is not a leap year).
    Case {
        name: "discovered on 31 December 2026",
        yaml: "role: covered_entity\ndiscovered: 2026-12-31\naffected: {OH: 10}\n",
        notices: &[
            ("individuals", None, "2027-03-01"),
            ("hhs", None, "2027-03-01"),
        ],
        note: None,
    },
    // 31 December 2027: 2028 is a leap year, so 60 days later is 29 February 2028, for the
    // individuals and for the annual log of 2027 alike.
    Case {
        name: "discovered on 31 December 2027, before a leap February",
        yaml: "role: covered_entity\ndiscovered: 2027-12-31\naffected: {OH: 10}\n",
        notices: &[
            ("individuals", None, "2028-02-29"),
            ("hhs", None, "2028-02-29"),
        ],
        note: None,
    },
    // One day later the year of discovery is 2028: the annual log is due 60 days after 31
    // December 2028, 1 March 2029. Individuals: 1 January + 60 in a leap year = 1 March 2028.
    Case {
        name: "discovered on 1 January 2028",
        yaml: "role: covered_entity\ndiscovered: 2028-01-01\naffected: {OH: 10}\n",
        notices: &[
            ("individuals", None, "2028-03-01"),
            ("hhs", None, "2029-03-01"),
        ],
        note: None,
    },
    // The leap day itself: 29 February + 60 = 29 April 2028; annual log 1 March 2029.
    Case {
        name: "discovered on 29 February 2028",
        yaml: "role: covered_entity\ndiscovered: 2028-02-29\naffected: {OH: 10}\n",
        notices: &[
            ("individuals", None, "2028-04-29"),
            ("hhs", None, "2029-03-01"),
        ],
        note: None,
    },
    // Across the year end: 15 November 2026 + 60 = 14 January 2027; log for 2026.
    Case {
        name: "discovered in November, due in January",
        yaml: "role: covered_entity\ndiscovered: 2026-11-15\naffected: {OH: 10}\n",
        notices: &[
            ("individuals", None, "2027-01-14"),
            ("hhs", None, "2027-03-01"),
        ],
        note: None,
    },
    // 499 in one state: no media (needs more than 500), HHS in the annual log (fewer than 500).
    Case {
        name: "499 in one state",
        yaml: "role: covered_entity\ndiscovered: 2026-03-01\naffected: {OH: 499}\n",
        notices: &[
            ("individuals", None, "2026-04-30"),
            ("hhs", None, "2027-03-01"),
        ],
        note: None,
    },
    // 500 in one state: HHS at once (500 or more), still no media (500 is not more than 500).
    Case {
        name: "500 in one state",
        yaml: "role: covered_entity\ndiscovered: 2026-03-01\naffected: {OH: 500}\n",
        notices: &[
            ("individuals", None, "2026-04-30"),
            ("hhs", None, "2026-04-30"),
        ],
        note: None,
    },
    // 501 in one state: media in OH as well, all within 60 days.
    Case {
        name: "501 in one state",
        yaml: "role: covered_entity\ndiscovered: 2026-03-01\naffected: {OH: 501}\n",
        notices: &[
            ("individuals", None, "2026-04-30"),
            ("media", Some("OH"), "2026-04-30"),
            ("hhs", None, "2026-04-30"),
        ],
        note: None,
    },
    // 250 + 249 = 499 across states: the annual log.
    Case {
        name: "499 across two states",
        yaml: "role: covered_entity\ndiscovered: 2026-03-01\naffected: {OH: 250, PA: 249}\n",
        notices: &[
            ("individuals", None, "2026-04-30"),
            ("hhs", None, "2027-03-01"),
        ],
        note: None,
    },
    // 250 + 250 = 500 in total: HHS at once, though no state has more than 500.
    Case {
        name: "500 across two states",
        yaml: "role: covered_entity\ndiscovered: 2026-03-01\naffected: {OH: 250, PA: 250}\n",
        notices: &[
            ("individuals", None, "2026-04-30"),
            ("hhs", None, "2026-04-30"),
        ],
        note: None,
    },
    // 500 + 500: 1,000 in all, but media needs more than 500 in ONE state: none.
    Case {
        name: "500 in each of two states",
        yaml: "role: covered_entity\ndiscovered: 2026-03-01\naffected: {OH: 500, PA: 500}\n",
        notices: &[
            ("individuals", None, "2026-04-30"),
            ("hhs", None, "2026-04-30"),
        ],
        note: None,
    },
    // 501 + 501: media in each state.
    Case {
        name: "501 in each of two states",
        yaml: "role: covered_entity\ndiscovered: 2026-03-01\naffected: {OH: 501, PA: 501}\n",
        notices: &[
            ("individuals", None, "2026-04-30"),
            ("media", Some("OH"), "2026-04-30"),
            ("media", Some("PA"), "2026-04-30"),
            ("hhs", None, "2026-04-30"),
        ],
        note: None,
    },
    // 501 + 2: media only where more than 500 live.
    Case {
        name: "501 in one state, 2 in another",
        yaml: "role: covered_entity\ndiscovered: 2026-03-01\naffected: {OH: 501, PA: 2}\n",
        notices: &[
            ("individuals", None, "2026-04-30"),
            ("media", Some("OH"), "2026-04-30"),
            ("hhs", None, "2026-04-30"),
        ],
        note: None,
    },
    // A business associate tells the covered entity within 60 days; nothing else is its own.
    Case {
        name: "business associate without a BAA window",
        yaml: "role: business_associate\ndiscovered: 2026-03-01\naffected: {OH: 10}\n",
        notices: &[("covered_entity", None, "2026-04-30")],
        note: None,
    },
    // A 10-day window in the BAA: 1 March + 10 = 11 March.
    Case {
        name: "business associate with a 10-day BAA window",
        yaml: "role: business_associate\ndiscovered: 2026-03-01\naffected: {OH: 10}\nbaa_window_days: 10\n",
        notices: &[("covered_entity", None, "2026-03-11")],
        note: None,
    },
    // A BAA cannot extend the rule: a 90-day window still means 60 days.
    Case {
        name: "business associate with a 90-day BAA window",
        yaml: "role: business_associate\ndiscovered: 2026-03-01\naffected: {OH: 10}\nbaa_window_days: 90\n",
        notices: &[("covered_entity", None, "2026-04-30")],
        note: None,
    },
    // A 60-day window equals the rule.
    Case {
        name: "business associate with a 60-day BAA window",
        yaml: "role: business_associate\ndiscovered: 2026-03-01\naffected: {OH: 10}\nbaa_window_days: 60\n",
        notices: &[("covered_entity", None, "2026-04-30")],
        note: None,
    },
    // 600 Washington residents: media, HHS and WA's attorney general are the covered
    // entity's to notify, not the business associate's.
    Case {
        name: "business associate with many residents",
        yaml: "role: business_associate\ndiscovered: 2026-03-01\naffected: {WA: 600}\n",
        notices: &[("covered_entity", None, "2026-04-30")],
        note: None,
    },
    // Across the year end: 20 December 2026 + 30 = 19 January 2027.
    Case {
        name: "business associate window across the year end",
        yaml: "role: business_associate\ndiscovered: 2026-12-20\naffected: {OH: 10}\nbaa_window_days: 30\n",
        notices: &[("covered_entity", None, "2027-01-19")],
        note: None,
    },
    // An oral statement on 5 March holds notices at most 30 days, to 4 April: before the
    // 30 April deadline, so nothing moves.
    Case {
        name: "oral delay that ends before the deadline",
        yaml: "role: covered_entity\ndiscovered: 2026-03-01\naffected: {OH: 10}\nlaw_enforcement_delay: {kind: oral, stated: 2026-03-05}\n",
        notices: &[
            ("individuals", None, "2026-04-30"),
            ("hhs", None, "2027-03-01"),
        ],
        note: None,
    },
    // An oral statement on 20 April holds notices to 20 May: the individuals' notice moves
    // there; the annual log (1 March 2027) is later anyway.
    Case {
        name: "oral delay past the deadline",
        yaml: "role: covered_entity\ndiscovered: 2026-03-01\naffected: {OH: 10}\nlaw_enforcement_delay: {kind: oral, stated: 2026-04-20}\n",
        notices: &[
            ("individuals", None, "2026-05-20"),
            ("hhs", None, "2027-03-01"),
        ],
        note: None,
    },
    // A written statement to 15 June holds individuals, media and HHS (all due 30 April)
    // until then.
    Case {
        name: "written delay past the deadline",
        yaml: "role: covered_entity\ndiscovered: 2026-03-01\naffected: {OH: 600}\nlaw_enforcement_delay: {kind: written, until: 2026-06-15}\n",
        notices: &[
            ("individuals", None, "2026-06-15"),
            ("media", Some("OH"), "2026-06-15"),
            ("hhs", None, "2026-06-15"),
        ],
        note: None,
    },
    // A written delay to 1 April ends before 30 April: nothing moves.
    Case {
        name: "written delay that ends before the deadline",
        yaml: "role: covered_entity\ndiscovered: 2026-03-01\naffected: {OH: 10}\nlaw_enforcement_delay: {kind: written, until: 2026-04-01}\n",
        notices: &[
            ("individuals", None, "2026-04-30"),
            ("hhs", None, "2027-03-01"),
        ],
        note: None,
    },
    // A written delay to 15 April 2027 outlasts even the annual log's 1 March 2027.
    Case {
        name: "written delay past the annual log",
        yaml: "role: covered_entity\ndiscovered: 2026-03-01\naffected: {OH: 10}\nlaw_enforcement_delay: {kind: written, until: 2027-04-15}\n",
        notices: &[
            ("individuals", None, "2027-04-15"),
            ("hhs", None, "2027-04-15"),
        ],
        note: None,
    },
    // A business associate is held back too (164.412 covers 164.410): its 11 March (10-day
    // window) moves to the end of the oral delay, 5 March + 30 = 4 April.
    Case {
        name: "business associate under an oral delay",
        yaml: "role: business_associate\ndiscovered: 2026-03-01\naffected: {OH: 10}\nbaa_window_days: 10\nlaw_enforcement_delay: {kind: oral, stated: 2026-03-05}\n",
        notices: &[("covered_entity", None, "2026-04-04")],
        note: None,
    },
    // The federal delay moves federal notices only: Colorado's 30 days (31 March) stays.
    Case {
        name: "written delay and a state clock",
        yaml: "role: covered_entity\ndiscovered: 2026-03-01\naffected: {CO: 10}\nlaw_enforcement_delay: {kind: written, until: 2026-06-15}\n",
        notices: &[
            ("individuals", Some("CO"), "2026-03-31"),
            ("individuals", None, "2026-06-15"),
            ("hhs", None, "2027-03-01"),
        ],
        note: None,
    },
    // Exclusion (1)(i): not a breach, no notice, and the plan says why with the citation.
    Case {
        name: "unintentional workforce exclusion",
        yaml: "role: covered_entity\ndiscovered: 2026-03-01\naffected: {OH: 900}\nexclusion: unintentional_workforce\n",
        notices: &[],
        note: Some("164.402, definition of breach, (1)(i)"),
    },
    // Exclusion (1)(ii).
    Case {
        name: "inadvertent disclosure exclusion",
        yaml: "role: covered_entity\ndiscovered: 2026-03-01\naffected: {OH: 900}\nexclusion: inadvertent_disclosure\n",
        notices: &[],
        note: Some("164.402, definition of breach, (1)(ii)"),
    },
    // Exclusion (1)(iii), for a business associate too.
    Case {
        name: "unable to retain exclusion",
        yaml: "role: business_associate\ndiscovered: 2026-03-01\naffected: {OH: 900}\nexclusion: unable_to_retain\n",
        notices: &[],
        note: Some("164.402, definition of breach, (1)(iii)"),
    },
    // The safe harbour: secured PHI, no notice, even to 900 people in California.
    Case {
        name: "safe harbour",
        yaml: "role: covered_entity\ndiscovered: 2026-03-01\naffected: {CA: 900}\nsecured: true\n",
        notices: &[],
        note: Some("74 FR 19006"),
    },
    // The safe harbour for a business associate: nothing to tell under 164.410 either.
    Case {
        name: "safe harbour for a business associate",
        yaml: "role: business_associate\ndiscovered: 2026-03-01\naffected: {OH: 10}\nsecured: true\nbaa_window_days: 5\n",
        notices: &[],
        note: Some("unsecured protected health information"),
    },
    // 9 contacts missing: fewer than 10, another form of notice, due with the individuals'.
    Case {
        name: "9 insufficient contacts",
        yaml: "role: covered_entity\ndiscovered: 2026-03-01\naffected: {OH: 100}\ninsufficient_contacts: 9\n",
        notices: &[
            ("individuals", None, "2026-04-30"),
            ("substitute_notice", None, "2026-04-30"),
            ("hhs", None, "2027-03-01"),
        ],
        note: None,
    },
    // 10 contacts missing: web posting or media with a toll-free number.
    Case {
        name: "10 insufficient contacts",
        yaml: "role: covered_entity\ndiscovered: 2026-03-01\naffected: {OH: 100}\ninsufficient_contacts: 10\n",
        notices: &[
            ("individuals", None, "2026-04-30"),
            ("substitute_notice", None, "2026-04-30"),
            ("hhs", None, "2027-03-01"),
        ],
        note: None,
    },
    // No contact missing: no substitute notice.
    Case {
        name: "0 insufficient contacts",
        yaml: "role: covered_entity\ndiscovered: 2026-03-01\naffected: {OH: 100}\ninsufficient_contacts: 0\n",
        notices: &[
            ("individuals", None, "2026-04-30"),
            ("hhs", None, "2027-03-01"),
        ],
        note: None,
    },
    // Substitute notice follows the individuals' notice under a written delay to 15 June.
    Case {
        name: "substitute notice under a written delay",
        yaml: "role: covered_entity\ndiscovered: 2026-03-01\naffected: {OH: 100}\ninsufficient_contacts: 25\nlaw_enforcement_delay: {kind: written, until: 2026-06-15}\n",
        notices: &[
            ("individuals", None, "2026-06-15"),
            ("substitute_notice", None, "2026-06-15"),
            ("hhs", None, "2027-03-01"),
        ],
        note: None,
    },
    // California, discovered Friday 6 March 2026: 15 business days (Monday to Friday) is
    // Friday 27 March, for the patients and for CDPH. Federal: 6 March + 60 = 5 May.
    Case {
        name: "California, 15 business days",
        yaml: "role: covered_entity\ndiscovered: 2026-03-06\naffected: {CA: 10}\n",
        notices: &[
            ("individuals", Some("CA"), "2026-03-27"),
            ("state_regulator", Some("CA"), "2026-03-27"),
            ("individuals", None, "2026-05-05"),
            ("hhs", None, "2027-03-01"),
        ],
        note: None,
    },
    // California over the year end, discovered Thursday 24 December 2026: business days
    // Dec 25, 28–31 (5), Jan 1, 4–8 (11), 11–14 (15) = Thursday 14 January 2027 (holidays are
    // not taken out). Federal: 24 December + 60 = 22 February 2027.
    Case {
        name: "California over the year end",
        yaml: "role: covered_entity\ndiscovered: 2026-12-24\naffected: {CA: 10}\n",
        notices: &[
            ("individuals", Some("CA"), "2027-01-14"),
            ("state_regulator", Some("CA"), "2027-01-14"),
            ("individuals", None, "2027-02-22"),
            ("hhs", None, "2027-03-01"),
        ],
        note: None,
    },
    // Colorado, 499: 30 days (31 March) for residents; the attorney general needs 500 or more.
    Case {
        name: "Colorado, 499",
        yaml: "role: covered_entity\ndiscovered: 2026-03-01\naffected: {CO: 499}\n",
        notices: &[
            ("individuals", Some("CO"), "2026-03-31"),
            ("individuals", None, "2026-04-30"),
            ("hhs", None, "2027-03-01"),
        ],
        note: None,
    },
    // Colorado, 500: the attorney general too, within 30 days; HHS at once; no media (500 is
    // not more than 500).
    Case {
        name: "Colorado, 500",
        yaml: "role: covered_entity\ndiscovered: 2026-03-01\naffected: {CO: 500}\n",
        notices: &[
            ("individuals", Some("CO"), "2026-03-31"),
            ("state_regulator", Some("CO"), "2026-03-31"),
            ("individuals", None, "2026-04-30"),
            ("hhs", None, "2026-04-30"),
        ],
        note: None,
    },
    // Florida, 500: Department of Legal Affairs within 30 days.
    Case {
        name: "Florida, 500",
        yaml: "role: covered_entity\ndiscovered: 2026-03-01\naffected: {FL: 500}\n",
        notices: &[
            ("individuals", Some("FL"), "2026-03-31"),
            ("state_regulator", Some("FL"), "2026-03-31"),
            ("individuals", None, "2026-04-30"),
            ("hhs", None, "2026-04-30"),
        ],
        note: None,
    },
    // Florida, 499: residents only.
    Case {
        name: "Florida, 499",
        yaml: "role: covered_entity\ndiscovered: 2026-03-01\naffected: {FL: 499}\n",
        notices: &[
            ("individuals", Some("FL"), "2026-03-31"),
            ("individuals", None, "2026-04-30"),
            ("hhs", None, "2027-03-01"),
        ],
        note: None,
    },
    // Washington, 500: a HIPAA-compliant covered entity is deemed compliant for individuals
    // (no 30-day WA notice); the attorney general needs more than 500: nothing from WA.
    Case {
        name: "Washington, 500",
        yaml: "role: covered_entity\ndiscovered: 2026-03-01\naffected: {WA: 500}\n",
        notices: &[
            ("individuals", None, "2026-04-30"),
            ("hhs", None, "2026-04-30"),
        ],
        note: Some("RCW 19.255.010, as amended by HB 1078"),
    },
    // Washington, 501: the attorney general on HITECH's timeline (60 days), media in WA.
    Case {
        name: "Washington, 501",
        yaml: "role: covered_entity\ndiscovered: 2026-03-01\naffected: {WA: 501}\n",
        notices: &[
            ("individuals", None, "2026-04-30"),
            ("media", Some("WA"), "2026-04-30"),
            ("hhs", None, "2026-04-30"),
            ("state_regulator", Some("WA"), "2026-04-30"),
        ],
        note: Some("deemed to comply"),
    },
    // Washington on the leap day, 600: 29 February 2028 + 60 = 29 April 2028 for all.
    Case {
        name: "Washington, leap day",
        yaml: "role: covered_entity\ndiscovered: 2028-02-29\naffected: {WA: 600}\n",
        notices: &[
            ("individuals", None, "2028-04-29"),
            ("media", Some("WA"), "2028-04-29"),
            ("hhs", None, "2028-04-29"),
            ("state_regulator", Some("WA"), "2028-04-29"),
        ],
        note: None,
    },
    // New York, 10: residents within 30 days (31 March); the attorney general gets a copy of
    // the HHS notice within 5 business days of it: the annual log is due Monday 1 March 2027,
    // so Monday 8 March 2027.
    Case {
        name: "New York, 10",
        yaml: "role: covered_entity\ndiscovered: 2026-03-01\naffected: {NY: 10}\n",
        notices: &[
            ("individuals", Some("NY"), "2026-03-31"),
            ("individuals", None, "2026-04-30"),
            ("hhs", None, "2027-03-01"),
            ("state_regulator", Some("NY"), "2027-03-08"),
        ],
        note: None,
    },
    // New York, 600: HHS at once, due Thursday 30 April; 5 business days later is Thursday
    // 7 May. Media in NY.
    Case {
        name: "New York, 600",
        yaml: "role: covered_entity\ndiscovered: 2026-03-01\naffected: {NY: 600}\n",
        notices: &[
            ("individuals", Some("NY"), "2026-03-31"),
            ("individuals", None, "2026-04-30"),
            ("media", Some("NY"), "2026-04-30"),
            ("hhs", None, "2026-04-30"),
            ("state_regulator", Some("NY"), "2026-05-07"),
        ],
        note: None,
    },
    // Rhode Island, 501: 45 days (15 April) for residents; the attorney general (more than
    // 500) with no period in the data: by the residents' date.
    Case {
        name: "Rhode Island, 501",
        yaml: "role: covered_entity\ndiscovered: 2026-03-01\naffected: {RI: 501}\n",
        notices: &[
            ("individuals", Some("RI"), "2026-04-15"),
            ("state_regulator", Some("RI"), "2026-04-15"),
            ("individuals", None, "2026-04-30"),
            ("media", Some("RI"), "2026-04-30"),
            ("hhs", None, "2026-04-30"),
        ],
        note: None,
    },
    // Rhode Island, 500: not more than 500, no attorney general; HHS at once, no media.
    Case {
        name: "Rhode Island, 500",
        yaml: "role: covered_entity\ndiscovered: 2026-03-01\naffected: {RI: 500}\n",
        notices: &[
            ("individuals", Some("RI"), "2026-04-15"),
            ("individuals", None, "2026-04-30"),
            ("hhs", None, "2026-04-30"),
        ],
        note: None,
    },
    // Maryland, 10: 45 days (15 April), and the attorney general before the residents, so by
    // 15 April at the latest, whatever the number.
    Case {
        name: "Maryland, 10",
        yaml: "role: covered_entity\ndiscovered: 2026-03-01\naffected: {MD: 10}\n",
        notices: &[
            ("individuals", Some("MD"), "2026-04-15"),
            ("state_regulator", Some("MD"), "2026-04-15"),
            ("individuals", None, "2026-04-30"),
            ("hhs", None, "2027-03-01"),
        ],
        note: None,
    },
    // Maryland with an oral federal delay to 20 May: the federal notice moves, Maryland's
    // clock does not.
    Case {
        name: "Maryland under an oral delay",
        yaml: "role: covered_entity\ndiscovered: 2026-03-01\naffected: {MD: 10}\nlaw_enforcement_delay: {kind: oral, stated: 2026-04-20}\n",
        notices: &[
            ("individuals", Some("MD"), "2026-04-15"),
            ("state_regulator", Some("MD"), "2026-04-15"),
            ("individuals", None, "2026-05-20"),
            ("hhs", None, "2027-03-01"),
        ],
        note: None,
    },
    // Arizona, 1,000: the attorney general needs more than 1,000; media (more than 500).
    Case {
        name: "Arizona, 1000",
        yaml: "role: covered_entity\ndiscovered: 2026-03-01\naffected: {AZ: 1000}\n",
        notices: &[
            ("individuals", Some("AZ"), "2026-04-15"),
            ("individuals", None, "2026-04-30"),
            ("media", Some("AZ"), "2026-04-30"),
            ("hhs", None, "2026-04-30"),
        ],
        note: None,
    },
    // Arizona, 1,001: the attorney general too, by the residents' 45 days.
    Case {
        name: "Arizona, 1001",
        yaml: "role: covered_entity\ndiscovered: 2026-03-01\naffected: {AZ: 1001}\n",
        notices: &[
            ("individuals", Some("AZ"), "2026-04-15"),
            ("state_regulator", Some("AZ"), "2026-04-15"),
            ("individuals", None, "2026-04-30"),
            ("media", Some("AZ"), "2026-04-30"),
            ("hhs", None, "2026-04-30"),
        ],
        note: None,
    },
    // Oregon, 250: residents in 45 days; the attorney general needs more than 250.
    Case {
        name: "Oregon, 250",
        yaml: "role: covered_entity\ndiscovered: 2026-03-01\naffected: {OR: 250}\n",
        notices: &[
            ("individuals", Some("OR"), "2026-04-15"),
            ("individuals", None, "2026-04-30"),
            ("hhs", None, "2027-03-01"),
        ],
        note: None,
    },
    // Oregon, 251: the attorney general as well.
    Case {
        name: "Oregon, 251",
        yaml: "role: covered_entity\ndiscovered: 2026-03-01\naffected: {OR: 251}\n",
        notices: &[
            ("individuals", Some("OR"), "2026-04-15"),
            ("state_regulator", Some("OR"), "2026-04-15"),
            ("individuals", None, "2026-04-30"),
            ("hhs", None, "2027-03-01"),
        ],
        note: None,
    },
    // Alabama, 1,000: no attorney general (more than 1,000 needed).
    Case {
        name: "Alabama, 1000",
        yaml: "role: covered_entity\ndiscovered: 2026-03-01\naffected: {AL: 1000}\n",
        notices: &[
            ("individuals", Some("AL"), "2026-04-15"),
            ("individuals", None, "2026-04-30"),
            ("media", Some("AL"), "2026-04-30"),
            ("hhs", None, "2026-04-30"),
        ],
        note: None,
    },
    // Alabama, 1,001: the attorney general too.
    Case {
        name: "Alabama, 1001",
        yaml: "role: covered_entity\ndiscovered: 2026-03-01\naffected: {AL: 1001}\n",
        notices: &[
            ("individuals", Some("AL"), "2026-04-15"),
            ("state_regulator", Some("AL"), "2026-04-15"),
            ("individuals", None, "2026-04-30"),
            ("media", Some("AL"), "2026-04-30"),
            ("hhs", None, "2026-04-30"),
        ],
        note: None,
    },
    // Texas, 249: residents in 60 days (30 April, the same as HIPAA); no attorney general.
    Case {
        name: "Texas, 249",
        yaml: "role: covered_entity\ndiscovered: 2026-03-01\naffected: {TX: 249}\n",
        notices: &[
            ("individuals", Some("TX"), "2026-04-30"),
            ("individuals", None, "2026-04-30"),
            ("hhs", None, "2027-03-01"),
        ],
        note: None,
    },
    // Texas, 250: the attorney general within 30 days (31 March), before the residents' date.
    Case {
        name: "Texas, 250",
        yaml: "role: covered_entity\ndiscovered: 2026-03-01\naffected: {TX: 250}\n",
        notices: &[
            ("state_regulator", Some("TX"), "2026-03-31"),
            ("individuals", Some("TX"), "2026-04-30"),
            ("individuals", None, "2026-04-30"),
            ("hhs", None, "2027-03-01"),
        ],
        note: None,
    },
    // Several states at once, discovered Sunday 1 March: CA 15 business days is Friday 20
    // March (patients and CDPH); NY residents 31 March; 705 in all so HHS at once (30 April)
    // and NY's attorney general 5 business days later (7 May); media in OH (700).
    Case {
        name: "California, New York and Ohio together",
        yaml: "role: covered_entity\ndiscovered: 2026-03-01\naffected: {CA: 3, NY: 2, OH: 700}\n",
        notices: &[
            ("individuals", Some("CA"), "2026-03-20"),
            ("state_regulator", Some("CA"), "2026-03-20"),
            ("individuals", Some("NY"), "2026-03-31"),
            ("individuals", None, "2026-04-30"),
            ("media", Some("OH"), "2026-04-30"),
            ("hhs", None, "2026-04-30"),
            ("state_regulator", Some("NY"), "2026-05-07"),
        ],
        note: None,
    },
    // A state with 0 residents affected calls for nothing of its own.
    Case {
        name: "a state with no resident affected",
        yaml: "role: covered_entity\ndiscovered: 2026-03-01\naffected: {CA: 0, OH: 5}\n",
        notices: &[
            ("individuals", None, "2026-04-30"),
            ("hhs", None, "2027-03-01"),
        ],
        note: None,
    },
];

fn today() -> jiff::civil::Date {
    jiff::civil::date(2026, 3, 1)
}

fn plan_of(yaml: &str) -> Plan {
    let rules = Rules::builtin().unwrap_or_else(|e| panic!("{e}"));
    let scenario = Scenario::from_yaml(yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"));
    plan(&rules, &scenario, today())
}

#[test]
fn every_scenario_gives_the_notices_worked_out_by_hand() {
    assert!(CASES.len() >= 40, "{} scenarios", CASES.len());
    let mut failures = Vec::new();
    for case in CASES {
        let plan = plan_of(case.yaml);
        let mut got: Vec<(String, Option<String>, String)> = plan
            .notices
            .iter()
            .map(|n| {
                (
                    n.recipient.as_str().to_owned(),
                    n.jurisdiction.clone(),
                    n.due.to_string(),
                )
            })
            .collect();
        let mut want: Vec<(String, Option<String>, String)> = case
            .notices
            .iter()
            .map(|(r, j, d)| ((*r).to_owned(), j.map(str::to_owned), (*d).to_owned()))
            .collect();
        got.sort();
        want.sort();
        if got != want {
            failures.push(format!("{}:\n  want {want:?}\n  got  {got:?}", case.name));
        }
        if let Some(text) = case.note
            && !plan.notes.iter().any(|note| {
                note.text.contains(text)
                    || note.citation.as_deref().is_some_and(|c| c.contains(text))
            })
        {
            failures.push(format!(
                "{}: no note mentions {text:?}: {:?}",
                case.name, plan.notes
            ));
        }
        if case.notices.is_empty() && plan.notes.is_empty() {
            failures.push(format!("{}: no notice and no note saying why", case.name));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_plan_is_in_due_date_order() {
    let plan = plan_of(
        "role: covered_entity\ndiscovered: 2026-03-01\naffected: {CA: 3, NY: 2, OH: 700}\n",
    );
    let dues: Vec<_> = plan.notices.iter().map(|n| n.due).collect();
    let mut sorted = dues.clone();
    sorted.sort();
    assert_eq!(dues, sorted);
}

#[test]
fn each_notice_carries_its_citation_and_days_left() {
    let plan = plan_of(
        "role: covered_entity\ndiscovered: 2026-03-01\naffected: {OH: 600, CA: 1}\ninsufficient_contacts: 12\n",
    );
    let find = |recipient: Recipient, jurisdiction: Option<&str>| {
        plan.notices
            .iter()
            .find(|n| n.recipient == recipient && n.jurisdiction.as_deref() == jurisdiction)
            .unwrap_or_else(|| panic!("no {recipient:?} {jurisdiction:?} in {plan:#?}"))
    };
    let individuals = find(Recipient::Individuals, None);
    assert_eq!(individuals.citation, "45 CFR 164.404(b)");
    // Today is 1 March; due 30 April: 60 days left.
    assert_eq!(individuals.days_left, 60);
    assert!(!individuals.counsel_review);
    assert_eq!(
        find(Recipient::Media, Some("OH")).citation,
        "45 CFR 164.406"
    );
    assert_eq!(find(Recipient::Hhs, None).citation, "45 CFR 164.408(b)");
    let substitute = find(Recipient::SubstituteNotice, None);
    assert_eq!(substitute.citation, "45 CFR 164.404(d)(2)(ii)");
    assert!(
        substitute.reason.contains("toll-free number"),
        "{}",
        substitute.reason
    );
    let california = find(Recipient::Individuals, Some("CA"));
    assert_eq!(california.citation, "Cal. Health & Safety Code §1280.15");
    assert!(
        california
            .reason
            .contains("public holidays are not taken out"),
        "{}",
        california.reason
    );
    assert!(
        california.reason.contains("licensed clinics"),
        "{}",
        california.reason
    );
    assert!(california.counsel_review);
}

#[test]
fn days_left_go_negative_once_a_date_has_passed() {
    let rules = Rules::builtin().unwrap_or_else(|e| panic!("{e}"));
    let scenario =
        Scenario::from_yaml("role: covered_entity\ndiscovered: 2026-03-01\naffected: {OH: 1}\n")
            .unwrap_or_else(|e| panic!("{e}"));
    let plan = plan(&rules, &scenario, jiff::civil::date(2026, 5, 2));
    assert_eq!(plan.notices[0].days_left, -2);
}

#[test]
fn fewer_than_ten_and_ten_or_more_missing_contacts_cite_different_paragraphs() {
    let cite = |count: u32| {
        let plan = plan_of(&format!(
            "role: covered_entity\ndiscovered: 2026-03-01\naffected: {{OH: 50}}\ninsufficient_contacts: {count}\n"
        ));
        plan.notices
            .iter()
            .find(|n| n.recipient == Recipient::SubstituteNotice)
            .map(|n| n.citation.clone())
    };
    assert_eq!(cite(9).as_deref(), Some("45 CFR 164.404(d)(2)(i)"));
    assert_eq!(cite(10).as_deref(), Some("45 CFR 164.404(d)(2)(ii)"));
}

#[test]
fn the_plan_as_json_has_the_documented_shape() {
    let plan = plan_of("role: covered_entity\ndiscovered: 2026-03-01\naffected: {OH: 600}\n");
    let json = serde_json::to_value(&plan).unwrap_or_else(|e| panic!("{e}"));
    let first = &json["notices"][0];
    assert_eq!(first["recipient"], "individuals");
    assert_eq!(first["jurisdiction"], serde_json::Value::Null);
    assert_eq!(first["due"], "2026-04-30");
    assert_eq!(first["citation"], "45 CFR 164.404(b)");
    assert!(first["reason"].as_str().is_some_and(|r| !r.is_empty()));
    let media = json["notices"]
        .as_array()
        .and_then(|all| all.iter().find(|n| n["recipient"] == "media"))
        .unwrap_or_else(|| panic!("no media notice in {json}"));
    assert_eq!(media["jurisdiction"], "OH");
}

#[test]
fn new_yorks_copy_to_its_attorney_general_follows_a_delayed_hhs_notice() {
    // 600 New Yorkers: HHS at once, due 30 April, held by a written delay to 15 June (a
    // Monday); the attorney general's copy is due 5 business days later, Monday 22 June.
    // New York's own 30 days for residents (31 March) do not move.
    let plan = plan_of(
        "role: covered_entity\ndiscovered: 2026-03-01\naffected: {NY: 600}\nlaw_enforcement_delay: {kind: written, until: 2026-06-15}\n",
    );
    let due = |recipient: Recipient, jurisdiction: Option<&str>| {
        plan.notices
            .iter()
            .find(|n| n.recipient == recipient && n.jurisdiction.as_deref() == jurisdiction)
            .map(|n| n.due.to_string())
    };
    assert_eq!(due(Recipient::Hhs, None).as_deref(), Some("2026-06-15"));
    assert_eq!(
        due(Recipient::StateRegulator, Some("NY")).as_deref(),
        Some("2026-06-22")
    );
    assert_eq!(
        due(Recipient::Individuals, Some("NY")).as_deref(),
        Some("2026-03-31")
    );
}

#[test]
fn one_resident_is_one_resident_in_the_reasons() {
    let plan = plan_of("role: covered_entity\ndiscovered: 2026-03-01\naffected: {CA: 1, CO: 2}\n");
    let reasons: Vec<&str> = plan.notices.iter().map(|n| n.reason.as_str()).collect();
    assert!(
        reasons
            .iter()
            .any(|r| r.starts_with("1 California resident is affected")),
        "{reasons:#?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.starts_with("2 Colorado residents are affected")),
        "{reasons:#?}"
    );
    assert!(
        reasons
            .iter()
            .all(|r| !r.contains("1 California residents")),
        "{reasons:#?}"
    );
}
