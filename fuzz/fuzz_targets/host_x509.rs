//! The DER reader for the certificates TLS servers present.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = phiguard_host::encryption::in_transit::x509::parse_certificate(data);
});
