//! Rule-based policies of the paper's Sec. V-B and two stronger orthogonal baselines
//! (SPEC §7): `qoma`, `qoma-opt`, `oma-best`, `uqpa`, `cih`.

use super::{active_of, Allocation, Objective, Policy, Problem, Status};
use crate::convention::{Access, Convention, Settings};
use crate::rates::{evaluate, finish_report, user_rate, Network, UserChannel};

/// Best single-user V_A in [lo, hi] (SNU) for user k alone on its own slot (no
/// interference, X = 0): a 64-point log grid, then golden section on ln V around the
/// best grid point, plus both endpoints. Returns (V_A, SKR_k(V_A)).
pub fn best_single_user(settings: &Settings, network: &Network, k: usize, lo: f64, hi: f64) -> (f64, f64) {
    let rate = |va: f64| {
        let ch = UserChannel {
            transmittance: network.transmittance()[k],
            modulation_variance: va,
            excess_noise: network.excess_noise()[k],
            other_excess_noise: 0.0,
            interference: 0.0,
            literal_interference: 0.0,
        };
        user_rate(settings, &ch).secret_key_rate
    };
    if hi <= lo {
        return (lo, rate(lo));
    }
    let (a, b) = (lo.ln(), hi.ln());
    const N: usize = 64;
    let mut best = (lo, rate(lo));
    let mut best_j = 0;
    for j in 0..=N {
        let x = if j == N { hi } else { (a + (b - a) * j as f64 / N as f64).exp() };
        let r = rate(x);
        if r > best.1 {
            best = (x, r);
            best_j = j;
        }
    }
    let step = (b - a) / N as f64;
    let (mut l, mut u) = ((a + step * (best_j as f64 - 1.0)).max(a), (a + step * (best_j as f64 + 1.0)).min(b));
    let g = 0.5 * (5f64.sqrt() - 1.0);
    let (mut x1, mut x2) = (u - g * (u - l), l + g * (u - l));
    let (mut f1, mut f2) = (rate(x1.exp()), rate(x2.exp()));
    for _ in 0..80 {
        if f1 >= f2 {
            u = x2;
            x2 = x1;
            f2 = f1;
            x1 = u - g * (u - l);
            f1 = rate(x1.exp());
        } else {
            l = x1;
            x1 = x2;
            f1 = f2;
            x2 = l + g * (u - l);
            f2 = rate(x2.exp());
        }
        if u - l < 1e-13 * (1.0 + l.abs()) {
            break;
        }
    }
    for (x, f) in [(x1.exp().clamp(lo, hi), f1), (x2.exp().clamp(lo, hi), f2)] {
        if f > best.1 {
            best = (x, f);
        }
    }
    best
}

/// Evaluate a rule-based policy at a fixed decoding order.
pub(crate) fn rule_based(
    settings: &Settings,
    network: &Network,
    problem: &Problem,
    order: &[usize],
    policy: Policy,
) -> Allocation {
    let k = network.len();
    let t = network.transmittance();
    let b = problem.budget_snu;
    let sum_t: f64 = t.iter().sum();
    let caps = &problem.user_max_variance;
    let paper = settings.convention() == Convention::Paper;
    // Under `paper`, V_a in (0, 1) is not defined: such users are made silent (noted).
    let fix = |x: f64| if paper && x < 1.0 { 0.0 } else { x };
    let (access, v, search, chosen) = match policy {
        Policy::Qoma => {
            let v = (0..k).map(|i| fix((b * t[i] / sum_t).min(caps[i]))).collect::<Vec<_>>();
            (Access::Oma, v, "closed form: V_k = B*T_k/sum T_i (capped), OMA".to_string(), None)
        }
        Policy::Uqpa | Policy::Cih => {
            let v = (0..k).map(|i| fix((b / sum_t).min(caps[i]))).collect::<Vec<_>>();
            let acc = if policy == Policy::Uqpa { Access::Noma } else { Access::Cih };
            (acc, v, format!("closed form: V_k = B/sum T_i (capped), {}", acc.as_str()), None)
        }
        Policy::QomaOpt | Policy::OmaBest => {
            let s1 = settings.with_access(Access::Oma);
            let best: Vec<(f64, f64)> = (0..k)
                .map(|i| best_single_user(&s1, network, i, problem.min_variance, (b / t[i]).min(caps[i])))
                .collect();
            if policy == Policy::QomaOpt {
                let v = best
                    .iter()
                    .map(|&(x, r)| if problem.objective == Objective::Clipped && r <= 0.0 { 0.0 } else { x })
                    .collect();
                (
                    Access::Oma,
                    v,
                    "each user at its best single-user V_k <= B/T_k (log grid + golden section), 1/K slots".to_string(),
                    None,
                )
            } else {
                let mut j = 0;
                for i in 1..k {
                    if best[i].1 > best[j].1 {
                        j = i;
                    }
                }
                let mut v = vec![0.0; k];
                v[j] = best[j].0;
                (
                    Access::Oma,
                    v,
                    format!("all symbols to user {j} at its best single-user V_k <= B/T_k (log grid + golden section)"),
                    Some(j),
                )
            }
        }
        Policy::Sca | Policy::Global => unreachable!("iterative policies are handled by global.rs"),
    };
    let s = settings.with_access(access);
    let mut report = evaluate(&s, network, order, &v).expect("rule-based powers are valid by construction");
    if let Some(j) = chosen {
        for u in report.users.iter_mut() {
            u.slot_fraction = if u.user == j { 1.0 } else { 0.0 };
        }
        report = finish_report(&s, network, order, report.users);
    }
    let mut alloc = Allocation {
        policy,
        objective: problem.objective,
        budget: b,
        status: Status::ClosedForm,
        iterations: 0,
        objective_history: vec![],
        kkt_residual: None,
        active_users: active_of(&v),
        search,
        report,
    };
    alloc.objective_history.push(alloc.objective_value());
    alloc
}
