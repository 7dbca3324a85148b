//! `nft -j list ruleset` JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = phiguard_host::firewall::nft::parse(data);
});
