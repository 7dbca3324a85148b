//! Spelling: comparing names as people and providers' spreadsheets spell them, and counting
//! things in words.

/// The letters and digits of `text`, in ASCII lower case: `"SOC 2 Type II"`, `"soc2-type2"`
/// and `"Soc2 TypeII"` all fold to `soc2typeii` or `soc2type2`, so a parser matches one folded
/// spelling instead of every way of writing it.
pub fn fold(text: &str) -> String {
    text.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// `word` as it goes with a count of `n`: `plural(1, "finding")` is `finding`,
/// `plural(3, "finding")` is `findings`. Regular English plurals (`entry` → `entries`,
/// `process` → `processes`) and the verbs a count takes (`is` → `are`, `was` → `were`,
/// `has` → `have`).
pub fn plural<N: PartialEq + From<u8>>(n: N, word: &str) -> std::borrow::Cow<'_, str> {
    use std::borrow::Cow;
    if n == N::from(1) {
        return Cow::Borrowed(word);
    }
    let irregular = [
        ("is", "are"),
        ("was", "were"),
        ("has", "have"),
        ("this", "these"),
    ];
    if let Some((_, many)) = irregular.iter().find(|(one, _)| *one == word) {
        return Cow::Borrowed(many);
    }
    let mut chars = word.chars().rev();
    let (last, before) = (chars.next(), chars.next());
    Cow::Owned(match (before, last) {
        (Some(b), Some('y')) if !"aeiou".contains(b) => format!("{}ies", &word[..word.len() - 1]),
        (_, Some('s' | 'x' | 'z')) | (Some('c' | 's'), Some('h')) => format!("{word}es"),
        _ => format!("{word}s"),
    })
}

/// A count and its noun: `count(1, "finding")` is `1 finding`, `count(0, "entry")` is
/// `0 entries`.
pub fn count<N: Copy + std::fmt::Display + PartialEq + From<u8>>(n: N, noun: &str) -> String {
    format!("{n} {}", plural(n, noun))
}

/// `text` with its first letter in upper case: `capitalised("not met")` is `Not met`.
pub fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::{capitalised, count, fold, plural};

    #[test]
    fn capitalised_raises_only_the_first_letter() {
        assert_eq!(capitalised("not met"), "Not met");
        assert_eq!(capitalised("élan vital"), "Élan vital");
        assert_eq!(capitalised(""), "");
    }

    #[test]
    fn one_is_singular_and_every_other_count_plural() {
        assert_eq!(count(1_usize, "finding"), "1 finding");
        assert_eq!(count(1_u64, "path"), "1 path");
        assert_eq!(count(0, "finding"), "0 findings");
        assert_eq!(count(2, "entry"), "2 entries");
        assert_eq!(count(2, "day"), "2 days");
        assert_eq!(count(3, "process"), "3 processes");
        assert_eq!(count(3, "patch"), "3 patches");
        assert_eq!(count(3, "box"), "3 boxes");
        assert_eq!(plural(1, "is"), "is");
        assert_eq!(plural(2, "is"), "are");
        assert_eq!(plural(0, "has"), "have");
    }

    #[test]
    fn spaces_punctuation_and_case_do_not_matter() {
        assert_eq!(fold(" Not applicable "), "notapplicable");
        assert_eq!(fold("N/A"), "na");
        assert_eq!(fold("covered_entity"), fold("Covered Entity"));
        assert_eq!(fold("ISO/IEC 27001:2022"), "isoiec270012022");
        assert_eq!(fold("é-ß"), "");
    }
}
