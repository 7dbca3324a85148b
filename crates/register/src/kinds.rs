//! The one list of record kinds, from which the kind names, the dynamic [`AnyRecord`] and the
//! in-memory [`Snapshot`] are all generated, so adding a kind is one line here plus its type.

use std::collections::BTreeMap;
use std::fmt;

use phiguard_core::EvidenceRef;
use serde::{Deserialize, Serialize};

use crate::draft::{Described, RecordForm};
use crate::records::*;

/// A record together with the ledger entry that recorded its current state (absent for a
/// record that is not stored yet, such as one read from an import file).
#[derive(Debug, Clone, PartialEq)]
pub struct Stored<T> {
    pub record: T,
    pub evidence: Option<EvidenceRef>,
}

macro_rules! kinds {
    ($( $variant:ident($ty:ty) = $name:literal, $file:literal, $field:ident, $title:literal; )*) => {
        /// A kind of record in the register.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "kebab-case")]
        pub enum Kind {
            $( $variant, )*
        }

        impl Kind {
            /// Every kind, in the order records are imported: a kind comes after the kinds
            /// its records name.
            pub const ALL: &'static [Kind] = &[ $( Kind::$variant, )* ];

            /// The name on the command line and in the ledger: `vendor`, `restore-test`.
            pub fn name(self) -> &'static str {
                match self { $( Kind::$variant => $name, )* }
            }

            /// The file of this kind in an export: `vendors.yaml`.
            pub fn file_name(self) -> &'static str {
                match self { $( Kind::$variant => $file, )* }
            }

            /// What people call the records, in a sentence: "business associate agreements".
            pub fn title(self) -> &'static str {
                match self { $( Kind::$variant => $title, )* }
            }

            /// The kind's fields, id and help, as its record type describes them.
            pub fn form(self) -> &'static RecordForm {
                match self { $( Kind::$variant => <$ty as Described>::form(), )* }
            }
        }

        /// A record of any kind.
        #[derive(Debug, Clone, PartialEq)]
        pub enum AnyRecord {
            $( $variant($ty), )*
        }

        impl AnyRecord {
            pub fn kind(&self) -> Kind {
                match self { $( AnyRecord::$variant(_) => Kind::$variant, )* }
            }

            pub fn id(&self) -> &str {
                match self { $( AnyRecord::$variant(r) => r.id(), )* }
            }

            pub fn problems(&self) -> Vec<String> {
                match self { $( AnyRecord::$variant(r) => r.problems(), )* }
            }

            pub fn references(&self) -> Vec<(Kind, &str)> {
                match self { $( AnyRecord::$variant(r) => r.references(), )* }
            }

            /// The record as JSON, as stored and as recorded in the ledger.
            pub fn to_json(&self) -> serde_json::Value {
                // Every record type serialises to a JSON object: no maps with non-string keys,
                // no floats outside JSON's range (validation rejects NaN and infinities).
                serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
            }

            pub fn from_json(kind: Kind, value: serde_json::Value) -> Result<AnyRecord, serde_json::Error> {
                AnyRecord::deserialize(kind, value)
            }

            /// Reads a record of `kind` from any serde format (JSON, the YAML of an export).
            pub fn deserialize<'de, D: serde::Deserializer<'de>>(kind: Kind, deserializer: D) -> Result<AnyRecord, D::Error> {
                Ok(match kind { $( Kind::$variant => AnyRecord::$variant(<$ty>::deserialize(deserializer)?), )* })
            }
        }

        /// A record serialises as its own type, fields in their declared order (`id` first).
        impl Serialize for AnyRecord {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                match self { $( AnyRecord::$variant(r) => r.serialize(serializer), )* }
            }
        }

        $(
            impl From<$ty> for AnyRecord {
                fn from(record: $ty) -> AnyRecord {
                    AnyRecord::$variant(record)
                }
            }
        )*

        /// The whole register in memory, by kind and id. Registers hold hundreds or thousands
        /// of records, so checks and validation work on a snapshot rather than on queries.
        #[derive(Debug, Clone, Default, PartialEq)]
        pub struct Snapshot {
            $( pub $field: BTreeMap<String, Stored<$ty>>, )*
            /// Records whose stored state differs from the ledger entry that should have
            /// recorded it: edited, added or removed behind phiguard's back. Only
            /// [`Register::audit`](crate::Register::audit) returns a snapshot with any;
            /// [`Register::snapshot`](crate::Register::snapshot) refuses instead.
            pub tampered: Vec<Tampered>,
        }

        impl Snapshot {
            /// Adds or replaces a record.
            pub fn insert(&mut self, record: AnyRecord, evidence: Option<EvidenceRef>) {
                match record {
                    $( AnyRecord::$variant(r) => {
                        self.$field.insert(r.id().to_owned(), Stored { record: r, evidence });
                    } )*
                }
            }

            /// Removes a record, returning it.
            pub fn remove(&mut self, kind: Kind, id: &str) -> Option<AnyRecord> {
                match kind { $( Kind::$variant => self.$field.remove(id).map(|s| AnyRecord::$variant(s.record)), )* }
            }

            pub fn get(&self, kind: Kind, id: &str) -> Option<AnyRecord> {
                match kind { $( Kind::$variant => self.$field.get(id).map(|s| AnyRecord::$variant(s.record.clone())), )* }
            }

            /// The ledger entry that recorded a record's current state.
            pub fn evidence_of(&self, kind: Kind, id: &str) -> Option<EvidenceRef> {
                match kind { $( Kind::$variant => self.$field.get(id).and_then(|s| s.evidence), )* }
            }

            pub fn contains(&self, kind: Kind, id: &str) -> bool {
                match kind { $( Kind::$variant => self.$field.contains_key(id), )* }
            }

            /// Every record of `kind`, in id order.
            pub fn records(&self, kind: Kind) -> Vec<AnyRecord> {
                match kind { $( Kind::$variant => self.$field.values().map(|s| AnyRecord::$variant(s.record.clone())).collect(), )* }
            }

            pub fn count(&self, kind: Kind) -> usize {
                match kind { $( Kind::$variant => self.$field.len(), )* }
            }

            /// How many records there are, of every kind.
            pub fn len(&self) -> usize {
                0 $( + self.$field.len() )*
            }

            pub fn is_empty(&self) -> bool {
                self.len() == 0
            }

            /// Every record, kind by kind in [`Kind::ALL`] order.
            pub fn all(&self) -> Vec<AnyRecord> {
                Kind::ALL.iter().flat_map(|kind| self.records(*kind)).collect()
            }
        }
    };
}

kinds! {
    Vendor(Vendor) = "vendor", "vendors.yaml", vendors, "vendors";
    Baa(Baa) = "baa", "baas.yaml", baas, "business associate agreements";
    Assurance(AssuranceReport) = "assurance", "assurance-reports.yaml", assurance_reports, "assurance reports";
    Sla(Sla) = "sla", "slas.yaml", slas, "service level agreements";
    RestoreTest(RestoreTest) = "restore-test", "restore-tests.yaml", restore_tests, "restore tests";
    Responsibility(ResponsibilityRecord) = "responsibility", "responsibility-matrix.yaml", matrix, "responsibility matrix entries";
    Person(Person) = "person", "people.yaml", people, "people";
    Course(Course) = "course", "courses.yaml", courses, "training courses";
    Completion(Completion) = "completion", "completions.yaml", completions, "training completions";
    Policy(Policy) = "policy", "policies.yaml", policies, "policies";
    Acknowledgment(Acknowledgment) = "acknowledgment", "acknowledgments.yaml", acknowledgments, "policy acknowledgments";
    Grant(Grant) = "grant", "grants.yaml", grants, "access grants";
    Review(Review) = "review", "reviews.yaml", reviews, "access reviews";
    Attestation(Attestation) = "attestation", "attestations.yaml", attestations, "attestations";
    Incident(Incident) = "incident", "incidents.yaml", incidents, "security incidents";
    IncidentEvent(IncidentEvent) = "incident-event", "incident-timeline.yaml", incident_events, "incident timeline entries";
    BreachAssessment(BreachAssessment) = "breach-assessment", "breach-assessments.yaml", breach_assessments, "breach assessments";
    BreachNotice(BreachNotice) = "breach-notice", "breach-notices.yaml", breach_notices, "breach notices";
    Asset(Asset) = "asset", "assets.yaml", assets, "assets";
    Flow(DataFlow) = "flow", "data-flows.yaml", flows, "data flows";
    Vulnerability(Vulnerability) = "vulnerability", "vulnerabilities.yaml", vulnerabilities, "vulnerabilities";
    Risk(RiskRecord) = "risk", "risks.yaml", risks, "risks";
    RiskAnalysis(RiskAnalysis) = "risk-analysis", "risk-analyses.yaml", risk_analyses, "risk analyses";
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Kind {
    type Err = String;

    fn from_str(text: &str) -> Result<Kind, String> {
        let wanted = text.trim().to_ascii_lowercase().replace('_', "-");
        Kind::ALL
            .iter()
            .copied()
            .find(|kind| kind.name() == wanted)
            .ok_or_else(|| {
                let names: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
                format!(
                    "{text:?} is not a kind of record; use one of {}",
                    names.join(", ")
                )
            })
    }
}

/// A stored record that does not match its ledger history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tampered {
    pub kind: Kind,
    pub id: String,
    pub detail: String,
}

impl fmt::Display for Tampered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {:?}: {}", self.kind, self.id, self.detail)
    }
}

impl Snapshot {
    /// Every reference problem: records that name a record that does not exist.
    pub fn dangling_references(&self) -> Vec<(AnyRecord, Kind, String)> {
        let mut dangling = Vec::new();
        for record in self.all() {
            for (kind, id) in record.references() {
                if !self.contains(kind, id) {
                    let id = id.to_owned();
                    dangling.push((record.clone(), kind, id));
                }
            }
        }
        dangling
    }
}
