//! The register's own integrity: every stored record matches the ledger entry that recorded
//! it, so the other checks judge what people actually recorded through phiguard.

use phiguard_core::{CheckMeta, Finding, Severity, Status};

use super::{Cite, Rule, Scope, subject};
use crate::Kind;

pub(super) fn rules() -> Vec<Rule> {
    vec![Rule::new(
        "register.integrity",
        "the register matches its ledger",
        Severity::Critical,
        "45 CFR 164.312(c)(1) requires protecting information from improper alteration, and \
         164.316(b) requires keeping the documentation of compliance. A register record that \
         differs from the ledger entry that recorded it was edited or removed outside phiguard: \
         an unrecorded change to a BAA, a training record or an access grant undermines every \
         finding built on it.",
        "Find out who changed the record and why: compare it with its recorded history \
         (`phiguard register history KIND ID`). Until the database matches its ledger again, \
         every other register command refuses to read or change the register: restore the \
         database from a backup taken before the change, then make any legitimate change again \
         through phiguard so the ledger records who made it. Treat a change nobody can explain \
         as a security incident (164.308(a)(6)).",
        integrity,
    )]
}

fn integrity(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    let snapshot = scope.snapshot;
    if snapshot.tampered.is_empty() {
        let records: usize = Kind::ALL.iter().map(|kind| snapshot.count(*kind)).sum();
        let message = if records == 0 {
            "the register holds no records yet, so none can have been changed outside phiguard."
                .to_owned()
        } else {
            format!(
                "all {records} records in the register match the ledger entries that recorded \
                 them."
            )
        };
        return vec![meta.finding(Status::Pass, "register", message)];
    }
    snapshot
        .tampered
        .iter()
        .map(|t| {
            meta.finding(
                Status::Fail,
                subject(t.kind, &t.id),
                format!(
                    "{}: the {} {} was changed outside phiguard, so the other checks judged it \
                     as the ledger last recorded it; compare it with `phiguard register history \
                     {} {}`.",
                    t.detail, t.kind, t.id, t.kind, t.id
                ),
            )
            .citing([snapshot.evidence_of(t.kind, &t.id)])
        })
        .collect()
}
