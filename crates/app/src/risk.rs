//! Risk analysis and risk management (45 CFR 164.308(a)(1)(ii)(A) and (B)): the asset
//! inventory gathered from what phiguard has seen (hosts it checked, the newest cloud
//! inventory, the register's vendors and systems, the ePHI paths), the newest findings
//! attached to the assets they concern, the risks judged on that evidence, the risk checks,
//! and the analysis as a signed document recorded whole in the ledger.
//!
//! Reading commands gather from the ledger's newest entries and record nothing; `analyze`
//! and `assess` record what they judge.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use jiff::Timestamp;
use jiff::civil::Date;
use phiguard_core::{CheckContext, EvidenceRef, Finding, Registry, Source};
use phiguard_register::draft;
use phiguard_register::records::{Asset, RiskAnalysis, RiskRecord, Treatment};
use phiguard_register::{AnyRecord, Applied, Change, Kind, Problem, RegisterError, Snapshot};
use phiguard_risk::analysis::{Analysis, Heading, Inputs, Picture, SignOff};
use phiguard_risk::inventory::{self, Discovered, Origin, Source as Seen};
use phiguard_risk::threats::ThreatCatalog;
use phiguard_risk::vulnerabilities::Observed;
use serde::Serialize;

use crate::Notices;
use crate::check_run::{self, RecordedRun};
use crate::installation::Installation;
use crate::session::{Session, builtin_catalog, today};

/// The ledger kind of an analysis document.
pub const ANALYSIS_KIND: &str = "risk.analysis";
/// The ledger kind of a run of the risk checks.
pub const CHECK_KIND: &str = "risk.check";
/// The ledger kind of a host check run, whose entries say which hosts phiguard checked.
const HOST_CHECK_KIND: &str = "host.check";
/// The ledger kind of a register check run.
const REGISTER_CHECK_KIND: &str = "register.check";

/// What phiguard has seen: the newest findings, with where each came from, which is enough to
/// tell which asset each concerns.
#[derive(Debug, Clone, Default)]
pub struct Sightings {
    /// The newest host check of each host: its name, when, its ledger entry and findings.
    pub hosts: Vec<HostSighting>,
    /// The newest cloud check, with its inventory when that is intact.
    pub cloud: Option<CloudSighting>,
    /// The register checks' findings.
    pub register: Vec<Finding>,
    /// Findings of the file integrity checks on this machine.
    pub fim: Vec<Finding>,
    /// What could not be read, for the notes.
    pub notes: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct HostSighting {
    pub host: String,
    pub at: Timestamp,
    pub evidence: Option<EvidenceRef>,
    pub findings: Vec<Finding>,
}

#[derive(Debug, Clone)]
pub struct CloudSighting {
    pub provider: String,
    pub account: String,
    pub at: Timestamp,
    pub evidence: EvidenceRef,
    pub resources: Vec<phiguard_cloud::resources::CloudResource>,
    pub findings: Vec<Finding>,
}

/// Everything the risk commands show: the picture on a day, and what could not be read.
#[derive(Debug, Clone, Serialize)]
pub struct Gathered {
    pub picture: Picture,
    /// The findings on assets the picture was judged with.
    #[serde(skip)]
    pub observed: Vec<Observed>,
    pub notes: Vec<String>,
}

/// Reads the newest evidence from the ledger: the newest host check of every host, the newest
/// cloud check and its inventory, the newest register check. Nothing is recorded.
pub async fn recorded_sightings(installation: &Installation) -> anyhow::Result<Sightings> {
    let ledger = installation.ledger();
    let mut evidence = Sightings::default();
    let mut hosts: BTreeMap<String, HostSighting> = BTreeMap::new();
    // Walks every host check recorded, newest first, keeping the first of each host: the
    // ledger is the record of which hosts were ever checked, whatever the database says.
    ledger
        .newest_of_kind(HOST_CHECK_KIND, None, |entry, recorded| {
            let host = recorded.body["host"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            if host.is_empty() || hosts.contains_key(&host) {
                return None::<()>;
            }
            let findings =
                serde_json::from_value(recorded.body["findings"].clone()).unwrap_or_default();
            hosts.insert(
                host.clone(),
                HostSighting {
                    host,
                    at: recorded.time,
                    evidence: Some(entry),
                    findings: cite(findings, entry),
                },
            );
            None
        })
        .await
        .context("could not read the host checks from the ledger")?;
    evidence.hosts = hosts.into_values().collect();

    let newest_cloud = ledger
        .newest_of_kind(
            phiguard_cloud::store::CHECK_EVIDENCE_KIND,
            None,
            |entry, recorded| Some((entry, recorded)),
        )
        .await
        .context("could not look for the newest cloud check in the ledger")?;
    if let Some((entry, recorded)) = newest_cloud {
        let account = recorded.body["account"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let findings: Vec<Finding> =
            serde_json::from_value(recorded.body["findings"].clone()).unwrap_or_default();
        let resources = match crate::cloud::latest_inventory(installation, Some(&account)).await {
            Ok(Some(stored)) if stored.evidence == entry => stored.resources,
            Ok(_) => Vec::new(),
            Err(error) => {
                evidence.notes.push(format!(
                    "the cloud inventory of account {account} is left out: {error:#}"
                ));
                Vec::new()
            }
        };
        evidence.cloud = Some(CloudSighting {
            provider: crate::cloud::AWS_PROVIDER.to_owned(),
            account,
            at: recorded.time,
            evidence: entry,
            resources,
            findings: cite(findings, entry),
        });
    }

    let newest_register = ledger
        .newest_of_kind(REGISTER_CHECK_KIND, None, |entry, recorded| {
            serde_json::from_value::<Vec<Finding>>(recorded.body["findings"].clone())
                .ok()
                .map(|findings| cite(findings, entry))
        })
        .await
        .context("could not read the newest register check from the ledger")?;
    evidence.register = newest_register.unwrap_or_default();
    Ok(evidence)
}

/// Findings each citing the ledger entry that recorded them.
fn cite(findings: Vec<Finding>, entry: EvidenceRef) -> Vec<Finding> {
    findings
        .into_iter()
        .map(|mut finding| {
            if !finding.evidence.contains(&entry) {
                finding.evidence.push(entry);
            }
            finding
        })
        .collect()
}

/// The name this machine goes by in host checks.
fn this_host() -> String {
    crate::installation::local_source()
        .host
        .unwrap_or_else(|| "localhost".into())
}

/// The assets phiguard saw, from `evidence`, the register and the configuration.
fn discover(
    installation: &Installation,
    snapshot: &Snapshot,
    evidence: &Sightings,
) -> Vec<Discovered> {
    let config = installation.home.config();
    let ephi_paths = &config.fim.ephi_paths;
    let here = this_host();
    let mut found = Vec::new();
    for sighting in &evidence.hosts {
        let origin = Origin {
            source: Seen::HostCheck,
            detail: format!("host check of {}", sighting.host),
            seen_at: Some(sighting.at),
            evidence: sighting.evidence,
        };
        // ePHI paths are configured for this machine: the host that holds them keeps ePHI.
        let ephi = !ephi_paths.is_empty() && sighting.host == here;
        found.push(inventory::host(&sighting.host, ephi, origin));
    }
    for path in ephi_paths {
        let origin = Origin {
            source: Seen::EphiPath,
            detail: "[fim] ephi_paths in phiguard.toml".into(),
            seen_at: None,
            evidence: None,
        };
        let absolute =
            std::path::absolute(path).map_or_else(|_| path.clone(), |p| p.display().to_string());
        found.push(inventory::ephi_path(&absolute, &here, origin));
    }
    if let Some(cloud) = &evidence.cloud {
        let origin = Origin {
            source: Seen::CloudInventory,
            detail: format!(
                "{} account {}",
                cloud.provider.to_uppercase(),
                cloud.account
            ),
            seen_at: Some(cloud.at),
            evidence: Some(cloud.evidence),
        };
        found.extend(inventory::from_cloud(
            &cloud.provider,
            &cloud.account,
            &cloud.resources,
            &origin,
        ));
        found.push(account_asset(cloud, origin));
    }
    let phi_vendors: Vec<&str> = snapshot
        .vendors
        .values()
        .filter(|v| v.record.touches_phi)
        .map(|v| v.record.id.as_str())
        .collect();
    for stored in snapshot.vendors.values() {
        let origin = Origin {
            source: Seen::RegisterVendor,
            detail: format!("register vendor {}", stored.record.id),
            seen_at: None,
            evidence: stored.evidence,
        };
        if let Some(mut vendor) = inventory::vendor(stored, origin) {
            // Register findings about a vendor's BAA, assurance report or SLA are about it.
            for (kind, id) in vendor_records(snapshot, &stored.record.id) {
                vendor.names.push(format!("{kind} {id}"));
            }
            found.push(vendor);
        }
    }
    let mut systems: BTreeMap<&str, (bool, Option<EvidenceRef>)> = BTreeMap::new();
    for stored in snapshot.vendors.values() {
        for system in &stored.record.systems {
            let entry = systems.entry(system).or_insert((false, stored.evidence));
            entry.0 |= phi_vendors.contains(&stored.record.id.as_str());
        }
    }
    for stored in snapshot.grants.values() {
        systems
            .entry(&stored.record.system)
            .or_insert((false, stored.evidence));
    }
    for stored in snapshot.restore_tests.values() {
        systems
            .entry(&stored.record.system)
            .or_insert((false, stored.evidence));
    }
    for (system, (ephi, evidence)) in systems {
        let origin = Origin {
            source: Seen::RegisterSystem,
            detail: "named by the register's vendors, grants or restore tests".into(),
            seen_at: None,
            evidence,
        };
        found.push(inventory::system(system, ephi, origin));
    }
    found
}

/// Gives each sighting that has a ledger entry but no time the time of that entry (a
/// register record was last seen when its current state was recorded), and the ePHI paths the
/// time of the newest file integrity check or baseline that covered them.
async fn date_sightings(
    installation: &Installation,
    discovered: &mut [Discovered],
) -> anyhow::Result<()> {
    let ledger = installation.ledger();
    let mut newest_fim = None;
    for kind in ["fim.check", phiguard_fim::baseline::BASELINE_EVIDENCE_KIND] {
        let found = ledger
            .newest_of_kind(kind, None, |entry, recorded| Some((entry, recorded.time)))
            .await
            .context("could not look for the newest file integrity check in the ledger")?;
        newest_fim = match (newest_fim, found) {
            (Some((a, at)), Some((b, bt))) => Some(if bt > at { (b, bt) } else { (a, at) }),
            (a, b) => a.or(b),
        };
    }
    let mut times: BTreeMap<u64, Option<Timestamp>> = BTreeMap::new();
    for found in discovered.iter_mut() {
        let origin = &mut found.origin;
        if origin.source == Seen::EphiPath && origin.evidence.is_none() {
            if let Some((entry, at)) = newest_fim {
                origin.evidence = Some(entry);
                origin.seen_at = Some(at);
                origin.detail = format!(
                    "[fim] ephi_paths in phiguard.toml, last compared in ledger entry {}",
                    entry.seq
                );
            }
            continue;
        }
        let (None, Some(entry)) = (origin.seen_at, origin.evidence) else {
            continue;
        };
        let time = match times.get(&entry.seq) {
            Some(time) => *time,
            None => {
                let time = ledger
                    .get(entry.seq)
                    .await
                    .context("could not read a ledger entry")?
                    .and_then(|stored| phiguard_ledger::entry::decode(&stored.entry).ok())
                    .map(|evidence| evidence.time);
                times.insert(entry.seq, time);
                time
            }
        };
        origin.seen_at = time;
    }
    Ok(())
}

/// The cloud account itself: account-wide findings (the audit trail, threat detection) are
/// about it, and it holds ePHI when any of its resources does.
fn account_asset(cloud: &CloudSighting, origin: Origin) -> Discovered {
    let mut asset = Asset {
        id: format!("{}:account:{}", cloud.provider, cloud.account),
        name: format!(
            "{} account {}",
            cloud.provider.to_uppercase(),
            cloud.account
        ),
        asset_type: phiguard_register::records::AssetType::CloudResource,
        owner: None,
        location: Some(cloud.provider.clone()),
        ephi: Vec::new(),
        criticality: None,
        description: Some("the cloud account, for its account-wide settings".into()),
    };
    if cloud.resources.iter().any(|r| r.holds_phi) {
        asset.ephi = vec![phiguard_register::records::PhiUse::Maintains];
    }
    Discovered {
        asset,
        origin,
        names: vec![cloud.account.clone()],
    }
}

/// The register records that belong to a vendor, as register findings name them.
fn vendor_records(snapshot: &Snapshot, vendor: &str) -> Vec<(Kind, String)> {
    let mut named = Vec::new();
    named.extend(
        snapshot
            .baas
            .values()
            .filter(|b| b.record.vendor == vendor)
            .map(|b| (Kind::Baa, b.record.id.clone())),
    );
    named.extend(
        snapshot
            .assurance_reports
            .values()
            .filter(|a| a.record.vendor == vendor)
            .map(|a| (Kind::Assurance, a.record.id.clone())),
    );
    named.extend(
        snapshot
            .slas
            .values()
            .filter(|s| s.record.vendor == vendor)
            .map(|s| (Kind::Sla, s.record.id.clone())),
    );
    named
}

/// Each finding on the asset it concerns: host findings on their host, file integrity
/// findings on this machine, cloud and register findings on the asset their subject names
/// (else cloud findings on the account). Findings about the organisation as a whole (the
/// ledger, incidents, the matrix, training) concern no one asset and are left out.
fn observe(evidence: &Sightings, assets: &[phiguard_risk::AssetView]) -> Vec<Observed> {
    let mut observed = Vec::new();
    for sighting in &evidence.hosts {
        let asset = inventory::host_id(&sighting.host);
        observed.extend(sighting.findings.iter().map(|finding| Observed {
            asset: asset.clone(),
            finding: finding.clone(),
        }));
    }
    let here = inventory::host_id(&this_host());
    observed.extend(evidence.fim.iter().map(|finding| Observed {
        asset: here.clone(),
        finding: finding.clone(),
    }));
    if let Some(cloud) = &evidence.cloud {
        let account = format!("{}:account:{}", cloud.provider, cloud.account);
        observed.extend(cloud.findings.iter().map(|finding| {
            Observed {
                asset: inventory::named(assets, &finding.subject)
                    .map_or_else(|| account.clone(), |a| a.id().to_owned()),
                finding: finding.clone(),
            }
        }));
    }
    observed.extend(evidence.register.iter().filter_map(|finding| {
        inventory::named(assets, &finding.subject).map(|asset| Observed {
            asset: asset.id().to_owned(),
            finding: finding.clone(),
        })
    }));
    observed
}

/// The checks of the catalog that judge encryption in transit (164.312(e)).
fn in_transit_checks() -> anyhow::Result<Vec<String>> {
    let catalog = builtin_catalog()?;
    let mut checks: Vec<String> = catalog
        .controls
        .iter()
        .filter(|c| c.id.as_str().starts_with("164.312(e)"))
        .flat_map(|c| c.checks.iter().map(ToString::to_string))
        .collect();
    checks.sort();
    checks.dedup();
    Ok(checks)
}

/// For each analysis of the register, whether the ledger holds a document with its digest.
async fn documents(
    installation: &Installation,
    snapshot: &Snapshot,
) -> anyhow::Result<BTreeMap<String, Result<(), String>>> {
    let mut found = BTreeMap::new();
    for stored in snapshot.risk_analyses.values() {
        let record = &stored.record;
        let verdict = match recorded_document(installation, record).await? {
            Some(_) => Ok(()),
            None => Err(format!(
                "the ledger holds no risk analysis document with the SHA-256 {} its record names",
                record.sha256
            )),
        };
        found.insert(record.id.clone(), verdict);
    }
    Ok(found)
}

/// The analysis document the ledger holds for `record`, read back and its digest checked.
pub async fn recorded_document(
    installation: &Installation,
    record: &RiskAnalysis,
) -> anyhow::Result<Option<(EvidenceRef, Analysis)>> {
    let marker = format!("\"sha256\":\"{}\"", record.sha256);
    let found = installation
        .ledger()
        .newest_of_kind(ANALYSIS_KIND, Some(&marker), |entry, recorded| {
            let analysis = Analysis::from_json(recorded.body["document"].clone()).ok()?;
            (analysis.digest() == record.sha256 && analysis.heading.id == record.id)
                .then_some((entry, analysis))
        })
        .await
        .context("could not look for the risk analysis document in the ledger")?;
    Ok(found)
}

/// Builds the picture on `day` from `evidence` and the register `snapshot`.
pub async fn picture_of(
    installation: &Installation,
    snapshot: &Snapshot,
    mut evidence: Sightings,
    day: Date,
) -> anyhow::Result<Gathered> {
    let mut discovered = discover(installation, snapshot, &evidence);
    date_sightings(installation, &mut discovered).await?;
    // The assets are needed to place the findings, and the findings to judge the risks:
    // the inventory is built first on its own.
    let assets = inventory::merge(discovered.clone(), &snapshot.assets);
    let observed = observe(&evidence, &assets);
    let picture = Picture::build(Inputs {
        discovered,
        snapshot,
        observed: observed.clone(),
        in_transit_checks: in_transit_checks()?,
        documents: documents(installation, snapshot).await?,
        today: day,
    });
    Ok(Gathered {
        picture,
        observed,
        notes: std::mem::take(&mut evidence.notes),
    })
}

/// The picture today from the ledger's newest evidence, recording nothing.
pub async fn gather(session: &Session) -> anyhow::Result<Gathered> {
    let snapshot = session.register.snapshot().await?;
    let evidence = recorded_sightings(&session.installation).await?;
    picture_of(&session.installation, &snapshot, evidence, today()).await
}

/// What the assessment's report shows of `picture`: the counts, the newest signed analysis
/// and the network map.
pub fn overview(picture: &Picture) -> phiguard_assess::RiskOverview {
    phiguard_assess::RiskOverview {
        assets: picture.assets.len(),
        ephi_assets: picture.ephi_assets().count(),
        flows: picture.flows.len(),
        unencrypted_flows: picture
            .flows
            .iter()
            .filter(|f| {
                matches!(
                    f.in_transit,
                    phiguard_risk::flows::InTransit::Unencrypted { .. }
                )
            })
            .count(),
        analysis: picture.newest_signed().map(|a| {
            let record = &a.record;
            format!(
                "{} (as of {}), signed by {} on {}",
                record.id,
                record.as_of,
                record.signed_by.as_deref().unwrap_or_default(),
                record.signed_on.map(|d| d.to_string()).unwrap_or_default()
            )
        }),
        map_svg: phiguard_risk::report::network_map(&picture.assets, &picture.flows),
    }
}

/// Runs the risk checks on `picture`, as of `day`.
pub fn run_checks(picture: Picture, day: Date) -> anyhow::Result<(usize, Vec<Finding>)> {
    let mut registry = Registry::new();
    phiguard_risk::checks::add_to(
        &mut registry,
        Arc::new(picture),
        phiguard_risk::checks::Settings::default(),
    )
    .context("the risk checks could not be assembled")?;
    // The checks count days from their clock: now for today, noon UTC of an earlier day.
    let now = Timestamp::now();
    let at = if day == crate::session::today() {
        now
    } else {
        jiff::tz::Offset::UTC
            .to_timestamp(day.at(12, 0, 0, 0))
            .unwrap_or(now)
    };
    let ctx = CheckContext::new("/", at);
    Ok((registry.len(), registry.run_all(&ctx, |_| true)))
}

/// Runs the risk checks on `gathered` and records their findings.
pub async fn check(
    installation: &Installation,
    gathered: &Gathered,
) -> anyhow::Result<RecordedRun> {
    let started_at = Timestamp::now();
    let (_, findings) = run_checks(gathered.picture.clone(), gathered.picture.today)?;
    let mut context = serde_json::Map::new();
    context.insert("assets".into(), gathered.picture.assets.len().into());
    context.insert("risks".into(), gathered.picture.risks.len().into());
    check_run::record(
        installation,
        CHECK_KIND,
        check_run::run(started_at, None, "risk".into()),
        context,
        findings,
    )
    .await
}

/// Adds to the register an asset seen but not recorded, with the `values` given laid over
/// it, or updates a recorded one.
pub async fn update_asset(
    session: &Session,
    id: &str,
    values: draft::Values,
    unset: &[String],
    source: &Source,
    notices: &dyn Notices,
) -> anyhow::Result<Vec<Applied>> {
    let snapshot = session.register.snapshot().await?;
    if snapshot.assets.contains_key(id) {
        return crate::register::update_drafted(
            session,
            Kind::Asset,
            id,
            values,
            unset,
            source,
            notices,
        )
        .await;
    }
    let gathered = gather(session).await?;
    let Some(seen) = gathered.picture.asset(id) else {
        anyhow::bail!(
            "there is no asset {id:?}, recorded or seen; `phiguard asset list` shows every asset's id"
        );
    };
    let record = draft::updated_record(&AnyRecord::Asset(seen.asset.clone()), values, unset)?;
    crate::register::add(session, record, source, notices).await
}

/// What an asset import did, or would do.
#[derive(Debug)]
pub enum AssetImport {
    Planned(Vec<phiguard_register::Planned>),
    Applied(Vec<Applied>),
}

/// Adds or updates the assets of a YAML file (a list of assets, as `assets.yaml` of
/// `register export` holds them); assets not in the file are left alone.
pub async fn import_assets(
    session: &Session,
    file: &Path,
    dry_run: bool,
    source: &Source,
    notices: &dyn Notices,
) -> anyhow::Result<AssetImport> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("could not read {}", file.display()))?;
    let records = phiguard_register::exchange::yaml::parse(Kind::Asset, &text, file)?;
    let lines: BTreeMap<String, u64> = records
        .iter()
        .map(|(record, line)| (record.id().to_owned(), *line))
        .collect();
    let changes: Vec<Change> = records
        .into_iter()
        .map(|(record, _)| Change::Put(record))
        .collect();
    let locate = |error: RegisterError| match error {
        RegisterError::Invalid { problems } => RegisterError::Import {
            problems: problems
                .into_iter()
                .map(
                    |Problem { id, message, .. }| phiguard_register::FileProblem {
                        file: file.to_owned(),
                        line: lines.get(&id).copied(),
                        reason: format!("asset {id:?}: {message}"),
                    },
                )
                .collect(),
        },
        other => other,
    };
    let current = session.register.snapshot().await?;
    if dry_run {
        let planned = phiguard_register::plan(&current, &changes)
            .map_err(locate)?
            .0;
        return Ok(AssetImport::Planned(planned));
    }
    crate::register::vet(&changes, notices)??;
    let applied = session
        .register
        .apply(&changes, source, Timestamp::now())
        .await
        .map_err(locate)?;
    Ok(AssetImport::Applied(applied))
}

/// Accepts a risk: who, why, until when; recorded on its record.
pub async fn accept(
    session: &Session,
    id: &str,
    by: &str,
    reason: &str,
    until: Date,
    source: &Source,
    notices: &dyn Notices,
) -> anyhow::Result<Vec<Applied>> {
    let snapshot = session.register.snapshot().await?;
    let Some(stored) = snapshot.risks.get(id) else {
        anyhow::bail!("there is no risk {id:?}; `phiguard risk list` shows every risk's id");
    };
    let day = today();
    if until <= day {
        anyhow::bail!(
            "the acceptance would lapse on {until}, which is not after today ({day}); give a \
             later --until, at most a year or so away, when the risk must be decided again"
        );
    }
    let accepted = RiskRecord {
        treatment: Treatment::Accept,
        accepted_by: Some(by.to_owned()),
        accepted_on: Some(day),
        acceptance_reason: Some(reason.to_owned()),
        acceptance_expires: Some(until),
        ..stored.record.clone()
    };
    crate::register::update(session, accepted.into(), source, notices).await
}

/// What to analyse: [`Default`] is today's analysis under the next free id, with the default
/// scope, prepared and signed by nobody named.
#[derive(Debug, Clone, Default)]
pub struct AnalyzeRequest {
    /// The analysis's id [default: its day, `YYYY-MM-DD`, with `-2`, `-3`… when taken].
    pub id: Option<String>,
    /// The day it is for [default: today]; it cannot be in the future.
    pub as_of: Option<Date>,
    pub scope: Option<String>,
    pub prepared_by: Option<String>,
    /// Sign it off at once, as this person.
    pub sign_off: Option<String>,
}

/// An analysis made and recorded.
#[derive(Debug, Clone, Serialize)]
pub struct Analyzed {
    pub analysis: Analysis,
    pub record: RiskAnalysis,
    /// The ledger entry that holds the document.
    pub document: EvidenceRef,
    /// The risk checks' run.
    pub checks: EvidenceRef,
    pub notes: Vec<String>,
}

impl Analyzed {
    pub fn sign_off(&self) -> Option<SignOff> {
        sign_off_of(&self.record)
    }
}

/// Who signed `record` off, if anyone did.
pub fn sign_off_of(record: &RiskAnalysis) -> Option<SignOff> {
    match (&record.signed_by, record.signed_on) {
        (Some(by), Some(on)) => Some(SignOff { by: by.clone(), on }),
        _ => None,
    }
}

/// The default scope of an analysis.
pub const DEFAULT_SCOPE: &str = "All ePHI the organisation creates, receives, maintains or \
transmits: every asset in the inventory below, on premises, in the cloud and at vendors.";

/// Makes the risk analysis for a day: gathers the evidence, judges it, records the document
/// in the ledger and a `risk-analysis` record naming its digest, signed off at once when
/// asked.
pub async fn analyze(
    session: &Session,
    request: &AnalyzeRequest,
    source: &Source,
    notices: &dyn Notices,
) -> anyhow::Result<Analyzed> {
    let day = today();
    let as_of = request.as_of.unwrap_or(day);
    if as_of > day {
        anyhow::bail!(
            "an analysis cannot be for {as_of}, a day still to come; it states what is known \
             on its day (today is {day})"
        );
    }
    notices.note("Checking the register…");
    let register_run = crate::register::check(session).await?;
    let snapshot = Arc::unwrap_or_clone(Arc::clone(&register_run.snapshot));
    let mut evidence = recorded_sightings(&session.installation).await?;
    evidence.register = register_run.recorded.findings.clone();
    let gathered = picture_of(&session.installation, &snapshot, evidence, as_of).await?;
    let checks = check(&session.installation, &gathered).await?;
    let id = match &request.id {
        Some(id) => id.clone(),
        None => free_id(&snapshot, &as_of.to_string()),
    };
    if snapshot.risk_analyses.contains_key(&id) {
        anyhow::bail!(
            "there is already a risk analysis {id:?}; an analysis is never changed once made: \
             give another --id, or leave it out for the next free one"
        );
    }
    let config = session.installation.home.config();
    let heading = Heading {
        id: id.clone(),
        as_of,
        organization: config.organization.name.clone(),
        scope: request
            .scope
            .clone()
            .unwrap_or_else(|| DEFAULT_SCOPE.to_owned()),
        prepared_by: request.prepared_by.clone(),
        prepared_at: Timestamp::now(),
    };
    let threats = ThreatCatalog::builtin().context("the built-in threat catalog is damaged")?;
    // What was stale in what the analysis covers: the checks of the earlier analyses
    // themselves (signed, current, covering) judge what this one supersedes, so they are left
    // out of it.
    let stale: Vec<Finding> = checks
        .findings
        .iter()
        .filter(|f| !f.check.as_str().starts_with("risk.analysis."))
        .cloned()
        .collect();
    let analysis = Analysis::new(heading, &gathered.picture, &threats.threats, stale);
    let digest = analysis.digest();
    let document = session
        .installation
        .record(
            ANALYSIS_KIND,
            serde_json::json!({
                "analysis": id,
                "sha256": digest,
                "document": analysis.to_json(),
            }),
        )
        .await?;
    let record = RiskAnalysis {
        id: id.clone(),
        as_of,
        scope: analysis.heading.scope.clone(),
        method: analysis.method.clone(),
        assets: analysis.ephi_assets().map(|a| a.id().to_owned()).collect(),
        risks: analysis.risks.iter().map(|r| r.risk.id.clone()).collect(),
        sha256: digest,
        prepared_by: request.prepared_by.clone(),
        signed_by: request.sign_off.clone(),
        signed_on: request.sign_off.as_ref().map(|_| day),
        notes: None,
    };
    crate::register::add(session, record.clone().into(), source, notices).await?;
    Ok(Analyzed {
        analysis,
        record,
        document,
        checks: checks.evidence,
        notes: gathered.notes,
    })
}

/// The first of `base`, `base-2`, `base-3`… that no analysis has.
fn free_id(snapshot: &Snapshot, base: &str) -> String {
    (1..)
        .map(|n| {
            if n == 1 {
                base.to_owned()
            } else {
                format!("{base}-{n}")
            }
        })
        .find(|id| !snapshot.risk_analyses.contains_key(id))
        .unwrap_or_else(|| base.to_owned())
}

/// Signs an analysis off, once its document is found intact in the ledger.
pub async fn sign_off(
    session: &Session,
    id: &str,
    by: &str,
    source: &Source,
    notices: &dyn Notices,
) -> anyhow::Result<(RiskAnalysis, Vec<Applied>)> {
    let snapshot = session.register.snapshot().await?;
    let Some(stored) = snapshot.risk_analyses.get(id) else {
        anyhow::bail!(
            "there is no risk analysis {id:?}; make one with `phiguard risk analyze`, or list \
             them with `phiguard register risk-analysis list`"
        );
    };
    let record = &stored.record;
    if let Some(signed) = sign_off_of(record) {
        anyhow::bail!(
            "risk analysis {id:?} was signed off by {} on {}; a signed analysis stays as \
             signed: make a new one with `phiguard risk analyze`",
            signed.by,
            signed.on
        );
    }
    if recorded_document(&session.installation, record)
        .await?
        .is_none()
    {
        anyhow::bail!(
            "the ledger holds no document with the SHA-256 {} that risk analysis {id:?} names, \
             so there is nothing intact to sign: the record or the ledger was changed behind \
             phiguard's back. Make a new analysis with `phiguard risk analyze`",
            record.sha256
        );
    }
    let signed = RiskAnalysis {
        signed_by: Some(by.to_owned()),
        signed_on: Some(today()),
        ..record.clone()
    };
    let applied = crate::register::update(session, signed.clone().into(), source, notices).await?;
    Ok((signed, applied))
}

/// A recorded analysis, read back from the ledger to be shown or rendered again.
#[derive(Debug, Clone, Serialize)]
pub struct RecordedAnalysis {
    pub record: RiskAnalysis,
    pub document: EvidenceRef,
    pub analysis: Analysis,
}

/// The analysis `id` as recorded; an error when its document is not intact in the ledger.
pub async fn recorded(session: &Session, id: &str) -> anyhow::Result<RecordedAnalysis> {
    let snapshot = session.register.snapshot().await?;
    let Some(stored) = snapshot.risk_analyses.get(id) else {
        anyhow::bail!(
            "there is no risk analysis {id:?}; `phiguard register risk-analysis list` shows them"
        );
    };
    let Some((document, analysis)) =
        recorded_document(&session.installation, &stored.record).await?
    else {
        anyhow::bail!(
            "the ledger holds no document with the SHA-256 {} that risk analysis {id:?} names: \
             the record or the ledger was changed behind phiguard's back",
            stored.record.sha256
        );
    };
    Ok(RecordedAnalysis {
        record: stored.record.clone(),
        document,
        analysis,
    })
}

/// Checks a risk's threat against the catalog before it is recorded: a misspelt threat would
/// leave the risk out of every threat's list.
pub fn vet_threat(threat: &str) -> anyhow::Result<()> {
    let catalog = ThreatCatalog::builtin().context("the built-in threat catalog is damaged")?;
    if catalog.threat(threat).is_none() {
        anyhow::bail!(
            "{threat:?} is not a threat of the catalog; `phiguard risk threats` lists them \
             (one of: {})",
            catalog.ids().join(", ")
        );
    }
    Ok(())
}

/// Whether a record names an asset id that is neither recorded nor seen, for a warning.
pub fn unknown_assets(gathered: &Gathered, record: &AnyRecord) -> Vec<String> {
    let named: Vec<&String> = match record {
        AnyRecord::Risk(r) => r.assets.iter().collect(),
        AnyRecord::Vulnerability(v) => v.assets.iter().collect(),
        AnyRecord::Flow(f) => vec![&f.from, &f.to],
        _ => Vec::new(),
    };
    named
        .into_iter()
        .filter(|id| gathered.picture.asset(id).is_none())
        .cloned()
        .collect()
}
