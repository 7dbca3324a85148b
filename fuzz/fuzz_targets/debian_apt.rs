//! apt's package lists (`Candidates::parse_list`) and `Release`/`InRelease` files.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use phiguard_debian::apt::{self, Candidates};

fuzz_target!(|data: &[u8]| {
    let path = Path::new("deb.debian.org_debian_dists_trixie_main_binary-amd64_Packages");
    if let Ok(candidates) = Candidates::parse_list(path, data, true) {
        let _ = candidates.newest("a", "amd64");
        let _ = candidates.newest_security("a", "all");
    }
    let _ = apt::release_says_security(data);
});
