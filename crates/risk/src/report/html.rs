//! The analysis as one self-contained HTML page, with the network map.
//!
//! Like the assessment report, the page is a single file that can be mailed, kept with the
//! evidence and opened offline years later: CSS and SVG inline, no script, no request of any
//! kind, and a Content-Security-Policy that forbids scripts and every load, so a name that
//! carried markup could not run even if it slipped past the escaping every text goes through
//! (`phiguard_core::html::escape`, the one escape all of phiguard's HTML uses).

use std::fmt::Write as _;

use phiguard_core::html::escape;

use super::map::network_map;
use super::outline::{self, Block, Inline, Line, Table};
use crate::analysis::{Analysis, SignOff};

const STYLE: &str = r#"
:root{--ink:#1f2328;--muted:#57606a;--line:#d0d7de;--soft:#f6f8fa;--accent:#0b4f8a;--bad:#c62828}
*{box-sizing:border-box}
html{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
font-size:15px;line-height:1.45;color:var(--ink);background:#fff}
body{margin:0}
header.top{background:#0d2b45;color:#fff;padding:20px 32px 14px}
header.top h1{margin:0;font-size:1.5rem;font-weight:650}
header.top p{margin:4px 0 0;color:#c8d6e5}
nav{background:#0d2b45;padding:0 32px 12px}
nav ul{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:6px 18px}
nav a{color:#fff;text-decoration:none;border-bottom:1px solid #6f8aa5;font-size:.9rem}
main{max-width:1300px;margin:0 auto;padding:8px 32px 32px}
section{margin-top:28px}
h2{font-size:1.3rem;border-bottom:2px solid var(--ink);padding-bottom:4px;margin:0 0 12px}
p{margin:6px 0}
code{font-family:ui-monospace,"SFMono-Regular","DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:.86em}
table{border-collapse:collapse;width:100%;margin:6px 0 10px;font-size:.88rem}
th,td{border-bottom:1px solid var(--line);padding:5px 7px;text-align:left;vertical-align:top;overflow-wrap:anywhere}
thead th{background:var(--soft);font-weight:600;border-bottom:2px solid var(--line)}
/* Ids are read whole: wrapped only where they have a break, never mid-word. */
td:first-child{overflow-wrap:normal;word-break:normal;min-width:7em}
tr.overdue td,tr.expired td,tr.unencrypted td,tr.fail td{background:#fff5f5}
tr.overdue strong,tr.expired strong,tr.unencrypted strong,tr.fail strong{color:var(--bad)}
ul{margin:4px 0;padding-left:20px}
.warn-box{border:2px solid var(--bad);background:#fff5f5;padding:10px 14px;margin:10px 0}
.warn-box strong{color:var(--bad);font-size:1.1rem}
.map{overflow-x:auto;border:1px solid var(--line);margin:10px 0;background:#fff}
.map svg{display:block}
.map-empty{color:var(--muted);font-style:italic}
footer{max-width:1300px;margin:0 auto;padding:12px 32px 28px;color:var(--muted);font-size:.85rem;border-top:1px solid var(--line)}
@media print{
@page{margin:14mm 12mm}
html{font-size:9pt}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
nav{display:none}
header.top{background:#fff;color:var(--ink);padding:0 0 6px;border-bottom:2px solid var(--ink)}
header.top p{color:var(--muted)}
main,footer{max-width:none;padding-left:0;padding-right:0}
.map{overflow:visible}
h2{break-after:avoid}
tr,li,.warn-box{break-inside:avoid}
thead{display:table-header-group}
a{color:inherit;text-decoration:none}
}
"#;

/// The analysis as one self-contained HTML page: the sections of [`super::markdown`] with
/// stable ids, and the network map of the flows in the data-flow section.
pub fn html(analysis: &Analysis, sign_off: Option<&SignOff>) -> String {
    let outline = outline::outline(analysis, sign_off);
    let title = escape(&outline.title);
    let mut out = String::with_capacity(32 * 1024);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'; img-src data:\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"phiguard {version}\">\n\
         <title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <header class=\"top\">\n<h1>{title}</h1>\n<p>Analysis <code>{id}</code>, prepared \
         {prepared}{signed}</p>\n</header>\n<nav aria-label=\"Sections\"><ul>",
        version = escape(&analysis.phiguard_version),
        id = escape(&analysis.heading.id),
        prepared = escape(&outline::minute(analysis.heading.prepared_at)),
        signed = match sign_off {
            Some(s) => format!(", signed off by {} on {}", escape(&s.by), s.on),
            None => ", <strong>not signed off</strong>".to_owned(),
        },
    );
    for section in &outline.sections {
        let _ = write!(
            out,
            "<li><a href=\"#{}\">{}</a></li>",
            section.id, section.title
        );
    }
    out.push_str("</ul></nav>\n<main>\n");
    for section in &outline.sections {
        let _ = write!(
            out,
            "<section id=\"{}\">\n<h2>{}</h2>\n",
            section.id, section.title
        );
        for block in &section.blocks {
            match block {
                Block::Para(line) => {
                    let _ = writeln!(out, "<p>{}</p>", line_html(line));
                }
                Block::Warning(line) => {
                    let _ = writeln!(
                        out,
                        "<div class=\"warn-box\" role=\"alert\"><p>{}</p></div>",
                        line_html(line)
                    );
                }
                Block::List(items) => {
                    out.push_str("<ul>\n");
                    for item in items {
                        let _ = writeln!(out, "<li>{}</li>", line_html(item));
                    }
                    out.push_str("</ul>\n");
                }
                Block::Table(table) => table_html(table, &mut out),
                Block::Map => {
                    let _ = write!(
                        out,
                        "<h3 id=\"network-map\">Network map</h3>\n<div class=\"map\">\n{}</div>\n",
                        network_map(&analysis.assets, &analysis.flows)
                    );
                }
            }
        }
        out.push_str("</section>\n");
    }
    let _ = write!(
        out,
        "</main>\n<footer><p>Generated by phiguard {} from the evidence recorded on this \
         installation. It reports what the evidence shows; it is not legal advice.</p></footer>\n\
         </body>\n</html>\n",
        escape(&analysis.phiguard_version)
    );
    out
}

fn line_html(line: &Line) -> String {
    line.iter()
        .map(|inline| match inline {
            Inline::Text(t) => escape(t),
            Inline::Strong(t) => format!("<strong>{}</strong>", escape(t)),
            Inline::Code(t) => format!("<code>{}</code>", escape(t)),
        })
        .collect()
}

fn table_html(table: &Table, out: &mut String) {
    out.push_str("<table>\n<thead><tr>");
    for head in &table.head {
        let _ = write!(out, "<th scope=\"col\">{}</th>", escape(head));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in &table.rows {
        match row.mark {
            Some(mark) => {
                let _ = write!(out, "<tr class=\"{mark}\">");
            }
            None => out.push_str("<tr>"),
        }
        for cell in &row.cells {
            if cell.strong {
                let _ = write!(out, "<td><strong>{}</strong></td>", escape(&cell.text));
            } else {
                let _ = write!(out, "<td>{}</td>", escape(&cell.text));
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
}
