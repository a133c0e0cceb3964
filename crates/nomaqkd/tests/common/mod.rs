//! Slow, obvious Gaussian-state references shared by the integration tests.
//!
//! Nothing here calls the library: covariance matrices are built entry by
//! entry, symplectic eigenvalues come from a general (non-symmetric) eigen-solve
//! of Ωγ (nalgebra's real Schur decomposition), conditioning on a heterodyne
//! measurement is the textbook Schur complement with (γ_B + I)⁻¹, and the
//! entropy is the printed eq. (9) of the paper. All variances in SNU (vacuum = 1).
#![allow(dead_code)]

use nalgebra::DMatrix;

/// Thermal entropy (bits) in the printed form of the paper's eq. (9),
/// g(x) = ((x+1)/2)·log2((x+1)/2) − ((x−1)/2)·log2((x−1)/2), and 0 for x ≤ 1.
/// Independent of `nomaqkd::thermal_entropy` (which uses a rearranged form);
/// accurate to ~1e-15·x·log2(x) absolute, i.e. fine for x ≲ 1e6.
pub fn entropy_printed(x: f64) -> f64 {
    if x <= 1.0 {
        return 0.0;
    }
    let p = 0.5 * (x + 1.0);
    let m = 0.5 * (x - 1.0);
    p * p.log2() - m * m.log2()
}

/// The symplectic form Ω = ⊕_modes [[0, 1], [−1, 0]] for `modes` modes
/// (quadrature order x1, p1, x2, p2, …).
pub fn omega(modes: usize) -> DMatrix<f64> {
    let mut w = DMatrix::zeros(2 * modes, 2 * modes);
    for m in 0..modes {
        w[(2 * m, 2 * m + 1)] = 1.0;
        w[(2 * m + 1, 2 * m)] = -1.0;
    }
    w
}

/// Symplectic eigenvalues of a covariance matrix γ (2n×2n), ascending:
/// the eigenvalues of Ωγ are ±i·ν_j, found here with a general real eigen-solver
/// (Schur); each ν_j is the mean of the pair's |Im|.
pub fn symplectic_eigenvalues(gamma: &DMatrix<f64>) -> Vec<f64> {
    let n = gamma.nrows();
    assert!(n % 2 == 0 && gamma.ncols() == n);
    let m = omega(n / 2) * gamma;
    let eig = m.complex_eigenvalues();
    let mut im: Vec<f64> = eig.iter().map(|c| c.im.abs()).collect();
    im.sort_by(f64::total_cmp);
    im.chunks(2).map(|p| 0.5 * (p[0] + p[1])).collect()
}

/// Von Neumann entropy (bits) of a Gaussian state: Σ_j g(ν_j).
pub fn gaussian_entropy(gamma: &DMatrix<f64>) -> f64 {
    symplectic_eigenvalues(gamma).into_iter().map(entropy_printed).sum()
}

/// 2×2 block of `modes`·2 × `modes`·2 matrices: σz = diag(1, −1).
pub fn sigma_z() -> DMatrix<f64> {
    DMatrix::from_row_slice(2, 2, &[1.0, 0.0, 0.0, -1.0])
}

/// Two-mode covariance matrix of SPEC §2, built entry by entry:
/// [[V·I, c·σz], [c·σz, b·I]], c = √(T(V²−1)), b = T·V + Z. Modes (A, B).
pub fn two_mode_covariance(v: f64, t: f64, z: f64) -> DMatrix<f64> {
    let c = (t * (v * v - 1.0)).sqrt();
    let b = t * v + z;
    DMatrix::from_row_slice(4, 4, &[v, 0.0, c, 0.0, 0.0, v, 0.0, -c, c, 0.0, b, 0.0, 0.0, -c, 0.0, b])
}

/// EPR (two-mode squeezed vacuum) covariance of variance `v`: [[v·I, √(v²−1)·σz], [√(v²−1)·σz, v·I]].
pub fn epr_covariance(v: f64) -> DMatrix<f64> {
    let c = (v * v - 1.0).max(0.0).sqrt();
    DMatrix::from_row_slice(4, 4, &[v, 0.0, c, 0.0, 0.0, v, 0.0, -c, c, 0.0, v, 0.0, 0.0, -c, 0.0, v])
}

/// Direct sum of two covariance matrices (independent subsystems).
pub fn direct_sum(a: &DMatrix<f64>, b: &DMatrix<f64>) -> DMatrix<f64> {
    let (na, nb) = (a.nrows(), b.nrows());
    let mut m = DMatrix::zeros(na + nb, na + nb);
    m.view_mut((0, 0), (na, na)).copy_from(a);
    m.view_mut((na, na), (nb, nb)).copy_from(b);
    m
}

/// Symplectic matrix of a beam splitter of transmittance `tau` acting on modes
/// `i` (signal) and `j` (ancilla) of an n-mode system:
/// out_i = √τ·in_i + √(1−τ)·in_j, out_j = −√(1−τ)·in_i + √τ·in_j (both quadratures).
pub fn beam_splitter(modes: usize, i: usize, j: usize, tau: f64) -> DMatrix<f64> {
    let mut s = DMatrix::identity(2 * modes, 2 * modes);
    let (ct, st) = (tau.sqrt(), (1.0 - tau).sqrt());
    for q in 0..2 {
        let (a, b) = (2 * i + q, 2 * j + q);
        s[(a, a)] = ct;
        s[(a, b)] = st;
        s[(b, a)] = -st;
        s[(b, b)] = ct;
    }
    s
}

/// Covariance of the other modes conditioned on an ideal heterodyne of mode
/// `measured` (one of the n modes): γ_rest − σ (γ_m + I)⁻¹ σᵀ, with σ the
/// rest–measured correlation block. Returns the (2n−2)×(2n−2) matrix, the
/// remaining modes in their original order.
pub fn condition_on_heterodyne(gamma: &DMatrix<f64>, measured: usize) -> DMatrix<f64> {
    let n = gamma.nrows();
    let rest: Vec<usize> = (0..n).filter(|&r| r / 2 != measured).collect();
    let meas = [2 * measured, 2 * measured + 1];
    let g_rest = DMatrix::from_fn(rest.len(), rest.len(), |r, c| gamma[(rest[r], rest[c])]);
    let g_m = DMatrix::from_fn(2, 2, |r, c| gamma[(meas[r], meas[c])]);
    let sigma = DMatrix::from_fn(rest.len(), 2, |r, c| gamma[(rest[r], meas[c])]);
    let inv = (g_m + DMatrix::identity(2, 2)).try_inverse().expect("γ_m + I is positive definite");
    &g_rest - &sigma * inv * sigma.transpose()
}

/// Deterministic pseudo-random numbers for grids (SplitMix64), so that each
/// failing point can be reproduced from the seed.
pub struct SplitMix(pub u64);

impl SplitMix {
    /// Next uniform number in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Uniform in [lo, hi).
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.uniform()
    }
    /// Log-uniform in [lo, hi), lo > 0.
    pub fn log_range(&mut self, lo: f64, hi: f64) -> f64 {
        (lo.ln() + (hi.ln() - lo.ln()) * self.uniform()).exp()
    }
}

/// Relative difference |a − b| / max(|a|, |b|) (0 when both are 0).
pub fn rel_diff(a: f64, b: f64) -> f64 {
    let m = a.abs().max(b.abs());
    if m == 0.0 {
        0.0
    } else {
        (a - b).abs() / m
    }
}

/// Mutual information (bits) between ideal heterodyne outcomes on mode 0 (A)
/// and mode 1 (B) of a two-mode covariance matrix (4×4): per quadrature
/// ½·log2(Var(x_B)/Var(x_B | x_A)), with outcome covariances (γ + I)/2, i.e.
/// over both quadratures I = −½·log2 det(I − M), M = (γ_B + I)⁻¹·σ_ABᵀ(γ_A + I)⁻¹σ_AB.
/// For weak correlations det(I − M) = 1 − tr M + det M goes through ln_1p (I ≪ 1
/// keeps its relative accuracy); for strong ones (det(I − M) < ½) the ratio
/// det(γ_B|A + I)/det(γ_B + I) is taken from the conditioned matrix directly.
pub fn heterodyne_mutual_information(ab: &DMatrix<f64>) -> f64 {
    assert_eq!(ab.nrows(), 4);
    let id = DMatrix::<f64>::identity(2, 2);
    let ga = ab.view((0, 0), (2, 2)).into_owned();
    let gb = ab.view((2, 2), (2, 2)).into_owned();
    let s = ab.view((0, 2), (2, 2)).into_owned();
    let ga_inv = (ga + &id).try_inverse().expect("γ_A + I is positive definite");
    let gb_inv = (gb.clone() + &id).try_inverse().expect("γ_B + I is positive definite");
    let m = gb_inv * s.transpose() * &ga_inv * &s;
    let x = m.determinant() - m.trace();
    if x > -0.5 {
        -0.5 * x.ln_1p() / std::f64::consts::LN_2
    } else {
        let b_given_a = condition_on_heterodyne(ab, 0);
        0.5 * ((gb + &id).determinant() / (b_given_a + &id).determinant()).log2()
    }
}
