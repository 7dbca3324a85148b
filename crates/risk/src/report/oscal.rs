//! The treatment plan as an OSCAL 1.1.2 plan of action and milestones, for governance tools
//! and assessors that read OSCAL.
//!
//! - Every risk whose treatment is still to do, and every accepted risk whose acceptance has
//!   lapsed, is an OSCAL `risk` (status `open`, rated by facets in phiguard's namespace) and a
//!   `poam-item` that points at it. Risks whose treatment is in place or whose acceptance
//!   stands are not in the plan: there is nothing to do about them.
//! - A failing check named as a risk's mitigation is an `observation` the risk and its item
//!   cite: it is why the treatment does not count as in place.
//! - uuids are derived from the analysis id and what they name, so the same analysis always
//!   gives the same document: it is kept beside the signed analysis, and a second rendering
//!   must not read as a different plan. They carry the version bits of a name-based (v5)
//!   uuid, which OSCAL's uuid pattern requires; the hash is SHA-256 rather than v5's SHA-1.
//! - OSCAL's prose fields are Markdown, so text people typed is escaped as in the Markdown
//!   report, and OSCAL arrays must not be empty, so an empty list is left out.

use std::collections::BTreeSet;

use phiguard_core::spelling::{capitalised, count};
use phiguard_register::records::Treatment;
use serde_json::{Map, Value, json};

use super::markdown::{escape as md, one_line};
use super::outline::{self, linked_checks, rating};
use crate::analysis::{Analysis, SignOff};
use crate::risks::{RiskView, TreatmentState};

pub use phiguard_core::oscal::NAMESPACE as OSCAL_NAMESPACE;
use phiguard_core::oscal::{VERSION as OSCAL_VERSION, insert_list, prop};

/// The uuid of the thing `name` in the document of analysis `analysis_id`: the first 16
/// bytes of SHA-256 over both, with the version and variant bits of a name-based uuid.
fn uuid(analysis_id: &str, name: &str) -> String {
    let mut input = Vec::with_capacity(analysis_id.len() + name.len() + 16);
    input.extend_from_slice(b"phiguard-risk-poam\0");
    input.extend_from_slice(analysis_id.as_bytes());
    input.push(0);
    input.extend_from_slice(name.as_bytes());
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &input);
    let mut bytes = [0u8; 16];
    for (byte, d) in bytes.iter_mut().zip(digest.as_ref()) {
        *byte = *d;
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x50;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex = phiguard_core::hex::encode(&bytes);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// A single-line OSCAL field (a title, a prop) from text people typed.
fn line(text: &str) -> String {
    md(&one_line(text))
}

/// The analysis's treatment plan as an OSCAL 1.1.2 `plan-of-action-and-milestones`: see the
/// module's documentation.
pub fn oscal_poam(analysis: &Analysis, sign_off: Option<&SignOff>) -> Value {
    let id = analysis.heading.id.as_str();
    let u = |name: &str| uuid(id, name);
    let organization_uuid = u("party:organization");
    let preparer_uuid = u("party:preparer");
    let at = analysis.heading.prepared_at.to_string();
    // Who rated the risks: the person who prepared the analysis, else the organisation.
    let actor = if analysis.heading.prepared_by.is_some() {
        &preparer_uuid
    } else {
        &organization_uuid
    };

    // The plan's order: open treatments soonest due first, then lapsed acceptances.
    let mut listed: Vec<&RiskView> = analysis.treatment_plan();
    listed.extend(
        analysis
            .risks
            .iter()
            .filter(|r| matches!(r.state, TreatmentState::AcceptanceExpired { .. })),
    );

    let mut observations = Vec::new();
    let mut risks = Vec::new();
    let mut items = Vec::new();
    for view in listed {
        let r = &view.risk;
        let risk_uuid = u(&format!("risk:{}", r.id));
        let mut seen = BTreeSet::new();
        let related: Vec<Value> = view
            .checks
            .iter()
            .filter(|c| !c.failing.is_empty() && seen.insert(c.check.as_str()))
            .map(|c| {
                let observation_uuid = u(&format!("observation:{}:{}", r.id, c.check));
                observations.push(json!({
                    "uuid": observation_uuid,
                    "title": format!("Check {} fails", line(&c.check)),
                    "description": format!(
                        "The check {} fails on {}, so the treatment of the risk {} is not in \
                         place.",
                        md(&c.check),
                        md(&c.failing.join(", ")),
                        md(&r.id)
                    ),
                    "props": [prop("check-id", &c.check), prop("risk-id", &r.id)],
                    "methods": ["TEST"],
                    "collected": at,
                }));
                json!({ "observation-uuid": observation_uuid })
            })
            .collect();
        risks.push(risk(analysis, view, &risk_uuid, actor, &related));
        items.push(item(
            view,
            &u(&format!("poam-item:{}", r.id)),
            &risk_uuid,
            related,
        ));
    }
    if items.is_empty() {
        items.push(json!({
            "uuid": u("poam-item:none"),
            "title": "No open items",
            "description": format!(
                "No risk of the analysis of {} has a treatment still to do or an acceptance \
                 that lapsed.",
                analysis.heading.as_of
            ),
        }));
    }

    let mut root = Map::new();
    root.insert("uuid".into(), u("document").into());
    root.insert(
        "metadata".into(),
        metadata(analysis, sign_off, &organization_uuid, &preparer_uuid, &at),
    );
    let system = analysis
        .heading
        .organization
        .as_deref()
        .map(|o| o.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|o| !o.is_empty())
        .unwrap_or_else(|| "phiguard".to_owned());
    root.insert(
        "system-id".into(),
        json!({ "identifier-type": OSCAL_NAMESPACE, "id": system }),
    );
    insert_list(&mut root, "observations", observations);
    insert_list(&mut root, "risks", risks);
    root.insert("poam-items".into(), Value::Array(items));
    json!({ "plan-of-action-and-milestones": Value::Object(root) })
}

fn metadata(
    analysis: &Analysis,
    sign_off: Option<&SignOff>,
    organization_uuid: &str,
    preparer_uuid: &str,
    at: &str,
) -> Value {
    let h = &analysis.heading;
    let mut props = vec![
        prop("analysis-id", &h.id),
        prop("as-of", &h.as_of.to_string()),
        prop("method", &analysis.method),
        prop("document-sha256", &analysis.digest()),
        prop("phiguard-version", &analysis.phiguard_version),
    ];
    match sign_off {
        Some(s) => {
            props.push(prop("signed-off-by", &s.by));
            props.push(prop("signed-off-on", &s.on.to_string()));
        }
        None => props.push(prop("signed-off", "false")),
    }
    let mut parties = vec![json!({
        "uuid": organization_uuid,
        "type": "organization",
        "name": line(outline::organization(analysis)),
    })];
    if let Some(by) = &h.prepared_by {
        parties.push(json!({
            "uuid": preparer_uuid,
            "type": "person",
            "name": line(by),
            "member-of-organizations": [organization_uuid],
        }));
    }
    let version = if h.id.trim().is_empty() {
        "unnamed".to_owned()
    } else {
        one_line(h.id.trim())
    };
    let mut metadata = Map::new();
    metadata.insert(
        "title".into(),
        format!(
            "phiguard HIPAA risk treatment plan: {}",
            line(&outline::title(analysis))
        )
        .into(),
    );
    metadata.insert("last-modified".into(), at.into());
    metadata.insert("version".into(), version.into());
    metadata.insert("oscal-version".into(), OSCAL_VERSION.into());
    metadata.insert("props".into(), Value::Array(props));
    metadata.insert("parties".into(), Value::Array(parties));
    if sign_off.is_none() {
        metadata.insert(
            "remarks".into(),
            "NOT SIGNED OFF: nobody has signed the analysis this plan comes from.".into(),
        );
    }
    Value::Object(metadata)
}

fn risk(
    analysis: &Analysis,
    view: &RiskView,
    risk_uuid: &str,
    actor: &str,
    related: &[Value],
) -> Value {
    let r = &view.risk;
    let threat = analysis
        .threats
        .iter()
        .find(|t| t.id == r.threat)
        .map_or(r.threat.as_str(), |t| t.name.as_str());
    let mut risk = Map::new();
    risk.insert("uuid".into(), risk_uuid.into());
    risk.insert("title".into(), line(&r.title).into());
    risk.insert(
        "description".into(),
        format!(
            "{}\n\nThreat: {}. Vulnerability: {}. Assets: {}.",
            md(&r.title),
            md(threat),
            md(&r.vulnerability),
            md(&r.assets.join(", "))
        )
        .into(),
    );
    risk.insert(
        "statement".into(),
        format!(
            "Rated {} before treatment; {} now; {} once the treatment is in place. Treatment: \
             {}, {}. Linked checks: {}.",
            rating(&view.inherent),
            rating(&view.residual),
            rating(&view.target),
            r.treatment.as_str(),
            md(&outline::state(&view.state)),
            md(&linked_checks(view)),
        )
        .into(),
    );
    let mut props = vec![
        prop("risk-id", &r.id),
        prop("threat-id", &r.threat),
        prop("treatment", r.treatment.as_str()),
        prop("treatment-state", view.state.word()),
    ];
    if let Some(owner) = &r.owner {
        props.push(prop("owner", owner));
    }
    risk.insert("props".into(), Value::Array(props));
    risk.insert("status".into(), "open".into());
    risk.insert(
        "characterizations".into(),
        json!([{
            "origin": { "actors": [{ "type": "party", "actor-uuid": actor }] },
            "facets": [
                facet("likelihood", &view.residual.likelihood.to_string()),
                facet("impact", &view.residual.impact.to_string()),
                facet("risk-level", view.residual.level.as_str()),
                facet("score", &view.residual.score.to_string()),
            ],
        }]),
    );
    if let Some(due) = r.due {
        // Due on a day means in place by its end.
        risk.insert("deadline".into(), format!("{due}T23:59:59Z").into());
    }
    let response = match (&view.state, r.treatment) {
        (TreatmentState::AcceptanceExpired { on }, _) => Some((
            "recommendation",
            format!("Decide again: the acceptance lapsed on {on}"),
            format!(
                "Accepted by {}: {}. Accept it again with a new expiry, or treat it.",
                md(r.accepted_by.as_deref().unwrap_or("nobody named")),
                md(r.acceptance_reason.as_deref().unwrap_or("no reason given"))
            ),
        )),
        (_, Treatment::Accept) => None,
        (_, treatment) => Some((
            "planned",
            format!("{}: {}", capitalised(treatment.as_str()), line(&r.title)),
            md(r.plan.as_deref().unwrap_or("No plan is recorded.")),
        )),
    };
    if let Some((lifecycle, title, description)) = response {
        risk.insert(
            "remediations".into(),
            json!([{
                "uuid": uuid(&analysis.heading.id, &format!("remediation:{}", r.id)),
                "lifecycle": lifecycle,
                "title": title,
                "description": description,
            }]),
        );
    }
    insert_list(&mut risk, "related-observations", related.to_vec());
    Value::Object(risk)
}

fn facet(name: &str, value: &str) -> Value {
    json!({ "name": name, "system": OSCAL_NAMESPACE, "value": value })
}

fn item(view: &RiskView, item_uuid: &str, risk_uuid: &str, related: Vec<Value>) -> Value {
    let r = &view.risk;
    let mut description = match &view.state {
        TreatmentState::AcceptanceExpired { on } => {
            format!("The acceptance of this risk lapsed on {on}: accept it again or treat it.")
        }
        _ => format!(
            "Plan: {}",
            md(r.plan.as_deref().unwrap_or("no plan is recorded"))
        ),
    };
    description.push_str(&format!(
        "\n\nOwner: {}. Due: {}.",
        md(r.owner.as_deref().unwrap_or("nobody named")),
        r.due
            .map_or_else(|| "no due date".to_owned(), |d| d.to_string())
    ));
    let mut props = vec![
        prop("risk-id", &r.id),
        prop("treatment-state", view.state.word()),
    ];
    if let Some(due) = r.due {
        props.push(prop("due", &due.to_string()));
    }
    if let TreatmentState::Overdue { days, .. } = view.state {
        description.push_str(&format!(" OVERDUE by {}.", count(days, "day")));
        props.push(prop("overdue-days", &days.to_string()));
    }
    let mut item = Map::new();
    item.insert("uuid".into(), item_uuid.into());
    item.insert("title".into(), line(&r.title).into());
    item.insert("description".into(), description.into());
    item.insert("props".into(), Value::Array(props));
    insert_list(&mut item, "related-observations", related);
    item.insert("related-risks".into(), json!([{ "risk-uuid": risk_uuid }]));
    Value::Object(item)
}
