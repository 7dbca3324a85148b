//! The drafts of a plan's notices: each carries every element its rule requires, in its
//! Markdown and its HTML alike; missing facts are marked TO FILL IN and listed, given facts
//! are not; text people typed is escaped; file names are safe and distinct; and the HTML
//! renders in a real browser.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use jiff::civil::{Date, date};
use phiguard_breach::notices::{Draft, Entity, FILL_MARKER, Facts, IncidentFacts, draft};
use phiguard_breach::{Plan, Recipient, Rules, Scenario, plan};

const TODAY: Date = date(2026, 3, 5);

fn rules() -> Rules {
    Rules::builtin().unwrap_or_else(|e| panic!("{e}"))
}

fn plan_of(yaml: &str) -> Plan {
    let scenario = Scenario::from_yaml(yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"));
    plan(&rules(), &scenario, TODAY)
}

/// A covered entity that knows everything a notice asks for.
fn known_entity() -> Entity {
    Entity {
        name: "Riverside Family Clinic".into(),
        phone: Some("1-800-555-0142".into()),
        email: Some("privacy@riverside.example".into()),
        website: Some("riverside.example/notice".into()),
        postal_address: Some("12 Main Street, Columbus, OH 43004".into()),
    }
}

fn known_incident(affected: &[(&str, u64)], insufficient_contacts: Option<u64>) -> IncidentFacts {
    IncidentFacts {
        id: "2026-03-lost-laptop".into(),
        title: "Laptop stolen from an employee's car".into(),
        description: Some(
            "An unencrypted laptop holding patient records was stolen from a locked car.\n\n\
             The police were told the same day."
                .into(),
        ),
        discovered: date(2026, 3, 1),
        occurred_from: Some(date(2026, 2, 27)),
        occurred_to: Some(date(2026, 2, 28)),
        phi: vec![
            "names".into(),
            "ssn".into(),
            "health_plan_numbers".into(),
            "diagnoses".into(),
            "genetic_markers".into(),
        ],
        actions: vec![
            "Disabled the laptop's accounts and reset its passwords".into(),
            "Began encrypting every laptop".into(),
        ],
        affected: affected
            .iter()
            .map(|(c, n)| ((*c).to_owned(), *n))
            .collect(),
        insufficient_contacts,
    }
}

/// An incident of which phiguard knows only what the plan needs.
fn bare_incident(affected: &[(&str, u64)]) -> IncidentFacts {
    IncidentFacts {
        id: "2026-03-misdirected".into(),
        title: "Records mailed to the wrong address".into(),
        description: None,
        discovered: date(2026, 3, 1),
        occurred_from: None,
        occurred_to: None,
        phi: Vec::new(),
        actions: Vec::new(),
        affected: affected
            .iter()
            .map(|(c, n)| ((*c).to_owned(), *n))
            .collect(),
        insufficient_contacts: None,
    }
}

const BIG: &[(&str, u64)] = &[
    ("OH", 600),
    ("CA", 20),
    ("CO", 550),
    ("NY", 10),
    ("WA", 700),
    ("RI", 501),
    ("MD", 5),
];

fn big_yaml() -> String {
    let affected: Vec<String> = BIG.iter().map(|(c, n)| format!("{c}: {n}")).collect();
    format!(
        "role: covered_entity\ndiscovered: 2026-03-01\naffected: {{{}}}\ninsufficient_contacts: 12\n",
        affected.join(", ")
    )
}

/// The big covered entity's drafts, with every fact known.
fn big_drafts() -> (Plan, Vec<Draft>) {
    let plan = plan_of(&big_yaml());
    let facts = Facts {
        entity: known_entity(),
        covered_entity: None,
        incident: known_incident(BIG, Some(12)),
    };
    let drafts = draft(&plan, &facts, &rules());
    (plan, drafts)
}

/// The text of a Markdown draft as a reader sees it: backslash escapes and emphasis marks
/// removed, whitespace collapsed.
fn markdown_text(markdown: &str) -> String {
    let mut out = String::new();
    let mut chars = markdown.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next()),
            '*' => {}
            c => out.push(c),
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The text of an HTML draft: the style sheet and tags dropped, a form's row read as
/// "label: value" (as the Markdown writes it), the five escapes undone, whitespace collapsed.
fn html_text(html: &str) -> String {
    let html = match (html.find("<style>"), html.find("</style>")) {
        (Some(start), Some(end)) => format!("{}{}", &html[..start], &html[end..]),
        _ => html.to_owned(),
    };
    let html = html
        .replace("</th><td>", ":</th><td>")
        .replace("?:</th><td>", "?</th><td>");
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    let out = out
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    out.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace(" .", ".")
        .replace(" ,", ",")
        .replace(" )", ")")
        .replace(" :", ":")
}

/// Asserts that both renderings of `draft` say `needle`.
fn says(draft: &Draft, needle: &str) {
    let markdown = markdown_text(&draft.markdown);
    let html = html_text(&draft.html);
    assert!(
        markdown.contains(needle),
        "{}.md does not say {needle:?}:\n{markdown}",
        draft.file_stem
    );
    assert!(
        html.contains(needle),
        "{}.html does not say {needle:?}:\n{html}",
        draft.file_stem
    );
}

fn does_not_say(draft: &Draft, needle: &str) {
    assert!(
        !markdown_text(&draft.markdown).contains(needle),
        "{}.md says {needle:?}",
        draft.file_stem
    );
    assert!(
        !html_text(&draft.html).contains(needle),
        "{}.html says {needle:?}",
        draft.file_stem
    );
}

fn find<'a>(drafts: &'a [Draft], stem: &str) -> &'a Draft {
    drafts
        .iter()
        .find(|d| d.file_stem == stem)
        .unwrap_or_else(|| {
            let stems: Vec<&str> = drafts.iter().map(|d| d.file_stem.as_str()).collect();
            panic!("no draft {stem}; there are {stems:?}")
        })
}

/// The marker for `what` in each rendering, as a reader sees it.
fn marked(draft: &Draft, what: &str) -> bool {
    let needle = format!("{FILL_MARKER}: {what}");
    let listed = draft.to_fill.iter().any(|f| f == what);
    let in_markdown = markdown_text(&draft.markdown).contains(&format!("[{needle}]"));
    let in_html = draft
        .html
        .contains(&format!("<mark class=\"to-fill\">{FILL_MARKER}: "))
        && html_text(&draft.html).contains(&needle);
    assert_eq!(
        (listed, in_markdown),
        (listed, in_html),
        "{}: {what:?} is marked in one rendering and not the other",
        draft.file_stem
    );
    assert_eq!(
        listed, in_markdown,
        "{}: {what:?} is marked but not listed, or listed but not marked",
        draft.file_stem
    );
    listed
}

/// Every fill of the draft has its marker in both files, and they have no other.
fn fills_match_markers(draft: &Draft) {
    for what in &draft.to_fill {
        assert!(marked(draft, what), "{}: {what}", draft.file_stem);
    }
    let distinct_in_markdown: std::collections::BTreeSet<&str> = draft
        .markdown
        .match_indices(&format!("**[{FILL_MARKER}: "))
        .map(|(at, _)| {
            let rest = &draft.markdown[at..];
            &rest[..rest.find("]**").unwrap_or(rest.len())]
        })
        .collect();
    assert_eq!(
        distinct_in_markdown.len(),
        draft.to_fill.len(),
        "{}: markers {distinct_in_markdown:?} against the list {:?}",
        draft.file_stem,
        draft.to_fill
    );
    let html_markers = draft.html.matches("<mark class=\"to-fill\">").count();
    let markdown_markers = draft
        .markdown
        .matches(&format!("**[{FILL_MARKER}: "))
        .count();
    assert_eq!(html_markers, markdown_markers, "{}", draft.file_stem);
    assert_eq!(
        draft.html.matches(FILL_MARKER).count(),
        html_markers,
        "{}: TO FILL IN outside a marker",
        draft.file_stem
    );
}

/// What every draft must head with, in both renderings, and what every HTML page must be.
fn heads_and_is_self_contained(notice: &phiguard_breach::Notice, draft: &Draft) {
    assert_eq!(draft.recipient, notice.recipient);
    assert_eq!(draft.jurisdiction, notice.jurisdiction);
    assert_eq!(draft.due, notice.due);
    assert_eq!(draft.citation, notice.citation);
    for label in ["Recipient:", "Jurisdiction:", "Due:", "Citation:", "Why:"] {
        assert!(
            markdown_text(&draft.markdown).contains(label),
            "{} lacks {label}",
            draft.file_stem
        );
    }
    for label in ["Recipient", "Jurisdiction", "Due", "Citation", "Why"] {
        assert!(
            draft
                .html
                .contains(&format!("<th scope=\"row\">{label}</th>")),
            "{} lacks {label}",
            draft.file_stem
        );
    }
    says(draft, &draft.due.strftime("%B %-d, %Y").to_string());
    says(draft, &notice.citation);
    let jurisdiction = match &notice.jurisdiction {
        Some(code) => format!("({code})"),
        None => "Federal".to_owned(),
    };
    says(draft, &jurisdiction);
    // The reason, as a sentence with its dates in words: its words are all there (the first
    // capitalised), and no ISO date is left.
    let reason = phiguard_core::spelling::capitalised(&notice.reason);
    let reason_words: Vec<&str> = reason
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| w.len() > 3)
        .collect();
    for word in reason_words {
        says(draft, word);
    }
    let html = &draft.html;
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    assert!(html.contains(&format!("<title>{}</title>", draft.title)) || html.contains("<title>"));
    assert!(html.contains("@media print"));
    assert!(html.trim_end().ends_with("</html>"));
    let lower = html.to_ascii_lowercase();
    for forbidden in [
        "<script", "http:", "https:", "src=", "<link", "@import", "url(",
    ] {
        assert!(
            !lower.contains(forbidden),
            "{} has {forbidden}",
            draft.file_stem
        );
    }
    for text in [&draft.markdown, &draft.html] {
        let has_iso_date = text.as_bytes().windows(10).any(|w| {
            w.iter().enumerate().all(|(i, b)| match i {
                4 | 7 => *b == b'-',
                _ => b.is_ascii_digit(),
            })
        });
        assert!(
            !has_iso_date,
            "{} writes a date as YYYY-MM-DD",
            draft.file_stem
        );
    }
    fills_match_markers(draft);
}

#[test]
fn a_covered_entity_gets_one_draft_per_notice_each_headed_and_self_contained() {
    let (plan, drafts) = big_drafts();
    assert_eq!(drafts.len(), plan.notices.len());
    let kinds: std::collections::BTreeSet<Recipient> = drafts.iter().map(|d| d.recipient).collect();
    assert_eq!(
        kinds.into_iter().collect::<Vec<_>>(),
        [
            Recipient::Individuals,
            Recipient::SubstituteNotice,
            Recipient::Media,
            Recipient::Hhs,
            Recipient::StateRegulator
        ]
    );
    for (notice, draft) in plan.notices.iter().zip(&drafts) {
        heads_and_is_self_contained(notice, draft);
    }
    let mut stems: Vec<&str> = drafts.iter().map(|d| d.file_stem.as_str()).collect();
    for stem in &stems {
        assert!(
            !stem.is_empty()
                && stem.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !stem.starts_with('-'),
            "{stem} is not a safe file name"
        );
    }
    stems.sort_unstable();
    stems.dedup();
    assert_eq!(stems.len(), drafts.len(), "{stems:?}");
    for stem in [
        "individuals",
        "individuals-CA",
        "substitute-notice",
        "media-OH",
        "media-WA",
        "hhs",
        "state-regulator-CA",
        "state-regulator-NY",
    ] {
        find(&drafts, stem);
    }
}

/// The five elements of 164.404(c)(1) as the letter and the notices built on it say them,
/// from the known facts.
fn has_the_five_elements(draft: &Draft, individual: bool) {
    // (A) what happened, the date of the breach and of discovery.
    says(draft, "What happened");
    says(draft, "Laptop stolen from an employee's car.");
    says(
        draft,
        "An unencrypted laptop holding patient records was stolen",
    );
    says(draft, "The police were told the same day.");
    says(draft, "between February 27, 2026 and February 28, 2026");
    says(draft, "We discovered it on March 1, 2026.");
    // (B) the kinds of PHI, in words.
    says(draft, "What information was involved");
    if individual {
        says(draft, "your Social Security number");
        says(draft, "your health insurance member number");
    } else {
        says(draft, "Social Security numbers");
    }
    says(draft, "diagnoses");
    says(draft, "genetic markers");
    // (C) steps, by the kinds involved, and a place for more.
    says(draft, "security freeze");
    says(draft, "fraud alert");
    says(draft, "Explanation of Benefits");
    says(draft, "suspicious messages");
    assert!(
        draft
            .to_fill
            .iter()
            .any(|f| f.contains("credit monitoring"))
    );
    // (D) what the organisation is doing.
    says(draft, "What we are doing");
    says(
        draft,
        "Disabled the laptop's accounts and reset its passwords.",
    );
    says(draft, "Began encrypting every laptop.");
    // (E) contact procedures.
    says(draft, "For more information");
    says(draft, "privacy@riverside.example");
    says(draft, "riverside.example/notice");
    says(draft, "12 Main Street, Columbus, OH 43004");
}

/// Fills that given facts must not leave behind.
const FACT_FILLS: &[&str] = &[
    "a brief description of what happened",
    "when the breach happened",
    "the kinds of health information involved",
    "is doing to investigate",
    "a toll-free telephone number",
    "an e-mail address, web site or postal address",
    "your organization's name",
];

fn no_fact_fills(draft: &Draft) {
    for fill in FACT_FILLS {
        assert!(
            !draft.to_fill.iter().any(|f| f.contains(fill)),
            "{}: {fill:?} is marked though the facts give it: {:?}",
            draft.file_stem,
            draft.to_fill
        );
    }
}

#[test]
fn a_plan_without_notices_has_no_drafts() {
    let plan = plan_of(
        "role: covered_entity\ndiscovered: 2026-03-01\naffected: {OH: 600}\nsecured: true\n",
    );
    assert!(plan.notices.is_empty());
    let facts = Facts {
        entity: known_entity(),
        covered_entity: None,
        incident: known_incident(&[("OH", 600)], None),
    };
    assert!(draft(&plan, &facts, &rules()).is_empty());
}

#[test]
fn the_letter_to_individuals_has_every_element_of_164_404_c() {
    let (_, drafts) = big_drafts();
    for stem in ["individuals", "individuals-CA"] {
        let letter = find(&drafts, stem);
        has_the_five_elements(letter, true);
        says(letter, "Call toll-free: 1-800-555-0142");
        says(letter, "first-class mail");
        says(letter, "164.404(d)(1)");
        no_fact_fills(letter);
        // What only the source system knows is still to fill in.
        assert!(marked(
            letter,
            "the individual's name, from the source system"
        ));
        assert!(marked(letter, "the name and title of the person signing"));
    }
    // A state's own notice to individuals, whose rule phiguard cannot settle, says to ask
    // counsel; the federal one does not.
    says(find(&drafts, "individuals-CA"), "Have counsel confirm");
    does_not_say(find(&drafts, "individuals"), "Have counsel confirm");
}

#[test]
fn steps_follow_the_kinds_of_phi() {
    let plan = plan_of("role: covered_entity\ndiscovered: 2026-03-01\naffected: {OH: 10}\n");
    let mut incident = known_incident(&[("OH", 10)], None);
    incident.phi = vec!["names".into(), "diagnoses".into()];
    let facts = Facts {
        entity: known_entity(),
        covered_entity: None,
        incident,
    };
    let drafts = draft(&plan, &facts, &rules());
    let letter = find(&drafts, "individuals");
    says(letter, "suspicious messages");
    does_not_say(letter, "security freeze");
    does_not_say(letter, "Explanation of Benefits");
    does_not_say(letter, "bank and payment card statements");

    let mut incident = known_incident(&[("OH", 10)], None);
    incident.phi = vec!["financial".into(), "claims".into()];
    let facts = Facts { incident, ..facts };
    let drafts = draft(&plan, &facts, &rules());
    let letter = find(&drafts, "individuals");
    says(letter, "security freeze");
    says(letter, "bank and payment card statements");
    says(letter, "Explanation of Benefits");
    says(letter, "your bank account or payment card number");
}

#[test]
fn missing_facts_are_marked_and_listed_in_every_draft() {
    let plan = plan_of(&big_yaml());
    let facts = Facts {
        entity: Entity {
            name: "Riverside Family Clinic".into(),
            ..Entity::default()
        },
        covered_entity: None,
        incident: bare_incident(BIG),
    };
    let drafts = draft(&plan, &facts, &rules());
    for (notice, draft) in plan.notices.iter().zip(&drafts) {
        heads_and_is_self_contained(notice, draft);
    }
    for stem in ["individuals", "substitute-notice", "media-OH"] {
        let notice = find(&drafts, stem);
        for fill in FACT_FILLS
            .iter()
            .filter(|f| !f.contains("organization's name"))
        {
            assert!(
                notice.to_fill.iter().any(|f| f.contains(fill)),
                "{stem}: {fill:?} is not marked: {:?}",
                notice.to_fill
            );
        }
        // Without the kinds, the general steps and the place for more are still there.
        says(notice, "suspicious messages");
        does_not_say(notice, "security freeze");
    }
    let hhs = find(&drafts, "hhs");
    for fill in [
        "the covered entity's postal address",
        "the contact's telephone number",
        "the contact's e-mail address",
        "the first day of the breach, if known",
        "the last day of the breach, if known",
        "a brief description of what happened, in plain words",
    ] {
        assert!(marked(hhs, fill), "hhs: {fill}: {:?}", hhs.to_fill);
    }
    assert!(
        hhs.to_fill
            .iter()
            .any(|f| f.contains("kinds of health information")
                && f.contains("Demographic, Financial, Clinical, Other"))
    );
    assert!(
        hhs.to_fill
            .iter()
            .any(|f| f.starts_with("the actions taken"))
    );
    let regulator = find(&drafts, "state-regulator-CO");
    assert!(marked(regulator, "the organization's postal address"));
    assert!(
        regulator
            .to_fill
            .iter()
            .any(|f| f.contains("is doing to investigate"))
    );

    // A nameless organisation is a place to fill in, not an empty line.
    let facts = Facts {
        entity: Entity::default(),
        ..facts
    };
    let drafts = draft(&plan, &facts, &rules());
    assert!(marked(
        find(&drafts, "individuals"),
        "your organization's name"
    ));
}

#[test]
fn a_toll_free_number_alone_still_asks_for_another_way_to_write() {
    let plan = plan_of("role: covered_entity\ndiscovered: 2026-03-01\naffected: {OH: 10}\n");
    let facts = Facts {
        entity: Entity {
            name: "Riverside Family Clinic".into(),
            phone: Some("1-800-555-0142".into()),
            ..Entity::default()
        },
        covered_entity: None,
        incident: known_incident(&[("OH", 10)], None),
    };
    let drafts = draft(&plan, &facts, &rules());
    let letter = find(&drafts, "individuals");
    assert!(marked(
        letter,
        "an e-mail address, web site or postal address for questions"
    ));
    assert!(!marked(
        letter,
        "a toll-free telephone number for questions"
    ));
    says(letter, "Call toll-free: 1-800-555-0142");
}

#[test]
fn the_substitute_notice_for_ten_or_more_posts_for_90_days_with_a_toll_free_number() {
    let (_, drafts) = big_drafts();
    let notice = find(&drafts, "substitute-notice");
    assert_eq!(notice.citation, "45 CFR 164.404(d)(2)(ii)");
    has_the_five_elements(notice, false);
    says(notice, "home page of your web site for 90 days");
    says(notice, "major print or broadcast media");
    says(notice, "stays open for at least 90 days");
    says(notice, "Call toll-free: 1-800-555-0142");
    says(notice, "insufficient or out of date (12)");
    no_fact_fills(notice);
}

#[test]
fn the_substitute_notice_for_fewer_than_ten_is_another_written_notice_or_a_call() {
    let plan = plan_of(
        "role: covered_entity\ndiscovered: 2026-03-01\naffected: {OH: 40}\ninsufficient_contacts: 3\n",
    );
    let facts = Facts {
        entity: known_entity(),
        covered_entity: None,
        incident: known_incident(&[("OH", 40)], Some(3)),
    };
    let drafts = draft(&plan, &facts, &rules());
    for (notice, draft) in plan.notices.iter().zip(&drafts) {
        heads_and_is_self_contained(notice, draft);
    }
    let notice = find(&drafts, "substitute-notice");
    assert_eq!(notice.citation, "45 CFR 164.404(d)(2)(i)");
    has_the_five_elements(notice, false);
    says(
        notice,
        "another written notice, by telephone or by other means",
    );
    does_not_say(notice, "90 days");
    assert!(marked(
        notice,
        "the means used for each individual, and when"
    ));
}

#[test]
fn the_media_notice_of_each_state_gives_its_residents() {
    let (plan, drafts) = big_drafts();
    let media: Vec<&Draft> = drafts
        .iter()
        .filter(|d| d.recipient == Recipient::Media)
        .collect();
    let states: Vec<&str> = media
        .iter()
        .filter_map(|d| d.jurisdiction.as_deref())
        .collect();
    let mut sorted = states.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, ["CO", "OH", "RI", "WA"]);
    assert_eq!(
        media.len(),
        plan.notices
            .iter()
            .filter(|n| n.recipient == Recipient::Media)
            .count()
    );
    let ohio = find(&drafts, "media-OH");
    has_the_five_elements(ohio, false);
    says(ohio, "Prominent media outlets serving Ohio");
    says(
        ohio,
        "The breach affected 600 residents of Ohio, and 2386 individuals in all.",
    );
    says(ohio, "FOR IMMEDIATE RELEASE");
    says(ohio, "Call toll-free: 1-800-555-0142");
    no_fact_fills(ohio);
    says(
        find(&drafts, "media-WA"),
        "The breach affected 700 residents of Washington",
    );
}

#[test]
fn the_hhs_report_has_every_field_of_the_breach_portal() {
    let (_, drafts) = big_drafts();
    let hhs = find(&drafts, "hhs");
    assert_eq!(hhs.citation, "45 CFR 164.408(b)");
    for field in [
        "Name of covered entity: Riverside Family Clinic",
        "Type of covered entity:",
        "Street address, city, state, ZIP: 12 Main Street, Columbus, OH 43004",
        "Contact name and title:",
        "Contact telephone: 1-800-555-0142",
        "Contact e-mail: privacy@riverside.example",
        "Was a business associate involved?",
        "Breach start date: February 27, 2026",
        "Breach end date: February 28, 2026",
        "Date of discovery: March 1, 2026",
        "Approximate number of individuals affected: 2386",
        "Type of breach:",
        "hacking/IT incident, unauthorized access/disclosure, theft, loss, improper disposal, other",
        "Location of breached information:",
        "laptop, desktop computer, network server, e-mail, electronic medical record, other portable electronic device, paper/films, other",
        "Type of protected health information involved: Demographic (names, Social Security numbers); Clinical (diagnoses); Other (health insurance member numbers, genetic markers)",
        "Brief description of the breach: Laptop stolen from an employee's car. An unencrypted laptop",
        "Safeguards in place prior to breach:",
        "security rule technical safeguards",
        "Date(s) individual notice provided:",
        "(due by April 30, 2026)",
        "Was substitute notice required? Yes",
        "Was media notice required? Yes: Colorado (CO), Ohio (OH), Rhode Island (RI), Washington (WA)",
        "Actions taken in response to the breach: Disabled the laptop's accounts and reset its passwords. Began encrypting every laptop.",
    ] {
        says(hhs, field);
    }
    says(hhs, "500 or more individuals are affected");
    does_not_say(hhs, "Fewer than 500");
    // What phiguard cannot know is left to fill in; what it knows is not.
    for fill in [
        super_fill(hhs, "Type of breach"),
        super_fill(hhs, "Location of breached information"),
        super_fill(hhs, "Safeguards in place prior to breach"),
    ] {
        assert!(fill, "{:?}", hhs.to_fill);
    }
    assert!(!hhs.to_fill.iter().any(|f| f.contains("postal address")
        || f.contains("telephone number")
        || f.contains("e-mail address")
        || f.contains("first day")
        || f.contains("actions taken")));
}

/// Whether the HHS field `label` is a marked place to fill in.
fn super_fill(draft: &Draft, label: &str) -> bool {
    let text = markdown_text(&draft.markdown);
    text.contains(&format!("{label}: [{FILL_MARKER}: "))
}

#[test]
fn under_500_the_hhs_report_goes_in_the_annual_log_by_its_date() {
    let plan =
        plan_of("role: covered_entity\ndiscovered: 2026-03-01\naffected: {OH: 120, PA: 3}\n");
    let facts = Facts {
        entity: known_entity(),
        covered_entity: None,
        incident: known_incident(&[("OH", 120), ("PA", 3)], None),
    };
    let drafts = draft(&plan, &facts, &rules());
    for (notice, draft) in plan.notices.iter().zip(&drafts) {
        heads_and_is_self_contained(notice, draft);
    }
    assert_eq!(
        drafts
            .iter()
            .map(|d| d.file_stem.as_str())
            .collect::<Vec<_>>(),
        ["individuals", "hhs"]
    );
    let hhs = find(&drafts, "hhs");
    assert_eq!(hhs.citation, "45 CFR 164.408(c)");
    says(
        hhs,
        "Fewer than 500 individuals are affected, so this breach goes in the log",
    );
    says(
        hhs,
        "no later than March 1, 2027, 60 days after the end of 2026",
    );
    says(hhs, "Approximate number of individuals affected: 123");
    says(hhs, "Was substitute notice required? No");
    says(hhs, "Was media notice required? No");
    does_not_say(hhs, "500 or more individuals are affected");
}

#[test]
fn each_state_regulator_is_addressed_under_its_own_law() {
    let (plan, drafts) = big_drafts();
    let rules = rules();
    let regulators: Vec<&Draft> = drafts
        .iter()
        .filter(|d| d.recipient == Recipient::StateRegulator)
        .collect();
    assert_eq!(
        regulators.len(),
        plan.notices
            .iter()
            .filter(|n| n.recipient == Recipient::StateRegulator)
            .count()
    );
    assert!(regulators.len() >= 5);
    let affected: BTreeMap<&str, u64> = BIG.iter().copied().collect();
    for (notice, draft) in plan.notices.iter().zip(&drafts) {
        if notice.recipient != Recipient::StateRegulator {
            continue;
        }
        let code = notice.jurisdiction.as_deref().unwrap_or_default();
        let state = rules.state(code).unwrap_or_else(|| panic!("{code}"));
        let regulator = state.regulator.as_ref().unwrap_or_else(|| panic!("{code}"));
        assert_eq!(draft.citation, state.citation);
        says(draft, &format!("To: {}", regulator.to));
        says(draft, &format!("under {}", state.citation));
        says(
            draft,
            &format!(
                "Residents of {} affected: {}",
                state.name,
                affected.get(code).copied().unwrap_or_default()
            ),
        );
        says(draft, "Individuals affected in all: 2386");
        says(draft, "Date of discovery: March 1, 2026");
        says(draft, "Social Security numbers");
        says(draft, "What happened");
        says(draft, "Laptop stolen from an employee's car.");
        says(draft, "Began encrypting every laptop.");
        // The date of the notice to the state's residents: its own, or the federal one.
        let individuals_due = plan
            .notices
            .iter()
            .find(|n| {
                n.recipient == Recipient::Individuals && n.jurisdiction.as_deref() == Some(code)
            })
            .or_else(|| {
                plan.notices
                    .iter()
                    .find(|n| n.recipient == Recipient::Individuals && n.jurisdiction.is_none())
            })
            .map(|n| n.due)
            .unwrap_or_else(|| panic!("no individual notice"));
        says(
            draft,
            &format!("(due by {})", individuals_due.strftime("%B %-d, %Y")),
        );
        assert_eq!(
            html_text(&draft.html).contains("Have counsel confirm"),
            notice.counsel_review,
            "{code}"
        );
        assert_eq!(
            markdown_text(&draft.markdown).contains("Have counsel confirm"),
            notice.counsel_review,
            "{code}"
        );
    }
    // New York's attorney general gets a copy of the HHS report; the others do not.
    says(
        find(&drafts, "state-regulator-NY"),
        "A copy of the notice to the Secretary of HHS",
    );
    does_not_say(find(&drafts, "state-regulator-CO"), "Secretary of HHS");
    // Rhode Island's regulator has no stated period: counsel must confirm it.
    assert!(
        plan.notices
            .iter()
            .any(|n| n.recipient == Recipient::StateRegulator
                && n.jurisdiction.as_deref() == Some("RI")
                && n.counsel_review)
    );
}

#[test]
fn a_business_associate_tells_its_covered_entity_what_it_needs() {
    let plan = plan_of(
        "role: business_associate\ndiscovered: 2026-03-01\naffected: {OH: 40, PA: 2}\nbaa_window_days: 10\n",
    );
    let facts = Facts {
        entity: Entity {
            name: "Acme Billing Services".into(),
            phone: Some("614-555-0100".into()),
            email: Some("security@acme.example".into()),
            website: None,
            postal_address: None,
        },
        covered_entity: Some("Riverside Family Clinic".into()),
        incident: known_incident(&[("OH", 40), ("PA", 2)], None),
    };
    let drafts = draft(&plan, &facts, &rules());
    assert_eq!(drafts.len(), 1);
    heads_and_is_self_contained(&plan.notices[0], &drafts[0]);
    let notice = find(&drafts, "covered-entity");
    assert_eq!(notice.recipient, Recipient::CoveredEntity);
    assert_eq!(notice.due, date(2026, 3, 11));
    says(notice, "To: Riverside Family Clinic");
    says(notice, "Acme Billing Services, as your business associate");
    says(notice, "45 CFR 164.410");
    // The identification of each individual (164.410(c)(1)): kept as pseudonyms, so attached
    // from the source system.
    says(notice, "42 individuals are affected, by state of residence");
    says(notice, "Ohio (OH): 40");
    says(notice, "Pennsylvania (PA): 2");
    let identification = notice
        .to_fill
        .iter()
        .find(|f| f.contains("identifying each affected individual"))
        .unwrap_or_else(|| panic!("{:?}", notice.to_fill));
    assert!(identification.contains("pseudonyms") && identification.contains("source system"));
    assert!(marked(notice, identification));
    // The information for the covered entity's own notice (164.410(c)(2)): A to E.
    has_the_five_elements_for_the_covered_entity(notice);
    says(notice, "Telephone: 614-555-0100");
    says(notice, "security@acme.example");
    for fill in FACT_FILLS {
        assert!(!notice.to_fill.iter().any(|f| f.contains(fill)), "{fill}");
    }
    assert!(
        !notice
            .to_fill
            .iter()
            .any(|f| f.contains("covered entity's name"))
    );

    // Without the covered entity's name, it is to fill in.
    let facts = Facts {
        covered_entity: None,
        ..facts
    };
    let drafts = draft(&plan, &facts, &rules());
    assert!(marked(&drafts[0], "the covered entity's name"));
}

fn has_the_five_elements_for_the_covered_entity(draft: &Draft) {
    says(draft, "What happened");
    says(draft, "between February 27, 2026 and February 28, 2026");
    says(draft, "We discovered it on March 1, 2026.");
    says(draft, "Social Security numbers");
    says(draft, "What individuals can do");
    says(draft, "security freeze");
    says(draft, "What we are doing");
    says(draft, "Began encrypting every laptop.");
    says(draft, "For more information");
}

const HOSTILE_TITLE: &str = "<script>alert(1)</script> & *stars* [x](y)";
const HOSTILE_DESCRIPTION: &str = "\"'><img src=x onerror=alert(2)>\n# not a heading\n- not a list";

fn hostile_drafts() -> Vec<Draft> {
    let plan = plan_of(&big_yaml());
    let mut incident = known_incident(BIG, Some(12));
    incident.title = HOSTILE_TITLE.into();
    incident.description = Some(HOSTILE_DESCRIPTION.into());
    incident.actions.push("<b>bold</b> action".into());
    let facts = Facts {
        entity: Entity {
            name: "Clinic <i>One</i>".into(),
            ..known_entity()
        },
        covered_entity: None,
        incident,
    };
    draft(&plan, &facts, &rules())
}

#[test]
fn text_people_typed_comes_out_as_text_in_both_renderings() {
    for draft in hostile_drafts() {
        let lower = draft.html.to_ascii_lowercase();
        for tag in ["<script", "<img", "<b>", "<i>"] {
            assert!(!lower.contains(tag), "{}.html has {tag}", draft.file_stem);
        }
        assert!(
            draft
                .html
                .contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp;")
        );
        assert!(
            draft
                .html
                .contains("&quot;&#39;&gt;&lt;img src=x onerror=alert(2)&gt;")
        );
        for raw in ["<script", "<img", "<b>", "<i>", "*stars*", "[x](y)"] {
            let unescaped = draft
                .markdown
                .match_indices(raw)
                .any(|(at, _)| !draft.markdown[..at].ends_with('\\'));
            assert!(!unescaped, "{}.md has {raw}", draft.file_stem);
        }
        assert!(!draft.markdown.contains("\n# not a heading"));
        assert!(!draft.markdown.contains("\n- not a list"));
        assert!(
            draft
                .markdown
                .contains("\\<script\\>alert(1)\\</script\\> & \\*stars\\*")
        );
        // Escaped, not lost: a reader sees the text as it was typed.
        says(&draft, "<script>alert(1)</script> & *stars* [x](y)");
        says(&draft, "Clinic <i>One</i>");
    }
}

#[test]
fn the_html_renders_in_headless_chromium() {
    let Some(browser) = phiguard_testkit::chromium() else {
        // `chromium()` printed the skip note, or failed under PHIGUARD_TEST_REQUIRE_ALL=1.
        return;
    };
    let drafts = hostile_drafts();
    let letter = find(&drafts, "individuals");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let page = dir.path().join("individuals.html");
    std::fs::write(&page, &letter.html).unwrap_or_else(|e| panic!("{e}"));
    let dom = dump_dom(&browser, dir.path(), &page);
    assert!(dom.contains("<h2>What happened</h2>"), "{dom}");
    assert!(dom.contains("<h2>For more information</h2>"));
    assert!(dom.contains("your Social Security number"));
    assert!(dom.contains("<mark class=\"to-fill\">TO FILL IN: the individual's name"));
    assert!(dom.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!dom.to_ascii_lowercase().contains("<script"));
    assert!(!dom.to_ascii_lowercase().contains("<img"));

    // Kept for people to look at: target/tmp/breach-notices/, every draft of the big plan.
    let kept = Path::new(env!("CARGO_TARGET_TMPDIR")).join("breach-notices");
    let _ = std::fs::create_dir_all(&kept);
    for draft in big_drafts().1 {
        let _ = std::fs::write(
            kept.join(format!("{}.md", draft.file_stem)),
            &draft.markdown,
        );
        let _ = std::fs::write(kept.join(format!("{}.html", draft.file_stem)), &draft.html);
    }
}

/// The DOM Chromium builds from `page`, with a profile of its own under `dir`, killed after
/// a minute so a hung browser cannot hang the tests.
fn dump_dom(browser: &Path, dir: &Path, page: &Path) -> String {
    let profile = dir.join("profile");
    let stdout = dir.join("dom.html");
    let stderr = dir.join("chromium.stderr");
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout).unwrap_or_else(|e| panic!("{e}")))
        .stderr(std::fs::File::create(&stderr).unwrap_or_else(|e| panic!("{e}")))
        .spawn()
        .unwrap_or_else(|e| panic!("could not start {browser:?}: {e}"));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap_or_else(|e| panic!("{e}")) {
            break status;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium hung for 60 s and was killed");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(
        status.success(),
        "chromium failed ({status}): {}",
        std::fs::read_to_string(&stderr).unwrap_or_default()
    );
    std::fs::read_to_string(&stdout).unwrap_or_else(|e| panic!("{e}"))
}
