//! Figures from sweep CSVs (plotters, PNG + SVG, embedded DejaVu Sans font:
//! no system fonts needed). One panel per convention, side by side.

use crate::sweep::{PlotSpec, SweepScenario};
use anyhow::Context;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{register_font, FontStyle};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Once;

/// Font family name under which DejaVu Sans is registered.
pub const FONT: &str = "sans-serif";

/// Register the embedded font (once per process).
pub fn register_embedded_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = register_font(FONT, FontStyle::Normal, dejavu::sans::regular());
        let _ = register_font(FONT, FontStyle::Bold, dejavu::sans::bold());
    });
}

/// One CSV row of a sweep, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Grid point index.
    pub point: usize,
    /// Axis name → value.
    pub axes: BTreeMap<String, f64>,
    /// Convention keyword.
    pub convention: String,
    /// Model keyword.
    pub model: String,
    /// Policy name.
    pub policy: String,
    /// Numeric result columns by name.
    pub values: BTreeMap<String, f64>,
}

impl Row {
    /// A numeric column (NaN if absent).
    pub fn get(&self, col: &str) -> f64 {
        self.values.get(col).copied().unwrap_or(f64::NAN)
    }
    /// An axis value (NaN if the axis is not swept).
    pub fn axis(&self, a: &str) -> f64 {
        self.axes.get(a).copied().unwrap_or(f64::NAN)
    }
}

const AXES: [&str; 6] = ["power_dbm", "distance_m", "sigma_x", "transmittance", "excess_noise", "users"];

/// Read a sweep CSV written by `nomaqkd sweep`.
pub fn read_csv(path: &Path) -> anyhow::Result<Vec<Row>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split(',').collect();
    let mut rows = Vec::new();
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        anyhow::ensure!(cells.len() == header.len(), "{}: ragged row `{line}`", path.display());
        let mut r = Row {
            point: 0,
            axes: BTreeMap::new(),
            convention: String::new(),
            model: String::new(),
            policy: String::new(),
            values: BTreeMap::new(),
        };
        for (h, c) in header.iter().zip(&cells) {
            match *h {
                "point" => r.point = c.parse()?,
                "convention" => r.convention = c.to_string(),
                "model" => r.model = c.to_string(),
                "policy" => r.policy = c.to_string(),
                a if AXES.contains(&a) => {
                    r.axes.insert(a.to_string(), c.parse()?);
                }
                other => {
                    r.values.insert(other.to_string(), c.parse()?);
                }
            }
        }
        rows.push(r);
    }
    Ok(rows)
}

/// Axis label with units.
pub fn axis_label(a: &str) -> &'static str {
    match a {
        "power_dbm" => "BS power budget P_max (dBm)",
        "distance_m" => "distance d (m)",
        "sigma_x" => "turbulence σx",
        "transmittance" => "transmittance T",
        "excess_noise" => "excess noise ξ = W (SNU)",
        "users" => "users K",
        _ => "",
    }
}

/// Metric label with units.
pub fn metric_label(m: &str) -> &'static str {
    match m {
        "sum_rate" => "sum SKR, unclipped (bits/symbol)",
        "sum_holevo" => "Eve's Holevo information Σχ (bits/symbol)",
        _ => "sum SKR (bits/symbol)",
    }
}

const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

fn conventions_of(rows: &[Row]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in rows {
        if !out.contains(&r.convention) {
            out.push(r.convention.clone());
        }
    }
    out
}

/// A curve: label and (x, y, CI half-width) points.
pub type Series = (String, Vec<(f64, f64, f64)>);

/// Series of a line panel: label → (x, y, ci) sorted by x.
pub fn line_series(rows: &[Row], convention: &str, x: &str, metric: &str) -> Vec<Series> {
    let models: Vec<&str> = {
        let mut m: Vec<&str> = Vec::new();
        for r in rows {
            if !m.contains(&r.model.as_str()) {
                m.push(&r.model);
            }
        }
        m
    };
    let mut series: Vec<Series> = Vec::new();
    for r in rows.iter().filter(|r| r.convention == convention) {
        let mut label = r.policy.clone();
        if models.len() > 1 {
            label.push_str(&format!(" ({})", r.model));
        }
        for (a, v) in &r.axes {
            if a != x {
                label.push_str(&format!(", {}={}", short_axis(a), v));
            }
        }
        let y = r.get(&format!("{metric}_mean"));
        let ci = r.get(&format!("{metric}_ci95"));
        let p = (r.axis(x), y, ci);
        match series.iter_mut().find(|(l, _)| *l == label) {
            Some((_, pts)) => pts.push(p),
            None => series.push((label, vec![p])),
        }
    }
    for (_, pts) in &mut series {
        pts.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    series
}

fn short_axis(a: &str) -> &str {
    match a {
        "power_dbm" => "P",
        "distance_m" => "d",
        "sigma_x" => "σx",
        "transmittance" => "T",
        "excess_noise" => "W",
        "users" => "K",
        other => other,
    }
}

fn range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if hi - lo < 1e-12 {
        let pad = if lo.abs() > 0.0 { 0.1 * lo.abs() } else { 1.0 };
        return (lo - pad, hi + pad);
    }
    (lo, hi)
}

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn draw_line_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    x: &str,
    metric: &str,
    series: &[Series],
    labels: &[String],
) -> Res<()>
where
    DB::ErrorType: 'static,
{
    let (x0, x1) = range(series.iter().flat_map(|(_, p)| p.iter().map(|q| q.0)));
    let (y0, y1) = range(series.iter().flat_map(|(_, p)| p.iter().flat_map(|q| [q.1 - q.2, q.1 + q.2])));
    let pad = 0.05 * (y1 - y0);
    let mut chart = ChartBuilder::on(area)
        .caption(title, (FONT, 20))
        .margin(12)
        .x_label_area_size(46)
        .y_label_area_size(64)
        .build_cartesian_2d(x0..x1, (y0 - pad)..(y1 + pad))?;
    chart
        .configure_mesh()
        .x_desc(axis_label(x))
        .y_desc(metric_label(metric))
        .x_label_formatter(&|v| tick(*v, x1 - x0))
        .y_label_formatter(&|v| tick(*v, y1 - y0))
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 15))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()?;
    for (label, pts) in series {
        let (color, dash) = style_of(labels, label);
        let style = ShapeStyle::from(&color).stroke_width(2);
        let line = pts.iter().map(|p| (p.0, p.1));
        match DASHES[dash % DASHES.len()] {
            None => {
                chart.draw_series(LineSeries::new(line, style))?;
            }
            Some((on, off)) => {
                chart.draw_series(DashedLineSeries::new(line, on, off, style))?;
            }
        }
        chart.draw_series(pts.iter().map(|p| Circle::new((p.0, p.1), 3, color.filled())))?;
        chart.draw_series(pts.iter().filter(|p| p.2 > 0.0 && p.2.is_finite()).map(|p| {
            PathElement::new(vec![(p.0, p.1 - p.2), (p.0, p.1 + p.2)], ShapeStyle::from(&color).stroke_width(1))
        }))?;
    }
    Ok(())
}

/// Line patterns: solid, then dashes (on, off) in pixels.
const DASHES: [Option<(i32, i32)>; 4] = [None, Some((10, 6)), Some((3, 4)), Some((18, 5))];

/// Split a series label into its policy part (colour) and the rest (line pattern):
/// "uqpa (exact), W=0.1" → ("uqpa (exact)", "W=0.1").
fn split_label(label: &str) -> (&str, &str) {
    match label.find(", ") {
        Some(i) => (&label[..i], &label[i + 2..]),
        None => (label, ""),
    }
}

/// Colour by policy part, line pattern by the rest, both in order of first appearance.
fn style_of(labels: &[String], label: &str) -> (RGBColor, usize) {
    let mut bases: Vec<&str> = Vec::new();
    let mut rests: Vec<&str> = Vec::new();
    for l in labels {
        let (b, r) = split_label(l);
        if !bases.contains(&b) {
            bases.push(b);
        }
        if !rests.contains(&r) {
            rests.push(r);
        }
    }
    let (b, r) = split_label(label);
    let bi = bases.iter().position(|x| *x == b).unwrap_or(0);
    let ri = rests.iter().position(|x| *x == r).unwrap_or(0);
    (PALETTE[bi % PALETTE.len()], ri)
}

/// Tick text with enough decimals to tell about five ticks over `span` apart.
fn tick(v: f64, span: f64) -> String {
    let decimals =
        if span > 0.0 && span.is_finite() { (-(span / 5.0).log10()).ceil().clamp(0.0, 6.0) as usize } else { 2 };
    format!("{v:.decimals$}")
}

/// Width of one legend entry (px): line sample plus the longest label at ~8 px per character.
fn legend_item_px(labels: &[String]) -> u32 {
    let chars = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0) as u32;
    (chars * 8 + 52).max(160)
}

/// Legend columns: as many as fit, but one per policy when they fit (labels come policy-fastest).
fn legend_cols(labels: &[String], width: u32) -> usize {
    let fit = (width.saturating_sub(40) / legend_item_px(labels)).max(1) as usize;
    let mut bases: Vec<&str> = labels.iter().map(|l| split_label(l).0).collect();
    bases.sort_unstable();
    bases.dedup();
    if bases.len() <= fit {
        bases.len().max(1)
    } else {
        fit
    }
}

fn legend_height(labels: &[String], width: u32) -> u32 {
    let cols = legend_cols(labels, width);
    (labels.len().div_ceil(cols) as u32) * 20 + 12
}

/// A shared legend strip: one coloured line and label per series, in columns.
fn draw_legend<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, labels: &[String]) -> Res<()>
where
    DB::ErrorType: 'static,
{
    let item = legend_item_px(labels);
    let cols = legend_cols(labels, area.dim_in_pixel().0);
    let left = (area.dim_in_pixel().0 as i32 - (cols.min(labels.len()) as i32) * item as i32) / 2;
    for (i, l) in labels.iter().enumerate() {
        let (c, r) = ((i % cols) as i32, (i / cols) as i32);
        let x = left + c * item as i32;
        let y = 8 + r * 20;
        let (color, dash) = style_of(labels, l);
        let stroke = ShapeStyle::from(&color).stroke_width(3);
        match DASHES[dash % DASHES.len()] {
            None => area.draw(&PathElement::new(vec![(x, y + 8), (x + 30, y + 8)], stroke))?,
            Some((on, off)) => {
                let mut a = x;
                while a < x + 30 {
                    area.draw(&PathElement::new(vec![(a, y + 8), ((a + on).min(x + 30), y + 8)], stroke))?;
                    a += on + off;
                }
            }
        }
        area.draw(&Circle::new((x + 15, y + 8), 3, color.filled()))?;
        area.draw(&Text::new(l.clone(), (x + 36, y), (FONT, 14)))?;
    }
    Ok(())
}

/// Viridis-like colour map on [0, 1] (piecewise linear through 6 viridis samples).
pub fn colormap(t: f64) -> RGBColor {
    const STOPS: [(f64, f64, f64); 6] = [
        (68.0, 1.0, 84.0),
        (65.0, 68.0, 135.0),
        (42.0, 120.0, 142.0),
        (34.0, 168.0, 132.0),
        (122.0, 209.0, 81.0),
        (253.0, 231.0, 37.0),
    ];
    let t = if t.is_finite() { t.clamp(0.0, 1.0) } else { 0.0 };
    let s = t * (STOPS.len() - 1) as f64;
    let i = (s.floor() as usize).min(STOPS.len() - 2);
    let f = s - i as f64;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    let mix = |x: f64, y: f64| (x + (y - x) * f).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Heatmap data of a panel: xs, ys (sorted unique), z[iy][ix].
pub fn heat_grid(
    rows: &[Row],
    convention: &str,
    policy: &str,
    x: &str,
    y: &str,
    metric: &str,
) -> (Vec<f64>, Vec<f64>, Vec<Vec<f64>>) {
    let sel: Vec<&Row> = rows.iter().filter(|r| r.convention == convention && r.policy == policy).collect();
    let uniq = |a: &str| {
        let mut v: Vec<f64> = sel.iter().map(|r| r.axis(a)).collect();
        v.sort_by(f64::total_cmp);
        v.dedup();
        v
    };
    let (xs, ys) = (uniq(x), uniq(y));
    let mut z = vec![vec![f64::NAN; xs.len()]; ys.len()];
    for r in sel {
        let ix = xs.iter().position(|v| *v == r.axis(x));
        let iy = ys.iter().position(|v| *v == r.axis(y));
        if let (Some(ix), Some(iy)) = (ix, iy) {
            z[iy][ix] = r.get(&format!("{metric}_mean"));
        }
    }
    (xs, ys, z)
}

fn edges(v: &[f64]) -> Vec<f64> {
    if v.len() == 1 {
        return vec![v[0] - 0.5, v[0] + 0.5];
    }
    let mut e = vec![v[0] - 0.5 * (v[1] - v[0])];
    for w in v.windows(2) {
        e.push(0.5 * (w[0] + w[1]));
    }
    e.push(v[v.len() - 1] + 0.5 * (v[v.len() - 1] - v[v.len() - 2]));
    e
}

#[allow(clippy::too_many_arguments)]
fn draw_heat_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    x: &str,
    y: &str,
    metric: &str,
    data: &(Vec<f64>, Vec<f64>, Vec<Vec<f64>>),
) -> Res<()>
where
    DB::ErrorType: 'static,
{
    let (xs, ys, z) = data;
    let (mut z0, mut z1) = range(z.iter().flatten().copied());
    let finite: Vec<f64> = z.iter().flatten().copied().filter(|v| v.is_finite()).collect();
    if finite.iter().all(|v| *v == finite[0]) && !finite.is_empty() {
        // A constant map (e.g. all zero): the bar starts at the value.
        (z0, z1) = (finite[0], finite[0] + if finite[0] == 0.0 { 1.0 } else { finite[0].abs() });
    }
    let (main, bar) = area.split_horizontally(area.dim_in_pixel().0.saturating_sub(110));
    let (ex, ey) = (edges(xs), edges(ys));
    let mut chart = ChartBuilder::on(&main)
        .caption(title, (FONT, 20))
        .margin(12)
        .x_label_area_size(46)
        .y_label_area_size(60)
        .build_cartesian_2d(ex[0]..ex[ex.len() - 1], ey[0]..ey[ey.len() - 1])?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc(axis_label(x))
        .y_desc(axis_label(y))
        .x_label_formatter(&|v| tick(*v, ex[ex.len() - 1] - ex[0]))
        .y_label_formatter(&|v| tick(*v, ey[ey.len() - 1] - ey[0]))
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 15))
        .draw()?;
    let mut cells = Vec::new();
    for (iy, row) in z.iter().enumerate() {
        for (ix, v) in row.iter().enumerate() {
            let c = if v.is_finite() { colormap((v - z0) / (z1 - z0)) } else { RGBColor(255, 255, 255) };
            cells.push(Rectangle::new([(ex[ix], ey[iy]), (ex[ix + 1], ey[iy + 1])], c.filled()));
        }
    }
    chart.draw_series(cells)?;
    // Colour bar.
    let mut cb = ChartBuilder::on(&bar)
        .margin_top(40)
        .margin_bottom(58)
        .margin_right(8)
        .y_label_area_size(56)
        .build_cartesian_2d(0.0..1.0, z0..z1)?;
    cb.configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_desc(metric_label(metric))
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 13))
        .draw()?;
    let steps = 100;
    cb.draw_series((0..steps).map(|i| {
        let a = z0 + (z1 - z0) * i as f64 / steps as f64;
        let b = z0 + (z1 - z0) * (i + 1) as f64 / steps as f64;
        Rectangle::new([(0.0, a), (1.0, b)], colormap((i as f64 + 0.5) / steps as f64).filled())
    }))?;
    Ok(())
}

fn draw_figure<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    sc: &SweepScenario,
    p: &PlotSpec,
    rows: &[Row],
) -> Res<()>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let (title_area, body) = root.split_vertically(34);
    title_area.titled(&p.title, (FONT, 22).into_font().style(FontStyle::Bold))?;
    let convs = conventions_of(rows);
    let x = p.x.as_str();
    let mut labels: Vec<String> = Vec::new();
    if p.kind == "line" {
        for c in &convs {
            for (l, _) in line_series(rows, c, x, &p.metric) {
                if !labels.contains(&l) {
                    labels.push(l);
                }
            }
        }
    }
    let (w, h) = body.dim_in_pixel();
    let (body, legend) = if labels.is_empty() {
        (body.clone(), None)
    } else {
        let (a, b) = body.split_vertically(h.saturating_sub(legend_height(&labels, w)));
        (a, Some(b))
    };
    if let Some(l) = &legend {
        draw_legend(l, &labels)?;
    }
    let panels = body.split_evenly((1, convs.len().max(1)));
    for (area, conv) in panels.iter().zip(&convs) {
        if p.kind == "heatmap" {
            let y = p.y.expect("heatmap has y").as_str();
            let policy = p.policy.clone().unwrap_or_else(|| sc.variants[0].policy.clone());
            let data = heat_grid(rows, conv, &policy, x, y, &p.metric);
            let vals: Vec<f64> = data.2.iter().flatten().copied().filter(|v| v.is_finite()).collect();
            let note = match vals.first() {
                Some(v0) if vals.iter().all(|v| v == v0) => format!(" (all {v0})"),
                _ => String::new(),
            };
            draw_heat_panel(area, &format!("{conv} convention, {policy}{note}"), x, y, &p.metric, &data)?;
        } else {
            let series = line_series(rows, conv, x, &p.metric);
            draw_line_panel(area, &format!("{conv} convention"), x, &p.metric, &series, &labels)?;
        }
    }
    root.present()?;
    Ok(())
}

/// Render `<name>.png` and `<name>.svg` into `dir`; returns the paths.
pub fn render(sc: &SweepScenario, p: &PlotSpec, rows: &[Row], dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    register_embedded_font();
    let panels = conventions_of(rows).len().max(1) as u32;
    let size = (560 * panels, 520);
    let png = dir.join(format!("{}.png", sc.name));
    let svg = dir.join(format!("{}.svg", sc.name));
    draw_figure(BitMapBackend::new(&png, size).into_drawing_area(), sc, p, rows)
        .map_err(|e| anyhow::anyhow!("drawing {}: {e}", png.display()))?;
    draw_figure(SVGBackend::new(&svg, size).into_drawing_area(), sc, p, rows)
        .map_err(|e| anyhow::anyhow!("drawing {}: {e}", svg.display()))?;
    Ok(vec![png, svg])
}

/// One curve of a log-x line figure ([`render_log_x`]).
#[derive(Debug, Clone, PartialEq)]
pub struct LogSeries {
    /// Legend text of the curve.
    pub label: String,
    /// (x > 0, y) points, ascending in x.
    pub points: Vec<(f64, f64)>,
    /// Optional horizontal reference line (legend text, y), dashed in the curve's colour.
    pub reference: Option<(String, f64)>,
    /// Optional vertical dotted marker at this x, in the curve's colour (drawn if inside the x range).
    pub marker_x: Option<f64>,
}

/// Tick text of a log axis: 1e6 for powers of ten, else two significant digits.
fn log_tick(v: f64) -> String {
    let e = v.log10();
    if (e - e.round()).abs() < 1e-9 {
        format!("1e{}", e.round() as i64)
    } else {
        format!("{v:.1e}")
    }
}

fn draw_log_x<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    title: &str,
    panel: &str,
    x_desc: &str,
    y_desc: &str,
    series: &[LogSeries],
) -> Res<()>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let (title_area, body) = root.split_vertically(34);
    title_area.titled(title, (FONT, 22).into_font().style(FontStyle::Bold))?;
    let entries = series.len() * 2;
    let (w, h) = body.dim_in_pixel();
    let rows_px = (entries.div_ceil(2) as u32) * 20 + 14;
    let (chart_area, legend) = body.split_vertically(h.saturating_sub(rows_px));
    let (x0, x1) = range(series.iter().flat_map(|s| s.points.iter().map(|p| p.0)));
    let (x0, x1) = if x0 > 0.0 && x1 > x0 { (x0, x1) } else { (1.0, 10.0) };
    let ys = series.iter().flat_map(|s| s.points.iter().map(|p| p.1).chain(s.reference.iter().map(|r| r.1)));
    let (y0, y1) = range(ys.chain([0.0]));
    let pad = 0.06 * (y1 - y0);
    let mut chart = ChartBuilder::on(&chart_area)
        .caption(panel, (FONT, 18))
        .margin(14)
        .x_label_area_size(46)
        .y_label_area_size(70)
        .build_cartesian_2d((x0..x1).log_scale(), (y0 - pad)..(y1 + pad))?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .x_label_formatter(&|v| log_tick(*v))
        .y_label_formatter(&|v| tick(*v, y1 - y0))
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 15))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()?;
    // Last series first, so the first one is drawn on top.
    for (i, s) in series.iter().enumerate().rev() {
        let color = PALETTE[i % PALETTE.len()];
        let style = ShapeStyle::from(&color).stroke_width(2);
        if let Some((_, y)) = &s.reference {
            chart.draw_series(DashedLineSeries::new([(x0, *y), (x1, *y)], 10, 6, style))?;
        }
        if let Some(m) = s.marker_x.filter(|m| *m >= x0 && *m <= x1) {
            chart.draw_series(DashedLineSeries::new(
                [(m, y0 - pad), (m, y1 + pad)],
                3,
                4,
                ShapeStyle::from(&color).stroke_width(1),
            ))?;
        }
        chart.draw_series(LineSeries::new(s.points.iter().copied(), style))?;
        // Alternate filled dots and larger hollow rings so that coinciding curves stay visible.
        if i % 2 == 0 {
            chart.draw_series(s.points.iter().map(|p| Circle::new(*p, 3, color.filled())))?;
        } else {
            chart.draw_series(s.points.iter().map(|p| Circle::new(*p, 7, ShapeStyle::from(&color).stroke_width(2))))?;
        }
    }
    // Legend: two columns, curve then its reference line.
    let col_w = (w.saturating_sub(40) / 2) as i32;
    let mut k = 0usize;
    for (i, s) in series.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let stroke = ShapeStyle::from(&color).stroke_width(3);
        let mut items: Vec<(String, bool)> = vec![(s.label.clone(), false)];
        if let Some((l, _)) = &s.reference {
            items.push((l.clone(), true));
        }
        for (text, dashed) in items {
            let (x, y) = (20 + (k % 2) as i32 * col_w, 8 + (k / 2) as i32 * 20);
            if dashed {
                for a in [x, x + 16] {
                    legend.draw(&PathElement::new(vec![(a, y + 8), (a + 10, y + 8)], stroke))?;
                }
            } else {
                legend.draw(&PathElement::new(vec![(x, y + 8), (x + 30, y + 8)], stroke))?;
                if i % 2 == 0 {
                    legend.draw(&Circle::new((x + 15, y + 8), 3, color.filled()))?;
                } else {
                    legend.draw(&Circle::new((x + 15, y + 8), 7, ShapeStyle::from(&color).stroke_width(2)))?;
                }
            }
            legend.draw(&Text::new(text, (x + 38, y), (FONT, 14)))?;
            k += 1;
        }
    }
    root.present()?;
    Ok(())
}

/// Render a one-panel line figure with a logarithmic x axis to `<stem>.png` and
/// `<stem>.svg` in `dir` (curves solid with markers, reference lines dashed, legend below).
pub fn render_log_x(
    dir: &Path,
    stem: &str,
    title: &str,
    panel: &str,
    x_desc: &str,
    y_desc: &str,
    series: &[LogSeries],
) -> anyhow::Result<Vec<PathBuf>> {
    register_embedded_font();
    let size = (900, 600);
    let png = dir.join(format!("{stem}.png"));
    let svg = dir.join(format!("{stem}.svg"));
    draw_log_x(BitMapBackend::new(&png, size).into_drawing_area(), title, panel, x_desc, y_desc, series)
        .map_err(|e| anyhow::anyhow!("drawing {}: {e}", png.display()))?;
    draw_log_x(SVGBackend::new(&svg, size).into_drawing_area(), title, panel, x_desc, y_desc, series)
        .map_err(|e| anyhow::anyhow!("drawing {}: {e}", svg.display()))?;
    Ok(vec![png, svg])
}
