//! The network map: the assets that hold ePHI or take part in a flow, grouped by where they
//! are, and the flows of ePHI between them, as an inline SVG drawn by hand.
//!
//! The layout is a grid, not a force simulation: bands of columns left to right
//! (on-premises, each cloud provider and region, other named places, vendors, then what has
//! no known location) with the band's assets stacked in inventory order. The same inventory
//! therefore always gives the same drawing, which a document that is signed and kept must,
//! and a reader finds an asset where its location says it is. Whether a flow is encrypted is
//! said in its label as well as by its colour and dashes, so the map reads in grey print and
//! for readers who do not tell red from green.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use phiguard_core::html::escape;
use phiguard_register::records::AssetType;

use super::outline::basis;
use crate::flows::{FlowView, InTransit};
use crate::inventory::AssetView;

/// Size of an asset's box, and the width of its column (the gap between columns carries the
/// flows' vertical runs).
const NODE_W: i32 = 190;
const NODE_H: i32 = 46;
const COLUMN_W: i32 = 270;
const GAP_X: i32 = COLUMN_W - NODE_W;
/// Above the first lane: the band's name.
const HEADER: i32 = 44;
const MARGIN: i32 = 24;
/// A lane (the gap above or below a row of boxes) is this tall when empty, and grows by
/// `LINE_H` for each flow that runs along it, so that every flow has a line and a label of
/// its own.
const LANE_MIN: i32 = 18;
const LINE_H: i32 = 16;
/// A band taller than this many assets wraps into another column, so 50 assets in one cloud
/// region make a few columns rather than one column too tall to read.
const MAX_ROWS: usize = 10;
/// Characters of a name or label drawn; the whole text is in the element's `<title>`.
const NAME_CHARS: usize = 26;
const LABEL_CHARS: usize = 32;
const LEGEND_H: i32 = 50;

/// Where an asset is, as the map groups it. The order of the variants is the order of the
/// bands, left to right.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Band {
    OnPremises,
    /// A cloud provider and region, as the location names it: `aws us-east-1`.
    Cloud(String),
    /// Any other place people named.
    Elsewhere(String),
    Vendors,
    /// No location is known, or the asset is not in the inventory at all.
    Unknown,
}

impl Band {
    fn label(&self) -> &str {
        match self {
            Band::OnPremises => "On-premises",
            Band::Cloud(place) | Band::Elsewhere(place) => place,
            Band::Vendors => "Vendors",
            Band::Unknown => "Location unknown",
        }
    }
}

/// The cloud providers a location may start with (the ids phiguard gives cloud assets
/// begin with the provider, and their locations are `PROVIDER REGION`).
const CLOUDS: [&str; 6] = ["aws", "azure", "gcp", "google", "oci", "oracle"];

fn band_of(asset: &AssetView) -> Band {
    if asset.asset.asset_type == AssetType::Vendor {
        return Band::Vendors;
    }
    let Some(location) = asset.asset.location.as_deref().map(str::trim) else {
        return Band::Unknown;
    };
    let lower = location.to_lowercase();
    let first = lower.split_whitespace().next().unwrap_or_default();
    if location.is_empty() {
        Band::Unknown
    } else if CLOUDS.contains(&first) {
        Band::Cloud(location.to_owned())
    } else if lower.contains("on-prem") || lower.contains("on prem") {
        Band::OnPremises
    } else {
        Band::Elsewhere(location.to_owned())
    }
}

/// One box of the map.
struct Node<'a> {
    id: &'a str,
    name: &'a str,
    /// The second line: the asset's type, or that it is not in the inventory.
    kind: String,
    /// Not in the inventory: drawn dashed.
    unknown: bool,
    title: String,
    band: Band,
}

/// A box's place on the grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cell {
    column: i32,
    row: i32,
}

fn nodes<'a>(assets: &'a [AssetView], flows: &'a [FlowView]) -> Vec<Node<'a>> {
    let in_flow = |id: &str| flows.iter().any(|f| f.flow.from == id || f.flow.to == id);
    let mut nodes: Vec<Node<'a>> = assets
        .iter()
        .filter(|a| a.holds_ephi() || in_flow(a.id()))
        .map(|a| {
            let asset = &a.asset;
            let ephi: Vec<&str> = asset.ephi.iter().map(|u| u.as_str()).collect();
            let kind = if ephi.is_empty() {
                asset.asset_type.as_str().to_owned()
            } else {
                format!("{} · ePHI", asset.asset_type.as_str())
            };
            let title = format!(
                "{} ({}): {}, {}; ePHI: {}",
                asset.name,
                asset.id,
                asset.asset_type.as_str(),
                asset.location.as_deref().unwrap_or("location unknown"),
                if ephi.is_empty() {
                    "none".to_owned()
                } else {
                    ephi.join(", ")
                }
            );
            Node {
                id: &asset.id,
                name: &asset.name,
                kind,
                unknown: false,
                title,
                band: band_of(a),
            }
        })
        .collect();
    let mut missing: Vec<&'a str> = flows
        .iter()
        .flat_map(|f| f.unknown_endpoints.iter().map(String::as_str))
        .collect();
    missing.sort_unstable();
    missing.dedup();
    nodes.extend(missing.into_iter().map(|id| Node {
        id,
        name: id,
        kind: "unknown asset".to_owned(),
        unknown: true,
        title: format!("{id}: unknown asset, not in the inventory"),
        band: Band::Unknown,
    }));
    nodes
}

/// The boxes on the grid: band after band, each band's boxes down its columns.
#[derive(Debug)]
struct Grid {
    /// Each node's cell, by index.
    cells: Vec<Cell>,
    /// Each band with its first column and its number of columns.
    bands: Vec<(Band, i32, i32)>,
    columns: i32,
    rows: i32,
}

fn grid(nodes: &[Node<'_>]) -> Grid {
    let mut by_band: BTreeMap<&Band, Vec<usize>> = BTreeMap::new();
    for (i, node) in nodes.iter().enumerate() {
        by_band.entry(&node.band).or_default().push(i);
    }
    let mut cells = vec![Cell { column: 0, row: 0 }; nodes.len()];
    let mut bands = Vec::new();
    let mut column = 0i32;
    let mut rows = 0usize;
    for (band, members) in by_band {
        let columns = members.len().div_ceil(MAX_ROWS).max(1);
        // Spread evenly over the band's columns rather than filling the first one.
        let per_column = members.len().div_ceil(columns).max(1);
        rows = rows.max(per_column);
        for (k, &i) in members.iter().enumerate() {
            if let Some(cell) = cells.get_mut(i) {
                *cell = Cell {
                    column: column + to_i32(k / per_column),
                    row: to_i32(k % per_column),
                };
            }
        }
        bands.push((band.clone(), column, to_i32(columns)));
        column += to_i32(columns);
    }
    Grid {
        cells,
        bands,
        columns: column,
        rows: to_i32(rows),
    }
}

/// A flow's way across the grid: the lane it runs along (lane `k` is the gap above row `k`;
/// lane `rows` is below the last row) and its line in that lane.
#[derive(Debug)]
struct Route<'f> {
    flow: &'f FlowView,
    from: Cell,
    to: Cell,
    lane: i32,
    line: i32,
}

/// The routes of the flows whose two ends are on the map, and how many lines each lane holds.
fn routes<'f>(
    flows: &'f [FlowView],
    nodes: &[Node<'_>],
    grid: &Grid,
) -> (Vec<Route<'f>>, BTreeMap<i32, i32>) {
    let cell_of = |id: &str| {
        nodes
            .iter()
            .position(|n| n.id == id)
            .and_then(|i| grid.cells.get(i))
            .copied()
    };
    let mut lines: BTreeMap<i32, i32> = BTreeMap::new();
    let mut routes = Vec::new();
    for flow in flows {
        let (Some(from), Some(to)) = (cell_of(&flow.flow.from), cell_of(&flow.flow.to)) else {
            continue;
        };
        // The lane halfway between the two rows: above the row for boxes on one row.
        let lane = (from.row + to.row + 1) / 2;
        let count = lines.entry(lane).or_insert(0);
        routes.push(Route {
            flow,
            from,
            to,
            lane,
            line: *count,
        });
        *count += 1;
    }
    (routes, lines)
}

/// Where the lanes and rows are, top to bottom.
#[derive(Debug)]
struct Rows {
    /// The top of each lane, `rows + 1` of them.
    lane_top: Vec<i32>,
    /// The top of each row of boxes.
    row_top: Vec<i32>,
    /// Below the last lane.
    bottom: i32,
}

fn rows(grid: &Grid, lines: &BTreeMap<i32, i32>) -> Rows {
    let height = |lane: i32| LANE_MIN + LINE_H * lines.get(&lane).copied().unwrap_or(0);
    let mut lane_top = Vec::new();
    let mut row_top = Vec::new();
    let mut y = HEADER;
    for row in 0..grid.rows {
        lane_top.push(y);
        y += height(row);
        row_top.push(y);
        y += NODE_H;
    }
    lane_top.push(y);
    y += height(grid.rows);
    Rows {
        lane_top,
        row_top,
        bottom: y,
    }
}

fn column_x(column: i32) -> i32 {
    MARGIN + column * COLUMN_W + GAP_X / 2
}

fn row_y(rows: &Rows, row: i32) -> i32 {
    usize::try_from(row)
        .ok()
        .and_then(|r| rows.row_top.get(r))
        .copied()
        .unwrap_or(HEADER)
}

/// Counts of boxes are small; saturating keeps the conversion total.
fn to_i32(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// `text` cut to `max` characters, with an ellipsis when cut.
fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

/// How a flow is drawn: its colour, its dashes, its arrowhead and the word on its label.
struct Stroke {
    colour: &'static str,
    dashes: Option<&'static str>,
    width: &'static str,
    marker: &'static str,
    /// Said on the label, so the state does not rest on colour.
    prefix: &'static str,
    class: &'static str,
}

/// Whether a flow is encrypted, as the map draws it.
#[derive(Debug, Clone, Copy)]
enum Transit {
    Encrypted,
    Unencrypted,
    Unknown,
}

impl Transit {
    const ALL: [Transit; 3] = [Transit::Encrypted, Transit::Unencrypted, Transit::Unknown];

    fn of(in_transit: &InTransit) -> Transit {
        match in_transit {
            InTransit::Encrypted { .. } => Transit::Encrypted,
            InTransit::Unencrypted { .. } => Transit::Unencrypted,
            InTransit::Unknown => Transit::Unknown,
        }
    }
}

fn stroke(transit: Transit) -> Stroke {
    match transit {
        Transit::Encrypted => Stroke {
            colour: "#0b4f8a",
            dashes: None,
            width: "1.6",
            marker: "arrow-encrypted",
            prefix: "",
            class: "encrypted",
        },
        Transit::Unencrypted => Stroke {
            colour: "#c62828",
            dashes: Some("8 5"),
            width: "2.4",
            marker: "arrow-unencrypted",
            prefix: "UNENCRYPTED: ",
            class: "unencrypted",
        },
        Transit::Unknown => Stroke {
            colour: "#8c959f",
            dashes: Some("2 4"),
            width: "1.6",
            marker: "arrow-unknown",
            prefix: "encryption unknown: ",
            class: "unknown",
        },
    }
}

/// The network map as an inline `<svg>`: see the module's documentation. With no flow it
/// says "No data flows recorded." (and still draws the assets that hold ePHI, if any).
pub fn network_map(assets: &[AssetView], flows: &[FlowView]) -> String {
    let nodes = nodes(assets, flows);
    let mut out = String::new();
    if flows.is_empty() {
        out.push_str("<p class=\"map-empty\">No data flows recorded.</p>\n");
    }
    if nodes.is_empty() {
        return out;
    }
    let grid = grid(&nodes);
    let (routes, lines) = routes(flows, &nodes, &grid);
    let rows = rows(&grid, &lines);
    // Wide enough for the legend however few columns there are, and for the label of a flow
    // in the last column's gap.
    let width = 2 * MARGIN + grid.columns.max(4) * COLUMN_W + GAP_X;
    let height = rows.bottom + LEGEND_H;
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"network-map\" \
         viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" role=\"img\" \
         aria-labelledby=\"network-map-title\" font-family=\"system-ui, sans-serif\" \
         font-size=\"12\">\n<title id=\"network-map-title\">Network map: {} assets, {} data \
         flows</title>\n<defs>",
        nodes.len(),
        flows.len()
    );
    for s in Transit::ALL.map(stroke) {
        let _ = write!(
            out,
            "<marker id=\"{}\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"9\" \
             markerHeight=\"9\" markerUnits=\"userSpaceOnUse\" orient=\"auto\">\
             <path d=\"M0,0 L10,5 L0,10 z\" fill=\"{}\"/></marker>",
            s.marker, s.colour
        );
    }
    out.push_str("</defs>\n");

    for (band, first, count) in &grid.bands {
        let x = MARGIN + first * COLUMN_W + 6;
        let w = count * COLUMN_W - 12;
        let _ = writeln!(
            out,
            "<g class=\"band\"><rect x=\"{x}\" y=\"8\" width=\"{w}\" height=\"{}\" rx=\"8\" \
             fill=\"#f6f8fa\" stroke=\"#d0d7de\"/><text x=\"{}\" y=\"30\" \
             text-anchor=\"middle\" font-weight=\"600\" font-size=\"13\" \
             fill=\"#1f2328\">{}</text></g>",
            rows.bottom - 4,
            x + w / 2,
            escape(&cut(band.label(), 34))
        );
    }

    for (i, (node, cell)) in nodes.iter().zip(&grid.cells).enumerate() {
        let (x, y) = (column_x(cell.column), row_y(&rows, cell.row));
        let (stroke, dashes) = if node.unknown {
            ("#59636e", " stroke-dasharray=\"6 4\"")
        } else {
            ("#1f2328", "")
        };
        let _ = writeln!(
            out,
            "<g class=\"node{}\" id=\"asset-{}\" data-asset=\"{}\"><title>{}</title>\
             <rect x=\"{x}\" y=\"{y}\" width=\"{NODE_W}\" height=\"{NODE_H}\" rx=\"6\" \
             fill=\"#ffffff\" stroke=\"{stroke}\" stroke-width=\"1.4\"{dashes}/>\
             <text x=\"{}\" y=\"{}\" font-weight=\"600\" fill=\"#1f2328\">{}</text>\
             <text x=\"{}\" y=\"{}\" fill=\"#57606a\" font-size=\"11\">{}</text></g>",
            if node.unknown { " unknown" } else { "" },
            i + 1,
            escape(node.id),
            escape(&node.title),
            x + 10,
            y + 19,
            escape(&cut(node.name, NAME_CHARS)),
            x + 10,
            y + 36,
            escape(&cut(&node.kind, NAME_CHARS + 4)),
        );
    }
    edges(&mut out, &routes, &rows);
    legend(&mut out, rows.bottom);
    out.push_str("</svg>\n");
    out
}

/// The flows, drawn orthogonally so that no line crosses a box: out of the side of the first
/// box into the gap beside it, along its lane (between two rows of boxes) to the gap beside the
/// second box, and into its side; within one column, down the gap to its right. Each flow has
/// a line of its own in its lane, with its label on it, and runs in a gap a few pixels apart
/// from the others there.
fn edges(out: &mut String, routes: &[Route<'_>], rows: &Rows) {
    // The n-th of several things in one place is set `n`-th in 0, -step, +step, -2 step, ...
    let nth = |n: i32, step: i32| {
        if n % 2 == 0 {
            n / 2 * step
        } else {
            -(n / 2 + 1) * step
        }
    };
    let mut in_gap: BTreeMap<i32, i32> = BTreeMap::new();
    let mut run = |gap: i32| {
        let n = in_gap.entry(gap).or_insert(0);
        let x = gap + nth(*n, 8).clamp(-GAP_X / 2 + 6, GAP_X / 2 - 6);
        *n += 1;
        x
    };
    // Where a flow leaves or enters a box's side: several on one side are spread along it.
    let mut at_side: BTreeMap<(i32, i32, bool), i32> = BTreeMap::new();
    let mut port = |cell: Cell, right: bool| {
        let n = at_side.entry((cell.column, cell.row, right)).or_insert(0);
        let y =
            row_y(rows, cell.row) + NODE_H / 2 + nth(*n, 7).clamp(-NODE_H / 2 + 6, NODE_H / 2 - 6);
        *n += 1;
        y
    };
    for route in routes {
        let flow = route.flow;
        let (a, b) = (route.from, route.to);
        let (ax, bx) = (column_x(a.column), column_x(b.column));
        let lane_top = usize::try_from(route.lane)
            .ok()
            .and_then(|l| rows.lane_top.get(l))
            .copied()
            .unwrap_or(HEADER);
        let y = lane_top + LINE_H * (route.line + 1) + 4;
        let (start, x1, x2, end, ay, by) = if b.column > a.column {
            let x1 = run(ax + NODE_W + GAP_X / 2);
            let x2 = run(bx - GAP_X / 2);
            (ax + NODE_W, x1, x2, bx, port(a, true), port(b, false))
        } else if b.column < a.column {
            let x1 = run(ax - GAP_X / 2);
            let x2 = run(bx + NODE_W + GAP_X / 2);
            (ax, x1, x2, bx + NODE_W, port(a, false), port(b, true))
        } else {
            let x = run(ax + NODE_W + GAP_X / 2);
            (ax + NODE_W, x, x, bx + NODE_W, port(a, true), port(b, true))
        };
        let d = format!("M{start},{ay} L{x1},{ay} L{x1},{y} L{x2},{y} L{x2},{by} L{end},{by}");
        let s = stroke(Transit::of(&flow.in_transit));
        let what = [flow.flow.data.as_deref(), flow.flow.protocol.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" / ");
        let what = if what.is_empty() {
            "ePHI".to_owned()
        } else {
            what
        };
        let title = format!(
            "{}: {} → {}, {}; {} ({})",
            flow.flow.id,
            flow.flow.from,
            flow.flow.to,
            what,
            flow.in_transit.word(),
            basis(&flow.in_transit)
        );
        // The prefix is kept whole however long the rest is: it is what the label is for.
        let label = format!("{}{}", s.prefix, cut(&what, LABEL_CHARS));
        let _ = writeln!(
            out,
            "<g class=\"flow {}\" data-flow=\"{}\"><title>{}</title>\
             <path d=\"{d}\" fill=\"none\" stroke=\"{}\" stroke-width=\"{}\" \
             stroke-linejoin=\"round\"{} marker-end=\"url(#{})\"/>\
             <text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"11\" fill=\"{}\" \
             stroke=\"#ffffff\" stroke-width=\"4\" paint-order=\"stroke\"{}>{}</text></g>",
            s.class,
            escape(&flow.flow.id),
            escape(&title),
            s.colour,
            s.width,
            s.dashes
                .map(|d| format!(" stroke-dasharray=\"{d}\""))
                .unwrap_or_default(),
            s.marker,
            (x1 + x2) / 2,
            y - 3,
            s.colour,
            if matches!(Transit::of(&flow.in_transit), Transit::Unencrypted) {
                " font-weight=\"700\""
            } else {
                ""
            },
            escape(&label),
        );
    }
}

/// What the lines and boxes mean, below the map.
fn legend(out: &mut String, top: i32) {
    let y = top + 20;
    let _ = write!(
        out,
        "<g class=\"legend\" font-size=\"11\" fill=\"#1f2328\">"
    );
    let mut x = MARGIN;
    for (transit, words) in
        Transit::ALL
            .into_iter()
            .zip(["encrypted in transit", "UNENCRYPTED", "encryption unknown"])
    {
        let s = stroke(transit);
        let _ = write!(
            out,
            "<line x1=\"{x}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"{}\" stroke-width=\"{}\"{}/>\
             <text x=\"{}\" y=\"{}\">{words}</text>",
            x + 40,
            s.colour,
            s.width,
            s.dashes
                .map(|d| format!(" stroke-dasharray=\"{d}\""))
                .unwrap_or_default(),
            x + 48,
            y + 4
        );
        x += 220;
    }
    let _ = writeln!(
        out,
        "<rect x=\"{x}\" y=\"{}\" width=\"40\" height=\"18\" rx=\"4\" fill=\"#ffffff\" \
         stroke=\"#59636e\" stroke-dasharray=\"6 4\"/><text x=\"{}\" y=\"{}\">an endpoint not in \
         the inventory</text></g>",
        y - 9,
        x + 48,
        y + 4
    );
}
