//! Power allocation (SPEC §7): gradients, feasibility, monotone ascent, agreement with
//! independent searches written here (grid + polish, random points + projected gradient).
//! No expected value below comes from our own optimizer: references are computed in the
//! test from `sum_rates` (the rate engine, checked against SPEC checkpoints elsewhere).

use nomaqkd::alloc::sca::{objective_gradient, sca, Bounds, Workspace};
use nomaqkd::alloc::{optimize, Objective, Policy, Problem, Status};
use nomaqkd::convention::{Access, Convention, Model, Receiver};
use nomaqkd::{sum_rates, Network, Settings};
use proptest::prelude::*;

fn settings(c: Convention, m: Model, a: Access, lit: bool) -> Settings {
    Settings::new(c, m, a, Receiver::default(), lit, true).unwrap()
}

fn all_settings() -> Vec<Settings> {
    let mut out = Vec::new();
    for a in [Access::Noma, Access::Cih, Access::Oma] {
        out.push(settings(Convention::Standard, Model::Exact, a, false));
        out.push(settings(Convention::Standard, Model::Asymptotic, a, false));
        out.push(settings(Convention::Trusted, Model::Exact, a, false));
        out.push(settings(Convention::Paper, Model::Exact, a, false));
        out.push(settings(Convention::Paper, Model::Asymptotic, a, false));
        out.push(settings(Convention::Paper, Model::Exact, a, true));
    }
    out
}

/// The objective on a fixed active set, straight from the rate engine: raw sum
/// (silent users, V = 0, contribute 0).
fn f(s: &Settings, net: &Network, order: &[usize], v: &[f64]) -> f64 {
    sum_rates(s, net, order, v).0
}

/// Independent projection: bisection on μ for clip(y − μT, lo, hi), Euclidean.
fn proj(y: &[f64], t: &[f64], lo: &[f64], hi: &[f64], b: f64) -> Vec<f64> {
    let at = |mu: f64| -> Vec<f64> { (0..y.len()).map(|i| (y[i] - mu * t[i]).clamp(lo[i], hi[i])).collect() };
    let tot = |v: &[f64]| v.iter().zip(t).map(|(a, b)| a * b).sum::<f64>();
    if tot(&at(0.0)) <= b {
        return at(0.0);
    }
    let (mut l, mut u) = (0.0, 1.0);
    while tot(&at(u)) > b {
        u *= 2.0;
    }
    for _ in 0..200 {
        let m = 0.5 * (l + u);
        if tot(&at(m)) > b {
            l = m
        } else {
            u = m
        }
    }
    at(u)
}

/// Central finite-difference gradient of the engine's objective, on active users.
fn fd_grad(s: &Settings, net: &Network, order: &[usize], v: &[f64]) -> Vec<f64> {
    (0..v.len())
        .map(|i| {
            if v[i] == 0.0 {
                return 0.0;
            }
            // Fourth-order central stencil, relative step 1e-4.
            let h = 1e-4 * v[i].max(1e-3);
            let at = |d: f64| {
                let mut a = v.to_vec();
                a[i] += d;
                f(s, net, order, &a)
            };
            (-at(2.0 * h) + 8.0 * at(h) - 8.0 * at(-h) + at(-2.0 * h)) / (12.0 * h)
        })
        .collect()
}

/// Test-side polish: projected gradient ascent in u = ln v with FD gradients and
/// backtracking, from a feasible point.
fn polish(s: &Settings, net: &Network, order: &[usize], lo: &[f64], hi: &[f64], b: f64, v0: Vec<f64>) -> f64 {
    let t = net.transmittance();
    let mut v = v0;
    let mut fv = f(s, net, order, &v);
    let mut step = 1.0;
    for _ in 0..300 {
        let g = fd_grad(s, net, order, &v);
        let mut improved = false;
        while step > 1e-14 {
            let y: Vec<f64> = (0..v.len()).map(|i| v[i] + step * g[i] * (v[i] + 1.0).powi(2)).collect();
            let w = proj(&y, t, lo, hi, b);
            let fw = f(s, net, order, &w);
            if fw > fv + 1e-15 {
                v = w;
                fv = fw;
                improved = true;
                step *= 2.0;
                break;
            }
            step *= 0.5;
        }
        if !improved {
            break;
        }
    }
    fv
}

#[test]
fn gradient_matches_finite_differences_for_every_convention() {
    let net = Network::new(vec![0.9, 0.6, 0.35, 0.2], vec![0.1, 0.05, 0.02, 0.08]).unwrap();
    let order = vec![1, 0, 3, 2];
    let mut ws = Workspace::default();
    for s in all_settings() {
        for v in [vec![3.0, 7.0, 1.5, 20.0], vec![300.0, 1.2, 50.0, 4.0], vec![2.0, 0.0, 9.0, 3.0]] {
            let mut g = vec![0.0; 4];
            let val = objective_gradient(&s, &net, &order, &v, Some(&mut g), &mut ws);
            assert!((val - f(&s, &net, &order, &v)).abs() <= 1e-12 * val.abs().max(1.0));
            let fd = fd_grad(&s, &net, &order, &v);
            let scale = fd.iter().fold(0.0f64, |m, x| m.max(x.abs()));
            for i in 0..4 {
                if v[i] == 0.0 {
                    continue;
                }
                let tol = 1e-6 * fd[i].abs().max(1e-3 * scale) + 1e-10;
                assert!((g[i] - fd[i]).abs() <= tol, "{s:?} v={v:?} i={i}: analytic {} fd {}", g[i], fd[i]);
            }
        }
    }
}

fn scenario() -> impl Strategy<Value = (Vec<f64>, Vec<f64>, f64, usize)> {
    (1usize..=6).prop_flat_map(|k| {
        (
            proptest::collection::vec(0.05f64..0.95, k),
            proptest::collection::vec(0.0f64..0.2, k),
            1.0f64..5.0,             // log10 budget
            0..all_settings().len(), // every access scheme and convention
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// SPEC §7: the SCA objective never decreases; iterates stay feasible (1e-12 relative).
    #[test]
    fn sca_ascends_monotonically_and_stays_feasible((t, xi, lb, which) in scenario()) {
        let s = all_settings()[which];
        let net = Network::new(t.clone(), xi).unwrap();
        let order = net.gain_order();
        let b = 10f64.powf(lb);
        let k = t.len();
        let vmin = if s.convention() == Convention::Paper { 1.0 } else { 1e-6 };
        prop_assume!(b > vmin * t.iter().sum::<f64>());
        let bounds = Bounds { lo: vec![vmin; k], hi: t.iter().map(|x| b / x).collect(), budget: b };
        let start: Vec<f64> = (0..k).map(|i| b / (k as f64 * t[i])).collect();
        let run = sca(&s, &net, &order, &bounds, &start, 1e-9, 60);
        for w in run.history.windows(2) {
            prop_assert!(w[1] >= w[0], "decrease {} -> {}", w[0], w[1]);
        }
        let used: f64 = run.v.iter().zip(&t).map(|(v, t)| v * t).sum();
        prop_assert!(used <= b * (1.0 + 1e-12));
        prop_assert!(run.v.iter().all(|&v| v >= vmin));
    }

    /// The library projection (Euclidean weights) equals an independent bisection
    /// projection and is feasible to 1e-12 relative.
    #[test]
    fn projection_is_exact_and_feasible(
        y in proptest::collection::vec(-50.0f64..500.0, 1..12),
        seed in 0.05f64..0.95,
        b in 0.5f64..300.0,
    ) {
        let n = y.len();
        let t: Vec<f64> = (0..n).map(|i| 0.05 + ((seed * 7.0 + i as f64 * 0.37) % 0.9)).collect();
        let lo: Vec<f64> = (0..n).map(|i| if i % 3 == 0 { 0.0 } else { 1e-3 }).collect();
        let hi: Vec<f64> = (0..n).map(|i| if i % 2 == 0 { 80.0 } else { f64::INFINITY }).collect();
        prop_assume!(lo.iter().zip(&t).map(|(a, b)| a * b).sum::<f64>() < b);
        let mut out = vec![0.0; n];
        nomaqkd::alloc::projection::project(&y, &vec![1.0; n], &t, &lo, &hi, b, &mut out);
        let r = proj(&y, &t, &lo, &hi, b);
        let used: f64 = out.iter().zip(&t).map(|(a, b)| a * b).sum();
        prop_assert!(used <= b * (1.0 + 1e-12));
        for i in 0..n {
            prop_assert!(out[i] >= lo[i] && out[i] <= hi[i]);
            prop_assert!((out[i] - r[i]).abs() <= 1e-9 * (1.0 + r[i].abs()), "{i}: {} vs {}", out[i], r[i]);
        }
    }

    /// Every returned allocation respects the budget and the caps (1e-12 relative).
    #[test]
    fn policies_are_feasible((t, xi, lb, which) in scenario(), cap in 1.0f64..100.0) {
        let s = all_settings()[which];
        let net = Network::new(t.clone(), xi).unwrap();
        let b = 10f64.powf(lb);
        let mut p = Problem::new(&s, &net, b).unwrap();
        p.user_max_variance = vec![cap; t.len()];
        p.starts = 4;
        for pol in [Policy::Sca, Policy::Global, Policy::Qoma, Policy::Uqpa, Policy::Cih, Policy::OmaBest] {
            p.policy = pol;
            let a = optimize(&s, &net, &p).unwrap();
            let v = a.powers();
            let used: f64 = v.iter().zip(&t).map(|(v, t)| v * t).sum();
            prop_assert!(used <= b * (1.0 + 1e-12), "{pol}: {used} > {b}");
            prop_assert!(v.iter().all(|&x| x <= cap * (1.0 + 1e-12)), "{pol}: cap");
        }
    }
}

/// K ≤ 3: `global` matches an exhaustive fine log grid over every active set, polished
/// by test-side projected gradient, to 1e-6 relative (standard and paper conventions).
#[test]
fn global_matches_exhaustive_grid_for_small_k() {
    let cases = [
        (settings(Convention::Standard, Model::Exact, Access::Noma, false), vec![0.9, 0.5], 50.0),
        (settings(Convention::Standard, Model::Exact, Access::Noma, false), vec![0.8, 0.6, 0.3], 1e3),
        (settings(Convention::Paper, Model::Exact, Access::Noma, false), vec![0.7, 0.4], 200.0),
        (settings(Convention::Trusted, Model::Exact, Access::Noma, false), vec![0.9], 30.0),
    ];
    for (s, t, b) in cases {
        let net = Network::new(t.clone(), vec![0.05]).unwrap();
        let order = net.gain_order();
        let k = t.len();
        let vmin = if s.convention() == Convention::Paper { 1.0 } else { 1e-6 };
        let a = optimize(&s, &net, &Problem::new(&s, &net, b).unwrap()).unwrap();
        let mut reference = 0.0f64; // all users silent
        for mask in 1u32..(1 << k) {
            let act: Vec<bool> = (0..k).map(|i| mask & (1 << i) != 0).collect();
            let lo: Vec<f64> = act.iter().map(|&x| if x { vmin } else { 0.0 }).collect();
            let hi: Vec<f64> = (0..k).map(|i| if act[i] { b / t[i] } else { 0.0 }).collect();
            let n = if k == 3 { 60 } else { 200 };
            let mut best = (f64::NEG_INFINITY, vec![]);
            let mut idx = vec![0usize; k];
            'grid: loop {
                let v: Vec<f64> = (0..k)
                    .map(|i| if act[i] { vmin * (hi[i] / vmin).powf(idx[i] as f64 / (n - 1) as f64) } else { 0.0 })
                    .collect();
                if v.iter().zip(&t).map(|(a, b)| a * b).sum::<f64>() <= b {
                    let val = f(&s, &net, &order, &v);
                    if val > best.0 {
                        best = (val, v);
                    }
                }
                for i in 0..k {
                    if !act[i] {
                        continue;
                    }
                    idx[i] += 1;
                    if idx[i] < n {
                        continue 'grid;
                    }
                    idx[i] = 0;
                }
                break;
            }
            if best.0.is_finite() {
                let val = polish(&s, &net, &order, &lo, &hi, b, best.1);
                reference = reference.max(val);
            }
        }
        let got = a.objective_value();
        assert!(
            (got - reference).abs() <= 1e-6 * reference.abs().max(1e-12) || got > reference,
            "{s:?} T={t:?}: global {got} vs grid {reference}"
        );
        assert!(got <= reference + 1e-6 * reference.abs().max(1.0), "grid reference worse than global by a lot");
    }
}

/// K ≤ 6: `global` is never worse than 200 random feasible points polished by projected
/// gradient (test-side), on the full active set (raw objective).
#[test]
fn global_beats_random_polished_points() {
    let s = Settings::standard();
    let t = vec![0.85, 0.7, 0.55, 0.4, 0.3, 0.15];
    let net = Network::new(t.clone(), vec![0.02]).unwrap();
    let order = net.gain_order();
    let b = 300.0;
    let mut p = Problem::new(&s, &net, b).unwrap();
    p.objective = Objective::Raw;
    let a = optimize(&s, &net, &p).unwrap();
    let lo = vec![1e-6; 6];
    let hi: Vec<f64> = t.iter().map(|x| b / x).collect();
    let mut state = 0x2545F4914F6CDD1Du64;
    let mut rnd = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut best = f64::NEG_INFINITY;
    for j in 0..200 {
        let v: Vec<f64> = (0..6).map(|i| hi[i] * 10f64.powf(-5.0 * rnd())).collect();
        let v = proj(&v, &t, &lo, &hi, b);
        // Polish every 10th point fully (runtime), the rest are raw evaluations.
        let val = if j % 10 == 0 { polish(&s, &net, &order, &lo, &hi, b, v) } else { f(&s, &net, &order, &v) };
        best = best.max(val);
    }
    assert!(a.objective_value() >= best - 1e-9 * best.abs().max(1.0), "global {} < random {best}", a.objective_value());
}

/// KKT at the returned point with a tight tolerance, using test-side FD gradients:
/// projected gradient (scaled u_i = v_i/(v_i+1)) ≤ 1e-6.
#[test]
fn returned_points_are_stationary() {
    for s in [
        Settings::standard(),
        settings(Convention::Trusted, Model::Exact, Access::Noma, false),
        settings(Convention::Standard, Model::Exact, Access::Cih, false),
    ] {
        let t = vec![0.9, 0.6, 0.3];
        let net = Network::new(t.clone(), vec![0.05]).unwrap();
        let order = net.gain_order();
        let b = 80.0;
        let mut p = Problem::new(&s, &net, b).unwrap();
        p.objective = Objective::Raw;
        p.policy = Policy::Sca;
        p.tolerance = 1e-15;
        p.max_iterations = 2000;
        let a = optimize(&s, &net, &p).unwrap();
        let v = a.powers();
        let g = fd_grad(&s, &net, &order, &v);
        let lo = vec![p.min_variance; 3];
        let hi: Vec<f64> = t.iter().map(|x| b / x).collect();
        let y: Vec<f64> = (0..3).map(|i| v[i] + g[i]).collect();
        let r = proj(&y, &t, &lo, &hi, b);
        let res = (0..3).map(|i| ((r[i] - v[i]) / (v[i] + 1.0)).powi(2)).sum::<f64>().sqrt();
        assert!(
            res <= 1e-6,
            "{s:?}: KKT residual {res}, status {:?} own {:?} v {v:?} it {}",
            a.status,
            a.kkt_residual,
            a.iterations
        );
        assert!(a.status == Status::Converged, "{:?}", a.status);
    }
}

/// `--order best` (all permutations for K ≤ 7) is never worse than any single order,
/// checked here against every explicit order run separately.
#[test]
fn best_order_dominates_every_explicit_order() {
    use nomaqkd::alloc::OrderChoice;
    let s = settings(Convention::Paper, Model::Exact, Access::Noma, false);
    let net = Network::new(vec![0.8, 0.5, 0.3], vec![0.05]).unwrap();
    let mut p = Problem::new(&s, &net, 60.0).unwrap();
    p.policy = Policy::Sca;
    p.objective = Objective::Raw;
    p.order = OrderChoice::Best;
    let best = optimize(&s, &net, &p).unwrap();
    assert!(best.search.contains("all 6 permutations"), "{}", best.search);
    for o in [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]] {
        p.order = OrderChoice::Explicit(o.to_vec());
        let a = optimize(&s, &net, &p).unwrap();
        assert!(best.objective_value() >= a.objective_value(), "{o:?}");
    }
}

/// Budgets too small for every user to reach V_min (1 under `paper`): `sca` (all users
/// active) is an input error; `global` (clipped) uses only active sets that fit, never
/// panics, and sends nothing when no single user fits. Found as a panic (clamp with
/// min > max in the projection) before the fix.
#[test]
fn small_budgets_are_errors_for_sca_and_restrict_global() {
    for conv in [Convention::Paper, Convention::Standard] {
        let s = settings(conv, Model::Exact, Access::Noma, false);
        let net = Network::new(vec![0.9, 0.2], vec![0.1, 0.1]).unwrap();
        let vmin = if conv == Convention::Paper { 1.0 } else { 1e-6 };
        // Σ T = 1.1: between 0.9·V_min and 1.1·V_min only user 1 (T = 0.2) or user 0 fits alone.
        for (b, fits_alone) in [(0.5 * vmin, vec![1]), (1.0 * vmin, vec![0, 1]), (0.1 * vmin, vec![])] {
            let mut p = Problem::new(&s, &net, b).unwrap();
            p.policy = Policy::Sca;
            assert!(optimize(&s, &net, &p).is_err(), "{conv:?} B = {b}: sca must be an input error");
            p.policy = Policy::Global;
            let a = optimize(&s, &net, &p).unwrap();
            let v = a.powers();
            assert!(a.active_users.len() <= 1, "{conv:?} B = {b}: {:?}", a.active_users);
            for &i in &a.active_users {
                assert!(fits_alone.contains(&i), "{conv:?} B = {b}: user {i} cannot reach V_min alone");
                assert!(v[i] >= vmin && net.transmittance()[i] * v[i] <= b * (1.0 + 1e-12));
            }
            let spent: f64 = v.iter().zip(net.transmittance()).map(|(x, t)| x * t).sum();
            assert!(spent <= b * (1.0 + 1e-12), "{conv:?} B = {b}: spent {spent}");
            assert!(a.report.sum_secret_key_rate_clipped >= 0.0);
            if fits_alone.is_empty() {
                assert!(a.active_users.is_empty(), "{conv:?} B = {b}: nothing fits, all silent");
            } else {
                // Some user fits alone: global must use one whenever its single-user optimum
                // (computed here on the one-user network, as oma-best would) is positive.
                let best_alone = fits_alone
                    .iter()
                    .map(|&j| {
                        let net1 = Network::new(vec![net.transmittance()[j]], vec![0.1]).unwrap();
                        let mut p1 = Problem::new(&s, &net1, b).unwrap();
                        p1.policy = Policy::Global;
                        optimize(&s, &net1, &p1).unwrap().report.sum_secret_key_rate_clipped
                    })
                    .fold(0.0f64, f64::max);
                if best_alone > 0.0 {
                    assert_eq!(a.active_users.len(), 1, "{conv:?} B = {b}: a single user would give {best_alone}");
                    assert!(a.report.sum_secret_key_rate_clipped >= best_alone * (1.0 - 1e-9));
                }
            }
            // `raw` with B < V_min·Σ T is an input error too (SPEC §5).
            p.objective = Objective::Raw;
            assert!(optimize(&s, &net, &p).is_err());
        }
    }
}
