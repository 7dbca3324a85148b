//! `sshd_config`, its line splitter, time values and `sshd -T` output. Includes resolve under
//! a root that does not exist, so nothing on the fuzzing machine is read.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use phiguard_core::CheckContext;
use phiguard_host::access::sshd::{self, SshdConfig};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let ctx = CheckContext::new(
        "/nonexistent/phiguard-fuzz-root",
        jiff::Timestamp::UNIX_EPOCH,
    );
    let file = Path::new("/nonexistent/phiguard-fuzz-root/etc/ssh/sshd_config");
    if let Ok(config) = SshdConfig::parse(&ctx, file, text) {
        let _ = config.global("passwordauthentication");
        let _ = config.blocks_setting(&["permitrootlogin"]);
        for index in 0..config.match_blocks().len() {
            let _ = config.in_match(index, "clientaliveinterval");
        }
    }
    for line in text.lines() {
        let _ = sshd::split_line(line);
        let _ = sshd::convtime(line);
    }
    let _ = sshd::parse_sshd_t(text);
});
