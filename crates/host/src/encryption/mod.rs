//! Encryption at rest (block devices, swap, the file systems holding ePHI) and in transit
//! (listening sockets, TLS).

#[doc(hidden)]
pub mod at_rest;
#[doc(hidden)]
pub mod in_transit;

use phiguard_core::Check;

use crate::Settings;

pub fn checks(settings: &Settings) -> Vec<Box<dyn Check>> {
    let mut checks = at_rest::checks(settings);
    checks.extend(in_transit::checks(settings));
    checks
}
