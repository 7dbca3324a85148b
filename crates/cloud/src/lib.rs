//! Cloud posture (45 CFR 164.308–164.312 in someone else's data centre): an AWS account read
//! through the official SDK into an [`Inventory`] of its resources, and the checks that judge
//! it into findings like any host's, each naming its resource by ARN.
//!
//! - [`inventory`]: what was seen, resource by resource; pure data, kept as the account's
//!   latest inventory.
//! - [`seen`]: a fact read, or the IAM action phiguard was denied (never taken as a pass).
//! - [`policy`]: resource policies read for what they allow to everyone and whether they
//!   refuse plain HTTP.
//! - [`resources`]: the inventory as one flat list of resources with their encryption, as
//!   it is kept and its digest recorded in the ledger.
//! - [`checks`]: one module per service, every check with a console path and an AWS CLI
//!   command to fix what it finds.
//! - [`store`] (feature `store`, on by default): the latest inventory of each account in the
//!   database, trusted only as the ledger recorded it.
//! - [`aws`] (feature `aws`, on by default): reading the account, every region at once.

#[cfg(feature = "aws")]
pub mod aws;
pub mod checks;
pub mod inventory;
pub mod policy;
pub mod resources;
pub mod seen;
#[cfg(feature = "store")]
pub mod store;

pub use inventory::{Inventory, PhiTag, Resource};
pub use seen::{Gap, Seen};
