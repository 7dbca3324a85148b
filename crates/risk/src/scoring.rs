//! The method: likelihood and impact rated on a five-point scale and combined into a level by
//! the matrix of NIST SP 800-30 Rev. 1, Table I-2. The score (likelihood × impact, 1 to 25)
//! orders risks of the same level.

use phiguard_register::records::Level;
use serde::{Deserialize, Serialize};

/// The method's name and version, as analyses record it.
pub const METHOD: &str = "phiguard-5x5 v1 (NIST SP 800-30 Rev. 1, Table I-2)";

/// The method in words, for the analysis document.
pub const METHOD_TEXT: &str = "Each risk is a threat exploiting a vulnerability of one or more \
assets. Its likelihood (how likely the threat is to occur and succeed) and its impact (how much \
harm to the confidentiality, integrity or availability of ePHI it would do) are each rated from \
1 (very low) to 5 (very high), before treatment (inherent) and once the treatment is in place \
(residual). The two ratings give the risk's level by the matrix of NIST SP 800-30 Rev. 1, \
Table I-2; their product (1 to 25) orders risks of the same level. A mitigation counts as in \
place only on evidence: every check named for it passes on the risk's assets, or, where no \
check can show it, the day it was done is recorded. Until then the residual rating is the \
inherent one.";

/// A rating of a risk: likelihood and impact, 1 to 5 each, and what they give.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rating {
    pub likelihood: u16,
    pub impact: u16,
    /// likelihood × impact, 1 to 25.
    pub score: u16,
    pub level: Level,
}

impl Rating {
    /// Rates a risk; ratings outside 1 to 5 are taken as the nearest end of the scale (the
    /// register refuses them, so only a hand-edited import could carry one).
    pub fn of(likelihood: u16, impact: u16) -> Rating {
        let likelihood = likelihood.clamp(1, 5);
        let impact = impact.clamp(1, 5);
        Rating {
            likelihood,
            impact,
            score: likelihood * impact,
            level: level(likelihood, impact),
        }
    }
}

/// NIST SP 800-30 Rev. 1, Table I-2: rows are likelihood 1 (very low) to 5 (very high),
/// columns impact 1 to 5.
const MATRIX: [[Level; 5]; 5] = {
    use Level::*;
    [
        [VeryLow, VeryLow, VeryLow, Low, Low],
        [VeryLow, Low, Low, Low, Moderate],
        [VeryLow, Low, Moderate, Moderate, High],
        [VeryLow, Low, Moderate, High, VeryHigh],
        [VeryLow, Low, Moderate, High, VeryHigh],
    ]
};

/// The level of a risk of `likelihood` and `impact`, each 1 to 5.
pub fn level(likelihood: u16, impact: u16) -> Level {
    let row = usize::from(likelihood.clamp(1, 5) - 1);
    let column = usize::from(impact.clamp(1, 5) - 1);
    MATRIX[row][column]
}

/// A level as people read it: "very high".
pub fn words(level: Level) -> &'static str {
    match level {
        Level::VeryLow => "very low",
        Level::Low => "low",
        Level::Moderate => "moderate",
        Level::High => "high",
        Level::VeryHigh => "very high",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_matrix_is_table_i2() {
        // Spot checks against the published table, one per row.
        assert_eq!(level(5, 5), Level::VeryHigh);
        assert_eq!(level(4, 4), Level::High);
        assert_eq!(level(3, 5), Level::High);
        assert_eq!(level(3, 4), Level::Moderate);
        assert_eq!(level(2, 5), Level::Moderate);
        assert_eq!(level(2, 2), Level::Low);
        assert_eq!(level(1, 5), Level::Low);
        assert_eq!(level(1, 3), Level::VeryLow);
        assert_eq!(level(5, 1), Level::VeryLow);
    }

    #[test]
    fn a_level_never_falls_when_likelihood_or_impact_rises() {
        for l in 1..=5u16 {
            for i in 1..=5u16 {
                if l < 5 {
                    assert!(level(l + 1, i) >= level(l, i), "{l}x{i}");
                }
                if i < 5 {
                    assert!(level(l, i + 1) >= level(l, i), "{l}x{i}");
                }
            }
        }
        assert_eq!(Rating::of(0, 9), Rating::of(1, 5));
        assert_eq!(Rating::of(3, 4).score, 12);
    }
}
