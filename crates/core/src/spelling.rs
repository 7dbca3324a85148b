//! Comparing names as people and providers' spreadsheets spell them.

/// The letters and digits of `text`, in ASCII lower case: `"SOC 2 Type II"`, `"soc2-type2"`
/// and `"Soc2 TypeII"` all fold to `soc2typeii` or `soc2type2`, so a parser matches one folded
/// spelling instead of every way of writing it.
pub fn fold(text: &str) -> String {
    text.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::fold;

    #[test]
    fn spaces_punctuation_and_case_do_not_matter() {
        assert_eq!(fold(" Not applicable "), "notapplicable");
        assert_eq!(fold("N/A"), "na");
        assert_eq!(fold("covered_entity"), fold("Covered Entity"));
        assert_eq!(fold("ISO/IEC 27001:2022"), "isoiec270012022");
        assert_eq!(fold("é-ß"), "");
    }
}
