//! SQL built at run time for both databases: parameter placeholders and INSERT batching.

use crate::Backend;

/// Most rows in one multi-row INSERT; with three columns that is 768 parameters, well under
/// both databases' limits.
pub const MAX_ROWS_PER_INSERT: usize = 256;

impl Backend {
    /// `count` query parameters numbered from `first`, comma-separated, for SQL built at run
    /// time (multi-row INSERTs, IN lists). SQLite gets anonymous `?`: its named-parameter
    /// lookup is linear per parameter, which makes binding hundreds of `$N` quadratic.
    /// PostgreSQL gets `$N`.
    pub fn placeholders(self, first: usize, count: usize) -> String {
        let one = |i: usize| match self {
            Backend::Sqlite => "?".to_owned(),
            Backend::Postgres => format!("${i}"),
        };
        (first..first + count)
            .map(one)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// `(…), (…)` groups of `columns` parameters for a multi-row INSERT of `rows` rows.
    pub fn row_placeholders(self, rows: usize, columns: usize) -> String {
        (0..rows)
            .map(|row| format!("({})", self.placeholders(1 + row * columns, columns)))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Splits `rows` into multi-row INSERT chunks whose sizes are powers of two (256, …, 2, 1).
/// Every distinct statement text is prepared once per connection; with arbitrary batch sizes a
/// busy pool prepares hundreds of shapes (measured: it cut PostgreSQL's group-committed
/// appends with 64 writers twelvefold), with powers of two at most nine.
pub fn insert_chunks<T>(mut rows: &[T]) -> impl Iterator<Item = &[T]> {
    std::iter::from_fn(move || {
        if rows.is_empty() {
            return None;
        }
        let size = MAX_ROWS_PER_INSERT.min(1 << rows.len().ilog2());
        let (chunk, rest) = rows.split_at(size);
        rows = rest;
        Some(chunk)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_suit_each_database() {
        assert_eq!(
            Backend::Postgres.row_placeholders(2, 3),
            "($1, $2, $3), ($4, $5, $6)"
        );
        assert_eq!(Backend::Sqlite.row_placeholders(2, 2), "(?, ?), (?, ?)");
        assert_eq!(Backend::Postgres.placeholders(4, 2), "$4, $5");
    }

    #[test]
    fn insert_chunks_are_powers_of_two_covering_every_row_once() {
        for len in [0usize, 1, 2, 3, 37, 256, 257, 1000] {
            let rows: Vec<usize> = (0..len).collect();
            let chunks: Vec<&[usize]> = insert_chunks(&rows).collect();
            assert!(
                chunks
                    .iter()
                    .all(|c| c.len().is_power_of_two() && c.len() <= 256)
            );
            assert_eq!(chunks.concat(), rows, "{len}");
        }
    }
}
