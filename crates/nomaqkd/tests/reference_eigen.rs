//! Slow obvious reference for the symplectic eigenvalues of SPEC §2 (STYLE §10).
//!
//! The two-mode covariance matrix [[V·I, c·σz], [c·σz, b·I]], c = √(T(V²−1)),
//! b = T·V + Z, is built entry by entry; its symplectic eigenvalues are the
//! moduli of the eigenvalues of iΩγ, i.e. |Im| of the eigenvalues of the real
//! matrix Ωγ, found by nalgebra's general (Schur) eigen-solver. λ_het is the
//! symplectic eigenvalue √det of Alice's mode conditioned on Bob's heterodyne,
//! γ_A|B = γ_A − σ_AB (γ_B + I)⁻¹ σ_ABᵀ, with general 2×2 matrix algebra
//! (by purity of ABE it equals Eve's conditional eigenvalue).
//! Nothing here uses the closed forms of `nomaqkd::entropy`.
//!
//! Tolerance: 1e-9 relative where the reference is well conditioned. The
//! reference itself loses digits as V grows: the general eigen-solve of the
//! non-normal Ωγ has a measured relative error ≤ ~400·ε·V on λ2 (ε = 2.2e-16),
//! and γ_A − c²/(b+1) cancels two O(V) numbers to give an O(1) result
//! (error ~ε·V/λ_het). Points with V_A ≤ 1e3 therefore use 1e-9 flat (the
//! reference's own error there is ≤ ~1e-10); a second test goes from 1e3 to
//! V_A = 1e8 with 1e-9 + 2000·ε·V (an over-estimate of the reference's own
//! error, not of the library's).

mod common;
use common::*;
use nomaqkd::entropy::{heterodyne_conditional_eigenvalue, two_mode_eigenvalues};

/// Reference (λ1, λ2, λ_het) from general matrix computations.
fn reference(v: f64, t: f64, z: f64) -> (f64, f64, f64) {
    let g = two_mode_covariance(v, t, z);
    let nu = symplectic_eigenvalues(&g);
    assert_eq!(nu.len(), 2);
    let cond = condition_on_heterodyne(&g, 1);
    (nu[1], nu[0], cond.determinant().sqrt())
}

/// Largest relative deviations (λ1, λ2, λ_het) library vs reference, each
/// divided by its allowed tolerance; > 1 means a failure.
fn worst_ratio(points: &[(f64, f64, f64)], tol: impl Fn(f64) -> f64) -> (f64, f64, f64, f64) {
    let (mut r1, mut r2, mut rh, mut max_dev) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    for &(v, t, z) in points {
        let (e1, e2, eh) = reference(v, t, z);
        let (l1, l2) = two_mode_eigenvalues(v, t, z);
        let lh = heterodyne_conditional_eigenvalue(v, t, z);
        let tl = tol(v);
        let (d1, d2, dh) = (rel_diff(l1, e1), rel_diff(l2, e2), rel_diff(lh, eh));
        assert!(
            d1 <= tl && d2 <= tl && dh <= tl,
            "V={v:e} T={t} Z={z:e}: λ1 {l1:e} vs {e1:e}, λ2 {l2:e} vs {e2:e}, λ_het {lh:e} vs {eh:e} (tol {tl:e})"
        );
        r1 = r1.max(d1 / tl);
        r2 = r2.max(d2 / tl);
        rh = rh.max(dh / tl);
        max_dev = max_dev.max(d1.max(d2).max(dh));
    }
    (r1, r2, rh, max_dev)
}

/// Grid plus random points with V_A in [1e-6, 1e3], T in (0, 1), Z from the
/// pure-loss value 1 − T up to large interference.
fn well_conditioned_points() -> Vec<(f64, f64, f64)> {
    let mut pts = Vec::new();
    for &va in &[1e-6, 1e-3, 0.1, 1.0, 2.5, 10.0, 100.0, 1e3] {
        for &t in &[1e-3, 0.05, 0.3, 0.5, 0.8, 0.99, 0.999] {
            for &extra in &[0.0, 1e-6, 0.01, 0.1, 1.0, 30.0, 1e3] {
                pts.push((va + 1.0, t, 1.0 - t + extra));
            }
        }
    }
    let mut rng = SplitMix(0x5eed_0001);
    for _ in 0..5000 {
        let va = rng.log_range(1e-6, 1e3);
        let t = rng.range(1e-3, 0.999);
        let extra = if rng.uniform() < 0.1 { 0.0 } else { rng.log_range(1e-8, 1e3) };
        pts.push((va + 1.0, t, 1.0 - t + extra));
    }
    pts
}

#[test]
fn closed_forms_match_general_eigensolve_well_conditioned() {
    let pts = well_conditioned_points();
    let (r1, r2, rh, dev) = worst_ratio(&pts, |_| 1e-9);
    println!(
        "{} points, V_A ≤ 1e3: max relative deviation {dev:e} (tol 1e-9; ratios λ1 {r1:e}, λ2 {r2:e}, λ_het {rh:e})",
        pts.len()
    );
}

#[test]
fn closed_forms_match_general_eigensolve_large_modulation() {
    let mut rng = SplitMix(0x5eed_0002);
    let pts: Vec<_> = (0..3000)
        .map(|_| {
            let va = rng.log_range(1e3, 1e8);
            let t = rng.range(1e-3, 0.999);
            (va + 1.0, t, 1.0 - t + rng.log_range(1e-8, 1e3))
        })
        .collect();
    let (r1, r2, rh, dev) = worst_ratio(&pts, |v| 1e-9 + 2000.0 * f64::EPSILON * v);
    println!(
        "{} points, 1e3 < V_A ≤ 1e8: max relative deviation {dev:e} (ratios to tol λ1 {r1:e}, λ2 {r2:e}, λ_het {rh:e})",
        pts.len()
    );
}

/// Textbook limits (golden values from the physics, not from the code):
/// - pure loss (Z = 1 − T): the AB state is purified by one mode of Eve, so λ2 = 1
///   and λ1 = T + (1 − T)·V (Eve's mode is the reflected EPR arm);
/// - V = 1 (no modulation): product of vacuum and a thermal mode of variance b,
///   so {λ1, λ2} = {b, 1} and λ_het = 1.
#[test]
fn textbook_limits() {
    for &t in &[0.01, 0.3, 0.5, 0.9] {
        for &va in &[0.5, 10.0, 1e3] {
            let v = va + 1.0;
            let (l1, l2) = two_mode_eigenvalues(v, t, 1.0 - t);
            assert!(rel_diff(l2, 1.0) < 1e-12, "pure loss λ2 = {l2}");
            assert!(rel_diff(l1, t + (1.0 - t) * v) < 1e-12, "pure loss λ1 = {l1}");
            let (e1, e2, _) = reference(v, t, 1.0 - t);
            assert!(rel_diff(e2, 1.0) < 1e-9 && rel_diff(e1, l1) < 1e-9, "reference at pure loss: {e1} {e2}");
        }
        let z = 0.7;
        let b = t + z;
        let (l1, l2) = two_mode_eigenvalues(1.0, t, z);
        assert!(rel_diff(l1.max(l2), b.max(1.0)) < 1e-14 && rel_diff(l1.min(l2), b.min(1.0)) < 1e-14);
        assert!(rel_diff(heterodyne_conditional_eigenvalue(1.0, t, z), 1.0) < 1e-15);
    }
}

/// The reference can fail: a relative perturbation of 1e-6 in Z is caught at
/// the tolerance used above, and so is the paper's printed eq. (19) reading
/// (homodyne conditioning, V − T(V²−1)/b, SPEC §8) in place of heterodyne.
#[test]
fn reference_detects_perturbations() {
    let pts: Vec<_> = well_conditioned_points().into_iter().step_by(7).collect();
    let mut caught_z = 0;
    let mut caught_hom = 0;
    let mut separable = 0;
    for &(v, t, z) in &pts {
        let (e1, e2, eh) = reference(v, t, z * (1.0 + 1e-6));
        let (l1, l2) = two_mode_eigenvalues(v, t, z);
        let lh = heterodyne_conditional_eigenvalue(v, t, z);
        if rel_diff(l1, e1) > 1e-9 || rel_diff(l2, e2) > 1e-9 || rel_diff(lh, eh) > 1e-9 {
            caught_z += 1;
        }
        let b = t * v + z;
        if t * (v * v - 1.0) / (b * (b + 1.0)) > 1e-7 * v {
            separable += 1;
            let (_, _, eh) = reference(v, t, z);
            let homodyne = v - t * (v * v - 1.0) / b;
            if rel_diff(homodyne, eh) > 1e-9 {
                caught_hom += 1;
            }
        }
    }
    // Z ≥ 1 − T ≥ 1e-3 here, so a 1e-6 change of Z moves λ1 or λ2 by ≫ 1e-9.
    assert_eq!(caught_z, pts.len());
    // Homodyne and heterodyne differ by T(V²−1)/(b(b+1)) (and λ_het ≤ V);
    // where that exceeds 1e-7·V the difference is ≫ 1e-9 relative and must be caught.
    assert!(separable > pts.len() / 2);
    assert_eq!(caught_hom, separable);
}
