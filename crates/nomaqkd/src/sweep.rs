//! Parameter grids and turbulence Monte Carlo averaging (SPEC §5–§7, paper Sec. V).
//!
//! A sweep is a Cartesian grid of [`Axis`] values applied to a [`Base`]
//! scenario. At each grid point, for each fading realization r, every user's
//! transmittance gets a mean-one log-normal factor drawn from the stream
//! [`stream_id`]`(point, r)` of [`lognormal_fading`]; the power allocation is
//! then computed per realization by a caller-supplied evaluator (the receiver
//! knows the channel), and the per-realization sum rates are averaged with a
//! 95 % confidence interval ([`summarize`]).
//!
//! Everything here is pure and sequential: the same (seed, point index)
//! always yields the same numbers, whichever thread computes the point.
//! Parallelism over points is the caller's business (STYLE 14: map points in
//! any order, collect in index order).
//!
//! ```
//! use nomaqkd::sweep::{Axis, Base, Grid, Layout, Variant, run_point, default_evaluator};
//! use nomaqkd::{Convention, Model};
//! let grid = Grid::new(vec![(Axis::PowerDbm, vec![-70.0, -50.0])]).unwrap();
//! let base = Base::new(4, Layout::DistanceRange { min_m: 50.0, max_m: 200.0 }).with_sigma_x(0.3);
//! let variants = [Variant::new(Convention::Standard, Model::Exact, "uqpa")];
//! let point = base.at(&grid.point(1)).unwrap();
//! let rows = run_point(&base, &point, 1, 7, 16, &variants, &default_evaluator).unwrap();
//! assert_eq!(rows[0].sum_rate_clipped.n, 16);
//! ```

use crate::alloc::{optimize, Policy, Problem, Status};
use crate::channel::{
    lognormal_fading, transmittance_from_distance, LinkGeometry, MAX_TRANSMITTANCE, MIN_TRANSMITTANCE,
};
use crate::convention::{Access, Convention, Model, Receiver, Settings};
use crate::error::{fmt_value, InputError};
use crate::power::{dbm_to_variance, received_power_budget, DEFAULT_SYMBOL_RATE_BAUD};
use crate::rates::{Network, RateReport};
use serde::Serialize;
use std::fmt;
use std::str::FromStr;

/// A swept quantity. Values are applied to every user alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Axis {
    /// Base-station budget V_max^BS in dBm (SPEC §5), converted with the scenario's wavelength and symbol rate.
    PowerDbm,
    /// Distance of every user (m), transmittance from SPEC §6.
    DistanceM,
    /// Log-normal turbulence σ_x (≥ 0; 0 = no fading).
    SigmaX,
    /// Transmittance of every user, in (0, 1).
    Transmittance,
    /// Excess noise ξ of every user (SNU, ≥ 0).
    ExcessNoise,
    /// Number of users K (a positive integer).
    Users,
}

impl Axis {
    /// All axes, in the order used for names and CSV columns.
    pub const ALL: [Axis; 6] =
        [Axis::PowerDbm, Axis::DistanceM, Axis::SigmaX, Axis::Transmittance, Axis::ExcessNoise, Axis::Users];

    /// Name in scenario files and CSV headers.
    pub fn as_str(self) -> &'static str {
        match self {
            Axis::PowerDbm => "power_dbm",
            Axis::DistanceM => "distance_m",
            Axis::SigmaX => "sigma_x",
            Axis::Transmittance => "transmittance",
            Axis::ExcessNoise => "excess_noise",
            Axis::Users => "users",
        }
    }

    /// Check one value of this axis.
    pub fn validate(self, v: f64) -> Result<f64, InputError> {
        let (ok, allowed) = match self {
            Axis::PowerDbm => (v.is_finite(), "a finite number (dBm)"),
            Axis::DistanceM => (v.is_finite() && v > 0.0, "a finite number > 0 (metres)"),
            Axis::SigmaX => (v.is_finite() && v >= 0.0, "a finite number >= 0"),
            Axis::Transmittance => (v > 0.0 && v < 1.0, "a number in (0, 1)"),
            Axis::ExcessNoise => {
                ((0.0..=crate::rates::MAX_EXCESS_NOISE_SNU).contains(&v), "a finite number in [0, 1e60] SNU")
            }
            Axis::Users => ((1.0..=4096.0).contains(&v) && v.fract() == 0.0, "an integer in [1, 4096]"),
        };
        if ok {
            Ok(v)
        } else {
            Err(InputError::OutOfRange { field: self.as_str(), value: fmt_value(v), allowed })
        }
    }
}

impl fmt::Display for Axis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Axis {
    type Err = InputError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Axis::ALL.into_iter().find(|a| a.as_str() == s).ok_or_else(|| InputError::OutOfRange {
            field: "axes",
            value: s.to_string(),
            allowed: "one of power_dbm, distance_m, sigma_x, transmittance, excess_noise, users",
        })
    }
}

/// A Cartesian grid: axes in the given order, the last one varying fastest.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Grid {
    axes: Vec<(Axis, Vec<f64>)>,
}

impl Grid {
    /// Validated grid: each axis at most once, at least one value each, every value valid.
    /// An empty axis list is a single point (the base scenario).
    pub fn new(axes: Vec<(Axis, Vec<f64>)>) -> Result<Self, InputError> {
        for (i, (a, values)) in axes.iter().enumerate() {
            if axes[..i].iter().any(|(b, _)| b == a) {
                return Err(InputError::OutOfRange {
                    field: "axes",
                    value: a.as_str().to_string(),
                    allowed: "each axis at most once",
                });
            }
            if values.is_empty() {
                return Err(InputError::OutOfRange {
                    field: a.as_str(),
                    value: "[]".into(),
                    allowed: "at least one value",
                });
            }
            for &v in values {
                a.validate(v)?;
            }
        }
        Ok(Self { axes })
    }

    /// The axes and their values.
    pub fn axes(&self) -> &[(Axis, Vec<f64>)] {
        &self.axes
    }

    /// Number of points (product of the axis lengths).
    pub fn len(&self) -> usize {
        self.axes.iter().map(|(_, v)| v.len()).product()
    }

    /// Whether the grid has no point (never: every axis has a value).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Axis values of point `index` (row-major: the last axis varies fastest).
    /// Panics if `index >= len()`.
    pub fn point(&self, index: usize) -> Vec<(Axis, f64)> {
        assert!(index < self.len(), "grid point {index} out of range");
        let mut rest = index;
        let mut out = vec![(Axis::PowerDbm, 0.0); self.axes.len()];
        for (slot, (axis, values)) in out.iter_mut().zip(&self.axes).rev() {
            *slot = (*axis, values[rest % values.len()]);
            rest /= values.len();
        }
        out
    }
}

/// Where the users are (SPEC §6).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Layout {
    /// Transmittances given directly, one per user or one for all.
    Transmittance(Vec<f64>),
    /// Distances (m), one per user or one for all.
    Distance(Vec<f64>),
    /// K users evenly spaced between two distances (m), user 0 nearest.
    DistanceRange {
        /// Nearest user (m).
        min_m: f64,
        /// Farthest user (m).
        max_m: f64,
    },
}

/// The scenario a grid point modifies: users, link model, receiver and defaults.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Base {
    /// Number of users K.
    pub users: usize,
    /// Where the users are.
    pub layout: Layout,
    /// ξ per user or one for all (SNU).
    pub excess_noise: Vec<f64>,
    /// BS budget V_max^BS in dBm when not swept.
    pub power_dbm: f64,
    /// Turbulence σ_x when not swept.
    pub sigma_x: f64,
    /// Free-space geometry (SPEC §6).
    pub geometry: LinkGeometry,
    /// Receiver (δ², τ_d, η).
    pub receiver: Receiver,
    /// Symbol rate for the dBm → SNU conversion (baud).
    pub symbol_rate_baud: f64,
    /// OMA time sharing (SPEC §3).
    pub time_sharing: bool,
    /// `--literal-eq6` for the `paper` convention.
    pub literal_eq6: bool,
}

impl Base {
    /// Defaults of SPEC §11.1 (ξ = 0.1, −60 dBm, no fading, default geometry and receiver).
    pub fn new(users: usize, layout: Layout) -> Self {
        Self {
            users,
            layout,
            excess_noise: vec![0.1],
            power_dbm: -60.0,
            sigma_x: 0.0,
            geometry: LinkGeometry::default(),
            receiver: Receiver::default(),
            symbol_rate_baud: DEFAULT_SYMBOL_RATE_BAUD,
            time_sharing: true,
            literal_eq6: false,
        }
    }

    /// The same base with another σ_x.
    pub fn with_sigma_x(mut self, sigma_x: f64) -> Self {
        self.sigma_x = sigma_x;
        self
    }

    /// Apply a grid point's axis values.
    pub fn at(&self, point: &[(Axis, f64)]) -> Result<PointInputs, InputError> {
        let mut p = PointInputs {
            users: self.users,
            layout: self.layout.clone(),
            excess_noise: self.excess_noise.clone(),
            power_dbm: self.power_dbm,
            sigma_x: self.sigma_x,
        };
        for &(axis, v) in point {
            axis.validate(v)?;
            match axis {
                Axis::PowerDbm => p.power_dbm = v,
                Axis::DistanceM => p.layout = Layout::Distance(vec![v]),
                Axis::SigmaX => p.sigma_x = v,
                Axis::Transmittance => p.layout = Layout::Transmittance(vec![v]),
                Axis::ExcessNoise => p.excess_noise = vec![v],
                Axis::Users => p.users = v as usize,
            }
        }
        p.mean_values()?;
        Ok(p)
    }
}

/// A grid point's inputs before fading.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PointInputs {
    /// K.
    pub users: usize,
    /// Where the users are.
    pub layout: Layout,
    /// ξ per user or one for all (SNU).
    pub excess_noise: Vec<f64>,
    /// V_max^BS (dBm).
    pub power_dbm: f64,
    /// σ_x.
    pub sigma_x: f64,
}

impl PointInputs {
    /// Validate list lengths and values (distance or transmittance per user).
    fn mean_values(&self) -> Result<(), InputError> {
        if self.users == 0 {
            return Err(InputError::NoUsers);
        }
        let check_len = |field: &'static str, n: usize| {
            if n == 1 || n == self.users {
                Ok(())
            } else {
                Err(InputError::LengthMismatch { field, got: n, expected: self.users })
            }
        };
        match &self.layout {
            Layout::Transmittance(t) => {
                check_len("transmittance", t.len())?;
                for &x in t {
                    Axis::Transmittance.validate(x)?;
                }
            }
            Layout::Distance(d) => {
                check_len("distance_m", d.len())?;
                for &x in d {
                    Axis::DistanceM.validate(x)?;
                }
            }
            Layout::DistanceRange { min_m, max_m } => {
                Axis::DistanceM.validate(*min_m)?;
                Axis::DistanceM.validate(*max_m)?;
            }
        }
        check_len("excess_noise", self.excess_noise.len())?;
        for &x in &self.excess_noise {
            Axis::ExcessNoise.validate(x)?;
        }
        Axis::SigmaX.validate(self.sigma_x)?;
        Axis::PowerDbm.validate(self.power_dbm)?;
        Ok(())
    }

    /// Distance of user k (m), if the layout is distance based.
    pub fn distance_m(&self, k: usize) -> Option<f64> {
        match &self.layout {
            Layout::Distance(d) => Some(if d.len() == 1 { d[0] } else { d[k] }),
            Layout::DistanceRange { min_m, max_m } => Some(if self.users == 1 {
                *min_m
            } else {
                min_m + (max_m - min_m) * k as f64 / (self.users - 1) as f64
            }),
            Layout::Transmittance(_) => None,
        }
    }

    /// The network of one fading realization: T_k from the layout (SPEC §6, with τ_d
    /// under `standard`/`paper` for distances) times `fading[k]`, clipped to [1e-9, 0.999].
    pub fn network(
        &self,
        geometry: &LinkGeometry,
        convention: Convention,
        detector_efficiency: f64,
        fading: &[f64],
    ) -> Result<Network, InputError> {
        let t: Vec<f64> = (0..self.users)
            .map(|k| match &self.layout {
                Layout::Transmittance(t) => {
                    let t0 = if t.len() == 1 { t[0] } else { t[k] };
                    (t0 * fading[k]).clamp(MIN_TRANSMITTANCE, MAX_TRANSMITTANCE)
                }
                _ => transmittance_from_distance(
                    geometry,
                    self.distance_m(k).expect("distance layout"),
                    convention,
                    detector_efficiency,
                    fading[k],
                ),
            })
            .collect();
        Network::new(t, self.excess_noise.clone())
    }
}

/// Fading stream of (point, realization): point in the high 32 bits, realization in
/// the low 32, so every pair gets its own ChaCha stream (distinct for < 2³² of each).
pub fn stream_id(point: u64, realization: u64) -> u64 {
    (point << 32) | (realization & 0xffff_ffff)
}

/// Mean, 95 % confidence half-width and count of a sample.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Summary {
    /// Sample mean.
    pub mean: f64,
    /// Half-width of the 95 % confidence interval of the mean: t_{0.975, n−1}·s/√n
    /// (0 when n = 1 or all values are equal).
    pub ci95: f64,
    /// Number of values.
    pub n: usize,
}

/// Two-sided 97.5 % quantile of Student's t with `df` degrees of freedom
/// (table for df ≤ 30, from standard tables to 3 decimals; beyond, the
/// Cornish–Fisher expansion z + (z³ + z)/(4·df) + (5z⁵ + 16z³ + 3z)/(96·df²), within 2e-4 of the exact value).
pub fn student_t975(df: usize) -> f64 {
    const T: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
        2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
    ];
    match df {
        0 => f64::INFINITY,
        d if d <= 30 => T[d - 1],
        d => {
            let z = 1.959_963_984_540_054;
            let d = d as f64;
            let z3 = z * z * z;
            z + (z3 + z) / (4.0 * d) + (5.0 * z3 * z * z + 16.0 * z3 + 3.0 * z) / (96.0 * d * d)
        }
    }
}

/// Mean and 95 % CI of `values`, summed in the given order (deterministic).
pub fn summarize(values: &[f64]) -> Summary {
    let n = values.len();
    if n == 0 {
        return Summary { mean: f64::NAN, ci95: f64::NAN, n };
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    if n == 1 {
        return Summary { mean, ci95: 0.0, n };
    }
    let var = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1) as f64;
    Summary { mean, ci95: student_t975(n - 1) * (var / n as f64).sqrt(), n }
}

/// What one policy achieved in one realization.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct PolicyOutcome {
    /// Σ_k slot_k·max(0, SKR_k) (bits/symbol).
    pub sum_rate_clipped: f64,
    /// Σ_k slot_k·SKR_k (bits/symbol), the paper's eq. (21).
    pub sum_rate: f64,
    /// Σ_k slot_k·χ_k (bits/symbol): Eve's total Holevo information.
    pub sum_holevo: f64,
    /// Users with SKR_k > 0.
    pub positive_users: usize,
    /// Users with V_A,k > 0.
    pub active_users: usize,
    /// Users whose exact state is unphysical (SPEC §2).
    pub unphysical_users: usize,
    /// Users whose rate exceeds the PLOB bound.
    pub above_plob_users: usize,
    /// The optimizer stopped at its iteration cap or stalled (status not `converged`/`closed_form`).
    pub iteration_cap: bool,
    /// The policy could not allocate (B < V_min·Σ T_i for `sca`/`global`): nothing sent.
    pub infeasible: bool,
}

impl PolicyOutcome {
    /// Read the outcome off a rate report.
    pub fn from_report(r: &RateReport) -> Self {
        let mut o = Self {
            sum_rate_clipped: r.sum_secret_key_rate_clipped,
            sum_rate: r.sum_secret_key_rate,
            ..Self::default()
        };
        for u in &r.users {
            o.sum_holevo += u.slot_fraction * u.rate.holevo;
            o.positive_users += usize::from(u.rate.secret_key_rate > 0.0);
            o.active_users += usize::from(!u.rate.silent);
            o.unphysical_users += usize::from(!u.rate.physical);
            o.above_plob_users += usize::from(u.rate.exceeds_plob);
        }
        o
    }
}

/// Solver settings passed to [`crate::alloc::optimize`] for every realization.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SolverOptions {
    /// Starts of `global` (SPEC §11.1 `--starts`).
    pub starts: usize,
    /// SCA tolerance τ (bits/symbol).
    pub tolerance: f64,
    /// SCA iteration cap T_max.
    pub max_iterations: usize,
}

impl Default for SolverOptions {
    /// SPEC §11.1 defaults: 32 starts, τ = 1e-9, T_max = 100.
    fn default() -> Self {
        Self { starts: 32, tolerance: 1e-9, max_iterations: 100 }
    }
}

/// Parse a policy name of SPEC §7 (`sca`, `global`, `qoma`, `qoma-opt`, `oma-best`, `uqpa`, `cih`).
pub fn parse_policy(name: &str) -> Result<Policy, InputError> {
    Policy::ALL.into_iter().find(|p| p.as_str() == name).ok_or_else(|| InputError::OutOfRange {
        field: "policies",
        value: name.to_string(),
        allowed: "one of sca, global, qoma, qoma-opt, oma-best, uqpa, cih",
    })
}

/// Allocate with `policy` for budget `budget` (SNU) by [`crate::alloc::optimize`]
/// (clipped objective, gain order, no caps) and read off the outcome.
pub fn evaluate_policy(
    settings: &Settings,
    network: &Network,
    budget: f64,
    policy: &str,
    options: &SolverOptions,
) -> Result<PolicyOutcome, InputError> {
    let mut problem = Problem::new(settings, network, budget)?;
    problem.policy = parse_policy(policy)?;
    // `sca` keeps every user at V_A ≥ V_min (1 under `paper`): with B < V_min·Σ T_i that
    // set does not fit, so nothing is sent. (`global` searches the active sets that fit.)
    let sum_t: f64 = network.transmittance().iter().sum();
    if problem.policy == Policy::Sca && budget < problem.min_variance * sum_t {
        return Ok(PolicyOutcome { infeasible: true, ..PolicyOutcome::default() });
    }
    problem.starts = options.starts;
    problem.tolerance = options.tolerance;
    problem.max_iterations = options.max_iterations;
    let a = optimize(settings, network, &problem)?;
    let mut o = PolicyOutcome::from_report(&a.report);
    o.iteration_cap = matches!(a.status, Status::MaxIterations | Status::Stalled);
    Ok(o)
}

/// [`evaluate_policy`] with the default [`SolverOptions`]: an [`Evaluator`] for [`run_point`].
pub fn default_evaluator(
    settings: &Settings,
    network: &Network,
    budget: f64,
    policy: &str,
) -> Result<PolicyOutcome, InputError> {
    evaluate_policy(settings, network, budget, policy, &SolverOptions::default())
}

/// One computed curve member: convention × model × policy.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Variant {
    /// Security convention.
    pub convention: Convention,
    /// Holevo model.
    pub model: Model,
    /// Policy name, passed to the evaluator.
    pub policy: String,
}

impl Variant {
    /// A variant.
    pub fn new(convention: Convention, model: Model, policy: &str) -> Self {
        Self { convention, model, policy: policy.to_string() }
    }
}

/// Monte Carlo summary of one variant at one point.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct VariantSummary {
    /// Clipped sum rate over realizations (bits/symbol).
    pub sum_rate_clipped: Summary,
    /// Unclipped sum rate (bits/symbol).
    pub sum_rate: Summary,
    /// Σ χ_k (bits/symbol).
    pub sum_holevo: Summary,
    /// Mean number of users with a positive rate.
    pub positive_users_mean: f64,
    /// Mean number of active users.
    pub active_users_mean: f64,
    /// Realizations where at least one user was unphysical.
    pub unphysical_realizations: usize,
    /// Realizations where at least one user exceeded PLOB.
    pub above_plob_realizations: usize,
    /// Unphysical users summed over realizations.
    pub unphysical_users: usize,
    /// Users above PLOB summed over realizations.
    pub above_plob_users: usize,
    /// Realizations whose budget B ≤ 0, or too small for the policy (nothing sent: all rates 0).
    pub infeasible_realizations: usize,
    /// Realizations where the optimizer hit its iteration cap or stalled.
    pub iteration_cap_realizations: usize,
}

/// A policy evaluator: (settings with the variant's convention and model, network of
/// one realization, budget B in SNU, policy name) → outcome.
pub type Evaluator<'a> = dyn Fn(&Settings, &Network, f64, &str) -> Result<PolicyOutcome, InputError> + Sync + 'a;

/// Compute every variant at one point over `realizations` fading draws
/// (one draw when σ_x = 0: all would be equal). Realization r of point
/// `point_index` uses [`stream_id`]`(point_index, r)` with `seed`; all variants
/// share the draws (common random numbers). Sums run in realization order.
pub fn run_point(
    base: &Base,
    point: &PointInputs,
    point_index: u64,
    seed: u64,
    realizations: usize,
    variants: &[Variant],
    evaluator: &Evaluator<'_>,
) -> Result<Vec<VariantSummary>, InputError> {
    let n = if point.sigma_x == 0.0 { 1 } else { realizations.max(1) };
    let mut samples: Vec<Vec<(PolicyOutcome, bool)>> = vec![Vec::with_capacity(n); variants.len()];
    let v_max = dbm_to_variance(point.power_dbm, base.geometry.wavelength_m(), base.symbol_rate_baud);
    for r in 0..n {
        let fading = lognormal_fading(point.sigma_x, seed, stream_id(point_index, r as u64), point.users);
        for (variant, out) in variants.iter().zip(samples.iter_mut()) {
            let settings = Settings::new(
                variant.convention,
                variant.model,
                Access::Noma,
                base.receiver,
                base.literal_eq6,
                base.time_sharing,
            )?;
            let network =
                point.network(&base.geometry, variant.convention, base.receiver.detector_efficiency(), &fading)?;
            match received_power_budget(&network, v_max, base.receiver.detector_noise_snu()) {
                Ok(budget) => out.push((evaluator(&settings, &network, budget, &variant.policy)?, false)),
                Err(_) => out.push((PolicyOutcome::default(), true)),
            }
        }
    }
    Ok(samples.iter().map(|s| aggregate(s)).collect())
}

/// Reduce per-realization outcomes (flag: budget infeasible) in order.
pub fn aggregate(samples: &[(PolicyOutcome, bool)]) -> VariantSummary {
    let col = |f: fn(&PolicyOutcome) -> f64| summarize(&samples.iter().map(|(o, _)| f(o)).collect::<Vec<_>>());
    let n = samples.len().max(1) as f64;
    VariantSummary {
        sum_rate_clipped: col(|o| o.sum_rate_clipped),
        sum_rate: col(|o| o.sum_rate),
        sum_holevo: col(|o| o.sum_holevo),
        positive_users_mean: samples.iter().map(|(o, _)| o.positive_users as f64).sum::<f64>() / n,
        active_users_mean: samples.iter().map(|(o, _)| o.active_users as f64).sum::<f64>() / n,
        unphysical_realizations: samples.iter().filter(|(o, _)| o.unphysical_users > 0).count(),
        above_plob_realizations: samples.iter().filter(|(o, _)| o.above_plob_users > 0).count(),
        unphysical_users: samples.iter().map(|(o, _)| o.unphysical_users).sum(),
        above_plob_users: samples.iter().map(|(o, _)| o.above_plob_users).sum(),
        infeasible_realizations: samples.iter().filter(|(o, f)| *f || o.infeasible).count(),
        iteration_cap_realizations: samples.iter().filter(|(o, _)| o.iteration_cap).count(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rates::evaluate;

    #[test]
    fn grid_is_row_major() {
        let g = Grid::new(vec![(Axis::SigmaX, vec![0.3, 0.6]), (Axis::PowerDbm, vec![-70.0, -60.0, -50.0])]).unwrap();
        assert_eq!(g.len(), 6);
        assert_eq!(g.point(0), vec![(Axis::SigmaX, 0.3), (Axis::PowerDbm, -70.0)]);
        assert_eq!(g.point(4), vec![(Axis::SigmaX, 0.6), (Axis::PowerDbm, -60.0)]);
        assert!(Grid::new(vec![(Axis::Users, vec![1.5])]).is_err());
        assert!(Grid::new(vec![(Axis::SigmaX, vec![0.3]), (Axis::SigmaX, vec![0.4])]).is_err());
    }

    #[test]
    fn summary_matches_hand_computation() {
        // Values 1, 2, 3, 4: mean 2.5, s² = 5/3, t_{0.975,3} = 3.182 (standard table).
        let s = summarize(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(s.mean, 2.5);
        assert!((s.ci95 - 3.182 * (5.0f64 / 3.0 / 4.0).sqrt()).abs() < 1e-12);
        // Large df tends to the normal quantile 1.95996.
        assert!((student_t975(100_000) - 1.96).abs() < 1e-3);
        // Table vs. expansion continuity near df = 30 (exact t_{0.975,31} = 2.0395).
        assert!((student_t975(31) - 2.0395).abs() < 2e-4);
    }

    #[test]
    fn streams_are_distinct() {
        assert_ne!(stream_id(1, 0), stream_id(0, 1));
        assert_eq!(stream_id(3, 5), (3u64 << 32) | 5);
    }

    #[test]
    fn run_point_without_fading_equals_a_direct_evaluation() {
        // σx = 0: one draw, no fading; the Q-OMA row must equal evaluate() of the rule's powers.
        let base = Base::new(3, Layout::Transmittance(vec![0.6, 0.4, 0.2]));
        let grid = Grid::new(vec![(Axis::PowerDbm, vec![-70.0])]).unwrap();
        let p = base.at(&grid.point(0)).unwrap();
        let variants = [Variant::new(Convention::Standard, Model::Exact, "qoma")];
        let rows = run_point(&base, &p, 0, 1, 50, &variants, &default_evaluator).unwrap();
        assert_eq!(rows[0].sum_rate_clipped.n, 1);
        let net = Network::new(vec![0.6, 0.4, 0.2], vec![0.1]).unwrap();
        let vmax = dbm_to_variance(-70.0, 1.55e-6, 1e7);
        let b = received_power_budget(&net, vmax, 0.0256).unwrap();
        let v: Vec<f64> = net.transmittance().iter().map(|t| b * t / 1.2).collect();
        let s = Settings::standard().with_access(Access::Oma);
        let direct = evaluate(&s, &net, &net.gain_order(), &v).unwrap();
        assert_eq!(rows[0].sum_rate_clipped.mean, direct.sum_secret_key_rate_clipped);
        assert_eq!(rows[0].sum_rate.mean, direct.sum_secret_key_rate);
    }

    #[test]
    fn run_point_is_reproducible_and_point_streams_differ() {
        let base = Base::new(4, Layout::DistanceRange { min_m: 50.0, max_m: 200.0 }).with_sigma_x(0.5);
        let grid = Grid::new(vec![(Axis::PowerDbm, vec![-70.0, -70.0])]).unwrap();
        let variants = [
            Variant::new(Convention::Trusted, Model::Exact, "qoma"),
            Variant::new(Convention::Paper, Model::Exact, "uqpa"),
        ];
        let p0 = base.at(&grid.point(0)).unwrap();
        let p1 = base.at(&grid.point(1)).unwrap();
        let a = run_point(&base, &p0, 0, 9, 20, &variants, &default_evaluator).unwrap();
        let b = run_point(&base, &p0, 0, 9, 20, &variants, &default_evaluator).unwrap();
        let c = run_point(&base, &p1, 1, 9, 20, &variants, &default_evaluator).unwrap();
        assert_eq!(a, b);
        // Same inputs at another point index draw other fading: the means differ.
        assert_ne!(a[0].sum_rate_clipped.mean, c[0].sum_rate_clipped.mean);
        assert_eq!(a[0].sum_rate_clipped.n, 20);
        assert!(a[0].sum_rate_clipped.ci95 > 0.0);
    }

    #[test]
    fn infeasible_budget_counts_and_sends_nothing() {
        // −110 dBm ≈ 0.016 SNU is below the noise floor Σ(1 − T)ξ + δ²: B ≤ 0.
        let base = Base::new(2, Layout::Transmittance(vec![0.5]));
        let p = base.at(&[(Axis::PowerDbm, -110.0)]).unwrap();
        let rows = run_point(
            &base,
            &p,
            0,
            1,
            1,
            &[Variant::new(Convention::Standard, Model::Exact, "uqpa")],
            &default_evaluator,
        )
        .unwrap();
        assert_eq!(rows[0].infeasible_realizations, 1);
        assert_eq!(rows[0].sum_rate_clipped.mean, 0.0);
    }
}
