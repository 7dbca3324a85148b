//! `/etc/passwd` and `/etc/shadow`.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use phiguard_host::access::accounts;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = accounts::parse_passwd(Path::new("/etc/passwd"), text);
    let _ = accounts::parse_shadow(Path::new("/etc/shadow"), text);
});
