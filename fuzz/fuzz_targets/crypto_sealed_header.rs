//! The header of a sealed file, read before any key is opened.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = phiguard_crypto::envelope::read_header(data);
});
