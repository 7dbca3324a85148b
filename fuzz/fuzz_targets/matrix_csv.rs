//! A provider's responsibility matrix as CSV (`phiguard_register::exchange::matrix_csv`):
//! whatever parses must write back and parse to the same rows, in control order. Every
//! citation is taken for a control, so the fuzzer reaches the rows' other cells.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use phiguard_register::Snapshot;
use phiguard_register::exchange::matrix_csv;

fuzz_target!(|data: &[u8]| {
    let Ok(mut rows) = matrix_csv::parse(data, Path::new("matrix.csv"), |_| true) else {
        return;
    };
    let mut snapshot = Snapshot::default();
    for row in &rows {
        snapshot.insert(row.clone().into(), None);
    }
    let mut written = Vec::new();
    matrix_csv::write(&snapshot, &mut written).expect("writing to memory cannot fail");
    let again = matrix_csv::parse(&written, Path::new("written.csv"), |_| true)
        .expect("written CSV parses");
    rows.sort_by_key(|row| row.control());
    assert_eq!(again, rows);
});
