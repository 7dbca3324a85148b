//! Who the organisation is under HIPAA, which decides the obligations it owes.

use serde::{Deserialize, Serialize};

/// The organisation's role under HIPAA (45 CFR 160.103).
///
/// A covered entity (a health plan, clearinghouse or provider that bills electronically)
/// notifies individuals, the media and HHS of a breach (164.404–164.408); a business
/// associate notifies the covered entity it serves (164.410). Both keep the Security Rule.
/// A hybrid entity (164.103) is a covered entity that designates its health care components;
/// it records them in its scope statement and takes the role `covered_entity`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrganizationRole {
    CoveredEntity,
    BusinessAssociate,
    /// A covered entity that is also a business associate of other covered entities.
    Both,
}

impl OrganizationRole {
    pub const ALL: [OrganizationRole; 3] = [
        OrganizationRole::CoveredEntity,
        OrganizationRole::BusinessAssociate,
        OrganizationRole::Both,
    ];

    /// The name in phiguard.toml and reports: `covered_entity`.
    pub fn as_str(self) -> &'static str {
        match self {
            OrganizationRole::CoveredEntity => "covered_entity",
            OrganizationRole::BusinessAssociate => "business_associate",
            OrganizationRole::Both => "both",
        }
    }

    /// As people read it: "covered entity and business associate".
    pub fn title(self) -> &'static str {
        match self {
            OrganizationRole::CoveredEntity => "covered entity",
            OrganizationRole::BusinessAssociate => "business associate",
            OrganizationRole::Both => "covered entity and business associate",
        }
    }

    /// Whether an obligation owed by `party` (a covered entity or a business associate) is
    /// owed by an organisation in this role.
    pub fn owes(self, party: OrganizationRole) -> bool {
        self == OrganizationRole::Both || party == OrganizationRole::Both || self == party
    }
}

impl std::fmt::Display for OrganizationRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for OrganizationRole {
    type Err = String;

    /// Accepts `covered_entity`, `covered-entity`, `covered entity`, `ce`, `ba`.
    fn from_str(text: &str) -> Result<OrganizationRole, String> {
        let folded = crate::spelling::fold(text);
        match folded.as_str() {
            "coveredentity" | "ce" => Ok(OrganizationRole::CoveredEntity),
            "businessassociate" | "ba" => Ok(OrganizationRole::BusinessAssociate),
            "both" => Ok(OrganizationRole::Both),
            _ => Err(format!(
                "{text:?} is not an organisation role; use covered_entity, business_associate \
                 or both"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_owe_their_own_obligations_and_both_owes_all() {
        use OrganizationRole::*;
        assert!(CoveredEntity.owes(CoveredEntity));
        assert!(!CoveredEntity.owes(BusinessAssociate));
        assert!(!BusinessAssociate.owes(CoveredEntity));
        assert!(BusinessAssociate.owes(BusinessAssociate));
        assert!(Both.owes(CoveredEntity) && Both.owes(BusinessAssociate));
    }

    #[test]
    fn roles_parse_from_their_spellings_and_reject_others() {
        for role in OrganizationRole::ALL {
            assert_eq!(role.as_str().parse::<OrganizationRole>(), Ok(role));
        }
        assert_eq!(
            "Business associate".parse::<OrganizationRole>(),
            Ok(OrganizationRole::BusinessAssociate)
        );
        let err = "hospital".parse::<OrganizationRole>().unwrap_err();
        assert!(err.contains("covered_entity"), "{err}");
    }
}
