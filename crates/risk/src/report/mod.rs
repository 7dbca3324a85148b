//! The analysis as documents: Markdown, HTML with an SVG network map, OSCAL POA&M.
