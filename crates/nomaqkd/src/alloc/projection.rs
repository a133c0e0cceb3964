//! Exact weighted Euclidean projection onto the feasible set of P1 (SPEC §7):
//! the box lo ≤ v ≤ hi intersected with the half-space Σ_i T_i·v_i ≤ B.

/// Projects `y` onto {lo ≤ v ≤ hi, Σ T_i v_i ≤ B} in the metric Σ w_i (v_i − y_i)²
/// (w_i > 0), writing the result into `out`.
///
/// KKT: v_i(μ) = clip(y_i − μ·T_i/w_i, lo_i, hi_i) with μ ≥ 0 and μ·(Σ T_i v_i − B) = 0.
/// Σ T_i v_i(μ) is continuous, piecewise linear and non-increasing in μ, so μ is found by
/// bisection down to a bracket of one linear piece, then solved exactly on that piece.
/// Requires Σ T_i lo_i ≤ B and lo ≤ hi (checked by the callers' validation).
/// The result always satisfies the budget to round-off (the feasible end of the bracket
/// is used when the exact solve overshoots).
pub fn project(y: &[f64], w: &[f64], t: &[f64], lo: &[f64], hi: &[f64], budget: f64, out: &mut [f64]) {
    let n = y.len();
    let at = |mu: f64, out: &mut [f64]| -> f64 {
        let mut s = 0.0;
        for i in 0..n {
            let v = (y[i] - mu * t[i] / w[i]).clamp(lo[i], hi[i]);
            out[i] = v;
            s += t[i] * v;
        }
        s
    };
    if at(0.0, out) <= budget {
        return;
    }
    // Upper end of the bracket: every coordinate at its lower bound.
    let mut mu_hi: f64 = 0.0;
    for i in 0..n {
        mu_hi = mu_hi.max((y[i] - lo[i]) * w[i] / t[i]);
    }
    let mut mu_lo = 0.0;
    for _ in 0..200 {
        let mid = 0.5 * (mu_lo + mu_hi);
        if !(mid > mu_lo && mid < mu_hi) {
            break;
        }
        // Exact solve on the linear piece at `mid`.
        let mut free_tt = 0.0;
        let mut rhs = -budget;
        let mut s = 0.0;
        for i in 0..n {
            let raw = y[i] - mid * t[i] / w[i];
            let v = raw.clamp(lo[i], hi[i]);
            s += t[i] * v;
            if raw > lo[i] && raw < hi[i] {
                free_tt += t[i] * t[i] / w[i];
                rhs += t[i] * y[i];
            } else {
                rhs += t[i] * v;
            }
        }
        if s > budget {
            mu_lo = mid;
        } else {
            mu_hi = mid;
        }
        if free_tt > 0.0 {
            let mu = rhs / free_tt;
            if mu >= mu_lo && mu <= mu_hi {
                // Same piece if the free set is unchanged at mu; verify by evaluating.
                let s_mu = at(mu, out);
                if s_mu <= budget && budget - s_mu <= 1e-14 * budget.abs() {
                    return;
                }
                // Otherwise keep bisecting (round-off or a different piece).
            }
        }
        if mu_hi - mu_lo <= 1e-16 * mu_hi {
            break;
        }
    }
    let s = at(mu_hi, out);
    if s > budget {
        // Round-off only: scale the excess above lo away.
        let excess = s - budget;
        let mut room = 0.0;
        for i in 0..n {
            room += t[i] * (out[i] - lo[i]);
        }
        if room > 0.0 {
            let f = 1.0 - excess / room * (1.0 + 1e-12);
            for i in 0..n {
                out[i] = lo[i] + (out[i] - lo[i]) * f.max(0.0);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inside_is_unchanged_and_outside_hits_budget() {
        let t = [0.9, 0.5, 0.2];
        let w = [1.0; 3];
        let lo = [0.0; 3];
        let hi = [f64::INFINITY; 3];
        let mut out = [0.0; 3];
        project(&[1.0, 1.0, 1.0], &w, &t, &lo, &hi, 10.0, &mut out);
        assert_eq!(out, [1.0, 1.0, 1.0]);
        project(&[100.0, 50.0, -3.0], &w, &t, &lo, &hi, 10.0, &mut out);
        let s: f64 = out.iter().zip(&t).map(|(v, t)| v * t).sum();
        assert!((s - 10.0).abs() <= 1e-12 * 10.0, "{s}");
        assert_eq!(out[2], 0.0);
        // KKT: free coordinates share one multiplier mu = (y_i - v_i)/T_i.
        let m0 = (100.0 - out[0]) / 0.9;
        let m1 = (50.0 - out[1]) / 0.5;
        assert!((m0 - m1).abs() <= 1e-9 * m0, "{m0} {m1}");
    }
}
