//! Thermal entropy h(x) and the symplectic eigenvalues of the two-mode
//! entanglement-based state (SPEC §2; paper eqs. (9), (15)–(19)).

use std::f64::consts::LN_2;

/// Tolerance of the physicality test: an eigenvalue is accepted as ≥ 1 when it
/// is ≥ 1 − 1e-9 (SPEC §2).
pub const PHYSICAL_TOLERANCE: f64 = 1e-9;

/// Von Neumann entropy (bits) of a thermal state with symplectic eigenvalue `x`
/// (SNU), paper eq. (9) in a stable form (SPEC §2):
///
/// h(x) = [ln(1+y) + y·ln(1+1/y)] / ln 2,  y = (x−1)/2,  and h(x) = 0 for x ≤ 1.
///
/// The printed form, ((x+1)/2)·log2((x+1)/2) − ((x−1)/2)·log2((x−1)/2),
/// subtracts two nearly equal terms and loses every digit by x ≈ 1e16; this
/// form stays accurate to a few ulp for all x > 1.
#[inline]
pub fn thermal_entropy(x: f64) -> f64 {
    if x <= 1.0 || x.is_nan() {
        return 0.0;
    }
    let y = 0.5 * (x - 1.0);
    (y.ln_1p() + y * (1.0 / y).ln_1p()) / LN_2
}

/// The two symplectic eigenvalues (λ1 ≥ λ2, SNU) of the covariance matrix
/// [[V·I, √(T(V²−1))·σz], [√(T(V²−1))·σz, b·I]], b = T·V + Z (SPEC §2,
/// equal to paper eqs. (15)–(17) without the cancellation in A² − 4B):
///
/// Δ = Z − (1−T)·V, P = T + V·Z, λ1 = (√(Δ² + 4P) + |Δ|)/2, λ2 = P/λ1.
///
/// `v` is the EPR variance V (SNU), `t` the transmittance, `z` the noise at the
/// receiver's input (SNU, ≥ 0).
#[inline]
pub fn two_mode_eigenvalues(v: f64, t: f64, z: f64) -> (f64, f64) {
    let delta = z - (1.0 - t) * v;
    let p = t + v * z;
    let l1 = 0.5 * ((delta * delta + 4.0 * p).sqrt() + delta.abs());
    (l1, p / l1)
}

/// Symplectic eigenvalue of Eve's state conditioned on Bob's heterodyne
/// outcome (SNU), paper eq. (19) corrected (SPEC §2):
///
/// λ_het = (V·(Z+1) + T)/(b+1)  (= V − T(V²−1)/(b+1) without cancellation).
#[inline]
pub fn heterodyne_conditional_eigenvalue(v: f64, t: f64, z: f64) -> f64 {
    let b = t * v + z;
    (v * (z + 1.0) + t) / (b + 1.0)
}

/// λ3, λ4 (SNU) of the trusted-detector heterodyne conditional matrix
/// (Lodewyck et al. 2007, Fossier et al. 2009; SPEC §4.2):
///
/// b = T·V + Z, √B = T + V·Z, A = λ1² + λ2², d = b + χ_het,
/// C = [A·χ_het² + B + 1 + 2·χ_het·(V·√B + b) + 2T(V² − 1)] / d²,
/// D = [(V + √B·χ_het)/d]², λ3² = (C + √(C² − 4D))/2, λ4 = √D/λ3.
///
/// Evaluated without cancellation: λ3² + λ4² = C and λ3·λ4 = √D, so
/// λ3 + λ4 = √(C + 2√D) and λ3 − λ4 = √(C − 2√D). Since λ1 − λ2 = |Δ| with
/// Δ = Z − (1−T)·V (see [`two_mode_eigenvalues`]), expanding d²·(C − 2√D) gives the
/// perfect square (χ_het·Δ − e)² with e = V·Z − (1−T), so
/// λ3 = [√(C + 2√D) + |χ_het·Δ − e|/d]/2 and λ4 = √D/λ3 (derivation: docs/MODEL.md,
/// "Trusted receiver"). Computing C² − 4D by subtraction loses every digit at small V_A
/// and flagged physical states as unphysical.
#[inline]
pub fn trusted_conditional_eigenvalues(v: f64, t: f64, z: f64, chi_het: f64, l1: f64, l2: f64) -> (f64, f64) {
    let b = t * v + z;
    let sqrt_b = t + v * z;
    let a = l1 * l1 + l2 * l2;
    let d = b + chi_het;
    let c =
        (a * chi_het * chi_het + sqrt_b * sqrt_b + 1.0 + 2.0 * chi_het * (v * sqrt_b + b) + 2.0 * t * (v * v - 1.0))
            / (d * d);
    let sqrt_d = (v + sqrt_b * chi_het) / d;
    let delta = z - (1.0 - t) * v;
    let e = v * z - (1.0 - t);
    let gap = (chi_het * delta - e).abs() / d;
    let l3 = 0.5 * ((c + 2.0 * sqrt_d).sqrt() + gap);
    (l3, sqrt_d / l3)
}

/// Large-modulation eigenvalues (SNU), paper eqs. (22)–(25) corrected (SPEC §4.4):
///
/// λ̃1 = √((1−T)²V² + 2T·V·Z + Z²), λ̃2 = V·Z/λ̃1, λ̃_het = V·(Z+1)/(b+1).
#[inline]
pub fn asymptotic_eigenvalues(v: f64, t: f64, z: f64) -> (f64, f64, f64) {
    let omt = 1.0 - t;
    let l1 = (omt * omt * v * v + 2.0 * t * v * z + z * z).sqrt();
    let l2 = v * z / l1;
    let b = t * v + z;
    let lhet = v * (z + 1.0) / (b + 1.0);
    (l1, l2, lhet)
}

/// Whether a symplectic eigenvalue is physical (≥ 1 − 1e-9, SPEC §2).
#[inline]
pub fn is_physical_eigenvalue(lambda: f64) -> bool {
    lambda >= 1.0 - PHYSICAL_TOLERANCE
}

/// PLOB bound −log2(1 − T) (bits per channel use) for a pure-loss channel of
/// transmittance `t` (Pirandola et al. 2017; SPEC §2).
#[inline]
pub fn plob_bound(t: f64) -> f64 {
    -(-t).ln_1p() / LN_2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entropy_of_vacuum_and_below_is_zero() {
        assert_eq!(thermal_entropy(1.0), 0.0);
        assert_eq!(thermal_entropy(0.5), 0.0);
    }

    #[test]
    fn entropy_matches_printed_form_at_moderate_x() {
        // Printed eq. (9) is accurate at x = 3 (no cancellation): h(3) = 2·log2 2 − 1·log2 1 = 2.
        assert!((thermal_entropy(3.0) - 2.0).abs() < 1e-15);
    }
}
