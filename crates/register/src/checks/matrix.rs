//! The responsibility matrix: every control the organisation carries, alone or shared with its
//! cloud provider, has someone in the organisation who answers for it.

use phiguard_core::{CheckMeta, Finding, Severity, Status};

use super::{Cite, Rule, Scope, or_not_applicable};

pub(super) fn rules() -> Vec<Rule> {
    vec![Rule::new(
        "register.matrix.owner",
        "every control the organisation carries has an owner",
        Severity::High,
        "Under the shared-responsibility model the cloud provider carries some safeguards and \
         the customer the rest; 45 CFR 164.308(a)(2) requires a security official responsible \
         for the policies and procedures. A control marked customer or shared that nobody owns \
         is the gap auditors find first: each side assumes the other does it.",
        "Name the person or team who answers for each listed control: `phiguard register \
         responsibility update CONTROL --owner NAME`. To load the provider's matrix first, use \
         `phiguard matrix import FILE.csv`.",
        owner,
    )]
}

fn owner(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    let matrix = &scope.snapshot.matrix;
    if matrix.is_empty() {
        return vec![meta.finding(
            Status::NotApplicable,
            "responsibility matrix",
            "the responsibility matrix is empty; import the provider's matrix with `phiguard \
             matrix import FILE.csv`",
        )];
    }
    let findings = matrix
        .values()
        .filter(|row| row.record.responsibility.needs_owner())
        .map(|row| {
            let control = row.record.control();
            let carried = row.record.responsibility.as_str();
            let owner = row
                .record
                .owner
                .as_deref()
                .map(str::trim)
                .filter(|o| !o.is_empty());
            let finding = match owner {
                Some(owner) => meta.finding(
                    Status::Pass,
                    format!("control {control}"),
                    format!("{control} ({carried}) is owned by {owner}."),
                ),
                None => meta.finding(
                    Status::Fail,
                    format!("control {control}"),
                    format!(
                        "{control} is marked {carried}, so the organisation must carry it, but \
                         no one owns it. Name an owner."
                    ),
                ),
            };
            finding.citing([row.evidence])
        })
        .collect();
    or_not_applicable(
        meta,
        findings,
        "responsibility matrix",
        "every control in the responsibility matrix is the provider's or not applicable, so none \
         needs an owner in the organisation",
    )
}
