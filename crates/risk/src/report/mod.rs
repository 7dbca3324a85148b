//! The analysis as documents: Markdown, HTML with an SVG network map, OSCAL POA&M.
//!
//! Markdown and HTML say the same things in the same order, so both are rendered from one
//! outline ([`outline`]): sections of paragraphs, lists and tables of plain text. Each
//! renderer only decides how to write text safely in its own format, which keeps the two from
//! drifting apart and puts the escaping of user text (asset names, plans, owners) in one
//! place per format. The HTML adds the network map ([`network_map`]).

mod html;
mod map;
mod markdown;
mod oscal;
mod outline;

pub use html::html;
pub use map::network_map;
pub use markdown::markdown;
pub use oscal::{OSCAL_NAMESPACE, oscal_poam};
