//! `iptables-save` / `ip6tables-save` output (the program chosen by the first byte).
#![no_main]

use libfuzzer_sys::fuzz_target;
use phiguard_host::firewall::iptables::{self, Program};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, bytes)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    let program = if mode & 1 == 0 {
        Program::IptablesSave
    } else {
        Program::Ip6tablesSave
    };
    let _ = iptables::parse(text, program);
});
