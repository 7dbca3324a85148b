//! Alpine's installed-package database, `lib/apk/db/installed`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = phiguard_host::patches::apk::parse(data);
});
