//! Monotone SCA for P1 on a fixed active set (SPEC §7 `sca`; replaces the paper's
//! eqs. (29)–(39), P2 and Algorithm 1; derivation in docs/MODEL.md,
//! "Power allocation (SCA surrogate)").
//!
//! Each iteration maximizes the quadratic surrogate
//! q(v) = f(v_t) + ∇f(v_t)ᵀ(v − v_t) − (L/2)·Σ_i w_i (v_i − v_t,i)²,
//! w_i = 1/(v_t,i + s)² (scaled variables), exactly, by one weighted projection.
//! L starts from a Barzilai–Borwein curvature estimate and is doubled until
//! f(v⁺) ≥ q(v⁺) holds at the maximizer v⁺ (and f(v⁺) ≥ f(v_t)); hence
//! f(v⁺) ≥ q(v⁺) ≥ q(v_t) = f(v_t): the objective never decreases.
//! The minorant inequality is verified at the candidate, not proven globally.

use super::projection::project;
use super::Status;
use crate::convention::{Access, Convention, Model, Settings};
use crate::entropy::{
    asymptotic_eigenvalues, heterodyne_conditional_eigenvalue, thermal_entropy, two_mode_eigenvalues,
};
use crate::rates::{epr_variance, for_each_user_channel, holevo_information, receiver_input_noise, slot_fraction};
use crate::rates::{Network, UserChannel};
use std::f64::consts::LN_2;

/// h'(x) = ½·log2((x + 1)/(x − 1)) for x > 1, 0 below (h = 0 there).
#[inline]
pub fn thermal_entropy_derivative(x: f64) -> f64 {
    if x <= 1.0 || x.is_nan() {
        0.0
    } else {
        0.5 * (2.0 / (x - 1.0)).ln_1p() / LN_2
    }
}

/// χ and its partial derivatives (∂χ/∂V, ∂χ/∂Z) at EPR variance V, transmittance T and
/// receiver-input noise Z (SPEC §4.1, §4.3, §4.4 analytic; §4.2 `trusted` by central
/// differences of the closed form, relative step 1e-5).
pub fn holevo_with_gradient(settings: &Settings, v: f64, t: f64, z: f64) -> (f64, f64, f64) {
    if settings.convention() == Convention::Trusted {
        let chi = |v: f64, z: f64| holevo_information(settings, v, t, z).0;
        let hv = 1e-5 * v.abs().max(1.0);
        let hz = 1e-5 * z.abs().max(1e-3);
        let dv = (chi(v + hv, z) - chi(v - hv, z)) / (2.0 * hv);
        let dz = (chi(v, z + hz) - chi(v, (z - hz).max(0.0))) / (z + hz - (z - hz).max(0.0));
        return (chi(v, z), dv, dz);
    }
    let hp = thermal_entropy_derivative;
    // λ_het = N/M, N = V(Z+1) (+T for the exact model), M = TV + Z + 1.
    let m = t * v + z + 1.0;
    match settings.model() {
        Model::Exact => {
            let (l1, l2) = two_mode_eigenvalues(v, t, z);
            let lhet = heterodyne_conditional_eigenvalue(v, t, z);
            let delta = z - (1.0 - t) * v;
            let p = t + v * z;
            let s = (delta * delta + 4.0 * p).sqrt();
            let sg = if delta >= 0.0 { 1.0 } else { -1.0 };
            // d/dV: dΔ = −(1−T), dP = Z;  d/dZ: dΔ = 1, dP = V.
            let d = |dd: f64, dp: f64| {
                let ds = (delta * dd + 2.0 * dp) / s;
                let dl1 = 0.5 * (ds + sg * dd);
                let dl2 = (dp - l2 * dl1) / l1;
                (dl1, dl2)
            };
            let (dl1v, dl2v) = d(-(1.0 - t), z);
            let (dl1z, dl2z) = d(1.0, v);
            let n = v * (z + 1.0) + t;
            let dhv = ((z + 1.0) * m - n * t) / (m * m);
            let dhz = (v * m - n) / (m * m);
            let chi = thermal_entropy(l1) + thermal_entropy(l2) - thermal_entropy(lhet);
            let (h1, h2, hh) = (hp(l1), hp(l2), hp(lhet));
            (chi, h1 * dl1v + h2 * dl2v - hh * dhv, h1 * dl1z + h2 * dl2z - hh * dhz)
        }
        Model::Asymptotic => {
            let (a1, a2, ahet) = asymptotic_eigenvalues(v, t, z);
            let omt = 1.0 - t;
            let da1v = (omt * omt * v + t * z) / a1;
            let da1z = (t * v + z) / a1;
            let da2v = (z - a2 * da1v) / a1;
            let da2z = (v - a2 * da1z) / a1;
            let n = v * (z + 1.0);
            let dhv = ((z + 1.0) * m - n * t) / (m * m);
            let dhz = (v * m - n) / (m * m);
            let chi = (std::f64::consts::E * a1 / 2.0).ln() / LN_2 + thermal_entropy(a2) - thermal_entropy(ahet);
            let (h2, hh) = (hp(a2), hp(ahet));
            (chi, da1v / (a1 * LN_2) + h2 * da2v - hh * dhv, da1z / (a1 * LN_2) + h2 * da2z - hh * dhz)
        }
    }
}

/// SKR_k and its partials for an active user: (SKR, ∂/∂V_A,k, ∂/∂V_I,k (T-weighted
/// interference), ∂/∂L_k (`--literal-eq6` interference Σ V_a,i, else 0)).
pub fn user_rate_with_gradient(settings: &Settings, ch: &UserChannel) -> (f64, f64, f64, f64) {
    let t = ch.transmittance;
    let va = ch.modulation_variance;
    let z = receiver_input_noise(settings, t, ch.excess_noise, ch.other_excess_noise, ch.interference);
    let v = epr_variance(settings.convention(), va);
    let d2 = settings.receiver().detector_noise_snu();
    // I = log2(1 + T·V_A/D); (dD/dV_I, dD/dL).
    let (den, dd_vi, dd_l) = match settings.convention() {
        Convention::Standard => (1.0 + t + z, 1.0, 0.0),
        Convention::Trusted => (t + z + settings.receiver().chi_het_snu(), 1.0, 0.0),
        Convention::Paper => {
            let base = (1.0 - t) * ch.excess_noise + d2;
            if settings.literal_eq6() {
                (ch.literal_interference + base, 0.0, 1.0)
            } else {
                (ch.interference + base, 1.0, 0.0)
            }
        }
    };
    let tv = t * va;
    let info = (tv / den).ln_1p() / LN_2;
    let di_dva = t / ((den + tv) * LN_2);
    let di_dden = -tv / (den * (den + tv) * LN_2);
    let (chi, dchi_dv, dchi_dz) = holevo_with_gradient(settings, v, t, z);
    let eta = settings.receiver().reconciliation_efficiency();
    (eta * info - chi, eta * di_dva - dchi_dv, eta * di_dden * dd_vi - dchi_dz, eta * di_dden * dd_l)
}

/// Scratch space for [`objective_gradient`] (reused across iterations; no allocation).
#[derive(Debug, Clone, Default)]
pub struct Workspace {
    own: Vec<f64>,
    dvi: Vec<f64>,
    dl: Vec<f64>,
}

/// Objective Σ_k f·SKR_k (f = slot fraction; silent users, V_A = 0, contribute 0) and,
/// if `grad` is given, its gradient with respect to every V_A,i:
/// ∂/∂V_A,i = f·[∂SKR_i/∂V_A,i + Σ_{k interfered by i} (T_i·∂SKR_k/∂V_I,k + ∂SKR_k/∂L_k)],
/// O(K) with a running sum along the decoding order. Entries of silent users are the
/// one-sided derivative of keeping them silent (their own term omitted) and are not used.
/// X_k depends only on the active set, which is fixed here.
pub fn objective_gradient(
    settings: &Settings,
    network: &Network,
    order: &[usize],
    v: &[f64],
    grad: Option<&mut [f64]>,
    ws: &mut Workspace,
) -> f64 {
    let k = network.len();
    let frac = slot_fraction(settings, k);
    let Some(grad) = grad else {
        let mut s = 0.0;
        for_each_user_channel(settings, network, order, v, |_, ch| {
            if ch.modulation_variance > 0.0 {
                s += crate::rates::user_rate(settings, &ch).secret_key_rate;
            }
        });
        return frac * s;
    };
    ws.own.resize(k, 0.0);
    ws.dvi.resize(k, 0.0);
    ws.dl.resize(k, 0.0);
    let mut s = 0.0;
    {
        let (own, dvi, dl) = (&mut ws.own, &mut ws.dvi, &mut ws.dl);
        for_each_user_channel(settings, network, order, v, |i, ch| {
            if ch.modulation_variance > 0.0 {
                let (r, a, g, l) = user_rate_with_gradient(settings, &ch);
                s += r;
                own[i] = a;
                dvi[i] = g;
                dl[i] = l;
            } else {
                own[i] = 0.0;
                dvi[i] = 0.0;
                dl[i] = 0.0;
            }
        });
    }
    let t = network.transmittance();
    match settings.access() {
        Access::Noma => {
            let (mut sg, mut sl) = (0.0, 0.0);
            for &i in order {
                grad[i] = frac * (ws.own[i] + t[i] * sg + sl);
                sg += ws.dvi[i];
                sl += ws.dl[i];
            }
        }
        Access::Cih => {
            let sg: f64 = ws.dvi.iter().sum();
            let sl: f64 = ws.dl.iter().sum();
            for i in 0..k {
                grad[i] = frac * (ws.own[i] + t[i] * (sg - ws.dvi[i]) + (sl - ws.dl[i]));
            }
        }
        Access::Oma => {
            for (gi, &o) in grad.iter_mut().zip(&ws.own) {
                *gi = frac * o;
            }
        }
    }
    frac * s
}

/// A run of [`sca`].
#[derive(Debug, Clone, PartialEq)]
pub struct ScaRun {
    /// Final powers (SNU).
    pub v: Vec<f64>,
    /// Final objective.
    pub value: f64,
    /// Objective at the start, then after each iteration.
    pub history: Vec<f64>,
    /// Iterations performed.
    pub iterations: usize,
    /// Converged or MaxIterations.
    pub status: Status,
    /// Scaled projected-gradient norm at the final point.
    pub kkt_residual: f64,
}

/// Fixed data of one SCA problem: bounds per user (lo = hi = 0 for silent users).
#[derive(Debug, Clone)]
pub struct Bounds {
    /// Lower bounds (SNU).
    pub lo: Vec<f64>,
    /// Upper bounds (SNU).
    pub hi: Vec<f64>,
    /// B (SNU).
    pub budget: f64,
}

/// Offset s (SNU) of the scaling w_i = 1/(v_i + s)²: Euclidean below s, relative above.
const SCALE_OFFSET_SNU: f64 = 1.0;

fn weights(v: &[f64], w: &mut [f64]) {
    for (wi, &vi) in w.iter_mut().zip(v) {
        let s = vi + SCALE_OFFSET_SNU;
        *wi = 1.0 / (s * s);
    }
}

/// Scaled projected-gradient norm ‖(P_w(v + W⁻¹g) − v)·√w‖ with w_i = 1/(v_i + 1)²,
/// i.e. in the variables u_i = v_i/(v_i + 1 SNU) frozen at v (the KKT residual).
pub fn kkt_residual(network: &Network, bounds: &Bounds, v: &[f64], g: &[f64]) -> f64 {
    let n = v.len();
    let mut w = vec![0.0; n];
    weights(v, &mut w);
    let y: Vec<f64> = (0..n).map(|i| v[i] + g[i] / w[i]).collect();
    let mut p = vec![0.0; n];
    project(&y, &w, network.transmittance(), &bounds.lo, &bounds.hi, bounds.budget, &mut p);
    (0..n).map(|i| (p[i] - v[i]).powi(2) * w[i]).sum::<f64>().sqrt()
}

/// Monotone SCA from `start` (projected onto the feasible set first).
///
/// Stops when an iteration gains ≤ τ·max(1, |f|) (`Converged`), after
/// `max_iterations` iterations (`MaxIterations`), or when no step passes the minorant
/// test (`Converged` if the KKT residual is ≤ 1e-6, else `Stalled`).
pub fn sca(
    settings: &Settings,
    network: &Network,
    order: &[usize],
    bounds: &Bounds,
    start: &[f64],
    tolerance: f64,
    max_iterations: usize,
) -> ScaRun {
    let n = network.len();
    let t = network.transmittance();
    let mut ws = Workspace::default();
    let ones = vec![1.0; n];
    let mut v = vec![0.0; n];
    project(start, &ones, t, &bounds.lo, &bounds.hi, bounds.budget, &mut v);
    let mut g = vec![0.0; n];
    let mut f = objective_gradient(settings, network, order, &v, Some(&mut g), &mut ws);
    let mut history = Vec::with_capacity(max_iterations + 1);
    history.push(f);
    let (mut w, mut y, mut vn, mut gn) = (vec![0.0; n], vec![0.0; n], vec![0.0; n], vec![0.0; n]);
    // Initial curvature: a step of at most ~1 in the scaled variables.
    weights(&v, &mut w);
    let mut lip = (0..n).map(|i| (g[i] / w[i].sqrt()).abs()).fold(0.0, f64::max).max(1e-12);
    let mut status = Status::MaxIterations;
    let mut iterations = 0;
    while iterations < max_iterations {
        weights(&v, &mut w);
        let mut accepted = false;
        let mut fnew = f;
        for _ in 0..80 {
            for i in 0..n {
                y[i] = v[i] + g[i] / (lip * w[i]);
            }
            project(&y, &w, t, &bounds.lo, &bounds.hi, bounds.budget, &mut vn);
            let mut lin = 0.0;
            let mut quad = 0.0;
            for i in 0..n {
                let d = vn[i] - v[i];
                lin += g[i] * d;
                quad += w[i] * d * d;
            }
            if quad == 0.0 {
                break;
            }
            fnew = objective_gradient(settings, network, order, &vn, None, &mut ws);
            let model = f + lin - 0.5 * lip * quad;
            if fnew.is_finite() && fnew >= model && fnew >= f {
                accepted = true;
                break;
            }
            lip *= 2.0;
        }
        iterations += 1;
        if !accepted {
            // No step passes the minorant test at floating-point resolution: stationary.
            history.push(f);
            status = Status::Stalled;
            break;
        }
        let fchk = objective_gradient(settings, network, order, &vn, Some(&mut gn), &mut ws);
        debug_assert!((fchk - fnew).abs() <= 1e-9 * fnew.abs().max(1.0));
        // Barzilai–Borwein curvature for the next iteration (in the metric w).
        let (mut sy, mut ss) = (0.0, 0.0);
        for i in 0..n {
            let s = vn[i] - v[i];
            sy += s * (gn[i] - g[i]);
            ss += w[i] * s * s;
        }
        let gain = fnew - f;
        std::mem::swap(&mut v, &mut vn);
        std::mem::swap(&mut g, &mut gn);
        f = fnew;
        history.push(f);
        let bb = -sy / ss;
        lip = if bb.is_finite() && bb > 0.0 { bb.max(lip * 1e-3) } else { lip * 0.25 };
        if gain <= tolerance * f.abs().max(1.0) {
            status = Status::Converged;
            break;
        }
    }
    let kkt = kkt_residual(network, bounds, &v, &g);
    if status == Status::Stalled && kkt <= 1e-6 {
        // Stationary to floating-point resolution.
        status = Status::Converged;
    }
    ScaRun { v, value: f, history, iterations, status, kkt_residual: kkt }
}
