//! `phiguard breach assess` on a terminal: each question of 45 CFR 164.402 in order, with the
//! regulation in plain words, answered into the `breach-assessment` record's fields. A flag
//! already given answers its question; an earlier assessment's answer is the default. What
//! makes an answer valid stays the record's own (its `problems`): the interview only asks.

use std::io::{BufRead, Write};

use anyhow::Context;
use phiguard_app::incident::{AssessRequest, suggested_conclusion};
use phiguard_register::Kind;
use phiguard_register::draft::{FieldSpec, Values};
use phiguard_register::records::{BreachAssessment, Incident, Risk};
use serde_json::Value;

const EXCLUSIONS: &str = "\
1. Exclusions (45 CFR 164.402(1)). It is no breach at all if one of these applies:
   unintentional_workforce  a workforce member, or someone acting under your or your
                            business associate's authority, acquired, accessed or used the
                            PHI unintentionally, in good faith and within the scope of their
                            authority, and it went no further;
   inadvertent_disclosure   someone authorised to access PHI at your organisation (or your
                            business associate, or an organised health care arrangement you
                            are part of) disclosed it by mistake to another person authorised
                            there, and it went no further;
   unable_to_retain         you believe in good faith that whoever received it could not
                            reasonably have kept it (a letter returned unopened).";

const SAFE_HARBOUR: &str = "\
2. Safe harbour (45 CFR 164.402, unsecured PHI). The notice rules cover only unsecured PHI.
   PHI is secured if it was encrypted as HHS's guidance specifies (NIST SP 800-111 at rest,
   800-52/800-77 in transit) and the key was not compromised (kept apart from the data, not
   taken with it), or if the media were destroyed as the guidance specifies.";

const FACTORS: &str = "\
3. The four factors (45 CFR 164.402(2)). Otherwise the use or disclosure is presumed a breach,
   unless a risk assessment of these four factors shows a low probability that the PHI has
   been compromised. Weigh each low, medium or high, and say why.";

const DELAY: &str = "\
5. Law enforcement (45 CFR 164.412). If a law-enforcement official said notice would impede a
   criminal investigation or damage national security, notice waits: for the period a written
   statement gives, or up to 30 days from an oral one.";

/// The four factors: the field of the level, the field of its rationale, the question.
const FACTOR_FIELDS: [(&str, &str, &str); 4] = [
    (
        "nature",
        "nature_rationale",
        "Factor 1, the nature and extent of the PHI: which identifiers, how sensitive, how \
         likely it can be tied to a person",
    ),
    (
        "recipient",
        "recipient_rationale",
        "Factor 2, who used it or received it: a covered entity bound by HIPAA weighs low, an \
         unknown thief high",
    ),
    (
        "acquired",
        "acquired_rationale",
        "Factor 3, whether it was actually acquired or viewed (a forensic review can show it \
         was not)",
    ),
    (
        "mitigated",
        "mitigated_rationale",
        "Factor 4, how far the risk is mitigated (the recipient's assurance it was destroyed)",
    ),
];

/// The flags a new assessment cannot go without and that were not given.
pub fn missing_flags(answers: &Values) -> Vec<String> {
    form_fields()
        .filter(|field| field.required && field.default.is_none() && field.name != "incident")
        .filter(|field| !answers.contains_key(field.name))
        .map(|field| format!("--{}", field.flag))
        .collect()
}

fn form_fields() -> impl Iterator<Item = &'static FieldSpec> {
    Kind::BreachAssessment.form().fields.iter()
}

fn field(name: &str) -> anyhow::Result<&'static FieldSpec> {
    Kind::BreachAssessment
        .form()
        .field(name)
        .with_context(|| format!("a breach assessment has no field {name} (a defect)"))
}

/// Questions asked on `output`, answers read from `input`.
pub struct Interview<'a> {
    input: &'a mut dyn BufRead,
    output: &'a mut dyn Write,
    /// The earlier assessment's answers, the defaults.
    current: Values,
}

impl<'a> Interview<'a> {
    pub fn new(input: &'a mut dyn BufRead, output: &'a mut dyn Write) -> Interview<'a> {
        Interview {
            input,
            output,
            current: Values::new(),
        }
    }

    /// Asks every question of the assessment of `incident` that `request` does not answer
    /// yet, and puts the answers into it.
    pub fn run(
        &mut self,
        incident: &Incident,
        current: Option<&BreachAssessment>,
        request: &mut AssessRequest,
        actor: Option<&str>,
    ) -> anyhow::Result<()> {
        if let Some(Value::Object(values)) = current.and_then(|c| serde_json::to_value(c).ok()) {
            self.current = values;
        }
        for cleared in &request.unset {
            self.current.remove(cleared.as_str());
        }
        self.say(&format!(
            "Breach assessment of incident {}: {}\nEach answer needs its reason: 45 CFR \
             164.414(b) puts the burden of proof on you. Press Enter to keep the answer in \
             [brackets].\n",
            incident.id,
            phiguard_core::escape_controls(&incident.title)
        ))?;

        self.say(EXCLUSIONS)?;
        self.choice_or_none(
            request,
            "exclusion",
            "Which exclusion applies (or none)",
            &[],
        )?;
        let excluded = has(request, &self.current, "exclusion");
        self.text(
            request,
            "exclusion_rationale",
            if excluded {
                "Why it applies"
            } else {
                "Why none applies (optional)"
            },
            excluded,
        )?;

        self.say(&format!("\n{SAFE_HARBOUR}"))?;
        if let Some(evidence) = &request.sealed_evidence {
            self.say(&format!("   phiguard's keyring says: {evidence}"))?;
        }
        let secured = self.yes_no(request, "secured", "Was the PHI secured (yes or no)")?;
        self.text(
            request,
            "secured_rationale",
            if secured {
                "How it was secured, and where the key was"
            } else {
                "Why it was not secured (optional)"
            },
            secured,
        )?;

        let excluded = excluded || secured;
        if excluded {
            self.say(
                "\n3. An exclusion or the safe harbour applies: it is no breach, so the four \
                 factors are not needed.",
            )?;
        } else {
            self.say(&format!("\n{FACTORS}"))?;
            for (level, rationale, question) in FACTOR_FIELDS {
                self.text(
                    request,
                    level,
                    &format!("{question} (low, medium or high)"),
                    true,
                )?;
                self.text(request, rationale, "Why", true)?;
            }
        }

        let factors = FACTOR_FIELDS.map(|(level, _, _)| {
            effective(request, &self.current, level)
                .and_then(|value| serde_json::from_value::<Risk>(value).ok())
        });
        let suggested = suggested_conclusion(excluded, factors);
        if !request.answers.contains_key("conclusion") {
            self.say(&format!(
                "\n4. Conclusion: no_breach, low_probability or notifiable. From these answers \
                 phiguard suggests {suggested}; you decide."
            ))?;
            self.current
                .insert("conclusion".into(), Value::String(suggested.to_string()));
            self.text(request, "conclusion", "Conclusion", true)?;
            if let Some(actor) = actor.filter(|_| !self.current.contains_key("decided_by")) {
                self.current
                    .insert("decided_by".into(), Value::String(actor.to_owned()));
            }
            self.text(request, "decided_by", "Who decided (name and role)", true)?;
        } else {
            self.text(request, "decided_by", "Who decided (name and role)", true)?;
        }

        self.say(&format!("\n{DELAY}"))?;
        let delay = self.choice_or_none(
            request,
            "delay",
            "Was notice asked to wait: oral, written or none",
            &["delay_stated", "delay_until"],
        )?;
        match delay.as_deref() {
            Some("oral") => self.text(
                request,
                "delay_stated",
                "The day the official said so (YYYY-MM-DD)",
                true,
            )?,
            Some("written") => self.text(
                request,
                "delay_until",
                "The last day of the period the statement gives (YYYY-MM-DD)",
                true,
            )?,
            _ => {}
        }
        Ok(())
    }

    fn say(&mut self, text: &str) -> anyhow::Result<()> {
        writeln!(self.output, "{text}").context("could not write the question")
    }

    /// One line of answer; `None` at the end of the input.
    fn read(&mut self, question: &str, default: Option<&str>) -> anyhow::Result<Option<String>> {
        match default.filter(|d| !d.is_empty()) {
            Some(default) => write!(
                self.output,
                "{question} [{}]: ",
                phiguard_core::escape_controls(default)
            ),
            None => write!(self.output, "{question}: "),
        }
        .and_then(|()| self.output.flush())
        .context("could not write the question")?;
        let mut line = String::new();
        let read = self
            .input
            .read_line(&mut line)
            .context("could not read the answer")?;
        Ok((read > 0).then(|| line.trim().to_owned()))
    }

    /// Asks for the field `name` unless a flag gave it, until the answer is one the field
    /// takes; Enter keeps the current answer, or leaves an optional field out.
    fn text(
        &mut self,
        request: &mut AssessRequest,
        name: &str,
        question: &str,
        required: bool,
    ) -> anyhow::Result<()> {
        if request.answers.contains_key(name) {
            return Ok(());
        }
        let spec = field(name)?;
        let default = self.current.get(name).map(shown);
        loop {
            let Some(answer) = self.read(question, default.as_deref())? else {
                return Err(ended(question));
            };
            let answer = match (answer.is_empty(), &default) {
                (false, _) => answer,
                (true, Some(default)) => default.clone(),
                (true, None) if !required => return Ok(()),
                (true, None) => {
                    self.say("An answer is needed here.")?;
                    continue;
                }
            };
            match (spec.parse)(&answer) {
                Ok(value) => {
                    request.answers.insert(name.to_owned(), value);
                    return Ok(());
                }
                Err(reason) => self.say(&reason)?,
            }
        }
    }

    /// A choice of the field `name`, or `none`, which clears it and the fields `with` it.
    /// Returns the choice.
    fn choice_or_none(
        &mut self,
        request: &mut AssessRequest,
        name: &str,
        question: &str,
        with: &[&str],
    ) -> anyhow::Result<Option<String>> {
        if let Some(value) = request.answers.get(name) {
            return Ok(Some(shown(value)));
        }
        loop {
            let default = self
                .current
                .get(name)
                .map_or_else(|| "none".to_owned(), shown);
            let Some(answer) = self.read(question, Some(&default))? else {
                return Err(ended(question));
            };
            let answer = if answer.is_empty() { default } else { answer };
            if answer.eq_ignore_ascii_case("none") {
                // Clear what the earlier assessment recorded; a flag's answer stays.
                for cleared in std::iter::once(&name).chain(with) {
                    let recorded = self.current.remove(*cleared).is_some();
                    if recorded
                        && !request.answers.contains_key(*cleared)
                        && !request.unset.iter().any(|u| u == cleared)
                    {
                        request.unset.push((*cleared).to_owned());
                    }
                }
                return Ok(None);
            }
            match (field(name)?.parse)(&answer) {
                Ok(value) => {
                    let chosen = shown(&value);
                    request.answers.insert(name.to_owned(), value);
                    request.unset.retain(|u| u != name);
                    return Ok(Some(chosen));
                }
                Err(reason) => self.say(&reason)?,
            }
        }
    }

    /// A yes-or-no field, unless a flag gave it.
    fn yes_no(
        &mut self,
        request: &mut AssessRequest,
        name: &str,
        question: &str,
    ) -> anyhow::Result<bool> {
        if let Some(value) = request.answers.get(name) {
            return Ok(value.as_bool().unwrap_or(false));
        }
        let default = match self.current.get(name).and_then(Value::as_bool) {
            Some(true) => "yes",
            _ => "no",
        };
        loop {
            let Some(answer) = self.read(question, Some(default))? else {
                return Err(ended(question));
            };
            let answer = if answer.is_empty() {
                default.to_owned()
            } else {
                answer.to_ascii_lowercase()
            };
            let yes = match answer.as_str() {
                "y" | "yes" | "true" => true,
                "n" | "no" | "false" => false,
                _ => {
                    self.say("Answer yes or no.")?;
                    continue;
                }
            };
            request.answers.insert(name.to_owned(), Value::Bool(yes));
            return Ok(yes);
        }
    }
}

/// An answer as the person typed it: text as it is, anything else as JSON.
fn shown(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Bool(true) => "yes".into(),
        Value::Bool(false) => "no".into(),
        other => other.to_string(),
    }
}

/// The answer to `name` as the assessment will have it: given, or kept from before.
fn effective(request: &AssessRequest, current: &Values, name: &str) -> Option<Value> {
    if request.unset.iter().any(|u| u == name) {
        return None;
    }
    request
        .answers
        .get(name)
        .or_else(|| current.get(name))
        .cloned()
}

fn has(request: &AssessRequest, current: &Values, name: &str) -> bool {
    effective(request, current, name).is_some_and(|v| v != Value::String("none".into()))
}

fn ended(question: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "the input ended before an answer to {question:?}; nothing was recorded. Give the \
         answers as flags with --no-input (see `phiguard breach assess --help`)"
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn incident() -> Incident {
        serde_json::from_value(serde_json::json!({
            "id": "lost-laptop", "title": "Laptop stolen", "source": "workforce",
            "reported_by": "Dr. Lee", "discovered": "2026-03-01T09:30:00Z"
        }))
        .unwrap()
    }

    fn interview(
        answers: &str,
        current: Option<&BreachAssessment>,
        request: &mut AssessRequest,
    ) -> anyhow::Result<String> {
        let mut input = answers.as_bytes();
        let mut output = Vec::new();
        Interview::new(&mut input, &mut output).run(&incident(), current, request, Some("Dana"))?;
        Ok(String::from_utf8(output).unwrap())
    }

    #[test]
    fn each_question_is_asked_in_order_and_answers_become_fields() {
        let mut request = AssessRequest::default();
        let answers = "\n\nno\n\nhigh\nNames and diagnoses\nhigh\nUnknown thief\n\
                       medium\nNot known\nlow\nNot recovered\n\nPat (Privacy Officer)\n\n";
        let asked = interview(answers, None, &mut request).unwrap();
        let order = [
            "164.402(1)",
            "Safe harbour",
            "four factors",
            "Conclusion",
            "164.412",
        ];
        let at: Vec<usize> = order.iter().map(|o| asked.find(o).unwrap()).collect();
        assert!(at.is_sorted(), "{asked}");
        assert!(asked.contains("phiguard suggests notifiable"), "{asked}");
        let answers = serde_json::Value::Object(request.answers);
        assert_eq!(answers["secured"], false);
        assert_eq!(answers["nature"], "high");
        assert_eq!(answers["mitigated_rationale"], "Not recovered");
        // Enter took the suggestion.
        assert_eq!(answers["conclusion"], "notifiable");
        assert_eq!(answers["decided_by"], "Pat (Privacy Officer)");
        assert!(answers.get("exclusion").is_none());
        assert!(answers.get("delay").is_none());
    }

    #[test]
    fn a_wrong_answer_is_asked_again_and_flags_are_not_asked() {
        let mut request = AssessRequest::default();
        request
            .answers
            .insert("decided_by".into(), Value::String("Flag".into()));
        let answers = "sometimes\nunable_to_retain\n\nLetter came back sealed\nmaybe\nno\n\n\n\n";
        let asked = interview(answers, None, &mut request).unwrap();
        assert!(asked.contains("is not an exclusion"), "{asked}");
        assert!(asked.contains("An answer is needed here."), "{asked}");
        assert!(asked.contains("Answer yes or no."), "{asked}");
        assert!(asked.contains("the four factors are not needed"), "{asked}");
        assert!(asked.contains("phiguard suggests no_breach"), "{asked}");
        assert!(!asked.contains("Who decided"), "{asked}");
        assert_eq!(request.answers["exclusion"], "unable_to_retain");
        assert_eq!(request.answers["conclusion"], "no_breach");
        assert_eq!(request.answers["decided_by"], "Flag");
    }

    #[test]
    fn an_earlier_answer_is_the_default_and_none_clears_it() {
        let current: BreachAssessment = serde_json::from_value(serde_json::json!({
            "id": "lost-laptop", "incident": "lost-laptop",
            "exclusion": "unable_to_retain", "exclusion_rationale": "Returned sealed",
            "conclusion": "no_breach", "decided_by": "Pat", "decided": "2026-03-05",
            "delay": "oral", "delay_stated": "2026-03-04"
        }))
        .unwrap();
        let mut request = AssessRequest::default();
        // none for the exclusion, keep the rationale, not secured, four factors, the
        // suggested conclusion, Pat again, and no delay any more.
        let answers = "none\n\n\n\nlow\na\nlow\nb\nlow\nc\nlow\nd\n\n\nnone\n";
        let asked = interview(answers, Some(&current), &mut request).unwrap();
        assert!(asked.contains("[unable_to_retain]"), "{asked}");
        assert!(
            asked.contains("phiguard suggests low_probability"),
            "{asked}"
        );
        assert_eq!(request.answers["conclusion"], "low_probability");
        assert_eq!(request.answers["decided_by"], "Pat");
        assert_eq!(request.unset, ["exclusion", "delay", "delay_stated"]);
    }

    #[test]
    fn input_that_ends_early_records_nothing_and_says_how_to_answer() {
        let mut request = AssessRequest::default();
        let error = interview("none\n", None, &mut request).unwrap_err();
        assert!(error.to_string().contains("--no-input"), "{error}");
    }

    #[test]
    fn the_flags_a_new_assessment_needs_are_named() {
        assert_eq!(
            missing_flags(&Values::new()),
            ["--conclusion", "--decided-by"]
        );
        let mut given = Values::new();
        given.insert("conclusion".into(), Value::String("notifiable".into()));
        assert_eq!(missing_flags(&given), ["--decided-by"]);
    }
}
