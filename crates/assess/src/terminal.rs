//! The scorecard on a terminal: counts per safeguard family, the failures that matter most
//! with what to do, and how to verify the evidence.

use phiguard_core::Escaped;
use phiguard_core::spelling::{count, plural};

use crate::evaluate::{Assessment, ControlStatus, Tally};

/// Failures listed in full; the rest are in the HTML report and `--json`.
const TOP_FAILURES: usize = 10;

/// Width of a family's bar, in characters.
const BAR_WIDTH: usize = 30;

pub fn render(assessment: &Assessment) -> String {
    let mut text = format!(
        "HIPAA assessment of {} ({} profile), {}\nOrganisation: {}\n\n",
        Escaped(&assessment.installation),
        assessment.profile.as_str(),
        assessment.today,
        Escaped(&assessment.organization())
    );
    let name_width = assessment
        .families
        .iter()
        .map(|(family, _)| family.title().chars().count())
        .max()
        .unwrap_or(0);
    for (family, tally) in &assessment.families {
        text.push_str(&format!(
            "{:<name_width$}  {}  {}\n",
            family.title(),
            bar(tally),
            counts(tally)
        ));
    }
    text.push_str(&format!(
        "{:<name_width$}  {}  {}\n",
        "All controls",
        bar(&assessment.summary),
        counts(&assessment.summary)
    ));
    text.push_str("\nbar: # met, + partial, x not met, ? unknown, . not applicable\n");

    let failures = assessment.failures();
    if !failures.is_empty() {
        text.push_str(&format!(
            "\nTop failures ({} of {} not met or partial):\n",
            failures.len().min(TOP_FAILURES),
            failures.len()
        ));
        for control in failures.iter().take(TOP_FAILURES) {
            text.push_str(&format!(
                "  {:<9} {} {} ({})\n",
                control.status.as_str(),
                control.cite,
                control.name,
                control.basis
            ));
            if let Some(finding) = control.attention.first() {
                text.push_str(&format!(
                    "            {}: {}\n",
                    Escaped(&finding.subject),
                    Escaped(&finding.message)
                ));
            }
            if let Some(step) = control.remediation.first() {
                text.push_str(&format!("            fix: {}\n", first_sentence(step)));
            }
        }
    }
    let unknown = assessment.summary.unknown;
    if unknown > 0 {
        text.push_str(&format!(
            "\n{} {} unknown: no check covers {them} yet or nobody attested to {them}. \
             `phiguard attest CONTROL --by NAME --statement TEXT` records an attestation.\n",
            count(unknown, "control"),
            plural(unknown, "is"),
            them = if unknown == 1 { "it" } else { "them" },
        ));
    }
    for note in &assessment.notes {
        text.push_str(&format!("note: {}\n", Escaped(note)));
    }
    match &assessment.checkpoint {
        Some(checkpoint) => text.push_str(&format!(
            "\nEvidence: ledger {} at size {} (root {}); verify with `phiguard ledger verify`.",
            Escaped(&checkpoint.origin),
            checkpoint.size,
            checkpoint.root
        )),
        None => text.push_str("\nEvidence: no signed ledger checkpoint was made for this run."),
    }
    text
}

fn counts(tally: &Tally) -> String {
    ControlStatus::ALL
        .iter()
        .map(|status| format!("{} {}", tally.get(*status), status.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A bar of `BAR_WIDTH` characters split by status, each status at least one character when
/// present so a single failure is never rounded away.
fn bar(tally: &Tally) -> String {
    let total = tally.total();
    if total == 0 {
        return " ".repeat(BAR_WIDTH + 2);
    }
    let symbols = [
        (ControlStatus::Met, '#'),
        (ControlStatus::Partial, '+'),
        (ControlStatus::NotMet, 'x'),
        (ControlStatus::Unknown, '?'),
        (ControlStatus::NotApplicable, '.'),
    ];
    let mut widths: Vec<usize> = symbols
        .iter()
        .map(|(status, _)| {
            let count = tally.get(*status);
            if count == 0 {
                0
            } else {
                (count * BAR_WIDTH / total).max(1)
            }
        })
        .collect();
    // Give the rounding difference to the largest share.
    let used: usize = widths.iter().sum();
    if let Some(largest) = (0..widths.len()).max_by_key(|&i| widths[i]) {
        widths[largest] = (widths[largest] + BAR_WIDTH).saturating_sub(used);
    }
    let inner: String = symbols
        .iter()
        .zip(&widths)
        .map(|((_, symbol), width)| symbol.to_string().repeat(*width))
        .collect();
    format!("[{inner}]")
}

fn first_sentence(text: &str) -> &str {
    match text.find(". ") {
        Some(end) => &text[..=end],
        None => text,
    }
}
