//! The content every notice about the breach shares: the five elements of 45 CFR
//! 164.404(c)(1), (A) what happened, (B) the PHI involved, (C) what individuals can do,
//! (D) what the organisation is doing and (E) how to reach it. The notice to individuals, the
//! substitute notice, the media notice (164.406(c)) and a business associate's notice to its
//! covered entity (164.410(c)(2)) all take them from here, so they say the same thing.

use super::document::{Block, Line, Span};
use super::words::{self, involves, phi_words, unknown_kind};
use super::{Entity, Facts, IncidentFacts};

/// Who reads the content: one person ("your name"), the public, or the covered entity a
/// business associate informs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Individual,
    Public,
    CoveredEntity,
}

pub const WHAT_HAPPENED: &str = "What happened";
pub const WHAT_INFORMATION: &str = "What information was involved";
pub const WHAT_WE_ARE_DOING: &str = "What we are doing";
pub const FOR_MORE_INFORMATION: &str = "For more information";

/// The five elements, in the order of the rule, each under its own heading.
pub fn elements(facts: &Facts, audience: Audience, toll_free_days: Option<u32>) -> Vec<Block> {
    let mut blocks = what_happened(&facts.incident);
    blocks.extend(information_involved(&facts.incident, audience));
    blocks.extend(what_we_are_doing(facts));
    blocks.extend(what_to_do(&facts.incident, audience));
    blocks.extend(contact(&facts.entity, audience, toll_free_days));
    blocks
}

/// A sentence of text a person typed, ended with a full stop unless it has its own.
pub fn sentence(text: &str) -> String {
    let text = text.trim();
    if text.ends_with(['.', '!', '?']) {
        text.to_owned()
    } else {
        format!("{text}.")
    }
}

pub const DESCRIPTION_TO_FILL: &str = "a brief description of what happened, in plain words";

/// (A) What happened, with the date of the breach and the date of discovery.
pub fn what_happened(incident: &IncidentFacts) -> Vec<Block> {
    let mut blocks = vec![
        Block::Heading(WHAT_HAPPENED.into()),
        Block::Paragraph(vec![Span::text(sentence(&incident.title))]),
    ];
    let paragraphs: Vec<&str> = incident
        .description
        .as_deref()
        .map(|text| {
            text.split("\n\n")
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .collect()
        })
        .unwrap_or_default();
    if paragraphs.is_empty() {
        blocks.push(Block::Paragraph(vec![Span::fill(DESCRIPTION_TO_FILL)]));
    } else {
        blocks.extend(
            paragraphs
                .into_iter()
                .map(|p| Block::Paragraph(vec![Span::text(p)])),
        );
    }
    let mut when = vec![Span::text("The breach happened ")];
    when.extend(breach_dates(incident));
    when.push(Span::text(format!(
        ". We discovered it on {}.",
        words::date(incident.discovered)
    )));
    blocks.push(Block::Paragraph(when));
    blocks
}

/// "on March 1, 2026", "between March 1, 2026 and March 3, 2026", or a place to say when.
pub fn breach_dates(incident: &IncidentFacts) -> Line {
    let text = match (incident.occurred_from, incident.occurred_to) {
        (Some(from), Some(to)) if from == to => format!("on {}", words::date(from)),
        (Some(from), Some(to)) => format!("between {} and {}", words::date(from), words::date(to)),
        (Some(from), None) => format!("starting on {}", words::date(from)),
        (None, Some(to)) => format!("on or before {}", words::date(to)),
        (None, None) => {
            return vec![Span::fill(
                "when the breach happened (a date or dates), or say that it is not known",
            )];
        }
    };
    vec![Span::text(text)]
}

/// The kinds of PHI in words the audience understands, each once.
pub fn phi_in_words(incident: &IncidentFacts, audience: Audience) -> Vec<String> {
    let mut listed: Vec<String> = Vec::new();
    for kind in &incident.phi {
        let words = match (phi_words(kind), audience) {
            (Some(words), Audience::Individual) => words.yours.to_owned(),
            (Some(words), _) => words.general.to_owned(),
            (None, _) => unknown_kind(kind),
        };
        if !words.is_empty() && !listed.contains(&words) {
            listed.push(words);
        }
    }
    listed
}

pub const PHI_TO_FILL: &str =
    "the kinds of health information involved (for example names, dates of birth, diagnoses)";

/// (B) The types of unsecured PHI involved.
pub fn information_involved(incident: &IncidentFacts, audience: Audience) -> Vec<Block> {
    let kinds = phi_in_words(incident, audience);
    let mut blocks = vec![Block::Heading(WHAT_INFORMATION.into())];
    if kinds.is_empty() {
        blocks.push(Block::Paragraph(vec![Span::fill(PHI_TO_FILL)]));
        return blocks;
    }
    blocks.push(Block::Paragraph(vec![Span::text(
        "The information involved may have included:",
    )]));
    blocks.push(Block::List(
        kinds.into_iter().map(|k| vec![Span::text(k)]).collect(),
    ));
    blocks
}

/// (D) What the organisation is doing to investigate, mitigate harm and protect against
/// further breaches: its actions, oldest first.
pub fn what_we_are_doing(facts: &Facts) -> Vec<Block> {
    let mut blocks = vec![Block::Heading(WHAT_WE_ARE_DOING.into())];
    let actions: Vec<&str> = facts
        .incident
        .actions
        .iter()
        .map(|a| a.trim())
        .filter(|a| !a.is_empty())
        .collect();
    if actions.is_empty() {
        blocks.push(Block::Paragraph(vec![Span::fill(format!(
            "what {} is doing to investigate the breach, to limit the harm to the individuals \
             and to protect against further breaches",
            facts.entity.name.trim()
        ))]));
        return blocks;
    }
    blocks.push(Block::Paragraph(vec![Span::text(
        "To investigate the breach, limit the harm and protect against further breaches, we \
         have taken these steps:",
    )]));
    blocks.push(Block::List(
        actions
            .into_iter()
            .map(|a| vec![Span::text(sentence(a))])
            .collect(),
    ));
    blocks
}

pub const MORE_STEPS_TO_FILL: &str = "any further steps for this breach, such as an offer of \
     free credit monitoring and how to enroll, or write \"none\"";

/// The steps individuals should take, by the kinds of PHI involved, and a place to add more.
pub fn protective_steps(incident: &IncidentFacts) -> Vec<Line> {
    let phi = &incident.phi;
    let mut steps: Vec<Line> = Vec::new();
    if involves(phi, &["ssn", "financial", "license_numbers"]) {
        steps.push(vec![Span::text(
            "Place a fraud alert or a security freeze on your credit files with the three \
             nationwide credit bureaus, Equifax, Experian and TransUnion. Both are free; a \
             freeze stops anyone from opening new credit in your name.",
        )]);
        steps.push(vec![Span::text(
            "Get your free credit reports and look for accounts or inquiries you do not \
             recognize. If you find signs of identity theft, report it to the Federal Trade \
             Commission at IdentityTheft.gov or 1-877-438-4338.",
        )]);
    }
    if involves(phi, &["financial"]) {
        steps.push(vec![Span::text(
            "Review your bank and payment card statements, and tell your bank or card issuer \
             at once about any charge you do not recognize.",
        )]);
    }
    if involves(
        phi,
        &["health_plan_numbers", "claims", "medical_record_numbers"],
    ) {
        steps.push(vec![Span::text(
            "Review the Explanation of Benefits statements from your health plan, and tell \
             the plan about any visit, service or prescription you did not receive.",
        )]);
    }
    steps.push(vec![Span::text(
        "Watch for suspicious messages: be wary of unexpected calls, texts, letters or e-mails \
         that mention this incident or ask for personal, health or financial information, and \
         do not open links or attachments in them.",
    )]);
    steps.push(vec![Span::fill(MORE_STEPS_TO_FILL)]);
    steps
}

/// (C) The steps individuals should take to protect themselves from potential harm.
pub fn what_to_do(incident: &IncidentFacts, audience: Audience) -> Vec<Block> {
    let (heading, lead) = match audience {
        Audience::Individual => ("What you can do", "We recommend that you:"),
        Audience::Public => (
            "What affected individuals can do",
            "We recommend that anyone whose information may have been involved:",
        ),
        Audience::CoveredEntity => (
            "What individuals can do",
            "Steps we suggest your notice recommend to the individuals:",
        ),
    };
    vec![
        Block::Heading(heading.into()),
        Block::Paragraph(vec![Span::text(lead)]),
        Block::List(protective_steps(incident)),
    ]
}

pub const TOLL_FREE_TO_FILL: &str = "a toll-free telephone number for questions";
pub const OTHER_CONTACT_TO_FILL: &str =
    "an e-mail address, web site or postal address for questions";

/// (E) Contact procedures: a toll-free number, and an e-mail address, web site or postal
/// address. `toll_free_days` is how long the number must stay active (substitute notice).
pub fn contact(entity: &Entity, audience: Audience, toll_free_days: Option<u32>) -> Vec<Block> {
    let given = |value: &Option<String>| {
        value
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let mut ways: Vec<Line> = Vec::new();
    let phone = given(&entity.phone);
    match (&phone, audience) {
        (Some(phone), Audience::CoveredEntity) => {
            ways.push(vec![Span::text("Telephone: "), Span::text(phone)]);
        }
        (Some(phone), _) => ways.push(vec![Span::text("Call toll-free: "), Span::text(phone)]),
        (None, Audience::CoveredEntity) => {}
        (None, _) => ways.push(vec![
            Span::text("Call toll-free: "),
            Span::fill(TOLL_FREE_TO_FILL),
        ]),
    }
    let others = [
        ("E-mail: ", given(&entity.email)),
        ("Web site: ", given(&entity.website)),
        ("Write to: ", given(&entity.postal_address)),
    ];
    let mut any_other = false;
    for (label, value) in others {
        if let Some(value) = value {
            ways.push(vec![Span::text(label), Span::text(value)]);
            any_other = true;
        }
    }
    if !any_other && (audience != Audience::CoveredEntity || phone.is_none()) {
        ways.push(vec![Span::fill(OTHER_CONTACT_TO_FILL)]);
    }
    let lead = match audience {
        Audience::CoveredEntity => format!(
            "For questions about this breach, and for more information as {} learns it, \
             contact us:",
            entity.name.trim()
        ),
        _ => "If you have questions, please contact us:".to_owned(),
    };
    let mut blocks = vec![
        Block::Heading(FOR_MORE_INFORMATION.into()),
        Block::Paragraph(vec![Span::text(lead)]),
        Block::List(ways),
    ];
    if let Some(days) = toll_free_days {
        blocks.push(Block::Paragraph(vec![Span::text(format!(
            "The toll-free number stays open for at least {days} days from the date of this \
             notice. Call it to find out whether your information may have been involved."
        ))]));
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn incident(from: Option<jiff::civil::Date>, to: Option<jiff::civil::Date>) -> IncidentFacts {
        IncidentFacts {
            id: "i".into(),
            title: "t".into(),
            description: None,
            discovered: date(2026, 3, 1),
            occurred_from: from,
            occurred_to: to,
            phi: Vec::new(),
            actions: Vec::new(),
            affected: Default::default(),
            insufficient_contacts: None,
        }
    }

    #[test]
    fn the_dates_of_the_breach_say_what_is_known() {
        let (a, b) = (date(2026, 2, 27), date(2026, 2, 28));
        let said = |from, to| breach_dates(&incident(from, to));
        assert_eq!(said(Some(a), Some(a)), [Span::text("on February 27, 2026")]);
        assert_eq!(
            said(Some(a), Some(b)),
            [Span::text(
                "between February 27, 2026 and February 28, 2026"
            )]
        );
        assert_eq!(
            said(Some(a), None),
            [Span::text("starting on February 27, 2026")]
        );
        assert_eq!(
            said(None, Some(b)),
            [Span::text("on or before February 28, 2026")]
        );
        assert!(matches!(said(None, None).as_slice(), [Span::Fill(_)]));
    }

    #[test]
    fn a_sentence_gets_one_full_stop() {
        assert_eq!(sentence(" Laptop stolen "), "Laptop stolen.");
        assert_eq!(sentence("Was it stolen?"), "Was it stolen?");
        assert_eq!(sentence("Stolen."), "Stolen.");
    }

    #[test]
    fn kinds_are_listed_once_in_the_audience_s_words() {
        let mut facts = incident(None, None);
        facts.phi = vec!["ssn".into(), "SSN".into(), "lab_codes".into()];
        assert_eq!(
            phi_in_words(&facts, Audience::Individual),
            ["your Social Security number", "lab codes"]
        );
        assert_eq!(
            phi_in_words(&facts, Audience::Public),
            ["Social Security numbers", "lab codes"]
        );
    }
}
