//! The notice to a state's regulator under the state's breach law, addressed to the
//! regulator the rules name, with the state's resident count, the facts of the incident and
//! the date of the notice to individuals.

use super::content::{self, Audience};
use super::document::{Block, Field, Line, Span};
use super::{Composed, Context, words};
use crate::rules::RegulatorDue;

pub(super) fn notice(context: &Context<'_>) -> Composed {
    let facts = context.facts;
    let incident = &facts.incident;
    let code = context.notice.jurisdiction.as_deref().unwrap_or_default();
    let state = words::state_name(code).to_owned();
    let rule = context.rules.state(code).and_then(|s| s.regulator.as_ref());
    let regulator = match rule {
        Some(rule) => Span::text(rule.to.trim()),
        None => Span::fill(format!("the {state} regulator to notify")),
    };
    let copy_of_hhs = matches!(rule.map(|r| &r.due), Some(RegulatorDue::AfterHhs(_)));
    let entity = context.entity_name();
    let citation = &context.notice.citation;

    let mut enclosures: Vec<Line> = vec![vec![Span::text(format!(
        "A copy of the notice sent to {state} residents."
    ))]];
    if copy_of_hhs {
        enclosures.push(vec![Span::text(
            "A copy of the notice to the Secretary of HHS, as submitted.",
        )]);
    }
    let sending = vec![
        Block::Heading("How to give it".into()),
        Block::Paragraph(vec![
            Span::text("To the "),
            regulator.clone(),
            Span::text(format!(
                " under {citation}, the way the regulator asks (many take breach reports \
                 through a form on their web site; copy the particulars below into it). \
                 Enclose:"
            )),
        ]),
        Block::List(enclosures.clone()),
    ];

    let mut individual_notice = vec![Span::fill("the date notice was sent to the residents")];
    if let Some(due) = context.individual_notice().map(|n| n.due) {
        individual_notice.push(Span::text(format!(" (due by {})", words::date(due))));
    }
    let contact = |value: &Option<String>, what: &str| match value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
    {
        Some(value) => vec![Span::text(value)],
        None => vec![Span::fill(what)],
    };
    let phi = content::phi_in_words(incident, Audience::Public);
    let mut body = vec![
        Block::Paragraph(vec![Span::fill("the date the notice is sent")]),
        Block::Paragraph(vec![Span::text("To: "), regulator.clone()]),
        Block::Paragraph(vec![
            Span::strong("Re:"),
            Span::text(" notice of a breach of security affecting "),
            context.residents(),
            Span::text(format!(" {state} residents")),
        ]),
        Block::Paragraph(vec![
            entity.clone(),
            Span::text(format!(
                " is notifying you, under {citation}, of a breach of security of health \
                 information that affected "
            )),
            context.residents(),
            Span::text(format!(
                " residents of {state}, and {} individuals in all.",
                incident.total_affected()
            )),
        ]),
        Block::Heading("Particulars".into()),
        Block::Fields(vec![
            Field::new("Organization", vec![entity.clone()]),
            Field::new(
                "Address",
                contact(
                    &facts.entity.postal_address,
                    "the organization's postal address",
                ),
            ),
            Field::new(
                "Contact",
                vec![Span::fill(
                    "the name, title, telephone number and e-mail address of the person the \
                     regulator may contact",
                )],
            ),
            Field::new("Date(s) of the breach", content::breach_dates(incident)),
            Field::new(
                "Date of discovery",
                vec![Span::text(words::date(incident.discovered))],
            ),
            Field::new(
                format!("Residents of {state} affected"),
                vec![context.residents()],
            ),
            Field::new(
                "Individuals affected in all",
                vec![Span::text(incident.total_affected().to_string())],
            ),
            Field::new(
                "Information involved",
                if phi.is_empty() {
                    vec![Span::fill(content::PHI_TO_FILL)]
                } else {
                    vec![Span::text(phi.join(", "))]
                },
            ),
            Field::new(format!("Notice to {state} residents"), individual_notice),
        ]),
    ];
    body.extend(content::what_happened(incident));
    body.extend(content::what_we_are_doing(facts));
    body.push(Block::Heading("Enclosed".into()));
    body.push(Block::List(enclosures));
    body.push(Block::Paragraph(vec![Span::text("Sincerely,")]));
    body.push(Block::Paragraph(vec![
        Span::fill("the name and title of the person signing"),
        Span::text(", "),
        entity,
    ]));
    Composed {
        title: format!(
            "Notice of data breach to the {}",
            match rule {
                Some(rule) => rule.to.trim().to_owned(),
                None => format!("{state} regulator"),
            }
        ),
        to: vec![regulator],
        sending,
        body,
    }
}
