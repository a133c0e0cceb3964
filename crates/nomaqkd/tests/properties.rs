//! One invariant suite over all conventions (STYLE §9), with proptest:
//!
//! 1. `standard` and `trusted` results are physical and never above the PLOB
//!    bound (any T in (0, 1), V_A ≤ 1e6 or silent, ξ ≤ 0.5, K ≤ 6, any order,
//!    access scheme and receiver);
//! 2. each user's SKR does not increase when every user's ξ is scaled up;
//! 3. relabelling the users (permuting the inputs and mapping the order)
//!    leaves each user's results unchanged;
//! 4. K = 1 equals the single-user formula of each convention, computed from
//!    the slow Gaussian-matrix references of tests/common, under every access
//!    scheme; and for V_A up to 1e6 it equals `user_rate` on a bare channel;
//! 5. h, the eigenvalues and the rates stay finite up to V_A = 1e15.
//!
//! Failures print the shrunk input, so each can be replayed by hand. Weaknesses
//! these properties found in src/ are fixed and kept as regression tests with
//! exact inputs at the end of the file; remaining rounding allowances are
//! documented at their use.

mod common;
use common::*;
use nomaqkd::entropy::{heterodyne_conditional_eigenvalue, trusted_conditional_eigenvalues, two_mode_eigenvalues};
use nomaqkd::rates::for_each_user_channel;
use nomaqkd::{
    evaluate, thermal_entropy, user_rate, Access, Convention, Model, Network, RateReport, Receiver, Settings,
    UserChannel,
};
use proptest::prelude::*;

/// One random multi-user scenario.
#[derive(Debug, Clone)]
struct Case {
    transmittance: Vec<f64>,
    modulation: Vec<f64>,
    excess_noise: Vec<f64>,
    order: Vec<usize>,
    access: Access,
    detector_noise: f64,
    detector_efficiency: f64,
    reconciliation_efficiency: f64,
}

impl Case {
    fn settings(&self, convention: Convention, model: Model) -> Settings {
        let rx = Receiver::new(self.detector_noise, self.detector_efficiency, self.reconciliation_efficiency).unwrap();
        Settings::new(convention, model, self.access, rx, false, true).unwrap()
    }
    fn network(&self) -> Network {
        Network::new(self.transmittance.clone(), self.excess_noise.clone()).unwrap()
    }
    /// Under `paper` the input is the EPR variance V_a (≥ 1, or 0 = silent):
    /// each active V_A becomes V_a = V_A + 1, the same state as the others'.
    fn modulation_for(&self, convention: Convention) -> Vec<f64> {
        let shift = if convention == Convention::Paper { 1.0 } else { 0.0 };
        self.modulation.iter().map(|&v| if v > 0.0 { v + shift } else { 0.0 }).collect()
    }
    fn evaluate(&self, convention: Convention, model: Model) -> RateReport {
        let settings = self.settings(convention, model);
        evaluate(&settings, &self.network(), &self.order, &self.modulation_for(convention)).unwrap()
    }
}

fn log_uniform(lo: f64, hi: f64) -> impl Strategy<Value = f64> {
    (lo.log10()..hi.log10()).prop_map(|e| 10f64.powf(e))
}

/// V_A: silent (10 %) or log-uniform in [1e-6, max].
fn modulation(max: f64) -> impl Strategy<Value = f64> {
    prop_oneof![1 => Just(0.0), 9 => log_uniform(1e-6, max)]
}

fn access() -> impl Strategy<Value = Access> {
    prop_oneof![Just(Access::Noma), Just(Access::Oma), Just(Access::Cih)]
}

fn case(max_users: usize, max_modulation: f64) -> impl Strategy<Value = Case> {
    (1..=max_users).prop_flat_map(move |k| {
        (
            prop::collection::vec(1e-4f64..0.9999, k),
            prop::collection::vec(modulation(max_modulation), k),
            prop::collection::vec(0.0f64..=0.5, k),
            Just((0..k).collect::<Vec<usize>>()).prop_shuffle(),
            access(),
            0.0f64..0.3,
            prop_oneof![1 => Just(1.0), 9 => 0.05f64..1.0],
            0.5f64..=1.0,
        )
            .prop_map(|(t, va, xi, order, access, d2, tau, eta)| Case {
                transmittance: t,
                modulation: va,
                excess_noise: xi,
                order,
                access,
                detector_noise: d2,
                detector_efficiency: tau,
                reconciliation_efficiency: eta,
            })
    })
}

/// Size of the terms a user's SKR is the difference of, η·I + χ (bits): the
/// scale for comparing rates that may cross zero.
fn term_scale(r: &nomaqkd::UserRate, eta: f64) -> f64 {
    eta * r.mutual_information.abs() + r.holevo.abs()
}

const PHYSICAL_CONVENTIONS: [(Convention, Model); 3] = [
    (Convention::Standard, Model::Exact),
    (Convention::Standard, Model::Asymptotic),
    (Convention::Trusted, Model::Exact),
];
const ALL: [(Convention, Model); 5] = [
    (Convention::Standard, Model::Exact),
    (Convention::Standard, Model::Asymptotic),
    (Convention::Trusted, Model::Exact),
    (Convention::Paper, Model::Exact),
    (Convention::Paper, Model::Asymptotic),
];

/// Violations of property 1 in a report (empty when it holds).
fn physical_plob_violations(r: &RateReport) -> Vec<String> {
    let mut v = Vec::new();
    for u in &r.users {
        if !u.rate.physical {
            v.push(format!("user {} unphysical, min λ = {:e}", u.user, u.rate.min_eigenvalue));
        }
        if u.rate.exceeds_plob || u.rate.secret_key_rate > u.rate.plob_bound {
            v.push(format!("user {} SKR {:e} > PLOB {:e}", u.user, u.rate.secret_key_rate, u.rate.plob_bound));
        }
    }
    v
}

/// Users of `after` whose SKR rose above `before`'s by more than 1e-12 of the
/// terms' size (property 2). Users for which the large-modulation model is
/// outside its range (`approximation_valid == Some(false)`, h = 0 used for an
/// approximate eigenvalue < 1) are skipped: there the approximation need not be
/// monotone (e.g. K = 1, T = 0.13688403547384823, V_A = 4.095567396076138,
/// ξ = 0.048781567894827245, δ² = 0, η = 0.5: asymptotic SKR −0.155087 → −0.155085
/// for ξ × 1.01, while the exact SKR falls −0.131652 → −0.131943).
fn rate_increases(before: &RateReport, after: &RateReport, eta: f64) -> Vec<String> {
    before
        .users
        .iter()
        .zip(&after.users)
        .filter(|(u, w)| u.rate.approximation_valid != Some(false) && w.rate.approximation_valid != Some(false))
        .filter(|(u, w)| w.rate.secret_key_rate > u.rate.secret_key_rate + 1e-12 * term_scale(&u.rate, eta))
        .map(|(u, w)| format!("user {}: SKR {:e} -> {:e}", u.user, u.rate.secret_key_rate, w.rate.secret_key_rate))
        .collect()
}

/// The same scenario with users relabelled: new user j is old user perm[j];
/// the SIC order is mapped so that the same physical users are decoded in the
/// same sequence.
fn relabel(c: &Case, perm: &[usize]) -> Case {
    let mut inverse = vec![0; perm.len()];
    for (j, &old) in perm.iter().enumerate() {
        inverse[old] = j;
    }
    Case {
        transmittance: perm.iter().map(|&i| c.transmittance[i]).collect(),
        modulation: perm.iter().map(|&i| c.modulation[i]).collect(),
        excess_noise: perm.iter().map(|&i| c.excess_noise[i]).collect(),
        order: c.order.iter().map(|&old| inverse[old]).collect(),
        ..c.clone()
    }
}

/// Rounding allowance (bits) for user `k`'s SKR under relabelling. The library
/// forms `cih`'s V_I,k = Σ_i T_i·V_A,i − T_k·V_A,k and every X_k = Σ_i T_i·ξ_i −
/// T_k·ξ_k (SPEC §3, §4.1) from a total summed in input order (directly for the
/// one user that dominates the total, see `cih_dominant_user_interference_is_exact`),
/// so relabelling may change them by a few ulp of the total.
/// The allowance is the SKR's spread when V_I and X move by 4ε of their totals.
fn relabel_allowance(settings: &Settings, c: &Case, conv: Convention, k: usize) -> f64 {
    let va = c.modulation_for(conv);
    let total_v: f64 = c.transmittance.iter().zip(&va).map(|(t, v)| t * v).sum();
    let total_x: f64 = c.transmittance.iter().zip(&c.excess_noise).map(|(t, x)| t * x).sum();
    let (dv, dx) = (4.0 * f64::EPSILON * total_v, 4.0 * f64::EPSILON * total_x);
    let mut spread = 0.0f64;
    for_each_user_channel(settings, &c.network(), &c.order, &va, |i, ch| {
        if i != k || ch.modulation_variance == 0.0 {
            return;
        }
        let base = user_rate(settings, &ch).secret_key_rate;
        for s in [-1.0, 1.0] {
            let shifted = UserChannel {
                interference: (ch.interference + s * dv).max(0.0),
                literal_interference: (ch.literal_interference + s * dv).max(0.0),
                other_excess_noise: (ch.other_excess_noise + s * dx).max(0.0),
                ..ch
            };
            spread = spread.max((user_rate(settings, &shifted).secret_key_rate - base).abs());
        }
    });
    spread
}

/// Single-user reference (I, χ) in bits for each convention, from the slow
/// Gaussian-matrix computations of tests/common (no library formula):
/// - `standard` (SPEC §4.1, K = 1): Z = 1 − T + T·ξ + δ², V = V_A + 1,
///   χ = S(AB) − S(A | heterodyne of B), I = ½·log2(det(γ_B + I)/det(γ_B|A + I));
/// - `trusted` (SPEC §4.2): the beam-splitter detector model of
///   tests/trusted_gaussian.rs (repeated here), Z = 1 − T + T·ξ;
/// - `paper` (SPEC §4.3): V = V_a, Z = (1 − T)·ξ + δ², the same χ, and
///   I = log2(1 + T·V_a/((1 − T)·ξ + δ²)) as printed (no shot noise).
fn single_user_reference(convention: Convention, t: f64, va: f64, xi: f64, d2: f64, tau: f64) -> (f64, f64) {
    let het_info = heterodyne_mutual_information;
    match convention {
        Convention::Standard => {
            let ab = two_mode_covariance(va + 1.0, t, 1.0 - t + t * xi + d2);
            let chi = gaussian_entropy(&ab) - gaussian_entropy(&condition_on_heterodyne(&ab, 1));
            (het_info(&ab), chi)
        }
        Convention::Trusted => {
            let ab = two_mode_covariance(va + 1.0, t, 1.0 - t + t * xi);
            let v_noise = if d2 == 0.0 { 1.0 } else { 1.0 + d2 / (1.0 - tau) };
            let s = beam_splitter(4, 1, 2, tau);
            let g = &s * direct_sum(&ab, &epr_covariance(v_noise)) * s.transpose();
            let chi = gaussian_entropy(&ab) - gaussian_entropy(&condition_on_heterodyne(&g, 1));
            let a_b2 = g.view((0, 0), (4, 4)).into_owned();
            (het_info(&a_b2), chi)
        }
        Convention::Paper => {
            let ab = two_mode_covariance(va, t, (1.0 - t) * xi + d2);
            let chi = gaussian_entropy(&ab) - gaussian_entropy(&condition_on_heterodyne(&ab, 1));
            ((1.0 + t * va / ((1.0 - t) * xi + d2)).log2(), chi)
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(5000))]

    #[test]
    fn physical_and_below_plob(c in case(6, 1e6)) {
        for (conv, model) in PHYSICAL_CONVENTIONS {
            let v = physical_plob_violations(&c.evaluate(conv, model));
            prop_assert!(v.is_empty(), "{conv}/{model}: {v:?}");
        }
    }

    #[test]
    fn rates_fall_as_excess_noise_rises(c in case(6, 1e6), factor in 1.01f64..10.0) {
        let mut noisier = c.clone();
        for x in &mut noisier.excess_noise {
            *x *= factor;
        }
        for (conv, model) in PHYSICAL_CONVENTIONS {
            let (a, b) = (c.evaluate(conv, model), noisier.evaluate(conv, model));
            let v = rate_increases(&a, &b, c.reconciliation_efficiency);
            prop_assert!(v.is_empty(), "{conv}/{model}, ξ × {factor}: {v:?}");
        }
    }

    #[test]
    fn relabelling_users_changes_nothing(
        (c, perm) in case(6, 1e6).prop_flat_map(|c| {
            let k = c.transmittance.len();
            (Just(c), Just((0..k).collect::<Vec<usize>>()).prop_shuffle())
        })
    ) {
        let d = relabel(&c, &perm);
        for (conv, model) in ALL {
            let (a, b) = (c.evaluate(conv, model), d.evaluate(conv, model));
            let settings = c.settings(conv, model);
            for (j, &old) in perm.iter().enumerate() {
                let (u, w) = (&a.users[old].rate, &b.users[j].rate);
                let scale = term_scale(u, c.reconciliation_efficiency).max(f64::MIN_POSITIVE);
                let allowance = relabel_allowance(&settings, &c, conv, old);
                for (name, x, y) in [
                    ("I", u.mutual_information, w.mutual_information),
                    ("χ", u.holevo, w.holevo),
                    ("SKR", u.secret_key_rate, w.secret_key_rate),
                ] {
                    prop_assert!((x - y).abs() <= 1e-12 * scale + 2.0 * allowance,
                        "{conv}/{model}: old user {old} = new user {j}: {name} {x:e} vs {y:e} (allowance {allowance:e})");
                }
                prop_assert_eq!(u.physical, w.physical);
                prop_assert_eq!(u.silent, w.silent);
                prop_assert_eq!(u.plob_bound, w.plob_bound);
                // V_I is a sum in input order (`cih`: total minus own term), so
                // only its rounding may differ: 1e-12 of the total received power.
                let (x, y) = (a.users[old].interference, b.users[j].interference);
                let total: f64 = c.transmittance.iter().zip(&c.modulation_for(conv)).map(|(t, v)| t * v).sum();
                prop_assert!((x - y).abs() <= 1e-12 * (1.0 + total), "{conv}/{model}: V_I {x:e} vs {y:e}");
            }
            let (s1, s2) = (a.sum_secret_key_rate, b.sum_secret_key_rate);
            let scale: f64 = a.users.iter().map(|u| term_scale(&u.rate, c.reconciliation_efficiency)).sum();
            let allowance: f64 = (0..perm.len()).map(|k| relabel_allowance(&settings, &c, conv, k)).sum();
            prop_assert!((s1 - s2).abs() <= 1e-12 * scale.max(f64::MIN_POSITIVE) + 2.0 * allowance,
                "{conv}/{model}: sums {s1:e} vs {s2:e}");
        }
    }

    #[test]
    fn single_user_equals_single_user_formula(
        t in 1e-3f64..0.999,
        va in log_uniform(1e-3, 1e3),
        xi in 0.0f64..=0.5,
        d2 in 0.0f64..0.3,
        tau in 0.05f64..0.98,
        eta in 0.5f64..=1.0,
        access in access(),
    ) {
        for conv in [Convention::Standard, Convention::Trusted, Convention::Paper] {
            // Paper's I has no shot noise: keep its denominator away from 0.
            if conv == Convention::Paper && (1.0 - t) * xi + d2 < 1e-3 {
                continue;
            }
            let c = Case {
                transmittance: vec![t],
                modulation: vec![va],
                excess_noise: vec![xi],
                order: vec![0],
                access,
                detector_noise: d2,
                detector_efficiency: tau,
                reconciliation_efficiency: eta,
            };
            let u = c.evaluate(conv, Model::Exact).users[0].rate;
            let (info, chi) = single_user_reference(conv, t, c.modulation_for(conv)[0], xi, d2, tau);
            // χ is a difference of entropies: compared on the scale of the rate's
            // terms. (`trusted` needed an extra 1e-10 bits while λ3, λ4 came from
            // C² − 4D by subtraction, e.g. T = 0.001, V_A = 0.00799537455602122,
            // ξ = δ² = 0, τ_d = 0.05: χ = 6.36526e-9 vs 6.3653026e-9 (mpmath); fixed.)
            let tol = 1e-8 * (eta * info.abs() + chi.abs());
            prop_assert!(rel_diff(u.mutual_information, info) <= 1e-9, "{conv}: I {:e} vs {info:e}", u.mutual_information);
            prop_assert!((u.holevo - chi).abs() <= tol, "{conv}: χ {:e} vs {chi:e}", u.holevo);
            prop_assert!((u.secret_key_rate - (eta * info - chi)).abs() <= tol, "{conv}: SKR {:e} vs {:e}", u.secret_key_rate, eta * info - chi);
        }
    }

    #[test]
    fn single_user_is_the_bare_channel_rate(c in case(1, 1e6)) {
        for (conv, model) in ALL {
            let r = c.evaluate(conv, model);
            let bare = UserChannel {
                transmittance: c.transmittance[0],
                modulation_variance: c.modulation_for(conv)[0],
                excess_noise: c.excess_noise[0],
                other_excess_noise: 0.0,
                interference: 0.0,
                literal_interference: 0.0,
            };
            let want = user_rate(&c.settings(conv, model), &bare);
            prop_assert_eq!(r.users[0].rate, want);
            prop_assert_eq!(r.users[0].slot_fraction, 1.0);
            prop_assert_eq!(r.sum_secret_key_rate, want.secret_key_rate);
        }
    }

    #[test]
    fn finite_up_to_huge_modulation(c in case(6, 1e15), x in log_uniform(1.0, 1e300)) {
        let h = thermal_entropy(x);
        prop_assert!(h.is_finite() && h >= 0.0);
        for (conv, model) in ALL {
            let r = c.evaluate(conv, model);
            for u in &r.users {
                let q = u.rate;
                prop_assert!(q.mutual_information.is_finite() && q.holevo.is_finite() && q.secret_key_rate.is_finite(),
                    "{conv}/{model}: user {} {q:?}", u.user);
                prop_assert!(q.min_eigenvalue.is_finite() || q.silent, "{conv}/{model}: user {} min λ {:e}", u.user, q.min_eigenvalue);
            }
            prop_assert!(r.sum_secret_key_rate.is_finite() && r.sum_secret_key_rate_clipped.is_finite());
        }
    }

    #[test]
    fn eigenvalues_finite_up_to_huge_modulation(va in log_uniform(1e-6, 1e15), t in 1e-4f64..0.9999, z_extra in log_uniform(1e-9, 1e15), chi_het in 1.0f64..50.0) {
        let v = va + 1.0;
        let z = 1.0 - t + z_extra;
        let (l1, l2) = two_mode_eigenvalues(v, t, z);
        let lh = heterodyne_conditional_eigenvalue(v, t, z);
        let (l3, l4) = trusted_conditional_eigenvalues(v, t, z, chi_het, l1, l2);
        for (name, l) in [("λ1", l1), ("λ2", l2), ("λ_het", lh), ("λ3", l3), ("λ4", l4)] {
            prop_assert!(l.is_finite() && l > 0.0, "{name} = {l:e}");
            prop_assert!(thermal_entropy(l).is_finite());
        }
        // A physical state (Z ≥ 1 − T) has every eigenvalue ≥ 1 (SPEC §2 tolerance 1e-9).
        prop_assert!(l2 >= 1.0 - 1e-9 && lh >= 1.0 - 1e-9, "λ2 {l2:e} λ_het {lh:e}");
        // λ3, λ4 only to 1e-7: SPEC §4.2's C² − 4D cancels when both are ≈ 1 and
        // can push λ4 below 1 − 1e-9 (reported; `trusted_physical_state_is_flagged_physical`).
        prop_assert!(l3 >= 1.0 - 1e-7 && l4 >= 1.0 - 1e-7, "λ3 {l3:e} λ4 {l4:e}");
    }
}

/// The properties can fail: the checkers flag SPEC checkpoint "K1 paper
/// convention, unphysical" (T = 0.5, V_a = 1e8, ξ = 0.1, δ² = 0.16:
/// `physical: false` in checkpoints/rates.json) and a rate *rise* when ξ is
/// scaled down instead of up; a wrong order mapping breaks relabelling.
#[test]
fn property_checkers_can_fail() {
    let paper = Case {
        transmittance: vec![0.5],
        modulation: vec![1e8],
        excess_noise: vec![0.1],
        order: vec![0],
        access: Access::Noma,
        detector_noise: 0.16,
        detector_efficiency: 0.6,
        reconciliation_efficiency: 0.92,
    };
    assert!(!physical_plob_violations(&paper.evaluate(Convention::Paper, Model::Exact)).is_empty());

    let c = Case {
        transmittance: vec![0.8, 0.4, 0.6],
        modulation: vec![20.0, 50.0, 5.0],
        excess_noise: vec![0.1, 0.05, 0.2],
        order: vec![0, 2, 1],
        ..paper.clone()
    };
    let mut quieter = c.clone();
    quieter.excess_noise.iter_mut().for_each(|x| *x *= 0.5);
    for (conv, model) in PHYSICAL_CONVENTIONS {
        let (a, b) = (c.evaluate(conv, model), quieter.evaluate(conv, model));
        assert!(physical_plob_violations(&a).is_empty());
        assert_eq!(rate_increases(&b, &a, 0.92).len(), 0);
        assert_eq!(rate_increases(&a, &b, 0.92).len(), 3, "{conv}/{model}: less noise must raise every rate");
    }
    // Relabel without mapping the order: user 1 (T = 0.4) is then decoded
    // second instead of last, and its rate changes.
    let perm = [2, 0, 1];
    let good = relabel(&c, &perm);
    let bad = Case { order: c.order.clone(), ..good.clone() };
    let a = c.evaluate(Convention::Standard, Model::Exact);
    let g = good.evaluate(Convention::Standard, Model::Exact);
    let b = bad.evaluate(Convention::Standard, Model::Exact);
    assert_eq!(a.users[1].rate.secret_key_rate, g.users[2].rate.secret_key_rate);
    assert!(rel_diff(a.users[1].rate.secret_key_rate, b.users[2].rate.secret_key_rate) > 1e-3);
}

/// Regression (found by `relabelling_users_changes_nothing`, fixed in src/rates.rs):
/// under `cih`, V_I,k computed as (Σ_i T_i·V_A,i) − T_k·V_A,k cancelled when user k
/// dominates the received power. Minimal input (SPEC §4.3 `paper`, δ² = 0, ξ = 0, so I's
/// denominator is V_I alone): user 2 got V_I = 3.0000339029e-4 instead of
/// Σ_{i≠2} T_i·V_a,i = 3.0000341605e-4 (8.6e-8 relative). The dominant user's sum is
/// now taken directly.
#[test]
fn cih_dominant_user_interference_is_exact() {
    let t = [0.0001, 0.0001, 0.44694722716378166, 0.0001];
    let va = [2.0, 1.0000341604755514, 606299.6903533958, 0.0];
    let rx = Receiver::new(0.0, 1.0, 0.5).unwrap();
    for conv in [Convention::Paper, Convention::Standard] {
        let st = Settings::new(conv, Model::Exact, Access::Cih, rx, false, true).unwrap();
        let r = evaluate(&st, &Network::new(t.to_vec(), vec![0.0]).unwrap(), &[0, 1, 2, 3], &va).unwrap();
        let direct = t[0] * va[0] + t[1] * va[1] + t[3] * va[3];
        let got = r.users[2].interference;
        assert!(rel_diff(got, direct) <= 1e-14, "{conv}: V_I = {got:e}, Σ_(i≠2) T_i·V_i = {direct:e}");
    }
}

/// Known failure, reported, not fixed here (src/ is not ours): `trusted`
/// flags physical states as unphysical at small V_A. The state below is a
/// valid Gaussian state (pure loss, ξ = 0; the exact λ4 is 1), but SPEC §4.2's
/// λ3² = (C + √(C² − 4D))/2 forms C² − 4D = (λ3² − λ4²)² ≈ 0 by subtracting
/// two numbers ≈ 4, and λ4 = √D/λ3 comes out below 1 − 1e-9. A scan (random
/// V_A in [1e-9, 1e2], τ_d in {1, 0.6, random}) found this up to
/// V_A = 2.9e-5; the eigenvalue proptest found λ4 = 0.99999999896 at V =
/// 1 + 1.109268873970778e-6, T = 0.9689647128251565, Z = 1 − T + 2.3582065425275014e-9,
/// χ_het = 1 (exact λ4 = 1 + 4e-45, mpmath).
#[test]

fn trusted_physical_state_is_flagged_physical() {
    // (T, V_A, ξ, δ², τ_d): the first with the default receiver.
    for (t, va, xi, d2, tau) in [
        (0.9567504296775582, 1.4586485296667471e-9, 0.0, 0.0256, 0.6),
        (0.9954061494825008, 2.0510271655497375e-5, 0.0, 0.0, 0.6),
    ] {
        let rx = Receiver::new(d2, tau, 0.92).unwrap();
        let st = Settings::new(Convention::Trusted, Model::Exact, Access::Noma, rx, false, true).unwrap();
        let r = evaluate(&st, &Network::new(vec![t], vec![xi]).unwrap(), &[0], &[va]).unwrap();
        assert!(
            r.users[0].rate.physical,
            "T={t} V_A={va:e}: min λ = {:e}; warnings {:?}",
            r.users[0].rate.min_eigenvalue, r.warnings
        );
    }
}

/// Regression (review of the batched kernel): an excess noise ξ above ~1e154 SNU made
/// Δ² overflow in the symplectic eigenvalues and χ NaN, with exit code 0. ξ is now capped
/// at 1e60 SNU (like V_A); at the cap, with V_A also at its cap and every user at both, all
/// figures are finite under every convention, model and access scheme.
#[test]
fn excess_noise_is_capped_and_finite_at_the_cap() {
    let err = Network::new(vec![0.5, 0.3], vec![0.1, 1e61]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "excess_noise: value 1e61 for user 1 is not allowed; expected a finite number in [0, 1e60] SNU"
    );
    for (xi, va) in [(1e60f64, 1e60f64), (1e60, 1.0), (1e60, 0.0), (0.0, 1e60)] {
        for convention in [Convention::Standard, Convention::Trusted, Convention::Paper] {
            for model in [Model::Exact, Model::Asymptotic] {
                for access in [Access::Noma, Access::Oma, Access::Cih] {
                    let Ok(st) = Settings::new(convention, model, access, Receiver::default(), false, true) else {
                        continue;
                    };
                    let net = Network::new(vec![0.9, 0.5, 1e-9], vec![xi]).unwrap();
                    let va = if convention == Convention::Paper && va > 0.0 { va.max(1.0) } else { va };
                    let r = evaluate(&st, &net, &net.gain_order(), &[va, va, va]).unwrap();
                    for u in &r.users {
                        let f = &u.rate;
                        assert!(
                            [f.mutual_information, f.holevo, f.secret_key_rate, f.plob_bound]
                                .iter()
                                .all(|x| x.is_finite()),
                            "{convention}/{model}/{access}, xi = {xi:e}, V_A = {va:e}: {f:?}"
                        );
                    }
                }
            }
        }
    }
}
