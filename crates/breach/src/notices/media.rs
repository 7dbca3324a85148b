//! The notice to prominent media outlets serving a state where more than 500 residents are
//! affected (45 CFR 164.406): a press release with the content of the notice to individuals
//! (164.406(c)).

use super::content::{self, Audience};
use super::document::{Block, Span};
use super::{Composed, Context, words};

pub(super) fn release(context: &Context<'_>) -> Composed {
    let state = context
        .notice
        .jurisdiction
        .as_deref()
        .map_or("the state", words::state_name)
        .to_owned();
    let entity = context.entity_name();
    let total = context.facts.incident.total_affected();
    let title = format!("Press release: notice of a data breach affecting {state} residents");
    let sending = vec![
        Block::Heading("How to give it".into()),
        Block::Paragraph(vec![
            Span::text(format!(
                "Send this release to prominent media outlets serving {state}, such as major \
                 newspapers, television and radio stations, chosen so that it reaches the \
                 affected residents ({}). Outlets it went to, and when: ",
                context.notice.citation
            )),
            Span::fill("the outlets and the date each received it"),
        ]),
    ];
    let mut body = vec![
        Block::Paragraph(vec![Span::strong("FOR IMMEDIATE RELEASE")]),
        Block::Paragraph(vec![
            Span::fill("city and date of release"),
            Span::text(" — "),
            entity.clone(),
            Span::text(
                " is notifying people of a breach of health information. The breach affected ",
            ),
            context.residents(),
            Span::text(format!(
                " residents of {state}, and {total} individuals in all. Each affected person \
                 for whom we have an address is being notified by mail."
            )),
        ]),
    ];
    body.extend(content::elements(context.facts, Audience::Public, None));
    body.push(Block::Heading("Media contact".into()));
    body.push(Block::Paragraph(vec![Span::fill(
        "name, telephone number and e-mail address of the media contact",
    )]));
    Composed {
        title,
        to: vec![Span::text(format!(
            "Prominent media outlets serving {state}"
        ))],
        sending,
        body,
    }
}
