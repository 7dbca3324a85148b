//! Shell profile files, for `TMOUT` assignments.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = phiguard_host::access::logoff::parse_shell(Path::new("/etc/profile"), text);
});
