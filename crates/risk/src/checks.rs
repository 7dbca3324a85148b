//! The risk checks: when the analysis has gone stale, as findings.
//!
//! A risk analysis is a questionnaire that goes stale the day it is signed. These checks judge
//! a [`Picture`] (everything known on a day) against the newest signed analysis: is it recent,
//! does it cover every asset that holds ePHI now, does every critical vulnerability on such an
//! asset have a risk, are the treatments on schedule and the acceptances in date.
//!
//! Every finding cites the ledger entries it rests on: the analysis record, the risk record,
//! the findings that show a vulnerability, the asset's record and sightings. An organisation
//! that has recorded nothing must not look compliant, so the absence of an analysis, or of any
//! risk while ePHI assets are known, fails rather than being "not applicable".

use std::sync::Arc;

use jiff::civil::Date;
use phiguard_core::{
    CheckContext, CheckMeta, EvidenceRef, Finding, FnCheck, Registry, RegistryError, Severity,
    Status,
};
use phiguard_register::Kind;
use phiguard_register::records::{Level, PhiUse, Treatment, add_months, utc_day};

use crate::analysis::{AnalysisOnRecord, Picture};
use crate::flows::FlowView;
use crate::inventory::{AssetView, Origin};
use crate::risks::{RiskView, TreatmentState};
use crate::vulnerabilities::{Found, VulnerabilityView};

/// Thresholds of the risk checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// How long a signed analysis stays current. The rule sets no period; twelve months is
    /// what HHS's guidance and the 2025 proposed rule expect at the least.
    pub analysis_valid_months: u32,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            analysis_valid_months: 12,
        }
    }
}

/// What every risk check judges.
struct Scope<'a> {
    picture: &'a Picture,
    settings: Settings,
    today: Date,
}

type Judge = fn(&CheckMeta, &Scope<'_>) -> Vec<Finding>;

const ANALYZE: &str = "Prepare the analysis with `phiguard risk analyze`, review it, and sign \
                       it off with `phiguard risk signoff ID --by NAME`.";

fn checks() -> Vec<(CheckMeta, Judge)> {
    vec![
        (
            CheckMeta::from_literals(
                "risk.analysis.current",
                "a risk analysis is signed off within its period of validity (12 months by default), and its document is the one the ledger holds",
                Severity::High,
                "45 CFR 164.308(a)(1)(ii)(A) requires an accurate and thorough assessment of the \
                 risks to all the ePHI the organisation holds, and 164.316(b)(2)(iii) its review \
                 as operations change. An analysis nobody has signed, one older than a year, or \
                 one whose document no longer matches what was signed shows no current \
                 assessment. OCR cites the missing risk analysis more than any other failing.",
                ANALYZE,
            ),
            analysis_current as Judge,
        ),
        (
            CheckMeta::from_literals(
                "risk.analysis.coverage",
                "the newest signed risk analysis covers every asset that holds ePHI",
                Severity::High,
                "45 CFR 164.308(a)(1)(ii)(A) covers all ePHI the organisation creates, receives, \
                 maintains or transmits. A system, cloud service or vendor that took in ePHI \
                 after the last analysis was never assessed: St. Elizabeth's Medical Center \
                 settled with OCR for $218,000 over a file-sharing service used exactly so.",
                "Assess the new asset: record its owner and criticality (`phiguard asset update \
                 ID`), the risks it carries (`phiguard risk add`), then prepare and sign a new \
                 analysis (`phiguard risk analyze`, `phiguard risk signoff ID --by NAME`).",
            ),
            analysis_coverage as Judge,
        ),
        (
            CheckMeta::from_literals(
                "risk.vulnerabilities.assessed",
                "every critical vulnerability on an ePHI asset has a risk recorded for it",
                Severity::High,
                "45 CFR 164.308(a)(1)(ii)(A) requires assessing the vulnerabilities of the \
                 systems holding ePHI, and 164.308(a)(1)(ii)(B) reducing the risks they carry. \
                 A critical weakness on such an asset that no risk names has been neither \
                 assessed nor given a treatment.",
                "Record the risk: `phiguard risk add ID --asset ASSET --threat THREAT \
                 --vulnerability TEXT --check CHECK --likelihood N --impact N --treatment \
                 mitigate --owner NAME --due DATE` (`phiguard risk threats` lists the threats; \
                 for a vulnerability people recorded, name it with `--vulnerability-id`).",
            ),
            vulnerabilities_assessed as Judge,
        ),
        (
            CheckMeta::from_literals(
                "risk.treatment.schedule",
                "risk treatments are in place or on schedule, each with an owner and a due date",
                Severity::Medium,
                "45 CFR 164.308(a)(1)(ii)(B) requires security measures that bring risks down \
                 to a reasonable and appropriate level. A treatment past its due date, or one \
                 nobody owns or has dated, leaves the risk at its inherent level.",
                "Put the treatment in place, so that the checks named for it pass, or set a new \
                 date and owner with `phiguard risk update ID --due DATE --owner NAME` and say \
                 why in `--notes`.",
            ),
            treatment_schedule as Judge,
        ),
        (
            CheckMeta::from_literals(
                "risk.acceptance.current",
                "accepted risks are accepted until a day not yet past",
                Severity::Medium,
                "45 CFR 164.308(a)(1)(ii)(B) lets an organisation keep a risk it judges \
                 reasonable and appropriate, and 164.306(b) has it weigh cost and capability. \
                 An acceptance is a decision for a time; once lapsed, nobody has decided the \
                 risk any more.",
                "Decide the risk again: accept it anew with `phiguard risk accept ID --by NAME \
                 --reason TEXT --until DATE`, or treat it (`phiguard risk update ID --treatment \
                 mitigate --owner NAME --due DATE`).",
            ),
            acceptance_current as Judge,
        ),
        (
            CheckMeta::from_literals(
                "risk.inventory.described",
                "every ePHI asset has an owner and a criticality, and every flow joins assets of the inventory",
                Severity::Low,
                "The 2025 proposed update to the Security Rule (90 FR 898) requires a written \
                 inventory of the technology assets that hold ePHI and a map of how ePHI moves \
                 between them; 164.308(a)(1)(ii)(A) rests on knowing both. An asset with no \
                 owner has nobody to answer for it, and one with no criticality cannot be \
                 weighed.",
                "Describe the asset: `phiguard asset update ID --owner NAME --criticality \
                 LEVEL` (or `phiguard asset add` for one phiguard has not seen); record the \
                 flows of ePHI with `phiguard flow add ID --from ASSET --to ASSET`.",
            ),
            inventory_described as Judge,
        ),
    ]
}

/// Adds the risk checks, judging `picture` with `settings`, to `registry`.
pub fn add_to(
    registry: &mut Registry,
    picture: Arc<Picture>,
    settings: Settings,
) -> Result<(), RegistryError> {
    for (meta, judge) in checks() {
        let picture = Arc::clone(&picture);
        registry.register(FnCheck::boxed(meta, move |meta, ctx: &CheckContext| {
            let scope = Scope {
                picture: &picture,
                settings,
                today: utc_day(ctx.now),
            };
            Ok(judge(meta, &scope))
        }))?;
    }
    Ok(())
}

/// The checks' ids, for the catalog's tests.
pub fn ids() -> Vec<String> {
    checks()
        .into_iter()
        .map(|(meta, _)| meta.id.to_string())
        .collect()
}

// ---- citing evidence ----

fn citing(mut finding: Finding, refs: impl IntoIterator<Item = Option<EvidenceRef>>) -> Finding {
    for reference in refs.into_iter().flatten() {
        if !finding.evidence.contains(&reference) {
            finding.evidence.push(reference);
        }
    }
    finding
}

/// The register record of an asset, and the ledger entries of its sightings.
fn asset_evidence(asset: &AssetView) -> Vec<Option<EvidenceRef>> {
    std::iter::once(asset.recorded)
        .chain(asset.origins.iter().map(|o| o.evidence))
        .collect()
}

/// The failing findings that show a vulnerability, or the record of one people found.
fn vulnerability_evidence(vulnerability: &VulnerabilityView) -> Vec<Option<EvidenceRef>> {
    match &vulnerability.found {
        Found::Check { findings, .. } => findings
            .iter()
            .flat_map(|f| f.evidence.iter().copied().map(Some))
            .collect(),
        Found::Recorded { evidence } => vec![*evidence],
    }
}

// ---- words ----

fn subject(kind: Kind, id: &str) -> String {
    format!("{kind} {id}")
}

fn days(n: i64) -> String {
    if n == 1 {
        "1 day".into()
    } else {
        format!("{n} days")
    }
}

fn describe_analysis(analysis: &AnalysisOnRecord) -> String {
    let record = &analysis.record;
    match (&record.signed_by, record.signed_on) {
        (Some(by), Some(on)) => format!(
            "analysis {} (as of {}), signed by {by} on {on}",
            record.id, record.as_of
        ),
        _ => format!(
            "analysis {} (as of {}), not signed",
            record.id, record.as_of
        ),
    }
}

/// Where and when phiguard saw an asset, or that only people recorded it.
fn sighting(asset: &AssetView) -> String {
    match asset.origins.first() {
        Some(Origin {
            source,
            detail,
            seen_at,
            ..
        }) => match seen_at {
            Some(at) => format!(
                "phiguard saw it in {} ({detail}), last on {}",
                source.as_str(),
                utc_day(*at)
            ),
            None => format!("phiguard saw it in {} ({detail})", source.as_str()),
        },
        None => "it is recorded in the register".into(),
    }
}

fn uses(ephi: &[PhiUse]) -> String {
    let words: Vec<&str> = ephi.iter().map(|u| u.as_str()).collect();
    words.join(", ")
}

/// The assets that hold ePHI, as a phrase: "3 ePHI assets".
fn ephi_count(n: usize) -> String {
    if n == 1 {
        "1 ePHI asset".into()
    } else {
        format!("{n} ePHI assets")
    }
}

// ---- risk.analysis.current ----

/// The last day a signed analysis is current: `analysis_valid_months` after it was signed.
fn current_until(analysis: &AnalysisOnRecord, settings: Settings) -> Option<Date> {
    analysis
        .record
        .signed_on
        .map(|on| add_months(on, settings.analysis_valid_months))
}

fn analysis_current(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    let picture = scope.picture;
    let mut findings: Vec<Finding> = picture
        .analyses
        .iter()
        .filter(|a| a.record.is_signed())
        .filter_map(|a| {
            let why = a.document.as_ref().err()?;
            Some(citing(
                meta.finding(
                    Status::Fail,
                    subject(Kind::RiskAnalysis, &a.record.id),
                    format!(
                        "{} does not count: its document does not match what the ledger \
                         holds ({why}), so what was signed cannot be shown",
                        describe_analysis(a)
                    ),
                ),
                [a.evidence],
            ))
        })
        .collect();
    let newest = picture.newest_signed();
    let verdict = match newest {
        Some(analysis) => {
            let until = current_until(analysis, scope.settings).unwrap_or(Date::MIN);
            let finding = if until >= scope.today {
                meta.finding(
                    Status::Pass,
                    subject(Kind::RiskAnalysis, &analysis.record.id),
                    format!("{}; current until {until}", describe_analysis(analysis)),
                )
            } else {
                meta.finding(
                    Status::Fail,
                    subject(Kind::RiskAnalysis, &analysis.record.id),
                    format!(
                        "the newest signed one is {}; it lapsed on {until}, {} ago, {} months \
                         after it was signed",
                        describe_analysis(analysis),
                        days(i64::from((scope.today - until).get_days())),
                        scope.settings.analysis_valid_months
                    ),
                )
            };
            citing(finding, [analysis.evidence])
        }
        None => {
            let unsigned: Vec<&AnalysisOnRecord> = picture
                .analyses
                .iter()
                .filter(|a| !a.record.is_signed())
                .collect();
            let ephi = picture.ephi_assets().count();
            let message = match unsigned.first() {
                // `analyses` is newest first.
                Some(newest) => format!(
                    "no analysis is signed off with its document intact; the newest, {}, \
                     awaits a sign-off ({} known)",
                    describe_analysis(newest),
                    ephi_count(ephi)
                ),
                None if picture.analyses.is_empty() => {
                    format!("no risk analysis is recorded ({} known)", ephi_count(ephi))
                }
                None => format!(
                    "no analysis is signed off with its document intact ({} known)",
                    ephi_count(ephi)
                ),
            };
            citing(
                meta.finding(Status::Fail, "risk analysis", message),
                unsigned.iter().map(|a| a.evidence),
            )
        }
    };
    findings.push(verdict);
    findings
}

// ---- risk.analysis.coverage ----

fn analysis_coverage(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    let picture = scope.picture;
    let Some(analysis) = picture.newest_signed() else {
        return vec![meta.finding(
            Status::NotApplicable,
            "risk analysis",
            "no analysis is signed off with its document intact, so there is nothing to \
             compare the inventory with (risk.analysis.current fails for it)",
        )];
    };
    let ephi: Vec<&AssetView> = picture.ephi_assets().collect();
    if ephi.is_empty() {
        return vec![citing(
            meta.finding(
                Status::NotApplicable,
                subject(Kind::RiskAnalysis, &analysis.record.id),
                "no asset is known to hold ePHI; record those that do with `phiguard asset add`",
            ),
            [analysis.evidence],
        )];
    }
    let missing: Vec<Finding> = ephi
        .iter()
        .filter(|asset| !analysis.record.assets.iter().any(|id| id == asset.id()))
        .map(|asset| {
            citing(
                meta.finding(
                    Status::Fail,
                    subject(Kind::Asset, asset.id()),
                    format!(
                        "{} ({}) holds ePHI and is not in {}: added after the last analysis; {}",
                        asset.asset.name,
                        uses(&asset.asset.ephi),
                        describe_analysis(analysis),
                        sighting(asset)
                    ),
                ),
                std::iter::once(analysis.evidence).chain(asset_evidence(asset)),
            )
        })
        .collect();
    if !missing.is_empty() {
        return missing;
    }
    vec![citing(
        meta.finding(
            Status::Pass,
            subject(Kind::RiskAnalysis, &analysis.record.id),
            format!(
                "{} covers all {} known",
                describe_analysis(analysis),
                ephi_count(ephi.len())
            ),
        ),
        std::iter::once(analysis.evidence).chain(ephi.iter().flat_map(|a| asset_evidence(a))),
    )]
}

// ---- risk.vulnerabilities.assessed ----

/// Whether `risk` covers `vulnerability`: it is at risk on one of the same assets, and names
/// either the check that found the vulnerability or the recorded vulnerability itself.
fn covers(risk: &RiskView, vulnerability: &VulnerabilityView) -> bool {
    let same_asset = risk
        .risk
        .assets
        .iter()
        .any(|asset| vulnerability.assets.contains(asset));
    let names_it = match &vulnerability.found {
        Found::Check { check, .. } => risk.risk.checks.contains(check),
        Found::Recorded { .. } => risk.risk.vulnerabilities.contains(&vulnerability.id),
    };
    same_asset && names_it
}

fn vulnerabilities_assessed(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    let picture = scope.picture;
    let holds_ephi = |id: &String| picture.asset(id).is_some_and(AssetView::holds_ephi);
    let critical: Vec<&VulnerabilityView> = picture
        .vulnerabilities
        .iter()
        .filter(|v| v.severity == Level::VeryHigh && v.assets.iter().any(holds_ephi))
        .collect();
    // With no asset known to hold ePHI there is nothing this can vouch for: a pass would
    // make an empty installation look half done.
    if picture.ephi_assets().next().is_none() {
        return vec![meta.finding(
            Status::NotApplicable,
            "vulnerabilities",
            "no asset is known to hold ePHI, so no vulnerability can be judged against one",
        )];
    }
    if critical.is_empty() {
        return vec![meta.finding(
            Status::Pass,
            "vulnerabilities",
            format!(
                "no critical vulnerability on an ePHI asset among the {} known",
                picture.vulnerabilities.len()
            ),
        )];
    }
    critical
        .into_iter()
        .map(|vulnerability| {
            let on: Vec<&str> = vulnerability
                .assets
                .iter()
                .filter(|id| holds_ephi(id))
                .map(String::as_str)
                .collect();
            let found_by = match vulnerability.check() {
                Some(check) => format!("found by {check}"),
                None => "recorded".to_owned(),
            };
            let risks: Vec<&RiskView> = picture
                .risks
                .iter()
                .filter(|r| covers(r, vulnerability))
                .collect();
            let finding = if risks.is_empty() {
                meta.finding(
                    Status::Fail,
                    subject(Kind::Vulnerability, &vulnerability.id),
                    format!(
                        "critical vulnerability on ePHI asset {} ({found_by}): {}; no risk \
                         names it",
                        on.join(", "),
                        vulnerability.title
                    ),
                )
            } else {
                let names: Vec<&str> = risks.iter().map(|r| r.risk.id.as_str()).collect();
                meta.finding(
                    Status::Pass,
                    subject(Kind::Vulnerability, &vulnerability.id),
                    format!(
                        "critical vulnerability on ePHI asset {} ({found_by}) is assessed in \
                         risk {}",
                        on.join(", "),
                        names.join(", ")
                    ),
                )
            };
            citing(
                finding,
                vulnerability_evidence(vulnerability)
                    .into_iter()
                    .chain(risks.iter().map(|r| r.evidence)),
            )
        })
        .collect()
}

// ---- risk.treatment.schedule ----

/// The failing findings of a risk's linked checks on its assets, as the vulnerabilities
/// that carry them: what an overdue treatment still leaves open.
fn open_vulnerabilities<'p>(
    picture: &'p Picture,
    risk: &'p RiskView,
) -> impl Iterator<Item = &'p VulnerabilityView> {
    picture.vulnerabilities.iter().filter(move |v| {
        v.check()
            .is_some_and(|check| risk.risk.checks.iter().any(|c| c == check))
            && v.assets.iter().any(|a| risk.risk.assets.contains(a))
    })
}

fn owner(risk: &RiskView) -> String {
    match &risk.risk.owner {
        Some(owner) => format!("owner {owner}"),
        None => "no owner".into(),
    }
}

fn treatment_schedule(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    let picture = scope.picture;
    if picture.risks.is_empty() {
        let ephi: Vec<&AssetView> = picture.ephi_assets().collect();
        // No risk recorded is no risk management, whatever is known of the assets: an
        // organisation that has recorded nothing must not look compliant.
        return vec![if ephi.is_empty() {
            Finding {
                remediation: Some(
                    "Record the assets that hold ePHI (`phiguard asset add`, or let phiguard \
                     see them: `phiguard host check`, `phiguard cloud check aws`, vendors in the \
                     register) and the risks to them (`phiguard risk add`)."
                        .into(),
                ),
                ..meta.finding(
                    Status::Fail,
                    "risks",
                    "no risk is recorded, and no asset is known to hold ePHI",
                )
            }
        } else {
            citing(
                meta.finding(
                    Status::Fail,
                    "risks",
                    format!("no risk recorded for {}", ephi_count(ephi.len())),
                ),
                ephi.iter().flat_map(|a| asset_evidence(a)),
            )
        }];
    }
    let findings: Vec<Finding> = picture
        .risks
        .iter()
        .filter_map(|risk| schedule_of(meta, picture, risk, scope.today))
        .collect();
    if findings.is_empty() {
        return vec![meta.finding(
            Status::NotApplicable,
            "risks",
            "every risk recorded is accepted; risk.acceptance.current judges them",
        )];
    }
    findings
}

/// One risk's treatment against its schedule; none for an accepted risk, which
/// risk.acceptance.current judges.
fn schedule_of(
    meta: &CheckMeta,
    picture: &Picture,
    risk: &RiskView,
    today: Date,
) -> Option<Finding> {
    let id = &risk.risk.id;
    let finding = match &risk.state {
        TreatmentState::Accepted { .. } | TreatmentState::AcceptanceExpired { .. } => return None,
        TreatmentState::Overdue { due, days: late } => {
            let failing: Vec<String> = risk
                .checks
                .iter()
                .filter(|c| !c.passes())
                .map(|c| {
                    if c.failing.is_empty() {
                        format!("{} (no passing finding yet)", c.check)
                    } else {
                        format!("{} (failing on {})", c.check, c.failing.join(", "))
                    }
                })
                .collect();
            let still = if failing.is_empty() {
                "no day done is recorded".to_owned()
            } else {
                format!("still not passing: {}", failing.join("; "))
            };
            let finding = meta.finding(
                Status::Fail,
                subject(Kind::Risk, id),
                format!(
                    "the {} treatment was due on {due}, {} late; {}; {still}",
                    risk.risk.treatment,
                    days(*late),
                    owner(risk)
                ),
            );
            return Some(citing(
                finding,
                std::iter::once(risk.evidence)
                    .chain(open_vulnerabilities(picture, risk).flat_map(vulnerability_evidence)),
            ));
        }
        TreatmentState::Pending { due } => {
            let missing: Vec<&str> = [
                ("owner", risk.risk.owner.is_none()),
                ("due date", due.is_none()),
            ]
            .into_iter()
            .filter_map(|(what, absent)| absent.then_some(what))
            .collect();
            // A mitigation is the organisation's own work: without someone to do it and a day
            // to do it by, "pending" means nothing. Transfers and avoidance are decisions
            // whose timing is the contract's or the business's.
            if risk.risk.treatment == Treatment::Mitigate && !missing.is_empty() {
                meta.finding(
                    Status::Warn,
                    subject(Kind::Risk, id),
                    format!(
                        "the mitigation is not in place and has no {}",
                        missing.join(" and no ")
                    ),
                )
            } else {
                let when = match due {
                    Some(due) => format!(
                        "due on {due}, in {}",
                        days(i64::from((*due - today).get_days()))
                    ),
                    None => "no due date".into(),
                };
                meta.finding(
                    Status::Pass,
                    subject(Kind::Risk, id),
                    format!(
                        "the {} treatment is pending, {when}; {}",
                        risk.risk.treatment,
                        owner(risk)
                    ),
                )
            }
        }
        TreatmentState::InPlace { basis } => meta.finding(
            Status::Pass,
            subject(Kind::Risk, id),
            format!("the {} treatment is in place: {basis}", risk.risk.treatment),
        ),
    };
    Some(citing(finding, [risk.evidence]))
}

// ---- risk.acceptance.current ----

fn acceptance_current(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    let findings: Vec<Finding> = scope
        .picture
        .risks
        .iter()
        .filter_map(|risk| {
            let by = risk
                .risk
                .accepted_by
                .as_deref()
                .unwrap_or("nobody recorded");
            let finding = match risk.state {
                TreatmentState::AcceptanceExpired { on } => meta.finding(
                    Status::Fail,
                    subject(Kind::Risk, &risk.risk.id),
                    format!(
                        "accepted by {by} until {on}; the acceptance lapsed {} ago and the \
                         risk ({} residual) must be decided again",
                        days(i64::from((scope.today - on).get_days())),
                        crate::scoring::words(risk.residual.level)
                    ),
                ),
                TreatmentState::Accepted { until } => meta.finding(
                    Status::Pass,
                    subject(Kind::Risk, &risk.risk.id),
                    match until {
                        Some(until) => format!("accepted by {by} until {until}"),
                        None => format!("accepted by {by}"),
                    },
                ),
                _ => return None,
            };
            Some(citing(finding, [risk.evidence]))
        })
        .collect();
    if findings.is_empty() {
        return vec![meta.finding(Status::NotApplicable, "risks", "no risk is accepted")];
    }
    findings
}

// ---- risk.inventory.described ----

fn inventory_described(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    let picture = scope.picture;
    let ephi: Vec<&AssetView> = picture.ephi_assets().collect();
    if ephi.is_empty() {
        // A covered entity or business associate holds ePHI by definition: an inventory
        // that names none is not written yet.
        return vec![meta.finding(
            Status::Warn,
            "asset inventory",
            format!(
                "no asset is known to hold ePHI among the {} in the inventory; record those \
                 that create, receive, keep or send it",
                picture.assets.len()
            ),
        )];
    }
    let mut findings: Vec<Finding> = ephi
        .iter()
        .map(|asset| {
            let missing: Vec<&str> = [
                ("owner", asset.asset.owner.is_none()),
                ("criticality", asset.asset.criticality.is_none()),
            ]
            .into_iter()
            .filter_map(|(what, absent)| absent.then_some(what))
            .collect();
            let finding = if missing.is_empty() {
                meta.finding(
                    Status::Pass,
                    subject(Kind::Asset, asset.id()),
                    format!(
                        "{} ({}) is owned by {} and of {} criticality",
                        asset.asset.name,
                        uses(&asset.asset.ephi),
                        asset.asset.owner.as_deref().unwrap_or_default(),
                        asset
                            .asset
                            .criticality
                            .map(|c| c.to_string())
                            .unwrap_or_default()
                    ),
                )
            } else {
                meta.finding(
                    Status::Warn,
                    subject(Kind::Asset, asset.id()),
                    format!(
                        "{} holds ePHI ({}) and has no {}",
                        asset.asset.name,
                        uses(&asset.asset.ephi),
                        missing.join(" and no ")
                    ),
                )
            };
            citing(finding, asset_evidence(asset))
        })
        .collect();
    if picture.flows.is_empty() {
        findings.push(meta.finding(
            Status::Warn,
            "data flows",
            format!(
                "no flow of ePHI is recorded for the {}: the map of how ePHI moves is empty",
                ephi_count(ephi.len())
            ),
        ));
    }
    findings.extend(picture.flows.iter().map(|flow| flow_described(meta, flow)));
    findings
}

fn flow_described(meta: &CheckMeta, flow: &FlowView) -> Finding {
    let record = &flow.flow;
    let finding = if flow.unknown_endpoints.is_empty() {
        meta.finding(
            Status::Pass,
            subject(Kind::Flow, &record.id),
            format!(
                "from {} to {}, both in the inventory",
                record.from, record.to
            ),
        )
    } else {
        meta.finding(
            Status::Warn,
            subject(Kind::Flow, &record.id),
            format!(
                "from {} to {}: {} not in the inventory",
                record.from,
                record.to,
                flow.unknown_endpoints.join(" and ")
            ),
        )
    };
    citing(finding, [flow.evidence])
}
