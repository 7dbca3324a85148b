//! `/etc/sudoers` and its drop-ins.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = phiguard_host::access::sudoers::parse_sudoers(Path::new("/etc/sudoers"), text);
});
