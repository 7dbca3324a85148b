//! A stored ledger entry decoded back into evidence (`phiguard_ledger::entry::decode`); what
//! decodes must encode again without error. A body from outside (`entry::parse_body`, which
//! refuses duplicate keys) parses to what serde_json parses whenever it has none.
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
    if let Ok(strict) = entry::parse_body(text) {
        let loose: serde_json::Value = serde_json::from_str(text).expect("strict implies valid");
        assert_eq!(strict, loose);
    }
});
