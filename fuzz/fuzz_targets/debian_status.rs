//! dpkg's status file (`phiguard_debian::status::parse_status`), as `var/lib/dpkg/status` and
//! as a `status.d/` file (chosen by the first byte).
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, bytes)) = data.split_first() else {
        return;
    };
    let _ = phiguard_debian::status::parse_status(Path::new("status"), bytes, mode & 1 == 1);
    let _ = phiguard_debian::status::files_on_disk(bytes);
});
