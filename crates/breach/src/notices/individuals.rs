//! The notice to each affected individual (45 CFR 164.404), and the substitute notice for
//! those whose contact information is insufficient or out of date (164.404(d)(2)).

use super::content::{self, Audience};
use super::document::{Block, Span};
use super::{Composed, Context, words};

/// The letter to each affected individual, with the five elements of 164.404(c)(1).
pub(super) fn letter(context: &Context<'_>) -> Composed {
    let entity = context.entity_name();
    let mut to = vec![Span::text(format!(
        "Each of the {} affected individuals",
        context.facts.incident.total_affected()
    ))];
    if let Some(code) = context.notice.jurisdiction.as_deref() {
        to = vec![
            Span::text("Each affected resident of "),
            Span::text(words::state_name(code)),
            Span::text(" ("),
            context.residents(),
            Span::text(")"),
        ];
    }
    let mut sending = Vec::new();
    if let Some(code) = context.notice.jurisdiction.as_deref() {
        let state = words::state_name(code);
        sending.push(Block::Paragraph(vec![Span::text(format!(
            "This is {state}'s own notice to its residents. They are also among the              individuals of the federal notice: one letter can serve both if it is sent to              them by {}, this notice's date, and holds what {state}'s law asks of it.",
            words::date(context.notice.due)
        ))]));
    }
    sending.extend([
        Block::Heading("How to send it".into()),
        Block::List(vec![
            vec![Span::text(
                "By first-class mail to each individual's last known address, or by e-mail to \
                 those who have agreed to electronic notice (45 CFR 164.404(d)(1)(i)).",
            )],
            vec![Span::text(
                "If the individual has died and you know the address of the next of kin or \
                 personal representative, by first-class mail to them (45 CFR \
                 164.404(d)(1)(ii)).",
            )],
            vec![Span::text(
                "If misuse may be imminent, also by telephone or other means, in addition to \
                 the written notice (45 CFR 164.404(d)(3)).",
            )],
            vec![Span::text(
                "Keep a copy of what was sent, to whom and when: you must be able to show that \
                 every notice was given (45 CFR 164.414(b)).",
            )],
        ]),
    ]);
    let mut body = vec![
        Block::Paragraph(vec![Span::fill("the date the letter is sent")]),
        Block::Paragraph(vec![
            Span::text("Dear "),
            Span::fill("the individual's name, from the source system"),
            Span::text(","),
        ]),
        Block::Paragraph(vec![
            Span::text("We are writing to tell you about a breach of health information at "),
            entity.clone(),
            Span::text(
                " that may have involved information about you. This letter explains what \
                 happened, what we are doing about it, and what you can do to protect yourself.",
            ),
        ]),
    ];
    body.extend(content::elements(context.facts, Audience::Individual, None));
    body.extend(closing(entity));
    Composed {
        title: "Notice of data breach".into(),
        to,
        sending,
        body,
    }
}

/// "We apologize …", signed by a person of the organisation.
fn closing(entity: Span) -> Vec<Block> {
    vec![
        Block::Paragraph(vec![Span::text(
            "We take the privacy of your information seriously, and we apologize for any \
             concern or inconvenience this may cause.",
        )]),
        Block::Paragraph(vec![Span::text("Sincerely,")]),
        Block::Paragraph(vec![
            Span::fill("the name and title of the person signing"),
            Span::text(", "),
            entity,
        ]),
    ]
}

/// The substitute notice: with 10 or more individuals unreachable, a conspicuous posting on
/// the home page or major print or broadcast media with a toll-free number; with fewer,
/// another written notice, telephone or other means. Either way the same content.
pub(super) fn substitute(context: &Context<'_>) -> Composed {
    let federal = &context.rules.federal;
    let many = context.notice.citation == federal.substitute_many.citation;
    let count = match context.facts.incident.insufficient_contacts {
        Some(count) => Span::text(count.to_string()),
        None => Span::fill(
            "the number of individuals whose contact information is insufficient or out of date",
        ),
    };
    let to = vec![
        Span::text(
            "Affected individuals whose contact information is insufficient or out of date (",
        ),
        count,
        Span::text(")"),
    ];
    let sending = if many {
        let rule = &federal.substitute_many;
        vec![
            Block::Heading("How to give it".into()),
            Block::Paragraph(vec![Span::text(format!(
                "One of these, chosen for where the individuals are likely to live \
                 ({}):",
                rule.citation
            ))]),
            Block::List(vec![
                vec![Span::text(format!(
                    "a conspicuous posting on the home page of your web site for {} days, or",
                    rule.posting_days
                ))],
                vec![Span::text(
                    "a conspicuous notice in major print or broadcast media in the areas where \
                     the affected individuals likely live.",
                )],
            ]),
            Block::Paragraph(vec![
                Span::text(format!(
                    "Either way it must give a toll-free number that stays active for at least \
                     {} days, where people can find out whether their information may have been \
                     involved. Where it is posted: ",
                    rule.toll_free_days
                )),
                Span::fill("the web page or the media outlets, and the dates"),
            ]),
        ]
    } else {
        vec![
            Block::Heading("How to give it".into()),
            Block::Paragraph(vec![
                Span::text(format!(
                    "By another written notice, by telephone or by other means ({}); a \
                     telephone call can follow this text. How it was given: ",
                    context.notice.citation
                )),
                Span::fill("the means used for each individual, and when"),
            ]),
        ]
    };
    let entity = context.entity_name();
    let mut body = vec![Block::Paragraph(vec![
        entity.clone(),
        Span::text(
            " is giving notice of a breach of health information that may have involved \
             information about some of our patients or members. We could not reach everyone \
             affected by mail, so we are giving this notice here. It explains what happened, \
             what we are doing about it, and what you can do to protect yourself.",
        ),
    ])];
    let toll_free_days = many.then_some(federal.substitute_many.toll_free_days);
    body.extend(content::elements(
        context.facts,
        Audience::Public,
        toll_free_days,
    ));
    Composed {
        title: "Notice of data breach (substitute notice)".into(),
        to,
        sending,
        body,
    }
}
