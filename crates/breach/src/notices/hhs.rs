//! The notice to the Secretary of HHS (45 CFR 164.408): the fields of HHS's breach report,
//! in the portal's order, as a form to copy from. At once for 500 or more individuals
//! (164.408(b)); in the annual log for fewer (164.408(c)).

use std::collections::BTreeMap;

use super::content;
use super::document::{Block, Field, Line, Span};
use super::words::{self, HhsCategory, phi_words, unknown_kind};
use super::{Composed, Context};
use crate::plan::Recipient;

pub const BREACH_TYPES: &str = "one or more of: hacking/IT incident, unauthorized \
     access/disclosure, theft, loss, improper disposal, other";
pub const LOCATIONS: &str = "one or more of: laptop, desktop computer, network server, e-mail, \
     electronic medical record, other portable electronic device, paper/films, other";
pub const SAFEGUARDS: &str = "the safeguards in place before the breach, one or more of: none, \
     privacy rule safeguards (training, policies and procedures), security rule administrative \
     safeguards, security rule physical safeguards, security rule technical safeguards";

pub(super) fn report(context: &Context<'_>) -> Composed {
    let notice = context.notice;
    let facts = context.facts;
    let incident = &facts.incident;
    let annual = notice.citation == context.rules.federal.hhs_annual.citation;
    let total = incident.total_affected();

    let when = if annual {
        format!(
            "Fewer than 500 individuals are affected, so this breach goes in the log of such \
             breaches you keep for {year}, and is reported to HHS through the breach portal no \
             later than {due}, 60 days after the end of {year} ({citation}). It may be \
             reported sooner.",
            year = incident.discovered.year(),
            due = words::date(notice.due),
            citation = notice.citation,
        )
    } else {
        format!(
            "500 or more individuals are affected, so HHS is told at the same time as the \
             individuals, and no later than {} ({}).",
            words::date(notice.due),
            notice.citation
        )
    };
    let sending = vec![
        Block::Heading("How to give it".into()),
        Block::Paragraph(vec![Span::text(when)]),
        Block::Paragraph(vec![Span::text(
            "Enter the fields below in the breach report on the HHS Office for Civil Rights \
             breach portal, and keep a copy of the report and of its confirmation.",
        )]),
    ];

    let (covered_entity, business_associate) = parties(context);
    let mut body = vec![Block::Heading("Covered entity".into())];
    body.push(Block::Fields(vec![
        Field::new("Name of covered entity", covered_entity),
        Field::new(
            "Type of covered entity",
            vec![Span::fill(
                "health plan, health care clearinghouse or health care provider",
            )],
        ),
        Field::new(
            "Street address, city, state, ZIP",
            given(
                facts.covered_entity.is_none(),
                &facts.entity.postal_address,
                "the covered entity's postal address",
            ),
        ),
        Field::new(
            "Contact name and title",
            vec![Span::fill(
                "the name and title of the person HHS may contact",
            )],
        ),
        Field::new(
            "Contact telephone",
            given(
                facts.covered_entity.is_none(),
                &facts.entity.phone,
                "the contact's telephone number",
            ),
        ),
        Field::new(
            "Contact e-mail",
            given(
                facts.covered_entity.is_none(),
                &facts.entity.email,
                "the contact's e-mail address",
            ),
        ),
    ]));
    body.push(Block::Heading("Business associate".into()));
    body.push(Block::Fields(vec![Field::new(
        "Was a business associate involved?",
        business_associate,
    )]));

    body.push(Block::Heading("Breach".into()));
    body.push(Block::Fields(vec![
        Field::new(
            "Breach start date",
            optional_date(
                incident.occurred_from,
                "the first day of the breach, if known",
            ),
        ),
        Field::new(
            "Breach end date",
            optional_date(incident.occurred_to, "the last day of the breach, if known"),
        ),
        Field::new(
            "Date of discovery",
            vec![Span::text(words::date(incident.discovered))],
        ),
        Field::new(
            "Approximate number of individuals affected",
            vec![Span::text(total.to_string())],
        ),
        Field::new("Type of breach", vec![Span::fill(BREACH_TYPES)]),
        Field::new(
            "Location of breached information",
            vec![Span::fill(LOCATIONS)],
        ),
        Field::new(
            "Type of protected health information involved",
            phi_types(context),
        ),
        Field::new("Brief description of the breach", description(context)),
        Field::new(
            "Safeguards in place prior to breach",
            vec![Span::fill(SAFEGUARDS)],
        ),
    ]));

    body.push(Block::Heading("Notice of breach and actions taken".into()));
    let mut individual_notice = vec![Span::fill(
        "the date or dates notice was sent to the individuals",
    )];
    if let Some(due) = context.individual_notice().map(|n| n.due) {
        individual_notice.push(Span::text(format!(" (due by {})", words::date(due))));
    }
    body.push(Block::Fields(vec![
        Field::new("Date(s) individual notice provided", individual_notice),
        Field::new(
            "Was substitute notice required?",
            vec![Span::text(yes_no(context.has(Recipient::SubstituteNotice)))],
        ),
        Field::new("Was media notice required?", media(context)),
        Field::new("Actions taken in response to the breach", actions(context)),
    ]));

    Composed {
        title: "Breach report to the Secretary of HHS".into(),
        to: vec![Span::text(
            "The Secretary of Health and Human Services, through the HHS Office for Civil \
             Rights breach portal",
        )],
        sending,
        body,
    }
}

/// The covered entity's name and whether a business associate was involved: when the
/// organisation is itself a business associate, the covered entity is the one it names.
fn parties(context: &Context<'_>) -> (Line, Line) {
    match context
        .facts
        .covered_entity
        .as_deref()
        .map(str::trim)
        .filter(|name| !name.is_empty())
    {
        Some(covered_entity) => (
            vec![Span::text(covered_entity)],
            vec![
                Span::text("Yes: "),
                context.entity_name(),
                Span::text(", business associate of "),
                Span::text(covered_entity),
            ],
        ),
        None => (
            vec![context.entity_name()],
            vec![Span::fill(
                "yes or no; if yes, the business associate's name, address and contact",
            )],
        ),
    }
}

/// A value the organisation's settings give (only when it is the covered entity), or a place
/// to fill it in.
fn given(ours: bool, value: &Option<String>, what: &str) -> Line {
    match value
        .as_deref()
        .map(str::trim)
        .filter(|v| ours && !v.is_empty())
    {
        Some(value) => vec![Span::text(value)],
        None => vec![Span::fill(what)],
    }
}

fn optional_date(date: Option<jiff::civil::Date>, what: &str) -> Line {
    match date {
        Some(date) => vec![Span::text(words::date(date))],
        None => vec![Span::fill(what)],
    }
}

fn yes_no(yes: bool) -> &'static str {
    if yes { "Yes" } else { "No" }
}

/// The kinds of PHI under HHS's categories: "Demographic (names, Social Security numbers);
/// Clinical (diagnoses)".
fn phi_types(context: &Context<'_>) -> Line {
    let mut by_category: BTreeMap<HhsCategory, Vec<String>> = BTreeMap::new();
    for kind in &context.facts.incident.phi {
        let (category, words) = match phi_words(kind) {
            Some(words) => (words.hhs, words.general.to_owned()),
            None => (HhsCategory::Other, unknown_kind(kind)),
        };
        let listed = by_category.entry(category).or_default();
        if !words.is_empty() && !listed.contains(&words) {
            listed.push(words);
        }
    }
    by_category.retain(|_, kinds| !kinds.is_empty());
    if by_category.is_empty() {
        return vec![Span::fill(format!(
            "{}, as one or more of: {}",
            content::PHI_TO_FILL,
            HhsCategory::ALL.map(HhsCategory::as_str).join(", ")
        ))];
    }
    let text = by_category
        .iter()
        .map(|(category, kinds)| format!("{} ({})", category.as_str(), kinds.join(", ")))
        .collect::<Vec<_>>()
        .join("; ");
    vec![Span::text(text)]
}

fn description(context: &Context<'_>) -> Line {
    let incident = &context.facts.incident;
    let mut line = vec![Span::text(content::sentence(&incident.title))];
    match incident.description.as_deref().map(str::trim) {
        Some(text) if !text.is_empty() => line.push(Span::text(format!(" {text}"))),
        _ => {
            line.push(Span::text(" "));
            line.push(Span::fill(content::DESCRIPTION_TO_FILL));
        }
    }
    line
}

/// "Yes: Ohio (OH)" for each state whose media are told, or "No".
fn media(context: &Context<'_>) -> Line {
    let states: Vec<String> = context
        .plan
        .notices
        .iter()
        .filter(|n| n.recipient == Recipient::Media)
        .filter_map(|n| n.jurisdiction.as_deref().map(words::state_with_code))
        .collect();
    if states.is_empty() {
        vec![Span::text("No")]
    } else {
        vec![Span::text(format!("Yes: {}", states.join(", ")))]
    }
}

fn actions(context: &Context<'_>) -> Line {
    let actions: Vec<String> = context
        .facts
        .incident
        .actions
        .iter()
        .map(|a| a.trim())
        .filter(|a| !a.is_empty())
        .map(content::sentence)
        .collect();
    if actions.is_empty() {
        vec![Span::fill(
            "the actions taken in response to the breach: investigation, mitigation, \
             sanctions, new safeguards, training",
        )]
    } else {
        vec![Span::text(actions.join(" "))]
    }
}
