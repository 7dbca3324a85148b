//! SQL built at run time for both databases: parameter placeholders and INSERT batching.

use crate::Backend;

/// Most rows in one multi-row INSERT; with three columns that is 768 parameters, well under
/// both databases' limits.
pub const MAX_ROWS_PER_INSERT: usize = 256;

impl Backend {
    /// The most bound data to put in one multi-row INSERT.
    ///
    /// sqlx does not set `TCP_NODELAY` on PostgreSQL connections, and it writes a message
    /// larger than its 8 KiB buffer in more than one `write`. Nagle's algorithm then holds the
    /// last part until the server acknowledges the first, and the server delays that
    /// acknowledgment by up to 40 ms: measured here, a 64-row ledger batch took 47 ms to commit
    /// instead of about 1 ms. Keeping each statement under the buffer avoids the stall. SQLite
    /// has no socket, so no budget.
    pub fn insert_byte_budget(self) -> usize {
        match self {
            Backend::Sqlite => usize::MAX,
            Backend::Postgres => 6 * 1024,
        }
    }

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

/// Splits `rows` into multi-row INSERT chunks whose sizes are powers of two (256, …, 2, 1)
/// and whose bound data stays within `backend`'s byte budget (see
/// [`Backend::insert_byte_budget`]); a single row larger than the budget goes alone.
///
/// Every distinct statement text is prepared once per connection; with arbitrary batch sizes a
/// busy pool prepares hundreds of shapes (measured: it cut PostgreSQL's group-committed
/// appends with 64 writers twelvefold), with powers of two at most nine.
pub fn insert_chunks<'a, T>(
    backend: Backend,
    mut rows: &'a [T],
    bytes_of: impl Fn(&T) -> usize + 'a,
) -> impl Iterator<Item = &'a [T]> + 'a {
    let budget = backend.insert_byte_budget();
    std::iter::from_fn(move || {
        if rows.is_empty() {
            return None;
        }
        let mut size = MAX_ROWS_PER_INSERT.min(1 << rows.len().ilog2());
        while size > 1 && rows[..size].iter().map(&bytes_of).sum::<usize>() > budget {
            size /= 2;
        }
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
        for backend in [Backend::Sqlite, Backend::Postgres] {
            for len in [0usize, 1, 2, 3, 37, 256, 257, 1000] {
                let rows: Vec<usize> = (0..len).collect();
                let chunks: Vec<&[usize]> = insert_chunks(backend, &rows, |_| 20).collect();
                assert!(
                    chunks
                        .iter()
                        .all(|c| c.len().is_power_of_two() && c.len() <= 256)
                );
                assert_eq!(chunks.concat(), rows, "{len}");
            }
        }
    }

    #[test]
    fn postgres_chunks_stay_within_the_byte_budget_unless_one_row_is_larger() {
        let rows: Vec<usize> = vec![300; 100];
        for chunk in insert_chunks(Backend::Postgres, &rows, |r| *r) {
            assert!(chunk.iter().sum::<usize>() <= Backend::Postgres.insert_byte_budget());
        }
        let big = vec![10_000usize, 10, 10];
        let chunks: Vec<&[usize]> = insert_chunks(Backend::Postgres, &big, |r| *r).collect();
        assert_eq!(chunks, vec![&[10_000][..], &[10, 10][..]]);
        // SQLite has no budget: the largest power of two that fits the rows.
        let first = insert_chunks(Backend::Sqlite, &rows, |r| *r)
            .next()
            .unwrap();
        assert_eq!(first.len(), 64);
    }
}
