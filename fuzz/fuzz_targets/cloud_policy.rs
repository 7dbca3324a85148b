//! Resource and IAM policies as an AWS account returns them (`phiguard_cloud::policy`): any
//! text is read without a panic, and what a policy grants everyone is listed once, in order.
#![no_main]

use libfuzzer_sys::fuzz_target;
use phiguard_cloud::policy::{facts, grants_everything};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = grants_everything(text);
    if let Ok(found) = facts(text) {
        assert!(
            found.public_actions.windows(2).all(|pair| pair[0] < pair[1]),
            "{:?}",
            found.public_actions
        );
    }
});
