//! Finite-size secret key rates per user under SIC (SPEC §9).
//!
//! Collective-attack GG02 finite-size analysis of Leverrier, Grosshans and
//! Grangier \[LGG10\] (PRA 81, 062343 (2010)), heterodyne variant:
//!
//! K_k^fin = (n/N)·[η·I_k − S_PE,k − Δ(n)]   (SPEC §9.4)
//!
//! with two departures from LGG10, each switchable back (SPEC §9.1):
//! pooled heterodyne samples (`pe_samples_per_symbol = 2`: m_s = 2m) and the
//! worst case over the whole confidence box ([`WorstCase::Box`]) instead of the
//! (T_min, σ²_max) corner ([`WorstCase::Lgg10`]).
//!
//! A composable option after Mountogiannakis et al. \[MPBP22\] Eqs. (92)–(93)
//! is in [`ComposableParams`]; its heterodyne adaptation is ours (SPEC §9.6).
//!
//! ```
//! use nomaqkd::finite::{finite_user_rate, FiniteSizeParams};
//! use nomaqkd::rates::UserChannel;
//! use nomaqkd::Settings;
//! // Checkpoint F1 of SPEC's finite.json: K = 1, T = 0.5, V_A = 4, ξ = 0.01, N = 1e10.
//! let ch = UserChannel { transmittance: 0.5, modulation_variance: 4.0, excess_noise: 0.01,
//!     other_excess_noise: 0.0, interference: 0.0, literal_interference: 0.0 };
//! let params = FiniteSizeParams::builder().block_size(1e10).build().unwrap();
//! let r = finite_user_rate(&Settings::standard(), &params, &ch, 1e10);
//! assert!((r.finite_secret_key_rate.unwrap() - 0.06924842716809552).abs() < 1e-10);
//! ```

use crate::convention::{Convention, Model, Settings};
use crate::error::{fmt_value, InputError};
use crate::rates::{
    epr_variance, for_each_user_channel, holevo_information, mutual_information, receiver_input_noise, slot_fraction,
    validate_modulation, validate_order, Network, UserChannel, Warning,
};
use serde::Serialize;
use std::f64::consts::{PI, SQRT_2};
use std::fmt;

/// Worst case of Eve's information over the PE confidence region (SPEC §9.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum WorstCase {
    /// Maximum of χ over T ∈ [T_min, T_max] at σ²_max (default).
    #[default]
    Box,
    /// LGG10's corner (T_min, σ²_max).
    Lgg10,
}

/// Security statement of the finite-size rate (SPEC §9.6, §11.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// LGG10 collective-attack rate (default; not composable).
    #[default]
    Collective,
    /// Also the composable rate of §9.6 (our heterodyne adaptation of MPBP22).
    Composable,
}

/// Where the box maximum of χ lies (SPEC §9.5 `pe_worst_corner`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WorstCorner {
    /// At T_min (always under `lgg10`).
    TMin,
    /// At T_max.
    TMax,
    /// Strictly inside (T_min, T_max), above both ends.
    Interior,
}
impl WorstCorner {
    /// Keyword used in JSON (`t_min`, `t_max`, `interior`).
    pub fn as_str(self) -> &'static str {
        match self {
            WorstCorner::TMin => "t_min",
            WorstCorner::TMax => "t_max",
            WorstCorner::Interior => "interior",
        }
    }
}

impl WorstCase {
    /// Keyword used on the command line and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            WorstCase::Box => "box",
            WorstCase::Lgg10 => "lgg10",
        }
    }
}
impl fmt::Display for WorstCase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
impl std::str::FromStr for WorstCase {
    type Err = InputError;
    fn from_str(s: &str) -> Result<Self, InputError> {
        match s {
            "box" => Ok(WorstCase::Box),
            "lgg10" => Ok(WorstCase::Lgg10),
            other => Err(InputError::OutOfRange {
                field: "worst_case",
                value: other.to_string(),
                allowed: "one of box, lgg10",
            }),
        }
    }
}
impl Security {
    /// Keyword used on the command line and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Security::Collective => "collective",
            Security::Composable => "composable",
        }
    }
}
impl fmt::Display for Security {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
impl std::str::FromStr for Security {
    type Err = InputError;
    fn from_str(s: &str) -> Result<Self, InputError> {
        match s {
            "collective" => Ok(Security::Collective),
            "composable" => Ok(Security::Composable),
            other => Err(InputError::OutOfRange {
                field: "security",
                value: other.to_string(),
                allowed: "one of collective, composable",
            }),
        }
    }
}

/// Parameters of the composable option (SPEC §9.6): defaults ℓ = 5, p_EC = 1,
/// ε_s = ε_h = ε_cor = 1e-10.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ComposableParams {
    /// ℓ: bits per quadrature of the discretised key element (d = 2^(2ℓ)).
    pub key_bits_per_quadrature: u32,
    /// p_EC: probability that error correction succeeds (frame errors not modelled: 1).
    pub p_ec: f64,
    /// ε_s: smoothing.
    pub eps_s: f64,
    /// ε_h: hashing.
    pub eps_h: f64,
    /// ε_cor: correctness.
    pub eps_cor: f64,
}

impl Default for ComposableParams {
    fn default() -> Self {
        Self { key_bits_per_quadrature: 5, p_ec: 1.0, eps_s: 1e-10, eps_h: 1e-10, eps_cor: 1e-10 }
    }
}

/// Validated finite-size parameters (SPEC §9.2). Build with [`FiniteSizeParams::builder`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FiniteSizeParams {
    block_size: f64,
    pe_fraction: f64,
    eps_pe: f64,
    eps_smooth: f64,
    eps_pa: f64,
    pe_samples_per_symbol: u32,
    worst_case: WorstCase,
    security: Security,
    composable: ComposableParams,
    /// z = Φ⁻¹(1 − ε_PE/2), cached.
    #[serde(skip)]
    z: f64,
}

/// Builder of [`FiniteSizeParams`]; unset fields take SPEC §9.2's defaults.
#[derive(Debug, Clone, Copy)]
pub struct FiniteSizeParamsBuilder {
    p: FiniteSizeParams,
}

impl FiniteSizeParamsBuilder {
    /// N, BS symbols per block (> 0; default 1e9).
    pub fn block_size(mut self, n: f64) -> Self {
        self.p.block_size = n;
        self
    }
    /// p_PE in (0, 1) (default 0.5).
    pub fn pe_fraction(mut self, x: f64) -> Self {
        self.p.pe_fraction = x;
        self
    }
    /// ε_PE in (0, 1) (default 1e-10).
    pub fn eps_pe(mut self, x: f64) -> Self {
        self.p.eps_pe = x;
        self
    }
    /// ε̄ in (0, 1) (default 1e-10).
    pub fn eps_smooth(mut self, x: f64) -> Self {
        self.p.eps_smooth = x;
        self
    }
    /// ε_PA in (0, 1) (default 1e-10).
    pub fn eps_pa(mut self, x: f64) -> Self {
        self.p.eps_pa = x;
        self
    }
    /// r ∈ {1, 2} (default 2).
    pub fn pe_samples_per_symbol(mut self, r: u32) -> Self {
        self.p.pe_samples_per_symbol = r;
        self
    }
    /// `box` (default) or `lgg10`.
    pub fn worst_case(mut self, w: WorstCase) -> Self {
        self.p.worst_case = w;
        self
    }
    /// `collective` (default) or `composable`.
    pub fn security(mut self, s: Security) -> Self {
        self.p.security = s;
        self
    }
    /// Composable parameters (default [`ComposableParams::default`]).
    pub fn composable(mut self, c: ComposableParams) -> Self {
        self.p.composable = c;
        self
    }
    /// Validate every field; errors name the field, the value and the allowed set.
    pub fn build(self) -> Result<FiniteSizeParams, InputError> {
        let mut p = self.p;
        if !(p.block_size.is_finite() && p.block_size >= 1.0) {
            return Err(out_of_range("block_size", p.block_size, "a finite number of symbols >= 1"));
        }
        open_unit("pe_fraction", p.pe_fraction)?;
        let (m, n) = (p.pe_fraction * p.block_size, (1.0 - p.pe_fraction) * p.block_size);
        if m < 1.0 || n < 1.0 {
            return Err(out_of_range(
                "pe_fraction",
                p.pe_fraction,
                "a fraction leaving at least one PE symbol and one key symbol: pe_fraction * block_size >= 1 and (1 - pe_fraction) * block_size >= 1",
            ));
        }
        open_unit("eps_pe", p.eps_pe)?;
        open_unit("eps_smooth", p.eps_smooth)?;
        open_unit("eps_pa", p.eps_pa)?;
        if !(p.pe_samples_per_symbol == 1 || p.pe_samples_per_symbol == 2) {
            return Err(InputError::OutOfRange {
                field: "pe_samples_per_symbol",
                value: p.pe_samples_per_symbol.to_string(),
                allowed: "1 or 2",
            });
        }
        let c = &p.composable;
        if !(1..=26).contains(&c.key_bits_per_quadrature) {
            return Err(InputError::OutOfRange {
                field: "key_bits_per_quadrature",
                value: c.key_bits_per_quadrature.to_string(),
                allowed: "an integer in [1, 26]",
            });
        }
        if !(c.p_ec.is_finite() && c.p_ec > 0.0 && c.p_ec <= 1.0) {
            return Err(out_of_range("p_ec", c.p_ec, "a number in (0, 1]"));
        }
        open_unit("eps_s", c.eps_s)?;
        open_unit("eps_h", c.eps_h)?;
        open_unit("eps_cor", c.eps_cor)?;
        p.z = upper_normal_quantile(p.eps_pe);
        Ok(p)
    }
}

fn out_of_range(field: &'static str, v: f64, allowed: &'static str) -> InputError {
    InputError::OutOfRange { field, value: fmt_value(v), allowed }
}

fn open_unit(field: &'static str, v: f64) -> Result<(), InputError> {
    if v.is_finite() && v > 0.0 && v < 1.0 {
        Ok(())
    } else {
        Err(out_of_range(field, v, "a number in (0, 1)"))
    }
}

impl FiniteSizeParams {
    /// Default block size N (SPEC §9.2).
    pub const DEFAULT_BLOCK_SIZE: f64 = 1e9;
    /// Default PE fraction p_PE.
    pub const DEFAULT_PE_FRACTION: f64 = 0.5;
    /// Default ε_PE = ε̄ = ε_PA.
    pub const DEFAULT_EPS: f64 = 1e-10;

    /// A builder holding SPEC §9.2's defaults.
    pub fn builder() -> FiniteSizeParamsBuilder {
        FiniteSizeParamsBuilder {
            p: FiniteSizeParams {
                block_size: Self::DEFAULT_BLOCK_SIZE,
                pe_fraction: Self::DEFAULT_PE_FRACTION,
                eps_pe: Self::DEFAULT_EPS,
                eps_smooth: Self::DEFAULT_EPS,
                eps_pa: Self::DEFAULT_EPS,
                pe_samples_per_symbol: 2,
                worst_case: WorstCase::Box,
                security: Security::Collective,
                composable: ComposableParams::default(),
                z: 0.0,
            },
        }
    }
    /// The same parameters with another block size (unchecked beyond > 0, finite).
    pub fn with_block_size(mut self, n: f64) -> Result<Self, InputError> {
        if !(n.is_finite() && n > 0.0) {
            return Err(out_of_range("block_size", n, "a finite number > 0"));
        }
        self.block_size = n;
        Ok(self)
    }
    /// N.
    pub fn block_size(&self) -> f64 {
        self.block_size
    }
    /// p_PE.
    pub fn pe_fraction(&self) -> f64 {
        self.pe_fraction
    }
    /// ε_PE.
    pub fn eps_pe(&self) -> f64 {
        self.eps_pe
    }
    /// ε̄.
    pub fn eps_smooth(&self) -> f64 {
        self.eps_smooth
    }
    /// ε_PA.
    pub fn eps_pa(&self) -> f64 {
        self.eps_pa
    }
    /// r.
    pub fn pe_samples_per_symbol(&self) -> u32 {
        self.pe_samples_per_symbol
    }
    /// `box` or `lgg10`.
    pub fn worst_case(&self) -> WorstCase {
        self.worst_case
    }
    /// `collective` or `composable`.
    pub fn security(&self) -> Security {
        self.security
    }
    /// Composable parameters.
    pub fn composable(&self) -> &ComposableParams {
        &self.composable
    }
    /// z = Φ⁻¹(1 − ε_PE/2).
    pub fn z(&self) -> f64 {
        self.z
    }
}

/// Reject what SPEC §9.1 leaves undefined: `paper` and the asymptotic model.
pub fn check_settings(settings: &Settings) -> Result<(), InputError> {
    if settings.convention() == Convention::Paper {
        return Err(InputError::Unsupported {
            field: "finite_size",
            value: "on".into(),
            other: "convention paper".into(),
            allowed: "finite-size rates are defined for --convention standard or trusted",
        });
    }
    if settings.model() == Model::Asymptotic {
        return Err(InputError::Unsupported {
            field: "finite_size",
            value: "on".into(),
            other: "model asymptotic".into(),
            allowed: "finite-size rates use the exact model (--model exact)",
        });
    }
    Ok(())
}

/// z = Φ⁻¹(1 − ε/2) = √2·erfc⁻¹(ε) for ε in (0, 1], to full double precision
/// (SPEC §9.2): a rough start refined by Newton steps on ln erfc(x/√2) = ln ε,
/// with `libm`'s erfc (accurate to ~1 ulp, also far in the tail).
pub fn upper_normal_quantile(eps: f64) -> f64 {
    debug_assert!(eps > 0.0 && eps <= 1.0);
    if eps >= 1.0 {
        return 0.0;
    }
    let target = eps.ln();
    // Start: tail asymptotics for small ε, a crude linear guess near ε = 1.
    let mut x = if eps < 0.3 {
        let t = (-2.0 * (eps / 2.0).ln()).sqrt();
        t - (2.515517 + 0.802853 * t + 0.010328 * t * t)
            / (1.0 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t.powi(3))
    } else {
        (1.0 - eps) * (PI / 2.0).sqrt()
    };
    for _ in 0..50 {
        let e = libm::erfc(x / SQRT_2);
        // d/dx ln erfc(x/√2) = −√(2/π)·exp(−x²/2)/erfc(x/√2)
        let d = -(2.0 / PI).sqrt() * (-0.5 * x * x).exp() / e;
        let step = (e.ln() - target) / d;
        x -= step;
        if step.abs() <= 1e-16 * x.abs().max(1e-300) {
            break;
        }
    }
    x
}

/// Finite-size figures of one user (SPEC §9.5, §11.5). Rates in bits per
/// symbol of the user's own slot, like SKR_k.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FiniteUserRate {
    /// K_k^fin (unclipped); `None` if inconclusive or silent.
    pub finite_secret_key_rate: Option<f64>,
    /// S_PE,k, Eve's worst-case Holevo information (bits); `None` if inconclusive or silent.
    pub finite_holevo: Option<f64>,
    /// Where S_PE,k was attained.
    pub pe_worst_corner: Option<WorstCorner>,
    /// T_min,k (0 when inconclusive).
    pub pe_transmittance_min: Option<f64>,
    /// T_max,k (≤ 1).
    pub pe_transmittance_max: Option<f64>,
    /// ξ_max,k = ξ(T_min,k, σ²_max,k) (SNU); `None` if inconclusive.
    pub pe_excess_noise_max: Option<f64>,
    /// σ²_max,k (SNU per rescaled quadrature).
    pub pe_noise_variance_max: Option<f64>,
    /// Δ(n) (bits per key symbol).
    pub finite_size_penalty: Option<f64>,
    /// √T_k ≤ Δt_k: no key.
    pub estimation_inconclusive: bool,
    /// Union bound on the failure probability for this user's key (SPEC §9.4;
    /// §9.6 under `composable`).
    pub eps_total: Option<f64>,
    /// Whether the state at the worst point used is physical (SPEC §9.4, §2).
    pub finite_physical: bool,
    /// Composable rate K_k^comp of SPEC §9.6 (only with `--security composable`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub composable_secret_key_rate: Option<Option<f64>>,
    /// N_k: block size seen by this user (N, or N/K under time-shared `oma`).
    #[serde(skip)]
    pub user_block_size: f64,
    /// m_s = r·p_PE·N_k, the number of real PE samples.
    #[serde(skip)]
    pub pe_samples: f64,
}

impl FiniteUserRate {
    /// The rate under the chosen security: composable if requested, else collective.
    pub fn selected_rate(&self) -> Option<f64> {
        match self.composable_secret_key_rate {
            Some(c) => c,
            None => self.finite_secret_key_rate,
        }
    }
}

/// Receiver noise per rescaled heterodyne quadrature, c (SNU, SPEC §9.2).
#[inline]
pub fn receiver_noise(settings: &Settings) -> f64 {
    match settings.convention() {
        Convention::Trusted => settings.receiver().chi_het_snu(),
        _ => 1.0,
    }
}

/// Penalty Δ(n) = 7·√(log2(2/ε̄)/n) + (2/n)·log2(1/ε_PA) \[LGG10\] (SPEC §9.4).
#[inline]
pub fn finite_size_penalty(n: f64, eps_smooth: f64, eps_pa: f64) -> f64 {
    // log2(2/ε) = 1 − log2 ε, written so that ε down to the smallest subnormal stays finite.
    7.0 * ((1.0 - eps_smooth.log2()) / n).sqrt() + 2.0 / n * (-eps_pa.log2())
}

/// Golden-section maximum of f on [a, b] to `rel_tol` relative in x.
fn golden_max(f: impl Fn(f64) -> f64, mut a: f64, mut b: f64, rel_tol: f64) -> (f64, f64) {
    let g = (5f64.sqrt() - 1.0) / 2.0;
    let mut c = b - g * (b - a);
    let mut d = a + g * (b - a);
    let mut fc = f(c);
    let mut fd = f(d);
    while (b - a) > rel_tol * (a.abs() + b.abs()) * 0.5 {
        if fc >= fd {
            b = d;
            d = c;
            fd = fc;
            c = b - g * (b - a);
            fc = f(c);
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + g * (b - a);
            fd = f(d);
        }
    }
    if fc >= fd {
        (c, fc)
    } else {
        (d, fd)
    }
}

/// Worst case of χ over [T_min, T_max] (SPEC §9.4 `box`): both ends, then
/// golden-section refinement to 1e-12 relative in T; `interior` only when the
/// interior maximum is strictly above both ends.
///
/// With `shortcut`, the golden-section search is skipped when it cannot find an
/// interior maximum to second order: the ends and the first two golden points
/// are monotone and the parabola through the three points nearest the winning
/// end is convex or peaks outside the interval, and χ does not rise when stepping
/// 1e-3 and 1e-6 of the width inward from that end (an interior maximum close to
/// the end fooled the parabola test alone: 193 of 20 000 points at T 0.7–0.98,
/// N ≤ 1e6, up to 1.8e-4 relative too small a χ). This makes a `box` evaluation
/// ~7 χ evaluations instead of ~45; the test suite checks it against the full
/// search ([`box_worst_case`] with `shortcut = false`) to 1e-12 relative.
pub fn box_worst_case(f: impl Fn(f64) -> f64, t_min: f64, t_max: f64, shortcut: bool) -> (f64, f64, WorstCorner) {
    let f_lo = f(t_min);
    let f_hi = f(t_max);
    if shortcut && t_max > t_min {
        let g = (5f64.sqrt() - 1.0) / 2.0;
        let c = t_max - g * (t_max - t_min);
        let d = t_min + g * (t_max - t_min);
        let (fc, fd) = (f(c), f(d));
        // Vertex of the parabola through three points; None if it opens upward or is flat.
        let vertex = |(x1, f1): (f64, f64), (x2, f2): (f64, f64), (x3, f3): (f64, f64)| -> Option<f64> {
            let den = (x2 - x1) * (f2 - f3) - (x2 - x3) * (f2 - f1);
            // Curvature sign: concave (a maximum) when the second divided difference is < 0.
            let second = ((f3 - f2) / (x3 - x2) - (f2 - f1) / (x2 - x1)) / (x3 - x1);
            if second.is_nan() || second >= 0.0 || den == 0.0 {
                return None;
            }
            Some(x2 - 0.5 * ((x2 - x1).powi(2) * (f2 - f3) - (x2 - x3).powi(2) * (f2 - f1)) / den)
        };
        // An interior maximum close to the winning end escapes the parabola test (the
        // samples are monotone and the fitted vertex falls outside): probe the slope at the
        // end itself, 1e-3 and 1e-6 of the width inside, before trusting the end.
        let w = t_max - t_min;
        let end_is_max =
            |end: f64, f_end: f64, inward: f64| [1e-3, 1e-6].iter().all(|&h| f(end + inward * h * w) <= f_end);
        if f_lo <= fc && fc <= fd && fd <= f_hi {
            match vertex((c, fc), (d, fd), (t_max, f_hi)) {
                Some(v) if v < t_max => {}
                _ if end_is_max(t_max, f_hi, -1.0) => return (t_max, f_hi, WorstCorner::TMax),
                _ => {}
            }
        } else if f_lo >= fc && fc >= fd && fd >= f_hi {
            match vertex((t_min, f_lo), (c, fc), (d, fd)) {
                Some(v) if v > t_min => {}
                _ if end_is_max(t_min, f_lo, 1.0) => return (t_min, f_lo, WorstCorner::TMin),
                _ => {}
            }
        }
    }
    let (t_in, f_in) = if t_max > t_min { golden_max(&f, t_min, t_max, 1e-12) } else { (t_min, f_lo) };
    if f_in > f_lo && f_in > f_hi {
        (t_in, f_in, WorstCorner::Interior)
    } else if f_hi > f_lo {
        (t_max, f_hi, WorstCorner::TMax)
    } else {
        (t_min, f_lo, WorstCorner::TMin)
    }
}

/// Finite-size rate of one user with block size `user_block_size` N_k (SPEC §9.3–§9.6).
///
/// `ch` is the user's channel as given by [`for_each_user_channel`] (V_I,k and
/// X_k nominal). `settings` must pass [`check_settings`]; a silent user yields
/// all-`None` figures.
pub fn finite_user_rate(
    settings: &Settings,
    params: &FiniteSizeParams,
    ch: &UserChannel,
    user_block_size: f64,
) -> FiniteUserRate {
    let big_n = user_block_size;
    let m = params.pe_fraction * big_n;
    let n = big_n - m;
    let ms = params.pe_samples_per_symbol as f64 * m;
    let composable_on = params.security == Security::Composable;
    let mut out = FiniteUserRate {
        finite_secret_key_rate: None,
        finite_holevo: None,
        pe_worst_corner: None,
        pe_transmittance_min: None,
        pe_transmittance_max: None,
        pe_excess_noise_max: None,
        pe_noise_variance_max: None,
        finite_size_penalty: None,
        estimation_inconclusive: false,
        eps_total: None,
        finite_physical: true,
        composable_secret_key_rate: composable_on.then_some(None),
        user_block_size: big_n,
        pe_samples: ms,
    };
    let va = ch.modulation_variance;
    if va == 0.0 {
        return out;
    }
    let c_pe = match params.worst_case {
        WorstCase::Box => 1.5,
        WorstCase::Lgg10 => 1.0,
    };
    out.eps_total = Some(if composable_on {
        // §9.6: ε_cor + ε_s + ε_h + p_EC·ε_PE, with ε_PE counted as our PE failure c_PE·ε_PE.
        let cp = &params.composable;
        cp.eps_cor + cp.eps_s + cp.eps_h + cp.p_ec * c_pe * params.eps_pe
    } else {
        c_pe * params.eps_pe + params.eps_smooth + params.eps_pa
    });
    let t = ch.transmittance;
    let c = receiver_noise(settings);
    let z_true = receiver_input_noise(settings, t, ch.excess_noise, ch.other_excess_noise, ch.interference);
    let sigma2 = t + z_true + c;
    let zq = params.z;
    let dt = zq * (sigma2 / (ms * va)).sqrt();
    let sigma2_max = sigma2 * (1.0 + zq * (2.0 / ms).sqrt());
    out.pe_noise_variance_max = Some(sigma2_max);
    let penalty = finite_size_penalty(n, params.eps_smooth, params.eps_pa);
    out.finite_size_penalty = Some(penalty);
    let st = t.sqrt();
    let t_max = (st + dt).powi(2).min(1.0);
    out.pe_transmittance_max = Some(t_max);
    if st <= dt {
        out.estimation_inconclusive = true;
        out.pe_transmittance_min = Some(0.0);
        return out;
    }
    let t_min = (st - dt).powi(2);
    out.pe_transmittance_min = Some(t_min);
    let d2 = match settings.convention() {
        Convention::Standard => settings.receiver().detector_noise_snu(),
        _ => 0.0,
    };
    out.pe_excess_noise_max = Some((sigma2_max - c - 1.0 - d2 - ch.interference - ch.other_excess_noise) / t_min);
    let v = epr_variance(settings.convention(), va);
    let chi_at = |tt: f64| holevo_information(settings, v, tt, sigma2_max - tt - c);
    let f = |tt: f64| chi_at(tt).0;
    let (t_worst, s_pe, corner) = match params.worst_case {
        WorstCase::Lgg10 => (t_min, f(t_min), WorstCorner::TMin),
        WorstCase::Box => box_worst_case(f, t_min, t_max, true),
    };
    out.finite_physical = chi_at(t_worst).1;
    out.finite_holevo = Some(s_pe);
    out.pe_worst_corner = Some(corner);
    let eta = settings.receiver().reconciliation_efficiency();
    let info = mutual_information(settings, ch, z_true);
    out.finite_secret_key_rate = Some(n / big_n * (eta * info - s_pe - penalty));
    if composable_on {
        let cp = &params.composable;
        let d = 2f64.powi(2 * cp.key_bits_per_quadrature as i32);
        let delta_aep =
            4.0 * (2.0 * d.sqrt() + 1.0).log2() * (18.0 / (cp.p_ec.powi(2) * cp.eps_s.powi(4))).log2().sqrt();
        let theta = (cp.p_ec * (1.0 - cp.eps_s.powi(2) / 3.0)).log2() + 2.0 * (SQRT_2 * cp.eps_h).log2();
        let k = n * cp.p_ec / big_n * (eta * info - s_pe - delta_aep / n.sqrt() + theta / n);
        out.composable_secret_key_rate = Some(Some(k));
    }
    out
}

/// Finite-size figures of every user plus sums (SPEC §9.4–§9.5, §11.5).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FiniteReport {
    /// Per-user figures in input order.
    pub users: Vec<FiniteUserRate>,
    /// Σ_k slot_fraction_k·K_k^fin (inconclusive and silent users count 0).
    pub sum_finite_secret_key_rate: f64,
    /// Σ_k slot_fraction_k·max(0, K_k^fin).
    pub sum_finite_secret_key_rate_clipped: f64,
    /// Composable sums (only with `--security composable`): raw, clipped.
    #[serde(skip)]
    pub sum_composable: Option<(f64, f64)>,
    /// Inconclusive estimates, unphysical worst points, first-order PE bound.
    #[serde(skip)]
    pub warnings: Vec<Warning>,
}

/// Block size N_k seen by each user: N, or N/K under time-shared `oma` (SPEC §9.4).
#[inline]
pub fn user_block_size(settings: &Settings, k: usize, block_size: f64) -> f64 {
    block_size * slot_fraction(settings, k)
}

/// Evaluate the finite-size rates of given modulation variances (SNU):
/// validated inputs, per-user figures, sums and warnings (SPEC §9).
pub fn evaluate_finite(
    settings: &Settings,
    params: &FiniteSizeParams,
    network: &Network,
    order: &[usize],
    modulation_variance: &[f64],
) -> Result<FiniteReport, InputError> {
    check_settings(settings)?;
    let k = network.len();
    validate_order(order, k)?;
    validate_modulation(settings.convention(), modulation_variance, k)?;
    let nk = user_block_size(settings, k, params.block_size);
    let mut users: Vec<Option<FiniteUserRate>> = vec![None; k];
    for_each_user_channel(settings, network, order, modulation_variance, |i, ch| {
        users[i] = Some(finite_user_rate(settings, params, &ch, nk));
    });
    let users: Vec<FiniteUserRate> = users.into_iter().map(|u| u.expect("every user visited")).collect();
    let frac = slot_fraction(settings, k);
    let sum = |g: &dyn Fn(&FiniteUserRate) -> Option<f64>, clip: bool| -> f64 {
        users.iter().filter_map(g).fold(0.0, |acc, r| acc + frac * if clip { r.max(0.0) } else { r })
    };
    let sum_raw = sum(&|u| u.finite_secret_key_rate, false);
    let sum_clip = sum(&|u| u.finite_secret_key_rate, true);
    let sum_composable = (params.security == Security::Composable).then(|| {
        (
            sum(&|u| u.composable_secret_key_rate.flatten(), false),
            sum(&|u| u.composable_secret_key_rate.flatten(), true),
        )
    });
    let mut warnings = Vec::new();
    for (i, u) in users.iter().enumerate() {
        if modulation_variance[i] == 0.0 {
            continue;
        }
        if u.estimation_inconclusive {
            warnings.push(Warning::Other(format!(
                "user {i}: parameter estimation inconclusive at N_k = {:e} (sqrt(T) <= Delta t): no key",
                u.user_block_size
            )));
        } else if !u.finite_physical {
            warnings.push(Warning::Other(format!(
                "user {i}: unphysical state at the worst-case PE point; its finite-size rate is not a valid key rate"
            )));
        }
    }
    let any_active = modulation_variance.iter().any(|&v| v > 0.0);
    let ms = params.pe_samples_per_symbol as f64 * params.pe_fraction * nk;
    if any_active && ms < 1e6 {
        warnings.push(Warning::Other(format!(
            "m_s = {ms:e} PE samples < 1e6: the first-order (normal) bound on sigma^2_max is optimistic; its true failure exceeds eps_PE/2"
        )));
    }
    Ok(FiniteReport {
        users,
        sum_finite_secret_key_rate: sum_raw,
        sum_finite_secret_key_rate_clipped: sum_clip,
        sum_composable,
        warnings,
    })
}

/// Lower and upper ends of the block-size search (SPEC §11.5).
pub const MIN_BLOCK_SEARCH_RANGE: (f64, f64) = (1e3, 1e15);
/// Resolution of the block-size search in log10 N (bisection stops when the
/// bracket is narrower; the upper end, a positive-rate N, is returned).
pub const MIN_BLOCK_LOG10_RESOLUTION: f64 = 1e-6;

/// Smallest block size N in [1e3, 1e15] for which `rate_positive(N)` holds,
/// assuming it is monotone in N (SPEC §9.4: the finite-size rate increases
/// with N). Search: test both ends; then bisection on log10 N until the
/// bracket is narrower than [`MIN_BLOCK_LOG10_RESOLUTION`]; returns the upper
/// end of the final bracket (a positive-rate N within a factor 10^1e-6 ≈
/// 1 + 2.3e-6 of the threshold), or `None` if even 1e15 gives no key.
pub fn min_block_size_search(mut rate_positive: impl FnMut(f64) -> bool) -> Option<f64> {
    let (lo_n, hi_n) = MIN_BLOCK_SEARCH_RANGE;
    if rate_positive(lo_n) {
        return Some(lo_n);
    }
    if !rate_positive(hi_n) {
        return None;
    }
    let (mut lo, mut hi) = (lo_n.log10(), hi_n.log10());
    while hi - lo > MIN_BLOCK_LOG10_RESOLUTION {
        let mid = 0.5 * (lo + hi);
        if rate_positive(10f64.powf(mid)) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Some(10f64.powf(hi))
}

/// Per-user minimum block sizes (under the chosen security) and the one for the
/// clipped sum, which is positive as soon as any user's rate is: the minimum
/// over users (SPEC §11.5).
pub fn min_block_sizes(
    settings: &Settings,
    params: &FiniteSizeParams,
    network: &Network,
    order: &[usize],
    modulation_variance: &[f64],
) -> Result<(Vec<Option<f64>>, Option<f64>), InputError> {
    check_settings(settings)?;
    let k = network.len();
    validate_order(order, k)?;
    validate_modulation(settings.convention(), modulation_variance, k)?;
    let frac = slot_fraction(settings, k);
    let mut per_user = vec![None; k];
    for_each_user_channel(settings, network, order, modulation_variance, |i, ch| {
        if ch.modulation_variance > 0.0 {
            per_user[i] = min_block_size_search(|nb| {
                finite_user_rate(settings, params, &ch, nb * frac).selected_rate().is_some_and(|r| r > 0.0)
            });
        }
    });
    let sum = per_user.iter().flatten().copied().reduce(f64::min);
    Ok((per_user, sum))
}

/// Finite-size sum key rate (raw, clipped) against block size for given
/// powers: one entry per N of `block_sizes` (SPEC §9; for a "sum SKR vs N"
/// figure). Uses the rate of the chosen security.
pub fn finite_sum_rate_vs_block_size(
    settings: &Settings,
    params: &FiniteSizeParams,
    network: &Network,
    order: &[usize],
    modulation_variance: &[f64],
    block_sizes: &[f64],
) -> Result<Vec<(f64, f64)>, InputError> {
    block_sizes
        .iter()
        .map(|&nb| {
            let p = params.with_block_size(nb)?;
            let r = evaluate_finite(settings, &p, network, order, modulation_variance)?;
            Ok(match r.sum_composable {
                Some(c) => c,
                None => (r.sum_finite_secret_key_rate, r.sum_finite_secret_key_rate_clipped),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SPEC §9.2 quotes z at full precision.
    #[test]
    fn quantile_matches_spec() {
        let z10 = upper_normal_quantile(1e-10);
        let z9 = upper_normal_quantile(1e-9);
        assert!((z10 - 6.466951087240516).abs() <= 2e-15 * 6.5, "{z10}");
        assert!((z9 - 6.1094102048693975).abs() <= 2e-15 * 6.1, "{z9}");
        // Textbook values: Φ⁻¹(0.975) = 1.959963984540054, Φ⁻¹(0.95) = 1.6448536269514722.
        assert!((upper_normal_quantile(0.05) - 1.959963984540054).abs() < 1e-14);
        assert!((upper_normal_quantile(0.1) - 1.6448536269514722).abs() < 1e-14);
        assert!((upper_normal_quantile(0.5) - 0.6744897501960817).abs() < 1e-14);
    }

    #[test]
    fn penalty_formula() {
        // Δ(n) hand-evaluated: 7·√(log2(2e10)/5e9) + (2/5e9)·log2(1e10).
        let want = 7.0 * ((2e10f64).log2() / 5e9).sqrt() + 2.0 / 5e9 * (1e10f64).log2();
        assert_eq!(finite_size_penalty(5e9, 1e-10, 1e-10), want);
    }
}
