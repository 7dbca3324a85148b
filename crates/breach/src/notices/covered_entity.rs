//! A business associate's notice to its covered entity (45 CFR 164.410): the identification
//! of each individual affected and what the covered entity needs for its own notice to them
//! (164.410(c)), as far as it is known now.

use super::content::{self, Audience};
use super::document::{Block, Span};
use super::{Composed, Context, words};

pub const INDIVIDUALS_TO_FILL: &str = "attach the list identifying each affected individual \
     (name and last known address), exported from the source system: phiguard keeps the \
     individuals only as pseudonyms, so the list is not in this draft";

pub(super) fn notice(context: &Context<'_>) -> Composed {
    let facts = context.facts;
    let incident = &facts.incident;
    let covered_entity = match facts.covered_entity.as_deref().map(str::trim) {
        Some(name) if !name.is_empty() => Span::text(name),
        _ => Span::fill("the covered entity's name"),
    };
    let entity = context.entity_name();
    let sending = vec![
        Block::Heading("How to give it".into()),
        Block::Paragraph(vec![Span::text(format!(
            "To the covered entity, the way your business associate agreement says, and by the \
             date above ({}); the agreement may set a shorter window than the rule's. Send \
             what is known now, and the rest as you learn it: the covered entity needs it for \
             its own notices.",
            context.notice.citation
        ))]),
        Block::Paragraph(vec![
            Span::strong("Attach: "),
            Span::fill(INDIVIDUALS_TO_FILL),
        ]),
    ];
    let mut body = vec![
        Block::Paragraph(vec![Span::fill("the date the notice is sent")]),
        Block::Paragraph(vec![Span::text("To: "), covered_entity.clone()]),
        Block::Paragraph(vec![
            entity.clone(),
            Span::text(format!(
                ", as your business associate, is notifying you of a breach of unsecured \
                 protected health information that we discovered on {} (45 CFR 164.410). This \
                 notice identifies the individuals affected and gives the information you need \
                 for your notice to them, as far as we know it today. We will send more \
                 information as we learn it.",
                words::date(incident.discovered)
            )),
        ]),
        Block::Heading("Individuals affected".into()),
    ];
    let total = incident.total_affected();
    body.push(Block::Paragraph(vec![Span::text(format!(
        "{total} individuals are affected, by state of residence:"
    ))]));
    body.push(Block::List(
        incident
            .affected
            .iter()
            .filter(|(_, count)| **count > 0)
            .map(|(code, count)| {
                vec![Span::text(format!(
                    "{}: {count}",
                    words::state_with_code(code)
                ))]
            })
            .collect(),
    ));
    body.push(Block::Paragraph(vec![
        Span::text("The identification of each individual: "),
        Span::fill(INDIVIDUALS_TO_FILL),
    ]));
    body.extend(content::elements(facts, Audience::CoveredEntity, None));
    body.push(Block::Paragraph(vec![Span::text("Sincerely,")]));
    body.push(Block::Paragraph(vec![
        Span::fill("the name and title of the person signing"),
        Span::text(", "),
        entity,
    ]));
    Composed {
        title: "Notice of breach to the covered entity".into(),
        to: vec![covered_entity],
        sending,
        body,
    }
}
