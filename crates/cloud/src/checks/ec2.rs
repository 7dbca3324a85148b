//! (being written)

use super::Rule;

pub(super) fn rules() -> Vec<Rule> {
    Vec::new()
}
