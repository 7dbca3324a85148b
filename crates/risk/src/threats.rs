//! The threat catalog (`catalog/threats.yaml`): the sources of threats of NIST SP 800-30
//! Rev. 1 (Appendix D) and the threat events a health-care organisation in the cloud faces
//! (Appendix E, and the threat list of the HHS/ONC Security Risk Assessment Tool), in our own
//! words with their sources. Compiled in and checked when loaded.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

/// The whole catalog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThreatCatalog {
    /// The kinds of threat source (NIST SP 800-30 Rev. 1, Table D-2).
    pub sources: Vec<ThreatSource>,
    pub threats: Vec<Threat>,
}

/// A kind of threat source: adversarial, accidental, structural, environmental.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThreatSource {
    pub id: String,
    pub name: String,
    pub description: String,
    /// Where the category comes from.
    pub reference: String,
}

/// A threat event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Threat {
    pub id: String,
    pub name: String,
    /// The `id` of its source.
    pub source: String,
    pub description: String,
    /// Where it comes from: the SRA Tool's threat list, NIST SP 800-30 Rev. 1 Table E-2 or
    /// E-3, a case of HHS's.
    pub references: Vec<String>,
    /// Prefixes of check ids whose failing findings are vulnerabilities this threat exploits
    /// (`host.patches`, `cloud.aws.s3`): a risk for such a vulnerability is drafted with it.
    #[serde(default)]
    pub checks: Vec<String>,
}

/// A problem with the catalog's data: the tests fail on it, so a release never has one.
#[derive(Debug, thiserror::Error)]
#[error("catalog/threats.yaml: {0}")]
pub struct CatalogError(String);

const BUILTIN: &str = include_str!("../../../catalog/threats.yaml");

impl ThreatCatalog {
    /// The catalog compiled in.
    pub fn builtin() -> Result<&'static ThreatCatalog, CatalogError> {
        static CATALOG: OnceLock<Result<ThreatCatalog, String>> = OnceLock::new();
        CATALOG
            .get_or_init(|| ThreatCatalog::parse(BUILTIN).map_err(|e| e.0))
            .as_ref()
            .map_err(|why| CatalogError(why.clone()))
    }

    /// Reads and checks a catalog: ids unique, every threat's source known, references given.
    pub fn parse(text: &str) -> Result<ThreatCatalog, CatalogError> {
        let catalog: ThreatCatalog =
            serde_saphyr::from_str(text).map_err(|e| CatalogError(e.to_string()))?;
        let mut seen = std::collections::BTreeSet::new();
        for source in &catalog.sources {
            if !seen.insert(source.id.as_str()) {
                return Err(CatalogError(format!(
                    "source {:?} appears twice",
                    source.id
                )));
            }
        }
        for threat in &catalog.threats {
            if !seen.insert(threat.id.as_str()) {
                return Err(CatalogError(format!("id {:?} appears twice", threat.id)));
            }
            if !catalog.sources.iter().any(|s| s.id == threat.source) {
                return Err(CatalogError(format!(
                    "threat {:?} names the source {:?}, which is not in `sources`",
                    threat.id, threat.source
                )));
            }
            if threat.references.is_empty() {
                return Err(CatalogError(format!(
                    "threat {:?} has no references; say where it comes from",
                    threat.id
                )));
            }
            if !is_slug(&threat.id) {
                return Err(CatalogError(format!(
                    "threat id {:?} must be lowercase letters, digits and hyphens: risks name \
                     it on the command line (`--threat`)",
                    threat.id
                )));
            }
            let mut prefixes = std::collections::BTreeSet::new();
            for prefix in &threat.checks {
                // A prefix of two parts or more is shaped like a check id; one part
                // (`host`) would match every check of a namespace.
                if let Err(why) = prefix.parse::<phiguard_core::CheckId>() {
                    return Err(CatalogError(format!(
                        "threat {:?} names the check prefix {prefix:?}: {why}",
                        threat.id
                    )));
                }
                if !prefixes.insert(prefix.as_str()) {
                    return Err(CatalogError(format!(
                        "threat {:?} names the check prefix {prefix:?} twice",
                        threat.id
                    )));
                }
            }
        }
        Ok(catalog)
    }

    pub fn threat(&self, id: &str) -> Option<&Threat> {
        self.threats.iter().find(|t| t.id == id)
    }

    pub fn source(&self, id: &str) -> Option<&ThreatSource> {
        self.sources.iter().find(|s| s.id == id)
    }

    /// The threats that exploit what failing findings of `check` show.
    pub fn for_check(&self, check: &str) -> Vec<&Threat> {
        self.threats
            .iter()
            .filter(|t| t.checks.iter().any(|prefix| matches_prefix(prefix, check)))
            .collect()
    }

    /// The ids, for an error that says which are accepted.
    pub fn ids(&self) -> Vec<&str> {
        self.threats.iter().map(|t| t.id.as_str()).collect()
    }
}

/// Whether `check` is the check `prefix` names or one under it: `host.patches` covers
/// `host.patches.security_updates` but not `host.patches_extra`.
pub fn matches_prefix(prefix: &str, check: &str) -> bool {
    check == prefix
        || check
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('.'))
}

fn is_slug(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('-')
        && !id.ends_with('-')
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}
