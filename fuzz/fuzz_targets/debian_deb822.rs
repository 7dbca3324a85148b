//! `phiguard_debian::deb822::stanzas`: every stanza and field of arbitrary bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use phiguard_debian::deb822;

fuzz_target!(|data: &[u8]| {
    for stanza in deb822::stanzas(data) {
        let Ok(stanza) = stanza else { break };
        for field in stanza.fields() {
            let _ = (
                field.name,
                field.value,
                field.line,
                field.continuation.len(),
            );
        }
        let _ = stanza.get("Package");
        let _ = stanza.field("Version");
    }
});
