//! `global` and `sca` policies (SPEC §7): multi-start SCA, active-set moves, and for
//! K ≤ 3 an exhaustive log grid; decoding-order search for `--order best`.

use super::sca::{sca, Bounds, ScaRun};
use super::{active_of, run_with_order, Allocation, Objective, Problem};
use crate::convention::Settings;
use crate::rates::{evaluate, Network};

/// Upper bounds min(cap_k, B/T_k) (SNU).
fn upper(network: &Network, problem: &Problem) -> Vec<f64> {
    network
        .transmittance()
        .iter()
        .zip(&problem.user_max_variance)
        .map(|(t, c)| (problem.budget_snu / t).min(*c))
        .collect()
}

fn bounds_for(network: &Network, problem: &Problem, active: &[bool]) -> Bounds {
    let hi = upper(network, problem);
    Bounds {
        lo: active.iter().map(|&a| if a { problem.min_variance } else { 0.0 }).collect(),
        hi: active.iter().zip(&hi).map(|(&a, &h)| if a { h } else { 0.0 }).collect(),
        budget: problem.budget_snu,
    }
}

/// Radical inverse of `i` in base `b` (Halton sequence).
fn halton(mut i: usize, b: usize) -> f64 {
    let (mut f, mut r) = (1.0, 0.0);
    while i > 0 {
        f /= b as f64;
        r += f * (i % b) as f64;
        i /= b;
    }
    r
}

const PRIMES: [usize; 16] = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53];

/// Deterministic starts on an active set: equal received power, the Q-OMA rule,
/// geometric ladders along the decoding order (ratios 0.1, 0.3, 3, 10), each active user
/// dominant, then Halton points (log-uniform over four decades); `count` of them.
fn starts(network: &Network, problem: &Problem, order: &[usize], active: &[bool], count: usize) -> Vec<Vec<f64>> {
    let t = network.transmittance();
    let k = t.len();
    let b = problem.budget_snu;
    let scale_to_budget = |mut v: Vec<f64>| {
        let s: f64 = (0..k).map(|i| t[i] * v[i]).sum();
        if s > 0.0 {
            v.iter_mut().for_each(|x| *x *= b / s);
        }
        v
    };
    let act = |f: &dyn Fn(usize) -> f64| (0..k).map(|i| if active[i] { f(i) } else { 0.0 }).collect::<Vec<_>>();
    let mut out = vec![scale_to_budget(act(&|_| 1.0)), scale_to_budget(act(&|i| t[i]))];
    let mut pos = vec![0usize; k];
    for (p, &i) in order.iter().enumerate() {
        pos[i] = p;
    }
    for r in [0.1f64, 0.3, 3.0, 10.0] {
        out.push(scale_to_budget(act(&|i| r.powi(pos[i] as i32))));
    }
    for j in (0..k).filter(|&j| active[j]) {
        out.push(act(&|i| if i == j { 0.99 * b / t[i] } else { 0.0 }));
    }
    let mut h = 1;
    while out.len() < count {
        out.push(scale_to_budget(act(&|i| 10f64.powf(-4.0 * halton(h + 97 * (i / 16), PRIMES[i % 16])))));
        h += 1;
    }
    out.truncate(count.max(1));
    out
}

/// Per-user rate sign at a point (for drop moves): SKR_k < 0 among active users.
fn negative_users(settings: &Settings, network: &Network, order: &[usize], v: &[f64]) -> Vec<usize> {
    let r = evaluate(settings, network, order, v).expect("valid powers");
    r.users.iter().filter(|u| !u.rate.silent && u.rate.secret_key_rate < 0.0).map(|u| u.user).collect()
}

struct Best {
    run: ScaRun,
    evals: usize,
}

impl Best {
    fn offer(&mut self, run: ScaRun) -> bool {
        self.evals += 1;
        if run.value > self.run.value {
            self.run = run;
            true
        } else {
            false
        }
    }
}

/// `sca` policy: one SCA run from equal received power on the full active set.
pub(crate) fn sca_policy(settings: &Settings, network: &Network, problem: &Problem, order: &[usize]) -> Allocation {
    let active = vec![true; network.len()];
    let bounds = bounds_for(network, problem, &active);
    let start = &starts(network, problem, order, &active, 1)[0];
    let run = sca(settings, network, order, &bounds, start, problem.tolerance, problem.max_iterations);
    finish(settings, network, problem, order, run, "sca: one start (equal received power), all users active".into())
}

/// Whether every user of `active` can reach V_min within the budget: Σ_{i∈A} T_i·V_min ≤ B.
/// (Caps are ≥ V_min by validation, and T_i·V_min ≤ B follows from the sum.)
fn feasible(network: &Network, problem: &Problem, active: &[bool]) -> bool {
    let s: f64 = network.transmittance().iter().zip(active).filter(|(_, &a)| a).map(|(t, _)| t).sum();
    problem.min_variance * s <= problem.budget_snu
}

/// The all-silent point (clipped objective 0) when no active set fits the budget.
fn all_silent(k: usize) -> ScaRun {
    ScaRun {
        v: vec![0.0; k],
        value: 0.0,
        history: vec![0.0],
        iterations: 0,
        status: super::Status::Converged,
        kkt_residual: 0.0,
    }
}

/// `global` policy at a fixed decoding order.
///
/// Under `clipped`, only active sets whose users can all reach V_min within B are searched
/// (B ≥ V_min·Σ_{i∈A} T_i); when no single user fits, every user is silent (sum 0).
pub(crate) fn global(settings: &Settings, network: &Network, problem: &Problem, order: &[usize]) -> Allocation {
    let k = network.len();
    let (tol, cap) = (problem.tolerance, problem.max_iterations);
    let full = vec![true; k];
    let run_from = |active: &[bool], start: &[f64]| {
        sca(settings, network, order, &bounds_for(network, problem, active), start, tol, cap)
    };
    let single = |j: usize| (0..k).map(|i| i == j).collect::<Vec<bool>>();
    let mut search;
    let full_feasible = feasible(network, problem, &full);
    let mut best = if full_feasible {
        let full_starts = starts(network, problem, order, &full, problem.starts);
        let mut best = Best { run: run_from(&full, &full_starts[0]), evals: 0 };
        for s in &full_starts[1..] {
            best.offer(run_from(&full, s));
        }
        search = format!("{} starts on all {k} users", full_starts.len());
        best
    } else {
        // Only `clipped` gets here (`raw` with B < V_min·Σ T is rejected by validation).
        let fits: Vec<usize> = (0..k).filter(|&j| feasible(network, problem, &single(j))).collect();
        search = format!(
            "B = {} < V_min * sum T = {}: all {k} users cannot be active; {} user(s) fit alone",
            problem.budget_snu,
            problem.min_variance * network.transmittance().iter().sum::<f64>(),
            fits.len()
        );
        if fits.is_empty() {
            search.push_str(", so every user is silent");
            return finish(settings, network, problem, order, all_silent(k), format!("global: {search}"));
        }
        Best { run: all_silent(k), evals: 0 }
    };
    if problem.objective == Objective::Clipped {
        // Single-user active sets.
        if k > 1 {
            for j in (0..k).filter(|&j| feasible(network, problem, &single(j))) {
                let mut a = vec![false; k];
                a[j] = true;
                // Seed with the single-user optimum (log grid + golden section): with one
                // active user there is no interference and X = 0, so this is its OMA-best rate.
                let hi = upper(network, problem)[j];
                let (vj, _) = super::benchmarks::best_single_user(settings, network, j, problem.min_variance, hi);
                let mut seeded = vec![0.0; k];
                seeded[j] = vj;
                best.offer(run_from(&a, &seeded));
                for s in starts(network, problem, order, &a, 2) {
                    best.offer(run_from(&a, &s));
                }
            }
            search.push_str(&format!(", {k} single-user sets x 3 starts (one at the 1-D optimum)"));
        }
        // Active-set moves: drop negative-rate users, try adding silent users back.
        let mut moves = 0;
        for _ in 0..(2 * k + 2) {
            let v = best.run.v.clone();
            let mut improved = false;
            let neg = negative_users(settings, network, order, &v);
            if !neg.is_empty() {
                let mut a: Vec<bool> = v.iter().map(|&x| x > 0.0).collect();
                neg.iter().for_each(|&i| a[i] = false);
                if a.iter().any(|&x| x) {
                    let start: Vec<f64> = (0..k).map(|i| if a[i] { v[i] } else { 0.0 }).collect();
                    moves += 1;
                    improved |= best.offer(run_from(&a, &start));
                }
            }
            for j in (0..k).filter(|&j| v[j] == 0.0) {
                let mut a: Vec<bool> = v.iter().map(|&x| x > 0.0).collect();
                a[j] = true;
                if !feasible(network, problem, &a) {
                    continue;
                }
                let mut start = v.clone();
                start[j] = 1e-2 * problem.budget_snu / network.transmittance()[j];
                moves += 1;
                improved |= best.offer(run_from(&a, &start));
            }
            if !improved {
                break;
            }
        }
        search.push_str(&format!(", {moves} active-set moves (drop negative / add back)"));
    }
    if k <= 3 {
        let pts = grid_polish(settings, network, problem, order, &mut best);
        search.push_str(&format!(", exhaustive log grid ({pts} points) with SCA polish"));
    }
    search.push_str(&format!("; {} SCA runs", best.evals + usize::from(full_feasible)));
    let mut run = best.run;
    if problem.objective == Objective::Clipped && run.value < 0.0 {
        // Every active set searched loses key: silence (objective 0) is better.
        search.push_str("; every active set found has a negative sum, so all users are silent");
        run = all_silent(k);
    }
    finish(settings, network, problem, order, run, format!("global: {search}"))
}

/// K ≤ 3: a 41-point log grid per active user over [V_min, hi] (all active sets for
/// `clipped`, the full set for `raw`), infeasible points projected onto the budget
/// plane by scaling; the best point of each set is polished by SCA.
fn grid_polish(settings: &Settings, network: &Network, problem: &Problem, order: &[usize], best: &mut Best) -> usize {
    let k = network.len();
    let t = network.transmittance();
    let hi = upper(network, problem);
    const N: usize = 41;
    let mut points = 0;
    let sets: Vec<u32> =
        if problem.objective == Objective::Clipped { (1..(1u32 << k)).collect() } else { vec![(1u32 << k) - 1] };
    let mut ws = super::sca::Workspace::default();
    for mask in sets {
        let active: Vec<bool> = (0..k).map(|i| mask & (1 << i) != 0).collect();
        if !feasible(network, problem, &active) {
            continue;
        }
        let n_act = active.iter().filter(|&&a| a).count();
        let mut idx = vec![0usize; n_act];
        let mut best_pt: Option<(f64, Vec<f64>)> = None;
        loop {
            let mut v = vec![0.0; k];
            let mut c = 0;
            for i in 0..k {
                if active[i] {
                    let (a, b) = (problem.min_variance.ln(), hi[i].max(problem.min_variance).ln());
                    v[i] = (a + (b - a) * idx[c] as f64 / (N - 1) as f64).exp();
                    c += 1;
                }
            }
            let s: f64 = (0..k).map(|i| t[i] * v[i]).sum();
            if s > problem.budget_snu {
                let lo_s: f64 = (0..k).map(|i| t[i] * if active[i] { problem.min_variance } else { 0.0 }).sum();
                let f = (problem.budget_snu - lo_s) / (s - lo_s);
                for i in 0..k {
                    if active[i] {
                        v[i] = problem.min_variance + (v[i] - problem.min_variance) * f;
                    }
                }
            }
            points += 1;
            let val = super::sca::objective_gradient(settings, network, order, &v, None, &mut ws);
            if best_pt.as_ref().is_none_or(|(b, _)| val > *b) {
                best_pt = Some((val, v));
            }
            // Next index.
            let mut p = 0;
            while p < n_act {
                idx[p] += 1;
                if idx[p] < N {
                    break;
                }
                idx[p] = 0;
                p += 1;
            }
            if p == n_act {
                break;
            }
        }
        if let Some((_, v)) = best_pt {
            let bounds = bounds_for(network, problem, &active);
            best.offer(sca(settings, network, order, &bounds, &v, problem.tolerance, problem.max_iterations));
        }
    }
    points
}

fn finish(
    settings: &Settings,
    network: &Network,
    problem: &Problem,
    order: &[usize],
    run: ScaRun,
    search: String,
) -> Allocation {
    let report = evaluate(settings, network, order, &run.v).expect("SCA iterates are feasible and valid");
    Allocation {
        policy: problem.policy,
        objective: problem.objective,
        budget: problem.budget_snu,
        status: run.status,
        iterations: run.iterations,
        objective_history: run.history,
        kkt_residual: Some(run.kkt_residual),
        active_users: active_of(&run.v),
        search,
        report,
    }
}

/// `--order best`: every permutation for K ≤ 7 (Heap's algorithm); beyond, the gain
/// order improved by pairwise swaps of decoding positions until no swap helps
/// (at most 3 passes). Returns the best allocation; `search` names the order search.
pub(crate) fn best_order(settings: &Settings, network: &Network, problem: &Problem) -> Allocation {
    let k = network.len();
    let mut order = network.gain_order();
    let mut best = run_with_order(settings, network, problem, &order);
    let mut tried = 1usize;
    let what;
    if k <= 7 {
        // Heap's algorithm, iterative.
        let mut c = vec![0usize; k];
        let mut i = 0;
        while i < k {
            if c[i] < i {
                if i % 2 == 0 {
                    order.swap(0, i);
                } else {
                    order.swap(c[i], i);
                }
                let a = run_with_order(settings, network, problem, &order);
                tried += 1;
                if a.objective_value() > best.objective_value() {
                    best = a;
                }
                c[i] += 1;
                i = 0;
            } else {
                c[i] = 0;
                i += 1;
            }
        }
        what = format!("order: all {tried} permutations");
    } else {
        let mut cur = network.gain_order();
        for _ in 0..3 {
            let mut improved = false;
            for a in 0..k {
                for b in (a + 1)..k {
                    cur.swap(a, b);
                    let alloc = run_with_order(settings, network, problem, &cur);
                    tried += 1;
                    if alloc.objective_value() > best.objective_value() {
                        best = alloc;
                        improved = true;
                    } else {
                        cur.swap(a, b);
                    }
                }
            }
            if !improved {
                break;
            }
        }
        what = format!("order: gain order + pairwise-swap local search ({tried} orders)");
    }
    best.search = format!("{}; {what}", best.search);
    best
}
