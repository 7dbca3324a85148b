//! A stored ledger entry decoded back into evidence (`phiguard_ledger::entry::decode`); what
//! decodes must encode again without error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use phiguard_ledger::entry;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(evidence) = entry::decode(text) {
        let _ = entry::encode(&evidence);
    }
    let _ = entry::validate_kind(text);
});
