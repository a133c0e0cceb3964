//! `nomaqkd sweep`: scenario files with axes, parallel Monte Carlo over grid
//! points, CSV rows appended in point order, metadata JSON, resume.
//!
//! Determinism: each point is computed from (seed, point index) alone by the
//! library ([`nomaqkd::sweep::run_point`]); workers take points from a shared
//! counter, and rows are written in point order, so the CSV is byte-identical
//! for any `RAYON_NUM_THREADS`.

use crate::args::SweepArgs;
use crate::config::{bad, InputError, ScenarioFile};
use crate::plot;
use nomaqkd::sweep::{
    evaluate_policy, run_point, Axis, Base, Evaluator, Grid, Layout, PolicyOutcome, SolverOptions, Variant,
    VariantSummary,
};
use nomaqkd::{Convention, LinkGeometry, Model, Network, Receiver, Settings};
use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Once};
use std::time::Instant;

/// Set by Ctrl-C: workers stop taking points; finished rows are written.
pub static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Install the Ctrl-C handler once per process.
pub fn install_ctrlc() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = ctrlc::set_handler(|| {
            // A second Ctrl-C exits at once: every finished row is already flushed.
            if INTERRUPTED.swap(true, Ordering::SeqCst) {
                std::process::exit(130);
            }
        });
    });
}

/// Policies of SPEC §7, all computed by `nomaqkd::alloc::optimize`.
pub const POLICIES: &[&str] = &["sca", "global", "qoma", "qoma-opt", "oma-best", "uqpa", "cih"];

/// The per-realization evaluator used by the command line: `nomaqkd::alloc::optimize`
/// with the scenario's solver options (clipped objective, gain order, no caps).
pub fn cli_evaluator(
    options: SolverOptions,
) -> impl Fn(&Settings, &Network, f64, &str) -> Result<PolicyOutcome, nomaqkd::InputError> + Sync {
    move |settings, network, budget, policy| evaluate_policy(settings, network, budget, policy, &options)
}

/// What a figure's plot shows (read from the scenario's `[plot]` table).
#[derive(Debug, Clone, PartialEq)]
pub struct PlotSpec {
    /// `line` or `heatmap`.
    pub kind: String,
    /// Axis on the horizontal axis.
    pub x: Axis,
    /// Heatmap only: axis on the vertical axis.
    pub y: Option<Axis>,
    /// Column plotted (line) or coloured (heatmap): `sum_rate_clipped`, `sum_rate` or `sum_holevo`.
    pub metric: String,
    /// Heatmap only: the policy shown.
    pub policy: Option<String>,
    /// Figure title.
    pub title: String,
}

/// A validated sweep scenario.
#[derive(Debug, Clone)]
pub struct SweepScenario {
    /// Short name: file names of the outputs.
    pub name: String,
    /// Free text.
    pub description: String,
    /// The TOML source, recorded in the metadata.
    pub source: String,
    /// Users, link model, receiver.
    pub base: Base,
    /// Grid (quick or full).
    pub grid: Grid,
    /// Convention × model × policy, in row order.
    pub variants: Vec<Variant>,
    /// Fading realizations per point.
    pub realizations: usize,
    /// Seed of the fading draws.
    pub seed: u64,
    /// Whether the quick grid was used.
    pub quick: bool,
    /// Plot description, if any.
    pub plot: Option<PlotSpec>,
    /// Optimizer settings (`starts`, `tolerance`, `max_iterations` keys).
    pub solver: SolverOptions,
}

fn strings(file: &mut ScenarioFile, key: &str) -> Result<Option<Vec<String>>, InputError> {
    match file.take(key) {
        None => Ok(None),
        Some(toml::Value::String(s)) => Ok(Some(vec![s])),
        Some(toml::Value::Array(a)) => a
            .into_iter()
            .map(|v| match v {
                toml::Value::String(s) => Ok(s),
                other => Err(bad(format!("{key}: `{other}` is not allowed; expected a list of strings"))),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(other) => Err(bad(format!("{key}: `{other}` is not allowed; expected a list of strings"))),
    }
}

fn number(key: &str, v: &toml::Value) -> Result<f64, InputError> {
    match v {
        toml::Value::Float(f) => Ok(*f),
        toml::Value::Integer(i) => Ok(*i as f64),
        other => Err(bad(format!("{key}: `{other}` is not allowed; expected a number"))),
    }
}

/// Values of one `[[axes]]` entry: `values = [...]` or `from`, `to`, `points`
/// (evenly spaced, ends included); `quick_values` / `quick_points` for `--quick`.
fn axis_values(t: &toml::Table, quick: bool) -> Result<(Axis, Vec<f64>), InputError> {
    let name = match t.get("name") {
        Some(toml::Value::String(s)) => s.parse::<Axis>().map_err(InputError::from)?,
        other => return Err(bad(format!("axes: name {other:?} is not allowed; expected one of power_dbm, distance_m, sigma_x, transmittance, excess_noise, users"))),
    };
    let key = format!("axes.{name}");
    for k in t.keys() {
        if !matches!(k.as_str(), "name" | "values" | "from" | "to" | "points" | "quick_values" | "quick_points") {
            return Err(bad(format!(
                "{key}: unknown key `{k}`; allowed: name, values, from, to, points, quick_values, quick_points"
            )));
        }
    }
    let list = |k: &str| -> Result<Option<Vec<f64>>, InputError> {
        match t.get(k) {
            None => Ok(None),
            Some(toml::Value::Array(a)) => a.iter().map(|v| number(&key, v)).collect::<Result<Vec<_>, _>>().map(Some),
            Some(v) => number(&key, v).map(|x| Some(vec![x])),
        }
    };
    let count = |k: &str| -> Result<Option<usize>, InputError> {
        match t.get(k) {
            None => Ok(None),
            Some(toml::Value::Integer(i)) if *i >= 1 && *i <= 100_000 => Ok(Some(*i as usize)),
            Some(v) => Err(bad(format!("{key}.{k}: `{v}` is not allowed; expected an integer in [1, 100000]"))),
        }
    };
    if quick {
        if let Some(v) = list("quick_values")? {
            return Ok((name, v));
        }
    }
    if let Some(v) = list("values")? {
        if t.contains_key("from") || t.contains_key("to") || t.contains_key("points") {
            return Err(bad(format!("{key}: give either values or from/to/points, not both")));
        }
        return Ok((name, v));
    }
    let from = t.get("from").map(|v| number(&key, v)).transpose()?;
    let to = t.get("to").map(|v| number(&key, v)).transpose()?;
    let points = if quick { count("quick_points")?.or(count("points")?) } else { count("points")? };
    match (from, to, points) {
        (Some(a), Some(b), Some(n)) => {
            let v = if n == 1 { vec![a] } else { (0..n).map(|i| a + (b - a) * i as f64 / (n - 1) as f64).collect() };
            Ok((name, v))
        }
        _ => Err(bad(format!("{key}: expected `values = [...]` or all of `from`, `to`, `points`"))),
    }
}

impl SweepScenario {
    /// Read and validate a sweep scenario file.
    pub fn load(path: &Path, quick: bool) -> Result<Self, InputError> {
        let text =
            fs::read_to_string(path).map_err(|e| bad(format!("scenario: cannot read `{}`: {e}", path.display())))?;
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("sweep").to_string();
        Self::parse(path, &text, &stem, quick)
    }

    /// Parse scenario text (`path` only for messages, `default_name` if no `name` key).
    pub fn parse(path: &Path, text: &str, default_name: &str, quick: bool) -> Result<Self, InputError> {
        let mut f = ScenarioFile::parse(path, text)?;
        let name = f.take_str("name")?.unwrap_or_else(|| default_name.to_string());
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err(bad(format!("name: `{name}` is not allowed; expected letters, digits, '-' or '_'")));
        }
        let description = f.take_str("description")?.unwrap_or_default();
        let _ = f.take_str("notes")?;

        let t = f.take_list("transmittance")?;
        let d = f.take_list("distance_m")?;
        let dr = f.take_list("distance_range_m")?;
        let users_key = f.take_u64("users")?;
        let layout = match (t, d, dr) {
            (Some(t), None, None) => Layout::Transmittance(t),
            (None, Some(d), None) => Layout::Distance(d),
            (None, None, Some(r)) if r.len() == 2 => Layout::DistanceRange { min_m: r[0], max_m: r[1] },
            (None, None, Some(r)) => {
                return Err(bad(format!(
                    "distance_range_m: {} values given; expected [nearest, farthest] in metres",
                    r.len()
                )))
            }
            (None, None, None) => {
                return Err(bad("transmittance: missing; expected one of transmittance, distance_m, distance_range_m"))
            }
            _ => {
                return Err(bad(
                    "transmittance: more than one of transmittance, distance_m, distance_range_m; expected exactly one",
                ))
            }
        };
        let list_len = match &layout {
            Layout::Transmittance(v) | Layout::Distance(v) => v.len(),
            Layout::DistanceRange { .. } => 1,
        };
        let users = match users_key {
            Some(k) if (1..=4096).contains(&k) => k as usize,
            Some(k) => return Err(bad(format!("users: {k} is not allowed; expected an integer in [1, 4096]"))),
            None => list_len,
        };
        let mut base = Base::new(users, layout);
        if let Some(x) = f.take_list("excess_noise")? {
            base.excess_noise = x;
        }
        if let Some(p) = f.take_f64("power_dbm")? {
            base.power_dbm = p;
        }
        if let Some(s) = f.take_f64("sigma_x")? {
            base.sigma_x = s;
        }
        base.receiver = Receiver::new(
            f.take_f64("detector_noise")?.unwrap_or(Receiver::DEFAULT_DETECTOR_NOISE_SNU),
            f.take_f64("detector_efficiency")?.unwrap_or(Receiver::DEFAULT_DETECTOR_EFFICIENCY),
            f.take_f64("reconciliation_efficiency")?.unwrap_or(Receiver::DEFAULT_RECONCILIATION_EFFICIENCY),
        )?;
        base.literal_eq6 = f.take_bool("literal_eq6")?.unwrap_or(false);
        base.time_sharing = !f.take_bool("no_time_sharing")?.unwrap_or(false);
        base.geometry = LinkGeometry::new(
            f.take_f64("tx_aperture_m")?.unwrap_or(0.1),
            f.take_f64("rx_aperture_m")?.unwrap_or(1.0),
            f.take_f64("wavelength_m")?.unwrap_or(1.55e-6),
            f.take_f64("divergence_rad")?.unwrap_or(3e-3),
            f.take_f64("attenuation_db_per_km")?.unwrap_or(3.0),
        )?;
        base.symbol_rate_baud = f.take_f64("symbol_rate_baud")?.unwrap_or(nomaqkd::power::DEFAULT_SYMBOL_RATE_BAUD);
        nomaqkd::power::validate_conversion(base.geometry.wavelength_m(), base.symbol_rate_baud)?;
        let seed = f.take_u64("seed")?.unwrap_or(1);
        let mut solver = SolverOptions::default();
        if let Some(n) = f.take_u64("starts")? {
            if !(1..=100_000).contains(&n) {
                return Err(bad(format!("starts: {n} is not allowed; expected an integer in [1, 100000]")));
            }
            solver.starts = n as usize;
        }
        if let Some(n) = f.take_u64("max_iterations")? {
            if !(1..=1_000_000).contains(&n) {
                return Err(bad(format!("max_iterations: {n} is not allowed; expected an integer in [1, 1000000]")));
            }
            solver.max_iterations = n as usize;
        }
        if let Some(t) = f.take_f64("tolerance")? {
            if !(t.is_finite() && t >= 0.0) {
                return Err(bad(format!("tolerance: {t} is not allowed; expected a finite number >= 0")));
            }
            solver.tolerance = t;
        }
        let full_r = f.take_u64("realizations")?.unwrap_or(100);
        let quick_r = f.take_u64("quick_realizations")?.unwrap_or(full_r.min(8));
        let realizations = if quick { quick_r } else { full_r };
        if !(1..=1_000_000).contains(&realizations) {
            return Err(bad(format!(
                "realizations: {realizations} is not allowed; expected an integer in [1, 1000000]"
            )));
        }

        let conventions = strings(&mut f, "conventions")?.unwrap_or_else(|| vec!["standard".into()]);
        let models = strings(&mut f, "models")?.unwrap_or_else(|| vec!["exact".into()]);
        let policies = strings(&mut f, "policies")?.unwrap_or_else(|| vec!["uqpa".into()]);
        let mut variants = Vec::new();
        for c in &conventions {
            let conv: Convention = c.parse().map_err(InputError::from)?;
            for m in &models {
                let model: Model = m.parse().map_err(InputError::from)?;
                if conv == Convention::Trusted && model == Model::Asymptotic {
                    continue; // undefined combination (SPEC §4.2): skipped, noted in the metadata
                }
                Settings::new(
                    conv,
                    model,
                    nomaqkd::Access::Noma,
                    base.receiver,
                    base.literal_eq6 && conv == Convention::Paper,
                    true,
                )?;
                for p in &policies {
                    if !POLICIES.contains(&p.as_str()) {
                        return Err(bad(format!(
                            "policies: `{p}` is not allowed; expected one of {}",
                            POLICIES.join(", ")
                        )));
                    }
                    variants.push(Variant::new(conv, model, p));
                }
            }
        }
        if variants.is_empty() {
            return Err(bad("conventions/models: no valid combination (trusted has only the exact model)"));
        }
        if base.literal_eq6 && conventions.iter().any(|c| c != "paper") {
            return Err(bad("literal_eq6: true cannot be combined with conventions other than paper"));
        }

        let axes = match f.take("axes") {
            None => Vec::new(),
            Some(toml::Value::Array(a)) => a
                .iter()
                .map(|v| match v {
                    toml::Value::Table(t) => axis_values(t, quick),
                    other => Err(bad(format!("axes: `{other}` is not allowed; expected [[axes]] tables"))),
                })
                .collect::<Result<Vec<_>, _>>()?,
            Some(other) => return Err(bad(format!("axes: `{other}` is not allowed; expected [[axes]] tables"))),
        };
        let grid = Grid::new(axes)?;
        // Validate every point's inputs up front (bad input = exit 2 before any work).
        for i in 0..grid.len() {
            base.at(&grid.point(i))?;
        }
        let plot = match f.take("plot") {
            None => None,
            Some(toml::Value::Table(t)) => Some(parse_plot(&t, &grid, &name)?),
            Some(other) => return Err(bad(format!("plot: `{other}` is not allowed; expected a [plot] table"))),
        };
        f.finish()?;
        Ok(Self {
            name,
            description,
            source: text.to_string(),
            base,
            grid,
            variants,
            realizations: realizations as usize,
            seed,
            quick,
            plot,
            solver,
        })
    }

    /// CSV header.
    pub fn header(&self) -> String {
        let mut h = vec!["point".to_string()];
        h.extend(self.grid.axes().iter().map(|(a, _)| a.as_str().to_string()));
        for c in [
            "convention",
            "model",
            "policy",
            "realizations",
            "sum_rate_clipped_mean",
            "sum_rate_clipped_ci95",
            "sum_rate_mean",
            "sum_rate_ci95",
            "sum_holevo_mean",
            "sum_holevo_ci95",
            "positive_users_mean",
            "active_users_mean",
            "unphysical_realizations",
            "above_plob_realizations",
            "unphysical_users",
            "above_plob_users",
            "infeasible_realizations",
            "iteration_cap_realizations",
        ] {
            h.push(c.to_string());
        }
        h.join(",")
    }

    /// CSV lines of one point (deterministic formatting: shortest round-trip floats).
    pub fn point_lines(&self, index: usize, rows: &[VariantSummary]) -> String {
        let point = self.grid.point(index);
        let mut out = String::new();
        for (v, s) in self.variants.iter().zip(rows) {
            let mut cells = vec![index.to_string()];
            cells.extend(point.iter().map(|(_, x)| format!("{x}")));
            cells.push(v.convention.to_string());
            cells.push(v.model.to_string());
            cells.push(v.policy.clone());
            cells.push(s.sum_rate_clipped.n.to_string());
            for x in [
                s.sum_rate_clipped.mean,
                s.sum_rate_clipped.ci95,
                s.sum_rate.mean,
                s.sum_rate.ci95,
                s.sum_holevo.mean,
                s.sum_holevo.ci95,
                s.positive_users_mean,
                s.active_users_mean,
            ] {
                cells.push(format!("{x}"));
            }
            for n in [
                s.unphysical_realizations,
                s.above_plob_realizations,
                s.unphysical_users,
                s.above_plob_users,
                s.infeasible_realizations,
                s.iteration_cap_realizations,
            ] {
                cells.push(n.to_string());
            }
            out.push_str(&cells.join(","));
            out.push('\n');
        }
        out
    }

    /// A fingerprint of what determines the CSV (scenario text and quick flag).
    pub fn fingerprint(&self) -> String {
        // FNV-1a 64 over the source and the flag: stable across runs and platforms.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in self.source.bytes().chain([u8::from(self.quick)]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        format!("{h:016x}")
    }
}

fn parse_plot(t: &toml::Table, grid: &Grid, name: &str) -> Result<PlotSpec, InputError> {
    let s = |k: &str| -> Result<Option<String>, InputError> {
        match t.get(k) {
            None => Ok(None),
            Some(toml::Value::String(s)) => Ok(Some(s.clone())),
            Some(v) => Err(bad(format!("plot.{k}: `{v}` is not allowed; expected a string"))),
        }
    };
    for k in t.keys() {
        if !matches!(k.as_str(), "kind" | "x" | "y" | "metric" | "policy" | "title") {
            return Err(bad(format!("plot: unknown key `{k}`; allowed: kind, x, y, metric, policy, title")));
        }
    }
    let kind = s("kind")?.unwrap_or_else(|| "line".into());
    if kind != "line" && kind != "heatmap" {
        return Err(bad(format!("plot.kind: `{kind}` is not allowed; expected line or heatmap")));
    }
    let on_grid = |a: Axis| -> Result<Axis, InputError> {
        if grid.axes().iter().any(|(b, _)| *b == a) {
            Ok(a)
        } else {
            Err(bad(format!("plot: axis `{a}` is not swept; expected one of the [[axes]] names")))
        }
    };
    let x = on_grid(
        s("x")?.ok_or_else(|| bad("plot.x: missing; expected an axis name"))?.parse().map_err(InputError::from)?,
    )?;
    let y = s("y")?.map(|v| v.parse::<Axis>().map_err(InputError::from).and_then(on_grid)).transpose()?;
    if kind == "heatmap" && y.is_none() {
        return Err(bad("plot.y: missing; a heatmap needs a second axis"));
    }
    let metric = s("metric")?.unwrap_or_else(|| "sum_rate_clipped".into());
    if !matches!(metric.as_str(), "sum_rate_clipped" | "sum_rate" | "sum_holevo") {
        return Err(bad(format!(
            "plot.metric: `{metric}` is not allowed; expected sum_rate_clipped, sum_rate or sum_holevo"
        )));
    }
    Ok(PlotSpec { kind, x, y, metric, policy: s("policy")?, title: s("title")?.unwrap_or_else(|| name.to_string()) })
}

/// Options of one run.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunOptions<'a> {
    /// Continue an interrupted run.
    pub resume: bool,
    /// Stop (as if interrupted) once at least this many rows are in the file.
    pub stop_after_rows: Option<usize>,
    /// Draw a progress bar (only shown on a terminal).
    pub progress: bool,
    /// Stop as Ctrl-C does ([`INTERRUPTED`]) once this is set, e.g. by another thread
    /// (the Python bindings, on KeyboardInterrupt): points in progress finish, their rows
    /// are written, and the run returns with `complete` false.
    pub cancel: Option<&'a AtomicBool>,
}

/// Result of a run.
#[derive(Debug, Clone)]
pub struct RunSummary {
    /// CSV path.
    pub csv: PathBuf,
    /// Metadata path.
    pub metadata: PathBuf,
    /// Whether every point is in the CSV.
    pub complete: bool,
    /// Points found in the CSV at start (resume).
    pub resumed_points: usize,
    /// Points computed now.
    pub computed_points: usize,
    /// Wall time (s).
    pub wall_seconds: f64,
    /// Policy evaluations done now (points × realizations × variants).
    pub evaluations: u64,
}

/// Count complete points in an existing CSV; truncate a partial trailing point.
fn resume_state(sc: &SweepScenario, csv: &Path, meta: &Path) -> Result<usize, InputError> {
    let m = fs::read_to_string(meta).map_err(|e| bad(format!("resume: cannot read `{}`: {e}", meta.display())))?;
    let v: serde_json::Value =
        serde_json::from_str(&m).map_err(|e| bad(format!("resume: `{}` is not valid JSON: {e}", meta.display())))?;
    if v.get("fingerprint").and_then(|f| f.as_str()) != Some(sc.fingerprint().as_str()) {
        return Err(bad(format!(
            "resume: `{}` was written by a different scenario or --quick setting; expected the same scenario (rerun without --resume)",
            meta.display()
        )));
    }
    let file = File::open(csv).map_err(|e| bad(format!("resume: cannot read `{}`: {e}", csv.display())))?;
    let mut lines = BufReader::new(file).lines();
    let header = lines.next().transpose().map_err(|e| bad(format!("resume: {e}")))?.unwrap_or_default();
    if header != sc.header() {
        return Err(bad(format!("resume: the header of `{}` differs from this scenario's", csv.display())));
    }
    let mut bytes = header.len() + 1;
    let per_point = sc.variants.len();
    let mut rows = 0usize;
    let mut good_bytes = bytes;
    for line in lines {
        let line = line.map_err(|e| bad(format!("resume: {e}")))?;
        let idx: Option<usize> = line.split(',').next().and_then(|s| s.parse().ok());
        if idx != Some(rows / per_point) {
            break;
        }
        rows += 1;
        bytes += line.len() + 1;
        if rows % per_point == 0 {
            good_bytes = bytes;
        }
    }
    let points = rows / per_point;
    let f = OpenOptions::new().write(true).open(csv).map_err(|e| bad(format!("resume: {e}")))?;
    f.set_len(good_bytes as u64).map_err(|e| bad(format!("resume: {e}")))?;
    Ok(points)
}

/// Write the metadata JSON.
fn write_metadata(sc: &SweepScenario, path: &Path, summary: Option<&RunSummary>, threads: usize) -> anyhow::Result<()> {
    let axes: Vec<serde_json::Value> =
        sc.grid.axes().iter().map(|(a, v)| serde_json::json!({"name": a.as_str(), "values": v})).collect();
    let variants: Vec<serde_json::Value> = sc
        .variants
        .iter()
        .map(|v| serde_json::json!({"convention": v.convention, "model": v.model, "policy": v.policy}))
        .collect();
    let meta = serde_json::json!({
        "name": sc.name,
        "description": sc.description,
        "version": env!("CARGO_PKG_VERSION"),
        "seed": sc.seed,
        "quick": sc.quick,
        "fingerprint": sc.fingerprint(),
        "realizations": sc.realizations,
        "points": sc.grid.len(),
        "axes": axes,
        "variants": variants,
        "base": sc.base,
        "evaluator": "nomaqkd::alloc::optimize per realization (clipped objective, gain order, no caps)",
        "solver": sc.solver,
        "fading_streams": "ChaCha12(seed), stream = point << 32 | realization; one draw when sigma_x = 0",
        "threads": threads,
        "complete": summary.map(|s| s.complete).unwrap_or(false),
        "timings": summary.map(|s| serde_json::json!({
            "wall_seconds": s.wall_seconds,
            "resumed_points": s.resumed_points,
            "computed_points": s.computed_points,
            "evaluations": s.evaluations,
            "evaluations_per_second": if s.wall_seconds > 0.0 { s.evaluations as f64 / s.wall_seconds } else { 0.0 },
        })),
        "scenario": sc.source,
    });
    let mut text = serde_json::to_string_pretty(&meta)?;
    text.push('\n');
    fs::write(path, text)?;
    Ok(())
}

/// Run a sweep into `out_dir` (`<name>.csv`, `<name>.json`).
pub fn run(
    sc: &SweepScenario,
    out_dir: &Path,
    opts: RunOptions,
    evaluator: &Evaluator<'_>,
) -> anyhow::Result<RunSummary> {
    fs::create_dir_all(out_dir).map_err(|e| bad(format!("out: cannot create `{}`: {e}", out_dir.display())))?;
    let csv = out_dir.join(format!("{}.csv", sc.name));
    let meta = out_dir.join(format!("{}.json", sc.name));
    let n = sc.grid.len();
    let start = if opts.resume && csv.exists() { resume_state(sc, &csv, &meta)? } else { 0 };
    let threads = rayon::current_num_threads();
    let mut file = if start > 0 {
        OpenOptions::new().append(true).open(&csv)?
    } else {
        let mut f = File::create(&csv)?;
        writeln!(f, "{}", sc.header())?;
        f.flush()?;
        f
    };
    write_metadata(sc, &meta, None, threads)?;
    let clock = Instant::now();
    let per_point = sc.variants.len();
    let bar = if opts.progress {
        let b = indicatif::ProgressBar::with_draw_target(Some(n as u64), indicatif::ProgressDrawTarget::stderr());
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{prefix} [{elapsed_precise}] {wide_bar} {pos}/{len} points, ETA {eta}",
        ) {
            b.set_style(style);
        }
        b.set_prefix(sc.name.clone());
        b.set_position(start as u64);
        b.reset_eta();
        b
    } else {
        indicatif::ProgressBar::hidden()
    };
    let stop = AtomicBool::new(false);
    let next = AtomicUsize::new(start);
    let mut written_points = start;
    let mut failure: Option<anyhow::Error> = None;
    let (tx, rx) = mpsc::channel::<(usize, Result<Vec<VariantSummary>, nomaqkd::InputError>)>();
    std::thread::scope(|s| {
        let (stop, next) = (&stop, &next);
        s.spawn(move || {
            rayon::scope(|rs| {
                for _ in 0..threads {
                    let tx = tx.clone();
                    rs.spawn(move |_| loop {
                        if stop.load(Ordering::SeqCst)
                            || INTERRUPTED.load(Ordering::SeqCst)
                            || opts.cancel.is_some_and(|c| c.load(Ordering::SeqCst))
                        {
                            break;
                        }
                        let i = next.fetch_add(1, Ordering::SeqCst);
                        if i >= n {
                            break;
                        }
                        let r = sc.base.at(&sc.grid.point(i)).and_then(|p| {
                            run_point(&sc.base, &p, i as u64, sc.seed, sc.realizations, &sc.variants, evaluator)
                        });
                        if tx.send((i, r)).is_err() {
                            break;
                        }
                    });
                }
            });
            drop(tx);
        });
        let mut pending: BTreeMap<usize, Vec<VariantSummary>> = BTreeMap::new();
        for (i, r) in rx.iter() {
            match r {
                Ok(rows) => {
                    pending.insert(i, rows);
                }
                Err(e) => {
                    failure = Some(InputError::from(e).into());
                    stop.store(true, Ordering::SeqCst);
                    break;
                }
            }
            while let Some(rows) = pending.remove(&written_points) {
                let text = sc.point_lines(written_points, &rows);
                if let Err(e) = file.write_all(text.as_bytes()).and_then(|()| file.flush()) {
                    failure = Some(e.into());
                    stop.store(true, Ordering::SeqCst);
                    break;
                }
                written_points += 1;
                bar.set_position(written_points as u64);
                if opts.stop_after_rows.is_some_and(|m| written_points * per_point >= m) {
                    stop.store(true, Ordering::SeqCst);
                    break;
                }
            }
            if stop.load(Ordering::SeqCst) {
                break;
            }
        }
        // Dropping `rx` here makes remaining workers' sends fail so they stop.
        drop(rx);
    });
    bar.finish_and_clear();
    if let Some(e) = failure {
        return Err(e);
    }
    let computed = written_points - start;
    let draws = |p: usize| -> u64 {
        let sigma = sc.base.at(&sc.grid.point(p)).map(|x| x.sigma_x).unwrap_or(0.0);
        if sigma == 0.0 {
            1
        } else {
            sc.realizations as u64
        }
    };
    let evaluations: u64 = (start..written_points).map(draws).sum::<u64>() * per_point as u64;
    let summary = RunSummary {
        csv,
        metadata: meta.clone(),
        complete: written_points == n,
        resumed_points: start,
        computed_points: computed,
        wall_seconds: clock.elapsed().as_secs_f64(),
        evaluations,
    };
    write_metadata(sc, &meta, Some(&summary), threads)?;
    Ok(summary)
}

/// `nomaqkd sweep`.
pub fn cli(args: &SweepArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let sc = SweepScenario::load(&args.scenario, args.quick)?;
    let stop_after_rows = args
        .stop_after_rows
        .as_deref()
        .map(|s| crate::config::parse_u64("--stop-after-rows", s).map(|v| v as usize))
        .transpose()?;
    install_ctrlc();
    let opts = RunOptions { resume: args.resume, stop_after_rows, progress: true, cancel: None };
    let s = run(&sc, &args.out, opts, &cli_evaluator(sc.solver))?;
    if s.complete {
        if let Some(p) = &sc.plot {
            let rows = plot::read_csv(&s.csv)?;
            let files = plot::render(&sc, p, &rows, &args.out)?;
            for f in files {
                writeln!(out, "wrote {}", f.display())?;
            }
        }
        writeln!(
            out,
            "wrote {} ({} points, {} computed, {} resumed) and {} in {:.2} s",
            s.csv.display(),
            sc.grid.len(),
            s.computed_points,
            s.resumed_points,
            s.metadata.display(),
            s.wall_seconds
        )?;
        Ok(())
    } else {
        let written = s.resumed_points + s.computed_points;
        let msg = format!(
            "stopped after {written} of {} points; rows are in {}; rerun with --resume to continue",
            sc.grid.len(),
            s.csv.display()
        );
        if INTERRUPTED.load(Ordering::SeqCst) {
            Err(Interrupted(msg).into())
        } else {
            writeln!(out, "{msg}")?;
            Ok(())
        }
    }
}

/// A run stopped by Ctrl-C: exit code 130.
#[derive(Debug)]
pub struct Interrupted(pub String);

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "interrupted: {}", self.0)
    }
}
impl std::error::Error for Interrupted {}
