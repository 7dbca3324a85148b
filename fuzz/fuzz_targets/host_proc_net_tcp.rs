//! `/proc/net/tcp` and `/proc/net/tcp6`.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use phiguard_host::encryption::in_transit::sockets;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(listeners) = sockets::parse_socket_table(text, Path::new("/proc/net/tcp")) {
        for listener in listeners {
            let _ = (listener.is_wildcard(), listener.is_loopback());
            let _ = listener.probe_address();
        }
    }
});
