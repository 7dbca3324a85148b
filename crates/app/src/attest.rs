//! Attestations: a person's statement that a control no machine can check is met, recorded
//! in the register (and so the ledger) against a control of the catalog, standing 12 months.

use std::path::PathBuf;

use anyhow::Context;
use phiguard_core::EvidenceRef;

use crate::session::{Session, builtin_catalog, today};

/// An attestation to record: someone's statement that a control no machine can check is met.
#[derive(Debug, Clone)]
pub struct AttestRequest {
    /// The control, as the catalog names it (a citation with or without its prefix, or an id).
    pub control: String,
    /// Who attests: name and role.
    pub by: String,
    pub statement: String,
    /// The document that backs it; its SHA-256 is recorded.
    pub evidence: Option<PathBuf>,
    /// The day of the attestation; `None` is today.
    pub date: Option<jiff::civil::Date>,
}

/// An attestation as recorded.
#[derive(Debug, serde::Serialize)]
pub struct Attested {
    pub control: String,
    pub name: String,
    /// The control's citation as people read it.
    #[serde(skip)]
    pub cite: String,
    pub valid_until: jiff::civil::Date,
    pub evidence: EvidenceRef,
}

/// An attestation checked against the catalog, ready to record.
#[derive(Debug, Clone)]
pub struct PendingAttestation {
    pub record: phiguard_register::records::Attestation,
    /// The control's name and citation as people read them.
    pub name: String,
    pub cite: String,
}

/// The attestation `request` asks for, checked against the catalog, before any installation
/// is opened: a control the catalog lacks, or an evidence file that cannot be read, is
/// refused without creating a home.
pub fn attestation(request: &AttestRequest) -> anyhow::Result<PendingAttestation> {
    let catalog = builtin_catalog()?;
    // A citation typed with its prefix (`45 CFR § 164.310(b)`) names the same control.
    let wanted = request
        .control
        .parse::<phiguard_core::ControlId>()
        .map(|id| id.to_string())
        .unwrap_or_else(|_| request.control.trim().to_owned());
    let control = catalog.get(&wanted).with_context(|| {
        format!(
            "{:?} is not a control of the catalog; `phiguard assess --json | jq '.controls[].id'` lists them",
            request.control
        )
    })?;
    let record = phiguard_register::records::Attestation {
        control: control.id.clone(),
        by: request.by.clone(),
        statement: request.statement.clone(),
        date: request.date.unwrap_or_else(today),
        evidence: request
            .evidence
            .as_deref()
            .map(crate::register::document)
            .transpose()?,
    };
    Ok(PendingAttestation {
        record,
        name: control.name.clone(),
        cite: control.cite.clone(),
    })
}

/// Records `pending` in the register, replacing an earlier attestation of the control; the
/// evidence is the ledger entry of the attestation as it stands.
pub async fn attest(
    session: &Session,
    pending: &PendingAttestation,
    source: &phiguard_core::Source,
) -> anyhow::Result<Attested> {
    let control = pending.record.control.clone();
    let applied = session
        .register
        .apply(
            &[phiguard_register::Change::Put(
                pending.record.clone().into(),
            )],
            source,
            jiff::Timestamp::now(),
        )
        .await?;
    let evidence = match applied.first() {
        Some(applied) => applied.evidence,
        None => session
            .register
            .snapshot()
            .await?
            .evidence_of(phiguard_register::Kind::Attestation, &control)
            .context("the attestation is not in the register")?,
    };
    Ok(Attested {
        control,
        name: pending.name.clone(),
        cite: pending.cite.clone(),
        valid_until: pending.record.valid_until(),
        evidence,
    })
}
