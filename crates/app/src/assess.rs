//! The assessment: every source of evidence run (the host checks, the register checks, the
//! file integrity check, the ledger's verification), every HIPAA control judged, the result
//! recorded in the ledger and a checkpoint signed that the reports name.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use phiguard_assess::evaluate::tally;
use phiguard_assess::history;
use phiguard_assess::sources::{self, FimOutcome};
use phiguard_assess::{
    Assessment, CloudAccount, Inputs, LedgerCheckpoint, Profile, SignOff, evaluate,
};
use phiguard_cloud::store::CHECK_EVIDENCE_KIND;
use phiguard_core::EvidenceRef;

use crate::session::{Session, builtin_catalog, today};
use crate::{Notices, Progress};

/// A source of evidence an assessment can leave out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The host posture checks.
    Host,
    /// The file integrity check against the newest baseline.
    Fim,
    /// Verifying the whole evidence ledger.
    Ledger,
}

/// What to assess.
#[derive(Debug, Clone)]
pub struct AssessRequest {
    pub profile: Profile,
    /// The sources left out.
    pub skip: Vec<Source>,
    /// The root the host checks run on; `None` is this machine.
    pub root: Option<PathBuf>,
    /// The system whose grants shell accounts are judged against (default: the host name).
    pub system: Option<String>,
    /// Who signs the result off, if anyone: recorded in the ledger beside it.
    pub sign_off: Option<String>,
    /// Check an AWS account now; `None` takes the newest cloud check recorded, if any.
    pub cloud: Option<crate::cloud::AwsRequest>,
}

impl AssessRequest {
    /// Everything, under `profile`, on this machine, signed off by nobody.
    pub fn everything(profile: Profile) -> AssessRequest {
        AssessRequest {
            profile,
            skip: Vec::new(),
            root: None,
            system: None,
            sign_off: None,
            cloud: None,
        }
    }
}

/// Runs every source of evidence, judges every control, records the result in the ledger and
/// signs a checkpoint the reports name. Each step is announced to `notices`; the host checks
/// and the file scan report to `progress`.
pub async fn assess(
    session: &Session,
    request: &AssessRequest,
    notices: &dyn Notices,
    progress: Arc<dyn Progress>,
) -> anyhow::Result<Assessment> {
    let installation = &session.installation;
    let catalog = builtin_catalog()?;
    let started_at = jiff::Timestamp::now();
    let day = today();
    let config = installation.home.config();
    let mut inputs = Inputs {
        role: config.organization.role,
        ..Inputs::default()
    };

    if request.skip.contains(&Source::Host) {
        not_run(
            &mut inputs,
            host_check_ids()?,
            "host checks skipped (--skip host)",
        );
    } else {
        notices.note(&match &request.root {
            None => "Checking this machine…".to_owned(),
            Some(root) => format!("Checking the host at {}…", root.display()),
        });
        let host_request = crate::host::CheckRequest {
            root: request.root.clone().unwrap_or_else(|| "/".into()),
            areas: Vec::new(),
            system: request.system.clone(),
        };
        match crate::host::run_checks(installation, &host_request, Arc::clone(&progress)).await {
            Ok(run) => inputs.findings.extend(run.recorded.findings),
            Err(error) => {
                let why = format!("the host checks could not run: {error:#}");
                not_run(&mut inputs, host_check_ids()?, &why);
            }
        }
    }

    notices.note("Checking the register…");
    let register_run = crate::register::check(session).await?;
    inputs.findings.extend(register_run.recorded.findings);
    let snapshot = register_run.snapshot;

    let cloud_account = cloud(
        installation,
        request,
        &mut inputs,
        notices,
        Arc::clone(&progress),
    )
    .await?;

    let fim_checks = [sources::FIM_INTEGRITY, sources::FIM_EPHI];
    if request.skip.contains(&Source::Fim) {
        not_run(
            &mut inputs,
            fim_checks,
            "file integrity skipped (--skip fim)",
        );
    } else {
        notices.note("Comparing files with the FIM baseline…");
        let scan = crate::fim::ScanRequest::default();
        match crate::fim::check(installation, &scan, progress.as_ref()).await {
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

    notices.note("Judging the risk analysis against the evidence…");
    let risk_overview = risk(installation, &snapshot, &mut inputs, day).await?;

    let signer = installation.ledger_signing_key()?;
    if request.skip.contains(&Source::Ledger) {
        not_run(
            &mut inputs,
            [sources::LEDGER_INTEGRITY],
            "ledger verification skipped (--skip ledger)",
        );
    } else {
        notices.note("Verifying the evidence ledger…");
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
    inputs.register = Arc::unwrap_or_clone(snapshot);

    let controls = evaluate(&catalog, request.profile, &inputs, day);
    let (summary, families) = tally(&controls);
    let mut assessment = Assessment {
        sample: false,
        profile: request.profile,
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
        cloud: cloud_account,
        risk: Some(risk_overview),
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
    if let (Some(by), Some(recorded)) = (&request.sign_off, assessment.evidence) {
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
            account: crate::installation::local_source().actor,
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

/// The cloud account's findings: from a check run now (`--cloud aws`), else from the newest
/// cloud check recorded in the ledger (its findings as the ledger holds them, so the database
/// cannot change them). An organisation that has never checked a cloud account has none in
/// scope: its cloud checks are left out of every control, and the report says so. Returns the
/// account with its inventory, for the views that list its resources.
async fn cloud(
    installation: &crate::Installation,
    request: &AssessRequest,
    inputs: &mut Inputs,
    notices: &dyn Notices,
    progress: Arc<dyn Progress>,
) -> anyhow::Result<Option<CloudAccount>> {
    let cloud_checks = phiguard_cloud::checks::ids();
    if let Some(aws) = &request.cloud {
        notices.note("Checking the AWS account…");
        return Ok(
            match crate::cloud::check_aws(installation, aws, progress).await {
                Ok(run) => {
                    inputs.findings.extend(run.recorded.findings);
                    Some(CloudAccount {
                        provider: crate::cloud::AWS_PROVIDER.into(),
                        account: run.account,
                        taken_at: jiff::Timestamp::now(),
                        evidence: run.recorded.evidence,
                        resources: run.listing,
                    })
                }
                Err(error) => {
                    let why = format!("the cloud checks could not run: {error:#}");
                    not_run(inputs, cloud_checks, &why);
                    None
                }
            },
        );
    }
    let newest = installation
        .ledger()
        .newest_of_kind(CHECK_EVIDENCE_KIND, None, |entry, evidence| {
            Some((entry, evidence))
        })
        .await
        .context("could not look for the newest cloud check in the ledger")?;
    let Some((entry, evidence)) = newest else {
        inputs.out_of_scope.extend(cloud_checks);
        inputs.notes.push(
            "no cloud account has been checked, so the cloud checks are left out: if ePHI is \
             in AWS, run `phiguard cloud check aws` or `phiguard assess --cloud aws`"
                .into(),
        );
        return Ok(None);
    };
    let account = evidence.body["account"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let findings = match serde_json::from_value::<Vec<phiguard_core::Finding>>(
        evidence.body["findings"].clone(),
    ) {
        Ok(findings) => findings,
        Err(error) => {
            let why = format!(
                "the findings of the newest cloud check (ledger entry {}) cannot be read \
                 ({error}); run `phiguard cloud check aws` again",
                entry.seq
            );
            not_run(inputs, cloud_checks, &why);
            return Ok(None);
        }
    };
    inputs.notes.push(format!(
        "the cloud findings are those of the newest cloud check (AWS account {account}, \
         ledger entry {}, {}); `phiguard assess --cloud aws` checks the account again",
        entry.seq,
        evidence.time.strftime("%Y-%m-%d %H:%M UTC")
    ));
    inputs
        .findings
        .extend(findings.into_iter().map(|mut finding| {
            finding.evidence.push(entry);
            finding
        }));
    // The inventory only names the findings' resources; the findings stand without it.
    match crate::cloud::latest_inventory(installation, Some(&account)).await {
        Ok(Some(stored)) if stored.evidence == entry => Ok(Some(CloudAccount {
            provider: stored.provider,
            account: stored.account,
            taken_at: stored.taken_at,
            evidence: stored.evidence,
            resources: stored.resources,
        })),
        Ok(_) => Ok(None),
        Err(error) => {
            inputs.notes.push(format!("{error:#}"));
            Ok(None)
        }
    }
}

/// The risk checks (164.308(a)(1)(ii)(A) and (B)): the picture built from the newest
/// evidence in the ledger, which now holds what this assessment's sources recorded, with this
/// run's file integrity findings; the findings recorded and judged with the rest. Returns the
/// overview of assets and flows the report shows.
async fn risk(
    installation: &crate::Installation,
    snapshot: &phiguard_register::Snapshot,
    inputs: &mut Inputs,
    day: jiff::civil::Date,
) -> anyhow::Result<phiguard_assess::RiskOverview> {
    let mut evidence = crate::risk::recorded_sightings(installation).await?;
    evidence.fim = inputs
        .findings
        .iter()
        .filter(|finding| finding.check.namespace() == "fim")
        .cloned()
        .collect();
    let gathered = crate::risk::picture_of(installation, snapshot, evidence, day).await?;
    for note in &gathered.notes {
        if !inputs.notes.contains(note) {
            inputs.notes.push(note.clone());
        }
    }
    let run = crate::risk::check(installation, &gathered).await?;
    inputs.findings.extend(run.findings);
    Ok(crate::risk::overview(&gathered.picture))
}

/// The ids of every host check, for the parts of controls they leave unknown when they did
/// not run.
fn host_check_ids() -> anyhow::Result<Vec<String>> {
    let registry = phiguard_host::registry(&phiguard_host::Settings::default())
        .context("the built-in host checks are inconsistent")?;
    Ok(registry.metas().map(|meta| meta.id.to_string()).collect())
}

/// A FIM comparison as the assessment judges it.
fn fim_outcome(check: &crate::fim::FimCheck) -> FimOutcome {
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
