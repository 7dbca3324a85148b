//! `/proc/self/mountinfo`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = phiguard_host::encryption::at_rest::mountinfo::parse(data);
});
