//! The LZ4 frame decoder apt's compressed lists are read with.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = phiguard_debian::lz4::decompress(data);
});
