//! The scorecard on a terminal: counts per safeguard family, the problems that matter most
//! (ranked as [`crate::ranking`] says) with what to do, and how to verify the evidence.

use phiguard_core::Escaped;
use phiguard_core::spelling::{count, plural};

use crate::evaluate::{Assessment, ControlStatus, SAMPLE_DATA_NOTICE, Tally};
use crate::history::FindingKey;
use crate::ranking::Problem;

/// Problems listed; the rest are in the HTML report and `--json`.
const TOP_FAILURES: usize = 10;

/// Findings listed under a problem that has several; the rest are counted.
const FINDINGS_SHOWN: usize = 3;

/// Width of a family's bar, in characters.
const BAR_WIDTH: usize = 30;

pub fn render(assessment: &Assessment) -> String {
    let mut text = format!(
        "HIPAA assessment of {} ({} profile), {}{}\n",
        Escaped(&assessment.subject()),
        assessment.profile.as_str(),
        assessment.today,
        assessment.sample_mark(),
    );
    if assessment.sample {
        text.push_str(&format!("{SAMPLE_DATA_NOTICE}\n"));
    }
    text.push_str(&format!(
        "Organisation: {}, {}\nScope: {}\n\n",
        Escaped(assessment.organization_label()),
        Escaped(&assessment.role_label()),
        Escaped(assessment.scope_label())
    ));
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

    let problems = assessment.problems();
    if !problems.is_empty() {
        text.push_str(&format!(
            "\nTop problems ({} of {}, worst first: severity × required × protects ePHI):\n",
            problems.len().min(TOP_FAILURES),
            problems.len()
        ));
        for problem in problems.iter().take(TOP_FAILURES) {
            problem_lines(problem, &mut text);
        }
        if problems.len() > TOP_FAILURES {
            text.push_str(&format!(
                "  … {} more in the HTML report (--html FILE) and in --json.\n",
                problems.len() - TOP_FAILURES
            ));
        }
    }
    since_previous(assessment, &mut text);
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
    match &assessment.sign_off {
        Some(sign_off) => text.push_str(&format!(
            "\nSigned off by {} on {}{} (ledger entry {}, for the assessment recorded as entry {}).\n",
            Escaped(&sign_off.by),
            sign_off.at.strftime("%Y-%m-%d %H:%M UTC"),
            sign_off
                .account
                .as_deref()
                .map_or(String::new(), |account| format!(
                    " from the account {}",
                    Escaped(account)
                )),
            sign_off.evidence.seq,
            sign_off.assessment.seq
        )),
        None => text.push_str(
            "\nNot signed off: `phiguard assess --sign-off NAME` records who reviewed the \
             assessment and stands behind it.\n",
        ),
    }
    match &assessment.checkpoint {
        Some(checkpoint) => text.push_str(&format!(
            "\nEvidence: ledger {} at size {} (root {}); verify with `phiguard ledger verify`, \
             or offline: `phiguard ledger export --out DIR`, then `phiguard ledger verify \
             --bundle DIR --key KEY` on another machine.",
            Escaped(&checkpoint.origin),
            checkpoint.size,
            checkpoint.root
        )),
        None => text.push_str("\nEvidence: no signed ledger checkpoint was made for this run."),
    }
    text
}

/// One problem: its rank and weighting, what was found, the controls it affects, the first fix.
fn problem_lines(problem: &Problem, text: &mut String) {
    text.push_str(&format!(
        "{:>4}. [{}] {}\n",
        problem.rank,
        problem.weighting(),
        Escaped(&problem.headline())
    ));
    if problem.findings.len() > 1 {
        for finding in problem.findings.iter().take(FINDINGS_SHOWN) {
            text.push_str(&format!(
                "        {}: {}\n",
                Escaped(&finding.subject),
                Escaped(&finding.message)
            ));
        }
        if problem.findings.len() > FINDINGS_SHOWN {
            text.push_str(&format!(
                "        … and {} more, all in the HTML report and in --json\n",
                problem.findings.len() - FINDINGS_SHOWN
            ));
        }
    }
    let controls: Vec<String> = problem
        .controls
        .iter()
        .map(|c| format!("{} {} ({})", c.cite, c.name, c.status.as_str()))
        .collect();
    text.push_str(&format!("        affects: {}\n", controls.join("; ")));
    if let Some(step) = problem.first_fix() {
        text.push_str(&format!("        fix: {}\n", Escaped(first_sentence(step))));
    }
}

/// What changed since the previous assessment, each list cut at [`TOP_FAILURES`] lines.
fn since_previous(assessment: &Assessment, text: &mut String) {
    let Some(since) = &assessment.since_previous else {
        text.push_str("\nNo earlier assessment is recorded in the ledger to compare with.\n");
        return;
    };
    text.push_str(&format!(
        "\nSince the previous assessment ({}, ledger entry {}{}):",
        since.assessed_at.strftime("%Y-%m-%d %H:%M UTC"),
        since.previous.seq,
        since.other_profile.map_or(String::new(), |p| format!(
            "; it used the {} profile, so only the controls both measured are compared",
            p.as_str()
        ))
    ));
    if since.is_unchanged() {
        text.push_str(" nothing changed");
    }
    if !since.findings_compared {
        text.push_str(" (it recorded no findings, so only statuses are compared)");
    }
    text.push('\n');
    let changed: Vec<String> = since
        .changed
        .iter()
        .map(|c| {
            format!(
                "{} {}: {} → {}",
                c.cite,
                c.name,
                c.from.as_str(),
                c.to.as_str()
            )
        })
        .collect();
    let finding = |key: &FindingKey| {
        format!(
            "{} {} ({}, {})",
            key.check,
            Escaped(&key.subject),
            key.status,
            key.severity
        )
    };
    for ((one, many), lines) in [
        (
            ("control changed status", "controls changed status"),
            changed,
        ),
        (
            ("new finding", "new findings"),
            since.new_findings.iter().map(finding).collect(),
        ),
        (
            ("resolved finding", "resolved findings"),
            since.resolved_findings.iter().map(finding).collect(),
        ),
    ] {
        if lines.is_empty() {
            continue;
        }
        text.push_str(&format!("  {}:\n", crate::plural(lines.len(), one, many)));
        for line in lines.iter().take(TOP_FAILURES) {
            text.push_str(&format!("    {line}\n"));
        }
        if lines.len() > TOP_FAILURES {
            text.push_str(&format!(
                "    … and {} more, all in the HTML report and in --json\n",
                lines.len() - TOP_FAILURES
            ));
        }
    }
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

/// The first sentence of a remediation step: up to the first ". " that does not end an
/// abbreviation ("e.g. ", "i.e. ").
fn first_sentence(text: &str) -> &str {
    let mut from = 0;
    while let Some(at) = text[from..].find(". ").map(|at| from + at) {
        let before = &text[..at];
        if !(before.ends_with("e.g") || before.ends_with("i.e")) {
            return &text[..=at];
        }
        from = at + 2;
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_sentence_does_not_stop_at_an_abbreviation() {
        assert_eq!(
            first_sentence("Accept them only from, e.g. 10.0.0.0/8, or a VPN. Then reload."),
            "Accept them only from, e.g. 10.0.0.0/8, or a VPN."
        );
        assert_eq!(first_sentence("One. Two."), "One.");
        assert_eq!(first_sentence("No full stop"), "No full stop");
    }
}
