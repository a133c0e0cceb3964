//! The extra figure of `nomaqkd reproduce` (issue 6, item 4; not in the paper):
//! the finite-size sum SKR against the block size N at one operating point of
//! the Fig. 2 scenario, for the NOMA optimum (`global`) and `oma-best`.
//!
//! One allocation per policy by [`nomaqkd::alloc::optimize`] at the mean
//! channel (no fading), then [`nomaqkd::finite::finite_sum_rate_vs_block_size`]
//! on a log grid of N and [`nomaqkd::finite::min_block_sizes`] for the smallest
//! N with key (SPEC §9; search on log N).

use crate::config::{bad, InputError, ScenarioFile};
use crate::plot;
use crate::sweep::SweepScenario;
use nomaqkd::alloc::{optimize, Policy, Problem};
use nomaqkd::finite::{
    evaluate_finite, finite_sum_rate_vs_block_size, min_block_sizes, FiniteSizeParams, WorstCase,
    MIN_BLOCK_SEARCH_RANGE,
};
use nomaqkd::sweep::{parse_policy, Axis, Base, SolverOptions};
use nomaqkd::{dbm_to_variance, received_power_budget, Access, Convention, Model, Network, Settings};
use serde::Serialize;
use std::path::Path;
use std::time::Instant;

/// The figure's scenario, embedded so `reproduce` works from any directory.
pub const SCENARIO: (&str, &str) = ("fig2-finite", include_str!("../../../scenarios/fig2-finite.toml"));

/// A validated finite-size figure scenario.
#[derive(Debug, Clone)]
pub struct FiniteFigure {
    /// Output file stem.
    pub name: String,
    /// Free text (figure heading).
    pub description: String,
    /// The TOML source.
    pub source: String,
    /// Name of the sweep scenario whose users, link model, receiver and solver are used.
    pub base_name: String,
    /// That scenario's base (users, geometry, receiver).
    pub base: Base,
    /// That scenario's solver options (`starts`, `tolerance`, `max_iterations`).
    pub solver: SolverOptions,
    /// The operating point: BS budget (dBm).
    pub power_dbm: f64,
    /// `standard` or `trusted` (exact model).
    pub convention: Convention,
    /// Policies, one curve each.
    pub policies: Vec<Policy>,
    /// Block sizes N (log grid, ascending).
    pub block_sizes: Vec<f64>,
    /// Finite-size parameters (block size replaced per grid point).
    pub params: FiniteSizeParams,
    /// Figure title.
    pub title: String,
}

/// Log grid 10^a … 10^b with `n` points; integer exponents give exact powers of ten.
pub fn log_grid(from: f64, to: f64, n: usize) -> Vec<f64> {
    let (a, b) = (from.log10(), to.log10());
    (0..n)
        .map(|i| {
            let e = if n == 1 { a } else { a + (b - a) * i as f64 / (n - 1) as f64 };
            let r = e.round();
            if (e - r).abs() < 1e-12 {
                10f64.powi(r as i32)
            } else {
                10f64.powf(e)
            }
        })
        .collect()
}

impl FiniteFigure {
    /// Parse the scenario text; `bases` are the sweep scenarios it may refer to by name.
    pub fn parse(path: &Path, text: &str, bases: &[(&str, &str)], quick: bool) -> Result<Self, InputError> {
        let mut f = ScenarioFile::parse(path, text)?;
        let name = f.take_str("name")?.unwrap_or_else(|| "finite".into());
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err(bad(format!("name: `{name}` is not allowed; expected letters, digits, '-' or '_'")));
        }
        let description = f.take_str("description")?.unwrap_or_default();
        let _ = f.take_str("notes")?;
        let base_name = f.take_str("base")?.ok_or_else(|| bad("base: missing; expected a figure scenario name"))?;
        let Some((_, base_text)) = bases.iter().find(|(n, _)| *n == base_name) else {
            let names: Vec<&str> = bases.iter().map(|(n, _)| *n).collect();
            return Err(bad(format!("base: `{base_name}` is not allowed; expected one of {}", names.join(", "))));
        };
        let base_sc = SweepScenario::parse(
            &Path::new("scenarios").join(format!("{base_name}.toml")),
            base_text,
            &base_name,
            false,
        )?;
        let mut base = base_sc.base.clone();
        let power_dbm =
            f.take_f64("power_dbm")?.ok_or_else(|| bad("power_dbm: missing; expected the operating point (dBm)"))?;
        base.power_dbm = Axis::PowerDbm.validate(power_dbm).map_err(InputError::from)?;
        base.sigma_x = Axis::SigmaX.validate(f.take_f64("sigma_x")?.unwrap_or(0.0)).map_err(InputError::from)?;
        if base.sigma_x != 0.0 {
            return Err(bad(format!(
                "sigma_x: {} is not allowed; expected 0 (one allocation at the mean channel)",
                base.sigma_x
            )));
        }
        let conv_s = f.take_str("convention")?.unwrap_or_else(|| "standard".into());
        let convention: Convention = conv_s.parse().map_err(InputError::from)?;
        if convention == Convention::Paper {
            return Err(bad("convention: `paper` is not allowed; expected standard or trusted (SPEC §9.1)"));
        }
        let policies = match f.take("policies") {
            Some(toml::Value::Array(a)) if !a.is_empty() => a
                .iter()
                .map(|v| match v {
                    toml::Value::String(s) => parse_policy(s).map_err(InputError::from),
                    other => Err(bad(format!("policies: `{other}` is not allowed; expected a list of strings"))),
                })
                .collect::<Result<Vec<_>, _>>()?,
            None => vec![Policy::Global, Policy::OmaBest],
            Some(other) => {
                return Err(bad(format!("policies: `{other}` is not allowed; expected a non-empty list of strings")))
            }
        };
        let mut b = FiniteSizeParams::builder();
        if let Some(x) = f.take_f64("pe_fraction")? {
            b = b.pe_fraction(x);
        }
        if let Some(x) = f.take_f64("eps_pe")? {
            b = b.eps_pe(x);
        }
        if let Some(x) = f.take_f64("eps_smooth")? {
            b = b.eps_smooth(x);
        }
        if let Some(x) = f.take_f64("eps_pa")? {
            b = b.eps_pa(x);
        }
        if let Some(r) = f.take_u64("pe_samples_per_symbol")? {
            b = b.pe_samples_per_symbol(u32::try_from(r).unwrap_or(u32::MAX));
        }
        if let Some(w) = f.take_str("worst_case")? {
            b = b.worst_case(w.parse::<WorstCase>().map_err(InputError::from)?);
        }
        let params = b.build().map_err(InputError::from)?;
        let block_sizes = match f.take("block_size") {
            Some(toml::Value::Table(t)) => block_grid(&t, quick)?,
            _ => return Err(bad("block_size: missing; expected a table with from, to, points, quick_points")),
        };
        let title = match f.take("plot") {
            None => description.clone(),
            Some(toml::Value::Table(t)) => {
                for k in t.keys() {
                    if k != "title" {
                        return Err(bad(format!("plot: unknown key `{k}`; allowed: title")));
                    }
                }
                match t.get("title") {
                    Some(toml::Value::String(s)) => s.clone(),
                    None => description.clone(),
                    Some(v) => return Err(bad(format!("plot.title: `{v}` is not allowed; expected a string"))),
                }
            }
            Some(other) => return Err(bad(format!("plot: `{other}` is not allowed; expected a [plot] table"))),
        };
        f.finish()?;
        Ok(Self {
            name,
            description,
            source: text.to_string(),
            base_name,
            base,
            solver: base_sc.solver,
            power_dbm,
            convention,
            policies,
            block_sizes,
            params,
            title,
        })
    }

    /// Settings of the allocation (NOMA for `sca`/`global`; rule-based policies pick their own).
    pub fn settings(&self) -> Result<Settings, InputError> {
        Ok(Settings::new(
            self.convention,
            Model::Exact,
            Access::Noma,
            self.base.receiver,
            false,
            self.base.time_sharing,
        )?)
    }

    /// The network at the mean channel (each user at its mean transmittance) and its budget B (SNU).
    pub fn network_and_budget(&self) -> Result<(Network, f64), InputError> {
        let point = self.base.at(&[])?;
        let net = point.network(
            &self.base.geometry,
            self.convention,
            self.base.receiver.detector_efficiency(),
            &vec![1.0; self.base.users],
        )?;
        let v_max = dbm_to_variance(self.power_dbm, self.base.geometry.wavelength_m(), self.base.symbol_rate_baud);
        let budget = received_power_budget(&net, v_max, self.base.receiver.detector_noise_snu())?;
        Ok((net, budget))
    }
}

fn block_grid(t: &toml::Table, quick: bool) -> Result<Vec<f64>, InputError> {
    for k in t.keys() {
        if !matches!(k.as_str(), "from" | "to" | "points" | "quick_points") {
            return Err(bad(format!("block_size: unknown key `{k}`; allowed: from, to, points, quick_points")));
        }
    }
    let num = |k: &str| -> Result<f64, InputError> {
        match t.get(k) {
            Some(toml::Value::Float(x)) => Ok(*x),
            Some(toml::Value::Integer(i)) => Ok(*i as f64),
            Some(v) => Err(bad(format!("block_size.{k}: `{v}` is not allowed; expected a number"))),
            None => Err(bad(format!("block_size.{k}: missing; expected a number"))),
        }
    };
    let count = |k: &str| -> Result<Option<usize>, InputError> {
        match t.get(k) {
            None => Ok(None),
            Some(toml::Value::Integer(i)) if (1..=10_000).contains(i) => Ok(Some(*i as usize)),
            Some(v) => Err(bad(format!("block_size.{k}: `{v}` is not allowed; expected an integer in [1, 10000]"))),
        }
    };
    let (from, to) = (num("from")?, num("to")?);
    let (lo, hi) = MIN_BLOCK_SEARCH_RANGE;
    for (k, v) in [("from", from), ("to", to)] {
        if !(v.is_finite() && (lo..=hi).contains(&v)) {
            return Err(bad(format!("block_size.{k}: {v} is not allowed; expected a number in [1e3, 1e15]")));
        }
    }
    if to <= from {
        return Err(bad(format!("block_size.to: {to} is not allowed; expected a number > from = {from}")));
    }
    let full = count("points")?.ok_or_else(|| bad("block_size.points: missing; expected an integer"))?;
    let n = if quick { count("quick_points")?.unwrap_or(full) } else { full };
    Ok(log_grid(from, to, n))
}

/// One policy's curve.
#[derive(Debug, Clone, Serialize)]
pub struct Curve {
    /// Policy name.
    pub policy: String,
    /// Access scheme of the finite-size evaluation.
    pub access: String,
    /// Block size seen by each active user: `N` (NOMA, `oma-best`) or `N/K` (time-shared OMA).
    pub user_block: String,
    /// Allocated V_A,k (SNU), input order.
    pub modulation_variance: Vec<f64>,
    /// Users with V_A,k > 0.
    pub active_users: Vec<usize>,
    /// Asymptotic clipped sum SKR of the allocation (bits/symbol).
    pub asymptotic_sum_rate_clipped: f64,
    /// Its N → ∞ finite-size limit (1 − p_PE)·Σ slot·max(0, SKR_k).
    pub asymptotic_limit: f64,
    /// Smallest N with a positive finite-size clipped sum (library search on log N), if ≤ 1e15.
    pub min_block_size: Option<f64>,
    /// Per grid N: (clipped sum, raw sum, users with K_k^fin > 0).
    #[serde(skip)]
    pub points: Vec<(f64, f64, usize)>,
}

/// The computed figure.
#[derive(Debug, Clone)]
pub struct Computed {
    /// Budget B (SNU) at the operating point.
    pub budget_snu: f64,
    /// Curves in the scenario's policy order.
    pub curves: Vec<Curve>,
    /// Wall time (s).
    pub wall_seconds: f64,
}

/// Settings under which an allocation's finite-size rates are evaluated: the
/// report's access scheme; `oma-best` gives the whole block to its one user
/// (slot fraction 1, N_k = N), i.e. OMA without time sharing.
pub fn finite_settings(settings: &Settings, policy: Policy, access: Access) -> Result<Settings, InputError> {
    let time_sharing = settings.time_sharing() && policy != Policy::OmaBest;
    Ok(Settings::new(
        settings.convention(),
        settings.model(),
        access,
        *settings.receiver(),
        settings.literal_eq6(),
        time_sharing,
    )?)
}

/// Allocate once per policy, then evaluate the finite-size sums on the N grid and the threshold.
pub fn compute(fig: &FiniteFigure) -> Result<Computed, InputError> {
    let clock = Instant::now();
    let settings = fig.settings()?;
    let (net, budget) = fig.network_and_budget()?;
    let mut curves = Vec::new();
    for &policy in &fig.policies {
        let mut problem = Problem::new(&settings, &net, budget)?;
        problem.policy = policy;
        problem.starts = fig.solver.starts;
        problem.tolerance = fig.solver.tolerance;
        problem.max_iterations = fig.solver.max_iterations;
        let alloc = optimize(&settings, &net, &problem)?;
        let fs = finite_settings(&settings, policy, alloc.report.access)?;
        let order = alloc.report.order.clone().unwrap_or_else(|| net.gain_order());
        let v = alloc.powers();
        let sums = finite_sum_rate_vs_block_size(&fs, &fig.params, &net, &order, &v, &fig.block_sizes)?;
        let mut points = Vec::with_capacity(sums.len());
        for (&nb, &(raw, clipped)) in fig.block_sizes.iter().zip(&sums) {
            let p = fig.params.with_block_size(nb)?;
            let r = evaluate_finite(&fs, &p, &net, &order, &v)?;
            let positive = r.users.iter().filter(|u| u.selected_rate().is_some_and(|x| x > 0.0)).count();
            points.push((clipped, raw, positive));
        }
        let (_, min_n) = min_block_sizes(&fs, &fig.params, &net, &order, &v)?;
        let asym = alloc.report.sum_secret_key_rate_clipped;
        let user_block = if fs.access() == Access::Oma && fs.time_sharing() { "N/K" } else { "N" };
        curves.push(Curve {
            policy: policy.as_str().to_string(),
            access: fs.access().as_str().to_string(),
            user_block: user_block.to_string(),
            active_users: alloc.active_users.clone(),
            modulation_variance: v,
            asymptotic_sum_rate_clipped: asym,
            asymptotic_limit: (1.0 - fig.params.pe_fraction()) * asym,
            min_block_size: min_n,
            points,
        });
    }
    Ok(Computed { budget_snu: budget, curves, wall_seconds: clock.elapsed().as_secs_f64() })
}

/// CSV text: one row per (policy, N).
pub fn csv(fig: &FiniteFigure, c: &Computed) -> String {
    let mut s = String::from(
        "block_size,convention,model,policy,power_dbm,sum_finite_rate_clipped,sum_finite_rate,positive_users,asymptotic_sum_rate_clipped,asymptotic_limit,min_block_size\n",
    );
    for cv in &c.curves {
        let min_n = cv.min_block_size.map(|x| format!("{x}")).unwrap_or_default();
        for (&nb, &(clipped, raw, pos)) in fig.block_sizes.iter().zip(&cv.points) {
            s.push_str(&format!(
                "{nb},{},exact,{},{},{clipped},{raw},{pos},{},{},{min_n}\n",
                fig.convention, cv.policy, fig.power_dbm, cv.asymptotic_sum_rate_clipped, cv.asymptotic_limit
            ));
        }
    }
    s
}

/// If every curve has the same active users and modulation variances equal to
/// 1e-6 relative, the largest relative difference of V_A (the curves then coincide).
pub fn same_allocation(curves: &[Curve]) -> Option<f64> {
    let first = curves.first()?;
    let mut worst: f64 = 0.0;
    for c in &curves[1..] {
        if c.active_users != first.active_users {
            return None;
        }
        for (a, b) in c.modulation_variance.iter().zip(&first.modulation_variance) {
            let d = (a - b).abs() / a.abs().max(b.abs()).max(f64::MIN_POSITIVE);
            worst = worst.max(if a == b { 0.0 } else { d });
        }
    }
    (curves.len() > 1 && worst <= 1e-6).then_some(worst)
}

/// Human form of a block size: 3.16e7.
pub fn fmt_n(n: f64) -> String {
    format!("{n:.3e}")
}

/// Compute, write `<name>.csv`, `<name>.json`, `<name>.png`, `<name>.svg`; returns the result.
pub fn run(fig: &FiniteFigure, dir: &Path) -> anyhow::Result<Computed> {
    let c = compute(fig)?;
    std::fs::write(dir.join(format!("{}.csv", fig.name)), csv(fig, &c))?;
    let meta = serde_json::json!({
        "name": fig.name,
        "description": fig.description,
        "version": env!("CARGO_PKG_VERSION"),
        "base_scenario": fig.base_name,
        "power_dbm": fig.power_dbm,
        "sigma_x": 0.0,
        "budget_snu": c.budget_snu,
        "convention": fig.convention,
        "model": "exact",
        "finite_size": fig.params,
        "finite_size_note": "block_size above is the builder default; each N of block_sizes replaces it",
        "block_sizes": fig.block_sizes,
        "min_block_size_search": "nomaqkd::finite::min_block_sizes: bisection on log10 N in [1e3, 1e15] to 1e-6; the upper end (a positive-rate N) is returned",
        "curves": c.curves,
        "solver": fig.solver,
        "wall_seconds": c.wall_seconds,
        "scenario": fig.source,
    });
    std::fs::write(dir.join(format!("{}.json", fig.name)), serde_json::to_string_pretty(&meta)? + "\n")?;
    let series: Vec<plot::LogSeries> = c
        .curves
        .iter()
        .map(|cv| plot::LogSeries {
            label: format!(
                "{} ({}, active users {:?}){}",
                cv.policy,
                cv.access,
                cv.active_users,
                match cv.min_block_size {
                    Some(n) => format!(", key from N = {}", fmt_n(n)),
                    None => ", no key up to N = 1e15".into(),
                }
            ),
            points: fig.block_sizes.iter().zip(&cv.points).map(|(&n, q)| (n, q.0)).collect(),
            reference: Some((
                format!("{}: (1 − p_PE)·SKR = {:.4}", cv.policy, cv.asymptotic_limit),
                cv.asymptotic_limit,
            )),
            marker_x: cv.min_block_size,
        })
        .collect();
    plot::render_log_x(
        dir,
        &fig.name,
        &fig.title,
        &format!("{} convention", fig.convention),
        "block size N (symbols)",
        "finite-size sum SKR, clipped (bits/symbol)",
        &series,
    )?;
    Ok(c)
}
