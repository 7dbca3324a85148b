//! `phiguard assess`: everything phiguard knows, turned into the status of every HIPAA control
//! with its evidence; `phiguard attest`: the statements that stand in for what no machine can
//! check.

use std::path::Path;

use anyhow::Context;
use phiguard_app::assess::{AssessRequest, Source};
use phiguard_app::attest::AttestRequest;
use phiguard_app::cloud::AwsRequest;
use phiguard_assess::{Assessment, ControlStatus};

use crate::Outcome;
use crate::cli::{AssessArgs, AssessCloud, AssessSource, AttestArgs, FailOn, GlobalArgs};
use crate::commands::register::{Session, change_source};
use crate::output::Output;

pub async fn run(global: &GlobalArgs, args: &AssessArgs, out: &Output) -> anyhow::Result<Outcome> {
    Session::run(global, out, async |session| {
        let assessment = assess(session, args).await?;
        if let Some(path) = &args.csv {
            let mut csv = Vec::new();
            phiguard_assess::spreadsheet::write(&assessment, &mut csv)?;
            write_file(path, &csv)?;
            out.note(&format!(
                "Wrote every control as CSV to {}.",
                path.display()
            ));
        }
        report(
            &assessment,
            args.html.as_deref(),
            args.oscal.as_deref(),
            out,
        )?;
        let worst = match args.fail_on {
            None => None,
            Some(FailOn::NotMet) => Some(vec![ControlStatus::NotMet]),
            Some(FailOn::Partial) => Some(vec![ControlStatus::NotMet, ControlStatus::Partial]),
            Some(FailOn::Unknown) => Some(vec![
                ControlStatus::NotMet,
                ControlStatus::Partial,
                ControlStatus::Unknown,
            ]),
        };
        let failing = worst.is_some_and(|statuses| {
            assessment
                .controls
                .iter()
                .any(|control| statuses.contains(&control.status))
        });
        Ok(if failing {
            Outcome::FailingFindings
        } else {
            Outcome::Ok
        })
    })
    .await
}

/// Runs every source of evidence, judges every control, records the result in the ledger and
/// signs a checkpoint the reports name; the steps announced as notes, with progress bars.
pub async fn assess(session: &Session<'_>, args: &AssessArgs) -> anyhow::Result<Assessment> {
    let request = AssessRequest {
        profile: args.profile,
        skip: args
            .skip
            .iter()
            .map(|source| match source {
                AssessSource::Host => Source::Host,
                AssessSource::Fim => Source::Fim,
                AssessSource::Ledger => Source::Ledger,
            })
            .collect(),
        root: args.root.clone(),
        system: args.system.clone(),
        sign_off: args.sign_off.clone(),
        cloud: args.cloud.map(|AssessCloud::Aws| AwsRequest::default()),
    };
    let out = session.out;
    phiguard_app::assess::assess(session.app, &request, out, out.bars()).await
}

/// Writes the reports asked for, then the scorecard (or the JSON) on stdout.
pub fn report(
    assessment: &Assessment,
    html: Option<&Path>,
    oscal: Option<&Path>,
    out: &Output,
) -> anyhow::Result<()> {
    if let Some(path) = html {
        write_file(path, phiguard_assess::html::render(assessment).as_bytes())?;
        out.note(&format!("Wrote the HTML report to {}.", path.display()));
    }
    if let Some(path) = oscal {
        let results = phiguard_assess::oscal::assessment_results(assessment);
        write_file(path, serde_json::to_string_pretty(&results)?.as_bytes())?;
        let poam_path = poam_path(path);
        let poam = phiguard_assess::oscal::poam(assessment);
        write_file(&poam_path, serde_json::to_string_pretty(&poam)?.as_bytes())?;
        out.note(&format!(
            "Wrote OSCAL assessment results to {} and the plan of action and milestones to {}.",
            path.display(),
            poam_path.display()
        ));
    }
    out.result(assessment, || phiguard_assess::terminal::render(assessment));
    Ok(())
}

/// `results.json` → `results.poam.json`.
fn poam_path(path: &Path) -> std::path::PathBuf {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "assessment".into());
    path.with_file_name(format!("{stem}.poam.json"))
}

/// Writes `path` atomically (a reader never sees half a report), private to its owner.
fn write_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    phiguard_home::write_atomically(path, bytes, phiguard_home::Readers::Owner)
        .with_context(|| format!("could not write {}", path.display()))
}

/// `phiguard attest`: records an attestation for a control of the catalog.
pub async fn attest(
    global: &GlobalArgs,
    args: &AttestArgs,
    out: &Output,
) -> anyhow::Result<Outcome> {
    let pending = phiguard_app::attest::attestation(&AttestRequest {
        control: args.control.clone(),
        by: args.by.clone(),
        statement: args.statement.clone(),
        evidence: args.evidence.clone(),
        date: args.date,
    })?;
    Session::run(global, out, async |session| {
        let source = change_source(&args.change);
        let attested = phiguard_app::attest::attest(session.app, &pending, &source).await?;
        out.result(&attested, || {
            format!(
                "Attested {} {} until {} (ledger entry {}).",
                attested.cite, attested.name, attested.valid_until, attested.evidence.seq
            )
        });
        Ok(Outcome::Ok)
    })
    .await
}
