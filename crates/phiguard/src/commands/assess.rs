//! `phiguard assess`: everything phiguard knows, turned into the status of every HIPAA control
//! with its evidence; `phiguard attest`: the statements that stand in for what no machine can
//! check.

use std::path::Path;

use anyhow::Context;
use phiguard_assess::evaluate::tally;
use phiguard_assess::history;
use phiguard_assess::sources::{self, FimOutcome};
use phiguard_assess::{Assessment, ControlStatus, Inputs, LedgerCheckpoint, SignOff, evaluate};
use phiguard_core::EvidenceRef;
use phiguard_host::Area;
use phiguard_register::Change;
use serde::Serialize;

use crate::Outcome;
use crate::cli::{AssessArgs, AssessSource, AttestArgs, FailOn, FimScanArgs, GlobalArgs};
use crate::commands::register::{Session, builtin_catalog, change_source, document, today};
use crate::commands::{fim, host};
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
/// signs a checkpoint the reports name.
pub async fn assess(session: &Session<'_>, args: &AssessArgs) -> anyhow::Result<Assessment> {
    let installation = session.installation;
    let out = session.out;
    let catalog = builtin_catalog()?;
    let started_at = jiff::Timestamp::now();
    let day = today();
    let config = installation.home.config();
    let mut inputs = Inputs {
        role: config.organization.role,
        ..Inputs::default()
    };

    if args.skip.contains(&AssessSource::Host) {
        not_run(
            &mut inputs,
            host_check_ids()?,
            "host checks skipped (--skip host)",
        );
    } else {
        let root = args.root.as_deref().unwrap_or(Path::new("/"));
        out.note(&match &args.root {
            None => "Checking this machine…".to_owned(),
            Some(root) => format!("Checking the host at {}…", root.display()),
        });
        match host::run_checks(installation, root, &Area::ALL, args.system.clone(), out).await {
            Ok(run) => inputs.findings.extend(run.recorded.findings),
            Err(error) => {
                let why = format!("the host checks could not run: {error:#}");
                not_run(&mut inputs, host_check_ids()?, &why);
            }
        }
    }

    out.note("Checking the register…");
    let (_, register_run, snapshot) = session.run_checks().await?;
    inputs.findings.extend(register_run.findings);

    let fim_checks = [sources::FIM_INTEGRITY, sources::FIM_EPHI];
    if args.skip.contains(&AssessSource::Fim) {
        not_run(
            &mut inputs,
            fim_checks,
            "file integrity skipped (--skip fim)",
        );
    } else {
        out.note("Comparing files with the FIM baseline…");
        let scan = FimScanArgs {
            paths: Vec::new(),
            one_file_system: false,
            algorithm: None,
        };
        match fim::run_check(installation, &scan, out).await {
            Ok(Some(check)) => {
                let outcome = fim_outcome(&check);
                inputs.findings.push(sources::fim_finding(&outcome));
                let ephi_paths: Vec<String> = config
                    .fim
                    .ephi_paths
                    .iter()
                    .map(|path| absolute(path))
                    .collect();
                match sources::fim_ephi_finding(&outcome, &ephi_paths) {
                    Ok(finding) => inputs.findings.push(finding),
                    Err(why) => not_run(&mut inputs, [sources::FIM_EPHI], &why),
                }
            }
            Ok(None) => {
                let no_baseline =
                    "there is no file integrity baseline yet: take one with `phiguard fim init`";
                not_run(&mut inputs, [sources::FIM_INTEGRITY], no_baseline);
                let ephi_why = if config.fim.ephi_paths.is_empty() {
                    sources::EPHI_NOT_CONFIGURED
                } else {
                    no_baseline
                };
                not_run(&mut inputs, [sources::FIM_EPHI], ephi_why);
            }
            Err(error) => {
                let why = format!("the file integrity check could not run: {error:#}");
                not_run(&mut inputs, fim_checks, &why);
            }
        }
    }

    let signer = installation.ledger_signing_key()?;
    if args.skip.contains(&AssessSource::Ledger) {
        not_run(
            &mut inputs,
            [sources::LEDGER_INTEGRITY],
            "ledger verification skipped (--skip ledger)",
        );
    } else {
        out.note("Verifying the evidence ledger…");
        let verified = installation
            .ledger()
            .verify(&signer.verifier(), &[], &mut |_, _| {})
            .await?
            .map(|report| report.entries)
            .map_err(|tamper| tamper.to_string());
        inputs
            .findings
            .push(sources::ledger_finding(signer.name(), &verified));
    }
    inputs.register = std::sync::Arc::unwrap_or_clone(snapshot);

    let controls = evaluate(&catalog, args.profile, &inputs, day);
    let (summary, families) = tally(&controls);
    let mut assessment = Assessment {
        sample: false,
        profile: args.profile,
        installation: installation.home.config().installation.name.clone(),
        assessed_at: started_at,
        today: day,
        phiguard_version: env!("CARGO_PKG_VERSION").to_owned(),
        organization_name: config.organization.name.clone(),
        role: config.organization.role,
        scope: config.organization.scope.clone(),
        summary,
        families,
        controls,
        notes: inputs.notes,
        evidence: None,
        checkpoint: None,
        sign_off: None,
        since_previous: None,
    };

    // What changed since the previous result (read before this run's is recorded), then this
    // result into the ledger, then a checkpoint over everything this run recorded, so the
    // report can name a signed tree that holds all the evidence it cites.
    let previous = previous_assessment(&installation.ledger())
        .await?
        .map(|found| {
            let (entry, evidence) = found?;
            let recorded = history::read(&evidence.body)
                .map_err(|why| format!("ledger entry {}: {why}", entry.seq))?;
            Ok::<_, String>(history::compare(
                &recorded,
                entry,
                evidence.time,
                &assessment,
            ))
        });
    match previous {
        Some(Ok(since)) => assessment.since_previous = Some(since),
        Some(Err(why)) => assessment.notes.push(format!(
            "the previous assessment cannot be read, so nothing is compared with it: {why}"
        )),
        None => {}
    }
    assessment.evidence = Some(
        installation
            .record(history::RESULT_KIND, history::record(&assessment))
            .await?,
    );
    if let (Some(by), Some(recorded)) = (&args.sign_off, assessment.evidence) {
        let at = jiff::Timestamp::now();
        let evidence = installation
            .record(
                history::SIGN_OFF_KIND,
                serde_json::json!({
                    "by": by,
                    "assessment": recorded,
                    "profile": assessment.profile,
                    "summary": assessment.summary,
                }),
            )
            .await?;
        assessment.sign_off = Some(SignOff {
            by: by.clone(),
            account: phiguard_app::installation::local_source().actor,
            at,
            assessment: recorded,
            evidence,
        });
    }
    let checkpoint = installation.ledger().checkpoint(&signer).await?;
    assessment.checkpoint = Some(LedgerCheckpoint {
        origin: checkpoint.origin,
        size: checkpoint.size,
        root: phiguard_core::hex::encode(&checkpoint.root),
        note: checkpoint.note,
    });
    Ok(assessment)
}

/// Entries read at once from the end of the ledger when looking for the previous assessment.
const RECENT_ENTRIES: u64 = 4096;

/// The newest assessment result in `ledger`, with its entry, or why it cannot be decoded:
/// among the newest entries first (where it is, unless much was recorded since), then one entry
/// at a time further back.
async fn previous_assessment(
    ledger: &phiguard_ledger::Ledger,
) -> anyhow::Result<Option<Result<(EvidenceRef, phiguard_core::Evidence), String>>> {
    // Canonical JSON writes the kind exactly so; the match is confirmed by decoding.
    let marker = format!("\"kind\":\"{}\"", history::RESULT_KIND);
    let read = |stored: &phiguard_ledger::StoredEntry| {
        if !stored.entry.contains(&marker) {
            return None;
        }
        let entry = EvidenceRef {
            seq: stored.seq,
            leaf_hash: stored.leaf_hash,
        };
        match phiguard_ledger::entry::decode(&stored.entry) {
            Ok(evidence) if evidence.kind == history::RESULT_KIND => Some(Ok((entry, evidence))),
            Ok(_) => None,
            Err(error) => Some(Err(format!(
                "ledger entry {} cannot be decoded: {error}",
                stored.seq
            ))),
        }
    };
    let recent = ledger.tail(RECENT_ENTRIES).await?;
    if let Some(found) = recent.iter().rev().find_map(read) {
        return Ok(Some(found));
    }
    let mut seq = recent.first().map_or(0, |stored| stored.seq);
    while seq > 0 {
        seq -= 1;
        if let Some(found) = ledger.get(seq).await?.as_ref().and_then(read) {
            return Ok(Some(found));
        }
    }
    Ok(None)
}

/// Marks `checks` as not run, with why; the first reason for a check stands, and the reason
/// is also a note of the whole assessment.
fn not_run(inputs: &mut Inputs, checks: impl IntoIterator<Item: ToString>, why: &str) {
    for check in checks {
        inputs
            .not_run
            .entry(check.to_string())
            .or_insert_with(|| why.to_owned());
    }
    if !inputs.notes.iter().any(|note| note == why) {
        inputs.notes.push(why.to_owned());
    }
}

/// The ids of every host check, for the parts of controls they leave unknown when they did
/// not run.
fn host_check_ids() -> anyhow::Result<Vec<String>> {
    let registry = phiguard_host::registry(&phiguard_host::Settings::default())
        .context("the built-in host checks are inconsistent")?;
    Ok(registry.metas().map(|meta| meta.id.to_string()).collect())
}

/// A FIM comparison as the assessment judges it.
fn fim_outcome(check: &fim::FimCheck) -> FimOutcome {
    let summary = &check.report.summary;
    FimOutcome {
        baseline: check.baseline.id,
        baseline_taken: check.baseline.created_at,
        rules: check.baseline.rules.clone(),
        roots: check
            .rules
            .rules
            .iter()
            .map(|rule| rule.root.display().to_string())
            .collect(),
        changed: summary.added + summary.removed + summary.changed,
        explained: summary.explained,
        unexplained: summary.unexplained,
        unexplained_paths: check
            .report
            .changes
            .iter()
            .filter(|change| change.explained_by.is_none())
            .map(|change| change.path.clone())
            .collect(),
        evidence: check.evidence,
    }
}

/// A configured path as an absolute path, as FIM rules hold them.
fn absolute(path: &str) -> String {
    std::path::absolute(path).map_or_else(|_| path.to_owned(), |p| p.display().to_string())
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

/// Writes through a temporary file beside `path`, so a reader never sees half a report.
fn write_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut temp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("could not write into {}", dir.display()))?;
    temp.write_all(bytes)
        .with_context(|| format!("could not write {}", path.display()))?;
    temp.persist(path)
        .with_context(|| format!("could not write {}", path.display()))?;
    Ok(())
}

#[derive(Debug, Serialize)]
struct Attested<'a> {
    control: &'a str,
    name: &'a str,
    valid_until: jiff::civil::Date,
    evidence: phiguard_core::EvidenceRef,
}

/// `phiguard attest`: records an attestation for a control of the catalog.
pub async fn attest(
    global: &GlobalArgs,
    args: &AttestArgs,
    out: &Output,
) -> anyhow::Result<Outcome> {
    let catalog = builtin_catalog()?;
    // A citation typed with its prefix (`45 CFR § 164.310(b)`) names the same control.
    let wanted = args
        .control
        .parse::<phiguard_core::ControlId>()
        .map(|id| id.to_string())
        .unwrap_or_else(|_| args.control.trim().to_owned());
    let control = catalog.get(&wanted).with_context(|| {
        format!(
            "{:?} is not a control of the catalog; `phiguard assess --json | jq '.controls[].id'` lists them",
            args.control
        )
    })?;
    let record = phiguard_register::records::Attestation {
        control: control.id.clone(),
        by: args.by.clone(),
        statement: args.statement.clone(),
        date: args.date.unwrap_or_else(today),
        evidence: args.evidence.as_deref().map(document).transpose()?,
    };
    let valid_until = record.valid_until();
    Session::run(global, out, async |session| {
        let applied = session
            .register
            .apply(
                &[Change::Put(record.clone().into())],
                &change_source(&args.change),
                jiff::Timestamp::now(),
            )
            .await?;
        let evidence = match applied.first() {
            Some(applied) => applied.evidence,
            None => session
                .register
                .snapshot()
                .await?
                .evidence_of(phiguard_register::Kind::Attestation, &control.id)
                .context("the attestation is not in the register")?,
        };
        let result = Attested {
            control: &control.id,
            name: &control.name,
            valid_until,
            evidence,
        };
        out.result(&result, || {
            format!(
                "Attested {} {} until {} (ledger entry {}).",
                control.cite, control.name, valid_until, evidence.seq
            )
        });
        Ok(Outcome::Ok)
    })
    .await
}
