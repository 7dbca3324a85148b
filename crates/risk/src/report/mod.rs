//! The analysis as documents: Markdown, HTML with an SVG network map, OSCAL POA&M.
//!
//! Placeholders with the module's interface, so the command line can write its files: the
//! renderers themselves land next.

use crate::analysis::{Analysis, SignOff};

/// The analysis as Markdown.
pub fn markdown(analysis: &Analysis, _sign_off: Option<&SignOff>) -> String {
    format!("# Risk analysis {}\n", analysis.heading.id)
}

/// The analysis as a standalone HTML page.
pub fn html(analysis: &Analysis, _sign_off: Option<&SignOff>) -> String {
    format!(
        "<!DOCTYPE html><title>Risk analysis {}</title>\n",
        analysis.heading.id
    )
}

/// The treatment plan as an OSCAL plan of action and milestones.
pub fn oscal_poam(analysis: &Analysis, _sign_off: Option<&SignOff>) -> serde_json::Value {
    serde_json::json!({ "plan-of-action-and-milestones": { "uuid": analysis.digest() } })
}
