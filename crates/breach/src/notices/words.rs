//! The words notices use for dates, states and kinds of PHI: what people read, not codes.

use jiff::civil::Date;

/// A date as people read it: "March 1, 2026". Every date in a notice is written this way.
pub fn date(date: Date) -> String {
    date.strftime("%B %-d, %Y").to_string()
}

/// `text` with every ISO date in it (`2026-03-01`) written in words, so that a plan's reason
/// reads like the rest of the notice.
pub fn dates_in_words(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        let candidate = rest.get(..10).filter(|head| looks_like_iso_date(head));
        // A date inside a longer run of digits ("12026-03-011") is not a date.
        let after_is_digit = rest
            .get(10..)
            .and_then(|after| after.chars().next())
            .is_some_and(|c| c.is_ascii_digit());
        let before_is_digit = out.chars().last().is_some_and(|c| c.is_ascii_digit());
        match candidate.and_then(|head| head.parse::<Date>().ok()) {
            Some(parsed) if !after_is_digit && !before_is_digit => {
                out.push_str(&date(parsed));
                rest = rest.get(10..).unwrap_or_default();
            }
            _ => {
                let mut chars = rest.chars();
                if let Some(c) = chars.next() {
                    out.push(c);
                }
                rest = chars.as_str();
            }
        }
    }
    out
}

fn looks_like_iso_date(text: &str) -> bool {
    text.len() == 10
        && text.char_indices().all(|(i, c)| match i {
            4 | 7 => c == '-',
            _ => c.is_ascii_digit(),
        })
}

/// The state's or territory's name for its postal code, or the code itself when it is not
/// one (a plan only holds real codes; this never fails).
pub fn state_name(code: &str) -> &str {
    crate::days::state_name(code).unwrap_or(code)
}

/// "Ohio (OH)".
pub fn state_with_code(code: &str) -> String {
    let name = state_name(code);
    if name == code {
        code.to_owned()
    } else {
        format!("{name} ({code})")
    }
}

/// The categories of PHI on HHS's breach report form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum HhsCategory {
    Demographic,
    Financial,
    Clinical,
    Other,
}

impl HhsCategory {
    pub const ALL: [HhsCategory; 4] = [
        HhsCategory::Demographic,
        HhsCategory::Financial,
        HhsCategory::Clinical,
        HhsCategory::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            HhsCategory::Demographic => "Demographic",
            HhsCategory::Financial => "Financial",
            HhsCategory::Clinical => "Clinical",
            HhsCategory::Other => "Other",
        }
    }
}

/// A kind of PHI, as the register names it (`ssn`, `health_plan_numbers`), in the words of a
/// letter to one person and of a notice to many, with its category on HHS's form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhiWords {
    /// "your Social Security number"
    pub yours: &'static str,
    /// "Social Security numbers"
    pub general: &'static str,
    pub hhs: HhsCategory,
}

const PHI_WORDS: [(&str, PhiWords); 18] = [
    (
        "names",
        PhiWords {
            yours: "your name",
            general: "names",
            hhs: HhsCategory::Demographic,
        },
    ),
    (
        "addresses",
        PhiWords {
            yours: "your address",
            general: "addresses",
            hhs: HhsCategory::Demographic,
        },
    ),
    (
        "dates",
        PhiWords {
            yours: "dates such as your date of birth or the dates of your care",
            general: "dates such as dates of birth or of care",
            hhs: HhsCategory::Demographic,
        },
    ),
    (
        "contact",
        PhiWords {
            yours: "your telephone number or e-mail address",
            general: "telephone numbers and e-mail addresses",
            hhs: HhsCategory::Demographic,
        },
    ),
    (
        "ssn",
        PhiWords {
            yours: "your Social Security number",
            general: "Social Security numbers",
            hhs: HhsCategory::Demographic,
        },
    ),
    (
        "medical_record_numbers",
        PhiWords {
            yours: "your medical record number",
            general: "medical record numbers",
            hhs: HhsCategory::Other,
        },
    ),
    (
        "health_plan_numbers",
        PhiWords {
            yours: "your health insurance member number",
            general: "health insurance member numbers",
            hhs: HhsCategory::Other,
        },
    ),
    (
        "financial",
        PhiWords {
            yours: "your bank account or payment card number",
            general: "bank account and payment card numbers",
            hhs: HhsCategory::Financial,
        },
    ),
    (
        "license_numbers",
        PhiWords {
            yours: "your driver's license or other license number",
            general: "driver's license and other license numbers",
            hhs: HhsCategory::Demographic,
        },
    ),
    (
        "device_ids",
        PhiWords {
            yours: "identifiers of your devices, such as IP addresses",
            general: "device identifiers such as IP addresses",
            hhs: HhsCategory::Other,
        },
    ),
    (
        "biometrics",
        PhiWords {
            yours: "biometric identifiers such as your fingerprints",
            general: "biometric identifiers such as fingerprints",
            hhs: HhsCategory::Other,
        },
    ),
    (
        "photos",
        PhiWords {
            yours: "photographs of you",
            general: "photographs",
            hhs: HhsCategory::Other,
        },
    ),
    (
        "diagnoses",
        PhiWords {
            yours: "diagnoses",
            general: "diagnoses",
            hhs: HhsCategory::Clinical,
        },
    ),
    (
        "treatments",
        PhiWords {
            yours: "information about your treatment",
            general: "treatment information",
            hhs: HhsCategory::Clinical,
        },
    ),
    (
        "medications",
        PhiWords {
            yours: "your medications",
            general: "medications",
            hhs: HhsCategory::Clinical,
        },
    ),
    (
        "test_results",
        PhiWords {
            yours: "your test results",
            general: "test results",
            hhs: HhsCategory::Clinical,
        },
    ),
    (
        "claims",
        PhiWords {
            yours: "your health insurance claims information",
            general: "health insurance claims information",
            hhs: HhsCategory::Financial,
        },
    ),
    (
        "sensitive",
        PhiWords {
            yours: "sensitive health information (such as mental health, substance use, HIV or reproductive health information)",
            general: "sensitive health information (such as mental health, substance use, HIV or reproductive health information)",
            hhs: HhsCategory::Clinical,
        },
    ),
];

/// A kind as the register writes it: lower case, `_` between words (`Health plan numbers`
/// and `health-plan-numbers` are `health_plan_numbers`).
pub fn phi_key(kind: &str) -> String {
    kind.split(|c: char| c.is_whitespace() || c == '-' || c == '_')
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join("_")
        .to_lowercase()
}

/// The words for a kind phiguard knows, or `None` for one it does not, which a notice then
/// writes as it was given.
pub fn phi_words(kind: &str) -> Option<PhiWords> {
    let key = phi_key(kind);
    PHI_WORDS
        .iter()
        .find(|(known, _)| *known == key)
        .map(|(_, words)| *words)
}

/// A kind phiguard does not know, as plain words: `genetic_data` is "genetic data".
pub fn unknown_kind(kind: &str) -> String {
    phi_key(kind).replace('_', " ")
}

/// Whether any of `phi` is one of `keys`.
pub fn involves(phi: &[String], keys: &[&str]) -> bool {
    phi.iter()
        .any(|kind| keys.contains(&phi_key(kind).as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date as d;

    #[test]
    fn dates_read_as_words() {
        assert_eq!(date(d(2026, 3, 1)), "March 1, 2026");
        assert_eq!(date(d(2028, 2, 29)), "February 29, 2028");
        assert_eq!(
            dates_in_words("due 2026-04-30, not on 2026-02-30 or 12026-03-011; 2027-03-01"),
            "due April 30, 2026, not on 2026-02-30 or 12026-03-011; March 1, 2027"
        );
        assert_eq!(dates_in_words("Ünïcode 2026-03-0"), "Ünïcode 2026-03-0");
    }

    #[test]
    fn a_state_is_named_with_its_code() {
        assert_eq!(state_name("OH"), "Ohio");
        assert_eq!(state_name("ZZ"), "ZZ");
        assert_eq!(state_with_code("OH"), "Ohio (OH)");
        assert_eq!(state_with_code("ZZ"), "ZZ");
    }

    #[test]
    fn kinds_are_matched_however_they_are_spelled() {
        for spelling in ["ssn", "SSN", " ssn "] {
            assert_eq!(
                phi_words(spelling).map(|w| w.yours),
                Some("your Social Security number")
            );
        }
        for spelling in [
            "health_plan_numbers",
            "Health plan numbers",
            "health-plan-numbers",
        ] {
            assert_eq!(
                phi_words(spelling).map(|w| w.hhs),
                Some(HhsCategory::Other),
                "{spelling}"
            );
        }
        assert_eq!(phi_words("genetic_data"), None);
        assert_eq!(unknown_kind("Genetic_Data"), "genetic data");
        assert!(involves(&["Test Results".into()], &["test_results"]));
        assert!(!involves(&["names".into()], &["ssn"]));
    }
}
