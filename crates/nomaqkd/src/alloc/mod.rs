//! Power allocation, problem P1 of SPEC §7 (paper Sec. IV, Algorithm 1, corrected).
//!
//! Entry point: [`optimize`]`(&settings, &network, &problem) -> Result<Allocation, InputError>`.
//! It is pure (no I/O, no threads, deterministic) and can be called once per fading
//! realization. The decoding order, the access scheme used by `sca`/`global`, the
//! convention and the model come from `settings` and `problem`.
//!
//! - [`projection`]: exact projection onto {lo ≤ v ≤ hi, Σ T_i v_i ≤ B};
//! - [`sca`]: the monotone minorize–maximize iteration on a fixed active set,
//!   with the analytic gradient of the sum rate;
//! - [`global`]: multi-start search over starts and active sets;
//! - [`benchmarks`]: the rule-based policies of Sec. V-B (`qoma`, `qoma-opt`,
//!   `oma-best`, `uqpa`, `cih`).

pub mod benchmarks;
pub mod global;
pub mod projection;
pub mod sca;

use crate::convention::{Access, Convention, Settings};
use crate::error::{fmt_value, InputError};
use crate::rates::{validate_order, Network, RateReport};
use serde::Serialize;
use std::fmt;

/// Allocation policy (SPEC §7, §11.1 `--policy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Policy {
    /// Monotone SCA (Algorithm 1 made correct) from equal power on the full active set.
    Sca,
    /// Multi-start SCA plus active-set moves (default).
    Global,
    /// Q-OMA rule: V_k = B·T_k/Σ T_i, OMA time-shared.
    Qoma,
    /// OMA with 1/K slots, each user at its best single-user V_k ≤ B/T_k.
    QomaOpt,
    /// All symbols to the user with the highest single-user optimum.
    OmaBest,
    /// Uniform received power V_k = B/Σ T_i, NOMA/SIC.
    Uqpa,
    /// UQPA powers, every other user treated as noise.
    Cih,
}

impl Policy {
    /// All policies, in the order `--compare` prints them.
    pub const ALL: [Policy; 7] =
        [Policy::Global, Policy::Sca, Policy::Qoma, Policy::QomaOpt, Policy::OmaBest, Policy::Uqpa, Policy::Cih];
    /// CLI name.
    pub fn as_str(self) -> &'static str {
        match self {
            Policy::Sca => "sca",
            Policy::Global => "global",
            Policy::Qoma => "qoma",
            Policy::QomaOpt => "qoma-opt",
            Policy::OmaBest => "oma-best",
            Policy::Uqpa => "uqpa",
            Policy::Cih => "cih",
        }
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Objective of P1 (SPEC §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Objective {
    /// Σ over the active set; silent users add 0 and cause no interference (default).
    Clipped,
    /// Eq. (21) over all K users with V_A,k ≥ V_min.
    Raw,
}

impl Objective {
    /// CLI name.
    pub fn as_str(self) -> &'static str {
        match self {
            Objective::Clipped => "clipped",
            Objective::Raw => "raw",
        }
    }
}

/// How the SIC decoding order is chosen (`--order`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderChoice {
    /// Descending T_k, ties by index (SPEC §1).
    Gain,
    /// A given permutation of 0..K.
    Explicit(Vec<usize>),
    /// All permutations for K ≤ 7; beyond, gain order then pairwise-swap local search.
    Best,
}

/// Outcome of an optimizer run (STYLE 5: a status, not an error).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The gain of the last iteration was ≤ the tolerance.
    Converged,
    /// The iteration cap was reached first.
    MaxIterations,
    /// A rule-based policy (no iterations).
    ClosedForm,
    /// No ascent step passed the minorant test although the projected gradient is not
    /// small: a kink of the objective (h is 0 below 1, so `paper` states near the
    /// physicality edge are not differentiable). Not in SPEC §11.4's list; reported honestly.
    Stalled,
}

impl Status {
    /// JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Converged => "converged",
            Status::MaxIterations => "max_iterations",
            Status::ClosedForm => "closed_form",
            Status::Stalled => "stalled",
        }
    }
}

/// A validated instance of P1 for one network.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// B of SPEC §5 (SNU): Σ_i T_i·V_A,i ≤ B.
    pub budget_snu: f64,
    /// Per-user caps V_max^(k) (SNU); +∞ when none.
    pub user_max_variance: Vec<f64>,
    /// Policy.
    pub policy: Policy,
    /// Objective.
    pub objective: Objective,
    /// Decoding order choice.
    pub order: OrderChoice,
    /// V_min of the `raw` objective and lower bound of active users (SNU).
    pub min_variance: f64,
    /// Number of starts of `global`.
    pub starts: usize,
    /// τ: stop when an iteration gains ≤ τ·max(1, |f|) (bits/symbol).
    pub tolerance: f64,
    /// T_max: iteration cap of one SCA run.
    pub max_iterations: usize,
}

impl Problem {
    /// Defaults of SPEC §11.1 for a budget B (SNU): `global`, `clipped`, gain order,
    /// no caps, V_min = 1e-6 (1 under `paper`), 32 starts, τ = 1e-9, T_max = 100.
    pub fn new(settings: &Settings, network: &Network, budget_snu: f64) -> Result<Self, InputError> {
        let p = Self {
            budget_snu,
            user_max_variance: vec![f64::INFINITY; network.len()],
            policy: Policy::Global,
            objective: Objective::Clipped,
            order: OrderChoice::Gain,
            min_variance: default_min_variance(settings.convention()),
            starts: 32,
            tolerance: 1e-9,
            max_iterations: 100,
        };
        p.validate(settings, network)?;
        Ok(p)
    }

    /// Check the problem against a network (SPEC §5, §7): B > 0, caps > 0 (or +∞),
    /// V_min > 0 (≥ 1 under `paper`), B ≥ V_min·Σ T for `raw` and for `sca`, τ ≥ 0, T_max ≥ 1, starts ≥ 1.
    pub fn validate(&self, settings: &Settings, network: &Network) -> Result<(), InputError> {
        let k = network.len();
        if !(self.budget_snu.is_finite() && self.budget_snu > 0.0) {
            return Err(InputError::OutOfRange {
                field: "budget",
                value: fmt_value(self.budget_snu),
                allowed: "a finite received-power budget B > 0 (SNU)",
            });
        }
        if self.user_max_variance.len() != k {
            return Err(InputError::LengthMismatch {
                field: "user_max_variance",
                got: self.user_max_variance.len(),
                expected: k,
            });
        }
        for (i, &c) in self.user_max_variance.iter().enumerate() {
            if c.is_nan() || c <= 0.0 || (settings.convention() == Convention::Paper && c < 1.0) {
                return Err(InputError::UserOutOfRange {
                    field: "user_max_variance",
                    user: i,
                    value: fmt_value(c),
                    allowed: "a number > 0 (>= 1 under --convention paper), SNU",
                });
            }
        }
        let min_ok = self.min_variance.is_finite()
            && self.min_variance > 0.0
            && (settings.convention() != Convention::Paper || self.min_variance >= 1.0);
        if !min_ok {
            return Err(InputError::OutOfRange {
                field: "min_variance",
                value: fmt_value(self.min_variance),
                allowed: "a finite number > 0 (>= 1 under --convention paper), SNU",
            });
        }
        if self.user_max_variance.iter().any(|&c| c < self.min_variance) {
            return Err(InputError::OutOfRange {
                field: "user_max_variance",
                value: format!("{:?}", self.user_max_variance),
                allowed: "caps >= the minimum modulation variance V_min",
            });
        }
        let sum_t: f64 = network.transmittance().iter().sum();
        let t_min = network.transmittance().iter().cloned().fold(f64::INFINITY, f64::min);
        if self.budget_snu / t_min > crate::rates::MAX_MODULATION_VARIANCE_SNU {
            return Err(InputError::OutOfRange {
                field: "budget",
                value: fmt_value(self.budget_snu),
                allowed:
                    "B / T_k <= 1e60 SNU for every user (a user's largest modulation variance must stay representable)",
            });
        }
        if self.objective == Objective::Raw && self.budget_snu < self.min_variance * sum_t {
            return Err(InputError::OutOfRange {
                field: "budget",
                value: fmt_value(self.budget_snu),
                allowed: "B >= V_min * sum_i T_i for the raw objective (every user must reach V_min)",
            });
        }
        if self.policy == Policy::Sca && self.budget_snu < self.min_variance * sum_t {
            return Err(InputError::OutOfRange {
                field: "budget",
                value: fmt_value(self.budget_snu),
                allowed:
                    "B >= V_min * sum_i T_i for policy sca (it keeps every user active; global chooses the active set)",
            });
        }
        if !(self.tolerance.is_finite() && self.tolerance >= 0.0) {
            return Err(InputError::OutOfRange {
                field: "tolerance",
                value: fmt_value(self.tolerance),
                allowed: "a finite number >= 0",
            });
        }
        if self.max_iterations == 0 {
            return Err(InputError::OutOfRange {
                field: "max_iterations",
                value: "0".into(),
                allowed: "an integer >= 1",
            });
        }
        if self.starts == 0 {
            return Err(InputError::OutOfRange { field: "starts", value: "0".into(), allowed: "an integer >= 1" });
        }
        if let OrderChoice::Explicit(o) = &self.order {
            validate_order(o, k)?;
        }
        Ok(())
    }
}

/// V_min of SPEC §7: 1e-6 SNU, or 1 under `paper` (whose V_a ≥ 1).
pub fn default_min_variance(convention: Convention) -> f64 {
    if convention == Convention::Paper {
        1.0
    } else {
        1e-6
    }
}

/// Result of [`optimize`] (SPEC §11.4).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Allocation {
    /// Policy that produced it.
    pub policy: Policy,
    /// Objective optimized.
    pub objective: Objective,
    /// B (SNU).
    pub budget: f64,
    /// Outcome.
    pub status: Status,
    /// SCA iterations of the run that produced the returned point (0 for rule-based policies).
    pub iterations: usize,
    /// Objective after each iteration of that run; element 0 is its start
    /// (one value for rule-based policies).
    pub objective_history: Vec<f64>,
    /// Norm of the scaled projected gradient on the active set (None for rule-based policies).
    pub kkt_residual: Option<f64>,
    /// Sorted 0-based users with V_A > 0.
    pub active_users: Vec<usize>,
    /// What the search did.
    pub search: String,
    /// The full rate report at the returned powers (powers are `modulation_variance`).
    pub report: RateReport,
}

impl Allocation {
    /// The modulation variances V_A,k (SNU), in input order.
    pub fn powers(&self) -> Vec<f64> {
        self.report.users.iter().map(|u| u.modulation_variance).collect()
    }
    /// The objective value: the clipped sum for `clipped`, eq. (21) for `raw`.
    pub fn objective_value(&self) -> f64 {
        match self.objective {
            Objective::Clipped => self.report.sum_secret_key_rate_clipped,
            Objective::Raw => self.report.sum_secret_key_rate,
        }
    }
}

/// Solve P1 (SPEC §7) with `problem.policy`.
///
/// `settings.access()` is the scheme `sca`/`global` optimize for (normally `noma`);
/// rule-based policies set their own scheme (`qoma`/`qoma-opt`/`oma-best`: OMA,
/// `uqpa`: NOMA, `cih`: CIH). Deterministic and free of I/O.
pub fn optimize(settings: &Settings, network: &Network, problem: &Problem) -> Result<Allocation, InputError> {
    problem.validate(settings, network)?;
    let uses_order = match problem.policy {
        Policy::Sca | Policy::Global => settings.access() == Access::Noma,
        Policy::Uqpa => true,
        _ => false,
    };
    match (&problem.order, uses_order) {
        (OrderChoice::Best, true) => Ok(global::best_order(settings, network, problem)),
        (OrderChoice::Explicit(o), true) => Ok(run_with_order(settings, network, problem, o)),
        _ => Ok(run_with_order(settings, network, problem, &network.gain_order())),
    }
}

/// One policy at a fixed decoding order.
pub(crate) fn run_with_order(settings: &Settings, network: &Network, problem: &Problem, order: &[usize]) -> Allocation {
    match problem.policy {
        Policy::Sca => global::sca_policy(settings, network, problem, order),
        Policy::Global => global::global(settings, network, problem, order),
        p => benchmarks::rule_based(settings, network, problem, order, p),
    }
}

/// The sorted users with V_A > 0.
pub(crate) fn active_of(v: &[f64]) -> Vec<usize> {
    v.iter().enumerate().filter(|(_, &x)| x > 0.0).map(|(i, _)| i).collect()
}
