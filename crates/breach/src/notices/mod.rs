//! Drafts of every notice a breach's plan calls for, as Markdown to edit and HTML to print.
//!
//! The plan says who must be told and by when; the people who must then write each notice
//! under a deadline need a draft that already holds everything the law asks it to say and
//! that the organisation knows, and that shows plainly what it does not know. So each draft
//! carries the content its rule requires (the five elements of 45 CFR 164.404(c) for
//! individuals, the substitute notice and the media; the fields of HHS's breach report under
//! 164.408; a business associate's notice to its covered entity under 164.410(c); a state
//! regulator's notice under the state's law), filled from the [`Facts`] of the incident,
//! and every fact it lacks is a place marked `TO FILL IN`, the same in both files and listed
//! in [`Draft::to_fill`], so nothing left blank goes out unnoticed.
//!
//! Each draft opens with notes for the person preparing it, set apart from the notice: the
//! recipient, jurisdiction, due date, citation and the plan's reason, how the notice must be
//! sent, and whether counsel must confirm it. A draft is a starting point for a person who
//! reviews it; it is not legal advice.
//!
//! Pure, like the rest of the crate: the caller gives the plan, the facts and the rules, and
//! writes the files.

mod content;
mod covered_entity;
mod document;
mod hhs;
mod individuals;
mod media;
mod regulator;
mod words;

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::Date;
use phiguard_core::spelling::capitalised;
use serde::Serialize;

use crate::plan::{Notice, Plan, Recipient};
use crate::rules::Rules;
use document::{Block, Document, Field, Line, Span};

pub use document::FILL_MARKER;

/// What phiguard knows of a breach, for its notices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    /// Who is notifying.
    pub entity: Entity,
    /// When the organisation is a business associate: the covered entity's name.
    pub covered_entity: Option<String>,
    pub incident: IncidentFacts,
}

/// The organisation that gives the notices, and how people reach it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Entity {
    /// The organisation's name (`[installation] name` in `phiguard.toml`).
    pub name: String,
    /// The toll-free number for individuals' questions.
    pub phone: Option<String>,
    pub email: Option<String>,
    pub website: Option<String>,
    pub postal_address: Option<String>,
}

/// The incident, as the register records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentFacts {
    pub id: String,
    pub title: String,
    pub description: Option<String>,
    pub discovered: Date,
    pub occurred_from: Option<Date>,
    pub occurred_to: Option<Date>,
    /// Kinds of PHI in plain words as the register names them: `names`, `diagnoses`, `ssn`.
    pub phi: Vec<String>,
    /// What the organisation did (containment, mitigation, eradication, recovery), oldest
    /// first.
    pub actions: Vec<String>,
    /// Residents affected, by state postal code.
    pub affected: BTreeMap<String, u64>,
    pub insufficient_contacts: Option<u64>,
}

impl IncidentFacts {
    /// Everyone affected, all states together.
    pub fn total_affected(&self) -> u64 {
        self.affected.values().sum()
    }
}

/// One notice, drafted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Draft {
    pub recipient: Recipient,
    pub jurisdiction: Option<String>,
    /// The file name without its extension, unique among the drafts of one plan and safe
    /// as a file name: `individuals`, `media-OH`, `hhs`, `state-regulator-CA`.
    pub file_stem: String,
    pub title: String,
    pub due: Date,
    pub citation: String,
    pub markdown: String,
    /// A complete, self-contained HTML5 document: escaped, no script, no external resource.
    pub html: String,
    /// Every place a person must still fill in, in words, in the order they appear.
    pub to_fill: Vec<String>,
}

/// One draft for each notice of `plan`, in the plan's order.
pub fn draft(plan: &Plan, facts: &Facts, rules: &Rules) -> Vec<Draft> {
    let mut stems = BTreeSet::new();
    plan.notices
        .iter()
        .map(|notice| {
            let context = Context {
                notice,
                plan,
                facts,
                rules,
            };
            let composed = match notice.recipient {
                Recipient::Individuals => individuals::letter(&context),
                Recipient::SubstituteNotice => individuals::substitute(&context),
                Recipient::Media => media::release(&context),
                Recipient::Hhs => hhs::report(&context),
                Recipient::CoveredEntity => covered_entity::notice(&context),
                Recipient::StateRegulator => regulator::notice(&context),
            };
            let document = context.document(composed);
            Draft {
                recipient: notice.recipient,
                jurisdiction: notice.jurisdiction.clone(),
                file_stem: unique_stem(file_stem(notice), &mut stems),
                title: document.title.clone(),
                due: notice.due,
                citation: notice.citation.clone(),
                markdown: document.markdown(),
                html: document.html(),
                to_fill: document.to_fill(),
            }
        })
        .collect()
}

/// What a notice is drafted from.
struct Context<'a> {
    notice: &'a Notice,
    plan: &'a Plan,
    facts: &'a Facts,
    rules: &'a Rules,
}

/// A notice as one kind of recipient needs it, before the common notes are put on top.
struct Composed {
    title: String,
    /// Who receives it, in words.
    to: Line,
    /// How and where to send it, and what to attach.
    sending: Vec<Block>,
    body: Vec<Block>,
}

impl Context<'_> {
    /// The name of the organisation giving the notice, or a place to write it.
    fn entity_name(&self) -> Span {
        let name = self.facts.entity.name.trim();
        if name.is_empty() {
            Span::fill("your organization's name")
        } else {
            Span::text(name)
        }
    }

    /// The jurisdiction in words: "Ohio (OH)", or "Federal".
    fn jurisdiction(&self) -> String {
        self.notice
            .jurisdiction
            .as_deref()
            .map_or_else(|| "Federal".to_owned(), words::state_with_code)
    }

    /// Residents of the notice's state affected, or a place to write the number when the
    /// facts do not give it.
    fn residents(&self) -> Span {
        match self
            .notice
            .jurisdiction
            .as_deref()
            .and_then(|code| self.facts.incident.affected.get(code))
        {
            Some(count) => Span::text(count.to_string()),
            None => Span::fill(format!(
                "the number of residents of {} affected",
                self.notice
                    .jurisdiction
                    .as_deref()
                    .map_or("the state", words::state_name)
            )),
        }
    }

    /// The notice to individuals that goes with this one: the state's own when it has one,
    /// else the federal one.
    fn individual_notice(&self) -> Option<&Notice> {
        let individuals = |jurisdiction: Option<&str>| {
            self.plan.notices.iter().find(|n| {
                n.recipient == Recipient::Individuals && n.jurisdiction.as_deref() == jurisdiction
            })
        };
        individuals(self.notice.jurisdiction.as_deref()).or_else(|| individuals(None))
    }

    fn has(&self, recipient: Recipient) -> bool {
        self.plan.notices.iter().any(|n| n.recipient == recipient)
    }

    /// The notes for the person preparing it, then the notice.
    fn document(&self, composed: Composed) -> Document {
        let notice = self.notice;
        let incident = &self.facts.incident;
        let mut notes = vec![Block::Fields(vec![
            Field::new("Recipient", composed.to),
            Field::new("Jurisdiction", vec![Span::text(self.jurisdiction())]),
            Field::new("Due", vec![Span::strong(words::date(notice.due))]),
            Field::new("Citation", vec![Span::text(&notice.citation)]),
            Field::new(
                "Why",
                vec![Span::text(capitalised(&words::dates_in_words(
                    &notice.reason,
                )))],
            ),
            Field::new(
                "Incident",
                vec![Span::text(format!(
                    "{}: {}",
                    incident.id.trim(),
                    incident.title.trim()
                ))],
            ),
        ])];
        if notice.counsel_review {
            notes.push(Block::Paragraph(vec![
                Span::strong("Have counsel confirm this notice before it is sent."),
                Span::text(
                    " The rule behind it leaves a point phiguard's data cannot settle (the \
                     reason above says which): have counsel confirm that it applies to you, \
                     when it is due and what it must contain.",
                ),
            ]));
        }
        notes.extend(composed.sending);
        notes.push(Block::Paragraph(vec![Span::text(
            "These notes are for the person preparing the notice and are not part of it. \
             Complete every highlighted place left to fill in before the notice is sent. This \
             is a draft prepared by phiguard from the incident's record; it is not legal \
             advice.",
        )]));
        Document {
            title: composed.title,
            notes,
            body: composed.body,
        }
    }
}

/// The file name a notice is written under: its recipient and, for a state's notice, the
/// state's code, in letters, digits and `-` only.
fn file_stem(notice: &Notice) -> String {
    let base = match notice.recipient {
        Recipient::Individuals => "individuals",
        Recipient::SubstituteNotice => "substitute-notice",
        Recipient::Media => "media",
        Recipient::Hhs => "hhs",
        Recipient::CoveredEntity => "covered-entity",
        Recipient::StateRegulator => "state-regulator",
    };
    let jurisdiction: String = notice
        .jurisdiction
        .as_deref()
        .unwrap_or_default()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    if jurisdiction.is_empty() {
        base.to_owned()
    } else {
        format!("{base}-{jurisdiction}")
    }
}

/// `stem`, or `stem-2`, `stem-3` … when an earlier draft of the plan took it: a plan names
/// each (recipient, state) once, but two drafts must never overwrite each other's files.
fn unique_stem(stem: String, taken: &mut BTreeSet<String>) -> String {
    let mut candidate = stem.clone();
    let mut n = 2;
    while !taken.insert(candidate.clone()) {
        candidate = format!("{stem}-{n}");
        n += 1;
    }
    candidate
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_are_file_name_safe_and_unique() {
        let notice = |recipient, jurisdiction: Option<&str>| Notice {
            recipient,
            jurisdiction: jurisdiction.map(str::to_owned),
            due: jiff::civil::date(2026, 4, 30),
            citation: String::new(),
            reason: String::new(),
            days_left: 0,
            counsel_review: false,
        };
        assert_eq!(
            file_stem(&notice(Recipient::StateRegulator, Some("CA"))),
            "state-regulator-CA"
        );
        assert_eq!(
            file_stem(&notice(Recipient::Media, Some("../../etc/x y"))),
            "media-etcxy"
        );
        assert_eq!(file_stem(&notice(Recipient::Hhs, Some("/"))), "hhs");
        let mut taken = BTreeSet::new();
        let stems: Vec<String> = ["hhs", "hhs", "hhs", "media-OH"]
            .into_iter()
            .map(|s| unique_stem(s.to_owned(), &mut taken))
            .collect();
        assert_eq!(stems, ["hhs", "hhs-2", "hhs-3", "media-OH"]);
    }
}
